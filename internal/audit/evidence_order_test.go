package audit

import (
	"testing"
	"time"
)

// Evidence lists the flagged sources' events first, each part in time
// order, even when a known, unflagged source's matching event came
// earlier (a medium rule: the office's forward entry does not flag it).
func TestEvidenceFlaggedSourcesFirst(t *testing.T) {
	evSeq = 0
	evs := officeWeek(leakStart.Add(-2 * time.Hour))
	evs = append(evs,
		office(work, "Vpc", "CreateForwardEntry"),
		office(work.Add(10*time.Minute), "Vpc", "CreateForwardEntry"),
		intruder(work.Add(time.Hour), "Vpc", "CreateForwardEntry"),
		intruder(work.Add(2*time.Hour), "Vpc", "CreateForwardEntry"))
	r := runEngine(baseOptions(), evs)
	f := findFinding(r, "PERS-08")
	if f == nil {
		t.Fatalf("no PERS-08: %+v", r.Findings)
	}
	for _, s := range r.Sources {
		if s.IP == officeA && s.Flagged {
			t.Fatalf("the office is flagged (%v): the test needs an unflagged source", s.Reasons)
		}
	}
	var got []string
	for _, e := range f.Evidence {
		got = append(got, e.SourceIP+" "+e.Time.Format(time.TimeOnly))
	}
	want := []string{
		attacker + " " + work.Add(time.Hour).Format(time.TimeOnly),
		attacker + " " + work.Add(2*time.Hour).Format(time.TimeOnly),
		officeA + " " + work.Format(time.TimeOnly),
		officeA + " " + work.Add(10*time.Minute).Format(time.TimeOnly),
	}
	if len(got) != len(want) {
		t.Fatalf("evidence %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("evidence %v, want %v (flagged first, each in time order)", got, want)
		}
	}
}
