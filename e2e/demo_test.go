package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/lab"
)

// scripts/demo.sh (make demo) run against the built binary tells the
// builtin:leak story end to end. The assertions are the story's stable
// facts, taken from the scenario's notes, not the demo's wording: the
// audit finds the leak, contain succeeds, the attacker's next call is
// refused while the office's passes, the rotation reaches verified, the
// report files exist, and no secret (the scenario's or the rotated key's)
// appears in the output or the reports.
func TestDemoScript(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo (-short skips it)")
	}
	t.Parallel()
	sc, err := lab.LoadScenario("builtin:leak")
	if err != nil {
		t.Fatal(err)
	}
	w, info, err := sc.Build(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	note := func(n string) string {
		v := info.Notes[n]
		if v == "" {
			t.Fatalf("scenario has no note %q", n)
		}
		return v
	}
	key, attacker, office := note("leaked_key_id"), note("attacker_ip"), note("office_ip")

	out := filepath.Join(t.TempDir(), "demo-out")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "../scripts/demo.sh", binary)
	home := t.TempDir()
	cmd.Env = mergeEnv(os.Environ(), []string{
		"DEMO_OUT=" + out, "TMPDIR=" + t.TempDir(), "HOME=" + home, "TERM=dumb",
		"ALIBABA_CLOUD_ECS_METADATA_DISABLED=true",
	})
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	text := stdout.String() + stderr.String()
	if err != nil {
		t.Fatalf("demo.sh failed: %v\n%s", err, text)
	}

	for _, c := range []struct {
		what string
		re   string
	}{
		{"the audit finds the leak", `(?i)suspected[ _]leak`},
		{"the audit names the attacker", regexp.QuoteMeta(attacker)},
		{"contain succeeds", `(?i)contain ` + regexp.QuoteMeta(key) + `: contained`},
		{"the attacker's next call is refused", `from ` + regexp.QuoteMeta(attacker) + `: refused`},
		{"the office's call passes", `from ` + regexp.QuoteMeta(office) + `: allowed`},
		{"the rotation reaches verified", `(?m)^\s*step:\s+verified\s*$`},
	} {
		if !regexp.MustCompile(c.re).MatchString(text) {
			t.Errorf("demo output does not show that %s (/%s/):\n%s", c.what, c.re, text)
		}
	}
	if regexp.MustCompile(`from ` + regexp.QuoteMeta(attacker) + `: allowed`).MatchString(text) {
		t.Errorf("the attacker's call was allowed after containment:\n%s", text)
	}

	var files []string
	for _, ext := range []string{".md", ".html"} {
		m, _ := filepath.Glob(filepath.Join(out, key+"*"+ext))
		if len(m) == 0 {
			t.Errorf("the demo wrote no %s report for %s in %s", ext, key, out)
		}
		files = append(files, m...)
	}
	for _, f := range files {
		if fi, err := os.Stat(f); err != nil || fi.Size() == 0 {
			t.Errorf("report %s is missing or empty: %v", f, err)
		}
	}

	// No secret anywhere: the scenario's secrets verbatim, and nothing
	// shaped like a lab-issued AccessKey secret (30 letters and digits),
	// which is what the rotated key's secret is.
	all, _ := filepath.Glob(filepath.Join(out, "*"))
	texts := map[string]string{"demo output": text}
	for _, f := range all {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts[f] = string(b)
	}
	secretShape := regexp.MustCompile(`(?:^|[^A-Za-z0-9])([A-Za-z0-9]{30})(?:[^A-Za-z0-9]|$)`)
	for name, s := range texts {
		for id, k := range w.AccessKeys {
			if k.Secret != "" && strings.Contains(s, k.Secret) {
				t.Errorf("%s contains the secret of %s", name, id)
			}
		}
		if m := secretShape.FindStringSubmatch(s); m != nil {
			t.Errorf("%s contains %q, shaped like an AccessKey secret", name, m[1][:4]+"…")
		}
	}
}
