package cloud

import (
	"context"
	"errors"
	"time"

	ram "github.com/alibabacloud-go/ram-20150501/v2/client"
	"github.com/alibabacloud-go/tea/dara"
)

// RAM 2015-05-01, through the typed SDK's context-aware methods.

func ramAPI(action string) apiSpec { return apiSpec{service: "RAM", action: action} }

// listUsersPageSize is RAM's maximum MaxItems.
const listUsersPageSize = 1000

// maxPages stops a paging loop whose server keeps handing out new markers.
const maxPages = 10000

// ListUsers returns every RAM user, paging Marker/MaxItems=1000.
func (c *Clients) ListUsers(ctx context.Context) ([]User, error) {
	api := ramAPI("ListUsers")
	var (
		users  []User
		marker string
		seen   = map[string]bool{}
	)
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, &APIError{API: api.name(), Message: "gave up after 10000 pages", class: errNoClass}
		}
		req := &ram.ListUsersRequest{MaxItems: dara.Int32(listUsersPageSize)}
		if marker != "" {
			req.Marker = dara.String(marker)
		}
		var resp *ram.ListUsersResponse
		err := c.call(ctx, api, "", func(ctx context.Context) (err error) {
			resp, err = c.ramClient().ListUsersWithContext(ctx, req, runtime())
			return err
		})
		if err != nil {
			return nil, err
		}
		body := resp.Body
		if body == nil {
			break
		}
		if body.Users != nil {
			for _, u := range body.Users.User {
				if u == nil {
					continue
				}
				users = append(users, User{
					UserID:      str(u.UserId),
					UserName:    str(u.UserName),
					DisplayName: str(u.DisplayName),
					Comments:    str(u.Comments),
					CreateDate:  c.parseTime(api.name(), "CreateDate", str(u.CreateDate)),
					UpdateDate:  c.parseTime(api.name(), "UpdateDate", str(u.UpdateDate)),
				})
			}
		}
		next := str(body.Marker)
		if !dara.BoolValue(body.IsTruncated) || next == "" {
			break
		}
		if seen[next] {
			return nil, &APIError{API: api.name(), RequestID: str(body.RequestId), Message: "the service repeated a paging marker", class: errNoClass}
		}
		seen[next] = true
		marker = next
	}
	return users, nil
}

// GetUser returns one RAM user.
func (c *Clients) GetUser(ctx context.Context, userName string) (User, error) {
	api := ramAPI("GetUser")
	if userName == "" {
		return User{}, refuse(api, "", "user name is empty")
	}
	var resp *ram.GetUserResponse
	err := c.call(ctx, api, userName, func(ctx context.Context) (err error) {
		resp, err = c.ramClient().GetUserWithContext(ctx, &ram.GetUserRequest{UserName: dara.String(userName)}, runtime())
		return err
	})
	if err != nil {
		return User{}, err
	}
	if resp.Body == nil || resp.Body.User == nil {
		return User{}, &APIError{API: api.name(), Target: userName, Message: "response has no User", class: ErrNotFound}
	}
	u := resp.Body.User
	return User{
		UserID:        str(u.UserId),
		UserName:      str(u.UserName),
		DisplayName:   str(u.DisplayName),
		Comments:      str(u.Comments),
		CreateDate:    c.parseTime(api.name(), "CreateDate", str(u.CreateDate)),
		UpdateDate:    c.parseTime(api.name(), "UpdateDate", str(u.UpdateDate)),
		LastLoginDate: c.parseTime(api.name(), "LastLoginDate", str(u.LastLoginDate)),
	}, nil
}

// optString is nil for "", so an omitted UserName means "the caller".
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return dara.String(s)
}

