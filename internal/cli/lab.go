package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/redact"
)

// LabInfoSchema versions the JSON document `akresp lab serve` prints.
const LabInfoSchema = "akresp.lab/v1"

// LabInfo is what `akresp lab serve` prints once it listens: everything a
// client (akresp or any program using the official SDKs) needs to talk to
// it. Lab credentials only work on the lab, so printing them is fine.
type LabInfo struct {
	SchemaVersion string                   `json:"schema_version"`
	Endpoint      string                   `json:"endpoint"`
	Region        string                   `json:"region"`
	AccountID     string                   `json:"account_id"`
	Scenario      string                   `json:"scenario"`
	Credentials   map[string]LabCredential `json:"credentials"`
	LeakedKeyID   string                   `json:"leaked_key_id,omitempty"`
	AttackerIP    string                   `json:"attacker_ip,omitempty"`
	OfficeIP      string                   `json:"office_ip,omitempty"`
	Notes         map[string]string        `json:"notes,omitempty"`
	Knobs         LabKnobs                 `json:"knobs"`
	Started       time.Time                `json:"started"`
	// Status is "running" while the lab serves and "stopped" once it has
	// exited: lab serve rewrites its --info-file on the way out rather
	// than deleting it, so a stale 'eval "$(akresp lab env ...)"' is told
	// the lab is gone instead of failing to connect.
	Status    string     `json:"status"`
	StoppedAt *time.Time `json:"stopped_at,omitempty"`
}

// Lab statuses in the info document.
const (
	LabRunning = "running"
	LabStopped = "stopped"
)

// LabCredential is one lab principal's key pair.
type LabCredential struct {
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
}

// LabKnobs echoes the fault and load settings the lab runs with.
type LabKnobs struct {
	Latency    string  `json:"latency"`
	FaultRate  float64 `json:"fault_rate"`
	QuotaScale float64 `json:"quota_scale"`
}

func newCmdLab(f *Factory) *cobra.Command {
	cmd := groupCommand("lab <command>", "Run the local Alibaba Cloud emulator for tests, demos and drills")
	cmd.Long = `The lab is a local, stateful Alibaba Cloud endpoint on loopback. It speaks
the real OpenAPI wire protocol for RAM, IMS, ActionTrail and STS (plus any
ECS, RDS and Dysms action), checks V3 and V1 signatures, enforces AccessKey
network ACLs by the TCP source address and RAM policies, and records every
call as an ActionTrail event. The official SDKs talk to it unchanged: point
them at the printed endpoint over plain HTTP.

Loopback is all yours: a client bound to 127.0.0.66 plays the attacker and
127.0.0.10 the office in the builtin:leak scenario.`
	cmd.AddCommand(
		newCmdLabServe(f),
		newCmdLabScenarios(f),
		newCmdLabValidate(f),
		newCmdLabEnv(f),
		newCmdLabCall(f),
	)
	return cmd
}

// LabServeOptions are the inputs of `akresp lab serve`.
type LabServeOptions struct {
	Addr        string
	Scenario    string
	Latency     time.Duration
	FaultRate   float64
	FaultSeed   int64
	QuotaScale  float64
	ACLDenyCode string
	InfoFile    string
}

