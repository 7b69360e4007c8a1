package audit

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// Skipping the elements a key filter drops, 64 bytes at a time.
//
// Most of a busy account's trail is other keys' events: the delivery
// shape's 850,000 of 1,000,000 elements are only passed over, to find where
// each ends and to note the identities they name (trailindex.go).
// skipObject does that a string at a time (~80 strings per event, each a
// call and a word loop); skipMasked does it from bit masks of 64 bytes
// (blockMasks: an AVX2 loop on amd64) with the string state computed for
// all 64 at once (prefixXor), and then visits only the brackets outside
// strings and the strings that can be a noted name: those ending in d, e
// or n (accessKeyId, userName, RoleArn and their flattened forms) and
// those holding a backslash. It ends where skipObject ends, notes what it
// notes (TestSkipMaskedMatchesSkipObject, FuzzSkipMasked), and gives up
// where skipObject gives up, plus on a backslash outside a string (not
// JSON; scanValue reads it byte by byte).

// blockMask holds, for 64 bytes of input, one bit per byte (bit i for byte
// i) that is a quote, a backslash, a bracket ({ } [ ]), one of the letters
// d, e and n, or a comma.
type blockMask struct {
	quote, bs, brack, den, comma uint64
}

// blockMasksGo is blockMasks in Go: the reference for the assembly.
func blockMasksGo(src []byte, out []blockMask) {
	for k := range len(src) / 64 {
		var m blockMask
		for i, c := range src[k*64 : k*64+64] {
			bit := uint64(1) << i
			switch c {
			case '"':
				m.quote |= bit
			case '\\':
				m.bs |= bit
			case '{', '}', '[', ']':
				m.brack |= bit
			case 'd', 'e', 'n':
				m.den |= bit
			case ',':
				m.comma |= bit
			}
		}
		out[k] = m
	}
}

// maskChunk is how many blocks skipMasked has blockMasks compute at once.
const maskChunk = 8

// prefixXor sets bit i to the parity of bits 0..i of x: over the quotes
// of a block, the bits inside strings (the opening quote included, the
// closing one not).
func prefixXor(x uint64) uint64 {
	x ^= x << 1
	x ^= x << 2
	x ^= x << 4
	x ^= x << 8
	x ^= x << 16
	x ^= x << 32
	return x
}

// escapedBits returns the bytes of a block escaped by a backslash, given
// its backslashes and whether its first byte is escaped (carry, 0 or 1),
// and whether the next block's first byte is.
func escapedBits(bs, carry uint64) (escaped, next uint64) {
	escaped = carry
	bs &^= carry // an escaped backslash escapes nothing
	for bs != 0 {
		i := bits.TrailingZeros64(bs)
		if i == 63 {
			return escaped, 1
		}
		escaped |= 1 << (i + 1)
		bs &^= 3 << i
	}
	return escaped, 0
}

