package audit

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/journal"
)

func TestIncidentFilterKeepsResponderOutOfTheEvidence(t *testing.T) {
	const key = "LTAI5tAPPPRODLEAKED00001"
	t0 := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	doc := `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["127.0.0.10/32"]}]}`
	after, _ := json.Marshal(map[string]string{"key_id": key, "policy": doc})
	ev, _ := json.Marshal(map[string]any{"evidence": map[string]any{"flagged_ips": []string{"127.0.0.66"}}})
	rec := incident.FromJournal(key, []journal.Record{
		{Time: t0, Kind: journal.KindNote, Command: "contain", Action: "plan", After: ev},
		// Sub-second journal time: an event in the same second is after it.
		{Time: t0.Add(500 * time.Millisecond), Kind: journal.KindOutcome, Command: "contain", Action: "set-network-acl", Target: key, After: after, Result: journal.ResultOK, RequestID: "OWN-1"},
	})
	f := newIncidentFilter(rec, key)
	events := []Event{
		{AccessKeyID: key, Time: t0, SourceIP: "127.0.0.10", Name: "DescribeInstances"},                                      // same second: responder
		{AccessKeyID: key, Time: t0.Add(time.Minute), SourceIP: "127.0.0.10", Name: "CreateUser", ErrorCode: "NoPermission"}, // responder, refused
		{AccessKeyID: key, Time: t0.Add(time.Minute), SourceIP: "127.0.0.66", ErrorCode: "Forbidden.AccessKeyPolicy"},        // attacker refused
		{AccessKeyID: key, Time: t0.Add(2 * time.Minute), SourceIP: "127.0.0.66", ErrorCode: "Forbidden.AccessKeyPolicy"},
		{AccessKeyID: key, Time: t0.Add(time.Minute), SourceIP: "10.9.9.9", RequestID: "OWN-1"},      // akresp's own
		{AccessKeyID: key, Time: t0.Add(-time.Hour), SourceIP: "127.0.0.10"},                         // before: evidence
		{AccessKeyID: key, Time: t0.Add(time.Minute), SourceIP: "127.0.0.66"},                        // allowed attacker call: evidence
		{AccessKeyID: "LTAI5tOTHERKEY0000000000", Time: t0.Add(time.Minute), SourceIP: "127.0.0.10"}, // another key: the engine's
	}
	var kept int
	for i := range events {
		if f.keep(&events[i]) {
			kept++
		}
	}
	if kept != 3 {
		t.Errorf("kept %d events, want 3", kept)
	}
	s := f.summary()
	if s == nil || s.OwnCalls != 1 {
		t.Fatalf("summary %+v", s)
	}
	if len(s.Responder) != 1 || s.Responder[0].IP != "127.0.0.10" || s.Responder[0].Calls != 2 || s.Responder[0].Refused != 1 {
		t.Errorf("responder %+v", s.Responder)
	}
	if len(s.AttackerTrying) != 1 || s.AttackerTrying[0].Refused != 2 || !s.AttackerTrying[0].Flagged ||
		!s.AttackerTrying[0].First.Equal(t0.Add(time.Minute)) || !s.AttackerTrying[0].Last.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("attacker still trying %+v", s.AttackerTrying)
	}
	o := withIncidentTrust(Options{}, rec)
	if len(o.FenceCIDRs) != 1 || o.FenceCIDRs[0] != netip.MustParsePrefix("127.0.0.10/32") || len(o.TrustedCIDRs) != 0 {
		t.Errorf("fence CIDRs %v trusted %v", o.FenceCIDRs, o.TrustedCIDRs)
	}
	if newIncidentFilter(nil, key).summary() != nil || !(*incidentFilter)(nil).keep(&events[0]) {
		t.Error("no record: nothing is classified")
	}
}

