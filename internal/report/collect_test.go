package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"
)

// The report keeps events slim: no parameter or response map, no parsed
// event. A field added here multiplies by the events of a busy key.
func TestEventStaysSlim(t *testing.T) {
	if n := unsafe.Sizeof(Event{}); n > 256 {
		t.Fatalf("report.Event is %d bytes; keep it <= 256 (it is held once per event)", n)
	}
}

// A spilled collector writes the same evidence, byte for byte, as one that
// keeps the bodies in memory, and leaves no scratch file behind.
func TestCollectorSpillSameEvidence(t *testing.T) {
	evs := fxEvents()
	evs[0].Raw, evs[22].Raw = nil, nil // two normalised (atk-03 with its parameters)
	evs[1].Raw = json.RawMessage(`{"eventId":"atk-x","AccessKeySecret":"TOPSECRETVALUE"}`)
	mem, err := KeepEvents(evs)
	if err != nil {
		t.Fatal(err)
	}
	spillDir := filepath.Join(t.TempDir(), "out")
	c, err := NewCollector(spillDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(spillDir); !os.IsNotExist(err) {
		t.Fatalf("the spill directory must not exist before the first event: %v", err)
	}
	for i := range evs {
		if err := c.Add(&evs[i].Event, evs[i].Raw); err != nil {
			t.Fatal(err)
		}
	}
	evs[22].Event.Params["UserName"] = "changed-after-add" // Add keeps nothing by reference
	spilled := c.Events()
	if len(spilled) != len(mem) || c.Len() != len(evs) {
		t.Fatalf("%d spilled, %d in memory, want %d", len(spilled), len(mem), len(evs))
	}
	a, ra, na, err := EncodeEvidence(mem)
	if err != nil {
		t.Fatal(err)
	}
	b, rb, nb, err := EncodeEvidence(spilled)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) || ra != rb || na != nb || na != 2 {
		t.Fatalf("spilled evidence differs from in-memory (%d/%d raw, %d/%d normalised)", ra, rb, na, nb)
	}
	if bytes.Contains(b, []byte("TOPSECRETVALUE")) || bytes.Contains(b, []byte("changed-after-add")) {
		t.Fatal("the evidence must be scrubbed and encoded when the event is added")
	}
	ents, _ := os.ReadDir(spillDir)
	for _, e := range ents {
		if strings.Contains(e.Name(), "spill") && os.PathSeparator == '/' {
			t.Errorf("scratch file %s is visible (it is unlinked at once on POSIX)", e.Name())
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := EncodeEvidence(spilled); err == nil {
		t.Error("after Close the spilled bodies are gone: encoding must fail, not write empty records")
	}
	ents, _ = os.ReadDir(spillDir)
	if len(ents) != 0 {
		t.Errorf("Close left %d file(s) in %s", len(ents), spillDir)
	}
}

func TestCollectorKeepsFirstError(t *testing.T) {
	c, _ := NewCollector("")
	bad := fxEvent("bad-1", fxLeak, "Ram", "GetUser", fxAttacker, "", nil)
	bad.Raw = json.RawMessage(`{"broken":`)
	if err := c.Add(&bad.Event, bad.Raw); err == nil || !strings.Contains(err.Error(), "bad-1") {
		t.Fatalf("invalid raw JSON: %v", err)
	}
	good := fxEvent("good", fxLeak, "Ram", "GetUser", fxAttacker, "", nil)
	_ = c.Add(&good.Event, good.Raw)
	if err := c.Err(); err == nil || !strings.Contains(err.Error(), "bad-1") {
		t.Errorf("Err = %v, want the first error", err)
	}
}
