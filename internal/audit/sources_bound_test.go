package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// A key called from more distinct addresses than the engine tracks one by
// one (an IPv6 host can use a new address for every call; a trail written
// by whoever holds the key can say anything): memory stays bounded, and
// what the further sources do is still analysed, as one source that is
// always flagged, so a flood of addresses cannot hide the attack behind it.
func TestSourcesBeyondTheLimitAreAnalysedTogether(t *testing.T) {
	leak := testNow.Add(-24 * time.Hour)
	events := officeWeek(leak)
	// The flood, from the leak on: one call from each of maxSources new
	// IPv6 addresses.
	for i := range maxSources {
		events = append(events, tev(leak.Add(time.Duration(i)*time.Millisecond), fmt.Sprintf("2001:db8::%x:%x", i>>16, i&0xffff), "Ecs", "DescribeRegions"))
	}
	// Then the attack from yet another address, beyond the limit.
	late := leak.Add(2 * time.Hour)
	events = append(events,
		tev(late, "2001:db8:ffff::66", "Ram", "CreateUser", withParams("UserName", "backdoor")),
		tev(late.Add(time.Minute), "2001:db8:ffff::66", "Ram", "CreateAccessKey", withParams("UserName", "backdoor")),
	)
	opts := baseOptions()
	opts.LeakTime = leak
	r := runEngine(opts, events)

	if got := len(r.Sources); got > maxSources+1 {
		t.Fatalf("%d sources listed, want at most %d (the limit and the overflow source)", got, maxSources+1)
	}
	var over *IPSummary
	for i := range r.Sources {
		if r.Sources[i].IP == overflowText {
			over = &r.Sources[i]
		}
	}
	if over == nil || !over.Flagged || !over.New || over.Count < 2 {
		t.Fatalf("overflow source %+v: want it listed, flagged and new with the attack's events", over)
	}
	if !slices.ContainsFunc(r.Diagnostics, func(d Diagnostic) bool {
		return strings.Contains(d.Summary, fmt.Sprintf("more than %d distinct source addresses", maxSources))
	}) {
		t.Errorf("no diagnostic names the source limit: %+v", r.Diagnostics)
	}
	persist := false
	for _, f := range r.Findings {
		if (f.ID == "PERS-01" || f.ID == "PERS-03") && slices.Contains(f.IPs, overflowText) {
			persist = true
			if f.Severity < High {
				t.Errorf("%s from the overflow source is %s, want at least high", f.ID, f.Severity)
			}
		}
	}
	if !persist {
		t.Errorf("the user and key created from beyond the limit raised no PERS finding: %v", ids(r))
	}
	if r.Verdict.Status != StatusSuspectedLeak {
		t.Errorf("verdict %s, want suspected_leak", r.Verdict.Status)
	}
	for _, c := range r.Verdict.SuggestedTrustedCIDRs {
		if !strings.HasPrefix(c, "127.0.0.") {
			t.Errorf("suggested trusted %q: only the office was there before the leak", c)
		}
	}
}

// More trusted sources than a network ACL holds (policy.MaxACLEntries):
// no fence is suggested that contain would refuse; the next step applies
// the deny policy and says how to fence, and stays so after the follow
// passes re-judge the verdict.
func TestTooManyTrustedSourcesSuggestNoFence(t *testing.T) {
	leak := testNow.Add(-24 * time.Hour)
	var events []*Event
	// A fleet of 60 servers reading every day of the week before the leak.
	for d := leak.Add(-7 * 24 * time.Hour); d.Before(leak); d = d.Add(24 * time.Hour) {
		for i := range 60 {
			events = append(events, tev(d.Add(time.Duration(i)*time.Minute), fmt.Sprintf("198.51.100.%d", i+1), "Ecs", "DescribeInstances"))
		}
	}
	events = append(events, attackEvents(leak.Add(time.Hour))...)
	for _, owner := range []string{"ram-user", "root-account"} {
		t.Run(owner, func(t *testing.T) {
			opts := baseOptions()
			opts.LeakTime = leak
			opts.Facts.OwnerType = owner
			r := runEngine(opts, events)
			if r.Verdict.Status != StatusSuspectedLeak {
				t.Fatalf("verdict %s, want suspected_leak", r.Verdict.Status)
			}
			if len(r.Verdict.SuggestedTrustedCIDRs) != 0 {
				t.Errorf("suggested %d trusted CIDRs, more than a network ACL holds; want none", len(r.Verdict.SuggestedTrustedCIDRs))
			}
			// A RAM user's key: the deny policy now, the fence is the
			// operator's. A root key takes no policy: a contain without a
			// fence would do nothing, so the first step blocks public use.
			want := "akresp contain " + testKey
			if owner == "root-account" {
				want += " --deny-public"
			}
			if len(r.Verdict.NextSteps) == 0 || r.Verdict.NextSteps[0].Command != want || !strings.Contains(r.Verdict.NextSteps[0].Why, "60 sources") {
				t.Errorf("first next step %+v, want %q naming the 60 sources", r.Verdict.NextSteps, want)
			}
			if !slices.ContainsFunc(r.Verdict.Reasons, func(s string) bool { return strings.Contains(s, "more than the 50 entries") }) {
				t.Errorf("reasons %q do not say why no fence is suggested", r.Verdict.Reasons)
			}
			for _, s := range r.Verdict.NextSteps {
				if strings.Contains(s.Command, "--allow-ip") || owner != "root-account" && strings.Contains(s.Command, "--deny-public") {
					t.Errorf("next step %q: a fence that cannot be applied or cuts off the fleet", s.Command)
				}
			}
		})
	}
}

