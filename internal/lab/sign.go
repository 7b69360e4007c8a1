package lab

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// This file verifies request signatures. It is written from the recipes in
// alibaba-cloud-api.md sections 4 (V3, ACS3-HMAC-SHA256) and 5 (V1 RPC,
// HMAC-SHA1), never from SDK code, so a signing bug in a client shows up
// here as SignatureDoesNotMatch.

const (
	v3Algorithm = "ACS3-HMAC-SHA256"
	// emptySHA256 is the hex SHA-256 of an empty body.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	// signatureWindow is how far x-acs-date / Timestamp may be from real
	// time, and how long a nonce stays used.
	signatureWindow = 15 * time.Minute
	timeLayout      = "2006-01-02T15:04:05Z"
)

// percentEncode is RFC 3986 encoding as Alibaba Cloud signs it: unreserved
// characters A-Z a-z 0-9 - _ . ~ stay, everything else becomes %XX with
// upper-case hex (space is %20, never +).
func percentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// sortedPairs returns key=value pairs of params, keys and (for repeated keys)
// values sorted byte-wise, each side passed through enc.
func sortedPairs(params url.Values, encKey, encValue func(string) string) []string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, 0, len(keys))
	for _, k := range keys {
		vals := append([]string(nil), params[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			pairs = append(pairs, encKey(k)+"="+encValue(v))
		}
	}
	return pairs
}

// canonicalQueryV3 is step 5 of the V3 recipe: sorted keys, values RFC 3986
// encoded, keys as they are (they are plain ASCII in practice), empty value
// as "key=".
func canonicalQueryV3(query url.Values) string {
	identity := func(s string) string { return s }
	return strings.Join(sortedPairs(query, identity, percentEncode), "&")
}

// canonicalURI is step 4: the path RFC 3986 encoded, slashes kept.
func canonicalURI(path string) string {
	if path == "" {
		return "/"
	}
	return strings.ReplaceAll(percentEncode(path), "%2F", "/")
}

// v3Request is what the V3 canonical request is built from.
type v3Request struct {
	Method        string
	Path          string
	Query         url.Values
	Headers       map[string]string // lower-case name -> canonical value (trimmed, multi-values sorted and comma-joined)
	SignedHeaders []string          // lower-case names in the order the client listed them
	PayloadHash   string
}

// canonicalRequestV3 is step 7 of the V3 recipe.
func canonicalRequestV3(r v3Request) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.Path))
	b.WriteByte('\n')
	b.WriteString(canonicalQueryV3(r.Query))
	b.WriteByte('\n')
	for _, h := range r.SignedHeaders {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(r.Headers[h])
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(r.SignedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(r.PayloadHash)
	return b.String()
}

// signV3 is steps 8 and 9: the lower-case hex HMAC-SHA256 of the string to
// sign, keyed with the AccessKey secret.
func signV3(secret, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	sts := v3Algorithm + "\n" + hex.EncodeToString(sum[:])
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(sts))
	return hex.EncodeToString(mac.Sum(nil))
}

// v3Auth is a parsed V3 Authorization header.
type v3Auth struct {
	Algorithm     string
	Credential    string
	SignedHeaders []string
	Signature     string
}

// parseV3Authorization parses
// "ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<h1;h2>,Signature=<hex>".
func parseV3Authorization(h string) (v3Auth, error) {
	var a v3Auth
	alg, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok {
		return a, errors.New("authorization header has no credential part")
	}
	a.Algorithm = alg
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, fmt.Errorf("authorization header part %q is not key=value", part)
		}
		switch k {
		case "Credential":
			a.Credential = v
		case "SignedHeaders":
			if v != "" {
				for _, name := range strings.Split(v, ";") {
					a.SignedHeaders = append(a.SignedHeaders, strings.ToLower(strings.TrimSpace(name)))
				}
			}
		case "Signature":
			a.Signature = v
		default:
			return a, fmt.Errorf("authorization header has unknown part %q", k)
		}
	}
	switch {
	case a.Credential == "":
		return a, errors.New("authorization header has no Credential")
	case len(a.SignedHeaders) == 0:
		return a, errors.New("authorization header has no SignedHeaders")
	case a.Signature == "":
		return a, errors.New("authorization header has no Signature")
	}
	return a, nil
}

