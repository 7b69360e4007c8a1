package cli

import (
	"context"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

// Set at build time:
//
//	-ldflags "-X github.com/akresp/akresp/internal/cli.version=v1.2.3
//	          -X github.com/akresp/akresp/internal/cli.commit=abc1234
//	          -X github.com/akresp/akresp/internal/cli.date=2026-01-02T03:04:05Z"
var (
	version = "dev"
	commit  = "none"
	date    = ""
)

// VersionInfo is the JSON shape of `akresp version -o json`.
type VersionInfo struct {
	SchemaVersion string `json:"schema_version"`
	Version       string `json:"version"`
	Commit        string `json:"commit"`
	BuildDate     string `json:"build_date,omitempty"`
	GoVersion     string `json:"go_version"`
	Platform      string `json:"platform"`
}

// Columns implements Tabular.
func (v VersionInfo) Columns() []string {
	return []string{"Version", "Commit", "Build date", "Go version", "Platform"}
}

// Rows implements Tabular.
func (v VersionInfo) Rows() [][]any {
	return [][]any{{v.Version, v.Commit, v.BuildDate, v.GoVersion, v.Platform}}
}

// VersionOptions are the inputs of runVersion.
type VersionOptions struct {
	IO      *IOStreams
	Output  string
	Info    VersionInfo
	Printer PrintOptions
}

func currentVersion(v string) VersionInfo {
	if v == "" {
		v = version
	}
	return VersionInfo{
		SchemaVersion: "akresp.version/v2",
		Version:       v,
		Commit:        commit,
		BuildDate:     date,
		GoVersion:     runtime.Version(),
		Platform:      runtime.GOOS + "/" + runtime.GOARCH,
	}
}

// versionLine is what `akresp --version` and plain `akresp version` print.
func versionLine(v string) string {
	i := currentVersion(v)
	s := fmt.Sprintf("akresp %s (commit %s, %s, %s)", i.Version, i.Commit, i.GoVersion, i.Platform)
	if i.BuildDate != "" {
		s = fmt.Sprintf("akresp %s (commit %s, built %s, %s, %s)", i.Version, i.Commit, i.BuildDate, i.GoVersion, i.Platform)
	}
	return s
}

func newCmdVersion(f *Factory, runF func(context.Context, *VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print akresp's version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Settings()
			if err != nil {
				return err
			}
			opts.Output = s.Output
			opts.Info = currentVersion(f.Version)
			opts.Printer = printOptions(f, s)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runVersion(cmd.Context(), opts)
		},
	}
	setOutputFormats(cmd, "text", FormatJSON, FormatTable)
	return cmd
}

func runVersion(_ context.Context, opts *VersionOptions) error {
	if opts.Output == "text" {
		_, err := fmt.Fprintln(opts.IO.Out, versionLine(opts.Info.Version))
		return err
	}
	p, err := NewPrinter(opts.Output, opts.Printer)
	if err != nil {
		return err
	}
	return p.Print(opts.IO.Out, opts.Info)
}
