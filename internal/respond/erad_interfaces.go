package respond

import (
	"context"

	"github.com/akresp/akresp/internal/cloud"
)

// The cloud `akresp eradicate` needs beyond contain's interfaces; each is
// used by one action kind (erad_*.go). *cloud.Clients satisfies them.

// LoginProfileDeleter removes a user's console login.
type LoginProfileDeleter interface {
	DeleteLoginProfile(ctx context.Context, userName string) (string, error)
}

// GroupMembership lists and changes a user's groups.
type GroupMembership interface {
	ListGroupsForUser(ctx context.Context, userName string) ([]cloud.Group, error)
	RemoveUserFromGroup(ctx context.Context, userName, groupName string) (string, error)
	AddUserToGroup(ctx context.Context, userName, groupName string) (string, error)
}

// UserDeleter deletes a RAM user.
type UserDeleter interface {
	DeleteUser(ctx context.Context, userName string) (string, error)
}

// InstanceManager reads, stops, starts and releases ECS instances.
type InstanceManager interface {
	DescribeInstancesIn(ctx context.Context, region string, ids []string) ([]cloud.Instance, error)
	StopInstancesIn(ctx context.Context, region string, ids []string, stopCharging bool) (string, error)
	StartInstancesIn(ctx context.Context, region string, ids []string) (string, error)
	DeleteInstancesIn(ctx context.Context, region string, ids []string) (string, error)
}

// SecurityGroupRuleManager reads, adds and removes security-group rules.
type SecurityGroupRuleManager interface {
	SecurityGroupRules(ctx context.Context, region, groupID string) ([]cloud.SecurityGroupRule, error)
	AuthorizeSecurityGroupRule(ctx context.Context, region, groupID string, r cloud.SecurityGroupRule) (string, error)
	RevokeSecurityGroupRule(ctx context.Context, region, groupID string, r cloud.SecurityGroupRule) (string, error)
}

// BillReader reads instance bills (BSS QueryInstanceBill); optional.
type BillReader interface {
	QueryInstanceBill(ctx context.Context, billingCycle, productCode string) ([]cloud.BillItem, error)
}

// RoleManager reads, re-trusts and deletes RAM roles (erad_role.go).
type RoleManager interface {
	GetRole(ctx context.Context, roleName string) (cloud.Role, error)
	UpdateRoleTrust(ctx context.Context, roleName, document string) (string, error)
	DeleteRole(ctx context.Context, roleName string) (string, error)
	ListPoliciesForRole(ctx context.Context, roleName string) ([]cloud.AttachedPolicy, error)
}

// PrincipalPolicyAttacher lists, attaches and detaches the policies of a
// role or group (principal type "Role" | "Group").
type PrincipalPolicyAttacher interface {
	ListPoliciesForRole(ctx context.Context, roleName string) ([]cloud.AttachedPolicy, error)
	ListPoliciesForGroup(ctx context.Context, groupName string) ([]cloud.AttachedPolicy, error)
	AttachPolicyToPrincipal(ctx context.Context, principalType, principal, policyType, policyName string) (string, error)
	DetachPolicyFromPrincipal(ctx context.Context, principalType, principal, policyType, policyName string) (string, error)
}

// PolicyEradicator deletes custom policies and reverts their default
// version (erad_policy.go).
type PolicyEradicator interface {
	PolicyReader
	PolicyWriter
	ListEntitiesForPolicy(ctx context.Context, policyType, policyName string) (cloud.PolicyEntities, error)
	SetDefaultPolicyVersion(ctx context.Context, policyName, versionID string) (string, error)
}

// MFARemover unbinds and deletes a user's MFA device (erad_mfa.go).
type MFARemover interface {
	GetUserMFAInfo(ctx context.Context, userName string) (cloud.MFAInfo, error)
	UnbindMFADevice(ctx context.Context, userName string) (string, error)
	DeleteVirtualMFADevice(ctx context.Context, serialNumber string) (string, error)
}

// KeyPairManager reads and deletes ECS SSH key pairs (erad_keypair.go).
type KeyPairManager interface {
	KeyPairExists(ctx context.Context, region, name string) (bool, error)
	DeleteKeyPair(ctx context.Context, region, name string) (string, error)
}

// CommandManager reads and deletes Cloud Assistant commands
// (erad_command.go).
type CommandManager interface {
	CommandExists(ctx context.Context, region, commandID string) (bool, error)
	DeleteCommandIn(ctx context.Context, region, commandID string) (string, error)
}

// BandwidthSetter sets an instance's outbound public bandwidth
// (erad_bandwidth.go).
type BandwidthSetter interface {
	ModifyInstanceBandwidthIn(ctx context.Context, region, instanceID string, mbps int) (string, error)
}

// EradicateCloud is what `eradicate` needs.
type EradicateCloud interface {
	Operator
	KeyLister
	KeyStatusSetter
	KeyDeleter
	PolicyAttacher
	LoginProfileManager
	UserGetter
	LoginProfileDeleter
	GroupMembership
	UserDeleter
	InstanceManager
	SecurityGroupRuleManager
	RoleManager
	PrincipalPolicyAttacher
	PolicyEradicator
	MFARemover
	KeyPairManager
	CommandManager
	BandwidthSetter
}

// registerEradicateKind registers the undo rebuild of a kind whose
// resource works on an EradicateCloud.
func registerEradicateKind(kind string, f func(c EradicateCloud, before, after []byte) (resource, any, any, error)) {
	registerKind(kind, func(c any, b, a []byte) (resource, any, any, error) {
		ec, err := cloudAs[EradicateCloud](c, kind)
		if err != nil {
			return nil, nil, nil, err
		}
		return f(ec, b, a)
	})
}
