package policy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

func TestListCoverage(t *testing.T) {
	var slash8 []string
	for i := range 256 {
		slash8 = append(slash8, fmt.Sprintf("%d.0.0.0/8", i))
	}
	tests := []struct {
		name       string
		entries    []string
		all4, all6 bool
	}{
		{"whole v4", []string{"0.0.0.0/0"}, true, false},
		{"whole v6", []string{"::/0"}, false, true},
		{"both", []string{"0.0.0.0/0", "::/0"}, true, true},
		{"split halves", []string{"0.0.0.0/1", "128.0.0.0/1"}, true, false},
		{"split halves reversed", []string{"128.0.0.0/1", "0.0.0.0/1"}, true, false},
		{"256 /8 blocks", slash8, true, false},
		{"255 /8 blocks", slash8[:255], false, false},
		{"missing one host", []string{"0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3", "224.0.0.0/4", "240.0.0.0/5", "248.0.0.0/6", "252.0.0.0/7", "254.0.0.0/8",
			"255.0.0.0/9", "255.128.0.0/10", "255.192.0.0/11", "255.224.0.0/12", "255.240.0.0/13", "255.248.0.0/14", "255.252.0.0/15", "255.254.0.0/16",
			"255.255.0.0/17", "255.255.128.0/18", "255.255.192.0/19", "255.255.224.0/20", "255.255.240.0/21", "255.255.248.0/22", "255.255.252.0/23", "255.255.254.0/24",
			"255.255.255.0/25", "255.255.255.128/26", "255.255.255.192/27", "255.255.255.224/28", "255.255.255.240/29", "255.255.255.248/30", "255.255.255.252/31", "255.255.255.254"}, false, false},
		{"missing one host completed", []string{"0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3", "224.0.0.0/4", "240.0.0.0/5", "248.0.0.0/6", "252.0.0.0/7", "254.0.0.0/8",
			"255.0.0.0/9", "255.128.0.0/10", "255.192.0.0/11", "255.224.0.0/12", "255.240.0.0/13", "255.248.0.0/14", "255.252.0.0/15", "255.254.0.0/16",
			"255.255.0.0/17", "255.255.128.0/18", "255.255.192.0/19", "255.255.224.0/20", "255.255.240.0/21", "255.255.248.0/22", "255.255.252.0/23", "255.255.254.0/24",
			"255.255.255.0/25", "255.255.255.128/26", "255.255.255.192/27", "255.255.255.224/28", "255.255.255.240/29", "255.255.255.248/30", "255.255.255.252/31", "255.255.255.254", "255.255.255.255"}, true, false},
		{"overlapping v4", []string{"0.0.0.0/2", "0.0.0.0/1", "64.0.0.0/2", "128.0.0.0/1", "10.0.0.0/8"}, true, false},
		{"v6 halves", []string{"::/1", "8000::/1"}, false, true},
		{"v6 with a gap", []string{"::/1", "8000::/2", "c000::/3", "e000::/4"}, false, false},
		{"office only", []string{"203.0.113.0/24", "2001:db8::/32"}, false, false},
		{"empty", nil, false, false},
		{"unparsable is no coverage", []string{"0.0.0.0/0x"}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ListCoverage(tt.entries)
			if c.AllIPv4 != tt.all4 || c.AllIPv6 != tt.all6 {
				t.Fatalf("ListCoverage = %+v, want v4 %v v6 %v", c, tt.all4, tt.all6)
			}
			if c.Open() != (tt.all4 || tt.all6) {
				t.Fatalf("Open = %v", c.Open())
			}
			err := CheckAllowList(tt.entries)
			if (err != nil) != c.Open() {
				t.Fatalf("CheckAllowList = %v, open %v", err, c.Open())
			}
			if err != nil && (!errors.Is(err, ErrInvalidACL) || !strings.Contains(err.Error(), "fences nothing")) {
				t.Fatalf("CheckAllowList error %v", err)
			}
		})
	}
}

func TestUncovered(t *testing.T) {
	outer := Prefixes([]string{"203.0.113.0/24", "198.51.100.0/25", "198.51.100.128/25", "2001:db8::/32"})
	inner := Prefixes([]string{"203.0.113.7", "198.51.100.0/24", "203.0.0.0/16", "2001:db8:1::/48", "2001:db9::1", "10.0.0.1"})
	got := joinPrefixes(Uncovered(outer, inner))
	if want := "203.0.0.0/16,2001:db9::1,10.0.0.1"; got != want {
		t.Fatalf("Uncovered = %s, want %s", got, want)
	}
}

