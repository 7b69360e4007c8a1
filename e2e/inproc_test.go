package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	ram "github.com/alibabacloud-go/ram-20150501/v2/client"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/lab"
)

// labNow is the fixed instant every in-process lab is built at, so two labs
// built from the same scenario start from byte-identical worlds.
var labNow = time.Now().UTC().Truncate(time.Second)

// inprocLab is a lab.Server running inside the test process, so a test can
// set its knobs, read its state and count its calls while the real binary
// talks to it over HTTP.
type inprocLab struct {
	srv  *lab.Server
	info *lab.ScenarioInfo
	dir  string // per-test home: state dir, secret files, reports
	// initialKeys are the AccessKey ids the scenario built.
	initialKeys map[string]bool
}

// startInproc builds scenario ref at labNow and serves it with opts (World
// and Addr are filled in).
func startInproc(t *testing.T, ref string, opts lab.Options) *inprocLab {
	t.Helper()
	sc, err := lab.LoadScenario(ref)
	if err != nil {
		t.Fatal(err)
	}
	w, info, err := sc.Build(labNow)
	if err != nil {
		t.Fatal(err)
	}
	initial := map[string]bool{}
	for id := range w.AccessKeys {
		initial[id] = true
	}
	opts.World = w
	srv, err := lab.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "home"), 0o700); err != nil {
		t.Fatal(err)
	}
	return &inprocLab{srv: srv, info: info, dir: dir, initialKeys: initial}
}

func (l *inprocLab) note(t *testing.T, name string) string {
	t.Helper()
	v := l.info.Notes[name]
	if v == "" {
		t.Fatalf("scenario has no note %q", name)
	}
	return v
}

func (l *inprocLab) stateDir() string { return filepath.Join(l.dir, "state") }

// env is the environment akresp runs with against this lab as principal:
// explicit credentials, no metadata probe, no profile, a private HOME and
// state dir, UTC.
func (l *inprocLab) env(t *testing.T, principal string) []string {
	t.Helper()
	c, ok := l.info.Credentials[principal]
	if !ok {
		t.Fatalf("scenario has no credentials for %q", principal)
	}
	return []string{
		"HOME=" + filepath.Join(l.dir, "home"),
		"AKRESP_ENDPOINT=http://" + l.srv.Addr(),
		"AKRESP_STATE_DIR=" + l.stateDir(),
		"AKRESP_LOCK_DIR=" + filepath.Join(l.dir, "locks"), // labs share the scenario's key IDs; the per-user key lock must not
		"AKRESP_TZ=UTC",
		"NO_COLOR=1",
		"ALIBABA_CLOUD_ACCESS_KEY_ID=" + c.AccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + c.AccessKeySecret,
		"ALIBABA_CLOUD_ECS_METADATA_DISABLED=true",
		"ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true",
		"ALIBABA_CLOUD_PROFILE=",
		"ALIBABA_CLOUD_SECURITY_TOKEN=",
		"ALIBABA_CLOUD_ROLE_ARN=",
		"ALIBABA_CLOUD_CREDENTIALS_FILE=" + filepath.Join(l.dir, "home", "no-credentials"),
	}
}

// result is one finished akresp run.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return "akresp " + strings.Join(r.args, " ") + "\nexit " + itoa(r.code) + "\nstdout:\n" + r.stdout + "\nstderr:\n" + r.stderr
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// run runs akresp against the lab as principal with separate stdout and
// stderr. It never fails the test by itself: callers assert the exit code.
func (l *inprocLab) run(t *testing.T, principal string, args ...string) result {
	t.Helper()
	return l.runEnv(t, l.env(t, principal), args...)
}

func (l *inprocLab) runEnv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = mergeEnv(os.Environ(), env)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return result{args: args, stdout: out.String(), stderr: errb.String(), code: exitCode(err)}
}

// mustRun runs and fails the test unless the exit code is want.
func (l *inprocLab) mustRun(t *testing.T, want int, principal string, args ...string) result {
	t.Helper()
	r := l.run(t, principal, args...)
	if r.code != want {
		t.Fatalf("want exit %d:\n%s", want, r)
	}
	return r
}

// mergeEnv overlays extra on base: a later NAME=value replaces an earlier
// one, so the child never sees the developer's real credentials.
func mergeEnv(base, extra []string) []string {
	idx := map[string]int{}
	var out []string
	for _, kv := range append(append([]string{}, base...), extra...) {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "ALIBABA_CLOUD_") || strings.HasPrefix(name, "ALICLOUD_") || strings.HasPrefix(name, "AKRESP_") {
			if !containsName(extra, name) {
				continue // the developer's own settings never leak in
			}
		}
		if i, ok := idx[name]; ok {
			out[i] = kv
			continue
		}
		idx[name] = len(out)
		out = append(out, kv)
	}
	return out
}

func containsName(env []string, name string) bool {
	for _, kv := range env {
		if n, _, _ := strings.Cut(kv, "="); n == name {
			return true
		}
	}
	return false
}

