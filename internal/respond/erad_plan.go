package respond

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/cloud"
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
	p := &Plan{Command: CmdEradicate, Key: KeyInfo{AccessKeyID: o.KeyID},
		Operator:   OperatorInfo{AccountID: ident.AccountID, Arn: ident.Arn, IdentityType: ident.IdentityType, Endpoint: c.Endpoint()},
		ObservedAt: o.Now().UTC()}
	if len(ev.Flagged) == 0 {
		p.Notes = append(p.Notes, "no source is flagged as the attacker (run akresp audit or contain first): nothing is attributed to an attacker")
	}
	var recs []journal.Record
	if o.StateDir != "" {
		recs, _, _ = journal.ReadKey(o.StateDir, o.KeyID)
	}
	f := collectFootprint(ev)
	p.Kept = f.kept
	p.Unrecoverable = f.unrecoverable

	// ---- RAM users the attacker created ----
	for _, u := range f.createdUsers {
		acts, notes, err := planCreatedUser(ctx, c, u, recs, o)
		if err != nil {
			return nil, fmt.Errorf("eradicate %s: user %s: %w", o.KeyID, u, err)
		}
		p.Actions = append(p.Actions, acts...)
		p.Notes = append(p.Notes, notes...)
	}
	// ---- changes to users the attacker did not create ----
	for _, m := range f.modified {
		a, err := m.plan(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("eradicate %s: %s: %w", o.KeyID, m.what, err)
		}
		if a != nil {
			p.Actions = append(p.Actions, a)
		}
	}
	// ---- ECS instances ----
	for _, in := range f.instances {
		cur, err := observeInstance(ctx, c, in.region, in.id)
		if err != nil {
			return nil, fmt.Errorf("eradicate %s: instance %s: %w", o.KeyID, in.id, err)
		}
		switch {
		case cur.Status == InstanceReleased:
			p.Notes = append(p.Notes, fmt.Sprintf("instance %s (%s) is already released", in.id, in.region))
		case cur.Status == "Stopped" && o.Release:
			since := journaledAt(recs, KindInstanceState, in.id, `"Stopped"`)
			if since.IsZero() || o.Now().Sub(since) < o.Observe {
				p.Actions = append(p.Actions, planStopInstance(c, cur)) // no-op: already stopped
				p.Notes = append(p.Notes, fmt.Sprintf("instance %s: released after it has been stopped for %s (%s)", in.id, o.Observe, waitText(since, o.Observe, o.Now())))
				continue
			}
			p.Actions = append(p.Actions, planReleaseInstance(c, cur))
		default:
			p.Actions = append(p.Actions, planStopInstance(c, cur))
		}
		p.Instances = append(p.Instances, PlanInstance{ID: in.id, Region: in.region, Type: cur.Type, Status: cur.Status, Created: in.event.Time, Event: in.event})
	}
	// ---- security-group rules ----
	for _, r := range f.rules {
		res := &sgRuleResource{c: c, group: r.group, region: r.region, rule: r.rule}
		cur, err := res.observe(ctx)
		if err != nil {
			return nil, fmt.Errorf("eradicate %s: security group %s: %w", o.KeyID, r.group, err)
		}
		p.Actions = append(p.Actions, planRevokeRule(c, cur.(sgRuleState)))
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
func planCreatedUser(ctx context.Context, c EradicateCloud, user string, recs []journal.Record, o EradicateOptions) ([]*Action, []string, error) {
	if _, err := c.GetUser(ctx, user); err != nil {
		if errors.Is(err, cloud.ErrNotFound) {
			return nil, []string{"user " + user + " (created by the attacker) no longer exists"}, nil
		}
		return nil, nil, err
	}
	var acts []*Action
	var notes []string
	login, err := planDeleteLogin(ctx, c, user)
	if err != nil {
		return nil, nil, err
	}
	acts = append(acts, login)
	pols, err := c.ListPoliciesForUser(ctx, user)
	if err != nil {
		return nil, nil, err
	}
	for _, pol := range pols {
		acts = append(acts, planDetachPolicy(c, user, pol.PolicyType, pol.PolicyName, true))
	}
	groups, err := c.ListGroupsForUser(ctx, user)
	if err != nil {
		return nil, nil, err
	}
	for _, g := range groups {
		acts = append(acts, planRemoveFromGroup(c, user, g.GroupName, true))
	}
	keys, err := c.ListAccessKeys(ctx, user)
	if err != nil {
		return nil, nil, err
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
			continue
		}
		since := journaledAt(recs, KindKeyStatus, k.AccessKeyID, `"Inactive"`)
		if since.IsZero() || o.Now().Sub(since) < o.Observe {
			acts = append(acts, newAction("disable-key:"+k.AccessKeyID, &keyResource{c: c, keyID: k.AccessKeyID, user: user}, cur, cur,
				"disable AccessKey "+k.AccessKeyID+" of "+user))
			allDeleted = false
			notes = append(notes, fmt.Sprintf("AccessKey %s of %s is disabled; delete it (and then the user) with a re-run %s", k.AccessKeyID, user, waitText(since, o.Observe, o.Now())))
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
	return acts, notes, nil
}

// journaledAt is when an ok outcome of kind on target first set a state
// whose JSON contains want (zero when the journal has none).
func journaledAt(recs []journal.Record, kind, target, want string) time.Time {
	for _, r := range recs {
		if r.Kind == journal.KindOutcome && r.Result == journal.ResultOK && r.Action == kind && r.Target == target && strings.Contains(string(r.After), want) {
			return r.Time
		}
	}
	return time.Time{}
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
	plan  func(ctx context.Context, c EradicateCloud) (*Action, error)
}

type footprint struct {
	createdUsers  []string
	modified      []modification
	instances     []instanceRef
	rules         []ruleRef
	kept          []string
	unrecoverable []Unrecoverable
}

// collectFootprint reads the attacker's successful writes (from flagged
// sources) and what legitimate sources also touched.
func collectFootprint(ev *EradicateEvidence) footprint {
	var f footprint
	evs := slices.Clone(ev.Events)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	// Resources a legitimate (non-flagged) source wrote to.
	legit := map[string]string{}
	for _, e := range evs {
		if e.ErrorCode != "" || ev.flagged(e.SourceIP) || isRead(e.Name) {
			continue
		}
		for _, r := range touched(e) {
			if _, ok := legit[r]; !ok {
				legit[r] = e.SourceIP + " (" + e.Name + ")"
			}
		}
	}
	created := map[string]bool{}
	seenInst := map[string]bool{}
	for _, e := range evs {
		if e.ErrorCode != "" || !ev.flagged(e.SourceIP) || isRead(e.Name) {
			continue
		}
		p := e.Params
		keep := func(res, what string) bool {
			if by, ok := legit[res]; ok {
				f.kept = append(f.kept, fmt.Sprintf("kept: %s also used by %s", what, by))
				return true
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
			m.plan = func(ctx context.Context, c EradicateCloud) (*Action, error) {
				r := &keyResource{c: c, keyID: id, user: u}
				cur, err := r.observe(ctx)
				if err != nil {
					return nil, err
				}
				if cur.(keyState).Status == StatusDeleted {
					return nil, nil
				}
				return newAction("disable-key:"+id, r, cur, keyState{KeyID: id, User: u, Status: "Inactive"}, "disable AccessKey "+id+" the attacker created for "+u), nil
			}
			f.modified = append(f.modified, m)
		case "CreateLoginProfile":
			u := p["UserName"]
			if u == "" || created[u] || keep("user:"+u, "console login of "+u) {
				continue
			}
			f.modified = append(f.modified, modification{what: "console login created for " + u, event: e,
				plan: func(ctx context.Context, c EradicateCloud) (*Action, error) { return planDeleteLogin(ctx, c, u) }})
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
				plan: func(ctx context.Context, c EradicateCloud) (*Action, error) {
					r := &userPolicyResource{c: c, user: u, ptype: typ, pname: pol}
					cur, err := r.observe(ctx)
					if err != nil {
						return nil, err
					}
					return planDetachPolicy(c, u, typ, pol, cur.(userPolicyState).Attached), nil
				}})
		case "AddUserToGroup":
			u, g := p["UserName"], p["GroupName"]
			if u == "" || created[u] || g == "" || keep("user:"+u, u+" in group "+g) {
				continue
			}
			f.modified = append(f.modified, modification{what: u + " added to " + g, event: e,
				plan: func(ctx context.Context, c EradicateCloud) (*Action, error) {
					r := &groupResource{c: c, user: u, group: g}
					cur, err := r.observe(ctx)
					if err != nil {
						return nil, err
					}
					return planRemoveFromGroup(c, u, g, cur.(groupState).Member), nil
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
		}
	}
	return f
}

func isRead(name string) bool {
	for _, p := range []string{"Get", "List", "Describe", "Query", "Lookup", "Check"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
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