func TestACLPublicAccessAndWarnings(t *testing.T) {
	mk := func(o ACLOptions) ACL {
		t.Helper()
		a, err := NetworkACL(o)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	tests := []struct {
		name string
		acl  ACL
		open bool
		warn string
	}{
		{"office", mk(ACLOptions{AllowIPs: []string{"203.0.113.0/24"}}), false, ""},
		{"deny public", mk(ACLOptions{DenyPublic: true}), false, ""},
		{"vpc only", mk(ACLOptions{AllowVPCs: []string{"vpc-abc:10.0.0.0/8"}}), true, "VPC-only"},
		{"split v4", mk(ACLOptions{AllowIPs: []string{"0.0.0.0/1", "128.0.0.0/1"}}), true, "all of IPv4"},
		{"v6 open", mk(ACLOptions{AllowIPs: []string{"203.0.113.0/24", "::/0"}}), true, "all of IPv6"},
		{"inactive", ACLInactive(), true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pa := tt.acl.PublicAccess()
			if pa.Open() != tt.open {
				t.Fatalf("Open = %v (%+v), want %v", pa.Open(), pa, tt.open)
			}
			if tt.open != (pa.Reason() != "") {
				t.Fatalf("Reason %q for open=%v", pa.Reason(), tt.open)
			}
			w := strings.Join(tt.acl.Warnings(), "; ")
			if (tt.warn == "") != (w == "") || !strings.Contains(w, tt.warn) {
				t.Fatalf("Warnings = %q, want %q", w, tt.warn)
			}
			// Coverage agrees with Allows on sample addresses.
			if pa.Open() && pa.Restricted {
				probe := netip.MustParseAddr("45.33.32.156")
				if pa.AllIPv6 {
					probe = netip.MustParseAddr("2a01:4f8::1")
				}
				if !tt.acl.Allows(probe) {
					t.Fatalf("open ACL refuses %s", probe)
				}
			}
		})
	}
}

func TestAllowedBeyond(t *testing.T) {
	mk := func(o ACLOptions) ACL {
		t.Helper()
		a, err := NetworkACL(o)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	office := mk(ACLOptions{AllowIPs: []string{"203.0.113.0/24"}})
	tests := []struct {
		name    string
		a, base ACL
		want    string
	}{
		{"same", office, office, ""},
		{"narrower", mk(ACLOptions{AllowIPs: []string{"203.0.113.7"}}), office, ""},
		{"wider", mk(ACLOptions{AllowIPs: []string{"203.0.0.0/16"}}), office, "public 203.0.0.0/16"},
		{"extra host", mk(ACLOptions{AllowIPs: []string{"203.0.113.7", "198.51.100.1"}}), office, "public 198.51.100.1"},
		{"vpc only opens public", mk(ACLOptions{AllowVPCs: []string{"vpc-abc:10.0.0.0/8"}}), office, "every public address"},
		{"base inactive", office, ACLInactive(), ""},
		{"a inactive", ACLInactive(), office, "every public address"},
		{"base vpc", mk(ACLOptions{DenyPublic: true, AllowVPCs: []string{"vpc-abc:10.0.0.0/16"}}),
			mk(ACLOptions{DenyPublic: true, AllowVPCs: []string{"vpc-abc:10.0.0.0/8"}}), ""},
		{"wider vpc", mk(ACLOptions{DenyPublic: true, AllowVPCs: []string{"vpc-abc:10.0.0.0/8", "vpc-def:0.0.0.0/0"}}),
			mk(ACLOptions{DenyPublic: true, AllowVPCs: []string{"vpc-abc:10.0.0.0/16"}}), "vpc vpc-abc 10.0.0.0/8; vpc vpc-def (not allowed at all by the other policy)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(tt.a.AllowedBeyond(tt.base), "; "); got != tt.want {
				t.Fatalf("AllowedBeyond = %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzCoverage checks CoversAllIPv4 against a brute-force oracle on random
// splits of the address space: a list that covers every /4 block entirely
// covers IPv4, and dropping a block breaks it.
func FuzzCoverage(f *testing.F) {
	f.Add(uint64(1), uint8(4))
	f.Add(uint64(42), uint8(9))
	f.Fuzz(func(t *testing.T, seed uint64, depth uint8) {
		r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		d := int(depth%12) + 1
		// Split 0.0.0.0/0 randomly into disjoint prefixes of length <= d.
		var parts []netip.Prefix
		var split func(p netip.Prefix)
		split = func(p netip.Prefix) {
			if p.Bits() >= d || r.IntN(3) == 0 {
				parts = append(parts, p)
				return
			}
			b := p.Addr().As4()
			lo := netip.PrefixFrom(netip.AddrFrom4(b), p.Bits()+1)
			i := p.Bits()
			b[i/8] |= 0x80 >> (i % 8)
			hi := netip.PrefixFrom(netip.AddrFrom4(b), p.Bits()+1)
			split(lo)
			split(hi)
		}
		split(allIPv4)
		r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		if !CoversAllIPv4(parts) {
			t.Fatalf("complete split %v not covering", parts)
		}
		if CoversAllIPv6(parts) {
			t.Fatal("IPv4 list covers IPv6")
		}
		if len(parts) > 1 {
			drop := r.IntN(len(parts))
			rest := append(append([]netip.Prefix(nil), parts[:drop]...), parts[drop+1:]...)
			if CoversAllIPv4(rest) {
				t.Fatalf("split without %v still covers", parts[drop])
			}
			if u := Uncovered(rest, []netip.Prefix{parts[drop]}); len(u) != 1 {
				t.Fatalf("dropped part reported covered")
			}
		}
	})
}
