package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// report --dry-run writes nothing anywhere: not the report, not the
// evidence, not the state directory, not the --out directory, not the
// working directory. It prints the files a run would write on stdout.
func TestReportDryRunWritesNothing(t *testing.T) {
	clearAkrespEnv(t)
	root := t.TempDir()
	stateDir := filepath.Join(root, "state")
	outDir := filepath.Join(root, "out")
	t.Chdir(root)
	for _, args := range [][]string{
		{"report", "LTAI5tLEAKEDleaked000000", "--dry-run", "--state-dir", stateDir},
		{"report", "LTAI5tLEAKEDleaked000000", "--dry-run", "--state-dir", stateDir, "--out", outDir, "-o", "json"},
	} {
		te := newTestFactory(t)
		if code := Run(context.Background(), te.f, args); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, te.errOut)
		}
		if te.cloudCalls != 0 {
			t.Errorf("%v: dry run asked for the cloud", args)
		}
		if !strings.Contains(te.out.String(), "would write ") || !strings.Contains(te.out.String(), "-report.") {
			t.Errorf("%v: no plan on stdout: %q", args, te.out)
		}
		entries, err := os.ReadDir(root)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			t.Errorf("%v: dry run created %s", args, e.Name())
		}
	}
}
