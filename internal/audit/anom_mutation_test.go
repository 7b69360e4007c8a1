package audit

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// Tests for the surviving mutants of rules_anom.go (the call-rate
// statistics and ANOM-01..04). Expected values come from the catalogue
// (docs/rules.md: "Call-rate statistics", ANOM-01..04, "Routine vs new")
// and from the statistics' definitions, worked out by hand in the
// comments.

// spreadFrom returns n calls of name by ip spaced evenly from start over
// span.
func spreadFrom(ip string, start time.Time, span time.Duration, n int, name string, opts ...evOpt) []*Event {
	out := make([]*Event, n)
	for i := range out {
		out[i] = tev(start.Add(time.Duration(i)*span/time.Duration(n)), ip, "Ecs", name, opts...)
	}
	return out
}

// mustFinding returns rule's finding or stops the test.
func mustFinding(t *testing.T, r *Result, rule string) *Finding {
	t.Helper()
	f := findFinding(r, rule)
	if f == nil {
		t.Fatalf("%s did not fire; findings %v", rule, ids(r))
	}
	return f
}

// The median of an even number of values is the mean of the two middle
// ones, and the MAD is the median of the absolute deviations from it.
func TestMedianOfEvenSeries(t *testing.T) {
	st := newRobustStats([]float64{4, 1, 3, 2}) // median 2.5; deviations 1.5 .5 .5 1.5
	if st.median != 2.5 || st.mad != 1 || st.meanAD != 1 {
		t.Errorf("1..4: median %v MAD %v mean AD %v, want 2.5, 1 and 1", st.median, st.mad, st.meanAD)
	}
	st = newRobustStats([]float64{7, 3})
	if st.median != 5 || st.mad != 2 {
		t.Errorf("3, 7: median %v MAD %v, want 5 and 2", st.median, st.mad)
	}
}

// "Above 3.5" is strict: a score of exactly 3.5 is not anomalous, in the
// MAD branch and in the mean-absolute-deviation branch. Both ties are exact
// in float64 (0.6745 = 1349/2000 and 1.253314 x 3.5 = 4.386599) and come
// from whole counts.
func TestModifiedZExactlyThreeAndAHalf(t *testing.T) {
	// Median 1349, MAD 1349: z = 0.6745 x 7000 / 1349 = 3.5.
	st := newRobustStats([]float64{0, 0, 2698, 2698})
	if st.median != 1349 || st.mad != 1349 {
		t.Fatalf("median %v MAD %v, want 1349 and 1349", st.median, st.mad)
	}
	if hit, why := st.anomalous(1349 + 7000); hit {
		t.Errorf("z exactly 3.5 is anomalous (%s)", why)
	}
	if hit, why := st.anomalous(1349 + 7001); !hit {
		t.Errorf("z 3.5005 is not anomalous (%s)", why)
	}

	// Median 0, MAD 0, mean absolute deviation 1e6: z = 4386599 /
	// (1.253314 x 1e6) = 3.5.
	flat := newRobustStats([]float64{0, 0, 3e6})
	if flat.median != 0 || flat.mad != 0 || flat.meanAD != 1e6 {
		t.Fatalf("median %v MAD %v mean AD %v, want 0, 0, 1e6", flat.median, flat.mad, flat.meanAD)
	}
	if hit, why := flat.anomalous(4386599); hit {
		t.Errorf("mean-AD z exactly 3.5 is anomalous (%s)", why)
	}
	if hit, why := flat.anomalous(4386600); !hit {
		t.Errorf("mean-AD z just above 3.5 is not anomalous (%s)", why)
	}
}

