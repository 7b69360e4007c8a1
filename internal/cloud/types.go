package cloud

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/akresp/akresp/internal/redact"
)

// Plain values returned by *Clients. Times are UTC; a zero time means the
// service did not report one (never used, never logged in, ...).

// User is a RAM user.
type User struct {
	UserID            string
	UserName          string
	DisplayName       string
	Comments          string
	UserPrincipalName string // only from IMS (GetUserByAccessKey); "" from RAM
	Status            string // only from IMS when reported; "" otherwise
	CreateDate        time.Time
	UpdateDate        time.Time
	LastLoginDate     time.Time
}

// AccessKey is one AccessKey as listed (no secret).
type AccessKey struct {
	AccessKeyID string
	Status      string // "Active" | "Inactive"; "" for keys in the recycle bin
	CreateDate  time.Time
}

// NewAccessKey is a freshly created AccessKey. Secret is only ever returned
// by CreateAccessKey and prints as [REDACTED].
type NewAccessKey struct {
	AccessKeyID string
	Secret      redact.Secret
	Status      string
	CreateDate  time.Time
	RequestID   string
}

// LoginProfile is a user's console logon profile. RAM's GetLoginProfile
// does not report a status, so Status is "" (unknown) from that API.
type LoginProfile struct {
	UserName              string
	Status                string
	PasswordResetRequired bool
	MFABindRequired       bool
	CreateDate            time.Time
}

// MFAInfo says whether a user has an MFA device bound.
type MFAInfo struct {
	Enabled      bool
	SerialNumber string
	Type         string // "VMFA", "U2F", ...
}

// AttachedPolicy is a policy attached to a user or group.
type AttachedPolicy struct {
	PolicyName     string
	PolicyType     string // "System" | "Custom"
	DefaultVersion string
	Description    string
	AttachDate     time.Time
}

// Policy is a RAM policy with its default version's document.
type Policy struct {
	PolicyName      string
	PolicyType      string
	Description     string
	DefaultVersion  string
	Document        string
	AttachmentCount int
	CreateDate      time.Time
	UpdateDate      time.Time
}

// PolicyVersion is one version of a RAM policy.
type PolicyVersion struct {
	VersionID  string
	IsDefault  bool
	Document   string
	CreateDate time.Time
}

// Group is a RAM group a user belongs to.
type Group struct {
	GroupName string
	Comments  string
	JoinDate  time.Time
}

// CallerIdentity is STS GetCallerIdentity's answer.
type CallerIdentity struct {
	IdentityType string // "Account" | "RAMUser" | "AssumedRoleUser"
	AccountID    string
	Arn          string
	PrincipalID  string
	UserID       string
	RoleID       string
}

// STSCredentials are temporary credentials from AssumeRole.
type STSCredentials struct {
	AccessKeyID     string
	AccessKeySecret redact.Secret
	SecurityToken   redact.Secret
	Expiration      time.Time
}

// LookupQuery selects ActionTrail events. Only one attribute per query is
// supported by the service.
type LookupQuery struct {
	AttributeKey   string // e.g. "EventAccessKeyId", "User", "EventName"; "" = none
	AttributeValue string
	Start, End     time.Time // zero = service default (now-7d / now)
	PageSize       int       // 1-50, 0 = 50
	Direction      string    // "" or "BACKWARD" (newest first) | "FORWARD"
}

// LastUsedInfo is ActionTrail's AccessKey audit summary.
type LastUsedInfo struct {
	Found       bool // false: the service has no usage data for the key
	AccessKeyID string
	AccountID   string
	AccountType string // "root-account" | "ram-user"
	UserName    string
	ServiceName string
	Source      string // "ManagementEvent" | "DataEvent" | "Internal"
	UsedAt      time.Time
	Detail      json.RawMessage // the event the record came from; nil if none
}

// LastUsedProduct is one service an AccessKey was used with.
type LastUsedProduct struct {
	ServiceName string
	Source      string
	UsedAt      time.Time
	Detail      json.RawMessage
}

// LastUsedEvent is one API an AccessKey called.
type LastUsedEvent struct {
	EventName string
	Source    string
	UsedAt    time.Time
	Detail    json.RawMessage
}

// LastUsedIP is one source IP an AccessKey was used from.
type LastUsedIP struct {
	IP     string
	Source string
	UsedAt time.Time
	Detail json.RawMessage
}

// LastUsedResource is one resource an AccessKey touched.
type LastUsedResource struct {
	ResourceName string
	ResourceType string
	Source       string
	UsedAt       time.Time
	Detail       json.RawMessage
}

// CredentialReportRow is one line of the IMS credential report.
type CredentialReportRow struct {
	User           string // UPN, or "<root_account>"
	UserCreated    time.Time
	LastLogon      time.Time
	PasswordExist  bool
	PasswordActive bool
	MFAActive      bool
	Keys           []CredentialReportKey
}

// CredentialReportKey is one AccessKey slot of a credential report row.
type CredentialReportKey struct {
	Slot        string // "access_key_1", "access_key_2", "additional_access_key_1", ...
	Exist       bool
	Active      bool
	LastRotated time.Time
	LastUsed    time.Time
}

// Types that hold secrets also implement fmt.Formatter. redact.Secret
// alone is not enough: when fmt meets a verb it cannot apply (say %s on a
// struct pointer nested in another struct) it prints the value in an
// "erroring" mode that skips Format and String methods, which would show
// a Secret field's bytes. Formatting the whole struct ourselves, always
// with a v verb, keeps fmt on the method-calling path.

// Format implements fmt.Formatter; the secret prints as [REDACTED].
func (k NewAccessKey) Format(f fmt.State, verb rune) {
	type plain NewAccessKey
	formatRedacted(f, verb, plain(k))
}

// Format implements fmt.Formatter; secret and token print as [REDACTED].
func (c STSCredentials) Format(f fmt.State, verb rune) {
	type plain STSCredentials
	formatRedacted(f, verb, plain(c))
}

func formatRedacted(f fmt.State, verb rune, v any) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprintf(f, "%#v", v)
	case verb == 'v' && f.Flag('+'):
		fmt.Fprintf(f, "%+v", v)
	default:
		fmt.Fprintf(f, "%v", v)
	}
}
