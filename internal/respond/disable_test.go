package respond

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/journal"
)

func TestPlanDisable(t *testing.T) {
	now := t0
	used := func(ago time.Duration) func(*fakeCloud) {
		return func(f *fakeCloud) {
			f.lastUsed[leakedKey] = cloud.LastUsedInfo{Found: true, UsedAt: now.Add(-ago), ServiceName: "Ecs"}
			f.ips[leakedKey] = []cloud.LastUsedIP{{IP: "10.9.9.9", UsedAt: now.Add(-ago)}}
		}
	}
	tests := []struct {
		name     string
		setup    func(*fakeCloud)
		opts     DisableOptions
		wantRail string
		wantTo   string
		wantNoop bool
	}{
		{name: "used an hour ago", setup: used(time.Hour), opts: DisableOptions{Mode: ModeDisable}, wantRail: "key-in-use", wantTo: "Inactive"},
		{name: "used an hour ago, forced", setup: used(time.Hour), opts: DisableOptions{Mode: ModeDisable, Force: true}, wantTo: "Inactive"},
		{name: "idle key", setup: used(30 * 24 * time.Hour), opts: DisableOptions{Mode: ModeDisable}, wantTo: "Inactive"},
		{name: "never used", opts: DisableOptions{Mode: ModeDisable}, wantTo: "Inactive"},
		{name: "custom quiet period", setup: used(3 * time.Hour), opts: DisableOptions{Mode: ModeDisable, QuietPeriod: 2 * time.Hour}, wantTo: "Inactive"},
		{name: "already disabled", setup: func(f *fakeCloud) { f.keys[leakedKey].status = "Inactive" }, opts: DisableOptions{Mode: ModeDisable}, wantTo: "Inactive", wantNoop: true},
		{name: "self key, even forced", setup: func(f *fakeCloud) { f.selfKey = leakedKey }, opts: DisableOptions{Mode: ModeDisable, Force: true}, wantRail: "self-key", wantTo: "Inactive"},
		{name: "enable", setup: func(f *fakeCloud) { f.keys[leakedKey].status = "Inactive" }, opts: DisableOptions{Mode: ModeEnable}, wantTo: "Active"},
		{name: "delete an active key", opts: DisableOptions{Mode: ModeDelete, Force: true}, wantRail: "delete-active-key", wantTo: StatusDeleted},
		{name: "delete, no journal, used recently", setup: func(f *fakeCloud) { used(2 * 24 * time.Hour)(f); f.keys[leakedKey].status = "Inactive" }, opts: DisableOptions{Mode: ModeDelete}, wantRail: "observe-period", wantTo: StatusDeleted},
		{name: "delete, no journal, idle for long", setup: func(f *fakeCloud) { used(20 * 24 * time.Hour)(f); f.keys[leakedKey].status = "Inactive" }, opts: DisableOptions{Mode: ModeDelete}, wantTo: StatusDeleted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.setup != nil {
				tc.setup(f)
			}
			tc.opts.KeyID, tc.opts.StateDir, tc.opts.Now = leakedKey, t.TempDir(), func() time.Time { return now }
			dp, err := PlanDisable(context.Background(), f, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			rail := ""
			if r := dp.Blocked(); r != nil {
				rail = r.Rule
				if r.ExitCode() != 4 {
					t.Error("rail exit code must be 4")
				}
			}
			if rail != tc.wantRail {
				t.Errorf("rail %q, want %q (%v)", rail, tc.wantRail, dp.Rails)
			}
			a := dp.Actions[0]
			if a.AfterText != tc.wantTo || a.Noop != tc.wantNoop {
				t.Errorf("action %s noop=%v, want %s noop=%v", a.AfterText, a.Noop, tc.wantTo, tc.wantNoop)
			}
			if tc.wantRail == "key-in-use" {
				msg := dp.Blocked().Error()
				for _, want := range []string{"Ecs", "10.9.9.9", "akresp rotate", "--force"} {
					if !strings.Contains(msg, want) {
						t.Errorf("rail message %q lacks %q", msg, want)
					}
				}
			}
			if len(f.mutations()) != 0 {
				t.Error("planning mutated")
			}
		})
	}
}

