package audit

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Tests of the rules added for issue 13 (CTX-07, ENUM-06, EXEC-02..05,
// PERS-08, EXFIL-01/03/05, COST-04, DEST-07, EVADE-06/07): each has a positive and a negative
// case, on top of officeWeek's history (the office is a known source; the
// intruder is new).

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

const stealCreds = "curl -s http://100.100.100.200/latest/meta-data/ram/security-credentials/EcsRole"

// otherKey is an event of another principal (an STS session, typically).
func otherKey(t time.Time, ip, key, user string, opts ...evOpt) *Event {
	return tev(t, ip, "Ecs", "DescribeInstances", append([]evOpt{withKey(key), withUser(user), withUserType("assumed-role"), withUA(attackerUA)}, opts...)...)
}

func TestMoreContextRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "instance role pivot after metadata read", rule: "CTX-07", want: Critical, title: "ecsrole from 203.0.113.9", ips: []string{"203.0.113.9"},
			extra: func() []*Event {
				return []*Event{
					// The instance uses its role from inside its VPC, before and after.
					otherKey(work.Add(-3*time.Hour), "10.0.0.5", "STS.instance0001", "EcsRole:i-bp1", withVPC("vpc-1")),
					office(work, "Ecs", "RunCommand", withParams("InstanceId", "i-bp1", "CommandContent", b64(stealCreds))),
					otherKey(work.Add(5*time.Minute), "10.0.0.5", "STS.instance0002", "EcsRole:i-bp1", withVPC("vpc-1")),
					otherKey(work.Add(10*time.Minute), "203.0.113.9", "STS.instance0002", "EcsRole:i-bp1"),
					otherKey(work.Add(11*time.Minute), "100.104.1.1", "STS.instance0002", "EcsRole:i-bp1"),
				}
			}},
		{name: "assumed role used from outside", rule: "CTX-07", want: High, ips: []string{"203.0.113.9"},
			extra: func() []*Event {
				return []*Event{
					office(work, "Sts", "AssumeRole", withParams("RoleArn", "acs:ram::"+testAccount+":role/deployer"),
						withResp(map[string]any{"credentials": map[string]any{"accessKeyId": "STS.assumed0001"}})),
					otherKey(work.Add(10*time.Minute), "203.0.113.9", "STS.assumed0001", "deployer:s1"),
				}
			}},
		{name: "instance role used from inside only", rule: "CTX-07", want: absent,
			extra: func() []*Event {
				return []*Event{
					office(work, "Ecs", "RunCommand", withParams("InstanceId", "i-bp1", "CommandContent", b64(stealCreds))),
					otherKey(work.Add(5*time.Minute), "10.0.0.5", "STS.instance0002", "EcsRole:i-bp1", withVPC("vpc-1")),
					otherKey(work.Add(6*time.Minute), "Internal", "STS.instance0002", "EcsRole:i-bp1"),
				}
			}},
		{name: "unrelated role used from outside", rule: "CTX-07", want: absent,
			extra: func() []*Event {
				return []*Event{otherKey(work.Add(10*time.Minute), "203.0.113.9", "STS.other0001", "OtherRole:s1")}
			}},
		{name: "assumed role used from a trusted address", rule: "CTX-07", want: absent,
			opts: func(o *Options) {
				o.TrustedCIDRs = append(o.TrustedCIDRs, netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("127.0.0.0/8"))
			},
			extra: func() []*Event {
				return []*Event{
					office(work, "Sts", "AssumeRole", withResp(map[string]any{"Credentials": map[string]any{"AccessKeyId": "STS.assumed0001"}})),
					otherKey(work.Add(10*time.Minute), "203.0.113.9", "STS.assumed0001", "deployer:s1"),
				}
			}},
	})
}

func TestMoreEnumerationRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "bucket ACL read, first time", rule: "ENUM-06", want: Low, title: "corp-data", extra: one(office(work, "Oss", "GetBucketAcl", withParams("BucketName", "corp-data")))},
		{name: "buckets listed by the intruder", rule: "ENUM-06", want: Medium, ips: []string{attacker}, extra: one(intruder(work, "Oss", "ListBuckets"))},
		{name: "office's usual bucket read", rule: "ENUM-06", want: absent, extra: one(office(work, "Oss", "GetBucketInfo", withParams("BucketName", "app-assets")))},
	})
}

