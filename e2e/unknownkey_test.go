package e2e

import (
	"path/filepath"
	"regexp"
	"testing"

	"github.com/akresp/akresp/internal/lab"
)

// A typo'd AccessKey ID gets the same answer from every command that acts
// on a key: exit 1, "no AccessKey <id> in account <account>" with the
// request that said so, and never a verdict, a plan or a change.
func TestUnknownKeySameAnswerEverywhere(t *testing.T) {
	t.Parallel()
	l := startInproc(t, "builtin:leak", lab.Options{})
	const typo = "LTAI5tAPPPRODLEAKED0000I" // one character off the leaked key
	before := normalState(t, l)
	want := regexp.MustCompile(`(?m)^akresp: no AccessKey ` + typo + ` in account ` + l.info.AccountID + ` \(request [0-9A-F-]{36}\): check the key ID`)
	for _, args := range [][]string{
		{"audit", typo},
		{"contain", typo, "--allow-ip", l.note(t, "office_cidr"), "--yes"},
		{"disable", typo, "--yes"},
		{"rotate", typo, "--secret-file", filepath.Join(l.dir, "new.json"), "--yes"},
		{"report", typo, "--out", filepath.Join(l.dir, "report")},
	} {
		r := l.run(t, "admin", args...)
		if r.code != 1 || !want.MatchString(r.stderr) {
			t.Errorf("want exit 1 and %q:\n%s", want, r)
		}
		if r.stdout != "" {
			t.Errorf("%s printed a result for a key that does not exist:\n%s", args[0], r)
		}
	}
	if after := normalState(t, l); after != before {
		t.Errorf("commands on an unknown key changed the lab")
	}
}
