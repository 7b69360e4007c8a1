package respond

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/journal"
)

// The deny policy's state reads the same in the plan, the journal and
// --status: absent, present, or present with its default version.
func TestPolicyResourceText(t *testing.T) {
	r := &policyResource{}
	for _, tc := range []struct {
		st   policyState
		want string
	}{
		{policyState{}, "absent"},
		{policyState{Exists: true}, "present"},
		{policyState{Exists: true, DefaultVersion: "v2"}, "present (default v2)"},
	} {
		if got := r.text(tc.st); got != tc.want {
			t.Errorf("text(%+v) = %q, want %q", tc.st, got, tc.want)
		}
	}
}

// failingJournal accepts intents and refuses outcomes: the disk filled up
// between the call and its record.
// Apply journals from its workers at once, as the real journal allows.
type failingJournal struct {
	mu   sync.Mutex
	recs []journal.Record
}

func (j *failingJournal) Append(r journal.Record) error {
	if r.Kind == journal.KindOutcome {
		return errors.New("journal: no space left on device")
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.recs = append(j.recs, r)
	return nil
}
func (j *failingJournal) Path() string { return "/state/journal.jsonl" }

// A change that was applied but could not be journaled is a failure that
// says so, never a silent success; nothing in it is an interrupt.
func TestApplyUnjournaledSuccessIsAFailure(t *testing.T) {
	f := newFake()
	opts := containOpts()
	p, err := PlanContain(context.Background(), f, opts)
	if err != nil {
		t.Fatal(err)
	}
	res := Apply(context.Background(), p, ApplyOptions{Journal: &failingJournal{}, Now: opts.Now, RecheckAfter: time.Hour})
	if res.Interrupted {
		t.Error("a run nobody interrupted reports Interrupted")
	}
	failed := 0
	for id, out := range res.Outcomes {
		if out.Status == OutcomeApplied {
			t.Errorf("%s: applied although its outcome was never journaled", id)
		}
		if out.Status == OutcomeFailed && strings.HasPrefix(out.Error, "applied, but journal: no space left") {
			failed++
		}
	}
	if failed == 0 {
		t.Errorf("no outcome says the change was applied but not journaled: %+v", res.Outcomes)
	}
}

// The plan note carries the undo runs an undo plan reverts (the incident
// record reads them) and no undo_runs key otherwise.
func TestPlanNoteUndoRuns(t *testing.T) {
	p := &Plan{Command: CmdContain}
	var doc map[string]any
	if err := json.Unmarshal(planNote(p).After, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["undo_runs"]; ok {
		t.Errorf("a plan without undo runs journals undo_runs: %v", doc)
	}
	p.UndoRuns = map[string][]string{"network-acl": {"run-1"}}
	doc = nil
	if err := json.Unmarshal(planNote(p).After, &doc); err != nil {
		t.Fatal(err)
	}
	if runs, _ := doc["undo_runs"].(map[string]any)["network-acl"].([]any); len(runs) != 1 || runs[0] != "run-1" {
		t.Errorf("undo plan's note undo_runs = %v, want network-acl: [run-1]", doc["undo_runs"])
	}
}

// A plan exactly RecheckAfter old is applied without re-reading; one a
// nanosecond older re-reads every action's state first.
func TestApplyRechecksOnlyPlansOlderThanRecheckAfter(t *testing.T) {
	calls := func(age time.Duration) int {
		f := newFake()
		opts := containOpts()
		p, err := PlanContain(context.Background(), f, opts)
		if err != nil {
			t.Fatal(err)
		}
		var n atomic.Int64
		f.hook = func(string) { n.Add(1) }
		now := func() time.Time { return p.ObservedAt.Add(age) }
		Apply(context.Background(), p, ApplyOptions{Journal: &failingJournal{}, Now: now, RecheckAfter: time.Minute})
		return int(n.Load())
	}
	fresh, stale := calls(time.Minute), calls(time.Minute+time.Nanosecond)
	if stale <= fresh {
		t.Errorf("a plan older than RecheckAfter made %d calls, one exactly that old %d: the older one must re-read first", stale, fresh)
	}
}

// A root key's status in the plan is that key's, not another root key's.
func TestContainRootKeyStatusIsItsOwn(t *testing.T) {
	f := newFake()
	f.keys["LTAIrootrootrootroot0001"] = &fakeKey{status: "Inactive"}
	f.keys["LTAIrootrootrootroot0002"] = &fakeKey{status: "Active"}
	f.caller.IdentityType = "Account"
	p, err := PlanContain(context.Background(), f, ContainOptions{KeyID: "LTAIrootrootrootroot0001", ACL: containOpts().ACL, Now: containOpts().Now})
	if err != nil {
		t.Fatal(err)
	}
	if p.Key.Status != "Inactive" {
		t.Errorf("plan key status %q, want the root key's own Inactive (the other root key is Active)", p.Key.Status)
	}
}

// A key the AccessKey audit knows as the root account's, without an
// account ID, is contained as a root key even when a RAM user runs akresp.
func TestContainRootKeyFromLastUsedWithoutAccount(t *testing.T) {
	f := newFake()
	f.keys["LTAIrootrootrootroot0001"] = &fakeKey{status: "Active"}
	f.lastUsed["LTAIrootrootrootroot0001"] = cloud.LastUsedInfo{Found: true, AccountType: OwnerRoot}
	p, err := PlanContain(context.Background(), f, ContainOptions{KeyID: "LTAIrootrootrootroot0001", ACL: containOpts().ACL, Now: containOpts().Now})
	if err != nil {
		t.Fatal(err)
	}
	if p.Key.OwnerType != OwnerRoot {
		t.Errorf("owner type %q, want %s", p.Key.OwnerType, OwnerRoot)
	}
}

// A caller last seen exactly RecentWindow ago is still recent.
func TestBlastRadiusRecentWindowEdge(t *testing.T) {
	now := time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC)
	b := blastRadius([]Caller{{IP: netip.MustParseAddr("198.51.100.7"), LastSeen: now.Add(-RecentWindow)}}, "", now)
	if b.Recent != 1 {
		t.Errorf("recent = %d, want 1 for a caller seen exactly %s ago", b.Recent, RecentWindow)
	}
}
