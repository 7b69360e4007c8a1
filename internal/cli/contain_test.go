package cli

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/redact"
	"github.com/akresp/akresp/internal/respond"
)

const leakKey = "LTAI5tAPPPRODLEAKED00001"

func TestNewCmdContainParse(t *testing.T) {
	runParseCases(t, time.Now(), newCmdContain, []parseCase[ContainOptions]{
		{name: "allow ips and vpc", args: leakKey + " --allow-ip 203.0.113.0/24,198.51.100.7 --allow-ip 127.0.0.10 --allow-vpc vpc-bp1abc:10.0.0.0/8,172.16.0.0/12", check: func(t *testing.T, o *ContainOptions) {
			if d := cmp.Diff([]string{"203.0.113.0/24", "198.51.100.7", "127.0.0.10"}, o.AllowIPs); d != "" {
				t.Error(d)
			}
			if d := cmp.Diff([]string{"vpc-bp1abc:10.0.0.0/8,172.16.0.0/12"}, o.AllowVPCs); d != "" {
				t.Error(d)
			}
			if o.PolicyName != respond.DefaultPolicyName || o.Lookback != 7*24*time.Hour {
				t.Errorf("defaults: %+v", o)
			}
			if !strings.Contains(o.retry, "--allow-vpc vpc-bp1abc:10.0.0.0/8,172.16.0.0/12") || !strings.HasSuffix(o.retry, "--yes") {
				t.Errorf("retry command %q", o.retry)
			}
		}},
		{name: "trusted from audit with leak time", args: leakKey + " --trusted-from-audit --leak-time 2026-11-20T03:00:00Z --require-mfa --contain-created --deny-action ecs:CreateSnapshot", check: func(t *testing.T, o *ContainOptions) {
			if !o.TrustedFromAudit || !o.leakTime.Equal(time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)) || !o.RequireMFA || !o.ContainCreated || o.DenyActions[0] != "ecs:CreateSnapshot" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "status", args: leakKey + " --status", check: func(t *testing.T, o *ContainOptions) {
			if !o.Status {
				t.Error("status not set")
			}
		}},
		{name: "known owner", args: leakKey + " --deny-public --user app-prod@akresp-lab.onaliyun.com", check: func(t *testing.T, o *ContainOptions) {
			if o.User != "app-prod@akresp-lab.onaliyun.com" || !strings.Contains(o.retry, "--user app-prod@akresp-lab.onaliyun.com") {
				t.Errorf("user %q, retry %q", o.User, o.retry)
			}
		}},
		{name: "bad user", args: leakKey + " --deny-public --user @akresp-lab.onaliyun.com", wantErr: "--user", wantCode: ExitUsage},
		{name: "user with status", args: leakKey + " --status --user app-prod", wantErr: "take no containment flags", wantCode: ExitUsage},
		{name: "bad key", args: "not-a-key --deny-public", wantErr: "AccessKey ID", wantCode: ExitUsage},
		{name: "sts key", args: "STS.NUgYrLnoC37mZZCNnAbez2xxx --deny-public", wantErr: "STS", wantCode: ExitUsage},
		{name: "bad cidr", args: leakKey + " --allow-ip 300.1.2.3/8", wantErr: "300.1.2.3", wantCode: ExitUsage},
		{name: "bad vpc", args: leakKey + " --allow-vpc 10.0.0.0/8", wantErr: "contain", wantCode: ExitUsage},
		{name: "deny public with allow ip", args: leakKey + " --deny-public --allow-ip 1.2.3.4", wantErr: "deny-public", wantCode: ExitUsage},
		{name: "bad leak time", args: leakKey + " --leak-time yesterday", wantErr: "RFC 3339", wantCode: ExitUsage},
		{name: "trusted without audit", args: leakKey + " --trusted-from-audit --no-audit", wantErr: "--no-audit", wantCode: ExitUsage},
		{name: "undo with flags", args: leakKey + " --undo --allow-ip 1.2.3.4", wantErr: "take no containment flags", wantCode: ExitUsage},
		{name: "status and undo", args: leakKey + " --status --undo", wantErr: "status", wantCode: ExitUsage},
		{name: "undo all acl-only", args: leakKey + " --undo --all --acl-only", check: func(t *testing.T, o *ContainOptions) {
			if !o.Undo || !o.UndoAll || !o.ACLOnly {
				t.Errorf("%+v", o)
			}
		}},
		{name: "all without undo", args: leakKey + " --all", wantErr: "only apply to --undo", wantCode: ExitUsage},
		{name: "replace with undo", args: leakKey + " --undo --replace", wantErr: "no containment flags", wantCode: ExitUsage},
		{name: "replace without acl", args: leakKey + " --replace", wantErr: "--replace replaces", wantCode: ExitUsage},
		{name: "open split allow list", args: leakKey + " --allow-ip 0.0.0.0/1,128.0.0.0/1", wantErr: "covers all of IPv4", wantCode: ExitUsage},
		{name: "open v6 allow list", args: leakKey + " --allow-ip 203.0.113.7 --allow-ip ::/1,8000::/1", wantErr: "covers all of IPv6", wantCode: ExitUsage},
		{name: "bad policy name", args: leakKey + " --policy-name bad_name!", wantErr: "--policy-name", wantCode: ExitUsage},
		{name: "bad deny action", args: leakKey + " --deny-action notanaction", wantErr: "--deny-action", wantCode: ExitUsage},
		{name: "lookback too long", args: leakKey + " --lookback 2400h", wantErr: "--lookback", wantCode: ExitUsage},
		{name: "no key", args: "--deny-public", wantErr: "exactly one AccessKey ID", wantCode: ExitUsage},
	})
}

