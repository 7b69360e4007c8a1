// Package inflate decodes gzip files held in memory, faster than a
// streaming decompressor reading through an io.Reader: input is read 64
// bits at a time from the slice (no ByteReader call per byte), the Huffman
// tables resolve most symbols in one lookup, and back-references are word
// copies within one output buffer (no 32 KiB ring to write through and
// drain). Gunzip inflates a small file whole into one buffer; Reader
// streams a larger one through 32 KiB of history and 256 KiB chunks. They
// serve the offline audit: OSS deliveries of tens of thousands of small
// gzip files and large exports, where inflating was a third of the CPU.
//
// It is an accelerator, not a second gzip implementation with its own
// error messages. Gunzip either returns exactly the bytes a conforming
// decoder (klauspost/compress/gzip, which the readers use) returns for the
// file, checksums verified, or reports false; Reader returns those bytes
// up to where its fast path ends and then ErrHandOver. Either way the
// caller reads the rest with that decoder, which finds and words any
// problem. The fast path ends at anything outside it: more than one gzip
// member, trailing bytes, a header CRC, reserved flags, a file name or
// comment longer than the conforming decoder reads (511 bytes), output
// larger than asked for, and every kind of corrupt input (a code klauspost rejects, a
// distance before the start, truncation, a checksum or size mismatch).
// The differential tests and fuzz targets hold it to that.
package inflate

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
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

// gzipSize returns the uncompressed size a gzip file claims in its trailer
// (modulo 2^32, as gzip stores it), or -1 when src is too short.
func gzipSize(src []byte) int64 {
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
	size := gzipSize(src)
	if size < 0 || size > int64(max) {
		return dst, false
	}
	p, ok := header(src)
	if !ok {
		return dst, false
	}
	n := int(size)
	if cap(dst) < n+maxMatch+slack {
		dst = make([]byte, n+maxMatch+slack)
	}
	out := dst[:n+maxMatch+slack]
	var z stream
	z.reset(src[:len(src)-8], p)
	o, why := d.decode(&z, out, 0, n)
	// One member and nothing after it: the trailer follows the last
	// block. (Output past the claimed size stops decode: needRoom.)
	if why != streamEnd || o != n || z.end() != len(src)-8 {
		return dst, false
	}
	if crc32.ChecksumIEEE(out[:n]) != binary.LittleEndian.Uint32(src[len(src)-8:]) {
		return dst, false
	}
	return out[:n], true
}

// maxHeaderString is the longest file name or comment, without its
// terminating zero, that klauspost/compress/gzip (and compress/gzip) read.
const maxHeaderString = 511

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
	// FNAME, FCOMMENT: zero-terminated, and declined past the 511 bytes
	// the conforming decoder reads into its 512-byte buffer (it rejects a
	// longer one as an invalid header).
	for _, f := range []byte{8, 16} {
		if flg&f == 0 {
			continue
		}
		i := bytes.IndexByte(src[min(p, len(src)):min(p+maxHeaderString+1, len(src))], 0)
		if i < 0 {
			return 0, false
		}
		p += i + 1
	}
	if p > len(src)-8 {
		return 0, false
	}
	return p, true
}

// stream is a position in a deflate stream: the bit reader and where it is
// among the blocks, so that decoding can stop when the output buffer is
// full and go on later.
type stream struct {
	in    []byte
	ip    int
	b     uint64 // bit buffer; bits above nb are input not yet counted
	nb    uint   // valid bits in b
	over  int    // zero bytes fed past the end of in (see decode)
	mode  int
	final bool // the current block is the last
	left  int  // bytes of the stored block still to copy
}

// Where a stream is (stream.mode).
const (
	atHeader  = iota // before a block header
	inHuffman        // inside a Huffman block
	inStored         // inside a stored block
	atEnd            // after the final block
)

// What decode stopped on.
const (
	needRoom  = iota // the output reached stop
	streamEnd        // the final block ended
	corrupt          // the next symbol is invalid or lies past the input
)

// maxMatch is the most output one symbol writes.
const maxMatch = 258

// reset starts z on the deflate stream in[ip:].
func (z *stream) reset(in []byte, ip int) { *z = stream{in: in, ip: ip} }

// refill is decode's refill for the code lengths of a dynamic header.
func (z *stream) refill() {
	for z.nb < 56 {
		if z.ip < len(z.in) {
			z.b |= uint64(z.in[z.ip]) << z.nb
			z.ip++
		} else {
			z.over++
		}
		z.nb += 8
	}
}

// end returns the input offset after the final block (byte-aligned), or
// -1 when the stream used bits past its input.
func (z *stream) end() int {
	if e := z.ip + z.over - int(z.nb>>3); e <= len(z.in) {
		return e
	}
	return -1
}

