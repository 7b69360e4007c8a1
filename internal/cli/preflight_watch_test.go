package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/preflight"
	"github.com/akresp/akresp/internal/watch"
)

func (l *leakCLI) preflightJSON(args ...string) (int, preflight.Result, string) {
	l.t.Helper()
	code, out, errOut := l.run(append([]string{"preflight", "-o", "json"}, args...)...)
	var r preflight.Result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		l.t.Fatalf("preflight %v: exit %d, not JSON: %v\n%s%s", args, code, err, out, errOut)
	}
	return code, r, errOut
}

// TestPreflightLeakLab: on builtin:leak, preflight holds every check in
// -o json, warns about the root key and the console users without MFA,
// fails on Insights disabled (exit 3 with --fail-on fail) until --fix
// enables it, after which the Insights check passes.
func TestPreflightLeakLab(t *testing.T) {
	l := newLeakCLI(t)
	code, r, errOut := l.preflightJSON()
	if code != ExitOK {
		t.Fatalf("preflight: exit %d\n%s", code, errOut)
	}
	wantIDs := []string{preflight.CheckTrailExists, preflight.CheckTrailLogging, preflight.CheckTrailRegions, preflight.CheckTrailEvents,
		preflight.CheckTrailDelivery, preflight.CheckInsights, preflight.CheckRootKey, preflight.CheckConsoleMFA,
		preflight.CheckAccountACL, preflight.CheckPermissions, preflight.CheckSecurityCenter}
	var ids []string
	for _, c := range r.Checks {
		ids = append(ids, c.ID)
	}
	if !slices.Equal(ids, wantIDs) {
		t.Fatalf("checks = %v, want %v", ids, wantIDs)
	}
	status := func(r preflight.Result, id string) *preflight.Check {
		t.Helper()
		c := r.Check(id)
		if c == nil {
			t.Fatalf("no check %s", id)
		}
		return c
	}
	if c := status(r, preflight.CheckRootKey); c.Status != preflight.Warn {
		t.Errorf("root key: %s %s, want warn", c.Status, c.Detail)
	}
	if c := status(r, preflight.CheckConsoleMFA); c.Status != preflight.Warn || !slices.Contains(c.Items, "alice") || slices.Contains(c.Items, "bob") || slices.Contains(c.Items, "admin") {
		t.Errorf("MFA: %s %v, want warn naming alice but not bob or admin", c.Status, c.Items)
	}
	if c := status(r, preflight.CheckInsights); c.Status != preflight.Fail || !slices.Contains(c.Items, "AkInsight") || c.FixCommand != "akresp preflight --fix" {
		t.Errorf("insights: %+v, want fail naming AkInsight", c)
	}
	for _, id := range []string{preflight.CheckTrailExists, preflight.CheckTrailLogging, preflight.CheckTrailRegions, preflight.CheckTrailDelivery, preflight.CheckPermissions, preflight.CheckSecurityCenter} {
		if c := status(r, id); c.Status != preflight.Pass {
			t.Errorf("%s: %s %s, want pass", id, c.Status, c.Detail)
		}
	}
	if d := status(r, preflight.CheckTrailDelivery).Detail; !strings.Contains(d, "OSS bucket acme-actiontrail-archive") {
		t.Errorf("delivery detail %q does not name the OSS bucket", d)
	}
	if code, _, _ := l.preflightJSON("--fail-on", "fail"); code != ExitFindings {
		t.Fatalf("--fail-on fail with Insights off: exit %d, want %d", code, ExitFindings)
	}
	// Without a terminal and without --yes, --fix refuses and changes nothing.
	if code, _, errOut := l.run("preflight", "--fix"); code != ExitUsage || !strings.Contains(errOut, "--yes") {
		t.Fatalf("--fix without --yes: exit %d\n%s", code, errOut)
	}
	code, r, errOut = l.preflightJSON("--fix", "--yes", "--fail-on", "fail")
	if code != ExitOK {
		t.Fatalf("--fix --yes: exit %d\n%s", code, errOut)
	}
	if c := status(r, preflight.CheckInsights); c.Status != preflight.Pass {
		t.Fatalf("insights after --fix: %+v", c)
	}
	if !slices.Contains(r.Fixed, "EnableInsight AkInsight") {
		t.Fatalf("fixed = %v", r.Fixed)
	}
	if _, r, _ = l.preflightJSON(); status(r, preflight.CheckInsights).Status != preflight.Pass {
		t.Fatal("Insights not enabled for the next run")
	}
}

