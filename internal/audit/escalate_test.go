package audit

import (
	"strings"
	"testing"
)

// The catalogue's section 0: a finding is raised one level when a CTX-02 or
// CTX-04 hit of the same key falls in the same or an adjacent clock hour
// (never two hours away), or when its evidence comes from a source CTX-03
// flagged; context findings, critical ones and the rules that restate
// novelty are never raised; the reason names the context rule (the lowest
// id when two share an hour, the first of the finding's hours in time).
func TestEscalateWithinAnHour(t *testing.T) {
	e := NewEngine(Options{KeyID: testKey, Now: testNow})
	hours := func(hs ...int32) map[int32]struct{} {
		m := map[int32]struct{}{}
		for _, h := range hs {
			m[h] = struct{}{}
		}
		return m
	}
	fb := func(id string, sev Severity, ip string, hs ...int32) *findingBuilder {
		b := &findingBuilder{id: id, sev: sev, hours: hours(hs...), ips: map[string]int{}}
		if ip != "" {
			b.ips[ip] = 1
		}
		return b
	}
	ctx02 := fb("CTX-02", Low, "", 100)
	ctx04 := fb("CTX-04", High, "", 100, 200)
	ctx02b := fb("CTX-02", Low, "", 210)
	ctx03 := fb("CTX-03", Medium, "203.0.113.9", 500)
	same := fb("EXEC-01", Medium, "10.0.0.1", 100)
	after := fb("ENUM-02", Medium, "10.0.0.1", 101)
	before := fb("ENUM-03", Medium, "10.0.0.1", 99)
	twoAway := fb("EXFIL-02", Medium, "10.0.0.1", 102)
	twoBefore := fb("PRIV-02", Medium, "10.0.0.1", 98)
	novelty := fb("ANOM-04", Medium, "10.0.0.1", 100)
	critical := fb("PERS-03", Critical, "10.0.0.1", 100)
	firstHour := fb("DEST-02", Low, "10.0.0.1", 209, 201)
	fromFlagged := fb("COST-01", High, "203.0.113.9", 900)
	// CTX-04 (hours 399-401) comes first, then CTX-02 (401-403): hour 401
	// names the lower id, CTX-02.
	ctx04c := fb("CTX-04", High, "", 400)
	ctx02c := fb("CTX-02", Low, "", 402)
	overlap := fb("EXEC-02", Medium, "10.0.0.1", 401)
	// A new source that only repeats the key's known reads (roaming) is no
	// reason to raise what it did, even where CTX-03 lists it.
	roam := &ipAgg{}
	e.ips = map[string]*ipAgg{"198.51.100.7": roam}
	e.rt.roaming = map[*ipAgg]bool{roam: true}
	ctx03.ips["198.51.100.7"] = 1
	fromRoaming := fb("ENUM-04", Medium, "198.51.100.7", 700)
	out := e.escalate([]*findingBuilder{ctx02, ctx04, ctx02b, ctx03, ctx04c, ctx02c, same, after, before, twoAway, twoBefore, novelty, critical, firstHour, fromFlagged, overlap, fromRoaming})

	for _, tc := range []struct {
		b       *findingBuilder
		want    Severity
		because string // "" = not raised
	}{
		{same, High, "within an hour of a CTX-02 hit"}, // CTX-02 and CTX-04 share hour 100: the lower id
		{after, High, "within an hour of a CTX-02 hit"},
		{before, High, "within an hour of a CTX-02 hit"},
		{twoAway, Medium, ""},
		{twoBefore, Medium, ""},
		{novelty, Medium, ""},
		{critical, Critical, ""},
		{firstHour, Medium, "within an hour of a CTX-04 hit"}, // hour 201 (CTX-04's 200) comes before 209 (CTX-02's 210)
		{fromFlagged, Critical, "activity from a source flagged by CTX-03"},
		{overlap, High, "within an hour of a CTX-02 hit"},
		{fromRoaming, Medium, ""},
		{ctx02, Low, ""},
		{ctx04, High, ""},
		{ctx03, Medium, ""},
	} {
		why, raised := out[tc.b]
		if tc.b.sev != tc.want || raised != (tc.because != "") || !strings.HasPrefix(why, tc.because) {
			t.Errorf("%s at hours %v: severity %s, reason %q (raised %v); want %s, %q", tc.b.id, tc.b.hours, tc.b.sev, why, raised, tc.want, tc.because)
		}
	}
}
