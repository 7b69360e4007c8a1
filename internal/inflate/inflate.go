// Package inflate decodes a whole gzip file held in memory into one buffer,
// faster than a streaming decompressor can: the output is contiguous, so a
// back-reference is a copy within it (no 32 KiB ring to write through and
// drain), input is read 64 bits at a time from the slice (no ByteReader
// call per byte), and the Huffman tables resolve most symbols in one
// lookup. It serves the offline audit's OSS deliveries: tens of thousands
// of small gzip files, where inflating was a third of the CPU.
//
// It is an accelerator, not a second gzip implementation with its own
// error messages: Gunzip either returns exactly the bytes a conforming
// decoder (klauspost/compress/gzip, which the readers use) returns for the
// file, checksums verified, or reports false, and the caller then reads
// the file with that decoder, which finds and words any problem. It
// declines anything outside its fast path: more than one gzip member,
// trailing bytes, a header CRC, reserved flags, output larger than asked
// for, and every kind of corrupt input (a code klauspost rejects, a
// distance before the start, truncation, a checksum or size mismatch).
// The differential tests and fuzz target hold it to that.
package inflate

import (
	"encoding/binary"
	"hash/crc32"
	"math/bits"
)

// Entry layout of the decoding tables (uint32):
//
//	bits 0-4    bits the code takes (for a subtable link: the root bits)
//	bits 5-7    kind
//	bits 8-15   extra bits of a length or distance; a link's subtable bits
//	bits 16-31  literal byte, length or distance base, subtable offset
const (
	kLit     = 0 << 5
	kLen     = 1 << 5
	kEOB     = 2 << 5
	kSub     = 3 << 5
	kDist    = 4 << 5
	kInvalid = 7 << 5 // consumes nothing, decodes to an error
	kindMask = 7 << 5
)

// The root tables index the next litBits (distBits) input bits; longer
// codes continue in subtables. The arrays hold the largest complete code's
// tables (zlib's "enough": 1334 and 402 entries) with room to spare, and
// indexing masks by the array size so the compiler drops bounds checks.
const (
	litBits   = 10
	distBits  = 8
	litSize   = 2048
	distSize  = 1024
	maxCodes  = 288 + 32
	maxLitLen = 286 // HLIT + 257 may not exceed this (symbols 286, 287 unused)
	maxDist   = 30
)

var lengthBase = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
var lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
var distBase = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
var distExtra = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}

// codeOrder is the order of the code length code lengths (RFC 1951 3.2.7).
var codeOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// Decoder holds the tables of the block being decoded; reuse one per
// goroutine. The zero value is ready.
type Decoder struct {
	lit   [litSize]uint32
	dist  [distSize]uint32
	clen  [1 << 7]uint32
	lens  [maxCodes]uint8
	fixed bool // lit and dist hold the fixed tables
}

// Size returns the uncompressed size a gzip file claims in its trailer
// (modulo 2^32, as gzip stores it), or -1 when src is too short.
func Size(src []byte) int64 {
	if len(src) < 18 {
		return -1
	}
	return int64(binary.LittleEndian.Uint32(src[len(src)-4:]))
}

// Gunzip decodes the single-member gzip file src into dst[:0] and returns
// the output and true, or dst and false when src is anything but a valid
// single-member file of at most max output bytes (see the package
// comment). dst is grown to the size the trailer claims (plus a few bytes
// of slack) when it is smaller.
func (d *Decoder) Gunzip(dst, src []byte, max int) (out []byte, ok bool) {
	defer func() {
		// A decoding bug must not cost the caller its file: the
		// conforming decoder reads it instead.
		if recover() != nil {
			out, ok = dst, false
		}
	}()
	return d.gunzip(dst, src, max)
}

// slack is the room after the output that word copies may overwrite.
const slack = 8

func (d *Decoder) gunzip(dst, src []byte, max int) ([]byte, bool) {
	size := Size(src)
	if size < 0 || size > int64(max) {
		return dst, false
	}
	p, ok := header(src)
	if !ok {
		return dst, false
	}
	n := int(size)
	if cap(dst) < n+slack {
		dst = make([]byte, n+slack)
	}
	out := dst[:n+slack]
	o, end, ok := d.inflate(out, n, src[:len(src)-8], p)
	// One member and nothing after it: the trailer follows the last block.
	if !ok || o != n || end != len(src)-8 {
		return dst, false
	}
	if crc32.ChecksumIEEE(out[:n]) != binary.LittleEndian.Uint32(src[len(src)-8:]) {
		return dst, false
	}
	return out[:n], true
}

