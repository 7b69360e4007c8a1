package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/creack/pty"
)

var ansiCode = regexp.MustCompile("\x1b\\[[0-9;]*m")

// Under a real pseudo-terminal 100 columns wide, the audit of builtin:leak's
// leaked key is coloured (verdict, severities) and every line fits 100
// columns; piped (a plain file), the same audit carries no colour code. TTY
// state is read from the actual output descriptor (StreamsFor).
func TestAuditTableColourAndWidthUnderPTY(t *testing.T) {
	srv, info := serveScenario(t, "builtin:leak")
	asLabAdmin(t, info)
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm-256color")
	t.Setenv("COLUMNS", "")
	args := []string{"--endpoint", "http://" + srv.Addr(), "--tz", "Asia/Shanghai", "--state-dir", t.TempDir(), "audit", info.Notes["leaked_key_id"]}

	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(tty, &pty.Winsize{Rows: 50, Cols: 100}); err != nil {
		t.Fatal(err)
	}
	var screen bytes.Buffer
	copied := make(chan struct{})
	go func() { io.Copy(&screen, ptmx); close(copied) }()
	devnull, _ := os.Open(os.DevNull)
	defer devnull.Close()
	errFile, _ := os.CreateTemp(t.TempDir(), "stderr")
	code := Main(context.Background(), args, StreamsFor(devnull, tty, errFile))
	tty.Close()
	<-copied
	if code != 0 {
		b, _ := os.ReadFile(errFile.Name())
		t.Fatalf("exit %d: %s", code, b)
	}
	out := strings.ReplaceAll(screen.String(), "\r\n", "\n")
	if !strings.Contains(out, "\x1b[1;31mVERDICT: SUSPECTED LEAK\x1b[0m") {
		t.Errorf("verdict not coloured:\n%s", out)
	}
	if !ansiCode.MatchString(out) || !strings.Contains(out, "\x1b[1;31mcritical\x1b[0m") && !strings.Contains(out, "\x1b[31mhigh\x1b[0m") {
		t.Errorf("no coloured severity:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		plain := ansiCode.ReplaceAllString(line, "")
		if n := utf8.RuneCountInString(plain); n > 100 {
			t.Errorf("line of %d columns on a 100-column terminal: %q", n, plain)
		}
		if strings.Contains(plain, "\x1b") {
			t.Errorf("an escape that is not the palette's: %q", line)
		}
	}
	if !strings.Contains(out, "FINDINGS") || !strings.Contains(out, "(CST)") {
		t.Errorf("table headers lack the --tz zone:\n%s", out)
	}

	// Piped: the same audit into a plain file has no colour at all.
	outFile, _ := os.CreateTemp(t.TempDir(), "stdout")
	code = Main(context.Background(), args, StreamsFor(devnull, outFile, errFile))
	if code != 0 {
		t.Fatalf("piped exit %d", code)
	}
	piped, _ := os.ReadFile(outFile.Name())
	if bytes.Contains(piped, []byte("\x1b")) || !bytes.Contains(piped, []byte("VERDICT: SUSPECTED LEAK")) {
		t.Errorf("piped output has colour codes or no verdict:\n%s", piped)
	}
}

// No credentials at all: the error names the three ways to provide them,
// quotes none of credentials-go's text, and exits 1.
func TestNoCredentialsNamesTheThreeWays(t *testing.T) {
	clearAkrespEnv(t)
	dir := t.TempDir()
	for _, k := range []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_CREDENTIALS_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", dir)
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	t.Setenv("ALIBABA_CLOUD_CONFIG_FILE", dir+"/absent.json")
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", dir+"/absent")
	ios, _, out, errOut := TestStreams()
	code := Main(context.Background(), []string{"--endpoint", "http://127.0.0.1:1", "--state-dir", dir, "audit", "LTAI5tLEAKEDleaked000000"}, ios)
	msg := errOut.String()
	if code != ExitRuntime {
		t.Errorf("exit %d, want 1: %s", code, msg)
	}
	for _, want := range []string{"no credentials found", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "--profile", `eval "$(akresp lab env`} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr lacks %q:\n%s", want, msg)
		}
	}
	for _, raw := range []string{"Can not open", "unable to get credentials", dir} {
		if strings.Contains(msg, raw) {
			t.Errorf("stderr quotes credentials-go (%q):\n%s", raw, msg)
		}
	}
	if out.Len() != 0 {
		t.Errorf("stdout: %q", out)
	}
}
