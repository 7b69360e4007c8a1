package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/report"
	"github.com/akresp/akresp/internal/respond"
)

func TestNewCmdReportParse(t *testing.T) {
	runParseCases(t, fixedNow, newCmdReport, []parseCase[ReportOptions]{
		{name: "defaults", args: leakKey, check: func(t *testing.T, o *ReportOptions) {
			if o.offline() || o.OutDir != "" || o.PolicyName != report.DefaultDenyPolicyName || !o.since.IsZero() {
				t.Errorf("%+v", o)
			}
		}},
		{name: "window leak time trusted out", args: leakKey + " --since 7d --until 1h --leak-time 2026-03-10T02:40:00Z --trusted-cidr 127.0.0.10/31,198.51.100.7 --out /tmp/x", check: func(t *testing.T, o *ReportOptions) {
			if !o.since.Equal(fixedNow.Add(-7*24*time.Hour)) || !o.until.Equal(fixedNow.Add(-time.Hour)) {
				t.Errorf("window %s .. %s", o.since, o.until)
			}
			if !o.leakTime.Equal(time.Date(2026, 3, 10, 2, 40, 0, 0, time.UTC)) || len(o.trusted) != 2 || o.OutDir != "/tmp/x" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "trail implies offline", args: leakKey + " --trail testdata/none.json", check: func(t *testing.T, o *ReportOptions) {
			if !o.offline() {
				t.Error("--trail must imply offline")
			}
		}},
		{name: "trail with online", args: leakKey + " --trail x.json --online", check: func(t *testing.T, o *ReportOptions) {
			if o.offline() {
				t.Error("--online must keep the cloud")
			}
		}},
		{name: "bad key", args: "not-a-key", wantErr: "AccessKey ID", wantCode: ExitUsage},
		{name: "no key", args: "", wantErr: "exactly one AccessKey ID", wantCode: ExitUsage},
		{name: "two keys", args: leakKey + " " + leakKey, wantErr: "exactly one AccessKey ID", wantCode: ExitUsage},
		{name: "bad since", args: leakKey + " --since yesterday", wantErr: "--since", wantCode: ExitUsage},
		{name: "until before since", args: leakKey + " --since 1d --until 2d", wantErr: "before --since", wantCode: ExitUsage},
		{name: "since beyond retention", args: leakKey + " --since 100d", wantErr: "90 days", wantCode: ExitUsage},
		{name: "bad leak time", args: leakKey + " --leak-time monday", wantErr: "RFC 3339", wantCode: ExitUsage},
		{name: "bad cidr", args: leakKey + " --trusted-cidr 300.0.0.1", wantErr: "--trusted-cidr", wantCode: ExitUsage},
		{name: "offline without input", args: leakKey + " --offline", wantErr: "--offline needs", wantCode: ExitUsage},
		{name: "online and offline", args: leakKey + " --trail x --online --offline", wantErr: "contradict", wantCode: ExitUsage},
		{name: "empty policy name", args: leakKey + " --policy-name=", wantErr: "--policy-name", wantCode: ExitUsage},
		{name: "also", args: leakKey + " --also HTML,json --also markdown", check: func(t *testing.T, o *ReportOptions) {
			if strings.Join(o.Also, " ") != "html json markdown" {
				t.Errorf("also %q", o.Also)
			}
		}},
		{name: "also unknown format", args: leakKey + " --also pdf", wantErr: `--also "pdf": want markdown, json or html`, wantCode: ExitUsage},
	})
}

// --also writes more formats of the same document next to the -o one: the
// events are read once, the documents agree (same evidence hash), -o json
// alone reaches stdout, and a format named twice is written once.
func TestRunReportAlso(t *testing.T) {
	const key = "LTAI5tSampLeakedKey00001"
	dir := t.TempDir()
	ios, _, stdout, stderr := TestStreams()
	s := Settings{StateDir: dir, TZ: time.UTC, Output: FormatJSON}
	o := &ReportOptions{IO: ios, Now: func() time.Time { return fixedNow }, KeyID: key, PolicyName: report.DefaultDenyPolicyName, OutDir: dir,
		EventInputs: EventInputs{Trails: []string{"../../testdata/trails/events.jsonl"}}, Also: []string{"html", "markdown", "json", "html"},
		Settings: func() (*Settings, error) { return &s, nil },
	}
	if err := validateReport(o); err != nil {
		t.Fatal(err)
	}
	if err := runReport(context.Background(), o); err != nil {
		t.Fatalf("report --also: %v\n%s", err, stderr.String())
	}
	var doc report.Document
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil || doc.Evidence == nil {
		t.Fatalf("stdout is not the json report: %v", err)
	}
	for _, ext := range []string{"json", "html", "md"} {
		b, err := os.ReadFile(filepath.Join(dir, key+"-report."+ext))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(doc.Evidence.SHA256)) {
			t.Errorf("%s report does not carry the evidence hash %s of the json one", ext, doc.Evidence.SHA256)
		}
	}
	if n := strings.Count(stderr.String(), "report:   "); n != 3 {
		t.Errorf("%d report lines on stderr, want 3 (html named twice):\n%s", n, stderr.String())
	}
}

