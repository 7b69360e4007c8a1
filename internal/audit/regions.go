package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/akresp/akresp/internal/cloud"
)

// ActionTrail is regional: LookupEvents at one region's endpoint returns
// that region's events and the global services' (RAM, IMS, STS) events,
// which every region holds. An online audit therefore reads every region
// the key may have used.

// RegionalEventLooker reads one region's ActionTrail events
// (*cloud.Clients). A Cloud without it is read through LookupEvents alone.
type RegionalEventLooker interface {
	LookupEventsIn(ctx context.Context, region string, q cloud.LookupQuery, page func(events []json.RawMessage) error) error
	Region() string
}

// RegionLister lists the regions ActionTrail serves (DescribeRegions).
type RegionLister interface {
	ActionTrailRegions(ctx context.Context) ([]string, error)
}

// lastUsedEventsReader is GetAccessKeyLastUsedEvents: one record per API
// the key called, each with the event of its latest use (acsRegion).
type lastUsedEventsReader interface {
	AccessKeyLastUsedEvents(ctx context.Context, keyID, service string) ([]cloud.LastUsedEvent, error)
}

// Regions values beside a list of region IDs: RegionsAll (the default)
// reads every region ActionTrail serves (DescribeRegions) plus every region
// the key used; RegionsUsed reads only the configured region, the regions
// of the key's last-used records and the regions its events name (cheaper,
// but the last-used records keep only the latest use of each API, so a
// region where the key only repeated calls it made later elsewhere is
// missed).
const (
	RegionsAll  = "all"
	RegionsUsed = "used"
)

// RegionsRead says which regions an online audit read.
type RegionsRead struct {
	// Basis is how the regions were chosen: "all", "used" or "list"
	// (--regions).
	Basis  string          `json:"basis"`
	Read   []string        `json:"read"`
	Failed []RegionFailure `json:"failed,omitempty"`
	// Note says what limited the choice (DescribeRegions failed).
	Note string `json:"note,omitempty"`
}

// RegionFailure is a region whose events could not be read.
type RegionFailure struct {
	Region string `json:"region"`
	Error  string `json:"error"`
}

var reRegion = regexp.MustCompile(`^[a-z]{2,4}(?:-[a-z0-9]+)+$`)

