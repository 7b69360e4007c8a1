package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// parseCase is one row of a command's parse test: argv in, either the
// parsed options (checked by check) or a usage error with its exit code.
type parseCase[O any] struct {
	name     string
	args     string
	wantErr  string
	wantCode int
	check    func(t *testing.T, o *O)
}

// runParseCases feeds each case's args through newCmd with a capturing
// runF (cli/cli's parse-test shape), at the fixed time now.
func runParseCases[O any](t *testing.T, now time.Time, newCmd func(*Factory, func(context.Context, *O) error) *cobra.Command, cases []parseCase[O]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, _ := TestStreams()
			f := &Factory{IO: ios, Now: func() time.Time { return now }}
			var got *O
			cmd := newCmd(f, func(_ context.Context, o *O) error { got = o; return nil })
			cmd.SetArgs(strings.Fields(tc.args))
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || exitCode(err, true) != tc.wantCode {
					t.Fatalf("err %v (exit %d), want %q exit %d", err, exitCode(err, true), tc.wantErr, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
		})
	}
}
