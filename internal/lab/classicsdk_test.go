package lab

import (
	"encoding/json"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
)

// The lab answers the classic Go SDK (alibaba-cloud-sdk-go: RPC with the
// V1 HMAC-SHA1 signature in the query string) as it answers the Tea SDKs,
// for GET and POST: a drill or a tool built on the older SDK can use it.
func TestClassicGoSDK(t *testing.T) {
	f := newFixture(t, Options{})
	kim := f.addUser("kim", "AdministratorAccess")
	client, err := sdk.NewClientWithAccessKey("cn-hangzhou", kim.id, kim.secret)
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, action string, params map[string]string) map[string]any {
		t.Helper()
		req := requests.NewCommonRequest()
		req.Method = method
		req.Scheme = "http"
		req.Domain = f.srv.Addr()
		req.Product = "Ram"
		req.Version = "2015-05-01"
		req.ApiName = action
		for k, v := range params {
			if method == "POST" {
				req.FormParams[k] = v
			} else {
				req.QueryParams[k] = v
			}
		}
		resp, err := client.ProcessCommonRequest(req)
		if err != nil {
			t.Fatalf("classic SDK %s %s: %v", method, action, err)
		}
		var body map[string]any
		if err := json.Unmarshal(resp.GetHttpContentBytes(), &body); err != nil || !resp.IsSuccess() {
			t.Fatalf("classic SDK %s %s: HTTP %d %s (%v)", method, action, resp.GetHttpStatus(), resp.GetHttpContentString(), err)
		}
		return body
	}
	if u, _ := call("GET", "GetUser", map[string]string{"UserName": "kim"})["User"].(map[string]any); u["UserName"] != "kim" {
		t.Fatalf("GET GetUser answered %v", u)
	}
	if u, _ := call("POST", "CreateUser", map[string]string{"UserName": "lee", "DisplayName": "Lee Classic"})["User"].(map[string]any); u["UserName"] != "lee" {
		t.Fatalf("POST CreateUser answered %v", u)
	}
	if w := f.srv.Snapshot(); w.Users["lee"] == nil {
		t.Fatal("the classic SDK's CreateUser did not create the user")
	}

	// A wrong secret is refused with the signature error, as for any SDK.
	bad, _ := sdk.NewClientWithAccessKey("cn-hangzhou", kim.id, "not-the-secret")
	req := requests.NewCommonRequest()
	req.Scheme, req.Domain, req.Product, req.Version, req.ApiName = "http", f.srv.Addr(), "Ram", "2015-05-01", "GetUser"
	req.QueryParams["UserName"] = "kim"
	if _, err := bad.ProcessCommonRequest(req); err == nil {
		t.Fatal("a request signed with the wrong secret was accepted")
	}
}
