package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/safetext"
)

// ActionTrail is regional: LookupEvents at one region's endpoint answers
// that region's events and the global services' (RAM, IMS, STS) events,
// which every region holds. Watch reads every region, like the audit
// (internal/audit/regions.go), so that an attacker's calls in a region
// nobody uses are seen.

// regionsConcurrency bounds the regions read at once. It does not raise
// the request rate: every region's LookupEvents goes through the clients'
// one LookupEvents limiter (2 requests/s per account, internal/cloud
// ratelimit.go), so the reads share that budget.
const regionsConcurrency = 4

// readRegions runs q in every region to read and hands the pages to page
// one at a time, each event once (a global event comes back from every
// region; events are matched by eventId, case-insensitively). Clients that
// are not regional are read through LookupEvents alone. A region that
// fails is recorded in res (Failed, Diagnostics) and the others are still
// read; the read fails only when every region fails, the context ends, or
// page returns an error.
func readRegions(ctx context.Context, c Cloud, regions []string, q cloud.LookupQuery, res *Result, page func([]json.RawMessage) error) error {
	rl, ok := c.(audit.RegionalEventLooker)
	if !ok {
		return c.LookupEvents(ctx, q, page)
	}
	home := rl.Region()
	var queue []string
	if len(regions) > 0 && regions[0] != audit.RegionsAll {
		queue = slices.Clone(regions)
	} else {
		queue = []string{home}
		if lister, ok := c.(audit.RegionLister); ok {
			all, err := lister.ActionTrailRegions(ctx)
			switch {
			case err != nil && ctx.Err() != nil:
				return ctx.Err()
			case err != nil:
				res.Diagnostics = append(res.Diagnostics, "DescribeRegions failed ("+safetext.Line(err.Error())+"): read only "+home+"; calls in other regions are missed this run")
			}
			for _, r := range all {
				if !slices.Contains(queue, r) {
					queue = append(queue, r)
				}
			}
		}
	}

	var (
		mu       sync.Mutex // serialises page and guards what follows
		seen     = map[string]bool{}
		stopErr  error
		failures = map[string]error{}
		wg       sync.WaitGroup
		sem      = make(chan struct{}, regionsConcurrency)
	)
	for _, region := range queue {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			err := rl.LookupEventsIn(ctx, region, q, func(events []json.RawMessage) error {
				mu.Lock()
				defer mu.Unlock()
				if stopErr != nil {
					return errStopped
				}
				fresh := events[:0:0]
				for _, raw := range events {
					var head struct {
						ID string `json:"eventId"`
					}
					_ = json.Unmarshal(raw, &head)
					if id := strings.ToUpper(head.ID); id != "" {
						if seen[id] {
							continue
						}
						seen[id] = true
					}
					fresh = append(fresh, raw)
				}
				if err := page(fresh); err != nil {
					stopErr = err
					return errStopped
				}
				return nil
			})
			if err != nil && !errors.Is(err, errStopped) {
				mu.Lock()
				failures[region] = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if stopErr != nil {
		return stopErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, r := range queue {
		if err, bad := failures[r]; bad {
			res.Failed = append(res.Failed, audit.RegionFailure{Region: r, Error: safetext.Line(err.Error())})
		} else {
			res.Regions = append(res.Regions, r)
		}
	}
	sort.Strings(res.Regions)
	sort.Slice(res.Failed, func(i, j int) bool { return res.Failed[i].Region < res.Failed[j].Region })
	if len(res.Regions) == 0 && len(res.Failed) > 0 {
		f := res.Failed[0]
		return fmt.Errorf("watch: every ActionTrail region failed; %s: %w", f.Region, failures[f.Region])
	}
	for _, f := range res.Failed {
		res.Diagnostics = append(res.Diagnostics, fmt.Sprintf("region %s could not be read (%s): its events are missing from this run, the other regions were evaluated", f.Region, f.Error))
	}
	return nil
}

// errStopped ends a region's lookup after another region's page failed.
var errStopped = errors.New("watch: lookup stopped")
