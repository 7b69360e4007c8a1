package cloud

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// ActionTrail 2020-07-06 trails and Insights. The typed actiontrail SDK
// v3.1.0 has no Insight APIs, so every call here goes through the generic
// openapi client with the Params the generated SDKs use for RPC APIs
// (atCall, like sas.go), on the configured region's endpoint.
//
// Wire facts, from the API reference pages (read 2026):
//   - DescribeTrails: NameList (comma-separated), IncludeShadowTrails,
//     IncludeOrganizationTrail. Answer: TrailList[] {Name, HomeRegion,
//     TrailRegion ("All" or a region list), Status Enable|Disable|Fresh,
//     EventRW Write|Read|All, SlsProjectArn, SlsWriteRoleArn,
//     OssBucketName, OssKeyPrefix, OssWriteRoleArn, IsOrganizationTrail,
//     TrailArn, CreateTime, UpdateTime, StartLoggingTime, StopLoggingTime}
//     (alibaba-cloud-api.md DescribeTrails row).
//   - GetTrailStatus: Name. Answer: IsLogging, LatestDeliveryTime,
//     LatestDeliveryError, LatestDeliveryLogServiceTime,
//     LatestDeliveryLogServiceError, OssBucketStatus, SlsLogStoreStatus,
//     StartLoggingTime, StopLoggingTime.
//   - EnableInsight: InsightType (IpInsight, ApiCallRateInsight,
//     ApiErrorRateInsight, AkInsight, PolicyChangeInsight,
//     PasswordChangeInsight, TrailConcealmentInsight). Answer: RequestId.
//     Error 400 InsightTypeNotAvailable. RAM action actiontrail:EnableInsight.
//     api-actiontrail-2020-07-06-enableinsight
//   - GetInsightTypes: no parameters. Answer: InsightTypes, an object of
//     type -> "Enable" (the page's example). api-actiontrail-2020-07-06-getinsighttypes
//   - GetInsightSelectors: TrailName. Answer: InsightSelectors[] (JSON
//     strings such as {"insightType":"AkInsight"}), TrailArn.
//     PutInsightSelectors: TrailName, InsightSelectors (a JSON array of
//     such objects); same answer; 404 InsightSelectorDoesNotExistException.
//   - LookupInsightEvents: StartTime, EndTime (UTC yyyy-MM-ddTHH:mm:ssZ,
//     default the last 7 days, at most 93 days back), MaxResults 1-50
//     (default 20), NextToken, LookupAttribute.N.Key/Value (at most two,
//     exact, case-sensitive: ServiceName, EventName, SourceIpAddress,
//     InsightType, EventId, AccessKeyId, InsightObject). The answer's list
//     field is not shown on the pages read; akresp reads "Events" (as
//     LookupEvents answers) and, failing that, "InsightEvents" (a guess).
//     Each event has eventId, eventTime, eventType ActionTrailInsight,
//     eventCategory Insight, sharedEventId and insightDetails {state,
//     insightType, insightObject, insightContext {attributions,
//     statistics {insight, insightDuration, baseline, baselineDuration,
//     insightCount}}} ("Insights event structure", ActionTrail user guide).
//   - Quotas: DescribeTrails and GetTrailStatus 100/s; the Insight APIs'
//     quotas are not published: the ActionTrail default of 100/s applies,
//     except LookupInsightEvents, limited like LookupEvents (2/s, a guess).

// Trail is one ActionTrail trail (DescribeTrails).
type Trail struct {
	Name                string
	HomeRegion          string
	TrailRegion         string // "All" or the regions it covers
	Status              string // Enable | Disable | Fresh
	EventRW             string // Write | Read | All
	SlsProjectArn       string
	SlsWriteRoleArn     string
	OssBucketName       string
	OssKeyPrefix        string
	IsOrganizationTrail bool
	TrailArn            string
}