// header returns where the deflate stream of a gzip member starts.
func header(src []byte) (int, bool) {
	if len(src) < 18 || src[0] != 0x1f || src[1] != 0x8b || src[2] != 8 {
		return 0, false
	}
	flg := src[3]
	// Reserved bits, and a header CRC (rare; the conforming decoder
	// checks it): declined.
	if flg&0xe2 != 0 {
		return 0, false
	}
	p := 10
	if flg&4 != 0 { // FEXTRA
		if p+2 > len(src) {
			return 0, false
		}
		p += 2 + int(binary.LittleEndian.Uint16(src[p:]))
	}
	for _, f := range []byte{8, 16} { // FNAME, FCOMMENT: zero-terminated
		if flg&f == 0 {
			continue
		}
		for p < len(src) && src[p] != 0 {
			p++
		}
		p++
	}
	if p > len(src)-8 {
		return 0, false
	}
	return p, true
}

// inflate decodes the deflate stream in[ip:] into out[:n] (out has slack
// bytes after n) and returns the output length and the input offset just
// after the final block (byte-aligned).
func (d *Decoder) inflate(out []byte, n int, in []byte, ip int) (o, end int, ok bool) {
	var (
		b    uint64 // bit buffer; bits above nb are input not yet counted
		nb   uint   // valid bits in b
		over int    // zero bytes fed past the end of in
	)
	// refill makes nb >= 56 (all a length and distance pair needs: 15 +
	// 5 + 15 + 13 bits). Whole words while 8 bytes remain; then byte by
	// byte, zeros past the end (counted, judged at the end).
	refill := func() {
		if ip+8 <= len(in) {
			b |= binary.LittleEndian.Uint64(in[ip:]) << nb
			ip += int(63-nb) >> 3
			nb |= 56
			return
		}
		for nb < 56 {
			if ip < len(in) {
				b |= uint64(in[ip]) << nb
				ip++
			} else {
				over++
			}
			nb += 8
		}
	}
	// consumed returns the input bytes used so far, rounded up.
	consumed := func() int { return ip + over - int(nb>>3) }

	for final := false; !final; {
		if nb < 3 {
			refill()
		}
		final = b&1 == 1
		typ := (b >> 1) & 3
		b >>= 3
		nb -= 3
		switch typ {
		case 0: // stored
			b >>= nb & 7
			nb &^= 7
			p := consumed()
			if p+4 > len(in) {
				return o, 0, false
			}
			ln := int(binary.LittleEndian.Uint16(in[p:]))
			if binary.LittleEndian.Uint16(in[p+2:]) != ^uint16(ln) || p+4+ln > len(in) || o+ln > n {
				return o, 0, false
			}
			copy(out[o:], in[p+4:p+4+ln])
			o += ln
			ip, b, nb, over = p+4+ln, 0, 0, 0
			continue
		case 1:
			d.setFixed()
		case 2:
			if nb < 14 {
				refill()
			}
			nlit := int(b&31) + 257
			ndist := int((b>>5)&31) + 1
			nclen := int((b>>10)&15) + 4
			b >>= 14
			nb -= 14
			if nlit > maxLitLen || ndist > maxDist {
				return o, 0, false
			}
			var cl [19]uint8
			for i := range nclen {
				if nb < 3 {
					refill()
				}
				cl[codeOrder[i]] = uint8(b & 7)
				b >>= 3
				nb -= 3
			}
			if !build(d.clen[:], cl[:], 7, nil, nil, kLit) {
				return o, 0, false
			}
			d.fixed = false
			lens := d.lens[:nlit+ndist]
			for i := 0; i < len(lens); {
				if nb < 14 {
					refill()
				}
				e := d.clen[b&127]
				if e&kindMask == kInvalid {
					return o, 0, false
				}
				b >>= e & 31
				nb -= uint(e & 31)
				sym := e >> 16
				if sym < 16 {
					lens[i] = uint8(sym)
					i++
					continue
				}
				var rep int
				var val uint8
				switch sym {
				case 16:
					if i == 0 {
						return o, 0, false
					}
					rep, val = 3+int(b&3), lens[i-1]
					b >>= 2
					nb -= 2
				case 17:
					rep = 3 + int(b&7)
					b >>= 3
					nb -= 3
				default:
					rep = 11 + int(b&127)
					b >>= 7
					nb -= 7
				}
				if i+rep > len(lens) {
					return o, 0, false
				}
				for range rep {
					lens[i] = val
					i++
				}
			}
			// Every block ends with an end-of-block code.
			if lens[256] == 0 {
				return o, 0, false
			}
			if !build(d.lit[:], lens[:nlit], litBits, lengthBase[:], lengthExtra[:], kLen) ||
				!build(d.dist[:], lens[nlit:], distBits, distBase[:], distExtra[:], kDist) {
				return o, 0, false
			}
		default:
			return o, 0, false
		}

		// The block's symbols.
		lit, dist := &d.lit, &d.dist
		for {
			// Refilling on every symbol while 8 bytes remain costs a
			// load but no hard-to-predict branch on nb (OR-ing bytes
			// already in b again changes nothing).
			if ip+8 <= len(in) {
				b |= binary.LittleEndian.Uint64(in[ip:]) << nb
				ip += int(63-nb) >> 3
				nb |= 56
			} else if nb < 48 {
				refill()
			}
			e := lit[b&(1<<litBits-1)]
			if e&kindMask == kSub {
				b >>= litBits
				nb -= litBits
				e = lit[((e>>16)+uint32(b&(1<<(e>>8&15)-1)))&(litSize-1)]
			}
			b >>= e & 31
			nb -= uint(e & 31)
			switch e & kindMask {
			case kLit:
				if o >= n {
					return o, 0, false
				}
				out[o] = byte(e >> 16)
				o++
				// Literals come in runs and the buffer still holds at
				// least 33 bits: up to two more without a refill.
				for range 2 {
					e = lit[b&(1<<litBits-1)]
					if e&kindMask != kLit || o >= n {
						break
					}
					b >>= e & 31
					nb -= uint(e & 31)
					out[o] = byte(e >> 16)
					o++
				}
				continue
			case kEOB:
				// The block is done.
			case kLen:
				x := e >> 8 & 15
				length := int(e>>16) + int(b&(1<<x-1))
				b >>= x
				nb -= uint(x)
				e = dist[b&(1<<distBits-1)]
				if e&kindMask == kSub {
					b >>= distBits
					nb -= distBits
					e = dist[((e>>16)+uint32(b&(1<<(e>>8&15)-1)))&(distSize-1)]
				}
				if e&kindMask != kDist {
					return o, 0, false
				}
				b >>= e & 31
				nb -= uint(e & 31)
				x = e >> 8 & 15
				dd := int(e>>16) + int(b&(1<<x-1))
				b >>= x
				nb -= uint(x)
				if dd > o || o+length > n {
					return o, 0, false
				}
				src := o - dd
				if dd >= 8 {
					// Eight bytes at a time; the last word may run into
					// the slack (or bytes a later symbol overwrites).
					// Most matches in JSON are short: the first two
					// words without a loop.
					binary.LittleEndian.PutUint64(out[o:], binary.LittleEndian.Uint64(out[src:]))
					if length > 8 {
						binary.LittleEndian.PutUint64(out[o+8:], binary.LittleEndian.Uint64(out[src+8:]))
						switch {
						case length <= 16:
						case dd >= length:
							// No overlap: memmove's wide moves.
							copy(out[o+16:o+length], out[src+16:])
						default:
							for i := 16; i < length; i += 8 {
								binary.LittleEndian.PutUint64(out[o+i:], binary.LittleEndian.Uint64(out[src+i:]))
							}
						}
					}
				} else {
					w := out[o : o+length]
					for i := range w {
						w[i] = out[src+i]
					}
				}
				o += length
				continue
			default:
				return o, 0, false
			}
			break
		}
	}
	end = consumed()
	if end > len(in) {
		return o, 0, false // the last block ran past the input
	}
	return o, end, true
}

