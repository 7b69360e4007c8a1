package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/redact"
	"github.com/akresp/akresp/internal/respond"
)

func TestNewCmdDisableParse(t *testing.T) {
	runParseCases(t, time.Now(), newCmdDisable, []parseCase[DisableOptions]{
		{name: "defaults", args: leakKey, check: func(t *testing.T, o *DisableOptions) {
			if o.mode() != respond.ModeDisable || o.QuietPeriod != 24*time.Hour || o.Observe != 7*24*time.Hour || o.Force {
				t.Errorf("%+v", o)
			}
		}},
		{name: "enable", args: leakKey + " --enable", check: func(t *testing.T, o *DisableOptions) {
			if o.mode() != respond.ModeEnable {
				t.Errorf("mode %s", o.mode())
			}
		}},
		{name: "delete with observe", args: leakKey + " --delete --observe 72h --force", check: func(t *testing.T, o *DisableOptions) {
			if o.mode() != respond.ModeDelete || o.Observe != 72*time.Hour || !o.Force {
				t.Errorf("%+v", o)
			}
		}},
		{name: "enable and delete", args: leakKey + " --enable --delete", wantErr: "contradict", wantCode: ExitUsage},
		{name: "bad key", args: "LTAI-bad", wantErr: "AccessKey ID", wantCode: ExitUsage},
		{name: "zero quiet period", args: leakKey + " --quiet-period 0s", wantErr: "--quiet-period", wantCode: ExitUsage},
		{name: "sts", args: "STS.NUgYrLnoC37mZZCNnAbez2xxx", wantErr: "STS", wantCode: ExitUsage},
	})
}

