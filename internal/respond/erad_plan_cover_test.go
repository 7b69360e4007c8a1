package respond

// The branches of the eradicate planner (erad_plan.go) beyond created
// users, pinned by the package's own tests so that mutation testing of
// the package measures them (docs/eradicate.md, "What it plans"): the
// attacker's ECS instances (stopped; with --release, released once
// stopped for --observe; already released), the security-group rules it
// opened, the roles and policies it created, attached or re-trusted, what
// is kept when a legitimate source wrote to the same resource after it,
// what is listed as unrecoverable or by hand, and the plan refused with
// the resource named when a read fails (a missing permission included).
// Through the lab with the real SDK for the end-to-end paths, with a fake
// of the package's interfaces for the edges.

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
)

// ---- the lab ----

// epcFastClients is the lab principal's clients without the client-side
// quotas (the lab does not throttle; 20 instances at ECS's 10 requests/s
// would take seconds per plan).
func epcFastClients(t *testing.T, e *cuLab, principal string) *cloud.Clients {
	t.Helper()
	cred, ok := e.info.Credentials[principal]
	if !ok {
		t.Fatalf("scenario has no credentials for %s", principal)
	}
	return epcClientsFor(t, e, cred.AccessKeyID, cred.AccessKeySecret)
}

func epcClientsFor(t *testing.T, e *cuLab, id, secret string) *cloud.Clients {
	t.Helper()
	return e.connect(t, id, secret, cloud.Config{RateScale: 1000})
}

// epcAttackerEvent is the attacker's one successful event named name.
func epcAttackerEvent(t *testing.T, ev *EradicateEvidence, name string) EventRef {
	t.Helper()
	var out []EventRef
	for _, e := range ev.Events {
		if e.Name == name && ev.flagged(e.SourceIP) && e.ErrorCode == "" {
			out = append(out, e)
		}
	}
	if len(out) != 1 {
		t.Fatalf("the lab's evidence has %d successful %s event(s) of the attacker, want 1", len(out), name)
	}
	return out[0]
}

func epcHasPrefix(notes []string, prefix string) bool {
	return slices.ContainsFunc(notes, func(n string) bool { return strings.HasPrefix(n, prefix) })
}

