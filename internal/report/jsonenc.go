package report

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/akresp/akresp/internal/audit"
)

// Hand-written encoders for the two JSON forms every kept event goes
// through: its normalised body (Collector.Add, on the goroutine that hands
// the audit its events) and its evidence line (encodeEvidence). They write
// the bytes encoding/json writes (jsonenc_test.go compares them), without
// its reflection and without the validating copy it makes of every
// Marshaler's output (time.Time, and the body, a json.RawMessage, on each
// evidence line): on the 150,000 events of issue 14's busy key these took
// ~2 s of a report's ~6.

// appendNormalised appends the normalised JSON form of ev: the bytes of
// json.Marshal(normalisedOf(ev)).
func appendNormalised(dst []byte, ev *audit.Event) ([]byte, error) {
	t := ev.Time.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		// time.Time.MarshalJSON refuses it: the same error as before.
		b, err := json.Marshal(normalisedOf(ev))
		return append(dst, b...), err
	}
	o := jsonObject{b: append(dst, '{')}
	o.str("eventId", ev.ID, true)
	o.str("requestId", ev.RequestID, true)
	o.key("eventTime")
	o.b = appendTime(o.b, t)
	o.str("eventName", ev.Name, false)
	o.str("serviceName", ev.Service, true)
	o.str("eventType", ev.Type, true)
	o.str("eventRW", ev.RW, true)
	o.str("acsRegion", ev.Region, true)
	o.str("sourceIpAddress", ev.SourceIP, true)
	o.str("userAgent", ev.UserAgent, true)
	o.str("accessKeyId", ev.AccessKeyID, true)
	o.str("userType", ev.UserType, true)
	o.str("userName", ev.UserName, true)
	o.str("principalId", ev.PrincipalID, true)
	o.str("accountId", ev.AccountID, true)
	o.str("errorCode", ev.ErrorCode, true)
	o.str("errorMessage", ev.ErrorMessage, true)
	o.str("vpcId", ev.VpcID, true)
	if len(ev.Params) > 0 {
		o.key("requestParameters")
		var scratch [32]string
		keys := scratch[:0]
		for k := range ev.Params {
			keys = append(keys, k)
		}
		slices.Sort(keys) // encoding/json orders map keys bytewise
		p := jsonObject{b: append(o.b, '{')}
		for _, k := range keys {
			p.str(k, ev.Params[k], false)
		}
		o.b = append(p.b, '}')
	}
	if len(ev.Response) > 0 {
		b, err := json.Marshal(ev.Response)
		if err != nil {
			return dst, err
		}
		o.key("responseElements")
		o.b = append(o.b, b...)
	}
	if len(ev.Resources) > 0 {
		o.key("resources")
		o.b = append(o.b, '[')
		for i, r := range ev.Resources {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			ro := jsonObject{b: append(o.b, '{')}
			ro.str("Type", r.Type, false)
			ro.str("Name", r.Name, false)
			o.b = append(ro.b, '}')
		}
		o.b = append(o.b, ']')
	}
	if ev.DataPlane {
		o.key("dataPlane")
		o.b = append(o.b, "true"...)
	}
	return append(o.b, '}'), nil
}

// normalisedOf is ev as a normalisedEvent.
func normalisedOf(ev *audit.Event) normalisedEvent {
	return normalisedEvent{EventID: ev.ID, RequestID: ev.RequestID, EventTime: ev.Time.UTC(), EventName: ev.Name,
		ServiceName: ev.Service, EventType: ev.Type, EventRW: ev.RW, Region: ev.Region, SourceIP: ev.SourceIP, UserAgent: ev.UserAgent,
		AccessKeyID: ev.AccessKeyID, UserType: ev.UserType, UserName: ev.UserName, PrincipalID: ev.PrincipalID, AccountID: ev.AccountID,
		ErrorCode: ev.ErrorCode, ErrorMessage: ev.ErrorMessage, VpcID: ev.VpcID, Params: ev.Params, Response: ev.Response,
		Resources: ev.Resources, DataPlane: ev.DataPlane}
}

// appendEvidenceLine appends rec as one evidence line (newline included):
// the bytes of a json.Encoder with SetEscapeHTML(false). rec.Event must be
// compact, valid JSON or empty (null): the bodies ScrubJSON returns, which
// encoding/json would copy unchanged. ok is false for a time
// time.Time.MarshalJSON refuses (the caller encodes those, for its error).
func appendEvidenceLine(dst []byte, rec *EvidenceRecord) (out []byte, ok bool) {
	t := rec.Time
	if y := t.Year(); y < 0 || y > 9999 {
		return dst, false
	}
	o := jsonObject{b: append(dst, '{'), noHTML: true}
	o.key("seq")
	o.b = strconv.AppendInt(o.b, int64(rec.Seq), 10)
	o.key("time")
	o.b = appendTime(o.b, t)
	o.str("event_id", rec.EventID, true)
	o.str("origin", rec.Origin, false)
	o.str("form", rec.Form, false)
	o.key("event")
	if len(rec.Event) == 0 {
		o.b = append(o.b, "null"...)
	} else {
		o.b = append(o.b, rec.Event...)
	}
	return append(o.b, '}', '\n'), true
}

// appendTime appends t quoted as time.Time.MarshalJSON writes it (the
// caller checked the year is 0-9999).
func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

// jsonObject appends the members of a JSON object after its '{'.
type jsonObject struct {
	b      []byte
	n      int  // members written
	noHTML bool // leave <, > and & as they are (SetEscapeHTML(false))
}

// key writes the separator and the quoted name of the next member.
func (o *jsonObject) key(name string) {
	if o.n > 0 {
		o.b = append(o.b, ',')
	}
	o.n++
	o.b = appendJSONString(o.b, name, !o.noHTML)
	o.b = append(o.b, ':')
}

// str writes a string member; omitEmpty leaves out an empty one.
func (o *jsonObject) str(name, v string, omitEmpty bool) {
	if omitEmpty && v == "" {
		return
	}
	o.key(name)
	o.b = appendJSONString(o.b, v, !o.noHTML)
}

const lowerHex = "0123456789abcdef"

// jsonSafe and jsonSafeHTML say which ASCII bytes a JSON string holds as
// they are: all but the control characters, '"' and '\\' (and, for
// jsonSafeHTML, '<', '>' and '&').
var jsonSafe, jsonSafeHTML = func() (plain, html [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		plain[c] = c != '"' && c != '\\'
		html[c] = plain[c] && c != '<' && c != '>' && c != '&'
	}
	return plain, html
}()

// appendJSONString appends s as a JSON string the way encoding/json
// writes one: \" \\ \b \f \n \r \t, other control characters as \u00XX,
// invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped, and with escapeHTML
// <, > and & as \u003c, \u003e and \u0026.
func appendJSONString(dst []byte, s string, escapeHTML bool) []byte {
	dst = append(dst, '"')
	start := 0
	safe := &jsonSafe
	if escapeHTML {
		safe = &jsonSafeHTML
	}
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', lowerHex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
