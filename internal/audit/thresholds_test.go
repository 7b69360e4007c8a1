package audit

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// The anomaly thresholds pinned at their boundaries. Expected values come
// from the detection catalogue (ANOM-01..03), never from the constants in
// rules_anom.go, so changing a threshold in the code fails a case here:
//
//	ANOM-01: modified z > 3.5 and count >= max(20, 3 x median)
//	ANOM-02: the same on writes, floor 10/h
//	ANOM-03: per 30 minutes, failures >= 10 and failure ratio >= 0.5, or
//	         modified z of failures > 3.5
//	cold start (under 72 h or 50 events of history): 100 calls/h,
//	         20 writes/h, 10 failures/30 min.

// thLeak is the leak time of the threshold cases: a whole hour, so the hour
// starting at it is the first one judged.
var thLeak = time.Date(2025, 3, 10, 4, 0, 0, 0, time.UTC)

// thBaselineDays is the statistics window of the cases: 96 hours, over the
// 72-hour cold-start limit.
const thBaselineDays = 4

// hourSpec is what one hour holds: reads, writes and failed reads in each
// half hour.
type hourSpec struct{ reads, writes, failsA, failsB int }

// spread returns n events of name spaced evenly from start over span.
func spread(start time.Time, span time.Duration, n int, name string, opts ...evOpt) []*Event {
	out := make([]*Event, n)
	for i := range out {
		out[i] = office(start.Add(time.Duration(i)*span/time.Duration(n)), "Ecs", name, opts...)
	}
	return out
}

// thBaseline is thBaselineDays of hourly history before thLeak; hour i
// holds spec(i).
func thBaseline(spec func(i int) hourSpec) []*Event {
	var out []*Event
	hours := thBaselineDays * 24
	for i := 0; i < hours; i++ {
		h := thLeak.Add(time.Duration(i-hours) * time.Hour)
		s := spec(i)
		out = append(out, spread(h, 50*time.Minute, s.reads, "DescribeInstances")...)
		out = append(out, spread(h.Add(50*time.Minute), 10*time.Minute, s.writes, "StopInstance")...)
		out = append(out, spread(h.Add(time.Minute), 28*time.Minute, s.failsA, "DescribeInstances", withErr("Throttling.User"))...)
		out = append(out, spread(h.Add(31*time.Minute), 28*time.Minute, s.failsB, "DescribeInstances", withErr("Throttling.User"))...)
	}
	return out
}

// cycle returns the i-th of vals, cycling: 9,10,11 has median 10 and MAD 1.
func cycle(i int, vals ...int) int { return vals[i%len(vals)] }

func runThreshold(t *testing.T, history, judged []*Event, cold bool) *Result {
	t.Helper()
	evSeq = 0
	opts := Options{KeyID: testKey, Now: thLeak.Add(3 * time.Hour), TZ: shanghai, LeakTime: thLeak, BaselineDays: thBaselineDays}
	r := runEngine(opts, append(history, judged...))
	if !cold && len(history) < 50 {
		t.Fatalf("test bug: a warm baseline needs at least 50 events, have %d", len(history))
	}
	return r
}

type thCase struct {
	name  string
	n     int  // count in the judged hour (or failures in the judged 30 minutes)
	fires bool // what the catalogue says
}

func checkRule(t *testing.T, r *Result, rule string, c thCase) {
	t.Helper()
	f := findFinding(r, rule)
	switch {
	case c.fires && f == nil:
		t.Errorf("%s: %s did not fire; findings %v", c.name, rule, ids(r))
	case !c.fires && f != nil:
		t.Errorf("%s: %s fired (%s), want none; evidence %v", c.name, rule, f.Title, f.Evidence)
	}
}

// ANOM-01's floor is 3 x the baseline median when that is above 20: with a
// median of 10 (MAD 1, so the z-score is far above 3.5 already at 29) the
// hour fires at 30 calls and not at 29. Changing 3x to 4x, or >= to >,
// fails here.
func TestANOM01FloorThreeTimesMedian(t *testing.T) {
	history := thBaseline(func(i int) hourSpec { return hourSpec{reads: cycle(i, 9, 10, 11)} })
	for _, c := range []thCase{
		{"29 calls, just below 3 x median 10", 29, false},
		{"30 calls, exactly 3 x median 10", 30, true},
		{"31 calls, just above", 31, true},
	} {
		r := runThreshold(t, history, spread(thLeak, 50*time.Minute, c.n, "DescribeInstances"), false)
		checkRule(t, r, "ANOM-01", c)
	}
}

