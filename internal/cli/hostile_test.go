package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Tests of issue 11 for the command line: hostile text from a trail never
// reaches the output raw, times outside the accepted range are usage
// errors before any cloud call, and inputs that are not regular files are
// refused.

// hostileText is what an attacker can put in the fields of an event they
// cause: a screen clear, an OSC 8 hyperlink ended by BEL, a carriage
// return that rewrites the line, a C1 CSI and a right-to-left override.
const hostileText = "alice\x1b[2J\x1b]8;;http://evil.example\x07click\x1b]8;;\x07\rroot\u009b31m\u202eexe.txt"

// hostileTrail writes a JSON-lines trail of the key whose user name,
// source address, user agent and resource names carry hostileText.
func hostileTrail(t *testing.T, key string, at time.Time) string {
	t.Helper()
	h, _ := json.Marshal(hostileText)
	var b strings.Builder
	for i, name := range []string{"CreateUser", "CreateAccessKey", "AttachPolicyToUser", "DescribeInstances", "GetCallerIdentity"} {
		fmt.Fprintf(&b, `{"eventId":"e%d","eventName":"%s","serviceName":"Ram","eventTime":"%s","sourceIpAddress":%s,"userAgent":%s,`+
			`"userIdentity":{"type":"ram-user","accessKeyId":"%s","userName":%s,"principalId":"1"},`+
			`"requestParameters":{"UserName":%s,"PolicyName":"AdministratorAccess"},"resourceType":"ACS::RAM::User","resourceName":%s,`+
			`"errorMessage":%s}`+"\n",
			i, name, at.Add(time.Duration(i)*time.Minute).UTC().Format(time.RFC3339), h, h, key, h, h, h, h)
	}
	p := filepath.Join(t.TempDir(), "hostile.jsonl")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// rawControl returns the first control character of s that is not a line
// feed or tab (or an invalid byte), and whether there is one.
func rawControl(s string) (string, bool) {
	for i, r := range s {
		if r == utf8.RuneError {
			return fmt.Sprintf("invalid UTF-8 at %d", i), true
		}
		if r == '\n' || r == '\t' {
			continue
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			lo := max(0, i-20)
			return fmt.Sprintf("%U at %d near %q", r, i, s[lo:i]), true
		}
	}
	return "", false
}

func TestHostileTextNeverReachesOutputRaw(t *testing.T) {
	clearAkrespEnv(t)
	key := auditKey
	trail := hostileTrail(t, key, fixedNow.Add(-2*time.Hour))
	type run struct {
		name string
		args []string
		tty  bool
		code int
		// check inspects the output beyond the absence of raw controls.
		check func(t *testing.T, out string)
	}
	escaped := func(t *testing.T, out string) {
		if !strings.Contains(out, `\x1b[2J`) {
			t.Errorf("output does not show the escape as \\x1b[2J:\n%s", out)
		}
	}
	runs := []run{
		{name: "audit table", args: []string{"audit", key, "--trail", trail}, check: escaped},
		{name: "audit table on a terminal", args: []string{"audit", key, "--trail", trail}, tty: true, check: escaped},
		{name: "audit markdown", args: []string{"audit", key, "--trail", trail, "-o", "markdown"}, check: escaped},
		{name: "audit csv", args: []string{"audit", key, "--trail", trail, "-o", "csv"}, check: func(t *testing.T, out string) {
			recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatalf("CSV does not parse: %v", err)
			}
			for _, r := range recs {
				for _, c := range r {
					if c != "" && strings.ContainsRune("=+@", rune(c[0])) {
						t.Errorf("CSV cell %q could run as a formula", c)
					}
				}
			}
		}},
		{name: "audit json", args: []string{"audit", key, "--trail", trail, "-o", "json"}, check: func(t *testing.T, out string) {
			var v map[string]any
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("JSON output does not parse: %v", err)
			}
			if !strings.Contains(out, `\u001b[2J`) {
				t.Error("JSON output lost the hostile text instead of escaping it")
			}
		}},
		{name: "audit table with debug logs", args: []string{"audit", key, "--trail", trail, "--log-level", "debug"}},
		{name: "report markdown", args: []string{"report", key, "--trail", trail, "-o", "markdown"}},
		{name: "report html", args: []string{"report", key, "--trail", trail, "-o", "html"}},
		{name: "report json", args: []string{"report", key, "--trail", trail, "-o", "json"}, check: func(t *testing.T, out string) {
			var v map[string]any
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("JSON report does not parse: %v", err)
			}
		}},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			te := newTestFactory(t)
			te.f.IO.SetStdoutTTY(r.tty)
			te.f.IO.SetTerminalWidth(200)
			state := t.TempDir()
			args := append([]string{"--state-dir", state, "--tz", "UTC"}, r.args...)
			report := r.args[0] == "report"
			if report {
				args = append(args, "--out", filepath.Join(state, "rep"))
			}
			code := Run(context.Background(), te.f, args)
			if code != r.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, r.code, te.out, te.errOut)
			}
			if te.cloudCalls != 0 {
				t.Errorf("offline run called the cloud %d times", te.cloudCalls)
			}
			for name, s := range map[string]string{"stdout": te.out.String(), "stderr": te.errOut.String()} {
				if where, bad := rawControl(s); bad {
					t.Errorf("%s holds a raw control character: %s", name, where)
				}
			}
			if !report && !strings.Contains(te.out.String(), "click") {
				// the hostile text is shown (escaped), not dropped
				t.Errorf("stdout does not show the hostile text at all:\n%s", te.out)
			}
			if r.check != nil {
				r.check(t, te.out.String())
			}
			if report {
				files, _ := filepath.Glob(filepath.Join(state, "rep", key+"-report.*"))
				if len(files) != 1 {
					t.Fatalf("report files %v, want one", files)
				}
				b, err := os.ReadFile(files[0])
				if err != nil {
					t.Fatal(err)
				}
				if where, bad := rawControl(string(b)); bad {
					t.Errorf("%s holds a raw control character: %s", filepath.Base(files[0]), where)
				}
				if strings.HasSuffix(files[0], ".md") {
					escaped(t, string(b))
				}
			}
		})
	}
}

