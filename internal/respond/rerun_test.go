package respond

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/policy"
)

// publicList returns the sorted ClassicWhiteList of an ACL document, or nil
// when there is none ("-" for an Inactive/absent document).
func publicList(t *testing.T, doc string) []string {
	t.Helper()
	if aclIsNone(doc) {
		return []string{"-"}
	}
	acl, err := policy.ParseNetworkACL(doc)
	if err != nil {
		t.Fatalf("ACL %s: %v", doc, err)
	}
	var out []string
	for _, s := range acl.Statements {
		if s.Type == policy.ACLTypeClassic {
			out = append(out, s.IPList...)
		}
	}
	slices.Sort(out)
	return out
}

// testNow is one clock for every run of a test, so that journals sort in
// the order the runs happened.
var testNow = clock()

func run(t *testing.T, f *fakeCloud, dir string, o ContainOptions) (*Plan, *Summary) {
	t.Helper()
	o.StateDir, o.Now = dir, testNow
	p, err := PlanContain(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Blocked(); r != nil {
		t.Fatalf("plan blocked: %v", r)
	}
	sum, err := Execute(context.Background(), p, ExecOptions{StateDir: dir, Now: o.Now})
	if err != nil {
		t.Fatalf("execute: %v", err)
	}
	return p, sum
}

func undo(t *testing.T, f *fakeCloud, dir string, o UndoOptions) (*Plan, error) {
	t.Helper()
	o.KeyID, o.StateDir, o.Now = leakedKey, dir, testNow
	p, err := PlanUndo(context.Background(), f, o)
	if err != nil {
		return nil, err
	}
	if r := p.Blocked(); r != nil {
		return p, r
	}
	_, err = Execute(context.Background(), p, ExecOptions{StateDir: dir, Now: o.Now})
	return p, err
}

// A re-run never narrows: it keeps the ACL in effect and adds; --replace
// removes and says who loses access; undo goes back one run at a time,
// --all to before the first.
func TestContainRerunUnionReplaceAndUndo(t *testing.T) {
	f := newFake()
	dir := t.TempDir()
	now := clock()
	ev := &Evidence{Callers: []Caller{
		{IP: netip.MustParseAddr("127.0.0.10"), LastSeen: t0.Add(-time.Hour), Count: 5},
		{IP: netip.MustParseAddr("198.51.100.7"), LastSeen: t0.Add(-2 * time.Hour), Count: 3},
		{IP: netip.MustParseAddr("127.0.0.66"), LastSeen: t0.Add(-time.Minute), Count: 40, Flagged: true},
	}}
	first := func(o *ContainOptions) { o.Now, o.Evidence = now, ev }

	run(t, f, dir, containOpts(first))
	if d := cmp.Diff([]string{"127.0.0.10"}, publicList(t, f.keys[leakedKey].acl)); d != "" {
		t.Fatalf("first run ACL (-want +got):\n%s", d)
	}

	// Second run names only the new source: the office is kept.
	p2, _ := run(t, f, dir, containOpts(first, func(o *ContainOptions) { o.ACL = ACLRequest{AllowIPs: []string{"198.51.100.7"}} }))
	if d := cmp.Diff([]string{"127.0.0.10", "198.51.100.7"}, publicList(t, f.keys[leakedKey].acl)); d != "" {
		t.Fatalf("re-run narrowed the ACL (-want +got):\n%s", d)
	}
	if !slices.ContainsFunc(p2.Notes, func(n string) bool { return strings.Contains(n, "kept 1 source") && strings.Contains(n, "127.0.0.10") }) {
		t.Errorf("re-run plan does not say what it kept: %q", p2.Notes)
	}
	if !slices.ContainsFunc(p2.Notes, func(n string) bool { return strings.Contains(n, "the ACL in effect is the one contain run") }) {
		t.Errorf("re-run plan does not match the ACL against the journal: %q", p2.Notes)
	}
	if p2.Action("deny-policy") == nil || !p2.Action("deny-policy").Noop {
		t.Fatalf("second run changes the deny policy")
	}

	// --replace shows the removal with who loses access; nothing changes
	// until it is applied.
	p3, err := PlanContain(context.Background(), f, containOpts(first, func(o *ContainOptions) {
		o.ACL, o.Replace, o.StateDir = ACLRequest{AllowIPs: []string{"198.51.100.7"}}, true, dir
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(p3.Removals) != 1 || p3.Removals[0].Entry != "127.0.0.10" || p3.Removals[0].Scope != "public" ||
		len(p3.Removals[0].Callers) != 1 || p3.Removals[0].Callers[0].IP.String() != "127.0.0.10" {
		t.Fatalf("removals: %+v", p3.Removals)
	}
	if w := strings.Join(p3.Action("network-acl").Warnings, "; "); !strings.Contains(w, "removes public 127.0.0.10: 1 recent legitimate caller(s) lose access (127.0.0.10)") {
		t.Errorf("removal warning: %q", w)
	}

	// Undo: the state before the LAST run (the first run's ACL), the deny
	// policy untouched.
	up, err := undo(t, f, dir, UndoOptions{})
	if err != nil {
		t.Fatalf("undo last: %v", err)
	}
	if d := cmp.Diff([]string{"undo-network-acl"}, actionIDs(up)); d != "" {
		t.Fatalf("undo of the last run (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"127.0.0.10"}, publicList(t, f.keys[leakedKey].acl)); d != "" {
		t.Fatalf("undo did not restore the first run's ACL (-want +got):\n%s", d)
	}
	if len(f.attached["app-prod"]) != 1 {
		t.Fatal("undo of the last run detached the deny policy of the first")
	}
	// The next undo is the first run: its deny part is refused on an
	// Active key (exit 4) and nothing changes.
	muts := len(f.mutations())
	if _, err := undo(t, f, dir, UndoOptions{}); !isRail(err, "undo-deny-active-key") {
		t.Fatalf("undo of the deny policy on an Active key: %v", err)
	}
	if len(f.mutations()) != muts {
		t.Fatal("a refused undo changed something")
	}
	// --all --force: the state before the first run.
	if _, err := undo(t, f, dir, UndoOptions{All: true, Force: true}); err != nil {
		t.Fatalf("undo --all: %v", err)
	}
	if !aclIsNone(f.keys[leakedKey].acl) || len(f.attached["app-prod"]) != 0 || f.policies[DefaultPolicyName] != nil {
		t.Fatalf("undo --all left: acl=%s attached=%v", f.keys[leakedKey].acl, f.attached)
	}
	// Complete: nothing left to undo, and the journal says so.
	if up, _ := undo(t, f, dir, UndoOptions{All: true}); up.Changes() != 0 {
		t.Fatalf("after a complete undo: %v", actionIDs(up))
	}
	recs := journalRecs(t, dir)
	var kinds []string
	for _, r := range recs {
		if r.Command == CmdContainUndo && (r.Action == undoRunsAction || r.Action == undoCompleteAction) {
			kinds = append(kinds, r.Action)
		}
	}
	if d := cmp.Diff([]string{undoRunsAction, undoCompleteAction}, kinds); d != "" {
		t.Errorf("undo notes (-want +got):\n%s", d)
	}
}

func isRail(err error, rule string) bool {
	var r *RailError
	return errors.As(err, &r) && r.Rule == rule && r.ExitCode() == 4
}

// --acl-only reverts the fence and keeps the deny policy, without --force.
func TestUndoACLOnlyKeepsDeny(t *testing.T) {
	f := newFake()
	dir := t.TempDir()
	run(t, f, dir, containOpts())
	if _, err := undo(t, f, dir, UndoOptions{ACLOnly: true}); err != nil {
		t.Fatalf("undo --acl-only: %v", err)
	}
	if !aclIsNone(f.keys[leakedKey].acl) || len(f.attached["app-prod"]) != 1 {
		t.Fatalf("acl-only undo: acl=%s attached=%v", f.keys[leakedKey].acl, f.attached)
	}
	// The deny policy still counts as containment to undo later.
	p, err := PlanUndo(context.Background(), f, UndoOptions{KeyID: leakedKey, StateDir: dir, Now: testNow, All: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"undo-attach:app-prod", "undo-deny-policy"}, actionIDs(p)); d != "" {
		t.Fatalf("remaining undo (-want +got):\n%s", d)
	}
	// Once the key is disabled the deny policy may go without --force.
	f.keys[leakedKey].status = "Inactive"
	if _, err := undo(t, f, dir, UndoOptions{All: true}); err != nil {
		t.Fatalf("undo on an Inactive key: %v", err)
	}
}

// A created user that still has an Active key keeps the deny policy too.
func TestUndoRefusesDenyOnCreatedUserWithActiveKey(t *testing.T) {
	f := newFake()
	f.addUser("backdoor", "LTAI5tBACKDOORBACKDOOR01")
	dir := t.TempDir()
	ev := &Evidence{Created: []CreatedIdentity{{Kind: "user", Name: "backdoor"}}}
	run(t, f, dir, containOpts(func(o *ContainOptions) { o.ContainCreated, o.Evidence = true, ev }))
	f.keys[leakedKey].status = "Inactive" // the leaked key itself is off
	p, err := undo(t, f, dir, UndoOptions{})
	if !isRail(err, "undo-deny-active-key") || !strings.Contains(err.Error(), "user backdoor") {
		t.Fatalf("undo with a created user's Active key: %v (%v)", err, p)
	}
}

// An ACL changed outside akresp between runs, wider than what akresp set,
// is not restored by an undo of the last run without --force.
func TestUndoRefusesToWidenBeyondJournal(t *testing.T) {
	f := newFake()
	dir := t.TempDir()
	run(t, f, dir, containOpts())
	f.keys[leakedKey].acl = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["127.0.0.10","203.0.113.0/24"]}]}`
	p2, _ := run(t, f, dir, containOpts(func(o *ContainOptions) { o.ACL = ACLRequest{AllowIPs: []string{"198.51.100.7"}} }))
	if !slices.ContainsFunc(p2.Notes, func(n string) bool { return strings.Contains(n, "changed outside akresp") }) {
		t.Errorf("re-run does not say the ACL changed outside akresp: %q", p2.Notes)
	}
	_, err := undo(t, f, dir, UndoOptions{})
	if !isRail(err, "undo-widens-fence") || !strings.Contains(err.Error(), "203.0.113.0/24") {
		t.Fatalf("undo restoring a wider journaled before: %v", err)
	}
}

func TestContainRefusesOpenAllowLists(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ips   []string
		setup string // key-level ACL in effect
		repl  bool
	}{
		{"split halves", []string{"0.0.0.0/1", "128.0.0.0/1"}, "", false},
		{"all v6", []string{"127.0.0.10", "::/0"}, "", false},
		{"in effect already open", []string{"127.0.0.10"}, `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["0.0.0.0/0"]}]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.keys[leakedKey].acl = tc.setup
			_, err := PlanContain(context.Background(), f, containOpts(func(o *ContainOptions) {
				o.ACL, o.Replace = ACLRequest{AllowIPs: tc.ips}, tc.repl
			}))
			var ie *InputError
			if !errors.As(err, &ie) || ie.ExitCode() != 2 || !strings.Contains(err.Error(), "fences nothing in") || !strings.Contains(err.Error(), "nothing was changed") {
				t.Fatalf("err = %v, want an InputError (exit 2) saying why", err)
			}
			if len(f.mutations()) != 0 {
				t.Fatalf("mutations: %v", f.mutations())
			}
		})
	}
	// --replace gets out of an open ACL in effect.
	f := newFake()
	f.keys[leakedKey].acl = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["0.0.0.0/0"]}]}`
	if _, err := PlanContain(context.Background(), f, containOpts(func(o *ContainOptions) { o.Replace = true })); err != nil {
		t.Fatalf("--replace of an open ACL: %v", err)
	}
	if err := ValidateACL(ACLRequest{AllowIPs: []string{"0.0.0.0/0"}}); err == nil || !strings.Contains(err.Error(), "covers all of IPv4") {
		t.Fatalf("ValidateACL: %v", err)
	}
}

func TestEffectivePolicy(t *testing.T) {
	office := `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["203.0.113.0/24"]}]}`
	vpcOnly := `{"Version":1,"Status":"Active","Statements":[{"Type":"VPCWhiteList","Value":"vpc-abc","IPList":["10.0.0.0/8"]}]}`
	inactive := `{"Version":1,"Status":"Inactive","Statements":[{"Type":"ClassicWhiteList","IPList":["198.51.100.1"]}]}`
	tests := []struct {
		name      string
		key, acct string
		acctErr   error
		source    string
		open      bool
	}{
		{"none", "", "", nil, ACLSourceNone, true},
		{"account applies", "", office, nil, ACLSourceAccount, false},
		{"inactive key: account applies", inactive, office, nil, ACLSourceAccount, false},
		{"key wins", vpcOnly, office, nil, ACLSourceKey, true},
		{"key restricts", office, "", nil, ACLSourceKey, false},
		{"account unreadable", "", "", errors.New("NoPermission"), ACLSourceUnknown, true},
		{"key wins over unreadable account", office, "", errors.New("NoPermission"), ACLSourceKey, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := EffectivePolicy(tt.key, tt.acct, tt.acctErr)
			if e.Source != tt.source || e.PublicOpen != tt.open || e.Precedence == "" {
				t.Fatalf("EffectivePolicy = %+v, want source %s open %v", e, tt.source, tt.open)
			}
			if tt.open != (e.PublicReason != "") {
				t.Fatalf("reason %q", e.PublicReason)
			}
		})
	}
}

// The account policy allows only the office: --status shows it, and an ACL
// wider than it is refused (exit 4, --force).
func TestContainAccountPolicy(t *testing.T) {
	f := newFake()
	f.account = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["127.0.0.0/28"]}]}`
	st, err := Status(context.Background(), f, t.TempDir(), leakedKey, "")
	if err != nil {
		t.Fatal(err)
	}
	if st.Effective.Source != ACLSourceAccount || st.Effective.PublicOpen || !st.ACLEnforced || st.State != StatePartiallyContained {
		t.Fatalf("status with an account policy: %+v", st)
	}
	p, err := PlanContain(context.Background(), f, containOpts(func(o *ContainOptions) { o.ACL = ACLRequest{AllowIPs: []string{"127.0.0.0/16"}} }))
	if err != nil {
		t.Fatal(err)
	}
	r := p.Blocked()
	if r == nil || r.Rule != "widens-account-policy" || r.Override != "--force" || !strings.Contains(r.Detail, "127.0.0.0/16") {
		t.Fatalf("rail %v", r)
	}
	if p.Effective.Source != ACLSourceAccount || p.EffectiveAfter.Source != ACLSourceKey {
		t.Fatalf("effective before %+v after %+v", p.Effective, p.EffectiveAfter)
	}
	// Inside the account policy: no rail.
	p, err = PlanContain(context.Background(), f, containOpts())
	if err != nil || p.Blocked() != nil {
		t.Fatalf("ACL inside the account policy: %v %v", err, p.Rails)
	}
	// Unreadable account level: a diagnostic, not a failure.
	f.fail["GetAccessKeyPolicyForAccount"] = &cloud.APIError{API: "ims:GetAccessKeyPolicyForAccount", Code: "NoPermission", HTTPStatus: 403}
	p, err = PlanContain(context.Background(), f, containOpts())
	if err != nil || len(p.Diagnostics) == 0 || p.Effective.Source != ACLSourceUnknown {
		t.Fatalf("unreadable account level: %v %+v", err, p.Effective)
	}
}