func TestRunDisableLab(t *testing.T) {
	srv, info, c := leakLab(t)
	dir := t.TempDir()
	run := func(key string, s Settings, mod func(o *DisableOptions)) containRun {
		t.Helper()
		ios, _, out, errOut := TestStreams()
		s.StateDir, s.TZ = dir, time.UTC
		if s.Output == "" {
			s.Output = FormatTable
		}
		o := &DisableOptions{IO: ios, Now: time.Now, KeyID: key, QuietPeriod: 24 * time.Hour, Observe: 7 * 24 * time.Hour,
			Settings: func() (*Settings, error) { return &s, nil },
			Backend:  func(context.Context) (respond.DisableCloud, error) { return c, nil }}
		if mod != nil {
			mod(o)
		}
		err := runDisable(context.Background(), o)
		return containRun{out.String(), errOut.String(), exitCode(err, true), err}
	}

	// reporting is used right now: refused, pointing to rotate.
	rep := info.Credentials["reporting"]
	rc, err := cloud.New(context.Background(), cloud.Config{Endpoint: "http://" + srv.Addr(), MaxAttempts: 1, LocalAddr: info.Notes["office_ip"],
		Credential: &cloud.StaticCredential{AccessKeyID: rep.AccessKeyID, AccessKeySecret: redact.Secret(rep.AccessKeySecret)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rc.ListUsers(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := run(rep.AccessKeyID, Settings{Yes: true}, nil)
	if r.code != ExitSafetyRail || !strings.Contains(r.err.Error(), "akresp rotate") || !strings.Contains(r.out, "from "+info.Notes["office_ip"]) {
		t.Fatalf("in-use key: exit %d %v\n%s", r.code, r.err, r.out)
	}

	idle := info.Credentials["idle-bot"].AccessKeyID
	before := string(srv.StateJSON())
	if r := run(idle, Settings{DryRun: true}, nil); r.code != ExitOK || string(srv.StateJSON()) != before {
		t.Fatalf("dry run: exit %d %v", r.code, r.err)
	}
	if r := run(idle, Settings{}, nil); r.code != ExitUsage {
		t.Fatalf("no tty, no --yes: exit %d", r.code)
	}
	r = run(idle, Settings{Yes: true, Output: FormatJSON}, nil)
	var doc struct {
		SchemaVersion string          `json:"schema_version"`
		Summary       respond.Summary `json:"summary"`
		LastUse       respond.LastUse `json:"last_use"`
	}
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil || r.code != ExitOK {
		t.Fatalf("disable: exit %d %v %v\n%s", r.code, r.err, err, r.out)
	}
	if doc.SchemaVersion != disableSchema || doc.Summary.State != "Inactive" || !doc.LastUse.Found {
		t.Errorf("disable json: %+v", doc)
	}
	// Deleting right away is refused: inside the observation period.
	if r := run(idle, Settings{Yes: true}, func(o *DisableOptions) { o.Delete = true }); r.code != ExitSafetyRail || !strings.Contains(r.err.Error(), "observe") {
		t.Errorf("early delete: exit %d %v", r.code, r.err)
	}
	if r := run(idle, Settings{Yes: true}, func(o *DisableOptions) { o.Enable = true }); r.code != ExitOK || !strings.Contains(r.out, "Active") {
		t.Errorf("enable: exit %d %v\n%s", r.code, r.err, r.out)
	}
	if st := srv.Snapshot().AccessKeys[idle].Status; st != "Active" {
		t.Errorf("lab status after --enable: %s", st)
	}
	// Disable again and delete at once with --force: the delete is
	// irreversible for akresp, and the output says where to restore it.
	if r := run(idle, Settings{Yes: true}, nil); r.code != ExitOK {
		t.Fatalf("disable again: %v", r.err)
	}
	r = run(idle, Settings{Yes: true}, func(o *DisableOptions) { o.Delete = true; o.Force = true })
	if r.code != ExitOK || !strings.Contains(r.out, "IRREVERSIBLE") || !strings.Contains(r.errOut, "can be restored there") {
		t.Fatalf("delete: exit %d %v\n%s\n%s", r.code, r.err, r.out, r.errOut)
	}
	if _, ok := srv.Snapshot().AccessKeys[idle]; ok {
		t.Error("key still in the lab after delete")
	}
	if r := run(info.Credentials["admin"].AccessKeyID, Settings{Yes: true}, func(o *DisableOptions) { o.Force = true }); r.code != ExitSafetyRail || !strings.Contains(r.err.Error(), "self-key") {
		t.Errorf("self key: exit %d %v", r.code, r.err)
	}
}

// disable decides "in use" from legitimate sources only: a key used in the
// last 24h only from a source the incident flagged (journaled evidence
// under --state-dir) is shown as such and can be disabled.
func TestRunDisableAttackerOnlyUse(t *testing.T) {
	srv, info, c := leakLab(t)
	dir := t.TempDir()
	bot := info.Credentials["idle-bot"]
	attacker := info.Notes["attacker_ip"]
	ac, err := cloud.New(context.Background(), cloud.Config{Endpoint: "http://" + srv.Addr(), MaxAttempts: 1, LocalAddr: attacker,
		Credential: &cloud.StaticCredential{AccessKeyID: bot.AccessKeyID, AccessKeySecret: redact.Secret(bot.AccessKeySecret)}})
	if err != nil {
		t.Fatal(err)
	}
	// Refused by RAM or not, the call is a use of the key.
	if _, err := ac.ListUsers(context.Background()); err != nil && !errors.Is(err, cloud.ErrNoPermission) {
		t.Fatal(err)
	}
	run := func() containRun {
		t.Helper()
		ios, _, out, errOut := TestStreams()
		s := Settings{StateDir: dir, TZ: time.UTC, Output: FormatTable, DryRun: true}
		o := &DisableOptions{IO: ios, Now: time.Now, KeyID: bot.AccessKeyID, QuietPeriod: 24 * time.Hour, Observe: 7 * 24 * time.Hour,
			Settings: func() (*Settings, error) { return &s, nil },
			Backend:  func(context.Context) (respond.DisableCloud, error) { return c, nil }}
		err := runDisable(context.Background(), o)
		return containRun{out.String(), errOut.String(), exitCode(err, true), err}
	}
	// Nothing says the source is the attacker: in use.
	if r := run(); r.code != ExitSafetyRail || !strings.Contains(r.err.Error(), "key-in-use") {
		t.Fatalf("without evidence: exit %d %v\n%s", r.code, r.err, r.out)
	}
	// The audit flagged it.
	if err := incident.AppendEvidence(dir, bot.AccessKeyID, "audit", incident.Evidence{Verdict: "suspected_leak",
		Flagged: []netip.Addr{netip.MustParseAddr(attacker)}}, time.Now); err != nil {
		t.Fatal(err)
	}
	r := run()
	if r.code != ExitOK || !strings.Contains(r.out, "used in the last 24h0m0s only from flagged sources: "+attacker) || !strings.Contains(r.out, "Last legitimate use:") {
		t.Fatalf("attacker-only use: exit %d %v\n%s", r.code, r.err, r.out)
	}
}

// A rotation disabled its old key: `disable KEY --delete` counts the
// observation period from the rotation's disable (not "no journal says
// when it was disabled") and points at `rotate KEY --delete`, which
// deletes the key and completes the rotation.
func TestRunDisableDeleteRotatedKey(t *testing.T) {
	_, info, c := leakLab(t)
	dir := t.TempDir()
	old := info.Credentials["idle-bot"].AccessKeyID
	if _, err := c.UpdateAccessKeyStatus(context.Background(), "idle-bot", old, "Inactive"); err != nil {
		t.Fatal(err)
	}
	disabled := time.Now().Add(-10 * time.Minute).UTC().Truncate(time.Second)
	j, err := journal.Open(dir, old, "rotate", func() time.Time { return disabled })
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(journal.Record{Time: disabled, Kind: journal.KindOutcome, Result: journal.ResultOK, Action: "disable-old-key", Target: old, ActionID: "disable-old-key"}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	st := fmt.Sprintf(`{"key_id":%q,"step":"verified","new_key_id":"LTAI5tNEWKEY000000000001","started_at":%q,"disabled_at":%q}`,
		old, disabled.Add(-time.Hour).Format(time.RFC3339), disabled.Format(time.RFC3339))
	if err := os.WriteFile(filepath.Join(dir, old, "rotation.json"), []byte(st), 0o600); err != nil {
		t.Fatal(err)
	}
	ios, _, out, _ := TestStreams()
	s := Settings{StateDir: dir, TZ: time.UTC, Output: FormatTable, DryRun: true}
	o := &DisableOptions{IO: ios, Now: time.Now, KeyID: old, Delete: true, QuietPeriod: 24 * time.Hour, Observe: 7 * 24 * time.Hour,
		Settings: func() (*Settings, error) { return &s, nil },
		Backend:  func(context.Context) (respond.DisableCloud, error) { return c, nil }}
	err = runDisable(context.Background(), o)
	if code := exitCode(err, true); code != ExitSafetyRail || !strings.Contains(err.Error(), "was disabled 10m0s ago ("+disabled.Format(time.RFC3339)+")") {
		t.Errorf("exit %d %v: want the observe-period rail counted from the rotation's disable", code, err)
	}
	if want := "the old key of a rotation at step verified (new key LTAI5tNEWKEY000000000001): `akresp rotate " + old + " --delete` deletes it and completes the rotation"; !strings.Contains(out.String(), want) {
		t.Errorf("plan:\n%s\nwant the note %q", out.String(), want)
	}
}
