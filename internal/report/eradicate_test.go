package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/journal"
)

func eradJournal(at time.Time) []journal.Record {
	return []journal.Record{
		{Kind: journal.KindOutcome, Time: at, Command: "eradicate", Action: "delete-login-profile", Target: "svc-backup",
			Result: journal.ResultOK, RequestID: "REQ-ER1", ActionID: "e1", RunID: "run-e"},
		{Kind: journal.KindOutcome, Time: at.Add(time.Second), Command: "eradicate", Action: "set-key-status", Target: "LTAI5tSVCBACKUP00000001",
			Result: journal.ResultOK, RequestID: "REQ-ER2", ActionID: "e2", RunID: "run-e"},
	}
}

// Eradicate's actions are shown, each linked to the attacker's event that
// created its target.
func TestEradicationActionsLinkEvidence(t *testing.T) {
	in := fxInput()
	in.Journal = append(in.Journal, eradJournal(fxLeak.Add(6*time.Hour))...)
	d := mustBuild(t, in)
	got := map[string]Action{}
	for _, a := range d.Actions {
		if a.Command == "eradicate" {
			got[a.Target] = a
		}
	}
	if a := got["svc-backup"]; a.EvidenceEventID != "atk-03" || !strings.Contains(a.Evidence, "Ram CreateUser from "+fxAttacker) {
		t.Errorf("login profile removal of svc-backup: evidence %q %q, want atk-03 (CreateUser)", a.EvidenceEventID, a.Evidence)
	}
	if a := got["LTAI5tSVCBACKUP00000001"]; a.EvidenceEventID != "atk-04" {
		t.Errorf("key disable: evidence %q, want atk-04 (CreateAccessKey)", a.EvidenceEventID)
	}
	var md bytes.Buffer
	if err := RenderMarkdown(&md, d, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "called for by Ram CreateUser from "+fxAttacker) || !strings.Contains(md.String(), "`atk-03`") {
		t.Error("markdown actions must name the evidence event of each eradication action")
	}
}

