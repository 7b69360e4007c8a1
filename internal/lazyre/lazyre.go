// Package lazyre holds regular expressions compiled on first use.
//
// Every akresp command links the lab emulator and the watchers, whose
// validators are package-level regular expressions. Compiled at start-up
// they cost every command (akresp --version included) ~10 ms and ~1 MB:
// counted repetitions such as [A-Za-z0-9-]{1,128} compile to programs with
// one instruction per repetition. A Regexp compiles when it is first
// matched, once, safely from any goroutine.
package lazyre

import (
	"regexp"
	"sync"
)

// Regexp is a regular expression compiled on its first match.
type Regexp struct {
	re func() *regexp.Regexp
}

// New returns the Regexp of pattern. Like regexp.MustCompile it panics on
// an invalid pattern, at the first match instead of at start-up (the
// packages' tests match every one).
func New(pattern string) *Regexp {
	return &Regexp{re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })}
}

// MatchString reports whether s contains a match of the expression.
func (r *Regexp) MatchString(s string) bool { return r.re().MatchString(s) }
