package lab

import (
	"fmt"
	"strconv"
	"testing"
	"time"
)

// A billing cycle is a calendar month in UTC+8: the hours an instance ran
// on the last evening (UTC) of February 2024 after 16:00Z are March's,
// through the SDK's generic client as internal/cloud calls it.
func TestBSSCyclesAreUTCPlus8Months(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	w := NewWorld(Account{ID: defaultAccountID, Alias: defaultAccountAlias})
	w.ECS = newECS()
	// Eight hours from 12:00Z to 20:00Z on 29 February: four before
	// 1 March 00:00 UTC+8 (16:00Z), four after.
	w.ECS.Instances["i-boundary"] = &ECSInstance{ID: "i-boundary", Region: "cn-hangzhou", InstanceType: "ecs.g7.2xlarge",
		ChargeType: "PostPaid", Status: "Stopped", Created: at("2024-02-29T12:00:00Z"),
		Billed: []ECSPeriod{{Start: at("2024-02-29T12:00:00Z"), End: at("2024-02-29T20:00:00Z")}}}
	clock := newTestClock(at("2024-03-10T00:00:00Z"))
	f := newFixture(t, Options{World: w, Clock: clock.Now})
	for cycle, want := range map[string]float64{"2024-02": 4 * 2.00, "2024-03": 4 * 2.00, "2024-01": 0} {
		body, err := f.rpc(f.root, "2017-12-14", "QueryInstanceBill", map[string]string{"BillingCycle": cycle, "ProductCode": "ecs"}, "")
		mustOK(t, err)
		data, _ := body["Data"].(map[string]any)
		items, _ := data["Items"].(map[string]any)
		rows, _ := items["Item"].([]any)
		got := 0.0
		for _, r := range rows {
			row, _ := r.(map[string]any)
			// The generic client decodes numbers as json.Number.
			amount, err := strconv.ParseFloat(fmt.Sprint(row["PretaxAmount"]), 64)
			if err != nil {
				t.Fatalf("cycle %s: PretaxAmount %v: %v", cycle, row["PretaxAmount"], err)
			}
			got += amount
		}
		if got != want {
			t.Errorf("cycle %s: billed %.2f, want %.2f (rows %v)", cycle, got, want, rows)
		}
	}
}