// skipMasked is skipObject from bit masks (see above): it moves pos past
// the object or array at pos when it ends within the buffered input,
// noting its strings, and reports whether it did; otherwise pos stays.
func (s *source) skipMasked() bool {
	b := s.buf[s.pos:s.end]
	if len(b) == 0 || (b[0] != '{' && b[0] != '[') {
		return false
	}
	notes := s.notes
	var (
		ms         [maskChunk]blockMask
		tail       [64]byte
		inStr      uint64 // all ones when the last block ended inside a string
		escCarry   uint64 // 1 when the next block's first byte is escaped
		denCarry   uint64 // 1 when the last block ended with d, e or n
		escStr     bool   // the string open at the last block's end holds a backslash
		open       brackets
		lastOpen   = -1 // the last opening quote before the block
		skipUntil  int  // events before this were read by idNotes.after
		chunkBytes = 64 * maskChunk
	)
	for base := 0; base < len(b); base += chunkBytes {
		chunk := b[base:min(base+chunkBytes, len(b))]
		nb := len(chunk) / 64
		if nb > 0 {
			blockMasks(chunk[:nb*64], ms[:nb])
		}
		if r := len(chunk) - nb*64; r > 0 {
			copy(tail[:], chunk[nb*64:])
			clear(tail[r:])
			blockMasks(tail[:], ms[nb:nb+1])
			nb++
		}
		for k := range nb {
			m := &ms[k]
			off := base + k*64
			var escaped uint64
			if m.bs|escCarry != 0 {
				escaped, escCarry = escapedBits(m.bs, escCarry)
			}
			q := m.quote &^ escaped
			sm := prefixXor(q) ^ inStr
			if m.bs&^sm != 0 {
				return false // a backslash outside a string
			}
			wasIn := inStr
			inStr = uint64(int64(sm) >> 63)
			opens := q & sm
			closes := q &^ sm
			events := m.brack &^ sm
			// The closing quotes of the strings that hold a backslash: a
			// string's bytes are a run of ones in sm (its opening quote
			// first), so adding its backslashes carries into the bit
			// after the run, its closing quote. A string that began in an
			// earlier block and held one there ends at the first close.
			var escCloses uint64
			if inBs := m.bs & sm; inBs != 0 || escStr {
				escCloses = (sm + inBs) & closes
				if escStr && wasIn != 0 {
					escCloses |= closes & -closes
				}
			}
			if notes != nil {
				// A string that can name a noted key: it ends in d, e or
				// n and is not followed by a comma or a bracket (after
				// which its name would not matter), or it holds a
				// backslash (escaped JSON text, or a name spelled with
				// \u escapes). Bit 63's next byte is the next block's.
				events |= closes&(m.den<<1|denCarry)&^((m.comma|m.brack)>>1) | escCloses
			}
			denCarry = m.den >> 63
			for events != 0 {
				i := bits.TrailingZeros64(events)
				events &= events - 1
				p := off + i
				if p < skipUntil {
					continue
				}
				switch c := b[p]; c {
				case '"':
					esc := escCloses>>i&1 == 1
					if !esc && (p < 3 || !endsNoted(binary.LittleEndian.Uint32(b[p-3:]))) {
						continue
					}
					start := lastOpen
					if o := opens & (1<<i - 1); o != 0 {
						start = off + 63 - bits.LeadingZeros64(o)
					}
					tok := b[start+1 : p]
					var nt noteState
					if esc {
						nt = notes.token(tok, true, noteState{})
					} else if mayNameNoted(tok) {
						nt.kind = noteKind(tok)
						// The usual case, "name":"plain value", in place:
						// what after and token do for it, without their
						// loops and checks.
						if end := plainValueEnd(b, p+1); nt.kind != 0 && end > 0 {
							notes.plainValue(nt.kind, b[p+3:end])
							skipUntil = end + 1
							continue
						}
					}
					if nt.kind == 0 {
						continue
					}
					end, ok := notes.after(b, p+1, nt)
					if !ok {
						return false
					}
					skipUntil = end
				case '{', '[':
					if !open.push(c) {
						return false
					}
				default: // '}' or ']'
					if !open.pop(c) {
						return false
					}
					if open.depth == 0 {
						s.pos += p + 1
						return true
					}
				}
			}
			if opens != 0 {
				lastOpen = off + 63 - bits.LeadingZeros64(opens)
			}
			// escStr: the string open at the block's end holds a
			// backslash (its run is the last one in sm).
			switch {
			case inStr == 0:
				escStr = false
			case opens != 0:
				escStr = m.bs>>(63-bits.LeadingZeros64(opens)) != 0
			default:
				escStr = escStr || m.bs != 0
			}
		}
	}
	return false
}

// endsNoted reports whether the four bytes before and at a closing quote
// (little-endian) end a noted key's name: accessKeyId, userName, RoleArn,
// as such or flattened ("userIdentity.accessKeyId"). Most keys that end in
// d, e or n (eventId, eventType, RegionId...) stop here, before the work of
// finding where their string starts.
func endsNoted(w uint32) bool {
	return w == 'y'|'I'<<8|'d'<<16|'"'<<24 || w == 'a'|'m'<<8|'e'<<16|'"'<<24 || w == 'A'|'r'<<8|'n'<<16|'"'<<24
}

// plainValueEnd returns the index of the closing quote of a string value
// that follows a name's closing quote at b[j-1] as `:"value"`, where the
// value holds only printable ASCII other than a backslash; else -1 (after
// reads the rest, whatever it is).
func plainValueEnd(b []byte, j int) int {
	if j+1 >= len(b) || b[j] != ':' || b[j+1] != '"' {
		return -1
	}
	for k := j + 2; k < len(b); k++ {
		switch c := b[k]; {
		case c == '"':
			return k
		case c == '\\' || c < ' ' || c >= utf8.RuneSelf:
			return -1
		}
	}
	return -1
}

// after reads what follows a noted key's name (st.kind set) at b[j:] as
// scanValue's between and token calls do: spaces, the ':', and a string
// value, which it notes. It returns where it stopped: after the value, or
// at the first byte it leaves to the caller (a bracket, a string where the
// ':' should be, anything after a value that is not a string). ok is false
// when b ends first.
func (n *idNotes) after(b []byte, j int, st noteState) (int, bool) {
	for ; j < len(b); j++ {
		switch c := b[j]; c {
		case '"':
			if !st.want {
				return j, true
			}
			end, esc := stringEnd(b, j+1)
			if end < 0 {
				return j, false
			}
			n.token(b[j+1:end], esc, st)
			return end + 1, true
		case '{', '[':
			if st.want {
				n.all = true // an object where a name is expected
			}
			return j, true
		case '}', ']':
			return j, true
		default:
			if st = n.between(c, st); st.kind == 0 {
				return j + 1, true
			}
		}
	}
	return j, false
}
