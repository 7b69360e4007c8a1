package lab

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// scenarioNow is a fixed lab clock: Wednesday 2026-03-11 10:30 in Shanghai.
var scenarioNow = time.Date(2026, 3, 11, 2, 30, 0, 0, time.UTC)

const baseScenario = `{
  "name": "t",
  "account": {"id": "1234567890123456"},
  "users": [{"name": "u0"}, {"name": "u1"}, {"name": "u2"}],
  "access_keys": [{"id": "LTAI5tTEST00000000000001", "secret": "testSecret00000000000000000001", "owner": "u0"}],
  "policies": [{"name": "P", "document": {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}]}}],
  "groups": [{"name": "g", "members": ["u0"]}],
  "roles": [{"name": "r"}],
  "attachments": [{"policy": "P", "user": "u0"}],
  "events": [{"time": "-1d", "access_key": "LTAI5tTEST00000000000001", "source_ip": "127.0.0.1", "version": "2014-05-26", "action": "DescribeInstances"}],
  "traffic": [{"access_key": "LTAI5tTEST00000000000001", "source_ips": ["127.0.0.1"],
    "calls": [{"version": "2014-05-26", "action": "DescribeInstances"}],
    "schedule": {"from": "-3d", "calls_per_day": {"min": 1, "max": 2}}}]
}`

// scenarioWith returns baseScenario changed by edit.
func scenarioWith(t testing.TB, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(baseScenario), &m); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// at navigates a decoded JSON value: at(m, "users", 2) is m["users"][2].
func at(v any, path ...any) map[string]any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v.(map[string]any)
}

func list(v any, key string) []any { return v.(map[string]any)[key].([]any) }

func obj(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		panic(err)
	}
	return v
}

