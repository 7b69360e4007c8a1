package audit

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSlabHandsOutDistinctZeroedValues(t *testing.T) {
	var s slab[ipHour]
	seen := map[*ipHour]bool{}
	for i := range 3*slabChunk + 1 {
		p := s.alloc()
		if seen[p] {
			t.Fatalf("alloc %d returned a pointer handed out before", i)
		}
		seen[p] = true
		if *p != (ipHour{}) {
			t.Fatalf("alloc %d is not zeroed: %+v", i, *p)
		}
		p.n = int32(i + 1) // later values must not see it
	}
}

// A reused Event slot (ReadOptions.ReuseEvents) keeps its Resources
// storage: the next event parsed into it must show its own resources only.
func TestParserReusesEventStorage(t *testing.T) {
	p := newEventParser()
	var ev Event
	parse := func(raw string) {
		t.Helper()
		if err := p.parse(&ev, []byte(raw), Origin{Kind: "file", File: "t.json"}); err != nil {
			t.Fatalf("parse %s: %v", raw, err)
		}
	}
	const head = `{"eventId":"e1","eventTime":"2026-01-02T03:04:05Z","eventName":"RunInstances","serviceName":"Ecs","sourceIpAddress":"203.0.113.7","userIdentity":{"accessKeyId":"LTAI5tREUSEDslotKEY00001"}`
	parse(head + `,"referencedResources":{"ACS::ECS::Instance":["i-a","i-b"]}}`)
	if len(ev.Resources) != 2 {
		t.Fatalf("first event: resources %v, want i-a and i-b", ev.Resources)
	}
	parse(head + `}`)
	if len(ev.Resources) != 0 {
		t.Fatalf("second event has no resources, got %v (left from the first)", ev.Resources)
	}
	parse(head + `,"referencedResources":{"ACS::ECS::Instance":["i-c"]}}`)
	if len(ev.Resources) != 1 || ev.Resources[0].Name != "i-c" {
		t.Fatalf("third event: resources %v, want only i-c", ev.Resources)
	}
	if !ev.Time.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) || ev.Name != "RunInstances" {
		t.Fatalf("reused slot parsed as %+v", ev)
	}
}

// A minute cell keeps its first two read APIs and regions inline and the
// rest behind one pointer: each distinct id once, the first ones first.
func TestMinuteCellSets(t *testing.T) {
	var c minuteCell
	for _, id := range []uint32{7, 0, 7, 3, 0, 9, 3, 12} {
		c.addRead(id)
	}
	var got []uint32
	c.eachRead(func(id uint32) { got = append(got, id) })
	if want := []uint32{7, 0, 3, 9, 12}; !slices.Equal(got, want) {
		t.Errorf("reads %v, want %v", got, want)
	}
	got = nil
	c.eachRegion(func(id uint32) { got = append(got, id) })
	c.eachAuthAPI(func(id uint32) { got = append(got, id) })
	if len(got) != 0 {
		t.Errorf("regions and refused APIs %v, want none", got)
	}
	var d minuteCell
	d.addRegion(4)
	d.addRegion(4)
	if d.more != nil {
		t.Error("one region allocated the overflow")
	}
	d.addAuthAPI(2)
	d.addAuthAPI(2)
	got = nil
	d.eachAuthAPI(func(id uint32) { got = append(got, id) })
	if !slices.Equal(got, []uint32{2}) {
		t.Errorf("refused APIs %v, want [2]", got)
	}
}

// release drops the rules' records only once Result has run, keeps what
// the follow passes read (sources, created identities) and leaves no
// source pointing into the dropped (source, hour) slab.
func TestReleaseAfterResult(t *testing.T) {
	leak := testNow.Add(-24 * time.Hour)
	e := NewEngine(func() Options { o := baseOptions(); o.LeakTime = leak; return o }())
	for _, ev := range append(officeWeek(leak), attackEvents(leak.Add(time.Hour))...) {
		e.Add(ev)
	}
	e.release()
	if e.ipHours == nil || e.matches == nil {
		t.Fatal("release before Result dropped the records the rules need")
	}
	r := e.Result()
	e.release()
	if e.ipHours != nil || e.ipAPIs != nil || e.ipRegions != nil || e.matches != nil || e.resources != nil || e.hours != nil || e.rt.groups != nil {
		t.Error("release kept the rules' records")
	}
	for _, ip := range e.ipList {
		if ip.lastIH != nil || len(ip.kept.refs) > 0 {
			t.Errorf("source %s still holds a (source, hour) record or kept evidence", ip.text)
		}
	}
	if len(e.ipList) == 0 || len(e.created) == 0 {
		t.Error("release dropped the sources or the created identities the follow passes read")
	}
	if e.Result() != r {
		t.Error("Result after release is not the result made before")
	}
}

// A slab lists what it handed out, in order, across chunks (the last one
// partly handed out).
func TestSlabAll(t *testing.T) {
	var s slab[int]
	if n := len(s.used()); n != 0 {
		t.Fatalf("an empty slab has %d chunks", n)
	}
	var want []*int
	for i := range 2*slabChunk + 3 {
		p := s.alloc()
		*p = i
		want = append(want, p)
	}
	var got []*int
	for _, c := range s.used() {
		for i := range c {
			got = append(got, &c[i])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d values yielded, %d handed out", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] || *got[i] != i {
			t.Fatalf("value %d: %p (%d), want %p", i, got[i], *got[i], want[i])
		}
	}
	if c := s.used(); len(c) != 3 || len(c[2]) != 3 || len(s.chunks[2]) != slabChunk {
		t.Errorf("the last chunk: %d of %d handed out, want 3", len(c[len(c)-1]), slabChunk)
	}
}

// The resources listed are the maxResourcesOut most used, ties broken by
// type and name, as a sort of all of them would list them: also when many
// tie at the last listed count.
func TestResourceSummariesTopTies(t *testing.T) {
	e := NewEngine(Options{KeyID: testKey, Now: testNow})
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3 * maxResourcesOut {
		n := 1 + rng.IntN(3) // most of them tie
		if i%97 == 0 {
			n = 10 + i
		}
		e.resources[Resource{Type: []string{"ACS::ECS::Instance", "ACS::RAM::User"}[i%2], Name: fmt.Sprintf("r-%05d", rng.IntN(100000))}] = &resourceAgg{n: n, first: int64(i), last: int64(i)}
	}
	type kv struct {
		r Resource
		n int
	}
	var want []kv
	for r, a := range e.resources {
		want = append(want, kv{r, a.n})
	}
	slices.SortFunc(want, func(x, y kv) int {
		return cmp.Or(cmp.Compare(y.n, x.n), strings.Compare(x.r.Type, y.r.Type), strings.Compare(x.r.Name, y.r.Name))
	})
	got := e.resourceSummaries()
	if len(got) != maxResourcesOut {
		t.Fatalf("%d resources listed, want %d", len(got), maxResourcesOut)
	}
	for i, g := range got {
		if w := want[i]; g.Type != w.r.Type || g.Name != w.r.Name || g.Count != w.n {
			t.Fatalf("resource %d: %s %s (%d), want %s %s (%d)", i, g.Type, g.Name, g.Count, w.r.Type, w.r.Name, w.n)
		}
	}
}
