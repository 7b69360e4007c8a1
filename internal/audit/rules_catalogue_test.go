package audit

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// pkgSource is the package's Go source, parsed: the non-test files and
// the _test.go files.
type pkgSource struct {
	files map[string]*ast.File // by file name
	tests map[string]*ast.File
}

func parsePkg(t *testing.T) pkgSource {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	src := pkgSource{files: map[string]*ast.File{}, tests: map[string]*ast.File{}}
	fset := token.NewFileSet()
	for _, name := range names {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, "_test.go") {
			src.tests[name] = f
		} else {
			src.files[name] = f
		}
	}
	if len(src.files) < 10 || len(src.tests) < 10 {
		t.Fatalf("parsed %d source and %d test files; the scan is broken", len(src.files), len(src.tests))
	}
	return src
}

// stringLits calls fn with every string literal under n, unquoted.
func stringLits(n ast.Node, fn func(string)) {
	ast.Inspect(n, func(m ast.Node) bool {
		if bl, ok := m.(*ast.BasicLit); ok && bl.Kind == token.STRING {
			if s, err := strconv.Unquote(bl.Value); err == nil {
				fn(s)
			}
		}
		return true
	})
}

// mentions reports whether a string literal under n names rule id as a
// whole token ("PERS-01" in "PERS-01/create user", not in "PERS-010").
func mentions(n ast.Node, id string) bool {
	re := regexp.MustCompile(`(^|[^A-Z0-9-])` + regexp.QuoteMeta(id) + `($|[^0-9A-Z-])`)
	found := false
	stringLits(n, func(s string) { found = found || re.MatchString(s) })
	return found
}

// engineMethod finds the *Engine method name among the package's non-test
// files.
func (p pkgSource) engineMethod(name string) *ast.FuncDecl {
	for _, f := range p.files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Name.Name != name || fd.Recv == nil || len(fd.Recv.List) != 1 {
				continue
			}
			if star, ok := fd.Recv.List[0].Type.(*ast.StarExpr); ok {
				if id, ok := star.X.(*ast.Ident); ok && id.Name == "Engine" {
					return fd
				}
			}
		}
	}
	return nil
}

// testFunc finds a top-level Test function among the _test.go files.
func (p pkgSource) testFunc(name string) *ast.FuncDecl {
	for _, f := range p.tests {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == name {
				return fd
			}
		}
	}
	return nil
}

// evalName is the method name of a ruleDef's eval method expression
// ("offHoursFinding"), "" when eval is not a method of *Engine.
func evalName(eval any) string {
	v := reflect.ValueOf(eval)
	if v.Kind() != reflect.Func || v.IsNil() {
		return ""
	}
	full := runtime.FuncForPC(v.Pointer()).Name()
	_, name, ok := strings.Cut(full, ".(*Engine).")
	if !ok || strings.Contains(name, ".") {
		return ""
	}
	return name
}

// ruleFamilyFile is the file that declares a family's rules: CTX in
// rules_ctx.go, USE-AFTER-LEAK in rules_leak.go.
func ruleFamilyFile(id string) string {
	fam, _, _ := strings.Cut(id, "-")
	if fam == "USE" {
		fam = "leak"
	}
	return "rules_" + strings.ToLower(fam) + ".go"
}