// P(X >= x) when x is far below the rate is about 1, even when the first
// terms of the sum underflow to 0 (the k = 10 term at rate 900 is
// e^-847): P(X >= 10 | 900) falls short of 1 by about 1e-370, so 10
// against a constant baseline of 900 is unremarkable. At rate 1200 a sum
// of 1000 terms up from 10 stopped short of the mode and gave 8e-9, which
// made a drop in failures look like a burst (ANOM-03).
func TestPoissonTailFarBelowRate(t *testing.T) {
	for _, rate := range []float64{900, 1200, 1e5} {
		if p := poissonTail(10, rate); p < 0.999 {
			t.Errorf("P(X >= 10 | %g) = %g, want about 1", rate, p)
		}
		constant := newRobustStats([]float64{rate, rate, rate, rate})
		if hit, why := constant.anomalous(10); hit {
			t.Errorf("10 against a constant %g is anomalous (%s)", rate, why)
		}
	}
	// The tail itself, either side of the rate.
	for _, c := range []struct{ x, rate, want float64 }{
		{3, 0.5, 0.01439},     // 1 - e^-0.5 (1 + 0.5 + 0.125)
		{1, 2, 0.86466},       // 1 - e^-2
		{1200, 1200, 0.50384}, // the median side of a large rate
		{1300, 1200, 0.00227},
		{2000, 1200, 0},
	} {
		if p := poissonTail(c.x, c.rate); math.Abs(p-c.want) > 5e-5 {
			t.Errorf("P(X >= %g | %g) = %.5f, want %.5f", c.x, c.rate, p, c.want)
		}
	}
}

// With more than half the hours equal (MAD 0) the mean-AD score measures
// the distance from the median: 50 hours of 10 calls and 46 idle ones
// give median 10 and mean AD 460/96 = 4.79, so z = (x - 10) / 6.005:
// 30 calls (the floor 3 x 10) and 31 calls score 3.3 and 3.497, 32 calls
// 3.66.
func TestMeanADScoreFromMedian(t *testing.T) {
	history := thBaseline(func(i int) hourSpec {
		if i < 50 {
			return hourSpec{reads: 10}
		}
		return hourSpec{}
	})
	for _, c := range []thCase{
		{"30 calls, z 3.33", 30, false},
		{"31 calls, z 3.497", 31, false},
		{"32 calls, z 3.66", 32, true},
	} {
		r := runThreshold(t, history, spread(thLeak, 50*time.Minute, c.n, "DescribeInstances"), false)
		checkRule(t, r, "ANOM-01", c)
	}
}

// The statistics take every whole hour before the baseline end, the last
// one (ending exactly at the end) included: 48 hours of 10 calls, the last
// among them, and 48 idle hours give median 5 and MAD 5, so 25 calls
// score 2.7 and 35 calls 4.0. Without the last hour the median would be 0
// and the MAD 0, and 25 calls would score 4.0 on the mean AD.
func TestStatsIncludeLastHourBeforeEnd(t *testing.T) {
	history := thBaseline(func(i int) hourSpec {
		if i < 47 || i == thBaselineDays*24-1 {
			return hourSpec{reads: 10}
		}
		return hourSpec{}
	})
	for _, c := range []thCase{
		{"25 calls, z 2.7", 25, false},
		{"35 calls, z 4.0", 35, true},
	} {
		r := runThreshold(t, history, spread(thLeak, 50*time.Minute, c.n, "DescribeInstances"), false)
		checkRule(t, r, "ANOM-01", c)
	}
}

// routineHistory has 1-3 calls an hour (median 2, MAD 1), and its busiest
// hour before the baseline end, the last one, has 10: sources that are not
// flagged are routine up to 1.5 x 10 = 15 calls in an hour.
func routineHistory() []*Event {
	return thBaseline(func(i int) hourSpec {
		if i == thBaselineDays*24-1 {
			return hourSpec{reads: 10}
		}
		return hourSpec{reads: cycle(i, 1, 2, 3)}
	})
}

// ANOM-01 with the known office's calls exactly at 1.5 x the busiest
// baseline hour: they are routine, so only the new (flagged) source's 30
// calls are judged, counted and cited, and the office's 15 are the
// routine count.
func TestANOM01FlaggedShareBesideRoutine(t *testing.T) {
	judged := append(spreadFrom(officeA, thLeak, 50*time.Minute, 15, "DescribeInstances"),
		spreadFrom(attacker, thLeak.Add(time.Minute), 50*time.Minute, 30, "DescribeInstances", withUA(attackerUA))...)
	r := runThreshold(t, routineHistory(), judged, false)
	f := mustFinding(t, r, "ANOM-01")
	if f.Count != 30 || f.RoutineCount != 15 {
		t.Errorf("count %d routine %d, want 30 flagged calls and 15 routine ones", f.Count, f.RoutineCount)
	}
	if !slices.Equal(f.IPs, []string{attacker}) {
		t.Errorf("sources %v, want only the flagged %s", f.IPs, attacker)
	}
	if len(f.Evidence) != 1 || f.Evidence[0].SourceIP != attacker || !strings.HasPrefix(f.Evidence[0].Detail, "30 calls in the hour from 2025-03-10T04:00:00Z; ") {
		t.Errorf("evidence %+v, want the flagged source's first call, citing its 30 calls", f.Evidence)
	}
}

