package cli

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/cloud/slsq"
	"github.com/akresp/akresp/internal/lab/slsemu"
	"github.com/akresp/akresp/internal/redact"
	"github.com/akresp/akresp/internal/watch"
)

// watchLines runs watch with args in stateDir and returns its alerts.
func (l *leakCLI) watchLines(stateDir string, args ...string) ([]watch.Alert, string) {
	l.t.Helper()
	saved := l.stateDir
	l.stateDir = stateDir
	defer func() { l.stateDir = saved }()
	code, out, errOut := l.run(append([]string{"watch", "--once", "--window", "30m"}, args...)...)
	if code != ExitOK {
		l.t.Fatalf("watch %v: exit %d\n%s%s", args, code, out, errOut)
	}
	var alerts []watch.Alert
	for _, ln := range strings.Split(strings.TrimSpace(out), "\n") {
		if ln == "" {
			continue
		}
		var a watch.Alert
		if err := json.Unmarshal([]byte(ln), &a); err != nil || a.SchemaVersion != watch.AlertSchema {
			l.t.Fatalf("watch %v: line %q: %v", args, ln, err)
		}
		alerts = append(alerts, a)
	}
	return alerts, errOut
}

// TestWatchDrillOtherRegionLab: the drill's burst made in us-west-1 (ECS
// is regional) is invisible to a watch that reads only the configured
// region, cn-hangzhou; the default watch reads every region and, over three
// consecutive --once runs, alerts on it exactly once with every call
// counted once, and on the root key's global call (which every region
// returns) exactly once.
func TestWatchDrillOtherRegionLab(t *testing.T) {
	l := newLeakCLI(t)
	l.drillIn("us-west-1", 200)
	leaked, root := l.info.Notes["leaked_key_id"], l.info.Notes["root_key_id"]

	home, _ := l.watchLines(filepath.Join(t.TempDir(), "home-only"), "--regions", "cn-hangzhou")
	if len(home) != 1 || home[0].Rule != watch.RuleRootKey {
		t.Fatalf("--regions cn-hangzhou: %+v, want only the root key's alert (the burst is in us-west-1)", home)
	}

	var all []watch.Alert
	for i := 0; i < 3; i++ {
		a, errOut := l.watchLines(l.stateDir)
		if strings.Contains(errOut, "warning") {
			t.Fatalf("run %d: %s", i+1, errOut)
		}
		all = append(all, a...)
	}
	if len(all) != 2 {
		t.Fatalf("three runs gave %d alerts, want 2: %+v", len(all), all)
	}
	byRule := map[string]watch.Alert{}
	for _, a := range all {
		byRule[a.Rule] = a
	}
	if a := byRule[watch.RuleFrequency]; a.AccessKeyID != leaked || a.Count != 200 || !slices.Equal(a.SourceIPs, []string{"127.0.0.66"}) {
		t.Errorf("frequency alert = %+v", a)
	}
	if a := byRule[watch.RuleRootKey]; a.AccessKeyID != root || a.Count != 1 {
		t.Errorf("root alert = %+v", a)
	}
}

// failingRegion is the lab's clients with one region's LookupEvents
// failing, as a throttled or unreachable endpoint would.
type failingRegion struct {
	*cloud.Clients
	region string
}

func (f failingRegion) LookupEventsIn(ctx context.Context, region string, q cloud.LookupQuery, page func([]json.RawMessage) error) error {
	if region == f.region {
		return errors.New("dial tcp: lookup actiontrail." + region + ".aliyuncs.com: no such host")
	}
	return f.Clients.LookupEventsIn(ctx, region, q, page)
}

