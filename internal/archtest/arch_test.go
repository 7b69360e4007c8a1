package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/akresp/akresp"

// imports maps each package of the module (by path relative to the module
// root) to its non-test imports. It parses the files in-process, so the
// test cache notices every file and directory it read: a new import can
// never hide behind a cached pass.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := map[string]map[string]bool{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin" || name == "demo-out") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir, _ := filepath.Rel(root, filepath.Dir(path))
		dir = filepath.ToSlash(dir)
		if pkgs[dir] == nil {
			pkgs[dir] = map[string]bool{}
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			pkgs[dir][p] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for dir, set := range pkgs {
		for p := range set {
			out[dir] = append(out[dir], p)
		}
		sort.Strings(out[dir])
	}
	if len(out) < 10 {
		t.Fatalf("found only %d packages", len(out))
	}
	return out
}

func under(rel, dir string) bool { return rel == dir || strings.HasPrefix(rel, dir+"/") }

func local(imp string) (string, bool) {
	if imp == module {
		return ".", true
	}
	r, ok := strings.CutPrefix(imp, module+"/")
	return r, ok
}

// The SPEC's dependency rules, on non-test code.
func TestDependencyRules(t *testing.T) {
	sdk := []string{"github.com/alibabacloud-go/", "github.com/aliyun/credentials-go", "github.com/aliyun/aliyun-log-go-sdk"}
	for pkg, imps := range imports(t) {
		for _, imp := range imps {
			for _, s := range sdk {
				if strings.HasPrefix(imp, s) && !under(pkg, "internal/cloud") {
					t.Errorf("%s imports %s: only internal/cloud may import the Alibaba SDKs", pkg, imp)
				}
			}
			if strings.HasPrefix(imp, "github.com/spf13/") && !under(pkg, "internal/cli") && !under(pkg, "cmd") {
				t.Errorf("%s imports %s: only the CLI uses cobra", pkg, imp)
			}
			r, ok := local(imp)
			if !ok {
				if under(pkg, "internal/policy") && (imp == "os" || strings.HasPrefix(imp, "net/http")) {
					t.Errorf("%s imports %s: internal/policy must stay pure (no I/O)", pkg, imp)
				}
				continue
			}
			switch {
			case under(r, "internal/lab") && !under(pkg, "internal/cli") && !under(pkg, "internal/lab"):
				t.Errorf("%s imports %s: the lab is for internal/cli and tests only", pkg, r)
			case under(pkg, "internal/lab") && under(r, "internal/cloud"), under(pkg, "internal/cloud") && under(r, "internal/lab"):
				t.Errorf("%s imports %s: lab and cloud must not share code", pkg, r)
			case under(r, "internal/cli") && !under(pkg, "internal/cli") && !under(pkg, "cmd"):
				t.Errorf("%s imports %s: domain packages never import the CLI", pkg, r)
			case under(pkg, "internal/scan") && !under(r, "internal/scan") && !under(r, "internal/policy") && !under(r, "internal/redact"):
				t.Errorf("%s imports %s: internal/scan takes a Verifier and reads files only (policy, redact), so a secret has one way out", pkg, r)
			case under(pkg, "internal/leaks") && (under(r, "internal/respond") || under(r, "internal/rotate") || under(r, "internal/audit") || under(r, "internal/report")):
				t.Errorf("%s imports %s: internal/leaks reads the incident record, not other commands' packages, so audit and report can import it", pkg, r)
			case under(pkg, "internal/policy") && !under(r, "internal/policy"):
				t.Errorf("%s imports %s: internal/policy must stay pure", pkg, r)
			case under(pkg, "internal/incident") && !under(r, "internal/incident") && !under(r, "internal/policy") &&
				!under(r, "internal/cloud") && !under(r, "internal/journal") && !under(r, "internal/state"):
				t.Errorf("%s imports %s: internal/incident reads journals and state only (policy, cloud, journal, state), so that every domain package can import it", pkg, r)
			}
		}
	}
}

// DuckDB (cgo) stays out of the akresp binary: it backs the lab's SLS
// endpoint in tests only.
func TestBinaryHasNoDuckDB(t *testing.T) {
	imps := imports(t)
	seen := map[string]bool{}
	var walk func(pkg string, path []string)
	walk = func(pkg string, path []string) {
		if seen[pkg] {
			return
		}
		seen[pkg] = true
		for _, imp := range imps[pkg] {
			if strings.Contains(imp, "duckdb") {
				t.Errorf("cmd/akresp reaches %s via %s", imp, strings.Join(append(path, pkg), " -> "))
			}
			if r, ok := local(imp); ok {
				walk(r, append(path, pkg))
			}
		}
	}
	if _, ok := imps["cmd/akresp"]; !ok {
		t.Fatal("cmd/akresp not found")
	}
	walk("cmd/akresp", nil)
	if !seen["internal/cli"] || seen["internal/lab/slsemu"] {
		t.Errorf("unexpected dependency closure: cli %v, slsemu %v", seen["internal/cli"], seen["internal/lab/slsemu"])
	}
}
