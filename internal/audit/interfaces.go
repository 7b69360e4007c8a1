package audit

import (
	"context"
	"encoding/json"
	"time"

	"github.com/akresp/akresp/internal/cloud"
)

// The audit's view of the cloud: small interfaces, each satisfied by
// *cloud.Clients (asserted in the tests), so unit tests use hand-written
// fakes and the lab tests the real clients.

// KeyOwnerReader resolves who owns an AccessKey and the key's own facts.
type KeyOwnerReader interface {
	// GetUserByAccessKey is IMS GetUser by key; cloud.ErrNotFound for
	// unknown and root-account keys.
	GetUserByAccessKey(ctx context.Context, keyID string) (cloud.User, error)
	// ListAccessKeys lists a user's keys; "" lists the caller's own (the
	// root account's keys when the caller is root).
	ListAccessKeys(ctx context.Context, userName string) ([]cloud.AccessKey, error)
	GetCallerIdentity(ctx context.Context) (cloud.CallerIdentity, error)
}

// EventLooker reads ActionTrail events (LookupEvents), one page at a time.
type EventLooker interface {
	LookupEvents(ctx context.Context, q cloud.LookupQuery, page func(events []json.RawMessage) error) error
}

// LastUsedReader reads a key's last-use facts: ActionTrail's
// GetAccessKeyLastUsed* (hourly refresh, up to 400 days back) and RAM's
// GetAccessKeyLastUsed.
type LastUsedReader interface {
	AccessKeyLastUsedInfo(ctx context.Context, keyID string) (cloud.LastUsedInfo, error)
	AccessKeyLastUsedProducts(ctx context.Context, keyID string) ([]cloud.LastUsedProduct, error)
	AccessKeyLastUsedIPs(ctx context.Context, keyID, service string) ([]cloud.LastUsedIP, error)
	AccessKeyLastUsedResources(ctx context.Context, keyID, service string) ([]cloud.LastUsedResource, error)
	GetAccessKeyLastUsed(ctx context.Context, userName, keyID string) (time.Time, error)
}

// Cloud is everything Investigate needs online.
type Cloud interface {
	KeyOwnerReader
	EventLooker
	LastUsedReader
}

// UserLister lists the account's RAM users.
type UserLister interface {
	ListUsers(ctx context.Context) ([]cloud.User, error)
}

// ConsoleReader reads a user's console access: login profile and MFA.
type ConsoleReader interface {
	// GetLoginProfile returns ok=false when the user has no console login.
	GetLoginProfile(ctx context.Context, userName string) (cloud.LoginProfile, bool, error)
	GetUserMFAInfo(ctx context.Context, userName string) (cloud.MFAInfo, error)
}

// CredentialReporter generates and reads the IMS credential report.
type CredentialReporter interface {
	CredentialReport(ctx context.Context) ([]cloud.CredentialReportRow, error)
}

// SweepCloud is everything Sweep needs.
type SweepCloud interface {
	UserLister
	ConsoleReader
	CredentialReporter
	ListAccessKeys(ctx context.Context, userName string) ([]cloud.AccessKey, error)
	GetAccessKeyLastUsed(ctx context.Context, userName, keyID string) (time.Time, error)
	GetCallerIdentity(ctx context.Context) (cloud.CallerIdentity, error)
	AccessKeyLastUsedInfo(ctx context.Context, keyID string) (cloud.LastUsedInfo, error)
}
