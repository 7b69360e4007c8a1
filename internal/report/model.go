package report

import (
	"encoding/json"
	"time"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/policy"
)

// SchemaVersion names the JSON schema of Document. Field names under it are
// stable; a breaking change bumps the version.
const SchemaVersion = "akresp.report/v3"

// Key states (Summary.State).
const (
	StateOpen               = "open"                // nothing akresp did keeps the key from being used
	StatePartiallyContained = "partially_contained" // the last containment did not fully hold
	StateContained          = "contained"           // network ACL and deny policy hold
	StateDisabled           = "disabled"            // the key is Inactive
	StateRotated            = "rotated"             // replaced by a new key; the old one is disabled or deleted
	StateDeleted            = "deleted"             // the key no longer exists
)

// IP classes of the chart and of Source.Class.
const (
	ClassTrusted      = "trusted"       // inside --trusted-cidr, or seen before the baseline ended and not flagged
	ClassUntrustedNew = "untrusted-new" // first seen after the baseline ended, not flagged
	ClassFlagged      = "flagged"       // the audit flagged the source (new + untrusted, scanner ...)
)

// Classes lists the IP classes in chart order.
var Classes = []string{ClassTrusted, ClassUntrustedNew, ClassFlagged}

// Document is the whole incident report. Its JSON form is the -o json
// output (schema SchemaVersion); every time in it is UTC.
type Document struct {
	SchemaVersion string    `json:"schema_version"`
	GeneratedAt   time.Time `json:"generated_at"`
	Generator     string    `json:"generator,omitempty"` // "akresp <version>"
	// Mode is "online" (events from ActionTrail and live facts) or
	// "offline" (trail files only, no live facts).
	Mode            string              `json:"mode"`
	Summary         Summary             `json:"summary"`
	Timeline        []TimelineEntry     `json:"timeline"`
	Sources         []Source            `json:"source_ips"`
	Services        []Service           `json:"services"`
	Sensitive       []SensitiveCategory `json:"sensitive_events"`
	Findings        []Finding           `json:"findings"`
	Created         []CreatedIdentity   `json:"created_identities"`
	Actions         []Action            `json:"actions_taken"`
	Risks           []Risk              `json:"open_risks"`
	Recommendations []Recommendation    `json:"recommendations"`
	// STS is the plan to move the workload off long-lived keys; nil for a
	// root-account key or an unknown owner.
	STS   *STSPlan `json:"sts_migration,omitempty"`
	Chart Chart    `json:"chart"`
	// Cost is the attacker's spend (online, when eradicate's cost code
	// found the attacker's instances); nil otherwise.
	Cost     *Cost     `json:"cost,omitempty"`
	Evidence *Evidence `json:"evidence,omitempty"`
	// Incident is the responder's activity after containment and the
	// attacker's attempts the fence refused, left out of the evidence (from
	// the audit); nil without an incident record.
	Incident    *audit.IncidentSummary `json:"incident,omitempty"`
	Caveats     []string               `json:"caveats"`
	Diagnostics []Diagnostic           `json:"diagnostics"`
}

// Summary is the top of the report.
type Summary struct {
	AccessKeyID string `json:"access_key_id"`
	Owner       string `json:"user_name,omitempty"`
	OwnerType   string `json:"identity_type,omitempty"` // ram-user | root-account | unknown
	AccountID   string `json:"account_id,omitempty"`
	// KeyStatus is the key's status now (live) or as the audit saw it:
	// Active | Inactive | Deleted | "" (unknown).
	KeyStatus      string         `json:"key_status,omitempty"`
	Verdict        string         `json:"verdict"` // idle | in_use | suspected_leak
	Severity       audit.Severity `json:"severity"`
	VerdictSummary string         `json:"verdict_summary"`
	Reasons        []string       `json:"reasons"`
	// MoreFindings counts the findings behind the verdict Reasons leaves
	// out.
	MoreFindings int `json:"more_findings,omitempty"`
	// State is open | partially_contained | contained | disabled | rotated
	// | deleted; StateDetail says what it rests on.
	State       string `json:"state"`
	StateDetail string `json:"state_detail"`
	// FirstSuspicious is the first suspicious event (the earliest high or
	// critical finding; else the leak time; else the first flagged source),
	// FirstSuspiciousBasis says which.
	FirstSuspicious      time.Time `json:"first_suspicious,omitzero"`
	FirstSuspiciousBasis string    `json:"first_suspicious_basis,omitempty"`
	// ContainedAt is the first successful containment outcome in the
	// journal (network ACL, deny policy, disable, rotation's disable).
	ContainedAt    time.Time `json:"contained_at,omitzero"`
	ContainedBy    string    `json:"contained_by,omitempty"`         // the action, e.g. "contain set-network-acl"
	TimeToContain  string    `json:"time_to_contain_text,omitempty"` // for people: "4h 30m"
	TimeToContainS int64     `json:"time_to_contain_seconds,omitempty"`
	AttackerIPs    []string  `json:"attacker_ips"`
	WindowSince    time.Time `json:"window_since,omitzero"`
	WindowUntil    time.Time `json:"window_until,omitzero"`
	LeakTime       time.Time `json:"leak_time,omitzero"`
	Events         int       `json:"events"`
	LiveCheckedAt  time.Time `json:"live_checked_at,omitzero"`
	// JournalHead is the SHA-256 hash-chain head over akresp's journals of
	// the key, verified when the report was made: quote it to show that the
	// actions listed are the journal's, unedited.
	JournalHead string `json:"journal_chain_head,omitempty"`
	NetworkACL  string `json:"network_acl_summary,omitempty"` // human summary of the key's ACL now
	// EffectiveNetworkPolicy is the network policy that applies to the key
	// now (account and key level, and which wins); nil when not read.
	EffectiveNetworkPolicy *NetworkPolicy `json:"effective_network_policy,omitempty"`
	// DenyPolicy is whether the deny-high-risk policy is attached to the
	// key's owner now; nil when the owner's policies were not read.
	DenyPolicy      *DenyPolicyState `json:"deny_policy,omitempty"`
	OpenRiskCount   int              `json:"open_risk_count"`
	HighestRiskRank string           `json:"highest_risk,omitempty"`
	// LeakRecords are Security Center's AccessKey leak records of the key
	// (online only; none when the key has no record or SAS was not read).
	LeakRecords []LeakRecord `json:"leak_records,omitempty"`
}

