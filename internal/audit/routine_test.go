package audit

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// backupHistory is a backup job deleting one snapshot every night at
// 02:00 Asia/Shanghai (18:00 UTC) from 10.1.2.3, for days days.
func backupHistory(days int) []*Event {
	var out []*Event
	for d := range days {
		t := time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC).AddDate(0, 0, d)
		out = append(out,
			&Event{ID: fmt.Sprintf("bak-r-%d", d), Time: t, Service: "Ecs", Name: "DescribeSnapshots", RW: "Read", SourceIP: "10.1.2.3", UserAgent: "aliyun-cli/3.0", AccessKeyID: "LTAI5tROUTINE", Region: "cn-hangzhou"},
			&Event{ID: fmt.Sprintf("bak-%d", d), Time: t.Add(time.Minute), Service: "Ecs", Name: "DeleteSnapshot", RW: "Write", SourceIP: "10.1.2.3", UserAgent: "aliyun-cli/3.0", AccessKeyID: "LTAI5tROUTINE", Region: "cn-hangzhou",
				Params: map[string]string{"SnapshotId": fmt.Sprintf("s-%d", d)}})
	}
	return out
}

func runEvents(evs []*Event) *Result {
	e := NewEngine(Options{KeyID: "LTAI5tROUTINE", Now: time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC)})
	for _, ev := range evs {
		e.Add(ev)
	}
	return e.Result()
}

func findingOf(r *Result, id string) *Finding {
	for i := range r.Findings {
		if r.Findings[i].ID == id {
			return &r.Findings[i]
		}
	}
	return nil
}

// TestRoutineBackupIsContext: a nightly DeleteSnapshot from the same
// address for 30 days raises no finding, is no onset, and is described as
// routine in the result and its reports.
func TestRoutineBackupIsContext(t *testing.T) {
	r := runEvents(backupHistory(30))
	if f := findingOf(r, "DEST-02"); f != nil {
		t.Fatalf("routine DeleteSnapshot raised %s %s", f.ID, f.Severity)
	}
	if r.HasAtLeast(High) || r.Verdict.Status == StatusSuspectedLeak {
		t.Errorf("verdict %s, findings %v", r.Verdict.Status, r.Findings)
	}
	if r.Window.BaselineBasis == "onset" {
		t.Errorf("a routine operation marked the onset")
	}
	if len(r.Routine) != 1 {
		t.Fatalf("routine %+v, want the backup job", r.Routine)
	}
	a := r.Routine[0]
	if a.RuleID != "DEST-02" || a.Source != "10.1.2.3" || a.Days != 30 || a.Events != 30 || a.Cadence != "daily" || a.LocalHour != 2 {
		t.Errorf("routine %+v", a)
	}
	// The line the reports show under ROUTINE (internal/cli
	// TestAuditRenderRoutine renders it).
	want := "DEST-02 DeleteSnapshot daily at 02:00 from 10.1.2.3 for 30 days: routine (30 events)"
	if a.String() != want {
		t.Errorf("routine line %q, want %q", a.String(), want)
	}
}

// TestRoutineDepartures: the routine's own source departing in volume or
// target set is judged (critical, cited), while its routine days are only
// counted; an attacker elsewhere is evidence and the routine is not.
func TestRoutineDepartures(t *testing.T) {
	attackDay := time.Date(2026, 3, 31, 7, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		extra    []*Event
		cited    int
		routineN int
	}{
		{"volume from the job's address", func() []*Event {
			var out []*Event
			for i := range 20 {
				out = append(out, &Event{ID: fmt.Sprintf("x-%d", i), Time: attackDay.Add(time.Duration(i) * time.Second), Service: "Ecs", Name: "DeleteSnapshot", RW: "Write", SourceIP: "10.1.2.3", UserAgent: "aliyun-cli/3.0", AccessKeyID: "LTAI5tROUTINE", Region: "cn-hangzhou", Params: map[string]string{"SnapshotId": fmt.Sprintf("s-prod-%d", i)}})
			}
			return out
		}(), 20, 30},
		{"new target from the job's address", []*Event{
			{ID: "x-img", Time: attackDay, Service: "Ecs", Name: "DeleteImage", RW: "Write", SourceIP: "10.1.2.3", UserAgent: "aliyun-cli/3.0", AccessKeyID: "LTAI5tROUTINE", Region: "cn-hangzhou", Params: map[string]string{"ImageId": "m-golden"}},
		}, 1, 30},
		{"attacker elsewhere", []*Event{
			{ID: "x-atk", Time: attackDay, Service: "Ecs", Name: "DeleteSnapshot", RW: "Write", SourceIP: "203.0.113.9", UserAgent: "aliyun-cli/3.0", AccessKeyID: "LTAI5tROUTINE", Region: "cn-hangzhou", Params: map[string]string{"SnapshotId": "s-prod"}},
		}, 1, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runEvents(append(backupHistory(30), tc.extra...))
			f := findingOf(r, "DEST-02")
			if f == nil || f.Severity != Critical {
				t.Fatalf("DEST-02 %+v, want critical", f)
			}
			if len(f.Evidence) != tc.cited || f.Count != tc.cited || f.RoutineCount != tc.routineN {
				t.Errorf("DEST-02 count %d, %d cited, routine %d; want %d, %d, %d", f.Count, len(f.Evidence), f.RoutineCount, tc.cited, tc.cited, tc.routineN)
			}
			for _, ev := range f.Evidence {
				if strings.HasPrefix(ev.EventID, "bak-") {
					t.Errorf("routine event %s cited", ev.EventID)
				}
			}
		})
	}
}

// TestRoutineNeedsCadence: four nights are not yet a routine.
func TestRoutineNeedsCadence(t *testing.T) {
	r := runEvents(backupHistory(4))
	if f := findingOf(r, "DEST-02"); f == nil || f.Severity != Critical || len(r.Routine) != 0 {
		t.Errorf("DEST-02 %+v, routine %+v: want critical and no routine", f, r.Routine)
	}
}

// TestEvidenceCompleteForFlaggedSources: a flagged source's 300 calls are
// all cited by CTX-03 (up to evidenceCap), and beyond the cap the count
// is in evidence_omitted.
func TestEvidenceCompleteForFlaggedSources(t *testing.T) {
	for _, n := range []int{300, evidenceCap + 40} {
		evs := backupHistory(20)
		start := time.Date(2026, 3, 25, 7, 0, 0, 0, time.UTC)
		for i := range n {
			evs = append(evs, &Event{ID: fmt.Sprintf("atk-%04d", i), Time: start.Add(time.Duration(i) * time.Second), Service: "Ecs", Name: "DescribeInstances", RW: "Read", SourceIP: "203.0.113.9", UserAgent: "python-requests/2.31", AccessKeyID: "LTAI5tROUTINE", Region: "cn-hangzhou"})
		}
		r := runEvents(evs)
		f := findingOf(r, "CTX-03")
		if f == nil {
			t.Fatalf("n=%d: no CTX-03", n)
		}
		if len(f.Evidence) != min(n, evidenceCap) || f.EvidenceOmitted != n-min(n, evidenceCap) {
			t.Errorf("n=%d: %d cited, %d omitted", n, len(f.Evidence), f.EvidenceOmitted)
		}
		if f.Evidence[0].EventID != "atk-0000" {
			t.Errorf("n=%d: first evidence %s, want the earliest", n, f.Evidence[0].EventID)
		}
	}
}