// A written trail can name any number of APIs, services and regions
// (ActionTrail only records Alibaba Cloud's own): beyond the limits they
// are counted together, and a sensitive call after the flood is still
// judged.
func TestAPIsBeyondTheLimitAreCountedTogether(t *testing.T) {
	leak := testNow.Add(-24 * time.Hour)
	events := officeWeek(leak)
	for i := range maxAPINames + maxServices {
		svc := "Ecs"
		if i >= maxAPINames {
			svc = fmt.Sprintf("Svc%d", i) // then as many services
		}
		events = append(events, tev(leak.Add(time.Duration(i)*time.Millisecond), attacker, svc, fmt.Sprintf("DescribeThing%d", i), withRegion(fmt.Sprintf("region-%d", i))))
	}
	late := leak.Add(2 * time.Hour)
	events = append(events, tev(late, attacker, "Ram", "CreateUser", withParams("UserName", "backdoor")))
	opts := baseOptions()
	opts.LeakTime = leak
	r := runEngine(opts, events)
	if !slices.ContainsFunc(r.Diagnostics, func(d Diagnostic) bool { return strings.Contains(d.Summary, overflowNameText) }) {
		t.Errorf("no diagnostic names the API limit: %+v", r.Diagnostics)
	}
	if !slices.ContainsFunc(r.Diagnostics, func(d Diagnostic) bool { return strings.Contains(d.Summary, overflowRegionText) }) {
		t.Errorf("no diagnostic names the region limit: %+v", r.Diagnostics)
	}
	if n := len(r.Services); n > maxServices+1 {
		t.Errorf("%d services listed, want at most %d", n, maxServices+1)
	}
	if !slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.ID == "PERS-01" }) {
		t.Errorf("the user created after the flood raised no PERS-01: %v", ids(r))
	}
}

