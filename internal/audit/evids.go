package audit

import (
	"bytes"
	"math"
	"unsafe"
)

// An evidence reference carries its event's ID and request ID. ActionTrail
// writes both as UUIDs (8-4-4-4-12 hex digits; the eventId in lower case,
// the requestId in upper case, alibaba-cloud-api.md), so a reference keeps
// them as 16 bytes each and a case, and prints them back as they were read.
// Anything else (another layout, mixed case, an escape) is kept as text
// beside the reference (evAlt). A busy key's audit keeps a reference for
// most of its events: this saves the 80-byte string allocation each, and
// the reference itself fits 80 bytes with no string pointers.

// Kinds of a kept ID.
const (
	idEmpty uint8 = iota // ""
	idLower              // a UUID with no upper-case letter
	idUpper              // a UUID with no lower-case letter (and at least one letter)
	idAlt                // text in evRef.alt
)

// evAlt holds what a reference cannot keep compactly: an ID that is not a
// one-case UUID, or a position beyond 32 bits.
type evAlt struct {
	id, req string
	pos     int64
}

// uuidDashes are the positions of the dashes of a UUID's text.
var uuidDashes = [4]int{8, 13, 18, 23}

// parseUUID reads a 36-character UUID of one case.
func parseUUID(s string) (b [16]byte, kind uint8, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return b, 0, false
	}
	var seen byte // hexCase bits of every digit
	for j, i := range uuidHexAt {
		hi, lo := hexTab[s[i]], hexTab[s[i+1]]
		seen |= hi | lo
		b[j] = hi<<4 | lo&15
	}
	switch {
	case seen&hexBad != 0, seen&hexLower != 0 && seen&hexUpper != 0:
		return b, 0, false
	case seen&hexUpper != 0:
		return b, idUpper, true
	}
	return b, idLower, true
}

// uuidHexAt are the positions of a UUID's 16 digit pairs.
var uuidHexAt = [16]int{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

// hexTab maps a byte to its digit value (low four bits) and its case.
const (
	hexLower = 1 << 4
	hexUpper = 1 << 5
	hexBad   = 1 << 6
)

var hexTab = func() (t [256]byte) {
	for c := range t {
		switch {
		case c >= '0' && c <= '9':
			t[c] = byte(c - '0')
		case c >= 'a' && c <= 'f':
			t[c] = byte(c-'a'+10) | hexLower
		case c >= 'A' && c <= 'F':
			t[c] = byte(c-'A'+10) | hexUpper
		default:
			t[c] = hexBad
		}
	}
	return t
}()

// formatUUID writes the text of b in the case of kind into buf.
func formatUUID(buf *[36]byte, b *[16]byte, kind uint8) []byte {
	digits := "0123456789abcdef"
	if kind == idUpper {
		digits = "0123456789ABCDEF"
	}
	j := 0
	for i, d := 0, 0; i < 16; i++ {
		if d < 4 && j == uuidDashes[d] {
			buf[j] = '-'
			j++
			d++
		}
		buf[j], buf[j+1] = digits[b[i]>>4], digits[b[i]&15]
		j += 2
	}
	return buf[:]
}

// setIDs stores an event's ID, request ID and position in r.
func (r *evRef) setIDs(id, req string, pos int64) {
	var ok1, ok2 bool
	r.id, r.idk, ok1 = compactID(id)
	r.req, r.reqk, ok2 = compactID(req)
	if ok1 && ok2 && pos >= 0 && pos <= math.MaxUint32 {
		r.pos, r.alt = uint32(pos), nil
		return
	}
	r.alt = &evAlt{id: id, req: req, pos: pos}
	r.idk, r.reqk, r.pos = idAlt, idAlt, 0
	r.id, r.req = [16]byte{}, [16]byte{}
}

func compactID(s string) ([16]byte, uint8, bool) {
	if s == "" {
		return [16]byte{}, idEmpty, true
	}
	return parseUUID(s)
}

// eventID, requestID and position return what setIDs stored.
func (r *evRef) eventID() string   { return r.text(r.idk, &r.id, true) }
func (r *evRef) requestID() string { return r.text(r.reqk, &r.req, false) }

func (r *evRef) position() int64 {
	if r.alt != nil {
		return r.alt.pos
	}
	return int64(r.pos)
}

func (r *evRef) text(kind uint8, b *[16]byte, isID bool) string {
	switch kind {
	case idEmpty:
		return ""
	case idAlt:
		if isID {
			return r.alt.id
		}
		return r.alt.req
	}
	var buf [36]byte
	return string(formatUUID(&buf, b, kind))
}

// cmpID compares two kept IDs as their texts compare, without building
// strings: two UUIDs of one case compare as their bytes.
func cmpID(ak uint8, a *[16]byte, aAlt string, bk uint8, b *[16]byte, bAlt string) int {
	if ak == bk && (ak == idLower || ak == idUpper) {
		return bytes.Compare(a[:], b[:])
	}
	var ab, bb [36]byte
	return bytes.Compare(idBytes(&ab, ak, a, aAlt), idBytes(&bb, bk, b, bAlt))
}

// idBytes is the text of a kept ID, formatted into buf or (idAlt) alt's
// own bytes, which the caller only reads.
func idBytes(buf *[36]byte, kind uint8, b *[16]byte, alt string) []byte {
	switch kind {
	case idEmpty:
		return nil
	case idAlt:
		return unsafe.Slice(unsafe.StringData(alt), len(alt))
	}
	return formatUUID(buf, b, kind)
}

// altID and altReq are the texts of an idAlt reference ("" otherwise).
func (r *evRef) altID() string {
	if r.alt == nil {
		return ""
	}
	return r.alt.id
}

func (r *evRef) altReq() string {
	if r.alt == nil {
		return ""
	}
	return r.alt.req
}

// cmpIDs orders two references by event ID, then request ID.
func (a *evRef) cmpIDs(b *evRef) int {
	if a.alt == nil && b.alt == nil && a.idk == b.idk && a.reqk == b.reqk {
		// The common case: both read from the same kind of trail.
		if c := bytes.Compare(a.id[:], b.id[:]); c != 0 {
			return c
		}
		return bytes.Compare(a.req[:], b.req[:])
	}
	if c := cmpID(a.idk, &a.id, a.altID(), b.idk, &b.id, b.altID()); c != 0 {
		return c
	}
	return cmpID(a.reqk, &a.req, a.altReq(), b.reqk, &b.req, b.altReq())
}

// sameEvent reports whether a and b reference the same event record.
func (a *evRef) sameEvent(b *evRef) bool {
	if a.alt == nil || b.alt == nil {
		return *a == *b
	}
	x, y := *a, *b
	if *x.alt != *y.alt {
		return false
	}
	x.alt, y.alt = nil, nil
	return x == y
}
