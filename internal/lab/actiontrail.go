package lab

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/akresp/akresp/internal/lazyre"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ActionTrail 2020-07-06 (alibaba-cloud-api.md section 12). Everything is
// answered from World.Events: the scenario's history plus every call the
// lab recorded. Unlike the real service there is no ingestion delay.

const (
	eventRetention   = 90 * 24 * time.Hour
	lastUsedWindow   = 400 * 24 * time.Hour
	defaultLookback  = 7 * 24 * time.Hour
	defaultTrailName = "akresp-lab-trail"
	maxTrails        = 5
)

var reTrailName = lazyre.New(`^[a-z][a-z0-9_-]{5,35}$`)

func actionTrailRoutes() map[string]route {
	m := map[string]route{
		"LookupEvents":                  {handler: atLookupEvents},
		"DescribeRegions":               {handler: atDescribeRegions},
		"GetAccessKeyLastUsedInfo":      {handler: atLastUsedInfo},
		"GetAccessKeyLastUsedProducts":  {handler: atLastUsedProducts},
		"GetAccessKeyLastUsedEvents":    {handler: atLastUsedList("Events")},
		"GetAccessKeyLastUsedIps":       {handler: atLastUsedList("Ips")},
		"GetAccessKeyLastUsedResources": {handler: atLastUsedList("Resources")},
		"DescribeTrails":                {handler: atDescribeTrails},
		"GetTrailStatus":                {handler: atGetTrailStatus},
		"CreateTrail":                   {handler: atCreateTrail},
		"UpdateTrail":                   {handler: atUpdateTrail},
		"DeleteTrail":                   {handler: atDeleteTrail},
		"StartLogging":                  {handler: atSetLogging(true)},
		"StopLogging":                   {handler: atSetLogging(false)},
	}
	insightRoutes(m) // insights.go
	return m
}

func atInvalid(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "InvalidParameter", format, args...)
}

// bindToken makes an opaque paging token bound to the parameters that
// define the query: replaying it with other parameters fails.
func bindToken(binding []string, cursor string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(bindingHash(binding) + "|" + cursor))
}

func bindingHash(binding []string) string {
	sum := sha256.Sum256([]byte(strings.Join(binding, "\x00")))
	return hex.EncodeToString(sum[:8])
}

// readToken returns the cursor of a token minted for binding.
func readToken(tok string, binding []string) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", false
	}
	h, cursor, ok := strings.Cut(string(raw), "|")
	if !ok || h != bindingHash(binding) {
		return "", false
	}
	return cursor, true
}

// --- LookupEvents ----------------------------------------------------------

// candidates is an ascending-by-time sequence of event positions: either
// an explicit list (from the AccessKey index) or the range [lo, hi).
type candidates struct {
	pos    []int
	lo, hi int
	list   bool
}

func (c candidates) n() int {
	if c.list {
		return len(c.pos)
	}
	return c.hi - c.lo
}

func (c candidates) at(i int) int {
	if c.list {
		return c.pos[i]
	}
	return c.lo + i
}

var lookupKeys = map[string]func(e *Event, v string) bool{
	"EventAccessKeyId": func(e *Event, v string) bool { return e.UserIdentity.AccessKeyID == v },
	"EventName":        func(e *Event, v string) bool { return e.EventName == v },
	"ServiceName":      func(e *Event, v string) bool { return strings.EqualFold(e.ServiceName, v) },
	"User":             func(e *Event, v string) bool { return e.UserIdentity.UserName == v },
	"EventId":          func(e *Event, v string) bool { return e.EventID == v },
	"EventRW":          func(e *Event, v string) bool { return strings.EqualFold(e.EventRW, v) },
	"ResourceType": func(e *Event, v string) bool {
		if e.ResourceType == v {
			return true
		}
		_, ok := e.ReferencedResources[v]
		return ok
	},
	"ResourceName": func(e *Event, v string) bool {
		for _, n := range strings.Split(e.ResourceName, ";") {
			if n == v {
				return true
			}
		}
		for _, names := range e.ReferencedResources {
			for _, n := range names {
				if n == v {
					return true
				}
			}
		}
		return false
	},
}

