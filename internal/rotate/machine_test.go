package rotate

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/state"
)

const (
	oldKey   = "LTAI5tOLDKEY000000000001"
	appUser  = "app-prod"
	officeIP = "127.0.0.10"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// Now ticks a microsecond per call: journal file names carry the run's
// start time, so two runs must never start at the same instant.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Microsecond)
	return c.t
}
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	t     *testing.T
	clock *fakeClock
	cloud *fakeCloud
	dir   string
	out   string // secret file path
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
	fc := newFakeCloud(clk.Now)
	fc.addKey(appUser, oldKey, StatusActive, clk.Now().Add(-400*24*time.Hour))
	fc.use(oldKey, officeIP, "app/1.0", "Ecs", clk.Now().Add(-time.Hour))
	dir := t.TempDir()
	return &fixture{t: t, clock: clk, cloud: fc, dir: dir, out: filepath.Join(dir, "new-key.json")}
}

func (f *fixture) opts(mod ...func(*Options)) Options {
	o := Options{KeyID: oldKey, StateDir: filepath.Join(f.dir, "state"), Cloud: f.cloud, Handover: FileHandover{Path: f.out},
		QuietFor: 2 * time.Hour, Observe: time.Hour, PollInterval: 10 * time.Minute, Now: f.clock.Now, Endpoint: "127.0.0.1:1",
		Sleep: func(ctx context.Context, d time.Duration) error { f.clock.Advance(d); return ctx.Err() }}
	for _, fn := range mod {
		fn(&o)
	}
	return o
}

func (f *fixture) run(mod ...func(*Options)) (*Report, error) {
	f.t.Helper()
	m, err := New(f.opts(mod...))
	if err != nil {
		f.t.Fatal(err)
	}
	return m.Run(context.Background())
}

func (f *fixture) state() *State {
	f.t.Helper()
	st, err := LoadState(filepath.Join(f.dir, "state"), oldKey)
	if err != nil {
		f.t.Fatal(err)
	}
	return st
}

func (f *fixture) journal() []journal.Record {
	f.t.Helper()
	recs, _, err := journal.ReadKey(filepath.Join(f.dir, "state"), oldKey)
	if err != nil {
		f.t.Fatal(err)
	}
	return recs
}

// assertNoSecretLeak fails if any secret the fake cloud issued appears
// anywhere under the state dir.
func (f *fixture) assertNoSecretLeak(extra ...[]byte) {
	f.t.Helper()
	_ = filepath.Walk(filepath.Join(f.dir, "state"), func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, s := range f.cloud.secrets {
			if bytes.Contains(b, []byte(s)) {
				f.t.Errorf("secret leaked into %s", p)
			}
		}
		return nil
	})
	for _, b := range extra {
		for _, s := range f.cloud.secrets {
			if bytes.Contains(b, []byte(s)) {
				f.t.Errorf("secret leaked into output %q", b)
			}
		}
	}
}

func actions(recs []journal.Record, kind string) []string {
	var out []string
	for _, r := range recs {
		if r.Kind == kind && r.Action != "" && r.Action != "step" {
			out = append(out, r.Action+"="+r.Result)
		}
	}
	return out
}

func exitCode(err error) int {
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	if err != nil {
		return 1
	}
	return 0
}

