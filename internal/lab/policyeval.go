package lab

// RAM permission-policy evaluation (alibaba-cloud-api.md section 17).
//
// The server evaluates every signed call, so documents are parsed once and
// cached by their exact text. Parsing and evaluation never panic on bad
// input: an invalid document grants nothing and denies nothing.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AuthzRequest is one authorisation question: may the caller do Action on
// Resource in this context?
type AuthzRequest struct {
	Action          string // "ram:CreateUser", "ecs:DeleteInstance"
	Resource        string // ARN such as "acs:ram:*:<acct>:user/<name>", or "*"
	SourceIP        string
	MFAPresent      bool
	SecureTransport bool
	CurrentTime     time.Time
}

// NamedDocument is a policy document together with the name and type of the
// policy it comes from. Type is "System", "Custom" or "Session"; session
// documents (the Policy parameter of sts:AssumeRole) intersect with the
// others instead of adding to them.
type NamedDocument struct{ Name, Type, Document string }

// Decision effects.
const (
	EffectAllow        = "Allow"
	EffectImplicitDeny = "ImplicitDeny"
	EffectExplicitDeny = "ExplicitDeny"
)

// Decision is the outcome of Evaluate.
type Decision struct {
	Effect string         // "Allow" | "ImplicitDeny" | "ExplicitDeny"
	Policy *NamedDocument // the policy that decided (nil for implicit deny)
}

// Allowed reports whether the decision grants the call.
func (d Decision) Allowed() bool { return d.Effect == EffectAllow }

// PolicyDocError is a rejected policy document. Code is the RAM error code
// the server answers with.
type PolicyDocError struct{ Code, Message string }

func (e *PolicyDocError) Error() string { return e.Code + ": " + e.Message }

// Policy document error codes.
const (
	CodeMalformedPolicyDocument = "MalformedPolicyDocument"
	CodePolicyLengthExceeded    = "LimitExceeded.Policy.Length"
)

// DefaultPolicyDocumentMaxLength is the document size limit the RAM SDK
// v2.2.1 comments give (6,144 characters). Other sources say 2,048
// (alibaba-cloud-api.md section 19), so callers pass the limit explicitly.
const DefaultPolicyDocumentMaxLength = 6144

// ValidatePolicyDocument checks doc the way RAM's CreatePolicy,
// CreatePolicyVersion and AssumeRole do. maxLen <= 0 means no length limit.
// The error is a *PolicyDocError.
func ValidatePolicyDocument(doc string, maxLen int) error {
	if maxLen > 0 && len(doc) > maxLen {
		return &PolicyDocError{Code: CodePolicyLengthExceeded,
			Message: fmt.Sprintf("policy document is %d characters, the limit is %d", len(doc), maxLen)}
	}
	p := cachedPolicy(doc)
	if p.err != nil {
		return p.err
	}
	return nil
}

// Evaluate decides req against docs: an explicit Deny in any document wins;
// otherwise an Allow grants; otherwise the call is implicitly denied. When any
// Session document is present, an Allow needs both an Allow from a
// non-session document and one from a session document. Documents that do
// not parse are ignored.
func Evaluate(docs []NamedDocument, req AuthzRequest) Decision {
	ctx := newPeContext(req)
	allowIdx, sessionAllowIdx := -1, -1
	hasSession := false
	for i := range docs {
		session := docs[i].Type == "Session"
		if session {
			hasSession = true
		}
		p := cachedPolicy(docs[i].Document)
		if p.err != nil {
			continue
		}
		allow, deny := p.match(&ctx)
		if deny {
			d := docs[i]
			return Decision{Effect: EffectExplicitDeny, Policy: &d}
		}
		if !allow {
			continue
		}
		if session {
			if sessionAllowIdx < 0 {
				sessionAllowIdx = i
			}
		} else if allowIdx < 0 {
			allowIdx = i
		}
	}
	if allowIdx < 0 || (hasSession && sessionAllowIdx < 0) {
		return Decision{Effect: EffectImplicitDeny}
	}
	d := docs[allowIdx]
	return Decision{Effect: EffectAllow, Policy: &d}
}

