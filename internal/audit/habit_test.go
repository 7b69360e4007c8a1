package audit

import (
	"testing"
	"time"
)

// CTX-02 leaves out an off-hours call in an hour of the week that holds at
// least 1 % of the key's calls in a warm baseline: the office's night call
// on Wednesday 03:00 (Shanghai) is habit when the key was busy on the
// previous Wednesday at 03:00, not when it was busy an hour later or a day
// earlier.
func TestOffHoursHabitByHourOfWeek(t *testing.T) {
	week := 7 * 24 * time.Hour
	for _, tc := range []struct {
		name  string
		busy  time.Time // 10 calls of another source from here
		fires bool
	}{
		{"no habit", time.Time{}, true},
		{"same hour of the week before", night.Add(-week), false},
		{"an hour later the week before", night.Add(-week + time.Hour), true},
		{"a day earlier", night.Add(-week - 24*time.Hour), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evSeq = 0
			evs := officeWeek(leakStart.Add(-2 * time.Hour))
			if !tc.busy.IsZero() {
				evs = append(evs, repeat(10, func(i int) *Event {
					return tev(tc.busy.Add(time.Duration(i)*time.Minute), officeB, "Oss", "GetBucketInfo")
				})...)
			}
			evs = append(evs, office(night, "Ecs", "DescribeInstances"))
			opts := baseOptions()
			opts.LeakTime = leakStart
			r := runEngine(opts, evs)
			f := findFinding(r, "CTX-02")
			fired := false
			if f != nil {
				for _, ip := range f.IPs {
					fired = fired || ip == officeA
				}
			}
			if fired != tc.fires {
				t.Fatalf("CTX-02 for the office's night call: fired %v, want %v (finding %+v)", fired, tc.fires, f)
			}
		})
	}
}
