package cloud

import (
	"context"

	ram "github.com/alibabacloud-go/ram-20150501/v2/client"
	"github.com/alibabacloud-go/tea/dara"
)

// The RAM calls of eradicate's role, policy and MFA kinds: deleting roles
// the attacker created, reverting trust policies and default policy
// versions, detaching policies from roles and groups, and removing MFA
// devices the attacker bound.

// Role is a RAM role with its trust policy.
type Role struct {
	RoleName                 string
	Arn                      string
	AssumeRolePolicyDocument string
}

// PolicyEntities are the principals a policy is attached to
// (ListEntitiesForPolicy).
type PolicyEntities struct {
	Users, Groups, Roles []string
}

// GetRole reads a role and its trust policy (ErrNotFound: no such role).
func (c *Clients) GetRole(ctx context.Context, roleName string) (Role, error) {
	api := ramAPI("GetRole")
	if roleName == "" {
		return Role{}, refuse(api, "", "role name is empty")
	}
	var resp *ram.GetRoleResponse
	err := c.call(ctx, api, roleName, func(ctx context.Context) (err error) {
		resp, err = c.ramClient().GetRoleWithContext(ctx, &ram.GetRoleRequest{RoleName: dara.String(roleName)}, runtime())
		return err
	})
	if err != nil {
		return Role{}, err
	}
	if resp.Body == nil || resp.Body.Role == nil {
		return Role{RoleName: roleName}, nil
	}
	r := resp.Body.Role
	return Role{RoleName: str(r.RoleName), Arn: str(r.Arn), AssumeRolePolicyDocument: str(r.AssumeRolePolicyDocument)}, nil
}

