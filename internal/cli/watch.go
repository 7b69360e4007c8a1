package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud/slsq"
	"github.com/akresp/akresp/internal/watch"
)

// WatchOptions are the inputs of `akresp watch`.
type WatchOptions struct {
	IO       *IOStreams
	Now      func() time.Time
	Settings func() (*Settings, error)
	Backend  func(ctx context.Context) (watch.Cloud, error)
	// SLSBackend returns the SLS client for --sls (default: signed with
	// the cloud clients' credentials, like audit --sls).
	SLSBackend func(ctx context.Context, endpoint string) (audit.SLSQuerier, error)
	// HTTP posts webhooks; default a client with a 10 s timeout.
	HTTP     *http.Client
	Prompter Prompter

	Interval      time.Duration
	Window        time.Duration
	Threshold     int
	Factor        float64
	Once          bool
	Webhook       string
	WebhookFormat string
	NoInsights    bool
	// Regions is --regions: "all" (default) or a list of region IDs.
	Regions string
	regions []string
	// SLS push-down: --sls PROJECT/LOGSTORE, --sls-endpoint, --sls-topic.
	SLS         string
	SLSEndpoint string
	SLSTopic    string
	slsTarget   slsq.Target
	slsEndpoint string
	// --install-sls-alerts writes the rules as SLS alert rules instead of
	// evaluating them; --sls-action-policy names the action policy that
	// notifies.
	InstallSLSAlerts bool
	SLSActionPolicy  string
}

