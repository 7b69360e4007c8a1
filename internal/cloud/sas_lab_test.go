package cloud_test

import (
	"context"
	"testing"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
)

// builtin:leak's Security Center record through the real openapi client and
// the lab: pending with the leaked key and its URL, valid secret; handled
// after ModifyAccessKeyLeakDeal.
func TestLabSASLeakRecords(t *testing.T) {
	l := startLeakLab(t, lab.Options{})
	c := l.clients(t, "admin", "", nil)
	ctx := context.Background()
	key := l.info.Notes["leaked_key_id"]

	recs, err := c.AccessKeyLeaks(ctx, cloud.LeakQuery{Status: cloud.LeakPending})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].AccessKeyID != key || recs[0].URL != l.info.Notes["leak_record_url"] ||
		recs[0].UserType != "ram" || recs[0].FoundAt.IsZero() || recs[0].Handled() {
		t.Fatalf("pending records: %+v", recs)
	}
	d, err := c.AccessKeyLeakDetail(ctx, recs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.AccessKeyID != key || d.SecretValidity != "valid" || d.Source != "GitHub" || !d.FirstFound.Equal(recs[0].FoundAt) {
		t.Fatalf("detail: %+v", d)
	}
	if _, err := c.ResolveAccessKeyLeak(ctx, recs[0].ID, cloud.LeakDealManual, "contained"); err != nil {
		t.Fatal(err)
	}
	if recs, err = c.AccessKeyLeaks(ctx, cloud.LeakQuery{Status: cloud.LeakPending}); err != nil || len(recs) != 0 {
		t.Fatalf("pending after resolve: %+v %v", recs, err)
	}
	recs, err = c.AccessKeyLeaks(ctx, cloud.LeakQuery{Status: cloud.LeakHandled, KeyID: key})
	if err != nil || len(recs) != 1 || recs[0].DealType != "manual" || recs[0].DealTime.IsZero() {
		t.Fatalf("handled: %+v %v", recs, err)
	}
	if _, err := c.AccessKeyLeakDetail(ctx, 1); err == nil {
		t.Error("unknown record id answered")
	}
}