func TestFullRotationStepByStep(t *testing.T) {
	f := newFixture(t)
	rep, err := f.run()
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	if rep.Step != StepHandedOver || rep.NewKeyID == "" {
		t.Fatalf("after first run: step %s new %q", rep.Step, rep.NewKeyID)
	}
	newKey := rep.NewKeyID
	if !strings.Contains(rep.WaitingFor, "has not been used yet") || rep.NextCommand != "akresp rotate "+oldKey+" --wait" {
		t.Errorf("waiting %q next %q", rep.WaitingFor, rep.NextCommand)
	}
	fi, err := os.Stat(f.out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", err, fi)
	}
	if !fileHolds(f.out, newKey) {
		t.Fatal("secret file does not hold the new key")
	}
	// The application switches; the old key keeps being used by a batch job.
	f.clock.Advance(30 * time.Minute)
	f.cloud.use(newKey, officeIP, "app/2.0", "Ecs", f.clock.Now())
	f.cloud.use(oldKey, "127.0.0.20", "batch/0.9", "Oss", f.clock.Now())
	rep, err = f.run()
	if err != nil || rep.Step != StepHandedOver {
		t.Fatalf("second run: %v %s", err, rep.Step)
	}
	// Both uses within --quiet-for hold the cut-over; the newest leads.
	if len(rep.Evidence.OldCallers) != 2 || rep.Evidence.OldCallers[0].IP != "127.0.0.20" || !strings.Contains(rep.WaitingFor, "127.0.0.20") {
		t.Errorf("old callers %+v waiting %q", rep.Evidence.OldCallers, rep.WaitingFor)
	}
	// Quiet long enough: disable, then observe.
	f.clock.Advance(2 * time.Hour)
	rep, err = f.run()
	if err != nil || rep.Step != StepDisabled {
		t.Fatalf("third run: %v %s", err, rep.Step)
	}
	if f.cloud.keys[oldKey].Status != StatusInactive {
		t.Fatal("old key not disabled")
	}
	if !strings.Contains(rep.WaitingFor, "observing") {
		t.Errorf("waiting %q", rep.WaitingFor)
	}
	// --delete before verified is refused.
	m, _ := New(f.opts())
	if _, err := m.Delete(context.Background()); exitCode(err) != 4 {
		t.Fatalf("delete before verified: %v", err)
	}
	f.clock.Advance(time.Hour)
	rep, err = f.run()
	if err != nil || rep.Step != StepVerified || rep.NextCommand != "akresp rotate "+oldKey+" --delete" {
		t.Fatalf("fourth run: %v %s %q", err, rep.Step, rep.NextCommand)
	}
	m, _ = New(f.opts(func(o *Options) { o.Handover = nil }))
	rep, err = m.Delete(context.Background())
	if err != nil || rep.Step != StepDeleted || !rep.Complete {
		t.Fatalf("delete: %v %+v", err, rep)
	}
	if _, ok := f.cloud.keys[oldKey]; ok {
		t.Fatal("old key still exists")
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "recycle bin") {
		t.Errorf("notes do not mention the recycle bin: %q", rep.Notes)
	}
	want := []string{"create-access-key=", "hand-over-secret=", "disable-old-key=", "delete-old-key="}
	if got := actions(f.journal(), journal.KindIntent); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("journal intents %v, want %v", got, want)
	}
	if p := journal.Pending(f.journal()); len(p) != 0 {
		t.Errorf("pending intents: %+v", p)
	}
	f.assertNoSecretLeak()
}

func TestWaitDrivesToVerified(t *testing.T) {
	f := newFixture(t)
	var newKey string
	sleeps := 0
	var events []Event
	rep, err := f.run(func(o *Options) {
		o.Wait = true
		o.OnEvent = func(e Event) { events = append(events, e) }
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			sleeps++
			if d > o.PollInterval || d <= 0 {
				t.Errorf("sleep %s outside (0, poll]", d)
			}
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
	if sleeps == 0 {
		t.Error("never waited")
	}
	var waits int
	for _, e := range events {
		if e.Kind == "wait" {
			waits++
		}
	}
	if waits == 0 {
		t.Error("no progress reported while waiting")
	}
}

func TestTwoKeyLimit(t *testing.T) {
	for _, tc := range []struct {
		name        string
		otherStatus string
		force       bool
		wantCode    int
		wantOther   bool
	}{
		{"active second key refused", StatusActive, true, 4, true},
		{"inactive second key needs force", StatusInactive, false, 4, true},
		{"inactive second key deleted with force", StatusInactive, true, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			const other = "LTAI5tOTHER0000000000002"
			f.cloud.addKey(appUser, other, tc.otherStatus, f.clock.Now().Add(-time.Hour))
			_, err := f.run(func(o *Options) { o.Force = tc.force })
			if exitCode(err) != tc.wantCode {
				t.Fatalf("exit %d (%v), want %d", exitCode(err), err, tc.wantCode)
			}
			if _, ok := f.cloud.keys[other]; ok != tc.wantOther {
				t.Errorf("other key exists=%v, want %v", ok, tc.wantOther)
			}
			if tc.wantCode == 4 {
				if !strings.Contains(err.Error(), "two AccessKeys") || len(f.cloud.userKeys(appUser)) != 2 {
					t.Errorf("refusal %v; keys %v", err, f.cloud.userKeys(appUser))
				}
				if _, statErr := os.Stat(f.out); statErr == nil {
					t.Error("secret file written despite refusal")
				}
			} else if st := f.state(); st.Step != StepHandedOver {
				t.Errorf("step %s", st.Step)
			} else if !slices.Equal(st.KeysBefore, []string{oldKey}) {
				// The keys before the create are what tells the new key
				// apart after a crash: the deleted one is not among them.
				t.Errorf("keys_before = %v, want only the old key %s", st.KeysBefore, oldKey)
			}
		})
	}
}

// An old key that is already Inactive is rotated anyway, and the report
// says so.
func TestRotateInactiveOldKeyIsNoted(t *testing.T) {
	f := newFixture(t)
	f.cloud.keys[oldKey].Status = StatusInactive
	rep, err := f.run()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, oldKey+" is already Inactive") }) {
		t.Errorf("notes %q lack the Inactive old key", rep.Notes)
	}
	f2 := newFixture(t)
	rep, err = f2.run()
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "already Inactive") }) {
		t.Errorf("an Active old key noted as Inactive: %q", rep.Notes)
	}
}

