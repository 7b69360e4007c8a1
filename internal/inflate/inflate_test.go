package inflate

import (
	"bytes"
	stdgzip "compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// reference decodes src the way the readers do when Gunzip declines.
func reference(src []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// agree is the package's contract: Gunzip returns what the reference
// returns, or declines; it never accepts what the reference rejects.
func agree(t testing.TB, src []byte, max int) (accepted bool) {
	t.Helper()
	var d Decoder
	got, ok := d.gunzip(nil, src, max)
	want, err := reference(src)
	if !ok {
		return false
	}
	if err != nil {
		t.Fatalf("Gunzip accepted %d bytes the reference rejects (%v)", len(src), err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Gunzip output differs from the reference: %d bytes vs %d (first difference at %d)", len(got), len(want), firstDiff(got, want))
	}
	return true
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// corpus returns inputs of the shapes deflate encoders treat differently.
func corpus() map[string][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	var events bytes.Buffer
	events.WriteString("[")
	for i := range 400 {
		if i > 0 {
			events.WriteString(",")
		}
		fmt.Fprintf(&events, `{"eventId":"%08x-%04x","eventName":"%s","sourceIpAddress":"203.0.%d.%d","userIdentity":{"accessKeyId":"LTAI5t%018d","type":"ram-user"},"requestParameters":{"n":%d}}`,
			r.Uint32(), r.Uint32()&0xffff, []string{"DescribeInstances", "CreateUser", "GetObject", "ListUsers"}[r.IntN(4)], r.IntN(256), r.IntN(256), r.IntN(30), r.IntN(1e6))
	}
	events.WriteString("]")
	random := make([]byte, 200_000)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	mixed := make([]byte, 0, 300_000)
	for len(mixed) < 300_000 {
		switch r.IntN(4) {
		case 0:
			mixed = append(mixed, bytes.Repeat([]byte{byte(r.Uint32())}, 1+r.IntN(600))...)
		case 1:
			mixed = append(mixed, random[:r.IntN(3000)]...)
		case 2:
			p := bytes.Repeat([]byte(fmt.Sprint(r.IntN(1000))), 1+r.IntN(50))
			mixed = append(mixed, p...)
		default:
			mixed = append(mixed, events.Bytes()[r.IntN(1000):][:r.IntN(5000)]...)
		}
	}
	return map[string][]byte{
		"empty":  nil,
		"byte":   {'x'},
		"events": events.Bytes(),
		"random": random,
		"runs":   bytes.Repeat([]byte("a"), 100_000),
		"mixed":  mixed,
	}
}

func compressed(t testing.TB, data []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, lvl := range []int{gzip.HuffmanOnly, gzip.NoCompression, gzip.BestSpeed, 2, 5, gzip.BestCompression} {
		var b bytes.Buffer
		w, _ := gzip.NewWriterLevel(&b, lvl)
		w.Write(data)
		w.Close()
		out[fmt.Sprintf("klauspost-%d", lvl)] = b.Bytes()
	}
	for _, lvl := range []int{stdgzip.HuffmanOnly, stdgzip.BestSpeed, stdgzip.DefaultCompression, stdgzip.BestCompression} {
		var b bytes.Buffer
		w, _ := stdgzip.NewWriterLevel(&b, lvl)
		w.Name = "trail.json" // FNAME
		w.Comment = "c"       // FCOMMENT
		w.Extra = []byte{1, 2, 3}
		w.Write(data)
		w.Close()
		out[fmt.Sprintf("std-%d", lvl)] = b.Bytes()
	}
	return out
}

func TestGunzipMatchesTheReference(t *testing.T) {
	for name, data := range corpus() {
		for enc, src := range compressed(t, data) {
			t.Run(name+"/"+enc, func(t *testing.T) {
				if !agree(t, src, len(data)) {
					t.Fatalf("Gunzip declined a valid %d-byte file", len(src))
				}
				// A smaller output bound declines (the caller streams).
				if len(data) > 0 {
					var d Decoder
					if _, ok := d.Gunzip(nil, src, len(data)-1); ok {
						t.Fatal("Gunzip accepted output larger than max")
					}
				}
			})
		}
	}
}

// TestGunzipReusesTheBuffer: a decoder and buffer reused across files of
// different encodings give each file's own bytes.
func TestGunzipReusesTheBuffer(t *testing.T) {
	var d Decoder
	var buf []byte
	for range 2 {
		for name, data := range corpus() {
			for enc, src := range compressed(t, data) {
				out, ok := d.Gunzip(buf, src, 1<<20)
				if !ok || !bytes.Equal(out, data) {
					t.Fatalf("%s/%s: ok=%v, output differs", name, enc, ok)
				}
				buf = out
			}
		}
	}
}

// TestGunzipDeclines: what the fast path leaves to the reference.
func TestGunzipDeclines(t *testing.T) {
	data := corpus()["events"]
	src := compressed(t, data)["klauspost-5"]
	twice := append(append([]byte{}, src...), src...)
	hcrc := append([]byte{}, src...)
	hcrc[3] |= 2
	// A file name the conforming decoder's 512-byte buffer cannot hold
	// (found by FuzzReader: the Reader returned bytes of a file the
	// reference rejects as an invalid header); 511 bytes still fit.
	named := func(n int) []byte {
		var b bytes.Buffer
		w, _ := stdgzip.NewWriterLevel(&b, stdgzip.DefaultCompression)
		w.Name = strings.Repeat("n", n)
		w.Write(data)
		w.Close()
		return b.Bytes()
	}
	cases := map[string][]byte{
		"two members":      twice,
		"trailing garbage": append(append([]byte{}, src...), 0),
		"header crc flag":  hcrc,
		"short":            src[:17],
		"not gzip":         data[:100],
		"name of 512":      named(512),
	}
	for name, in := range cases {
		var d Decoder
		if _, ok := d.Gunzip(nil, in, 1<<30); ok {
			t.Errorf("%s: Gunzip accepted it", name)
		}
		if _, err := reference(in); err == nil && name == "name of 512" {
			t.Errorf("%s: the reference accepts it: the test proves nothing", name)
		}
		var r Reader
		agreeStreaming(t, &r, in, 4096)
	}
	if !agree(t, named(511), 1<<30) {
		t.Error("name of 511: declined, but the reference reads it")
	}
}

// TestGunzipCorruptInput: every truncation and many bit flips of valid
// files are declined or decoded exactly as the reference decodes them.
func TestGunzipCorruptInput(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for name, data := range corpus() {
		for enc, src := range compressed(t, data) {
			step := max(1, len(src)/150)
			for n := 0; n < len(src); n += step {
				if agree(t, src[:n], 1<<22) {
					t.Fatalf("%s/%s: a file truncated to %d of %d bytes was accepted", name, enc, n, len(src))
				}
			}
			bad := make([]byte, len(src))
			for range 60 {
				copy(bad, src)
				for range 1 + r.IntN(3) {
					bad[r.IntN(len(bad))] ^= 1 << r.IntN(8)
				}
				agree(t, bad, 1<<22)
			}
			// A wrong size or checksum in the trailer.
			for _, at := range []int{len(src) - 8, len(src) - 4} {
				copy(bad, src)
				binary.LittleEndian.PutUint32(bad[at:], binary.LittleEndian.Uint32(bad[at:])+1)
				if agree(t, bad, 1<<22) {
					t.Fatalf("%s/%s: a wrong trailer at %d was accepted", name, enc, at)
				}
			}
		}
	}
}

func FuzzGunzip(f *testing.F) {
	for _, data := range corpus() {
		for _, src := range compressed(f, data[:min(len(data), 2000)]) {
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		agree(t, src, 1<<20)
	})
}

func BenchmarkGunzip(b *testing.B) {
	data := corpus()["events"]
	for _, enc := range []string{"klauspost-5", "std--1"} {
		src := compressed(b, data)[enc]
		b.Run("fast/"+enc, func(b *testing.B) {
			var d Decoder
			var buf []byte
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				buf, _ = d.Gunzip(buf, src, 1<<20)
			}
		})
		b.Run("klauspost/"+enc, func(b *testing.B) {
			zr, _ := gzip.NewReader(bytes.NewReader(src))
			buf := make([]byte, 64<<10)
			var br bytes.Reader
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				br.Reset(src)
				zr.Reset(&br)
				for {
					if _, err := zr.Read(buf); err != nil {
						break
					}
				}
			}
		})
	}
}

// BenchmarkDelivery inflates the first 1,000 files of an OSS delivery
// (bench/gentrail -busy -files 10000 -per 100; AKRESP_BENCH_DELIVERY names
// the directory) with Gunzip and with the streaming reference.
func BenchmarkDelivery(b *testing.B) {
	dir := os.Getenv("AKRESP_BENCH_DELIVERY")
	if dir == "" {
		b.Skip("AKRESP_BENCH_DELIVERY not set")
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.json.gz"))
	var files [][]byte
	var size int64
	for _, n := range names[:min(len(names), 1000)] {
		data, err := os.ReadFile(n)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
		size += gzipSize(data)
	}
	b.Run("fast", func(b *testing.B) {
		var d Decoder
		var buf []byte
		b.SetBytes(size)
		for b.Loop() {
			for _, f := range files {
				var ok bool
				if buf, ok = d.Gunzip(buf, f, 8<<20); !ok {
					b.Fatal("declined")
				}
			}
		}
	})
	b.Run("klauspost", func(b *testing.B) {
		zr, _ := gzip.NewReader(bytes.NewReader(files[0]))
		buf := make([]byte, 64<<10)
		var br bytes.Reader
		b.SetBytes(size)
		for b.Loop() {
			for _, f := range files {
				br.Reset(f)
				zr.Reset(&br)
				for {
					if _, err := zr.Read(buf); err != nil {
						break
					}
				}
			}
		}
	})
}

// viaReader reads src as the audit's readers do: through a Reader, and on
// ErrHandOver through the reference, its first Delivered() bytes skipped.
// It reports whether the reference was needed.
func viaReader(r *Reader, src []byte, bufSize int) (out []byte, err error, handedOver bool) {
	r.Reset(src)
	buf := make([]byte, bufSize)
	for {
		n, rerr := r.Read(buf)
		out = append(out, buf[:n]...)
		switch rerr {
		case nil:
			continue
		case io.EOF:
			return out, nil, false
		case ErrHandOver:
		default:
			return out, rerr, false
		}
		zr, zerr := gzip.NewReader(bytes.NewReader(src))
		if zerr != nil {
			return out, zerr, true
		}
		if _, zerr := io.CopyN(io.Discard, zr, r.Delivered()); zerr != nil {
			return out, fmt.Errorf("the reference ended before the bytes the Reader delivered: %w", zerr), true
		}
		rest, zerr := io.ReadAll(zr)
		return append(out, rest...), zerr, true
	}
}

// agreeStreaming: reading through a Reader (handing over when it must)
// gives the reference's bytes and error.
func agreeStreaming(t testing.TB, r *Reader, src []byte, bufSize int) (handedOver bool) {
	t.Helper()
	got, gerr, handed := viaReader(r, src, bufSize)
	want, werr := reference(src)
	if !bytes.Equal(got, want) {
		t.Fatalf("through the Reader: %d bytes, the reference %d (first difference at %d; handed over %v)", len(got), len(want), firstDiff(got, want), handed)
	}
	if fmt.Sprint(gerr) != fmt.Sprint(werr) {
		t.Fatalf("through the Reader: error %v, the reference %v", gerr, werr)
	}
	return handed
}

func TestReaderMatchesTheReference(t *testing.T) {
	var r Reader
	inputs := corpus()
	// Larger than a chunk, with matches reaching back across slides.
	big := bytes.Repeat(inputs["mixed"], 4)
	copy(big[500_000:], inputs["random"])
	inputs["big"] = big
	for name, data := range inputs {
		for enc, src := range compressed(t, data) {
			for _, bufSize := range []int{1, 7, 4096, 1 << 20} {
				if bufSize < 4096 && len(data) > 100_000 {
					continue
				}
				if agreeStreaming(t, &r, src, bufSize) {
					t.Fatalf("%s/%s: a valid single-member file was handed over", name, enc)
				}
			}
		}
	}
}

func TestReaderHandsOver(t *testing.T) {
	var r Reader
	rnd := rand.New(rand.NewPCG(7, 8))
	data := bytes.Repeat(corpus()["events"], 3) // over a chunk
	for enc, src := range compressed(t, data) {
		twice := append(append([]byte{}, src...), src...)
		badCRC := append([]byte{}, src...)
		badCRC[len(src)-8] ^= 1
		badSize := append([]byte{}, src...)
		badSize[len(src)-1] ^= 1
		for _, in := range [][]byte{twice, append(append([]byte{}, src...), "garbage"...), src[:len(src)/2], src[:len(src)-3], badCRC, badSize} {
			if !agreeStreaming(t, &r, in, 4096) {
				t.Fatalf("%s: a file the fast path cannot finish was not handed over", enc)
			}
		}
		bad := make([]byte, len(src))
		for range 40 {
			copy(bad, src)
			for range 1 + rnd.IntN(3) {
				bad[rnd.IntN(len(bad))] ^= 1 << rnd.IntN(8)
			}
			agreeStreaming(t, &r, bad, 4096)
		}
		step := max(1, len(src)/60)
		for n := 0; n < len(src); n += step {
			agreeStreaming(t, &r, src[:n], 4096)
		}
	}
}

func FuzzReader(f *testing.F) {
	for _, data := range corpus() {
		for _, src := range compressed(f, data[:min(len(data), 2000)]) {
			f.Add(src)
		}
	}
	var r Reader
	f.Fuzz(func(t *testing.T, src []byte) {
		agreeStreaming(t, &r, src, 4096)
	})
}
