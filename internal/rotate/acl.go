package rotate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/policy"
)

// noACL reports whether doc sets no network ACL: empty, or the
// documented "remove" form (Inactive with no statements).
func noACL(doc string) bool {
	doc = strings.TrimSpace(doc)
	if doc == "" {
		return true
	}
	a, err := policy.ReadNetworkACL(doc)
	return err == nil && a.Status == policy.ACLStatusInactive && len(a.Statements) == 0
}

// ACLSummary describes a network ACL document in a few words for the plan
// and the progress: what it allows.
func ACLSummary(doc string) string {
	if noACL(doc) {
		return "none"
	}
	a, err := policy.ReadNetworkACL(doc)
	if err != nil {
		return "a document akresp cannot read (" + err.Error() + ")"
	}
	var parts []string
	for _, st := range a.Statements {
		switch st.Type {
		case policy.ACLTypeClassic:
			if len(st.IPList) == 1 && st.IPList[0] == policy.DenyPublicAddress {
				parts = append(parts, "no public address")
			} else {
				parts = append(parts, "public "+strings.Join(st.IPList, ","))
			}
		case policy.ACLTypeVPC:
			parts = append(parts, st.Value+" "+strings.Join(st.IPList, ","))
		}
	}
	s := "allows " + strings.Join(parts, "; ")
	if a.Status != policy.ACLStatusActive {
		s += " (" + a.Status + ": stored, not enforced)"
	}
	return s
}

// sameACL reports whether two documents enforce the same thing.
func sameACL(a, b string) bool {
	if noACL(a) || noACL(b) {
		return noACL(a) && noACL(b)
	}
	pa, erra := policy.ReadNetworkACL(a)
	pb, errb := policy.ReadNetworkACL(b)
	if erra != nil || errb != nil {
		return strings.TrimSpace(a) == strings.TrimSpace(b)
	}
	return pa.Equivalent(pb)
}

// fence is the old key's network ACL as the rotation read it (nil when it
// had none or it cannot be parsed).
func (st *State) fence() *policy.ACL {
	if st == nil || st.ACL == nil || noACL(st.ACL.Policy) {
		return nil
	}
	a, err := policy.ReadNetworkACL(st.ACL.Policy)
	if err != nil || a.Status != policy.ACLStatusActive {
		return nil
	}
	return &a
}

// readInheritance reads the old key's network ACL before a new key is
// created: the new key gets the same containment before its secret leaves.
// It fails closed: an ACL that cannot be read stops the rotation unless
// --no-inherit-acl says to go without.
func (m *Machine) readInheritance(ctx context.Context) error {
	st := m.st
	inh := &ACLInheritance{FromKeyID: m.o.KeyID, ReadAt: m.now(), OptedOut: m.o.NoInheritACL}
	doc, err := m.o.Cloud.GetAccessKeyPolicy(ctx, m.o.KeyID, st.UserPrincipalName)
	switch {
	case err != nil && m.o.NoInheritACL:
		m.warn(fmt.Sprintf("--no-inherit-acl: the old key's network ACL could not be read (%v); the new key gets none", err))
	case err != nil:
		return fmt.Errorf("rotate %s: read the old key's network ACL (ims GetAccessKeyPolicy), which the new key must inherit before its secret is handed over: %w; nothing was created. Fix the access and re-run, or pass --no-inherit-acl to rotate without the containment", m.o.KeyID, err)
	case noACL(doc):
		inh.Policy = ""
		if !m.o.NoInheritACL {
			m.note(fmt.Sprintf("the old key %s has no key-level network ACL: the new key gets none", m.o.KeyID))
		}
	default:
		inh.Policy = doc
		if m.o.NoInheritACL {
			m.warn(fmt.Sprintf("--no-inherit-acl: the old key's network ACL (%s) is NOT copied: the new key can be used from any address, and the containment ends when the applications switch to it",
				ACLSummary(doc)))
		}
	}
	st.ACL = inh
	return m.save()
}

// inheritACL sets the old key's network ACL on the new key and verifies it
// by reading it back (journaled). Nothing to do when the old key had none
// or --no-inherit-acl was given.
func (m *Machine) inheritACL(ctx context.Context, newKeyID string) error {
	st := m.st
	inh := st.ACL
	if inh == nil || inh.OptedOut || inh.Policy == "" {
		return nil
	}
	if _, err := m.mutate(ctx, ActionInheritACL, newKeyID, map[string]string{"policy": ""},
		map[string]string{"policy": inh.Policy, "from_access_key_id": inh.FromKeyID},
		func(ctx context.Context) (string, error) {
			return m.o.Cloud.SetAccessKeyPolicy(ctx, newKeyID, st.UserPrincipalName, inh.Policy)
		}); err != nil {
		return fmt.Errorf("set the network ACL on %s: %w", newKeyID, err)
	}
	return m.verifyACL(ctx, newKeyID)
}

