package report

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/rotate"
)

func mustBuild(t *testing.T, in Input) *Document {
	t.Helper()
	doc, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func riskIDs(d *Document) []string {
	var ids []string
	for _, r := range d.Risks {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Input
		want string
	}{
		{"no audit", Input{Now: fxNow}, "no audit result"},
		{"no key", Input{Audit: &audit.Result{}, Now: fxNow}, "names no AccessKey"},
		{"no time", Input{Audit: fxAudit(fxEvents())}, "no report time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Build(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestBuildState(t *testing.T) {
	contained := fxLeak.Add(5 * time.Hour)
	undo := func(at time.Time) journal.Record {
		return note(at, "contain-undo", "undo-run", "undo-complete", ``, "containment reverted")
	}
	disable := func(at time.Time, cmd string) []journal.Record {
		return []journal.Record{
			rec(at, journal.KindIntent, cmd, "dis-run", "set-key-status", fxKey, ""),
			rec(at.Add(time.Second), journal.KindOutcome, cmd, "dis-run", "set-key-status", fxKey, journal.ResultOK),
		}
	}
	for _, tc := range []struct {
		name        string
		journal     []journal.Record
		rotation    *rotate.State
		live        func(l *Live)
		noLive      bool
		want        string
		wantContain time.Time
		wantTTC     string
	}{
		{name: "no action: open", want: StateOpen, live: func(l *Live) { l.DenyPolicyAttached = boolp(false); l.ACL = "" }},
		{name: "contained", journal: fxContainJournal(contained), want: StateContained,
			wantContain: contained.Add(2 * time.Second), wantTTC: "4h 30m"},
		{name: "contained then undone", journal: append(fxContainJournal(contained), undo(contained.Add(time.Hour))), want: StateOpen,
			wantContain: contained.Add(2 * time.Second), wantTTC: "4h 30m",
			live: func(l *Live) { l.DenyPolicyAttached = boolp(false); l.ACL = "" }},
		{name: "contained but policy detached since", journal: fxContainJournal(contained), want: StatePartiallyContained,
			live: func(l *Live) { l.DenyPolicyAttached = boolp(false) }, wantContain: contained.Add(2 * time.Second), wantTTC: "4h 30m"},
		{name: "contained but ACL switched off since", journal: fxContainJournal(contained), want: StatePartiallyContained,
			live: func(l *Live) { l.ACL = `{"Version":1,"Status":"Inactive","Statements":[]}` }, wantContain: contained.Add(2 * time.Second), wantTTC: "4h 30m"},
		{name: "disabled live", want: StateDisabled, live: func(l *Live) { l.KeyStatus = "Inactive" }},
		{name: "disabled per journal offline", noLive: true, journal: disable(fxLeak.Add(2*time.Hour), "disable"), want: StateDisabled,
			wantContain: fxLeak.Add(2*time.Hour + time.Second), wantTTC: "1h 30m"},
		{name: "disabled then enabled offline", noLive: true,
			journal: append(disable(fxLeak.Add(2*time.Hour), "disable"), disable(fxLeak.Add(3*time.Hour), "enable")...), want: StateOpen,
			wantContain: fxLeak.Add(2*time.Hour + time.Second), wantTTC: "1h 30m"},
		{name: "deleted live", want: StateDeleted, live: func(l *Live) { l.KeyStatus = "Deleted" }},
		{name: "rotated", rotation: &rotate.State{KeyID: fxKey, Step: rotate.StepDeleted, NewKeyID: "LTAI5tNEWKEY0000000001"},
			live: func(l *Live) { l.KeyStatus = "Deleted" }, want: StateRotated},
		{name: "rotation unfinished is not rotated", rotation: &rotate.State{KeyID: fxKey, Step: rotate.StepCutOver, NewKeyID: "LTAI5tNEWKEY0000000001"},
			journal: fxContainJournal(contained), want: StateContained, wantContain: contained.Add(2 * time.Second), wantTTC: "4h 30m"},
		{name: "rotated but old key re-enabled by hand", rotation: &rotate.State{KeyID: fxKey, Step: rotate.StepVerified}, want: StateOpen,
			live: func(l *Live) { l.DenyPolicyAttached = boolp(false); l.ACL = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := fxInput()
			in.Journal, in.Rotation = tc.journal, tc.rotation
			if tc.noLive {
				in.Live = nil
			} else if tc.live != nil {
				tc.live(in.Live)
			}
			d := mustBuild(t, in)
			s := d.Summary
			if s.State != tc.want {
				t.Errorf("state %q (%s), want %q", s.State, s.StateDetail, tc.want)
			}
			if !s.ContainedAt.Equal(tc.wantContain) || s.TimeToContain != tc.wantTTC {
				t.Errorf("contained at %s (%q), want %s (%q)", s.ContainedAt, s.TimeToContain, tc.wantContain, tc.wantTTC)
			}
			// First suspicious: the attacker's first call (+30m, where
			// CTX-03 fired too).
			if !s.FirstSuspicious.Equal(fxLeak.Add(30*time.Minute)) || !strings.Contains(s.FirstSuspiciousBasis, fxAttacker) {
				t.Errorf("first suspicious %s (%s)", s.FirstSuspicious, s.FirstSuspiciousBasis)
			}
		})
	}
}

func TestBuildFirstSuspiciousFallbacks(t *testing.T) {
	in := fxInput()
	in.Audit.Findings = []audit.Finding{{ID: "CTX-05", Severity: audit.Medium, First: fxLeak.Add(time.Minute)}}
	// The attacker's first call, with or without a leak time.
	if s := mustBuild(t, in).Summary; !s.FirstSuspicious.Equal(fxLeak.Add(30*time.Minute)) || !strings.Contains(s.FirstSuspiciousBasis, fxAttacker) {
		t.Errorf("flagged source: %s (%s)", s.FirstSuspicious, s.FirstSuspiciousBasis)
	}
	// A high finding of an owner's source before it is not the start.
	in.Audit.Findings = append(in.Audit.Findings, audit.Finding{ID: "CTX-02", Severity: audit.High, First: fxLeak.Add(-3 * time.Hour), IPs: []string{fxOffice}})
	if s := mustBuild(t, in).Summary; !s.FirstSuspicious.Equal(fxLeak.Add(30 * time.Minute)) {
		t.Errorf("owner's finding before the attacker: %s (%s)", s.FirstSuspicious, s.FirstSuspiciousBasis)
	}
	// No attacker: the first high finding; none: the leak time.
	in.Audit.Sources = nil
	if s := mustBuild(t, in).Summary; !s.FirstSuspicious.Equal(fxLeak.Add(-3*time.Hour)) || !strings.Contains(s.FirstSuspiciousBasis, "CTX-02") {
		t.Errorf("first high finding: %s (%s)", s.FirstSuspicious, s.FirstSuspiciousBasis)
	}
	in.Audit.Findings = in.Audit.Findings[:1]
	if s := mustBuild(t, in).Summary; !s.FirstSuspicious.Equal(fxLeak) || s.FirstSuspiciousBasis != "leak time" {
		t.Errorf("with a leak time: %s (%s)", s.FirstSuspicious, s.FirstSuspiciousBasis)
	}
	in.Audit.Window.LeakTime = time.Time{}
	in.Journal = fxContainJournal(fxLeak)
	if s := mustBuild(t, in).Summary; !s.FirstSuspicious.IsZero() || s.TimeToContain != "" || s.ContainedAt.IsZero() {
		t.Errorf("nothing suspicious: %+v", s)
	}
}

func TestBuildRisks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mod    func(in *Input)
		want   []string
		absent []string
	}{
		{name: "contained, persistence left", mod: func(in *Input) {},
			want:   []string{"created-user-active", "owner-no-mfa", "resource-charges", "key-still-active", "owner-other-keys"},
			absent: []string{"key-open", "attacker-allowed", "created-access-key-active", "offline"}},
		{name: "open leak", mod: func(in *Input) {
			in.Journal = nil
			in.Live.ACL, in.Live.DenyPolicyAttached = "", boolp(false)
		}, want: []string{"key-open", "attacker-allowed"}},
		{name: "offline", mod: func(in *Input) { in.Live = nil }, want: []string{"created-unchecked", "offline"},
			absent: []string{"owner-no-mfa", "owner-other-keys"}},
		{name: "mfa bound, no other keys", mod: func(in *Input) {
			in.Live.Console.MFAEnabled = true
			in.Live.OtherKeys = []OtherKey{{AccessKeyID: "LTAI5tSVCBACKUP00000001", Status: "Active"}} // the attacker's, already listed
		}, absent: []string{"owner-no-mfa", "owner-other-keys"}},
		{name: "the rotation's new key is not another exposure", mod: func(in *Input) {
			in.Rotation = &rotate.State{KeyID: fxKey, Step: rotate.StepVerified, NewKeyID: in.Live.OtherKeys[0].AccessKeyID}
		}, absent: []string{"owner-other-keys"}},
		{name: "pending intent", mod: func(in *Input) {
			in.Journal = append(in.Journal, rec(fxLeak.Add(6*time.Hour), journal.KindIntent, "disable", "dis-run", "set-key-status", fxKey, ""))
		}, want: []string{"journal-pending"}},
		{name: "rotation stopped", mod: func(in *Input) {
			in.Rotation = &rotate.State{KeyID: fxKey, Step: rotate.StepHandedOver, Pending: &rotate.Pending{Action: "disable-old-key", Target: fxKey}}
		}, want: []string{"rotation-unfinished", "rotation-pending"},
			// The rotation's risk says what is left for the contained key.
			absent: []string{"key-still-active"}},
		{name: "rotation verified, old key not deleted", mod: func(in *Input) {
			in.Rotation = &rotate.State{KeyID: fxKey, Step: rotate.StepVerified, NewKeyID: in.Live.OtherKeys[0].AccessKeyID}
		}, want: []string{"rotation-not-deleted"}, absent: []string{"rotation-unfinished"}},
		{name: "rotation deleted the old key", mod: func(in *Input) {
			in.Rotation = &rotate.State{KeyID: fxKey, Step: rotate.StepDeleted, NewKeyID: in.Live.OtherKeys[0].AccessKeyID}
		}, absent: []string{"rotation-not-deleted", "rotation-unfinished"}},
		{name: "office blocked", mod: func(in *Input) {
			in.Live.ACL = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["10.0.0.0/8"]}]}`
			in.Audit.Sources[0].LastSeen = fxNow.Add(-time.Hour)
		}, want: []string{"legitimate-blocked"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := fxInput()
			tc.mod(&in)
			d := mustBuild(t, in)
			got := riskIDs(d)
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("risk %s missing; got %v", w, got)
				}
			}
			for _, a := range tc.absent {
				if slices.Contains(got, a) {
					t.Errorf("risk %s present; got %v", a, got)
				}
			}
			for i := 1; i < len(d.Risks); i++ {
				if riskRank[d.Risks[i-1].Level] > riskRank[d.Risks[i].Level] {
					t.Errorf("risks not ordered by level: %v", got)
				}
			}
			if d.Summary.OpenRiskCount != len(d.Risks) {
				t.Errorf("open risk count %d, want %d", d.Summary.OpenRiskCount, len(d.Risks))
			}
		})
	}
}

func TestBuildSourcesChartAndCategories(t *testing.T) {
	d := mustBuild(t, fxInput())
	var classes []string
	for _, s := range d.Sources {
		blocked := "?"
		if s.BlockedNow != nil {
			blocked = map[bool]string{true: "blocked", false: "allowed"}[*s.BlockedNow]
		}
		classes = append(classes, s.IP+" "+s.Class+" "+blocked)
	}
	want := []string{fxAttacker + " flagged blocked", fxNewIP + " untrusted-new blocked", fxOffice + " trusted allowed"}
	if diff := cmp.Diff(want, classes); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{fxAttacker}, d.Summary.AttackerIPs); diff != "" {
		t.Errorf("attacker IPs: %s", diff)
	}

	// 22 days of events: daily buckets, every event counted once, by class.
	c := d.Chart
	if c.Bucket != BucketDay || c.Basis != "events" {
		t.Fatalf("chart bucket %s basis %s", c.Bucket, c.Basis)
	}
	totals := map[string]int{}
	for _, s := range c.Series {
		sum := 0
		for _, n := range s.Counts {
			sum += n
		}
		if sum != s.Total || len(s.Counts) != len(c.Buckets) {
			t.Errorf("series %s: total %d, sum %d, %d counts for %d buckets", s.Class, s.Total, sum, len(s.Counts), len(c.Buckets))
		}
		totals[s.Class] = s.Total
	}
	if diff := cmp.Diff(map[string]int{ClassTrusted: 20, ClassFlagged: 6, ClassUntrustedNew: 1}, totals); diff != "" {
		t.Errorf("chart totals: %s", diff)
	}

	cats := map[string]int{}
	for _, s := range d.Sensitive {
		cats[s.Category] = s.Count
		if s.Basis != "events" {
			t.Errorf("%s basis %s", s.Category, s.Basis)
		}
	}
	if diff := cmp.Diff(map[string]int{"pers": 2, "evade": 1, "cost": 1, "enum": 23}, cats); diff != "" {
		t.Errorf("categories (-want +got):\n%s", diff)
	}
	if d.Sensitive[0].Category != "pers" {
		t.Errorf("persistence must come first, got %s", d.Sensitive[0].Category)
	}
}

func TestBuildWithoutEvents(t *testing.T) {
	in := fxInput()
	in.Events = nil
	d := mustBuild(t, in)
	if d.Chart.Basis != "none" || len(d.Chart.Buckets) != 0 {
		t.Errorf("chart without events: %+v", d.Chart)
	}
	// The categories fall back to the audit's per-service top APIs.
	cats := map[string]string{}
	for _, s := range d.Sensitive {
		cats[s.Category] = s.Basis
	}
	if cats["pers"] != "summary" || cats["cost"] != "summary" {
		t.Errorf("fallback categories: %v", cats)
	}
	if slices.Contains(riskIDs(d), "resource-charges") {
		t.Error("no events: resource-creating calls are unknown, not absent")
	}
}

func TestUsedEventsFilters(t *testing.T) {
	in := fxInput()
	other := fxEvent("other", fxLeak, "Ecs", "DescribeInstances", fxOffice, "", nil)
	other.Event.AccessKeyID = "LTAI5tSOMEONEELSE000001"
	self := fxEvent("self", fxLeak, "Ram", "GetUser", fxOffice, "", nil)
	self.Event.UserAgent = "akresp/1.0 (contain)"
	old := fxEvent("old", fxNow.Add(-40*24*time.Hour), "Ecs", "DescribeInstances", fxOffice, "", nil)
	dup := in.Events[0]
	in.Events = append(mustKeep([]RawEvent{other, self, old}), append([]Event{dup}, in.Events...)...)
	got := UsedEvents(in)
	if len(got) != len(fxEvents()) {
		t.Fatalf("%d events used, want %d", len(got), len(fxEvents()))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Time.Before(got[i-1].Time) {
			t.Fatal("events not in time order")
		}
	}
	for _, e := range got {
		if e.ID == "other" || e.ID == "self" || e.ID == "old" {
			t.Errorf("event %s must be left out", e.ID)
		}
	}
}

func TestBuildTimelineOrder(t *testing.T) {
	d := mustBuild(t, fxInput())
	var kinds []string
	for i, e := range d.Timeline {
		if i > 0 && e.Time.Before(d.Timeline[i-1].Time) {
			t.Fatalf("timeline out of order at %d", i)
		}
		kinds = append(kinds, e.Kind+" "+e.Title)
	}
	want := []string{
		"event Sts GetCallerIdentity", "event Ram CreateUser", "event Ram CreateAccessKey", "event Ecs RunInstances", "event Actiontrail StopLogging",
		"action contain: set-network-acl " + fxKey, "action contain: attach-deny-policy app-prod", "note contain: verification",
	}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if d.Timeline[1].Severity != "critical" || !strings.Contains(d.Timeline[1].Detail, "created user svc-backup") {
		t.Errorf("CreateUser entry: %+v", d.Timeline[1])
	}
}

func TestSTSPlan(t *testing.T) {
	d := mustBuild(t, fxInput())
	p := d.STS
	if p == nil {
		t.Fatal("no STS plan for a RAM user's key")
	}
	if p.RoleName != "app-prod-app" || p.RoleArn != "acs:ram::1234567890123456:role/app-prod-app" {
		t.Errorf("role %s %s", p.RoleName, p.RoleArn)
	}
	if diff := cmp.Diff([]string{"System:AliyunECSFullAccess"}, p.Policies); diff != "" {
		t.Errorf("policies must be the user's, without akresp's deny policy: %s", diff)
	}
	for _, doc := range []string{string(p.TrustECS), string(p.TrustAccount), string(p.AssumePolicy)} {
		if !jsonValid(doc) {
			t.Errorf("not JSON: %s", doc)
		}
	}
	if !strings.Contains(string(p.TrustECS), "ecs.aliyuncs.com") || !strings.Contains(string(p.TrustAccount), "acs:ram::1234567890123456:root") {
		t.Error("trust policies must name the ECS service and the account")
	}

	in := fxInput()
	in.Audit.Key.OwnerType, in.Audit.Key.Owner = "root-account", "root account 1234567890123456"
	if d := mustBuild(t, in); d.STS != nil || d.Recommendations[0].ID != "retire-root-key" {
		t.Error("a root-account key gets no STS plan but a retire recommendation")
	}
	for _, tc := range []struct{ in, want string }{
		{"app-prod", "app-prod-app"}, {"svc_backup@corp", "svc-backup-corp-app"}, {strings.Repeat("a", 70), strings.Repeat("a", 60) + "-app"},
	} {
		if got := roleName(tc.in); got != tc.want {
			t.Errorf("roleName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{42 * time.Second, "42s"}, {time.Minute, "1m"}, {3*time.Hour + 12*time.Minute, "3h 12m"},
		{26 * time.Hour, "1d 2h"}, {49*time.Hour + 5*time.Minute + 40*time.Second, "2d 1h 6m"},
	} {
		if got := FormatDuration(tc.d); got != tc.want {
			t.Errorf("FormatDuration(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"app-prod", "app-prod"}, {"AdministratorAccess", "AdministratorAccess"}, {"", "''"},
		{"workload of app-prod", "'workload of app-prod'"}, {"it's", `'it'\''s'`}, {"$(rm -rf ~)", "'$(rm -rf ~)'"},
	} {
		if got := shellQuote(tc.in); got != tc.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// The office's own snapshots (creates and deletes from a trusted source)
// are the application's routine: the charges and destruction risks name
// the attacker's calls and count the office's apart; without any flagged
// source every call is the key's.
func TestResourceRisksLeaveTheKeysOwnSourcesOut(t *testing.T) {
	detail := func(d *Document, id string) string {
		for _, r := range d.Risks {
			if r.ID == id {
				return r.Detail
			}
		}
		return ""
	}
	in := fxInput()
	for i := range 3 {
		at := fxLeak.Add(-time.Duration(i+1) * 24 * time.Hour)
		in.Events = append(in.Events, mustKeep([]RawEvent{
			fxEvent(fmt.Sprintf("snap-%d", i), at, "Ecs", "CreateSnapshot", fxOffice, "", nil),
			fxEvent(fmt.Sprintf("dels-%d", i), at.Add(time.Minute), "Ecs", "DeleteSnapshot", fxOffice, "", nil),
		})...)
	}
	d := mustBuild(t, in)
	charges := detail(d, "resource-charges")
	if !strings.Contains(charges, "RunInstances x1") || strings.Contains(charges, "CreateSnapshot") {
		t.Errorf("charges risk must name the attacker's RunInstances and not the office's snapshots: %q", charges)
	}
	if !strings.Contains(charges, "3 such call(s) from the key's own trusted sources are left out") {
		t.Errorf("charges risk must count the office's calls apart: %q", charges)
	}
	if got := detail(d, "destructive-calls"); got != "" {
		t.Errorf("the office's DeleteSnapshot raised a destruction risk: %q", got)
	}

	// No attacker known: every call is the key's.
	for i := range in.Audit.Sources {
		in.Audit.Sources[i].Flagged, in.Audit.Sources[i].Attacker = false, false
	}
	d = mustBuild(t, in)
	if charges := detail(d, "resource-charges"); !strings.Contains(charges, "CreateSnapshot x3") || !strings.HasPrefix(charges, "The key ") {
		t.Errorf("without a flagged source the key's own creates count: %q", charges)
	}
	if got := detail(d, "destructive-calls"); !strings.Contains(got, "DeleteSnapshot x3") {
		t.Errorf("without a flagged source the key's own deletes count: %q", got)
	}
}

// What eradicate leaves to the responder is an open risk naming each
// resource, with the plan to read.
func TestRiskRemoveByHand(t *testing.T) {
	in := fxInput()
	in.Eradicate = &EradicatePlan{ByHand: []string{"Rds CreateDBInstance DBInstanceId=rm-evil in cn-hangzhou"}, ByHandOmitted: 2}
	d := mustBuild(t, in)
	for _, r := range d.Risks {
		if r.ID == "remove-by-hand" {
			if !strings.Contains(r.Title, "3 resource(s)") || !strings.Contains(r.Detail, "rm-evil") || !strings.Contains(r.Detail, "and 2 more") ||
				r.Command != "akresp eradicate "+fxKey+" --dry-run" {
				t.Errorf("remove-by-hand risk = %+v", r)
			}
			return
		}
	}
	t.Errorf("no remove-by-hand risk: %v", riskIDs(d))
}

// The open-leak risks give a containment that runs: --trusted-from-audit
// only when the audit suggests trusted sources (contain refuses it
// otherwise), else the audit's own containment step, else the audit.
func TestOpenLeakContainCommand(t *testing.T) {
	for _, tc := range []struct {
		name      string
		suggested []string
		steps     []audit.NextStep
		want      string
	}{
		{name: "trusted sources", suggested: []string{"198.51.100.0/24"}, want: "akresp contain " + fxKey + " --trusted-from-audit --yes"},
		{name: "none: the audit's step", steps: []audit.NextStep{{Command: "akresp contain " + fxKey + " --deny-public"}, {Command: "akresp report " + fxKey}},
			want: "akresp contain " + fxKey + " --deny-public"},
		{name: "none: the deny policy alone", steps: []audit.NextStep{{Command: "akresp contain " + fxKey}},
			want: "akresp contain " + fxKey},
		{name: "another key's step is not taken", steps: []audit.NextStep{{Command: "akresp contain " + fxKey + "9 --deny-public"}},
			want: "akresp audit " + fxKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := fxInput()
			in.Journal = nil
			in.Live.ACL, in.Live.DenyPolicyAttached = "", boolp(false)
			in.Audit.Verdict.SuggestedTrustedCIDRs, in.Audit.Verdict.NextSteps = tc.suggested, tc.steps
			d := mustBuild(t, in)
			n := 0
			for _, r := range d.Risks {
				if r.ID == "key-open" || r.ID == "attacker-allowed" {
					n++
					if r.Command != tc.want {
						t.Errorf("risk %s: command %q, want %q", r.ID, r.Command, tc.want)
					}
				}
			}
			if n != 2 {
				t.Errorf("%d of the key-open and attacker-allowed risks, want both: %v", n, riskIDs(d))
			}
		})
	}
}

// A key that created many identities makes one risk per kind of risk, not
// one per identity (a provisioning key's report listed 3,666 risks): up to
// maxCreatedRisks of one risk are listed one by one, more are one risk
// with the count, the first names and the shared command.
func TestCreatedRisksFolded(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n         int
		offline   bool
		id, title string
		command   string
	}{
		{name: "few active", n: maxCreatedRisks, id: "created-access-key-active"},
		{name: "many active", n: 25, id: "created-access-key-active", title: "25 AccessKeys created by the key are still active",
			command: "akresp contain " + fxKey + " --contain-created --yes"},
		{name: "many offline", n: 25, offline: true, id: "created-unchecked",
			title: "27 identities created by the key: state not checked (1 user, 26 AccessKeys)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := fxInput()
			if tc.offline {
				in.Live = nil
			}
			for i := range tc.n {
				name := fmt.Sprintf("LTAI5tPROV%014d", i)
				in.Audit.Created = append(in.Audit.Created, audit.CreatedIdentity{Kind: audit.KindAccessKey, Name: name, User: "svc-backup",
					Action: "CreateAccessKey", Event: audit.EvidenceRef{Time: fxLeak.Add(time.Duration(i) * time.Minute), SourceIP: fxAttacker}, Attacker: true})
				if !tc.offline {
					in.Live.Created = append(in.Live.Created, CreatedState{Kind: audit.KindAccessKey, Name: name, State: "active", Detail: "key of svc-backup"})
				}
			}
			d := mustBuild(t, in)
			var got []Risk
			for _, r := range d.Risks {
				if r.ID == tc.id {
					got = append(got, r)
				}
			}
			if tc.title == "" {
				if len(got) != tc.n {
					t.Fatalf("%d %s risks, want %d listed one by one", len(got), tc.id, tc.n)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("%d %s risks, want them folded into one: %+v", len(got), tc.id, got)
			}
			r := got[0]
			if r.Title != tc.title || r.Command != tc.command {
				t.Errorf("folded risk %q (command %q), want %q (command %q)", r.Title, r.Command, tc.title, tc.command)
			}
			if !strings.Contains(r.Detail, "LTAI5tPROV00000000000000") || !strings.Contains(r.Detail, "more (created_identities lists each)") || !strings.Contains(r.Detail, fxAttacker) {
				t.Errorf("folded risk detail %q: want the first names, the count of the rest and the source", r.Detail)
			}
			if d.Summary.OpenRiskCount != len(d.Risks) || len(d.Risks) > 12 {
				t.Errorf("%d risks (count %d): want a short list", len(d.Risks), d.Summary.OpenRiskCount)
			}
		})
	}
}

