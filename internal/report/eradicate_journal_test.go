package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/journal"
)

// eradicate's evidence note names the events that called for an action:
// the report links the action to them, ahead of the audit's own guess.
func TestEradicationActionsLinkJournaledEvidence(t *testing.T) {
	in := fxInput()
	at := fxLeak.Add(6 * time.Hour)
	in.Journal = append(in.Journal,
		journal.Record{Kind: journal.KindNote, Time: at, Command: "eradicate", Action: "evidence", ActionID: "e2", Target: "LTAI5tSVCBACKUP00000001",
			RunID: "run-e", After: []byte(`{"event_ids":["atk-03","atk-04"],"action":"set-key-status"}`)},
		journal.Record{Kind: journal.KindOutcome, Time: at.Add(time.Second), Command: "eradicate", Action: "set-key-status", Target: "LTAI5tSVCBACKUP00000001",
			Result: journal.ResultOK, RequestID: "REQ-ER2", ActionID: "e2", RunID: "run-e"},
		journal.Record{Kind: journal.KindNote, Time: at, Command: "eradicate", Action: "evidence", ActionID: "e9", Target: "i-attacker",
			RunID: "run-e", After: []byte(`{"event_ids":["evt-run-9"],"action":"instance-state"}`)},
		journal.Record{Kind: journal.KindOutcome, Time: at.Add(2 * time.Second), Command: "eradicate", Action: "instance-state", Target: "i-attacker",
			Result: journal.ResultOK, RequestID: "REQ-ER9", ActionID: "e9", RunID: "run-e"},
	)
	d := mustBuild(t, in)
	got := map[string]Action{}
	for _, a := range d.Actions {
		if a.Command == "eradicate" {
			got[a.Target] = a
		}
	}
	// The audit's event (atk-04) is among the journaled ones: its
	// description stays.
	if a := got["LTAI5tSVCBACKUP00000001"]; a.EvidenceEventID != "atk-04" {
		t.Errorf("key disable: evidence %q %q, want atk-04", a.EvidenceEventID, a.Evidence)
	}
	if a := got["i-attacker"]; a.EvidenceEventID != "evt-run-9" || !strings.Contains(a.Evidence, "evt-run-9") {
		t.Errorf("instance stop: evidence %q %q, want the journaled evt-run-9", a.EvidenceEventID, a.Evidence)
	}
	var md bytes.Buffer
	if err := RenderMarkdown(&md, d, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "`evt-run-9`") {
		t.Error("markdown actions must name the journaled evidence event")
	}
}

// After eradicate stripped a created user (still existing until its keys
// are deleted), the report says so and what to run later, not "still
// active" with contain --contain-created.
func TestStrippedCreatedUserAdvice(t *testing.T) {
	in := fxInput()
	in.Journal = append(in.Journal, eradJournal(fxLeak.Add(6*time.Hour))...)
	d := mustBuild(t, in)
	var stripped *Risk
	for i, r := range d.Risks {
		if r.ID == "created-user-active" {
			t.Errorf("risk %q: %s (%s), want it replaced after eradicate", r.ID, r.Title, r.Command)
		}
		if r.ID == "created-user-stripped" {
			stripped = &d.Risks[i]
		}
	}
	if stripped == nil {
		t.Fatalf("no created-user-stripped risk; risks: %+v", d.Risks)
	}
	if !strings.Contains(stripped.Detail, "re-run") && !strings.Contains(stripped.Detail, "Re-run") || !strings.Contains(stripped.Detail, "--observe") ||
		strings.Contains(stripped.Command, "--contain-created") || !strings.HasPrefix(stripped.Command, "akresp eradicate ") {
		t.Errorf("stripped user advice: %q / %q", stripped.Detail, stripped.Command)
	}
	// When the eradicate plan knows when the re-run deletes it, the
	// advice says so (rounded up to the second).
	in.Eradicate = &EradicatePlan{DeleteFrom: in.Now.Add(3*time.Hour + 200*time.Millisecond)}
	d = mustBuild(t, in)
	want := "default 24h: with it, from " + in.Now.Add(3*time.Hour+time.Second).UTC().Truncate(time.Second).Format(time.RFC3339) + ")"
	for _, r := range d.Risks {
		if r.ID == "created-user-stripped" && !strings.Contains(r.Detail, want) {
			t.Errorf("stripped user advice with the plan's time: %q, want %q", r.Detail, want)
		}
	}
}

// With no instance of the attacker running, the cost says nothing more
// accrues instead of "per hour if nothing is stopped: 0.00".
func TestCostNothingRunning(t *testing.T) {
	in := fxInput()
	in.Cost = &Cost{SoFar: 12.5, PerHour: 0, Currency: "CNY", Cycles: []string{"2026-03"}, Instances: 1, Planned: 1}
	d := mustBuild(t, in)
	var md bytes.Buffer
	if err := RenderMarkdown(&md, d, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "if nothing is stopped: **0.00") || !strings.Contains(md.String(), "none of the attacker's instances is running") {
		t.Errorf("cost section with nothing running:\n%s", md.String())
	}
}

// Two actions on one target (two policies detached from the same user)
// are told apart by what each changed: the action ID's part after the
// target, in the JSON (item), the timeline and the actions table.
func TestActionItemsTellSharedTargetsApart(t *testing.T) {
	in := fxInput()
	at := fxLeak.Add(6 * time.Hour)
	for i, pol := range []string{"AdministratorAccess", "akresp-deny-high-risk"} {
		in.Journal = append(in.Journal, journal.Record{Kind: journal.KindOutcome, Time: at.Add(time.Duration(i) * time.Second), Command: "eradicate",
			Action: "user-policy", Target: "svc-backup", ActionID: "detach-policy:svc-backup:" + pol, Result: journal.ResultOK, RunID: "run-e"})
	}
	in.Journal = append(in.Journal, journal.Record{Kind: journal.KindOutcome, Time: at.Add(3 * time.Second), Command: "eradicate",
		Action: "delete-login-profile", Target: "svc-backup", ActionID: "login-profile:svc-backup", Result: journal.ResultOK, RunID: "run-e"})
	d := mustBuild(t, in)
	var items []string
	for _, a := range d.Actions {
		if a.Command == "eradicate" {
			items = append(items, a.Action+"="+a.Item)
		}
	}
	if want := []string{"user-policy=AdministratorAccess", "user-policy=akresp-deny-high-risk", "delete-login-profile="}; strings.Join(items, ",") != strings.Join(want, ",") {
		t.Errorf("items %v, want %v", items, want)
	}
	var titles []string
	for _, e := range d.Timeline {
		if e.Kind == EntryAction && strings.HasPrefix(e.Title, "eradicate: ") {
			titles = append(titles, e.Title)
		}
	}
	if want := "eradicate: user-policy svc-backup (AdministratorAccess)"; len(titles) == 0 || titles[0] != want {
		t.Errorf("timeline titles %q, want the first %q", titles, want)
	}
	var md bytes.Buffer
	if err := RenderMarkdown(&md, d, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| user-policy | svc-backup: akresp-deny-high-risk ") {
		t.Errorf("the markdown actions table must name the policy each detach took:\n%s", md.String())
	}
}
