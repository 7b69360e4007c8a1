package respond

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
)

// billFake is a BillReader serving fixed rows per billing cycle and
// recording every call (cycle and product code).
type billFake struct {
	rows  map[string][]cloud.BillItem
	errs  map[string]error
	calls []string
}

func (f *billFake) QueryInstanceBill(_ context.Context, cycle, product string) ([]cloud.BillItem, error) {
	f.calls = append(f.calls, cycle+"/"+product)
	if err := f.errs[cycle]; err != nil {
		return nil, err
	}
	return f.rows[cycle], nil
}

func costAt(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// row is one bill row of id: amount over seconds of service.
func row(id string, amount, seconds float64, currency string) cloud.BillItem {
	return cloud.BillItem{InstanceID: id, ProductCode: "ecs", PretaxAmount: amount, ServiceSeconds: seconds, Currency: currency}
}

// A plan without instances has no cost at all (nil: no section, no
// warning) and reads no bill, even with a reader or none.
func TestEradicateCostNoInstances(t *testing.T) {
	f := &billFake{}
	if c := EradicateCost(context.Background(), f, &Plan{}, costAt("2024-03-10T00:00:00Z")); c != nil {
		t.Errorf("cost = %+v, want nil", c)
	}
	if c := EradicateCost(context.Background(), nil, &Plan{}, costAt("2024-03-10T00:00:00Z")); c != nil {
		t.Errorf("cost without reader = %+v, want nil", c)
	}
	if len(f.calls) != 0 {
		t.Errorf("bills read: %v, want none", f.calls)
	}
}

// Clients that cannot read bills (no BillReader) give a Cost carrying only
// the warning that says so: no figures, no cycles.
func TestEradicateCostNoReader(t *testing.T) {
	p := &Plan{Instances: []PlanInstance{{ID: "i-a", Status: "Running", Created: costAt("2024-03-01T00:00:00Z")}}}
	c := EradicateCost(context.Background(), nil, p, costAt("2024-03-10T00:00:00Z"))
	want := &Cost{Warning: "cost not shown: these clients cannot read bills"}
	if c == nil || fmt.Sprintf("%+v", *c) != fmt.Sprintf("%+v", *want) {
		t.Errorf("cost = %+v, want %+v", c, want)
	}
}

// The spend attributed to the attacker is the sum of the bill rows of the
// plan's instances only (the office's instance in the same bills is not
// counted), over every billing cycle from the earliest instance's creation
// month to now's, asked for product "ecs". The hourly rate counts only the
// instances still Running: each one's billed amount over its billed hours
// (ServiceSeconds / 3600), summed over all its rows and cycles. The last
// non-empty currency is kept; both figures are rounded to the cent.
func TestEradicateCostAttackerSpendAndRate(t *testing.T) {
	f := &billFake{rows: map[string][]cloud.BillItem{
		"2024-01": {
			row("i-run", 10, 36000, "CNY"),     // 10 h
			row("i-office", 1000, 3600, "USD"), // not the attacker's
		},
		"2024-02": {
			row("i-run", 20, 36000, "CNY"), // 10 h more: 30 over 20 h = 1.5/h
			row("i-stop", 5.006, 3600, ""), // stopped: so far only
		},
		"2024-03": {
			row("i-run2", 2, 3600, "CNY"), // 2/h
		},
	}}
	p := &Plan{Instances: []PlanInstance{
		{ID: "i-run", Status: "Running", Created: costAt("2024-01-15T08:00:00Z")},
		{ID: "i-stop", Status: "Stopped", Created: costAt("2024-02-20T00:00:00Z")},
		{ID: "i-run2", Status: "Running", Created: costAt("2024-03-01T00:00:00Z")},
	}}
	c := EradicateCost(context.Background(), f, p, costAt("2024-03-10T12:00:00Z"))
	if c == nil {
		t.Fatal("cost = nil")
	}
	if c.SoFar != 37.01 { // 10 + 20 + 5.006 + 2 = 37.006, rounded
		t.Errorf("spend so far = %v, want 37.01", c.SoFar)
	}
	if c.PerHour != 3.5 { // i-run 30/20 + i-run2 2/1; i-stop not running
		t.Errorf("spend per hour = %v, want 3.5", c.PerHour)
	}
	if c.Currency != "CNY" {
		t.Errorf("currency = %q, want CNY (the office's USD row is not the attacker's; an empty one keeps the last)", c.Currency)
	}
	if want := []string{"2024-01", "2024-02", "2024-03"}; !slices.Equal(c.Cycles, want) {
		t.Errorf("cycles = %v, want %v", c.Cycles, want)
	}
	if want := []string{"2024-01/ecs", "2024-02/ecs", "2024-03/ecs"}; !slices.Equal(f.calls, want) {
		t.Errorf("calls = %v, want %v", f.calls, want)
	}
	if c.Instances != 3 || c.Warning != "" {
		t.Errorf("instances billed = %d, warning = %q; want 3 and none", c.Instances, c.Warning)
	}
}

// Rounding is to the cent, half away from zero, on the totals (not per
// row): 0.004 + 0.004 is 0.01, not 0; a rate of 1.006/h is 1.01.
func TestEradicateCostRoundsToTheCent(t *testing.T) {
	f := &billFake{rows: map[string][]cloud.BillItem{"2024-03": {
		row("i-a", 0.004, 3600, "CNY"),
		row("i-a", 0.004, 3600, "CNY"),
		row("i-b", 1.006, 3600, "CNY"),
	}}}
	p := &Plan{Instances: []PlanInstance{
		{ID: "i-a", Status: "Stopped", Created: costAt("2024-03-02T00:00:00Z")},
		{ID: "i-b", Status: "Running", Created: costAt("2024-03-02T00:00:00Z")},
	}}
	c := EradicateCost(context.Background(), f, p, costAt("2024-03-10T00:00:00Z"))
	if c.SoFar != 1.01 { // 1.014
		t.Errorf("spend so far = %v, want 1.01", c.SoFar)
	}
	if c.PerHour != 1.01 { // 1.006
		t.Errorf("spend per hour = %v, want 1.01", c.PerHour)
	}
	f.rows["2024-03"] = []cloud.BillItem{row("i-a", 0.004, 3600, "CNY"), row("i-a", 0.004, 3600, "CNY")}
	if c := EradicateCost(context.Background(), f, p, costAt("2024-03-10T00:00:00Z")); c.SoFar != 0.01 {
		t.Errorf("spend so far of two 0.004 rows = %v, want 0.01 (rounded once, on the total)", c.SoFar)
	}
}

// Instances of the plan not in the bills yet (bills lag a day) are
// counted in a warning, "N of M", while the figures of the billed ones
// stay; a plan listing an instance twice counts it once.
func TestEradicateCostNotYetBilled(t *testing.T) {
	f := &billFake{rows: map[string][]cloud.BillItem{"2024-03": {row("i-a", 4, 7200, "CNY")}}}
	p := &Plan{Instances: []PlanInstance{
		{ID: "i-a", Status: "Running", Created: costAt("2024-03-02T00:00:00Z")},
		{ID: "i-b", Status: "Running", Created: costAt("2024-03-09T00:00:00Z")},
		{ID: "i-c", Status: "Running", Created: costAt("2024-03-09T00:00:00Z")},
		{ID: "i-c", Status: "Running", Created: costAt("2024-03-09T00:00:00Z")},
	}}
	c := EradicateCost(context.Background(), f, p, costAt("2024-03-10T00:00:00Z"))
	if want := "2 of 3 instances are not in the bills yet (bills lag usage by about a day)"; c.Warning != want {
		t.Errorf("warning = %q, want %q", c.Warning, want)
	}
	if c.Instances != 1 || c.SoFar != 4 || c.PerHour != 2 {
		t.Errorf("cost = %+v, want 1 instance billed, 4 so far, 2 per hour", c)
	}
	// None billed: every instance is counted, the figures are 0.
	f.rows = nil
	c = EradicateCost(context.Background(), f, p, costAt("2024-03-10T00:00:00Z"))
	if want := "3 of 3 instances are not in the bills yet (bills lag usage by about a day)"; c.Warning != want || c.Instances != 0 || c.SoFar != 0 || c.PerHour != 0 {
		t.Errorf("cost = %+v, want the 3 of 3 warning and zeros", c)
	}
}

// The incident window: creation times that are zero (unknown) or after
// now do not move the first cycle, so with none known only now's cycle is
// read; the cycles run across a year end; a now at the very first instant
// of a month includes that month's cycle. Cycles are months of the billing
// calendar, UTC+8: from 16:00 UTC on a month's last day it is the next
// cycle, for the creation as for now.
func TestEradicateCostBillingCycles(t *testing.T) {
	for _, tc := range []struct {
		name    string
		created []time.Time
		now     time.Time
		want    []string
	}{
		{"unknown and future creation", []time.Time{{}, costAt("2024-05-01T00:00:00Z")}, costAt("2024-03-10T00:00:00Z"), []string{"2024-03"}},
		{"across the year end", []time.Time{costAt("2023-12-31T15:59:59Z"), {}}, costAt("2024-01-31T16:00:00Z"), []string{"2023-12", "2024-01", "2024-02"}},
		{"UTC evening of a month's last day", []time.Time{costAt("2024-01-31T16:00:00Z")}, costAt("2024-02-29T20:00:00Z"), []string{"2024-02", "2024-03"}},
		{"UTC+8 creation", []time.Time{costAt("2024-02-01T08:00:00+08:00")}, costAt("2024-02-10T00:00:00Z"), []string{"2024-02"}},
		{"earliest wins", []time.Time{costAt("2024-02-10T00:00:00Z"), costAt("2023-11-30T00:00:00Z")}, costAt("2024-01-05T00:00:00Z"), []string{"2023-11", "2023-12", "2024-01"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Plan{}
			for i, cr := range tc.created {
				p.Instances = append(p.Instances, PlanInstance{ID: fmt.Sprintf("i-%d", i), Status: "Running", Created: cr})
			}
			f := &billFake{}
			c := EradicateCost(context.Background(), f, p, tc.now)
			if !slices.Equal(c.Cycles, tc.want) {
				t.Errorf("cycles = %v, want %v", c.Cycles, tc.want)
			}
			if len(f.calls) != len(tc.want) {
				t.Errorf("calls = %v, want one per cycle", f.calls)
			}
		})
	}
}

// Without permission to read bills (an error that is, or wraps,
// cloud.ErrNoPermission) the Cost is one warning naming the RAM action and
// the policy to grant, with no figures, even when earlier cycles were read;
// the reading stops at the refusal.
func TestEradicateCostNoPermission(t *testing.T) {
	f := &billFake{
		rows: map[string][]cloud.BillItem{"2024-02": {row("i-a", 9, 3600, "CNY")}},
		errs: map[string]error{"2024-03": fmt.Errorf("BSS QueryInstanceBill: %w", cloud.ErrNoPermission)},
	}
	p := &Plan{Instances: []PlanInstance{{ID: "i-a", Status: "Running", Created: costAt("2024-02-01T00:00:00Z")}}}
	c := EradicateCost(context.Background(), f, p, costAt("2024-04-10T00:00:00Z"))
	want := Cost{Warning: "cost not shown: no permission to read bills (bssapi:QueryInstanceBill); grant AliyunBSSReadOnlyAccess to see what the attacker's instances cost"}
	if c == nil || fmt.Sprintf("%+v", *c) != fmt.Sprintf("%+v", want) {
		t.Errorf("cost = %+v, want %+v", c, want)
	}
	if want := []string{"2024-02/ecs", "2024-03/ecs"}; !slices.Equal(f.calls, want) {
		t.Errorf("calls = %v, want %v (stop at the refusal)", f.calls, want)
	}
}

// Any other error reading a cycle is not an error of the run either: the
// Cost is one warning naming the cycle and the error, with no figures.
func TestEradicateCostOtherError(t *testing.T) {
	f := &billFake{errs: map[string]error{"2024-03": errors.New("throttled")}}
	p := &Plan{Instances: []PlanInstance{{ID: "i-a", Status: "Running", Created: costAt("2024-03-01T00:00:00Z")}}}
	c := EradicateCost(context.Background(), f, p, costAt("2024-03-10T00:00:00Z"))
	want := Cost{Warning: "cost not shown: QueryInstanceBill 2024-03: throttled"}
	if c == nil || fmt.Sprintf("%+v", *c) != fmt.Sprintf("%+v", want) {
		t.Errorf("cost = %+v, want %+v", c, want)
	}
}

// Bill rows without usable hours (ServicePeriod not in seconds or
// unparsable gives ServiceSeconds 0; a hostile negative one) do not make
// a rate: a running instance with no positive billed hours adds nothing
// per hour (no division by zero, no +Inf, NaN or negative rate), while its
// amount still counts in the spend so far. A negative amount (a refund)
// lowers the spend so far.
func TestEradicateCostUnusableHours(t *testing.T) {
	f := &billFake{rows: map[string][]cloud.BillItem{"2024-03": {
		row("i-zero", 7, 0, "CNY"),
		row("i-nil", 0, 0, "CNY"),
		row("i-neg", 3, -7200, "CNY"),
		row("i-ok", 6, 3*3600, "CNY"),
		row("i-ok", -1, 0, "CNY"),
	}}}
	p := &Plan{}
	for _, id := range []string{"i-zero", "i-nil", "i-neg", "i-ok"} {
		p.Instances = append(p.Instances, PlanInstance{ID: id, Status: "Running", Created: costAt("2024-03-02T00:00:00Z")})
	}
	c := EradicateCost(context.Background(), f, p, costAt("2024-03-10T00:00:00Z"))
	if c.SoFar != 15 {
		t.Errorf("spend so far = %v, want 15", c.SoFar)
	}
	if c.PerHour != 1.67 {
		t.Errorf("spend per hour = %v, want 1.67 (i-ok 5 over 3 h only)", c.PerHour)
	}
	if c.Instances != 4 || c.Warning != "" {
		t.Errorf("instances billed = %d, warning %q; want 4, none", c.Instances, c.Warning)
	}
	if _, err := json.Marshal(c); err != nil {
		t.Errorf("cost does not encode: %v", err)
	}
}

// The -o json field names of docs/eradicate.md's cost (schema
// akresp.eradicate/v3): currency and warning are left out when empty.
func TestEradicateCostJSON(t *testing.T) {
	b, err := json.Marshal(&Cost{SoFar: 1.5, PerHour: 0.25, Cycles: []string{"2024-03"}, Instances: 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"spend_so_far":1.5,"spend_per_hour_if_not_stopped":0.25,"billing_cycles":["2024-03"],"instances_billed":2}`; string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
	b, _ = json.Marshal(&Cost{Currency: "CNY", Warning: "w"})
	if s := string(b); !strings.Contains(s, `"currency":"CNY"`) || !strings.Contains(s, `"warning":"w"`) {
		t.Errorf("json = %s, want currency and warning", s)
	}
}

// Hostile or absurd bills (amounts near the float64 limit, or a tiny
// ServicePeriod against a plausible amount) would overflow the totals to
// +Inf, which `-o json` cannot encode and the text output would print: the
// cost is then not shown, with a warning saying why.
func TestEradicateCostNonFiniteTotals(t *testing.T) {
	f := &billFake{rows: map[string][]cloud.BillItem{"2024-03": {
		row("i-a", math.MaxFloat64, 3600, "CNY"),
		row("i-a", math.MaxFloat64, 3600, "CNY"),
		row("i-b", 100000, 1e-300, "CNY"),
	}}}
	p := &Plan{Instances: []PlanInstance{
		{ID: "i-a", Status: "Stopped", Created: costAt("2024-03-02T00:00:00Z")},
		{ID: "i-b", Status: "Running", Created: costAt("2024-03-02T00:00:00Z")},
	}}
	c := EradicateCost(context.Background(), f, p, costAt("2024-03-10T00:00:00Z"))
	if math.IsInf(c.SoFar, 0) || math.IsNaN(c.SoFar) || math.IsInf(c.PerHour, 0) || math.IsNaN(c.PerHour) {
		t.Errorf("cost = %+v: non-finite figures", c)
	}
	if _, err := json.Marshal(&Plan{Cost: c}); err != nil {
		t.Errorf("plan with cost does not encode: %v", err)
	}
	if c.SoFar != 0 || c.PerHour != 0 || !strings.Contains(c.Warning, "out of range") {
		t.Errorf("cost = %+v: want no figures and a warning that the bills are out of range", c)
	}
}
