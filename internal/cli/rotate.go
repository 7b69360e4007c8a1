package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/policy"
	"github.com/akresp/akresp/internal/rotate"
	"github.com/akresp/akresp/internal/safetext"
)

// RotateOptions holds the dependencies and flags of `akresp rotate`.
type RotateOptions struct {
	IO       *IOStreams
	Now      func() time.Time
	Logger   *slog.Logger
	Settings func() (*Settings, error)
	Prompter Prompter
	// Backend returns the cloud the machine talks to and the endpoint it
	// reaches (for the plan header). Tests replace it.
	Backend func(ctx context.Context) (rotate.Cloud, string, error)

	KeyID        string
	SecretFile   string
	Exec         string
	ExecTimeout  time.Duration
	SecretStdout bool
	Wait         bool
	QuietFor     time.Duration
	Observe      time.Duration
	PollInterval time.Duration
	Status       bool
	Rollback     bool
	DeleteNew    bool
	Delete       bool
	Force        bool
	NoInheritACL bool
	// QuietForSet and ObserveSet: the flags were given (they override the
	// values saved with the rotation).
	QuietForSet, ObserveSet bool
}

func newCmdRotate(f *Factory, runF func(context.Context, *RotateOptions) error) *cobra.Command {
	opts := &RotateOptions{IO: f.IO, Now: f.Now, Settings: f.Settings, Prompter: f.Prompter}
	cmd := &cobra.Command{
		Use:   "rotate <AK-ID>",
		Short: "Rotate an AccessKey: second key, safe hand-over, cut-over, disable, delete (resumable)",
		Long: `Rotate an AccessKey as a resumable state machine, one step per run or all
of them with --wait. State lives in <state-dir>/<AK-ID>/rotation.json and every
change is journaled, so a run killed at any point resumes with the same command.

  1. create the second key for the key's owner (a RAM user, or the root account
     when akresp runs as root). If the owner already has two keys, an Inactive
     other key is deleted with --force; an Active one is never touched (exit 4).
     Containment moves with the rotation: the new key gets the old key's
     key-level network ACL, verified by reading it back, before its secret
     leaves akresp (--no-inherit-acl opts out, with a warning). The
     deny-high-risk policy contain attached to the owner stays; after --delete
     the next step printed is the command that removes it.
  2. hand the new secret over through exactly one exit: --secret-file PATH (new
     file, mode 0600, never overwritten), --exec CMD (the key as JSON on stdin;
     the command runs without any ALIBABA_CLOUD_*/ALIBABACLOUD_*/ALICLOUD_*/
     ALIYUN_* variable, with only AKRESP_NEW_ACCESS_KEY_ID and
     AKRESP_OLD_ACCESS_KEY_ID added), or --secret-stdout. The secret is never
     logged, journaled or stored.
  3. wait for cut-over: the new key in use and the old one quiet for --quiet-for,
     from ActionTrail/RAM last-used data and the old key's callers. Only
     legitimate use counts: calls the fence refused and calls from sources an
     audit or contain flagged are listed as "attacker still trying" and hold
     nothing. Calls from the trusted sources are the application: they do.
  4. disable the old key, then watch --observe for legitimate calls failing
     with it (a missed application: exit 1, naming its source; re-enable with
     --rollback). The attacker's calls never ask for a rollback.
  5. delete the old key, as its own step: --delete.

--quiet-for and --observe are saved with the rotation; a resume uses them
without the flags (flags given on resume replace them, with a note).
--status reads the keys' live states and last use, says where the cloud
differs from the state file (e.g. a key re-enabled by hand), and exits 1 when
it cannot read the cloud. A state file whose facts contradict the journal or
the cloud (new_key_id equal to the old key, a "new" key older than the
rotation, a key no journaled CreateAccessKey call of this rotation created)
stops every mode with exit 4, naming the file and the field.`,
		Example: `  akresp rotate LTAI5tExampleKey00000001 --secret-file ./new-key.json --yes
  akresp rotate LTAI5tExampleKey00000001 --status
  akresp rotate LTAI5tExampleKey00000001 --wait --quiet-for 24h --observe 24h --yes
  akresp rotate LTAI5tExampleKey00000001 --rollback --yes
  akresp rotate LTAI5tExampleKey00000001 --delete --yes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.KeyID = strings.TrimSpace(args[0])
			opts.QuietForSet = cmd.Flags().Changed("quiet-for")
			opts.ObserveSet = cmd.Flags().Changed("observe")
			if f.Logger != nil {
				opts.Logger = f.Logger()
			}
			if opts.Backend == nil {
				opts.Backend = func(ctx context.Context) (rotate.Cloud, string, error) {
					c, err := f.Cloud(ctx)
					if err != nil {
						return nil, "", err
					}
					return rotate.FromCloud(c), c.Endpoint(), nil
				}
			}
			if err := validateRotate(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runRotate(cmd.Context(), opts)
		},
	}
	setOutputFormats(cmd, FormatTable, FormatJSON)
	fl := cmd.Flags()
	fl.StringVar(&opts.SecretFile, "secret-file", "", "hand the new secret over in this new file (JSON, mode 0600; refuses to overwrite)")
	fl.StringVar(&opts.Exec, "exec", "", "hand the new secret over to this command (run by sh -c) as JSON on its stdin")
	fl.Var(newDurationFlag(&opts.ExecTimeout, 5*time.Minute), "exec-timeout", "how long the --exec command may run")
	fl.BoolVar(&opts.SecretStdout, "secret-stdout", false, "print the new secret as JSON on stdout (explicit opt-in)")
	fl.BoolVar(&opts.Wait, "wait", false, "keep checking until cut-over and observation complete, reporting progress on stderr")
	fl.Var(newDurationFlag(&opts.QuietFor, rotate.DefaultQuietFor), "quiet-for", "how long the old key must be unused before it is disabled")
	fl.Var(newDurationFlag(&opts.Observe, rotate.DefaultObserve), "observe", "how long to watch for calls failing with the disabled key")
	fl.Var(newDurationFlag(&opts.PollInterval, rotate.DefaultPollInterval), "poll-interval", "time between evidence checks with --wait")
	fl.BoolVar(&opts.Status, "status", false, "show the step, evidence and next command; change nothing")
	fl.BoolVar(&opts.Rollback, "rollback", false, "re-enable the old key (the new key is kept unless --delete-new)")
	fl.BoolVar(&opts.DeleteNew, "delete-new", false, "with --rollback: also delete the new key, abandoning the rotation")
	fl.BoolVar(&opts.Delete, "delete", false, "delete the old key (needs step verified, or --force once disabled)")
	fl.BoolVar(&opts.NoInheritACL, "no-inherit-acl", false, "create the new key WITHOUT the old key's network ACL (the containment ends when applications switch; warns)")
	fl.BoolVar(&opts.Force, "force", false, "delete an Inactive second key to make room; with --delete, delete before verification ends; accept earlier failures as fixed; rotate a key the incident says the attacker created")
	return cmd
}

func validateRotate(o *RotateOptions) error {
	id, err := policy.ParseAccessKeyID(o.KeyID)
	if err != nil {
		return NewUsageError(err)
	}
	o.KeyID = id
	if policy.IsSTS(id) {
		return UsageErrorf("rotate %s: STS credentials expire on their own and cannot be rotated; rotate the permanent key that assumed the role", safetext.Line(id))
	}
	modes := 0
	for _, b := range []bool{o.Status, o.Rollback, o.Delete} {
		if b {
			modes++
		}
	}
	exits := 0
	for _, b := range []bool{o.SecretFile != "", o.Exec != "", o.SecretStdout} {
		if b {
			exits++
		}
	}
	switch {
	case modes > 1:
		return UsageErrorf("rotate %s: --status, --rollback and --delete are separate steps; pass one", o.KeyID)
	case exits > 1:
		return UsageErrorf("rotate %s: choose exactly one exit for the new secret: --secret-file, --exec or --secret-stdout", o.KeyID)
	case exits == 1 && modes == 1:
		return UsageErrorf("rotate %s: --secret-file, --exec and --secret-stdout only apply when creating the key, not with --status, --rollback or --delete", o.KeyID)
	case o.DeleteNew && !o.Rollback:
		return UsageErrorf("rotate %s: --delete-new only goes with --rollback", o.KeyID)
	case o.Wait && modes == 1:
		return UsageErrorf("rotate %s: --wait applies to the rotation itself, not to --status, --rollback or --delete", o.KeyID)
	case o.QuietFor < 0, o.Observe < 0:
		return UsageErrorf("rotate %s: --quiet-for and --observe must not be negative", o.KeyID)
	case o.PollInterval <= 0:
		return UsageErrorf("rotate %s: --poll-interval must be positive", o.KeyID)
	case o.ExecTimeout <= 0:
		return UsageErrorf("rotate %s: --exec-timeout must be positive", o.KeyID)
	case o.NoInheritACL && modes == 1:
		return UsageErrorf("rotate %s: --no-inherit-acl only applies when creating the new key, not with --status, --rollback or --delete", o.KeyID)
	}
	return nil
}

func runRotate(ctx context.Context, o *RotateOptions) error {
	s, err := o.Settings()
	if err != nil {
		return err
	}
	if s.Output != "" && s.Output != FormatTable && s.Output != FormatJSON {
		return UsageErrorf("rotate: -o %s is not supported; use table or json", s.Output)
	}
	if o.SecretStdout && s.Output == FormatJSON {
		return UsageErrorf("rotate %s: --secret-stdout and -o json would both write to stdout; use --secret-file or --exec with -o json", o.KeyID)
	}
	if s.StateDir == "" {
		return UsageErrorf("rotate %s: no state directory; pass --state-dir", o.KeyID)
	}
	backend, endpoint, err := o.Backend(ctx)
	if err != nil {
		return err
	}
	mo := rotate.Options{
		KeyID: o.KeyID, StateDir: s.StateDir, Cloud: backend, Force: o.Force, Wait: o.Wait,
		QuietFor: o.QuietFor, Observe: o.Observe, PollInterval: o.PollInterval, DeleteNew: o.DeleteNew,
		QuietForSet: o.QuietForSet, ObserveSet: o.ObserveSet, NoInheritACL: o.NoInheritACL,
		Endpoint: endpoint, Now: o.Now, Logger: o.Logger,
		OnEvent: func(e rotate.Event) { printRotateEvent(o.IO.ErrOut, e) },
	}
	switch {
	case o.SecretFile != "":
		mo.Handover = rotate.FileHandover{Path: expandHome(o.SecretFile)}
	case o.Exec != "":
		mo.Handover = rotate.ExecHandover{Command: o.Exec, Output: o.IO.ErrOut, Timeout: o.ExecTimeout}
	case o.SecretStdout:
		mo.Handover = rotate.StdoutHandover{W: o.IO.Out}
	}
	m, err := rotate.New(mo)
	if err != nil {
		return NewUsageError(err)
	}
	if o.Status {
		rep, err := m.Status(ctx)
		if err != nil {
			var fe *rotate.StateFactError
			if rep != nil && errors.As(err, &fe) {
				_ = printRotateReport(o.IO, s, rep)
			}
			return err
		}
		return printRotateReport(o.IO, s, rep)
	}

	// Before any mutation: who we are and where we send the calls.
	caller, err := backend.CallerIdentity(ctx)
	if err != nil {
		return fmt.Errorf("rotate %s: who am I (sts GetCallerIdentity): %w", o.KeyID, err)
	}
	if endpoint == "" {
		endpoint = "default Alibaba Cloud endpoints"
	}
	fmt.Fprintf(o.IO.ErrOut, "akresp rotate %s: acting as %s (account %s) via %s\n", o.KeyID, caller.Arn, caller.AccountID, endpoint)
	if !o.Rollback && !o.Delete && !o.Force {
		// The attacker's own key is disabled and removed, never rotated:
		// a rotation would give the attacker's user a fresh key.
		if rec, err := incident.Load(s.StateDir, o.KeyID); err == nil && rec.CreatedBy != "" && (rec.Rotation == nil || rec.Rotation.Step == "none") {
			var ips []string
			for _, a := range rec.Inherited {
				ips = append(ips, a.String())
			}
			return &SafetyRailError{Rule: "attacker-created-key",
				Detail: fmt.Sprintf("%s was created from %s, the attacker's sources in the incident of %s (its journaled evidence): a rotation would give that user a new key. Disable it (akresp disable %s) and remove it with the attacker's other footholds (akresp eradicate %s)",
					o.KeyID, strings.Join(ips, ", "), rec.CreatedBy, o.KeyID, rec.CreatedBy),
				Override: "--force"}
		}
	}
	var preview *rotate.Preview
	if !o.Rollback && !o.Delete {
		if p, err := m.Preview(ctx); err != nil {
			return err
		} else {
			preview = &p
		}
	}
	plan, err := rotatePlan(o, s.StateDir, preview)
	if err != nil {
		return err
	}
	// The plan goes to stdout like every command's, unless stdout carries
	// the JSON report or the secret (planWriter).
	pw, pal := planWriter(o.IO, s.Output == FormatJSON || o.SecretStdout)
	if err := writeBulletPlan(pw, pal, plan); err != nil {
		return err
	}
	if s.DryRun {
		rep, err := m.Status(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintln(o.IO.ErrOut, "dry run: nothing changed")
		return printRotateReport(o.IO, s, rep)
	}
	if proceed, err := ConfirmPlan(ConfirmOptions{IO: o.IO, Prompter: o.Prompter, Yes: s.Yes, DryRun: s.DryRun,
		Verb: "rotate " + o.KeyID, Prompt: "Proceed?"}, nil); !proceed {
		return err
	}
	var rep *rotate.Report
	switch {
	case o.Rollback:
		rep, err = m.Rollback(ctx)
	case o.Delete:
		rep, err = m.Delete(ctx)
	default:
		rep, err = m.Run(ctx)
	}
	if rep != nil {
		if perr := printRotateReport(o.IO, s, rep); perr != nil && err == nil {
			err = perr
		}
	}
	if err != nil && errors.Is(err, context.Canceled) {
		// The shell reduces an interrupt to "interrupted": say how to go on.
		fmt.Fprintf(o.IO.ErrOut, "rotate %s: interrupted; every call that started finished and is journaled; re-run the same command to resume\n", o.KeyID)
	}
	return err
}

// rotatePlan describes what this run may change, from the saved state.
func rotatePlan(o *RotateOptions, stateDir string, pv *rotate.Preview) (string, error) {
	st, err := rotate.LoadState(stateDir, o.KeyID)
	if err != nil {
		return "", err
	}
	step := rotate.StepNone
	if st != nil {
		step = st.Step
	}
	quiet, observe := o.QuietFor, o.Observe
	if pv != nil {
		quiet, observe = pv.QuietFor, pv.Observe
	}
	var b strings.Builder
	fmt.Fprintf(&b, "plan (rotation at step %s):", step)
	switch {
	case o.Rollback:
		b.WriteString("\n  - re-enable the old key " + o.KeyID + " if it is disabled")
		if o.DeleteNew {
			b.WriteString("\n  - delete the new key (irreversible: it goes to the IMS recycle bin)")
		} else {
			b.WriteString("\n  - keep the new key")
		}
	case o.Delete:
		b.WriteString("\n  - delete the old key " + o.KeyID + " (irreversible: it goes to the IMS recycle bin for about 31 days)")
		b.WriteString("\n  - leave the deny-high-risk policy on the owner, if contain attached one (the next step says how to remove it)")
	default:
		if step == rotate.StepNone || step == rotate.StepCreating || step == rotate.StepCreated || (step == rotate.StepRolledBack && st.NewKeyGone) {
			if step == rotate.StepCreating || step == rotate.StepCreated {
				b.WriteString("\n  - delete the key an interrupted run created (its secret is lost)")
			}
			b.WriteString("\n  - create a new AccessKey for the key's owner")
			if o.Force {
				b.WriteString(" (deleting an Inactive second key first if there is one)")
			}
			switch {
			case pv == nil:
			case o.NoInheritACL && pv.ACLError != "":
				b.WriteString("\n  - WARNING --no-inherit-acl: the old key's network ACL could not be read (" + pv.ACLError + "); the new key gets none")
			case o.NoInheritACL && pv.OldACL != "":
				b.WriteString("\n  - WARNING --no-inherit-acl: the new key does NOT get the old key's network ACL (" + rotate.ACLSummary(pv.OldACL) + "); it can be used from any address")
			case pv.ACLError != "":
				b.WriteString("\n  - give the new key the old key's network ACL: it cannot be read now (" + pv.ACLError + "), so the run stops before creating anything")
			case pv.OldACL != "":
				b.WriteString("\n  - give the new key the old key's network ACL (" + rotate.ACLSummary(pv.OldACL) + ") and verify it, before its secret is handed over")
			default:
				b.WriteString("\n  - the old key has no key-level network ACL: the new key gets none")
			}
			b.WriteString("\n  - hand its secret over via " + handoverName(o))
		}
		if step != rotate.StepVerified && step != rotate.StepDeleted {
			if quiet > 0 {
				fmt.Fprintf(&b, "\n  - when the new key is in use and the old one quiet for %s (legitimate use only): disable the old key %s", quiet, o.KeyID)
			} else {
				fmt.Fprintf(&b, "\n  - when the new key is in use (--quiet-for 0s: no quiet period asked of the old one): disable the old key %s", o.KeyID)
			}
			if observe > 0 {
				fmt.Fprintf(&b, "\n  - then watch %s for legitimate calls failing with it", observe)
			} else {
				b.WriteString("\n  - then verify at once that no legitimate call fails with it (--observe 0s: no watch)")
			}
		} else {
			b.WriteString("\n  - nothing (run with --delete to delete the old key)")
		}
	}
	return b.String(), nil
}

func handoverName(o *RotateOptions) string {
	switch {
	case o.SecretFile != "":
		return "the new file " + o.SecretFile
	case o.Exec != "":
		return "the command " + o.Exec
	case o.SecretStdout:
		return "stdout"
	}
	return "(none given: pass --secret-file, --exec or --secret-stdout)"
}

func printRotateEvent(w io.Writer, e rotate.Event) {
	switch e.Kind {
	case "step":
		fmt.Fprintf(w, "✓ %s\n", e.Message)
	case "action":
		if e.Result == "" {
			return // the outcome line follows
		}
		line := fmt.Sprintf("  %s %s: %s", e.Action, e.Target, e.Result)
		if e.RequestID != "" {
			line += " (request " + e.RequestID + ")"
		}
		fmt.Fprintln(w, line)
	case "wait":
		fmt.Fprintf(w, "… %s %s\n", e.Time.UTC().Format(time.RFC3339), e.Message)
	case "warning":
		fmt.Fprintf(w, "warning: %s\n", e.Message)
	default:
		fmt.Fprintf(w, "  %s\n", e.Message)
	}
}

func printRotateReport(ios *IOStreams, s *Settings, r *rotate.Report) error {
	if s.Output == FormatJSON {
		return jsonPrinter{}.Print(ios.Out, r)
	}
	loc := s.TZ
	if loc == nil || !ios.IsStdoutTTY() {
		loc = time.UTC
	}
	tm := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.In(loc).Format(time.RFC3339)
	}
	w := tabwriter.NewWriter(ios.Out, 0, 4, 2, ' ', 0)
	owner := "user " + r.User
	if r.Root {
		owner = "root account"
	} else if r.User == "" {
		owner = "owner not resolved yet"
	}
	fmt.Fprintf(w, "rotation of %s (%s)\n", r.KeyID, owner)
	fmt.Fprintf(w, "  step:\t%s\n", r.Step)
	if r.NewKeyID != "" {
		nk := r.NewKeyID
		if r.NewKeyDeleted {
			nk += " (deleted)"
		}
		fmt.Fprintf(w, "  new key:\t%s\n", nk)
	}
	if r.Handover != nil && r.NewKeyID != "" {
		fmt.Fprintf(w, "  secret handed over via:\t%s %s\n", r.Handover.Kind, r.Handover.Target)
	}
	if a := r.ACL; a != nil {
		switch {
		case a.OptedOut:
			fmt.Fprintf(w, "  network ACL:\tNOT inherited (--no-inherit-acl); the old key's: %s\n", rotate.ACLSummary(a.Policy))
		case a.Policy == "":
			fmt.Fprintf(w, "  network ACL:\tnone to inherit (the old key had none)\n")
		case !a.VerifiedAt.IsZero():
			fmt.Fprintf(w, "  network ACL:\tinherited by %s and verified at %s: %s\n", a.SetOn, tm(a.VerifiedAt), rotate.ACLSummary(a.Policy))
		default:
			fmt.Fprintf(w, "  network ACL:\tto be inherited: %s\n", rotate.ACLSummary(a.Policy))
		}
	}
	if r.QuietFor != "" || r.Observe != "" {
		fmt.Fprintf(w, "  windows:\t--quiet-for %s, --observe %s (saved with the rotation)\n", r.QuietFor, r.Observe)
	}
	if len(r.Keys) > 0 {
		fmt.Fprintln(w, "  keys now (live):")
		for _, k := range r.Keys {
			last := "unknown"
			if k.Known {
				last = tm(k.LastUsed)
			}
			line := strings.TrimRight(fmt.Sprintf("    %s key %s\t%s, last used %s %s", k.Role, k.KeyID, k.Status, last, k.Service), " ")
			if k.ACL != "" {
				line += "\tnetwork ACL: " + k.ACL
			}
			fmt.Fprintln(w, line)
		}
	}
	for _, d := range r.Drift {
		fmt.Fprintf(w, "  DIFFERS FROM THE STATE FILE:\t%s\n", d)
	}
	if r.WaitingFor != "" {
		fmt.Fprintf(w, "  waiting for:\t%s\n", r.WaitingFor)
	}
	used := func(u rotate.KeyUsage) string {
		if !u.Known {
			return "unknown"
		}
		return tm(u.LastUsed)
	}
	if ev := r.Evidence; ev != nil {
		fmt.Fprintf(w, "  evidence (checked %s):\n", tm(ev.CheckedAt))
		if len(r.Keys) == 0 {
			if ev.New != nil {
				fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("    new key %s\t%s, last used %s %s", ev.New.KeyID, ev.New.Status, used(*ev.New), ev.New.Service), " "))
			}
			fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("    old key %s\t%s, last used %s %s", r.KeyID, ev.Old.Status, used(ev.Old), ev.Old.Service), " "))
		}
		if len(ev.OldCallers) > 0 {
			fmt.Fprintf(w, "    legitimate callers of the old key since %s:\n", tm(ev.CallersSince))
			for _, c := range ev.OldCallers {
				fmt.Fprintf(w, "      %s\t%s\t%s\t%d call(s), last %s\n", c.IP, c.UserAgent, strings.Join(c.Services, ","), c.Count, tm(c.Last))
			}
		}
		if len(ev.Attackers) > 0 {
			fmt.Fprintf(w, "    attacker still trying (not counted as use): %s\n", rotate.AttackerSummary(ev.Attackers))
		}
		if len(ev.Failures) > 0 {
			fmt.Fprintf(w, "    legitimate calls failing with the disabled key since %s:\n", tm(ev.ObserveFrom))
			for _, f := range ev.Failures {
				fmt.Fprintf(w, "      %s\t%s\t%s %s\t%s at %s\n", f.SourceIP, f.UserAgent, f.Service, f.EventName, f.ErrorCode, tm(f.Time))
			}
		}
		for _, warn := range ev.Warnings {
			fmt.Fprintf(w, "    warning: %s\n", warn)
		}
	}
	if len(r.Actions) > 0 {
		fmt.Fprintln(w, "  changes this run:")
		for _, a := range r.Actions {
			line := fmt.Sprintf("    %s\t%s\t%s", a.Action, a.Target, a.Result)
			if a.RequestID != "" {
				line += "\trequest " + a.RequestID
			}
			fmt.Fprintln(w, line)
		}
	}
	for _, d := range r.Discarded {
		fmt.Fprintf(w, "  discarded key %s:\t%s\n", d.KeyID, d.Reason)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	if r.Complete {
		fmt.Fprintln(w, "  rotation complete")
	}
	if r.NextCommand != "" {
		fmt.Fprintf(w, "  next:\t%s\n", r.NextCommand)
	}
	return w.Flush()
}
