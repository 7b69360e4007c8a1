package rotate_test

import (
	"context"
	"testing"

	"github.com/akresp/akresp/internal/rotate"
)

// The cloud adapter passes the cloud's answers and errors through: a
// failed call is an error, never an empty answer (mutation run, rotate).
func TestCloudAdapterAnswersAndErrors(t *testing.T) {
	env := startLab(t)
	ctx := context.Background()
	good := rotate.FromCloud(env.admin)
	c, err := good.CallerIdentity(ctx)
	if err != nil || c.AccountID == "" || c.Arn == "" {
		t.Fatalf("CallerIdentity = %+v, %v", c, err)
	}
	if _, err := good.AccessKeyLastUsedInfo(ctx, appKey); err != nil {
		t.Fatalf("AccessKeyLastUsedInfo(%s): %v", appKey, err)
	}
	bad := rotate.FromCloud(env.client("LTAI5tNOSUCHKEY000000001", "not-the-secret-00000000000000", ""))
	if c, err := bad.CallerIdentity(ctx); err == nil {
		t.Errorf("CallerIdentity with an unknown key = %+v, want an error", c)
	}
	if i, err := bad.AccessKeyLastUsedInfo(ctx, appKey); err == nil {
		t.Errorf("AccessKeyLastUsedInfo with an unknown key = %+v, want an error", i)
	}
}