func newCmdLabServe(f *Factory) *cobra.Command {
	opts := &LabServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Start the lab and serve until interrupted",
		Long: `Start the lab on loopback, print one JSON object describing it on stdout
(endpoint, region, account, credentials per principal and, for builtin:leak,
the leaked key and the attacker and office addresses), then serve until
interrupted (Ctrl-C).

Knobs for load and fault drills: --latency adds a delay to every answer,
--quota-scale enforces Alibaba's published per-API quotas (1 = real, 10 =
ten-fold, 0 = off) answering Throttling.User like the real service, and
--fault-rate makes that fraction of requests fail with a 503 or a dropped
connection.`,
		Example: `  akresp lab serve --scenario builtin:leak
  akresp lab serve --scenario testdata/scenarios/idle-sweep.json --addr 127.0.0.1:18080
  akresp lab serve --latency 20ms --quota-scale 1 --fault-rate 0.1 --info-file lab.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateLabServe(opts); err != nil {
				return err
			}
			return runLabServe(cmd.Context(), f, opts)
		},
	}
	setOutputFormats(cmd, FormatJSON)
	fl := cmd.Flags()
	fl.StringVar(&opts.Addr, "addr", "127.0.0.1:0", "listen address (loopback only; port 0 picks a free one)")
	fl.StringVar(&opts.Scenario, "scenario", "builtin:leak", "scenario: builtin:leak, builtin:empty or a scenario JSON file (see docs/scenario.md)")
	fl.Var(newDurationFlag(&opts.Latency, 0), "latency", "delay added to every answer, e.g. 20ms")
	fl.Float64Var(&opts.FaultRate, "fault-rate", 0, "fraction of requests (0..1) answered with a 503 or a dropped connection")
	fl.Int64Var(&opts.FaultSeed, "fault-seed", 1, "seed of the fault sequence")
	fl.Float64Var(&opts.QuotaScale, "quota-scale", 0, "enforce Alibaba's per-API quotas times this factor (0 = no throttling)")
	fl.StringVar(&opts.ACLDenyCode, "acl-deny-code", "", "error code for calls refused by an AccessKey network policy (default Forbidden.AccessKeyPolicy)")
	fl.StringVar(&opts.InfoFile, "info-file", "", "also write the lab description to this file (mode 0600), for scripts; on exit it is rewritten with \"status\": \"stopped\"")
	return cmd
}

func validateLabServe(o *LabServeOptions) error {
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return UsageErrorf("--addr %q: want host:port, e.g. 127.0.0.1:0", o.Addr)
	}
	if host != "localhost" {
		ip, err := netip.ParseAddr(host)
		if err != nil || !ip.IsLoopback() {
			return UsageErrorf("--addr %q: the lab only listens on loopback (127.0.0.0/8 or ::1)", o.Addr)
		}
	}
	switch {
	case o.Latency < 0:
		return UsageErrorf("--latency %s: must not be negative", o.Latency)
	case o.FaultRate < 0 || o.FaultRate > 1:
		return UsageErrorf("--fault-rate %g: want a fraction between 0 and 1", o.FaultRate)
	case o.QuotaScale < 0:
		return UsageErrorf("--quota-scale %g: must not be negative", o.QuotaScale)
	case strings.TrimSpace(o.Scenario) == "":
		return UsageErrorf("--scenario is empty; use builtin:leak or a scenario file")
	}
	return nil
}

// loadScenario reads and builds a scenario, turning its problems into a
// usage error (the file is the user's input).
func loadScenario(ref string, now time.Time) (*lab.World, *lab.ScenarioInfo, error) {
	sc, err := lab.LoadScenario(ref)
	if err != nil {
		return nil, nil, NewUsageError(fmt.Errorf("scenario %s: %w", ref, err))
	}
	w, info, err := sc.Build(now)
	if err != nil {
		return nil, nil, NewUsageError(fmt.Errorf("scenario %s: %w", ref, err))
	}
	return w, info, nil
}

func runLabServe(ctx context.Context, f *Factory, o *LabServeOptions) error {
	now := f.Now()
	w, info, err := loadScenario(o.Scenario, now)
	if err != nil {
		return err
	}
	srv, err := lab.New(lab.Options{
		Addr:        o.Addr,
		World:       w,
		Logger:      f.Logger(),
		Latency:     o.Latency,
		FaultRate:   o.FaultRate,
		FaultSeed:   o.FaultSeed,
		QuotaScale:  o.QuotaScale,
		ACLDenyCode: o.ACLDenyCode,
	})
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	defer srv.Close()

	li := labInfo(srv.Addr(), o, info, now)
	doc, err := json.MarshalIndent(li, "", "  ")
	if err != nil {
		return err
	}
	doc = append(doc, '\n')
	if o.InfoFile != "" {
		if err := writeLabInfoFile(o.InfoFile, doc); err != nil {
			return err
		}
		defer func() {
			// Say "stopped" rather than vanish (see LabInfo.Status).
			stopped := f.Now().UTC()
			li.Status, li.StoppedAt = LabStopped, &stopped
			if b, err := json.MarshalIndent(li, "", "  "); err == nil {
				if err := writeLabInfoFile(o.InfoFile, append(b, '\n')); err != nil {
					fmt.Fprintf(f.IO.ErrOut, "warning: %v\n", err)
				}
			}
		}()
	}
	if _, err := f.IO.Out.Write(doc); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "lab %s listening on %s (account %s); Ctrl-C stops it\n", info.Name, srv.Addr(), info.AccountID)
	<-ctx.Done()
	st := srv.Stats()
	fmt.Fprintf(f.IO.ErrOut, "lab stopped after %d requests (%d throttled, %d denied, %d faults)\n", st.Requests, st.Throttled, st.Denied, st.Faults)
	return nil
}

// writeLabInfoFile replaces path with doc atomically (mode 0600: the
// document holds the lab's key pairs).
func writeLabInfoFile(path string, doc []byte) error {
	if err := os.WriteFile(path+".tmp", doc, 0o600); err != nil {
		return fmt.Errorf("lab: write --info-file: %w", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("lab: write --info-file: %w", err)
	}
	return nil
}

func labInfo(addr string, o *LabServeOptions, info *lab.ScenarioInfo, now time.Time) LabInfo {
	li := LabInfo{
		SchemaVersion: LabInfoSchema,
		Endpoint:      addr,
		Region:        info.Region,
		AccountID:     info.AccountID,
		Scenario:      info.Name,
		Credentials:   map[string]LabCredential{},
		Notes:         info.Notes,
		LeakedKeyID:   info.Notes["leaked_key_id"],
		AttackerIP:    info.Notes["attacker_ip"],
		OfficeIP:      info.Notes["office_ip"],
		Knobs:         LabKnobs{Latency: o.Latency.String(), FaultRate: o.FaultRate, QuotaScale: o.QuotaScale},
		Started:       now.UTC().Truncate(time.Second),
		Status:        LabRunning,
	}
	for name, c := range info.Credentials {
		li.Credentials[name] = LabCredential{AccessKeyID: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret}
	}
	return li
}

func newCmdLabScenarios(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenarios",
		Short: "List the built-in scenarios",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Settings()
			if err != nil {
				return err
			}
			type row struct {
				Name      string `json:"name"`
				Principal int    `json:"principals"`
				Events    int    `json:"events"`
			}
			var rows []row
			for _, ref := range lab.BuiltinScenarios() {
				w, info, err := loadScenario(ref, f.Now())
				if err != nil {
					return err
				}
				rows = append(rows, row{Name: ref, Principal: len(info.Credentials), Events: len(w.Events)})
			}
			if s.Output == FormatJSON {
				p, _ := NewPrinter(FormatJSON, printOptions(f, s))
				return p.Print(f.IO.Out, map[string]any{"schema_version": "akresp.lab-scenarios/v1", "scenarios": rows})
			}
			for _, r := range rows {
				fmt.Fprintf(f.IO.Out, "%-16s %2d principals with keys, %5d past events\n", r.Name, r.Principal, r.Events)
			}
			return nil
		},
	}
	setOutputFormats(cmd, FormatTable, FormatJSON)
	return cmd
}

func newCmdLabValidate(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validate <scenario-file>",
		Short: "Check a scenario file and summarise the world it builds",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w, info, err := loadScenario(args[0], f.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Out, "%s: ok: %d users, %d access keys, %d custom policies, %d past events\n",
				args[0], len(w.Users), len(w.AccessKeys), len(w.Policies), len(w.Events))
			if len(info.Notes) > 0 {
				keys := make([]string, 0, len(info.Notes))
				for k := range info.Notes {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					fmt.Fprintf(f.IO.Out, "  %s = %s\n", k, info.Notes[k])
				}
			}
			return nil
		},
	}
	return cmd
}

// readLabInfo reads the document `lab serve` printed (a file or - for
// stdin).
func readLabInfo(f *Factory, path string) (*LabInfo, error) {
	if path == "" {
		return nil, UsageErrorf("--info is required: the file 'akresp lab serve --info-file' wrote (or its saved stdout)")
	}
	var r io.Reader
	if path == "-" {
		r = f.IO.In
	} else {
		fh, err := openInputFile(path) // refuses FIFOs and devices
		if err != nil {
			return nil, NewUsageError(fmt.Errorf("lab info %s: %w", path, err))
		}
		defer fh.Close()
		r = fh
	}
	var li LabInfo
	if err := json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&li); err != nil {
		return nil, NewUsageError(fmt.Errorf("lab info %s: not the JSON 'akresp lab serve' prints: %w", path, err))
	}
	if li.SchemaVersion != LabInfoSchema || li.Endpoint == "" {
		return nil, UsageErrorf("lab info %s: schema %q, endpoint %q: not the JSON 'akresp lab serve' prints", path, li.SchemaVersion, li.Endpoint)
	}
	if li.Status == LabStopped {
		at := "at an unknown time"
		if li.StoppedAt != nil {
			at = "at " + li.StoppedAt.UTC().Format(time.RFC3339)
		}
		return nil, &labStoppedError{path: path, at: at}
	}
	return &li, nil
}

func (li *LabInfo) credential(name string) (LabCredential, error) {
	c, ok := li.Credentials[name]
	if !ok {
		names := make([]string, 0, len(li.Credentials))
		for n := range li.Credentials {
			names = append(names, n)
		}
		sort.Strings(names)
		return c, UsageErrorf("the lab has no principal %q; known: %s", name, strings.Join(names, ", "))
	}
	return c, nil
}

func newCmdLabEnv(f *Factory) *cobra.Command {
	var info, as, note string
	cmd := &cobra.Command{
		Use:   "env --info FILE [--as PRINCIPAL | --note NAME]",
		Short: "Print shell exports to use a running lab as one of its principals",
		Long: `Print 'export' lines that point akresp (and the official SDKs' default
credential chain) at a running lab as one of its principals:

  eval "$(akresp lab env --info lab.json --as admin)"

With --note, print one scenario fact instead (e.g. leaked_key_id).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			li, err := readLabInfo(f, info)
			if err != nil {
				return err
			}
			if note != "" {
				v, ok := li.Notes[note]
				if !ok {
					return UsageErrorf("the lab scenario has no note %q", note)
				}
				fmt.Fprintln(f.IO.Out, v)
				return nil
			}
			c, err := li.credential(as)
			if err != nil {
				return err
			}
			for _, kv := range [][2]string{
				{"AKRESP_ENDPOINT", li.Endpoint},
				{"AKRESP_REGION", li.Region},
				{"ALIBABA_CLOUD_ACCESS_KEY_ID", c.AccessKeyID},
				{"ALIBABA_CLOUD_ACCESS_KEY_SECRET", c.AccessKeySecret},
				{"ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"},
			} {
				fmt.Fprintf(f.IO.Out, "export %s=%s\n", kv[0], shellQuote(kv[1]))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&info, "info", "", "the lab description 'akresp lab serve' printed (file or -)")
	cmd.Flags().StringVar(&as, "as", "admin", "principal whose credentials to export")
	cmd.Flags().StringVar(&note, "note", "", "print this scenario note instead (e.g. leaked_key_id, office_cidr)")
	return cmd
}

