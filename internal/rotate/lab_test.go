package rotate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/redact"
	"github.com/akresp/akresp/internal/rotate"
)

func TestMain(m *testing.M) {
	// Never let credentials-go probe the ECS metadata service.
	os.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	// The tests' fixed key IDs must not meet another test binary's per-user key lock.
	locks, _ := os.MkdirTemp("", "akresp-rotate-test-locks")
	os.Setenv("AKRESP_LOCK_DIR", locks)
	code := m.Run()
	os.RemoveAll(locks)
	os.Exit(code)
}

const (
	appKey      = "LTAI5tSMALLAPP0000000001" // rotated
	inactiveKey = "LTAI5tSMALLAPP0000000002" // the app user's second, Inactive key
)

type labClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *labClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond) // distinct journal names per run
	return c.t
}

func (c *labClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type labEnv struct {
	t     *testing.T
	srv   *lab.Server
	clock *labClock
	info  *lab.ScenarioInfo
	admin *cloud.Clients
	dir   string
}

func startLab(t *testing.T) *labEnv {
	t.Helper()
	sc, err := lab.LoadScenario(filepath.Join("..", "..", "testdata", "scenarios", "small.json"))
	if err != nil {
		t.Fatal(err)
	}
	clk := &labClock{t: time.Now().UTC().Truncate(time.Second)}
	w, info, err := sc.Build(clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := lab.New(lab.Options{Addr: "127.0.0.1:0", World: w, Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	env := &labEnv{t: t, srv: srv, clock: clk, info: info, dir: t.TempDir()}
	admin := info.Credentials["admin"]
	env.admin = env.client(admin.AccessKeyID, admin.AccessKeySecret, "")
	return env
}

func (e *labEnv) client(id, secret, localAddr string) *cloud.Clients {
	e.t.Helper()
	c, err := cloud.New(context.Background(), cloud.Config{
		Region: "cn-hangzhou", Endpoint: "http://" + e.srv.Addr(), LocalAddr: localAddr, MaxAttempts: 1, Timeout: 5 * time.Second,
		Credential: &cloud.StaticCredential{AccessKeyID: id, AccessKeySecret: redact.Secret(secret)},
		RateScale:  1000, // the lab does not throttle; keep the test fast
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *labEnv) options(mod func(*rotate.Options)) rotate.Options {
	o := rotate.Options{
		KeyID: appKey, StateDir: filepath.Join(e.dir, "state"), Cloud: rotate.FromCloud(e.admin),
		Handover: rotate.FileHandover{Path: filepath.Join(e.dir, "new-key.json")},
		QuietFor: time.Hour, Observe: time.Hour, PollInterval: 10 * time.Minute, Now: e.clock.Now,
		Sleep: func(ctx context.Context, d time.Duration) error { e.clock.Advance(d); return nil },
	}
	if mod != nil {
		mod(&o)
	}
	return o
}

func (e *labEnv) machine(mod func(*rotate.Options)) *rotate.Machine {
	e.t.Helper()
	m, err := rotate.New(e.options(mod))
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *labEnv) keyStatus(id string) string {
	k := e.srv.Snapshot().AccessKeys[id]
	if k == nil {
		return "absent"
	}
	return k.Status
}

// call makes one API call with a key from a source address, as an
// application would, and returns its error.
func (e *labEnv) call(id, secret, from string) error {
	_, err := e.client(id, secret, from).GetCallerIdentity(context.Background())
	return err
}

func exitCode(err error) int {
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	if err != nil {
		return 1
	}
	return 0
}

// TestLabRotation drives a whole rotation against the lab through the real
// SDK clients: the two-key limit, a crash between CreateAccessKey and the
// hand-over, cut-over evidence, a missed application found after the
// disable, a rollback, the resumed rotation and the final delete.
func TestLabRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("lab-backed")
	}
	e := startLab(t)
	ctx := context.Background()
	oldSecret := e.info.Credentials["app"].AccessKeySecret

	// 1. Two-key limit: the app user also has an Inactive key.
	before := e.srv.StateJSON()
	_, err := e.machine(nil).Run(ctx)
	if exitCode(err) != 4 || !strings.Contains(err.Error(), inactiveKey) {
		t.Fatalf("two-key limit: %v", err)
	}
	if !bytes.Equal(before, e.srv.StateJSON()) {
		t.Fatal("refused run changed the lab")
	}

	// 2. --force deletes the inactive key; the run "dies" right after
	// CreateAccessKey, before the hand-over.
	crash := errors.New("killed")
	_, err = e.machine(func(o *rotate.Options) {
		o.Force = true
		o.AfterStep = func(s rotate.Step) error {
			if s == rotate.StepCreated {
				return crash
			}
			return nil
		}
	}).Run(ctx)
	if !errors.Is(err, crash) {
		t.Fatalf("crash run: %v", err)
	}
	if e.keyStatus(inactiveKey) != "absent" {
		t.Fatal("inactive key not deleted with --force")
	}
	st, _ := rotate.LoadState(filepath.Join(e.dir, "state"), appKey)
	lost := st.NewKeyID
	if e.keyStatus(lost) != "Active" {
		t.Fatalf("lost key %s: %s", lost, e.keyStatus(lost))
	}
	// The same command resumes: the key whose secret nobody has is deleted
	// and a fresh one handed over.
	rep, err := e.machine(nil).Run(ctx)
	if err != nil || rep.Step != rotate.StepHandedOver {
		t.Fatalf("resume: %v", err)
	}
	if e.keyStatus(lost) != "absent" || rep.NewKeyID == lost || e.keyStatus(rep.NewKeyID) != "Active" {
		t.Fatalf("after resume: lost %s new %s (%s)", e.keyStatus(lost), rep.NewKeyID, e.keyStatus(rep.NewKeyID))
	}
	newKey := rep.NewKeyID
	var doc struct{ AccessKeyID, AccessKeySecret string }
	b, _ := os.ReadFile(filepath.Join(e.dir, "new-key.json"))
	var raw map[string]string
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	doc.AccessKeyID, doc.AccessKeySecret = raw["access_key_id"], raw["access_key_secret"]
	if doc.AccessKeyID != newKey {
		t.Fatalf("secret file holds %s, want %s", doc.AccessKeyID, newKey)
	}

	// 3. The office app switches to the new key (the secret works); a batch
	// job keeps using the old key for now.
	if err := e.call(newKey, doc.AccessKeySecret, "127.0.0.10"); err != nil {
		t.Fatalf("new key does not work: %v", err)
	}
	if err := e.call(appKey, oldSecret, "127.0.0.20"); err != nil {
		t.Fatal(err)
	}
	rep, err = e.machine(nil).Run(ctx)
	if err != nil || rep.Step != rotate.StepHandedOver || rep.Evidence == nil || len(rep.Evidence.OldCallers) == 0 || rep.Evidence.OldCallers[0].IP != "127.0.0.20" {
		t.Fatalf("cut-over evidence: %v %+v", err, rep.Evidence)
	}
	if !strings.Contains(rep.WaitingFor, "127.0.0.20") {
		t.Errorf("waiting %q does not name the old key's caller", rep.WaitingFor)
	}

	// 4. Quiet for long enough: the old key is disabled. The batch job was
	// missed: its next call fails and the verification catches it.
	e.clock.Advance(2 * time.Hour)
	rep, err = e.machine(nil).Run(ctx)
	if err != nil || rep.Step != rotate.StepDisabled || e.keyStatus(appKey) != "Inactive" {
		t.Fatalf("disable: %v %s %s", err, rep.Step, e.keyStatus(appKey))
	}
	e.clock.Advance(time.Minute)
	if err := e.call(appKey, oldSecret, "127.0.0.20"); err == nil {
		t.Fatal("disabled key still works")
	}
	rep, err = e.machine(func(o *rotate.Options) { o.Wait = true }).Run(ctx)
	var missed *rotate.MissedApplicationError
	if !errors.As(err, &missed) || len(rep.Evidence.Failures) == 0 || rep.Evidence.Failures[0].SourceIP != "127.0.0.20" {
		t.Fatalf("verification: %v", err)
	}

	// 5. Rollback re-enables the old key and keeps the new one.
	rep, err = e.machine(nil).Rollback(ctx)
	if err != nil || rep.Step != rotate.StepRolledBack || e.keyStatus(appKey) != "Active" || e.keyStatus(newKey) != "Active" {
		t.Fatalf("rollback: %v old %s new %s", err, e.keyStatus(appKey), e.keyStatus(newKey))
	}
	if err := e.call(appKey, oldSecret, "127.0.0.20"); err != nil {
		t.Fatalf("old key after rollback: %v", err)
	}

	// 6. The batch job switches too; the rotation resumes with the kept key
	// and --wait carries it through disable and observation.
	if err := e.call(newKey, doc.AccessKeySecret, "127.0.0.20"); err != nil {
		t.Fatal(err)
	}
	rep, err = e.machine(func(o *rotate.Options) { o.Wait = true; o.Handover = nil }).Run(ctx)
	if err != nil || rep.Step != rotate.StepVerified {
		t.Fatalf("resumed rotation: %v %+v", err, rep)
	}

	// 7. Delete, as its own step.
	rep, err = e.machine(func(o *rotate.Options) { o.Handover = nil }).Delete(ctx)
	if err != nil || !rep.Complete {
		t.Fatalf("delete: %v", err)
	}
	w := e.srv.Snapshot()
	if _, ok := w.AccessKeys[appKey]; ok {
		t.Error("old key still exists")
	}
	if _, ok := w.RecycleBin[appKey]; !ok {
		t.Error("old key not in the recycle bin")
	}

	// The journal tells the true story, with nothing left pending.
	recs, _, err := journal.ReadKey(filepath.Join(e.dir, "state"), appKey)
	if err != nil {
		t.Fatal(err)
	}
	var story []string
	for _, r := range recs {
		if r.Kind == journal.KindOutcome {
			story = append(story, r.Action+"="+r.Result)
		}
	}
	want := "delete-inactive-key=ok,create-access-key=ok,delete-lost-key=ok,create-access-key=ok,hand-over-secret=ok," +
		"disable-old-key=ok,enable-old-key=ok,disable-old-key=ok,delete-old-key=ok"
	if got := strings.Join(story, ","); got != want {
		t.Errorf("journal outcomes\n got %s\nwant %s", got, want)
	}
	if p := journal.Pending(recs); len(p) != 0 {
		t.Errorf("pending intents: %+v", p)
	}
	// The new secret is nowhere under the state directory.
	filepath.Walk(filepath.Join(e.dir, "state"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(doc.AccessKeySecret)) {
				t.Errorf("new secret found in %s", p)
			}
		}
		return nil
	})
}

// TestLabRollbackDeleteNew abandons a rotation: the new key is deleted too.
func TestLabRollbackDeleteNew(t *testing.T) {
	e := startLab(t)
	ctx := context.Background()
	rep, err := e.machine(func(o *rotate.Options) { o.Force = true }).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	newKey := rep.NewKeyID
	rep, err = e.machine(func(o *rotate.Options) { o.DeleteNew = true }).Rollback(ctx)
	if err != nil || !rep.NewKeyDeleted || e.keyStatus(newKey) != "absent" || e.keyStatus(appKey) != "Active" {
		t.Fatalf("rollback --delete-new: %v new %s old %s", err, e.keyStatus(newKey), e.keyStatus(appKey))
	}
}