// TrailStatus is GetTrailStatus's answer.
type TrailStatus struct {
	IsLogging            bool
	OssBucketStatus      bool
	SlsLogStoreStatus    bool
	LatestDeliveryTime   time.Time
	LatestDeliveryError  string
	LatestSLSDelivery    time.Time
	LatestSLSDeliveryErr string
	StartLoggingTime     time.Time
	StopLoggingTime      time.Time
}

// InsightTypes are the Insights types EnableInsight accepts.
var InsightTypes = []string{"AkInsight", "IpInsight", "ApiCallRateInsight", "ApiErrorRateInsight", "PolicyChangeInsight", "PasswordChangeInsight", "TrailConcealmentInsight"}

// Trails lists the account's trails.
func (c *Clients) Trails(ctx context.Context) ([]Trail, error) {
	api := atAPI("DescribeTrails")
	var out struct {
		TrailList []struct {
			Name                string `json:"Name"`
			HomeRegion          string `json:"HomeRegion"`
			TrailRegion         string `json:"TrailRegion"`
			Status              string `json:"Status"`
			EventRW             string `json:"EventRW"`
			SlsProjectArn       string `json:"SlsProjectArn"`
			SlsWriteRoleArn     string `json:"SlsWriteRoleArn"`
			OssBucketName       string `json:"OssBucketName"`
			OssKeyPrefix        string `json:"OssKeyPrefix"`
			IsOrganizationTrail bool   `json:"IsOrganizationTrail"`
			TrailArn            string `json:"TrailArn"`
		} `json:"TrailList"`
	}
	if err := c.atCall(ctx, api, "", map[string]string{"IncludeOrganizationTrail": "true"}, &out); err != nil {
		return nil, err
	}
	res := make([]Trail, 0, len(out.TrailList))
	for _, t := range out.TrailList {
		res = append(res, Trail{Name: t.Name, HomeRegion: t.HomeRegion, TrailRegion: t.TrailRegion, Status: t.Status, EventRW: t.EventRW,
			SlsProjectArn: t.SlsProjectArn, SlsWriteRoleArn: t.SlsWriteRoleArn, OssBucketName: t.OssBucketName, OssKeyPrefix: t.OssKeyPrefix,
			IsOrganizationTrail: t.IsOrganizationTrail, TrailArn: t.TrailArn})
	}
	return res, nil
}

// GetTrailStatus returns a trail's logging and delivery status.
func (c *Clients) GetTrailStatus(ctx context.Context, name string) (TrailStatus, error) {
	api := atAPI("GetTrailStatus")
	if name == "" {
		return TrailStatus{}, refuse(api, "", "trail name is empty")
	}
	var out struct {
		IsLogging                     bool   `json:"IsLogging"`
		OssBucketStatus               bool   `json:"OssBucketStatus"`
		SlsLogStoreStatus             bool   `json:"SlsLogStoreStatus"`
		LatestDeliveryTime            string `json:"LatestDeliveryTime"`
		LatestDeliveryError           string `json:"LatestDeliveryError"`
		LatestDeliveryLogServiceTime  string `json:"LatestDeliveryLogServiceTime"`
		LatestDeliveryLogServiceError string `json:"LatestDeliveryLogServiceError"`
		StartLoggingTime              string `json:"StartLoggingTime"`
		StopLoggingTime               string `json:"StopLoggingTime"`
	}
	if err := c.atCall(ctx, api, name, map[string]string{"Name": name}, &out); err != nil {
		return TrailStatus{}, err
	}
	n := api.name()
	return TrailStatus{
		IsLogging: out.IsLogging, OssBucketStatus: out.OssBucketStatus, SlsLogStoreStatus: out.SlsLogStoreStatus,
		LatestDeliveryTime: c.parseTime(n, "LatestDeliveryTime", out.LatestDeliveryTime), LatestDeliveryError: out.LatestDeliveryError,
		LatestSLSDelivery: c.parseTime(n, "LatestDeliveryLogServiceTime", out.LatestDeliveryLogServiceTime), LatestSLSDeliveryErr: out.LatestDeliveryLogServiceError,
		StartLoggingTime: c.parseTime(n, "StartLoggingTime", out.StartLoggingTime), StopLoggingTime: c.parseTime(n, "StopLoggingTime", out.StopLoggingTime),
	}, nil
}

