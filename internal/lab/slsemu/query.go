package slsemu

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// SLS limits the emulator enforces (sls-pushdown.md section 3.3).
const (
	DefaultSQLLimit = 100
	MaxSQLLimit     = 1_000_000
	MaxPageLimit    = 10_000 // x in LIMIT y, x
	MaxLines        = 100    // line of a search-only request
	maxConditions   = 30
)

// queryError is answered as 400 InvalidQueryString.
type queryError struct{ msg string }

func (e *queryError) Error() string { return e.msg }

func qerr(format string, args ...any) error { return &queryError{msg: fmt.Sprintf(format, args...)} }

// splitQuery cuts "search | sql" at the first top-level "|" (outside
// quotes). sql is "" for a search-only query.
func splitQuery(q string) (search, sqlPart string, hasSQL bool) {
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '|':
			return strings.TrimSpace(q[:i]), strings.TrimSpace(q[i+1:]), true
		}
	}
	return strings.TrimSpace(q), "", false
}

// ---- search part ----

type stok struct {
	kind   byte // 'w' word, 'q' quoted, '(' ')' ':'
	text   string
	quoted bool
}

func lexSearch(s string) ([]stok, error) {
	var out []stok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == ':':
			out = append(out, stok{kind: c, text: string(c)})
			i++
		case c == '"':
			j := i + 1
			var b strings.Builder
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, qerr("search: unterminated quote at offset %d", i)
			}
			out = append(out, stok{kind: 'q', text: b.String(), quoted: true})
			i = j + 1
		case c == '>' || c == '<' || c == '=' || c == '[' || c == ']' || c == '\'':
			return nil, qerr("search: operator %q is outside the subset the lab accepts (key: value, key: *, and/or/not, parentheses)", string(c))
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r():\"", rune(s[j])) {
				j++
			}
			out = append(out, stok{kind: 'w', text: s[i:j]})
			i = j
		}
	}
	return out, nil
}

// searchCompiler turns the search tokens into a DuckDB predicate.
type searchCompiler struct {
	toks  []stok
	pos   int
	ls    *logstore
	conds int
}

func compileSearch(ls *logstore, s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", qerr("search: an analytic statement needs a search part (use *)")
	}
	toks, err := lexSearch(s)
	if err != nil {
		return "", err
	}
	c := &searchCompiler{toks: toks, ls: ls}
	pred, err := c.or()
	if err != nil {
		return "", err
	}
	if c.pos < len(c.toks) {
		return "", qerr("search: unexpected %q", c.toks[c.pos].text)
	}
	if c.conds > maxConditions {
		return "", qerr("search: %d conditions; SLS allows at most %d", c.conds, maxConditions)
	}
	return pred, nil
}

func (c *searchCompiler) peekWord(w string) bool {
	return c.pos < len(c.toks) && c.toks[c.pos].kind == 'w' && strings.EqualFold(c.toks[c.pos].text, w)
}

func (c *searchCompiler) or() (string, error) {
	left, err := c.and()
	if err != nil {
		return "", err
	}
	for c.peekWord("or") {
		c.pos++
		right, err := c.and()
		if err != nil {
			return "", err
		}
		left = "(" + left + " OR " + right + ")"
	}
	return left, nil
}

func (c *searchCompiler) and() (string, error) {
	left, err := c.unary()
	if err != nil {
		return "", err
	}
	for c.pos < len(c.toks) && !c.peekWord("or") && c.toks[c.pos].kind != ')' {
		if c.peekWord("and") {
			c.pos++
		}
		right, err := c.unary()
		if err != nil {
			return "", err
		}
		left = "(" + left + " AND " + right + ")"
	}
	return left, nil
}

