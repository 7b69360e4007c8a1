package cli

import (
	"strings"
	"testing"
	"time"
)

// The plan's last two lines name the windows as they will apply: with
// --quiet-for 0s and --observe 0s there is no period to wait or watch
// ("quiet for 0s", "watch 0s" read as a wait of nothing).
func TestRotatePlanWindows(t *testing.T) {
	const k = "LTAI5tROTATEPLAN0000001"
	for _, tc := range []struct {
		quiet, observe time.Duration
		want           []string
	}{
		{24 * time.Hour, 24 * time.Hour, []string{"the old one quiet for 24h0m0s (legitimate use only): disable the old key " + k,
			"then watch 24h0m0s for legitimate calls failing with it"}},
		{0, 0, []string{"when the new key is in use (--quiet-for 0s: no quiet period asked of the old one): disable the old key " + k,
			"then verify at once that no legitimate call fails with it (--observe 0s: no watch)"}},
	} {
		o := &RotateOptions{KeyID: k, QuietFor: tc.quiet, Observe: tc.observe, SecretFile: "new.json"}
		plan, err := rotatePlan(o, t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(plan, w) {
				t.Errorf("quiet %s observe %s: plan lacks %q:\n%s", tc.quiet, tc.observe, w, plan)
			}
		}
	}
}
