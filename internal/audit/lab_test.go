package audit_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/redact"
)

func TestMain(m *testing.M) {
	// credentials-go must never probe the ECS metadata address.
	os.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	os.Exit(m.Run())
}

// The cloud clients satisfy the audit's interfaces.
var (
	_ audit.Cloud      = (*cloud.Clients)(nil)
	_ audit.SweepCloud = (*cloud.Clients)(nil)
)

type labEnv struct {
	srv  *lab.Server
	info *lab.ScenarioInfo
	now  time.Time
}

// startLab serves scenario ref on 127.0.0.1:0 with a clock pinned near now.
func startLab(t *testing.T, ref string, opts lab.Options) *labEnv {
	t.Helper()
	sc, err := lab.LoadScenario(ref)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	w, info, err := sc.Build(now)
	if err != nil {
		t.Fatal(err)
	}
	opts.World = w
	opts.Clock = func() time.Time { return time.Now().UTC() }
	srv, err := lab.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &labEnv{srv: srv, info: info, now: now}
}

// clients builds real SDK clients for a scenario principal.
func (e *labEnv) clients(t testing.TB, principal string, cfg cloud.Config) *cloud.Clients {
	t.Helper()
	cred, ok := e.info.Credentials[principal]
	if !ok {
		t.Fatalf("scenario has no credentials for %q", principal)
	}
	cfg.Endpoint = "http://" + e.srv.Addr()
	cfg.Credential = &cloud.StaticCredential{AccessKeyID: cred.AccessKeyID, AccessKeySecret: redact.Secret(cred.AccessKeySecret)}
	if cfg.RateScale == 0 {
		cfg.RateScale = 1000
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 2
	}
	cfg.Version = "test"
	c, err := cloud.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func findingIDs(r *audit.Result) []string {
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.ID+"/"+f.Severity.String())
	}
	return ids
}

