package cli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/audit"
)

// The parts of the audit's table and markdown that the incident golden
// (TestAuditRenderGolden) does not reach offline, one test each, on
// Results built by the engine where the engine can build them.

// renderAuditBoth renders r as the piped table and as markdown, each
// straight into a buffer: no escaping writer behind them, so the renderers
// themselves must escape.
func renderAuditBoth(t *testing.T, r *audit.Result) (table, md string) {
	t.Helper()
	ios, _, _, _ := TestStreams()
	var tb, mb bytes.Buffer
	if err := renderAuditTable(&tb, r, PrintOptions{IO: ios}); err != nil {
		t.Fatal(err)
	}
	if err := renderAuditMarkdown(&mb, r, PrintOptions{IO: ios}); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"table": tb.String(), "markdown": mb.String()} {
		if where, bad := rawControl(out); bad {
			t.Errorf("%s: raw control character: %s", name, where)
		}
	}
	return tb.String(), mb.String()
}

func flatText(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestAuditRenderRegions: an online audit's WINDOW names the regions read
// and, loudly, the ones that failed (their events are missing).
func TestAuditRenderRegions(t *testing.T) {
	r := &audit.Result{Key: audit.KeyFacts{AccessKeyID: auditKey}, Verdict: audit.Verdict{Status: audit.StatusInUse}}
	r.Window.Regions = &audit.RegionsRead{Basis: audit.RegionsAll, Read: []string{"cn-hangzhou", "eu-central-1", "us-west-1"},
		Failed: []audit.RegionFailure{{Region: "eu-central-1", Error: "Throttling.User"}}}
	table, md := renderAuditBoth(t, r)
	want := "cn-hangzhou, eu-central-1, us-west-1 (every region); FAILED: eu-central-1: Throttling.User (events there are missing"
	if !strings.Contains(flatText(table), "Regions: "+want) {
		t.Errorf("table WINDOW lacks %q:\n%s", want, table)
	}
	if !strings.Contains(md, "| Regions | "+want) {
		t.Errorf("markdown Window lacks %q:\n%s", want, md)
	}
	r.Window.Regions = nil // offline: no line
	if table, _ := renderAuditBoth(t, r); strings.Contains(table, "Regions:") {
		t.Errorf("an offline audit shows a Regions line:\n%s", table)
	}
}

// TestAuditRenderRoutine: a nightly DeleteSnapshot for 30 days is the
// key's routine: the reports describe it as context, not a finding.
func TestAuditRenderRoutine(t *testing.T) {
	const key = "LTAI5tROUTINEBACKUPJOB01"
	e := audit.NewEngine(audit.Options{KeyID: key, Now: time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC)})
	for d := range 30 {
		at := time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC).AddDate(0, 0, d) // 02:00 Asia/Shanghai
		e.Add(&audit.Event{ID: fmt.Sprintf("r-%d", d), Time: at, Service: "Ecs", Name: "DescribeSnapshots", RW: "Read", SourceIP: "10.1.2.3", UserAgent: "aliyun-cli/3.0", AccessKeyID: key, Region: "cn-hangzhou"})
		e.Add(&audit.Event{ID: fmt.Sprintf("d-%d", d), Time: at.Add(time.Minute), Service: "Ecs", Name: "DeleteSnapshot", RW: "Write", SourceIP: "10.1.2.3", UserAgent: "aliyun-cli/3.0", AccessKeyID: key, Region: "cn-hangzhou",
			Params: map[string]string{"SnapshotId": fmt.Sprintf("s-%d", d)}})
	}
	r := e.Result()
	if len(r.Routine) != 1 {
		t.Fatalf("routine %+v, want the backup job", r.Routine)
	}
	table, md := renderAuditBoth(t, r)
	line := "DEST-02 DeleteSnapshot daily at 02:00 from 10.1.2.3 for 30 days: routine (30 events)"
	if !strings.Contains(table, "ROUTINE (1; context, not evidence)\n  - "+line+"\n") {
		t.Errorf("table lacks the ROUTINE section with %q:\n%s", line, table)
	}
	if !strings.Contains(md, "## Routine (1; context, not evidence)\n\n- "+line+"\n") {
		t.Errorf("markdown lacks the Routine section with %q:\n%s", line, md)
	}
	if strings.Contains(table, "DEST-02 critical") || strings.Contains(table, "critical  DEST-02") {
		t.Errorf("the routine shows as a finding:\n%s", table)
	}
}

