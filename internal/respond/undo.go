package respond

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/policy"
	"golang.org/x/sync/errgroup"
)

// undoCompleteAction marks, in a contain-undo journal, that the containment
// before it is fully reverted; later undos only look at contains after it.
// undoRunsAction marks that some contain runs (or some of their actions)
// were reverted while others still hold: its After is {"undone":{run ID:
// [action IDs]}}.
const (
	undoCompleteAction = "undo-complete"
	undoRunsAction     = "undo-runs"
)

// UndoOptions configure PlanUndo.
type UndoOptions struct {
	KeyID    string
	StateDir string
	// All restores the state before the first contain run since the last
	// complete undo; otherwise the state before the last run.
	All bool
	// ACLOnly reverts only the network ACL (the deny policy stays, as the
	// leak-response plan wants while the key is active).
	ACLOnly bool
	Force   bool
	Now     func() time.Time
}

// journaledChange is one action of the containment being undone: the state
// before the first run being undone touched it and after the last one did.
type journaledChange struct {
	id            string
	kind          string
	target        string
	before, after []byte
	order         int
	run           string // the run whose "before" is restored
	runs          []string
	file          string
	line          int
}

// containRun is one contain run that changed something (journaled intents).
type containRun struct {
	id      string
	time    time.Time
	changes []*journaledChange // one per action ID, first before / last after in the run
	// planBefore is the run's plan note: action ID -> the "before" text the
	// plan showed (to check the intents against).
	planBefore map[string]string
	planFile   string
	// owner is the key's owner as the run's plan note names it
	// (key_owner: "" for a key no RAM user owns), or, in a note from
	// before it did, the target of the plan's first deny attachment:
	// contain plans the owner's before those of users the key created.
	owner      string
	ownerKnown bool
}

// containRuns returns the contain runs since the last complete undo whose
// actions are not reverted yet, oldest first. Intents without an outcome
// count: the call may have taken effect.
func containRuns(recs []journal.Record) []*containRun {
	var runs []*containRun
	byID := map[string]*containRun{}
	undone := map[string]map[string]bool{} // run -> action IDs reverted
	notes := map[string]journal.Record{}   // run -> plan note
	for _, r := range recs {
		switch {
		case r.Command == CmdContainUndo && r.Action == undoCompleteAction:
			runs, byID, undone = nil, map[string]*containRun{}, map[string]map[string]bool{}
		case r.Command == CmdContainUndo && r.Action == undoRunsAction:
			var u struct {
				Undone map[string][]string `json:"undone"`
			}
			if json.Unmarshal(r.After, &u) == nil {
				for run, ids := range u.Undone {
					if undone[run] == nil {
						undone[run] = map[string]bool{}
					}
					for _, id := range ids {
						undone[run][id] = true
					}
				}
			}
		case r.Command == CmdContain && r.Kind == journal.KindNote && r.Action == "plan":
			notes[r.RunID] = r
		case r.Command == CmdContain && r.Kind == journal.KindIntent && r.ActionID != "":
			run, ok := byID[r.RunID]
			if !ok {
				run = &containRun{id: r.RunID, time: r.Time}
				byID[r.RunID] = run
				runs = append(runs, run)
			}
			var ch *journaledChange
			for _, c := range run.changes {
				if c.id == r.ActionID {
					ch = c
				}
			}
			if ch == nil {
				ch = &journaledChange{id: r.ActionID, kind: r.Action, target: r.Target, before: r.Before, order: len(run.changes),
					run: r.RunID, runs: []string{r.RunID}, file: r.File, line: r.Line}
				run.changes = append(run.changes, ch)
			}
			ch.after = r.After
		}
	}
	var out []*containRun
	for _, run := range runs {
		var keep []*journaledChange
		for _, ch := range run.changes {
			if !undone[run.id][ch.id] {
				keep = append(keep, ch)
			}
		}
		if len(keep) == 0 {
			continue
		}
		run.changes = keep
		if n, ok := notes[run.id]; ok {
			run.planFile = n.File
			var doc struct {
				Actions  []struct{ ID, Kind, Target, Before string }
				KeyOwner *string `json:"key_owner"`
			}
			if json.Unmarshal(n.After, &doc) == nil {
				run.planBefore = map[string]string{}
				for _, a := range doc.Actions {
					run.planBefore[a.ID] = a.Before
					if !run.ownerKnown && a.Kind == KindAttachPolicy && strings.HasPrefix(a.ID, "attach:") {
						run.owner, run.ownerKnown = a.Target, true
					}
				}
				if doc.KeyOwner != nil {
					run.owner, run.ownerKnown = *doc.KeyOwner, true
				}
			}
		}
		out = append(out, run)
	}
	return out
}

