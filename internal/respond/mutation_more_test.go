package respond

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
)

// ramLastUsedFake adds RAM's coarser GetAccessKeyLastUsed to the fake: the
// fallback PlanDisable uses when ActionTrail has no record of the key.
type ramLastUsedFake struct {
	*fakeCloud
	at    time.Time
	err   error
	users []string // the user names it was asked about
}

func (r *ramLastUsedFake) GetAccessKeyLastUsed(ctx context.Context, userName, keyID string) (time.Time, error) {
	r.users = append(r.users, userName+"/"+keyID)
	return r.at, r.err
}

func planDisableAt(t *testing.T, c DisableCloud, now time.Time, o DisableOptions) *DisablePlan {
	t.Helper()
	if o.KeyID == "" {
		o.KeyID = leakedKey
	}
	if o.StateDir == "" {
		o.StateDir = t.TempDir()
	}
	o.Now = func() time.Time { return now }
	dp, err := PlanDisable(context.Background(), c, o)
	if err != nil {
		t.Fatal(err)
	}
	return dp
}

func railRule(dp *DisablePlan) string {
	if r := dp.Blocked(); r != nil {
		return r.Rule
	}
	return ""
}

// Without an ActionTrail record, RAM's GetAccessKeyLastUsed of the key's
// owner is the last use: a key RAM saw an hour ago is in use (rail), and a
// RAM answer that is an error is no use at all.
func TestDisableFallsBackToRAMLastUsed(t *testing.T) {
	used := t0.Add(-time.Hour)
	r := &ramLastUsedFake{fakeCloud: newFake(), at: used}
	dp := planDisableAt(t, r, t0, DisableOptions{Mode: ModeDisable})
	if len(r.users) != 1 || r.users[0] != "app-prod/"+leakedKey {
		t.Errorf("RAM last-used asked about %v, want the owner app-prod", r.users)
	}
	if lu := dp.LastUse; !lu.Found || !lu.Time.Equal(used) || lu.Source != "ram" {
		t.Errorf("last use %+v, want RAM's %s", lu, used)
	}
	if got := railRule(dp); got != "key-in-use" {
		t.Errorf("rail %q, want key-in-use (RAM saw the key an hour ago)", got)
	}

	r = &ramLastUsedFake{fakeCloud: newFake(), at: used, err: errors.New("ram: throttled")}
	dp = planDisableAt(t, r, t0, DisableOptions{Mode: ModeDisable})
	if dp.LastUse.Found {
		t.Errorf("a failed RAM read counted as a use: %+v", dp.LastUse)
	}
	if got := railRule(dp); got != "" {
		t.Errorf("rail %q after a failed RAM read, want none", got)
	}
}

// --quiet-period refuses a key used more recently than the period: a use
// exactly one period ago is not in use, a second later it is.
func TestDisableQuietPeriodEdge(t *testing.T) {
	for _, tc := range []struct {
		ago  time.Duration
		rail string
	}{
		{DefaultQuietPeriod, ""},
		{DefaultQuietPeriod - time.Second, "key-in-use"},
	} {
		f := newFake()
		f.lastUsed[leakedKey] = cloud.LastUsedInfo{Found: true, UsedAt: t0.Add(-tc.ago), ServiceName: "Ecs"}
		dp := planDisableAt(t, f, t0, DisableOptions{Mode: ModeDisable})
		if got := railRule(dp); got != tc.rail {
			t.Errorf("used %s ago: rail %q, want %q", tc.ago, got, tc.rail)
		}
	}
}