func (c *searchCompiler) unary() (string, error) {
	if c.pos >= len(c.toks) {
		return "", qerr("search: unexpected end of the search part")
	}
	t := c.toks[c.pos]
	switch {
	case c.peekWord("not"):
		c.pos++
		inner, err := c.unary()
		if err != nil {
			return "", err
		}
		return "(NOT coalesce(" + inner + ", false))", nil
	case t.kind == '(':
		c.pos++
		inner, err := c.or()
		if err != nil {
			return "", err
		}
		if c.pos >= len(c.toks) || c.toks[c.pos].kind != ')' {
			return "", qerr("search: missing )")
		}
		c.pos++
		return inner, nil
	case t.kind == 'w' && t.text == "*":
		c.pos++
		return "true", nil
	case (t.kind == 'w' || t.kind == 'q') && c.pos+1 < len(c.toks) && c.toks[c.pos+1].kind == ':':
		c.pos += 2
		if c.pos >= len(c.toks) || (c.toks[c.pos].kind != 'w' && c.toks[c.pos].kind != 'q') {
			return "", qerr("search: %s: needs a value", t.text)
		}
		v := c.toks[c.pos]
		c.pos++
		return c.term(t.text, v)
	case t.kind == 'w' && (strings.EqualFold(t.text, "and") || strings.EqualFold(t.text, "or")):
		return "", qerr("search: %q without a left operand", t.text)
	}
	return "", qerr("search: %q: the lab accepts only key: value terms (full-text search is outside the subset)", t.text)
}

// delimClass is SLS's default token delimiters as a regexp class.
const delimClass = `[\s,'";=()\[\]{}?@&<>/:]`

func (c *searchCompiler) term(key string, v stok) (string, error) {
	c.conds++
	lk := strings.ToLower(key)
	if !c.ls.keySet[lk] {
		return "", qerr("search: key %q is not indexed in logstore %s", key, c.ls.name)
	}
	col := `"` + c.ls.colName(lk) + `"`
	if !v.quoted && v.text == "*" {
		return "(" + col + " IS NOT NULL AND " + col + " <> '')", nil
	}
	val := strings.ToLower(v.text)
	if strings.HasPrefix(val, "*") || strings.HasPrefix(val, "?") {
		return "", qerr("search: %s: a value cannot start with a wildcard", key)
	}
	if v.quoted {
		if strings.ContainsAny(val, "*?") {
			return "", qerr("search: %s: wildcards are not allowed in a quoted phrase", key)
		}
	}
	// Tokens of the value, joined by delimiters (a phrase).
	toks := regexp.MustCompile(delimClass+"+").Split(val, -1)
	var parts []string
	for _, t := range toks {
		if t == "" {
			continue
		}
		var b strings.Builder
		for _, r := range t {
			switch r {
			case '*':
				b.WriteString(`[^\s,'";=()\[\]{}?@&<>/:]*`)
			case '?':
				b.WriteString(`[^\s,'";=()\[\]{}?@&<>/:]`)
			default:
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		parts = append(parts, b.String())
	}
	if len(parts) == 0 {
		return "", qerr("search: %s: empty value", key)
	}
	pat := `(^|` + delimClass + `)` + strings.Join(parts, delimClass+`+`) + `($|` + delimClass + `)`
	return "sls_match(" + col + ", " + sqlString(pat) + ")", nil
}

func (ls *logstore) colName(lower string) string {
	for _, k := range append([]string{"__topic__", "__source__"}, ls.keys...) {
		if strings.ToLower(k) == lower {
			return k
		}
	}
	return lower
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// ---- analytic part ----

// allowedFuncs are the functions SLS and DuckDB both have and treat the same
// way (sls-pushdown.md section 0), plus the SLS ones the emulator defines.
var allowedFuncs = map[string]bool{
	"count": true, "count_if": true, "min": true, "max": true, "sum": true, "avg": true,
	"approx_distinct": true, "arbitrary": true, "array_agg": true, "histogram": true,
	"min_by": true, "max_by": true, "coalesce": true, "cast": true, "try_cast": true,
	"json_extract_scalar": true, "lower": true, "upper": true, "length": true, "ip_to_domain": true,
}

// keywords that may precede "(" without being a function.
var parenKeywords = map[string]bool{"in": true, "and": true, "or": true, "not": true, "from": true, "as": true, "by": true, "select": true, "where": true, "having": true, "then": true, "else": true, "when": true, "on": true, "distinct": true, "exists": true}

type sqlTok struct {
	kind  byte // 'i' ident, 'q' quoted ident, 's' string, 'n' number, 'p' punct
	text  string
	start int
	end   int
	depth int
}

func lexSQL(s string) ([]sqlTok, error) {
	var out []sqlTok
	depth := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'' || c == '"':
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c {
						j++
						continue
					}
					break
				}
			}
			if j >= len(s) {
				return nil, qerr("sql: unterminated %c at offset %d", c, i)
			}
			k := byte('s')
			if c == '"' {
				k = 'q'
			}
			out = append(out, sqlTok{kind: k, text: s[i : j+1], start: i, end: j + 1, depth: depth})
			i = j + 1
		case c == '-' && i+1 < len(s) && s[i+1] == '-', c == '/' && i+1 < len(s) && s[i+1] == '*':
			return nil, qerr("sql: comments are not accepted")
		case c == ';':
			return nil, qerr("sql: ';' is not accepted (one statement, no session settings)")
		case unicode.IsLetter(rune(c)) || c == '_':
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '_') {
				j++
			}
			out = append(out, sqlTok{kind: 'i', text: s[i:j], start: i, end: j, depth: depth})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			out = append(out, sqlTok{kind: 'n', text: s[i:j], start: i, end: j, depth: depth})
			i = j
		default:
			if c == '(' {
				depth++
			}
			out = append(out, sqlTok{kind: 'p', text: string(c), start: i, end: i + 1, depth: depth})
			if c == ')' {
				depth--
				if depth < 0 {
					return nil, qerr("sql: unbalanced )")
				}
			}
			i++
		}
	}
	if depth != 0 {
		return nil, qerr("sql: unbalanced (")
	}
	return out, nil
}