// UpdateRoleTrust replaces a role's trust policy (UpdateRole
// NewAssumeRolePolicyDocument).
func (c *Clients) UpdateRoleTrust(ctx context.Context, roleName, document string) (string, error) {
	api := ramAPI("UpdateRole")
	if roleName == "" || document == "" {
		return "", refuse(api, roleName, "role name and trust policy are required")
	}
	return c.write(ctx, api, roleName, func(ctx context.Context) (*string, error) {
		resp, err := c.ramClient().UpdateRoleWithContext(ctx, &ram.UpdateRoleRequest{RoleName: dara.String(roleName), NewAssumeRolePolicyDocument: dara.String(document)}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// DeleteRole deletes a role. RAM refuses (DeleteConflict.Role.Policy)
// while policies are attached.
func (c *Clients) DeleteRole(ctx context.Context, roleName string) (string, error) {
	api := ramAPI("DeleteRole")
	if roleName == "" {
		return "", refuse(api, "", "role name is empty")
	}
	return c.write(ctx, api, roleName, func(ctx context.Context) (*string, error) {
		resp, err := c.ramClient().DeleteRoleWithContext(ctx, &ram.DeleteRoleRequest{RoleName: dara.String(roleName)}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// ListPoliciesForRole lists the policies attached to a role.
func (c *Clients) ListPoliciesForRole(ctx context.Context, roleName string) ([]AttachedPolicy, error) {
	api := ramAPI("ListPoliciesForRole")
	if roleName == "" {
		return nil, refuse(api, "", "role name is empty")
	}
	var resp *ram.ListPoliciesForRoleResponse
	err := c.call(ctx, api, roleName, func(ctx context.Context) (err error) {
		resp, err = c.ramClient().ListPoliciesForRoleWithContext(ctx, &ram.ListPoliciesForRoleRequest{RoleName: dara.String(roleName)}, runtime())
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []AttachedPolicy
	if resp.Body != nil && resp.Body.Policies != nil {
		for _, p := range resp.Body.Policies.Policy {
			if p != nil {
				out = append(out, AttachedPolicy{PolicyName: str(p.PolicyName), PolicyType: str(p.PolicyType), DefaultVersion: str(p.DefaultVersion),
					Description: str(p.Description), AttachDate: c.parseTime(api.name(), "AttachDate", str(p.AttachDate))})
			}
		}
	}
	return out, nil
}

// AttachPolicyToPrincipal attaches a policy to a role or group
// (principalType "Role" | "Group").
func (c *Clients) AttachPolicyToPrincipal(ctx context.Context, principalType, principal, policyType, policyName string) (string, error) {
	api := ramAPI("AttachPolicyTo" + principalType)
	if principal == "" || policyName == "" || (principalType != "Role" && principalType != "Group") {
		return "", refuse(api, principal, "want a Role or Group, its name and a policy name")
	}
	return c.write(ctx, api, principal, func(ctx context.Context) (*string, error) {
		if principalType == "Role" {
			resp, err := c.ramClient().AttachPolicyToRoleWithContext(ctx, &ram.AttachPolicyToRoleRequest{RoleName: dara.String(principal), PolicyType: dara.String(policyType), PolicyName: dara.String(policyName)}, runtime())
			if err != nil || resp.Body == nil {
				return nil, err
			}
			return resp.Body.RequestId, nil
		}
		resp, err := c.ramClient().AttachPolicyToGroupWithContext(ctx, &ram.AttachPolicyToGroupRequest{GroupName: dara.String(principal), PolicyType: dara.String(policyType), PolicyName: dara.String(policyName)}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// DetachPolicyFromPrincipal detaches a policy from a role or group.
func (c *Clients) DetachPolicyFromPrincipal(ctx context.Context, principalType, principal, policyType, policyName string) (string, error) {
	api := ramAPI("DetachPolicyFrom" + principalType)
	if principal == "" || policyName == "" || (principalType != "Role" && principalType != "Group") {
		return "", refuse(api, principal, "want a Role or Group, its name and a policy name")
	}
	return c.write(ctx, api, principal, func(ctx context.Context) (*string, error) {
		if principalType == "Role" {
			resp, err := c.ramClient().DetachPolicyFromRoleWithContext(ctx, &ram.DetachPolicyFromRoleRequest{RoleName: dara.String(principal), PolicyType: dara.String(policyType), PolicyName: dara.String(policyName)}, runtime())
			if err != nil || resp.Body == nil {
				return nil, err
			}
			return resp.Body.RequestId, nil
		}
		resp, err := c.ramClient().DetachPolicyFromGroupWithContext(ctx, &ram.DetachPolicyFromGroupRequest{GroupName: dara.String(principal), PolicyType: dara.String(policyType), PolicyName: dara.String(policyName)}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// ListEntitiesForPolicy lists the users, groups and roles a policy is
// attached to.
func (c *Clients) ListEntitiesForPolicy(ctx context.Context, policyType, policyName string) (PolicyEntities, error) {
	api := ramAPI("ListEntitiesForPolicy")
	if policyName == "" {
		return PolicyEntities{}, refuse(api, "", "policy name is empty")
	}
	var resp *ram.ListEntitiesForPolicyResponse
	err := c.call(ctx, api, policyName, func(ctx context.Context) (err error) {
		resp, err = c.ramClient().ListEntitiesForPolicyWithContext(ctx, &ram.ListEntitiesForPolicyRequest{PolicyType: dara.String(policyType), PolicyName: dara.String(policyName)}, runtime())
		return err
	})
	if err != nil {
		return PolicyEntities{}, err
	}
	var out PolicyEntities
	if b := resp.Body; b != nil {
		if b.Users != nil {
			for _, u := range b.Users.User {
				if u != nil {
					out.Users = append(out.Users, str(u.UserName))
				}
			}
		}
		if b.Groups != nil {
			for _, g := range b.Groups.Group {
				if g != nil {
					out.Groups = append(out.Groups, str(g.GroupName))
				}
			}
		}
		if b.Roles != nil {
			for _, r := range b.Roles.Role {
				if r != nil {
					out.Roles = append(out.Roles, str(r.RoleName))
				}
			}
		}
	}
	return out, nil
}

// SetDefaultPolicyVersion makes a version the default of a custom policy.
func (c *Clients) SetDefaultPolicyVersion(ctx context.Context, policyName, versionID string) (string, error) {
	api := ramAPI("SetDefaultPolicyVersion")
	if policyName == "" || versionID == "" {
		return "", refuse(api, policyName, "policy name and version are required")
	}
	return c.write(ctx, api, policyName, func(ctx context.Context) (*string, error) {
		resp, err := c.ramClient().SetDefaultPolicyVersionWithContext(ctx, &ram.SetDefaultPolicyVersionRequest{PolicyName: dara.String(policyName), VersionId: dara.String(versionID)}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// UnbindMFADevice unbinds a user's MFA device (EntityNotExist.User.MFADevice
// when none is bound: ErrNotFound).
func (c *Clients) UnbindMFADevice(ctx context.Context, userName string) (string, error) {
	api := ramAPI("UnbindMFADevice")
	if userName == "" {
		return "", refuse(api, "", "user name is empty")
	}
	return c.write(ctx, api, userName, func(ctx context.Context) (*string, error) {
		resp, err := c.ramClient().UnbindMFADeviceWithContext(ctx, &ram.UnbindMFADeviceRequest{UserName: dara.String(userName)}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// DeleteVirtualMFADevice deletes a virtual MFA device (unbound first).
func (c *Clients) DeleteVirtualMFADevice(ctx context.Context, serialNumber string) (string, error) {
	api := ramAPI("DeleteVirtualMFADevice")
	if serialNumber == "" {
		return "", refuse(api, "", "serial number is empty")
	}
	return c.write(ctx, api, serialNumber, func(ctx context.Context) (*string, error) {
		resp, err := c.ramClient().DeleteVirtualMFADeviceWithContext(ctx, &ram.DeleteVirtualMFADeviceRequest{SerialNumber: dara.String(serialNumber)}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}