func parseLookupTime(c *call, name string) (time.Time, *apiError) {
	v := c.param(name)
	t, err := parseSignTime(v)
	if err != nil {
		return time.Time{}, atInvalid("Specified parameter %s %q is not a UTC time like 2006-01-02T15:04:05Z.", name, v)
	}
	return t.UTC(), nil
}

// maxLookupAttributes and maxLookupRange are LookupEvents' documented
// limits: "You can specify one or two lookup conditions at a time" and
// "The maximum time range is 30 days" (ActionTrail API reference,
// api-actiontrail-2020-07-06-lookupevents and doc-detail/185722).
const (
	maxLookupAttributes = 2
	maxLookupRange      = 30 * 24 * time.Hour
)

// lookupAttribute is one LookupAttribute.N condition.
type lookupAttribute struct {
	key, value string
	match      func(e *Event, v string) bool
}

// lookupWindow reads StartTime and EndTime: both or neither (then the last
// 7 days), start not after end, at most maxLookupRange apart.
func lookupWindow(c *call) (start, end time.Time, aerr *apiError) {
	hasStart, hasEnd := c.param("StartTime") != "", c.param("EndTime") != ""
	switch {
	case hasStart != hasEnd:
		return start, end, atInvalid("Specify both StartTime and EndTime, or neither (got only %s).", map[bool]string{true: "StartTime", false: "EndTime"}[hasStart])
	case !hasStart:
		return c.now.Add(-defaultLookback), c.now, nil
	}
	if start, aerr = parseLookupTime(c, "StartTime"); aerr != nil {
		return
	}
	if end, aerr = parseLookupTime(c, "EndTime"); aerr != nil {
		return
	}
	if start.After(end) {
		return start, end, atInvalid("StartTime %s is after EndTime %s.", fmtTime(start), fmtTime(end))
	}
	if end.Sub(start) > maxLookupRange {
		return start, end, atInvalid("The time range from StartTime %s to EndTime %s is longer than the maximum of 30 days.", fmtTime(start), fmtTime(end))
	}
	return start, end, nil
}

// lookupAttributes reads LookupAttribute.1 and .2 (both must match).
func lookupAttributes(c *call) ([]lookupAttribute, *apiError) {
	for k := range c.params {
		rest, ok := strings.CutPrefix(k, "LookupAttribute.")
		if !ok {
			continue
		}
		n, field, ok := strings.Cut(rest, ".")
		if !ok || (field != "Key" && field != "Value") {
			return nil, atInvalid("Specified parameter %s is not valid.", k)
		}
		if i, err := strconv.Atoi(n); err != nil || i < 1 || i > maxLookupAttributes {
			return nil, atInvalid("At most %d LookupAttribute conditions are allowed per query (got %s).", maxLookupAttributes, k)
		}
	}
	var attrs []lookupAttribute
	for i := 1; i <= maxLookupAttributes; i++ {
		key, value := c.param(fmt.Sprintf("LookupAttribute.%d.Key", i)), c.param(fmt.Sprintf("LookupAttribute.%d.Value", i))
		if key == "" && value == "" {
			continue
		}
		if key == "" || value == "" {
			return nil, atInvalid("LookupAttribute.%d needs both a Key and a Value.", i)
		}
		match, ok := lookupKeys[key]
		if !ok {
			return nil, atInvalid("LookupAttribute key %q is not supported; use EventAccessKeyId, EventName, ServiceName, User, EventId, ResourceType, ResourceName or EventRW.", key)
		}
		attrs = append(attrs, lookupAttribute{key: key, value: value, match: match})
	}
	return attrs, nil
}

