package lab

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"
)

// EventTimeLayout is ActionTrail's eventTime format (UTC).
const EventTimeLayout = "2006-01-02T15:04:05Z"

// Caller is the resolved identity behind a call.
type Caller struct {
	Type        string // root-account | ram-user | assumed-role
	PrincipalID string // account id (root), user id (ram-user), roleId:session (assumed-role)
	UserName    string // root | user name | role:session
	AccessKeyID string
}

// EventSpec describes one call to record as an ActionTrail event. Both the
// server (for live calls) and the scenario loader (for history) build events
// through World.NewEvent, so recorded and seeded events look the same.
type EventSpec struct {
	Time      time.Time
	Version   string // API version, e.g. 2015-05-01; selects the service
	Action    string // API name, e.g. CreateUser
	Service   string // optional override of the serviceName
	Region    string // acsRegion; default cn-hangzhou
	SourceIP  string
	UserAgent string
	Caller    Caller
	// Params are the flattened wire parameters. The caller must already have
	// removed signatures, tokens and secrets (see ScrubParams).
	Params       map[string]string
	Response     map[string]any
	ErrorCode    string
	ErrorMessage string
	RequestID    string
	EventType    string // default ApiCall
}

// ServiceInfo describes how ActionTrail names an API version's service.
type ServiceInfo struct {
	Name string // serviceName in events
	Host string // endpoint host pattern (HostId of errors); %s is the region
	// EventHost is the eventSource/AcsHost pattern of the service's events
	// when it differs from Host: IMS events name ims-share.aliyuncs.com
	// (ActionTrail user guide, "IMS" sample events).
	EventHost string
	Product   string // RAM action prefix (ram, ecs, rds, dysms, actiontrail, sts)
	Global    bool
}

// Services maps API version to service facts. RAM and IMS both authorise
// with the "ram:" action prefix.
var Services = map[string]ServiceInfo{
	"2015-05-01": {Name: "Ram", Host: "ram.aliyuncs.com", Product: "ram", Global: true},
	"2019-08-15": {Name: "Ims", Host: "ims.aliyuncs.com", EventHost: "ims-share.aliyuncs.com", Product: "ram", Global: true},
	"2020-07-06": {Name: "Actiontrail", Host: "actiontrail.%s.aliyuncs.com", Product: "actiontrail"},
	"2015-04-01": {Name: "Sts", Host: "sts.aliyuncs.com", Product: "sts", Global: true},
	"2014-05-26": {Name: "Ecs", Host: "ecs.%s.aliyuncs.com", Product: "ecs"},
	"2014-08-15": {Name: "Rds", Host: "rds.aliyuncs.com", Product: "rds"},
	"2017-05-25": {Name: "Dysms", Host: "dysmsapi.aliyuncs.com", Product: "dysms", Global: true},
	"2016-01-20": {Name: "Kms", Host: "kms.%s.aliyuncs.com", Product: "kms"},
	"2018-12-03": {Name: "Sas", Host: "tds.aliyuncs.com", Product: "yundun-aegis", Global: true},
	"2017-12-14": {Name: "BssOpenApi", Host: "business.aliyuncs.com", Product: "bssapi", Global: true},
}

// ActionRW classifies an API name as Read or Write the way ActionTrail does
// for the APIs the lab serves.
func ActionRW(action string) string {
	for _, p := range []string{"Get", "List", "Describe", "Query", "Lookup", "Check", "Decode"} {
		if strings.HasPrefix(action, p) {
			return "Read"
		}
	}
	return "Write"
}

// NewRequestID returns an upper-case UUID-shaped request id.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]))
}

// NewEventID returns an upper-case UUID-shaped event id. Events of API
// calls use their request id instead (NewEvent).
func NewEventID() string {
	return NewRequestID()
}

// secretParams are wire parameters that are never written to an event.
var secretParams = map[string]bool{
	"Signature": true, "SecurityToken": true, "AccessKeySecret": true,
	"Password": true, "NewPassword": true, "OldPassword": true,
}

// ScrubParams returns a copy of params without signatures, tokens, passwords
// and secrets.
func ScrubParams(params map[string]string) map[string]string {
	out := make(map[string]string, len(params))
	for k, v := range params {
		if secretParams[k] {
			continue
		}
		out[k] = v
	}
	return out
}

// rpcAuthParams are V1 signing parameters; they are not API parameters.
var rpcAuthParams = map[string]bool{
	"Signature": true, "SignatureMethod": true, "SignatureVersion": true,
	"SignatureNonce": true, "SignatureType": true, "Timestamp": true,
	"AccessKeyId": true, "SecurityToken": true, "Format": true,
	"Action": true, "Version": true,
}