// NetworkPolicy is the AccessKey network policy that applies to a key,
// decided from its key-level and account-level documents as contain
// --status decides it (respond.EffectivePolicy). The documents are
// objects in Alibaba Cloud's format, null when there is none.
type NetworkPolicy struct {
	Source            string         `json:"source"`   // key | account | none | unknown
	Document          policy.DocText `json:"document"` // the policy that applies
	KeyLevel          policy.DocText `json:"key_level"`
	AccountLevel      policy.DocText `json:"account_level"`                 // null also when it could not be read
	AccountLevelError string         `json:"account_level_error,omitempty"` // why it could not be read
	// PublicOpen: every public address still passes (no policy, a
	// VPC-only one, or an allow list covering all of IPv4 or IPv6).
	PublicOpen       bool   `json:"public_open"`
	PublicOpenReason string `json:"public_open_reason,omitempty"`
	Summary          string `json:"summary"` // for people
}

// String is the summary (markdown, HTML).
func (p *NetworkPolicy) String() string { return p.Summary }

// DenyPolicyState is whether the deny-high-risk policy is attached to the
// key's owner.
type DenyPolicyState struct {
	PolicyName string `json:"policy_name"`
	Attached   bool   `json:"attached"`
}

// String is "attached" or "not attached" (markdown, HTML).
func (d *DenyPolicyState) String() string {
	if d.Attached {
		return "attached"
	}
	return "not attached"
}

// LeakRecord is one Security Center AccessKey leak record of the key.
type LeakRecord struct {
	ID             int64     `json:"id"`
	Status         string    `json:"status"` // pending | handled
	URL            string    `json:"url,omitempty"`
	Source         string    `json:"source,omitempty"`
	FoundAt        time.Time `json:"found_at,omitzero"`
	HandledAt      time.Time `json:"handled_at,omitzero"`
	SecretValidity string    `json:"secret_validity,omitempty"` // valid | invalid | unconfirmed
	// Line is the one-line form ("found leaked at <url> on <date> ...;
	// pending in Security Center"), as audit prints it.
	Line string `json:"line"`
}

// Timeline entry kinds.
const (
	EntryEvent  = "event"  // a suspicious event of the key
	EntryAction = "action" // a response action from the journal
	EntryNote   = "note"   // verification, undo, rotation step
)

// TimelineEntry is one line of the timeline.
type TimelineEntry struct {
	Time     time.Time `json:"time"`
	Kind     string    `json:"kind"` // event | action | note
	Title    string    `json:"title"`
	Detail   string    `json:"detail,omitempty"`
	SourceIP string    `json:"source_ip,omitempty"`
	// Severity is the highest finding severity the event is evidence of
	// ("" for actions and notes).
	Severity  string   `json:"severity,omitempty"`
	Findings  []string `json:"findings,omitempty"` // rule ids
	EventID   string   `json:"event_id,omitempty"`
	RequestID string   `json:"request_id,omitempty"`
	// Result is ok | error | skipped | unknown for actions.
	Result string `json:"result,omitempty"`
	Run    string `json:"run,omitempty"` // journal run id
}

