package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// docs/reference is generated from the command tree (make docs); this
// fails when a command, flag, default or help text changed without it.
func TestReferenceDocsCurrent(t *testing.T) {
	dir := filepath.Join("..", "..", "docs", "reference")
	want := GenerateReference(NewRootCmd(ReferenceFactory()))
	have, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	stale := false
	for _, p := range have {
		if _, ok := want[filepath.Base(p)]; !ok {
			t.Errorf("docs/reference/%s: no such command any more", filepath.Base(p))
			stale = true
		}
	}
	for name, b := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != string(b) {
			t.Errorf("docs/reference/%s is stale or missing", name)
			stale = true
		}
	}
	if stale {
		t.Log("run 'make docs' and commit docs/reference")
	}
}

// docDefault finds "`--flag` (default X)", "`--flag` (default: X)",
// "`--flag`, default X", "`--flag` defaults to X" and "--flag (default X)".
var docDefault = regexp.MustCompile("`?--([a-z][a-z0-9-]*)(?: [A-Z][A-Z_-]*)?`?(?:,| \\()? ?(?:default:?|defaults to) `?([^`),;|\\n]+)`?")

// usageDefault is a default a flag's usage describes ("online default 30d").
var usageDefault = regexp.MustCompile(`default ([^;,)]+)`)

// Every flag default quoted in README.md and docs/*.md is the flag's real
// default, on at least one command that has that flag.
func TestDocFlagDefaults(t *testing.T) {
	defaults := map[string][]*pflag.Flag{}
	root := NewRootCmd(ReferenceFactory())
	cmds := append(root.Commands(), root)
	for i := 0; i < len(cmds); i++ {
		c := cmds[i]
		if c != root {
			cmds = append(cmds, c.Commands()...)
		}
		c.Flags().VisitAll(func(f *pflag.Flag) { defaults[f.Name] = append(defaults[f.Name], f) })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { defaults[f.Name] = append(defaults[f.Name], f) })
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	files = append(files, filepath.Join("..", "..", "README.md"))
	checked := 0
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range docDefault.FindAllStringSubmatch(string(b), -1) {
			name, said := m[1], strings.TrimSpace(m[2])
			flags, ok := defaults[name]
			if !ok {
				continue // a rule parameter or another tool's flag, not akresp's
			}
			checked++
			if !defaultMatches(said, flags) {
				var real []string
				for _, f := range flags {
					real = append(real, f.DefValue)
				}
				sort.Strings(real)
				t.Errorf("%s: --%s documented with default %q; the flag's default is %q", filepath.Base(file), name, said, strings.Join(real, " / "))
			}
		}
	}
	if checked < 5 {
		t.Errorf("only %d documented defaults found: the pattern no longer matches the docs", checked)
	}
}

func defaultMatches(said string, flags []*pflag.Flag) bool {
	said, _, _ = strings.Cut(said, " and ")
	said = strings.Trim(strings.TrimSuffix(strings.TrimSpace(said), "..."), " .")
	same := func(a, b string) bool {
		norm := func(x string) string { return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(x), "--", "")) }
		if norm(a) == norm(b) {
			return true
		}
		d1, ok1 := docDuration(a)
		d2, ok2 := docDuration(b)
		return ok1 && ok2 && d1 == d2
	}
	for _, f := range flags {
		def := f.DefValue
		if same(said, def) {
			return true
		}
		// A default computed at run time, described in the usage.
		for _, m := range usageDefault.FindAllStringSubmatch(f.Usage, -1) {
			if same(said, m[1]) {
				return true
			}
		}
		if strings.Contains(f.Usage, said+`" (the default)`) {
			return true
		}
		if strings.HasPrefix(def, "[") && strings.HasPrefix(strings.Trim(def, "[]"), strings.TrimRight(said, ", ")) {
			return true
		}
	}
	return false
}

// docDuration reads "24h", "24h0m0s", "7 days", "30d".
func docDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	var n int
	for _, unit := range []string{" days", " day", "d"} {
		if v, ok := strings.CutSuffix(s, unit); ok {
			if _, err := fmt.Sscan(v, &n); err == nil {
				return time.Duration(n) * 24 * time.Hour, true
			}
		}
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}
