package audit

import (
	"fmt"
	"net/netip"
	"time"
)

// Test fixtures: a RAM user key "LTAI5tOfficeKey000000001" used by an
// office (127.0.0.10, 127.0.0.11) for a week, then leaked and abused from
// 127.0.0.66, like the lab's builtin:leak scenario.

const (
	testKey     = "LTAI5tLeakedKey00000001"
	testAccount = "1234567890123456"
	officeA     = "127.0.0.10"
	officeB     = "127.0.0.11"
	attacker    = "127.0.0.66"
	officeUA    = "AlibabaCloud (linux; amd64) Go/1.22.0 Core/0.01 TeaDSL/1"
	attackerUA  = "aliyun-cli/3.0.200"
)

var (
	shanghai = time.FixedZone("CST", 8*3600)
	// testNow is a Wednesday, 03:00 in Shanghai.
	testNow = time.Date(2025, 3, 11, 19, 0, 0, 0, time.UTC)
)

type evOpt func(*Event)

func withParams(kv ...string) evOpt {
	return func(e *Event) {
		if e.Params == nil {
			e.Params = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			e.Params[kv[i]] = kv[i+1]
		}
	}
}
func withErr(c string) evOpt      { return func(e *Event) { e.ErrorCode = c } }
func withErrMsg(m string) evOpt   { return func(e *Event) { e.ErrorMessage = m } }
func withUA(s string) evOpt       { return func(e *Event) { e.UserAgent = s } }
func withRegion(r string) evOpt   { return func(e *Event) { e.Region = r } }
func withVPC(v string) evOpt      { return func(e *Event) { e.VpcID = v } }
func withKey(k string) evOpt      { return func(e *Event) { e.AccessKeyID = k } }
func withUser(u string) evOpt     { return func(e *Event) { e.UserName = u } }
func withUserType(u string) evOpt { return func(e *Event) { e.UserType = u } }
func withResp(m map[string]any) evOpt {
	return func(e *Event) { e.Response = m }
}
func withRes(typ, name string) evOpt {
	return func(e *Event) { e.Resources = append(e.Resources, Resource{Type: typ, Name: name}) }
}

var evSeq int