// inRegion reports whether LookupEvents at region's endpoint returns e:
// the region's own events and every global service's events. An event
// without acsRegion belongs to the lab's default region.
func inRegion(e *Event, region string) bool {
	if e.IsGlobal {
		return true
	}
	r := e.AcsRegion
	if r == "" {
		r = DefaultRegion
	}
	return r == region
}

func atLookupEvents(c *call) (jobj, *apiError) {
	start, end, aerr := lookupWindow(c)
	if aerr != nil {
		return nil, aerr
	}
	attrs, aerr := lookupAttributes(c)
	if aerr != nil {
		return nil, aerr
	}
	maxResults := 20
	if v := c.param("MaxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 50 {
			return nil, atInvalid("Specified parameter MaxResults %q is not an integer in 0..50.", v)
		}
		if n > 0 {
			maxResults = n
		}
	}
	dir := c.param("Direction")
	if dir == "" {
		dir = "BACKWARD"
	}
	if dir != "BACKWARD" && dir != "FORWARD" {
		return nil, atInvalid("Specified parameter Direction %q is not valid; use BACKWARD or FORWARD.", dir)
	}
	region := c.endpointRegion()
	binding := []string{"LookupEvents", region, c.param("StartTime"), c.param("EndTime"), dir}
	keyID := ""
	for _, a := range attrs {
		binding = append(binding, a.key, a.value)
		if a.key == "EventAccessKeyId" {
			keyID = a.value
		}
	}
	match := func(e *Event) bool {
		if !inRegion(e, region) {
			return false
		}
		for _, a := range attrs {
			if !a.match(e, a.value) {
				return false
			}
		}
		return true
	}

	// History older than 90 days (by the lab clock) is gone.
	floor := c.now.Add(-eventRetention)
	if start.Before(floor) {
		start = floor
	}
	evs := c.w.Events
	var cand candidates
	if keyID != "" {
		pos := c.s.idx.keyEvents(evs, keyID)
		lo := sort.Search(len(pos), func(i int) bool { return !evs[pos[i]].Time.Before(start) })
		hi := sort.Search(len(pos), func(i int) bool { return evs[pos[i]].Time.After(end) })
		cand = candidates{pos: pos[lo:max(lo, hi)], list: true}
	} else {
		lo := sort.Search(len(evs), func(i int) bool { return !evs[i].Time.Before(start) })
		hi := sort.Search(len(evs), func(i int) bool { return evs[i].Time.After(end) })
		cand = candidates{lo: lo, hi: max(lo, hi)}
	}

	// i walks the candidates in answer order; a token resumes after the
	// last event returned (found by time, then id).
	backward := dir == "BACKWARD"
	i := 0
	if backward {
		i = cand.n() - 1
	}
	if tok := c.param("NextToken"); tok != "" {
		cursor, ok := readToken(tok, binding)
		tsStr, id, ok2 := strings.Cut(cursor, "/")
		ts, err := strconv.ParseInt(tsStr, 10, 64)
		if !ok || !ok2 || err != nil {
			return nil, atInvalid("Specified parameter NextToken is not valid for this query (it must be replayed at the same endpoint with the same StartTime, EndTime, LookupAttribute and Direction).")
		}
		ct := time.Unix(ts, 0).UTC()
		j := sort.Search(cand.n(), func(k int) bool { return !evs[cand.at(k)].Time.Before(ct) })
		found := -1
		for k := j; k < cand.n() && evs[cand.at(k)].Time.Equal(ct); k++ {
			if evs[cand.at(k)].EventID == id {
				found = k
				break
			}
		}
		switch {
		case found >= 0 && backward:
			i = found - 1
		case found >= 0:
			i = found + 1
		case backward:
			i = j - 1
		default:
			k := sort.Search(cand.n(), func(k int) bool { return evs[cand.at(k)].Time.After(ct) })
			i = k
		}
	}
	step := 1
	if backward {
		step = -1
	}
	out := make([]json.RawMessage, 0, maxResults)
	var last *Event
	next := ""
	for ; i >= 0 && i < cand.n(); i += step {
		e := &evs[cand.at(i)]
		if !match(e) {
			continue
		}
		if len(out) == maxResults {
			next = bindToken(binding, strconv.FormatInt(last.Time.Unix(), 10)+"/"+last.EventID)
			break
		}
		out = append(out, e.MarshalRaw())
		last = e
	}
	res := jobj{"StartTime": fmtTime(start), "EndTime": fmtTime(end), "Events": out}
	if next != "" {
		res["NextToken"] = next
	}
	return res, nil
}