// setFixed loads the fixed tables (RFC 1951 3.2.6) unless they are loaded.
func (d *Decoder) setFixed() {
	if d.fixed {
		return
	}
	d.lit, d.dist = fixedLit, fixedDist
	d.fixed = true
}

var fixedLit [litSize]uint32
var fixedDist [distSize]uint32

func init() {
	var l [288]uint8
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	var dl [32]uint8
	for i := range dl {
		dl[i] = 5
	}
	// Symbols 286, 287 and distances 30, 31 have codes but no meaning:
	// build leaves them invalid.
	if !build(fixedLit[:], l[:], litBits, lengthBase[:], lengthExtra[:], kLen) ||
		!build(fixedDist[:], dl[:], distBits, distBase[:], distExtra[:], kDist) {
		panic("inflate: fixed tables")
	}
}

// build fills table with the canonical Huffman code of lens (RFC 1951
// 3.2.2), root bits at the root, longer codes in subtables after it. For
// the literal/length alphabet (kind kLen) symbols below 256 are literals,
// 256 ends the block and 257+ are lengths (base and extra from base,
// extra); for distances (kDist) symbol i is distance base[i]; for the code
// length alphabet (base nil) the entry holds the symbol. Symbols past the
// base table decode as invalid. It reports false for a code the
// conforming decoder rejects: over-subscribed, or incomplete other than a
// single code of one bit; an empty code is valid (a block of literals has
// no distances), its entries all invalid.
func build(table []uint32, lens []uint8, root uint, base []uint16, extra []uint8, kind uint32) bool {
	var count [16]int
	maxLen := 0
	for _, l := range lens {
		count[l]++
		maxLen = max(maxLen, int(l))
	}
	count[0] = 0
	if maxLen == 0 {
		fillInvalid(table[:1<<root])
		return true
	}
	var next [16]int
	code := 0
	for l := 1; l <= 15; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	// Completeness, as the conforming decoder judges it.
	space := 0
	for l := 1; l <= maxLen; l++ {
		space = space<<1 + count[l]
		if space > 1<<l {
			return false
		}
	}
	if space != 1<<maxLen {
		if !(space == 1 && maxLen == 1) {
			return false
		}
		// The half no code reaches.
		fillInvalid(table[:1<<root])
	}
	// A complete code writes every entry the decoder can reach: the
	// root table and each subtable.
	// Entries for each symbol.
	entry := func(sym int, l uint) uint32 {
		switch {
		case base == nil:
			return uint32(sym)<<16 | uint32(l)
		case kind == kLen && sym < 256:
			return uint32(sym)<<16 | kLit | uint32(l)
		case kind == kLen && sym == 256:
			return kEOB | uint32(l)
		case kind == kLen:
			sym -= 257
		}
		if sym >= len(base) {
			return kInvalid
		}
		return uint32(base[sym])<<16 | uint32(extra[sym])<<8 | kind | uint32(l)
	}
	rootSize := 1 << root
	if rootSize > len(table) {
		return false
	}
	// Subtable sizes: for each root prefix of a long code, the longest
	// code under it.
	var subBits [1 << litBits]uint8
	if maxLen > int(root) {
		c := next
		for _, l := range lens {
			if int(l) <= int(root) {
				if l > 0 {
					c[l]++
				}
				continue
			}
			rev := int(bits.Reverse16(uint16(c[l])) >> (16 - l))
			c[l]++
			pre := rev & (rootSize - 1)
			subBits[pre] = max(subBits[pre], l-uint8(root))
		}
	}
	top := rootSize
	for pre := 0; pre < rootSize; pre++ {
		if sb := subBits[pre]; sb > 0 {
			if top+1<<sb > len(table) {
				return false
			}
			table[pre] = uint32(top)<<16 | uint32(sb)<<8 | kSub | uint32(root)
			top += 1 << sb
		}
	}
	for sym, l := range lens {
		if l == 0 {
			continue
		}
		rev := int(bits.Reverse16(uint16(next[l])) >> (16 - l))
		next[l]++
		e := entry(sym, uint(l))
		if int(l) <= int(root) {
			for i := rev; i < rootSize; i += 1 << l {
				table[i] = e
			}
			continue
		}
		link := table[rev&(rootSize-1)]
		off, sb := int(link>>16), uint(link>>8&15)
		sl := uint(l) - root
		e = e&^31 | uint32(sl)
		for i := rev >> root; i < 1<<sb; i += 1 << sl {
			table[off+i] = e
		}
	}
	return true
}

func fillInvalid(t []uint32) {
	for i := range t {
		t[i] = kInvalid
	}
}