// undoable reports whether undo reverts an action: keys the leaked key
// created stay disabled.
func undoable(ch *journaledChange) bool {
	return !(ch.kind == KindKeyStatus && strings.HasPrefix(ch.id, "disable-key:"))
}

// combine merges the changes of runs into one per action: the "before" of
// the first run that touched it and the "after" of the last.
func combine(runs []*containRun) []*journaledChange {
	byID := map[string]*journaledChange{}
	var out []*journaledChange
	for _, run := range runs {
		for _, ch := range run.changes {
			if c, ok := byID[ch.id]; ok {
				c.after = ch.after
				c.runs = append(c.runs, run.id)
				continue
			}
			c := *ch
			c.runs = []string{run.id}
			c.order = len(out)
			byID[ch.id] = &c
			out = append(out, &c)
		}
	}
	// Parallel runs journal intents in any order; undo goes by the plan's
	// logical order (reversed by the caller).
	rank := map[string]int{KindNetworkACL: 0, KindDenyPolicy: 1, KindAttachPolicy: 2, KindRequireMFA: 3, KindKeyStatus: 4}
	slices.SortStableFunc(out, func(a, b *journaledChange) int {
		if ra, rb := rank[a.kind], rank[b.kind]; ra != rb {
			return ra - rb
		}
		return a.order - b.order
	})
	return out
}

// containChanges returns the contain actions since the last complete undo
// that are not reverted yet, combined over every run.
func containChanges(recs []journal.Record) []*journaledChange {
	return combine(containRuns(recs))
}

// journaledFence is the key-level ACL the journal says contain set last
// and that is not reverted ("", "" when there is none).
func journaledFence(recs []journal.Record) (doc, run string, ok bool) {
	runs := containRuns(recs)
	for i := len(runs) - 1; i >= 0; i-- {
		for _, ch := range runs[i].changes {
			if ch.kind != KindNetworkACL {
				continue
			}
			var a aclState
			if json.Unmarshal(ch.after, &a) == nil {
				return a.Policy, runs[i].id, true
			}
		}
	}
	return "", "", false
}

// fenceHistoryNotes matches the key-level ACL in effect against the
// journal: contain extends what is in effect, and says where it came from.
func fenceHistoryNotes(stateDir, keyID, live string) ([]string, error) {
	if stateDir == "" {
		return nil, nil
	}
	recs, _, err := journal.ReadKey(stateDir, keyID)
	if err != nil {
		// A journal that fails its integrity check stops the run (the
		// error carries its exit code).
		return nil, fmt.Errorf("contain %s: read the journal to match the ACL in effect against it: %w", keyID, err)
	}
	doc, run, ok := journaledFence(recs)
	switch {
	case ok && !aclEquivalent(doc, live):
		return []string{fmt.Sprintf("the key's network ACL was changed outside akresp since contain run %s set it (that run set: %s; in effect now: %s); this run starts from what is in effect", run, describeACL(doc), describeACL(live))}, nil
	case ok:
		return []string{fmt.Sprintf("the ACL in effect is the one contain run %s set", run)}, nil
	case aclActive(live):
		return []string{"the key already has a network ACL that akresp did not set; its sources are kept and the requested ones added"}, nil
	}
	return nil, nil
}