func TestCheckSteps(t *testing.T) {
	const k = "LTAI5tAPPPRODLEAKED00001"
	contain := NextStep{Command: "akresp contain " + k + " --allow-ip 127.0.0.10/32"}
	disable := NextStep{Command: "akresp disable " + k}
	rotate := NextStep{Command: "akresp rotate " + k}
	report := NextStep{Command: "akresp report " + k}
	created := NextStep{Command: "akresp disable LTAI5tSVCBACKUP7Hq200000"}
	all := []NextStep{contain, created, report, rotate, disable}
	cmds := func(ss []NextStep) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s.Command)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		st   KeyState
		want []string
	}{
		{"fresh", KeyState{KeyID: k, Status: "Active"}, cmds(all)},
		{"contained", KeyState{KeyID: k, Status: "Active", ContainedAt: time.Unix(1e9, 0)},
			[]string{"akresp contain " + k + " --status", created.Command, report.Command, rotate.Command, disable.Command}},
		// A disabled key's fence comes after what the attacker can still
		// use, before the report.
		{"inactive", KeyState{KeyID: k, Status: "Inactive"}, []string{created.Command, contain.Command, report.Command}},
		{"rotating", KeyState{KeyID: k, Status: "Active", Rotation: "handed_over", RotationActive: true},
			[]string{contain.Command, created.Command, report.Command, rotate.Command}},
		{"rotating, old key disabled", KeyState{KeyID: k, Status: "Inactive", Rotation: "disabled", RotationActive: true},
			[]string{created.Command, contain.Command, report.Command, rotate.Command}},
		{"rotating, old key verified", KeyState{KeyID: k, Status: "Inactive", Rotation: "verified", RotationActive: true},
			[]string{created.Command, contain.Command, report.Command, rotate.Command + " --delete"}},
		{"deleted", KeyState{KeyID: k, Status: "Deleted", Retired: map[string]bool{"LTAI5tSVCBACKUP7Hq200000": true}}, []string{report.Command}},
		{"rotation finished", KeyState{KeyID: k, Status: "Active", RotationDone: true}, []string{created.Command, report.Command}},
	} {
		steps := CheckSteps(all, tc.st)
		for _, s := range steps {
			// During a rotation its step says so (the key has its new key).
			if strings.HasPrefix(s.Command, rotate.Command) && tc.st.RotationActive && !strings.Contains(s.Why, "rotation of the key is in progress") {
				t.Errorf("%s: rotate step says %q", tc.name, s.Why)
			}
			// A disabled key's fence says why it still matters.
			if s.Command == contain.Command && tc.st.Status == "Inactive" && !strings.Contains(s.Why, "disabled (Inactive)") {
				t.Errorf("%s: contain step says %q", tc.name, s.Why)
			}
		}
		got := cmds(steps)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
				break
			}
		}
	}
}

func TestSweepRotationRecs(t *testing.T) {
	dir := t.TempDir()
	const k = "LTAI5tAPPPRODLEAKED00001"
	if err := os.MkdirAll(filepath.Join(dir, k), 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(step string) {
		b := `{"schema_version":"akresp.rotation-state/v1","key_id":"` + k + `","step":"` + step + `","new_key_id":"LTAI5tNEWKEY000000000000"}`
		if err := os.WriteFile(filepath.Join(dir, k, "rotation.json"), []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ks := &KeyStatus{AccessKeyID: k}
	recs := []string{"akresp disable " + k + " (unused for 100 days)", "other advice"}
	load := func() *incident.Record {
		t.Helper()
		rec, err := incident.LoadOwn(dir, k)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	if got := rotationRecs(recs, ks, nil); len(got) != 2 {
		t.Errorf("no state dir: %q", got)
	}
	write("handed_over")
	got := rotationRecs(recs, ks, load())
	if len(got) != 2 || got[0] != "other advice" || !strings.HasPrefix(got[1], "akresp rotate "+k+" (") {
		t.Errorf("rotation in progress: %q", got)
	}
	write("verified")
	if got := rotationRecs(recs, ks, load()); !strings.HasPrefix(got[len(got)-1], "akresp rotate "+k+" --delete") {
		t.Errorf("rotation verified: %q", got)
	}
	write("rolled_back")
	if got := rotationRecs(recs, ks, load()); len(got) != 2 || got[0] != recs[0] {
		t.Errorf("rolled back: %q", got)
	}
}
