package lab

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	ram "github.com/alibabacloud-go/ram-20150501/v2/client"
	"github.com/alibabacloud-go/tea/tea"
)

// rawV3 sends a hand-signed V3 request, so tests can vary what the SDK
// always gets right (time, nonce, body hash, headers).
type rawV3 struct {
	version, action string
	query           url.Values
	date            time.Time
	nonce           string
	body            string
	contentType     string
	token           string
	signed          []string // default: every x-acs-* header, host, content-type
	mutate          func(r *http.Request)
}

func (f *fixture) sendV3(c cred, rq rawV3) (int, map[string]any, http.Header) {
	f.t.Helper()
	if rq.date.IsZero() {
		rq.date = time.Now()
	}
	if rq.nonce == "" {
		rq.nonce = NewEventID()
	}
	u := "http://" + f.srv.Addr() + "/"
	if len(rq.query) > 0 {
		u += "?" + rq.query.Encode()
	}
	req, err := http.NewRequest("POST", u, strings.NewReader(rq.body))
	if err != nil {
		f.t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(rq.body))
	h := map[string]string{
		"host":                  f.srv.Addr(),
		"x-acs-action":          rq.action,
		"x-acs-version":         rq.version,
		"x-acs-date":            rq.date.UTC().Format(timeLayout),
		"x-acs-signature-nonce": rq.nonce,
		"x-acs-content-sha256":  hex.EncodeToString(sum[:]),
	}
	if rq.contentType != "" {
		h["content-type"] = rq.contentType
	}
	if rq.token != "" {
		h["x-acs-security-token"] = rq.token
	}
	signed := rq.signed
	if signed == nil {
		for k := range h {
			signed = append(signed, k)
		}
		sortStrings(signed)
	}
	for k, v := range h {
		if k != "host" {
			req.Header.Set(k, v)
		}
	}
	canon := canonicalRequestV3(v3Request{Method: "POST", Path: "/", Query: rq.query, Headers: h, SignedHeaders: signed, PayloadHash: h["x-acs-content-sha256"]})
	req.Header.Set("Authorization", v3Algorithm+" Credential="+c.id+",SignedHeaders="+strings.Join(signed, ";")+",Signature="+signV3(c.secret, canon))
	if rq.mutate != nil {
		rq.mutate(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("send: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		f.t.Fatalf("answer is not JSON (status %d): %q", resp.StatusCode, b)
	}
	if body["RequestId"] == "" || body["RequestId"] == nil {
		f.t.Fatalf("answer has no RequestId: %s", b)
	}
	return resp.StatusCode, body, resp.Header
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestAuthenticationFailures(t *testing.T) {
	f := newFixture(t, Options{})
	alice := f.addUser("alice", "AdministratorAccess")
	disabled := f.addUser("dora", "AdministratorAccess")
	f.srv.Update(func(w *World) { w.AccessKeys[disabled.id].Status = "Inactive" })

	tests := []struct {
		name   string
		cred   cred
		code   string
		status int
	}{
		{"wrong secret", cred{id: alice.id, secret: "not-the-secret"}, "SignatureDoesNotMatch", http.StatusBadRequest},
		{"disabled key", disabled, "InvalidAccessKeyId.Inactive", http.StatusBadRequest},
		{"unknown key", cred{id: "LTAI5tUNKNOWNunknown0000", secret: "x"}, "InvalidAccessKeyId.NotFound", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/V3", func(t *testing.T) {
			_, err := f.ram(tt.cred).ListUsers(&ram.ListUsersRequest{})
			wantCode(t, err, tt.code, tt.status)
		})
		t.Run(tt.name+"/V1", func(t *testing.T) {
			_, err := f.sts(tt.cred).GetCallerIdentity()
			wantCode(t, err, tt.code, tt.status)
		})
	}

	// Calls that failed authentication are not recorded (ActionTrail
	// documents no such events; internal/lab/doc.go), known key or not;
	// a correctly signed call with a disabled key is (its V3 ListUsers).
	evs := eventsFor(f.srv, "ListUsers")
	if len(evs) != 1 || evs[0].ErrorCode != "InvalidAccessKeyId.Inactive" || evs[0].UserIdentity.AccessKeyID != disabled.id {
		t.Fatalf("failed ListUsers calls recorded as %+v, want only the disabled key's", evs)
	}
	// A call that authenticated is recorded.
	_, err := f.rpc(alice, "2014-05-26", "DescribeInstances", map[string]string{"RegionId": "cn-hangzhou"}, "")
	mustOK(t, err)
	if evs := eventsFor(f.srv, "DescribeInstances"); len(evs) != 1 || evs[0].ErrorCode != "" || evs[0].UserIdentity.Type != "ram-user" {
		t.Fatalf("authenticated call recorded as %+v", evs)
	}
}

func TestSignatureFreshnessAndShape(t *testing.T) {
	f := newFixture(t, Options{})
	list := rawV3{version: "2015-05-01", action: "ListUsers"}

	st, body, _ := f.sendV3(f.root, list)
	if st != http.StatusOK {
		t.Fatalf("hand-signed request failed: %d %v", st, body)
	}

	tests := []struct {
		name   string
		mod    func(r *rawV3)
		code   string
		status int
	}{
		{"date 20 minutes old", func(r *rawV3) { r.date = time.Now().Add(-20 * time.Minute) }, "InvalidTimeStamp.Expired", 400},
		{"date 20 minutes ahead", func(r *rawV3) { r.date = time.Now().Add(20 * time.Minute) }, "InvalidTimeStamp.Expired", 400},
		{"garbled date", func(r *rawV3) {
			r.mutate = func(h *http.Request) { h.Header.Set("x-acs-date", "yesterday") }
		}, "InvalidTimeStamp.Format", 400},
		{"nonce reused", func(r *rawV3) { r.nonce = "0123456789abcdef0123456789abcdef" }, "SignatureNonceUsed", 400},
		{"body does not match its hash", func(r *rawV3) {
			r.body, r.contentType = "UserName=x", "application/x-www-form-urlencoded"
			r.mutate = func(h *http.Request) {
				h.Body = io.NopCloser(strings.NewReader("UserName=y"))
			}
		}, "SignatureDoesNotMatch", 400},
		{"action header not signed", func(r *rawV3) {
			r.signed = []string{"host", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"}
		}, "IncompleteSignature", 400},
		{"garbled authorization", func(r *rawV3) {
			r.mutate = func(h *http.Request) { h.Header.Set("Authorization", "ACS3-HMAC-SHA256 garbage") }
		}, "IncompleteSignature", 400},
		{"other algorithm", func(r *rawV3) {
			r.mutate = func(h *http.Request) {
				h.Header.Set("Authorization", strings.Replace(h.Header.Get("Authorization"), "ACS3-HMAC-SHA256", "ACS3-HMAC-SM3", 1))
			}
		}, "InvalidSignatureMethod", 400},
		{"query tampered after signing", func(r *rawV3) {
			r.query = url.Values{"MaxItems": {"5"}}
			r.mutate = func(h *http.Request) { h.URL.RawQuery = "MaxItems=6" }
		}, "SignatureDoesNotMatch", 400},
		{"unknown api", func(r *rawV3) { r.action = "ListUnicorns" }, "InvalidApi.NotFound", 404},
		{"unknown version", func(r *rawV3) { r.version = "2099-01-01" }, "InvalidApi.NotFound", 404},
	}
	// Use the fixed nonce once so the replay case below is a real replay.
	first := list
	first.nonce = "0123456789abcdef0123456789abcdef"
	if st, body, _ := f.sendV3(f.root, first); st != http.StatusOK {
		t.Fatalf("first use of the nonce failed: %d %v", st, body)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rq := list
			tt.mod(&rq)
			st, body, _ := f.sendV3(f.root, rq)
			if st != tt.status || body["Code"] != tt.code {
				t.Fatalf("got %d %v, want %d %s", st, body["Code"], tt.status, tt.code)
			}
			if body["Message"] == "" || body["HostId"] == nil {
				t.Fatalf("error body lacks Message/HostId: %v", body)
			}
		})
	}

	// A form body is accepted when its hash is signed.
	rq := rawV3{version: "2015-05-01", action: "GetUser", body: "UserName=ghost", contentType: "application/x-www-form-urlencoded"}
	if st, body, _ := f.sendV3(f.root, rq); st != http.StatusNotFound || body["Code"] != "EntityNotExist.User" {
		t.Fatalf("form-body GetUser = %d %v, want 404 EntityNotExist.User (params read from the body)", st, body)
	}
	// No credentials at all.
	resp, err := http.Post("http://"+f.srv.Addr()+"/?Action=ListUsers&Version=2015-05-01", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("anonymous request status = %d, want 400", resp.StatusCode)
	}
}

func TestStateJSONAndSnapshot(t *testing.T) {
	f := newFixture(t, Options{})
	f.addUser("erin")
	before := f.srv.StateJSON()
	if string(before) != string(f.srv.StateJSON()) {
		t.Fatal("StateJSON is not deterministic")
	}
	c := f.ram(f.root)
	// Reads change events, not state.
	_, err := c.ListUsers(&ram.ListUsersRequest{})
	mustOK(t, err)
	if string(before) != string(f.srv.StateJSON()) {
		t.Fatal("a read changed StateJSON")
	}
	if strings.Contains(string(before), "Secret") {
		t.Fatalf("StateJSON leaks a secret: %s", before)
	}
	_, err = c.UpdateUser(&ram.UpdateUserRequest{UserName: tea.String("erin"), NewComments: tea.String("x")})
	mustOK(t, err)
	if string(before) == string(f.srv.StateJSON()) {
		t.Fatal("a write did not change StateJSON")
	}
	snap := f.srv.Snapshot()
	snap.Users["erin"].Comments = "mutated"
	snap.Events[0].RequestParameters["x"] = "y"
	if f.srv.Snapshot().Users["erin"].Comments != "x" || f.srv.Events()[0].RequestParameters["x"] != nil {
		t.Fatal("Snapshot shares memory with the live world")
	}
	st := f.srv.Stats()
	if st.Requests < 2 || st.ByAction["Ram:ListUsers"] != 1 || st.ByAction["Ram:UpdateUser"] != 1 {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{{FaultRate: 1.5}, {FaultRate: -0.1}, {QuotaScale: -1}, {Latency: -time.Second}, {MaxPolicyLength: -1}, {Addr: "256.0.0.1:0"}} {
		if s, err := New(o); err == nil {
			s.Close()
			t.Errorf("New(%+v) succeeded, want an error", o)
		}
	}
}

// signedRequest builds a V3-signed request for ServeHTTP (no network), so
// benchmarks measure the server's CPU per call.
func signedRequest(c cred, version, action string, query url.Values) *http.Request {
	u := "/"
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, _ := http.NewRequest("POST", "http://lab.invalid"+u, nil)
	req.Host = "lab.invalid"
	req.RemoteAddr = "127.0.0.1:40000"
	h := map[string]string{
		"host": req.Host, "x-acs-action": action, "x-acs-version": version,
		"x-acs-date": time.Now().UTC().Format(timeLayout), "x-acs-signature-nonce": NewEventID(),
		"x-acs-content-sha256": emptySHA256,
	}
	signed := []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"}
	for k, v := range h {
		if k != "host" {
			req.Header.Set(k, v)
		}
	}
	canon := canonicalRequestV3(v3Request{Method: "POST", Path: "/", Query: query, Headers: h, SignedHeaders: signed, PayloadHash: emptySHA256})
	req.Header.Set("Authorization", v3Algorithm+" Credential="+c.id+",SignedHeaders="+strings.Join(signed, ";")+",Signature="+signV3(c.secret, canon))
	return req
}

// newBenchLab is a lab with 1,000 users (one key and one policy each) and a
// 50,000-event history spread over 80 days.
func newBenchLab(b *testing.B) (*Server, cred, string) {
	b.Helper()
	now := time.Now().UTC()
	w := NewWorld(Account{ID: defaultAccountID, Alias: defaultAccountAlias})
	root := cred{id: testRootKey, secret: "RootSecretRootSecretRootSecret"}
	w.AccessKeys[root.id] = &AccessKey{ID: root.id, Secret: root.secret, Status: "Active", CreateDate: now.Add(-time.Hour)}
	var keyIDs []string
	for i := 0; i < 1000; i++ {
		name := "user" + strconv.Itoa(i)
		id := "LTAI5t" + strings.ToUpper(padName(name))
		w.Users[name] = &User{UserID: strconv.Itoa(1e15 + i), UserName: name, CreateDate: now}
		w.AccessKeys[id] = &AccessKey{ID: id, Secret: "s", Owner: name, Status: "Active", CreateDate: now.Add(-100 * 24 * time.Hour)}
		w.Attachments = append(w.Attachments, Attachment{PolicyName: "ReadOnlyAccess", PolicyType: "System", PrincipalType: "User", PrincipalName: name})
		keyIDs = append(keyIDs, id)
	}
	for i := 0; i < 50000; i++ {
		ts := now.Add(-80 * 24 * time.Hour).Add(time.Duration(i) * 138 * time.Second)
		w.Events = append(w.Events, w.NewEvent(EventSpec{Time: ts, Version: "2015-05-01", Action: "GetUser",
			Params: map[string]string{"UserName": "user1"}, SourceIP: "198.51.100.7",
			Caller: Caller{Type: "ram-user", AccessKeyID: keyIDs[i%len(keyIDs)], UserName: "user"}}))
	}
	s, err := New(Options{World: w})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, root, keyIDs[7]
}

func benchServe(b *testing.B, s *Server, c cred, version, action string, query url.Values) {
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, signedRequest(c, version, action, query))
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", action, rec.Code, rec.Body.String())
		}
	}
}