// PlanUndo builds the plan that reverts akresp's containment of a key from
// its journal: by default the changes of the last contain run (the state
// before it), with All the state before the first run since the last
// complete undo. The deny policy is not removed from an owner whose key is
// still Active, nor from a created user with an Active key, unless Force
// (the leak-response plan keeps it until the key is disabled and deleted);
// ACLOnly reverts the network ACL alone. Keys the leaked key created stay
// disabled.
func PlanUndo(ctx context.Context, c ContainCloud, o UndoOptions) (*Plan, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	recs, _, err := journal.ReadKey(o.StateDir, o.KeyID)
	if err != nil {
		return nil, fmt.Errorf("contain %s --undo: read journal: %w", o.KeyID, err)
	}
	ident, err := c.GetCallerIdentity(ctx)
	if err != nil {
		return nil, fmt.Errorf("contain %s --undo: who am I (sts:GetCallerIdentity): %w", o.KeyID, err)
	}
	p := &Plan{Command: CmdContainUndo, Key: KeyInfo{AccessKeyID: o.KeyID}, Forced: o.Force,
		Operator: OperatorInfo{AccountID: ident.AccountID, Arn: ident.Arn, IdentityType: cloud.IdentityTypeName(ident.IdentityType), Endpoint: c.Endpoint()}}
	runs := containRuns(recs)
	undoRuns := runs
	if !o.All && len(runs) > 0 {
		undoRuns = runs[len(runs)-1:]
	}
	changes := combine(undoRuns)
	if o.ACLOnly {
		changes = slices.DeleteFunc(changes, func(ch *journaledChange) bool { return ch.kind != KindNetworkACL })
	}
	if len(changes) == 0 {
		msg := fmt.Sprintf("the journal under %s holds no containment of %s to undo", o.StateDir, o.KeyID)
		if o.ACLOnly && len(runs) > 0 {
			msg = fmt.Sprintf("the contain run(s) to undo did not change the network ACL of %s", o.KeyID)
		}
		p.Notes = append(p.Notes, msg)
		p.ObservedAt = o.Now().UTC().Truncate(time.Second)
		p.seal()
		return p, nil
	}
	switch {
	case o.All && len(undoRuns) > 1:
		p.Notes = append(p.Notes, fmt.Sprintf("--all: restoring the state before the first of %d contain runs (%s, %s)", len(undoRuns), undoRuns[0].id, undoRuns[0].time.UTC().Format(time.RFC3339)))
	case !o.All:
		last := undoRuns[0]
		p.Notes = append(p.Notes, fmt.Sprintf("restoring the state before the last contain run (%s, %s)", last.id, last.time.UTC().Format(time.RFC3339)))
		if len(runs) > 1 {
			p.Notes = append(p.Notes, fmt.Sprintf("%d earlier contain run(s) stay in place; --undo again, or --undo --all, reverts them too", len(runs)-1))
		}
	}
	type live struct {
		ch            *journaledChange
		res           resource
		before, after any
		cur           any
		err           error
	}
	lives := make([]*live, len(changes))
	for i, ch := range changes {
		res, b, a, err := rebuild(c, ch.kind, ch.before, ch.after)
		if err != nil {
			return nil, fmt.Errorf("contain %s --undo: journal action %s (%s:%d): %w", o.KeyID, ch.id, ch.file, ch.line, err)
		}
		lives[i] = &live{ch: ch, res: res, before: b, after: a}
	}
	// The "before" to restore must be the one the run's own plan showed:
	// a journal whose intent disagrees with its plan note was edited.
	for _, l := range lives {
		for _, run := range undoRuns {
			if run.id != l.ch.run || run.planBefore == nil {
				continue
			}
			if want, ok := run.planBefore[l.ch.id]; ok && want != l.res.text(l.before) {
				return nil, &RailError{Rule: "journal-inconsistent",
					Detail: fmt.Sprintf("%s:%d: field before of action %s says %q, but the plan of run %s showed %q; the journal was changed after it was written, so undo will not restore it", l.ch.file, l.ch.line, l.ch.id, l.res.text(l.before), run.id, want)}
			}
		}
	}
	// Undo never widens a fence beyond what the journal's own "before" of
	// the previous run was: the last run's "before" must match what the
	// run before it set.
	if !o.All {
		if prevDoc, prevRun, ok := journaledFence(prevRecs(recs, undoRuns[0].id)); ok {
			for _, l := range lives {
				if l.ch.kind != KindNetworkACL {
					continue
				}
				b := l.before.(aclState).Policy
				if wider := aclWidens(b, prevDoc); !aclEquivalent(b, prevDoc) && len(wider) > 0 {
					p.Rails = append(p.Rails, &RailError{Rule: "undo-widens-fence",
						Detail: fmt.Sprintf("%s:%d: the journal says the ACL before run %s was %s, wider than what run %s had set (%s: also allows %s); restoring it would open the fence beyond akresp's own record",
							l.ch.file, l.ch.line, undoRuns[0].id, describeACL(b), prevRun, describeACL(prevDoc), strings.Join(wider, "; ")),
						Override: "--force"})
				}
			}
		}
	}

	// The key's owner: IMS's answer below while the key exists; once it
	// is deleted (rotate --delete), the journal's. The owner's deny
	// attachment is judged by the key, a created user's by its own keys:
	// taken for a created user, the owner's new key from a rotation
	// refused the undo rotate itself suggests.
	var owner string
	for _, run := range runs {
		if run.ownerKnown {
			owner = run.owner
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, l := range lives {
		g.Go(func() error {
			l.cur, l.err = l.res.observe(gctx)
			if l.err != nil && !(l.ch.kind == KindNetworkACL && errors.Is(l.err, cloud.ErrNotFound)) {
				return fmt.Errorf("contain %s --undo: read %s %s: %w", o.KeyID, l.ch.kind, l.ch.target, l.err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// A deleted key's network ACL went with it (rotate --delete, disable
	// --delete): nothing to restore there; the rest of the undo (the deny
	// policy) still applies.
	var gone []*live
	lives = slices.DeleteFunc(lives, func(l *live) bool {
		if l.err == nil {
			return false
		}
		gone = append(gone, l)
		p.Notes = append(p.Notes, fmt.Sprintf("key %s no longer exists: its network ACL went with it, nothing to restore", l.ch.target))
		return true
	})
	p.ObservedAt = o.Now().UTC().Truncate(time.Second)
	// The key's owner and status decide whether the deny policy may go.
	if u, err := c.GetUserByAccessKey(ctx, o.KeyID); err == nil {
		owner = u.UserName
		p.Key.OwnerType, p.Key.UserPrincipalName = OwnerRAMUser, u.UserPrincipalName
	}
	p.Key.Owner = owner
	keyActive := func(user, keyID string) (string, bool) {
		ks, err := c.ListAccessKeys(ctx, user)
		if err != nil {
			if errors.Is(err, cloud.ErrNotFound) {
				return StatusDeleted, false
			}
			return "unknown", true // unknown counts as active: the safe side
		}
		st := StatusDeleted
		for _, k := range ks {
			if keyID == "" && strings.EqualFold(k.Status, "Active") {
				return "Active", true
			}
			if k.AccessKeyID == keyID {
				st = k.Status
			}
		}
		if keyID == "" {
			return "no active key", false
		}
		return st, strings.EqualFold(st, "Active") || st == "unknown"
	}
	if owner != "" {
		p.Key.Status, _ = keyActive(owner, o.KeyID)
	} else if ks, err := c.ListAccessKeys(ctx, ""); err == nil {
		p.Key.Status = StatusDeleted
		for _, k := range ks {
			if k.AccessKeyID == o.KeyID {
				p.Key.Status = k.Status
			}
		}
	}

	var detachIDs []string
	var policyAction *Action
	var denyReasons []string
	for i := len(lives) - 1; i >= 0; i-- {
		l := lives[i]
		if !undoable(l.ch) {
			// Keys the leaked key created are the attacker's: undo never
			// re-activates them (and one deleted since has no command).
			if ks, ok := l.cur.(keyState); ok && ks.Status == StatusDeleted {
				p.Notes = append(p.Notes, fmt.Sprintf("key %s, created by the leaked key, has been deleted since: nothing to re-enable", l.ch.target))
				continue
			}
			p.Notes = append(p.Notes, fmt.Sprintf("key %s, created by the leaked key, stays disabled; re-enable it deliberately with: akresp disable %s --enable", l.ch.target, l.ch.target))
			continue
		}
		a := newAction("undo-"+l.ch.id, l.res, l.cur, l.before, "restore "+l.ch.kind+" "+l.ch.target)
		if !a.Reversible {
			p.Notes = append(p.Notes, fmt.Sprintf("%s %s cannot be undone", l.ch.kind, l.ch.target))
			continue
		}
		if !a.Noop && !l.res.equal(l.cur, l.after) {
			p.Rails = append(p.Rails, &RailError{Rule: "undo-drift",
				Detail:   fmt.Sprintf("%s %s changed since contain set it (now %s, contain set %s); restoring %s would overwrite that change", l.ch.kind, l.ch.target, l.res.text(l.cur), l.res.text(l.after), l.res.text(l.before)),
				Override: "--force"})
		}
		switch l.ch.kind {
		case KindAttachPolicy:
			detachIDs = append(detachIDs, a.ID)
			if !a.Noop && !l.before.(attachState).Attached {
				if l.ch.target == owner {
					if strings.EqualFold(p.Key.Status, "Active") || p.Key.Status == "unknown" {
						denyReasons = append(denyReasons, fmt.Sprintf("%s is still %s: detaching the deny policy %s from its owner %s gives high-risk permissions back to whoever holds the key", o.KeyID, p.Key.Status, l.before.(attachState).Policy, owner))
					}
				} else if st, active := keyActive(l.ch.target, ""); active {
					denyReasons = append(denyReasons, fmt.Sprintf("user %s, created by the leaked key, still has an %s AccessKey: detaching the deny policy gives it high-risk permissions back", l.ch.target, st))
				}
			}
		case KindDenyPolicy:
			policyAction = a
		}
		p.Actions = append(p.Actions, a)
	}
	if policyAction != nil {
		policyAction.DependsOn = slices.Clone(detachIDs)
	}
	if len(denyReasons) > 0 {
		p.Rails = append(p.Rails, &RailError{Rule: "undo-deny-active-key",
			Detail: strings.Join(denyReasons, "; ") + ". The leak-response plan keeps the deny-high-risk policy until the key is disabled and deleted; " +
				"to revert only the network ACL use --undo --acl-only",
			Override: "--force"})
	}
	// What the journal will say this undo reverted.
	p.UndoRuns = map[string][]string{}
	for _, l := range slices.Concat(lives, gone) {
		for _, run := range l.ch.runs {
			p.UndoRuns[run] = append(p.UndoRuns[run], l.ch.id)
		}
	}
	// Complete: nothing of akresp's containment is left after it (disabled
	// created keys do not count: undo never re-enables them).
	remaining := 0
	for _, run := range runs {
		for _, ch := range run.changes {
			if undoable(ch) && !slices.Contains(p.UndoRuns[run.id], ch.id) {
				remaining++
			}
		}
	}
	p.UndoComplete = remaining == 0
	p.seal()
	return p, nil
}

// prevRecs returns the records before the first record of run.
func prevRecs(recs []journal.Record, run string) []journal.Record {
	for i, r := range recs {
		if r.RunID == run {
			return recs[:i]
		}
	}
	return recs
}

// DenyPolicyState is the deny-high-risk policy and whether it is attached
// to the key's owner (the report's deny_policy object).
type DenyPolicyState struct {
	PolicyName string `json:"policy_name"`
	Attached   bool   `json:"attached"`
}

// ContainStatus is the current containment state of a key.
type ContainStatus struct {
	KeyID       string         `json:"access_key_id"`
	OwnerType   string         `json:"identity_type"`
	Owner       string         `json:"user_name,omitempty"`
	KeyStatus   string         `json:"key_status"`
	ACL         policy.DocText `json:"network_acl,omitempty"`
	ACLSummary  string         `json:"network_acl_summary"`
	ACLEnforced bool           `json:"network_acl_enforced"` // the effective policy restricts public sources
	// Effective is the network policy that applies (key or account level).
	Effective  EffectiveACL    `json:"effective_network_policy"`
	DenyPolicy DenyPolicyState `json:"deny_policy"`
	State      string          `json:"state"`
	LastRun    string          `json:"last_run,omitempty"`
	LastRunAt  time.Time       `json:"last_run_at,omitzero"`
	Pending    []string        `json:"pending,omitempty"`
	Notes      []string        `json:"notes,omitempty"`
	// Next is what completes the containment of an active key that is
	// not (fully) contained.
	Next []string `json:"next_steps,omitempty"`
}

// Status reads a key's containment state: its network ACL, whether the deny
// policy is attached to its owner, and what the journal says.
func Status(ctx context.Context, c ContainCloud, stateDir, keyID, policyName string) (*ContainStatus, error) {
	if policyName == "" {
		policyName = DefaultPolicyName
	}
	st := &ContainStatus{KeyID: keyID, DenyPolicy: DenyPolicyState{PolicyName: policyName}}
	recs, warns, err := journal.ReadKey(stateDir, keyID)
	if err != nil {
		// A journal that fails its integrity check is not "no last run".
		return nil, fmt.Errorf("contain %s --status: read the journal: %w", keyID, err)
	}
	{
		st.Notes = append(st.Notes, warns...)
		for _, r := range recs {
			if r.Command == CmdContain || r.Command == CmdContainUndo {
				st.LastRun, st.LastRunAt = r.RunID, r.Time
			}
		}
		for _, r := range journal.Pending(recs) {
			st.Pending = append(st.Pending, fmt.Sprintf("%s %s %s (run %s)", r.Command, r.Action, r.Target, r.RunID))
		}
	}
	ident, err := c.GetCallerIdentity(ctx)
	if err != nil {
		return nil, fmt.Errorf("contain %s --status: who am I (sts:GetCallerIdentity): %w", keyID, err)
	}
	owner, err := c.GetUserByAccessKey(ctx, keyID)
	switch {
	case err == nil:
		st.OwnerType, st.Owner = OwnerRAMUser, owner.UserName
	case errors.Is(err, cloud.ErrNotFound):
		root, rerr := isRootKey(ctx, c, ident, keyID, nil)
		if rerr != nil {
			return nil, rerr
		}
		if !root {
			if rec, lerr := incident.LoadOwn(stateDir, keyID); lerr == nil && !rec.DeletedAt.IsZero() {
				return deletedStatus(ctx, c, st, recs, rec.DeletedAt) // the journal or the rotation state says so
			}
			return nil, unknownKey(keyID, ident, err)
		}
		st.OwnerType = OwnerRoot
	default:
		return nil, fmt.Errorf("contain %s --status: find the key's owner: %w", keyID, err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		ks, err := c.ListAccessKeys(gctx, st.Owner)
		if err != nil {
			return fmt.Errorf("contain %s --status: list keys: %w", keyID, err)
		}
		st.KeyStatus = StatusDeleted
		for _, k := range ks {
			if k.AccessKeyID == keyID {
				st.KeyStatus = k.Status
			}
		}
		return nil
	})
	var (
		acctDoc string
		acctErr error
	)
	g.Go(func() error { acctDoc, acctErr = c.GetAccessKeyPolicyForAccount(gctx); return nil })
	aclKnown := st.OwnerType == OwnerRAMUser || ident.IdentityType == "Account"
	if aclKnown {
		g.Go(func() error {
			doc, err := c.GetAccessKeyPolicy(gctx, keyID, owner.UserPrincipalName)
			if err != nil {
				return fmt.Errorf("contain %s --status: read network ACL: %w", keyID, err)
			}
			st.ACL = policy.DocText(doc)
			return nil
		})
	}
	if st.OwnerType == OwnerRAMUser {
		g.Go(func() error {
			ps, err := c.ListPoliciesForUser(gctx, st.Owner)
			if err != nil {
				return fmt.Errorf("contain %s --status: list policies of %s: %w", keyID, st.Owner, err)
			}
			st.DenyPolicy.Attached = hasCustomPolicy(ps, policyName)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	st.ACLSummary = describeACL(string(st.ACL))
	st.Effective = EffectivePolicy(string(st.ACL), acctDoc, acctErr)
	if !aclKnown {
		st.ACLSummary = "unknown (only the root account can read a root key's network ACL)"
		st.Effective.Source, st.Effective.PublicOpen = ACLSourceUnknown, true
		st.Effective.PublicReason = "the key-level policy of a root-account key can only be read by the root account"
		st.Effective.Summary = "unknown; account-level: " + describeACL(acctDoc)
	}
	// Containment is judged by what the effective policy allows, not by
	// whether some policy is set.
	st.ACLEnforced = !st.Effective.PublicOpen
	if st.Effective.PublicOpen {
		st.Notes = append(st.Notes, "public access is open: "+st.Effective.PublicReason)
	}
	if acctErr != nil {
		st.Notes = append(st.Notes, "could not read the account-level network policy: "+acctErr.Error())
	}
	switch {
	case st.OwnerType == OwnerRoot && st.ACLEnforced, st.ACLEnforced && st.DenyPolicy.Attached:
		st.State = StateContained
	case st.ACLEnforced || st.DenyPolicy.Attached:
		st.State = StatePartiallyContained
	default:
		st.State = StateNotContained
	}
	if strings.EqualFold(st.KeyStatus, "Inactive") {
		st.Notes = append(st.Notes, "the key is disabled (Inactive)")
	}
	st.Next = statusNext(st)
	return st, nil
}

// deletedStatus is the containment of a key akresp deleted (its journal
// says when): its network ACL went with it; what is left is the deny
// policy on the owner the contain runs name, which contain --undo --all
// takes off once the incident is closed.
func deletedStatus(ctx context.Context, c ContainCloud, st *ContainStatus, recs []journal.Record, at time.Time) (*ContainStatus, error) {
	st.KeyStatus, st.State = StatusDeleted, StateDeleted
	st.ACLSummary = "none: the key is deleted and its network ACL went with it"
	st.Effective = EffectiveACL{Source: ACLSourceNone, Summary: "none: the key is deleted"}
	st.Notes = append(st.Notes, "akresp deleted the key at "+at.UTC().Format(time.RFC3339)+" (its journal)")
	for _, run := range containRuns(recs) {
		if run.ownerKnown && run.owner != "" {
			st.OwnerType, st.Owner = OwnerRAMUser, run.owner
		}
	}
	if st.Owner == "" {
		return st, nil
	}
	ps, err := c.ListPoliciesForUser(ctx, st.Owner)
	switch {
	case errors.Is(err, cloud.ErrNotFound):
		st.Notes = append(st.Notes, "user "+st.Owner+" no longer exists")
	case err != nil:
		return nil, fmt.Errorf("contain %s --status: list policies of %s: %w", st.KeyID, st.Owner, err)
	default:
		st.DenyPolicy.Attached = hasCustomPolicy(ps, st.DenyPolicy.PolicyName)
	}
	if st.DenyPolicy.Attached {
		st.Next = []string{"the deny-high-risk policy still limits " + st.Owner + "'s other keys: take it off once the incident is closed: akresp contain " + st.KeyID + " --undo --all"}
	}
	return st, nil
}

// statusNext is the contain run that completes what the status lacks, for
// an active key: the deny policy (a re-run keeps the ACL in effect), the
// fence of public sources, or both.
func statusNext(st *ContainStatus) []string {
	if !strings.EqualFold(st.KeyStatus, "Active") || st.State == StateContained || len(st.Pending) > 0 {
		return nil
	}
	id := st.KeyID
	if n := st.DenyPolicy.PolicyName; n != "" && n != DefaultPolicyName {
		id += " --policy-name " + n // the policy this status looked for
	}
	fence := "akresp contain " + id + " --trusted-from-audit (or --allow-ip CIDR)"
	switch {
	case st.ACLEnforced && st.OwnerType == OwnerRAMUser && !st.DenyPolicy.Attached:
		return []string{"attach the deny-high-risk policy (the network ACL in effect stays): akresp contain " + id}
	case !st.ACLEnforced && st.DenyPolicy.Attached:
		return []string{"fence public sources in: " + fence}
	case !st.ACLEnforced:
		return []string{"contain the key: " + fence}
	}
	return nil
}