// EnabledInsightTypes returns the Insights types enabled for the account
// (GetInsightTypes), by name; a type is enabled when its value is
// "Enable" (case-insensitive).
func (c *Clients) EnabledInsightTypes(ctx context.Context) (map[string]bool, error) {
	api := atAPI("GetInsightTypes")
	var out struct {
		InsightTypes map[string]any `json:"InsightTypes"`
	}
	if err := c.atCall(ctx, api, "", map[string]string{}, &out); err != nil {
		return nil, err
	}
	res := map[string]bool{}
	for k, v := range out.InsightTypes {
		s, _ := v.(string)
		res[k] = strings.EqualFold(s, "Enable") || strings.EqualFold(s, "Enabled")
	}
	return res, nil
}

// EnableInsight enables one Insights type. Enabling a type twice leaves it
// enabled.
func (c *Clients) EnableInsight(ctx context.Context, insightType string) (string, error) {
	api := atAPI("EnableInsight")
	if !validInsightType(insightType) {
		return "", refuse(api, insightType, "insight type %q: want one of %s", insightType, strings.Join(InsightTypes, ", "))
	}
	var out struct {
		RequestID string `json:"RequestId"`
	}
	if err := c.atCall(ctx, api, insightType, map[string]string{"InsightType": insightType}, &out); err != nil {
		return "", err
	}
	return out.RequestID, nil
}

func validInsightType(t string) bool {
	for _, x := range InsightTypes {
		if x == t {
			return true
		}
	}
	return false
}

// InsightSelectors returns the Insights types a trail delivers
// (GetInsightSelectors).
func (c *Clients) InsightSelectors(ctx context.Context, trail string) ([]string, error) {
	api := atAPI("GetInsightSelectors")
	if trail == "" {
		return nil, refuse(api, "", "trail name is empty")
	}
	var out struct {
		InsightSelectors []string `json:"InsightSelectors"`
	}
	if err := c.atCall(ctx, api, trail, map[string]string{"TrailName": trail}, &out); err != nil {
		return nil, err
	}
	var types []string
	for _, s := range out.InsightSelectors {
		var sel struct {
			InsightType string `json:"insightType"`
		}
		if json.Unmarshal([]byte(s), &sel) == nil && sel.InsightType != "" {
			types = append(types, sel.InsightType)
		}
	}
	return types, nil
}

// InsightQuery selects Insights events (LookupInsightEvents).
type InsightQuery struct {
	// AttributeKey is one of ServiceName, EventName, SourceIpAddress,
	// InsightType, EventId, AccessKeyId, InsightObject; "" = none.
	AttributeKey, AttributeValue string
	Start, End                   time.Time // zero = service default (now-7d / now)
}

// InsightEvent is one ActionTrail Insights event.
type InsightEvent struct {
	EventID       string
	SharedEventID string
	Time          time.Time
	Region        string
	State         string
	Type          string // AkInsight, IpInsight, ...
	Object        string // the AccessKey ID for AkInsight, the IP for IpInsight, ...
	Insight       float64
	Baseline      float64
	InsightCount  int
	Duration      time.Duration // insightDuration (minutes on the wire)
	Raw           json.RawMessage
}

// insightLookupMaxPage is LookupInsightEvents' per-page maximum.
const insightLookupMaxPage = 50