// Goal: each call on a 1,000-user world well under a millisecond of CPU.
func BenchmarkGetUser1000Users(b *testing.B) {
	s, root, _ := newBenchLab(b)
	benchServe(b, s, root, "2015-05-01", "GetUser", url.Values{"UserName": {"user500"}})
}

func BenchmarkListUsersPage100(b *testing.B) {
	s, root, _ := newBenchLab(b)
	benchServe(b, s, root, "2015-05-01", "ListUsers", url.Values{"MaxItems": {"100"}})
}

func BenchmarkLookupEventsByAccessKey50kEvents(b *testing.B) {
	s, root, key := newBenchLab(b)
	benchServe(b, s, root, "2020-07-06", "LookupEvents", url.Values{
		"LookupAttribute.1.Key": {"EventAccessKeyId"}, "LookupAttribute.1.Value": {key},
		"StartTime": {fmtTime(time.Now().Add(-30 * 24 * time.Hour))}, "EndTime": {fmtTime(time.Now())}, "MaxResults": {"50"},
	})
}

func BenchmarkLookupEventsByName50kEvents(b *testing.B) {
	s, root, _ := newBenchLab(b)
	benchServe(b, s, root, "2020-07-06", "LookupEvents", url.Values{
		"LookupAttribute.1.Key": {"EventName"}, "LookupAttribute.1.Value": {"ListUsers"},
		"StartTime": {fmtTime(time.Now().Add(-30 * 24 * time.Hour))}, "EndTime": {fmtTime(time.Now())}, "MaxResults": {"50"},
	})
}

