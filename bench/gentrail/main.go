// Command gentrail writes synthetic ActionTrail deliveries for benchmarks:
// N events spread over M gzip files, each a JSON array of events in time
// order, named like ActionTrail's OSS deliveries. The output is a pure
// function of the flags (same seed, same bytes).
//
// The events look like a real account's: a few dozen RAM users and their
// AccessKeys (plus a root key and STS sessions), mostly reads from a handful
// of office and server IPs across ECS, RDS, OSS, SLS, RAM, STS and
// ActionTrail, some writes and failures, and one "leaked" key
// (-leaked, default LTAI5tLEAKEDbenchKEY0001) that is used rarely from
// foreign IPs for enumeration and persistence. Events are 1-2 KB each.
//
// With -single every event belongs to the leaked key: one busy service key
// calling the usual mix of APIs from three office/server addresses, and an
// attack burst (two hours at 80% of -span, a quarter of those events from
// foreign IPs: enumeration, persistence, cost abuse). That is the worst
// case for the audit: every event goes through every rule.
//
//	go run ./bench/gentrail -n 1000000 -files 100 -out /tmp/trails
//	go run ./bench/gentrail -n 1000000 -files 100 -single -out /tmp/single
//
// With -busy the account layout is that of a real OSS delivery audited for
// a busy key: the -leaked key is an automation key doing about 15% of all
// events, from ~7,600 distinct source addresses (three offices plus a fleet
// of hosts), touching tens of thousands of ECS instances (referenced
// resources) and creating thousands of RAM users and AccessKeys; about one
// of its events in 400 is an attacker's (foreign IPs, enumeration and
// persistence). -per sets the events per file (N = files x per): ActionTrail
// writes one small file per region every few minutes, so a month is
// thousands of files of about a hundred events.
//
//	go run ./bench/gentrail -busy -files 10000 -per 100 -out /tmp/delivery
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

func main() {
	var (
		n      = flag.Int("n", 100000, "number of events")
		files  = flag.Int("files", 10, "number of gzip files")
		out    = flag.String("out", "trails", "output directory")
		seed   = flag.Uint64("seed", 1, "random seed")
		leaked = flag.String("leaked", "LTAI5tLEAKEDbenchKEY0001", "AccessKey ID of the leaked key")
		start  = flag.String("start", "2026-01-01T00:00:00Z", "time of the first event (RFC 3339)")
		span   = flag.Duration("span", 30*24*time.Hour, "time the events cover")
		single = flag.Bool("single", false, "every event is the leaked key's: a busy key's office traffic plus an attack burst")
		busy   = flag.Bool("busy", false, "account layout with the leaked key busy: ~15% of events, ~7,600 sources, tens of thousands of resources, thousands of created identities")
		per    = flag.Int("per", 0, "events per file (sets -n to files x per)")
	)
	flag.Parse()
	if *per > 0 {
		*n = *files * *per
	}
	if *single && *busy {
		fail(fmt.Errorf("-single and -busy exclude each other"))
	}
	t0, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		fail(fmt.Errorf("-start: %w", err))
	}
	if *n < 0 || *files < 1 {
		fail(fmt.Errorf("-n must be >= 0 and -files >= 1"))
	}
	g := newGen(*seed, *leaked)
	if *single {
		g.single = true
		g.burstFrom = t0.UTC().Add(*span * 8 / 10)
		g.burstTo = g.burstFrom.Add(2 * time.Hour)
	}
	g.busy = *busy
	if err := g.write(*out, *n, *files, t0.UTC(), *span); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gentrail:", err)
	os.Exit(1)
}

const account = "1968132000123456"

type user struct {
	name, id, key, kind string
	ips                 []string
	agent               string
}

type action struct {
	service, version, name, host string
	global                       bool
	weight                       int
	params                       func(g *gen) map[string]any
}

type gen struct {
	r       *rand.Rand
	users   []user
	leaked  user
	actions []action
	total   int
	regions []string

	// -single: every event is the leaked key's; office is its normal use
	// and [burstFrom, burstTo) the attack.
	single             bool
	office             user
	burstFrom, burstTo time.Time

	// -busy: the leaked key is an automation key doing busyPercent% of
	// the events from fleet (plus office) addresses; created counts the
	// identities it created so far.
	busy    bool
	fleet   []string
	created int
}