// TestCrashResume stops the run right after each transition (as a SIGKILL
// would) and checks that the same command converges to the state an
// uninterrupted run reaches, with the journal telling what happened.
func TestCrashResume(t *testing.T) {
	errCrash := errors.New("simulated crash")
	for _, tc := range []struct {
		step          Step
		wantDiscarded int // keys whose secret was lost
	}{
		{StepCreating, 0},
		{StepCreated, 1},
		{StepHandedOver, 0},
		{StepCutOver, 0},
		{StepDisabled, 0},
		{StepVerified, 0},
	} {
		t.Run(string(tc.step), func(t *testing.T) {
			f := newFixture(t)
			f.clock.Advance(3 * time.Hour) // old key already quiet
			prepare := func() {
				if st := f.state(); st != nil && st.NewKeyID != "" {
					if _, used := f.cloud.lastUsed[st.NewKeyID]; !used {
						f.cloud.use(st.NewKeyID, officeIP, "app/2.0", "Ecs", f.clock.Now())
					}
				}
			}
			crashed := false
			hook := func(o *Options) {
				o.Wait = true
				o.Observe = 0
				o.Sleep = func(ctx context.Context, d time.Duration) error { f.clock.Advance(d); prepare(); return nil }
				o.AfterStep = func(s Step) error {
					if s == tc.step && !crashed {
						crashed = true
						return errCrash
					}
					return nil
				}
			}
			_, err := f.run(hook)
			if !errors.Is(err, errCrash) {
				t.Fatalf("first run: %v", err)
			}
			if tc.step == StepCreated {
				if err := os.Remove(f.out); err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
			}
			prepare()
			rep, err := f.run(hook)
			if err != nil || rep.Step != StepVerified {
				t.Fatalf("resume: %v step %s", err, rep.Step)
			}
			keys := f.cloud.userKeys(appUser)
			if len(keys) != 2 || keys[0].ID != oldKey || keys[0].Status != StatusInactive || keys[1].ID != rep.NewKeyID || keys[1].Status != StatusActive {
				t.Errorf("keys %+v", keys)
			}
			if !fileHolds(f.out, rep.NewKeyID) {
				t.Error("secret file does not hold the final new key")
			}
			if len(rep.Discarded) != tc.wantDiscarded {
				t.Errorf("discarded %+v, want %d", rep.Discarded, tc.wantDiscarded)
			}
			recs := f.journal()
			lost := 0
			for _, r := range recs {
				if r.Kind == journal.KindOutcome && r.Action == ActionDeleteLostKey && r.Result == journal.ResultOK {
					lost++
				}
			}
			if lost != tc.wantDiscarded {
				t.Errorf("journal records %d lost-key deletions, want %d", lost, tc.wantDiscarded)
			}
			f.assertNoSecretLeak()
		})
	}
}

