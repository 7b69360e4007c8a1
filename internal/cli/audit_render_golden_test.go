package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mattn/go-runewidth"
)

// testdata/audit-render/incident.jsonl.gz is internal/audit's follow
// incident (followIncident: a week of office use of the key, then the
// leak from 127.0.0.66, the identities it created and their use from
// 203.0.113.200 and 198.51.100.7) as an ActionTrail JSON-lines trail, with
// the key ID LTAI5tLeakedKey000000001, plus: a user the attacker named
// with terminal escapes who signs in, a user agent with an escape, and a
// malformed record of the key (line 6, a diagnostic).
const (
	renderKey   = "LTAI5tLeakedKey000000001"
	renderTrail = "testdata/audit-render/incident.jsonl.gz"
)

// auditRenderGolden compares got with testdata/audit-render/name, or
// rewrites it under -update.
func auditRenderGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "audit-render", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update creates it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -run %s -update to accept):\n%s", name, t.Name(), cmp.Diff(string(want), got))
	}
}

var rfc3339Cell = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z`)

// TestAuditRenderGolden runs `akresp audit` offline on the incident trail
// and compares what it prints (the table piped and on a 120-column
// terminal, and -o markdown) with golden files. Beyond the bytes it
// checks what a responder relies on: the followed identities with their
// chains and PERS-05, the verdict's count of the findings its reasons
// leave out, the diagnostic of the malformed record, the attacker's
// escapes shown as text and never raw, piped table rows whole on one line,
// and on the terminal nothing wider than the terminal.
func TestAuditRenderGolden(t *testing.T) {
	clearAkrespEnv(t)
	for _, tc := range []struct {
		golden string
		tty    bool
		args   []string
	}{
		{"incident.txt", false, nil},
		{"incident-tty.txt", true, nil},
		{"incident.md", false, []string{"-o", "markdown"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			te := newTestFactory(t)
			te.f.IO.SetStdoutTTY(tc.tty)
			te.f.IO.SetColorEnabled(false)
			te.f.IO.SetTerminalWidth(120)
			args := append([]string{"--state-dir", t.TempDir(), "--tz", "Asia/Shanghai", "audit", renderKey, "--trail", renderTrail}, tc.args...)
			if code := Run(context.Background(), te.f, args); code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, te.out, te.errOut)
			}
			out := te.out.String()
			if where, bad := rawControl(out); bad {
				t.Errorf("raw control character: %s", where)
			}
			flat := strings.Join(strings.Fields(out), " ")
			for _, want := range []string{
				"key → CreateUser svc-backup → CreateLoginProfile → ConsoleSignin from 203.0.113.200",
				"key → CreateUser svc-backup → CreateAccessKey LTAI5tBackdoorKey0000001 → CreateUser crossfire → CreateLoginProfile → ConsoleSignin from 203.0.113.200",
				"PERS-05",
				"and 18 more findings",
				"line 6",
				"skipped: invalid JSON",
			} {
				if !strings.Contains(flat, want) {
					t.Errorf("output lacks %q", want)
				}
			}
			// The attacker's user name, escapes shown as text.
			evil := `evil\x1b]0;pwn\x07\x1b[2J|*user*`
			if tc.golden == "incident.md" {
				// Markdown source: backslashes doubled, | and * escaped, so
				// the document shows the name as above.
				evil = `evil\\x1b]0;pwn\\x07\\x1b[2J\|\*user\*`
				if strings.Contains(out, "|*user*") {
					t.Error("markdown leaves the attacker's *user* as emphasis markup")
				}
			}
			if !strings.Contains(out, evil) {
				t.Errorf("output does not show the attacker's user name as %s", evil)
			}
			switch tc.golden {
			case "incident.txt":
				// Each FINDINGS row is one line holding its first and last time.
				rows := 0
				for _, l := range tableLines(out, "  SEVERITY ") {
					rows++
					if n := len(rfc3339Cell.FindAllString(l, -1)); n != 2 {
						t.Errorf("a FINDINGS row split across lines: %q", l)
					}
				}
				if rows != 24 {
					t.Errorf("%d FINDINGS rows, want 24", rows)
				}
			case "incident.md":
				// The sections the table shows are in the document too.
				for _, want := range []string{"| Ecs | 150 | 47 | 0 | DescribeInstances×52 DescribeDisks×45"} {
					if !strings.Contains(out, want) {
						t.Errorf("markdown lacks %q", want)
					}
				}
			case "incident-tty.txt":
				for _, l := range strings.Split(out, "\n") {
					if w := runewidth.StringWidth(l); w > 120 {
						t.Errorf("line of %d columns on a 120-column terminal: %q", w, l)
					}
				}
			}
			auditRenderGolden(t, tc.golden, out)
		})
	}
}

// tableLines returns the rows of the table whose header line starts with
// header: from the line after it up to the next blank line, without the
// continuation lines a wrapped cell adds (they start with spaces only
// up to a later column).
func tableLines(out, header string) []string {
	var rows []string
	in := false
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, header):
			in = true
		case l == "":
			in = false
		case in && len(l) > 2 && l[2] != ' ':
			rows = append(rows, l)
		}
	}
	return rows
}