// When the office's calls exceed 1.5 x the busiest baseline hour, the
// whole hour is judged: all 40 calls counted, both sources named (office
// first, by count), nothing routine.
func TestANOM01WholeHourJudgedCitesAllSources(t *testing.T) {
	judged := append(spreadFrom(officeA, thLeak, 50*time.Minute, 30, "DescribeInstances"),
		spreadFrom(attacker, thLeak.Add(time.Minute), 50*time.Minute, 10, "DescribeInstances", withUA(attackerUA))...)
	r := runThreshold(t, routineHistory(), judged, false)
	f := mustFinding(t, r, "ANOM-01")
	if f.Count != 40 || f.RoutineCount != 0 {
		t.Errorf("count %d routine %d, want 40 and 0", f.Count, f.RoutineCount)
	}
	if !slices.Equal(f.IPs, []string{officeA, attacker}) {
		t.Errorf("sources %v, want %s and %s", f.IPs, officeA, attacker)
	}
	if len(f.Evidence) != 1 || f.Evidence[0].SourceIP != officeA {
		t.Errorf("evidence %+v, want the hour's first call (the office's)", f.Evidence)
	}
}

// ANOM-03's yardstick is the failures of each whole half hour, both its
// quarters. A baseline failing twice in the second quarter of every half
// hour is a constant 2 per half hour, so 10 failures (of 21 calls, under
// the 50 % ratio) score P(X >= 10 | 2) = 4.6e-5 and fire.
func TestANOM03HalfHourFailuresOfBothQuarters(t *testing.T) {
	var history []*Event
	for i := 0; i < thBaselineDays*24; i++ {
		h := thLeak.Add(time.Duration(i-thBaselineDays*24) * time.Hour)
		history = append(history, spread(h, 50*time.Minute, 10, "DescribeInstances")...)
		for _, m := range []time.Duration{16, 20, 46, 50} { // quarters 1 and 3
			history = append(history, office(h.Add(m*time.Minute), "Ecs", "DescribeInstances", withErr("Throttling.User")))
		}
	}
	judged := append(spread(thLeak, 10*time.Minute, 10, "DescribeInstances", withErr("Throttling.User")),
		spread(thLeak.Add(time.Second), 10*time.Minute, 11, "DescribeInstances")...)
	r := runThreshold(t, history, judged, false)
	f := mustFinding(t, r, "ANOM-03")
	if f.Count != 10 || len(f.Evidence) != 1 || !strings.Contains(f.Evidence[0].Detail, "Poisson tail p=4.6e-05 at the baseline rate 2.0") {
		t.Errorf("count %d evidence %+v, want 10 failures scored against a constant 2", f.Count, f.Evidence)
	}
}

// ANOM-03's evidence names the 30 minutes it judged, from their first
// quarter hour, with the failures, the calls and the failure ratio: 10
// failures and 10 successes between 04:15 and 04:30 are "10 failures of
// 20 calls in the 30 minutes from 04:15; failure ratio 50%".
func TestANOM03WindowDetail(t *testing.T) {
	history := thBaseline(func(i int) hourSpec { return hourSpec{reads: cycle(i, 9, 10, 11)} })
	q1 := thLeak.Add(15 * time.Minute)
	judged := append(spread(q1, 10*time.Minute, 10, "DescribeInstances", withErr("Throttling.User")),
		spread(q1.Add(time.Second), 10*time.Minute, 10, "DescribeInstances")...)
	r := runThreshold(t, history, judged, false)
	f := mustFinding(t, r, "ANOM-03")
	want := "10 failures of 20 calls in the 30 minutes from 2025-03-10T04:15:00Z; failure ratio 50%; "
	if len(f.Evidence) != 1 || !strings.HasPrefix(f.Evidence[0].Detail, want) {
		t.Errorf("evidence %+v, want one detail starting %q", f.Evidence, want)
	}
}

