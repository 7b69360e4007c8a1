package cloud

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// The request shape of the three SAS calls against the API reference
// (sas.go's file comment): action names (DescribeAccesskeyLeakList has a
// lower-case "k"), version 2018-12-03, parameter names and paging.
func TestSASRequestShape(t *testing.T) {
	f := newFakeCloud(t)
	found := time.Date(2026, 3, 1, 2, 40, 0, 0, time.UTC)
	f.handle("DescribeAccesskeyLeakList", func(c call) reply {
		page := c.Query.Get("CurrentPage")
		n := 100
		if page == "2" {
			n = 1
		}
		var list []map[string]any
		for i := range n {
			list = append(list, map[string]any{"Id": 1000 + i, "AccesskeyId": "LTAI5tAPPPRODLEAKED00001", "Status": "pending",
				"DealType": "pending", "DealTime": "", "GmtModified": found.UnixMilli(), "Url": "https://github.com/x/y/blob/1/a.env",
				"UserType": "ram", "AliUserName": "acme", "Asset": "Cloud platform", "Type": "AccessKey"})
		}
		return reply{Body: map[string]any{"RequestId": "R1", "TotalCount": 101, "AccessKeyLeakList": list}}
	})
	f.handle("DescribeAccessKeyLeakDetail", func(c call) reply {
		return reply{Body: map[string]any{"RequestId": "R2", "AccesskeyId": "LTAI5tAPPPRODLEAKED00001", "TokenValid": 1,
			"GmtCreate": "2026-03-01 10:40:00", "DealTime": "2026-03-02 08:00:00", "GithubFileUrl": "https://github.com/x/y/blob/1/a.env",
			"Source": "GitHub", "WhitelistStatus": "no", "Code": "sk=must-not-be-read"}}
	})
	f.handle("ModifyAccessKeyLeakDeal", func(c call) reply { return reply{Body: map[string]any{"RequestId": "R3"}} })
	c := newTestClients(t, testConfig(f.addr()))
	ctx := context.Background()

	recs, err := c.AccessKeyLeaks(ctx, LeakQuery{Status: LeakPending, KeyID: "LTAI5tAPPPRODLEAKED00001", Since: found})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 101 || recs[0].ID != 1000 || !recs[0].FoundAt.Equal(found) || recs[0].URL == "" || recs[0].Handled() {
		t.Fatalf("records: %d, first %+v", len(recs), recs[0])
	}
	calls := f.callsFor("DescribeAccesskeyLeakList")
	if len(calls) != 2 {
		t.Fatalf("list calls: %d, want 2 pages", len(calls))
	}
	for i, cl := range calls {
		want := map[string]string{"Version": "2018-12-03", "Status": "pending", "Query": "LTAI5tAPPPRODLEAKED00001",
			"StartTs": fmt.Sprint(found.UnixMilli()), "PageSize": "100", "CurrentPage": fmt.Sprint(i + 1)}
		for k, v := range want {
			got := cl.Query.Get(k)
			if k == "Version" {
				got = cl.Version
				if got == "" {
					got = cl.Query.Get("Version")
				}
			}
			if got != v {
				t.Errorf("page %d: %s = %q, want %q", i+1, k, got, v)
			}
		}
	}

	d, err := c.AccessKeyLeakDetail(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	// "2026-03-01 10:40:00" is UTC+8.
	if d.SecretValidity != "valid" || !d.FirstFound.Equal(found) || d.FileURL == "" || d.DealTime.IsZero() {
		t.Fatalf("detail: %+v", d)
	}
	if got := f.callsFor("DescribeAccessKeyLeakDetail")[0].Query.Get("Id"); got != "1000" {
		t.Errorf("detail Id = %q", got)
	}

	reqID, err := c.ResolveAccessKeyLeak(ctx, 1000, LeakDealManual, "contained by akresp")
	if err != nil || reqID != "R3" {
		t.Fatalf("resolve: %q %v", reqID, err)
	}
	q := f.callsFor("ModifyAccessKeyLeakDeal")[0].Query
	if q.Get("Id") != "1000" || q.Get("Type") != "manual" || q.Get("Remark") != "contained by akresp" {
		t.Errorf("modify query: %v", q)
	}
	if _, err := c.ResolveAccessKeyLeak(ctx, 1000, "pending", ""); err == nil {
		t.Error("deal type pending was accepted")
	}
	if _, err := c.AccessKeyLeaks(ctx, LeakQuery{Status: "open"}); err == nil {
		t.Error("status open was accepted")
	}
}
