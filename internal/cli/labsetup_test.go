package cli

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/redact"
)

// serveScenario builds the scenario ref (builtin:NAME or a file) at the
// current time and serves it on loopback for the rest of the test.
func serveScenario(t *testing.T, ref string) (*lab.Server, *lab.ScenarioInfo) {
	t.Helper()
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	sc, err := lab.LoadScenario(ref)
	if err != nil {
		t.Fatal(err)
	}
	w, info, err := sc.Build(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := lab.New(lab.Options{World: w})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, info
}

// asLabAdmin points the credential chain of commands run through cli.Run
// at the scenario's responder (admin): explicit keys, no metadata probe, no
// CLI profile, and a lock directory of the test's own.
func asLabAdmin(t *testing.T, info *lab.ScenarioInfo) {
	t.Helper()
	clearAkrespEnv(t)
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	t.Setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
	admin := info.Credentials["admin"]
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", admin.AccessKeyID)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", admin.AccessKeySecret)
	t.Setenv("AKRESP_LOCK_DIR", filepath.Join(t.TempDir(), "locks"))
}

// adminClients returns cloud clients of the scenario's responder (admin)
// against srv, with one attempt per call and the rate limits lifted.
func adminClients(t *testing.T, srv *lab.Server, info *lab.ScenarioInfo, region string) *cloud.Clients {
	t.Helper()
	admin := info.Credentials["admin"]
	c, err := cloud.New(context.Background(), cloud.Config{Endpoint: "http://" + srv.Addr(), Region: region, MaxAttempts: 1, RateScale: 1000,
		Credential: &cloud.StaticCredential{AccessKeyID: admin.AccessKeyID, AccessKeySecret: redact.Secret(admin.AccessKeySecret)}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