// ANOM-03 counts the failures of the 30-minute windows that fire, each
// failure once: 5 + 5 in two adjacent quarters are 10; 10 in one quarter
// and 3 half an hour later (a window of their own that does not fire)
// are 10.
func TestANOM03CountsFlaggedWindowsOnce(t *testing.T) {
	fail := withErr("Throttling.User")
	for _, c := range []struct {
		name   string
		judged []*Event
	}{
		{"5 + 5 in adjacent quarters", append(spread(thLeak, 10*time.Minute, 5, "DescribeInstances", fail),
			spread(thLeak.Add(15*time.Minute), 10*time.Minute, 5, "DescribeInstances", fail)...)},
		{"10, then 3 in a later window", append(spread(thLeak, 10*time.Minute, 10, "DescribeInstances", fail),
			spread(thLeak.Add(30*time.Minute), 10*time.Minute, 3, "DescribeInstances", fail)...)},
	} {
		r := runThreshold(t, nil, c.judged, true)
		f := findFinding(r, "ANOM-03")
		if f == nil || f.Count != 10 {
			t.Errorf("%s: ANOM-03 %+v, want 10 failures", c.name, f)
		}
	}
}

// A failure burst is dated and sourced by its own hour: a quiet hour
// before it (one successful call, its last quarter empty) adds neither
// evidence nor sources, and the burst's source is named.
func TestANOM03QuietHourBeforeBurst(t *testing.T) {
	burst := thLeak.Add(time.Hour)
	judged := append([]*Event{tev(thLeak.Add(5*time.Minute), officeB, "Ecs", "DescribeInstances")},
		spreadFrom(attacker, burst, 10*time.Minute, 10, "DescribeInstances", withUA(attackerUA), withErr("NoPermission"))...)
	r := runThreshold(t, nil, judged, true)
	f := mustFinding(t, r, "ANOM-03")
	if !slices.Equal(f.IPs, []string{attacker}) {
		t.Errorf("sources %v, want only %s", f.IPs, attacker)
	}
	if !f.First.Equal(burst) {
		t.Errorf("first %v, want the burst's first failure %v", f.First, burst)
	}
	for _, ev := range f.Evidence {
		if ev.SourceIP != attacker {
			t.Errorf("evidence from the quiet hour: %+v", ev)
		}
	}
}

// ANOM-04 names services the key first called at or after the baseline
// end ("New services: ..."), a call exactly at the end included, and adds
// no such note when every new API belongs to a known service.
func TestANOM04NewServiceNote(t *testing.T) {
	history := thBaseline(func(i int) hourSpec { return hourSpec{reads: cycle(i, 1, 2, 3)} })

	r := runThreshold(t, history, []*Event{tev(thLeak, officeA, "Vpc", "DescribeVpcs")}, false)
	f := mustFinding(t, r, "ANOM-04")
	if !strings.Contains(f.Why, "New services: Vpc.") || len(f.Evidence) != 1 || f.Evidence[0].Detail != "first call to service Vpc" {
		t.Errorf("why %q evidence %+v, want Vpc named as a new service", f.Why, f.Evidence)
	}

	r = runThreshold(t, history, []*Event{office(thLeak.Add(time.Minute), "Ecs", "DescribeZones")}, false)
	f = mustFinding(t, r, "ANOM-04")
	if strings.Contains(f.Why, "New services") || len(f.Evidence) != 1 || f.Evidence[0].Detail != "first call of this API" {
		t.Errorf("why %q evidence %+v, want a new API of a known service and no service note", f.Why, f.Evidence)
	}
}