// The table, markdown and CSV renderers on their own, with hostile cells.
func TestRenderersEscapeHostileCells(t *testing.T) {
	rows := hostileRows{{hostileText, "=HYPERLINK(\"http://evil\")", "a|b`c", 3}}
	ios, _, _, _ := TestStreams()
	for _, format := range []string{FormatTable, FormatCSV, FormatMarkdown} {
		p, err := NewPrinter(format, PrintOptions{IO: ios})
		if err != nil {
			t.Fatal(err)
		}
		var direct bytes.Buffer
		// Directly into a buffer (no escaping writer): the renderer itself
		// must escape table, csv and markdown cells.
		if err := p.Print(&direct, rows); err != nil {
			t.Fatal(err)
		}
		if where, bad := rawControl(direct.String()); bad {
			t.Errorf("%s renderer leaves a raw control character: %s", format, where)
		}
		switch format {
		case FormatCSV:
			recs, err := csv.NewReader(&direct).ReadAll()
			if err != nil || len(recs) != 2 || recs[1][1] != `'=HYPERLINK("http://evil")` || recs[1][3] != "3" {
				t.Errorf("csv %q, %v: want the formula cell prefixed with ' and the number kept", recs, err)
			}
		case FormatMarkdown:
			lines := strings.Split(strings.TrimSpace(direct.String()), "\n")
			if len(lines) != 3 || !strings.Contains(lines[2], "a\\|b\\`c") || strings.Count(lines[2], " | ")-strings.Count(lines[2], `\| `) != 3 {
				t.Errorf("markdown row %q: want | and ` escaped and four cells", lines)
			}
		}
	}
}

type hostileRows [][]any

func (hostileRows) Columns() []string { return []string{"User", "Note", "Code", "N"} }
func (r hostileRows) Rows() [][]any   { return r }

func TestTimeFlagsOutsideTheRangeAreUsageErrors(t *testing.T) {
	clearAkrespEnv(t)
	trail := hostileTrail(t, auditKey, fixedNow.Add(-time.Hour))
	day := 24 * time.Hour
	at := func(d time.Duration) string { return fixedNow.Add(d).UTC().Format(time.RFC3339) }
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"until in year 9999, online", []string{"audit", auditKey, "--until", "9999-01-01"}, "--until 9999-01-01 is outside the range akresp accepts: 2010-01-01 to "},
		{"until in year 9999, offline", []string{"audit", auditKey, "--trail", trail, "--until", "9999-01-01"}, "--until 9999-01-01 is outside the range"},
		{"until two days ahead", []string{"audit", auditKey, "--until", at(2 * day)}, "--until " + at(2*day) + " is outside the range"},
		{"since before 2010", []string{"audit", auditKey, "--trail", trail, "--since", "2009-12-31T23:59:59Z"}, "--since 2009-12-31T23:59:59Z is outside the range"},
		{"since 100000 days back", []string{"audit", auditKey, "--trail", trail, "--since", "100000d"}, "--since 100000d is outside the range"},
		{"since in the future", []string{"audit", auditKey, "--since", at(time.Hour)}, "--since " + at(time.Hour) + " is in the future"},
		{"since in the future, offline", []string{"audit", auditKey, "--trail", trail, "--since", at(time.Hour)}, "is in the future"},
		{"until before since", []string{"audit", auditKey, "--since", "3d", "--until", "5d"}, "is before --since"},
		{"until beyond LookupEvents retention", []string{"audit", auditKey, "--until", "2025-01-01"}, "--until 2025-01-01 is more than 90 days ago"},
		{"until 80 days back without since", []string{"audit", auditKey, "--until", "80d"}, "give --since too"},
		{"leak-time in year 9999", []string{"audit", auditKey, "--leak-time", "9999-12-31T00:00:00Z"}, "--leak-time 9999-12-31T00:00:00Z is outside the range"},
		{"leak-time before 2010", []string{"audit", auditKey, "--trail", trail, "--leak-time", "2001-01-01T00:00:00Z"}, "--leak-time 2001-01-01T00:00:00Z is outside the range"},
		{"report until in year 9999", []string{"report", auditKey, "--until", "9999-01-01"}, "--until 9999-01-01 is outside the range"},
		{"report since in the future", []string{"report", auditKey, "--since", at(2 * time.Hour)}, "is in the future"},
		{"report leak-time far ahead", []string{"report", auditKey, "--leak-time", "2262-04-12T00:00:00Z"}, "--leak-time 2262-04-12T00:00:00Z is outside the range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newTestFactory(t)
			code := Run(context.Background(), te.f, append([]string{"--state-dir", t.TempDir()}, tt.args...))
			if code != ExitUsage || !strings.Contains(te.errOut.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, te.errOut.String(), ExitUsage, tt.want)
			}
			if te.cloudCalls != 0 {
				t.Errorf("the cloud was called %d times before the usage error", te.cloudCalls)
			}
		})
	}
	// Inside the range still runs (offline: no cloud).
	te := newTestFactory(t)
	args := []string{"--state-dir", t.TempDir(), "audit", auditKey, "--trail", trail, "--since", "2010-01-01", "--until", at(23 * time.Hour), "--leak-time", at(-90 * time.Minute)}
	if code := Run(context.Background(), te.f, args); code != ExitOK {
		t.Errorf("in-range flags: exit %d: %s", code, te.errOut)
	}
}