// TestWatchRegionFailsLab: with the burst in us-west-1 and cn-shanghai's
// LookupEvents failing, watch still alerts on the burst (exit 0) and says
// once on stderr which region it could not read; stdout holds only the
// alert lines.
func TestWatchRegionFailsLab(t *testing.T) {
	l := newLeakCLI(t)
	l.drillIn("us-west-1", 200)
	ios, _, out, errOut := TestStreams()
	c := adminClients(t, l.srv, l.info, "cn-hangzhou")
	o := &WatchOptions{IO: ios, Now: time.Now, Once: true, Window: 30 * time.Minute, Interval: time.Minute,
		Threshold: watch.DefaultThreshold, Factor: watch.DefaultFactor, WebhookFormat: watch.FormatJSON, NoInsights: true, Regions: "all",
		Settings: func() (*Settings, error) { return &Settings{StateDir: l.stateDir}, nil },
		Backend:  func(context.Context) (watch.Cloud, error) { return failingRegion{c, "cn-shanghai"}, nil }}
	if err := validateWatch(newCmdWatch(NewFactory(ios), nil), o); err != nil {
		t.Fatal(err)
	}
	if err := runWatch(context.Background(), o); err != nil {
		t.Fatalf("watch: %v\n%s", err, errOut.String())
	}
	if n := strings.Count(errOut.String(), "region cn-shanghai could not be read"); n != 1 || !strings.Contains(errOut.String(), "no such host") {
		t.Fatalf("stderr names the failed region %d times, want once:\n%s", n, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(out.String(), `"rule":"ak_frequency"`) || !strings.Contains(out.String(), `"count":200`) {
		t.Fatalf("stdout:\n%s", out.String())
	}
}

// TestWatchRegionsFlag: --regions takes all or a list; used, which picks
// one key's regions, and --regions with --sls are usage errors.
func TestWatchRegionsFlag(t *testing.T) {
	l := newLeakCLI(t)
	for _, args := range [][]string{
		{"--regions", "used"},
		{"--regions", "cn-hangzhou,not a region"},
		{"--regions", "cn-hangzhou", "--sls", "trail-proj/actiontrail_main"},
		{"--sls-topic", "x"},
		{"--sls", "nope"},
	} {
		if code, _, errOut := l.run(append([]string{"watch", "--once"}, args...)...); code != ExitUsage {
			t.Errorf("watch %v: exit %d, want %d\n%s", args, code, ExitUsage, errOut)
		}
	}
}

// TestWatchSLSMatchesLookupLab: after the drill, watch --sls against the
// lab's SLS endpoint loaded with the lab's recorded events gives the same
// alerts, field for field, as the LookupEvents path, once across three
// runs; it does so without fetching the burst's events (its answers are a
// fraction of their size); and after a second burst, both paths alert on
// it alike, counting only the calls after the first alert.
func TestWatchSLSMatchesLookupLab(t *testing.T) {
	l := newLeakCLI(t)
	l.drill()
	admin := l.info.Credentials["admin"]
	emu, err := slsemu.New(slsemu.Options{Credentials: map[string]string{admin.AccessKeyID: admin.AccessKeySecret}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	const project, logstore = "trail-proj", "actiontrail_main"
	if err := emu.CreateLogstore(slsemu.LogstoreSpec{Project: project, Name: logstore}); err != nil {
		t.Fatal(err)
	}
	delivered := map[string]bool{}
	burstBytes := 0
	deliver := func() {
		t.Helper()
		var rows []slsemu.Row
		for _, ev := range l.srv.Events() {
			if delivered[ev.EventID] {
				continue
			}
			delivered[ev.EventID] = true
			raw := ev.MarshalRaw()
			if ev.UserIdentity.AccessKeyID == l.info.Notes["leaked_key_id"] && ev.EventName == "DescribeInstances" {
				burstBytes += len(raw)
			}
			rows = append(rows, slsemu.Row{Time: ev.Time.Unix(), Event: raw})
		}
		if err := emu.Append(context.Background(), project, logstore, rows); err != nil {
			t.Fatal(err)
		}
	}
	deliver()
	slsArgs := []string{"--sls", project + "/" + logstore, "--sls-endpoint", emu.Addr()}
	lookupDir, slsDir := filepath.Join(t.TempDir(), "lookup"), filepath.Join(t.TempDir(), "sls")
	norm := func(as []watch.Alert) []watch.Alert {
		out := slices.Clone(as)
		for i := range out {
			out[i].DetectedAt = time.Time{}
		}
		slices.SortFunc(out, func(a, b watch.Alert) int { return strings.Compare(a.ID, b.ID) })
		return out
	}

	want, _ := l.watchLines(lookupDir)
	emu.ResetStats()
	got, errOut := l.watchLines(slsDir, slsArgs...)
	if len(want) != 2 {
		t.Fatalf("LookupEvents path: %d alerts, want 2: %+v", len(want), want)
	}
	if diff := cmp.Diff(norm(want), norm(got)); diff != "" {
		t.Fatalf("--sls alerts differ from the LookupEvents path (-lookup +sls):\n%s\n%s", diff, errOut)
	}
	if st := emu.Stats(); st.GetLogs == 0 || st.RawBytesOut*4 > int64(burstBytes) {
		t.Errorf("--sls read %d bytes in %d GetLogs; the burst's events alone are %d bytes: the frequency rule must count in SLS", st.RawBytesOut, st.GetLogs, burstBytes)
	}
	for i := 0; i < 2; i++ {
		if again, _ := l.watchLines(slsDir, slsArgs...); len(again) != 0 {
			t.Fatalf("--sls run %d after the first: %+v", i+2, again)
		}
		if again, _ := l.watchLines(lookupDir); len(again) != 0 {
			t.Fatalf("LookupEvents run %d after the first: %+v", i+2, again)
		}
	}

	// A second burst, a second later: both paths count only the calls
	// after the covered mark (SLS asks that key's count again from the
	// mark on) and alert alike.
	time.Sleep(1100 * time.Millisecond)
	l.drillIn("cn-hangzhou", 150)
	deliver()
	want, _ = l.watchLines(lookupDir)
	got, errOut = l.watchLines(slsDir, slsArgs...)
	if len(want) != 2 || want[0].Rule == want[1].Rule {
		t.Fatalf("second burst, LookupEvents path: %+v", want)
	}
	for _, a := range want {
		if a.Rule == watch.RuleFrequency && (a.Count != 150 || a.Baseline == nil) {
			t.Fatalf("second burst: %d calls, baseline %v; want 150 against the quiet runs' baseline", a.Count, a.Baseline)
		}
	}
	if diff := cmp.Diff(norm(want), norm(got)); diff != "" {
		t.Fatalf("second burst: --sls alerts differ (-lookup +sls):\n%s\n%s", diff, errOut)
	}
}

// TestWatchInstallSLSAlertsLab: --install-sls-alerts prints the SLS alert
// rules as a plan on stdout and refuses without a terminal or --yes;
// --dry-run creates nothing; --yes creates the five rules in the lab's SLS
// project, and a second run leaves them unchanged. The installed
// ak_frequency and root_key_used queries, run on the drill's trail, name the
// leaked key (200 calls) and the root key: the rules would fire without
// akresp.
func TestWatchInstallSLSAlertsLab(t *testing.T) {
	l := newLeakCLI(t)
	l.drill()
	admin := l.info.Credentials["admin"]
	emu, err := slsemu.New(slsemu.Options{Credentials: map[string]string{admin.AccessKeyID: admin.AccessKeySecret}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	const project, logstore = "trail-proj", "actiontrail_main"
	if err := emu.CreateLogstore(slsemu.LogstoreSpec{Project: project, Name: logstore}); err != nil {
		t.Fatal(err)
	}
	var rows []slsemu.Row
	for _, ev := range l.srv.Events() {
		rows = append(rows, slsemu.Row{Time: ev.Time.Unix(), Event: ev.MarshalRaw()})
	}
	if err := emu.Append(context.Background(), project, logstore, rows); err != nil {
		t.Fatal(err)
	}
	args := []string{"watch", "--install-sls-alerts", "--sls", project + "/" + logstore, "--sls-endpoint", emu.Addr(), "--sls-action-policy", "oncall"}
	names := []string{"akresp-watch-ak-frequency", "akresp-watch-root-key-used", "akresp-watch-trail-stopped", "akresp-watch-persistence", "akresp-watch-scanner-user-agent"}

	for _, bad := range [][]string{
		{"watch", "--install-sls-alerts", "--sls-action-policy", "oncall"},
		{"watch", "--install-sls-alerts", "--sls", project + "/" + logstore},
		{"watch", "--sls", project + "/" + logstore, "--sls-action-policy", "oncall"},
		append(slices.Clone(args), "--once"),
	} {
		if code, _, errOut := l.run(bad...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", bad, code, ExitUsage, errOut)
		}
	}
	code, out, errOut := l.run(args...)
	if code != ExitUsage || !strings.Contains(errOut, "--yes") || len(emu.Alerts(project)) != 0 {
		t.Fatalf("without --yes: exit %d, %d rules\n%s", code, len(emu.Alerts(project)), errOut)
	}
	for _, n := range names {
		if !strings.Contains(out, n) {
			t.Errorf("plan does not show %s:\n%s", n, out)
		}
	}
	if code, out, errOut = l.run(append(slices.Clone(args), "--dry-run")...); code != ExitOK || !strings.Contains(out, `"actionPolicyId": "oncall"`) || len(emu.Alerts(project)) != 0 {
		t.Fatalf("--dry-run: exit %d, %d rules\n%s%s", code, len(emu.Alerts(project)), out, errOut)
	}
	if code, _, errOut = l.run(append(slices.Clone(args), "--yes")...); code != ExitOK || !strings.Contains(errOut, "5 alert rules created, 0 already there") {
		t.Fatalf("--yes: exit %d\n%s", code, errOut)
	}
	got := emu.Alerts(project)
	if len(got) != len(names) {
		t.Fatalf("created %d rules, want %d", len(got), len(names))
	}
	if code, _, errOut = l.run(append(slices.Clone(args), "--yes")...); code != ExitOK || !strings.Contains(errOut, "0 alert rules created, 5 already there") {
		t.Fatalf("second --yes: exit %d\n%s", code, errOut)
	}

	// The installed queries over the last 30 minutes of the trail.
	q, err := slsq.New(slsq.Config{Endpoint: emu.Addr(), AccessKeyID: admin.AccessKeyID, AccessKeySecret: redact.Secret(admin.AccessKeySecret)})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	fires := func(name string) map[string]string {
		t.Helper()
		var def struct {
			Configuration struct {
				QueryList []struct {
					Query string `json:"query"`
					Start string `json:"start"`
				} `json:"queryList"`
			} `json:"configuration"`
			Schedule struct {
				Interval string `json:"interval"`
			} `json:"schedule"`
		}
		if err := json.Unmarshal(got[name], &def); err != nil || len(def.Configuration.QueryList) != 1 || def.Configuration.QueryList[0].Start != "-30m" || def.Schedule.Interval != "15m" {
			t.Fatalf("%s: %s (%v)", name, got[name], err)
		}
		now := time.Now().Unix()
		r, err := q.Query(context.Background(), slsq.Request{Target: slsq.Target{Project: project, Logstore: logstore}, Window: slsq.Window{From: now - 1800, To: now + 1}, Query: def.Configuration.QueryList[0].Query}, slsq.Concat)
		if err != nil {
			t.Fatalf("%s query: %v", name, err)
		}
		out := map[string]string{}
		for _, row := range r.Rows {
			out[row["ak"]] = row["calls"]
		}
		return out
	}
	if m := fires("akresp-watch-ak-frequency"); len(m) != 1 || m[l.info.Notes["leaked_key_id"]] != "200" {
		t.Errorf("ak_frequency rule rows %v, want the leaked key with 200 calls", m)
	}
	if m := fires("akresp-watch-root-key-used"); len(m) != 1 || m[l.info.Notes["root_key_id"]] != "1" {
		t.Errorf("root_key_used rule rows %v, want the root key once", m)
	}
}
