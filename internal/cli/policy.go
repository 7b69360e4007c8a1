package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/akresp/akresp/internal/policy"
)

// maxPolicyFileBytes bounds what `policy validate` reads: RAM documents are
// a few KiB at most.
const maxPolicyFileBytes = 1 << 20

// The policy commands are offline: they never call f.Cloud, so they need no
// credentials and make no network call.
func newCmdPolicy(f *Factory) *cobra.Command {
	cmd := groupCommand("policy <command>", "Render and validate containment documents offline")
	cmd.Long = `Render and validate, offline, the two documents 'akresp contain' applies:

  - the deny-high-risk RAM policy (Alibaba Cloud's leak-response example,
    optionally extended), attached to the leaked key's RAM user;
  - the AccessKey network ACL (IMS SetAccessKeyPolicy), which limits where the
    key may be used from.

These commands need no credentials and make no network calls. Their JSON is
the document itself, ready for the console, the aliyun CLI or Terraform.`
	cmd.AddCommand(
		newCmdPolicyDenyHighRisk(f, nil),
		newCmdPolicyGroups(f, nil),
		newCmdPolicyNetworkACL(f, nil),
		newCmdPolicyValidate(f, nil),
	)
	return cmd
}

// DenyHighRiskOptions are the inputs of `akresp policy deny-high-risk`.
type DenyHighRiskOptions struct {
	IO      *IOStreams
	Output  string
	Printer PrintOptions

	Groups    []string
	Extended  bool
	Add       []string
	Drop      []string
	MaxLength int
	Compact   bool
}

func (o *DenyHighRiskOptions) denyOptions() policy.DenyOptions {
	return policy.DenyOptions{Groups: o.Groups, Extended: o.Extended, Add: o.Add, Drop: o.Drop, MaxLength: o.MaxLength}
}

func newCmdPolicyDenyHighRisk(f *Factory, runF func(context.Context, *DenyHighRiskOptions) error) *cobra.Command {
	opts := &DenyHighRiskOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "deny-high-risk",
		Short: "Print the deny-high-risk RAM policy",
		Long: `Print the RAM permission policy that 'akresp contain' attaches to the leaked
key's user: explicit Deny statements on high-risk actions (creating users and
keys, granting permissions, releasing ECS/RDS/OSS/SLS resources, sending SMS).
Deny beats any Allow, and the key keeps working for everything else.

With no flags it is Alibaba Cloud's own example from the AccessKey leak
response plan. --extended adds every extra group (see 'akresp policy groups');
--group picks groups; --add and --drop adjust single actions. Actions are
sorted and de-duplicated, one statement per product.

The JSON output is the RAM document itself (no schema_version wrapper).`,
		Example: `  akresp policy deny-high-risk
  akresp policy deny-high-risk --extended --drop kms
  akresp policy deny-high-risk --group ram --group audit --add 'ram:Attach*'
  akresp policy deny-high-risk --compact --max-length 2048`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Settings()
			if err != nil {
				return err
			}
			opts.Output, opts.Printer = s.Output, printOptions(f, s)
			if err := validateDenyHighRisk(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runPolicyDenyHighRisk(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&opts.Groups, "group", nil, "deny only these groups (repeatable or comma-separated; default: the six of the plan example)")
	fl.BoolVar(&opts.Extended, "extended", false, "add every extended group")
	fl.StringSliceVar(&opts.Add, "add", nil, "also deny this product:Action (wildcards * and ? allowed; repeatable)")
	fl.StringSliceVar(&opts.Drop, "drop", nil, "leave out this action (exact) or group (repeatable)")
	fl.IntVar(&opts.MaxLength, "max-length", policy.DefaultMaxLength, "refuse a document longer than this many characters (RAM's limit; some accounts have 2048)")
	fl.BoolVar(&opts.Compact, "compact", false, "print compact JSON (the form whose length counts)")
	_ = cmd.RegisterFlagCompletionFunc("group", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return policy.DenyGroupNames(), cobra.ShellCompDirectiveNoFileComp
	})
	setOutputFormats(cmd, FormatJSON, FormatTable)
	return cmd
}

