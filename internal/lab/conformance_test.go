package lab

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// The wire details issue 12 found different from the real service, each
// checked against its source (internal/lab/doc.go lists them).

// eventId is the call's request id, upper case (ActionTrail user guide
// sample events: eventId == requestId, e.g. the IMS CreateUser sample);
// IMS events name ims-share.aliyuncs.com as eventSource and AcsHost.
func TestEventIDIsRequestIDAndIMSHost(t *testing.T) {
	f := newFixture(t, Options{})
	kim := f.addUser("kim", "AdministratorAccess")
	if _, err := f.ims(kim, "GetUser", map[string]string{"UserPrincipalName": "kim@" + defaultAccountAlias + ".onaliyun.com"}); err != nil {
		t.Fatal(err)
	}
	evs := eventsFor(f.srv, "GetUser")
	if len(evs) != 1 {
		t.Fatalf("%d GetUser events", len(evs))
	}
	e := evs[0]
	if e.EventID == "" || e.EventID != e.RequestID || e.EventID != strings.ToUpper(e.EventID) {
		t.Errorf("eventId %q, requestId %q: want the same upper-case id", e.EventID, e.RequestID)
	}
	if e.EventSource != "ims-share.aliyuncs.com" || e.RequestParameters["AcsHost"] != "ims-share.aliyuncs.com" || !e.IsGlobal {
		t.Errorf("IMS event source %q, AcsHost %v, global %v", e.EventSource, e.RequestParameters["AcsHost"], e.IsGlobal)
	}

	// Scenario history follows the same rule.
	sc, err := LoadScenario("builtin:leak")
	if err != nil {
		t.Fatal(err)
	}
	w, _, err := sc.Build(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range w.Events {
		if e.EventID != e.RequestID || e.EventID != strings.ToUpper(e.EventID) {
			t.Fatalf("scenario event %s: eventId %q, requestId %q", e.EventName, e.EventID, e.RequestID)
		}
	}
}

// Every answer carries x-acs-request-id equal to the body's RequestId;
// error bodies carry Recommend, the troubleshooting link for the code.
func TestRequestIDHeaderAndRecommend(t *testing.T) {
	f := newFixture(t, Options{})
	st, body, h := f.sendV3(f.root, rawV3{version: "2015-05-01", action: "ListUsers"})
	if st != http.StatusOK || h.Get("x-acs-request-id") != body["RequestId"] {
		t.Fatalf("ListUsers: %d, header %q, body RequestId %v", st, h.Get("x-acs-request-id"), body["RequestId"])
	}
	if _, ok := body["Recommend"]; ok {
		t.Errorf("a success carries Recommend: %v", body)
	}
	st, body, h = f.sendV3(f.root, rawV3{version: "2015-05-01", action: "GetUser", query: url.Values{"UserName": {"nobody"}}})
	if st != http.StatusNotFound || h.Get("x-acs-request-id") != body["RequestId"] {
		t.Fatalf("GetUser nobody: %d, header %q, body %v", st, h.Get("x-acs-request-id"), body)
	}
	rec, _ := body["Recommend"].(string)
	u, err := url.Parse(rec)
	if err != nil || u.Host != "api.aliyun.com" || u.Query().Get("q") != body["Code"] || u.Query().Get("requestId") != body["RequestId"] || u.Query().Get("product") != "ram" {
		t.Errorf("Recommend %q for %v", rec, body)
	}
}

// The IMS SDK models (alibabacloud-go/ims-20190815 client.go): GetUser's
// user has UserName but no Status; ListUsers' users have Status but no
// UserName.
func TestIMSUserShapes(t *testing.T) {
	f := newFixture(t, Options{})
	f.addUser("kim")
	got, err := f.ims(f.root, "GetUser", map[string]string{"UserPrincipalName": "kim@" + defaultAccountAlias + ".onaliyun.com"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := got["User"].(map[string]any)
	if _, ok := u["Status"]; ok || u["UserName"] != "kim" {
		t.Errorf("IMS GetUser user = %v", u)
	}
	list, err := f.ims(f.root, "ListUsers", nil)
	if err != nil {
		t.Fatal(err)
	}
	users, _ := list["Users"].(map[string]any)["User"].([]any)
	if len(users) != 1 {
		t.Fatalf("IMS ListUsers = %v", list)
	}
	lu := users[0].(map[string]any)
	if _, ok := lu["UserName"]; ok || lu["Status"] != "active" || lu["UserPrincipalName"] != "kim@"+defaultAccountAlias+".onaliyun.com" {
		t.Errorf("IMS ListUsers user = %v", lu)
	}
}

// keysOf answers from an owner index that follows creation, deletion,
// restoration and renames.
func TestKeysOfIndexFollowsChanges(t *testing.T) {
	f := newFixture(t, Options{})
	kim := f.addUser("kim", "AdministratorAccess")
	ids := func(owner string) []string {
		var out []string
		f.srv.Update(func(w *World) {
			for _, k := range keysOf(w, owner) {
				out = append(out, k.ID)
			}
		})
		return out
	}
	if got := ids("kim"); len(got) != 1 || got[0] != kim.id {
		t.Fatalf("keys of kim = %v", got)
	}
	created, err := f.ims(f.root, "CreateAccessKey", map[string]string{"UserPrincipalName": "kim@" + defaultAccountAlias + ".onaliyun.com"})
	if err != nil {
		t.Fatal(err)
	}
	newID := created["AccessKey"].(map[string]any)["AccessKeyId"].(string)
	// Through the handlers, without Update in between.
	list, err := f.ims(f.root, "ListAccessKeys", map[string]string{"UserPrincipalName": "kim@" + defaultAccountAlias + ".onaliyun.com"})
	if err != nil {
		t.Fatal(err)
	}
	if keys := list["AccessKeys"].(map[string]any)["AccessKey"].([]any); len(keys) != 2 {
		t.Fatalf("after CreateAccessKey, ListAccessKeys = %v", list)
	}
	if _, err := f.ims(f.root, "DeleteAccessKey", map[string]string{"UserPrincipalName": "kim@" + defaultAccountAlias + ".onaliyun.com", "UserAccessKeyId": newID}); err != nil {
		t.Fatal(err)
	}
	list, err = f.ims(f.root, "ListAccessKeys", map[string]string{"UserPrincipalName": "kim@" + defaultAccountAlias + ".onaliyun.com"})
	if err != nil {
		t.Fatal(err)
	}
	if keys := list["AccessKeys"].(map[string]any)["AccessKey"].([]any); len(keys) != 1 {
		t.Fatalf("after DeleteAccessKey, ListAccessKeys = %v", list)
	}
	f.srv.Update(func(w *World) { renameUser(w, "kim", "kimberly") })
	if got := ids("kimberly"); len(got) != 1 || got[0] != kim.id || len(ids("kim")) != 0 {
		t.Fatalf("after rename: kimberly %v, kim %v", got, ids("kim"))
	}
}

// classicV1Sign signs RPC parameters the way the published V1 recipe (and
// the classic alibaba-cloud-sdk-go) does, written here independently of
// the lab's sign.go: sorted, RFC 3986-encoded key=value pairs joined by
// "&", StringToSign = METHOD&%2F&encode(query), HMAC-SHA1 with secret+"&".
func classicV1Sign(method, secret string, params url.Values) string {
	enc := func(s string) string {
		return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(s))
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, 0, len(keys))
	for _, k := range keys {
		pairs = append(pairs, enc(k)+"="+enc(params.Get(k)))
	}
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(method + "&" + enc("/") + "&" + enc(strings.Join(pairs, "&"))))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// The classic Go SDK (alibaba-cloud-sdk-go) is not a served module here
// (internal/lab/doc.go), so this test sends what it sends: V1 with every
// parameter and the Signature in the query string (GET, its default for
// RPC), and POST with the API parameters in a form body and the common
// ones in the query, both signed together; RegionId and Format=JSON on
// every call; its x-sdk-* headers.
func TestClassicSDKStyleV1GetAndPost(t *testing.T) {
	f := newFixture(t, Options{})
	kim := f.addUser("kim", "AdministratorAccess")
	common := func() url.Values {
		return url.Values{
			"Format": {"JSON"}, "Version": {"2015-05-01"}, "AccessKeyId": {kim.id}, "SignatureMethod": {"HMAC-SHA1"},
			"Timestamp": {time.Now().UTC().Format("2006-01-02T15:04:05Z")}, "SignatureVersion": {"1.0"},
			"SignatureNonce": {NewRequestID()}, "RegionId": {"cn-hangzhou"},
		}
	}
	do := func(req *http.Request) map[string]any {
		t.Helper()
		req.Header.Set("x-sdk-client", "golang/1.0.0")
		req.Header.Set("x-sdk-invoke-type", "normal")
		req.Header.Set("Accept-Encoding", "identity")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %v (%v)", req.Method, resp.StatusCode, body, err)
		}
		return body
	}

	q := common()
	q.Set("Action", "GetUser")
	q.Set("UserName", "kim")
	q.Set("Signature", classicV1Sign("GET", kim.secret, q))
	req, _ := http.NewRequest("GET", "http://"+f.srv.Addr()+"/?"+q.Encode(), nil)
	if u, _ := do(req)["User"].(map[string]any); u["UserName"] != "kim" {
		t.Fatalf("GET GetUser answered %v", u)
	}

	q = common()
	q.Set("Action", "CreateUser")
	form := url.Values{"UserName": {"lee"}, "DisplayName": {"Lee Classic"}}
	all := url.Values{}
	for k, v := range q {
		all[k] = v
	}
	for k, v := range form {
		all[k] = v
	}
	q.Set("Signature", classicV1Sign("POST", kim.secret, all))
	req, _ = http.NewRequest("POST", "http://"+f.srv.Addr()+"/?"+q.Encode(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if u, _ := do(req)["User"].(map[string]any); u["UserName"] != "lee" || u["DisplayName"] != "Lee Classic" {
		t.Fatalf("POST CreateUser answered %v", u)
	}
	if evs := eventsFor(f.srv, "CreateUser"); len(evs) != 1 || evs[0].UserIdentity.AccessKeyID != kim.id {
		t.Fatalf("CreateUser events %+v", evs)
	}
}
