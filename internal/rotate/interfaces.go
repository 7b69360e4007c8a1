package rotate

import (
	"context"
	"encoding/json"
	"time"

	"github.com/akresp/akresp/internal/redact"
)

// Key is one AccessKey of a user as listed by the cloud.
type Key struct {
	ID         string
	Status     string // Active | Inactive
	CreateDate time.Time
}

// Key statuses as the RAM API spells them.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

// NewKey is the answer of CreateAccessKey. Secret is the only copy of the new
// secret; it lives in memory until the hand-over and is never persisted.
type NewKey struct {
	ID         string
	Secret     redact.Secret
	Status     string
	CreateDate time.Time
	RequestID  string
}

// Caller is the identity akresp runs as (sts:GetCallerIdentity).
type Caller struct {
	IdentityType string // Account | RAMUser | AssumedRoleUser
	AccountID    string
	Arn          string
}

// IsRoot reports whether the caller is the account's root identity.
func (c Caller) IsRoot() bool { return c.IdentityType == "Account" }

// LastUsedInfo is ActionTrail's GetAccessKeyLastUsedInfo answer.
type LastUsedInfo struct {
	Found       bool
	AccountType string // "root-account" | "ram-user" | ""
	ServiceName string
	Source      string
	UsedAt      time.Time
}

// Query is one LookupEvents condition over a time window.
type Query struct {
	AttributeKey   string
	AttributeValue string
	Start, End     time.Time
}

// Owner is the RAM user owning a key, as IMS GetUser answers it.
type Owner struct {
	UserName          string
	UserPrincipalName string // IMS addresses a user's key ACL by UPN
	// RequestID is the request that answered, also when it said "no RAM
	// user owns this key" (quoted by an unknown-key error).
	RequestID string
}

// OwnerResolver finds the RAM user owning a key. found is false when the
// key is unknown to IMS or belongs to the root account.
type OwnerResolver interface {
	UserByAccessKey(ctx context.Context, keyID string) (owner Owner, found bool, err error)
}

// KeyACLReadWriter reads and sets an AccessKey's network ACL (IMS
// GetAccessKeyPolicy / SetAccessKeyPolicy). upn is the owner's
// UserPrincipalName, "" for the caller's own (root) key. A document "" means
// the key has no ACL.
type KeyACLReadWriter interface {
	GetAccessKeyPolicy(ctx context.Context, keyID, upn string) (string, error)
	SetAccessKeyPolicy(ctx context.Context, keyID, upn, doc string) (requestID string, err error)
}

// KeyLister lists a user's keys; userName "" lists the caller's own keys
// (the root account's keys when the caller is root).
type KeyLister interface {
	ListAccessKeys(ctx context.Context, userName string) ([]Key, error)
}

// KeyCreator creates an AccessKey; userName "" creates one for the caller.
type KeyCreator interface {
	CreateAccessKey(ctx context.Context, userName string) (NewKey, error)
}

// KeyStatusSetter enables or disables a key and returns the request ID.
type KeyStatusSetter interface {
	UpdateAccessKeyStatus(ctx context.Context, userName, keyID, status string) (string, error)
}

// KeyDeleter deletes a key (into the IMS recycle bin) and returns the
// request ID.
type KeyDeleter interface {
	DeleteAccessKey(ctx context.Context, userName, keyID string) (string, error)
}

// LastUsedReader reads last-used facts: ActionTrail's per-key summary first,
// RAM's GetAccessKeyLastUsed as the fallback.
type LastUsedReader interface {
	AccessKeyLastUsedInfo(ctx context.Context, keyID string) (LastUsedInfo, error)
	GetAccessKeyLastUsed(ctx context.Context, userName, keyID string) (time.Time, error)
}

// EventLooker pages through ActionTrail LookupEvents.
type EventLooker interface {
	LookupEvents(ctx context.Context, q Query, page func([]json.RawMessage) error) error
}

// IdentityReader says who akresp runs as and with which AccessKey.
type IdentityReader interface {
	CallerIdentity(ctx context.Context) (Caller, error)
	// CredentialKeyID is the AccessKey ID akresp itself signs with
	// ("" when unknown).
	CredentialKeyID(ctx context.Context) (string, error)
}

// Cloud is everything the machine needs; each part is small so tests fake
// only what they use.
type Cloud interface {
	OwnerResolver
	KeyLister
	KeyCreator
	KeyStatusSetter
	KeyDeleter
	KeyACLReadWriter
	LastUsedReader
	EventLooker
	IdentityReader
}
