package audit

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// A finding built event by event (the chain and network back-door rules)
// counts each event once, lists its sources busiest first and cites each
// event as evidence.
func TestFindingBuilderEventCounts(t *testing.T) {
	e := NewEngine(Options{KeyID: testKey, Now: testNow})
	b := newBuilder("PERS-04", Critical)
	at := testNow.Add(-2 * time.Hour).UnixNano()
	for i, ip := range []string{"198.51.100.2", "203.0.113.9", "203.0.113.9", "203.0.113.9", "198.51.100.2", "192.0.2.1"} {
		r := newTestRef(at+int64(i), fmt.Sprintf("ev-%d", i), "", 0)
		r.ip = e.strs.id(ip)
		b.event(e, evSample{evRef: r})
	}
	f := e.toFinding(b)
	if f.Count != 6 {
		t.Errorf("count %d, want 6", f.Count)
	}
	if want := []string{"203.0.113.9", "198.51.100.2", "192.0.2.1"}; !slices.Equal(f.IPs, want) {
		t.Errorf("sources %v, want busiest first %v", f.IPs, want)
	}
	if len(f.Evidence) != 6 {
		t.Errorf("%d events cited, want 6", len(f.Evidence))
	}
	if b.samples.n != 6 {
		t.Errorf("samples offered %d, want 6", b.samples.n)
	}
}

// Past maxSubjectHashes distinct subjects (an attacker naming every event
// differently) the title still counts every one.
func TestSubjectCountBeyondHashCap(t *testing.T) {
	var b findingBuilder
	total := maxSubjectHashes + 10
	for i := range total {
		b.subject(fmt.Sprintf("u-%d", i))
	}
	shown, more := b.titleSubjects()
	if len(shown) != maxSubjects || more != total-maxSubjects {
		t.Errorf("%d shown and %d more, want %d and %d", len(shown), more, maxSubjects, total-maxSubjects)
	}
	if len(b.subjectSet) > maxSubjectHashes {
		t.Errorf("hash set holds %d, more than its cap %d", len(b.subjectSet), maxSubjectHashes)
	}
}
