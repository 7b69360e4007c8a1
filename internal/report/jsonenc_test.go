package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/audit"
)

// hostileStrings are strings whose JSON encoding has every special case:
// quotes, backslashes, every control character, HTML characters, invalid
// UTF-8, U+2028/U+2029, multi-byte runes and a lone surrogate's bytes.
var hostileStrings = func() []string {
	out := []string{"", "plain", `q"uote`, `back\slash`, "<script>&amp;</script>", "tab\tnl\nret\r", "\b\f",
		"\u2028line\u2029para", "caf\u00e9 \u4e2d\u6587 \U0001F600", "\xff\xfe", "a\xc3", "\xed\xa0\x80", "\x7f", "end\\"}
	var ctl strings.Builder
	for c := range 0x20 {
		ctl.WriteByte(byte(c))
	}
	return append(out, ctl.String())
}()

// marshalNoHTML is what a json.Encoder with SetEscapeHTML(false) writes
// for v, without the newline.
func marshalNoHTML(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func checkJSONString(t *testing.T, s string) {
	t.Helper()
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := appendJSONString(nil, s, true); !bytes.Equal(got, want) {
		t.Errorf("appendJSONString(%q, html) = %s, want %s", s, got, want)
	}
	if got, want := appendJSONString(nil, s, false), marshalNoHTML(t, s); !bytes.Equal(got, want) {
		t.Errorf("appendJSONString(%q, no html) = %s, want %s", s, got, want)
	}
}

// Strings are written as encoding/json writes them, with and without its
// HTML escaping.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range hostileStrings {
		checkJSONString(t, s)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkJSONString(t, s) })
}

// fullEvent has every field of the normalised form set, hostile text in
// the strings, more request parameters than appendNormalised keeps keys
// for on its stack, a nested response and resources.
func fullEvent(s string) *audit.Event {
	params := map[string]string{}
	for i := range 40 {
		params[fmt.Sprintf("P%02d%s", 39-i, s)] = s + fmt.Sprint(i)
	}
	params["Password"] = "hunter2" + s
	return &audit.Event{ID: "id" + s, RequestID: "req" + s, Time: time.Date(2026, 3, 1, 10, 4, 5, 123456789, time.FixedZone("x", 3600)),
		Name: "CreateUser" + s, Service: "Ram" + s, Type: "ApiCall" + s, RW: "Write" + s, Region: "cn-hangzhou" + s,
		SourceIP: "198.51.100.7" + s, UserAgent: "ua<" + s, AccessKeyID: "LTAI" + s, UserType: "ram-user" + s, UserName: "u" + s,
		PrincipalID: "p" + s, AccountID: "a" + s, ErrorCode: "e" + s, ErrorMessage: "m&" + s, VpcID: "vpc" + s, Params: params,
		Response:  map[string]any{"z": 1.5, "a": []any{"x" + s, true, nil}, "m": map[string]any{"AccessKeySecret": s}},
		Resources: []audit.Resource{{Type: "ACS::RAM::User", Name: s}, {Type: "t" + s, Name: ""}}, DataPlane: true}
}

func checkNormalised(t *testing.T, ev *audit.Event) {
	t.Helper()
	want, werr := json.Marshal(normalisedOf(ev))
	got, gerr := appendNormalised([]byte("prefix"), ev)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("error = %v, want %v", gerr, werr)
	}
	if werr == nil && !bytes.Equal(got, append([]byte("prefix"), want...)) {
		t.Errorf("appendNormalised =\n%s\nwant prefix + \n%s", got, want)
	}
}

// The normalised body is json.Marshal's, byte for byte: every field set,
// every optional one empty, no parameters, a zero time and one with a year
// time.Time.MarshalJSON refuses (the same error), hostile text anywhere.
func TestAppendNormalisedMatchesMarshal(t *testing.T) {
	for _, s := range hostileStrings {
		checkNormalised(t, fullEvent(s))
	}
	checkNormalised(t, &audit.Event{})
	checkNormalised(t, &audit.Event{Name: "X", Params: map[string]string{}, Response: map[string]any{}, Resources: []audit.Resource{}})
	checkNormalised(t, &audit.Event{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)})
	checkNormalised(t, &audit.Event{Time: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)})
	if _, err := appendNormalised(nil, &audit.Event{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Error("year 10000: no error, want time.Time.MarshalJSON's")
	}
}

func FuzzAppendNormalised(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s, s, int64(1772359445123456789))
	}
	f.Fuzz(func(t *testing.T, s, k string, ns int64) {
		ev := fullEvent(s)
		ev.Params[k] = s
		ev.Time = time.Unix(0, ns)
		checkNormalised(t, ev)
	})
}

// Evidence lines are the Encoder's (SetEscapeHTML(false)) for the bodies
// ScrubJSON returns, a missing body (null) and an empty event ID; a year
// MarshalJSON refuses is left to the Encoder.
func TestAppendEvidenceLineMatchesEncoder(t *testing.T) {
	body, err := appendNormalised(nil, fullEvent("<&>\u2028"))
	if err != nil {
		t.Fatal(err)
	}
	scrubbed, err := ScrubJSON(body)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := ScrubJSON([]byte(` {"eventId" : "x<y>", "userAgent":"a&b",  "requestParameters":"{\"Password\":\"p\"}" } `))
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range []EvidenceRecord{
		{Seq: 1, Time: time.Date(2026, 3, 1, 10, 4, 5, 120000000, time.UTC), EventID: "e<1>", Origin: "trail:/x/a&b.json.gz#7", Form: FormNormalised, Event: scrubbed},
		{Seq: 1 << 40, Time: time.Time{}, Origin: "lookup", Form: FormRaw, Event: raw},
		{Seq: 3, Time: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), EventID: "\xff\u2029\n", Origin: "o", Form: FormRaw},
	} {
		want := append(marshalNoHTML(t, rec), '\n')
		got, ok := appendEvidenceLine([]byte("x"), &rec)
		if !ok || !bytes.Equal(got, append([]byte("x"), want...)) {
			t.Errorf("record %d: appendEvidenceLine = %s (ok %v)\nwant x + %s", i, got, ok, want)
		}
	}
	if _, ok := appendEvidenceLine(nil, &EvidenceRecord{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}); ok {
		t.Error("year 10000: ok, want it left to the Encoder")
	}
}

// A normalised body is what scrubbing json.Marshal's form gives, secrets
// redacted, whether it takes the walk (a secret-looking parameter, HTML
// escapes, non-ASCII text) or is kept as written (plain ASCII, no secret).
func TestEncodeBodyNormalisedIsScrubbedMarshal(t *testing.T) {
	plain := &audit.Event{ID: "e1", Time: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Name: "DescribeInstances",
		Params: map[string]string{"RegionId": "cn-hangzhou", "InstanceIds": `["i-1","i-2"]`}}
	events := []*audit.Event{plain}
	for _, s := range hostileStrings {
		events = append(events, fullEvent(s))
	}
	for i, ev := range events {
		m, err := json.Marshal(normalisedOf(ev))
		if err != nil {
			t.Fatal(err)
		}
		want, err := ScrubJSON(m)
		if err != nil {
			t.Fatal(err)
		}
		got, isRaw, err := encodeBody(ev, nil)
		if err != nil || isRaw || !bytes.Equal(got, want) {
			t.Errorf("event %d: encodeBody = %s, %v, %v\nwant %s", i, got, isRaw, err, want)
		}
		if i > 0 && bytes.Contains(got, []byte("hunter2")) {
			t.Errorf("event %d: the Password parameter's value is in the body: %s", i, got)
		}
	}
}
