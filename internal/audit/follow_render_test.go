package audit

import (
	"strings"
	"testing"
	"time"
)

// followRenderResult is followIncident audited from trail files, plus a
// user the attacker named with terminal escapes, who signs in.
func followRenderResult(t *testing.T) *Result {
	evs := followIncident()
	evs = append(evs,
		intruder(leakStart.Add(4*time.Minute), "Ram", "CreateUser", withParams("UserName", evilFollowName)),
		tev(leakStart.Add(40*time.Minute), proxyIP, "AasSub", "ConsoleSignin", withKey(""), withUser(evilFollowName), withUA("Mozilla/5.0"),
			func(e *Event) { e.Type = "ConsoleSignin" }),
	)
	return offlineFollowAudit(t, evs, false)
}

const evilFollowName = "evil\x1b]0;pwn\x07\x1b[2J|*user*"

// TestFollowedIdentitiesForResponders: what the reports show under
// FOLLOWED IDENTITIES is in the Result: each identity's chain (ViaText)
// and the PERS-05 finding over its use, an attacker-chosen name kept as
// the event carried it (the CLI's renderers escape it; internal/cli
// TestAuditRenderGolden renders this incident).
func TestFollowedIdentitiesForResponders(t *testing.T) {
	r := followRenderResult(t)
	for _, tc := range []struct{ name, via string }{
		{"svc-backup", "key → CreateUser svc-backup → CreateLoginProfile → ConsoleSignin from " + proxyIP},
		{evilFollowName, "key → CreateUser " + evilFollowName + " → ConsoleSignin from " + proxyIP},
	} {
		f := followedOf(r, FollowUser, tc.name)
		if f == nil {
			t.Errorf("user %q not followed: %+v", tc.name, r.Followed)
			continue
		}
		if got := ViaText(f.Via); got != tc.via {
			t.Errorf("user %q chain %q, want %q", tc.name, got, tc.via)
		}
		var pers05 *Finding
		for i := range f.Findings {
			if f.Findings[i].ID == "PERS-05" {
				pers05 = &f.Findings[i]
			}
		}
		if pers05 == nil || pers05.Severity != Critical || !strings.Contains(pers05.Title, tc.name) {
			t.Errorf("user %q: PERS-05 %+v, want a critical finding naming the user", tc.name, pers05)
		}
	}
}
