package audit

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSubjectsIndependentOfFileOrder: a finding that names more subjects
// than its title holds (CTX-04 over 12 sources, ENUM-02 swept from 12)
// names the same ones and counts the same "and N more" whichever order
// the trail files are read in.
func TestSubjectsIndependentOfFileOrder(t *testing.T) {
	evSeq = 0
	base := officeWeek(leakStart.Add(-2 * time.Hour))
	var odd, even []*Event
	regions := []string{"cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "ap-southeast-1", "us-west-1"}
	for i := range 12 {
		ip := fmt.Sprintf("203.0.113.%d", 100-i) // arrival order is not text order
		at := leakStart.Add(time.Duration(i) * 10 * time.Second)
		var evs []*Event
		for j, r := range regions {
			evs = append(evs, tev(at.Add(time.Duration(j)*time.Second), ip, "Ecs", "DescribeInstances", withRegion(r), withUA(attackerUA)))
		}
		if i%2 == 0 {
			even = append(even, evs...)
		} else {
			odd = append(odd, evs...)
		}
	}
	dir := t.TempDir()
	files := map[string][]*Event{"base.jsonl": base, "odd.jsonl": odd, "even.jsonl": even}
	for name, evs := range files {
		writeTrail(t, filepath.Join(dir, name), evs)
	}
	titles := func(order ...string) []string {
		var paths []string
		for _, n := range order {
			paths = append(paths, filepath.Join(dir, n))
		}
		r, err := Investigate(context.Background(), nil, InvestigateOptions{
			Engine: Options{KeyID: testKey, Now: testNow, TZ: shanghai}, Trails: paths, ReadWorkers: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range r.Findings {
			out = append(out, fmt.Sprintf("%s %d %s", f.ID, f.Count, f.Title))
		}
		slices.Sort(out)
		return out
	}
	a := titles("base.jsonl", "odd.jsonl", "even.jsonl")
	b := titles("even.jsonl", "odd.jsonl", "base.jsonl")
	if !slices.Equal(a, b) {
		t.Errorf("findings depend on the file order:\n  %s\nvs\n  %s", strings.Join(a, "\n  "), strings.Join(b, "\n  "))
	}
	var many int
	for _, s := range a {
		if (strings.HasPrefix(s, "CTX-04") || strings.HasPrefix(s, "ENUM-02")) && strings.Contains(s, "and 4 more") {
			many++
			if !strings.Contains(s, ": 203.0.113.100, 203.0.113.89, 203.0.113.90") {
				t.Errorf("%q does not name the smallest sources first", s)
			}
		}
	}
	if many != 2 {
		t.Errorf("want CTX-04 and ENUM-02 each naming 8 of 12 sources and 4 more; findings:\n  %s", strings.Join(a, "\n  "))
	}
}

// Past the subjects a finding keeps by name, each distinct subject is
// still counted once: a source offered a thousand times is one.
func TestSubjectCountDistinctBeyondCap(t *testing.T) {
	var b findingBuilder
	for round := range 3 {
		for i := range maxBuilderSubjects + 1000 {
			b.subject(fmt.Sprintf("198.51.%d.%d", i/256, i%256))
		}
		shown, more := b.titleSubjects()
		if len(shown) != maxSubjects || more != maxBuilderSubjects+1000-maxSubjects {
			t.Fatalf("round %d: %d shown and %d more, want %d and %d", round, len(shown), more, maxSubjects, maxBuilderSubjects+1000-maxSubjects)
		}
	}
	var a matchAcc
	for range 3 {
		for i := range maxSubjects + 20 {
			a.addSubject(fmt.Sprintf("i-%d", i))
		}
	}
	var c findingBuilder
	for _, s := range a.subjects {
		c.subject(s)
	}
	for _, h := range a.moreHashes {
		c.subjectHash(h)
	}
	c.moreSubj += a.moreSubj
	if _, more := c.titleSubjects(); more != 20 {
		t.Errorf("accumulator: %d more, want 20 (each distinct subject once)", more)
	}
}
