package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/redact"
	"github.com/akresp/akresp/internal/report"
)

// TestIncidentWalkSuggestedCommandsRun walks builtin:leak on the lab as an
// on-call engineer would (audit -> contain --trusted-from-audit -> office
// test calls and the attacker retrying -> audit -> report -> rotate to the
// end -> audit -> report) and, at every stage, runs each `akresp ...`
// command that audit and report suggest in -o json, with --dry-run for the
// ones that change something. A suggestion that is refused (exit 2 or 4),
// fails, or plans no change while claiming one fails the test. It also
// pins what the incident record changes: the office's calls after
// containment are the responder's, the attacker's refused calls are listed
// apart, and the report names only the attacker.
func TestIncidentWalkSuggestedCommandsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("walks a whole incident on the lab")
	}
	srv, info := serveScenario(t, "builtin:leak")
	asLabAdmin(t, info)
	admin := info.Credentials["admin"]
	stateDir := filepath.Join(t.TempDir(), "state")
	key, office, attacker := info.Notes["leaked_key_id"], info.Notes["office_ip"], info.Notes["attacker_ip"]
	endpoint := "http://" + srv.Addr()

	run := func(args ...string) (int, string, string) {
		t.Helper()
		ios, _, out, errOut := TestStreams()
		f := NewFactory(ios)
		f.Version = "v0.0.0-test"
		f.Cloud = func(ctx context.Context) (*cloud.Clients, error) {
			return cloud.New(ctx, cloud.Config{Endpoint: endpoint, RateScale: 1000, MaxAttempts: 3, Timeout: 30 * time.Second, Version: f.Version})
		}
		code := Run(context.Background(), f, append([]string{"--endpoint", endpoint, "--state-dir", stateDir}, args...))
		for _, s := range []string{out.String(), errOut.String()} {
			if strings.Contains(s, admin.AccessKeySecret) {
				t.Fatalf("akresp %v printed the caller's secret", args)
			}
		}
		return code, out.String(), errOut.String()
	}
	must := func(args ...string) string {
		t.Helper()
		code, out, errOut := run(args...)
		if code != ExitOK {
			t.Fatalf("akresp %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	// as calls the lab with a key from a loopback source (office or attacker).
	as := func(keyID, secret, from string) *cloud.Clients {
		c, err := cloud.New(context.Background(), cloud.Config{Endpoint: endpoint, MaxAttempts: 1, RateScale: 1000, LocalAddr: from,
			Product: "akresp-lab-drill", Credential: &cloud.StaticCredential{AccessKeyID: keyID, AccessKeySecret: redact.Secret(secret)}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	leaked := info.Credentials[info.Notes["leaked_user"]]
	if leaked.AccessKeyID != key {
		t.Fatalf("scenario: credentials of %s are %s, want %s", info.Notes["leaked_user"], leaked.AccessKeyID, key)
	}
	call := func(c *cloud.Clients, product, action string, params map[string]string) error {
		_, err := c.CallRPC(context.Background(), product, action, params)
		return err
	}

	audited := func(stage string) *audit.Result {
		t.Helper()
		var r audit.Result
		if err := json.Unmarshal([]byte(must("audit", key, "-o", "json")), &r); err != nil {
			t.Fatalf("%s: audit -o json: %v", stage, err)
		}
		return &r
	}
	reported := func(stage string) *report.Document {
		t.Helper()
		var d report.Document
		if err := json.Unmarshal([]byte(must("report", key, "-o", "json", "--out", filepath.Join(t.TempDir(), "report"))), &d); err != nil {
			t.Fatalf("%s: report -o json: %v", stage, err)
		}
		return &d
	}
	// check runs every suggested command, as a dry run when it changes
	// something.
	check := func(stage string, cmds []string) {
		t.Helper()
		for _, line := range cmds {
			for _, cmd := range strings.Split(line, "\n") {
				f := strings.Fields(cmd)
				if len(f) < 2 || f[0] != "akresp" {
					continue
				}
				args := f[1:]
				mutates := false
				switch args[0] {
				case "contain":
					mutates = !slices.Contains(args, "--status")
				case "disable", "rotate", "eradicate":
					mutates = !slices.Contains(args, "--status")
				case "leaks":
					mutates = len(args) > 1 && args[1] == "resolve"
				case "report":
					args = append(args, "--out", filepath.Join(t.TempDir(), "r"))
				}
				if mutates {
					args = append(args, "--dry-run", "-o", "json")
				}
				code, out, errOut := run(args...)
				if code != ExitOK && code != ExitFindings {
					t.Errorf("%s: suggested %q: exit %d\n%s\n%s", stage, cmd, code, out, errOut)
					continue
				}
				if mutates && (args[0] == "contain" || args[0] == "disable") && !slices.Contains(args, "--undo") {
					var doc struct {
						Plan struct {
							Actions []struct {
								Noop bool `json:"noop"`
							} `json:"actions"`
						} `json:"plan"`
					}
					if json.Unmarshal([]byte(out), &doc) == nil && len(doc.Plan.Actions) > 0 {
						changes := 0
						for _, a := range doc.Plan.Actions {
							if !a.Noop {
								changes++
							}
						}
						if changes == 0 {
							t.Errorf("%s: suggested %q plans no change", stage, cmd)
						}
					}
				}
			}
		}
	}
	auditCmds := func(r *audit.Result) []string {
		var out []string
		for _, s := range r.Verdict.NextSteps {
			out = append(out, s.Command)
		}
		return out
	}
	reportCmds := func(d *report.Document) []string {
		var out []string
		for _, r := range d.Risks {
			out = append(out, r.Command)
		}
		for _, r := range d.Recommendations {
			out = append(out, r.Command)
		}
		return out
	}

	// 1. The first audit: a suspected leak from the attacker.
	r := audited("first audit")
	if r.Verdict.Status != audit.StatusSuspectedLeak {
		t.Fatalf("first audit: verdict %s", r.Verdict.Status)
	}
	if lr := r.Key.LeakRecords; len(lr) != 1 || !strings.HasPrefix(lr[0], "found leaked at "+info.Notes["leak_record_url"]+" on ") ||
		!strings.HasSuffix(lr[0], "pending in Security Center") {
		t.Errorf("first audit: leak records %q, want the scenario's pending record at %s", lr, info.Notes["leak_record_url"])
	}
	check("first audit", auditCmds(r))

	// 2. Contain with the audit's trusted sources.
	must("contain", key, "--trusted-from-audit", "--yes")

	// 3. The office tests the fence (one allowed call, two refused by the
	// deny policy); the attacker keeps trying and is refused by the ACL.
	officeC, attackerC := as(key, leaked.AccessKeySecret, office), as(key, leaked.AccessKeySecret, attacker)
	if err := call(officeC, "ecs", "DescribeInstances", map[string]string{"RegionId": "cn-hangzhou"}); err != nil {
		t.Fatalf("the office is cut off after containment: %v", err)
	}
	if err := call(officeC, "ram", "CreateUser", map[string]string{"UserName": "mallory"}); err == nil {
		t.Fatal("the deny policy let the office create a user")
	}
	if err := call(officeC, "ecs", "DeleteInstance", map[string]string{"InstanceId": info.Notes["deleted_instance_id"]}); err == nil {
		t.Fatal("the deny policy let the office delete an instance")
	}
	for range 3 {
		if err := call(attackerC, "ecs", "DescribeInstances", map[string]string{"RegionId": "cn-hangzhou"}); err == nil {
			t.Fatal("the fence let the attacker call")
		}
	}

	// 4. The audit after containment: the office's calls are the
	// responder's, the attacker's refused calls are apart, the office stays
	// trusted and is not flagged.
	r = audited("audit after containment")
	inc := r.Incident
	if inc == nil || inc.ContainedAt.IsZero() {
		t.Fatalf("audit after containment: no incident record: %+v", inc)
	}
	if len(inc.Responder) != 1 || inc.Responder[0].IP != office || inc.Responder[0].Calls != 3 || inc.Responder[0].Refused != 2 {
		t.Errorf("responder activity = %+v, want %s: 3 calls, 2 refused", inc.Responder, office)
	}
	if len(inc.AttackerTrying) != 1 || inc.AttackerTrying[0].IP != attacker || inc.AttackerTrying[0].Refused != 3 || !inc.AttackerTrying[0].Flagged {
		t.Errorf("attacker still trying = %+v, want %s: 3 refused", inc.AttackerTrying, attacker)
	}
	for _, s := range r.Sources {
		if s.IP == office && (s.Flagged || !s.Trusted) {
			t.Errorf("the office after containment: %+v", s)
		}
		if s.IP == attacker && !s.Flagged {
			t.Errorf("the attacker is no longer flagged: %+v", s)
		}
	}
	if !slices.ContainsFunc(r.Verdict.SuggestedTrustedCIDRs, func(c string) bool { return strings.HasPrefix(c, "127.0.0.10/") }) {
		t.Errorf("suggested trusted CIDRs %v lack the office", r.Verdict.SuggestedTrustedCIDRs)
	}
	for _, s := range r.Verdict.NextSteps {
		if strings.Contains(s.Command, "--allow-ip") || strings.Contains(s.Command, "--deny-public") {
			t.Errorf("audit after containment suggests another fence: %q", s.Command)
		}
	}
	check("audit after containment", auditCmds(r))

	d := reported("report after containment")
	if !slices.Equal(d.Summary.AttackerIPs, []string{attacker}) {
		t.Errorf("report after containment: attacker IPs %v, want [%s]", d.Summary.AttackerIPs, attacker)
	}
	onset, _ := time.Parse(time.RFC3339, "2000-01-01T00:00:00Z")
	for _, s := range r.Sources {
		if s.IP == attacker {
			onset = s.FirstSeen
		}
	}
	if !d.Summary.FirstSuspicious.Equal(onset) || d.Summary.TimeToContainS != int64(d.Summary.ContainedAt.Sub(onset)/time.Second) {
		t.Errorf("report: onset %s (want the attacker's first call %s), contained %s, %ds", d.Summary.FirstSuspicious, onset, d.Summary.ContainedAt, d.Summary.TimeToContainS)
	}
	check("report after containment", reportCmds(d))

	// 5. Rotate to the end: the application moves to the new key.
	secretFile := filepath.Join(t.TempDir(), "new-key.json")
	must("rotate", key, "--secret-file", secretFile, "--yes")
	b, err := os.ReadFile(secretFile)
	if err != nil {
		t.Fatal(err)
	}
	var nk struct {
		AccessKeyID     string `json:"access_key_id"`
		AccessKeySecret string `json:"access_key_secret"`
	}
	if err := json.Unmarshal(b, &nk); err != nil || nk.AccessKeyID == "" {
		t.Fatalf("secret file: %v", err)
	}
	if err := call(as(nk.AccessKeyID, nk.AccessKeySecret, office), "ecs", "DescribeInstances", map[string]string{"RegionId": "cn-hangzhou"}); err != nil {
		t.Fatalf("the new key from the office: %v", err)
	}
	if err := call(as(nk.AccessKeyID, nk.AccessKeySecret, attacker), "ecs", "DescribeInstances", map[string]string{"RegionId": "cn-hangzhou"}); err == nil {
		t.Error("the new key accepts the attacker's source")
	}
	must("rotate", key, "--quiet-for", "0s", "--observe", "0s", "--yes")
	r = audited("audit during rotation")
	check("audit during rotation", auditCmds(r))
	must("rotate", key, "--delete", "--yes")

	// 6. After the rotation: nothing acts on the deleted key but the undo
	// of its containment (the deny policy on the owner outlives it).
	r = audited("audit after rotation")
	for _, s := range r.Verdict.NextSteps {
		// eradicate acts on what the attacker created, not on the key.
		f := strings.Fields(s.Command)
		if len(f) > 2 && f[2] == key && f[1] != "report" && f[1] != "audit" && f[1] != "eradicate" && s.Command != "akresp contain "+key+" --undo --all" {
			t.Errorf("audit after rotation suggests %q for the deleted key", s.Command)
		}
	}
	if !slices.Contains(auditCmds(r), "akresp contain "+key+" --undo --all") {
		t.Errorf("audit after rotation: the deny policy contain attached is still on the owner; want its undo suggested, got %q", auditCmds(r))
	}
	if !slices.Contains(auditCmds(r), "akresp eradicate "+key+" --yes") {
		t.Errorf("audit after rotation: the attacker's user remains; want eradicate suggested, got %q", auditCmds(r))
	}
	check("audit after rotation", auditCmds(r))
	d = reported("report after rotation")
	if !slices.Equal(d.Summary.AttackerIPs, []string{attacker}) {
		t.Errorf("final report: attacker IPs %v, want [%s]", d.Summary.AttackerIPs, attacker)
	}
	eradicate := false
	for _, c := range reportCmds(d) {
		if strings.Contains(c, "--contain-created") {
			t.Errorf("final report suggests %q for a deleted key", c)
		}
		eradicate = eradicate || c == "akresp eradicate "+key+" --yes"
	}
	if !eradicate {
		t.Errorf("final report: the attacker's user, instances and opened rule remain, but eradicate is not suggested: %q", reportCmds(d))
	}
	if d.Cost == nil || d.Cost.Planned == 0 {
		t.Errorf("final report: no cost section for the attacker's instances: %+v", d.Cost)
	}
	check("report after rotation", reportCmds(d))
}

// TestUnknownKeyAuditReport: a key that does not exist is the same runtime
// error (exit 1, "no AccessKey ... in account ...", request ID) from audit
// and report, never a verdict; offline, the trail is audited as before.
func TestUnknownKeyAuditReport(t *testing.T) {
	endpoint, _ := adminLab(t)
	const typo = "LTAI5tAPPPRODLEAKED00009"
	for _, args := range [][]string{
		{"audit", typo},
		{"audit", typo, "-o", "json"},
		{"report", typo, "--out", t.TempDir()},
	} {
		code, out, msg := runLab(endpoint, append([]string{"--state-dir", t.TempDir()}, args...)...)
		if code != ExitRuntime || !strings.Contains(msg, "no AccessKey "+typo+" in account 1234567890123456") || !strings.Contains(msg, "(request ") {
			t.Errorf("%v: exit %d, stderr %q", args, code, msg)
		}
		if strings.Contains(out, "verdict") {
			t.Errorf("%v: printed a verdict:\n%s", args, out)
		}
	}
}

// TestDeletedKeySaysAkrespDeletedIt: a key akresp deleted (its journal
// says when) is no typo: the unknown-key error says when akresp deleted
// it and where it can still be restored from, and which commands still
// read the incident; a key no journal knows keeps the typo advice, with
// the recycle bin as the hint (never "gone for good").
func TestDeletedKeySaysAkrespDeletedIt(t *testing.T) {
	endpoint, _ := adminLab(t)
	const gone = "LTAI5tAPPPRODLEAKED00009"
	deletedAt := time.Date(2026, 12, 7, 20, 56, 31, 0, time.UTC)
	withJournal := t.TempDir()
	j, err := journal.Open(withJournal, gone, "delete", func() time.Time { return deletedAt })
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(journal.Record{Time: deletedAt, Kind: journal.KindOutcome, Result: journal.ResultOK, Action: "delete-key", Target: gone, ActionID: "delete:" + gone}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		state string
		want  []string
	}{
		{withJournal, []string{"no AccessKey " + gone + " in account 1234567890123456", "akresp deleted it at 2026-12-07T20:56:31Z",
			"hint: it can be restored from the IMS AccessKey recycle bin", "akresp report " + gone}},
		{t.TempDir(), []string{"check the key ID for a typo", "hint: a RAM user's deleted key stays in the IMS AccessKey recycle bin"}},
	} {
		code, _, msg := runLab(endpoint, "--state-dir", tc.state, "disable", gone, "--enable", "--dry-run")
		if code != ExitRuntime {
			t.Errorf("exit %d, want %d: %s", code, ExitRuntime, msg)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("stderr %q\nwant %q", msg, w)
			}
		}
		if strings.Contains(msg, "gone for good") {
			t.Errorf("stderr %q: a deleted key is in the recycle bin for a while", msg)
		}
	}
}

// TestBackdoorKeyInheritsTheIncident: the attacker's key in builtin:leak
// (svc-backup's, made with the leaked key from 127.0.0.66 and used from
// there only) audited alone looks like a key in use from its own baseline.
// Once the leaked key's audit has journaled it among the keys its attacker
// created, its audit flags 127.0.0.66, trusts nothing, and sends the
// responder to the leaked key's eradicate.
func TestBackdoorKeyInheritsTheIncident(t *testing.T) {
	endpoint, info := adminLab(t)
	state := t.TempDir()
	leaked := info.Credentials["app-prod"].AccessKeyID
	const backdoor = "LTAI5tSVCBACKUP7Hq200000"
	auditKey := func(key string) audit.Result {
		t.Helper()
		code, out, errOut := runLab(endpoint, "--state-dir", state, "audit", key, "-o", "json")
		if code != ExitOK {
			t.Fatalf("audit %s: exit %d: %s", key, code, errOut)
		}
		var r audit.Result
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	alone := auditKey(backdoor)
	if alone.Verdict.Status == audit.StatusSuspectedLeak || !slices.Contains(alone.Verdict.SuggestedTrustedCIDRs, "127.0.0.66/32") {
		t.Fatalf("test bug: alone, the backdoor key's audit should trust its only source: %s %v", alone.Verdict.Status, alone.Verdict.SuggestedTrustedCIDRs)
	}
	if r := auditKey(leaked); !slices.Contains(r.AttackerKeys(), backdoor) {
		t.Fatalf("the leaked key's audit does not list %s among the attacker's keys: %+v", backdoor, r.Created)
	}
	r := auditKey(backdoor)
	if r.Verdict.Status != audit.StatusSuspectedLeak || len(r.Verdict.SuggestedTrustedCIDRs) != 0 {
		t.Errorf("verdict %s, suggested %v: want a suspected leak trusting nothing", r.Verdict.Status, r.Verdict.SuggestedTrustedCIDRs)
	}
	if len(r.Verdict.NextSteps) == 0 || r.Verdict.NextSteps[0].Command != "akresp eradicate "+leaked {
		t.Errorf("next steps %+v: want akresp eradicate %s first", r.Verdict.NextSteps, leaked)
	}
	// Rotating the attacker's key would give its user a fresh one: refused.
	code, _, msg := runLab(endpoint, "--state-dir", state, "rotate", backdoor, "--secret-file", filepath.Join(t.TempDir(), "new.json"), "--dry-run")
	if code != ExitSafetyRail || !strings.Contains(msg, "safety rail attacker-created-key") ||
		!strings.Contains(msg, "akresp eradicate "+leaked) {
		t.Errorf("rotate the backdoor key: exit %d, stderr %q", code, msg)
	}
	// contain's own audit reads the same record: nothing to trust, so no
	// fence "to the sources that used it" (the attacker's).
	code, out, msg := runLab(endpoint, "--state-dir", state, "contain", backdoor, "--trusted-from-audit", "--dry-run")
	if code != ExitUsage || !strings.Contains(msg, "the audit suggests no trusted source IPs") || strings.Contains(out, "127.0.0.66/32") {
		t.Errorf("contain --trusted-from-audit of the backdoor key: exit %d, stderr %q\n%s", code, msg, out)
	}
	// Disabled, it is left to the leaked key's eradicate, not re-enabled
	// or deleted on its own.
	code, out, msg = runLab(endpoint, "--state-dir", state, "disable", backdoor, "--yes")
	if all := out + msg; code != ExitOK || !strings.Contains(all, "remove it with the attacker's other footholds: akresp eradicate "+leaked) ||
		strings.Contains(all, "--enable") {
		t.Errorf("disable the backdoor key: exit %d\n%s%s", code, out, msg)
	}
}

// adminLab starts builtin:leak and points the environment's credentials at
// its admin (explicit, so the chain never probes the metadata address).
func adminLab(t *testing.T) (endpoint string, info *lab.ScenarioInfo) {
	t.Helper()
	clearAkrespEnv(t)
	srv, info, _ := leakLab(t)
	admin := info.Credentials["admin"]
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", admin.AccessKeyID)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", admin.AccessKeySecret)
	t.Setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
	return "http://" + srv.Addr(), info
}

// runLab runs one command line against the lab at endpoint and returns
// its exit code, stdout and stderr.
func runLab(endpoint string, args ...string) (code int, stdout, stderr string) {
	ios, _, out, errOut := TestStreams()
	f := NewFactory(ios)
	f.Cloud = func(ctx context.Context) (*cloud.Clients, error) {
		return cloud.New(ctx, cloud.Config{Endpoint: endpoint, RateScale: 1000, MaxAttempts: 3, Timeout: 30 * time.Second})
	}
	code = Run(context.Background(), f, append([]string{"--endpoint", endpoint}, args...))
	return code, out.String(), errOut.String()
}