// --- AccessKey last-used audit ---------------------------------------------

var serviceNames = map[string][2]string{ // serviceName -> {Cn, En}
	"Ram":         {"访问控制", "Resource Access Management"},
	"Ims":         {"访问控制", "Resource Access Management"},
	"Sts":         {"访问控制", "Security Token Service"},
	"Actiontrail": {"操作审计", "ActionTrail"},
	"Ecs":         {"云服务器 ECS", "Elastic Compute Service"},
	"Rds":         {"云数据库 RDS", "ApsaraDB RDS"},
	"Dysms":       {"短信服务", "Short Message Service"},
}

func serviceObj(o jobj, svc string) jobj {
	names, ok := serviceNames[svc]
	if !ok {
		names = [2]string{svc, svc}
	}
	o["ServiceName"], o["ServiceNameCn"], o["ServiceNameEn"] = svc, names[0], names[1]
	return o
}

func usage(o jobj, e *Event) jobj {
	o["Source"] = "ManagementEvent"
	o["UsedTimestamp"] = e.Time.UnixMilli()
	o["Detail"] = string(e.MarshalRaw())
	return o
}

// auditKey resolves the AccessKey parameter and the uses of that key in the
// last 400 days, newest first.
func auditKey(c *call) (string, []*Event, *apiError) {
	id, aerr := c.require("AccessKey")
	if aerr != nil {
		return "", nil, aerr
	}
	uses := usesSince(c.w, &c.s.idx, id, c.now.Add(-lastUsedWindow))
	_, live := c.w.AccessKeys[id]
	_, recycled := c.w.RecycleBin[id]
	_, sts := c.w.STSTokens[id]
	if !live && !recycled && !sts && len(c.s.idx.keyEvents(c.w.Events, id)) == 0 {
		return "", nil, errNotExist("EntityNotExist.AccessKey", "The AccessKey %s does not exist in this account.", id)
	}
	return id, uses, nil
}

func atLastUsedInfo(c *call) (jobj, *apiError) {
	id, uses, aerr := auditKey(c)
	if aerr != nil {
		return nil, aerr
	}
	o := jobj{"AccessKeyId": id, "AccountId": c.w.Account.ID}
	owner, known := "", false
	if k, ok := c.w.AccessKeys[id]; ok {
		owner, known = k.Owner, true
	} else if r, ok := c.w.RecycleBin[id]; ok {
		owner, known = r.Key.Owner, true
	}
	switch {
	case known && owner == "":
		o["AccountType"], o["UserName"], o["OwnerId"] = "root-account", "root", c.w.Account.ID
	case known:
		o["AccountType"], o["UserName"], o["OwnerId"] = "ram-user", owner, ownerUserID(c.w, owner)
	default:
		if all := c.s.idx.keyEvents(c.w.Events, id); len(all) > 0 {
			ui := c.w.Events[all[len(all)-1]].UserIdentity
			o["AccountType"], o["UserName"], o["OwnerId"] = ui.Type, ui.UserName, ui.PrincipalID
		}
	}
	if len(uses) > 0 {
		serviceObj(o, uses[0].ServiceName)
		usage(o, uses[0])
	}
	return o, nil
}

