package respond

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/akresp/akresp/internal/cloud"
)

// Cost is what the attacker's instances cost, from the bills (BSS
// QueryInstanceBill) of the billing cycles since the onset.
type Cost struct {
	// SoFar is the spend of the plan's instances in the incident window
	// (the billing cycles since the earliest instance's creation).
	SoFar float64 `json:"spend_so_far"`
	// PerHour is what the instances still running cost per hour if nothing
	// is stopped (each instance's billed amount / billed hours).
	PerHour  float64  `json:"spend_per_hour_if_not_stopped"`
	Currency string   `json:"currency,omitempty"`
	Cycles   []string `json:"billing_cycles"`
	// Instances counts the plan's instances found in the bills.
	Instances int `json:"instances_billed"`
	// Warning says why the cost is missing or partial ("" = complete).
	Warning string `json:"warning,omitempty"`
}

// EradicateCost reads the bills of the plan's instances. A missing
// billing permission is not an error: the Cost carries one warning.
func EradicateCost(ctx context.Context, b BillReader, p *Plan, now time.Time) *Cost {
	if len(p.Instances) == 0 {
		return nil
	}
	cost := &Cost{}
	if b == nil {
		cost.Warning = "cost not shown: these clients cannot read bills"
		return cost
	}
	first := now
	want := map[string]PlanInstance{}
	for _, in := range p.Instances {
		want[in.ID] = in
		if !in.Created.IsZero() && in.Created.Before(first) {
			first = in.Created
		}
	}
	type acc struct{ amount, hours float64 }
	per := map[string]*acc{}
	// The cycles are months of the billing calendar (UTC+8), not of UTC:
	// the last hours of a UTC month are billed in the next cycle.
	f, n := first.In(cloud.BillingZone), now.In(cloud.BillingZone)
	for m := time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, cloud.BillingZone); !m.After(n); m = m.AddDate(0, 1, 0) {
		cycle := m.Format("2006-01")
		cost.Cycles = append(cost.Cycles, cycle)
		items, err := b.QueryInstanceBill(ctx, cycle, "ecs")
		if err != nil {
			if errors.Is(err, cloud.ErrNoPermission) {
				return &Cost{Warning: "cost not shown: no permission to read bills (bssapi:QueryInstanceBill); grant AliyunBSSReadOnlyAccess to see what the attacker's instances cost"}
			}
			return &Cost{Warning: "cost not shown: QueryInstanceBill " + cycle + ": " + err.Error()}
		}
		for _, it := range items {
			if _, ok := want[it.InstanceID]; !ok {
				continue
			}
			a := per[it.InstanceID]
			if a == nil {
				a = &acc{}
				per[it.InstanceID] = a
			}
			a.amount += it.PretaxAmount
			a.hours += it.ServiceSeconds / 3600
			cost.SoFar += it.PretaxAmount
			if it.Currency != "" {
				cost.Currency = it.Currency
			}
		}
	}
	cost.Instances = len(per)
	for id, a := range per {
		if st := want[id].Status; st == "Running" && a.hours > 0 {
			cost.PerHour += a.amount / a.hours
		}
	}
	if !finite(cost.SoFar) || !finite(cost.PerHour) {
		// Figures no bill can hold (an amount near the float limit, a
		// service period of a fraction of a nanosecond): a number the
		// responder cannot use, and one -o json cannot encode.
		return &Cost{Instances: cost.Instances, Currency: cost.Currency,
			Warning: "cost not shown: the bills' amounts or service periods are out of range (QueryInstanceBill)"}
	}
	cost.SoFar = math.Round(cost.SoFar*100) / 100
	cost.PerHour = math.Round(cost.PerHour*100) / 100
	if cost.Instances < len(want) {
		cost.Warning = fmt.Sprintf("%d of %d instances are not in the bills yet (bills lag usage by about a day)", len(want)-cost.Instances, len(want))
	}
	return cost
}

func finite(x float64) bool { return !math.IsInf(x, 0) && !math.IsNaN(x) }