// A rotation that disabled the old key but has not deleted it is an open
// risk whose command is the step that runs now: --wait while it observes,
// --delete once verified.
func TestRotationNotDeletedCommand(t *testing.T) {
	for step, want := range map[rotate.Step]string{rotate.StepDisabled: "akresp rotate " + fxKey + " --wait", rotate.StepVerified: "akresp rotate " + fxKey + " --delete"} {
		in := fxInput()
		in.Rotation = &rotate.State{KeyID: fxKey, Step: step, NewKeyID: in.Live.OtherKeys[0].AccessKeyID}
		d := mustBuild(t, in)
		i := slices.IndexFunc(d.Risks, func(r Risk) bool { return r.ID == "rotation-not-deleted" })
		if i < 0 || d.Risks[i].Command != want || d.Risks[i].Level != RiskLow {
			t.Errorf("step %s: risks %v; want rotation-not-deleted (low) with %q", step, riskIDs(d), want)
		}
	}
}

// The report of a key the attacker created (its incident record names the
// key that created it): the open key is the attacker's, to disable, with
// the creating key's eradicate named; not "contain it, then rotate".
func TestAttackerKeyOpenRisk(t *testing.T) {
	in := fxInput()
	in.Journal = nil
	in.Live.ACL, in.Live.DenyPolicyAttached = "", boolp(false)
	const by = "LTAI5tCREATOR0000000001"
	in.Incident = incident.FromJournal(fxKey, nil)
	in.Incident.CreatedBy = by
	d := mustBuild(t, in)
	i := slices.IndexFunc(d.Risks, func(r Risk) bool { return r.ID == "key-open" })
	if i < 0 || d.Risks[i].Command != "akresp disable "+fxKey || !strings.Contains(d.Risks[i].Detail, "akresp eradicate "+by) ||
		d.Risks[i].Title != "The attacker's key is active" {
		t.Errorf("risks %v: want key-open 'The attacker's key is active' with akresp disable %s and eradicate %s (%+v)", riskIDs(d), fxKey, by, d.Risks)
	}
}

