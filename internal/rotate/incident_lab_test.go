package rotate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/policy"
	"github.com/akresp/akresp/internal/rotate"
)

// The contained incident the tests below walk through: the office
// (127.0.0.10/31) is the fence's allow-list, 127.0.0.66 is the attacker an
// audit flagged.
const (
	officeApp   = "127.0.0.10" // switches to the new key
	officeBatch = "127.0.0.11" // a second application in the office
	attackerIP  = "127.0.0.66"
)

type containedLab struct {
	*labEnv
	oldSecret string
	upn       string
	fence     string
	stateDir  string
}

// startContained starts the lab, fences the app key to the office and
// journals an audit that flagged the attacker, as contain would leave it.
func startContained(t *testing.T) *containedLab {
	t.Helper()
	e := startLab(t)
	ctx := context.Background()
	c := &containedLab{labEnv: e, oldSecret: e.info.Credentials["app"].AccessKeySecret, stateDir: filepath.Join(e.dir, "state")}
	u, err := e.admin.GetUserByAccessKey(ctx, appKey)
	if err != nil {
		t.Fatal(err)
	}
	c.upn = u.UserPrincipalName
	acl, err := policy.NetworkACL(policy.ACLOptions{AllowIPs: []string{"127.0.0.10/31"}})
	if err != nil {
		t.Fatal(err)
	}
	c.fence = acl.JSON()
	if _, err := e.admin.SetAccessKeyPolicy(ctx, appKey, c.upn, c.fence); err != nil {
		t.Fatal(err)
	}
	if err := incident.AppendEvidence(c.stateDir, appKey, "audit", incident.Evidence{
		Onset: e.clock.Now().Add(-time.Hour), Flagged: []netip.Addr{netip.MustParseAddr(attackerIP)},
		SuggestedTrusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.10/31")}, Verdict: "suspected_leak",
	}, e.clock.Now); err != nil {
		t.Fatal(err)
	}
	// The fence works on the old key: the office passes, the attacker not.
	if err := e.call(appKey, c.oldSecret, officeApp); err != nil {
		t.Fatalf("office with the old key: %v", err)
	}
	if err := e.call(appKey, c.oldSecret, attackerIP); !errors.Is(err, cloud.ErrNetworkPolicy) {
		t.Fatalf("attacker with the old key: %v", err)
	}
	return c
}

func (c *containedLab) newSecret() string {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dir, "new-key.json"))
	if err != nil {
		c.t.Fatal(err)
	}
	var d map[string]string
	if err := json.Unmarshal(b, &d); err != nil {
		c.t.Fatal(err)
	}
	return d["access_key_secret"]
}

// TestLabRotationInheritsContainment: the new key of a contained key gets
// the fence before its secret is handed over, refuses the attacker's
// address, and the cut-over completes with a 10 s quiet period while the
// attacker calls every second with the old key; no rollback advice.
func TestLabRotationInheritsContainment(t *testing.T) {
	c := startContained(t)
	ctx := context.Background()
	start := c.clock.Now()
	// The attacker calls every (lab) second with the fenced old key, for
	// the whole rotation; every wait of the machine lets time pass.
	attack := 0
	tick := func(d time.Duration) {
		for ; d > 0; d -= time.Second {
			c.clock.Advance(time.Second)
			if err := c.call(appKey, c.oldSecret, attackerIP); err == nil {
				t.Error("the attacker's call with the old key passed")
			}
			attack++
		}
	}
	tick(3 * time.Second)
	rep, err := c.machine(func(o *rotate.Options) { o.Force = true; o.QuietFor = 10 * time.Second }).Run(ctx)
	if err != nil || rep.Step != rotate.StepHandedOver {
		t.Fatalf("create: %v", err)
	}
	newKey := rep.NewKeyID
	got, err := c.admin.GetAccessKeyPolicy(ctx, newKey, c.upn)
	if err != nil {
		t.Fatal(err)
	}
	gotACL, err := policy.ParseNetworkACL(got)
	if err != nil {
		t.Fatalf("new key ACL %q: %v", got, err)
	}
	wantACL, _ := policy.ParseNetworkACL(c.fence)
	if !gotACL.Equivalent(wantACL) {
		t.Fatalf("new key ACL %s, want the old key's %s", got, c.fence)
	}
	if rep.ACL == nil || rep.ACL.SetOn != newKey || rep.ACL.VerifiedAt.IsZero() {
		t.Errorf("report ACL %+v", rep.ACL)
	}
	// Journal order: the ACL was set and verified before the hand-over.
	recs, _, err := journal.ReadKey(c.stateDir, appKey)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range recs {
		if (r.Kind == journal.KindOutcome && r.Action != "") || r.Action == "verify-network-acl" {
			order = append(order, r.Action+"="+r.Result)
		}
	}
	if s := strings.Join(order, ","); !strings.Contains(s, "create-access-key=ok,inherit-network-acl=ok,verify-network-acl=ok,hand-over-secret=ok") {
		t.Errorf("journal order %s", s)
	}
	secret := c.newSecret()
	if err := c.call(newKey, secret, attackerIP); !errors.Is(err, cloud.ErrNetworkPolicy) {
		t.Fatalf("new key from the attacker's address: %v, want the fence's refusal", err)
	}
	if err := c.call(newKey, secret, officeApp); err != nil {
		t.Fatalf("new key from the office: %v", err)
	}

	// --wait, 10 s quiet period, 5 s observation, the attacker never stops.
	rep, err = c.machine(func(o *rotate.Options) {
		o.Wait, o.PollInterval, o.Handover = true, time.Second, nil
		o.QuietFor, o.QuietForSet = 10*time.Second, true
		o.Observe, o.ObserveSet = 5*time.Second, true
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			if c.clock.Now().Sub(start) > 2*time.Minute {
				return errors.New("gave up: two minutes of lab time without finishing")
			}
			tick(d)
			return ctx.Err()
		}
	}).Run(ctx)
	if err != nil || rep.Step != rotate.StepVerified {
		t.Fatalf("--wait: %v (step %s, waiting %q)", err, rep.Step, rep.WaitingFor)
	}
	st, _ := rotate.LoadState(c.stateDir, appKey)
	if took := st.CutOverAt.Sub(start); took > 30*time.Second {
		t.Errorf("cut-over took %s of lab time despite a 10 s quiet period", took)
	}
	if attack < 15 {
		t.Errorf("the attacker called only %d times", attack)
	}
	ev := rep.Evidence
	if ev == nil || len(ev.Failures) != 0 || len(ev.Attackers) == 0 || ev.Attackers[0].IP != attackerIP {
		t.Fatalf("observation evidence %+v", ev)
	}
	if !strings.Contains(rotate.AttackerSummary(ev.Attackers), attackerIP+", ") || strings.Contains(rep.NextCommand, "--rollback") {
		t.Errorf("attackers %q next %q", rotate.AttackerSummary(ev.Attackers), rep.NextCommand)
	}
	for _, n := range rep.Notes {
		if strings.Contains(n, "--rollback") {
			t.Errorf("rollback advice: %s", n)
		}
	}
	if c.keyStatus(appKey) != "Inactive" {
		t.Errorf("old key %s", c.keyStatus(appKey))
	}
}