// Source is one source IP with its class.
type Source struct {
	IP        string    `json:"ip"`
	Class     string    `json:"class"` // trusted | untrusted-new | flagged
	Trusted   bool      `json:"trusted"`
	New       bool      `json:"new"`
	Flagged   bool      `json:"flagged"`
	Reasons   []string  `json:"reasons,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Count     int       `json:"count"`
	Errors    int       `json:"errors"`
	Services  []string  `json:"services"`
	// BlockedNow is true when the key's current network ACL (live) refuses
	// this source; nil when the ACL is unknown.
	BlockedNow *bool `json:"blocked_now,omitempty"`
}

// Service is the key's use of one service.
type Service struct {
	Service   string              `json:"service"`
	Count     int                 `json:"count"`
	Writes    int                 `json:"writes"`
	Errors    int                 `json:"errors"`
	FirstSeen time.Time           `json:"first_seen"`
	LastSeen  time.Time           `json:"last_seen"`
	Actions   []audit.ActionCount `json:"actions"`
}

// SensitiveCategory counts the key's events of one category of the
// detection catalogue's sensitive-action table.
type SensitiveCategory struct {
	Category string       `json:"category"` // enum | pers | priv | exec | exfil | cost | dest | evade
	Label    string       `json:"label"`
	Count    int          `json:"count"`
	Errors   int          `json:"errors"`
	First    time.Time    `json:"first,omitzero"`
	Last     time.Time    `json:"last,omitzero"`
	APIs     []APICount   `json:"apis"`
	IPs      []string     `json:"ips"`
	Basis    string       `json:"basis"` // "events" (counted from the events) or "summary" (the audit's top APIs only)
	Examples []EventBrief `json:"examples,omitempty"`

	// APIsTruncated and IPsTruncated say the lists stop at their bound
	// (1,000 APIs, 1,000 addresses); Count still counts every event.
	APIsTruncated bool `json:"apis_truncated,omitempty"`
	IPsTruncated  bool `json:"ips_truncated,omitempty"`
}

// APICount is how often one API of a category was called.
type APICount struct {
	Service string `json:"service"`
	Name    string `json:"name"`
	Count   int    `json:"count"`
	Errors  int    `json:"errors"`
}

// EventBrief is a short reference to one event.
type EventBrief struct {
	Time      time.Time `json:"time"`
	EventID   string    `json:"event_id,omitempty"`
	Name      string    `json:"name"`
	Service   string    `json:"service"`
	SourceIP  string    `json:"source_ip"`
	ErrorCode string    `json:"error_code,omitempty"`
	Region    string    `json:"region,omitempty"`
}

// Finding is an audit finding, shortened.
type Finding struct {
	ID       string         `json:"id"`
	Severity audit.Severity `json:"severity"`
	Title    string         `json:"title"`
	Why      string         `json:"why"`
	Count    int            `json:"count"`
	First    time.Time      `json:"first"`
	Last     time.Time      `json:"last"`
	IPs      []string       `json:"ips"`
}

// CreatedIdentity is an identity or grant the key created, with its state
// now.
type CreatedIdentity struct {
	Kind          string    `json:"kind"` // user | access_key | login_profile | role | policy_attachment
	Name          string    `json:"name"`
	User          string    `json:"user_name,omitempty"`
	PrincipalType string    `json:"principal_type,omitempty"`
	Action        string    `json:"action"`
	CreatedAt     time.Time `json:"created_at"`
	SourceIP      string    `json:"source_ip,omitempty"`
	EventID       string    `json:"event_id,omitempty"`
	// Attacker: made from a source the audit counts as the attacker's
	// (audit.CreatedIdentity.Attacker); false for one made from a source
	// of the key's own, which contain --contain-created and eradicate
	// leave alone.
	Attacker bool `json:"attacker"`
	// State is what the live check found: active | inactive | deleted |
	// detached | unknown ("unknown" offline or when the check failed).
	State       string `json:"state"`
	StateDetail string `json:"state_detail,omitempty"`
}

// Action is one response action from the journals.
type Action struct {
	Time      time.Time `json:"time"`
	Command   string    `json:"command"` // contain | contain-undo | disable | enable | delete | rotate
	Action    string    `json:"action"`  // set-network-acl, attach-deny-policy, disable-old-key ...
	Target    string    `json:"target,omitempty"`
	Result    string    `json:"result"` // ok | error | skipped | unknown | pending
	RequestID string    `json:"request_id,omitempty"`
	ErrorCode string    `json:"error_code,omitempty"`
	Error     string    `json:"error,omitempty"`
	Operator  string    `json:"operator,omitempty"`
	Run       string    `json:"run"`
	Journal   string    `json:"journal,omitempty"`
	// Item is what within the target the action changed when several
	// actions share one target (the policy detached from a user, the
	// rule revoked from a security group), from the journal's action ID;
	// empty when the target says it all.
	Item string `json:"item,omitempty"`
	// EvidenceEventID and Evidence name the event of the key that called
	// for an eradication action (the attacker's call that created or
	// changed the target), when the audit has it.
	EvidenceEventID string `json:"evidence_event_id,omitempty"`
	Evidence        string `json:"evidence,omitempty"`
}

// Cost is what the attacker's resources cost, from the bills (eradicate's
// cost code: BSS QueryInstanceBill over the incident's billing cycles).
type Cost struct {
	// SoFar is the "spend caused by the attacker so far"; PerHour the
	// "spend per hour if nothing is stopped" (instances still running).
	SoFar     float64  `json:"spend_so_far"`
	PerHour   float64  `json:"spend_per_hour_if_not_stopped"`
	Currency  string   `json:"currency,omitempty"`
	Cycles    []string `json:"billing_cycles"`
	Instances int      `json:"instances_billed"`
	// Planned counts the attacker's instances eradicate found.
	Planned int `json:"instances_found"`
	// Warning says why the cost is missing or partial ("" complete).
	Warning string `json:"warning,omitempty"`
}

// Risk levels, most urgent first.
const (
	RiskCritical = "critical"
	RiskHigh     = "high"
	RiskMedium   = "medium"
	RiskLow      = "low"
)

// Risk is one thing still open after the response.
type Risk struct {
	ID     string `json:"id"` // stable: key-active, other-keys, no-mfa, created-user-active ...
	Level  string `json:"level"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	// Command, when set, is what to run about it.
	Command string `json:"command,omitempty"`
}

