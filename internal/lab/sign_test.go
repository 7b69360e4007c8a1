package lab

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Reference vectors from alibaba-cloud-api.md sections 4 and 5.
const (
	vecKeyID  = "LTAI5tEXAMPLEexample0000"
	vecSecret = "ExampleSecretExampleSecret0000"
)

func TestPercentEncode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abcXYZ019-_.~", "abcXYZ019-_.~"},
		{"a b", "a%20b"},
		{"*", "%2A"},
		{"/+=&", "%2F%2B%3D%26"},
		{"é", "%C3%A9"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := percentEncode(tt.in); got != tt.want {
			t.Errorf("percentEncode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestV3ReferenceVector(t *testing.T) {
	query := url.Values{
		"UserName":        {"alice"},
		"UserAccessKeyId": {"LTAI5tLEAKEDleaked000000"},
		"Status":          {"Inactive"},
		"Note":            {"a b*c~d/e+f"},
	}
	wantQuery := "Note=a%20b%2Ac~d%2Fe%2Bf&Status=Inactive&UserAccessKeyId=LTAI5tLEAKEDleaked000000&UserName=alice"
	if got := canonicalQueryV3(query); got != wantQuery {
		t.Fatalf("canonical query = %q, want %q", got, wantQuery)
	}
	req := v3Request{
		Method: "POST",
		Path:   "/",
		Query:  query,
		Headers: map[string]string{
			"host":                  "ram.aliyuncs.com",
			"x-acs-action":          "UpdateAccessKey",
			"x-acs-version":         "2015-05-01",
			"x-acs-date":            "2024-01-01T00:00:00Z",
			"x-acs-signature-nonce": "0123456789abcdef0123456789abcdef",
			"x-acs-content-sha256":  emptySHA256,
		},
		SignedHeaders: strings.Split("host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version", ";"),
		PayloadHash:   emptySHA256,
	}
	const wantSig = "620b168f037caf3ae538e7deb771a76dd94d9b39ead4439736d0fa84b0a616b6"
	if got := signV3(vecSecret, canonicalRequestV3(req)); got != wantSig {
		t.Fatalf("V3 signature = %s, want %s\ncanonical request:\n%s", got, wantSig, canonicalRequestV3(req))
	}
	if got := signV3("wrong-secret", canonicalRequestV3(req)); got == wantSig {
		t.Fatal("V3 signature does not depend on the secret")
	}
	header := "ACS3-HMAC-SHA256 Credential=" + vecKeyID + ",SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=" + wantSig
	a, err := parseV3Authorization(header)
	if err != nil {
		t.Fatalf("parse reference header: %v", err)
	}
	if a.Algorithm != v3Algorithm || a.Credential != vecKeyID || a.Signature != wantSig || strings.Join(a.SignedHeaders, ";") != strings.Join(req.SignedHeaders, ";") {
		t.Fatalf("parsed header = %+v", a)
	}
}

func TestParseV3AuthorizationRejectsGarbage(t *testing.T) {
	bad := []string{
		"",
		"ACS3-HMAC-SHA256",
		"ACS3-HMAC-SHA256 Credential=AK",
		"ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host",
		"ACS3-HMAC-SHA256 SignedHeaders=host,Signature=ab",
		"ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host,Signature=ab,Extra=1",
		"ACS3-HMAC-SHA256 Credential=AK,SignedHeaders,Signature=ab",
	}
	for _, h := range bad {
		if _, err := parseV3Authorization(h); err == nil {
			t.Errorf("parseV3Authorization(%q) succeeded, want an error", h)
		}
	}
}

func TestV1ReferenceVectors(t *testing.T) {
	base := func() url.Values {
		return url.Values{
			"Action": {"GetCallerIdentity"}, "Format": {"json"}, "Version": {"2015-04-01"},
			"Timestamp": {"2024-01-01T00:00:00Z"}, "SignatureNonce": {"0123456789abcdef0123456789abcdef"},
			"SignatureMethod": {"HMAC-SHA1"}, "SignatureVersion": {"1.0"}, "AccessKeyId": {vecKeyID},
		}
	}
	assume := base()
	assume.Set("Action", "AssumeRole")
	assume.Set("RoleArn", "acs:ram::1234567890123456:role/ir-role")
	assume.Set("RoleSessionName", "akresp")
	assume.Set("Policy", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	withSig := base()
	withSig.Set("Signature", "ignored-by-the-string-to-sign")

	tests := []struct {
		name   string
		params url.Values
		want   string
	}{
		{"GetCallerIdentity", base(), "pjK7a35CxNPLE3m+DVzxSiMsOPU="},
		{"AssumeRole with policy", assume, "f0eAMY7lhoz67LReCidiPRq6VXk="},
		{"Signature param is excluded", withSig, "pjK7a35CxNPLE3m+DVzxSiMsOPU="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sts := stringToSignV1("POST", tt.params)
			if got := signV1(vecSecret, sts); got != tt.want {
				t.Fatalf("V1 signature = %s, want %s\nstring to sign: %s", got, tt.want, sts)
			}
		})
	}
	sts := stringToSignV1("POST", base())
	if !strings.HasPrefix(sts, "POST&%2F&AccessKeyId%3D"+vecKeyID+"%26Action%3DGetCallerIdentity%26Format%3Djson%26SignatureMethod%3DHMAC-SHA1") ||
		!strings.Contains(sts, "Timestamp%3D2024-01-01T00%253A00%253A00Z%26Version%3D2015-04-01") {
		t.Fatalf("string to sign has the wrong shape: %s", sts)
	}
	if got := signV1(vecSecret, stringToSignV1("GET", base())); got == "pjK7a35CxNPLE3m+DVzxSiMsOPU=" {
		t.Fatal("V1 signature does not depend on the HTTP method")
	}
}

func TestCanonicalURI(t *testing.T) {
	for in, want := range map[string]string{"": "/", "/": "/", "/a b/c*": "/a%20b/c%2A"} {
		if got := canonicalURI(in); got != want {
			t.Errorf("canonicalURI(%q) = %q, want %q", in, got, want)
		}
	}
}

// The signature must cover the nonce: a request whose SignedHeaders lacks
// x-acs-signature-nonce (or any other header the V3 recipe requires) is
// refused with IncompleteSignature before anything happens, otherwise a
// captured request could be replayed with a fresh nonce. Each case is a
// CreateUser, so a request the lab wrongly accepted would leave a user.
func TestV3RefusesUnsignedRequiredHeaders(t *testing.T) {
	f := newFixture(t, Options{})
	all := []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"}
	without := func(drop string, from []string) []string {
		var out []string
		for _, h := range from {
			if h != drop {
				out = append(out, h)
			}
		}
		return out
	}
	type tc struct {
		name string
		rq   rawV3
	}
	var cases []tc
	for i, h := range all {
		cases = append(cases, tc{name: h + " not signed", rq: rawV3{
			version: "2015-05-01", action: "CreateUser",
			query:  url.Values{"UserName": {"unsigned-" + strconv.Itoa(i)}},
			signed: without(h, all),
		}})
	}
	withCT := append(append([]string{}, all...), "content-type")
	sortStrings(withCT)
	cases = append(cases, tc{name: "content-type not signed", rq: rawV3{
		version: "2015-05-01", action: "CreateUser",
		body: "UserName=unsigned-ct", contentType: "application/x-www-form-urlencoded",
		signed: without("content-type", withCT),
	}})
	// The nonce header signed but absent from the request.
	cases = append(cases, tc{name: "nonce header absent", rq: rawV3{
		version: "2015-05-01", action: "CreateUser",
		query:  url.Values{"UserName": {"unsigned-absent"}},
		mutate: func(r *http.Request) { r.Header.Del("x-acs-signature-nonce") },
	}})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, body, _ := f.sendV3(f.root, c.rq)
			if st != http.StatusBadRequest || body["Code"] != "IncompleteSignature" {
				t.Fatalf("got %d %v (%v), want 400 IncompleteSignature", st, body["Code"], body["Message"])
			}
		})
	}
	if n := len(f.srv.Snapshot().Users); n != 0 {
		t.Fatalf("refused requests created %d user(s)", n)
	}

	// The control: a request with every required header signed is
	// accepted.
	ok := rawV3{version: "2015-05-01", action: "CreateUser", query: url.Values{"UserName": {"signed"}}}
	if st, body, _ := f.sendV3(f.root, ok); st != http.StatusOK {
		t.Fatalf("fully signed CreateUser = %d %v", st, body)
	}
	// A signed request whose nonce is swapped after signing (a replay
	// dodging the nonce check) does not verify.
	replay := rawV3{
		version: "2015-05-01", action: "CreateUser", query: url.Values{"UserName": {"replayed"}},
		nonce:  "nonce-original-000000000000000000",
		mutate: func(r *http.Request) { r.Header.Set("x-acs-signature-nonce", "nonce-swapped-0000000000000000000") },
	}
	if st, body, _ := f.sendV3(f.root, replay); st != http.StatusBadRequest || body["Code"] != "SignatureDoesNotMatch" {
		t.Fatalf("request whose nonce changed after signing = %d %v, want 400 SignatureDoesNotMatch", st, body["Code"])
	}
	if _, ok := f.srv.Snapshot().Users["replayed"]; ok {
		t.Fatal("a request whose nonce changed after signing created a user")
	}
}

