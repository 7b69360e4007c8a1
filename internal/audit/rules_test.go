package audit

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// work is 10:00 on a Wednesday in Shanghai, after officeWeek's history.
var work = time.Date(2025, 3, 12, 2, 0, 0, 0, time.UTC)

// night is 03:00 on the same Wednesday in Shanghai.
var night = time.Date(2025, 3, 11, 19, 0, 0, 0, time.UTC)

const absent Severity = -1

func findFinding(r *Result, id string) *Finding {
	for i := range r.Findings {
		if r.Findings[i].ID == id {
			return &r.Findings[i]
		}
	}
	return nil
}

// office returns an event of the office at t.
func office(t time.Time, service, name string, opts ...evOpt) *Event {
	return tev(t, officeA, service, name, opts...)
}

// intruder returns an event of the attacker at t.
func intruder(t time.Time, service, name string, opts ...evOpt) *Event {
	return tev(t, attacker, service, name, append([]evOpt{withUA(attackerUA)}, opts...)...)
}

func repeat(n int, f func(i int) *Event) []*Event {
	out := make([]*Event, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

type ruleCase struct {
	name      string
	extra     func() []*Event
	opts      func(*Options)
	noHistory bool
	rule      string
	want      Severity // absent: the rule must not fire
	ips       []string // when set, the finding's sources exactly
	title     string   // when set, a substring of the title
}

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.rule+"/"+tc.name, func(t *testing.T) {
			evSeq = 0
			var evs []*Event
			if !tc.noHistory {
				evs = officeWeek(leakStart.Add(-2 * time.Hour))
			}
			evs = append(evs, tc.extra()...)
			opts := baseOptions()
			if tc.opts != nil {
				tc.opts(&opts)
			}
			r := runEngine(opts, evs)
			f := findFinding(r, tc.rule)
			if tc.want == absent {
				if f != nil {
					t.Fatalf("%s fired (%s, %q, sources %v), want none", tc.rule, f.Severity, f.Title, f.IPs)
				}
				return
			}
			if f == nil {
				t.Fatalf("%s did not fire; findings: %v", tc.rule, ids(r))
			}
			if f.Severity != tc.want {
				t.Errorf("%s severity = %s (escalated %q), want %s", tc.rule, f.Severity, f.Escalated, tc.want)
			}
			if tc.ips != nil && !slices.Equal(f.IPs, tc.ips) {
				t.Errorf("%s sources = %v, want %v", tc.rule, f.IPs, tc.ips)
			}
			if tc.title != "" && !strings.Contains(f.Title, tc.title) {
				t.Errorf("%s title = %q, want it to contain %q", tc.rule, f.Title, tc.title)
			}
			if f.Count <= 0 || len(f.Evidence) == 0 || f.First.IsZero() {
				t.Errorf("%s has count %d, %d evidence, first %v; want evidence", tc.rule, f.Count, len(f.Evidence), f.First)
			}
			if f.Why == "" || len(f.Attack) == 0 {
				t.Errorf("%s lacks why or ATT&CK ids", tc.rule)
			}
		})
	}
}

func ids(r *Result) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.ID+"/"+f.Severity.String())
	}
	return out
}

func one(e ...*Event) func() []*Event { return func() []*Event { return e } }

func TestContextRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "root key", rule: "CTX-01", want: Critical, extra: one(office(work, "Ecs", "DescribeInstances", withUserType("root-account")))},
		{name: "ram user", rule: "CTX-01", want: absent, extra: one(office(work, "Ecs", "DescribeInstances"))},

		{name: "office at night", rule: "CTX-02", want: Low, ips: []string{officeA}, extra: one(office(night, "Ecs", "DescribeInstances"))},
		{name: "office writes at night", rule: "CTX-02", want: Medium, extra: one(office(night, "Ecs", "StopInstance"))},
		{name: "sensitive write at night", rule: "CTX-02", want: High, extra: one(office(night, "Ram", "CreateUser", withParams("UserName", "x")))},
		{name: "office at work", rule: "CTX-02", want: absent, extra: one(office(work, "Ecs", "DescribeInstances"))},
		{name: "always business hours", rule: "CTX-02", want: absent, extra: one(office(night, "Ecs", "StopInstance")),
			opts: func(o *Options) { o.BusinessHours = AlwaysBusinessHours() }},

		{name: "new source", rule: "CTX-03", want: Medium, ips: []string{attacker}, title: attacker, extra: one(intruder(work, "Ecs", "DescribeInstances"))},
		{name: "new source writes sensitive", rule: "CTX-03", want: High, extra: one(intruder(work, "Ram", "CreateUser", withParams("UserName", "x")))},
		{name: "known source", rule: "CTX-03", want: absent, extra: one(office(work, "Ecs", "DescribeInstances"))},
		{name: "outside trusted cidr", rule: "CTX-03", want: Medium, ips: []string{officeB}, extra: one(office(work, "Ecs", "DescribeInstances")),
			opts: func(o *Options) { o.TrustedCIDRs = []netip.Prefix{mustPrefix("127.0.0.10/32")} }},
		{name: "private with vpc", rule: "CTX-03", want: absent, extra: one(tev(work, "10.1.2.3", "Ecs", "DescribeInstances", withVPC("vpc-abc")))},
		{name: "private without vpc", rule: "CTX-03", want: Medium, ips: []string{"10.1.2.3"}, extra: one(tev(work, "10.1.2.3", "Ecs", "DescribeInstances"))},
		{name: "shared range with vpc", rule: "CTX-03", want: absent, extra: one(tev(work, "100.64.1.1", "Ecs", "DescribeInstances", withVPC("vpc-abc")))},
		{name: "service host name", rule: "CTX-03", want: absent, extra: one(tev(work, "ecs.aliyuncs.com", "Ecs", "DescribeInstances"))},

		{name: "three sources in ten minutes", rule: "CTX-04", want: High, ips: []string{officeA, officeB, attacker}, extra: one(
			office(work, "Ecs", "DescribeInstances"), tev(work.Add(2*time.Minute), officeB, "Ecs", "DescribeInstances"),
			intruder(work.Add(4*time.Minute), "Ecs", "DescribeInstances"))},
		{name: "two far sources in five minutes", rule: "CTX-04", want: High, extra: one(
			office(work, "Ecs", "DescribeInstances"), tev(work.Add(3*time.Minute), "198.51.100.7", "Ecs", "DescribeInstances", withUA(attackerUA)))},
		// A new source that only repeats the key's known reads with its
		// known tool is an office user on the move (routine.go), not a
		// second party.
		{name: "two far sources, one roaming", rule: "CTX-04", want: absent, extra: one(
			office(work, "Ecs", "DescribeInstances"), tev(work.Add(3*time.Minute), "198.51.100.7", "Ecs", "DescribeInstances"))},
		{name: "two near sources", rule: "CTX-04", want: absent, extra: one(
			office(work, "Ecs", "DescribeInstances"), intruder(work.Add(3*time.Minute), "Ecs", "DescribeInstances"))},
		{name: "known sources only", rule: "CTX-04", want: absent, extra: one(
			office(work, "Ecs", "DescribeInstances"), tev(work.Add(time.Minute), officeB, "Ecs", "DescribeInstances"))},
		{name: "three sources apart", rule: "CTX-04", want: absent, extra: one(
			office(work, "Ecs", "DescribeInstances"), tev(work.Add(5*time.Minute), officeB, "Ecs", "DescribeInstances"),
			intruder(work.Add(11*time.Minute), "Ecs", "DescribeInstances"))},

		{name: "scanner user agent", rule: "CTX-05", want: Medium, ips: []string{officeA}, extra: one(office(work, "Ecs", "DescribeRegions", withUA("TruffleHog")))},
		{name: "first call DescribeRegions", rule: "CTX-05", want: Medium, ips: []string{attacker}, extra: one(
			intruder(work, "Ecs", "DescribeRegions"), intruder(work.Add(time.Minute), "Ecs", "DescribeInstances"))},
		{name: "first call something else", rule: "CTX-05", want: absent, extra: one(
			intruder(work, "Ecs", "DescribeInstances"), intruder(work.Add(time.Minute), "Ecs", "DescribeRegions"))},

		{name: "leakage protection", rule: "CTX-06", want: Critical, extra: one(intruder(work, "Ram", "CreateUser",
			withErr("Forbidden.RiskControl"), withErrMsg("The request was denied due to the risk of leakage of this AccessKey")))},

		{name: "new tool", rule: "CTX-08", want: Low, title: "aliyun-cli", extra: one(office(work, "Ecs", "DescribeInstances", withUA(attackerUA)))},
		{name: "same SDK, new version", rule: "CTX-08", want: absent, extra: one(office(work, "Ecs", "DescribeInstances",
			withUA("AlibabaCloud (linux; amd64) Go/1.23.4 Core/0.01 TeaDSL/1")))},

		{name: "forty days dormant", rule: "CTX-09", want: Medium, extra: one(office(leakStart.Add(40*24*time.Hour), "Ecs", "DescribeInstances"))},
		{name: "one day pause", rule: "CTX-09", want: absent, extra: one(office(work, "Ecs", "DescribeInstances"))},
	})
}

