package incident

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/journal"
)

const key = "LTAI5tAPPPRODLEAKED00001"

var (
	t0       = time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	office   = netip.MustParseAddr("127.0.0.10")
	attacker = netip.MustParseAddr("127.0.0.66")
	stranger = netip.MustParseAddr("203.0.113.7")
	fenceDoc = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["127.0.0.10/31"]}]}`
)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func raw(v any) json.RawMessage { b, _ := json.Marshal(v); return b }

// containRun is what internal/respond journals for one contain run that
// fences the key and attaches the deny policy, with the audit's evidence.
func containRun(start time.Time, run string) []journal.Record {
	ev := map[string]any{"evidence": map[string]any{
		"onset": t0.Add(-38 * time.Hour).Format(time.RFC3339), "flagged_ips": []string{"127.0.0.66"},
		"suggested_trusted": []string{"127.0.0.10/31"}, "verdict": "suspected_leak"}}
	return []journal.Record{
		{Time: start, Kind: journal.KindNote, Command: "contain", RunID: run, Action: "plan", After: raw(ev)},
		{Time: start.Add(time.Second), Kind: journal.KindIntent, Command: "contain", RunID: run, ActionID: "acl:" + key, Action: "set-network-acl", Target: key,
			Before: raw(map[string]string{"key_id": key, "policy": ""}), After: raw(map[string]string{"key_id": key, "policy": fenceDoc})},
		{Time: start.Add(2 * time.Second), Kind: journal.KindOutcome, Command: "contain", RunID: run, ActionID: "acl:" + key, Action: "set-network-acl", Target: key,
			Before: raw(map[string]string{"key_id": key, "policy": ""}), After: raw(map[string]string{"key_id": key, "policy": fenceDoc}),
			Result: journal.ResultOK, RequestID: "RID-ACL-" + run},
		{Time: start.Add(3 * time.Second), Kind: journal.KindOutcome, Command: "contain", RunID: run, ActionID: "attach:app-prod", Action: "attach-deny-policy", Target: "app-prod",
			After: raw(map[string]any{"policy": "AkrespDenyHighRisk", "user": "app-prod", "attached": true}), Result: journal.ResultOK, RequestID: "RID-ATTACH-" + run},
	}
}

func undoRun(start time.Time) []journal.Record {
	return []journal.Record{
		{Time: start, Kind: journal.KindOutcome, Command: "contain-undo", RunID: "u", ActionID: "undo-acl", Action: "set-network-acl", Target: key,
			After: raw(map[string]string{"key_id": key, "policy": ""}), Result: journal.ResultOK, RequestID: "RID-UNDO-ACL"},
		{Time: start.Add(time.Second), Kind: journal.KindOutcome, Command: "contain-undo", RunID: "u", ActionID: "undo-attach", Action: "attach-deny-policy", Target: "app-prod",
			After: raw(map[string]any{"attached": false}), Result: journal.ResultOK, RequestID: "RID-UNDO-ATTACH"},
		{Time: start.Add(2 * time.Second), Kind: journal.KindNote, Command: "contain-undo", RunID: "u", Action: "undo-complete"},
	}
}

func TestContainedRecord(t *testing.T) {
	r := FromJournal(key, containRun(at(0), "c1"))
	if !r.ContainedAt.Equal(at(0).Add(2 * time.Second)) {
		t.Errorf("ContainedAt = %v, want the ACL outcome's time %v", r.ContainedAt, at(0).Add(2*time.Second))
	}
	if r.FenceACL != fenceDoc || !r.DenyAttached {
		t.Errorf("FenceACL %q DenyAttached %v", r.FenceACL, r.DenyAttached)
	}
	if want := t0.Add(-38 * time.Hour); !r.Onset.Equal(want) {
		t.Errorf("Onset = %v, want %v", r.Onset, want)
	}
	if !slices.Equal(r.Flagged, []netip.Addr{attacker}) {
		t.Errorf("Flagged = %v", r.Flagged)
	}
	if !slices.Equal(r.Trusted, []netip.Prefix{netip.MustParsePrefix("127.0.0.10/31")}) {
		t.Errorf("Trusted = %v", r.Trusted)
	}
	if !r.OwnRequestIDs["RID-ACL-c1"] || !r.OwnRequestIDs["RID-ATTACH-c1"] || len(r.OwnRequestIDs) != 2 {
		t.Errorf("OwnRequestIDs = %v", r.OwnRequestIDs)
	}
	if len(r.Actions) != 2 || r.Actions[0].Action != "set-network-acl" || r.Actions[1].RequestID != "RID-ATTACH-c1" {
		t.Errorf("Actions = %+v", r.Actions)
	}
	if r.Verdict != "suspected_leak" || !r.IsContained() {
		t.Errorf("Verdict %q contained %v", r.Verdict, r.IsContained())
	}
}

func TestClassify(t *testing.T) {
	contained := FromJournal(key, containRun(at(0), "c1"))
	after := at(10)
	before := at(-10)
	cases := []struct {
		name string
		rec  *Record
		call Call
		want Class
	}{
		{"akresp's own call", contained, Call{Time: after, SourceIP: office, RequestID: "RID-ACL-c1"}, Own},
		{"own call before containment too", contained, Call{Time: before, SourceIP: attacker, RequestID: "RID-ATTACH-c1"}, Own},
		{"office call allowed after containment", contained, Call{Time: after, SourceIP: office}, Responder},
		{"office call refused by the deny policy after containment", contained, Call{Time: after, SourceIP: office, ErrorCode: "NoPermission"}, Responder},
		{"office neighbour in the trusted /31", contained, Call{Time: after, SourceIP: netip.MustParseAddr("127.0.0.11"), ErrorCode: "Forbidden.AccessKeyPolicy"}, Responder},
		{"attacker refused by the ACL", contained, Call{Time: after, SourceIP: attacker, ErrorCode: "Forbidden.AccessKeyPolicy"}, Refused},
		{"attacker refused by RAM deny", contained, Call{Time: after, SourceIP: attacker, ErrorCode: "Forbidden.RAM"}, Refused},
		{"stranger refused by the ACL", contained, Call{Time: after, SourceIP: stranger, ErrorCode: "Forbidden.AccessKeyPolicy"}, Refused},
		{"OSS explicit deny", contained, Call{Time: after, SourceIP: stranger, ErrorCode: "AccessDenied"}, Refused},
		{"attacker call that passed after containment", contained, Call{Time: after, SourceIP: attacker}, Ordinary},
		{"attacker on a disabled key is not a fence refusal", contained, Call{Time: after, SourceIP: attacker, ErrorCode: "InvalidAccessKeyId.Inactive"}, Ordinary},
		{"office call before containment", contained, Call{Time: before, SourceIP: office}, Ordinary},
		{"attacker refused before containment", contained, Call{Time: before, SourceIP: attacker, ErrorCode: "NoPermission"}, Ordinary},
		{"unknown request id", contained, Call{Time: before, SourceIP: office, RequestID: "OTHER"}, Ordinary},
		{"nil record", nil, Call{Time: after, SourceIP: office, RequestID: "RID-ACL-c1"}, Ordinary},
		{"empty record", FromJournal(key, nil), Call{Time: after, SourceIP: office, ErrorCode: "NoPermission"}, Ordinary},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.rec.Classify(c.call); got != c.want {
				t.Errorf("Classify(%+v) = %v, want %v", c.call, got, c.want)
			}
		})
	}
}

func TestFlaggedInsideTrustedIsNotResponder(t *testing.T) {
	recs := containRun(at(0), "c1")
	recs = append(recs, EvidenceNote(Evidence{Flagged: []netip.Addr{netip.MustParseAddr("127.0.0.11")}}))
	recs[len(recs)-1].Time, recs[len(recs)-1].Command = at(1), "audit"
	r := FromJournal(key, recs)
	c := Call{Time: at(5), SourceIP: netip.MustParseAddr("127.0.0.11"), ErrorCode: "Forbidden.AccessKeyPolicy"}
	if got := r.Classify(c); got != Refused {
		t.Errorf("flagged source in the trusted range, refused: %v, want refused", got)
	}
	c.ErrorCode = ""
	if got := r.Classify(c); got != Ordinary {
		t.Errorf("flagged source in the trusted range, allowed: %v, want ordinary", got)
	}
}

func TestUndoCompleteResetsContainedAt(t *testing.T) {
	recs := append(containRun(at(0), "c1"), undoRun(at(30))...)
	r := FromJournal(key, recs)
	if !r.ContainedAt.IsZero() || r.IsContained() {
		t.Fatalf("ContainedAt = %v after a complete undo, want zero", r.ContainedAt)
	}
	if r.FenceACL != "" || r.DenyAttached {
		t.Errorf("after undo: FenceACL %q DenyAttached %v", r.FenceACL, r.DenyAttached)
	}
	if len(r.Contained) != 1 || !r.Contained[0].End.Equal(at(30).Add(time.Second)) {
		t.Errorf("Contained = %+v", r.Contained)
	}
	// After the undo an office call is ordinary again; during the period
	// it was the responder's.
	if got := r.Classify(Call{Time: at(40), SourceIP: office}); got != Ordinary {
		t.Errorf("office call after the undo: %v", got)
	}
	if got := r.Classify(Call{Time: at(10), SourceIP: office}); got != Responder {
		t.Errorf("office call during the undone containment: %v", got)
	}
	// A second containment starts a new period.
	recs = append(recs, containRun(at(60), "c2")...)
	r = FromJournal(key, recs)
	if want := at(60).Add(2 * time.Second); !r.ContainedAt.Equal(want) {
		t.Errorf("ContainedAt after re-containment = %v, want %v", r.ContainedAt, want)
	}
	if got := r.Classify(Call{Time: at(45), SourceIP: attacker, ErrorCode: "NoPermission"}); got != Ordinary {
		t.Errorf("refused call between the periods: %v", got)
	}
}

func TestUndoOfTheLastRunKeepsTheEarlierFence(t *testing.T) {
	wider := `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["127.0.0.10/31","198.51.100.0/24"]}]}`
	recs := containRun(at(0), "c1")
	recs = append(recs,
		journal.Record{Time: at(5), Kind: journal.KindOutcome, Command: "contain", RunID: "c2", ActionID: "acl2", Action: "set-network-acl", Target: key,
			After: raw(map[string]string{"key_id": key, "policy": wider}), Result: journal.ResultOK, RequestID: "R2"},
		journal.Record{Time: at(6), Kind: journal.KindOutcome, Command: "contain-undo", RunID: "u", ActionID: "undo-acl2", Action: "set-network-acl", Target: key,
			After: raw(map[string]string{"key_id": key, "policy": fenceDoc}), Result: journal.ResultOK, RequestID: "R3"})
	r := FromJournal(key, recs)
	if r.FenceACL != fenceDoc || !r.IsContained() || !r.ContainedAt.Equal(at(0).Add(2*time.Second)) {
		t.Errorf("FenceACL %q contained %v at %v", r.FenceACL, r.IsContained(), r.ContainedAt)
	}
}

func TestUnknownOutcomeAndErrorsDoNotContain(t *testing.T) {
	recs := []journal.Record{
		{Time: at(0), Kind: journal.KindOutcome, Command: "contain", Action: "set-network-acl", Target: key,
			After: raw(map[string]string{"key_id": key, "policy": fenceDoc}), Result: journal.ResultError, ErrorCode: "NoPermission", RequestID: "E1"},
		{Time: at(1), Kind: journal.KindOutcome, Command: "contain", Action: "attach-deny-policy", Target: "app-prod",
			After: raw(map[string]any{"attached": true}), Result: journal.ResultUnknown},
		// Another key's ACL (rotate's new key) is not this key's fence.
		{Time: at(2), Kind: journal.KindOutcome, Command: "contain", Action: "set-network-acl", Target: "LTAI5tNEWKEY000000000000",
			After: raw(map[string]string{"key_id": "LTAI5tNEWKEY000000000000", "policy": fenceDoc}), Result: journal.ResultOK},
	}
	r := FromJournal(key, recs)
	if r.IsContained() || r.FenceACL != "" || r.DenyAttached {
		t.Errorf("contained %v FenceACL %q DenyAttached %v", r.IsContained(), r.FenceACL, r.DenyAttached)
	}
	if len(r.Warnings) != 1 {
		t.Errorf("warnings = %q, want one about the unknown outcome", r.Warnings)
	}
	if !r.OwnRequestIDs["E1"] {
		t.Error("a refused call of akresp is still its own request")
	}
}

func TestAlreadyInPlaceCounts(t *testing.T) {
	recs := []journal.Record{{Time: at(0), Kind: journal.KindNote, Command: "contain", ActionID: "acl", Action: "set-network-acl", Target: key,
		After: raw(map[string]string{"key_id": key, "policy": fenceDoc}), Result: journal.ResultSkipped, Message: "already in the target state"},
		{Time: at(1), Kind: journal.KindNote, Command: "contain", ActionID: "attach", Action: "attach-deny-policy", Target: "u",
			After: raw(map[string]any{"attached": true}), Result: journal.ResultSkipped, Error: "drift", Message: "refused: drift"}}
	r := FromJournal(key, recs)
	if !r.ContainedAt.Equal(at(0)) || r.FenceACL != fenceDoc || r.DenyAttached {
		t.Errorf("ContainedAt %v FenceACL %q DenyAttached %v", r.ContainedAt, r.FenceACL, r.DenyAttached)
	}
}

func TestDenyPublicIsNotTrusted(t *testing.T) {
	deny := `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["127.0.0.1"]}]}`
	r := FromJournal(key, []journal.Record{{Time: at(0), Kind: journal.KindOutcome, Command: "contain", Action: "set-network-acl", Target: key,
		After: raw(map[string]string{"key_id": key, "policy": deny}), Result: journal.ResultOK}})
	if !r.IsContained() || len(r.Trusted) != 0 {
		t.Errorf("contained %v trusted %v", r.IsContained(), r.Trusted)
	}
	if got := r.Classify(Call{Time: at(1), SourceIP: netip.MustParseAddr("127.0.0.1"), ErrorCode: "Forbidden.AccessKeyPolicy"}); got != Refused {
		t.Errorf("deny-public: %v", got)
	}
}

func TestDisableEnableDelete(t *testing.T) {
	ks := func(st string) json.RawMessage { return raw(map[string]string{"key_id": key, "status": st}) }
	recs := []journal.Record{
		{Time: at(0), Kind: journal.KindOutcome, Command: "disable", Action: "set-key-status", Target: key, After: ks("Inactive"), Result: journal.ResultOK},
	}
	if r := FromJournal(key, recs); !r.DisabledAt.Equal(at(0)) {
		t.Errorf("DisabledAt = %v", r.DisabledAt)
	}
	recs = append(recs, journal.Record{Time: at(1), Kind: journal.KindOutcome, Command: "enable", Action: "set-key-status", Target: key, After: ks("Active"), Result: journal.ResultOK})
	if r := FromJournal(key, recs); !r.DisabledAt.IsZero() {
		t.Errorf("DisabledAt after enable = %v", r.DisabledAt)
	}
	recs = append(recs,
		journal.Record{Time: at(2), Kind: journal.KindOutcome, Command: "rotate", Action: "disable-old-key", Target: key, Result: journal.ResultOK},
		journal.Record{Time: at(3), Kind: journal.KindOutcome, Command: "rotate", Action: "delete-old-key", Target: key, Result: journal.ResultOK})
	r := FromJournal(key, recs)
	if !r.DisabledAt.Equal(at(2)) || !r.DeletedAt.Equal(at(3)) {
		t.Errorf("DisabledAt %v DeletedAt %v", r.DisabledAt, r.DeletedAt)
	}
	// A failed delete is not a deletion.
	r = FromJournal(key, []journal.Record{{Time: at(0), Kind: journal.KindOutcome, Command: "delete", Action: "delete-key", Target: key, Result: journal.ResultError}})
	if !r.DeletedAt.IsZero() {
		t.Errorf("DeletedAt after a failed delete = %v", r.DeletedAt)
	}
}

func TestLegitimate(t *testing.T) {
	r := FromJournal(key, containRun(at(0), "c1"))
	cases := []struct {
		call Call
		want bool
	}{
		{Call{Time: at(5), SourceIP: office}, true},
		{Call{Time: at(5), SourceIP: office, ErrorCode: "Forbidden.AccessKeyPolicy"}, true}, // the fence broke the application
		{Call{Time: at(5), SourceIP: attacker, ErrorCode: "Forbidden.AccessKeyPolicy"}, false},
		{Call{Time: at(5), SourceIP: stranger, ErrorCode: "Forbidden.AccessKeyPolicy"}, false},
		{Call{Time: at(5), SourceIP: stranger}, true},
		{Call{Time: at(-5), SourceIP: attacker}, false}, // flagged, before containment too
		{Call{Time: at(5), SourceIP: office, RequestID: "RID-ACL-c1"}, false},
	}
	for _, c := range cases {
		if got := r.Legitimate(c.call); got != c.want {
			t.Errorf("Legitimate(%+v) = %v, want %v", c.call, got, c.want)
		}
	}
}

func TestIsFenceRefusal(t *testing.T) {
	for code, want := range map[string]bool{
		"Forbidden.AccessKeyPolicy": true, "Forbidden.SourceIp": true, "NoPermission": true, "NoPermission.Ecs": true,
		"Forbidden.RAM": true, "Forbidden": true, "AccessDenied": true,
		"": false, "Forbidden.AccessKeyDisabled": false, "InvalidAccessKeyId.Inactive": false, "InvalidAccessKeyId.NotFound": false,
		"Throttling.User": false, "InvalidParameter": false, "EntityNotExist.User": false, "SignatureDoesNotMatch": false,
	} {
		if got := IsFenceRefusal(code); got != want {
			t.Errorf("IsFenceRefusal(%q) = %v, want %v", code, got, want)
		}
	}
}

func TestLoad(t *testing.T) {
	base := t.TempDir()
	// No state at all: an empty record.
	r, err := Load(base, key)
	if err != nil || r.IsContained() || r.Rotation != nil || len(r.Actions) != 0 {
		t.Fatalf("empty state: %+v, %v", r, err)
	}
	if r, err := Load("", key); err != nil || r.KeyID != key {
		t.Fatalf("no state dir: %+v, %v", r, err)
	}
	clock := func() func() time.Time { n := 0; return func() time.Time { n++; return at(n) } }()
	j, err := journal.Open(base, key, "contain", clock)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range containRun(time.Time{}, "") {
		rec.Time, rec.RunID = time.Time{}, ""
		if err := j.Append(rec); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	if err := AppendEvidence(base, key, "audit", Evidence{Onset: t0.Add(-40 * time.Hour), Flagged: []netip.Addr{netip.MustParseAddr("198.51.100.9")},
		SuggestedTrusted: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}, Verdict: "compromised"}, clock); err != nil {
		t.Fatal(err)
	}
	rot := `{"schema_version":"akresp.rotation-state/v1","key_id":"` + key + `","step":"deleted","new_key_id":"LTAI5tNEWKEY000000000000",
		"started_at":"2026-03-01T04:00:00Z","disabled_at":"2026-03-01T05:00:00Z","deleted_at":"2026-03-01T06:00:00Z","history":[]}`
	if err := os.WriteFile(filepath.Join(base, key, "rotation.json"), []byte(rot), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err = Load(base, key)
	if err != nil {
		t.Fatal(err)
	}
	if !r.IsContained() || !r.DenyAttached || r.FenceACL != fenceDoc {
		t.Errorf("contained %v deny %v acl %q", r.IsContained(), r.DenyAttached, r.FenceACL)
	}
	if !r.Onset.Equal(t0.Add(-40*time.Hour)) || r.Verdict != "compromised" {
		t.Errorf("Onset %v Verdict %q: the earliest onset and the last verdict win", r.Onset, r.Verdict)
	}
	if !slices.Equal(r.Flagged, []netip.Addr{attacker, netip.MustParseAddr("198.51.100.9")}) {
		t.Errorf("Flagged = %v", r.Flagged)
	}
	if !slices.Contains(r.Trusted, netip.MustParsePrefix("10.1.0.0/16")) || !slices.Contains(r.Trusted, netip.MustParsePrefix("127.0.0.10/31")) {
		t.Errorf("Trusted = %v", r.Trusted)
	}
	if r.Rotation == nil || !r.Rotation.Finished || r.Rotation.NewKeyID != "LTAI5tNEWKEY000000000000" || r.Rotation.InProgress() {
		t.Errorf("Rotation = %+v", r.Rotation)
	}
	if want := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC); !r.DeletedAt.Equal(want) {
		t.Errorf("DeletedAt from the rotation state = %v, want %v", r.DeletedAt, want)
	}
	// A rotation file naming the old key as the new one is not trusted.
	bad := `{"key_id":"` + key + `","step":"created","new_key_id":"` + key + `"}`
	os.WriteFile(filepath.Join(base, key, "rotation.json"), []byte(bad), 0o600)
	r, err = Load(base, key)
	if err != nil || r.Rotation != nil || len(r.Warnings) == 0 {
		t.Errorf("self-referencing rotation: %+v %v", r.Rotation, err)
	}
	// A corrupt journal line is an error naming the file.
	os.WriteFile(filepath.Join(base, key, "20990101T000000.000000000Z-x.jsonl"), []byte("{nope\n{}\n"), 0o600)
	if _, err := Load(base, key); err == nil {
		t.Error("corrupt journal: no error")
	}
}

func TestEvidenceRoundTripAndBadValues(t *testing.T) {
	rec := EvidenceNote(Evidence{Onset: t0, Flagged: []netip.Addr{attacker}, Verdict: "suspected_leak"})
	rec.Time, rec.Command = at(0), "audit"
	r := FromJournal(key, []journal.Record{rec})
	if !r.Onset.Equal(t0) || !r.IsFlagged(attacker) || r.IsFlagged(office) {
		t.Errorf("round trip: %+v", r)
	}
	badAfter := raw(map[string]any{"evidence": map[string]any{"onset": "yesterday", "flagged_ips": []string{"nope", "127.0.0.66"},
		"suggested_trusted": []string{"0.0.0.0/0", "bad"}}})
	r = FromJournal(key, []journal.Record{{Time: at(0), Kind: journal.KindNote, Command: "audit", Action: NoteAction, After: badAfter}})
	if !r.Onset.IsZero() || len(r.Trusted) != 0 || !r.IsFlagged(attacker) || len(r.Warnings) != 4 {
		t.Errorf("bad values: onset %v trusted %v warnings %q", r.Onset, r.Trusted, r.Warnings)
	}
}

func TestSameSecondAsTheFenceIsUnderIt(t *testing.T) {
	recs := containRun(at(0).Add(700*time.Millisecond), "c1") // ACL outcome at 03:00:02.7
	r := FromJournal(key, recs)
	c := Call{Time: at(0).Add(2 * time.Second), SourceIP: attacker, ErrorCode: "Forbidden.AccessKeyPolicy"} // logged as 03:00:02
	if got := r.Classify(c); got != Refused {
		t.Errorf("refused call in the fence's second: %v", got)
	}
	c.Time = at(0).Add(time.Second)
	if got := r.Classify(c); got != Ordinary {
		t.Errorf("refused call a second before the fence: %v", got)
	}
}

// A key the leaked key created from the attacker's sources (listed in the
// leaked key's journaled evidence, created_keys) takes the sources the
// leaked key's record flags: its own history starts with the attacker's
// calls. A key no evidence lists inherits nothing; a created key that is
// not an AccessKey ID is a warning of the creating key's record, never a
// link.
func TestCreatedKeyInheritsTheAttacker(t *testing.T) {
	const backdoor = "LTAI5tSVCBACKUP7Hq200000"
	const other = "LTAI5tREPORTING000000000"
	base := t.TempDir()
	clock := func() time.Time { return t0 }
	if err := AppendEvidence(base, key, "audit", Evidence{Onset: t0, Flagged: []netip.Addr{attacker}, Verdict: "suspected_leak",
		CreatedKeys: []string{backdoor}}, clock); err != nil {
		t.Fatal(err)
	}
	r, err := Load(base, backdoor)
	if err != nil {
		t.Fatal(err)
	}
	if r.CreatedBy != key || !slices.Equal(r.Inherited, []netip.Addr{attacker}) || !r.IsFlagged(attacker) {
		t.Fatalf("created by %q, inherited %v, flagged %v: want %s's attacker", r.CreatedBy, r.Inherited, r.Flagged, key)
	}
	if r.Legitimate(Call{Time: t0.Add(time.Hour), SourceIP: attacker}) {
		t.Error("the attacker's call with the key it created counts as legitimate use")
	}
	if r, _ := Load(base, other); r.CreatedBy != "" || len(r.Flagged) != 0 {
		t.Errorf("a key no evidence lists: created by %q, flagged %v", r.CreatedBy, r.Flagged)
	}
	// The leaked key's own record keeps its evidence's list.
	if r, _ := Load(base, key); r.CreatedBy != "" || len(r.Evidence) != 1 || !slices.Equal(r.Evidence[0].CreatedKeys, []string{backdoor}) {
		t.Errorf("leaked key: created by %q, evidence %+v", r.CreatedBy, r.Evidence)
	}
	bad := raw(map[string]any{"evidence": map[string]any{"flagged_ips": []string{"127.0.0.66"}, "created_keys": []string{"../../etc", backdoor}}})
	r = FromJournal(key, []journal.Record{{Time: at(0), Kind: journal.KindNote, Command: "audit", Action: NoteAction, After: bad}})
	if len(r.Warnings) != 1 || !slices.Equal(r.Evidence[0].CreatedKeys, []string{backdoor}) {
		t.Errorf("a bad created key: warnings %q, created %v", r.Warnings, r.Evidence[0].CreatedKeys)
	}
}
