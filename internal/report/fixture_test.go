package report

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/journal"
)

const (
	fxKey      = "LTAI5tFIXTURELEAKED0001"
	fxAttacker = "203.0.113.66"
	fxOffice   = "198.51.100.10"
	fxNewIP    = "192.0.2.7"
)

var (
	fxLeak = time.Date(2026, 3, 10, 2, 40, 0, 0, time.UTC)
	fxNow  = time.Date(2026, 3, 12, 9, 0, 0, 0, time.UTC)
)

func fxEvent(id string, t time.Time, svc, name, ip, errCode string, params map[string]string) RawEvent {
	ev := audit.Event{ID: id, RequestID: "REQ-" + id, Time: t, Name: name, Service: svc, Type: "ApiCall", RW: audit.DeriveRW(name),
		Region: "cn-hangzhou", SourceIP: ip, UserAgent: "AlibabaCloud (linux; amd64) Go/1.22", AccessKeyID: fxKey, UserType: "ram-user",
		UserName: "app-prod", AccountID: "1234567890123456", ErrorCode: errCode, Params: params,
		Source: audit.Origin{Kind: audit.OriginLookup}}
	if name == "RunInstances" {
		ev.Region = "us-west-1"
	}
	raw, _ := json.Marshal(map[string]any{"eventId": id, "eventTime": t.Format(time.RFC3339), "eventName": name, "serviceName": svc,
		"sourceIpAddress": ip, "requestParameters": params, "userIdentity": map[string]any{"accessKeyId": fxKey, "type": "ram-user", "userName": "app-prod"}})
	return RawEvent{Event: ev, Raw: raw}
}

// fxEvents is a month of office use plus the attack.
func fxEvents() []RawEvent {
	var evs []RawEvent
	for d := range 20 {
		t := fxLeak.Add(-time.Duration(20-d) * 24 * time.Hour).Add(3 * time.Hour)
		evs = append(evs, fxEvent(fmt.Sprintf("ofc-%02d", d), t, "Ecs", "DescribeInstances", fxOffice, "", nil))
	}
	evs = append(evs,
		fxEvent("atk-01", fxLeak.Add(30*time.Minute), "Sts", "GetCallerIdentity", fxAttacker, "", nil),
		fxEvent("atk-02", fxLeak.Add(35*time.Minute), "Ram", "ListUsers", fxAttacker, "", nil),
		fxEvent("atk-03", fxLeak.Add(40*time.Minute), "Ram", "CreateUser", fxAttacker, "", map[string]string{"UserName": "svc-backup"}),
		fxEvent("atk-04", fxLeak.Add(41*time.Minute), "Ram", "CreateAccessKey", fxAttacker, "", map[string]string{"UserName": "svc-backup"}),
		fxEvent("atk-05", fxLeak.Add(45*time.Minute), "Ecs", "RunInstances", fxAttacker, "", map[string]string{"Amount": "20"}),
		fxEvent("atk-06", fxLeak.Add(50*time.Minute), "Actiontrail", "StopLogging", fxAttacker, "NoPermission", map[string]string{"Name": "default"}),
		fxEvent("new-01", fxLeak.Add(26*time.Hour), "Ecs", "DescribeInstances", fxNewIP, "", nil),
	)
	return evs
}

func ref(e RawEvent, detail string) audit.EvidenceRef {
	ev := e.Event
	return audit.EvidenceRef{EventID: ev.ID, RequestID: ev.RequestID, Time: ev.Time, Name: ev.Name, Service: ev.Service,
		SourceIP: ev.SourceIP, ErrorCode: ev.ErrorCode, Detail: detail, Origin: ev.Source}
}

