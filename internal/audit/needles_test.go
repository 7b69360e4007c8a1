package audit

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestNeedleSetMatchesContains checks the one-pass matcher of
// ReadOptions.MatchAny against its definition (some non-empty needle is a
// substring), on random records built from the needles' own pieces so that
// near misses, overlaps, needles at both ends and short needles all occur.
func TestNeedleSetMatchesContains(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	alphabet := "LTAI5tab_-\"{}:,"
	word := func(n int) string {
		var sb strings.Builder
		for range n {
			sb.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		return sb.String()
	}
	for round := range 3000 {
		var needles []string
		for range r.IntN(6) {
			switch r.IntN(5) {
			case 0:
				needles = append(needles, "")
			case 1:
				needles = append(needles, word(1+r.IntN(3))) // short
			default:
				needles = append(needles, word(4+r.IntN(10)))
			}
		}
		if r.IntN(4) == 0 && len(needles) > 0 {
			needles = append(needles, needles[0]) // duplicate
		}
		m := newNeedleSet(needles)
		for range 20 {
			var sb strings.Builder
			for range r.IntN(8) {
				if len(needles) > 0 && r.IntN(3) == 0 {
					n := needles[r.IntN(len(needles))]
					if len(n) > 1 && r.IntN(2) == 0 {
						n = n[:len(n)-1] // a near miss
					}
					sb.WriteString(n)
				} else {
					sb.WriteString(word(r.IntN(12)))
				}
			}
			b := []byte(sb.String())
			want := false
			for _, n := range needles {
				if n != "" && bytes.Contains(b, []byte(n)) {
					want = true
				}
			}
			if got := m.any(b); got != want {
				t.Fatalf("round %d: needles %q in %q: any = %v, want %v", round, needles, b, got, want)
			}
		}
	}
}

// TestReadMatchAnyOnePass reads the same files with MatchAny through the
// readers and checks that exactly the events whose bytes hold a needle are
// parsed: the others count as filtered.
func TestReadMatchAnyOnePass(t *testing.T) {
	dir := t.TempDir()
	var elems []string
	for i := range 400 {
		key := sampleOther
		if i%7 == 0 {
			key = sampleKey
		}
		elems = append(elems, mkEvent(i, key, t0.Add(time.Duration(i)*time.Second)))
	}
	writeFile(t, dir, "1968132000123456_Actiontrail_cn-hangzhou_0001.json.gz", gz(t, "["+strings.Join(elems, ",")+"]"))
	needles := []string{"no-such-identity", sampleKey, "ab"}
	var got int
	st, probs, err := ReadTrails(t.Context(), []string{dir}, ReadOptions{MatchAny: needles, ReuseEvents: true, Workers: 2}, func(ev *Event) error {
		got++
		return nil
	})
	if err != nil || len(probs) > 0 {
		t.Fatalf("err %v, problems %v", err, probs)
	}
	want := 0
	for _, e := range elems {
		if strings.Contains(e, sampleKey) || strings.Contains(e, "ab") {
			want++
		}
	}
	if int64(got) != st.Events || got != want || want == 0 {
		t.Errorf("delivered %d, Stats.Events %d, want %d", got, st.Events, want)
	}
	if st.Events+st.Filtered != int64(len(elems)) {
		t.Errorf("events %d + filtered %d != %d records", st.Events, st.Filtered, len(elems))
	}
}
