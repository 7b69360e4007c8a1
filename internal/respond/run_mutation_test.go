package respond

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/journal"
)

// Tests for the survivors of the mutation run over run.go (Execute, its
// summary, journal notes and next steps); see docs/mutation.md.

// stubRes is a resource whose live state is a string. set moves it to the
// target and returns setErr: a non-nil setErr is a call that answered an
// error although it took effect (a timeout after the cloud made the
// change), which a re-read then finds in place.
type stubRes struct {
	mu     sync.Mutex
	k, tgt string
	state  string
	setErr error
}

func (r *stubRes) kind() string     { return r.k }
func (r *stubRes) target() string   { return r.tgt }
func (r *stubRes) reversible() bool { return true }
func (r *stubRes) observe(context.Context) (any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state, nil
}
func (r *stubRes) set(_ context.Context, _, to any) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state = to.(string)
	return "REQ-STUB", r.setErr
}
func (r *stubRes) equal(a, b any) bool { return a.(string) == b.(string) }
func (r *stubRes) text(s any) string   { return s.(string) }

// stubAction plans moving a stubRes of the given kind from its current
// state to after.
func stubAction(id, kind string, r *stubRes, after string) *Action {
	r.k, r.tgt = kind, id
	return newAction(id, r, r.state, after, "stub "+id)
}

// tookEffectPlan is a plan of the given command with two actions: the
// first one's call answers a transient error although the change was made
// (its re-read holds), the second was already in place at plan time but
// depends on the first, so it is skipped. Every re-read holds: the run
// has one failure and one skip and nothing else wrong.
func tookEffectPlan(command string, fail bool) *Plan {
	first := &stubRes{state: "before"}
	if fail {
		first.setErr = fmt.Errorf("ram:CreatePolicyVersion: read tcp 127.0.0.1:1: i/o timeout: %w", cloud.ErrTransient)
	}
	second := &stubRes{state: "after"}
	a := stubAction("first", "stub-first", first, "after")
	b := stubAction("second", "stub-second", second, "after")
	b.DependsOn = []string{"first"}
	p := &Plan{Command: command, Key: KeyInfo{AccessKeyID: leakedKey, OwnerType: OwnerRAMUser, Owner: "app-prod", Status: "Active"},
		Operator: OperatorInfo{Arn: "acs:ram::1234567890123456:user/admin", Endpoint: "127.0.0.1:1"}, ObservedAt: t0,
		Actions: []*Action{a, b}}
	if command == CmdContainUndo {
		p.UndoComplete = true
		p.UndoRuns = map[string][]string{"20261120T080000.000000000Z-contain": {"network-acl"}}
	}
	p.seal()
	return p
}

// recActions are the journal records' Action fields of the given command.
func recActions(t *testing.T, dir, command string) []string {
	t.Helper()
	var out []string
	for _, r := range journalRecs(t, dir) {
		if r.Command == command {
			out = append(out, r.Action)
		}
	}
	return out
}

