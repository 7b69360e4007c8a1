package respond

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/journal"
)

// Undo restores the "before" its run's own plan showed: a journal whose
// intents disagree with the run's plan note was changed after it was
// written (here rewritten with a valid chain, as someone holding the
// journal key could), and undo refuses it naming the action and the run.
// The same journal copied unchanged plans the undo.
func TestUndoRefusesIntentsThatDisagreeWithThePlan(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	f := newFake()
	opts := containOpts()
	containAndApply(t, f, src, opts)
	recs := journalRecs(t, src)
	// copyJournal rewrites the records into a new state directory, the
	// plan note's "before" of every action replaced when tamper is set.
	copyJournal := func(tamper bool) string {
		dir := t.TempDir()
		j, err := journal.Open(dir, leakedKey, CmdContain, opts.Now)
		if err != nil {
			t.Fatal(err)
		}
		tampered := false
		for _, r := range recs {
			if tamper && r.Kind == journal.KindNote && r.Action == "plan" {
				var doc map[string]any
				if err := json.Unmarshal(r.After, &doc); err != nil {
					t.Fatal(err)
				}
				for _, a := range doc["actions"].([]any) {
					a.(map[string]any)["Before"] = "something else"
					tampered = true
				}
				r.After, _ = json.Marshal(doc)
			}
			r.File, r.Line = "", 0
			if err := j.Append(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		if tamper && !tampered {
			t.Fatal("test bug: no plan note with actions in the journal")
		}
		return dir
	}
	if _, err := PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: copyJournal(false), Now: opts.Now}); err != nil {
		t.Fatalf("undo of the copied journal: %v", err)
	}
	_, err := PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: copyJournal(true), Now: opts.Now})
	var re *RailError
	if !errors.As(err, &re) || re.Rule != "journal-inconsistent" {
		t.Fatalf("undo of a journal whose plan note disagrees: %v, want the journal-inconsistent rail", err)
	}
}

// Undo with nothing journaled says so (at the caller's clock); after two
// contain runs, the second changing only the MFA requirement, undo reverts
// the last run and says the earlier one stays, --acl-only says the last run
// did not change the ACL, and the fence akresp last set is the first run's.
func TestUndoNotesAcrossRuns(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	now := func() time.Time { return t0.Add(90 * time.Minute) }
	empty := t.TempDir()
	p, err := PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: empty, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if want := "the journal under " + empty + " holds no containment of " + leakedKey + " to undo"; !slices.Equal(p.Notes, []string{want}) {
		t.Errorf("notes %q, want [%q]", p.Notes, want)
	}
	if !p.ObservedAt.Equal(now()) {
		t.Errorf("observed at %v, want the caller's clock %v", p.ObservedAt, now())
	}
	p, err = PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: empty, Now: now, ACLOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := "the journal under " + empty + " holds no containment of " + leakedKey + " to undo"; !slices.Equal(p.Notes, []string{want}) {
		t.Errorf("--acl-only notes %q, want [%q]", p.Notes, want)
	}

	dir := t.TempDir()
	var runs []string
	later := clock()
	second := containOpts(func(o *ContainOptions) {
		o.RequireMFA = true
		o.Now = func() time.Time { return later().Add(time.Hour) }
	})
	for _, o := range []ContainOptions{containOpts(), second} {
		containAndApply(t, f, dir, o)
	}
	recs := journalRecs(t, dir)
	one := t.TempDir() // the first run alone: no earlier run to mention
	{
		o := containOpts()
		p, err := PlanContain(ctx, newFake(), o)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Execute(ctx, p, ExecOptions{StateDir: one, Now: o.Now}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range recs {
		if r.Kind == journal.KindIntent && !slices.Contains(runs, r.RunID) {
			runs = append(runs, r.RunID)
		}
	}
	if len(runs) != 2 {
		t.Fatalf("contain runs with changes %q, want 2", runs)
	}
	doc, run, ok := journaledFence(recs)
	if !ok || run != runs[0] || !aclEquivalent(doc, `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["127.0.0.10/32"]}]}`) {
		t.Errorf("journaled fence %q of run %q (%v), want the office ACL of the first run %q", doc, run, ok, runs[0])
	}
	p, err = PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: dir, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(p.Notes, "\n")
	for _, want := range []string{"restoring the state before the last contain run (" + runs[1], "1 earlier contain run(s) stay in place; --undo again, or --undo --all, reverts them too"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q, want %q", p.Notes, want)
		}
	}
	if ids := actionIDs(p); len(ids) != 1 {
		t.Errorf("undo actions %q, want only the MFA requirement of the last run", ids)
	}
	if p1, err := PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: one, Now: now}); err != nil {
		t.Fatal(err)
	} else if n := strings.Join(p1.Notes, "\n"); strings.Contains(n, "earlier contain run") {
		t.Errorf("one run: notes %q, want no earlier run mentioned", p1.Notes)
	}
	p, err = PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: dir, Now: now, ACLOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := "the contain run(s) to undo did not change the network ACL of " + leakedKey; !slices.Equal(p.Notes, []string{want}) {
		t.Errorf("--acl-only notes %q, want [%q]", p.Notes, want)
	}
}