// TestAuditRenderRoutineBounded: a key with a routine per rule and network
// by the dozen lists the ten with the most events, in the result's order,
// and says how many more -o json holds; the markdown lists them all.
func TestAuditRenderRoutineBounded(t *testing.T) {
	r := &audit.Result{Key: audit.KeyFacts{AccessKeyID: auditKey}}
	for i := range 14 {
		// Events 100, 1, 102, 3, ...: the even ones are the busiest.
		n := i
		if i%2 == 0 {
			n = 100 + i
		}
		r.Routine = append(r.Routine, audit.RoutineActivity{RuleID: "COST-01", APIs: []string{"RunInstances"},
			Source: fmt.Sprintf("192.0.2.%d", i), Days: 30, Events: n, Cadence: "daily"})
	}
	table, md := renderAuditBoth(t, r)
	var listed []string
	for _, l := range strings.Split(table, "\n") {
		if strings.HasPrefix(l, "  - COST-01") {
			listed = append(listed, l)
		}
	}
	if len(listed) != 10 {
		t.Fatalf("table lists %d routine activities, want 10:\n%s", len(listed), table)
	}
	// The seven even ones (100-112 events), then the three busiest odd
	// ones (13, 11, 9), in the result's order.
	want := []int{0, 2, 4, 6, 8, 9, 10, 11, 12, 13}
	for k, i := range want {
		if !strings.Contains(listed[k], fmt.Sprintf("from 192.0.2.%d ", i)) {
			t.Errorf("routine line %d = %q, want the activity from 192.0.2.%d", k, listed[k], i)
		}
	}
	if !strings.Contains(table, "ROUTINE (14; context, not evidence)") || !strings.Contains(table, "  ... 4 more in -o json (shown: the 10 with the most events)\n") {
		t.Errorf("table lacks the routine count or the line for the 4 not shown:\n%s", table)
	}
	if n := strings.Count(md, "\n- COST-01"); n != 14 {
		t.Errorf("markdown lists %d routine activities, want all 14", n)
	}
}

// TestAuditRenderMoreFindings: the verdict lists five reasons and says how
// many findings it leaves out.
func TestAuditRenderMoreFindings(t *testing.T) {
	r := &audit.Result{Key: audit.KeyFacts{AccessKeyID: auditKey},
		Verdict: audit.Verdict{Status: audit.StatusSuspectedLeak, Severity: audit.Critical, Summary: "Suspected leak.", Reasons: []string{"a", "b", "c", "d", "e"}, MoreFindings: 7}}
	table, md := renderAuditBoth(t, r)
	if !strings.Contains(table, "  - e\n  - and 7 more findings (listed under FINDINGS)\n") {
		t.Errorf("table verdict lacks the count of findings left out:\n%s", table)
	}
	if !strings.Contains(md, "- e\n- and 7 more findings (listed under FINDINGS)\n") {
		t.Errorf("markdown verdict lacks the count of findings left out:\n%s", md)
	}
	r.Verdict.MoreFindings = 0
	if table, md := renderAuditBoth(t, r); strings.Contains(table+md, "more findings") {
		t.Error("a verdict with every reason listed speaks of more findings")
	}
}

