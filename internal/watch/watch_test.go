package watch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
)

type fakeCloud struct {
	events   []map[string]any
	insights []cloud.InsightEvent
	lookups  int
	queries  []cloud.LookupQuery
}

func (f *fakeCloud) LookupEvents(_ context.Context, q cloud.LookupQuery, page func([]json.RawMessage) error) error {
	f.lookups++
	f.queries = append(f.queries, q)
	var raw []json.RawMessage
	for _, e := range f.events {
		t, _ := time.Parse(time.RFC3339, e["eventTime"].(string))
		if t.Before(q.Start) || t.After(q.End) {
			continue
		}
		b, _ := json.Marshal(e)
		raw = append(raw, b)
	}
	return page(raw)
}

func (f *fakeCloud) LookupInsightEvents(context.Context, cloud.InsightQuery) ([]cloud.InsightEvent, error) {
	return f.insights, nil
}

var t0 = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

func ev(n int, at time.Time, key, typ, name, ua string) map[string]any {
	return map[string]any{"eventId": fmt.Sprintf("E-%s-%d-%d", key, at.Unix(), n), "eventTime": at.Format(time.RFC3339), "eventName": name,
		"serviceName": "Ecs", "sourceIpAddress": "203.0.113.9", "userAgent": ua, "eventRW": "Read",
		"userIdentity": map[string]any{"type": typ, "accessKeyId": key, "userName": "u"}}
}

func burst(key string, n int, at time.Time, ua string) []map[string]any {
	var out []map[string]any
	for i := 0; i < n; i++ {
		out = append(out, ev(i, at.Add(time.Duration(i)*time.Second), key, "ram-user", "DescribeInstances", ua))
	}
	return out
}

// TestRunDeduplicatesAndBaselines: a burst over the threshold alerts once
// across overlapping runs; akresp's own calls never count; a key whose own
// baseline is high does not alert at the threshold; a root key alerts on one
// call; one LookupEvents query serves every key.
func TestRunDeduplicatesAndBaselines(t *testing.T) {
	f := &fakeCloud{}
	f.events = append(f.events, burst("LTAI5tLEAK", 150, t0.Add(-10*time.Minute), "python")...)
	f.events = append(f.events, burst("LTAI5tSELF", 500, t0.Add(-10*time.Minute), "akresp/v1 (responder)")...)
	f.events = append(f.events, ev(0, t0.Add(-5*time.Minute), "LTAI5tROOT", "root-account", "ListUsers", "cli"))
	o := Options{Now: t0, Window: 30 * time.Minute, Threshold: 100}
	res, err := Run(context.Background(), f, NewState(), o)
	if err != nil {
		t.Fatal(err)
	}
	alerts, st := res.Alerts, res.State
	if len(alerts) != 2 || f.lookups != 1 {
		t.Fatalf("alerts = %+v, lookups %d; want 2 alerts from 1 lookup", alerts, f.lookups)
	}
	rules := map[string]Alert{}
	for _, a := range alerts {
		rules[a.Rule] = a
	}
	if a := rules[RuleFrequency]; a.AccessKeyID != "LTAI5tLEAK" || a.Count != 150 || a.Baseline != nil {
		t.Fatalf("frequency alert = %+v", a)
	}
	if a := rules[RuleRootKey]; a.AccessKeyID != "LTAI5tROOT" || a.Severity != "critical" {
		t.Fatalf("root alert = %+v", a)
	}
	// Five minutes later the window still holds the same events: nothing new.
	o.Now = t0.Add(5 * time.Minute)
	res, err = Run(context.Background(), f, st, o)
	if err != nil || len(res.Alerts) != 0 {
		t.Fatalf("second run: %+v %v", res, err)
	}
	st2 := res.State
	// A new burst after the covered one alerts again.
	f.events = append(f.events, burst("LTAI5tLEAK", 120, t0.Add(6*time.Minute), "python")...)
	o.Now = t0.Add(10 * time.Minute)
	res, err = Run(context.Background(), f, st2, o)
	if err != nil || len(res.Alerts) != 1 || res.Alerts[0].Count != 120 {
		t.Fatalf("third run: %+v %v", res, err)
	}

	// A key that makes ~300 calls per window every run has that as its
	// baseline: 300 is not 5 times it.
	busy := NewState()
	busy.Counts["LTAI5tBUSY"] = []int{280, 320, 300}
	g := &fakeCloud{events: burst("LTAI5tBUSY", 300, t0.Add(-20*time.Minute), "java")}
	if r, err := Run(context.Background(), g, busy, Options{Now: t0, Threshold: 100}); err != nil || len(r.Alerts) != 0 {
		t.Fatalf("busy key alerted: %+v %v", r, err)
	}
}

