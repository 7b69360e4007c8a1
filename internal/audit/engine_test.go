package audit

import (
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestLeakScenario is the lab's builtin:leak story: the office
// (127.0.0.10/11) uses the key for a week; the attacker (127.0.0.66)
// verifies it, enumerates, builds a back door, spends and destroys.
func TestLeakScenario(t *testing.T) {
	r := runEngine(baseOptions(), leakScenario())
	if r.Verdict.Status != StatusSuspectedLeak || r.Verdict.Severity != Critical {
		t.Fatalf("verdict = %s/%s, want suspected_leak/critical", r.Verdict.Status, r.Verdict.Severity)
	}
	if want := []string{"127.0.0.10/32", "127.0.0.11/32"}; !slices.Equal(r.Verdict.SuggestedTrustedCIDRs, want) {
		t.Errorf("suggested CIDRs = %v, want %v", r.Verdict.SuggestedTrustedCIDRs, want)
	}
	if len(r.Verdict.NextSteps) == 0 || r.Verdict.NextSteps[0].Command != "akresp contain "+testKey+" --allow-ip 127.0.0.10/32,127.0.0.11/32" {
		t.Errorf("first next step = %+v, want contain with the office CIDRs", r.Verdict.NextSteps)
	}
	var cmds []string
	for _, s := range r.Verdict.NextSteps {
		cmds = append(cmds, s.Command)
	}
	for _, want := range []string{"akresp disable LTAI5tBackdoorKey0000001", "akresp report " + testKey, "akresp rotate " + testKey} {
		if !slices.Contains(cmds, want) {
			t.Errorf("next steps %q lack %q", cmds, want)
		}
	}
	// Every finding is the attacker's: the office is never evidence.
	for _, f := range r.Findings {
		if !slices.Equal(f.IPs, []string{attacker}) {
			t.Errorf("%s sources = %v, want only the attacker", f.ID, f.IPs)
		}
		for _, e := range f.Evidence {
			if e.SourceIP != attacker {
				t.Errorf("%s evidence from %s", f.ID, e.SourceIP)
			}
		}
	}
	for _, c := range []struct{ id, title string }{
		{"CTX-03", attacker}, {"ENUM-02", ""}, {"ENUM-03", ""}, {"ENUM-05", ""},
		{"PERS-01", "svc-backup"}, {"PERS-03", "LTAI5tBackdoorKey0000001"}, {"PERS-04", "svc-backup"},
		{"PRIV-01", "AdministratorAccess to svc-backup"}, {"COST-01", ""}, {"COST-03", ""}, {"DEST-01", "i-prod-db"}, {"EVADE-01", ""},
	} {
		f := findFinding(r, c.id)
		if f == nil {
			t.Errorf("%s missing; findings %v", c.id, ids(r))
			continue
		}
		if !strings.Contains(f.Title, c.title) {
			t.Errorf("%s title %q lacks %q", c.id, f.Title, c.title)
		}
	}
	wantCreated := []string{"user svc-backup ", "access_key LTAI5tBackdoorKey0000001 svc-backup", "login_profile svc-backup svc-backup", "policy_attachment AdministratorAccess svc-backup"}
	var created []string
	for _, c := range r.Created {
		created = append(created, c.Kind+" "+c.Name+" "+c.User)
		if c.Event.EventID == "" || c.Event.SourceIP != attacker {
			t.Errorf("created %s %s lacks its event: %+v", c.Kind, c.Name, c.Event)
		}
	}
	if !slices.Equal(created, wantCreated) {
		t.Errorf("created = %q, want %q", created, wantCreated)
	}
	for _, s := range r.Sources {
		wantFlag := s.IP == attacker
		if s.Flagged != wantFlag || s.New != wantFlag {
			t.Errorf("source %s flagged=%v new=%v, want %v", s.IP, s.Flagged, s.New, wantFlag)
		}
	}
}

// TestOfficeOnly: the same key without the attack has no high finding and
// is in use.
func TestOfficeOnly(t *testing.T) {
	evSeq = 0
	r := runEngine(baseOptions(), officeWeek(leakStart.Add(-2*time.Hour)))
	if r.HasAtLeast(High) {
		t.Errorf("office-only findings %v, want none high", ids(r))
	}
	if r.Verdict.Status != StatusInUse {
		t.Errorf("verdict %s, want in_use", r.Verdict.Status)
	}
}

func TestVerdict(t *testing.T) {
	day := 24 * time.Hour
	cases := []struct {
		name     string
		events   func() []*Event
		facts    KeyFacts
		opts     func(*Options)
		status   string
		commands []string // prefixes of the next steps, in order
		reason   string   // substring of one reason
	}{
		{name: "never used", events: func() []*Event { return nil }, status: StatusIdle,
			commands: []string{"akresp disable " + testKey}, reason: "no last-used record"},
		{name: "last used long ago", events: func() []*Event { return nil }, facts: KeyFacts{LastUsed: testNow.Add(-200 * day)},
			status: StatusIdle, commands: []string{"akresp disable " + testKey}, reason: "200 days ago"},
		{name: "last used recently, no events", events: func() []*Event { return nil }, facts: KeyFacts{LastUsed: testNow.Add(-5 * day)},
			status: StatusInUse},
		{name: "office only", events: func() []*Event { return officeWeek(leakStart.Add(-2 * time.Hour)) }, status: StatusInUse,
			commands: []string{"akresp contain " + testKey + " --allow-ip 127.0.0.10/32,127.0.0.11/32"}},
		{name: "office only, old key", events: func() []*Event { return officeWeek(leakStart.Add(-2 * time.Hour)) },
			facts: KeyFacts{AgeDays: 400}, status: StatusInUse,
			commands: []string{"akresp rotate " + testKey, "akresp contain " + testKey}},
		{name: "new source reading only", events: func() []*Event {
			return append(officeWeek(leakStart.Add(-2*time.Hour)), intruder(work, "Ecs", "DescribeInstances"))
		}, status: StatusSuspectedLeak, reason: "CTX-03 medium",
			commands: []string{"akresp contain " + testKey + " --allow-ip 127.0.0.10/32,127.0.0.11/32", "akresp report", "akresp rotate"}},
		{name: "medium finding from known source", events: func() []*Event {
			return append(officeWeek(leakStart.Add(-2*time.Hour)), repeat(5, func(i int) *Event {
				return office(work.Add(time.Duration(i)*time.Second), "Ram", []string{"ListA", "ListB", "ListC"}[i%3], withErr("NoPermission"))
			})...)
		}, status: StatusInUse},
		{name: "root key used from the office", events: func() []*Event {
			evs := officeWeek(leakStart.Add(-2 * time.Hour))
			for _, e := range evs {
				e.UserType = "root-account"
			}
			return evs
		}, status: StatusInUse, reason: "root-account key"},
		{name: "attack with no history", events: func() []*Event { return attackEvents(work) }, status: StatusSuspectedLeak,
			commands: []string{"akresp contain " + testKey + " --deny-public", "akresp disable LTAI5tBackdoorKey0000001", "akresp eradicate " + testKey, "akresp report", "akresp disable " + testKey}},
		{name: "trusted cidrs given", events: leakScenario, opts: func(o *Options) {
			o.TrustedCIDRs = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/28")}
		}, status: StatusSuspectedLeak, commands: []string{"akresp contain " + testKey + " --allow-ip 127.0.0.0/28"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evSeq = 0
			opts := baseOptions()
			opts.Facts = tc.facts
			if tc.opts != nil {
				tc.opts(&opts)
			}
			r := runEngine(opts, tc.events())
			v := r.Verdict
			if v.Status != tc.status {
				t.Fatalf("status = %s (%s; findings %v), want %s", v.Status, v.Summary, ids(r), tc.status)
			}
			if v.Summary == "" {
				t.Error("empty summary")
			}
			for i, c := range tc.commands {
				if i >= len(v.NextSteps) || !strings.HasPrefix(v.NextSteps[i].Command, c) {
					t.Errorf("next steps = %+v, want step %d to start with %q", v.NextSteps, i+1, c)
					break
				}
			}
			for _, s := range v.NextSteps {
				if s.Why == "" {
					t.Errorf("step %q has no why", s.Command)
				}
			}
			if tc.reason != "" && !slices.ContainsFunc(v.Reasons, func(s string) bool { return strings.Contains(s, tc.reason) }) {
				t.Errorf("reasons %q lack %q", v.Reasons, tc.reason)
			}
		})
	}
}

// TestDeterminism: the same events in any order give the same JSON.
func TestDeterminism(t *testing.T) {
	evs := leakScenario()
	opts := baseOptions()
	opts.LeakTime = leakStart.Add(-time.Hour)
	want, err := json.Marshal(runEngine(opts, evs))
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(1); seed <= 5; seed++ {
		shuffled := slices.Clone(evs)
		rng := rand.New(rand.NewPCG(seed, seed))
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got, err := json.Marshal(runEngine(opts, shuffled))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("seed %d: result differs:\n%s", seed, cmp.Diff(string(want), string(got)))
		}
	}
}

