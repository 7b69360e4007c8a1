package incident

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/policy"
)

// Record is the incident on one key as the journals and the rotation state
// file tell it.
type Record struct {
	KeyID        string
	Onset        time.Time      // earliest onset journaled by an audit or a contain plan (zero = unknown)
	Flagged      []netip.Addr   // sources an audit/contain flagged as the attacker (union over the incident)
	Trusted      []netip.Prefix // allow-list of the fence in effect (per the journal) + journaled suggested-trusted
	ContainedAt  time.Time      // first successful containment action since the last complete undo; zero = not contained
	FenceACL     string         // key-level ACL document contain last set and that is still in effect per the journal ("" none)
	DenyAttached bool           // the deny-high-risk policy is attached to the owner per the journal
	DisabledAt   time.Time      // key disabled by akresp (disable, contain or rotate), zero if not / re-enabled
	DeletedAt    time.Time      // key deleted by akresp
	Rotation     *Rotation      // nil: no rotation started
	Actions      []Action       // every journaled outcome, time order
	// OwnRequestIDs are the request IDs of akresp's own calls (from journal outcomes).
	OwnRequestIDs map[string]bool
	Warnings      []string

	// Contained lists every containment period per the journal, oldest
	// first; the last one has a zero End while the key is still contained.
	// Classify treats a call inside any of them as made under containment.
	Contained []Interval
	// Verdict is the last verdict journaled with an evidence object ("" none).
	Verdict string
	// Evidence are the journaled evidence objects, in time order.
	Evidence []Evidence

	// CreatedBy is the key whose journaled evidence says it created this
	// one from the attacker's sources (an audit's or contain's created
	// keys): its incident is this key's too. "" when none does.
	CreatedBy string
	// Inherited are the sources CreatedBy's record flags as the attacker,
	// also in Flagged: whoever made the key from them uses it from them.
	Inherited []netip.Addr
}

// Rotation is where a rotation of the key stands (its state file).
type Rotation struct {
	NewKeyID string
	Step     string
	Started  time.Time
	Finished bool // the old key was deleted: the rotation reached its end

	RolledBack bool      // the rotation was rolled back (old key re-enabled)
	NewKeyGone bool      // rollback --delete-new deleted the new key
	DisabledAt time.Time // when the rotation disabled the old key (zero: not yet)
	DeletedAt  time.Time // when the rotation deleted the old key (zero: not yet)
}

// InProgress reports whether the rotation has started and neither finished
// nor been rolled back.
func (r *Rotation) InProgress() bool {
	return r != nil && !r.Finished && !r.RolledBack && r.Step != "none"
}

// Action is one journaled outcome.
type Action struct {
	Time      time.Time
	Command   string
	Action    string
	Target    string
	Result    string
	RequestID string
	Operator  string
	ErrorCode string // when Result is error or unknown
}

// Interval is one containment period; a zero End means still in effect.
type Interval struct {
	Start, End time.Time
}

// Evidence is the conclusion an audit or a contain plan journaled.
type Evidence struct {
	Time             time.Time // when it was journaled
	Command          string    // audit | contain
	Onset            time.Time
	Flagged          []netip.Addr
	SuggestedTrusted []netip.Prefix
	Verdict          string
	// CreatedKeys are the AccessKeys the key created from the attacker's
	// sources (audit.CreatedIdentity.Attacker).
	CreatedKeys []string
}

// evidenceJSON is the journal form of Evidence (incident-api.md).
type evidenceJSON struct {
	Onset            string   `json:"onset"`
	FlaggedIPs       []string `json:"flagged_ips"`
	SuggestedTrusted []string `json:"suggested_trusted"`
	Verdict          string   `json:"verdict"`
	CreatedKeys      []string `json:"created_keys,omitempty"`
}

// EvidenceJSON renders e as the object journaled under the "evidence" key
// of a note record's After.
func EvidenceJSON(e Evidence) json.RawMessage {
	ej := evidenceJSON{FlaggedIPs: []string{}, SuggestedTrusted: []string{}, Verdict: e.Verdict}
	if !e.Onset.IsZero() {
		ej.Onset = e.Onset.UTC().Format(time.RFC3339Nano)
	}
	for _, a := range e.Flagged {
		ej.FlaggedIPs = append(ej.FlaggedIPs, a.String())
	}
	for _, p := range e.SuggestedTrusted {
		ej.SuggestedTrusted = append(ej.SuggestedTrusted, p.String())
	}
	ej.CreatedKeys = e.CreatedKeys
	b, _ := json.Marshal(ej)
	return b
}