// LabCallOptions are the inputs of `akresp lab call`.
type LabCallOptions struct {
	Info    string
	As      string
	KeyFile string
	From    string
	Product string
	Action  string
	Params  map[string]string
	// Repeat makes the call this many times (drills: a burst of calls for
	// watch and the lab's Insights; see docs/watch.md).
	Repeat int
}

func newCmdLabCall(f *Factory) *cobra.Command {
	opts := &LabCallOptions{}
	cmd := &cobra.Command{
		Use:   "call <product> <action> [Name=Value]... --info FILE (--as PRINCIPAL | --key-file FILE) [--from IP]",
		Short: "Make one signed API call against the lab, as any principal, from any loopback address",
		Long: `Drill helper: make one real, signed API call against a running lab through the
official SDK, as one of the scenario's principals (--as) or with a key pair
from a rotation hand-over file (--key-file), from a chosen loopback source
address (--from). Play the attacker from 127.0.0.66 and the office from
127.0.0.10 and watch containment work.

Products: ` + strings.Join(cloud.ProductCodes(), ", ") + `. The response body is printed
as JSON on stdout; a refusal exits 1 with the cloud error code.`,
		Example: `  akresp lab call --info lab.json --as app-prod --from 127.0.0.66 ecs DescribeInstances RegionId=cn-hangzhou
  akresp lab call --info lab.json --as app-prod --from 127.0.0.10 ram CreateUser UserName=mallory
  akresp lab call --info lab.json --key-file new-key.json --from 127.0.0.10 sts GetCallerIdentity`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Product, opts.Action = strings.ToLower(args[0]), args[1]
			opts.Params = map[string]string{}
			for _, kv := range args[2:] {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return UsageErrorf("parameter %q: want Name=Value", kv)
				}
				opts.Params[k] = v
			}
			if _, ok := cloud.Products[opts.Product]; !ok {
				return UsageErrorf("unknown product %q; known: %s", args[0], strings.Join(cloud.ProductCodes(), ", "))
			}
			if opts.From != "" {
				ip, err := netip.ParseAddr(opts.From)
				if err != nil || !ip.IsLoopback() {
					return UsageErrorf("--from %q: want a loopback address such as 127.0.0.66", opts.From)
				}
			}
			if opts.Repeat < 1 || opts.Repeat > 1000 {
				return UsageErrorf("--repeat %d: want 1 to 1000", opts.Repeat)
			}
			if (opts.As == "") == (opts.KeyFile == "") {
				return UsageErrorf("give exactly one of --as PRINCIPAL or --key-file FILE")
			}
			return runLabCall(cmd.Context(), f, opts)
		},
	}
	setOutputFormats(cmd, FormatJSON)
	fl := cmd.Flags()
	fl.StringVar(&opts.Info, "info", "", "the lab description 'akresp lab serve' printed (file or -)")
	fl.StringVar(&opts.As, "as", "", "scenario principal to call as (e.g. app-prod)")
	fl.StringVar(&opts.KeyFile, "key-file", "", "key pair file written by 'akresp rotate --secret-file'")
	fl.StringVar(&opts.From, "from", "", "loopback source address to call from (e.g. 127.0.0.66)")
	fl.IntVar(&opts.Repeat, "repeat", 1, "make the call this many times (1-1000), e.g. 200 for a watch drill; the last answer is printed")
	return cmd
}

