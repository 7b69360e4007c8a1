// Package safetext keeps text that comes from cloud answers and input files
// (user names, source addresses, user agents, resource names, file names)
// from controlling the terminal or the document it is written into.
//
// A UserName carrying ESC [ 2 J, an OSC 8 hyperlink or a bare CR could
// otherwise clear the responder's screen, hide lines or rewrite what a
// finding says. Every control character is shown as Go-style escape text
// instead: ESC as \x1b, BEL as \x07, CR as \r, DEL as \x7f, C1 controls
// and Unicode bidirectional or line-separator characters as \u0085,
// \u202e, \u2028, and bytes that are not UTF-8 as \xff. Line feed and tab
// are kept by Escape and the Writer (renderers use them between lines and
// columns); Line escapes them too, for one-line cells.
//
// safetext is a leaf package: standard library only.
package safetext

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// unsafeRune reports whether r must be escaped (\n and \t aside).
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f: // C1 controls: CSI, OSC, NEL ...
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, // ALM, LRM, RLM
		r >= 0x202a && r <= 0x202e, // LRE RLE PDF LRO RLO
		r >= 0x2066 && r <= 0x2069, // LRI RLI FSI PDI
		r == 0x2028, r == 0x2029,   // line and paragraph separators
		r == 0xfeff: // zero-width no-break space (BOM)
		return true
	}
	return false
}

// appendEscape appends the escape text of r (or of the invalid byte b
// when r is utf8.RuneError of width 1).
func appendEscape(dst []byte, r rune, b byte, invalid bool) []byte {
	const hex = "0123456789abcdef"
	switch {
	case invalid:
		return append(dst, '\\', 'x', hex[b>>4], hex[b&15])
	case r == '\r':
		return append(dst, '\\', 'r')
	case r == '\n':
		return append(dst, '\\', 'n')
	case r == '\t':
		return append(dst, '\\', 't')
	case r < 0x80:
		return append(dst, '\\', 'x', hex[r>>4], hex[r&15])
	}
	s := strconv.FormatInt(int64(r), 16)
	dst = append(dst, '\\', 'u')
	for i := len(s); i < 4; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// clean reports whether s needs no escaping (keepNL: \n and \t allowed).
func clean(s string, keepNL bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return cleanSlow(s[i:], keepNL)
		}
		if c < 0x20 || c == 0x7f {
			if keepNL && (c == '\n' || c == '\t') {
				continue
			}
			return false
		}
	}
	return true
}

func cleanSlow(s string, keepNL bool) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return false
		}
		if unsafeRune(r) && !(keepNL && (r == '\n' || r == '\t')) {
			return false
		}
		i += n
	}
	return true
}

func escape(s string, keepNL bool) string {
	if clean(s, keepNL) {
		return s
	}
	out := make([]byte, 0, len(s)+16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			out = appendEscape(out, r, s[i], true)
		case keepNL && (r == '\n' || r == '\t'):
			out = append(out, byte(r))
		case unsafeRune(r):
			out = appendEscape(out, r, 0, false)
		default:
			out = append(out, s[i:i+n]...)
		}
		i += n
	}
	return string(out)
}

// Escape returns s with every control character escaped except line feed
// and tab. Text without any comes back unchanged (no allocation).
func Escape(s string) string { return escape(s, true) }

// Line returns s with every control character escaped, line feed and tab
// included, so s stays on one line.
func Line(s string) string { return escape(s, false) }

// IsClean reports whether Escape would leave s unchanged.
func IsClean(s string) bool { return clean(s, true) }

// Writer escapes everything written through it as Escape does. Multi-byte
// characters split across writes are reassembled; a trailing incomplete
// one is escaped byte by byte by Flush (or left pending if never flushed).
type Writer struct {
	mu      sync.Mutex
	w       io.Writer
	pending []byte // start of a UTF-8 sequence cut by the end of a write
	buf     []byte
}

// NewWriter returns a Writer escaping onto w (w itself when it is one).
// Writes are serialised, so goroutines may share a Writer as they share
// os.Stderr.
func NewWriter(w io.Writer) *Writer {
	if sw, ok := w.(*Writer); ok {
		return sw
	}
	return &Writer{w: w}
}

// Raw returns the writer underneath w when w is a *Writer, else w: for
// the few writes akresp itself makes that must stay raw (its own colour
// codes, a progress line's carriage return), never for outside text.
func Raw(w io.Writer) io.Writer {
	if sw, ok := w.(*Writer); ok {
		return sw.w
	}
	return w
}

// Write escapes p onto the underlying writer. It reports len(p) on
// success, whatever the escaped length.
func (sw *Writer) Write(p []byte) (int, error) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	in := p
	if len(sw.pending) > 0 {
		in = append(sw.pending, p...)
		sw.pending = nil
	}
	out := sw.buf[:0]
	i := 0
	// Fast path: plain ASCII text.
	for i < len(in) {
		c := in[i]
		if c >= 0x20 && c < 0x7f || c == '\n' || c == '\t' {
			i++
			continue
		}
		break
	}
	if i == len(in) && len(sw.pending) == 0 && len(in) == len(p) {
		if _, err := sw.w.Write(p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	out = append(out, in[:i]...)
	for i < len(in) {
		c := in[i]
		if c < 0x80 {
			if c >= 0x20 && c < 0x7f || c == '\n' || c == '\t' {
				out = append(out, c)
			} else {
				out = appendEscape(out, rune(c), 0, false)
			}
			i++
			continue
		}
		if !utf8.FullRune(in[i:]) {
			sw.pending = append([]byte(nil), in[i:]...)
			break
		}
		r, n := utf8.DecodeRune(in[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			out = appendEscape(out, r, c, true)
		case unsafeRune(r):
			out = appendEscape(out, r, 0, false)
		default:
			out = append(out, in[i:i+n]...)
		}
		i += n
	}
	sw.buf = out[:0]
	if len(out) > 0 {
		if _, err := sw.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes a pending incomplete UTF-8 sequence, escaped.
func (sw *Writer) Flush() error {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if len(sw.pending) == 0 {
		return nil
	}
	var out []byte
	for _, b := range sw.pending {
		out = appendEscape(out, utf8.RuneError, b, true)
	}
	sw.pending = nil
	_, err := sw.w.Write(out)
	return err
}

// MarkdownCell escapes s for one cell of a GitHub-flavoured markdown
// table: control characters as Line does, then the characters that end a
// cell or start markup (| \ ` < > and line breaks).
func MarkdownCell(s string) string {
	s = Line(s)
	if !strings.ContainsAny(s, "\\|`<>*_[]") {
		return s
	}
	return mdCell.Replace(s)
}

var mdCell = strings.NewReplacer(`\`, `\\`, "|", `\|`, "`", "\\`", "<", "&lt;", ">", "&gt;",
	"*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`)

// CSVCell escapes s for a CSV cell that a spreadsheet may open: control
// characters as Escape does (line feed kept: the CSV writer quotes it),
// and a cell starting with = + - @ (or a tab) gets a leading apostrophe so
// that it is not taken for a formula (OWASP "CSV Injection"). A number
// ("-3", "+1.5") and a lone "-" are not formulas and stay as they are.
func CSVCell(s string) string {
	s = Escape(s)
	if s == "" || s == "-" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t':
		if _, err := strconv.ParseFloat(s, 64); err == nil && s[0] != '=' && s[0] != '@' {
			return s
		}
		return "'" + s
	}
	return s
}
