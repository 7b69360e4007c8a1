package audit

import (
	"maps"
	"math/rand/v2"
	"strings"
	"testing"
)

// The assembly's masks are the Go reference's, for every byte value at
// every offset of a block.
func TestBlockMasksMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 14))
	const alphabet = "\"\\{}[]denDEN:,x \x00\xff\x7b\x5b\x7d\x5d|;@`"
	for range 2000 {
		src := make([]byte, 64*(1+rng.IntN(9)))
		for i := range src {
			if rng.IntN(4) == 0 {
				src[i] = byte(rng.IntN(256))
			} else {
				src[i] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		got := make([]blockMask, len(src)/64)
		want := make([]blockMask, len(src)/64)
		blockMasks(src, got)
		blockMasksGo(src, want)
		for k := range got {
			if got[k] != want[k] {
				t.Fatalf("block %d of %q: masks %+v, want %+v", k, src[k*64:k*64+64], got[k], want[k])
			}
		}
	}
	// Every byte value alone.
	for c := range 256 {
		var src [64]byte
		src[17] = byte(c)
		var got, want [1]blockMask
		blockMasks(src[:], got[:])
		blockMasksGo(src[:], want[:])
		if got != want {
			t.Fatalf("byte %#x: masks %+v, want %+v", c, got[0], want[0])
		}
	}
}

func TestEscapedBits(t *testing.T) {
	for _, tc := range []struct {
		in    string // 64 bytes at most, padded with 'x'
		carry uint64
	}{
		{`\"`, 0}, {`\\"`, 0}, {`\\\"`, 0}, {`"`, 1}, {`\"`, 1}, {`\\\\`, 1},
		{strings.Repeat("x", 63) + `\`, 0}, {strings.Repeat(`\`, 64), 0}, {strings.Repeat(`\`, 64), 1},
		{`a\nb\\c\\\d`, 0},
	} {
		in := tc.in + strings.Repeat("x", 64-len(tc.in))
		var bs uint64
		for i := range 64 {
			if in[i] == '\\' {
				bs |= 1 << i
			}
		}
		// Byte by byte: what the string scanners do.
		var want, wantNext uint64
		esc := tc.carry == 1
		for i := range 64 {
			if esc {
				want |= 1 << i
				esc = false
				continue
			}
			if in[i] == '\\' {
				esc = true
			}
		}
		if esc {
			wantNext = 1
		}
		got, next := escapedBits(bs, tc.carry)
		if got != want || next != wantNext {
			t.Errorf("escapedBits(%q, %d) = %064b, %d; want %064b, %d", tc.in, tc.carry, got, next, want, wantNext)
		}
	}
}

// The ways to pass a value while noting its identities.
const (
	byObject    = "skipObject"
	byMasks     = "skipMasked"
	byScanValue = "scanValue"
)

// skipRun passes the value at raw's start one way and returns where it
// ended, whether it finished, and the noted values.
func skipRun(ix *TrailIndex, raw []byte, way string) (pos int, ok bool, set map[uint64]struct{}, all bool) {
	var n idNotes
	n.reset(ix)
	s := &source{buf: raw, end: len(raw), eof: true, max: DefaultMaxLineBytes, notes: &n}
	switch way {
	case byObject:
		ok = s.skipObject()
	case byMasks:
		ok = s.skipMasked()
	default:
		ok = s.scanValue() == nil
	}
	return s.pos, ok, setOf(&n), n.all
}

// checkSkipMasked compares skipMasked with skipObject on raw: when
// skipMasked finishes, skipObject finishes at the same place with the same
// notes; when it gives up, pos stays. strict: skipMasked must finish
// wherever skipObject does (raw holds no backslash outside a string).
func checkSkipMasked(t *testing.T, ix *TrailIndex, raw []byte, strict bool) {
	t.Helper()
	mpos, mok, mset, mall := skipRun(ix, raw, byMasks)
	opos, ook, oset, oall := skipRun(ix, raw, byObject)
	if !mok {
		if mpos != 0 {
			t.Errorf("%q: skipMasked gave up but moved pos to %d", raw, mpos)
		}
		if strict && ook {
			t.Errorf("%q: skipMasked gave up where skipObject ends at %d", raw, opos)
		}
		return
	}
	if !ook || opos != mpos {
		t.Errorf("%q: skipMasked ends at %d, skipObject at %d (ok %v)", raw, mpos, opos, ook)
		return
	}
	if mall != oall || !maps.Equal(mset, oset) {
		t.Errorf("%q: skipMasked noted %d values (all %v), skipObject %d (all %v)", raw, len(mset), mall, len(oset), oall)
	}
}

func skipMaskedInputs() []string {
	// The shapes skipObject is checked on, and more for the masks.
	inputs := append(skipShapes(),
		`{"accessKeyI\u0064":"LTAIu","RoleAr\u006e":"acs:ram::1:role/x"}`,
		`{"userName" "accessKeyId":"LTAIs"}`,
		`{"accessKeyId":["LTAIx"]}`,
		`{"p":"[\"i-1\",\"i-2\"]","userName":"ivan"}`,
		`{"userName":"userName","accessKeyId":"accessKeyId"}`,
		`{"a":1,\"b":2}`,
		`[{"userName":"jack"},{"userName":"kate"}]`,
	)
	// Quotes, backslashes and noted names across every offset of a block.
	for i := range 70 {
		pad := strings.Repeat("x", i)
		inputs = append(inputs,
			`{"k":"`+pad+`\"\\","userName":"`+pad+`"}`,
			`{"`+pad+`":"v","accessKeyId":"LTAI`+pad+`","z":"`+pad+`\\"}`,
			`{"s":"`+pad+`","userName":"u\"`+pad+`","RoleArn":"acs:ram::1:role/r`+pad+`"}`,
			`{"j":"{\"`+pad+`\":\"userName\",\"userName\":\"`+pad+`\"}"}`,
		)
	}
	return inputs
}

// skipMasked ends where skipObject ends and notes what it notes, for
// every prefix of inputs built around 64-byte boundaries.
func TestSkipMaskedMatchesSkipObject(t *testing.T) {
	ix := NewTrailIndex()
	for _, in := range skipMaskedInputs() {
		strict := !strings.Contains(in, `,\"b"`)
		for cut := len(in); cut >= 0; cut-- {
			checkSkipMasked(t, ix, []byte(in[:cut]), strict)
		}
	}
	// Without notes (no trail index): the same ends.
	for _, in := range skipMaskedInputs() {
		for cut := len(in); cut >= 0; cut-- {
			raw := []byte(in[:cut])
			a := &source{buf: raw, end: len(raw), eof: true, max: DefaultMaxLineBytes}
			b := &source{buf: raw, end: len(raw), eof: true, max: DefaultMaxLineBytes}
			if aok, bok := a.skipMasked(), b.skipObject(); aok && (!bok || a.pos != b.pos) {
				t.Errorf("%q without notes: skipMasked ends at %d, skipObject at %d (ok %v)", raw, a.pos, b.pos, bok)
			}
		}
	}
}

// Generated events of several kilobytes (strings across blocks, escaped
// JSON text, noted names at random places): the same ends and notes.
func TestSkipMaskedGeneratedEvents(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	ix := NewTrailIndex()
	words := []string{"userName", "accessKeyId", "RoleArn", "a.userName", "x", "eventName", "type", "\\\"", "\\\\", "{", "}", "[", "]", ":", ",", "e", "n", "d", "\\u0064", "LTAI5t"}
	str := func() string {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(3) == 0 {
				b.WriteString(strings.Repeat("y", rng.IntN(90)))
			}
		}
		return b.String()
	}
	var value func(depth int) string
	value = func(depth int) string {
		switch r := rng.IntN(10); {
		case r < 5 || depth > 4:
			return `"` + str() + `"`
		case r < 6:
			return []string{"null", "42", "true", "-1.5e3"}[rng.IntN(4)]
		case r < 8:
			var b strings.Builder
			b.WriteByte('[')
			for i := range rng.IntN(4) {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(value(depth + 1))
			}
			b.WriteByte(']')
			return b.String()
		default:
			var b strings.Builder
			b.WriteByte('{')
			for i := range rng.IntN(8) {
				if i > 0 {
					b.WriteString(",")
				}
				b.WriteString(`"` + str() + `":` + value(depth+1))
			}
			b.WriteByte('}')
			return b.String()
		}
	}
	for range 3000 {
		var b strings.Builder
		b.WriteByte('{')
		for i := range 1 + rng.IntN(30) {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"` + str() + `":` + value(0))
		}
		b.WriteByte('}')
		in := b.String()
		checkSkipMasked(t, ix, []byte(in), true)
		checkSkipMasked(t, ix, []byte(in[:rng.IntN(len(in)+1)]), true)
	}
}

