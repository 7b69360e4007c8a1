package audit_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
)

// followedByName returns the followed identity of kind and name, or nil.
func followedByName(r *audit.Result, kind, name string) *audit.FollowedIdentity {
	for i := range r.Followed {
		if r.Followed[i].Kind == kind && r.Followed[i].Name == name {
			return &r.Followed[i]
		}
	}
	return nil
}

func hasFinding(id *audit.FollowedIdentity, rule string, atLeast audit.Severity) bool {
	return slices.ContainsFunc(id.Findings, func(f audit.Finding) bool { return f.ID == rule && f.Severity >= atLeast })
}

// TestFollowLabLeak: on builtin:leak the attacker created svc-backup, its
// login profile and its key; the user then signs in to the console from a
// residential address. The audit of the leaked key follows both, with
// their chains, events and findings, and leaves the key's own result (its
// events, sources, findings, created identities and verdict) as it was.
func TestFollowLabLeak(t *testing.T) {
	env := startLab(t, "builtin:leak", lab.Options{})
	notes := env.info.Notes
	leaked, attacker, user, key := notes["leaked_key_id"], notes["attacker_ip"], notes["created_user"], notes["created_key_id"]
	leakAt, err := time.Parse(time.RFC3339, notes["leak_time"])
	if err != nil {
		t.Fatalf("scenario leak_time %q: %v", notes["leak_time"], err)
	}
	const proxy = "203.0.113.200"
	env.srv.Update(func(w *lab.World) {
		w.Events = append(w.Events, w.NewEvent(lab.EventSpec{
			Time: leakAt.Add(55 * time.Minute), Service: "AasSub", Action: "ConsoleSignin", EventType: "ConsoleSignin",
			SourceIP: proxy, UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
			Caller: lab.Caller{Type: "ram-user", PrincipalID: "2091837465012345", UserName: user},
		}))
	})
	admin := env.clients(t, "admin", cloud.Config{})
	run := func(noFollow bool) *audit.Result {
		r, err := audit.Investigate(context.Background(), admin, audit.InvestigateOptions{
			Engine: audit.Options{KeyID: leaked, Now: time.Now()}, Online: true, NoFollow: noFollow,
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r, plain := run(false), run(true)

	u := followedByName(r, audit.FollowUser, user)
	if u == nil {
		t.Fatalf("user %s not followed; followed %+v", user, r.Followed)
	}
	var chain []string
	for _, s := range u.Via {
		chain = append(chain, s.Kind+" "+s.Event+" "+s.Target)
	}
	if d := cmp.Diff([]string{"create CreateUser " + user, "create CreateLoginProfile " + user, "use ConsoleSignin "}, chain); d != "" {
		t.Errorf("user chain (-want +got):\n%s", d)
	}
	if got, want := audit.ViaText(u.Via), "key → CreateUser "+user+" → CreateLoginProfile → ConsoleSignin from "+proxy; got != want {
		t.Errorf("ViaText = %q, want %q", got, want)
	}
	if s := u.Via[0]; s.AccessKeyID != leaked || s.SourceIP != attacker || s.EventID == "" || s.Time.IsZero() {
		t.Errorf("first step %+v: want the leaked key's call from %s", s, attacker)
	}
	if u.Events != 1 || len(u.Sources) != 1 || u.Sources[0].IP != proxy || u.FirstSeen.IsZero() {
		t.Errorf("user: %d events from %+v, first seen %s; want the one sign-in from %s", u.Events, u.Sources, u.FirstSeen, proxy)
	}
	if !hasFinding(u, "PERS-05", audit.High) {
		t.Errorf("user findings %+v lack a high PERS-05 for the sign-in", u.Findings)
	}

	k := followedByName(r, audit.FollowAccessKey, key)
	if k == nil {
		t.Fatalf("key %s not followed; followed %+v", key, r.Followed)
	}
	if got, want := audit.ViaText(k.Via), "key → CreateUser "+user+" → CreateAccessKey "+key+" → GetCallerIdentity from "+attacker; got != want {
		t.Errorf("key chain %q, want %q", got, want)
	}
	if k.UserName != user || k.Events != 3 || !slices.Contains(k.Services, "Ecs") || !hasFinding(k, "PERS-05", audit.Critical) {
		t.Errorf("followed key: user %q, %d events, services %v, findings %+v; want %s's 3 calls and a critical PERS-05", k.UserName, k.Events, k.Services, k.Findings, user)
	}
	if r.FollowedOmitted != 0 || len(r.Followed) != 2 {
		t.Errorf("followed %d identities (%d omitted), want the user and its key", len(r.Followed), r.FollowedOmitted)
	}

	// The key's own audit is unchanged; the verdict names the chains.
	if r.Verdict.Status != audit.StatusSuspectedLeak || r.Verdict.Status != plain.Verdict.Status || r.Verdict.Severity != plain.Verdict.Severity {
		t.Errorf("verdict %s/%s, without following %s/%s", r.Verdict.Status, r.Verdict.Severity, plain.Verdict.Status, plain.Verdict.Severity)
	}
	if d := cmp.Diff(plain.Sources, r.Sources, cmp.Transformer("noPos", func(o audit.Origin) audit.Origin { o.Pos = 0; return o })); d != "" {
		t.Errorf("sources changed by following (-plain +followed):\n%s", d)
	}
	// (Origin.Pos is the event's place in its LookupEvents page, which
	// depends on which region's page delivered a global event first.)
	ignorePos := cmp.Transformer("noPos", func(o audit.Origin) audit.Origin { o.Pos = 0; return o })
	if d := cmp.Diff(plain.Created, r.Created, ignorePos); d != "" {
		t.Errorf("created identities changed by following (-plain +followed):\n%s", d)
	}
	if r.Window.Events != plain.Window.Events || len(r.Findings) != len(plain.Findings) {
		t.Errorf("window events %d, findings %d; without following %d, %d", r.Window.Events, len(r.Findings), plain.Window.Events, len(plain.Findings))
	}
	if !slices.ContainsFunc(r.Verdict.Reasons, func(s string) bool { return containsAll(s, "followed user "+user, "ConsoleSignin from "+proxy) }) {
		t.Errorf("verdict reasons %q do not name the followed user's chain", r.Verdict.Reasons)
	}
	if len(plain.Followed) != 0 {
		t.Errorf("NoFollow still followed %+v", plain.Followed)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// TestFollowLabRoleAndSession: online, the STS session the leaked key
// minted is followed by its key (CTX-07 from outside), and a role the key
// created is followed through the AssumeRole events that name its ARN
// (LookupAttribute ResourceName) to the session someone minted with it.
func TestFollowLabRoleAndSession(t *testing.T) {
	env := startLab(t, "builtin:leak", lab.Options{})
	notes := env.info.Notes
	leaked, attacker := notes["leaked_key_id"], notes["attacker_ip"]
	leakAt, err := time.Parse(time.RFC3339, notes["leak_time"])
	if err != nil {
		t.Fatal(err)
	}
	const (
		session, roleSession = "STS.NUlabSession000001", "STS.NUlabSession000002"
		outside              = "198.51.100.7"
	)
	arn := "acs:ram::" + env.info.AccountID + ":role/crossfire-role"
	env.srv.Update(func(w *lab.World) {
		leakedCaller := lab.Caller{Type: "ram-user", PrincipalID: "2038472615093746", UserName: notes["leaked_user"], AccessKeyID: leaked}
		add := func(spec lab.EventSpec) { w.Events = append(w.Events, w.NewEvent(spec)) }
		add(lab.EventSpec{Time: leakAt.Add(40 * time.Minute), Version: "2015-04-01", Action: "AssumeRole", SourceIP: attacker, Caller: leakedCaller,
			Params:   map[string]string{"RoleArn": "acs:ram::" + env.info.AccountID + ":role/ops-admin", "RoleSessionName": "x"},
			Response: map[string]any{"Credentials": map[string]any{"AccessKeyId": session}}})
		add(lab.EventSpec{Time: leakAt.Add(45 * time.Minute), Version: "2014-05-26", Action: "DescribeInstances", SourceIP: outside,
			Caller: lab.Caller{Type: "assumed-role", UserName: "ops-admin:x", AccessKeyID: session}})
		add(lab.EventSpec{Time: leakAt.Add(41 * time.Minute), Version: "2015-05-01", Action: "CreateRole", SourceIP: attacker, Caller: leakedCaller,
			Params: map[string]string{"RoleName": "crossfire-role", "AssumeRolePolicyDocument": "{}"}})
		// Someone else (the backdoor user's key) assumes the new role.
		add(lab.EventSpec{Time: leakAt.Add(60 * time.Minute), Version: "2015-04-01", Action: "AssumeRole", SourceIP: outside,
			Caller:   lab.Caller{Type: "ram-user", UserName: notes["created_user"], AccessKeyID: notes["created_key_id"]},
			Params:   map[string]string{"RoleArn": arn, "RoleSessionName": "y"},
			Response: map[string]any{"Credentials": map[string]any{"AccessKeyId": roleSession}}})
		add(lab.EventSpec{Time: leakAt.Add(62 * time.Minute), Version: "2015-05-01", Action: "ListUsers", SourceIP: outside,
			Caller: lab.Caller{Type: "assumed-role", UserName: "crossfire-role:y", AccessKeyID: roleSession}})
	})
	admin := env.clients(t, "admin", cloud.Config{})
	r, err := audit.Investigate(context.Background(), admin, audit.InvestigateOptions{
		Engine: audit.Options{KeyID: leaked, Now: time.Now()}, Online: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	s := followedByName(r, audit.FollowSTSSession, session)
	if s == nil || s.RoleName != "ops-admin" || s.Events != 1 || !hasFinding(s, "CTX-07", audit.High) {
		t.Fatalf("session %+v; followed %v", s, followedNames(r))
	}
	if got, want := audit.ViaText(s.Via), "key → AssumeRole "+session+" → DescribeInstances from "+outside; got != want {
		t.Errorf("session chain %q, want %q", got, want)
	}
	if followedByName(r, audit.FollowRole, "crossfire-role") == nil {
		t.Fatalf("role not followed; followed %v", followedNames(r))
	}
	rs := followedByName(r, audit.FollowSTSSession, roleSession)
	if rs == nil || rs.Events != 1 || rs.Via[1].AccessKeyID != notes["created_key_id"] {
		t.Fatalf("the role's session %+v not followed through its AssumeRole; followed %v", rs, followedNames(r))
	}
	if got, want := audit.ViaText(rs.Via), "key → CreateRole crossfire-role → AssumeRole "+roleSession+" → ListUsers from "+outside; got != want {
		t.Errorf("role session chain %q, want %q", got, want)
	}
}

func followedNames(r *audit.Result) []string {
	var out []string
	for _, f := range r.Followed {
		out = append(out, f.Kind+" "+f.Name)
	}
	return out
}
