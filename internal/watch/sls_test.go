package watch

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/cloud/slsq"
	"github.com/akresp/akresp/internal/lab/slsemu"
	"github.com/akresp/akresp/internal/redact"
)

// TestRunSLSMatchesLookup: over one trail, the push-down path (the lab's
// SLS emulator) and the LookupEvents path give the same alerts and the
// same state, run after run, for every rule: a burst whose calls share
// seconds (ties broken by event ID) from two IPs, akresp's own calls (never
// counted), a root key, a persistence call (and a failed one, which does
// not count), a stopped trail, a secret scanner's user agent, and a second
// burst after the first alert, of which only the calls after the covered
// mark count.
func TestRunSLSMatchesLookup(t *testing.T) {
	var events []map[string]any
	add := func(e map[string]any) { events = append(events, e) }
	for i := 0; i < 150; i++ {
		e := ev(i, t0.Add(-10*time.Minute+time.Duration(i/3)*time.Second), "LTAI5tLEAK", "ram-user", "DescribeInstances", "python-requests/2.31")
		e["eventId"] = fmt.Sprintf("%08X-LEAK", (i*7919)%1000)
		if i%4 == 0 {
			e["sourceIpAddress"] = "198.51.100.7"
		}
		add(e)
	}
	for _, e := range burst("LTAI5tSELF", 300, t0.Add(-9*time.Minute), "akresp/v1.2 (responder)") {
		add(e)
	}
	root := ev(0, t0.Add(-5*time.Minute), "LTAI5tROOT", "root-account", "ListUsers", "aliyun-cli")
	root["serviceName"] = "Ram"
	add(root)
	persist := ev(1, t0.Add(-4*time.Minute), "LTAI5tLEAK", "ram-user", "CreateUser", "python-requests/2.31")
	persist["serviceName"] = "Ram"
	add(persist)
	failed := ev(2, t0.Add(-4*time.Minute), "LTAI5tOTHER", "ram-user", "CreateAccessKey", "python-requests/2.31")
	failed["serviceName"], failed["errorCode"] = "Ims", "NoPermission"
	add(failed)
	stop := ev(3, t0.Add(-3*time.Minute), "LTAI5tTRAIL", "ram-user", "StopLogging", "aliyun-cli")
	stop["serviceName"] = "Actiontrail"
	add(stop)
	add(ev(4, t0.Add(-2*time.Minute), "LTAI5tSCAN", "ram-user", "DescribeRegions", "TruffleHog/3.63.0 (+https://trufflesecurity.com)"))
	add(ev(5, t0.Add(-2*time.Minute), "LTAI5tQUIET", "ram-user", "DescribeRegions", "Mozilla/5.0"))

	emu, err := slsemu.New(slsemu.Options{Credentials: map[string]string{"LTAI5tTESTER": "tester-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	target := slsq.Target{Project: "trail-proj", Logstore: "actiontrail_main"}
	if err := emu.CreateLogstore(slsemu.LogstoreSpec{Project: target.Project, Name: target.Logstore}); err != nil {
		t.Fatal(err)
	}
	delivered := 0
	deliver := func() {
		var rows []slsemu.Row
		for _, e := range events[delivered:] {
			b, _ := json.Marshal(e)
			at, _ := time.Parse(time.RFC3339, e["eventTime"].(string))
			rows = append(rows, slsemu.Row{Time: at.Unix(), Event: b})
		}
		delivered = len(events)
		if err := emu.Append(context.Background(), target.Project, target.Logstore, rows); err != nil {
			t.Fatal(err)
		}
	}
	deliver()
	q, err := slsq.New(slsq.Config{Endpoint: emu.Addr(), AccessKeyID: "LTAI5tTESTER", AccessKeySecret: redact.Secret("tester-secret")})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()

	f := &fakeCloud{}
	lookupSt, slsSt := NewState(), NewState()
	var lookupAlerts []Alert
	step := func(name string, now time.Time, wantRules ...string) {
		t.Helper()
		f.events = events
		o := Options{Now: now, Window: 30 * time.Minute, Threshold: 100}
		want, err := Run(context.Background(), f, lookupSt, o)
		if err != nil {
			t.Fatalf("%s: LookupEvents path: %v", name, err)
		}
		o.SLS = &SLSSource{Q: q, Target: target}
		got, err := Run(context.Background(), nil, slsSt, o)
		if err != nil {
			t.Fatalf("%s: SLS path: %v", name, err)
		}
		if diff := cmp.Diff(want.Alerts, got.Alerts); diff != "" {
			t.Fatalf("%s: alerts differ (-lookup +sls):\n%s", name, diff)
		}
		if diff := cmp.Diff(want.State, got.State); diff != "" {
			t.Fatalf("%s: states differ (-lookup +sls):\n%s", name, diff)
		}
		var rules []string
		for _, a := range want.Alerts {
			rules = append(rules, a.Rule)
		}
		if !cmp.Equal(rules, wantRules) {
			t.Fatalf("%s: rules %v, want %v: %+v", name, rules, wantRules, want.Alerts)
		}
		if got.Source != SourceSLS || got.SLSCalls < 6 {
			t.Fatalf("%s: source %s, %d SLS calls", name, got.Source, got.SLSCalls)
		}
		lookupSt, slsSt = want.State, got.State
		lookupAlerts = append(lookupAlerts, want.Alerts...)
	}
	step("first run", t0, RuleFrequency, RuleRootKey, RulePersistence, RuleTrailStopped, RuleScanner)
	step("overlapping run", t0.Add(5*time.Minute))
	// The second burst starts in the second of the last call the first
	// alert covered (the CreateUser): its calls in that second are covered
	// already, the 120 after it are not.
	for i := 0; i < 122; i++ {
		add(ev(1000+i, t0.Add(-4*time.Minute+time.Duration(i/2)*time.Second), "LTAI5tLEAK", "ram-user", "DescribeInstances", "python-requests/2.31"))
	}
	deliver()
	step("second burst", t0.Add(10*time.Minute), RuleFrequency)
	if a := lookupAlerts[len(lookupAlerts)-1]; a.Count != 120 {
		t.Fatalf("second burst counted %d calls, want 120", a.Count)
	}
}
