package cloud

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Compile-time proof that *Clients satisfies the narrow interfaces domain
// packages are expected to declare.
var (
	_ interface {
		UpdateAccessKeyStatus(context.Context, string, string, string) (string, error)
	} = (*Clients)(nil)
	_ interface {
		LookupEvents(context.Context, LookupQuery, func([]json.RawMessage) error) error
	} = (*Clients)(nil)
	_ interface {
		SetAccessKeyPolicy(context.Context, string, string, string) (string, error)
		GetAccessKeyPolicy(context.Context, string, string) (string, error)
	} = (*Clients)(nil)
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestListUsersPages(t *testing.T) {
	f := newFakeCloud(t)
	pages := map[string]map[string]any{
		"": {"IsTruncated": true, "Marker": "m1", "Users": map[string]any{"User": []any{
			map[string]any{"UserName": "alice", "UserId": "1", "CreateDate": "2024-01-02T03:04:05Z", "UpdateDate": "2024-02-02T03:04:05Z"}}}},
		"m1": {"IsTruncated": "true", "Marker": "m2", "Users": map[string]any{"User": []any{
			map[string]any{"UserName": "bob", "UserId": "2", "DisplayName": "Bob"}}}},
		"m2": {"IsTruncated": false, "Users": map[string]any{"User": []any{
			map[string]any{"UserName": "carol", "UserId": "3", "Comments": "ir"}}}},
	}
	f.handle("ListUsers", func(c call) reply {
		if c.Query.Get("MaxItems") != "1000" {
			t.Errorf("MaxItems = %q", c.Query.Get("MaxItems"))
		}
		return reply{Body: pages[c.Query.Get("Marker")]}
	})
	c := newTestClients(t, testConfig(f.addr()))
	users, err := c.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []User{
		{UserID: "1", UserName: "alice", CreateDate: ts("2024-01-02T03:04:05Z"), UpdateDate: ts("2024-02-02T03:04:05Z")},
		{UserID: "2", UserName: "bob", DisplayName: "Bob"},
		{UserID: "3", UserName: "carol", Comments: "ir"},
	}
	if diff := cmp.Diff(want, users); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	if n := len(f.callsFor("ListUsers")); n != 3 {
		t.Errorf("pages fetched = %d", n)
	}
}

func TestListUsersRepeatedMarker(t *testing.T) {
	f := newFakeCloud(t)
	f.handle("ListUsers", func(call) reply {
		return reply{Body: map[string]any{"IsTruncated": true, "Marker": "same", "Users": map[string]any{"User": []any{}}}}
	})
	c := newTestClients(t, testConfig(f.addr()))
	_, err := c.ListUsers(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || !strings.Contains(ae.Message, "repeated a paging marker") {
		t.Fatalf("err = %v", err)
	}
}

func TestRAMReads(t *testing.T) {
	f := newFakeCloud(t)
	f.handle("ListAccessKeys", func(c call) reply {
		return reply{Body: map[string]any{"AccessKeys": map[string]any{"AccessKey": []any{
			map[string]any{"AccessKeyId": leakedKey, "Status": "Active", "CreateDate": "2023-05-06T07:08:09Z"},
			map[string]any{"AccessKeyId": "LTAI5tSECONDsecond000000", "Status": "Inactive"},
		}}}}
	})
	f.handle("GetAccessKeyLastUsed", func(c call) reply {
		if c.Query.Get("UserAccessKeyId") == leakedKey {
			return reply{Body: map[string]any{"AccessKeyLastUsed": map[string]any{"LastUsedDate": "2026-11-01T00:00:00Z"}}}
		}
		return reply{Body: map[string]any{"AccessKeyLastUsed": map[string]any{"LastUsedDate": ""}}}
	})
	f.handle("GetLoginProfile", func(c call) reply {
		if c.Query.Get("UserName") == "nologin" {
			return reply{Status: 404, Body: errBody("EntityNotExist.User.LoginProfile", "The user login profile does not exist.", "R")}
		}
		if c.Query.Get("UserName") == "ghost" {
			return reply{Status: 404, Body: errBody("EntityNotExist.User", "The user does not exist.", "R")}
		}
		return reply{Body: map[string]any{"LoginProfile": map[string]any{"UserName": "alice", "MFABindRequired": "true", "PasswordResetRequired": false, "CreateDate": "2022-01-01T00:00:00Z"}}}
	})
	f.handle("GetUserMFAInfo", func(c call) reply {
		if c.Query.Get("UserName") == "nomfa" {
			return reply{Status: 404, Body: errBody("EntityNotExist.User.MFADevice", "no device", "R")}
		}
		return reply{Body: map[string]any{"MFADevice": map[string]any{"SerialNumber": "acs:ram::1:mfa/alice", "Type": "VMFA"}}}
	})
	f.handle("GetPolicy", func(c call) reply {
		return reply{Body: map[string]any{
			"Policy":               map[string]any{"PolicyName": "p", "PolicyType": "Custom", "DefaultVersion": "v2", "AttachmentCount": "3", "PolicyDocument": "{}"},
			"DefaultPolicyVersion": map[string]any{"VersionId": "v2", "IsDefaultVersion": true, "PolicyDocument": `{"Version":"1"}`},
		}}
	})
	c := newTestClients(t, testConfig(f.addr()))
	ctx := context.Background()

	keys, err := c.ListAccessKeys(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]AccessKey{
		{AccessKeyID: leakedKey, Status: "Active", CreateDate: ts("2023-05-06T07:08:09Z")},
		{AccessKeyID: "LTAI5tSECONDsecond000000", Status: "Inactive"},
	}, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if _, ok := f.callsFor("ListAccessKeys")[0].Query["UserName"]; ok {
		t.Error(`ListAccessKeys("") sent a UserName`)
	}

	last, err := c.GetAccessKeyLastUsed(ctx, "alice", leakedKey)
	if err != nil || !last.Equal(ts("2026-11-01T00:00:00Z")) {
		t.Errorf("last used = %v, %v", last, err)
	}
	never, err := c.GetAccessKeyLastUsed(ctx, "alice", "LTAI5tSECONDsecond000000")
	if err != nil || !never.IsZero() {
		t.Errorf("never used = %v, %v", never, err)
	}

	lp, ok, err := c.GetLoginProfile(ctx, "alice")
	if err != nil || !ok || !lp.MFABindRequired || lp.PasswordResetRequired || lp.UserName != "alice" {
		t.Errorf("login profile = %+v %v %v", lp, ok, err)
	}
	if _, ok, err := c.GetLoginProfile(ctx, "nologin"); ok || err != nil {
		t.Errorf("no login profile: ok=%v err=%v", ok, err)
	}
	if _, _, err := c.GetLoginProfile(ctx, "ghost"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing user: err=%v", err)
	}

	mfa, err := c.GetUserMFAInfo(ctx, "alice")
	if err != nil || !mfa.Enabled || mfa.Type != "VMFA" {
		t.Errorf("mfa = %+v %v", mfa, err)
	}
	if mfa, err := c.GetUserMFAInfo(ctx, "nomfa"); err != nil || mfa.Enabled {
		t.Errorf("no mfa = %+v %v", mfa, err)
	}

	p, err := c.GetPolicy(ctx, "p", "Custom")
	if err != nil || p.Document != `{"Version":"1"}` || p.AttachmentCount != 3 || p.DefaultVersion != "v2" {
		t.Errorf("policy = %+v %v", p, err)
	}
}

func TestRAMMutationsSendParameters(t *testing.T) {
	f := newFakeCloud(t)
	for _, a := range []string{"UpdateAccessKey", "DeleteAccessKey", "UpdateLoginProfile", "CreatePolicy", "DeletePolicyVersion", "DeletePolicy", "AttachPolicyToUser", "DetachPolicyFromUser"} {
		f.handle(a, func(call) reply { return reply{Body: map[string]any{"RequestId": "REQ-" + a}} })
	}
	f.handle("CreatePolicyVersion", func(call) reply {
		return reply{Body: map[string]any{"RequestId": "REQ-CPV", "PolicyVersion": map[string]any{"VersionId": "v3", "IsDefaultVersion": true, "PolicyDocument": "{}", "CreateDate": "2026-01-01T00:00:00Z"}}}
	})
	c := newTestClients(t, testConfig(f.addr()))
	ctx := context.Background()
	tests := []struct {
		action string
		do     func() (string, error)
		query  map[string]string
	}{
		{"UpdateAccessKey", func() (string, error) { return c.UpdateAccessKeyStatus(ctx, "alice", leakedKey, "Inactive") },
			map[string]string{"UserName": "alice", "UserAccessKeyId": leakedKey, "Status": "Inactive"}},
		{"DeleteAccessKey", func() (string, error) { return c.DeleteAccessKey(ctx, "alice", leakedKey) },
			map[string]string{"UserName": "alice", "UserAccessKeyId": leakedKey}},
		{"UpdateLoginProfile", func() (string, error) { return c.UpdateLoginProfileMFA(ctx, "alice", true) },
			map[string]string{"UserName": "alice", "MFABindRequired": "true"}},
		{"CreatePolicy", func() (string, error) { return c.CreatePolicy(ctx, "akresp-deny", `{"Version":"1"}`, "") },
			map[string]string{"PolicyName": "akresp-deny", "PolicyDocument": `{"Version":"1"}`}},
		{"CreatePolicyVersion", func() (string, error) {
			v, id, err := c.CreatePolicyVersion(ctx, "akresp-deny", "{}", true)
			if err == nil && (v.VersionID != "v3" || !v.IsDefault) {
				err = fmt.Errorf("version = %+v", v)
			}
			return id, err
		}, map[string]string{"PolicyName": "akresp-deny", "PolicyDocument": "{}", "SetAsDefault": "true"}},
		{"DeletePolicyVersion", func() (string, error) { return c.DeletePolicyVersion(ctx, "akresp-deny", "v1") },
			map[string]string{"PolicyName": "akresp-deny", "VersionId": "v1"}},
		{"DeletePolicy", func() (string, error) { return c.DeletePolicy(ctx, "akresp-deny") },
			map[string]string{"PolicyName": "akresp-deny"}},
		{"AttachPolicyToUser", func() (string, error) { return c.AttachPolicyToUser(ctx, "Custom", "akresp-deny", "alice") },
			map[string]string{"PolicyType": "Custom", "PolicyName": "akresp-deny", "UserName": "alice"}},
		{"DetachPolicyFromUser", func() (string, error) { return c.DetachPolicyFromUser(ctx, "Custom", "akresp-deny", "alice") },
			map[string]string{"PolicyType": "Custom", "PolicyName": "akresp-deny", "UserName": "alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			id, err := tt.do()
			if err != nil {
				t.Fatal(err)
			}
			if id == "" || !strings.HasPrefix(id, "REQ-") {
				t.Errorf("request id = %q", id)
			}
			calls := f.callsFor(tt.action)
			if len(calls) != 1 {
				t.Fatalf("calls = %d", len(calls))
			}
			got := map[string]string{}
			for k := range calls[0].Query {
				got[k] = calls[0].Query.Get(k)
			}
			if diff := cmp.Diff(tt.query, got); diff != "" {
				t.Errorf("query (-want +got):\n%s", diff)
			}
		})
	}
}

func TestArgumentsRefusedBeforeCalling(t *testing.T) {
	f := newFakeCloud(t)
	c := newTestClients(t, testConfig(f.addr()))
	ctx := context.Background()
	tests := []struct {
		name string
		do   func() error
		want string
	}{
		{"status", func() error { _, err := c.UpdateAccessKeyStatus(ctx, "a", leakedKey, "Disabled"); return err }, `status "Disabled"`},
		{"empty key", func() error { _, err := c.DeleteAccessKey(ctx, "a", ""); return err }, "access key id is empty"},
		{"policy type", func() error { _, err := c.GetPolicy(ctx, "p", "custom"); return err }, `policy type "custom"`},
		{"empty user", func() error { _, err := c.GetUser(ctx, ""); return err }, "user name is empty"},
		{"page size", func() error {
			return c.LookupEvents(ctx, LookupQuery{PageSize: 51}, func([]json.RawMessage) error { return nil })
		}, "page size 51"},
		{"half attribute", func() error {
			return c.LookupEvents(ctx, LookupQuery{AttributeKey: "User"}, func([]json.RawMessage) error { return nil })
		}, "both a key and a value"},
		{"direction", func() error {
			return c.LookupEvents(ctx, LookupQuery{Direction: "UP"}, func([]json.RawMessage) error { return nil })
		}, `direction "UP"`},
		{"session name", func() error { _, err := c.AssumeRole(ctx, "acs:ram::1:role/r", "x", 0, ""); return err }, `session name "x"`},
		{"short duration", func() error { _, err := c.AssumeRole(ctx, "acs:ram::1:role/r", "akresp", time.Minute, ""); return err }, "at least 15m"},
		{"empty acl", func() error { _, err := c.SetAccessKeyPolicy(ctx, leakedKey, "", " "); return err }, "policy document is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			var ae *APIError
			if !errors.As(err, &ae) || !errors.Is(err, ErrInvalidParameter) || !strings.Contains(ae.Error(), tt.want) {
				t.Fatalf("err = %v, want invalid parameter containing %q", err, tt.want)
			}
		})
	}
	if len(f.calls) != 0 {
		t.Errorf("refused calls reached the server: %d", len(f.calls))
	}
}

func TestLookupEventsPaging(t *testing.T) {
	f := newFakeCloud(t)
	ev := func(id string) map[string]any {
		// A 19-digit number must survive the round trip unchanged.
		return map[string]any{"eventId": id, "eventName": "CreateUser", "userIdentity": map[string]any{"accessKeyId": leakedKey}, "bigNumber": json.Number("1234567890123456789")}
	}
	f.handle("LookupEvents", func(c call) reply {
		switch c.Query.Get("NextToken") {
		case "":
			return reply{Body: map[string]any{"NextToken": "t1", "Events": []any{ev("e1"), ev("e2")}}}
		case "t1":
			return reply{Body: map[string]any{"NextToken": "t2", "Events": []any{}}}
		case "t2":
			return reply{Body: map[string]any{"Events": []any{ev("e3")}}}
		}
		return reply{Status: 400, Body: errBody("InvalidParameter.NextToken", "bad token", "R")}
	})
	c := newTestClients(t, testConfig(f.addr()))
	q := LookupQuery{
		AttributeKey: "EventAccessKeyId", AttributeValue: leakedKey,
		Start: ts("2026-10-01T08:00:00+08:00"), End: ts("2026-10-31T00:00:00Z"), PageSize: 20, Direction: "forward",
	}
	var got []json.RawMessage
	var pages int
	err := c.LookupEvents(context.Background(), q, func(events []json.RawMessage) error {
		pages++
		got = append(got, events...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pages != 2 || len(got) != 3 {
		t.Fatalf("pages %d events %d", pages, len(got))
	}
	if !strings.Contains(string(got[0]), `"bigNumber":1234567890123456789`) || !strings.Contains(string(got[0]), `"eventId":"e1"`) {
		t.Errorf("event 0 = %s", got[0])
	}
	calls := f.callsFor("LookupEvents")
	if len(calls) != 3 {
		t.Fatalf("calls = %d", len(calls))
	}
	want := map[string]string{
		"LookupAttribute.1.Key": "EventAccessKeyId", "LookupAttribute.1.Value": leakedKey,
		"StartTime": "2026-10-01T00:00:00Z", "EndTime": "2026-10-31T00:00:00Z", "MaxResults": "20", "Direction": "FORWARD",
	}
	for i, cl := range calls {
		for k, v := range want {
			if cl.Query.Get(k) != v {
				t.Errorf("page %d: %s = %q, want %q", i, k, cl.Query.Get(k), v)
			}
		}
	}
}

func TestLookupEventsCallbackErrorStops(t *testing.T) {
	f := newFakeCloud(t)
	f.handle("LookupEvents", func(call) reply {
		return reply{Body: map[string]any{"NextToken": "more", "Events": []any{map[string]any{"eventId": "x"}}}}
	})
	c := newTestClients(t, testConfig(f.addr()))
	stop := errors.New("enough")
	err := c.LookupEvents(context.Background(), LookupQuery{}, func([]json.RawMessage) error { return stop })
	if err != stop {
		t.Fatalf("err = %v, want the callback's error unchanged", err)
	}
	if n := len(f.callsFor("LookupEvents")); n != 1 {
		t.Errorf("calls = %d", n)
	}
}

func TestAccessKeyLastUsed(t *testing.T) {
	f := newFakeCloud(t)
	detail := `{"eventName":"DescribeInstances","sourceIpAddress":"203.0.113.9"}`
	f.handle("GetAccessKeyLastUsedInfo", func(c call) reply {
		if c.Query.Get("AccessKey") != leakedKey {
			return reply{Body: map[string]any{"RequestId": "R"}}
		}
		return reply{Body: map[string]any{"AccessKeyId": leakedKey, "AccountId": "1234567890123456", "AccountType": "ram-user", "UserName": "alice",
			"ServiceName": "Ecs", "Source": "ManagementEvent", "UsedTimestamp": 1767225600000, "Detail": detail}}
	})
	f.handle("GetAccessKeyLastUsedProducts", func(call) reply {
		return reply{Body: map[string]any{"Products": []any{map[string]any{"ServiceName": "Ecs", "Source": "ManagementEvent", "UsedTimestamp": "1767225600000", "Detail": "not json"}}}}
	})
	f.handle("GetAccessKeyLastUsedIps", func(c call) reply {
		if c.Query.Get("PageSize") != "100" || c.Query.Get("ServiceName") != "Ecs" {
			t.Errorf("query = %v", c.Query)
		}
		if c.Query.Get("NextToken") == "" {
			return reply{Body: map[string]any{"NextToken": "n", "Ips": []any{map[string]any{"Ip": "203.0.113.9", "Source": "ManagementEvent", "UsedTimestamp": 1767225600000}}}}
		}
		return reply{Body: map[string]any{"Ips": []any{map[string]any{"Ip": "198.51.100.7", "UsedTimestamp": 1767225600001, "Detail": detail}}}}
	})
	f.handle("GetAccessKeyLastUsedEvents", func(call) reply {
		return reply{Body: map[string]any{"Events": []any{map[string]any{"EventName": "DescribeInstances", "UsedTimestamp": 1}}}}
	})
	f.handle("GetAccessKeyLastUsedResources", func(call) reply {
		return reply{Body: map[string]any{"Resources": []any{map[string]any{"ResourceName": "i-1", "ResourceType": "ACS::ECS::Instance"}}}}
	})
	c := newTestClients(t, testConfig(f.addr()))
	ctx := context.Background()
	used := time.UnixMilli(1767225600000).UTC()

	info, err := c.AccessKeyLastUsedInfo(ctx, leakedKey)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(LastUsedInfo{Found: true, AccessKeyID: leakedKey, AccountID: "1234567890123456", AccountType: "ram-user", UserName: "alice",
		ServiceName: "Ecs", Source: "ManagementEvent", UsedAt: used, Detail: json.RawMessage(detail)}, info); diff != "" {
		t.Errorf("info (-want +got):\n%s", diff)
	}
	none, err := c.AccessKeyLastUsedInfo(ctx, "LTAI5tUNUSEDunused000000")
	if err != nil || none.Found {
		t.Errorf("unused key info = %+v, %v", none, err)
	}

	products, err := c.AccessKeyLastUsedProducts(ctx, leakedKey)
	if err != nil || len(products) != 1 || !products[0].UsedAt.Equal(used) || string(products[0].Detail) != `"not json"` {
		t.Errorf("products = %+v %v", products, err)
	}
	ips, err := c.AccessKeyLastUsedIPs(ctx, leakedKey, "Ecs")
	if err != nil || len(ips) != 2 || ips[0].IP != "203.0.113.9" || ips[1].IP != "198.51.100.7" || string(ips[1].Detail) != detail {
		t.Errorf("ips = %+v %v", ips, err)
	}
	if f.callsFor("GetAccessKeyLastUsedIps")[1].Query.Get("NextToken") != "n" {
		t.Error("second page did not carry NextToken")
	}
	events, err := c.AccessKeyLastUsedEvents(ctx, leakedKey, "Ecs")
	if err != nil || len(events) != 1 || events[0].EventName != "DescribeInstances" {
		t.Errorf("events = %+v %v", events, err)
	}
	res, err := c.AccessKeyLastUsedResources(ctx, leakedKey, "Ecs")
	if err != nil || len(res) != 1 || res[0].ResourceType != "ACS::ECS::Instance" || !res[0].UsedAt.IsZero() {
		t.Errorf("resources = %+v %v", res, err)
	}
}

func TestIMS(t *testing.T) {
	f := newFakeCloud(t)
	f.handle("GetUser", func(c call) reply {
		if c.Version != imsVersion {
			t.Errorf("GetUser version %q", c.Version)
		}
		switch c.Query.Get("UserAccessKeyId") {
		case leakedKey:
			return reply{Body: map[string]any{"User": map[string]any{"UserId": "200", "UserName": "alice", "UserPrincipalName": "alice@corp.onaliyun.com", "CreateDate": "2020-01-01T00:00:00Z"}}}
		case "LTAI5tROOTroot0000000000":
			return reply{Body: map[string]any{"RequestId": "R-ROOT"}}
		}
		return reply{Status: 404, Body: errBody("EntityNotExist.User.AccessKey", "no such key", "R")}
	})
	f.handle("GetAccessKeyPolicy", func(c call) reply {
		return reply{Body: map[string]any{"AccessKeyId": c.Query.Get("UserAccessKeyId"), "AccessKeyPolicy": ""}}
	})
	f.handle("SetAccessKeyPolicy", func(c call) reply {
		return reply{Body: map[string]any{"RequestId": "R-SET", "AccessKeyPolicy": c.Query.Get("AccessKeyPolicy")}}
	})
	f.handle("ListAccessKeysInRecycleBin", func(c call) reply {
		return reply{Body: map[string]any{"AccessKeys": map[string]any{"AccessKey": []any{map[string]any{"AccessKeyId": leakedKey, "CreateDate": "2020-01-01T00:00:00Z", "RecycleDate": "2026-11-01T00:00:00Z"}}}}}
	})
	c := newTestClients(t, testConfig(f.addr()))
	ctx := context.Background()

	u, err := c.GetUserByAccessKey(ctx, leakedKey)
	if err != nil || u.UserName != "alice" || u.UserPrincipalName != "alice@corp.onaliyun.com" || !u.CreateDate.Equal(ts("2020-01-01T00:00:00Z")) {
		t.Errorf("user = %+v %v", u, err)
	}
	if _, err := c.GetUserByAccessKey(ctx, "LTAI5tROOTroot0000000000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("root key: err = %v", err)
	}
	if _, err := c.GetUserByAccessKey(ctx, "LTAI5tOTHERother00000000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown key: err = %v", err)
	}

	doc, err := c.GetAccessKeyPolicy(ctx, leakedKey, "alice@corp.onaliyun.com")
	if err != nil || doc != "" {
		t.Errorf("policy = %q %v", doc, err)
	}
	acl := `{"Version":"1","Statement":[{"Effect":"Deny"}]}`
	id, err := c.SetAccessKeyPolicy(ctx, leakedKey, "alice@corp.onaliyun.com", acl)
	if err != nil || id != "R-SET" {
		t.Errorf("set = %q %v", id, err)
	}
	set := f.callsFor("SetAccessKeyPolicy")[0].Query
	if set.Get("AccessKeyPolicy") != acl || set.Get("UserAccessKeyId") != leakedKey || set.Get("UserPrincipalName") != "alice@corp.onaliyun.com" {
		t.Errorf("set query = %v", set)
	}
	bin, err := c.ListAccessKeysInRecycleBin(ctx, "200")
	if err != nil || len(bin) != 1 || bin[0].AccessKeyID != leakedKey || f.callsFor("ListAccessKeysInRecycleBin")[0].Query.Get("UserId") != "200" {
		t.Errorf("recycle bin = %+v %v", bin, err)
	}
}

const reportCSV = "user,user_creation_time,user_last_logon,password_exist,password_active,password_last_changed,password_next_rotation,mfa_active," +
	"access_key_1_exist,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used," +
	"access_key_2_exist,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used\n" +
	"<root_account>,2019-01-01T00:00:00Z,2026-11-01T10:00:00Z,TRUE,TRUE,N/A,N/A,FALSE,TRUE,TRUE,2019-01-01T00:00:00Z,2026-11-02T00:00:00Z,FALSE,FALSE,N/A,N/A\n"

const reportCSVPage2 = "alice@corp.onaliyun.com,2020-01-01T00:00:00Z,-,false,false,-,-,false,true,false,2020-01-01T00:00:00Z,-,FALSE,FALSE,N/A,N/A\n"

func TestCredentialReportFlow(t *testing.T) {
	f := newFakeCloud(t)
	f.sequence("GenerateCredentialReport",
		reply{Body: map[string]any{"State": "STARTED"}},
		reply{Body: map[string]any{"State": "INPROGRESS"}},
		reply{Body: map[string]any{"State": "COMPLETED"}})
	header := strings.SplitAfter(reportCSV, "\n")[0]
	f.handle("GetCredentialReport", func(c call) reply {
		if c.Query.Get("NextToken") == "" {
			return reply{Body: map[string]any{"Content": base64.StdEncoding.EncodeToString([]byte(reportCSV)), "IsTruncated": "true", "NextToken": "p2"}}
		}
		// The second page repeats the header.
		return reply{Body: map[string]any{"Content": base64.StdEncoding.EncodeToString([]byte(header + reportCSVPage2)), "IsTruncated": "false"}}
	})
	c := newTestClients(t, testConfig(f.addr()))
	var slept []time.Duration
	c.sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	rows, err := c.CredentialReport(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(slept) != 2 || slept[1] != 2*slept[0] {
		t.Errorf("poll waits = %v", slept)
	}
	if len(rows) != 2 || rows[0].User != "<root_account>" || rows[1].User != "alice@corp.onaliyun.com" {
		t.Fatalf("rows = %+v", rows)
	}
	if !rows[0].Keys[0].Active || rows[1].Keys[0].Active || !rows[1].Keys[0].Exist || !rows[1].LastLogon.IsZero() {
		t.Errorf("rows = %+v", rows)
	}
}

func TestCredentialReportNeverCompletes(t *testing.T) {
	f := newFakeCloud(t)
	f.sequence("GenerateCredentialReport", reply{Body: map[string]any{"State": "INPROGRESS"}})
	c := newTestClients(t, testConfig(f.addr()))
	c.sleep = func(context.Context, time.Duration) error { return nil }
	c.reportMax = 4
	_, err := c.CredentialReport(context.Background())
	if !errors.Is(err, ErrTransient) || !strings.Contains(err.Error(), "still INPROGRESS after 4 polls") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseCredentialReport(t *testing.T) {
	tests := []struct {
		name string
		csv  string
		want []CredentialReportRow
		err  string
	}{
		{name: "empty", csv: "", want: nil},
		{
			name: "reordered columns, CRLF, BOM, extra column, lower-case booleans",
			csv: "\ufeffmfa_active,user,extra,access_key_1_last_used,access_key_1_exist,access_key_1_active,user_creation_time\r\n" +
				"true,bob@x.onaliyun.com,zzz,2026-01-02 03:04:05,true,TRUE,2021-06-01T00:00:00+08:00\r\n",
			want: []CredentialReportRow{{
				User: "bob@x.onaliyun.com", MFAActive: true, UserCreated: ts("2021-05-31T16:00:00Z"),
				Keys: []CredentialReportKey{{Slot: "access_key_1", Exist: true, Active: true, LastUsed: ts("2026-01-02T03:04:05Z")}},
			}},
		},
		{
			name: "additional key slots and short rows",
			csv:  "user,access_key_1_exist,additional_access_key_1_exist,additional_access_key_1_active\nroot,TRUE,TRUE\n",
			want: []CredentialReportRow{{User: "root", Keys: []CredentialReportKey{
				{Slot: "access_key_1", Exist: true}, {Slot: "additional_access_key_1", Exist: true},
			}}},
		},
		{name: "no user column", csv: "name,mfa_active\nx,TRUE\n", err: `no "user" column`},
		{name: "bad boolean", csv: "user,mfa_active\nx,maybe\n", err: `line 2: column mfa_active: "maybe" is not a boolean`},
		{name: "bad time", csv: "user,user_last_logon\nx,yesterday\n", err: `line 2: column user_last_logon: "yesterday" is not a time`},
		{name: "empty user", csv: "user,mfa_active\n,TRUE\n", err: "line 2: empty user"},
		{name: "broken quoting", csv: "user,mfa_active\n\"x,TRUE\n", err: "credential report"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := ParseCredentialReport(strings.NewReader(tt.csv))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSTS(t *testing.T) {
	f := newFakeCloud(t)
	f.handle("GetCallerIdentity", func(call) reply {
		return reply{Body: map[string]any{"IdentityType": "RAMUser", "AccountId": "1234567890123456", "Arn": "acs:ram::1234567890123456:user/ir-bot", "PrincipalId": "2000", "UserId": "2000"}}
	})
	f.handle("AssumeRole", func(c call) reply {
		return reply{Body: map[string]any{"RequestId": "R-AR", "Credentials": map[string]any{
			"AccessKeyId": "STS.NUgYrLnoC37mZZCNnAbez2DpF", "AccessKeySecret": testSecret, "SecurityToken": testToken, "Expiration": "2026-11-28T16:00:00Z"}}}
	})
	c := newTestClients(t, testConfig(f.addr()))
	ctx := context.Background()
	id, err := c.GetCallerIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(CallerIdentity{IdentityType: "RAMUser", AccountID: "1234567890123456", Arn: "acs:ram::1234567890123456:user/ir-bot", PrincipalID: "2000", UserID: "2000"}, id); diff != "" {
		t.Errorf("identity (-want +got):\n%s", diff)
	}
	cr, err := c.AssumeRole(ctx, "acs:ram::1234567890123456:role/ir-role", "akresp", time.Hour, `{"Version":"1"}`)
	if err != nil {
		t.Fatal(err)
	}
	if cr.AccessKeyID != "STS.NUgYrLnoC37mZZCNnAbez2DpF" || cr.AccessKeySecret.Reveal() != testSecret || cr.SecurityToken.Reveal() != testToken || !cr.Expiration.Equal(ts("2026-11-28T16:00:00Z")) {
		t.Errorf("credentials = %+v", cr)
	}
	q := f.callsFor("AssumeRole")[0].Query
	if q.Get("DurationSeconds") != "3600" || q.Get("RoleSessionName") != "akresp" || q.Get("Policy") != `{"Version":"1"}` {
		t.Errorf("AssumeRole query = %v", q)
	}
}