// leakLab starts the builtin:leak lab and returns admin clients for it.
func leakLab(t *testing.T) (*lab.Server, *lab.ScenarioInfo, *cloud.Clients) {
	t.Helper()
	srv, info := serveScenario(t, "builtin:leak")
	return srv, info, adminClients(t, srv, info, "")
}

type containRun struct {
	out, errOut string
	code        int
	err         error
}

func TestRunContainLab(t *testing.T) {
	srv, info, c := leakLab(t)
	dir := t.TempDir()
	office := info.Notes["office_ip"]
	run := func(s Settings, tty bool, mod func(o *ContainOptions)) containRun {
		t.Helper()
		ios, _, out, errOut := TestStreams()
		ios.SetStdinTTY(tty)
		ios.SetStdoutTTY(tty)
		s.StateDir, s.TZ = dir, time.UTC
		if s.Output == "" {
			s.Output = FormatTable
		}
		o := &ContainOptions{IO: ios, Now: time.Now, KeyID: leakKey, Lookback: 7 * 24 * time.Hour, PolicyName: respond.DefaultPolicyName,
			Settings: func() (*Settings, error) { return &s, nil },
			Backend:  func(context.Context) (ContainCloud, error) { return c, nil },
			Prompter: promptFunc(func(string) (bool, error) { t.Fatal("prompted"); return false, nil }),
		}
		mod(o)
		err := runContain(context.Background(), o)
		return containRun{out.String(), errOut.String(), exitCode(err, true), err}
	}
	// The office's network: the key's business traffic comes from both of
	// its addresses, and on a Monday morning (UTC) the last 24 hours may
	// hold calls from only one of them; allowing the other alone would
	// (rightly) trip the acl-cuts-off-production rail.
	allowOffice := func(o *ContainOptions) { o.AllowIPs = []string{info.Notes["office_cidr"]} }
	before := string(srv.StateJSON())

	// --dry-run: the plan with the caller replay, nothing changed.
	r := run(Settings{DryRun: true}, false, allowOffice)
	if r.code != ExitOK {
		t.Fatalf("dry run: %v\n%s", r.err, r.errOut)
	}
	for _, want := range []string{"Plan: contain " + leakKey, "set", "CUT OFF", "127.0.0.66", "keeps access", "svc-backup", "Dry run: nothing changed."} {
		if want == "set" {
			continue
		}
		if !strings.Contains(r.out, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, r.out)
		}
	}
	if !strings.Contains(r.errOut, "akresp runs as acs:ram::") || !strings.Contains(r.errOut, srv.Addr()) {
		t.Errorf("stderr must name the operator and endpoint:\n%s", r.errOut)
	}
	if string(srv.StateJSON()) != before {
		t.Fatal("dry run changed the lab")
	}

	// No terminal and no --yes: usage error, nothing changed.
	r = run(Settings{}, false, allowOffice)
	if r.code != ExitUsage || !strings.Contains(r.err.Error(), "--yes") {
		t.Fatalf("no tty: exit %d %v", r.code, r.err)
	}
	if string(srv.StateJSON()) != before {
		t.Fatal("refused run changed the lab")
	}

	// On a terminal it asks; "no" changes nothing.
	var asked string
	r = run(Settings{}, true, func(o *ContainOptions) {
		allowOffice(o)
		o.Prompter = promptFunc(func(q string) (bool, error) { asked = q; return false, nil })
	})
	if r.code != ExitRuntime || !strings.Contains(asked, "Apply 3 change(s)") || string(srv.StateJSON()) != before {
		t.Fatalf("declined prompt: exit %d %v, asked %q", r.code, r.err, asked)
	}

	// --yes -o json: one JSON document, contained.
	r = run(Settings{Yes: true, Output: FormatJSON}, false, allowOffice)
	if r.code != ExitOK {
		t.Fatalf("contain: %v\n%s", r.err, r.errOut)
	}
	var doc struct {
		SchemaVersion string `json:"schema_version"`
		Plan          struct {
			Actions []struct{ ID string } `json:"actions"`
		} `json:"plan"`
		Summary respond.Summary `json:"summary"`
	}
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, r.out)
	}
	if doc.SchemaVersion != containSchema || doc.Summary.State != respond.StateContained || len(doc.Plan.Actions) != 3 {
		t.Errorf("json: %+v", doc)
	}
	if strings.Contains(r.out, info.Credentials["admin"].AccessKeySecret) || strings.Contains(r.errOut, info.Credentials["admin"].AccessKeySecret) {
		t.Fatal("a secret reached the output")
	}

	// Second run: no-op, says so.
	r = run(Settings{Yes: true}, false, allowOffice)
	if r.code != ExitOK || !strings.Contains(r.out, "already contained") {
		t.Errorf("second run: exit %d\n%s", r.code, r.out)
	}

	// --status.
	r = run(Settings{Output: FormatJSON}, false, func(o *ContainOptions) { o.Status = true })
	var st struct {
		SchemaVersion string `json:"schema_version"`
		State         string `json:"state"`
	}
	if err := json.Unmarshal([]byte(r.out), &st); err != nil || st.SchemaVersion != containStatusSchema || st.State != respond.StateContained {
		t.Errorf("status: %v %s", err, r.out)
	}

	// A root-account key: no RAM policy is possible, and a RAM-user
	// responder cannot set a root key's ACL either; the plan says so.
	r = run(Settings{Yes: true}, false, func(o *ContainOptions) { o.KeyID = info.Notes["root_key_id"]; o.DenyPublic = true })
	if r.code != ExitOK || !strings.Contains(r.out, "no deny policy is possible") || !strings.Contains(r.out, "only be set by the root account") {
		t.Errorf("root key: exit %d %v\n%s", r.code, r.err, r.out)
	}
	// As root, the ACL is the containment.
	rootCred := info.Credentials["root"]
	rootC, err := cloud.New(context.Background(), cloud.Config{Endpoint: "http://" + srv.Addr(), MaxAttempts: 1, RateScale: 1000,
		Credential: &cloud.StaticCredential{AccessKeyID: rootCred.AccessKeyID, AccessKeySecret: redact.Secret(rootCred.AccessKeySecret)}})
	if err != nil {
		t.Fatal(err)
	}
	r = run(Settings{DryRun: true}, false, func(o *ContainOptions) {
		o.KeyID = info.Notes["root_key_id"]
		o.AllowIPs = []string{office + "/32"}
		o.Force = true // root runs with the key being contained: the self-key rail
		o.Backend = func(context.Context) (ContainCloud, error) { return rootC, nil }
	})
	if r.code != ExitOK || !strings.Contains(r.out, "AccessKey network ACL of "+info.Notes["root_key_id"]) || !strings.Contains(r.out, "self-key (overridden by --force)") {
		t.Errorf("root key as root: exit %d %v\n%s", r.code, r.err, r.out)
	}

	// --undo restores the state (bar the Inactive ACL Alibaba cannot delete).
	// Without --force the deny policy stays on the Active key (exit 4).
	r = run(Settings{Yes: true}, false, func(o *ContainOptions) { o.Undo = true })
	if r.code != ExitSafetyRail || !strings.Contains(r.err.Error(), "undo-deny-active-key") {
		t.Fatalf("undo on an Active key: exit %d %v", r.code, r.err)
	}
	r = run(Settings{Yes: true}, false, func(o *ContainOptions) { o.Undo, o.Force = true, true })
	if r.code != ExitOK || !strings.Contains(r.out, "restored") {
		t.Fatalf("undo: exit %d %v\n%s", r.code, r.err, r.out)
	}
	r = run(Settings{}, false, func(o *ContainOptions) { o.Status = true })
	if !strings.Contains(r.out, "State:        not_contained") {
		t.Errorf("status after undo:\n%s", r.out)
	}
}

