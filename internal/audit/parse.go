package audit

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds a small validating JSON reader specialised for ActionTrail
// events. encoding/json (and reflection-based decoders in general) spend most
// of their time allocating maps and strings for fields nobody reads; this
// reader walks the document once, decodes only what Event needs, interns the
// low-cardinality strings (service, region, user agent, key ID, parameter
// names) and skips the rest while still validating it. It never recurses
// deeper than maxDepth, so hostile nesting costs an error, not a stack.

// maxDepth bounds object/array nesting inside one event.
const maxDepth = 128

// syntaxError is a malformed-JSON error with the byte offset inside the
// record where it was found.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.off, e.msg)
}

// scanner reads JSON from an in-memory buffer.
type scanner struct {
	b     []byte
	i     int
	depth int
}

func (s *scanner) fail(msg string) error { return &syntaxError{off: s.i, msg: msg} }

func (s *scanner) failf(format string, args ...any) error {
	return &syntaxError{off: s.i, msg: fmt.Sprintf(format, args...)}
}

// unexpected describes the byte at the cursor (or the end of input).
func (s *scanner) unexpected(want string) error {
	if s.i >= len(s.b) {
		return s.failf("unexpected end of input, want %s", want)
	}
	return s.failf("unexpected %s, want %s", quoteByte(s.b[s.i]), want)
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// end checks that only white space follows the value.
func (s *scanner) end() error {
	s.ws()
	if s.i != len(s.b) {
		return s.unexpected("end of record")
	}
	return nil
}

// strClass marks bytes that end the fast path of string scanning.
var strClass = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = 1
	}
	t['"'] = 1
	t['\\'] = 1
	for c := 0x80; c < 0x100; c++ {
		t[c] = 1
	}
	return t
}()

// rawString reads the string at the cursor. raw is the content between the
// quotes, still escaped; plain reports that raw is pure ASCII without escapes
// and can be used as is.
func (s *scanner) rawString() (raw []byte, plain bool, err error) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false, s.unexpected("string")
	}
	start := s.i + 1
	j := start
	b := s.b
	plain = true
	for {
		for j+8 <= len(b) {
			if m := specialMask(binary.LittleEndian.Uint64(b[j:])); m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
			j += 8
		}
		for j < len(b) && strClass[b[j]] == 0 {
			j++
		}
		if j >= len(b) {
			s.i = j
			return nil, false, s.fail("unterminated string")
		}
		switch c := b[j]; {
		case c == '"':
			s.i = j + 1
			return b[start:j], plain, nil
		case c == '\\':
			plain = false
			if j+1 >= len(b) {
				s.i = j
				return nil, false, s.fail("unterminated string")
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(b) || !isHex4(b[j+2:j+6]) {
					s.i = j
					return nil, false, s.fail(`invalid \u escape in string`)
				}
				j += 6
			default:
				s.i = j
				return nil, false, s.failf("invalid escape %s in string", quoteByte(b[j+1]))
			}
		case c < 0x20:
			s.i = j
			return nil, false, s.failf("control character %s in string", quoteByte(c))
		default: // non-ASCII: checked for UTF-8 validity when decoded
			plain = false
			j++
		}
	}
}

// SWAR helpers: test eight bytes at once. The lowest flagged byte of each
// mask is exact (higher ones may be false positives from borrows), which is
// all the scanners use.
const (
	swarLo = 0x0101010101010101
	swarHi = 0x8080808080808080
)

// byteMask flags the bytes of x equal to c.
func byteMask(x uint64, c byte) uint64 {
	y := x ^ (swarLo * uint64(c))
	return (y - swarLo) &^ y & swarHi
}

