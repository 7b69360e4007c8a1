package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/audit"
)

// The audit's table and markdown show FOLLOWED IDENTITIES with each chain
// and its findings, every attacker-chosen name escaped.
func TestAuditRendersFollowedIdentities(t *testing.T) {
	at := time.Date(2026, 12, 3, 19, 11, 0, 0, time.UTC)
	evil := "cross\x1b[2Jfire|`x`"
	r := &audit.Result{
		SchemaVersion: audit.SchemaVersion,
		Key:           audit.KeyFacts{AccessKeyID: "LTAI5tAPPPRODLEAKED00001"},
		Verdict:       audit.Verdict{Status: audit.StatusSuspectedLeak, Severity: audit.Critical},
		Followed: []audit.FollowedIdentity{{
			Kind: audit.FollowUser, Name: evil, Events: 1, FirstSeen: at.Add(20 * time.Minute), LastSeen: at.Add(20 * time.Minute),
			Sources: []audit.IPSummary{{IP: "203.0.113.200", Count: 1}},
			Via: []audit.FollowStep{
				{Kind: audit.StepCreate, AccessKeyID: "LTAI5tAPPPRODLEAKED00001", Event: "CreateUser", Target: evil, SourceIP: "127.0.0.66", Time: at},
				{Kind: audit.StepCreate, AccessKeyID: "LTAI5tAPPPRODLEAKED00001", Event: "CreateLoginProfile", Target: evil, SourceIP: "127.0.0.66", Time: at.Add(time.Minute)},
				{Kind: audit.StepUse, UserName: evil, Event: "ConsoleSignin", SourceIP: "203.0.113.200", Time: at.Add(20 * time.Minute)},
			},
			Findings: []audit.Finding{{ID: "PERS-05", Severity: audit.Critical, Title: "Newly created principal in use: user " + evil, Count: 1, IPs: []string{"203.0.113.200"}}},
		}},
		FollowedOmitted: 3,
	}
	for name, out := range renderTableAndMarkdown(t, r) {
		if where, bad := rawControl(out); bad {
			t.Errorf("%s: raw control character: %s", name, where)
		}
		flat := strings.Join(strings.Fields(out), " ")
		for _, want := range []string{"CreateLoginProfile → ConsoleSignin from 203.0.113.200", "PERS-05", "3 more identities"} {
			if !strings.Contains(flat, want) {
				t.Errorf("%s output lacks %q:\n%s", name, want, out)
			}
		}
		if !strings.Contains(strings.ToUpper(out), "FOLLOWED IDENTITIES (1)") {
			t.Errorf("%s output has no FOLLOWED IDENTITIES section:\n%s", name, out)
		}
	}
}

// A followed user whose own events are none but whose created key acted
// says so in its events column: "0" alone read as "did nothing".
func TestAuditFollowedUserCountsItsKeys(t *testing.T) {
	r := &audit.Result{
		SchemaVersion: audit.SchemaVersion,
		Key:           audit.KeyFacts{AccessKeyID: "LTAI5tAPPPRODLEAKED00001"},
		Verdict:       audit.Verdict{Status: audit.StatusSuspectedLeak, Severity: audit.Critical},
		Followed: []audit.FollowedIdentity{
			{Kind: audit.FollowUser, Name: "svc-backup"},
			{Kind: audit.FollowAccessKey, Name: "LTAI5tSVCBACKUP7Hq200000", UserName: "svc-backup", Events: 3},
			{Kind: audit.FollowUser, Name: "other", Events: 2},
		},
	}
	for name, out := range renderTableAndMarkdown(t, r) {
		flat := strings.Join(strings.Fields(out), " ")
		if !strings.Contains(flat, "svc-backup") || !strings.Contains(flat, "0 (keys: 3)") {
			t.Errorf("%s: the user's row does not count its key's events:\n%s", name, out)
		}
		if strings.Count(flat, "(keys:") != 1 {
			t.Errorf("%s: only svc-backup owns a followed key:\n%s", name, out)
		}
	}
}

// renderTableAndMarkdown renders r as the audit's table and markdown.
func renderTableAndMarkdown(t *testing.T, r *audit.Result) map[string]string {
	t.Helper()
	ios, _, _, _ := TestStreams()
	out := map[string]string{}
	for name, render := range map[string]func(*bytes.Buffer) error{
		"table":    func(b *bytes.Buffer) error { return renderAuditTable(b, r, PrintOptions{IO: ios}) },
		"markdown": func(b *bytes.Buffer) error { return renderAuditMarkdown(b, r, PrintOptions{IO: ios}) },
	} {
		var b bytes.Buffer
		if err := render(&b); err != nil {
			t.Fatal(err)
		}
		out[name] = b.String()
	}
	return out
}
