package cloud

import (
	"context"
	"math"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters holds one token bucket per API ("<Service>.<Action>"), shared by
// every goroutine using the same *Clients, so a fan-out cannot exceed the
// account quota the service enforces per API.
type limiters struct {
	scale     float64
	overrides map[string]float64

	mu sync.Mutex
	m  map[string]*rate.Limiter
}

func newLimiters(s settings) *limiters {
	return &limiters{scale: s.RateScale, overrides: s.Limits, m: map[string]*rate.Limiter{}}
}

// get returns the limiter for key, creating it on first use.
func (l *limiters) get(service, action string) *rate.Limiter {
	key := service + "." + action
	l.mu.Lock()
	defer l.mu.Unlock()
	if lim, ok := l.m[key]; ok {
		return lim
	}
	r, ok := l.overrides[key]
	if !ok {
		r = defaultRate(service, action) * l.scale
	}
	limit := rate.Limit(r)
	if math.IsInf(r, 1) {
		limit = rate.Inf
	}
	// Burst 1: requests are spaced evenly instead of bunching at the start
	// of each second, which is what trips per-second server quotas.
	lim := rate.NewLimiter(limit, 1)
	l.m[key] = lim
	return lim
}

// wait blocks until the API's limiter admits one request or ctx ends.
func (l *limiters) wait(ctx context.Context, service, action string) error {
	lim := l.get(service, action)
	r := lim.Reserve()
	d := r.Delay()
	if d == 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel()
		return ctx.Err()
	}
}

// defaultRate is the client-side quota in requests per second, from the
// published per-account API quotas (alibaba-cloud-api.md §19, read 2026):
// RAM reads 100, writes 20, attach/detach and group membership 10; IMS is
// assumed to follow RAM (no published numbers); ActionTrail LookupEvents 2,
// GetAccessKeyLastUsed* 50, other reads 100; STS 100.
func defaultRate(service, action string) float64 {
	switch service {
	case "RAM", "IMS":
		switch {
		case strings.HasPrefix(action, "Attach"), strings.HasPrefix(action, "Detach"),
			action == "AddUserToGroup", action == "RemoveUserFromGroup",
			action == "DecodeDiagnosticMessage":
			return 10
		case strings.HasPrefix(action, "Get"), strings.HasPrefix(action, "List"):
			return 100
		default:
			return 20
		}
	case "ActionTrail":
		switch {
		case action == "LookupEvents", action == "LookupInsightEvents": // the latter's quota is unpublished (trails.go)
			return 2
		case strings.HasPrefix(action, "GetAccessKeyLastUsed"):
			return 50
		case strings.HasPrefix(action, "Create"), strings.HasPrefix(action, "Update"),
			strings.HasPrefix(action, "Delete"), action == "StartLogging", action == "StopLogging":
			return 5
		default:
			return 100
		}
	case "STS":
		return 100
	}
	return 10
}
