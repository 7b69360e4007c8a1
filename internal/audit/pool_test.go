package audit

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
)

// TestReadManySmallFilesReusesState reads an OSS-delivery-like directory
// (hundreds of small gzip files, with a truncated one, a plain JSON lines
// file and an empty file among them) with the per-worker state reused from
// file to file and, under ReuseEvents, the Event storage reused from batch
// to batch. What is delivered must be exactly what reading each file on its
// own (fresh state) delivers: same events field by field, same problems,
// same counts.
func TestReadManySmallFilesReusesState(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(3, 4))
	var paths []string
	for f := range 300 {
		var elems []string
		for i := range 1 + r.IntN(40) {
			n := f*100 + i
			key := sampleOther
			if r.IntN(4) == 0 {
				key = sampleKey
			}
			at := t0.Add(time.Duration(n) * time.Second)
			ev := mkEvent(n, key, at)
			switch r.IntN(5) {
			case 0: // no request parameters: Params must come back nil
				ev = strings.Replace(ev, fmt.Sprintf(`,"requestParameters":{"PageSize":"%d"}`, n), "", 1)
			case 1: // more parameters than the previous event had
				ev = strings.Replace(ev, `"requestParameters":{`, fmt.Sprintf(`"requestParameters":{"InstanceId":"i-%d","RegionId":"cn-hangzhou",`, n), 1)
			case 2: // a write with a response
				ev = strings.Replace(ev, `"eventRW":"Read"`, `"eventRW":"Write","responseElements":{"RequestId":"R"}`, 1)
			}
			elems = append(elems, ev)
		}
		body := "[" + strings.Join(elems, ",") + "]"
		name := fmt.Sprintf("1968132000123456_Actiontrail_cn-hangzhou_%04d.json.gz", f)
		data := gz(t, body)
		switch f {
		case 17:
			data = data[:len(data)/2] // truncated gzip
		case 42:
			name, data = fmt.Sprintf("plain-%04d.jsonl", f), []byte(strings.Join(elems, "\n")+"\n")
		case 99:
			data = nil
		}
		paths = append(paths, writeFile(t, dir, name, data))
	}

	slices.Sort(paths) // the order ReadTrails reads a directory in

	type copied struct {
		ev     Event
		params map[string]string
	}
	read := func(paths []string, opts ReadOptions) ([]copied, Stats, []Problem) {
		var out []copied
		st, probs, err := ReadTrails(context.Background(), paths, opts, func(e *Event) error {
			out = append(out, copied{ev: *e, params: maps.Clone(e.Params)})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(out, func(a, b copied) int {
			return cmp.Or(strings.Compare(a.ev.Source.File, b.ev.Source.File), cmp.Compare(a.ev.Source.Pos, b.ev.Source.Pos))
		})
		for i := range out {
			out[i].ev.Params = nil // compared through the copy taken at delivery
		}
		return out, st, probs
	}
	opt := gocmp.AllowUnexported(copied{})
	for _, key := range []string{"", sampleKey} {
		var want []copied
		var wantStats Stats
		var wantProbs []Problem
		for _, p := range paths {
			evs, st, probs := read([]string{p}, ReadOptions{KeyID: key, Workers: 1})
			want = append(want, evs...)
			wantStats.add(st)
			wantProbs = append(wantProbs, probs...)
		}
		if len(want) < 1000 || len(wantProbs) == 0 {
			t.Fatalf("key %q: the reference read %d events and %d problems; the test input is wrong", key, len(want), len(wantProbs))
		}
		for _, reuse := range []bool{false, true} {
			got, st, probs := read([]string{dir}, ReadOptions{KeyID: key, Workers: 2, ReuseEvents: reuse})
			if d := gocmp.Diff(want, got, opt); d != "" {
				t.Errorf("key %q, ReuseEvents %v: events differ from reading each file alone (-want +got):\n%s", key, reuse, d)
			}
			if st != wantStats {
				t.Errorf("key %q, ReuseEvents %v: stats %+v, want %+v", key, reuse, st, wantStats)
			}
			if d := gocmp.Diff(wantProbs, probs); d != "" {
				t.Errorf("key %q, ReuseEvents %v: problems differ (-want +got):\n%s", key, reuse, d)
			}
		}
	}
	// The problem of the truncated file names it, whatever the state the
	// worker reused from the files before it.
	_, _, probs := read([]string{dir}, ReadOptions{Workers: 1, ReuseEvents: true})
	if len(probs) != 1 || filepath.Base(probs[0].File) != "1968132000123456_Actiontrail_cn-hangzhou_0017.json.gz" || !strings.Contains(probs[0].Msg, "truncated gzip") {
		t.Errorf("problems = %v, want one truncated-gzip problem for file 0017", probs)
	}
}

// TestSampleSetKeepsEarliestAndLatest checks sampleSet against its
// definition: after any sequence of offers (and merges) it holds the k
// earliest and the k latest samples, without duplicates, and counts every
// offer.
func TestSampleSetKeepsEarliestAndLatest(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for round := range 2000 {
		k := 1 + r.IntN(4)
		n := r.IntN(30)
		pool := make([]evSample, 1+r.IntN(40))
		for i := range pool {
			pool[i] = evSample{evRef: newTestRef(int64(r.IntN(20)), fmt.Sprintf("e%02d", i), "", int64(i)), detail: "d"}
		}
		// The definition, on the multiset of offers (a repeated sample
		// takes a place each time): s keeps the k earliest and the k
		// latest of its offers, and merging o offers s o's k earliest and
		// k latest (a sample in both, twice).
		kept := func(xs []evSample) []evSample {
			xs = slices.Clone(xs)
			slices.SortFunc(xs, cmpSample)
			if len(xs) > 2*k {
				xs = append(xs[:k:k], xs[len(xs)-k:]...)
			}
			return xs
		}
		var s, o sampleSet
		var offS, offO []evSample
		xs := make([]evSample, n)
		for i := range xs {
			xs[i] = pool[r.IntN(len(pool))] // repeats offer the same sample again
		}
		if round%2 == 1 {
			// Mostly in time order, as a key's events arrive (add's
			// path for a sample after every kept one).
			slices.SortFunc(xs, cmpSample)
			if n > 1 && r.IntN(2) == 0 {
				i, j := r.IntN(n), r.IntN(n)
				xs[i], xs[j] = xs[j], xs[i]
			}
		}
		for _, x := range xs {
			if r.IntN(3) == 0 {
				o.offer(k, x)
				offO = append(offO, x)
			} else {
				s.offer(k, x)
				offS = append(offS, x)
			}
		}
		s.merge(k, &o)
		sortedO := slices.Clone(offO)
		slices.SortFunc(sortedO, cmpSample)
		offS = append(offS, sortedO[:min(k, len(sortedO))]...)
		offS = append(offS, sortedO[max(0, len(sortedO)-k):]...)
		want := slices.Compact(kept(offS))
		if got := s.all(); !slices.EqualFunc(got, want, func(a, b evSample) bool { return cmpSample(a, b) == 0 }) {
			t.Fatalf("round %d, k=%d: kept %v, want %v", round, k, refs(got), refs(want))
		}
		if s.n != n {
			t.Fatalf("round %d: n = %d, want %d", round, s.n, n)
		}
	}
}

func refs(xs []evSample) []string {
	var out []string
	for _, x := range xs {
		out = append(out, fmt.Sprintf("%d/%s", x.t, x.id))
	}
	return out
}

// TestGzipInflatedWholeReadsAsStreamed: small gzip files are inflated whole
// into one buffer (internal/inflate), larger ones held in memory stream
// through the fast decoder (fastGzip), everything else through the gzip
// reader; what a read delivers and reports must not depend on the way.
// The inputs are those the fast paths take and every kind they leave to
// the gzip reader: several members, trailing bytes, a bad checksum or
// size, truncation, a corrupt block, in files of one window and of many.
func TestGzipInflatedWholeReadsAsStreamed(t *testing.T) {
	for _, n := range []int{60, 4000} {
		testGzipWays(t, n)
	}
}

func testGzipWays(t *testing.T, events int) {
	var elems []string
	for i := range events {
		key := sampleOther
		if i%3 == 0 {
			key = sampleKey
		}
		elems = append(elems, mkEvent(i, key, t0.Add(time.Duration(i)*time.Minute)))
	}
	body := "[" + strings.Join(elems, ",") + "]"
	one := gz(t, body)
	flip := func(at int) []byte {
		b := slices.Clone(one)
		b[at] ^= 0x10
		return b
	}
	inputs := map[string][]byte{
		"one member":       one,
		"two members":      gz(t, "["+strings.Join(elems[:30], ",")+"]", "["+strings.Join(elems[30:], ",")+"]"),
		"trailing bytes":   append(slices.Clone(one), "\n\n"...),
		"trailing garbage": append(slices.Clone(one), "garbage"...),
		"bad checksum":     flip(len(one) - 6),
		"bad size":         flip(len(one) - 2),
		"truncated":        one[:len(one)-20],
		"corrupt block":    flip(len(one) / 2),
		"empty array":      gz(t, "[]"),
	}
	dir := t.TempDir()
	for name, data := range inputs {
		path := writeFile(t, dir, strings.ReplaceAll(name, " ", "-")+".json.gz", data)
		read := func() collected {
			return readAll(t, ReadTrails, []string{path}, ReadOptions{KeyID: sampleKey})
		}
		whole := read()
		inflateWholeMax = -1
		fast := read()
		fastGzipOn = false
		streamed := read()
		inflateWholeMax, fastGzipOn = wholeMax, true
		if d := gocmp.Diff(streamed, whole, gocmp.AllowUnexported(collected{})); d != "" {
			t.Errorf("%d events, %s: inflated whole, the read differs from the gzip reader's (-gzip +whole):\n%s", events, name, d)
		}
		if d := gocmp.Diff(streamed, fast, gocmp.AllowUnexported(collected{})); d != "" {
			t.Errorf("%d events, %s: through fastGzip, the read differs from the gzip reader's (-gzip +fast):\n%s", events, name, d)
		}
		// The whole path is taken exactly for the valid single members.
		var ws workerState
		f := strings.NewReader(string(data))
		s, _ := ws.newSource(f, int64(len(data)), DefaultMaxLineBytes)
		if want := name == "one member" || name == "empty array"; s.eof != want {
			t.Errorf("%d events, %s: inflated whole = %v, want %v", events, name, s.eof, want)
		}
	}
}
