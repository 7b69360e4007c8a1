package report

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/audit"
)

func TestScrubJSON(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "nested secrets, order kept", in: `{"b":1,"AccessKey":{"AccessKeyId":"LTAI5tX","AccessKeySecret":"s3cr3t","Status":"Active"},"a":[{"Password":"p"},{"SecurityToken":{"x":1}}]}`,
			want: `{"b":1,"AccessKey":{"AccessKeyId":"LTAI5tX","AccessKeySecret":"[REDACTED]","Status":"Active"},"a":[{"Password":"[REDACTED]"},{"SecurityToken":"[REDACTED]"}]}`},
		{name: "case and snake case", in: `{"accesskeysecret":"x","new_password":"y","x_security_token":"z","privateKey":"k","SecretName":"prod/db"}`,
			want: `{"accesskeysecret":"[REDACTED]","new_password":"[REDACTED]","x_security_token":"[REDACTED]","privateKey":"[REDACTED]","SecretName":"prod/db"}`},
		{name: "json text in a string", in: `{"requestParameters":"{\"UserName\":\"u\",\"Password\":\"hunter2\"}"}`,
			want: `{"requestParameters":"{\"UserName\":\"u\",\"Password\":\"[REDACTED]\"}"}`},
		{name: "json text without secrets untouched", in: `{"p":"{ \"a\": 1 }"}`, want: `{"p":"{ \"a\": 1 }"}`},
		{name: "numbers, html and unicode kept", in: `{"n":12345678901234567890,"f":1.50,"s":"<a&b> 你好","t":true,"z":null}`,
			want: `{"n":12345678901234567890,"f":1.50,"s":"<a&b> 你好","t":true,"z":null}`},
		{name: "not json", in: `{"a":`, wantErr: true},
		{name: "trailing data", in: `{} {}`, wantErr: true},
		{name: "too deep", in: strings.Repeat("[", 300) + strings.Repeat("]", 300), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ScrubJSON([]byte(tc.in))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("want an error, got %s", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestWriteEvidence(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	raw := fxEvent("e1", fxLeak, "Ram", "CreateAccessKey", fxAttacker, "", map[string]string{"UserName": "svc-backup"})
	raw.Raw = json.RawMessage(`{"eventId":"e1","responseElements":{"AccessKey":{"AccessKeyId":"LTAI5tNEW","AccessKeySecret":"TOPSECRETVALUE"}}}`)
	norm := fxEvent("e2", fxLeak.Add(time.Minute), "Ram", "CreateLoginProfile", fxAttacker, "", map[string]string{"UserName": "svc-backup", "Password": "Hunter2!"})
	norm.Raw = nil
	norm.Event.Source = audit.Origin{Kind: audit.OriginTrail, File: "/trails/a.json.gz", Pos: 7}

	ev, err := WriteEvidence(dir, fxKey, mustKeep([]RawEvent{raw, norm}))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Events != 2 || ev.Raw != 1 || ev.Normalised != 1 || ev.File != fxKey+"-evidence.jsonl" || ev.SHA256File != fxKey+"-evidence.jsonl.sha256" {
		t.Errorf("evidence: %+v", ev)
	}
	data, err := os.ReadFile(filepath.Join(dir, ev.File))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if ev.SHA256 != hex.EncodeToString(sum[:]) {
		t.Error("reported SHA-256 does not match the file")
	}
	sumFile, _ := os.ReadFile(filepath.Join(dir, ev.SHA256File))
	if string(sumFile) != ev.SHA256+"  "+ev.File+"\n" {
		t.Errorf("checksum file %q is not in sha256sum format", sumFile)
	}
	for _, name := range []string{ev.File, ev.SHA256File} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", name, st.Mode().Perm(), err)
		}
	}
	if bytes.Contains(data, []byte("TOPSECRETVALUE")) || bytes.Contains(data, []byte("Hunter2!")) {
		t.Fatal("a secret reached the evidence")
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	var recs []EvidenceRecord
	for _, l := range lines {
		var r EvidenceRecord
		if err := json.Unmarshal(l, &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if recs[0].Form != FormRaw || recs[0].Origin != "lookup" || recs[0].Seq != 1 || recs[0].EventID != "e1" {
		t.Errorf("raw record: %+v", recs[0])
	}
	if recs[1].Form != FormNormalised || recs[1].Origin != "trail:/trails/a.json.gz#7" || !bytes.Contains(recs[1].Event, []byte(`"eventName":"CreateLoginProfile"`)) {
		t.Errorf("normalised record: %+v %s", recs[1], recs[1].Event)
	}

	// Same events, same bytes: the checksum is reproducible.
	again, err := WriteEvidence(dir, fxKey, mustKeep([]RawEvent{raw, norm}))
	if err != nil || again.SHA256 != ev.SHA256 {
		t.Errorf("rewrite: %v, sha %s vs %s", err, again.SHA256, ev.SHA256)
	}

	if _, err := WriteEvidence(dir, "../escape", nil); err == nil {
		t.Error("a key id with a path separator must be refused")
	}
	bad := raw
	bad.Raw = json.RawMessage(`{"broken":`)
	if _, err := KeepEvents([]RawEvent{bad}); err == nil || !strings.Contains(err.Error(), "e1") {
		t.Errorf("invalid raw JSON: %v", err)
	}
}

func FuzzScrubJSON(f *testing.F) {
	for _, s := range []string{`{"AccessKeySecret":"x"}`, `[1,"{\"Password\":1}"]`, `{"a":{"b":[null,true,1e3]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := ScrubJSON(in)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("scrubbed output is not JSON: %s", out)
		}
	})
}

// scrubPlain's shortcut writes exactly what the token walk writes, and
// takes no body the walk would redact or refuse: the incidents' events (a
// few hundred real-shaped ones), their whitespace and case variants, and
// bodies made to defeat the shortcut (escaped or Unicode-cased secret
// names, JSON text in strings, nesting at the limit, invalid JSON).
func TestScrubPlainMatchesTheWalk(t *testing.T) {
	docs := []string{
		`{}`, `[]`, `"x"`, `1.50`, `-0`, `true`, `null`, ` { "a" : [ 1 , 2 ] } `, "{\n\t\"a\":\r\n1}",
		`{"a":"<b>&c</b>","a":"dup","n":12345678901234567890,"e":1e+5,"d":"\u007f"}`,
		"{\"del\":\"\x7f\"}",
		`{"AccessKeySecret":"s"}`, `{"ACCESSKEYSECRET":"s"}`, `{"x":{"NewPassword":{"a":1}}}`, `{"Passwd":1}`,
		`{"X-Security_Token":"t"}`, `{"PrivateKey":"k"}`, `{"note":"the secret is out"}`,
		`{"acc\u0065sskeysecret":"s"}`, `{"accesskeysecre\u0074":"s"}`, `{"PRIVATE` + "\u212a" + `EY":"k"}`,
		`{"p":"{\"Password\":\"x\"}"}`, `{"p":"[1,2]"}`, `{"p":"{}"}`,
		strings.Repeat("[", 254) + strings.Repeat("]", 254), strings.Repeat("[", 255) + strings.Repeat("]", 255),
		strings.Repeat("[", 256) + strings.Repeat("]", 256), strings.Repeat("[", 257) + strings.Repeat("]", 257),
		strings.Repeat("[", 258) + strings.Repeat("]", 258), strings.Repeat(`{"a":`, 300) + "1" + strings.Repeat("}", 300),
		"{\"bad\":\"\xff\xfe\"}", "{\"ls\":\"\u2028\u2029\"}", `{"zh":"你好","fr":"évènement"}`,
		`{"a":`, `{} {}`, `{"a":01}`, "{\"a\":\"tab\there\"}", `{"a":1,}`, `[1 2]`, ``, ` `,
		// Escapes: those written back as they are, and those that are not
		// or can spell a name (also inside JSON text inside a string).
		`{"InstanceIds":"[\"i-1\",\"i-2\"]"}`, `{"p":"a\\b\"c\n\t\r\b\f"}`, `{"k\"ey":"v\\"}`,
		`{"p":"{\"\\u0070assword\":\"x\"}"}`, `{"p":"{\"pass\\u0077ord\":1}"}`, `{"p":"a\/b"}`, `{"p":"\\/"}`,
		`{"p":"{\\\"Password\\\":1}"}`, `{"p":"\u0041"}`, `{"p":"\x"}`, `{"p":"\`, `{"a\nb":1}`, `["\"]`,
		`{"p":"[\"a\", \"b\"]"}`, `{"p":"{\"SecurityToken\":\"t\"}"}`,
	}
	dirs, err := filepath.Glob("../audit/testdata/incidents/*/trail.json.gz")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no incident trails (%v)", err)
	}
	for _, path := range dirs {
		for _, raw := range trailRecords(t, path) {
			docs = append(docs, string(raw), strings.ToUpper(string(raw)), strings.ReplaceAll(string(raw), ",", ", \n"))
		}
	}
	plain := 0
	for _, d := range docs {
		want, werr := scrubWalk([]byte(d))
		got, gerr := ScrubJSON([]byte(d))
		if (werr != nil) != (gerr != nil) || werr == nil && !bytes.Equal(got, want) {
			t.Errorf("%.120q:\n got  %.200s (%v)\n want %.200s (%v)", d, got, gerr, want, werr)
		}
		if _, ok := scrubPlain([]byte(d)); ok {
			plain++
			if bytes.Contains(want, []byte(Redacted)) {
				t.Errorf("%.120q: the shortcut took a body the walk redacts", d)
			}
		}
	}
	if plain < len(docs)/4 {
		t.Errorf("the shortcut took %d of %d bodies: it should take the common ones", plain, len(docs))
	}
	// List parameters as JSON text in a string: two ActionTrail events in
	// five carry one.
	if _, ok := scrubPlain([]byte(`{"InstanceIds":"[\"i-1\",\"i-2\"]","Note":"a\\b\n"}`)); !ok {
		t.Error("the shortcut left a body with JSON text in a string to the walk")
	}
}

// trailRecords returns the records of a gzip JSON-array trail file.
func trailRecords(t *testing.T, path string) []json.RawMessage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var recs []json.RawMessage
	if err := json.NewDecoder(zr).Decode(&recs); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}
