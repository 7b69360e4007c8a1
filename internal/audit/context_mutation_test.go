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

// Tests for the mutation survivors of rules_context.go (CTX-02's habit
// window and share, CTX-03's roamers next to a real suspect, CTX-04's
// windows). Each pins the behaviour docs/rules.md states.

// officeDay returns n business-hour reads of the office (both addresses)
// from 10:00 Shanghai on Thursday 2025-03-06, one a minute.
func officeDay(n int) []*Event {
	thu := time.Date(2025, 3, 6, 10, 0, 0, 0, shanghai)
	return repeat(n, func(i int) *Event {
		return tev(thu.Add(time.Duration(i)*time.Minute), []string{officeA, officeB}[i%2], "Ecs", "DescribeInstances")
	})
}

// busyHour returns n reads of officeB from t, one a minute.
func busyHour(t time.Time, n int) []*Event {
	return repeat(n, func(i int) *Event {
		return tev(t.Add(time.Duration(i)*time.Minute), officeB, "Oss", "GetBucketInfo")
	})
}

// offHoursFlags reports whether CTX-02 names officeA.
func offHoursFlags(r *Result) bool {
	f := findFinding(r, "CTX-02")
	return f != nil && slices.Contains(f.IPs, officeA)
}

// CTX-02's habit threshold is "at least 1 %" of the baseline's calls: an
// hour of the week holding exactly 1 of 100 calls is habit, 1 of 101 is
// not. The baseline (leak time Wednesday 03:00 Shanghai, warm: 7 days and
// 100 calls) holds one call on the previous Wednesday at 03:00.
func TestOffHoursHabitExactlyOnePercent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		history int // office calls besides the one Wednesday 03:00 call
		fires   bool
	}{
		{"1 of 100 calls: habit", 99, false},
		{"1 of 101 calls: under 1 %", 100, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evSeq = 0
			evs := append(busyHour(night.Add(-7*24*time.Hour), 1), officeDay(tc.history)...)
			evs = append(evs, office(night, "Ecs", "DescribeInstances"))
			opts := baseOptions()
			opts.LeakTime = night
			if got := offHoursFlags(runEngine(opts, evs)); got != tc.fires {
				t.Fatalf("CTX-02 for the office's Wednesday 03:00 call: fired %v, want %v", got, tc.fires)
			}
		})
	}
}

// The habit counts the calls of every whole hour in the --baseline-days
// before the baseline end, the first and the last included: with a leak
// time on Wednesday 03:00 and 7 baseline days, a busy hour on the previous
// Wednesday 03:00 (the window's first hour) makes a Wednesday 03:00 call
// habit, and a busy Wednesday 02:00 just before the leak time (its last
// hour) makes a call a week later at 02:00 habit. A busy Wednesday 02:00
// an hour before the window's first is outside it: a call a week after
// the leak time at 02:00 is still off the key's hours.
func TestOffHoursHabitWindowEdges(t *testing.T) {
	week := 7 * 24 * time.Hour
	for _, tc := range []struct {
		name  string
		busy  time.Time // 10 calls of officeB from here; zero: none
		call  time.Time // the office's off-hours call
		fires bool
	}{
		{"first hour, no busy hour", time.Time{}, night, true},
		{"first hour of the window", night.Add(-week), night, false},
		{"the hour before the window", night.Add(-week - time.Hour), night.Add(week - time.Hour), true},
		{"last hour, no busy hour", time.Time{}, night.Add(week - time.Hour), true},
		{"last hour of the window", night.Add(-time.Hour), night.Add(week - time.Hour), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evSeq = 0
			// Office calls before the window (Monday 03-03) and inside it.
			evs := repeat(50, func(i int) *Event {
				return tev(time.Date(2025, 3, 3, 10, i, 0, 0, shanghai), officeA, "Ecs", "DescribeDisks")
			})
			evs = append(evs, officeDay(100)...)
			if !tc.busy.IsZero() {
				evs = append(evs, busyHour(tc.busy, 10)...)
			}
			evs = append(evs, office(tc.call, "Ecs", "DescribeInstances"))
			opts := baseOptions()
			opts.LeakTime, opts.BaselineDays, opts.Now = night, 7, tc.call.Add(time.Hour)
			if got := offHoursFlags(runEngine(opts, evs)); got != tc.fires {
				t.Fatalf("CTX-02 for the office's call at %s: fired %v, want %v", tc.call.In(shanghai).Format("Mon 01-02 15:04"), got, tc.fires)
			}
		})
	}
}

