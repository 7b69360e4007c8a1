package respond

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/journal"
)

// Commands of eradicate in the journal.
const (
	CmdEradicate     = "eradicate"
	CmdEradicateUndo = "eradicate-undo"
)

// DefaultEradicateObserve is how long eradicate keeps the attacker's AccessKeys
// disabled (and instances stopped) before a re-run deletes (releases) them.
const DefaultEradicateObserve = 24 * time.Hour

// EventRef is one event of the incident: the key's own, or of a key or
// user the attacker created.
type EventRef struct {
	ID          string            `json:"event_id,omitempty"`
	Time        time.Time         `json:"time"`
	Name        string            `json:"name"`
	Service     string            `json:"service"`
	Region      string            `json:"region,omitempty"`
	SourceIP    string            `json:"source_ip"`
	AccessKeyID string            `json:"access_key_id,omitempty"`
	ErrorCode   string            `json:"error_code,omitempty"`
	Params      map[string]string `json:"-"`
	Response    map[string]any    `json:"-"`
}

func (e EventRef) String() string {
	return fmt.Sprintf("%s %s from %s at %s", e.Service, e.Name, e.SourceIP, e.Time.UTC().Format(time.RFC3339))
}

// EradicateEvidence is what the incident says the attacker did: the
// flagged sources (incident record and audit) and the events of the key
// and of the identities it created, to a fixpoint.
type EradicateEvidence struct {
	Flagged []netip.Addr
	Events  []EventRef
	Onset   time.Time
}

func (ev *EradicateEvidence) flagged(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && slices.Contains(ev.Flagged, a.Unmap())
}

// Unrecoverable is a change akresp cannot revert, with the event that did it.
type Unrecoverable struct {
	What  string   `json:"what"`
	Event EventRef `json:"event"`
}

// ByHand is something the attacker created that akresp does not remove
// itself (a database, a bucket, an SMS signature, a virtual MFA device
// never bound, ...), with the event that created it and where to remove
// it, so that nothing the evidence names is silently left behind.
type ByHand struct {
	What  string   `json:"what"`
	Where string   `json:"where"`
	Event EventRef `json:"event"`
}

// EradicateOptions configure PlanEradicate.
type EradicateOptions struct {
	KeyID    string
	Evidence *EradicateEvidence
	// Observe is how long keys stay disabled and instances stopped before
	// deletion (default DefaultEradicateObserve); Release also releases instances
	// stopped at least Observe ago.
	Observe  time.Duration
	Release  bool
	StateDir string
	Now      func() time.Time
}

