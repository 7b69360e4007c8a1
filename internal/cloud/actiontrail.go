package cloud

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
)

// ActionTrail 2020-07-06. The v3.1.0 SDK has no context-aware methods, so
// calls go through its embedded openapi client's CallApiWithCtx with the
// Params the generated code builds.

func atAPI(action string) apiSpec { return apiSpec{service: "ActionTrail", action: action} }

func (c *Clients) atCall(ctx context.Context, api apiSpec, target string, query map[string]string, out any) error {
	return c.rpc(ctx, &c.at.Client, api, actionTrailVersion, target, query, out)
}

// lookupMaxPageSize is LookupEvents' per-page maximum.
const lookupMaxPageSize = 50

// atTime is the ActionTrail time format (UTC, seconds).
const atTime = "2006-01-02T15:04:05Z"

// LookupEvents streams ActionTrail events matching q to page, one page of
// raw event objects at a time, from the ActionTrail endpoint of the
// configured region (LookupEventsIn with Region()). ActionTrail is
// regional: other regions' events need LookupEventsIn.
func (c *Clients) LookupEvents(ctx context.Context, q LookupQuery, page func(events []json.RawMessage) error) error {
	return c.LookupEventsIn(ctx, c.s.Region, q, page)
}

// LookupEventsIn streams the ActionTrail events of one region (and the
// global services' events every region holds) matching q to page, one
// page of raw event objects at a time, following NextToken with otherwise
// identical parameters. An error returned by page stops the lookup and is
// returned unchanged.
//
// Every request is one the service accepts: StartTime and EndTime are sent
// together (a missing end is now, a missing start the service's default of
// 7 days before the end), and a window longer than the documented 30-day
// maximum is read as consecutive windows of at most 30 days, newest first
// (BACKWARD) or oldest first (FORWARD). LookupEvents is limited to 2
// requests/s per account; every region shares that one limiter.
func (c *Clients) LookupEventsIn(ctx context.Context, region string, q LookupQuery, page func(events []json.RawMessage) error) error {
	api := atAPI("LookupEvents")
	target := q.AttributeValue
	switch {
	case page == nil:
		return refuse(api, target, "page callback is nil")
	case q.PageSize < 0 || q.PageSize > lookupMaxPageSize:
		return refuse(api, target, "page size %d: want 1-%d", q.PageSize, lookupMaxPageSize)
	case (q.AttributeKey == "") != (q.AttributeValue == ""):
		return refuse(api, target, "lookup attribute needs both a key and a value (got key %q)", q.AttributeKey)
	case !q.Start.IsZero() && !q.End.IsZero() && q.End.Before(q.Start):
		return refuse(api, target, "end %s is before start %s", q.End.UTC().Format(atTime), q.Start.UTC().Format(atTime))
	case !regionRE.MatchString(region):
		return refuse(api, target, "region %q: want lower-case letters, digits and dashes like %q", region, DefaultRegion)
	}
	dir := strings.ToUpper(q.Direction)
	if dir != "" && dir != "BACKWARD" && dir != "FORWARD" {
		return refuse(api, target, "direction %q: want BACKWARD or FORWARD", q.Direction)
	}
	client, err := c.actionTrailIn(region)
	if err != nil {
		return err
	}
	size := q.PageSize
	if size == 0 {
		size = lookupMaxPageSize
	}
	base := map[string]string{"MaxResults": strconv.Itoa(size)}
	if dir != "" {
		base["Direction"] = dir
	}
	if q.AttributeKey != "" {
		base["LookupAttribute.1.Key"] = q.AttributeKey
		base["LookupAttribute.1.Value"] = q.AttributeValue
	}
	if q.Start.IsZero() && q.End.IsZero() {
		return c.lookupWindow(ctx, client, api, target, base, page)
	}
	for _, w := range lookupWindows(q.Start, q.End, time.Now(), dir == "FORWARD") {
		query := make(map[string]string, len(base)+2)
		for k, v := range base {
			query[k] = v
		}
		query["StartTime"] = w[0].UTC().Format(atTime)
		query["EndTime"] = w[1].UTC().Format(atTime)
		if err := c.lookupWindow(ctx, client, api, target, query, page); err != nil {
			return err
		}
	}
	return nil
}

// LookupMaxWindow is the longest StartTime..EndTime range one LookupEvents
// request may ask for ("The maximum time range is 30 days", ActionTrail API
// reference, LookupEvents, doc-detail/185722).
const LookupMaxWindow = 30 * 24 * time.Hour

// lookupDefaultSpan is the service's default window (7 days).
const lookupDefaultSpan = 7 * 24 * time.Hour

