package respond

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/akresp/akresp/internal/cloud"
	"golang.org/x/sync/errgroup"
)

// containCreatedKind is contain's --contain-created over the identities
// the key created (from the audit): the deny policy on users it created
// (KindAttachPolicy) and disabling keys it created (KindKeyStatus). Without
// the flag it only reports their current state.
type containCreatedKind struct {
	created  []CreatedIdentity
	attached map[string]bool // created user -> our policy attached
}

func (k *containCreatedKind) prepare(*containScan) error { return nil }

func (k *containCreatedKind) lookup(round int, s *containScan, g *errgroup.Group, gctx context.Context) error {
	if round != 2 {
		return nil
	}
	if err := s.awaitEvidence(); err != nil {
		return err
	}
	k.created = slices.Clone(s.ev.Created)
	k.attached = map[string]bool{}
	for i := range k.created {
		g.Go(func() error {
			cur, rerr := currentState(gctx, s.c, k.created[i])
			var attached, known bool
			if s.o.ContainCreated && k.created[i].Kind == "user" && cur == "exists" {
				if ps, err := s.c.ListPoliciesForUser(gctx, k.created[i].Name); err == nil {
					attached, known = hasCustomPolicy(ps, s.o.PolicyName), true
				} else {
					cur, rerr = stateUnknown, err
				}
			}
			s.mu.Lock()
			k.created[i].Current = cur
			if rerr != nil {
				k.created[i].CurrentError = rerr.Error()
			}
			if known {
				k.attached[k.created[i].Name] = attached
			}
			s.mu.Unlock()
			return nil
		})
	}
	return nil
}

func (k *containCreatedKind) observed(s *containScan) {
	p := s.p
	p.Created = k.created
	for _, id := range k.created {
		if id.Current == stateUnknown {
			p.Diagnostics = append(p.Diagnostics, Diagnostic{Severity: "warning", Target: id.Kind + " " + id.Name,
				Summary: "could not read the current state of an identity the key created", Detail: id.CurrentError})
		}
	}
}

func (k *containCreatedKind) plan(s *containScan) error {
	p := s.p
	switch {
	case s.o.ContainCreated:
		k.addActions(s)
	case len(p.Created) > 0:
		if n := containable(p); n > 0 {
			p.Notes = append(p.Notes, fmt.Sprintf("the key created or changed %s, %d of them still active; --contain-created adds actions for them", identities(len(p.Created)), n))
		} else {
			p.Notes = append(p.Notes, fmt.Sprintf("the key created or changed %s; none is left to contain (deleted, disabled or the owner itself)", identities(len(p.Created))))
		}
	}
	return nil
}

// addActions adds the deny policy on users the key created, and disabling
// keys it created.
func (k *containCreatedKind) addActions(s *containScan) {
	p := s.p
	seen := map[string]bool{}
	for _, id := range p.Created {
		if id.Owners && (id.Kind == "user" || id.Kind == "access_key") && !seen["o"+id.Kind+id.Name] {
			seen["o"+id.Kind+id.Name] = true
			what := "created user " + id.Name
			if id.Kind == "access_key" {
				what = "created key " + id.Name + " of " + id.User
			}
			p.Notes = append(p.Notes, fmt.Sprintf("%s was made from %s, a source of the key's own (known before the incident, or trusted; the audit does not count it as the attacker's): left alone; contain it by hand if it is not your own", what, cmp.Or(id.SourceIP, "a known source")))
			continue
		}
		switch id.Kind {
		case "user":
			if id.Current != "exists" || id.Name == p.Key.Owner || seen["u"+id.Name] {
				continue
			}
			seen["u"+id.Name] = true
			if p.Action("deny-policy") == nil {
				p.Notes = append(p.Notes, "created user "+id.Name+": no deny policy in this plan to attach")
				continue
			}
			p.Actions = append(p.Actions, planAttachDeny(s.c, s.o.PolicyName, id.Name, k.attached[id.Name],
				fmt.Sprintf("attach %s to created user %s", s.o.PolicyName, id.Name)))
		case "access_key":
			if !strings.EqualFold(id.Current, "Active") || id.Name == p.Key.AccessKeyID || seen["k"+id.Name] {
				continue
			}
			seen["k"+id.Name] = true
			p.Actions = append(p.Actions, planDisableKey(s.c, keyState{KeyID: id.Name, User: id.User, Status: "Active"},
				fmt.Sprintf("disable created key %s of %s", id.Name, id.User)))
		}
	}
}

// stateUnknown is CreatedIdentity.Current when the state could not be
// read; CurrentError says why.
const stateUnknown = "unknown"

// currentState describes an identity the key created, as it is now, or
// stateUnknown and the error that kept it from being read.
func currentState(ctx context.Context, c ContainCloud, id CreatedIdentity) (string, error) {
	switch id.Kind {
	case "user":
		if _, err := c.GetUser(ctx, id.Name); err != nil {
			if errors.Is(err, cloud.ErrNotFound) {
				return "deleted", nil
			}
			return stateUnknown, err
		}
		return "exists", nil
	case "access_key":
		ks, err := c.ListAccessKeys(ctx, id.User)
		if err != nil {
			if errors.Is(err, cloud.ErrNotFound) {
				return "deleted", nil
			}
			return stateUnknown, err
		}
		for _, k := range ks {
			if k.AccessKeyID == id.Name {
				return k.Status, nil
			}
		}
		return "deleted", nil
	case "login_profile":
		user := id.User
		if user == "" {
			user = id.Name
		}
		lp, ok, err := c.GetLoginProfile(ctx, user)
		switch {
		case err != nil:
			return stateUnknown, err
		case !ok:
			return "deleted", nil
		case lp.MFABindRequired:
			return "exists_mfa_required", nil
		}
		return "exists", nil
	case "policy_attachment":
		if id.User == "" {
			return "not_checked", nil // the event names the holder
		}
		ps, err := c.ListPoliciesForUser(ctx, id.User)
		if err != nil {
			return stateUnknown, err
		}
		if slices.ContainsFunc(ps, func(p cloud.AttachedPolicy) bool { return strings.EqualFold(p.PolicyName, id.Name) }) {
			return "attached", nil
		}
		return "detached", nil
	}
	return "not_checked", nil
}

// containable counts the identities the key created that --contain-created
// would still act on: users that exist (other than the owner) and Active
// keys (other than the leaked one).
func containable(p *Plan) int {
	n := 0
	for _, id := range p.Created {
		if containableNow(p, id) {
			n++
		}
	}
	return n
}

// containableNow reports whether --contain-created would act on id: a user
// that exists (other than the owner) or an Active key (other than the
// leaked one).
func containableNow(p *Plan, id CreatedIdentity) bool {
	if id.Owners {
		return false // the owners' own (addActions leaves it alone)
	}
	switch id.Kind {
	case "user":
		return id.Current == "exists" && id.Name != p.Key.Owner
	case "access_key":
		return strings.EqualFold(id.Current, "Active") && id.Name != p.Key.AccessKeyID
	}
	return false
}

// identities is "1 identity" or "N identities".
func identities(n int) string {
	if n == 1 {
		return "1 identity"
	}
	return fmt.Sprintf("%d identities", n)
}