// With a small median (2, MAD 1) the floor is the absolute 20 calls.
func TestANOM01AbsoluteFloor20(t *testing.T) {
	history := thBaseline(func(i int) hourSpec { return hourSpec{reads: cycle(i, 1, 2, 3)} })
	for _, c := range []thCase{
		{"19 calls", 19, false},
		{"20 calls, exactly the floor", 20, true},
		{"21 calls", 21, true},
	} {
		r := runThreshold(t, history, spread(thLeak, 50*time.Minute, c.n, "DescribeInstances"), false)
		checkRule(t, r, "ANOM-01", c)
	}
}

// ANOM-02 applies max(10, 3 x median) to writes.
func TestANOM02WriteFloors(t *testing.T) {
	t.Run("3 x median 4", func(t *testing.T) {
		history := thBaseline(func(i int) hourSpec {
			return hourSpec{reads: cycle(i, 9, 10, 11), writes: cycle(i, 3, 4, 5)}
		})
		for _, c := range []thCase{{"11 writes", 11, false}, {"12 writes, exactly 3 x 4", 12, true}, {"13 writes", 13, true}} {
			r := runThreshold(t, history, spread(thLeak, 50*time.Minute, c.n, "StopInstance"), false)
			checkRule(t, r, "ANOM-02", c)
		}
	})
	t.Run("absolute floor 10", func(t *testing.T) {
		history := thBaseline(func(i int) hourSpec {
			return hourSpec{reads: cycle(i, 9, 10, 11), writes: cycle(i, 0, 1, 2)}
		})
		for _, c := range []thCase{{"9 writes", 9, false}, {"10 writes, exactly the floor", 10, true}, {"11 writes", 11, true}} {
			r := runThreshold(t, history, spread(thLeak, 50*time.Minute, c.n, "StopInstance"), false)
			checkRule(t, r, "ANOM-02", c)
		}
	})
}

// ANOM-03's ratio: a baseline that fails about 10 times every half hour
// makes 10 failures unremarkable by z-score, so only the failure ratio can
// fire: 10 failures of 20 calls (0.5) fire, 10 of 21 do not. Changing 0.5
// to 0.6, or >= to >, fails here.
func TestANOM03FailureRatioHalf(t *testing.T) {
	history := thBaseline(func(i int) hourSpec {
		return hourSpec{reads: 10, failsA: cycle(i, 9, 10, 11), failsB: cycle(i+1, 9, 10, 11)}
	})
	for _, c := range []struct {
		thCase
		ok int // successful calls beside the 10 failures
	}{
		{thCase{"10 of 19 failed (0.53)", 10, true}, 9},
		{thCase{"10 of 20 failed (exactly 0.5)", 10, true}, 10},
		{thCase{"10 of 21 failed (0.48)", 10, false}, 11},
	} {
		judged := append(spread(thLeak, 10*time.Minute, c.n, "DescribeInstances", withErr("Throttling.User")),
			spread(thLeak.Add(time.Second), 10*time.Minute, c.ok, "DescribeInstances")...)
		r := runThreshold(t, history, judged, false)
		checkRule(t, r, "ANOM-03", c.thCase)
	}
}

// ANOM-03's floor: whatever the ratio, fewer than 10 failures in 30
// minutes never fire, on a warm or a cold baseline.
func TestANOM03FailureFloor10(t *testing.T) {
	warm := thBaseline(func(i int) hourSpec { return hourSpec{reads: cycle(i, 9, 10, 11)} })
	for _, cold := range []bool{false, true} {
		var history []*Event
		if !cold {
			history = warm
		}
		for _, c := range []thCase{{"9 failures, all calls", 9, false}, {"10 failures, all calls", 10, true}} {
			c.name = fmt.Sprintf("%s (cold %v)", c.name, cold)
			r := runThreshold(t, history, spread(thLeak, 20*time.Minute, c.n, "DescribeInstances", withErr("Throttling.User")), cold)
			checkRule(t, r, "ANOM-03", c)
		}
	}
}

