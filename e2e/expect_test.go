package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	ram "github.com/alibabacloud-go/ram-20150501/v2/client"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/lab"
)

// Expected outcomes of the builtin:leak incident, taken from the scenario
// (its notes: leaked key and user, attacker and office addresses, office
// CIDR) and from the SPEC and the commands' documentation, never from
// another run of the same binary:
//
//   - contain <leaked> --allow-ip <office_cidr>: the key's network ACL is
//     exactly the office CIDR, the deny-high-risk policy exists with one
//     version and is attached to the key's user once, nothing else in the
//     account changes; the attacker's next call is refused and the office's
//     passes.
//   - rotate to verified: the user holds the old key, Inactive, and one new
//     key, Active, carrying the old key's ACL; the secret file (mode 0600)
//     holds the new key; nothing else changes.

// denyPolicyName is the policy contain attaches (README, `akresp help
// contain`).
const denyPolicyName = "akresp-deny-high-risk"

// labState is the lab's canonical state (StateJSON) as a map, times blanked.
func labState(t *testing.T, l *inprocLab) map[string]any {
	t.Helper()
	var st map[string]any
	if err := json.Unmarshal(l.srv.StateJSON(), &st); err != nil {
		t.Fatal(err)
	}
	return blankTimes(st).(map[string]any)
}

