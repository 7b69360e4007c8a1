package lab

import (
	"net/url"
	"strings"
	"testing"
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