// TestAuditRenderPolicyAttachmentPrincipal: a policy attached to a role
// or a group says so: the responder detaches it from that principal, not
// from a user of the same name.
func TestAuditRenderPolicyAttachmentPrincipal(t *testing.T) {
	at := time.Date(2026, 12, 3, 19, 11, 0, 0, time.UTC)
	r := &audit.Result{Key: audit.KeyFacts{AccessKeyID: auditKey}, Verdict: audit.Verdict{Status: audit.StatusSuspectedLeak},
		Created: []audit.CreatedIdentity{
			{Kind: "policy_attachment", Name: "AdministratorAccess", User: "ops-admin", PrincipalType: "Role", Action: "AttachPolicyToRole", Event: audit.EvidenceRef{Time: at, SourceIP: "203.0.113.9"}},
			{Kind: "policy_attachment", Name: "AliyunECSFullAccess", User: "devs", PrincipalType: "Group", Action: "AttachPolicyToGroup", Event: audit.EvidenceRef{Time: at, SourceIP: "203.0.113.9"}},
			{Kind: "access_key", Name: "LTAI5tNEWKEY000000000001", User: "svc", PrincipalType: "User", Action: "CreateAccessKey", Event: audit.EvidenceRef{Time: at, SourceIP: "203.0.113.9"}},
		}}
	_, md := renderAuditBoth(t, r)
	// The table on a wide terminal, so that no cell wraps.
	ios, _, _, _ := TestStreams()
	ios.SetStdoutTTY(true)
	ios.SetTerminalWidth(200)
	var tb bytes.Buffer
	if err := renderAuditTable(&tb, r, PrintOptions{IO: ios}); err != nil {
		t.Fatal(err)
	}
	table := tb.String()
	for _, want := range []string{"role ops-admin", "group devs"} {
		if !strings.Contains(table, want) || !strings.Contains(md, "| "+want+" |") {
			t.Errorf("created identities do not name %q:\ntable:\n%s\nmarkdown:\n%s", want, table, md)
		}
	}
	if strings.Contains(table, "user svc") || !strings.Contains(md, "| svc |") {
		t.Errorf("a user is shown with a type prefix:\n%s", md)
	}
}