// TestFilters: other keys' events and events outside the window are not
// analysed; nil events and Add after Result are ignored.
func TestFilters(t *testing.T) {
	evSeq = 0
	opts := baseOptions()
	opts.Since = work
	opts.Until = work.Add(time.Hour)
	e := NewEngine(opts)
	e.Add(nil)
	e.Add(office(work.Add(-time.Minute), "Ecs", "DescribeInstances"))
	e.Add(office(work, "Ecs", "DescribeInstances"))
	e.Add(office(work.Add(time.Hour), "Ecs", "DescribeInstances"))
	e.Add(office(work.Add(time.Hour+time.Second), "Ecs", "DescribeInstances"))
	e.Add(office(work, "Ecs", "DescribeInstances", withKey("LTAI5tSomeoneElse0000001")))
	r := e.Result()
	e.Add(office(work, "Ecs", "DescribeInstances"))
	if r.Window.Events != 2 || r.Window.Filtered != 3 {
		t.Errorf("events %d filtered %d, want 2 and 3", r.Window.Events, r.Window.Filtered)
	}
	if e.Result() != r || r.Window.Events != 2 {
		t.Error("Result is not stable after a late Add")
	}
	if !r.Window.Since.Equal(work) || !r.Window.Until.Equal(work.Add(time.Hour)) {
		t.Errorf("window %v..%v, want the options'", r.Window.Since, r.Window.Until)
	}
}

