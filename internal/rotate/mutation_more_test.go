package rotate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/journal"
)

// Behaviours the rotate mutation run of 2026-12-05 (docs/mutation.md,
// /work/notes/rotate-survivors.md) found unpinned: the warning when akresp
// cannot tell which key it signs with, the step every progress event
// carries, the note of every step, a mutation whose outcome cannot be
// journaled, a disable applied by an interrupted call, the windows in the
// report, and an --exec child that leaves a process holding its output.

// cloudHooks wraps the fake account to fail or intercept single calls.
type cloudHooks struct {
	*fakeCloud
	credErr error  // CredentialKeyID fails with it
	onSet   func() // runs inside UpdateAccessKeyStatus, after the change
	setErr  error  // UpdateAccessKeyStatus applies the change, then fails with it
	onList  func() // runs before every ListAccessKeys
}

func (c *cloudHooks) ListAccessKeys(ctx context.Context, user string) ([]Key, error) {
	if c.onList != nil {
		c.onList()
	}
	return c.fakeCloud.ListAccessKeys(ctx, user)
}

func (c *cloudHooks) CredentialKeyID(ctx context.Context) (string, error) {
	if c.credErr != nil {
		return "", c.credErr
	}
	return c.fakeCloud.CredentialKeyID(ctx)
}

func (c *cloudHooks) UpdateAccessKeyStatus(ctx context.Context, user, keyID, status string) (string, error) {
	rid, err := c.fakeCloud.UpdateAccessKeyStatus(ctx, user, keyID, status)
	if err != nil {
		return rid, err
	}
	if c.onSet != nil {
		c.onSet()
	}
	if c.setErr != nil {
		return "", c.setErr
	}
	return rid, nil
}

const credWarning = "warning: cannot tell which AccessKey akresp signs with"

// When akresp cannot tell which key signs its own calls (its self-disable
// guard is then blind), the run says so as a warning; when it can, no such
// warning appears.
func TestCredentialKeyUnknownIsAWarning(t *testing.T) {
	f := newFixture(t)
	rep, err := f.run()
	if err != nil {
		t.Fatal(err)
	}
	if notes := strings.Join(rep.Notes, "\n"); strings.Contains(notes, credWarning) {
		t.Errorf("a readable credential key was warned about: %q", notes)
	}

	f = newFixture(t)
	var warnings []string
	rep, err = f.run(func(o *Options) {
		o.Cloud = &cloudHooks{fakeCloud: f.cloud, credErr: errors.New("the credential provider gave no key id")}
		o.OnEvent = func(e Event) {
			if e.Kind == "warning" {
				warnings = append(warnings, e.Message)
			}
		}
	})
	if err != nil {
		t.Fatalf("an unknown credential key stopped the run: %v", err)
	}
	want := credWarning + ": the credential provider gave no key id"
	if !strings.Contains(strings.Join(rep.Notes, "\n"), want) {
		t.Errorf("notes %q, want %q", rep.Notes, want)
	}
	if len(warnings) == 0 || !strings.HasPrefix(warnings[0], "cannot tell which AccessKey akresp signs with") {
		t.Errorf("warning events %q", warnings)
	}
	if rep.Step != StepHandedOver {
		t.Errorf("step %s, want %s", rep.Step, StepHandedOver)
	}
}