func TestDisableEnableDeleteFlow(t *testing.T) {
	dir := t.TempDir()
	f := newFake()
	ctx := context.Background()
	now := t0
	clockAt := func() time.Time { return now }
	opts := func(mode string) DisableOptions {
		return DisableOptions{KeyID: leakedKey, Mode: mode, StateDir: dir, Now: clockAt}
	}
	run := func(mode string) (*DisablePlan, *Summary, error) {
		t.Helper()
		dp, err := PlanDisable(ctx, f, opts(mode))
		if err != nil {
			t.Fatal(err)
		}
		if r := dp.Blocked(); r != nil {
			return dp, nil, r
		}
		sum, err := Execute(ctx, dp.Plan, ExecOptions{StateDir: dir, Now: clockAt})
		return dp, sum, err
	}
	if _, sum, err := run(ModeDisable); err != nil || sum.State != "Inactive" || f.keys[leakedKey].status != "Inactive" {
		t.Fatalf("disable: %v %+v", err, sum)
	}
	if _, sum, err := run(ModeEnable); err != nil || sum.State != "Active" || f.keys[leakedKey].status != "Active" {
		t.Fatalf("enable: %v %+v", err, sum)
	}
	now = now.Add(time.Hour)
	_, sum, err0 := run(ModeDisable)
	if err0 != nil {
		t.Fatal(err0)
	}
	// The next step says from when the delete is no longer refused (the
	// disable's second, rounded up, plus the default observation period).
	from := now.Add(DefaultObserve).Add(time.Second).UTC().Format(time.RFC3339)
	if want := "after the observation period without breakage (168h0m0s by default: from " + from + "), delete it: akresp disable " + leakedKey + " --delete"; !slices.Contains(sum.Next, want) {
		t.Errorf("next steps %q, want %q", sum.Next, want)
	}
	// Delete a day later: inside the observation period.
	now = now.Add(24 * time.Hour)
	_, _, err := run(ModeDelete)
	var r *RailError
	if !errors.As(err, &r) || r.Rule != "observe-period" || !strings.Contains(r.Detail, "disabled 24h0m0s ago") {
		t.Fatalf("delete inside observe: %v", err)
	}
	now = now.Add(7 * 24 * time.Hour)
	dp, sum, err := run(ModeDelete)
	if err != nil || sum.State != StatusDeleted {
		t.Fatalf("delete: %v %+v", err, sum)
	}
	if _, ok := f.keys[leakedKey]; ok {
		t.Error("key still exists")
	}
	if note := RecycleBinNote(ctx, f, dp.Plan); !strings.Contains(note, "recycle bin") {
		t.Errorf("recycle note = %q", note)
	}
	recs, _, _ := journal.ReadKey(dir, leakedKey)
	cmds := map[string]int{}
	for _, r := range recs {
		if r.Kind == journal.KindOutcome && r.Result == journal.ResultOK {
			cmds[r.Command]++
		}
	}
	if cmds[CmdDisable] != 2 || cmds[CmdEnable] != 1 || cmds[CmdDelete] != 1 {
		t.Errorf("journal outcomes by command: %v", cmds)
	}
}

