package lab

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	actiontrail "github.com/alibabacloud-go/actiontrail-20200706/v3/client"
	ram "github.com/alibabacloud-go/ram-20150501/v2/client"
	"github.com/alibabacloud-go/tea/tea"
)

func lookupAttr(key, value string) []*actiontrail.LookupEventsRequestLookupAttribute {
	return []*actiontrail.LookupEventsRequestLookupAttribute{{Key: tea.String(key), Value: tea.String(value)}}
}

func TestLookupEventsReturnsRecordedCalls(t *testing.T) {
	clock := newTestClock(time.Now().UTC().Truncate(time.Second))
	f := newFixture(t, Options{Clock: clock.Now})
	alice := f.addUser("alice", "AdministratorAccess")
	at := f.actiontrail(f.root)

	// Five calls from the "attacker" address, one second apart.
	start := clock.Now()
	attacker := f.ramFrom(alice, "127.0.0.66")
	for i := 0; i < 5; i++ {
		_, err := attacker.GetUser(&ram.GetUserRequest{UserName: tea.String("alice")})
		mustOK(t, err)
		clock.Advance(time.Second)
	}
	clock.Advance(time.Hour)
	_, err := attacker.ListUsers(&ram.ListUsersRequest{})
	mustOK(t, err)

	// Page through the key's GetUser calls two at a time, newest first.
	var got []map[string]any
	token := ""
	pages := 0
	for {
		req := &actiontrail.LookupEventsRequest{
			LookupAttribute: lookupAttr("EventName", "GetUser"),
			MaxResults:      tea.String("2"),
		}
		if token != "" {
			req.NextToken = tea.String(token)
		}
		resp, err := at.LookupEvents(req)
		mustOK(t, err)
		pages++
		got = append(got, resp.Body.Events...)
		token = tea.StringValue(resp.Body.NextToken)
		if token == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if len(got) != 5 || pages != 3 {
		t.Fatalf("paged %d events in %d pages, want 5 in 3", len(got), pages)
	}
	var prev string
	seen := map[string]bool{}
	for i, e := range got {
		ui, _ := e["userIdentity"].(map[string]any)
		if e["eventName"] != "GetUser" || e["sourceIpAddress"] != "127.0.0.66" || ui["type"] != "ram-user" ||
			ui["accessKeyId"] != alice.id || ui["userName"] != "alice" || e["serviceName"] != "Ram" {
			t.Fatalf("event %d = %v", i, e)
		}
		id, _ := e["eventId"].(string)
		if seen[id] {
			t.Fatalf("event %s returned twice", id)
		}
		seen[id] = true
		ts, _ := e["eventTime"].(string)
		if prev != "" && ts > prev {
			t.Fatalf("BACKWARD order broken: %s after %s", ts, prev)
		}
		prev = ts
	}

	tests := []struct {
		name string
		req  *actiontrail.LookupEventsRequest
		want int
	}{
		{"by access key", &actiontrail.LookupEventsRequest{LookupAttribute: lookupAttr("EventAccessKeyId", alice.id), MaxResults: tea.String("50")}, 6},
		{"by access key and window", &actiontrail.LookupEventsRequest{LookupAttribute: lookupAttr("EventAccessKeyId", alice.id),
			StartTime: tea.String(fmtTime(start)), EndTime: tea.String(fmtTime(start.Add(2 * time.Second)))}, 3},
		{"by event name", &actiontrail.LookupEventsRequest{LookupAttribute: lookupAttr("EventName", "ListUsers")}, 1},
		{"by user", &actiontrail.LookupEventsRequest{LookupAttribute: lookupAttr("User", "alice"), MaxResults: tea.String("50")}, 6},
		{"by resource name", &actiontrail.LookupEventsRequest{LookupAttribute: lookupAttr("ResourceName", "alice"), MaxResults: tea.String("50")}, 5},
		{"by read/write", &actiontrail.LookupEventsRequest{LookupAttribute: lookupAttr("EventRW", "Write")}, 0},
		{"by user and access key", &actiontrail.LookupEventsRequest{LookupAttribute: append(lookupAttr("User", "alice"), lookupAttr("EventAccessKeyId", alice.id)...), MaxResults: tea.String("50")}, 6},
		{"by user and read/write (both must match)", &actiontrail.LookupEventsRequest{LookupAttribute: append(lookupAttr("User", "alice"), lookupAttr("EventRW", "Write")...)}, 0},
		{"window before the calls", &actiontrail.LookupEventsRequest{StartTime: tea.String(fmtTime(start.Add(-time.Hour))), EndTime: tea.String(fmtTime(start.Add(-time.Second)))}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := at.LookupEvents(tt.req)
			mustOK(t, err)
			if n := len(resp.Body.Events); n != tt.want {
				t.Fatalf("got %d events, want %d", n, tt.want)
			}
		})
	}

	forward, err := at.LookupEvents(&actiontrail.LookupEventsRequest{LookupAttribute: lookupAttr("EventAccessKeyId", alice.id), Direction: tea.String("FORWARD"), MaxResults: tea.String("1")})
	mustOK(t, err)
	if e := forward.Body.Events[0]; e["eventName"] != "GetUser" || e["eventTime"] != fmtTime(start) {
		t.Fatalf("FORWARD first event = %v, want the oldest GetUser at %s", e, fmtTime(start))
	}
}