// canonicalHeaderValue is how step 6 renders one header: values trimmed,
// multi-valued headers sorted and comma-joined.
func canonicalHeaderValue(r *http.Request, name string) string {
	if name == "host" {
		return strings.TrimSpace(r.Host)
	}
	vals := r.Header.Values(name)
	if len(vals) == 1 {
		return strings.TrimSpace(vals[0])
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.TrimSpace(v)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// stringToSignV1 is steps 1-3 of the V1 recipe: params (without Signature)
// sorted and encoded, then the method, "%2F" and that string, each encoded
// again and joined with "&".
func stringToSignV1(method string, params url.Values) string {
	p := url.Values{}
	for k, v := range params {
		if k != "Signature" {
			p[k] = v
		}
	}
	canon := strings.Join(sortedPairs(p, percentEncode, percentEncode), "&")
	return method + "&" + percentEncode("/") + "&" + percentEncode(canon)
}

// signV1 is step 4: base64 HMAC-SHA1 keyed with secret + "&".
func signV1(secret, stringToSign string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func equalSecret(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// parseSignTime parses x-acs-date / Timestamp (UTC, second precision; any
// RFC 3339 form is accepted).
func parseSignTime(s string) (time.Time, error) {
	if t, err := time.Parse(timeLayout, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

// request is one incoming call after parsing, before authentication.
type request struct {
	http    *http.Request
	body    []byte
	query   url.Values // decoded URL query
	form    url.Values // decoded form body (nil when there is none)
	params  map[string]string
	version string
	action  string
}

// authenticate verifies the caller of req. The returned principal is non-nil
// whenever the AccessKey id is known to the lab, even if authentication then
// fails, so the failure can be recorded against the key.
// The caller holds s.mu.
func (s *Server) authenticate(req *request, labNow time.Time) (*principal, *apiError) {
	var (
		keyID, token, signTime, nonce string
		verify                        func(secret string) *apiError
	)
	r := req.http
	if authz := r.Header.Get("Authorization"); authz != "" {
		a, err := parseV3Authorization(authz)
		if err != nil {
			return nil, newError(http.StatusBadRequest, "IncompleteSignature", "The request signature does not conform to Aliyun standards: %v.", err)
		}
		keyID = a.Credential
		token = r.Header.Get("x-acs-security-token")
		signTime = r.Header.Get("x-acs-date")
		nonce = r.Header.Get("x-acs-signature-nonce")
		p := s.principalForKey(keyID)
		if a.Algorithm != v3Algorithm {
			return p, newError(http.StatusBadRequest, "InvalidSignatureMethod", "Specified signature method is not valid: %q (the lab verifies %s only).", a.Algorithm, v3Algorithm)
		}
		if id := r.Header.Get("x-acs-accesskey-id"); id != "" && id != keyID {
			return p, newError(http.StatusBadRequest, "IncompleteSignature", "The x-acs-accesskey-id header %q does not match the Credential %q.", id, keyID)
		}
		signed := map[string]bool{}
		for _, h := range a.SignedHeaders {
			signed[h] = true
		}
		required := []string{"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"}
		if token != "" {
			required = append(required, "x-acs-security-token")
		}
		if r.Header.Get("Content-Type") != "" {
			required = append(required, "content-type")
		}
		for _, h := range required {
			if r.Header.Get(h) == "" && h != "host" {
				return p, newError(http.StatusBadRequest, "IncompleteSignature", "The request signature does not conform to Aliyun standards: header %s is missing.", h)
			}
			if !signed[h] {
				return p, newError(http.StatusBadRequest, "IncompleteSignature", "The request signature does not conform to Aliyun standards: header %s is not in SignedHeaders.", h)
			}
		}
		verify = func(secret string) *apiError {
			sum := sha256.Sum256(req.body)
			bodyHash := hex.EncodeToString(sum[:])
			if claimed := r.Header.Get("x-acs-content-sha256"); !strings.EqualFold(claimed, bodyHash) {
				return newError(http.StatusBadRequest, "SignatureDoesNotMatch", "%s The x-acs-content-sha256 header does not match the request body.", msgSignatureMismatch)
			}
			vr := v3Request{
				Method:        r.Method,
				Path:          r.URL.Path,
				Query:         req.query,
				Headers:       map[string]string{},
				SignedHeaders: a.SignedHeaders,
				PayloadHash:   r.Header.Get("x-acs-content-sha256"),
			}
			for _, h := range a.SignedHeaders {
				vr.Headers[h] = canonicalHeaderValue(r, h)
			}
			want := signV3(secret, canonicalRequestV3(vr))
			if !equalSecret(strings.ToLower(a.Signature), want) {
				return newError(http.StatusBadRequest, "SignatureDoesNotMatch", msgSignatureMismatch)
			}
			return nil
		}
	} else {
		all := url.Values{}
		for k, v := range req.query {
			all[k] = append(all[k], v...)
		}
		for k, v := range req.form {
			all[k] = append(all[k], v...)
		}
		keyID = all.Get("AccessKeyId")
		sig := all.Get("Signature")
		if keyID == "" {
			return nil, errMissing("AccessKeyId")
		}
		p := s.principalForKey(keyID)
		if sig == "" {
			return p, errMissing("Signature")
		}
		if m := all.Get("SignatureMethod"); m != "HMAC-SHA1" {
			if m == "" {
				return p, errMissing("SignatureMethod")
			}
			return p, newError(http.StatusBadRequest, "InvalidSignatureMethod", "Specified signature method is not valid: %q.", m)
		}
		if v := all.Get("SignatureVersion"); v != "1.0" {
			if v == "" {
				return p, errMissing("SignatureVersion")
			}
			return p, newError(http.StatusBadRequest, "InvalidSignatureVersion", "Specified signature version is not valid: %q.", v)
		}
		token = all.Get("SecurityToken")
		signTime = all.Get("Timestamp")
		nonce = all.Get("SignatureNonce")
		if signTime == "" {
			return p, errMissing("Timestamp")
		}
		if nonce == "" {
			return p, errMissing("SignatureNonce")
		}
		verify = func(secret string) *apiError {
			want := signV1(secret, stringToSignV1(r.Method, all))
			if !equalSecret(sig, want) {
				return newError(http.StatusBadRequest, "SignatureDoesNotMatch", msgSignatureMismatch)
			}
			return nil
		}
	}

	p := s.principalForKey(keyID)
	if p == nil {
		return nil, newError(http.StatusNotFound, "InvalidAccessKeyId.NotFound", msgAKNotFound)
	}
	t, err := parseSignTime(signTime)
	if err != nil {
		return p, newError(http.StatusBadRequest, "InvalidTimeStamp.Format", "%s (%q)", msgTimeFormat, signTime)
	}
	// Freshness is judged against real time, not the lab clock: the SDK
	// stamps requests with the machine's clock.
	realNow := time.Now()
	if d := realNow.Sub(t); d > signatureWindow || d < -signatureWindow {
		return p, newError(http.StatusBadRequest, "InvalidTimeStamp.Expired", "%s (%s is more than 15 minutes from the server time %s)", msgTimeExpired, signTime, realNow.UTC().Format(timeLayout))
	}
	if nonce == "" {
		return p, newError(http.StatusBadRequest, "IncompleteSignature", "The request signature does not conform to Aliyun standards: the signature nonce is missing.")
	}
	if aerr := verify(p.secret()); aerr != nil {
		return p, aerr
	}
	// Status is checked only after the signature: someone holding just the
	// id learns nothing about the key.
	if p.token == nil && p.key.Status != "Active" {
		return p, newError(http.StatusBadRequest, "InvalidAccessKeyId.Inactive", msgAKInactive)
	}
	if aerr := s.checkToken(p, token, labNow); aerr != nil {
		return p, aerr
	}
	if s.nonceUsed(keyID, nonce, realNow) {
		return p, newError(http.StatusBadRequest, "SignatureNonceUsed", msgNonceUsed)
	}
	return p, nil
}

// checkToken enforces the security token rules: an STS key needs its own
// token, unexpired by the lab clock; a permanent key must not carry one.
func (s *Server) checkToken(p *principal, token string, labNow time.Time) *apiError {
	if p.token == nil {
		if token == "" {
			return nil
		}
		if s.tokenOwner(token) != nil {
			return newError(http.StatusBadRequest, "InvalidSecurityToken.MismatchWithAccessKey", msgTokenMismatch)
		}
		return newError(http.StatusBadRequest, "InvalidSecurityToken.Malformed", msgTokenMalformed)
	}
	if token == "" {
		return newError(http.StatusBadRequest, "MissingSecurityToken", "SecurityToken is mandatory for an STS AccessKey.")
	}
	if !equalSecret(token, p.token.SecurityToken) {
		if s.tokenOwner(token) != nil {
			return newError(http.StatusBadRequest, "InvalidSecurityToken.MismatchWithAccessKey", msgTokenMismatch)
		}
		return newError(http.StatusBadRequest, "InvalidSecurityToken.Malformed", msgTokenMalformed)
	}
	if !labNow.Before(p.token.Expiration) {
		return newError(http.StatusBadRequest, "InvalidSecurityToken.Expired", "%s (expired at %s)", msgTokenExpired, p.token.Expiration.UTC().Format(timeLayout))
	}
	return nil
}

// tokenOwner finds the STS credential a security token belongs to.
func (s *Server) tokenOwner(token string) *STSToken {
	for _, t := range s.world.STSTokens {
		if t.SecurityToken == token {
			return t
		}
	}
	return nil
}

// nonceUsed records (keyID, nonce) and reports whether it was already seen
// within the signature window. Old entries are pruned as the map grows.
func (s *Server) nonceUsed(keyID, nonce string, now time.Time) bool {
	k := keyID + "\x00" + nonce
	if t, ok := s.nonces[k]; ok && now.Sub(t) < signatureWindow {
		return true
	}
	s.nonces[k] = now
	if len(s.nonces) > s.noncePruneAt {
		for n, t := range s.nonces {
			if now.Sub(t) >= signatureWindow {
				delete(s.nonces, n)
			}
		}
		s.noncePruneAt = 2*len(s.nonces) + 1024
	}
	return false
}