// NoteAction is the Action of the note record in which an audit journals
// its evidence.
const NoteAction = "evidence"

// EvidenceNote is the journal record that carries e: a note whose After is
// {"evidence": {...}}. Command and Time are filled in by the journal.
func EvidenceNote(e Evidence) journal.Record {
	b, _ := json.Marshal(map[string]json.RawMessage{"evidence": EvidenceJSON(e)})
	return journal.Record{Kind: journal.KindNote, Action: NoteAction, After: b,
		Message: fmt.Sprintf("evidence: verdict %s, %d flagged source(s)", orNone(e.Verdict), len(e.Flagged))}
}

// AppendEvidence journals e in a new journal of command on keyID under
// stateDir (one short run: open, append, close).
func AppendEvidence(stateDir, keyID, command string, e Evidence, now func() time.Time) error {
	j, err := journal.Open(stateDir, keyID, command, now)
	if err != nil {
		return err
	}
	err = j.Append(EvidenceNote(e))
	if cerr := j.Close(); err == nil {
		err = cerr
	}
	return err
}

// Journal commands and actions the record reads. They mirror the constants
// of internal/respond and internal/rotate, which import this package.
const (
	cmdContain     = "contain"
	cmdContainUndo = "contain-undo"
	cmdDisable     = "disable"
	cmdEnable      = "enable"
	cmdRotate      = "rotate"

	actNetworkACL   = "set-network-acl"
	actAttachPolicy = "attach-deny-policy"
	actKeyStatus    = "set-key-status"
	actDeleteKey    = "delete-key"
	actUndoComplete = "undo-complete"
	actPlan         = "plan"

	// CmdEradicate and CmdEradicateUndo are eradicate's journal commands
	// (respond.CmdEradicate*): their outcomes are Actions; they act on the
	// attacker's identities and resources, never on the key's own state.
	CmdEradicate     = "eradicate"
	CmdEradicateUndo = "eradicate-undo"

	actRotDisableOld = "disable-old-key"
	actRotEnableOld  = "enable-old-key"
	actRotDeleteOld  = "delete-old-key"

	rotationStateFile = "rotation.json"
)

// Load reads the incident record of keyID under stateDir: every journal of
// the key and the rotation state file if any. A key with no state (or an
// empty stateDir) is an empty record, not an error. A journal that cannot be
// read is an error naming the file. It also reads the other keys' journals
// there for the one whose evidence says it created this key (inherit).
func Load(stateDir, keyID string) (*Record, error) {
	r, err := LoadOwn(stateDir, keyID)
	if err == nil {
		r.inherit(stateDir)
	}
	return r, err
}

// LoadOwn is Load from the key's own journals and rotation state only,
// without what another key's record says of it (CreatedBy, Inherited):
// for what needs only the key's own facts (its rotation, containment,
// disable and deletion), without reading every other journal.
func LoadOwn(stateDir, keyID string) (*Record, error) {
	r := &Record{KeyID: keyID, OwnRequestIDs: map[string]bool{}}
	if stateDir == "" {
		return r, nil
	}
	recs, warns, err := journal.ReadKey(stateDir, keyID)
	if err != nil {
		return nil, fmt.Errorf("incident record of %s: %w", keyID, err)
	}
	r.Warnings = append(r.Warnings, warns...)
	r.fold(recs)
	if err := r.loadRotation(stateDir); err != nil {
		r.Warnings = append(r.Warnings, err.Error())
	}
	return r, nil
}

// Creators maps each key that some key's journaled evidence under stateDir
// lists among the keys its attacker created (created_keys) to that key, the
// latest evidence winning: the sweep reads every journal once for all of
// an account's keys. Journals that cannot be read add nothing.
func Creators(stateDir string) map[string]string {
	out := map[string]string{}
	for k, c := range creators(stateDir) {
		out[k] = c.KeyID
	}
	return out
}

