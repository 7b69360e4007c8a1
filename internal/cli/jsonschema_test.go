package cli

import (
	"bytes"
	"encoding"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/policy"
	"github.com/akresp/akresp/internal/preflight"
	"github.com/akresp/akresp/internal/report"
	"github.com/akresp/akresp/internal/respond"
	"github.com/akresp/akresp/internal/rotate"
	"github.com/akresp/akresp/internal/watch"
)

var updateSchemas = flag.Bool("update-schemas", false, "rewrite docs/schema/*.json from the Go types of each -o json document")

// schemaDir holds the checked-in JSON Schemas (draft 2020-12).
const schemaDir = "../../docs/schema"

// jsonDocuments are the -o json documents, by schema file name: the Go
// type each command marshals and its schema_version.
var jsonDocuments = []struct {
	name, version, title string
	typ                  reflect.Type
}{
	{"audit", audit.SchemaVersion, "akresp audit KEY -o json", reflect.TypeFor[audit.Result]()},
	{"sweep", audit.SweepSchemaVersion, "akresp audit --idle -o json", reflect.TypeFor[audit.SweepResult]()},
	{"contain", containSchema, "akresp contain -o json (plan, run, undo)", reflect.TypeFor[respondDoc]()},
	{"disable", disableSchema, "akresp disable -o json (plan, run)", reflect.TypeFor[respondDoc]()},
	{"eradicate", eradicateSchema, "akresp eradicate -o json (plan, run)", reflect.TypeFor[respondDoc]()},
	{"contain-status", containStatusSchema, "akresp contain --status -o json", reflect.TypeFor[containStatusDoc]()},
	{"rotate", rotate.ReportSchema, "akresp rotate -o json (run and --status)", reflect.TypeFor[rotate.Report]()},
	{"report", report.SchemaVersion, "akresp report -o json", reflect.TypeFor[report.Document]()},
	{"leaks", leaksSchema, "akresp leaks -o json", reflect.TypeFor[leaksResult]()},
	{"leaks-resolve", leaksResolveSchema, "akresp leaks resolve -o json", reflect.TypeFor[leaksResolveResult]()},
	{"scan", scanSchema, "akresp scan -o json", reflect.TypeFor[scanResult]()},
	{"policy-groups", "akresp.policy-groups/v2", "akresp policy groups -o json", reflect.TypeFor[groupList]()},
	{"policy-validate", "akresp.policy-validate/v2", "akresp policy validate -o json", reflect.TypeFor[ValidationReport]()},
	{"version", "akresp.version/v2", "akresp version -o json", reflect.TypeFor[VersionInfo]()},
	{"preflight", preflight.SchemaVersion, "akresp preflight -o json", reflect.TypeFor[preflight.Result]()},
	{"watch-alert", watch.AlertSchema, "akresp watch: one alert, a JSON line on stdout or a webhook's body", reflect.TypeFor[watch.Alert]()},
	{"lab", LabInfoSchema, "akresp lab serve -o json (and its --info file)", reflect.TypeFor[LabInfo]()},
}