// decode continues z into out from o while o <= stop (stop+maxMatch+slack
// <= len(out); out[:o] holds the output before o, at least the 32 KiB a
// back-reference reaches or all of it) and returns the new o and why it
// stopped. On corrupt, out[:o] is exactly what the stream holds before its
// first invalid or truncated symbol: what a conforming decoder outputs
// before it reports the error.
func (d *Decoder) decode(z *stream, out []byte, o, stop int) (int, int) {
	in, ip, b, nb, over := z.in, z.ip, z.b, z.nb, z.over
	save := func() { z.ip, z.b, z.nb, z.over = ip, b, nb, over }
	// refill makes nb >= 56 (all a length and distance pair needs: 15 +
	// 5 + 15 + 13 bits). Whole words while 8 bytes remain; then byte by
	// byte, zeros past the end (counted in over: a symbol that used any
	// of their bits is truncated, see late).
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
	// late reports that the bits taken so far run past the input (only
	// zeros fed past its end can make over > 0).
	late := func() bool { return over > 0 && over*8 > int(nb) }

	for {
		switch z.mode {
		case atEnd:
			save()
			return o, streamEnd
		case inStored:
			n := min(z.left, stop+1-o)
			if n <= 0 {
				save()
				return o, needRoom
			}
			copy(out[o:], in[ip:ip+n])
			o += n
			ip += n
			if z.left -= n; z.left == 0 {
				z.mode = atHeader
				if z.final {
					z.mode = atEnd
				}
			}
			continue
		case atHeader:
			if nb < 3 {
				refill()
			}
			z.final = b&1 == 1
			typ := (b >> 1) & 3
			b >>= 3
			nb -= 3
			switch typ {
			case 0: // stored
				b >>= nb & 7
				nb &^= 7
				p := ip + over - int(nb>>3)
				if p+4 > len(in) {
					save()
					return o, corrupt
				}
				ln := int(binary.LittleEndian.Uint16(in[p:]))
				if binary.LittleEndian.Uint16(in[p+2:]) != ^uint16(ln) {
					save()
					return o, corrupt
				}
				if p+4+ln > len(in) {
					// A conforming decoder outputs what the input holds:
					// leave that to it.
					save()
					return o, corrupt
				}
				ip, b, nb, over = p+4, 0, 0, 0
				z.mode, z.left = inStored, ln
				if ln == 0 {
					z.mode = atHeader
					if z.final {
						z.mode = atEnd
					}
				}
				continue
			case 1:
				d.setFixed()
			case 2:
				save()
				ok := d.dynamic(z)
				ip, b, nb, over = z.ip, z.b, z.nb, z.over
				if !ok {
					return o, corrupt
				}
			default:
				save()
				return o, corrupt
			}
			if late() {
				save()
				return o, corrupt
			}
			z.mode = inHuffman
		}

		// The block's symbols: the fast loop while it can, then one at a
		// time for the last few bytes of input, the end of the output and
		// whatever the fast loop leaves (a corrupt symbol).
		if over == 0 {
			var eob bool
			ip, b, nb, o, eob = d.fast(in, ip, b, nb, out, o, stop)
			if eob {
				z.mode = atHeader
				if z.final {
					z.mode = atEnd
				}
				continue
			}
		}
		lit, dist := &d.lit, &d.dist
		for {
			if o > stop {
				save()
				return o, needRoom
			}
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
				if late() {
					return o, corrupt
				}
				out[o] = byte(e >> 16)
				o++
				// Literals come in runs and the buffer still holds at
				// least 33 bits: up to two more without a refill.
				for range 2 {
					e = lit[b&(1<<litBits-1)]
					if e&kindMask != kLit || o > stop || over > 0 && over*8 > int(nb-uint(e&31)) {
						break
					}
					b >>= e & 31
					nb -= uint(e & 31)
					out[o] = byte(e >> 16)
					o++
				}
				continue
			case kEOB:
				if late() {
					return o, corrupt
				}
				z.mode = atHeader
				if z.final {
					z.mode = atEnd
				}
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
				b >>= e & 31
				nb -= uint(e & 31)
				x = e >> 8 & 15
				dd := int(e>>16) + int(b&(1<<x-1))
				b >>= x
				nb -= uint(x)
				if e&kindMask != kDist || dd > o || late() {
					return o, corrupt
				}
				copyMatch(out, o, dd, length)
				o += length
				continue
			default:
				return o, corrupt
			}
			break
		}
	}
}

