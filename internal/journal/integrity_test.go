package journal

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/akresp/akresp/internal/redact"
	"github.com/akresp/akresp/internal/state"
)

// threeRecords writes one contain journal: intent (with a "before" fence),
// outcome, note.
func threeRecords(t *testing.T) (base, path string) {
	t.Helper()
	base = t.TempDir()
	j, err := Open(base, key, "contain", clock())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Record{
		{Kind: KindIntent, ActionID: "a1", Action: "set-network-acl", Before: json.RawMessage(`{"status":"set","allow":["10.1.0.0/16"]}`)},
		{Kind: KindOutcome, ActionID: "a1", Result: ResultOK, RequestID: "REQ-1"},
		{Kind: KindNote, Message: "verified"},
	} {
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	return base, j.Path()
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func writeLines(t *testing.T, path string, lines []string) {
	t.Helper()
	s := strings.Join(lines, "\n")
	if len(lines) > 0 {
		s += "\n"
	}
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func wantIntegrity(t *testing.T, err error, file string, line int) {
	t.Helper()
	var ie *state.IntegrityError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *state.IntegrityError", err)
	}
	var ec interface{ ExitCode() int }
	if !errors.As(err, &ec) || ec.ExitCode() != 4 {
		t.Errorf("exit code of %v is not 4", err)
	}
	if !strings.Contains(err.Error(), file) {
		t.Errorf("message %q does not name %s", err, file)
	}
	if line > 0 && (ie.Line != line || !strings.Contains(err.Error(), fmt.Sprintf("%s:%d:", file, line))) {
		t.Errorf("line = %d (message %q), want %d", ie.Line, err, line)
	}
}

func TestRecordsAreChained(t *testing.T) {
	_, path := threeRecords(t)
	for i, l := range readLines(t, path) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d is not one JSON object: %v", i+1, err)
		}
		if m["seq"] != float64(i+1) || len(fmt.Sprint(m["mac"])) != 64 {
			t.Errorf("line %d: seq %v mac %v", i+1, m["seq"], m["mac"])
		}
	}
}

func TestTamperedJournalFailsToRead(t *testing.T) {
	tests := []struct {
		name   string
		line   int // the line the error must name (0: any)
		tamper func(t *testing.T, base, path string)
	}{
		// The attack: undo plans from an edited "before".
		{"before edited", 1, func(t *testing.T, base, path string) {
			l := readLines(t, path)
			l[0] = strings.Replace(l[0], `"10.1.0.0/16"`, `"0.0.0.0/0"`, 1)
			writeLines(t, path, l)
		}},
		{"result edited", 2, func(t *testing.T, base, path string) {
			l := readLines(t, path)
			l[1] = strings.Replace(l[1], `"ok"`, `"error"`, 1)
			writeLines(t, path, l)
		}},
		{"mac removed", 1, func(t *testing.T, base, path string) {
			l := readLines(t, path)
			var m map[string]any
			json.Unmarshal([]byte(l[0]), &m)
			delete(m, "mac")
			b, _ := json.Marshal(m)
			l[0] = string(b)
			writeLines(t, path, l)
		}},
		{"middle line deleted", 2, func(t *testing.T, base, path string) {
			l := readLines(t, path)
			writeLines(t, path, append(l[:1:1], l[2:]...))
		}},
		{"first line deleted", 1, func(t *testing.T, base, path string) { writeLines(t, path, readLines(t, path)[1:]) }},
		{"last line deleted", 0, func(t *testing.T, base, path string) { writeLines(t, path, readLines(t, path)[:2]) }},
		{"lines swapped", 1, func(t *testing.T, base, path string) {
			l := readLines(t, path)
			l[0], l[1] = l[1], l[0]
			writeLines(t, path, l)
		}},
		{"emptied", 0, func(t *testing.T, base, path string) { writeLines(t, path, nil) }},
		{"last record cut to look torn", 0, func(t *testing.T, base, path string) {
			b, _ := os.ReadFile(path)
			os.WriteFile(path, b[:len(b)-20], 0o600)
		}},
		{"renamed", 0, func(t *testing.T, base, path string) {
			os.Rename(path, strings.Replace(path, "-contain", "-contain-2", 1))
		}},
		{"file deleted", 0, func(t *testing.T, base, path string) { os.Remove(path) }},
		{"line copied from another journal", 1, func(t *testing.T, base, path string) {
			j, _ := Open(base, key, "contain", clock())
			j.Append(Record{Kind: KindIntent, ActionID: "a1", Action: "set-network-acl", Before: json.RawMessage(`{"status":"none"}`)})
			j.Close()
			l := readLines(t, path)
			l[0] = readLines(t, j.Path())[0]
			writeLines(t, path, l)
		}},
		{"seal index deleted", 0, func(t *testing.T, base, path string) { os.Remove(filepath.Join(base, key, state.SealIndexName)) }},
		{"seal index edited", 0, func(t *testing.T, base, path string) {
			p := filepath.Join(base, key, state.SealIndexName)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(strings.Replace(string(b), `"records": 3`, `"records": 1`, 1)), 0o600)
		}},
		{"MAC key deleted", 0, func(t *testing.T, base, path string) { os.Remove(filepath.Join(base, state.KeyFileName)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base, path := threeRecords(t)
			if _, _, err := ReadKey(base, key); err != nil {
				t.Fatalf("untouched journal: %v", err)
			}
			tc.tamper(t, base, path)
			recs, _, err := ReadKey(base, key)
			if err == nil {
				t.Fatalf("tampered journal read without error: %d records", len(recs))
			}
			file := path
			if tc.name == "seal index edited" || tc.name == "seal index deleted" {
				file = filepath.Join(base, key)
			}
			if tc.name == "MAC key deleted" {
				file = state.KeyFileName
			}
			wantIntegrity(t, err, file, tc.line)
			if _, err := Head(base, key); err == nil {
				t.Error("Head of a tampered journal succeeded")
			}
			if tc.name != "file deleted" && tc.name != "renamed" {
				if _, _, err := ReadFile(path); err == nil {
					t.Error("ReadFile accepted the tampered journal")
				}
			}
		})
	}
}