// builtin:leak on the lab, through the real SDK: the attacker's 20 GPU
// instances in us-west-1 (its RunInstances event) are stopped, not
// released, and listed with their type, status, creation and event; the
// SSH rule it opened to 0.0.0.0/0 on sg-rj9workers0default01 is revoked;
// the office's instance and the group's other rules are not touched; the
// production instance it released is unrecoverable, and its refused
// StopLogging/DeleteTrail are not. After the run a re-run plans nothing;
// --release waits for the observation period from the journaled stop and
// then releases each instance; after that a re-run says each is already
// released and plans nothing for it.
func TestLabEradicateInstancesAndRule(t *testing.T) {
	e := cuStartLab(t)
	e.admin = epcFastClients(t, e, "admin")
	ctx := context.Background()
	dir := t.TempDir()
	const (
		region = "us-west-1"
		gpu    = "ecs.gn6i-c4g1.xlarge"
		sg     = "sg-rj9workers0default01"
		ruleID = "revoke-rule:" + sg + ":tcp:22/22:0.0.0.0/0"
	)
	office, prod := e.info.Notes["office_instance_id"], e.info.Notes["deleted_instance_id"]
	ev := e.evidence(t, time.Now().Add(-7*24*time.Hour), "cn-hangzhou", region)
	run := epcAttackerEvent(t, ev, "RunInstances")
	auth := epcAttackerEvent(t, ev, "AuthorizeSecurityGroup")
	ids := createdInstances(run)
	if len(ids) != 20 {
		t.Fatalf("the attacker's RunInstances created %d instances, want builtin:leak's 20", len(ids))
	}
	rulesBefore, err := e.admin.SecurityGroupRules(ctx, region, sg)
	if err != nil {
		t.Fatal(err)
	}
	attackerRule := cloud.SecurityGroupRule{IPProtocol: "tcp", PortRange: "22/22", SourceCidrIP: "0.0.0.0/0", Policy: "accept"}
	if !slices.ContainsFunc(rulesBefore, attackerRule.Same) {
		t.Fatalf("rules of %s before: %+v, want the attacker's SSH rule", sg, rulesBefore)
	}
	plan := func(release bool, now time.Time) *Plan {
		t.Helper()
		p, err := PlanEradicate(ctx, e.admin, EradicateOptions{KeyID: e.info.Notes["leaked_key_id"], Evidence: ev, StateDir: dir, Release: release,
			Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	p := plan(true, time.Now()) // --release: a running instance is stopped first
	for _, id := range ids {
		a := p.Action("stop-instance:" + id)
		switch {
		case a == nil:
			t.Errorf("no stop-instance:%s; actions %v", id, cuIDs(p))
		case a.Kind != KindInstanceState || a.Noop || !a.Reversible || a.Target != id:
			t.Errorf("%s: kind %s noop %v reversible %v target %s; want a reversible %s change of %s", a.ID, a.Kind, a.Noop, a.Reversible, a.Target, KindInstanceState, id)
		case a.BeforeText != "Running ("+gpu+")" || a.AfterText != "Stopped ("+gpu+")":
			t.Errorf("%s: %q -> %q, want Running -> Stopped (%s)", a.ID, a.BeforeText, a.AfterText, gpu)
		case !slices.Equal(a.Evidence, []string{run.ID}):
			t.Errorf("%s: evidence %v, want the RunInstances event %s", a.ID, a.Evidence, run.ID)
		}
		if p.Action("release-instance:"+id) != nil {
			t.Errorf("release-instance:%s planned for a running instance: it is stopped first", id)
		}
	}
	if len(p.Instances) != len(ids) {
		t.Errorf("plan lists %d instances, want %d", len(p.Instances), len(ids))
	}
	for i, in := range p.Instances {
		if i < len(ids) && (in.ID != ids[i] || in.Region != region || in.Type != gpu || in.Status != "Running" || !in.Created.Equal(run.Time) || in.Event.ID != run.ID) {
			t.Errorf("instance %d = %+v, want %s in %s, %s, Running, created by %s at %s", i, in, ids[i], region, gpu, run.ID, run.Time)
		}
	}
	a := p.Action(ruleID)
	switch {
	case a == nil:
		t.Fatalf("no %s; actions %v", ruleID, cuIDs(p))
	case a.Kind != KindSecurityGroupRule || a.Noop || !a.Reversible || a.Target != sg:
		t.Errorf("%s: kind %s noop %v reversible %v target %s", a.ID, a.Kind, a.Noop, a.Reversible, a.Target)
	case a.BeforeText != "tcp 22/22 from 0.0.0.0/0 open" || a.AfterText != "tcp 22/22 from 0.0.0.0/0 closed":
		t.Errorf("%s: %q -> %q, want the rule open -> closed", a.ID, a.BeforeText, a.AfterText)
	case !slices.Equal(a.Evidence, []string{auth.ID}):
		t.Errorf("%s: evidence %v, want the AuthorizeSecurityGroup event %s", a.ID, a.Evidence, auth.ID)
	}
	for _, x := range p.Actions {
		if x.Target == office || x.Target == prod {
			t.Errorf("action %s touches %s: the office's instance and the released one are not the attacker's to stop", x.ID, x.Target)
		}
	}
	var unrec []string
	for _, u := range p.Unrecoverable {
		unrec = append(unrec, u.What+" @"+u.Event.Name)
	}
	if want := []string{"instance " + prod + " was released (its disks too, unless snapshots exist) @DeleteInstance"}; !slices.Equal(unrec, want) {
		t.Errorf("unrecoverable %q, want %q (the refused StopLogging and DeleteTrail changed nothing)", unrec, want)
	}

	if _, err := Execute(ctx, p, ExecOptions{StateDir: dir}); err != nil {
		t.Fatalf("execute: %v", err)
	}
	ins, err := e.admin.DescribeInstancesIn(ctx, region, ids)
	if err != nil || len(ins) != len(ids) {
		t.Fatalf("after the run: %d instances (%v), want %d", len(ins), err, len(ids))
	}
	for _, in := range ins {
		if in.Status != "Stopped" {
			t.Errorf("after the run, %s is %s, want Stopped", in.InstanceID, in.Status)
		}
	}
	if in, err := e.admin.DescribeInstancesIn(ctx, "cn-hangzhou", []string{office}); err != nil || len(in) != 1 || in[0].Status != "Running" {
		t.Errorf("the office's instance after the run: %+v (%v), want it Running", in, err)
	}
	rulesAfter, err := e.admin.SecurityGroupRules(ctx, region, sg)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(rulesAfter, attackerRule.Same) || len(rulesAfter) != len(rulesBefore)-1 {
		t.Errorf("rules of %s after the run: %+v, want the group's rules %+v without the attacker's", sg, rulesAfter, rulesBefore)
	}

	// A re-run plans nothing; with --release it waits for --observe
	// (24h) from the stop the journal holds.
	if p := plan(false, time.Now()); p.Changes() != 0 {
		t.Errorf("re-run plans %d change(s): %v", p.Changes(), changed(p))
	}
	p = plan(true, time.Now())
	if p.Changes() != 0 {
		t.Errorf("--release right after the stop plans %d change(s): %v", p.Changes(), changed(p))
	}
	for _, id := range ids {
		if want := "instance " + id + ": released after it has been stopped for 24h0m0s (after "; !epcHasPrefix(p.Notes, want) {
			t.Errorf("notes %q, want one starting %q", p.Notes, want)
		}
	}

	// 25h later: released (not reversible), then gone.
	p = plan(true, time.Now().Add(25*time.Hour))
	for _, id := range ids {
		a := p.Action("release-instance:" + id)
		if a == nil || a.Kind != KindReleaseInstance || a.Noop || a.Reversible || a.AfterText != InstanceReleased {
			t.Errorf("25h after the stop: release-instance:%s = %+v, want an irreversible release", id, a)
		}
		if p.Action("stop-instance:"+id) != nil {
			t.Errorf("25h after the stop: stop-instance:%s planned besides its release", id)
		}
	}
	if _, err := Execute(ctx, p, ExecOptions{StateDir: dir}); err != nil {
		t.Fatalf("execute --release: %v", err)
	}
	if ins, err := e.admin.DescribeInstancesIn(ctx, region, ids); err != nil || len(ins) != 0 {
		t.Errorf("after --release: %+v (%v), want every instance gone", ins, err)
	}
	p = plan(true, time.Now().Add(26*time.Hour))
	for _, id := range ids {
		if !slices.Contains(p.Notes, "instance "+id+" ("+region+") is already released") {
			t.Errorf("after the release: notes %q, want %s already released", p.Notes, id)
		}
		if p.Action("stop-instance:"+id) != nil || p.Action("release-instance:"+id) != nil {
			t.Errorf("after the release: an action for %s; actions %v", id, cuIDs(p))
		}
	}
	for _, in := range p.Instances {
		if in.Status != InstanceReleased {
			t.Errorf("after the release: instance %s listed as %s, want %s", in.ID, in.Status, InstanceReleased)
		}
	}
	if p.Changes() != 0 {
		t.Errorf("after the release: %d change(s): %v", p.Changes(), changed(p))
	}
}

// A responder whose identity may read RAM but not ECS gets no plan: the
// planner refuses naming the attacker's instance it could not read and
// the cloud's permission error (not a plan that silently skips the
// instances); allowed to read instances but not security groups, it is
// refused naming the group.
func TestLabEradicatePlanWithoutECSReadPermission(t *testing.T) {
	e := cuStartLab(t)
	e.admin = epcFastClients(t, e, "admin")
	ctx := context.Background()
	leak := e.info.Notes["leaked_key_id"]
	ev := e.evidence(t, time.Now().Add(-7*24*time.Hour), "cn-hangzhou", "us-west-1")
	first := createdInstances(epcAttackerEvent(t, ev, "RunInstances"))[0]

	allow := func(name string, actions ...string) {
		doc, _ := json.Marshal(map[string]any{"Version": "1", "Statement": []any{map[string]any{"Effect": "Allow", "Action": actions, "Resource": "*"}}})
		cuCall(t, e.admin, "CreatePolicy", map[string]string{"PolicyName": name, "PolicyDocument": string(doc)})
		cuCall(t, e.admin, "AttachPolicyToUser", map[string]string{"PolicyType": "Custom", "PolicyName": name, "UserName": "ir-ramonly"})
	}
	cuCall(t, e.admin, "CreateUser", map[string]string{"UserName": "ir-ramonly"})
	allow("ir-ram-read", "ram:Get*", "ram:List*", "sts:GetCallerIdentity")
	out := cuCall(t, e.admin, "CreateAccessKey", map[string]string{"UserName": "ir-ramonly"})
	ak, _ := out["AccessKey"].(map[string]any)
	id, _ := ak["AccessKeyId"].(string)
	secret, _ := ak["AccessKeySecret"].(string)
	c := epcClientsFor(t, e, id, secret)

	_, err := PlanEradicate(ctx, c, EradicateOptions{KeyID: leak, Evidence: ev, Now: time.Now})
	if want := "eradicate " + leak + ": instance " + first + ": "; err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, cloud.ErrNoPermission) {
		t.Errorf("without ecs:DescribeInstances: %v, want the plan refused with %q and the permission error", err, want)
	}
	allow("ir-ecs-instances", "ecs:DescribeInstances")
	_, err = PlanEradicate(ctx, c, EradicateOptions{KeyID: leak, Evidence: ev, Now: time.Now})
	if want := "eradicate " + leak + ": security group sg-rj9workers0default01: "; err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, cloud.ErrNoPermission) {
		t.Errorf("without ecs:DescribeSecurityGroupAttribute: %v, want the plan refused with %q and the permission error", err, want)
	}
}

func changed(p *Plan) []string {
	var out []string
	for _, a := range p.Actions {
		if !a.Noop {
			out = append(out, a.Describe())
		}
	}
	return out
}

// ---- the fake ----

// epcFake is cuFake (users, keys, policies, logins, groups, MFA, failure
// injection) with the ECS instances, security groups, roles, policy
// attachments, key pairs and commands the planner reads, and the region
// of each ECS read.
type epcFake struct {
	*cuFake
	instances    map[string]cloud.Instance            // by ID
	sgRules      map[string][]cloud.SecurityGroupRule // by group; a missing group is not found
	roles        map[string]cloud.Role                // by name
	rolePolicies map[string][]cloud.AttachedPolicy    // by role
	entities     map[string]cloud.PolicyEntities      // by policy
	ecsRegions   []string                             // "API region" of each ECS read
}

func newEPCFake() *epcFake {
	return &epcFake{cuFake: newCUFake(), instances: map[string]cloud.Instance{}, sgRules: map[string][]cloud.SecurityGroupRule{},
		roles: map[string]cloud.Role{}, rolePolicies: map[string][]cloud.AttachedPolicy{}, entities: map[string]cloud.PolicyEntities{}}
}

func (f *epcFake) DescribeInstancesIn(ctx context.Context, region string, ids []string) ([]cloud.Instance, error) {
	done, err := f.enter("DescribeInstancesIn")
	defer done()
	f.ecsRegions = append(f.ecsRegions, "DescribeInstances "+region)
	if err != nil {
		return nil, err
	}
	var out []cloud.Instance
	for _, id := range ids {
		if in, ok := f.instances[id]; ok {
			out = append(out, in)
		}
	}
	return out, nil
}

func (f *epcFake) SecurityGroupRules(ctx context.Context, region, group string) ([]cloud.SecurityGroupRule, error) {
	done, err := f.enter("SecurityGroupRules")
	defer done()
	f.ecsRegions = append(f.ecsRegions, "DescribeSecurityGroupAttribute "+region)
	if err != nil {
		return nil, err
	}
	rules, ok := f.sgRules[group]
	if !ok {
		return nil, notFound("ecs:DescribeSecurityGroupAttribute", "InvalidSecurityGroupId.NotFound")
	}
	return rules, nil
}

func (f *epcFake) GetRole(ctx context.Context, role string) (cloud.Role, error) {
	done, err := f.enter("GetRole")
	defer done()
	if err != nil {
		return cloud.Role{}, err
	}
	r, ok := f.roles[role]
	if !ok {
		return cloud.Role{}, notFound("ram:GetRole", "EntityNotExist.Role")
	}
	return r, nil
}

func (f *epcFake) ListPoliciesForRole(ctx context.Context, role string) ([]cloud.AttachedPolicy, error) {
	done, err := f.enter("ListPoliciesForRole")
	defer done()
	if err != nil {
		return nil, err
	}
	if _, ok := f.roles[role]; !ok {
		return nil, notFound("ram:ListPoliciesForRole", "EntityNotExist.Role")
	}
	return f.rolePolicies[role], nil
}

func (f *epcFake) ListEntitiesForPolicy(ctx context.Context, typ, name string) (cloud.PolicyEntities, error) {
	done, err := f.enter("ListEntitiesForPolicy")
	defer done()
	if err != nil {
		return cloud.PolicyEntities{}, err
	}
	return f.entities[name], nil
}

func (f *epcFake) KeyPairExists(ctx context.Context, region, name string) (bool, error) {
	done, err := f.enter("KeyPairExists")
	defer done()
	return err == nil, err
}

func (f *epcFake) CommandExists(ctx context.Context, region, id string) (bool, error) {
	done, err := f.enter("CommandExists")
	defer done()
	return err == nil, err
}

var _ EradicateCloud = (*epcFake)(nil)

// epcForbidden is the cloud's answer to a call the identity may not make.
func epcForbidden(api string) error {
	return &cloud.APIError{API: api, Code: "NoPermission", HTTPStatus: 403, RequestID: "REQ-403"}
}

// epcEvent is a successful event at eradAt(m) with its ID, service, source
// and parameters.
func epcEvent(id string, m int, name, service, src string, params map[string]string) EventRef {
	return EventRef{ID: id, Time: eradAt(m), Name: name, Service: service, Region: "cn-hangzhou", SourceIP: src, Params: params}
}

// epcPlan plans with the fake at eradT0+1h, failing the test on an error.
func epcPlan(t *testing.T, f EradicateCloud, o EradicateOptions) *Plan {
	t.Helper()
	o.KeyID = cuKey
	if o.Now == nil {
		o.Now = cuAt(time.Hour)
	}
	p, err := PlanEradicate(context.Background(), f, o)
	if err != nil {
		t.Fatalf("PlanEradicate: %v", err)
	}
	return p
}

// epcIDs are the plan's action IDs, a * after a no-op.
func epcIDs(p *Plan) []string {
	var out []string
	for _, a := range p.Actions {
		id := a.ID
		if a.Noop {
			id += "*"
		}
		out = append(out, id)
	}
	return out
}

// ---- instances ----

// The attacker's instances (RunInstances with RegionId us-west-1, sent to
// cn-hangzhou's endpoint), read in us-west-1: a running one is stopped, a
// stopped one is a no-op stop, a released one is a note ("already
// released") and no action; each stays listed with its current status,
// type, creation time and event. With --release a running instance is
// stopped, not released (only one stopped for --observe is), and a
// stopped one without a journal record waits for the observation period.
// An instance only the attacker's RunCommand named is not its.
func TestEradicatePlanInstancesStopAndReleased(t *testing.T) {
	f := newEPCFake()
	f.instances["i-run"] = cloud.Instance{InstanceID: "i-run", Status: "Running", InstanceType: "ecs.gn6i-c4g1.xlarge"}
	f.instances["i-stopped"] = cloud.Instance{InstanceID: "i-stopped", Status: "Stopped", InstanceType: "ecs.g7.large"}
	f.instances["i-office"] = cloud.Instance{InstanceID: "i-office", Status: "Running"}
	run := epcEvent("ev-run", 0, "RunInstances", "Ecs", eradAttacker, map[string]string{"RegionId": "us-west-1"})
	run.Response = map[string]any{"InstanceIdSets": map[string]any{"InstanceIdSet": []any{"i-run", "i-stopped", "i-gone"}}}
	cmd := epcEvent("ev-cmd", 1, "RunCommand", "Ecs", eradAttacker, map[string]string{"RegionId": "us-west-1", "InstanceId": "i-office"})
	cmd.Response = map[string]any{"InstanceId": "i-office", "InvokeId": "t-1"}
	ev := eradEvidence(run, cmd)

	p := epcPlan(t, f, EradicateOptions{Evidence: ev})
	if got, want := epcIDs(p), []string{"stop-instance:i-run", "stop-instance:i-stopped*"}; !slices.Equal(got, want) {
		t.Errorf("actions %q, want %q", got, want)
	}
	if a := p.Action("stop-instance:i-run"); a != nil && (a.BeforeText != "Running (ecs.gn6i-c4g1.xlarge)" || a.AfterText != "Stopped (ecs.gn6i-c4g1.xlarge)" || !slices.Equal(a.Evidence, []string{"ev-run"})) {
		t.Errorf("stop i-run: %q -> %q evidence %v, want Running -> Stopped and the RunInstances event", a.BeforeText, a.AfterText, a.Evidence)
	}
	if !slices.Contains(p.Notes, "instance i-gone (us-west-1) is already released") {
		t.Errorf("notes %q, want i-gone already released", p.Notes)
	}
	var listed []string
	for _, in := range p.Instances {
		listed = append(listed, in.ID+" "+in.Region+" "+in.Status+" "+in.Type)
		if !in.Created.Equal(eradAt(0)) || in.Event.ID != "ev-run" {
			t.Errorf("instance %s: created %v by %s, want the RunInstances event at %v", in.ID, in.Created, in.Event.ID, eradAt(0))
		}
	}
	if want := []string{"i-run us-west-1 Running ecs.gn6i-c4g1.xlarge", "i-stopped us-west-1 Stopped ecs.g7.large", "i-gone us-west-1 Released "}; !slices.Equal(listed, want) {
		t.Errorf("instances %q, want %q", listed, want)
	}
	if want := slices.Repeat([]string{"DescribeInstances us-west-1"}, 3); !slices.Equal(f.ecsRegions, want) {
		t.Errorf("ECS reads %q, want %q (RegionId over the endpoint's region)", f.ecsRegions, want)
	}
	if len(p.ByHand) != 0 {
		t.Errorf("by hand %+v: RunCommand creates nothing to remove by hand", p.ByHand)
	}

	p = epcPlan(t, f, EradicateOptions{Evidence: ev, Release: true})
	if got, want := epcIDs(p), []string{"stop-instance:i-run", "stop-instance:i-stopped*"}; !slices.Equal(got, want) {
		t.Errorf("--release: actions %q, want %q (a running instance is stopped first)", got, want)
	}
	// Stopped by someone else (no journal): observed from this run on.
	if want := "instance i-stopped: released after it has been stopped for 24h0m0s (after 2026-01-03T04:00:00Z (in 24h0m0s): it was stopped outside akresp, so the period starts now)"; !slices.Contains(p.Notes, want) {
		t.Errorf("--release: notes %q, want %q", p.Notes, want)
	}
	if epcHasPrefix(p.Notes, "instance i-run:") {
		t.Errorf("--release: notes %q: the running instance is stopped now, not waiting", p.Notes)
	}
}

// An instance that cannot be read stops the plan with the instance and
// the cloud's error named (a missing ecs:DescribeInstances is no plan
// that silently skips the attacker's instances).
func TestEradicatePlanInstanceReadRefused(t *testing.T) {
	f := newEPCFake()
	f.fail["DescribeInstancesIn"] = epcForbidden("ecs:DescribeInstances")
	ev := eradEvidence(runInstance(eradAttacker, "i-evil", 0, "us-west-1", ""))
	p, err := PlanEradicate(context.Background(), f, EradicateOptions{KeyID: cuKey, Evidence: ev, Now: cuAt(time.Hour)})
	if p != nil || err == nil || !strings.HasPrefix(err.Error(), "eradicate "+cuKey+": instance i-evil: ") || !errors.Is(err, cloud.ErrNoPermission) {
		t.Errorf("plan %v, err %v; want no plan and the error naming instance i-evil and the missing permission", p, err)
	}
}

// ---- security-group rules ----

// epcAuthorize is an AuthorizeSecurityGroup event of src at eradAt(m).
func epcAuthorize(id string, m int, src, group, proto, ports, cidr string) EventRef {
	p := map[string]string{"RegionId": "us-west-1", "IpProtocol": proto, "PortRange": ports, "SourceCidrIp": cidr, "Policy": "Accept"}
	if group != "" {
		p["SecurityGroupId"] = group
	}
	return epcEvent(id, m, "AuthorizeSecurityGroup", "Ecs", src, p)
}

// Each rule the attacker opened is revoked, read in its RegionId: open
// now, a change (open -> closed) carrying its event; already gone, a
// no-op. A rule the office also authorized at or after the
// attacker (protocol in any case) is kept, naming the office; one the
// office authorized before the attacker is revoked all the same. Refused
// calls and calls naming no group or no ports plan nothing.
func TestEradicatePlanSecurityGroupRules(t *testing.T) {
	f := newEPCFake()
	open := func(proto, ports, cidr string) cloud.SecurityGroupRule {
		return cloud.SecurityGroupRule{IPProtocol: proto, PortRange: ports, SourceCidrIP: cidr, Policy: "accept"}
	}
	f.sgRules["sg-1"] = []cloud.SecurityGroupRule{open("tcp", "443/443", "0.0.0.0/0"), open("tcp", "22/22", "0.0.0.0/0")}
	f.sgRules["sg-2"] = []cloud.SecurityGroupRule{open("tcp", "80/80", "0.0.0.0/0")}
	f.sgRules["sg-3"] = []cloud.SecurityGroupRule{open("tcp", "8080/8080", "10.0.0.0/8")}
	refused := epcAuthorize("ev-refused", 8, eradAttacker, "sg-1", "TCP", "3306/3306", "0.0.0.0/0")
	refused.ErrorCode = "NoPermission"
	ev := eradEvidence(
		epcAuthorize("ev-ssh", 0, eradAttacker, "sg-1", "TCP", "22/22", "0.0.0.0/0"),
		epcAuthorize("ev-rdp", 1, eradAttacker, "sg-1", "tcp", "3389/3389", "0.0.0.0/0"),
		epcAuthorize("ev-web", 3, eradAttacker, "sg-2", "tcp", "80/80", "0.0.0.0/0"),
		epcAuthorize("ev-web-office", 3, eradOffice, "sg-2", "TCP", "80/80", "0.0.0.0/0"),
		epcAuthorize("ev-alt-office", 4, eradOffice, "sg-3", "tcp", "8080/8080", "10.0.0.0/8"),
		epcAuthorize("ev-alt", 5, eradAttacker, "sg-3", "tcp", "8080/8080", "10.0.0.0/8"),
		epcAuthorize("ev-nogroup", 6, eradAttacker, "", "tcp", "23/23", "0.0.0.0/0"),
		epcAuthorize("ev-noports", 7, eradAttacker, "sg-1", "tcp", "", "0.0.0.0/0"),
		refused,
	)
	p := epcPlan(t, f, EradicateOptions{Evidence: ev})
	want := []string{
		"revoke-rule:sg-1:tcp:22/22:0.0.0.0/0",
		"revoke-rule:sg-1:tcp:3389/3389:0.0.0.0/0*",
		"revoke-rule:sg-3:tcp:8080/8080:10.0.0.0/8",
	}
	if got := epcIDs(p); !slices.Equal(got, want) {
		t.Errorf("actions %q, want %q", got, want)
	}
	for id, evID := range map[string]string{"revoke-rule:sg-1:tcp:22/22:0.0.0.0/0": "ev-ssh", "revoke-rule:sg-3:tcp:8080/8080:10.0.0.0/8": "ev-alt"} {
		a := p.Action(id)
		if a == nil {
			continue
		}
		if a.Kind != KindSecurityGroupRule || !slices.Equal(a.Evidence, []string{evID}) || !strings.HasSuffix(a.BeforeText, " open") || !strings.HasSuffix(a.AfterText, " closed") {
			t.Errorf("%s: kind %s evidence %v %q -> %q; want %s, [%s], open -> closed", id, a.Kind, a.Evidence, a.BeforeText, a.AfterText, KindSecurityGroupRule, evID)
		}
	}
	if a := p.Action("revoke-rule:sg-1:tcp:22/22:0.0.0.0/0"); a != nil && a.Summary != "revoke tcp 22/22 from 0.0.0.0/0 on sg-1" {
		t.Errorf("summary %q", a.Summary)
	}
	if want := []string{"kept: rule 80/80 on sg-2 also used by " + eradOffice + " (AuthorizeSecurityGroup)"}; !slices.Equal(p.Kept, want) {
		t.Errorf("kept %q, want %q", p.Kept, want)
	}
	for _, r := range f.ecsRegions {
		if r != "DescribeSecurityGroupAttribute us-west-1" {
			t.Errorf("ECS read %q, want every group read in us-west-1 (the events' RegionId)", r)
		}
	}
	if len(f.ecsRegions) != len(want) {
		t.Errorf("%d group reads, want %d", len(f.ecsRegions), len(want))
	}
}

// A rule whose security group no longer exists (deleted since the
// attacker opened it, say by the office after eradicate revoked the rule)
// reads as closed, and a re-run plans nothing more (docs/eradicate.md):
// ECS answers DescribeSecurityGroupAttribute on a missing group with
// InvalidSecurityGroupId.NotFound (404), which the cloud layer files under
// ErrNotFound (it was ErrInvalidParameter, for the "Invalid" prefix, and
// the whole plan was refused). Through the lab and the real SDK, with the
// attacker's rule event of builtin:leak naming a group that does not exist.
func TestLabEradicateRuleOfDeletedGroup(t *testing.T) {
	e := cuStartLab(t)
	e.admin = epcFastClients(t, e, "admin")
	ev := e.evidence(t, time.Now().Add(-7*24*time.Hour), "us-west-1")
	auth := epcAttackerEvent(t, ev, "AuthorizeSecurityGroup")
	auth.Params = maps.Clone(auth.Params)
	auth.Params["SecurityGroupId"] = "sg-rj9deleted000000001"
	ev.Events = []EventRef{auth}
	p, err := PlanEradicate(context.Background(), e.admin, EradicateOptions{KeyID: e.info.Notes["leaked_key_id"], Evidence: ev, Now: time.Now})
	if err != nil {
		t.Fatalf("a rule of a deleted group: %v, want a plan (the rule is closed with its group)", err)
	}
	if got, want := epcIDs(p), []string{"revoke-rule:sg-rj9deleted000000001:tcp:22/22:0.0.0.0/0*"}; !slices.Equal(got, want) {
		t.Errorf("actions %q, want %q", got, want)
	}
}

// A rule's group that cannot be read stops the plan with the group and
// the cloud's error named.
func TestEradicatePlanSecurityGroupReadRefused(t *testing.T) {
	f := newEPCFake()
	f.fail["SecurityGroupRules"] = epcForbidden("ecs:DescribeSecurityGroupAttribute")
	ev := eradEvidence(epcAuthorize("ev-ssh", 0, eradAttacker, "sg-1", "tcp", "22/22", "0.0.0.0/0"))
	p, err := PlanEradicate(context.Background(), f, EradicateOptions{KeyID: cuKey, Evidence: ev, Now: cuAt(time.Hour)})
	if p != nil || err == nil || !strings.HasPrefix(err.Error(), "eradicate "+cuKey+": security group sg-1: ") || !errors.Is(err, cloud.ErrNoPermission) {
		t.Errorf("plan %v, err %v; want no plan and the error naming sg-1 and the missing permission", p, err)
	}
}

// ---- roles and policies ----

const (
	epcTrustECS      = `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}]}`
	epcTrustECSFC    = `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com","fc.aliyuncs.com"]}}]}`
	epcTrustAttacker = `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":["acs:ram::1999999999999999:root"]}}]}`
)

func epcRoleEvent(id string, m int, name, src string, params map[string]string) EventRef {
	return epcEvent(id, m, name, "Ram", src, params)
}

// The attacker's changes to roles it did not create: a re-trusted role
// gets the document before back, which is the office's last
// CreateRole/UpdateRole before the attacker's first change (a later
// attacker change of the same role adds no second action); with no such
// document in the evidence it is unrecoverable, naming whom the role now
// trusts; a role gone since needs no revert (a note); a role the office
// re-trusted after the attacker is kept. A policy the attacker attached
// is detached (a no-op when it is no longer attached, or the role is
// gone). A role the attacker created is deleted (its policies first) and
// its trust changes are not planned separately; calls without a document
// or a policy name plan nothing.
func TestEradicatePlanRoleChanges(t *testing.T) {
	f := newEPCFake()
	f.roles["ops-deploy"] = cloud.Role{RoleName: "ops-deploy", AssumeRolePolicyDocument: epcTrustAttacker}
	f.roles["lonely"] = cloud.Role{RoleName: "lonely", AssumeRolePolicyDocument: epcTrustAttacker}
	f.roles["shared"] = cloud.Role{RoleName: "shared", AssumeRolePolicyDocument: epcTrustAttacker}
	f.roles["ops"] = cloud.Role{RoleName: "ops"}
	f.roles["ops-idle"] = cloud.Role{RoleName: "ops-idle"}
	f.roles["backdoor"] = cloud.Role{RoleName: "backdoor", AssumeRolePolicyDocument: epcTrustAttacker}
	f.rolePolicies["ops"] = []cloud.AttachedPolicy{{PolicyName: "AdministratorAccess", PolicyType: "System"}}
	f.rolePolicies["backdoor"] = []cloud.AttachedPolicy{{PolicyName: "AdministratorAccess", PolicyType: "System"}}
	refusedOffice := epcRoleEvent("ev-office-refused", -30, "UpdateRole", eradOffice, map[string]string{"RoleName": "ops-deploy", "NewAssumeRolePolicyDocument": epcTrustAttacker})
	refusedOffice.ErrorCode = "NoPermission"
	attach := func(id string, m int, role, pol string) EventRef {
		return epcRoleEvent(id, m, "AttachPolicyToRole", eradAttacker, map[string]string{"RoleName": role, "PolicyName": pol, "PolicyType": "System"})
	}
	retrust := func(id string, m int, src, role, doc string) EventRef {
		return epcRoleEvent(id, m, "UpdateRole", src, map[string]string{"RoleName": role, "NewAssumeRolePolicyDocument": doc})
	}
	ev := eradEvidence(
		epcRoleEvent("ev-office-create", -120, "CreateRole", eradOffice, map[string]string{"RoleName": "ops-deploy", "AssumeRolePolicyDocument": epcTrustECS}),
		retrust("ev-office-update", -60, eradOffice, "ops-deploy", epcTrustECSFC),
		refusedOffice,
		epcRoleEvent("ev-office-gone", -10, "CreateRole", eradOffice, map[string]string{"RoleName": "gone-role", "AssumeRolePolicyDocument": epcTrustECS}),
		retrust("ev-trust1", 1, eradAttacker, "ops-deploy", epcTrustAttacker),
		retrust("ev-trust2", 2, eradAttacker, "ops-deploy", epcTrustECS),
		retrust("ev-lonely", 3, eradAttacker, "lonely", epcTrustAttacker),
		retrust("ev-gone", 4, eradAttacker, "gone-role", epcTrustAttacker),
		retrust("ev-shared", 5, eradAttacker, "shared", epcTrustAttacker),
		retrust("ev-shared-office", 6, eradOffice, "shared", epcTrustECS),
		retrust("ev-nodoc", 7, eradAttacker, "ops", ""),
		epcRoleEvent("ev-backdoor", 8, "CreateRole", eradAttacker, map[string]string{"RoleName": "backdoor", "AssumeRolePolicyDocument": epcTrustAttacker}),
		retrust("ev-backdoor-trust", 9, eradAttacker, "backdoor", epcTrustECS),
		attach("ev-attach-ops", 10, "ops", "AdministratorAccess"),
		attach("ev-attach-idle", 11, "ops-idle", "ReadOnlyAccess"),
		attach("ev-attach-gone", 12, "gone-role", "ReadOnlyAccess"),
		attach("ev-attach-nopol", 13, "ops", ""),
	)
	p := epcPlan(t, f, EradicateOptions{Evidence: ev})
	want := []string{
		"detach-policy:Role:backdoor:AdministratorAccess", "delete-role:backdoor",
		"role-trust:ops-deploy",
		"detach-policy:Role:ops:AdministratorAccess", "detach-policy:Role:ops-idle:ReadOnlyAccess*", "detach-policy:Role:gone-role:ReadOnlyAccess*",
	}
	if got := epcIDs(p); !slices.Equal(got, want) {
		t.Errorf("actions %q, want %q", got, want)
	}
	if a := p.Action("role-trust:ops-deploy"); a != nil {
		if a.Kind != KindRoleTrust || !slices.Equal(a.Evidence, []string{"ev-trust1"}) || a.BeforeText != "trusts acs:ram::1999999999999999:root" || a.AfterText != "trusts ecs.aliyuncs.com, fc.aliyuncs.com" {
			t.Errorf("role-trust:ops-deploy: kind %s evidence %v %q -> %q; want the office's last document before the attacker's first change (ev-trust1)", a.Kind, a.Evidence, a.BeforeText, a.AfterText)
		}
		if doc := a.after.(trustState).Document; doc != epcTrustECSFC {
			t.Errorf("role-trust:ops-deploy sets %s, want the office's UpdateRole document %s", doc, epcTrustECSFC)
		}
	}
	if a := p.Action("detach-policy:Role:ops:AdministratorAccess"); a != nil && (a.Kind != KindPrincipalPolicy || !slices.Equal(a.Evidence, []string{"ev-attach-ops"}) || a.BeforeText != "AdministratorAccess attached") {
		t.Errorf("detach from ops: kind %s evidence %v before %q; want %s, [ev-attach-ops], attached", a.Kind, a.Evidence, a.BeforeText, KindPrincipalPolicy)
	}
	if want := []string{"role gone-role no longer exists: its trust policy needs no revert"}; !slices.Equal(p.Notes, want) {
		t.Errorf("notes %q, want %q", p.Notes, want)
	}
	var unrec []string
	for _, u := range p.Unrecoverable {
		unrec = append(unrec, u.What+" @"+u.Event.ID)
	}
	if want := []string{"trust policy of role lonely was changed (now trusts acs:ram::1999999999999999:root); the document before is not in the evidence: review the role by hand @ev-lonely"}; !slices.Equal(unrec, want) {
		t.Errorf("unrecoverable %q, want %q", unrec, want)
	}
	if want := []string{"kept: trust policy of role shared also changed by " + eradOffice + " (UpdateRole) after the attacker"}; !slices.Equal(p.Kept, want) {
		t.Errorf("kept %q, want %q", p.Kept, want)
	}
}

// The attacker's default policy versions on policies it did not create
// are set back to the default before per the evidence: the office's
// SetDefaultPolicyVersion, or its CreatePolicyVersion with SetAsDefault
// (any case) and the version ID from its response; a version the office
// created without making it default, or whose response names none, is not
// the default before. A policy the attacker created is deleted instead
// (its default version changes are not planned), and a
// SetDefaultPolicyVersion naming no version plans nothing.
func TestEradicatePlanPolicyDefaults(t *testing.T) {
	f := newEPCFake()
	vs := func(def string) *fakePolicy {
		p := &fakePolicy{}
		for _, v := range []string{"v1", "v2", "v3", "v4"} {
			p.versions = append(p.versions, cloud.PolicyVersion{VersionID: v, IsDefault: v == def})
		}
		return p
	}
	f.policies["app-read"] = vs("v3")
	f.policies["app-write"] = vs("v3")
	f.policies["evil-pol"] = vs("v1")
	pol := func(id string, m int, name, src string, params map[string]string, version string) EventRef {
		e := epcEvent(id, m, name, "Ram", src, params)
		if version != "" {
			e.Response = map[string]any{"PolicyVersion": map[string]any{"VersionId": version}}
		}
		return e
	}
	ev := eradEvidence(
		pol("ev-r1", -100, "CreatePolicy", eradOffice, map[string]string{"PolicyName": "app-read"}, ""),
		pol("ev-r2", -50, "CreatePolicyVersion", eradOffice, map[string]string{"PolicyName": "app-read", "SetAsDefault": "True"}, "v2"),
		pol("ev-w1", -100, "CreatePolicy", eradOffice, map[string]string{"PolicyName": "app-write"}, ""),
		pol("ev-w2", -40, "SetDefaultPolicyVersion", eradOffice, map[string]string{"PolicyName": "app-write", "VersionId": "v2"}, ""),
		pol("ev-w4", -30, "CreatePolicyVersion", eradOffice, map[string]string{"PolicyName": "app-write"}, "v4"),
		pol("ev-w5", -20, "CreatePolicyVersion", eradOffice, map[string]string{"PolicyName": "app-write", "SetAsDefault": "true"}, ""),
		pol("ev-r3", 1, "CreatePolicyVersion", eradAttacker, map[string]string{"PolicyName": "app-read", "SetAsDefault": "true"}, "v3"),
		pol("ev-w3", 2, "SetDefaultPolicyVersion", eradAttacker, map[string]string{"PolicyName": "app-write", "VersionId": "v3"}, ""),
		pol("ev-e1", 3, "CreatePolicy", eradAttacker, map[string]string{"PolicyName": "evil-pol"}, ""),
		pol("ev-e2", 4, "SetDefaultPolicyVersion", eradAttacker, map[string]string{"PolicyName": "evil-pol", "VersionId": "v1"}, ""),
		pol("ev-nov", 5, "SetDefaultPolicyVersion", eradAttacker, map[string]string{"PolicyName": "app-write"}, ""),
	)
	p := epcPlan(t, f, EradicateOptions{Evidence: ev})
	if got, want := epcIDs(p), []string{"delete-policy:evil-pol", "policy-default:app-read", "policy-default:app-write"}; !slices.Equal(got, want) {
		t.Errorf("actions %q, want %q", got, want)
	}
	for name, want := range map[string]string{"app-read": "v2", "app-write": "v2"} {
		a := p.Action("policy-default:" + name)
		if a == nil {
			continue
		}
		if got := a.after.(policyDefaultState).DefaultVersion; got != want || len(a.Warnings) != 0 {
			t.Errorf("%s: reverts to %s with warnings %q, want %s from the evidence (no guess)", name, got, a.Warnings, want)
		}
	}
	if a := p.Action("policy-default:app-write"); a != nil && !slices.Equal(a.Evidence, []string{"ev-w3"}) {
		t.Errorf("policy-default:app-write evidence %v, want [ev-w3]", a.Evidence)
	}
}

// A read that fails while planning a role or policy stops the plan with
// the resource (or the change) and the cloud's error named.
func TestEradicatePlanRoleAndPolicyReadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, fail, want string
		ev               EventRef
	}{
		{"created role", "GetRole", "role backdoor",
			epcRoleEvent("ev-1", 1, "CreateRole", eradAttacker, map[string]string{"RoleName": "backdoor"})},
		{"created policy", "GetPolicy", "policy evil-pol",
			epcRoleEvent("ev-1", 1, "CreatePolicy", eradAttacker, map[string]string{"PolicyName": "evil-pol"})},
		{"attached policy", "ListPoliciesForRole", "AdministratorAccess attached to role ops",
			epcRoleEvent("ev-1", 1, "AttachPolicyToRole", eradAttacker, map[string]string{"RoleName": "ops", "PolicyName": "AdministratorAccess", "PolicyType": "System"})},
		{"trust policy", "GetRole", "trust policy of role ops changed",
			epcRoleEvent("ev-1", 1, "UpdateRole", eradAttacker, map[string]string{"RoleName": "ops", "NewAssumeRolePolicyDocument": epcTrustAttacker})},
	} {
		f := newEPCFake()
		f.roles["ops"] = cloud.Role{RoleName: "ops"}
		f.roles["backdoor"] = cloud.Role{RoleName: "backdoor"}
		f.fail[tc.fail] = epcForbidden("ram:" + tc.fail)
		ev := eradEvidence(epcRoleEvent("ev-0", 0, "CreateRole", eradOffice, map[string]string{"RoleName": "ops", "AssumeRolePolicyDocument": epcTrustECS}), tc.ev)
		p, err := PlanEradicate(context.Background(), f, EradicateOptions{KeyID: cuKey, Evidence: ev, Now: cuAt(time.Hour)})
		if want := "eradicate " + cuKey + ": " + tc.want + ": "; p != nil || err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, cloud.ErrNoPermission) {
			t.Errorf("%s, %s fails: plan %v err %v; want no plan and an error starting %q", tc.name, tc.fail, p, err, want)
		}
	}
}