// TestLabMissedApplicationRightAfterDisable: an office application that
// was not switched calls the moment the old key is disabled, together with
// the attacker: the rollback advice names the application, not the
// attacker.
func TestLabMissedApplicationRightAfterDisable(t *testing.T) {
	c := startContained(t)
	ctx := context.Background()
	rep, err := c.machine(func(o *rotate.Options) { o.Force = true }).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.call(rep.NewKeyID, c.newSecret(), officeApp); err != nil {
		t.Fatal(err)
	}
	c.clock.Advance(2 * time.Hour)
	missedErr := errors.New("unset")
	rep, err = c.machine(func(o *rotate.Options) {
		o.Wait, o.Handover = true, nil
		o.AfterStep = func(s rotate.Step) error {
			if s == rotate.StepDisabled && missedErr.Error() == "unset" {
				// Same second as the disable: no clock advance.
				missedErr = c.call(appKey, c.oldSecret, officeBatch)
				_ = c.call(appKey, c.oldSecret, attackerIP)
			}
			return nil
		}
	}).Run(ctx)
	if missedErr == nil {
		t.Fatal("the disabled key still worked")
	}
	var missed *rotate.MissedApplicationError
	if !errors.As(err, &missed) {
		t.Fatalf("want a missed application, got %v", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, officeBatch) || strings.Contains(msg, attackerIP) || !strings.Contains(msg, "--rollback") {
		t.Errorf("advice %q must name %s only", msg, officeBatch)
	}
	if len(rep.Evidence.Failures) != 1 || rep.Evidence.Failures[0].SourceIP != officeBatch {
		t.Errorf("failures %+v", rep.Evidence.Failures)
	}
	if rep.NextCommand != "akresp rotate "+appKey+" --rollback" {
		t.Errorf("next %q", rep.NextCommand)
	}
}

// TestLabStatusDrift: --status reads the cloud: a key re-enabled by hand is
// reported as drift, the disabled key's real last use is shown, and the
// next command is one that runs. A cloud it cannot read is an error.
func TestLabStatusDrift(t *testing.T) {
	c := startContained(t)
	ctx := context.Background()
	rep, err := c.machine(func(o *rotate.Options) { o.Force = true }).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.call(rep.NewKeyID, c.newSecret(), officeApp); err != nil {
		t.Fatal(err)
	}
	c.clock.Advance(2 * time.Hour)
	if rep, err = c.machine(func(o *rotate.Options) { o.Handover = nil }).Run(ctx); err != nil || rep.Step != rotate.StepDisabled {
		t.Fatalf("disable: %v", err)
	}
	rep, err = c.machine(nil).Status(ctx)
	if err != nil || len(rep.Drift) != 0 || len(rep.Keys) != 2 {
		t.Fatalf("status: %v drift %v keys %+v", err, rep.Drift, rep.Keys)
	}
	if k := rep.Keys[0]; k.Status != "Inactive" || !k.Known || k.LastUsed.IsZero() {
		t.Errorf("disabled old key: %+v (its real last use must show)", k)
	}
	// Someone re-enables the old key by hand.
	if _, err := c.admin.UpdateAccessKeyStatus(ctx, "", appKey, "Active"); err != nil {
		u, _ := c.admin.GetUserByAccessKey(ctx, appKey)
		if _, err := c.admin.UpdateAccessKeyStatus(ctx, u.UserName, appKey, "Active"); err != nil {
			t.Fatal(err)
		}
	}
	rep, err = c.machine(nil).Status(ctx)
	if err != nil || len(rep.Drift) != 1 || !strings.Contains(rep.Drift[0], "re-enabled") || rep.Keys[0].Status != "Active" {
		t.Fatalf("status after hand re-enable: %v drift %v", err, rep.Drift)
	}
	if rep.NextCommand != "akresp rotate "+appKey+" --rollback" {
		t.Errorf("next %q", rep.NextCommand)
	}
	// The rotation does not carry on as if nothing happened.
	if _, err := c.machine(func(o *rotate.Options) { o.Handover = nil }).Run(ctx); exitCode(err) != 4 || !strings.Contains(err.Error(), "Active again") {
		t.Errorf("run after hand re-enable: %v", err)
	}
	// The suggested command runs and leaves the right states.
	rep, err = c.machine(nil).Rollback(ctx)
	if err != nil || rep.Step != rotate.StepRolledBack {
		t.Fatalf("rollback: %v", err)
	}
	rep, err = c.machine(nil).Status(ctx)
	if err != nil || len(rep.Drift) != 0 || rep.Keys[0].Status != "Active" || rep.Keys[1].Status != "Active" {
		t.Errorf("status after rollback: %v drift %v keys %+v", err, rep.Drift, rep.Keys)
	}
	// A cloud that cannot be read: exit 1, not a report.
	c.srv.Close()
	if _, err := c.machine(func(o *rotate.Options) { o.Cloud = rotate.FromCloud(c.admin) }).Status(ctx); exitCode(err) != 1 {
		t.Errorf("status with the cloud down: %v", err)
	}
}

// TestLabHandEditedState: a rotation state whose new_key_id names the old
// key stops --rollback --delete-new (and the other modes) with exit 4
// naming the file and the field; nothing is deleted.
func TestLabHandEditedState(t *testing.T) {
	c := startContained(t)
	ctx := context.Background()
	rep, err := c.machine(func(o *rotate.Options) { o.Force = true }).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	newKey := rep.NewKeyID
	path := rotate.StatePath(c.stateDir, appKey)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(b, []byte(`"new_key_id": "`+newKey+`"`), []byte(`"new_key_id": "`+appKey+`"`), 1)
	if bytes.Equal(edited, b) {
		t.Fatalf("state file has no new_key_id %s:\n%s", newKey, b)
	}
	if err := os.WriteFile(path, edited, 0o600); err != nil {
		t.Fatal(err)
	}
	before := c.srv.StateJSON()
	// A raw edit: whatever catches it (the integrity MAC, or the facts
	// check), rotate stops with exit 4 naming the file and the field.
	if _, err := c.machine(func(o *rotate.Options) { o.DeleteNew = true; o.Handover = nil }).Rollback(ctx); exitCode(err) != 4 ||
		!strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "new_key_id") {
		t.Errorf("rollback --delete-new over an edited state: %v", err)
	}
	// The same lie written as akresp writes state (a state from before
	// the MAC, or a forged MAC): the semantic check against the journal
	// and the cloud stops it on its own.
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := rotate.LoadState(c.stateDir, appKey)
	if err != nil {
		t.Fatal(err)
	}
	st.NewKeyID = appKey
	if err := rotate.SaveState(c.stateDir, st); err != nil {
		t.Fatal(err)
	}
	for name, run := range map[string]func(m *rotate.Machine) error{
		"rollback --delete-new": func(m *rotate.Machine) error { _, err := m.Rollback(ctx); return err },
		"run":                   func(m *rotate.Machine) error { _, err := m.Run(ctx); return err },
		"delete":                func(m *rotate.Machine) error { _, err := m.Delete(ctx); return err },
		"status":                func(m *rotate.Machine) error { _, err := m.Status(ctx); return err },
	} {
		err := run(c.machine(func(o *rotate.Options) { o.DeleteNew = true; o.Handover = nil }))
		var fe *rotate.StateFactError
		if exitCode(err) != 4 || !errors.As(err, &fe) || fe.Field != "new_key_id" || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !bytes.Equal(before, c.srv.StateJSON()) {
		t.Error("a refused command changed the lab")
	}
	if c.keyStatus(appKey) != "Active" || c.keyStatus(newKey) != "Active" {
		t.Errorf("keys: old %s new %s", c.keyStatus(appKey), c.keyStatus(newKey))
	}
}