// keyJournal reads every journal record of keyID under the lab's state dir,
// in file and line order.
func (l *inprocLab) keyJournal(t *testing.T, keyID string) []journal.Record {
	t.Helper()
	recs, _, err := journal.ReadKey(l.stateDir(), keyID)
	if err != nil {
		t.Fatalf("read journal of %s: %v", keyID, err)
	}
	return recs
}

// normalState is the lab's canonical state (lab.Server.StateJSON) with what
// legitimately differs between two equivalent runs made uniform: AccessKey
// IDs generated during the run (a rotation's new key) are renamed by owner
// and creation order, and every timestamp is blanked (they record when a call
// happened). Everything else — users, key statuses, network ACLs, custom
// policies with every version and the default version, attachments, groups,
// login profiles, MFA devices, the recycle bin — must match exactly.
func normalState(t *testing.T, l *inprocLab) string {
	t.Helper()
	var st map[string]any
	if err := json.Unmarshal(l.srv.StateJSON(), &st); err != nil {
		t.Fatal(err)
	}
	rename := map[string]string{}
	if keys, ok := st["access_keys"].(map[string]any); ok {
		type nk struct{ id, owner, created string }
		var fresh []nk
		for id, v := range keys {
			if l.initialKeys[id] {
				continue
			}
			m, _ := v.(map[string]any)
			owner, _ := m["owner"].(string)
			created, _ := m["create_date"].(string)
			fresh = append(fresh, nk{id, owner, created})
		}
		sort.Slice(fresh, func(i, j int) bool {
			if fresh[i].owner != fresh[j].owner {
				return fresh[i].owner < fresh[j].owner
			}
			if fresh[i].created != fresh[j].created {
				return fresh[i].created < fresh[j].created
			}
			return fresh[i].id < fresh[j].id
		})
		n := map[string]int{}
		for _, k := range fresh {
			n[k.owner]++
			rename[k.id] = "NEWKEY-" + k.owner + "-" + itoa(n[k.owner])
		}
	}
	b, err := json.Marshal(blankTimes(st))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for from, to := range rename {
		s = strings.ReplaceAll(s, from, to)
	}
	// Renamed map keys sort differently: decode and encode again.
	var renamed any
	if err := json.Unmarshal([]byte(s), &renamed); err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(renamed, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// blankTimes replaces every RFC 3339 timestamp string in v with "<time>".
func blankTimes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = blankTimes(e)
		}
	case []any:
		for i := range x {
			x[i] = blankTimes(x[i])
		}
	case string:
		if _, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return "<time>"
		}
	}
	return v
}

// newKeyFile is the JSON rotate's --secret-file hand-over writes.
type newKeyFile struct {
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
}

func readNewKey(t *testing.T, path string) newKeyFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the rotation's secret file: %v", err)
	}
	var k newKeyFile
	if err := json.Unmarshal(b, &k); err != nil || k.AccessKeyID == "" || k.AccessKeySecret == "" {
		t.Fatalf("secret file %s holds no key: %v", path, err)
	}
	return k
}

// useKey makes one call with the key from ip (the application switching to
// the rotated key), retrying what the lab's fault knobs break.
func useKey(t *testing.T, l *inprocLab, k newKeyFile, ip string) {
	t.Helper()
	cfg := &openapi.Config{
		AccessKeyId:     tea.String(k.AccessKeyID),
		AccessKeySecret: tea.String(k.AccessKeySecret),
		Endpoint:        tea.String(l.srv.Addr()),
		Protocol:        tea.String("http"),
		RegionId:        tea.String("cn-hangzhou"),
		ReadTimeout:     tea.Int(10000),
		ConnectTimeout:  tea.Int(5000),
		HttpClient:      newSourceClient(ip),
	}
	c, err := ram.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var last error
	for range 20 {
		if _, last = c.GetUser(&ram.GetUserRequest{UserName: tea.String(l.note(t, "leaked_user"))}); last == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the application could not use the new key %s: %v", k.AccessKeyID, last)
}

// started is an akresp process running in the background.
type started struct {
	cmd       *exec.Cmd
	out, errb *bytes.Buffer
	done      chan struct{}
	err       error
}

func (l *inprocLab) start(t *testing.T, principal string, args ...string) *started {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = mergeEnv(os.Environ(), l.env(t, principal))
	s := &started{cmd: cmd, out: &bytes.Buffer{}, errb: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.out, s.errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// wait waits for the process and returns its result.
func (s *started) wait(t *testing.T) result {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(2 * time.Minute):
		_ = s.cmd.Process.Kill()
		<-s.done
		t.Fatalf("akresp %v did not finish in 2 minutes", s.cmd.Args[1:])
	}
	return result{args: s.cmd.Args[1:], stdout: s.out.String(), stderr: s.errb.String(), code: exitCode(s.err)}
}

// waitFor polls cond every 5ms until it holds, failing after a minute or if
// the process ends first.
func (s *started) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		select {
		case <-s.done:
			if cond() {
				return
			}
			t.Fatalf("akresp %v ended before %s:\nstdout:\n%s\nstderr:\n%s", s.cmd.Args[1:], what, s.out, s.errb)
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatalf("no %s within a minute", what)
}