// FuzzSkipMasked: for any input, skipMasked ends where skipObject does
// with the same notes, or gives up and leaves pos alone.
func FuzzSkipMasked(f *testing.F) {
	for _, in := range skipMaskedInputs()[:27] {
		f.Add([]byte(in))
	}
	ix := NewTrailIndex()
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkSkipMasked(t, ix, raw, false)
	})
}

func BenchmarkBlockMasks(b *testing.B) {
	src := []byte(strings.Repeat(mkEvent(7, sampleKey, t0), 8))[:512]
	var out [8]blockMask
	b.SetBytes(512)
	for b.Loop() {
		blockMasks(src, out[:])
	}
}

// A skipped element's strings are not validated: a "\u" short of four hex
// digits at the very end of the buffer made the notes' decoding read past
// it (a panic, found by FuzzSkipMasked). The note now leaves such a file to
// every pass.
func TestNotesInvalidEscapeAtBufferEnd(t *testing.T) {
	for _, in := range []string{`{"a\u"`, `{"a\u"}`, `{"userName":"\u12"`, `{"userName":"x\q"}`, `{"accessKeyId":"\uZZZZ"}`, `{"b\u00"`} {
		for _, way := range []string{byObject, byMasks, byScanValue} {
			raw := make([]byte, len(in)) // capacity exactly the input
			copy(raw, in)
			var all bool
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s(%q): panic: %v", way, in, r)
					}
				}()
				_, _, _, all = skipRun(NewTrailIndex(), raw, way)
			}()
			if !all && way != byMasks {
				t.Errorf("%s(%q): the file's note does not say to read it always", way, in)
			}
		}
	}
}