func BenchmarkGetAccessKeyLastUsedInfo50kEvents(b *testing.B) {
	s, root, key := newBenchLab(b)
	benchServe(b, s, root, "2020-07-06", "GetAccessKeyLastUsedInfo", url.Values{"AccessKey": {key}})
}

func BenchmarkAuthorizedUserCall(b *testing.B) {
	s, _, _ := newBenchLab(b)
	u := cred{id: "LTAI5t" + strings.ToUpper(padName("user3")), secret: "s"}
	benchServe(b, s, u, "2015-05-01", "GetUser", url.Values{"UserName": {"user3"}})
}

func TestBuiltinLeakScenarioServes(t *testing.T) {
	sc, err := LoadScenario("builtin:leak")
	if err != nil {
		t.Fatal(err)
	}
	w, info, err := sc.Build(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{World: w})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f := &fixture{t: t, srv: s}
	if len(info.Credentials) == 0 {
		t.Fatal("builtin:leak hands out no credentials")
	}
	for name, c := range info.Credentials {
		t.Run(name, func(t *testing.T) {
			_, err := f.sts(cred{id: c.AccessKeyID, secret: c.AccessKeySecret}).GetCallerIdentity()
			if se, ok := asSDKError(err); err != nil && (!ok || !strings.HasPrefix(tea.StringValue(se.Code), "Forbidden")) {
				// Keys may be fenced by the scenario's network policy, never
				// rejected for their signature.
				t.Fatalf("GetCallerIdentity for %s: %v", name, err)
			}
		})
	}
}