// A VPC-only fence leaves public access open: the run says so and does not
// call the key contained; the next steps ask for a public fence.
func TestContainVPCOnlyIsNotContained(t *testing.T) {
	f := newFake()
	p, sum := run(t, f, t.TempDir(), containOpts(func(o *ContainOptions) { o.ACL = ACLRequest{AllowVPCs: []string{"vpc-abc:10.0.0.0/8"}} }))
	if sum.State != StatePublicOpen {
		t.Fatalf("state %s, want %s", sum.State, StatePublicOpen)
	}
	if !slices.ContainsFunc(p.Notes, func(n string) bool { return strings.Contains(n, "public access stays open") }) {
		t.Errorf("notes %q", p.Notes)
	}
	if !slices.ContainsFunc(sum.Next, func(n string) bool { return strings.Contains(n, "--allow-ip") }) {
		t.Errorf("next steps %q", sum.Next)
	}
	st, err := Status(context.Background(), f, t.TempDir(), leakedKey, "")
	if err != nil || st.State != StatePartiallyContained || st.ACLEnforced {
		t.Fatalf("status of a VPC-only fence: %v %+v", err, st)
	}
}

// A change whose re-read fails is a partial run: exit 1 with the retry.
func TestVerifyFailureIsPartial(t *testing.T) {
	f := newFake()
	dir := t.TempDir()
	o := containOpts()
	p, err := PlanContain(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	// The apply goes through; every re-read of the ACL fails.
	f.hook = func(m string) {
		if m == "SetAccessKeyPolicy" {
			f.mu.Lock() // the hook runs outside the fake's lock
			f.fail["GetAccessKeyPolicy"] = errors.New("connection reset")
			f.mu.Unlock()
		}
	}
	sum, err := Execute(context.Background(), p, ExecOptions{StateDir: dir, Now: o.Now, Retry: "akresp contain " + leakedKey + " --yes"})
	var pe *PartialError
	if !errors.As(err, &pe) || pe.ExitCode() != 1 || pe.Retry == "" || !strings.Contains(err.Error(), "could not re-read") {
		t.Fatalf("err = %v, want a PartialError with the retry command", err)
	}
	if sum.State != StatePartiallyContained || sum.Retry == "" {
		t.Fatalf("summary %+v", sum)
	}
}

func TestDisableJudgesLegitimateUseOnly(t *testing.T) {
	now := t0
	attacker := "127.0.0.66"
	flagged := func(ip netip.Addr, _ time.Time) bool { return ip.String() != attacker }
	for _, tc := range []struct {
		name     string
		ips      []cloud.LastUsedIP
		info     time.Time
		wantRail bool
		wantNote string
	}{
		{"attacker only", []cloud.LastUsedIP{{IP: attacker, UsedAt: now.Add(-time.Minute)}, {IP: "127.0.0.10", UsedAt: now.Add(-72 * time.Hour)}},
			now.Add(-time.Minute), false, "only from flagged sources: 127.0.0.66"},
		{"office too", []cloud.LastUsedIP{{IP: attacker, UsedAt: now.Add(-time.Minute)}, {IP: "127.0.0.10", UsedAt: now.Add(-time.Hour)}},
			now.Add(-time.Minute), true, "also used"},
		{"unattributed recent use", []cloud.LastUsedIP{{IP: attacker, UsedAt: now.Add(-5 * time.Hour)}},
			now.Add(-time.Hour), true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.ips[leakedKey] = tc.ips
			f.lastUsed[leakedKey] = cloud.LastUsedInfo{Found: true, UsedAt: tc.info, ServiceName: "ram"}
			dp, err := PlanDisable(context.Background(), f, DisableOptions{KeyID: leakedKey, Mode: ModeDisable, StateDir: t.TempDir(),
				Legitimate: flagged, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			if got := dp.Blocked() != nil; got != tc.wantRail {
				t.Fatalf("rail %v, want rail %v (last legitimate %+v)", dp.Blocked(), tc.wantRail, dp.LastLegitimate)
			}
			if tc.wantNote != "" && !slices.ContainsFunc(dp.Notes, func(n string) bool { return strings.Contains(n, tc.wantNote) }) {
				t.Fatalf("notes %q, want %q", dp.Notes, tc.wantNote)
			}
			if tc.name == "attacker only" && (!dp.LastLegitimate.Found || dp.LastLegitimate.IP != "127.0.0.10") {
				t.Fatalf("last legitimate %+v", dp.LastLegitimate)
			}
		})
	}
}

func TestUnknownKeySameAnswer(t *testing.T) {
	f := newFake()
	const typo = "LTAI5tLEAKEDLEAKED00000X"
	check := func(what string, err error) {
		t.Helper()
		var uk *cloud.UnknownKeyError
		if !errors.As(err, &uk) || uk.ExitCode() != 1 || !strings.Contains(err.Error(), "no AccessKey "+typo+" in account 1234567890123456") || uk.RequestID == "" {
			t.Errorf("%s: %v", what, err)
		}
	}
	_, err := PlanContain(context.Background(), f, containOpts(func(o *ContainOptions) { o.KeyID = typo }))
	check("contain", err)
	_, err = PlanDisable(context.Background(), f, DisableOptions{KeyID: typo, Mode: ModeDisable, StateDir: t.TempDir(), Now: clock()})
	check("disable", err)
	_, err = Status(context.Background(), f, t.TempDir(), typo, "")
	check("status", err)
}

func TestNextStepsFitTheState(t *testing.T) {
	f := newFake()
	f.keys[leakedKey].status = "Inactive"
	_, sum := run(t, f, t.TempDir(), containOpts())
	all := strings.Join(sum.Next, "\n")
	if strings.Contains(all, "rotate") || strings.Contains(all, "akresp disable "+leakedKey+"\n") || strings.Contains(all, "--enable") {
		t.Fatalf("next steps for an Inactive key: %q", sum.Next)
	}
	if !strings.Contains(all, "--delete") || !strings.Contains(all, "--undo") {
		t.Fatalf("next steps for an Inactive key: %q", sum.Next)
	}
	// An Active key: the deny policy stays, so the undo offered is the
	// ACL's alone.
	f2 := newFake()
	_, sum = run(t, f2, t.TempDir(), containOpts())
	all = strings.Join(sum.Next, "\n")
	if !strings.Contains(all, "akresp rotate "+leakedKey) || !strings.Contains(all, "--undo --acl-only") {
		t.Fatalf("next steps for an Active key: %q", sum.Next)
	}
}

func TestPlanNoteCarriesEvidence(t *testing.T) {
	f := newFake()
	dir := t.TempDir()
	onset := t0.Add(-3 * time.Hour)
	ev := &Evidence{Onset: onset, Verdict: "suspected_leak",
		Callers:          []Caller{{IP: netip.MustParseAddr("127.0.0.66"), Flagged: true}, {IP: netip.MustParseAddr("127.0.0.10")}},
		SuggestedTrusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.10/32")}}
	run(t, f, dir, containOpts(func(o *ContainOptions) { o.Evidence = ev }))
	var got struct {
		Evidence PlanEvidence `json:"evidence"`
	}
	found := false
	for _, r := range journalRecs(t, dir) {
		if r.Kind == journal.KindNote && r.Action == "plan" {
			if err := json.Unmarshal(r.After, &got); err != nil {
				t.Fatal(err)
			}
			found = true
		}
	}
	want := PlanEvidence{Onset: onset.Format(time.RFC3339), FlaggedIPs: []string{"127.0.0.66"}, SuggestedTrusted: []string{"127.0.0.10/32"}, Verdict: "suspected_leak"}
	if d := cmp.Diff(want, got.Evidence); !found || d != "" {
		t.Fatalf("plan note evidence (-want +got):\n%s", d)
	}
}

// contain --contain-created denies the attacker's user and disables its
// key; eradicate later deletes both. Undoing containment then has nothing
// to restore on them: it neither fails reading the deleted user's
// policies (it did: EntityNotExist.User stopped --undo --all) nor tells
// the operator to re-enable the deleted key.
func TestUndoAfterCreatedUserDeleted(t *testing.T) {
	const evilKey = "LTAI5tBACKDOORBACKDOOR01"
	f := newFake()
	f.addUser("backdoor", evilKey)
	dir := t.TempDir()
	ev := &Evidence{Created: []CreatedIdentity{{Kind: "user", Name: "backdoor"}, {Kind: "access_key", Name: evilKey, User: "backdoor"}}}
	p, _ := run(t, f, dir, containOpts(func(o *ContainOptions) { o.Evidence, o.ContainCreated = ev, true }))
	if p.Action("attach:backdoor") == nil || p.Action("disable-key:"+evilKey) == nil {
		t.Fatalf("test bug: contain planned %q", actionIDs(p))
	}
	delete(f.users, "backdoor") // eradicate, after --observe
	delete(f.keys, evilKey)
	delete(f.attached, "backdoor")
	delete(f.keys, leakedKey) // rotated and deleted

	up, err := undo(t, f, dir, UndoOptions{All: true})
	if err != nil {
		t.Fatalf("undo --all after the created user was deleted: %v", err)
	}
	if a := up.Action("undo-attach:backdoor"); a != nil && !a.Noop {
		t.Errorf("undo plans %s on the deleted user: %s", a.ID, a.Describe())
	}
	for _, n := range up.Notes {
		if strings.Contains(n, "--enable") {
			t.Errorf("undo note suggests re-enabling a deleted key: %q", n)
		}
	}
	if !slices.Contains(up.Notes, "key "+evilKey+", created by the leaked key, has been deleted since: nothing to re-enable") {
		t.Errorf("notes %q: want the deleted key named", up.Notes)
	}
	// contain --status of a deleted key fails: the next step is the report.
	if next := nextSteps(up, &Summary{State: "restored"}, time.Time{}); !slices.Equal(next, []string{"the key is deleted: write the final report: akresp report " + leakedKey}) {
		t.Errorf("next steps after undoing a deleted key's containment: %q", next)
	}
}

// After rotation deleted the leaked key, undo --all (what rotate suggests)
// judges the owner's deny attachment by the deleted key, not by the
// owner's new key from the rotation: the owner comes from the journal once
// IMS cannot name it. Before, the owner was the first deny attachment in
// the journal, and when that was a user the key created (attached by an
// earlier run, or journaled first by parallel actions, as on the lab), the
// owner's attachment counted as a created user's and the new key refused
// the undo ("user app-prod, created by the leaked key, still has an Active
// AccessKey"). A created user's own active key still refuses it.
func TestUndoAfterRotationKnowsTheOwner(t *testing.T) {
	const evilKey = "LTAI5tBACKDOORBACKDOOR01"
	for _, c := range []struct {
		name     string
		evilLeft string // status of the created user's key at undo time
		refused  bool
	}{
		{"created key disabled", "Inactive", false},
		{"created key active again", "Active", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFake()
			f.addUser("backdoor", evilKey)
			dir := t.TempDir()
			// The owner already carries the deny policy: the first run
			// journals only the created user's attachment.
			f.policies[DefaultPolicyName] = &fakePolicy{versions: []cloud.PolicyVersion{{VersionID: "v1", IsDefault: true, Document: "{}"}}, next: 2}
			f.attached["app-prod"] = []string{DefaultPolicyName}
			ev := &Evidence{Created: []CreatedIdentity{{Kind: "user", Name: "backdoor"}, {Kind: "access_key", Name: evilKey, User: "backdoor"}}}
			p, _ := run(t, f, dir, containOpts(func(o *ContainOptions) { o.Evidence, o.ContainCreated = ev, true }))
			if a := p.Action("attach:app-prod"); p.Action("attach:backdoor") == nil || a == nil || !a.Noop {
				t.Fatalf("test bug: contain planned %q", actionIDs(p))
			}
			// The owner's attachment is lost and a second run puts it back.
			delete(f.attached, "app-prod")
			run(t, f, dir, containOpts())
			delete(f.keys, leakedKey) // rotate --delete
			f.keys["LTAI5tROTATEDNEWKEY00001"] = &fakeKey{user: "app-prod", status: "Active"}
			f.keys[evilKey].status = c.evilLeft

			up, err := undo(t, f, dir, UndoOptions{All: true})
			if up == nil || err != nil && !c.refused {
				t.Fatalf("undo --all: %v", err)
			}
			var rails []string
			for _, r := range up.Rails {
				rails = append(rails, r.Error())
			}
			joined := strings.Join(rails, "; ")
			if strings.Contains(joined, "user app-prod, created by the leaked key") {
				t.Errorf("the owner taken for a created user: %s", joined)
			}
			if got := strings.Contains(joined, "undo-deny-active-key"); got != c.refused {
				t.Errorf("refused %v, want %v (rails: %s)", got, c.refused, joined)
			}
			if up.Key.Owner != "app-prod" {
				t.Errorf("owner %q, want app-prod from the journal", up.Key.Owner)
			}
		})
	}
}

// contain --status of a key akresp deleted (rotate --delete, disable
// --delete): its network ACL went with it, the deny policy it left on the
// owner is what remains, and contain --undo --all takes it off; a key no
// journal says was deleted stays the unknown-key error.
func TestStatusOfADeletedKey(t *testing.T) {
	f := newFake()
	dir := t.TempDir()
	run(t, f, dir, containOpts())
	delete(f.keys, leakedKey)
	if _, err := Status(context.Background(), f, dir, leakedKey, ""); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("deleted outside akresp: %v, want the unknown-key error", err)
	}
	at := testNow().Add(time.Hour)
	j, err := journal.Open(dir, leakedKey, CmdDelete, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(journal.Record{Time: at, Kind: journal.KindOutcome, Result: journal.ResultOK, Action: KindDeleteKey, Target: leakedKey, ActionID: "delete:" + leakedKey}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := Status(context.Background(), f, dir, leakedKey, "")
	if err != nil {
		t.Fatal(err)
	}
	if st.State != StateDeleted || st.KeyStatus != StatusDeleted || st.Owner != "app-prod" || !st.DenyPolicy.Attached ||
		len(st.Next) != 1 || !strings.Contains(st.Next[0], "akresp contain "+leakedKey+" --undo --all") {
		t.Errorf("status %+v", st)
	}
}
