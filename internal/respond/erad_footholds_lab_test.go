package respond_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/respond"
)

const (
	trustECS      = `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}]}`
	trustAttacker = `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":["acs:ram::1999999999999999:root"]}}]}`
	docRead       = `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"}]}`
	docAll        = `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
)

func mustCall(t *testing.T, c *cloud.Clients, product, action string, params map[string]string) map[string]any {
	t.Helper()
	out, err := c.CallRPC(context.Background(), product, action, params)
	if err != nil {
		t.Fatalf("%s %s: %v", product, action, err)
	}
	return out
}

// labEvidence reads the leaked key's events from the lab's ActionTrail and
// turns them into eradicate's evidence, as the CLI does.
func labEvidence(t *testing.T, e *labEnv, since time.Time) *respond.EradicateEvidence {
	t.Helper()
	ev := &respond.EradicateEvidence{Flagged: []netip.Addr{netip.MustParseAddr(e.info.Notes["attacker_ip"])}}
	q := cloud.LookupQuery{AttributeKey: "EventAccessKeyId", AttributeValue: e.info.Notes["leaked_key_id"], Start: since, End: time.Now().Add(time.Minute)}
	err := e.admin.LookupEvents(context.Background(), q, func(page []json.RawMessage) error {
		for _, raw := range page {
			x, err := audit.ParseEvent(raw, audit.Origin{Kind: audit.OriginLookup})
			if err != nil {
				return err
			}
			ev.Events = append(ev.Events, respond.EventRef{ID: x.ID, Time: x.Time, Name: x.Name, Service: x.Service, Region: x.Region,
				SourceIP: x.SourceIP, AccessKeyID: x.AccessKeyID, ErrorCode: x.ErrorCode, Params: x.Params, Response: x.Response})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// The attacker's RAM and ECS footholds besides users and instances: a
// role it created (with a custom policy it created attached), a trust
// policy it changed, a default policy version it set, an MFA device it
// bound, a key pair it imported, a Cloud Assistant command it created and
// the bandwidth it raised on the office's instance. eradicate reverts each
// through the real SDK, journals the events that called for each action,
// plans nothing on a second run, and --undo restores what is reversible
// while naming what is not.
func TestLabEradicateFootholds(t *testing.T) {
	e := startLab(t, 0)
	ctx := context.Background()
	dir := t.TempDir()
	since := time.Now().Add(-time.Minute)
	office := e.clients(t, "app-prod", e.info.Notes["office_ip"])
	attacker := e.clients(t, "app-prod", e.info.Notes["attacker_ip"])
	region := e.admin.Region()

	// The office's own resources, made with the same key before the leak.
	mustCall(t, office, "ram", "CreateRole", map[string]string{"RoleName": "ops-deploy", "AssumeRolePolicyDocument": trustECS})
	mustCall(t, office, "ram", "CreatePolicy", map[string]string{"PolicyName": "app-read", "PolicyDocument": docRead})
	mustCall(t, office, "ram", "CreateUser", map[string]string{"UserName": "dev1"})
	run := mustCall(t, office, "ecs", "RunInstances", map[string]string{"RegionId": region, "InstanceType": "ecs.g7.large", "InternetMaxBandwidthOut": "5"})
	officeInst := run["InstanceIdSets"].(map[string]any)["InstanceIdSet"].([]any)[0].(string)
	time.Sleep(1100 * time.Millisecond) // the attacker's events come strictly later

	// The attacker.
	mustCall(t, attacker, "ram", "CreateRole", map[string]string{"RoleName": "backdoor", "AssumeRolePolicyDocument": trustAttacker})
	mustCall(t, attacker, "ram", "AttachPolicyToRole", map[string]string{"RoleName": "backdoor", "PolicyType": "System", "PolicyName": "AdministratorAccess"})
	mustCall(t, attacker, "ram", "CreatePolicy", map[string]string{"PolicyName": "evil-pol", "PolicyDocument": docAll})
	mustCall(t, attacker, "ram", "CreatePolicyVersion", map[string]string{"PolicyName": "evil-pol", "PolicyDocument": docRead})
	mustCall(t, attacker, "ram", "AttachPolicyToRole", map[string]string{"RoleName": "backdoor", "PolicyType": "Custom", "PolicyName": "evil-pol"})
	mustCall(t, attacker, "ram", "UpdateRole", map[string]string{"RoleName": "ops-deploy", "NewAssumeRolePolicyDocument": trustAttacker})
	mustCall(t, attacker, "ram", "CreatePolicyVersion", map[string]string{"PolicyName": "app-read", "PolicyDocument": docAll, "SetAsDefault": "true"})
	mfa := mustCall(t, attacker, "ram", "CreateVirtualMFADevice", map[string]string{"VirtualMFADeviceName": "evil"})
	serial := mfa["VirtualMFADevice"].(map[string]any)["SerialNumber"].(string)
	mustCall(t, attacker, "ram", "BindMFADevice", map[string]string{"UserName": "dev1", "SerialNumber": serial, "AuthenticationCode1": "123456", "AuthenticationCode2": "654321"})
	mustCall(t, attacker, "ecs", "ImportKeyPair", map[string]string{"RegionId": region, "KeyPairName": "evil-key", "PublicKeyBody": "ssh-rsa AAAAB3NzaC1yc2E attacker"})
	cmd := mustCall(t, attacker, "ecs", "CreateCommand", map[string]string{"RegionId": region, "Name": "miner", "Type": "RunShellScript", "CommandContent": "ZWNobyBoaQ=="})
	cmdID := cmd["CommandId"].(string)
	mustCall(t, attacker, "ecs", "ModifyInstanceNetworkSpec", map[string]string{"RegionId": region, "InstanceId": officeInst, "InternetMaxBandwidthOut": "100"})

	ev := labEvidence(t, e, since)
	opts := respond.EradicateOptions{KeyID: e.info.Notes["leaked_key_id"], Evidence: ev, StateDir: dir, Now: time.Now}
	p, err := respond.PlanEradicate(ctx, e.admin, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"delete-role:backdoor":                            respond.KindDeleteRole,
		"detach-policy:Role:backdoor:AdministratorAccess": respond.KindPrincipalPolicy,
		"detach-policy:Role:backdoor:evil-pol":            respond.KindPrincipalPolicy,
		"delete-policy:evil-pol":                          respond.KindDeletePolicy,
		"role-trust:ops-deploy":                           respond.KindRoleTrust,
		"policy-default:app-read":                         respond.KindPolicyDefault,
		"mfa-device:dev1":                                 respond.KindMFADevice,
		"delete-key-pair:" + region + ":evil-key":         respond.KindDeleteKeyPair,
		"delete-command:" + cmdID:                         respond.KindDeleteCommand,
		"bandwidth:" + officeInst:                         respond.KindBandwidth,
	}
	for id, kind := range want {
		a := p.Action(id)
		switch {
		case a == nil:
			t.Errorf("plan has no action %s; actions: %v", id, actionIDs(p))
		case a.Kind != kind || a.Noop:
			t.Errorf("%s: kind %s noop %v, want %s and a change", id, a.Kind, a.Noop, kind)
		case len(a.Evidence) == 0:
			t.Errorf("%s: no evidence event", id)
		}
	}
	if a := p.Action("detach-policy:Role:backdoor:evil-pol"); a != nil && len(a.Evidence) != 2 {
		t.Errorf("detach evil-pol from backdoor: evidence %v, want the CreateRole and the CreatePolicy events (one action for both)", a.Evidence)
	}
	if a := p.Action("delete-role:backdoor"); a != nil && len(a.DependsOn) != 2 {
		t.Errorf("delete-role depends on %v, want both detaches", a.DependsOn)
	}
	if a := p.Action("policy-default:app-read"); a != nil && !strings.Contains(a.AfterText, "v1") {
		t.Errorf("app-read default reverts to %q, want v1 (from the office's CreatePolicy)", a.AfterText)
	}
	if a := p.Action("bandwidth:" + officeInst); a != nil && a.AfterText != "5 Mbit/s out" {
		t.Errorf("bandwidth reverts to %q, want 5 Mbit/s (RunInstances)", a.AfterText)
	}
	if p.Action("delete-role:ops-deploy") != nil || p.Action("delete-policy:app-read") != nil {
		t.Error("the office's role and policy must not be deleted: only the attacker's change to them is reverted")
	}

	if _, err := respond.Execute(ctx, p, respond.ExecOptions{StateDir: dir}); err != nil {
		t.Fatalf("execute: %v", err)
	}
	if _, err := e.admin.GetRole(ctx, "backdoor"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("role backdoor: %v, want deleted", err)
	}
	if ro, err := e.admin.GetRole(ctx, "ops-deploy"); err != nil || !strings.Contains(ro.AssumeRolePolicyDocument, "ecs.aliyuncs.com") {
		t.Errorf("ops-deploy trust = %q (%v), want the office's ECS trust back", ro.AssumeRolePolicyDocument, err)
	}
	if pol, err := e.admin.GetPolicy(ctx, "app-read", "Custom"); err != nil || pol.DefaultVersion != "v1" {
		t.Errorf("app-read default = %q (%v), want v1", pol.DefaultVersion, err)
	}
	if _, err := e.admin.GetPolicy(ctx, "evil-pol", "Custom"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("policy evil-pol: %v, want deleted", err)
	}
	if info, err := e.admin.GetUserMFAInfo(ctx, "dev1"); err != nil || info.Enabled {
		t.Errorf("dev1 MFA = %+v (%v), want none", info, err)
	}
	if ok, err := e.admin.KeyPairExists(ctx, region, "evil-key"); err != nil || ok {
		t.Errorf("key pair evil-key exists=%v (%v), want deleted", ok, err)
	}
	if ok, err := e.admin.CommandExists(ctx, region, cmdID); err != nil || ok {
		t.Errorf("command %s exists=%v (%v), want deleted", cmdID, ok, err)
	}
	if ins, err := e.admin.DescribeInstancesIn(ctx, region, []string{officeInst}); err != nil || len(ins) != 1 || ins[0].InternetMaxBandwidthOut != 5 || ins[0].Status != "Running" {
		t.Errorf("office instance = %+v (%v), want Running at 5 Mbit/s", ins, err)
	}

	// The journal holds an evidence record per action, naming real events.
	recs, _, err := journal.ReadKey(dir, opts.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	evIDs := map[string]bool{}
	for _, x := range ev.Events {
		evIDs[x.ID] = true
	}
	withEvidence := map[string]bool{}
	for _, r := range recs {
		if r.Kind != journal.KindNote || r.Action != respond.EvidenceNote {
			continue
		}
		var doc struct {
			EventIDs []string `json:"event_ids"`
		}
		if err := json.Unmarshal(r.After, &doc); err != nil || len(doc.EventIDs) == 0 {
			t.Errorf("evidence record of %s: %s (%v)", r.ActionID, r.After, err)
		}
		for _, id := range doc.EventIDs {
			if !evIDs[id] {
				t.Errorf("evidence record of %s names event %s, which is not in the evidence", r.ActionID, id)
			}
		}
		withEvidence[r.ActionID] = true
	}
	for id := range want {
		if !withEvidence[id] {
			t.Errorf("no evidence record for %s", id)
		}
	}

	// A second run plans nothing.
	p2, err := respond.PlanEradicate(ctx, e.admin, respond.EradicateOptions{KeyID: opts.KeyID, Evidence: labEvidence(t, e, since), StateDir: dir, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	if n := p2.Changes(); n != 0 {
		t.Errorf("second run plans %d change(s): %v", n, changed(p2))
	}

	// --undo restores the reversible changes and names the rest.
	u, err := respond.PlanEradicateUndo(ctx, e.admin, opts.KeyID, dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"undo-role-trust:ops-deploy", "undo-policy-default:app-read", "undo-bandwidth:" + officeInst} {
		if a := u.Action(id); a == nil || a.Noop {
			t.Errorf("undo plan lacks %s; actions %v", id, actionIDs(u))
		}
	}
	notes := strings.Join(u.Notes, "\n")
	for _, w := range []string{"delete-role backdoor", "delete-policy evil-pol", "mfa-device dev1", "delete-key-pair evil-key", "delete-command " + cmdID, "role backdoor was deleted"} {
		if !strings.Contains(notes, w) {
			t.Errorf("undo notes do not name %q as not reversible:\n%s", w, notes)
		}
	}
	if _, err := respond.Execute(ctx, u, respond.ExecOptions{StateDir: dir}); err != nil {
		t.Fatalf("execute undo: %v", err)
	}
	if ro, _ := e.admin.GetRole(ctx, "ops-deploy"); !strings.Contains(ro.AssumeRolePolicyDocument, "1999999999999999") {
		t.Errorf("after undo, ops-deploy trust = %q, want the document eradicate replaced", ro.AssumeRolePolicyDocument)
	}
	if pol, _ := e.admin.GetPolicy(ctx, "app-read", "Custom"); pol.DefaultVersion != "v2" {
		t.Errorf("after undo, app-read default = %q, want v2", pol.DefaultVersion)
	}
	if ins, _ := e.admin.DescribeInstancesIn(ctx, region, []string{officeInst}); len(ins) != 1 || ins[0].InternetMaxBandwidthOut != 100 {
		t.Errorf("after undo, bandwidth = %+v, want 100", ins)
	}
}

func actionIDs(p *respond.Plan) []string {
	var out []string
	for _, a := range p.Actions {
		out = append(out, a.ID)
	}
	slices.Sort(out)
	return out
}

func changed(p *respond.Plan) []string {
	var out []string
	for _, a := range p.Actions {
		if !a.Noop {
			out = append(out, a.Describe())
		}
	}
	return out
}
