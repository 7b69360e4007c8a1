package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
)

// regionalCloud answers LookupEventsIn per region: each region's own
// events plus the global ones; regions in fail answer an error.
type regionalCloud struct {
	fakeCloud
	home     string
	regions  []string
	byRegion map[string][]map[string]any
	global   []map[string]any
	fail     map[string]bool

	mu             sync.Mutex
	inFlight, peak int
	asked          []string
}

func (r *regionalCloud) Region() string { return r.home }

func (r *regionalCloud) ActionTrailRegions(context.Context) ([]string, error) { return r.regions, nil }

func (r *regionalCloud) LookupEventsIn(_ context.Context, region string, q cloud.LookupQuery, page func([]json.RawMessage) error) error {
	r.mu.Lock()
	r.inFlight++
	r.peak = max(r.peak, r.inFlight)
	r.asked = append(r.asked, region)
	r.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	defer func() { r.mu.Lock(); r.inFlight--; r.mu.Unlock() }()
	if r.fail[region] {
		return errors.New("Throttling.User: Request was denied due to user flow control")
	}
	var raw []json.RawMessage
	for _, e := range append(slices.Clone(r.byRegion[region]), r.global...) {
		t, _ := time.Parse(time.RFC3339, e["eventTime"].(string))
		if t.Before(q.Start) || t.After(q.End) {
			continue
		}
		b, _ := json.Marshal(e)
		raw = append(raw, b)
	}
	// Pages of 50, like the service.
	for len(raw) > 0 {
		n := min(50, len(raw))
		if err := page(raw[:n]); err != nil {
			return err
		}
		raw = raw[n:]
	}
	return nil
}

// TestRunReadsEveryRegion: a burst whose calls land in two regions (none
// in the configured one) alerts once with every call counted; a global
// event every region returns counts once; a region that fails is a
// diagnostic and the others are still evaluated, without feeding the
// baselines; at most regionsConcurrency regions are read at once; an
// explicit list reads exactly its regions; every region failing fails the
// run.
func TestRunReadsEveryRegion(t *testing.T) {
	var regions []string
	for i := 0; i < 9; i++ {
		regions = append(regions, fmt.Sprintf("xx-region-%d", i))
	}
	c := &regionalCloud{home: "cn-hangzhou", regions: append([]string{"cn-hangzhou"}, regions...), byRegion: map[string][]map[string]any{},
		fail: map[string]bool{"xx-region-8": true}}
	c.byRegion["xx-region-3"] = burst("LTAI5tLEAK", 90, t0.Add(-10*time.Minute), "python")
	c.byRegion["xx-region-5"] = burst("LTAI5tLEAK", 60, t0.Add(-5*time.Minute), "python")
	c.byRegion["xx-region-8"] = burst("LTAI5tQUIET", 3, t0.Add(-5*time.Minute), "python")
	c.byRegion["cn-hangzhou"] = burst("LTAI5tQUIET", 3, t0.Add(-4*time.Minute), "java")
	root := ev(0, t0.Add(-2*time.Minute), "LTAI5tROOT", "root-account", "ListUsers", "cli")
	root["serviceName"] = "Ram"
	c.global = []map[string]any{root}

	st := NewState()
	st.Counts["LTAI5tQUIET"] = []int{2, 2}
	res, err := Run(context.Background(), c, st, Options{Now: t0, Window: 30 * time.Minute, Threshold: 100})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Alert{}
	for _, a := range res.Alerts {
		if _, dup := got[a.Rule]; dup {
			t.Fatalf("rule %s alerted twice: %+v", a.Rule, res.Alerts)
		}
		got[a.Rule] = a
	}
	if len(res.Alerts) != 2 || got[RuleFrequency].Count != 150 || got[RuleFrequency].AccessKeyID != "LTAI5tLEAK" || got[RuleRootKey].Count != 1 {
		t.Fatalf("alerts = %+v", res.Alerts)
	}
	if len(res.Failed) != 1 || res.Failed[0].Region != "xx-region-8" || len(res.Regions) != 9 || slices.Contains(res.Regions, "xx-region-8") {
		t.Fatalf("regions read %v, failed %+v", res.Regions, res.Failed)
	}
	if len(res.Diagnostics) != 1 || !strings.Contains(res.Diagnostics[0], "region xx-region-8 could not be read") || !strings.Contains(res.Diagnostics[0], "Throttling.User") {
		t.Fatalf("diagnostics = %q", res.Diagnostics)
	}
	if !slices.Equal(res.State.Counts["LTAI5tQUIET"], []int{2, 2}) {
		t.Fatalf("a run that missed a region fed the baseline: %v", res.State.Counts["LTAI5tQUIET"])
	}
	// One request per page of 50: 2 each for the burst regions (90 and 60
	// calls, plus the global event), 1 for every other region read.
	if res.LookupPages != 2+2+7 {
		t.Fatalf("%d LookupEvents pages, want 11", res.LookupPages)
	}
	if c.peak > regionsConcurrency || c.peak < 2 {
		t.Fatalf("%d regions read at once, want 2..%d", c.peak, regionsConcurrency)
	}

	// The next run, over the same window: nothing new.
	again, err := Run(context.Background(), c, res.State, Options{Now: t0.Add(time.Minute), Window: 30 * time.Minute, Threshold: 100})
	if err != nil || len(again.Alerts) != 0 {
		t.Fatalf("second run: %+v %v", again, err)
	}

	// A list reads exactly its regions.
	c.asked = nil
	res, err = Run(context.Background(), c, NewState(), Options{Now: t0, Threshold: 100, Regions: []string{"xx-region-5"}})
	if err != nil || !slices.Equal(c.asked, []string{"xx-region-5"}) || len(res.Alerts) != 1 || res.Alerts[0].Rule != RuleRootKey {
		t.Fatalf("--regions xx-region-5: asked %v, %+v %v", c.asked, res, err)
	}

	// Every region failing fails the run.
	if _, err := Run(context.Background(), c, NewState(), Options{Now: t0, Regions: []string{"xx-region-8"}}); err == nil || !strings.Contains(err.Error(), "every ActionTrail region failed") {
		t.Fatalf("all regions failed: %v", err)
	}
}