// fast decodes the current Huffman block's symbols while a whole word of
// input is left at every refill (so it never reads the zeros decode feeds
// past the end, and no symbol can be truncated) and o <= stop, and returns
// the stream's state at a symbol boundary and whether it stopped after the
// end-of-block code. It leaves to decode's careful loop any symbol that is
// not a literal, a valid length and distance pair or the end of the block
// (decode reports it corrupt), so the output and the position where a
// corrupt stream stops are decode's.
//
// It is decode's inner loop with nothing else in it: one refill per
// iteration (56 bits or more: a length and a distance need at most 48,
// three literals at most 45), the entry of the next symbol looked up once,
// and no check of the bits past the input.
func (d *Decoder) fast(in []byte, ip int, b uint64, nb uint, out []byte, o, stop int) (int, uint64, uint, int, bool) {
	lit, dist := &d.lit, &d.dist
	for o <= stop && ip+8 <= len(in) {
		b |= binary.LittleEndian.Uint64(in[ip:]) << (nb & 63)
		ip += int(63-nb) >> 3
		nb |= 56
		e := lit[b&(1<<litBits-1)]
		if e&kindMask == kLit {
			// Literals come in runs: up to three from one refill (o may
			// pass stop by two; out has maxMatch+slack bytes after it).
			// Written out: a loop of three was ~5% slower (BenchmarkDelivery
			// medians, eight alternated rounds).
			out[o] = byte(e >> 16)
			b >>= e & 31
			nb -= uint(e & 31)
			e = lit[b&(1<<litBits-1)]
			if e&kindMask != kLit {
				o++
				continue
			}
			out[o+1] = byte(e >> 16)
			b >>= e & 31
			nb -= uint(e & 31)
			e = lit[b&(1<<litBits-1)]
			if e&kindMask != kLit {
				o += 2
				continue
			}
			out[o+2] = byte(e >> 16)
			b >>= e & 31
			nb -= uint(e & 31)
			o += 3
			continue
		}
		// Decode the symbol in c, committing to b and nb only once it is
		// known to be valid.
		c, used := b, uint(0)
		if e&kindMask == kSub {
			c >>= litBits
			used = litBits
			e = lit[((e>>16)+uint32(c&(1<<(e>>8&15)-1)))&(litSize-1)]
		}
		c >>= e & 31
		used += uint(e & 31)
		switch e & kindMask {
		case kLit:
			b, nb = c, nb-used
			out[o] = byte(e >> 16)
			o++
			continue
		case kEOB:
			return ip, c, nb - used, o, true
		case kLen:
		default:
			return ip, b, nb, o, false
		}
		x := e >> 8 & 15
		length := int(e>>16) + int(c&(1<<x-1))
		c >>= x
		used += uint(x)
		e = dist[c&(1<<distBits-1)]
		if e&kindMask == kSub {
			c >>= distBits
			used += distBits
			e = dist[((e>>16)+uint32(c&(1<<(e>>8&15)-1)))&(distSize-1)]
		}
		c >>= e & 31
		used += uint(e & 31)
		x = e >> 8 & 15
		dd := int(e>>16) + int(c&(1<<x-1))
		if e&kindMask != kDist || dd > o {
			return ip, b, nb, o, false
		}
		b, nb = c>>x, nb-used-uint(x)
		copyMatch(out, o, dd, length)
		o += length
	}
	return ip, b, nb, o, false
}

// copyMatch copies a back-reference of length bytes from dd bytes back
// to out[o:]. With dd >= 8 it copies eight bytes at a time (each word
// reads only bytes already written); the last word may run into the
// slack, or into bytes a later symbol overwrites. Most matches in JSON
// are short: the first two words without a loop, a long one without
// overlap through memmove's wide moves.
func copyMatch(out []byte, o, dd, length int) {
	src := o - dd
	if dd < 8 {
		w := out[o : o+length]
		for i := range w {
			w[i] = out[src+i]
		}
		return
	}
	binary.LittleEndian.PutUint64(out[o:], binary.LittleEndian.Uint64(out[src:]))
	if length <= 8 {
		return
	}
	binary.LittleEndian.PutUint64(out[o+8:], binary.LittleEndian.Uint64(out[src+8:]))
	switch {
	case length <= 16:
	case dd >= length:
		copy(out[o+16:o+length], out[src+16:])
	default:
		for i := 16; i < length; i += 8 {
			binary.LittleEndian.PutUint64(out[o+i:], binary.LittleEndian.Uint64(out[src+i:]))
		}
	}
}

