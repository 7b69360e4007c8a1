package lab

import (
	"encoding/json"
	"time"
)

// World is the whole state of the emulated Alibaba Cloud account. The server
// holds one World behind a mutex; scenario loading builds one. Field names are
// exported so tests can inspect a snapshot (Server.State) and compare two.
//
// Everything in here is plain data: no methods with side effects live in this
// file. Maps are keyed by the natural name (user name, policy name, AK id).
type World struct {
	Account Account `json:"account"`

	Users       map[string]*User         `json:"users"`                 // by UserName
	AccessKeys  map[string]*AccessKey    `json:"access_keys"`           // by AccessKey ID; root keys have Owner == ""
	Policies    map[string]*Policy       `json:"policies"`              // custom policies by name (system ones are built in, see SystemPolicies)
	Attachments []Attachment             `json:"attachments"`           // policy attachments to users, groups, roles
	Groups      map[string]*Group        `json:"groups"`                // by GroupName
	Roles       map[string]*Role         `json:"roles"`                 // by RoleName
	Logins      map[string]*LoginProfile `json:"login_profiles"`        // by UserName
	MFADevices  map[string]*MFADevice    `json:"mfa_devices"`           // by UserName
	RecycleBin  map[string]*RecycledKey  `json:"recycle_bin"`           // deleted access keys by ID
	AccountACL  *AKPolicy                `json:"account_acl,omitempty"` // account-level AccessKey network policy
	STSTokens   map[string]*STSToken     `json:"-"`                     // by temporary AccessKey ID (STS.*)
	Leaks       []*Leak                  `json:"leaks,omitempty"`       // Security Center AccessKey leak records (sas.go)
	ECS         *ECS                     `json:"ecs,omitempty"`         // ECS instances and security groups (ecs.go); nil until used
	// Trails and InsightTypes seed the server's trails and enabled
	// Insights types (trails.go, insights.go); the server keeps them.
	Trails       []*TrailSeed `json:"-"`
	InsightTypes []string     `json:"-"`

	// Events is the recorded ActionTrail history, oldest first. Scenario
	// history and every call the server answers are appended here.
	Events []Event `json:"-"`

	// keyIdx indexes AccessKeys by owner (world.go keysOf); nil = rebuild.
	keyIdx *ownerKeys
	// VirtualMFADevices are virtual MFA devices created and not bound to a
	// user (ram_mfa.go), by serial number.
	VirtualMFADevices map[string]*MFADevice `json:"virtual_mfa_devices,omitempty"`
}

// Account is the Alibaba Cloud account the lab emulates.
type Account struct {
	ID    string `json:"id"`    // 16 digits
	Alias string `json:"alias"` // used in UserPrincipalName: <user>@<alias>.onaliyun.com
}

// User is a RAM user.
type User struct {
	UserID        string    `json:"user_id"`
	UserName      string    `json:"user_name"`
	DisplayName   string    `json:"display_name"`
	Email         string    `json:"email,omitempty"`
	MobilePhone   string    `json:"mobile_phone,omitempty"`
	Comments      string    `json:"comments,omitempty"`
	CreateDate    time.Time `json:"create_date"`
	UpdateDate    time.Time `json:"update_date"`
	LastLoginDate time.Time `json:"last_login_date,omitzero"`
}

// AccessKey is a permanent AccessKey pair. Owner is the RAM user name, or ""
// for a key of the root account.
type AccessKey struct {
	ID         string    `json:"id"`
	Secret     string    `json:"-"` // never serialised
	Owner      string    `json:"owner"`
	Status     string    `json:"status"` // Active | Inactive
	CreateDate time.Time `json:"create_date"`
	UpdateDate time.Time `json:"update_date"`
	// Policy is the key-level AccessKey network policy (IMS
	// SetAccessKeyPolicy); nil means none was ever set.
	Policy *AKPolicy `json:"policy,omitempty"`
}

// RecycledKey is an access key deleted through IMS/RAM and kept in the
// recycle bin (retention 31 days, see alibaba-cloud-api.md section 11).
type RecycledKey struct {
	Key         AccessKey `json:"key"`
	RecycleDate time.Time `json:"recycle_date"`
	DeleteDate  time.Time `json:"delete_date"`
}

// AKPolicy is an AccessKey network access policy. Raw is the JSON document
// exactly as it was set (GetAccessKeyPolicy echoes it); the other fields are
// its parsed form.
type AKPolicy struct {
	Raw        string        `json:"raw"`
	Version    int           `json:"version"`
	Status     string        `json:"status"` // Active | Inactive
	Statements []AKStatement `json:"statements"`
}

// AKStatement is one statement of an AccessKey network policy.
type AKStatement struct {
	Type   string   `json:"type"`            // ClassicWhiteList | VPCWhiteList
	Value  string   `json:"value,omitempty"` // VPC id for VPCWhiteList
	IPList []string `json:"ip_list"`
}

// Policy is a custom RAM policy with its versions (at most 5).
type Policy struct {
	Name           string           `json:"name"`
	Type           string           `json:"type"` // Custom (system policies live in SystemPolicies)
	Description    string           `json:"description,omitempty"`
	DefaultVersion string           `json:"default_version"`
	Versions       []*PolicyVersion `json:"versions"`
	NextVersion    int              `json:"next_version"` // number of the next vN to create
	CreateDate     time.Time        `json:"create_date"`
	UpdateDate     time.Time        `json:"update_date"`
}

// PolicyVersion is one version of a custom policy. Document is the JSON text.
type PolicyVersion struct {
	VersionID  string    `json:"version_id"` // v1, v2, ...
	Document   string    `json:"document"`
	CreateDate time.Time `json:"create_date"`
}