// Uses from flagged sources are noted: "also used ... from flagged sources"
// when a legitimate use is within the quiet period too, "only from flagged
// sources" when the last legitimate use is exactly one period old (not
// within it); a key no flagged source used gets no such note.
func TestDisableFlaggedUseNotes(t *testing.T) {
	flaggedIP := "203.0.113.9"
	legit := func(ip netip.Addr, _ time.Time) bool { return ip.String() != flaggedIP }
	notes := func(dp *DisablePlan) string { return strings.Join(dp.Notes, "\n") }
	for _, tc := range []struct {
		legitAgo time.Duration
		rail     string
		note     string
	}{
		{DefaultQuietPeriod, "", "used in the last 24h0m0s only from flagged sources: " + flaggedIP + "; that is the attacker"},
		{DefaultQuietPeriod - time.Second, "key-in-use", "also used within the last 24h0m0s from flagged sources: " + flaggedIP},
	} {
		f := newFake()
		f.ips[leakedKey] = []cloud.LastUsedIP{
			{IP: "10.0.0.1", UsedAt: t0.Add(-tc.legitAgo)},
			{IP: flaggedIP, UsedAt: t0.Add(-time.Hour)},
		}
		dp := planDisableAt(t, f, t0, DisableOptions{Mode: ModeDisable, Legitimate: legit})
		if got := railRule(dp); got != tc.rail {
			t.Errorf("legitimate use %s ago: rail %q, want %q", tc.legitAgo, got, tc.rail)
		}
		if len(dp.FlaggedUse) != 1 || dp.FlaggedUse[0] != flaggedIP {
			t.Errorf("flagged use %v, want [%s]", dp.FlaggedUse, flaggedIP)
		}
		if n := notes(dp); !strings.Contains(n, tc.note) || strings.Count(n, "flagged sources") != 1 {
			t.Errorf("legitimate use %s ago: notes %q, want exactly one flagged-source note %q", tc.legitAgo, n, tc.note)
		}
	}

	// Only legitimate sources: no flagged-source note at all.
	f := newFake()
	f.ips[leakedKey] = []cloud.LastUsedIP{{IP: "10.0.0.1", UsedAt: t0.Add(-48 * time.Hour)}}
	dp := planDisableAt(t, f, t0, DisableOptions{Mode: ModeDisable, Legitimate: legit})
	if len(dp.FlaggedUse) != 0 || strings.Contains(notes(dp), "flagged") {
		t.Errorf("no flagged use, yet flagged %v and notes %q", dp.FlaggedUse, notes(dp))
	}
}

// --observe refuses to delete a key disabled more recently than the period
// (from the journal): exactly one period after the disable it may go, a
// second earlier it may not.
func TestDeleteObservePeriodEdge(t *testing.T) {
	for _, tc := range []struct {
		after time.Duration
		rail  string
	}{
		{DefaultObserve, ""},
		{DefaultObserve - time.Second, "observe-period"},
	} {
		dir := t.TempDir()
		f := newFake()
		ctx := context.Background()
		disabled := t0
		dp := planDisableAt(t, f, disabled, DisableOptions{Mode: ModeDisable, StateDir: dir})
		if _, err := Execute(ctx, dp.Plan, ExecOptions{StateDir: dir, Now: func() time.Time { return disabled }}); err != nil {
			t.Fatal(err)
		}
		del := planDisableAt(t, f, disabled.Add(tc.after), DisableOptions{Mode: ModeDelete, StateDir: dir})
		if !del.DisabledAt.Equal(disabled) {
			t.Fatalf("disabled at %s from the journal, want %s", del.DisabledAt, disabled)
		}
		if got := railRule(del); got != tc.rail {
			t.Errorf("delete %s after the disable: rail %q, want %q", tc.after, got, tc.rail)
		}
	}
}

// Only a delete carries the "irreversible" warning; disable and enable are
// undone by each other.
func TestOnlyDeleteWarnsIrreversible(t *testing.T) {
	irreversible := func(a *Action) bool {
		return strings.Contains(strings.Join(a.Warnings, "; "), "irreversible")
	}
	f := newFake()
	if a := planDisableAt(t, f, t0, DisableOptions{Mode: ModeDisable}).Actions[0]; irreversible(a) {
		t.Errorf("disable warns %q", a.Warnings)
	}
	f.keys[leakedKey].status = "Inactive"
	if a := planDisableAt(t, f, t0, DisableOptions{Mode: ModeEnable}).Actions[0]; irreversible(a) {
		t.Errorf("enable warns %q", a.Warnings)
	}
	if a := planDisableAt(t, f, t0, DisableOptions{Mode: ModeDelete, Force: true}).Actions[0]; !irreversible(a) {
		t.Errorf("delete lacks the irreversible warning: %q", a.Warnings)
	}
}

