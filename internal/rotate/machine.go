package rotate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/redact"
	"github.com/akresp/akresp/internal/state"
)

// ReportSchema versions the JSON output of `akresp rotate`.
const ReportSchema = "akresp.rotate/v4"

// Defaults.
const (
	DefaultQuietFor     = 24 * time.Hour
	DefaultObserve      = 24 * time.Hour
	DefaultPollInterval = time.Minute
)

// Journal actions.
const (
	ActionCreateKey      = "create-access-key"
	ActionHandOver       = "hand-over-secret"
	ActionDeleteLostKey  = "delete-lost-key" // a new key whose secret never reached the user
	ActionDeleteOtherKey = "delete-inactive-key"
	ActionDisableOldKey  = "disable-old-key"
	ActionEnableOldKey   = "enable-old-key"
	ActionDeleteNewKey   = "delete-new-key"
	ActionDeleteOldKey   = "delete-old-key"
	ActionInheritACL     = "inherit-network-acl" // the old key's network ACL set on the new key
	journalCommand       = "rotate"
	clockSkewAllowance   = time.Minute
)

// Options configure a Machine. Cloud, KeyID and StateDir are required.
type Options struct {
	KeyID    string
	StateDir string
	Cloud    Cloud
	// Handover is the exit for a new secret; needed only when a key has to
	// be created.
	Handover Handover

	Force        bool          // delete an inactive second key; accept seen failures; delete before verified
	Wait         bool          // wait for cut-over and observation instead of returning
	QuietFor     time.Duration // how long the old key must be unused before disabling
	Observe      time.Duration // how long to watch for failures after disabling
	PollInterval time.Duration // between evidence checks with Wait
	DeleteNew    bool          // with Rollback: delete the new key too
	// QuietForSet and ObserveSet say the flags were given: they override
	// the values saved with the rotation (otherwise the saved ones win).
	QuietForSet, ObserveSet bool
	// NoInheritACL creates the new key without the old key's network ACL.
	NoInheritACL bool

	Endpoint string // journaled with every record
	Now      func() time.Time
	Sleep    func(ctx context.Context, d time.Duration) error
	OnEvent  func(Event)
	Logger   *slog.Logger
	// AfterStep runs after every persisted transition. A non-nil error
	// stops the run on the spot, as if the process had died there (tests
	// use it to simulate crashes).
	AfterStep func(step Step) error
}

