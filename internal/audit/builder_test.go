package audit

import (
	"fmt"
	"math/rand/v2"
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

// A rule citing thousands of events (CTX-03 cites every kept event of
// each new source) lists the same evidence as if every citation were
// kept: the first evidenceCap in the evidence order (flagged sources
// first, then time), whatever order they were cited in and however often
// one repeats.
func TestCiteManyKeepsTheFirst(t *testing.T) {
	e := NewEngine(Options{KeyID: testKey, Now: testNow})
	flagged := e.sourceIP("203.0.113.66")
	flagged.flagged = true
	at := testNow.Add(-48 * time.Hour).UnixNano()
	for _, order := range []string{"time", "reversed", "shuffled"} {
		t.Run(order, func(t *testing.T) {
			var cites []evSample
			for i := range 6 * citedKeep {
				r := newTestRef(at+int64(i)*int64(time.Second), fmt.Sprintf("ev-%05d", i), "", 0)
				r.ip = e.strs.id("198.51.100.2")
				if i%7 == 0 {
					r.ip = flagged.sid
				}
				cites = append(cites, evSample{evRef: r})
				if i%5 == 0 {
					cites = append(cites, evSample{evRef: r}) // cited twice
				}
			}
			switch order {
			case "reversed":
				slices.Reverse(cites)
			case "shuffled":
				rng := rand.New(rand.NewPCG(3, 4))
				rng.Shuffle(len(cites), func(i, j int) { cites[i], cites[j] = cites[j], cites[i] })
			}
			b := newBuilder("CTX-03", Medium)
			b.n = 1
			for _, x := range cites {
				b.cite(e, x)
			}
			var want []string
			for _, x := range cites {
				if x.ip == flagged.sid && !slices.Contains(want, x.eventID()) {
					want = append(want, x.eventID())
				}
			}
			slices.Sort(want)
			var rest []string
			for _, x := range cites {
				if x.ip != flagged.sid && !slices.Contains(rest, x.eventID()) {
					rest = append(rest, x.eventID())
				}
			}
			slices.Sort(rest)
			want = append(want, rest...)[:evidenceCap]
			var got []string
			for _, ev := range e.toFinding(b).Evidence {
				got = append(got, ev.EventID)
			}
			if !slices.Equal(got, want) {
				t.Errorf("evidence %d events %v...; want %v...", len(got), got[:min(5, len(got))], want[:5])
			}
		})
	}
}