// ---- the rest of the footprint ----

// What the attacker did that cannot be reverted is listed with its event:
// MFA devices unbound or deleted (the user's name, orDash's filler without
// one), instances released (DeleteInstances' JSON list and
// DeleteInstance's numbered IDs, one entry per instance, sorted), a trail
// deleted or its logging stopped (its name, or orDash's filler); the
// office's own deletions are not the attacker's. Nothing else is planned
// for them, nor for a bandwidth change of an instance the attacker
// created (it is stopped instead) or one without a number (only the
// office instance's numbered change is), nor for a CreateAccessKey whose
// response names no key.
func TestCollectFootprintUnrecoverable(t *testing.T) {
	run := runInstance(eradAttacker, "i-evil", 0, "cn-hangzhou", "")
	badKey := epcEvent("ev-key", 9, "CreateAccessKey", "Ram", eradAttacker, map[string]string{"UserName": "alice"})
	badKey.Response = map[string]any{"AccessKey": "LTAI5tNOTANOBJECT000001"}
	ev := eradEvidence(run,
		epcEvent("ev-unbind", 1, "UnbindMFADevice", "Ram", eradAttacker, map[string]string{"UserName": "alice"}),
		epcEvent("ev-delmfa", 2, "DeleteVirtualMFADevice", "Ram", eradAttacker, map[string]string{"SerialNumber": "acs:ram::1:mfa/alice"}),
		epcEvent("ev-delins", 3, "DeleteInstances", "Ecs", eradAttacker, map[string]string{"InstanceId": `["i-web2","i-web1"]`, "Force": "true"}),
		epcEvent("ev-delin", 4, "DeleteInstance", "Ecs", eradAttacker, map[string]string{"InstanceId.2": "i-db2", "InstanceId.1": "i-db1"}),
		epcEvent("ev-delids", 4, "DeleteInstances", "Ecs", eradAttacker, map[string]string{"InstanceIds": `["i-cache1"]`, "Tag": `["x"]`}),
		epcEvent("ev-deltrail", 5, "DeleteTrail", "Actiontrail", eradAttacker, map[string]string{"Name": "audit"}),
		epcEvent("ev-stoplog", 6, "StopLogging", "Actiontrail", eradAttacker, nil),
		epcEvent("ev-office", 7, "DeleteTrail", "Actiontrail", eradOffice, map[string]string{"Name": "old"}),
		epcEvent("ev-bw-own", 8, "ModifyInstanceNetworkSpec", "Ecs", eradAttacker, map[string]string{"InstanceId": "i-evil", "InternetMaxBandwidthOut": "100"}),
		epcEvent("ev-bw-nan", 8, "ModifyInstanceNetworkSpec", "Ecs", eradAttacker, map[string]string{"InstanceId": "i-office", "InternetMaxBandwidthOut": "max"}),
		epcEvent("ev-bw-ok", 8, "ModifyInstanceNetworkSpec", "Ecs", eradAttacker, map[string]string{"InstanceId": "i-web", "InternetMaxBandwidthOut": "100"}),
		badKey,
	)
	f := collectFootprint(ev)
	var got []string
	for _, u := range f.unrecoverable {
		got = append(got, u.What+" @"+u.Event.ID)
	}
	want := []string{
		"MFA device of alice was unbound: bind a new one by hand @ev-unbind",
		"MFA device of " + orDash("") + " was unbound: bind a new one by hand @ev-delmfa",
		"instance i-web1 was released (its disks too, unless snapshots exist) @ev-delins",
		"instance i-web2 was released (its disks too, unless snapshots exist) @ev-delins",
		"instance i-db1 was released (its disks too, unless snapshots exist) @ev-delin",
		"instance i-db2 was released (its disks too, unless snapshots exist) @ev-delin",
		"instance i-cache1 was released (its disks too, unless snapshots exist) @ev-delids",
		"trail audit was deleted: its delivery gap cannot be filled @ev-deltrail",
		"logging of trail " + orDash("") + " was stopped: events of that gap are lost @ev-stoplog",
	}
	if !slices.Equal(got, want) {
		t.Errorf("unrecoverable =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var mods []string
	for _, m := range f.modified {
		mods = append(mods, m.what)
	}
	if want := []string{"bandwidth of instance i-web raised to 100 Mbit/s"}; !slices.Equal(mods, want) || len(f.byHand) != 0 {
		t.Errorf("modified %q, by hand %+v; want %q only", mods, f.byHand, want)
	}
	if len(f.instances) != 1 || f.instances[0].id != "i-evil" {
		t.Errorf("instances %+v, want i-evil only (released ones are unrecoverable, not planned)", f.instances)
	}
}

// What the attacker created outside RAM, STS and ActionTrail that no kind
// removes is listed by hand; an ECS resource names the ECS console and at
// most four identifying parameters (sorted). A RAM creation eradicate does
// not plan for, and a write that creates nothing, are not listed.
func TestCollectFootprintByHandECSAndNotCreating(t *testing.T) {
	disk := epcEvent("ev-disk", 0, "CreateDisk", "Ecs", eradAttacker, map[string]string{"ZoneId": "us-west-1a", "DiskName": "loot", "SnapshotId": "s-1",
		"KMSKeyId": "k-1", "DiskCategory": "cloud_essd", "RegionId": "us-west-1"})
	disk.Region = "us-west-1"
	disk.Response = map[string]any{"DiskId": "d-1"}
	ev := eradEvidence(disk,
		epcEvent("ev-group", 1, "CreateGroup", "Ram", eradAttacker, map[string]string{"GroupName": "evil-admins"}),
		epcEvent("ev-modify", 2, "ModifyInstanceAttribute", "Ecs", eradAttacker, map[string]string{"InstanceId": "i-office", "InstanceName": "x"}),
	)
	f := collectFootprint(ev)
	if len(f.byHand) != 1 {
		t.Fatalf("by hand %+v, want the disk only", f.byHand)
	}
	b := f.byHand[0]
	if want := "Ecs CreateDisk DiskId=d-1, DiskName=loot, KMSKeyId=k-1, SnapshotId=s-1 in us-west-1"; b.What != want {
		t.Errorf("by hand %q, want %q", b.What, want)
	}
	if !strings.HasPrefix(b.Where, "ECS console: release the resource") || b.Event.ID != "ev-disk" {
		t.Errorf("where %q event %s, want the ECS console and the CreateDisk event", b.Where, b.Event.ID)
	}
}

// A change to a user the attacker did not create whose current state
// cannot be read stops the plan with the change and the cloud's error
// named; a key the attacker created for such a user that is deleted since
// plans nothing (no action, no note).
func TestEradicatePlanModifiedUserReadErrors(t *testing.T) {
	key := func(id string) EventRef {
		e := epcEvent("ev-key", 1, "CreateAccessKey", "Ram", eradAttacker, map[string]string{"UserName": "alice"})
		e.Response = map[string]any{"AccessKey": map[string]any{"AccessKeyId": id}}
		return e
	}
	for _, tc := range []struct {
		fail, want string
		ev         EventRef
	}{
		{"ListAccessKeys", "AccessKey LTAI5tALICEEVIL000000001 created for existing user alice", key("LTAI5tALICEEVIL000000001")},
		{"ListPoliciesForUser", "AdministratorAccess attached to alice",
			epcEvent("ev-pol", 1, "AttachPolicyToUser", "Ram", eradAttacker, map[string]string{"UserName": "alice", "PolicyName": "AdministratorAccess", "PolicyType": "System"})},
		{"ListGroupsForUser", "alice added to admins",
			epcEvent("ev-grp", 1, "AddUserToGroup", "Ram", eradAttacker, map[string]string{"UserName": "alice", "GroupName": "admins"})},
	} {
		f := newEPCFake()
		f.addUser("alice", "")
		f.fail[tc.fail] = epcForbidden("ram:" + tc.fail)
		p, err := PlanEradicate(context.Background(), f, EradicateOptions{KeyID: cuKey, Evidence: eradEvidence(tc.ev), Now: cuAt(time.Hour)})
		if want := "eradicate " + cuKey + ": " + tc.want + ": "; p != nil || err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, cloud.ErrNoPermission) {
			t.Errorf("%s fails: plan %v err %v; want no plan and an error starting %q", tc.fail, p, err, want)
		}
	}

	f := newEPCFake()
	f.addUser("alice", "LTAI5tALICEOWN0000000001")
	p := epcPlan(t, f, EradicateOptions{Evidence: eradEvidence(key("LTAI5tALICEEVIL000000001"))})
	if len(p.Actions) != 0 || len(p.Notes) != 0 {
		t.Errorf("the attacker's key of alice deleted since: actions %q notes %q, want none", epcIDs(p), p.Notes)
	}
	f.keys["LTAI5tALICEEVIL000000001"] = &fakeKey{user: "alice", status: "Active"}
	p = epcPlan(t, f, EradicateOptions{Evidence: eradEvidence(key("LTAI5tALICEEVIL000000001"))})
	if got := epcIDs(p); !slices.Equal(got, []string{"disable-key:LTAI5tALICEEVIL000000001"}) {
		t.Errorf("the attacker's key of alice still there: actions %q, want it disabled", got)
	}
}

// Who runs eradicate, a key pair and a Cloud Assistant command that
// cannot be read: the plan is refused with the step and the cloud's error
// named.
func TestEradicatePlanOtherReadErrors(t *testing.T) {
	kp := epcEvent("ev-kp", 1, "ImportKeyPair", "Ecs", eradAttacker, map[string]string{"KeyPairName": "evil-key"})
	cmd := epcEvent("ev-cmd", 2, "CreateCommand", "Ecs", eradAttacker, map[string]string{"Name": "miner"})
	cmd.Response = map[string]any{"CommandId": "c-evil"}
	for _, tc := range []struct{ fail, want string }{
		{"GetCallerIdentity", "who am I (sts:GetCallerIdentity)"},
		{"KeyPairExists", "key pair evil-key"},
		{"CommandExists", "Cloud Assistant command c-evil"},
	} {
		f := newEPCFake()
		f.fail[tc.fail] = epcForbidden("ecs:" + tc.fail)
		p, err := PlanEradicate(context.Background(), f, EradicateOptions{KeyID: cuKey, Evidence: eradEvidence(kp, cmd), Now: cuAt(time.Hour)})
		if want := "eradicate " + cuKey + ": " + tc.want + ": "; p != nil || err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, cloud.ErrNoPermission) {
			t.Errorf("%s fails: plan %v err %v; want no plan and an error starting %q", tc.fail, p, err, want)
		}
	}
}