func validateDenyHighRisk(o *DenyHighRiskOptions) error {
	if o.MaxLength < 1 {
		return UsageErrorf("--max-length %d: must be at least 1", o.MaxLength)
	}
	if o.Compact && o.Output != FormatJSON {
		return UsageErrorf("--compact only applies to -o json")
	}
	if _, err := policy.DenyHighRisk(o.denyOptions()); err != nil {
		return policyUsageError(err)
	}
	return nil
}

func runPolicyDenyHighRisk(_ context.Context, o *DenyHighRiskOptions) error {
	doc, err := policy.DenyHighRisk(o.denyOptions())
	if err != nil {
		return policyUsageError(err)
	}
	if o.IO.IsStderrTTY() {
		fmt.Fprintf(o.IO.ErrOut, "deny-high-risk policy: %d statements, %d actions, %d of %d characters\n",
			len(doc.Statement), len(doc.Actions()), doc.Length(), o.MaxLength)
	}
	return printDocument(o.IO.Out, o.Output, o.Compact, o.Printer, doc, doc.JSON(), denyTable{doc})
}

// printDocument prints a policy document: JSON (indented, or compact) or
// its table form.
func printDocument(w io.Writer, format string, compact bool, po PrintOptions, doc any, compactJSON string, table Tabular) error {
	switch {
	case format == FormatJSON && compact:
		_, err := fmt.Fprintln(w, compactJSON)
		return err
	case format == FormatJSON:
		p, _ := NewPrinter(FormatJSON, po)
		return p.Print(w, doc)
	}
	p, err := NewPrinter(format, po)
	if err != nil {
		return err
	}
	return p.Print(w, table)
}

type denyTable struct{ doc policy.Document }

func (denyTable) Columns() []string { return []string{"Effect", "Action", "Resource", "Group"} }

func (t denyTable) Rows() [][]any {
	var rows [][]any
	for _, s := range t.doc.Statement {
		for _, a := range s.Action {
			g := policy.GroupOfAction(a)
			if g == "" {
				g = "(added)"
			}
			rows = append(rows, []any{s.Effect, a, strings.Join(s.Resource, ","), g})
		}
	}
	return rows
}

// PolicyGroupsOptions are the inputs of `akresp policy groups`.
type PolicyGroupsOptions struct {
	IO      *IOStreams
	Output  string
	Printer PrintOptions
}

func newCmdPolicyGroups(f *Factory, runF func(context.Context, *PolicyGroupsOptions) error) *cobra.Command {
	opts := &PolicyGroupsOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "groups",
		Short: "List the action groups deny-high-risk can deny",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Settings()
			if err != nil {
				return err
			}
			opts.Output, opts.Printer = s.Output, printOptions(f, s)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runPolicyGroups(cmd.Context(), opts)
		},
	}
	setOutputFormats(cmd, FormatTable, FormatJSON, FormatCSV, FormatMarkdown)
	return cmd
}

// groupList is the output of `policy groups`.
type groupList struct {
	SchemaVersion string       `json:"schema_version"`
	Groups        []groupEntry `json:"groups"`
}

type groupEntry struct {
	Name        string   `json:"name"`
	Default     bool     `json:"default"`
	Description string   `json:"description"`
	Actions     []string `json:"actions"`
}

func (groupList) Columns() []string {
	return []string{"Group", "Default", "Actions", "Description"}
}

func (l groupList) Rows() [][]any {
	rows := make([][]any, 0, len(l.Groups))
	for _, g := range l.Groups {
		rows = append(rows, []any{g.Name, g.Default, len(g.Actions), g.Description})
	}
	return rows
}