// Ages of two days and more read in whole days: a key idle for 20 days and
// 5 hours, deleted without a journal, is noted as last used "20d ago".
func TestDeleteNoteAgeInDays(t *testing.T) {
	f := newFake()
	f.keys[leakedKey].status = "Inactive"
	f.lastUsed[leakedKey] = cloud.LastUsedInfo{Found: true, UsedAt: t0.Add(-(20*24 + 5) * time.Hour), ServiceName: "Ecs"}
	dp := planDisableAt(t, f, t0, DisableOptions{Mode: ModeDelete})
	if got := railRule(dp); got != "" {
		t.Fatalf("rail %q, want none (idle longer than the observation period)", got)
	}
	want := "no journal of when the key was disabled; it was last used 20d ago, longer than the observation period"
	if n := strings.Join(dp.Notes, "\n"); !strings.Contains(n, want) {
		t.Errorf("notes %q, want %q", n, want)
	}
}

// fakeCommands is a Cloud Assistant with one command and a scripted answer
// to DeleteCommand.
type fakeCommands struct {
	exists    bool
	deleteErr error
	deleted   int
}

func (f *fakeCommands) CommandExists(ctx context.Context, region, id string) (bool, error) {
	return f.exists, nil
}
func (f *fakeCommands) DeleteCommandIn(ctx context.Context, region, id string) (string, error) {
	f.deleted++
	return "REQ-DEL", f.deleteErr
}

// Deleting a command someone else already deleted (InvalidCmdId.NotFound)
// reaches the goal and succeeds; any other refusal is the action's error.
// The summary names the command by ID and, when known, by name.
func TestEradicateDeleteCommand(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		code    string
		wantErr bool
	}{
		{"InvalidCmdId.NotFound", false},
		{"Forbidden.RAM", true},
	} {
		fc := &fakeCommands{exists: true, deleteErr: &cloud.APIError{API: "ecs:DeleteCommand", Code: tc.code, HTTPStatus: 403, RequestID: "REQ-X"}}
		a, err := planDeleteCommand(ctx, fc, "cn-hangzhou", "c-evil01", "miner")
		if err != nil || a == nil {
			t.Fatalf("plan: %v %v", a, err)
		}
		if _, err := a.Apply(ctx); (err != nil) != tc.wantErr {
			t.Errorf("DeleteCommand answered %s: apply error %v, want error=%v", tc.code, err, tc.wantErr)
		}
	}

	for _, tc := range []struct{ name, want string }{
		{"miner", "delete Cloud Assistant command c-evil01 (miner) in cn-hangzhou"},
		{"", "delete Cloud Assistant command c-evil01 in cn-hangzhou"},
	} {
		a, err := planDeleteCommand(ctx, &fakeCommands{exists: true}, "cn-hangzhou", "c-evil01", tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if a.Summary != tc.want {
			t.Errorf("summary %q, want %q", a.Summary, tc.want)
		}
	}
}

// fakeMFA is a user's MFA binding.
type fakeMFA struct {
	bound     string
	unbindErr error
	deleted   []string
}

