package policy

import (
	"fmt"
	"net/netip"
	"strings"
)

// ParseCIDR parses one IPv4 or IPv6 address or CIDR block, as used in an
// AccessKey network ACL or a trusted-network list. Surrounding white space is
// ignored.
//
//   - A bare address becomes a single-host prefix (/32 or /128).
//   - An IPv4-mapped IPv6 address (::ffff:192.0.2.1) becomes its IPv4 form;
//     a mapped prefix is refused (write the IPv4 CIDR instead).
//   - A prefix with host bits set ("10.0.0.5/24") is REFUSED, not silently
//     masked: in an allow list the difference between "this host" and "this
//     whole network" is exactly the kind of mistake that must not pass
//     unnoticed during an incident. The error names both readings.
//   - Zones ("fe80::1%eth0"), empty input, ranges and host names are refused.
//
// Errors wrap ErrInvalidCIDR.
func ParseCIDR(s string) (netip.Prefix, error) {
	v := strings.TrimSpace(s)
	if v == "" {
		return netip.Prefix{}, cidrErr("IP address or CIDR is empty")
	}
	if strings.Contains(v, "%") {
		return netip.Prefix{}, cidrErr(fmt.Sprintf("%q has an IPv6 zone; zones are not allowed in an allow list", v))
	}
	if !strings.Contains(v, "/") {
		addr, err := netip.ParseAddr(v)
		if err != nil {
			return netip.Prefix{}, cidrErr(fmt.Sprintf("%q is not an IP address or CIDR (for example 203.0.113.7 or 203.0.113.0/24)", v))
		}
		addr = addr.Unmap()
		return netip.PrefixFrom(addr, addr.BitLen()), nil
	}
	p, err := netip.ParsePrefix(v)
	if err != nil {
		return netip.Prefix{}, cidrErr(fmt.Sprintf("%q is not a valid CIDR (for example 203.0.113.0/24 or 2001:db8::/32)", v))
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, cidrErr(fmt.Sprintf("%q is an IPv4-mapped IPv6 prefix; write it as an IPv4 CIDR", v))
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, cidrErr(fmt.Sprintf("%q has host bits set; did you mean the network %s or the single address %s?",
			v, m, netip.PrefixFrom(p.Addr(), p.Addr().BitLen())))
	}
	return p, nil
}

// formatPrefix renders a prefix the way ACL documents list it: single hosts
// as a bare address (the documented "127.0.0.1" deny-public form), networks
// in CIDR notation.
func formatPrefix(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

func cidrErr(msg string) error { return &inputError{msg: msg, kind: ErrInvalidCIDR} }
