package audit

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// -update rewrites the golden files (and docs/rules.md). It is registered
// only if no other test file of the package did, so that the package's
// test files can share the flag.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// golden compares got with testdata/golden/name, or rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -run %s -update to accept):\n%s", name, t.Name(), cmp.Diff(string(want), string(got)))
	}
}

// goldenResult is the leak scenario with every part of the Result filled.
func goldenResult() *Result {
	opts := baseOptions()
	opts.LeakTime = leakStart.Add(-30 * time.Minute)
	opts.Facts = KeyFacts{
		AccessKeyID: testKey, Owner: "app-deployer", OwnerType: "ram-user", AccountID: testAccount, Status: "Active",
		Created: time.Date(2024, 1, 15, 8, 0, 0, 0, time.UTC), AgeDays: 421,
		LastUsed: leakStart.Add(8 * time.Minute), LastUsedService: "Actiontrail", LastUsedIPs: []string{attacker},
	}
	evs := leakScenario()
	evs = append(evs, tev(leakStart.Add(9*time.Minute), attacker, "Ecs", "DescribeInstances",
		withUA("aliyun-cli/3.0.200 \x1b[31mred"), withRes("ACS::ECS::Instance", "i-prod-db"), withParams("InstanceId", "i-prod-db")))
	e := NewEngine(opts)
	for _, x := range evs {
		e.Add(x)
	}
	e.AddDiagnostic(Diagnostic{Level: "warning", Source: "trail-2.json.gz", Summary: "line 12: unexpected end of JSON", Detail: "record skipped"})
	return e.Result()
}

// TestResultJSONGolden: the Result of the leak scenario, every part
// filled, encoded as JSON (the document -o json prints). The people's
// renderings of a Result are internal/cli's (audit_render_*_test.go).
func TestResultJSONGolden(t *testing.T) {
	r := goldenResult()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	golden(t, "leak.json", b.Bytes())
}

// TestEmptyResult: with no events the verdict is idle (info), there are
// no findings, and the next step is to disable the unused key.
func TestEmptyResult(t *testing.T) {
	r := NewEngine(Options{KeyID: testKey, Now: testNow}).Result()
	if r.Verdict.Status != StatusIdle || r.Verdict.Severity != Info || len(r.Findings) != 0 {
		t.Errorf("verdict %s (%s), %d findings; want idle (info), none", r.Verdict.Status, r.Verdict.Severity, len(r.Findings))
	}
	var cmds []string
	for _, s := range r.Verdict.NextSteps {
		cmds = append(cmds, s.Command)
	}
	if !slices.Contains(cmds, "akresp disable "+testKey) {
		t.Errorf("next steps %q lack akresp disable %s", cmds, testKey)
	}
}

// TestNoSecrets: an event whose response carries a secret (as STS and old
// CreateAccessKey samples do) never lets it into the result. (The CLI's
// renderers, which print only the Result, are checked in
// internal/cli TestAuditRenderKeepsSecretsOut.)
func TestNoSecrets(t *testing.T) {
	const secret = "SuperSecretValue0123456789abcd"
	evSeq = 0
	evs := officeWeek(leakStart.Add(-2 * time.Hour))
	evs = append(evs,
		intruder(work, "Ram", "CreateAccessKey", withParams("UserName", "svc", "AccessKeySecret", secret, "Password", secret),
			withResp(map[string]any{"AccessKey": map[string]any{"AccessKeyId": "LTAI5tNew", "AccessKeySecret": secret}})),
		intruder(work, "Sts", "AssumeRole", withParams("RoleArn", "acs:ram::1:role/r"),
			withResp(map[string]any{"Credentials": map[string]any{"AccessKeyId": "STS.x", "AccessKeySecret": secret, "SecurityToken": secret}})),
		intruder(work, "Ram", "CreateLoginProfile", withParams("UserName", "svc", "Password", secret)),
	)
	r := runEngine(baseOptions(), evs)
	all, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(all, []byte(secret)) {
		t.Fatal("a secret reached the result")
	}
	if !bytes.Contains(all, []byte("LTAI5tNew")) {
		t.Error("the created key id is missing")
	}
}

// A 90-day OSS delivery is tens of thousands of files: the Result (and so
// -o json) keeps every input read; the terminal and markdown name the
// first few and count the rest (internal/cli TestWindowFactsCountsManyInputs).
func TestResultKeepsEveryInputRead(t *testing.T) {
	r := goldenResult()
	r.Window.Sources = nil
	for i := range 10000 {
		r.Window.Sources = append(r.Window.Sources, fmt.Sprintf("trail:AliyunLogs/ActionTrail/cn-hangzhou/2026/09/01/f%05d.json.gz", i))
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Window.Sources) != 10000 || !strings.HasSuffix(back.Window.Sources[9999], "f09999.json.gz") {
		t.Errorf("-o json keeps %d of the 10000 inputs read", len(back.Window.Sources))
	}
}