// A file the reader gave up on (truncated, corrupt, or too many bad
// records) is named first among the diagnostics and in a caveat: the
// events after the stop were neither read nor analysed, and the verdict
// must not read as if they had been.
func TestFilesNotReadToTheEndAreSaid(t *testing.T) {
	dir := t.TempDir()
	leak := testNow.Add(-24 * time.Hour)
	writeTrailArray(t, filepath.Join(dir, "a-good.json"), officeWeek(leak))
	// 1,200 records with an impossible time: the reader stops after 1,000.
	var bad strings.Builder
	bad.WriteString("[")
	for i := range 1200 {
		if i > 0 {
			bad.WriteString(",")
		}
		fmt.Fprintf(&bad, `{"eventId":"x%d","eventTime":"1990-01-01T00:00:00Z","eventName":"DescribeInstances","serviceName":"Ecs","userIdentity":{"accessKeyId":%q}}`, i, testKey)
	}
	bad.WriteString("]")
	if err := os.WriteFile(filepath.Join(dir, "b-bad.json"), []byte(bad.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := baseOptions()
	r, err := Investigate(context.Background(), nil, InvestigateOptions{Engine: opts, Trails: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Diagnostics) == 0 || !strings.Contains(r.Diagnostics[0].Summary, "not read to the end") || !strings.Contains(r.Diagnostics[0].Source, "b-bad.json") {
		t.Errorf("first diagnostic %+v, want b-bad.json not read to the end", r.Diagnostics)
	}
	if !slices.ContainsFunc(r.Caveats, func(c string) bool { return strings.Contains(c, "1 input file could not be read to the end") }) {
		t.Errorf("caveats %q do not say a file was not read to the end", r.Caveats)
	}
}

// Every source calling every sensitive API (a written trail can) would
// keep a (rule, source) aggregate each: beyond maxMatches the further
// pairs are counted under the overflow source, which is flagged, and the
// findings still fire.
func TestMatchesBeyondTheLimitAreCountedTogether(t *testing.T) {
	leak := testNow.Add(-24 * time.Hour)
	events := officeWeek(leak)
	apis := []string{"CreateUser", "CreateAccessKey", "AttachPolicyToUser"}
	n := maxMatches/len(apis) + 1000
	for i := range n * len(apis) {
		ip := fmt.Sprintf("2001:db8:1::%x:%x", (i/len(apis))>>16, (i/len(apis))&0xffff)
		events = append(events, tev(leak.Add(time.Duration(i)*time.Millisecond), ip, "Ram", apis[i%len(apis)],
			withParams("UserName", "u", "PolicyName", "AdministratorAccess", "PolicyType", "System")))
	}
	opts := baseOptions()
	opts.LeakTime = leak
	eng := NewEngine(opts)
	for _, ev := range events {
		eng.Add(ev)
	}
	if got := len(eng.matches); got > maxMatches+len(apis) {
		t.Errorf("%d (rule, source) aggregates, want at most %d", got, maxMatches+len(apis))
	}
	r := eng.Result()
	if !slices.ContainsFunc(r.Diagnostics, func(d Diagnostic) bool { return strings.Contains(d.Summary, "(rule, source) pairs") }) {
		t.Errorf("no diagnostic names the (rule, source) limit: %+v", r.Diagnostics)
	}
	over := false
	for _, f := range r.Findings {
		if slices.Contains(f.IPs, overflowText) && f.Severity >= High {
			over = true
		}
	}
	if !over {
		t.Errorf("no high finding names %q: %v", overflowText, ids(r))
	}
	if r.Verdict.Status != StatusSuspectedLeak {
		t.Errorf("verdict %s, want suspected_leak", r.Verdict.Status)
	}
	if o := eng.overflowIP; o == nil || !o.flagged || !o.isNew {
		t.Errorf("overflow source %+v: want it flagged and new though none of its own events came in", o)
	}
}

// Past the (source, hour) limit the hourly, off-hours and burst rules see
// no more hours, and a sensitive call there is still matched (off hours
// too: it once dereferenced the missing hour).
func TestSourceHoursBeyondTheLimit(t *testing.T) {
	old := maxSourceHours
	maxSourceHours = 10
	defer func() { maxSourceHours = old }()
	leak := testNow.Add(-48 * time.Hour)
	var events []*Event
	for h := range 30 {
		events = append(events, tev(leak.Add(time.Duration(h)*time.Hour), attacker, "Ecs", "DescribeInstances"))
	}
	// 03:00 in Shanghai, hours after the limit was reached.
	events = append(events, tev(leak.Add(27*time.Hour+5*time.Minute), attacker, "Ram", "CreateUser", withParams("UserName", "backdoor")))
	opts := baseOptions()
	opts.LeakTime = leak
	r := runEngine(opts, events)
	if !slices.ContainsFunc(r.Diagnostics, func(d Diagnostic) bool { return strings.Contains(d.Summary, "(source, hour) pairs") }) {
		t.Errorf("no diagnostic names the (source, hour) limit: %+v", r.Diagnostics)
	}
	if !slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.ID == "PERS-01" }) {
		t.Errorf("the user created past the limit raised no PERS-01: %v", ids(r))
	}
	if r.Window.Events != len(events) {
		t.Errorf("%d events analysed, want all %d", r.Window.Events, len(events))
	}
}

// Past the (source, API) and (source, region) limits the burst rules'
// samples stop growing; every event is still counted and a sensitive call
// still matched.
func TestSourceAPIsAndRegionsBeyondTheLimit(t *testing.T) {
	oldAPIs, oldRegions := maxSourceAPIs, maxSourceRegions
	maxSourceAPIs, maxSourceRegions = 5, 3
	defer func() { maxSourceAPIs, maxSourceRegions = oldAPIs, oldRegions }()
	leak := testNow.Add(-48 * time.Hour)
	var events []*Event
	for i := range 20 {
		events = append(events, tev(leak.Add(time.Duration(i)*time.Second), attacker, "Ecs", fmt.Sprintf("DescribeThing%d", i), withRegion(fmt.Sprintf("region-%d", i))))
	}
	events = append(events, tev(leak.Add(time.Minute), attacker, "Ram", "CreateUser", withParams("UserName", "backdoor")))
	opts := baseOptions()
	opts.LeakTime = leak
	eng := NewEngine(opts)
	for _, ev := range events {
		eng.Add(ev)
	}
	if len(eng.ipAPIs) > 5 || len(eng.ipRegions) > 3 {
		t.Errorf("%d (source, API) and %d (source, region) records, want at most 5 and 3", len(eng.ipAPIs), len(eng.ipRegions))
	}
	r := eng.Result()
	for _, want := range []string{"(source, API) pairs", "(source, region) pairs"} {
		if !slices.ContainsFunc(r.Diagnostics, func(d Diagnostic) bool { return strings.Contains(d.Summary, want) }) {
			t.Errorf("no diagnostic says %q: %+v", want, r.Diagnostics)
		}
	}
	if r.Window.Events != len(events) || !slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.ID == "PERS-01" }) {
		t.Errorf("%d events, findings %v; want all %d and PERS-01", r.Window.Events, ids(r), len(events))
	}
}
