package rotate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/redact"
)

var testCred = Credential{AccessKeyID: "LTAI5tNEWKEY000000000001", Secret: redact.Secret("very-secret-value"), UserName: "app-prod",
	CreateDate: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC), ReplacesKeyID: oldKey}

func decodeDoc(t *testing.T, b []byte) secretDoc {
	t.Helper()
	var d secretDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("hand-over document %q: %v", b, err)
	}
	return d
}

func TestFileHandover(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		path    string
		prepare func(p string)
		wantErr string
	}{
		{"new file", filepath.Join(dir, "a.json"), nil, ""},
		{"existing file refused", filepath.Join(dir, "b.json"), func(p string) { os.WriteFile(p, []byte("keep"), 0o644) }, "already exists"},
		{"missing directory", filepath.Join(dir, "nope", "c.json"), nil, "no such file"},
		{"empty path", "", nil, "empty path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.prepare != nil {
				tc.prepare(tc.path)
			}
			h := FileHandover{Path: tc.path}
			err := h.Check()
			if err == nil {
				err = h.Deliver(context.Background(), testCred)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				if b, rerr := os.ReadFile(tc.path); rerr == nil && string(b) != "keep" {
					t.Errorf("existing file overwritten: %q", b)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := os.Stat(tc.path)
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v", fi.Mode().Perm())
			}
			b, _ := os.ReadFile(tc.path)
			d := decodeDoc(t, b)
			if d.AccessKeyID != testCred.AccessKeyID || d.AccessKeySecret != "very-secret-value" || d.SchemaVersion != SecretSchema || d.ReplacesKeyID != oldKey {
				t.Errorf("document %+v", d)
			}
			if err := h.Deliver(context.Background(), testCred); err == nil {
				t.Error("second delivery overwrote the file")
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".akresp-secret-*")); len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}
			if !fileHolds(tc.path, testCred.AccessKeyID) || fileHolds(tc.path, "LTAI5tOTHER") {
				t.Error("fileHolds wrong")
			}
		})
	}
}

func TestExecHandover(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "stdin.json")
	for _, tc := range []struct {
		name    string
		cmd     string
		wantErr string
	}{
		{"receives json on stdin and ids in env", fmt.Sprintf(`cat > %s; test "$AKRESP_NEW_ACCESS_KEY_ID" = %s`, out, testCred.AccessKeyID), ""},
		{"failure is an error", "cat >/dev/null; echo boom >&2; exit 7", "exit status 7"},
		{"empty command", "", "empty command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			h := ExecHandover{Command: tc.cmd, Output: &stderr}
			err := h.Check()
			if err == nil {
				err = h.Deliver(context.Background(), testCred)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "very-secret-value") {
					t.Error("secret in error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(out)
			if d := decodeDoc(t, b); d.AccessKeySecret != "very-secret-value" {
				t.Errorf("document %+v", d)
			}
		})
	}
	h := ExecHandover{Command: "exec sleep 5", Timeout: 50 * time.Millisecond}
	if err := h.Deliver(context.Background(), testCred); err == nil || !strings.Contains(err.Error(), "did not finish") {
		t.Errorf("timeout: %v", err)
	}
}

func TestStdoutHandover(t *testing.T) {
	var buf bytes.Buffer
	h := StdoutHandover{W: &buf}
	if err := h.Deliver(context.Background(), testCred); err != nil {
		t.Fatal(err)
	}
	if d := decodeDoc(t, buf.Bytes()); d.AccessKeySecret != "very-secret-value" {
		t.Errorf("document %+v", d)
	}
	if err := (StdoutHandover{}).Check(); err == nil {
		t.Error("nil writer accepted")
	}
	if err := h.Deliver(context.Background(), Credential{AccessKeyID: "x"}); err == nil {
		t.Error("empty secret delivered")
	}
}