func fxAudit(evs []RawEvent) *audit.Result {
	byID := map[string]RawEvent{}
	for _, e := range evs {
		byID[e.Event.ID] = e
	}
	return &audit.Result{
		SchemaVersion: audit.SchemaVersion,
		Key: audit.KeyFacts{AccessKeyID: fxKey, Owner: "app-prod", OwnerType: "ram-user", AccountID: "1234567890123456", Status: "Active",
			Created: fxLeak.Add(-400 * 24 * time.Hour), AgeDays: 400},
		Window: audit.Window{Since: fxNow.Add(-30 * 24 * time.Hour), Until: fxNow, Sources: []string{"lookup"}, Events: len(evs),
			LeakTime: fxLeak, BaselineEnd: fxLeak, BaselineBasis: "leak_time"},
		Sources: []audit.IPSummary{
			{IP: fxOffice, FirstSeen: evs[0].Event.Time, LastSeen: evs[19].Event.Time, Count: 20, Services: []string{"Ecs"}},
			{IP: fxAttacker, FirstSeen: fxLeak.Add(30 * time.Minute), LastSeen: fxLeak.Add(50 * time.Minute), Count: 6, Errors: 1, New: true,
				Flagged: true, Attacker: true, Reasons: []string{"new", "untrusted"}, Services: []string{"Actiontrail", "Ecs", "Ram", "Sts"}},
			{IP: fxNewIP, FirstSeen: fxLeak.Add(26 * time.Hour), LastSeen: fxLeak.Add(26 * time.Hour), Count: 1, New: true, Services: []string{"Ecs"}},
		},
		Services: []audit.ServiceSummary{
			{Service: "Ecs", Count: 22, Writes: 1, FirstSeen: evs[0].Event.Time, LastSeen: fxLeak.Add(26 * time.Hour),
				Actions: []audit.ActionCount{{Name: "DescribeInstances", Count: 21}, {Name: "RunInstances", Count: 1}}},
			{Service: "Ram", Count: 3, Writes: 2, FirstSeen: fxLeak.Add(35 * time.Minute), LastSeen: fxLeak.Add(41 * time.Minute),
				Actions: []audit.ActionCount{{Name: "CreateAccessKey", Count: 1}, {Name: "CreateUser", Count: 1}, {Name: "ListUsers", Count: 1}}},
		},
		Findings: []audit.Finding{
			{ID: "PERS-01", Severity: audit.Critical, Title: "RAM user created: svc-backup", Why: "A leaked key creating users is persistence.",
				Count: 1, First: fxLeak.Add(40 * time.Minute), Last: fxLeak.Add(40 * time.Minute), IPs: []string{fxAttacker},
				Evidence: []audit.EvidenceRef{ref(byID["atk-03"], "UserName=svc-backup")}},
			{ID: "CTX-03", Severity: audit.High, Title: "Unexpected source IP: " + fxAttacker, Why: "Never seen before the leak.",
				Count: 6, First: fxLeak.Add(30 * time.Minute), Last: fxLeak.Add(50 * time.Minute), IPs: []string{fxAttacker},
				Evidence: []audit.EvidenceRef{ref(byID["atk-01"], ""), ref(byID["atk-06"], "Name=default")}},
			{ID: "COST-01", Severity: audit.Critical, Title: "Compute created", Why: "Cost abuse.",
				Count: 1, First: fxLeak.Add(45 * time.Minute), Last: fxLeak.Add(45 * time.Minute), IPs: []string{fxAttacker},
				Evidence: []audit.EvidenceRef{ref(byID["atk-05"], "Amount=20")}},
		},
		Verdict: audit.Verdict{Status: audit.StatusSuspectedLeak, Severity: audit.Critical, Summary: "Suspected leak: 3 findings from " + fxAttacker + ".",
			Reasons: []string{"PERS-01 critical: RAM user created: svc-backup (from " + fxAttacker + ")"}},
		Caveats: []string{"ActionTrail LookupEvents keeps 90 days of management events."},
		Created: []audit.CreatedIdentity{
			{Kind: audit.KindUser, Name: "svc-backup", Action: "CreateUser", Event: ref(byID["atk-03"], "UserName=svc-backup"), Attacker: true},
			{Kind: audit.KindAccessKey, Name: "LTAI5tSVCBACKUP00000001", User: "svc-backup", Action: "CreateAccessKey", Event: ref(byID["atk-04"], "UserName=svc-backup"), Attacker: true},
		},
	}
}

