package respond

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/akresp/akresp/internal/cloud"
	"golang.org/x/sync/errgroup"
)

// Action kinds. Every kind lives in one file (kind_*.go for contain's and
// disable's, erad_*.go for eradicate's) with its state, its resource
// (observe / set = apply / equal = verify / reversible) and its undo
// rebuild, registered here by journal name. Adding a kind touches that
// file, its test, and the list of kinds of the command that uses it.

// rebuildFunc reconstructs an action's resource and its before/after
// states from a journal record (undo). c is the command's cloud (a
// ContainCloud or an EradicateCloud); a kind asserts the small interface
// it needs.
type rebuildFunc func(c any, before, after []byte) (resource, any, any, error)

var kindRegistry = map[string]rebuildFunc{}

// registerKind records how to rebuild a kind from its journal records;
// each kind's file calls it from init.
func registerKind(name string, f rebuildFunc) {
	if _, dup := kindRegistry[name]; dup {
		panic("respond: action kind registered twice: " + name)
	}
	kindRegistry[name] = f
}

// rebuild reconstructs an action's resource and states from a journal
// record, for undo. It returns an error for kinds undo does not know.
func rebuild(c any, kind string, beforeRaw, afterRaw json.RawMessage) (resource, any, any, error) {
	f, ok := kindRegistry[kind]
	if !ok {
		return nil, nil, nil, fmt.Errorf("action kind %q cannot be undone", kind)
	}
	return f(c, beforeRaw, afterRaw)
}

// decodeStates decodes a journal record's before and after states.
func decodeStates(beforeRaw, afterRaw []byte, before, after any) error {
	dec := func(raw []byte, v any) error {
		if len(raw) == 0 {
			return errors.New("empty state")
		}
		return json.Unmarshal(raw, v)
	}
	return errors.Join(dec(beforeRaw, before), dec(afterRaw, after))
}

// cloudAs asserts that the command's cloud offers what a kind needs.
func cloudAs[T any](c any, kind string) (T, error) {
	t, ok := c.(T)
	if !ok {
		var zero T
		return zero, fmt.Errorf("action kind %q cannot be undone by this command", kind)
	}
	return t, nil
}

// ---- contain: the command as a list of kinds ----

// containKind is one action kind as contain plans it. Its reads join the
// plan's two parallel lookup rounds (round 1 before the key's owner is
// known, round 2 after), so that adding a kind adds no round trip.
type containKind interface {
	// prepare checks the request before any call (bad input: *InputError).
	prepare(s *containScan) error
	// lookup adds the kind's reads of a round to g.
	lookup(round int, s *containScan, g *errgroup.Group, gctx context.Context) error
	// observed records what the lookups found, before any kind plans.
	observed(s *containScan)
	// plan adds the kind's actions, notes and safety rails.
	plan(s *containScan) error
}

// containKinds are contain's kinds, in plan order.
var containKinds = []func() containKind{
	func() containKind { return &networkACLKind{} },
	func() containKind { return &denyPolicyKind{} },
	func() containKind { return &requireMFAKind{} },
	func() containKind { return &containCreatedKind{} },
}

// containScan is what contain's lookups found, shared by its kinds.
type containScan struct {
	c ContainCloud
	o ContainOptions
	p *Plan

	mu sync.Mutex
	// ev is the audit's evidence, valid after awaitEvidence.
	ev            *Evidence
	awaitEvidence func() error

	ident               cloud.CallerIdentity
	selfKey             string
	knownName, knownUPN string // --user
	isRoot              bool
	// aclReachable: the key-level ACL can be read and set (a root key's
	// only by the root account itself).
	aclReachable bool
	// ownerPolicies are the owner's attached policies (read with the
	// owner's state).
	ownerPolicies []cloud.AttachedPolicy

	rails []rankedRail
}

// ownerReadUser is the RAM user whose state a lookup round reads: with
// --user the first round, else the second once the owner is known (none
// for a root key).
func (s *containScan) ownerReadUser(round int) string {
	switch {
	case round == 1:
		return s.knownName
	case s.knownName == "" && !s.isRoot:
		return s.p.Key.Owner
	}
	return ""
}

// Safety-rail ranks: the order in which contain reports rails (the first
// one is the refusal shown).
const (
	rankWidens = iota
	rankSelfKey
	rankSelfUser
	rankCutsOff
)

type rankedRail struct {
	rank int
	rail *RailError
}

func (s *containScan) rail(rank int, r *RailError) { s.rails = append(s.rails, rankedRail{rank, r}) }

// sortedRails are the rails in report order.
func (s *containScan) sortedRails() []*RailError {
	rs := slices.Clone(s.rails)
	slices.SortStableFunc(rs, func(a, b rankedRail) int { return a.rank - b.rank })
	var out []*RailError
	for _, r := range rs {
		out = append(out, r.rail)
	}
	return out
}
