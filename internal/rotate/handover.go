package rotate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/redact"
	"github.com/akresp/akresp/internal/state"
)

// SecretSchema versions the JSON document a hand-over delivers.
const SecretSchema = "akresp.secret/v1"

// Credential is what a hand-over delivers: the new key and its secret.
type Credential struct {
	AccessKeyID   string
	Secret        redact.Secret
	UserName      string // "" for a root-account key
	CreateDate    time.Time
	ReplacesKeyID string // the key being rotated
}

// secretDoc is the one place a secret is serialised; it exists only on the
// way out through a hand-over.
type secretDoc struct {
	SchemaVersion   string `json:"schema_version"`
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
	UserName        string `json:"user_name,omitempty"`
	CreateDate      string `json:"create_date,omitempty"`
	ReplacesKeyID   string `json:"replaces_access_key_id,omitempty"`
}

// document renders the hand-over JSON. The caller must wipe it when done.
func (c Credential) document() ([]byte, error) {
	if c.AccessKeyID == "" || c.Secret.IsZero() {
		return nil, errors.New("hand-over: the new key has no id or no secret")
	}
	d := secretDoc{
		SchemaVersion:   SecretSchema,
		AccessKeyID:     c.AccessKeyID,
		AccessKeySecret: c.Secret.Reveal(),
		UserName:        c.UserName,
		ReplacesKeyID:   c.ReplacesKeyID,
	}
	if !c.CreateDate.IsZero() {
		d.CreateDate = c.CreateDate.UTC().Format(time.RFC3339)
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("hand-over: encode: %w", err)
	}
	return append(b, '\n'), nil
}

func wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}

// Handover is the single exit a new secret leaves through.
type Handover interface {
	// Record describes the exit for the state file and journal.
	Record() HandoverRecord
	// Check is a preflight run before any key is created, so an exit that
	// cannot work never costs a key.
	Check() error
	// Deliver hands the credential over. An error means the secret must be
	// treated as lost.
	Deliver(ctx context.Context, c Credential) error
}

// FileHandover writes the secret JSON to a new file, mode 0600, atomically,
// refusing to overwrite anything.
type FileHandover struct{ Path string }

// Record implements Handover.
func (h FileHandover) Record() HandoverRecord { return HandoverRecord{Kind: "file", Target: h.Path} }

