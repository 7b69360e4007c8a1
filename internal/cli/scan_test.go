package cli

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/akresp/akresp/internal/scan"
)

// A repository made here: a live lab key added in one commit and deleted in
// the next, an invalid key, and a documentation example. scan reports the
// live one valid with its owner (via the real SDK against the lab), the
// invalid one invalid, ignores the example, and neither stdout, stderr
// (debug logs and HTTP debug included) nor any file under the state dir
// holds a secret.
func TestScanGitRepoLab(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git binary")
	}
	l := newLeakCLI(t)
	t.Setenv("AKRESP_DEBUG", "http")
	live := l.info.Credentials[l.info.Notes["leaked_user"]]
	if live.AccessKeyID != l.info.Notes["leaked_key_id"] {
		t.Fatalf("scenario credentials: %+v", live.AccessKeyID)
	}
	const (
		deadID     = "LTAI5tN4bV8cX2zQ6wE9rT1y"
		deadSecret = "Pz7Yk2Wm4Qr8Tn1Vb5Xc3Ld6Fh9Gj0"
		docID      = "LTAI5tExampleKey00000001"
		docSecret  = "yourAccessKeySecretExample0001"
	)
	repo := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
			"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+repo)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(repo, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q", "-b", "main")
	write("config/prod.env", "ACCESS_KEY_ID="+live.AccessKeyID+"\nACCESS_KEY_SECRET="+live.AccessKeySecret+"\n")
	write("docs/setup.md", "Example: `"+docID+"` with secret `"+docSecret+"`\n")
	git("add", ".")
	git("commit", "-q", "-m", "deploy config")
	added := git("rev-parse", "HEAD")
	git("rm", "-q", "config/prod.env")
	git("commit", "-q", "-m", "oops, remove the key")
	write("old/creds.ini", "[default]\naccess_key_id = "+deadID+"\naccess_key_secret = "+deadSecret+"\n")
	git("add", ".")
	git("commit", "-q", "-m", "old creds")

	code, out, errOut := l.run("--log-level", "debug", "scan", repo, "-o", "json")
	if code != ExitOK {
		t.Fatalf("scan: exit %d\n%s%s", code, out, errOut)
	}
	var res scanResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("scan JSON: %v\n%s", err, out)
	}
	if len(res.Findings) != 2 || res.Stats.Commits != 3 {
		t.Fatalf("findings: %+v\nstats %+v", res.Findings, res.Stats)
	}
	f := res.Findings[0]
	if f.KeyID != live.AccessKeyID || f.Status != scan.StatusValid || f.Identity == nil ||
		!strings.HasSuffix(f.Identity.Arn, ":user/"+l.info.Notes["leaked_user"]) || f.Identity.AccountID != l.info.AccountID {
		t.Fatalf("live finding: %+v identity %+v", f, f.Identity)
	}
	if f.Key == nil || f.Key.Owner != l.info.Notes["leaked_user"] || f.Key.Status != "Active" || f.Key.LastUsed.IsZero() {
		t.Fatalf("live key state: %+v", f.Key)
	}
	if loc := f.Locations[0]; len(f.Locations) != 1 || loc.Path != "config/prod.env" || loc.Commit != added || loc.Line != 1 || loc.InHead == nil || *loc.InHead {
		t.Fatalf("live location: %+v", f.Locations)
	}
	if f.SecretHash != scan.SecretHash(live.AccessKeySecret) || len(f.SecretHash) != 12 {
		t.Fatalf("secret hash %q", f.SecretHash)
	}
	d := res.Findings[1]
	if d.KeyID != deadID || d.Status != scan.StatusInvalid || d.Identity != nil || d.Key != nil {
		t.Fatalf("invalid finding: %+v", d)
	}
	if len(res.Ignored) != 1 || res.Ignored[0].KeyID != docID || res.Ignored[0].Reason != "documentation example" {
		t.Fatalf("ignored: %+v", res.Ignored)
	}
	secrets := []string{live.AccessKeySecret, deadSecret}
	for _, s := range secrets {
		if strings.Contains(out, s) || strings.Contains(errOut, s) {
			t.Fatal("scan output holds a secret")
		}
	}
	if !strings.Contains(errOut, "GetCallerIdentity") {
		t.Fatalf("the HTTP debug log was not on (the check above would prove nothing):\n%s", errOut)
	}
	_ = filepath.WalkDir(l.stateDir, func(p string, de fs.DirEntry, err error) error {
		if err == nil && !de.IsDir() {
			b, _ := os.ReadFile(p)
			for _, s := range secrets {
				if strings.Contains(string(b), s) {
					t.Errorf("%s holds a secret", p)
				}
			}
		}
		return nil
	})

	// Table output, and --fail-on valid exits 3.
	code, out, errOut = l.run("scan", repo, "--fail-on", "valid")
	if code != ExitFindings || !strings.Contains(out, "akresp audit "+live.AccessKeyID) || strings.Contains(out+errOut, live.AccessKeySecret) {
		t.Fatalf("table scan: exit %d\n%s%s", code, out, errOut)
	}
	// Not pointed at a lab: the lab's keys are known false positives.
	code, out, _ = l.run("--endpoint", "", "scan", repo, "--no-verify", "-o", "json")
	res = scanResult{}
	if code != ExitOK || json.Unmarshal([]byte(out), &res) != nil || len(res.Findings) != 1 || res.Findings[0].KeyID != deadID ||
		res.Findings[0].Status != scan.StatusUnverified {
		t.Fatalf("--no-verify without a lab endpoint: exit %d\n%s", code, out)
	}
}
