// Package respond contains and disables leaked AccessKeys: it resolves the
// key's owner and current state, builds a plan of actions (each recording the
// state it observed and the state it will set), applies the plan with
// independent actions in parallel, journals every call (intent before,
// outcome with request ID after), verifies the result, reports containment
// status and undoes a containment from its journal.
//
// It owns the plan/apply/journal/undo machinery of `akresp contain`,
// `akresp disable` and `akresp eradicate`. Every action kind is one file
// (kind_*.go for contain's and disable's, erad_*.go for eradicate's) with
// its state, its resource (observe / set = apply / equal = verify /
// reversible) and its undo rebuild, registered by journal name in kind.go;
// a command is the list of kinds it plans (containKinds for contain;
// PlanEradicate's footprint for eradicate). It talks to the cloud only through the small interfaces
// in interfaces.go, which *cloud.Clients satisfies, and reports through the
// View interface so that no printing happens here.
//
// It must not import internal/cli, cobra, any printing package, the Alibaba
// SDKs or credentials-go, and it must not import internal/lab.
package respond