func newCmdWatch(f *Factory, runF func(context.Context, *WatchOptions) error) *cobra.Command {
	opts := &WatchOptions{IO: f.IO, Now: f.Now, Settings: f.Settings, Prompter: f.Prompter}
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Alert when a key behaves like a leaked one (every --interval over --window of ActionTrail)",
		Long: `Evaluate akresp's built-in alert rules over the last --window of ActionTrail
events (LookupEvents) every --interval, like ActionTrail's built-in alerts
(every 15 minutes over the past 30):

  ak_frequency        a key made at least --threshold calls in the window, and
                      at least --baseline-factor times its own baseline (its
                      average per window in earlier runs) when one exists
  root_key_used       a root-account AccessKey was used
  trail_stopped       a key stopped or deleted a trail
  persistence         a key created users, keys, logins or granted policies
  scanner_user_agent  a secret scanner's user agent used a key
  insight             an ActionTrail Insights event (AkInsight, IpInsight, ...)

Each alert is one JSON line on stdout, or a POST to --webhook in the
--webhook-format (json, slack, dingtalk, lark), with the akresp audit command
that investigates it. Alerts are de-duplicated across runs through the state
directory: an event counts towards one alert of a rule and key at most.
--once runs one evaluation (for cron); otherwise watch runs until SIGTERM or
Ctrl-C and ends cleanly. akresp's own calls never count.

ActionTrail is regional: each run reads every region (--regions all, the
default: the configured region and every region DescribeRegions lists) with
one LookupEvents query per region for every key at once, all sharing the
client's 2 requests/s LookupEvents quota. A region that cannot be read is
reported on stderr and the others are still evaluated.

--sls PROJECT/LOGSTORE reads the trail ActionTrail delivers to SLS instead
and pushes the work down: one grouped count per key and 10 minutes for
ak_frequency, and only the matching events for the other rules. Same rules,
same state, same alerts.

--install-sls-alerts --sls PROJECT/LOGSTORE --sls-action-policy ID writes
the rules (but insight) as SLS alert rules on the logstore instead, so that
detection keeps running without akresp: it prints the rule definitions as a
plan first and creates them after confirmation (--yes; --dry-run prints the
plan only). See docs/watch.md.`,
		Example: `  akresp watch --once --window 30m
  akresp watch --once --sls trail-proj/actiontrail_main
  akresp watch --install-sls-alerts --sls trail-proj/actiontrail_main --sls-action-policy oncall --dry-run
  akresp watch --interval 15m --webhook https://oapi.dingtalk.com/robot/send?access_token=... --webhook-format dingtalk`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateWatch(cmd, opts); err != nil {
				return err
			}
			if opts.Backend == nil {
				opts.Backend = func(ctx context.Context) (watch.Cloud, error) { return f.Cloud(ctx) }
			}
			if opts.SLSBackend == nil {
				opts.SLSBackend = func(ctx context.Context, endpoint string) (audit.SLSQuerier, error) {
					return newSLSClient(ctx, f, endpoint)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runWatch(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.Var(newDurationFlag(&opts.Interval, watch.DefaultInterval), "interval", "time between evaluations")
	fl.Var(newDurationFlag(&opts.Window, watch.DefaultWindow), "window", "how far back each evaluation reads")
	fl.IntVar(&opts.Threshold, "threshold", watch.DefaultThreshold, "calls of one key within --window that make ak_frequency fire")
	fl.Float64Var(&opts.Factor, "baseline-factor", watch.DefaultFactor, "ak_frequency also needs this many times the key's baseline, when it has one")
	fl.BoolVar(&opts.Once, "once", false, "evaluate once and exit (for cron)")
	fl.StringVar(&opts.Webhook, "webhook", "", "POST each alert to this http(s) URL instead of printing it")
	fl.StringVar(&opts.WebhookFormat, "webhook-format", watch.FormatJSON, "webhook body: json|slack|dingtalk|lark")
	fl.BoolVar(&opts.NoInsights, "no-insights", false, "do not read ActionTrail Insights events")
	fl.StringVar(&opts.Regions, "regions", audit.RegionsAll, "ActionTrail regions to read: all (the configured region and every region DescribeRegions lists) or a comma-separated `LIST`")
	fl.StringVar(&opts.SLS, "sls", "", "evaluate by push-down queries to the SLS logstore ActionTrail delivers to (`PROJECT/LOGSTORE`) instead of LookupEvents")
	fl.StringVar(&opts.SLSEndpoint, "sls-endpoint", "", "SLS region endpoint `HOST[:PORT]` or http(s)://HOST[:PORT] (default <region>.log.aliyuncs.com; HTTPS unless loopback)")
	fl.StringVar(&opts.SLSTopic, "sls-topic", audit.DefaultSLSTopic, "logstore topic of the trail's events (actiontrail_event for the older layout)")
	fl.BoolVar(&opts.InstallSLSAlerts, "install-sls-alerts", false, "instead of evaluating, create the rules as SLS alert rules on the --sls logstore (plan first; --yes, --dry-run)")
	fl.StringVar(&opts.SLSActionPolicy, "sls-action-policy", "", "with --install-sls-alerts: the SLS action policy `ID` that notifies")
	_ = cmd.RegisterFlagCompletionFunc("webhook-format", fixedCompletion(watch.FormatJSON, watch.FormatSlack, watch.FormatDingTalk, watch.FormatLark))
	setOutputFormats(cmd, FormatJSON)
	return cmd
}

func validateWatch(cmd *cobra.Command, o *WatchOptions) error {
	switch {
	case o.Window < time.Minute || o.Window > 24*time.Hour:
		return UsageErrorf("--window %s: want 1m to 24h", o.Window)
	case o.Interval < time.Minute:
		return UsageErrorf("--interval %s: want at least 1m", o.Interval)
	case o.Threshold < 1:
		return UsageErrorf("--threshold %d: want at least 1", o.Threshold)
	case o.Factor < 1:
		return UsageErrorf("--baseline-factor %g: want at least 1", o.Factor)
	}
	switch o.WebhookFormat {
	case watch.FormatJSON, watch.FormatSlack, watch.FormatDingTalk, watch.FormatLark:
	default:
		return UsageErrorf("--webhook-format %q: want json, slack, dingtalk or lark", o.WebhookFormat)
	}
	if o.Webhook != "" {
		u, err := url.Parse(o.Webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return UsageErrorf("--webhook %q: want an http(s) URL", o.Webhook)
		}
	}
	regions, err := audit.ParseRegions(o.Regions)
	if err != nil {
		return NewUsageError(err)
	}
	if len(regions) == 1 && regions[0] == audit.RegionsUsed {
		return UsageErrorf("--regions used applies to one key's audit; watch reads all keys: give all or a list of regions")
	}
	o.regions = regions
	return validateWatchSLS(cmd, o)
}

// validateWatchSLS checks --sls, --sls-endpoint and --sls-topic like
// audit's validateSLS.
func validateWatchSLS(cmd *cobra.Command, o *WatchOptions) error {
	if o.SLS == "" {
		if o.InstallSLSAlerts {
			return UsageErrorf("--install-sls-alerts writes the alert rules onto the trail's logstore: give it with --sls PROJECT/LOGSTORE")
		}
		for _, name := range []string{"sls-endpoint", "sls-topic", "sls-action-policy"} {
			if cmd.Flags().Changed(name) {
				return UsageErrorf("--%s applies only with --sls PROJECT/LOGSTORE", name)
			}
		}
		return nil
	}
	t, err := slsq.ParseTarget(o.SLS)
	if err != nil {
		return NewUsageError(fmt.Errorf("--sls: %w", err))
	}
	o.slsTarget = t
	if o.InstallSLSAlerts {
		if o.SLSActionPolicy == "" {
			return UsageErrorf("--install-sls-alerts needs --sls-action-policy ID: the SLS action policy that notifies (create one in the SLS console's alert center)")
		}
		for _, name := range []string{"once", "webhook", "webhook-format", "no-insights", "baseline-factor"} {
			if cmd.Flags().Changed(name) {
				return UsageErrorf("--%s does not apply to --install-sls-alerts, which creates SLS alert rules instead of evaluating", name)
			}
		}
	} else if cmd.Flags().Changed("sls-action-policy") {
		return UsageErrorf("--sls-action-policy applies only with --install-sls-alerts")
	}
	if cmd.Flags().Changed("regions") {
		return UsageErrorf("--regions chooses the ActionTrail regions LookupEvents reads; with --sls the logstore holds every region the trail delivers: drop --regions")
	}
	o.slsEndpoint = ""
	if o.SLSEndpoint != "" {
		if o.slsEndpoint, err = slsq.NormalizeEndpoint(o.SLSEndpoint); err != nil {
			return NewUsageError(fmt.Errorf("--sls-endpoint: %w", err))
		}
	}
	if !slsTopicRe.MatchString(o.SLSTopic) {
		return UsageErrorf("--sls-topic %q: want letters, digits and _ such as %s", o.SLSTopic, audit.DefaultSLSTopic)
	}
	return nil
}

func runWatch(ctx context.Context, o *WatchOptions) error {
	s, err := o.Settings()
	if err != nil {
		return err
	}
	if o.InstallSLSAlerts {
		return installSLSAlerts(ctx, o, s)
	}
	if s.StateDir == "" {
		return UsageErrorf("watch remembers what it alerted in the state directory: set --state-dir or $AKRESP_STATE_DIR")
	}
	if _, err := watch.StatePath(s.StateDir); err != nil {
		return err
	}
	var c watch.Cloud
	if o.SLS == "" || !o.NoInsights {
		if c, err = o.Backend(ctx); err != nil {
			return err
		}
	}
	var src *watch.SLSSource
	if o.SLS != "" {
		q, err := o.SLSBackend(ctx, o.slsEndpoint)
		if err != nil {
			return err
		}
		if cl, ok := q.(interface{ Close() }); ok {
			defer cl.Close()
		}
		src = &watch.SLSSource{Q: q, Target: o.slsTarget, Topic: o.SLSTopic}
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Once {
		return watchOnce(ctx, o, c, src, s)
	}
	fmt.Fprintf(o.IO.ErrOut, "watching every %s over the last %s; SIGTERM or Ctrl-C stops\n", o.Interval, o.Window)
	for {
		if err := watchOnce(ctx, o, c, src, s); err != nil {
			if Interrupted(ctx) {
				break
			}
			// A failed run is reported and retried at the next tick.
			fmt.Fprintf(o.IO.ErrOut, "watch: %v (retrying in %s)\n", err, o.Interval)
		}
		t := time.NewTimer(o.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		if Interrupted(ctx) {
			break
		}
	}
	fmt.Fprintln(o.IO.ErrOut, "watch stopped")
	return nil
}

// watchOnce evaluates once, delivers the alerts and, when every one was
// delivered, saves the state (so an alert that could not be posted is sent
// again next run: at least once).
func watchOnce(ctx context.Context, o *WatchOptions, c watch.Cloud, src *watch.SLSSource, s *Settings) error {
	st, err := watch.LoadState(s.StateDir)
	if err != nil {
		return err
	}
	res, err := watch.Run(ctx, c, st, watch.Options{Now: o.Now(), Window: o.Window, Threshold: o.Threshold, Factor: o.Factor,
		Insights: !o.NoInsights, Regions: o.regions, SLS: src})
	if err != nil {
		return err
	}
	// What made this run less complete, once per run, on stderr: stdout
	// holds only alert lines.
	for _, d := range res.Diagnostics {
		fmt.Fprintf(o.IO.ErrOut, "watch: warning: %s\n", strings.TrimSpace(d))
	}
	next := res.State
	for _, a := range res.Alerts {
		if o.Webhook != "" {
			pctx, cancel := InFlight(ctx, 15*time.Second)
			err := watch.Post(pctx, o.HTTP, o.Webhook, o.WebhookFormat, a)
			cancel()
			if err != nil {
				return fmt.Errorf("%w; nothing recorded: the alerts of this run are sent again next run", err)
			}
			fmt.Fprintf(o.IO.ErrOut, "alert %s sent to the webhook: %s\n", a.ID, a.Summary)
			continue
		}
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(o.IO.Out, "%s\n", b); err != nil {
			return err
		}
	}
	if s.DryRun {
		return nil
	}
	return watch.SaveState(s.StateDir, next)
}

// installSLSAlerts prints the SLS alert rules that mirror the watch rules,
// asks, and creates them in the --sls project. A rule that already exists
// is left as it is (said on stderr).
func installSLSAlerts(ctx context.Context, o *WatchOptions, s *Settings) error {
	rules, err := watch.SLSAlertRules(watch.SLSAlertParams{Target: o.slsTarget, Topic: o.SLSTopic, Interval: o.Interval,
		Window: o.Window, Threshold: o.Threshold, ActionPolicy: o.SLSActionPolicy})
	if err != nil {
		return NewUsageError(err)
	}
	w := o.IO.Out
	fmt.Fprintf(w, "Plan: create %d SLS alert rules in project %s on logstore %s, checked every %s over the last %s,\n", len(rules), o.slsTarget.Project, o.slsTarget.Logstore, o.Interval, o.Window)
	fmt.Fprintf(w, "notifying through action policy %s (alert policy sls.builtin.dynamic). SLS has no per-key baseline:\n", o.SLSActionPolicy)
	fmt.Fprintf(w, "ak_frequency fires on --threshold %d alone. Insights events are not in the trail: no rule for them.\n\n", o.Threshold)
	for i, r := range rules {
		fmt.Fprintf(w, "%d. %s (watch rule %s, severity %d, fires when %s per AccessKey)\n", i+1, r.Name, r.Rule, r.Severity, r.Condition)
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, r.Definition, "   ", "  "); err != nil {
			return err
		}
		fmt.Fprintf(w, "   %s\n\n", pretty.Bytes())
	}
	verb := fmt.Sprintf("create %d SLS alert rules in project %s", len(rules), o.slsTarget.Project)
	proceed, err := ConfirmPlan(ConfirmOptions{IO: o.IO, Prompter: o.Prompter, Yes: s.Yes, DryRun: s.DryRun,
		Verb: verb, Prompt: "Create these " + fmt.Sprint(len(rules)) + " alert rules?"}, func() error {
		fmt.Fprintf(o.IO.ErrOut, "dry run: %s; nothing created\n", verb)
		return nil
	})
	if err != nil || !proceed {
		return err
	}
	q, err := o.SLSBackend(ctx, o.slsEndpoint)
	if err != nil {
		return err
	}
	if cl, ok := q.(interface{ Close() }); ok {
		defer cl.Close()
	}
	creator, ok := q.(interface {
		CreateAlert(ctx context.Context, project string, definition []byte) error
	})
	if !ok {
		return fmt.Errorf("watch --install-sls-alerts: this SLS client cannot create alert rules")
	}
	created, existed := 0, 0
	for _, r := range rules {
		err := creator.CreateAlert(ctx, o.slsTarget.Project, r.Definition)
		var se *slsq.Error
		switch {
		case errors.As(err, &se) && se.Code == "JobAlreadyExist":
			existed++
			fmt.Fprintf(o.IO.ErrOut, "= %s already exists in %s: left unchanged (delete it in SLS to re-create it)\n", r.Name, o.slsTarget.Project)
		case err != nil:
			return fmt.Errorf("watch --install-sls-alerts: %d of %d rules created; %s: %w", created, len(rules), r.Name, err)
		default:
			created++
			fmt.Fprintf(o.IO.ErrOut, "✓ created %s\n", r.Name)
		}
	}
	fmt.Fprintf(o.IO.ErrOut, "%d alert rules created, %d already there, in SLS project %s\n", created, existed, o.slsTarget.Project)
	return nil
}
