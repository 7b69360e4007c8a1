package audit

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// An audit never suggests a fence that admits every address: with
// --trusted-cidr 0.0.0.0/0 (or its two halves) the trusted list is dropped
// from the suggestion and the verdict says why.
func TestVerdictNeverSuggestsAnOpenFence(t *testing.T) {
	for _, trusted := range [][]string{{"0.0.0.0/0"}, {"0.0.0.0/1", "128.0.0.0/1"}, {"::/0"}} {
		var ps []netip.Prefix
		for _, s := range trusted {
			ps = append(ps, netip.MustParsePrefix(s))
		}
		now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		e := NewEngine(Options{KeyID: "LTAI5tAPPPRODLEAKED00001", TrustedCIDRs: ps, Since: now.Add(-48 * time.Hour), Until: now})
		r := e.Result()
		if len(r.Verdict.SuggestedTrustedCIDRs) != 0 {
			t.Errorf("trusted %v: suggested %v, want nothing", trusted, r.Verdict.SuggestedTrustedCIDRs)
		}
		for _, s := range r.Verdict.NextSteps {
			if strings.Contains(s.Command, "--allow-ip") {
				t.Errorf("trusted %v: next step %q suggests the open fence", trusted, s.Command)
			}
		}
		if !strings.Contains(strings.Join(r.Verdict.Reasons, "\n"), "not suggested as a network ACL") {
			t.Errorf("trusted %v: the verdict does not say why the list is not suggested: %v", trusted, r.Verdict.Reasons)
		}
	}
}