// drill makes the lab drill through `akresp lab call`: the leaked key
// calls 200 times from 127.0.0.66 and the root key once.
func (l *leakCLI) drill() {
	l.t.Helper()
	l.drillIn("cn-hangzhou", 200)
}

// drillIn is the drill with the leaked key's n calls made in region (ECS
// is regional: the events land in that region's ActionTrail; the root
// key's RAM call is global).
func (l *leakCLI) drillIn(region string, n int) {
	l.t.Helper()
	li := LabInfo{SchemaVersion: LabInfoSchema, Endpoint: l.srv.Addr(), Region: l.info.Region, AccountID: l.info.AccountID, Credentials: map[string]LabCredential{}}
	for n, c := range l.info.Credentials {
		li.Credentials[n] = LabCredential{AccessKeyID: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret}
	}
	b, _ := json.Marshal(li)
	info := filepath.Join(l.t.TempDir(), "lab.json")
	if err := os.WriteFile(info, b, 0o600); err != nil {
		l.t.Fatal(err)
	}
	if code, _, errOut := l.run("lab", "call", "--info", info, "--as", "app-prod", "--from", "127.0.0.66", "--repeat", fmt.Sprint(n), "ecs", "DescribeInstances", "RegionId="+region); code != ExitOK {
		l.t.Fatalf("drill (leaked key): exit %d\n%s", code, errOut)
	}
	if code, _, errOut := l.run("lab", "call", "--info", info, "--as", "root", "--from", "127.0.0.10", "ram", "ListUsers"); code != ExitOK {
		l.t.Fatalf("drill (root key): exit %d\n%s", code, errOut)
	}
}

