package lab

import (
	"testing"
	"time"

	actiontrail "github.com/alibabacloud-go/actiontrail-20200706/v3/client"
	"github.com/alibabacloud-go/tea/tea"
)

// regionalWorld holds one key's events in three regions plus a global
// (RAM) event.
func regionalWorld(now time.Time) (*World, string) {
	w := NewWorld(Account{ID: defaultAccountID, Alias: defaultAccountAlias})
	const key = "LTAI5tREGIONALregional00"
	caller := Caller{Type: "ram-user", AccessKeyID: key, UserName: "app", PrincipalID: "2000000000000001"}
	for i, r := range []string{"cn-hangzhou", "us-west-1", "eu-central-1"} {
		w.Events = append(w.Events, w.NewEvent(EventSpec{Time: now.Add(-time.Duration(10-i) * time.Minute), Version: "2014-05-26",
			Action: "RunInstances", Region: r, SourceIP: "203.0.113.9", Caller: caller}))
	}
	w.Events = append(w.Events, w.NewEvent(EventSpec{Time: now.Add(-5 * time.Minute), Version: "2015-05-01",
		Action: "CreateUser", Region: "us-west-1", SourceIP: "203.0.113.9", Caller: caller, Params: map[string]string{"UserName": "x"}}))
	return w, key
}

// regionalClient reaches region's ActionTrail endpoint the way any
// official SDK can: Endpoint actiontrail.<region>.aliyuncs.com over plain
// HTTP through the lab as the HTTP proxy (the Host header names the
// region).
func (f *fixture) regionalClient(c cred, region string) *actiontrail.Client {
	f.t.Helper()
	cfg := f.config(c)
	cfg.Endpoint = tea.String("actiontrail." + region + ".aliyuncs.com")
	cfg.RegionId = tea.String(region)
	cfg.HttpProxy = tea.String("http://" + f.srv.Addr())
	cl, err := actiontrail.NewClient(cfg)
	if err != nil {
		f.t.Fatalf("actiontrail client: %v", err)
	}
	return cl
}

func TestLookupEventsIsRegional(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	w, key := regionalWorld(now)
	f := newFixture(t, Options{World: w, Clock: func() time.Time { return now }})
	lookup := func(at *actiontrail.Client) map[string]string { // eventName@region -> serviceName
		t.Helper()
		resp, err := at.LookupEvents(&actiontrail.LookupEventsRequest{LookupAttribute: lookupAttr("EventAccessKeyId", key), MaxResults: tea.String("50")})
		mustOK(t, err)
		got := map[string]string{}
		for _, e := range resp.Body.Events {
			got[e["eventName"].(string)+"@"+e["acsRegion"].(string)] = e["serviceName"].(string)
		}
		return got
	}
	cases := []struct {
		name string
		at   *actiontrail.Client
		want []string
	}{
		// The lab's own address names no region: the default region answers.
		{"no region in Host", f.actiontrail(f.root), []string{"RunInstances@cn-hangzhou", "CreateUser@us-west-1"}},
		{"cn-hangzhou", f.regionalClient(f.root, "cn-hangzhou"), []string{"RunInstances@cn-hangzhou", "CreateUser@us-west-1"}},
		{"us-west-1", f.regionalClient(f.root, "us-west-1"), []string{"RunInstances@us-west-1", "CreateUser@us-west-1"}},
		{"eu-central-1", f.regionalClient(f.root, "eu-central-1"), []string{"RunInstances@eu-central-1", "CreateUser@us-west-1"}},
		{"ap-southeast-1 (no regional events)", f.regionalClient(f.root, "ap-southeast-1"), []string{"CreateUser@us-west-1"}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got := lookup(tt.at)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for _, k := range tt.want {
				if _, ok := got[k]; !ok {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
	// The lookup itself is recorded in the region it was sent to.
	evs := f.srv.Events()
	last := evs[len(evs)-1]
	if last.EventName != "LookupEvents" || last.AcsRegion != "ap-southeast-1" || last.EventSource != "actiontrail.ap-southeast-1.aliyuncs.com" {
		t.Fatalf("last recorded event = %s in %s from %s, want LookupEvents in ap-southeast-1", last.EventName, last.AcsRegion, last.EventSource)
	}
	// DescribeRegions lists the regions a responder must read.
	regs, err := f.actiontrail(f.root).DescribeRegions(&actiontrail.DescribeRegionsRequest{})
	mustOK(t, err)
	ids := map[string]bool{}
	for _, r := range regs.Body.Regions.Region {
		ids[tea.StringValue(r.RegionId)] = true
	}
	if !ids["us-west-1"] || !ids["eu-central-1"] || !ids["cn-hangzhou"] {
		t.Fatalf("DescribeRegions = %v, want the lab's regions", ids)
	}
}

func TestHostRegion(t *testing.T) {
	for host, want := range map[string]string{
		"actiontrail.us-west-1.aliyuncs.com":       "us-west-1",
		"actiontrail.eu-central-1.aliyuncs.com:80": "eu-central-1",
		"ACTIONTRAIL.CN-HANGZHOU.ALIYUNCS.COM":     "cn-hangzhou",
		"127.0.0.1:4417":                           "",
		"ram.aliyuncs.com":                         "",
		"ims-share.aliyuncs.com":                   "",
		"actiontrail.us-west-1.example.com":        "",
		"a.b.us-west-1.aliyuncs.com":               "",
	} {
		if got := hostRegion(host); got != want {
			t.Errorf("hostRegion(%q) = %q, want %q", host, got, want)
		}
	}
}