// ANOM-03's hour is the half hour's own (quarter / 4): the office's
// failure burst off hours is raised one level for the CTX-02 hit of the
// same hour, and one in business hours, with CTX-02 hours away, is not.
func TestANOM03HourJoinsEscalation(t *testing.T) {
	for _, c := range []struct {
		name  string
		at    time.Time // the burst's start
		want  Severity
		raise bool
	}{
		{"off hours, 23:00 Shanghai", thLeak.Add(11 * time.Hour), High, true},
		{"business hours, 14:00 Shanghai", thLeak.Add(2 * time.Hour), Medium, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			evSeq = 0
			// The office reads in business hours (10:00-17:00 Shanghai) of
			// the baseline: a known source, not one that works nights.
			evs := thBaseline(func(i int) hourSpec {
				if local := (i + 12) % 24; local >= 10 && local < 17 {
					return hourSpec{reads: 5}
				}
				return hourSpec{}
			})
			evs = append(evs, spreadFrom(officeA, c.at, 20*time.Minute, 30, "DescribeInstances", withErr("NoPermission"))...)
			// A lone off-hours read twelve hours from the business-hours
			// burst (off-hours for both cases: 02:00 Shanghai).
			evs = append(evs, tev(thLeak.Add(14*time.Hour), officeA, "Ecs", "DescribeRegions"))
			opts := Options{KeyID: testKey, Now: thLeak.Add(20 * time.Hour), TZ: shanghai, LeakTime: thLeak, BaselineDays: thBaselineDays}
			r := runEngine(opts, evs)
			f := mustFinding(t, r, "ANOM-03")
			if f.Severity != c.want || (f.Escalated != "") != c.raise {
				t.Errorf("ANOM-03 %s (escalated %q), want %s, raised %v", f.Severity, f.Escalated, c.want, c.raise)
			}
			if c.raise && !strings.Contains(f.Escalated, "CTX-02") {
				t.Errorf("raised because %q, want the CTX-02 hit", f.Escalated)
			}
		})
	}
}

// ANOM-03 orders its sources by their calls in the hours of the windows
// that fire, each hour once however many of its quarters fire: A's 30
// failures fill three quarters of one hour (three windows fire there), B's
// 40 one quarter of the next (two windows), so B, the busier, comes first.
// (Each firing window used to add its hour's calls again: A 90, B 80.)
func TestANOM03SourcesCountEachHourOnce(t *testing.T) {
	fail := withErr("NoPermission")
	var judged []*Event
	for q := range 3 {
		judged = append(judged, spreadFrom(attacker, thLeak.Add(time.Duration(q)*15*time.Minute), 10*time.Minute, 10, "DescribeInstances", withUA(attackerUA), fail)...)
	}
	judged = append(judged, spreadFrom(officeB, thLeak.Add(75*time.Minute), 10*time.Minute, 40, "DescribeInstances", fail)...)
	r := runThreshold(t, nil, judged, true)
	f := mustFinding(t, r, "ANOM-03")
	if !slices.Equal(f.IPs, []string{officeB, attacker}) {
		t.Errorf("sources %v, want %s (40 calls) before %s (30)", f.IPs, officeB, attacker)
	}
}

