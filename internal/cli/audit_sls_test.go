package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/lab/slsemu"
)

// TestRunAuditSLSLab runs `akresp audit <leaked> --sls` through Run, in
// process, against the lab (key facts) and the lab's SLS endpoint loaded
// with the lab's recorded events, signing with credentials from the
// default chain: the findings equal those of the online audit. Then, with
// a scan cap that no split can get under, the command names the missing
// window, gives a hint, prints nothing on stdout and exits 1.
func TestRunAuditSLSLab(t *testing.T) {
	clearAkrespEnv(t)
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	t.Setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "absent"))
	sc, err := lab.LoadScenario("builtin:leak")
	if err != nil {
		t.Fatal(err)
	}
	w, info, err := sc.Build(time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := lab.New(lab.Options{World: w})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	admin := info.Credentials["admin"]
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", admin.AccessKeyID)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", admin.AccessKeySecret)
	leaked := info.Notes["leaked_key_id"]
	events := srv.Events()

	emu, err := slsemu.New(slsemu.Options{Credentials: map[string]string{admin.AccessKeyID: admin.AccessKeySecret}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	const project, logstore = "trail-proj", "actiontrail_leak"
	if err := emu.CreateLogstore(slsemu.LogstoreSpec{Project: project, Name: logstore}); err != nil {
		t.Fatal(err)
	}
	rows := make([]slsemu.Row, 0, len(events))
	for _, ev := range events {
		rows = append(rows, slsemu.Row{Time: ev.Time.Unix(), Event: ev.MarshalRaw()})
	}
	if err := emu.Append(context.Background(), project, logstore, rows); err != nil {
		t.Fatal(err)
	}

	run := func(args ...string) (int, string, string) {
		ios, _, out, errOut := TestStreams()
		f := NewFactory(ios)
		f.Version = "v0.0.0-test"
		// The production Cloud closure, with the quotas raised so the
		// online reference audit pages quickly; credentials still come
		// from the default chain (the environment).
		f.Cloud = func(ctx context.Context) (*cloud.Clients, error) {
			return cloud.New(ctx, cloud.Config{Endpoint: "http://" + srv.Addr(), RateScale: 1000, Version: f.Version})
		}
		code := Run(context.Background(), f, append([]string{"--endpoint", "http://" + srv.Addr()}, args...))
		for _, s := range []string{out.String(), errOut.String()} {
			if strings.Contains(s, admin.AccessKeySecret) {
				t.Fatalf("output shows the caller's secret:\n%s", s)
			}
		}
		return code, out.String(), errOut.String()
	}
	type sum struct {
		ID       string
		Severity audit.Severity
		Count    int
		Evidence []string
	}
	summary := func(r *audit.Result) []sum {
		var out []sum
		for _, f := range r.Findings {
			s := sum{ID: f.ID, Severity: f.Severity, Count: f.Count}
			for _, e := range f.Evidence {
				s.Evidence = append(s.Evidence, e.EventID)
			}
			out = append(out, s)
		}
		return out
	}

	code, out, errOut := run("audit", leaked, "--since", "89d", "-o", "json")
	if code != ExitOK {
		t.Fatalf("online audit: exit %d\n%s", code, errOut)
	}
	var online audit.Result
	if err := json.Unmarshal([]byte(out), &online); err != nil {
		t.Fatal(err)
	}
	if len(online.Findings) == 0 {
		t.Fatal("online audit found nothing; the comparison would prove nothing")
	}

	sls := []string{"audit", leaked, "--sls", project + "/" + logstore, "--sls-endpoint", emu.Addr()}
	code, out, errOut = run(append(sls, "--since", "89d", "-o", "json")...)
	if code != ExitOK {
		t.Fatalf("sls audit: exit %d\n%s", code, errOut)
	}
	var doc struct {
		audit.Result
		SLS *audit.SLSReport `json:"sls"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v", err)
	}
	if diff := cmp.Diff(summary(&online), summary(&doc.Result)); diff != "" {
		t.Errorf("--sls findings differ from the online audit (-online +sls):\n%s", diff)
	}
	if doc.Verdict.Status != online.Verdict.Status || !slices.Equal(doc.Verdict.SuggestedTrustedCIDRs, online.Verdict.SuggestedTrustedCIDRs) || doc.Key.Owner != online.Key.Owner {
		t.Errorf("verdict %s %v owner %s; online %s %v %s", doc.Verdict.Status, doc.Verdict.SuggestedTrustedCIDRs, doc.Key.Owner, online.Verdict.Status, online.Verdict.SuggestedTrustedCIDRs, online.Key.Owner)
	}
	if doc.Window.Events != online.Window.Events {
		t.Errorf("events: sls %d, online %d", doc.Window.Events, online.Window.Events)
	}
	p := doc.SLS
	switch {
	case p == nil:
		t.Fatal("no sls provenance in the JSON document")
	case p.Target != project+"/"+logstore || p.Endpoint != "http://"+emu.Addr() || p.Events != int64(online.Window.Events):
		t.Errorf("provenance target %s endpoint %s events %d", p.Target, p.Endpoint, p.Events)
	case len(p.Queries) < 6 || p.Calls < len(p.Queries) || p.ProcessedRows == 0:
		t.Errorf("provenance queries %d calls %d scanned %d", len(p.Queries), p.Calls, p.ProcessedRows)
	case p.BytesReceived <= 0 || p.BytesReceived > emu.Stats().BytesOut:
		t.Errorf("bytes received %d, the endpoint sent %d in all", p.BytesReceived, emu.Stats().BytesOut)
	}

	code, out, errOut = run(append(sls, "--since", "89d", "-o", "table")...)
	if code != ExitOK || !strings.Contains(out, "VERDICT: SUSPECTED LEAK") || !strings.Contains(out, "SLS PUSH-DOWN") || !strings.Contains(out, "rows scanned by SLS") {
		t.Errorf("table: exit %d\n%s\n%s", code, out, errOut)
	}

	// The busiest minute of the key cannot be answered under a scan cap
	// of one row: the command fails and names it.
	per := map[int64]int{}
	for _, ev := range events {
		if ev.UserIdentity.AccessKeyID == leaked {
			per[ev.Time.Unix()/60]++
		}
	}
	var busiest int64
	for m, n := range per {
		if n > per[busiest] {
			busiest = m
		}
	}
	if per[busiest] < 2 {
		t.Fatal("builtin:leak has no minute with two events of the leaked key")
	}
	minute := time.Unix(busiest*60, 0).UTC()
	emu.SetFaults(slsemu.Faults{ScanCap: 1})
	code, out, errOut = run(append(sls, "--since", minute.Add(-30*time.Minute).Format(time.RFC3339), "--until", minute.Add(30*time.Minute).Format(time.RFC3339), "-o", "json")...)
	if code != ExitRuntime {
		t.Errorf("incomplete answer: exit %d, want %d", code, ExitRuntime)
	}
	if out != "" {
		t.Errorf("incomplete answer printed a result:\n%s", out)
	}
	for _, want := range []string{"stayed incomplete", "no findings are reported", "hint: narrow --since/--until"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	named := false
	for _, m := range windowRe.FindAllStringSubmatch(errOut, -1) {
		from, _ := time.Parse(time.RFC3339, m[1])
		to, _ := time.Parse(time.RFC3339, m[2])
		if !from.After(minute) && !to.Before(minute.Add(time.Minute)) {
			named = true
		}
	}
	if !named {
		t.Errorf("stderr does not name a window holding the busiest minute %s:\n%s", minute.Format(time.RFC3339), errOut)
	}
}

var windowRe = regexp.MustCompile(`(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) to (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)`)