// TestAuditRenderEscalatedAndEvidence: why a severity was raised is shown
// with the finding; markdown gives its ATT&CK techniques and says when
// the evidence table shows fewer events than the finding counts.
func TestAuditRenderEscalatedAndEvidence(t *testing.T) {
	at := time.Date(2026, 12, 3, 19, 11, 0, 0, time.UTC)
	r := &audit.Result{Key: audit.KeyFacts{AccessKeyID: auditKey}, Verdict: audit.Verdict{Status: audit.StatusSuspectedLeak, Severity: audit.Critical},
		Findings: []audit.Finding{{ID: "DEST-02", Severity: audit.Critical, Title: "Snapshots deleted", Why: "Backups gone.", Count: 40,
			Escalated: "after the onset from a flagged source", Attack: []string{"T1490"},
			Evidence: []audit.EvidenceRef{{Time: at, Service: "Ecs", Name: "DeleteSnapshot", SourceIP: "203.0.113.9", EventID: "e1"}}}}}
	table, md := renderAuditBoth(t, r)
	if !strings.Contains(flatText(table), "DEST-02 critical: Backups gone. Severity raised one level: after the onset from a flagged source.") {
		t.Errorf("table lacks why the severity was raised:\n%s", table)
	}
	for _, want := range []string{"Severity raised one level: after the onset from a flagged source.", "ATT&CK: T1490", "40 events, 1 shown."} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestAuditRenderEmpty: a key without events is idle: no findings, and
// the next step disables it.
func TestAuditRenderEmpty(t *testing.T) {
	r := audit.NewEngine(audit.Options{KeyID: auditKey, Now: fixedNow}).Result()
	table, md := renderAuditBoth(t, r)
	for _, want := range []string{"VERDICT: IDLE (info)", "FINDINGS (0)\n  none", "akresp disable " + auditKey} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	for _, want := range []string{"## Verdict: IDLE (info)", "## Findings (0)\n\nNone.", "`akresp disable " + auditKey + "`"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestAuditRenderHostileEngineInput: events with broken and hostile
// fields go through the engine and both renderers: no panic, no raw
// control character, no live markup from an event in the markdown.
func TestAuditRenderHostileEngineInput(t *testing.T) {
	e := audit.NewEngine(audit.Options{Now: fixedNow}) // no key: every event counts
	for _, x := range []*audit.Event{
		{Name: "", Time: time.Time{}},
		{Name: "CreateAccessKey", Service: "Ram", RW: "Write", SourceIP: "::ffff:1.2.3.4", Response: map[string]any{"AccessKey": "not a map"}},
		{Name: "CreateAccessKey", Service: "Ram", RW: "Write", SourceIP: "fe80::1%eth0", Response: map[string]any{"AccessKey": map[string]any{"AccessKeyId": 42}}},
		{Name: "RunInstances", Service: "Ecs", RW: "Write", Params: map[string]string{"Amount": "-3", "InstanceType": "ecs."}},
		{Name: "CreateUser", Service: "Ram", RW: "Write", UserAgent: "evil\x1b[2J\nagent", Params: map[string]string{"UserName": "a|b\x1b]0;x\x07`<img>[c](http://evil.example)*d*"}},
		{Name: "DescribeInstances", Service: "Ecs", RW: "Read", Time: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Name: "DescribeInstances", Service: "Ecs", RW: "Read", Time: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		e.Add(x)
	}
	r := e.Result()
	table, md := renderAuditBoth(t, r)
	if !strings.Contains(table, `a|b\x1b]0;x\x07`) {
		t.Errorf("table does not show the hostile user name escaped:\n%s", table)
	}
	for _, bad := range []string{"<img>", "a|b", "](http", "*d*"} {
		if strings.Contains(strings.ReplaceAll(md, `\](`, ""), bad) {
			t.Errorf("markdown holds live markup %q from an event:\n%s", bad, md)
		}
	}
	if !strings.Contains(md, "a\\|b\\\\x1b]0;x\\\\x07\\`&lt;img&gt;[c\\](http://evil.example)\\*d\\*") {
		t.Errorf("markdown does not show the hostile user name escaped:\n%s", md)
	}
}

// TestAuditRenderKeepsSecretsOut: an event whose parameters and response
// carry a secret (as STS and old CreateAccessKey samples do) never lets it
// into the table, markdown or CSV; the created key's ID is shown.
func TestAuditRenderKeepsSecretsOut(t *testing.T) {
	const secret = "SuperSecretValue0123456789abcd"
	at := time.Date(2026, 3, 12, 2, 0, 0, 0, time.UTC)
	e := audit.NewEngine(audit.Options{KeyID: auditKey, Now: fixedNow})
	for i, x := range []*audit.Event{
		{Name: "CreateAccessKey", Service: "Ram", Params: map[string]string{"UserName": "svc", "AccessKeySecret": secret, "Password": secret},
			Response: map[string]any{"AccessKey": map[string]any{"AccessKeyId": "LTAI5tNEWKEY000000000001", "AccessKeySecret": secret}}},
		{Name: "AssumeRole", Service: "Sts", Params: map[string]string{"RoleArn": "acs:ram::1:role/r"},
			Response: map[string]any{"Credentials": map[string]any{"AccessKeyId": "STS.x", "AccessKeySecret": secret, "SecurityToken": secret}}},
		{Name: "CreateLoginProfile", Service: "Ram", Params: map[string]string{"UserName": "svc", "Password": secret}},
	} {
		x.ID, x.Time, x.SourceIP, x.AccessKeyID, x.Type, x.RW = fmt.Sprintf("s%d", i), at.Add(time.Duration(i)*time.Minute), "203.0.113.9", auditKey, "ApiCall", "Write"
		e.Add(x)
	}
	r := e.Result()
	table, md := renderAuditBoth(t, r)
	var csvOut bytes.Buffer
	if err := renderCSV(&csvOut, auditFindingsTable{r}); err != nil {
		t.Fatal(err)
	}
	all := table + md + csvOut.String()
	if strings.Contains(all, secret) {
		t.Fatal("a secret reached the audit's table, markdown or CSV")
	}
	if !strings.Contains(table, "LTAI5tNEWKEY000000000001") || !strings.Contains(md, "LTAI5tNEWKEY000000000001") {
		t.Error("the created key's ID is missing")
	}
}

// TestAuditRenderMarkdownEscapesVerdictProse: the verdict's summary, its
// next steps' reasons and commands are escaped like every other cell: a
// line break cannot start a new block and a backtick cannot end the
// command's code span.
func TestAuditRenderMarkdownEscapesVerdictProse(t *testing.T) {
	r := &audit.Result{Key: audit.KeyFacts{AccessKeyID: auditKey}, Verdict: audit.Verdict{Status: audit.StatusSuspectedLeak, Severity: audit.High,
		Summary:   "Suspected leak from x\n# Owned <b>now</b>",
		NextSteps: []audit.NextStep{{Command: "akresp disable `rm -rf`", Why: "because\n## forged [link](http://evil)"}}}}
	_, md := renderAuditBoth(t, r)
	for _, bad := range []string{"\n# Owned", "<b>", "\n## forged", "](http"} {
		if strings.Contains(strings.ReplaceAll(md, `\](`, ""), bad) {
			t.Errorf("markdown verdict holds %q from the result:\n%s", bad, md)
		}
	}
	if !strings.Contains(md, "- `` akresp disable `rm -rf` ``: because<br>## forged [link\\](http://evil)") {
		t.Errorf("next step not quoted and escaped:\n%s", md)
	}
}

// TestAuditRenderResources: the markdown lists the resources the key
// touched like the table does, the first 20, counting the rest.
func TestAuditRenderResources(t *testing.T) {
	at := time.Date(2026, 12, 3, 19, 11, 0, 0, time.UTC)
	r := &audit.Result{Key: audit.KeyFacts{AccessKeyID: auditKey}, Verdict: audit.Verdict{Status: audit.StatusInUse}}
	for i := range 22 {
		r.Resources = append(r.Resources, audit.ResourceSummary{Type: "ACS::ECS::Instance", Name: fmt.Sprintf("i-%02d", i), Count: 1, LastSeen: at})
	}
	table, md := renderAuditBoth(t, r)
	for name, out := range map[string]string{"table": table, "markdown": md} {
		if !strings.Contains(strings.ToUpper(out), "RESOURCES (22)") || !strings.Contains(out, "i-19") || strings.Contains(out, "i-20") {
			t.Errorf("%s does not list the first 20 of 22 resources:\n%s", name, out)
		}
	}
	if !strings.Contains(md, "| ACS::ECS::Instance | i-00 | 1 | 2026-12-03T19:11:00Z |") || !strings.Contains(md, "2 more in -o json.") {
		t.Errorf("markdown resources:\n%s", md)
	}
}

// TestAuditRenderBusyKeyCaps: a key with thousands of sources and created
// identities gets a table and markdown a responder can read, each list
// saying how many more -o json holds.
func TestAuditRenderBusyKeyCaps(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	r := &audit.Result{Key: audit.KeyFacts{AccessKeyID: auditKey}, Verdict: audit.Verdict{Status: audit.StatusSuspectedLeak}}
	var ips []string
	for i := range 120 {
		s := audit.IPSummary{IP: fmt.Sprintf("198.51.100.%d", i), Count: 1000 - i, FirstSeen: at, LastSeen: at}
		switch {
		case i >= 100: // the quietest, flagged for two reasons: shown first
			s.Flagged, s.Reasons, s.Count = true, []string{"new", "sensitive"}, 2
		case i%2 == 0:
			s.Flagged, s.Reasons = true, []string{"new"}
		}
		r.Sources = append(r.Sources, s)
		ips = append(ips, s.IP)
	}
	why := strings.Repeat("a", maxWhyText-1) + "é and the rest"
	f := audit.Finding{ID: "CTX-03", Severity: audit.High, Title: "Unexpected source IP", Count: 120, IPs: ips, Why: why, First: at, Last: at}
	for i := range 80 {
		f.Evidence = append(f.Evidence, audit.EvidenceRef{EventID: fmt.Sprintf("ev-%03d", i), Time: at, Service: "Ecs", Name: "DescribeInstances", SourceIP: ips[i]})
		r.Created = append(r.Created, audit.CreatedIdentity{Kind: "user", Name: fmt.Sprintf("u%03d", i), Action: "CreateUser"})
	}
	r.Findings = []audit.Finding{f}
	table, md := renderAuditBoth(t, r)
	for name, out := range map[string]string{"table": table, "markdown": md} {
		flat := flatText(out)
		for _, want := range []string{
			"+115 more",                  // the finding's sources
			"(15 more bytes in -o json)", // the explanation, cut before the é
			"30 more in -o json",         // created identities
			"70 more in -o json (shown: flagged for the most reasons first, then the busiest; 70 flagged in all)",
			"198.51.100.119", "198.51.100.100", // flagged twice, quiet
			"198.51.100.0", // flagged, busiest
		} {
			if !strings.Contains(flat, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
		// 60: flagged once but not among the 30 busiest of those; 99: not
		// flagged (neither is cited as evidence).
		for _, absent := range []string{"198.51.100.60 ", "198.51.100.99 ", "u079", "é and the rest"} {
			if strings.Contains(out, absent) {
				t.Errorf("%s shows %q beyond its caps", name, absent)
			}
		}
	}
	if !strings.Contains(md, "120 events, 50 shown (-o json lists 80).") {
		t.Errorf("markdown does not cap the evidence table:\n%s", md)
	}
}
