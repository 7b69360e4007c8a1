package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// DefaultMaxLength is the RAM custom-policy document limit, in characters,
// that DenyHighRisk and CheckLength enforce unless told otherwise. RAM SDK
// v2.2.1 documents 6,144; older pages and some GetAccountSummary outputs say
// 2,048 (shared/reference/alibaba-cloud-api.md §19, open question 6), so the
// limit is a parameter.
const DefaultMaxLength = 6144

// PolicyVersion is the only RAM permission-policy language version. It is a
// STRING in RAM policies (the AccessKey network ACL uses the integer 1).
const PolicyVersion = "1"

// Effects of a RAM policy statement.
const (
	EffectAllow = "Allow"
	EffectDeny  = "Deny"
)

// Document is a RAM permission policy document. It marshals to the JSON RAM
// expects: {"Version":"1","Statement":[...]}.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a RAM policy. Exactly one of Action and
// NotAction is set, and exactly one of Resource and NotResource (a trust
// policy statement has Principal instead).
type Statement struct {
	Sid         string       `json:"Sid,omitempty"`
	Effect      string       `json:"Effect"`
	Action      ActionList   `json:"Action,omitempty"`
	NotAction   ActionList   `json:"NotAction,omitempty"`
	Resource    ResourceList `json:"Resource,omitempty"`
	NotResource ResourceList `json:"NotResource,omitempty"`
	Principal   Principal    `json:"Principal,omitempty"`
	Condition   Condition    `json:"Condition,omitempty"`
}

// Principal is the Principal of a trust-policy statement, e.g.
// {"RAM": ["acs:ram::123456789012****:root"]} or {"Service": [...]}.
type Principal map[string]ResourceList

// Condition maps an operator to condition keys and their values, e.g.
// {"IpAddress": {"acs:SourceIp": ["203.0.113.0/24"]}}. Numbers and booleans
// are kept in their JSON spelling as strings ("5", "true").
type Condition map[string]map[string]ResourceList

// ActionList is a list of "product:Action" patterns. It reads a JSON string
// or array and always writes an array (the form Alibaba's examples use).
type ActionList []string

// ResourceList is a list of resource ARNs or "*". It reads a JSON string or
// array and writes a single resource as a string ("Resource": "*").
type ResourceList []string

// MarshalJSON writes the list as a JSON array.
func (l ActionList) MarshalJSON() ([]byte, error) { return marshalNoEscape([]string(l)) }

// UnmarshalJSON accepts a string or an array of strings.
func (l *ActionList) UnmarshalJSON(b []byte) error {
	v, err := stringOrList(b)
	*l = v
	return err
}

// MarshalJSON writes one resource as a string and several as an array.
func (l ResourceList) MarshalJSON() ([]byte, error) {
	if len(l) == 1 {
		return marshalNoEscape(l[0])
	}
	return marshalNoEscape([]string(l))
}

// UnmarshalJSON accepts a string or an array of strings.
func (l *ResourceList) UnmarshalJSON(b []byte) error {
	v, err := stringOrList(b)
	*l = v
	return err
}

// JSON returns the compact document, the form sent to RAM and the form whose
// length counts against the policy size limit.
func (d Document) JSON() string {
	// A Document holds only strings, string slices and maps of them, which
	// encoding/json always marshals, so the error is impossible.
	b, _ := marshalNoEscape(d)
	return string(b)
}

// Indent returns the document indented by two spaces, without a trailing
// newline.
func (d Document) Indent() string {
	var buf bytes.Buffer
	// JSON() is always valid JSON, so Indent cannot fail.
	_ = json.Indent(&buf, []byte(d.JSON()), "", "  ")
	return buf.String()
}

// Length is the number of characters of the compact document.
func (d Document) Length() int { return utf8.RuneCountInString(d.JSON()) }