// creators is Creators with the creating keys' records.
func creators(stateDir string) map[string]*Record {
	out := map[string]*Record{}
	at := map[string]time.Time{}
	eachKeyJournal(stateDir, "", func(key string, recs []journal.Record) {
		rec := FromJournal(key, recs)
		for _, ev := range rec.Evidence {
			for _, k := range ev.CreatedKeys {
				if k != rec.KeyID && (out[k] == nil || ev.Time.After(at[k])) {
					out[k], at[k] = rec, ev.Time
				}
			}
		}
	})
	return out
}

// eachKeyJournal calls fn with the journal records of every key directory
// under stateDir but skip's. Directories that do not name an AccessKey
// (reports, scratch) and journals that cannot be read are passed over.
func eachKeyJournal(stateDir, skip string, fn func(key string, recs []journal.Record)) {
	entries, _ := os.ReadDir(stateDir) // no directory: no journal
	for _, d := range entries {
		if !d.IsDir() || d.Name() == skip {
			continue
		}
		if _, err := policy.ParseAccessKeyID(d.Name()); err != nil {
			continue // a report or scratch directory, not a key's
		}
		if recs, _, err := journal.ReadKey(stateDir, d.Name()); err == nil {
			fn(d.Name(), recs)
		}
	}
}

// inherit finds the key whose journaled evidence lists this one among the
// keys it created from the attacker's sources, and takes the sources that
// key's record flags (CreatedBy, Inherited): a backdoor key the attacker
// made is used from the attacker's addresses from its first call, so its
// own history has nothing to tell them from.
func (r *Record) inherit(stateDir string) {
	by := creators(stateDir)[r.KeyID]
	if by == nil {
		return
	}
	r.CreatedBy = by.KeyID
	for _, a := range by.Flagged {
		r.Inherited = append(r.Inherited, a)
		if !slices.Contains(r.Flagged, a) {
			r.Flagged = append(r.Flagged, a)
		}
	}
	slices.SortFunc(r.Flagged, func(a, b netip.Addr) int { return a.Compare(b) })
}

// FromJournal builds the record from journal records already read (time
// order), without a rotation state. Tests and callers holding the records
// use it.
func FromJournal(keyID string, recs []journal.Record) *Record {
	r := &Record{KeyID: keyID, OwnRequestIDs: map[string]bool{}}
	r.fold(recs)
	return r
}

// aclState is the Before/After of a set-network-acl action.
type aclState struct {
	KeyID  string `json:"key_id"`
	Policy string `json:"policy"`
}

type attachState struct {
	Attached bool `json:"attached"`
}

type keyState struct {
	KeyID  string `json:"key_id"`
	Status string `json:"status"`
}