// lookupWindows splits start..end (zero end = now, zero start = end-7d)
// into windows of at most LookupMaxWindow at whole seconds, each
// [from, to] inclusive and disjoint, in reading order: FORWARD from the
// start, BACKWARD (newest first) from the end, so the first window is full.
func lookupWindows(start, end, now time.Time, forward bool) [][2]time.Time {
	if end.IsZero() {
		end = now
	}
	if start.IsZero() {
		start = end.Add(-lookupDefaultSpan)
	}
	start, end = start.UTC().Truncate(time.Second), end.UTC().Truncate(time.Second)
	var out [][2]time.Time
	if forward {
		for from := start; !from.After(end); {
			to := from.Add(LookupMaxWindow)
			if to.After(end) {
				to = end
			}
			out = append(out, [2]time.Time{from, to})
			from = to.Add(time.Second)
		}
		return out
	}
	for to := end; !to.Before(start); {
		from := to.Add(-LookupMaxWindow)
		if from.Before(start) {
			from = start
		}
		out = append(out, [2]time.Time{from, to})
		to = from.Add(-time.Second)
	}
	return out
}

// lookupWindow pages one LookupEvents query to the end.
func (c *Clients) lookupWindow(ctx context.Context, client *openapi.Client, api apiSpec, target string, base map[string]string, page func([]json.RawMessage) error) error {
	seen := map[string]bool{}
	token := ""
	for n := 0; n < maxPages; n++ {
		query := base
		if token != "" {
			query = make(map[string]string, len(base)+1)
			for k, v := range base {
				query[k] = v
			}
			query["NextToken"] = token
		}
		var out struct {
			RequestID string            `json:"RequestId"`
			NextToken string            `json:"NextToken"`
			Events    []json.RawMessage `json:"Events"`
		}
		if err := c.rpc(ctx, client, api, actionTrailVersion, target, query, &out); err != nil {
			return err
		}
		if len(out.Events) > 0 {
			if err := page(out.Events); err != nil {
				return err
			}
		}
		if out.NextToken == "" {
			return nil
		}
		if seen[out.NextToken] {
			return &APIError{API: api.name(), Target: target, RequestID: out.RequestID, Message: "the service repeated a paging token", class: errNoClass}
		}
		seen[out.NextToken] = true
		token = out.NextToken
	}
	return &APIError{API: api.name(), Target: target, Message: "gave up after 10000 pages", class: errNoClass}
}

// AccessKeyLastUsedInfo returns ActionTrail's last-use summary of a key;
// Found is false when the service has no data for it.
func (c *Clients) AccessKeyLastUsedInfo(ctx context.Context, keyID string) (LastUsedInfo, error) {
	api := atAPI("GetAccessKeyLastUsedInfo")
	if keyID == "" {
		return LastUsedInfo{}, refuse(api, "", "access key id is empty")
	}
	var out struct {
		AccessKeyID   string `json:"AccessKeyId"`
		AccountID     string `json:"AccountId"`
		AccountType   string `json:"AccountType"`
		UserName      string `json:"UserName"`
		ServiceName   string `json:"ServiceName"`
		Source        string `json:"Source"`
		UsedTimestamp int64  `json:"UsedTimestamp"`
		Detail        string `json:"Detail"`
	}
	// The parameter is named AccessKey but takes the key's ID (the SDK
	// comment calls it a secret; it is not).
	if err := c.atCall(ctx, api, keyID, map[string]string{"AccessKey": keyID}, &out); err != nil {
		return LastUsedInfo{}, err
	}
	info := LastUsedInfo{
		AccessKeyID: out.AccessKeyID,
		AccountID:   out.AccountID,
		AccountType: out.AccountType,
		UserName:    out.UserName,
		ServiceName: out.ServiceName,
		Source:      out.Source,
		UsedAt:      millis(out.UsedTimestamp),
		Detail:      rawDetail(out.Detail),
	}
	info.Found = out.UsedTimestamp > 0 || out.ServiceName != "" || len(info.Detail) > 0
	if info.AccessKeyID == "" && info.Found {
		info.AccessKeyID = keyID
	}
	return info, nil
}

// AccessKeyLastUsedProducts lists the services a key was used with.
func (c *Clients) AccessKeyLastUsedProducts(ctx context.Context, keyID string) ([]LastUsedProduct, error) {
	api := atAPI("GetAccessKeyLastUsedProducts")
	if keyID == "" {
		return nil, refuse(api, "", "access key id is empty")
	}
	var out struct {
		Products []struct {
			ServiceName   string `json:"ServiceName"`
			Source        string `json:"Source"`
			UsedTimestamp int64  `json:"UsedTimestamp"`
			Detail        string `json:"Detail"`
		} `json:"Products"`
	}
	if err := c.atCall(ctx, api, keyID, map[string]string{"AccessKey": keyID}, &out); err != nil {
		return nil, err
	}
	res := make([]LastUsedProduct, 0, len(out.Products))
	for _, p := range out.Products {
		res = append(res, LastUsedProduct{ServiceName: p.ServiceName, Source: p.Source, UsedAt: millis(p.UsedTimestamp), Detail: rawDetail(p.Detail)})
	}
	return res, nil
}