func runPolicyGroups(_ context.Context, o *PolicyGroupsOptions) error {
	l := groupList{SchemaVersion: "akresp.policy-groups/v2"}
	for _, g := range policy.DenyGroups() {
		l.Groups = append(l.Groups, groupEntry{Name: g.Name, Default: g.Default, Description: g.Description, Actions: g.Actions})
	}
	p, err := NewPrinter(o.Output, o.Printer)
	if err != nil {
		return err
	}
	return p.Print(o.IO.Out, l)
}

// NetworkACLOptions are the inputs of `akresp policy network-acl`.
type NetworkACLOptions struct {
	IO      *IOStreams
	Output  string
	Printer PrintOptions

	AllowIPs   []string
	AllowVPCs  []string
	DenyPublic bool
	Inactive   bool
	Compact    bool
}

func (o *NetworkACLOptions) aclOptions() policy.ACLOptions {
	status := policy.ACLStatusActive
	if o.Inactive {
		status = policy.ACLStatusInactive
	}
	return policy.ACLOptions{AllowIPs: o.AllowIPs, AllowVPCs: o.AllowVPCs, DenyPublic: o.DenyPublic, Status: status}
}

func newCmdPolicyNetworkACL(f *Factory, runF func(context.Context, *NetworkACLOptions) error) *cobra.Command {
	opts := &NetworkACLOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "network-acl",
		Short: "Print an AccessKey network ACL document",
		Long: `Print the AccessKey network access policy (IMS SetAccessKeyPolicy) that limits
where a key may be used from.

  --allow-ip CIDR           public addresses allowed to use the key
  --allow-vpc VPC:CIDR,...  allowed sources inside a VPC (calls via VPC endpoints)
  --deny-public             no public address at all (a ClassicWhiteList holding
                            only 127.0.0.1, the documented trick)
  --inactive                store the ACL without enforcing it; alone, the
                            document that switches an ACL off

An ACL without --allow-ip or --deny-public leaves public access open. Bare
addresses are single hosts; a CIDR with host bits set (10.0.0.5/24) is
refused, since "this host" and "this network" must not be confused. At most
50 entries. Not applicable to STS (STS.) keys.`,
		Example: `  akresp policy network-acl --allow-ip 203.0.113.7 --allow-ip 198.51.100.0/24
  akresp policy network-acl --deny-public --allow-vpc vpc-bp1abc:10.0.0.0/8,172.16.0.0/12
  akresp policy network-acl --inactive`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Settings()
			if err != nil {
				return err
			}
			opts.Output, opts.Printer = s.Output, printOptions(f, s)
			if err := validateNetworkACL(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runPolicyNetworkACL(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&opts.AllowIPs, "allow-ip", nil, "allow this public IP or CIDR (repeatable or comma-separated)")
	fl.StringArrayVar(&opts.AllowVPCs, "allow-vpc", nil, "allow VPC:CIDR[,CIDR] through VPC endpoints (repeatable)")
	fl.BoolVar(&opts.DenyPublic, "deny-public", false, "allow no public address at all")
	fl.BoolVar(&opts.Inactive, "inactive", false, "status Inactive: stored, not enforced (alone: the switch-off document)")
	fl.BoolVar(&opts.Compact, "compact", false, "print compact JSON (the form SetAccessKeyPolicy takes)")
	setOutputFormats(cmd, FormatJSON, FormatTable)
	return cmd
}

func validateNetworkACL(o *NetworkACLOptions) error {
	switch {
	case o.DenyPublic && len(o.AllowIPs) > 0:
		return UsageErrorf("--deny-public and --allow-ip cannot be used together: --deny-public already blocks every public address")
	case !o.DenyPublic && !o.Inactive && len(o.AllowIPs) == 0 && len(o.AllowVPCs) == 0:
		return UsageErrorf("nothing to allow: give --allow-ip, --allow-vpc or --deny-public (or --inactive to switch an ACL off)")
	case o.Compact && o.Output != FormatJSON:
		return UsageErrorf("--compact only applies to -o json")
	}
	for _, ip := range o.AllowIPs {
		if _, err := policy.ParseCIDR(ip); err != nil {
			return UsageErrorf("--allow-ip: %v", err)
		}
	}
	if _, err := policy.NetworkACL(o.aclOptions()); err != nil {
		return policyUsageError(err)
	}
	return nil
}

func runPolicyNetworkACL(_ context.Context, o *NetworkACLOptions) error {
	acl, err := policy.NetworkACL(o.aclOptions())
	if err != nil {
		return policyUsageError(err)
	}
	return printDocument(o.IO.Out, o.Output, o.Compact, o.Printer, acl, acl.JSON(), aclTable{acl})
}

type aclTable struct{ acl policy.ACL }

func (aclTable) Columns() []string { return []string{"Status", "Type", "VPC", "Allowed"} }

func (t aclTable) Rows() [][]any {
	var rows [][]any
	for _, s := range t.acl.Statements {
		for _, e := range s.IPList {
			rows = append(rows, []any{t.acl.Status, s.Type, s.Value, e})
		}
	}
	if len(rows) == 0 {
		rows = append(rows, []any{t.acl.Status, "", "", "(no statements: every source allowed)"})
	}
	return rows
}

// PolicyValidateOptions are the inputs of `akresp policy validate`.
type PolicyValidateOptions struct {
	IO        *IOStreams
	Output    string
	Printer   PrintOptions
	Path      string // "-" for stdin
	MaxLength int
}

func newCmdPolicyValidate(f *Factory, runF func(context.Context, *PolicyValidateOptions) error) *cobra.Command {
	opts := &PolicyValidateOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "validate FILE|-",
		Short: "Check a RAM policy or AccessKey network ACL document",
		Long: `Check a RAM permission policy or an AccessKey network ACL document (told apart
by shape: "Statement" or "Statements"), read from FILE or from stdin with -.

A valid document prints a one-line summary and exits 0. An invalid one exits 2
with the problem on stderr (and, with -o json, a {"valid": false} report on
stdout). A valid network ACL that fences nothing in gets a warning (stderr;
"warnings" in JSON): a public allow list covering all of IPv4 or all of IPv6
in any split form (0.0.0.0/0, 0.0.0.0/1 + 128.0.0.0/1, ::/0, ...), or an
Active ACL without a public allow list (VPC-only: public access stays open).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return UsageErrorf("validate needs exactly one FILE (or - for stdin), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Settings()
			if err != nil {
				return err
			}
			opts.Output, opts.Printer = s.Output, printOptions(f, s)
			opts.Path = args[0]
			if opts.MaxLength < 1 {
				return UsageErrorf("--max-length %d: must be at least 1", opts.MaxLength)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runPolicyValidate(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.MaxLength, "max-length", policy.DefaultMaxLength, "maximum RAM policy length in characters")
	setOutputFormats(cmd, "text", FormatJSON)
	return cmd
}

// ValidationReport is the JSON output of `policy validate`.
type ValidationReport struct {
	SchemaVersion string `json:"schema_version"`
	File          string `json:"file"`
	Kind          string `json:"kind"` // ram-policy, network-acl or unknown
	Valid         bool   `json:"valid"`
	Problem       string `json:"problem,omitempty"`
	Statements    int    `json:"statements"`
	// RAM policies.
	Actions   int `json:"actions,omitempty"`
	Length    int `json:"length,omitempty"`
	MaxLength int `json:"max_length,omitempty"`
	// Network ACLs.
	Status  string `json:"status,omitempty"`
	Entries int    `json:"entries,omitempty"`
	// Warnings: a valid document that is a weak fence (an allow list
	// covering all of IPv4 or IPv6, no public allow list at all).
	Warnings []string `json:"warnings,omitempty"`
}

func runPolicyValidate(_ context.Context, o *PolicyValidateOptions) error {
	name, data, err := readPolicyInput(o)
	if err != nil {
		return err
	}
	rep := ValidationReport{SchemaVersion: "akresp.policy-validate/v2", File: name, Kind: policy.KindUnknown.String()}
	problem := checkDocument(string(data), o.MaxLength, &rep)
	rep.Valid = problem == nil
	if problem != nil {
		rep.Problem = problem.Error()
	}

	if o.Output == FormatJSON {
		p, _ := NewPrinter(FormatJSON, o.Printer)
		if err := p.Print(o.IO.Out, rep); err != nil {
			return err
		}
	} else if rep.Valid {
		summary := fmt.Sprintf("%s: valid RAM policy (%d statements, %d actions, %d of %d characters)",
			name, rep.Statements, rep.Actions, rep.Length, rep.MaxLength)
		if rep.Kind == policy.KindNetworkACL.String() {
			summary = fmt.Sprintf("%s: valid AccessKey network ACL (%s, %d statements, %d entries)",
				name, rep.Status, rep.Statements, rep.Entries)
		}
		if _, err := fmt.Fprintln(o.IO.Out, summary); err != nil {
			return err
		}
	}
	if o.Output != FormatJSON {
		for _, w := range rep.Warnings {
			fmt.Fprintf(o.IO.ErrOut, "warning: %s: %s\n", name, w)
		}
	}
	if problem != nil {
		return &UsageError{Err: fmt.Errorf("%s: %w", name, problem), HintMsg: validateHint(rep.Kind)}
	}
	return nil
}

func validateHint(kind string) string {
	switch kind {
	case policy.KindRAMPolicy.String():
		return "'akresp policy deny-high-risk' prints a valid RAM policy to start from"
	case policy.KindNetworkACL.String():
		return "'akresp policy network-acl --help' shows how to build a valid ACL"
	}
	return "a RAM policy has \"Version\" and \"Statement\"; a network ACL has \"Version\", \"Status\" and \"Statements\""
}

// checkDocument fills rep and returns the document's problem, if any.
func checkDocument(doc string, maxLen int, rep *ValidationReport) error {
	kind, err := policy.DetectDocument(doc)
	if err != nil {
		return err
	}
	rep.Kind = kind.String()
	switch kind {
	case policy.KindRAMPolicy:
		d, err := policy.ParsePolicy(doc)
		if err != nil {
			return err
		}
		rep.Statements, rep.Actions, rep.Length, rep.MaxLength = len(d.Statement), len(d.Actions()), d.Length(), maxLen
		return policy.CheckLength(d, maxLen)
	default:
		acl, err := policy.ParseNetworkACL(doc)
		if err != nil {
			return err
		}
		rep.Statements, rep.Status, rep.Entries = len(acl.Statements), acl.Status, acl.EntryCount()
		rep.Warnings = acl.Warnings()
		return nil
	}
}

func readPolicyInput(o *PolicyValidateOptions) (string, []byte, error) {
	var r io.Reader
	name := o.Path
	if o.Path == "-" {
		name, r = "stdin", o.IO.In
	} else {
		f, err := openInputFile(o.Path) // refuses FIFOs and devices (exit 2)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return "", nil, UsageErrorf("read %s: no such file", o.Path)
			}
			return "", nil, fmt.Errorf("read %s: %w", o.Path, err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxPolicyFileBytes+1))
	if err != nil {
		return "", nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxPolicyFileBytes {
		return "", nil, UsageErrorf("read %s: larger than %d bytes; that is not a policy document", name, maxPolicyFileBytes)
	}
	return name, data, nil
}

// policyUsageError maps the policy package's input errors to usage errors
// (exit 2); anything else stays as it is.
func policyUsageError(err error) error {
	for _, kind := range []error{policy.ErrInvalidPolicy, policy.ErrInvalidACL, policy.ErrInvalidCIDR, policy.ErrInvalidAccessKeyID} {
		if errors.Is(err, kind) {
			return NewUsageError(err)
		}
	}
	return err
}
