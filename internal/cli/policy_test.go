package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/akresp/akresp/internal/policy"
)

func TestPolicyDenyHighRiskParse(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    DenyHighRiskOptions
		wantErr string
	}{
		{name: "defaults", want: DenyHighRiskOptions{Output: FormatJSON, MaxLength: 6144}},
		{name: "everything", args: []string{"--group", "ram,ecs", "--group", "audit", "--extended", "--add", "ram:Create*", "--add", "vpc:DeleteVpc", "--drop", "ram:CreateUser", "--max-length", "4000", "--compact"},
			want: DenyHighRiskOptions{Output: FormatJSON, Groups: []string{"ram", "ecs", "audit"}, Extended: true, Add: []string{"ram:Create*", "vpc:DeleteVpc"}, Drop: []string{"ram:CreateUser"}, MaxLength: 4000, Compact: true}},
		{name: "table", args: []string{"-o", "table"}, want: DenyHighRiskOptions{Output: FormatTable, MaxLength: 6144}},

		{name: "unknown group", args: []string{"--group", "net"}, wantErr: `unknown deny group "net"; known groups: ram, ecs,`},
		{name: "bad add", args: []string{"--add", "CreateUser"}, wantErr: `cannot add "CreateUser": action "CreateUser" has no product; write product:Action, for example ram:CreateUser`},
		{name: "drop absent", args: []string{"--drop", "ecs:RunInstances"}, wantErr: `cannot drop "ecs:RunInstances": the policy does not deny it`},
		{name: "drop all", args: []string{"--group", "ecs", "--drop", "ecs"}, wantErr: "the policy would deny nothing: every action was dropped"},
		{name: "too long", args: []string{"--extended", "--max-length", "2048"}, wantErr: "over the 2048-character limit"},
		{name: "zero max length", args: []string{"--max-length", "0"}, wantErr: "--max-length 0: must be at least 1"},
		{name: "compact with table", args: []string{"--compact", "-o", "table"}, wantErr: "--compact only applies to -o json"},
		{name: "csv", args: []string{"-o", "csv"}, wantErr: "--output csv is not supported by akresp policy deny-high-risk; use one of: json, table"},
		{name: "positional", args: []string{"ram"}, wantErr: `unknown command "ram" for "akresp policy deny-high-risk"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearAkrespEnv(t)
			te := newTestFactory(t)
			var got *DenyHighRiskOptions
			cmd := newCmdPolicyDenyHighRisk(te.f, func(_ context.Context, o *DenyHighRiskOptions) error {
				got = o
				return nil
			})
			err := execUnder(t, te.f, []string{"policy"}, cmd, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				if code := exitCode(err, true); code != ExitUsage && !strings.Contains(tt.wantErr, "unknown command") {
					t.Fatalf("exit code %d, want 2", code)
				}
				if got != nil {
					t.Fatal("runF was called despite the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got, cmpopts.IgnoreFields(DenyHighRiskOptions{}, "IO", "Printer"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
			if te.cloudCalls != 0 {
				t.Error("parse reached Cloud")
			}
		})
	}
}

func TestPolicyDenyHighRiskRun(t *testing.T) {
	plan, err := os.ReadFile("../policy/testdata/plan-example.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		opts       DenyHighRiskOptions
		tty        bool
		check      func(t *testing.T, stdout string)
		wantStderr string
	}{
		{name: "json is the plan example, one document", opts: DenyHighRiskOptions{Output: FormatJSON, MaxLength: 6144},
			check: func(t *testing.T, out string) {
				assertOneJSONDocument(t, out)
				eq, err := policy.SemanticallyEqual(out, string(plan))
				if err != nil || !eq {
					t.Fatalf("stdout is not semantically equal to the plan example (%v):\n%s", err, out)
				}
				if !strings.HasPrefix(out, "{\n  \"Version\": \"1\",\n  \"Statement\": [\n") {
					t.Errorf("stdout is not indented JSON:\n%s", out)
				}
			}},
		{name: "json on a terminal adds a summary on stderr only", tty: true, opts: DenyHighRiskOptions{Output: FormatJSON, MaxLength: 6144},
			check:      func(t *testing.T, out string) { assertOneJSONDocument(t, out) },
			wantStderr: "deny-high-risk policy: 6 statements, 39 actions, 1168 of 6144 characters\n"},
		{name: "compact", opts: DenyHighRiskOptions{Output: FormatJSON, MaxLength: 6144, Compact: true, Groups: []string{"ecs"}},
			check: func(t *testing.T, out string) {
				want := `{"Version":"1","Statement":[{"Effect":"Deny","Action":["ecs:DeleteInstance","ecs:DeleteInstances","ecs:DeregisterManagedInstance","ecs:ReleaseDedicatedHost"],"Resource":"*"}]}` + "\n"
				if out != want {
					t.Errorf("stdout\n got %q\nwant %q", out, want)
				}
			}},
		{name: "table off a terminal", opts: DenyHighRiskOptions{Output: FormatTable, MaxLength: 6144, Groups: []string{"ecs"}, Add: []string{"vpc:DeleteVpc"}},
			check: func(t *testing.T, out string) {
				want := "EFFECT  ACTION                         RESOURCE  GROUP\n" +
					"Deny    ecs:DeleteInstance             *         ecs\n" +
					"Deny    ecs:DeleteInstances            *         ecs\n" +
					"Deny    ecs:DeregisterManagedInstance  *         ecs\n" +
					"Deny    ecs:ReleaseDedicatedHost       *         ecs\n" +
					"Deny    vpc:DeleteVpc                  *         (added)\n"
				if diff := cmp.Diff(want, out); diff != "" {
					t.Errorf("table (-want +got):\n%s", diff)
				}
			}},
		{name: "table on a narrow terminal wraps", tty: true, opts: DenyHighRiskOptions{Output: FormatTable, MaxLength: 6144, Groups: []string{"ecs"}},
			check: func(t *testing.T, out string) {
				for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
					if w := len([]rune(line)); w > 40 {
						t.Errorf("line wider than the 40-column terminal (%d): %q", w, line)
					}
				}
				// Wrapped, not cut: the long action is there in two pieces.
				if strings.Contains(out, "…") || !strings.Contains(out, "ecs:DeregisterM") || !strings.Contains(out, "\n") {
					t.Errorf("not wrapped whole:\n%s", out)
				}
			},
			wantStderr: "deny-high-risk policy: 1 statements, 4 actions, 175 of 6144 characters\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := TestStreams()
			ios.SetStdoutTTY(tt.tty)
			ios.SetStderrTTY(tt.tty)
			ios.SetTerminalWidth(40)
			opts := tt.opts
			opts.IO = ios
			opts.Printer = PrintOptions{IO: ios}
			if err := runPolicyDenyHighRisk(context.Background(), &opts); err != nil {
				t.Fatal(err)
			}
			tt.check(t, out.String())
			if errOut.String() != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", errOut, tt.wantStderr)
			}
		})
	}
}

// assertOneJSONDocument checks stdout holds exactly one JSON value and a
// trailing newline, nothing else.
func assertOneJSONDocument(t *testing.T, out string) {
	t.Helper()
	if !strings.HasSuffix(out, "}\n") || strings.HasSuffix(out, "\n\n") {
		t.Fatalf("stdout does not end with one newline after the document: %q", out[max(0, len(out)-20):])
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON document:\n%s", out)
	}
}

func TestPolicyGroupsRun(t *testing.T) {
	for _, format := range []string{FormatJSON, FormatTable, FormatCSV, FormatMarkdown} {
		t.Run(format, func(t *testing.T) {
			ios, _, out, _ := TestStreams()
			if err := runPolicyGroups(context.Background(), &PolicyGroupsOptions{IO: ios, Output: format, Printer: PrintOptions{IO: ios}}); err != nil {
				t.Fatal(err)
			}
			s := out.String()
			switch format {
			case FormatJSON:
				assertOneJSONDocument(t, s)
				var l groupList
				if err := json.Unmarshal(out.Bytes(), &l); err != nil || l.SchemaVersion != "akresp.policy-groups/v2" || len(l.Groups) != len(policy.DenyGroups()) {
					t.Fatalf("groups JSON: %v %+v", err, l)
				}
			case FormatTable:
				if !strings.HasPrefix(s, "GROUP           DEFAULT  ACTIONS  DESCRIPTION\nram             true     18       ") {
					t.Errorf("table:\n%s", s)
				}
			case FormatCSV:
				if !strings.HasPrefix(s, "group,default,actions,description\nram,true,18,") {
					t.Errorf("csv:\n%s", s)
				}
			case FormatMarkdown:
				if !strings.HasPrefix(s, "| Group | Default | Actions | Description |\n| --- | --- | --- | --- |\n| ram | true | 18 |") {
					t.Errorf("markdown:\n%s", s)
				}
			}
		})
	}
}

func TestPolicyNetworkACLParse(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    NetworkACLOptions
		wantErr string
	}{
		{name: "allow ips", args: []string{"--allow-ip", "203.0.113.7,198.51.100.0/24", "--allow-ip", "2001:db8::/32"},
			want: NetworkACLOptions{Output: FormatJSON, AllowIPs: []string{"203.0.113.7", "198.51.100.0/24", "2001:db8::/32"}}},
		{name: "vpc keeps commas", args: []string{"--allow-vpc", "vpc-a1:10.0.0.0/8,172.16.0.0/12", "--deny-public"},
			want: NetworkACLOptions{Output: FormatJSON, AllowVPCs: []string{"vpc-a1:10.0.0.0/8,172.16.0.0/12"}, DenyPublic: true}},
		{name: "inactive alone", args: []string{"--inactive", "-o", "table"}, want: NetworkACLOptions{Output: FormatTable, Inactive: true}},

		{name: "nothing", wantErr: "nothing to allow: give --allow-ip, --allow-vpc or --deny-public (or --inactive to switch an ACL off)"},
		{name: "deny public with allow ip", args: []string{"--deny-public", "--allow-ip", "203.0.113.7"}, wantErr: "--deny-public and --allow-ip cannot be used together"},
		{name: "bad ip", args: []string{"--allow-ip", "203.0.113.300"}, wantErr: `--allow-ip: "203.0.113.300" is not an IP address or CIDR (for example 203.0.113.7 or 203.0.113.0/24)`},
		{name: "host bits", args: []string{"--allow-ip", "10.0.0.5/24"}, wantErr: `--allow-ip: "10.0.0.5/24" has host bits set; did you mean the network 10.0.0.0/24 or the single address 10.0.0.5/32?`},
		{name: "zone", args: []string{"--allow-ip", "fe80::1%eth0"}, wantErr: "has an IPv6 zone"},
		{name: "duplicate", args: []string{"--allow-ip", "203.0.113.7", "--allow-ip", "203.0.113.7/32"}, wantErr: `duplicate entry "203.0.113.7/32" (same as "203.0.113.7")`},
		{name: "bad vpc", args: []string{"--allow-vpc", "myvpc:10.0.0.0/8"}, wantErr: `VPC ID "myvpc" is not valid`},
		{name: "vpc without cidr", args: []string{"--allow-vpc", "vpc-a1"}, wantErr: `VPC allow list "vpc-a1" has no CIDRs`},
		{name: "compact table", args: []string{"--deny-public", "--compact", "-o", "table"}, wantErr: "--compact only applies to -o json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearAkrespEnv(t)
			te := newTestFactory(t)
			var got *NetworkACLOptions
			cmd := newCmdPolicyNetworkACL(te.f, func(_ context.Context, o *NetworkACLOptions) error { got = o; return nil })
			err := execUnder(t, te.f, []string{"policy"}, cmd, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				if exitCode(err, true) != ExitUsage {
					t.Fatalf("error %v is not a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got, cmpopts.IgnoreFields(NetworkACLOptions{}, "IO", "Printer"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPolicyNetworkACLRun(t *testing.T) {
	tests := []struct {
		name string
		opts NetworkACLOptions
		want string
	}{
		{"deny public compact", NetworkACLOptions{Output: FormatJSON, DenyPublic: true, Compact: true},
			`{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["127.0.0.1"]}]}` + "\n"},
		{"inactive", NetworkACLOptions{Output: FormatJSON, Inactive: true},
			"{\n  \"Version\": 1,\n  \"Status\": \"Inactive\",\n  \"Statements\": []\n}\n"},
		{"table", NetworkACLOptions{Output: FormatTable, AllowIPs: []string{"203.0.113.7"}, AllowVPCs: []string{"vpc-a1:10.0.0.0/8"}},
			"STATUS  TYPE              VPC     ALLOWED\nActive  ClassicWhiteList          203.0.113.7\nActive  VPCWhiteList      vpc-a1  10.0.0.0/8\n"},
		{"table of the switch-off document", NetworkACLOptions{Output: FormatTable, Inactive: true},
			"STATUS    TYPE  VPC  ALLOWED\nInactive             (no statements: every source allowed)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := TestStreams()
			opts := tt.opts
			opts.IO, opts.Printer = ios, PrintOptions{IO: ios}
			if err := runPolicyNetworkACL(context.Background(), &opts); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if errOut.Len() != 0 {
				t.Errorf("stderr = %q", errOut)
			}
		})
	}
}

func TestPolicyValidateRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"Version":"1","Statement":[{"Effect":"Deny","Action":["ram:CreateUser","ecs:DeleteInstance"],"Resource":"*"}]}`)
	acl := write("acl.json", `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["127.0.0.1","10.0.0.0/8"]}]}`)
	bad := write("bad.json", `{"Version":"1","Statement":[{"Effect":"deny","Action":"*","Resource":"*"}]}`)
	badACL := write("badacl.json", `{"Version":1,"Status":"On","Statements":[]}`)
	neither := write("neither.json", `{"Version":"1"}`)
	huge := write("huge.json", strings.Repeat(" ", maxPolicyFileBytes+1))

	tests := []struct {
		name       string
		path       string
		stdin      string
		output     string
		maxLen     int
		wantOut    string
		wantErr    string
		wantCode   int
		wantReport *ValidationReport
	}{
		{name: "valid policy", path: good, output: "text", wantOut: good + ": valid RAM policy (1 statements, 2 actions, 111 of 6144 characters)\n"},
		{name: "valid acl", path: acl, output: "text", wantOut: acl + ": valid AccessKey network ACL (Active, 1 statements, 2 entries)\n"},
		{name: "stdin", path: "-", stdin: `{"Status":"Inactive","Statements":[]}`, output: "text", wantOut: "stdin: valid AccessKey network ACL (Inactive, 0 statements, 0 entries)\n"},
		{name: "valid json", path: good, output: FormatJSON,
			wantReport: &ValidationReport{SchemaVersion: "akresp.policy-validate/v2", File: good, Kind: "ram-policy", Valid: true, Statements: 1, Actions: 2, Length: 111, MaxLength: 6144}},
		{name: "invalid policy", path: bad, output: "text", wantCode: 2, wantErr: bad + `: statement 1: Effect "deny" must be "Allow" or "Deny"`},
		{name: "invalid json report", path: bad, output: FormatJSON, wantCode: 2, wantErr: "must be \"Allow\" or \"Deny\"",
			wantReport: &ValidationReport{SchemaVersion: "akresp.policy-validate/v2", File: bad, Kind: "ram-policy", Valid: false, Problem: `statement 1: Effect "deny" must be "Allow" or "Deny"`}},
		{name: "too long", path: good, output: "text", maxLen: 50, wantCode: 2, wantErr: "policy document is 111 characters, over the 50-character limit"},
		{name: "invalid acl", path: badACL, output: "text", wantCode: 2, wantErr: `network ACL Status "On" must be "Active" or "Inactive"`},
		{name: "neither", path: neither, output: "text", wantCode: 2, wantErr: "neither a RAM policy"},
		{name: "missing file", path: filepath.Join(dir, "nope.json"), output: "text", wantCode: 2, wantErr: "read " + filepath.Join(dir, "nope.json") + ": no such file"},
		{name: "directory", path: dir, output: "text", wantCode: 1, wantErr: "read " + dir + ": "},
		{name: "huge", path: huge, output: "text", wantCode: 2, wantErr: "larger than 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, in, out, _ := TestStreams()
			in.WriteString(tt.stdin)
			maxLen := tt.maxLen
			if maxLen == 0 {
				maxLen = policy.DefaultMaxLength
			}
			err := runPolicyValidate(context.Background(), &PolicyValidateOptions{IO: ios, Output: tt.output, Printer: PrintOptions{IO: ios}, Path: tt.path, MaxLength: maxLen})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				if code := exitCode(err, true); code != tt.wantCode {
					t.Fatalf("exit code %d, want %d", code, tt.wantCode)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if tt.wantReport != nil {
				assertOneJSONDocument(t, out.String())
				var rep ValidationReport
				if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(*tt.wantReport, rep); diff != "" {
					t.Errorf("report (-want +got):\n%s", diff)
				}
				return
			}
			if out.String() != tt.wantOut {
				t.Errorf("stdout = %q, want %q", out, tt.wantOut)
			}
		})
	}
}