// NewEvent builds the ActionTrail event for spec. It does not append it.
func (w *World) NewEvent(spec EventSpec) Event {
	svc, ok := Services[spec.Version]
	if !ok {
		svc = ServiceInfo{Name: "Unknown", Host: "unknown.aliyuncs.com"}
	}
	if spec.Service != "" {
		svc.Name = spec.Service
	}
	region := spec.Region
	if region == "" {
		region = "cn-hangzhou"
	}
	host := svc.Host
	if svc.EventHost != "" {
		host = svc.EventHost
	}
	if strings.Contains(host, "%s") {
		host = fmt.Sprintf(host, region)
	}
	reqID := spec.RequestID
	if reqID == "" {
		reqID = NewRequestID()
	}
	evType := spec.EventType
	if evType == "" {
		evType = "ApiCall"
	}
	t := spec.Time.UTC().Truncate(time.Second)

	params := map[string]any{}
	for k, v := range spec.Params {
		if rpcAuthParams[k] || secretParams[k] {
			continue
		}
		params[k] = v
	}
	params["AcsHost"] = host
	params["AcsProduct"] = svc.Name
	params["RequestId"] = reqID
	params["RegionId"] = region

	ev := Event{
		EventID:            reqID, // the real service's eventId is the call's request id (upper case)
		EventVersion:       1,
		EventName:          spec.Action,
		EventType:          evType,
		EventCategory:      "Management",
		EventRW:            ActionRW(spec.Action),
		EventSource:        host,
		EventTime:          t.Format(EventTimeLayout),
		ServiceName:        svc.Name,
		APIVersion:         spec.Version,
		AcsRegion:          region,
		RequestID:          reqID,
		SourceIPAddress:    spec.SourceIP,
		UserAgent:          spec.UserAgent,
		RequestParameters:  params,
		ResponseElements:   spec.Response,
		ErrorCode:          spec.ErrorCode,
		ErrorMessage:       spec.ErrorMessage,
		IsGlobal:           svc.Global,
		RecipientAccountID: w.Account.ID,
		UserIdentity: UserIdentity{
			Type:        spec.Caller.Type,
			PrincipalID: spec.Caller.PrincipalID,
			AccountID:   w.Account.ID,
			AccessKeyID: spec.Caller.AccessKeyID,
			UserName:    spec.Caller.UserName,
		},
		Time: t,
	}
	ev.ReferencedResources, ev.ResourceType, ev.ResourceName = w.referencedResources(svc, spec)
	if ev.ResponseElements == nil {
		ev.ResponseElements = map[string]any{"RequestId": reqID}
	}
	return ev
}

// referencedResources derives the resources an event touched from its
// parameters, the way ActionTrail fills referencedResources.
func (w *World) referencedResources(svc ServiceInfo, spec EventSpec) (map[string][]string, string, string) {
	refs := map[string][]string{}
	add := func(typ, name string) {
		if name != "" {
			refs[typ] = append(refs[typ], name)
		}
	}
	p := spec.Params
	switch svc.Product {
	case "ram":
		if u := p["UserName"]; u != "" {
			add("ACS::RAM::User", u)
		} else if upn := p["UserPrincipalName"]; upn != "" {
			add("ACS::RAM::User", upn)
		}
		add("ACS::RAM::Role", p["RoleName"])
		add("ACS::RAM::Group", p["GroupName"])
		add("ACS::RAM::Policy", p["PolicyName"])
		add("ACS::RAM::AccessKey", p["UserAccessKeyId"])
		if spec.Action == "CreateAccessKey" {
			if ak, ok := spec.Response["AccessKey"].(map[string]any); ok {
				if id, ok := ak["AccessKeyId"].(string); ok {
					add("ACS::RAM::AccessKey", id)
				}
			}
		}
	case "ecs":
		add("ACS::ECS::Instance", p["InstanceId"])
		for i := 1; ; i++ {
			id, ok := p[fmt.Sprintf("InstanceId.%d", i)]
			if !ok {
				break
			}
			add("ACS::ECS::Instance", id)
		}
	case "rds":
		add("ACS::RDS::DBInstance", p["DBInstanceId"])
	case "sts":
		add("ACS::RAM::Role", p["RoleArn"])
	}
	if len(refs) == 0 {
		return nil, "", ""
	}
	// resourceType/resourceName carry the first resource (SLS layout).
	for _, typ := range []string{"ACS::RAM::User", "ACS::RAM::AccessKey", "ACS::RAM::Role", "ACS::RAM::Policy", "ACS::RAM::Group", "ACS::ECS::Instance", "ACS::RDS::DBInstance"} {
		if names := refs[typ]; len(names) > 0 {
			return refs, typ, strings.Join(names, ";")
		}
	}
	return refs, "", ""
}
