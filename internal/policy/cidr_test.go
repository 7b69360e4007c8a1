package policy

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParseCIDR(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "203.0.113.7", want: "203.0.113.7/32"},
		{in: " 203.0.113.0/24 ", want: "203.0.113.0/24"},
		{in: "0.0.0.0/0", want: "0.0.0.0/0"},
		{in: "2001:db8::1", want: "2001:db8::1/128"},
		{in: "2001:db8::/32", want: "2001:db8::/32"},
		{in: "::ffff:192.0.2.1", want: "192.0.2.1/32"},
		{in: "10.0.0.5/32", want: "10.0.0.5/32"},

		{in: "", wantErr: "IP address or CIDR is empty"},
		{in: "   ", wantErr: "IP address or CIDR is empty"},
		{in: "10.0.0.5/24", wantErr: `"10.0.0.5/24" has host bits set; did you mean the network 10.0.0.0/24 or the single address 10.0.0.5/32?`},
		{in: "2001:db8::1/32", wantErr: "has host bits set; did you mean the network 2001:db8::/32"},
		{in: "fe80::1%eth0", wantErr: `"fe80::1%eth0" has an IPv6 zone`},
		{in: "fe80::%eth0/64", wantErr: "has an IPv6 zone"},
		{in: "example.com", wantErr: `"example.com" is not an IP address or CIDR`},
		{in: "10.0.0.0/33", wantErr: `"10.0.0.0/33" is not a valid CIDR`},
		{in: "10.0.0.0/", wantErr: "is not a valid CIDR"},
		{in: "10.0.0.1-10.0.0.9", wantErr: "is not an IP address or CIDR"},
		{in: "256.1.1.1", wantErr: "is not an IP address or CIDR"},
		{in: "::ffff:192.0.2.0/120", wantErr: "IPv4-mapped IPv6 prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseCIDR(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseCIDR(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				if !errors.Is(err, ErrInvalidCIDR) {
					t.Fatalf("error %v does not wrap ErrInvalidCIDR", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCIDR(%q): %v", tt.in, err)
			}
			if got != netip.MustParsePrefix(tt.want) {
				t.Fatalf("ParseCIDR(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseCIDR(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "1.2.3.0/24", "::1", "fe80::1%x", "", "1.2.3.4/99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseCIDR(s)
		if err == nil && (!p.IsValid() || p.Masked() != p) {
			t.Fatalf("ParseCIDR(%q) = %v: invalid or unmasked prefix accepted", s, p)
		}
	})
}
