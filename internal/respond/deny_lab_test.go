package respond_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/respond"
)

// TestLabContainDeniesHighRiskFromOffice: after contain with --allow-ip
// <office>, the leaked key still reads from the office, the deny-high-risk
// policy's explicit Deny beats the key's AdministratorAccess for RAM,
// compute and SMS abuse from the office, and from the attacker's address
// the network ACL refuses every call before RAM policies are looked at.
func TestLabContainDeniesHighRiskFromOffice(t *testing.T) {
	e := startLab(t, 0)
	ctx := context.Background()
	leaked, office, attackerIP := e.info.Notes["leaked_key_id"], e.info.Notes["office_ip"], e.info.Notes["attacker_ip"]
	if office != "127.0.0.10" || attackerIP != "127.0.0.66" {
		t.Fatalf("scenario addresses changed: office %s attacker %s", office, attackerIP)
	}
	officeC := e.clients(t, "app-prod", office)
	attacker := e.clients(t, "app-prod", attackerIP)

	type call struct {
		name            string
		product, action string
		params          map[string]string
	}
	read := call{"read: ecs DescribeInstances", "ecs", "DescribeInstances", map[string]string{"RegionId": "cn-hangzhou"}}
	highRisk := []call{
		{"ram CreateUser", "ram", "CreateUser", map[string]string{"UserName": "attacker-persist"}},
		{"ecs DeleteInstance", "ecs", "DeleteInstance", map[string]string{"InstanceId": "i-bp1prodweb01zxcv9lm", "RegionId": "cn-hangzhou"}},
		{"dysms SendSms", "dysms", "SendSms", map[string]string{"PhoneNumbers": "13800000000", "SignName": "akresp", "TemplateCode": "SMS_000001"}},
	}

	// Before containment the leaked key may do all of it: the test would
	// prove nothing if the key lacked the permissions to begin with.
	for _, c := range highRisk[:1] {
		if _, err := officeC.CallRPC(ctx, c.product, c.action, map[string]string{"UserName": "precheck-user"}); err != nil {
			t.Fatalf("before contain, %s from the office: %v", c.name, err)
		}
	}
	if _, err := attacker.CallRPC(ctx, read.product, read.action, read.params); err != nil {
		t.Fatalf("before contain, the attacker's read: %v", err)
	}

	opts := respond.ContainOptions{KeyID: leaked, ACL: respond.ACLRequest{AllowIPs: []string{office + "/32"}}, Now: time.Now}
	p, err := respond.PlanContain(ctx, e.admin, opts)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := respond.Execute(ctx, p, respond.ExecOptions{StateDir: t.TempDir(), Now: time.Now})
	if err != nil || sum.State != respond.StateContained {
		t.Fatalf("contain: %v, state %s %+v", err, sum.State, sum.Checks)
	}

	if _, err := officeC.CallRPC(ctx, read.product, read.action, read.params); err != nil {
		t.Errorf("%s from the office after contain: %v, want success", read.name, err)
	}
	for _, c := range highRisk {
		_, err := officeC.CallRPC(ctx, c.product, c.action, c.params)
		var ae *cloud.APIError
		switch {
		case !errors.Is(err, cloud.ErrNoPermission):
			t.Errorf("%s from the office after contain: %v, want NoPermission", c.name, err)
		case !errors.As(err, &ae) || ae.Code != "NoPermission":
			t.Errorf("%s from the office after contain: error code %v, want NoPermission", c.name, err)
		}
	}
	for _, c := range append([]call{read}, highRisk...) {
		if _, err := attacker.CallRPC(ctx, c.product, c.action, c.params); !errors.Is(err, cloud.ErrNetworkPolicy) {
			t.Errorf("%s from %s after contain: %v, want %v", c.name, attackerIP, err, cloud.ErrNetworkPolicy)
		}
	}
}

// TestLabContainKnownUser: --user moves the owner's reads into the first
// lookup round but IMS must still confirm the owner.
func TestLabContainKnownUser(t *testing.T) {
	e := startLab(t, 0)
	ctx := context.Background()
	leaked, office := e.info.Notes["leaked_key_id"], e.info.Notes["office_ip"]
	for _, tc := range []struct {
		name, key, user string
		wantErr         string
	}{
		{name: "upn with alias", key: leaked, user: "app-prod@akresp-lab.onaliyun.com"},
		{name: "upn with account id", key: leaked, user: "app-prod@1234567890123456.onaliyun.com"},
		{name: "name only", key: leaked, user: "app-prod"},
		{name: "another user", key: leaked, user: "admin", wantErr: "belongs to app-prod"},
		{name: "unknown user", key: leaked, user: "nobody@akresp-lab.onaliyun.com", wantErr: "nobody"},
		{name: "root key", key: e.info.Notes["root_key_id"], user: "admin", wantErr: "no RAM user owns this AccessKey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.srv.StateJSON()
			p, err := respond.PlanContain(ctx, e.admin, respond.ContainOptions{KeyID: tc.key, User: tc.user,
				ACL: respond.ACLRequest{AllowIPs: []string{office + "/32"}}, RequireMFA: true, Now: time.Now})
			if string(e.srv.StateJSON()) != string(before) {
				t.Fatal("planning changed the lab")
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"network-acl", "deny-policy", "attach:app-prod"}
			var got []string
			for _, a := range p.Actions {
				if !strings.HasPrefix(a.ID, "mfa:") {
					got = append(got, a.ID)
				}
			}
			if !slices.Equal(got, want) || p.Key.Owner != "app-prod" || p.Key.UserPrincipalName != "app-prod@akresp-lab.onaliyun.com" || p.Key.Status != "Active" {
				t.Errorf("plan: actions %v, key %+v", got, p.Key)
			}
			if a := p.Action("network-acl"); a == nil || a.Noop || !strings.Contains(string(a.Before), `"user_principal_name":"app-prod@akresp-lab.onaliyun.com"`) {
				t.Errorf("ACL action %+v", a)
			}
		})
	}
}
