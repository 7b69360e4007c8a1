package policy

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func planExample(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/plan-example.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDenyHighRiskDefaultIsThePlanExample(t *testing.T) {
	doc, err := DenyHighRisk(DenyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eq, err := SemanticallyEqual(doc.JSON(), planExample(t))
	if err != nil {
		t.Fatal(err)
	}
	if !eq {
		t.Fatalf("default deny-high-risk policy differs from the plan example:\n%s", doc.Indent())
	}
	// Same statement layout as the plan: six Deny statements on "*", in
	// the plan's product order.
	var products []string
	for _, s := range doc.Statement {
		if s.Effect != EffectDeny || !slices.Equal(s.Resource, ResourceList{"*"}) {
			t.Errorf("statement %+v is not Deny on *", s)
		}
		p, _, _ := strings.Cut(s.Action[0], ":")
		products = append(products, p)
	}
	if diff := cmp.Diff([]string{"ram", "ecs", "rds", "oss", "log", "dysms"}, products); diff != "" {
		t.Errorf("statement order (-want +got):\n%s", diff)
	}
}

func TestDenyHighRiskGoldens(t *testing.T) {
	tests := []struct {
		golden string
		opts   DenyOptions
	}{
		{"deny-high-risk.golden.json", DenyOptions{}},
		{"deny-high-risk-extended.golden.json", DenyOptions{Extended: true}},
		{"deny-high-risk-custom.golden.json", DenyOptions{
			Groups: []string{"ram", "audit"},
			Add:    []string{"ram:Create*", "vpc:DeleteVpc", "ram:CreateUser"},
			Drop:   []string{"ram:ChangePassword"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			doc, err := DenyHighRisk(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, doc.Indent())
			// The golden must be a valid policy that parses back equal.
			back, err := ParsePolicy(doc.Indent())
			if err != nil {
				t.Fatalf("rendered policy does not parse: %v", err)
			}
			if diff := cmp.Diff(doc, back); diff != "" {
				t.Errorf("round trip (-rendered +parsed):\n%s", diff)
			}
		})
	}
}

func TestDenyHighRiskOptions(t *testing.T) {
	tests := []struct {
		name        string
		opts        DenyOptions
		wantHas     []string
		wantMissing []string
		wantStmts   int
	}{
		{name: "one group", opts: DenyOptions{Groups: []string{"ecs"}},
			wantHas: []string{"ecs:DeleteInstance"}, wantMissing: []string{"ram:CreateUser"}, wantStmts: 1},
		{name: "group names are trimmed and case-folded", opts: DenyOptions{Groups: []string{" RAM ", "ram"}},
			wantHas: []string{"ram:CreateUser"}, wantStmts: 1},
		{name: "extended adds every extra group", opts: DenyOptions{Extended: true},
			wantHas: []string{"ram:CreateUser", "sts:AssumeRole", "eci:CreateContainerGroup", "actiontrail:StopLogging", "kms:DisableKey", "dysms:AddSmsSign"}, wantStmts: 10},
		{name: "extended with groups keeps the chosen groups", opts: DenyOptions{Groups: []string{"ram"}, Extended: true},
			wantHas: []string{"ram:CreateUser", "kms:DisableKey"}, wantMissing: []string{"ecs:DeleteInstance"}},
		{name: "add merges into the product's statement", opts: DenyOptions{Add: []string{"ram:Attach*"}},
			wantHas: []string{"ram:Attach*"}, wantStmts: 6},
		{name: "add of a new product makes a statement", opts: DenyOptions{Add: []string{"vpc:DeleteVpc"}},
			wantHas: []string{"vpc:DeleteVpc"}, wantStmts: 7},
		{name: "drop an action", opts: DenyOptions{Drop: []string{"dysms:SendSms"}},
			wantMissing: []string{"dysms:SendSms"}, wantHas: []string{"dysms:SendBatchSms"}, wantStmts: 6},
		{name: "drop a whole group", opts: DenyOptions{Drop: []string{"dysms"}},
			wantMissing: []string{"dysms:SendSms"}, wantStmts: 5},
		{name: "drop an extended group", opts: DenyOptions{Extended: true, Drop: []string{"kms"}},
			wantMissing: []string{"kms:DisableKey"}, wantHas: []string{"actiontrail:StopLogging"}},
		{name: "dropping a group keeps actions other groups add", opts: DenyOptions{Groups: []string{"ram", "identity-extra"}, Drop: []string{"identity-extra"}},
			wantHas: []string{"ram:CreateUser"}, wantMissing: []string{"sts:AssumeRole"}, wantStmts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := DenyHighRisk(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			acts := doc.Actions()
			for _, a := range tt.wantHas {
				if !slices.Contains(acts, a) {
					t.Errorf("policy lacks %s", a)
				}
			}
			for _, a := range tt.wantMissing {
				if slices.Contains(acts, a) {
					t.Errorf("policy still denies %s", a)
				}
			}
			if tt.wantStmts > 0 && len(doc.Statement) != tt.wantStmts {
				t.Errorf("policy has %d statements, want %d", len(doc.Statement), tt.wantStmts)
			}
			for _, s := range doc.Statement {
				if !slices.IsSorted(s.Action) || len(slices.Compact(slices.Clone(s.Action))) != len(s.Action) {
					t.Errorf("statement actions not sorted and unique: %v", s.Action)
				}
			}
		})
	}
}

func TestDenyHighRiskErrors(t *testing.T) {
	tests := []struct {
		name    string
		opts    DenyOptions
		wantErr string
	}{
		{"unknown group", DenyOptions{Groups: []string{"network"}}, `unknown deny group "network"; known groups: ram, ecs, rds, oss, log, dysms, identity-extra,`},
		{"bad add without product", DenyOptions{Add: []string{"CreateUser"}}, `cannot add "CreateUser": action "CreateUser" has no product; write product:Action`},
		{"bad add product", DenyOptions{Add: []string{"r am:CreateUser"}}, `invalid product code "r am"`},
		{"bad add action", DenyOptions{Add: []string{"ram:Create User"}}, `invalid action name "Create User"`},
		{"empty add", DenyOptions{Add: []string{" "}}, `cannot add " ": action is empty`},
		{"add star", DenyOptions{Add: []string{"*"}}, `cannot add "*": denying every action freezes`},
		{"drop absent action", DenyOptions{Drop: []string{"ecs:RunInstances"}}, `cannot drop "ecs:RunInstances": the policy does not deny it`},
		{"drop unknown group", DenyOptions{Drop: []string{"nope"}}, `unknown deny group "nope"`},
		{"drop unselected group", DenyOptions{Drop: []string{"kms"}}, `cannot drop group "kms": it is not selected`},
		{"drop bad syntax", DenyOptions{Drop: []string{"ram:"}}, `cannot drop "ram:": action "ram:" has an invalid action name ""`},
		{"drop everything", DenyOptions{Groups: []string{"ecs"}, Drop: []string{"ecs"}}, "the policy would deny nothing: every action was dropped"},
		{"too long", DenyOptions{MaxLength: 500}, "policy document is 1168 characters, over the 500-character limit"},
		{"extended over 2048", DenyOptions{Extended: true, MaxLength: 2048}, "over the 2048-character limit"},
		{"negative limit", DenyOptions{MaxLength: -1}, "maximum policy length -1 is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DenyHighRisk(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("DenyHighRisk(%+v) error = %v, want it to contain %q", tt.opts, err, tt.wantErr)
			}
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("error %v does not wrap ErrInvalidPolicy", err)
			}
		})
	}
}