func atLastUsedProducts(c *call) (jobj, *apiError) {
	_, uses, aerr := auditKey(c)
	if aerr != nil {
		return nil, aerr
	}
	seen := map[string]bool{}
	list := []jobj{}
	for _, e := range uses {
		if seen[e.ServiceName] {
			continue
		}
		seen[e.ServiceName] = true
		list = append(list, usage(serviceObj(jobj{}, e.ServiceName), e))
	}
	return jobj{"Products": list}, nil
}

// atLastUsedList serves GetAccessKeyLastUsedEvents / Ips / Resources: the
// distinct event names, source IPs or resources the key touched, each with
// its latest use, newest first, paged by PageSize/NextToken.
func atLastUsedList(kind string) func(c *call) (jobj, *apiError) {
	return func(c *call) (jobj, *apiError) {
		id, uses, aerr := auditKey(c)
		if aerr != nil {
			return nil, aerr
		}
		pageSize := 20
		if v := c.param("PageSize"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 100 {
				return nil, atInvalid("Specified parameter PageSize %q is not an integer in 1..100.", v)
			}
			if n > 0 {
				pageSize = n
			}
		}
		svc := c.param("ServiceName")
		var items []jobj
		seen := map[string]bool{}
		for _, e := range uses {
			if svc != "" && !strings.EqualFold(e.ServiceName, svc) {
				continue
			}
			switch kind {
			case "Events":
				if !seen[e.EventName] {
					seen[e.EventName] = true
					items = append(items, usage(jobj{"EventName": e.EventName}, e))
				}
			case "Ips":
				if !seen[e.SourceIPAddress] {
					seen[e.SourceIPAddress] = true
					items = append(items, usage(jobj{"Ip": e.SourceIPAddress}, e))
				}
			case "Resources":
				types := make([]string, 0, len(e.ReferencedResources))
				for t := range e.ReferencedResources {
					types = append(types, t)
				}
				sort.Strings(types)
				for _, t := range types {
					for _, n := range e.ReferencedResources[t] {
						if k := t + "\x00" + n; !seen[k] {
							seen[k] = true
							items = append(items, usage(jobj{"ResourceType": t, "ResourceName": n}, e))
						}
					}
				}
			}
		}
		binding := []string{"GetAccessKeyLastUsed" + kind, id, svc}
		start := 0
		if tok := c.param("NextToken"); tok != "" {
			cursor, ok := readToken(tok, binding)
			n, err := strconv.Atoi(cursor)
			if !ok || err != nil || n < 0 || n > len(items) {
				return nil, atInvalid("Specified parameter NextToken is not valid for this query.")
			}
			start = n
		}
		end := min(start+pageSize, len(items))
		page := items[start:end]
		if page == nil {
			page = []jobj{}
		}
		o := jobj{kind: page}
		if end < len(items) {
			o["NextToken"] = bindToken(binding, strconv.Itoa(end))
		}
		return o, nil
	}
}

// --- trails ----------------------------------------------------------------

// trail is an ActionTrail trail. Trails live on the server, not in World:
// stopping one does not stop event history (LookupEvents keeps working),
// exactly as in the real service.
type trail struct {
	Name, EventRW, Region, HomeRegion      string
	OssBucketName, OssKeyPrefix, OssRole   string
	SlsProjectArn, SlsWriteRoleArn         string
	Logging                                bool
	Created, Updated, StartedAt, StoppedAt time.Time
}

var labEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func defaultTrails() map[string]*trail {
	return map[string]*trail{defaultTrailName: {
		Name: defaultTrailName, EventRW: "All", Region: "All", HomeRegion: "cn-hangzhou",
		SlsProjectArn: "acs:log:cn-hangzhou:" + defaultAccountID + ":project/akresp-lab-trail",
		Logging:       true, Created: labEpoch, Updated: labEpoch, StartedAt: labEpoch,
	}}
}

