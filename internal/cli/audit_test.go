package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/redact"
)

const auditKey = "LTAI5tAPPPRODLEAKED00001"

func TestNewCmdAuditParse(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	runParseCases(t, now, newCmdAudit, []parseCase[AuditOptions]{
		{name: "online defaults", args: auditKey, check: func(t *testing.T, o *AuditOptions) {
			if o.KeyID != auditKey || o.offline() || !o.since.IsZero() || o.failOK || o.bhTZ == nil {
				t.Errorf("%+v", o)
			}
		}},
		{name: "since days", args: auditKey + " --since 7d --until 1d", check: func(t *testing.T, o *AuditOptions) {
			if !o.since.Equal(now.Add(-7*24*time.Hour)) || !o.until.Equal(now.Add(-24*time.Hour)) {
				t.Errorf("since %v until %v", o.since, o.until)
			}
		}},
		{name: "since rfc3339", args: auditKey + " --since 2026-02-20T00:00:00Z", check: func(t *testing.T, o *AuditOptions) {
			if !o.since.Equal(time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("since %v", o.since)
			}
		}},
		{name: "trail implies offline", args: auditKey + " --trail a.json.gz --trail dir --sls-log s.jsonl", check: func(t *testing.T, o *AuditOptions) {
			if !o.offline() || len(o.Trails) != 2 || len(o.SLSLogs) != 1 {
				t.Errorf("%+v", o)
			}
		}},
		{name: "trail with online", args: auditKey + " --trail a --online", check: func(t *testing.T, o *AuditOptions) {
			if o.offline() {
				t.Error("--online ignored")
			}
		}},
		{name: "offline old since", args: auditKey + " --trail a --since 400d", check: func(t *testing.T, o *AuditOptions) {
			if !o.since.Equal(now.Add(-400 * 24 * time.Hour)) {
				t.Errorf("since %v", o.since)
			}
		}},
		{name: "engine flags", args: auditKey + " --leak-time 2026-02-27T02:40:00Z --trusted-cidr 10.0.0.0/8,127.0.0.10 --business-hours always --bh-tz UTC --fail-on HIGH", check: func(t *testing.T, o *AuditOptions) {
			if o.leakTime.IsZero() || len(o.trusted) != 2 || o.hours != audit.AlwaysBusinessHours() || o.bhTZ.String() != "UTC" || !o.failOK || o.failOn != audit.High {
				t.Errorf("%+v", o)
			}
		}},
		{name: "idle", args: "--idle --idle-days 30 --max-age-days 180 --credential-report never --fail-on medium", check: func(t *testing.T, o *AuditOptions) {
			if !o.Idle || o.IdleDays != 30 || o.MaxAgeDays != 180 || o.CredentialReport != "never" || o.failOn != audit.Medium {
				t.Errorf("%+v", o)
			}
		}},
		{name: "sls", args: auditKey + " --sls trail-proj/actiontrail_main --since 180d", check: func(t *testing.T, o *AuditOptions) {
			if o.offline() || o.slsTarget.Project != "trail-proj" || o.slsTarget.Logstore != "actiontrail_main" || o.slsEndpoint != "" || o.SLSTopic != audit.DefaultSLSTopic || !o.since.Equal(now.Add(-180*24*time.Hour)) {
				t.Errorf("%+v", o)
			}
		}},
		{name: "sls endpoint and topic", args: auditKey + " --sls trail-proj/actiontrail_main --sls-endpoint 127.0.0.1:4417 --sls-topic actiontrail_event", check: func(t *testing.T, o *AuditOptions) {
			if o.slsEndpoint != "http://127.0.0.1:4417" || o.SLSTopic != "actiontrail_event" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "sls public endpoint is https", args: auditKey + " --sls trail-proj/actiontrail_main --sls-endpoint cn-shanghai.log.aliyuncs.com", check: func(t *testing.T, o *AuditOptions) {
			if o.slsEndpoint != "https://cn-shanghai.log.aliyuncs.com" {
				t.Errorf("endpoint %q", o.slsEndpoint)
			}
		}},
		{name: "sls bad target", args: auditKey + " --sls trail-proj", wantErr: "--sls: sls target", wantCode: ExitUsage},
		{name: "sls with trail", args: auditKey + " --sls trail-proj/actiontrail_main --trail x", wantErr: "drop --trail", wantCode: ExitUsage},
		{name: "sls with offline", args: auditKey + " --sls trail-proj/actiontrail_main --offline", wantErr: "drop --offline", wantCode: ExitUsage},
		{name: "sls bad endpoint", args: auditKey + " --sls trail-proj/actiontrail_main --sls-endpoint ftp://x", wantErr: "--sls-endpoint", wantCode: ExitUsage},
		{name: "sls bad topic", args: auditKey + " --sls trail-proj/actiontrail_main --sls-topic a:b", wantErr: "--sls-topic", wantCode: ExitUsage},
		{name: "sls endpoint without sls", args: auditKey + " --sls-endpoint 127.0.0.1:1", wantErr: "--sls-endpoint applies only with --sls", wantCode: ExitUsage},
		{name: "idle with sls", args: "--idle --sls p1x/l_2", wantErr: "--sls applies to the audit of one key", wantCode: ExitUsage},
		{name: "online window too long", args: auditKey + " --since 120d", wantErr: "ActionTrail keeps 90 days; use --trail for older exports", wantCode: ExitUsage},
		{name: "no key", args: "", wantErr: "needs an AccessKey ID", wantCode: ExitUsage},
		{name: "bad key", args: "not-a-key", wantErr: "AccessKey ID", wantCode: ExitUsage},
		{name: "idle with key", args: auditKey + " --idle", wantErr: "drop the AccessKey ID", wantCode: ExitUsage},
		{name: "idle with trail", args: "--idle --trail x", wantErr: "--trail applies to the audit of one key", wantCode: ExitUsage},
		{name: "idle-days without idle", args: auditKey + " --idle-days 3", wantErr: "only to audit --idle", wantCode: ExitUsage},
		{name: "bad fail-on", args: auditKey + " --fail-on info", wantErr: "want low, medium, high or critical", wantCode: ExitUsage},
		{name: "bad since", args: auditKey + " --since yesterday", wantErr: "--since \"yesterday\"", wantCode: ExitUsage},
		{name: "until before since", args: auditKey + " --since 2d --until 3d", wantErr: "is before --since", wantCode: ExitUsage},
		{name: "bad cidr", args: auditKey + " --trusted-cidr 10.0.0.0/33", wantErr: "--trusted-cidr", wantCode: ExitUsage},
		{name: "bad hours", args: auditKey + " --business-hours nine-to-five", wantErr: "--business-hours", wantCode: ExitUsage},
		{name: "bad bh-tz", args: auditKey + " --bh-tz Mars/Olympus", wantErr: "--bh-tz", wantCode: ExitUsage},
		{name: "offline without input", args: auditKey + " --offline", wantErr: "--offline needs", wantCode: ExitUsage},
		{name: "bad report mode", args: "--idle --credential-report sometimes", wantErr: "auto, always or never", wantCode: ExitUsage},
		{name: "bad parallelism", args: "--idle --parallelism 0", wantErr: "--parallelism", wantCode: ExitUsage},
	})
}

// TestRunAuditLab runs `akresp audit` against the lab's builtin:leak and the
// idle-sweep scenario: table, json, markdown and csv output, --fail-on exit
// codes, and an offline audit that never asks for credentials.
func TestRunAuditLab(t *testing.T) {
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	start := func(ref string) (*lab.Server, *lab.ScenarioInfo, *cloud.Clients) {
		sc, err := lab.LoadScenario(ref)
		if err != nil {
			t.Fatal(err)
		}
		w, info, err := sc.Build(time.Now().UTC())
		if err != nil {
			t.Fatal(err)
		}
		srv, err := lab.New(lab.Options{World: w})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		cred := info.Credentials["admin"]
		c, err := cloud.New(context.Background(), cloud.Config{Endpoint: "http://" + srv.Addr(), MaxAttempts: 2, RateScale: 1000, Version: "test",
			Credential: &cloud.StaticCredential{AccessKeyID: cred.AccessKeyID, AccessKeySecret: redact.Secret(cred.AccessKeySecret)}})
		if err != nil {
			t.Fatal(err)
		}
		return srv, info, c
	}
	srv, info, c := start("builtin:leak")
	run := func(output string, args ...string) (string, string, error) {
		ios, _, out, errOut := TestStreams()
		f := &Factory{IO: ios, Now: time.Now,
			Settings: func() (*Settings, error) { return &Settings{Output: output, TZ: time.UTC}, nil },
			Cloud: func(context.Context) (*cloud.Clients, error) {
				if c == nil {
					return nil, errors.New("no credentials in this test")
				}
				return c, nil
			}}
		cmd := newCmdAudit(f, nil)
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		cmd.SetArgs(args)
		cmd.SetOut(out)
		cmd.SetErr(errOut)
		err := cmd.Execute()
		return out.String(), errOut.String(), err
	}
	leaked := info.Notes["leaked_key_id"]

	out, _, err := run(FormatTable, leaked, "--fail-on", "high")
	if exitCode(err, true) != ExitFindings {
		t.Fatalf("--fail-on high on the leaked key: %v\n%s", err, out)
	}
	for _, want := range []string{"VERDICT: SUSPECTED LEAK", "akresp contain " + leaked + " --allow-ip", info.Notes["office_ip"] + "/32", info.Notes["attacker_ip"], info.Notes["created_user"], "FINDINGS", "SOURCE IPS", "CAVEATS"} {
		if !strings.Contains(out, want) {
			t.Errorf("table output lacks %q:\n%s", want, out)
		}
	}

	out, _, err = run(FormatJSON, leaked)
	if err != nil {
		t.Fatal(err)
	}
	var res audit.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("stdout is not one JSON document: %v", err)
	}
	if res.SchemaVersion != audit.SchemaVersion || res.Verdict.Status != audit.StatusSuspectedLeak || res.Key.Owner != info.Notes["leaked_user"] {
		t.Errorf("json: %s %s %+v", res.SchemaVersion, res.Verdict.Status, res.Key)
	}

	out, _, err = run(FormatMarkdown, leaked, "--fail-on", "critical")
	if !strings.HasPrefix(out, "# AccessKey audit: "+leaked) || !strings.Contains(out, "## Findings") {
		t.Errorf("markdown:\n%s", out)
	}
	if res.MaxSeverity() >= audit.Critical != (exitCode(err, true) == ExitFindings) {
		t.Errorf("--fail-on critical: exit %d with max severity %s", exitCode(err, true), res.MaxSeverity())
	}

	// The office-only key passes --fail-on high.
	if out, _, err := run(FormatTable, "LTAI5tREPORTING000000000", "--fail-on", "high"); err != nil {
		t.Errorf("office-only key with --fail-on high: %v\n%s", err, out)
	}

	// Offline: no credentials needed, same verdict.
	var raws []json.RawMessage
	for _, ev := range srv.Events() {
		if ev.UserIdentity.AccessKeyID == leaked {
			raws = append(raws, ev.MarshalRaw())
		}
	}
	trail := filepath.Join(t.TempDir(), "trail.json")
	b, _ := json.Marshal(raws)
	if err := os.WriteFile(trail, b, 0o600); err != nil {
		t.Fatal(err)
	}
	saved := c
	c = nil
	out, _, err = run(FormatCSV, leaked, "--trail", trail)
	c = saved
	if err != nil {
		t.Fatalf("offline audit asked for the cloud: %v", err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) < 2 || rows[0][0] != "id" || rows[0][1] != "severity" {
		t.Errorf("csv: %v\n%s", err, out)
	}

	// --log-level debug: each stage of the offline audit with the time
	// since the start, and when the output was written (where a long
	// audit's time goes); the document on stdout is unchanged.
	{
		ios, _, out, errOut := TestStreams()
		f := &Factory{IO: ios, Now: time.Now,
			Settings: func() (*Settings, error) { return &Settings{Output: FormatJSON, TZ: time.UTC}, nil },
			Logger:   func() *slog.Logger { return newLogger(errOut, slog.LevelDebug, "text") }}
		cmd := newCmdAudit(f, nil)
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		cmd.SetArgs([]string{leaked, "--trail", trail})
		cmd.SetOut(out)
		cmd.SetErr(errOut)
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		log := errOut.String()
		for _, want := range []string{`msg="audit stage" key=` + leaked + ` stage="reading trail files" elapsed=`, `stage="running the rules" elapsed=`, `msg="audit output written" key=` + leaked + ` elapsed=`} {
			if !strings.Contains(log, want) {
				t.Errorf("debug log lacks %q:\n%s", want, log)
			}
		}
		var doc audit.Result
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc.Key.AccessKeyID != leaked {
			t.Errorf("stdout with --log-level debug: %v\n%s", err, out)
		}
	}

	// The idle sweep: table, json, csv and --fail-on.
	_, info2, c2 := start(filepath.Join("..", "..", "testdata", "scenarios", "idle-sweep.json"))
	c = c2
	out, _, err = run(FormatTable, "--idle")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"IDLE SWEEP", info2.Notes["never_used_key_id"], "never_used", "idle", "unrotated", "root_key_used", "console_without_mfa", "disabled_lingering"} {
		if !strings.Contains(out, want) {
			t.Errorf("sweep table lacks %q:\n%s", want, out)
		}
	}
	out, _, err = run(FormatJSON, "--idle", "--fail-on", "critical")
	if exitCode(err, true) != ExitFindings {
		t.Errorf("--idle --fail-on critical with a used root key: %v", err)
	}
	var sw audit.SweepResult
	if err := json.Unmarshal([]byte(out), &sw); err != nil || sw.SchemaVersion != audit.SweepSchemaVersion || sw.Summary.NeverUsed != 1 || sw.Summary.RootKeysUsed != 1 {
		t.Errorf("sweep json: %v %+v", err, sw.Summary)
	}
	out, _, err = run(FormatCSV, "--idle", "--idle-days", "10000", "--max-age-days", "10000", "--credential-report", "never", "--fail-on", "critical")
	if err != nil {
		t.Errorf("--fail-on critical without the report (root key unseen): %v", err)
	}
	rows, err = csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) < 8 || strings.Join(rows[0], ",") != "kind,user,access_key_id,status,created,age_days,last_used,days_unused,classes,severity,recommendation" {
		t.Errorf("sweep csv: %v\n%s", err, out)
	}
}