func TestLookupEventsValidation(t *testing.T) {
	f := newFixture(t, Options{})
	at := f.actiontrail(f.root)
	first, err := at.LookupEvents(&actiontrail.LookupEventsRequest{MaxResults: tea.String("1")})
	mustOK(t, err)
	_, err = at.LookupEvents(&actiontrail.LookupEventsRequest{MaxResults: tea.String("1")})
	mustOK(t, err)
	first, err = at.LookupEvents(&actiontrail.LookupEventsRequest{MaxResults: tea.String("1")})
	mustOK(t, err)
	token := tea.StringValue(first.Body.NextToken)
	if token == "" {
		t.Fatal("no NextToken although more events exist")
	}
	three := []*actiontrail.LookupEventsRequestLookupAttribute{
		{Key: tea.String("EventName"), Value: tea.String("a")},
		{Key: tea.String("User"), Value: tea.String("b")},
		{Key: tea.String("EventRW"), Value: tea.String("Read")},
	}
	day := func(d int) *string {
		return tea.String(fmtTime(time.Now().UTC().Add(time.Duration(d) * 24 * time.Hour)))
	}
	bad := []struct {
		name string
		req  *actiontrail.LookupEventsRequest
	}{
		{"token with other params", &actiontrail.LookupEventsRequest{MaxResults: tea.String("1"), NextToken: tea.String(token), Direction: tea.String("FORWARD")}},
		{"garbage token", &actiontrail.LookupEventsRequest{NextToken: tea.String("%%%")}},
		{"three attributes", &actiontrail.LookupEventsRequest{LookupAttribute: three}},
		{"StartTime only", &actiontrail.LookupEventsRequest{StartTime: day(-1)}},
		{"EndTime only", &actiontrail.LookupEventsRequest{EndTime: day(0)}},
		{"range over 30 days", &actiontrail.LookupEventsRequest{StartTime: day(-31), EndTime: day(0)}},
		{"attribute without value", &actiontrail.LookupEventsRequest{LookupAttribute: []*actiontrail.LookupEventsRequestLookupAttribute{{Key: tea.String("EventName")}}}},
		{"unknown attribute", &actiontrail.LookupEventsRequest{LookupAttribute: lookupAttr("Colour", "red")}},
		{"MaxResults too big", &actiontrail.LookupEventsRequest{MaxResults: tea.String("51")}},
		{"MaxResults not a number", &actiontrail.LookupEventsRequest{MaxResults: tea.String("ten")}},
		{"bad direction", &actiontrail.LookupEventsRequest{Direction: tea.String("SIDEWAYS")}},
		{"bad time", &actiontrail.LookupEventsRequest{StartTime: tea.String("last tuesday"), EndTime: day(0)}},
		{"start after end", &actiontrail.LookupEventsRequest{StartTime: tea.String("2024-01-02T00:00:00Z"), EndTime: tea.String("2024-01-01T00:00:00Z")}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := at.LookupEvents(tt.req)
			wantCode(t, err, "InvalidParameter", http.StatusBadRequest)
		})
	}
	// The token replayed with the same parameters works.
	_, err = at.LookupEvents(&actiontrail.LookupEventsRequest{MaxResults: tea.String("1"), NextToken: tea.String(token)})
	mustOK(t, err)
}