// ---------------------------------------------------------------------------
// Request context.

// peContext is an AuthzRequest prepared for matching: the action lower-cased,
// the resource normalised and the source address parsed once.
type peContext struct {
	action   string
	resource string
	sourceIP string // "" = key absent
	ip       netip.Addr
	ipOK     bool
	mfa      bool
	tls      bool
	now      time.Time // zero = key absent
}

func newPeContext(req AuthzRequest) peContext {
	c := peContext{
		action:   strings.ToLower(strings.TrimSpace(req.Action)),
		resource: peNormaliseARN(strings.TrimSpace(req.Resource)),
		sourceIP: strings.TrimSpace(req.SourceIP),
		mfa:      req.MFAPresent,
		tls:      req.SecureTransport,
	}
	if c.resource == "" {
		c.resource = "*"
	}
	if c.sourceIP != "" {
		c.ip, c.ipOK = peParseIP(c.sourceIP)
	}
	if !req.CurrentTime.IsZero() {
		c.now = req.CurrentTime.UTC()
	}
	return c
}

// value returns the request's value for a lower-cased condition key; ok is
// false for absent and unknown keys.
func (c *peContext) value(key string) (string, bool) {
	switch key {
	case "acs:sourceip":
		return c.sourceIP, c.sourceIP != ""
	case "acs:mfapresent":
		return strconv.FormatBool(c.mfa), true
	case "acs:securetransport":
		return strconv.FormatBool(c.tls), true
	case "acs:currenttime":
		if c.now.IsZero() {
			return "", false
		}
		return c.now.Format(time.RFC3339), true
	}
	return "", false
}