// Attachment binds a policy to a principal.
type Attachment struct {
	PolicyName    string    `json:"policy_name"`
	PolicyType    string    `json:"policy_type"`    // System | Custom
	PrincipalType string    `json:"principal_type"` // User | Group | Role
	PrincipalName string    `json:"principal_name"`
	AttachDate    time.Time `json:"attach_date"`
}

// Group is a RAM user group.
type Group struct {
	GroupName  string               `json:"group_name"`
	GroupID    string               `json:"group_id"`
	Comments   string               `json:"comments,omitempty"`
	CreateDate time.Time            `json:"create_date"`
	Members    map[string]time.Time `json:"members"` // user name -> join date
}

// Role is a RAM role.
type Role struct {
	RoleName                 string    `json:"role_name"`
	RoleID                   string    `json:"role_id"`
	Arn                      string    `json:"arn"`
	Description              string    `json:"description,omitempty"`
	AssumeRolePolicyDocument string    `json:"assume_role_policy_document"`
	MaxSessionDuration       int64     `json:"max_session_duration"`
	CreateDate               time.Time `json:"create_date"`
	UpdateDate               time.Time `json:"update_date"`
}

// LoginProfile is a RAM user's console login.
type LoginProfile struct {
	UserName              string    `json:"user_name"`
	Status                string    `json:"status"` // Active | Inactive
	PasswordResetRequired bool      `json:"password_reset_required"`
	MFABindRequired       bool      `json:"mfa_bind_required"`
	CreateDate            time.Time `json:"create_date"`
	UpdateDate            time.Time `json:"update_date"`
	LastLoginTime         time.Time `json:"last_login_time,omitzero"`
}

// MFADevice is a virtual MFA device bound to a user.
type MFADevice struct {
	UserName     string    `json:"user_name"`
	SerialNumber string    `json:"serial_number"`
	Type         string    `json:"type"` // VMFA | U2F
	BindDate     time.Time `json:"bind_date"`
}

// STSToken is a temporary credential issued by AssumeRole.
type STSToken struct {
	AccessKeyID   string    `json:"access_key_id"` // STS.xxxx
	Secret        string    `json:"-"`
	SecurityToken string    `json:"-"`
	RoleName      string    `json:"role_name"`
	SessionName   string    `json:"session_name"`
	SessionPolicy string    `json:"session_policy,omitempty"`
	SourceKeyID   string    `json:"source_key_id"` // the permanent key that assumed the role
	Expiration    time.Time `json:"expiration"`
}

// Event is one ActionTrail event in the real event schema (keys are the
// lowerCamelCase names ActionTrail uses; see alibaba-cloud-api.md section 14).
// It is what LookupEvents returns and what the GetAccessKeyLastUsed* calls
// summarise.
type Event struct {
	EventID             string              `json:"eventId"`
	EventVersion        int                 `json:"eventVersion"`
	EventName           string              `json:"eventName"`
	EventType           string              `json:"eventType"`     // ApiCall | ConsoleSignin | ConsoleOperation | AliyunServiceEvent
	EventCategory       string              `json:"eventCategory"` // Management | Data
	EventRW             string              `json:"eventRW"`       // Read | Write
	EventSource         string              `json:"eventSource"`   // e.g. ram.aliyuncs.com
	EventTime           string              `json:"eventTime"`     // UTC 2006-01-02T15:04:05Z
	ServiceName         string              `json:"serviceName"`   // Ram | Ims | Actiontrail | Sts | Ecs | Rds | Dysms
	APIVersion          string              `json:"apiVersion"`
	AcsRegion           string              `json:"acsRegion"`
	RequestID           string              `json:"requestId"`
	SourceIPAddress     string              `json:"sourceIpAddress"`
	UserAgent           string              `json:"userAgent"`
	RequestParameters   map[string]any      `json:"requestParameters,omitempty"` // never holds secrets or signatures
	ResponseElements    map[string]any      `json:"responseElements,omitempty"`  // never holds secrets
	ReferencedResources map[string][]string `json:"referencedResources,omitempty"`
	ResourceName        string              `json:"resourceName,omitempty"`
	ResourceType        string              `json:"resourceType,omitempty"`
	ErrorCode           string              `json:"errorCode,omitempty"`
	ErrorMessage        string              `json:"errorMessage,omitempty"`
	IsGlobal            bool                `json:"isGlobal"`
	RecipientAccountID  string              `json:"recipientAccountId"`
	UserIdentity        UserIdentity        `json:"userIdentity"`

	// Time is EventTime parsed; the server keeps Events sorted by it.
	Time time.Time `json:"-"`
}

// UserIdentity is the event's caller.
type UserIdentity struct {
	Type        string `json:"type"` // root-account | ram-user | assumed-role
	PrincipalID string `json:"principalId"`
	AccountID   string `json:"accountId"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	UserName    string `json:"userName"`
}

// MarshalRaw returns the event as ActionTrail JSON.
func (e Event) MarshalRaw() json.RawMessage {
	b, _ := json.Marshal(e)
	return b
}

// NewWorld returns an empty world for the given account with every map
// allocated.
func NewWorld(acct Account) *World {
	return &World{
		Account:    acct,
		Users:      map[string]*User{},
		AccessKeys: map[string]*AccessKey{},
		Policies:   map[string]*Policy{},
		Groups:     map[string]*Group{},
		Roles:      map[string]*Role{},
		Logins:     map[string]*LoginProfile{},
		MFADevices: map[string]*MFADevice{},
		RecycleBin: map[string]*RecycledKey{},
		STSTokens:  map[string]*STSToken{},
	}
}
