package rotate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/redact"
	"github.com/akresp/akresp/internal/state"
)

// ReportSchema versions the JSON output of `akresp rotate`.
const ReportSchema = "akresp.rotate/v1"

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
	KeyID         string          `json:"key_id"`
	User          string          `json:"user,omitempty"`
	Root          bool            `json:"root_account_key"`
	Step          Step            `json:"step"`
	Complete      bool            `json:"complete"`
	NewKeyID      string          `json:"new_key_id,omitempty"`
	NewKeyDeleted bool            `json:"new_key_deleted,omitempty"`
	Handover      *HandoverRecord `json:"handover,omitempty"`
	WaitingFor    string          `json:"waiting_for,omitempty"`
	Evidence      *Evidence       `json:"evidence,omitempty"`
	Actions       []ActionResult  `json:"actions"`
	Notes         []string        `json:"notes,omitempty"`
	Discarded     []DiscardedKey  `json:"discarded_keys,omitempty"`
	NextCommand   string          `json:"next_command,omitempty"`
	History       []Transition    `json:"history,omitempty"`
	Journal       string          `json:"journal,omitempty"`
	StateFile     string          `json:"state_file,omitempty"`
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
	if m.j != nil {
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
	r.Handover, r.Discarded, r.History = st.Handover, st.Discarded, st.History
	if r.Evidence == nil {
		r.Evidence = st.Evidence
	}
	r.Complete = st.Step == StepDeleted
	r.StateFile = StatePath(m.o.StateDir, m.o.KeyID)
	if m.j != nil {
		r.Journal = m.j.Path()
	}
	r.NextCommand = nextCommand(st, r.Evidence)
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
// key the caller may rotate.
func (m *Machine) owner(ctx context.Context) (user string, root bool, err error) {
	u, found, err := m.o.Cloud.UserByAccessKey(ctx, m.o.KeyID)
	if err != nil {
		return "", false, fmt.Errorf("rotate %s: find its owner: %w", m.o.KeyID, err)
	}
	if found {
		return u, false, nil
	}
	if !m.caller.IsRoot() {
		return "", false, &RefusedError{KeyID: m.o.KeyID, Rule: "root-key",
			Detail:   "no RAM user owns this key: it is unknown or belongs to the root account, and only the root account can rotate its own keys (akresp runs as " + m.caller.Arn + ")",
			Override: "check the ID, or run akresp with the root account's credentials to rotate a root key"}
	}
	keys, err := m.o.Cloud.ListAccessKeys(ctx, "")
	if err != nil {
		return "", false, fmt.Errorf("rotate %s: list the root account's keys: %w", m.o.KeyID, err)
	}
	if !slices.ContainsFunc(keys, func(k Key) bool { return k.ID == m.o.KeyID }) {
		return "", false, fmt.Errorf("rotate %s: not found: no RAM user owns it and it is not one of the root account's keys", m.o.KeyID)
	}
	return "", true, nil
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
	user, root := "", false
	if m.st != nil {
		user, root = m.st.UserName, m.st.Root
	} else {
		var err error
		if user, root, err = m.owner(ctx); err != nil {
			return err
		}
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
	_, err := m.mutate(ctx, ActionCreateKey, ownerName(st.UserName, st.Root), map[string]any{"keys": st.KeysBefore}, nil,
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
	if m.o.Handover == nil {
		return &NeedHandoverError{KeyID: m.o.KeyID, Reason: "the previous run stopped while creating the new key; its key (if any) will be deleted and a new one created"}
	}
	if err := m.o.Handover.Check(); err != nil {
		return fmt.Errorf("rotate %s: %w", m.o.KeyID, err)
	}
	keys, err := m.o.Cloud.ListAccessKeys(ctx, m.st.UserName)
	if err != nil {
		return fmt.Errorf("rotate %s: list the keys of %s: %w", m.o.KeyID, ownerName(m.st.UserName, m.st.Root), err)
	}
	found := false
	for _, k := range keys {
		if k.ID == m.o.KeyID || slices.Contains(m.st.KeysBefore, k.ID) {
			continue
		}
		if !k.CreateDate.IsZero() && k.CreateDate.Before(m.st.CreateIntentAt.Add(-clockSkewAllowance)) {
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

// gather collects cut-over evidence: last-used facts for both keys and the
// old key's callers since the new key was created.
func (m *Machine) gather(ctx context.Context, withCallers bool) *Evidence {
	st := m.st
	ev := &Evidence{CheckedAt: m.now()}
	if keys, err := m.o.Cloud.ListAccessKeys(ctx, st.UserName); err != nil {
		ev.Warnings = append(ev.Warnings, fmt.Sprintf("list keys: %v", err))
	} else {
		if k, ok := findKey(keys, st.KeyID); ok {
			ev.Old.Status = k.Status
		} else {
			ev.Old.Status = "absent"
		}
		if st.NewKeyID != "" {
			if k, ok := findKey(keys, st.NewKeyID); ok {
				ev.New = &KeyUsage{KeyID: k.ID, Status: k.Status}
			} else {
				ev.New = &KeyUsage{KeyID: st.NewKeyID, Status: "absent"}
			}
		}
	}
	status := ev.Old.Status
	var w []string
	ev.Old, w = readLastUsed(ctx, m.o.Cloud, st.UserName, st.KeyID)
	ev.Old.Status = status
	ev.Warnings = append(ev.Warnings, w...)
	if st.NewKeyID != "" && !st.NewKeyGone {
		ns := ""
		if ev.New != nil {
			ns = ev.New.Status
		}
		nu, w := readLastUsed(ctx, m.o.Cloud, st.UserName, st.NewKeyID)
		nu.Status = ns
		ev.New = &nu
		ev.Warnings = append(ev.Warnings, w...)
	}
	if withCallers {
		since := st.NewKeyCreated
		if since.IsZero() {
			since = st.CreateIntentAt
		}
		ev.CallersSince = since
		evs, err := keyEvents(ctx, m.o.Cloud, st.KeyID, since, ev.CheckedAt.Add(clockSkewAllowance))
		if err != nil {
			ev.Warnings = append(ev.Warnings, err.Error())
		} else {
			ev.OldCallers = callers(evs)
		}
	}
	return ev
}

// awaitCutOver is step 3. It returns ready=true after moving to cut_over.
func (m *Machine) awaitCutOver(ctx context.Context) (bool, error) {
	for {
		ev := m.gather(ctx, true)
		m.st.Evidence, m.rep.Evidence = ev, ev
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
			last := "never"
			if t := ev.lastActivity(); !t.IsZero() {
				last = t.Format(time.RFC3339)
			}
			return true, m.advance(StepCutOver, fmt.Sprintf("new key %s in use (last used %s); old key quiet since %s (--quiet-for %s)",
				m.st.NewKeyID, ev.New.LastUsed.Format(time.RFC3339), last, m.o.QuietFor))
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
	return m.advance(StepDisabled, fmt.Sprintf("old key Inactive; watching for failures for %s", m.o.Observe))
}

// verify is step 4b: watch ActionTrail for calls that fail because the old
// key is disabled. done is true after moving to verified.
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
		ev := &Evidence{CheckedAt: now, ObserveFrom: from, Old: KeyUsage{KeyID: st.KeyID, Status: StatusInactive, Known: true}}
		evs, err := keyEvents(ctx, m.o.Cloud, st.KeyID, from.Add(-time.Second), now.Add(clockSkewAllowance))
		if err != nil {
			return false, fmt.Errorf("rotate %s: verify: %w", m.o.KeyID, err)
		}
		ev.Failures = failures(evs)
		m.st.Evidence, m.rep.Evidence = ev, ev
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
			return true, m.advance(StepVerified, fmt.Sprintf("no call failed with the old key from %s to %s", from.Format(time.RFC3339), now.Format(time.RFC3339)))
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
	err = m.rollback(ctx)
	return m.finish(), err
}

func (m *Machine) rollback(ctx context.Context) error {
	st := m.st
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

// Status reports the rotation's step, fresh evidence and the next command.
// It changes nothing, takes no lock and writes no journal.
func (m *Machine) Status(ctx context.Context) (*Report, error) {
	st, err := LoadState(m.o.StateDir, m.o.KeyID)
	if err != nil {
		return nil, err
	}
	m.st = st
	m.rep = &Report{SchemaVersion: ReportSchema, KeyID: m.o.KeyID, Actions: []ActionResult{}}
	if st == nil {
		m.rep.Notes = append(m.rep.Notes, "no rotation of this key is recorded in "+m.o.StateDir)
		return m.finish(), nil
	}
	switch st.Step {
	case StepHandedOver, StepCutOver, StepRolledBack:
		if st.NewKeyID != "" {
			ev := m.gather(ctx, true)
			m.rep.Evidence = ev
			if st.Step == StepHandedOver {
				ready, waiting, _ := cutOver(ev, st.NewKeyCreated, m.o.QuietFor, ev.CheckedAt)
				if ready {
					m.rep.WaitingFor = "nothing: cut-over evidence is complete; the next run disables the old key"
				} else {
					m.rep.WaitingFor = waiting
				}
			}
		}
	case StepDisabled:
		now := m.now()
		ev := &Evidence{CheckedAt: now, ObserveFrom: st.DisabledAt, Old: KeyUsage{KeyID: st.KeyID, Status: StatusInactive, Known: true}}
		if evs, err := keyEvents(ctx, m.o.Cloud, st.KeyID, st.DisabledAt.Add(-time.Second), now.Add(clockSkewAllowance)); err != nil {
			ev.Warnings = append(ev.Warnings, err.Error())
		} else {
			ev.Failures = failures(evs)
		}
		m.rep.Evidence = ev
		switch end := st.DisabledAt.Add(m.o.Observe); {
		case len(ev.Failures) > 0:
			m.rep.WaitingFor = fmt.Sprintf("%d call(s) failed with the disabled key: an application was missed", len(ev.Failures))
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
