package lab

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBuiltinScenarios(t *testing.T) {
	got := BuiltinScenarios()
	if want := []string{"builtin:empty", "builtin:leak"}; !slices.Equal(got, want) {
		t.Fatalf("BuiltinScenarios() = %v, want %v", got, want)
	}
	for _, ref := range got {
		s, err := LoadScenario(ref)
		if err != nil {
			t.Fatalf("LoadScenario(%q) = %v", ref, err)
		}
		if BuiltinPrefix+s.Name != ref {
			t.Errorf("%s is named %q", ref, s.Name)
		}
	}
}

func TestLoadScenarioErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"name":"bad","account":{"id":"1"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref  string
		want []string
	}{
		{"", []string{"empty reference", "builtin:leak"}},
		{"builtin:nope", []string{`load scenario "builtin:nope": no such built-in scenario`, "builtin:empty, builtin:leak"}},
		{"builtin:", []string{"no such built-in scenario"}},
		{"builtin:../builtin", []string{"no such built-in scenario"}},
		{filepath.Join(dir, "missing.json"), []string{"load scenario", "missing.json", "no such file"}},
		{bad, []string{"bad.json", "account.id"}},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			_, err := LoadScenario(tc.ref)
			if err == nil {
				t.Fatal("LoadScenario() succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestBuiltinEmpty(t *testing.T) {
	s, err := LoadScenario("builtin:empty")
	if err != nil {
		t.Fatal(err)
	}
	w, info, err := s.Build(scenarioNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Events) != 0 || len(w.Users) != 1 || len(w.AccessKeys) != 1 {
		t.Errorf("empty world has %d events, %d users, %d keys", len(w.Events), len(w.Users), len(w.AccessKeys))
	}
	c, ok := info.Credentials["admin"]
	if !ok || w.AccessKeys[c.AccessKeyID] == nil || w.AccessKeys[c.AccessKeyID].Secret != c.AccessKeySecret {
		t.Errorf("admin credential %+v does not match the world", c)
	}
}

// userDocuments returns the policy documents that apply to a RAM user:
// attached to it or to its groups.
func userDocuments(w *World, user string) []NamedDocument {
	groups := map[string]bool{}
	for name, g := range w.Groups {
		if _, ok := g.Members[user]; ok {
			groups[name] = true
		}
	}
	var docs []NamedDocument
	for _, a := range w.Attachments {
		if (a.PrincipalType == "User" && a.PrincipalName == user) || (a.PrincipalType == "Group" && groups[a.PrincipalName]) {
			if a.PolicyType == "System" {
				docs = append(docs, NamedDocument{Name: a.PolicyName, Type: "System", Document: SystemPolicies[a.PolicyName].Document})
				continue
			}
			p := w.Policies[a.PolicyName]
			for _, v := range p.Versions {
				if v.VersionID == p.DefaultVersion {
					docs = append(docs, NamedDocument{Name: p.Name, Type: "Custom", Document: v.Document})
				}
			}
		}
	}
	return docs
}

// leakNows are lab clocks the leak scenario must hold at: different
// weekdays, times of day (UTC and Shanghai), and the real clock.
func leakNows() []time.Time {
	return []time.Time{
		scenarioNow, // Wednesday morning in Shanghai
		time.Date(2026, 3, 9, 1, 30, 0, 0, time.UTC),   // Monday 09:30 Shanghai
		time.Date(2026, 3, 15, 17, 5, 0, 0, time.UTC),  // Monday 01:05 Shanghai, just after midnight
		time.Date(2026, 7, 4, 12, 0, 0, 0, time.UTC),   // Saturday evening
		time.Date(2027, 1, 1, 15, 59, 59, 0, time.UTC), // New Year, 23:59:59 Shanghai
		time.Now(),
	}
}

func TestBuiltinLeakInvariants(t *testing.T) {
	s, err := LoadScenario("builtin:leak")
	if err != nil {
		t.Fatal(err)
	}
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, now := range leakNows() {
		t.Run(now.Format(time.RFC3339), func(t *testing.T) {
			w, info, err := s.Build(now)
			if err != nil {
				t.Fatal(err)
			}
			now = now.UTC().Truncate(time.Second)
			assertWorldConsistent(t, w)
			checkLeakWorld(t, w, info, now, shanghai)
		})
	}
}

func checkLeakWorld(t *testing.T, w *World, info *ScenarioInfo, now time.Time, shanghai *time.Location) {
	t.Helper()
	day := 24 * time.Hour
	ago := func(d time.Duration) time.Time { return now.Add(-d) }

	if w.Account != (Account{ID: "1234567890123456", Alias: "akresp-lab"}) || info.Region != "cn-hangzhou" || info.AccountID != w.Account.ID {
		t.Errorf("account %+v, region %s", w.Account, info.Region)
	}
	for _, k := range []string{"leaked_key_id", "leaked_user", "attacker_ip", "office_ip", "office_cidr", "leak_time", "created_user", "created_key_id"} {
		if info.Notes[k] == "" {
			t.Errorf("note %s missing", k)
		}
	}
	leakedID, attacker := info.Notes["leaked_key_id"], info.Notes["attacker_ip"]
	if info.Notes["leaked_user"] != "app-prod" || attacker != "127.0.0.66" || info.Notes["office_ip"] != "127.0.0.10" ||
		info.Notes["created_user"] != "svc-backup" || !strings.HasPrefix(leakedID, "LTAI5tAPPPROD") || len(leakedID) != 24 {
		t.Errorf("notes = %v", info.Notes)
	}
	office, ok := peParsePrefix(info.Notes["office_cidr"])
	if !ok || !office.Contains(mustAddr("127.0.0.10")) || !office.Contains(mustAddr("127.0.0.11")) || office.Contains(mustAddr(attacker)) {
		t.Errorf("office_cidr %s does not cover exactly the office hosts", info.Notes["office_cidr"])
	}
	leakTime, err := time.Parse(time.RFC3339, info.Notes["leak_time"])
	if err != nil {
		t.Fatalf("leak_time: %v", err)
	}
	if age := now.Sub(leakTime); age < 35*time.Hour || age > 60*time.Hour {
		t.Errorf("leak %s ago, want about 2 days", age)
	}
	if h := leakTime.In(shanghai).Hour(); h >= 6 {
		t.Errorf("leak at %02d:xx Shanghai, want night", h)
	}

	// Principals.
	leaked := w.AccessKeys[leakedID]
	if leaked == nil || leaked.Owner != "app-prod" || leaked.Status != "Active" {
		t.Fatalf("leaked key = %+v", leaked)
	}
	docs := userDocuments(w, "app-prod")
	if !slices.ContainsFunc(docs, func(d NamedDocument) bool { return d.Name == "AdministratorAccess" }) {
		t.Errorf("app-prod is not over-privileged: %v", docs)
	}
	keysOf := func(owner string) []*AccessKey {
		var ks []*AccessKey
		for _, k := range w.AccessKeys {
			if k.Owner == owner {
				ks = append(ks, k)
			}
		}
		return ks
	}
	eventsOf := func(keyID string) []Event {
		var es []Event
		for _, e := range w.Events {
			if e.UserIdentity.AccessKeyID == keyID {
				es = append(es, e)
			}
		}
		return es
	}
	onlyKey := func(owner string) *AccessKey {
		ks := keysOf(owner)
		if len(ks) != 1 {
			t.Fatalf("%s has %d keys, want 1", owner, len(ks))
		}
		return ks[0]
	}
	for _, u := range []string{"admin", "app-prod", "reporting", "idle-bot", "legacy-etl", "ci-deploy", "alice", "bob", "svc-backup"} {
		if w.Users[u] == nil {
			t.Errorf("user %s missing", u)
		}
	}
	if c := info.Credentials["admin"]; w.AccessKeys[c.AccessKeyID] == nil || w.AccessKeys[c.AccessKeyID].Secret != c.AccessKeySecret || w.AccessKeys[c.AccessKeyID].Owner != "admin" {
		t.Errorf("admin credential does not match the world")
	}
	if c := info.Credentials["app-prod"]; c.AccessKeyID != leakedID || c.AccessKeySecret != leaked.Secret {
		t.Errorf("app-prod credential is not the leaked key")
	}
	if !slices.ContainsFunc(userDocuments(w, "admin"), func(d NamedDocument) bool { return d.Name == "AdministratorAccess" }) {
		t.Errorf("admin lacks AdministratorAccess")
	}
	if n := len(eventsOf(onlyKey("admin").ID)); n == 0 || n > 60 {
		t.Errorf("admin has %d events, want a little history", n)
	}

	idle := onlyKey("idle-bot")
	idleEvents := eventsOf(idle.ID)
	if age := now.Sub(idle.CreateDate); age < 290*day || age > 310*day {
		t.Errorf("idle-bot key created %s ago", age)
	}
	if len(idleEvents) == 0 {
		t.Fatal("idle-bot key never used")
	}
	if last := now.Sub(idleEvents[len(idleEvents)-1].Time); last < 115*day || last > 126*day {
		t.Errorf("idle-bot last used %s ago, want about 120 days", last)
	}

	etl := onlyKey("legacy-etl")
	etlEvents := eventsOf(etl.ID)
	if age := now.Sub(etl.CreateDate); age < 395*day {
		t.Errorf("legacy-etl key created %s ago, want > 1 year", age)
	}
	if len(etlEvents) < 60 || now.Sub(etlEvents[len(etlEvents)-1].Time) > 2*day {
		t.Errorf("legacy-etl has %d events, not used daily", len(etlEvents))
	}

	ci := onlyKey("ci-deploy")
	if age := now.Sub(ci.CreateDate); age != 40*day || len(eventsOf(ci.ID)) != 0 {
		t.Errorf("ci-deploy key created %s ago with %d events, want 40 days and none", age, len(eventsOf(ci.ID)))
	}

	if w.Logins["alice"] == nil || w.MFADevices["alice"] != nil || w.Logins["alice"].MFABindRequired {
		t.Errorf("alice must be a console user without MFA")
	}
	if w.Logins["bob"] == nil || w.MFADevices["bob"] == nil {
		t.Errorf("bob must be a console user with MFA")
	}

	root := onlyKey("")
	rootEvents := eventsOf(root.ID)
	if len(rootEvents) < 3 || len(rootEvents) > 10 {
		t.Errorf("root key used %d times, want a handful", len(rootEvents))
	}
	for _, e := range rootEvents {
		if e.SourceIPAddress != "127.0.0.10" || e.UserIdentity.Type != "root-account" {
			t.Errorf("root event %+v", e)
		}
	}
	if len(rootEvents) > 0 {
		if last := now.Sub(rootEvents[len(rootEvents)-1].Time); last < 9*day || last > 11*day {
			t.Errorf("root key last used %s ago, want about 10 days", last)
		}
	}
	if info.Credentials["root"].AccessKeyID != root.ID {
		t.Errorf("no root credential")
	}

	for _, e := range eventsOf(onlyKey("reporting").ID) {
		if e.SourceIPAddress != "127.0.0.10" {
			t.Errorf("reporting used from %s", e.SourceIPAddress)
		}
	}

	// The leaked key's history: business traffic from the office, the
	// attack from 127.0.0.66 only after the leak.
	leakedEvents := eventsOf(leakedID)
	var attack []Event
	last30 := 0
	for _, e := range leakedEvents {
		if !e.Time.Before(ago(30 * day)) {
			last30++
		}
		switch e.SourceIPAddress {
		case attacker:
			if e.Time.Before(leakTime) {
				t.Errorf("attacker event %s before the leak %s", e.EventTime, leakTime)
			}
			attack = append(attack, e)
		case "127.0.0.10", "127.0.0.11":
			l := e.Time.In(shanghai)
			if wd := l.Weekday(); wd == time.Saturday || wd == time.Sunday || l.Hour() < 9 || l.Hour() >= 19 {
				t.Errorf("business event at %s Shanghai", l)
			}
			if e.UserAgent != scDefaultUserAgent {
				t.Errorf("business event with user agent %q", e.UserAgent)
			}
		default:
			t.Errorf("leaked key used from %s", e.SourceIPAddress)
		}
	}
	if last30 > 400 || last30 < 150 {
		t.Errorf("leaked key has %d events in the last 30 days, want 150-400", last30)
	}
	if first := leakedEvents[0].Time; now.Sub(first) < 95*day || now.Sub(first) > 101*day {
		t.Errorf("business traffic starts %s ago, want about 100 days", now.Sub(first))
	}
	if len(attack) < 25 || len(attack) > 60 {
		t.Fatalf("%d attacker events", len(attack))
	}
	if a := attack[0]; a.EventName != "GetCallerIdentity" || !strings.Contains(a.UserAgent, "TruffleHog") || !a.Time.Equal(leakTime) {
		t.Errorf("first attacker event = %s %q at %s, want a TruffleHog GetCallerIdentity at the leak", a.EventName, a.UserAgent, a.EventTime)
	}
	if attack[1].EventName != "DescribeRegions" {
		t.Errorf("second attacker event = %s, want DescribeRegions", attack[1].EventName)
	}
	byName := map[string][]Event{}
	for _, e := range attack {
		byName[e.EventName] = append(byName[e.EventName], e)
	}
	for _, n := range []string{"ListUsers", "ListPolicies", "ListRoles", "ListAccessKeys", "DescribeDBInstances", "DescribeTrails",
		"CreateUser", "CreateAccessKey", "CreateLoginProfile", "AttachPolicyToUser", "RunInstances", "SendSms", "DeleteInstance"} {
		if len(byName[n]) == 0 {
			t.Errorf("attack lacks %s", n)
		}
	}
	regions := map[string]bool{}
	enum := byName["DescribeInstances"]
	for _, e := range enum {
		regions[e.AcsRegion] = true
	}
	if len(regions) < 6 || enum[len(enum)-1].Time.Sub(enum[0].Time) > 10*time.Minute {
		t.Errorf("DescribeInstances sweep covers %d regions", len(regions))
	}
	var failures []Event
	failedServices := map[string]bool{}
	for _, e := range attack {
		if e.ErrorCode != "" {
			failures = append(failures, e)
			failedServices[e.ServiceName] = true
		}
	}
	if len(failures) < 5 || len(failedServices) < 2 || failures[len(failures)-1].Time.Sub(failures[0].Time) > 5*time.Minute {
		t.Errorf("probing burst: %d failures over %d services", len(failures), len(failedServices))
	}
	if run := byName["RunInstances"][0]; run.AcsRegion != "us-west-1" || run.RequestParameters["Amount"] != "20" || run.RequestParameters["InstanceType"] != "ecs.gn6i-c4g1.xlarge" {
		t.Errorf("RunInstances = %+v", run.RequestParameters)
	}
	if del := byName["DeleteInstance"][0]; del.RequestParameters["InstanceId"] != info.Notes["deleted_instance_id"] {
		t.Errorf("DeleteInstance of %v", del.RequestParameters["InstanceId"])
	}
	if n := len(byName["SendSms"]); n < 2 {
		t.Errorf("%d SendSms", n)
	}

	// The world matches the history: svc-backup, its key, login and admin
	// rights, created by the calls above.
	svc := w.Users["svc-backup"]
	if svc == nil || svc.CreateDate != byName["CreateUser"][0].Time {
		t.Errorf("svc-backup = %+v, CreateUser at %s", svc, byName["CreateUser"][0].EventTime)
	}
	createdID := info.Notes["created_key_id"]
	ck := w.AccessKeys[createdID]
	if ck == nil || ck.Owner != "svc-backup" || ck.Status != "Active" || ck.CreateDate != byName["CreateAccessKey"][0].Time {
		t.Errorf("created key = %+v", ck)
	}
	if ak, _ := byName["CreateAccessKey"][0].ResponseElements["AccessKey"].(map[string]any); ak["AccessKeyId"] != createdID {
		t.Errorf("CreateAccessKey response = %v", byName["CreateAccessKey"][0].ResponseElements)
	}
	if lp := w.Logins["svc-backup"]; lp == nil || lp.CreateDate != byName["CreateLoginProfile"][0].Time {
		t.Errorf("svc-backup login profile = %+v", lp)
	}
	wantAtt := Attachment{PolicyName: "AdministratorAccess", PolicyType: "System", PrincipalType: "User", PrincipalName: "svc-backup", AttachDate: byName["AttachPolicyToUser"][0].Time}
	if !slices.Contains(w.Attachments, wantAtt) {
		t.Errorf("attachments lack %+v", wantAtt)
	}
	svcEvents := eventsOf(createdID)
	if len(svcEvents) == 0 {
		t.Errorf("svc-backup key never used")
	}
	for _, e := range svcEvents {
		if e.SourceIPAddress != attacker || e.Time.Before(ck.CreateDate) {
			t.Errorf("svc-backup event %+v", e)
		}
	}
	if info.Credentials["svc-backup"].AccessKeyID != createdID {
		t.Errorf("no credential for the attacker's key")
	}

	// Recorded outcomes agree with the policies in the world: calls that
	// succeeded are allowed, NoPermission ones are denied.
	for _, user := range []string{"app-prod", "svc-backup", "reporting", "legacy-etl", "idle-bot", "admin"} {
		docs := userDocuments(w, user)
		for _, k := range keysOf(user) {
			for _, e := range eventsOf(k.ID) {
				svc := Services[e.APIVersion]
				d := Evaluate(docs, AuthzRequest{Action: svc.Product + ":" + e.EventName, Resource: "*", SourceIP: e.SourceIPAddress, CurrentTime: e.Time})
				if d.Allowed() != (e.ErrorCode != "NoPermission") {
					t.Errorf("%s %s:%s recorded error %q but the policies decide %s", user, svc.Product, e.EventName, e.ErrorCode, d.Effect)
				}
			}
		}
	}

	if n := len(w.Events); n < 1000 || n > 5000 {
		t.Errorf("%d events in all, want a few thousand", n)
	}
}

func mustAddr(s string) netip.Addr {
	return netip.MustParseAddr(s)
}