func TestMoreExecutionRules(t *testing.T) {
	chain := func(deleteAfter time.Duration, deleteID string) func() []*Event {
		return func() []*Event {
			return []*Event{
				office(work, "Ecs", "CreateCommand", withParams("Name", "x", "Type", "RunShellScript"), withResp(map[string]any{"CommandId": "c-1"})),
				office(work.Add(time.Minute), "Ecs", "InvokeCommand", withParams("CommandId", "c-1", "InstanceId", `["i-1"]`)),
				office(work.Add(2*time.Minute), "Ecs", "DescribeInvocationResults", withParams("CommandId", "c-1")),
				office(work.Add(deleteAfter), "Ecs", "DeleteCommand", withParams("CommandId", deleteID)),
			}
		}
	}
	invocations := func(n int, every time.Duration) func() []*Event {
		return func() []*Event {
			return repeat(n, func(i int) *Event {
				return office(work.Add(time.Duration(i)*every), "Ecs", "RunCommand", withParams("InstanceId", fmt.Sprintf("i-%d", i), "Type", "RunShellScript"))
			})
		}
	}
	runRuleCases(t, []ruleCase{
		{name: "created, run, read, erased", rule: "EXEC-02", want: High, title: "c-1", extra: chain(3*time.Minute, "c-1")},
		{name: "erased after 30 minutes", rule: "EXEC-02", want: absent, extra: chain(31*time.Minute, "c-1")},
		{name: "another command erased", rule: "EXEC-02", want: absent, extra: chain(3*time.Minute, "c-2")},

		{name: "metadata credentials, base64", rule: "EXEC-03", want: Critical, title: "i-bp1 role ecsrole",
			extra: one(office(work, "Ecs", "RunCommand", withParams("InstanceId", "i-bp1", "CommandContent", b64(stealCreds))))},
		{name: "user data, plain text", rule: "EXEC-03", want: Critical,
			extra: one(office(work, "Ecs", "CreateCommand", withParams("ContentEncoding", "PlainText", "CommandContent", "wget -qO- http://100.100.100.200/latest/user-data")))},
		{name: "harmless command", rule: "EXEC-03", want: absent,
			extra: one(office(work, "Ecs", "RunCommand", withParams("InstanceId", "i-bp1", "CommandContent", b64("uptime; df -h"))))},

		{name: "one call on five instances", rule: "EXEC-04", want: High,
			extra: one(office(work, "Ecs", "InvokeCommand", withParams("CommandId", "c-1", "InstanceId", `["i-1","i-2","i-3","i-4","i-5"]`)))},
		{name: "five invocations in ten minutes", rule: "EXEC-04", want: High, ips: []string{officeA}, extra: invocations(5, time.Minute)},
		{name: "one call on four instances", rule: "EXEC-04", want: absent,
			extra: one(office(work, "Ecs", "InvokeCommand", withParams("CommandId", "c-1", "InstanceId.1", "i-1", "InstanceId.2", "i-2", "InstanceId.3", "i-3", "InstanceId.4", "i-4")))},
		{name: "five invocations spread out", rule: "EXEC-04", want: absent, extra: invocations(5, 3*time.Minute)},

		{name: "function created", rule: "EXEC-05", want: High, title: "miner", extra: one(office(work, "Fc", "CreateFunction", withParams("ServiceName", "s", "FunctionName", "miner")))},
		{name: "container group from the intruder", rule: "EXEC-05", want: Critical, extra: one(intruder(work, "Eci", "CreateContainerGroup", withParams("ContainerGroupName", "xmr")))},
		{name: "function deployments as usual", rule: "EXEC-05", want: absent, extra: func() []*Event {
			return []*Event{
				office(leakStart.Add(-6*24*time.Hour), "Fc", "CreateFunction", withParams("FunctionName", "api")),
				office(work, "Fc", "CreateFunction", withParams("FunctionName", "api")),
			}
		}},
	})
}

func TestMorePersistenceRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "VPN gateway", rule: "PERS-08", want: Medium, title: "CreateVpnGateway", extra: one(office(work, "Vpc", "CreateVpnGateway", withParams("VpcId", "vpc-1")))},
		{name: "EIP allocated and associated", rule: "PERS-08", want: Medium, title: "EIP eip-1", extra: func() []*Event {
			return []*Event{
				office(work, "Vpc", "AllocateEipAddress", withResp(map[string]any{"AllocationId": "eip-1"})),
				office(work.Add(time.Minute), "Vpc", "AssociateEipAddress", withParams("AllocationId", "eip-1", "InstanceId", "i-db")),
			}
		}},
		{name: "EIP allocated only", rule: "PERS-08", want: absent, extra: one(office(work, "Vpc", "AllocateEipAddress", withResp(map[string]any{"AllocationId": "eip-1"})))},
		{name: "another EIP associated", rule: "PERS-08", want: absent, extra: func() []*Event {
			return []*Event{
				office(work, "Vpc", "AllocateEipAddress", withResp(map[string]any{"AllocationId": "eip-1"})),
				office(work.Add(time.Minute), "Vpc", "AssociateEipAddress", withParams("AllocationId", "eip-9")),
			}
		}},
	})
}

// downloads returns n successful GetObject calls from ip spread over the
// 50 minutes after t, in the buckets given in turn.
func downloads(t time.Time, ip string, n int, buckets ...string) []*Event {
	return repeat(n, func(i int) *Event {
		return tev(t.Add(time.Duration(i)*50*time.Minute/time.Duration(n)), ip, "Oss", "GetObject",
			withParams("bucket", buckets[i%len(buckets)], "object", fmt.Sprintf("f/%d", i), "http_status", "200"))
	})
}

func TestMoreExfiltrationRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "500 downloads in an hour", rule: "EXFIL-01", want: High, title: "corp-data", extra: func() []*Event { return downloads(work, officeA, 500, "corp-data") }},
		{name: "three new buckets", rule: "EXFIL-01", want: High, extra: func() []*Event { return downloads(work, officeA, 30, "a", "b", "c") }},
		{name: "499 downloads", rule: "EXFIL-01", want: absent, extra: func() []*Event { return downloads(work, officeA, 499, "corp-data") }},
		{name: "usual volume, 5 x baseline not reached", rule: "EXFIL-01", want: absent, extra: func() []*Event {
			evs := downloads(leakStart.Add(-6*24*time.Hour), officeA, 200, "corp-data")
			return append(evs, downloads(work, officeA, 900, "corp-data")...)
		}},
		{name: "failed downloads", rule: "EXFIL-01", want: absent, extra: func() []*Event {
			evs := downloads(work, officeA, 600, "corp-data")
			for _, e := range evs {
				e.Params["http_status"] = "403"
			}
			return evs
		}},

		{name: "image shared with another account", rule: "EXFIL-03", want: High, title: "9999888877776666",
			extra: one(office(work, "Ecs", "ModifyImageSharePermission", withParams("ImageId", "m-1", "AddAccount.1", "9999888877776666")))},
		{name: "image exported", rule: "EXFIL-03", want: High, extra: one(office(work, "Ecs", "ExportImage", withParams("ImageId", "m-1", "OSSBucket", "x")))},
		{name: "image copied to a new region", rule: "EXFIL-03", want: High, title: "eu-west-1",
			extra: one(office(work, "Ecs", "CopyImage", withParams("ImageId", "m-1", "DestinationRegionId", "eu-west-1")))},
		{name: "backup made and listed", rule: "EXFIL-03", want: High, title: "rm-1", extra: func() []*Event {
			return []*Event{
				office(work, "Rds", "CreateBackup", withParams("DBInstanceId", "rm-1")),
				office(work.Add(10*time.Minute), "Rds", "DescribeBackups", withParams("DBInstanceId", "rm-1")),
			}
		}},
		{name: "image share revoked", rule: "EXFIL-03", want: absent,
			extra: one(office(work, "Ecs", "ModifyImageSharePermission", withParams("ImageId", "m-1", "RemoveAccount.1", "9999888877776666")))},
		{name: "image copied to a known region", rule: "EXFIL-03", want: absent,
			extra: one(office(work, "Ecs", "CopyImage", withParams("ImageId", "m-1", "DestinationRegionId", "cn-hangzhou")))},
		{name: "backup listed an hour later", rule: "EXFIL-03", want: absent, extra: func() []*Event {
			return []*Event{
				office(work, "Rds", "CreateBackup", withParams("DBInstanceId", "rm-1")),
				office(work.Add(time.Hour), "Rds", "DescribeBackups", withParams("DBInstanceId", "rm-1")),
			}
		}},

		{name: "secret read", rule: "EXFIL-05", want: High, title: "db-password", extra: one(office(work, "Kms", "GetSecretValue", withParams("SecretName", "db-password")))},
		{name: "secret read as usual", rule: "EXFIL-05", want: absent, extra: func() []*Event {
			return []*Event{
				office(leakStart.Add(-6*24*time.Hour), "Kms", "GetSecretValue", withParams("SecretName", "db-password")),
				office(work, "Kms", "GetSecretValue", withParams("SecretName", "db-password")),
			}
		}},
	})
}