// TestRunInsightsOnce: an Insights event alerts once, keyed by its id.
func TestRunInsightsOnce(t *testing.T) {
	f := &fakeCloud{insights: []cloud.InsightEvent{{EventID: "INS-1", Type: "AkInsight", Object: "LTAI5tLEAK", Time: t0.Add(-time.Minute), InsightCount: 40, Baseline: 0.5}}}
	o := Options{Now: t0, Insights: true}
	res, err := Run(context.Background(), f, NewState(), o)
	if err != nil {
		t.Fatal(err)
	}
	a, st := res.Alerts, res.State
	if len(a) != 1 || a[0].InsightEventID != "INS-1" || a[0].AccessKeyID != "LTAI5tLEAK" || !strings.HasPrefix(a[0].Investigate, "akresp audit LTAI5tLEAK") {
		t.Fatalf("insight alert = %+v %v", a, err)
	}
	if r, err := Run(context.Background(), f, st, o); err != nil || len(r.Alerts) != 0 {
		t.Fatalf("insight alerted twice: %+v %v", r, err)
	}
}

// TestWebhookFormats: each format posts the shape its bot accepts, and a
// non-2xx answer is an error.
func TestWebhookFormats(t *testing.T) {
	a := Alert{ID: "x", Severity: "high", Summary: "sum", Investigate: "akresp audit K"}
	for format, want := range map[string]string{
		FormatSlack:    `{"text":"[akresp high] sum\nInvestigate: akresp audit K"}`,
		FormatDingTalk: `{"msgtype":"text","text":{"content":"[akresp high] sum\nInvestigate: akresp audit K"}}`,
		FormatLark:     `{"content":{"text":"[akresp high] sum\nInvestigate: akresp audit K"},"msg_type":"text"}`,
	} {
		b, err := WebhookBody(a, format)
		if err != nil || string(b) != want {
			t.Errorf("%s body = %s (%v), want %s", format, b, err, want)
		}
	}
	if _, err := WebhookBody(a, "teams"); err == nil {
		t.Error("unknown format accepted")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer srv.Close()
	if err := Post(context.Background(), srv.Client(), srv.URL, FormatJSON, a); err == nil || !strings.Contains(err.Error(), "HTTP 500") {
		t.Fatalf("post to a failing hook: %v", err)
	}
}

// TestStateSealed: the state round-trips through the sealed file and an
// edit is refused.
func TestStateSealed(t *testing.T) {
	base := t.TempDir() + "/state"
	st := NewState()
	st.Covered["ak_frequency|K"] = t0
	if err := SaveState(base, st); err != nil {
		t.Fatal(err)
	}
	got, err := LoadState(base)
	if err != nil || !got.Covered["ak_frequency|K"].Equal(t0) {
		t.Fatalf("loaded %+v, %v", got, err)
	}
	p, _ := StatePath(base)
	b, _ := readFile(p)
	if err := writeFile(p, []byte(strings.Replace(string(b), "ak_frequency|K", "ak_frequency|L", 1))); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadState(base); err == nil {
		t.Fatal("an edited state file was accepted")
	}
}
