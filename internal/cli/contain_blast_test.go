package cli

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/akresp/akresp/internal/respond"
)

// The plan's replay line counts the legitimate callers of the last 24h
// among those cut off, and says so plainly when there were none (not
// "0 of 0") or none is cut off (not "0 of 2", read as none keeping access).
func TestWritePlanBlastLine(t *testing.T) {
	attacker := respond.CallerImpact{Caller: respond.Caller{IP: netip.MustParseAddr("203.0.113.9"), Count: 3, Flagged: true}, CutOff: true}
	office := respond.CallerImpact{Caller: respond.Caller{IP: netip.MustParseAddr("198.51.100.7"), Count: 40}}
	for _, tc := range []struct {
		blast respond.BlastRadius
		want  string
	}{
		{respond.BlastRadius{Callers: []respond.CallerImpact{attacker}, CutOff: 1}, "(1 cut off; no legitimate caller in the last 24h)"},
		{respond.BlastRadius{Callers: []respond.CallerImpact{attacker, office}, CutOff: 1, Recent: 1}, "(1 cut off; not the legitimate caller of the last 24h)"},
		{respond.BlastRadius{Callers: []respond.CallerImpact{attacker, office, office}, CutOff: 1, Recent: 2}, "(1 cut off; none of the 2 legitimate callers of the last 24h)"},
		{respond.BlastRadius{Callers: []respond.CallerImpact{attacker, {Caller: office.Caller, CutOff: true}}, CutOff: 2, Recent: 1, RecentCutOff: 1}, "(2 cut off; the legitimate caller of the last 24h among them)"},
		{respond.BlastRadius{Callers: []respond.CallerImpact{attacker, {Caller: office.Caller, CutOff: true}, office}, CutOff: 2, Recent: 2, RecentCutOff: 1}, "(2 cut off; 1 of the 2 legitimate callers of the last 24h among them)"},
	} {
		var b strings.Builder
		writePlan(&b, &respond.Plan{Command: respond.CmdContain, Blast: &tc.blast}, Palette{})
		if !strings.Contains(b.String(), "Recent callers replayed against the new ACL "+tc.want+":") {
			t.Errorf("plan does not say %q:\n%s", tc.want, b.String())
		}
	}
}

// The audit's incident sections count their sources in the right number.
func TestCountSources(t *testing.T) {
	for n, want := range map[int]string{0: "0 sources", 1: "1 source", 2: "2 sources"} {
		if got := countSources(n); got != want {
			t.Errorf("countSources(%d) = %q, want %q", n, got, want)
		}
	}
}
