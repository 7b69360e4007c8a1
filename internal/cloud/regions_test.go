package cloud_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
)

// akresp never sends a LookupEvents request the service refuses: a start
// without an end, or a window over 30 days, is sent as valid requests (the
// lab refuses invalid ones with 400 InvalidParameter), and every event of
// the long window still arrives.
func TestLookupWindowsNeverRefused(t *testing.T) {
	l := startLeakLab(t, lab.Options{})
	admin := l.clients(t, "admin", "", func(c *cloud.Config) { c.RateScale = 1000 })
	ctx := context.Background()
	key := l.info.Notes["leaked_key_id"]
	count := func(q cloud.LookupQuery, region string) int {
		t.Helper()
		n := 0
		err := admin.LookupEventsIn(ctx, region, q, func(page []json.RawMessage) error { n += len(page); return nil })
		if err != nil {
			t.Fatalf("LookupEventsIn(%+v): %v", q, err)
		}
		return n
	}
	long := cloud.LookupQuery{AttributeKey: "EventAccessKeyId", AttributeValue: key, Start: l.now.Add(-89 * 24 * time.Hour), End: l.now.Add(time.Minute)}
	startOnly := cloud.LookupQuery{AttributeKey: "EventAccessKeyId", AttributeValue: key, Start: l.now.Add(-89 * 24 * time.Hour)}
	total := 0
	for _, e := range l.srv.Events() {
		if e.UserIdentity.AccessKeyID == key && (e.IsGlobal || e.AcsRegion == "cn-hangzhou") && l.now.Sub(e.Time) < 89*24*time.Hour {
			total++
		}
	}
	if total == 0 {
		t.Fatal("the scenario has no events to read")
	}
	if n := count(long, "cn-hangzhou"); n != total {
		t.Errorf("89-day window: %d events, want %d", n, total)
	}
	if n := count(startOnly, "cn-hangzhou"); n != total {
		t.Errorf("start only: %d events, want %d", n, total)
	}
	for _, e := range l.srv.Events() {
		if e.EventName == "LookupEvents" && e.ErrorCode != "" {
			t.Errorf("a LookupEvents request was refused: %s %s", e.ErrorCode, e.ErrorMessage)
		}
	}
}