// specialMask flags '"', '\\', control characters and non-ASCII bytes.
func specialMask(x uint64) uint64 {
	return byteMask(x, '"') | byteMask(x, '\\') | ((x - swarLo*0x20) &^ x & swarHi) | (x & swarHi)
}

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if !isHexDigit(c) {
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// decodeString turns the raw content of a string into Go text, resolving
// escapes and replacing invalid UTF-8 and lone surrogates with U+FFFD, the
// way encoding/json does.
func decodeString(raw []byte, plain bool) string {
	if plain {
		return string(raw)
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		if utf8.Valid(raw) {
			return string(raw)
		}
		return strings.ToValidUTF8(string(raw), "\uFFFD")
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			if c < utf8.RuneSelf {
				out = append(out, c)
				i++
				continue
			}
			r, n := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && n == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, raw[i:i+n]...)
			}
			i += n
			continue
		}
		// rawString validated the escape, so raw[i+1] exists.
		switch raw[i+1] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(raw[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, hex4(raw[i+2:i+6])); dec != utf8.RuneError {
						r2 = dec
						i += 6
					}
				}
				r = r2
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // " \ /
			out = append(out, raw[i+1])
		}
		i += 2
	}
	return string(out)
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case c <= '9':
			r |= rune(c - '0')
		case c >= 'a':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

// number validates the JSON number at the cursor and returns its text.
func (s *scanner) number() ([]byte, error) {
	b := s.b
	start := s.i
	j := s.i
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && b[j] >= '1' && b[j] <= '9':
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
	default:
		s.i = j
		return nil, s.unexpected("digit")
	}
	if j < len(b) && b[j] == '.' {
		j++
		d := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == d {
			s.i = j
			return nil, s.unexpected("digit after decimal point")
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		d := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == d {
			s.i = j
			return nil, s.unexpected("digit in exponent")
		}
	}
	s.i = j
	return b[start:j], nil
}

func (s *scanner) literal(word string) error {
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		return s.failf("invalid literal, want %s", word)
	}
	s.i += len(word)
	return nil
}

// enter consumes an opening bracket and checks the nesting limit.
func (s *scanner) enter(open byte) error {
	if s.i >= len(s.b) || s.b[s.i] != open {
		return s.unexpected(string(open))
	}
	if s.depth >= maxDepth {
		return s.failf("nesting deeper than %d levels", maxDepth)
	}
	s.depth++
	s.i++
	return nil
}

// more is called after '{' or '[' and after each member or element. It
// consumes a separating comma and reports whether another member follows,
// or consumes the closing bracket and reports false.
func (s *scanner) more(close byte, first bool) (bool, error) {
	c := s.peek()
	if c == close {
		s.i++
		s.depth--
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, s.unexpected(fmt.Sprintf("',' or '%c'", close))
		}
		s.i++
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == close {
			return false, s.fail("trailing comma")
		}
	}
	return true, nil
}

// key reads an object key and the colon after it. The returned bytes alias
// the input unless the key is escaped.
func (s *scanner) key() ([]byte, error) {
	s.ws()
	raw, plain, err := s.rawString()
	if err != nil {
		return nil, err
	}
	if s.peek() != ':' {
		return nil, s.unexpected("':'")
	}
	s.i++
	s.ws()
	if plain {
		return raw, nil
	}
	return []byte(decodeString(raw, false)), nil
}