func TestParseScenarioErrors(t *testing.T) {
	const secret = "testSecret00000000000000000001"
	key2 := func(id string) any {
		return obj(`{"id":"` + id + `","secret":"testSecret00000000000000000002","owner":"u0"}`)
	}
	tests := []struct {
		name string
		data []byte // nil = scenarioWith(edit)
		edit func(m map[string]any)
		want []string
	}{
		{name: "syntax error", data: []byte("{\n  \"name\": \"x\",\n  oops\n}"), want: []string{"line 3 column 3"}},
		{name: "trailing data", data: []byte(baseScenario + "\n{}"), want: []string{"unexpected data after the scenario object"}},
		{name: "not an object", data: []byte(`[1]`), want: []string{"(top level): must be an object"}},
		{name: "unknown top-level field", edit: func(m map[string]any) { m["nmae"] = "x" }, want: []string{"nmae: unknown field"}},
		{name: "unknown nested field", edit: func(m map[string]any) { at(m, "users", 1)["nmae"] = "x" }, want: []string{"users[1].nmae: unknown field"}},
		{name: "wrong kind", edit: func(m map[string]any) { at(m, "users", 0)["name"] = 5 }, want: []string{"users[0].name: must be a string"}},
		{name: "array expected", edit: func(m map[string]any) { m["users"] = map[string]any{} }, want: []string{"users: must be an array"}},
		{name: "negative seed", edit: func(m map[string]any) { m["seed"] = -1 }, want: []string{"seed: must be a non-negative integer"}},
		{name: "several problems at once", edit: func(m map[string]any) {
			m["name"] = ""
			at(m, "users", 2)["name"] = ""
		}, want: []string{"2 problems", "name: empty", "users[2].name: empty"}},
		{name: "empty name", edit: func(m map[string]any) { m["name"] = " " }, want: []string{"name: empty"}},
		{name: "bad account id", edit: func(m map[string]any) { at(m, "account")["id"] = "123" }, want: []string{`account.id: "123" is not a 16-digit account id`}},
		{name: "bad alias", edit: func(m map[string]any) { at(m, "account")["alias"] = "Bad_Alias" }, want: []string{"account.alias:"}},
		{name: "bad region", edit: func(m map[string]any) { m["region"] = "Hangzhou" }, want: []string{"region:"}},
		{name: "unknown timezone", edit: func(m map[string]any) { m["timezone"] = "Mars/Olympus" }, want: []string{`timezone: unknown zone "Mars/Olympus"`}},
		{name: "user name empty", edit: func(m map[string]any) { at(m, "users", 2)["name"] = "" }, want: []string{"users[2].name: empty"}},
		{name: "user name duplicate", edit: func(m map[string]any) { at(m, "users", 1)["name"] = "u0" }, want: []string{`users[1].name: duplicate user "u0"`}},
		{name: "user name characters", edit: func(m map[string]any) { at(m, "users", 0)["name"] = "bad name!" }, want: []string{"users[0].name:"}},
		{name: "user named root", edit: func(m map[string]any) { at(m, "users", 2)["name"] = "root" }, want: []string{"users[2].name:"}},
		{name: "user id", edit: func(m map[string]any) { at(m, "users", 0)["id"] = "12" }, want: []string{"users[0].id:"}},
		{name: "user created", edit: func(m map[string]any) { at(m, "users", 0)["created"] = "last week" }, want: []string{"users[0].created:"}},
		{name: "key id shape", edit: func(m map[string]any) { at(m, "access_keys", 0)["id"] = "AKIA1234" }, want: []string{`access_keys[0].id: "AKIA1234" is not`}},
		{name: "key secret shape", edit: func(m map[string]any) { at(m, "access_keys", 0)["secret"] = secret + "!" }, want: []string{"access_keys[0].secret: not 30 letters or digits"}},
		{name: "key owner unknown", edit: func(m map[string]any) { at(m, "access_keys", 0)["owner"] = "nobody" }, want: []string{`access_keys[0].owner: unknown user "nobody"`}},
		{name: "key owner empty", edit: func(m map[string]any) { at(m, "access_keys", 0)["owner"] = "" }, want: []string{"access_keys[0].owner: empty"}},
		{name: "three keys for one user", edit: func(m map[string]any) {
			m["access_keys"] = append(list(m, "access_keys"), key2("LTAI5tTEST00000000000002"), key2("LTAI5tTEST00000000000003"))
		}, want: []string{`access_keys[2].owner: "u0" would have more than 2 access keys`}},
		{name: "duplicate key", edit: func(m map[string]any) {
			m["access_keys"] = append(list(m, "access_keys"), key2("LTAI5tTEST00000000000001"))
		}, want: []string{`access_keys[1].id: duplicate access key`}},
		{name: "key status", edit: func(m map[string]any) { at(m, "access_keys", 0)["status"] = "Disabled" }, want: []string{`access_keys[0].status: "Disabled" is not Active or Inactive`}},
		{name: "network policy type", edit: func(m map[string]any) {
			at(m, "access_keys", 0)["network_policy"] = obj(`{"statements":[{"type":"BlackList","ip_list":["1.2.3.4"]}]}`)
		}, want: []string{"access_keys[0].network_policy.statements[0].type:"}},
		{name: "network policy CIDR", edit: func(m map[string]any) {
			at(m, "access_keys", 0)["network_policy"] = obj(`{"statements":[{"type":"ClassicWhiteList","ip_list":["1.2.3.4","10.0.0.0/40"]}]}`)
		}, want: []string{`access_keys[0].network_policy.statements[0].ip_list[1]: "10.0.0.0/40" is not an IP address or CIDR`}},
		{name: "network policy classic value", edit: func(m map[string]any) {
			m["account_network_policy"] = obj(`{"statements":[{"type":"ClassicWhiteList","value":"vpc-1","ip_list":["1.2.3.4"]}]}`)
		}, want: []string{"account_network_policy.statements[0].value: must be empty"}},
		{name: "network policy VPC id", edit: func(m map[string]any) {
			m["account_network_policy"] = obj(`{"statements":[{"type":"VPCWhiteList","value":"my-vpc","ip_list":["0.0.0.0/0"]}]}`)
		}, want: []string{"account_network_policy.statements[0].value:"}},
		{name: "policy document malformed", edit: func(m map[string]any) {
			at(m, "policies", 0)["document"] = obj(`{"Version":"1","Statement":[{"Effect":"Allow","Resource":"*"}]}`)
		}, want: []string{"policies[0].document: MalformedPolicyDocument: Statement[0].Action: missing"}},
		{name: "policy document not a document", edit: func(m map[string]any) { at(m, "policies", 0)["document"] = 5 }, want: []string{"policies[0].document: must be a policy document"}},
		{name: "policy named like a system policy", edit: func(m map[string]any) { at(m, "policies", 0)["name"] = "AdministratorAccess" }, want: []string{"policies[0].name:", "system policy name"}},
		{name: "policy document and versions", edit: func(m map[string]any) {
			at(m, "policies", 0)["versions"] = obj(`[{"document":{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}}]`)
		}, want: []string{"policies[0]: set either document or versions, not both"}},
		{name: "policy without document", edit: func(m map[string]any) { delete(at(m, "policies", 0), "document") }, want: []string{"policies[0].document: empty"}},
		{name: "six versions", edit: func(m map[string]any) {
			p := at(m, "policies", 0)
			v := `{"document":{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}}`
			p["versions"] = obj("[" + strings.Repeat(v+",", 5) + v + "]")
			delete(p, "document")
		}, want: []string{"policies[0].versions: 6 versions, a policy has at most 5"}},
		{name: "two default versions", edit: func(m map[string]any) {
			p := at(m, "policies", 0)
			v := `{"default":true,"document":{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}}`
			p["versions"] = obj("[" + v + "," + v + "]")
			delete(p, "document")
		}, want: []string{"policies[0].versions: 2 versions marked default"}},
		{name: "bad version document", edit: func(m map[string]any) {
			p := at(m, "policies", 0)
			p["versions"] = obj(`[{"document":{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}},{"document":"{}"}]`)
			delete(p, "document")
		}, want: []string{"policies[0].versions[1].document: MalformedPolicyDocument"}},
		{name: "attachment of an unknown system policy", edit: func(m map[string]any) { at(m, "attachments", 0)["policy"] = "NoSuchPolicy" }, want: []string{`attachments[0].policy: unknown system policy "NoSuchPolicy"`}},
		{name: "attachment of an unknown custom policy", edit: func(m map[string]any) {
			a := at(m, "attachments", 0)
			a["policy"], a["policy_type"] = "NoSuchPolicy", "Custom"
		}, want: []string{`attachments[0].policy: unknown custom policy "NoSuchPolicy"`}},
		{name: "attachment policy type", edit: func(m map[string]any) { at(m, "attachments", 0)["policy_type"] = "Managed" }, want: []string{`attachments[0].policy_type: "Managed" is not System or Custom`}},
		{name: "attachment to two principals", edit: func(m map[string]any) { at(m, "attachments", 0)["group"] = "g" }, want: []string{"attachments[0]: set exactly one of user, group and role"}},
		{name: "attachment to nobody", edit: func(m map[string]any) { delete(at(m, "attachments", 0), "user") }, want: []string{"attachments[0]: set exactly one"}},
		{name: "attachment to an unknown role", edit: func(m map[string]any) {
			a := at(m, "attachments", 0)
			delete(a, "user")
			a["role"] = "ghost"
		}, want: []string{`attachments[0].role: unknown role "ghost"`}},
		{name: "duplicate attachment", edit: func(m map[string]any) {
			m["attachments"] = append(list(m, "attachments"), obj(`{"policy":"P","user":"u0"}`))
		}, want: []string{`attachments[1]: policy "P" is already attached to user "u0"`}},
		{name: "unknown group member", edit: func(m map[string]any) { at(m, "groups", 0)["members"] = []any{"u0", "zed"} }, want: []string{`groups[0].members[1]: unknown user "zed"`}},
		{name: "role session duration", edit: func(m map[string]any) { at(m, "roles", 0)["max_session_duration"] = 100 }, want: []string{"roles[0].max_session_duration: 100 is outside 3600-43200 seconds"}},
		{name: "role trust policy", edit: func(m map[string]any) { at(m, "roles", 0)["trust_policy"] = "{nope" }, want: []string{"roles[0].trust_policy: MalformedPolicyDocument"}},
		{name: "role name", edit: func(m map[string]any) { at(m, "roles", 0)["name"] = "under_score" }, want: []string{"roles[0].name:"}},
		{name: "login profile of an unknown user", edit: func(m map[string]any) { m["login_profiles"] = obj(`[{"user":"ghost"}]`) }, want: []string{`login_profiles[0].user: unknown user "ghost"`}},
		{name: "two login profiles", edit: func(m map[string]any) { m["login_profiles"] = obj(`[{"user":"u1"},{"user":"u1"}]`) }, want: []string{"login_profiles[1].user:"}},
		{name: "MFA device type", edit: func(m map[string]any) { m["mfa_devices"] = obj(`[{"user":"u1","type":"SMS"}]`) }, want: []string{`mfa_devices[0].type: "SMS" is not VMFA or U2F`}},
		{name: "event time", edit: func(m map[string]any) { at(m, "events", 0)["time"] = "yesterday" }, want: []string{"events[0].time:"}},
		{name: "event time missing", edit: func(m map[string]any) { delete(at(m, "events", 0), "time") }, want: []string{"events[0].time: empty"}},
		{name: "event source IP", edit: func(m map[string]any) { at(m, "events", 0)["source_ip"] = "10.0.0" }, want: []string{`events[0].source_ip: "10.0.0" is not an IP address`}},
		{name: "event key and user", edit: func(m map[string]any) { at(m, "events", 0)["user"] = "u1" }, want: []string{"events[0]: set access_key or user, not both"}},
		{name: "event unknown key", edit: func(m map[string]any) { at(m, "events", 0)["access_key"] = "LTAI5tTEST00000000000009" }, want: []string{"events[0].access_key: unknown access key"}},
		{name: "event API version", edit: func(m map[string]any) { at(m, "events", 0)["version"] = "2099-01-01" }, want: []string{`events[0].version: unknown API version "2099-01-01"`}},
		{name: "event action", edit: func(m map[string]any) { at(m, "events", 0)["action"] = "describe instances" }, want: []string{"events[0].action:"}},
		{name: "event type", edit: func(m map[string]any) { at(m, "events", 0)["event_type"] = "Foo" }, want: []string{"events[0].event_type:"}},
		{name: "secret in a response", edit: func(m map[string]any) {
			at(m, "events", 0)["response"] = obj(`{"AccessKey":{"AccessKeyId":"x","AccessKeySecret":"y"}}`)
		}, want: []string{"events[0].response.AccessKey.AccessKeySecret: secrets, tokens and signatures are never recorded"}},
		{name: "password in params", edit: func(m map[string]any) { at(m, "events", 0)["params"] = obj(`{"Password":"hunter2"}`) }, want: []string{"events[0].params.Password:"}},
		{name: "param not a scalar", edit: func(m map[string]any) { at(m, "events", 0)["params"] = obj(`{"a":[1]}`) }, want: []string{"events[0].params.a: must be a string, number or boolean"}},
		{name: "traffic with schedule and burst", edit: func(m map[string]any) { at(m, "traffic", 0)["burst"] = obj(`{"start":"-1h"}`) }, want: []string{"traffic[0]: set schedule or burst, not both"}},
		{name: "traffic with neither", edit: func(m map[string]any) { delete(at(m, "traffic", 0), "schedule") }, want: []string{"traffic[0]: set schedule or burst"}},
		{name: "traffic key", edit: func(m map[string]any) { at(m, "traffic", 0)["access_key"] = "" }, want: []string{"traffic[0].access_key: empty"}},
		{name: "traffic source IPs", edit: func(m map[string]any) { at(m, "traffic", 0)["source_ips"] = []any{} }, want: []string{"traffic[0].source_ips: empty"}},
		{name: "traffic source IP", edit: func(m map[string]any) { at(m, "traffic", 0)["source_ips"] = []any{"127.0.0.1", "nope"} }, want: []string{"traffic[0].source_ips[1]:"}},
		{name: "traffic without calls", edit: func(m map[string]any) { at(m, "traffic", 0)["calls"] = []any{} }, want: []string{"traffic[0].calls: empty"}},
		{name: "schedule hours reversed", edit: func(m map[string]any) { at(m, "traffic", 0, "schedule")["hours"] = "19:00-09:00" }, want: []string{"traffic[0].schedule.hours:", "ends before it starts"}},
		{name: "schedule hours format", edit: func(m map[string]any) { at(m, "traffic", 0, "schedule")["hours"] = "9-17" }, want: []string{"traffic[0].schedule.hours:"}},
		{name: "schedule days", edit: func(m map[string]any) { at(m, "traffic", 0, "schedule")["days"] = []any{"Mon", "Funday"} }, want: []string{`traffic[0].schedule.days: "Funday" is not a day`}},
		{name: "schedule zone", edit: func(m map[string]any) { at(m, "traffic", 0, "schedule")["zone"] = "Nowhere/City" }, want: []string{"traffic[0].schedule.zone: unknown zone"}},
		{name: "schedule calls per day", edit: func(m map[string]any) { at(m, "traffic", 0, "schedule")["calls_per_day"] = obj(`{"min":5,"max":2}`) }, want: []string{"traffic[0].schedule.calls_per_day: need 0 <= min <= max"}},
		{name: "schedule day probability", edit: func(m map[string]any) { at(m, "traffic", 0, "schedule")["day_probability"] = 2 }, want: []string{"traffic[0].schedule.day_probability: 2 is outside 0-1"}},
		{name: "schedule all weights zero", edit: func(m map[string]any) { at(m, "traffic", 0, "calls", 0)["weight"] = 0 }, want: []string{"traffic[0].calls: every weight is 0"}},
		{name: "schedule repeat", edit: func(m map[string]any) { at(m, "traffic", 0, "calls", 0)["repeat"] = 3 }, want: []string{"traffic[0].calls[0].repeat: only bursts repeat calls"}},
		{name: "schedule unknown anchor", edit: func(m map[string]any) { at(m, "traffic", 0, "schedule")["from"] = "leak-1d" }, want: []string{`traffic[0].schedule.from: unknown anchor "leak"`}},
		{name: "burst spacing", edit: func(m map[string]any) {
			tr := at(m, "traffic", 0)
			delete(tr, "schedule")
			tr["burst"] = obj(`{"start":"-1h","spacing":"0s"}`)
		}, want: []string{"traffic[0].burst.spacing: at least 1s"}},
		{name: "burst weight", edit: func(m map[string]any) {
			tr := at(m, "traffic", 0)
			delete(tr, "schedule")
			tr["burst"] = obj(`{"start":"-1h"}`)
			at(tr, "calls", 0)["weight"] = 2
		}, want: []string{"traffic[0].calls[0].weight: only schedules weigh calls"}},
		{name: "call region and regions", edit: func(m map[string]any) {
			c := at(m, "traffic", 0, "calls", 0)
			c["region"], c["regions"] = "cn-hangzhou", []any{"cn-beijing"}
		}, want: []string{"traffic[0].calls[0]: set region or regions, not both"}},
		{name: "call region", edit: func(m map[string]any) { at(m, "traffic", 0, "calls", 0)["regions"] = []any{"Beijing"} }, want: []string{"traffic[0].calls[0].regions[0]:"}},
		{name: "anchor named now", edit: func(m map[string]any) { m["anchors"] = obj(`{"now":"-1d"}`) }, want: []string{"anchors.now:"}},
		{name: "anchor relative to an anchor", edit: func(m map[string]any) { m["anchors"] = obj(`{"a":"-1d","b":"a+1h"}`) }, want: []string{"anchors.b: an anchor is relative to now"}},
		{name: "time note", edit: func(m map[string]any) { m["time_notes"] = obj(`{"leak_time":"soon"}`) }, want: []string{"time_notes.leak_time:"}},
		{name: "time note shadows a note", edit: func(m map[string]any) {
			m["notes"], m["time_notes"] = obj(`{"t":"x"}`), obj(`{"t":"now"}`)
		}, want: []string{"time_notes.t: also set in notes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data
			if data == nil {
				data = scenarioWith(t, tc.edit)
			}
			s, err := ParseScenario(data)
			if err == nil {
				t.Fatalf("ParseScenario() = %+v, want an error", s.Name)
			}
			var se *ScenarioError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *ScenarioError: %v", err, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q reveals the key secret", err)
			}
		})
	}
}