// TestCreateOutcomeLost: CreateAccessKey succeeded in the cloud but the
// process never learnt the answer. The next run finds the orphan via the
// intent and deletes it.
func TestCreateOutcomeLost(t *testing.T) {
	f := newFixture(t)
	wrapped := &createThenFail{fakeCloud: f.cloud}
	_, err := f.run(func(o *Options) { o.Cloud = wrapped })
	if err == nil || f.state().Step != StepCreating {
		t.Fatalf("first run: %v", err)
	}
	orphan := wrapped.created
	if _, ok := f.cloud.keys[orphan]; !ok {
		t.Fatal("orphan not created")
	}
	if _, err := f.run(func(o *Options) { o.Handover = nil }); exitCode(err) != 2 {
		t.Fatalf("resume without hand-over: %v", err)
	}
	if _, ok := f.cloud.keys[orphan]; !ok {
		t.Fatal("resume without hand-over changed something")
	}
	rep, err := f.run()
	if err != nil || rep.Step != StepHandedOver {
		t.Fatalf("resume: %v %s", err, rep.Step)
	}
	if _, ok := f.cloud.keys[orphan]; ok {
		t.Error("orphan key with lost secret still exists")
	}
	if len(rep.Discarded) != 1 || rep.Discarded[0].KeyID != orphan {
		t.Errorf("discarded %+v", rep.Discarded)
	}
}

type createThenFail struct {
	*fakeCloud
	created string
}

func (c *createThenFail) CreateAccessKey(ctx context.Context, user string) (NewKey, error) {
	nk, err := c.fakeCloud.CreateAccessKey(ctx, user)
	c.created = nk.ID
	if err != nil {
		return nk, err
	}
	return NewKey{}, errors.New("read tcp: connection reset by peer")
}

func TestHandoverFailureDeletesNewKey(t *testing.T) {
	f := newFixture(t)
	_, err := f.run(func(o *Options) { o.Handover = ExecHandover{Command: "cat >/dev/null; exit 3"} })
	if err == nil || !strings.Contains(err.Error(), "hand-over failed") {
		t.Fatalf("err %v", err)
	}
	keys := f.cloud.userKeys(appUser)
	if len(keys) != 1 || keys[0].ID != oldKey || keys[0].Status != StatusActive {
		t.Fatalf("keys after failed hand-over: %+v", keys)
	}
	if st := f.state(); st.Step != StepNone || len(st.Discarded) != 1 {
		t.Errorf("state %s discarded %v", st.Step, st.Discarded)
	}
	// A secret file that already exists is refused before any key is made.
	if err := os.WriteFile(f.out, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := len(f.cloud.calls)
	if _, err := f.run(); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("existing secret file: %v", err)
	}
	for _, c := range f.cloud.calls[before:] {
		if c == "CreateAccessKey" {
			t.Error("created a key although the hand-over could not work")
		}
	}
	os.Remove(f.out)
	if rep, err := f.run(); err != nil || rep.Step != StepHandedOver {
		t.Fatalf("retry: %v", err)
	}
}

