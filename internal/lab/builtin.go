package lab

import (
	"embed"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
)

// builtinFS holds the built-in scenarios, one JSON file per name.
//
//go:embed scenarios/*.json
var builtinFS embed.FS

// BuiltinPrefix marks a scenario reference that names a built-in scenario.
const BuiltinPrefix = "builtin:"

// BuiltinScenarios lists the built-in scenario references, sorted, in the
// form LoadScenario accepts ("builtin:empty", "builtin:leak").
func BuiltinScenarios() []string {
	entries, err := builtinFS.ReadDir("scenarios")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			out = append(out, BuiltinPrefix+name)
		}
	}
	sort.Strings(out)
	return out
}

// LoadScenario reads and parses a scenario: "builtin:<name>" for a built-in
// one, anything else is a file path.
func LoadScenario(ref string) (*Scenario, error) {
	if ref == "" {
		return nil, fmt.Errorf("load scenario: empty reference (use a file path or one of %s)", strings.Join(BuiltinScenarios(), ", "))
	}
	var data []byte
	if name, ok := strings.CutPrefix(ref, BuiltinPrefix); ok {
		b, err := builtinFS.ReadFile(path.Join("scenarios", name+".json"))
		if err != nil || name == "" || strings.ContainsAny(name, "/\\") {
			return nil, fmt.Errorf("load scenario %q: no such built-in scenario (have %s)", ref, strings.Join(BuiltinScenarios(), ", "))
		}
		data = b
	} else {
		b, err := os.ReadFile(ref)
		if err != nil {
			return nil, fmt.Errorf("load scenario %q: %w", ref, err)
		}
		data = b
	}
	s, err := ParseScenario(data)
	if err != nil {
		return nil, fmt.Errorf("load scenario %q: %w", ref, err)
	}
	return s, nil
}