func rec(t time.Time, kind, cmd, run, action, target, result string) journal.Record {
	return journal.Record{Time: t, Kind: kind, Command: cmd, RunID: run, KeyID: fxKey, ActionID: action + ":" + target, Action: action,
		Target: target, Result: result, RequestID: "RID-" + action, Operator: "acs:ram::1234567890123456:user/admin",
		File: "/state/" + fxKey + "/" + run + ".jsonl"}
}

func note(t time.Time, cmd, run, action, after, msg string) journal.Record {
	return journal.Record{Time: t, Kind: journal.KindNote, Command: cmd, RunID: run, KeyID: fxKey, Action: action, After: json.RawMessage(after), Message: msg}
}

// fxContainJournal is one contain run that verified.
func fxContainJournal(at time.Time) []journal.Record {
	run := at.Format("20060102T150405.000000000Z") + "-contain"
	return []journal.Record{
		note(at, "contain", run, "plan", `{}`, "contain plan with 3 change(s)"),
		rec(at.Add(1*time.Second), journal.KindIntent, "contain", run, "set-network-acl", fxKey, ""),
		rec(at.Add(2*time.Second), journal.KindOutcome, "contain", run, "set-network-acl", fxKey, journal.ResultOK),
		rec(at.Add(3*time.Second), journal.KindIntent, "contain", run, "attach-deny-policy", "app-prod", ""),
		rec(at.Add(4*time.Second), journal.KindOutcome, "contain", run, "attach-deny-policy", "app-prod", journal.ResultOK),
		note(at.Add(5*time.Second), "contain", run, "verify", `{"state":"contained"}`, "verified: every action holds"),
	}
}

func boolp(b bool) *bool { return &b }

// fxACL is the key's network ACL in the fixture.
const fxACL = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["198.51.100.10/32"]}]}`

func fxLive() *Live {
	return &Live{
		CheckedAt: fxNow, KeyStatus: "Active", ACLKnown: true,
		ACL:            fxACL,
		DenyPolicyName: DefaultDenyPolicyName, DenyPolicyAttached: boolp(true),
		EffectiveACL:     &NetworkPolicy{Source: "key", Document: fxACL, KeyLevel: fxACL, Summary: "key-level: Active: public 198.51.100.10/32"},
		AttachedPolicies: []AttachedPolicy{{Name: "AliyunECSFullAccess", Type: "System"}, {Name: DefaultDenyPolicyName, Type: "Custom"}},
		OtherKeysKnown:   true, OtherKeys: []OtherKey{{AccessKeyID: "LTAI5tOTHERKEY000000001", Status: "Active"}},
		Console: &Console{HasLogin: true},
		Created: []CreatedState{
			{Kind: audit.KindUser, Name: "svc-backup", State: "active", Detail: "the user exists; 1 active AccessKey(s)"},
			{Kind: audit.KindAccessKey, Name: "LTAI5tSVCBACKUP00000001", State: "inactive", Detail: "key of svc-backup"},
		},
	}
}

// fxInput is the fixed synthetic input of the goldens.
func fxInput() Input {
	evs := fxEvents()
	return Input{Audit: fxAudit(evs), Events: mustKeep(evs), Journal: fxContainJournal(fxLeak.Add(5 * time.Hour)), Live: fxLive(),
		Now: fxNow, Generator: "akresp test"}
}

// mustKeep is KeepEvents for fixtures.
func mustKeep(evs []RawEvent) []Event {
	out, err := KeepEvents(evs)
	if err != nil {
		panic(err)
	}
	return out
}