// Without a clock the plan observes at the wall clock; without evidence
// it attributes nothing to an attacker and plans nothing.
func TestEradicatePlanWithoutClockOrEvidence(t *testing.T) {
	f := newEPCFake()
	before := time.Now().UTC().Truncate(time.Second)
	p, err := PlanEradicate(context.Background(), f, EradicateOptions{KeyID: cuKey})
	after := time.Now().UTC()
	if err != nil {
		t.Fatal(err)
	}
	if p.ObservedAt.Before(before) || p.ObservedAt.After(after) {
		t.Errorf("observed at %v, want the wall clock (%v .. %v)", p.ObservedAt, before, after)
	}
	if len(p.Actions) != 0 || p.Evidence != nil || len(p.Notes) != 1 || !strings.HasPrefix(p.Notes[0], "no source is flagged as the attacker") {
		t.Errorf("no evidence: actions %q evidence %+v notes %q; want nothing planned and the note that nothing is attributed", epcIDs(p), p.Evidence, p.Notes)
	}
}

// waitText says "now" once the observation period has passed (exactly
// at its end included), else when and in how long.
func TestWaitTextDue(t *testing.T) {
	since := eradT0
	for _, tc := range []struct {
		now  time.Duration
		want string
	}{
		{23 * time.Hour, "after 2026-01-03T03:00:00Z (in 1h0m0s)"},
		{24*time.Hour - time.Minute, "after 2026-01-03T03:00:00Z (in 1m0s)"},
		{24 * time.Hour, "now"},
		{30 * time.Hour, "now"},
	} {
		if got := waitText(since, 24*time.Hour, since.Add(tc.now)); got != tc.want {
			t.Errorf("waitText(T0, 24h, T0+%s) = %q, want %q", tc.now, got, tc.want)
		}
	}
}

// An event reads as service, name, source and UTC time.
func TestEventRefString(t *testing.T) {
	e := EventRef{Time: time.Date(2026, 1, 2, 11, 4, 5, 0, time.FixedZone("CST", 8*3600)), Name: "RunInstances", Service: "Ecs", SourceIP: eradAttacker}
	if got, want := e.String(), "Ecs RunInstances from 203.0.113.66 at 2026-01-02T03:04:05Z"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
