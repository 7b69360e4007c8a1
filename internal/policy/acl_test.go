package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNetworkACLGoldens(t *testing.T) {
	tests := []struct {
		golden string
		opts   ACLOptions
	}{
		{"acl-allow.golden.json", ACLOptions{
			AllowIPs:  []string{"203.0.113.7", "198.51.100.0/24", "2001:db8::/32"},
			AllowVPCs: []string{"vpc-bp1office:10.0.0.0/8,172.16.0.0/12", "vpc-bp2build:0.0.0.0/0"},
		}},
		{"acl-deny-public.golden.json", ACLOptions{DenyPublic: true, AllowVPCs: []string{"vpc-bp1office:10.0.0.0/8"}}},
		{"acl-inactive.golden.json", ACLOptions{Status: "Inactive"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			acl, err := NetworkACL(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, acl.Indent())
			back, err := ParseNetworkACL(acl.JSON())
			if err != nil {
				t.Fatalf("rendered ACL does not parse: %v", err)
			}
			if diff := cmp.Diff(acl, back); diff != "" {
				t.Errorf("round trip (-rendered +parsed):\n%s", diff)
			}
		})
	}
}

func TestNetworkACLShapes(t *testing.T) {
	tests := []struct {
		name string
		opts ACLOptions
		want string
	}{
		{"deny public is the 127.0.0.1 trick", ACLOptions{DenyPublic: true},
			`{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["127.0.0.1"]}]}`},
		{"single hosts are bare, /32 normalised", ACLOptions{AllowIPs: []string{"203.0.113.7/32", " 198.51.100.0/24 "}},
			`{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["203.0.113.7","198.51.100.0/24"]}]}`},
		{"vpc only leaves public open", ACLOptions{AllowVPCs: []string{"vpc-a1:10.0.0.0/8"}},
			`{"Version":1,"Status":"Active","Statements":[{"Type":"VPCWhiteList","Value":"vpc-a1","IPList":["10.0.0.0/8"]}]}`},
		{"same vpc twice is merged", ACLOptions{AllowVPCs: []string{"vpc-a1:10.0.0.0/8", "vpc-b2:10.1.0.0/16", "vpc-a1:172.16.0.0/12"}},
			`{"Version":1,"Status":"Active","Statements":[{"Type":"VPCWhiteList","Value":"vpc-a1","IPList":["10.0.0.0/8","172.16.0.0/12"]},{"Type":"VPCWhiteList","Value":"vpc-b2","IPList":["10.1.0.0/16"]}]}`},
		{"status is case-folded", ACLOptions{AllowIPs: []string{"203.0.113.7"}, Status: "inactive"},
			`{"Version":1,"Status":"Inactive","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["203.0.113.7"]}]}`},
		{"inactive alone is the remove document", ACLOptions{Status: "Inactive"},
			`{"Version":1,"Status":"Inactive","Statements":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acl, err := NetworkACL(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := acl.JSON(); got != tt.want {
				t.Fatalf("NetworkACL JSON\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
	if got := ACLInactive().JSON(); got != `{"Version":1,"Status":"Inactive","Statements":[]}` {
		t.Errorf("ACLInactive() = %s", got)
	}
	if got := (ACL{Version: 1, Status: "Active"}).JSON(); got != `{"Version":1,"Status":"Active","Statements":[]}` {
		t.Errorf("nil statements must render as []: %s", got)
	}
}

func TestNetworkACLErrors(t *testing.T) {
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf("203.0.113.%d", i)
	}
	tests := []struct {
		name    string
		opts    ACLOptions
		wantErr string
	}{
		{"nothing", ACLOptions{}, "the ACL allows nothing"},
		{"deny public with allow ip", ACLOptions{DenyPublic: true, AllowIPs: []string{"203.0.113.7"}}, "cannot both deny all public access and allow public addresses"},
		{"bad status", ACLOptions{DenyPublic: true, Status: "Enabled"}, `ACL status "Enabled" is not Active or Inactive`},
		{"bad ip", ACLOptions{AllowIPs: []string{"203.0.113.300"}}, `public allow list: "203.0.113.300" is not an IP address or CIDR`},
		{"host bits", ACLOptions{AllowIPs: []string{"203.0.113.7/24"}}, "has host bits set"},
		{"duplicate", ACLOptions{AllowIPs: []string{"203.0.113.7", "198.51.100.1", "203.0.113.7"}}, `public allow list: duplicate entry "203.0.113.7"`},
		{"duplicate spelled differently", ACLOptions{AllowIPs: []string{"203.0.113.7", "203.0.113.7/32"}}, `duplicate entry "203.0.113.7/32" (same as "203.0.113.7")`},
		{"vpc without cidrs", ACLOptions{AllowVPCs: []string{"vpc-a1"}}, `VPC allow list "vpc-a1" has no CIDRs; write vpc-id:CIDR[,CIDR]`},
		{"vpc empty list", ACLOptions{AllowVPCs: []string{"vpc-a1: , "}}, "VPC allow list for vpc-a1 is empty; use vpc-a1:0.0.0.0/0"},
		{"bad vpc id", ACLOptions{AllowVPCs: []string{"VPC-A1:10.0.0.0/8"}}, `VPC ID "VPC-A1" is not valid`},
		{"bad vpc id chars", ACLOptions{AllowVPCs: []string{"vpc_a1:10.0.0.0/8"}}, `VPC ID "vpc_a1" is not valid`},
		{"duplicate within vpc", ACLOptions{AllowVPCs: []string{"vpc-a1:10.0.0.0/8", "vpc-a1:10.0.0.0/8"}}, `allow list of vpc-a1: duplicate entry "10.0.0.0/8"`},
		{"bad vpc cidr", ACLOptions{AllowVPCs: []string{"vpc-a1:10.0.0.1/8"}}, "allow list of vpc-a1: \"10.0.0.1/8\" has host bits set"},
		{"too many", ACLOptions{AllowIPs: many}, "the ACL has 51 IP entries; the limit is 50"},
		{"too many across statements", ACLOptions{AllowIPs: many[:49], AllowVPCs: []string{"vpc-a1:10.0.0.0/8,10.1.0.0/16"}}, "the ACL has 51 IP entries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NetworkACL(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NetworkACL error = %v, want it to contain %q", err, tt.wantErr)
			}
			if !errors.Is(err, ErrInvalidACL) {
				t.Fatalf("error %v does not wrap ErrInvalidACL", err)
			}
		})
	}
	if _, err := NetworkACL(ACLOptions{AllowIPs: many[:50]}); err != nil {
		t.Errorf("exactly 50 entries must pass: %v", err)
	}
}

func TestParseNetworkACL(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    string // compact JSON of the result
		wantErr string
	}{
		{name: "remove document", doc: `{"Version":1,"Status":"Inactive","Statements":[]}`, want: `{"Version":1,"Status":"Inactive","Statements":[]}`},
		{name: "string version", doc: `{"Version":"1","Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["1.2.3.4"]}]}`,
			want: `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["1.2.3.4"]}]}`},
		{name: "no version, no value, normalised entries", doc: `{"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["1.2.3.4/32"," 10.0.0.0/8"]}]}`,
			want: `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["1.2.3.4","10.0.0.0/8"]}]}`},
		{name: "AllowAllVPC", doc: `{"Version":1,"Status":"Active","Statements":[{"Type":"VPCWhiteList","Value":"AllowAllVPC","IPList":["0.0.0.0/0"]}]}`,
			want: `{"Version":1,"Status":"Active","Statements":[{"Type":"VPCWhiteList","Value":"AllowAllVPC","IPList":["0.0.0.0/0"]}]}`},

		{name: "not json", doc: `{`, wantErr: "network ACL is not valid JSON"},
		{name: "version 2", doc: `{"Version":2,"Status":"Active","Statements":[]}`, wantErr: "network ACL Version is 2; it must be 1"},
		{name: "version 0", doc: `{"Version":0,"Status":"Active","Statements":[]}`, wantErr: "network ACL Version is 0"},
		{name: "version string 2", doc: `{"Version":"2","Status":"Active","Statements":[]}`, wantErr: `network ACL Version is "2"`},
		{name: "no status", doc: `{"Version":1,"Statements":[]}`, wantErr: "network ACL has no Status"},
		{name: "bad status", doc: `{"Version":1,"Status":"active","Statements":[]}`, wantErr: `network ACL Status "active" must be "Active" or "Inactive"`},
		{name: "no statements", doc: `{"Version":1,"Status":"Active"}`, wantErr: "network ACL has no Statements (use [] for none)"},
		{name: "null statements", doc: `{"Version":1,"Status":"Active","Statements":null}`, wantErr: "network ACL Statements must be an array"},
		{name: "unknown key", doc: `{"Version":1,"Status":"Active","Statements":[],"statements":[]}`, wantErr: `network ACL has unknown key "statements"`},
		{name: "bad type", doc: `{"Version":1,"Status":"Active","Statements":[{"Type":"WhiteList","IPList":["1.2.3.4"]}]}`, wantErr: `statement 1: Type "WhiteList" must be ClassicWhiteList or VPCWhiteList`},
		{name: "classic with value", doc: `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"vpc-a","IPList":["1.2.3.4"]}]}`, wantErr: "must have an empty Value"},
		{name: "bad vpc", doc: `{"Version":1,"Status":"Active","Statements":[{"Type":"VPCWhiteList","Value":"vpc_x","IPList":["1.2.3.4"]}]}`, wantErr: `VPC ID "vpc_x" is not valid`},
		{name: "no iplist", doc: `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":""}]}`, wantErr: "statement 1: no IPList"},
		{name: "empty iplist", doc: `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":[]}]}`, wantErr: "IPList is empty"},
		{name: "bad entry", doc: `{"Version":1,"Status":"Active","Statements":[{"Type":"VPCWhiteList","Value":"vpc-a","IPList":["x"]}]}`, wantErr: `statement 1: IPList of vpc-a: "x" is not an IP address`},
		{name: "duplicate entry", doc: `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["1.2.3.4","1.2.3.4/32"]}]}`, wantErr: `duplicate entry "1.2.3.4/32" (same as "1.2.3.4")`},
		{name: "unknown statement key", doc: `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IpList":["1.2.3.4"]}]}`, wantErr: `statement 1: unknown key "IpList"`},
		{name: "statement not object", doc: `{"Version":1,"Status":"Active","Statements":["x"]}`, wantErr: "statement 1: statement must be a JSON object"},
		{name: "iplist not strings", doc: `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":[1]}]}`, wantErr: "IPList must be an array of strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acl, err := ParseNetworkACL(tt.doc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseNetworkACL error = %v, want it to contain %q", err, tt.wantErr)
				}
				if !errors.Is(err, ErrInvalidACL) {
					t.Fatalf("error %v does not wrap ErrInvalidACL", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := acl.JSON(); got != tt.want {
				t.Fatalf("parsed ACL\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestACLAllows(t *testing.T) {
	office, _ := NetworkACL(ACLOptions{AllowIPs: []string{"127.0.0.10", "198.51.100.0/24", "2001:db8::/32"}})
	denyPublic, _ := NetworkACL(ACLOptions{DenyPublic: true})
	vpcOnly, _ := NetworkACL(ACLOptions{AllowVPCs: []string{"vpc-a1:10.0.0.0/8"}})
	inactive, _ := NetworkACL(ACLOptions{AllowIPs: []string{"127.0.0.10"}, Status: ACLStatusInactive})
	tests := []struct {
		name string
		acl  ACL
		ip   string
		want bool
	}{
		{"office host", office, "127.0.0.10", true},
		{"attacker host", office, "127.0.0.66", false},
		{"inside CIDR", office, "198.51.100.200", true},
		{"outside CIDR", office, "198.51.101.1", false},
		{"ipv6 inside", office, "2001:db8::42", true},
		{"ipv6 outside", office, "2001:db9::1", false},
		{"ipv4-mapped caller", office, "::ffff:127.0.0.10", true},
		{"deny public blocks everyone else", denyPublic, "203.0.113.7", false},
		{"deny public allows the trick address", denyPublic, "127.0.0.1", true},
		{"no classic statement allows public", vpcOnly, "203.0.113.7", true},
		{"inactive allows everything", inactive, "127.0.0.66", true},
		{"remove document allows everything", ACLInactive(), "127.0.0.66", true},
		{"zero ACL allows everything", ACL{}, "127.0.0.66", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.acl.Allows(netip.MustParseAddr(tt.ip)); got != tt.want {
				t.Fatalf("Allows(%s) = %v, want %v for %s", tt.ip, got, tt.want, tt.acl.JSON())
			}
		})
	}
	if office.Allows(netip.Addr{}) {
		t.Error("an invalid address must not pass a restricting ACL")
	}
	if !vpcOnly.Allows(netip.Addr{}) {
		t.Error("an invalid address passes when public access is unrestricted")
	}
}

func TestACLEquivalent(t *testing.T) {
	a, _ := ParseNetworkACL(`{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["1.2.3.4","10.0.0.0/8"]},{"Type":"VPCWhiteList","Value":"vpc-a","IPList":["10.0.0.0/8"]}]}`)
	tests := []struct {
		name string
		doc  string
		want bool
	}{
		{"reordered", `{"Version":"1","Status":"Active","Statements":[{"Type":"VPCWhiteList","Value":"vpc-a","IPList":["10.0.0.0/8"]},{"Type":"ClassicWhiteList","IPList":["10.0.0.0/8","1.2.3.4/32"]}]}`, true},
		{"split classic", `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["1.2.3.4"]},{"Type":"ClassicWhiteList","Value":"","IPList":["10.0.0.0/8"]},{"Type":"VPCWhiteList","Value":"vpc-a","IPList":["10.0.0.0/8"]}]}`, true},
		{"status differs", `{"Version":1,"Status":"Inactive","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["1.2.3.4","10.0.0.0/8"]},{"Type":"VPCWhiteList","Value":"vpc-a","IPList":["10.0.0.0/8"]}]}`, false},
		{"entry differs", `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["1.2.3.5","10.0.0.0/8"]},{"Type":"VPCWhiteList","Value":"vpc-a","IPList":["10.0.0.0/8"]}]}`, false},
		{"vpc differs", `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["1.2.3.4","10.0.0.0/8"]},{"Type":"VPCWhiteList","Value":"vpc-b","IPList":["10.0.0.0/8"]}]}`, false},
		{"classic missing", `{"Version":1,"Status":"Active","Statements":[{"Type":"VPCWhiteList","Value":"vpc-a","IPList":["10.0.0.0/8"]}]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseNetworkACL(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Equivalent(b); got != tt.want {
				t.Fatalf("Equivalent = %v, want %v", got, tt.want)
			}
			if b.Equivalent(a) != a.Equivalent(b) {
				t.Fatal("Equivalent is not symmetric")
			}
		})
	}
}

func FuzzParseNetworkACL(f *testing.F) {
	f.Add(`{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["1.2.3.4"]}]}`)
	f.Add(`{"Status":"Inactive","Statements":[]}`)
	f.Fuzz(func(t *testing.T, s string) {
		acl, err := ParseNetworkACL(s)
		if err != nil {
			return
		}
		back, err := ParseNetworkACL(acl.JSON())
		if err != nil {
			t.Fatalf("re-parse of %s: %v", acl.JSON(), err)
		}
		if !acl.Equivalent(back) {
			t.Fatalf("round trip changed the ACL: %s vs %s", acl.JSON(), back.JSON())
		}
		_ = acl.Allows(netip.MustParseAddr("127.0.0.1"))
	})
}

// contain replays every recent caller against a proposed ACL, so Allows runs
// once per distinct source address of up to 90 days of events.
func BenchmarkACLAllows(b *testing.B) {
	ips := make([]string, MaxACLEntries)
	for i := range ips {
		ips[i] = fmt.Sprintf("198.51.%d.0/24", i)
	}
	acl, err := NetworkACL(ACLOptions{AllowIPs: ips})
	if err != nil {
		b.Fatal(err)
	}
	miss := netip.MustParseAddr("203.0.113.7") // worst case: every entry checked
	b.ReportAllocs()
	for b.Loop() {
		if acl.Allows(miss) {
			b.Fatal("allowed")
		}
	}
}

// A document read back from the cloud may carry keys this version does not
// know: ReadNetworkACL reads what the known keys say (never "unparsable",
// which callers would treat as no policy, i.e. allow all), while
// ParseNetworkACL, for documents a person wrote, still refuses them.
func TestReadNetworkACLToleratesUnknownKeys(t *testing.T) {
	doc := `{"Version":"1","Status":"Active","PolicyId":"p-1","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["10.0.0.0/8"],"Description":"office"}]}`
	if _, err := ParseNetworkACL(doc); err == nil {
		t.Fatal("ParseNetworkACL accepted unknown keys")
	}
	acl, err := ReadNetworkACL(doc)
	if err != nil {
		t.Fatalf("ReadNetworkACL: %v", err)
	}
	if !acl.Allows(netip.MustParseAddr("10.1.2.3")) || acl.Allows(netip.MustParseAddr("203.0.113.9")) {
		t.Errorf("ReadNetworkACL read %+v: want only 10.0.0.0/8 allowed", acl)
	}
	if _, err := ReadNetworkACL(`{"Status":"Active","Statements":[{"Type":"FutureList","Value":"","IPList":["1.2.3.4"]}]}`); err == nil {
		t.Error("ReadNetworkACL accepted a statement Type it cannot evaluate")
	}
}

// AllowAllVPC is accepted in AllowVPCs only to keep a statement already in
// effect (KeepAllowAllVPC); akresp never generates one on its own.
func TestNetworkACLAllowAllVPCOnlyWhenKept(t *testing.T) {
	opts := ACLOptions{AllowVPCs: []string{"AllowAllVPC:10.0.0.0/8"}}
	if _, err := NetworkACL(opts); err == nil || !errors.Is(err, ErrInvalidACL) {
		t.Fatalf("AllowAllVPC accepted without KeepAllowAllVPC (err %v)", err)
	}
	opts.KeepAllowAllVPC = true
	acl, err := NetworkACL(opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(acl.Statements) != 1 || acl.Statements[0].Type != ACLTypeVPC || acl.Statements[0].Value != ACLAllowAllVPC {
		t.Fatalf("statements %+v", acl.Statements)
	}
	if _, err := NetworkACL(ACLOptions{AllowVPCs: []string{"allowallvpc:10.0.0.0/8"}, KeepAllowAllVPC: true}); err == nil {
		t.Fatal("a misspelt AllowAllVPC accepted")
	}
}
