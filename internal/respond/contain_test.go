package respond

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/journal"
	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

func clock() func() time.Time {
	var n atomic.Int64
	return func() time.Time { return t0.Add(time.Duration(n.Add(1)) * time.Millisecond) }
}

func office() ACLRequest { return ACLRequest{AllowIPs: []string{"127.0.0.10/32"}} }

func containOpts(mod ...func(*ContainOptions)) ContainOptions {
	o := ContainOptions{KeyID: leakedKey, ACL: office(), Now: clock()}
	for _, m := range mod {
		m(&o)
	}
	return o
}

func actionIDs(p *Plan) []string {
	var ids []string
	for _, a := range p.Actions {
		id := a.ID
		if a.Noop {
			id += "(noop)"
		}
		ids = append(ids, id)
	}
	return ids
}

func TestPlanContain(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(*fakeCloud)
		opts      ContainOptions
		wantIDs   []string
		wantRails []string
		wantNote  string
		wantOwner string
	}{
		{
			name:      "ram user with acl and mfa",
			opts:      containOpts(func(o *ContainOptions) { o.RequireMFA = true }),
			wantIDs:   []string{"network-acl", "deny-policy", "attach:app-prod", "mfa:app-prod"},
			wantOwner: OwnerRAMUser,
		},
		{
			name:      "no acl requested",
			opts:      containOpts(func(o *ContainOptions) { o.ACL = ACLRequest{} }),
			wantIDs:   []string{"deny-policy", "attach:app-prod"},
			wantNote:  "no network ACL requested",
			wantOwner: OwnerRAMUser,
		},
		{
			name:      "mfa without console login",
			setup:     func(f *fakeCloud) { delete(f.logins, "app-prod") },
			opts:      containOpts(func(o *ContainOptions) { o.RequireMFA = true }),
			wantIDs:   []string{"network-acl", "deny-policy", "attach:app-prod"},
			wantNote:  "has no console login",
			wantOwner: OwnerRAMUser,
		},
		{
			name: "already contained",
			setup: func(f *fakeCloud) {
				f.keys[leakedKey].acl = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["127.0.0.10"]}]}`
				doc, _ := denyDocument(nil)
				f.policies[DefaultPolicyName] = &fakePolicy{next: 2, versions: []cloudVersion{{VersionID: "v1", IsDefault: true, Document: doc}}}
				f.attached["app-prod"] = []string{DefaultPolicyName}
			},
			opts:      containOpts(),
			wantIDs:   []string{"network-acl(noop)", "deny-policy(noop)", "attach:app-prod(noop)"},
			wantOwner: OwnerRAMUser,
		},
		{
			name:      "self key",
			setup:     func(f *fakeCloud) { f.selfKey = leakedKey },
			opts:      containOpts(),
			wantIDs:   []string{"network-acl", "deny-policy", "attach:app-prod"},
			wantRails: []string{"self-key"},
			wantOwner: OwnerRAMUser,
		},
		{
			name:      "akresp runs as the key's owner",
			setup:     func(f *fakeCloud) { f.caller.Arn = "acs:ram::1234567890123456:user/app-prod" },
			opts:      containOpts(),
			wantIDs:   []string{"network-acl", "deny-policy", "attach:app-prod"},
			wantRails: []string{"self-user"},
			wantOwner: OwnerRAMUser,
		},
		{
			name: "acl cuts off every recent legitimate caller",
			opts: containOpts(func(o *ContainOptions) {
				o.Evidence = &Evidence{Callers: []Caller{
					{IP: netip.MustParseAddr("10.1.1.1"), LastSeen: t0.Add(-time.Hour), Count: 40},
					{IP: netip.MustParseAddr("127.0.0.66"), LastSeen: t0.Add(-time.Minute), Count: 9, Flagged: true},
				}}
			}),
			wantIDs:   []string{"network-acl", "deny-policy", "attach:app-prod"},
			wantRails: []string{"acl-cuts-off-production"},
			wantOwner: OwnerRAMUser,
		},
		{
			name: "acl keeps a recent legitimate caller",
			opts: containOpts(func(o *ContainOptions) {
				o.Evidence = &Evidence{Callers: []Caller{
					{IP: netip.MustParseAddr("127.0.0.10"), LastSeen: t0.Add(-time.Hour), Count: 40},
					{IP: netip.MustParseAddr("10.1.1.1"), LastSeen: t0.Add(-time.Hour), Count: 4},
					{IP: netip.MustParseAddr("127.0.0.66"), LastSeen: t0.Add(-time.Minute), Count: 9, Flagged: true},
				}}
			}),
			wantIDs:   []string{"network-acl", "deny-policy", "attach:app-prod"},
			wantOwner: OwnerRAMUser,
		},
		{
			name: "only the attacker used it recently",
			opts: containOpts(func(o *ContainOptions) {
				o.Evidence = &Evidence{Callers: []Caller{
					{IP: netip.MustParseAddr("127.0.0.66"), LastSeen: t0.Add(-time.Minute), Flagged: true},
					{IP: netip.MustParseAddr("10.1.1.1"), LastSeen: t0.Add(-72 * time.Hour)},
				}}
			}),
			wantIDs:   []string{"network-acl", "deny-policy", "attach:app-prod"},
			wantOwner: OwnerRAMUser,
		},
		{
			name:      "root key seen in events, caller is a RAM user",
			setup:     func(f *fakeCloud) { f.keys["LTAIrootrootrootroot0001"] = &fakeKey{status: "Active"} },
			opts:      ContainOptions{KeyID: "LTAIrootrootrootroot0001", ACL: office(), Now: clock(), Evidence: &Evidence{OwnerType: OwnerRoot}},
			wantIDs:   nil,
			wantNote:  "no deny policy is possible",
			wantOwner: OwnerRoot,
		},
		{
			name: "trusted from audit merged with --allow-ip",
			opts: containOpts(func(o *ContainOptions) {
				o.TrustedFromAudit = true
				o.Evidence = &Evidence{SuggestedTrusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.10/32"), netip.MustParsePrefix("198.51.100.7/32")}}
			}),
			wantIDs:   []string{"network-acl", "deny-policy", "attach:app-prod"},
			wantOwner: OwnerRAMUser,
		},
		{
			name: "root key known to the AccessKey audit",
			setup: func(f *fakeCloud) {
				f.keys["LTAIrootrootrootroot0001"] = &fakeKey{status: "Active"}
				f.lastUsed["LTAIrootrootrootroot0001"] = cloud.LastUsedInfo{Found: true, AccountType: "root-account", AccountID: "1234567890123456"}
			},
			opts:      ContainOptions{KeyID: "LTAIrootrootrootroot0001", ACL: office(), Now: clock()},
			wantNote:  "only be set by the root account",
			wantOwner: OwnerRoot,
		},
		{
			name: "root key, caller is root",
			setup: func(f *fakeCloud) {
				f.keys["LTAIrootrootrootroot0001"] = &fakeKey{status: "Active"}
				f.caller.IdentityType = "Account"
			},
			opts:      ContainOptions{KeyID: "LTAIrootrootrootroot0001", ACL: office(), Now: clock()},
			wantIDs:   []string{"network-acl"},
			wantNote:  "no deny policy is possible",
			wantOwner: OwnerRoot,
		},
		{
			name: "created identities with --contain-created",
			setup: func(f *fakeCloud) {
				f.addUser("svc-backup", "LTAIbackupbackupbackup01")
			},
			opts: containOpts(func(o *ContainOptions) {
				o.ContainCreated = true
				o.Evidence = &Evidence{Created: []CreatedIdentity{
					{Kind: "user", Name: "svc-backup"},
					{Kind: "access_key", Name: "LTAIbackupbackupbackup01", User: "svc-backup"},
					{Kind: "user", Name: "gone-user"},
				}}
			}),
			wantIDs:   []string{"network-acl", "deny-policy", "attach:app-prod", "attach:svc-backup", "disable-key:LTAIbackupbackupbackup01"},
			wantOwner: OwnerRAMUser,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.setup != nil {
				tc.setup(f)
			}
			p, err := PlanContain(context.Background(), f, tc.opts)
			if err != nil {
				t.Fatalf("PlanContain: %v", err)
			}
			if d := cmp.Diff(tc.wantIDs, actionIDs(p)); d != "" {
				t.Errorf("actions (-want +got):\n%s", d)
			}
			var rails []string
			for _, r := range p.Rails {
				rails = append(rails, r.Rule)
			}
			if d := cmp.Diff(tc.wantRails, rails); d != "" {
				t.Errorf("rails (-want +got):\n%s", d)
			}
			if (p.Blocked() != nil) != (len(tc.wantRails) > 0) {
				t.Errorf("Blocked() = %v", p.Blocked())
			}
			if tc.wantNote != "" && !slices.ContainsFunc(p.Notes, func(n string) bool { return strings.Contains(n, tc.wantNote) }) {
				t.Errorf("notes %q lack %q", p.Notes, tc.wantNote)
			}
			if p.Key.OwnerType != tc.wantOwner {
				t.Errorf("owner type %q, want %q", p.Key.OwnerType, tc.wantOwner)
			}
			if p.Operator.Arn == "" || p.Operator.Endpoint == "" || p.Hash == "" {
				t.Errorf("operator/hash missing: %+v %q", p.Operator, p.Hash)
			}
			if len(f.mutations()) != 0 {
				t.Errorf("planning mutated: %v", f.mutations())
			}
		})
	}
}

func TestPlanContainForceLiftsRails(t *testing.T) {
	f := newFake()
	f.selfKey = leakedKey
	p, err := PlanContain(context.Background(), f, containOpts(func(o *ContainOptions) { o.Force = true }))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rails) != 1 || p.Blocked() != nil {
		t.Fatalf("rails %v blocked %v; want one rail, lifted", p.Rails, p.Blocked())
	}
}

func TestPlanContainErrors(t *testing.T) {
	tests := []struct {
		name     string
		opts     ContainOptions
		setup    func(*fakeCloud)
		wantCode int
		wantMsg  string
	}{
		{"unknown key", ContainOptions{KeyID: "LTAInothereatall0000000X", Now: clock()}, nil, 1, "no AccessKey LTAInothereatall0000000X in account 1234567890123456 (request REQ-NF)"},
		{"trusted from audit without suggestions", containOpts(func(o *ContainOptions) { o.TrustedFromAudit = true; o.ACL = ACLRequest{} }), nil, 2, "--trusted-from-audit"},
		{"bad acl", containOpts(func(o *ContainOptions) { o.ACL = ACLRequest{AllowIPs: []string{"300.1.1.1"}} }), nil, 2, "network ACL"},
		{"owner lookup fails", containOpts(), func(f *fakeCloud) { f.fail["GetUserByAccessKey"] = errors.New("boom") }, 0, "find the key's owner"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.setup != nil {
				tc.setup(f)
			}
			_, err := PlanContain(context.Background(), f, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("err = %v, want %q", err, tc.wantMsg)
			}
			var ec interface{ ExitCode() int }
			code := 0
			if errors.As(err, &ec) {
				code = ec.ExitCode()
			}
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d", code, tc.wantCode)
			}
		})
	}
}

type recView struct {
	NopView
	started, done []string
	sum           *Summary
}

func (v *recView) ActionStarted(a *Action)         { v.started = append(v.started, a.ID) }
func (v *recView) ActionDone(a *Action, o Outcome) { v.done = append(v.done, a.ID+"="+o.Status) }
func (v *recView) Summary(s *Summary)              { v.sum = s }

func journalRecs(t *testing.T, dir string) []journal.Record {
	t.Helper()
	recs, _, err := journal.ReadKey(dir, leakedKey)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestContainApplyNoopUndo(t *testing.T) {
	dir := t.TempDir()
	f := newFake()
	ctx := context.Background()
	opts := containOpts(func(o *ContainOptions) { o.RequireMFA = true })
	p, err := PlanContain(ctx, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	v := &recView{}
	sum, err := Execute(ctx, p, ExecOptions{StateDir: dir, View: v, Now: opts.Now, RecheckAfter: time.Hour})
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if sum.State != StateContained || sum.Changed != 4 {
		t.Fatalf("summary %+v", sum)
	}
	if !aclEquivalent(f.keys[leakedKey].acl, `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["127.0.0.10/32"]}]}`) {
		t.Errorf("acl = %s", f.keys[leakedKey].acl)
	}
	if f.policies[DefaultPolicyName] == nil || !slices.Contains(f.attached["app-prod"], DefaultPolicyName) || !f.logins["app-prod"].MFABindRequired {
		t.Errorf("state not contained: %+v %v", f.policies, f.attached)
	}
	// Fresh plan: no re-check reads; two rounds of writes.
	if n := f.callCount("GetAccessKeyPolicy"); n != 2 { // plan + verify
		t.Errorf("GetAccessKeyPolicy called %d times, want 2", n)
	}
	recs := journalRecs(t, dir)
	var intents, outcomes int
	for _, r := range recs {
		switch r.Kind {
		case journal.KindIntent:
			intents++
			if r.Operator == "" || r.Endpoint == "" || r.PlanHash != p.Hash || len(r.Before) == 0 || len(r.After) == 0 {
				t.Errorf("intent lacks context: %+v", r)
			}
		case journal.KindOutcome:
			outcomes++
			if r.Result != journal.ResultOK || r.RequestID == "" {
				t.Errorf("outcome %+v", r)
			}
		}
	}
	if intents != 4 || outcomes != 4 {
		t.Errorf("journal has %d intents, %d outcomes; want 4 each", intents, outcomes)
	}

	// Second run: nothing to do, no journal written.
	files, _ := journal.Files(dir, leakedKey)
	p2, err := PlanContain(ctx, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Changes() != 0 {
		t.Fatalf("second plan has changes: %v", actionIDs(p2))
	}
	before := len(f.mutations())
	sum2, err := Execute(ctx, p2, ExecOptions{StateDir: dir, Now: opts.Now})
	if err != nil || !sum2.NoChange || !strings.Contains(sum2.Message, "already contained") {
		t.Fatalf("second run: %+v %v", sum2, err)
	}
	files2, _ := journal.Files(dir, leakedKey)
	if len(f.mutations()) != before || len(files2) != len(files) {
		t.Errorf("no-op run changed something")
	}

	// Undo of the deny policy while the key is Active is refused (the
	// leak-response plan keeps it until the key is disabled and deleted).
	refused, err := PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: dir, Now: opts.Now})
	if err != nil {
		t.Fatal(err)
	}
	if r := refused.Blocked(); r == nil || r.Rule != "undo-deny-active-key" || r.ExitCode() != 4 || r.Override != "--force" ||
		!strings.Contains(r.Detail, "until the key is disabled and deleted") {
		t.Fatalf("undo of the deny policy on an Active key: rail %v", r)
	}
	// Undo restores everything with --force.
	up, err := PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: dir, Now: opts.Now, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"undo-mfa:app-prod", "undo-attach:app-prod", "undo-deny-policy", "undo-network-acl"}, actionIDs(up)); d != "" {
		t.Errorf("undo actions (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"undo-deny-active-key"}, railRules(up)); d != "" {
		t.Fatalf("undo rails (-want +got):\n%s", d)
	}
	usum, err := Execute(ctx, up, ExecOptions{StateDir: dir, Now: opts.Now})
	if err != nil {
		t.Fatalf("undo: %v", err)
	}
	if usum.State != "restored" {
		t.Errorf("undo state %q", usum.State)
	}
	if !aclIsNone(f.keys[leakedKey].acl) || f.policies[DefaultPolicyName] != nil || len(f.attached["app-prod"]) != 0 || f.logins["app-prod"].MFABindRequired {
		t.Errorf("undo left state: acl=%s policies=%v attached=%v", f.keys[leakedKey].acl, f.policies, f.attached)
	}
	// A second undo has nothing to do.
	up2, err := PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: dir, Now: opts.Now, All: true, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if up2.Changes() != 0 {
		t.Errorf("second undo plans %v", actionIDs(up2))
	}
}

func TestApplyDriftRefuses(t *testing.T) {
	f := newFake()
	ctx := context.Background()
	opts := containOpts()
	p, err := PlanContain(ctx, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	f.keys[leakedKey].acl = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["192.0.2.0/24"]}]}`
	sum, err := Execute(ctx, p, ExecOptions{StateDir: t.TempDir(), Now: opts.Now}) // RecheckAfter 0: always re-check
	var d *DriftError
	if !errors.As(err, &d) || d.ExitCode() != 4 || d.ActionID != "network-acl" {
		t.Fatalf("err = %v, want drift on network-acl", err)
	}
	if f.callCount("SetAccessKeyPolicy") != 0 {
		t.Error("drifted action was applied")
	}
	if sum.Outcomes["attach:app-prod"].Status != OutcomeApplied {
		t.Errorf("independent actions should still apply: %+v", sum.Outcomes)
	}
}