// TestWatchDrillLab: after the drill, three consecutive watch --once
// --window 30m runs deliver exactly two alerts in all, once each: the
// frequency of the leaked key and the root key's use, to a webhook test
// server, and the same two as JSON lines on stdout with a fresh state.
func TestWatchDrillLab(t *testing.T) {
	l := newLeakCLI(t)
	l.drill()
	leaked, root := l.info.Notes["leaked_key_id"], l.info.Notes["root_key_id"]

	var mu sync.Mutex
	var got []watch.Alert
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var a watch.Alert
		if err := json.Unmarshal(b, &a); err != nil || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("webhook body %q: %v", b, err)
		}
		mu.Lock()
		got = append(got, a)
		mu.Unlock()
	}))
	defer hook.Close()
	for i := 0; i < 3; i++ {
		if code, out, errOut := l.run("watch", "--once", "--window", "30m", "--webhook", hook.URL); code != ExitOK || out != "" {
			t.Fatalf("watch run %d: exit %d\nstdout %q\n%s", i+1, code, out, errOut)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("webhook received %d alerts, want 2: %+v", len(got), got)
	}
	byRule := map[string]watch.Alert{}
	for _, a := range got {
		byRule[a.Rule] = a
	}
	if a := byRule[watch.RuleFrequency]; a.AccessKeyID != leaked || a.Count != 200 || !slices.Equal(a.SourceIPs, []string{"127.0.0.66"}) || !strings.HasPrefix(a.Investigate, "akresp audit "+leaked) {
		t.Errorf("frequency alert = %+v", a)
	}
	if a := byRule[watch.RuleRootKey]; a.AccessKeyID != root || a.Count != 1 || a.IdentityType != "root-account" {
		t.Errorf("root alert = %+v", a)
	}

	// A fresh state directory: the same two alerts, as JSON lines.
	l.stateDir = filepath.Join(t.TempDir(), "state2")
	code, out, errOut := l.run("watch", "--once", "--window", "30m")
	if code != ExitOK {
		t.Fatalf("watch to stdout: exit %d\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("stdout has %d lines, want 2:\n%s", len(lines), out)
	}
	schema := compileSchema(t, "watch-alert")
	for _, ln := range lines {
		var a watch.Alert
		if err := json.Unmarshal([]byte(ln), &a); err != nil || a.SchemaVersion != watch.AlertSchema {
			t.Fatalf("line %q: %v", ln, err)
		}
		// Each line is a document of the JSON vocabulary (docs/json.md).
		for _, p := range checkJSONVocabulary([]byte(ln)) {
			t.Errorf("alert line %s: %s", ln, p)
		}
		if err := validateDoc(schema, []byte(ln)); err != nil {
			t.Errorf("alert line %s: not valid against docs/schema/watch-alert.json: %v", ln, err)
		}
	}
}

// TestAuditShowsLabAkInsight: with Insights enabled (preflight --fix), the
// drill's burst is an AkInsight of the leaked key in the lab, and audit of
// the key shows it as finding INSIGHT-AK citing the Insights event ID; watch
// reports it too.
func TestAuditShowsLabAkInsight(t *testing.T) {
	l := newLeakCLI(t)
	if code, _, errOut := l.run("preflight", "--fix", "--yes"); code != ExitOK {
		t.Fatalf("preflight --fix: exit %d\n%s", code, errOut)
	}
	l.drill()
	leaked := l.info.Notes["leaked_key_id"]
	code, out, errOut := l.run("audit", leaked, "--since", "1d", "-o", "json")
	if code != ExitOK {
		t.Fatalf("audit: exit %d\n%s", code, errOut)
	}
	var r struct {
		Findings []struct {
			ID       string `json:"id"`
			Evidence []struct {
				EventID string `json:"event_id"`
				Name    string `json:"name"`
			} `json:"evidence"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	var insightID string
	for _, f := range r.Findings {
		if f.ID == "INSIGHT-AK" && len(f.Evidence) == 1 && f.Evidence[0].Name == "AkInsight" {
			insightID = f.Evidence[0].EventID
		}
	}
	if insightID == "" {
		t.Fatalf("no INSIGHT-AK finding:\n%s", out)
	}
	// The lab's own answer names the same Insights event.
	evs, err := adminClients(t, l.srv, l.info, "cn-hangzhou").LookupInsightEvents(context.Background(), cloud.InsightQuery{AttributeKey: "InsightObject", AttributeValue: leaked})
	if err != nil || len(evs) != 1 || evs[0].EventID != insightID || evs[0].Type != "AkInsight" {
		t.Fatalf("lab Insights events of %s = %+v (%v), want one AkInsight %s", leaked, evs, err, insightID)
	}
	code, out, errOut = l.run("watch", "--once")
	if code != ExitOK {
		t.Fatalf("watch: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, `"insight_event_id":"`+insightID+`"`) || !strings.Contains(out, `"insight_object":"`+leaked+`"`) {
		t.Fatalf("watch does not report Insights event %s:\n%s", insightID, out)
	}
}

// TestWatchEndsOnCancel: without --once, watch evaluates at once, then
// waits for the next tick; cancelling its context (what SIGTERM does in
// cmd/akresp) ends it cleanly with exit 0 after saving the state.
func TestWatchEndsOnCancel(t *testing.T) {
	l := newLeakCLI(t)
	l.drill()
	ios, _, out, errOut := TestStreams()
	f := NewFactory(ios)
	f.Version = "v0.0.0-test"
	f.Cloud = func(ctx context.Context) (*cloud.Clients, error) {
		return cloud.New(ctx, cloud.Config{Endpoint: l.endpoint, RateScale: 1000, MaxAttempts: 1, Version: f.Version})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, f, []string{"--endpoint", l.endpoint, "--state-dir", l.stateDir, "watch", "--interval", "1m", "--no-insights"})
	}()
	// The first evaluation is over once its state is saved (polling the
	// file, not the streams the command is writing).
	statePath := filepath.Join(l.stateDir, "watch", "state.json")
	deadline := time.After(20 * time.Second)
	for {
		if _, err := os.Stat(statePath); err == nil {
			break
		}
		select {
		case <-deadline:
			cancel()
			<-done
			t.Fatalf("no evaluation within 20s\n%s%s", out.String(), errOut.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != ExitOK || !strings.Contains(errOut.String(), "watch stopped") || !strings.Contains(out.String(), `"rule":"root_key_used"`) {
			t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not stop after cancel")
	}
	// The state was saved: a --once run now has nothing new.
	if code, o, e := l.run("watch", "--once", "--no-insights"); code != ExitOK || o != "" {
		t.Fatalf("after the loop: exit %d, stdout %q\n%s", code, o, e)
	}
}
