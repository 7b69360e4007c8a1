package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/leaks"
)

// leakCLI runs akresp against a fresh builtin:leak lab with the admin's
// credentials and one state dir.
type leakCLI struct {
	t        *testing.T
	srv      *lab.Server
	info     *lab.ScenarioInfo
	stateDir string
	endpoint string
}

func newLeakCLI(t *testing.T) *leakCLI {
	t.Helper()
	srv, info := serveScenario(t, "builtin:leak")
	asLabAdmin(t, info)
	return &leakCLI{t: t, srv: srv, info: info, stateDir: filepath.Join(t.TempDir(), "state"), endpoint: "http://" + srv.Addr()}
}

func (l *leakCLI) run(args ...string) (int, string, string) {
	l.t.Helper()
	ios, _, out, errOut := TestStreams()
	f := NewFactory(ios)
	f.Version = "v0.0.0-test"
	f.Cloud = func(ctx context.Context) (*cloud.Clients, error) {
		return cloud.New(ctx, cloud.Config{Endpoint: l.endpoint, RateScale: 1000, MaxAttempts: 1, Version: f.Version})
	}
	code := Run(context.Background(), f, append([]string{"--endpoint", l.endpoint, "--state-dir", l.stateDir}, args...))
	for _, cred := range l.info.Credentials {
		if strings.Contains(out.String()+errOut.String(), cred.AccessKeySecret) {
			l.t.Fatalf("akresp %v printed a secret", args)
		}
	}
	return code, out.String(), errOut.String()
}

func (l *leakCLI) leaks(args ...string) leaksResult {
	l.t.Helper()
	code, out, errOut := l.run(append([]string{"leaks", "-o", "json"}, args...)...)
	if code != ExitOK {
		l.t.Fatalf("leaks %v: exit %d\n%s%s", args, code, out, errOut)
	}
	var res leaksResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		l.t.Fatalf("leaks JSON: %v\n%s", err, out)
	}
	return res
}

// builtin:leak: the leaked key is listed pending with its owner and next
// step contain; resolve refuses before containment (exit 4, nothing
// changed) and marks the record handled after it, journaled.
func TestLeaksListAndResolveLab(t *testing.T) {
	l := newLeakCLI(t)
	key := l.info.Notes["leaked_key_id"]

	res := l.leaks()
	if res.Count != 1 || len(res.Leaks) != 1 {
		t.Fatalf("pending leaks: %+v", res)
	}
	row := res.Leaks[0]
	if row.KeyID != key || row.Status != leaks.StatusPending || row.Key.Owner != l.info.Notes["leaked_user"] ||
		row.Key.Status != "Active" || row.URL != l.info.Notes["leak_record_url"] || row.SecretValidity != "valid" ||
		row.Key.LastUsed.IsZero() || row.Incident.Contained || row.Resolvable {
		t.Fatalf("row: %+v", row)
	}
	if row.Next != "akresp contain "+key {
		t.Fatalf("next step %q, want contain", row.Next)
	}
	code, out, _ := l.run("leaks", "-o", "csv")
	if code != ExitOK || !strings.Contains(out, "akresp contain "+key) || !strings.HasPrefix(out, "key,status,found") {
		t.Fatalf("csv: exit %d\n%s", code, out)
	}

	code, out, errOut := l.run("leaks", "resolve", key, "--yes")
	if code != ExitSafetyRail || !strings.Contains(errOut, "leak-not-contained") || !strings.Contains(errOut, "akresp contain "+key) {
		t.Fatalf("resolve before contain: exit %d\n%s%s", code, out, errOut)
	}
	if got := l.leaks(); got.Count != 1 {
		t.Fatalf("a refused resolve changed the record: %+v", got)
	}

	if code, out, errOut := l.run("contain", key, "--allow-ip", l.info.Notes["office_cidr"], "--yes"); code != ExitOK {
		t.Fatalf("contain: exit %d\n%s%s", code, out, errOut)
	}
	row = l.leaks().Leaks[0]
	if !row.Incident.Contained || !row.Resolvable || (row.Next != "akresp rotate "+key && row.Next != "akresp disable "+key) {
		t.Fatalf("after contain: %+v", row)
	}
	if code, out, errOut := l.run("leaks", "resolve", key, "--dry-run"); code != ExitOK || l.leaks().Count != 1 {
		t.Fatalf("dry run: exit %d (or it changed the record)\n%s%s", code, out, errOut)
	}
	code, out, errOut = l.run("leaks", "resolve", key, "--yes", "-o", "json")
	if code != ExitOK {
		t.Fatalf("resolve: exit %d\n%s%s", code, out, errOut)
	}
	var rr leaksResolveResult
	if err := json.Unmarshal([]byte(out), &rr); err != nil || rr.Outcome != "resolved" || len(rr.Records) != 1 ||
		rr.Records[0].Result != "ok" || rr.Records[0].RequestID == "" || rr.DealType != cloud.LeakDealManual {
		t.Fatalf("resolve result: %v %+v", err, rr)
	}
	if got := l.leaks(); got.Count != 0 {
		t.Fatalf("still pending after resolve: %+v", got)
	}
	handled := l.leaks("--status", "handled").Leaks
	if len(handled) != 1 || handled[0].HandledAt.IsZero() || handled[0].DealType != "manual" || handled[0].Next != "" {
		t.Fatalf("handled: %+v", handled)
	}
	// Journaled under the key.
	files, _ := filepath.Glob(filepath.Join(l.stateDir, key, "*-"+leaks.CommandResolve+".jsonl"))
	if len(files) != 1 {
		t.Fatalf("resolve journals: %v", files)
	}
	b, _ := os.ReadFile(files[0])
	if !strings.Contains(string(b), `"action":"`+leaks.ActionResolve+`"`) || !strings.Contains(string(b), `"result":"ok"`) {
		t.Fatalf("journal:\n%s", b)
	}
	// Again: nothing left to do.
	if code, out, errOut := l.run("leaks", "resolve", key, "--yes"); code != ExitOK || !strings.Contains(out, "already handled") {
		t.Fatalf("second resolve: exit %d\n%s%s", code, out, errOut)
	}
	// A key without a record is an error, not a success.
	if code, _, errOut := l.run("leaks", "resolve", l.info.Notes["idle_key_id"], "--yes"); code != ExitRuntime || !strings.Contains(errOut, "no Security Center leak record") {
		t.Fatalf("no record: exit %d\n%s", code, errOut)
	}
}

func TestLeaksUsageErrors(t *testing.T) {
	l := newLeakCLI(t)
	for _, args := range [][]string{
		{"leaks", "--status", "open"},
		{"leaks", "--key", "not-a-key"},
		{"leaks", "resolve"},
		{"leaks", "resolve", "LTAI-bad"},
	} {
		if code, _, errOut := l.run(args...); code != ExitUsage || errOut == "" {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errOut)
		}
	}
}