func TestDenyHighRiskLength(t *testing.T) {
	doc, err := DenyHighRisk(DenyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := doc.Length()
	if _, err := DenyHighRisk(DenyOptions{MaxLength: n}); err != nil {
		t.Errorf("a limit equal to the length (%d) must pass: %v", n, err)
	}
	if _, err := DenyHighRisk(DenyOptions{MaxLength: n - 1}); err == nil {
		t.Errorf("a limit one below the length (%d) must fail", n)
	}
	ext, err := DenyHighRisk(DenyOptions{Extended: true})
	if err != nil {
		t.Fatalf("the extended policy must fit the default %d-character limit: %v", DefaultMaxLength, err)
	}
	if ext.Length() <= n {
		t.Errorf("extended policy (%d) is not longer than the default one (%d)", ext.Length(), n)
	}
}

func TestDenyGroupsCatalogue(t *testing.T) {
	seen := map[string]string{}
	var defaults []string
	for _, g := range DenyGroups() {
		if g.Default {
			defaults = append(defaults, g.Name)
		}
		if g.Description == "" || len(g.Actions) == 0 {
			t.Errorf("group %s lacks a description or actions", g.Name)
		}
		for _, a := range g.Actions {
			if err := checkAction(a); err != nil {
				t.Errorf("group %s: %v", g.Name, err)
			}
			if prev, dup := seen[a]; dup {
				t.Errorf("action %s is in both %s and %s", a, prev, g.Name)
			}
			seen[a] = g.Name
			if GroupOfAction(a) != g.Name {
				t.Errorf("GroupOfAction(%s) = %q, want %q", a, GroupOfAction(a), g.Name)
			}
		}
	}
	if diff := cmp.Diff([]string{"ram", "ecs", "rds", "oss", "log", "dysms"}, defaults); diff != "" {
		t.Errorf("default groups (-want +got):\n%s", diff)
	}
	// DenyGroups hands out copies.
	gs := DenyGroups()
	gs[0].Actions[0] = "mutated:Action"
	if DenyGroups()[0].Actions[0] == "mutated:Action" {
		t.Error("DenyGroups returned the package's own slices")
	}
	if GroupOfAction("vpc:DeleteVpc") != "" {
		t.Error("GroupOfAction of an unlisted action should be empty")
	}
}

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		wantErr string
	}{
		{name: "plan example", doc: "PLAN"},
		{name: "string action and resource", doc: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"}]}`},
		{name: "resource arn list", doc: `{"Version":"1","Statement":[{"Effect":"Allow","Action":["ram:GetUser"],"Resource":["acs:ram:*:123:user/a","acs:ram:*:123:user/b"]}]}`},
		{name: "condition", doc: `{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":["203.0.113.0/24"]},"Bool":{"acs:MFAPresent":false}}}]}`},
		{name: "trust policy", doc: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::123:root"]}}]}`},
		{name: "not action", doc: `{"Version":"1","Statement":[{"Sid":"x","Effect":"Deny","NotAction":["ram:Get*"],"NotResource":"acs:ram:*:*:user/me"}]}`},

		{name: "not json", doc: `{"Version":"1",`, wantErr: "policy document is not valid JSON"},
		{name: "syntax error position", doc: "{\n  \"Version\": \"1\",\n  \"Statement\": [}\n}", wantErr: "line 3, column 17"},
		{name: "array", doc: `[]`, wantErr: "policy document must be a JSON object, not a array"},
		{name: "null", doc: `null`, wantErr: "must be a JSON object, not null"},
		{name: "empty", doc: ` `, wantErr: "policy document is empty"},
		{name: "trailing data", doc: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]} {}`, wantErr: "has data after the JSON object"},
		{name: "no version", doc: `{"Statement":[]}`, wantErr: `policy document has no Version`},
		{name: "integer version", doc: `{"Version":1,"Statement":[]}`, wantErr: `policy Version is 1; RAM policies use the string "1"`},
		{name: "unknown top key", doc: `{"Version":"1","Statement":[],"Id":"x"}`, wantErr: `unknown key "Id"`},
		{name: "lower-case key", doc: `{"version":"1","Statement":[]}`, wantErr: `unknown key "version"`},
		{name: "no statement", doc: `{"Version":"1"}`, wantErr: "policy document has no Statement"},
		{name: "statement object", doc: `{"Version":"1","Statement":{"Effect":"Allow"}}`, wantErr: "policy Statement must be an array"},
		{name: "empty statement", doc: `{"Version":"1","Statement":[]}`, wantErr: "policy Statement is empty"},
		{name: "bad effect", doc: `{"Version":"1","Statement":[{"Effect":"deny","Action":"*","Resource":"*"}]}`, wantErr: `statement 1: Effect "deny" must be "Allow" or "Deny"`},
		{name: "no effect", doc: `{"Version":"1","Statement":[{"Action":"*","Resource":"*"}]}`, wantErr: "statement 1: no Effect"},
		{name: "no action", doc: `{"Version":"1","Statement":[{"Effect":"Deny","Resource":"*"}]}`, wantErr: "statement 1: has no Action"},
		{name: "both actions", doc: `{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","NotAction":"*","Resource":"*"}]}`, wantErr: "has both Action and NotAction"},
		{name: "bad action", doc: `{"Version":"1","Statement":[{"Effect":"Deny","Action":["CreateUser"],"Resource":"*"}]}`, wantErr: `action "CreateUser" has no product`},
		{name: "empty action list", doc: `{"Version":"1","Statement":[{"Effect":"Deny","Action":[],"Resource":"*"}]}`, wantErr: "Action is empty"},
		{name: "action number", doc: `{"Version":"1","Statement":[{"Effect":"Deny","Action":5,"Resource":"*"}]}`, wantErr: "Action must be a string or an array of strings"},
		{name: "spaced action", doc: `{"Version":"1","Statement":[{"Effect":"Deny","Action":[" ram:GetUser"],"Resource":"*"}]}`, wantErr: "surrounding spaces"},
		{name: "no resource", doc: `{"Version":"1","Statement":[{"Effect":"Deny","Action":"*"}]}`, wantErr: `has no Resource; use "Resource": "*"`},
		{name: "bad resource", doc: `{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"user/x"}]}`, wantErr: `resource "user/x" is neither "*" nor an ARN`},
		{name: "unknown statement key", doc: `{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","effect":"x"}]}`, wantErr: `statement 1: unknown key "effect"`},
		{name: "second statement", doc: `{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"},{"Effect":"Deny","Resource":"*"}]}`, wantErr: "statement 2: has no Action"},
		{name: "bad operator", doc: `{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"IpAddr":{"acs:SourceIp":"1.2.3.4"}}}]}`, wantErr: `Condition operator "IpAddr" is not a RAM operator`},
		{name: "bad condition value", doc: `{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"acs:MFAPresent":{}}}}]}`, wantErr: "value must be a string, number, boolean"},
		{name: "empty condition", doc: `{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{}}]}`, wantErr: "Condition is empty"},
		{name: "bad principal", doc: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"*"}]}`, wantErr: "Principal must look like"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.doc
			if doc == "PLAN" {
				doc = planExample(t)
			}
			d, err := ParsePolicy(doc)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParsePolicy: %v", err)
				}
				// Rendering and parsing again is stable.
				again, err := ParsePolicy(d.JSON())
				if err != nil {
					t.Fatalf("re-parse of %s: %v", d.JSON(), err)
				}
				if diff := cmp.Diff(d, again); diff != "" {
					t.Errorf("round trip (-first +second):\n%s", diff)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParsePolicy error = %v, want it to contain %q", err, tt.wantErr)
			}
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("error %v does not wrap ErrInvalidPolicy", err)
			}
		})
	}
}

func TestSemanticallyEqual(t *testing.T) {
	const base = `{"Version":"1","Statement":[{"Effect":"Deny","Action":["ram:CreateUser","ram:CreateAccessKey"],"Resource":"*"},{"Effect":"Deny","Action":"ecs:DeleteInstance","Resource":"*"}]}`
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"identical", base, base, true},
		{"statement order", base, `{"Version":"1","Statement":[{"Effect":"Deny","Action":"ecs:DeleteInstance","Resource":"*"},{"Effect":"Deny","Action":["ram:CreateUser","ram:CreateAccessKey"],"Resource":"*"}]}`, true},
		{"action order and duplicates", base, `{"Version":"1","Statement":[{"Effect":"Deny","Action":["ram:CreateAccessKey","ram:CreateUser","ram:CreateUser"],"Resource":["*"]},{"Effect":"Deny","Action":["ecs:DeleteInstance"],"Resource":"*"}]}`, true},
		{"one statement holding everything", base, `{"Version":"1","Statement":[{"Effect":"Deny","Action":["ecs:DeleteInstance","ram:CreateAccessKey","ram:CreateUser"],"Resource":"*"}]}`, true},
		{"whitespace and sid", base, "{\n \"Statement\": [{\"Sid\":\"a\",\"Effect\":\"Deny\",\"Resource\":\"*\",\"Action\":[\"ram:CreateUser\",\"ram:CreateAccessKey\",\"ecs:DeleteInstance\"]}],\n \"Version\": \"1\"\n}", true},
		{"missing action", base, `{"Version":"1","Statement":[{"Effect":"Deny","Action":["ram:CreateUser"],"Resource":"*"},{"Effect":"Deny","Action":"ecs:DeleteInstance","Resource":"*"}]}`, false},
		{"extra action", base, `{"Version":"1","Statement":[{"Effect":"Deny","Action":["ram:CreateUser","ram:CreateAccessKey","ram:UpdateUser"],"Resource":"*"},{"Effect":"Deny","Action":"ecs:DeleteInstance","Resource":"*"}]}`, false},
		{"effect differs", base, `{"Version":"1","Statement":[{"Effect":"Allow","Action":["ram:CreateUser","ram:CreateAccessKey"],"Resource":"*"},{"Effect":"Deny","Action":"ecs:DeleteInstance","Resource":"*"}]}`, false},
		{"resource differs", base, `{"Version":"1","Statement":[{"Effect":"Deny","Action":["ram:CreateUser","ram:CreateAccessKey"],"Resource":"acs:ram:*:1:user/x"},{"Effect":"Deny","Action":"ecs:DeleteInstance","Resource":"*"}]}`, false},
		{"case differs", base, `{"Version":"1","Statement":[{"Effect":"Deny","Action":["ram:createuser","ram:CreateAccessKey"],"Resource":"*"},{"Effect":"Deny","Action":"ecs:DeleteInstance","Resource":"*"}]}`, false},
		{"condition differs",
			`{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":["1.1.1.1","2.2.2.2"]}}}]}`,
			`{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":["1.1.1.1"]}}}]}`, false},
		{"condition value order",
			`{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":["1.1.1.1","2.2.2.2"]},"Bool":{"acs:MFAPresent":"false"}}}]}`,
			`{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"acs:MFAPresent":false},"NotIpAddress":{"acs:SourceIp":["2.2.2.2","1.1.1.1"]}}}]}`, true},
		{"not action is not split",
			`{"Version":"1","Statement":[{"Effect":"Deny","NotAction":["a:B","c:D"],"Resource":"*"}]}`,
			`{"Version":"1","Statement":[{"Effect":"Deny","NotAction":"a:B","Resource":"*"},{"Effect":"Deny","NotAction":"c:D","Resource":"*"}]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SemanticallyEqual(tt.a, tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("SemanticallyEqual = %v, want %v", got, tt.want)
			}
			if back, _ := SemanticallyEqual(tt.b, tt.a); back != got {
				t.Fatalf("SemanticallyEqual is not symmetric")
			}
		})
	}
	if _, err := SemanticallyEqual(`{}`, base); err == nil || !strings.HasPrefix(err.Error(), "first document: ") {
		t.Errorf("invalid first document: err = %v", err)
	}
	if _, err := SemanticallyEqual(base, `nope`); err == nil || !strings.HasPrefix(err.Error(), "second document: ") {
		t.Errorf("invalid second document: err = %v", err)
	}
}

func TestDetectDocument(t *testing.T) {
	tests := []struct {
		doc     string
		want    DocumentKind
		wantErr string
	}{
		{doc: `{"Version":"1","Statement":[]}`, want: KindRAMPolicy},
		{doc: `{"Version":1,"Status":"Active","Statements":[]}`, want: KindNetworkACL},
		{doc: `{"Statement":[],"Statements":[]}`, wantErr: "it can only be one"},
		{doc: `{"Version":"1"}`, wantErr: "neither a RAM policy"},
		{doc: `nope`, wantErr: "document is not valid JSON"},
	}
	for _, tt := range tests {
		got, err := DetectDocument(tt.doc)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("DetectDocument(%s) error = %v, want %q", tt.doc, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("DetectDocument(%s) = %v, %v; want %v", tt.doc, got, err, tt.want)
		}
	}
	if KindRAMPolicy.String() != "ram-policy" || KindNetworkACL.String() != "network-acl" || KindUnknown.String() != "unknown" {
		t.Error("DocumentKind.String spelled wrong")
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add(`{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`)
	f.Add(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::1:root"},"Condition":{"Bool":{"k":[true,1,"x"]}}}]}`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParsePolicy(s)
		if err != nil {
			return
		}
		if eq, err := SemanticallyEqual(s, d.JSON()); err != nil || !eq {
			t.Fatalf("parsed policy does not render to an equal document: %v %v\n%s", eq, err, d.JSON())
		}
	})
}

func BenchmarkSemanticallyEqual(b *testing.B) {
	doc, err := DenyHighRisk(DenyOptions{Extended: true})
	if err != nil {
		b.Fatal(err)
	}
	a, c := doc.JSON(), doc.Indent()
	b.ReportAllocs()
	for b.Loop() {
		if eq, err := SemanticallyEqual(a, c); err != nil || !eq {
			b.Fatal(eq, err)
		}
	}
}
