package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// --jq on offline commands: strings print raw, other values as compact
// JSON lines, -o json is implied, and misuse is a usage error naming the
// problem.
func TestJQFlag(t *testing.T) {
	clearAkrespEnv(t)
	cases := []struct {
		name     string
		args     []string
		code     int
		out      string // exact stdout ("" = empty)
		errWants []string
	}{
		{name: "string raw", args: []string{"version", "--jq", ".version"}, out: "v0.0.0-test\n"},
		{name: "implies -o json", args: []string{"version", "--jq", "{schema_version, version}"},
			out: `{"schema_version":"akresp.version/v2","version":"v0.0.0-test"}` + "\n"},
		{name: "explicit -o json", args: []string{"version", "-o", "json", "--jq", ".schema_version"}, out: "akresp.version/v2\n"},
		{name: "several results", args: []string{"policy", "groups", "--jq", ".groups[:2][] | .name"}},
		{name: "numbers compute", args: []string{"policy", "groups", "--jq", "(.groups | length) > 1"}, out: "true\n"},
		{name: "no result", args: []string{"version", "--jq", "empty"}, out: ""},
		{name: "bad expression", args: []string{"version", "--jq", ".version | ["}, code: ExitUsage,
			errWants: []string{"--jq", ".version | [", "not a jq expression"}},
		{name: "other format", args: []string{"version", "-o", "table", "--jq", ".version"}, code: ExitUsage,
			errWants: []string{"--jq", "-o table", "use -o json"}},
		{name: "no JSON output", args: []string{"completion", "bash", "--jq", "."}, code: ExitUsage,
			errWants: []string{"--jq", "akresp completion", "has none"}},
		{name: "runtime error", args: []string{"version", "--jq", `error("stop here")`}, code: ExitRuntime,
			errWants: []string{"--jq", "stop here"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			te := newTestFactory(t)
			stdout := te.f.IO.Out
			code := Run(context.Background(), te.f, c.args)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, te.out, te.errOut)
			}
			if c.name == "several results" {
				lines := strings.Split(strings.TrimSuffix(te.out.String(), "\n"), "\n")
				if len(lines) != 2 || strings.ContainsAny(te.out.String(), `"{`) {
					t.Fatalf("want two raw names, got %q", te.out)
				}
			} else if te.out.String() != c.out {
				t.Errorf("stdout %q, want %q", te.out, c.out)
			}
			for _, w := range c.errWants {
				if !strings.Contains(te.errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, te.errOut)
				}
			}
			if te.f.IO.Out != stdout || te.f.jq != nil {
				t.Errorf("stdout not restored after the run: %T", te.f.IO.Out)
			}
		})
	}
}

// The filter reads every document of a stream (JSON lines) and keeps
// what was printed before a runtime error.
func TestJQFilterStream(t *testing.T) {
	code, err := compileJQ(`if .n == 2 then error("bad two") else .n * 10 end`)
	if err != nil {
		t.Fatal(err)
	}
	r := &jqRun{expr: "x", code: code}
	var out bytes.Buffer
	err = r.filter(context.Background(), []byte("{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"), &out)
	if err == nil || !strings.Contains(err.Error(), "bad two") {
		t.Fatalf("err = %v, want the expression's error", err)
	}
	if out.String() != "10\n" {
		t.Errorf("out = %q, want the result before the error", out.String())
	}
	out.Reset()
	if err := r.filter(context.Background(), []byte("not json"), &out); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("non-JSON output: err = %v", err)
	}
}
