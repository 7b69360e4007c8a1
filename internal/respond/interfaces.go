package respond

import (
	"context"
	"time"

	"github.com/akresp/akresp/internal/cloud"
)

// Small consumer interfaces (STYLE 7). *cloud.Clients satisfies all of them;
// tests use hand-written fakes.

// OwnerResolver finds the RAM user that owns an AccessKey (IMS GetUser by
// UserAccessKeyId). It returns an error matching cloud.ErrNotFound for an
// unknown key or a key of the root account.
type OwnerResolver interface {
	GetUserByAccessKey(ctx context.Context, keyID string) (cloud.User, error)
}

// KeyLister lists a user's AccessKeys ("" = the caller's own keys).
type KeyLister interface {
	ListAccessKeys(ctx context.Context, userName string) ([]cloud.AccessKey, error)
}

// ACLReader reads the key-level AccessKey network policy ("" = none).
type ACLReader interface {
	GetAccessKeyPolicy(ctx context.Context, keyID, userPrincipalName string) (string, error)
}

// AccountACLReader reads the account-level AccessKey network policy
// ("" = none; IMS GetAccessKeyPolicyForAccount). It is read with every
// read of a key-level policy: the two together decide what applies.
type AccountACLReader interface {
	GetAccessKeyPolicyForAccount(ctx context.Context) (string, error)
}

// ACLSetter sets the key-level AccessKey network policy.
type ACLSetter interface {
	SetAccessKeyPolicy(ctx context.Context, keyID, userPrincipalName, policyJSON string) (string, error)
}

// PolicyReader reads a custom policy and its versions.
type PolicyReader interface {
	GetPolicy(ctx context.Context, name, policyType string) (cloud.Policy, error)
	ListPolicyVersions(ctx context.Context, name, policyType string) ([]cloud.PolicyVersion, error)
}

// PolicyWriter creates, versions and deletes a custom policy.
type PolicyWriter interface {
	CreatePolicy(ctx context.Context, name, document, description string) (string, error)
	CreatePolicyVersion(ctx context.Context, name, document string, setDefault bool) (cloud.PolicyVersion, string, error)
	DeletePolicyVersion(ctx context.Context, name, versionID string) (string, error)
	DeletePolicy(ctx context.Context, name string) (string, error)
}

// PolicyAttacher lists, attaches and detaches a user's policies.
type PolicyAttacher interface {
	ListPoliciesForUser(ctx context.Context, userName string) ([]cloud.AttachedPolicy, error)
	AttachPolicyToUser(ctx context.Context, policyType, policyName, userName string) (string, error)
	DetachPolicyFromUser(ctx context.Context, policyType, policyName, userName string) (string, error)
}

// LoginProfileManager reads a console login profile and sets its
// MFA-at-next-login flag.
type LoginProfileManager interface {
	GetLoginProfile(ctx context.Context, userName string) (cloud.LoginProfile, bool, error)
	UpdateLoginProfileMFA(ctx context.Context, userName string, mfaBindRequired bool) (string, error)
}

// UserGetter reads a RAM user (identities the leaked key created).
type UserGetter interface {
	GetUser(ctx context.Context, userName string) (cloud.User, error)
}

// KeyStatusSetter activates or deactivates an AccessKey.
type KeyStatusSetter interface {
	UpdateAccessKeyStatus(ctx context.Context, userName, keyID, status string) (string, error)
}

// KeyDeleter deletes an AccessKey.
type KeyDeleter interface {
	DeleteAccessKey(ctx context.Context, userName, keyID string) (string, error)
}

// LastUsedReader reads a key's last use from ActionTrail's AccessKey audit.
type LastUsedReader interface {
	AccessKeyLastUsedInfo(ctx context.Context, keyID string) (cloud.LastUsedInfo, error)
	AccessKeyLastUsedIPs(ctx context.Context, keyID, service string) ([]cloud.LastUsedIP, error)
}

// RAMLastUsedReader is RAM's coarser GetAccessKeyLastUsed, the fallback when
// ActionTrail's AccessKey audit has nothing.
type RAMLastUsedReader interface {
	GetAccessKeyLastUsed(ctx context.Context, userName, keyID string) (time.Time, error)
}

// Operator identifies who akresp runs as and where it sends calls.
type Operator interface {
	GetCallerIdentity(ctx context.Context) (cloud.CallerIdentity, error)
	CredentialKeyID(ctx context.Context) (string, error)
	Endpoint() string
}

// RecycleBinLister is an optional capability (STYLE 8), found by type
// assertion: the IMS AccessKey recycle bin.
type RecycleBinLister interface {
	ListAccessKeysInRecycleBin(ctx context.Context, userID string) ([]cloud.AccessKey, error)
}

// ContainCloud is what `contain` needs: the union of the small interfaces
// above, each of which is used by one action or lookup.
type ContainCloud interface {
	Operator
	OwnerResolver
	KeyLister
	ACLReader
	AccountACLReader
	ACLSetter
	PolicyReader
	PolicyWriter
	PolicyAttacher
	LoginProfileManager
	UserGetter
	KeyStatusSetter
}

// DisableCloud is what `disable` needs.
type DisableCloud interface {
	Operator
	OwnerResolver
	KeyLister
	KeyStatusSetter
	KeyDeleter
	LastUsedReader
}
