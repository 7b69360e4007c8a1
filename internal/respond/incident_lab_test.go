package respond_test

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/respond"
)

// labContain plans and applies one contain run; it fails the test on any
// refusal.
func labContain(t *testing.T, e *labEnv, dir string, o respond.ContainOptions) *respond.Plan {
	t.Helper()
	o.KeyID, o.StateDir, o.Now = e.info.Notes["leaked_key_id"], dir, time.Now
	p, err := respond.PlanContain(context.Background(), e.admin, o)
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Blocked(); r != nil {
		t.Fatalf("contain refused: %v", r)
	}
	if _, err := respond.Execute(context.Background(), p, respond.ExecOptions{StateDir: dir, Now: time.Now}); err != nil {
		t.Fatalf("contain: %v", err)
	}
	return p
}

func labUndo(e *labEnv, dir string, o respond.UndoOptions) (*respond.Plan, error) {
	o.KeyID, o.StateDir, o.Now = e.info.Notes["leaked_key_id"], dir, time.Now
	p, err := respond.PlanUndo(context.Background(), e.admin, o)
	if err != nil {
		return nil, err
	}
	if r := p.Blocked(); r != nil {
		return p, r
	}
	_, err = respond.Execute(context.Background(), p, respond.ExecOptions{StateDir: dir, Now: time.Now})
	return p, err
}