// A roaming source (new, but only the key's known reads with its known
// tool) next to a real suspect is counted in CTX-03's routine_count and
// named in a note, not cited; on its own it stays a medium CTX-03.
func TestUnexpectedSourcesRoamerNextToSuspect(t *testing.T) {
	const roamer = "198.51.100.7"
	for _, withSuspect := range []bool{true, false} {
		evSeq = 0
		evs := officeWeek(leakStart.Add(-2 * time.Hour))
		evs = append(evs, tev(work, roamer, "Ecs", "DescribeInstances"))
		if withSuspect {
			evs = append(evs, intruder(work.Add(time.Hour), "Ecs", "DescribeInstances"))
		}
		opts := baseOptions()
		opts.LeakTime = leakStart
		f := findFinding(runEngine(opts, evs), "CTX-03")
		if f == nil {
			t.Fatalf("suspect %v: CTX-03 did not fire", withSuspect)
		}
		want, routine := []string{roamer}, 0
		if withSuspect {
			want, routine = []string{attacker}, 1
		}
		if !slices.Equal(f.IPs, want) || f.RoutineCount != routine || f.Severity != Medium {
			t.Errorf("suspect %v: CTX-03 sources %v, routine_count %d, %s; want %v, %d, medium", withSuspect, f.IPs, f.RoutineCount, f.Severity, want, routine)
		}
		if withSuspect && !strings.Contains(f.Why, roamer) {
			t.Errorf("CTX-03 does not name the roamer in a note: %q", f.Why)
		}
		for _, ev := range f.Evidence {
			if withSuspect && ev.SourceIP == roamer {
				t.Errorf("the roamer's %s is cited next to a real suspect", ev.EventID)
			}
		}
	}
}

// CTX-04's 10-minute window holds whole minutes m..m+9: three sources (one
// new, all in one /16) at minutes 0, 5 and 9 are concurrent, at 0, 5 and
// 10 they are not.
func TestConcurrentSourcesTenMinuteWindow(t *testing.T) {
	three := func(last time.Duration) func() []*Event {
		return one(office(work, "Ecs", "DescribeInstances"), tev(work.Add(5*time.Minute), officeB, "Ecs", "DescribeInstances"),
			intruder(work.Add(last), "Ecs", "DescribeInstances"))
	}
	runRuleCases(t, []ruleCase{
		{name: "minutes 0, 5 and 9", rule: "CTX-04", want: High, ips: []string{officeA, officeB, attacker}, extra: three(9 * time.Minute)},
		{name: "minutes 0, 5 and 10", rule: "CTX-04", want: absent, extra: three(10 * time.Minute)},
	})
}

// Concurrency among known sources only is the key's fleet: a window of two
// known sources in different /16 networks is not part of CTX-04 even when
// a new source is concurrent with the office at another time.
func TestConcurrentSourcesKnownOnlyWindow(t *testing.T) {
	const far = "198.51.100.20" // a known source in another /16
	evSeq = 0
	evs := officeWeek(leakStart.Add(-2 * time.Hour))
	evs = append(evs,
		tev(leakStart.Add(-30*time.Hour), far, "Ecs", "DescribeInstances"),
		// The new source's window.
		office(work, "Ecs", "DescribeInstances"),
		tev(work.Add(2*time.Minute), officeB, "Ecs", "DescribeInstances"),
		intruder(work.Add(4*time.Minute), "Ecs", "DescribeInstances"),
		// Known sources only, three hours later.
		office(work.Add(3*time.Hour), "Ecs", "DescribeInstances"),
		tev(work.Add(3*time.Hour+2*time.Minute), far, "Ecs", "DescribeInstances"),
	)
	opts := baseOptions()
	opts.LeakTime = leakStart
	f := findFinding(runEngine(opts, evs), "CTX-04")
	if f == nil {
		t.Fatal("CTX-04 did not fire for the new source's window")
	}
	if slices.Contains(f.IPs, far) || !slices.Contains(f.IPs, attacker) {
		t.Errorf("CTX-04 sources = %v, want the new source's window only (with %s, without %s)", f.IPs, attacker, far)
	}
}