// Check implements Handover.
func (h FileHandover) Check() error {
	if h.Path == "" {
		return errors.New("--secret-file: empty path")
	}
	if _, err := os.Lstat(h.Path); err == nil {
		return fmt.Errorf("--secret-file %s: already exists; refusing to overwrite it (choose a new path)", h.Path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("--secret-file %s: %w", h.Path, err)
	}
	dir := filepath.Dir(h.Path)
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("--secret-file %s: directory %s: %w", h.Path, dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("--secret-file %s: %s is not a directory", h.Path, dir)
	}
	return nil
}

// Deliver implements Handover: write a temporary file in the target
// directory, fsync it, then hard-link it into place (link fails rather than
// replace an existing file). Filesystems without hard links fall back to an
// exclusive create.
func (h FileHandover) Deliver(_ context.Context, c Credential) error {
	doc, err := c.document()
	if err != nil {
		return err
	}
	defer wipe(doc)
	dir := filepath.Dir(h.Path)
	tmp, err := os.CreateTemp(dir, ".akresp-secret-*")
	if err != nil {
		return fmt.Errorf("--secret-file %s: %w", h.Path, err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if err := writeSync(tmp, doc); err != nil {
		return fmt.Errorf("--secret-file %s: %w", h.Path, err)
	}
	lerr := os.Link(tmpName, h.Path)
	switch {
	case lerr == nil:
	case errors.Is(lerr, os.ErrExist):
		return fmt.Errorf("--secret-file %s: appeared while rotating; refusing to overwrite it", h.Path)
	default:
		f, err := os.OpenFile(h.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, state.FileMode)
		if err != nil {
			return fmt.Errorf("--secret-file %s: %w", h.Path, err)
		}
		if err := writeSync(f, doc); err != nil {
			_ = os.Remove(h.Path)
			return fmt.Errorf("--secret-file %s: %w", h.Path, err)
		}
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

func writeSync(f *os.File, b []byte) error {
	if err := f.Chmod(state.FileMode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fileHolds reports whether path is a hand-over document for keyID: the
// proof that a hand-over to a file completed before the process died.
func fileHolds(path, keyID string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	defer wipe(b)
	var d struct {
		AccessKeyID     string  `json:"access_key_id"`
		AccessKeySecret *string `json:"access_key_secret"`
	}
	if json.Unmarshal(b, &d) != nil {
		return false
	}
	return d.AccessKeyID == keyID && d.AccessKeySecret != nil && *d.AccessKeySecret != ""
}

// ExecHandover runs a command (through /bin/sh -c) with the secret JSON on
// its stdin, e.g. to store it in a secrets manager. Its stdout and stderr go
// to Output (akresp's stderr), never to akresp's stdout. The child gets
// akresp's environment minus every Alibaba Cloud credential variable (see
// ChildEnv: the responder's own credentials never reach it), plus
// AKRESP_NEW_ACCESS_KEY_ID and AKRESP_OLD_ACCESS_KEY_ID (ids only).
type ExecHandover struct {
	Command string
	Output  io.Writer
	// Timeout bounds the command (default 5 minutes).
	Timeout time.Duration
}

// Record implements Handover.
func (h ExecHandover) Record() HandoverRecord { return HandoverRecord{Kind: "exec", Target: h.Command} }

// Check implements Handover.
func (h ExecHandover) Check() error {
	if h.Command == "" {
		return errors.New("--exec: empty command")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		return fmt.Errorf("--exec %q: no shell to run it: %w", h.Command, err)
	}
	return nil
}

// Deliver implements Handover.
func (h ExecHandover) Deliver(ctx context.Context, c Credential) error {
	doc, err := c.document()
	if err != nil {
		return err
	}
	defer wipe(doc)
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", h.Command)
	cmd.Stdin = bytes.NewReader(doc)
	out := h.Output
	if out == nil {
		out = io.Discard
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = ChildEnv(os.Environ(), c)
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return fmt.Errorf("--exec %q: did not finish within %s", h.Command, timeout)
		}
		return fmt.Errorf("--exec %q: %w", h.Command, err)
	}
	return nil
}

// StdoutHandover writes the secret JSON to W (akresp's stdout), on explicit
// request only.
type StdoutHandover struct{ W io.Writer }

// Record implements Handover.
func (StdoutHandover) Record() HandoverRecord { return HandoverRecord{Kind: "stdout"} }

// Check implements Handover.
func (h StdoutHandover) Check() error {
	if h.W == nil {
		return errors.New("--secret-stdout: no output stream")
	}
	return nil
}

// Deliver implements Handover.
func (h StdoutHandover) Deliver(_ context.Context, c Credential) error {
	doc, err := c.document()
	if err != nil {
		return err
	}
	defer wipe(doc)
	if _, err := h.W.Write(doc); err != nil {
		return fmt.Errorf("--secret-stdout: %w", err)
	}
	return nil
}

// credentialEnvPrefixes are the prefixes of the variables Alibaba Cloud
// tools read credentials and credential sources from: credentials-go v1.4
// reads ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET, _SECURITY_TOKEN, _PROFILE,
// _CREDENTIALS_FILE, _CONFIG_FILE, _CREDENTIALS_URI, _ROLE_ARN,
// _ROLE_SESSION_NAME, _OIDC_PROVIDER_ARN, _OIDC_TOKEN(_FILE), _ECS_METADATA
// and ALICLOUD_ROLE_*; the aliyun CLI and Terraform read ALIBABACLOUD_*,
// ALICLOUD_ACCESS_KEY/_SECRET_KEY/_SECURITY_TOKEN/_PROFILE and ALIYUN_*. Every
// variable with these prefixes is dropped, not only the known names: a new
// credential source must not slip through.
var credentialEnvPrefixes = []string{"ALIBABA_CLOUD_", "ALIBABACLOUD_", "ALICLOUD_", "ALIYUN_"}

// Variables the exec hand-over documents for its child.
const (
	EnvNewKeyID = "AKRESP_NEW_ACCESS_KEY_ID"
	EnvOldKeyID = "AKRESP_OLD_ACCESS_KEY_ID"
)

// ChildEnv is the environment of an --exec child: env minus every Alibaba
// Cloud credential variable (any name starting with ALIBABA_CLOUD_,
// ALIBABACLOUD_, ALICLOUD_ or ALIYUN_, in any case) and minus the hand-over's
// own variables, plus only what the documented exit provides: the new and
// the old key's IDs. The secret travels on stdin only.
func ChildEnv(env []string, c Credential) []string {
	out := make([]string, 0, len(env)+2)
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		up := strings.ToUpper(name)
		drop := up == EnvNewKeyID || up == EnvOldKeyID
		for _, p := range credentialEnvPrefixes {
			if strings.HasPrefix(up, p) {
				drop = true
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return append(out, EnvNewKeyID+"="+c.AccessKeyID, EnvOldKeyID+"="+c.ReplacesKeyID)
}