// Cold start: no usable history, so the static ceilings apply: 100
// calls/h and 20 writes/h.
func TestColdStartCeilings(t *testing.T) {
	for _, c := range []thCase{{"99 calls", 99, false}, {"100 calls", 100, true}} {
		r := runThreshold(t, nil, spread(thLeak, 50*time.Minute, c.n, "DescribeInstances"), true)
		checkRule(t, r, "ANOM-01", c)
	}
	for _, c := range []thCase{{"19 writes", 19, false}, {"20 writes", 20, true}} {
		r := runThreshold(t, nil, spread(thLeak, 50*time.Minute, c.n, "StopInstance"), true)
		checkRule(t, r, "ANOM-02", c)
	}
	// A history of 71 hours is still cold: 100 calls fire by the ceiling
	// even though 3 x its median would also let 30 through, and 99 do not.
	short := thBaseline(func(i int) hourSpec { return hourSpec{reads: cycle(i, 9, 10, 11)} })
	short = dropBefore(short, thLeak.Add(-71*time.Hour))
	for _, c := range []thCase{{"99 calls after 71 h of history", 99, false}, {"100 calls after 71 h of history", 100, true}} {
		r := runThreshold(t, short, spread(thLeak, 50*time.Minute, c.n, "DescribeInstances"), true)
		checkRule(t, r, "ANOM-01", c)
	}
}

func dropBefore(evs []*Event, t time.Time) []*Event {
	var out []*Event
	for _, e := range evs {
		if !e.Time.Before(t) {
			out = append(out, e)
		}
	}
	return out
}

// The modified z-score 0.6745 (x - median) / MAD must exceed 3.5; with MAD
// 0 the mean absolute deviation scaled by 1.253314 stands in; with both 0,
// a Poisson tail below 1e-4 decides. Each is pinned just below and just
// above its boundary.
func TestModifiedZBoundary(t *testing.T) {
	const eps = 1e-3
	st := newRobustStats([]float64{0, 0, 0, 2, 4, 4, 6}) // median 2, MAD 2
	edge := 2 + 3.5*2/0.6745
	if hit, _ := st.anomalous(edge - eps); hit {
		t.Errorf("z just below 3.5 (x %.4f) is anomalous", edge-eps)
	}
	if hit, _ := st.anomalous(edge + eps); !hit {
		t.Errorf("z just above 3.5 (x %.4f) is not anomalous", edge+eps)
	}

	flat := newRobustStats([]float64{0, 0, 0, 0, 0, 0, 7}) // median 0, MAD 0, mean AD 1
	if flat.mad != 0 || math.Abs(flat.meanAD-1) > 1e-12 {
		t.Fatalf("MAD %v, mean AD %v; want 0 and 1", flat.mad, flat.meanAD)
	}
	edge = 3.5 * 1.253314
	if hit, _ := flat.anomalous(edge - eps); hit {
		t.Errorf("mean-AD z just below 3.5 (x %.4f) is anomalous", edge-eps)
	}
	if hit, _ := flat.anomalous(edge + eps); !hit {
		t.Errorf("mean-AD z just above 3.5 (x %.4f) is not anomalous", edge+eps)
	}

	// Constant baseline 5: P(X >= 15 | 5) = 2.3e-4 is over the threshold,
	// P(X >= 16 | 5) = 6.9e-5 under it.
	constant := newRobustStats([]float64{5, 5, 5, 5})
	if p := poissonTail(15, 5); math.Abs(p-2.2625e-4) > 1e-7 {
		t.Fatalf("P(X>=15 | 5) = %g, want 2.2625e-4", p)
	}
	if p := poissonTail(16, 5); math.Abs(p-6.9008e-5) > 1e-8 {
		t.Fatalf("P(X>=16 | 5) = %g, want 6.9008e-5", p)
	}
	if hit, _ := constant.anomalous(15); hit {
		t.Error("15 vs a constant 5 (p 2.3e-4) is anomalous")
	}
	if hit, _ := constant.anomalous(16); !hit {
		t.Error("16 vs a constant 5 (p 6.9e-5) is not anomalous")
	}
	// Below a baseline of 0.5 the rate is taken as 0.5: P(X >= 5 | 0.5) =
	// 1.7e-4 is not anomalous, P(X >= 6 | 0.5) = 1.4e-5 is.
	zero := newRobustStats([]float64{0, 0, 0, 0})
	if hit, _ := zero.anomalous(5); hit {
		t.Error("5 vs a constant 0 (rate 0.5, p 1.7e-4) is anomalous")
	}
	if hit, _ := zero.anomalous(6); !hit {
		t.Error("6 vs a constant 0 (rate 0.5, p 1.4e-5) is not anomalous")
	}
}