func TestMissedApplicationAndRollback(t *testing.T) {
	f := newFixture(t)
	rep, err := f.run()
	if err != nil {
		t.Fatal(err)
	}
	newKey := rep.NewKeyID
	f.cloud.use(newKey, officeIP, "app/2.0", "Ecs", f.clock.Now())
	f.clock.Advance(3 * time.Hour)
	if rep, err = f.run(); err != nil || rep.Step != StepDisabled {
		t.Fatalf("disable: %v %s", err, rep.Step)
	}
	// A forgotten cron job still uses the old key.
	f.clock.Advance(10 * time.Minute)
	f.cloud.use(oldKey, "127.0.0.30", "cron/1.0", "Rds", f.clock.Now())
	rep, err = f.run(func(o *Options) { o.Wait = true })
	var missed *MissedApplicationError
	if !errors.As(err, &missed) || exitCode(err) != 1 {
		t.Fatalf("verify: %v", err)
	}
	if len(rep.Evidence.Failures) != 1 || rep.Evidence.Failures[0].SourceIP != "127.0.0.30" || rep.NextCommand != "akresp rotate "+oldKey+" --rollback" {
		t.Errorf("failures %+v next %q", rep.Evidence.Failures, rep.NextCommand)
	}
	if !strings.Contains(err.Error(), "cron/1.0") || !strings.Contains(err.Error(), "--rollback") {
		t.Errorf("message %q", err)
	}
	m, _ := New(f.opts())
	if _, err := m.Delete(context.Background()); exitCode(err) != 4 {
		t.Errorf("delete with failures: %v", err)
	}
	m, _ = New(f.opts())
	rep, err = m.Rollback(context.Background())
	if err != nil || rep.Step != StepRolledBack {
		t.Fatalf("rollback: %v", err)
	}
	if f.cloud.keys[oldKey].Status != StatusActive || f.cloud.keys[newKey].Status != StatusActive {
		t.Errorf("after rollback old %s new %s", f.cloud.keys[oldKey].Status, f.cloud.keys[newKey].Status)
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "kept the new key") {
		t.Errorf("notes %q", rep.Notes)
	}
	// Rolling back twice is a no-op.
	m, _ = New(f.opts())
	if rep, err = m.Rollback(context.Background()); err != nil || rep.Actions[0].Result != journal.ResultSkipped {
		t.Fatalf("second rollback: %v %+v", err, rep.Actions)
	}
	// Re-running resumes from cut-over with the kept key (no hand-over).
	rep, err = f.run(func(o *Options) { o.Handover = nil })
	if err != nil || rep.Step != StepHandedOver || rep.NewKeyID != newKey {
		t.Fatalf("resume after rollback: %v %s %s", err, rep.Step, rep.NewKeyID)
	}
	// Abandon: delete the new key as well.
	m, _ = New(f.opts(func(o *Options) { o.DeleteNew = true }))
	if rep, err = m.Rollback(context.Background()); err != nil || !rep.NewKeyDeleted {
		t.Fatalf("rollback --delete-new: %v", err)
	}
	if _, ok := f.cloud.keys[newKey]; ok {
		t.Error("new key not deleted")
	}
}

func TestRootKey(t *testing.T) {
	for _, tc := range []struct {
		name     string
		caller   string
		wantCode int
	}{
		{"ram user cannot rotate a root key", "RAMUser", 4},
		{"root rotates its own key", "Account", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			const rootKey = "LTAI5tROOTKEY00000000001"
			f.cloud.addKey("", rootKey, StatusActive, f.clock.Now().Add(-time.Hour))
			f.cloud.use(rootKey, officeIP, "app/1.0", "Ecs", f.clock.Now().Add(-30*time.Minute))
			f.cloud.caller.IdentityType = tc.caller
			m, _ := New(f.opts(func(o *Options) { o.KeyID = rootKey }))
			rep, err := m.Run(context.Background())
			if exitCode(err) != tc.wantCode {
				t.Fatalf("exit %d: %v", exitCode(err), err)
			}
			if tc.wantCode == 0 && (!rep.Root || len(f.cloud.userKeys("")) != 2) {
				t.Errorf("root %v keys %v", rep.Root, f.cloud.userKeys(""))
			}
			if tc.wantCode == 4 && !strings.Contains(err.Error(), "root account") {
				t.Errorf("message %q", err)
			}
		})
	}
}

func TestSelfDisableBlocked(t *testing.T) {
	f := newFixture(t)
	f.cloud.credKey = oldKey
	rep, err := f.run()
	if err != nil {
		t.Fatal(err)
	}
	f.cloud.use(rep.NewKeyID, officeIP, "app/2.0", "Ecs", f.clock.Now())
	f.clock.Advance(3 * time.Hour)
	rep, err = f.run()
	if err != nil || rep.Step != StepHandedOver || !strings.Contains(rep.WaitingFor, "signs with the old key") {
		t.Fatalf("%v %s %q", err, rep.Step, rep.WaitingFor)
	}
	if f.cloud.keys[oldKey].Status != StatusActive {
		t.Error("disabled the key akresp signs with")
	}
}