// TestReportOutputFormats checks -o against the formats report declares.
func TestReportOutputFormats(t *testing.T) {
	clearAkrespEnv(t)
	for _, tc := range []struct {
		args     []string
		want     string
		wantCode int
	}{
		{args: nil, want: FormatMarkdown},
		{args: []string{"-o", "html"}, want: FormatHTML},
		{args: []string{"-o", "json"}, want: FormatJSON},
		{args: []string{"-o", "table"}, wantCode: ExitUsage},
	} {
		te := newTestFactory(t)
		var got string
		cmd := newCmdReport(te.f, func(context.Context, *ReportOptions) error {
			s, err := te.f.Settings()
			if err != nil {
				return err
			}
			got = s.Output
			return nil
		})
		err := execUnder(t, te.f, nil, cmd, append([]string{leakKey}, tc.args...)...)
		if code := exitCode(err, true); code != tc.wantCode || got != tc.want {
			t.Errorf("%v: output %q exit %d (%v), want %q exit %d", tc.args, got, code, err, tc.want, tc.wantCode)
		}
	}
}

func TestRunReportLab(t *testing.T) {
	_, info, c := leakLab(t)
	dir := t.TempDir()
	ctx := context.Background()
	office := info.Notes["office_ip"]
	attacker := info.Notes["attacker_ip"]

	// Contain the key the way `akresp contain --allow-ip <office>` does.
	p, err := respond.PlanContain(ctx, c, respond.ContainOptions{KeyID: leakKey, ACL: respond.ACLRequest{AllowIPs: []string{office + "/32"}}, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := respond.Execute(ctx, p, respond.ExecOptions{StateDir: dir, Now: time.Now}); err != nil {
		t.Fatalf("contain: %v", err)
	}

	run := func(format string) (out, errOut, outDir string) {
		t.Helper()
		ios, _, stdout, stderr := TestStreams()
		outDir = filepath.Join(t.TempDir(), "report")
		s := Settings{StateDir: dir, TZ: time.UTC, Output: format}
		o := &ReportOptions{IO: ios, Now: time.Now, KeyID: leakKey, OutDir: outDir, PolicyName: report.DefaultDenyPolicyName, Version: "test",
			Settings:    func() (*Settings, error) { return &s, nil },
			Backend:     func(context.Context) (ReportCloud, error) { return c, nil },
			EventInputs: EventInputs{leakTime: mustTime(t, info.Notes["leak_time"])},
		}
		if err := runReport(ctx, o); err != nil {
			t.Fatalf("report -o %s: %v\n%s", format, err, stderr.String())
		}
		return stdout.String(), stderr.String(), outDir
	}

	secrets := []string{}
	for _, cr := range info.Credentials {
		secrets = append(secrets, cr.AccessKeySecret)
	}
	checkFiles := func(t *testing.T, outDir string) {
		t.Helper()
		ents, err := os.ReadDir(outDir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			p := filepath.Join(outDir, e.Name())
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v, want 0600", e.Name(), st.Mode().Perm())
			}
			b, _ := os.ReadFile(p)
			for _, s := range secrets {
				if s != "" && bytes.Contains(b, []byte(s)) {
					t.Fatalf("%s holds a secret", e.Name())
				}
			}
		}
		ev, _ := os.ReadFile(filepath.Join(outDir, leakKey+"-evidence.jsonl"))
		sum, _ := os.ReadFile(filepath.Join(outDir, leakKey+"-evidence.jsonl.sha256"))
		h := sha256.Sum256(ev)
		if want := hex.EncodeToString(h[:]) + "  " + leakKey + "-evidence.jsonl\n"; string(sum) != want {
			t.Errorf("checksum file %q, want %q", sum, want)
		}
		if n := bytes.Count(ev, []byte("\n")); n == 0 {
			t.Error("evidence file is empty")
		}
		if !bytes.Contains(ev, []byte(`"form":"raw"`)) || !bytes.Contains(ev, []byte(attacker)) {
			t.Error("evidence must hold the raw LookupEvents records, the attacker's among them")
		}
	}

	t.Run("markdown", func(t *testing.T) {
		out, errOut, outDir := run(FormatMarkdown)
		if out != "" {
			t.Errorf("markdown goes to a file, not stdout:\n%s", out)
		}
		path := filepath.Join(outDir, leakKey+"-report.md")
		if !strings.Contains(errOut, path) || !strings.Contains(errOut, leakKey+"-evidence.jsonl") {
			t.Errorf("stderr must name the files:\n%s", errOut)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		md := string(b)
		for _, want := range []string{
			"# Incident report: AccessKey `" + leakKey + "`",
			"**" + attacker + "**",                                    // the attacker IP, flagged
			"`svc-backup`",                                            // the persistence it created
			"contain: set-network-acl", "contain: attach-deny-policy", // containment with times
			"Time to contain", "**contained**",
			"## Open risks", "still active",
			"## Moving the workload to STS tokens", "app-prod-app", "ecs.aliyuncs.com",
			"sha256sum -c " + leakKey + "-evidence.jsonl.sha256",
			"Leak record (Security Center)", "found leaked at " + mdEscapeURL(info.Notes["leak_record_url"]), "pending in Security Center",
		} {
			if !strings.Contains(md, want) {
				t.Errorf("markdown lacks %q", want)
			}
		}
		checkFiles(t, outDir)
	})

	t.Run("html", func(t *testing.T) {
		_, _, outDir := run(FormatHTML)
		b, err := os.ReadFile(filepath.Join(outDir, leakKey+"-report.html"))
		if err != nil {
			t.Fatal(err)
		}
		h := string(b)
		for _, want := range []string{"<!DOCTYPE html>", "<svg", "Calls per", attacker, "svc-backup", "set-network-acl", "Open risks"} {
			if !strings.Contains(h, want) {
				t.Errorf("html lacks %q", want)
			}
		}
		leakURL := info.Notes["leak_record_url"]
		if !strings.Contains(h, "<td>found leaked at "+leakURL) {
			t.Error("html lacks the Security Center leak record line")
		}
		for _, banned := range []string{"<script", "http://", "https://", "<link", "@import", "href=\"" + leakURL} {
			// The leak record's URL is text in a cell, not an asset.
			if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(h, `xmlns="http://www.w3.org/2000/svg"`, ""), "found leaked at "+leakURL, ""), banned) {
				t.Errorf("html must be self-contained: found %q", banned)
			}
		}
		checkFiles(t, outDir)
	})

	t.Run("json", func(t *testing.T) {
		out, _, outDir := run(FormatJSON)
		var doc report.Document
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("stdout is not one JSON document: %v", err)
		}
		file, _ := os.ReadFile(filepath.Join(outDir, leakKey+"-report.json"))
		if string(file) != out {
			t.Error("the JSON file and stdout differ")
		}
		s := doc.Summary
		if doc.SchemaVersion != report.SchemaVersion || s.State != report.StateContained || s.Verdict != "suspected_leak" {
			t.Errorf("summary: %+v", s)
		}
		if len(s.AttackerIPs) != 1 || s.AttackerIPs[0] != attacker {
			t.Errorf("attacker IPs %v, want [%s]", s.AttackerIPs, attacker)
		}
		if s.ContainedAt.IsZero() || s.TimeToContainS <= 0 || !s.ContainedAt.After(s.FirstSuspicious) {
			t.Errorf("time to contain: first %s contained %s (%ds)", s.FirstSuspicious, s.ContainedAt, s.TimeToContainS)
		}
		created := map[string]string{}
		for _, ci := range doc.Created {
			created[ci.Kind+" "+ci.Name] = ci.State
		}
		if created["user svc-backup"] != "active" || created["access_key "+info.Notes["created_key_id"]] != "active" {
			t.Errorf("created identities: %v", created)
		}
		risks := map[string]bool{}
		for _, r := range doc.Risks {
			risks[r.ID] = true
		}
		for _, id := range []string{"key-still-active", "created-user-active", "resource-charges"} {
			if !risks[id] {
				t.Errorf("risk %s missing; have %v", id, risks)
			}
		}
		if risks["attacker-allowed"] {
			t.Error("the ACL blocks the attacker; no attacker-allowed risk expected")
		}
		if doc.STS == nil || doc.STS.RoleName != "app-prod-app" || len(doc.STS.Policies) == 0 {
			t.Errorf("sts plan: %+v", doc.STS)
		}
		if doc.Evidence == nil || doc.Evidence.Events == 0 || doc.Evidence.Raw != doc.Evidence.Events {
			t.Errorf("evidence: %+v", doc.Evidence)
		}
		if doc.Chart.Basis != "events" || len(doc.Chart.Buckets) == 0 {
			t.Errorf("chart: %+v", doc.Chart)
		}
		if lr := s.LeakRecords; len(lr) != 1 || lr[0].URL != info.Notes["leak_record_url"] || lr[0].Status != "pending" || lr[0].FoundAt.IsZero() ||
			!strings.HasPrefix(lr[0].Line, "found leaked at "+info.Notes["leak_record_url"]+" on ") {
			t.Errorf("leak records: %+v", lr)
		}
		resolve := ""
		for _, r := range doc.Recommendations {
			if r.ID == "resolve-leak-record" {
				resolve = r.Command
			}
		}
		if resolve != "akresp leaks resolve "+leakKey+" --yes" {
			t.Errorf("contained key with a pending leak record: resolve command %q", resolve)
		}
		checkFiles(t, outDir)
	})
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return v
}