func runLabCall(ctx context.Context, f *Factory, o *LabCallOptions) error {
	li, err := readLabInfo(f, o.Info)
	if err != nil {
		return err
	}
	var cred cloud.StaticCredential
	if o.As != "" {
		c, err := li.credential(o.As)
		if err != nil {
			return err
		}
		cred = cloud.StaticCredential{AccessKeyID: c.AccessKeyID, AccessKeySecret: redact.Secret(c.AccessKeySecret)}
	} else {
		b, err := readInputFile(o.KeyFile) // refuses FIFOs and devices
		if err != nil {
			return NewUsageError(fmt.Errorf("--key-file: %w", err))
		}
		var doc struct {
			AccessKeyID     string `json:"access_key_id"`
			AccessKeySecret string `json:"access_key_secret"`
		}
		if err := json.Unmarshal(b, &doc); err != nil || doc.AccessKeyID == "" || doc.AccessKeySecret == "" {
			return UsageErrorf("--key-file %s: want the JSON 'akresp rotate --secret-file' writes (access_key_id, access_key_secret)", o.KeyFile)
		}
		cred = cloud.StaticCredential{AccessKeyID: doc.AccessKeyID, AccessKeySecret: redact.Secret(doc.AccessKeySecret)}
	}
	c, err := cloud.New(ctx, cloud.Config{
		Region:     li.Region,
		Endpoint:   li.Endpoint,
		Credential: &cred,
		LocalAddr:  o.From,
		// Not akresp's own User-Agent: these calls play an application or
		// the attacker, and audits must see them as such.
		Product:     "akresp-lab-drill",
		Version:     f.Version,
		Logger:      f.Logger(),
		MaxAttempts: 2,
		Timeout:     10 * time.Second,
		// A drill burst plays an attacker, who keeps to no client-side
		// quota; the lab still enforces its own (--quota-scale).
		RateScale: float64(max(o.Repeat, 1)),
	})
	if err != nil {
		return err
	}
	var out map[string]any
	for i := 0; i < max(o.Repeat, 1); i++ {
		if out, err = c.CallRPC(ctx, o.Product, o.Action, o.Params); err != nil {
			break
		}
	}
	from := o.From
	if from == "" {
		from = "127.0.0.1"
	}
	who := o.As
	if who == "" {
		who = cred.AccessKeyID // an AK ID is not a secret: shown in full
	}
	if err != nil {
		var ae *cloud.APIError
		if errors.As(err, &ae) {
			fmt.Fprintf(f.IO.ErrOut, "✗ %s %s as %s from %s: refused: %s (HTTP %d)\n", o.Product, o.Action, who, from, ae.Code, ae.HTTPStatus)
			return &labCallError{err: err, hint: labCallHint(ae, o, from)}
		}
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "✓ %s %s as %s from %s: allowed\n", o.Product, o.Action, who, from)
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f.IO.Out, "%s\n", b)
	return err
}