// fold applies the journal records in order.
func (r *Record) fold(recs []journal.Record) {
	var (
		open       bool                // a containment period is open
		fenceSet   = map[string]bool{} // ACL documents contain set in the open period
		suggested  []netip.Prefix
		openPeriod = func(t time.Time) {
			if !open {
				open = true
				r.Contained = append(r.Contained, Interval{Start: t})
			}
		}
		closePeriod = func(t time.Time) {
			if open {
				open = false
				r.Contained[len(r.Contained)-1].End = t
			}
			fenceSet = map[string]bool{}
		}
	)
	for _, rec := range recs {
		if rec.RequestID != "" {
			r.OwnRequestIDs[rec.RequestID] = true
		}
		if rec.Kind == journal.KindNote {
			if ev, ok := r.evidence(rec); ok {
				r.Evidence = append(r.Evidence, ev)
			}
		}
		if rec.Command == cmdContainUndo && rec.Action == actUndoComplete {
			closePeriod(rec.Time)
			r.FenceACL, r.DenyAttached = "", false
			continue
		}
		if rec.Kind == journal.KindOutcome {
			r.Actions = append(r.Actions, Action{Time: rec.Time, Command: rec.Command, Action: rec.Action, Target: rec.Target,
				Result: rec.Result, RequestID: rec.RequestID, Operator: rec.Operator, ErrorCode: rec.ErrorCode})
			if rec.Result == journal.ResultUnknown {
				r.Warnings = append(r.Warnings, fmt.Sprintf("%s %s on %s at %s may or may not have taken effect (the call got no answer); re-run it to be sure",
					rec.Command, rec.Action, rec.Target, rec.Time.UTC().Format(time.RFC3339)))
			}
		}
		// A change that took effect: an ok outcome, or a note that found
		// the target state already in place.
		inEffect := (rec.Kind == journal.KindOutcome && rec.Result == journal.ResultOK) ||
			(rec.Kind == journal.KindNote && rec.Result == journal.ResultSkipped && rec.ActionID != "" && rec.Error == "")
		if !inEffect {
			continue
		}
		switch {
		case rec.Action == actNetworkACL && (rec.Command == cmdContain || rec.Command == cmdContainUndo):
			var st aclState
			if json.Unmarshal(rec.After, &st) != nil || (st.KeyID != "" && st.KeyID != r.KeyID) {
				continue
			}
			if rec.Command == cmdContain && fenceActive(st.Policy) {
				r.FenceACL = st.Policy
				fenceSet[st.Policy] = true
				openPeriod(rec.Time)
				continue
			}
			// An undo (or a contain that switched the ACL off) restored
			// something: still contain's fence only if contain set it.
			if fenceSet[st.Policy] && fenceActive(st.Policy) {
				r.FenceACL = st.Policy
			} else {
				r.FenceACL = ""
			}
			if r.FenceACL == "" && !r.DenyAttached {
				closePeriod(rec.Time)
			}
		case rec.Action == actAttachPolicy && (rec.Command == cmdContain || rec.Command == cmdContainUndo):
			var st attachState
			if json.Unmarshal(rec.After, &st) != nil {
				continue
			}
			r.DenyAttached = st.Attached
			if st.Attached && rec.Command == cmdContain {
				openPeriod(rec.Time)
			} else if !st.Attached && r.FenceACL == "" {
				closePeriod(rec.Time)
			}
		case rec.Action == actKeyStatus && rec.Target == r.KeyID:
			var st keyState
			if json.Unmarshal(rec.After, &st) != nil {
				continue
			}
			switch st.Status {
			case "Inactive":
				r.DisabledAt = rec.Time
			case "Active":
				r.DisabledAt = time.Time{}
			}
		case rec.Command == cmdEnable && rec.Target == r.KeyID:
			r.DisabledAt = time.Time{}
		case (rec.Action == actDeleteKey || rec.Action == actRotDeleteOld) && rec.Target == r.KeyID:
			if r.DeletedAt.IsZero() {
				r.DeletedAt = rec.Time
			}
		case rec.Command == cmdRotate && rec.Action == actRotDisableOld && rec.Target == r.KeyID:
			r.DisabledAt = rec.Time
		case rec.Command == cmdRotate && rec.Action == actRotEnableOld && rec.Target == r.KeyID:
			r.DisabledAt = time.Time{}
		}
	}
	if open {
		r.ContainedAt = r.Contained[len(r.Contained)-1].Start
	}

	var flagged []netip.Addr
	for _, ev := range r.Evidence {
		if !ev.Onset.IsZero() && (r.Onset.IsZero() || ev.Onset.Before(r.Onset)) {
			r.Onset = ev.Onset
		}
		for _, a := range ev.Flagged {
			if !slices.Contains(flagged, a) {
				flagged = append(flagged, a)
			}
		}
		suggested = unionPrefixes(suggested, ev.SuggestedTrusted)
		if ev.Verdict != "" {
			r.Verdict = ev.Verdict
		}
	}
	slices.SortFunc(flagged, func(a, b netip.Addr) int { return a.Compare(b) })
	r.Flagged = flagged
	if r.FenceACL != "" {
		r.Trusted = unionPrefixes(r.Trusted, aclPrefixes(r.FenceACL))
	}
	r.Trusted = unionPrefixes(r.Trusted, suggested)
}