// PlanEradicate builds the plan that removes the attacker's foothold.
func PlanEradicate(ctx context.Context, c EradicateCloud, o EradicateOptions) (*Plan, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Observe <= 0 {
		o.Observe = DefaultEradicateObserve
	}
	ev := o.Evidence
	if ev == nil {
		ev = &EradicateEvidence{}
	}
	ident, err := c.GetCallerIdentity(ctx)
	if err != nil {
		return nil, fmt.Errorf("eradicate %s: who am I (sts:GetCallerIdentity): %w", o.KeyID, err)
	}
	// Eradicate does not look the key's owner up: its identity_type is unknown.
	p := &Plan{Command: CmdEradicate, Key: KeyInfo{AccessKeyID: o.KeyID, OwnerType: "unknown"},
		Operator:   OperatorInfo{AccountID: ident.AccountID, Arn: ident.Arn, IdentityType: cloud.IdentityTypeName(ident.IdentityType), Endpoint: c.Endpoint()},
		ObservedAt: o.Now().UTC().Truncate(time.Second)}
	if len(ev.Flagged) == 0 {
		p.Notes = append(p.Notes, "no source is flagged as the attacker (run akresp audit or contain first): nothing is attributed to an attacker")
	}
	p.observe = o.Observe
	if o.Observe != DefaultEradicateObserve {
		p.observeFlag = " --observe " + o.Observe.String()
	}
	var recs []journal.Record
	if o.StateDir != "" {
		recs, _, _ = journal.ReadKey(o.StateDir, o.KeyID)
	}
	f := collectFootprint(ev)
	p.Kept = f.kept
	p.Unrecoverable = f.unrecoverable
	p.ByHand = f.byHand
	p.ByHandOmitted = f.byHandOmitted

	// ---- RAM users the attacker created ----
	var disabled map[string]time.Time // when akresp disabled each key, every journal read once
	if o.StateDir != "" && len(f.createdUsers) > 0 {
		disabled = incident.DisabledTimes(o.StateDir)
	}
	for _, u := range f.createdUsers {
		acts, notes, until, observed, err := planCreatedUser(ctx, c, u, recs, disabled, o)
		if err != nil {
			return nil, fmt.Errorf("eradicate %s: user %s: %w", o.KeyID, u, err)
		}
		for _, k := range observed {
			p.observed = append(p.observed, observation{ObservedDisabledNote, k})
		}
		p.disablesNow = p.disablesNow || slices.ContainsFunc(acts, func(a *Action) bool { return a.Kind == KindKeyStatus && !a.Noop })
		for _, a := range acts {
			a.Evidence = slices.Clone(f.userEvents[u])
			p.Actions = append(p.Actions, a)
		}
		if len(acts) > 0 && !slices.ContainsFunc(acts, func(a *Action) bool { return a.ID == "delete-user:"+u }) {
			p.usersAwaiting++
			if until.After(p.awaitUntil) {
				p.awaitUntil = until
			}
		}
		p.Notes = append(p.Notes, notes...)
	}
	// ---- RAM roles and policies the attacker created ----
	for _, r := range f.roles {
		acts, notes, err := planCreatedRole(ctx, c, r.name, []string{eventID(r.event)})
		if err != nil {
			return nil, fmt.Errorf("eradicate %s: role %s: %w", o.KeyID, r.name, err)
		}
		for _, a := range acts {
			addAction(p, a, r.event)
		}
		p.Notes = append(p.Notes, notes...)
	}
	for _, pol := range f.policies {
		acts, notes, err := planCreatedPolicy(ctx, c, pol.name)
		if err != nil {
			return nil, fmt.Errorf("eradicate %s: policy %s: %w", o.KeyID, pol.name, err)
		}
		for _, a := range acts {
			addAction(p, a, pol.event)
		}
		p.Notes = append(p.Notes, notes...)
	}
	// ---- changes to users the attacker did not create ----
	for _, m := range f.modified {
		a, note, err := m.plan(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("eradicate %s: %s: %w", o.KeyID, m.what, err)
		}
		if note != "" {
			p.Notes = append(p.Notes, note)
		}
		if a != nil {
			addAction(p, a, m.event)
		}
	}
	// ---- ECS instances ----
	for _, in := range f.instances {
		cur, err := observeInstance(ctx, c, in.region, in.id)
		if err != nil {
			return nil, fmt.Errorf("eradicate %s: instance %s: %w", o.KeyID, in.id, err)
		}
		var since time.Time
		if cur.Status == "Stopped" {
			since = stoppedSince(recs, in.id)
			if since.IsZero() {
				// Stopped outside akresp: the journal cannot say since
				// when, so the observation period starts when akresp
				// first saw it stopped (Execute journals it). Without
				// that, --release would wait for it without end.
				p.observed = append(p.observed, observation{ObservedStoppedNote, in.id})
			}
		}
		// due: stopped for the whole observation period (--release
		// releases it now).
		stopped := cur.Status == "Stopped"
		due := stopped && !since.IsZero() && o.Now().Sub(since) >= o.Observe
		switch {
		case cur.Status == InstanceReleased:
			p.Notes = append(p.Notes, fmt.Sprintf("instance %s (%s) is already released", in.id, in.region))
		case o.Release && due:
			addAction(p, planReleaseInstance(c, cur), in.event)
		case o.Release && stopped:
			// Still observed: not released yet, but still the attacker's
			// and still billed (its disks), so it stays in p.Instances
			// (EradicateCost).
			addAction(p, planStopInstance(c, cur), in.event) // no-op: already stopped
			p.Notes = append(p.Notes, fmt.Sprintf("instance %s: released after it has been stopped for %s (%s)", in.id, o.Observe, stoppedWaitText(since, o.Observe, o.Now())))
		default:
			addAction(p, planStopInstance(c, cur), in.event)
			if stopped && since.IsZero() {
				p.Notes = append(p.Notes, fmt.Sprintf("instance %s was stopped outside akresp: its %s observation period before --release releases it starts with this run", in.id, o.Observe))
			}
		}
		p.Instances = append(p.Instances, PlanInstance{ID: in.id, Region: in.region, Type: cur.Type, Status: cur.Status, Created: in.event.Time, Event: in.event, StoppedSince: since})
		if cur.Status != InstanceReleased && !(o.Release && due) {
			// Released by a later run (--release, once stopped for
			// --observe): when, for the next steps.
			p.instancesAwaiting++
			switch {
			case !stopped:
				p.stopsNow = true // stopped by this run
			case since.IsZero():
				p.releaseAt = later(p.releaseAt, o.Now().Add(o.Observe)) // observed from this run
			default:
				p.releaseAt = later(p.releaseAt, since.Add(o.Observe))
			}
		}
	}
	// ---- security-group rules ----
	for _, r := range f.rules {
		res := &sgRuleResource{c: c, group: r.group, region: r.region, rule: r.rule}
		cur, err := res.observe(ctx)
		if err != nil {
			return nil, fmt.Errorf("eradicate %s: security group %s: %w", o.KeyID, r.group, err)
		}
		addAction(p, planRevokeRule(c, cur.(sgRuleState)), r.event)
	}
	// ---- SSH key pairs and Cloud Assistant commands ----
	for _, k := range f.keyPairs {
		a, err := planDeleteKeyPair(ctx, c, k.region, k.name)
		if err != nil {
			return nil, fmt.Errorf("eradicate %s: key pair %s: %w", o.KeyID, k.name, err)
		}
		if a == nil {
			p.Notes = append(p.Notes, fmt.Sprintf("key pair %s (%s, imported by the attacker) no longer exists", k.name, k.region))
			continue
		}
		addAction(p, a, k.event)
	}
	for _, cmd := range f.commands {
		a, err := planDeleteCommand(ctx, c, cmd.region, cmd.name, cmd.label)
		if err != nil {
			return nil, fmt.Errorf("eradicate %s: Cloud Assistant command %s: %w", o.KeyID, cmd.name, err)
		}
		if a == nil {
			p.Notes = append(p.Notes, fmt.Sprintf("Cloud Assistant command %s (%s, created by the attacker) no longer exists", cmd.name, cmd.region))
			continue
		}
		addAction(p, a, cmd.event)
	}
	if len(ev.Flagged) > 0 {
		pe := &PlanEvidence{FlaggedIPs: []string{}, SuggestedTrusted: []string{}}
		for _, a := range ev.Flagged {
			pe.FlaggedIPs = append(pe.FlaggedIPs, a.String())
		}
		if !ev.Onset.IsZero() {
			pe.Onset = ev.Onset.UTC().Format(time.RFC3339)
		}
		p.Evidence = pe
	}
	p.seal()
	return p, nil
}