func TestLookupEventsRetentionAndLargeHistory(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	w := NewWorld(Account{ID: defaultAccountID, Alias: defaultAccountAlias})
	const key = "LTAI5tHISTORYhistory0000"
	for i := 0; i < 15000; i++ {
		// One event every ten minutes going back ~104 days, oldest first.
		ts := now.Add(-time.Duration(15000-i) * 10 * time.Minute)
		w.Events = append(w.Events, w.NewEvent(EventSpec{Time: ts, Version: "2014-05-26", Action: "DescribeInstances",
			SourceIP: "203.0.113.9", Caller: Caller{Type: "ram-user", AccessKeyID: key, UserName: "hist"}}))
	}
	f := newFixture(t, Options{World: w, Clock: func() time.Time { return now }})
	at := f.actiontrail(f.root)
	resp, err := at.LookupEvents(&actiontrail.LookupEventsRequest{
		LookupAttribute: lookupAttr("EventAccessKeyId", key), StartTime: tea.String(fmtTime(now.Add(-100 * 24 * time.Hour))),
		EndTime:   tea.String(fmtTime(now.Add(-75 * 24 * time.Hour))),
		Direction: tea.String("FORWARD"), MaxResults: tea.String("1"),
	})
	mustOK(t, err)
	oldest, _ := time.Parse(timeLayout, resp.Body.Events[0]["eventTime"].(string))
	if age := now.Sub(oldest); age > 90*24*time.Hour {
		t.Fatalf("oldest returned event is %v old, beyond the 90-day history", age)
	}
	info, err := at.GetAccessKeyLastUsedInfo(&actiontrail.GetAccessKeyLastUsedInfoRequest{AccessKey: tea.String(key)})
	mustOK(t, err)
	if got := tea.Int64Value(info.Body.UsedTimestamp); got != now.Add(-10*time.Minute).UnixMilli() {
		t.Fatalf("UsedTimestamp = %d, want the newest history event", got)
	}
}

func TestAccessKeyLastUsedAudit(t *testing.T) {
	clock := newTestClock(time.Now().UTC().Truncate(time.Second))
	f := newFixture(t, Options{Clock: clock.Now})
	bob := f.addUser("bob", "AdministratorAccess")
	at := f.actiontrail(f.root)

	_, err := at.GetAccessKeyLastUsedInfo(&actiontrail.GetAccessKeyLastUsedInfoRequest{AccessKey: tea.String("LTAI5tNOSUCHnosuch000000")})
	wantCode(t, err, "EntityNotExist.AccessKey", http.StatusNotFound)

	never, err := at.GetAccessKeyLastUsedInfo(&actiontrail.GetAccessKeyLastUsedInfoRequest{AccessKey: tea.String(bob.id)})
	mustOK(t, err)
	if never.Body.UsedTimestamp != nil || tea.StringValue(never.Body.UserName) != "bob" || tea.StringValue(never.Body.AccountType) != "ram-user" {
		t.Fatalf("unused key info = %+v", never.Body)
	}

	for i, ip := range []string{"127.0.0.10", "127.0.0.66", "127.0.0.66"} {
		_, err := f.ramFrom(bob, ip).GetUser(&ram.GetUserRequest{UserName: tea.String("bob")})
		mustOK(t, err)
		clock.Advance(time.Minute)
		_ = i
	}
	_, err = f.rpc(bob, "2014-05-26", "DescribeInstances", map[string]string{"RegionId": "cn-shanghai"}, "")
	mustOK(t, err)
	last := clock.Now()
	// A failed signature does not count as a use.
	clock.Advance(time.Minute)
	_, err = f.ram(cred{id: bob.id, secret: "wrong"}).ListUsers(&ram.ListUsersRequest{})
	wantCode(t, err, "SignatureDoesNotMatch", http.StatusBadRequest)

	info, err := at.GetAccessKeyLastUsedInfo(&actiontrail.GetAccessKeyLastUsedInfoRequest{AccessKey: tea.String(bob.id)})
	mustOK(t, err)
	if tea.Int64Value(info.Body.UsedTimestamp) != last.UnixMilli() || tea.StringValue(info.Body.ServiceName) != "Ecs" || tea.StringValue(info.Body.Source) != "ManagementEvent" {
		t.Fatalf("GetAccessKeyLastUsedInfo = %+v", info.Body)
	}
	var detail map[string]any
	if err := json.Unmarshal([]byte(tea.StringValue(info.Body.Detail)), &detail); err != nil || detail["eventName"] != "DescribeInstances" {
		t.Fatalf("Detail %q is not the JSON of the last event (%v)", tea.StringValue(info.Body.Detail), err)
	}

	prods, err := at.GetAccessKeyLastUsedProducts(&actiontrail.GetAccessKeyLastUsedProductsRequest{AccessKey: tea.String(bob.id)})
	mustOK(t, err)
	var names []string
	for _, p := range prods.Body.Products {
		names = append(names, tea.StringValue(p.ServiceName))
	}
	if strings.Join(names, ",") != "Ecs,Ram" {
		t.Fatalf("products = %v, want Ecs,Ram (newest first)", names)
	}

	ips, err := at.GetAccessKeyLastUsedIps(&actiontrail.GetAccessKeyLastUsedIpsRequest{AccessKey: tea.String(bob.id), ServiceName: tea.String("Ram"), PageSize: tea.String("1")})
	mustOK(t, err)
	if len(ips.Body.Ips) != 1 || tea.StringValue(ips.Body.Ips[0].Ip) != "127.0.0.66" || tea.StringValue(ips.Body.NextToken) == "" {
		t.Fatalf("first Ips page = %+v", ips.Body)
	}
	ips2, err := at.GetAccessKeyLastUsedIps(&actiontrail.GetAccessKeyLastUsedIpsRequest{AccessKey: tea.String(bob.id), ServiceName: tea.String("Ram"), PageSize: tea.String("1"), NextToken: ips.Body.NextToken})
	mustOK(t, err)
	if len(ips2.Body.Ips) != 1 || tea.StringValue(ips2.Body.Ips[0].Ip) != "127.0.0.10" || ips2.Body.NextToken != nil {
		t.Fatalf("second Ips page = %+v", ips2.Body)
	}
	_, err = at.GetAccessKeyLastUsedIps(&actiontrail.GetAccessKeyLastUsedIpsRequest{AccessKey: tea.String(bob.id), ServiceName: tea.String("Ecs"), NextToken: ips.Body.NextToken})
	wantCode(t, err, "InvalidParameter", http.StatusBadRequest)

	evs, err := at.GetAccessKeyLastUsedEvents(&actiontrail.GetAccessKeyLastUsedEventsRequest{AccessKey: tea.String(bob.id), ServiceName: tea.String("Ram")})
	mustOK(t, err)
	if len(evs.Body.Events) != 1 || tea.StringValue(evs.Body.Events[0].EventName) != "GetUser" {
		t.Fatalf("events = %+v", evs.Body.Events)
	}
	res, err := at.GetAccessKeyLastUsedResources(&actiontrail.GetAccessKeyLastUsedResourcesRequest{AccessKey: tea.String(bob.id)})
	mustOK(t, err)
	if len(res.Body.Resources) != 1 || tea.StringValue(res.Body.Resources[0].ResourceType) != "ACS::RAM::User" || tea.StringValue(res.Body.Resources[0].ResourceName) != "bob" {
		t.Fatalf("resources = %+v", res.Body.Resources)
	}

	// RAM's GetAccessKeyLastUsed agrees.
	lu, err := f.ram(f.root).GetAccessKeyLastUsed(&ram.GetAccessKeyLastUsedRequest{UserName: tea.String("bob"), UserAccessKeyId: tea.String(bob.id)})
	mustOK(t, err)
	if got := tea.StringValue(lu.Body.AccessKeyLastUsed.LastUsedDate); got != fmtTime(last) {
		t.Fatalf("RAM LastUsedDate = %s, want %s", got, fmtTime(last))
	}
}