const (
	busyPercent   = 15
	fleetSize     = 7600  // distinct sources of the busy key (plus its 3 offices)
	instancePool  = 60000 // ECS instances the busy key touches (~38,000 distinct in 150,000 events)
	busyCreateMil = 25    // per mille of the busy key's events creating a user or AccessKey
)

func newGen(seed uint64, leakedKey string) *gen {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	g.regions = []string{"cn-hangzhou", "cn-hangzhou", "cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "ap-southeast-1"}
	agents := []string{
		"AlibabaCloud (linux; amd64) Go/1.22.3 Core/1.63.0 TeaDSL/1",
		"Aliyun-CLI/3.0.204",
		"aliyun-sdk-java/4.6.4 Java/1.8.0_372 Linux/5.10.134",
		"ALIBABACLOUD-PYTHON-SDK/2.13.3 Python/3.10.12",
		"Terraform/1.7.5 terraform-provider-alicloud/1.219.0",
		"ram.console.aliyun.com",
	}
	offices := []string{"203.0.113.10", "203.0.113.11", "198.51.100.24", "10.12.0.7", "10.12.0.8", "172.16.3.40"}
	for i := range 24 {
		u := user{
			name:  fmt.Sprintf("svc-%02d", i),
			id:    fmt.Sprintf("2%015d", 4711+i*37),
			key:   fmt.Sprintf("LTAI5t%018d", 9000000+i*131),
			kind:  "ram-user",
			agent: agents[i%len(agents)],
		}
		for j := range 1 + i%3 {
			u.ips = append(u.ips, offices[(i+j)%len(offices)])
		}
		g.users = append(g.users, u)
	}
	g.users = append(g.users,
		user{name: "root", id: account, key: "LTAI5tROOTKEYbench00001", kind: "root-account", agent: agents[1], ips: []string{"203.0.113.10"}},
		user{name: "ops-role:session-1", id: "3001234567890123:session-1", key: "STS.NUbenchSTStoken0000001", kind: "assumed-role", agent: agents[0], ips: []string{"10.12.0.7"}},
	)
	g.leaked = user{name: "ci-deploy", id: "2999000000001234", key: leakedKey, kind: "ram-user", agent: "python-requests/2.31.0",
		ips: []string{"45.146.164.110", "185.220.101.4", "91.92.109.66"}}
	g.office = user{name: g.leaked.name, id: g.leaked.id, key: leakedKey, kind: "ram-user", agent: agents[0],
		ips: []string{"203.0.113.10", "203.0.113.11", "10.12.0.7"}}

	id := func(prefix string, n int) func(g *gen) string {
		return func(g *gen) string { return fmt.Sprintf("%s%0*x", prefix, n, g.r.Uint64()&(1<<(4*min(n, 15))-1)) }
	}
	inst := id("i-bp1", 17)
	page := func(g *gen) map[string]any {
		return map[string]any{"PageSize": fmt.Sprint(10 * (1 + g.r.IntN(10))), "PageNumber": fmt.Sprint(1 + g.r.IntN(3))}
	}
	with := func(base func(g *gen) map[string]any, extra func(g *gen, m map[string]any)) func(g *gen) map[string]any {
		return func(g *gen) map[string]any { m := base(g); extra(g, m); return m }
	}
	none := func(*gen) map[string]any { return map[string]any{} }
	g.actions = []action{
		{"Ecs", "2014-05-26", "DescribeInstances", "ecs.%s.aliyuncs.com", false, 300, with(page, func(g *gen, m map[string]any) {
			m["InstanceIds"] = fmt.Sprintf(`["%s","%s"]`, inst(g), inst(g))
		})},
		{"Ecs", "2014-05-26", "DescribeInstanceStatus", "ecs.%s.aliyuncs.com", false, 120, page},
		{"Ecs", "2014-05-26", "DescribeRegions", "ecs.%s.aliyuncs.com", false, 30, none},
		{"Ecs", "2014-05-26", "DescribeSecurityGroups", "ecs.%s.aliyuncs.com", false, 60, page},
		{"Ecs", "2014-05-26", "StartInstance", "ecs.%s.aliyuncs.com", false, 8, func(g *gen) map[string]any { return map[string]any{"InstanceId": inst(g)} }},
		{"Ecs", "2014-05-26", "StopInstance", "ecs.%s.aliyuncs.com", false, 6, func(g *gen) map[string]any {
			return map[string]any{"InstanceId": inst(g), "ForceStop": "false"}
		}},
		{"Ecs", "2014-05-26", "RunInstances", "ecs.%s.aliyuncs.com", false, 2, func(g *gen) map[string]any {
			return map[string]any{"ImageId": "aliyun_3_x64_20G_alibase_20240528.vhd", "InstanceType": "ecs.g7.large", "Amount": fmt.Sprint(1 + g.r.IntN(2)),
				"SecurityGroupId": "sg-bp1" + id("", 16)(g), "VSwitchId": "vsw-bp1" + id("", 16)(g), "Tag": []any{map[string]any{"Key": "env", "Value": "prod"}}}
		}},
		{"Rds", "2014-08-15", "DescribeDBInstances", "rds.aliyuncs.com", false, 90, page},
		{"Rds", "2014-08-15", "DescribeDBInstanceAttribute", "rds.aliyuncs.com", false, 40, func(g *gen) map[string]any {
			return map[string]any{"DBInstanceId": "rm-bp1" + id("", 16)(g)}
		}},
		{"Oss", "2019-05-17", "GetBucketInfo", "oss-%s.aliyuncs.com", false, 60, func(g *gen) map[string]any {
			return map[string]any{"BucketName": fmt.Sprintf("app-assets-%d", g.r.IntN(8))}
		}},
		{"Oss", "2019-05-17", "ListBuckets", "oss-%s.aliyuncs.com", false, 20, none},
		{"Sls", "2020-12-30", "GetLogStoreLogs", "%s.log.aliyuncs.com", false, 80, func(g *gen) map[string]any {
			return map[string]any{"project": "app-logs", "logstore": fmt.Sprintf("svc-%d", g.r.IntN(6)), "query": "* | select count(1) as pv", "from": "1767225600", "to": "1767229200"}
		}},
		{"Ram", "2015-05-01", "ListUsers", "ram.aliyuncs.com", true, 15, page},
		{"Ram", "2015-05-01", "GetUser", "ram.aliyuncs.com", true, 15, func(g *gen) map[string]any {
			return map[string]any{"UserName": g.users[g.r.IntN(len(g.users)-2)].name}
		}},
		{"Ims", "2019-08-15", "ListAccessKeys", "ims.aliyuncs.com", true, 10, func(g *gen) map[string]any {
			return map[string]any{"UserPrincipalName": g.users[g.r.IntN(len(g.users)-2)].name + "@example.onaliyun.com"}
		}},
		{"Sts", "2015-04-01", "GetCallerIdentity", "sts.aliyuncs.com", true, 20, none},
		{"Sts", "2015-04-01", "AssumeRole", "sts.aliyuncs.com", true, 10, func(g *gen) map[string]any {
			return map[string]any{"RoleArn": "acs:ram::" + account + ":role/ops-role", "RoleSessionName": fmt.Sprintf("session-%d", g.r.IntN(100)), "DurationSeconds": "3600"}
		}},
		{"Actiontrail", "2020-07-06", "LookupEvents", "actiontrail.%s.aliyuncs.com", false, 5, func(g *gen) map[string]any {
			return map[string]any{"MaxResults": "50", "LookupAttribute.1.Key": "EventName", "LookupAttribute.1.Value": "ConsoleSignin"}
		}},
		{"Dysms", "2017-05-25", "SendSms", "dysmsapi.aliyuncs.com", true, 10, func(g *gen) map[string]any {
			return map[string]any{"SignName": "Example", "TemplateCode": "SMS_20240101", "PhoneNumbers": fmt.Sprintf("1380000%04d", g.r.IntN(10000))}
		}},
	}
	for _, a := range g.actions {
		g.total += a.weight
	}
	return g
}

// leakedActions is what the attacker does with the leaked key.
var leakedActions = []struct{ service, version, name, host string }{
	{"Sts", "2015-04-01", "GetCallerIdentity", "sts.aliyuncs.com"},
	{"Ecs", "2014-05-26", "DescribeRegions", "ecs.%s.aliyuncs.com"},
	{"Ecs", "2014-05-26", "DescribeInstances", "ecs.%s.aliyuncs.com"},
	{"Ram", "2015-05-01", "ListUsers", "ram.aliyuncs.com"},
	{"Ram", "2015-05-01", "CreateUser", "ram.aliyuncs.com"},
	{"Ram", "2015-05-01", "CreateAccessKey", "ram.aliyuncs.com"},
	{"Ram", "2015-05-01", "AttachPolicyToUser", "ram.aliyuncs.com"},
}

// event is one ActionTrail event in the delivery schema's field order.
type event struct {
	EventID             string              `json:"eventId"`
	EventVersion        int                 `json:"eventVersion"`
	EventName           string              `json:"eventName"`
	EventType           string              `json:"eventType"`
	EventCategory       string              `json:"eventCategory"`
	EventRW             string              `json:"eventRW"`
	EventSource         string              `json:"eventSource"`
	EventTime           string              `json:"eventTime"`
	ServiceName         string              `json:"serviceName"`
	APIVersion          string              `json:"apiVersion"`
	AcsRegion           string              `json:"acsRegion"`
	RequestID           string              `json:"requestId"`
	SourceIPAddress     string              `json:"sourceIpAddress"`
	UserAgent           string              `json:"userAgent"`
	RequestParameters   map[string]any      `json:"requestParameters"`
	ResponseElements    map[string]any      `json:"responseElements,omitempty"`
	ReferencedResources map[string][]string `json:"referencedResources,omitempty"`
	ErrorCode           string              `json:"errorCode,omitempty"`
	ErrorMessage        string              `json:"errorMessage,omitempty"`
	IsGlobal            bool                `json:"isGlobal"`
	RecipientAccountID  string              `json:"recipientAccountId"`
	AdditionalEventData map[string]any      `json:"additionalEventData,omitempty"`
	UserIdentity        identity            `json:"userIdentity"`
}

type identity struct {
	Type           string         `json:"type"`
	PrincipalID    string         `json:"principalId"`
	AccountID      string         `json:"accountId"`
	AccessKeyID    string         `json:"accessKeyId"`
	UserName       string         `json:"userName"`
	SessionContext map[string]any `json:"sessionContext,omitempty"`
}

func (g *gen) uuid() string {
	a, b := g.r.Uint64(), g.r.Uint64()
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

func (g *gen) event(t time.Time) event {
	var u user
	var svc, ver, name, host string
	var global bool
	var params map[string]any
	if g.busy && g.r.IntN(100) < busyPercent {
		return g.busyEvent(t)
	}
	hostile := g.r.IntN(2000) == 0 // the leaked key: rare, foreign, hostile
	if g.busy {
		hostile = false // the busy key's attacker events come from busyEvent
	}
	if g.single {
		hostile = !t.Before(g.burstFrom) && t.Before(g.burstTo) && g.r.IntN(4) == 0
	}
	if hostile {
		u = g.leaked
		a := leakedActions[g.r.IntN(len(leakedActions))]
		svc, ver, name, host = a.service, a.version, a.name, a.host
		global = !strings.Contains(host, "%s")
		params = map[string]any{}
		switch name {
		case "CreateUser", "CreateAccessKey":
			params["UserName"] = "backup-admin"
		case "AttachPolicyToUser":
			params["UserName"], params["PolicyName"], params["PolicyType"] = "backup-admin", "AdministratorAccess", "System"
		}
	} else {
		u = g.users[g.r.IntN(len(g.users))]
		if g.single {
			u = g.office
		}
		w := g.r.IntN(g.total)
		var a action
		for _, a = range g.actions {
			if w < a.weight {
				break
			}
			w -= a.weight
		}
		svc, ver, name, host, global = a.service, a.version, a.name, a.host, a.global
		params = a.params(g)
	}
	return g.finish(t, u, u.ips[g.r.IntN(len(u.ips))], svc, ver, name, host, global, params)
}

// finish builds the event of user u calling svc/name from ip with params.
func (g *gen) finish(t time.Time, u user, ip, svc, ver, name, host string, global bool, params map[string]any) event {
	region := g.regions[g.r.IntN(len(g.regions))]
	if global {
		region = "cn-hangzhou"
	}
	if strings.Contains(host, "%s") {
		host = fmt.Sprintf(host, region)
	}
	reqID := strings.ToUpper(g.uuid())
	params["AcsHost"] = host
	params["AcsProduct"] = svc
	params["RequestId"] = reqID
	params["RegionId"] = region
	params["HostId"] = host
	params["AcceptLanguage"] = "en-US"
	params["charset"] = "UTF-8"
	rw := "Write"
	for _, p := range []string{"Get", "List", "Describe", "Lookup", "Query"} {
		if strings.HasPrefix(name, p) {
			rw = "Read"
		}
	}
	ev := event{
		EventID: g.uuid(), EventVersion: 1, EventName: name, EventType: "ApiCall", EventCategory: "Management",
		EventRW: rw, EventSource: host, EventTime: t.Format("2006-01-02T15:04:05Z"), ServiceName: svc, APIVersion: ver,
		AcsRegion: region, RequestID: reqID, SourceIPAddress: ip, UserAgent: u.agent,
		RequestParameters: params, IsGlobal: global, RecipientAccountID: account,
		UserIdentity: identity{Type: u.kind, PrincipalID: u.id, AccountID: account, AccessKeyID: u.key, UserName: u.name},
	}
	if u.kind == "assumed-role" {
		ev.UserIdentity.SessionContext = map[string]any{"attributes": map[string]any{"mfaAuthenticated": "false", "creationDate": t.Add(-20 * time.Minute).Format("2006-01-02T15:04:05Z")}}
	}
	if rw == "Write" {
		ev.ResponseElements = map[string]any{"RequestId": reqID}
		switch name {
		case "CreateAccessKey":
			kid := "LTAI5tBACKDOORbench0001"
			if un, _ := params["UserName"].(string); un != "backup-admin" {
				kid = fmt.Sprintf("LTAI5tPROV%014d", g.created)
			}
			ev.ResponseElements["AccessKey"] = map[string]any{"AccessKeyId": kid, "Status": "Active", "CreateDate": ev.EventTime}
		case "CreateUser":
			un, _ := params["UserName"].(string)
			uid := "2999000000009999"
			if un != "backup-admin" {
				uid = fmt.Sprintf("29990%011d", g.created)
			}
			ev.ResponseElements["User"] = map[string]any{"UserName": un, "UserId": uid, "CreateDate": ev.EventTime}
		case "RunInstances":
			ev.ResponseElements["InstanceIdSets"] = map[string]any{"InstanceIdSet": []string{"i-bp1" + fmt.Sprintf("%017x", g.r.Uint64()&0xffffffffffffff)}}
		}
	} else {
		ev.ResponseElements = map[string]any{"RequestId": reqID}
	}
	if id, ok := params["InstanceId"].(string); ok {
		ev.ReferencedResources = map[string][]string{"ACS::ECS::Instance": {id}}
	}
	if un, ok := params["UserName"].(string); ok {
		ev.ReferencedResources = map[string][]string{"ACS::RAM::User": {un}}
	}
	if g.r.IntN(50) == 0 {
		ev.ErrorCode = "Forbidden.RAM"
		ev.ErrorMessage = "User not authorized to operate on the specified resource, or this API doesn't support RAM."
	}
	if u.agent == "ram.console.aliyun.com" {
		ev.EventType = "ConsoleOperation"
		ev.AdditionalEventData = map[string]any{"loginAccount": u.name + "@example.onaliyun.com", "isMFAChecked": "true"}
	}
	return ev
}

// busyEvent is an event of the busy key (-busy): an automation key
// provisioning tenants (creating RAM users and their AccessKeys), managing
// a large ECS fleet and reading the usual APIs, from three offices and
// fleetSize hosts; one event in 400 is an attacker's.
func (g *gen) busyEvent(t time.Time) event {
	if g.fleet == nil {
		prefixes := []string{"47.96", "39.104", "120.55", "8.136"}
		for i := range fleetSize {
			g.fleet = append(g.fleet, fmt.Sprintf("%s.%d.%d", prefixes[i%4], i/4/250, 1+i/4%250))
		}
	}
	u := g.office
	if g.r.IntN(400) == 0 {
		u = g.leaked
		a := leakedActions[g.r.IntN(len(leakedActions))]
		params := map[string]any{}
		switch a.name {
		case "CreateUser", "CreateAccessKey":
			params["UserName"] = "backup-admin"
		case "AttachPolicyToUser":
			params["UserName"], params["PolicyName"], params["PolicyType"] = "backup-admin", "AdministratorAccess", "System"
		}
		return g.finish(t, u, u.ips[g.r.IntN(len(u.ips))], a.service, a.version, a.name, a.host, !strings.Contains(a.host, "%s"), params)
	}
	ip := u.ips[g.r.IntN(len(u.ips))]
	if g.r.IntN(10) < 7 {
		ip = g.fleet[g.r.IntN(len(g.fleet))]
	}
	switch w := g.r.IntN(1000); {
	case w < busyCreateMil:
		// Provisioning: a new tenant user, then its AccessKey.
		g.created++
		name := "CreateUser"
		if g.created%2 == 0 {
			name = "CreateAccessKey"
		}
		un := fmt.Sprintf("tenant-%06d", (g.created+1)/2)
		return g.finish(t, u, ip, "Ram", "2015-05-01", name, "ram.aliyuncs.com", true, map[string]any{"UserName": un})
	case w < 450:
		// Fleet management: one instance of a large pool per call.
		inst := fmt.Sprintf("i-bp1%017x", uint64(g.r.IntN(instancePool))*0x9e3779b97f4a7c15&0xffffffffffffff)
		name := "DescribeInstanceAttribute"
		switch g.r.IntN(20) {
		case 0:
			name = "StartInstance"
		case 1:
			name = "StopInstance"
		}
		return g.finish(t, u, ip, "Ecs", "2014-05-26", name, "ecs.%s.aliyuncs.com", false, map[string]any{"InstanceId": inst})
	}
	w := g.r.IntN(g.total)
	var a action
	for _, a = range g.actions {
		if w < a.weight {
			break
		}
		w -= a.weight
	}
	return g.finish(t, u, ip, a.service, a.version, a.name, a.host, a.global, a.params(g))
}

// write spreads n events over files gzip files, in time order.
func (g *gen) write(dir string, n, files int, t0 time.Time, span time.Duration) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	step := span / time.Duration(max(n, 1))
	perFile := (n + files - 1) / files
	for f := range files {
		lo, hi := f*perFile, min((f+1)*perFile, n)
		if lo >= hi && n > 0 {
			break
		}
		ft := t0.Add(time.Duration(lo) * step)
		name := fmt.Sprintf("%s_Actiontrail_cn-hangzhou_%s_%04d.json.gz", account, ft.Format("20060102T1504Z"), f)
		if err := g.writeFile(filepath.Join(dir, name), lo, hi, t0, step); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) writeFile(path string, lo, hi int, t0 time.Time, step time.Duration) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(fh, gzip.DefaultCompression)
	bw := bufio.NewWriterSize(zw, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	bw.WriteByte('[')
	for i := lo; i < hi; i++ {
		if i > lo {
			bw.WriteByte(',')
		}
		if err := enc.Encode(g.event(t0.Add(time.Duration(i) * step))); err != nil {
			fh.Close()
			return err
		}
	}
	bw.WriteString("]\n")
	if err := bw.Flush(); err != nil {
		fh.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
