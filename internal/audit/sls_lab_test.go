package audit_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/cloud/slsq"
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/lab/slsemu"
	"github.com/akresp/akresp/internal/redact"
)

const (
	slsAK     = "LTAI5tSLSLAB000000000001"
	slsSecret = "sls-lab-secret-0123456789abcdef"
)

var slsTarget = slsq.Target{Project: "trail-proj", Logstore: "actiontrail_leak"}

// startSLS serves the lab's recorded events from an SLS logstore.
func startSLS(t *testing.T, events []lab.Event, faults slsemu.Faults) (*slsemu.Server, *slsq.Client) {
	t.Helper()
	return startSLSIndexed(t, events, faults, nil)
}

// startSLSIndexed is startSLS with only the given event sub-keys indexed
// (nil: every key ActionTrail's delivery indexes).
func startSLSIndexed(t *testing.T, events []lab.Event, faults slsemu.Faults, keys []string) (*slsemu.Server, *slsq.Client) {
	t.Helper()
	srv, err := slsemu.New(slsemu.Options{Credentials: map[string]string{slsAK: slsSecret}, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if err := srv.CreateLogstore(slsemu.LogstoreSpec{Project: slsTarget.Project, Name: slsTarget.Logstore, Keys: keys}); err != nil {
		t.Fatal(err)
	}
	rows := make([]slsemu.Row, 0, len(events))
	for _, ev := range events {
		rows = append(rows, slsemu.Row{Time: ev.Time.Unix(), Event: ev.MarshalRaw()})
	}
	if err := srv.Append(context.Background(), slsTarget.Project, slsTarget.Logstore, rows); err != nil {
		t.Fatal(err)
	}
	c, err := slsq.New(slsq.Config{
		Endpoint:        "http://cn-hangzhou.log.aliyuncs.com",
		AccessKeyID:     slsAK,
		AccessKeySecret: redact.Secret(slsSecret),
		HTTPClient:      &http.Client{Transport: &http.Transport{DialContext: srv.DialContext}, Timeout: 30 * time.Second},
		Backoff:         func(int) time.Duration { return time.Millisecond },
		UserAgent:       "akresp/test",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return srv, c
}

type findingSum struct {
	ID       string
	Severity audit.Severity
	Count    int
	Evidence []string
}

func summariseFindings(r *audit.Result) []findingSum {
	var out []findingSum
	for _, f := range r.Findings {
		s := findingSum{ID: f.ID, Severity: f.Severity, Count: f.Count}
		for _, e := range f.Evidence {
			s.Evidence = append(s.Evidence, e.EventID)
		}
		out = append(out, s)
	}
	return out
}

// TestSLSEqualsOnline: the builtin:leak key audited by push-down to the
// lab's SLS logstore gives the findings LookupEvents gives, also when SLS
// answers Incomplete and a scan cap forces window splitting.
func TestSLSEqualsOnline(t *testing.T) {
	if os.Getenv("AKRESP_MUTATE_AUDIT_RULES") != "" {
		// scripts/mutate.sh audit-rules: both sides run the same rules, so a
		// mutant of a rule changes both alike; 13 of the package's 21 s.
		t.Skip("compares two readers over the same rules")
	}
	env := startLab(t, "builtin:leak", lab.Options{})
	leaked := env.info.Notes["leaked_key_id"]
	admin := env.clients(t, "admin", cloud.Config{})
	now := time.Now()
	since := now.Add(-89 * 24 * time.Hour)
	online, err := audit.Investigate(context.Background(), admin, audit.InvestigateOptions{
		Engine: audit.Options{KeyID: leaked, Now: now}, Online: true, Since: since, Until: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := summariseFindings(online)
	if len(want) == 0 {
		t.Fatal("online audit found nothing; the comparison would prove nothing")
	}
	events := env.srv.Events()

	// The search part needs only these sub-keys indexed; every other field
	// then comes from json_extract_scalar over the event JSON.
	minimal := []string{"userIdentity.accessKeyId", "eventRW", "errorCode", "eventName"}
	for _, tc := range []struct {
		name      string
		faults    slsemu.Faults
		minSplits int
		keys      []string
	}{
		{"clean", slsemu.Faults{}, 0, nil},
		{"incomplete twice", slsemu.Faults{IncompleteFirst: 2}, 0, nil},
		{"scan cap", slsemu.Faults{ScanCap: 40}, 1, nil},
		{"quota then busy", slsemu.Faults{QuotaFirst: 2}, 0, nil},
		{"minimal index", slsemu.Faults{}, 0, minimal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := startSLSIndexed(t, events, tc.faults, tc.keys)
			got, rep, err := audit.InvestigateSLS(context.Background(), admin, c, audit.SLSOptions{
				Investigate: audit.InvestigateOptions{Engine: audit.Options{KeyID: leaked, Now: now}, Online: true, Since: since, Until: now},
				Target:      slsTarget,
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, summariseFindings(got)); diff != "" {
				t.Errorf("SLS findings differ from online (-online +sls):\n%s", diff)
			}
			if got.Verdict.Status != online.Verdict.Status || !slices.Equal(got.Verdict.SuggestedTrustedCIDRs, online.Verdict.SuggestedTrustedCIDRs) {
				t.Errorf("verdict %s %v, online %s %v", got.Verdict.Status, got.Verdict.SuggestedTrustedCIDRs, online.Verdict.Status, online.Verdict.SuggestedTrustedCIDRs)
			}
			if got.Window.Events != online.Window.Events || rep.Events != int64(online.Window.Events) {
				t.Errorf("events: sls engine %d, Q5 %d, online %d", got.Window.Events, rep.Events, online.Window.Events)
			}
			if rep.GroupedEvents == 0 || rep.RawEvents == 0 {
				t.Errorf("expected both whole and grouped events, got raw %d grouped %d", rep.RawEvents, rep.GroupedEvents)
			}
			splits := 0
			for _, q := range rep.Queries {
				splits += q.Splits
			}
			if splits < tc.minSplits {
				t.Errorf("splits %d, want at least %d", splits, tc.minSplits)
			}
			if st := srv.Stats(); tc.faults.IncompleteFirst > 0 && st.Incomplete == 0 {
				t.Errorf("no Incomplete answer was served: %+v", st)
			}
		})
	}
}

// busiestMinute is the minute with the most events of key, and how many.
func busiestMinute(events []lab.Event, key string) (time.Time, int) {
	per := map[int64]int{}
	for _, ev := range events {
		if ev.UserIdentity.AccessKeyID == key {
			per[ev.Time.Unix()/60]++
		}
	}
	var best int64
	for m, n := range per {
		if n > per[best] || (n == per[best] && m < best) {
			best = m
		}
	}
	return time.Unix(best*60, 0).UTC(), per[best]
}

// TestSLSIncompleteFails: a window that stays Incomplete at one minute
// fails the audit and names exactly that window. The audit window is the
// two hours around the key's busiest minute, so the split from the whole
// window down to single minutes stays short; with a scan cap of one row,
// every minute holding two or more of the key's events stays incomplete.
func TestSLSIncompleteFails(t *testing.T) {
	env := startLab(t, "builtin:leak", lab.Options{})
	leaked := env.info.Notes["leaked_key_id"]
	events := env.srv.Events()
	minute, n := busiestMinute(events, leaked)
	if n < 2 {
		t.Fatalf("builtin:leak has no minute with two events of the leaked key (busiest %s: %d)", minute, n)
	}
	now := time.Now()
	since, until := minute.Add(-time.Hour), minute.Add(time.Hour)
	if until.After(now) {
		until = now
	}
	_, c := startSLS(t, events, slsemu.Faults{ScanCap: 1})
	_, _, err := audit.InvestigateSLS(context.Background(), nil, c, audit.SLSOptions{
		Investigate: audit.InvestigateOptions{Engine: audit.Options{KeyID: leaked, Now: now}, Since: since, Until: until},
		Target:      slsTarget,
	})
	var ie *audit.SLSIncompleteError
	if !errors.As(err, &ie) || len(ie.Missing) == 0 {
		t.Fatalf("want an SLSIncompleteError naming windows, got %v", err)
	}
	want := slsq.Window{From: minute.Unix(), To: minute.Unix() + 60}
	found := false
	for _, w := range ie.Missing {
		if w.From < since.Unix() || w.To > until.Unix()+1 {
			t.Errorf("missing window %s lies outside the audit window", w)
		}
		if w.From <= want.From && w.To >= want.To {
			found = true
		}
		if w.To-w.From > 3600 {
			t.Errorf("missing window %s was not split down to minutes", w)
		}
	}
	if !found {
		t.Errorf("missing windows %v do not name the busiest minute %s", ie.Missing, want)
	}
	if !strings.Contains(err.Error(), want.String()[:len("2006-01-02T15:04")]) || !strings.Contains(err.Error(), "no findings are reported") {
		t.Errorf("error does not name the window: %v", err)
	}
	if ie.Hint() == "" {
		t.Error("no hint")
	}
}