// A user made with the key from a source of its own (the office, known
// before the incident, not counted as the attacker's) while another source
// is the attacker's: the report asks to confirm it, with no command (the
// responder's tools leave it alone), not "still active: contain it".
func TestCreatedByTheOwnersSource(t *testing.T) {
	in := fxInput()
	in.Audit.Created = append(in.Audit.Created, audit.CreatedIdentity{Kind: audit.KindUser, Name: "ops-intern", Action: "CreateUser",
		Event: audit.EvidenceRef{Time: fxLeak.Add(2 * time.Hour), SourceIP: fxOffice}})
	in.Live.Created = append(in.Live.Created, CreatedState{Kind: audit.KindUser, Name: "ops-intern", State: "active", Detail: "the user exists"})
	d := mustBuild(t, in)
	var got *Risk
	for i, r := range d.Risks {
		if strings.Contains(r.Title, "ops-intern") {
			if got != nil || r.ID != "created-by-owner" {
				t.Errorf("risk %s %q for the owners' user", r.ID, r.Title)
			}
			got = &d.Risks[i]
		}
	}
	if got == nil || got.Command != "" || got.Level != RiskMedium || !strings.Contains(got.Title, "from its own source "+fxOffice) {
		t.Fatalf("owners' user risk %+v", got)
	}
	if slices.Contains(d.Summary.AttackerIPs, fxOffice) {
		t.Errorf("attacker IPs %v name the office", d.Summary.AttackerIPs)
	}
}