func TestLockedKey(t *testing.T) {
	f := newFixture(t)
	lock, err := state.LockKey(filepath.Join(f.dir, "state"), oldKey, "contain", f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	var le *state.LockedError
	if _, err := f.run(); !errors.As(err, &le) || exitCode(err) != 4 {
		t.Fatalf("run while locked: %v", err)
	}
	if len(f.cloud.calls) != 0 {
		t.Errorf("cloud called while locked: %v", f.cloud.calls)
	}
}

func TestStatus(t *testing.T) {
	f := newFixture(t)
	m, _ := New(f.opts())
	rep, err := m.Status(context.Background())
	if err != nil || rep.Step != StepNone || !strings.Contains(rep.NextCommand, "--secret-file") {
		t.Fatalf("status without rotation: %v %+v", err, rep)
	}
	if _, err := f.run(); err != nil {
		t.Fatal(err)
	}
	f.cloud.use(oldKey, "127.0.0.20", "batch/0.9", "Oss", f.clock.Now())
	files := func() int { m, _ := filepath.Glob(filepath.Join(f.dir, "state", oldKey, "*.jsonl")); return len(m) }
	n := files()
	m, _ = New(f.opts())
	rep, err = m.Status(context.Background())
	if err != nil || rep.Step != StepHandedOver || rep.Evidence == nil || len(rep.Evidence.OldCallers) == 0 {
		t.Fatalf("status: %v %+v", err, rep)
	}
	if !strings.Contains(rep.WaitingFor, "not been used yet") {
		t.Errorf("waiting %q", rep.WaitingFor)
	}
	if files() != n {
		t.Error("status wrote a journal")
	}
}

func TestNewValidates(t *testing.T) {
	fc := newFakeCloud(time.Now)
	for _, o := range []Options{
		{StateDir: "x", Cloud: fc},
		{KeyID: oldKey, Cloud: fc},
		{KeyID: oldKey, StateDir: "x"},
		{KeyID: oldKey, StateDir: "x", Cloud: fc, QuietFor: -time.Second},
		{KeyID: oldKey, StateDir: "x", Cloud: fc, Observe: -time.Second},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

// With --observe 0s the disabled step says the check is at once, not
// "watching for failures for 0s"; with a window it names the window.
func TestDisabledStepSaysTheWindow(t *testing.T) {
	for _, tc := range []struct {
		observe time.Duration
		want    string
	}{
		{0, "disabled: old key Inactive; verifying at once that no legitimate call fails with it (--observe 0s)"},
		{time.Hour, "disabled: old key Inactive; watching for failures for 1h0m0s"},
	} {
		f := newFixture(t)
		if _, err := f.run(); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(3 * time.Hour)
		f.cloud.use(f.state().NewKeyID, officeIP, "app/2.0", "Ecs", f.clock.Now())
		var msg string
		if _, err := f.run(func(o *Options) {
			o.QuietFor, o.Observe = 0, tc.observe
			o.QuietForSet, o.ObserveSet = true, true
			o.OnEvent = func(e Event) {
				if e.Kind == "step" && e.Step == StepDisabled {
					msg = e.Message
				}
			}
		}); err != nil {
			t.Fatal(err)
		}
		if msg != tc.want {
			t.Errorf("observe %s: disabled step %q, want %q", tc.observe, msg, tc.want)
		}
	}
}

// The old key deleted outside the rotation (akresp disable --delete, or by
// hand) once it was verified: --delete completes the rotation and says the
// key was already gone, not that it deleted it.
func TestDeleteOldKeyGoneOutside(t *testing.T) {
	f := newFixture(t)
	if _, err := f.run(); err != nil {
		t.Fatal(err)
	}
	rep, _ := f.run()
	f.clock.Advance(time.Minute)
	f.cloud.use(rep.NewKeyID, officeIP, "app/2.0", "Ecs", f.clock.Now())
	for _, d := range []time.Duration{3 * time.Hour, 2 * time.Hour} {
		f.clock.Advance(d)
		if rep, err := f.run(); err != nil {
			t.Fatalf("%s: %v", rep.Step, err)
		}
	}
	if rep, _ = f.run(); rep.Step != StepVerified {
		t.Fatalf("step %s, want verified", rep.Step)
	}
	delete(f.cloud.keys, oldKey)
	m, _ := New(f.opts(func(o *Options) { o.Handover = nil }))
	rep, err := m.Delete(context.Background())
	if err != nil || rep.Step != StepDeleted || !rep.Complete {
		t.Fatalf("delete: %v %+v", err, rep)
	}
	notes := strings.Join(rep.Notes, "\n")
	if !strings.Contains(notes, "the old key "+oldKey+" was already deleted outside this rotation") || strings.Contains(notes, "deleted the old key") {
		t.Errorf("notes %q: want the key already deleted outside the rotation", notes)
	}
}
