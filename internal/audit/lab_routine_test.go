package audit_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
)

// TestLabLeakRoutineAware: on builtin:leak, through the SDK against the
// lab, the routine-aware engine keeps the verdict, the attacker's address
// and the identities it created, and the office's routine reads appear in
// no finding's evidence (they may only be counted as routine).
func TestLabLeakRoutineAware(t *testing.T) {
	env := startLab(t, "builtin:leak", lab.Options{})
	notes := env.info.Notes
	leaked, attacker, office := notes["leaked_key_id"], notes["attacker_ip"], notes["office_ip"]
	admin := env.clients(t, "admin", cloud.Config{})
	r, err := audit.Investigate(context.Background(), admin, audit.InvestigateOptions{
		Engine: audit.Options{KeyID: leaked, Now: time.Now()},
		Online: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict.Status != audit.StatusSuspectedLeak || r.Verdict.Severity != audit.Critical {
		t.Fatalf("verdict %s %s, want suspected_leak critical; findings %v", r.Verdict.Status, r.Verdict.Severity, findingIDs(r))
	}
	var flagged []string
	for _, s := range r.Sources {
		if s.Flagged {
			flagged = append(flagged, s.IP)
		}
	}
	if !slices.Equal(flagged, []string{attacker}) {
		t.Errorf("flagged sources %v, want only the attacker %s", flagged, attacker)
	}
	var user, key bool
	for _, c := range r.Created {
		user = user || (c.Kind == audit.KindUser && c.Name == notes["created_user"])
		key = key || (c.Kind == audit.KindAccessKey && c.Name == notes["created_key_id"])
	}
	if !user || !key {
		t.Errorf("created identities %+v lack %s and %s", r.Created, notes["created_user"], notes["created_key_id"])
	}
	officeEvents := 0
	for _, s := range r.Sources {
		if s.IP == office {
			officeEvents = s.Count
		}
	}
	if officeEvents == 0 {
		t.Fatalf("the scenario's office %s made no call with the key", office)
	}
	for _, f := range r.Findings {
		for _, ev := range f.Evidence {
			if ev.SourceIP == office {
				t.Errorf("finding %s %s cites the office's %s %s (event %s)", f.ID, f.Severity, ev.Service, ev.Name, ev.EventID)
			}
		}
		// Evidence lists the flagged sources first.
		seenOther := false
		for _, ev := range f.Evidence {
			if ev.SourceIP != attacker {
				seenOther = true
			} else if seenOther && f.ID != "PERS-05" {
				t.Errorf("finding %s lists the attacker's event %s after another source's", f.ID, ev.EventID)
				break
			}
		}
		if f.Count < len(f.Evidence) || f.EvidenceOmitted != max(0, f.Count-len(f.Evidence)) {
			t.Errorf("finding %s: count %d, %d evidence, %d omitted", f.ID, f.Count, len(f.Evidence), f.EvidenceOmitted)
		}
	}
}