// Event is one progress notice for the view layer.
type Event struct {
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind"` // step | action | wait | note | warning
	Step      Step      `json:"step,omitempty"`
	Action    string    `json:"action,omitempty"`
	Target    string    `json:"target,omitempty"`
	Result    string    `json:"result,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
	Message   string    `json:"message"`
}

// ActionResult is one cloud mutation made by this run.
type ActionResult struct {
	Time      time.Time `json:"time"`
	Action    string    `json:"action"`
	Target    string    `json:"target"`
	Result    string    `json:"result"` // ok | error | skipped
	RequestID string    `json:"request_id,omitempty"`
	Error     string    `json:"error,omitempty"`
}

// Report is the result of a run or a status query (`-o json`).
type Report struct {
	SchemaVersion string          `json:"schema_version"`
	KeyID         string          `json:"access_key_id"`
	User          string          `json:"user_name,omitempty"`
	Root          bool            `json:"root_account_key"`
	Step          Step            `json:"step"`
	Complete      bool            `json:"complete"`
	NewKeyID      string          `json:"new_access_key_id,omitempty"`
	NewKeyDeleted bool            `json:"new_key_deleted,omitempty"`
	Handover      *HandoverRecord `json:"handover,omitempty"`
	// ACL is the containment the new key inherited from the old one.
	ACL        *ACLInheritance `json:"acl,omitempty"`
	QuietFor   string          `json:"quiet_for,omitempty"`
	Observe    string          `json:"observe,omitempty"`
	WaitingFor string          `json:"waiting_for,omitempty"`
	// Keys are the keys' live states (--status).
	Keys []LiveKey `json:"keys,omitempty"`
	// Drift lists where the cloud differs from the state file (--status).
	Drift       []string       `json:"drift,omitempty"`
	Evidence    *Evidence      `json:"evidence,omitempty"`
	Actions     []ActionResult `json:"actions"`
	Notes       []string       `json:"notes,omitempty"`
	Discarded   []DiscardedKey `json:"discarded_keys,omitempty"`
	NextCommand string         `json:"next_command,omitempty"`
	History     []Transition   `json:"history,omitempty"`
	Journal     string         `json:"journal,omitempty"`
	StateFile   string         `json:"state_file,omitempty"`
}

// Machine runs one rotation command.
type Machine struct {
	o       Options
	st      *State
	j       *journal.Journal
	rep     *Report
	caller  Caller
	credKey string
	known   bool // caller and credKey resolved
	// readOnly: --status; notes go to the report only.
	readOnly bool
	// rollingBack: --rollback; an interrupted create is cleaned up without
	// creating anything after it.
	rollingBack bool
}

// LiveKey is one key as the cloud shows it now.
type LiveKey struct {
	Role     string    `json:"role"` // old | new
	KeyID    string    `json:"access_key_id"`
	Status   string    `json:"status"` // Active | Inactive | absent
	LastUsed time.Time `json:"last_used,omitzero"`
	Known    bool      `json:"last_used_known"`
	Service  string    `json:"last_used_service,omitempty"`
	ACL      string    `json:"network_acl_summary,omitempty"` // summary of the key's network ACL
}

// New validates o and returns a Machine.
func New(o Options) (*Machine, error) {
	switch {
	case o.KeyID == "":
		return nil, errors.New("rotate: no AccessKey ID")
	case o.StateDir == "":
		return nil, fmt.Errorf("rotate %s: no state directory", o.KeyID)
	case o.Cloud == nil:
		return nil, fmt.Errorf("rotate %s: no cloud client", o.KeyID)
	case o.QuietFor < 0:
		return nil, fmt.Errorf("rotate %s: --quiet-for %s is negative", o.KeyID, o.QuietFor)
	case o.Observe < 0:
		return nil, fmt.Errorf("rotate %s: --observe %s is negative", o.KeyID, o.Observe)
	case o.PollInterval < 0:
		return nil, fmt.Errorf("rotate %s: --poll-interval %s is negative", o.KeyID, o.PollInterval)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.PollInterval == 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Machine{o: o}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (m *Machine) now() time.Time { return m.o.Now().UTC() }

// errCrash marks an AfterStep stop so callers skip their own cleanup.
type crashError struct{ err error }

func (e crashError) Error() string { return e.err.Error() }
func (e crashError) Unwrap() error { return e.err }

// begin takes the key lock, loads the state and prepares the report.
func (m *Machine) begin(ctx context.Context) (unlock func(), err error) {
	lock, err := state.LockKey(m.o.StateDir, m.o.KeyID, journalCommand, m.now())
	if err != nil {
		return nil, err
	}
	m.st, err = LoadState(m.o.StateDir, m.o.KeyID)
	if err != nil {
		_ = lock.Unlock()
		return nil, err
	}
	m.rep = &Report{SchemaVersion: ReportSchema, KeyID: m.o.KeyID, Actions: []ActionResult{}}
	return func() {
		if m.j != nil {
			_ = m.j.Close()
		}
		_ = lock.Unlock()
	}, nil
}

// identity resolves who akresp runs as, once.
func (m *Machine) identity(ctx context.Context) error {
	if m.known {
		return nil
	}
	c, err := m.o.Cloud.CallerIdentity(ctx)
	if err != nil {
		return fmt.Errorf("rotate %s: who am I (sts GetCallerIdentity): %w", m.o.KeyID, err)
	}
	k, err := m.o.Cloud.CredentialKeyID(ctx)
	if err != nil {
		m.warn(fmt.Sprintf("cannot tell which AccessKey akresp signs with: %v", err))
	}
	m.caller, m.credKey, m.known = c, k, true
	return nil
}

func (m *Machine) emit(e Event) {
	e.Time = m.now()
	if e.Step == "" && m.st != nil {
		e.Step = m.st.Step
	}
	m.o.Logger.Debug("rotate", "key", m.o.KeyID, "kind", e.Kind, "action", e.Action, "message", e.Message)
	if m.o.OnEvent != nil {
		m.o.OnEvent(e)
	}
}

func (m *Machine) note(msg string) {
	m.rep.Notes = append(m.rep.Notes, msg)
	m.emit(Event{Kind: "note", Message: msg})
	if m.j != nil && !m.readOnly {
		_ = m.j.Append(journal.Record{Kind: journal.KindNote, Message: msg, Operator: m.caller.Arn, Endpoint: m.o.Endpoint})
	}
}

func (m *Machine) warn(msg string) {
	m.rep.Notes = append(m.rep.Notes, "warning: "+msg)
	m.emit(Event{Kind: "warning", Message: msg})
}

func (m *Machine) journal() (*journal.Journal, error) {
	if m.j == nil {
		j, err := journal.Open(m.o.StateDir, m.o.KeyID, journalCommand, m.now)
		if err != nil {
			return nil, err
		}
		m.j = j
	}
	return m.j, nil
}

func (m *Machine) save() error {
	m.st.UpdatedAt = m.now()
	return SaveState(m.o.StateDir, m.st)
}

// advance persists a transition, then runs the AfterStep hook.
func (m *Machine) advance(step Step, note string) error {
	m.st.to(step, m.now(), note)
	if err := m.save(); err != nil {
		return err
	}
	msg := string(step)
	if note != "" {
		msg += ": " + note
	}
	m.emit(Event{Kind: "step", Step: step, Message: msg})
	if m.j != nil {
		_ = m.j.Append(journal.Record{Kind: journal.KindNote, Action: "step", After: mustJSON(map[string]string{"step": string(step)}),
			Message: msg, Operator: m.caller.Arn, Endpoint: m.o.Endpoint})
	}
	if m.o.AfterStep != nil {
		if err := m.o.AfterStep(step); err != nil {
			return crashError{err}
		}
	}
	return nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// errorCoder is optionally implemented by the Cloud to extract the cloud
// error code for the journal.
type errorCoder interface{ ErrorCode(error) string }

// callTimeout bounds one in-flight mutating call once the run was
// interrupted (as respond's default CallTimeout).
const callTimeout = 2 * time.Minute

// mutate runs one journaled cloud mutation: pending marker and intent
// before the call, outcome after it.
func (m *Machine) mutate(ctx context.Context, action, target string, before, after any, call func(context.Context) (string, error)) (string, error) {
	return m.mutateWith(ctx, action, target, before, after, nil, call)
}

// mutateWith is mutate whose outcome record also carries what the call
// produced (outcome, read after a successful call; e.g. the created key).
func (m *Machine) mutateWith(ctx context.Context, action, target string, before, after any, outcome func() any, call func(context.Context) (string, error)) (string, error) {
	j, err := m.journal()
	if err != nil {
		return "", err
	}
	actionID := fmt.Sprintf("%s:%s", action, target)
	m.st.Pending = &Pending{Action: action, Target: target, At: m.now()}
	if err := m.save(); err != nil {
		return "", err
	}
	if err := j.Append(journal.Record{Kind: journal.KindIntent, ActionID: actionID, Action: action, Target: target,
		Before: mustJSON(before), After: mustJSON(after), Operator: m.caller.Arn, Endpoint: m.o.Endpoint}); err != nil {
		return "", err
	}
	m.emit(Event{Kind: "action", Action: action, Target: target, Message: fmt.Sprintf("%s %s ...", action, target)})
	// A call that has started finishes even if the run is interrupted
	// (STYLE 15): only a timeout or a second signal, which ends the process,
	// cuts it short, so its outcome is always known and journaled.
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
	reqID, cerr := call(callCtx)
	cancel()
	out := journal.Record{Kind: journal.KindOutcome, ActionID: actionID, Action: action, Target: target,
		RequestID: reqID, Result: journal.ResultOK, Operator: m.caller.Arn, Endpoint: m.o.Endpoint}
	res := ActionResult{Time: m.now(), Action: action, Target: target, Result: journal.ResultOK, RequestID: reqID}
	if cerr != nil {
		out.Result, out.Error = journal.ResultError, cerr.Error()
		if ec, ok := m.o.Cloud.(errorCoder); ok {
			out.ErrorCode = ec.ErrorCode(cerr)
		}
		res.Result, res.Error = journal.ResultError, cerr.Error()
	} else if outcome != nil {
		out.After = mustJSON(outcome())
	}
	if err := j.Append(out); err != nil && cerr == nil {
		cerr = err
	}
	m.rep.Actions = append(m.rep.Actions, res)
	m.emit(Event{Kind: "action", Action: action, Target: target, Result: res.Result, RequestID: reqID,
		Message: fmt.Sprintf("%s %s: %s", action, target, res.Result)})
	if cerr == nil {
		m.st.Pending = nil
	}
	return reqID, cerr
}

// skipped journals an action that found nothing to do.
func (m *Machine) skipped(action, target, why string) {
	if j, err := m.journal(); err == nil {
		_ = j.Append(journal.Record{Kind: journal.KindOutcome, ActionID: action + ":" + target, Action: action, Target: target,
			Result: journal.ResultSkipped, Message: why, Operator: m.caller.Arn, Endpoint: m.o.Endpoint})
	}
	m.rep.Actions = append(m.rep.Actions, ActionResult{Time: m.now(), Action: action, Target: target, Result: journal.ResultSkipped, Error: ""})
	m.emit(Event{Kind: "action", Action: action, Target: target, Result: journal.ResultSkipped, Message: fmt.Sprintf("%s %s: skipped, %s", action, target, why)})
	if m.st != nil {
		m.st.Pending = nil
	}
}

// finish fills the report from the state.
func (m *Machine) finish() *Report {
	r := m.rep
	if m.st == nil {
		r.Step = StepNone
		r.NextCommand = fmt.Sprintf("akresp rotate %s --secret-file PATH (or --exec CMD, --secret-stdout)", m.o.KeyID)
		return r
	}
	st := m.st
	r.User, r.Root, r.Step, r.NewKeyID, r.NewKeyDeleted = st.UserName, st.Root, st.Step, st.NewKeyID, st.NewKeyGone
	r.Handover, r.Discarded, r.History, r.ACL = st.Handover, st.Discarded, st.History, st.ACL
	if st.QuietFor != nil {
		r.QuietFor = st.QuietFor.D().String()
	}
	if st.Observe != nil {
		r.Observe = st.Observe.D().String()
	}
	if r.Evidence == nil {
		r.Evidence = st.Evidence
	}
	r.Complete = st.Step == StepDeleted
	r.StateFile = StatePath(m.o.StateDir, m.o.KeyID)
	if m.j != nil {
		r.Journal = m.j.Path()
	}
	r.NextCommand = nextCommand(st, r.Evidence)
	if ev := r.Evidence; ev != nil && (st.Step == StepDisabled || st.Step == StepVerified) && ev.Old.Status == StatusActive && ev.CheckedAt.After(st.DisabledAt) {
		// Re-enabled outside the rotation: record it before anything else.
		r.NextCommand = fmt.Sprintf("akresp rotate %s --rollback", st.KeyID)
	}
	if st.Step == StepDeleted {
		r.NextCommand = ""
		if rec, err := incident.LoadOwn(m.o.StateDir, m.o.KeyID); err == nil && rec.DenyAttached {
			// The plan keeps the deny-high-risk policy on the owner until the
			// leaked key is deleted; now it may go.
			r.NextCommand = fmt.Sprintf("akresp contain %s --undo --all", st.KeyID)
			r.Notes = append(r.Notes, fmt.Sprintf("the deny-high-risk policy contain attached to %s stays until you remove it: the old key is deleted, so `akresp contain %s --undo --all` may now take it off",
				ownerName(st.UserName, st.Root), st.KeyID))
		}
	}
	return r
}

func nextCommand(st *State, ev *Evidence) string {
	k := st.KeyID
	switch st.Step {
	case StepNone, StepCreating, StepCreated:
		return fmt.Sprintf("akresp rotate %s --secret-file PATH (or --exec CMD, --secret-stdout)", k)
	case StepHandedOver:
		return fmt.Sprintf("akresp rotate %s --wait", k)
	case StepCutOver:
		return fmt.Sprintf("akresp rotate %s", k)
	case StepDisabled:
		if ev != nil && len(ev.Failures) > 0 {
			return fmt.Sprintf("akresp rotate %s --rollback", k)
		}
		return fmt.Sprintf("akresp rotate %s --wait", k)
	case StepVerified:
		return fmt.Sprintf("akresp rotate %s --delete", k)
	case StepRolledBack:
		if st.NewKeyGone {
			return fmt.Sprintf("akresp rotate %s --secret-file PATH (or --exec CMD, --secret-stdout)", k)
		}
		return fmt.Sprintf("akresp rotate %s --wait", k)
	}
	return ""
}

// ---- Run: steps 1 to 4 ----

// Run advances the rotation as far as the evidence allows: create and hand
// over the new key, wait for cut-over, disable the old key and verify. It
// resumes from whatever state a previous run left, re-checking live state
// for any mutation whose outcome was not recorded.
func (m *Machine) Run(ctx context.Context) (*Report, error) {
	unlock, err := m.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := m.identity(ctx); err != nil {
		return m.finish(), err
	}
	if m.st != nil {
		if err := m.checkFacts(ctx); err != nil {
			return m.finish(), err
		}
		m.windows()
	}
	err = m.run(ctx)
	return m.finish(), err
}

func (m *Machine) run(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("rotate %s: interrupted; re-run the same command to resume: %w", m.o.KeyID, err)
		}
		step := StepNone
		if m.st != nil {
			step = m.st.Step
		}
		var err error
		switch step {
		case StepNone:
			err = m.start(ctx)
		case StepCreating:
			err = m.recoverCreating(ctx)
		case StepCreated:
			err = m.recoverCreated(ctx)
		case StepHandedOver:
			var ready bool
			ready, err = m.awaitCutOver(ctx)
			if err == nil && !ready {
				return nil
			}
		case StepCutOver:
			err = m.disable(ctx)
		case StepDisabled:
			var done bool
			done, err = m.verify(ctx)
			if err == nil && !done {
				return nil
			}
		case StepVerified:
			m.note(fmt.Sprintf("verified: nothing failed with the disabled key for the observation window; delete it with `akresp rotate %s --delete`", m.o.KeyID))
			return nil
		case StepDeleted:
			m.note("rotation complete: the old key was deleted")
			return nil
		case StepRolledBack:
			err = m.resumeAfterRollback(ctx)
		default:
			return fmt.Errorf("rotate %s: unknown step %q in state", m.o.KeyID, step)
		}
		if err != nil {
			return err
		}
	}
}

// owner finds the user owning the key, or establishes that it is a root
// key the caller may rotate. A key that exists nowhere in the caller's
// account is a *cloud.UnknownKeyError (exit 1), the answer every command
// gives a typo.
func (m *Machine) owner(ctx context.Context) (o Owner, root bool, err error) {
	o, found, err := m.o.Cloud.UserByAccessKey(ctx, m.o.KeyID)
	if err != nil {
		return Owner{}, false, fmt.Errorf("rotate %s: find its owner: %w", m.o.KeyID, err)
	}
	if found {
		return o, false, nil
	}
	unknown := &cloud.UnknownKeyError{KeyID: m.o.KeyID, AccountID: m.caller.AccountID, RequestID: o.RequestID}
	if !m.caller.IsRoot() {
		// Only the root account can list its own keys; ActionTrail's
		// last-used record tells a root key from a typo.
		if info, ierr := m.o.Cloud.AccessKeyLastUsedInfo(ctx, m.o.KeyID); ierr == nil && info.Found && info.AccountType == "root-account" {
			return Owner{}, false, &RefusedError{KeyID: m.o.KeyID, Rule: "root-key",
				Detail:   "no RAM user owns this key: it belongs to the root account, and only the root account can rotate its own keys (akresp runs as " + m.caller.Arn + ")",
				Override: "run akresp with the root account's credentials to rotate a root key"}
		}
		return Owner{}, false, unknown
	}
	keys, err := m.o.Cloud.ListAccessKeys(ctx, "")
	if err != nil {
		return Owner{}, false, fmt.Errorf("rotate %s: list the root account's keys: %w", m.o.KeyID, err)
	}
	if !slices.ContainsFunc(keys, func(k Key) bool { return k.ID == m.o.KeyID }) {
		return Owner{}, false, unknown
	}
	return Owner{}, true, nil
}

func findKey(keys []Key, id string) (Key, bool) {
	for _, k := range keys {
		if k.ID == id {
			return k, true
		}
	}
	return Key{}, false
}

func ids(keys []Key) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k.ID)
	}
	slices.Sort(out)
	return out
}

func ownerName(user string, root bool) string {
	if root {
		return "the root account"
	}
	return "user " + user
}

// start is step 1: check the two-key limit, write the intent, create the
// key, hand it over.
func (m *Machine) start(ctx context.Context) error {
	if m.o.Handover == nil {
		return &NeedHandoverError{KeyID: m.o.KeyID, Reason: "a new key must be created"}
	}
	if err := m.o.Handover.Check(); err != nil {
		return fmt.Errorf("rotate %s: %w", m.o.KeyID, err)
	}
	user, root, upn := "", false, ""
	if m.st != nil {
		user, root, upn = m.st.UserName, m.st.Root, m.st.UserPrincipalName
	}
	if m.st == nil || (!root && upn == "") {
		o, r, err := m.owner(ctx)
		if err != nil {
			return err
		}
		user, root, upn = o.UserName, r, o.UserPrincipalName
	}
	keys, err := m.o.Cloud.ListAccessKeys(ctx, user)
	if err != nil {
		return fmt.Errorf("rotate %s: list the keys of %s: %w", m.o.KeyID, ownerName(user, root), err)
	}
	old, ok := findKey(keys, m.o.KeyID)
	if !ok {
		return fmt.Errorf("rotate %s: not among the keys of %s (%v)", m.o.KeyID, ownerName(user, root), ids(keys))
	}
	if m.st == nil {
		now := m.now()
		m.st = &State{KeyID: m.o.KeyID, UserName: user, Root: root, Step: StepNone, StartedAt: now}
		m.windows()
	}
	m.st.UserPrincipalName = upn
	// Containment moves with the rotation: read the old key's network ACL
	// before any key exists, so a failure costs nothing.
	if err := m.readInheritance(ctx); err != nil {
		return err
	}
	if old.Status == StatusInactive {
		m.note(fmt.Sprintf("the old key %s is already Inactive; rotating it anyway", m.o.KeyID))
	}
	if keys, err = m.makeRoom(ctx, keys); err != nil {
		return err
	}
	return m.create(ctx, keys)
}

// makeRoom enforces the two-key limit: a second, Inactive key may be
// deleted with --force; an Active one is never touched.
func (m *Machine) makeRoom(ctx context.Context, keys []Key) ([]Key, error) {
	if len(keys) < 2 {
		return keys, nil
	}
	who := ownerName(m.st.UserName, m.st.Root)
	var others []Key
	for _, k := range keys {
		if k.ID != m.o.KeyID {
			others = append(others, k)
		}
	}
	for _, k := range others {
		if k.Status != StatusInactive {
			return nil, &RefusedError{KeyID: m.o.KeyID, Rule: "two-key-limit",
				Detail: fmt.Sprintf("%s already has two AccessKeys, %s and %s (Active); a rotation needs a free slot and akresp never deletes an active key",
					who, m.o.KeyID, k.ID),
				Override: fmt.Sprintf("if %s is unused, disable it (akresp disable %s), then re-run with --force to delete it", k.ID, k.ID)}
		}
		if !m.o.Force {
			return nil, &RefusedError{KeyID: m.o.KeyID, Rule: "two-key-limit",
				Detail: fmt.Sprintf("%s already has two AccessKeys, %s and %s (Inactive); a rotation needs a free slot",
					who, m.o.KeyID, k.ID),
				Override: fmt.Sprintf("re-run with --force to delete the inactive key %s (it goes to the IMS recycle bin)", k.ID)}
		}
	}
	for _, k := range others {
		if _, err := m.mutate(ctx, ActionDeleteOtherKey, k.ID, map[string]string{"status": k.Status}, map[string]string{"status": "deleted"},
			func(ctx context.Context) (string, error) { return m.o.Cloud.DeleteAccessKey(ctx, m.st.UserName, k.ID) }); err != nil {
			return nil, fmt.Errorf("rotate %s: delete the inactive key %s to make room: %w", m.o.KeyID, k.ID, err)
		}
		m.note(fmt.Sprintf("deleted the inactive key %s of %s (--force) to make room; it stays in the IMS recycle bin for about 31 days", k.ID, who))
	}
	kept := []Key{}
	for _, k := range keys {
		if k.ID == m.o.KeyID {
			kept = append(kept, k)
		}
	}
	return kept, nil
}

// create writes the intent, calls CreateAccessKey and hands the secret
// over. A hand-over that fails costs the key: its secret is lost.
func (m *Machine) create(ctx context.Context, keys []Key) error {
	st := m.st
	st.KeysBefore = ids(keys)
	st.NewKeyID, st.NewKeyCreated, st.HandedOverAt = "", time.Time{}, time.Time{}
	st.NewKeyGone = false
	rec := m.o.Handover.Record()
	st.Handover = &rec
	st.CreateIntentAt = m.now()
	if _, err := m.journal(); err != nil {
		return err
	}
	if err := m.advance(StepCreating, "about to create the new key for "+ownerName(st.UserName, st.Root)); err != nil {
		return err
	}
	var nk NewKey
	_, err := m.mutateWith(ctx, ActionCreateKey, ownerName(st.UserName, st.Root), map[string]any{"keys": st.KeysBefore}, nil,
		func() any {
			return map[string]string{"new_key_id": nk.ID, "create_date": nk.CreateDate.UTC().Format(time.RFC3339)}
		},
		func(ctx context.Context) (string, error) {
			var err error
			nk, err = m.o.Cloud.CreateAccessKey(ctx, st.UserName)
			return nk.RequestID, err
		})
	if err != nil {
		// Left at "creating": the next run lists the keys and deletes
		// anything this call may have created despite the error.
		return fmt.Errorf("rotate %s: create the new key: %w", m.o.KeyID, err)
	}
	if nk.ID == "" || nk.Secret.IsZero() {
		return fmt.Errorf("rotate %s: CreateAccessKey returned no key id or no secret", m.o.KeyID)
	}
	st.NewKeyID, st.NewKeyCreated = nk.ID, nk.CreateDate.UTC()
	if st.NewKeyCreated.IsZero() {
		st.NewKeyCreated = m.now()
	}
	m.note(fmt.Sprintf("created the new key %s (request %s)", nk.ID, nk.RequestID))
	if err := m.advance(StepCreated, "new key "+nk.ID); err != nil {
		return err
	}
	// The containment first, then the secret: a key whose ACL could not be
	// set and verified never leaves akresp.
	if aerr := m.inheritACL(ctx, nk.ID); aerr != nil {
		nk.Secret = redact.Secret("")
		if derr := m.discard(ctx, nk.ID, "its network ACL could not be set: "+aerr.Error()); derr != nil {
			return fmt.Errorf("rotate %s: giving the new key %s the old key's network ACL failed (%v) and deleting that key also failed: %w; re-run to retry the cleanup",
				m.o.KeyID, nk.ID, aerr, derr)
		}
		st.NewKeyID, st.NewKeyCreated = "", time.Time{}
		if err := m.advance(StepNone, "the new key's network ACL could not be set; the new key was deleted"); err != nil {
			return err
		}
		return fmt.Errorf("rotate %s: the new key %s was deleted before its secret was handed over, because it could not get the old key's network ACL: %w; fix it and re-run, or pass --no-inherit-acl to rotate without the containment",
			m.o.KeyID, nk.ID, aerr)
	}
	return m.handOver(ctx, nk)
}

func (m *Machine) handOver(ctx context.Context, nk NewKey) error {
	st := m.st
	cred := Credential{AccessKeyID: nk.ID, Secret: nk.Secret, UserName: st.UserName, CreateDate: nk.CreateDate, ReplacesKeyID: st.KeyID}
	rec := m.o.Handover.Record()
	_, herr := m.mutate(ctx, ActionHandOver, nk.ID, nil, rec, func(ctx context.Context) (string, error) {
		return "", m.o.Handover.Deliver(ctx, cred)
	})
	nk.Secret, cred.Secret = redact.Secret(""), redact.Secret("")
	if herr == nil {
		st.HandedOverAt = m.now()
		return m.advance(StepHandedOver, fmt.Sprintf("secret of %s handed over via %s", nk.ID, describe(rec)))
	}
	// The secret never reached its exit, and akresp keeps no copy: the key
	// is useless. Delete it so no orphan key lingers, then stop.
	if derr := m.discard(ctx, nk.ID, "hand-over failed: "+herr.Error()); derr != nil {
		return fmt.Errorf("rotate %s: hand-over of the new key %s failed (%v) and deleting that key (its secret is lost) also failed: %w; re-run to retry the cleanup",
			m.o.KeyID, nk.ID, herr, derr)
	}
	st.NewKeyID, st.NewKeyCreated = "", time.Time{}
	if err := m.advance(StepNone, "hand-over failed; the new key was deleted"); err != nil {
		return err
	}
	return fmt.Errorf("rotate %s: hand-over failed, so the new key %s was deleted (its secret is lost and akresp keeps no copy); nothing else changed; fix the hand-over and re-run: %w",
		m.o.KeyID, nk.ID, herr)
}

func describe(r HandoverRecord) string {
	if r.Target == "" {
		return r.Kind
	}
	return fmt.Sprintf("%s %s", r.Kind, r.Target)
}

// discard deletes a key whose secret is lost (journaled).
func (m *Machine) discard(ctx context.Context, keyID, reason string) error {
	_, err := m.mutate(ctx, ActionDeleteLostKey, keyID, map[string]string{"reason": reason}, map[string]string{"status": "deleted"},
		func(ctx context.Context) (string, error) { return m.o.Cloud.DeleteAccessKey(ctx, m.st.UserName, keyID) })
	if err != nil {
		return err
	}
	m.st.Discarded = append(m.st.Discarded, DiscardedKey{KeyID: keyID, Reason: reason, At: m.now()})
	m.note(fmt.Sprintf("deleted the new key %s: its secret was lost (%s)", keyID, reason))
	return m.save()
}

// recoverCreating handles a run that stopped after writing the create
// intent: any key that was not there before is one whose secret nobody
// has. It is deleted and the rotation starts over.
func (m *Machine) recoverCreating(ctx context.Context) error {
	if m.rollingBack {
		// Nothing is created afterwards: no hand-over needed.
	} else if m.o.Handover == nil {
		return &NeedHandoverError{KeyID: m.o.KeyID, Reason: "the previous run stopped while creating the new key; its key (if any) will be deleted and a new one created"}
	}
	if !m.rollingBack {
		if err := m.o.Handover.Check(); err != nil {
			return fmt.Errorf("rotate %s: %w", m.o.KeyID, err)
		}
	}
	keys, err := m.o.Cloud.ListAccessKeys(ctx, m.st.UserName)
	if err != nil {
		return fmt.Errorf("rotate %s: list the keys of %s: %w", m.o.KeyID, ownerName(m.st.UserName, m.st.Root), err)
	}
	// Which keys existed, and when the call started, come from the
	// journal's intent record, not from the (editable) state file.
	recs, _, err := journal.ReadKey(m.o.StateDir, m.o.KeyID)
	if err != nil {
		return fmt.Errorf("rotate %s: read the journal: %w", m.o.KeyID, err)
	}
	_, intent := journaledCreates(recs)
	if intent == nil {
		// The intent is journaled before the call: without one the call
		// never started, so no key can be ours; nothing is deleted on the
		// state file's word.
		m.note("the previous run stopped before calling CreateAccessKey (no intent in the journal); creating the new key now")
		return m.advance(StepNone, "recovered an interrupted create")
	}
	found := false
	for _, k := range keys {
		if k.ID == m.o.KeyID || slices.Contains(intent.KeysBefore, k.ID) || slices.Contains(m.st.KeysBefore, k.ID) {
			continue
		}
		if k.CreateDate.IsZero() || k.CreateDate.Before(intent.IntentAt.Add(-clockSkewAllowance)) {
			continue // not ours: it predates the intent
		}
		found = true
		if err := m.discard(ctx, k.ID, "the previous run stopped between CreateAccessKey and the hand-over"); err != nil {
			return fmt.Errorf("rotate %s: delete the key %s whose secret was lost: %w", m.o.KeyID, k.ID, err)
		}
	}
	if !found {
		m.note("the previous run stopped while creating the new key; no key was created, creating it now")
	}
	if err := m.advance(StepNone, "recovered an interrupted create"); err != nil {
		return err
	}
	return nil
}

// recoverCreated handles a run that stopped after CreateAccessKey returned
// but before the hand-over was recorded. A secret file holding the new key
// proves the hand-over completed; otherwise the secret is lost.
func (m *Machine) recoverCreated(ctx context.Context) error {
	st := m.st
	if st.Handover != nil && st.Handover.Kind == "file" && fileHolds(st.Handover.Target, st.NewKeyID) {
		st.HandedOverAt = m.now()
		m.note(fmt.Sprintf("the previous run stopped after writing %s, which holds the secret of %s: the hand-over completed", st.Handover.Target, st.NewKeyID))
		return m.advance(StepHandedOver, "hand-over found complete on resume")
	}
	if m.o.Handover == nil {
		return &NeedHandoverError{KeyID: m.o.KeyID, Reason: fmt.Sprintf("the previous run stopped before the secret of %s was handed over; that key will be deleted and a new one created", st.NewKeyID)}
	}
	if err := m.o.Handover.Check(); err != nil {
		return fmt.Errorf("rotate %s: %w", m.o.KeyID, err)
	}
	keys, err := m.o.Cloud.ListAccessKeys(ctx, st.UserName)
	if err != nil {
		return fmt.Errorf("rotate %s: list the keys of %s: %w", m.o.KeyID, ownerName(st.UserName, st.Root), err)
	}
	if _, ok := findKey(keys, st.NewKeyID); ok {
		if err := m.discard(ctx, st.NewKeyID, "the previous run stopped before the hand-over completed"); err != nil {
			return fmt.Errorf("rotate %s: delete the key %s whose secret was lost: %w", m.o.KeyID, st.NewKeyID, err)
		}
	} else {
		m.note(fmt.Sprintf("the new key %s from the interrupted run no longer exists", st.NewKeyID))
	}
	st.NewKeyID, st.NewKeyCreated = "", time.Time{}
	return m.advance(StepNone, "recovered an interrupted hand-over")
}

// resumeAfterRollback restarts after a rollback: with the new key kept, the
// rotation goes back to waiting for cut-over; otherwise it starts over.
func (m *Machine) resumeAfterRollback(ctx context.Context) error {
	st := m.st
	if st.NewKeyGone || st.NewKeyID == "" {
		st.NewKeyID, st.NewKeyCreated, st.HandedOverAt = "", time.Time{}, time.Time{}
		return m.start(ctx)
	}
	keys, err := m.o.Cloud.ListAccessKeys(ctx, st.UserName)
	if err != nil {
		return fmt.Errorf("rotate %s: list the keys of %s: %w", m.o.KeyID, ownerName(st.UserName, st.Root), err)
	}
	if k, ok := findKey(keys, st.NewKeyID); !ok || k.Status != StatusActive {
		return &RefusedError{KeyID: m.o.KeyID, Rule: "new-key-missing",
			Detail:   fmt.Sprintf("the new key %s kept at rollback is gone or not Active", st.NewKeyID),
			Override: fmt.Sprintf("roll back with --delete-new to start over: akresp rotate %s --rollback --delete-new", m.o.KeyID)}
	}
	st.CutOverAt, st.DisabledAt, st.VerifiedAt = time.Time{}, time.Time{}, time.Time{}
	if _, err := m.journal(); err != nil {
		return err
	}
	return m.advance(StepHandedOver, fmt.Sprintf("resuming after rollback with the kept new key %s", st.NewKeyID))
}

// gather collects evidence: the live status and last use of both keys and,
// withCallers, the old key's callers in the cut-over window, split into
// legitimate use and the attacker still trying. An error means the keys
// could not be listed: nothing can be judged.
func (m *Machine) gather(ctx context.Context, withCallers bool) (*Evidence, error) {
	st := m.st
	ev := &Evidence{CheckedAt: m.now()}
	keys, err := m.o.Cloud.ListAccessKeys(ctx, st.UserName)
	if err != nil {
		return ev, fmt.Errorf("rotate %s: list the keys of %s: %w", m.o.KeyID, ownerName(st.UserName, st.Root), err)
	}
	oldStatus := "absent"
	if k, ok := findKey(keys, st.KeyID); ok {
		oldStatus = k.Status
	}
	var w []string
	ev.Old, w = readLastUsed(ctx, m.o.Cloud, st.UserName, st.KeyID)
	ev.Old.Status = oldStatus
	ev.Warnings = append(ev.Warnings, w...)
	if st.NewKeyID != "" {
		newStatus := "absent"
		if k, ok := findKey(keys, st.NewKeyID); ok {
			newStatus = k.Status
		}
		if st.NewKeyGone && newStatus == "absent" {
			ev.New = &KeyUsage{KeyID: st.NewKeyID, Status: newStatus}
		} else {
			nu, w := readLastUsed(ctx, m.o.Cloud, st.UserName, st.NewKeyID)
			nu.Status = newStatus
			ev.New = &nu
			ev.Warnings = append(ev.Warnings, w...)
		}
	}
	if withCallers {
		// The window holds every call that could keep the old key from
		// being quiet: since the new key exists, and the last --quiet-for.
		since := st.NewKeyCreated
		if since.IsZero() {
			since = st.CreateIntentAt
		}
		if q := ev.CheckedAt.Add(-m.o.QuietFor); since.IsZero() || q.Before(since) {
			since = q
		}
		ev.CallersSince = since
		evs, err := keyEvents(ctx, m.o.Cloud, st.KeyID, since, ev.CheckedAt.Add(clockSkewAllowance))
		if err != nil {
			ev.CallersUnread = true
			ev.Warnings = append(ev.Warnings, err.Error()+"; judging by the last-used summary, which counts every caller")
		} else {
			j, w := m.judge()
			ev.Warnings = append(ev.Warnings, w...)
			var lastAny time.Time
			ev.OldCallers, ev.Attackers, ev.LegitLastUsed, lastAny = j.split(evs)
			// A use the summary knows and the events do not show (yet) is
			// counted as legitimate: nothing says otherwise.
			if lu := ev.Old.LastUsed; !lu.IsZero() && !lu.Before(since) && lu.After(lastAny.Add(time.Second)) && lu.After(ev.LegitLastUsed) {
				ev.LegitLastUsed = lu
			}
		}
	}
	return ev, nil
}

// awaitCutOver is step 3. It returns ready=true after moving to cut_over.
func (m *Machine) awaitCutOver(ctx context.Context) (bool, error) {
	for {
		ev, gerr := m.gather(ctx, true)
		if gerr != nil {
			if !m.o.Wait {
				return false, gerr
			}
			m.warn(gerr.Error() + "; retrying")
			if err := m.o.Sleep(ctx, m.o.PollInterval); err != nil {
				return false, fmt.Errorf("rotate %s: stopped waiting for cut-over; re-run to resume: %w", m.o.KeyID, err)
			}
			continue
		}
		m.st.Evidence, m.rep.Evidence = ev, ev
		if len(ev.Attackers) > 0 {
			m.emit(Event{Kind: "note", Message: "attacker still trying (not counted as use of the old key): " + AttackerSummary(ev.Attackers)})
		}
		ready, waiting, wakeAt := cutOver(ev, m.st.NewKeyCreated, m.o.QuietFor, ev.CheckedAt)
		if ready && m.credKey == m.o.KeyID {
			ready, waiting, wakeAt = false, fmt.Sprintf("akresp itself signs with the old key %s; re-run it with other credentials (for example the new key %s) to disable the old one", m.o.KeyID, m.st.NewKeyID), time.Time{}
		}
		if ready {
			m.rep.WaitingFor = ""
			m.st.CutOverAt = m.now()
			if _, err := m.journal(); err != nil {
				return false, err
			}
			quiet := fmt.Sprintf("no legitimate use of the old key within --quiet-for %s", m.o.QuietFor)
			if t := ev.lastActivity(); !t.IsZero() {
				quiet = fmt.Sprintf("old key quiet since %s (--quiet-for %s)", t.Format(time.RFC3339), m.o.QuietFor)
			}
			note := fmt.Sprintf("new key %s in use (last used %s); %s",
				m.st.NewKeyID, ev.New.LastUsed.Format(time.RFC3339), quiet)
			if len(ev.Attackers) > 0 {
				note += "; not counted: " + AttackerSummary(ev.Attackers)
			}
			return true, m.advance(StepCutOver, note)
		}
		m.rep.WaitingFor = waiting
		m.emit(Event{Kind: "wait", Message: "waiting for cut-over: " + waiting})
		if err := m.save(); err != nil {
			return false, err
		}
		if !m.o.Wait {
			return false, nil
		}
		if err := m.o.Sleep(ctx, m.pause(wakeAt)); err != nil {
			return false, fmt.Errorf("rotate %s: stopped waiting for cut-over; re-run to resume: %w", m.o.KeyID, err)
		}
	}
}

// pause is how long to sleep before the next check.
func (m *Machine) pause(wakeAt time.Time) time.Duration {
	d := m.o.PollInterval
	if !wakeAt.IsZero() {
		if until := wakeAt.Sub(m.now()); until > 0 && until < d {
			d = until
		}
	}
	return d
}

// disable is step 4a: disable the old key, journaled.
func (m *Machine) disable(ctx context.Context) error {
	st := m.st
	if m.credKey == m.o.KeyID {
		return &RefusedError{KeyID: m.o.KeyID, Rule: "self-disable",
			Detail:   "akresp signs its own calls with this key; disabling it would lock akresp out of verifying or rolling back",
			Override: "re-run with other credentials (for example the new key " + st.NewKeyID + ")"}
	}
	keys, err := m.o.Cloud.ListAccessKeys(ctx, st.UserName)
	if err != nil {
		return fmt.Errorf("rotate %s: list the keys of %s: %w", m.o.KeyID, ownerName(st.UserName, st.Root), err)
	}
	old, ok := findKey(keys, m.o.KeyID)
	if !ok {
		return fmt.Errorf("rotate %s: the old key no longer exists for %s; nothing to disable (run `akresp rotate %s --status`)", m.o.KeyID, ownerName(st.UserName, st.Root), m.o.KeyID)
	}
	if old.Status == StatusInactive {
		if st.Pending != nil && st.Pending.Action == ActionDisableOldKey {
			st.DisabledAt = st.Pending.At
			m.skipped(ActionDisableOldKey, m.o.KeyID, "found Inactive on resume: the interrupted run's disable went through")
		} else {
			if st.DisabledAt.IsZero() {
				st.DisabledAt = m.now()
			}
			m.skipped(ActionDisableOldKey, m.o.KeyID, "already Inactive")
		}
	} else {
		st.DisabledAt = m.now()
		if _, err := m.mutate(ctx, ActionDisableOldKey, m.o.KeyID, map[string]string{"status": old.Status}, map[string]string{"status": StatusInactive},
			func(ctx context.Context) (string, error) {
				return m.o.Cloud.UpdateAccessKeyStatus(ctx, st.UserName, m.o.KeyID, StatusInactive)
			}); err != nil {
			return fmt.Errorf("rotate %s: disable the old key: %w", m.o.KeyID, err)
		}
	}
	if st.Evidence != nil {
		// What the last evidence said before the disable no longer holds.
		st.Evidence.Old.Status = StatusInactive
	}
	if m.o.Observe <= 0 {
		return m.advance(StepDisabled, "old key Inactive; verifying at once that no legitimate call fails with it (--observe 0s)")
	}
	return m.advance(StepDisabled, fmt.Sprintf("old key Inactive; watching for failures for %s", m.o.Observe))
}

// verify is step 4b: watch ActionTrail for legitimate calls that fail
// because the old key is disabled (a missed application). Calls refused by
// the fence or made from flagged sources are the attacker still trying:
// listed, never a reason to roll back. done is true after moving to
// verified.
func (m *Machine) verify(ctx context.Context) (bool, error) {
	st := m.st
	from := st.DisabledAt
	if m.o.Force {
		if prev := st.Evidence; prev != nil && len(prev.Failures) > 0 {
			// The user says the missed applications are fixed: observe
			// afresh from now.
			st.DisabledAt = m.now()
			from = st.DisabledAt
			m.note(fmt.Sprintf("--force: accepting %d earlier failure(s) as fixed; observing afresh from now", len(prev.Failures)))
		}
	}
	for {
		now := m.now()
		ev, err := m.observe(ctx, from, now)
		if err != nil {
			return false, fmt.Errorf("rotate %s: verify: %w", m.o.KeyID, err)
		}
		m.st.Evidence, m.rep.Evidence = ev, ev
		if ev.Old.Status == StatusActive {
			if err := m.save(); err != nil {
				return false, err
			}
			return false, &RefusedError{KeyID: m.o.KeyID, Rule: "old-key-re-enabled",
				Detail: fmt.Sprintf("the rotation disabled the old key at %s, but it is Active again (re-enabled outside this rotation); nothing observed now proves anything",
					st.DisabledAt.Format(time.RFC3339)),
				Override: fmt.Sprintf("record it with `akresp rotate %s --rollback`, then resume with `akresp rotate %s --wait`", m.o.KeyID, m.o.KeyID)}
		}
		if len(ev.Attackers) > 0 {
			m.emit(Event{Kind: "note", Message: "attacker still trying (not a missed application): " + AttackerSummary(ev.Attackers)})
		}
		if len(ev.Failures) > 0 {
			if err := m.save(); err != nil {
				return false, err
			}
			ferr := &MissedApplicationError{KeyID: m.o.KeyID, Failures: ev.Failures}
			m.rep.WaitingFor = "a missed application: roll back, switch it to the new key, re-run"
			if j, jerr := m.journal(); jerr == nil {
				_ = j.Append(journal.Record{Kind: journal.KindNote, Action: "verify", Target: m.o.KeyID, Result: journal.ResultError,
					After: mustJSON(ev.Failures), Message: ferr.Error(), Operator: m.caller.Arn, Endpoint: m.o.Endpoint})
			}
			return false, ferr
		}
		end := from.Add(m.o.Observe)
		if !now.Before(end) {
			st.VerifiedAt = now
			note := fmt.Sprintf("no legitimate call failed with the old key from %s to %s", from.Format(time.RFC3339), now.Format(time.RFC3339))
			if len(ev.Attackers) > 0 {
				note += "; attacker still trying: " + AttackerSummary(ev.Attackers)
			}
			return true, m.advance(StepVerified, note)
		}
		m.rep.WaitingFor = fmt.Sprintf("observing the disabled key for failures until %s (--observe %s)", end.Format(time.RFC3339), m.o.Observe)
		m.emit(Event{Kind: "wait", Message: m.rep.WaitingFor})
		if err := m.save(); err != nil {
			return false, err
		}
		if !m.o.Wait {
			return false, nil
		}
		if err := m.o.Sleep(ctx, m.pause(end)); err != nil {
			return false, fmt.Errorf("rotate %s: stopped observing; re-run to resume: %w", m.o.KeyID, err)
		}
	}
}

// observe gathers the observation evidence since from: live states and
// last use, and the old key's calls split into missed applications and the
// attacker still trying.
func (m *Machine) observe(ctx context.Context, from, now time.Time) (*Evidence, error) {
	ev, err := m.gather(ctx, false)
	if err != nil {
		return ev, err
	}
	ev.ObserveFrom = from
	// eventTime has second resolution and the disable may land within the
	// second it was started: look from one second before.
	evs, err := keyEvents(ctx, m.o.Cloud, m.st.KeyID, from.Add(-time.Second), now.Add(clockSkewAllowance))
	if err != nil {
		return ev, err
	}
	j, w := m.judge()
	ev.Warnings = append(ev.Warnings, w...)
	ev.Failures, ev.Attackers = j.failures(evs)
	return ev, nil
}

// ---- Rollback ----

// Rollback re-enables the old key (journaled). The new key is kept unless
// DeleteNew is set.
func (m *Machine) Rollback(ctx context.Context) (*Report, error) {
	unlock, err := m.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if m.st == nil {
		return m.finish(), fmt.Errorf("rotate %s: no rotation recorded in %s; nothing to roll back", m.o.KeyID, m.o.StateDir)
	}
	if err := m.identity(ctx); err != nil {
		return m.finish(), err
	}
	if err := m.checkFacts(ctx); err != nil {
		return m.finish(), err
	}
	err = m.rollback(ctx)
	if err == nil {
		// Show the states the rollback left, not the evidence that led to it.
		ev, gerr := m.gather(ctx, false)
		if gerr != nil {
			ev = &Evidence{CheckedAt: m.now(), Warnings: []string{gerr.Error()}}
		}
		m.st.Evidence, m.rep.Evidence = ev, ev
		_ = m.save()
	}
	return m.finish(), err
}

func (m *Machine) rollback(ctx context.Context) error {
	st := m.st
	m.rollingBack = true
	switch st.Step {
	case StepDeleted:
		return &RefusedError{KeyID: m.o.KeyID, Rule: "already-deleted",
			Detail:   "the old key was deleted; there is nothing to re-enable",
			Override: "restore it from the IMS recycle bin (RestoreAccessKeyFromRecycleBin, within about 31 days of the deletion) if you must"}
	case StepNone:
		return &RefusedError{KeyID: m.o.KeyID, Rule: "nothing-to-roll-back", Detail: "no new key exists and the old key was never disabled"}
	case StepCreating, StepCreated:
		// No secret was handed over: clean up as a resume would, then
		// record the rollback.
		if st.Step == StepCreating {
			if err := m.recoverCreating(ctx); err != nil {
				return err
			}
		} else if err := m.recoverCreatedForRollback(ctx); err != nil {
			return err
		}
		st.NewKeyGone = true
		st.RolledBackAt = m.now()
		return m.advance(StepRolledBack, "rotation abandoned before the hand-over")
	}
	if _, err := m.journal(); err != nil {
		return err
	}
	keys, err := m.o.Cloud.ListAccessKeys(ctx, st.UserName)
	if err != nil {
		return fmt.Errorf("rotate %s: list the keys of %s: %w", m.o.KeyID, ownerName(st.UserName, st.Root), err)
	}
	old, ok := findKey(keys, m.o.KeyID)
	switch {
	case !ok:
		return fmt.Errorf("rotate %s: the old key no longer exists for %s; it cannot be re-enabled (check the IMS recycle bin)", m.o.KeyID, ownerName(st.UserName, st.Root))
	case old.Status == StatusActive:
		m.skipped(ActionEnableOldKey, m.o.KeyID, "already Active")
	default:
		if _, err := m.mutate(ctx, ActionEnableOldKey, m.o.KeyID, map[string]string{"status": old.Status}, map[string]string{"status": StatusActive},
			func(ctx context.Context) (string, error) {
				return m.o.Cloud.UpdateAccessKeyStatus(ctx, st.UserName, m.o.KeyID, StatusActive)
			}); err != nil {
			return fmt.Errorf("rotate %s: re-enable the old key: %w", m.o.KeyID, err)
		}
		m.note(fmt.Sprintf("re-enabled the old key %s", m.o.KeyID))
	}
	if st.NewKeyID != "" && !st.NewKeyGone {
		if m.o.DeleteNew {
			if _, ok := findKey(keys, st.NewKeyID); ok {
				if _, err := m.mutate(ctx, ActionDeleteNewKey, st.NewKeyID, nil, map[string]string{"status": "deleted"},
					func(ctx context.Context) (string, error) {
						return m.o.Cloud.DeleteAccessKey(ctx, st.UserName, st.NewKeyID)
					}); err != nil {
					return fmt.Errorf("rotate %s: delete the new key %s: %w", m.o.KeyID, st.NewKeyID, err)
				}
				m.note(fmt.Sprintf("deleted the new key %s (--delete-new); it stays in the IMS recycle bin for about 31 days", st.NewKeyID))
			} else {
				m.skipped(ActionDeleteNewKey, st.NewKeyID, "already gone")
			}
			st.NewKeyGone = true
		} else {
			m.note(fmt.Sprintf("kept the new key %s: applications already switched to it keep working; after fixing the missed application re-run `akresp rotate %s` to resume from cut-over (or roll back with --delete-new to abandon it)", st.NewKeyID, m.o.KeyID))
		}
	}
	st.RolledBackAt = m.now()
	st.CutOverAt, st.DisabledAt, st.VerifiedAt = time.Time{}, time.Time{}, time.Time{}
	return m.advance(StepRolledBack, "old key re-enabled")
}

func (m *Machine) recoverCreatedForRollback(ctx context.Context) error {
	st := m.st
	keys, err := m.o.Cloud.ListAccessKeys(ctx, st.UserName)
	if err != nil {
		return fmt.Errorf("rotate %s: list the keys of %s: %w", m.o.KeyID, ownerName(st.UserName, st.Root), err)
	}
	if _, ok := findKey(keys, st.NewKeyID); ok {
		return m.discard(ctx, st.NewKeyID, "rolled back before the hand-over was recorded")
	}
	return nil
}

// ---- Delete: step 5 ----

// Delete deletes the old key once verification passed (or, with Force, once
// it is disabled). Deleted keys stay in the IMS recycle bin for a while.
func (m *Machine) Delete(ctx context.Context) (*Report, error) {
	unlock, err := m.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if m.st == nil {
		return m.finish(), &RefusedError{KeyID: m.o.KeyID, Rule: "delete-without-rotation",
			Detail: "no rotation recorded in " + m.o.StateDir + "; akresp rotate only deletes a key it rotated", Override: "use akresp disable to retire a key outside a rotation"}
	}
	if err := m.identity(ctx); err != nil {
		return m.finish(), err
	}
	if err := m.checkFacts(ctx); err != nil {
		return m.finish(), err
	}
	m.windows()
	err = m.deleteOld(ctx)
	return m.finish(), err
}

func (m *Machine) deleteOld(ctx context.Context) error {
	st := m.st
	switch {
	case st.Step == StepDeleted:
		m.note("the old key was already deleted")
		return nil
	case st.Step == StepVerified:
	case st.Step == StepDisabled && m.o.Force:
		m.note("--force: deleting before the observation window ended")
	default:
		ov := fmt.Sprintf("finish with `akresp rotate %s --wait` first", m.o.KeyID)
		if st.Step == StepDisabled {
			ov += ", or add --force to delete before the observation window ends"
		}
		return &RefusedError{KeyID: m.o.KeyID, Rule: "delete-before-verified",
			Detail: fmt.Sprintf("the rotation is at step %s; the old key is deleted only after it was disabled and nothing failed with it", st.Step), Override: ov}
	}
	if st.Evidence != nil && len(st.Evidence.Failures) > 0 && !m.o.Force {
		return &RefusedError{KeyID: m.o.KeyID, Rule: "delete-after-failures",
			Detail:   fmt.Sprintf("%d call(s) failed with the disabled key", len(st.Evidence.Failures)),
			Override: fmt.Sprintf("roll back (akresp rotate %s --rollback) or accept them with --force", m.o.KeyID)}
	}
	keys, err := m.o.Cloud.ListAccessKeys(ctx, st.UserName)
	if err != nil {
		return fmt.Errorf("rotate %s: list the keys of %s: %w", m.o.KeyID, ownerName(st.UserName, st.Root), err)
	}
	if _, err := m.journal(); err != nil {
		return err
	}
	old, ok := findKey(keys, m.o.KeyID)
	switch {
	case !ok:
		m.skipped(ActionDeleteOldKey, m.o.KeyID, "already gone")
		st.DeletedAt = m.now()
		m.note(fmt.Sprintf("the old key %s was already deleted outside this rotation (akresp disable --delete, or by hand); IMS keeps deleted keys in its recycle bin for about 31 days (ListAccessKeysInRecycleBin / RestoreAccessKeyFromRecycleBin)", m.o.KeyID))
		return m.advance(StepDeleted, "old key already deleted")
	case old.Status != StatusInactive:
		return &RefusedError{KeyID: m.o.KeyID, Rule: "delete-active-key",
			Detail:   "the old key is " + old.Status + " again (someone re-enabled it since it was disabled)",
			Override: fmt.Sprintf("find out why, then run `akresp rotate %s --rollback` and rotate again, or disable it first", m.o.KeyID)}
	default:
		if _, err := m.mutate(ctx, ActionDeleteOldKey, m.o.KeyID, map[string]string{"status": old.Status}, map[string]string{"status": "deleted"},
			func(ctx context.Context) (string, error) {
				return m.o.Cloud.DeleteAccessKey(ctx, st.UserName, m.o.KeyID)
			}); err != nil {
			return fmt.Errorf("rotate %s: delete the old key: %w", m.o.KeyID, err)
		}
	}
	st.DeletedAt = m.now()
	m.note(fmt.Sprintf("deleted the old key %s; IMS keeps deleted keys in its recycle bin for about 31 days (ListAccessKeysInRecycleBin / RestoreAccessKeyFromRecycleBin)", m.o.KeyID))
	return m.advance(StepDeleted, "old key deleted")
}

// ---- Status ----

// Status reports the rotation's step with the keys' live states, fresh
// evidence, where the cloud differs from the state file, and the next
// command. It changes nothing, takes no lock and writes no journal. It
// fails (exit 1) when the cloud cannot be read: a status that cannot see
// the keys says nothing.
func (m *Machine) Status(ctx context.Context) (*Report, error) {
	m.readOnly = true
	st, err := LoadState(m.o.StateDir, m.o.KeyID)
	if err != nil {
		return nil, err
	}
	m.st = st
	m.rep = &Report{SchemaVersion: ReportSchema, KeyID: m.o.KeyID, Actions: []ActionResult{}}
	if err := m.identity(ctx); err != nil {
		return m.finish(), fmt.Errorf("rotate %s --status: cannot read the cloud: %w", m.o.KeyID, err)
	}
	if st == nil {
		o, root, err := m.owner(ctx)
		if err != nil {
			return m.finish(), err
		}
		m.rep.User, m.rep.Root = o.UserName, root
		keys, err := m.o.Cloud.ListAccessKeys(ctx, o.UserName)
		if err != nil {
			return m.finish(), fmt.Errorf("rotate %s --status: cannot read the cloud: list the keys of %s: %w", m.o.KeyID, ownerName(o.UserName, root), err)
		}
		lk := LiveKey{Role: "old", KeyID: m.o.KeyID, Status: "absent"}
		if k, ok := findKey(keys, m.o.KeyID); ok {
			lk.Status = k.Status
		}
		u, _ := readLastUsed(ctx, m.o.Cloud, o.UserName, m.o.KeyID)
		lk.LastUsed, lk.Known, lk.Service = u.LastUsed, u.Known, u.Service
		m.rep.Keys = []LiveKey{lk}
		m.rep.Notes = append(m.rep.Notes, "no rotation of this key is recorded in "+m.o.StateDir)
		return m.finish(), nil
	}
	m.windows()
	if err := m.checkFacts(ctx); err != nil {
		return m.finish(), err
	}
	now := m.now()
	var ev *Evidence
	switch st.Step {
	case StepDisabled:
		ev, err = m.observe(ctx, st.DisabledAt, now)
	default:
		withCallers := st.NewKeyID != "" && !st.NewKeyGone && (st.Step == StepHandedOver || st.Step == StepCutOver || st.Step == StepRolledBack)
		ev, err = m.gather(ctx, withCallers)
		if err == nil && ev.CallersUnread {
			err = fmt.Errorf("the old key's events could not be read (%s)", strings.Join(ev.Warnings, "; "))
		}
	}
	if err != nil {
		return m.finish(), fmt.Errorf("rotate %s --status: cannot read the cloud: %w", m.o.KeyID, err)
	}
	if !ev.Old.Known && ev.Old.Status != "absent" {
		return m.finish(), fmt.Errorf("rotate %s --status: cannot read the cloud: the old key's last use is unknown (%s)", m.o.KeyID, strings.Join(ev.Warnings, "; "))
	}
	m.rep.Evidence = ev
	m.rep.Keys = m.liveKeys(ctx, ev)
	m.rep.Drift = m.drift(ctx, ev)
	switch st.Step {
	case StepHandedOver:
		ready, waiting, _ := cutOver(ev, st.NewKeyCreated, m.o.QuietFor, ev.CheckedAt)
		if ready {
			m.rep.WaitingFor = "nothing: cut-over evidence is complete; the next run disables the old key"
		} else {
			m.rep.WaitingFor = waiting
		}
	case StepDisabled:
		switch end := st.DisabledAt.Add(m.o.Observe); {
		case ev.Old.Status == StatusActive:
			m.rep.WaitingFor = "nothing: the old key is Active again; record that with --rollback"
		case len(ev.Failures) > 0:
			m.rep.WaitingFor = fmt.Sprintf("%d legitimate call(s) failed with the disabled key: an application was missed", len(ev.Failures))
		case now.Before(end):
			m.rep.WaitingFor = "observing the disabled key for failures until " + end.Format(time.RFC3339)
		default:
			m.rep.WaitingFor = "nothing: the observation window passed without failures; the next run marks the rotation verified"
		}
	case StepCreating, StepCreated:
		m.rep.WaitingFor = "the previous run stopped before the new secret was handed over; the next run deletes that key (its secret is lost) and creates a new one"
	}
	if m.st.Pending != nil {
		m.rep.Notes = append(m.rep.Notes, fmt.Sprintf("an interrupted run left %s %s unconfirmed (started %s); the next run re-checks it",
			m.st.Pending.Action, m.st.Pending.Target, m.st.Pending.At.Format(time.RFC3339)))
	}
	return m.finish(), nil
}

// liveKeys lists both keys as the cloud shows them, with their network
// ACLs when the rotation copied one.
func (m *Machine) liveKeys(ctx context.Context, ev *Evidence) []LiveKey {
	st := m.st
	acl := func(id, status string) string {
		if st.ACL == nil || status == "absent" || status == "" {
			return ""
		}
		doc, err := m.o.Cloud.GetAccessKeyPolicy(ctx, id, st.UserPrincipalName)
		if err != nil {
			return "unknown (" + err.Error() + ")"
		}
		return ACLSummary(doc)
	}
	old := LiveKey{Role: "old", KeyID: st.KeyID, Status: ev.Old.Status, LastUsed: ev.Old.LastUsed, Known: ev.Old.Known, Service: ev.Old.Service}
	old.ACL = acl(old.KeyID, old.Status)
	out := []LiveKey{old}
	if ev.New != nil {
		nk := LiveKey{Role: "new", KeyID: ev.New.KeyID, Status: ev.New.Status, LastUsed: ev.New.LastUsed, Known: ev.New.Known, Service: ev.New.Service}
		nk.ACL = acl(nk.KeyID, nk.Status)
		out = append(out, nk)
	}
	return out
}

// drift says where the cloud differs from what the state file expects.
func (m *Machine) drift(ctx context.Context, ev *Evidence) []string {
	st := m.st
	var out []string
	old := ev.Old.Status
	switch st.Step {
	case StepDisabled, StepVerified:
		if old == StatusActive {
			out = append(out, fmt.Sprintf("the old key %s is Active, but the rotation disabled it at %s: it was re-enabled outside the rotation (by hand?)",
				st.KeyID, st.DisabledAt.UTC().Format(time.RFC3339)))
		}
	case StepDeleted:
		if old != "absent" {
			out = append(out, fmt.Sprintf("the old key %s exists (%s), but the rotation deleted it at %s: it was restored outside the rotation", st.KeyID, old, st.DeletedAt.UTC().Format(time.RFC3339)))
		}
	case StepHandedOver, StepCutOver, StepRolledBack:
		if old == StatusInactive {
			out = append(out, fmt.Sprintf("the old key %s is Inactive, but the rotation has not disabled it (step %s): it was disabled outside the rotation", st.KeyID, st.Step))
		}
	}
	if old == "absent" && st.Step != StepDeleted {
		out = append(out, fmt.Sprintf("the old key %s no longer exists, but the rotation has not deleted it (step %s)", st.KeyID, st.Step))
	}
	if ev.New != nil && st.Step != StepCreating && st.Step != StepCreated {
		switch {
		case st.NewKeyGone && ev.New.Status != "absent":
			out = append(out, fmt.Sprintf("the new key %s exists (%s), but the rollback deleted it", st.NewKeyID, ev.New.Status))
		case !st.NewKeyGone && ev.New.Status == "absent":
			out = append(out, fmt.Sprintf("the new key %s no longer exists", st.NewKeyID))
		case !st.NewKeyGone && ev.New.Status == StatusInactive:
			out = append(out, fmt.Sprintf("the new key %s is Inactive: applications switched to it are failing", st.NewKeyID))
		}
	}
	if inh := st.ACL; inh != nil && inh.SetOn != "" && inh.SetOn == st.NewKeyID && ev.New != nil && ev.New.Status != "absent" {
		if doc, err := m.o.Cloud.GetAccessKeyPolicy(ctx, st.NewKeyID, st.UserPrincipalName); err == nil && !sameACL(doc, inh.Policy) {
			out = append(out, fmt.Sprintf("the new key %s's network ACL is %s, not the %s it inherited: the containment changed outside the rotation",
				st.NewKeyID, ACLSummary(doc), ACLSummary(inh.Policy)))
		}
	}
	return out
}