// timePattern is docs/json.md's time: RFC 3339, UTC, whole seconds.
const timePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$`

// schemaGen builds a JSON Schema from Go types the way encoding/json
// marshals them: named structs become $defs, unknown keys are refused.
type schemaGen struct {
	defs map[string]any
}

func (g *schemaGen) defName(t reflect.Type) string {
	return filepath.Base(t.PkgPath()) + "." + t.Name()
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	docTextType  = reflect.TypeFor[policy.DocText]()
	rawType      = reflect.TypeFor[json.RawMessage]()
	marshalerT   = reflect.TypeFor[json.Marshaler]()
	textMarshalT = reflect.TypeFor[encoding.TextMarshaler]()
)

// sameShape are types whose MarshalJSON writes their struct's own fields,
// so their schema is their struct's, with these fields' schemas replaced:
// respond.Action renames only the keys inside before and after (a state
// object, null when there is none, never text); rotate.ACLInheritance
// writes its document as an object.
var sameShape = map[reflect.Type]map[string]any{
	reflect.TypeFor[respond.Action](): {
		"before": map[string]any{"type": []any{"object", "null"}},
		"after":  map[string]any{"type": []any{"object", "null"}},
	},
	reflect.TypeFor[rotate.ACLInheritance](): {"policy": docTextSchema},
}

// docTextSchema is a policy document's schema (policy.DocText).
var docTextSchema = map[string]any{"description": "a policy document (Alibaba Cloud's format) as an object; null for none", "type": []any{"object", "array", "string", "null"}}

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch t {
	case timeType:
		return map[string]any{"type": "string", "pattern": timePattern}
	case docTextType:
		return docTextSchema
	case rawType:
		return map[string]any{}
	}
	if t.Kind() == reflect.Pointer {
		s := g.schema(t.Elem())
		return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
	}
	if (t.Implements(marshalerT) || reflect.PointerTo(t).Implements(marshalerT)) && sameShape[t] == nil {
		// Custom JSON: severities and durations are strings, lists are
		// arrays; anything else is left open.
		switch t.Kind() {
		case reflect.Int, reflect.String, reflect.Int64:
			return map[string]any{"type": "string"}
		case reflect.Slice:
			return map[string]any{"type": []any{"array", "string", "null"}}
		}
		return map[string]any{}
	}
	if t.Implements(textMarshalT) || reflect.PointerTo(t).Implements(textMarshalT) {
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string"}
		}
		return map[string]any{"type": []any{"array", "null"}, "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": []any{"object", "null"}, "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		name := g.defName(t)
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = nil // placeholder: recursion
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/$defs/" + name}
	}
	panic(fmt.Sprintf("schemaGen: no schema for %s", t))
}

// object is a struct's schema: its JSON fields (embedded structs inline),
// the ones without omitempty/omitzero required.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				et := f.Type
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct {
					walk(et)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			props[name] = g.schema(f.Type)
			if o, ok := sameShape[t][name]; ok {
				props[name] = o
			}
			if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
				required = append(required, name)
			}
		}
	}
	walk(t)
	sort.Strings(required)
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// generateSchema returns the schema file of one document.
func generateSchema(name, version, title string, t reflect.Type) ([]byte, error) {
	g := &schemaGen{defs: map[string]any{}}
	root := g.schema(t)
	doc := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         "https://github.com/akresp/akresp/docs/schema/" + name + ".json",
		"title":       title + " (" + version + ")",
		"description": "Generated from the Go types by `go test ./internal/cli -run TestJSONSchemasCurrent -update-schemas`; the vocabulary is docs/json.md.",
		"$ref":        root["$ref"],
		"properties":  map[string]any{"schema_version": map[string]any{"const": version}},
		"required":    []any{"schema_version"},
		"$defs":       g.defs,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// The checked-in schemas are the ones the Go types give: a renamed field
// or a new document needs `-update-schemas` (and a schema_version bump).
func TestJSONSchemasCurrent(t *testing.T) {
	for _, d := range jsonDocuments {
		want, err := generateSchema(d.name, d.version, d.title, d.typ)
		if err != nil {
			t.Fatalf("%s: %v", d.name, err)
		}
		path := filepath.Join(schemaDir, d.name+".json")
		if *updateSchemas {
			if err := os.MkdirAll(schemaDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run go test ./internal/cli -run TestJSONSchemasCurrent -update-schemas)", d.name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not current: run go test ./internal/cli -run TestJSONSchemasCurrent -update-schemas", path)
		}
		// Every key the schema names follows the vocabulary.
		walkJSON("", mustDecode(t, got), func(path string, v any) {
			m, ok := v.(map[string]any)
			if !ok || !strings.HasSuffix(path, ".properties") {
				return
			}
			for k := range m {
				if !snakeKey.MatchString(k) {
					t.Errorf("%s: %s names %q, not snake_case", d.name, path, k)
				}
			}
		})
	}
}

func mustDecode(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// compileSchema loads docs/schema/NAME.json.
func compileSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(schemaDir, name+".json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	url := "file:///" + name + ".json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return sch
}

// validateDoc validates one output against its schema.
func validateDoc(sch *jsonschema.Schema, out []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// The checks fail on what they exist to catch: a camel-cased key, a
// nanosecond time, a numeric schema_version, JSON inside a string, a
// display-text list item, and (for the schema) an unknown key.
func TestJSONVocabularyCatches(t *testing.T) {
	good := `{"schema_version":"akresp.version/v2","version":"v1","commit":"abc","go_version":"go1","platform":"linux/amd64"}`
	if p := checkJSONVocabulary([]byte(good)); len(p) != 0 {
		t.Fatalf("a good document fails: %v", p)
	}
	sch := compileSchema(t, "version")
	if err := validateDoc(sch, []byte(good)); err != nil {
		t.Fatalf("a good document fails its schema: %v", err)
	}
	for bad, want := range map[string]string{
		`{"schema_version":"akresp.x/v1","accessKeyId":"LTAI"}`:                     `"accessKeyId" is not snake_case`,
		`{"schema_version":"akresp.x/v1","origin":{"Kind":"lookup"}}`:               `"Kind" is not snake_case`,
		`{"schema_version":"akresp.x/v1","since":"2026-11-04T18:37:18.828865817Z"}`: "whole seconds",
		`{"schema_version":"akresp.x/v1","since":"2026-11-04T18:37:18+08:00"}`:      "whole seconds",
		`{"schema_version":1}`: "schema_version 1",
		`{"schema_version":"akresp.x/v1","network_acl":"{\"Version\":\"1\"}"}`:    "JSON value inside a string",
		`{"schema_version":"akresp.x/v1","reasons":["a","and 16 more findings"]}`: "display text",
		// A plan action's states in the journal's names, or as text.
		`{"schema_version":"akresp.x/v1","plan":{"actions":[{"before":{"key_id":"LTAI"}}]}}`:     `"key_id": the vocabulary's name is access_key_id`,
		`{"schema_version":"akresp.x/v1","plan":{"actions":[{"after":{"user":"app-prod"}}]}}`:    `"user": the vocabulary's name is user_name`,
		`{"schema_version":"akresp.x/v1","plan":{"actions":[{"before":"Active","after":null}]}}`: `.plan.actions[].before: text "Active" where the vocabulary has an object`,
		// The sweep's root account as a made-up user name, not an identity_type.
		`{"schema_version":"akresp.x/v1","keys":[{"user_name":"<root>","access_key_id":"LTAI"}]}`: `.keys[].user_name: display text "<root>" stands in for a value`,
		`{"schema_version":"akresp.x/v1","keys":[{"identity_type":"Account"}]}`:                   `identity_type "Account" is not one of`,
		// The report's policies as text.
		`{"schema_version":"akresp.x/v1","summary":{"effective_network_policy":"none: neither"}}`: `.summary.effective_network_policy: text "none: neither" where the vocabulary has an object`,
		`{"schema_version":"akresp.x/v1","summary":{"deny_policy":"attached"}}`:                   `.summary.deny_policy: text "attached" where the vocabulary has an object`,
		`{"schema_version":"akresp.x/v1","summary":{"time_to_contain":"4h 30m"}}`:                 `.summary.time_to_contain: display text "4h 30m"`,
		`{"schema_version":"akresp.x/v1","key":{"age_days":"12"}}`:                                `.key.age_days: the number "12" is a string`,
	} {
		p := strings.Join(checkJSONVocabulary([]byte(bad)), "\n")
		if !strings.Contains(p, want) {
			t.Errorf("%s: problems %q, want one with %q", bad, p, want)
		}
	}
	camel := strings.Replace(good, `"go_version"`, `"goVersion"`, 1)
	if err := validateDoc(sch, []byte(camel)); err == nil {
		t.Error("the version schema accepts a camel-cased key")
	}
	if err := validateDoc(sch, []byte(strings.Replace(good, `"akresp.version/v2"`, `2`, 1))); err == nil {
		t.Error("the version schema accepts a numeric schema_version")
	}
}
