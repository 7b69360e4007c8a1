package respond

import (
	"net/netip"
	"testing"
	"time"
)

// The plan note journals the audit's evidence whenever the audit gave any:
// a verdict, a caller, a suggested trusted range or an onset each on its
// own is evidence; none of them (contain ran without the audit) is none.
func TestPlanEvidenceWhenAnyEvidence(t *testing.T) {
	onset := time.Date(2026, 3, 1, 2, 3, 4, 0, time.UTC)
	for _, c := range []struct {
		name string
		ev   *Evidence
		want bool
	}{
		{"no audit", nil, false},
		{"empty audit", &Evidence{OwnerType: "ram-user", InUse: true}, false},
		{"verdict only", &Evidence{Verdict: "idle"}, true},
		{"callers only", &Evidence{Callers: []Caller{{IP: netip.MustParseAddr("203.0.113.9"), Flagged: true}}}, true},
		{"suggested trusted only", &Evidence{SuggestedTrusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, true},
		{"onset only", &Evidence{Onset: onset}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			pe := planEvidence(c.ev)
			if (pe != nil) != c.want {
				t.Fatalf("planEvidence = %+v, want evidence %v", pe, c.want)
			}
			if pe == nil {
				return
			}
			if c.ev.Onset.IsZero() != (pe.Onset == "") {
				t.Errorf("onset %q for %v", pe.Onset, c.ev.Onset)
			}
			if !c.ev.Onset.IsZero() && pe.Onset != "2026-03-01T02:03:04Z" {
				t.Errorf("onset %q, want 2026-03-01T02:03:04Z", pe.Onset)
			}
			if len(c.ev.Callers) == 1 && (len(pe.FlaggedIPs) != 1 || pe.FlaggedIPs[0] != "203.0.113.9") {
				t.Errorf("flagged %v, want [203.0.113.9]", pe.FlaggedIPs)
			}
			if len(c.ev.SuggestedTrusted) == 1 && (len(pe.SuggestedTrusted) != 1 || pe.SuggestedTrusted[0] != "10.0.0.0/8") {
				t.Errorf("suggested %v, want [10.0.0.0/8]", pe.SuggestedTrusted)
			}
		})
	}
}

// A partial failure names the command, the key, every failed action
// (separated by "; "), the retry command and the journal, in that order;
// the retry and the journal only when known.
func TestPartialErrorText(t *testing.T) {
	e := &PartialError{
		Command: "contain", KeyID: "LTAI5tExampleKey0001",
		Failed:  []string{"attach-deny RAMUser:alice: Throttling", "acl LTAI5tExampleKey0001: timeout"},
		Retry:   "akresp contain LTAI5tExampleKey0001 --yes",
		Journal: "/state/LTAI5tExampleKey0001.journal",
	}
	want := "contain LTAI5tExampleKey0001: 2 action(s) failed: attach-deny RAMUser:alice: Throttling; acl LTAI5tExampleKey0001: timeout; retry with: akresp contain LTAI5tExampleKey0001 --yes (journal /state/LTAI5tExampleKey0001.journal)"
	if got := e.Error(); got != want {
		t.Errorf("error\n got %q\nwant %q", got, want)
	}
	if got := e.ExitCode(); got != 1 {
		t.Errorf("exit code %d, want 1", got)
	}
	bare := &PartialError{Command: "disable", KeyID: "LTAI5tExampleKey0001", Failed: []string{"disable LTAI5tExampleKey0001: Forbidden"}}
	if got, want := bare.Error(), "disable LTAI5tExampleKey0001: 1 action(s) failed: disable LTAI5tExampleKey0001: Forbidden"; got != want {
		t.Errorf("error\n got %q\nwant %q", got, want)
	}
}