// evidence parses the "evidence" object of a note record, if it has one.
func (r *Record) evidence(rec journal.Record) (Evidence, bool) {
	if len(rec.After) == 0 || (rec.Action != actPlan && rec.Action != NoteAction) {
		return Evidence{}, false
	}
	var wrap struct {
		Evidence *evidenceJSON `json:"evidence"`
	}
	if json.Unmarshal(rec.After, &wrap) != nil || wrap.Evidence == nil {
		return Evidence{}, false
	}
	ej := wrap.Evidence
	ev := Evidence{Time: rec.Time, Command: rec.Command, Verdict: ej.Verdict}
	where := fmt.Sprintf("%s:%d", rec.File, rec.Line)
	if ej.Onset != "" {
		t, err := time.Parse(time.RFC3339Nano, ej.Onset)
		if err != nil {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: evidence onset %q is not an RFC 3339 time; ignored", where, ej.Onset))
		} else {
			ev.Onset = t.UTC()
		}
	}
	for _, s := range ej.FlaggedIPs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: flagged IP %q is not an address; ignored", where, s))
			continue
		}
		ev.Flagged = append(ev.Flagged, a.Unmap())
	}
	for _, s := range ej.SuggestedTrusted {
		p, err := policy.ParseCIDR(s)
		if err != nil {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: suggested trusted CIDR %q: %v; ignored", where, s, err))
			continue
		}
		if p.Bits() == 0 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: suggested trusted CIDR %s allows every address; ignored", where, p))
			continue
		}
		ev.SuggestedTrusted = append(ev.SuggestedTrusted, p)
	}
	for _, k := range ej.CreatedKeys {
		id, err := policy.ParseAccessKeyID(k)
		if err != nil {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: created key %q: %v; ignored", where, k, err))
			continue
		}
		ev.CreatedKeys = append(ev.CreatedKeys, id)
	}
	return ev, true
}

// fenceActive reports whether an ACL document restricts anything: Active
// with at least one allow list.
func fenceActive(doc string) bool {
	if doc == "" {
		return false
	}
	acl, err := policy.ReadNetworkACL(doc)
	return err == nil && acl.Status == policy.ACLStatusActive && len(acl.Statements) > 0
}

// aclPrefixes returns the sources an ACL allows: every IPList entry of an
// Active document, except the deny-all-public placeholder 127.0.0.1 when it
// is the only public entry. An entry covering every address is left out:
// it trusts nobody in particular.
func aclPrefixes(doc string) []netip.Prefix {
	acl, err := policy.ReadNetworkACL(doc)
	if err != nil || acl.Status != policy.ACLStatusActive {
		return nil
	}
	var out []netip.Prefix
	for _, st := range acl.Statements {
		if st.Type == policy.ACLTypeClassic && len(st.IPList) == 1 && st.IPList[0] == policy.DenyPublicAddress {
			continue
		}
		for _, s := range st.IPList {
			p, err := policy.ParseCIDR(s)
			if err != nil || p.Bits() == 0 {
				continue
			}
			out = append(out, p)
		}
	}
	return out
}

func unionPrefixes(a, b []netip.Prefix) []netip.Prefix {
	for _, p := range b {
		if !slices.Contains(a, p) {
			a = append(a, p)
		}
	}
	return a
}

// rotationJSON is the part of internal/rotate's State the record reads
// (rotation.json; rotate imports this package, so it is read directly).
type rotationJSON struct {
	KeyID      string    `json:"key_id"`
	Step       string    `json:"step"`
	NewKeyID   string    `json:"new_key_id"`
	StartedAt  time.Time `json:"started_at"`
	DisabledAt time.Time `json:"disabled_at"`
	DeletedAt  time.Time `json:"deleted_at"`
	NewKeyGone bool      `json:"new_key_deleted"`
}

func (r *Record) loadRotation(stateDir string) error {
	path := filepath.Join(stateDir, r.KeyID, rotationStateFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("rotation state %s: %w", path, err)
	}
	var st rotationJSON
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("rotation state %s: corrupt: %w; the rotation is ignored", path, err)
	}
	if st.KeyID != r.KeyID {
		return fmt.Errorf("rotation state %s belongs to key %q, not %s; ignored", path, st.KeyID, r.KeyID)
	}
	if st.NewKeyID == r.KeyID {
		return fmt.Errorf("rotation state %s names the old key %s as the new key; ignored", path, r.KeyID)
	}
	if st.Step == "" || st.Step == "none" {
		return nil
	}
	r.Rotation = &Rotation{NewKeyID: st.NewKeyID, Step: st.Step, Started: st.StartedAt,
		Finished: st.Step == "deleted", RolledBack: st.Step == "rolled_back", NewKeyGone: st.NewKeyGone,
		DisabledAt: st.DisabledAt, DeletedAt: st.DeletedAt}
	// The state file knows what a lost journal does not.
	if r.DeletedAt.IsZero() && !st.DeletedAt.IsZero() {
		r.DeletedAt = st.DeletedAt
	}
	if r.DisabledAt.IsZero() && !st.DisabledAt.IsZero() && !r.Rotation.RolledBack && r.DeletedAt.IsZero() {
		r.DisabledAt = st.DisabledAt
	}
	return nil
}