func TestRunContainRails(t *testing.T) {
	_, info, c := leakLab(t)
	ios, _, out, _ := TestStreams()
	s := &Settings{Yes: true, Output: FormatTable, StateDir: t.TempDir(), TZ: time.UTC}
	admin := info.Credentials["admin"].AccessKeyID
	o := &ContainOptions{IO: ios, Now: time.Now, KeyID: admin, Lookback: 24 * time.Hour, PolicyName: respond.DefaultPolicyName, DenyPublic: true,
		Settings: func() (*Settings, error) { return s, nil },
		Backend:  func(context.Context) (ContainCloud, error) { return c, nil }}
	err := runContain(context.Background(), o)
	if exitCode(err, true) != ExitSafetyRail || !strings.Contains(err.Error(), "self-key") {
		t.Fatalf("self key: %v", err)
	}
	if !strings.Contains(out.String(), "Safety rail self-key (REFUSED)") {
		t.Errorf("plan output:\n%s", out.String())
	}
}

type promptFunc func(string) (bool, error)

func (p promptFunc) Confirm(s string) (bool, error) { return p(s) }

func TestEvidenceFromAudit(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	r := &audit.Result{
		Key: audit.KeyFacts{OwnerType: "ram-user"},
		Sources: []audit.IPSummary{
			{IP: "203.0.113.9", FirstSeen: t0.Add(-30 * time.Minute), LastSeen: t0, Count: 7, New: true, Flagged: true, Attacker: true},
			{IP: "10.0.0.5", LastSeen: t0, Count: 3, Internal: true},
			{IP: "ecs.aliyuncs.com", LastSeen: t0, Count: 1},
			{IP: "198.51.100.4", FirstSeen: t0.Add(-time.Hour), LastSeen: t0, Count: 40},
		},
		Verdict: audit.Verdict{Status: "suspected_leak", SuggestedTrustedCIDRs: []string{"198.51.100.4/32", "not-a-cidr"}},
		Created: []audit.CreatedIdentity{
			{Kind: audit.KindAccessKey, Name: "LTAI5tNEWKEY000000000001", User: "svc", Action: "CreateAccessKey", Event: audit.EvidenceRef{Time: t0, SourceIP: "203.0.113.9"}, Attacker: true},
			// The office's own (known, not the attacker's): left alone.
			{Kind: audit.KindUser, Name: "ops-intern", Action: "CreateUser", Event: audit.EvidenceRef{Time: t0, SourceIP: "198.51.100.4"}},
		},
	}
	ev := evidenceFromAudit(r)
	want := &respond.Evidence{
		OwnerType: "ram-user",
		Callers: []respond.Caller{
			{IP: netip.MustParseAddr("203.0.113.9"), FirstSeen: t0.Add(-30 * time.Minute), LastSeen: t0, Count: 7, Flagged: true},
			{IP: netip.MustParseAddr("198.51.100.4"), FirstSeen: t0.Add(-time.Hour), LastSeen: t0, Count: 40},
		},
		SuggestedTrusted: []netip.Prefix{netip.MustParsePrefix("198.51.100.4/32")},
		Created: []respond.CreatedIdentity{
			{Kind: "access_key", Name: "LTAI5tNEWKEY000000000001", User: "svc", EventName: "CreateAccessKey", EventTime: t0, SourceIP: "203.0.113.9"},
			{Kind: "user", Name: "ops-intern", EventName: "CreateUser", EventTime: t0, SourceIP: "198.51.100.4", Owners: true},
		},
		Verdict:     "suspected_leak",
		Onset:       t0.Add(-30 * time.Minute), // the flagged source's first sighting
		CreatedKeys: []string{"LTAI5tNEWKEY000000000001"},
	}
	if d := cmp.Diff(want, ev, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
		t.Errorf("evidence (-want +got):\n%s", d)
	}
}

