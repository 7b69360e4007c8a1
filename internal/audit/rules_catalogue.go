package audit

import (
	"fmt"
	"slices"
)

// The rule catalogue: one declaration per rule (ruleDef) holds everything
// about it: its documentation (RuleInfo: findings take their title, why and
// ATT&CK ids from it, and docs/rules.md is generated from it), how it
// treats the key's routine, its matching logic, and the tests that exercise
// it. The declarations live in one file per family, in catalogue order:
//
//	rules_ctx.go    CTX-01..09    context of use (root key, hours, sources, agents)
//	rules_enum.go   ENUM-01..08   enumeration and discovery
//	rules_exec.go   EXEC-01..05   code execution
//	rules_pers.go   PERS-01..08   persistence
//	rules_priv.go   PRIV-01..07   privilege change
//	rules_exfil.go  EXFIL-01..05  collection, exposure and exfiltration
//	rules_cost.go   COST-01..04   cost abuse
//	rules_dest.go   DEST-01..07   destruction and lock-out
//	rules_evade.go  EVADE-01..08  defence evasion
//	rules_anom.go   ANOM-01..04   call-rate statistics and new APIs
//	rules_leak.go   USE-AFTER-LEAK
//
// A table rule (a list of sensitive APIs, every matching event evidence)
// is complete in its declaration: table holds its APIs, the parameters its
// evidence quotes and its optional check function, declared next to it in
// the same file. The rules evaluated from the engine's bounded aggregates
// (windows, sequences, statistics, baseline comparisons) keep their
// evaluation where the aggregates are (rules_context.go, rules_window.go,
// rules_anom.go, rules_more_findings.go, follow.go); their declaration
// names the *Engine method that builds their finding (eval). Either way the
// engine stays a stream over aggregates: nothing here keeps events.
//
// TestRuleCatalogue checks the catalogue: every rule id the code can emit
// has exactly one declaration, fully documented and implemented, with a
// routine treatment that matches its code and tests that exist and mention
// it.
type ruleDef struct {
	RuleInfo
	// routine is how the rule treats the key's routine use.
	routine routineMode
	// table is the per-event matcher of a table rule (nil for the others).
	// Its id and sev are the declaration's ID and Severity, and its
	// routine flag is routine == routineKnown; they are filled in when the
	// catalogue is built.
	table *tableRule
	// eval is the method expression of the *Engine method that evaluates a
	// rule from the aggregates (e.g. (*Engine).offHoursFinding), nil for a
	// table rule judged only event by event. Its body names the rule id.
	eval any
	// tests are the test functions of this package that exercise the
	// rule: each exists and mentions the rule id (TestRuleCatalogue).
	tests []string
}

// routineMode is how a rule treats the key's routine use.
type routineMode uint8

const (
	// routineNone: the rule's own conditions compare with the key's
	// history (a new source, API or region, a habit, a dormancy) or
	// describe the key; nothing is counted in routine_count.
	routineNone routineMode = iota
	// routineDays: routine.go's model. Matches from one source network
	// (/24, or VPC) on routineMinDays days or more spanning
	// routineMinSpanDays or more are counted in routine_count and not
	// cited, except on days with more volume or a new target. Every table
	// rule, and the sequence and window rules folded by (*Engine).fold.
	routineDays
	// routineKnown: a read-like table rule. Its evidence from a known,
	// trusted source calling only APIs the key already called before the
	// baseline end is routine and dropped; the rest is judged as
	// routineDays. Such a rule marks no incident onset.
	routineKnown
	// routineNovelty: a burst window of a known, trusted source only fires
	// when it starts after the baseline end and involves something first
	// seen then (windowSpec.novelty).
	routineNovelty
	// routineUnflagged: what sources that are not flagged (or only roam:
	// known reads with a known tool) contributed is counted in
	// routine_count next to a flagged source's evidence, not cited.
	routineUnflagged
)

func (m routineMode) String() string {
	switch m {
	case routineNone:
		return "none"
	case routineDays:
		return "days"
	case routineKnown:
		return "known"
	case routineNovelty:
		return "novelty"
	case routineUnflagged:
		return "unflagged"
	}
	return fmt.Sprintf("routineMode(%d)", uint8(m))
}

// routineText is how the sequence and window rules treat the key's
// routine (routine.go's model, applied to their matches: routineDays).
var routineText = fmt.Sprintf("Routine like the table rules: matches from one source network (/24, or VPC) on %d or more days spanning %d days or more are counted in routine_count and not cited, except on days with more volume or a new target.", routineMinDays, routineMinSpanDays)

// ruleFamilies are the catalogue's families in catalogue order.
var ruleFamilies = [][]ruleDef{
	ctxRules, enumRules, execRules, persRules, privRules, exfilRules,
	costRules, destRules, evadeRules, anomRules, leakRules,
}

// Built from the catalogue by init (not by initialisers: the catalogue
// refers to the *Engine methods that evaluate its rules, which use
// ruleByID).
var (
	// ruleCatalogue is every rule, in catalogue order.
	ruleCatalogue []*ruleDef
	// ruleByID documents each rule by id.
	ruleByID map[string]*RuleInfo
	// tableRules are the table rules, in catalogue order.
	tableRules []*tableRule
	// ruleIndex maps (service, API) to the table rules matching it.
	ruleIndex map[nameKey][]*tableRule
	// deleteRules catch every other Delete* write on RDS, OSS and SLS
	// (the issue asks for "Delete* on RDS/OSS/SLS"), filed under the
	// family's rule.
	deleteRules map[string]*tableRule
	// ruleServices are the services ruleIndex and deleteRules name: the
	// engine keeps them one by one beyond its service limit (Engine.service).
	ruleServices map[string]bool
)

func init() {
	ruleByID = map[string]*RuleInfo{}
	ruleIndex = map[nameKey][]*tableRule{}
	deleteRules = map[string]*tableRule{}
	tables := map[string]*tableRule{}
	for _, fam := range ruleFamilies {
		for i := range fam {
			d := &fam[i]
			if ruleByID[d.ID] != nil {
				panic("audit: rule " + d.ID + " declared twice") // programming error, caught by tests
			}
			ruleCatalogue = append(ruleCatalogue, d)
			ruleByID[d.ID] = &d.RuleInfo
			r := d.table
			if r == nil {
				continue
			}
			r.id, r.sev = d.ID, d.Severity
			r.routine = d.routine == routineKnown
			r.onset = !r.routine && !r.noOnset && r.sev >= High
			tableRules = append(tableRules, r)
			tables[r.id] = r
			for _, a := range r.apis {
				k := nameKey{a.service, a.name}
				ruleIndex[k] = append(ruleIndex[k], r)
			}
		}
	}
	deleteRules["Rds"] = tables["DEST-03"]
	deleteRules["Oss"] = tables["DEST-04"]
	deleteRules["Sls"] = tables["EVADE-03"]
	ruleServices = map[string]bool{}
	for k := range ruleIndex {
		ruleServices[k.svc] = true
	}
	for s := range deleteRules {
		ruleServices[s] = true
	}
}

// Rules returns the documentation of every rule the engine implements, in
// catalogue order.
func Rules() []RuleInfo {
	out := make([]RuleInfo, len(ruleCatalogue))
	for i, d := range ruleCatalogue {
		r := d.RuleInfo
		r.Attack = slices.Clone(r.Attack)
		out[i] = r
	}
	return out
}