func TestInvestigateLabLeak(t *testing.T) {
	env := startLab(t, "builtin:leak", lab.Options{})
	notes := env.info.Notes
	leaked, attacker, office := notes["leaked_key_id"], notes["attacker_ip"], notes["office_ip"]
	admin := env.clients(t, "admin", cloud.Config{})

	r, err := audit.Investigate(context.Background(), admin, audit.InvestigateOptions{
		Engine: audit.Options{KeyID: leaked, Now: time.Now()},
		Online: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Key.Owner != notes["leaked_user"] || r.Key.OwnerType != "ram-user" || r.Key.Status != "Active" || r.Key.Created.IsZero() || r.Key.AgeDays < 150 {
		t.Errorf("key facts %+v", r.Key)
	}
	if r.Key.LastUsed.IsZero() || len(r.Key.UsedServices) == 0 || !slices.Contains(r.Key.LastUsedIPs, attacker) {
		t.Errorf("last-used facts %+v", r.Key)
	}
	if r.Verdict.Status != audit.StatusSuspectedLeak {
		t.Fatalf("verdict %s, want suspected_leak; findings %v", r.Verdict.Status, findingIDs(r))
	}

	// The attacker's source is flagged new and untrusted; the office is not.
	for _, s := range r.Sources {
		switch s.IP {
		case attacker:
			if !s.Flagged || !s.New {
				t.Errorf("attacker source %+v: want flagged and new", s)
			}
		case office:
			if s.Flagged {
				t.Errorf("office source flagged: %+v", s)
			}
		}
	}
	if !slices.ContainsFunc(r.Verdict.SuggestedTrustedCIDRs, func(c string) bool { return strings.HasPrefix(c, office+"/") }) {
		t.Errorf("suggested CIDRs %v lack the office %s", r.Verdict.SuggestedTrustedCIDRs, office)
	}
	if slices.ContainsFunc(r.Verdict.SuggestedTrustedCIDRs, func(c string) bool { return strings.HasPrefix(c, attacker+"/") }) {
		t.Errorf("suggested CIDRs %v include the attacker", r.Verdict.SuggestedTrustedCIDRs)
	}

	// Enumeration, persistence (by name) and cost/destruction, all from
	// the attacker and none from the office.
	var enum, pers, cost bool
	for _, f := range r.Findings {
		if slices.Contains(f.IPs, office) && f.Severity >= audit.Medium {
			t.Errorf("finding %s %s includes the office traffic: %v", f.ID, f.Severity, f.IPs)
		}
		text := f.Title + " " + f.Why
		for _, e := range f.Evidence {
			text += " " + e.Detail
		}
		switch {
		case strings.HasPrefix(f.ID, "ENUM"):
			enum = enum || slices.Contains(f.IPs, attacker)
		case strings.HasPrefix(f.ID, "PERS"):
			if strings.Contains(text, notes["created_user"]) || strings.Contains(text, notes["created_key_id"]) {
				pers = true
			}
		case strings.HasPrefix(f.ID, "COST"), strings.HasPrefix(f.ID, "DEST"), strings.HasPrefix(f.ID, "IMPACT"):
			cost = cost || (slices.Contains(f.IPs, attacker) && f.Severity >= audit.High)
		}
	}
	if !enum || !pers || !cost {
		t.Errorf("enumeration %v, persistence naming %s %v, cost/destruction %v; findings %v", enum, notes["created_user"], pers, cost, findingIDs(r))
	}
	var user, key bool
	for _, c := range r.Created {
		user = user || (c.Kind == audit.KindUser && c.Name == notes["created_user"])
		key = key || (c.Kind == audit.KindAccessKey && c.Name == notes["created_key_id"])
	}
	if !user || !key {
		t.Errorf("created identities %+v lack %s and %s", r.Created, notes["created_user"], notes["created_key_id"])
	}

	// The office-only key has no high finding.
	rep, err := audit.Investigate(context.Background(), admin, audit.InvestigateOptions{
		Engine: audit.Options{KeyID: "LTAI5tREPORTING000000000", Now: time.Now()},
		Online: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.HasAtLeast(audit.High) || rep.Verdict.Status == audit.StatusSuspectedLeak {
		t.Errorf("office-only key: verdict %s, findings %v", rep.Verdict.Status, findingIDs(rep))
	}
}

// TestInvestigateLabRootKey: IMS knows no user for a root key; the root
// caller's own key list identifies it.
func TestInvestigateLabRootKey(t *testing.T) {
	env := startLab(t, "builtin:leak", lab.Options{})
	rootKey := env.info.Notes["root_key_id"]
	var principal string
	for name, c := range env.info.Credentials {
		if c.AccessKeyID == rootKey {
			principal = name
		}
	}
	if principal == "" {
		t.Skip("scenario gives no credentials for the root key")
	}
	for _, tc := range []struct {
		caller    string
		wantOwner string
		wantDiag  bool
	}{
		{principal, "root-account", false},
		{"admin", "root-account", false}, // from GetAccessKeyLastUsedInfo's AccountType, if it knows the key
	} {
		c := env.clients(t, tc.caller, cloud.Config{})
		r, err := audit.Investigate(context.Background(), c, audit.InvestigateOptions{Engine: audit.Options{KeyID: rootKey, Now: time.Now()}, Online: true})
		if err != nil {
			t.Fatal(err)
		}
		if tc.caller == principal && (r.Key.OwnerType != tc.wantOwner || r.Key.Status == "" || r.Key.Created.IsZero()) {
			t.Errorf("as %s: key facts %+v", tc.caller, r.Key)
		}
		if tc.caller == "admin" && r.Key.OwnerType != "root-account" && len(r.Diagnostics) == 0 {
			t.Errorf("as admin: owner %q without a diagnostic", r.Key.OwnerType)
		}
	}
}

// TestOfflineEqualsOnline: the leaked key's events, fetched from the lab
// and written as a gzip JSON-array trail and as JSON lines, give the same
// findings offline as LookupEvents gives online.
func TestOfflineEqualsOnline(t *testing.T) {
	env := startLab(t, "builtin:leak", lab.Options{})
	leaked := env.info.Notes["leaked_key_id"]
	admin := env.clients(t, "admin", cloud.Config{})
	now := time.Now()
	online, err := audit.Investigate(context.Background(), admin, audit.InvestigateOptions{
		Engine: audit.Options{KeyID: leaked, Now: now}, Online: true,
		Since: now.Add(-89 * 24 * time.Hour), Until: now,
	})
	if err != nil {
		t.Fatal(err)
	}

	var raws []json.RawMessage
	for _, ev := range env.srv.Events() {
		if ev.UserIdentity.AccessKeyID == leaked && !ev.Time.Before(now.Add(-89*24*time.Hour)) {
			raws = append(raws, ev.MarshalRaw())
		}
	}
	if len(raws) < 50 {
		t.Fatalf("only %d lab events for the leaked key", len(raws))
	}
	dir := t.TempDir()
	gz := filepath.Join(dir, "trail.json.gz")
	f, err := os.Create(gz)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	arr, _ := json.Marshal(raws)
	zw.Write(arr)
	zw.Close()
	f.Close()
	jl := filepath.Join(dir, "trail.jsonl")
	f, _ = os.Create(jl)
	bw := bufio.NewWriter(f)
	for _, r := range raws {
		bw.Write(r)
		bw.WriteByte('\n')
	}
	bw.Flush()
	f.Close()

	type fsum struct {
		ID       string
		Severity audit.Severity
		Count    int
		Evidence []string
	}
	summarise := func(r *audit.Result) []fsum {
		var out []fsum
		for _, f := range r.Findings {
			s := fsum{ID: f.ID, Severity: f.Severity, Count: f.Count}
			for _, e := range f.Evidence {
				s.Evidence = append(s.Evidence, e.EventID)
			}
			out = append(out, s)
		}
		return out
	}
	want := summarise(online)
	for _, path := range []string{gz, jl} {
		off, err := audit.Investigate(context.Background(), nil, audit.InvestigateOptions{
			Engine: audit.Options{KeyID: leaked, Now: now},
			Trails: []string{path},
			Since:  now.Add(-89 * 24 * time.Hour), Until: now,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(off.Diagnostics) > 0 {
			t.Errorf("%s: diagnostics %+v", filepath.Base(path), off.Diagnostics)
		}
		if diff := cmp.Diff(want, summarise(off)); diff != "" {
			t.Errorf("%s: offline findings differ from online (-online +offline):\n%s", filepath.Base(path), diff)
		}
		if off.Verdict.Status != online.Verdict.Status || !slices.Equal(off.Verdict.SuggestedTrustedCIDRs, online.Verdict.SuggestedTrustedCIDRs) {
			t.Errorf("%s: verdict %s %v, online %s %v", filepath.Base(path), off.Verdict.Status, off.Verdict.SuggestedTrustedCIDRs, online.Verdict.Status, online.Verdict.SuggestedTrustedCIDRs)
		}
	}
}

func TestSweepLabIdleScenario(t *testing.T) {
	env := startLab(t, filepath.Join("..", "..", "testdata", "scenarios", "idle-sweep.json"), lab.Options{})
	notes := env.info.Notes
	for _, mode := range []string{audit.ReportAlways, audit.ReportNever} {
		t.Run(mode, func(t *testing.T) {
			var callerName string
			for name, c := range env.info.Credentials {
				if c.AccessKeyID == "LTAI5tIDLEADMIN000000001" {
					callerName = name
				}
			}
			c := env.clients(t, callerName, cloud.Config{})
			r, err := audit.Sweep(context.Background(), c, audit.SweepOptions{Now: time.Now(), UseCredentialReport: mode})
			if err != nil {
				t.Fatal(err)
			}
			byID := map[string]audit.KeyStatus{}
			for _, k := range r.Keys {
				byID[k.AccessKeyID] = k
			}
			for _, tc := range []struct {
				key  string
				want []string
			}{
				{notes["healthy_key_id"], []string{}},
				{notes["never_used_key_id"], []string{audit.ClassNeverUsed}},
				{notes["idle_key_id"], []string{audit.ClassIdle, audit.ClassUnrotated}},
				{notes["unrotated_key_id"], []string{audit.ClassUnrotated}},
				{notes["inactive_key_id"], []string{audit.ClassDisabledLingering}},
			} {
				k, ok := byID[tc.key]
				if !ok {
					t.Errorf("key %s missing from the sweep", tc.key)
					continue
				}
				if !slices.Equal(k.Classes, tc.want) {
					t.Errorf("key %s (%s): classes %v, want %v", tc.key, k.User, k.Classes, tc.want)
				}
			}
			// The root key: by slot from the report, or not at all (with a
			// diagnostic) when a RAM user sweeps without the report.
			var root *audit.KeyStatus
			for i := range r.Keys {
				if r.Keys[i].IsRoot() {
					root = &r.Keys[i]
				}
			}
			switch {
			case mode == audit.ReportAlways && (root == nil || !slices.Contains(root.Classes, audit.ClassRootKeyUsed) || root.Severity != audit.Critical):
				t.Errorf("root key %+v: want root_key_used, critical", root)
			case mode == audit.ReportNever && (root != nil || !slices.ContainsFunc(r.Diagnostics, func(d audit.Diagnostic) bool { return d.Source == audit.RootLabel })):
				t.Errorf("root key %+v without the report; diagnostics %+v", root, r.Diagnostics)
			}
			users := map[string]audit.UserStatus{}
			for _, u := range r.Users {
				users[u.User] = u
			}
			if u := users[notes["console_without_mfa"]]; !u.ConsoleLogin || u.MFA || !slices.Contains(u.Findings, audit.UserConsoleWithoutMFA) || u.Severity != audit.High {
				t.Errorf("console user without MFA: %+v", u)
			}
			if u := users[notes["console_with_mfa"]]; !u.ConsoleLogin || !u.MFA || len(u.Findings) != 0 {
				t.Errorf("console user with MFA: %+v", u)
			}
			// Only the credential report tells a disabled console login
			// apart: RAM GetLoginProfile has no status field.
			wantMFAless := 1
			if u := users["console-disabled"]; mode == audit.ReportAlways && (u.ConsoleLogin || len(u.Findings) != 0) {
				t.Errorf("user with a disabled console login: %+v", u)
			} else if mode == audit.ReportNever {
				wantMFAless = 2
			}
			if r.Summary.NeverUsed != 1 || r.Summary.ConsoleWithoutMFA != wantMFAless || r.Summary.DisabledLingering != 1 {
				t.Errorf("summary %+v", r.Summary)
			}
			if !r.HasAtLeast(audit.High) || r.HasAtLeast(audit.Critical) != (mode == audit.ReportAlways) {
				t.Errorf("fail-on: high %v critical %v", r.HasAtLeast(audit.High), r.HasAtLeast(audit.Critical))
			}
		})
	}
}