// Actions returns every action named by the document's Action lists, sorted
// and without duplicates.
func (d Document) Actions() []string {
	var out []string
	for _, s := range d.Statement {
		out = append(out, s.Action...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// DenyGroup is a named set of high-risk actions that DenyHighRisk can deny.
type DenyGroup struct {
	Name        string
	Description string
	// Default groups make up Alibaba's leak-response example policy.
	Default bool
	Actions []string
}

// The six default groups are, action for action, the example "disable
// high-risk permissions" policy of Alibaba Cloud's AccessKey leak response
// plan (shared/reference/ak-leak-response-plan.txt; a copy of its JSON is
// internal/policy/testdata/plan-example.json). The extended groups come from
// shared/reference/detection-catalogue.md §4 ("contain deny list"); names of
// a few of those actions are marked "verify" there.
var denyGroups = []DenyGroup{
	{Name: "ram", Default: true, Description: "RAM identities, credentials, policies and roles (plan example)", Actions: []string{
		"ram:AddUserToGroup", "ram:AttachPolicyToGroup", "ram:AttachPolicyToRole", "ram:AttachPolicyToUser",
		"ram:ChangePassword", "ram:CreateAccessKey", "ram:CreateLoginProfile", "ram:CreatePolicyVersion",
		"ram:CreateRole", "ram:CreateUser", "ram:DetachPolicyFromUser", "ram:PassRole",
		"ram:SetDefaultPolicyVersion", "ram:UpdateAccessKey", "ram:SetPasswordPolicy", "ram:UpdateRole",
		"ram:UpdateLoginProfile", "ram:UpdateUser",
	}},
	{Name: "ecs", Default: true, Description: "releasing ECS instances and hosts (plan example)", Actions: []string{
		"ecs:DeleteInstance", "ecs:DeleteInstances", "ecs:DeregisterManagedInstance", "ecs:ReleaseDedicatedHost",
	}},
	{Name: "rds", Default: true, Description: "deleting RDS instances, databases and accounts (plan example)", Actions: []string{
		"rds:DeleteAccount", "rds:DeleteDatabase", "rds:DeleteDBInstance", "rds:DestroyDBInstance",
	}},
	{Name: "oss", Default: true, Description: "deleting OSS data and opening buckets (plan example)", Actions: []string{
		"oss:DeleteBucket", "oss:DeleteObject", "oss:PutBucketAcl", "oss:PutBucketPolicy",
	}},
	{Name: "log", Default: true, Description: "deleting SLS projects and logstores (plan example)", Actions: []string{
		"log:DeleteLogStore", "log:DeleteProject", "log:PutProjectPolicy", "log:DeleteProjectPolicy",
	}},
	{Name: "dysms", Default: true, Description: "sending SMS and creating SMS templates (plan example)", Actions: []string{
		"dysms:CreateProductNew", "dysms:CreateSmsTemplateNew", "dysms:AddSmsTemplate", "dysms:SendSms", "dysms:SendBatchSms",
	}},
	{Name: "identity-extra", Description: "more RAM persistence and privilege paths, federation back doors, sts:AssumeRole", Actions: []string{
		"ram:DetachPolicyFromGroup", "ram:DetachPolicyFromRole", "ram:DeletePolicyVersion", "ram:CreatePolicy",
		"ram:SetSecurityPreference", "ram:UnbindMFADevice", "ram:CreateSAMLProvider", "ram:CreateOIDCProvider",
		"ram:CreateApplication", "ram:CreateAppSecret", "sts:AssumeRole",
	}},
	{Name: "compute-extra", Description: "launching compute, Cloud Assistant commands, images, key pairs, security groups, ECI", Actions: []string{
		"ecs:RunInstances", "ecs:CreateInstance", "ecs:CreateAutoProvisioningGroup", "ecs:StartInstance",
		"ecs:StartInstances", "ecs:RunCommand", "ecs:CreateCommand", "ecs:InvokeCommand", "ecs:SendFile",
		"ecs:StartTerminalSession", "ecs:DeleteSnapshot", "ecs:DeleteSnapshotGroup", "ecs:DeleteImage",
		"ecs:ModifyImageSharePermission", "ecs:ExportImage", "ecs:ImportKeyPair", "ecs:AttachKeyPair",
		"ecs:AttachInstanceRamRole", "ecs:AuthorizeSecurityGroup", "eci:CreateContainerGroup",
		"eci:BatchCreateContainerGroups",
	}},
	{Name: "database-extra", Description: "opening RDS whitelists and deleting backups", Actions: []string{
		"rds:ModifySecurityIps", "rds:DeleteBackup",
	}},
	{Name: "storage-extra", Description: "OSS lifecycle (mass expiry) and replication (exfiltration)", Actions: []string{
		"oss:PutBucketLifecycle", "oss:PutBucketReplication",
	}},
	{Name: "log-extra", Description: "clearing or shortening SLS logstores", Actions: []string{
		"log:ClearLogStoreStorage", "log:UpdateLogStore",
	}},
	{Name: "sms-extra", Description: "registering SMS signatures", Actions: []string{
		"dysms:AddSmsSign",
	}},
	{Name: "audit", Description: "stopping, deleting or weakening ActionTrail trails", Actions: []string{
		"actiontrail:StopLogging", "actiontrail:DeleteTrail", "actiontrail:UpdateTrail",
	}},
	{Name: "kms", Description: "disabling KMS keys and scheduling their deletion", Actions: []string{
		"kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DeleteKeyMaterial",
	}},
}

// productOrder fixes the statement order of rendered policies: the plan
// example's order first, any other product after them alphabetically.
var productOrder = []string{"ram", "ecs", "rds", "oss", "log", "dysms"}

// DenyGroups returns a copy of every deny group, default groups first.
func DenyGroups() []DenyGroup {
	out := make([]DenyGroup, len(denyGroups))
	for i, g := range denyGroups {
		g.Actions = slices.Clone(g.Actions)
		out[i] = g
	}
	return out
}

// DenyGroupNames returns the names of every deny group, default groups first.
func DenyGroupNames() []string {
	out := make([]string, len(denyGroups))
	for i, g := range denyGroups {
		out[i] = g.Name
	}
	return out
}

// GroupOfAction returns the name of the deny group that lists action, or ""
// when no group does (for example an action added by hand).
func GroupOfAction(action string) string {
	for _, g := range denyGroups {
		if slices.Contains(g.Actions, action) {
			return g.Name
		}
	}
	return ""
}

func findGroup(name string) (DenyGroup, bool) {
	for _, g := range denyGroups {
		if g.Name == name {
			return g, true
		}
	}
	return DenyGroup{}, false
}

// DenyOptions selects what DenyHighRisk denies.
type DenyOptions struct {
	// Groups to deny; empty means the six default groups (the plan example).
	Groups []string
	// Extended adds every non-default group to Groups.
	Extended bool
	// Add lists extra "product:Action" patterns (wildcards * and ? allowed).
	Add []string
	// Drop lists actions (exact match) or whole group names to leave out.
	// Dropping something that is not in the policy is an error, so typos
	// never pass silently.
	Drop []string
	// MaxLength is the size limit in characters of the compact document; 0
	// means DefaultMaxLength.
	MaxLength int
}

// DenyHighRisk renders the deny-high-risk RAM policy. With zero options it is
// semantically equal to the example in Alibaba's leak response plan. The
// document has one Deny statement per product (plan order first), with
// actions sorted and de-duplicated and Resource "*". Errors wrap
// ErrInvalidPolicy.
func DenyHighRisk(opts DenyOptions) (Document, error) {
	maxLen := opts.MaxLength
	if maxLen < 0 {
		return Document{}, policyErr(fmt.Sprintf("maximum policy length %d is negative", maxLen))
	}
	if maxLen == 0 {
		maxLen = DefaultMaxLength
	}

	selected := map[string]bool{}
	var order []string
	selectGroup := func(name string) {
		if !selected[name] {
			selected[name] = true
			order = append(order, name)
		}
	}
	for _, raw := range opts.Groups {
		name := strings.ToLower(strings.TrimSpace(raw))
		if _, ok := findGroup(name); !ok {
			return Document{}, unknownGroupErr(raw)
		}
		selectGroup(name)
	}
	if len(opts.Groups) == 0 {
		for _, g := range denyGroups {
			if g.Default {
				selectGroup(g.Name)
			}
		}
	}
	if opts.Extended {
		for _, g := range denyGroups {
			if !g.Default {
				selectGroup(g.Name)
			}
		}
	}

	actions := map[string]bool{}
	for _, name := range order {
		g, _ := findGroup(name)
		for _, a := range g.Actions {
			actions[a] = true
		}
	}
	for _, raw := range opts.Add {
		a := strings.TrimSpace(raw)
		if err := checkAction(a); err != nil {
			return Document{}, policyErr(fmt.Sprintf("cannot add %q: %v", raw, err))
		}
		if a == "*" {
			return Document{}, policyErr(`cannot add "*": denying every action freezes the key's user entirely; disable the key instead`)
		}
		actions[a] = true
	}
	for _, raw := range opts.Drop {
		d := strings.TrimSpace(raw)
		if !strings.Contains(d, ":") {
			name := strings.ToLower(d)
			g, ok := findGroup(name)
			if !ok {
				return Document{}, unknownGroupErr(raw)
			}
			if !selected[name] {
				return Document{}, policyErr(fmt.Sprintf("cannot drop group %q: it is not selected", name))
			}
			for _, a := range g.Actions {
				delete(actions, a)
			}
			continue
		}
		if err := checkAction(d); err != nil {
			return Document{}, policyErr(fmt.Sprintf("cannot drop %q: %v", raw, err))
		}
		if !actions[d] {
			return Document{}, policyErr(fmt.Sprintf("cannot drop %q: the policy does not deny it (drop matches actions exactly; see the group list)", d))
		}
		delete(actions, d)
	}
	if len(actions) == 0 {
		return Document{}, policyErr("the policy would deny nothing: every action was dropped")
	}

	doc := denyDocument(actions)
	if err := CheckLength(doc, maxLen); err != nil {
		return Document{}, err
	}
	return doc, nil
}

// denyDocument builds one Deny statement per product.
func denyDocument(actions map[string]bool) Document {
	byProduct := map[string][]string{}
	for a := range actions {
		p, _, _ := strings.Cut(a, ":")
		byProduct[p] = append(byProduct[p], a)
	}
	products := make([]string, 0, len(byProduct))
	for p := range byProduct {
		products = append(products, p)
	}
	rank := func(p string) int {
		if i := slices.Index(productOrder, p); i >= 0 {
			return i
		}
		return len(productOrder)
	}
	sort.Slice(products, func(i, j int) bool {
		ri, rj := rank(products[i]), rank(products[j])
		if ri != rj {
			return ri < rj
		}
		return products[i] < products[j]
	})
	doc := Document{Version: PolicyVersion}
	for _, p := range products {
		acts := byProduct[p]
		slices.Sort(acts)
		doc.Statement = append(doc.Statement, Statement{
			Effect:   EffectDeny,
			Action:   acts,
			Resource: ResourceList{"*"},
		})
	}
	return doc
}

// CheckLength returns an error when the compact form of doc is longer than
// maxLen characters (0 means DefaultMaxLength).
func CheckLength(doc Document, maxLen int) error {
	if maxLen <= 0 {
		maxLen = DefaultMaxLength
	}
	if n := doc.Length(); n > maxLen {
		return policyErr(fmt.Sprintf("policy document is %d characters, over the %d-character limit; select fewer groups, drop actions, or split it into two policies", n, maxLen))
	}
	return nil
}

func unknownGroupErr(name string) error {
	return policyErr(fmt.Sprintf("unknown deny group %q; known groups: %s", name, strings.Join(DenyGroupNames(), ", ")))
}

// checkAction validates "product:Action" syntax: a product code of letters,
// digits and dashes, a colon, and an action of letters, digits and the
// wildcards * and ?. A lone "*" is valid RAM syntax too.
func checkAction(a string) error {
	if a == "" {
		return fmt.Errorf("action is empty; write product:Action, for example ram:CreateUser")
	}
	if a == "*" {
		return nil
	}
	product, action, ok := strings.Cut(a, ":")
	if !ok {
		return fmt.Errorf("action %q has no product; write product:Action, for example ram:CreateUser", a)
	}
	if product == "" || strings.Trim(product, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
		return fmt.Errorf("action %q has an invalid product code %q (letters, digits and dashes only)", a, product)
	}
	if action == "" || strings.Trim(action, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*?_") != "" {
		return fmt.Errorf("action %q has an invalid action name %q (letters, digits and the wildcards * and ? only)", a, action)
	}
	return nil
}

// conditionOperators are the RAM condition operators
// (shared/reference/alibaba-cloud-api.md §17).
var conditionOperators = []string{
	"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
	"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
	"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
	"Bool", "IpAddress", "NotIpAddress",
}

var statementKeys = []string{"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "Condition"}

// ParsePolicy parses and validates a RAM permission policy document: the
// string Version "1", a non-empty Statement array, and in each statement an
// Effect of Allow or Deny, exactly one of Action/NotAction with valid
// product:Action patterns, exactly one of Resource/NotResource (trust
// policies, which carry Principal, need none), and well-formed Conditions.
// Key names are matched exactly (RAM is case-sensitive about them) and
// unknown keys are refused. Errors wrap ErrInvalidPolicy.
func ParsePolicy(doc string) (Document, error) {
	top, err := decodeObject([]byte(doc), "policy document")
	if err != nil {
		return Document{}, policyErr(err.Error())
	}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if k != "Version" && k != "Statement" {
			return Document{}, policyErr(fmt.Sprintf("policy document has unknown key %q (want Version and Statement)", k))
		}
	}
	var d Document
	rawVersion, ok := top["Version"]
	if !ok {
		return Document{}, policyErr(`policy document has no Version; RAM policies use "Version": "1"`)
	}
	if err := json.Unmarshal(rawVersion, &d.Version); err != nil || d.Version != PolicyVersion {
		return Document{}, policyErr(fmt.Sprintf(`policy Version is %s; RAM policies use the string "1"`, compactRaw(rawVersion)))
	}
	rawStatements, ok := top["Statement"]
	if !ok {
		return Document{}, policyErr("policy document has no Statement")
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(rawStatements, &raws); err != nil {
		return Document{}, policyErr("policy Statement must be an array of statements")
	}
	if len(raws) == 0 {
		return Document{}, policyErr("policy Statement is empty")
	}
	for i, raw := range raws {
		s, err := parseStatement(raw)
		if err != nil {
			return Document{}, policyErr(fmt.Sprintf("statement %d: %v", i+1, err))
		}
		d.Statement = append(d.Statement, s)
	}
	return d, nil
}

func parseStatement(raw json.RawMessage) (Statement, error) {
	obj, err := decodeObject(raw, "statement")
	if err != nil {
		return Statement{}, err
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if !slices.Contains(statementKeys, k) {
			return Statement{}, fmt.Errorf("unknown key %q (keys are case-sensitive: %s)", k, strings.Join(statementKeys, ", "))
		}
	}
	var s Statement
	if v, ok := obj["Sid"]; ok {
		if err := json.Unmarshal(v, &s.Sid); err != nil {
			return Statement{}, fmt.Errorf("Sid must be a string")
		}
	}
	rawEffect, ok := obj["Effect"]
	if !ok {
		return Statement{}, fmt.Errorf(`no Effect; want "Allow" or "Deny"`)
	}
	if err := json.Unmarshal(rawEffect, &s.Effect); err != nil || (s.Effect != EffectAllow && s.Effect != EffectDeny) {
		return Statement{}, fmt.Errorf(`Effect %s must be "Allow" or "Deny"`, compactRaw(rawEffect))
	}

	_, hasAction := obj["Action"]
	_, hasNotAction := obj["NotAction"]
	switch {
	case hasAction && hasNotAction:
		return Statement{}, fmt.Errorf("has both Action and NotAction; use one")
	case !hasAction && !hasNotAction:
		return Statement{}, fmt.Errorf("has no Action")
	}
	if hasAction {
		if s.Action, err = parseList[ActionList](obj["Action"], "Action"); err != nil {
			return Statement{}, err
		}
	} else if s.NotAction, err = parseList[ActionList](obj["NotAction"], "NotAction"); err != nil {
		return Statement{}, err
	}
	for _, a := range append(slices.Clone(s.Action), s.NotAction...) {
		if err := checkAction(a); err != nil {
			return Statement{}, err
		}
	}

	_, hasPrincipal := obj["Principal"]
	_, hasResource := obj["Resource"]
	_, hasNotResource := obj["NotResource"]
	switch {
	case hasResource && hasNotResource:
		return Statement{}, fmt.Errorf("has both Resource and NotResource; use one")
	case !hasResource && !hasNotResource && !hasPrincipal:
		return Statement{}, fmt.Errorf(`has no Resource; use "Resource": "*" for every resource`)
	}
	if hasResource {
		if s.Resource, err = parseList[ResourceList](obj["Resource"], "Resource"); err != nil {
			return Statement{}, err
		}
	} else if hasNotResource {
		if s.NotResource, err = parseList[ResourceList](obj["NotResource"], "NotResource"); err != nil {
			return Statement{}, err
		}
	}
	for _, r := range append(slices.Clone(s.Resource), s.NotResource...) {
		if r != "*" && !strings.HasPrefix(r, "acs:") {
			return Statement{}, fmt.Errorf(`resource %q is neither "*" nor an ARN starting with acs:`, r)
		}
	}

	if hasPrincipal {
		if s.Principal, err = parsePrincipal(obj["Principal"]); err != nil {
			return Statement{}, err
		}
	}
	if rawCond, ok := obj["Condition"]; ok {
		if s.Condition, err = parseCondition(rawCond); err != nil {
			return Statement{}, err
		}
	}
	return s, nil
}

func parsePrincipal(raw json.RawMessage) (Principal, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || len(m) == 0 {
		return nil, fmt.Errorf(`Principal must look like {"RAM": ["acs:ram::<account>:root"]}`)
	}
	p := Principal{}
	for k, v := range m {
		l, err := parseList[ResourceList](v, "Principal "+k)
		if err != nil {
			return nil, err
		}
		p[k] = l
	}
	return p, nil
}

func parseList[L ~[]string](raw json.RawMessage, key string) (L, error) {
	v, err := stringOrList(raw)
	if err != nil {
		return nil, fmt.Errorf("%s must be a string or an array of strings", key)
	}
	if len(v) == 0 {
		return nil, fmt.Errorf("%s is empty", key)
	}
	for _, e := range v {
		if strings.TrimSpace(e) != e || e == "" {
			return nil, fmt.Errorf("%s has an empty entry or one with surrounding spaces: %q", key, e)
		}
	}
	return L(v), nil
}

func parseCondition(raw json.RawMessage) (Condition, error) {
	var ops map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ops); err != nil || ops == nil {
		return nil, fmt.Errorf(`Condition must look like {"Operator": {"key": value}}`)
	}
	if len(ops) == 0 {
		return nil, fmt.Errorf("Condition is empty")
	}
	c := Condition{}
	for op, keys := range ops {
		if !slices.Contains(conditionOperators, op) {
			return nil, fmt.Errorf("Condition operator %q is not a RAM operator", op)
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("Condition %s has no keys", op)
		}
		c[op] = map[string]ResourceList{}
		for k, v := range keys {
			if k == "" {
				return nil, fmt.Errorf("Condition %s has an empty key", op)
			}
			vals, ok := conditionValues(v)
			if !ok {
				return nil, fmt.Errorf("Condition %s %s: value must be a string, number, boolean or a non-empty array of them", op, k)
			}
			c[op][k] = vals
		}
	}
	return c, nil
}

// conditionValues reads a condition value (a scalar or a non-empty array of
// scalars), keeping numbers and booleans in their JSON spelling.
func conditionValues(raw json.RawMessage) (ResourceList, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	scalar := func(x any) (string, bool) {
		switch t := x.(type) {
		case string:
			return t, true
		case json.Number:
			return t.String(), true
		case bool:
			if t {
				return "true", true
			}
			return "false", true
		}
		return "", false
	}
	if arr, ok := v.([]any); ok {
		if len(arr) == 0 {
			return nil, false
		}
		out := make(ResourceList, 0, len(arr))
		for _, e := range arr {
			s, ok := scalar(e)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	s, ok := scalar(v)
	if !ok {
		return nil, false
	}
	return ResourceList{s}, true
}

// SemanticallyEqual reports whether two RAM policy documents grant and deny
// exactly the same things. Both are validated with ParsePolicy. Statement
// order, action and resource order, duplicates, the split of actions across
// statements, Sid, white space, key order inside Condition/Principal and
// string-vs-array spelling do not matter; action and resource names are
// compared exactly (case-sensitively), which can only make the answer "not
// equal" when RAM would say otherwise.
func SemanticallyEqual(a, b string) (bool, error) {
	da, err := ParsePolicy(a)
	if err != nil {
		return false, fmt.Errorf("first document: %w", err)
	}
	db, err := ParsePolicy(b)
	if err != nil {
		return false, fmt.Errorf("second document: %w", err)
	}
	return sameSet(grants(da), grants(db)), nil
}

// grants expands a document into the set of (effect, action, resource,
// principal, condition) tuples it states. Statements are OR-ed, so a
// statement listing n actions and m resources is the same as n*m statements
// of one each. NotAction/NotResource lists cannot be split and are kept
// whole (sorted).
func grants(d Document) map[string]bool {
	out := map[string]bool{}
	for _, s := range d.Statement {
		var acts, ress []string
		if len(s.NotAction) > 0 {
			acts = []string{"not:" + joinSorted(s.NotAction)}
		} else {
			for _, a := range s.Action {
				acts = append(acts, "is:"+a)
			}
		}
		switch {
		case len(s.NotResource) > 0:
			ress = []string{"not:" + joinSorted(s.NotResource)}
		case len(s.Resource) > 0:
			for _, r := range s.Resource {
				ress = append(ress, "is:"+r)
			}
		default:
			ress = []string{"none"}
		}
		for _, a := range acts {
			for _, r := range ress {
				out[strings.Join([]string{s.Effect, a, r, canonicalPrincipal(s.Principal), canonicalCondition(s.Condition)}, "\x00")] = true
			}
		}
	}
	return out
}

// canonicalPrincipal and canonicalCondition render the maps with sorted keys
// and sorted, de-duplicated values: within one key the values are OR-ed, so
// their order carries no meaning.
func canonicalPrincipal(p Principal) string {
	keys := slices.Sorted(maps.Keys(p))
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + joinSorted(p[k]) + ";")
	}
	return b.String()
}

func canonicalCondition(c Condition) string {
	ops := slices.Sorted(maps.Keys(c))
	var b strings.Builder
	for _, op := range ops {
		b.WriteString(op + "{")
		for _, k := range slices.Sorted(maps.Keys(c[op])) {
			b.WriteString(k + "=" + joinSorted(c[op][k]) + ";")
		}
		b.WriteString("}")
	}
	return b.String()
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func joinSorted(l []string) string {
	c := slices.Clone(l)
	slices.Sort(c)
	return strings.Join(slices.Compact(c), "\x01")
}

// DocumentKind says which of the two document types a JSON text is.
type DocumentKind int

// Document kinds recognised by DetectDocument.
const (
	KindUnknown DocumentKind = iota
	KindRAMPolicy
	KindNetworkACL
)

func (k DocumentKind) String() string {
	switch k {
	case KindRAMPolicy:
		return "ram-policy"
	case KindNetworkACL:
		return "network-acl"
	}
	return "unknown"
}

// DetectDocument tells a RAM policy ("Statement") from an AccessKey network
// ACL ("Statements") by the shape of the top-level object. It does not
// validate the rest; parse with ParsePolicy or ParseNetworkACL.
func DetectDocument(doc string) (DocumentKind, error) {
	top, err := decodeObject([]byte(doc), "document")
	if err != nil {
		return KindUnknown, policyErr(err.Error())
	}
	_, isPolicy := top["Statement"]
	_, isACL := top["Statements"]
	switch {
	case isPolicy && isACL:
		return KindUnknown, policyErr(`document has both "Statement" (RAM policy) and "Statements" (network ACL); it can only be one`)
	case isPolicy:
		return KindRAMPolicy, nil
	case isACL:
		return KindNetworkACL, nil
	}
	return KindUnknown, policyErr(`document is neither a RAM policy (no "Statement" key) nor an AccessKey network ACL (no "Statements" key)`)
}

// decodeObject decodes one JSON object and refuses trailing data, naming the
// line and column of a syntax error.
func decodeObject(b []byte, what string) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("%s is empty", what)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line, col := position(b, se.Offset-1) // Offset is just past the bad byte
			return nil, fmt.Errorf("%s is not valid JSON: line %d, column %d: %v", what, line, col, se)
		case errors.As(err, &te):
			return nil, fmt.Errorf("%s must be a JSON object, not a %s", what, te.Value)
		case errors.Is(err, io.ErrUnexpectedEOF):
			line, col := position(b, int64(len(b)))
			return nil, fmt.Errorf("%s is not valid JSON: it ends at line %d, column %d before the object is complete", what, line, col)
		default:
			return nil, fmt.Errorf("%s is not valid JSON: %v", what, err)
		}
	}
	if obj == nil {
		return nil, fmt.Errorf("%s must be a JSON object, not null", what)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s has data after the JSON object", what)
	}
	return obj, nil
}

func stringOrList(b []byte) ([]string, error) {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return nil, fmt.Errorf("want a string or an array of strings")
	}
	return many, nil
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func compactRaw(raw json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return string(raw)
	}
	s := buf.String()
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

func position(b []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < offset && i < int64(len(b)); i++ {
		if b[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

func policyErr(msg string) error { return &inputError{msg: msg, kind: ErrInvalidPolicy} }