// ev builds one event of the test key.
func tev(t time.Time, ip, service, name string, opts ...evOpt) *Event {
	evSeq++
	e := &Event{
		ID:          fmt.Sprintf("ev-%06d", evSeq),
		RequestID:   fmt.Sprintf("REQ-%06d", evSeq),
		Time:        t.UTC(),
		Name:        name,
		Service:     service,
		Type:        "ApiCall",
		RW:          DeriveRW(name),
		Region:      "cn-hangzhou",
		SourceIP:    ip,
		UserAgent:   officeUA,
		AccessKeyID: testKey,
		UserType:    "ram-user",
		UserName:    "app-deployer",
		PrincipalID: "200000000000001",
		AccountID:   testAccount,
		Source:      Origin{Kind: OriginTrail, File: "trail.json", Pos: int64(evSeq)},
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// officeWeek is a week of office traffic before leakStart: on working days,
// every hour 09:00-18:00 Shanghai, both office addresses read a few APIs.
func officeWeek(end time.Time) []*Event {
	var out []*Event
	start := end.Add(-7 * 24 * time.Hour)
	for d := start; d.Before(end); d = d.Add(time.Hour) {
		lt := d.In(shanghai)
		if lt.Weekday() == time.Saturday || lt.Weekday() == time.Sunday || lt.Hour() < 9 || lt.Hour() >= 18 {
			continue
		}
		out = append(out,
			tev(d.Add(5*time.Minute), officeA, "Ecs", "DescribeInstances"),
			tev(d.Add(6*time.Minute), officeA, "Ecs", "DescribeDisks"),
			tev(d.Add(20*time.Minute), officeB, "Ram", "GetUser", withParams("UserName", "app-deployer")),
			tev(d.Add(21*time.Minute), officeB, "Oss", "GetBucketInfo", withParams("BucketName", "app-assets")),
			tev(d.Add(40*time.Minute), officeA, "Sts", "GetCallerIdentity"),
			tev(d.Add(41*time.Minute), officeA, "Ecs", "StopInstance", withParams("InstanceId", "i-office1")),
		)
	}
	return out
}

// attack is the abuse from 127.0.0.66, starting at t0.
func attackEvents(t0 time.Time) []*Event {
	a := func(d time.Duration, service, name string, opts ...evOpt) *Event {
		return tev(t0.Add(d), attacker, service, name, append([]evOpt{withUA(attackerUA)}, opts...)...)
	}
	out := []*Event{
		a(0, "Sts", "GetCallerIdentity"),
		a(10*time.Second, "Ecs", "DescribeRegions"),
	}
	// Enumeration across regions and services.
	regions := []string{"cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "ap-southeast-1", "us-west-1"}
	for i, r := range regions {
		out = append(out, a(time.Duration(20+i)*time.Second, "Ecs", "DescribeInstances", withRegion(r)))
	}
	reads := []struct{ svc, name string }{
		{"Ram", "ListUsers"}, {"Ram", "ListRoles"}, {"Ram", "ListPolicies"}, {"Ram", "ListAccessKeys"},
		{"Ram", "ListGroups"}, {"Ecs", "DescribeSecurityGroups"}, {"Ecs", "DescribeImages"}, {"Ecs", "DescribeVpcs"},
		{"Ecs", "DescribeKeyPairs"}, {"Rds", "DescribeDBInstances"}, {"Rds", "DescribeAccounts"}, {"Oss", "ListBuckets"},
		{"Dysms", "QuerySmsSignList"}, {"Actiontrail", "DescribeTrails"}, {"Ecs", "DescribeSnapshots"},
	}
	for i, r := range reads {
		out = append(out, a(time.Duration(60+5*i)*time.Second, r.svc, r.name))
	}
	// Permission probing.
	for i, n := range []string{"ListUsers", "GetAccountAlias", "ListRoles", "GetPolicy", "ListGroups"} {
		out = append(out, a(time.Duration(150+i)*time.Second, "Ims", n, withErr("NoPermission")))
	}
	// Persistence and privilege.
	out = append(out,
		a(3*time.Minute, "Ram", "CreateUser", withParams("UserName", "svc-backup", "DisplayName", "backup")),
		a(3*time.Minute+10*time.Second, "Ram", "CreateAccessKey", withParams("UserName", "svc-backup"),
			withResp(map[string]any{"AccessKey": map[string]any{"AccessKeyId": "LTAI5tBackdoorKey0000001", "Status": "Active"}})),
		a(3*time.Minute+20*time.Second, "Ram", "CreateLoginProfile", withParams("UserName", "svc-backup")),
		a(3*time.Minute+30*time.Second, "Ram", "AttachPolicyToUser", withParams("PolicyType", "System", "PolicyName", "AdministratorAccess", "UserName", "svc-backup")),
	)
	// Cost and destruction.
	out = append(out,
		a(5*time.Minute, "Ecs", "RunInstances", withRegion("us-west-1"), withParams("InstanceType", "ecs.gn6v-c8g1.2xlarge", "Amount", "10")),
		a(6*time.Minute, "Dysms", "SendSms", withParams("SignName", "Promo", "TemplateCode", "SMS_1")),
		a(7*time.Minute, "Ecs", "DeleteInstance", withParams("InstanceId", "i-prod-db")),
		a(8*time.Minute, "Actiontrail", "StopLogging", withParams("Name", "main-trail")),
	)
	return out
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// leakStart is 03:00 Shanghai on testNow's day.
var leakStart = testNow.Add(-8 * time.Hour)

func leakScenario() []*Event {
	evSeq = 0
	evs := officeWeek(leakStart.Add(-2 * time.Hour))
	return append(evs, attackEvents(leakStart)...)
}

func baseOptions() Options {
	return Options{KeyID: testKey, Now: testNow, TZ: shanghai}
}

func runEngine(opts Options, evs []*Event) *Result {
	e := NewEngine(opts)
	for _, x := range evs {
		e.Add(x)
	}
	return e.Result()
}