// skip validates and skips one value.
func (s *scanner) skip() error {
	switch c := s.peek(); {
	case c == '"':
		_, _, err := s.rawString()
		return err
	case c == '{':
		if err := s.enter('{'); err != nil {
			return err
		}
		for first := true; ; first = false {
			ok, err := s.more('}', first)
			if err != nil || !ok {
				return err
			}
			if _, err := s.key(); err != nil {
				return err
			}
			if err := s.skip(); err != nil {
				return err
			}
		}
	case c == '[':
		if err := s.enter('['); err != nil {
			return err
		}
		for first := true; ; first = false {
			ok, err := s.more(']', first)
			if err != nil || !ok {
				return err
			}
			if err := s.skip(); err != nil {
				return err
			}
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		_, err := s.number()
		return err
	default:
		return s.unexpected("value")
	}
}

// any decodes one value the way encoding/json decodes into interface{}:
// objects to map[string]any, arrays to []any, numbers to float64.
func (s *scanner) any() (any, error) {
	switch c := s.peek(); {
	case c == '"':
		raw, plain, err := s.rawString()
		if err != nil {
			return nil, err
		}
		return decodeString(raw, plain), nil
	case c == '{':
		if err := s.enter('{'); err != nil {
			return nil, err
		}
		m := map[string]any{}
		for first := true; ; first = false {
			ok, err := s.more('}', first)
			if err != nil {
				return nil, err
			}
			if !ok {
				return m, nil
			}
			k, err := s.key()
			if err != nil {
				return nil, err
			}
			v, err := s.any()
			if err != nil {
				return nil, err
			}
			m[string(k)] = v
		}
	case c == '[':
		if err := s.enter('['); err != nil {
			return nil, err
		}
		a := []any{}
		for first := true; ; first = false {
			ok, err := s.more(']', first)
			if err != nil {
				return nil, err
			}
			if !ok {
				return a, nil
			}
			v, err := s.any()
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
	case c == 't':
		return true, s.literal("true")
	case c == 'f':
		return false, s.literal("false")
	case c == 'n':
		return nil, s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		num, err := s.number()
		if err != nil {
			return nil, err
		}
		f, err := strconv.ParseFloat(string(num), 64)
		if err != nil { // out of range: keep the text rather than lose it
			return string(num), nil
		}
		return f, nil
	default:
		return nil, s.unexpected("value")
	}
}

// valueKind names the JSON type at the cursor for error messages.
func valueKind(c byte) string {
	switch {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	case c == '-' || c >= '0' && c <= '9':
		return "number"
	}
	return "invalid value"
}

// interner deduplicates the low-cardinality strings of a stream (service
// names, regions, user agents, key IDs, parameter names) so that a million
// events share a few thousand strings instead of allocating tens of
// millions. It is a direct-mapped cache: a slot holds the last string that
// hashed to it, so memory is fixed whatever the input, and a collision only
// costs an allocation. Not safe for concurrent use.
type interner struct {
	tab [internSlots]string
}

const (
	internSlots  = 1 << 13
	internMaxLen = 96
)

func newInterner() *interner { return new(interner) }

func (in *interner) get(raw []byte) string {
	if in == nil || len(raw) > internMaxLen {
		return string(raw)
	}
	if len(raw) == 0 {
		return ""
	}
	slot := &in.tab[hashBytes(raw)&(internSlots-1)]
	if *slot == string(raw) {
		return *slot
	}
	v := string(raw)
	*slot = v
	return v
}

// hashBytes is a fast non-cryptographic hash for short strings.
func hashBytes(b []byte) uint64 {
	const m = 0x9E3779B97F4A7C15
	h := uint64(len(b)) * m
	for len(b) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64(b)) * m
		h ^= h >> 29
		b = b[8:]
	}
	var t uint64
	for i, c := range b {
		t |= uint64(c) << (8 * i)
	}
	h = (h ^ t) * m
	return h ^ h>>32
}

// eventParser turns ActionTrail event JSON into Event values. One parser is
// used by one goroutine; its interner makes repeated strings free.
type eventParser struct {
	in       *interner
	services map[string]string // raw serviceName -> canonical
	kv       []kvPair          // request parameters of the event in hand
	tb       timeBound
	// spare is an emptied Params map to fill for the next event that has
	// request parameters (see reset).
	spare map[string]string
	// sc is the scanner of the event in hand: a local one escapes to the
	// heap (the object parser is recursive), one allocation per event.
	sc scanner
}

// reset clears ev for a new event read from origin. A Params map ev still
// holds is emptied and kept for the next event's parameters: the readers
// hand the parser only Events that no sink holds (a fresh or dropped
// slot, or a delivered one under ReadOptions.ReuseEvents), so a busy key's
// events do not each build a map from nothing.
func (p *eventParser) reset(ev *Event, origin Origin) {
	if m := ev.Params; m != nil && p.spare == nil {
		clear(m)
		p.spare = m
	}
	// The same holds for the Resources slice: its storage is refilled.
	res := ev.Resources[:0]
	clear(res[:cap(res)])
	*ev = Event{Source: origin, Resources: res}
	p.kv = p.kv[:0]
}

func newEventParser() *eventParser {
	return &eventParser{in: newInterner(), services: map[string]string{}}
}

