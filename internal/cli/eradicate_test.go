package cli

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
)

// eradicateLab starts builtin:leak on the lab and returns a runner of
// akresp commands against it (as the responder, admin).
func eradicateLab(t *testing.T) (*lab.Server, *lab.ScenarioInfo, func(args ...string) (int, string, string)) {
	t.Helper()
	srv, info := serveScenario(t, "builtin:leak")
	asLabAdmin(t, info)
	admin := info.Credentials["admin"]
	stateDir := filepath.Join(t.TempDir(), "state")
	endpoint := "http://" + srv.Addr()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		ios, _, out, errOut := TestStreams()
		f := NewFactory(ios)
		f.Version = "v0.0.0-test"
		f.Cloud = func(ctx context.Context) (*cloud.Clients, error) {
			return cloud.New(ctx, cloud.Config{Endpoint: endpoint, RateScale: 1000, MaxAttempts: 1, Version: f.Version})
		}
		code := Run(context.Background(), f, append([]string{"--endpoint", endpoint, "--state-dir", stateDir}, args...))
		for _, s := range []string{out.String(), errOut.String()} {
			if strings.Contains(s, admin.AccessKeySecret) {
				t.Fatalf("akresp %v printed the caller's secret", args)
			}
		}
		return code, out.String(), errOut.String()
	}
	return srv, info, run
}

type eradicateDoc struct {
	Plan struct {
		Actions []struct {
			ID   string `json:"id"`
			Kind string `json:"kind"`
			Noop bool   `json:"noop"`
		} `json:"actions"`
		Kept          []string `json:"kept"`
		Unrecoverable []struct {
			What string `json:"what"`
		} `json:"unrecoverable"`
		Instances []struct {
			ID     string `json:"instance_id"`
			Status string `json:"status"`
		} `json:"instances"`
		Cost *struct {
			SoFar   float64 `json:"spend_so_far"`
			PerHour float64 `json:"spend_per_hour_if_not_stopped"`
			Warning string  `json:"warning"`
		} `json:"cost"`
		Notes []string `json:"notes"`
	} `json:"plan"`
}

func (d *eradicateDoc) changes() int {
	n := 0
	for _, a := range d.Plan.Actions {
		if !a.Noop {
			n++
		}
	}
	return n
}

