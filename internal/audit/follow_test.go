package audit

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/incident"
)

// trailRecord is e as an ActionTrail event (the trail files' schema).
func trailRecord(e *Event) map[string]any {
	typ := e.Type
	if typ == "" {
		typ = "ApiCall"
	}
	m := map[string]any{
		"eventId": e.ID, "requestId": e.RequestID, "eventName": e.Name, "eventType": typ, "eventRW": e.RW,
		"eventTime": e.Time.UTC().Format(time.RFC3339), "serviceName": e.Service, "acsRegion": e.Region,
		"sourceIpAddress": e.SourceIP, "userAgent": e.UserAgent,
		"userIdentity": map[string]any{"type": e.UserType, "accessKeyId": e.AccessKeyID, "userName": e.UserName,
			"principalId": e.PrincipalID, "accountId": e.AccountID},
	}
	if len(e.Params) > 0 {
		m["requestParameters"] = e.Params
	}
	if e.Response != nil {
		m["responseElements"] = e.Response
	}
	if e.ErrorCode != "" {
		m["errorCode"] = e.ErrorCode
	}
	if e.VpcID != "" {
		m["vpcId"] = e.VpcID
	}
	return m
}

// writeTrail writes evs as a JSON-lines trail file.
func writeTrail(t *testing.T, path string, evs []*Event) {
	t.Helper()
	var b strings.Builder
	for _, e := range evs {
		line, err := json.Marshal(trailRecord(e))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeTrailArray writes evs as a JSON-array trail file (an OSS delivery's
// shape).
func writeTrailArray(t *testing.T, path string, evs []*Event) {
	t.Helper()
	recs := make([]map[string]any, 0, len(evs))
	for _, e := range evs {
		recs = append(recs, trailRecord(e))
	}
	b, err := json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

const (
	backdoorKey = "LTAI5tBackdoorKey0000001" // attackEvents' CreateAccessKey
	proxyIP     = "203.0.113.200"
	stsProxy    = "198.51.100.7"
	stsSession  = "STS.NUattackerSession01"
)

// followIncident is leakScenario plus what the attacker's identities did
// next, the office's own new user and another key's traffic:
//
//   - svc-backup (created with a login profile) signs in from proxyIP;
//   - its key (backdoorKey) lists instances from proxyIP and creates the
//     user "crossfire", who signs in too (a second generation);
//   - the leaked key assumes a role (stsSession), used from stsProxy;
//   - the office (not flagged) created "ops-intern" and its key, which
//     the intern uses: not an attacker chain, not followed.
func followIncident() []*Event {
	evs := leakScenario()
	at := leakStart.Add(20 * time.Minute)
	signin := func(t time.Time, user, ip string) *Event {
		return tev(t, ip, "AasSub", "ConsoleSignin", withKey(""), withUser(user), withUA("Mozilla/5.0"), func(e *Event) { e.Type = "ConsoleSignin" })
	}
	backdoor := func(t time.Time, name string, opts ...evOpt) *Event {
		return tev(t, proxyIP, "Ecs", name, append([]evOpt{withKey(backdoorKey), withUser("svc-backup"), withUA(attackerUA)}, opts...)...)
	}
	evs = append(evs,
		signin(at, "svc-backup", proxyIP),
		backdoor(at.Add(time.Minute), "DescribeInstances"),
		backdoor(at.Add(2*time.Minute), "DescribeInstances", withRegion("us-west-1")),
		func() *Event {
			e := backdoor(at.Add(3*time.Minute), "CreateUser", withParams("UserName", "crossfire"))
			e.Service = "Ram"
			return e
		}(),
		func() *Event {
			e := backdoor(at.Add(3*time.Minute+10*time.Second), "CreateLoginProfile", withParams("UserName", "crossfire"))
			e.Service = "Ram"
			return e
		}(),
		signin(at.Add(30*time.Minute), "crossfire", proxyIP),
		intruder(leakStart.Add(9*time.Minute), "Sts", "AssumeRole", withParams("RoleArn", "acs:ram::"+testAccount+":role/admin-role", "RoleSessionName", "x"),
			withResp(map[string]any{"Credentials": map[string]any{"AccessKeyId": stsSession, "Expiration": "2025-03-11T12:00:00Z"}})),
		tev(leakStart.Add(12*time.Minute), stsProxy, "Ecs", "DescribeInstances", withKey(stsSession), withUser("admin-role:x"), withUserType("assumed-role"), withUA(attackerUA)),
		// Another key entirely.
		tev(leakStart.Add(15*time.Minute), "127.0.0.77", "Ecs", "DescribeInstances", withKey("LTAI5tSomeOtherKey000001"), withUser("ci")),
	)
	// The office creates an intern's user and key during working hours,
	// and the intern uses them.
	day := time.Date(2025, 3, 10, 2, 30, 0, 0, time.UTC) // Monday 10:30 Shanghai, the day before
	evs = append(evs,
		office(day, "Ram", "CreateUser", withParams("UserName", "ops-intern")),
		office(day.Add(time.Minute), "Ram", "CreateAccessKey", withParams("UserName", "ops-intern"),
			withResp(map[string]any{"AccessKey": map[string]any{"AccessKeyId": "LTAI5tInternKey000000001"}})),
		tev(day.Add(time.Hour), officeB, "Ecs", "DescribeInstances", withKey("LTAI5tInternKey000000001"), withUser("ops-intern")),
		signin(day.Add(2*time.Hour), "ops-intern", officeB),
	)
	return evs
}

func offlineFollowAudit(t *testing.T, evs []*Event, noFollow bool) *Result {
	t.Helper()
	dir := t.TempDir()
	half := len(evs) / 2
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.json")
	writeTrail(t, a, evs[:half])
	writeTrailArray(t, b, evs[half:]) // both shapes: lines, and an array read in place
	r, err := Investigate(context.Background(), nil, InvestigateOptions{
		Engine: Options{KeyID: testKey, Now: testNow, TZ: shanghai}, Trails: []string{a, b}, ReadWorkers: 1, NoFollow: noFollow,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func followedOf(r *Result, kind, name string) *FollowedIdentity {
	for i := range r.Followed {
		if r.Followed[i].Kind == kind && r.Followed[i].Name == name {
			return &r.Followed[i]
		}
	}
	return nil
}

// TestFollowOffline: from trail files alone, the audit follows the users,
// keys and STS sessions the attacker made, to the second generation, with
// their chains, events and findings; the office's own new user is not
// followed; the key's own result is unchanged.
func TestFollowOffline(t *testing.T) {
	evs := followIncident()
	r, plain := offlineFollowAudit(t, evs, false), offlineFollowAudit(t, evs, true)

	var got []string
	for _, f := range r.Followed {
		got = append(got, f.Kind+" "+f.Name+": "+ViaText(f.Via))
	}
	want := []string{
		"user svc-backup: key → CreateUser svc-backup → CreateLoginProfile → ConsoleSignin from " + proxyIP,
		"access_key " + backdoorKey + ": key → CreateUser svc-backup → CreateAccessKey " + backdoorKey + " → DescribeInstances from " + proxyIP,
		"sts_session " + stsSession + ": key → AssumeRole " + stsSession + " → DescribeInstances from " + stsProxy,
		"user crossfire: key → CreateUser svc-backup → CreateAccessKey " + backdoorKey + " → CreateUser crossfire → CreateLoginProfile → ConsoleSignin from " + proxyIP,
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("followed:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if followedOf(r, FollowUser, "ops-intern") != nil || followedOf(r, FollowAccessKey, "LTAI5tInternKey000000001") != nil {
		t.Errorf("the office's own new user or key is followed as an attacker chain: %+v", r.Followed)
	}

	k := followedOf(r, FollowAccessKey, backdoorKey)
	if k == nil || k.Events != 4 || k.UserName != "svc-backup" || !slices.Equal(k.Services, []string{"Ecs", "Ram"}) ||
		len(k.Sources) != 1 || k.Sources[0].IP != proxyIP || k.FirstSeen.IsZero() || k.LastSeen.Before(k.FirstSeen) {
		t.Fatalf("followed key %+v: want its 4 calls from %s", k, proxyIP)
	}
	if !slices.ContainsFunc(k.Findings, func(f Finding) bool { return f.ID == "PERS-05" && f.Severity == Critical }) ||
		!slices.ContainsFunc(k.Findings, func(f Finding) bool { return f.ID == "PERS-01" }) {
		t.Errorf("followed key findings %v: want PERS-05 (in use) and PERS-01 (it created crossfire)", findingsOf(k))
	}
	// The key's disable step says what the follow found: in use, not
	// "before it is used" (which stays without following).
	stepWhy := func(r *Result, cmd string) string {
		for _, s := range r.Verdict.NextSteps {
			if s.Command == cmd {
				return s.Why
			}
		}
		return ""
	}
	wantWhy := "the leaked key created this AccessKey for svc-backup (CreateAccessKey): it is already in use (4 events from " + proxyIP + ", the last at " + k.LastSeen.UTC().Format(time.RFC3339) + "): disable it now"
	if got := stepWhy(r, "akresp disable "+backdoorKey); got != wantWhy {
		t.Errorf("disable step of the key in use: %q\nwant %q", got, wantWhy)
	}
	if got := stepWhy(plain, "akresp disable "+backdoorKey); !strings.HasSuffix(got, beforeUsed) {
		t.Errorf("disable step without following: %q, want it to end %q", got, beforeUsed)
	}
	// The office's own new key (made from a baseline source the follow
	// does not count as the attacker's) is not "disable it before it is
	// used": the step says where it came from and to ask its owner.
	for _, res := range []*Result{r, plain} {
		if got := stepWhy(res, "akresp disable LTAI5tInternKey000000001"); !strings.Contains(got, "(CreateAccessKey) from "+officeA+", a source that used the key before the suspicious activity: ask the key's owner before disabling it") {
			t.Errorf("disable step of the office's new key: %q", got)
		}
	}
	// The attacker's key comes first though the office's was created the
	// day before, and the eradicate step counts only what eradicate
	// removes: the attacker's user, not the office's ops-intern.
	for _, res := range []*Result{r, plain} {
		i := slices.IndexFunc(res.Verdict.NextSteps, func(s NextStep) bool { return s.Command == "akresp disable "+backdoorKey })
		j := slices.IndexFunc(res.Verdict.NextSteps, func(s NextStep) bool { return s.Command == "akresp disable LTAI5tInternKey000000001" })
		if i < 0 || j < 0 || i > j {
			t.Errorf("disable steps: the back door at %d, the office's key at %d: want the back door first", i, j)
		}
		if got := stepWhy(res, "akresp eradicate "+testKey); !strings.Contains(got, "created RAM user svc-backup") {
			t.Errorf("eradicate step %q: want the attacker's one user", got)
		}
	}
	// The created identities say which came from the attacker (the
	// follow's judgement): the evidence journals those keys.
	for _, c := range r.Created {
		if want := c.Event.SourceIP != officeA && c.Event.SourceIP != officeB; c.Attacker != want {
			t.Errorf("created %s %s from %s: attacker %v, want %v", c.Kind, c.Name, c.Event.SourceIP, c.Attacker, want)
		}
	}
	if got := r.AttackerKeys(); !slices.Contains(got, backdoorKey) || slices.Contains(got, "LTAI5tInternKey000000001") {
		t.Errorf("attacker keys %v: want %s, not the office's intern key", got, backdoorKey)
	}
	if got := r.IncidentEvidence().CreatedKeys; !slices.Equal(got, r.AttackerKeys()) {
		t.Errorf("journaled created keys %v, want %v", got, r.AttackerKeys())
	}
	if s := k.Via[1]; s.AccessKeyID != testKey || s.Event != "CreateAccessKey" || s.SourceIP != attacker || s.EventID == "" {
		t.Errorf("key chain step %+v: want the leaked key's CreateAccessKey from %s", s, attacker)
	}
	c := followedOf(r, FollowUser, "crossfire")
	if c == nil || c.Via[2].AccessKeyID != backdoorKey || c.Via[2].SourceIP != proxyIP || c.Events != 1 {
		t.Errorf("second generation %+v: want crossfire made by %s from %s, one sign-in", c, backdoorKey, proxyIP)
	}
	s := followedOf(r, FollowSTSSession, stsSession)
	if s == nil || s.RoleName != "admin-role" || !slices.ContainsFunc(s.Findings, func(f Finding) bool {
		return f.ID == "CTX-07" && f.Severity >= High && slices.Equal(f.IPs, []string{stsProxy})
	}) {
		t.Errorf("STS session %+v: want CTX-07 from %s", s, stsProxy)
	}

	// The key's own audit is the same with or without following.
	if r.Window.Events != plain.Window.Events || len(r.Findings) != len(plain.Findings) || len(r.Created) != len(plain.Created) ||
		r.Verdict.Status != plain.Verdict.Status || r.Verdict.Severity != plain.Verdict.Severity {
		t.Errorf("following changed the key's audit: events %d/%d, findings %d/%d, created %d/%d, verdict %s %s / %s %s",
			r.Window.Events, plain.Window.Events, len(r.Findings), len(plain.Findings), len(r.Created), len(plain.Created),
			r.Verdict.Status, r.Verdict.Severity, plain.Verdict.Status, plain.Verdict.Severity)
	}
	if len(plain.Followed) != 0 {
		t.Errorf("NoFollow followed %+v", plain.Followed)
	}
}

func findingsOf(f *FollowedIdentity) []string {
	var out []string
	for _, x := range f.Findings {
		out = append(out, x.ID+"/"+x.Severity.String())
	}
	return out
}

// TestFollowOfficeOnly: a key whose only creations come from its known
// sources follows nothing and reads the trail files once.
func TestFollowOfficeOnly(t *testing.T) {
	var evs []*Event
	for _, e := range followIncident() {
		if e.SourceIP != attacker && e.SourceIP != proxyIP && e.SourceIP != stsProxy {
			evs = append(evs, e)
		}
	}
	var passes []string
	dir := t.TempDir()
	path := filepath.Join(dir, "trail.jsonl")
	writeTrail(t, path, evs)
	r, err := Investigate(context.Background(), nil, InvestigateOptions{
		Engine: Options{KeyID: testKey, Now: testNow, TZ: shanghai}, Trails: []string{path},
		Progress: func(m string) { passes = append(passes, m) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Created) == 0 {
		t.Fatalf("test bug: the office created nothing")
	}
	if len(r.Followed) != 0 || r.Followed == nil {
		t.Errorf("followed %+v, want an empty list", r.Followed)
	}
	for _, p := range passes {
		if strings.Contains(p, "following") {
			t.Errorf("a follow pass ran with nothing to follow: %q", p)
		}
	}
}

// TestFollowVerdict: the followed identities' findings weigh on the
// verdict: a key whose own findings stop at medium (a new source that
// assumed a role) is critical once the session it minted is used from
// outside, and the verdict names the chain.
func TestFollowVerdict(t *testing.T) {
	evSeq = 0
	evs := officeWeek(leakStart.Add(-2 * time.Hour))
	evs = append(evs,
		intruder(leakStart, "Sts", "AssumeRole", withParams("RoleArn", "acs:ram::"+testAccount+":role/deployer", "RoleSessionName", "s1"),
			withResp(map[string]any{"Credentials": map[string]any{"AccessKeyId": stsSession}})),
		tev(leakStart.Add(10*time.Minute), stsProxy, "Ram", "CreateUser", withKey(stsSession), withUser("deployer:s1"), withUserType("assumed-role"),
			withParams("UserName", "crossfire")),
	)
	r, plain := offlineFollowAudit(t, evs, false), offlineFollowAudit(t, evs, true)
	if plain.Verdict.Severity >= Critical {
		t.Fatalf("test bug: the key's own verdict is already %s %s (%v)", plain.Verdict.Status, plain.Verdict.Severity, ids(plain))
	}
	s := followedOf(r, FollowSTSSession, stsSession)
	if s == nil || ViaText(s.Via) != "key → AssumeRole "+stsSession+" → CreateUser from "+stsProxy {
		t.Fatalf("followed %+v: want the session via AssumeRole", r.Followed)
	}
	if r.Verdict.Status != StatusSuspectedLeak || r.Verdict.Severity != Critical {
		t.Errorf("verdict %s %s (without following %s %s): the session's critical findings count",
			r.Verdict.Status, r.Verdict.Severity, plain.Verdict.Status, plain.Verdict.Severity)
	}
	if !slices.ContainsFunc(r.Verdict.Reasons, func(s string) bool { return strings.Contains(s, "followed sts_session "+stsSession) }) {
		t.Errorf("reasons %q do not name the session", r.Verdict.Reasons)
	}
}

// TestFollowCap: at most MaxFollowed identities are followed; the rest
// are counted and named in a diagnostic.
func TestFollowCap(t *testing.T) {
	evs := leakScenario()
	for i := range MaxFollowed + 5 {
		evs = append(evs, intruder(leakStart.Add(time.Duration(10+i)*time.Second), "Ram", "CreateUser", withParams("UserName", "bulk-"+strings.Repeat("x", i%3)+string(rune('a'+i%26))+string(rune('a'+i/26)))))
	}
	r := offlineFollowAudit(t, evs, false)
	if len(r.Followed) != MaxFollowed || r.FollowedOmitted == 0 {
		t.Errorf("followed %d, omitted %d; want %d and the rest counted", len(r.Followed), r.FollowedOmitted, MaxFollowed)
	}
	if !slices.ContainsFunc(r.Diagnostics, func(d Diagnostic) bool {
		return d.Source == "follow" && strings.Contains(d.Summary, "were not followed")
	}) {
		t.Errorf("no diagnostic names the cap: %+v", r.Diagnostics)
	}
}

// TestKeyCreatedByTheAttacker: a backdoor key is used from the attacker's
// address from its first call, so its own history makes that address its
// baseline ("in use", trust it). With the incident record that ties it to
// the key whose attacker created it, the address is untrusted: a
// suspected leak, never suggested as trusted, the creating key's
// eradicate first among the next steps.
func TestKeyCreatedByTheAttacker(t *testing.T) {
	const backdoor = "LTAI5tBackdoorKey0000001"
	evSeq = 0
	var evs []*Event
	for d := range 6 {
		at := testNow.Add(-time.Duration(6-d) * 24 * time.Hour)
		evs = append(evs,
			tev(at, proxyIP, "Ecs", "DescribeInstances", withKey(backdoor), withUser("svc-backup"), withRegion("cn-hangzhou")),
			tev(at.Add(time.Minute), proxyIP, "Ram", "ListUsers", withKey(backdoor), withUser("svc-backup")))
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "trail.jsonl")
	writeTrail(t, path, evs)
	audit := func(rec *incident.Record) *Result {
		t.Helper()
		r, err := Investigate(context.Background(), nil, InvestigateOptions{
			Engine: Options{KeyID: backdoor, Now: testNow, TZ: shanghai}, Trails: []string{path}, Incident: rec,
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	plain := audit(nil)
	if plain.Verdict.Status == StatusSuspectedLeak || !slices.Contains(plain.Verdict.SuggestedTrustedCIDRs, proxyIP+"/32") {
		t.Fatalf("test bug: without the record the audit should trust %s: %s %v", proxyIP, plain.Verdict.Status, plain.Verdict.SuggestedTrustedCIDRs)
	}
	rec := &incident.Record{KeyID: backdoor, CreatedBy: testKey, Inherited: []netip.Addr{netip.MustParseAddr(proxyIP)},
		Flagged: []netip.Addr{netip.MustParseAddr(proxyIP)}, OwnRequestIDs: map[string]bool{}}
	r := audit(rec)
	if r.Verdict.Status != StatusSuspectedLeak || len(r.Verdict.SuggestedTrustedCIDRs) != 0 {
		t.Errorf("verdict %s, suggested %v: want a suspected leak trusting nothing", r.Verdict.Status, r.Verdict.SuggestedTrustedCIDRs)
	}
	if len(r.Verdict.NextSteps) < 2 || r.Verdict.NextSteps[0].Command != "akresp eradicate "+testKey || r.Verdict.NextSteps[1].Command != "akresp disable "+backdoor {
		t.Errorf("next steps %+v: want akresp eradicate %s, then akresp disable %s", r.Verdict.NextSteps, testKey, backdoor)
	}
	if !slices.ContainsFunc(r.Verdict.Reasons, func(s string) bool {
		return strings.Contains(s, "the incident of "+testKey+" flags as the attacker ("+proxyIP+")")
	}) {
		t.Errorf("reasons %q do not say whose attacker it is", r.Verdict.Reasons)
	}
	if !slices.ContainsFunc(r.Sources, func(s IPSummary) bool { return s.IP == proxyIP && s.Flagged }) {
		t.Errorf("sources %+v: %s not flagged", r.Sources, proxyIP)
	}
	// A trust the key's own record journaled for the address (an earlier
	// audit of the key alone suggested it) does not outweigh the
	// creating key's incident.
	rec.Trusted = []netip.Prefix{netip.MustParsePrefix(proxyIP + "/32")}
	if r := audit(rec); r.Verdict.Status != StatusSuspectedLeak || len(r.Verdict.SuggestedTrustedCIDRs) != 0 {
		t.Errorf("with %s journaled as trusted: verdict %s, suggested %v", proxyIP, r.Verdict.Status, r.Verdict.SuggestedTrustedCIDRs)
	}
}