// Offline (no live state), the owners' identities are still theirs to
// confirm, apart from the attacker's unchecked ones: in the delivery shape
// 3,662 identities, one user the attacker's, shared one "state not
// checked" risk that listed the tenants first.
func TestCreatedByTheOwnersSourceOffline(t *testing.T) {
	in := fxInput()
	in.Live = nil
	// First, as the audit lists identities in time order.
	in.Audit.Created = append([]audit.CreatedIdentity{{Kind: audit.KindUser, Name: "tenant-000001", Action: "CreateUser",
		Event: audit.EvidenceRef{Time: fxLeak.Add(-2 * time.Hour), SourceIP: fxOffice}}}, in.Audit.Created...)
	d := mustBuild(t, in)
	ids, at := map[string]string{}, map[string]int{}
	for i, r := range d.Risks {
		for _, name := range []string{"tenant-000001", "svc-backup"} {
			if strings.Contains(r.Title, name) {
				ids[name], at[name] = r.ID, i
			}
		}
	}
	if ids["tenant-000001"] != "created-by-owner" || ids["svc-backup"] != "created-unchecked" {
		t.Errorf("risks by identity %v: want the owners' user created-by-owner, the attacker's created-unchecked", ids)
	}
	// The attacker's first, though the owners' user is older.
	if at["svc-backup"] > at["tenant-000001"] {
		t.Errorf("risk order %v: want the attacker's user before the owners'", at)
	}
}