// cloneState deep-copies a labState map.
func cloneState(t *testing.T, st map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func sub(t *testing.T, m map[string]any, path ...string) map[string]any {
	t.Helper()
	cur := m
	for _, p := range path {
		next, ok := cur[p].(map[string]any)
		if !ok {
			t.Fatalf("lab state has no %v (at %q)", path, p)
		}
		cur = next
	}
	return cur
}

// aclOf returns the key's network ACL as (status, sorted ClassicWhiteList
// entries), or ("", nil) when none is set.
func aclOf(t *testing.T, st map[string]any, keyID string) (string, []string) {
	t.Helper()
	k := sub(t, st, "access_keys", keyID)
	p, ok := k["policy"].(map[string]any)
	if !ok {
		return "", nil
	}
	status, _ := p["status"].(string)
	var ips []string
	stmts, _ := p["statements"].([]any)
	for _, s := range stmts {
		sm, _ := s.(map[string]any)
		if sm["type"] != "ClassicWhiteList" {
			t.Errorf("key %s has a %v statement; contain --allow-ip sets ClassicWhiteList only", keyID, sm["type"])
			continue
		}
		list, _ := sm["ip_list"].([]any)
		for _, ip := range list {
			ips = append(ips, ip.(string))
		}
	}
	slices.Sort(ips)
	return status, ips
}

// denyAttachments returns the attachments of the deny policy.
func denyAttachments(st map[string]any) []map[string]any {
	var out []map[string]any
	atts, _ := st["attachments"].([]any)
	for _, a := range atts {
		am, _ := a.(map[string]any)
		if am["policy_name"] == denyPolicyName {
			out = append(out, am)
		}
	}
	return out
}

// withoutContainment removes from st what containment of keyID adds: the
// key's ACL, the deny policy and its attachments.
func withoutContainment(t *testing.T, st map[string]any, keyID string) map[string]any {
	t.Helper()
	out := cloneState(t, st)
	delete(sub(t, out, "access_keys", keyID), "policy")
	if ps, ok := out["policies"].(map[string]any); ok {
		delete(ps, denyPolicyName)
	}
	atts, _ := out["attachments"].([]any)
	var keep []any
	for _, a := range atts {
		if am, _ := a.(map[string]any); am["policy_name"] != denyPolicyName {
			keep = append(keep, a)
		}
	}
	out["attachments"] = keep
	return out
}

// assertContained checks the lab against what containing the leaked key to
// the office CIDR must produce, relative to before (the same lab's state
// before the first contain run).
func assertContained(t *testing.T, l *inprocLab, before map[string]any) {
	t.Helper()
	key, user := l.note(t, "leaked_key_id"), l.note(t, "leaked_user")
	st := labState(t, l)
	if status, ips := aclOf(t, st, key); status != "Active" || !slices.Equal(ips, []string{l.note(t, "office_cidr")}) {
		t.Errorf("key %s ACL = %s %v, want Active [%s]", key, status, ips, l.note(t, "office_cidr"))
	}
	if k := sub(t, st, "access_keys", key); k["status"] != "Active" {
		t.Errorf("contain changed key %s's status to %v; containment keeps the key working for the office", key, k["status"])
	}
	pol, ok := sub(t, st, "policies")[denyPolicyName].(map[string]any)
	if !ok {
		t.Fatalf("policy %s does not exist after contain", denyPolicyName)
	}
	if vs, _ := pol["versions"].([]any); len(vs) != 1 {
		t.Errorf("policy %s has %d versions, want exactly 1 (no side effect applied twice)", denyPolicyName, len(vs))
	}
	atts := denyAttachments(st)
	if len(atts) != 1 || atts[0]["principal_type"] != "User" || atts[0]["principal_name"] != user || atts[0]["policy_type"] != "Custom" {
		t.Errorf("attachments of %s = %v, want exactly one, to user %s", denyPolicyName, atts, user)
	}
	if d := cmp.Diff(withoutContainment(t, before, key), withoutContainment(t, st, key)); d != "" {
		t.Errorf("contain changed more than the key's ACL and the deny policy (-before +after):\n%s", d)
	}
	if err := callGetUser(t, l, user, l.note(t, "attacker_ip")); err == nil {
		t.Errorf("the attacker's call from %s with %s still succeeds after containment", l.note(t, "attacker_ip"), key)
	}
	if err := callGetUser(t, l, user, l.note(t, "office_ip")); err != nil {
		t.Errorf("the office's call from %s with %s fails after containment: %v", l.note(t, "office_ip"), key, err)
	}
}

// assertRotated checks a rotation that reached "verified": the user holds
// the old key, Inactive, and exactly one new key, the one in the secret
// file, Active and carrying the ACL the old key had (wantACL, nil for
// none); nothing else changed relative to before apart from what
// containment (if any) added. At most maxDeleted other keys of the user are
// in the recycle bin: a key whose secret was lost when a run was killed
// between CreateAccessKey and the hand-over is deleted, never kept.
func assertRotated(t *testing.T, l *inprocLab, before map[string]any, secretFile string, wantACL []string, maxDeleted int) {
	t.Helper()
	key, user := l.note(t, "leaked_key_id"), l.note(t, "leaked_user")
	nk := readNewKey(t, secretFile)
	if fi, err := os.Stat(secretFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("secret file %s: %v, mode %v; want 0600", secretFile, err, fi.Mode().Perm())
	}
	st := labState(t, l)
	keys := sub(t, st, "access_keys")
	var mine []string
	for id, v := range keys {
		if v.(map[string]any)["owner"] == user {
			mine = append(mine, id)
		}
	}
	slices.Sort(mine)
	want := []string{key, nk.AccessKeyID}
	slices.Sort(want)
	if !slices.Equal(mine, want) {
		t.Fatalf("user %s holds keys %v, want the old %s and the handed-over %s", user, mine, key, nk.AccessKeyID)
	}
	if s := sub(t, keys, key)["status"]; s != "Inactive" {
		t.Errorf("old key %s is %v after a verified rotation, want Inactive", key, s)
	}
	if s := sub(t, keys, nk.AccessKeyID)["status"]; s != "Active" {
		t.Errorf("new key %s is %v, want Active", nk.AccessKeyID, s)
	}
	if wantACL != nil {
		if status, ips := aclOf(t, st, nk.AccessKeyID); status != "Active" || !slices.Equal(ips, wantACL) {
			t.Errorf("new key %s ACL = %s %v, want the old key's Active %v", nk.AccessKeyID, status, ips, wantACL)
		}
	}
	rb, _ := st["recycle_bin"].(map[string]any)
	for id, v := range rb {
		k, _ := v.(map[string]any)["key"].(map[string]any)
		if id == key || id == nk.AccessKeyID || k["owner"] != user {
			t.Errorf("the rotation deleted key %s (%v); it may delete only a new key of %s whose secret was lost", id, k, user)
		}
	}
	if len(rb) > maxDeleted {
		t.Errorf("the rotation deleted %d keys, want at most %d", len(rb), maxDeleted)
	}
	// Nothing else changed: drop the new key, the old key's status and the
	// containment, and compare with before.
	after := cloneState(t, st)
	delete(sub(t, after, "access_keys"), nk.AccessKeyID)
	sub(t, after, "access_keys", key)["status"] = "Active"
	b := cloneState(t, before)
	delete(after, "recycle_bin")
	delete(b, "recycle_bin")
	if d := cmp.Diff(withoutContainment(t, b, key), withoutContainment(t, after, key)); d != "" {
		t.Errorf("the rotation changed more than the keys of %s (-before +after):\n%s", user, d)
	}
}

// callGetUser makes one GetUser call as the leaked key's owner from ip,
// without retrying, and returns its error.
func callGetUser(t *testing.T, l *inprocLab, user, ip string) error {
	t.Helper()
	c, ok := l.info.Credentials[user]
	if !ok {
		t.Fatalf("scenario has no credentials for %q", user)
	}
	cfg := &openapi.Config{
		AccessKeyId:     tea.String(c.AccessKeyID),
		AccessKeySecret: tea.String(c.AccessKeySecret),
		Endpoint:        tea.String(l.srv.Addr()),
		Protocol:        tea.String("http"),
		RegionId:        tea.String("cn-hangzhou"),
		ReadTimeout:     tea.Int(10000),
		ConnectTimeout:  tea.Int(5000),
		HttpClient:      newSourceClient(ip),
	}
	rc, err := ram.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The lab's fault knobs answer some calls with 503 or throttling:
	// those are retried; any other answer is the verdict.
	for i := 0; ; i++ {
		_, err = rc.GetUser(&ram.GetUserRequest{UserName: tea.String(user)})
		if err == nil || i == 30 || !transient(err) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// transient reports whether err is a fault the lab injects (a 5xx, a
// throttling code, a dropped connection) rather than an answer.
func transient(err error) bool {
	var se *tea.SDKError
	if errors.As(err, &se) {
		code := tea.StringValue(se.Code)
		return tea.IntValue(se.StatusCode) >= 500 || strings.HasPrefix(code, "Throttling")
	}
	return true // no API answer at all: connection reset, EOF
}

// leakAudit is the part of `audit <leaked> -o json` the expectations read.
type leakAudit struct {
	Window struct {
		Since   time.Time `json:"since"`
		Until   time.Time `json:"until"`
		Events  int       `json:"events"`
		Regions struct {
			Failed []struct {
				Region string `json:"region"`
				Error  string `json:"error"`
			} `json:"failed"`
		} `json:"regions"`
	} `json:"window"`
	Sources []struct {
		IP      string `json:"ip"`
		Count   int    `json:"count"`
		Flagged bool   `json:"flagged"`
	} `json:"source_ips"`
	Findings []struct {
		ID       string `json:"id"`
		Severity string `json:"severity"`
		Title    string `json:"title"`
	} `json:"findings"`
	Verdict struct {
		Status string `json:"status"`
	} `json:"verdict"`
	Created []struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"created_identities"`
}

// assertLeakAudit checks the audit of the leaked key against the scenario:
// the verdict is a suspected leak; the sources and their counts are the
// scenario's events of the key in the window (read from the lab's history
// before any akresp call used the key), less those of regions the audit
// declares it could not read (window.regions.failed, each with its error):
// an event is counted or its region is declared unread, never silently
// dropped; only the attacker is flagged; the
// attacker's persistence (the created user and key), its cost abuse and
// the deleted production instance are findings.
func assertLeakAudit(t *testing.T, l *inprocLab, history []lab.Event, out string) {
	t.Helper()
	var a leakAudit
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("audit -o json printed no JSON: %v\n%s", err, out)
	}
	key, attacker := l.note(t, "leaked_key_id"), l.note(t, "attacker_ip")
	if a.Verdict.Status != "suspected_leak" {
		t.Errorf("verdict %q, want suspected_leak", a.Verdict.Status)
	}
	unread := map[string]bool{}
	for _, f := range a.Window.Regions.Failed {
		if f.Region == "" || f.Error == "" {
			t.Errorf("audit declares a failed region without naming it and its error: %+v", f)
		}
		unread[f.Region] = true
	}
	want := map[string]int{}
	total := 0
	for _, e := range history {
		if e.UserIdentity.AccessKeyID != key || e.Time.Before(a.Window.Since) || e.Time.After(a.Window.Until) || unread[e.AcsRegion] {
			continue
		}
		want[e.SourceIPAddress]++
		total++
	}
	if total == 0 || want[attacker] == 0 {
		t.Fatalf("test bug: the scenario has %d events of %s in the window, %d from the attacker", total, key, want[attacker])
	}
	got := map[string]int{}
	for _, s := range a.Sources {
		got[s.IP] = s.Count
		if s.Flagged != (s.IP == attacker) {
			t.Errorf("source %s flagged = %v; the scenario's only attacker is %s", s.IP, s.Flagged, attacker)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("audit source counts differ from the scenario's events (-scenario +audit):\n%s", d)
	}
	if a.Window.Events != total {
		t.Errorf("audit counted %d events, the scenario has %d in the window", a.Window.Events, total)
	}
	created := map[string]bool{}
	for _, c := range a.Created {
		created[c.Kind+" "+c.Name] = true
	}
	for _, w := range []string{"user " + l.note(t, "created_user"), "access_key " + l.note(t, "created_key_id")} {
		if !created[w] {
			t.Errorf("created identities %v lack %s", a.Created, w)
		}
	}
	has := func(prefix, inTitle string) bool {
		for _, f := range a.Findings {
			if strings.HasPrefix(f.ID, prefix) && strings.Contains(f.Title, inTitle) && (f.Severity == "high" || f.Severity == "critical") {
				return true
			}
		}
		return false
	}
	for _, w := range []struct{ prefix, title, what string }{
		{"PERS-", l.note(t, "created_user"), "persistence: the created user"},
		{"PERS-", l.note(t, "created_key_id"), "persistence: the created key"},
		{"DEST-", l.note(t, "deleted_instance_id"), "the deleted production instance"},
		{"COST-", "", "cost abuse"},
		{"ENUM-", "", "enumeration"},
	} {
		if !has(w.prefix, w.title) {
			t.Errorf("no high or critical %s* finding for %s (%q); findings: %+v", w.prefix, w.what, w.title, a.Findings)
		}
	}
}

// assertLeakSweep checks `audit --idle -o json` against the scenario's
// keys and the documented classes: the never-used, idle, unrotated and
// root keys the notes name are classified so.
func assertLeakSweep(t *testing.T, l *inprocLab, out string) {
	t.Helper()
	var s struct {
		Keys []struct {
			IdentityType string   `json:"identity_type"`
			User         *string  `json:"user_name"`
			ID           string   `json:"access_key_id"`
			Classes      []string `json:"classes"`
		} `json:"keys"`
		Summary struct {
			Keys      int `json:"keys"`
			NeverUsed int `json:"never_used"`
			Idle      int `json:"idle"`
			RootKeys  int `json:"root_keys"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("audit --idle -o json printed no JSON: %v\n%s", err, out)
	}
	// The root account's key is identity_type root-account with no
	// user_name (docs/json.md); every other key is a named RAM user's.
	classes := map[string][]string{}
	roots := 0
	for _, k := range s.Keys {
		classes[k.ID] = k.Classes
		switch {
		case k.IdentityType == "root-account" && k.User == nil:
			roots++
			classes[l.note(t, "root_key_id")] = k.Classes
		case k.IdentityType != "ram-user" || k.User == nil || *k.User == "":
			t.Errorf("sweep key %s: identity_type %q, user_name %v", k.ID, k.IdentityType, k.User)
		}
	}
	if roots != 1 || strings.Contains(out, "<root") {
		t.Errorf("sweep: %d root-account keys, want 1 and no \"<root>\" display name:\n%s", roots, out)
	}
	for note, class := range map[string]string{
		"unused_key_id": "never_used", "idle_key_id": "idle", "unrotated_key_id": "unrotated", "root_key_id": "root_key",
	} {
		id := l.note(t, note)
		if !slices.Contains(classes[id], class) {
			t.Errorf("sweep classes of %s (%s) = %v, want %s", id, note, classes[id], class)
		}
	}
	if got := classes[l.note(t, "created_key_id")]; slices.Contains(got, "idle") || slices.Contains(got, "never_used") {
		t.Errorf("the attacker's fresh key %s is classed %v", l.note(t, "created_key_id"), got)
	}
	sc, err := lab.LoadScenario("builtin:leak")
	if err != nil {
		t.Fatal(err)
	}
	w, _, err := sc.Build(labNow)
	if err != nil {
		t.Fatal(err)
	}
	if s.Summary.Keys != len(w.AccessKeys) || s.Summary.NeverUsed != 1 || s.Summary.Idle != 1 || s.Summary.RootKeys != 1 {
		t.Errorf("sweep summary %+v, want %d keys, 1 never used, 1 idle, 1 root key (the scenario's)", s.Summary, len(w.AccessKeys))
	}
}