// TestEradicateLeakAfterContain walks builtin:leak: contain, eradicate,
// re-run, cost, undo.
func TestEradicateLeakAfterContain(t *testing.T) {
	if testing.Short() {
		t.Skip("walks builtin:leak on the lab")
	}
	srv, info, run := eradicateLab(t)
	key := info.Notes["leaked_key_id"]
	created := info.Notes["created_user"]
	createdKey := info.Notes["created_key_id"]
	sg := info.Notes["attacker_security_group"]
	office := info.Notes["office_instance_id"]
	must := func(args ...string) string {
		t.Helper()
		code, out, errOut := run(args...)
		if code != ExitOK {
			t.Fatalf("akresp %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	must("contain", key, "--trusted-from-audit", "--contain-created", "--yes")

	// The plan, before anything changes: the cost of the attacker's
	// instances equals the lab's price table x their running hours.
	var before eradicateDoc
	if err := json.Unmarshal([]byte(must("eradicate", key, "--dry-run", "-o", "json")), &before); err != nil {
		t.Fatal(err)
	}
	w := srv.Snapshot()
	attackerInstances := 0
	want := 0.0
	now := time.Now()
	for _, in := range w.ECS.Instances {
		if in.Region == "us-west-1" && in.Status == lab.ECSRunning {
			attackerInstances++
			want += lab.ECSPrice(in.InstanceType) * now.Sub(in.Created).Hours()
		}
	}
	if attackerInstances != 20 || len(before.Plan.Instances) != 20 {
		t.Fatalf("the lab has %d running instances in us-west-1 and the plan names %d, want 20 and 20", attackerInstances, len(before.Plan.Instances))
	}
	if before.Plan.Cost == nil || before.Plan.Cost.Warning != "" {
		t.Fatalf("plan cost = %+v, want a figure without warning", before.Plan.Cost)
	}
	if hourly := 20 * lab.ECSPrice("ecs.gn6i-c4g1.xlarge"); math.Abs(before.Plan.Cost.SoFar-want) > hourly {
		t.Errorf("spend so far = %.2f, want %.2f +- one hour (%.2f)", before.Plan.Cost.SoFar, want, hourly)
	}
	if got, wantH := before.Plan.Cost.PerHour, 20*lab.ECSPrice("ecs.gn6i-c4g1.xlarge"); math.Abs(got-wantH) > 0.05 {
		t.Errorf("spend per hour = %.2f, want %.2f", got, wantH)
	}
	unrec := false
	for _, u := range before.Plan.Unrecoverable {
		if strings.Contains(u.What, info.Notes["deleted_instance_id"]) {
			unrec = true
		}
	}
	if !unrec {
		t.Errorf("unrecoverable = %+v, want the deleted production instance", before.Plan.Unrecoverable)
	}
	for _, a := range before.Plan.Actions {
		if strings.Contains(a.ID, office) {
			t.Errorf("the plan touches the office's instance: %s", a.ID)
		}
	}

	out := must("eradicate", key, "--yes")
	if !strings.Contains(out, "eradicated") {
		t.Errorf("eradicate output does not say eradicated:\n%s", out)
	}
	w = srv.Snapshot()
	if _, ok := w.Logins[created]; ok {
		t.Errorf("%s still has a console login", created)
	}
	for _, a := range w.Attachments {
		if a.PrincipalType == "User" && a.PrincipalName == created {
			t.Errorf("%s still has policy %s", created, a.PolicyName)
		}
	}
	for _, k := range w.AccessKeys {
		if k.Owner == created && k.Status == "Active" {
			t.Errorf("%s still has an active key %s", created, k.ID)
		}
	}
	stopped := 0
	for _, in := range w.ECS.Instances {
		if in.Region == "us-west-1" && in.Status == lab.ECSStopped {
			stopped++
		}
	}
	if stopped != 20 {
		t.Errorf("%d attacker instances stopped, want 20", stopped)
	}
	if in := w.ECS.Instances[office]; in == nil || in.Status != lab.ECSRunning {
		t.Errorf("the office's instance %s is %+v, want Running", office, in)
	}
	g := w.ECS.SecurityGroups[sg]
	for _, r := range g.Rules {
		if r.PortRange == "22/22" && r.SourceCidrIP == "0.0.0.0/0" {
			t.Errorf("the attacker's rule is still open on %s", sg)
		}
	}
	if len(g.Rules) != 1 || g.Rules[0].PortRange != "443/443" {
		t.Errorf("rules of %s = %+v, want only the original 443 rule", sg, g.Rules)
	}

	// A second run plans nothing.
	var again eradicateDoc
	if err := json.Unmarshal([]byte(must("eradicate", key, "--dry-run", "-o", "json")), &again); err != nil {
		t.Fatal(err)
	}
	if n := again.changes(); n != 0 {
		t.Errorf("second run plans %d change(s), want 0: %+v", n, again.Plan.Actions)
	}

	// --undo restores what is reversible and names what is not.
	out = must("eradicate", key, "--undo", "--yes")
	if !strings.Contains(out, "cannot be undone: "+"delete-login-profile "+created) {
		t.Errorf("undo does not name the deleted console login as irreversible:\n%s", out)
	}
	w = srv.Snapshot()
	running := 0
	for _, in := range w.ECS.Instances {
		if in.Region == "us-west-1" && in.Status == lab.ECSRunning {
			running++
		}
	}
	if running != 20 {
		t.Errorf("after undo %d attacker instances run, want 20", running)
	}
	admin := false
	for _, a := range w.Attachments {
		if a.PrincipalType == "User" && a.PrincipalName == created && a.PolicyName == "AdministratorAccess" {
			admin = true
		}
	}
	if !admin {
		t.Errorf("after undo AdministratorAccess is not back on %s", created)
	}
	open := false
	for _, r := range w.ECS.SecurityGroups[sg].Rules {
		open = open || (r.PortRange == "22/22" && r.SourceCidrIP == "0.0.0.0/0")
	}
	if !open {
		t.Errorf("after undo the rule is not back on %s", sg)
	}
	if k := w.AccessKeys[createdKey]; k == nil || k.Status != "Inactive" {
		t.Errorf("after undo the attacker's key %s is %+v, want it still Inactive", createdKey, k)
	}
	if _, ok := w.Logins[created]; ok {
		t.Errorf("undo re-created a console login for %s", created)
	}
}

// Without permission to read bills, eradicate warns once and does the rest.
func TestEradicateWithoutBillingPermission(t *testing.T) {
	if testing.Short() {
		t.Skip("runs builtin:leak on the lab")
	}
	srv, info, run := eradicateLab(t)
	key := info.Notes["leaked_key_id"]
	srv.Update(func(w *lab.World) {
		w.Policies["DenyBilling"] = &lab.Policy{Name: "DenyBilling", Type: "Custom", DefaultVersion: "v1", NextVersion: 2,
			Versions: []*lab.PolicyVersion{{VersionID: "v1", Document: `{"Version":"1","Statement":[{"Effect":"Deny","Action":"bssapi:*","Resource":"*"}]}`}}}
		w.Attachments = append(w.Attachments, lab.Attachment{PolicyName: "DenyBilling", PolicyType: "Custom", PrincipalType: "User", PrincipalName: "admin"})
	})
	code, out, errOut := run("eradicate", key, "--yes")
	if code != ExitOK {
		t.Fatalf("eradicate without billing permission: exit %d, want 0\n%s\n%s", code, out, errOut)
	}
	if n := strings.Count(errOut, "no permission to read bills"); n != 1 {
		t.Errorf("the billing warning appears %d times on stderr, want once:\n%s", n, errOut)
	}
	stopped := 0
	for _, in := range srv.Snapshot().ECS.Instances {
		if in.Region == "us-west-1" && in.Status == lab.ECSStopped {
			stopped++
		}
	}
	if stopped != 20 {
		t.Errorf("%d attacker instances stopped, want 20: the rest must run without billing", stopped)
	}
}