// keyACL reads the leaked key's key-level ACL through the API.
func keyACL(t *testing.T, e *labEnv) string {
	t.Helper()
	ctx := context.Background()
	u, err := e.admin.GetUserByAccessKey(ctx, e.info.Notes["leaked_key_id"])
	if err != nil {
		t.Fatal(err)
	}
	doc, err := e.admin.GetAccessKeyPolicy(ctx, e.info.Notes["leaked_key_id"], u.UserPrincipalName)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func allowed(t *testing.T, e *labEnv, ip string) bool {
	t.Helper()
	_, err := e.clients(t, "app-prod", ip).ListUsers(context.Background())
	if err != nil && !errors.Is(err, cloud.ErrNetworkPolicy) {
		t.Fatalf("call from %s: %v", ip, err)
	}
	return err == nil
}

// Contain twice with different ACLs, then undo: the first run's ACL comes
// back (the office was never cut off); undo --all restores the lab.
func TestLabContainTwiceThenUndo(t *testing.T) {
	e := startLab(t, 0)
	dir := t.TempDir()
	office, attacker := e.info.Notes["office_ip"], e.info.Notes["attacker_ip"]
	before := e.srv.StateJSON()

	labContain(t, e, dir, respond.ContainOptions{ACL: respond.ACLRequest{AllowIPs: []string{office}}})
	first := keyACL(t, e)
	if !allowed(t, e, office) || allowed(t, e, attacker) {
		t.Fatal("first run: office refused or attacker allowed")
	}
	// The second run names another source only: the office stays in.
	p2 := labContain(t, e, dir, respond.ContainOptions{ACL: respond.ACLRequest{AllowIPs: []string{"127.0.0.20"}}})
	if p2.Changes() != 1 || !strings.Contains(p2.Action("network-acl").AfterText, office) {
		t.Fatalf("second run: %d changes, ACL %s", p2.Changes(), p2.Action("network-acl").AfterText)
	}
	if !allowed(t, e, office) || !allowed(t, e, "127.0.0.20") || allowed(t, e, attacker) {
		t.Fatal("second run: office or the new source refused, or attacker allowed")
	}

	// Undo: the state before the last run, i.e. the first run's ACL.
	if _, err := labUndo(e, dir, respond.UndoOptions{}); err != nil {
		t.Fatalf("undo: %v", err)
	}
	if got := keyACL(t, e); got != first {
		t.Fatalf("undo restored %s, want the first run's %s", got, first)
	}
	if !allowed(t, e, office) || allowed(t, e, "127.0.0.20") || allowed(t, e, attacker) {
		t.Fatal("after undo: office refused, or the second run's source or the attacker allowed")
	}
	// Undoing the first run would detach the deny policy from an Active
	// key: refused (exit 4), nothing changes.
	mid := e.srv.StateJSON()
	if _, err := labUndo(e, dir, respond.UndoOptions{}); !railIs(err, "undo-deny-active-key") {
		t.Fatalf("undo of the deny policy on an Active key: %v", err)
	}
	if d := cmp.Diff(string(mid), string(e.srv.StateJSON())); d != "" {
		t.Fatalf("a refused undo changed the lab:\n%s", d)
	}
	// --all --force: the state before the first run.
	if _, err := labUndo(e, dir, respond.UndoOptions{All: true, Force: true}); err != nil {
		t.Fatalf("undo --all: %v", err)
	}
	if d := cmp.Diff(string(before), string(e.srv.StateJSON())); d != "" {
		t.Fatalf("undo --all did not restore the lab (-before +after):\n%s", d)
	}
}

// undo --all straight after two runs restores no ACL at all.
func TestLabUndoAllRestoresNone(t *testing.T) {
	e := startLab(t, 0)
	dir := t.TempDir()
	labContain(t, e, dir, respond.ContainOptions{ACL: respond.ACLRequest{AllowIPs: []string{e.info.Notes["office_ip"]}}, NoDenyPolicy: true})
	labContain(t, e, dir, respond.ContainOptions{ACL: respond.ACLRequest{AllowIPs: []string{"127.0.0.20"}}, NoDenyPolicy: true})
	if _, err := labUndo(e, dir, respond.UndoOptions{All: true}); err != nil {
		t.Fatalf("undo --all: %v", err)
	}
	if doc := keyACL(t, e); doc != "" {
		t.Fatalf("undo --all left the ACL %s", doc)
	}
	if !allowed(t, e, e.info.Notes["attacker_ip"]) {
		t.Fatal("undo --all left a fence")
	}
}

func railIs(err error, rule string) bool {
	var r *respond.RailError
	return errors.As(err, &r) && r.Rule == rule && r.ExitCode() == 4
}

// --replace drops a trusted source, after showing who loses access.
func TestLabContainReplace(t *testing.T) {
	e := startLab(t, 0)
	dir := t.TempDir()
	office := e.info.Notes["office_ip"]
	labContain(t, e, dir, respond.ContainOptions{ACL: respond.ACLRequest{AllowIPs: []string{office, "127.0.0.20"}}, NoDenyPolicy: true})
	ev := &respond.Evidence{Callers: []respond.Caller{{IP: netip.MustParseAddr(office), LastSeen: time.Now().Add(-time.Hour), Count: 3}}}
	p, err := respond.PlanContain(context.Background(), e.admin, respond.ContainOptions{KeyID: e.info.Notes["leaked_key_id"], StateDir: dir, Now: time.Now,
		ACL: respond.ACLRequest{AllowIPs: []string{"127.0.0.20"}}, Replace: true, NoDenyPolicy: true, Evidence: ev, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Removals) != 1 || p.Removals[0].Entry != office || len(p.Removals[0].Callers) != 1 {
		t.Fatalf("removals %+v", p.Removals)
	}
	if _, err := respond.Execute(context.Background(), p, respond.ExecOptions{StateDir: dir, Now: time.Now}); err != nil {
		t.Fatal(err)
	}
	if allowed(t, e, office) || !allowed(t, e, "127.0.0.20") {
		t.Fatal("--replace did not set exactly the requested sources")
	}
}

// The account-level policy allows only the office: --status shows it as
// the effective policy, the lab enforces it, an ACL wider than it is
// refused (exit 4), and a key-level policy replaces it (the documented
// precedence).
func TestLabAccountPolicy(t *testing.T) {
	e := startLab(t, 0)
	ctx := context.Background()
	dir := t.TempDir()
	leaked, office, attacker := e.info.Notes["leaked_key_id"], e.info.Notes["office_ip"], e.info.Notes["attacker_ip"]
	officeOnly := `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["` + e.info.Notes["office_cidr"] + `"]}]}`
	if _, err := e.admin.SetAccessKeyPolicyForAccount(ctx, officeOnly); err != nil {
		t.Fatal(err)
	}
	// From now on every permanent key works from the office only,
	// akresp's own included.
	e.admin = e.clients(t, "admin", office)
	if doc, err := e.admin.GetAccessKeyPolicyForAccount(ctx); err != nil || doc != officeOnly {
		t.Fatalf("GetAccessKeyPolicyForAccount = %q, %v", doc, err)
	}
	if allowed(t, e, attacker) || !allowed(t, e, office) {
		t.Fatal("the lab does not enforce the account-level policy")
	}
	st, err := respond.Status(ctx, e.admin, dir, leaked, "")
	if err != nil {
		t.Fatal(err)
	}
	if st.Effective.Source != respond.ACLSourceAccount || st.Effective.PublicOpen || !st.ACLEnforced || !strings.Contains(st.Effective.Summary, e.info.Notes["office_cidr"]) {
		t.Fatalf("status: %+v", st.Effective)
	}
	before := e.srv.StateJSON()
	p, err := respond.PlanContain(ctx, e.admin, respond.ContainOptions{KeyID: leaked, StateDir: dir, Now: time.Now, ACL: respond.ACLRequest{AllowIPs: []string{"127.0.0.0/24"}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Blocked(); r == nil || r.Rule != "widens-account-policy" || r.ExitCode() != 4 {
		t.Fatalf("wider ACL: rail %v", r)
	}
	if _, err := respond.Execute(ctx, p, respond.ExecOptions{StateDir: dir, Now: time.Now}); !railIs(err, "widens-account-policy") {
		t.Fatalf("Execute of a refused plan: %v", err)
	}
	if d := cmp.Diff(string(before), string(e.srv.StateJSON())); d != "" {
		t.Fatalf("a refused contain changed the lab:\n%s", d)
	}
	// Forced, the key-level policy replaces the account's for this key.
	p, err = respond.PlanContain(ctx, e.admin, respond.ContainOptions{KeyID: leaked, StateDir: dir, Now: time.Now, NoDenyPolicy: true, Force: true,
		ACL: respond.ACLRequest{AllowIPs: []string{attacker}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := respond.Execute(ctx, p, respond.ExecOptions{StateDir: dir, Now: time.Now}); err != nil {
		t.Fatal(err)
	}
	if !allowed(t, e, attacker) || allowed(t, e, office) {
		t.Fatal("the lab does not let the key-level policy replace the account-level one")
	}
	if st, err := respond.Status(ctx, e.admin, dir, leaked, ""); err != nil || st.Effective.Source != respond.ACLSourceKey {
		t.Fatalf("status after a key-level policy: %v %+v", err, st)
	}
}

// `contain --allow-ip 0.0.0.0/1,128.0.0.0/1` is refused (exit 2) and
// changes nothing.
func TestLabOpenAllowListChangesNothing(t *testing.T) {
	e := startLab(t, 0)
	before := e.srv.StateJSON()
	_, err := respond.PlanContain(context.Background(), e.admin, respond.ContainOptions{KeyID: e.info.Notes["leaked_key_id"], StateDir: t.TempDir(), Now: time.Now,
		ACL: respond.ACLRequest{AllowIPs: []string{"0.0.0.0/1", "128.0.0.0/1"}}})
	var ie *respond.InputError
	if !errors.As(err, &ie) || ie.ExitCode() != 2 || !strings.Contains(err.Error(), "covers all of IPv4") {
		t.Fatalf("err = %v", err)
	}
	if d := cmp.Diff(string(before), string(e.srv.StateJSON())); d != "" {
		t.Fatalf("lab changed:\n%s", d)
	}
}

// disable proceeds when the key's recent use all came from sources the
// incident flagged; legitimate use still blocks.
func TestLabDisableAttackerOnlyUse(t *testing.T) {
	e := startLab(t, 0)
	ctx := context.Background()
	dir := t.TempDir()
	leaked, attacker := e.info.Notes["leaked_key_id"], e.info.Notes["attacker_ip"]
	if err := incident.AppendEvidence(dir, leaked, "audit", incident.Evidence{Verdict: "suspected_leak",
		Flagged: []netip.Addr{netip.MustParseAddr(attacker)}}, time.Now); err != nil {
		t.Fatal(err)
	}
	if !allowed(t, e, attacker) {
		t.Fatal("attacker call failed")
	}
	plan := func() *respond.DisablePlan {
		t.Helper()
		rec, err := incident.Load(dir, leaked)
		if err != nil {
			t.Fatal(err)
		}
		// The scenario's office used the key hours ago: a quiet period of
		// an hour isolates the calls of this test.
		dp, err := respond.PlanDisable(ctx, e.admin, respond.DisableOptions{KeyID: leaked, Mode: respond.ModeDisable, StateDir: dir, Now: time.Now, QuietPeriod: time.Hour,
			Legitimate: func(ip netip.Addr, t time.Time) bool { return rec.Legitimate(incident.Call{Time: t, SourceIP: ip}) }})
		if err != nil {
			t.Fatal(err)
		}
		return dp
	}
	dp := plan()
	if r := dp.Blocked(); r != nil {
		t.Fatalf("attacker-only use blocked disable: %v (last legitimate %+v)", r, dp.LastLegitimate)
	}
	if !slices.ContainsFunc(dp.Notes, func(n string) bool { return strings.Contains(n, "only from flagged sources: "+attacker) }) {
		t.Fatalf("notes %q", dp.Notes)
	}
	// A legitimate call from the office: in use again.
	if !allowed(t, e, e.info.Notes["office_ip"]) {
		t.Fatal("office call failed")
	}
	if r := plan().Blocked(); r == nil || r.Rule != "key-in-use" {
		t.Fatalf("legitimate use: rail %v", r)
	}
}