func TestTrails(t *testing.T) {
	f := newFixture(t, Options{})
	at := f.actiontrail(f.root)
	d, err := at.DescribeTrails(&actiontrail.DescribeTrailsRequest{})
	mustOK(t, err)
	if len(d.Body.TrailList) != 1 || tea.StringValue(d.Body.TrailList[0].Name) != defaultTrailName || tea.StringValue(d.Body.TrailList[0].Status) != "Enable" {
		t.Fatalf("DescribeTrails = %+v", d.Body.TrailList)
	}
	st, err := at.GetTrailStatus(&actiontrail.GetTrailStatusRequest{Name: tea.String(defaultTrailName)})
	mustOK(t, err)
	if !tea.BoolValue(st.Body.IsLogging) {
		t.Fatal("default trail is not logging")
	}
	_, err = at.StopLogging(&actiontrail.StopLoggingRequest{Name: tea.String(defaultTrailName)})
	mustOK(t, err)
	st, err = at.GetTrailStatus(&actiontrail.GetTrailStatusRequest{Name: tea.String(defaultTrailName)})
	mustOK(t, err)
	if tea.BoolValue(st.Body.IsLogging) || tea.StringValue(st.Body.StopLoggingTime) == "" {
		t.Fatalf("after StopLogging: %+v", st.Body)
	}
	_, err = at.GetTrailStatus(&actiontrail.GetTrailStatusRequest{Name: tea.String("nope-trail")})
	wantCode(t, err, "TrailNotFoundException", http.StatusNotFound)
	if n := len(eventsFor(f.srv, "StopLogging")); n != 1 {
		t.Fatalf("StopLogging recorded %d times, want 1", n)
	}
	for i := 0; i < 4; i++ {
		_, err = at.CreateTrail(&actiontrail.CreateTrailRequest{Name: tea.String(fmt.Sprintf("trail-%d", i)), SlsProjectArn: tea.String("acs:log:cn-hangzhou:1:project/x")})
		mustOK(t, err)
	}
	_, err = at.CreateTrail(&actiontrail.CreateTrailRequest{Name: tea.String("trail-9")})
	wantCode(t, err, "InsufficientTrailsQuotaException", http.StatusConflict)
}
