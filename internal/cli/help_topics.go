package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// Help topics are commands with no Run: cobra lists them under "Additional
// help topics" and `akresp help <topic>` prints their Long text.
func addHelpTopics(root *cobra.Command) {
	root.SetHelpCommand(newCmdHelp())
	root.AddCommand(
		&cobra.Command{
			Use:   "exit-codes",
			Short: "What akresp's exit codes mean",
			Long:  exitCodesHelp(),
		},
		&cobra.Command{
			Use:   "environment",
			Short: "Environment variables akresp and its credential chain read",
			Long:  environmentHelp(),
		},
	)
}

func exitCodesHelp() string {
	var b strings.Builder
	b.WriteString("akresp exits with one of these codes; runbooks can branch on them.\n\n")
	for _, e := range exitCodeTable {
		fmt.Fprintf(&b, "  %d  %s\n", e.Code, e.Meaning)
	}
	b.WriteString("\nErrors are printed once on stderr as 'akresp: <message>', often followed by a\n'hint: <what to do>' line. Exit code 3 prints nothing extra: the findings are\nthe output.")
	return b.String()
}

// credentialEnv lists what the credentials-go default chain reads
// (shared/reference/alibaba-cloud-api.md §21).
var credentialEnv = []struct{ name, meaning string }{
	{"ALIBABA_CLOUD_ACCESS_KEY_ID", "AccessKey ID of the identity akresp runs as"},
	{"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "its secret (never pass secrets as flags)"},
	{"ALIBABA_CLOUD_SECURITY_TOKEN", "STS security token, with an STS. AccessKey ID"},
	{"ALIBABA_CLOUD_PROFILE", "profile to use when --profile is not given"},
	{"ALIBABA_CLOUD_CONFIG_FILE", "aliyun CLI config file (default ~/.aliyun/config.json)"},
	{"ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true: skip the aliyun CLI config file"},
	{"ALIBABA_CLOUD_CREDENTIALS_FILE", "INI credentials file (default ~/.alibabacloud/credentials)"},
	{"ALIBABA_CLOUD_ROLE_ARN", "with the two below: OIDC role assumption (e.g. in ACK)"},
	{"ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "OIDC provider ARN"},
	{"ALIBABA_CLOUD_OIDC_TOKEN_FILE", "OIDC token file"},
	{"ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true: never ask the ECS metadata service (100.100.100.200) for a role"},
	{"ALIBABA_CLOUD_CREDENTIALS_URI", "URI that serves credentials"},
}

func environmentHelp() string {
	var b strings.Builder
	b.WriteString("akresp settings (a flag beats its variable, which beats the default):\n\n")
	for _, sp := range settingSpecs {
		if sp.env == "" {
			continue
		}
		def := ""
		if sp.def != "" {
			def = fmt.Sprintf(" (default %s)", sp.def)
		}
		fmt.Fprintf(&b, "  %-36s --%s%s\n", sp.env, sp.flag, def)
	}
	fmt.Fprintf(&b, "  %-36s %s\n", "AKRESP_DEBUG=http", "log every API call at debug level (with --log-level debug); credentials are scrubbed")
	fmt.Fprintf(&b, "  %-36s %s\n", "XDG_STATE_HOME", "default --state-dir is $XDG_STATE_HOME/akresp")
	fmt.Fprintf(&b, "  %-36s %s\n", "AKRESP_LOCK_DIR", "per-user key locks shared by every --state-dir (default $XDG_RUNTIME_DIR/akresp/locks, else <tmp>/akresp-<uid>/locks)")
	b.WriteString("\nCredentials (the credentials-go default chain, tried in this order: environment,\nOIDC, aliyun CLI profile, credentials file, ECS instance role, credentials URI):\n\n")
	for _, e := range credentialEnv {
		fmt.Fprintf(&b, "  %-36s %s\n", e.name, e.meaning)
	}
	return strings.TrimRight(b.String(), "\n")
}

// newCmdHelp replaces cobra's help command, which prints "Unknown help
// topic" and exits 0; here an unknown topic is a usage error.
func newCmdHelp() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command|topic]",
		Short: "Help about any command or topic",
		Long:  "Help about any command or topic: akresp help policy deny-high-risk, akresp help exit-codes.",
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			cmd, _, err := c.Root().Find(args)
			if err != nil || cmd == nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []string
			for _, sub := range cmd.Commands() {
				if !sub.Hidden && strings.HasPrefix(sub.Name(), toComplete) {
					names = append(names, sub.Name())
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || cmd == nil || len(rest) > 0 {
				return &UsageError{
					Err:     fmt.Errorf("unknown help topic %q", strings.Join(args, " ")),
					HintMsg: "run 'akresp --help' for the commands and help topics",
				}
			}
			cmd.InitDefaultHelpFlag()
			cmd.InitDefaultVersionFlag()
			return cmd.Help()
		},
	}
}