// A failed call is a failure whatever the re-read shows, and a skipped
// action is not done: a run with one of each (and every re-read holding)
// exits 1 with a PartialError naming both and the retry command, its
// summary offers the retry and says "1 failed, 1 skipped", and an undo
// run does not journal that the undo is complete (a later undo would then
// forget the containment or eradication still in place). The same plan
// without the failure succeeds and, for an undo, journals the completion.
// Kills run.go:106:15, 112:48, 115:46, 126:15 and 265:15 (Failed+Skipped
// computed as Failed-Skipped: 0 here).
func TestRunFailedCallThatTookEffectIsStillPartial(t *testing.T) {
	const retry = "akresp RETRY --yes"
	for _, command := range []string{CmdContain, CmdContainUndo, CmdEradicateUndo} {
		t.Run(command, func(t *testing.T) {
			dir := t.TempDir()
			p := tookEffectPlan(command, true)
			sum, err := Execute(context.Background(), p, ExecOptions{StateDir: dir, Now: clock(), Retry: retry})
			var pe *PartialError
			if !errors.As(err, &pe) || pe.ExitCode() != 1 {
				t.Fatalf("err = %v, want a PartialError (exit 1)", err)
			}
			if len(pe.Failed) != 2 || !strings.HasPrefix(pe.Failed[0], "first: ") || pe.Failed[1] != "second: not attempted: first did not succeed" || pe.Retry != retry {
				t.Errorf("partial error %+v, want the failed first, the skipped second and the retry", pe)
			}
			if sum.Failed != 1 || sum.Skipped != 1 || sum.Changed != 0 {
				t.Errorf("summary counts changed %d failed %d skipped %d, want 0, 1, 1", sum.Changed, sum.Failed, sum.Skipped)
			}
			for _, c := range sum.Checks {
				if !c.OK {
					t.Fatalf("test bug: re-read %+v does not hold", c)
				}
			}
			if sum.Retry != retry {
				t.Errorf("summary retry %q, want %q", sum.Retry, retry)
			}
			if want := fmt.Sprintf("%s %s: %s; 0 changed, 1 failed, 1 skipped", command, leakedKey, sum.State); sum.Message != want {
				t.Errorf("message %q, want %q", sum.Message, want)
			}
			acts := recActions(t, dir, command)
			if slices.Contains(acts, undoCompleteAction) || slices.Contains(acts, undoRunsAction) {
				t.Errorf("journal %q: a partial undo must not be marked complete", acts)
			}

			// Control: the same plan without the failure.
			dir = t.TempDir()
			sum, err = Execute(context.Background(), tookEffectPlan(command, false), ExecOptions{StateDir: dir, Now: clock(), Retry: retry})
			if err != nil || sum.Retry != "" {
				t.Fatalf("clean run: err %v, retry %q; want neither", err, sum.Retry)
			}
			acts = recActions(t, dir, command)
			if command != CmdContain && !slices.Contains(acts, undoCompleteAction) {
				t.Errorf("journal %q: a complete undo is marked %q", acts, undoCompleteAction)
			}
		})
	}
}

// An eradicate undo whose every action applied and holds journals
// "undo-complete": the next eradicate --undo starts after it (the
// eradicate changes before it are reverted). Kills run.go:112:61, 112:84
// and 112:108 (each part of the condition negated: no mark after a clean
// undo).
func TestRunEradicateUndoMarksCompletion(t *testing.T) {
	dir := t.TempDir()
	r := &stubRes{state: "deleted"}
	p := &Plan{Command: CmdEradicateUndo, Key: KeyInfo{AccessKeyID: leakedKey}, ObservedAt: t0,
		Actions: []*Action{stubAction("undo-delete-login:evil", "stub-login", r, "exists")}}
	p.seal()
	sum, err := Execute(context.Background(), p, ExecOptions{StateDir: dir, Now: clock(), Retry: "akresp eradicate " + leakedKey + " --undo --yes"})
	if err != nil || sum.State != "restored" || sum.Retry != "" {
		t.Fatalf("undo: err %v, state %q, retry %q", err, sum.State, sum.Retry)
	}
	var marks []journal.Record
	for _, rec := range journalRecs(t, dir) {
		if rec.Action == eradicateUndoComplete {
			marks = append(marks, rec)
		}
	}
	if len(marks) != 1 || marks[0].Command != CmdEradicateUndo || marks[0].PlanHash != p.Hash {
		t.Errorf("undo-complete records %+v, want one of this eradicate-undo run", marks)
	}
}

