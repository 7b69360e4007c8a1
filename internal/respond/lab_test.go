package respond_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/redact"
	"github.com/akresp/akresp/internal/respond"
)

func TestMain(m *testing.M) {
	// Never let credentials-go probe the ECS metadata service.
	os.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	os.Exit(m.Run())
}

type labEnv struct {
	srv   *lab.Server
	info  *lab.ScenarioInfo
	admin *cloud.Clients
}

func startLab(t testing.TB, latency time.Duration) *labEnv {
	t.Helper()
	sc, err := lab.LoadScenario("builtin:leak")
	if err != nil {
		t.Fatal(err)
	}
	w, info, err := sc.Build(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := lab.New(lab.Options{World: w, Latency: latency})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	e := &labEnv{srv: srv, info: info}
	e.admin = e.clients(t, "admin", "")
	return e
}

func (e *labEnv) clients(t testing.TB, principal, localAddr string) *cloud.Clients {
	t.Helper()
	cred, ok := e.info.Credentials[principal]
	if !ok {
		t.Fatalf("scenario has no credentials for %s", principal)
	}
	c, err := cloud.New(context.Background(), cloud.Config{
		Endpoint:    "http://" + e.srv.Addr(),
		Credential:  &cloud.StaticCredential{AccessKeyID: cred.AccessKeyID, AccessKeySecret: redact.Secret(cred.AccessKeySecret)},
		Timeout:     5 * time.Second,
		MaxAttempts: 1,
		LocalAddr:   localAddr,
		Version:     "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLabContainApplyNoopUndo(t *testing.T) {
	e := startLab(t, 0)
	ctx := context.Background()
	dir := t.TempDir()
	leaked := e.info.Notes["leaked_key_id"]
	office := e.info.Notes["office_ip"]
	before := e.srv.StateJSON()

	opts := respond.ContainOptions{KeyID: leaked, ACL: respond.ACLRequest{AllowIPs: []string{office + "/32"}}, Now: time.Now}

	// --dry-run is planning alone: the lab must not change.
	p, err := respond.PlanContain(ctx, e.admin, opts)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(before), string(e.srv.StateJSON())); d != "" {
		t.Fatalf("planning changed the lab (-before +after):\n%s", d)
	}
	// The owner holds AdministratorAccess: after containment a NoPermission
	// can only come from the explicit Deny of our policy.
	if !slices.Contains(p.Key.AttachedPolicies, "System:AdministratorAccess") {
		t.Fatalf("scenario changed: owner policies %v", p.Key.AttachedPolicies)
	}
	if p.Key.Owner != e.info.Notes["leaked_user"] || p.Changes() != 3 {
		t.Fatalf("plan: owner %q, %d changes", p.Key.Owner, p.Changes())
	}
	sum, err := respond.Execute(ctx, p, respond.ExecOptions{StateDir: dir, Now: time.Now})
	if err != nil {
		t.Fatalf("contain: %v", err)
	}
	if sum.State != respond.StateContained {
		t.Fatalf("state %s: %+v", sum.State, sum.Checks)
	}

	// The attacker's address is cut off by the network ACL.
	attacker := e.clients(t, "app-prod", e.info.Notes["attacker_ip"])
	if _, err := attacker.ListUsers(ctx); !errors.Is(err, cloud.ErrNetworkPolicy) {
		t.Errorf("attacker call: %v, want a network-policy error", err)
	}
	// From the office a read works and high-risk writes hit the explicit deny.
	officeC := e.clients(t, "app-prod", office)
	if _, err := officeC.ListUsers(ctx); err != nil {
		t.Errorf("office read: %v", err)
	}
	if _, err := officeC.CreateAccessKey(ctx, "reporting"); !errors.Is(err, cloud.ErrNoPermission) {
		t.Errorf("office CreateAccessKey: %v, want NoPermission", err)
	}
	if _, err := officeC.DetachPolicyFromUser(ctx, "Custom", respond.DefaultPolicyName, e.info.Notes["leaked_user"]); !errors.Is(err, cloud.ErrNoPermission) {
		t.Errorf("office DetachPolicyFromUser of the deny policy: %v, want NoPermission", err)
	}

	// The journal holds an intent and an ok outcome with a request ID for
	// every action.
	recs, _, err := journal.ReadKey(dir, leaked)
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]string{}
	for _, r := range recs {
		if r.Kind == journal.KindOutcome {
			outcomes[r.ActionID] = r.Result
			if r.RequestID == "" {
				t.Errorf("outcome %s without request ID", r.ActionID)
			}
		}
	}
	if d := cmp.Diff(map[string]string{"network-acl": "ok", "deny-policy": "ok", "attach:app-prod": "ok"}, outcomes); d != "" {
		t.Errorf("journal outcomes (-want +got):\n%s", d)
	}
	if len(journal.Pending(recs)) != 0 {
		t.Error("journal has intents without outcome")
	}

	// A second run is a no-op.
	p2, err := respond.PlanContain(ctx, e.admin, opts)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Changes() != 0 {
		t.Fatalf("second run plans changes: %+v", p2.Actions)
	}

	st, err := respond.Status(ctx, e.admin, dir, leaked, "")
	if err != nil || st.State != respond.StateContained {
		t.Fatalf("status: %v %+v", err, st)
	}

	// Undo restores the lab's state.
	up, err := respond.PlanUndo(ctx, e.admin, respond.UndoOptions{KeyID: leaked, StateDir: dir, Now: time.Now, All: true, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := up.Blocked(); r != nil || len(up.Rails) != 1 || up.Rails[0].Rule != "undo-deny-active-key" {
		t.Fatalf("undo: blocked %v, rails %v (want only the overridden deny rail)", r, up.Rails)
	}
	if _, err := respond.Execute(ctx, up, respond.ExecOptions{StateDir: dir, Now: time.Now}); err != nil {
		t.Fatalf("undo: %v", err)
	}
	if d := cmp.Diff(string(before), string(e.srv.StateJSON())); d != "" {
		t.Errorf("undo did not restore the lab (-before +after):\n%s", d)
	}
}

func TestLabDisable(t *testing.T) {
	e := startLab(t, 0)
	ctx := context.Background()
	dir := t.TempDir()
	plan := func(key, mode string) *respond.DisablePlan {
		t.Helper()
		dp, err := respond.PlanDisable(ctx, e.admin, respond.DisableOptions{KeyID: key, Mode: mode, StateDir: dir, Now: time.Now})
		if err != nil {
			t.Fatal(err)
		}
		return dp
	}
	// The leaked key is used now; an hour later disable still refuses it.
	leaked := e.info.Notes["leaked_key_id"]
	if _, err := e.clients(t, "app-prod", e.info.Notes["office_ip"]).ListUsers(ctx); err != nil {
		t.Fatal(err)
	}
	inAnHour := func() time.Time { return time.Now().Add(time.Hour) }
	dp0, err := respond.PlanDisable(ctx, e.admin, respond.DisableOptions{KeyID: leaked, Mode: respond.ModeDisable, StateDir: dir, Now: inAnHour})
	if err != nil {
		t.Fatal(err)
	}
	if r := dp0.Blocked(); r == nil || r.Rule != "key-in-use" || r.ExitCode() != 4 {
		t.Fatalf("disable of a key used an hour ago: rail %v (last use %+v)", r, dp0.LastUse)
	}
	idle := e.info.Credentials["idle-bot"].AccessKeyID
	dp := plan(idle, respond.ModeDisable)
	if dp.Blocked() != nil {
		t.Fatalf("idle key blocked: %v", dp.Blocked())
	}
	if sum, err := respond.Execute(ctx, dp.Plan, respond.ExecOptions{StateDir: dir, Now: time.Now}); err != nil || sum.State != "Inactive" {
		t.Fatalf("disable idle: %v %+v", err, sum)
	}
	if sum, err := respond.Execute(ctx, plan(idle, respond.ModeEnable).Plan, respond.ExecOptions{StateDir: dir, Now: time.Now}); err != nil || sum.State != "Active" {
		t.Fatalf("enable: %v %+v", err, sum)
	}
	// akresp's own key is never disabled.
	if r := plan(e.info.Credentials["admin"].AccessKeyID, respond.ModeDisable).Blocked(); r == nil || r.Rule != "self-key" {
		t.Errorf("self key: rail %v", r)
	}
}

// cancelView cancels the run (a first Ctrl-C) when the named action is done.
type cancelView struct {
	respond.NopView
	after  string
	cancel context.CancelFunc
}

func (v *cancelView) ActionDone(a *respond.Action, o respond.Outcome) {
	if a.ID == v.after {
		v.cancel()
	}
}

func TestLabInterruptedApplyResumes(t *testing.T) {
	e := startLab(t, 0)
	dir := t.TempDir()
	leaked := e.info.Notes["leaked_key_id"]
	before := e.srv.StateJSON()
	opts := respond.ContainOptions{KeyID: leaked, ACL: respond.ACLRequest{AllowIPs: []string{e.info.Notes["office_cidr"]}}, Now: time.Now}
	p, err := respond.PlanContain(context.Background(), e.admin, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sum, err := respond.Execute(ctx, p, respond.ExecOptions{StateDir: dir, Now: time.Now, View: &cancelView{after: "deny-policy", cancel: cancel}})
	var pe *respond.PartialError
	if !errors.As(err, &pe) || !sum.Interrupted || sum.State != respond.StatePartiallyContained {
		t.Fatalf("interrupted run: %v %+v", err, sum)
	}
	// The re-run completes what is left, and only that.
	p2, err := respond.PlanContain(context.Background(), e.admin, opts)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Changes() != 1 || p2.Action("attach:app-prod").Noop {
		t.Fatalf("resume plan: %d changes", p2.Changes())
	}
	if sum, err := respond.Execute(context.Background(), p2, respond.ExecOptions{StateDir: dir, Now: time.Now}); err != nil || sum.State != respond.StateContained {
		t.Fatalf("resume: %v %+v", err, sum)
	}
	// Undo spans both runs.
	up, err := respond.PlanUndo(context.Background(), e.admin, respond.UndoOptions{KeyID: leaked, StateDir: dir, Now: time.Now, All: true, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := respond.Execute(context.Background(), up, respond.ExecOptions{StateDir: dir, Now: time.Now}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(before), string(e.srv.StateJSON())); d != "" {
		t.Errorf("undo did not restore the lab (-before +after):\n%s", d)
	}
}