// parseState carries what is only known once the whole object was read.
type parseState struct {
	haveTime   bool
	slsTime    time.Time // __time__ fallback
	haveSLS    bool
	rwRaw      string
	source     string // eventSource host, for a missing serviceName
	resType    string
	resName    string
	response   []byte // raw responseElements, decoded for writes only
	flatResp   map[string]any
	nested     int // depth of "event" / JSON-in-string indirection
	sawField   bool
	respString bool
	// idRaw is a plain eventId not yet copied into Event.ID (idPending).
	idRaw     []byte
	idPending bool
}

// parse decodes one event object into ev (which it resets first).
func (p *eventParser) parse(ev *Event, raw []byte, origin Origin) error {
	p.reset(ev, origin)
	var st parseState
	p.sc = scanner{b: raw}
	s := &p.sc
	if c := s.peek(); c != '{' {
		if c == 0 {
			return fmt.Errorf("empty record, want an event object")
		}
		return fmt.Errorf("record is a JSON %s, want an event object", valueKind(c))
	}
	if err := p.object(s, ev, &st); err != nil {
		return err
	}
	if err := s.end(); err != nil {
		return err
	}
	return p.finish(ev, &st)
}

// parsePrefix decodes the event object at the start of data and returns how
// many bytes it took. It fails when data holds less than a whole object;
// callers then find the object's end and use parse.
func (p *eventParser) parsePrefix(ev *Event, data []byte, origin Origin) (int, error) {
	p.reset(ev, origin)
	var st parseState
	p.sc = scanner{b: data}
	s := &p.sc
	if err := p.object(s, ev, &st); err != nil {
		return 0, err
	}
	return s.i, p.finish(ev, &st)
}

// object reads one event object (top level, an SLS row, or the decoded
// "event" string of an SLS row) into ev.
func (p *eventParser) object(s *scanner, ev *Event, st *parseState) error {
	if err := s.enter('{'); err != nil {
		return err
	}
	for first := true; ; first = false {
		ok, err := s.more('}', first)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		k, err := s.key()
		if err != nil {
			return err
		}
		if err := p.field(s, ev, st, k); err != nil {
			return err
		}
	}
}