func TestStateRoundTripAndValidation(t *testing.T) {
	base := t.TempDir()
	if st, err := LoadState(base, oldKey); st != nil || err != nil {
		t.Fatalf("missing state: %v %v", st, err)
	}
	st := &State{KeyID: oldKey, UserName: "u"}
	st.to(StepHandedOver, time.Now().UTC(), "x")
	if err := SaveState(base, st); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(StatePath(base, oldKey))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	got, err := LoadState(base, oldKey)
	if err != nil || got.Step != StepHandedOver || got.SchemaVersion != StateSchema {
		t.Fatalf("%v %+v", err, got)
	}
	for name, content := range map[string]string{
		"corrupt":    "{",
		"bad schema": `{"schema_version":"x","key_id":"` + oldKey + `","step":"created"}`,
		"other key":  `{"schema_version":"` + StateSchema + `","key_id":"LTAI5tOTHER","step":"created"}`,
		"bad step":   `{"schema_version":"` + StateSchema + `","key_id":"` + oldKey + `","step":"flying"}`,
	} {
		os.WriteFile(StatePath(base, oldKey), []byte(content), 0o600)
		if _, err := LoadState(base, oldKey); err == nil {
			t.Errorf("%s state accepted", name)
		}
	}
}

// TestExecHandoverChildEnv: the --exec child never sees the responder's own
// credentials (any Alibaba Cloud credential variable akresp was started
// with), only the documented IDs; the secret comes on stdin only.
func TestExecHandoverChildEnv(t *testing.T) {
	responder := map[string]string{
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     "LTAI5tRESPONDER000000001",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "responder-secret-value-1",
		"ALIBABA_CLOUD_SECURITY_TOKEN":    "responder-token-value-2",
		"ALIBABA_CLOUD_PROFILE":           "responder",
		"ALIBABA_CLOUD_CREDENTIALS_FILE":  "/home/responder/.alibabacloud/credentials",
		"ALIBABA_CLOUD_CREDENTIALS_URI":   "http://127.0.0.1:9/creds",
		"ALIBABA_CLOUD_ROLE_ARN":          "acs:ram::1:role/responder",
		"ALIBABA_CLOUD_OIDC_TOKEN_FILE":   "/var/run/oidc",
		"ALICLOUD_ACCESS_KEY":             "LTAI5tRESPONDER000000002",
		"ALICLOUD_SECRET_KEY":             "responder-secret-value-3",
		"alicloud_access_key":             "LTAI5tRESPONDER000000003",
		"ALIBABACLOUD_ACCESS_KEY_SECRET":  "responder-secret-value-4",
		"ALIYUN_ACCESS_KEY_SECRET":        "responder-secret-value-5",
		AKRESPEnvForged:                   "LTAI5tFORGED000000000001",
	}
	for k, v := range responder {
		t.Setenv(k, v)
	}
	t.Setenv("AKRESP_TEST_KEEP", "kept")
	out := filepath.Join(t.TempDir(), "env.txt")
	h := ExecHandover{Command: "cat >/dev/null; env > " + out}
	if err := h.Deliver(context.Background(), testCred); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	for k, v := range responder {
		if k == AKRESPEnvForged {
			continue
		}
		if _, ok := env[k]; ok {
			t.Errorf("child got %s", k)
		}
		if strings.Contains(string(b), v) {
			t.Errorf("child env holds the value of %s", k)
		}
	}
	if env[EnvNewKeyID] != testCred.AccessKeyID || env[EnvOldKeyID] != testCred.ReplacesKeyID {
		t.Errorf("documented ids: new %q old %q", env[EnvNewKeyID], env[EnvOldKeyID])
	}
	if strings.Contains(string(b), "very-secret-value") {
		t.Error("the new secret is in the child's environment")
	}
	if env["AKRESP_TEST_KEEP"] != "kept" || env["PATH"] == "" {
		t.Error("ordinary variables were dropped too")
	}
}

// AKRESPEnvForged: a stale AKRESP_NEW_ACCESS_KEY_ID in akresp's own
// environment must not override the one the hand-over sets.
const AKRESPEnvForged = EnvNewKeyID