func (f *fakeMFA) GetUserMFAInfo(ctx context.Context, user string) (cloud.MFAInfo, error) {
	if f.bound == "" {
		return cloud.MFAInfo{}, notFound("ims:GetUserMFAInfo", "EntityNotExist.User.MFADevice")
	}
	return cloud.MFAInfo{SerialNumber: f.bound}, nil
}
func (f *fakeMFA) UnbindMFADevice(ctx context.Context, user string) (string, error) {
	if f.unbindErr != nil {
		return "REQ-U", f.unbindErr
	}
	f.bound = ""
	return "REQ-U", nil
}
func (f *fakeMFA) DeleteVirtualMFADevice(ctx context.Context, serial string) (string, error) {
	f.deleted = append(f.deleted, serial)
	return "REQ-D", nil
}

// The attacker's MFA device counts as bound only when the bound device is
// that one; with no serial given, whatever device is bound is the one.
func TestEradicateMFABoundIsTheAttackersDevice(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		bound, serial string
		want          bool
	}{
		{"acs:ram::1:mfa/evil", "acs:ram::1:mfa/evil", true},
		{"acs:ram::1:mfa/owner", "acs:ram::1:mfa/evil", false}, // the owner re-bound their own device
		{"acs:ram::1:mfa/evil", "", true},
		{"", "", false},
	} {
		r := &mfaDeviceResource{c: &fakeMFA{bound: tc.bound}, user: "app-prod", serial: tc.serial}
		st, err := r.observe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.(mfaDeviceState).Bound; got != tc.want {
			t.Errorf("bound %q, attacker's serial %q: Bound=%v, want %v", tc.bound, tc.serial, got, tc.want)
		}
	}
}

// Removing the attacker's MFA device unbinds it and deletes the virtual
// device by its serial (its seed is the attacker's); a refused unbind is the
// action's error and deletes nothing.
func TestEradicateMFAUnbindThenDelete(t *testing.T) {
	ctx := context.Background()
	const evil = "acs:ram::1:mfa/evil"
	f := &fakeMFA{bound: evil}
	a, err := planRemoveMFA(ctx, f, "app-prod", evil)
	if err != nil || a == nil {
		t.Fatalf("plan: %v %v", a, err)
	}
	if _, err := a.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if f.bound != "" || len(f.deleted) != 1 || f.deleted[0] != evil {
		t.Errorf("after apply: bound %q, deleted %v; want unbound and %s deleted", f.bound, f.deleted, evil)
	}

	f = &fakeMFA{bound: evil, unbindErr: &cloud.APIError{API: "ims:UnbindMFADevice", Code: "NoPermission", HTTPStatus: 403, RequestID: "REQ-N"}}
	a, _ = planRemoveMFA(ctx, f, "app-prod", evil)
	if _, err := a.Apply(ctx); err == nil || len(f.deleted) != 0 {
		t.Errorf("refused unbind: error %v, deleted %v; want the error and nothing deleted", err, f.deleted)
	}
}

// planRemoveMFA with a serial plans that device, without asking which is
// bound; without one, it plans whatever device is bound now, and nothing
// when none is.
func TestEradicatePlanRemoveMFASerial(t *testing.T) {
	ctx := context.Background()
	a, err := planRemoveMFA(ctx, &fakeMFA{bound: "acs:ram::1:mfa/other"}, "app-prod", "acs:ram::1:mfa/evil")
	if err != nil {
		t.Fatal(err)
	}
	if want := "unbind and delete MFA device acs:ram::1:mfa/evil of app-prod"; a == nil || a.Summary != want || !a.Noop {
		t.Errorf("given serial: %+v, want %q and a no-op (that device is not bound)", a, want)
	}
	a, err = planRemoveMFA(ctx, &fakeMFA{bound: "acs:ram::1:mfa/evil"}, "app-prod", "")
	if err != nil {
		t.Fatal(err)
	}
	if want := "unbind and delete MFA device acs:ram::1:mfa/evil of app-prod"; a == nil || a.Summary != want || a.Noop {
		t.Errorf("no serial: %+v, want %q", a, want)
	}
	if a, err := planRemoveMFA(ctx, &fakeMFA{}, "app-prod", ""); a != nil || err != nil {
		t.Errorf("nothing bound: %+v %v, want no action", a, err)
	}
}
