package scan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/akresp/akresp/internal/policy"
	"github.com/akresp/akresp/internal/redact"
)

// pairWindow is how many lines around an AccessKey ID a secret may sit on
// (config files put the two on adjacent lines; code a few lines apart).
const pairWindow = 6

// maxSecretsPerID caps the secrets paired with one ID occurrence (nearest
// first), so a file of random strings cannot explode the verification count.
const maxSecretsPerID = 3

// secretLen is the length of an AccessKey secret: 30 letters and digits.
const secretLen = 30

// candidate is one ID + secret pair found in one chunk. The secret stays in
// memory only, as a redact.Secret, until it has been verified.
type candidate struct {
	keyID   string
	secret  redact.Secret
	hash    string
	line    int
	ignored string // why the known-false-positive filter dropped it ("" kept)
}

// SecretHash is how output names a secret: the first 12 hex digits of its
// SHA-256. It identifies a secret across findings without revealing it.
func SecretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])[:12]
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// token is one maximal run of letters and digits.
type token struct {
	start, end int
}

// runAt returns the alphanumeric run containing position i.
func runAt(b []byte, i int) token {
	s, e := i, i
	for s > 0 && isAlnum(b[s-1]) {
		s--
	}
	for e < len(b) && isAlnum(b[e]) {
		e++
	}
	return token{s, e}
}

// masked reports whether the run is glued to a mask character
// ("LTAI5t12****", "abc***"): a redacted value, never a live one.
func masked(b []byte, t token) bool {
	return (t.end < len(b) && b[t.end] == '*') || (t.start > 0 && b[t.start-1] == '*')
}

// placeholderWords mark documentation examples and templates.
var placeholderWords = []string{"example", "sample", "your", "xxxx", "placeholder", "dummy", "changeme", "replace", "fake", "test0000", "abcdefgh", "12345678"}

// docExample reports whether an ID or secret is a documentation example or
// a template value rather than a real credential, and why.
func docExample(s string) bool {
	l := strings.ToLower(s)
	for _, w := range placeholderWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	// One character repeated (LTAIXXXXXXXXXXXXXXXXXXXX, aaaa...): a
	// template. Real IDs and secrets are random base62.
	body := strings.TrimPrefix(s, "LTAI")
	if len(body) > 0 && strings.Count(body, body[:1]) == len(body) {
		return true
	}
	return false
}

// plausibleSecret: a real secret is random base62, so it mixes at least
// two of lower case, upper case and digits.
func plausibleSecret(s string) bool {
	var lo, up, dg bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z':
			lo = true
		case 'A' <= c && c <= 'Z':
			up = true
		default:
			dg = true
		}
	}
	n := 0
	for _, b := range []bool{lo, up, dg} {
		if b {
			n++
		}
	}
	return n >= 2
}

// lineIndex maps byte offsets to 1-based line numbers.
type lineIndex []int // offsets of line starts

func newLineIndex(b []byte) lineIndex {
	idx := lineIndex{0}
	for i, c := range b {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (li lineIndex) line(off int) int {
	lo, hi := 0, len(li)
	for lo+1 < hi {
		m := (lo + hi) / 2
		if li[m] <= off {
			lo = m
		} else {
			hi = m
		}
	}
	return lo + 1
}

var ltai = []byte("LTAI")

// detect finds ID + secret pairs in one chunk of text. ignore maps IDs the
// caller wants dropped to the reason (the lab's keys).
func detect(b []byte, ignore map[string]string) []candidate {
	if !bytes.Contains(b, ltai) {
		return nil
	}
	var li lineIndex
	var out []candidate
	seen := map[string]bool{}
	for off := 0; ; {
		i := bytes.Index(b[off:], ltai)
		if i < 0 {
			break
		}
		i += off
		off = i + len(ltai)
		t := runAt(b, i)
		if t.start != i {
			continue // LTAI inside a longer word
		}
		off = t.end
		id := string(b[t.start:t.end])
		if len(id) != 16 && len(id) != 24 {
			continue
		}
		if _, err := policy.ParseAccessKeyID(id); err != nil {
			continue
		}
		if li == nil {
			li = newLineIndex(b)
		}
		line := li.line(t.start)
		idReason := ""
		switch {
		case masked(b, t):
			idReason = "masked value"
		case docExample(id):
			idReason = "documentation example"
		case ignore[id] != "":
			idReason = ignore[id]
		}
		for _, s := range secretsNear(b, li, line, t) {
			sec := string(b[s.start:s.end])
			c := candidate{keyID: id, secret: redact.Secret(sec), hash: SecretHash(sec), line: line, ignored: idReason}
			if c.ignored == "" {
				switch {
				case masked(b, s):
					c.ignored = "masked value"
				case docExample(sec):
					c.ignored = "documentation example"
				}
			}
			k := id + "\x00" + c.hash
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, c)
		}
	}
	return out
}

// secretsNear returns the 30-character runs within pairWindow lines of the
// ID at t, nearest first, at most maxSecretsPerID.
func secretsNear(b []byte, li lineIndex, line int, t token) []token {
	first, last := max(1, line-pairWindow), min(len(li), line+pairWindow)
	start := li[first-1]
	end := len(b)
	if last < len(li) {
		end = li[last]
	}
	type near struct {
		tok  token
		dist int
	}
	var found []near
	for i := start; i < end; {
		if !isAlnum(b[i]) {
			i++
			continue
		}
		r := runAt(b, i)
		i = r.end
		if r.end-r.start != secretLen || r == t || bytes.HasPrefix(b[r.start:r.end], ltai) {
			continue
		}
		if !plausibleSecret(string(b[r.start:r.end])) {
			continue
		}
		d := r.start - t.start
		if d < 0 {
			d = -d
		}
		found = append(found, near{r, d})
	}
	// Nearest first (insertion sort: a handful of entries).
	for i := 1; i < len(found); i++ {
		for j := i; j > 0 && found[j].dist < found[j-1].dist; j-- {
			found[j], found[j-1] = found[j-1], found[j]
		}
	}
	var out []token
	for i := 0; i < len(found) && i < maxSecretsPerID; i++ {
		out = append(out, found[i].tok)
	}
	return out
}
