package audit

import (
	"fmt"
	"testing"
	"time"
)

// launchHistory is a job launching one instance of instanceType every
// night from 10.1.2.3 for days days.
func launchHistory(days int, instanceType string) []*Event {
	var out []*Event
	for d := range days {
		t := time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC).AddDate(0, 0, d)
		out = append(out, launch(fmt.Sprintf("job-%d", d), t, instanceType, 1))
	}
	return out
}

func launch(id string, t time.Time, instanceType string, amount int) *Event {
	return &Event{ID: id, Time: t, Service: "Ecs", Name: "RunInstances", RW: "Write", SourceIP: "10.1.2.3", UserAgent: "aliyun-cli/3.0",
		AccessKeyID: "LTAI5tROUTINE", Region: "cn-hangzhou",
		Params: map[string]string{"InstanceType": instanceType, "Amount": fmt.Sprint(amount), "RegionId": "cn-hangzhou"}}
}

// TestRoutineComputeDepartures: a job's nightly launches are routine (no
// COST-01); a day on which it departs is judged by what happened that day
// as any other launch: critical for a GPU type or 5 instances in an hour,
// high otherwise, whatever the routine days launched. (Volume departs at
// more than max(3 x the median day, the median + 5) launches: 7 here.)
func TestRoutineComputeDepartures(t *testing.T) {
	day := time.Date(2026, 3, 31, 1, 0, 0, 0, time.UTC) // 09:00 in Shanghai: office hours
	for _, tc := range []struct {
		name    string
		history string
		extra   []*Event
		want    Severity // Info: no finding
	}{
		{"routine alone", "ecs.g6.large", nil, Info},
		{"routine GPU alone", "ecs.gn7i-c8g1.2xlarge", nil, Info},
		{"a GPU type departs", "ecs.g6.large", []*Event{launch("x-gpu", day, "ecs.gn7i-c8g1.2xlarge", 1)}, Critical},
		{"a CPU type departs from a GPU routine", "ecs.gn7i-c8g1.2xlarge", []*Event{launch("x-cpu", day, "ecs.c7.large", 1)}, High},
		{"volume: seven launches in an hour", "ecs.g6.large", func() []*Event {
			var out []*Event
			for i := range 7 {
				out = append(out, launch(fmt.Sprintf("x-%d", i), day.Add(time.Duration(i)*time.Minute), "ecs.g6.large", 1))
			}
			return out
		}(), Critical},
		{"volume: seven launches over seven hours", "ecs.g6.large", func() []*Event {
			var out []*Event
			for i := range 7 {
				out = append(out, launch(fmt.Sprintf("x-%d", i), day.Add(time.Duration(i)*time.Hour), "ecs.g6.large", 1))
			}
			return out
		}(), High},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runEvents(append(launchHistory(30, tc.history), tc.extra...))
			f := findingOf(r, "COST-01")
			switch {
			case tc.want == Info && f != nil:
				t.Fatalf("routine launches raised COST-01 %s (%d events cited)", f.Severity, len(f.Evidence))
			case tc.want == Info:
				return
			case f == nil:
				t.Fatalf("no COST-01, want %s", tc.want)
			case f.Severity != tc.want:
				t.Errorf("COST-01 %s, want %s", f.Severity, tc.want)
			}
			if len(f.Evidence) != len(tc.extra) || f.RoutineCount != 30 {
				t.Errorf("COST-01 cites %d events (routine %d), want the %d of the departing day (routine 30)", len(f.Evidence), f.RoutineCount, len(tc.extra))
			}
		})
	}
}
