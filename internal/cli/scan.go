package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/leaks"
	"github.com/akresp/akresp/internal/redact"
	"github.com/akresp/akresp/internal/scan"
)

const scanSchema = "akresp.scan/v2"

// ScanOptions holds the dependencies and flags of `akresp scan`.
type ScanOptions struct {
	IO       *IOStreams
	Now      func() time.Time
	Settings func() (*Settings, error)
	// Verifier builds the pair checker; Keys the responder's own cloud for
	// key status and last use. Tests replace them.
	Verifier func(ctx context.Context, s *Settings) scan.Verifier
	Keys     func(ctx context.Context) (leaks.KeyReader, error)
	print    PrintOptions

	Path           string
	NoVerify       bool
	NoHistory      bool
	IncludeLabKeys string // auto | true | false
	FailOn         string // none | valid | found
	MaxFileSize    int64
}

func newCmdScan(f *Factory, runF func(context.Context, *ScanOptions) error) *cobra.Command {
	opts := &ScanOptions{IO: f.IO, Now: f.Now, Settings: f.Settings}
	cmd := &cobra.Command{
		Use:   "scan <PATH|GIT-DIR>",
		Short: "Find AccessKey pairs in files, archives and git history, and check which work",
		Long: `Find Alibaba Cloud AccessKey ID + secret pairs in a file, a directory, the
archives in it (zip, tar, tar.gz) and, for a git repository, its whole
history: every blob any commit reachable from any ref added, deleted files
included (read with the git binary).

Each pair is checked with STS GetCallerIdentity signed by the pair itself:
valid (and who it is: account, user, ARN), or invalid. For a valid key,
akresp then reads, with your own credentials, its owner, status and last
use. --no-verify makes no network call at all (air-gapped use).

The secret is never printed, logged or stored: output names where a pair
was found (file, commit, line) and the first 12 hex digits of the SHA-256
of the secret, so two findings of the same secret can be matched.

Known false positives are dropped and listed apart: documentation examples
and templates (EXAMPLE, your..., XXXX...), masked values (LTAI5t****), and
the lab's built-in keys unless the endpoint is a lab on loopback
(--include-lab-keys overrides).

Exit codes: 0 scan done; 3 with --fail-on valid (a working pair) or
--fail-on found (any pair); 1 the scan failed; 2 usage.`,
		Example: `  akresp scan ./my-repo
  akresp scan ./release.tar.gz --no-verify -o json
  akresp scan . --fail-on valid -o json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return UsageErrorf("%s takes exactly one path, got %d arguments", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Path = args[0]
			if opts.Verifier == nil {
				opts.Verifier = func(ctx context.Context, s *Settings) scan.Verifier {
					v := &stsVerifier{s: s, version: f.Version, httpDebug: os.Getenv("AKRESP_DEBUG") == "http"}
					if f.Logger != nil {
						v.logger = f.Logger()
					}
					return v
				}
			}
			if opts.Keys == nil {
				opts.Keys = func(ctx context.Context) (leaks.KeyReader, error) { return f.Cloud(ctx) }
			}
			if err := validateScan(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			s, err := opts.Settings()
			if err != nil {
				return err
			}
			opts.print = printOptions(f, s)
			return runScan(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.NoVerify, "no-verify", false, "do not check pairs with STS (no network call)")
	fl.BoolVar(&opts.NoHistory, "no-history", false, "scan a git repository's working tree only")
	fl.StringVar(&opts.IncludeLabKeys, "include-lab-keys", "auto", "report the lab's built-in keys: auto (only with a loopback --endpoint), true or false")
	fl.StringVar(&opts.FailOn, "fail-on", "none", "exit 3 when the scan finds: valid (a working pair), found (any pair) or none")
	fl.Int64Var(&opts.MaxFileSize, "max-file-size", 16<<20, "skip files and blobs larger than this many bytes")
	setOutputFormats(cmd, FormatTable, FormatJSON, FormatCSV)
	return cmd
}

func validateScan(o *ScanOptions) error {
	if strings.TrimSpace(o.Path) == "" {
		return UsageErrorf("scan: the path is empty")
	}
	if _, err := os.Stat(o.Path); err != nil {
		return UsageErrorf("scan %s: %v", o.Path, errors.Unwrap(err))
	}
	switch o.IncludeLabKeys {
	case "auto", "true", "false":
	default:
		return UsageErrorf("--include-lab-keys %q: want auto, true or false", o.IncludeLabKeys)
	}
	switch o.FailOn {
	case "none", "valid", "found":
	default:
		return UsageErrorf("--fail-on %q: want valid, found or none", o.FailOn)
	}
	if o.MaxFileSize <= 0 {
		return UsageErrorf("--max-file-size %d: want a positive number of bytes", o.MaxFileSize)
	}
	return nil
}

// scanResult is the JSON document and table of `akresp scan`.
type scanResult struct {
	Schema   string         `json:"schema_version"`
	Path     string         `json:"path"`
	Verified bool           `json:"verified"`
	Findings []scan.Finding `json:"findings"`
	Ignored  []scan.Ignored `json:"ignored"`
	Stats    scan.Stats     `json:"stats"`
}

func (r scanResult) Columns() []string {
	return []string{"Key", "Secret hash", "Status", "Identity", "Key status", "Last used", "Where", "Commit", "Line", "Next"}
}

func (r scanResult) Rows() [][]any {
	var out [][]any
	for _, f := range r.Findings {
		who, ks, next := "", "", ""
		var last any
		if f.Identity != nil {
			who = f.Identity.Arn
		}
		if who == "" && f.Key != nil && f.Key.Owner != "" {
			who = "user " + f.Key.Owner // valid, but STS did not say who (a network ACL refused this host)
		}
		if f.Key != nil {
			ks = f.Key.Status
			switch {
			case f.Key.LastUseIsCheck:
				last = "this scan's check"
			case !f.Key.LastUsed.IsZero():
				last = f.Key.LastUsed
			}
		}
		switch {
		case f.Status == scan.StatusValid:
			next = "akresp audit " + f.KeyID
		case f.Status == scan.StatusInvalid:
			next = "remove it from the code and history"
		case f.Status == scan.StatusError:
			next = "check again: " + f.Detail
		default:
			next = "verify online, then audit or remove"
		}
		status := f.Status
		if f.Code != "" {
			status += " (" + f.Code + ")" // valid (Forbidden.AccessKeyPolicy): its network ACL refused this host
		}
		for i, l := range f.Locations {
			where := l.Path
			if l.InHead != nil && !*l.InHead && l.Commit != "" {
				where += " (history only)"
			}
			commit := l.Commit
			if len(commit) > 12 {
				commit = commit[:12]
			}
			if i == 0 {
				out = append(out, []any{f.KeyID, f.SecretHash, status, who, ks, last, where, commit, l.Line, next})
			} else {
				out = append(out, []any{f.KeyID, f.SecretHash, "", "", "", nil, where, commit, l.Line, ""})
			}
		}
	}
	return out
}

func runScan(ctx context.Context, o *ScanOptions) error {
	s, err := o.Settings()
	if err != nil {
		return err
	}
	so := scan.Options{NoHistory: o.NoHistory, MaxFileSize: o.MaxFileSize,
		Warn: func(msg string) { fmt.Fprintln(o.IO.ErrOut, "warning: "+msg) }}
	if includeLab := o.IncludeLabKeys == "true" || (o.IncludeLabKeys == "auto" && loopbackEndpoint(s.Endpoint)); !includeLab {
		so.Ignore = labKeyIDs()
	}
	if !o.NoVerify {
		so.Verifier = o.Verifier(ctx, s)
		so.KeyInfo = func(ctx context.Context, keyID string) scan.KeyInfo {
			kr, err := o.Keys(ctx)
			if err != nil {
				return scan.KeyInfo{Problem: err.Error()}
			}
			ks := leaks.ReadKeyState(ctx, kr, keyID)
			ki := scan.KeyInfo{Owner: ks.Owner, Status: ks.Status, LastUsed: ks.LastUsed, LastService: ks.LastService, Problem: ks.Problem}
			if !ks.Exists {
				ki.Status = "deleted"
			}
			return ki
		}
	}
	res, err := scan.Scan(ctx, o.Path, so)
	if err != nil {
		return err
	}
	out := scanResult{Schema: scanSchema, Path: o.Path, Verified: !o.NoVerify, Findings: res.Findings, Ignored: res.Ignored, Stats: res.Stats}
	fmt.Fprintf(o.IO.ErrOut, "scanned %d files, %d archives, %d commits (%d blobs), %d bytes in %s; %d pair(s) found, %d ignored as known false positives\n",
		res.Stats.Files, res.Stats.Archives, res.Stats.Commits, res.Stats.Blobs, res.Stats.Bytes, res.Stats.Duration.Round(time.Millisecond),
		len(res.Findings), len(res.Ignored))
	if s.Output != FormatTable || len(res.Findings) > 0 {
		p, err := NewPrinter(s.Output, o.print)
		if err != nil {
			return err
		}
		if err := p.Print(o.IO.Out, out); err != nil {
			return err
		}
	}
	valid := 0
	for _, f := range res.Findings {
		if f.Status == scan.StatusValid {
			valid++
		}
	}
	switch {
	case o.FailOn == "valid" && valid > 0:
		return &FindingsError{Count: valid, Threshold: "valid"}
	case o.FailOn == "found" && len(res.Findings) > 0:
		return &FindingsError{Count: len(res.Findings), Threshold: "found"}
	}
	return nil
}

// loopbackEndpoint reports whether the endpoint override names a loopback
// host: a lab, whose built-in keys are then real findings.
func loopbackEndpoint(ep string) bool {
	if ep == "" {
		return false
	}
	host := ep
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	host, _, _ = strings.Cut(host, "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// labKeyIDs are the AccessKey IDs of the lab's built-in scenarios: public
// test values, never real keys.
func labKeyIDs() map[string]string {
	out := map[string]string{}
	for _, name := range lab.BuiltinScenarios() {
		sc, err := lab.LoadScenario(name)
		if err != nil {
			continue
		}
		for _, k := range sc.AccessKeys {
			out[k.ID] = "akresp lab key (" + name + ")"
		}
	}
	return out
}

// stsVerifier checks a pair with STS GetCallerIdentity signed by the pair
// itself, through the same endpoint and region settings as every call.
type stsVerifier struct {
	s         *Settings
	version   string
	logger    *slog.Logger
	httpDebug bool
}

func (v *stsVerifier) Verify(ctx context.Context, keyID string, secret redact.Secret) scan.Verdict {
	c, err := cloud.New(ctx, cloud.Config{Region: v.s.Region, Endpoint: v.s.Endpoint, Timeout: v.s.Timeout,
		MaxAttempts: 2, Version: v.version, Logger: v.logger, HTTPDebug: v.httpDebug, Credential: &cloud.StaticCredential{AccessKeyID: keyID, AccessKeySecret: secret}})
	if err != nil {
		return scan.Verdict{Status: scan.StatusError, Detail: err.Error()}
	}
	id, err := c.GetCallerIdentity(ctx)
	if err == nil {
		return scan.Verdict{Status: scan.StatusValid, Identity: scan.Identity{AccountID: id.AccountID, IdentityType: cloud.IdentityTypeName(id.IdentityType),
			Arn: id.Arn, UserID: id.UserID}}
	}
	var ae *cloud.APIError
	code := ""
	if errors.As(err, &ae) {
		code = ae.Code
	}
	switch {
	case errors.Is(err, cloud.ErrNetworkPolicy):
		// The signature was accepted; the key's network ACL refused this
		// host. The pair works from somewhere.
		return scan.Verdict{Status: scan.StatusValid, Code: code, Detail: "valid, but its network ACL refuses this host"}
	case errors.Is(err, cloud.ErrInvalidCredentials):
		return scan.Verdict{Status: scan.StatusInvalid, Code: code, Detail: "the service refused the pair"}
	}
	return scan.Verdict{Status: scan.StatusError, Code: code, Detail: err.Error()}
}