// labCallError carries a hint in the lab's terms: principals (--as), key
// files (--key-file), loopback sources (--from) and the lab's own knobs;
// never --profile, which lab call does not take.
type labCallError struct {
	err  error
	hint string
}

func (e *labCallError) Error() string { return e.err.Error() }
func (e *labCallError) Unwrap() error { return e.err }
func (e *labCallError) Hint() string  { return e.hint }

// labCallHint says what to try next on the lab after a refused call.
func labCallHint(ae *cloud.APIError, o *LabCallOptions, from string) string {
	as := "--as " + o.As
	if o.As == "" {
		as = "the key of --key-file"
	}
	switch {
	case errors.Is(ae, cloud.ErrNetworkPolicy):
		return fmt.Sprintf("the key's network ACL refuses %s (contain worked); call --from an address it allows, e.g. the office's", from)
	case errors.Is(ae, cloud.ErrNoPermission):
		return fmt.Sprintf("%s may not call %s:%s in this scenario (a deny policy, or no grant); call as another principal, e.g. --as admin", as, o.Product, o.Action)
	case errors.Is(ae, cloud.ErrInvalidCredentials):
		return fmt.Sprintf("the lab does not accept %s: the key was disabled or deleted (disable, rotate), or the lab was restarted with new keys; check 'akresp lab env --info %s --as NAME', or use --key-file with the rotated key", as, orText(o.Info, "lab.json"))
	case errors.Is(ae, cloud.ErrThrottled):
		return "the lab throttled the call (its quotas follow --quota-scale); wait a second and call again"
	case errors.Is(ae, cloud.ErrTransient):
		return fmt.Sprintf("no answer from the lab at the endpoint of %s: is 'akresp lab serve' still running (its --fault-rate may also inject failures)?", orText(o.Info, "--info"))
	case errors.Is(ae, cloud.ErrInvalidParameter), errors.Is(ae, cloud.ErrNotFound):
		return fmt.Sprintf("check the Name=Value parameters of %s %s (the lab answers as the real API does)", o.Product, o.Action)
	}
	return ""
}

// labStoppedError: the info file is that of a lab that has exited (exit
// 1: nothing wrong with the command line, the lab is just not there).
type labStoppedError struct{ path, at string }

func (e *labStoppedError) Error() string {
	return fmt.Sprintf("lab not running (stopped %s, per %s)", e.at, e.path)
}

func (e *labStoppedError) Hint() string {
	return fmt.Sprintf("start it again with 'akresp lab serve --info-file %s' (it starts from the scenario afresh), then re-run this command", e.path)
}