// The V1 (RPC) form needs SignatureNonce, Timestamp and the method and
// version parameters; without any of them the call is refused.
func TestV1RefusesMissingSignatureParameters(t *testing.T) {
	f := newFixture(t, Options{})
	base := func() url.Values {
		return url.Values{
			"Action": {"GetCallerIdentity"}, "Format": {"JSON"}, "Version": {"2015-04-01"},
			"Timestamp": {time.Now().UTC().Format(timeLayout)}, "SignatureNonce": {NewEventID()},
			"SignatureMethod": {"HMAC-SHA1"}, "SignatureVersion": {"1.0"}, "AccessKeyId": {f.root.id},
		}
	}
	send := func(p url.Values) (int, map[string]any) {
		t.Helper()
		p.Set("Signature", signV1(f.root.secret, stringToSignV1("POST", p)))
		resp, err := http.PostForm("http://"+f.srv.Addr()+"/", p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("answer is not JSON: %v", err)
		}
		return resp.StatusCode, body
	}
	if st, body := send(base()); st != http.StatusOK {
		t.Fatalf("complete V1 request = %d %v", st, body)
	}
	for _, drop := range []string{"SignatureNonce", "Timestamp", "SignatureMethod", "SignatureVersion"} {
		t.Run("without "+drop, func(t *testing.T) {
			p := base()
			p.Del(drop)
			st, body := send(p)
			if st != http.StatusBadRequest || body["Code"] != "Missing"+drop {
				t.Fatalf("got %d %v (%v), want 400 missing %s", st, body["Code"], body["Message"], drop)
			}
		})
	}
}

