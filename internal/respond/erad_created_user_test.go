package respond

import (
	"cmp"
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
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/redact"
)

// The created-user path of eradicate (planCreatedUser and the kinds it
// plans: delete-login-profile, user-policy, group-member, mfa-device,
// set-key-status, delete-key, delete-user), in the package's own tests:
// through the lab with the real SDK, and with a fake for the edges
// (docs/eradicate.md, "created a RAM user").

// ---- the lab ----

type cuLab struct {
	srv   *lab.Server
	info  *lab.ScenarioInfo
	admin *cloud.Clients
}

func cuStartLab(t *testing.T) *cuLab {
	t.Helper()
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	sc, err := lab.LoadScenario("builtin:leak")
	if err != nil {
		t.Fatal(err)
	}
	w, info, err := sc.Build(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := lab.New(lab.Options{World: w})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	e := &cuLab{srv: srv, info: info}
	e.admin = e.clients(t, "admin", "")
	return e
}

func (e *cuLab) clients(t *testing.T, principal, localAddr string) *cloud.Clients {
	t.Helper()
	cred, ok := e.info.Credentials[principal]
	if !ok {
		t.Fatalf("scenario has no credentials for %s", principal)
	}
	return e.connect(t, cred.AccessKeyID, cred.AccessKeySecret, cloud.Config{LocalAddr: localAddr})
}

// connect returns clients of the lab with key id and secret; cfg adds to
// the defaults (a local address, a rate scale).
func (e *cuLab) connect(t *testing.T, id, secret string, cfg cloud.Config) *cloud.Clients {
	t.Helper()
	cfg.Endpoint = "http://" + e.srv.Addr()
	cfg.Credential = &cloud.StaticCredential{AccessKeyID: id, AccessKeySecret: redact.Secret(secret)}
	cfg.Timeout, cfg.MaxAttempts, cfg.Version = 5*time.Second, 1, "test"
	c, err := cloud.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func cuCall(t *testing.T, c *cloud.Clients, action string, params map[string]string) map[string]any {
	t.Helper()
	out, err := c.CallRPC(context.Background(), "ram", action, params)
	if err != nil {
		t.Fatalf("ram %s %v: %v", action, params, err)
	}
	return out
}

// evidence reads the leaked key's events since since from the lab's
// ActionTrail, as the CLI does: in each region given (the clients' own when
// none), the global services' events that every region returns once.
func (e *cuLab) evidence(t *testing.T, since time.Time, regions ...string) *EradicateEvidence {
	t.Helper()
	ev := &EradicateEvidence{Flagged: []netip.Addr{netip.MustParseAddr(e.info.Notes["attacker_ip"])}}
	if len(regions) == 0 {
		regions = []string{e.admin.Region()}
	}
	seen := map[string]bool{}
	q := cloud.LookupQuery{AttributeKey: "EventAccessKeyId", AttributeValue: e.info.Notes["leaked_key_id"], Start: since, End: time.Now().Add(time.Minute)}
	for _, region := range regions {
		err := e.admin.LookupEventsIn(context.Background(), region, q, func(page []json.RawMessage) error {
			for _, raw := range page {
				x, err := audit.ParseEvent(raw, audit.Origin{Kind: audit.OriginLookup})
				if err != nil {
					return err
				}
				if seen[x.ID] {
					continue
				}
				seen[x.ID] = true
				ev.Events = append(ev.Events, EventRef{ID: x.ID, Time: x.Time, Name: x.Name, Service: x.Service, Region: x.Region,
					SourceIP: x.SourceIP, AccessKeyID: x.AccessKeyID, ErrorCode: x.ErrorCode, Params: x.Params, Response: x.Response})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return ev
}

func cuIDs(p *Plan) []string {
	var ids []string
	for _, a := range p.Actions {
		ids = append(ids, a.ID)
	}
	return ids
}

func sortedJoin(xs ...string) string {
	slices.Sort(xs)
	return strings.Join(xs, ",")
}

func cuHasNote(notes []string, want string) bool {
	return slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, want) })
}

// The attacker's key creates a user with a console login, an AccessKey,
// AdministratorAccess, membership of the office's group and a bound MFA
// device; it also gives the office's user reporting a login, a key, the policy
// and the group, and creates shared-svc, which the office then adds to its
// group. eradicate strips the created user (login, policy, group, MFA; key
// disabled, not yet deleted), reverts only the attacker's changes to reporting,
// keeps shared-svc, journals the events behind each action and verifies;
// a re-run changes nothing and says when the key and user go; --undo
// brings the policy and the group back but neither the login, the MFA
// device nor an active key; after the observation period a re-run deletes
// the key and then the user; after that the user is gone for good.
func TestLabEradicateCreatedUser(t *testing.T) {
	e := cuStartLab(t)
	ctx := context.Background()
	dir := t.TempDir()
	since := time.Now().Add(-time.Minute)
	officeIP, attackerIP := e.info.Notes["office_ip"], e.info.Notes["attacker_ip"]
	office := e.clients(t, "app-prod", officeIP)
	attacker := e.clients(t, "app-prod", attackerIP)
	leaked := e.info.Notes["leaked_key_id"]

	// reporting (a service user) and the group developers are the
	// account's own, from long before the leak.
	// The attacker.
	cuCall(t, attacker, "CreateUser", map[string]string{"UserName": "evil-admin"})
	cuCall(t, attacker, "CreateLoginProfile", map[string]string{"UserName": "evil-admin", "Password": "Attacker#Pass2026"})
	k := cuCall(t, attacker, "CreateAccessKey", map[string]string{"UserName": "evil-admin"})
	evilKey := k["AccessKey"].(map[string]any)["AccessKeyId"].(string)
	cuCall(t, attacker, "AttachPolicyToUser", map[string]string{"UserName": "evil-admin", "PolicyType": "System", "PolicyName": "AdministratorAccess"})
	cuCall(t, attacker, "AddUserToGroup", map[string]string{"UserName": "evil-admin", "GroupName": "developers"})
	m := cuCall(t, attacker, "CreateVirtualMFADevice", map[string]string{"VirtualMFADeviceName": "evil-admin-mfa"})
	serial := m["VirtualMFADevice"].(map[string]any)["SerialNumber"].(string)
	cuCall(t, attacker, "BindMFADevice", map[string]string{"UserName": "evil-admin", "SerialNumber": serial, "AuthenticationCode1": "123456", "AuthenticationCode2": "654321"})
	cuCall(t, attacker, "CreateLoginProfile", map[string]string{"UserName": "reporting", "Password": "Attacker#Pass2026"})
	cuCall(t, attacker, "UpdateLoginProfile", map[string]string{"UserName": "reporting", "Password": "Attacker#Pass2027"})
	k = cuCall(t, attacker, "CreateAccessKey", map[string]string{"UserName": "reporting"})
	devKey := k["AccessKey"].(map[string]any)["AccessKeyId"].(string)
	cuCall(t, attacker, "AttachPolicyToUser", map[string]string{"UserName": "reporting", "PolicyType": "System", "PolicyName": "AdministratorAccess"})
	cuCall(t, attacker, "AddUserToGroup", map[string]string{"UserName": "reporting", "GroupName": "developers"})
	cuCall(t, attacker, "CreateUser", map[string]string{"UserName": "shared-svc"})
	k = cuCall(t, attacker, "CreateAccessKey", map[string]string{"UserName": "shared-svc"})
	sharedKey := k["AccessKey"].(map[string]any)["AccessKeyId"].(string)
	// The office takes shared-svc into use: it is no longer the attacker's
	// alone.
	cuCall(t, office, "AddUserToGroup", map[string]string{"UserName": "shared-svc", "GroupName": "developers"})

	ev := e.evidence(t, since)
	opts := EradicateOptions{KeyID: leaked, Evidence: ev, StateDir: dir, Now: time.Now}
	p, err := PlanEradicate(ctx, e.admin, opts)
	if err != nil {
		t.Fatal(err)
	}
	// The created user first (login, policies, groups, MFA, keys), then the
	// attacker's changes to reporting (ActionTrail's times are in seconds:
	// the order of calls in the same second is not known).
	wantIDs := []string{
		"login-profile:evil-admin", "detach-policy:evil-admin:AdministratorAccess", "group:evil-admin:developers", "mfa-device:evil-admin", "disable-key:" + evilKey,
		"login-profile:reporting", "disable-key:" + devKey, "detach-policy:reporting:AdministratorAccess", "group:reporting:developers",
	}
	if got := cuIDs(p); len(got) != len(wantIDs) || !slices.Equal(got[:5], wantIDs[:5]) || !slices.Equal(slices.Sorted(slices.Values(got[5:])), slices.Sorted(slices.Values(wantIDs[5:]))) {
		t.Fatalf("actions\n %q\nwant\n %q", got, wantIDs)
	}
	wantKind := map[string]string{
		"login-profile:evil-admin": KindDeleteLoginProfile, "detach-policy:evil-admin:AdministratorAccess": KindUserPolicy,
		"group:evil-admin:developers": KindGroupMember, "mfa-device:evil-admin": KindMFADevice, "disable-key:" + evilKey: KindKeyStatus,
		"login-profile:reporting": KindDeleteLoginProfile, "disable-key:" + devKey: KindKeyStatus,
		"detach-policy:reporting:AdministratorAccess": KindUserPolicy, "group:reporting:developers": KindGroupMember,
	}
	wantText := map[string]string{
		"login-profile:evil-admin":                     "delete console login of evil-admin: console login enabled -> no console login",
		"detach-policy:evil-admin:AdministratorAccess": "detach AdministratorAccess from evil-admin: AdministratorAccess attached -> AdministratorAccess not attached",
		"group:evil-admin:developers":                  "remove evil-admin from group developers: member of developers -> not in developers",
		"mfa-device:evil-admin":                        "unbind and delete MFA device " + serial + " of evil-admin: MFA device " + serial + " bound -> no MFA device of the attacker bound",
		"disable-key:" + evilKey:                       "disable AccessKey " + evilKey + " of evil-admin: Active -> Inactive",
		"login-profile:reporting":                      "delete console login of reporting: console login enabled -> no console login",
		"disable-key:" + devKey:                        "disable AccessKey " + devKey + " the attacker created for reporting: Active -> Inactive",
	}
	for _, a := range p.Actions {
		if a.Kind != wantKind[a.ID] || a.Noop || len(a.DependsOn) != 0 {
			t.Errorf("%s: kind %s noop %v depends on %v; want %s, a change, no dependency", a.ID, a.Kind, a.Noop, a.DependsOn, wantKind[a.ID])
		}
		if w, ok := wantText[a.ID]; ok && a.Describe() != w {
			t.Errorf("%s: %q, want %q", a.ID, a.Describe(), w)
		}
	}
	// Each action on the created user carries every event of the attacker
	// on it; each change to reporting its own event.
	var onEvil []string
	byName := map[string]string{}
	for _, x := range ev.Events {
		if x.SourceIP == attackerIP && x.Params["UserName"] == "evil-admin" {
			onEvil = append(onEvil, x.ID)
		}
		if x.SourceIP == attackerIP && x.Params["UserName"] == "reporting" {
			byName[x.Name] = x.ID
		}
	}
	slices.Sort(onEvil)
	if len(onEvil) != 6 {
		t.Fatalf("the attacker's events on evil-admin: %d, want 6 (CreateUser, CreateLoginProfile, CreateAccessKey, AttachPolicyToUser, AddUserToGroup, BindMFADevice)", len(onEvil))
	}
	for _, id := range wantIDs[:5] {
		got := slices.Sorted(slices.Values(p.Action(id).Evidence))
		if !slices.Equal(got, onEvil) {
			t.Errorf("%s: evidence %v, want the attacker's events on evil-admin %v", id, got, onEvil)
		}
	}
	for id, name := range map[string]string{"login-profile:reporting": "CreateLoginProfile", "disable-key:" + devKey: "CreateAccessKey",
		"detach-policy:reporting:AdministratorAccess": "AttachPolicyToUser", "group:reporting:developers": "AddUserToGroup"} {
		if got := p.Action(id).Evidence; !slices.Equal(got, []string{byName[name]}) {
			t.Errorf("%s: evidence %v, want the %s event %s", id, got, name, byName[name])
		}
	}
	wantKept := []string{
		"kept: user shared-svc also used by " + officeIP + " (AddUserToGroup)",
		"kept: AccessKey " + sharedKey + " of shared-svc also used by " + officeIP + " (AddUserToGroup)",
	}
	if !slices.Equal(p.Kept, wantKept) {
		t.Errorf("kept %q, want %q", p.Kept, wantKept)
	}
	if len(p.Unrecoverable) != 1 || p.Unrecoverable[0].What != "console password of reporting was changed: reset it by hand (the old one cannot be restored)" ||
		p.Unrecoverable[0].Event.Name != "UpdateLoginProfile" {
		t.Errorf("unrecoverable %+v, want reporting's changed password", p.Unrecoverable)
	}
	if len(p.ByHand) != 0 {
		t.Errorf("by hand %+v, want nothing (the attacker's MFA device is bound, eradicate removes it)", p.ByHand)
	}
	keyNote := "AccessKey " + evilKey + " of evil-admin: deleted by a re-run once it has been disabled for 24h0m0s"
	if !slices.Contains(p.Notes, keyNote) {
		t.Errorf("notes %q, want %q", p.Notes, keyNote)
	}

	sum, err := Execute(ctx, p, ExecOptions{StateDir: dir})
	if err != nil {
		t.Fatalf("execute: %v", err)
	}
	if sum.State != StateEradicated || sum.Changed != len(wantIDs) || sum.Failed+sum.Skipped != 0 || len(sum.Checks) != len(wantIDs) {
		t.Errorf("summary: state %s, changed %d, failed %d, skipped %d, checks %d; want eradicated and %d changes verified",
			sum.State, sum.Changed, sum.Failed, sum.Skipped, len(sum.Checks), len(wantIDs))
	}
	for _, c := range sum.Checks {
		if !c.OK {
			t.Errorf("verify %s: %s", c.Name, c.Detail)
		}
	}
	// The cloud, as the admin reads it.
	// policies and keys are "NAME" and "KEY=Status", sorted.
	policies := func(user string) string {
		t.Helper()
		ps, err := e.admin.ListPoliciesForUser(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range ps {
			out = append(out, p.PolicyName)
		}
		slices.Sort(out)
		return strings.Join(out, ",")
	}
	keys := func(user string) string {
		t.Helper()
		ks, err := e.admin.ListAccessKeys(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range ks {
			out = append(out, k.AccessKeyID+"="+k.Status)
		}
		slices.Sort(out)
		return strings.Join(out, ",")
	}
	stripped := func(user, wantPolicies, wantKeys string) {
		t.Helper()
		if _, err := e.admin.GetUser(ctx, user); err != nil {
			t.Errorf("%s: %v, want the user kept", user, err)
		}
		if _, ok, err := e.admin.GetLoginProfile(ctx, user); ok || err != nil {
			t.Errorf("%s: console login %v (%v), want none", user, ok, err)
		}
		if got := policies(user); got != wantPolicies {
			t.Errorf("%s: policies %q, want %q", user, got, wantPolicies)
		}
		if gs, err := e.admin.ListGroupsForUser(ctx, user); len(gs) != 0 || err != nil {
			t.Errorf("%s: groups %+v (%v), want none", user, gs, err)
		}
		if got := keys(user); got != wantKeys {
			t.Errorf("%s: keys %q, want %q", user, got, wantKeys)
		}
	}
	const ownKey = "LTAI5tREPORTING000000000" // reporting's own key (builtin:leak)
	stripped("evil-admin", "", evilKey+"=Inactive")
	stripped("reporting", "ReadOnlyAccess", sortedJoin(ownKey+"=Active", devKey+"=Inactive"))
	if info, err := e.admin.GetUserMFAInfo(ctx, "evil-admin"); info.SerialNumber != "" || (err != nil && !errors.Is(err, cloud.ErrNotFound)) {
		t.Errorf("evil-admin MFA %+v (%v), want none", info, err)
	}
	w := e.srv.Snapshot()
	if _, ok := w.VirtualMFADevices[serial]; ok {
		t.Errorf("the attacker's device %s still exists", serial)
	}
	if d := w.MFADevices["evil-admin"]; d != nil {
		t.Errorf("evil-admin still has MFA device %+v", d)
	}
	if ks, _ := e.admin.ListAccessKeys(ctx, "shared-svc"); len(ks) != 1 || ks[0].Status != "Active" {
		t.Errorf("shared-svc keys %+v, want its key kept Active", ks)
	}
	if gs, _ := e.admin.ListGroupsForUser(ctx, "shared-svc"); len(gs) != 1 || gs[0].GroupName != "developers" {
		t.Errorf("shared-svc groups %+v, want developers kept", gs)
	}

	// The journal: an evidence record per action naming its events, and an
	// ok outcome per change.
	recs, _, err := journal.ReadKey(dir, leaked)
	if err != nil {
		t.Fatal(err)
	}
	evidenced, ok := map[string]bool{}, map[string]bool{}
	for _, r := range recs {
		switch {
		case r.Kind == journal.KindNote && r.Action == EvidenceNote:
			var doc struct {
				EventIDs []string `json:"event_ids"`
				Action   string   `json:"action"`
			}
			if err := json.Unmarshal(r.After, &doc); err != nil || doc.Action != wantKind[r.ActionID] ||
				!slices.Equal(doc.EventIDs, p.Action(r.ActionID).Evidence) {
				t.Errorf("evidence record of %s: %s (%v)", r.ActionID, r.After, err)
			}
			evidenced[r.ActionID] = true
		case r.Kind == journal.KindOutcome && r.Result == journal.ResultOK:
			ok[r.ActionID] = true
		}
	}
	for _, id := range wantIDs {
		if !evidenced[id] || !ok[id] {
			t.Errorf("%s: evidence record %v, ok outcome %v; want both", id, evidenced[id], ok[id])
		}
	}
	disabledAt := journaledAt(recs, KindKeyStatus, evilKey, `"Inactive"`)
	if disabledAt.IsZero() {
		t.Fatalf("the journal has no record of disabling %s", evilKey)
	}

	// A re-run an hour later changes nothing and says when the key (and
	// then the user) can go.
	hourLater := func() time.Time { return disabledAt.Add(time.Hour) }
	p2, err := PlanEradicate(ctx, e.admin, EradicateOptions{KeyID: leaked, Evidence: e.evidence(t, since), StateDir: dir, Now: hourLater})
	if err != nil {
		t.Fatal(err)
	}
	if n := p2.Changes(); n != 0 {
		t.Errorf("second run plans %d change(s): %v", n, cuIDs(p2))
	}
	if a := p2.Action("disable-key:" + evilKey); a == nil || !a.Noop {
		t.Errorf("second run: actions %v, want disable-key:%s as a no-op", cuIDs(p2), evilKey)
	}
	if p2.Action("mfa-device:evil-admin") != nil || p2.Action("delete-user:evil-admin") != nil {
		t.Errorf("second run: actions %v, want no MFA action (none bound) and no delete-user (its key is not deleted)", cuIDs(p2))
	}
	wait := "AccessKey " + evilKey + " of evil-admin is disabled; delete it (and then the user) with a re-run after " +
		disabledAt.Add(24*time.Hour).UTC().Format(time.RFC3339) + " (in 23h0m0s)"
	if !slices.Contains(p2.Notes, wait) {
		t.Errorf("second run notes %q, want %q", p2.Notes, wait)
	}

	// --undo: the policy and the group come back; the console login and
	// the MFA device cannot; the attacker's keys stay disabled.
	u, err := PlanEradicateUndo(ctx, e.admin, leaked, dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	wantUndo := []string{"undo-detach-policy:reporting:AdministratorAccess", "undo-detach-policy:evil-admin:AdministratorAccess", "undo-group:reporting:developers", "undo-group:evil-admin:developers"}
	if got := slices.Sorted(slices.Values(cuIDs(u))); !slices.Equal(got, slices.Sorted(slices.Values(wantUndo))) {
		t.Errorf("undo actions %q, want %q", got, wantUndo)
	}
	for _, w := range []string{
		"cannot be undone: delete-login-profile evil-admin (console login enabled -> no console login): the password is gone",
		"cannot be undone: delete-login-profile reporting (console login enabled -> no console login)",
		"cannot be undone: mfa-device evil-admin (MFA device " + serial + " bound -> no MFA device of the attacker bound): the device's seed is gone",
		"AccessKey " + evilKey + " (the attacker's) stays disabled; re-enable it deliberately with: akresp disable " + evilKey + " --enable",
		"AccessKey " + devKey + " (the attacker's) stays disabled",
	} {
		if !cuHasNote(u.Notes, w) {
			t.Errorf("undo notes do not say %q:\n%s", w, strings.Join(u.Notes, "\n"))
		}
	}
	usum, err := Execute(ctx, u, ExecOptions{StateDir: dir})
	if err != nil || usum.State != "restored" {
		t.Fatalf("execute undo: %v (%+v)", err, usum)
	}
	for user, want := range map[string]string{"evil-admin": "AdministratorAccess", "reporting": "AdministratorAccess,ReadOnlyAccess"} {
		if got := policies(user); got != want {
			t.Errorf("after undo %s has %q, want %q (AdministratorAccess back)", user, got, want)
		}
		if gs, _ := e.admin.ListGroupsForUser(ctx, user); len(gs) != 1 || gs[0].GroupName != "developers" {
			t.Errorf("after undo %s is in %+v, want developers back", user, gs)
		}
		if _, ok, _ := e.admin.GetLoginProfile(ctx, user); ok {
			t.Errorf("after undo %s has a console login again", user)
		}
	}
	if got := keys("evil-admin"); got != evilKey+"=Inactive" {
		t.Errorf("after undo evil-admin's keys %q, want %s still Inactive", got, evilKey)
	}
	if got, want := keys("reporting"), sortedJoin(ownKey+"=Active", devKey+"=Inactive"); got != want {
		t.Errorf("after undo reporting's keys %q, want %q (the attacker's still Inactive)", got, want)
	}
	if info, _ := e.admin.GetUserMFAInfo(ctx, "evil-admin"); info.SerialNumber != "" {
		t.Errorf("after undo evil-admin has MFA device %s", info.SerialNumber)
	}

	// After the observation period: the created user is stripped again,
	// its key deleted, and then the user, after everything else.
	dayLater := func() time.Time { return disabledAt.Add(24 * time.Hour) }
	p3, err := PlanEradicate(ctx, e.admin, EradicateOptions{KeyID: leaked, Evidence: e.evidence(t, since), StateDir: dir, Now: dayLater})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs3 := []string{
		"login-profile:evil-admin", "detach-policy:evil-admin:AdministratorAccess", "group:evil-admin:developers", "delete-key:" + evilKey, "delete-user:evil-admin",
		"login-profile:reporting", "disable-key:" + devKey, "detach-policy:reporting:AdministratorAccess", "group:reporting:developers",
	}
	if got := cuIDs(p3); len(got) != len(wantIDs3) || !slices.Equal(got[:5], wantIDs3[:5]) || !slices.Equal(slices.Sorted(slices.Values(got[5:])), slices.Sorted(slices.Values(wantIDs3[5:]))) {
		t.Fatalf("after 24h: actions\n %q\nwant\n %q", got, wantIDs3)
	}
	if a := p3.Action("delete-key:" + evilKey); a.Kind != KindDeleteKey || a.Reversible || a.Describe() != "delete AccessKey "+evilKey+" of evil-admin: Inactive -> Deleted" {
		t.Errorf("delete-key: %s reversible %v %q", a.Kind, a.Reversible, a.Describe())
	}
	del := p3.Action("delete-user:evil-admin")
	if del.Kind != KindDeleteUser || del.Reversible || del.Noop || del.Describe() != "delete user evil-admin: exists -> deleted" {
		t.Errorf("delete-user: %s reversible %v noop %v %q", del.Kind, del.Reversible, del.Noop, del.Describe())
	}
	if want := []string{"login-profile:evil-admin", "detach-policy:evil-admin:AdministratorAccess", "group:evil-admin:developers", "delete-key:" + evilKey}; !slices.Equal(del.DependsOn, want) {
		t.Errorf("delete-user depends on %q, want %q", del.DependsOn, want)
	}
	if !slices.Equal(slices.Sorted(slices.Values(del.Evidence)), onEvil) {
		t.Errorf("delete-user evidence %v, want the attacker's events on evil-admin", del.Evidence)
	}
	for _, id := range []string{"login-profile:evil-admin", "login-profile:reporting", "disable-key:" + devKey} {
		if !p3.Action(id).Noop {
			t.Errorf("after 24h %s is not a no-op", id)
		}
	}
	if cuHasNote(p3.Notes, "AccessKey "+evilKey) {
		t.Errorf("after 24h notes %q still say the key waits", p3.Notes)
	}
	if _, err := Execute(ctx, p3, ExecOptions{StateDir: dir}); err != nil {
		t.Fatalf("execute after 24h: %v", err)
	}
	if _, err := e.admin.GetUser(ctx, "evil-admin"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("evil-admin: %v, want deleted", err)
	}
	if _, err := e.admin.GetUser(ctx, "reporting"); err != nil {
		t.Errorf("reporting: %v, want the office's user kept", err)
	}
	if got, want := keys("reporting"), sortedJoin(ownKey+"=Active", devKey+"=Inactive"); got != want {
		t.Errorf("reporting's keys %q, want %q (the attacker's key disabled, never deleted)", got, want)
	}
	if _, err := e.admin.GetUser(ctx, "shared-svc"); err != nil {
		t.Errorf("shared-svc: %v, want kept", err)
	}

	// The user is gone: a re-run says so and plans nothing for it; --undo
	// names the deletions and the attachments of the deleted user as
	// irreversible.
	p4, err := PlanEradicate(ctx, e.admin, EradicateOptions{KeyID: leaked, Evidence: e.evidence(t, since), StateDir: dir, Now: dayLater})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(p4.Notes, "user evil-admin (created by the attacker) no longer exists") || p4.Changes() != 0 {
		t.Errorf("after deletion: notes %q, %d change(s) %v; want the user named gone and nothing to do", p4.Notes, p4.Changes(), cuIDs(p4))
	}
	for _, a := range p4.Actions {
		if strings.Contains(a.ID, "evil-admin") || strings.Contains(a.ID, evilKey) {
			t.Errorf("after deletion the plan still acts on %s", a.ID)
		}
	}
	u2, err := PlanEradicateUndo(ctx, e.admin, leaked, dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"cannot be undone: delete-user evil-admin (exists -> deleted): a deleted user cannot be restored",
		"cannot be undone: delete-key " + evilKey + " (Inactive -> Deleted): a deleted AccessKey cannot be restored",
		"cannot be undone: user-policy detach-policy:evil-admin:AdministratorAccess: user evil-admin was deleted, which is not reversible",
		"cannot be undone: group-member group:evil-admin:developers: user evil-admin was deleted, which is not reversible",
	} {
		if !cuHasNote(u2.Notes, w) {
			t.Errorf("undo notes do not say %q:\n%s", w, strings.Join(u2.Notes, "\n"))
		}
	}
	for _, a := range u2.Actions {
		if a.Target == "evil-admin" {
			t.Errorf("undo plans %s on the deleted user", a.ID)
		}
	}
}

// ---- the fake ----

// cuNil panics on any EradicateCloud call the fake does not answer; it is
// embedded one level deeper than *fakeCloud so that fakeCloud's methods
// win.
type cuNil struct{ EradicateCloud }

// cuFake is fakeCloud (users, keys, custom policies, logins, failure
// injection) with what a created user's eradication also reads and
// writes: System policies, groups and MFA devices, and deleting logins and
// users with RAM's conflicts.
type cuFake struct {
	*fakeCloud
	cuNil
	system     map[string][]string // user -> System policies
	groups     map[string][]string // user -> groups
	mfa        map[string]string   // user -> bound serial
	deletedMFA []string
}

func newCUFake() *cuFake {
	return &cuFake{fakeCloud: newFake(), system: map[string][]string{}, groups: map[string][]string{}, mfa: map[string]string{}}
}

// addEvil adds the attacker's user evil with a console login,
// AdministratorAccess, the group ops and an MFA device, and the keys given
// (ID -> status).
func (f *cuFake) addEvil(keys map[string]string) {
	f.addUser("evil", "")
	f.logins["evil"] = &cloud.LoginProfile{UserName: "evil"}
	f.system["evil"] = []string{"AdministratorAccess"}
	f.groups["evil"] = []string{"ops"}
	f.mfa["evil"] = "acs:ram::1:mfa/evil"
	for id, st := range keys {
		f.keys[id] = &fakeKey{user: "evil", status: st}
	}
}

func (f *cuFake) ListPoliciesForUser(ctx context.Context, user string) ([]cloud.AttachedPolicy, error) {
	done, err := f.enter("ListPoliciesForUser")
	defer done()
	if err != nil {
		return nil, err
	}
	var out []cloud.AttachedPolicy
	for _, n := range f.system[user] {
		out = append(out, cloud.AttachedPolicy{PolicyName: n, PolicyType: "System"})
	}
	for _, n := range f.attached[user] {
		out = append(out, cloud.AttachedPolicy{PolicyName: n, PolicyType: "Custom"})
	}
	return out, nil
}

func (f *cuFake) AttachPolicyToUser(ctx context.Context, typ, name, user string) (string, error) {
	if typ != "System" {
		return f.fakeCloud.AttachPolicyToUser(ctx, typ, name, user)
	}
	done, err := f.enter("AttachPolicyToUser")
	defer done()
	if err != nil {
		return "", err
	}
	f.system[user] = append(f.system[user], name)
	return rid(), nil
}

func (f *cuFake) DetachPolicyFromUser(ctx context.Context, typ, name, user string) (string, error) {
	if typ != "System" {
		return f.fakeCloud.DetachPolicyFromUser(ctx, typ, name, user)
	}
	done, err := f.enter("DetachPolicyFromUser")
	defer done()
	if err != nil {
		return "", err
	}
	i := slices.Index(f.system[user], name)
	if i < 0 {
		return "", notFound("ram:DetachPolicyFromUser", "EntityNotExist.User.Policy")
	}
	f.system[user] = slices.Delete(f.system[user], i, i+1)
	return rid(), nil
}

func (f *cuFake) DeleteLoginProfile(ctx context.Context, user string) (string, error) {
	done, err := f.enter("DeleteLoginProfile")
	defer done()
	if err != nil {
		return "", err
	}
	if f.logins[user] == nil {
		return "", notFound("ram:DeleteLoginProfile", "EntityNotExist.User.LoginProfile")
	}
	delete(f.logins, user)
	return rid(), nil
}

func (f *cuFake) ListGroupsForUser(ctx context.Context, user string) ([]cloud.Group, error) {
	done, err := f.enter("ListGroupsForUser")
	defer done()
	if err != nil {
		return nil, err
	}
	var out []cloud.Group
	for _, g := range f.groups[user] {
		out = append(out, cloud.Group{GroupName: g})
	}
	return out, nil
}

func (f *cuFake) RemoveUserFromGroup(ctx context.Context, user, group string) (string, error) {
	done, err := f.enter("RemoveUserFromGroup")
	defer done()
	if err != nil {
		return "", err
	}
	i := slices.Index(f.groups[user], group)
	if i < 0 {
		return "", notFound("ram:RemoveUserFromGroup", "EntityNotExist.User.Group")
	}
	f.groups[user] = slices.Delete(f.groups[user], i, i+1)
	return rid(), nil
}

func (f *cuFake) AddUserToGroup(ctx context.Context, user, group string) (string, error) {
	done, err := f.enter("AddUserToGroup")
	defer done()
	if err != nil {
		return "", err
	}
	f.groups[user] = append(f.groups[user], group)
	return rid(), nil
}

func (f *cuFake) GetUserMFAInfo(ctx context.Context, user string) (cloud.MFAInfo, error) {
	done, err := f.enter("GetUserMFAInfo")
	defer done()
	if err != nil {
		return cloud.MFAInfo{}, err
	}
	s, ok := f.mfa[user]
	if !ok {
		return cloud.MFAInfo{}, notFound("ram:GetUserMFAInfo", "EntityNotExist.User.MFADevice")
	}
	return cloud.MFAInfo{Enabled: true, SerialNumber: s, Type: "VMFA"}, nil
}

func (f *cuFake) UnbindMFADevice(ctx context.Context, user string) (string, error) {
	done, err := f.enter("UnbindMFADevice")
	defer done()
	if err != nil {
		return "", err
	}
	if _, ok := f.mfa[user]; !ok {
		return "", notFound("ram:UnbindMFADevice", "EntityNotExist.User.MFADevice")
	}
	delete(f.mfa, user)
	return rid(), nil
}

func (f *cuFake) DeleteVirtualMFADevice(ctx context.Context, serial string) (string, error) {
	done, err := f.enter("DeleteVirtualMFADevice")
	defer done()
	if err != nil {
		return "", err
	}
	f.deletedMFA = append(f.deletedMFA, serial)
	return rid(), nil
}

// DeleteUser refuses like RAM while the user has keys, a login, policies,
// groups or an MFA device.
func (f *cuFake) DeleteUser(ctx context.Context, user string) (string, error) {
	done, err := f.enter("DeleteUser")
	defer done()
	if err != nil {
		return "", err
	}
	if _, ok := f.users[user]; !ok {
		return "", notFound("ram:DeleteUser", "EntityNotExist.User")
	}
	conflict := func(what string) error {
		return &cloud.APIError{API: "ram:DeleteUser", Code: "DeleteConflict.User." + what, HTTPStatus: 409, RequestID: "REQ-C"}
	}
	for _, k := range f.keys {
		if k.user == user {
			return "", conflict("AccessKey")
		}
	}
	switch {
	case f.logins[user] != nil:
		return "", conflict("LoginProfile")
	case len(f.system[user])+len(f.attached[user]) > 0:
		return "", conflict("Policy")
	case len(f.groups[user]) > 0:
		return "", conflict("Group")
	case f.mfa[user] != "":
		return "", conflict("MFADevice")
	}
	delete(f.users, user)
	return rid(), nil
}

var _ EradicateCloud = (*cuFake)(nil)

const cuKey = "LTAI5tLEAKEDLEAKED000001"

func cuCreateUser(m int, src, user string) EventRef {
	return EventRef{ID: "ev-cu-" + user, Time: eradAt(m), Name: "CreateUser", Service: "Ram", SourceIP: src, Params: map[string]string{"UserName": user}}
}

// cuJournal writes an eradicate journal in a new state directory whose
// records are given, each at its own time.
func cuJournal(t *testing.T, recs ...journal.Record) string {
	t.Helper()
	dir := t.TempDir()
	for _, r := range recs {
		at := r.Time
		j, err := journal.Open(dir, cuKey, CmdEradicate, func() time.Time { return at })
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// cuDisabled is the journal's ok outcome of disabling key (of evil) at t.
func cuDisabled(key string, at time.Time) journal.Record {
	return journal.Record{Time: at, Kind: journal.KindOutcome, Result: journal.ResultOK, Action: KindKeyStatus, Target: key, ActionID: "disable-key:" + key,
		Before: []byte(`{"key_id":"` + key + `","user":"evil","status":"Active"}`), After: []byte(`{"key_id":"` + key + `","user":"evil","status":"Inactive"}`)}
}

func cuPlan(t *testing.T, c EradicateCloud, o EradicateOptions) *Plan {
	t.Helper()
	o.KeyID = cuKey
	if o.Evidence == nil {
		o.Evidence = eradEvidence(cuCreateUser(0, eradAttacker, "evil"))
	}
	p, err := PlanEradicate(context.Background(), c, o)
	if err != nil {
		t.Fatalf("PlanEradicate: %v", err)
	}
	return p
}

func cuAt(d time.Duration) func() time.Time { return func() time.Time { return eradT0.Add(d) } }

// ---- planCreatedUser with the fake ----

func cuServerError(api string) error {
	return &cloud.APIError{API: api, Code: "InternalError", HTTPStatus: 500, RequestID: "REQ-500"}
}

// A created user is stripped (console login, every policy, every group,
// its MFA device) and its keys disabled; a key disabled for the
// observation period (per the journal) is deleted, and the user only when
// every key is, after everything else.
func TestEradicateCreatedUserKeysAndObservePeriod(t *testing.T) {
	const (
		k1    = "LTAI5tEVILKEY0000000001"
		k2    = "LTAI5tEVILKEY0000000002"
		strip = "login-profile:evil detach-policy:evil:AdministratorAccess group:evil:ops mfa-device:evil"
	)
	// Disabled by someone else: the observation period starts with this
	// run (at 48h), which journals that it saw the key disabled.
	noRecord := "AccessKey " + k2 + " of evil is disabled; delete it (and then the user) with a re-run after 2026-01-05T03:00:00Z (in 24h0m0s): it was disabled outside akresp, so the period starts now"
	observed := func(at time.Duration) journal.Record {
		return journal.Record{Time: eradT0.Add(at), Kind: journal.KindNote, Action: ObservedDisabledNote, Target: k2}
	}
	enabled := func(at time.Duration) journal.Record {
		r := cuDisabled(k2, eradT0.Add(at))
		r.Before, r.After = r.After, r.Before
		return r
	}
	for _, tc := range []struct {
		name    string
		keys    map[string]string
		journal []journal.Record
		observe time.Duration
		now     time.Duration // after eradT0
		want    string        // the action IDs, a * after a no-op
		notes   []string
	}{
		{name: "active key: disabled, user kept", keys: map[string]string{k1: "Active"}, now: time.Hour,
			want: strip + " disable-key:" + k1, notes: []string{"AccessKey " + k1 + " of evil: deleted by a re-run once it has been disabled for 24h0m0s"}},
		{name: "active key, lower case", keys: map[string]string{k1: "active"}, now: time.Hour,
			want: strip + " disable-key:" + k1, notes: []string{"AccessKey " + k1 + " of evil: deleted by a re-run once it has been disabled for 24h0m0s"}},
		{name: "the observation period given", keys: map[string]string{k1: "Active"}, observe: 2 * time.Hour, now: time.Hour,
			want: strip + " disable-key:" + k1, notes: []string{"AccessKey " + k1 + " of evil: deleted by a re-run once it has been disabled for 2h0m0s"}},
		{name: "disabled, not by akresp", keys: map[string]string{k2: "Inactive"}, now: 48 * time.Hour,
			want: strip + " disable-key:" + k2 + "*", notes: []string{noRecord}},
		{name: "disabling failed", keys: map[string]string{k2: "Inactive"}, now: 48 * time.Hour,
			journal: []journal.Record{func() journal.Record {
				r := cuDisabled(k2, eradT0)
				r.Result = journal.ResultError
				return r
			}()},
			want: strip + " disable-key:" + k2 + "*", notes: []string{noRecord}},
		{name: "another key disabled", keys: map[string]string{k2: "Inactive"}, now: 48 * time.Hour,
			journal: []journal.Record{cuDisabled(k1, eradT0)},
			want:    strip + " disable-key:" + k2 + "*", notes: []string{noRecord}},
		{name: "disabled outside akresp, seen 24h ago", keys: map[string]string{k2: "Inactive"}, now: 48 * time.Hour,
			journal: []journal.Record{observed(24 * time.Hour), observed(30 * time.Hour)},
			want:    strip + " delete-key:" + k2 + " delete-user:evil"},
		{name: "disabled outside akresp, seen 10h ago", keys: map[string]string{k2: "Inactive"}, now: 48 * time.Hour,
			journal: []journal.Record{observed(38 * time.Hour)},
			want:    strip + " disable-key:" + k2 + "*",
			notes:   []string{"AccessKey " + k2 + " of evil is disabled; delete it (and then the user) with a re-run after 2026-01-04T17:00:00Z (in 14h0m0s)"}},
		{name: "seen disabled, then enabled by akresp", keys: map[string]string{k2: "Inactive"}, now: 48 * time.Hour,
			journal: []journal.Record{observed(time.Hour), enabled(2 * time.Hour)},
			want:    strip + " disable-key:" + k2 + "*", notes: []string{noRecord}},
		// akresp's disable was undone: it no longer counts (the key was
		// deleted 47h after it although enabled in between).
		{name: "disabled and enabled by akresp, disabled outside", keys: map[string]string{k2: "Inactive"}, now: 48 * time.Hour,
			journal: []journal.Record{cuDisabled(k2, eradT0.Add(time.Hour)), enabled(2 * time.Hour)},
			want:    strip + " disable-key:" + k2 + "*", notes: []string{noRecord}},
		{name: "disabled 23h ago", keys: map[string]string{k2: "Inactive"}, now: 24 * time.Hour,
			journal: []journal.Record{cuDisabled(k2, eradT0.Add(time.Hour))},
			want:    strip + " disable-key:" + k2 + "*",
			notes:   []string{"AccessKey " + k2 + " of evil is disabled; delete it (and then the user) with a re-run after 2026-01-03T04:00:00Z (in 1h0m0s)"}},
		{name: "disabled exactly 24h ago", keys: map[string]string{k2: "Inactive"}, now: 25 * time.Hour,
			journal: []journal.Record{cuDisabled(k2, eradT0.Add(time.Hour))},
			want:    strip + " delete-key:" + k2 + " delete-user:evil"},
		{name: "disabled 2h ago, observe 2h", keys: map[string]string{k2: "Inactive"}, observe: 2 * time.Hour, now: 3 * time.Hour,
			journal: []journal.Record{cuDisabled(k2, eradT0.Add(time.Hour))},
			want:    strip + " delete-key:" + k2 + " delete-user:evil"},
		{name: "one key to delete, one to disable", keys: map[string]string{k1: "Active", k2: "Inactive"}, now: 25 * time.Hour,
			journal: []journal.Record{cuDisabled(k2, eradT0.Add(time.Hour))},
			want:    strip + " disable-key:" + k1 + " delete-key:" + k2,
			notes:   []string{"AccessKey " + k1 + " of evil: deleted by a re-run once it has been disabled for 24h0m0s"}},
		{name: "no key", now: time.Hour, want: strip + " delete-user:evil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newCUFake()
			f.addEvil(tc.keys)
			dir := cuJournal(t, tc.journal...)
			p := cuPlan(t, f, EradicateOptions{StateDir: dir, Observe: tc.observe, Now: cuAt(tc.now)})
			var got []string
			for _, a := range p.Actions {
				id := a.ID
				if a.Noop {
					id += "*"
				}
				got = append(got, id)
				if !slices.Equal(a.Evidence, []string{"ev-cu-evil"}) {
					t.Errorf("%s: evidence %v, want the CreateUser event", a.ID, a.Evidence)
				}
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("actions\n %s\nwant\n %s", strings.Join(got, " "), tc.want)
			}
			var keyNotes []string
			for _, n := range p.Notes {
				if strings.HasPrefix(n, "AccessKey ") {
					keyNotes = append(keyNotes, n)
				}
			}
			if !slices.Equal(keyNotes, tc.notes) {
				t.Errorf("notes %q, want %q", keyNotes, tc.notes)
			}
			// The run's next steps promise a deleting re-run only while
			// the user waits for one.
			if awaiting := !strings.Contains(tc.want, "delete-user:evil"); (p.usersAwaiting == 1) != awaiting {
				t.Errorf("users awaiting deletion %d, want awaiting %v", p.usersAwaiting, awaiting)
			}
			later := slices.ContainsFunc(nextSteps(p, &Summary{}, time.Time{}), func(s string) bool { return strings.HasPrefix(s, "once the observation period has passed") })
			if later != (p.usersAwaiting > 0) {
				t.Errorf("next steps promise a deleting re-run: %v, users awaiting %d", later, p.usersAwaiting)
			}
			// The step says when, where the journal (or this run) does.
			if later {
				observe := cmp.Or(tc.observe, 24*time.Hour)
				// From this run (a key it disables, or one it finds
				// disabled by someone else) or from the journal.
				want := "once the observation period has passed (after " + eradT0.Add(tc.now+observe).UTC().Format(time.RFC3339) + "), delete"
				if r := tc.journal; tc.keys[k1] == "" && len(r) == 1 && r[0].Target == k2 && (r[0].Result == journal.ResultOK || r[0].Kind == journal.KindNote) {
					want = "once the observation period has passed (after " + r[0].Time.Add(observe).UTC().Format(time.RFC3339) + "), delete"
				}
				if !slices.ContainsFunc(nextSteps(p, &Summary{}, time.Time{}), func(s string) bool { return strings.HasPrefix(s, want) }) {
					t.Errorf("next steps %q, want one starting %q", nextSteps(p, &Summary{}, time.Time{}), want)
				}
			}
			if a := p.Action("disable-key:" + k1); a != nil {
				if a.Kind != KindKeyStatus || a.Describe() != "disable AccessKey "+k1+" of evil: "+tc.keys[k1]+" -> Inactive" || !a.Reversible {
					t.Errorf("disable-key: %s %q reversible %v", a.Kind, a.Describe(), a.Reversible)
				}
			}
			if a := p.Action("delete-key:" + k2); a != nil {
				if a.Kind != KindDeleteKey || a.Noop || a.Describe() != "delete AccessKey "+k2+" of evil: Inactive -> Deleted" {
					t.Errorf("delete-key: %s noop %v %q", a.Kind, a.Noop, a.Describe())
				}
			}
			if a := p.Action("delete-user:evil"); a != nil {
				want := []string{"login-profile:evil", "detach-policy:evil:AdministratorAccess", "group:evil:ops", "mfa-device:evil"}
				if p.Action("delete-key:"+k2) != nil {
					want = append(want, "delete-key:"+k2)
				}
				if !slices.Equal(a.DependsOn, want) || a.Kind != KindDeleteUser || a.Noop || a.Describe() != "delete user evil: exists -> deleted" {
					t.Errorf("delete-user: depends on %q (want %q), %s noop %v %q", a.DependsOn, want, a.Kind, a.Noop, a.Describe())
				}
			}
			if a := p.Action("mfa-device:evil"); a == nil || a.Describe() != "unbind and delete MFA device acs:ram::1:mfa/evil of evil: MFA device acs:ram::1:mfa/evil bound -> no MFA device of the attacker bound" {
				t.Errorf("mfa-device: %+v", a)
			}
		})
	}
}

// Deleting the user after its key, with everything else, empties it in
// the fake as RAM wants (DeleteUser refuses while anything is left).
func TestEradicateCreatedUserDeletedForGood(t *testing.T) {
	const k2 = "LTAI5tEVILKEY0000000002"
	f := newCUFake()
	f.addEvil(map[string]string{k2: "Inactive"})
	f.attached["evil"] = []string{"evil-pol"}
	f.groups["evil"] = append(f.groups["evil"], "admins")
	dir := cuJournal(t, cuDisabled(k2, eradT0))
	p := cuPlan(t, f, EradicateOptions{StateDir: dir, Now: cuAt(25 * time.Hour)})
	want := []string{"login-profile:evil", "detach-policy:evil:AdministratorAccess", "detach-policy:evil:evil-pol", "group:evil:ops", "group:evil:admins", "mfa-device:evil", "delete-key:" + k2, "delete-user:evil"}
	if got := cuIDs(p); !slices.Equal(got, want) {
		t.Fatalf("actions %q, want %q", got, want)
	}
	if got := p.Action("delete-user:evil").DependsOn; !slices.Equal(got, want[:7]) {
		t.Errorf("delete-user depends on %q, want %q", got, want[:7])
	}
	sum, err := Execute(context.Background(), p, ExecOptions{StateDir: dir})
	if err != nil || sum.State != StateEradicated || sum.Changed != len(want) {
		t.Fatalf("execute: %v, %+v", err, sum)
	}
	if _, ok := f.users["evil"]; ok {
		t.Error("evil still exists")
	}
	if !slices.Equal(f.deletedMFA, []string{"acs:ram::1:mfa/evil"}) {
		t.Errorf("deleted MFA devices %q, want the attacker's", f.deletedMFA)
	}
	p = cuPlan(t, f, EradicateOptions{StateDir: dir, Now: cuAt(26 * time.Hour)})
	if len(p.Actions) != 0 || !slices.Contains(p.Notes, "user evil (created by the attacker) no longer exists") {
		t.Errorf("re-run: actions %v notes %q, want none and the user named gone", cuIDs(p), p.Notes)
	}
}

// A user is deleted only when the attacker created it: not when a
// legitimate source also wrote to it (before or after), not when the
// attacker's CreateUser was refused (the user pre-existed); a created user
// already gone is named, not planned; a refused or a read call creates
// nothing.
func TestEradicateCreatedUserKeptOrGone(t *testing.T) {
	f := newCUFake()
	f.addEvil(map[string]string{"LTAI5tEVILKEY0000000001": "Active"})
	f.addUser("shared", "")
	f.logins["shared"] = &cloud.LoginProfile{UserName: "shared"}
	f.addUser("alice", "")
	f.logins["alice"] = &cloud.LoginProfile{UserName: "alice"}
	f.addUser("bob", "")
	office := eradOffice
	ev := eradEvidence(
		cuCreateUser(0, eradAttacker, "evil"),
		cuCreateUser(1, eradAttacker, "shared"),
		EventRef{ID: "ev-shared-key", Time: eradAt(2), Name: "CreateAccessKey", Service: "Ram", SourceIP: eradAttacker, Params: map[string]string{"UserName": "shared"},
			Response: map[string]any{"AccessKey": map[string]any{"AccessKeyId": "LTAI5tSHAREDKEY00000001"}}},
		EventRef{ID: "ev-office", Time: eradAt(3), Name: "UpdateUser", Service: "Ram", SourceIP: office, Params: map[string]string{"UserName": "shared", "NewDisplayName": "Shared"}},
		EventRef{ID: "ev-alice", Time: eradAt(4), Name: "CreateUser", Service: "Ram", SourceIP: eradAttacker, Params: map[string]string{"UserName": "alice"}, ErrorCode: "EntityAlreadyExists.User"},
		EventRef{ID: "ev-alice-pol", Time: eradAt(5), Name: "AttachPolicyToUser", Service: "Ram", SourceIP: eradAttacker,
			Params: map[string]string{"UserName": "alice", "PolicyType": "System", "PolicyName": "AdministratorAccess"}},
		EventRef{ID: "ev-bob-read", Time: eradAt(6), Name: "GetUser", Service: "Ram", SourceIP: office, Params: map[string]string{"UserName": "bob"}},
		cuCreateUser(7, eradAttacker, "bob"),
		cuCreateUser(8, eradAttacker, "ghost"),
		cuCreateUser(9, office, "office-user"),
	)
	f.system["alice"] = []string{"AdministratorAccess"}
	p := cuPlan(t, f, EradicateOptions{Evidence: ev, Now: cuAt(time.Hour)})
	// evil is stripped and its active key disabled; bob (the office only
	// read it) has nothing left but itself; alice only loses the policy
	// the attacker attached; shared, ghost and the office's user get
	// nothing.
	want := []string{
		"login-profile:evil", "detach-policy:evil:AdministratorAccess", "group:evil:ops", "mfa-device:evil", "disable-key:LTAI5tEVILKEY0000000001",
		"login-profile:bob*", "delete-user:bob",
		"detach-policy:alice:AdministratorAccess",
	}
	var got []string
	for _, a := range p.Actions {
		id := a.ID
		if a.Noop {
			id += "*"
		}
		got = append(got, id)
	}
	if !slices.Equal(got, want) {
		t.Errorf("actions\n %q\nwant\n %q", got, want)
	}
	if a := p.Action("detach-policy:alice:AdministratorAccess"); a == nil || !slices.Equal(a.Evidence, []string{"ev-alice-pol"}) {
		t.Errorf("alice's detach: %+v, want it called for by the AttachPolicyToUser event", a)
	}
	if a := p.Action("delete-user:bob"); a == nil || !slices.Equal(a.DependsOn, []string{"login-profile:bob"}) || !slices.Equal(a.Evidence, []string{"ev-cu-bob"}) {
		t.Errorf("bob's delete: %+v, want it after its login's removal, called for by its CreateUser", a)
	}
	wantKept := []string{
		"kept: user shared also used by " + office + " (UpdateUser)",
		"kept: AccessKey LTAI5tSHAREDKEY00000001 of shared also used by " + office + " (UpdateUser)",
	}
	if !slices.Equal(p.Kept, wantKept) {
		t.Errorf("kept %q, want %q", p.Kept, wantKept)
	}
	if !slices.Contains(p.Notes, "user ghost (created by the attacker) no longer exists") {
		t.Errorf("notes %q, want ghost named gone", p.Notes)
	}
}

// A read that fails while planning a created user stops the plan with the
// user and the cloud's error named; a user, login or MFA device that is
// not found is no error.
func TestEradicateCreatedUserReadErrors(t *testing.T) {
	for _, m := range []string{"GetUser", "GetLoginProfile", "ListPoliciesForUser", "ListGroupsForUser", "GetUserMFAInfo", "ListAccessKeys"} {
		f := newCUFake()
		f.addEvil(map[string]string{"LTAI5tEVILKEY0000000001": "Active"})
		f.fail[m] = cuServerError("ram:" + m)
		_, err := PlanEradicate(context.Background(), f, EradicateOptions{KeyID: cuKey, Evidence: eradEvidence(cuCreateUser(0, eradAttacker, "evil")), Now: cuAt(time.Hour)})
		var ae *cloud.APIError
		if err == nil || !strings.HasPrefix(err.Error(), "eradicate "+cuKey+": user evil: ") || !errors.As(err, &ae) || ae.API != "ram:"+m {
			t.Errorf("%s fails: %v, want the plan refused naming user evil and ram:%s", m, err, m)
		}
	}

	// The login profile reported not found (the user is being deleted):
	// nothing to delete; no MFA device: no MFA action.
	f := newCUFake()
	f.addEvil(nil)
	delete(f.mfa, "evil")
	f.fail["GetLoginProfile"] = notFound("ram:GetLoginProfile", "EntityNotExist.User.LoginProfile")
	p := cuPlan(t, f, EradicateOptions{Now: cuAt(time.Hour)})
	if got := cuIDs(p); !slices.Equal(got, []string{"login-profile:evil", "detach-policy:evil:AdministratorAccess", "group:evil:ops", "delete-user:evil"}) ||
		!p.Action("login-profile:evil").Noop || p.Action("login-profile:evil").BeforeText != "no console login" {
		t.Errorf("actions %q (login %+v), want the login as a no-op and no MFA action", got, p.Action("login-profile:evil"))
	}
}

// A failed step leaves the user (and what depends on it) for the re-run,
// which finishes the job.
func TestEradicateCreatedUserPartialFailure(t *testing.T) {
	const k2 = "LTAI5tEVILKEY0000000002"
	ctx := context.Background()
	for _, tc := range []struct {
		fail, blocker string
	}{
		{"DeleteAccessKey", "delete-key:" + k2},
		{"RemoveUserFromGroup", "group:evil:ops"},
		{"DeleteLoginProfile", "login-profile:evil"},
	} {
		t.Run(tc.fail, func(t *testing.T) {
			f := newCUFake()
			f.addEvil(map[string]string{k2: "Inactive"})
			dir := cuJournal(t, cuDisabled(k2, eradT0))
			f.fail[tc.fail] = cuServerError("ram:" + tc.fail)
			p := cuPlan(t, f, EradicateOptions{StateDir: dir, Now: cuAt(25 * time.Hour)})
			sum, err := Execute(ctx, p, ExecOptions{StateDir: dir, Retry: "akresp eradicate " + cuKey})
			var pe *PartialError
			if !errors.As(err, &pe) || sum.State != StatePartiallyEradicated || sum.Failed != 1 || sum.Skipped != 1 {
				t.Fatalf("execute: %v, summary %+v; want a partial failure: 1 failed, the user skipped", err, sum)
			}
			if o := sum.Outcomes[tc.blocker]; o.Status != OutcomeFailed || o.ErrorCode != "InternalError" {
				t.Errorf("%s: %+v, want failed with InternalError", tc.blocker, o)
			}
			if o := sum.Outcomes["delete-user:evil"]; o.Status != OutcomeSkipped || o.Error != "not attempted: "+tc.blocker+" did not succeed" {
				t.Errorf("delete-user: %+v, want skipped for %s", o, tc.blocker)
			}
			if _, ok := f.users["evil"]; !ok {
				t.Fatal("evil was deleted although a step before failed")
			}
			if f.callCount("DeleteUser") != 0 {
				t.Error("DeleteUser was called although a step before failed")
			}
			// The re-run finishes.
			delete(f.fail, tc.fail)
			p = cuPlan(t, f, EradicateOptions{StateDir: dir, Now: cuAt(26 * time.Hour)})
			if a := p.Action("delete-user:evil"); a == nil || a.Noop || p.Action(tc.blocker) == nil || p.Action(tc.blocker).Noop {
				t.Fatalf("re-run: actions %v, want %s and delete-user again", cuIDs(p), tc.blocker)
			}
			if _, err := Execute(ctx, p, ExecOptions{StateDir: dir}); err != nil {
				t.Fatalf("re-run: %v", err)
			}
			if _, ok := f.users["evil"]; ok {
				t.Error("evil still exists after the re-run")
			}
		})
	}
}

// The delete-user and delete-login-profile resources: observed states,
// deleting what is already gone, refusing to re-create, errors passed on.
func TestEradicateUserAndLoginResources(t *testing.T) {
	ctx := context.Background()
	f := newCUFake()
	f.addEvil(nil)
	u := &userResource{c: f, user: "evil"}
	l := &loginResource{c: f, user: "evil"}
	if u.kind() != KindDeleteUser || u.target() != "evil" || u.reversible() || l.kind() != KindDeleteLoginProfile || l.target() != "evil" || l.reversible() {
		t.Errorf("kinds %s/%s targets %s/%s reversible %v/%v", u.kind(), l.kind(), u.target(), l.target(), u.reversible(), l.reversible())
	}
	if st, err := u.observe(ctx); err != nil || st != (userState{User: "evil", Exists: true}) {
		t.Errorf("user observe: %+v %v", st, err)
	}
	if st, err := l.observe(ctx); err != nil || st != (loginState{User: "evil", Exists: true}) {
		t.Errorf("login observe: %+v %v", st, err)
	}
	if _, err := u.set(ctx, userState{User: "evil"}, userState{User: "evil", Exists: true}); err == nil || err.Error() != "cannot re-create user evil" {
		t.Errorf("re-create user: %v", err)
	}
	if _, err := l.set(ctx, loginState{User: "evil"}, loginState{User: "evil", Exists: true}); err == nil ||
		!strings.HasPrefix(err.Error(), "cannot re-create the console login of evil: its password is not known") {
		t.Errorf("re-create login: %v", err)
	}
	if f.callCount("DeleteUser")+f.callCount("DeleteLoginProfile") != 0 {
		t.Error("refusing to re-create called the cloud")
	}
	// Errors are passed on, a conflict too.
	f.fail["GetUser"] = cuServerError("ram:GetUser")
	f.fail["GetLoginProfile"] = cuServerError("ram:GetLoginProfile")
	if _, err := u.observe(ctx); err == nil {
		t.Error("user observe: no error from a failing GetUser")
	}
	if _, err := l.observe(ctx); err == nil {
		t.Error("login observe: no error from a failing GetLoginProfile")
	}
	if _, err := u.set(ctx, userState{User: "evil", Exists: true}, userState{User: "evil"}); err == nil || !strings.Contains(err.Error(), "DeleteConflict.User.LoginProfile") {
		t.Errorf("delete a user with a login: %v, want RAM's conflict", err)
	}
	f.fail["DeleteLoginProfile"] = cuServerError("ram:DeleteLoginProfile")
	if _, err := l.set(ctx, loginState{User: "evil", Exists: true}, loginState{User: "evil"}); err == nil {
		t.Error("login delete: no error from a failing DeleteLoginProfile")
	}
	delete(f.fail, "DeleteLoginProfile")
	// Gone already: deleting succeeds.
	if rid, err := l.set(ctx, loginState{User: "evil", Exists: true}, loginState{User: "evil"}); err != nil || rid == "" {
		t.Errorf("login delete: %q %v", rid, err)
	}
	if _, err := l.set(ctx, loginState{User: "evil", Exists: true}, loginState{User: "evil"}); err != nil {
		t.Errorf("login delete, already gone: %v", err)
	}
	delete(f.fail, "GetUser")
	delete(f.fail, "GetLoginProfile")
	f.system, f.groups, f.mfa = map[string][]string{}, map[string][]string{}, map[string]string{}
	if rid, err := u.set(ctx, userState{User: "evil", Exists: true}, userState{User: "evil"}); err != nil || rid == "" {
		t.Errorf("user delete: %q %v", rid, err)
	}
	if st, err := u.observe(ctx); err != nil || st != (userState{User: "evil"}) {
		t.Errorf("user observe after delete: %+v %v", st, err)
	}
	if _, err := u.set(ctx, userState{User: "evil", Exists: true}, userState{User: "evil"}); err != nil {
		t.Errorf("user delete, already gone: %v", err)
	}
	if u.text(userState{Exists: true}) != "exists" || u.text(userState{}) != "deleted" ||
		l.text(loginState{Exists: true}) != "console login enabled" || l.text(loginState{}) != "no console login" {
		t.Error("texts")
	}
	if !u.equal(userState{User: "a"}, userState{User: "b"}) || u.equal(userState{Exists: true}, userState{}) ||
		!l.equal(loginState{User: "a"}, loginState{User: "b"}) || l.equal(loginState{Exists: true}, loginState{}) {
		t.Error("equal compares existence only")
	}

	// A journal record undo cannot read is an error naming it.
	for _, kind := range []string{KindDeleteUser, KindDeleteLoginProfile} {
		dir := cuJournal(t, journal.Record{Time: eradT0, Kind: journal.KindIntent, Action: kind, Target: "evil", ActionID: kind + ":evil",
			Before: []byte(`"evil"`), After: []byte(`{"user":"evil"}`)})
		if _, err := PlanEradicateUndo(ctx, f, cuKey, dir, cuAt(time.Hour)); err == nil || !strings.Contains(err.Error(), "journal record of "+kind+":evil") {
			t.Errorf("%s: undo of an unreadable record: %v", kind, err)
		}
	}
}

// ---- contain's view of the identities the key created (kind_created.go) ----

// Without --contain-created, contain reads the state of every identity the
// key created and says how many are still active (existing users other
// than the key's owner, Active keys other than the leaked one) or that
// none is; with it and no deny policy in the plan, it says there is none
// to attach.
func TestContainCreatedIdentitiesCurrentState(t *testing.T) {
	const (
		bdKey  = "LTAI5tBACKDOORBACKDOOR01"
		oldKey = "LTAI5tOLDOLDOLDOLDOLD001"
	)
	f := newFake()
	f.addUser("backdoor", bdKey)
	f.addUser("backdoor2", "")
	f.keys[oldKey] = &fakeKey{user: "backdoor", status: "Inactive"}
	f.logins["backdoor"] = &cloud.LoginProfile{UserName: "backdoor", MFABindRequired: true}
	f.attached["backdoor"] = []string{"evil-pol"}
	created := []CreatedIdentity{
		{Kind: "user", Name: "backdoor"},
		{Kind: "user", Name: "backdoor2"},
		{Kind: "user", Name: "gone"},
		{Kind: "user", Name: "app-prod"}, // the key's owner
		{Kind: "access_key", Name: bdKey, User: "backdoor"},
		{Kind: "access_key", Name: oldKey, User: "backdoor"},
		{Kind: "access_key", Name: "LTAI5tGONEGONEGONEGONE01", User: "backdoor"},
		{Kind: "access_key", Name: "LTAI5tNOUSERNOUSERNOUS01", User: "gone"},
		{Kind: "access_key", Name: leakedKey, User: "app-prod"}, // the leaked key itself
		{Kind: "login_profile", Name: "backdoor"},
		{Kind: "login_profile", Name: "x", User: "app-prod"},
		{Kind: "login_profile", Name: "gone"},
		{Kind: "policy_attachment", Name: "EVIL-POL", User: "backdoor"},
		{Kind: "policy_attachment", Name: "other-pol", User: "backdoor"},
		{Kind: "policy_attachment", Name: "evil-pol"},
		{Kind: "role", Name: "r"},
	}
	want := []string{"exists", "exists", "deleted", "exists", "Active", "Inactive", "deleted", "deleted", "Active",
		"exists_mfa_required", "exists", "deleted", "attached", "detached", "not_checked", "not_checked"}
	p, err := PlanContain(context.Background(), f, containOpts(func(o *ContainOptions) { o.Evidence = &Evidence{Created: slices.Clone(created)} }))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range p.Created {
		got = append(got, c.Current)
	}
	if !slices.Equal(got, want) {
		t.Errorf("current states\n %q\nwant\n %q", got, want)
	}
	// backdoor, backdoor2 and backdoor's Active key; not the owner, not
	// the leaked key, not a login profile that exists.
	note := "the key created or changed 16 identities, 3 of them still active; --contain-created adds actions for them"
	if !slices.Contains(p.Notes, note) {
		t.Errorf("notes %q, want %q", p.Notes, note)
	}
	if n := containable(p); n != 3 {
		t.Errorf("containable = %d, want 3", n)
	}
	for _, d := range p.Diagnostics {
		if strings.HasPrefix(d.Target, "user ") || strings.HasPrefix(d.Target, "access_key ") || strings.HasPrefix(d.Target, "login_profile ") {
			t.Errorf("diagnostic %+v: every state was read", d)
		}
	}
	for _, a := range p.Actions {
		if a.Target == "backdoor" || a.Target == bdKey {
			t.Errorf("without --contain-created the plan acts on %s", a.ID)
		}
	}

	// Nothing left to contain: deleted, disabled, or the owner and the
	// leaked key themselves.
	f.keys[bdKey].status = "Inactive"
	delete(f.users, "backdoor")
	p, err = PlanContain(context.Background(), f, containOpts(func(o *ContainOptions) {
		o.Evidence = &Evidence{Created: []CreatedIdentity{{Kind: "user", Name: "backdoor"}, {Kind: "user", Name: "app-prod"},
			{Kind: "access_key", Name: leakedKey, User: "app-prod"}, {Kind: "access_key", Name: oldKey, User: "app-prod"}}}
	}))
	if err != nil {
		t.Fatal(err)
	}
	note = "the key created or changed 4 identities; none is left to contain (deleted, disabled or the owner itself)"
	if !slices.Contains(p.Notes, note) {
		t.Errorf("notes %q, want %q", p.Notes, note)
	}

	// Nothing created: nothing said about it.
	p, err = PlanContain(context.Background(), f, containOpts(func(o *ContainOptions) { o.Evidence = &Evidence{} }))
	if err != nil {
		t.Fatal(err)
	}
	if cuHasNote(p.Notes, "the key created or changed") {
		t.Errorf("notes %q: the key created nothing", p.Notes)
	}

	// --contain-created without the deny policy: nothing to attach to the
	// created user, and it says so once.
	f = newFake()
	f.addUser("backdoor", bdKey)
	p, err = PlanContain(context.Background(), f, containOpts(func(o *ContainOptions) {
		o.ContainCreated, o.NoDenyPolicy = true, true
		o.Evidence = &Evidence{Created: []CreatedIdentity{{Kind: "user", Name: "backdoor"}, {Kind: "user", Name: "backdoor"}, {Kind: "access_key", Name: bdKey, User: "backdoor"}}}
	}))
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, n := range p.Notes {
		if strings.HasPrefix(n, "created user") {
			notes = append(notes, n)
		}
	}
	if !slices.Equal(notes, []string{"created user backdoor: no deny policy in this plan to attach"}) {
		t.Errorf("notes %q, want one saying there is no deny policy to attach", notes)
	}
	if a := p.Action("disable-key:" + bdKey); a == nil || a.Noop || a.Describe() != "disable created key "+bdKey+" of backdoor: Active -> Inactive" {
		t.Errorf("actions %v, want the created key disabled", cuIDs(p))
	}
}

// ---- the observation period starts at the last disable (stop) ----

// A key disabled, enabled again outside this journal and disabled again
// by a later eradicate has been disabled since the second disable: the
// observation period runs from it, not from the first.
func TestEradicateCreatedUserObserveFromTheLastDisable(t *testing.T) {
	const k2 = "LTAI5tEVILKEY0000000002"
	f := newCUFake()
	f.addEvil(map[string]string{k2: "Inactive"})
	dir := cuJournal(t, cuDisabled(k2, eradT0), cuDisabled(k2, eradT0.Add(20*time.Hour)))
	p := cuPlan(t, f, EradicateOptions{StateDir: dir, Now: cuAt(25 * time.Hour)})
	if a := p.Action("disable-key:" + k2); a == nil || !a.Noop || p.Action("delete-key:"+k2) != nil || p.Action("delete-user:evil") != nil {
		t.Errorf("disabled again 5h ago: actions %v, want the key kept (disabled, a no-op) and no deletion", cuIDs(p))
	}
	want := "AccessKey " + k2 + " of evil is disabled; delete it (and then the user) with a re-run after 2026-01-03T23:00:00Z (in 19h0m0s)"
	if !slices.Contains(p.Notes, want) {
		t.Errorf("notes %q, want %q", p.Notes, want)
	}
	p = cuPlan(t, f, EradicateOptions{StateDir: dir, Now: cuAt(44 * time.Hour)})
	if p.Action("delete-key:"+k2) == nil || p.Action("delete-user:evil") == nil {
		t.Errorf("24h after the second disable: actions %v, want the key and the user deleted", cuIDs(p))
	}
}

// The same for an instance: stopped by eradicate, started by its undo,
// stopped again; --release waits for the observation period from the
// second stop.
func TestEradicateReleaseObservesFromTheLastStop(t *testing.T) {
	c := &eradFake{instances: map[string]cloud.Instance{"i-evil": {InstanceID: "i-evil", Status: "Stopped", InstanceType: "ecs.g7.large"}}}
	ev := eradEvidence(runInstance(eradAttacker, "i-evil", 0, "cn-hangzhou", ""))
	state := func(s string) []byte {
		return []byte(`{"instance_id":"i-evil","region":"cn-hangzhou","status":"` + s + `"}`)
	}
	rec := func(at time.Duration, before, after string) journal.Record {
		return journal.Record{Time: eradT0.Add(at), Kind: journal.KindOutcome, Result: journal.ResultOK, Action: KindInstanceState, Target: "i-evil",
			ActionID: "stop-instance:i-evil", Before: state(before), After: state(after)}
	}
	dir := cuJournal(t, rec(time.Hour, "Running", "Stopped"), rec(2*time.Hour, "Stopped", "Running"), rec(20*time.Hour, "Running", "Stopped"))
	p, err := PlanEradicate(context.Background(), c, EradicateOptions{KeyID: cuKey, Evidence: ev, Release: true, StateDir: dir, Now: cuAt(26 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if a := p.Action("stop-instance:i-evil"); a == nil || !a.Noop || p.Action("release-instance:i-evil") != nil {
		t.Errorf("stopped again 6h ago: actions %v, want only the (no-op) stop", actionIDsOf(p))
	}
	want := "instance i-evil: released after it has been stopped for 24h0m0s (after 2026-01-03T23:00:00Z (in 18h0m0s))"
	if !slices.Contains(p.Notes, want) {
		t.Errorf("notes %q, want %q", p.Notes, want)
	}
	// Still the attacker's and still billed while it waits: the plan's
	// instances (what EradicateCost counts) keep it.
	if len(p.Instances) != 1 || p.Instances[0].ID != "i-evil" {
		t.Errorf("--release, still observed: instances %+v, want i-evil", p.Instances)
	}
	// Without --release the plan lists the instance with when akresp last
	// stopped it (the report's release time).
	p, err = PlanEradicate(context.Background(), c, EradicateOptions{KeyID: cuKey, Evidence: ev, StateDir: dir, Now: cuAt(26 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Instances) != 1 || !p.Instances[0].StoppedSince.Equal(eradT0.Add(20*time.Hour)) {
		t.Errorf("instances %+v, want i-evil stopped since %s", p.Instances, eradT0.Add(20*time.Hour))
	}
	// Exactly 24h after the second stop: released.
	p, err = PlanEradicate(context.Background(), c, EradicateOptions{KeyID: cuKey, Evidence: ev, Release: true, StateDir: dir, Now: cuAt(44 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if a := p.Action("release-instance:i-evil"); a == nil || a.Noop || p.Action("stop-instance:i-evil") != nil {
		t.Errorf("stopped 24h ago: actions %v, want release-instance:i-evil", actionIDsOf(p))
	}
	// Stopped by akresp, started again (eradicate --undo), then stopped by
	// someone else: akresp's stop no longer counts; the period starts when
	// a run first sees it stopped again. (It was released 25h after the
	// first stop although it had been running since the undo.)
	dir = cuJournal(t, rec(time.Hour, "Running", "Stopped"), rec(2*time.Hour, "Stopped", "Running"))
	p, err = PlanEradicate(context.Background(), c, EradicateOptions{KeyID: cuKey, Evidence: ev, Release: true, StateDir: dir, Now: cuAt(26 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if p.Action("release-instance:i-evil") != nil || len(p.observed) != 1 || p.observed[0] != (observation{ObservedStoppedNote, "i-evil"}) {
		t.Errorf("stopped outside after akresp started it: actions %v observed %v, want it waiting and observed from now", actionIDsOf(p), p.observed)
	}
}

// previousBandwidth reads this instance's own legitimate history: its
// RunInstances (0 Mbit/s when it sets none), its own bandwidth changes (one
// without a value changes nothing), not another instance's change nor an
// event that only names it.
func TestPreviousBandwidthOfThisInstance(t *testing.T) {
	ev := eradEvidence()
	run := runInstance(eradOffice, "i-1", 0, "cn-hangzhou", "")
	run.Params["InternetMaxBandwidthOut"] = "5"
	evs := []EventRef{run,
		{Time: eradAt(1), Name: "ModifyInstanceNetworkSpec", Service: "Ecs", SourceIP: eradOffice, Params: map[string]string{"InstanceId": "i-2", "InternetMaxBandwidthOut": "50"}},
		{Time: eradAt(2), Name: "StopInstance", Service: "Ecs", SourceIP: eradOffice, Params: map[string]string{"InstanceId": "i-1"}},
		{Time: eradAt(3), Name: "ModifyInstanceNetworkSpec", Service: "Ecs", SourceIP: eradOffice, Params: map[string]string{"InstanceId": "i-1"}},
	}
	if got := previousBandwidth(evs, ev, "i-1", eradAt(10)); got != 5 {
		t.Errorf("previous bandwidth %d, want 5 (its RunInstances)", got)
	}
	bare := runInstance(eradOffice, "i-3", 0, "cn-hangzhou", "")
	if got := previousBandwidth([]EventRef{bare}, ev, "i-3", eradAt(10)); got != 0 {
		t.Errorf("previous bandwidth %d, want 0 (RunInstances without InternetMaxBandwidthOut)", got)
	}
}

// A legitimate write keeps only what the attacker did before it: the
// office created dev1 an hour before the attack and renamed ops after it,
// so the policy, key and console login the attacker gave dev1 are
// reverted while ops keeps the policy the attacker attached before the
// office's change.
func TestEradicateEarlierLegitimateWriteKeepsNothing(t *testing.T) {
	f := newCUFake()
	f.addUser("dev1", "")
	f.addUser("ops", "")
	f.logins["dev1"] = &cloud.LoginProfile{UserName: "dev1"}
	f.system["dev1"] = []string{"AdministratorAccess"}
	f.system["ops"] = []string{"AdministratorAccess"}
	office := eradOffice
	ev := eradEvidence(
		cuCreateUser(-60, office, "dev1"),
		EventRef{ID: "ev-dev1-pol", Time: eradAt(1), Name: "AttachPolicyToUser", Service: "Ram", SourceIP: eradAttacker,
			Params: map[string]string{"UserName": "dev1", "PolicyType": "System", "PolicyName": "AdministratorAccess"}},
		EventRef{ID: "ev-dev1-login", Time: eradAt(2), Name: "CreateLoginProfile", Service: "Ram", SourceIP: eradAttacker, Params: map[string]string{"UserName": "dev1"}},
		EventRef{ID: "ev-ops-pol", Time: eradAt(3), Name: "AttachPolicyToUser", Service: "Ram", SourceIP: eradAttacker,
			Params: map[string]string{"UserName": "ops", "PolicyType": "System", "PolicyName": "AdministratorAccess"}},
		EventRef{ID: "ev-ops-office", Time: eradAt(4), Name: "UpdateUser", Service: "Ram", SourceIP: office, Params: map[string]string{"UserName": "ops", "NewDisplayName": "Ops"}},
	)
	p := cuPlan(t, f, EradicateOptions{Evidence: ev, Now: cuAt(time.Hour)})
	for _, id := range []string{"detach-policy:dev1:AdministratorAccess", "login-profile:dev1"} {
		if a := p.Action(id); a == nil || a.Noop {
			t.Errorf("%s: %+v, want the attacker's change to dev1 reverted (the office's CreateUser came before it)", id, a)
		}
	}
	if a := p.Action("detach-policy:ops:AdministratorAccess"); a != nil {
		t.Errorf("ops's policy planned for removal (%+v), want it kept: the office changed ops after the attacker", a)
	}
	if want := "kept: policy AdministratorAccess on ops also used by " + office + " (UpdateUser)"; !slices.Equal(p.Kept, []string{want}) {
		t.Errorf("kept %q, want [%q]", p.Kept, want)
	}
}

// Eradicate deletes a created user's keys, then the user, and re-reads
// every action at the end: a key whose user is gone is deleted, not a
// failed re-read (the lab test failed about one run in four on it).
func TestKeyOfDeletedUserReadsDeleted(t *testing.T) {
	f := newFake()
	r := &keyResource{c: f, keyID: "LTAI5tGONEKEY0000000001", user: "gone-user", delete: true}
	got, err := r.observe(context.Background())
	if err != nil {
		t.Fatalf("observe: %v, want the key read as deleted", err)
	}
	if s := got.(keyState).Status; s != StatusDeleted {
		t.Errorf("status %q, want %q", s, StatusDeleted)
	}
	f.fail["ListAccessKeys"] = cuServerError("ram:ListAccessKeys")
	if _, err := r.observe(context.Background()); err == nil {
		t.Error("a server error reads as a state, want it returned")
	}
}

// A created user's key disabled by its own `akresp disable` (journaled
// with that key, not the leaked one): eradicate counts the observation
// period from that disable, not "no record of when it was disabled".
func TestEradicateKeyDisabledByItsOwnDisable(t *testing.T) {
	const k2 = "LTAI5tEVILKEY00000000002" // a well-formed ID: its own directory is a key's
	f := newCUFake()
	f.addEvil(map[string]string{k2: "Inactive"})
	dir := cuJournal(t)
	at := eradT0.Add(time.Hour)
	j, err := journal.Open(dir, k2, CmdDisable, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	r := cuDisabled(k2, at)
	r.ActionID = "disable:" + k2
	if err := j.Append(r); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	p := cuPlan(t, f, EradicateOptions{StateDir: dir, Now: cuAt(24 * time.Hour)})
	want := "AccessKey " + k2 + " of evil is disabled; delete it (and then the user) with a re-run after 2026-01-03T04:00:00Z (in 1h0m0s)"
	if !slices.Contains(p.Notes, want) {
		t.Errorf("notes %q, want %q", p.Notes, want)
	}
	if p := cuPlan(t, f, EradicateOptions{StateDir: dir, Now: cuAt(25 * time.Hour)}); p.Action("delete-key:"+k2) == nil {
		t.Errorf("24h after its disable: actions %v, want delete-key:%s", actionIDsOf(p), k2)
	}
}

// An attacker's instance someone else stopped (no akresp stop in the
// journal) was never released: every --release run said "after the
// observation period (no record of when it was stopped)" and the journal
// never got one. The first run that finds it stopped now journals that it
// saw it (even a run with nothing to change; not a dry run), and the
// period runs from there. The result and next steps say what waits.
func TestEradicateReleasesAnInstanceStoppedOutsideAkresp(t *testing.T) {
	c := &eradFake{instances: map[string]cloud.Instance{"i-evil": {InstanceID: "i-evil", Status: "Stopped", InstanceType: "ecs.g7.large"}}}
	ev := eradEvidence(runInstance(eradAttacker, "i-evil", 0, "cn-hangzhou", ""))
	dir := t.TempDir()
	plan := func(at time.Duration, release bool) *Plan {
		t.Helper()
		p, err := PlanEradicate(context.Background(), c, EradicateOptions{KeyID: cuKey, Evidence: ev, Release: release, StateDir: dir, Now: cuAt(at)})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := plan(time.Hour, true)
	if p.Changes() != 0 || p.Action("release-instance:i-evil") != nil {
		t.Fatalf("first sight: actions %v, want only the no-op stop", actionIDsOf(p))
	}
	want := "instance i-evil: released after it has been stopped for 24h0m0s (after 2026-01-03T04:00:00Z (in 24h0m0s): it was stopped outside akresp, so the period starts now)"
	if !slices.Contains(p.Notes, want) {
		t.Errorf("notes %q, want %q", p.Notes, want)
	}
	// A dry run journals nothing.
	if _, err := Execute(context.Background(), p, ExecOptions{StateDir: dir, Now: cuAt(time.Hour), DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if recs, _, _ := journal.ReadKey(dir, cuKey); len(recs) != 0 {
		t.Fatalf("dry run journaled %d records", len(recs))
	}
	sum, err := Execute(context.Background(), p, ExecOptions{StateDir: dir, Now: cuAt(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	wantMsg := cuKey + ": nothing to change now; the attacker's instance is stopped, released by --release after 2026-01-03T04:00:00Z"
	if sum.Message != wantMsg {
		t.Errorf("result %q, want %q", sum.Message, wantMsg)
	}
	// 23h later: still waiting, counted from the first sight.
	if p := plan(24*time.Hour, true); p.Action("release-instance:i-evil") != nil || len(p.Instances) != 1 {
		t.Errorf("23h after first sight: actions %v instances %+v, want the instance waiting", actionIDsOf(p), p.Instances)
	}
	// 24h after it: released.
	if p := plan(25*time.Hour, true); p.Action("release-instance:i-evil") == nil {
		t.Errorf("24h after first sight: actions %v, want release-instance:i-evil", actionIDsOf(p))
	}
	// Without --release the next steps name the release and when.
	p = plan(2*time.Hour, false)
	next := nextSteps(p, &Summary{Command: CmdEradicate, State: StateEradicated, Outcomes: map[string]Outcome{}}, cuAt(2*time.Hour)())
	wantNext := "the attacker's stopped instance is still billed for its disks: once stopped for the observation period (after 2026-01-03T04:00:00Z), release it: akresp eradicate " + cuKey + " --release"
	if !slices.Contains(next, wantNext) {
		t.Errorf("next steps %q, want %q", next, wantNext)
	}
	// eradicate --status says the same.
	if w, want := p.Waits(), "the attacker's instance is stopped, released by --release after 2026-01-03T04:00:00Z"; w != want {
		t.Errorf("waits %q, want %q", w, want)
	}
}