// field decodes the value of top-level key k.
func (p *eventParser) field(s *scanner, ev *Event, st *parseState, k []byte) error {
	if len(k) > 6 && string(k[:6]) == "event." { // SLS flat layout: event.eventName
		k = k[6:]
	}
	var err error
	switch string(k) {
	case "eventId":
		// A plain eventId waits for requestId, so that both share one
		// allocation (finish sets it if no requestId follows).
		if s.peek() == '"' {
			raw, plain, rerr := s.rawString()
			if rerr != nil {
				return rerr
			}
			if plain {
				ev.ID, st.idRaw, st.idPending = "", raw, true
				return nil
			}
			ev.ID, st.idPending = decodeString(raw, false), false
			return nil
		}
		st.idPending = false
		ev.ID, err = p.str(s, k, false)
	case "requestId":
		if st.idPending && s.peek() == '"' {
			raw, plain, rerr := s.rawString()
			if rerr != nil {
				return rerr
			}
			if plain {
				var sb strings.Builder // one allocation for both
				sb.Grow(len(st.idRaw) + len(raw))
				sb.Write(st.idRaw)
				sb.Write(raw)
				both := sb.String()
				ev.ID, ev.RequestID = both[:len(st.idRaw)], both[len(st.idRaw):]
				st.idPending = false
				return nil
			}
			ev.RequestID = decodeString(raw, false)
			return nil
		}
		ev.RequestID, err = p.str(s, k, false)
	case "eventName":
		ev.Name, err = p.str(s, k, true)
	case "eventType":
		ev.Type, err = p.str(s, k, true)
	case "eventRW":
		st.rwRaw, err = p.str(s, k, true)
	case "acsRegion":
		ev.Region, err = p.str(s, k, true)
	case "sourceIpAddress":
		ev.SourceIP, err = p.str(s, k, true)
	case "userAgent":
		ev.UserAgent, err = p.str(s, k, true)
	case "errorCode":
		ev.ErrorCode, err = p.str(s, k, true)
	case "errorMessage":
		ev.ErrorMessage, err = p.str(s, k, false)
	case "vpcId":
		ev.VpcID, err = p.str(s, k, true)
	case "eventSource":
		st.source, err = p.str(s, k, true)
	case "resourceType":
		st.resType, err = p.str(s, k, false)
	case "resourceName":
		st.resName, err = p.str(s, k, false)
	case "serviceName":
		var raw []byte
		raw, err = p.scalar(s, k)
		if err == nil && len(raw) > 0 {
			ev.Service = p.service(raw)
		}
	case "eventTime":
		err = p.eventTime(s, ev, st, k)
	case "__time__":
		var raw []byte
		raw, err = p.scalar(s, k)
		if err == nil && len(raw) > 0 {
			t, terr := parseTimeText(raw)
			if terr != nil {
				return fmt.Errorf("__time__: %w", terr)
			}
			st.slsTime, st.haveSLS = t, true
		}
	case "userIdentity":
		err = p.nestedObject(s, st, k, func(s *scanner) error { return p.identity(s, ev) })
	case "requestParameters", "requestParameterJson":
		err = p.nestedObject(s, st, k, func(s *scanner) error { return p.params(s, ev) })
	case "referencedResources":
		err = p.nestedObject(s, st, k, func(s *scanner) error { return p.resources(s, ev) })
	case "responseElements", "responseElementJson", "responseJson":
		err = p.response(s, st, k)
	case "event":
		err = p.nestedObject(s, st, k, func(s *scanner) error { return p.object(s, ev, st) })
	default:
		switch {
		case hasPrefix(k, "userIdentity."):
			err = p.identityField(s, ev, k[len("userIdentity."):])
		case hasPrefix(k, "requestParameters."):
			err = p.param(s, ev, k[len("requestParameters."):])
		case hasPrefix(k, "referencedResources."):
			var v string
			v, err = p.str(s, k, false)
			if err == nil {
				addResources(ev, string(k[len("referencedResources."):]), v)
			}
		case hasPrefix(k, "responseElements."):
			var v any
			v, err = s.any()
			if err == nil {
				if st.flatResp == nil {
					st.flatResp = map[string]any{}
				}
				setPath(st.flatResp, string(k[len("responseElements."):]), v)
			}
		default:
			err = s.skip()
		}
	}
	return err
}

func hasPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}

// nestedObject decodes an object value with fn. SLS exports store nested
// objects as JSON text inside a string ("event", "requestParameterJson",
// "userIdentity" ...); such a string is decoded and parsed in turn. null and
// an empty string mean "absent".
func (p *eventParser) nestedObject(s *scanner, st *parseState, k []byte, fn func(*scanner) error) error {
	switch c := s.peek(); c {
	case '{':
		return fn(s)
	case 'n':
		return s.literal("null")
	case '"':
		raw, plain, err := s.rawString()
		if err != nil {
			return err
		}
		text := raw
		if !plain {
			text = []byte(decodeString(raw, false))
		}
		if len(bytes.TrimSpace(text)) == 0 {
			return nil
		}
		if st.nested >= 2 {
			return fmt.Errorf("%s: JSON text nested in strings more than twice", k)
		}
		st.nested++
		defer func() { st.nested-- }()
		inner := scanner{b: text}
		if inner.peek() != '{' {
			return fmt.Errorf("%s: string does not hold a JSON object", k)
		}
		if err := fn(&inner); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		return inner.end()
	default:
		return fmt.Errorf("%s: got a JSON %s, want an object", k, valueKind(c))
	}
}

// scalar returns the text of a scalar value: the decoded string, or the
// literal text of a number or boolean; nil for null.
func (p *eventParser) scalar(s *scanner, k []byte) ([]byte, error) {
	switch c := s.peek(); {
	case c == '"':
		raw, plain, err := s.rawString()
		if err != nil || plain {
			return raw, err
		}
		return []byte(decodeString(raw, false)), nil
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 't':
		return []byte("true"), s.literal("true")
	case c == 'f':
		return []byte("false"), s.literal("false")
	case c == 'n':
		return nil, s.literal("null")
	default:
		if c == '{' || c == '[' {
			return nil, fmt.Errorf("%s: got a JSON %s, want a string", k, valueKind(c))
		}
		return nil, s.unexpected("value")
	}
}

