package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/redact"
)

// The attacker works in us-west-1 and eu-central-1, the responder's
// --region is cn-hangzhou: the lab's cn-hangzhou endpoint alone does not
// return the RunInstances calls, the audit reads every region and finds
// both, and the cost findings name the regions.
func TestAuditReadsEveryRegion(t *testing.T) {
	env := startLab(t, "../../testdata/scenarios/regional.json", lab.Options{})
	leaked := env.info.Notes["leaked_key_id"]
	admin := env.clients(t, "admin", cloud.Config{Region: "cn-hangzhou"})
	ctx := context.Background()

	runIn := func(region string) []string { // regions of the RunInstances events one endpoint returns
		var got []string
		q := cloud.LookupQuery{AttributeKey: "EventAccessKeyId", AttributeValue: leaked, Start: env.now.Add(-29 * 24 * time.Hour), End: env.now.Add(time.Minute)}
		err := admin.LookupEventsIn(ctx, region, q, func(page []json.RawMessage) error {
			for _, raw := range page {
				var e struct{ EventName, AcsRegion string }
				if err := json.Unmarshal(raw, &e); err != nil {
					return err
				}
				if e.EventName == "RunInstances" {
					got = append(got, e.AcsRegion)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("LookupEventsIn %s: %v", region, err)
		}
		return got
	}
	if got := runIn("cn-hangzhou"); len(got) != 0 {
		t.Fatalf("the cn-hangzhou endpoint returned RunInstances in %v; the scenario needs them elsewhere", got)
	}
	if got := runIn("us-west-1"); !slices.Equal(got, []string{"us-west-1"}) {
		t.Fatalf("the us-west-1 endpoint returned RunInstances in %v", got)
	}

	for _, tc := range []struct {
		name    string
		regions string
		basis   string
	}{
		{"default (every region)", "", audit.RegionsAll},
		{"all", "all", audit.RegionsAll},
	} {
		t.Run(tc.name, func(t *testing.T) {
			regions, err := audit.ParseRegions(tc.regions)
			if err != nil {
				t.Fatal(err)
			}
			res, err := audit.Investigate(ctx, admin, audit.InvestigateOptions{
				Engine: audit.Options{KeyID: leaked, Now: time.Now()}, Online: true, Regions: regions,
			})
			if err != nil {
				t.Fatal(err)
			}
			rr := res.Window.Regions
			if rr == nil || rr.Basis != tc.basis || len(rr.Failed) != 0 ||
				!slices.Contains(rr.Read, "cn-hangzhou") || !slices.Contains(rr.Read, "us-west-1") || !slices.Contains(rr.Read, "eu-central-1") {
				t.Fatalf("regions read = %+v", rr)
			}
			runs := map[string]bool{}
			var cost *audit.Finding
			for i, f := range res.Findings {
				for _, ev := range f.Evidence {
					if ev.Name == "RunInstances" {
						runs[ev.EventID] = true
					}
				}
				if f.ID == "COST-02" {
					cost = &res.Findings[i]
				}
			}
			if len(runs) != 2 {
				t.Errorf("findings cite %d RunInstances events, want the two (us-west-1, eu-central-1)", len(runs))
			}
			if cost == nil {
				t.Fatalf("no COST-02 (new region) finding: %v", res.Findings)
			}
			if txt := cost.Title + " " + cost.Why; !strings.Contains(txt, "us-west-1") || !strings.Contains(txt, "eu-central-1") {
				t.Errorf("COST-02 does not name both regions: %q", txt)
			}
			// The regions read, as the renderers' "Regions" line shows them
			// (internal/cli windowFacts).
			read := res.Window.Regions
			for _, want := range []string{"eu-central-1", "us-west-1"} {
				if read == nil || !slices.Contains(read.Read, want) || !strings.Contains(read.Summary(), want) {
					t.Errorf("region %s is not among the regions read: %+v", want, read)
				}
			}
		})
	}

	// "used" reads the configured region and the regions of the key's
	// last-used records: RunInstances' latest use is in eu-central-1. (Its
	// earlier use in us-west-1 is not in the last-used records; that is why
	// the default reads every region.)
	used, err := audit.Investigate(ctx, admin, audit.InvestigateOptions{
		Engine: audit.Options{KeyID: leaked, Now: time.Now()}, Online: true, Regions: []string{audit.RegionsUsed},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rr := used.Window.Regions; rr == nil || rr.Basis != audit.RegionsUsed || !slices.Contains(rr.Read, "cn-hangzhou") || !slices.Contains(rr.Read, "eu-central-1") {
		t.Fatalf("regions read with --regions used = %+v", rr)
	}

	// An explicit list is read as given; a bad one is refused.
	if _, err := audit.ParseRegions("us-west-1,Mars"); err == nil || !strings.Contains(err.Error(), `"Mars"`) {
		t.Errorf("ParseRegions accepted a bad region: %v", err)
	}
	res, err := audit.Investigate(ctx, admin, audit.InvestigateOptions{
		Engine: audit.Options{KeyID: leaked, Now: time.Now()}, Online: true, Regions: []string{"cn-hangzhou"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rr := res.Window.Regions; rr == nil || rr.Basis != "list" || !slices.Equal(rr.Read, []string{"cn-hangzhou"}) {
		t.Fatalf("regions read with --regions cn-hangzhou = %+v", rr)
	}
}

// When the configured region fails, the audit fails with the cloud's own
// error (errors.As finds the *cloud.APIError, so the CLI's hints still
// apply) and does not wait for the other regions.
func TestRegionsHomeFailureKeepsTheCloudError(t *testing.T) {
	env := startLab(t, "../../testdata/scenarios/regional.json", lab.Options{})
	cred := env.info.Credentials["admin"]
	c, err := cloud.New(context.Background(), cloud.Config{Endpoint: "http://" + env.srv.Addr(), Region: "cn-hangzhou", RateScale: 1000, MaxAttempts: 1, Version: "test",
		Credential: &cloud.StaticCredential{AccessKeyID: cred.AccessKeyID, AccessKeySecret: redact.Secret("not-the-secret-at-all-000000")}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = audit.Investigate(context.Background(), c, audit.InvestigateOptions{
		Engine: audit.Options{KeyID: env.info.Notes["leaked_key_id"], Now: time.Now()}, Online: true, Regions: []string{audit.RegionsAll},
	})
	var ae *cloud.APIError
	if !errors.As(err, &ae) || ae.Code != "SignatureDoesNotMatch" || !strings.Contains(err.Error(), "region cn-hangzhou") {
		t.Fatalf("err = %v, want the cn-hangzhou SignatureDoesNotMatch APIError", err)
	}
}
