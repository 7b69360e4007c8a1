package scan

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/redact"
)

// Test values: shaped like real keys, owned by nobody.
const (
	liveID     = "LTAI5tQ8rW2mZx7KpL3nB9vT"
	liveSecret = "Xq3Lm9Rt2Vw8Yz4Bn6Cd1Fg5Hj7Kp0" // 30
	deadID     = "LTAI5tN4bV8cX2zQ6wE9rT1y"
	deadSecret = "Pz7Yk2Wm4Qr8Tn1Vb5Xc3Ld6Fh9Gj0" // 30
	docID      = "LTAI5tExampleKey00000001"
	docSecret  = "yourAccessKeySecretExample0001" // 30
)

type fakeVerifier struct{ calls map[string]int }

func (f *fakeVerifier) Verify(_ context.Context, id string, secret redact.Secret) Verdict {
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[id]++
	if id == liveID && secret.Reveal() == liveSecret {
		return Verdict{Status: StatusValid, Identity: Identity{AccountID: "1234567890123456", Arn: "acs:ram::1234567890123456:user/app"}}
	}
	return Verdict{Status: StatusInvalid, Code: "InvalidAccessKeyId.NotFound"}
}

func TestDetectPairsAndFilters(t *testing.T) {
	text := strings.Join([]string{
		"# config",
		"access_key_id = " + liveID,
		"access_key_secret = " + liveSecret,
		"",
		"example: " + docID + " / " + docSecret,
		"masked: LTAI5tQ8rW2mZx7K**** and " + liveSecret[:10] + "****",
		"template: LTAIXXXXXXXXXXXXXXXXXXXX XxXxXxXxXxXxXxXxXxXxXxXxXxXxXx",
		"no secret near: LTAI5tN4bV8cX2zQ6wE9rT1y",
	}, "\n")
	c := detect([]byte(text), nil)
	var kept, dropped []candidate
	for _, x := range c {
		if x.ignored == "" {
			kept = append(kept, x)
		} else {
			dropped = append(dropped, x)
		}
	}
	if len(kept) != 2 { // the live pair, and the lone ID paired with the live secret 6 lines up
		t.Fatalf("kept %d: %+v", len(kept), kept)
	}
	if kept[0].keyID != liveID || kept[0].line != 2 || kept[0].hash != SecretHash(liveSecret) || kept[0].secret.Reveal() != liveSecret {
		t.Fatalf("first pair: %+v", kept[0])
	}
	reasons := map[string]string{}
	for _, d := range dropped {
		reasons[d.keyID] = d.ignored
	}
	if reasons[docID] != "documentation example" {
		t.Errorf("doc example: %q (%+v)", reasons[docID], dropped)
	}
	if got := detect([]byte("id="+liveID+"\nsecret="+liveSecret), map[string]string{liveID: "lab key"}); len(got) != 1 || got[0].ignored != "lab key" {
		t.Errorf("ignore list: %+v", got)
	}
	if got := detect([]byte("LTAI5tQ8rW2mZx7KpL3nB9vTX "+liveSecret), nil); len(got) != 0 {
		t.Errorf("a 25-character LTAI run matched: %+v", got)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func pairText(id, secret string) string {
	return "ALIBABA_CLOUD_ACCESS_KEY_ID=" + id + "\nALIBABA_CLOUD_ACCESS_KEY_SECRET=" + secret + "\n"
}

func TestScanArchives(t *testing.T) {
	dir := t.TempDir()
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	w, _ := zw.Create("app/.env")
	w.Write([]byte(pairText(liveID, liveSecret)))
	zw.Close()
	var tbuf bytes.Buffer
	gz := gzip.NewWriter(&tbuf)
	tw := tar.NewWriter(gz)
	body := pairText(deadID, deadSecret)
	tw.WriteHeader(&tar.Header{Name: "etc/creds.ini", Mode: 0o600, Size: int64(len(body)), Typeflag: tar.TypeReg})
	tw.Write([]byte(body))
	tw.Close()
	gz.Close()
	writeFile(t, filepath.Join(dir, "build.zip"), zbuf.String())
	writeFile(t, filepath.Join(dir, "image.tar.gz"), tbuf.String())

	v := &fakeVerifier{}
	res, err := Scan(context.Background(), dir, Options{Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 2 || res.Stats.Archives != 2 {
		t.Fatalf("findings %+v stats %+v", res.Findings, res.Stats)
	}
	if f := res.Findings[0]; f.KeyID != liveID || f.Status != StatusValid || f.Locations[0].Path != "build.zip!app/.env" || f.Locations[0].Line != 1 {
		t.Errorf("zip finding: %+v", f)
	}
	if f := res.Findings[1]; f.KeyID != deadID || f.Status != StatusInvalid || f.Locations[0].Path != "image.tar.gz!etc/creds.ini" {
		t.Errorf("tar finding: %+v", f)
	}
	b, _ := json.Marshal(res)
	if bytes.Contains(b, []byte(liveSecret)) || bytes.Contains(b, []byte(deadSecret)) {
		t.Fatal("the result holds a secret")
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// A key added in one commit and deleted in the next is found in history,
// attributed to the commit that added it, marked not in HEAD; --no-verify
// calls nothing; --no-history sees only the working tree.
func TestScanGitHistory(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git binary")
	}
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	writeFile(t, filepath.Join(dir, "deploy", "prod.env"), pairText(liveID, liveSecret))
	writeFile(t, filepath.Join(dir, "README.md"), "Set "+docID+" and "+docSecret+"\n")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "add config")
	added := git(t, dir, "rev-parse", "HEAD")
	git(t, dir, "rm", "-q", "deploy/prod.env")
	git(t, dir, "commit", "-q", "-m", "remove secret")
	writeFile(t, filepath.Join(dir, "local.env"), pairText(deadID, deadSecret)) // untracked

	v := &fakeVerifier{}
	res, err := Scan(context.Background(), dir, Options{Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 2 || res.Stats.Commits != 2 {
		t.Fatalf("findings %+v stats %+v", res.Findings, res.Stats)
	}
	live := res.Findings[0]
	if live.KeyID != liveID || live.Status != StatusValid || len(live.Locations) != 1 {
		t.Fatalf("live: %+v", live)
	}
	if l := live.Locations[0]; l.Path != "deploy/prod.env" || l.Commit != added || l.Line != 1 || l.InHead == nil || *l.InHead {
		t.Fatalf("live location: %+v (want commit %s, not in HEAD)", l, added)
	}
	if dead := res.Findings[1]; dead.KeyID != deadID || dead.Status != StatusInvalid || dead.Locations[0].Path != "local.env" || dead.Locations[0].Commit != "" {
		t.Fatalf("dead: %+v", dead)
	}
	if len(res.Ignored) != 1 || res.Ignored[0].KeyID != docID {
		t.Fatalf("ignored: %+v", res.Ignored)
	}
	if v.calls[docID] != 0 {
		t.Fatal("a documentation example was verified")
	}

	res, err = Scan(context.Background(), dir, Options{})
	if err != nil || len(res.Findings) != 2 || res.Findings[0].Status != StatusUnverified {
		t.Fatalf("no-verify: %+v %v", res, err)
	}
	res, err = Scan(context.Background(), dir, Options{NoHistory: true})
	if err != nil || len(res.Findings) != 1 || res.Findings[0].KeyID != deadID {
		t.Fatalf("no-history: %+v %v", res, err)
	}
}

// A directory named through a symbolic link is scanned (a false all-clear
// otherwise); links inside the tree are not followed.
func TestScanSymlinkedRoot(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "checkout")
	outside := filepath.Join(base, "outside")
	writeFile(t, filepath.Join(real, "config", "prod.env"), pairText(liveID, liveSecret))
	writeFile(t, filepath.Join(outside, "other.env"), pairText(deadID, deadSecret))
	if err := os.Symlink(outside, filepath.Join(real, "linked")); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "repo")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	res, err := Scan(context.Background(), link, Options{Verifier: &fakeVerifier{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].KeyID != liveID || res.Findings[0].Locations[0].Path != "config/prod.env" {
		t.Fatalf("findings %+v (stats %+v), want the pair in config/prod.env only", res.Findings, res.Stats)
	}
}

// A valid key's last use no earlier than the scan's own check is that
// check (its GetCallerIdentity), marked as such; an earlier one is not.
func TestLastUseOfTheCheckItself(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "prod.env"), pairText(liveID, liveSecret))
	for _, tc := range []struct {
		name  string
		last  func() time.Time
		check bool
	}{
		{"used by the check", func() time.Time { return time.Now().Truncate(time.Second) }, true},
		{"used an hour before", func() time.Time { return time.Now().Add(-time.Hour) }, false},
		{"never used", func() time.Time { return time.Time{} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Scan(context.Background(), dir, Options{Verifier: &fakeVerifier{},
				KeyInfo: func(context.Context, string) KeyInfo {
					return KeyInfo{Owner: "app", Status: "Active", LastUsed: tc.last(), LastService: "Sts"}
				}})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Findings) != 1 || res.Findings[0].Key == nil {
				t.Fatalf("findings %+v", res.Findings)
			}
			if got := res.Findings[0].Key.LastUseIsCheck; got != tc.check {
				t.Errorf("last_use_is_check %v, want %v", got, tc.check)
			}
		})
	}
}