// str reads a scalar as a string; intern selects the shared-string table.
func (p *eventParser) str(s *scanner, k []byte, intern bool) (string, error) {
	if s.peek() == '"' {
		raw, plain, err := s.rawString()
		if err != nil {
			return "", err
		}
		if plain && intern {
			return p.in.get(raw), nil
		}
		return decodeString(raw, plain), nil
	}
	raw, err := p.scalar(s, k)
	if err != nil || raw == nil {
		return "", err
	}
	return string(raw), nil
}

func (p *eventParser) eventTime(s *scanner, ev *Event, st *parseState, k []byte) error {
	raw, err := p.scalar(s, k)
	if err != nil || len(raw) == 0 {
		return err
	}
	t, err := parseTimeText(raw)
	if err != nil {
		return fmt.Errorf("eventTime: %w", err)
	}
	ev.Time, st.haveTime = t, true
	return nil
}

func (p *eventParser) identity(s *scanner, ev *Event) error {
	if err := s.enter('{'); err != nil {
		return err
	}
	for first := true; ; first = false {
		ok, err := s.more('}', first)
		if err != nil || !ok {
			return err
		}
		k, err := s.key()
		if err != nil {
			return err
		}
		if err := p.identityField(s, ev, k); err != nil {
			return err
		}
	}
}

func (p *eventParser) identityField(s *scanner, ev *Event, k []byte) error {
	var dst *string
	switch string(k) {
	case "accessKeyId":
		dst = &ev.AccessKeyID
	case "type":
		dst = &ev.UserType
	case "userName":
		dst = &ev.UserName
	case "principalId":
		dst = &ev.PrincipalID
	case "accountId":
		dst = &ev.AccountID
	default:
		return s.skip()
	}
	v, err := p.str(s, k, true)
	if err != nil {
		return fmt.Errorf("userIdentity: %w", err)
	}
	*dst = v
	return nil
}

func (p *eventParser) params(s *scanner, ev *Event) error {
	if err := s.enter('{'); err != nil {
		return err
	}
	for first := true; ; first = false {
		ok, err := s.more('}', first)
		if err != nil || !ok {
			return err
		}
		k, err := s.key()
		if err != nil {
			return err
		}
		if err := p.param(s, ev, k); err != nil {
			return err
		}
	}
}

// param stores one request parameter: scalars as text, objects and arrays
// as compact JSON text. null is dropped (it means "not sent").
func (p *eventParser) param(s *scanner, ev *Event, k []byte) error {
	var v string
	switch c := s.peek(); {
	case c == '"':
		raw, plain, err := s.rawString()
		if err != nil {
			return err
		}
		switch {
		case plain && len(raw) <= 32:
			v = p.in.get(raw)
		case plain && ev.RequestID != "" && string(raw) == ev.RequestID && string(k) == "RequestId":
			v = ev.RequestID // the gateway's copy of requestId: share it
		default:
			v = decodeString(raw, plain)
		}
	case c == '{' || c == '[':
		start := s.i
		if err := s.skip(); err != nil {
			return err
		}
		v = compactJSON(s.b[start:s.i])
	case c == 'n':
		return s.literal("null")
	default:
		raw, err := p.scalar(s, k)
		if err != nil {
			return err
		}
		v = p.in.get(raw)
	}
	key := p.in.get(k)
	if key == "RequestId" && v == ev.RequestID {
		v = ev.RequestID // share the string
	}
	p.kv = append(p.kv, kvPair{key, v})
	return nil
}

type kvPair struct{ k, v string }

// compactJSON returns already-validated JSON text without insignificant
// white space.
func compactJSON(raw []byte) string {
	if bytes.IndexAny(raw, " \t\r\n") < 0 {
		return string(raw)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return string(raw)
	}
	return buf.String()
}

