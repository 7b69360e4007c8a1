package rotate

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/policy"
)

// More behaviours the rotate mutation run (docs/mutation.md) found
// unpinned: the fence judge() takes from the incident, the reason kept per
// source, the child's output and environment of --exec.

const judgeKey = "LTAI5tJUDGEJUDGE00000001"

// journalFence journals a contain run that set fenceDoc on judgeKey.
func journalFence(t *testing.T, base string) {
	t.Helper()
	n := 0
	clock := func() time.Time { n++; return time.Date(2026, 3, 1, 4, 0, n, 0, time.UTC) }
	j, err := journal.Open(base, judgeKey, "contain", clock)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	st := func(p string) json.RawMessage {
		b, _ := json.Marshal(map[string]string{"key_id": judgeKey, "policy": p})
		return b
	}
	for _, r := range []journal.Record{
		{Kind: journal.KindIntent, Command: "contain", ActionID: "acl:" + judgeKey, Action: "set-network-acl", Target: judgeKey, Before: st(""), After: st(fenceDoc)},
		{Kind: journal.KindOutcome, Command: "contain", ActionID: "acl:" + judgeKey, Action: "set-network-acl", Target: judgeKey, Before: st(""), After: st(fenceDoc),
			Result: journal.ResultOK, RequestID: "RID-ACL"},
	} {
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
}

// Without a fence saved with the rotation, the judge takes the fence the
// incident record says contain set; a fence saved with the rotation wins.
func TestJudgeTakesTheIncidentsFence(t *testing.T) {
	base := t.TempDir()
	journalFence(t, base)
	office, elsewhere := netip.MustParseAddr("127.0.0.10"), netip.MustParseAddr("203.0.113.9")

	m := &Machine{o: Options{KeyID: judgeKey, StateDir: base}, st: &State{KeyID: judgeKey}}
	j, warns := m.judge()
	if len(warns) != 0 {
		t.Fatalf("warnings: %v", warns)
	}
	if j.fence == nil || !j.fence.Allows(office) || j.fence.Allows(elsewhere) {
		t.Fatalf("judge fence = %+v, want the journaled fence (allows %s, not %s)", j.fence, office, elsewhere)
	}

	m.st.ACL = &ACLInheritance{Policy: publicOtherACL}
	if j, _ = m.judge(); j.fence == nil || !j.fence.Allows(netip.MustParseAddr("10.0.0.2")) || j.fence.Allows(office) {
		t.Errorf("judge fence = %+v, want the rotation's own fence (10.0.0.2)", j.fence)
	}

	// No state directory, no incident: no fence to judge by.
	m = &Machine{o: Options{KeyID: judgeKey}, st: &State{KeyID: judgeKey}}
	if j, _ = m.judge(); j.fence != nil {
		t.Errorf("judge fence = %+v without any fence", j.fence)
	}
}

// A source refused by the fence and later failing on the disabled key
// keeps its first reason; split and failures agree.
func TestJudgeKeepsTheFirstReasonPerSource(t *testing.T) {
	fence, err := policy.ReadNetworkACL(fenceDoc)
	if err != nil {
		t.Fatal(err)
	}
	j := judge{rec: &incident.Record{KeyID: judgeKey}, fence: &fence}
	t0 := time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC)
	evs := []trailEvent{
		{EventName: "DescribeInstances", SourceIPAddress: "198.51.100.7", ErrorCode: "Forbidden.AccessKeyPolicy", time: t0},
		{EventName: "DescribeInstances", SourceIPAddress: "198.51.100.7", ErrorCode: "InvalidAccessKeyId.Inactive", time: t0.Add(time.Minute)},
	}
	_, others, _, _ := j.split(evs)
	if len(others) != 1 || others[0].Why != whyRefused {
		t.Errorf("split others = %+v, want one source refused (its first reason)", others)
	}
	_, others = j.failures(evs)
	if len(others) != 1 || others[0].Why != whyRefused {
		t.Errorf("failures others = %+v, want one source refused (its first reason)", others)
	}
}

// The child of --exec gets the hand-over's output stream, and an empty
// environment still yields the documented variables.
func TestExecHandoverOutputAndEmptyEnv(t *testing.T) {
	var out bytes.Buffer
	h := ExecHandover{Command: "cat >/dev/null; echo child-says-hello; echo child-warns >&2", Output: &out}
	if err := h.Deliver(context.Background(), testCred); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "child-says-hello") || !strings.Contains(out.String(), "child-warns") {
		t.Errorf("the child's output did not reach Output: %q", out.String())
	}
	env := ChildEnv(nil, testCred)
	if !slices.Contains(env, EnvNewKeyID+"="+testCred.AccessKeyID) {
		t.Errorf("ChildEnv(nil) = %v, want %s", env, EnvNewKeyID)
	}
}

// New fills the defaults it documents and keeps what the caller set.
func TestNewDefaults(t *testing.T) {
	fc := newFakeCloud(time.Now)
	m, err := New(Options{KeyID: judgeKey, StateDir: t.TempDir(), Cloud: fc})
	if err != nil {
		t.Fatal(err)
	}
	if m.o.PollInterval != DefaultPollInterval || m.o.Now == nil || m.o.Sleep == nil || m.o.Logger == nil {
		t.Errorf("defaults not filled: poll %s, now %v, sleep %v, logger %v", m.o.PollInterval, m.o.Now != nil, m.o.Sleep != nil, m.o.Logger != nil)
	}
	m, err = New(Options{KeyID: judgeKey, StateDir: t.TempDir(), Cloud: fc, PollInterval: 3 * time.Second})
	if err != nil || m.o.PollInterval != 3*time.Second {
		t.Errorf("--poll-interval 3s became %s (%v)", m.o.PollInterval, err)
	}
}