func TestMoreCostAndDestructionRules(t *testing.T) {
	spend := func(gap time.Duration) func() []*Event {
		return func() []*Event {
			return []*Event{
				office(work, "Bssopenapi", "QueryAccountBalance"),
				office(work.Add(gap), "Ecs", "RunInstances", withParams("InstanceType", "ecs.g7.large")),
			}
		}
	}
	stops := func(n int, every time.Duration) func() []*Event {
		return func() []*Event {
			return repeat(n, func(i int) *Event {
				return office(work.Add(time.Duration(i)*every), "Ecs", "StopInstance", withParams("InstanceId", fmt.Sprintf("i-prod%d", i)))
			})
		}
	}
	runRuleCases(t, []ruleCase{
		{name: "balance then compute", rule: "COST-04", want: Medium, title: "QueryAccountBalance then RunInstances", extra: spend(20 * time.Minute)},
		{name: "compute two hours later", rule: "COST-04", want: absent, extra: spend(2 * time.Hour)},

		{name: "three instances stopped", rule: "DEST-07", want: Medium, ips: []string{officeA}, extra: stops(3, 2*time.Minute)},
		{name: "one call stops three", rule: "DEST-07", want: Medium, extra: one(office(work, "Ecs", "StopInstances", withParams("InstanceId", `["i-1","i-2","i-3"]`)))},
		{name: "two instances stopped", rule: "DEST-07", want: absent, extra: stops(2, 2*time.Minute)},
		{name: "three stops spread out", rule: "DEST-07", want: absent, extra: stops(3, 6*time.Minute)},
	})
}

func TestMoreEvasionRules(t *testing.T) {
	cleanup := func(gap time.Duration) func() []*Event {
		return func() []*Event {
			return []*Event{
				office(work, "Ecs", "InvokeCommand", withParams("CommandId", "c-1", "InstanceId", "i-1")),
				office(work.Add(gap), "Ecs", "DeleteCommand", withParams("CommandId", "c-1")),
			}
		}
	}
	runRuleCases(t, []ruleCase{
		{name: "security agent paused", rule: "EVADE-06", want: Critical, extra: one(office(work, "Sas", "PauseClient", withParams("Uuids", "u-1", "Value", "0")))},
		{name: "agent uninstalled by command", rule: "EVADE-06", want: Critical, title: "i-1",
			extra: one(office(work, "Ecs", "RunCommand", withParams("InstanceId", "i-1", "CommandContent", b64("systemctl stop aegis; /usr/local/aegis/aegis_uninstall.sh"))))},
		{name: "security agent resumed", rule: "EVADE-06", want: absent, extra: one(office(work, "Sas", "PauseClient", withParams("Uuids", "u-1", "Value", "1")))},
		{name: "ordinary command", rule: "EVADE-06", want: absent,
			extra: one(office(work, "Ecs", "RunCommand", withParams("InstanceId", "i-1", "CommandContent", b64("systemctl restart nginx"))))},

		{name: "command deleted after it ran", rule: "EVADE-07", want: Medium, title: "c-1", extra: cleanup(5 * time.Minute)},
		{name: "created user deleted", rule: "EVADE-07", want: Medium, title: "user tmp-admin", extra: func() []*Event {
			return []*Event{
				office(work, "Ram", "CreateUser", withParams("UserName", "tmp-admin")),
				office(work.Add(time.Hour), "Ram", "DeleteUser", withParams("UserName", "tmp-admin")),
			}
		}},
		{name: "command deleted much later", rule: "EVADE-07", want: absent, extra: cleanup(20 * time.Minute)},
		{name: "another user deleted", rule: "EVADE-07", want: absent, extra: one(office(work, "Ram", "DeleteUser", withParams("UserName", "alice")))},
	})
}