// CTX-03 explains the earliest maxSourceNotes sources one by one and
// counts the rest (source_ips lists each): a key with thousands of new
// sources made half a megabyte of "why". All of them still count and
// are named as the finding's sources.
func TestUnexpectedSourcesNotesBounded(t *testing.T) {
	evSeq = 0
	evs := officeWeek(leakStart.Add(-2 * time.Hour))
	const n = maxSourceNotes + 7
	for i := range n {
		evs = append(evs, tev(work.Add(time.Duration(i)*time.Minute), fmt.Sprintf("203.0.113.%d", 100+i), "Ecs", "RunInstances", withUA(attackerUA)))
	}
	opts := baseOptions()
	opts.LeakTime = leakStart
	f := findFinding(runEngine(opts, evs), "CTX-03")
	if f == nil {
		t.Fatal("CTX-03 did not fire")
	}
	if len(f.IPs) != n {
		t.Errorf("CTX-03 names %d sources, want %d", len(f.IPs), n)
	}
	for i := range n {
		ip := fmt.Sprintf("203.0.113.%d:", 100+i)
		if got, want := strings.Contains(f.Why, ip), i < maxSourceNotes; got != want {
			t.Errorf("note for the %d-th source %s: %v, want %v", i, ip, got, want)
		}
	}
	if !strings.Contains(f.Why, "And 7 more sources, seen later (source_ips lists each with its reasons).") {
		t.Errorf("why does not count the sources beyond the notes: %q", f.Why)
	}
}

// CTX-04's cells come in (minute, source) order whether they are sorted
// by counting (dense minutes: a busy key) or by comparing (sparse ones, or
// byCount false), and the two ways give the same cells.
func TestCellsByMinuteCountingMatchesComparing(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 4))
	for _, tc := range []struct {
		name    string
		sources int
		perSrc  int
		span    int32 // minutes the cells fall in
	}{
		{"dense", 300, 40, 2000},
		{"sparse", 50, 3, 1 << 22},
		{"one source", 1, 500, 600},
		{"empty", 20, 0, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := NewEngine(Options{KeyID: "LTAI5tTESTKEY00000000001"})
			src := make([][]minuteEntry, tc.sources)
			for i := range tc.sources {
				ip := &ipAgg{idx: uint32(i), internal: i%7 == 3}
				e.ipList = append(e.ipList, ip)
				seen := map[int32]bool{}
				var l []minuteEntry
				for range tc.perSrc {
					m := 1_000_000 + rng.Int32N(tc.span)
					if !seen[m] {
						seen[m] = true
						l = append(l, minuteEntry{m: m, c: &minuteCell{}})
					}
				}
				slices.SortFunc(l, func(a, b minuteEntry) int { return cmp.Compare(a.m, b.m) })
				src[i] = l
			}
			counted, compared := e.cellsByMinute(src, true), e.cellsByMinute(src, false)
			want := 0
			for idx, l := range src {
				if !e.ipList[idx].internal {
					want += len(l)
				}
			}
			if len(counted) != want || len(compared) != want {
				t.Fatalf("%d and %d cells, want %d (the internal sources' left out)", len(counted), len(compared), want)
			}
			for i := range counted {
				if counted[i] != compared[i] {
					t.Fatalf("cell %d: counted %+v, compared %+v", i, counted[i], compared[i])
				}
				if e.ipList[counted[i].ip].internal {
					t.Fatalf("cell %d is an internal source's", i)
				}
				if i > 0 && cmp.Or(cmp.Compare(counted[i-1].m, counted[i].m), cmp.Compare(counted[i-1].ip, counted[i].ip)) >= 0 {
					t.Fatalf("cells %d and %d out of (minute, source) order", i-1, i)
				}
			}
		})
	}
}

// CTX-02's evidence names each kept event's own local time: with more
// off-hours (source, hour) records than the finding keeps, offered in time
// order (each the latest so far, so kept and later replaced), every kept
// sample's detail is its event's time in --tz.
func TestOffHoursEvidenceSaysItsLocalTime(t *testing.T) {
	evSeq = 0
	var evs []*Event
	for i := range 6 * sampleK {
		// 03:00-04:59 Shanghai on consecutive nights, a new source each.
		at := night.Add(time.Duration(i/2)*24*time.Hour + time.Duration(i%2)*time.Hour + time.Duration(i)*time.Second)
		evs = append(evs, tev(at, fmt.Sprintf("203.0.113.%d", i+1), "Ecs", "DescribeInstances"))
	}
	f := findFinding(runEngine(baseOptions(), evs), "CTX-02")
	if f == nil || len(f.Evidence) != 2*sampleK {
		t.Fatalf("CTX-02: %+v, want %d evidence events", f, 2*sampleK)
	}
	for _, ev := range f.Evidence {
		if want := "local time " + ev.Time.In(shanghai).Format("Mon 2006-01-02 15:04 MST"); ev.Detail != want {
			t.Errorf("evidence of %s from %s: detail %q, want %q", ev.Time, ev.SourceIP, ev.Detail, want)
		}
	}
}
