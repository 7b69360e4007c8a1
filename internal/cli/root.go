package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/incident"
)

// Main runs akresp with args (without the program name) on streams and
// returns the process exit code. ctx is cancelled by the first interrupt
// (see InFlight); cmd/akresp turns the result into os.Exit.
func Main(ctx context.Context, args []string, streams *IOStreams) int {
	return Run(ctx, NewFactory(streams), args)
}

// Run executes one command line with the given factory. Main uses the
// production factory; tests (and the testscript runner) pass their own with
// a fixed clock. It maps the outcome to an exit code in one place.
func Run(ctx context.Context, f *Factory, args []string) int {
	root, inv := newRoot(f)
	if args == nil {
		// cobra reads os.Args when given nil; Run's caller decides argv.
		args = []string{}
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if jerr := finishJQ(ctx, f); jerr != nil && err == nil {
		err = jerr
	}
	if err == nil {
		return ExitOK
	}
	if cmd == nil {
		cmd = root
	}
	noteDeleted(f, err)
	return reportError(ctx, f.IO.ErrOut, cmd, err, inv.started)
}

// invocation records how far one execution got.
type invocation struct {
	// started is set by the root's PersistentPreRunE: errors before it
	// come from cobra's own parsing and are usage errors.
	started bool
}

// NewRootCmd builds a fresh command tree (no globals: tests run many in one
// process).
func NewRootCmd(f *Factory) *cobra.Command {
	root, _ := newRoot(f)
	return root
}

func newRoot(f *Factory) (*cobra.Command, *invocation) {
	inv := &invocation{}
	root := &cobra.Command{
		Use:   "akresp <command> [flags]",
		Short: "Respond to a leaked Alibaba Cloud AccessKey",
		Long: `akresp audits, contains, disables and rotates leaked Alibaba Cloud AccessKeys
and writes the incident report, following Alibaba Cloud's AccessKey leak
response plan.

Results go to stdout (-o json for scripts); progress, prompts and logs go to
stderr. See 'akresp help exit-codes' and 'akresp help environment'.`,
		Version:       versionLine(f.Version),
		SilenceErrors: true,
		SilenceUsage:  true,
		// Every setting is resolved and validated here, before any command
		// does I/O. Subcommands must not define PersistentPreRun(E): cobra
		// runs only the nearest one (root_test checks this).
		PersistentPreRunE: settingsHook(f, inv),
	}
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetVersionTemplate("{{.Version}}\n")
	root.CompletionOptions.DisableDefaultCmd = true // completion.go has our own
	root.SetFlagErrorFunc(flagError)
	registerGlobalFlags(root.PersistentFlags())
	registerGlobalCompletions(root)

	root.AddCommand(
		newCmdVersion(f, nil),
		newCmdCompletion(f),
		newCmdPolicy(f),
		newCmdRotate(f, nil),
		newCmdContain(f, nil),
		newCmdDisable(f, nil),
		newCmdEradicate(f, nil),
		newCmdAudit(f, nil),
		newCmdReport(f, nil),
		newCmdLab(f),
		newCmdLeaks(f, nil),
		newCmdScan(f, nil),
		newCmdPreflight(f, nil),
		newCmdWatch(f, nil),
		// Commands owned elsewhere are registered here, one line each:
		//   newCmdAudit(f, nil), newCmdContain(f, nil), ...
	)
	addHelpTopics(root)
	return root, inv
}

// settingsHook is the root's PersistentPreRunE: it marks the invocation as
// started, then resolves and validates every setting before any command
// does I/O.
func settingsHook(f *Factory, inv *invocation) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		inv.started = true
		// Cobra checks these after this hook; check them first so they are
		// reported as usage errors.
		if err := cmd.ValidateRequiredFlags(); err != nil {
			return NewUsageError(err)
		}
		if err := cmd.ValidateFlagGroups(); err != nil {
			return NewUsageError(err)
		}
		s, err := resolveSettings(cmd)
		if err != nil {
			return err
		}
		if s.NoColor {
			f.IO.SetColorEnabled(false)
		}
		f.setResolved(s)
		startJQ(f, s)
		return nil
	}
}

// flagError turns pflag's parse errors into usage errors with messages in
// akresp's style.
func flagError(cmd *cobra.Command, err error) error {
	var inv *pflag.InvalidValueError
	if errors.As(err, &inv) {
		fl := inv.GetFlag()
		want := "a valid " + fl.Value.Type()
		switch fl.Value.Type() {
		case "int", "int64", "uint", "uint64":
			want = "a whole number"
		case "duration":
			want = "a duration such as 10s or 1m"
		case "bool":
			want = "true or false"
		}
		return UsageErrorf("--%s %q: want %s", fl.Name, inv.GetValue(), want)
	}
	return NewUsageError(err)
}

// groupCommand makes a command that only groups subcommands: run alone it
// prints its help; with an unknown subcommand it is a usage error (cobra
// would otherwise print help and exit 0).
func groupCommand(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			err := &UsageError{Err: fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())}
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				err.HintMsg = fmt.Sprintf("did you mean %q?", strings.Join(s, `" or "`))
			} else {
				err.HintMsg = fmt.Sprintf("run '%s --help' for the list of commands", cmd.CommandPath())
			}
			return err
		},
	}
}

// registerGlobalCompletions offers the allowed values of global flags to
// shell completion.
func registerGlobalCompletions(root *cobra.Command) {
	for _, sp := range settingSpecs {
		values := sp.allowed
		if sp.flag == "output" {
			values = allFormats
		}
		if len(values) == 0 {
			continue
		}
		vals := values
		_ = root.RegisterFlagCompletionFunc(sp.flag, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return vals, cobra.ShellCompDirectiveNoFileComp
		})
	}
}

// Two-stage interrupt (STYLE 15). cmd/akresp cancels the context given to
// Main on the first SIGINT/SIGTERM and restores the default signal handling,
// so a second signal ends the process at once. Mutating commands therefore:
//
//   - check Interrupted(ctx) before starting each action and stop scheduling
//     new ones once it is true (journaling what was done);
//   - run each action's API calls on InFlight(ctx, timeout), so the first
//     interrupt does not cut a call in half: it finishes (or times out) and
//     its outcome is journaled.

// Interrupted reports whether the command was asked to stop.
func Interrupted(ctx context.Context) bool { return ctx.Err() != nil }

// InFlight returns a context for an action that has already started: it
// keeps ctx's values but not its cancellation, and ends after timeout.
func InFlight(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), timeout)
}

// noteDeleted tells an unknown key that akresp deleted (the incident's
// journals say when) from a typo: every command answers a missing key with
// cloud.UnknownKeyError, and the one akresp deleted is no mystery.
func noteDeleted(f *Factory, err error) {
	var uk *cloud.UnknownKeyError
	if !errors.As(err, &uk) || f.Settings == nil {
		return
	}
	s, serr := f.Settings()
	if serr != nil || s.StateDir == "" {
		return
	}
	if rec, lerr := incident.LoadOwn(s.StateDir, uk.KeyID); lerr == nil && rec != nil {
		uk.DeletedAt = rec.DeletedAt
	}
}
