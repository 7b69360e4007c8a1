// Package cli is akresp's shell: the cobra command tree, global flags and
// settings, the Factory of lazily built dependencies, output printers
// (json, table, csv, markdown), diagnostics, prompts, and the single place
// where errors become exit codes (exitcode.go). cmd/akresp only calls Main.
//
// It owns presentation. Domain packages (audit, respond, rotate, report,
// policy) return values and typed errors; this package decides how to show
// them. It may import those packages, internal/cloud (only through
// Factory.Cloud) and internal/lab (only for `akresp lab`); none of them may
// import it, cobra, or any printing package. Nothing here calls os.Exit.
//
// # Adding a command
//
// One file per command, named after it (contain.go for `akresp contain`),
// shaped like cli/cli's commands (see policy.go and version.go):
//
//	type ContainOptions struct {
//		IO *IOStreams; Now func() time.Time; Logger *slog.Logger
//		Cloud func(context.Context) (*cloud.Clients, error); Prompter Prompter
//		StateDir string; Output string; Yes, DryRun bool  // from f.Settings()
//		KeyID string; CIDRs []string; DenyPublic bool     // this command's flags
//	}
//
//	func newCmdContain(f *Factory, runF func(context.Context, *ContainOptions) error) *cobra.Command
//
// The constructor binds flags straight onto the options struct. Its RunE
// reads the resolved global settings with f.Settings(), copies what it
// needs, validates everything (AK ID with policy.ParseAccessKeyID, CIDRs,
// flag combinations) and returns a *UsageError on a mistake, all before any
// I/O; then it calls runF when set (parse tests capture the options that
// way) or runContain(ctx, opts). Declare the -o formats the command supports
// with setOutputFormats(cmd, default, others...); the root rejects any other
// value before RunE runs, naming the allowed ones. Print results with
// NewPrinter(opts.Output, ...) to IO.Out only; status, progress and prompts
// go to IO.ErrOut. Mutating commands print the plan, then call
// RequireConfirmation, and run API calls on InFlight contexts (see
// Interrupted).
//
// The lead registers the command with one line in newRoot (root.go):
//
//	root.AddCommand(..., newCmdContain(f, nil))
//
// Rules: no package-level cobra commands or flag registration in init();
// no PersistentPreRun(E) on subcommands (the root's resolves and validates
// the settings and cobra runs only the nearest one); errors are lower-case,
// context first, and carry their exit code through ExitCoder (UsageError 2,
// FindingsError 3, SafetyRailError 4, ExitError, or a domain type); Main
// prints them once as "akresp: <message>" plus a "hint:" line from Hinter.
//
// # Global settings
//
// Every global flag is declared once in settingSpecs (factory.go) with its
// environment variable and default; precedence is flag > env > default. They
// mean the same thing on every command: --profile, --region, --endpoint,
// -o/--output, --state-dir, -y/--yes, --dry-run, --log-level, --log-format,
// --no-color, --tz and --timeout.
package cli
