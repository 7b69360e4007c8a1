package cloud

import (
	"context"

	ram "github.com/alibabacloud-go/ram-20150501/v2/client"
	"github.com/alibabacloud-go/tea/dara"
)

// The RAM calls `akresp eradicate` adds to the ones contain and disable
// use: removing a user's console login, group memberships and the user.

// DeleteLoginProfile removes a user's console login (not reversible: the
// password is gone).
func (c *Clients) DeleteLoginProfile(ctx context.Context, userName string) (string, error) {
	api := ramAPI("DeleteLoginProfile")
	if userName == "" {
		return "", refuse(api, "", "user name is empty")
	}
	return c.write(ctx, api, userName, func(ctx context.Context) (*string, error) {
		resp, err := c.ramClient().DeleteLoginProfileWithContext(ctx, &ram.DeleteLoginProfileRequest{UserName: dara.String(userName)}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// RemoveUserFromGroup removes a user from a group.
func (c *Clients) RemoveUserFromGroup(ctx context.Context, userName, groupName string) (string, error) {
	api := ramAPI("RemoveUserFromGroup")
	if userName == "" || groupName == "" {
		return "", refuse(api, userName, "user and group names are required")
	}
	return c.write(ctx, api, userName, func(ctx context.Context) (*string, error) {
		resp, err := c.ramClient().RemoveUserFromGroupWithContext(ctx, &ram.RemoveUserFromGroupRequest{UserName: dara.String(userName), GroupName: dara.String(groupName)}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// AddUserToGroup adds a user to a group.
func (c *Clients) AddUserToGroup(ctx context.Context, userName, groupName string) (string, error) {
	api := ramAPI("AddUserToGroup")
	if userName == "" || groupName == "" {
		return "", refuse(api, userName, "user and group names are required")
	}
	return c.write(ctx, api, userName, func(ctx context.Context) (*string, error) {
		resp, err := c.ramClient().AddUserToGroupWithContext(ctx, &ram.AddUserToGroupRequest{UserName: dara.String(userName), GroupName: dara.String(groupName)}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// DeleteUser deletes a RAM user. RAM refuses while the user still has
// AccessKeys, a login profile, policies or group memberships.
func (c *Clients) DeleteUser(ctx context.Context, userName string) (string, error) {
	api := ramAPI("DeleteUser")
	if userName == "" {
		return "", refuse(api, "", "user name is empty")
	}
	return c.write(ctx, api, userName, func(ctx context.Context) (*string, error) {
		resp, err := c.ramClient().DeleteUserWithContext(ctx, &ram.DeleteUserRequest{UserName: dara.String(userName)}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}
