package cloud

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Conformance: answers shaped like the documented examples (the API
// reference pages' response examples and the SDK response models; the
// values here are our own) go through internal/cloud's parsers. The lab
// is not involved: these check the client against the documented wire,
// not against the emulator's picture of it.

// An ActionTrail user-guide style event: eventId equal to the (upper-case)
// requestId, IMS events from ims-share.aliyuncs.com, global, acsRegion the
// region that served the call.
const docIMSEvent = `{"eventId":"5A1C3E0B-77D2-5F0E-9C41-0B6F2E7D9A10","eventVersion":1,
"eventSource":"ims-share.aliyuncs.com","eventType":"ApiCall","eventRW":"Write","eventName":"CreateUser",
"requestParameters":{"AcsHost":"ims-share.aliyuncs.com","AcsProduct":"Ims","RequestId":"5A1C3E0B-77D2-5F0E-9C41-0B6F2E7D9A10","UserPrincipalName":"dana@example.onaliyun.com"},
"responseElements":{"RequestId":"5A1C3E0B-77D2-5F0E-9C41-0B6F2E7D9A10","User":{"UserPrincipalName":"dana@example.onaliyun.com","UserId":"20873100000001"}},
"sourceIpAddress":"203.0.113.7","userAgent":"AlibabaCloud (linux; amd64) Go/1.22 Core/0.01 TeaDSL/1",
"referencedResources":{"ACS::RAM::User":["dana@example.onaliyun.com"]},
"userIdentity":{"accountId":"1998000000000001","principalId":"1998000000000001","type":"root-account","userName":"root","accessKeyId":"LTAI5tDOCEXAMPLE00000001"},
"serviceName":"Ims","apiVersion":"2019-08-15","requestId":"5A1C3E0B-77D2-5F0E-9C41-0B6F2E7D9A10",
"eventTime":"2026-03-02T06:59:52Z","isGlobal":true,"acsRegion":"cn-shanghai"}`

func TestConformanceLookupEvents(t *testing.T) {
	f := newFakeCloud(t)
	f.handle("LookupEvents", func(c call) reply {
		if c.Query.Get("NextToken") == "" {
			// LookupEvents response example: RequestId, NextToken,
			// StartTime, EndTime, Events (objects).
			return reply{Body: `{"RequestId":"0B3A6E59-1C2D-4E5F-8A9B-0C1D2E3F4A5B","NextToken":"tok-2",` +
				`"StartTime":"2026-03-01T00:00:00Z","EndTime":"2026-03-03T00:00:00Z","Events":[` + docIMSEvent + `]}`}
		}
		return reply{Body: `{"RequestId":"0B3A6E59-1C2D-4E5F-8A9B-0C1D2E3F4A5C","StartTime":"2026-03-01T00:00:00Z","EndTime":"2026-03-03T00:00:00Z","Events":[]}`}
	})
	c := newTestClients(t, testConfig(f.addr()))
	var got []json.RawMessage
	q := LookupQuery{AttributeKey: "EventAccessKeyId", AttributeValue: "LTAI5tDOCEXAMPLE00000001",
		Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)}
	if err := c.LookupEvents(context.Background(), q, func(p []json.RawMessage) error { got = append(got, p...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !strings.Contains(string(got[0]), `"eventSource":"ims-share.aliyuncs.com"`) {
		t.Fatalf("events = %s", got)
	}
	calls := f.callsFor("LookupEvents")
	if len(calls) != 2 || calls[1].Query.Get("NextToken") != "tok-2" {
		t.Fatalf("LookupEvents calls = %+v", calls)
	}
	for _, cl := range calls {
		// Documented limits: both times or neither, at most two
		// attributes, MaxResults <= 50.
		if cl.Query.Get("StartTime") == "" || cl.Query.Get("EndTime") == "" || cl.Query.Has("LookupAttribute.3.Key") || cl.Query.Get("MaxResults") != "50" {
			t.Errorf("LookupEvents query %v", cl.Query)
		}
	}
}

func TestConformanceLastUsedAndRegions(t *testing.T) {
	f := newFakeCloud(t)
	detail := strings.ReplaceAll(strings.ReplaceAll(docIMSEvent, "\n", ""), `"`, `\"`)
	// GetAccessKeyLastUsedInfo response model: AccessKeyId, AccountId,
	// AccountType, UserName, OwnerId, ServiceName(+Cn/En), Source,
	// UsedTimestamp (ms), Detail (the event as JSON text).
	f.handle("GetAccessKeyLastUsedInfo", func(call) reply {
		return reply{Body: `{"RequestId":"1F00","AccessKeyId":"LTAI5tDOCEXAMPLE00000001","AccountId":"1998000000000001","AccountType":"root-account",` +
			`"UserName":"root","OwnerId":"1998000000000001","ServiceName":"Ims","ServiceNameCn":"访问控制","ServiceNameEn":"Resource Access Management",` +
			`"Source":"ManagementEvent","UsedTimestamp":1772434792000,"Detail":"` + detail + `"}`}
	})
	f.handle("GetAccessKeyLastUsedProducts", func(call) reply {
		return reply{Body: `{"RequestId":"1F01","Products":[{"ServiceName":"Ims","ServiceNameCn":"访问控制","ServiceNameEn":"Resource Access Management",` +
			`"Source":"ManagementEvent","UsedTimestamp":1772434792000,"Detail":"` + detail + `"}]}`}
	})
	// DescribeRegions (2020-07-06) response model: Regions.Region[] with
	// RegionId, LocalName, RegionEndpoint.
	f.handle("DescribeRegions", func(call) reply {
		return reply{Body: `{"RequestId":"1F02","Regions":{"Region":[` +
			`{"RegionId":"us-west-1","LocalName":"US (Silicon Valley)","RegionEndpoint":"actiontrail.us-west-1.aliyuncs.com"},` +
			`{"RegionId":"cn-hangzhou","LocalName":"China (Hangzhou)","RegionEndpoint":"actiontrail.cn-hangzhou.aliyuncs.com"}]}}`}
	})
	c := newTestClients(t, testConfig(f.addr()))
	ctx := context.Background()
	info, err := c.AccessKeyLastUsedInfo(ctx, "LTAI5tDOCEXAMPLE00000001")
	if err != nil {
		t.Fatal(err)
	}
	if !info.Found || info.AccountType != "root-account" || info.ServiceName != "Ims" || !info.UsedAt.Equal(time.UnixMilli(1772434792000)) || !json.Valid(info.Detail) {
		t.Fatalf("last-used info = %+v", info)
	}
	prods, err := c.AccessKeyLastUsedProducts(ctx, "LTAI5tDOCEXAMPLE00000001")
	if err != nil {
		t.Fatal(err)
	}
	var d struct{ AcsRegion string }
	if len(prods) != 1 || json.Unmarshal(prods[0].Detail, &d) != nil || d.AcsRegion != "cn-shanghai" {
		t.Fatalf("last-used products = %+v", prods)
	}
	regions, err := c.ActionTrailRegions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(regions, ",") != "cn-hangzhou,us-west-1" {
		t.Fatalf("regions = %v", regions)
	}
}

// IMS GetUser's response model has no Status (ListUsers has); the
// client leaves User.Status empty and nothing depends on it.
func TestConformanceIMSGetUser(t *testing.T) {
	f := newFakeCloud(t)
	f.handle("GetUser", func(call) reply {
		return reply{Body: `{"RequestId":"2A00","User":{"UserPrincipalName":"dana@example.onaliyun.com","UserName":"dana","UserId":"20873100000001",` +
			`"DisplayName":"Dana","Comments":"","CreateDate":"2025-10-12T09:12:00Z","UpdateDate":"2025-10-12T09:12:00Z","LastLoginDate":"2026-01-05T01:00:00Z",` +
			`"ProvisionType":"Manual","Email":"","MobilePhone":""}}`}
	})
	c := newTestClients(t, testConfig(f.addr()))
	u, err := c.GetUserByAccessKey(context.Background(), "LTAI5tDOCEXAMPLE00000002")
	if err != nil {
		t.Fatal(err)
	}
	if u.UserName != "dana" || u.UserPrincipalName != "dana@example.onaliyun.com" || u.Status != "" || u.LastLoginDate.IsZero() {
		t.Fatalf("user = %+v", u)
	}
}

// The credential report as documented: root row "<root>", "-" for what
// does not apply or never happened (a console user who never signed in).
func TestConformanceCredentialReport(t *testing.T) {
	csv := "user,user_creation_time,user_last_logon,password_exist,password_active,password_last_changed,password_next_rotation,mfa_active," +
		"access_key_1_exist,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used\n" +
		"<root>,-,-,TRUE,TRUE,-,-,FALSE,TRUE,TRUE,2024-02-01T00:00:00Z,2026-03-01T08:00:00Z\n" +
		"dana@example.onaliyun.com,2025-10-12T09:12:00Z,-,TRUE,TRUE,2025-10-12T09:12:00Z,-,FALSE,FALSE,-,-,-\n"
	f := newFakeCloud(t)
	f.sequence("GenerateCredentialReport", reply{Body: map[string]any{"State": "STARTED"}}, reply{Body: map[string]any{"State": "INPROGRESS"}},
		reply{Body: map[string]any{"State": "COMPLETED"}})
	f.handle("GetCredentialReport", func(call) reply {
		return reply{Body: map[string]any{"Content": base64.StdEncoding.EncodeToString([]byte(csv)), "IsTruncated": false, "GeneratedTime": "2026-03-02T00:00:00Z"}}
	})
	c := newTestClients(t, testConfig(f.addr()))
	c.sleep = func(context.Context, time.Duration) error { return nil }
	rows, err := c.CredentialReport(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].User != "<root>" || !rows[0].Keys[0].Exist || !rows[0].Keys[0].Active || !rows[0].UserCreated.IsZero() {
		t.Fatalf("rows = %+v", rows)
	}
	if dana := rows[1]; !dana.PasswordExist || !dana.LastLogon.IsZero() || dana.Keys[0].Exist {
		t.Fatalf("never-signed-in console user = %+v", dana)
	}
}

// A documented error answer: x-acs-request-id header, body with
// RequestId, HostId, Code, Message and Recommend.
func TestConformanceErrorBody(t *testing.T) {
	f := newFakeCloud(t)
	f.handle("GetUser", func(call) reply {
		return reply{Status: http.StatusNotFound, Header: map[string]string{"x-acs-request-id": "7C1D0000-0000-4000-8000-00000000BEEF"},
			Body: `{"RequestId":"7C1D0000-0000-4000-8000-00000000BEEF","HostId":"ims.aliyuncs.com","Code":"EntityNotExist.User",` +
				`"Message":"The user does not exist.","Recommend":"https://api.aliyun.com/troubleshoot?q=EntityNotExist.User&product=Ims&requestId=7C1D0000-0000-4000-8000-00000000BEEF"}`}
	})
	cfg := testConfig(f.addr())
	cfg.MaxAttempts = 1
	c := newTestClients(t, cfg)
	_, err := c.GetUserByAccessKey(context.Background(), "LTAI5tDOCEXAMPLE00000003")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "EntityNotExist.User" || ae.RequestID != "7C1D0000-0000-4000-8000-00000000BEEF" || ae.HTTPStatus != http.StatusNotFound {
		t.Fatalf("err = %#v", err)
	}
	if strings.Contains(err.Error(), "troubleshoot?") {
		t.Errorf("the error message carries the Recommend link: %v", err)
	}
}

// Throttled answers carry x-ratelimit-user-api and x-ratelimit-user; the
// wait is the larger TimeLeft, as the SDK's back-off takes it.
func TestThrottleTimeLeftTakesTheLarger(t *testing.T) {
	h := http.Header{}
	h.Set("x-ratelimit-user-api", "Limit:2,Remain:0,TimeLeft:120,Reset:1")
	h.Set("x-ratelimit-user", "Limit:100,Remain:0,TimeLeft:900,Reset:1")
	if got := throttleTimeLeft(h); got != 900*time.Millisecond {
		t.Fatalf("throttleTimeLeft = %s, want 900ms", got)
	}
	h.Set("x-ratelimit-user", "Limit:100,Remain:3,TimeLeft:15")
	if got := throttleTimeLeft(h); got != 120*time.Millisecond {
		t.Fatalf("throttleTimeLeft = %s, want 120ms", got)
	}
}
