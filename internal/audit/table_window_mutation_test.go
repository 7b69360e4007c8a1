package audit

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Tests for the surviving mutants of rules_table.go, rules_window.go and
// the rule-family files (rules_cost.go, rules_exfil.go, rules_dest.go,
// rules_pers.go, rules_evade.go, rules_priv.go, rules_exec.go). Expected
// values come from the catalogue (docs/rules.md: the rule's logic,
// severity and parameters, "Baseline", "Severity escalation") and are
// worked out by hand in the comments. The fixtures are engine_helpers_test.go's
// office week (127.0.0.10 and .11, cn-hangzhou) and rules_test.go's work
// (10:00 on a Wednesday in Shanghai, business hours: no CTX-02 hit, so no
// escalation of an office finding).

// twRun runs the engine over the office week plus evs with opts.
func twRun(opts Options, evs ...*Event) *Result {
	evSeq = 0
	all := officeWeek(leakStart.Add(-2 * time.Hour))
	return runEngine(opts, append(all, evs...))
}

// twLeakAt returns the base options with --leak-time t: the baseline ends
// exactly at t (docs/rules.md, "Baseline": basis leak_time).
func twLeakAt(t time.Time) Options {
	o := baseOptions()
	o.LeakTime = t
	return o
}

// twEvidence lists a finding's evidence as "API@offset from t0".
func twEvidence(f *Finding, t0 time.Time) []string {
	var out []string
	for _, ev := range f.Evidence {
		out = append(out, fmt.Sprintf("%s/%s@%s", ev.Name, ev.SourceIP, ev.Time.Sub(t0)))
	}
	slices.Sort(out)
	return out
}

// twRead is a list-like read (a region sweep candidate) by ip at t in
// region.
func twRead(t time.Time, ip, region string) *Event {
	opts := []evOpt{withRegion(region)}
	if ip == attacker {
		opts = append(opts, withUA(attackerUA))
	}
	return tev(t, ip, "Ecs", "DescribeInstances", opts...)
}