// resources reads referencedResources: {"ACS::RAM::User": ["alice"], ...}.
// A value may also be a single string with ';'-separated names.
func (p *eventParser) resources(s *scanner, ev *Event) error {
	if err := s.enter('{'); err != nil {
		return err
	}
	for first := true; ; first = false {
		ok, err := s.more('}', first)
		if err != nil || !ok {
			return err
		}
		k, err := s.key()
		if err != nil {
			return err
		}
		typ := p.in.get(k)
		if s.peek() != '[' {
			v, err := p.str(s, k, false)
			if err != nil {
				return fmt.Errorf("referencedResources: %w", err)
			}
			addResources(ev, typ, v)
			continue
		}
		if err := s.enter('['); err != nil {
			return err
		}
		for first := true; ; first = false {
			ok, err := s.more(']', first)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			var name string
			if c := s.peek(); c == '{' || c == '[' {
				start := s.i
				if err := s.skip(); err != nil {
					return err
				}
				name = compactJSON(s.b[start:s.i])
			} else if name, err = p.str(s, k, false); err != nil {
				return fmt.Errorf("referencedResources: %w", err)
			}
			addResource(ev, typ, name)
		}
	}
}

// addResources adds the ';'-separated names of one type.
func addResources(ev *Event, typ, names string) {
	for name := range strings.SplitSeq(names, ";") {
		addResource(ev, typ, strings.TrimSpace(name))
	}
}

func addResource(ev *Event, typ, name string) {
	if name == "" {
		return
	}
	for _, r := range ev.Resources {
		if r.Type == typ && r.Name == name {
			return
		}
	}
	ev.Resources = append(ev.Resources, Resource{Type: typ, Name: name})
}

// response remembers the raw responseElements; finish decodes it for write
// events only, once eventRW and eventName are known.
func (p *eventParser) response(s *scanner, st *parseState, k []byte) error {
	switch c := s.peek(); c {
	case '{':
		start := s.i
		if err := s.skip(); err != nil {
			return err
		}
		st.response, st.respString = s.b[start:s.i], false
		return nil
	case 'n':
		return s.literal("null")
	case '"':
		raw, plain, err := s.rawString()
		if err != nil {
			return err
		}
		text := raw
		if !plain {
			text = []byte(decodeString(raw, false))
		}
		if len(bytes.TrimSpace(text)) == 0 {
			return nil
		}
		st.response, st.respString = text, true
		return nil
	default:
		// Some services log a bare value (e.g. "true"); keep it under "".
		v, err := s.any()
		if err != nil {
			return err
		}
		if st.flatResp == nil {
			st.flatResp = map[string]any{}
		}
		st.flatResp[string(k)] = v
		return nil
	}
}

// setPath stores v under a dotted path ("AccessKey.AccessKeyId").
func setPath(m map[string]any, path string, v any) {
	for {
		head, rest, ok := strings.Cut(path, ".")
		if !ok {
			m[path] = v
			return
		}
		next, _ := m[head].(map[string]any)
		if next == nil {
			next = map[string]any{}
			m[head] = next
		}
		m, path = next, rest
	}
}