// A nonce is refused again for exactly the signature window (15 minutes)
// and forgotten after it; the table of seen nonces is pruned of entries at
// least a window old once it outgrows its threshold, which then grows with
// what is kept (2 x kept + 1024).
func TestNonceWindowAndPruning(t *testing.T) {
	f := newFixture(t, Options{})
	s := f.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	s.nonces = map[string]time.Time{}
	s.noncePruneAt = 1 << 20
	if s.nonceUsed("K", "n1", t0) {
		t.Fatal("a fresh nonce is reported used")
	}
	if !s.nonceUsed("K", "n1", t0.Add(signatureWindow-time.Nanosecond)) {
		t.Error("a nonce reused just inside 15 minutes is accepted")
	}
	if s.nonceUsed("K", "n1", t0.Add(signatureWindow)) {
		t.Error("a nonce reused exactly 15 minutes later is still refused")
	}
	if s.nonceUsed("L", "n1", t0.Add(signatureWindow)) {
		t.Error("the same nonce from another key is refused")
	}

	// Pruning: three entries against a threshold of 3 stay; the fourth
	// triggers a prune of those at least 15 minutes old.
	s.nonces = map[string]time.Time{}
	s.noncePruneAt = 3
	now := t0.Add(16 * time.Minute)
	s.nonces["K\x00old"] = t0                         // 16 minutes old: pruned
	s.nonces["K\x00edge"] = now.Add(-signatureWindow) // exactly 15 minutes: pruned
	s.nonceUsed("K", "recent", now.Add(-time.Minute))
	if len(s.nonces) != 3 {
		t.Fatalf("pruned at %d entries with a threshold of 3", len(s.nonces))
	}
	s.nonceUsed("K", "new", now)
	if _, ok := s.nonces["K\x00old"]; ok {
		t.Error("an entry 16 minutes old survived the prune")
	}
	if _, ok := s.nonces["K\x00edge"]; ok {
		t.Error("an entry exactly 15 minutes old survived the prune")
	}
	if len(s.nonces) != 2 || s.noncePruneAt != 2*2+1024 {
		t.Errorf("after the prune: %d entries, threshold %d; want 2 and %d", len(s.nonces), s.noncePruneAt, 2*2+1024)
	}
}