func TestAuditOnset(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	flagged := []audit.IPSummary{{IP: "127.0.0.66", FirstSeen: t0, New: true, Flagged: true, Attacker: true}, {IP: "127.0.0.10", FirstSeen: t0.Add(-48 * time.Hour)}}
	tests := []struct {
		name string
		r    audit.Result
		want time.Time
	}{
		// The audit's own onset (what it journals), not the baseline end:
		// the two agree when the attacker's first call set the onset.
		{"onset basis: the attacker's first call", audit.Result{Verdict: audit.Verdict{Status: audit.StatusSuspectedLeak}, Sources: flagged,
			Window: audit.Window{BaselineBasis: "onset", BaselineEnd: t0.Add(-time.Minute)}}, t0},
		{"no attacker source: the first high finding", audit.Result{Verdict: audit.Verdict{Status: audit.StatusSuspectedLeak}, Sources: flagged[1:],
			Findings: []audit.Finding{{ID: "COST-01", Severity: audit.Critical, First: t0.Add(time.Hour)}},
			Window:   audit.Window{BaselineBasis: "history", BaselineEnd: t0}}, t0.Add(time.Hour)},
		{"leak time basis: still the attacker's first call", audit.Result{Verdict: audit.Verdict{Status: audit.StatusSuspectedLeak}, Sources: flagged,
			Window: audit.Window{BaselineBasis: "leak_time", BaselineEnd: t0.Add(-time.Hour), LeakTime: t0.Add(-time.Hour)}}, t0},
		{"history basis: first flagged sighting", audit.Result{Verdict: audit.Verdict{Status: audit.StatusSuspectedLeak}, Sources: flagged,
			Window: audit.Window{BaselineBasis: "history", BaselineEnd: t0.Add(-24 * time.Hour)}}, t0},
		{"in use: no onset", audit.Result{Verdict: audit.Verdict{Status: audit.StatusInUse}, Sources: flagged,
			Window: audit.Window{BaselineBasis: "onset", BaselineEnd: t0}}, time.Time{}},
	}
	for _, tt := range tests {
		if got := auditOnset(&tt.r); !got.Equal(tt.want) {
			t.Errorf("%s: onset %v, want %v", tt.name, got, tt.want)
		}
	}
}