func TestHostileRequestsGetJSONErrors(t *testing.T) {
	f := newFixture(t, Options{})
	base := "http://" + f.srv.Addr()
	tests := []struct {
		name, method, path, ctype, body string
		header                          map[string]string
		status                          int
		code                            string
	}{
		{"bad query", "POST", "/?a=%zz&Action=ListUsers", "", "", nil, 400, "InvalidParameter"},
		{"other path", "GET", "/v1/users", "", "", nil, 404, "InvalidApi.NotFound"},
		{"no action", "POST", "/?Version=2015-05-01", "", "", nil, 400, "MissingAction"},
		{"no version", "POST", "/?Action=ListUsers", "", "", nil, 400, "MissingVersion"},
		{"bad form body", "POST", "/?Action=ListUsers&Version=2015-05-01", "application/x-www-form-urlencoded", "a=%zz", nil, 400, "InvalidParameter"},
		{"V1 without signature", "POST", "/?Action=GetCallerIdentity&Version=2015-04-01&AccessKeyId=" + testRootKey, "", "", nil, 400, "MissingSignature"},
		{"V1 wrong method", "POST", "/?Action=GetCallerIdentity&Version=2015-04-01&AccessKeyId=" + testRootKey + "&Signature=x&SignatureMethod=MD5", "", "", nil, 400, "InvalidSignatureMethod"},
		{"generic bad action name", "POST", "/?Action=Run%2FInstances&Version=2014-05-26", "", "", nil, 404, "InvalidApi.NotFound"},
		{"huge body", "POST", "/?Action=ListUsers&Version=2015-05-01", "application/x-www-form-urlencoded", strings.Repeat("a", maxBodyBytes+10), nil, 413, "RequestEntityTooLarge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, base+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("answer is not JSON: %v", err)
			}
			if resp.StatusCode != tt.status || body["Code"] != tt.code || body["RequestId"] == nil {
				t.Fatalf("got %d %v, want %d %s", resp.StatusCode, body, tt.status, tt.code)
			}
		})
	}
	// The server survives and still serves.
	_, err := f.ram(f.root).ListUsers(&ram.ListUsersRequest{})
	mustOK(t, err)
}

func TestUpdateToleratesNilEntries(t *testing.T) {
	f := newFixture(t, Options{})
	f.srv.Update(func(w *World) {
		w.Users["ghost"] = nil
		w.Groups["g"] = nil
		w.Policies["p"] = &Policy{Name: "p", Type: "Custom", DefaultVersion: "v1", Versions: []*PolicyVersion{nil}}
		w.Events = append(w.Events, Event{EventTime: "2020-01-01T00:00:00Z", EventName: "Old"})
	})
	if evs := f.srv.Events(); evs[0].EventName != "Old" || evs[0].Time.IsZero() {
		t.Fatalf("hand-added event not normalised: %+v", evs[0])
	}
	_, err := f.ram(f.root).ListUsers(&ram.ListUsersRequest{})
	mustOK(t, err)
	if len(f.srv.StateJSON()) == 0 {
		t.Fatal("empty state")
	}
}