func (t *trail) jobj(acct string) jobj {
	status := "Disable"
	if t.Logging {
		status = "Enable"
	}
	return jobj{
		"Name": t.Name, "HomeRegion": t.HomeRegion, "TrailRegion": t.Region, "Region": t.HomeRegion,
		"Status": status, "EventRW": t.EventRW,
		"OssBucketName": t.OssBucketName, "OssKeyPrefix": t.OssKeyPrefix, "OssWriteRoleArn": t.OssRole,
		"SlsProjectArn": t.SlsProjectArn, "SlsWriteRoleArn": t.SlsWriteRoleArn,
		"IsOrganizationTrail": false,
		"TrailArn":            "acs:actiontrail:" + t.HomeRegion + ":" + acct + ":actiontrail/" + t.Name,
		"CreateTime":          fmtTime(t.Created), "UpdateTime": fmtTime(t.Updated),
		"StartLoggingTime": fmtTime(t.StartedAt), "StopLoggingTime": fmtTime(t.StoppedAt),
	}
}

func (c *call) trail() (*trail, *apiError) {
	name, aerr := c.require("Name")
	if aerr != nil {
		return nil, aerr
	}
	t, ok := c.s.trails[name]
	if !ok {
		return nil, errNotExist("TrailNotFoundException", "The trail %s does not exist.", name)
	}
	return t, nil
}

