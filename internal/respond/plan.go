package respond

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/policy"
)

// Commands recorded in the journal.
const (
	CmdContain     = "contain"
	CmdContainUndo = "contain-undo"
	CmdDisable     = "disable"
	CmdEnable      = "enable"
	CmdDelete      = "delete"
)

// OwnerType values.
const (
	OwnerRAMUser = "ram-user"
	OwnerRoot    = "root-account"
)

// KeyInfo is what the lookups found about the key being handled.
type KeyInfo struct {
	AccessKeyID       string         `json:"access_key_id"`
	OwnerType         string         `json:"identity_type"`       // ram-user | root-account
	Owner             string         `json:"user_name,omitempty"` // RAM user name; "" for root
	UserPrincipalName string         `json:"user_principal_name,omitempty"`
	UserID            string         `json:"user_id,omitempty"`
	Status            string         `json:"status"` // Active | Inactive
	Created           time.Time      `json:"created,omitzero"`
	ACL               policy.DocText `json:"network_acl,omitempty"` // current key-level ACL document, "" = none
	AttachedPolicies  []string       `json:"attached_policies,omitempty"`
}

// OperatorInfo is who akresp runs as (sts:GetCallerIdentity) and where its
// calls go. It is shown before any change and written to the journal.
type OperatorInfo struct {
	AccountID    string `json:"account_id"`
	Arn          string `json:"arn"`
	IdentityType string `json:"identity_type"`
	Endpoint     string `json:"endpoint"`
	KeyID        string `json:"-"` // the AccessKey akresp runs with (for the self rail)
}

// Caller is one source that used the key recently (from the audit).
type Caller struct {
	IP        netip.Addr `json:"ip"`
	FirstSeen time.Time  `json:"first_seen,omitzero"`
	LastSeen  time.Time  `json:"last_seen,omitzero"`
	Count     int        `json:"count"`
	Flagged   bool       `json:"flagged"` // the audit thinks this is the attacker
}

// CreatedIdentity is something the key created or changed, per its events.
type CreatedIdentity struct {
	Kind      string    `json:"kind"` // user | access_key | login_profile | role | policy_attachment
	Name      string    `json:"name"`
	User      string    `json:"user_name,omitempty"`
	EventName string    `json:"event_name,omitempty"`
	EventTime time.Time `json:"event_time,omitzero"`
	// SourceIP made it; Owners says it came from a source of the key's own
	// (known before the incident, not the attacker's: the audit's
	// CreatedIdentity.Attacker was false while another source was the
	// attacker's): --contain-created leaves it alone and says so.
	SourceIP string `json:"source_ip,omitempty"`
	Owners   bool   `json:"owners,omitempty"`
	// Current is the identity's state now: "exists",
	// "exists_mfa_required" (a login profile), "Active" or "Inactive" (a
	// key, as the cloud says), "attached", "detached", "deleted",
	// "not_checked" or "unknown", filled by the plan's lookups;
	// CurrentError says why it is "unknown".
	Current      string `json:"current"`
	CurrentError string `json:"current_error,omitempty"`
}

// Evidence is what the audit of the key contributes to a containment plan.
// The CLI fills it from audit.Investigate; nil is allowed (no replay, no
// created identities, no trusted IPs).
type Evidence struct {
	OwnerType        string // root-account when events say so
	Callers          []Caller
	SuggestedTrusted []netip.Prefix
	Created          []CreatedIdentity
	InUse            bool      // the audit's verdict says the key is in production use
	Onset            time.Time // when the suspicious use began (zero = unknown)
	Verdict          string    // the audit's verdict: idle | in_use | suspected_leak
	// CreatedKeys are the AccessKeys the key created from the attacker's
	// sources (audit.Result.AttackerKeys): journaled with the evidence,
	// they tie those keys' incident records to this one.
	CreatedKeys []string
}

// PlanEvidence is the audit evidence contain journals in its plan note
// (the "evidence" object of the incident record's journal contract).
type PlanEvidence struct {
	Onset            string   `json:"onset"` // RFC 3339, "" = unknown
	FlaggedIPs       []string `json:"flagged_ips"`
	SuggestedTrusted []string `json:"suggested_trusted"`
	Verdict          string   `json:"verdict"`
	CreatedKeys      []string `json:"created_keys,omitempty"`
}

