package journal

import (
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

const key = "LTAI5tAAAAAAAAAAAAAAAAAA"

func clock() func() time.Time {
	t := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

func TestAppendReadPending(t *testing.T) {
	base := t.TempDir()
	now := clock()
	j, err := Open(base, key, "contain", now)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("journal mode %v", fi.Mode().Perm())
	}
	must := func(r Record) {
		t.Helper()
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	must(Record{Kind: KindIntent, ActionID: "a1", Action: "set-network-acl", Before: json.RawMessage(`{"status":"none"}`)})
	must(Record{Kind: KindOutcome, ActionID: "a1", Result: ResultOK, RequestID: "REQ-1"})
	must(Record{Kind: KindIntent, ActionID: "a2", Action: "attach-deny-policy"})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(Record{Kind: KindNote}); err == nil {
		t.Error("append after close succeeded")
	}

	recs, warns, err := ReadKey(base, key)
	if err != nil || len(warns) != 0 {
		t.Fatalf("ReadKey: %v %v", err, warns)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	for _, r := range recs {
		if r.Command != "contain" || r.KeyID != key || r.RunID != j.RunID() || r.Time.IsZero() {
			t.Errorf("defaults not filled: %+v", r)
		}
	}
	p := Pending(recs)
	if len(p) != 1 || p[0].ActionID != "a2" {
		t.Errorf("Pending = %+v", p)
	}
}

func TestTornLastLineTolerated(t *testing.T) {
	base := t.TempDir()
	j, err := Open(base, key, "rotate", clock())
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(Record{Kind: KindIntent, ActionID: "x"}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	f, _ := os.OpenFile(j.Path(), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"kind":"outc`)
	f.Close()
	recs, warns, err := ReadKey(base, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || len(warns) != 1 || !strings.Contains(warns[0], "incomplete") {
		t.Errorf("recs=%d warns=%v", len(recs), warns)
	}
}

func TestCorruptMiddleLineIsAnError(t *testing.T) {
	base, path := threeRecords(t)
	lines := readLines(t, path)
	lines[1] = "not json"
	writeLines(t, path, lines)
	_, _, err := ReadKey(base, key)
	if err == nil || !strings.Contains(err.Error(), path+":2:") {
		t.Errorf("err = %v, want file:line", err)
	}
}

func TestConcurrentAppendsStayWholeLines(t *testing.T) {
	base := t.TempDir()
	j, err := Open(base, key, "contain", clock())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_ = j.Append(Record{Kind: KindNote, Message: strings.Repeat("x", 500)})
		}(i)
	}
	wg.Wait()
	j.Close()
	recs, _, err := ReadKey(base, key)
	if err != nil || len(recs) != 20 {
		t.Fatalf("recs=%d err=%v", len(recs), err)
	}
}

func TestNoKeyDirMeansNoJournals(t *testing.T) {
	recs, _, err := ReadKey(t.TempDir(), key)
	if err != nil || len(recs) != 0 {
		t.Fatalf("%v %v", recs, err)
	}
	if _, err := Files(t.TempDir(), "../x"); err == nil {
		t.Error("path traversal accepted")
	}
}

func TestSameInstantRunsGetDistinctFiles(t *testing.T) {
	base := t.TempDir()
	fixed := func() time.Time { return time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC) }
	a, err := Open(base, key, "contain", fixed)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(base, key, "contain", fixed)
	if err != nil {
		t.Fatal(err)
	}
	if a.Path() == b.Path() || a.RunID() == b.RunID() {
		t.Fatalf("same file for two runs: %s", a.Path())
	}
	a.Close()
	b.Close()
	files, _ := Files(base, key)
	if len(files) != 2 {
		t.Fatalf("files = %v", files)
	}
}