// ListAccessKeys lists a user's AccessKeys; userName "" lists the caller's
// own (when the caller is a RAM user).
func (c *Clients) ListAccessKeys(ctx context.Context, userName string) ([]AccessKey, error) {
	api := ramAPI("ListAccessKeys")
	var resp *ram.ListAccessKeysResponse
	err := c.call(ctx, api, userName, func(ctx context.Context) (err error) {
		resp, err = c.ramClient().ListAccessKeysWithContext(ctx, &ram.ListAccessKeysRequest{UserName: optString(userName)}, runtime())
		return err
	})
	if err != nil {
		return nil, err
	}
	var keys []AccessKey
	if resp.Body != nil && resp.Body.AccessKeys != nil {
		for _, k := range resp.Body.AccessKeys.AccessKey {
			if k == nil {
				continue
			}
			keys = append(keys, AccessKey{
				AccessKeyID: str(k.AccessKeyId),
				Status:      str(k.Status),
				CreateDate:  c.parseTime(api.name(), "CreateDate", str(k.CreateDate)),
			})
		}
	}
	return keys, nil
}

// CreateAccessKey creates a key for userName ("" = the caller). It is never
// replayed after an ambiguous failure: a duplicate would be a live key
// whose secret nobody holds. On such a failure, list the user's keys.
func (c *Clients) CreateAccessKey(ctx context.Context, userName string) (NewAccessKey, error) {
	api := ramAPI("CreateAccessKey")
	api.unsafe = true
	var resp *ram.CreateAccessKeyResponse
	err := c.call(ctx, api, userName, func(ctx context.Context) (err error) {
		resp, err = c.ramClient().CreateAccessKeyWithContext(ctx, &ram.CreateAccessKeyRequest{UserName: optString(userName)}, runtime())
		return err
	})
	if err != nil {
		return NewAccessKey{}, err
	}
	if resp.Body == nil || resp.Body.AccessKey == nil || str(resp.Body.AccessKey.AccessKeyId) == "" || str(resp.Body.AccessKey.AccessKeySecret) == "" {
		reqID := ""
		if resp.Body != nil {
			reqID = str(resp.Body.RequestId)
		}
		return NewAccessKey{}, &APIError{API: api.name(), Target: userName, RequestID: reqID,
			Message: "response carries no AccessKey id and secret; list the user's keys to see whether one was created", class: errNoClass}
	}
	k := resp.Body.AccessKey
	return NewAccessKey{
		AccessKeyID: str(k.AccessKeyId),
		Secret:      secretOf(k.AccessKeySecret),
		Status:      str(k.Status),
		CreateDate:  c.parseTime(api.name(), "CreateDate", str(k.CreateDate)),
		RequestID:   str(resp.Body.RequestId),
	}, nil
}

