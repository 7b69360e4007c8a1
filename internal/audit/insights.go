package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/akresp/akresp/internal/cloud"
)

// ActionTrail Insights in the online audit (issue 18): the Insights events
// whose analysis object is the audited key (AkInsight, ApiErrorRateInsight)
// become findings INSIGHT-<TYPE>, each citing the Insights event ID as its
// evidence. Insights are read after the rules, as a separate step, and do
// not change the verdict's inputs.

// InsightReader reads ActionTrail Insights events (satisfied by
// *cloud.Clients).
type InsightReader interface {
	LookupInsightEvents(ctx context.Context, q cloud.InsightQuery) ([]cloud.InsightEvent, error)
}

// insightFindingIDs name the finding of each Insights type.
var insightFindingIDs = map[string]struct {
	id       string
	severity Severity
	title    string
}{
	"AkInsight":           {"INSIGHT-AK", High, "ActionTrail Insights: abnormal call rate of this AccessKey (AkInsight)"},
	"ApiErrorRateInsight": {"INSIGHT-ERR", Medium, "ActionTrail Insights: abnormal error rate (ApiErrorRateInsight)"},
}

// insightMaxSpan is how far back LookupInsightEvents reaches.
const insightMaxSpan = 93 * 24 * time.Hour

// addInsightFindings appends the key's Insights findings to r. A failure
// to read Insights is a diagnostic, never an error: Insights may be off.
func addInsightFindings(ctx context.Context, c any, online bool, r *Result) {
	ir, ok := c.(InsightReader)
	if !online || !ok || r == nil || r.Key.AccessKeyID == "" {
		return
	}
	since, until := r.Window.Since, r.Window.Until
	if until.IsZero() {
		until = time.Now().UTC()
	}
	if since.IsZero() || until.Sub(since) > insightMaxSpan {
		since = until.Add(-insightMaxSpan)
	}
	evs, err := ir.LookupInsightEvents(ctx, cloud.InsightQuery{AttributeKey: "InsightObject", AttributeValue: r.Key.AccessKeyID, Start: since, End: until})
	if err != nil {
		r.Diagnostics = append(r.Diagnostics, Diagnostic{Level: "warning", Source: "ActionTrail Insights",
			Summary: "Insights events were not read (is Insights enabled? akresp preflight checks)", Detail: err.Error()})
		return
	}
	for _, ie := range evs {
		spec, ok := insightFindingIDs[ie.Type]
		if !ok || ie.Object != r.Key.AccessKeyID {
			continue
		}
		f := Finding{ID: spec.id, Severity: spec.severity, Title: spec.title, Count: max(ie.InsightCount, 1),
			First: ie.Time, Last: ie.Time, IPs: []string{}, Attack: []string{},
			Why: fmt.Sprintf("ActionTrail Insights event %s (%s, %s): %d calls in %s against a baseline of %.1f; related event %s",
				ie.EventID, ie.Type, ie.State, ie.InsightCount, ie.Duration, ie.Baseline, ie.SharedEventID),
			Evidence: []EvidenceRef{{EventID: ie.EventID, Time: ie.Time, Name: ie.Type, Service: "Actiontrail",
				Detail: "insight_event_id=" + ie.EventID + " shared_event_id=" + ie.SharedEventID}},
		}
		r.Findings = append(r.Findings, f)
	}
}