// planEvidence condenses the audit's evidence; nil when contain ran
// without the audit.
func planEvidence(ev *Evidence) *PlanEvidence {
	if ev == nil || (ev.Verdict == "" && len(ev.Callers) == 0 && len(ev.SuggestedTrusted) == 0 && ev.Onset.IsZero()) {
		return nil
	}
	pe := &PlanEvidence{Verdict: ev.Verdict, FlaggedIPs: []string{}, SuggestedTrusted: []string{}}
	if !ev.Onset.IsZero() {
		pe.Onset = ev.Onset.UTC().Format(time.RFC3339)
	}
	for _, c := range ev.Callers {
		if c.Flagged && c.IP.IsValid() {
			pe.FlaggedIPs = append(pe.FlaggedIPs, c.IP.String())
		}
	}
	for _, p := range ev.SuggestedTrusted {
		pe.SuggestedTrusted = append(pe.SuggestedTrusted, p.String())
	}
	pe.CreatedKeys = ev.CreatedKeys
	return pe
}

// CallerImpact is the replay of one recent caller against the proposed ACL.
type CallerImpact struct {
	Caller
	CutOff bool `json:"cut_off"`
}

// BlastRadius lists which recent callers the proposed ACL would cut off.
type BlastRadius struct {
	Callers      []CallerImpact `json:"callers"`
	CutOff       int            `json:"cut_off"`
	Recent       int            `json:"recent_legitimate"`         // non-flagged callers in the last 24h
	RecentCutOff int            `json:"recent_legitimate_cut_off"` // of which cut off
}

// Plan is an ordered list of actions with the facts they were built from.
type Plan struct {
	Command    string            `json:"command"`
	Key        KeyInfo           `json:"key"`
	Operator   OperatorInfo      `json:"operator"`
	ObservedAt time.Time         `json:"observed_at"`
	Actions    []*Action         `json:"actions"`
	Blast      *BlastRadius      `json:"blast_radius,omitempty"`
	Created    []CreatedIdentity `json:"created_identities,omitempty"`
	// Effective is the network policy that applies to the key now (key
	// and account level); EffectiveAfter what will apply after the plan.
	Effective      *EffectiveACL `json:"effective_network_policy,omitempty"`
	EffectiveAfter *EffectiveACL `json:"effective_network_policy_after,omitempty"`
	// Removals are allow-list entries of the ACL in effect that a
	// --replace run drops, with who loses access.
	Removals []ACLRemoval `json:"acl_removals,omitempty"`
	// Evidence is the audit evidence the plan was built from (journaled).
	Evidence *PlanEvidence `json:"evidence,omitempty"`
	// UndoRuns are the contain runs an undo plan reverts (run ID -> the
	// action IDs it reverts); UndoComplete says that nothing of akresp's
	// containment remains after it.
	UndoRuns     map[string][]string `json:"undo_runs,omitempty"`
	UndoComplete bool                `json:"undo_complete,omitempty"`
	Notes        []string            `json:"notes,omitempty"`
	Rails        []*RailError        `json:"safety_rails,omitempty"`
	// CreatedBy is, for a key the incident says the attacker created
	// (incident.Record.CreatedBy), the leaked key whose eradicate removes
	// it: disable's next step, instead of re-enabling or deleting it alone.
	CreatedBy string `json:"-"`
	// usersAwaiting counts, in an eradicate plan, the users the attacker
	// created that a re-run deletes once their keys have been disabled
	// for --observe (the plan cannot delete them yet).
	usersAwaiting int
	// awaitUntil is when the last of those users' keys will have been
	// disabled for --observe; zero when the journal cannot say.
	awaitUntil time.Time
	// instancesAwaiting counts the attacker's instances a later
	// `eradicate --release` releases (stopped, or stopped by this run),
	// releaseAt when the last of them will have been stopped for
	// --observe.
	instancesAwaiting int
	releaseAt         time.Time
	// stopsNow and disablesNow say that this run stops instances
	// (disables created users' keys) whose observation starts when it
	// does: the next steps count it from the end of the run, as the
	// journal will. observe is the plan's --observe.
	stopsNow, disablesNow bool
	observe               time.Duration
	// observeFlag is " --observe D" when the plan was made with a
	// --observe other than the default, for the re-runs next steps name.
	observeFlag string
	// observed are the attacker's instances found stopped, and its
	// created users' keys found disabled, with no record of when (by
	// someone else): Execute journals that it saw them
	// (ObservedStoppedNote, ObservedDisabledNote), the start of their
	// observation period.
	observed []observation
	// Diagnostics are problems met while planning that do not stop it.
	Diagnostics []Diagnostic `json:"diagnostics,omitempty"`
	// Kept, Unrecoverable and Instances are eradicate's: resources a
	// legitimate source also touched (left alone), changes akresp cannot
	// revert (with the event that made them), and the instances the
	// attacker created.
	Kept          []string        `json:"kept,omitempty"`
	Unrecoverable []Unrecoverable `json:"unrecoverable,omitempty"`
	ByHand        []ByHand        `json:"by_hand,omitempty"`
	ByHandOmitted int             `json:"by_hand_omitted,omitempty"`
	Instances     []PlanInstance  `json:"instances,omitempty"`
	Cost          *Cost           `json:"cost,omitempty"`
	Hash          string          `json:"plan_hash"`
	Forced        bool            `json:"forced,omitempty"`
}