func atDescribeTrails(c *call) (jobj, *apiError) {
	want := map[string]bool{}
	for _, n := range strings.Split(c.param("NameList"), ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	names := make([]string, 0, len(c.s.trails))
	for n := range c.s.trails {
		if len(want) == 0 || want[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	list := []jobj{}
	for _, n := range names {
		list = append(list, c.s.trails[n].jobj(c.w.Account.ID))
	}
	return jobj{"TrailList": list}, nil
}

func atGetTrailStatus(c *call) (jobj, *apiError) {
	t, aerr := c.trail()
	if aerr != nil {
		return nil, aerr
	}
	o := jobj{
		"IsLogging": t.Logging, "OssBucketStatus": t.OssBucketName != "", "SlsLogStoreStatus": t.SlsProjectArn != "",
		"StartLoggingTime": fmtTime(t.StartedAt), "StopLoggingTime": fmtTime(t.StoppedAt),
		"LatestDeliveryError": "", "LatestDeliveryLogServiceError": "",
	}
	if t.Logging {
		o["LatestDeliveryTime"], o["LatestDeliveryLogServiceTime"] = fmtTime(c.now), fmtTime(c.now)
	}
	return o, nil
}

func applyTrailParams(c *call, t *trail) *apiError {
	if v := c.param("EventRW"); v != "" {
		if v != "Read" && v != "Write" && v != "All" {
			return atInvalid("Specified parameter EventRW %q is not valid; use Read, Write or All.", v)
		}
		t.EventRW = v
	}
	for name, dst := range map[string]*string{
		"TrailRegion": &t.Region, "OssBucketName": &t.OssBucketName, "OssKeyPrefix": &t.OssKeyPrefix,
		"OssWriteRoleArn": &t.OssRole, "SlsProjectArn": &t.SlsProjectArn, "SlsWriteRoleArn": &t.SlsWriteRoleArn,
	} {
		if v, ok := c.params[name]; ok {
			*dst = v
		}
	}
	t.Updated = c.now
	return nil
}

func atCreateTrail(c *call) (jobj, *apiError) {
	name, aerr := c.require("Name")
	if aerr != nil {
		return nil, aerr
	}
	if !reTrailName.MatchString(name) {
		return nil, atInvalid("Specified parameter Name %q is not valid: 6-36 characters, starting with a lower-case letter, then a-z 0-9 _ -.", name)
	}
	if _, ok := c.s.trails[name]; ok {
		return nil, errConflict("TrailAlreadyExistsException", "The trail %s already exists.", name)
	}
	if len(c.s.trails) >= maxTrails {
		return nil, errConflict("InsufficientTrailsQuotaException", "The account already has %d trails, the limit.", maxTrails)
	}
	t := &trail{Name: name, EventRW: "Write", Region: "All", HomeRegion: c.region, Created: c.now}
	if aerr := applyTrailParams(c, t); aerr != nil {
		return nil, aerr
	}
	c.s.trails[name] = t
	o := t.jobj(c.w.Account.ID)
	return jobj{"Name": o["Name"], "HomeRegion": o["HomeRegion"], "TrailRegion": o["TrailRegion"], "EventRW": o["EventRW"],
		"OssBucketName": o["OssBucketName"], "OssKeyPrefix": o["OssKeyPrefix"], "OssWriteRoleArn": o["OssWriteRoleArn"],
		"SlsProjectArn": o["SlsProjectArn"], "SlsWriteRoleArn": o["SlsWriteRoleArn"]}, nil
}

func atUpdateTrail(c *call) (jobj, *apiError) {
	t, aerr := c.trail()
	if aerr != nil {
		return nil, aerr
	}
	if aerr := applyTrailParams(c, t); aerr != nil {
		return nil, aerr
	}
	o := t.jobj(c.w.Account.ID)
	return jobj{"Name": o["Name"], "HomeRegion": o["HomeRegion"], "TrailRegion": o["TrailRegion"], "EventRW": o["EventRW"],
		"OssBucketName": o["OssBucketName"], "OssKeyPrefix": o["OssKeyPrefix"], "OssWriteRoleArn": o["OssWriteRoleArn"],
		"SlsProjectArn": o["SlsProjectArn"], "SlsWriteRoleArn": o["SlsWriteRoleArn"]}, nil
}

func atDeleteTrail(c *call) (jobj, *apiError) {
	t, aerr := c.trail()
	if aerr != nil {
		return nil, aerr
	}
	delete(c.s.trails, t.Name)
	return jobj{}, nil
}

func atSetLogging(on bool) func(c *call) (jobj, *apiError) {
	return func(c *call) (jobj, *apiError) {
		t, aerr := c.trail()
		if aerr != nil {
			return nil, aerr
		}
		if on && !t.Logging {
			t.Logging, t.StartedAt = true, c.now
		} else if !on && t.Logging {
			t.Logging, t.StoppedAt = false, c.now
		}
		return jobj{}, nil
	}
}

// --- regions ---------------------------------------------------------------

// DefaultRegion is the region of an endpoint whose Host names none (the
// lab's own address): LookupEvents there answers this region's events,
// as the real service answers the region of the endpoint it was sent to.
const DefaultRegion = "cn-hangzhou"

var reHostRegion = lazyre.New(`^[a-z]{2,4}(?:-[a-z0-9]+)+$`)

// hostRegion returns the region named by a regional endpoint host
// ("actiontrail.us-west-1.aliyuncs.com[:port]"), or "".
func hostRegion(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	labels := strings.Split(strings.ToLower(strings.TrimSuffix(host, ".")), ".")
	if len(labels) != 4 || labels[2] != "aliyuncs" || labels[3] != "com" || !reHostRegion.MatchString(labels[1]) {
		return ""
	}
	return labels[1]
}

// endpointRegion is the region of the endpoint the call was sent to: the
// Host header's region, else DefaultRegion. Parameters (RegionId) do not
// change it: the classic SDK sends RegionId with every call, and the real
// service answers for the endpoint's region regardless.
func (c *call) endpointRegion() string {
	if r := hostRegion(c.host); r != "" {
		return r
	}
	return DefaultRegion
}

// atDescribeRegions lists the lab's regions (labRegions, shared with ECS
// DescribeRegions; the real list is longer).
func atDescribeRegions(c *call) (jobj, *apiError) {
	list := make([]jobj, 0, len(labRegions))
	for _, r := range labRegions {
		list = append(list, jobj{"RegionId": r, "LocalName": r, "RegionEndpoint": "actiontrail." + r + ".aliyuncs.com"})
	}
	return jobj{"Regions": jobj{"Region": list}}, nil
}