func TestActionInverse(t *testing.T) {
	f := newFake()
	ctx := context.Background()
	p, err := PlanContain(ctx, f, containOpts(func(o *ContainOptions) { o.NoDenyPolicy = true }))
	if err != nil {
		t.Fatal(err)
	}
	a := p.Action("network-acl")
	if _, err := a.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	inv := a.Inverse()
	if inv == nil || inv.BeforeText != a.AfterText || inv.AfterText != a.BeforeText {
		t.Fatalf("inverse %+v", inv)
	}
	if st, _, err := inv.Check(ctx); err != nil || st != checkReady {
		t.Fatalf("inverse check: %v %v", st, err)
	}
	if _, err := inv.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if !aclIsNone(f.keys[leakedKey].acl) {
		t.Errorf("acl after inverse: %s", f.keys[leakedKey].acl)
	}
	if st, _, _ := a.Check(ctx); st != checkReady {
		t.Errorf("original action should be ready again, got %v", st)
	}
	f.keys[leakedKey].status = "Inactive"
	dp, err := PlanDisable(ctx, f, DisableOptions{KeyID: leakedKey, Mode: ModeDelete, Force: true, StateDir: t.TempDir(), Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	if del := dp.Actions[0]; del.Reversible || del.Inverse() != nil {
		t.Error("delete must be irreversible")
	}
}

// A key the leaked key created is disabled by the leaked key's contain
// --contain-created or eradicate, journaled with the leaked key: deleting
// it with `akresp disable KEY --delete` finds that disable (the observation
// period runs from it), and a later enable there or in its own journal
// cancels it.
func TestDisabledAtReadsTheIncidentsJournals(t *testing.T) {
	const created = "LTAI5tSVCBACKUP7Hq200000"
	t0 := time.Date(2026, 12, 5, 19, 0, 0, 0, time.UTC)
	write := func(dir, key, command string, at time.Time, status string) {
		t.Helper()
		j, err := journal.Open(dir, key, command, func() time.Time { return at })
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Append(journal.Record{Time: at, Kind: journal.KindOutcome, Result: journal.ResultOK, Action: KindKeyStatus, Target: created, ActionID: "disable-key:" + created,
			After: []byte(`{"key_id":"` + created + `","user":"svc-backup","status":"` + status + `"}`)}); err != nil {
			t.Fatal(err)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	if at, err := disabledAt(dir, created); err != nil || !at.IsZero() {
		t.Fatalf("empty state directory: %v %v", at, err)
	}
	write(dir, leakedKey, CmdContain, t0, "Inactive")
	if at, err := disabledAt(dir, created); err != nil || !at.Equal(t0) {
		t.Fatalf("disabled by the leaked key's contain: %v %v, want %v", at, err, t0)
	}
	write(dir, leakedKey, CmdEradicate, t0.Add(time.Hour), "Inactive")
	if at, _ := disabledAt(dir, created); !at.Equal(t0.Add(time.Hour)) {
		t.Errorf("disabled again by eradicate: %v, want the later one", at)
	}
	write(dir, leakedKey, CmdEradicateUndo, t0.Add(2*time.Hour), "Active")
	if at, _ := disabledAt(dir, created); !at.IsZero() {
		t.Errorf("enabled again by eradicate --undo: %v, want none", at)
	}
	// A report directory or a file in the state directory is not a journal.
	if err := os.MkdirAll(filepath.Join(dir, "report-20261207T194027Z"), 0o700); err != nil {
		t.Fatal(err)
	}
	write(dir, leakedKey, CmdContain, t0.Add(3*time.Hour), "Inactive")
	if at, err := disabledAt(dir, created); err != nil || !at.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("with a report directory beside: %v %v", at, err)
	}
}

// A rotation disables its old key (journaled by rotate with the key):
// `disable KEY --delete` counts the observation period from that disable,
// not "no journal says when it was disabled"; the rotation's rollback
// (enable-old-key) cancels it.
func TestDisabledAtReadsTheRotation(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 20, 55, 40, 0, time.UTC)
	dir := t.TempDir()
	write := func(action string, at time.Time) {
		t.Helper()
		j, err := journal.Open(dir, leakedKey, "rotate", func() time.Time { return at })
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Append(journal.Record{Time: at, Kind: journal.KindOutcome, Result: journal.ResultOK, Action: action, Target: leakedKey, ActionID: action}); err != nil {
			t.Fatal(err)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write("disable-old-key", t0)
	if at, err := disabledAt(dir, leakedKey); err != nil || !at.Equal(t0) {
		t.Fatalf("disabled by its rotation: %v %v, want %v", at, err, t0)
	}
	write("enable-old-key", t0.Add(time.Hour))
	if at, _ := disabledAt(dir, leakedKey); !at.IsZero() {
		t.Errorf("enabled again by the rotation's rollback: %v, want none", at)
	}
}