func TestPolicyValidateParse(t *testing.T) {
	tests := []struct {
		args    []string
		want    PolicyValidateOptions
		wantErr string
	}{
		{args: []string{"p.json"}, want: PolicyValidateOptions{Output: "text", Path: "p.json", MaxLength: 6144}},
		{args: []string{"-", "--max-length", "2048", "-o", "json"}, want: PolicyValidateOptions{Output: FormatJSON, Path: "-", MaxLength: 2048}},
		{args: nil, wantErr: "validate needs exactly one FILE (or - for stdin), got 0 arguments"},
		{args: []string{"a", "b"}, wantErr: "got 2 arguments"},
		{args: []string{"a", "--max-length", "-1"}, wantErr: "--max-length -1: must be at least 1"},
		{args: []string{"a", "-o", "table"}, wantErr: "--output table is not supported by akresp policy validate; use one of: text, json"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			clearAkrespEnv(t)
			te := newTestFactory(t)
			var got *PolicyValidateOptions
			cmd := newCmdPolicyValidate(te.f, func(_ context.Context, o *PolicyValidateOptions) error { got = o; return nil })
			err := execUnder(t, te.f, []string{"policy"}, cmd, tt.args...)
			if tt.wantErr != "" {
				var ue *UsageError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &ue) {
					t.Fatalf("error = %v, want usage error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got, cmpopts.IgnoreFields(PolicyValidateOptions{}, "IO", "Printer")); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

// The policy commands are offline: a full run through Main's path must not
// build cloud clients, even with an endpoint configured.
func TestPolicyCommandsNeverTouchCloud(t *testing.T) {
	clearAkrespEnv(t)
	t.Setenv("AKRESP_ENDPOINT", "127.0.0.1:1")
	for _, args := range [][]string{
		{"policy", "deny-high-risk", "--extended"},
		{"policy", "groups", "-o", "json"},
		{"policy", "network-acl", "--deny-public"},
		{"policy", "deny-high-risk", "-o", "table"},
	} {
		te := newTestFactory(t)
		if code := Run(context.Background(), te.f, args); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, te.errOut)
		}
		if te.cloudCalls != 0 {
			t.Fatalf("%v reached Cloud", args)
		}
	}
}
