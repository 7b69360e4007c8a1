package audit

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
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

func TestRenderGolden(t *testing.T) {
	r := goldenResult()
	cases := []struct {
		name   string
		render func(*bytes.Buffer) error
	}{
		{"leak.txt", func(b *bytes.Buffer) error { return RenderText(b, r, shanghai, 0) }},
		{"leak-120.txt", func(b *bytes.Buffer) error { return RenderText(b, r, shanghai, 120) }},
		{"leak.md", func(b *bytes.Buffer) error { return RenderMarkdown(b, r, shanghai) }},
		{"leak.json", func(b *bytes.Buffer) error {
			enc := json.NewEncoder(b)
			enc.SetIndent("", "  ")
			return enc.Encode(r)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.render(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, b.Bytes())
		})
	}
}

func TestRenderTextFitsWidth(t *testing.T) {
	r := goldenResult()
	for _, width := range []int{100, 120, 160} {
		var b bytes.Buffer
		if err := RenderText(&b, r, time.UTC, width); err != nil {
			t.Fatal(err)
		}
		inTable := false
		for _, line := range strings.Split(b.String(), "\n") {
			// Table rows are the lines between a column header and the next
			// blank line; free text (reasons, steps) is not cut.
			switch {
			case strings.HasPrefix(line, "  SEVERITY") || strings.HasPrefix(line, "  SERVICE") || strings.HasPrefix(line, "  SOURCE"):
				inTable = true
			case line == "":
				inTable = false
			}
			if inTable && len([]rune(line)) > width {
				t.Errorf("width %d: table line of %d columns: %q", width, len([]rune(line)), line)
			}
		}
	}
}

func TestRenderEmpty(t *testing.T) {
	r := NewEngine(Options{KeyID: testKey, Now: testNow}).Result()
	var text, md bytes.Buffer
	if err := RenderText(&text, r, nil, 80); err != nil {
		t.Fatal(err)
	}
	if err := RenderMarkdown(&md, r, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FINDINGS (0)", "VERDICT: IDLE (info)", "akresp disable " + testKey} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if !strings.Contains(md.String(), "**Verdict: idle (info).**") {
		t.Errorf("markdown lacks the verdict:\n%s", md.String())
	}
	if err := RenderText(&text, nil, nil, 0); err == nil {
		t.Error("RenderText(nil) succeeded")
	}
	if err := RenderMarkdown(&md, nil, nil); err == nil {
		t.Error("RenderMarkdown(nil) succeeded")
	}
}

// TestNoSecrets: an event whose response carries a secret (as STS and old
// CreateAccessKey samples do) never lets it into the result or a render.
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
	var all bytes.Buffer
	_ = json.NewEncoder(&all).Encode(r)
	_ = RenderText(&all, r, nil, 0)
	_ = RenderMarkdown(&all, r, nil)
	if bytes.Contains(all.Bytes(), []byte(secret)) {
		t.Fatal("a secret reached the result or its renderings")
	}
	if !bytes.Contains(all.Bytes(), []byte("LTAI5tNew")) {
		t.Error("the created key id is missing")
	}
}

// A 90-day OSS delivery is tens of thousands of files: the terminal and
// markdown name the first few and count the rest; -o json keeps them all.
func TestRenderReadFromCountsManyFiles(t *testing.T) {
	r := goldenResult()
	r.Window.Sources = nil
	for i := range 10000 {
		r.Window.Sources = append(r.Window.Sources, fmt.Sprintf("trail:AliyunLogs/ActionTrail/cn-hangzhou/2026/09/01/f%05d.json.gz", i))
	}
	var text, md bytes.Buffer
	if err := RenderText(&text, r, time.UTC, 120); err != nil {
		t.Fatal(err)
	}
	if err := RenderMarkdown(&md, r, time.UTC); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "markdown": md.String()} {
		if !strings.Contains(out, "f00004.json.gz and 9995 more") || strings.Contains(out, "f00005.json.gz") {
			t.Errorf("%s: Read from does not name 5 files and count 9,995:\n%.2000s", name, out)
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "f09999.json.gz") {
		t.Error("-o json dropped a file read")
	}
}
