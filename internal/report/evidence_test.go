package report

import (
	"bytes"
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
