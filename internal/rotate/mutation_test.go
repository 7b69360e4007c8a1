package rotate

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/journal"
)

// The tests in this file pin behaviours that the mutation run
// (scripts/mutate.sh rotate, docs/mutation.md) found unpinned by the
// package's own tests: each case names what a changed operator would break.

const (
	inactiveEmptyACL = `{"Version":1,"Status":"Inactive","Statements":[]}`
	activeEmptyACL   = `{"Version":1,"Status":"Active","Statements":[]}`
	inactiveListACL  = `{"Version":1,"Status":"Inactive","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["10.0.0.1"]}]}`
	denyPublicACL    = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["127.0.0.1"]}]}`
	publicPairACL    = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["127.0.0.1","10.0.0.1"]}]}`
	publicOtherACL   = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["10.0.0.2"]}]}`
	vpcACL           = `{"Version":1,"Status":"Active","Statements":[{"Type":"VPCWhiteList","Value":"vpc-a","IPList":["10.0.0.0/8"]}]}`
	reorderedFence   = `{"Version":"1","Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["127.0.0.10/31"]}]}`
)

func TestNoACLForms(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      bool
	}{
		{"empty", "", true},
		{"blank", " \n\t", true},
		{"inactive without statements (the documented remove form)", inactiveEmptyACL, true},
		{"active without statements is a fence that admits nothing", activeEmptyACL, false},
		{"inactive with statements is a stored list", inactiveListACL, false},
		{"unreadable is not 'none'", "{", false},
		{"an active list", fenceDoc, false},
	} {
		if got := noACL(tc.doc); got != tc.want {
			t.Errorf("%s: noACL = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestACLSummaryWords(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"none", "", "none"},
		{"deny public", denyPublicACL, "allows no public address"},
		{"the deny address next to another is a list", publicPairACL, "allows public 127.0.0.1,10.0.0.1"},
		{"one other address", publicOtherACL, "allows public 10.0.0.2"},
		{"vpc", vpcACL, "allows vpc-a 10.0.0.0/8"},
		{"inactive list", inactiveListACL, "allows public 10.0.0.1 (Inactive: stored, not enforced)"},
	} {
		if got := ACLSummary(tc.doc); got != tc.want {
			t.Errorf("%s: ACLSummary = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := ACLSummary("{"); !strings.HasPrefix(got, "a document akresp cannot read (") {
		t.Errorf("unreadable: ACLSummary = %q", got)
	}
}

func TestSameACL(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b string
		want bool
	}{
		{"both none", "", inactiveEmptyACL, true},
		{"none and a fence", "", fenceDoc, false},
		{"a fence and none", fenceDoc, inactiveEmptyACL, false},
		{"equivalent documents", fenceDoc, reorderedFence, true},
		{"different lists", fenceDoc, publicOtherACL, false},
		{"same unreadable text", "{x", " {x ", true},
		{"different unreadable text", "{x", "{y", false},
		{"unreadable and readable", "{x", fenceDoc, false},
	} {
		if got := sameACL(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: sameACL = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestStateFence(t *testing.T) {
	var nilState *State
	if nilState.fence() != nil {
		t.Error("nil state has a fence")
	}
	for _, tc := range []struct {
		name string
		inh  *ACLInheritance
		want bool
	}{
		{"no inheritance read", nil, false},
		{"none", &ACLInheritance{Policy: ""}, false},
		{"remove form", &ACLInheritance{Policy: inactiveEmptyACL}, false},
		{"unreadable", &ACLInheritance{Policy: "{"}, false},
		{"inactive list is not enforced", &ACLInheritance{Policy: inactiveListACL}, false},
		{"active list", &ACLInheritance{Policy: fenceDoc}, true},
	} {
		st := &State{ACL: tc.inh}
		f := st.fence()
		if (f != nil) != tc.want {
			t.Errorf("%s: fence = %v, want one: %v", tc.name, f, tc.want)
		}
		if f != nil && (len(f.Statements) != 1 || f.Statements[0].IPList[0] != "127.0.0.10/31") {
			t.Errorf("%s: fence = %+v", tc.name, f)
		}
	}
}

func TestAttackerSummaryWords(t *testing.T) {
	got := AttackerSummary([]Source{
		{IP: "127.0.0.66", Count: 1, Errors: 1},
		{IP: "127.0.0.67", Count: 3, Errors: 1, Why: "outside-fence"},
		{IP: "127.0.0.68", Count: 2, Errors: 0, Why: "flagged"},
	})
	want := "127.0.0.66, 1 refused call; 127.0.0.67, 3 outside-the-fence calls; 127.0.0.68, 2 flagged-source calls"
	if got != want {
		t.Errorf("AttackerSummary = %q, want %q", got, want)
	}
}

func TestRefusedErrorNamesTheOverride(t *testing.T) {
	e := &RefusedError{KeyID: "LTAI5tEXAMPLE000000000001", Rule: "in-use", Detail: "used 5m ago"}
	if got, want := e.Error(), "rotate LTAI5tEXAMPLE000000000001: refused (in-use): used 5m ago"; got != want {
		t.Errorf("without override: %q, want %q", got, want)
	}
	e.Override = "pass --force to go on"
	if got := e.Error(); !strings.HasSuffix(got, "used 5m ago; pass --force to go on") {
		t.Errorf("with override: %q", got)
	}
}

func TestJournaledCreatesReadsOnlyCreateKeyRecords(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	recs := []journal.Record{
		{Time: t0, Kind: journal.KindIntent, Command: journalCommand, RunID: "r1", ActionID: "a1", Action: ActionCreateKey,
			Before: json.RawMessage(`{"keys":["LTAI5tOLD0000000000000001"]}`)},
		{Time: t0.Add(time.Second), Kind: journal.KindOutcome, Command: journalCommand, RunID: "r1", ActionID: "a1", Action: ActionCreateKey,
			Result: journal.ResultOK, After: json.RawMessage(`{"new_key_id":"LTAI5tNEW0000000000000001"}`)},
		// Another action's outcome naming a key is not a creation.
		{Time: t0.Add(2 * time.Second), Kind: journal.KindOutcome, Command: journalCommand, RunID: "r1", ActionID: "a2", Action: ActionInheritACL,
			Result: journal.ResultOK, After: json.RawMessage(`{"new_key_id":"LTAI5tBOGUS00000000000001"}`)},
		// Another command's create is not this rotation's.
		{Time: t0.Add(3 * time.Second), Kind: journal.KindOutcome, Command: "contain", RunID: "r2", ActionID: "a1", Action: ActionCreateKey,
			Result: journal.ResultOK, After: json.RawMessage(`{"new_key_id":"LTAI5tBOGUS00000000000002"}`)},
		// A failed create created nothing.
		{Time: t0.Add(4 * time.Second), Kind: journal.KindOutcome, Command: journalCommand, RunID: "r3", ActionID: "a1", Action: ActionCreateKey,
			Result: journal.ResultError, After: json.RawMessage(`{"new_key_id":"LTAI5tBOGUS00000000000003"}`)},
	}
	created, last := journaledCreates(recs)
	if len(created) != 1 {
		t.Fatalf("created = %v, want only LTAI5tNEW0000000000000001", created)
	}
	ck, ok := created["LTAI5tNEW0000000000000001"]
	if !ok || !ck.IntentAt.Equal(t0) || !ck.OutcomeAt.Equal(t0.Add(time.Second)) || len(ck.KeysBefore) != 1 {
		t.Errorf("created key = %+v", ck)
	}
	if last == nil || !last.IntentAt.Equal(t0) {
		t.Errorf("last intent = %+v", last)
	}
}

func TestCallersListNamedEventsOnly(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	cs := callers([]trailEvent{
		{EventName: "DescribeInstances", ServiceName: "Ecs", SourceIPAddress: "1.1.1.1", time: t0},
		{EventName: "", ServiceName: "", SourceIPAddress: "1.1.1.1", time: t0.Add(time.Minute)},
	})
	if len(cs) != 1 || strings.Join(cs[0].Events, ",") != "DescribeInstances" || strings.Join(cs[0].Services, ",") != "Ecs" || cs[0].Count != 2 {
		t.Errorf("callers = %+v, want one source with event DescribeInstances and service Ecs only", cs)
	}
	if !cs[0].First.Equal(t0) || !cs[0].Last.Equal(t0.Add(time.Minute)) {
		t.Errorf("first/last = %v/%v", cs[0].First, cs[0].Last)
	}
}

func TestDescribeCreated(t *testing.T) {
	if got := describeCreated(nil); got != "no key created" {
		t.Errorf("none: %q", got)
	}
	got := describeCreated(map[string]createdKey{"LTAI5tB": {}, "LTAI5tA": {}})
	if got != "only LTAI5tA, LTAI5tB" {
		t.Errorf("two: %q", got)
	}
}