// Recommendation is one thing to do next.
type Recommendation struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Detail  string `json:"detail"`
	Command string `json:"command,omitempty"`
}

// STSPlan moves the workload from the AccessKey to STS tokens of a RAM role.
type STSPlan struct {
	User     string   `json:"user_name"`
	RoleName string   `json:"role_name"`
	RoleArn  string   `json:"role_arn"`
	Policies []string `json:"policies"` // the user's policies to attach to the role ("Type:Name")
	// TrustECS is the trust policy for a workload on ECS (the ECS service
	// assumes the role: an instance RAM role); TrustAccount the one for a
	// workload elsewhere in the account (a RAM user or role calls
	// sts:AssumeRole).
	TrustECS     policy.DocText `json:"trust_policy_ecs"`
	TrustAccount policy.DocText `json:"trust_policy_account"`
	// AssumePolicy grants sts:AssumeRole on the role to the identity the
	// workload keeps (when it is not on ECS).
	AssumePolicy policy.DocText `json:"assume_role_policy"`
	Steps        []STSStep      `json:"steps"`
	Credentials  STSCredCfg     `json:"credentials_go"`
}

// STSStep is one step of the migration.
type STSStep struct {
	Title   string `json:"title"`
	Detail  string `json:"detail,omitempty"`
	Command string `json:"command,omitempty"`
}

// STSCredCfg shows the credentials-go configuration of the two providers.
type STSCredCfg struct {
	ECSRAMRole string `json:"ecs_ram_role"`
	RAMRoleArn string `json:"ram_role_arn"`
}

// Chart is the calls-over-time data of the HTML chart: one count per
// bucket and IP class.
type Chart struct {
	Bucket  string        `json:"bucket"` // hour | day | week
	Start   time.Time     `json:"start,omitzero"`
	Buckets []time.Time   `json:"buckets"`
	Series  []ChartSeries `json:"series"`
	// Basis says where the counts come from: "events" or "none" (no
	// events given: the chart is empty).
	Basis string `json:"basis"`
}

// ChartSeries is one IP class over time.
type ChartSeries struct {
	Class  string `json:"class"`
	Label  string `json:"label"`
	Counts []int  `json:"counts"`
	Total  int    `json:"total"`
}

// Evidence references the saved events.
type Evidence struct {
	File       string `json:"file"`        // base name, beside the report
	SHA256File string `json:"sha256_file"` // base name of the checksum file
	SHA256     string `json:"sha256"`
	Events     int    `json:"events"`
	Raw        int    `json:"raw"`        // events saved as read
	Normalised int    `json:"normalised"` // events saved in akresp's normalised form (the reader kept no raw record)
}

// Diagnostic is a problem met while gathering the report's inputs.
type Diagnostic struct {
	Level   string `json:"level"` // warning | error
	Source  string `json:"source"`
	Summary string `json:"summary"`
	Detail  string `json:"detail,omitempty"`
}

// RawEvent is one event of the key: the normalised form the audit uses and,
// when the reader kept it, the record exactly as read.
type RawEvent struct {
	Event audit.Event
	Raw   json.RawMessage
}
