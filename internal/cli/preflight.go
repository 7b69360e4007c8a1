package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/akresp/akresp/internal/preflight"
)

// PreflightBackend is what `akresp preflight` talks to.
type PreflightBackend interface {
	preflight.Cloud
	preflight.Fixer
}

// PreflightOptions are the inputs of `akresp preflight`.
type PreflightOptions struct {
	IO       *IOStreams
	Now      func() time.Time
	Settings func() (*Settings, error)
	Prompter Prompter
	Backend  func(ctx context.Context) (PreflightBackend, error)

	Fix    bool
	FailOn string
}

func newCmdPreflight(f *Factory, runF func(context.Context, *PreflightOptions) error) *cobra.Command {
	opts := &PreflightOptions{IO: f.IO, Now: f.Now, Settings: f.Settings, Prompter: f.Prompter}
	cmd := &cobra.Command{
		Use:   "preflight",
		Short: "Check the account is ready for an AccessKey incident (trail, Insights, root key, MFA, permissions)",
		Long: `Check, before an incident, that the account is ready to detect and answer a
leaked AccessKey. Each check passes, warns or fails, with the fix:

  trail_exists, trail_logging, trail_all_regions, trail_all_events,
  trail_delivery         an ActionTrail trail records all events of all
                         regions and delivers them to SLS and/or OSS
  insights_enabled       ActionTrail Insights: AkInsight (fail when off),
                         IpInsight, ApiErrorRateInsight, TrailConcealmentInsight
  root_access_key        the root account has no AccessKey
  console_users_mfa      every console user has MFA
  account_network_policy an account-level AccessKey network policy exists
  akresp_permissions     akresp's own identity may run each command (its RAM
                         policies are read and each command's actions checked)
  security_center_leaks  Security Center's AccessKey leak records are readable

Only --fix changes anything: it enables the Insights types that are off
(EnableInsight), after showing them and asking (--yes skips the question,
--dry-run stops after the plan).

--fail-on warn|fail exits 3 when a check is at or above that status, for CI.
See docs/preflight.md.`,
		Example: `  akresp preflight
  akresp preflight -o json --fail-on fail
  akresp preflight --fix --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch opts.FailOn {
			case "", preflight.Warn, preflight.Fail:
			default:
				return UsageErrorf("--fail-on %q: want warn or fail", opts.FailOn)
			}
			if opts.Backend == nil {
				opts.Backend = func(ctx context.Context) (PreflightBackend, error) { return f.Cloud(ctx) }
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runPreflight(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Fix, "fix", false, "enable the ActionTrail Insights types that are off (asks first; --yes, --dry-run)")
	cmd.Flags().StringVar(&opts.FailOn, "fail-on", "", "exit 3 when a check is at or above this status: warn|fail")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", fixedCompletion(preflight.Warn, preflight.Fail))
	setOutputFormats(cmd, FormatTable, FormatJSON)
	return cmd
}

func runPreflight(ctx context.Context, o *PreflightOptions) error {
	s, err := o.Settings()
	if err != nil {
		return err
	}
	c, err := o.Backend(ctx)
	if err != nil {
		return err
	}
	r, err := preflight.Run(ctx, c, o.Now())
	if err != nil {
		return err
	}
	if missing := r.MissingInsights(); o.Fix && len(missing) > 0 {
		fmt.Fprintf(o.IO.ErrOut, "Plan: enable ActionTrail Insights types %s (EnableInsight, one call each).\n", strings.Join(missing, ", "))
		proceed, err := ConfirmPlan(ConfirmOptions{IO: o.IO, Prompter: o.Prompter, Yes: s.Yes, DryRun: s.DryRun,
			Verb: "enable ActionTrail Insights", Prompt: fmt.Sprintf("Enable %d Insights type(s)?", len(missing))}, nil)
		if err != nil {
			return err
		}
		if proceed {
			if err := preflight.Fix(ctx, c, r, missing); err != nil {
				return err
			}
			fmt.Fprintf(o.IO.ErrOut, "✓ enabled %s; checking again\n", strings.Join(missing, ", "))
			fixed := r.Fixed
			if r, err = preflight.Run(ctx, c, o.Now()); err != nil {
				return err
			}
			r.Fixed = fixed
		}
	} else if o.Fix {
		fmt.Fprintln(o.IO.ErrOut, "nothing to fix: every Insights type akresp reads is on")
	}
	po := printOptions(&Factory{IO: o.IO, Now: o.Now}, s)
	if s.Output == FormatJSON {
		p, _ := NewPrinter(FormatJSON, po)
		err = p.Print(o.IO.Out, r)
	} else {
		err = renderPreflightTable(o.IO.Out, r, po)
	}
	if err != nil {
		return err
	}
	if o.FailOn != "" {
		if n := r.AtLeast(o.FailOn); n > 0 {
			return &FindingsError{Count: n, Threshold: o.FailOn}
		}
	}
	return nil
}

var preflightMark = map[string]string{preflight.Pass: "PASS", preflight.Warn: "WARN", preflight.Fail: "FAIL"}

func renderPreflightTable(w io.Writer, r *preflight.Result, po PrintOptions) error {
	var b strings.Builder
	fmt.Fprintf(&b, "PREFLIGHT of account %s as %s\n", cmpOr(r.AccountID, "?"), cmpOr(r.Identity, "?"))
	fmt.Fprintf(&b, "  %d pass, %d warn, %d fail\n\n", r.Summary.Pass, r.Summary.Warn, r.Summary.Fail)
	t := NewTable(po, "status", "check", "detail")
	for _, c := range r.Checks {
		t.AddRow(preflightMark[c.Status], c.ID, c.Detail)
	}
	if err := t.Render(&b); err != nil {
		return err
	}
	var fixes []string
	for _, c := range r.Checks {
		if c.Status == preflight.Pass || (c.Fix == "" && c.FixCommand == "") {
			continue
		}
		line := fmt.Sprintf("  %s %s: %s", preflightMark[c.Status], c.ID, c.Fix)
		if c.FixCommand != "" {
			line += " (" + c.FixCommand + ")"
		}
		fixes = append(fixes, oneLine(line))
	}
	if len(fixes) > 0 {
		b.WriteString("\nFIXES\n" + strings.Join(fixes, "\n") + "\n")
	}
	if ch := r.Check(preflight.CheckPermissions); ch != nil && len(ch.Commands) > 0 {
		var bad []string
		for _, cp := range ch.Commands {
			if !cp.Allowed {
				bad = append(bad, fmt.Sprintf("  %s: %s", cp.Command, strings.Join(append(append([]string(nil), cp.Denied...), cp.Missing...), ", ")))
			}
		}
		if len(bad) > 0 {
			b.WriteString("\nCOMMANDS THAT WOULD FAIL (NoPermission)\n" + strings.Join(bad, "\n") + "\n")
		}
	}
	for _, f := range r.Fixed {
		b.WriteString("\nFixed: " + f + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
