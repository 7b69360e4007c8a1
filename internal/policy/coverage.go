package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Coverage is computed, never matched on strings: 0.0.0.0/0, the pair
// 0.0.0.0/1 + 128.0.0.0/1 and 256 /8 blocks all cover every IPv4 address.
// Coverage is what decides whether an allow list fences anything in.

// span is the closed address interval of one prefix (or of merged ones).
type span struct{ first, last netip.Addr }

// prefixSpan returns the first and last address of p.
func prefixSpan(p netip.Prefix) span {
	p = p.Masked()
	first := p.Addr()
	if first.Is4() {
		b := first.As4()
		setHostBits(b[:], p.Bits())
		return span{first, netip.AddrFrom4(b)}
	}
	b := first.As16()
	setHostBits(b[:], p.Bits())
	return span{first, netip.AddrFrom16(b)}
}

func setHostBits(b []byte, bits int) {
	for i := range b {
		switch {
		case bits >= 8*(i+1):
		case bits <= 8*i:
			b[i] = 0xff
		default:
			b[i] |= 0xff >> (bits - 8*i)
		}
	}
}

// mergeSpans sorts and merges the spans of one address family, joining
// overlapping and adjacent ones.
func mergeSpans(ps []netip.Prefix, v4 bool) []span {
	var ss []span
	for _, p := range ps {
		if !p.IsValid() || p.Addr().Is4() != v4 || p.Addr().Is4In6() {
			continue
		}
		ss = append(ss, prefixSpan(p))
	}
	slices.SortFunc(ss, func(a, b span) int { return a.first.Compare(b.first) })
	var out []span
	for _, s := range ss {
		if n := len(out); n > 0 {
			cur := &out[n-1]
			next := cur.last.Next() // invalid when cur reaches the family's last address
			if !next.IsValid() || s.first.Compare(next) <= 0 {
				if s.last.Compare(cur.last) > 0 {
					cur.last = s.last
				}
				continue
			}
		}
		out = append(out, s)
	}
	return out
}

var (
	allIPv4 = netip.MustParsePrefix("0.0.0.0/0")
	allIPv6 = netip.MustParsePrefix("::/0")
)

// covers reports whether the merged spans contain every address of p.
func covers(merged []span, p netip.Prefix) bool {
	want := prefixSpan(p)
	for _, s := range merged {
		if s.first.Compare(want.first) <= 0 && s.last.Compare(want.last) >= 0 {
			return true
		}
	}
	return false
}

// CoversAllIPv4 reports whether the prefixes together cover every IPv4
// address, in whatever split form.
func CoversAllIPv4(ps []netip.Prefix) bool { return covers(mergeSpans(ps, true), allIPv4) }

// CoversAllIPv6 reports whether the prefixes together cover every IPv6
// address, in whatever split form.
func CoversAllIPv6(ps []netip.Prefix) bool { return covers(mergeSpans(ps, false), allIPv6) }

// Uncovered returns the prefixes of inner that outer does not contain
// entirely (an inner prefix only partly inside outer is uncovered).
func Uncovered(outer, inner []netip.Prefix) []netip.Prefix {
	m4, m6 := mergeSpans(outer, true), mergeSpans(outer, false)
	var out []netip.Prefix
	for _, p := range inner {
		m := m6
		if p.Addr().Is4() {
			m = m4
		}
		if !covers(m, p) {
			out = append(out, p)
		}
	}
	return out
}

