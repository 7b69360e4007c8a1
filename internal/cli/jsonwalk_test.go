package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// jsonDoc is one command's -o json output in the walk: the args that made
// it and the schema file (under docs/schema/) it must validate against.
type jsonDoc struct {
	name   string
	schema string
	args   []string
	codes  []int // accepted exit codes (default: 0)
}

// TestJSONWalk runs every command's -o json on builtin:leak through the
// real SDK against the lab and holds each document to docs/json.md:
// snake_case keys, RFC 3339 UTC times with seconds, no JSON inside strings,
// no display text in machine fields, schema_version a string, and the
// document valid against its JSON Schema.
func TestJSONWalk(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every command on the lab")
	}
	l := newLeakCLI(t)
	key, idle := l.info.Notes["leaked_key_id"], l.info.Notes["idle_key_id"]
	live := l.info.Credentials[l.info.Notes["leaked_user"]]
	repo := t.TempDir()
	if err := os.WriteFile(filepath.Join(repo, "prod.env"), []byte("ACCESS_KEY_ID="+live.AccessKeyID+"\nACCESS_KEY_SECRET="+live.AccessKeySecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	aclFile := filepath.Join(t.TempDir(), "acl.json")
	docs := []jsonDoc{
		{name: "version", schema: "version", args: []string{"version"}},
		{name: "audit", schema: "audit", args: []string{"audit", key}},
		{name: "audit --idle", schema: "sweep", args: []string{"audit", "--idle"}},
		{name: "contain plan", schema: "contain", args: []string{"contain", key, "--trusted-from-audit", "--leak-time", l.info.Notes["leak_time"], "--dry-run"}},
		{name: "contain --status", schema: "contain-status", args: []string{"contain", key, "--status"}},
		{name: "disable --dry-run", schema: "disable", args: []string{"disable", idle, "--dry-run"}},
		{name: "rotate --status", schema: "rotate", args: []string{"rotate", key, "--status"}},
		{name: "eradicate --dry-run", schema: "eradicate", args: []string{"eradicate", key, "--dry-run"}},
		{name: "report", schema: "report", args: []string{"report", key, "--out", filepath.Join(t.TempDir(), "report")}},
		{name: "leaks", schema: "leaks", args: []string{"leaks", "--status", "all"}},
		// Refused (exit 4) before containment: the refusal is a document too.
		{name: "leaks resolve", schema: "leaks-resolve", args: []string{"leaks", "resolve", key, "--dry-run"}, codes: []int{ExitSafetyRail}},
		{name: "scan", schema: "scan", args: []string{"scan", repo}},
		{name: "policy groups", schema: "policy-groups", args: []string{"policy", "groups"}},
		{name: "policy validate", schema: "policy-validate", args: []string{"policy", "validate", aclFile}},
		{name: "preflight", schema: "preflight", args: []string{"preflight"}},
		{name: "lab scenarios", args: []string{"lab", "scenarios"}}, // a list, no schema file
	}
	// The network ACL document is Alibaba Cloud's own format (policy
	// network-acl prints it); validate reports on it in ours.
	code, out, errOut := l.run("policy", "network-acl", "--allow-ip", "203.0.113.0/24", "-o", "json")
	if code != ExitOK {
		t.Fatalf("policy network-acl: exit %d\n%s%s", code, out, errOut)
	}
	if err := os.WriteFile(aclFile, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	dump := os.Getenv("AKRESP_JSONWALK_DUMP")
	for _, d := range docs {
		code, out, errOut := l.run(append(d.args, "-o", "json")...)
		ok := code == ExitOK
		for _, c := range d.codes {
			ok = ok || code == c
		}
		if !ok {
			t.Errorf("%s: exit %d\n%s%s", d.name, code, out, errOut)
			continue
		}
		if dump != "" {
			_ = os.WriteFile(filepath.Join(dump, strings.ReplaceAll(d.name, " ", "_")+".json"), []byte(out), 0o644)
		}
		for _, p := range checkJSONVocabulary([]byte(out)) {
			t.Errorf("%s: %s", d.name, p)
		}
		if d.schema == "" {
			continue
		}
		if err := validateDoc(compileSchema(t, d.schema), []byte(out)); err != nil {
			t.Errorf("%s: not valid against docs/schema/%s.json: %v", d.name, d.schema, err)
		}
	}
}

var (
	snakeKey = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	// rfc3339ish matches any string that looks like a timestamp, so a time
	// in another form (nanoseconds, an offset, no seconds) is caught.
	rfc3339ish = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}`)
	utcSeconds = regexp.MustCompile(timePattern)
	// humanField names the fields meant for people (docs/json.md, rule 5).
	humanField = regexp.MustCompile(`\.(title|summary|detail|why|description|message|notes|caveats|[a-z_]+_text|[a-z_]+_summary|state_detail|verdict_summary)(\[\])?$`)
	// displayText matches phrases meant for people, not scripts.
	// A duration written for people ("4h 30m") is one too: JSON has Go
	// duration strings ("4h30m0s") or numbers named for their unit.
	displayText = regexp.MustCompile(`(?i)\band \d+ more\b|…|\(\+\d+ more\)|^\d+[dhms]( \d+[dhms])+$`)
)

// dataKeyed lists the JSON paths (with [] for any array element and * for
// any key) whose object keys are data, not names: request parameters as
// the cloud sent them, principals of a lab scenario, counts by value.
var dataKeyed = []*regexp.Regexp{
	regexp.MustCompile(`\.request_parameters$`),
	regexp.MustCompile(`\.additional_event_data$`),
	regexp.MustCompile(`\.service_event_data$`),
	regexp.MustCompile(`\.by_[a-z_]+$`),
	regexp.MustCompile(`\.counts$`),
	regexp.MustCompile(`\.credentials$`),
	regexp.MustCompile(`\.notes$`),
}

// otherNames are second names for a concept the vocabulary names once.
var otherNames = map[string]string{
	"key_id":                      "access_key_id",
	"owner":                       "user_name (and identity_type)",
	"owner_type":                  "identity_type",
	"user":                        "user_name",
	"schema":                      "schema_version",
	"new_key_id":                  "new_access_key_id",
	"from_key_id":                 "from_access_key_id",
	"last_service":                "last_used_service",
	"effective_network_acl":       "effective_network_policy",
	"effective_network_acl_after": "effective_network_policy_after",
}

// numericKey matches keys named for a count or a unit, whose values are
// JSON numbers.
var numericKey = regexp.MustCompile(`[._](count|days|seconds|ns|ms|mbps|bytes|events|total)$`)

// identityTypes is the one value set of identity_type (docs/json.md).
var identityTypes = map[string]bool{"ram-user": true, "root-account": true, "assumed-role": true, "unknown": true}

// placeholder matches a value that is a display name standing in for a
// thing, like the credential report's "<root>": the thing is named by a
// field (identity_type), not by a made-up value in a name field.
var placeholder = regexp.MustCompile(`^<[^<>]*>$`)

// structured matches the keys whose value is a structure (a policy
// document or a state object), never text. structuredExempt: a nested
// cloud field of the same name (a security-group rule's "policy":
// "accept") is not a key of ours.
var (
	structured       = regexp.MustCompile(`\.(policy|document|key_level|account_level|network_acl|effective_network_policy|effective_network_policy_after|deny_policy|before|after|trust_policy_[a-z]+|assume_role_policy)$`)
	structuredExempt = regexp.MustCompile(`\.rule\.policy$`)
)

// policyDoc matches the fields that hold a RAM policy or network ACL
// document, an object in Alibaba Cloud's own format (Version, Statement).
var policyDoc = regexp.MustCompile(`\.(policy|document|key_level|account_level|network_acl|account_policy|trust_policy_[a-z]+|assume_role_policy)$`)

// checkJSONVocabulary returns every way doc breaks docs/json.md.
func checkJSONVocabulary(doc []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []string{"not one JSON document: " + err.Error()}
	}
	if dec.More() {
		return []string{"more than one JSON document"}
	}
	var probs []string
	top, ok := v.(map[string]any)
	if !ok {
		return []string{"the document is not a JSON object"}
	}
	sv, ok := top["schema_version"].(string)
	if !ok || !regexp.MustCompile(`^akresp\.[a-z-]+/v\d+$`).MatchString(sv) {
		probs = append(probs, fmt.Sprintf("schema_version %v is not a string akresp.NAME/vN", top["schema_version"]))
	}
	walkJSON("", v, func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if policyDoc.MatchString(path) {
				return
			}
			for _, re := range dataKeyed {
				if re.MatchString(path) {
					return
				}
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if !snakeKey.MatchString(k) {
					probs = append(probs, fmt.Sprintf("%s: key %q is not snake_case", path, k))
				}
				if alias, ok := otherNames[k]; ok {
					probs = append(probs, fmt.Sprintf("%s: key %q: the vocabulary's name is %s", path, k, alias))
				}
			}
		case string:
			if structured.MatchString(path) && !structuredExempt.MatchString(path) {
				probs = append(probs, fmt.Sprintf("%s: text %q where the vocabulary has an object (or null)", path, x))
			}
			if strings.HasSuffix(path, ".identity_type") && !identityTypes[x] {
				probs = append(probs, fmt.Sprintf("%s: identity_type %q is not one of ram-user, root-account, assumed-role, unknown", path, x))
			}
			if placeholder.MatchString(x) && !humanField.MatchString(path) {
				probs = append(probs, fmt.Sprintf("%s: display text %q stands in for a value", path, x))
			}
			if numericKey.MatchString(path) {
				probs = append(probs, fmt.Sprintf("%s: the number %q is a string", path, x))
			}
			s := strings.TrimSpace(x)
			if rfc3339ish.MatchString(s) && !utcSeconds.MatchString(x) {
				probs = append(probs, fmt.Sprintf("%s: time %q is not RFC 3339 UTC with whole seconds", path, x))
			} else if utcSeconds.MatchString(x) {
				if _, err := time.Parse(time.RFC3339, x); err != nil {
					probs = append(probs, fmt.Sprintf("%s: time %q does not parse: %v", path, x, err))
				}
			}
			if (strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}")) || (strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") && len(s) > 2) {
				if json.Valid([]byte(s)) {
					probs = append(probs, fmt.Sprintf("%s: a JSON value inside a string", path))
				}
			}
			if displayText.MatchString(x) && !humanField.MatchString(path) {
				probs = append(probs, fmt.Sprintf("%s: display text %q", path, x))
			}
		}
	})
	return probs
}

// walkJSON calls fn on v and every value under it with its path (.a.b[]).
func walkJSON(path string, v any, fn func(string, any)) {
	fn(path, v)
	if policyDoc.MatchString(path) {
		return // Alibaba Cloud's own document format
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			walkJSON(path+"."+k, e, fn)
		}
	case []any:
		for _, e := range x {
			walkJSON(path+"[]", e, fn)
		}
	}
}

// The report golden is a contained key with a verified containment, an
// effective policy and a time to contain, which the lab's walk does not
// reach: it is held to the vocabulary and its schema too.
func TestJSONVocabularyReportGolden(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "report", "testdata", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkJSONVocabulary(b) {
		t.Errorf("internal/report/testdata/report.json: %s", p)
	}
	if err := validateDoc(compileSchema(t, "report"), b); err != nil {
		t.Errorf("internal/report/testdata/report.json: not valid against docs/schema/report.json: %v", err)
	}
}