func TestParseScenarioAccepts(t *testing.T) {
	tests := []struct {
		name string
		edit func(m map[string]any)
	}{
		{"base", nil},
		{"policy document as a string", func(m map[string]any) {
			at(m, "policies", 0)["document"] = `{"Version":"1","Statement":{"Effect":"Allow","Action":"ecs:*","Resource":"*"}}`
		}},
		{"legacy key id", func(m map[string]any) {
			at(m, "access_keys", 0)["id"] = "0wNEpMMlzy7sAbCd"
			at(m, "events", 0)["access_key"] = "0wNEpMMlzy7sAbCd"
			at(m, "traffic", 0)["access_key"] = "0wNEpMMlzy7sAbCd"
		}},
		{"long day names and null values", func(m map[string]any) {
			at(m, "traffic", 0, "schedule")["days"] = []any{"Monday", "tuesday", "weekends"}
			m["description"] = nil
		}},
		{"numbers and booleans in params", func(m map[string]any) { at(m, "events", 0)["params"] = obj(`{"Amount":20,"DryRun":false}`) }},
		{"explicit ids", func(m map[string]any) {
			at(m, "users", 0)["id"] = "2000000000000001"
			at(m, "groups", 0)["id"] = "2000000000000002"
			at(m, "roles", 0)["id"] = "3000000000000000003"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseScenario(scenarioWith(t, tc.edit))
			if err != nil {
				t.Fatalf("ParseScenario() = %v", err)
			}
			if _, _, err := s.Build(scenarioNow); err != nil {
				t.Fatalf("Build() = %v", err)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"burst runs past now", func(m map[string]any) {
			tr := at(m, "traffic", 0)
			delete(tr, "schedule")
			tr["burst"] = obj(`{"start":"-1m","spacing":"1m"}`)
			at(tr, "calls", 0)["repeat"] = 3
		}, "traffic[0].calls[0]: event at 2026-03-11T02:31:00Z is after now"},
		{"event before its key existed", func(m map[string]any) {
			at(m, "access_keys", 0)["created"] = "-12h"
			delete(m, "traffic")
		}, "events[0]: event at 2026-03-10T02:30:00Z is before access key LTAI5tTEST00000000000001 was created"},
		{"schedule before its key existed", func(m map[string]any) {
			at(m, "access_keys", 0)["created"] = "-2d"
			delete(m, "events")
		}, "traffic[0].calls[0]: event at"},
		{"key older than its owner", func(m map[string]any) {
			at(m, "users", 0)["created"] = "-10d"
			at(m, "access_keys", 0)["created"] = "-20d"
		}, `access_keys[0].created: before its owner "u0" was created`},
		{"schedule ends before it starts", func(m map[string]any) { at(m, "traffic", 0, "schedule")["to"] = "-4d" }, "traffic[0].schedule: from (2026-03-08T02:30:00Z) is not before to"},
		{"user created in the future", func(m map[string]any) { at(m, "users", 1)["created"] = "+1d" }, "users[1].created: in the future"},
		{"last login before creation", func(m map[string]any) {
			at(m, "users", 1)["created"], at(m, "users", 1)["last_login"] = "-1d", "-2d"
		}, "users[1].last_login: before the user was created"},
		{"attachment before the policy", func(m map[string]any) {
			at(m, "policies", 0)["created"] = "-5d"
			at(m, "attachments", 0)["attached"] = "-6d"
		}, "attachments[0].attached: before both the policy and the user existed"},
		{"too many events", func(m map[string]any) {
			s := at(m, "traffic", 0, "schedule")
			s["from"], s["calls_per_day"] = "-60d", obj(`{"min":5000,"max":5000}`)
		}, "traffic[0]: the scenario may generate more than 100000 events"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseScenario(scenarioWith(t, tc.edit))
			if err != nil {
				t.Fatalf("ParseScenario() = %v", err)
			}
			_, _, err = s.Build(scenarioNow)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Build() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestTimeExpressions(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := scenarioNow // 2026-03-11T02:30:00Z = 10:30 in Shanghai
	clk := &scClock{now: now, loc: shanghai, anchors: map[string]time.Time{"leak": now.Add(-49 * time.Hour)}}
	tests := []struct {
		expr string
		want string // RFC 3339 UTC, or "error"
	}{
		{"now", "2026-03-11T02:30:00Z"},
		{"-90d", "2025-12-11T02:30:00Z"},
		{"-36h", "2026-03-09T14:30:00Z"},
		{"-2d3h", "2026-03-08T23:30:00Z"},
		{"-1d2h3m4s", "2026-03-10T00:26:56Z"},
		{"+1h", "2026-03-11T03:30:00Z"},
		{"2025-01-02T03:04:05Z", "2025-01-02T03:04:05Z"},
		{"2025-01-02T11:04:05+08:00", "2025-01-02T03:04:05Z"},
		{"-2d@02:40", "2026-03-08T18:40:00Z"}, // 02:40 Shanghai on the 9th
		{"@09:00", "2026-03-11T01:00:00Z"},
		{"now@23:59:59", "2026-03-11T15:59:59Z"},
		{"leak", "2026-03-09T01:30:00Z"},
		{"leak+5m", "2026-03-09T01:35:00Z"},
		{"leak-1d", "2026-03-08T01:30:00Z"},
		{"leak+1d@03:00", "2026-03-09T19:00:00Z"},
		{"", "error"},
		{"2d", "error"},
		{"-2x", "error"},
		{"-", "error"},
		{"-d", "error"},
		{"-2d@25:00", "error"},
		{"-2d@2:40", "error"},
		{"Leak+1h", "error"},
		{"2025-13-02T03:04:05Z", "error"},
		{"-9999999d", "error"},
		{"-999999d", "error"},
		{"-10001d", "error"},
		{"-10000d", "1998-10-24T02:30:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			pt, err := scParseTime(tc.expr)
			if tc.want == "error" {
				if err == nil {
					t.Fatalf("scParseTime(%q) = %+v, want an error", tc.expr, pt)
				}
				return
			}
			if err != nil {
				t.Fatalf("scParseTime(%q) = %v", tc.expr, err)
			}
			if got := clk.resolveParsed(pt).Format(time.RFC3339); got != tc.want {
				t.Errorf("resolve(%q) = %s, want %s", tc.expr, got, tc.want)
			}
		})
	}
}

func loadTestdata(t testing.TB, name string) *Scenario {
	t.Helper()
	s, err := LoadScenario(filepath.Join("..", "..", "testdata", "scenarios", name))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func worldJSON(t testing.TB, w *World, info *ScenarioInfo) string {
	t.Helper()
	b, err := json.Marshal(struct {
		World  *World
		Events []Event
		Info   *ScenarioInfo
	}{w, w.Events, info})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuildDeterministic(t *testing.T) {
	for _, ref := range []string{"builtin:leak", "../../testdata/scenarios/small.json", "../../testdata/scenarios/idle-sweep.json"} {
		t.Run(ref, func(t *testing.T) {
			s, err := LoadScenario(ref)
			if err != nil {
				t.Fatal(err)
			}
			w1, i1, err := s.Build(scenarioNow)
			if err != nil {
				t.Fatal(err)
			}
			w2, i2, err := s.Build(scenarioNow.Add(400 * time.Millisecond)) // same second
			if err != nil {
				t.Fatal(err)
			}
			a, b := worldJSON(t, w1, i1), worldJSON(t, w2, i2)
			if a != b {
				t.Fatalf("two builds at the same instant differ:\n%s", cmp.Diff(a, b))
			}
			// And again from a fresh parse: nothing is cached in the scenario.
			s2, err := LoadScenario(ref)
			if err != nil {
				t.Fatal(err)
			}
			w3, i3, err := s2.Build(scenarioNow)
			if err != nil {
				t.Fatal(err)
			}
			if c := worldJSON(t, w3, i3); c != a {
				t.Fatalf("a fresh parse builds a different world:\n%s", cmp.Diff(a, c))
			}
			w4, _, err := s.Build(scenarioNow.Add(24 * time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if len(w1.Events) > 0 && w4.Events[len(w4.Events)-1].Time.Equal(w1.Events[len(w1.Events)-1].Time) {
				t.Errorf("a build a day later ends its history at the same instant")
			}
		})
	}
}

func TestBuildWorld(t *testing.T) {
	s := loadTestdata(t, "small.json")
	w, info, err := s.Build(scenarioNow)
	if err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	if got, want := w.Account, (Account{ID: "1234567890123456", Alias: "akresp-small"}); got != want {
		t.Errorf("account = %+v, want %+v", got, want)
	}
	app := w.Users["app"]
	if app == nil || app.CreateDate != scenarioNow.Add(-30*day) || app.Comments != "web tier" || len(app.UserID) != 16 {
		t.Errorf("user app = %+v", app)
	}
	k := w.AccessKeys["LTAI5tSMALLAPP0000000002"]
	if k == nil || k.Owner != "app" || k.Status != "Inactive" || k.CreateDate != scenarioNow.Add(-29*day) || k.Secret != "smallAppSecret0000000000000002" {
		t.Errorf("second app key = %+v", k)
	}
	pol := w.Policies["DenyDeleteInstance"]
	if pol == nil || pol.DefaultVersion != "v1" || pol.NextVersion != 2 || len(pol.Versions) != 1 || pol.Type != "Custom" {
		t.Fatalf("policy = %+v", pol)
	}
	if err := ValidatePolicyDocument(pol.Versions[0].Document, 0); err != nil {
		t.Errorf("stored document: %v", err)
	}
	wantAtt := Attachment{PolicyName: "DenyDeleteInstance", PolicyType: "Custom", PrincipalType: "Group", PrincipalName: "apps", AttachDate: scenarioNow.Add(-20 * day)}
	if !slices.Contains(w.Attachments, wantAtt) {
		t.Errorf("attachments %+v lack %+v", w.Attachments, wantAtt)
	}
	if g := w.Groups["apps"]; g == nil || !g.Members["app"].Equal(scenarioNow.Add(-30*day)) {
		t.Errorf("group apps = %+v", g)
	}
	r := w.Roles["deployer"]
	if r == nil || r.Arn != "acs:ram::1234567890123456:role/deployer" || r.MaxSessionDuration != 3600 {
		t.Fatalf("role = %+v", r)
	}
	if err := ValidatePolicyDocument(r.AssumeRolePolicyDocument, 0); err != nil {
		t.Errorf("default trust policy: %v", err)
	}
	wantCreds := map[string]Credential{
		"admin": {AccessKeyID: "LTAI5tSMALLADMIN00000001", AccessKeySecret: "smallAdminSecret00000000000001"},
		"app":   {AccessKeyID: "LTAI5tSMALLAPP0000000001", AccessKeySecret: "smallAppSecret0000000000000001"},
	}
	if diff := cmp.Diff(wantCreds, info.Credentials); diff != "" {
		t.Errorf("credentials (-want +got):\n%s", diff)
	}
	if info.Region != "cn-hangzhou" || info.AccountID != "1234567890123456" || info.Name != "small" {
		t.Errorf("info = %+v", info)
	}
	if got, want := info.Notes["deploy_time"], "2026-03-10T07:00:00Z"; got != want {
		t.Errorf("deploy_time = %s, want %s (15:00 Shanghai yesterday)", got, want)
	}
	if info.Notes["office_ip"] != "127.0.0.10" {
		t.Errorf("notes = %v", info.Notes)
	}

	// The burst: RunInstances then a denied DeleteInstance, 30 s apart.
	var burst []Event
	for _, e := range w.Events {
		if e.EventName == "RunInstances" || e.EventName == "DeleteInstance" {
			burst = append(burst, e)
		}
	}
	if len(burst) != 2 || burst[0].EventTime != "2026-03-10T07:00:00Z" || burst[1].EventTime != "2026-03-10T07:00:30Z" ||
		burst[1].ErrorCode != "NoPermission" || burst[0].RequestParameters["Amount"] != "1" {
		t.Errorf("burst events = %+v", burst)
	}
	// Explicit events carry their caller.
	first := w.Events[0]
	if first.EventName != "CreatePolicy" || first.UserIdentity.UserName != "admin" || first.UserIdentity.Type != "ram-user" ||
		first.UserIdentity.PrincipalID != w.Users["admin"].UserID || first.UserIdentity.AccessKeyID != "LTAI5tSMALLADMIN00000001" {
		t.Errorf("first event = %+v", first)
	}
}

func TestNetworkPolicies(t *testing.T) {
	s := loadTestdata(t, "idle-sweep.json")
	w, _, err := s.Build(scenarioNow)
	if err != nil {
		t.Fatal(err)
	}
	want := &AKPolicy{
		Raw:        `{"Version":1,"Status":"Inactive","Statements":[{"Type":"ClassicWhiteList","IPList":["127.0.0.0/24"]}]}`,
		Version:    1,
		Status:     "Inactive",
		Statements: []AKStatement{{Type: "ClassicWhiteList", IPList: []string{"127.0.0.0/24"}}},
	}
	if diff := cmp.Diff(want, w.AccountACL); diff != "" {
		t.Errorf("account ACL (-want +got):\n%s", diff)
	}
	leak, err := LoadScenario("builtin:leak")
	if err != nil {
		t.Fatal(err)
	}
	lw, _, err := leak.Build(scenarioNow)
	if err != nil {
		t.Fatal(err)
	}
	pol := lw.AccessKeys["LTAI5tREPORTING000000000"].Policy
	if pol == nil || pol.Status != "Active" || pol.Raw != `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["127.0.0.10/31"]}]}` {
		t.Errorf("reporting key policy = %+v", pol)
	}
}

func TestScheduleGeneration(t *testing.T) {
	data := scenarioWith(t, func(m map[string]any) {
		delete(m, "events")
		m["traffic"] = obj(`[{"access_key":"LTAI5tTEST00000000000001","source_ips":["127.0.0.10","127.0.0.11"],
		  "calls":[{"version":"2014-05-26","action":"DescribeInstances","weight":9},
		           {"version":"2015-05-01","action":"GetUser","weight":1,"params":{"UserName":"u0"}},
		           {"version":"2014-05-26","action":"DeleteInstance","weight":0},
		           {"version":"2014-05-26","action":"DescribeDisks","regions":["cn-beijing","cn-shanghai"]}],
		  "schedule":{"from":"-60d","to":"-1d","zone":"Asia/Shanghai","days":["weekdays"],"hours":"09:00-19:00",
		              "calls_per_day":{"min":10,"max":16}}}]`)
	})
	s, err := ParseScenario(data)
	if err != nil {
		t.Fatal(err)
	}
	w, _, err := s.Build(scenarioNow)
	if err != nil {
		t.Fatal(err)
	}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	from, to := scenarioNow.Add(-60*24*time.Hour), scenarioNow.Add(-24*time.Hour)
	perDay := map[string]int{}
	names := map[string]int{}
	seenID := map[string]bool{}
	for i, e := range w.Events {
		local := e.Time.In(shanghai)
		if wd := local.Weekday(); wd == time.Saturday || wd == time.Sunday {
			t.Errorf("event %s on a %s", e.EventTime, wd)
		}
		if h := local.Hour(); h < 9 || h >= 19 {
			t.Errorf("event %s at %02d:xx Shanghai", e.EventTime, h)
		}
		if e.Time.Before(from) || !e.Time.Before(to) {
			t.Errorf("event %s outside the schedule", e.EventTime)
		}
		if i > 0 && e.Time.Before(w.Events[i-1].Time) {
			t.Errorf("events not sorted at %d", i)
		}
		if e.SourceIPAddress != "127.0.0.10" && e.SourceIPAddress != "127.0.0.11" {
			t.Errorf("source IP %s", e.SourceIPAddress)
		}
		if e.UserAgent != scDefaultUserAgent {
			t.Errorf("user agent %q", e.UserAgent)
		}
		if seenID[e.EventID] || seenID[e.RequestID] {
			t.Errorf("duplicate id in %+v", e)
		}
		seenID[e.EventID], seenID[e.RequestID] = true, true
		if e.RequestParameters["RequestId"] != e.RequestID || e.ResponseElements["RequestId"] != e.RequestID {
			t.Errorf("request id not threaded through: %+v", e)
		}
		if e.EventName == "DescribeDisks" && e.AcsRegion != "cn-beijing" && e.AcsRegion != "cn-shanghai" {
			t.Errorf("DescribeDisks in %s", e.AcsRegion)
		}
		if e.EventName == "DescribeInstances" && e.AcsRegion != "cn-hangzhou" {
			t.Errorf("DescribeInstances in %s, want the scenario default", e.AcsRegion)
		}
		perDay[local.Format("2006-01-02")]++
		names[e.EventName]++
	}
	if len(perDay) < 38 || len(perDay) > 44 {
		t.Errorf("%d active days in 59 days of weekdays", len(perDay))
	}
	for d, n := range perDay {
		if n > 16 {
			t.Errorf("%s has %d calls, max 16", d, n)
		}
	}
	if names["DeleteInstance"] != 0 {
		t.Errorf("a call of weight 0 was made %d times", names["DeleteInstance"])
	}
	if names["DescribeInstances"] < 4*names["GetUser"] || names["GetUser"] == 0 {
		t.Errorf("weights not respected: %v", names)
	}
}

func TestBurstGeneration(t *testing.T) {
	data := scenarioWith(t, func(m map[string]any) {
		delete(m, "events")
		m["traffic"] = obj(`[{"access_key":"LTAI5tTEST00000000000001","source_ips":["127.0.0.66","127.0.0.67"],"user_agent":"tool/1",
		  "calls":[{"version":"2015-04-01","action":"GetCallerIdentity","user_agent":"TruffleHog"},
		           {"version":"2014-05-26","action":"DescribeInstances","params":{"RegionId":"${region}"},"regions":["cn-hangzhou","us-west-1","eu-central-1"]},
		           {"version":"2017-05-25","action":"SendSms","repeat":2,"source_ip":"127.0.0.99"},
		           {"version":"2015-05-01","action":"CreateAccessKey","params":{"UserName":"u1"},
		            "response":{"AccessKey":{"AccessKeyId":"LTAI5tNEW000000000000001","Status":"Active","CreateDate":"${time}"}}}],
		  "burst":{"start":"-1h","spacing":"15s"}}]`)
	})
	s, err := ParseScenario(data)
	if err != nil {
		t.Fatal(err)
	}
	w, _, err := s.Build(scenarioNow)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Name, Time, Region, IP, UA string }
	var got []row
	for _, e := range w.Events {
		got = append(got, row{e.EventName, e.EventTime, e.AcsRegion, e.SourceIPAddress, e.UserAgent})
	}
	want := []row{
		{"GetCallerIdentity", "2026-03-11T01:30:00Z", "cn-hangzhou", "127.0.0.66", "TruffleHog"},
		{"DescribeInstances", "2026-03-11T01:30:15Z", "cn-hangzhou", "127.0.0.67", "tool/1"},
		{"DescribeInstances", "2026-03-11T01:30:30Z", "us-west-1", "127.0.0.66", "tool/1"},
		{"DescribeInstances", "2026-03-11T01:30:45Z", "eu-central-1", "127.0.0.67", "tool/1"},
		{"SendSms", "2026-03-11T01:31:00Z", "cn-hangzhou", "127.0.0.99", "tool/1"},
		{"SendSms", "2026-03-11T01:31:15Z", "cn-hangzhou", "127.0.0.99", "tool/1"},
		{"CreateAccessKey", "2026-03-11T01:31:30Z", "cn-hangzhou", "127.0.0.66", "tool/1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("burst (-want +got):\n%s", diff)
	}
	if r := w.Events[2].RequestParameters["RegionId"]; r != "us-west-1" {
		t.Errorf("${region} expanded to %v", r)
	}
	ck := w.Events[6]
	ak, _ := ck.ResponseElements["AccessKey"].(map[string]any)
	if ak["CreateDate"] != "2026-03-11T01:31:30Z" || ak["AccessKeyId"] != "LTAI5tNEW000000000000001" {
		t.Errorf("CreateAccessKey response = %v", ck.ResponseElements)
	}
	if refs := ck.ReferencedResources["ACS::RAM::AccessKey"]; !slices.Contains(refs, "LTAI5tNEW000000000000001") {
		t.Errorf("referenced resources = %v", ck.ReferencedResources)
	}
	// Each event owns its response map.
	ak["AccessKeyId"] = "changed"
	w2, _, _ := s.Build(scenarioNow)
	if a2 := w2.Events[6].ResponseElements["AccessKey"].(map[string]any); a2["AccessKeyId"] != "LTAI5tNEW000000000000001" {
		t.Errorf("builds share response maps")
	}
}

func TestScenarioCallers(t *testing.T) {
	s := loadTestdata(t, "idle-sweep.json")
	w, _, err := s.Build(scenarioNow)
	if err != nil {
		t.Fatal(err)
	}
	var root, console *Event
	for i := range w.Events {
		e := &w.Events[i]
		switch {
		case e.UserIdentity.AccessKeyID == "LTAI5tROOTIDLESWEEP00001":
			root = e
		case e.EventType == "ConsoleSignin":
			console = e
		}
	}
	if root == nil || root.UserIdentity != (UserIdentity{Type: "root-account", PrincipalID: "1234567890123456", AccountID: "1234567890123456", AccessKeyID: "LTAI5tROOTIDLESWEEP00001", UserName: "root"}) {
		t.Errorf("root event = %+v", root)
	}
	if console == nil || console.UserIdentity.AccessKeyID != "" || console.UserIdentity.UserName != "console-nomfa" ||
		console.UserIdentity.PrincipalID != w.Users["console-nomfa"].UserID || console.UserAgent != "Mozilla/5.0" {
		t.Errorf("console event = %+v", console)
	}
}

func TestSecretsNeverSerialised(t *testing.T) {
	for _, ref := range append(BuiltinScenarios(), "../../testdata/scenarios/small.json", "../../testdata/scenarios/idle-sweep.json") {
		s, err := LoadScenario(ref)
		if err != nil {
			t.Fatal(err)
		}
		w, _, err := s.Build(scenarioNow)
		if err != nil {
			t.Fatal(err)
		}
		out, err := json.Marshal(struct {
			S *Scenario
			W *World
			E []Event
		}{s, w, w.Events})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range w.AccessKeys {
			if k.Secret == "" {
				t.Errorf("%s: key %s has no secret", ref, k.ID)
			}
			if strings.Contains(string(out), k.Secret) {
				t.Errorf("%s: the secret of %s is serialised", ref, k.ID)
			}
		}
	}
}

func TestTestdataScenariosBuild(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "scenarios", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"idle-sweep.json", "small.json"} {
		if !slices.Contains(files, filepath.Join("..", "..", "testdata", "scenarios", name)) {
			t.Errorf("testdata/scenarios/%s is missing", name)
		}
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := LoadScenario(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, now := range []time.Time{scenarioNow, time.Now()} {
				w, info, err := s.Build(now)
				if err != nil {
					t.Fatalf("Build(%s) = %v", now.Format(time.RFC3339), err)
				}
				if len(info.Credentials) == 0 {
					t.Errorf("no credentials")
				}
				assertWorldConsistent(t, w)
			}
		})
	}
}

// assertWorldConsistent checks the invariants every built world keeps.
func assertWorldConsistent(t *testing.T, w *World) {
	t.Helper()
	perOwner := map[string]int{}
	for id, k := range w.AccessKeys {
		if k.ID != id {
			t.Errorf("key %s stored under %s", k.ID, id)
		}
		perOwner[k.Owner]++
		if k.Owner != "" && w.Users[k.Owner] == nil {
			t.Errorf("key %s owned by missing user %s", id, k.Owner)
		}
	}
	for owner, n := range perOwner {
		if n > 2 {
			t.Errorf("%q owns %d keys", owner, n)
		}
	}
	for _, a := range w.Attachments {
		switch a.PolicyType {
		case "System":
			if _, ok := SystemPolicies[a.PolicyName]; !ok {
				t.Errorf("attachment of unknown system policy %s", a.PolicyName)
			}
		case "Custom":
			if w.Policies[a.PolicyName] == nil {
				t.Errorf("attachment of unknown custom policy %s", a.PolicyName)
			}
		}
	}
	for i, e := range w.Events {
		if i > 0 && e.Time.Before(w.Events[i-1].Time) {
			t.Fatalf("events not sorted at %d", i)
		}
		if e.EventTime != e.Time.Format(EventTimeLayout) || e.RecipientAccountID != w.Account.ID {
			t.Fatalf("event %d malformed: %+v", i, e)
		}
		if k, ok := w.AccessKeys[e.UserIdentity.AccessKeyID]; ok && e.Time.Before(k.CreateDate) {
			t.Errorf("event %s of %s before the key existed", e.EventTime, k.ID)
		}
	}
}

func TestScenarioErrorMessage(t *testing.T) {
	one := &ScenarioError{Problems: []string{"a: b"}}
	if one.Error() != "invalid scenario: a: b" {
		t.Errorf("one problem: %q", one.Error())
	}
	many := &ScenarioError{}
	for i := 0; i < 25; i++ {
		many.Problems = append(many.Problems, "p")
	}
	if got := many.Error(); !strings.HasPrefix(got, "invalid scenario: 25 problems: p; p") || !strings.HasSuffix(got, "and 5 more") {
		t.Errorf("many problems: %q", got)
	}
}

func FuzzParseScenario(f *testing.F) {
	for _, name := range []string{"small.json", "idle-sweep.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "scenarios", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(baseScenario))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"name":"x","account":{"id":"1234567890123456"},"anchors":{"a":"-1d@23:59"},"time_notes":{"t":"a+1h"}}`))
	f.Add([]byte(`{"name":"x","account":{"id":"1234567890123456"},"users":[{"name":"u"}],"access_keys":[{"id":"LTAI5tTEST00000000000001","secret":"testSecret00000000000000000001","owner":"u"}],"traffic":[{"access_key":"LTAI5tTEST00000000000001","source_ips":["::1"],"calls":[{"version":"2014-05-26","action":"A","regions":["cn-a"]}],"burst":{"start":"-1d","spacing":"1s"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseScenario(data)
		if err != nil {
			var se *ScenarioError
			if !errors.As(err, &se) || len(se.Problems) == 0 {
				t.Fatalf("error %v is not a *ScenarioError with problems", err)
			}
			return
		}
		w, info, err := s.Build(scenarioNow)
		if err != nil {
			return
		}
		if info == nil || w == nil {
			t.Fatal("Build returned nil without an error")
		}
		for i := 1; i < len(w.Events); i++ {
			if w.Events[i].Time.Before(w.Events[i-1].Time) {
				t.Fatal("events not sorted")
			}
		}
	})
}

func BenchmarkBuildLeak(b *testing.B) {
	s, err := LoadScenario("builtin:leak")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.Build(scenarioNow); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDocumentedExample keeps docs/scenario.md honest: its minimal scenario
// parses and builds.
func TestDocumentedExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "scenario.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## A minimal scenario")
	if !ok {
		t.Fatal("docs/scenario.md has no minimal scenario")
	}
	_, rest, _ = strings.Cut(rest, "```json\n")
	example, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("docs/scenario.md: unterminated example")
	}
	s, err := ParseScenario([]byte(example))
	if err != nil {
		t.Fatalf("documented example: %v", err)
	}
	w, info, err := s.Build(scenarioNow)
	if err != nil {
		t.Fatalf("documented example: %v", err)
	}
	if len(w.Events) == 0 || info.Credentials["app"].AccessKeyID != "LTAI5tEXAMPLE00000000001" {
		t.Errorf("documented example built %d events, credentials %v", len(w.Events), info.Credentials)
	}
}

func TestScheduleAcrossDaylightSaving(t *testing.T) {
	// Europe/Berlin springs forward on 2026-03-29 (02:00 -> 03:00) and falls
	// back on 2026-10-25: active hours stay wall-clock hours, and hours that
	// do not exist that day produce nothing.
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	data := scenarioWith(t, func(m map[string]any) {
		delete(m, "events")
		at(m, "users", 0)["created"] = "-400d"
		m["traffic"] = obj(`[
		 {"access_key":"LTAI5tTEST00000000000001","source_ips":["127.0.0.1"],
		  "calls":[{"version":"2014-05-26","action":"DescribeInstances"}],
		  "schedule":{"from":"-230d","zone":"Europe/Berlin","hours":"09:00-10:00","calls_per_day":{"min":3,"max":3}}},
		 {"access_key":"LTAI5tTEST00000000000001","source_ips":["127.0.0.2"],
		  "calls":[{"version":"2014-05-26","action":"DescribeDisks"}],
		  "schedule":{"from":"-230d","zone":"Europe/Berlin","hours":"02:00-02:59","calls_per_day":{"min":1,"max":1}}}]`)
	})
	s, err := ParseScenario(data)
	if err != nil {
		t.Fatal(err)
	}
	w, _, err := s.Build(now)
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	days := map[string]bool{}
	for _, e := range w.Events {
		l := e.Time.In(berlin)
		switch e.EventName {
		case "DescribeInstances":
			if l.Hour() != 9 {
				t.Errorf("event at %s Berlin, want 09:xx", l)
			}
		case "DescribeDisks":
			if l.Hour() != 2 {
				t.Errorf("event at %s Berlin, want 02:xx", l)
			}
			days[l.Format("2006-01-02")] = true
		}
	}
	if days["2026-03-29"] {
		t.Errorf("an event inside the daylight-saving gap")
	}
	if !days["2026-03-28"] || !days["2026-03-30"] || !days["2026-10-25"] {
		t.Errorf("days around the changes are missing: %v", len(days))
	}
}

func TestBuildRevalidates(t *testing.T) {
	s, err := ParseScenario([]byte(baseScenario))
	if err != nil {
		t.Fatal(err)
	}
	s.Traffic[0].Schedule = nil
	s.Traffic[0].SourceIPs = nil
	if _, _, err := s.Build(scenarioNow); err == nil || !strings.Contains(err.Error(), "traffic[0]") {
		t.Fatalf("Build() of a changed scenario = %v, want a validation error", err)
	}
	var zero *Scenario
	if _, _, err := zero.Build(scenarioNow); err == nil {
		t.Fatal("Build() of a nil scenario succeeded")
	}
	lit := &Scenario{Name: "lit", Account: ScenarioAccount{ID: "1234567890123456"}, Users: []ScenarioUser{{Name: "u"}}}
	if w, _, err := lit.Build(scenarioNow); err != nil || w.Users["u"] == nil {
		t.Fatalf("Build() of a literal = %v", err)
	}
}

func TestBuildConcurrently(t *testing.T) {
	s := loadTestdata(t, "small.json")
	want := make(chan string, 4)
	for i := 0; i < cap(want); i++ {
		go func() {
			w, info, err := s.Build(scenarioNow)
			if err != nil {
				want <- err.Error()
				return
			}
			b, err := json.Marshal(struct {
				W *World
				E []Event
				I *ScenarioInfo
			}{w, w.Events, info})
			if err != nil {
				want <- err.Error()
				return
			}
			want <- string(b)
		}()
	}
	first := <-want
	for i := 1; i < cap(want); i++ {
		if got := <-want; got != first {
			t.Fatalf("concurrent builds differ")
		}
	}
}