// UpdateAccessKeyStatus sets a key "Active" or "Inactive".
func (c *Clients) UpdateAccessKeyStatus(ctx context.Context, userName, keyID, status string) (string, error) {
	api := ramAPI("UpdateAccessKey")
	api.keyTarget = true
	if keyID == "" {
		return "", refuse(api, userName, "access key id is empty")
	}
	if status != "Active" && status != "Inactive" {
		return "", refuse(api, keyID, "status %q: want Active or Inactive", status)
	}
	return c.write(ctx, api, keyID, func(ctx context.Context) (*string, error) {
		resp, err := c.ramClient().UpdateAccessKeyWithContext(ctx, &ram.UpdateAccessKeyRequest{
			UserName: optString(userName), UserAccessKeyId: dara.String(keyID), Status: dara.String(status),
		}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// DeleteAccessKey deletes a key (IMS keeps it in the recycle bin for a
// while; see ListAccessKeysInRecycleBin).
func (c *Clients) DeleteAccessKey(ctx context.Context, userName, keyID string) (string, error) {
	api := ramAPI("DeleteAccessKey")
	api.keyTarget = true
	if keyID == "" {
		return "", refuse(api, userName, "access key id is empty")
	}
	return c.write(ctx, api, keyID, func(ctx context.Context) (*string, error) {
		resp, err := c.ramClient().DeleteAccessKeyWithContext(ctx, &ram.DeleteAccessKeyRequest{
			UserName: optString(userName), UserAccessKeyId: dara.String(keyID),
		}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// GetAccessKeyLastUsed returns when RAM last saw the key; the zero time
// means never.
func (c *Clients) GetAccessKeyLastUsed(ctx context.Context, userName, keyID string) (time.Time, error) {
	api := ramAPI("GetAccessKeyLastUsed")
	api.keyTarget = true
	if keyID == "" {
		return time.Time{}, refuse(api, userName, "access key id is empty")
	}
	var resp *ram.GetAccessKeyLastUsedResponse
	err := c.call(ctx, api, keyID, func(ctx context.Context) (err error) {
		resp, err = c.ramClient().GetAccessKeyLastUsedWithContext(ctx, &ram.GetAccessKeyLastUsedRequest{
			UserName: optString(userName), UserAccessKeyId: dara.String(keyID),
		}, runtime())
		return err
	})
	if err != nil {
		return time.Time{}, err
	}
	if resp.Body == nil || resp.Body.AccessKeyLastUsed == nil {
		return time.Time{}, nil
	}
	return c.parseTime(api.name(), "LastUsedDate", str(resp.Body.AccessKeyLastUsed.LastUsedDate)), nil
}

// GetLoginProfile returns the user's console logon profile; ok is false
// (and err nil) when the user has none.
func (c *Clients) GetLoginProfile(ctx context.Context, userName string) (LoginProfile, bool, error) {
	api := ramAPI("GetLoginProfile")
	if userName == "" {
		return LoginProfile{}, false, refuse(api, "", "user name is empty")
	}
	var resp *ram.GetLoginProfileResponse
	err := c.call(ctx, api, userName, func(ctx context.Context) (err error) {
		resp, err = c.ramClient().GetLoginProfileWithContext(ctx, &ram.GetLoginProfileRequest{UserName: dara.String(userName)}, runtime())
		return err
	})
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Code == "EntityNotExist.User.LoginProfile" {
			return LoginProfile{}, false, nil
		}
		return LoginProfile{}, false, err
	}
	if resp.Body == nil || resp.Body.LoginProfile == nil {
		return LoginProfile{}, false, nil
	}
	p := resp.Body.LoginProfile
	name := str(p.UserName)
	if name == "" {
		name = userName
	}
	return LoginProfile{
		UserName:              name,
		PasswordResetRequired: dara.BoolValue(p.PasswordResetRequired),
		MFABindRequired:       dara.BoolValue(p.MFABindRequired),
		CreateDate:            c.parseTime(api.name(), "CreateDate", str(p.CreateDate)),
	}, true, nil
}

// UpdateLoginProfileMFA sets whether the user must bind MFA at console
// logon, leaving the password alone.
func (c *Clients) UpdateLoginProfileMFA(ctx context.Context, userName string, mfaBindRequired bool) (string, error) {
	api := ramAPI("UpdateLoginProfile")
	if userName == "" {
		return "", refuse(api, "", "user name is empty")
	}
	return c.write(ctx, api, userName, func(ctx context.Context) (*string, error) {
		resp, err := c.ramClient().UpdateLoginProfileWithContext(ctx, &ram.UpdateLoginProfileRequest{
			UserName: dara.String(userName), MFABindRequired: dara.Bool(mfaBindRequired),
		}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// GetUserMFAInfo reports the user's MFA device; no device is Enabled=false
// with a nil error.
func (c *Clients) GetUserMFAInfo(ctx context.Context, userName string) (MFAInfo, error) {
	api := ramAPI("GetUserMFAInfo")
	if userName == "" {
		return MFAInfo{}, refuse(api, "", "user name is empty")
	}
	var resp *ram.GetUserMFAInfoResponse
	err := c.call(ctx, api, userName, func(ctx context.Context) (err error) {
		resp, err = c.ramClient().GetUserMFAInfoWithContext(ctx, &ram.GetUserMFAInfoRequest{UserName: dara.String(userName)}, runtime())
		return err
	})
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Code == "EntityNotExist.User.MFADevice" {
			return MFAInfo{}, nil
		}
		return MFAInfo{}, err
	}
	if resp.Body == nil || resp.Body.MFADevice == nil {
		return MFAInfo{}, nil
	}
	d := resp.Body.MFADevice
	info := MFAInfo{SerialNumber: str(d.SerialNumber), Type: str(d.Type)}
	info.Enabled = info.SerialNumber != ""
	return info, nil
}

// ListPoliciesForUser lists policies attached directly to the user
// (account scope).
func (c *Clients) ListPoliciesForUser(ctx context.Context, userName string) ([]AttachedPolicy, error) {
	api := ramAPI("ListPoliciesForUser")
	if userName == "" {
		return nil, refuse(api, "", "user name is empty")
	}
	var resp *ram.ListPoliciesForUserResponse
	err := c.call(ctx, api, userName, func(ctx context.Context) (err error) {
		resp, err = c.ramClient().ListPoliciesForUserWithContext(ctx, &ram.ListPoliciesForUserRequest{UserName: dara.String(userName)}, runtime())
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []AttachedPolicy
	if resp.Body != nil && resp.Body.Policies != nil {
		for _, p := range resp.Body.Policies.Policy {
			if p == nil {
				continue
			}
			out = append(out, AttachedPolicy{
				PolicyName:     str(p.PolicyName),
				PolicyType:     str(p.PolicyType),
				DefaultVersion: str(p.DefaultVersion),
				Description:    str(p.Description),
				AttachDate:     c.parseTime(api.name(), "AttachDate", str(p.AttachDate)),
			})
		}
	}
	return out, nil
}

// ListGroupsForUser lists the groups the user belongs to.
func (c *Clients) ListGroupsForUser(ctx context.Context, userName string) ([]Group, error) {
	api := ramAPI("ListGroupsForUser")
	if userName == "" {
		return nil, refuse(api, "", "user name is empty")
	}
	var resp *ram.ListGroupsForUserResponse
	err := c.call(ctx, api, userName, func(ctx context.Context) (err error) {
		resp, err = c.ramClient().ListGroupsForUserWithContext(ctx, &ram.ListGroupsForUserRequest{UserName: dara.String(userName)}, runtime())
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []Group
	if resp.Body != nil && resp.Body.Groups != nil {
		for _, g := range resp.Body.Groups.Group {
			if g == nil {
				continue
			}
			out = append(out, Group{
				GroupName: str(g.GroupName),
				Comments:  str(g.Comments),
				JoinDate:  c.parseTime(api.name(), "JoinDate", str(g.JoinDate)),
			})
		}
	}
	return out, nil
}

// ListPoliciesForGroup lists policies attached to a group.
func (c *Clients) ListPoliciesForGroup(ctx context.Context, groupName string) ([]AttachedPolicy, error) {
	api := ramAPI("ListPoliciesForGroup")
	if groupName == "" {
		return nil, refuse(api, "", "group name is empty")
	}
	var resp *ram.ListPoliciesForGroupResponse
	err := c.call(ctx, api, groupName, func(ctx context.Context) (err error) {
		resp, err = c.ramClient().ListPoliciesForGroupWithContext(ctx, &ram.ListPoliciesForGroupRequest{GroupName: dara.String(groupName)}, runtime())
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []AttachedPolicy
	if resp.Body != nil && resp.Body.Policies != nil {
		for _, p := range resp.Body.Policies.Policy {
			if p == nil {
				continue
			}
			out = append(out, AttachedPolicy{
				PolicyName:     str(p.PolicyName),
				PolicyType:     str(p.PolicyType),
				DefaultVersion: str(p.DefaultVersion),
				Description:    str(p.Description),
				AttachDate:     c.parseTime(api.name(), "AttachDate", str(p.AttachDate)),
			})
		}
	}
	return out, nil
}

func checkPolicyType(api apiSpec, name, policyType string) error {
	switch {
	case name == "":
		return refuse(api, "", "policy name is empty")
	case policyType != "System" && policyType != "Custom":
		return refuse(api, name, "policy type %q: want System or Custom", policyType)
	}
	return nil
}

// GetPolicy returns a policy; Document is its default version's document.
func (c *Clients) GetPolicy(ctx context.Context, name, policyType string) (Policy, error) {
	api := ramAPI("GetPolicy")
	if err := checkPolicyType(api, name, policyType); err != nil {
		return Policy{}, err
	}
	var resp *ram.GetPolicyResponse
	err := c.call(ctx, api, name, func(ctx context.Context) (err error) {
		resp, err = c.ramClient().GetPolicyWithContext(ctx, &ram.GetPolicyRequest{PolicyName: dara.String(name), PolicyType: dara.String(policyType)}, runtime())
		return err
	})
	if err != nil {
		return Policy{}, err
	}
	if resp.Body == nil || resp.Body.Policy == nil {
		return Policy{}, &APIError{API: api.name(), Target: name, Message: "response has no Policy", class: ErrNotFound}
	}
	p := resp.Body.Policy
	out := Policy{
		PolicyName:      str(p.PolicyName),
		PolicyType:      str(p.PolicyType),
		Description:     str(p.Description),
		DefaultVersion:  str(p.DefaultVersion),
		Document:        str(p.PolicyDocument),
		AttachmentCount: int(dara.Int32Value(p.AttachmentCount)),
		CreateDate:      c.parseTime(api.name(), "CreateDate", str(p.CreateDate)),
		UpdateDate:      c.parseTime(api.name(), "UpdateDate", str(p.UpdateDate)),
	}
	if v := resp.Body.DefaultPolicyVersion; v != nil && str(v.PolicyDocument) != "" {
		out.Document = str(v.PolicyDocument)
		if out.DefaultVersion == "" {
			out.DefaultVersion = str(v.VersionId)
		}
	}
	return out, nil
}

// ListPolicyVersions lists every version of a policy with its document.
func (c *Clients) ListPolicyVersions(ctx context.Context, name, policyType string) ([]PolicyVersion, error) {
	api := ramAPI("ListPolicyVersions")
	if err := checkPolicyType(api, name, policyType); err != nil {
		return nil, err
	}
	var resp *ram.ListPolicyVersionsResponse
	err := c.call(ctx, api, name, func(ctx context.Context) (err error) {
		resp, err = c.ramClient().ListPolicyVersionsWithContext(ctx, &ram.ListPolicyVersionsRequest{PolicyName: dara.String(name), PolicyType: dara.String(policyType)}, runtime())
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []PolicyVersion
	if resp.Body != nil && resp.Body.PolicyVersions != nil {
		for _, v := range resp.Body.PolicyVersions.PolicyVersion {
			if v == nil {
				continue
			}
			out = append(out, PolicyVersion{
				VersionID:  str(v.VersionId),
				IsDefault:  dara.BoolValue(v.IsDefaultVersion),
				Document:   str(v.PolicyDocument),
				CreateDate: c.parseTime(api.name(), "CreateDate", str(v.CreateDate)),
			})
		}
	}
	return out, nil
}

// CreatePolicy creates a custom policy. A replay after an ambiguous
// failure answers EntityAlreadyExists.Policy, which callers treat as done
// after comparing the document.
func (c *Clients) CreatePolicy(ctx context.Context, name, document, description string) (string, error) {
	api := ramAPI("CreatePolicy")
	switch {
	case name == "":
		return "", refuse(api, "", "policy name is empty")
	case document == "":
		return "", refuse(api, name, "policy document is empty")
	}
	return c.write(ctx, api, name, func(ctx context.Context) (*string, error) {
		resp, err := c.ramClient().CreatePolicyWithContext(ctx, &ram.CreatePolicyRequest{
			PolicyName: dara.String(name), PolicyDocument: dara.String(document), Description: optString(description),
		}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// CreatePolicyVersion adds a version (optionally making it the default).
// Never replayed after an ambiguous failure: a replay would add a second
// version; list the versions instead.
func (c *Clients) CreatePolicyVersion(ctx context.Context, name, document string, setDefault bool) (PolicyVersion, string, error) {
	api := ramAPI("CreatePolicyVersion")
	api.unsafe = true
	switch {
	case name == "":
		return PolicyVersion{}, "", refuse(api, "", "policy name is empty")
	case document == "":
		return PolicyVersion{}, "", refuse(api, name, "policy document is empty")
	}
	var resp *ram.CreatePolicyVersionResponse
	err := c.call(ctx, api, name, func(ctx context.Context) (err error) {
		resp, err = c.ramClient().CreatePolicyVersionWithContext(ctx, &ram.CreatePolicyVersionRequest{
			PolicyName: dara.String(name), PolicyDocument: dara.String(document), SetAsDefault: dara.Bool(setDefault),
		}, runtime())
		return err
	})
	if err != nil {
		return PolicyVersion{}, "", err
	}
	if resp.Body == nil {
		return PolicyVersion{}, "", nil
	}
	var v PolicyVersion
	if pv := resp.Body.PolicyVersion; pv != nil {
		v = PolicyVersion{
			VersionID:  str(pv.VersionId),
			IsDefault:  dara.BoolValue(pv.IsDefaultVersion),
			Document:   str(pv.PolicyDocument),
			CreateDate: c.parseTime(api.name(), "CreateDate", str(pv.CreateDate)),
		}
	}
	return v, str(resp.Body.RequestId), nil
}

// DeletePolicyVersion deletes a non-default version.
func (c *Clients) DeletePolicyVersion(ctx context.Context, name, versionID string) (string, error) {
	api := ramAPI("DeletePolicyVersion")
	switch {
	case name == "":
		return "", refuse(api, "", "policy name is empty")
	case versionID == "":
		return "", refuse(api, name, "version id is empty")
	}
	return c.write(ctx, api, name, func(ctx context.Context) (*string, error) {
		resp, err := c.ramClient().DeletePolicyVersionWithContext(ctx, &ram.DeletePolicyVersionRequest{
			PolicyName: dara.String(name), VersionId: dara.String(versionID),
		}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// DeletePolicy deletes a custom policy. It does not cascade: a policy that
// still has non-default versions or attachments answers DeleteConflict.*
// (ErrConflict), so nothing is removed that the caller did not list.
func (c *Clients) DeletePolicy(ctx context.Context, name string) (string, error) {
	api := ramAPI("DeletePolicy")
	if name == "" {
		return "", refuse(api, "", "policy name is empty")
	}
	return c.write(ctx, api, name, func(ctx context.Context) (*string, error) {
		resp, err := c.ramClient().DeletePolicyWithContext(ctx, &ram.DeletePolicyRequest{PolicyName: dara.String(name)}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// AttachPolicyToUser attaches a policy at account scope. Attaching twice
// answers EntityAlreadyExists.User.Policy (ErrAlreadyExists).
func (c *Clients) AttachPolicyToUser(ctx context.Context, policyType, policyName, userName string) (string, error) {
	api := ramAPI("AttachPolicyToUser")
	if err := checkPolicyType(api, policyName, policyType); err != nil {
		return "", err
	}
	if userName == "" {
		return "", refuse(api, policyName, "user name is empty")
	}
	return c.write(ctx, api, userName, func(ctx context.Context) (*string, error) {
		resp, err := c.ramClient().AttachPolicyToUserWithContext(ctx, &ram.AttachPolicyToUserRequest{
			PolicyType: dara.String(policyType), PolicyName: dara.String(policyName), UserName: dara.String(userName),
		}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// DetachPolicyFromUser detaches a policy. Detaching one that is not
// attached answers EntityNotExist.User.Policy (ErrNotFound).
func (c *Clients) DetachPolicyFromUser(ctx context.Context, policyType, policyName, userName string) (string, error) {
	api := ramAPI("DetachPolicyFromUser")
	if err := checkPolicyType(api, policyName, policyType); err != nil {
		return "", err
	}
	if userName == "" {
		return "", refuse(api, policyName, "user name is empty")
	}
	return c.write(ctx, api, userName, func(ctx context.Context) (*string, error) {
		resp, err := c.ramClient().DetachPolicyFromUserWithContext(ctx, &ram.DetachPolicyFromUserRequest{
			PolicyType: dara.String(policyType), PolicyName: dara.String(policyName), UserName: dara.String(userName),
		}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}