// Undo restores a "before" narrower than what the run before it set (the
// ACL was narrowed by hand between the runs) without the widening rail:
// only a wider one needs --force.
func TestUndoNarrowerBeforeIsNoWidening(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	dir := t.TempDir()
	wide := ACLRequest{AllowIPs: []string{"127.0.0.0/24"}}
	first := containOpts(func(o *ContainOptions) { o.ACL = wide })
	containAndApply(t, f, dir, first)
	f.keys[leakedKey].acl = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["127.0.0.10/32"]}]}`
	later := clock()
	second := containOpts(func(o *ContainOptions) {
		o.ACL, o.Replace = wide, true
		o.Now = func() time.Time { return later().Add(time.Hour) }
	})
	containAndApply(t, f, dir, second)
	up, err := PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: dir, Now: second.Now, ACLOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if rules := railRules(up); slices.Contains(rules, "undo-widens-fence") {
		t.Errorf("rails %q: restoring 127.0.0.10/32 after a /24 is no widening", rules)
	}
	if ids := actionIDs(up); !slices.Equal(ids, []string{"undo-network-acl"}) {
		t.Errorf("undo actions %q, want the ACL's", ids)
	}
}

// After the key was deleted (rotate --delete), undo still plans: the ACL
// went with the key and is not restored, the key's owner comes from the
// journal's attach of the deny policy, and the detach is planned for it.
func TestUndoAfterTheKeyWasDeleted(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	dir := t.TempDir()
	o := containOpts()
	containAndApply(t, f, dir, o)
	delete(f.keys, leakedKey)
	up, err := PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: dir, Now: o.Now})
	if err != nil {
		t.Fatalf("undo after the key was deleted: %v", err)
	}
	if up.Key.Owner != "app-prod" {
		t.Errorf("owner %q, want app-prod (the journal's attach target)", up.Key.Owner)
	}
	ids := actionIDs(up)
	if slices.Contains(ids, "undo-network-acl") || !slices.Contains(ids, "undo-attach:app-prod") {
		t.Errorf("undo actions %q, want the detach from app-prod and no ACL", ids)
	}
}

// --status names the last contain or undo run: after an undo it is the
// undo's run, not the contain it reverted.
func TestStatusLastRunIsTheUndo(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	dir := t.TempDir()
	o := containOpts()
	containAndApply(t, f, dir, o)
	later := clock()
	at := func() time.Time { return later().Add(time.Hour) }
	up, err := PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: dir, Now: at, ACLOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Execute(ctx, up, ExecOptions{StateDir: dir, Now: at}); err != nil {
		t.Fatal(err)
	}
	var undoRun string
	for _, r := range journalRecs(t, dir) {
		if r.Command == CmdContainUndo {
			undoRun = r.RunID
		}
	}
	st, err := Status(ctx, f, dir, leakedKey, "")
	if err != nil {
		t.Fatal(err)
	}
	if undoRun == "" || st.LastRun != undoRun {
		t.Errorf("last run %q, want the undo's %q", st.LastRun, undoRun)
	}
}

// containAndApply plans contain with o on c and applies it, journaling into dir.
func containAndApply(t *testing.T, c ContainCloud, dir string, o ContainOptions) {
	t.Helper()
	p, err := PlanContain(context.Background(), c, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Execute(context.Background(), p, ExecOptions{StateDir: dir, Now: o.Now}); err != nil {
		t.Fatal(err)
	}
}