// A crash between the fsync of a line and the index update leaves one
// verified record beyond the sealed count; a crash mid-line leaves a torn
// line. Neither is an integrity failure.
func TestCrashLeftoversAreNotTampering(t *testing.T) {
	base, path := threeRecords(t)
	k, err := state.MACKey(base, false)
	if err != nil {
		t.Fatal(err)
	}
	l := readLines(t, path)
	var last struct {
		MAC string `json:"mac"`
	}
	json.Unmarshal([]byte(l[2]), &last)
	b, _ := json.Marshal(Record{Kind: KindNote, Command: "contain", KeyID: key, Message: "after the last seal"})
	line, _, err := sealLine(k, key, filepath.Base(path), 4, last.MAC, b)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(line)
	f.WriteString(`{"time":"2026-11-28T03:00:09Z","kind":"outc`)
	f.Close()
	recs, warns, err := ReadKey(base, key)
	if err != nil {
		t.Fatalf("crash leftovers read as tampering: %v", err)
	}
	if len(recs) != 4 || len(warns) != 1 || !strings.Contains(warns[0], path+":5: incomplete") {
		t.Errorf("recs=%d warns=%v", len(recs), warns)
	}
}

func TestHead(t *testing.T) {
	base, path := threeRecords(t)
	h1, err := Head(base, key)
	if err != nil || len(h1) != 64 {
		t.Fatalf("Head = %q, %v", h1, err)
	}
	// Recomputable from the files alone: name, newline, the lines.
	b, _ := os.ReadFile(path)
	sum := sha256.Sum256(append([]byte(filepath.Base(path)+"\n"), b...))
	if h1 != hex.EncodeToString(sum[:]) {
		t.Errorf("Head %s is not sha256(name, newline, lines) %x", h1, sum)
	}
	j, _ := Open(base, key, "contain-undo", clock())
	j.Append(Record{Kind: KindNote, Message: "undo"})
	j.Close()
	h2, err := Head(base, key)
	if err != nil || h2 == h1 {
		t.Errorf("Head did not move with a new record: %s -> %s (%v)", h1, h2, err)
	}
	if h, err := Head(t.TempDir(), key); h != "" || err != nil {
		t.Errorf("Head of no journal = %q, %v", h, err)
	}
}

func TestRecordCannotCarryASecret(t *testing.T) {
	const secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY"
	base := t.TempDir()
	j, err := Open(base, key, "rotate", clock())
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	// A secret held as redact.Secret marshals as the placeholder.
	type created struct {
		AccessKeyID     string        `json:"AccessKeyId"`
		AccessKeySecret redact.Secret `json:"AccessKeySecret"`
	}
	after, _ := json.Marshal(created{AccessKeyID: "LTAI5tNEWNEWNEWNEWNEWNEW", AccessKeySecret: redact.Secret(secret)})
	if err := j.Append(Record{Kind: KindOutcome, ActionID: "create", After: after}); err != nil {
		t.Fatalf("redacted record refused: %v", err)
	}
	// A secret as a plain string is refused, wherever it sits.
	for _, raw := range []string{
		`{"AccessKeySecret":"` + secret + `"}`,
		`{"key":{"access_key_secret":"` + secret + `"}}`,
		`[{"SecurityToken":"` + secret + `"}]`,
	} {
		if err := j.Append(Record{Kind: KindIntent, Before: json.RawMessage(raw)}); err == nil || !strings.Contains(err.Error(), "secret") {
			t.Errorf("Append(before=%s) = %v, want refusal", raw, err)
		}
		if err := j.Append(Record{Kind: KindOutcome, After: json.RawMessage(raw)}); err == nil {
			t.Errorf("Append(after=%s) accepted", raw)
		}
	}
	b, _ := os.ReadFile(j.Path())
	if strings.Contains(string(b), secret) {
		t.Fatalf("secret in the journal:\n%s", b)
	}
	if recs, _, err := ReadKey(base, key); err != nil || len(recs) != 1 {
		t.Fatalf("refused appends broke the chain: %d records, %v", len(recs), err)
	}
}

func TestSharedKeyDirRefused(t *testing.T) {
	base, _ := threeRecords(t)
	dir := filepath.Join(base, key)
	os.Chmod(dir, 0o777)
	_, _, err := ReadKey(base, key)
	var de *state.DirError
	if !errors.As(err, &de) || de.ExitCode() != 2 || de.Path != dir {
		t.Fatalf("ReadKey in a world-writable key dir: %v, want *state.DirError for %s", err, dir)
	}
	if _, err := Open(base, key, "contain", clock()); !errors.As(err, &de) {
		t.Fatalf("Open in a world-writable key dir: %v", err)
	}
}