// IsContained reports whether the key is contained now per the journal.
func (r *Record) IsContained() bool { return r != nil && !r.ContainedAt.IsZero() }

// Eradications counts eradicate's successful outcomes (not its undo).
func (r *Record) Eradications() int {
	n := 0
	if r == nil {
		return 0
	}
	for _, a := range r.Actions {
		if a.Command == CmdEradicate && a.Result == journal.ResultOK {
			n++
		}
	}
	return n
}

// underContainment reports whether t falls in a containment period. Event
// times have whole seconds (ActionTrail's eventTime) and journal times do
// not: a period starts at the start of its second, so that a call in the
// same second as the fence counts as under it (a refusal then was the
// fence's; an allowed call from a trusted source the responder's).
func (r *Record) underContainment(t time.Time) bool {
	for _, iv := range r.Contained {
		if !t.Before(iv.Start.Truncate(time.Second)) && (iv.End.IsZero() || t.Before(iv.End)) {
			return true
		}
	}
	return false
}

// Class is what a call of the key is to the incident.
type Class uint8

// Classes.
const (
	Ordinary  Class = iota // evidence as usual
	Own                    // akresp's own call (request ID in OwnRequestIDs)
	Responder              // under containment, from a Trusted source that is not flagged: the responder's tests or the application (allowed or refused)
	Refused                // under containment, refused by the fence (network ACL or deny policy) from a source that is not trusted
)

func (c Class) String() string {
	switch c {
	case Ordinary:
		return "ordinary"
	case Own:
		return "own"
	case Responder:
		return "responder"
	case Refused:
		return "refused"
	}
	return fmt.Sprintf("Class(%d)", uint8(c))
}

// Call is what the classifier needs of one event of the key.
type Call struct {
	Time      time.Time
	SourceIP  netip.Addr
	ErrorCode string
	RequestID string
}

// Classify says what c is to the incident. A nil record classifies every
// call Ordinary. A flagged source is never Responder, even inside a
// trusted range.
func (r *Record) Classify(c Call) Class {
	if r == nil {
		return Ordinary
	}
	if c.RequestID != "" && r.OwnRequestIDs[c.RequestID] {
		return Own
	}
	if c.Time.IsZero() || !r.underContainment(c.Time) {
		return Ordinary
	}
	ip := c.SourceIP.Unmap()
	if ip.IsValid() && !r.IsFlagged(ip) && r.IsTrusted(ip) {
		return Responder
	}
	if IsFenceRefusal(c.ErrorCode) {
		return Refused
	}
	return Ordinary
}

// IsFlagged reports whether ip was flagged as the attacker.
func (r *Record) IsFlagged(ip netip.Addr) bool {
	if r == nil || !ip.IsValid() {
		return false
	}
	return slices.Contains(r.Flagged, ip.Unmap())
}

// IsTrusted reports whether ip is in one of the record's trusted ranges.
func (r *Record) IsTrusted(ip netip.Addr) bool {
	if r == nil || !ip.IsValid() {
		return false
	}
	ip = ip.Unmap()
	for _, p := range r.Trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Legitimate reports whether a call counts as legitimate use of the key
// (for disable's "in use", rotate's cut-over and observe): not akresp's own,
// not Refused by the fence, not from a Flagged source. A refused call from a
// trusted source (an application the fence or the disable broke) is
// legitimate.
func (r *Record) Legitimate(c Call) bool {
	switch r.Classify(c) {
	case Own, Refused:
		return false
	}
	return !r.IsFlagged(c.SourceIP)
}

// IsFenceRefusal reports whether an error code is a refusal by the
// AccessKey network ACL (IMS network policy) or by a RAM deny
// (NoPermission*, Forbidden.* other than a disabled key): the codes
// internal/cloud classes as ErrNetworkPolicy and ErrNoPermission. OSS
// answers an explicit deny with AccessDenied, which counts too.
func IsFenceRefusal(code string) bool {
	if code == "" {
		return false
	}
	if code == "AccessDenied" {
		return true
	}
	err := &cloud.APIError{Code: code}
	return errors.Is(err, cloud.ErrNetworkPolicy) || errors.Is(err, cloud.ErrNoPermission)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return strings.TrimSpace(s)
}
