package audit

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/lab"
)

func TestCanonicalService(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ecs", "Ecs"},
		{"ECS", "Ecs"},
		{"ecs", "Ecs"},
		{"ram", "Ram"},
		{"ActionTrail", "Actiontrail"},
		{"actiontrail", "Actiontrail"},
		{"log", "Sls"},
		{"Log", "Sls"},
		{"SLS", "Sls"},
		{"dysmsapi", "Dysms"},
		{"Dysmsapi", "Dysms"},
		{"DYSMS", "Dysms"},
		{" oss ", "Oss"},
		{"", ""},
		{"ResourceManager", "Resourcemanager"},
	}
	for _, tt := range tests {
		if got := CanonicalService(tt.in); got != tt.want {
			t.Errorf("CanonicalService(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDeriveRW(t *testing.T) {
	tests := []struct{ name, want string }{
		{"GetUser", "Read"},
		{"ListAccessKeys", "Read"},
		{"DescribeInstances", "Read"},
		{"QueryAccountBalance", "Read"},
		{"LookupEvents", "Read"},
		{"CheckUserExists", "Read"},
		{"HeadObject", "Read"},
		{"PullLogs", "Read"},
		{"CreateAccessKey", "Write"},
		{"DeleteTrail", "Write"},
		{"Getaway", "Write"}, // "Get" must start a word
		{"Listen", "Write"},
		{"Get", "Write"},
		{"", "Write"},
	}
	for _, tt := range tests {
		if got := DeriveRW(tt.name); got != tt.want {
			t.Errorf("DeriveRW(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestParseEventLabShape feeds ParseEvent the exact JSON the lab emits for
// LookupEvents (lab.Event.MarshalRaw).
func TestParseEventLabShape(t *testing.T) {
	w := lab.NewWorld(lab.Account{ID: "1968132000123456", Alias: "example"})
	at := time.Date(2026, 3, 1, 9, 15, 2, 0, time.UTC)
	tests := []struct {
		name string
		spec lab.EventSpec
		want func(ev lab.Event) Event
	}{
		{
			name: "CreateAccessKey keeps the response",
			spec: lab.EventSpec{
				Time: at, Version: "2015-05-01", Action: "CreateAccessKey", SourceIP: "127.0.0.66", UserAgent: "AlibabaCloud (linux; amd64) Go/1.26",
				Caller:   lab.Caller{Type: "ram-user", PrincipalID: "2768141870000001", UserName: "ci-deploy", AccessKeyID: "LTAI5tSampLeakedKey00001"},
				Params:   map[string]string{"UserName": "backup-admin"},
				Response: map[string]any{"AccessKey": map[string]any{"AccessKeyId": "LTAI5tSampBackdoorKey003", "Status": "Active"}},
			},
			want: func(ev lab.Event) Event {
				return Event{
					ID: ev.EventID, RequestID: ev.RequestID, Time: at, Name: "CreateAccessKey", Service: "Ram", Type: "ApiCall", RW: "Write",
					Region: "cn-hangzhou", SourceIP: "127.0.0.66", UserAgent: "AlibabaCloud (linux; amd64) Go/1.26",
					AccessKeyID: "LTAI5tSampLeakedKey00001", UserType: "ram-user", UserName: "ci-deploy", PrincipalID: "2768141870000001", AccountID: "1968132000123456",
					Params:   map[string]string{"UserName": "backup-admin", "AcsHost": "ram.aliyuncs.com", "AcsProduct": "Ram", "RequestId": ev.RequestID, "RegionId": "cn-hangzhou"},
					Response: map[string]any{"AccessKey": map[string]any{"AccessKeyId": "LTAI5tSampBackdoorKey003", "Status": "Active"}},
					Resources: []Resource{
						{"ACS::RAM::AccessKey", "LTAI5tSampBackdoorKey003"},
						{"ACS::RAM::User", "backup-admin"},
					},
					Source: Origin{Kind: OriginLookup, Pos: 3},
				}
			},
		},
		{
			name: "a failed read has no response",
			spec: lab.EventSpec{
				Time: at, Version: "2014-05-26", Action: "DescribeInstances", Region: "cn-shanghai", SourceIP: "127.0.0.10",
				Caller:    lab.Caller{Type: "root-account", PrincipalID: "1968132000123456", UserName: "root", AccessKeyID: "LTAI5tSampRootKey000009"},
				Params:    map[string]string{"InstanceId.1": "i-bp1a", "InstanceId.2": "i-bp1b"},
				ErrorCode: "Forbidden.RAM", ErrorMessage: "not authorized",
			},
			want: func(ev lab.Event) Event {
				return Event{
					ID: ev.EventID, RequestID: ev.RequestID, Time: at, Name: "DescribeInstances", Service: "Ecs", Type: "ApiCall", RW: "Read",
					Region: "cn-shanghai", SourceIP: "127.0.0.10", AccessKeyID: "LTAI5tSampRootKey000009", UserType: "root-account", UserName: "root",
					PrincipalID: "1968132000123456", AccountID: "1968132000123456", ErrorCode: "Forbidden.RAM", ErrorMessage: "not authorized",
					Params:    map[string]string{"InstanceId.1": "i-bp1a", "InstanceId.2": "i-bp1b", "AcsHost": "ecs.cn-shanghai.aliyuncs.com", "AcsProduct": "Ecs", "RequestId": ev.RequestID, "RegionId": "cn-shanghai"},
					Resources: []Resource{{"ACS::ECS::Instance", "i-bp1a"}, {"ACS::ECS::Instance", "i-bp1b"}},
					Source:    Origin{Kind: OriginLookup, Pos: 3},
				}
			},
		},
		{
			name: "SMS goes to Dysms",
			spec: lab.EventSpec{
				Time: at, Version: "2017-05-25", Action: "SendSms", SourceIP: "127.0.0.66",
				Caller: lab.Caller{Type: "ram-user", PrincipalID: "1", UserName: "u", AccessKeyID: "LTAI5tSampLeakedKey00001"},
				Params: map[string]string{"PhoneNumbers": "13800000000"},
			},
			want: func(ev lab.Event) Event {
				return Event{
					ID: ev.EventID, RequestID: ev.RequestID, Time: at, Name: "SendSms", Service: "Dysms", Type: "ApiCall", RW: "Write",
					Region: "cn-hangzhou", SourceIP: "127.0.0.66", AccessKeyID: "LTAI5tSampLeakedKey00001", UserType: "ram-user", UserName: "u",
					PrincipalID: "1", AccountID: "1968132000123456",
					Params:   map[string]string{"PhoneNumbers": "13800000000", "AcsHost": "dysmsapi.aliyuncs.com", "AcsProduct": "Dysms", "RequestId": ev.RequestID, "RegionId": "cn-hangzhou"},
					Response: map[string]any{"RequestId": ev.RequestID},
					Source:   Origin{Kind: OriginLookup, Pos: 3},
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lev := w.NewEvent(tt.spec)
			got, err := ParseEvent(lev.MarshalRaw(), Origin{Kind: OriginLookup, Pos: 3})
			if err != nil {
				t.Fatalf("ParseEvent: %v", err)
			}
			if diff := cmp.Diff(tt.want(lev), got); diff != "" {
				t.Errorf("ParseEvent mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// realEvent is an event in the shape of Alibaba's documented samples
// (alibaba-cloud-api.md section 14), with the fields ParseEvent ignores.
const realEvent = `{
  "eventId": "A2F5F1E6-6C2B-4E2D-9F0B-2D3A4B5C6D7E",
  "eventVersion": 1,
  "eventName": "AssumeRole",
  "eventType": "ApiCall",
  "eventCategory": "Management",
  "eventRW": "Write",
  "eventSource": "sts.aliyuncs.com",
  "eventTime": "2026-02-11T03:04:05Z",
  "serviceName": "Sts",
  "acsRegion": "cn-hangzhou",
  "requestId": "2D5C6F3A-1111-2222-3333-444455556666",
  "sourceIpAddress": "2001:db8::7",
  "userAgent": "Aliyun-CLI/3.0.204",
  "isGlobal": true,
  "eventAttributes": {"SensitiveAction": "true"},
  "additionalEventData": {"isMFAChecked": "false"},
  "requestParameters": {
    "RoleArn": "acs:ram::1968132000123456:role/ops",
    "RoleSessionName": "s1",
    "DurationSeconds": 3600,
    "Policy": {"Version": "1", "Statement": [ {"Effect": "Allow", "Action": "*", "Resource": "*"} ]},
    "Tags": ["a", "b"],
    "Unused": null,
    "Flag": true,
    "Note": "caf\u00e9 \"quoted\" \ud83d\ude00"
  },
  "responseElements": {"credentials": {"accessKeyId": "STS.NUx1", "expiration": "2026-02-11T04:04:05Z"}, "assumedRoleUser": {"arn": "acs:ram::1968132000123456:role/ops/s1"}},
  "referencedResources": {"ACS::RAM::Role": ["acs:ram::1968132000123456:role/ops"]},
  "resourceType": "ACS::RAM::Role",
  "resourceName": "acs:ram::1968132000123456:role/ops",
  "vpcId": "vpc-bp1example",
  "userIdentity": {
    "type": "assumed-role",
    "principalId": "3001234567890123:s0",
    "accountId": "1968132000123456",
    "accessKeyId": "STS.NUparent",
    "userName": "ops:s0",
    "sessionContext": {"attributes": {"mfaAuthenticated": "false", "creationDate": "2026-02-11T02:00:00Z"}}
  }
}`

func TestParseEventDocumentedShape(t *testing.T) {
	got, err := ParseEvent([]byte(realEvent), Origin{Kind: OriginTrail, File: "x.json", Pos: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := Event{
		ID: "A2F5F1E6-6C2B-4E2D-9F0B-2D3A4B5C6D7E", RequestID: "2D5C6F3A-1111-2222-3333-444455556666",
		Time: time.Date(2026, 2, 11, 3, 4, 5, 0, time.UTC), Name: "AssumeRole", Service: "Sts", Type: "ApiCall", RW: "Write",
		Region: "cn-hangzhou", SourceIP: "2001:db8::7", UserAgent: "Aliyun-CLI/3.0.204", AccessKeyID: "STS.NUparent",
		UserType: "assumed-role", UserName: "ops:s0", PrincipalID: "3001234567890123:s0", AccountID: "1968132000123456", VpcID: "vpc-bp1example",
		Params: map[string]string{
			"RoleArn": "acs:ram::1968132000123456:role/ops", "RoleSessionName": "s1", "DurationSeconds": "3600",
			"Policy": `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
			"Tags":   `["a","b"]`, "Flag": "true", "Note": "café \"quoted\" 😀",
		},
		Response: map[string]any{
			"credentials":     map[string]any{"accessKeyId": "STS.NUx1", "expiration": "2026-02-11T04:04:05Z"},
			"assumedRoleUser": map[string]any{"arn": "acs:ram::1968132000123456:role/ops/s1"},
		},
		Resources: []Resource{{"ACS::RAM::Role", "acs:ram::1968132000123456:role/ops"}},
		Source:    Origin{Kind: OriginTrail, File: "x.json", Pos: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

// TestParseEventLayouts checks that the SLS layouts decode to the same
// Event as the plain one.
func TestParseEventLayouts(t *testing.T) {
	plain := `{"eventId":"e1","eventName":"CreateUser","serviceName":"ram","eventTime":"2026-01-02T03:04:05Z","eventRW":"Write",` +
		`"acsRegion":"cn-hangzhou","sourceIpAddress":"198.51.100.7","requestId":"R1",` +
		`"userIdentity":{"type":"ram-user","accessKeyId":"LTAI5tSampLeakedKey00001","userName":"ci"},` +
		`"requestParameters":{"UserName":"bob","Comments":"x"},"responseElements":{"User":{"UserName":"bob"}},` +
		`"referencedResources":{"ACS::RAM::User":["bob"]}}`
	want, err := ParseEvent([]byte(plain), Origin{})
	if err != nil {
		t.Fatal(err)
	}
	quoted, _ := json.Marshal(plain)
	tests := map[string]string{
		"event as JSON text": `{"__time__":"1767323045","__topic__":"actiontrail_audit_event","event":` + string(quoted) + `}`,
		"event as object":    `{"__topic__":"actiontrail_audit_event","event":` + plain + `}`,
		"dotted keys": `{"__time__":"1767323045","event.eventId":"e1","event.eventName":"CreateUser","event.serviceName":"RAM",` +
			`"event.eventTime":"2026-01-02T03:04:05Z","event.eventRW":"Write","event.acsRegion":"cn-hangzhou",` +
			`"event.sourceIpAddress":"198.51.100.7","event.requestId":"R1","event.userIdentity.type":"ram-user",` +
			`"event.userIdentity.accessKeyId":"LTAI5tSampLeakedKey00001","event.userIdentity.userName":"ci",` +
			`"event.requestParameterJson":"{\"UserName\":\"bob\",\"Comments\":\"x\"}",` +
			`"event.responseElements":"{\"User\":{\"UserName\":\"bob\"}}",` +
			`"event.referencedResources":"{\"ACS::RAM::User\":[\"bob\"]}"}`,
		"undotted flat keys": `{"eventId":"e1","eventName":"CreateUser","serviceName":"Ram","eventTime":"2026-01-02T03:04:05Z",` +
			`"eventRW":"Write","acsRegion":"cn-hangzhou","sourceIpAddress":"198.51.100.7","requestId":"R1",` +
			`"userIdentity.type":"ram-user","userIdentity.accessKeyId":"LTAI5tSampLeakedKey00001","userIdentity.userName":"ci",` +
			`"requestParameters.UserName":"bob","requestParameters.Comments":"x","responseElements.User.UserName":"bob",` +
			`"resourceType":"ACS::RAM::User","resourceName":"bob"}`,
		"time from __time__ only": strings.Replace(`{"__time__":1767323045,"event":`+string(quoted)+`}`, `\"eventTime\":\"2026-01-02T03:04:05Z\",`, "", 1),
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseEvent([]byte(raw), Origin{})
			if err != nil {
				t.Fatalf("ParseEvent: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mismatch (-plain +layout):\n%s", diff)
			}
		})
	}
}

func TestParseEventFields(t *testing.T) {
	base := func(extra string) string {
		return `{"eventName":"DescribeRegions","eventTime":"2026-01-02T03:04:05Z"` + extra + `}`
	}
	tests := []struct {
		name  string
		raw   string
		check func(t *testing.T, ev Event)
	}{
		{"RW derived when absent", base(``), func(t *testing.T, ev Event) {
			if ev.RW != "Read" {
				t.Errorf("RW = %q, want Read", ev.RW)
			}
		}},
		{"RW normalised", base(`,"eventRW":"write"`), func(t *testing.T, ev Event) {
			if ev.RW != "Write" {
				t.Errorf("RW = %q, want Write", ev.RW)
			}
		}},
		{"read drops response", base(`,"responseElements":{"a":1}`), func(t *testing.T, ev Event) {
			if ev.Response != nil {
				t.Errorf("Response = %v, want nil for a read", ev.Response)
			}
		}},
		{"service from eventSource", base(`,"eventSource":"ecs.cn-hangzhou.aliyuncs.com"`), func(t *testing.T, ev Event) {
			if ev.Service != "Ecs" {
				t.Errorf("Service = %q, want Ecs", ev.Service)
			}
		}},
		{"service log is Sls", base(`,"serviceName":"log"`), func(t *testing.T, ev Event) {
			if ev.Service != "Sls" {
				t.Errorf("Service = %q, want Sls", ev.Service)
			}
		}},
		{"fractional RFC 3339 time with zone", `{"eventName":"X","eventTime":"2026-01-02T11:04:05.250+08:00"}`, func(t *testing.T, ev Event) {
			if want := time.Date(2026, 1, 2, 3, 4, 5, 250e6, time.UTC); !ev.Time.Equal(want) || ev.Time.Location() != time.UTC {
				t.Errorf("Time = %v, want %v in UTC", ev.Time, want)
			}
		}},
		{"epoch millis", `{"eventName":"X","eventTime":1767323045123}`, func(t *testing.T, ev Event) {
			if want := time.UnixMilli(1767323045123).UTC(); !ev.Time.Equal(want) {
				t.Errorf("Time = %v, want %v", ev.Time, want)
			}
		}},
		{"empty params are nil", base(`,"requestParameters":{}`), func(t *testing.T, ev Event) {
			if ev.Params != nil {
				t.Errorf("Params = %v, want nil", ev.Params)
			}
		}},
		{"invalid UTF-8 replaced", base(`,"userAgent":"a` + "\xff" + `b"`), func(t *testing.T, ev Event) {
			if ev.UserAgent != "a\uFFFDb" {
				t.Errorf("UserAgent = %q", ev.UserAgent)
			}
		}},
		{"lone surrogate replaced", base(`,"errorMessage":"x\ud800y"`), func(t *testing.T, ev Event) {
			if ev.ErrorMessage != "x\uFFFDy" {
				t.Errorf("ErrorMessage = %q", ev.ErrorMessage)
			}
		}},
		{"resourceName list", base(`,"resourceType":"ACS::ECS::Instance","resourceName":"i-1;i-2"`), func(t *testing.T, ev Event) {
			want := []Resource{{"ACS::ECS::Instance", "i-1"}, {"ACS::ECS::Instance", "i-2"}}
			if diff := cmp.Diff(want, ev.Resources); diff != "" {
				t.Errorf("Resources (-want +got):\n%s", diff)
			}
		}},
		{"duplicate resources dropped", base(`,"referencedResources":{"T":["a","a"]},"resourceType":"T","resourceName":"a"`), func(t *testing.T, ev Event) {
			if len(ev.Resources) != 1 {
				t.Errorf("Resources = %v, want one", ev.Resources)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := ParseEvent([]byte(tt.raw), Origin{})
			if err != nil {
				t.Fatalf("ParseEvent: %v", err)
			}
			tt.check(t, ev)
		})
	}
}

func TestParseEventErrors(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 200) + "1" + strings.Repeat("}", 200)
	tests := []struct{ name, raw, want string }{
		{"empty", ``, "empty record"},
		{"array", `[1]`, "record is a JSON array"},
		{"truncated", `{"eventName":"X","eventTime":"2026-01-02T03:04:05Z"`, "unexpected end of input"},
		{"no name", `{"eventTime":"2026-01-02T03:04:05Z"}`, "no eventName"},
		{"no time", `{"eventName":"X"}`, "event X has no eventTime"},
		{"bad time", `{"eventName":"X","eventTime":"yesterday"}`, `eventTime: unrecognised time "yesterday"`},
		{"name is object", `{"eventName":{},"eventTime":"2026-01-02T03:04:05Z"}`, "eventName: got a JSON object, want a string"},
		{"params not object", `{"eventName":"X","eventTime":"2026-01-02T03:04:05Z","requestParameters":[1]}`, "requestParameters: got a JSON array, want an object"},
		{"params text not JSON", `{"eventName":"X","eventTime":"2026-01-02T03:04:05Z","requestParameterJson":"x=1"}`, "requestParameterJson: string does not hold a JSON object"},
		{"trailing garbage", `{"eventName":"X","eventTime":"2026-01-02T03:04:05Z"} x`, "want end of record"},
		{"trailing comma", `{"eventName":"X",}`, "trailing comma"},
		{"bad escape", `{"eventName":"\q"}`, `invalid escape 'q'`},
		{"control char", "{\"eventName\":\"a\nb\"}", "control character"},
		{"leading zero", `{"eventName":"X","n":01}`, "want ',' or '}'"},
		{"bad literal", `{"eventName":"X","n":nul}`, "invalid literal, want null"},
		{"deep nesting", `{"eventName":"X","eventTime":"2026-01-02T03:04:05Z","requestParameters":` + deep + `}`, "nesting deeper than 128"},
		{"event text nested too often", `{"event":"{\"event\":\"{\\\"event\\\":\\\"{}\\\"}\"}"}`, "nested in strings more than twice"},
		{"bad response text on write", `{"eventName":"CreateX","eventTime":"2026-01-02T03:04:05Z","responseElements":"{oops"}`, "responseElements: invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEvent([]byte(tt.raw), Origin{})
			if err == nil {
				t.Fatalf("ParseEvent(%q) succeeded, want error containing %q", tt.raw, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestParseEventMatchesEncodingJSON cross-checks the hand-written parser
// against encoding/json on the sample trail events.
func TestParseEventMatchesEncodingJSON(t *testing.T) {
	var docs []json.RawMessage
	for _, raw := range strings.Split(strings.TrimSpace(sampleJSONL(t)), "\n") {
		docs = append(docs, json.RawMessage(raw))
	}
	docs = append(docs, json.RawMessage(realEvent))
	for i, raw := range docs {
		ev, err := ParseEvent(raw, Origin{})
		if err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		var m struct {
			EventName, EventTime, RequestID string
			RequestParameters               map[string]any
			ResponseElements                map[string]any
			UserIdentity                    struct{ AccessKeyID string }
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if ev.Name != m.EventName || ev.Time.Format(time.RFC3339) != m.EventTime || ev.RequestID != m.RequestID || ev.AccessKeyID != m.UserIdentity.AccessKeyID {
			t.Errorf("doc %d: scalar fields differ: %+v", i, ev)
		}
		if len(ev.Params) != countNonNull(m.RequestParameters) {
			t.Errorf("doc %d: %d params, encoding/json sees %d", i, len(ev.Params), countNonNull(m.RequestParameters))
		}
		if ev.RW == "Write" && !cmp.Equal(ev.Response, m.ResponseElements) {
			t.Errorf("doc %d: response differs: %s", i, cmp.Diff(m.ResponseElements, ev.Response))
		}
	}
}

func countNonNull(m map[string]any) int {
	n := 0
	for _, v := range m {
		if v != nil {
			n++
		}
	}
	return n
}