// A successful run offers no retry command (the CLI shows "retry with"
// only for a partial run) and returns no error. Kills run.go:106:28,
// 106:50 (boundary and negation) and 106:73 (boundary): each makes a clean
// run's summary carry the retry.
func TestRunCleanSuccessOffersNoRetry(t *testing.T) {
	f := newFake()
	o := containOpts()
	p, err := PlanContain(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Execute(context.Background(), p, ExecOptions{StateDir: t.TempDir(), Now: o.Now, Retry: "akresp contain " + leakedKey + " --yes"})
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if sum.Retry != "" || sum.State != StateContained || sum.Failed+sum.Skipped != 0 {
		t.Errorf("clean run: retry %q, state %q, failed %d skipped %d; want no retry", sum.Retry, sum.State, sum.Failed, sum.Skipped)
	}
}

// The summary's message: a clean run says what changed and what was
// already in place; a run with failures says its state and counts the
// failures. Kills run.go:265:26 (boundary: the clean run gets the failure
// form; negation: both forms swap).
func TestRunResultMessageForm(t *testing.T) {
	f := newFake()
	o := containOpts()
	p, err := PlanContain(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Execute(context.Background(), p, ExecOptions{StateDir: t.TempDir(), Now: o.Now})
	if err != nil {
		t.Fatal(err)
	}
	if want := "contain " + leakedKey + ": contained (3 changed, 0 already in place)"; sum.Message != want {
		t.Errorf("clean run message %q, want %q", sum.Message, want)
	}

	f = newFake()
	f.fail["AttachPolicyToUser"] = &cloudAPIError{API: "ram:AttachPolicyToUser", Code: "NoPermission", HTTPStatus: 403}
	p, err = PlanContain(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	sum, err = Execute(context.Background(), p, ExecOptions{StateDir: t.TempDir(), Now: o.Now})
	if err == nil {
		t.Fatal("a failed attach must make the run partial")
	}
	if want := "contain " + leakedKey + ": partially_contained; 2 changed, 1 failed, 0 skipped"; sum.Message != want {
		t.Errorf("partial run message %q, want %q", sum.Message, want)
	}
}

// Actions found in place count as unchanged: a second contain run that
// only widens the ACL reports "1 changed, 2 already in place" (the deny
// policy and its attachment were no-ops), also for an action found done at
// the re-check. Kills run.go:79:17 (Unchanged++ as Unchanged--).
func TestRunCountsActionsAlreadyInPlace(t *testing.T) {
	f := newFake()
	dir := t.TempDir()
	containAndApply(t, f, dir, containOpts())
	later := clock()
	o := containOpts(func(o *ContainOptions) {
		o.ACL = ACLRequest{AllowIPs: []string{"127.0.0.11/32"}}
		o.Now = func() time.Time { return later().Add(time.Hour) }
	})
	p, err := PlanContain(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Execute(context.Background(), p, ExecOptions{StateDir: dir, Now: o.Now})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Changed != 1 || sum.Unchanged != 2 {
		t.Errorf("changed %d unchanged %d, want 1 and 2 (outcomes %+v)", sum.Changed, sum.Unchanged, sum.Outcomes)
	}
	if want := "contain " + leakedKey + ": contained (1 changed, 2 already in place)"; sum.Message != want {
		t.Errorf("message %q, want %q", sum.Message, want)
	}

	// The ACL set by hand between the plan and the apply: found in place
	// at the re-check ("already"), counted unchanged too.
	later2 := clock()
	o.ACL = ACLRequest{AllowIPs: []string{"127.0.0.12/32"}}
	o.Now = func() time.Time { return later2().Add(2 * time.Hour) }
	p, err = PlanContain(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	acl := p.Action("network-acl")
	if acl == nil || acl.Noop {
		t.Fatalf("test bug: plan %q lacks an ACL change", actionIDs(p))
	}
	if _, err := acl.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	sum, err = Execute(context.Background(), p, ExecOptions{StateDir: dir, Now: o.Now}) // RecheckAfter 0: re-check
	if err != nil {
		t.Fatal(err)
	}
	if sum.Outcomes["network-acl"].Status != OutcomeAlready || sum.Changed != 0 || sum.Unchanged != 3 {
		t.Errorf("changed %d unchanged %d (outcomes %+v), want 0 and 3 with the ACL already in place", sum.Changed, sum.Unchanged, sum.Outcomes)
	}
}

// The journal's verify note says whether every action holds: "verified:
// every action holds" after a clean run, "not holding: ..." naming the
// action that does not. Kills run.go:234:14 (the two messages swap).
func TestRunVerifyNoteSaysWhatHolds(t *testing.T) {
	verifyNote := func(t *testing.T, dir string) journal.Record {
		t.Helper()
		var notes []journal.Record
		for _, r := range journalRecs(t, dir) {
			if r.Kind == journal.KindNote && r.Action == "verify" {
				notes = append(notes, r)
			}
		}
		if len(notes) != 1 {
			t.Fatalf("verify notes %+v, want one", notes)
		}
		return notes[0]
	}
	f := newFake()
	o := containOpts()
	dir := t.TempDir()
	containAndApply(t, f, dir, o)
	if n := verifyNote(t, dir); n.Message != "verified: every action holds" || string(n.After) != `{"state":"contained"}` {
		t.Errorf("verify note %q %s, want every action holding and the contained state", n.Message, n.After)
	}

	f = newFake()
	p, err := PlanContain(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	f.hook = func(m string) {
		if m == "SetAccessKeyPolicy" {
			f.mu.Lock()
			f.fail["GetAccessKeyPolicy"] = errors.New("connection reset")
			f.mu.Unlock()
		}
	}
	dir = t.TempDir()
	if _, err := Execute(context.Background(), p, ExecOptions{StateDir: dir, Now: o.Now}); err == nil {
		t.Fatal("an ACL that cannot be re-read must make the run partial")
	}
	if n := verifyNote(t, dir); n.Message != "not holding: network-acl could not re-read: connection reset" {
		t.Errorf("verify note %q, want the ACL not holding", n.Message)
	}
}

// A run resuming an interrupted one journals, for each of the earlier
// run's calls without an outcome, what this run found: the call had taken
// effect (the action is a no-op now), it is re-applied, or (an action
// this plan does not have) only that live state was re-read. Kills
// run.go:163:35 (`a != nil` negated: the suffixes are lost and an action
// missing from the plan crashes the run).
func TestRunReconcileNotesSayWhatTheEarlierCallDid(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := newFake()
	first := containOpts(func(o *ContainOptions) { o.RequireMFA = true })
	p, err := PlanContain(ctx, f, first)
	if err != nil {
		t.Fatal(err)
	}
	// The dead run: intents for the ACL, the deny policy and the MFA
	// requirement; only the deny policy's call reached the cloud.
	j, err := journal.Open(dir, leakedKey, CmdContain, first.Now)
	if err != nil {
		t.Fatal(err)
	}
	dead := j.RunID()
	for _, id := range []string{"network-acl", "deny-policy", "mfa:app-prod"} {
		a := p.Action(id)
		if a == nil {
			t.Fatalf("test bug: plan %q lacks %s", actionIDs(p), id)
		}
		if err := j.Append(journal.Record{Kind: journal.KindIntent, ActionID: a.ID, Action: a.Kind, Target: a.Target, Before: a.Before, After: a.After, PlanHash: p.Hash}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Action("deny-policy").Apply(ctx); err != nil {
		t.Fatal(err)
	}
	j.Close()

	later := clock()
	o := containOpts(func(o *ContainOptions) { o.Now = func() time.Time { return later().Add(time.Hour) } }) // no MFA this time
	p2, err := PlanContain(ctx, f, o)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Action("mfa:app-prod") != nil || p2.Action("network-acl").Noop || !p2.Action("deny-policy").Noop {
		t.Fatalf("test bug: resume plan %q", actionIDs(p2))
	}
	if _, err := Execute(ctx, p2, ExecOptions{StateDir: dir, Now: o.Now}); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range journalRecs(t, dir) {
		if r.Action == "reconcile" {
			got[r.ActionID] = r.Message
		}
	}
	want := map[string]string{
		"network-acl":  "earlier run " + dead + " was interrupted during " + p.Action("network-acl").Kind + " " + p.Action("network-acl").Target + "; live state re-read: re-applying",
		"deny-policy":  "earlier run " + dead + " was interrupted during " + KindDenyPolicy + " " + p.Action("deny-policy").Target + "; live state re-read: the call had taken effect",
		"mfa:app-prod": "earlier run " + dead + " was interrupted during " + p.Action("mfa:app-prod").Kind + " app-prod; live state re-read",
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("reconcile note of %s %q, want %q", id, got[id], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("reconcile notes %q, want %d", got, len(want))
	}
}

// ignoredDisable is a cloud whose UpdateAccessKeyStatus answers OK but
// leaves the key as it was: the re-read still shows the key Active.
type ignoredDisable struct{ *fakeCloud }

func (f ignoredDisable) UpdateAccessKeyStatus(ctx context.Context, user, keyID, status string) (string, error) {
	done, err := f.enter("UpdateAccessKeyStatus")
	defer done()
	return rid(), err
}

// The state of a disable is what the re-read shows, whatever the call
// answered: a key still Active after an "OK" disable is reported Active
// (exit 1 with the retry, no "re-enable it" next step); a key already
// Inactive is reported Inactive without any call. Kills run.go:181:21
// (`len(checks) == 0` negated: the failed re-read is ignored and the
// no-change run indexes an empty list).
func TestRunDisableStateIsWhatTheReReadShows(t *testing.T) {
	ctx := context.Background()
	now := func() time.Time { return t0 }
	dir := t.TempDir()
	c := ignoredDisable{newFake()}
	dp, err := PlanDisable(ctx, c, DisableOptions{KeyID: leakedKey, Mode: ModeDisable, StateDir: dir, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if r := dp.Blocked(); r != nil {
		t.Fatalf("disable blocked: %v", r)
	}
	sum, err := Execute(ctx, dp.Plan, ExecOptions{StateDir: dir, Now: now, Retry: "akresp disable " + leakedKey + " --yes"})
	var pe *PartialError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a PartialError: the key still reads Active", err)
	}
	if sum.State != "Active" || len(sum.Next) != 0 {
		t.Errorf("state %q next %q, want Active and no next step", sum.State, sum.Next)
	}

	f := newFake()
	f.keys[leakedKey].status = "Inactive"
	dir = t.TempDir()
	dp, err = PlanDisable(ctx, f, DisableOptions{KeyID: leakedKey, Mode: ModeDisable, StateDir: dir, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if dp.Changes() != 0 || len(dp.Actions) != 1 {
		t.Fatalf("test bug: disable of an Inactive key plans %q", actionIDs(dp.Plan))
	}
	sum, err = Execute(ctx, dp.Plan, ExecOptions{StateDir: dir, Now: now})
	if err != nil || !sum.NoChange || sum.State != "Inactive" {
		t.Fatalf("disable of an Inactive key: err %v, summary %+v", err, sum)
	}
	if want := leakedKey + " is already Inactive; nothing changed"; sum.Message != want {
		t.Errorf("message %q, want %q", sum.Message, want)
	}
}

// A partially contained key still gets contain's next steps (check later,
// revert the fence); a key nothing could contain gets none. Kills
// run.go:280:43 (`!= StatePartiallyContained` negated: the partial run
// loses its next steps, the failed one gets them).
func TestRunNextStepsOfPartialContainment(t *testing.T) {
	f := newFake()
	f.fail["CreatePolicy"] = &cloudAPIError{API: "ram:CreatePolicy", Code: "NoPermission", HTTPStatus: 403}
	o := containOpts()
	p, err := PlanContain(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := Execute(context.Background(), p, ExecOptions{StateDir: t.TempDir(), Now: o.Now})
	if sum.State != StatePartiallyContained {
		t.Fatalf("test bug: state %q", sum.State)
	}
	all := strings.Join(sum.Next, "\n")
	for _, want := range []string{"check containment later: akresp contain " + leakedKey + " --status", "revert if production breaks: akresp contain " + leakedKey + " --undo"} {
		if !strings.Contains(all, want) {
			t.Errorf("next steps %q, want %q", sum.Next, want)
		}
	}

	f = newFake()
	f.fail["CreatePolicy"] = &cloudAPIError{API: "ram:CreatePolicy", Code: "NoPermission", HTTPStatus: 403}
	f.fail["SetAccessKeyPolicy"] = &cloudAPIError{API: "ims:SetAccessKeyPolicy", Code: "NoPermission", HTTPStatus: 403}
	p, err = PlanContain(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	sum, _ = Execute(context.Background(), p, ExecOptions{StateDir: t.TempDir(), Now: o.Now})
	if sum.State != StateNotContained || len(sum.Next) != 0 {
		t.Errorf("nothing contained: state %q next %q, want %s and no next step", sum.State, sum.Next, StateNotContained)
	}
}

// The next step for an active key fits its owner: a RAM user's key is
// rotated; a root account's key cannot be, and the step says to move the
// workload to a RAM user and disable it. Kills run.go:287:34 (the owner
// test negated: the two swap).
func TestRunNextStepsFitTheOwner(t *testing.T) {
	f := newFake()
	_, sum := run(t, f, t.TempDir(), containOpts())
	all := strings.Join(sum.Next, "\n")
	if !strings.Contains(all, "rotate the key: akresp rotate "+leakedKey) || strings.Contains(all, "root-account") {
		t.Errorf("RAM user's key: next steps %q, want the rotation", sum.Next)
	}

	const root = "LTAIrootrootrootroot0001"
	f = newFake()
	f.keys[root] = &fakeKey{status: "Active"}
	f.caller.IdentityType = "Account"
	o := containOpts(func(o *ContainOptions) { o.KeyID = root })
	p, err := PlanContain(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	if p.Key.OwnerType != OwnerRoot || p.Blocked() != nil {
		t.Fatalf("test bug: owner %q rails %v", p.Key.OwnerType, p.Blocked())
	}
	sum, err = Execute(context.Background(), p, ExecOptions{StateDir: t.TempDir(), Now: o.Now})
	if err != nil {
		t.Fatal(err)
	}
	all = strings.Join(sum.Next, "\n")
	if !strings.Contains(all, "root-account key: create a RAM user for the workload, then disable this key: akresp disable "+root) || strings.Contains(all, "akresp rotate") {
		t.Errorf("root key: next steps %q, want the RAM-user advice", sum.Next)
	}
}

// The undo offered after contain fits what the run changed: "--undo
// --acl-only" only when the run changed both the fence and the deny policy
// of an active key (undo of the policy would be refused); a run that
// changed the fence alone (no deny policy asked, or it was already in
// place) is offered plain "--undo". Kills run.go:299:15 and 299:45 (either
// kind test negated counts the ACL change as a deny change).
func TestRunUndoOfferedFitsWhatChanged(t *testing.T) {
	aclOnly := "revert the network ACL if production breaks: akresp contain " + leakedKey + " --undo --acl-only"
	plain := "revert if production breaks: akresp contain " + leakedKey + " --undo"
	f := newFake()
	dir := t.TempDir()
	_, sum := run(t, f, dir, containOpts())
	if !slices.Contains(sum.Next, aclOnly) || slices.Contains(sum.Next, plain) {
		t.Errorf("fence and deny policy changed: next %q, want %q", sum.Next, aclOnly)
	}
	_, sum = run(t, f, dir, containOpts(func(o *ContainOptions) { o.ACL = ACLRequest{AllowIPs: []string{"127.0.0.11/32"}} }))
	if sum.Outcomes["deny-policy"].Status != OutcomeNoop || !slices.Contains(sum.Next, plain) || slices.Contains(sum.Next, aclOnly) {
		t.Errorf("fence changed, deny policy in place: next %q, want %q", sum.Next, plain)
	}
	_, sum = run(t, newFake(), t.TempDir(), containOpts(func(o *ContainOptions) { o.NoDenyPolicy = true }))
	if !slices.Contains(sum.Next, plain) || slices.Contains(sum.Next, aclOnly) {
		t.Errorf("fence alone: next %q, want %q", sum.Next, plain)
	}
}

// A contain undo that restored everything suggests checking the result
// and journals that the containment is reverted; one that could not
// restore suggests nothing. Kills run.go:312:14 (the "restored" test
// negated).
func TestRunContainUndoSuggestsTheStatusCheck(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	dir := t.TempDir()
	o := containOpts()
	containAndApply(t, f, dir, o)
	up, err := PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: dir, Now: o.Now, ACLOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Execute(ctx, up, ExecOptions{StateDir: dir, Now: o.Now})
	if err != nil || sum.State != "restored" {
		t.Fatalf("undo: err %v state %q", err, sum.State)
	}
	if want := []string{"check the result: akresp contain " + leakedKey + " --status"}; !slices.Equal(sum.Next, want) {
		t.Errorf("next %q, want %q", sum.Next, want)
	}

	f = newFake()
	dir = t.TempDir()
	containAndApply(t, f, dir, o)
	up, err = PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: dir, Now: o.Now, ACLOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	f.fail["SetAccessKeyPolicy"] = &cloudAPIError{API: "ims:SetAccessKeyPolicy", Code: "NoPermission", HTTPStatus: 403}
	sum, err = Execute(ctx, up, ExecOptions{StateDir: dir, Now: o.Now})
	if err == nil || sum.State != "undo_incomplete" || len(sum.Next) != 0 {
		t.Errorf("failed undo: err %v state %q next %q, want undo_incomplete and no next step", err, sum.State, sum.Next)
	}
}

// Containment fences the leaked key, not the users and keys its attacker
// made: while any of them is still active the next steps name eradicate;
// once none is (deleted), they do not.
func TestRunNextStepsNameEradicateForCreated(t *testing.T) {
	f := newFake()
	f.addUser("backdoor", "LTAI5tBACKDOORBACKDOOR01")
	ev := &Evidence{Created: []CreatedIdentity{{Kind: "user", Name: "backdoor"}, {Kind: "access_key", Name: "LTAI5tBACKDOORBACKDOOR01", User: "backdoor"}}}
	_, sum := run(t, f, t.TempDir(), containOpts(func(o *ContainOptions) { o.Evidence = ev }))
	want := "remove what the key created (2 identities left, listed above): akresp eradicate " + leakedKey
	if !slices.Contains(sum.Next, want) {
		t.Errorf("next steps %q, want %q", sum.Next, want)
	}
	// --contain-created disables the key; the user is denied, not gone.
	f = newFake()
	f.addUser("backdoor", "LTAI5tBACKDOORBACKDOOR01")
	_, sum = run(t, f, t.TempDir(), containOpts(func(o *ContainOptions) { o.Evidence, o.ContainCreated = ev, true }))
	want = "remove what the key created (1 identity left, listed above): akresp eradicate " + leakedKey
	if !slices.Contains(sum.Next, want) {
		t.Errorf("after --contain-created: next steps %q, want %q", sum.Next, want)
	}

	f = newFake()
	_, sum = run(t, f, t.TempDir(), containOpts(func(o *ContainOptions) { o.Evidence = ev })) // backdoor deleted since
	if slices.ContainsFunc(sum.Next, func(s string) bool { return strings.Contains(s, "eradicate") }) {
		t.Errorf("nothing the key created is left: next steps %q", sum.Next)
	}
}