// TestRunReportOffline reads trail files only: no cloud call, normalised
// evidence, other keys' events left out.
func TestRunReportOffline(t *testing.T) {
	const key = "LTAI5tSampLeakedKey00001"
	dir := t.TempDir()
	ios, _, stdout, stderr := TestStreams()
	s := Settings{StateDir: dir, TZ: time.UTC, Output: FormatJSON}
	o := &ReportOptions{IO: ios, Now: func() time.Time { return fixedNow }, KeyID: key, PolicyName: report.DefaultDenyPolicyName,
		EventInputs: EventInputs{Trails: []string{"../../testdata/trails/events.jsonl", "../../testdata/trails/actiontrail-delivery.json.gz"}},
		Settings:    func() (*Settings, error) { return &s, nil },
		Backend: func(context.Context) (ReportCloud, error) {
			t.Fatal("an offline report must not build cloud clients")
			return nil, nil
		},
	}
	if err := validateReport(o); err != nil {
		t.Fatal(err)
	}
	if err := runReport(context.Background(), o); err != nil {
		t.Fatalf("offline report: %v\n%s", err, stderr.String())
	}
	var doc report.Document
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Mode != "offline" || doc.Evidence == nil || doc.Evidence.Events == 0 || doc.Evidence.Raw != 0 || doc.Evidence.Normalised != doc.Evidence.Events {
		t.Fatalf("mode %s evidence %+v", doc.Mode, doc.Evidence)
	}
	// The default output directory is under the key's state directory.
	outDir := filepath.Join(dir, key, "report-"+fixedNow.Format("20060102T150405Z"))
	ev, err := os.ReadFile(filepath.Join(outDir, key+"-evidence.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ev, []byte("LTAI5tSampOfficeKey00002")) {
		t.Error("another key's events reached the evidence")
	}
	if !strings.Contains(stderr.String(), outDir) {
		t.Errorf("stderr must name %s:\n%s", outDir, stderr.String())
	}
}

// mdEscapeURL is how the markdown renderer escapes a URL in text
// (report's mdEscaper, for the characters a URL holds).
func mdEscapeURL(u string) string {
	return strings.NewReplacer("_", `\_`, "#", `\#`, "~", `\~`, "!", `\!`).Replace(u)
}

// noSAS is the lab cloud without Security Center permission.
type noSAS struct{ *cloud.Clients }

func (noSAS) AccessKeyLeaks(context.Context, cloud.LeakQuery) ([]cloud.LeakRecord, error) {
	return nil, errors.New("Forbidden.RAM: User not authorized to operate on the specified resource (yundun-aegis:DescribeAccesskeyLeakList)")
}

// Without SAS permission the report says so once and is otherwise whole.
func TestReportLeakRecordWithoutSAS(t *testing.T) {
	_, _, c := leakLab(t)
	ios, _, stdout, stderr := TestStreams()
	s := Settings{StateDir: t.TempDir(), TZ: time.UTC, Output: FormatJSON}
	o := &ReportOptions{IO: ios, Now: time.Now, KeyID: leakKey, OutDir: filepath.Join(t.TempDir(), "r"), PolicyName: report.DefaultDenyPolicyName,
		Settings: func() (*Settings, error) { return &s, nil },
		Backend:  func(context.Context) (ReportCloud, error) { return noSAS{c}, nil },
	}
	if err := runReport(context.Background(), o); err != nil {
		t.Fatalf("report without SAS: %v\n%s", err, stderr.String())
	}
	var doc report.Document
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range doc.Diagnostics {
		if strings.HasPrefix(d.Source, "sas:") {
			n++
			if !strings.Contains(d.Detail, "Forbidden.RAM") {
				t.Errorf("diagnostic detail %q", d.Detail)
			}
		}
	}
	if n != 1 || len(doc.Summary.LeakRecords) != 0 {
		t.Errorf("%d SAS diagnostics (want 1), %d leak records (want 0)", n, len(doc.Summary.LeakRecords))
	}
	if doc.Summary.Verdict != "suspected_leak" || doc.Summary.KeyStatus != "Active" || len(doc.Created) == 0 {
		t.Errorf("the rest of the report must still be made: %+v", doc.Summary)
	}
}