// Prefixes parses allow-list entries with ParseCIDR; entries that do not
// parse are skipped (ParseNetworkACL has refused them already).
func Prefixes(entries []string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(entries))
	for _, e := range entries {
		if p, err := ParseCIDR(e); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// ACLCoverage says how much of the address space one allow list admits.
type ACLCoverage struct {
	AllIPv4 bool `json:"all_ipv4"`
	AllIPv6 bool `json:"all_ipv6"`
}

// Open reports whether the list admits every address of either family:
// an attacker can always pick an address of that family.
func (c ACLCoverage) Open() bool { return c.AllIPv4 || c.AllIPv6 }

// String names what is covered ("all of IPv4 and IPv6", "all of IPv4", ...).
func (c ACLCoverage) String() string {
	switch {
	case c.AllIPv4 && c.AllIPv6:
		return "all of IPv4 and IPv6"
	case c.AllIPv4:
		return "all of IPv4"
	case c.AllIPv6:
		return "all of IPv6"
	}
	return "part of the address space"
}

// ListCoverage computes the coverage of allow-list entries (addresses or
// CIDRs; unparsable entries admit nothing).
func ListCoverage(entries []string) ACLCoverage {
	ps := Prefixes(entries)
	return ACLCoverage{AllIPv4: CoversAllIPv4(ps), AllIPv6: CoversAllIPv6(ps)}
}

// PrefixCoverage is ListCoverage for parsed prefixes (e.g. an audit's
// suggested trusted CIDRs).
func PrefixCoverage(ps []netip.Prefix) ACLCoverage {
	return ACLCoverage{AllIPv4: CoversAllIPv4(ps), AllIPv6: CoversAllIPv6(ps)}
}

// CheckAllowList refuses a public allow list that admits every IPv4 or
// every IPv6 address: such a "fence" contains nothing. The error wraps
// ErrInvalidACL and says why.
func CheckAllowList(entries []string) error {
	if c := ListCoverage(entries); c.Open() {
		return aclErr(fmt.Sprintf("the public allow list %s covers %s: every attacker address would still be allowed, so it fences nothing in; allow only the networks that legitimately use the key",
			strings.Join(entries, ","), c))
	}
	return nil
}

// PublicAccess describes what an ACL leaves open to public-endpoint calls.
type PublicAccess struct {
	// Restricted: the ACL is Active and has a ClassicWhiteList.
	Restricted bool `json:"restricted"`
	ACLCoverage
}

// Open reports whether every attacker address still passes the ACL for
// public-endpoint calls: it is not Active, has no ClassicWhiteList (a
// VPC-only fence), or its ClassicWhiteList covers a whole address family.
func (p PublicAccess) Open() bool { return !p.Restricted || p.ACLCoverage.Open() }

// Reason says in words why public access is open ("" when it is not).
func (p PublicAccess) Reason() string {
	switch {
	case !p.Restricted:
		return "no public (ClassicWhiteList) allow list: every public address is allowed"
	case p.ACLCoverage.Open():
		return "the public allow list covers " + p.ACLCoverage.String()
	}
	return ""
}

// PublicAccess computes what the ACL leaves open to public-endpoint calls.
func (a ACL) PublicAccess() PublicAccess {
	if a.Status != ACLStatusActive {
		return PublicAccess{}
	}
	var entries []netip.Prefix
	restricted := false
	for _, s := range a.Statements {
		if s.Type == ACLTypeClassic {
			restricted = true
			entries = append(entries, Prefixes(s.IPList)...)
		}
	}
	if !restricted {
		return PublicAccess{}
	}
	return PublicAccess{Restricted: true, ACLCoverage: PrefixCoverage(entries)}
}

// Warnings lists what makes a well-formed ACL a weak fence: an Active ACL
// whose public allow list covers a whole address family, or that has no
// public allow list at all.
func (a ACL) Warnings() []string {
	if a.Status != ACLStatusActive {
		return nil
	}
	pa := a.PublicAccess()
	var w []string
	switch {
	case !pa.Restricted:
		w = append(w, "no ClassicWhiteList statement: every public address may use the key (a VPC-only policy leaves public access open)")
	case pa.ACLCoverage.Open():
		w = append(w, "the ClassicWhiteList covers "+pa.ACLCoverage.String()+": it restricts nothing for that address family")
	}
	return w
}

// classicPrefixes returns the ClassicWhiteList entries and whether there is
// such a statement.
func (a ACL) classicPrefixes() ([]netip.Prefix, bool) {
	var ps []netip.Prefix
	ok := false
	for _, s := range a.Statements {
		if s.Type == ACLTypeClassic {
			ok = true
			ps = append(ps, Prefixes(s.IPList)...)
		}
	}
	return ps, ok
}

// vpcPrefixes returns the VPCWhiteList entries per VPC ID.
func (a ACL) vpcPrefixes() map[string][]netip.Prefix {
	m := map[string][]netip.Prefix{}
	for _, s := range a.Statements {
		if s.Type == ACLTypeVPC {
			m[s.Value] = append(m[s.Value], Prefixes(s.IPList)...)
		}
	}
	return m
}

// AllowedBeyond lists what a admits that base does not, as sentences
// ("public 198.51.100.0/24", "every public address", "vpc vpc-x 10.0.0.0/8"):
// nil when a is no wider than base. An ACL that is not Active admits
// everything.
func (a ACL) AllowedBeyond(base ACL) []string {
	if base.Status != ACLStatusActive {
		return nil
	}
	var out []string
	bc, bHas := base.classicPrefixes()
	if a.Status != ACLStatusActive {
		if bHas {
			out = append(out, "every public address")
		}
		if len(base.vpcPrefixes()) > 0 {
			out = append(out, "every VPC source")
		}
		return out
	}
	ac, aHas := a.classicPrefixes()
	switch {
	case !bHas:
	case !aHas:
		out = append(out, "every public address")
	default:
		if u := Uncovered(bc, ac); len(u) > 0 {
			out = append(out, "public "+joinPrefixes(u))
		}
	}
	bv, av := base.vpcPrefixes(), a.vpcPrefixes()
	if len(bv) > 0 {
		if len(av) == 0 {
			out = append(out, "every VPC source")
		}
		ids := make([]string, 0, len(av))
		for id := range av {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			outer := append(slices.Clone(bv[id]), bv[ACLAllowAllVPC]...)
			if len(outer) == 0 {
				out = append(out, "vpc "+id+" (not allowed at all by the other policy)")
				continue
			}
			if u := Uncovered(outer, av[id]); len(u) > 0 {
				out = append(out, "vpc "+id+" "+joinPrefixes(u))
			}
		}
	}
	return out
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = formatPrefix(p)
	}
	return strings.Join(s, ",")
}
