// Package e2e holds end-to-end tests that build the akresp binary and run
// it as a user would: `akresp lab serve` driven by programs that are not
// akresp (the official SDKs used directly), and the demo script.
//
// Only tests live here; nothing imports this package.
package e2e