// TestRuleCatalogue checks the rule catalogue (rules_catalogue.go) against
// the code: every rule id the code can emit has exactly one declaration, in
// its family's file, fully documented; every declaration is implemented (a
// table matcher, or an *Engine method whose body names the rule); its
// routine treatment is what the code does; and the tests it names exist
// in this package's _test.go files and mention the rule.
func TestRuleCatalogue(t *testing.T) {
	src := parsePkg(t)

	// One declaration per rule, in its family's file, in catalogue order.
	declared := map[string]string{} // id -> file
	for name, f := range src.files {
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if at, ok := lit.Type.(*ast.ArrayType); !ok || !isIdent(at.Elt, "ruleDef") {
				return true
			}
			for _, el := range lit.Elts {
				def, ok := el.(*ast.CompositeLit)
				if !ok {
					t.Errorf("%s: a []ruleDef element is not a literal", name)
					continue
				}
				id := ruleDefID(def)
				if id == "" {
					t.Errorf("%s: a ruleDef has no literal RuleInfo.ID", name)
					continue
				}
				if prev, dup := declared[id]; dup {
					t.Errorf("rule %s declared twice (%s and %s)", id, prev, name)
				}
				declared[id] = name
				if want := ruleFamilyFile(id); name != want {
					t.Errorf("rule %s is declared in %s, want its family's file %s", id, name, want)
				}
			}
			return true
		})
	}
	if len(declared) != len(ruleCatalogue) {
		t.Errorf("%d rules declared in the source, %d in the catalogue: a family slice is missing from ruleFamilies", len(declared), len(ruleCatalogue))
	}
	var ids []string
	for i, d := range ruleCatalogue {
		ids = append(ids, d.ID)
		if declared[d.ID] == "" {
			t.Errorf("rule %s is in the catalogue but not declared in a []ruleDef literal", d.ID)
		}
		if i > 0 {
			prev := ruleCatalogue[i-1].ID
			if ruleFamily(prev) == ruleFamily(d.ID) && prev >= d.ID {
				t.Errorf("catalogue order: %s after %s in its family", d.ID, prev)
			}
		}
	}
	for i, r := range Rules() {
		if r.ID != ids[i] {
			t.Fatalf("Rules()[%d] = %s, catalogue has %s", i, r.ID, ids[i])
		}
	}

	// Every rule id the code names is declared: string literals shaped
	// like a rule id anywhere in the non-test source (newBuilder, fold,
	// the window specs, follow.go's findings, the verdict's exceptions).
	idRE := regexp.MustCompile(`^[A-Z]{3,5}-[0-9]{2}$|^USE-AFTER-LEAK$`)
	named := map[string]bool{}
	for name, f := range src.files {
		stringLits(f, func(s string) {
			if idRE.MatchString(s) {
				named[s] = true
				if ruleByID[s] == nil {
					t.Errorf("%s names rule %s, which the catalogue does not declare", name, s)
				}
			}
		})
	}
	if len(named) < 40 {
		t.Fatalf("found only %d rule ids in the source; the scan is broken", len(named))
	}
	for id := range codeRuleSeverities(t) {
		if ruleByID[id] == nil {
			t.Errorf("the code builds findings of %s, which the catalogue does not declare", id)
		}
	}

	// docs/rules.md's "Adding or changing a rule" names every field of a
	// declaration.
	howTo := rulesDocHowTo()
	for i := range reflect.TypeFor[ruleDef]().NumField() {
		if f := reflect.TypeFor[ruleDef]().Field(i); !strings.Contains(howTo, "`"+f.Name+"`") {
			t.Errorf("docs/rules.md's \"Adding or changing a rule\" does not explain ruleDef.%s", f.Name)
		}
	}

	attackRE := regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)
	for _, d := range ruleCatalogue {
		id := d.ID

		// Documentation.
		if d.Title == "" || d.Why == "" || d.Logic == "" || d.SeverityText == "" {
			t.Errorf("rule %s: Title, Why, Logic and SeverityText must all be set", id)
		}
		if len(d.Attack) == 0 {
			t.Errorf("rule %s has no ATT&CK technique", id)
		}
		for _, a := range d.Attack {
			if !attackRE.MatchString(a) {
				t.Errorf("rule %s: ATT&CK id %q is not Tnnnn or Tnnnn.nnn", id, a)
			}
		}
		if !strings.HasPrefix(d.SeverityText, d.Severity.String()) {
			t.Errorf("rule %s: severity text %q does not start with %s", id, d.SeverityText, d.Severity)
		}

		// Implementation.
		if d.table == nil && d.eval == nil {
			t.Errorf("rule %s has neither a table matcher nor an eval method", id)
		}
		var body *ast.FuncDecl
		if d.eval != nil {
			name := evalName(d.eval)
			if name == "" {
				t.Errorf("rule %s: eval is not a method expression of *Engine", id)
			} else if body = src.engineMethod(name); body == nil {
				t.Errorf("rule %s: eval method (*Engine).%s not found in the source", id, name)
			} else if !mentions(body, id) {
				t.Errorf("rule %s: (*Engine).%s does not name the rule", id, name)
			}
		}
		if tr := d.table; tr != nil {
			if tr.id != id || tr.sev != d.Severity {
				t.Errorf("table rule %s: matcher has id %s severity %s, declared %s", id, tr.id, tr.sev, d.Severity)
			}
			if len(tr.apis) == 0 {
				t.Errorf("table rule %s matches no API", id)
			}
			if !slices.Contains(tableRules, tr) {
				t.Errorf("table rule %s is not in tableRules", id)
			}
			for _, a := range tr.apis {
				if !slices.Contains(rulesFor(a.service, a.name), tr) {
					t.Errorf("table rule %s: %s:%s does not reach it", id, a.service, a.name)
				}
			}
			if tr.routine != (d.routine == routineKnown) {
				t.Errorf("table rule %s: matcher routine %v, declared %s", id, tr.routine, d.routine)
			}
			if d.routine != routineKnown && d.routine != routineDays {
				t.Errorf("table rule %s: routine %s; table rules are judged %s or %s", id, d.routine, routineKnown, routineDays)
			}
		} else if body != nil {
			// What the eval method does with the key's routine.
			folds, novelty := false, false
			ast.Inspect(body, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.CallExpr:
					if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "fold" && len(x.Args) > 0 && isStringLit(x.Args[0], id) {
						folds = true
					}
				case *ast.CompositeLit:
					keys := map[string]ast.Expr{}
					for _, el := range x.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							if k, ok := kv.Key.(*ast.Ident); ok {
								keys[k.Name] = kv.Value
							}
						}
					}
					if v, ok := keys["id"]; ok && isStringLit(v, id) && keys["novelty"] != nil {
						novelty = true
					}
				}
				return true
			})
			counts := false
			ast.Inspect(body, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "routineN" {
					counts = true
				}
				return true
			})
			want := routineNone
			switch {
			case folds:
				want = routineDays
			case novelty:
				want = routineNovelty
			case counts:
				want = routineUnflagged
			}
			if d.routine != want {
				t.Errorf("rule %s: routine %s declared, its eval method does %s", id, d.routine, want)
			}
			if (d.routine == routineDays) != strings.Contains(d.Logic, routineText) {
				t.Errorf("rule %s: routine %s, but its Logic does not say so (routineText)", id, d.routine)
			}
		}

		// Tests.
		if len(d.tests) == 0 {
			t.Errorf("rule %s names no test", id)
		}
		seen := map[string]bool{}
		for _, name := range d.tests {
			if seen[name] {
				t.Errorf("rule %s names test %s twice", id, name)
			}
			seen[name] = true
			fd := src.testFunc(name)
			switch {
			case !strings.HasPrefix(name, "Test"):
				t.Errorf("rule %s: %s is not a Test function", id, name)
			case fd == nil:
				t.Errorf("rule %s: test %s not found in this package's _test.go files", id, name)
			case !mentions(fd, id):
				t.Errorf("rule %s: test %s does not mention the rule", id, name)
			}
		}
	}
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func isStringLit(e ast.Expr, s string) bool {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return false
	}
	v, err := strconv.Unquote(bl.Value)
	return err == nil && v == s
}

// ruleFamily is a rule id's family ("CTX" of "CTX-01").
func ruleFamily(id string) string {
	f, _, _ := strings.Cut(id, "-")
	return f
}