// ENUM-02's window is 10 calendar minutes (docs/rules.md, ENUM-02: "5 or
// more distinct regions within 10 minutes"; rules_window.go: "a 10 minute
// window is 10 consecutive calendar minutes"). Reads in 4 regions in
// minutes 0-3 and a 5th region in minute 9 are one window; the 5th in
// minute 10 is not.
func TestTWRegionSweepWindowIsTenCalendarMinutes(t *testing.T) {
	regions := []string{"cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "ap-southeast-1"}
	sweep := func(last time.Duration) []*Event {
		var evs []*Event
		for i, r := range regions[:4] {
			evs = append(evs, twRead(work.Add(time.Duration(i)*time.Minute), attacker, r))
		}
		return append(evs, twRead(work.Add(last), attacker, regions[4]))
	}
	if f := findFinding(twRun(baseOptions(), sweep(9*time.Minute+59*time.Second)...), "ENUM-02"); f == nil {
		t.Errorf("5 regions in minutes 0-9: ENUM-02 did not fire")
	}
	if f := findFinding(twRun(baseOptions(), sweep(10*time.Minute)...), "ENUM-02"); f != nil {
		t.Errorf("5th region in minute 10: ENUM-02 fired (%s, count %d), want none: the window is minutes 0-9", f.Severity, f.Count)
	}
}

// The evidence of a window is the samples inside it, no more: a sweep in
// minutes 0-9 cites its 5 reads with the window's detail; a read in the
// sweep's first region half an hour earlier, and one in its second region
// at exactly the start of minute 10 (the next window, [1, 10], holds only
// 4 regions and does not fire) are not evidence, nor counted.
func TestTWRegionSweepEvidenceStaysInWindow(t *testing.T) {
	evs := []*Event{
		twRead(work.Add(-30*time.Minute), attacker, "cn-hangzhou"),
		twRead(work, attacker, "cn-hangzhou"),
		twRead(work.Add(1*time.Minute), attacker, "cn-shanghai"),
		twRead(work.Add(2*time.Minute), attacker, "cn-beijing"),
		twRead(work.Add(3*time.Minute), attacker, "cn-shenzhen"),
		twRead(work.Add(9*time.Minute+59*time.Second), attacker, "ap-southeast-1"),
		twRead(work.Add(10*time.Minute), attacker, "cn-shanghai"),
	}
	f := mustFinding(t, twRun(baseOptions(), evs...), "ENUM-02")
	want := []string{
		"DescribeInstances/" + attacker + "@0s",
		"DescribeInstances/" + attacker + "@1m0s",
		"DescribeInstances/" + attacker + "@2m0s",
		"DescribeInstances/" + attacker + "@3m0s",
		"DescribeInstances/" + attacker + "@9m59s",
	}
	if got := twEvidence(f, work); !slices.Equal(got, want) {
		t.Errorf("evidence %v, want %v", got, want)
	}
	if f.Count != 5 {
		t.Errorf("count %d, want the window's 5 reads", f.Count)
	}
	if !f.First.Equal(work) || !f.Last.Equal(work.Add(9*time.Minute+59*time.Second)) {
		t.Errorf("first %v last %v, want the window's first and last read (%v, %v)", f.First, f.Last, work, work.Add(9*time.Minute+59*time.Second))
	}
	for _, ev := range f.Evidence {
		if ev.Detail != "read calls in 5 regions within 10 minutes" {
			t.Errorf("evidence detail %q, want the window's", ev.Detail)
		}
	}
	if !slices.Equal(f.IPs, []string{attacker}) {
		t.Errorf("sources %v, want %s", f.IPs, attacker)
	}
}

// A busy source's kept samples (the earliest and latest 3 of each source
// and region) can all lie outside the window that fired: the finding still
// counts the window's reads and its time range shows where the window was
// (inside its minutes), without citing anything else.
func TestTWBusySourceWindowTimeRange(t *testing.T) {
	regions := []string{"cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "ap-southeast-1"}
	var evs []*Event
	for r, region := range regions {
		for k := range 3 {
			// 11 minutes apart: no window holds two of these.
			evs = append(evs,
				twRead(work.Add(-10*time.Hour+time.Duration(3*r+k)*11*time.Minute), attacker, region),
				twRead(work.Add(time.Hour+time.Duration(3*r+k)*11*time.Minute), attacker, region))
		}
		evs = append(evs, twRead(work.Add(time.Duration(r)*time.Minute+30*time.Second), attacker, region))
	}
	f := mustFinding(t, twRun(baseOptions(), evs...), "ENUM-02")
	if f.Count != 5 {
		t.Errorf("count %d, want the window's 5 reads", f.Count)
	}
	if len(f.Evidence) != 0 {
		t.Errorf("evidence %v, want none (no kept sample lies in the window)", twEvidence(f, work))
	}
	if f.First.Before(work) || !f.First.Before(work.Add(time.Minute)) {
		t.Errorf("first %v, want within the window's first minute (%v)", f.First, work)
	}
	if f.Last.Before(work.Add(4*time.Minute)) || !f.Last.Before(work.Add(5*time.Minute)) {
		t.Errorf("last %v, want within the window's last minute (%v)", f.Last, work.Add(4*time.Minute))
	}
}

// A known, trusted source's sweep fires only when its window starts at or
// after the baseline end and involves a region first seen then
// (docs/rules.md, ENUM-02 and routineNovelty). With --leak-time at the
// sweep's first read, and that read the key's first use of cn-shanghai,
// the office's sweep fires (medium, the office alone); the same sweep over
// regions all used before the baseline end does not.
func TestTWRegionSweepKnownSourceNeedsNewRegion(t *testing.T) {
	t0 := work
	// The office used these regions before, a day apart.
	var history []*Event
	for i, r := range []string{"cn-beijing", "cn-shenzhen", "ap-southeast-1"} {
		history = append(history, twRead(leakStart.Add(-time.Duration(3+i)*24*time.Hour), officeA, r))
	}
	sweep := func(first string) []*Event {
		evs := slices.Clone(history)
		for i, r := range []string{first, "cn-hangzhou", "cn-beijing", "cn-shenzhen", "ap-southeast-1"} {
			evs = append(evs, twRead(t0.Add(time.Duration(i)*time.Minute), officeA, r))
		}
		return evs
	}
	f := findFinding(twRun(twLeakAt(t0), sweep("cn-shanghai")...), "ENUM-02")
	if f == nil {
		t.Fatalf("office sweep from the baseline end with cn-shanghai new at it: ENUM-02 did not fire")
	}
	if f.Severity != Medium || !slices.Equal(f.IPs, []string{officeA}) {
		t.Errorf("ENUM-02 %s from %v, want medium from %s", f.Severity, f.IPs, officeA)
	}
	if len(f.Evidence) != 5 {
		t.Errorf("evidence %v, want the sweep's 5 reads", twEvidence(f, t0))
	}
	// cn-shanghai used the day before: nothing in the sweep is new.
	known := append(sweep("cn-shanghai"), twRead(leakStart.Add(-2*24*time.Hour), officeA, "cn-shanghai"))
	if f := findFinding(twRun(twLeakAt(t0), known...), "ENUM-02"); f != nil {
		t.Errorf("office sweep of known regions: ENUM-02 fired (%s, %v), want none", f.Severity, f.IPs)
	}
}

// ENUM-03 likewise: a known source's 15 distinct read APIs across 3
// services fire when the window starts at the baseline end and one API
// is first seen there; the same burst of APIs all called before does not.
func TestTWEnumBurstKnownSourceAtBaselineEnd(t *testing.T) {
	t0 := work
	svcs := []string{"Ecs", "Rds", "Vpc"}
	var history []*Event
	for i := range 14 {
		// 20 minutes apart: no 15-minute window holds two of them.
		history = append(history, office(leakStart.Add(-6*24*time.Hour+time.Duration(i)*20*time.Minute), svcs[i%3], fmt.Sprintf("DescribeOld%d", i)))
	}
	burst := func(firstName string) []*Event {
		evs := slices.Clone(history)
		evs = append(evs, office(t0, "Vpc", firstName))
		for i := range 14 {
			evs = append(evs, office(t0.Add(time.Duration(1+i*50)*time.Second), svcs[i%3], fmt.Sprintf("DescribeOld%d", i)))
		}
		return evs
	}
	f := findFinding(twRun(twLeakAt(t0), burst("DescribeBrandNew")...), "ENUM-03")
	if f == nil {
		t.Fatalf("office burst from the baseline end with one API new at it: ENUM-03 did not fire")
	}
	if f.Severity != Medium || !slices.Equal(f.IPs, []string{officeA}) {
		t.Errorf("ENUM-03 %s from %v, want medium from %s", f.Severity, f.IPs, officeA)
	}
	if f.Count != 15 {
		t.Errorf("count %d, want the burst's 15 reads", f.Count)
	}
	// All 15 called before the baseline end.
	known := append(burst("DescribeOld14"), office(leakStart.Add(-5*24*time.Hour), "Vpc", "DescribeOld14"))
	if f := findFinding(twRun(twLeakAt(t0), known...), "ENUM-03"); f != nil {
		t.Errorf("office burst of known APIs: ENUM-03 fired (%s, %v), want none", f.Severity, f.IPs)
	}
}

// ENUM-05 fires on 5 failures spanning 3 APIs or 2 services (docs/rules.md,
// ENUM-05): 5 refusals of 2 APIs in 2 services within 5 minutes fire
// (medium: fewer than 10, from the office in business hours), 5 of 2 APIs
// in one service do not.
func TestTWPermissionProbingTwoServices(t *testing.T) {
	probe := func(svc2 string) []*Event {
		var evs []*Event
		for i := range 5 {
			svc, name := "Ram", "ListUsers"
			if i%2 == 1 {
				svc, name = svc2, "DescribeSecrets"
			}
			evs = append(evs, office(work.Add(time.Duration(i)*20*time.Second), svc, name, withErr("NoPermission")))
		}
		return evs
	}
	f := findFinding(twRun(baseOptions(), probe("Kms")...), "ENUM-05")
	if f == nil {
		t.Fatalf("5 failures, 2 APIs in 2 services: ENUM-05 did not fire")
	}
	if f.Severity != Medium || f.Count != 5 {
		t.Errorf("ENUM-05 %s count %d, want medium, 5", f.Severity, f.Count)
	}
	if f := findFinding(twRun(baseOptions(), probe("Ram")...), "ENUM-05"); f != nil {
		t.Errorf("5 failures, 2 APIs in 1 service: ENUM-05 fired (%s), want none", f.Severity)
	}
}

// twTitle runs the office week plus evs and returns rule's finding title
// ("" when it did not fire).
func twTitle(rule string, evs ...*Event) string {
	if f := findFinding(twRun(baseOptions(), evs...), rule); f != nil {
		return f.Title
	}
	return ""
}

// A failed attempt still fires its rule and says so in the why
// (docs/rules.md: evidence lists the error; "a failed attempt still shows
// intent"); only successful ones create an identity (created_identities
// lists what the key "created or changed successfully"). When every
// attempt failed the why says so: "Secret read" over a refused
// GetSecretValue must not read as a secret that left the account.
func TestTWFailedAttemptIsNoted(t *testing.T) {
	const every, some = "Every attempt failed", "Some attempts failed"
	r := twRun(baseOptions(), office(work, "Ram", "CreateUser", withParams("UserName", "svc-x"), withErr("EntityAlreadyExists.User.Name")))
	f := mustFinding(t, r, "PERS-01")
	if f.Severity != High || !strings.Contains(f.Why, every) || strings.Contains(f.Why, some) {
		t.Errorf("failed CreateUser: PERS-01 %s, why %q; want high with the every-attempt-failed note", f.Severity, f.Why)
	}
	mixed := twRun(baseOptions(), office(work, "Ram", "CreateUser", withParams("UserName", "svc-x"), withErr("EntityAlreadyExists.User.Name")),
		office(work.Add(time.Minute), "Ram", "CreateUser", withParams("UserName", "svc-y")))
	if f := mustFinding(t, mixed, "PERS-01"); !strings.Contains(f.Why, some) || strings.Contains(f.Why, every) {
		t.Errorf("one failed and one successful CreateUser: PERS-01 why %q; want the some-attempts-failed note", f.Why)
	}
	// Two sources, one refused every time, one not: some failed.
	twoSources := twRun(baseOptions(), office(work, "Ram", "CreateUser", withParams("UserName", "svc-x"), withErr("EntityAlreadyExists.User.Name")),
		intruder(work.Add(time.Minute), "Ram", "CreateUser", withParams("UserName", "svc-y")))
	if f := mustFinding(t, twoSources, "PERS-01"); !strings.Contains(f.Why, some) || strings.Contains(f.Why, every) {
		t.Errorf("a refused source and a successful one: PERS-01 why %q; want the some-attempts-failed note", f.Why)
	}
	if len(f.Evidence) != 1 || f.Evidence[0].ErrorCode != "EntityAlreadyExists.User.Name" {
		t.Errorf("evidence %+v, want the failed call with its error code", f.Evidence)
	}
	if len(r.Created) != 0 {
		t.Errorf("created %+v, want none for a failed CreateUser", r.Created)
	}
	r = twRun(baseOptions(), office(work, "Ram", "CreateUser", withParams("UserName", "svc-x")))
	f = mustFinding(t, r, "PERS-01")
	if strings.Contains(f.Why, some) || strings.Contains(f.Why, every) {
		t.Errorf("successful CreateUser: why %q has the failed-attempt note", f.Why)
	}
	if len(r.Created) != 1 || r.Created[0].Kind != KindUser || r.Created[0].Name != "svc-x" {
		t.Errorf("created %+v, want user svc-x", r.Created)
	}
}

// Evidence quotes the rule's parameters, "K=V" joined by ", ", skipping
// absent or empty ones and any whose name suggests a secret
// (docs/rules.md: "the parameters that matter, never a secret").
func TestTWEvidenceQuotesParameters(t *testing.T) {
	detail := func(rule string, ev *Event) string {
		f := findFinding(twRun(baseOptions(), ev), rule)
		if f == nil || len(f.Evidence) != 1 {
			t.Fatalf("%s: finding %+v, want one piece of evidence", rule, f)
		}
		return f.Evidence[0].Detail
	}
	for _, c := range []struct {
		rule string
		ev   *Event
		want string
	}{
		{"PERS-01", office(work, "Ram", "CreateUser", withParams("UserName", "svc-backup", "DisplayName", "backup")), "UserName=svc-backup, DisplayName=backup"},
		{"PERS-01", office(work, "Ram", "CreateUser", withParams("UserName", "svc-backup", "DisplayName", "")), "UserName=svc-backup"},
		{"PERS-01", office(work, "Ram", "CreateUser", withParams("DisplayName", "backup", "UserName", "svc-backup")), "UserName=svc-backup, DisplayName=backup"},
		{"PERS-02", office(work, "Ram", "UpdateLoginProfile", withParams("UserName", "alice", "PasswordResetRequired", "false", "MFABindRequired", "true")), "UserName=alice, MFABindRequired=true"},
		{"EXFIL-04", office(work, "Rds", "ModifySecurityIps", withParams("SecurityIps", "0.0.0.0/0", "DBInstanceId", "rm-1")), "DBInstanceId=rm-1, SecurityIps=0.0.0.0/0"},
	} {
		if got := detail(c.rule, c.ev); got != c.want {
			t.Errorf("%s %s: detail %q, want %q", c.rule, c.ev.Name, got, c.want)
		}
	}
}

// created_identities lists what the key created or changed successfully
// (docs/rules.md: PERS-01 "The user is listed", PERS-03 "The new key id
// ... goes to created_identities", PRIV-01 "Each attachment goes to
// created_identities"; result.go: user, access_key, login_profile, role,
// policy_attachment with the user and principal type concerned). A key
// disabled (DEST-06), a failed call or a role without a name lists
// nothing; an attachment to a role, which PRIV-01 and PRIV-03 both match,
// is listed once.
func TestTWCreatedIdentities(t *testing.T) {
	at := func(i int) time.Time { return work.Add(time.Duration(i) * time.Minute) }
	evs := []*Event{
		office(at(0), "Ram", "CreateUser", withParams("UserName", "u1")),
		office(at(1), "Ram", "CreateUser", withParams("UserName", "u2"), withErr("NoPermission")),
		office(at(2), "Ram", "CreateAccessKey", withParams("UserName", "u1"),
			withResp(map[string]any{"AccessKey": map[string]any{"AccessKeyId": "LTAI5tK1", "Status": "Active"}})),
		office(at(3), "Ram", "CreateAccessKey"),
		office(at(4), "Ram", "UpdateAccessKey", withParams("UserName", "alice", "UserAccessKeyId", "LTAI5tOld", "Status", "Active")),
		office(at(5), "Ram", "UpdateAccessKey", withParams("UserName", "bob", "UserAccessKeyId", "LTAI5tBob", "Status", "Inactive")),
		office(at(6), "Ram", "CreateLoginProfile", withParams("UserName", "u1")),
		office(at(7), "Ram", "UpdateLoginProfile", withParams("UserName", "alice")),
		office(at(8), "Ram", "CreateRole", withParams("RoleName", "r1")),
		office(at(9), "Ram", "CreateRole"),
		office(at(10), "Ram", "AttachPolicyToUser", withParams("PolicyName", "P1", "UserName", "u1")),
		office(at(11), "Ram", "AttachPolicyToGroup", withParams("PolicyName", "P2", "GroupName", "g1")),
		office(at(12), "Ram", "AttachPolicyToRole", withParams("PolicyName", "P3", "RoleName", "r1")),
		office(at(13), "Ims", "RestoreAccessKeyFromRecycleBin", withParams("UserPrincipalName", "carol@corp.onaliyun.com", "UserAccessKeyId", "LTAI5tBin")),
		office(at(14), "Ram", "UpdateRole", withParams("RoleName", "r2")),
	}
	r := twRun(baseOptions(), evs...)
	var got []string
	for _, c := range r.Created {
		got = append(got, fmt.Sprintf("%s %s user=%s type=%s by %s", c.Kind, c.Name, c.User, c.PrincipalType, c.Action))
	}
	want := []string{
		"user u1 user= type= by CreateUser",
		"access_key LTAI5tK1 user=u1 type= by CreateAccessKey",
		"access_key  user= type= by CreateAccessKey",
		"access_key LTAI5tOld user=alice type= by UpdateAccessKey",
		"login_profile u1 user=u1 type= by CreateLoginProfile",
		"login_profile alice user=alice type= by UpdateLoginProfile",
		"role r1 user= type= by CreateRole",
		"policy_attachment P1 user=u1 type=User by AttachPolicyToUser",
		"policy_attachment P2 user=g1 type=Group by AttachPolicyToGroup",
		"policy_attachment P3 user=r1 type=Role by AttachPolicyToRole",
		"access_key LTAI5tBin user=carol type= by RestoreAccessKeyFromRecycleBin",
		"role r2 user= type= by UpdateRole",
	}
	if !slices.Equal(got, want) {
		t.Errorf("created identities:\n got %q\nwant %q", got, want)
	}
	// The attachment's evidence quotes PRIV-01's parameters.
	for _, c := range r.Created {
		if c.Name == "P3" && c.Event.Detail != "PolicyName=P3, RoleName=r1" {
			t.Errorf("P3 attachment evidence detail %q, want PRIV-01's %q", c.Event.Detail, "PolicyName=P3, RoleName=r1")
		}
	}
}

// PERS-03's title names the key's user and the new key id
// (responseElements.AccessKey.AccessKeyId, or a flat AccessKeyId), or
// whichever of the two the event shows.
func TestTWNewKeyTitle(t *testing.T) {
	for _, c := range []struct {
		ev   *Event
		want string
	}{
		{office(work, "Ram", "CreateAccessKey", withParams("UserName", "svc"),
			withResp(map[string]any{"AccessKey": map[string]any{"AccessKeyId": "LTAI5tNested"}})), "New AccessKey issued: svc LTAI5tNested"},
		{office(work, "Ram", "CreateAccessKey", withResp(map[string]any{"AccessKeyId": "LTAI5tFlat"})), "New AccessKey issued: LTAI5tFlat"},
		{office(work, "Ram", "CreateAccessKey", withParams("UserName", "svc")), "New AccessKey issued: svc"},
		{office(work, "Ims", "CreateAccessKey", withParams("UserPrincipalName", "svc@corp.onaliyun.com"),
			withResp(map[string]any{"AccessKey": map[string]any{"AccessKeyId": "LTAI5tIms"}})), "New AccessKey issued: svc LTAI5tIms"},
		{office(work, "Ram", "UpdateAccessKey", withParams("UserName", "alice", "UserAccessKeyId", "LTAI5tOld", "Status", "active")), "New AccessKey issued: alice"},
	} {
		if got := twTitle("PERS-03", c.ev); got != c.want {
			t.Errorf("%s %v: title %q, want %q", c.ev.Name, c.ev.Params, got, c.want)
		}
	}
}

// A title names up to 8 subjects and counts the others once each
// (docs/rules.md: "a title naming what was touched"): nine users, the
// ninth created twice, are "u1, ..., u8 and 1 more".
func TestTWTitleCountsExtraSubjectsOnce(t *testing.T) {
	var evs []*Event
	for i := 1; i <= 9; i++ {
		evs = append(evs, office(work.Add(time.Duration(i)*time.Minute), "Ram", "CreateUser", withParams("UserName", fmt.Sprintf("u%d", i))))
	}
	evs = append(evs, office(work.Add(20*time.Minute), "Ram", "CreateUser", withParams("UserName", "u9")))
	want := "RAM user created: u1, u2, u3, u4, u5, u6, u7, u8 and 1 more"
	if got := twTitle("PERS-01", evs...); got != want {
		t.Errorf("title %q, want %q", got, want)
	}
}

// EVADE-06's subject is the first of the targeted instances (sorted) and
// how many more: InstanceId, InstanceIds and InstanceId.N, each a single
// id, a JSON array (compact or pretty-printed) or a comma-separated list,
// duplicates counted once.
func TestTWInstanceListInTitle(t *testing.T) {
	stop := func(kv ...string) *Event {
		return office(work, "Ecs", "RunCommand", withParams(append([]string{"ContentEncoding", "PlainText", "CommandContent", "systemctl stop aegis"}, kv...)...))
	}
	for _, c := range []struct {
		ev   *Event
		want string
	}{
		{stop("InstanceId", "i-x"), "Security agent disabled: i-x"},
		{stop("InstanceIds", `["i-b","i-a"]`), "Security agent disabled: i-a +1"},
		{stop("InstanceIds", "[\n\t\"i-c\",\n\t\"i-b\",\n\t\"i-a\"\n]"), "Security agent disabled: i-a +2"},
		{stop("InstanceIds", "i-e, i-f,i-g"), "Security agent disabled: i-e +2"},
		{stop("InstanceId.1", "i-d", "InstanceId.2", "i-c", "InstanceId.3", "i-d"), "Security agent disabled: i-c +1"},
		{stop("InstanceId", "i-z", "InstanceIds", `["i-y"]`, "InstanceId.1", "i-w"), "Security agent disabled: i-w +2"},
		{stop(), "Security agent disabled"},
	} {
		if got := twTitle("EVADE-06", c.ev); got != c.want {
			t.Errorf("%v: title %q, want %q", c.ev.Params, got, c.want)
		}
	}
}

// ENUM-06 names the bucket: the bucket/BucketName parameter, else an
// ACS::OSS::Bucket resource, else the bucket part of an object resource
// ("bucket/key" or acs:oss:<region>:<account>:<bucket>/<key>).
func TestTWStorageDiscoveryBucket(t *testing.T) {
	list := func(opts ...evOpt) *Event { return office(work, "Oss", "ListObjects", opts...) }
	for _, c := range []struct {
		name string
		ev   *Event
		want string
	}{
		{"parameter", list(withParams("bucketName", "p-bucket")), "Storage discovery: p-bucket"},
		{"bucket resource", list(withRes("ACS::OSS::Bucket", "logs-bucket")), "Storage discovery: logs-bucket"},
		{"object ARN", list(withRes("ACS::OSS::Object", "acs:oss:cn-hangzhou:1234567890123456:finance-data/2025/q1.csv")), "Storage discovery: finance-data"},
		{"object path", list(withRes("ACS::OSS::Object", "media/a.png")), "Storage discovery: media"},
		{"first object", list(withRes("ACS::OSS::Object", "first/a"), withRes("ACS::OSS::Object", "second/b")), "Storage discovery: first"},
		{"bucket over object", list(withRes("ACS::OSS::Object", "obj-bucket/a"), withRes("ACS::OSS::Bucket", "the-bucket")), "Storage discovery: the-bucket"},
		{"short ARN", list(withRes("ACS::OSS::Object", "acs:oss:cn-hangzhou:finance-data/x")), "Storage discovery"},
		{"nothing", list(), "Storage discovery"},
	} {
		if got := twTitle("ENUM-06", c.ev); got != c.want {
			t.Errorf("%s: title %q, want %q", c.name, got, c.want)
		}
	}
}

// COST-01 sums successful instances per clock hour (docs/rules.md,
// COST-01: "successful instances (Amount, default 1) are summed per hour";
// critical at 5). Five launches without Amount are 5 instances; four are
// not; a successful launch whose Amount the log shows as 0 still started
// an instance (default 1); failed launches are attempts (high, noted) and
// add nothing.
func TestTWComputeAmountPerHour(t *testing.T) {
	launches := func(n int, opts ...evOpt) []*Event {
		var evs []*Event
		for i := range n {
			evs = append(evs, office(work.Add(time.Duration(i)*time.Minute), "Ecs", "RunInstances",
				append([]evOpt{withParams("InstanceType", "ecs.g7.large")}, opts...)...))
		}
		return evs
	}
	sev := func(evs ...*Event) Severity {
		f := findFinding(twRun(baseOptions(), evs...), "COST-01")
		if f == nil {
			return absent
		}
		return f.Severity
	}
	if got := sev(launches(5)...); got != Critical {
		t.Errorf("5 launches without Amount: COST-01 %s, want critical", got)
	}
	if got := sev(launches(4)...); got != High {
		t.Errorf("4 launches without Amount: COST-01 %s, want high", got)
	}
	zero := office(work.Add(30*time.Minute), "Ecs", "RunInstances", withParams("InstanceType", "ecs.g7.large", "Amount", "0"))
	if got := sev(append(launches(4), zero)...); got != Critical {
		t.Errorf("4 launches and one logged with Amount 0: COST-01 %s, want critical (5 instances)", got)
	}
	failed := launches(6, withErr("QuotaExceed.ElasticQuota"))
	f := findFinding(twRun(baseOptions(), failed...), "COST-01")
	if f == nil || f.Severity != High || !strings.Contains(f.Why, "Every attempt failed") {
		t.Errorf("6 failed launches: COST-01 %+v, want high with the failed-attempt note", f)
	}
}

// A routine job's departing day is judged by its own launches: a new
// instance type departs, and 5 instances of it in one hour make that day
// critical, 4 high (docs/rules.md, COST-01 and "Routine vs new";
// TestRoutineComputeDepartures has the volume and GPU cases).
func TestTWRoutineDepartureFiveInstances(t *testing.T) {
	day := time.Date(2026, 3, 31, 1, 0, 0, 0, time.UTC) // 09:00 in Shanghai
	for _, c := range []struct {
		amount int
		want   Severity
	}{{5, Critical}, {4, High}} {
		r := runEvents(append(launchHistory(30, "ecs.g6.large"), launch("x-new", day, "ecs.c7.large", c.amount)))
		f := findingOf(r, "COST-01")
		if f == nil || f.Severity != c.want {
			t.Errorf("new type, Amount %d on a departing day: COST-01 %+v, want %s", c.amount, f, c.want)
			continue
		}
		if len(f.Evidence) != 1 || f.RoutineCount != 30 {
			t.Errorf("Amount %d: %d evidence, routine %d; want the departing launch and 30 routine", c.amount, len(f.Evidence), f.RoutineCount)
		}
	}
}

// EXEC-03 names the instance role a command reads from
// security-credentials/<role>: the lower-cased run of letters, digits and
// - _ . @ after the path (docs/rules.md, EXEC-03; role names are
// case-insensitive in RAM), up to the first other character.
func TestTWMetadataRoleName(t *testing.T) {
	steal := func(path string) *Event {
		return office(work, "Ecs", "RunCommand", withParams("InstanceId", "i-bp1", "ContentEncoding", "PlainText",
			"CommandContent", "curl -s http://100.100.100.200/latest/meta-data/ram/security-credentials/"+path))
	}
	for _, c := range []struct{ path, want string }{
		{"Azure_Role-09.z@a && cat /etc/passwd", "Instance-metadata credential theft: i-bp1 role azure_role-09.z@a"},
		{"a9/x", "Instance-metadata credential theft: i-bp1 role a9"},
		{"z0:x", "Instance-metadata credential theft: i-bp1 role z0"},
		{"`a{b", "Instance-metadata credential theft: i-bp1"},
		{"0a[b", "Instance-metadata credential theft: i-bp1 role 0a"},
		{"", "Instance-metadata credential theft: i-bp1"},
	} {
		if got := twTitle("EXEC-03", steal(c.path)); got != c.want {
			t.Errorf("security-credentials/%s: title %q, want %q", c.path, got, c.want)
		}
	}
}

// DEST-04 judges object deletions (DeleteObject and DeleteMultipleObjects)
// by rate only: 100 or more within 10 minutes from one source; every
// other OSS Delete* write fires on its own (docs/rules.md, DEST-04), and
// other OSS calls (downloads) never count as deletions.
func TestTWObjectDeletionsByRateOnly(t *testing.T) {
	calls := func(n int, name string) []*Event {
		return repeat(n, func(i int) *Event {
			return office(work.Add(time.Duration(i)*5*time.Second), "Oss", name, withParams("BucketName", "b"))
		})
	}
	if f := findFinding(twRun(baseOptions(), calls(99, "DeleteMultipleObjects")...), "DEST-04"); f != nil {
		t.Errorf("99 DeleteMultipleObjects: DEST-04 fired (%s, count %d), want none", f.Severity, f.Count)
	}
	f := findFinding(twRun(baseOptions(), calls(100, "DeleteMultipleObjects")...), "DEST-04")
	if f == nil || f.Severity != Critical || f.Count != 100 {
		t.Errorf("100 DeleteMultipleObjects in 500 s: DEST-04 %+v, want critical, count 100", f)
	} else {
		for _, ev := range f.Evidence {
			if ev.Name != "DeleteMultipleObjects" || ev.Detail != "100 object deletions within 10 minutes" {
				t.Errorf("evidence %s %q, want the deletions with the window's detail", ev.Name, ev.Detail)
			}
		}
	}
	mixed := append(calls(50, "DeleteObject"), calls(50, "DeleteMultipleObjects")...)
	if f := findFinding(twRun(baseOptions(), mixed...), "DEST-04"); f == nil || f.Count != 100 {
		t.Errorf("50 DeleteObject and 50 DeleteMultipleObjects: DEST-04 %+v, want count 100", f)
	}
	if f := findFinding(twRun(baseOptions(), calls(150, "GetObject")...), "DEST-04"); f != nil {
		t.Errorf("150 downloads: DEST-04 fired (count %d), want none", f.Count)
	}
	f = findFinding(twRun(baseOptions(), calls(1, "DeleteBucketWebsite")...), "DEST-04")
	if f == nil || f.Severity != Critical || f.Count != 1 {
		t.Errorf("one DeleteBucketWebsite: DEST-04 %+v, want critical, count 1", f)
	}
}

// Past the subjects one source's accumulator keeps by name (8) and by
// hash (256), a title still counts every distinct subject: 267 users
// created by the office are the first 8 and 259 more (as
// TestSubjectCountBeyondHashCap for the finding's own cap).
func TestTWTitleCountsSubjectsBeyondAccumulatorCap(t *testing.T) {
	const total = 267
	evs := repeat(total, func(i int) *Event {
		return office(work.Add(time.Duration(i)*time.Second), "Ram", "CreateUser", withParams("UserName", fmt.Sprintf("u%03d", i)))
	})
	want := "RAM user created: u000, u001, u002, u003, u004, u005, u006, u007 and 259 more"
	if got := twTitle("PERS-01", evs...); got != want {
		t.Errorf("title %q, want %q", got, want)
	}
}

// A secret-scanner user agent marks the onset of an incident
// (docs/rules.md, "Baseline": the onset is the earliest first appearance
// of a source that did something an attacker does, a secret-scanner user
// agent among them): a new source verifying the key with TruffleHog ends
// the baseline at its first appearance.
func TestTWScannerMarksOnset(t *testing.T) {
	seen := work.Add(-30 * time.Minute)
	r := twRun(baseOptions(),
		tev(seen, "198.51.100.9", "Ecs", "DescribeInstances", withUA(attackerUA)),
		tev(work, "198.51.100.9", "Sts", "GetCallerIdentity", withUA("TruffleHog")))
	if r.Window.BaselineBasis != "onset" || !r.Window.BaselineEnd.Equal(seen) {
		t.Errorf("baseline %s ending %v, want onset at the scanner source's first appearance %v", r.Window.BaselineBasis, r.Window.BaselineEnd, seen)
	}
}

// When the suspicious source was there from the start, the baseline ends
// at its first suspicious event, not a later one (docs/rules.md,
// "Baseline", 2.).
func TestTWOnsetIsTheFirstSuspiciousEvent(t *testing.T) {
	evSeq = 0
	t0 := work.Add(-48 * time.Hour)
	evs := []*Event{
		intruder(t0, "Ecs", "DescribeInstances"),
		intruder(t0.Add(time.Hour), "Sts", "GetCallerIdentity", withUA("TruffleHog")),
		intruder(t0.Add(2*time.Hour), "Sts", "GetCallerIdentity", withUA("TruffleHog")),
		intruder(t0.Add(3*time.Hour), "Actiontrail", "StopLogging", withParams("Name", "t")),
	}
	r := runEngine(baseOptions(), evs)
	if r.Window.BaselineBasis != "onset" || !r.Window.BaselineEnd.Equal(t0.Add(time.Hour)) {
		t.Errorf("baseline %s ending %v, want onset at the first scanner call %v", r.Window.BaselineBasis, r.Window.BaselineEnd, t0.Add(time.Hour))
	}
}

// created_identities is bounded at 5,000 entries; the ones beyond are
// dropped with a warning that counts them, and exactly 5,000 are all
// listed without one.
func TestTWCreatedListBound(t *testing.T) {
	users := func(n int) []*Event {
		return repeat(n, func(i int) *Event {
			return office(work.Add(time.Duration(i)*100*time.Millisecond), "Ram", "CreateUser", withParams("UserName", fmt.Sprintf("u%05d", i)))
		})
	}
	truncated := func(r *Result) bool {
		for _, d := range r.Diagnostics {
			if strings.Contains(d.Summary, "the key created more identities than are listed") {
				return true
			}
		}
		return false
	}
	r := twRun(baseOptions(), users(5000)...)
	if len(r.Created) != 5000 || truncated(r) {
		t.Errorf("5000 users: %d listed, truncated warning %v; want all 5000, no warning", len(r.Created), truncated(r))
	}
	r = twRun(baseOptions(), users(5001)...)
	if len(r.Created) != 5000 || !truncated(r) {
		t.Errorf("5001 users: %d listed, truncated warning %v; want 5000 and the warning", len(r.Created), truncated(r))
	}
	r = twRun(baseOptions(), users(5007)...)
	if !slices.ContainsFunc(r.Diagnostics, func(d Diagnostic) bool {
		return strings.Contains(d.Summary, "5000 listed in created_identities, 7 more not listed")
	}) {
		t.Errorf("5007 users: the warning does not count the 7 left out: %+v", r.Diagnostics)
	}
}

// Only ENUM-02 and ENUM-03 spare a known source's windows before the
// baseline end (routineNovelty); DEST-04's deletion burst and ENUM-05's
// probing have no such exemption (docs/rules.md): the office deleting 100
// objects, or collecting 5 refusals on 3 APIs, early in its history
// fires.
func TestTWKnownSourceBurstBeforeBaselineEnd(t *testing.T) {
	early := time.Date(2025, 3, 5, 2, 30, 0, 0, time.UTC) // Wednesday 10:30 in Shanghai, the office's second day
	deletes := repeat(100, func(i int) *Event {
		return office(early.Add(time.Duration(i)*5*time.Second), "Oss", "DeleteObject", withParams("BucketName", "b"))
	})
	r := twRun(baseOptions(), deletes...)
	if !r.Window.BaselineEnd.After(early.Add(10 * time.Minute)) {
		t.Fatalf("baseline ends %v (%s), want after the burst at %v", r.Window.BaselineEnd, r.Window.BaselineBasis, early)
	}
	if f := findFinding(r, "DEST-04"); f == nil || f.Severity != Critical || f.Count != 100 {
		t.Errorf("office deleting 100 objects before the baseline end: DEST-04 %+v, want critical, count 100", f)
	}
	probes := repeat(5, func(i int) *Event {
		return office(early.Add(time.Duration(i)*20*time.Second), "Ram", fmt.Sprintf("ListThing%d", i%3), withErr("NoPermission"))
	})
	if f := findFinding(twRun(baseOptions(), probes...), "ENUM-05"); f == nil || f.Severity != Medium {
		t.Errorf("office probing before the baseline end: ENUM-05 %+v, want medium", f)
	}
}

// The subjects the family check functions name in titles (docs/rules.md:
// "a title naming what was touched").
func TestTWFamilyTitles(t *testing.T) {
	for _, c := range []struct {
		rule string
		ev   *Event
		want string
	}{
		// PERS-07: the key pair, else the instance.
		{"PERS-07", office(work, "Ecs", "ImportKeyPair", withParams("KeyPairName", "kp", "InstanceId", "i-1")), "Instance login back door: kp"},
		{"PERS-07", office(work, "Ecs", "ModifyInstanceAttribute", withParams("InstanceId", "i-1", "UserData", "IyEvYmluL3NoCg==")), "Instance login back door: i-1"},
		// PRIV-01: the policy and the principal it was attached to.
		{"PRIV-01", office(work, "Ram", "AttachPolicyToGroup", withParams("PolicyName", "P", "GroupName", "g1")), "Policy attached: P to g1"},
		{"PRIV-01", office(work, "Ims", "AttachPolicyToRole", withParams("PolicyName", "P", "RoleName", "r1")), "Policy attached: P to r1"},
		{"PRIV-01", office(work, "Ram", "AttachPolicyToUser", withParams("PolicyName", "P")), "Policy attached: P"},
		// EXFIL-02: BucketName, else bucket.
		{"EXFIL-02", office(work, "Oss", "PutBucketPolicy", withParams("bucket", "b2")), "Bucket exposed or replicated: b2"},
		{"EXFIL-02", office(work, "Oss", "PutBucketPolicy", withParams("BucketName", "b1", "bucket", "b2")), "Bucket exposed or replicated: b1"},
		// EXEC-03 without a target instance names the role alone.
		{"EXEC-03", office(work, "Ecs", "CreateCommand", withParams("ContentEncoding", "PlainText",
			"CommandContent", "curl http://100.100.100.200/latest/meta-data/ram/security-credentials/EcsRole")), "Instance-metadata credential theft: role ecsrole"},
		// EXEC-05: the function, else the container group, trigger or service.
		{"EXEC-05", office(work, "Fc", "CreateTrigger", withParams("ServiceName", "s", "TriggerName", "tr")), "Serverless or container code launched: tr"},
		{"EXEC-05", office(work, "Fc", "CreateFunction"), "Serverless or container code launched"},
	} {
		if got := twTitle(c.rule, c.ev); got != c.want {
			t.Errorf("%s %s %v: title %q, want %q", c.rule, c.ev.Name, c.ev.Params, got, c.want)
		}
	}
}

// EXFIL-02 fires on PutBucketAcl and PutObjectAcl to a public ACL, or one
// the log does not show, and not on a private one; the ACL may be logged
// under x-oss-acl, acl, ACL, Acl or x-oss-object-acl (docs/rules.md,
// EXFIL-02).
func TestTWObjectACLExposure(t *testing.T) {
	for _, c := range []struct {
		name string
		ev   *Event
		want Severity
	}{
		{"object public", office(work, "Oss", "PutObjectAcl", withParams("bucket", "b", "x-oss-object-acl", "public-read")), High},
		{"object private", office(work, "Oss", "PutObjectAcl", withParams("bucket", "b", "x-oss-object-acl", "private")), absent},
		{"object unlogged ACL", office(work, "Oss", "PutObjectAcl", withParams("bucket", "b")), High},
		{"bucket ACL key", office(work, "Oss", "PutBucketAcl", withParams("BucketName", "b", "ACL", "public-read-write")), High},
		{"bucket Acl private", office(work, "Oss", "PutBucketAcl", withParams("BucketName", "b", "Acl", "private")), absent},
	} {
		f := findFinding(twRun(baseOptions(), c.ev), "EXFIL-02")
		got := absent
		if f != nil {
			got = f.Severity
		}
		if got != c.want {
			t.Errorf("%s: EXFIL-02 %v, want %v", c.name, got, c.want)
		}
	}
}

// PRIV-03 is critical when the trust policy names a 16-digit account id
// other than the caller's (docs/rules.md, PRIV-03): digits 0-9 all count,
// a longer number is not an account id, and an id at the very end of a
// document (a parameter the log cut short) counts too.
func TestTWRoleTrustForeignAccount(t *testing.T) {
	role := func(doc string) Severity {
		f := findFinding(twRun(baseOptions(), office(work, "Ram", "UpdateRole", withParams("RoleName", "r", "NewAssumeRolePolicyDocument", doc))), "PRIV-03")
		if f == nil {
			return absent
		}
		return f.Severity
	}
	for _, c := range []struct {
		doc  string
		want Severity
	}{
		{`{"Principal":{"RAM":["acs:ram::1029384756102938:root"]}}`, Critical},
		{`{"Principal":{"RAM":["acs:ram::9000000000000009:root"]}}`, Critical},
		{`{"Principal":{"RAM":["acs:ram::10293847561029384:root"]}}`, High},
		{`{"Principal":{"RAM":["acs:ram::` + testAccount + `:root"]}}`, High},
		{`{"Principal":{"RAM":["acs:ram::1029384756102938`, Critical},
	} {
		if got := role(c.doc); got != c.want {
			t.Errorf("trust %s: PRIV-03 %v, want %v", c.doc, got, c.want)
		}
	}
}

// A command's content is base64-decoded unless ContentEncoding says
// PlainText (docs/rules.md, EXEC-03): base64 text flagged as plain text is
// read as it is, and hides nothing.
func TestTWCommandContentEncoding(t *testing.T) {
	steal := "curl http://100.100.100.200/latest/meta-data/ram/security-credentials/EcsRole"
	run := func(kv ...string) Severity {
		f := findFinding(twRun(baseOptions(), office(work, "Ecs", "RunCommand", withParams(append([]string{"InstanceId", "i-1"}, kv...)...))), "EXEC-03")
		if f == nil {
			return absent
		}
		return f.Severity
	}
	if got := run("CommandContent", b64(steal)); got != Critical {
		t.Errorf("base64 content: EXEC-03 %v, want critical", got)
	}
	if got := run("CommandContent", b64(steal), "ContentEncoding", "PlainText"); got != absent {
		t.Errorf("base64 content marked PlainText: EXEC-03 %v, want none", got)
	}
	if got := run("CommandContent", steal, "ContentEncoding", "plaintext"); got != Critical {
		t.Errorf("plain content: EXEC-03 %v, want critical", got)
	}
}

// A window finding is raised one level next to a CTX-02 hit in the same
// hour (docs/rules.md, "Severity escalation"), even when none of the
// source's kept samples lies inside the window: the office probing at
// 03:00 in Shanghai (5 refusals on 3 APIs, medium) is high, although each
// API's kept samples are its 3 earliest and 3 latest refusals, all in
// business hours on other days.
func TestTWWindowHourEscalatesWithoutSamples(t *testing.T) {
	apis := []string{"ListUsers", "ListRoles", "ListGroups"}
	var evs []*Event
	before := time.Date(2025, 3, 6, 2, 0, 0, 0, time.UTC) // Thursday 10:00 in Shanghai
	for k := range 9 {
		evs = append(evs, office(before.Add(time.Duration(k)*10*time.Minute), "Ram", apis[k%3], withErr("NoPermission")))
	}
	for i := range 5 {
		evs = append(evs, office(night.Add(time.Duration(i)*20*time.Second), "Ram", apis[i%3], withErr("NoPermission")))
	}
	for k := range 9 {
		evs = append(evs, office(work.Add(time.Duration(k)*10*time.Minute), "Ram", apis[k%3], withErr("NoPermission")))
	}
	r := twRun(baseOptions(), evs...)
	mustFinding(t, r, "CTX-02")
	f := mustFinding(t, r, "ENUM-05")
	if len(f.Evidence) != 0 || f.Count != 5 {
		t.Fatalf("ENUM-05 count %d, evidence %v; want the night's 5 refusals, none cited", f.Count, twEvidence(f, night))
	}
	if f.Severity != High || !strings.Contains(f.Escalated, "CTX-02") {
		t.Errorf("ENUM-05 %s (escalated %q), want high, raised by CTX-02 in the same hour", f.Severity, f.Escalated)
	}
}
