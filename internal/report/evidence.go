package report

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/renameio/v2"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/state"
)

// Evidence record forms.
const (
	FormRaw        = "raw"        // the event exactly as read (secrets scrubbed)
	FormNormalised = "normalised" // akresp's normalised event: the reader kept no raw record
)

// EvidenceRecord is one line of the evidence file.
type EvidenceRecord struct {
	Seq     int       `json:"seq"`
	Time    time.Time `json:"time"`
	EventID string    `json:"event_id,omitempty"`
	// Origin locates the record: "lookup" (ActionTrail LookupEvents), or
	// "<kind>:<file>#<position>" for files.
	Origin string          `json:"origin"`
	Form   string          `json:"form"`
	Event  json.RawMessage `json:"event"`
}

// normalisedEvent is the JSON form of an audit.Event.
type normalisedEvent struct {
	EventID      string            `json:"eventId,omitempty"`
	RequestID    string            `json:"requestId,omitempty"`
	EventTime    time.Time         `json:"eventTime"`
	EventName    string            `json:"eventName"`
	ServiceName  string            `json:"serviceName,omitempty"`
	EventType    string            `json:"eventType,omitempty"`
	EventRW      string            `json:"eventRW,omitempty"`
	Region       string            `json:"acsRegion,omitempty"`
	SourceIP     string            `json:"sourceIpAddress,omitempty"`
	UserAgent    string            `json:"userAgent,omitempty"`
	AccessKeyID  string            `json:"accessKeyId,omitempty"`
	UserType     string            `json:"userType,omitempty"`
	UserName     string            `json:"userName,omitempty"`
	PrincipalID  string            `json:"principalId,omitempty"`
	AccountID    string            `json:"accountId,omitempty"`
	ErrorCode    string            `json:"errorCode,omitempty"`
	ErrorMessage string            `json:"errorMessage,omitempty"`
	VpcID        string            `json:"vpcId,omitempty"`
	Params       map[string]string `json:"requestParameters,omitempty"`
	Response     map[string]any    `json:"responseElements,omitempty"`
	Resources    []audit.Resource  `json:"resources,omitempty"`
	DataPlane    bool              `json:"dataPlane,omitempty"`
}

// EvidenceFileNames returns the base names of the evidence file and its
// checksum file for keyID.
func EvidenceFileNames(keyID string) (events, checksum string) {
	events = keyID + "-evidence.jsonl"
	return events, events + ".sha256"
}

// originBase is the origin of an event without its position: "unknown",
// "<kind>" or "<kind>:<file>" (few distinct values: kept interned).
func originBase(o audit.Origin) string {
	if o.Kind == "" {
		return "unknown"
	}
	if o.File == "" {
		return o.Kind
	}
	return o.Kind + ":" + o.File
}

// eventSeq yields events in the order the evidence holds them, until
// yield returns false; the Event is valid during the call only.
type eventSeq func(yield func(*Event) bool) error

// sliceSeq yields events in the order given.
func sliceSeq(events []Event) eventSeq {
	return func(yield func(*Event) bool) error {
		for i := range events {
			if !yield(&events[i]) {
				return nil
			}
		}
		return nil
	}
}

// EncodeEvidence renders events as JSON lines, in the order given, with
// every secret-looking field scrubbed. It returns the bytes and how many
// events were saved raw and normalised.
func EncodeEvidence(events []Event) (data []byte, raw, normalised int, err error) {
	var buf bytes.Buffer
	_, raw, normalised, err = encodeEvidence(&buf, sliceSeq(events))
	if err != nil {
		return nil, 0, 0, err
	}
	return buf.Bytes(), raw, normalised, nil
}

// encodeEvidence writes the evidence lines of the events to w one record
// at a time, so that memory does not grow with the evidence (a large
// offline trail gives an evidence file of hundreds of MB). Each event's
// body was scrubbed and encoded when it was kept (Collector.Add).
func encodeEvidence(w io.Writer, events eventSeq) (n, raw, normalised int, err error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	var line bytes.Buffer
	enc := json.NewEncoder(&line)
	enc.SetEscapeHTML(false)
	var lineBuf []byte
	var werr error
	err = events(func(e *Event) bool {
		n++
		rec := EvidenceRecord{Seq: n, Time: e.Time.UTC(), EventID: e.ID, Origin: e.body.originText(), Form: FormNormalised}
		if e.body.raw {
			rec.Form = FormRaw
			raw++
		} else {
			normalised++
		}
		body, berr := e.body.bytes()
		if berr != nil {
			werr = fmt.Errorf("evidence: read event %d (%s): %w", n, e.ID, berr)
			return false
		}
		rec.Event = body
		out, ok := appendEvidenceLine(lineBuf[:0], &rec) // the Encoder's bytes (jsonenc.go)
		lineBuf = out
		if !ok {
			line.Reset()
			if merr := enc.Encode(rec); merr != nil { // one line, newline-terminated
				werr = fmt.Errorf("evidence: encode record %d: %w", n, merr)
				return false
			}
			out = line.Bytes()
		}
		if _, err := bw.Write(out); err != nil {
			werr = fmt.Errorf("evidence: %w", err)
			return false
		}
		return true
	})
	if err = cmp.Or(werr, err); err != nil {
		return 0, 0, 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, 0, 0, fmt.Errorf("evidence: %w", err)
	}
	return n, raw, normalised, nil
}

