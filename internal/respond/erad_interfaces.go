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
}

// eradicateKind rebuilds an action's resource and states from a journal
// record (for --undo); every kind registers one in its own file.
type eradicateKind func(c EradicateCloud, before, after []byte) (resource, any, any, error)

var eradicateKinds = map[string]eradicateKind{}
