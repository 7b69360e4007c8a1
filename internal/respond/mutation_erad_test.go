package respond

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/journal"
)

// eradFake is the little of an EradicateCloud the planner reads in these
// tests; any other call panics on the nil embedded interface.
type eradFake struct {
	EradicateCloud
	instances map[string]cloud.Instance // by ID
	policies  map[string]cloud.Policy
	versions  map[string][]cloud.PolicyVersion
	mfa       *fakeMFA
}

func (f *eradFake) GetCallerIdentity(ctx context.Context) (cloud.CallerIdentity, error) {
	return cloud.CallerIdentity{IdentityType: "Account", AccountID: "1", Arn: "acs:ram::1:root"}, nil
}
func (f *eradFake) Endpoint() string { return "127.0.0.1:1" }
func (f *eradFake) DescribeInstancesIn(ctx context.Context, region string, ids []string) ([]cloud.Instance, error) {
	var out []cloud.Instance
	for _, id := range ids {
		if in, ok := f.instances[id]; ok {
			out = append(out, in)
		}
	}
	return out, nil
}
func (f *eradFake) GetPolicy(ctx context.Context, name, typ string) (cloud.Policy, error) {
	p, ok := f.policies[name]
	if !ok {
		return cloud.Policy{}, notFound("ram:GetPolicy", "EntityNotExist.Policy")
	}
	return p, nil
}
func (f *eradFake) ListPolicyVersions(ctx context.Context, name, typ string) ([]cloud.PolicyVersion, error) {
	return f.versions[name], nil
}
func (f *eradFake) GetUserMFAInfo(ctx context.Context, user string) (cloud.MFAInfo, error) {
	return f.mfa.GetUserMFAInfo(ctx, user)
}

var (
	eradT0       = time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	eradAttacker = "203.0.113.66"
	eradOffice   = "198.51.100.10"
)

func eradAt(m int) time.Time { return eradT0.Add(time.Duration(m) * time.Minute) }

func eradEvidence(evs ...EventRef) *EradicateEvidence {
	return &EradicateEvidence{Flagged: []netip.Addr{netip.MustParseAddr(eradAttacker)}, Events: evs}
}

func runInstance(src, id string, m int, region, regionID string) EventRef {
	p := map[string]string{}
	if regionID != "" {
		p["RegionId"] = regionID
	}
	return EventRef{Time: eradAt(m), Name: "RunInstances", Service: "Ecs", Region: region, SourceIP: src, Params: p,
		Response: map[string]any{"InstanceIdSets": map[string]any{"InstanceIdSet": []any{id}}}}
}