// WriteEvidence writes <dir>/<keyID>-evidence.jsonl (the events, one per
// line, in the order given) and <dir>/<keyID>-evidence.jsonl.sha256 (its
// SHA-256 in sha256sum's format, so `sha256sum -c` verifies it), both
// atomically with mode 0600, and returns their description. The evidence
// is streamed to its file and hashed on the way: memory does not grow
// with its size.
func WriteEvidence(dir, keyID string, events []Event) (*Evidence, error) {
	return writeEvidence(dir, keyID, sliceSeq(events))
}

// WriteUsedEvidence writes the evidence of the events Build uses (see
// UsedEvents) like WriteEvidence, streaming them from in.Collected (or
// in.Events): the events are never all in memory at once.
func WriteUsedEvidence(dir string, in Input) (*Evidence, error) {
	if in.Audit == nil {
		return nil, errors.New("evidence: no audit result")
	}
	b := &builder{in: in, r: in.Audit, keyID: in.Audit.Key.AccessKeyID}
	return writeEvidence(dir, b.keyID, b.eachEvent)
}

func writeEvidence(dir, keyID string, events eventSeq) (*Evidence, error) {
	if keyID == "" || strings.ContainsAny(keyID, `/\`) {
		return nil, fmt.Errorf("evidence: bad key id %q", keyID)
	}
	name, sumName := EvidenceFileNames(keyID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	pf, err := renameio.NewPendingFile(filepath.Join(dir, name), renameio.WithPermissions(0o600))
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	defer pf.Cleanup()
	h := sha256.New()
	n, raw, norm, err := encodeEvidence(io.MultiWriter(pf, h), events)
	if err != nil {
		return nil, err
	}
	if err := pf.CloseAtomicallyReplace(); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	hexSum := hex.EncodeToString(h.Sum(nil))
	if err := state.WriteFileAtomic(filepath.Join(dir, sumName), []byte(hexSum+"  "+name+"\n")); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	return &Evidence{File: name, SHA256File: sumName, SHA256: hexSum, Events: n, Raw: raw, Normalised: norm}, nil
}

// secretKey reports whether a JSON field name holds a credential. Each
// fragment it looks for must be in secretWords too: scrubPlain skips the
// walk for a body that names none of those.
func secretKey(k string) bool {
	l := strings.ToLower(k)
	return strings.HasSuffix(l, "secret") || strings.HasSuffix(l, "password") || strings.HasSuffix(l, "passwd") ||
		strings.Contains(l, "securitytoken") || strings.Contains(l, "security_token") || strings.Contains(l, "privatekey")
}

// Redacted replaces a scrubbed value.
const Redacted = "[REDACTED]"

// maxScrubDepth bounds nesting (the audit parser refuses deeper events).
const maxScrubDepth = 256

// ScrubJSON returns doc compacted, key order kept, with the value of every
// field whose name ends in secret, password or passwd, or contains
// securitytoken/security_token/privatekey (any case, at any depth)
// replaced by "[REDACTED]". Field values that are JSON text (SLS exports
// hold requestParameters as a string) are scrubbed the same way.
func ScrubJSON(doc []byte) ([]byte, error) {
	if out, ok := scrubPlain(doc); ok {
		return out, nil
	}
	return scrubWalk(doc)
}

// secretWords are the fragments secretKey looks for: a body without any of
// them (in any ASCII case) has no field to redact.
var secretWords = [...][]byte{[]byte("secret"), []byte("password"), []byte("passwd"),
	[]byte("securitytoken"), []byte("security_token"), []byte("privatekey")}

// scrubPlain is ScrubJSON for the common body, several times faster than
// the token walk (which took a third of a report's CPU on a busy key): one
// that is ASCII (no Unicode case mapping), whose escapes cannot spell a
// name (below), that names none of the secret fragments anywhere (JSON
// text inside a string included) and nests less than the walk allows.
// Scrubbing it is compacting it, to the same bytes the walk writes. ok is
// false for any other body: the walk decides, errors included.
func scrubPlain(doc []byte) (out []byte, ok bool) {
	if !plainNoSecrets(doc) {
		return nil, false
	}
	var buf bytes.Buffer
	if json.Compact(&buf, doc) != nil {
		return nil, false
	}
	return buf.Bytes(), true
}

// plainNoSecrets is scrubPlain's test: doc is ASCII, has no escape that
// could spell a name, nests less than the walk allows and names none of
// secretWords in any case. Scrubbing such a doc is compacting it (and
// nothing at all for a doc known to be compact and valid, such as
// json.Marshal's output).
func plainNoSecrets(doc []byte) bool {
	// Escapes the walk writes back as they are (\" \\ \b \f \n \r \t)
	// are taken: they cannot spell a letter, and ActionTrail writes list
	// parameters as JSON text in a string ("[\"i-1\",\"i-2\"]"), two
	// events in five. Others (\/ is written back as /, \u can spell a
	// name) are not, and neither is a "\u" anywhere, escaped backslash or
	// not: in JSON text inside a string, "{\"\\u0070assword\":1}" names
	// a password.
	if bytes.Contains(doc, []byte(`\u`)) {
		return false
	}
	depth, inString := 0, false
	for i := 0; i < len(doc); i++ {
		switch c := doc[i]; {
		case c >= utf8.RuneSelf:
			return false
		case c == '\\':
			if !inString || i+1 == len(doc) || strings.IndexByte(`"\bfnrt`, doc[i+1]) < 0 {
				return false
			}
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			if depth++; depth >= maxScrubDepth {
				return false
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	// doc is ASCII: lower-case it into a stack buffer when it fits (a
	// copy per event was a busy key's report's largest garbage).
	var small [4096]byte
	lower := small[:0]
	if len(doc) > len(small) {
		lower = make([]byte, 0, len(doc))
	}
	for _, c := range doc {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower = append(lower, c)
	}
	for _, w := range secretWords {
		if bytes.Contains(lower, w) {
			return false
		}
	}
	return true
}

// scrubWalk is ScrubJSON token by token: every field name decoded and
// judged, every string re-encoded.
func scrubWalk(doc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var buf bytes.Buffer
	if err := scrubValue(dec, &buf, 0); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON value")
	}
	return buf.Bytes(), nil
}