// dynamic reads a dynamic block's code lengths and builds its tables
// (RFC 1951 3.2.7); false for anything the conforming decoder rejects.
func (d *Decoder) dynamic(z *stream) bool {
	b, nb := z.b, z.nb
	defer func() { z.b, z.nb = b, nb }()
	load := func() {
		z.b, z.nb = b, nb
		z.refill()
		b, nb = z.b, z.nb
	}
	if nb < 14 {
		load()
	}
	nlit := int(b&31) + 257
	ndist := int((b>>5)&31) + 1
	nclen := int((b>>10)&15) + 4
	b >>= 14
	nb -= 14
	if nlit > maxLitLen || ndist > maxDist {
		return false
	}
	var cl [19]uint8
	for i := range nclen {
		if nb < 3 {
			load()
		}
		cl[codeOrder[i]] = uint8(b & 7)
		b >>= 3
		nb -= 3
	}
	if !build(d.clen[:], cl[:], 7, nil, nil, kLit) {
		return false
	}
	d.fixed = false
	lens := d.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		if nb < 14 {
			load()
		}
		e := d.clen[b&127]
		if e&kindMask == kInvalid {
			return false
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
				return false
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
			return false
		}
		for range rep {
			lens[i] = val
			i++
		}
	}
	// Every block ends with an end-of-block code.
	if lens[256] == 0 {
		return false
	}
	return build(d.lit[:], lens[:nlit], litBits, lengthBase[:], lengthExtra[:], kLen) &&
		build(d.dist[:], lens[nlit:], distBits, distBase[:], distExtra[:], kDist)
}

// setFixed loads the fixed tables (RFC 1951 3.2.6) unless they are loaded.
// (Not inlined: the table copies would enlarge decode's frame.)
//
//go:noinline
func (d *Decoder) setFixed() {
	if d.fixed {
		return
	}
	d.lit = fixedLit
	d.dist = fixedDist
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

// ErrHandOver is what Reader.Read returns when its fast path ends before
// the file does (see Reader).
var ErrHandOver = errors.New("inflate: the rest of the file is left to a conforming decoder")

// Reader inflates a gzip file held in memory through a window of 32 KiB of
// history plus readChunk of output, for files too large to inflate whole.
// Read returns exactly the bytes a conforming decoder returns for the
// file, up to io.EOF once the member's checksum and size are verified; at
// anything outside the fast path (a header it declines, more members,
// trailing bytes, a corrupt or truncated block, a checksum or size
// mismatch) it returns ErrHandOver instead, having returned Delivered()
// bytes that the conforming decoder also returns first: the caller reads
// the file with it, skips those bytes, and goes on, and that decoder finds
// and words whatever is wrong.
type Reader struct {
	d    Decoder
	z    stream
	src  []byte
	buf  []byte
	r, w int
	crc  uint32
	size int64 // bytes decoded
	out  int64 // bytes returned
	st   int
}

// Reader states.
const (
	reading = iota
	verified
	handedOver
)

// readChunk is the output a Reader decodes at a time, after the 32 KiB of
// history a back-reference can reach.
const (
	history   = 32 << 10
	readChunk = 256 << 10
)

// Reset starts r on the gzip file src (held, not copied, until the next
// Reset).
func (r *Reader) Reset(src []byte) {
	if r.buf == nil {
		r.buf = make([]byte, history+readChunk+maxMatch+slack)
	}
	r.src, r.r, r.w, r.crc, r.size, r.out, r.st = src, 0, 0, 0, 0, 0, reading
	p, ok := header(src)
	if !ok {
		r.st = handedOver
		return
	}
	r.z.reset(src[:len(src)-8], p)
}

// Delivered returns the bytes Read has returned since Reset.
func (r *Reader) Delivered() int64 { return r.out }

// Read reads inflated bytes (see Reader).
func (r *Reader) Read(p []byte) (int, error) {
	for r.r == r.w {
		switch r.st {
		case verified:
			return 0, io.EOF
		case handedOver:
			return 0, ErrHandOver
		}
		r.more()
	}
	n := copy(p, r.buf[r.r:r.w])
	r.r += n
	r.out += int64(n)
	return n, nil
}

// more decodes the next chunk (everything before it has been read).
func (r *Reader) more() {
	defer func() {
		// A decoding bug must not cost the caller its file: what was
		// returned stands, the conforming decoder reads the rest.
		if recover() != nil {
			r.st = handedOver
		}
	}()
	stop := len(r.buf) - maxMatch - slack - 1
	if r.w > stop-readChunk/2 {
		// Keep the history back-references reach; slide the rest out.
		keep := min(r.w, history)
		copy(r.buf, r.buf[r.w-keep:r.w])
		r.r, r.w = keep, keep
	}
	o, why := r.d.decode(&r.z, r.buf, r.w, stop)
	r.crc = crc32.Update(r.crc, crc32.IEEETable, r.buf[r.w:o])
	r.size += int64(o - r.w)
	r.w = o
	switch why {
	case corrupt:
		r.st = handedOver
	case streamEnd:
		r.st = handedOver
		if e := r.z.end(); e == len(r.src)-8 && r.crc == binary.LittleEndian.Uint32(r.src[e:]) && uint32(r.size) == binary.LittleEndian.Uint32(r.src[e+4:]) {
			r.st = verified
		}
	}
}
