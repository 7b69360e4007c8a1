package watch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/akresp/akresp/internal/lazyre"
	"strconv"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud/slsq"
)

// SLS alert rules (watch --install-sls-alerts): the watch rules written as
// SLS Alert 2.0 rules on the trail's logstore, so that detection keeps
// running inside SLS without akresp. Wire format: CreateAlert ("Create
// alert rules", SLS developer reference, help.aliyun.com/en/sls/
// developer-reference/create-alert: name, displayName, type Alert,
// schedule {type FixedRate, interval}, configuration {version 2.0, type
// default, queryList [{storeType log, project, store, query, timeSpanType,
// start, end}], groupConfiguration, severityConfigurations [{severity,
// evalCondition {condition, countCondition}}], labels, annotations,
// policyConfiguration {alertPolicyId sls.builtin.dynamic, actionPolicyId,
// repeatInterval}}).
//
// What SLS cannot do the way watch does: there is no per-key baseline (the
// frequency rule fires on --threshold alone, like ActionTrail's built-in
// alert) and no de-duplication through the state directory (SLS's
// repeatInterval, set to the window, holds repeats of the same group back).

// SLSAlertParams configure the rules.
type SLSAlertParams struct {
	Target       slsq.Target
	Topic        string
	Interval     time.Duration
	Window       time.Duration
	Threshold    int
	ActionPolicy string
	// SelfUserAgent marks akresp's own calls (default "akresp/").
	SelfUserAgent string
}

// SLSAlertRule is one rule to create.
type SLSAlertRule struct {
	Name      string // SLS alert name (the job name)
	Rule      string // the watch rule it mirrors
	Severity  int    // SLS severity: 8 high, 10 critical
	Query     string
	Condition string
	// Definition is the CreateAlert body.
	Definition json.RawMessage
}

var slsPolicyRe = lazyre.New(`^[A-Za-z0-9._-]{1,128}$`)

// SLSAlertName is the SLS alert name of a watch rule.
func SLSAlertName(rule string) string {
	return "akresp-watch-" + strings.ReplaceAll(rule, "_", "-")
}

// SLSAlertRules returns the rules --install-sls-alerts creates, one per
// watch rule but insight (Insights events are not in the trail).
func SLSAlertRules(p SLSAlertParams) ([]SLSAlertRule, error) {
	if p.Topic == "" {
		p.Topic = audit.DefaultSLSTopic
	}
	if p.SelfUserAgent == "" {
		p.SelfUserAgent = "akresp/"
	}
	if p.Window <= 0 {
		p.Window = DefaultWindow
	}
	if p.Interval <= 0 {
		p.Interval = DefaultInterval
	}
	if p.Threshold <= 0 {
		p.Threshold = DefaultThreshold
	}
	switch {
	case !slsTopicRe.MatchString(p.Topic):
		return nil, fmt.Errorf("sls alerts: topic %q: want letters, digits and _", p.Topic)
	case !slsPolicyRe.MatchString(p.ActionPolicy):
		return nil, fmt.Errorf("sls alerts: action policy %q: want the ID of an SLS action policy (letters, digits, ., _ and -)", p.ActionPolicy)
	case p.Interval%time.Minute != 0 || p.Window%time.Minute != 0:
		return nil, fmt.Errorf("sls alerts: --interval %s and --window %s must be whole minutes", p.Interval, p.Window)
	}
	plan := slsPlan{topic: p.Topic, self: p.SelfUserAgent}
	ak := plan.col("userIdentity.accessKeyId")
	agg := func(search string, having string) string {
		q := search + ` | SELECT ` + ak + ` AS ak, arbitrary(` + plan.col("userIdentity.userName") + `) AS user_name, count(*) AS calls, approx_distinct(` +
			plan.col("sourceIpAddress") + `) AS ips, min(__time__) AS first_seen, max(__time__) AS last_seen FROM log WHERE ` + plan.counted() + ` GROUP BY ` + ak
		if having != "" {
			q += ` HAVING ` + having
		}
		return q + ` ORDER BY calls DESC LIMIT 100`
	}
	type spec struct {
		rule      string
		severity  int
		query     string
		condition string
		what      string
	}
	specs := []spec{
		{RuleFrequency, 8, agg(plan.sel(), `count(*) >= `+strconv.Itoa(p.Threshold)), `calls >= ` + strconv.Itoa(p.Threshold),
			fmt.Sprintf("AccessKey ${ak} made ${calls} calls in %s (threshold %d)", p.Window, p.Threshold)},
		{RuleRootKey, 10, agg(plan.w3(RuleRootKey), ""), `calls > 0`, "root-account AccessKey ${ak} used ${calls} time(s): the root account should have no AccessKey"},
		{RuleTrailStopped, 10, agg(plan.w3(RuleTrailStopped), ""), `calls > 0`, "AccessKey ${ak} stopped or deleted a trail"},
		{RulePersistence, 10, agg(plan.w3(RulePersistence), ""), `calls > 0`, "AccessKey ${ak} created identities or granted permissions"},
		{RuleScanner, 8, agg(plan.w3(RuleScanner), ""), `calls > 0`, "AccessKey ${ak} called by a secret scanner's user agent: the key is probably public"},
	}
	minutes := func(d time.Duration) string { return strconv.Itoa(int(d/time.Minute)) + "m" }
	var out []SLSAlertRule
	for _, s := range specs {
		name := SLSAlertName(s.rule)
		def := map[string]any{
			"name":        name,
			"displayName": "akresp watch: " + s.rule,
			"description": "Written by akresp watch --install-sls-alerts: the " + s.rule + " rule of akresp watch (docs/watch.md) on " + p.Target.String() + ".",
			"type":        "Alert",
			"status":      "Enabled",
			"schedule":    map[string]any{"type": "FixedRate", "interval": minutes(p.Interval)},
			"configuration": map[string]any{
				"version":   "2.0",
				"type":      "default",
				"dashboard": "internal-alert-analysis",
				"queryList": []map[string]any{{
					"storeType": "log", "project": p.Target.Project, "store": p.Target.Logstore, "query": s.query,
					"timeSpanType": "Relative", "start": "-" + minutes(p.Window), "end": "now", "powerSqlMode": "auto",
				}},
				"groupConfiguration":     map[string]any{"type": "custom", "fields": []string{"ak"}},
				"joinConfigurations":     []any{},
				"severityConfigurations": []map[string]any{{"severity": s.severity, "evalCondition": map[string]string{"condition": s.condition, "countCondition": ""}}},
				"labels":                 []map[string]string{{"key": "source", "value": "akresp"}, {"key": "rule", "value": s.rule}},
				"annotations": []map[string]string{
					{"key": "title", "value": "akresp " + s.rule + ": ${ak}"},
					{"key": "desc", "value": s.what + "; investigate: akresp audit ${ak} --since 1d"},
				},
				"autoAnnotation": true,
				"threshold":      1,
				"noDataFire":     false,
				"sendResolved":   false,
				"policyConfiguration": map[string]any{
					"alertPolicyId": "sls.builtin.dynamic", "actionPolicyId": p.ActionPolicy, "repeatInterval": minutes(p.Window),
				},
			},
		}
		// Without HTML escaping: the plan shows "calls >= 100", not
		// "calls \u003e= 100".
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(def); err != nil {
			return nil, err
		}
		out = append(out, SLSAlertRule{Name: name, Rule: s.rule, Severity: s.severity, Query: s.query, Condition: s.condition, Definition: bytes.TrimSpace(b.Bytes())})
	}
	return out, nil
}
