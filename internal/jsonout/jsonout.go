// Package jsonout writes the indented JSON documents of -o json.
//
// encoding/json's Encoder with SetIndent marshals the value and then
// re-reads the whole document through json.Indent's byte-at-a-time
// scanner: for the 9 MB result of a busy key's audit (issue 14) the
// indenting took three quarters of the ~100 ms the output took. Indent
// does the same for what Marshal writes (compact JSON, no space outside
// strings) a string or a run of digits at a time, and Write streams it
// out through a small buffer instead of holding a second, indented copy.
// The bytes are json.Indent's, byte for byte (jsonout_test.go).
package jsonout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Write writes v as one JSON document indented by two spaces, HTML
// characters unescaped, with a trailing newline: what a json.Encoder with
// SetEscapeHTML(false) and SetIndent("", "  ") writes. Nothing is written
// when v cannot be marshalled.
func Write(w io.Writer, v any) error {
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	out := make([]byte, 0, min(compact.Len()+compact.Len()/2, flushAt+flushAt/4))
	src := compact.Bytes()
	var in indenter
	for len(src) > 0 {
		var err error
		out, src, err = in.indent(out, src, flushAt)
		if err != nil {
			return err
		}
		if _, err := w.Write(out); err != nil {
			return err
		}
		out = out[:0]
	}
	return nil
}

// flushAt is about how much indented output Write buffers per write.
const flushAt = 64 << 10

// Indent appends to dst the compact JSON src (as json.Marshal and
// json.Compact write it, optionally followed by a newline) indented by
// two spaces, as json.Indent(dst, src, "", "  ") does. It reports src
// that is not such JSON; dst then holds what was indented before it.
func Indent(dst, src []byte) ([]byte, error) {
	var in indenter
	for len(src) > 0 {
		var err error
		if dst, src, err = in.indent(dst, src, -1); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// indenter is the state of an indentation carried across chunks.
type indenter struct {
	depth      int
	needIndent bool // after '{' or '[': indent unless the value is empty
	off        int  // of src[0] in the whole input, for errors
}

// indent indents src onto dst until dst holds at least limit bytes (any
// amount when limit < 0) and returns dst and the rest of src.
func (in *indenter) indent(dst, src []byte, limit int) ([]byte, []byte, error) {
	i := 0
	for i < len(src) {
		if limit >= 0 && len(dst) >= limit {
			break
		}
		c := src[i]
		if in.needIndent && c != '}' && c != ']' {
			in.needIndent = false
			in.depth++
			dst = newline(dst, in.depth)
		}
		switch c {
		case '"':
			end := stringEnd(src, i+1)
			if end < 0 {
				return dst, nil, in.errAt(i, "unterminated string")
			}
			dst = append(dst, src[i:end+1]...)
			i = end + 1
			continue
		case '{', '[':
			in.needIndent = true
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			dst = newline(dst, in.depth)
		case ':':
			dst = append(dst, c, ' ')
		case '}', ']':
			if in.needIndent {
				in.needIndent = false // {} and [] stay as they are
			} else {
				if in.depth == 0 {
					return dst, nil, in.errAt(i, fmt.Sprintf("unexpected %q", c))
				}
				in.depth--
				dst = newline(dst, in.depth)
			}
			dst = append(dst, c)
		case '\n':
			// The newline Encode ends a document with.
			if in.depth != 0 || in.needIndent {
				return dst, nil, in.errAt(i, "space inside a value (not compact JSON)")
			}
			dst = append(dst, c)
		case ' ', '\t', '\r':
			return dst, nil, in.errAt(i, "space outside a string (not compact JSON)")
		default:
			// A number or a literal: up to the next punctuation.
			j := i + 1
			for j < len(src) && !stop[src[j]] {
				j++
			}
			dst = append(dst, src[i:j]...)
			i = j
			continue
		}
		i++
	}
	in.off += i
	return dst, src[i:], nil
}

func (in *indenter) errAt(i int, what string) error {
	return fmt.Errorf("jsonout: %s at offset %d", what, in.off+i)
}

// stop marks the bytes that end a number or a literal.
var stop = [256]bool{'"': true, '{': true, '[': true, '}': true, ']': true, ',': true, ':': true, ' ': true, '\t': true, '\r': true, '\n': true}

// stringEnd returns the index of the quote that ends the string whose
// content starts at b[j], or -1.
func stringEnd(b []byte, j int) int {
	for {
		k := bytes.IndexAny(b[j:], `"\`)
		if k < 0 {
			return -1
		}
		j += k
		if b[j] == '"' {
			return j
		}
		j += 2 // a backslash and the byte it escapes
		if j > len(b) {
			return -1
		}
	}
}

// newline appends a newline and depth levels of indentation.
func newline(dst []byte, depth int) []byte {
	dst = append(dst, '\n')
	for range depth {
		dst = append(dst, ' ', ' ')
	}
	return dst
}