// LookupInsightEvents returns the Insights events matching q, following
// NextToken.
func (c *Clients) LookupInsightEvents(ctx context.Context, q InsightQuery) ([]InsightEvent, error) {
	api := atAPI("LookupInsightEvents")
	target := q.AttributeValue
	switch {
	case (q.AttributeKey == "") != (q.AttributeValue == ""):
		return nil, refuse(api, target, "lookup attribute needs both a key and a value (got key %q)", q.AttributeKey)
	case !q.Start.IsZero() && !q.End.IsZero() && q.End.Before(q.Start):
		return nil, refuse(api, target, "end %s is before start %s", q.End.UTC().Format(atTime), q.Start.UTC().Format(atTime))
	}
	base := map[string]string{"MaxResults": strconv.Itoa(insightLookupMaxPage)}
	if !q.Start.IsZero() {
		base["StartTime"] = q.Start.UTC().Format(atTime)
	}
	if !q.End.IsZero() {
		base["EndTime"] = q.End.UTC().Format(atTime)
	}
	if q.AttributeKey != "" {
		base["LookupAttribute.1.Key"] = q.AttributeKey
		base["LookupAttribute.1.Value"] = q.AttributeValue
	}
	var (
		res   []InsightEvent
		token string
		seen  = map[string]bool{}
	)
	for n := 0; n < maxPages; n++ {
		query := make(map[string]string, len(base)+1)
		for k, v := range base {
			query[k] = v
		}
		if token != "" {
			query["NextToken"] = token
		}
		var out struct {
			RequestID     string            `json:"RequestId"`
			NextToken     string            `json:"NextToken"`
			Events        []json.RawMessage `json:"Events"`
			InsightEvents []json.RawMessage `json:"InsightEvents"`
		}
		if err := c.atCall(ctx, api, target, query, &out); err != nil {
			return nil, err
		}
		raw := out.Events
		if len(raw) == 0 {
			raw = out.InsightEvents
		}
		for _, r := range raw {
			if ev, ok := parseInsightEvent(r); ok {
				res = append(res, ev)
			}
		}
		if out.NextToken == "" {
			return res, nil
		}
		if seen[out.NextToken] {
			return nil, &APIError{API: api.name(), Target: target, RequestID: out.RequestID, Message: "the service repeated a paging token", class: errNoClass}
		}
		seen[out.NextToken] = true
		token = out.NextToken
	}
	return nil, &APIError{API: api.name(), Target: target, Message: "gave up after 10000 pages", class: errNoClass}
}

// parseInsightEvent reads one Insights event; an event that is a JSON
// string (some ActionTrail answers embed events as text) is unwrapped.
func parseInsightEvent(r json.RawMessage) (InsightEvent, bool) {
	var s string
	if json.Unmarshal(r, &s) == nil {
		r = json.RawMessage(s)
	}
	var e struct {
		EventID        string `json:"eventId"`
		SharedEventID  string `json:"sharedEventId"`
		EventTime      string `json:"eventTime"`
		AcsRegion      string `json:"acsRegion"`
		InsightDetails struct {
			State          string `json:"state"`
			InsightType    string `json:"insightType"`
			InsightObject  string `json:"insightObject"`
			InsightContext struct {
				Statistics struct {
					Insight         float64 `json:"insight"`
					Baseline        float64 `json:"baseline"`
					InsightCount    float64 `json:"insightCount"`
					InsightDuration float64 `json:"insightDuration"`
				} `json:"statistics"`
			} `json:"insightContext"`
		} `json:"insightDetails"`
	}
	if err := json.Unmarshal(r, &e); err != nil || e.EventID == "" {
		return InsightEvent{}, false
	}
	t, _ := time.Parse(time.RFC3339, e.EventTime)
	d := e.InsightDetails
	st := d.InsightContext.Statistics
	return InsightEvent{
		EventID: e.EventID, SharedEventID: e.SharedEventID, Time: t.UTC(), Region: e.AcsRegion,
		State: d.State, Type: d.InsightType, Object: d.InsightObject,
		Insight: st.Insight, Baseline: st.Baseline, InsightCount: int(st.InsightCount),
		Duration: time.Duration(st.InsightDuration * float64(time.Minute)), Raw: append(json.RawMessage(nil), r...),
	}, true
}