// TestMoreRoutine: a sequence rule firing on the key's own cadence (the
// same source, every day for a week) is routine: not raised, whereas the
// same activity from a new source is.
func TestMoreRoutine(t *testing.T) {
	daily := func(ip string) []*Event {
		var out []*Event
		for d := 8; d >= 1; d-- {
			at := work.Add(-time.Duration(d) * 24 * time.Hour)
			out = append(out,
				tev(at, ip, "Bssopenapi", "QueryAccountBalance"),
				tev(at.Add(10*time.Minute), ip, "Ecs", "StartInstance", withParams("InstanceId", "i-ci")))
		}
		return out
	}
	runRuleCases(t, []ruleCase{
		{name: "CI checks the balance and starts its runner daily", rule: "COST-04", want: absent, extra: func() []*Event {
			return append(daily(officeA), tev(work, officeA, "Bssopenapi", "QueryAccountBalance"),
				tev(work.Add(10*time.Minute), officeA, "Ecs", "StartInstance", withParams("InstanceId", "i-ci")))
		}},
		{name: "same pattern from the intruder", rule: "COST-04", want: High, ips: []string{attacker}, extra: func() []*Event {
			return append(daily(officeA), intruder(work, "Bssopenapi", "QueryAccountBalance"),
				intruder(work.Add(10*time.Minute), "Ecs", "RunInstances", withParams("InstanceType", "ecs.g7.large")))
		}},
	})
}

// TestMoreRoutineDeparture: a day with far more than the routine's volume
// is judged as new; the routine days are counted, not cited.
func TestMoreRoutineDeparture(t *testing.T) {
	evSeq = 0
	evs := officeWeek(leakStart.Add(-2 * time.Hour))
	for d := 8; d >= 1; d-- {
		at := work.Add(-time.Duration(d) * 24 * time.Hour)
		evs = append(evs, office(at, "Bssopenapi", "QueryAccountBalance"),
			office(at.Add(10*time.Minute), "Ecs", "StartInstance", withParams("InstanceId", "i-ci")))
	}
	for i := range 10 {
		at := work.Add(time.Duration(i) * 3 * time.Minute)
		evs = append(evs, office(at, "Bssopenapi", "QueryAccountBalance"),
			office(at.Add(time.Minute), "Ecs", "RunInstances", withParams("InstanceType", "ecs.g7.large")))
	}
	r := runEngine(baseOptions(), evs)
	f := findFinding(r, "COST-04")
	if f == nil {
		t.Fatalf("COST-04 did not fire on a departing day; findings %v", ids(r))
	}
	if f.Count != 20 || f.RoutineCount != 16 {
		t.Errorf("COST-04 count %d, routine %d; want the departing day's 20 events cited and the 8 routine days' 16 counted", f.Count, f.RoutineCount)
	}
	for _, ev := range f.Evidence {
		if ev.Time.Before(work) {
			t.Errorf("COST-04 cites a routine event at %s", ev.Time)
		}
	}
}

// TestSTSKeyAuditedItself: auditing an instance role's STS key, a new
// public source fires CTX-07; the same session from its VPC does not.
func TestSTSKeyAuditedItself(t *testing.T) {
	const stsKey = "STS.instanceSelf0001"
	mk := func(at time.Time, ip string, opts ...evOpt) *Event {
		return tev(at, ip, "Ecs", "DescribeInstances", append([]evOpt{withKey(stsKey), withUser("EcsRole:i-bp1"), withUserType("assumed-role")}, opts...)...)
	}
	opts := baseOptions()
	opts.KeyID = stsKey
	var evs []*Event
	for h := range 48 {
		evs = append(evs, mk(work.Add(-time.Duration(48-h)*time.Hour), "10.0.0.5", withVPC("vpc-1")))
	}
	if f := findFinding(runEngine(opts, evs), "CTX-07"); f != nil {
		t.Fatalf("CTX-07 fired for the instance's own use: %+v", f)
	}
	evs = append(evs, mk(work, "203.0.113.9", withUA(attackerUA)))
	r := runEngine(opts, evs)
	f := findFinding(r, "CTX-07")
	if f == nil || f.Severity != High || len(f.IPs) != 1 || f.IPs[0] != "203.0.113.9" {
		t.Fatalf("CTX-07 = %+v, want high from 203.0.113.9; findings %v", f, ids(r))
	}
}