// ANOM-01, -02 and -03 give the range of the calls, writes and failures
// they count, not the instant of their hour's (or window's) first event.
// A cold-start burst of 120 failing writes from 04:05 to 04:55 after one
// office read at 04:01: ANOM-01 (every call of the hour) runs from 04:01,
// ANOM-02 and ANOM-03 from the first write and failure, all three to the
// last failing write; ANOM-02 and ANOM-03 cite that first write, not the
// hour's first call. When only the flagged share is judged (the office's
// calls routine), ANOM-01 ends at the flagged source's last call, not at
// the office's later one.
func TestANOMRangesCoverCountedEvents(t *testing.T) {
	burst := spreadFrom(attacker, thLeak.Add(5*time.Minute), 50*time.Minute, 120, "RunInstances", withUA(attackerUA), withErr("NoPermission"))
	judged := append([]*Event{tev(thLeak.Add(time.Minute), officeB, "Ecs", "DescribeInstances")}, burst...)
	r := runThreshold(t, nil, judged, true)
	first, last := burst[0].Time, burst[len(burst)-1].Time
	for _, c := range []struct {
		id    string
		first time.Time
	}{{"ANOM-01", thLeak.Add(time.Minute)}, {"ANOM-02", first}, {"ANOM-03", first}} {
		f := mustFinding(t, r, c.id)
		if !f.First.Equal(c.first) || !f.Last.Equal(last) {
			t.Errorf("%s: %d events from %s to %s, want %s to %s", c.id, f.Count, f.First.Format(time.RFC3339), f.Last.Format(time.RFC3339), c.first.Format(time.RFC3339), last.Format(time.RFC3339))
		}
	}
	for _, id := range []string{"ANOM-02", "ANOM-03"} {
		if f := mustFinding(t, r, id); len(f.Evidence) == 0 || f.Evidence[0].EventID != burst[0].ID {
			t.Errorf("%s evidence %+v, want the first failing write %s first", id, f.Evidence, burst[0].ID)
		}
	}

	office := spreadFrom(officeA, thLeak, 58*time.Minute, 15, "DescribeInstances")
	flagged := spreadFrom(attacker, thLeak.Add(time.Minute), 50*time.Minute, 30, "DescribeInstances", withUA(attackerUA))
	r = runThreshold(t, routineHistory(), append(office, flagged...), false)
	f := mustFinding(t, r, "ANOM-01")
	if f.Count != 30 || !f.First.Equal(flagged[0].Time) || !f.Last.Equal(flagged[len(flagged)-1].Time) {
		t.Errorf("ANOM-01 of the flagged share: %d calls from %s to %s, want 30 from %s to %s", f.Count, f.First.Format(time.RFC3339), f.Last.Format(time.RFC3339),
			flagged[0].Time.Format(time.RFC3339), flagged[len(flagged)-1].Time.Format(time.RFC3339))
	}
}

// ANOM-02 of the flagged share (the office's writes routine: at most
// 1.5 x the busiest baseline hour's 10): the new source reads first, then
// writes. When its first write is the hour's first, that write is cited
// and the range starts there; when the office wrote first, the flagged
// sources' first call is cited and the detail says so.
func TestANOM02FlaggedShareCitesAWrite(t *testing.T) {
	history := thBaseline(func(i int) hourSpec {
		if i == thBaselineDays*24-1 {
			return hourSpec{writes: 10}
		}
		return hourSpec{writes: cycle(i, 1, 2, 3)}
	})
	read := tev(thLeak.Add(time.Minute), attacker, "Ecs", "DescribeInstances", withUA(attackerUA))
	writes := spreadFrom(attacker, thLeak.Add(20*time.Minute), 30*time.Minute, 30, "RunInstances", withUA(attackerUA))
	for _, c := range []struct {
		name        string
		officeAt    time.Time
		wantCited   *Event
		wantFirst   time.Time
		wantSaysWhy bool
	}{
		{"the flagged source writes first", thLeak.Add(25 * time.Minute), writes[0], writes[0].Time, false},
		{"the office writes first", thLeak.Add(10 * time.Minute), read, read.Time, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			office := spreadFrom(officeA, c.officeAt, 30*time.Minute, 12, "StopInstance")
			judged := append(append([]*Event{read}, writes...), office...)
			r := runThreshold(t, history, judged, false)
			f := mustFinding(t, r, "ANOM-02")
			if f.Count != 30 || f.RoutineCount != 12 {
				t.Fatalf("count %d routine %d, want the 30 flagged writes and 12 routine; %v %+v", f.Count, f.RoutineCount, f.IPs, f.Evidence)
			}
			if len(f.Evidence) != 1 || f.Evidence[0].EventID != c.wantCited.ID {
				t.Errorf("evidence %+v, want %s %s", f.Evidence, c.wantCited.Name, c.wantCited.ID)
			}
			if !f.First.Equal(c.wantFirst) || !f.Last.Equal(writes[len(writes)-1].Time.Truncate(time.Second)) {
				t.Errorf("range %s to %s, want %s to the last write", f.First.Format(time.RFC3339), f.Last.Format(time.RFC3339), c.wantFirst.Format(time.RFC3339))
			}
			if says := len(f.Evidence) > 0 && strings.HasSuffix(f.Evidence[0].Detail, "; cited: the flagged sources' first call of that hour"); says != c.wantSaysWhy {
				t.Errorf("detail %q: says it cites the first call %v, want %v", f.Evidence[0].Detail, says, c.wantSaysWhy)
			}
		})
	}
}
