package lab

import (
	"encoding/json"
	"testing"
	"time"
)

// TestInsightsModel drives the Insights APIs with the official generic
// client: nothing is computed while Insights is off; after EnableInsight a
// burst of 40 calls of one key from one address within a minute is one
// AkInsight for the key and one IpInsight for the address, with stable ids,
// the statistics of the model and the related event, and an unknown type is
// InsightTypeNotAvailable.
func TestInsightsModel(t *testing.T) {
	f := newFixture(t, Options{})
	app := f.addUser("app", "AdministratorAccess")
	const v = "2020-07-06"

	types, err := f.rpc(f.root, v, "GetInsightTypes", nil, "")
	mustOK(t, err)
	if got := types["InsightTypes"].(map[string]any)["AkInsight"]; got != "Disable" {
		t.Fatalf("AkInsight before EnableInsight = %v, want Disable", got)
	}
	burst := func(n int) {
		for i := 0; i < n; i++ {
			_, err := f.rpc(app, "2014-05-26", "DescribeInstances", map[string]string{"RegionId": "cn-hangzhou"}, "127.0.0.66")
			mustOK(t, err)
		}
	}
	burst(40)
	lookup := func(q map[string]string) []map[string]any {
		t.Helper()
		out, err := f.rpc(f.root, v, "LookupInsightEvents", q, "")
		mustOK(t, err)
		var evs []map[string]any
		b, _ := json.Marshal(out["Events"])
		if err := json.Unmarshal(b, &evs); err != nil {
			t.Fatal(err)
		}
		return evs
	}
	if evs := lookup(nil); len(evs) != 0 {
		t.Fatalf("Insights off: %d events, want 0", len(evs))
	}

	time.Sleep(1100 * time.Millisecond) // Insights analyse from the whole second they were enabled
	_, err = f.rpc(f.root, v, "EnableInsight", map[string]string{"InsightType": "Bogus"}, "")
	wantCode(t, err, "InsightTypeNotAvailable", 400)
	for _, typ := range []string{"AkInsight", "IpInsight"} {
		_, err = f.rpc(f.root, v, "EnableInsight", map[string]string{"InsightType": typ}, "")
		mustOK(t, err)
	}
	// The earlier burst happened before Insights was enabled: not analysed.
	if evs := lookup(nil); len(evs) != 0 {
		t.Fatalf("burst before EnableInsight: %d events, want 0", len(evs))
	}
	burst(40)
	ak := lookup(map[string]string{"LookupAttribute.1.Key": "InsightType", "LookupAttribute.1.Value": "AkInsight"})
	if len(ak) != 1 {
		t.Fatalf("AkInsight events = %d, want 1: %v", len(ak), ak)
	}
	d := ak[0]["insightDetails"].(map[string]any)
	if d["insightObject"] != app.id || ak[0]["eventType"] != "ActionTrailInsight" || ak[0]["eventCategory"] != "Insight" {
		t.Fatalf("AkInsight = %v", ak[0])
	}
	st := d["insightContext"].(map[string]any)["statistics"].(map[string]any)
	if st["insightCount"].(float64) < insightMinCalls || st["insightDuration"].(float64) != 10 {
		t.Fatalf("statistics = %v", st)
	}
	shared := ak[0]["sharedEventId"].(string)
	if len(eventsFor(f.srv, "DescribeInstances")) == 0 || shared == "" {
		t.Fatal("no related event")
	}
	found := false
	for _, e := range f.srv.Events() {
		if e.EventID == shared && e.UserIdentity.AccessKeyID == app.id {
			found = true
		}
	}
	if !found {
		t.Fatalf("sharedEventId %s is not one of the key's events", shared)
	}
	ip := lookup(map[string]string{"LookupAttribute.1.Key": "InsightObject", "LookupAttribute.1.Value": "127.0.0.66"})
	if len(ip) != 1 || ip[0]["insightDetails"].(map[string]any)["insightType"] != "IpInsight" {
		t.Fatalf("IpInsight for 127.0.0.66 = %v", ip)
	}
	again := lookup(map[string]string{"LookupAttribute.1.Key": "EventId", "LookupAttribute.1.Value": ak[0]["eventId"].(string)})
	if len(again) != 1 {
		t.Fatalf("lookup by EventId %v: %d events, want the same one", ak[0]["eventId"], len(again))
	}
}