func scrubValue(dec *json.Decoder, buf *bytes.Buffer, depth int) error {
	if depth > maxScrubDepth {
		return fmt.Errorf("nesting deeper than %d levels", maxScrubDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			buf.WriteByte('{')
			for i := 0; dec.More(); i++ {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ := kt.(string)
				if i > 0 {
					buf.WriteByte(',')
				}
				kb, _ := marshalNoEscape(k)
				buf.Write(kb)
				buf.WriteByte(':')
				if secretKey(k) {
					var skip json.RawMessage
					if err := dec.Decode(&skip); err != nil {
						return err
					}
					buf.WriteString(`"` + Redacted + `"`)
					continue
				}
				if err := scrubValue(dec, buf, depth+1); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			buf.WriteByte('}')
		case '[':
			buf.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					buf.WriteByte(',')
				}
				if err := scrubValue(dec, buf, depth+1); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			buf.WriteByte(']')
		default:
			return fmt.Errorf("unexpected %q", t)
		}
	case string:
		s := t
		// JSON text inside a string (SLS exports): scrub it too.
		if ts := strings.TrimSpace(s); len(ts) > 1 && (ts[0] == '{' || ts[0] == '[') && json.Valid([]byte(ts)) {
			if inner, err := ScrubJSON([]byte(ts)); err == nil && !bytes.Equal(inner, compact(ts)) {
				s = string(inner)
			}
		}
		b, _ := marshalNoEscape(s)
		buf.Write(b)
	case json.Number:
		buf.WriteString(t.String())
	case bool:
		buf.WriteString(strconv.FormatBool(t))
	case nil:
		buf.WriteString("null")
	}
	return nil
}

// marshalNoEscape is json.Marshal without HTML escaping (the evidence keeps
// "<" and ">" as the events had them), without the trailing newline.
func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func compact(s string) []byte {
	var b bytes.Buffer
	if json.Compact(&b, []byte(s)) != nil {
		return []byte(s)
	}
	return b.Bytes()
}