// ParseRegions reads a --regions value: "all", "used", or a
// comma-separated list of region IDs. "" means the default (nil: all).
func ParseRegions(v string) ([]string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	if strings.EqualFold(v, RegionsAll) || strings.EqualFold(v, RegionsUsed) {
		return []string{strings.ToLower(v)}, nil
	}
	var out []string
	for _, r := range strings.Split(v, ",") {
		r = strings.TrimSpace(r)
		if !reRegion.MatchString(r) {
			return nil, fmt.Errorf("--regions: %q is not a region ID like cn-hangzhou (give \"all\", \"used\" or a comma-separated list)", r)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// errHomeFailed is the cause that stops the other regions' lookups once
// the configured region failed.
var errHomeFailed = errors.New("the configured region failed")

// pageStop marks an error returned by the caller's page callback: it ends
// the whole lookup instead of failing one region.
type pageStop struct{ err error }

func (p *pageStop) Error() string { return p.err.Error() }
func (p *pageStop) Unwrap() error { return p.err }

// lookupRegionsConcurrency bounds the regions read at once; the clients'
// shared LookupEvents limiter keeps the account within its quota.
const lookupRegionsConcurrency = 4

// lookupRegions runs q in every region to read and hands the pages to page
// one at a time, each event once (a global event appears in every region;
// events are matched by eventId, case-insensitively). The default (regions
// nil, or RegionsAll) reads the configured region, the regions of the
// key's last-used records and every region DescribeRegions lists;
// RegionsUsed drops the DescribeRegions list; both then add every further
// region the events read name (acsRegion). A list reads exactly its
// regions. A region that fails is recorded; the lookup fails only when the
// configured region (or, with a list, every region) fails, or when page
// returns an error.
func lookupRegions(ctx context.Context, c Cloud, regions []string, keyID string, q cloud.LookupQuery, page func([]json.RawMessage) error) (*RegionsRead, error) {
	rl, ok := c.(RegionalEventLooker)
	if !ok {
		return nil, c.LookupEvents(ctx, q, page)
	}
	home := rl.Region()
	rr := &RegionsRead{Basis: RegionsAll}
	var queue []string
	switch {
	case len(regions) == 1 && regions[0] == RegionsUsed:
		rr.Basis = RegionsUsed
		queue = append([]string{home}, lastUsedRegions(ctx, c, keyID)...)
	case len(regions) > 0 && regions[0] != RegionsAll:
		rr.Basis = "list"
		queue = regions
	default:
		queue = append([]string{home}, lastUsedRegions(ctx, c, keyID)...)
		lister, ok := c.(RegionLister)
		if !ok {
			rr.Note = "these clients cannot list ActionTrail's regions: read the regions the key used"
			break
		}
		all, err := lister.ActionTrailRegions(ctx)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			rr.Note = "DescribeRegions failed (" + err.Error() + "): read the regions the key used"
			break
		}
		queue = append(queue, all...)
	}

	// A failed configured region fails the lookup: stop the other regions
	// instead of waiting out their retries.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu      sync.Mutex // guards everything below and serialises page
		seenEv  = map[string]bool{}
		planned = map[string]bool{}
		stopErr error
		wg      sync.WaitGroup
		sem     = make(chan struct{}, lookupRegionsConcurrency)
	)
	failures := map[string]error{}
	var start func(region string)
	start = func(region string) { // caller holds mu
		if planned[region] || !reRegion.MatchString(region) {
			return
		}
		planned[region] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			err := rl.LookupEventsIn(ctx, region, q, func(events []json.RawMessage) error {
				mu.Lock()
				defer mu.Unlock()
				if stopErr != nil {
					return &pageStop{stopErr}
				}
				fresh := events[:0:0]
				for _, raw := range events {
					var head struct {
						ID     string `json:"eventId"`
						Region string `json:"acsRegion"`
					}
					_ = json.Unmarshal(raw, &head)
					if id := strings.ToUpper(head.ID); id != "" {
						if seenEv[id] {
							continue
						}
						seenEv[id] = true
					}
					if rr.Basis != "list" && head.Region != "" {
						start(head.Region)
					}
					fresh = append(fresh, raw)
				}
				if len(fresh) == 0 {
					return nil
				}
				if err := page(fresh); err != nil {
					stopErr = err
					return &pageStop{err}
				}
				return nil
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				var ps *pageStop
				if !errors.As(err, &ps) && context.Cause(ctx) != errHomeFailed {
					failures[region] = err
					if region == home && rr.Basis != "list" {
						cancel(errHomeFailed)
					}
				}
			}
		}()
	}
	mu.Lock()
	for _, r := range queue {
		start(r)
	}
	mu.Unlock()
	wg.Wait()

	if stopErr != nil {
		return rr, stopErr
	}
	if err, bad := failures[home]; bad && rr.Basis != "list" {
		// The configured region's own error, unwrapped by nothing but the
		// region, so callers still see the cloud error (code, hints).
		return rr, fmt.Errorf("region %s: %w", home, err)
	}
	if err := ctx.Err(); err != nil {
		return rr, err
	}
	for r := range planned {
		if err, bad := failures[r]; bad {
			rr.Failed = append(rr.Failed, RegionFailure{Region: r, Error: err.Error()})
		} else {
			rr.Read = append(rr.Read, r)
		}
	}
	sort.Strings(rr.Read)
	sort.Slice(rr.Failed, func(i, j int) bool { return rr.Failed[i].Region < rr.Failed[j].Region })
	if len(rr.Read) == 0 && len(rr.Failed) > 0 {
		return rr, fmt.Errorf("every region failed; %s: %w", rr.Failed[0].Region, failures[rr.Failed[0].Region])
	}
	return rr, nil
}

// lastUsedRegions are the regions of the key's last-used records
// (GetAccessKeyLastUsedProducts, and GetAccessKeyLastUsedEvents per
// product when the clients offer it): each record carries the event of
// its latest use. Errors leave the list short; the events read then name
// further regions.
func lastUsedRegions(ctx context.Context, c Cloud, keyID string) []string {
	var out []string
	add := func(detail json.RawMessage) {
		var d struct {
			Region string `json:"acsRegion"`
		}
		if json.Unmarshal(detail, &d) == nil && d.Region != "" && !slices.Contains(out, d.Region) {
			out = append(out, d.Region)
		}
	}
	products, err := c.AccessKeyLastUsedProducts(ctx, keyID)
	if err != nil {
		return nil
	}
	evr, _ := c.(lastUsedEventsReader)
	for i, p := range products {
		add(p.Detail)
		if evr == nil || i >= maxLastUsedProducts || p.ServiceName == "" {
			continue
		}
		evs, err := evr.AccessKeyLastUsedEvents(ctx, keyID, p.ServiceName)
		if err != nil {
			continue
		}
		for _, e := range evs {
			add(e.Detail)
		}
	}
	return out
}

// Summary is the one-line account of the regions read, for the renderers:
// "cn-hangzhou, us-west-1 (regions the key used); failed: eu-west-1
// (Throttling.User ...)". "" when r is nil.
func (r *RegionsRead) Summary() string {
	if r == nil {
		return ""
	}
	basis := map[string]string{RegionsUsed: "regions the key used", RegionsAll: "every region", "list": "--regions"}[r.Basis]
	s := strings.Join(r.Read, ", ")
	if s == "" {
		s = "none"
	}
	if basis != "" {
		s += " (" + basis + ")"
	}
	if r.Note != "" {
		s += "; " + r.Note
	}
	if len(r.Failed) > 0 {
		var f []string
		for _, x := range r.Failed {
			f = append(f, x.Region+": "+x.Error)
		}
		s += "; FAILED: " + strings.Join(f, "; ") + " (events there are missing; rerun, or read those regions with --regions)"
	}
	return s
}
