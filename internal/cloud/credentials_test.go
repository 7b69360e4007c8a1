package cloud

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCredentialKeyID(t *testing.T) {
	dir := t.TempDir()
	cliConfig := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cliConfig, []byte(`{"current":"default","profiles":[
		{"name":"default","mode":"AK","access_key_id":"LTAI5tCLIDEFAULT00000000","access_key_secret":"s1"},
		{"name":"ir","mode":"AK","access_key_id":"LTAI5tCLIIRir00000000000","access_key_secret":"s2"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	credFile := filepath.Join(dir, "credentials")
	if err := os.WriteFile(credFile, []byte("[filekey]\ntype = access_key\naccess_key_id = LTAI5tFILEfile0000000000\naccess_key_secret = s3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		cfg     Config
		want    string
		wantErr error
	}{
		{name: "static", cfg: testConfig(""), want: testKeyID},
		{name: "cli profile", env: map[string]string{"ALIBABA_CLOUD_CONFIG_FILE": cliConfig}, cfg: Config{Profile: "ir"}, want: "LTAI5tCLIIRir00000000000"},
		{name: "credentials file profile", env: map[string]string{"ALIBABA_CLOUD_CONFIG_FILE": cliConfig, "ALIBABA_CLOUD_CREDENTIALS_FILE": credFile}, cfg: Config{Profile: "filekey"}, want: "LTAI5tFILEfile0000000000"},
		{name: "missing profile", env: map[string]string{"ALIBABA_CLOUD_CONFIG_FILE": cliConfig, "ALIBABA_CLOUD_CREDENTIALS_FILE": credFile}, cfg: Config{Profile: "nope"}, wantErr: ErrInvalidCredentials},
		{name: "default chain from env", env: map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tENVenv000000000000", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s4"}, want: "LTAI5tENVenv000000000000"},
		{name: "default chain from cli current profile", env: map[string]string{"ALIBABA_CLOUD_CONFIG_FILE": cliConfig}, want: "LTAI5tCLIDEFAULT00000000"},
		{name: "default chain empty", env: map[string]string{"ALIBABA_CLOUD_CLI_PROFILE_DISABLED": "true", "ALIBABA_CLOUD_CREDENTIALS_FILE": filepath.Join(dir, "absent")}, wantErr: ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c := newTestClients(t, tt.cfg)
			got, err := c.CredentialKeyID(context.Background())
			if tt.wantErr != nil {
				var ae *APIError
				if !errors.As(err, &ae) || !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				// The three ways, in akresp's words, not credentials-go's
				// chain text (its file paths and typos).
				for _, way := range []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "--profile", "akresp lab env"} {
					if !strings.Contains(ae.Hint(), way) {
						t.Errorf("hint lacks %q: %q", way, ae.Hint())
					}
				}
				var ce *CredentialsError
				if !errors.As(err, &ce) || ce.Profile != tt.cfg.Profile {
					t.Errorf("not a CredentialsError for profile %q: %#v", tt.cfg.Profile, err)
				}
				for _, raw := range []string{"Can not open", "unable to get credentials", "providers in the chain", dir} {
					if strings.Contains(err.Error(), raw) {
						t.Errorf("message quotes credentials-go (%q): %v", raw, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("CredentialKeyID = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUnresolvableCredentialsFailCallsWithoutRetry(t *testing.T) {
	f := newFakeCloud(t)
	f.handle("GetCallerIdentity", func(call) reply { return reply{Body: map[string]any{"AccountId": "1"}} })
	dir := t.TempDir()
	t.Setenv("ALIBABA_CLOUD_CONFIG_FILE", filepath.Join(dir, "absent.json"))
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", filepath.Join(dir, "absent"))
	cfg := testConfig(f.addr())
	cfg.Credential = nil
	cfg.Profile = "ghost"
	c := newTestClients(t, cfg)
	_, err := c.GetCallerIdentity(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("err = %v", err)
	}
	if ae.Attempts != 1 || len(f.calls) != 0 {
		t.Errorf("attempts %d, server calls %d", ae.Attempts, len(f.calls))
	}
	if !strings.Contains(ae.Error(), `profile "ghost"`) {
		t.Errorf("message does not name the profile: %v", ae)
	}
}

func TestProfileCredentialsSignRequests(t *testing.T) {
	f := newFakeCloud(t)
	f.handle("GetUser", func(call) reply { return reply{Body: map[string]any{"User": map[string]any{"UserName": "a"}}} })
	credFile := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(credFile, []byte("[lab]\ntype = access_key\naccess_key_id = LTAI5tPROFILEprofile0000\naccess_key_secret = s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", credFile)
	cfg := testConfig(f.addr())
	cfg.Credential = nil
	cfg.Profile = "lab"
	c := newTestClients(t, cfg)
	if _, err := c.GetUser(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	if auth := f.callsFor("GetUser")[0].Header.Get("Authorization"); !strings.Contains(auth, "Credential=LTAI5tPROFILEprofile0000,") {
		t.Errorf("Authorization = %q", auth)
	}
}