// peParseIP parses an IP address, tolerating a host:port form.
func peParseIP(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// peNormaliseARN rewrites "acs:svc::acct:res" to "acs:svc:*:acct:res" so the
// two spellings RAM accepts match each other.
func peNormaliseARN(s string) string {
	if !strings.HasPrefix(s, "acs:") {
		return s
	}
	parts := strings.SplitN(s, ":", 5)
	if len(parts) < 4 || parts[2] != "" {
		return s
	}
	parts[2] = "*"
	return strings.Join(parts, ":")
}

// ---------------------------------------------------------------------------
// Parsed documents and the cache.

type pePolicy struct {
	statements []peStatement
	err        *PolicyDocError
}

type peStatement struct {
	deny        bool
	notAction   bool
	actions     []string // lower-cased patterns
	notResource bool
	resources   []string // normalised patterns; empty = any resource
	conditions  []peCondition
}

type peCondition struct {
	op     string // canonical operator name
	key    string // lower-cased
	values []string
	// Parsed forms for the typed operator families.
	prefixes []netip.Prefix
	numbers  []float64
	times    []time.Time
}

// peCacheMax bounds the parsed-document cache; session policies come from
// request parameters, so the set of texts is not bounded by the world.
const peCacheMax = 4096

var peCache = struct {
	sync.RWMutex
	m map[string]*pePolicy
}{m: map[string]*pePolicy{}}

func cachedPolicy(doc string) *pePolicy {
	peCache.RLock()
	p, ok := peCache.m[doc]
	peCache.RUnlock()
	if ok {
		return p
	}
	p = parsePolicy(doc)
	peCache.Lock()
	if len(peCache.m) >= peCacheMax {
		for k := range peCache.m { // evict an arbitrary entry
			delete(peCache.m, k)
			break
		}
	}
	peCache.m[doc] = p
	peCache.Unlock()
	return p
}

func peMalformed(format string, args ...any) *pePolicy {
	return &pePolicy{err: &PolicyDocError{Code: CodeMalformedPolicyDocument, Message: fmt.Sprintf(format, args...)}}
}

// peStatementKeys are the elements a statement may carry. Principal appears in
// role trust policies; it plays no part in identity-policy evaluation.
var peStatementKeys = map[string]bool{
	"Effect": true, "Action": true, "NotAction": true, "Resource": true,
	"NotResource": true, "Condition": true, "Sid": true, "Principal": true,
}

func parsePolicy(doc string) *pePolicy {
	if strings.TrimSpace(doc) == "" {
		return peMalformed("policy document is empty")
	}
	var top map[string]json.RawMessage
	if err := peStrictUnmarshal([]byte(doc), &top); err != nil {
		return peMalformed("policy document is not a JSON object: %v", err)
	}
	for k := range top {
		if k != "Version" && k != "Statement" {
			return peMalformed("unknown element %q", k)
		}
	}
	rawVer, ok := top["Version"]
	if !ok {
		return peMalformed(`Version: missing, must be "1"`)
	}
	var ver string
	if err := json.Unmarshal(rawVer, &ver); err != nil || ver != "1" {
		return peMalformed(`Version: must be the string "1", got %s`, peShort(rawVer))
	}
	rawSt, ok := top["Statement"]
	if !ok || bytes.Equal(bytes.TrimSpace(rawSt), []byte("null")) {
		return peMalformed("Statement: missing")
	}
	var rawStatements []json.RawMessage
	switch peJSONKind(rawSt) {
	case '[':
		if err := json.Unmarshal(rawSt, &rawStatements); err != nil {
			return peMalformed("Statement: %v", err)
		}
		if len(rawStatements) == 0 {
			return peMalformed("Statement: empty")
		}
	case '{':
		rawStatements = []json.RawMessage{rawSt}
	default:
		return peMalformed("Statement: must be an array or an object, got %s", peShort(rawSt))
	}
	p := &pePolicy{statements: make([]peStatement, 0, len(rawStatements))}
	for i, raw := range rawStatements {
		st, err := parseStatement(raw, fmt.Sprintf("Statement[%d]", i))
		if err != nil {
			return &pePolicy{err: err}
		}
		p.statements = append(p.statements, st)
	}
	return p
}

func parseStatement(raw json.RawMessage, path string) (peStatement, *PolicyDocError) {
	bad := func(format string, args ...any) (peStatement, *PolicyDocError) {
		return peStatement{}, &PolicyDocError{Code: CodeMalformedPolicyDocument, Message: path + "." + fmt.Sprintf(format, args...)}
	}
	var m map[string]json.RawMessage
	if peJSONKind(raw) != '{' || json.Unmarshal(raw, &m) != nil {
		return peStatement{}, &PolicyDocError{Code: CodeMalformedPolicyDocument, Message: path + ": must be an object"}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !peStatementKeys[k] {
			return bad("%s: unknown element", k)
		}
	}
	var st peStatement
	rawEffect, ok := m["Effect"]
	if !ok {
		return bad("Effect: missing")
	}
	var effect string
	if err := json.Unmarshal(rawEffect, &effect); err != nil || (effect != "Allow" && effect != "Deny") {
		return bad(`Effect: must be "Allow" or "Deny", got %s`, peShort(rawEffect))
	}
	st.deny = effect == "Deny"

	rawAction, hasAction := m["Action"]
	rawNotAction, hasNotAction := m["NotAction"]
	switch {
	case hasAction && hasNotAction:
		return bad("Action: Action and NotAction are mutually exclusive")
	case !hasAction && !hasNotAction:
		return bad("Action: missing")
	}
	name := "Action"
	if hasNotAction {
		name, rawAction, st.notAction = "NotAction", rawNotAction, true
	}
	actions, err := peStringList(rawAction)
	if err != nil {
		return bad("%s: %v", name, err)
	}
	if len(actions) == 0 {
		return bad("%s: empty", name)
	}
	for _, a := range actions {
		if !peValidAction(a) {
			return bad(`%s: %q is not "*" or "<product>:<Api>"`, name, a)
		}
		st.actions = append(st.actions, strings.ToLower(a))
	}

	rawRes, hasRes := m["Resource"]
	rawNotRes, hasNotRes := m["NotResource"]
	if hasRes && hasNotRes {
		return bad("Resource: Resource and NotResource are mutually exclusive")
	}
	if hasRes || hasNotRes {
		name := "Resource"
		if hasNotRes {
			name, rawRes, st.notResource = "NotResource", rawNotRes, true
		}
		res, err := peStringList(rawRes)
		if err != nil {
			return bad("%s: %v", name, err)
		}
		if len(res) == 0 {
			return bad("%s: empty", name)
		}
		for _, r := range res {
			if strings.TrimSpace(r) == "" {
				return bad("%s: empty resource", name)
			}
			st.resources = append(st.resources, peNormaliseARN(r))
		}
	}

	if rawCond, ok := m["Condition"]; ok {
		conds, err := parseConditions(rawCond)
		if err != nil {
			return bad("Condition%s", err.Error())
		}
		st.conditions = conds
	}
	return st, nil
}

// peValidAction accepts "*" and "<product>:<Api>" with wildcards.
func peValidAction(a string) bool {
	if a == "*" {
		return true
	}
	i := strings.IndexByte(a, ':')
	return i > 0 && i < len(a)-1 && strings.Count(a, ":") == 1 && strings.TrimSpace(a) == a
}

// peOperators maps each supported condition operator to its family.
var peOperators = map[string]string{
	"StringEquals": "string", "StringNotEquals": "string",
	"StringEqualsIgnoreCase": "string", "StringNotEqualsIgnoreCase": "string",
	"StringLike": "string", "StringNotLike": "string",
	"NumericEquals": "numeric", "NumericNotEquals": "numeric",
	"NumericLessThan": "numeric", "NumericLessThanEquals": "numeric",
	"NumericGreaterThan": "numeric", "NumericGreaterThanEquals": "numeric",
	"DateEquals": "date", "DateNotEquals": "date",
	"DateLessThan": "date", "DateLessThanEquals": "date",
	"DateGreaterThan": "date", "DateGreaterThanEquals": "date",
	"Bool":      "bool",
	"IpAddress": "ip", "NotIpAddress": "ip",
}

type peCondErr string

func (e peCondErr) Error() string { return string(e) }

func parseConditions(raw json.RawMessage) ([]peCondition, error) {
	var ops map[string]json.RawMessage
	if peJSONKind(raw) != '{' || json.Unmarshal(raw, &ops) != nil {
		return nil, peCondErr(": must be an object of operators")
	}
	opNames := make([]string, 0, len(ops))
	for op := range ops {
		opNames = append(opNames, op)
	}
	sort.Strings(opNames)
	var out []peCondition
	for _, op := range opNames {
		family, ok := peOperators[op]
		if !ok {
			return nil, peCondErr(fmt.Sprintf(".%s: unknown condition operator", op))
		}
		var keys map[string]json.RawMessage
		if peJSONKind(ops[op]) != '{' || json.Unmarshal(ops[op], &keys) != nil {
			return nil, peCondErr(fmt.Sprintf(".%s: must be an object of condition keys", op))
		}
		if len(keys) == 0 {
			return nil, peCondErr(fmt.Sprintf(".%s: empty", op))
		}
		keyNames := make([]string, 0, len(keys))
		for k := range keys {
			keyNames = append(keyNames, k)
		}
		sort.Strings(keyNames)
		for _, k := range keyNames {
			path := fmt.Sprintf(".%s.%s", op, k)
			if strings.TrimSpace(k) == "" {
				return nil, peCondErr(fmt.Sprintf(".%s: empty condition key", op))
			}
			vals, err := peScalarList(keys[k])
			if err != nil {
				return nil, peCondErr(path + ": " + err.Error())
			}
			if len(vals) == 0 {
				return nil, peCondErr(path + ": no values")
			}
			c := peCondition{op: op, key: strings.ToLower(k), values: vals}
			for _, v := range vals {
				switch family {
				case "numeric":
					f, err := strconv.ParseFloat(v, 64)
					if err != nil || math.IsNaN(f) {
						return nil, peCondErr(fmt.Sprintf("%s: %q is not a number", path, v))
					}
					c.numbers = append(c.numbers, f)
				case "date":
					t, ok := peParseDate(v)
					if !ok {
						return nil, peCondErr(fmt.Sprintf("%s: %q is not an ISO 8601 time", path, v))
					}
					c.times = append(c.times, t)
				case "bool":
					if lv := strings.ToLower(v); lv != "true" && lv != "false" {
						return nil, peCondErr(fmt.Sprintf("%s: %q is not true or false", path, v))
					}
				case "ip":
					pf, ok := peParsePrefix(v)
					if !ok {
						return nil, peCondErr(fmt.Sprintf("%s: %q is not an IP address or CIDR", path, v))
					}
					c.prefixes = append(c.prefixes, pf)
				}
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func peParsePrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() {
			bits := p.Bits() - 96
			if bits < 0 {
				return netip.Prefix{}, false
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), bits)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// peParseDate accepts the ISO 8601 forms policies use, and epoch seconds.
func peParseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 && n < 1<<40 {
		return time.Unix(n, 0).UTC(), true
	}
	return time.Time{}, false
}

// peStringList decodes a string or an array of strings.
func peStringList(raw json.RawMessage) ([]string, error) {
	switch peJSONKind(raw) {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return []string{s}, nil
	case '[':
		var l []string
		if err := json.Unmarshal(raw, &l); err != nil {
			return nil, fmt.Errorf("must be a string or an array of strings")
		}
		return l, nil
	}
	return nil, fmt.Errorf("must be a string or an array of strings, got %s", peShort(raw))
}

// peScalarList decodes a condition value: a string, number or boolean, or an
// array of them, each rendered as text.
func peScalarList(raw json.RawMessage) ([]string, error) {
	var items []json.RawMessage
	if peJSONKind(raw) == '[' {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
	} else {
		items = []json.RawMessage{raw}
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		switch k := peJSONKind(it); k {
		case '"':
			var s string
			if err := json.Unmarshal(it, &s); err != nil {
				return nil, err
			}
			out = append(out, s)
		case 't', 'f', '0':
			out = append(out, string(bytes.TrimSpace(it)))
		default:
			return nil, fmt.Errorf("values must be strings, numbers or booleans, got %s", peShort(it))
		}
	}
	return out, nil
}

// peJSONKind returns the first byte class of a JSON value: '{', '[', '"',
// 't', 'f', 'n' or '0' for numbers; 0 for anything else.
func peJSONKind(raw []byte) byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	switch c := raw[0]; {
	case c == '{' || c == '[' || c == '"' || c == 't' || c == 'f' || c == 'n':
		return c
	case c == '-' || (c >= '0' && c <= '9'):
		return '0'
	}
	return 0
}

func peShort(raw []byte) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return s
}

// peStrictUnmarshal decodes exactly one JSON value and rejects trailing data.
func peStrictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if len(bytes.TrimSpace(data[dec.InputOffset():])) != 0 {
		return fmt.Errorf("unexpected data after the document")
	}
	return nil
}

// ---------------------------------------------------------------------------
// Matching.

// match reports whether any statement allows and whether any denies.
func (p *pePolicy) match(c *peContext) (allow, deny bool) {
	for i := range p.statements {
		st := &p.statements[i]
		if !st.applies(c) {
			continue
		}
		if st.deny {
			return allow, true
		}
		allow = true
	}
	return allow, false
}

func (st *peStatement) applies(c *peContext) bool {
	hit := false
	for _, a := range st.actions {
		if peGlob(a, c.action) {
			hit = true
			break
		}
	}
	if hit == st.notAction {
		return false
	}
	if len(st.resources) > 0 {
		hit = false
		for _, r := range st.resources {
			if peGlob(r, c.resource) {
				hit = true
				break
			}
		}
		if hit == st.notResource {
			return false
		}
	}
	for i := range st.conditions {
		if !st.conditions[i].holds(c) {
			return false
		}
	}
	return true
}

// holds evaluates one operator/key pair. Values are OR-ed; negated operators
// hold when no value matches. A key the request does not carry (including
// every unknown key) never holds, for negated operators too.
func (cd *peCondition) holds(c *peContext) bool {
	v, ok := c.value(cd.key)
	if !ok {
		return false
	}
	switch cd.op {
	case "StringEquals":
		return peAny(cd.values, func(x string) bool { return x == v })
	case "StringNotEquals":
		return !peAny(cd.values, func(x string) bool { return x == v })
	case "StringEqualsIgnoreCase":
		return peAny(cd.values, func(x string) bool { return strings.EqualFold(x, v) })
	case "StringNotEqualsIgnoreCase":
		return !peAny(cd.values, func(x string) bool { return strings.EqualFold(x, v) })
	case "StringLike":
		return peAny(cd.values, func(x string) bool { return peGlob(x, v) })
	case "StringNotLike":
		return !peAny(cd.values, func(x string) bool { return peGlob(x, v) })
	case "Bool":
		return peAny(cd.values, func(x string) bool { return strings.EqualFold(x, v) })
	case "IpAddress", "NotIpAddress":
		in := false
		if cd.key == "acs:sourceip" && c.ipOK {
			in = peInPrefixes(cd.prefixes, c.ip)
		} else if a, ok := peParseIP(v); ok {
			in = peInPrefixes(cd.prefixes, a)
		}
		if cd.op == "IpAddress" {
			return in
		}
		return !in
	}
	if strings.HasPrefix(cd.op, "Numeric") {
		n, err := strconv.ParseFloat(v, 64)
		ok := err == nil && !math.IsNaN(n)
		cmp := func(x float64) int {
			switch {
			case n < x:
				return -1
			case n > x:
				return 1
			}
			return 0
		}
		if cd.op == "NumericNotEquals" {
			return !(ok && peAnyF(cd.numbers, func(x float64) bool { return cmp(x) == 0 }))
		}
		return ok && peAnyF(cd.numbers, func(x float64) bool { return peCompare(strings.TrimPrefix(cd.op, "Numeric"), cmp(x)) })
	}
	if strings.HasPrefix(cd.op, "Date") {
		t, ok := c.now, cd.key == "acs:currenttime" && !c.now.IsZero()
		if !ok {
			t, ok = peParseDate(v)
		}
		cmp := func(x time.Time) int { return t.Compare(x) }
		if cd.op == "DateNotEquals" {
			return !(ok && peAnyT(cd.times, func(x time.Time) bool { return cmp(x) == 0 }))
		}
		return ok && peAnyT(cd.times, func(x time.Time) bool { return peCompare(strings.TrimPrefix(cd.op, "Date"), cmp(x)) })
	}
	return false
}

// peCompare applies a comparison suffix (Equals, LessThan, ...) to the sign
// of request-value minus policy-value.
func peCompare(suffix string, sign int) bool {
	switch suffix {
	case "Equals":
		return sign == 0
	case "LessThan":
		return sign < 0
	case "LessThanEquals":
		return sign <= 0
	case "GreaterThan":
		return sign > 0
	case "GreaterThanEquals":
		return sign >= 0
	}
	return false
}

func peAny(vals []string, f func(string) bool) bool {
	for _, v := range vals {
		if f(v) {
			return true
		}
	}
	return false
}

func peAnyF(vals []float64, f func(float64) bool) bool {
	for _, v := range vals {
		if f(v) {
			return true
		}
	}
	return false
}

func peAnyT(vals []time.Time, f func(time.Time) bool) bool {
	for _, v := range vals {
		if f(v) {
			return true
		}
	}
	return false
}

func peInPrefixes(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peGlob matches s against pattern, where '*' matches any run of characters
// (including none) and '?' exactly one. It runs in O(len(pattern)*len(s))
// worst case without recursion or allocation for ASCII input.
func peGlob(pattern, s string) bool {
	if pattern == "*" {
		return true
	}
	if !peASCII(pattern) || !peASCII(s) {
		return peGlobRunes([]rune(pattern), []rune(s))
	}
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// peGlobRunes is peGlob for text outside ASCII, so '?' matches one character.
func peGlobRunes(pattern, s []rune) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func peASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