// The plan's clock is the one given, not the wall clock; with no flagged
// source the plan says nothing is attributed and carries no evidence
// block; with one it does, and no plan note is ever empty.
func TestEradicatePlanClockNotesAndEvidence(t *testing.T) {
	ctx := context.Background()
	c := &eradFake{mfa: &fakeMFA{bound: "acs:ram::1:mfa/owner"}}
	fixed := time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)
	const noFlag = "no source is flagged as the attacker"

	p, err := PlanEradicate(ctx, c, EradicateOptions{KeyID: "LTAIleak", Evidence: &EradicateEvidence{}, Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	if !p.ObservedAt.Equal(fixed) {
		t.Errorf("observed at %v, want the given clock's %v", p.ObservedAt, fixed)
	}
	if len(p.Notes) != 1 || !strings.Contains(p.Notes[0], noFlag) {
		t.Errorf("no flagged source: notes %q, want only %q", p.Notes, noFlag)
	}
	if p.Evidence != nil {
		t.Errorf("no flagged source: evidence %+v, want none", p.Evidence)
	}

	// Flagged: the attacker bound its device to alice, but alice's own is
	// bound now: nothing to plan for it and no (empty) note either.
	ev := eradEvidence(EventRef{Time: eradAt(1), Name: "BindMFADevice", Service: "Ram", SourceIP: eradAttacker,
		Params: map[string]string{"UserName": "alice", "SerialNumber": "acs:ram::1:mfa/evil"}})
	ev.Onset = eradAt(0)
	p, err = PlanEradicate(ctx, c, EradicateOptions{KeyID: "LTAIleak", Evidence: ev, Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range p.Notes {
		if n == "" || strings.Contains(n, noFlag) {
			t.Errorf("flagged source: note %q (notes %q)", n, p.Notes)
		}
	}
	if len(p.Actions) != 0 {
		t.Errorf("actions %v, want none (the attacker's device is no longer bound)", actionIDsOf(p))
	}
	if p.Evidence == nil || !slices.Equal(p.Evidence.FlaggedIPs, []string{eradAttacker}) || p.Evidence.Onset != "2026-01-02T03:00:00Z" {
		t.Errorf("evidence %+v, want the flagged source and the onset", p.Evidence)
	}
}

func actionIDsOf(p *Plan) []string {
	var ids []string
	for _, a := range p.Actions {
		ids = append(ids, a.ID)
	}
	return ids
}

// With --release, an attacker's instance stopped with no journal record
// is released only after the default observation period (an Observe of 0
// means the default), and one akresp stopped more than Observe ago (per
// the journal in the state directory) is released now.
func TestEradicateReleaseObservePeriod(t *testing.T) {
	ctx := context.Background()
	c := &eradFake{instances: map[string]cloud.Instance{"i-evil": {InstanceID: "i-evil", Status: "Stopped", InstanceType: "ecs.g7.large"}}}
	ev := eradEvidence(runInstance(eradAttacker, "i-evil", 0, "cn-hangzhou", ""))
	now := eradT0.Add(30 * time.Hour)
	clock := func() time.Time { return now }

	p, err := PlanEradicate(ctx, c, EradicateOptions{KeyID: "LTAIleak", Evidence: ev, Release: true, Observe: 0, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if a := p.Action("stop-instance:i-evil"); a == nil || !a.Noop || p.Action("release-instance:i-evil") != nil {
		t.Errorf("no journal: actions %v, want only the (no-op) stop", actionIDsOf(p))
	}
	if !slices.ContainsFunc(p.Notes, func(n string) bool {
		return strings.Contains(n, "instance i-evil: released after it has been stopped for 24h0m0s")
	}) {
		t.Errorf("notes %q, want the release after the default 24h", p.Notes)
	}

	// akresp stopped it at T0+1h (journaled): 29h ago > 24h: release.
	dir := t.TempDir()
	j, err := journal.Open(dir, "LTAIleak", CmdEradicate, func() time.Time { return eradT0.Add(time.Hour) })
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(journal.Record{Kind: journal.KindOutcome, Result: journal.ResultOK, Action: KindInstanceState, Target: "i-evil",
		ActionID: "stop-instance:i-evil", Before: []byte(`{"status":"Running"}`), After: []byte(`{"status":"Stopped"}`)}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	p, err = PlanEradicate(ctx, c, EradicateOptions{KeyID: "LTAIleak", Evidence: ev, Release: true, StateDir: dir, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if a := p.Action("release-instance:i-evil"); a == nil || a.Noop {
		t.Errorf("stopped 29h ago per the journal: actions %v, want release-instance:i-evil", actionIDsOf(p))
	}
}

// The footprint: created users with the events on them, created regions
// from RegionId, attaching to an existing role, a legitimate later write
// keeping a role.
func TestCollectFootprintCreatedAndRegions(t *testing.T) {
	created := EventRef{ID: "ev-cu", Time: eradAt(0), Name: "CreateUser", Service: "Ram", SourceIP: eradAttacker, Params: map[string]string{"UserName": "evil"}}
	key := EventRef{ID: "ev-ck", Time: eradAt(1), Name: "CreateAccessKey", Service: "Ram", SourceIP: eradAttacker, Params: map[string]string{"UserName": "evil"},
		Response: map[string]any{"AccessKey": map[string]any{"AccessKeyId": "LTAIevil"}}}
	ev := eradEvidence(created, key,
		runInstance(eradAttacker, "i-evil", 2, "cn-hangzhou", "us-west-1"),
		EventRef{Time: eradAt(3), Name: "ImportKeyPair", Service: "Ecs", Region: "cn-hangzhou", SourceIP: eradAttacker,
			Params: map[string]string{"RegionId": "us-west-1", "KeyPairName": "evil-key"}},
		EventRef{Time: eradAt(4), Name: "AttachPolicyToRole", Service: "Ram", SourceIP: eradAttacker,
			Params: map[string]string{"RoleName": "ops-deploy", "PolicyName": "AdministratorAccess", "PolicyType": "System"}},
		EventRef{Time: eradAt(5), Name: "CreateRole", Service: "Ram", SourceIP: eradAttacker, Params: map[string]string{"RoleName": "shared"}},
		EventRef{Time: eradAt(6), Name: "UpdateRole", Service: "Ram", SourceIP: eradOffice,
			Params: map[string]string{"RoleName": "shared", "NewAssumeRolePolicyDocument": `{"Statement":[]}`}},
		EventRef{Time: eradAt(7), Name: "CreateRole", Service: "Ram", SourceIP: eradAttacker, Params: map[string]string{"RoleName": "backdoor"}},
		EventRef{Time: eradAt(8), Name: "UpdateRole", Service: "Ram", SourceIP: eradOffice, ErrorCode: "NoPermission",
			Params: map[string]string{"RoleName": "backdoor", "NewAssumeRolePolicyDocument": `{"Statement":[]}`}},
	)
	f := collectFootprint(ev)
	if !slices.Equal(f.createdUsers, []string{"evil"}) {
		t.Errorf("created users %v, want [evil]", f.createdUsers)
	}
	if got := f.userEvents["evil"]; !slices.Equal(got, []string{"ev-cu", "ev-ck"}) {
		t.Errorf("events on evil %v, want its creation and its key", got)
	}
	if len(f.instances) != 1 || f.instances[0].region != "us-west-1" {
		t.Errorf("instances %+v, want i-evil in us-west-1 (RegionId over the event's region)", f.instances)
	}
	if len(f.keyPairs) != 1 || f.keyPairs[0].region != "us-west-1" || f.keyPairs[0].name != "evil-key" {
		t.Errorf("key pairs %+v, want evil-key in us-west-1", f.keyPairs)
	}
	var mods []string
	for _, m := range f.modified {
		mods = append(mods, m.what)
	}
	if !slices.Equal(mods, []string{"AdministratorAccess attached to role ops-deploy"}) {
		t.Errorf("modified %q, want the policy attached to the existing role", mods)
	}
	var roles []string
	for _, r := range f.roles {
		roles = append(roles, r.name)
	}
	if !slices.Equal(roles, []string{"backdoor"}) {
		t.Errorf("roles %v, want backdoor only (shared was changed by the office after; the office's refused call changes nothing)", roles)
	}
	if len(f.kept) != 1 || !strings.Contains(f.kept[0], "role shared also changed by "+eradOffice) {
		t.Errorf("kept %q, want role shared kept naming the office", f.kept)
	}
}

// A policy version the attacker created (not as default) is not the one
// to revert to when the attacker later sets its own default: the newest
// earlier version not the attacker's is.
func TestCollectFootprintAttackerVersionsNotRestored(t *testing.T) {
	ctx := context.Background()
	ev := eradEvidence(
		EventRef{Time: eradAt(0), Name: "CreatePolicyVersion", Service: "Ram", SourceIP: eradAttacker, Params: map[string]string{"PolicyName": "app-read"},
			Response: map[string]any{"PolicyVersion": map[string]any{"VersionId": "v2"}}},
		EventRef{Time: eradAt(1), Name: "CreatePolicyVersion", Service: "Ram", SourceIP: eradAttacker, Params: map[string]string{"PolicyName": "app-read", "SetAsDefault": "true"},
			Response: map[string]any{"PolicyVersion": map[string]any{"VersionId": "v3"}}},
	)
	f := collectFootprint(ev)
	if len(f.modified) != 1 {
		t.Fatalf("modified %+v, want the default version change", f.modified)
	}
	c := &eradFake{policies: map[string]cloud.Policy{"app-read": {PolicyName: "app-read", DefaultVersion: "v3"}},
		versions: map[string][]cloud.PolicyVersion{"app-read": {{VersionID: "v1"}, {VersionID: "v2"}, {VersionID: "v3", IsDefault: true}}}}
	a, note, err := f.modified[0].plan(ctx, c)
	if err != nil || a == nil {
		t.Fatalf("plan: %v %q %v", a, note, err)
	}
	if got := a.after.(policyDefaultState).DefaultVersion; got != "v1" {
		t.Errorf("revert to %s, want v1 (v2 is the attacker's too)", got)
	}
}

// The version before the attacker's, when the evidence has it, is the one
// restored, without looking for another or warning it is a guess.
func TestPlanRevertDefaultKnownPrevious(t *testing.T) {
	c := &eradFake{policies: map[string]cloud.Policy{"app-read": {PolicyName: "app-read", DefaultVersion: "v3"}},
		versions: map[string][]cloud.PolicyVersion{"app-read": {{VersionID: "v1"}, {VersionID: "v2"}, {VersionID: "v3", IsDefault: true}}}}
	a, note, err := planRevertDefault(context.Background(), c, "app-read", "v3", "v1", nil)
	if err != nil || a == nil {
		t.Fatalf("plan: %v %q %v", a, note, err)
	}
	if got := a.after.(policyDefaultState).DefaultVersion; got != "v1" || len(a.Warnings) != 0 {
		t.Errorf("revert to %s, warnings %q; want v1 (from the evidence) and no warning", got, a.Warnings)
	}
}

// The attacker's MFA device bound to an existing user, when another
// device is bound now, is nothing to plan (not a no-op action).
func TestCollectFootprintMFANoLongerBound(t *testing.T) {
	ev := eradEvidence(EventRef{Time: eradAt(1), Name: "BindMFADevice", Service: "Ram", SourceIP: eradAttacker,
		Params: map[string]string{"UserName": "alice", "SerialNumber": "acs:ram::1:mfa/evil"}})
	f := collectFootprint(ev)
	if len(f.modified) != 1 {
		t.Fatalf("modified %+v, want the bound device", f.modified)
	}
	for _, tc := range []struct {
		bound  string
		action bool
	}{{"acs:ram::1:mfa/owner", false}, {"acs:ram::1:mfa/evil", true}} {
		a, note, err := f.modified[0].plan(context.Background(), &eradFake{mfa: &fakeMFA{bound: tc.bound}})
		if err != nil || note != "" || (a != nil) != tc.action || (a != nil && a.Noop) {
			t.Errorf("bound %s: action %+v note %q err %v; want action=%v and not a no-op", tc.bound, a, note, err, tc.action)
		}
	}
}

// identifying keeps values up to 128 characters.
func TestIdentifyingValueLength(t *testing.T) {
	v128 := strings.Repeat("a", 128)
	if got := identifying(EventRef{Params: map[string]string{"BucketName": v128, "ObjectName": v128 + "b"}}); got != "BucketName="+v128 {
		t.Errorf("identifying = %q, want only the 128-character name", got)
	}
}

// touchedFootholds names exactly the newer-kind resources an event writes.
func TestTouchedFootholds(t *testing.T) {
	for _, tc := range []struct {
		e    EventRef
		want []string
	}{
		{EventRef{Name: "UpdateRole", Params: map[string]string{"RoleName": "r"}}, []string{"role:r"}},
		{EventRef{Name: "UpdateRole", Params: map[string]string{"UserName": "u"}}, nil},
		{EventRef{Name: "CreatePolicyVersion", Params: map[string]string{"PolicyName": "p"}}, []string{"policy:p"}},
		{EventRef{Name: "CreatePolicyVersion", Params: map[string]string{}}, nil},
		{EventRef{Name: "CreateUser", Params: map[string]string{"PolicyName": "p"}}, nil},
		{EventRef{Name: "AttachPolicyToUser", Params: map[string]string{"PolicyName": "p"}}, nil},
		{EventRef{Name: "DetachPolicyFromUser", Params: map[string]string{"PolicyName": "p"}}, nil},
		{EventRef{Name: "ImportKeyPair", Region: "cn-hangzhou", Params: map[string]string{"KeyPairName": "k"}}, []string{"keypair:cn-hangzhou/k"}},
		{EventRef{Name: "ImportKeyPair", Region: "cn-hangzhou", Params: map[string]string{"KeyPairName": "k", "RegionId": "us-west-1"}}, []string{"keypair:us-west-1/k"}},
		{EventRef{Name: "ImportKeyPair", Region: "cn-hangzhou", Params: map[string]string{}}, nil},
		{EventRef{Name: "ModifyCommand", Params: map[string]string{"CommandId": "c-1"}}, []string{"command:c-1"}},
		{EventRef{Name: "ModifyCommand", Params: map[string]string{"Name": "x"}}, nil},
		{EventRef{Name: "BindMFADevice", Params: map[string]string{"UserName": "u"}}, []string{"mfa:u"}},
		{EventRef{Name: "BindMFADevice", Params: map[string]string{"SerialNumber": "s"}}, nil},
		{EventRef{Name: "UpdateUser", Params: map[string]string{"UserName": "u"}}, nil},
		{EventRef{Name: "ModifyInstanceNetworkSpec", Params: map[string]string{"InstanceId": "i-1"}}, []string{"bandwidth:i-1"}},
		{EventRef{Name: "ModifyInstanceNetworkSpec", Params: map[string]string{}}, nil},
		{EventRef{Name: "StopInstance", Params: map[string]string{"InstanceId": "i-1"}}, nil},
	} {
		if got := touchedFootholds(tc.e); !slices.Equal(got, tc.want) {
			t.Errorf("%s %v: %q, want %q", tc.e.Name, tc.e.Params, got, tc.want)
		}
	}
}

// touched names exactly the users, instances and rules an event writes.
func TestTouched(t *testing.T) {
	for _, tc := range []struct {
		e    EventRef
		want []string
	}{
		{EventRef{Name: "UpdateUser", Params: map[string]string{"UserName": "u"}}, []string{"user:u"}},
		{EventRef{Name: "UpdateUser", Params: map[string]string{"NewUserName": "u"}}, nil},
		{EventRef{Name: "CreateInstance", Response: map[string]any{"InstanceId": "i-1"}}, []string{"instance:i-1"}},
		{EventRef{Name: "RunInstances", Response: map[string]any{"InstanceId": "i-2"}}, []string{"instance:i-2"}},
		{EventRef{Name: "StartInstance", Response: map[string]any{"InstanceId": "i-3"}}, nil},
		{EventRef{Name: "AuthorizeSecurityGroup", Params: map[string]string{"SecurityGroupId": "sg-1", "IpProtocol": "TCP", "PortRange": "22/22", "SourceCidrIp": "0.0.0.0/0"}},
			[]string{"rule:sg-1:tcp:22/22:0.0.0.0/0"}},
		{EventRef{Name: "AuthorizeSecurityGroup", Params: map[string]string{"IpProtocol": "TCP", "PortRange": "22/22"}}, nil},
		{EventRef{Name: "ModifySecurityGroupAttribute", Params: map[string]string{"SecurityGroupId": "sg-1"}}, nil},
	} {
		if got := touched(tc.e); !slices.Equal(got, tc.want) {
			t.Errorf("%s %v %v: %q, want %q", tc.e.Name, tc.e.Params, tc.e.Response, got, tc.want)
		}
	}
}

// previousDefault reads the legitimate, successful events of that policy
// only; previousBandwidth is -1 when the evidence has none.
func TestPreviousDefaultAndBandwidth(t *testing.T) {
	ev := eradEvidence()
	evs := []EventRef{
		{Time: eradAt(0), Name: "CreatePolicy", Service: "Ram", SourceIP: eradOffice, Params: map[string]string{"PolicyName": "app-read"}},
		{Time: eradAt(1), Name: "SetDefaultPolicyVersion", Service: "Ram", SourceIP: eradOffice, ErrorCode: "NoPermission",
			Params: map[string]string{"PolicyName": "app-read", "VersionId": "v4"}},
		{Time: eradAt(2), Name: "SetDefaultPolicyVersion", Service: "Ram", SourceIP: eradOffice, Params: map[string]string{"PolicyName": "other", "VersionId": "v5"}},
	}
	if got := previousDefault(evs, ev, "app-read", eradAt(10)); got != "v1" {
		t.Errorf("previous default %q, want v1 (its creation; the refused change and the other policy's do not count)", got)
	}
	if got := previousBandwidth(evs, ev, "i-1", eradAt(10)); got != -1 {
		t.Errorf("previous bandwidth %d, want -1 (not in the evidence)", got)
	}
}

func (f *eradFake) ListPoliciesForUser(ctx context.Context, user string) ([]cloud.AttachedPolicy, error) {
	return nil, nil
}
func (f *eradFake) ListPoliciesForRole(ctx context.Context, role string) ([]cloud.AttachedPolicy, error) {
	return nil, nil
}

// trustPrincipals names who a readable trust policy lets in, "no one" when
// no one, and says so when the document is unreadable.
func TestTrustPrincipals(t *testing.T) {
	for doc, want := range map[string]string{
		`{"Statement":[{"Effect":"Allow","Principal":{"RAM":["acs:ram::1999:root"],"Service":"ecs.aliyuncs.com"}}]}`: "acs:ram::1999:root, ecs.aliyuncs.com",
		`{"Statement":[{"Effect":"Deny","Principal":{"RAM":"acs:ram::1999:root"}}]}`:                                 "no one",
		`{"Statement":`: "an unreadable document",
	} {
		if got := trustPrincipals(doc); got != want {
			t.Errorf("trustPrincipals(%s) = %q, want %q", doc, got, want)
		}
	}
}

// The undo plan keeps the clock given; with an empty journal it says there
// is nothing to undo; a detach from a user or a role of a policy that
// eradicate then deleted cannot be undone (the policy is gone) and is
// named so, not planned.
func TestEradicateUndoClockAndDeletedPolicy(t *testing.T) {
	ctx := context.Background()
	fixed := time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)
	clock := func() time.Time { return fixed }
	const nothing = "the journal has no eradicate change to undo"

	p, err := PlanEradicateUndo(ctx, &eradFake{}, "LTAIleak", t.TempDir(), clock)
	if err != nil {
		t.Fatal(err)
	}
	if !p.ObservedAt.Equal(fixed) {
		t.Errorf("observed at %v, want the given clock's %v", p.ObservedAt, fixed)
	}
	if !slices.Contains(p.Notes, nothing) {
		t.Errorf("empty journal: notes %q, want %q", p.Notes, nothing)
	}

	dir := t.TempDir()
	j, err := journal.Open(dir, "LTAIleak", CmdEradicate, clock)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []journal.Record{
		{ActionID: "detach-policy:evil:evil-pol", Action: KindUserPolicy, Target: "evil",
			Before: []byte(`{"user":"evil","policy_type":"Custom","policy":"evil-pol","attached":true}`), After: []byte(`{"user":"evil","policy_type":"Custom","policy":"evil-pol","attached":false}`)},
		{ActionID: "detach-policy:Role:ops:evil-pol", Action: KindPrincipalPolicy, Target: "ops",
			Before: []byte(`{"principal_type":"Role","principal":"ops","policy_type":"Custom","policy":"evil-pol","attached":true}`),
			After:  []byte(`{"principal_type":"Role","principal":"ops","policy_type":"Custom","policy":"evil-pol","attached":false}`)},
		{ActionID: "delete-policy:evil-pol", Action: KindDeletePolicy, Target: "evil-pol",
			Before: []byte(`{"policy":"evil-pol","exists":true}`), After: []byte(`{"policy":"evil-pol","exists":false}`)},
	} {
		r.Kind = journal.KindIntent
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	p, err = PlanEradicateUndo(ctx, &eradFake{}, "LTAIleak", dir, clock)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Actions) != 0 {
		t.Errorf("actions %v, want none (the policy is deleted)", actionIDsOf(p))
	}
	for _, id := range []string{"detach-policy:evil:evil-pol", "detach-policy:Role:ops:evil-pol"} {
		want := id + ": policy evil-pol was deleted"
		if !slices.ContainsFunc(p.Notes, func(n string) bool { return strings.Contains(n, want) }) {
			t.Errorf("notes %q, want %q", p.Notes, want)
		}
	}
	if slices.Contains(p.Notes, nothing) {
		t.Errorf("notes %q: the journal has changes", p.Notes)
	}
}