// Every progress event carries the step the rotation stood at when it was
// emitted; a step event carries the step it reached.
func TestEventsCarryTheirStep(t *testing.T) {
	f := newFixture(t)
	var events []Event
	if _, err := f.run(func(o *Options) { o.OnEvent = func(e Event) { events = append(events, e) } }); err != nil {
		t.Fatal(err)
	}
	want := map[string]Step{ActionCreateKey: StepCreating, ActionHandOver: StepCreated}
	seen := map[string]int{}
	steps := 0
	for _, e := range events {
		switch e.Kind {
		case "action":
			if w, ok := want[e.Action]; ok {
				seen[e.Action]++
				if e.Step != w {
					t.Errorf("%s event %q: step %q, want %q", e.Action, e.Message, e.Step, w)
				}
			}
		case "step":
			steps++
			if !strings.HasPrefix(e.Message, string(e.Step)+": ") {
				t.Errorf("step event %q carries step %q", e.Message, e.Step)
			}
		}
		if e.Step == "" {
			t.Errorf("%s event %q without a step", e.Kind, e.Message)
		}
	}
	if seen[ActionCreateKey] != 2 || seen[ActionHandOver] != 2 || steps != 3 {
		t.Errorf("events seen: actions %v, steps %d; want 2 per action (start, outcome) and 3 steps", seen, steps)
	}
}