func TestApplyPartialFailure(t *testing.T) {
	f := newFake()
	f.fail["AttachPolicyToUser"] = &cloudAPIError{API: "ram:AttachPolicyToUser", Code: "NoPermission", HTTPStatus: 403, RequestID: "REQ-X"}
	ctx := context.Background()
	opts := containOpts(func(o *ContainOptions) { o.RequireMFA = true })
	p, err := PlanContain(ctx, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sum, err := Execute(ctx, p, ExecOptions{StateDir: dir, Now: opts.Now, RecheckAfter: time.Hour, Retry: "akresp contain " + leakedKey + " --allow-ip 127.0.0.10/32 --yes"})
	var pe *PartialError
	if !errors.As(err, &pe) || pe.ExitCode() != 1 {
		t.Fatalf("err = %v, want partial", err)
	}
	if !strings.Contains(err.Error(), "attach:app-prod") || !strings.Contains(err.Error(), "retry with: akresp contain") {
		t.Errorf("message %q should name the action and the retry", err)
	}
	if sum.State != StatePartiallyContained {
		t.Errorf("state %q", sum.State)
	}
	var found bool
	for _, r := range journalRecs(t, dir) {
		if r.Kind == journal.KindOutcome && r.ActionID == "attach:app-prod" {
			found = r.Result == journal.ResultError && r.ErrorCode == "NoPermission" && r.RequestID == "REQ-X"
		}
	}
	if !found {
		t.Error("journal lacks the failed outcome with code and request id")
	}
	// Retrying after the permission is fixed completes it.
	delete(f.fail, "AttachPolicyToUser")
	p2, _ := PlanContain(ctx, f, opts)
	if d := cmp.Diff([]string{"network-acl(noop)", "deny-policy(noop)", "attach:app-prod", "mfa:app-prod(noop)"}, actionIDs(p2)); d != "" {
		t.Errorf("retry plan (-want +got):\n%s", d)
	}
	if _, err := Execute(ctx, p2, ExecOptions{StateDir: dir, Now: opts.Now}); err != nil {
		t.Fatal(err)
	}
}

func TestApplyFirstInterruptStopsNewActions(t *testing.T) {
	f := newFake()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.hook = func(m string) {
		if m == "CreatePolicy" {
			cancel() // first Ctrl-C while CreatePolicy is in flight
		}
	}
	opts := containOpts()
	p, err := PlanContain(context.Background(), f, opts)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sum, err := Execute(ctx, p, ExecOptions{StateDir: dir, Now: opts.Now, RecheckAfter: time.Hour})
	if err == nil || !sum.Interrupted {
		t.Fatalf("want interrupted partial, got %v %+v", err, sum)
	}
	if f.policies[DefaultPolicyName] == nil {
		t.Error("the in-flight CreatePolicy should have completed")
	}
	if sum.Outcomes["attach:app-prod"].Status != OutcomeInterrupted {
		t.Errorf("attach should not start after the interrupt: %+v", sum.Outcomes["attach:app-prod"])
	}
	if len(journal.Pending(journalRecs(t, dir))) != 0 {
		t.Error("in-flight calls must be journaled with an outcome")
	}
}

// A process killed between an API call and its outcome record leaves an
// intent without outcome; the next run completes the plan and undo still
// knows the original state.
func TestKilledRunIsCompletedAndUndone(t *testing.T) {
	dir := t.TempDir()
	f := newFake()
	ctx := context.Background()
	opts := containOpts()
	p, err := PlanContain(ctx, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Simulate the dead run: journal the plan and intents for the ACL and
	// the policy, make those calls, and "die" before any outcome.
	j, err := journal.Open(dir, leakedKey, CmdContain, opts.Now)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"network-acl", "deny-policy"} {
		a := p.Action(id)
		if err := j.Append(journal.Record{Kind: journal.KindIntent, ActionID: a.ID, Action: a.Kind, Target: a.Target, Before: a.Before, After: a.After, PlanHash: p.Hash}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Apply(ctx); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	// Torn last line, as if killed mid-write.
	fh, _ := os.OpenFile(j.Path(), os.O_APPEND|os.O_WRONLY, 0o600)
	fh.WriteString(`{"kind":"outc`)
	fh.Close()

	p2, err := PlanContain(ctx, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"network-acl(noop)", "deny-policy(noop)", "attach:app-prod"}, actionIDs(p2)); d != "" {
		t.Errorf("resume plan (-want +got):\n%s", d)
	}
	sum, err := Execute(ctx, p2, ExecOptions{StateDir: dir, Now: opts.Now})
	if err != nil || sum.State != StateContained {
		t.Fatalf("resume: %v %+v", err, sum)
	}
	var reconciled int
	for _, r := range journalRecs(t, dir) {
		if r.Action == "reconcile" {
			reconciled++
		}
	}
	if reconciled != 2 {
		t.Errorf("want 2 reconcile notes, got %d", reconciled)
	}
	up, err := PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: dir, Now: opts.Now, All: true, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Execute(ctx, up, ExecOptions{StateDir: dir, Now: opts.Now}); err != nil {
		t.Fatal(err)
	}
	if !aclIsNone(f.keys[leakedKey].acl) || f.policies[DefaultPolicyName] != nil || len(f.attached["app-prod"]) != 0 {
		t.Errorf("undo after resume left state: acl=%s policies=%v attached=%v", f.keys[leakedKey].acl, f.policies, f.attached)
	}
	_ = filepath.Base
}

func TestUndoRefusesDriftedState(t *testing.T) {
	dir := t.TempDir()
	f := newFake()
	ctx := context.Background()
	opts := containOpts()
	p, _ := PlanContain(ctx, f, opts)
	if _, err := Execute(ctx, p, ExecOptions{StateDir: dir, Now: opts.Now}); err != nil {
		t.Fatal(err)
	}
	f.keys[leakedKey].acl = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["198.51.100.7"]}]}`
	up, err := PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: dir, Now: opts.Now, ACLOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := up.Blocked(); r == nil || r.Rule != "undo-drift" {
		t.Fatalf("want undo-drift rail, got %v", up.Rails)
	}
	if _, err := Execute(ctx, up, ExecOptions{StateDir: dir, Now: opts.Now}); err == nil {
		t.Fatal("Execute ran a blocked plan")
	}
}

func TestPolicyUpdatePrunesVersions(t *testing.T) {
	f := newFake()
	var vs []cloudVersion
	for i := 1; i <= 5; i++ {
		vs = append(vs, cloudVersion{VersionID: "v" + string(rune('0'+i)), Document: `{"Version":"1","Statement":[{"Effect":"Deny","Action":"ecs:Old` + string(rune('0'+i)) + `","Resource":"*"}]}`, IsDefault: i == 5, CreateDate: t0.Add(time.Duration(i) * time.Hour)})
	}
	f.policies[DefaultPolicyName] = &fakePolicy{next: 6, versions: vs}
	dir := t.TempDir()
	ctx := context.Background()
	opts := containOpts(func(o *ContainOptions) { o.ACL = ACLRequest{} })
	p, err := PlanContain(ctx, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	if a := p.Action("deny-policy"); a.Noop || len(a.Warnings) == 0 {
		t.Fatalf("deny-policy should update with a warning: %+v", a)
	}
	if _, err := Execute(ctx, p, ExecOptions{StateDir: dir, Now: opts.Now}); err != nil {
		t.Fatal(err)
	}
	got := f.policies[DefaultPolicyName].versions
	if len(got) != 5 || got[0].VersionID != "v2" || !got[4].IsDefault {
		t.Fatalf("versions after update: %+v", got)
	}
	// Undo puts the previous document back as default and keeps the policy.
	up, _ := PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: dir, Now: opts.Now, All: true, Force: true})
	if _, err := Execute(ctx, up, ExecOptions{StateDir: dir, Now: opts.Now}); err != nil {
		t.Fatal(err)
	}
	pol, _ := f.GetPolicy(ctx, DefaultPolicyName, "Custom")
	if !documentsEqual(pol.Document, vs[4].Document) {
		t.Errorf("default after undo = %s", pol.Document)
	}
}

func TestStatus(t *testing.T) {
	dir := t.TempDir()
	f := newFake()
	ctx := context.Background()
	st, err := Status(ctx, f, dir, leakedKey, "")
	if err != nil {
		t.Fatal(err)
	}
	if st.State != StateNotContained || st.KeyStatus != "Active" {
		t.Errorf("before: %+v", st)
	}
	opts := containOpts(func(o *ContainOptions) { o.ACL = ACLRequest{} })
	p, _ := PlanContain(ctx, f, opts)
	if _, err := Execute(ctx, p, ExecOptions{StateDir: dir, Now: opts.Now}); err != nil {
		t.Fatal(err)
	}
	st, _ = Status(ctx, f, dir, leakedKey, "")
	if st.State != StatePartiallyContained || !st.DenyPolicy.Attached || st.LastRun == "" {
		t.Errorf("policy only: %+v", st)
	}
	p, _ = PlanContain(ctx, f, containOpts())
	if _, err := Execute(ctx, p, ExecOptions{StateDir: dir, Now: opts.Now}); err != nil {
		t.Fatal(err)
	}
	st, _ = Status(ctx, f, dir, leakedKey, "")
	if st.State != StateContained || !st.ACLEnforced {
		t.Errorf("contained: %+v", st)
	}
}

func TestBlastRadiusAndACLHelpers(t *testing.T) {
	doc, err := renderACL(ACLRequest{AllowIPs: []string{"127.0.0.10/32", "10.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	b := blastRadius([]Caller{
		{IP: netip.MustParseAddr("10.2.3.4"), LastSeen: t0.Add(-time.Hour)},
		{IP: netip.MustParseAddr("127.0.0.66"), LastSeen: t0.Add(-time.Minute), Flagged: true},
		{IP: netip.MustParseAddr("192.0.2.1"), LastSeen: t0.Add(-30 * time.Hour)},
	}, doc, t0)
	if b.CutOff != 2 || b.Recent != 1 || b.RecentCutOff != 0 {
		t.Errorf("blast %+v", b)
	}
	if b.Callers[0].IP.String() != "127.0.0.66" || !b.Callers[0].CutOff {
		t.Errorf("callers not newest first / wrong cut-off: %+v", b.Callers)
	}
	eq := []struct {
		a, b string
		want bool
	}{
		{"", inactiveACL, true},
		{"", doc, false},
		{doc, `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["10.0.0.0/8","127.0.0.10"]}]}`, true},
		{doc, `{"Version":1,"Status":"Inactive","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["10.0.0.0/8","127.0.0.10"]}]}`, false},
	}
	for _, tc := range eq {
		if got := aclEquivalent(tc.a, tc.b); got != tc.want {
			t.Errorf("aclEquivalent(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
	for doc, want := range map[string]string{"": "none", inactiveACL: "none (Inactive)", "{": "unparsable policy"} {
		if got := describeACL(doc); got != want {
			t.Errorf("describeACL(%q) = %q, want %q", doc, got, want)
		}
	}
	if got := describeACL(doc); !strings.Contains(got, "public 10.0.0.0/8,127.0.0.10/32") {
		t.Errorf("describeACL = %q", got)
	}
}

func TestTrustedFromAuditACL(t *testing.T) {
	f := newFake()
	p, err := PlanContain(context.Background(), f, containOpts(func(o *ContainOptions) {
		o.TrustedFromAudit = true
		o.Evidence = &Evidence{SuggestedTrusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.10/32"), netip.MustParsePrefix("198.51.100.7/32")}}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Action("network-acl").AfterText; got != "Active: public 127.0.0.10/32,198.51.100.7/32" {
		t.Errorf("ACL = %q", got)
	}
}

func TestUndoKeepsCreatedKeysDisabled(t *testing.T) {
	dir := t.TempDir()
	f := newFake()
	f.addUser("svc-backup", "LTAIbackupbackupbackup01")
	ctx := context.Background()
	opts := containOpts(func(o *ContainOptions) {
		o.ContainCreated = true
		o.Evidence = &Evidence{Created: []CreatedIdentity{{Kind: "user", Name: "svc-backup"}, {Kind: "access_key", Name: "LTAIbackupbackupbackup01", User: "svc-backup"}}}
	})
	p, err := PlanContain(ctx, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Execute(ctx, p, ExecOptions{StateDir: dir, Now: opts.Now}); err != nil {
		t.Fatal(err)
	}
	if f.keys["LTAIbackupbackupbackup01"].status != "Inactive" || !slices.Contains(f.attached["svc-backup"], DefaultPolicyName) {
		t.Fatalf("created identities not contained: %+v %v", f.keys["LTAIbackupbackupbackup01"], f.attached)
	}
	up, err := PlanUndo(ctx, f, UndoOptions{KeyID: leakedKey, StateDir: dir, Now: opts.Now, All: true, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Execute(ctx, up, ExecOptions{StateDir: dir, Now: opts.Now}); err != nil {
		t.Fatal(err)
	}
	if f.keys["LTAIbackupbackupbackup01"].status != "Inactive" {
		t.Error("undo re-activated a key the attacker created")
	}
	if f.policies[DefaultPolicyName] != nil || len(f.attached["svc-backup"]) != 0 {
		t.Errorf("undo left the deny policy: %v %v", f.policies, f.attached)
	}
	if !slices.ContainsFunc(up.Notes, func(n string) bool { return strings.Contains(n, "stays disabled") }) {
		t.Errorf("undo notes %q", up.Notes)
	}
}

func railRules(p *Plan) []string {
	var out []string
	for _, r := range p.Rails {
		out = append(out, r.Rule)
	}
	return out
}

// An identity whose state cannot be read is "unknown" with the reason in
// current_error (a machine field holds no display text), a warning names
// it, and nothing is planned for it; the states read are the machine
// values docs/json.md lists.
func TestContainCreatedStateUnknown(t *testing.T) {
	f := newFake()
	f.addUser("svc-backup", "LTAIbackupbackupbackup01")
	f.fail["GetUser"] = &cloud.APIError{API: "GetUser", Code: "Throttling.User", HTTPStatus: 400, RequestID: "REQ-T"}
	opts := containOpts(func(o *ContainOptions) {
		o.ContainCreated = true
		o.Evidence = &Evidence{Created: []CreatedIdentity{
			{Kind: "user", Name: "svc-backup"},
			{Kind: "access_key", Name: "LTAIbackupbackupbackup01", User: "svc-backup"},
			{Kind: "login_profile", Name: "app-prod"},
			{Kind: "policy_attachment", Name: "AdministratorAccess"},
		}}
	})
	p, err := PlanContain(context.Background(), f, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]CreatedIdentity{}
	for _, c := range p.Created {
		got[c.Kind] = c
	}
	if u := got["user"]; u.Current != "unknown" || !strings.Contains(u.CurrentError, "Throttling.User") {
		t.Errorf("user = %+v, want current unknown with the error", u)
	}
	if k := got["access_key"]; k.Current != "Active" || k.CurrentError != "" {
		t.Errorf("access key = %+v", k)
	}
	if lp := got["login_profile"]; lp.Current != "exists" {
		t.Errorf("login profile = %+v", lp)
	}
	if pa := got["policy_attachment"]; pa.Current != "not_checked" {
		t.Errorf("policy attachment without a user = %+v", pa)
	}
	if slices.Contains(actionIDs(p), "attach:svc-backup") {
		t.Errorf("planned for a user in an unknown state: %v", actionIDs(p))
	}
	warned := false
	for _, d := range p.Diagnostics {
		warned = warned || (d.Target == "user svc-backup" && strings.Contains(d.Detail, "Throttling.User"))
	}
	if !warned {
		t.Errorf("no warning for the unknown user: %+v", p.Diagnostics)
	}
}

// contain --status says what completes the containment of an active key:
// the deny policy, the fence, or both; nothing for a contained, disabled
// or interrupted one.
func TestStatusNext(t *testing.T) {
	const k = "LTAI5tSTATUSNEXT0000001"
	for _, tc := range []struct {
		name string
		st   ContainStatus
		want string
	}{
		{"fenced, no deny", ContainStatus{KeyStatus: "Active", OwnerType: OwnerRAMUser, ACLEnforced: true, State: StatePartiallyContained},
			"attach the deny-high-risk policy (the network ACL in effect stays): akresp contain " + k},
		{"deny, open", ContainStatus{KeyStatus: "Active", OwnerType: OwnerRAMUser, DenyPolicy: DenyPolicyState{Attached: true}, State: StatePartiallyContained},
			"fence public sources in: akresp contain " + k + " --trusted-from-audit (or --allow-ip CIDR)"},
		{"nothing", ContainStatus{KeyStatus: "Active", OwnerType: OwnerRAMUser, State: StateNotContained},
			"contain the key: akresp contain " + k + " --trusted-from-audit (or --allow-ip CIDR)"},
		{"contained", ContainStatus{KeyStatus: "Active", OwnerType: OwnerRAMUser, ACLEnforced: true, DenyPolicy: DenyPolicyState{Attached: true}, State: StateContained}, ""},
		{"root, fenced", ContainStatus{KeyStatus: "Active", OwnerType: OwnerRoot, ACLEnforced: true, State: StateContained}, ""},
		{"disabled", ContainStatus{KeyStatus: "Inactive", OwnerType: OwnerRAMUser, State: StateNotContained}, ""},
		{"interrupted", ContainStatus{KeyStatus: "Active", OwnerType: OwnerRAMUser, State: StateNotContained, Pending: []string{"attach"}}, ""},
		{"another policy name", ContainStatus{KeyStatus: "Active", OwnerType: OwnerRAMUser, ACLEnforced: true, State: StatePartiallyContained, DenyPolicy: DenyPolicyState{PolicyName: "ir-deny"}},
			"attach the deny-high-risk policy (the network ACL in effect stays): akresp contain " + k + " --policy-name ir-deny"},
	} {
		tc.st.KeyID = k
		got := strings.Join(statusNext(&tc.st), "\n")
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// An identity made from a source of the key's own (the audit does not
// count it as the attacker's while another source is) is left alone by
// --contain-created, with a note naming where it came from; it does not
// count as still to contain.
func TestContainCreatedLeavesTheOwnersIdentities(t *testing.T) {
	f := newFake()
	f.addUser("svc-backup", "LTAIbackupbackupbackup01")
	f.addUser("ops-intern", "LTAIinterninterninter001")
	opts := containOpts(func(o *ContainOptions) {
		o.ContainCreated = true
		o.Evidence = &Evidence{Created: []CreatedIdentity{
			{Kind: "user", Name: "svc-backup", SourceIP: "127.0.0.66"},
			{Kind: "access_key", Name: "LTAIbackupbackupbackup01", User: "svc-backup", SourceIP: "127.0.0.66"},
			{Kind: "user", Name: "ops-intern", SourceIP: "127.0.0.10", Owners: true},
			{Kind: "access_key", Name: "LTAIinterninterninter001", User: "ops-intern", SourceIP: "127.0.0.10", Owners: true},
		}}
	})
	p, err := PlanContain(context.Background(), f, opts)
	if err != nil {
		t.Fatal(err)
	}
	if p.Action("disable-key:LTAIbackupbackupbackup01") == nil || p.Action("disable-key:LTAIinterninterninter001") != nil {
		t.Errorf("actions %v: want the attacker's key disabled, the intern's left alone", actionIDsOf(p))
	}
	for _, a := range p.Actions {
		if strings.Contains(a.Target, "ops-intern") || strings.Contains(a.Summary, "ops-intern") {
			t.Errorf("action %s acts on the owners' user", a.ID)
		}
	}
	want := "created key LTAIinterninterninter001 of ops-intern was made from 127.0.0.10, a source of the key's own"
	if !slices.ContainsFunc(p.Notes, func(n string) bool { return strings.HasPrefix(n, want) }) {
		t.Errorf("notes %q, want one starting %q", p.Notes, want)
	}
	if n := containable(p); n != 2 {
		t.Errorf("containable %d, want the attacker's 2", n)
	}
}