// verifyACL re-reads the new key's network ACL and checks it is the one
// inherited (journaled either way).
func (m *Machine) verifyACL(ctx context.Context, newKeyID string) error {
	st := m.st
	inh := st.ACL
	got, err := m.o.Cloud.GetAccessKeyPolicy(ctx, newKeyID, st.UserPrincipalName)
	res, msg := journal.ResultOK, fmt.Sprintf("the new key %s has the old key's network ACL (%s)", newKeyID, ACLSummary(inh.Policy))
	switch {
	case err != nil:
		res, msg = journal.ResultError, fmt.Sprintf("cannot re-read the network ACL of %s to verify it: %v", newKeyID, err)
	case !sameACL(got, inh.Policy):
		res, msg = journal.ResultError, fmt.Sprintf("the network ACL of %s reads back as %s, not the old key's %s", newKeyID, ACLSummary(got), ACLSummary(inh.Policy))
	}
	if j, jerr := m.journal(); jerr == nil {
		_ = j.Append(journal.Record{Kind: journal.KindNote, Action: "verify-network-acl", Target: newKeyID, Result: res,
			After: mustJSON(map[string]string{"policy": got}), Message: msg, Operator: m.caller.Arn, Endpoint: m.o.Endpoint})
	}
	if res != journal.ResultOK {
		return fmt.Errorf("verify: %s", msg)
	}
	inh.SetOn, inh.VerifiedAt = newKeyID, m.now()
	m.emit(Event{Kind: "action", Action: "verify-network-acl", Target: newKeyID, Result: journal.ResultOK, Message: msg})
	m.note(msg + ", verified before the secret is handed over")
	return m.save()
}

// windows settles --quiet-for and --observe against the values saved with
// the rotation: saved values are used when the flag is not given; a flag
// given on resume overrides them, with a note.
func (m *Machine) windows() {
	st := m.st
	if st == nil {
		return
	}
	apply := func(flag string, set bool, opt *time.Duration, saved **Duration) {
		switch {
		case *saved == nil:
			d := Duration(*opt)
			*saved = &d
		case set && (*saved).D() != *opt:
			if !m.readOnly {
				m.note(fmt.Sprintf("--%s %s replaces the %s saved with this rotation (resumes without the flag keep %s)", flag, *opt, (*saved).D(), *opt))
				d := Duration(*opt)
				*saved = &d
			}
		case !set:
			*opt = (*saved).D()
		}
	}
	apply("quiet-for", m.o.QuietForSet, &m.o.QuietFor, &st.QuietFor)
	apply("observe", m.o.ObserveSet, &m.o.Observe, &st.Observe)
}

// Preview is what the plan shows before a run: the containment the new key
// would inherit and the windows in effect.
type Preview struct {
	OldACL   string // the old key's network ACL document ("" none)
	ACLError string // why it could not be read ("" read fine)
	Creates  bool   // this run creates a new key
	QuietFor time.Duration
	Observe  time.Duration
}

// Preview reads what the plan needs without changing anything: the
// rotation's saved windows and, when this run would create the new key, the
// old key's network ACL. An unknown key is a *cloud.UnknownKeyError.
func (m *Machine) Preview(ctx context.Context) (Preview, error) {
	st, err := LoadState(m.o.StateDir, m.o.KeyID)
	if err != nil {
		return Preview{}, err
	}
	m.st, m.readOnly, m.rep = st, true, &Report{SchemaVersion: ReportSchema, KeyID: m.o.KeyID, Actions: []ActionResult{}}
	defer func() { m.st, m.readOnly, m.rep = nil, false, nil }()
	saveQ, saveO := m.o.QuietFor, m.o.Observe
	m.windows()
	pv := Preview{QuietFor: m.o.QuietFor, Observe: m.o.Observe}
	m.o.QuietFor, m.o.Observe = saveQ, saveO
	if st != nil {
		switch {
		case st.Step == StepNone, st.Step == StepCreating, st.Step == StepCreated:
		case st.Step == StepRolledBack && (st.NewKeyGone || st.NewKeyID == ""):
		default:
			return pv, nil
		}
	}
	pv.Creates = true
	if err := m.identity(ctx); err != nil {
		return pv, err
	}
	upn := ""
	if st != nil {
		upn = st.UserPrincipalName
	}
	if st == nil || (!st.Root && upn == "") {
		o, _, err := m.owner(ctx)
		if err != nil {
			return pv, err
		}
		upn = o.UserPrincipalName
	}
	doc, err := m.o.Cloud.GetAccessKeyPolicy(ctx, m.o.KeyID, upn)
	switch {
	case err != nil:
		pv.ACLError = err.Error()
	case !noACL(doc):
		pv.OldACL = doc
	}
	return pv, nil
}