// rewriteSQL checks the analytic statement against the subset and returns
// the DuckDB text: default LIMIT added, "LIMIT y, x" rewritten.
func rewriteSQL(s string) (string, error) {
	toks, err := lexSQL(s)
	if err != nil {
		return "", err
	}
	if len(toks) == 0 || !strings.EqualFold(toks[0].text, "select") {
		return "", qerr("sql: the analytic statement must be a SELECT")
	}
	fromLog := false
	topLimit := -1
	for i, t := range toks {
		if t.kind != 'i' {
			continue
		}
		low := strings.ToLower(t.text)
		next := ""
		if i+1 < len(toks) {
			next = toks[i+1].text
		}
		if next == "(" && !parenKeywords[low] && !allowedFuncs[low] {
			return "", qerr("sql: function %s is not supported (the lab accepts only %s)", t.text, funcList())
		}
		switch low {
		case "from":
			switch {
			case strings.EqualFold(next, "log"):
				fromLog = true
			case next == "(":
			default:
				return "", qerr("sql: FROM %s: the only table is log", next)
			}
		case "limit":
			if t.depth == 0 {
				topLimit = i
			} else if i+2 < len(toks) && toks[i+2].text == "," {
				return "", qerr("sql: LIMIT y, x is not allowed in a subquery")
			}
		case "date_trunc", "date_format", "time_series", "from_unixtime":
			return "", qerr("sql: %s depends on the project time zone; the lab does not accept it", t.text)
		}
	}
	if !fromLog {
		return "", qerr("sql: the statement must read FROM log")
	}
	if topLimit < 0 {
		return s + " LIMIT " + strconv.Itoa(DefaultSQLLimit), nil
	}
	lt := toks[topLimit]
	rest := toks[topLimit+1:]
	switch {
	case len(rest) == 1 && rest[0].kind == 'n':
		n, err := strconv.Atoi(rest[0].text)
		if err != nil || n > MaxSQLLimit {
			return "", qerr("sql: LIMIT %s exceeds SLS's %d", rest[0].text, MaxSQLLimit)
		}
		return s, nil
	case len(rest) == 3 && rest[0].kind == 'n' && rest[1].text == "," && rest[2].kind == 'n':
		y, err1 := strconv.Atoi(rest[0].text)
		x, err2 := strconv.Atoi(rest[2].text)
		if err1 != nil || err2 != nil || x > MaxPageLimit || x+y > MaxSQLLimit {
			return "", qerr("sql: LIMIT %s, %s: SLS allows x <= %d and x + y <= %d", rest[0].text, rest[2].text, MaxPageLimit, MaxSQLLimit)
		}
		return s[:lt.start] + "LIMIT " + rest[2].text + " OFFSET " + rest[0].text, nil
	}
	return "", qerr("sql: LIMIT must end the statement as LIMIT x or LIMIT y, x")
}

func funcList() string {
	var names []string
	for n := range allowedFuncs {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
