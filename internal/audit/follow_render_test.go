package audit

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// followRenderResult is followIncident audited from trail files, plus a
// user the attacker named with terminal escapes, who signs in. The parts
// that name the temporary files are left out.
func followRenderResult(t *testing.T) *Result {
	evs := followIncident()
	const evil = "evil\x1b]0;pwn\x07\x1b[2J|*user*"
	evs = append(evs,
		intruder(leakStart.Add(4*time.Minute), "Ram", "CreateUser", withParams("UserName", evil)),
		tev(leakStart.Add(40*time.Minute), proxyIP, "AasSub", "ConsoleSignin", withKey(""), withUser(evil), withUA("Mozilla/5.0"),
			func(e *Event) { e.Type = "ConsoleSignin" }),
	)
	r := offlineFollowAudit(t, evs, false)
	r.Window.Sources = nil
	r.Findings = nil
	r.Diagnostics = nil
	r.Caveats = nil
	return r
}

// TestFollowRenderGolden: the text and markdown reports show FOLLOWED
// IDENTITIES with each chain and the findings over it, every
// attacker-chosen name escaped.
func TestFollowRenderGolden(t *testing.T) {
	r := followRenderResult(t)
	for _, tc := range []struct {
		name   string
		render func(*bytes.Buffer) error
	}{
		{"follow.txt", func(b *bytes.Buffer) error { return RenderText(b, r, shanghai, 0) }},
		{"follow.md", func(b *bytes.Buffer) error { return RenderMarkdown(b, r, shanghai) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.render(&b); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if strings.ContainsAny(out, "\x1b\x07") {
				t.Errorf("%s carries raw control characters", tc.name)
			}
			for _, want := range []string{"key → CreateUser svc-backup → CreateLoginProfile → ConsoleSignin from " + proxyIP, "PERS-05"} {
				if !strings.Contains(out, want) {
					t.Errorf("%s lacks %q", tc.name, want)
				}
			}
			golden(t, tc.name, b.Bytes())
		})
	}
}