// planCreatedUser removes a user the attacker created: console login,
// policies, groups, keys disabled; after the observation period the keys
// and then the user are deleted.
//
// until is when the last of the user's keys will have been disabled for
// --observe (a key disabled by this plan, or found disabled by someone
// else with no earlier sighting journaled: from now); observed are the
// keys of that second kind, for Execute to journal (ObservedDisabledNote).
func planCreatedUser(ctx context.Context, c EradicateCloud, user string, recs []journal.Record, disabled map[string]time.Time, o EradicateOptions) (acts []*Action, notes []string, until time.Time, observed []string, err error) {
	if _, err := c.GetUser(ctx, user); err != nil {
		if errors.Is(err, cloud.ErrNotFound) {
			return nil, []string{"user " + user + " (created by the attacker) no longer exists"}, time.Time{}, nil, nil
		}
		return nil, nil, time.Time{}, nil, err
	}
	login, err := planDeleteLogin(ctx, c, user)
	if err != nil {
		return nil, nil, time.Time{}, nil, err
	}
	acts = append(acts, login)
	pols, err := c.ListPoliciesForUser(ctx, user)
	if err != nil {
		return nil, nil, time.Time{}, nil, err
	}
	for _, pol := range pols {
		acts = append(acts, planDetachPolicy(c, user, pol.PolicyType, pol.PolicyName, true))
	}
	groups, err := c.ListGroupsForUser(ctx, user)
	if err != nil {
		return nil, nil, time.Time{}, nil, err
	}
	for _, g := range groups {
		acts = append(acts, planRemoveFromGroup(c, user, g.GroupName, true))
	}
	// Every MFA device on a user the attacker created is the attacker's.
	if m, err := planRemoveMFA(ctx, c, user, ""); err != nil {
		return nil, nil, time.Time{}, nil, err
	} else if m != nil {
		acts = append(acts, m)
	}
	keys, err := c.ListAccessKeys(ctx, user)
	if err != nil {
		return nil, nil, time.Time{}, nil, err
	}
	allDeleted := true
	var deps []string
	for _, a := range acts {
		deps = append(deps, a.ID)
	}
	for _, k := range keys {
		cur := keyState{KeyID: k.AccessKeyID, User: user, Status: k.Status}
		if strings.EqualFold(k.Status, "Active") {
			a := newAction("disable-key:"+k.AccessKeyID, &keyResource{c: c, keyID: k.AccessKeyID, user: user}, cur,
				keyState{KeyID: k.AccessKeyID, User: user, Status: "Inactive"}, "disable AccessKey "+k.AccessKeyID+" of "+user)
			acts = append(acts, a)
			allDeleted = false
			notes = append(notes, fmt.Sprintf("AccessKey %s of %s: deleted by a re-run once it has been disabled for %s", k.AccessKeyID, user, o.Observe))
			until = later(until, o.Now().Add(o.Observe))
			continue
		}
		since := journaledAt(recs, KindKeyStatus, k.AccessKeyID, `"Inactive"`)
		if disabled != nil {
			// Disabled by its own `akresp disable` (its journal) or another
			// run of the incident: every journal of the state directory,
			// only while that disable is in effect (not enabled since).
			since = disabled[k.AccessKeyID]
		}
		if since.IsZero() {
			// Disabled outside akresp (the owner, the console, Alibaba
			// Cloud's own leak response): observed from when an eradicate
			// run first found it disabled, which Execute journals.
			since = observedSince(recs, ObservedDisabledNote, k.AccessKeyID, journaledAt(recs, KindKeyStatus, k.AccessKeyID, `"Active"`))
			if since.IsZero() {
				observed = append(observed, k.AccessKeyID)
			}
		}
		if since.IsZero() || o.Now().Sub(since) < o.Observe {
			acts = append(acts, newAction("disable-key:"+k.AccessKeyID, &keyResource{c: c, keyID: k.AccessKeyID, user: user}, cur, cur,
				"disable AccessKey "+k.AccessKeyID+" of "+user))
			allDeleted = false
			wait := waitText(since, o.Observe, o.Now())
			if since.IsZero() {
				wait = fmt.Sprintf("after %s (in %s): it was disabled outside akresp, so the period starts now", o.Now().Add(o.Observe).UTC().Truncate(time.Second).Format(time.RFC3339), o.Observe)
				since = o.Now()
			}
			notes = append(notes, fmt.Sprintf("AccessKey %s of %s is disabled; delete it (and then the user) with a re-run %s", k.AccessKeyID, user, wait))
			until = later(until, since.Add(o.Observe))
			continue
		}
		a := newAction("delete-key:"+k.AccessKeyID, &keyResource{c: c, del: c, keyID: k.AccessKeyID, user: user, delete: true}, cur,
			keyState{KeyID: k.AccessKeyID, User: user, Status: StatusDeleted}, "delete AccessKey "+k.AccessKeyID+" of "+user)
		acts = append(acts, a)
		deps = append(deps, a.ID)
	}
	if allDeleted {
		del := planDeleteUser(c, user)
		del.DependsOn = deps
		acts = append(acts, del)
	}
	return acts, notes, until, observed, nil
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// eventID names an event in evidence records: its ID, else its name and
// time.
func eventID(e EventRef) string {
	if e.ID != "" {
		return e.ID
	}
	return e.Name + "@" + e.Time.UTC().Format(time.RFC3339)
}

// addAction adds a to the plan with the events that called for it; an
// action already planned (the same detach called for by a created role
// and a created policy) gains the events instead.
func addAction(p *Plan, a *Action, evs ...EventRef) *Action {
	if have := p.Action(a.ID); have != nil {
		a = have
	} else {
		p.Actions = append(p.Actions, a)
	}
	for _, e := range evs {
		if id := eventID(e); !slices.Contains(a.Evidence, id) {
			a.Evidence = append(a.Evidence, id)
		}
	}
	return a
}

// journaledAt is when an ok outcome of kind on target last set a state
// whose JSON contains want (zero when the journal has none).
func journaledAt(recs []journal.Record, kind, target, want string) (at time.Time) {
	for _, r := range recs {
		if r.Kind == journal.KindOutcome && r.Result == journal.ResultOK && r.Action == kind && r.Target == target && strings.Contains(string(r.After), want) && r.Time.After(at) {
			at = r.Time
		}
	}
	return at
}

// ObservedStoppedNote and ObservedDisabledNote are the journal's Action of
// the record eradicate writes when it first finds one of the attacker's
// instances stopped, or a key of a user the attacker created disabled, by
// someone else (Target the instance or key): --release and the deletion of
// the user count the observation period from it, as from akresp's own
// stop or disable.
const (
	ObservedStoppedNote  = "observed-stopped"
	ObservedDisabledNote = "observed-disabled"
)

// observation is what Execute journals for a plan: note (one of the
// Observed*Note) about target.
type observation struct{ note, target string }

// stoppedSince is when the instance's observation period started: when
// akresp last stopped it (unless it started it again since), else when an
// eradicate run first found it stopped by someone else (after akresp last
// started it, if it did); zero when the journal says neither.
func stoppedSince(recs []journal.Record, id string) time.Time {
	stopped := journaledAt(recs, KindInstanceState, id, `"Stopped"`)
	started := journaledAt(recs, KindInstanceState, id, `"Running"`)
	if stopped.After(started) {
		return stopped
	}
	// Never stopped by akresp, or started again since (eradicate --undo):
	// someone else stopped it.
	return observedSince(recs, ObservedStoppedNote, id, started)
}

// observedSince is the first record (note) of target after after: when
// an eradicate run first saw it stopped or disabled by someone else.
func observedSince(recs []journal.Record, note, target string, after time.Time) time.Time {
	var seen time.Time
	for _, r := range recs {
		if r.Kind == journal.KindNote && r.Action == note && r.Target == target && r.Time.After(after) && (seen.IsZero() || r.Time.Before(seen)) {
			seen = r.Time
		}
	}
	return seen
}

// stoppedWaitText is waitText for an instance: one stopped outside akresp
// is observed from this run on.
func stoppedWaitText(since time.Time, observe time.Duration, now time.Time) string {
	if since.IsZero() {
		return fmt.Sprintf("after %s (in %s): it was stopped outside akresp, so the period starts now", now.Add(observe).UTC().Truncate(time.Second).Format(time.RFC3339), observe)
	}
	return waitText(since, observe, now)
}

func waitText(since time.Time, observe time.Duration, now time.Time) string {
	if since.IsZero() {
		return fmt.Sprintf("after the %s observation period (akresp's journal has no record of when it was stopped or disabled)", observe)
	}
	left := since.Add(observe).Sub(now)
	if left <= 0 {
		return "now"
	}
	return "after " + since.Add(observe).UTC().Format(time.RFC3339) + " (in " + left.Round(time.Minute).String() + ")"
}

// PlanInstance is an instance the attacker created, for the plan and the
// cost.
type PlanInstance struct {
	ID      string    `json:"instance_id"`
	Region  string    `json:"region"`
	Type    string    `json:"instance_type,omitempty"`
	Status  string    `json:"status"`
	Created time.Time `json:"created"`
	Event   EventRef  `json:"event"`
	// StoppedSince is when akresp stopped the instance (its journal);
	// zero when it is not stopped or no journal says so. --release
	// releases it once it has been stopped for --observe.
	StoppedSince time.Time `json:"stopped_since,omitzero"`
}

// ---- the footprint: what the attacker's events changed ----

type instanceRef struct {
	id, region string
	event      EventRef
}

type ruleRef struct {
	group, region string
	rule          cloud.SecurityGroupRule
	event         EventRef
}

type modification struct {
	what  string
	event EventRef
	// plan observes the resource and returns the action that reverts the
	// change, or a note where there is nothing (left) to do or akresp
	// leaves it to a person.
	plan func(ctx context.Context, c EradicateCloud) (*Action, string, error)
}

// createdRef is a resource the attacker created (role, policy, key pair,
// Cloud Assistant command), with the event that did.
type createdRef struct {
	name, region, label string
	event               EventRef
}

type footprint struct {
	createdUsers []string
	// userEvents are the IDs of the attacker's events on each user.
	userEvents    map[string][]string
	modified      []modification
	instances     []instanceRef
	rules         []ruleRef
	roles         []createdRef
	policies      []createdRef
	keyPairs      []createdRef
	commands      []createdRef
	kept          []string
	unrecoverable []Unrecoverable
	byHand        []ByHand
	byHandOmitted int
}

// maxByHand bounds the by-hand list (an attacker's PutObject per file
// would make it endless); the rest is counted in Plan.ByHandOmitted.
const maxByHand = 100

// collectFootprint reads the attacker's successful writes (from flagged
// sources) and what legitimate sources also touched.
func collectFootprint(ev *EradicateEvidence) footprint {
	var f footprint
	evs := slices.Clone(ev.Events)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	// Legitimate (non-flagged) writes with their time: only a legitimate
	// write at or after the attacker's keeps what the attacker did (the
	// office created a user last month: the attacker's key and policy on
	// it still go). legit holds users, legitW the newer kinds (roles,
	// policies, key pairs, commands, bandwidth).
	type legitWrite struct {
		at time.Time
		by string
	}
	legit := map[string][]legitWrite{}
	for _, e := range evs {
		if e.ErrorCode != "" || ev.flagged(e.SourceIP) || isRead(e.Name) {
			continue
		}
		for _, r := range touched(e) {
			legit[r] = append(legit[r], legitWrite{e.Time, e.SourceIP + " (" + e.Name + ")"})
		}
	}
	legitW := map[string][]legitWrite{}
	for _, e := range evs {
		if e.ErrorCode != "" || ev.flagged(e.SourceIP) || isRead(e.Name) {
			continue
		}
		for _, r := range touchedFootholds(e) {
			legitW[r] = append(legitW[r], legitWrite{e.Time, e.SourceIP + " (" + e.Name + ")"})
		}
	}
	keepAfter := func(res, what string, t time.Time) bool {
		for _, w := range legitW[res] {
			if !w.at.Before(t) {
				f.kept = append(f.kept, fmt.Sprintf("kept: %s also changed by %s after the attacker", what, w.by))
				return true
			}
		}
		return false
	}
	f.userEvents = map[string][]string{}
	created := map[string]bool{}
	createdRole := map[string]bool{}
	createdPolicy := map[string]bool{}
	seenInst := map[string]bool{}
	seenMod := map[string]bool{}
	attackerVersions := map[string]map[string]bool{} // policy -> versions the attacker created
	var mfaCreated []string                          // virtual MFA devices the attacker created, by serial
	mfaEvent := map[string]EventRef{}
	mfaBound := map[string]bool{}
	// Two passes: what the attacker created first, then what it changed,
	// so that a change in the same second as the creation (ActionTrail
	// times are in seconds) is still seen as a change to its own resource.
	creation := func(name string) bool { return name == "CreateUser" || name == "CreateRole" || name == "CreatePolicy" }
	for pass := 0; pass < 2; pass++ {
		for _, e := range evs {
			if e.ErrorCode != "" || !ev.flagged(e.SourceIP) || isRead(e.Name) {
				continue
			}
			p := e.Params
			if u := p["UserName"]; u != "" && pass == 0 {
				f.userEvents[u] = append(f.userEvents[u], eventID(e))
			}
			if creation(e.Name) != (pass == 0) {
				continue
			}
			region := e.Region
			if r := p["RegionId"]; r != "" {
				region = r
			}
			keep := func(res, what string) bool {
				for _, w := range legit[res] {
					if !w.at.Before(e.Time) {
						f.kept = append(f.kept, fmt.Sprintf("kept: %s also used by %s", what, w.by))
						return true
					}
				}
				return false
			}
			switch e.Name {
			case "CreateUser":
				u := p["UserName"]
				if u != "" && !created[u] && !keep("user:"+u, "user "+u) {
					created[u] = true
					f.createdUsers = append(f.createdUsers, u)
				}
			case "CreateAccessKey":
				u := p["UserName"]
				id := nestedString(e.Response, "AccessKey", "AccessKeyId")
				if u == "" || created[u] || id == "" || keep("user:"+u, "AccessKey "+id+" of "+u) {
					continue
				}
				m := modification{what: "AccessKey " + id + " created for existing user " + u, event: e}
				m.plan = func(ctx context.Context, c EradicateCloud) (*Action, string, error) {
					r := &keyResource{c: c, keyID: id, user: u}
					cur, err := r.observe(ctx)
					if err != nil {
						return nil, "", err
					}
					if cur.(keyState).Status == StatusDeleted {
						return nil, "", nil
					}
					return newAction("disable-key:"+id, r, cur, keyState{KeyID: id, User: u, Status: "Inactive"}, "disable AccessKey "+id+" the attacker created for "+u), "", nil
				}
				f.modified = append(f.modified, m)
			case "CreateLoginProfile":
				u := p["UserName"]
				if u == "" || created[u] || keep("user:"+u, "console login of "+u) {
					continue
				}
				f.modified = append(f.modified, modification{what: "console login created for " + u, event: e,
					plan: func(ctx context.Context, c EradicateCloud) (*Action, string, error) {
						a, err := planDeleteLogin(ctx, c, u)
						return a, "", err
					}})
			case "UpdateLoginProfile":
				u := p["UserName"]
				if u != "" && !created[u] {
					f.unrecoverable = append(f.unrecoverable, Unrecoverable{What: "console password of " + u + " was changed: reset it by hand (the old one cannot be restored)", Event: e})
				}
			case "AttachPolicyToUser":
				u, pol, typ := p["UserName"], p["PolicyName"], p["PolicyType"]
				if u == "" || created[u] || pol == "" || keep("user:"+u, "policy "+pol+" on "+u) {
					continue
				}
				f.modified = append(f.modified, modification{what: pol + " attached to " + u, event: e,
					plan: func(ctx context.Context, c EradicateCloud) (*Action, string, error) {
						r := &userPolicyResource{c: c, user: u, ptype: typ, pname: pol}
						cur, err := r.observe(ctx)
						if err != nil {
							return nil, "", err
						}
						return planDetachPolicy(c, u, typ, pol, cur.(userPolicyState).Attached), "", nil
					}})
			case "AddUserToGroup":
				u, g := p["UserName"], p["GroupName"]
				if u == "" || created[u] || g == "" || keep("user:"+u, u+" in group "+g) {
					continue
				}
				f.modified = append(f.modified, modification{what: u + " added to " + g, event: e,
					plan: func(ctx context.Context, c EradicateCloud) (*Action, string, error) {
						r := &groupResource{c: c, user: u, group: g}
						cur, err := r.observe(ctx)
						if err != nil {
							return nil, "", err
						}
						return planRemoveFromGroup(c, u, g, cur.(groupState).Member), "", nil
					}})
			case "UnbindMFADevice", "DeleteVirtualMFADevice":
				f.unrecoverable = append(f.unrecoverable, Unrecoverable{What: "MFA device of " + orDash(p["UserName"]) + " was unbound: bind a new one by hand", Event: e})
			case "RunInstances", "CreateInstance", "RunCommand":
				if e.Name == "RunCommand" {
					continue
				}
				region := e.Region
				if r := p["RegionId"]; r != "" {
					region = r
				}
				for _, id := range createdInstances(e) {
					if seenInst[id] || keep("instance:"+id, "instance "+id) {
						continue
					}
					seenInst[id] = true
					f.instances = append(f.instances, instanceRef{id: id, region: region, event: e})
				}
			case "AuthorizeSecurityGroup":
				g := p["SecurityGroupId"]
				region := e.Region
				if r := p["RegionId"]; r != "" {
					region = r
				}
				rule := cloud.SecurityGroupRule{IPProtocol: strings.ToLower(p["IpProtocol"]), PortRange: p["PortRange"], SourceCidrIP: p["SourceCidrIp"],
					Policy: strings.ToLower(p["Policy"]), NicType: p["NicType"]}
				if g == "" || rule.PortRange == "" || keep("rule:"+g+":"+rule.IPProtocol+":"+rule.PortRange+":"+rule.SourceCidrIP, "rule "+rule.PortRange+" on "+g) {
					continue
				}
				f.rules = append(f.rules, ruleRef{group: g, region: region, rule: rule, event: e})
			case "CreateRole":
				r := p["RoleName"]
				if r != "" && !createdRole[r] && !keepAfter("role:"+r, "role "+r, e.Time) {
					createdRole[r] = true
					f.roles = append(f.roles, createdRef{name: r, event: e})
				}
			case "UpdateRole":
				r, doc := p["RoleName"], p["NewAssumeRolePolicyDocument"]
				if r == "" || doc == "" || createdRole[r] || seenMod["trust:"+r] || keepAfter("role:"+r, "trust policy of role "+r, e.Time) {
					continue
				}
				seenMod["trust:"+r] = true
				prev, ok := previousTrust(evs, ev, r, e.Time)
				if !ok {
					f.unrecoverable = append(f.unrecoverable, Unrecoverable{What: "trust policy of role " + r + " was changed (now trusts " + trustPrincipals(doc) + "); the document before is not in the evidence: review the role by hand", Event: e})
					continue
				}
				f.modified = append(f.modified, modification{what: "trust policy of role " + r + " changed", event: e,
					plan: func(ctx context.Context, c EradicateCloud) (*Action, string, error) {
						a, err := planRevertTrust(ctx, c, r, prev)
						if errors.Is(err, cloud.ErrNotFound) {
							return nil, "role " + r + " no longer exists: its trust policy needs no revert", nil
						}
						return a, "", err
					}})
			case "AttachPolicyToRole":
				r, pol, typ := p["RoleName"], p["PolicyName"], p["PolicyType"]
				if r == "" || pol == "" || createdRole[r] || keepAfter("role:"+r, "policy "+pol+" on role "+r, e.Time) {
					continue
				}
				f.modified = append(f.modified, modification{what: pol + " attached to role " + r, event: e,
					plan: func(ctx context.Context, c EradicateCloud) (*Action, string, error) {
						res := &principalPolicyResource{c: c, key: principalPolicyState{PrincipalType: "Role", Principal: r, PolicyType: typ, Policy: pol}}
						cur, err := res.observe(ctx)
						if err != nil {
							return nil, "", err
						}
						return planDetachPrincipalPolicy(c, "Role", r, typ, pol, cur.(principalPolicyState).Attached), "", nil
					}})
			case "CreatePolicy":
				n := p["PolicyName"]
				if n != "" && !createdPolicy[n] && !keepAfter("policy:"+n, "policy "+n, e.Time) {
					createdPolicy[n] = true
					f.policies = append(f.policies, createdRef{name: n, event: e})
				}
			case "CreatePolicyVersion", "SetDefaultPolicyVersion":
				n := p["PolicyName"]
				v := p["VersionId"]
				if e.Name == "CreatePolicyVersion" {
					v = nestedString(e.Response, "PolicyVersion", "VersionId")
					if v != "" {
						if attackerVersions[n] == nil {
							attackerVersions[n] = map[string]bool{}
						}
						attackerVersions[n][v] = true
					}
					if !strings.EqualFold(p["SetAsDefault"], "true") {
						continue
					}
				}
				if n == "" || v == "" || createdPolicy[n] || seenMod["default:"+n] || keepAfter("policy:"+n, "default version of policy "+n, e.Time) {
					continue
				}
				seenMod["default:"+n] = true
				prev := previousDefault(evs, ev, n, e.Time)
				versions := attackerVersions[n]
				f.modified = append(f.modified, modification{what: "default version of policy " + n + " set to " + v, event: e,
					plan: func(ctx context.Context, c EradicateCloud) (*Action, string, error) {
						return planRevertDefault(ctx, c, n, v, prev, versions)
					}})
			case "CreateVirtualMFADevice":
				if serial := responseString(e.Response, "VirtualMFADevice", "SerialNumber"); serial != "" {
					mfaCreated = append(mfaCreated, serial)
					mfaEvent[serial] = e
				}
			case "BindMFADevice":
				mfaBound[p["SerialNumber"]] = true
				u, serial := p["UserName"], p["SerialNumber"]
				if u == "" || created[u] || seenMod["mfa:"+u] || keepAfter("mfa:"+u, "MFA device of "+u, e.Time) {
					continue
				}
				seenMod["mfa:"+u] = true
				f.modified = append(f.modified, modification{what: "MFA device " + serial + " bound to " + u, event: e,
					plan: func(ctx context.Context, c EradicateCloud) (*Action, string, error) {
						a, err := planRemoveMFA(ctx, c, u, serial)
						if a != nil && a.Noop {
							return nil, "", err
						}
						return a, "", err
					}})
			case "ImportKeyPair", "CreateKeyPair":
				n := p["KeyPairName"]
				if n != "" && !seenMod["kp:"+region+"/"+n] && !keepAfter("keypair:"+region+"/"+n, "key pair "+n, e.Time) {
					seenMod["kp:"+region+"/"+n] = true
					f.keyPairs = append(f.keyPairs, createdRef{name: n, region: region, event: e})
				}
			case "CreateCommand":
				id, _ := e.Response["CommandId"].(string)
				if id != "" && !seenMod["cmd:"+id] && !keepAfter("command:"+id, "Cloud Assistant command "+id, e.Time) {
					seenMod["cmd:"+id] = true
					f.commands = append(f.commands, createdRef{name: id, region: region, label: p["Name"], event: e})
				}
			case "ModifyInstanceNetworkSpec":
				id, raw := p["InstanceId"], p["InternetMaxBandwidthOut"]
				raised, err := strconv.Atoi(raw)
				if id == "" || err != nil || seenInst[id] || seenMod["bw:"+id] || keepAfter("bandwidth:"+id, "bandwidth of instance "+id, e.Time) {
					continue // an instance the attacker created is stopped instead
				}
				seenMod["bw:"+id] = true
				prev := previousBandwidth(evs, ev, id, e.Time)
				f.modified = append(f.modified, modification{what: "bandwidth of instance " + id + " raised to " + raw + " Mbit/s", event: e,
					plan: func(ctx context.Context, c EradicateCloud) (*Action, string, error) {
						return planRevertBandwidth(ctx, c, region, id, raised, prev)
					}})
			case "DeleteInstance", "DeleteInstances":
				for _, id := range paramInstanceIDs(p) {
					f.unrecoverable = append(f.unrecoverable, Unrecoverable{What: "instance " + id + " was released (its disks too, unless snapshots exist)", Event: e})
				}
			case "DeleteSnapshot":
				f.unrecoverable = append(f.unrecoverable, Unrecoverable{What: "snapshot " + orDash(p["SnapshotId"]) + " was deleted", Event: e})
			case "DeleteTrail":
				f.unrecoverable = append(f.unrecoverable, Unrecoverable{What: "trail " + orDash(p["Name"]) + " was deleted: its delivery gap cannot be filled", Event: e})
			case "StopLogging":
				f.unrecoverable = append(f.unrecoverable, Unrecoverable{What: "logging of trail " + orDash(p["Name"]) + " was stopped: events of that gap are lost", Event: e})
			default:
				if bh, ok := byHandStep(e); ok && !seenMod["byhand:"+bh.What] {
					seenMod["byhand:"+bh.What] = true
					if len(f.byHand) >= maxByHand {
						f.byHandOmitted++
						continue
					}
					f.byHand = append(f.byHand, bh)
				}
			}
		}
	}
	for _, serial := range mfaCreated {
		if !mfaBound[serial] {
			f.byHand = append(f.byHand, ByHand{What: "virtual MFA device " + serial + " created and never bound",
				Where: "RAM console > Identities > MFA devices, or DeleteVirtualMFADevice SerialNumber=" + serial, Event: mfaEvent[serial]})
		}
	}
	return f
}

// byHandStep names a successful creating write of a service or resource
// type eradicate does not remove itself (RDS, OSS, SMS and any other
// Create/Run/Allocate/Purchase/Buy/Put/Add call outside RAM, STS and
// ActionTrail), with the console to remove it in. Calls eradicate plans
// for never reach it (their names have their own case).
func byHandStep(e EventRef) (ByHand, bool) {
	switch e.Service {
	case "Ram", "Ims", "Sts", "Actiontrail":
		return ByHand{}, false
	}
	creates := false
	for _, pre := range []string{"Create", "Run", "Allocate", "Purchase", "Buy", "Put", "Add", "Import", "Copy", "Clone"} {
		if strings.HasPrefix(e.Name, pre) {
			creates = true
			break
		}
	}
	if !creates {
		return ByHand{}, false
	}
	ids := identifying(e)
	what := e.Service + " " + e.Name
	if ids != "" {
		what += " " + ids
	}
	if e.Region != "" {
		what += " in " + e.Region
	}
	where := e.Service + " console: review it and delete or release what you did not create"
	switch e.Service {
	case "Rds":
		where = "RDS console > Instances: release the instance (and its backups) once the investigation no longer needs it"
	case "Oss":
		where = "OSS console > Buckets: review the bucket's objects and access policy, then delete what you did not create"
	case "Dysms":
		where = "SMS console (Dysms): delete the signature or template, and review the sending records for fraud"
	case "Ecs":
		where = "ECS console: release the resource (disk, snapshot, image, EIP, ...) once the investigation no longer needs it"
	}
	return ByHand{What: what, Where: where, Event: e}, true
}

// identifying lists the parameters and response fields that name the
// resource (names ending in Id, Name or Code), sorted, at most four.
func identifying(e EventRef) string {
	var parts []string
	add := func(k, v string) {
		if v == "" || len(v) > 128 || k == "RegionId" {
			return
		}
		for _, suf := range []string{"Id", "Name", "Code"} {
			if strings.HasSuffix(k, suf) {
				parts = append(parts, k+"="+v)
				return
			}
		}
	}
	for k, v := range e.Params {
		add(k, v)
	}
	for k, v := range e.Response {
		if str, ok := v.(string); ok && e.Params[k] == "" {
			add(k, str)
		}
	}
	slices.Sort(parts)
	parts = slices.Compact(parts)
	if len(parts) > 4 {
		parts = parts[:4]
	}
	return strings.Join(parts, ", ")
}

// responseString reads response[obj][field] as a string.
func responseString(resp map[string]any, obj, field string) string {
	m, _ := resp[obj].(map[string]any)
	s, _ := m[field].(string)
	return s
}

func isRead(name string) bool {
	for _, p := range []string{"Get", "List", "Describe", "Query", "Lookup", "Check"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// touchedFootholds names the resources of the newer kinds an event
// writes to ("role:NAME", "policy:NAME", "keypair:REGION/NAME",
// "command:ID", "bandwidth:INSTANCE").
func touchedFootholds(e EventRef) []string {
	p := e.Params
	var out []string
	if r := p["RoleName"]; r != "" {
		out = append(out, "role:"+r)
	}
	if n := p["PolicyName"]; n != "" && strings.Contains(e.Name, "Policy") && !strings.Contains(e.Name, "PolicyTo") && !strings.Contains(e.Name, "PolicyFrom") {
		out = append(out, "policy:"+n)
	}
	region := e.Region
	if r := p["RegionId"]; r != "" {
		region = r
	}
	if n := p["KeyPairName"]; n != "" {
		out = append(out, "keypair:"+region+"/"+n)
	}
	if id := p["CommandId"]; id != "" {
		out = append(out, "command:"+id)
	}
	if u := p["UserName"]; u != "" && strings.Contains(e.Name, "MFADevice") {
		out = append(out, "mfa:"+u)
	}
	if e.Name == "ModifyInstanceNetworkSpec" && p["InstanceId"] != "" {
		out = append(out, "bandwidth:"+p["InstanceId"])
	}
	return out
}

// previousTrust is the trust policy a role had before t: the document of
// the last successful CreateRole or UpdateRole of it before t from a
// source that is not the attacker's.
func previousTrust(evs []EventRef, ev *EradicateEvidence, role string, t time.Time) (string, bool) {
	doc, ok := "", false
	for _, e := range evs {
		if !e.Time.Before(t) || e.ErrorCode != "" || ev.flagged(e.SourceIP) || e.Params["RoleName"] != role {
			continue
		}
		switch {
		case e.Name == "CreateRole" && e.Params["AssumeRolePolicyDocument"] != "":
			doc, ok = e.Params["AssumeRolePolicyDocument"], true
		case e.Name == "UpdateRole" && e.Params["NewAssumeRolePolicyDocument"] != "":
			doc, ok = e.Params["NewAssumeRolePolicyDocument"], true
		}
	}
	return doc, ok
}

// previousDefault is the default version a policy had before t per the
// evidence ("" = not in it).
func previousDefault(evs []EventRef, ev *EradicateEvidence, policy string, t time.Time) string {
	v := ""
	for _, e := range evs {
		if !e.Time.Before(t) || e.ErrorCode != "" || ev.flagged(e.SourceIP) || e.Params["PolicyName"] != policy {
			continue
		}
		switch e.Name {
		case "CreatePolicy":
			v = "v1"
		case "SetDefaultPolicyVersion":
			v = e.Params["VersionId"]
		case "CreatePolicyVersion":
			if strings.EqualFold(e.Params["SetAsDefault"], "true") {
				if id := nestedString(e.Response, "PolicyVersion", "VersionId"); id != "" {
					v = id
				}
			}
		}
	}
	return v
}

// previousBandwidth is an instance's outbound bandwidth before t per the
// evidence (-1 = not in it).
func previousBandwidth(evs []EventRef, ev *EradicateEvidence, id string, t time.Time) int {
	bw := -1
	for _, e := range evs {
		if !e.Time.Before(t) || e.ErrorCode != "" || ev.flagged(e.SourceIP) {
			continue
		}
		switch {
		case e.Name == "ModifyInstanceNetworkSpec" && e.Params["InstanceId"] == id,
			slices.Contains(createdInstances(e), id):
			if n, err := strconv.Atoi(e.Params["InternetMaxBandwidthOut"]); err == nil {
				bw = n
			} else if e.Name != "ModifyInstanceNetworkSpec" {
				bw = 0 // RunInstances without it: 0 Mbit/s
			}
		}
	}
	return bw
}

// touched names the resources an event writes to ("user:NAME",
// "instance:ID", "rule:SG:PROTO:PORTS:CIDR").
func touched(e EventRef) []string {
	var out []string
	if u := e.Params["UserName"]; u != "" {
		out = append(out, "user:"+u)
	}
	for _, id := range createdInstances(e) {
		out = append(out, "instance:"+id)
	}
	for _, id := range paramInstanceIDs(e.Params) {
		out = append(out, "instance:"+id)
	}
	if g := e.Params["SecurityGroupId"]; g != "" && e.Params["PortRange"] != "" {
		out = append(out, "rule:"+g+":"+strings.ToLower(e.Params["IpProtocol"])+":"+e.Params["PortRange"]+":"+e.Params["SourceCidrIp"])
	}
	return out
}

func createdInstances(e EventRef) []string {
	if e.Name != "RunInstances" && e.Name != "CreateInstance" {
		return nil
	}
	var ids []string
	if sets, ok := e.Response["InstanceIdSets"].(map[string]any); ok {
		if list, ok := sets["InstanceIdSet"].([]any); ok {
			for _, x := range list {
				if s, ok := x.(string); ok {
					ids = append(ids, s)
				}
			}
		}
	}
	if id, ok := e.Response["InstanceId"].(string); ok {
		ids = append(ids, id)
	}
	return ids
}

func paramInstanceIDs(p map[string]string) []string {
	var ids []string
	for k, v := range p {
		switch {
		case (k == "InstanceId" || k == "InstanceIds") && strings.HasPrefix(v, "["):
			var list []string
			if json.Unmarshal([]byte(v), &list) == nil {
				ids = append(ids, list...)
			}
		case k == "InstanceId" || strings.HasPrefix(k, "InstanceId."):
			ids = append(ids, v)
		}
	}
	sort.Strings(ids)
	return slices.Compact(ids)
}

func nestedString(m map[string]any, path ...string) string {
	var cur any = m
	for _, k := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[k]
	}
	s, _ := cur.(string)
	return s
}

// Eradication states.
const (
	StateEradicated          = "eradicated"
	StatePartiallyEradicated = "partially_eradicated"
)

func eradicateState(checks []Check) string {
	for _, c := range checks {
		if !c.OK {
			return StatePartiallyEradicated
		}
	}
	return StateEradicated
}