// lastUsedItem is the shape shared by the paged GetAccessKeyLastUsed* APIs.
type lastUsedItem struct {
	EventName     string `json:"EventName"`
	IP            string `json:"Ip"`
	ResourceName  string `json:"ResourceName"`
	ResourceType  string `json:"ResourceType"`
	Source        string `json:"Source"`
	UsedTimestamp int64  `json:"UsedTimestamp"`
	Detail        string `json:"Detail"`
}

// lastUsedPages pages one GetAccessKeyLastUsed{Events,Ips,Resources} API
// (PageSize 100, NextToken) and returns the items under listKey.
func (c *Clients) lastUsedPages(ctx context.Context, action, listKey, keyID, service string) ([]lastUsedItem, error) {
	api := atAPI(action)
	if keyID == "" {
		return nil, refuse(api, "", "access key id is empty")
	}
	base := map[string]string{"AccessKey": keyID, "PageSize": "100"}
	if service != "" {
		base["ServiceName"] = service
	}
	var (
		items []lastUsedItem
		token string
		seen  = map[string]bool{}
	)
	for n := 0; n < maxPages; n++ {
		query := base
		if token != "" {
			query = map[string]string{"NextToken": token}
			for k, v := range base {
				query[k] = v
			}
		}
		var out struct {
			RequestID string         `json:"RequestId"`
			NextToken string         `json:"NextToken"`
			Events    []lastUsedItem `json:"Events"`
			Ips       []lastUsedItem `json:"Ips"`
			Resources []lastUsedItem `json:"Resources"`
		}
		if err := c.atCall(ctx, api, keyID, query, &out); err != nil {
			return nil, err
		}
		page := struct {
			RequestID, NextToken string
			Items                []lastUsedItem
		}{out.RequestID, out.NextToken, out.Events}
		switch listKey {
		case "Ips":
			page.Items = out.Ips
		case "Resources":
			page.Items = out.Resources
		}
		items = append(items, page.Items...)
		if page.NextToken == "" {
			return items, nil
		}
		if seen[page.NextToken] {
			return nil, &APIError{API: api.name(), Target: keyID, RequestID: page.RequestID, Message: "the service repeated a paging token", class: errNoClass}
		}
		seen[page.NextToken] = true
		token = page.NextToken
	}
	return nil, &APIError{API: api.name(), Target: keyID, Message: "gave up after 10000 pages", class: errNoClass}
}

// AccessKeyLastUsedEvents lists the APIs a key called within a service.
func (c *Clients) AccessKeyLastUsedEvents(ctx context.Context, keyID, service string) ([]LastUsedEvent, error) {
	items, err := c.lastUsedPages(ctx, "GetAccessKeyLastUsedEvents", "Events", keyID, service)
	if err != nil {
		return nil, err
	}
	out := make([]LastUsedEvent, 0, len(items))
	for _, it := range items {
		out = append(out, LastUsedEvent{EventName: it.EventName, Source: it.Source, UsedAt: millis(it.UsedTimestamp), Detail: rawDetail(it.Detail)})
	}
	return out, nil
}

// AccessKeyLastUsedIPs lists the source IPs a key was used from.
func (c *Clients) AccessKeyLastUsedIPs(ctx context.Context, keyID, service string) ([]LastUsedIP, error) {
	items, err := c.lastUsedPages(ctx, "GetAccessKeyLastUsedIps", "Ips", keyID, service)
	if err != nil {
		return nil, err
	}
	out := make([]LastUsedIP, 0, len(items))
	for _, it := range items {
		out = append(out, LastUsedIP{IP: it.IP, Source: it.Source, UsedAt: millis(it.UsedTimestamp), Detail: rawDetail(it.Detail)})
	}
	return out, nil
}

// AccessKeyLastUsedResources lists the resources a key touched.
func (c *Clients) AccessKeyLastUsedResources(ctx context.Context, keyID, service string) ([]LastUsedResource, error) {
	items, err := c.lastUsedPages(ctx, "GetAccessKeyLastUsedResources", "Resources", keyID, service)
	if err != nil {
		return nil, err
	}
	out := make([]LastUsedResource, 0, len(items))
	for _, it := range items {
		out = append(out, LastUsedResource{ResourceName: it.ResourceName, ResourceType: it.ResourceType, Source: it.Source, UsedAt: millis(it.UsedTimestamp), Detail: rawDetail(it.Detail)})
	}
	return out, nil
}