// Changes is the number of actions that would change something.
func (p *Plan) Changes() int {
	n := 0
	for _, a := range p.Actions {
		if !a.Noop {
			n++
		}
	}
	return n
}

// Blocked returns the first safety rail that refuses this plan, or nil.
func (p *Plan) Blocked() *RailError {
	if p.Forced || len(p.Rails) == 0 {
		return nil
	}
	return p.Rails[0]
}

// Action returns the action with the given id, or nil.
func (p *Plan) Action(id string) *Action {
	for _, a := range p.Actions {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// seal computes the plan hash over what the plan would change.
func (p *Plan) seal() {
	type hashed struct {
		ID, Kind, Target string
		Before, After    json.RawMessage
		Noop             bool
	}
	hs := make([]hashed, 0, len(p.Actions))
	for _, a := range p.Actions {
		hs = append(hs, hashed{a.ID, a.Kind, a.Target, a.Before, a.After, a.Noop})
	}
	b, _ := json.Marshal(struct {
		Command string
		KeyID   string
		Actions []hashed
	}{p.Command, p.Key.AccessKeyID, hs})
	sum := sha256.Sum256(b)
	p.Hash = hex.EncodeToString(sum[:8])
}

// RailError is a refusal by a safety rail (exit code 4). Override names the
// flag that lifts it, "" when nothing does.
type RailError struct {
	Rule     string `json:"rule"`
	Detail   string `json:"detail"`
	Override string `json:"override,omitempty"`
}

func (e *RailError) Error() string {
	if e.Override == "" {
		return fmt.Sprintf("refused (%s): %s", e.Rule, e.Detail)
	}
	return fmt.Sprintf("refused (%s): %s; pass %s if you mean it", e.Rule, e.Detail, e.Override)
}

// ExitCode makes a rail refusal exit 4.
func (e *RailError) ExitCode() int { return 4 }

// DriftError reports that live state no longer matches what the plan
// observed (exit code 4).
type DriftError struct {
	ActionID string
	Target   string
	Observed string
	Now      string
}

func (e *DriftError) Error() string {
	return fmt.Sprintf("%s %s: state drifted since the plan (planned from %s, now %s); re-run to plan again", e.ActionID, e.Target, e.Observed, e.Now)
}

// ExitCode makes drift a safety refusal (exit 4).
func (e *DriftError) ExitCode() int { return 4 }

// PartialError reports actions that failed (exit code 1) with the command
// that retries them.
type PartialError struct {
	Command string
	KeyID   string
	Failed  []string // "action-id target: error"
	Retry   string
	Journal string
}

func (e *PartialError) Error() string {
	msg := fmt.Sprintf("%s %s: %d action(s) failed: %s", e.Command, e.KeyID, len(e.Failed), strings.Join(e.Failed, "; "))
	if e.Retry != "" {
		msg += "; retry with: " + e.Retry
	}
	if e.Journal != "" {
		msg += " (journal " + e.Journal + ")"
	}
	return msg
}

// ExitCode makes a partial failure exit 1.
func (e *PartialError) ExitCode() int { return 1 }

// InputError is a problem with what the user asked for (exit code 2).
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// ExitCode makes an input problem a usage error.
func (e *InputError) ExitCode() int { return 2 }
