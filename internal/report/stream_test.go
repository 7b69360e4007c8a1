package report

import (
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/audit"
)

// withChunk lowers CollectChunk for one test.
func withChunk(t testing.TB, n int) {
	old := CollectChunk
	CollectChunk = n
	t.Cleanup(func() { CollectChunk = old })
}

// streamEvents are n events of the key in scrambled arrival order, times
// colliding (several events per second), plus dup copies of earlier events
// (same ID and time) arriving much later, in another run.
func streamEvents(n, dup int) []RawEvent {
	var evs []RawEvent
	for i := range n {
		j := (i * 7919) % n // a permutation of 0..n-1 (7919 is prime, n is not a multiple)
		t := fxLeak.Add(-time.Duration(n-j) * time.Second / 3)
		evs = append(evs, fxEvent(fmt.Sprintf("ev-%06d", j), t, "Ecs", "DescribeInstances", fmt.Sprintf("198.51.100.%d", j%200), "", nil))
	}
	for i := range dup {
		evs = append(evs, evs[i*3])
	}
	return evs
}

// The Collector holds at most CollectChunk events in memory however many
// arrive: beyond it they go to sorted runs in the scratch file, and are
// read back merged, in time order, each once.
func TestCollectorRetainsAtMostChunk(t *testing.T) {
	const chunk, n, dup = 16, 2000, 40
	withChunk(t, chunk)
	evs := streamEvents(n, dup)
	c, err := NewCollector(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	maxHeld := 0
	for i := range evs {
		if err := c.Add(&evs[i].Event, evs[i].Raw); err != nil {
			t.Fatal(err)
		}
		maxHeld = max(maxHeld, c.Retained())
	}
	if maxHeld > chunk {
		t.Fatalf("the collector held %d events in memory, want at most %d (CollectChunk)", maxHeld, chunk)
	}
	if c.Len() != n+dup || c.Runs() < (n+dup)/chunk {
		t.Fatalf("Len %d (want %d), %d runs (want >= %d)", c.Len(), n+dup, c.Runs(), (n+dup)/chunk)
	}
	var got []Event
	if err := c.Each(func(e *Event) bool { got = append(got, *e); return true }); err != nil {
		t.Fatal(err)
	}
	if len(got) != n+dup {
		t.Fatalf("Each yielded %d events, want %d", len(got), n+dup)
	}
	if !slices.IsSortedFunc(got, cmpEventV) {
		t.Fatal("Each must yield the events in time, then ID order")
	}
	// Build and the evidence drop the duplicates (same ID, same time).
	in := Input{Audit: fxAudit(fxEvents()), Collected: c, Now: fxNow, Generator: "akresp test"}
	in.Audit.Window.Since = time.Time{}
	used := UsedEvents(in)
	if len(used) != n {
		t.Fatalf("%d events used, want %d (each duplicate once)", len(used), n)
	}
	ev, err := WriteUsedEvidence(t.TempDir(), in)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Events != n || ev.Raw != n {
		t.Errorf("evidence %d events (%d raw), want %d", ev.Events, ev.Raw, n)
	}
	doc := mustBuild(t, in)
	total := 0
	for _, s := range doc.Chart.Series {
		total += s.Total
	}
	if total != n {
		t.Errorf("chart counts %d calls, want %d", total, n)
	}
}

// The same fixture gives the same report and the same evidence, byte for
// byte, whether its events are in memory (Events) or streamed from a
// spilling Collector over many runs (Collected).
func TestBuildStreamedSameAsInMemory(t *testing.T) {
	withChunk(t, 4)
	mem := fxInput()
	evs := fxEvents()
	c, err := NewCollector(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := len(evs) - 1; i >= 0; i-- { // reverse arrival: the runs must restore the order
		if err := c.Add(&evs[i].Event, evs[i].Raw); err != nil {
			t.Fatal(err)
		}
	}
	if c.Runs() < 5 {
		t.Fatalf("%d runs: the test must merge several", c.Runs())
	}
	streamed := mem
	streamed.Events, streamed.Collected = nil, c
	a, b := mustBuild(t, mem), mustBuild(t, streamed)
	if diff := gocmp.Diff(a, b); diff != "" {
		t.Fatalf("streamed report differs (-memory +streamed):\n%s", diff)
	}
	if a.Chart.Basis != "events" || len(a.Sensitive) == 0 || a.Sensitive[0].Basis != "events" {
		t.Fatalf("the fixture must exercise the event-based parts: %+v", a.Chart)
	}
	ea, err := WriteUsedEvidence(t.TempDir(), mem)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := WriteUsedEvidence(t.TempDir(), streamed)
	if err != nil {
		t.Fatal(err)
	}
	if *ea != *eb || ea.Events != len(evs) {
		t.Fatalf("evidence differs: memory %+v, streamed %+v", ea, eb)
	}
	wa, err := WriteEvidence(t.TempDir(), fxKey, UsedEvents(mem))
	if err != nil {
		t.Fatal(err)
	}
	if wa.SHA256 != ea.SHA256 {
		t.Errorf("WriteEvidence(UsedEvents) %s, WriteUsedEvidence %s: the same events must hash the same", wa.SHA256, ea.SHA256)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteUsedEvidence(t.TempDir(), streamed); err == nil {
		t.Error("a closed collector must fail the evidence, not write it empty")
	}
}

// The per-category lists stop at their bounds, the counts do not; the API
// digest that feeds the resource and destruction counts stays bounded
// whatever the distinct calls.
func TestScanAggregatesBounded(t *testing.T) {
	var evs []Event
	for i := range maxCategoryIPs + 500 {
		evs = append(evs, Event{Time: fxLeak.Add(time.Duration(i) * time.Second), ID: fmt.Sprintf("e%d", i), Service: "Ram",
			Name: "ListUsers", RW: "Read", Region: "cn-hangzhou", SourceIP: fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255), AccessKeyID: fxKey})
	}
	for i := range 2*maxAPIUses + 300 {
		evs = append(evs, Event{Time: fxLeak.Add(time.Duration(i) * time.Second), ID: fmt.Sprintf("x%d", i), Service: "Ecs",
			Name: fmt.Sprintf("CreateThing%d", i), RW: "Write", Region: "cn-hangzhou", SourceIP: fxAttacker, AccessKeyID: fxKey})
	}
	in := fxInput()
	in.Events = evs
	in.Audit.Window.Since, in.Audit.Window.Until = time.Time{}, time.Time{}
	b := &builder{in: in, r: in.Audit, keyID: fxKey}
	if err := b.scan(); err != nil {
		t.Fatal(err)
	}
	if b.nEvents != len(evs) {
		t.Fatalf("scan counted %d events, want %d", b.nEvents, len(evs))
	}
	// 1 ListUsers entry + 2*maxAPIUses+300 distinct writes: all but the
	// 2*maxAPIUses-1 that fit are dropped.
	if len(b.apiUses) != 2*maxAPIUses || b.apiUsesDropped != 301 {
		t.Errorf("API digest: %d entries (bound %d), %d dropped (want 301)", len(b.apiUses), 2*maxAPIUses, b.apiUsesDropped)
	}
	enum := b.sens[audit.CategoryEnum]
	if enum == nil || enum.sc.Count != maxCategoryIPs+500 || len(enum.ips) != maxCategoryIPs || !enum.sc.IPsTruncated {
		t.Fatalf("enumeration category: %+v", enum)
	}
	doc := mustBuild(t, in)
	if !slices.ContainsFunc(doc.Diagnostics, func(d Diagnostic) bool { return strings.Contains(d.Summary, "301 calls") }) {
		t.Errorf("the dropped calls must be named in a diagnostic: %+v", doc.Diagnostics)
	}
	for _, s := range doc.Sensitive {
		if s.Category == string(audit.CategoryEnum) && (len(s.IPs) != maxCategoryIPs || !s.IPsTruncated || s.Count != maxCategoryIPs+500) {
			t.Errorf("enum: %d IPs listed, truncated %v, count %d", len(s.IPs), s.IPsTruncated, s.Count)
		}
	}
}

// BenchmarkReportRetained feeds a report's Collector and Build with N
// events and reports the heap still in use per event after the evidence is
// written (retained-B/event, and the total retained-MB): flat in MB (a few
// MB: one chunk of CollectChunk events and the buffers) when the report
// streams; ~250 B/event and more when something keeps an Event (or more)
// per event again.
//
//	go test ./internal/report/ -run '^$' -bench ReportRetained -benchtime 1x
func BenchmarkReportRetained(b *testing.B) {
	for _, n := range []int{20_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			evs := streamEvents(n, 0)
			for b.Loop() {
				c, err := NewCollector(b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				for i := range evs {
					if err := c.Add(&evs[i].Event, evs[i].Raw); err != nil {
						b.Fatal(err)
					}
				}
				in := Input{Audit: fxAudit(fxEvents()), Collected: c, Now: fxNow}
				in.Audit.Window.Since = time.Time{}
				doc, err := Build(in)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := WriteUsedEvidence(b.TempDir(), in); err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				retained := int64(after.HeapInuse) - int64(before.HeapInuse)
				// The fixed part (the chunk's backing array, buffers, about 2.5 MB)
				// divides out as N grows; a per-event leak does not.
				b.ReportMetric(float64(max(retained, 0))/float64(n), "retained-B/event")
				b.ReportMetric(float64(max(retained, 0))/(1<<20), "retained-MB")
				runtime.KeepAlive(doc)
				runtime.KeepAlive(c)
				if !strings.HasPrefix(doc.Chart.Basis, "events") {
					b.Fatal("no events charted")
				}
				_ = c.Close()
			}
		})
	}
}