func TestEnumerationRules(t *testing.T) {
	sweep := func(n int) func() []*Event {
		regions := []string{"cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "ap-southeast-1", "us-west-1"}
		return func() []*Event {
			return repeat(n, func(i int) *Event {
				return intruder(work.Add(time.Duration(i)*time.Minute), "Ecs", "DescribeInstances", withRegion(regions[i]))
			})
		}
	}
	burst := func(n int) func() []*Event {
		return func() []*Event {
			svcs := []string{"Ecs", "Rds", "Vpc"}
			return repeat(n, func(i int) *Event {
				return intruder(work.Add(time.Duration(i*50)*time.Second), svcs[i%3], fmt.Sprintf("DescribeThing%d", i))
			})
		}
	}
	probe := func(n, apis int) func() []*Event {
		return func() []*Event {
			return repeat(n, func(i int) *Event {
				return intruder(work.Add(time.Duration(i)*10*time.Second), "Ram", fmt.Sprintf("ListThing%d", i%apis), withErr("NoPermission"))
			})
		}
	}
	runRuleCases(t, []ruleCase{
		{name: "new source first call", rule: "ENUM-01", want: High, ips: []string{attacker}, extra: one(intruder(work, "Sts", "GetCallerIdentity"))},
		{name: "known source routine", rule: "ENUM-01", want: absent, extra: one(office(work, "Sts", "GetCallerIdentity"))},
		{name: "known source, new to the key", rule: "ENUM-01", want: Low, noHistory: true, extra: one(
			office(work, "Ecs", "DescribeInstances"), office(work.Add(48*time.Hour), "Sts", "GetCallerIdentity"))},

		{name: "five regions", rule: "ENUM-02", want: High, ips: []string{attacker}, extra: sweep(5)},
		{name: "four regions", rule: "ENUM-02", want: absent, extra: sweep(4)},

		{name: "fifteen APIs three services", rule: "ENUM-03", want: High, ips: []string{attacker}, extra: burst(15)},
		{name: "fourteen APIs", rule: "ENUM-03", want: absent, extra: burst(14)},
		{name: "office burst in its history", rule: "ENUM-03", want: absent, extra: func() []*Event {
			var out []*Event
			for i := range 20 {
				out = append(out, office(leakStart.Add(-6*24*time.Hour+time.Duration(i)*30*time.Second), []string{"Ecs", "Rds", "Vpc"}[i%3], fmt.Sprintf("DescribeOld%d", i)))
			}
			return out
		}},
		{name: "office burst of new APIs", rule: "ENUM-03", want: Medium, ips: []string{officeA}, extra: func() []*Event {
			var out []*Event
			for i := range 20 {
				out = append(out, office(work.Add(time.Duration(i)*30*time.Second), []string{"Ecs", "Rds", "Vpc"}[i%3], fmt.Sprintf("DescribeNew%d", i)))
			}
			return out
		}},

		{name: "RAM reads new to the key", rule: "ENUM-04", want: High, noHistory: true, extra: func() []*Event {
			return []*Event{office(work, "Ecs", "DescribeInstances"), intruder(work.Add(48*time.Hour), "Ram", "ListUsers")}
		}},
		{name: "key already reads RAM", rule: "ENUM-04", want: absent, extra: one(intruder(work, "Ram", "ListUsers"))},

		{name: "five failures three APIs", rule: "ENUM-05", want: High, ips: []string{attacker}, extra: probe(5, 3)},
		{name: "ten failures", rule: "ENUM-05", want: Critical, extra: probe(10, 3)},
		{name: "four failures", rule: "ENUM-05", want: absent, extra: probe(4, 3)},
		{name: "five failures one API", rule: "ENUM-05", want: absent, extra: probe(5, 1)},

		{name: "user data from new source", rule: "ENUM-07", want: Critical, extra: one(intruder(work, "Ecs", "DescribeUserData", withParams("InstanceId", "i-1")))},
		{name: "user data from office, first time", rule: "ENUM-07", want: High, extra: one(office(work, "Ecs", "DescribeUserData", withParams("InstanceId", "i-1")))},

		{name: "trail recon", rule: "ENUM-08", want: Medium, extra: one(intruder(work, "Actiontrail", "DescribeTrails"))},
	})
}

func TestSensitiveActionRules(t *testing.T) {
	o := func(service, name string, kv ...string) func() []*Event {
		return one(office(work, service, name, withParams(kv...)))
	}
	runRuleCases(t, []ruleCase{
		{name: "cloud assistant", rule: "EXEC-01", want: High, extra: o("Ecs", "InvokeCommand", "InstanceId", "i-1")},

		{name: "create user", rule: "PERS-01", want: High, title: "svc-backup", ips: []string{officeA}, extra: o("Ram", "CreateUser", "UserName", "svc-backup")},
		{name: "create user via IMS", rule: "PERS-01", want: High, extra: o("Ims", "CreateUser", "UserPrincipalName", "svc-backup@corp.onaliyun.com")},
		{name: "login profile", rule: "PERS-02", want: High, title: "svc-backup", extra: o("Ram", "UpdateLoginProfile", "UserName", "svc-backup")},
		{name: "own password", rule: "PERS-02", want: absent, extra: o("Ram", "ChangePassword")},
		{name: "access key", rule: "PERS-03", want: Critical, title: "svc-backup", extra: o("Ram", "CreateAccessKey", "UserName", "svc-backup")},
		{name: "key re-enabled", rule: "PERS-03", want: Critical, extra: o("Ram", "UpdateAccessKey", "UserAccessKeyId", "LTAI5tOld", "Status", "Active")},
		{name: "key disabled", rule: "PERS-03", want: absent, extra: o("Ram", "UpdateAccessKey", "UserAccessKeyId", "LTAI5tOld", "Status", "Inactive")},
		{name: "SAML provider", rule: "PERS-06", want: Critical, extra: o("Ims", "CreateSAMLProvider", "SAMLProviderName", "evil")},
		{name: "key pair", rule: "PERS-07", want: High, extra: o("Ecs", "ImportKeyPair", "KeyPairName", "kp")},
		{name: "instance renamed", rule: "PERS-07", want: absent, extra: o("Ecs", "ModifyInstanceAttribute", "InstanceName", "web")},
		{name: "instance password", rule: "PERS-07", want: High, extra: o("Ecs", "ModifyInstanceAttribute", "Password", "x")},

		{name: "admin policy", rule: "PRIV-01", want: Critical, title: "AdministratorAccess to svc-backup", extra: o("Ram", "AttachPolicyToUser", "PolicyName", "AdministratorAccess", "UserName", "svc-backup")},
		{name: "other policy", rule: "PRIV-01", want: High, extra: o("Ram", "AttachPolicyToUser", "PolicyName", "AliyunECSReadOnlyAccess", "UserName", "u")},
		{name: "policy version default", rule: "PRIV-02", want: High, extra: o("Ram", "CreatePolicyVersion", "PolicyName", "p", "SetAsDefault", "true")},
		{name: "policy version not default", rule: "PRIV-02", want: absent, extra: o("Ram", "CreatePolicyVersion", "PolicyName", "p", "SetAsDefault", "false")},
		{name: "role trusting own account", rule: "PRIV-03", want: High, extra: o("Ram", "CreateRole", "RoleName", "r",
			"AssumeRolePolicyDocument", `{"Statement":[{"Principal":{"RAM":["acs:ram::`+testAccount+`:root"]}}]}`)},
		{name: "role trusting foreign account", rule: "PRIV-03", want: Critical, title: "9999888877776666", extra: o("Ram", "CreateRole", "RoleName", "r",
			"AssumeRolePolicyDocument", `{"Statement":[{"Principal":{"RAM":["acs:ram::9999888877776666:root"]}}]}`)},
		{name: "assume role from new source", rule: "PRIV-04", want: High, extra: one(intruder(work, "Sts", "AssumeRole", withParams("RoleArn", "acs:ram::1:role/admin")))},
		{name: "instance role", rule: "PRIV-05", want: High, extra: o("Ecs", "AttachInstanceRamRole", "RamRoleName", "r")},
		{name: "group membership", rule: "PRIV-06", want: Medium, extra: o("Ram", "AddUserToGroup", "UserName", "u", "GroupName", "admins")},
		{name: "MFA removed", rule: "PRIV-07", want: High, extra: o("Ram", "UnbindMFADevice", "UserName", "alice")},

		{name: "public bucket", rule: "EXFIL-02", want: High, extra: o("Oss", "PutBucketAcl", "BucketName", "b", "x-oss-acl", "public-read")},
		{name: "private bucket", rule: "EXFIL-02", want: absent, extra: o("Oss", "PutBucketAcl", "BucketName", "b", "x-oss-acl", "private")},
		{name: "bucket policy", rule: "EXFIL-02", want: High, extra: o("Oss", "PutBucketPolicy", "BucketName", "b")},
		{name: "database opened", rule: "EXFIL-04", want: High, extra: o("Rds", "ModifySecurityIps", "DBInstanceId", "rm-1", "SecurityIps", "0.0.0.0/0")},

		{name: "one instance", rule: "COST-01", want: High, extra: o("Ecs", "RunInstances", "InstanceType", "ecs.g7.large", "Amount", "2")},
		{name: "five instances", rule: "COST-01", want: Critical, extra: o("Ecs", "RunInstances", "InstanceType", "ecs.g7.large", "Amount", "5")},
		{name: "GPU instance", rule: "COST-01", want: Critical, extra: o("Ecs", "CreateInstance", "InstanceType", "ecs.gn7i-c8g1.2xlarge")},
		{name: "new region", rule: "COST-01", want: Critical, extra: one(office(work, "Ecs", "RunInstances", withRegion("us-east-1")))},
		{name: "new region read", rule: "COST-02", want: Medium, title: "eu-central-1", extra: one(office(work, "Ecs", "DescribeInstances", withRegion("eu-central-1")))},
		{name: "new region write", rule: "COST-02", want: High, extra: one(office(work, "Ecs", "StopInstance", withRegion("eu-central-1")))},
		{name: "known region", rule: "COST-02", want: absent, extra: one(office(work, "Ecs", "StopInstance"))},
		{name: "first SMS", rule: "COST-03", want: High, extra: o("Dysms", "SendSms", "SignName", "s")},
		{name: "SMS as usual", rule: "COST-03", want: absent, extra: func() []*Event {
			return []*Event{office(leakStart.Add(-6*24*time.Hour), "Dysms", "SendSms"), office(work, "Dysms", "SendSms")}
		}},
		{name: "SMS as usual, new source", rule: "COST-03", want: Critical, extra: func() []*Event {
			return []*Event{office(leakStart.Add(-6*24*time.Hour), "Dysms", "SendSms"), intruder(work, "Dysms", "SendSms")}
		}},
		{name: "SMS burst", rule: "COST-03", want: Critical, extra: func() []*Event {
			out := []*Event{office(leakStart.Add(-6*24*time.Hour), "Dysms", "SendSms")}
			return append(out, repeat(100, func(i int) *Event { return office(work.Add(time.Duration(i)*10*time.Second), "Dysms", "SendBatchSms") })...)
		}},

		{name: "instance deleted", rule: "DEST-01", want: Critical, title: "i-prod", extra: o("Ecs", "DeleteInstance", "InstanceId", "i-prod")},
		{name: "snapshot deleted", rule: "DEST-02", want: Critical, extra: o("Ecs", "DeleteSnapshot", "SnapshotId", "s-1")},
		{name: "database deleted", rule: "DEST-03", want: Critical, extra: o("Rds", "DeleteDBInstance", "DBInstanceId", "rm-1")},
		{name: "other RDS Delete*", rule: "DEST-03", want: Critical, extra: o("Rds", "DeleteParameterGroup", "ParameterGroupId", "p")},
		{name: "bucket deleted", rule: "DEST-04", want: Critical, extra: o("Oss", "DeleteBucket", "BucketName", "b")},
		{name: "100 object deletions", rule: "DEST-04", want: Critical, extra: func() []*Event {
			return repeat(100, func(i int) *Event { return office(work.Add(time.Duration(i)*5*time.Second), "Oss", "DeleteObject") })
		}},
		{name: "99 object deletions", rule: "DEST-04", want: absent, extra: func() []*Event {
			return repeat(99, func(i int) *Event { return office(work.Add(time.Duration(i)*5*time.Second), "Oss", "DeleteObject") })
		}},
		{name: "KMS key", rule: "DEST-05", want: Critical, extra: o("Kms", "ScheduleKeyDeletion", "KeyId", "k")},
		{name: "another user's key deleted", rule: "DEST-06", want: High, extra: o("Ram", "DeleteAccessKey", "UserName", "alice", "UserAccessKeyId", "LTAI5tAlice")},
		{name: "own key deleted", rule: "DEST-06", want: absent, extra: o("Ram", "DeleteAccessKey", "UserAccessKeyId", "LTAI5tOwn")},

		{name: "trail stopped", rule: "EVADE-01", want: Critical, extra: o("Actiontrail", "StopLogging", "Name", "t")},
		{name: "trail updated", rule: "EVADE-02", want: High, extra: o("Actiontrail", "UpdateTrail", "Name", "t", "EventRW", "Write")},
		{name: "log store deleted", rule: "EVADE-03", want: Critical, extra: o("Sls", "DeleteLogStore", "ProjectName", "p")},
		{name: "other SLS Delete*", rule: "EVADE-03", want: Critical, extra: o("Sls", "DeleteShipper", "ProjectName", "p")},
		{name: "firewall opened to all", rule: "EVADE-05", want: High, extra: o("Ecs", "AuthorizeSecurityGroup", "SourceCidrIp", "0.0.0.0/0")},
		{name: "firewall opened to office", rule: "EVADE-05", want: absent, extra: o("Ecs", "AuthorizeSecurityGroup", "SourceCidrIp", "203.0.113.0/24")},
		{name: "network ACL changed", rule: "EVADE-08", want: High, extra: o("Ims", "SetAccessKeyPolicy", "UserAccessKeyId", testKey)},
		{name: "network ACL changed by akresp", rule: "EVADE-08", want: absent, extra: one(office(work, "Ims", "SetAccessKeyPolicy", withUA("akresp/1.0 (contain)")))},
	})
}

// TestFlowLogDisabled: EVADE-04 fires on a VPC flow log deactivated or
// deleted, and not on the flow-log calls that leave logging on.
func TestFlowLogDisabled(t *testing.T) {
	o := func(service, name string, kv ...string) func() []*Event {
		return one(office(work, service, name, withParams(kv...)))
	}
	runRuleCases(t, []ruleCase{
		{name: "flow log deactivated", rule: "EVADE-04", want: High, title: "VPC flow log disabled", ips: []string{officeA}, extra: o("Vpc", "DeactiveFlowLog", "FlowLogId", "fl-1")},
		{name: "flow log deleted by a new source", rule: "EVADE-04", want: Critical, extra: one(intruder(work, "Vpc", "DeleteFlowLog", withParams("FlowLogId", "fl-1")))},
		{name: "flow log created", rule: "EVADE-04", want: absent, extra: o("Vpc", "CreateFlowLog", "FlowLogId", "fl-1")},
		{name: "flow log reactivated", rule: "EVADE-04", want: absent, extra: o("Vpc", "ActiveFlowLog", "FlowLogId", "fl-1")},
		{name: "flow logs listed", rule: "EVADE-04", want: absent, extra: o("Vpc", "DescribeFlowLogs")},
	})
}

func TestChainRules(t *testing.T) {
	chain := func(gap time.Duration) func() []*Event {
		return func() []*Event {
			return []*Event{
				office(work, "Ram", "CreateUser", withParams("UserName", "svc-backup")),
				office(work.Add(time.Minute), "Ram", "CreateLoginProfile", withParams("UserName", "svc-backup")),
				office(work.Add(gap), "Ram", "AttachPolicyToUser", withParams("UserName", "svc-backup", "PolicyName", "ReadOnlyAccess")),
			}
		}
	}
	runRuleCases(t, []ruleCase{
		{name: "within 30 minutes", rule: "PERS-04", want: Critical, title: "svc-backup", extra: chain(20 * time.Minute)},
		{name: "over 30 minutes", rule: "PERS-04", want: absent, extra: chain(31 * time.Minute)},
		{name: "created user signs in", rule: "PERS-05", want: Critical, title: "svc-backup", extra: func() []*Event {
			return []*Event{
				office(work, "Ram", "CreateUser", withParams("UserName", "svc-backup")),
				tev(work.Add(time.Hour), attacker, "Ims", "ConsoleSignin", withKey(""), withUser("svc-backup")),
			}
		}},
		{name: "created key used", rule: "PERS-05", want: Critical, extra: func() []*Event {
			return []*Event{
				office(work, "Ram", "CreateAccessKey", withParams("UserName", "svc-backup"),
					withResp(map[string]any{"AccessKey": map[string]any{"AccessKeyId": "LTAI5tNew"}})),
				tev(work.Add(time.Hour), attacker, "Ecs", "DescribeInstances", withKey("LTAI5tNew"), withUser("svc-backup")),
			}
		}},
		{name: "same name before creation", rule: "PERS-05", want: absent, extra: func() []*Event {
			return []*Event{
				tev(work.Add(-time.Hour), attacker, "Ims", "ConsoleSignin", withKey(""), withUser("svc-backup")),
				office(work, "Ram", "CreateUser", withParams("UserName", "svc-backup")),
			}
		}},
	})
}

func TestAnomalyRules(t *testing.T) {
	flood := func(n int, name string, opts ...evOpt) func() []*Event {
		return func() []*Event {
			return repeat(n, func(i int) *Event { return office(work.Add(time.Duration(i)*10*time.Second), "Ecs", name, opts...) })
		}
	}
	runRuleCases(t, []ruleCase{
		{name: "300 calls in an hour", rule: "ANOM-01", want: Medium, ips: []string{officeA}, extra: flood(300, "DescribeInstances")},
		{name: "usual rate", rule: "ANOM-01", want: absent, extra: flood(6, "DescribeInstances")},
		{name: "cold start ceiling", rule: "ANOM-01", want: Medium, noHistory: true, extra: flood(100, "DescribeInstances")},
		{name: "cold start under ceiling", rule: "ANOM-01", want: absent, noHistory: true, extra: flood(99, "DescribeInstances")},
		{name: "writes", rule: "ANOM-02", want: High, extra: flood(60, "StopInstance")},
		{name: "failures", rule: "ANOM-03", want: Medium, extra: flood(12, "DescribeInstances", withErr("Throttling.User"))},
		{name: "few failures", rule: "ANOM-03", want: absent, extra: flood(9, "DescribeInstances", withErr("Throttling.User"))},
		{name: "new API", rule: "ANOM-04", want: Low, title: "Ecs:DescribeZones", extra: one(office(work, "Ecs", "DescribeZones"))},
		{name: "new destructive API", rule: "ANOM-04", want: High, extra: one(office(work, "Ecs", "DeleteInstance"))},
		{name: "known API", rule: "ANOM-04", want: absent, extra: one(office(work, "Ecs", "DescribeInstances"))},
	})
}

func TestUseAfterLeak(t *testing.T) {
	leak := func(o *Options) { o.LeakTime = work }
	runRuleCases(t, []ruleCase{
		{name: "new source after leak", rule: "USE-AFTER-LEAK", want: Medium, ips: []string{attacker}, opts: leak, extra: one(
			office(work.Add(time.Minute), "Ecs", "DescribeInstances"), intruder(work.Add(2*time.Minute), "Ecs", "DescribeInstances"))},
		{name: "only office after leak", rule: "USE-AFTER-LEAK", want: Info, ips: []string{officeA}, opts: leak, extra: one(
			office(work.Add(time.Minute), "Ecs", "DescribeInstances"))},
		{name: "no leak time", rule: "USE-AFTER-LEAK", want: absent, extra: one(intruder(work, "Ecs", "DescribeInstances"))},
	})
}

// TestSelfExclusion: akresp's own calls are counted, never evidence.
func TestSelfExclusion(t *testing.T) {
	evSeq = 0
	evs := officeWeek(leakStart.Add(-2 * time.Hour))
	self := []*Event{
		tev(work, attacker, "Ims", "SetAccessKeyPolicy", withUA("akresp/0.1.0 (contain)")),
		tev(work, attacker, "Ram", "AttachPolicyToUser", withUA("akresp/0.1.0"), withParams("PolicyName", "akresp-deny")),
		tev(work, attacker, "Sts", "GetCallerIdentity", withUA("akresp/0.1.0")),
	}
	r := runEngine(baseOptions(), append(evs, self...))
	if r.Window.Excluded != len(self) {
		t.Errorf("excluded = %d, want %d", r.Window.Excluded, len(self))
	}
	for _, f := range r.Findings {
		t.Errorf("finding %s from akresp's own calls: %s", f.ID, f.Title)
	}
	for _, s := range r.Sources {
		if s.IP == attacker {
			t.Errorf("akresp's own source %s listed", attacker)
		}
	}
}

// TestEscalation: a finding next to a context hit is raised one level.
func TestEscalation(t *testing.T) {
	evSeq = 0
	evs := officeWeek(leakStart.Add(-2 * time.Hour))
	evs = append(evs,
		intruder(work, "Ram", "CreateUser", withParams("UserName", "a")),
		office(work.Add(48*time.Hour), "Ram", "CreateUser", withParams("UserName", "b")))
	r := runEngine(baseOptions(), evs)
	f := findFinding(r, "PERS-01")
	if f == nil || f.Severity != Critical || !strings.Contains(f.Escalated, "CTX-03") {
		t.Fatalf("PERS-01 = %+v, want critical escalated by CTX-03", f)
	}
	if ctx := findFinding(r, "CTX-03"); ctx == nil || ctx.Escalated != "" {
		t.Errorf("CTX-03 = %+v, want present and not escalated", ctx)
	}
}

// secretLike hides the values of secret-named parameters from evidence in
// any case, Unicode case mapping included, and only those.
func TestSecretLike(t *testing.T) {
	for k, want := range map[string]bool{
		"AccessKeySecret": true, "PASSWORD": true, "x-Token-y": true, "Signature": true,
		"Credentials": true, "SecurityToken": true, "TO\u212aEN": true, "Pässword": false, "Ä-PASSWORD": true,
		"UserName": false, "Secre": false, "": false, "Tokn": false, "Ünicode": false,
	} {
		if got := secretLike(k); got != want {
			t.Errorf("secretLike(%q) = %v, want %v", k, got, want)
		}
	}
}

// A finding's range covers every event it counts, not only its samples:
// CTX-02 keeps one sample per source and hour, CTX-08, COST-02 and
// ANOM-04 the first call of each tool, region or API, and their "last" was the last
// sample's time (an attacker busy until 20:30 read as done at 20:00).
func TestFindingRangeCoversCountedEvents(t *testing.T) {
	evSeq = 0
	evs := officeWeek(leakStart.Add(-2 * time.Hour))
	var last time.Time
	for i := range 10 { // 19:00 to 20:30 Shanghai, off hours, a new region, API and tool
		last = leakStart.Add(time.Duration(i) * 10 * time.Minute)
		evs = append(evs, intruder(last, "Ecs", "DescribeSnapshots", withParams("RegionId", "eu-west-1"), withRegion("eu-west-1")))
	}
	r := runEngine(baseOptions(), evs)
	for _, id := range []string{"CTX-02", "CTX-08", "COST-02", "ANOM-04"} {
		f := findFinding(r, id)
		if f == nil {
			t.Errorf("%s did not fire; the case proves nothing for it (findings %v)", id, ids(r))
			continue
		}
		if !f.Last.Equal(last) || !f.First.Equal(leakStart) {
			t.Errorf("%s: range %s to %s over %d events, want %s to %s", id, f.First.Format(time.RFC3339), f.Last.Format(time.RFC3339), f.Count, leakStart.Format(time.RFC3339), last.Format(time.RFC3339))
		}
	}
}

// CTX-04's range covers the events it counts in the windows that fire,
// not only the events it cites (each source's first of the hour): three
// new sources together from 30 minutes into the hour, the first back at
// 35:40, one of them seen alone at the top of the hour.
func TestCTX04RangeCoversCountedEvents(t *testing.T) {
	evSeq = 0
	evs := officeWeek(leakStart.Add(-2 * time.Hour))
	const a, b, c = "127.0.0.66", "127.0.0.67", "127.0.0.68"
	evs = append(evs, tev(leakStart, a, "Ecs", "DescribeInstances", withUA(attackerUA)))
	for i, ip := range []string{a, b, c} {
		evs = append(evs, tev(leakStart.Add(30*time.Minute+time.Duration(i)*time.Minute), ip, "Ecs", "DescribeInstances", withUA(attackerUA)))
	}
	last := leakStart.Add(35*time.Minute + 40*time.Second)
	evs = append(evs, tev(last, a, "Ecs", "DescribeRegions", withUA(attackerUA)))
	f := findFinding(runEngine(baseOptions(), evs), "CTX-04")
	if f == nil {
		t.Fatal("CTX-04 did not fire")
	}
	if !f.Last.Equal(last) || f.First.After(leakStart.Add(30*time.Minute)) {
		t.Errorf("CTX-04: %d events from %s to %s, want the range to reach %s", f.Count, f.First.Format(time.RFC3339), f.Last.Format(time.RFC3339), last.Format(time.RFC3339))
	}
	// The evidence is the sources' calls inside the window its detail
	// names, not a's first call of the hour half an hour before it.
	window := leakStart.Add(30 * time.Minute)
	for _, ev := range f.Evidence {
		if ev.Time.Before(window) || !ev.Time.Before(window.Add(10*time.Minute)) {
			t.Errorf("CTX-04 cites %s %s at %s (%q), outside the window from %s", ev.SourceIP, ev.Name, ev.Time.Format(time.RFC3339), ev.Detail, window.Format(time.RFC3339))
		}
	}
	if len(f.Evidence) != 3 {
		t.Errorf("CTX-04 cites %d events, want one per source", len(f.Evidence))
	}
}

// TestCTX04SaysWhenItCitesTheHoursFirst: a source whose kept samples hold
// nothing inside the window is cited by its first call of the hour, and
// the detail says that this call precedes the window.
func TestCTX04SaysWhenItCitesTheHoursFirst(t *testing.T) {
	evSeq = 0
	evs := officeWeek(leakStart.Add(-2 * time.Hour))
	const a, b, c = "127.0.0.66", "127.0.0.67", "127.0.0.68"
	// a calls every 20 seconds from the hour's start: its kept samples
	// (the earliest and the latest few) lie outside the window at :30.
	for s := 0; s < 59*60; s += 20 {
		evs = append(evs, tev(leakStart.Add(time.Duration(s)*time.Second), a, "Ecs", "DescribeInstances", withUA(attackerUA)))
	}
	for i, ip := range []string{b, c} {
		evs = append(evs, tev(leakStart.Add(30*time.Minute+time.Duration(i)*time.Minute), ip, "Ecs", "DescribeInstances", withUA(attackerUA)))
	}
	f := findFinding(runEngine(baseOptions(), evs), "CTX-04")
	if f == nil {
		t.Fatal("CTX-04 did not fire")
	}
	var cited bool
	for _, ev := range f.Evidence {
		if ev.SourceIP != a {
			continue
		}
		cited = true
		if !ev.Time.Before(leakStart.Add(30*time.Minute)) || !strings.HasSuffix(ev.Detail, "; cited: the source's first call of that hour") {
			t.Errorf("a cited at %s with %q, want its first call of the hour, said so", ev.Time.Format(time.RFC3339), ev.Detail)
		}
	}
	if !cited {
		t.Errorf("a not cited: %+v", f.Evidence)
	}
}