// A step's message, on the screen ("✓ ...") and in the journal, is the
// step followed by its note.
func TestStepMessagesCarryTheirNote(t *testing.T) {
	f := newFixture(t)
	var shown []string
	rep, err := f.run(func(o *Options) {
		o.OnEvent = func(e Event) {
			if e.Kind == "step" {
				shown = append(shown, e.Message)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"creating: about to create the new key for user " + appUser,
		"created: new key " + rep.NewKeyID,
		"handed_over: secret of " + rep.NewKeyID + " handed over via ",
	}
	var journaled []string
	for _, r := range f.journal() {
		if r.Kind == journal.KindNote && r.Action == "step" {
			journaled = append(journaled, r.Message)
		}
	}
	for name, got := range map[string][]string{"shown": shown, "journaled": journaled} {
		if len(got) != len(want) {
			t.Fatalf("%s step messages %q, want %d", name, got, len(want))
		}
		for i := range want {
			if !strings.HasPrefix(got[i], want[i]) {
				t.Errorf("%s step message %d = %q, want it to start with %q", name, i, got[i], want[i])
			}
		}
	}
}

// oldKeyQuietAndHandedOver runs a rotation to handed_over with the old key
// quiet and the new key in use: the next run cuts over and disables.
func oldKeyQuietAndHandedOver(t *testing.T) (*fixture, string) {
	t.Helper()
	f := newFixture(t)
	f.clock.Advance(3 * time.Hour)
	rep, err := f.run()
	if err != nil || rep.Step != StepHandedOver {
		t.Fatalf("first run: %v step %s", err, rep.Step)
	}
	if p := f.state().Pending; p != nil {
		t.Errorf("state after a run whose calls all succeeded still has %+v pending", p)
	}
	f.cloud.use(rep.NewKeyID, officeIP, "app/2.0", "Ecs", f.clock.Now())
	return f, rep.NewKeyID
}

func statusNotes(t *testing.T, f *fixture) string {
	t.Helper()
	m, err := New(f.opts(func(o *Options) { o.Handover = nil }))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := m.Status(context.Background())
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	return strings.Join(rep.Notes, "\n")
}

// A disable the cloud applied but whose outcome cannot be journaled (the
// journal's disk failing under it) is a failure, not a step reached: the
// run stops at cut_over with the disable pending, so the next run re-reads
// the key instead of trusting either possibility.
func TestUnjournaledDisableIsAFailure(t *testing.T) {
	f, _ := oldKeyQuietAndHandedOver(t)
	hooks := &cloudHooks{fakeCloud: f.cloud}
	m, err := New(f.opts(func(o *Options) { o.Cloud = hooks }))
	if err != nil {
		t.Fatal(err)
	}
	hooks.onSet = func() { _ = m.j.Close() }
	rep, err := m.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "disable the old key") || !strings.Contains(err.Error(), "append after close") {
		t.Fatalf("run = %v, want the disable to fail on its unjournaled outcome", err)
	}
	if f.cloud.keys[oldKey].Status != StatusInactive {
		t.Fatal("the fake did not apply the disable")
	}
	st := f.state()
	if st.Step != StepCutOver || rep.Step != StepCutOver {
		t.Errorf("step %s (report %s), want %s: a change whose outcome is not journaled is not a step reached", st.Step, rep.Step, StepCutOver)
	}
	if st.Pending == nil || st.Pending.Action != ActionDisableOldKey {
		t.Errorf("pending %+v, want %s", st.Pending, ActionDisableOldKey)
	}
}

// A disable that went through although its call failed (a reset after
// the request was sent) is found on resume: journaled as skipped with the
// reason, no longer pending, observed from the interrupted call, and the
// next command is --wait (nothing failed).
func TestDisableAppliedButUnconfirmedResumes(t *testing.T) {
	f, _ := oldKeyQuietAndHandedOver(t)
	_, err := f.run(func(o *Options) {
		o.Cloud = &cloudHooks{fakeCloud: f.cloud, setErr: errors.New("connection reset after the request was sent")}
	})
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("run = %v, want the disable's error", err)
	}
	pending := f.state().Pending
	if pending == nil || pending.Action != ActionDisableOldKey {
		t.Fatalf("pending %+v, want %s", pending, ActionDisableOldKey)
	}
	if notes := statusNotes(t, f); !strings.Contains(notes, "an interrupted run left "+ActionDisableOldKey+" "+oldKey+" unconfirmed") {
		t.Errorf("status notes %q do not name the unconfirmed disable", notes)
	}

	f.clock.Advance(time.Minute)
	rep, err := f.run()
	if err != nil || rep.Step != StepDisabled {
		t.Fatalf("resume: %v step %s", err, rep.Step)
	}
	const why = "found Inactive on resume: the interrupted run's disable went through"
	var skipped []journal.Record
	for _, r := range f.journal() {
		if r.Kind == journal.KindOutcome && r.Action == ActionDisableOldKey && r.Result == journal.ResultSkipped {
			skipped = append(skipped, r)
		}
	}
	if len(skipped) != 1 || skipped[0].Message != why || skipped[0].Target != oldKey {
		t.Errorf("journaled skipped disables %+v, want one saying %q", skipped, why)
	}
	if len(rep.Actions) == 0 || rep.Actions[0].Action != ActionDisableOldKey || rep.Actions[0].Result != journal.ResultSkipped {
		t.Errorf("report actions %+v, want the skipped disable", rep.Actions)
	}
	st := f.state()
	if st.Pending != nil {
		t.Errorf("pending %+v after the resume confirmed it", st.Pending)
	}
	if !st.DisabledAt.Equal(pending.At) {
		t.Errorf("disabled at %s, want the interrupted call's %s", st.DisabledAt, pending.At)
	}
	if notes := statusNotes(t, f); strings.Contains(notes, "an interrupted run left") {
		t.Errorf("status after the resume still reports an unconfirmed action: %q", notes)
	}
	if want := "akresp rotate " + oldKey + " --wait"; rep.NextCommand != want {
		t.Errorf("next command %q, want %q (nothing failed with the disabled key)", rep.NextCommand, want)
	}
}

// The report shows the windows saved with the rotation.
func TestReportShowsTheSavedWindows(t *testing.T) {
	f := newFixture(t)
	rep, err := f.run()
	if err != nil {
		t.Fatal(err)
	}
	rep, err = f.run()
	if err != nil {
		t.Fatal(err)
	}
	if rep.QuietFor != "2h0m0s" || rep.Observe != "1h0m0s" {
		t.Errorf("report windows quiet_for %q observe %q, want 2h0m0s and 1h0m0s", rep.QuietFor, rep.Observe)
	}
	st := f.state()
	st.QuietFor, st.Observe = nil, nil
	if got := (&Machine{o: f.opts(), st: st, rep: &Report{}}).finish(); got.QuietFor != "" || got.Observe != "" {
		t.Errorf("a state without windows reports quiet_for %q observe %q", got.QuietFor, got.Observe)
	}
}

// An --exec child that exits but leaves a background process holding its
// output (a daemonising secrets agent) does not hold the rotation: Deliver
// returns within its 5 s grace (exec.Cmd.WaitDelay), not when that process
// ends. The test takes those 5 seconds.
func TestExecHandoverDoesNotWaitForABackgroundChild(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	t.Cleanup(func() {
		if b, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	var out strings.Builder
	h := ExecHandover{Command: "cat >/dev/null; sleep 60 & echo $! >" + pidFile, Output: &out}
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- h.Deliver(context.Background(), testCred) }()
	select {
	case <-done:
		if d := time.Since(start); d < 4*time.Second {
			t.Errorf("returned after %s, before the grace for the child's output", d)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Deliver still waits 30 s after the child exited: it waits for its background process")
	}
}

// boundedRun runs the fixture's command with a context that is cancelled
// once the run has listed the owner's keys limit times: a run that should
// return after one check and instead loops ends as "interrupted".
func boundedRun(t *testing.T, f *fixture, limit int) (*Report, int, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lists := 0
	hooks := &cloudHooks{fakeCloud: f.cloud, onList: func() {
		if lists++; lists >= limit {
			cancel()
		}
	}}
	m, err := New(f.opts(func(o *Options) { o.Cloud = hooks }))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := m.Run(ctx)
	return rep, lists, err
}

// Without --wait, a run that has to wait (for the cut-over, then for the
// observation window) returns after one check with the step it reached;
// it does not keep polling.
func TestRunWithoutWaitReturnsAfterOneCheck(t *testing.T) {
	f := newFixture(t)
	f.clock.Advance(3 * time.Hour)
	rep, lists, err := boundedRun(t, f, 50)
	if err != nil || rep.Step != StepHandedOver || !strings.Contains(rep.WaitingFor, "has not been used yet") {
		t.Fatalf("first run (new key unused): %v, step %s, waiting %q, after %d key listings", err, rep.Step, rep.WaitingFor, lists)
	}
	f.cloud.use(rep.NewKeyID, officeIP, "app/2.0", "Ecs", f.clock.Now())
	rep, lists, err = boundedRun(t, f, 50)
	if err != nil || rep.Step != StepDisabled || !strings.Contains(rep.WaitingFor, "observing") {
		t.Fatalf("second run (cut over, observation not over): %v, step %s, waiting %q, after %d key listings", err, rep.Step, rep.WaitingFor, lists)
	}
}

// Without an attacker in the evidence, nothing speaks of one: no "attacker
// still trying" progress note while waiting or observing, and neither the
// cut-over's nor the verification's note lists attackers.
func TestNoAttackerNoteWithoutAttackers(t *testing.T) {
	f := newFixture(t)
	var msgs []string
	newKey := ""
	rep, err := f.run(func(o *Options) {
		o.Wait = true
		o.OnEvent = func(e Event) { msgs = append(msgs, e.Message) }
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			f.clock.Advance(d)
			if newKey == "" {
				newKey = f.state().NewKeyID
				f.cloud.use(newKey, officeIP, "app/2.0", "Ecs", f.clock.Now())
			}
			return nil
		}
	})
	if err != nil || rep.Step != StepVerified {
		t.Fatalf("run --wait: %v step %s", err, rep.Step)
	}
	if rep.Evidence == nil || len(rep.Evidence.Attackers) != 0 {
		t.Fatalf("evidence %+v, want no attacker", rep.Evidence)
	}
	for _, m := range msgs {
		if strings.Contains(m, "attacker") || strings.Contains(m, "not counted") {
			t.Errorf("event %q speaks of an attacker the evidence does not hold", m)
		}
	}
	for _, h := range f.state().History {
		if strings.Contains(h.Note, "attacker") || strings.Contains(h.Note, "not counted") {
			t.Errorf("step %s note %q speaks of an attacker", h.Step, h.Note)
		}
	}
}

// --force while observing accepts earlier failures as fixed; without any
// failure it changes nothing: the observation window still runs from the
// disable, and no "accepting" note is made.
func TestForceWithoutFailuresKeepsTheObservationWindow(t *testing.T) {
	f, _ := oldKeyQuietAndHandedOver(t)
	rep, err := f.run()
	if err != nil || rep.Step != StepDisabled {
		t.Fatalf("disable run: %v step %s", err, rep.Step)
	}
	disabledAt := f.state().DisabledAt
	f.clock.Advance(10 * time.Minute)
	rep, err = f.run(func(o *Options) { o.Force = true })
	if err != nil || rep.Step != StepDisabled {
		t.Fatalf("--force run: %v step %s", err, rep.Step)
	}
	if got := f.state().DisabledAt; !got.Equal(disabledAt) {
		t.Errorf("observation restarted at %s, want it kept from the disable at %s", got, disabledAt)
	}
	if notes := strings.Join(rep.Notes, "\n"); strings.Contains(notes, "accepting") {
		t.Errorf("notes %q accept failures that never happened", notes)
	}
	want := "observing the disabled key for failures until " + disabledAt.Add(time.Hour).Format(time.RFC3339)
	if !strings.HasPrefix(rep.WaitingFor, want) {
		t.Errorf("waiting %q, want %q", rep.WaitingFor, want)
	}
	m, err := New(f.opts(func(o *Options) { o.Handover = nil }))
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.Status(context.Background())
	if err != nil || st.WaitingFor != want {
		t.Errorf("status: %v, waiting %q, want %q", err, st.WaitingFor, want)
	}
}

// A step that fails ends the run with that failure (here the two-key
// limit's refusal, exit 4); the run does not try the step again.
func TestRefusalEndsTheRun(t *testing.T) {
	f := newFixture(t)
	f.cloud.addKey(appUser, "LTAI5tOTHER0000000000002", StatusActive, f.clock.Now().Add(-time.Hour))
	_, lists, err := boundedRun(t, f, 50)
	var refused *RefusedError
	if !errors.As(err, &refused) || refused.Rule != "two-key-limit" || exitCode(err) != 4 {
		t.Fatalf("run = %v (after %d key listings), want the two-key-limit refusal", err, lists)
	}
	if lists != 1 {
		t.Errorf("the keys were listed %d times, want once", lists)
	}
}

// A rotation that starts over (here after a failed hand-over) keeps the
// owner recorded with it: it does not depend on looking the owner up again
// (a throttled GetUser does not stop it). A record without the owner's
// principal name (needed for the network ACL calls) is completed from the
// cloud.
func TestRetryAfterFailedHandoverUsesTheRecordedOwner(t *testing.T) {
	const upn = appUser + "@example.onaliyun.com"
	failHandover := func(f *fixture) {
		t.Helper()
		_, err := f.run(func(o *Options) { o.Handover = ExecHandover{Command: "cat >/dev/null; exit 3"} })
		if err == nil || !strings.Contains(err.Error(), "hand-over failed") {
			t.Fatalf("first run: %v, want the hand-over to fail", err)
		}
		if st := f.state(); st.Step != StepNone || st.UserName != appUser || st.UserPrincipalName != upn {
			t.Fatalf("state after the failed hand-over: step %s user %q upn %q", st.Step, st.UserName, st.UserPrincipalName)
		}
	}

	f := newFixture(t)
	failHandover(f)
	f.cloud.fail["UserByAccessKey"] = errors.New("Throttling.User: GetUserByAccessKey throttled")
	rep, err := f.run()
	if err != nil || rep.Step != StepHandedOver || rep.User != appUser {
		t.Fatalf("retry with the owner lookup failing: %v, step %s, user %q", err, rep.Step, rep.User)
	}

	f = newFixture(t)
	failHandover(f)
	f.editState(func(st *State) { st.UserPrincipalName = "" })
	if rep, err = f.run(); err != nil || rep.Step != StepHandedOver {
		t.Fatalf("retry without the principal name: %v, step %s", err, rep.Step)
	}
	if got := f.state().UserPrincipalName; got != upn {
		t.Errorf("principal name %q after the retry, want %q from the cloud", got, upn)
	}
}
