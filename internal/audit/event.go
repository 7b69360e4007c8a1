package audit

import (
	"fmt"
	"strings"
	"time"
)

// Event is one normalised record of something done with an AccessKey: an
// ActionTrail event (online from LookupEvents or offline from trail files)
// or a data-plane request from an OSS access log or an SLS operation log.
// Every reader in this package produces Events with the same parser, so the
// online and offline audits of the same events see identical values.
type Event struct {
	ID, RequestID string
	Time          time.Time // UTC
	Name          string    // eventName, e.g. CreateAccessKey; the operation for data-plane logs
	// Service is the canonical serviceName: first letter upper, the rest
	// lower, as ActionTrail writes it ("Ecs", "Ram", "Ims", "Sts",
	// "Actiontrail", "Oss", "Sls", "Dysms"). See CanonicalService.
	Service     string
	Type        string // eventType: ApiCall, ConsoleSignin, ConsoleOperation, AliyunServiceEvent ...
	RW          string // "Read" or "Write" (derived from Name when the record has no eventRW)
	Region      string // acsRegion
	SourceIP    string
	UserAgent   string
	AccessKeyID string // userIdentity.accessKeyId
	UserType    string // userIdentity.type: root-account, ram-user, assumed-role ...
	UserName    string
	PrincipalID string
	AccountID   string
	ErrorCode   string
	// ErrorMessage is the service's error text ("" on success).
	ErrorMessage string
	VpcID        string
	// Params are the requestParameters: scalar values as their text, nested
	// values as compact JSON text; nil when the event has none.
	Params map[string]string
	// Response is responseElements decoded like encoding/json decodes into
	// any (numbers are float64), kept for Write events only (rules read
	// e.g. AccessKey.AccessKeyId of CreateAccessKey); nil for reads.
	Response  map[string]any
	Resources []Resource // referencedResources, plus resourceType/resourceName
	Source    Origin     // where the record came from, for evidence
	DataPlane bool       // true for OSS access log and SLS operation log records
}

// Resource is one resource an event touched, e.g. {"ACS::RAM::User", "alice"}.
type Resource struct{ Type, Name string }

// Origin locates the record an Event was read from.
type Origin struct {
	Kind string `json:"kind"`           // OriginLookup, OriginTrail, OriginOSSLog or OriginSLSLog
	File string `json:"file,omitempty"` // path of the file; "" for LookupEvents
	// Pos is the record's position in File: the line number for line
	// formats, the ordinal of the element (from 1) for JSON arrays, the
	// index in the page (from 0) for LookupEvents.
	Pos int64 `json:"pos"`
}

// Origin kinds.
const (
	OriginLookup = "lookup"
	OriginTrail  = "trail"
	OriginOSSLog = "oss-log"
	OriginSLSLog = "sls-log"
)

// ParseEvent decodes one ActionTrail event JSON object.
//
// It reads the ActionTrail schema (alibaba-cloud-api.md section 14: the
// LookupEvents items, the objects of an OSS trail delivery, the akresp lab's
// events) and the layouts Simple Log Service exports: a row whose "event"
// field holds the event as JSON text, rows with "event."-prefixed or dotted
// keys ("userIdentity.accessKeyId", "requestParameters.UserName"), and
// requestParameterJson/responseElements/referencedResources held as JSON
// text. A record needs an eventName and a time (eventTime, or the SLS
// __time__); malformed JSON, nesting deeper than 128 levels or fields of the
// wrong type are errors that say what was wrong.
func ParseEvent(raw []byte, origin Origin) (Event, error) {
	var ev Event
	p := eventParser{}
	if err := p.parse(&ev, raw, origin); err != nil {
		return Event{}, err
	}
	return ev, nil
}

// serviceAliases maps lower-cased product codes that ActionTrail or the data
// plane logs spell differently from the serviceName the rules match on.
var serviceAliases = map[string]string{
	"log":      "Sls",
	"sls":      "Sls",
	"dysmsapi": "Dysms",
	"dysms":    "Dysms",
}

// CanonicalService normalises a serviceName or product code
// case-insensitively: the first letter upper case, the rest lower
// ("ECS" => "Ecs", "actiontrail" => "Actiontrail"), with the aliases
// "log" => "Sls" and "dysmsapi" => "Dysms".
func CanonicalService(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if isCanonical(s) {
		if a, ok := serviceAliases[strings.ToLower(s)]; ok {
			return a
		}
		return s
	}
	low := strings.ToLower(s)
	if a, ok := serviceAliases[low]; ok {
		return a
	}
	return strings.ToUpper(low[:1]) + low[1:]
}

func isCanonical(s string) bool {
	if s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return false
		}
	}
	return true
}

// readPrefixes are the API-name prefixes of read-only calls. ActionTrail's
// own rule is Get/List/Describe/Query/Lookup/Check; Head (OSS HeadObject),
// Pull (SLS PullLogs), Search and Decode are read-only as well.
var readPrefixes = []string{"Get", "List", "Describe", "Query", "Lookup", "Check", "Head", "Pull", "Search", "Decode"}

// DeriveRW classifies an API name as "Read" or "Write" when a record carries
// no eventRW.
func DeriveRW(name string) string {
	for _, p := range readPrefixes {
		if len(name) > len(p) && name[:len(p)] == p && !isLowerASCII(name[len(p)]) {
			return "Read"
		}
	}
	return "Write"
}

func isLowerASCII(c byte) bool { return c >= 'a' && c <= 'z' }

// The range of event times akresp accepts. The engine keeps times as
// UnixNano (int64 nanoseconds: 1678 to 2262), and no AccessKey was used
// before ActionTrail existed or more than a day in the future: a record
// dated outside [EarliestEventTime, now + MaxClockSkew] is malformed
// (reported with its file and position, never analysed), whatever its
// layout (RFC 3339 text, a Unix time in any unit, the OSS log layout).
var EarliestEventTime = time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)

// MaxClockSkew is how far after now an event time may lie.
const MaxClockSkew = 24 * time.Hour

// nowFunc is the clock of the plausibility check (tests replace it).
var nowFunc = time.Now

// LatestEventTime is the latest plausible event time at now.
func LatestEventTime(now time.Time) time.Time { return now.Add(MaxClockSkew) }

// timeBound checks event times against the plausible range. Its upper
// end is fixed when first used, so one file is judged by one clock.
type timeBound struct{ latest time.Time }

// check returns an error naming field and the accepted range when t is
// outside it.
func (b *timeBound) check(field string, t time.Time) error {
	if b.latest.IsZero() {
		b.latest = LatestEventTime(nowFunc())
	}
	if t.Before(EarliestEventTime) || t.After(b.latest) {
		return &TimeRangeError{Field: field, Time: t, Latest: b.latest}
	}
	return nil
}

// TimeRangeError is an event time outside the accepted range.
type TimeRangeError struct {
	Field        string
	Time, Latest time.Time
}

func (e *TimeRangeError) Error() string {
	return fmt.Sprintf("%s %s is outside the accepted range %s to %s (now + 1 day); event skipped as malformed",
		e.Field, e.Time.UTC().Format(time.RFC3339), EarliestEventTime.Format("2006-01-02"), e.Latest.UTC().Format(time.RFC3339))
}
