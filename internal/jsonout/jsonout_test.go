package jsonout

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// stdIndent is what json.Encoder writes with SetEscapeHTML(false) and
// SetIndent("", "  ").
func stdIndent(t testing.TB, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type doc struct {
	Name    string            `json:"name"`
	Empty   []string          `json:"empty"`
	Nil     []string          `json:"nil"`
	Obj     map[string]any    `json:"obj"`
	NoObj   map[string]string `json:"no_obj"`
	When    time.Time         `json:"when"`
	N       float64           `json:"n"`
	Raw     json.RawMessage   `json:"raw"`
	Nested  [][]any           `json:"nested"`
	Pointer *doc              `json:"pointer,omitempty"`
}

func TestWriteMatchesEncoder(t *testing.T) {
	values := []any{
		nil, true, 0, -1.5e-300, "", `a "quoted" \ back\\slash`, "<html> & \u2028 \x01 \u00e9 {[,:]}",
		[]any{}, map[string]any{}, []any{[]any{}, map[string]any{}, []any{1, "x"}},
		doc{
			Name: "key \"LTAI\"\n", Empty: []string{}, Obj: map[string]any{"b": []int{1, 2}, "a": map[string]any{}, "c": "d:e,f"},
			NoObj: map[string]string{}, When: time.Date(2026, 12, 7, 2, 0, 0, 5, time.UTC), N: 1e21,
			Raw:     json.RawMessage(` { "x" : [ 1 , 2 ] , "y" : "z \" }" } `),
			Nested:  [][]any{{}, {nil, false, 3.25, "s"}},
			Pointer: &doc{Name: "inner", Raw: json.RawMessage(`null`)},
		},
	}
	for _, v := range values {
		want := stdIndent(t, v)
		var got bytes.Buffer
		if err := Write(&got, v); err != nil {
			t.Fatalf("Write(%#v): %v", v, err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("Write(%#v) =\n%s\nwant\n%s", v, got.Bytes(), want)
		}
	}
}

// A document larger than a chunk is written in several writes with the
// same bytes.
func TestWriteInChunks(t *testing.T) {
	var big []map[string]any
	for i := range 5000 {
		big = append(big, map[string]any{"i": i, "s": strings.Repeat("x\"y", i%50), "e": []any{}, "o": map[string]any{"k": []any{i, nil}}})
	}
	want := stdIndent(t, big)
	w := &countingWriter{}
	if err := Write(w, big); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w.b.Bytes(), want) {
		t.Fatal("chunked output differs from json.Encoder's")
	}
	if w.writes < 2 || len(want) < 2*flushAt {
		t.Fatalf("%d writes of %d bytes: the test wants several chunks", w.writes, len(want))
	}
}

type countingWriter struct {
	b      bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.b.Write(p)
}

func TestWriteNothingOnMarshalError(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, map[string]any{"f": func() {}}); err == nil {
		t.Fatal("no error for a value JSON cannot hold")
	}
	if b.Len() != 0 {
		t.Fatalf("wrote %q before failing", b.String())
	}
}

func TestWriteReturnsWriteError(t *testing.T) {
	boom := errors.New("disk full")
	if err := Write(failWriter{boom}, []int{1, 2}); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestIndentRejectsWhatIsNotCompactJSON(t *testing.T) {
	for _, in := range []string{`{"a": 1}`, `[1,2]]`, `"abc`, `"ab\`, "[1,\n2]", `}`} {
		if _, err := Indent(nil, []byte(in)); err == nil {
			t.Errorf("Indent(%q): no error", in)
		}
	}
}

// FuzzIndent: for any valid JSON, compacted, Indent writes json.Indent's
// bytes.
func FuzzIndent(f *testing.F) {
	for _, s := range []string{`{"a":[1,{},[]],"b":"x\"y\\","c":null}`, `[]`, `"\u2028<>&"`, `[[[{"":""}]]]`, `-0.5e+10`, `{"k":true,"l":false}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) {
			return
		}
		var c bytes.Buffer
		if err := json.Compact(&c, in); err != nil {
			t.Fatal(err)
		}
		c.WriteByte('\n')
		var want bytes.Buffer
		if err := json.Indent(&want, c.Bytes(), "", "  "); err != nil {
			t.Fatal(err)
		}
		got, err := Indent(nil, c.Bytes())
		if err != nil {
			t.Fatalf("Indent(%q): %v", c.Bytes(), err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("Indent(%q) =\n%s\nwant\n%s", c.Bytes(), got, want.Bytes())
		}
	})
}

// benchDoc is 20,000 small records, a few MB of JSON.
func benchDoc() []map[string]any {
	var big []map[string]any
	for i := range 20000 {
		big = append(big, map[string]any{"time": time.Unix(int64(i), 0).UTC(), "ip": "203.0.113.7", "n": i, "apis": []string{"ListUsers", "CreateAccessKey"}, "empty": []any{}})
	}
	return big
}

func BenchmarkWrite(b *testing.B) {
	benchEncode(b, func(buf *bytes.Buffer, v any) error { return Write(buf, v) })
}

// BenchmarkEncoderIndent is what Write replaced: encoding/json indenting.
func BenchmarkEncoderIndent(b *testing.B) {
	benchEncode(b, func(buf *bytes.Buffer, v any) error {
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

// benchEncode times encode writing benchDoc into a reused buffer.
func benchEncode(b *testing.B, encode func(*bytes.Buffer, any) error) {
	big := benchDoc()
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := encode(&buf, big); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
