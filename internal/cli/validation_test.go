package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlagValidationMessages runs every command's flag-validation failures
// through Run, as a user would type them: each must exit 2 (usage), print
// the message naming what was wrong on the first line of stderr, point to
// the command's help, and never reach the cloud.
func TestFlagValidationMessages(t *testing.T) {
	clearAkrespEnv(t)
	const key = "LTAI5tExampleKey00000001"
	trail := filepath.Join("..", "..", "testdata", "trails", "events.jsonl")
	tests := []struct {
		name string
		args []string
		want string // the key part of stderr's first line
		hint string // part of the hint line, besides the help pointer
	}{
		// AccessKey IDs.
		{name: "audit: ak id too short", args: []string{"audit", "LTAI5"},
			want: `akid "LTAI5" is 5 characters; an AccessKey ID is LTAI followed by 20 letters or digits`},
		{name: "audit: ak id looks like a secret", args: []string{"audit", "abcdefghijklmnopqrstuvwxyz0123"},
			want: "this looks like an AccessKey secret, not an ID; do not paste secrets"},
		{name: "audit: no ak id", args: []string{"audit"},
			want: "audit needs an AccessKey ID (akresp audit <AK-ID>), or --idle to sweep every key"},
		{name: "audit: empty ak id", args: []string{"audit", ""},
			want: "audit needs an AccessKey ID"},
		{name: "contain: ak id too long", args: []string{"contain", "LTAI5tExampleKey0000000001", "--yes"},
			want: `is 26 characters; an AccessKey ID is LTAI followed by 20 letters or digits`},
		{name: "disable: ak id looks like a secret", args: []string{"disable", "abcdefghijklmnopqrstuvwxyz0123"},
			want: "this looks like an AccessKey secret, not an ID"},
		{name: "report: ak id too short", args: []string{"report", "LTAI5", "--offline", "--trail", trail},
			want: `akid "LTAI5" is 5 characters`},
		{name: "rotate: not an ak id", args: []string{"rotate", "AKIA0000"},
			want: "is 8 characters; an AccessKey ID is LTAI followed by 20 letters or digits"},

		// CIDRs and VPCs.
		{name: "contain: garbage cidr", args: []string{"contain", key, "--allow-ip", "garbage", "--yes"},
			want: `public allow list: "garbage" is not an IP address or CIDR (for example 203.0.113.7 or 203.0.113.0/24)`},
		{name: "contain: cidr with host bits", args: []string{"contain", key, "--allow-ip", "10.0.0.1/8", "--yes"},
			want: `public allow list: "10.0.0.1/8" has host bits set; did you mean the network 10.0.0.0/8 or the single address 10.0.0.1/32?`},
		{name: "contain: ipv6 zone", args: []string{"contain", key, "--allow-ip", "fe80::1%eth0", "--yes"},
			want: `public allow list: "fe80::1%eth0" has an IPv6 zone; zones are not allowed in an allow list`},
		{name: "contain: allow-ip with deny-public", args: []string{"contain", key, "--allow-ip", "203.0.113.7", "--deny-public", "--yes"},
			want: "--deny-public blocks every public source; it contradicts --allow-ip and --trusted-from-audit"},
		{name: "contain: bad vpc id", args: []string{"contain", key, "--allow-vpc", "vpcx:10.0.0.0/8", "--yes"},
			want: `VPC ID "vpcx" is not valid; a VPC ID looks like vpc-bp1a2b3c4d5e6f7g8h9i0`},
		{name: "contain: vpc without cidrs", args: []string{"contain", key, "--allow-vpc", "vpc-abc", "--yes"},
			want: `VPC allow list "vpc-abc" has no CIDRs; write vpc-id:CIDR[,CIDR]`},
		{name: "audit: bad trusted cidr", args: []string{"audit", key, "--trail", trail, "--trusted-cidr", "nope"},
			want: `--trusted-cidr: "nope" is not an IP address or CIDR`},

		// Durations and windows.
		{name: "contain: negative lookback", args: []string{"contain", key, "--lookback", "-1h", "--yes"},
			want: "--lookback -1h0m0s: want a positive duration of at most 2160h (ActionTrail keeps 90 days)"},
		{name: "contain: zero lookback", args: []string{"contain", key, "--lookback", "0s", "--yes"},
			want: "--lookback 0s: want a positive duration of at most 2160h"},
		{name: "contain: lookback beyond 90d", args: []string{"contain", key, "--lookback", "2161h", "--yes"},
			want: "--lookback 2161h0m0s: want a positive duration of at most 2160h"},
		{name: "rotate: negative quiet-for", args: []string{"rotate", key, "--quiet-for", "-1s"},
			want: "--quiet-for and --observe must not be negative"},
		{name: "rotate: negative observe", args: []string{"rotate", key, "--observe", "-5m"},
			want: "--quiet-for and --observe must not be negative"},
		{name: "rotate: zero poll interval", args: []string{"rotate", key, "--wait", "--poll-interval", "0s"},
			want: "--poll-interval must be positive"},
		{name: "rotate: zero exec timeout", args: []string{"rotate", key, "--exec", "true", "--exec-timeout", "0s"},
			want: "--exec-timeout must be positive"},
		{name: "disable: negative quiet-period", args: []string{"disable", key, "--quiet-period", "-1s"},
			want: "--quiet-period -1s: want a positive duration such as 24h"},
		{name: "disable: zero quiet-period", args: []string{"disable", key, "--quiet-period", "0s"},
			want: "--quiet-period 0s: want a positive duration"},
		{name: "disable: negative observe", args: []string{"disable", key, "--observe", "-1s"},
			want: "--observe -1s: want a positive duration such as 168h"},
		{name: "disable: zero observe", args: []string{"disable", key, "--delete", "--observe", "0s"},
			want: "--observe 0s: want a positive duration such as 168h", hint: "keep --observe and add --force"},
		{name: "eradicate: zero observe", args: []string{"eradicate", key, "--observe", "0s"},
			want: "--observe 0s: want a positive duration such as 24h", hint: "the shortest is 1s"},
		{name: "audit: since beyond 90d online", args: []string{"audit", key, "--since", "100d"},
			want: "--since 100d: ActionTrail keeps 90 days; use --trail for older exports"},
		{name: "report: since beyond 90d online", args: []string{"report", key, "--since", "100d", "--online"},
			want: "--since 100d: ActionTrail keeps 90 days"},
		{name: "audit: negative since", args: []string{"audit", key, "--trail", trail, "--since", "-5d"},
			want: `--since "-5d": want a duration back from now (30d, 2w, 12h) or an RFC 3339 time`},
		{name: "audit: until before since", args: []string{"audit", key, "--trail", trail, "--since", "1d", "--until", "2d"},
			want: "--until 2026-03-12T09:26:53Z is before --since 2026-03-13T09:26:53Z"},
		{name: "audit: zero idle days", args: []string{"audit", "--idle", "--idle-days", "0"},
			want: "--idle-days (0) and --max-age-days (90) must be at least 1"},
		{name: "contain: bad leak time", args: []string{"contain", key, "--leak-time", "yesterday", "--yes"},
			want: `--leak-time "yesterday": want an RFC 3339 time such as`},

		// Output formats.
		{name: "audit: html", args: []string{"audit", key, "--trail", trail, "-o", "html"},
			want: "--output html is not supported by akresp audit; use one of: table, json, csv, markdown"},
		{name: "audit: unknown format", args: []string{"audit", key, "--trail", trail, "-o", "yaml"},
			want: "--output yaml is not supported by akresp audit; use one of: table, json, csv, markdown"},
		{name: "contain: csv", args: []string{"contain", key, "-o", "csv"},
			want: "--output csv is not supported by akresp contain; use one of: table, json"},
		{name: "disable: csv", args: []string{"disable", key, "-o", "csv"},
			want: "--output csv is not supported by akresp disable; use one of: table, json"},
		{name: "rotate: csv", args: []string{"rotate", key, "-o", "csv"},
			want: "--output csv is not supported by akresp rotate; use one of: table, json"},
		{name: "report: csv", args: []string{"report", key, "-o", "csv"},
			want: "--output csv is not supported by akresp report; use one of: markdown, json, html"},
		{name: "policy: markdown", args: []string{"policy", "deny-high-risk", "-o", "markdown"},
			want: "--output markdown is not supported by akresp policy deny-high-risk; use one of: json, table"},

		// The lab (checked before it listens).
		{name: "lab serve: non-loopback addr", args: []string{"lab", "serve", "--addr", "0.0.0.0:0"},
			want: `--addr "0.0.0.0:0": the lab only listens on loopback (127.0.0.0/8 or ::1)`},
		{name: "lab serve: fault rate above 1", args: []string{"lab", "serve", "--fault-rate", "2"},
			want: "--fault-rate 2: want a fraction between 0 and 1"},
		{name: "lab serve: negative latency", args: []string{"lab", "serve", "--latency", "-1s"},
			want: "--latency -1s: must not be negative"},
		{name: "lab serve: negative quota scale", args: []string{"lab", "serve", "--quota-scale", "-1"},
			want: "--quota-scale -1: must not be negative"},
		{name: "lab serve: csv", args: []string{"lab", "serve", "-o", "csv"},
			want: "--output csv is not supported by akresp lab serve; use one of: json"},

		// Severities and business hours.
		{name: "audit: bad fail-on", args: []string{"audit", key, "--trail", trail, "--fail-on", "extreme"},
			want: `--fail-on "extreme": want low, medium, high or critical`},
		{name: "audit: bad min-severity", args: []string{"audit", key, "--trail", trail, "--min-severity", "nope"},
			want: `--min-severity: severity "nope" is not one of info, low, medium, high, critical`},
		{name: "audit: garbage business hours", args: []string{"audit", key, "--trail", trail, "--business-hours", "garbage"},
			want: `--business-hours: business hours "garbage": want days and a time range separated by a space`},
		{name: "audit: bad business-hours zone", args: []string{"audit", key, "--trail", trail, "--bh-tz", "Mars/Base"},
			want: `--bh-tz "Mars/Base" is not a time zone name such as Asia/Shanghai or UTC`},

		// Contradictions.
		{name: "contain: status with undo", args: []string{"contain", key, "--status", "--undo"},
			want: "--status and --undo are separate runs; pick one"},
		{name: "rotate: secret-file with secret-stdout", args: []string{"rotate", key, "--secret-file", "new.json", "--secret-stdout"},
			want: "choose exactly one exit for the new secret: --secret-file, --exec or --secret-stdout"},
		{name: "rotate: status with rollback", args: []string{"rotate", key, "--status", "--rollback"},
			want: "--status, --rollback and --delete are separate steps; pass one"},
		{name: "rotate: secret exit with rollback", args: []string{"rotate", key, "--rollback", "--secret-stdout"},
			want: "--secret-file, --exec and --secret-stdout only apply when creating the key"},
		{name: "rotate: delete-new without rollback", args: []string{"rotate", key, "--delete-new"},
			want: "--delete-new only goes with --rollback"},
		{name: "rotate: wait with status", args: []string{"rotate", key, "--status", "--wait"},
			want: "--wait applies to the rotation itself, not to --status, --rollback or --delete"},
		{name: "disable: enable with delete", args: []string{"disable", key, "--enable", "--delete"},
			want: "--enable and --delete contradict each other; pick one"},
		{name: "audit: online with offline", args: []string{"audit", key, "--online", "--offline"},
			want: "--online and --offline contradict each other; pick one"},
		{name: "report: online with offline", args: []string{"report", key, "--online", "--offline"},
			want: "--online and --offline contradict each other; pick one"},
		{name: "audit: idle with a key", args: []string{"audit", "--idle", key},
			want: "audit --idle sweeps every key: drop the AccessKey ID LTAI5tExampleKey00000001, or drop --idle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HOME", t.TempDir())
			t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
			te := newTestFactory(t)
			code := Run(context.Background(), te.f, tt.args)
			if code != ExitUsage {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, ExitUsage, te.errOut)
			}
			first, rest, _ := strings.Cut(te.errOut.String(), "\n")
			if !strings.HasPrefix(first, "akresp: ") || !strings.Contains(first, tt.want) {
				t.Errorf("stderr first line\n got: %q\nwant it to contain: %q", first, tt.want)
			}
			if cmd := tt.args[0]; !strings.Contains(rest, "run 'akresp "+cmd) || !strings.HasPrefix(rest, "hint: ") {
				t.Errorf("stderr lacks the help hint for %s: %q", cmd, te.errOut)
			}
			if !strings.Contains(rest, tt.hint) {
				t.Errorf("hint %q, want it to contain %q", rest, tt.hint)
			}
			if te.cloudCalls != 0 {
				t.Errorf("a usage error reached the cloud (%d calls)", te.cloudCalls)
			}
			if te.out.Len() != 0 {
				t.Errorf("stdout not empty on a usage error: %q", te.out)
			}
		})
	}
}
