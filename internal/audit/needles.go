package audit

import (
	"bytes"
	"encoding/binary"
)

// needleSet answers "does b contain any of these strings" (ReadOptions.
// MatchAny: the identities a follow pass looks for) in one pass over b,
// whatever the number of needles, instead of one bytes.Contains per
// needle: with 50 followed identities that was 50 scans of every record
// of every file, several times the cost of inflating them.
//
// Positions are screened by their first two bytes against a 64 Kibit
// table of the needles' first two bytes; the few that pass look up the
// needles starting with the same four bytes. Needles shorter than four
// bytes are searched with bytes.Contains.
type needleSet struct {
	short    [][]byte
	pairs    [1 << 16 / 64]uint64
	byPrefix map[uint32][][]byte
	minLen   int
}

func newNeedleSet(needles []string) *needleSet {
	n := &needleSet{byPrefix: map[uint32][][]byte{}}
	seen := map[string]bool{}
	for _, s := range needles {
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		b := []byte(s)
		if len(b) < 4 {
			n.short = append(n.short, b)
			continue
		}
		if n.minLen == 0 || len(b) < n.minLen {
			n.minLen = len(b)
		}
		x := uint32(b[0]) | uint32(b[1])<<8
		n.pairs[x>>6] |= 1 << (x & 63)
		p := binary.LittleEndian.Uint32(b)
		n.byPrefix[p] = append(n.byPrefix[p], b)
	}
	return n
}

// any reports whether b contains one of the needles.
func (n *needleSet) any(b []byte) bool {
	for _, s := range n.short {
		if bytes.Contains(b, s) {
			return true
		}
	}
	if n.minLen == 0 {
		return false
	}
	for i, end := 0, len(b)-n.minLen; i <= end; i++ {
		x := uint32(b[i]) | uint32(b[i+1])<<8
		if n.pairs[x>>6]&(1<<(x&63)) == 0 {
			continue
		}
		for _, s := range n.byPrefix[binary.LittleEndian.Uint32(b[i:])] {
			if bytes.HasPrefix(b[i:], s) {
				return true
			}
		}
	}
	return false
}
