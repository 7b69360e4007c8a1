package audit

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/journal"
)

// TestSweepDeleteWhenDisabledByTheIncident: a key the leaked key created
// and akresp disabled (journaled with the leaked key) is deleted from the
// end of the observation period after that disable, as disable --delete
// would take it without --force.
func TestSweepDeleteWhenDisabledByTheIncident(t *testing.T) {
	dir := t.TempDir()
	const created = "LTAI5tSVCBACKUP7Hq200000"
	at := testNow.Add(-time.Hour)
	j, err := journal.Open(dir, "LTAI5tAPPPRODLEAKED00001", "contain", func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(journal.Record{Time: at, Kind: journal.KindOutcome, Result: journal.ResultOK, Action: "set-key-status", Target: created,
		After: []byte(`{"key_id":"` + created + `","user":"svc-backup","status":"Inactive"}`)}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	k := KeyStatus{AccessKeyID: created, Status: "Inactive", Created: testNow.Add(-48 * time.Hour), LastUsed: testNow.Add(-30 * time.Hour)}
	classify(&k, false, 0, SweepOptions{Now: testNow, IdleDays: 90, MaxAgeDays: 90, StateDir: dir, disabled: incident.DisabledTimes(dir)})
	if want := "akresp disable " + created + " --delete (from " + at.Add(7*24*time.Hour).UTC().Format(time.RFC3339) + ", the end of the 168h0m0s observation period after akresp disabled it;"; !strings.HasPrefix(k.Recommendation, want) {
		t.Errorf("recommendation %q, want it to start %q", k.Recommendation, want)
	}
}

// A key an incident's evidence lists among those its attacker created
// (created_keys): active, it is critical and only to be disabled (never
// rotated, whatever its age); disabled, the incident's eradicate comes
// first. The creators are read once per sweep (incident.Creators).
func TestSweepAttackerKey(t *testing.T) {
	dir := t.TempDir()
	const leaked, created = "LTAI5tAPPPRODLEAKED00001", "LTAI5tSVCBACKUP7Hq200000"
	if err := incident.AppendEvidence(dir, leaked, "audit", incident.Evidence{Verdict: StatusSuspectedLeak, CreatedKeys: []string{created}},
		func() time.Time { return testNow }); err != nil {
		t.Fatal(err)
	}
	o := SweepOptions{Now: testNow, IdleDays: 90, MaxAgeDays: 90, StateDir: dir, creators: incident.Creators(dir), disabled: incident.DisabledTimes(dir)}
	k := KeyStatus{AccessKeyID: created, Status: "Active", Created: testNow.Add(-200 * 24 * time.Hour), LastUsed: testNow.Add(-time.Hour)}
	classify(&k, false, 1, o)
	if !slices.Contains(k.Classes, ClassAttackerKey) || k.Severity != Critical ||
		k.Recommendation != "akresp disable "+created+" (the attacker of the incident of "+leaked+" created it; then akresp eradicate "+leaked+")" {
		t.Errorf("active: classes %v severity %s rec %q", k.Classes, k.Severity, k.Recommendation)
	}
	k = KeyStatus{AccessKeyID: created, Status: "Inactive", Created: testNow.Add(-48 * time.Hour), LastUsed: testNow.Add(-30 * time.Hour)}
	classify(&k, false, 0, o)
	if !slices.Contains(k.Classes, ClassAttackerKey) || !strings.HasPrefix(k.Recommendation, "akresp eradicate "+leaked+" (the attacker of its incident created this key") ||
		!strings.Contains(k.Recommendation, "akresp disable "+created+" --delete") {
		t.Errorf("disabled: classes %v rec %q", k.Classes, k.Recommendation)
	}
	// The leaked key itself, and a key no evidence lists, are not.
	for _, id := range []string{leaked, "LTAI5tREPORTING000000000"} {
		k := KeyStatus{AccessKeyID: id, Status: "Active", Created: testNow.Add(-10 * 24 * time.Hour), LastUsed: testNow.Add(-time.Hour)}
		if classify(&k, false, 1, o); slices.Contains(k.Classes, ClassAttackerKey) {
			t.Errorf("%s classed %v", id, k.Classes)
		}
	}
}

func TestClassify(t *testing.T) {
	day := 24 * time.Hour
	o := SweepOptions{Now: testNow, IdleDays: 90, MaxAgeDays: 90}
	for _, tc := range []struct {
		name    string
		k       KeyStatus
		root    bool
		active  int
		want    []string
		sev     Severity
		recWant string
	}{
		{"healthy", KeyStatus{Status: "Active", Created: testNow.Add(-30 * day), LastUsed: testNow.Add(-day)}, false, 1, []string{}, Info, ""},
		{"never used", KeyStatus{Status: "Active", Created: testNow.Add(-10 * day)}, false, 1, []string{ClassNeverUsed}, Medium, "akresp disable"},
		{"idle and old", KeyStatus{Status: "Active", Created: testNow.Add(-300 * day), LastUsed: testNow.Add(-100 * day)}, false, 1, []string{ClassIdle, ClassUnrotated}, Medium, "unused for 100 days"},
		{"exactly idle days is not idle", KeyStatus{Status: "Active", Created: testNow.Add(-60 * day), LastUsed: testNow.Add(-90 * day)}, false, 1, []string{}, Info, ""},
		{"unrotated in use", KeyStatus{Status: "Active", Created: testNow.Add(-500 * day), LastUsed: testNow.Add(-time.Hour)}, false, 1, []string{ClassUnrotated}, Low, "akresp rotate"},
		{"two active", KeyStatus{Status: "Active", Created: testNow.Add(-5 * day), LastUsed: testNow.Add(-time.Hour)}, false, 2, []string{ClassMultipleActive}, Low, "more than one active key"},
		{"disabled", KeyStatus{Status: "Inactive", Created: testNow.Add(-500 * day)}, false, 1, []string{ClassDisabledLingering}, Low, "--delete (disabled keys still count"},
		{"disabled, used 2 days ago", KeyStatus{AccessKeyID: "LTAI5tUSED0000000000001", Status: "Inactive", Created: testNow.Add(-500 * day), LastUsed: testNow.Add(-2 * day)}, false, 1, []string{ClassDisabledLingering}, Low,
			"akresp disable LTAI5tUSED0000000000001 --delete (from " + testNow.Add(5*day).UTC().Format(time.RFC3339) + ", the end of the 168h0m0s observation period after its last use; disabled keys"},
		{"disabled, used 8 days ago", KeyStatus{Status: "Inactive", Created: testNow.Add(-500 * day), LastUsed: testNow.Add(-8 * day)}, false, 1, []string{ClassDisabledLingering}, Low, "--delete (disabled keys still count"},
		{"root used", KeyStatus{Status: "Active", Created: testNow.Add(-50 * day), LastUsed: testNow.Add(-5 * day)}, true, 1, []string{ClassRootKey, ClassRootKeyUsed}, Critical, "root-account"},
		{"root unused", KeyStatus{Status: "Active", Created: testNow.Add(-50 * day)}, true, 1, []string{ClassRootKey, ClassNeverUsed}, High, "root-account"},
		{"root disabled", KeyStatus{Status: "Inactive", Created: testNow.Add(-50 * day), LastUsed: testNow.Add(-200 * day)}, true, 0, []string{ClassRootKey, ClassDisabledLingering}, High, "root-account"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := tc.k
			classify(&k, tc.root, tc.active, o)
			if !slices.Equal(k.Classes, tc.want) || k.Severity != tc.sev || !strings.Contains(k.Recommendation, tc.recWant) {
				t.Errorf("classes %v severity %s rec %q; want %v %s %q", k.Classes, k.Severity, k.Recommendation, tc.want, tc.sev, tc.recWant)
			}
		})
	}
}

// sweepFake is an account of three users: ok (one healthy key), twokeys
// (an idle key and a never-used key, console without MFA) and broken
// (every per-user call fails).
func sweepFake() *fakeCloud {
	created := testNow.Add(-20 * 24 * time.Hour)
	keys := map[string][]cloud.AccessKey{
		"ok":      {{AccessKeyID: "LTAI5tOK00000000000001", Status: "Active", CreateDate: created}},
		"twokeys": {{AccessKeyID: "LTAI5tTWO0000000000001", Status: "Active", CreateDate: created.Add(-200 * 24 * time.Hour)}, {AccessKeyID: "LTAI5tTWO0000000000002", Status: "Active", CreateDate: created}},
	}
	return &fakeCloud{
		listUsers: func() ([]cloud.User, error) {
			return []cloud.User{{UserName: "twokeys"}, {UserName: "ok"}, {UserName: "broken"}}, nil
		},
		listKeys: func(u string) ([]cloud.AccessKey, error) {
			if u == "broken" {
				return nil, errors.New("NoPermission")
			}
			return keys[u], nil
		},
		ramLastUsed: func(u, k string) (time.Time, error) {
			switch k {
			case "LTAI5tOK00000000000001":
				return testNow.Add(-time.Hour), nil
			case "LTAI5tTWO0000000000001":
				return testNow.Add(-120 * 24 * time.Hour), nil
			}
			return time.Time{}, nil
		},
		loginProfile: func(u string) (cloud.LoginProfile, bool, error) {
			switch u {
			case "twokeys":
				return cloud.LoginProfile{UserName: u}, true, nil
			case "broken":
				return cloud.LoginProfile{}, false, errors.New("NoPermission")
			}
			return cloud.LoginProfile{}, false, nil
		},
		mfa: func(string) (cloud.MFAInfo, error) { return cloud.MFAInfo{}, nil },
	}
}

func TestSweepPerUser(t *testing.T) {
	fc := sweepFake()
	var calls atomic.Int32
	r, err := Sweep(context.Background(), fc, SweepOptions{Now: testNow, Parallelism: 2, Progress: func(done, total int) {
		calls.Add(1)
		if total != 3 || done < 1 || done > 3 {
			t.Errorf("progress %d/%d", done, total)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != "per_user" || calls.Load() != 3 || r.SchemaVersion != SweepSchemaVersion {
		t.Errorf("source %s, progress calls %d", r.Source, calls.Load())
	}
	got := map[string][]string{}
	for _, k := range r.Keys {
		got[k.AccessKeyID] = k.Classes
	}
	want := map[string][]string{
		"LTAI5tOK00000000000001": {},
		"LTAI5tTWO0000000000001": {ClassIdle, ClassUnrotated, ClassMultipleActive},
		"LTAI5tTWO0000000000002": {ClassNeverUsed, ClassMultipleActive},
	}
	for id, w := range want {
		if !slices.Equal(got[id], w) {
			t.Errorf("%s: %v, want %v", id, got[id], w)
		}
	}
	if r.Keys[0].Severity < r.Keys[len(r.Keys)-1].Severity {
		t.Error("keys are not sorted worst first")
	}
	users := map[string]UserStatus{}
	for _, u := range r.Users {
		users[u.User] = u
	}
	if u := users["twokeys"]; !slices.Equal(u.Findings, []string{UserConsoleWithoutMFA, UserMultipleActive}) || u.Severity != High || !u.Complete {
		t.Errorf("twokeys %+v", u)
	}
	if u := users["broken"]; u.Complete {
		t.Errorf("broken %+v", u)
	}
	var brokenDiags, rootDiag int
	for _, d := range r.Diagnostics {
		if d.Source == "user broken" && d.Level == "error" {
			brokenDiags++
		}
		if d.Source == RootLabel {
			rootDiag++
		}
	}
	if brokenDiags != 2 || rootDiag != 1 {
		t.Errorf("diagnostics %+v", r.Diagnostics)
	}
	if s := r.Summary; s.Users != 3 || s.Keys != 3 || s.NeverUsed != 1 || s.Idle != 1 || s.MultipleActive != 2 || s.ConsoleWithoutMFA != 1 || s.MaxSeverity != High || s.Diagnostics != len(r.Diagnostics) {
		t.Errorf("summary %+v", s)
	}
	if !r.HasAtLeast(High) || r.HasAtLeast(Critical) || r.CountAtLeast(Medium) != 3 {
		t.Errorf("fail-on: high %v critical %v medium count %d", r.HasAtLeast(High), r.HasAtLeast(Critical), r.CountAtLeast(Medium))
	}
}

func TestSweepCredentialReport(t *testing.T) {
	created := testNow.Add(-20 * 24 * time.Hour)
	report := []cloud.CredentialReportRow{
		{User: "<root>", Keys: []cloud.CredentialReportKey{{Slot: "access_key_1", Exist: true, Active: true, LastRotated: testNow.Add(-700 * 24 * time.Hour), LastUsed: testNow.Add(-2 * 24 * time.Hour)}}},
		{User: "ok@acct.onaliyun.com", PasswordExist: true, PasswordActive: true, MFAActive: true,
			Keys: []cloud.CredentialReportKey{{Slot: "access_key_1", Exist: true, Active: true, LastRotated: created, LastUsed: testNow.Add(-time.Hour)}}},
		{User: "twokeys@acct.onaliyun.com", PasswordExist: true, PasswordActive: false,
			Keys: []cloud.CredentialReportKey{
				{Slot: "access_key_1", Exist: true, Active: true, LastRotated: created.Add(-200 * 24 * time.Hour), LastUsed: testNow.Add(-120 * 24 * time.Hour)},
				{Slot: "access_key_2", Exist: true, Active: true, LastRotated: created.Add(time.Hour)}, // no match: asked per key
			}},
	}
	fc := sweepFake()
	var perKey atomic.Int32
	inner := fc.ramLastUsed
	fc.ramLastUsed = func(u, k string) (time.Time, error) { perKey.Add(1); return inner(u, k) }
	fc.loginProfile = func(u string) (cloud.LoginProfile, bool, error) {
		if u != "broken" { // the one user the report does not list
			t.Errorf("GetLoginProfile(%s) called although the report has the user", u)
		}
		return cloud.LoginProfile{}, false, nil
	}
	fc.credReport = func() ([]cloud.CredentialReportRow, error) { return report, nil }

	r, err := Sweep(context.Background(), fc, SweepOptions{Now: testNow, UseCredentialReport: ReportAlways})
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != "credential_report" || perKey.Load() != 1 {
		t.Errorf("source %s, per-key calls %d (want 1: the unmatched slot)", r.Source, perKey.Load())
	}
	var root *KeyStatus
	for i := range r.Keys {
		if r.Keys[i].IsRoot() {
			root = &r.Keys[i]
		}
	}
	if root == nil || root.Slot != "access_key_1" || root.AccessKeyID != "" || !slices.Contains(root.Classes, ClassRootKeyUsed) || !r.Keys[0].IsRoot() {
		t.Errorf("root key %+v (first key %+v)", root, r.Keys[0])
	}
	for _, u := range r.Users {
		if u.User == "twokeys" && (u.ConsoleLogin || slices.Contains(u.Findings, UserConsoleWithoutMFA)) {
			t.Errorf("inactive password counted as console login: %+v", u)
		}
	}

	// always: a failing report is an error; auto: a diagnostic and the
	// per-user path.
	fc.credReport = func() ([]cloud.CredentialReportRow, error) { return nil, errors.New("NoPermission") }
	if _, err := Sweep(context.Background(), fc, SweepOptions{Now: testNow, UseCredentialReport: ReportAlways}); err == nil || !strings.Contains(err.Error(), "credential report") {
		t.Errorf("always: %v", err)
	}
	fc.loginProfile = sweepFake().loginProfile
	r, err = Sweep(context.Background(), fc, SweepOptions{Now: testNow})
	if err != nil || r.Source != "per_user" || !slices.ContainsFunc(r.Diagnostics, func(d Diagnostic) bool { return strings.Contains(d.Summary, "falling back") }) {
		t.Errorf("auto fallback: %v %s %+v", err, r.Source, r.Diagnostics)
	}
}

func TestSweepRootCaller(t *testing.T) {
	fc := sweepFake()
	fc.caller = func() (cloud.CallerIdentity, error) {
		return cloud.CallerIdentity{IdentityType: "Account", AccountID: testAccount}, nil
	}
	inner := fc.listKeys
	fc.listKeys = func(u string) ([]cloud.AccessKey, error) {
		if u == "" {
			return []cloud.AccessKey{{AccessKeyID: "LTAI5tROOT000000000001", Status: "Active", CreateDate: testNow.Add(-900 * 24 * time.Hour)}}, nil
		}
		return inner(u)
	}
	fc.lastUsedInfo = func(string) (cloud.LastUsedInfo, error) {
		return cloud.LastUsedInfo{Found: true, UsedAt: testNow.Add(-300 * 24 * time.Hour)}, nil
	}
	r, err := Sweep(context.Background(), fc, SweepOptions{Now: testNow, UseCredentialReport: ReportNever})
	if err != nil {
		t.Fatal(err)
	}
	k := r.Keys[0]
	if !k.IsRoot() || k.User != "" || k.AccessKeyID != "LTAI5tROOT000000000001" || !slices.Equal(k.Classes, []string{ClassRootKey, ClassIdle, ClassUnrotated}) || k.Severity != High || r.AccountID != testAccount {
		t.Errorf("root key %+v", k)
	}

	// In JSON the root account is an identity_type, not a user name;
	// every RAM user's row says ram-user and names the user. People
	// still read "root account" in the tabular forms.
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Keys, Users []map[string]any
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "<root") {
		t.Errorf("the sweep JSON has the credential report's display name: %s", b)
	}
	for _, list := range [][]map[string]any{doc.Keys, doc.Users} {
		roots := 0
		for _, row := range list {
			switch row["identity_type"] {
			case "root-account":
				roots++
				if _, ok := row["user_name"]; ok {
					t.Errorf("root-account row with a user_name: %v", row)
				}
			case "ram-user":
				if name, _ := row["user_name"].(string); name == "" {
					t.Errorf("ram-user row without a user_name: %v", row)
				}
			default:
				t.Errorf("row with identity_type %v: %v", row["identity_type"], row)
			}
		}
		if roots != 1 {
			t.Errorf("%d root-account rows, want 1: %v", roots, list)
		}
	}
	var keyRow, userRow []any
	for _, row := range r.Rows() {
		if row[2] == "LTAI5tROOT000000000001" {
			keyRow = row
		}
		if row[0] == "user" && row[1] == RootLabel {
			userRow = row
		}
	}
	if keyRow == nil || keyRow[1] != RootLabel || userRow == nil {
		t.Errorf("tabular rows of the root account: key %v, user %v (all %v)", keyRow, userRow, r.Rows())
	}
}

func TestSweepErrors(t *testing.T) {
	fc := sweepFake()
	fc.listUsers = func() ([]cloud.User, error) { return nil, errors.New("NoPermission") }
	if _, err := Sweep(context.Background(), fc, SweepOptions{}); err == nil || !strings.Contains(err.Error(), "list the account's RAM users") {
		t.Errorf("list users: %v", err)
	}
	for _, o := range []SweepOptions{{IdleDays: -1}, {UseCredentialReport: "sometimes"}} {
		if _, err := Sweep(context.Background(), sweepFake(), o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	if _, err := Sweep(context.Background(), nil, SweepOptions{}); err == nil {
		t.Error("nil cloud: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Sweep(ctx, sweepFake(), SweepOptions{UseCredentialReport: ReportNever}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// The credential report's root row is "<root>" (documented) or
// "<root_account>" (earlier material): a sweep run as a RAM user reports
// the root key it knows only from the report under either spelling.
func TestSweepRootRowSpellings(t *testing.T) {
	for _, spelling := range []string{"<root>", "<root_account>"} {
		t.Run(spelling, func(t *testing.T) {
			fc := sweepFake()
			fc.credReport = func() ([]cloud.CredentialReportRow, error) {
				return []cloud.CredentialReportRow{{User: spelling, Keys: []cloud.CredentialReportKey{
					{Slot: "access_key_1", Exist: true, Active: true, LastRotated: testNow.Add(-10 * 24 * time.Hour), LastUsed: testNow.Add(-time.Hour)}}}}, nil
			}
			r, err := Sweep(context.Background(), fc, SweepOptions{Now: testNow, UseCredentialReport: ReportAlways})
			if err != nil {
				t.Fatal(err)
			}
			var root *KeyStatus
			for i := range r.Keys {
				if r.Keys[i].IsRoot() {
					root = &r.Keys[i]
				}
			}
			if root == nil || root.Slot != "access_key_1" || !slices.Contains(root.Classes, ClassRootKeyUsed) {
				t.Fatalf("root key from a %s row: %+v", spelling, r.Keys)
			}
			// The report does not name the key: the recommendation gives
			// no command with a placeholder for it (one that would not run).
			if strings.Contains(root.Recommendation, "<AK-ID>") || !strings.Contains(root.Recommendation, "signed in as root") {
				t.Errorf("root key's recommendation %q", root.Recommendation)
			}
			for _, u := range r.Users {
				if u.User == "<root_account>" {
					t.Errorf("the root row was read as a RAM user: %+v", u)
				}
			}
		})
	}
}

// The weekly sweep showed the leaked key of an open incident as
// "unrotated, low: akresp rotate": the key akresp's audit called a
// suspected leak, and the one it contained, are classed open_incident with
// the incident's next step.
func TestSweepOpenIncident(t *testing.T) {
	const leaked, contained = "LTAI5tAPPPRODLEAKED00001", "LTAI5tCONTAINED000000001"
	dir := t.TempDir()
	if err := incident.AppendEvidence(dir, leaked, "audit", incident.Evidence{Verdict: StatusSuspectedLeak}, func() time.Time { return testNow }); err != nil {
		t.Fatal(err)
	}
	containedAt := testNow.Add(-2 * time.Hour)
	j, err := journal.Open(dir, contained, "contain", func() time.Time { return containedAt })
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["127.0.0.10/32"]}]}`
	after, _ := json.Marshal(map[string]string{"key_id": contained, "policy": doc})
	if err := j.Append(journal.Record{Kind: journal.KindOutcome, Action: "set-network-acl", Target: contained, After: after, Result: journal.ResultOK}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	o := SweepOptions{Now: testNow, IdleDays: 90, MaxAgeDays: 90, StateDir: dir}
	old := testNow.Add(-200 * 24 * time.Hour)
	for _, tc := range []struct {
		name, id, status string
		sev              Severity
		rec              string
	}{
		{"suspected leak, not contained", leaked, "Active", Critical, "akresp contain " + leaked + " (open incident: akresp's last audit of the key says suspected leak, and it is not contained)"},
		{"contained", contained, "Active", High, "akresp rotate " + contained + " (open incident: contained since " + containedAt.UTC().Format(time.RFC3339) + ", but the secret is still valid: replace the key and retire it)"},
		{"disabled", leaked, "Inactive", Low, "akresp disable " + leaked + " --delete"},
	} {
		k := KeyStatus{AccessKeyID: tc.id, Status: tc.status, Created: old, LastUsed: testNow.Add(-time.Hour)}
		classify(&k, false, 1, o)
		if !slices.Contains(k.Classes, ClassOpenIncident) || k.Severity != tc.sev || !strings.HasPrefix(k.Recommendation, tc.rec) {
			t.Errorf("%s: classes %v severity %s rec %q; want %s %q", tc.name, k.Classes, k.Severity, k.Recommendation, tc.sev, tc.rec)
		}
		if tc.status == "Active" && strings.Count(k.Recommendation, "akresp ") != 1 {
			t.Errorf("%s: rec %q, want the incident's step alone", tc.name, k.Recommendation)
		}
	}
	// A key without an incident is what it was.
	k := KeyStatus{AccessKeyID: "LTAI5tREPORTING000000000", Status: "Active", Created: old, LastUsed: testNow.Add(-time.Hour)}
	if classify(&k, false, 1, o); slices.Contains(k.Classes, ClassOpenIncident) || k.Severity != Low {
		t.Errorf("no incident: classes %v severity %s", k.Classes, k.Severity)
	}
}
