package cloud

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/redact"
)

// TestCredentialFunc: the SLS credential hook hands out the same
// credentials the SDK clients sign with (static, STS, profile, default
// chain), never shows them when printed, and fails with a credentials error
// when there are none.
func TestCredentialFunc(t *testing.T) {
	dir := t.TempDir()
	cliConfig := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cliConfig, []byte(`{"current":"default","profiles":[
		{"name":"ir","mode":"AK","access_key_id":"LTAI5tCLIIRir00000000000","access_key_secret":"cli-secret-ir"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	sts := testConfig("")
	sts.Credential = &StaticCredential{AccessKeyID: "STS.NUgYrLnoC37mZZCNnAbez2DpF", AccessKeySecret: redact.Secret(testSecret), SecurityToken: redact.Secret("sts-token-value")}
	tests := []struct {
		name              string
		env               map[string]string
		cfg               Config
		id, secret, token string
		wantErr           error
	}{
		{name: "static", cfg: testConfig(""), id: testKeyID, secret: testSecret},
		{name: "static sts", cfg: sts, id: "STS.NUgYrLnoC37mZZCNnAbez2DpF", secret: testSecret, token: "sts-token-value"},
		{name: "cli profile", env: map[string]string{"ALIBABA_CLOUD_CONFIG_FILE": cliConfig}, cfg: Config{Profile: "ir"}, id: "LTAI5tCLIIRir00000000000", secret: "cli-secret-ir"},
		{name: "default chain from env", env: map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tENVenv000000000000", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "env-secret"}, id: "LTAI5tENVenv000000000000", secret: "env-secret"},
		{name: "missing profile", env: map[string]string{"ALIBABA_CLOUD_CONFIG_FILE": cliConfig, "ALIBABA_CLOUD_CREDENTIALS_FILE": filepath.Join(dir, "absent")}, cfg: Config{Profile: "nope"}, wantErr: ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c := newTestClients(t, tt.cfg)
			before := time.Now()
			id, secret, token, exp, err := c.CredentialFunc(context.Background())()
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id != tt.id || secret.Reveal() != tt.secret || token.Reveal() != tt.token {
				t.Errorf("got %s %q %q, want %s %q %q", id, secret.Reveal(), token.Reveal(), tt.id, tt.secret, tt.token)
			}
			if exp.Before(before.Add(CredentialLease)) || exp.After(time.Now().Add(CredentialLease)) {
				t.Errorf("expire %v, want about now + %s", exp, CredentialLease)
			}
			if s := fmt.Sprint(id, secret, token) + fmt.Sprintf("%+v %#v", secret, token); strings.Contains(s, tt.secret) || (tt.token != "" && strings.Contains(s, tt.token)) {
				t.Errorf("printing the credential shows a secret: %s", s)
			}
		})
	}
}