func TestCostSection(t *testing.T) {
	in := fxInput()
	in.Cost = &Cost{SoFar: 123.45, PerHour: 6.5, Currency: "CNY", Cycles: []string{"2026-03"}, Instances: 2, Planned: 2}
	d := mustBuild(t, in)
	var md, html bytes.Buffer
	if err := RenderMarkdown(&md, d, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := RenderHTML(&html, d, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"markdown": md.String(), "html": html.String()} {
		for _, want := range []string{"Spend caused by the attacker so far", "123.45 CNY", "Spend per hour if nothing is stopped", "6.50 CNY"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
	}
	for _, r := range d.Risks {
		if r.ID == "resource-charges" && !strings.Contains(r.Detail, "123.45 CNY") {
			t.Errorf("the resource-charges risk must state the spend: %s", r.Detail)
		}
	}
	// Without billing permission: the warning, no figures.
	in.Cost = &Cost{Cycles: []string{}, Planned: 2, Warning: "cost not shown: no permission to read bills"}
	md.Reset()
	if err := RenderMarkdown(&md, mustBuild(t, in), RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "no permission to read bills") || strings.Contains(md.String(), "Spend caused") {
		t.Errorf("no billing permission: want the warning and no figures:\n%s", md.String())
	}
}

// Next steps suggest eradicate only when planning it found work.
func TestEradicateSuggestedOnlyWhenItWouldAct(t *testing.T) {
	cmdOf := func(d *Document, id string) string {
		for _, r := range d.Risks {
			if r.ID == id {
				return r.Command
			}
		}
		t.Fatalf("risk %s missing", id)
		return ""
	}
	in := fxInput()
	in.Eradicate = &EradicatePlan{Changes: 3}
	want := "akresp eradicate " + fxKey + " --yes"
	d := mustBuild(t, in)
	if got := cmdOf(d, "resource-charges"); got != want {
		t.Errorf("resource-charges: %q, want %q", got, want)
	}
	in.Eradicate = &EradicatePlan{Changes: 0}
	if got := cmdOf(mustBuild(t, in), "resource-charges"); got != "" {
		t.Errorf("eradicate plans nothing: no command, got %q", got)
	}
	in.Eradicate = nil
	if got := cmdOf(mustBuild(t, in), "resource-charges"); got != "" {
		t.Errorf("eradicate not planned (offline): no command, got %q", got)
	}
	// After the key is deleted: created identities point at eradicate.
	in = fxInput()
	in.Live.KeyStatus = "Deleted"
	in.Eradicate = &EradicatePlan{Changes: 2}
	d = mustBuild(t, in)
	if got := cmdOf(d, "created-user-active"); got != want {
		t.Errorf("created user after delete: %q, want %q", got, want)
	}
	for _, r := range d.Recommendations {
		if r.ID == "remove-persistence" && (r.Command != want || strings.Contains(r.Detail, "RAM console")) {
			t.Errorf("remove-persistence after delete: %q %q", r.Command, r.Detail)
		}
	}
	// Deleted, and eradicate cannot be planned (offline): the by-hand
	// advice names each created key's disable command, not a placeholder.
	in.Eradicate = nil
	d = mustBuild(t, in)
	var keys []string
	for _, c := range d.Created {
		if c.Kind == audit.KindAccessKey && c.State != "deleted" && c.State != "detached" {
			keys = append(keys, "akresp disable "+c.Name)
		}
	}
	found := false
	for _, r := range d.Recommendations {
		if r.ID != "remove-persistence" {
			continue
		}
		found = true
		if strings.Contains(r.Detail, "<key>") || len(keys) == 0 || !strings.Contains(r.Detail, strings.Join(keys, "; ")) {
			t.Errorf("remove-persistence, deleted key, no eradicate plan: %q, want %q", r.Detail, keys)
		}
	}
	if !found {
		t.Error("no remove-persistence recommendation")
	}
}

func TestLeakRecordInSummary(t *testing.T) {
	in := fxInput()
	line := "found leaked at https://github.com/acme/x/blob/1/.env on 2026-03-09 (GitHub); pending in Security Center"
	in.Live.LeakRecords = []LeakRecord{{ID: 7, Status: "pending", URL: "https://github.com/acme/x/blob/1/.env", Line: line}}
	d := mustBuild(t, in)
	if len(d.Summary.LeakRecords) != 1 || d.Summary.LeakRecords[0].Line != line {
		t.Fatalf("summary leak records: %+v", d.Summary.LeakRecords)
	}
	var md, html bytes.Buffer
	_ = RenderMarkdown(&md, d, RenderOptions{})
	_ = RenderHTML(&html, d, RenderOptions{})
	if !strings.Contains(md.String(), "Leak record (Security Center)") || !strings.Contains(md.String(), "found leaked at https://github.com/acme/x/blob/1/.env on 2026-03-09") {
		t.Error("markdown summary lacks the leak record")
	}
	if !strings.Contains(html.String(), "<td>"+line+"</td>") {
		t.Error("html summary lacks the leak record")
	}
	// Not contained per an incident record: no resolve command.
	for _, r := range d.Recommendations {
		if r.ID == "resolve-leak-record" && r.Command != "" {
			t.Errorf("no incident record shows the key contained: leaks resolve would be refused, got %q", r.Command)
		}
	}
}

// contain --contain-created denies users and disables keys; it leaves a
// console login, a policy attachment or a role as they are. Their risks
// name eradicate when planning it found work (after --contain-created
// they named the command just run, which closed nothing), and nothing
// when it did not or was not planned; a denied user's risk names it too.
func TestCreatedGrantRisksNameEradicate(t *testing.T) {
	build := func(plan *EradicatePlan) *Document {
		in := fxInput()
		in.Audit.Created = append(in.Audit.Created,
			audit.CreatedIdentity{Kind: audit.KindLoginProfile, Name: "svc-backup", User: "svc-backup", Action: "CreateLoginProfile", Event: in.Audit.Created[0].Event, Attacker: true},
			audit.CreatedIdentity{Kind: audit.KindPolicyAttachment, Name: "AdministratorAccess", User: "svc-backup", Action: "AttachPolicyToUser", Event: in.Audit.Created[0].Event, Attacker: true})
		in.Live.Created = []CreatedState{
			{Kind: audit.KindUser, Name: "svc-backup", State: "contained", Detail: "the deny-high-risk policy is attached"},
			{Kind: audit.KindAccessKey, Name: "LTAI5tSVCBACKUP00000001", State: "active", Detail: "key of svc-backup"},
			{Kind: audit.KindLoginProfile, Name: "svc-backup", State: "active", Detail: "svc-backup can sign in to the console"},
			{Kind: audit.KindPolicyAttachment, Name: "AdministratorAccess", State: "active", Detail: "attached to svc-backup"},
		}
		in.Eradicate = plan
		return mustBuild(t, in)
	}
	cmds := func(d *Document) map[string]string {
		out := map[string]string{}
		for _, r := range d.Risks {
			out[r.ID] = r.Command
		}
		return out
	}
	erad := "akresp eradicate " + fxKey + " --yes"
	got := cmds(build(&EradicatePlan{Changes: 4}))
	for id, want := range map[string]string{
		"created-login-profile-active":     erad,
		"created-policy-attachment-active": erad,
		"created-user-contained":           erad,
		"created-access-key-active":        "akresp contain " + fxKey + " --contain-created --yes",
	} {
		if got[id] != want {
			t.Errorf("risk %s: command %q, want %q (all: %v)", id, got[id], want, got)
		}
	}
	for _, plan := range []*EradicatePlan{{Changes: 0}, nil} {
		got := cmds(build(plan))
		for _, id := range []string{"created-login-profile-active", "created-policy-attachment-active", "created-user-contained"} {
			if c, ok := got[id]; !ok || c != "" {
				t.Errorf("eradicate plan %+v: risk %s present %v command %q, want present with no command", plan, id, ok, c)
			}
		}
	}
}

// The attacker's instances eradicate stopped are not released: the
// resource-charges risk says how many, that their disks are still billed,
// and gives the release command when nothing else is left to do.
func TestStoppedInstancesNamedInCharges(t *testing.T) {
	in := fxInput()
	in.Eradicate = &EradicatePlan{Stopped: 20}
	d := mustBuild(t, in)
	var charges *Risk
	for i := range d.Risks {
		if d.Risks[i].ID == "resource-charges" {
			charges = &d.Risks[i]
		}
	}
	if charges == nil {
		t.Fatal("no resource-charges risk")
	}
	if !strings.Contains(charges.Detail, "20 of the attacker's instances are stopped but not released") || charges.Command != "akresp eradicate "+fxKey+" --release" {
		t.Errorf("detail %q, command %q: want the 20 stopped instances and the release command", charges.Detail, charges.Command)
	}
	if strings.Contains(charges.Detail, "the first from") {
		t.Errorf("detail %q: no journal says when they were stopped, yet it names a release time", charges.Detail)
	}
	// Stopped by akresp an hour ago: the report says from when --release
	// releases the first (it would release nothing before); once that
	// time has passed it no longer names it.
	from := in.Now.Add(23 * time.Hour)
	in.Eradicate = &EradicatePlan{Stopped: 20, ReleaseFrom: from}
	for _, r := range mustBuild(t, in).Risks {
		if want := "(default 24h): with the default, the first from " + from.UTC().Format(time.RFC3339) + "."; r.ID == "resource-charges" && !strings.Contains(r.Detail, want) {
			t.Errorf("detail %q, want %q", r.Detail, want)
		}
	}
	in.Eradicate = &EradicatePlan{Stopped: 20, ReleaseFrom: in.Now.Add(-time.Minute)}
	for _, r := range mustBuild(t, in).Risks {
		if r.ID == "resource-charges" && strings.Contains(r.Detail, "the first from") {
			t.Errorf("release time passed: detail %q", r.Detail)
		}
	}
	// Changes still to make come first: eradicate --yes stays the command.
	in.Eradicate = &EradicatePlan{Changes: 2, Stopped: 20}
	for _, r := range mustBuild(t, in).Risks {
		if r.ID == "resource-charges" && r.Command != "akresp eradicate "+fxKey+" --yes" {
			t.Errorf("with changes to make: command %q", r.Command)
		}
	}
	in.Eradicate = &EradicatePlan{}
	for _, r := range mustBuild(t, in).Risks {
		if r.ID == "resource-charges" && (strings.Contains(r.Detail, "stopped but not released") || r.Command != "") {
			t.Errorf("nothing stopped: detail %q, command %q", r.Detail, r.Command)
		}
	}
}
