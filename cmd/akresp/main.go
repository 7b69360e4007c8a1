// Command akresp is the incident-response toolkit for leaked Alibaba Cloud
// AccessKeys. Everything lives in internal/cli; this file only wires the
// process to it.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	_ "time/tzdata" // --tz works even where the system has no zoneinfo

	"github.com/akresp/akresp/internal/cli"
)

// The process never writes a heap profile: without this the runtime samples
// allocations for one anyway, into a 1.4 MB table that counts against the
// offline audit's memory limit (internal/cli/memlimit.go).
func init() { runtime.MemProfileRate = 0 }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Two-stage interrupt: the first signal cancels ctx (commands stop
	// starting new actions and let in-flight calls finish, see
	// cli.InFlight); restoring default handling right after makes a second
	// signal end the process immediately.
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := cli.Main(ctx, os.Args[1:], cli.SystemStreams())
	stop()
	os.Exit(code)
}