func TestDiagnosticsAndLimits(t *testing.T) {
	e := NewEngine(baseOptions())
	e.AddDiagnostic(Diagnostic{Level: "warning", Source: "trail.json", Summary: "line 3: not JSON"})
	r := e.Result()
	if len(r.Diagnostics) != 1 || r.Diagnostics[0].Source != "trail.json" {
		t.Errorf("diagnostics = %+v", r.Diagnostics)
	}
}

func TestParseBusinessHours(t *testing.T) {
	wk := [7]bool{false, true, true, true, true, true, false}
	cases := []struct {
		in      string
		want    BusinessHours
		str     string
		wantErr string
	}{
		{in: "Mon-Fri 09:00-19:00", want: BusinessHours{Days: wk, Start: 540, End: 1140}, str: "Mon-Fri 09:00-19:00"},
		{in: " mon-FRIDAY 9:00-19:00 ", want: BusinessHours{Days: wk, Start: 540, End: 1140}, str: "Mon-Fri 09:00-19:00"},
		{in: "Mon,Wed 08:30-18:00", want: BusinessHours{Days: [7]bool{1: true, 3: true}, Start: 510, End: 1080}, str: "Mon,Wed 08:30-18:00"},
		{in: "Fri-Mon 22:00-06:00", want: BusinessHours{Days: [7]bool{0: true, 1: true, 5: true, 6: true}, Start: 1320, End: 360}, str: "Mon,Fri-Sun 22:00-06:00"},
		{in: "always", want: AlwaysBusinessHours(), str: "always"},
		{in: "Sat 00:00-24:00", want: BusinessHours{Days: [7]bool{6: true}, Start: 0, End: 1440}, str: "Sat 00:00-24:00"},
		{in: "", wantErr: "want days and a time range"},
		{in: "Mon-Fri", wantErr: "want days and a time range"},
		{in: "Mon-Fry 09:00-19:00", wantErr: `"Fry" is not a day name`},
		{in: "Mon-Fri 09:00", wantErr: "want a time range"},
		{in: "Mon-Fri 9-19", wantErr: "is not a time of day"},
		{in: "Mon-Fri 09:00-25:00", wantErr: "is not a time of day"},
		{in: "Mon-Fri 09:60-19:00", wantErr: "is not a time of day"},
		{in: "Mon-Fri 09:00-09:00", wantErr: "empty"},
	}
	for _, tc := range cases {
		got, err := ParseBusinessHours(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseBusinessHours(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseBusinessHours(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			continue
		}
		if got.String() != tc.str {
			t.Errorf("String() = %q, want %q", got.String(), tc.str)
		}
	}
}

func TestBusinessHoursContains(t *testing.T) {
	day := DefaultBusinessHours()
	night, _ := ParseBusinessHours("Mon-Fri 22:00-06:00")
	at := func(wd time.Weekday, hh, mm int) time.Time {
		// 2025-03-09 is a Sunday.
		return time.Date(2025, 3, 9+int(wd), hh, mm, 0, 0, time.UTC)
	}
	cases := []struct {
		bh   BusinessHours
		t    time.Time
		want bool
	}{
		{day, at(time.Monday, 9, 0), true},
		{day, at(time.Monday, 8, 59), false},
		{day, at(time.Friday, 18, 59), true},
		{day, at(time.Friday, 19, 0), false},
		{day, at(time.Saturday, 12, 0), false},
		{night, at(time.Monday, 23, 0), true},
		{night, at(time.Tuesday, 5, 59), true}, // Monday's shift
		{night, at(time.Saturday, 3, 0), true}, // Friday's shift
		{night, at(time.Monday, 3, 0), false},  // Sunday had no shift
		{night, at(time.Monday, 12, 0), false},
	}
	for _, tc := range cases {
		if got := tc.bh.Contains(tc.t); got != tc.want {
			t.Errorf("%s contains %s = %v, want %v", tc.bh, tc.t.Format("Mon 15:04"), got, tc.want)
		}
	}
}

func TestSeverity(t *testing.T) {
	for s := Info; s <= Critical; s++ {
		got, err := ParseSeverity(strings.ToUpper(s.String()))
		if err != nil || got != s {
			t.Errorf("ParseSeverity(%q) = %v, %v", s, got, err)
		}
		b, err := json.Marshal(s)
		if err != nil || string(b) != `"`+s.String()+`"` {
			t.Errorf("marshal %v = %s, %v", s, b, err)
		}
		var back Severity
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("unmarshal %s = %v, %v", b, back, err)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil || !strings.Contains(err.Error(), `"severe" is not one of info, low, medium, high, critical`) {
		t.Errorf("ParseSeverity(severe) error = %v", err)
	}
	if _, err := json.Marshal(Severity(9)); err == nil {
		t.Error("marshal of an out-of-range severity succeeded")
	}
	var s Severity
	if err := json.Unmarshal([]byte(`3`), &s); err == nil {
		t.Error("unmarshal of a number succeeded")
	}
	r := &Result{Findings: []Finding{{Severity: Low}, {Severity: High}}}
	if r.MaxSeverity() != High || !r.HasAtLeast(High) || r.HasAtLeast(Critical) || !r.HasAtLeast(Info) {
		t.Error("MaxSeverity/HasAtLeast wrong")
	}
	if (&Result{}).HasAtLeast(Info) {
		t.Error("HasAtLeast(info) true without findings")
	}
}

func TestUserAgentFamily(t *testing.T) {
	for in, want := range map[string]string{
		"AlibabaCloud (linux; amd64) Go/1.22.0 Core/0.01 TeaDSL/1":               "AlibabaCloud Go",
		"AlibabaCloud (Linux; x86_64) Python/3.11.4 Core/2.13.3 python-requests": "AlibabaCloud Python",
		"aliyun-cli/3.0.200":     "aliyun-cli",
		"ram.console.aliyun.com": "ram.console.aliyun.com",
		"TruffleHog":             "TruffleHog",
		"  ":                     "",
		"(weird)":                "",
	} {
		if got := userAgentFamily(in); got != want {
			t.Errorf("userAgentFamily(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRobustStats(t *testing.T) {
	st := newRobustStats([]float64{0, 0, 0, 2, 4, 4, 6})
	if st.median != 2 || st.mad != 2 {
		t.Errorf("median %v MAD %v, want 2 and 2", st.median, st.mad)
	}
	if hit, _ := st.anomalous(13); !hit {
		t.Error("13 vs median 2 MAD 2 should be anomalous (z 3.7)")
	}
	if hit, _ := st.anomalous(12); hit {
		t.Error("12 vs median 2 MAD 2 should not be anomalous (z 3.4)")
	}
	flat := newRobustStats([]float64{0, 0, 0, 0, 0, 0, 10})
	if flat.mad != 0 || flat.meanAD == 0 {
		t.Fatalf("MAD %v meanAD %v, want 0 and > 0", flat.mad, flat.meanAD)
	}
	if hit, why := flat.anomalous(20); !hit || !strings.Contains(why, "MAD 0") {
		t.Errorf("20 vs a mostly-zero baseline: %v %s", hit, why)
	}
	constant := newRobustStats([]float64{5, 5, 5, 5})
	if hit, _ := constant.anomalous(6); hit {
		t.Error("6 vs constant 5 is not anomalous")
	}
	if hit, why := constant.anomalous(25); !hit || !strings.Contains(why, "Poisson") {
		t.Errorf("25 vs constant 5: %v %s", hit, why)
	}
	if p := poissonTail(0, 3); p != 1 {
		t.Errorf("P(X>=0) = %v", p)
	}
}

func TestCatalogue(t *testing.T) {
	if got := SensitiveCategories("ram", "CreateUser"); !slices.Equal(got, []Category{CategoryPers}) {
		t.Errorf("ram CreateUser = %v", got)
	}
	if got := SensitiveCategories("ECS", "DeleteInstance"); !slices.Equal(got, []Category{CategoryDest}) {
		t.Errorf("ECS DeleteInstance = %v", got)
	}
	if got := SensitiveCategories("log", "DeleteLogStore"); !slices.Equal(got, []Category{CategoryEvade}) {
		t.Errorf("log DeleteLogStore = %v", got)
	}
	if got := SensitiveCategories("Ecs", "DescribeTags"); got != nil {
		t.Errorf("Ecs DescribeTags = %v, want nil", got)
	}
	acts := SensitiveActions()
	seen := map[string]bool{}
	for _, a := range acts {
		k := a.Service + "/" + a.Name + "/" + string(a.Category)
		if seen[k] {
			t.Errorf("duplicate %s", k)
		}
		seen[k] = true
		if a.Service != CanonicalService(a.Service) || a.Name == "" || !strings.Contains(a.Action, ":") {
			t.Errorf("bad entry %+v", a)
		}
	}
	acts[0].Name = "changed"
	if SensitiveActions()[0].Name == "changed" {
		t.Error("SensitiveActions returned shared storage")
	}
	for code, want := range map[string]bool{
		"NoPermission": true, "NoPermission.Foo": true, "Forbidden.RAM": true, "Forbbiden": true,
		"InvalidAccessKeyId.NotFound": true, "InvalidSecurityToken.Expired": true, "InvalidSecurityToken": false,
		"AccessDenied": true, "SignatureDoesNotMatch": true, "Throttling.User": false, "": false, "EntityNotExist.User": false,
	} {
		if got := IsAuthFailure(code); got != want {
			t.Errorf("IsAuthFailure(%q) = %v, want %v", code, got, want)
		}
	}
}

// TestRulesDocumented: every rule the engine can emit has a RuleInfo, and
// every table rule id is documented.
func TestRulesDocumented(t *testing.T) {
	ids := map[string]bool{}
	for _, r := range Rules() {
		if ids[r.ID] {
			t.Errorf("duplicate rule %s", r.ID)
		}
		ids[r.ID] = true
		if r.Title == "" || r.Logic == "" || r.Why == "" || len(r.Attack) == 0 || r.SeverityText == "" {
			t.Errorf("rule %s is not fully documented", r.ID)
		}
		if !strings.HasPrefix(r.SeverityText, r.Severity.String()) {
			t.Errorf("rule %s severity text %q does not start with %s", r.ID, r.SeverityText, r.Severity)
		}
	}
	for _, tr := range tableRules {
		if !ids[tr.id] {
			t.Errorf("table rule %s has no RuleInfo", tr.id)
		}
		if tr.sev != ruleByID[tr.id].Severity {
			t.Errorf("table rule %s severity %s, documented %s", tr.id, tr.sev, ruleByID[tr.id].Severity)
		}
	}
}

// TestHostileInput: bad input never panics, and the Result keeps what the
// events carried (escaping is the renderers' job: internal/cli
// TestAuditRenderHostileEngineInput renders these events).
func TestHostileInput(t *testing.T) {
	e := NewEngine(Options{})
	weird := []*Event{
		{Name: "", Time: time.Time{}},
		{Name: "CreateAccessKey", Service: "Ram", RW: "Write", SourceIP: "::ffff:1.2.3.4", Response: map[string]any{"AccessKey": "not a map"}},
		{Name: "CreateAccessKey", Service: "Ram", RW: "Write", SourceIP: "fe80::1%eth0", Response: map[string]any{"AccessKey": map[string]any{"AccessKeyId": 42}}},
		{Name: "RunInstances", Service: "Ecs", RW: "Write", Params: map[string]string{"Amount": "-3", "InstanceType": "ecs."}},
		{Name: "CreateRole", Service: "Ram", RW: "Write", Params: map[string]string{"AssumeRolePolicyDocument": "12345678901234567"}},
		{Name: "CreateUser", Service: "Ram", RW: "Write", UserAgent: "evil\x1b[2J\nagent", Params: map[string]string{"UserName": "a|b\x1b]0;x\x07`<img>"}},
		{Name: "DescribeInstances", Service: "Ecs", RW: "Read", Time: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Name: "DescribeInstances", Service: "Ecs", RW: "Read", Time: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, x := range weird {
		e.Add(x)
	}
	r := e.Result()
	found := false
	for _, c := range r.Created {
		if c.Kind == "user" && c.Name == "a|b\x1b]0;x\x07`<img>" {
			found = true
		}
	}
	if !found {
		t.Errorf("the created user's name is not kept as the event carried it: %+v", r.Created)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatalf("marshal: %v", err)
	}
}
