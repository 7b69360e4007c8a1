package safetext

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// hostile is the payload of the issue: a screen clear, an OSC 8 link,
// a BEL, a carriage return that overwrites the line, a C1 CSI, a
// right-to-left override and a byte that is not UTF-8.
const hostile = "alice\x1b[2J\x1b]8;;http://evil\x07click\x1b]8;;\x07\rroot\u009b31m\u202eexe.txt\xff\x7f"

func TestEscape(t *testing.T) {
	tests := []struct{ in, esc, line string }{
		{"plain ascii", "plain ascii", "plain ascii"},
		{"中文 ok", "中文 ok", "中文 ok"},
		{"a\nb\tc", "a\nb\tc", `a\nb\tc`},
		{"\x1b[31mred", `\x1b[31mred`, `\x1b[31mred`},
		{"bell\x07", `bell\x07`, `bell\x07`},
		{"over\rwrite", `over\rwrite`, `over\rwrite`},
		{"nul\x00del\x7f", `nul\x00del\x7f`, `nul\x00del\x7f`},
		{"c1\u009b2J", `c1\u009b2J`, `c1\u009b2J`},
		{"rlo\u202eabc", `rlo\u202eabc`, `rlo\u202eabc`},
		{"ls\u2028x", `ls\u2028x`, `ls\u2028x`},
		{"bad\xffutf8\xc3", `bad\xffutf8\xc3`, `bad\xffutf8\xc3`},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.esc {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.esc)
		}
		if got := Line(tt.in); got != tt.line {
			t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.line)
		}
	}
	if got := Escape(hostile); !noRaw(got, true) {
		t.Errorf("Escape(hostile) = %q keeps a raw control character", got)
	}
}

// noRaw reports whether s holds no control character (\n and \t allowed
// when keepNL) and is valid UTF-8.
func noRaw(s string, keepNL bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if keepNL && (r == '\n' || r == '\t') {
			continue
		}
		if unsafeRune(r) {
			return false
		}
	}
	return true
}

func TestWriterSplitsAndMatchesEscape(t *testing.T) {
	in := "head\n" + hostile + "\t中文\u202e\n"
	want := Escape(in)
	// Every split point, including inside multi-byte characters.
	for cut := 0; cut <= len(in); cut++ {
		var buf bytes.Buffer
		w := NewWriter(&buf)
		for _, part := range []string{in[:cut], in[cut:]} {
			n, err := w.Write([]byte(part))
			if err != nil || n != len(part) {
				t.Fatalf("Write = %d, %v", n, err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if buf.String() != want {
			t.Fatalf("cut %d: %q, want %q", cut, buf.String(), want)
		}
	}
	// A sequence cut at the very end is escaped by Flush.
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.Write([]byte("x\xe2\x80"))
	w.Flush()
	if buf.String() != `x\xe2\x80` {
		t.Errorf("flush: %q", buf.String())
	}
	if Raw(w) != &buf || NewWriter(w) != w || Raw(&buf) != &buf {
		t.Error("Raw/NewWriter do not unwrap or reuse")
	}
}

func TestMarkdownAndCSVCells(t *testing.T) {
	if got, want := MarkdownCell("a|b`c\nd<e>\x1b"), "a\\|b\\`c\\\\nd&lt;e&gt;\\\\x1b"; got != want {
		t.Errorf("MarkdownCell = %q, want %q", got, want)
	}
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://evil\")": "'=HYPERLINK(\"http://evil\")",
		"+1":                          "+1", "-2": "-2", "-": "-", "-2+3": "'-2+3", "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0", "-1e3x": "'-1e3x", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx",
		"\rx": `\rx`, "alice": "alice", "a=b": "a=b", "": "",
	} {
		if got := CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
	}
	if !strings.HasPrefix(CSVCell("\x1b=1"), `\x1b`) {
		t.Error("CSVCell does not escape controls")
	}
}

func FuzzEscape(f *testing.F) {
	f.Add(hostile)
	f.Add("a\nb")
	f.Add("\xe2\x80\xae")
	f.Fuzz(func(t *testing.T, s string) {
		e, l := Escape(s), Line(s)
		if !noRaw(e, true) || !noRaw(l, false) {
			t.Fatalf("Escape(%q) = %q, Line = %q: raw control left", s, e, l)
		}
		var buf bytes.Buffer
		w := NewWriter(&buf)
		half := len(s) / 2
		w.Write([]byte(s[:half]))
		w.Write([]byte(s[half:]))
		w.Flush()
		if buf.String() != e {
			t.Fatalf("Writer(%q) = %q, Escape = %q", s, buf.String(), e)
		}
		if IsClean(s) != (e == s) {
			t.Fatalf("IsClean(%q) disagrees with Escape", s)
		}
	})
}
