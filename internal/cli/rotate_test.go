package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/redact"
	"github.com/akresp/akresp/internal/rotate"
)

const rotKey = "LTAI5tSMALLAPP0000000001"

func TestNewCmdRotateParse(t *testing.T) {
	runParseCases(t, time.Now(), newCmdRotate, []parseCase[RotateOptions]{
		{name: "defaults", args: rotKey + " --secret-file k.json", check: func(t *testing.T, o *RotateOptions) {
			if o.KeyID != rotKey || o.SecretFile != "k.json" || o.QuietFor != 24*time.Hour || o.Observe != 24*time.Hour || o.Wait {
				t.Errorf("%+v", o)
			}
		}},
		{name: "wait and durations", args: rotKey + " --wait --quiet-for 0s --observe 1s --poll-interval 5s", check: func(t *testing.T, o *RotateOptions) {
			if !o.Wait || o.QuietFor != 0 || o.Observe != time.Second || o.PollInterval != 5*time.Second {
				t.Errorf("%+v", o)
			}
		}},
		{name: "rollback delete-new", args: rotKey + " --rollback --delete-new", check: func(t *testing.T, o *RotateOptions) {
			if !o.Rollback || !o.DeleteNew {
				t.Errorf("%+v", o)
			}
		}},
		{name: "flags given are marked", args: rotKey + " --wait --quiet-for 10s --no-inherit-acl", check: func(t *testing.T, o *RotateOptions) {
			if !o.QuietForSet || o.ObserveSet || !o.NoInheritACL {
				t.Errorf("%+v", o)
			}
		}},
		{name: "flags not given are not", args: rotKey + " --wait", check: func(t *testing.T, o *RotateOptions) {
			if o.QuietForSet || o.ObserveSet || o.NoInheritACL {
				t.Errorf("%+v", o)
			}
		}},
		{name: "no-inherit-acl with status", args: rotKey + " --status --no-inherit-acl", wantErr: "--no-inherit-acl only applies", wantCode: ExitUsage},
		{name: "bad key", args: "not-a-key", wantErr: "an AccessKey ID is LTAI followed by 20 letters or digits", wantCode: ExitUsage},
		{name: "two exits", args: rotKey + " --secret-file a --secret-stdout", wantErr: "exactly one exit", wantCode: ExitUsage},
		{name: "exit with status", args: rotKey + " --status --exec cat", wantErr: "only apply when creating", wantCode: ExitUsage},
		{name: "two modes", args: rotKey + " --status --delete", wantErr: "separate steps", wantCode: ExitUsage},
		{name: "delete-new alone", args: rotKey + " --delete-new", wantErr: "only goes with --rollback", wantCode: ExitUsage},
		{name: "wait with rollback", args: rotKey + " --rollback --wait", wantErr: "--wait applies", wantCode: ExitUsage},
		{name: "negative quiet", args: rotKey + " --quiet-for -1s", wantErr: "must not be negative", wantCode: ExitUsage},
		{name: "zero poll", args: rotKey + " --poll-interval 0s", wantErr: "must be positive", wantCode: ExitUsage},
	})
}

// TestRunRotateLab runs the command against the lab: the secret reaches
// only the chosen file; stdout holds one JSON document; stderr names the
// caller and the endpoint before anything changes.
func TestRunRotateLab(t *testing.T) {
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	sc, err := lab.LoadScenario(filepath.Join("..", "..", "testdata", "scenarios", "small.json"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	clock := func() time.Time { now = now.Add(time.Millisecond); return now }
	w, info, err := sc.Build(now)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := lab.New(lab.Options{World: w, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	admin := info.Credentials["admin"]
	c, err := cloud.New(context.Background(), cloud.Config{Endpoint: "http://" + srv.Addr(), MaxAttempts: 1, RateScale: 1000,
		Credential: &cloud.StaticCredential{AccessKeyID: admin.AccessKeyID, AccessKeySecret: redact.Secret(admin.AccessKeySecret)}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "new.json")
	run := func(output string, mod func(o *RotateOptions)) (string, string, error) {
		ios, _, out, errOut := TestStreams()
		o := &RotateOptions{IO: ios, Now: clock, QuietFor: 0, Observe: time.Hour, PollInterval: time.Minute, ExecTimeout: time.Minute, KeyID: rotKey,
			Settings: func() (*Settings, error) {
				return &Settings{Output: output, StateDir: filepath.Join(dir, "state"), Yes: true, TZ: time.UTC}, nil
			},
			Backend: func(context.Context) (rotate.Cloud, string, error) { return rotate.FromCloud(c), c.Endpoint(), nil },
		}
		mod(o)
		err := runRotate(context.Background(), o)
		return out.String(), errOut.String(), err
	}

	// The Inactive second key blocks the rotation without --force.
	_, _, err = run(FormatJSON, func(o *RotateOptions) { o.SecretFile = secretFile })
	if exitCode(err, true) != ExitSafetyRail {
		t.Fatalf("two-key limit: %v", err)
	}
	out, errOut, err := run(FormatJSON, func(o *RotateOptions) { o.SecretFile = secretFile; o.Force = true })
	if err != nil {
		t.Fatalf("rotate: %v\n%s", err, errOut)
	}
	var rep rotate.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
	}
	if rep.SchemaVersion != rotate.ReportSchema || rep.Step != rotate.StepHandedOver || rep.NextCommand == "" {
		t.Errorf("report %+v", rep)
	}
	if !strings.Contains(errOut, "acting as acs:ram::") || !strings.Contains(errOut, srv.Addr()) {
		t.Errorf("stderr does not name the caller and endpoint:\n%s", errOut)
	}
	b, err := os.ReadFile(secretFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]string
	_ = json.Unmarshal(b, &doc)
	secret := doc["access_key_secret"]
	if secret == "" || strings.Contains(out, secret) || strings.Contains(errOut, secret) {
		t.Fatalf("secret missing from the file or leaked to output")
	}

	// --status in table form changes nothing and names the next command.
	before := srv.StateJSON()
	out, _, err = run(FormatTable, func(o *RotateOptions) { o.Status = true })
	if err != nil || !strings.Contains(out, "step:") || !strings.Contains(out, "akresp rotate "+rotKey+" --wait") {
		t.Fatalf("status: %v\n%s", err, out)
	}
	if !bytes.Equal(before, srv.StateJSON()) {
		t.Error("--status changed the lab")
	}

	// --secret-stdout with -o json is refused before anything happens.
	if _, _, err := run(FormatJSON, func(o *RotateOptions) { o.SecretStdout = true }); exitCode(err, true) != ExitUsage {
		t.Errorf("--secret-stdout -o json: %v", err)
	}
	// --delete before verification is a safety rail.
	var re *rotate.RefusedError
	if _, _, err := run(FormatTable, func(o *RotateOptions) { o.Delete = true }); !errors.As(err, &re) || exitCode(err, true) != ExitSafetyRail {
		t.Errorf("early delete: %v", err)
	}
}