// TestBulkDownloadFromOSSLog: EXFIL-01 fires from an OSS access log read
// with ReadOSSLogs (--oss-log), and cites the downloader, not the
// application's usual source.
func TestBulkDownloadFromOSSLog(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	at := work
	line := func(ip string, i int) string {
		ts := at.Add(time.Duration(i) * 5 * time.Second).In(time.FixedZone("", 8*3600)).Format(ossTimeLayout)
		return fmt.Sprintf(`%s - - [%s] "GET /f/%d HTTP/1.1" 200 1024 10 "-" "python-requests/2.31.0" "corp-data.oss-cn-hangzhou.aliyuncs.com" "REQ%s%05d" "true" "2768141870000001" "GetObject" "corp-data" "f%%2F%d" 1024 60 "-" 300 "1968132000123456" - "-" "standard" "-" "-" "%s"`+"\n",
			ip, ts, i, strings.ReplaceAll(ip, ".", ""), i, i, testKey)
	}
	for i := range 600 {
		b.WriteString(line(attacker, i))
	}
	for i := range 5 {
		b.WriteString(line(officeA, i))
	}
	path := filepath.Join(dir, "oss-access.log")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	evSeq = 0
	eng := NewEngine(baseOptions())
	for _, e := range officeWeek(leakStart.Add(-2 * time.Hour)) {
		eng.Add(e)
	}
	_, probs, err := ReadOSSLogs(context.Background(), []string{path}, ReadOptions{KeyID: testKey}, func(ev *Event) error {
		eng.Add(ev)
		return nil
	})
	if err != nil || len(probs) > 0 {
		t.Fatalf("ReadOSSLogs: %v %v", err, probs)
	}
	r := eng.Result()
	f := findFinding(r, "EXFIL-01")
	if f == nil {
		t.Fatalf("EXFIL-01 did not fire; findings %v", ids(r))
	}
	if f.Count != 600 || f.RoutineCount != 5 {
		t.Errorf("EXFIL-01 count %d routine %d, want 600 and 5 (the office's downloads are routine)", f.Count, f.RoutineCount)
	}
	if len(f.IPs) != 1 || f.IPs[0] != attacker {
		t.Errorf("EXFIL-01 sources %v, want only %s", f.IPs, attacker)
	}
	for _, ev := range f.Evidence {
		if ev.SourceIP != attacker || ev.Name != "GetObject" || ev.Origin.Kind != OriginOSSLog {
			t.Errorf("EXFIL-01 cites %+v, want the attacker's GetObject from the OSS log", ev)
		}
	}
	if !strings.Contains(f.Title, "corp-data") {
		t.Errorf("EXFIL-01 title %q does not name the bucket", f.Title)
	}
}

// TestMoreRulesDocStatesConstants: docs/rules.md states the thresholds the
// rules added for issue 13 use (TestRulesDocMatchesCode covers ids, titles
// and severities).
func TestMoreRulesDocStatesConstants(t *testing.T) {
	_, _, sections := readDocRules(t)
	for id, want := range map[string][]string{
		"EXFIL-01": {fmt.Sprintf("max(%d, %d x the busiest baseline hour)", bulkGetFloor, bulkGetFactor), fmt.Sprintf("%d or more buckets", bulkBuckets)},
		"EXEC-04":  {fmt.Sprintf("%d or more instances", batchInstances), fmt.Sprintf("%d or more such invocations within 10 minutes", batchInvocations)},
		"DEST-07":  {fmt.Sprintf("%d or more distinct instances within 10 minutes", stopInstances)},
		"EXEC-02":  {fmt.Sprintf("on %d or more days spanning %d days", routineMinDays, routineMinSpanDays)},
	} {
		for _, w := range want {
			if !strings.Contains(sections[id], w) {
				t.Errorf("docs/rules.md %s does not state %q", id, w)
			}
		}
	}
	for _, id := range strings.Fields("CTX-07 ENUM-06 EXEC-02 EXEC-03 EXEC-04 EXEC-05 PERS-08 EXFIL-01 EXFIL-03 EXFIL-05 COST-04 DEST-07 EVADE-06 EVADE-07") {
		if sections[id] == "" {
			t.Errorf("docs/rules.md has no section for %s", id)
		}
	}
}
