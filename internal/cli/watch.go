package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/akresp/akresp/internal/watch"
)

// WatchOptions are the inputs of `akresp watch`.
type WatchOptions struct {
	IO       *IOStreams
	Now      func() time.Time
	Settings func() (*Settings, error)
	Backend  func(ctx context.Context) (watch.Cloud, error)
	// HTTP posts webhooks; default a client with a 10 s timeout.
	HTTP *http.Client

	Interval      time.Duration
	Window        time.Duration
	Threshold     int
	Factor        float64
	Once          bool
	Webhook       string
	WebhookFormat string
	NoInsights    bool
}

func newCmdWatch(f *Factory, runF func(context.Context, *WatchOptions) error) *cobra.Command {
	opts := &WatchOptions{IO: f.IO, Now: f.Now, Settings: f.Settings}
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
Ctrl-C and ends cleanly. akresp's own calls never count. One LookupEvents
query per run reads every key's events, paced by the 2 requests/s quota.
See docs/watch.md.`,
		Example: `  akresp watch --once --window 30m
  akresp watch --interval 15m --webhook https://oapi.dingtalk.com/robot/send?access_token=... --webhook-format dingtalk`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateWatch(opts); err != nil {
				return err
			}
			if opts.Backend == nil {
				opts.Backend = func(ctx context.Context) (watch.Cloud, error) { return f.Cloud(ctx) }
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
	_ = cmd.RegisterFlagCompletionFunc("webhook-format", fixedCompletion(watch.FormatJSON, watch.FormatSlack, watch.FormatDingTalk, watch.FormatLark))
	setOutputFormats(cmd, FormatJSON)
	return cmd
}

func validateWatch(o *WatchOptions) error {
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
	return nil
}

func runWatch(ctx context.Context, o *WatchOptions) error {
	s, err := o.Settings()
	if err != nil {
		return err
	}
	if s.StateDir == "" {
		return UsageErrorf("watch remembers what it alerted in the state directory: set --state-dir or $AKRESP_STATE_DIR")
	}
	if _, err := watch.StatePath(s.StateDir); err != nil {
		return err
	}
	c, err := o.Backend(ctx)
	if err != nil {
		return err
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Once {
		return watchOnce(ctx, o, c, s)
	}
	fmt.Fprintf(o.IO.ErrOut, "watching every %s over the last %s; SIGTERM or Ctrl-C stops\n", o.Interval, o.Window)
	for {
		if err := watchOnce(ctx, o, c, s); err != nil {
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
func watchOnce(ctx context.Context, o *WatchOptions, c watch.Cloud, s *Settings) error {
	st, err := watch.LoadState(s.StateDir)
	if err != nil {
		return err
	}
	alerts, next, err := watch.Run(ctx, c, st, watch.Options{Now: o.Now(), Window: o.Window, Threshold: o.Threshold, Factor: o.Factor, Insights: !o.NoInsights})
	if err != nil {
		return err
	}
	for _, a := range alerts {
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