// finish applies the rules that need the whole object.
func (p *eventParser) finish(ev *Event, st *parseState) error {
	if ev.Name == "" {
		return fmt.Errorf("event has no eventName")
	}
	if st.idPending {
		ev.ID, st.idPending = string(st.idRaw), false
	}
	if len(p.kv) > 0 {
		if p.spare != nil {
			ev.Params, p.spare = p.spare, nil
		} else {
			ev.Params = make(map[string]string, len(p.kv))
		}
		for _, kv := range p.kv {
			ev.Params[kv.k] = kv.v
		}
	}
	field := "eventTime"
	if !st.haveTime {
		if !st.haveSLS {
			return fmt.Errorf("event %s has no eventTime", truncate(ev.Name, 64))
		}
		ev.Time, field = st.slsTime, "__time__"
	}
	if err := p.tb.check(field, ev.Time); err != nil {
		return err
	}
	switch {
	case strings.EqualFold(st.rwRaw, "Read"):
		ev.RW = "Read"
	case strings.EqualFold(st.rwRaw, "Write"):
		ev.RW = "Write"
	default:
		ev.RW = DeriveRW(ev.Name)
	}
	if ev.Service == "" && st.source != "" {
		host, _, _ := strings.Cut(st.source, ".")
		ev.Service = p.service([]byte(host))
	}
	if st.resType != "" || st.resName != "" {
		addTypedResources(ev, st.resType, st.resName)
	}
	if ev.RW == "Write" {
		if st.response != nil {
			inner := scanner{b: st.response}
			if inner.peek() == '{' {
				v, err := inner.any()
				if err == nil {
					err = inner.end()
				}
				if err != nil {
					if st.respString {
						return fmt.Errorf("responseElements: %w", err)
					}
					return err
				}
				ev.Response = v.(map[string]any)
			} else if st.respString {
				return fmt.Errorf("responseElements: string does not hold a JSON object")
			}
		}
		for k, v := range st.flatResp {
			if ev.Response == nil {
				ev.Response = map[string]any{}
			}
			if m, ok := v.(map[string]any); ok {
				if cur, ok := ev.Response[k].(map[string]any); ok {
					mergeMaps(cur, m)
					continue
				}
			}
			ev.Response[k] = v
		}
		if len(ev.Response) == 0 {
			ev.Response = nil
		}
	}
	return nil
}

func mergeMaps(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				mergeMaps(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// addTypedResources adds the SLS-layout resourceType/resourceName pair.
// Both may hold ';'-separated lists; names are paired with types by position
// and the last type repeats for the remaining names.
func addTypedResources(ev *Event, types, names string) {
	ts := strings.Split(types, ";")
	ns := strings.Split(names, ";")
	for i, n := range ns {
		t := ts[min(i, len(ts)-1)]
		addResource(ev, strings.TrimSpace(t), strings.TrimSpace(n))
	}
}

// service returns the canonical serviceName for raw (cached per parser).
func (p *eventParser) service(raw []byte) string {
	if p.services != nil {
		if v, ok := p.services[string(raw)]; ok {
			return v
		}
	}
	v := CanonicalService(string(raw))
	if p.services != nil && len(p.services) < 4096 && len(raw) <= internMaxLen {
		p.services[string(raw)] = v
	}
	return v
}

// parseTimeText parses an event time: RFC 3339 text (ActionTrail writes
// "2006-01-02T15:04:05Z"), "2006-01-02 15:04:05" (taken as UTC), or a Unix
// time in seconds, milliseconds or microseconds (SLS __time__, microtime).
func parseTimeText(b []byte) (time.Time, error) {
	if t, ok := fastTime(b); ok {
		return t, nil
	}
	if len(b) > 0 && b[0] >= '0' && b[0] <= '9' && isDigits(b) {
		return unixAuto(b)
	}
	s := string(b)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 1e11 {
		sec, frac := int64(f), f-float64(int64(f))
		return time.Unix(sec, int64(frac*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("unrecognised time %q", truncate(s, 64))
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// unixAuto reads a Unix timestamp and guesses its unit from its size:
// seconds up to 1e11 (year 5138), then milliseconds, then microseconds.
func unixAuto(b []byte) (time.Time, error) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("unrecognised time %q", truncate(string(b), 64))
	}
	switch {
	case n < 1e11:
		return time.Unix(n, 0).UTC(), nil
	case n < 1e14:
		return time.UnixMilli(n).UTC(), nil
	case n < 1e17:
		return time.UnixMicro(n).UTC(), nil
	default:
		return time.Unix(0, n).UTC(), nil
	}
}

// fastTime parses exactly "YYYY-MM-DDThh:mm:ssZ", the layout of eventTime.
func fastTime(b []byte) (time.Time, bool) {
	if len(b) != 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[19] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, n int) (int, bool) {
		v := 0
		for _, c := range b[i : i+n] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 2)
	d, ok3 := num(8, 2)
	h, ok4 := num(11, 2)
	mi, ok5 := num(14, 2)
	sec, ok6 := num(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC), true
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
