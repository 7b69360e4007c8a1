package audit

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/cloud"
)

// Following the attacker (docs/audit.md, "Following the attacker").
//
// The identities the audited key created or took over from a flagged
// source (a user, its login profile, a new AccessKey, a role) and the STS
// sessions it minted (AssumeRole) are audited in the same run: their events
// are collected (online: LookupEvents by EventAccessKeyId, User or
// ResourceName; offline: further passes over the --trail files that name
// them, trailindex.go), each
// identity gets an Engine of its own that runs the same rules, and what a
// followed identity creates in turn is followed too, to a fixpoint bounded
// by MaxFollowed identities and maxFollowPasses offline passes.
//
// Identities created from sources that are not flagged as new, untrusted or
// a scanner (the office's own administration, even when a sensitive write
// flagged a known source) are not followed: they stay in
// created_identities, and they are not attacker chains.

// MaxFollowed bounds the identities followed in one audit; further ones are
// counted in Result.FollowedOmitted and named in a diagnostic.
const MaxFollowed = 50

// maxFollowPasses bounds the offline passes over the trail files after the
// first (each pass reads the identities the previous one discovered).
const maxFollowPasses = 4

// Followed identity kinds.
const (
	FollowUser       = "user"
	FollowAccessKey  = "access_key"
	FollowSTSSession = "sts_session"
	FollowRole       = "role"
	// FollowInstanceRole is an instance's role, named by the instance ID,
	// after the key read its credentials from the metadata service through
	// Cloud Assistant: the sessions named after the instance
	// (<role>:<instance-id>) are followed (offline only: LookupEvents cannot
	// select a session by name).
	FollowInstanceRole = "instance_role"
)

// Follow step kinds.
const (
	StepCreate = "create" // the identity, or a credential of it, was created or changed
	StepUse    = "use"    // the identity acted (its first sign-in, else its first event)
)

// FollowStep is one link of the chain from the audited key to a followed
// identity.
type FollowStep struct {
	Kind string `json:"kind"` // create | use
	// AccessKeyID and UserName name who made the call: the audited key, a
	// followed key, or (console) a followed user.
	AccessKeyID string    `json:"access_key_id,omitempty"`
	UserName    string    `json:"user_name,omitempty"`
	Event       string    `json:"event"`            // eventName, e.g. CreateUser
	Target      string    `json:"target,omitempty"` // the identity created or changed
	SourceIP    string    `json:"source_ip,omitempty"`
	Time        time.Time `json:"time"`
	EventID     string    `json:"event_id,omitempty"`
}

// FollowedIdentity is one identity the attacker created, took over or
// minted, audited like the key: its events, sources and findings.
type FollowedIdentity struct {
	Kind string `json:"kind"` // user | access_key | sts_session | role | instance_role
	Name string `json:"name"` // user name, AccessKey ID, STS AccessKey ID, role name or instance ID
	// UserName is the owner of a followed AccessKey; RoleName the role of
	// an STS session.
	UserName string `json:"user_name,omitempty"`
	RoleName string `json:"role_name,omitempty"`
	// Via is the chain from the audited key: the create steps, then the
	// identity's first use (its first console sign-in, else its first
	// event) when it acted.
	Via       []FollowStep `json:"via"`
	Events    int          `json:"events"`
	FirstSeen time.Time    `json:"first_seen,omitzero"`
	LastSeen  time.Time    `json:"last_seen,omitzero"`
	Sources   []IPSummary  `json:"source_ips"`
	Services  []string     `json:"services"`
	Findings  []Finding    `json:"findings"`
}

// MaxSeverity is the highest severity of the identity's findings.
func (f *FollowedIdentity) MaxSeverity() Severity {
	m := Info
	for _, x := range f.Findings {
		m = max(m, x.Severity)
	}
	return m
}

// ViaText renders a chain for people: "key → CreateUser crossfire →
// CreateLoginProfile → ConsoleSignin from 203.0.113.200". A target is named
// when it differs from the previous step's.
func ViaText(steps []FollowStep) string {
	parts := []string{"key"}
	prev := ""
	for _, s := range steps {
		p := s.Event
		if s.Target != "" && s.Target != prev {
			p += " " + s.Target
		}
		if s.Kind == StepUse && s.SourceIP != "" {
			p += " from " + s.SourceIP
		}
		if s.Target != "" {
			prev = s.Target
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " → ")
}

// followed is one identity being followed.
type followed struct {
	FollowedIdentity
	eng  *Engine
	pass int // the offline pass (or online round) that collects its events
}

// follower runs the follow of one audit.
type follower struct {
	tmpl    Options // options of the followed identities' engines
	ids     []*followed
	byKey   map[string]*followed // access_key and sts_session
	byUser  map[string]*followed
	byRole  map[string]*followed // lower-cased role name
	byInst  map[string]*followed // instance_role by instance ID
	omitted map[string]bool      // kind/name beyond MaxFollowed
	seen    map[string]struct{}  // event ids routed (online and offline may overlap)
	diags   []Diagnostic
	// account is the audited account's ID ("" when unknown): a followed
	// role's ARN, which AssumeRole events reference, names it.
	account string
	// minted are the sessions of followed roles seen during a pass, added
	// after it (the offline readers match events concurrently with it).
	minted []mintRec
}

type mintRec struct {
	role *followed
	key  string
	step FollowStep
	pass int
}

func newFollower(main Options) *follower {
	t := main
	t.KeyID, t.LeakTime, t.Facts = "", time.Time{}, KeyFacts{}
	return &follower{tmpl: t, byKey: map[string]*followed{}, byUser: map[string]*followed{},
		byRole: map[string]*followed{}, byInst: map[string]*followed{}, omitted: map[string]bool{}, seen: map[string]struct{}{}}
}

// lookup returns the followed identity of kind and name, or nil.
func (f *follower) lookup(kind, name string) *followed {
	switch kind {
	case FollowAccessKey, FollowSTSSession:
		return f.byKey[name]
	case FollowUser:
		return f.byUser[name]
	case FollowRole:
		return f.byRole[strings.ToLower(name)]
	case FollowInstanceRole:
		return f.byInst[name]
	}
	return nil
}

// add follows an identity reached by via (whose last step made it); an
// identity already followed only gains a further create step (a login
// profile for a followed user). pass is the pass that reads its events.
func (f *follower) add(kind, name, user, role string, via []FollowStep, pass int) {
	if name == "" {
		return
	}
	if x := f.lookup(kind, name); x != nil {
		last := via[len(via)-1]
		if !slices.ContainsFunc(x.Via, func(s FollowStep) bool {
			return s.EventID == last.EventID && s.Event == last.Event && s.Time.Equal(last.Time)
		}) {
			x.Via = append(x.Via, last)
		}
		return
	}
	if len(f.ids) >= MaxFollowed {
		f.omitted[kind+"/"+name] = true
		return
	}
	o := f.tmpl
	o.Facts = KeyFacts{Owner: user}
	switch kind {
	case FollowAccessKey, FollowSTSSession:
		o.KeyID = name
		o.Facts.AccessKeyID = name
	case FollowUser:
		o.Facts.Owner = name
	}
	x := &followed{FollowedIdentity: FollowedIdentity{Kind: kind, Name: strings.Clone(name), UserName: user, RoleName: role,
		Via: slices.Clone(via)}, eng: NewEngine(o), pass: pass}
	f.ids = append(f.ids, x)
	switch kind {
	case FollowAccessKey, FollowSTSSession:
		f.byKey[x.Name] = x
	case FollowUser:
		f.byUser[x.Name] = x
	case FollowRole:
		f.byRole[strings.ToLower(x.Name)] = x
	case FollowInstanceRole:
		f.byInst[x.Name] = x
	}
}

// createSteps is the part of a chain that made the identity (its use step
// left out).
func createSteps(via []FollowStep) []FollowStep {
	out := make([]FollowStep, 0, len(via)+1)
	for _, s := range via {
		if s.Kind == StepCreate {
			out = append(out, s)
		}
	}
	return out
}

// attackerSource reports whether source text is the attacker's as the
// follow and the next steps judge it: flagged and new, untrusted or a
// scanner. A known source flagged only for a sensitive write is the
// owners' own administration, not an attacker chain. (Set once the
// sources are judged: Result.)
func (e *Engine) attackerSource(text string) bool {
	a := e.ips[text]
	return a != nil && a.newcomerAttacker()
}

// discover follows what engine e's key created or minted. parent is the
// followed identity e audits, nil for the audited key itself: then only
// what a flagged source that is new, untrusted or a scanner did counts
// (the office's own administration is no attacker chain, even when a
// sensitive write flagged its source). actor names the caller of e's events.
func (f *follower) discover(e *Engine, parent *followed, actorKey, actorUser string, pass int) {
	var base []FollowStep
	if parent != nil {
		base = createSteps(parent.Via)
	}
	fromAttacker := func(ip uint32) bool {
		if parent != nil {
			return true
		}
		return e.attackerSource(e.strs.str(ip))
	}
	step := func(s evSample, event, target string) FollowStep {
		return FollowStep{Kind: StepCreate, AccessKeyID: actorKey, UserName: actorUser, Event: event, Target: target,
			SourceIP: e.strs.str(s.ip), Time: time.Unix(0, s.t).UTC().Truncate(time.Second), EventID: s.eventID()}
	}
	chain := func(prefix []FollowStep, s FollowStep) []FollowStep {
		return append(slices.Clone(prefix), s)
	}
	for _, c := range e.sortedCreated() {
		if !fromAttacker(c.ref.ip) {
			continue
		}
		switch c.Kind {
		case KindUser:
			f.add(FollowUser, c.Name, "", "", chain(base, step(c.ref, c.Action, c.Name)), pass)
		case KindLoginProfile:
			f.add(FollowUser, c.User, "", "", chain(base, step(c.ref, c.Action, c.User)), pass)
		case KindAccessKey:
			if c.Name == "" {
				continue
			}
			owner := cmp.Or(c.User, actorUser)
			prefix := base
			if u := f.byUser[owner]; u != nil && owner != actorUser {
				// A key for a followed user: its chain goes through the user's
				// creation (not its login profile).
				prefix = nil
				for _, s := range createSteps(u.Via) {
					if s.Event != "CreateLoginProfile" && s.Event != "UpdateLoginProfile" {
						prefix = append(prefix, s)
					}
				}
			}
			f.add(FollowAccessKey, c.Name, owner, "", chain(prefix, step(c.ref, c.Action, c.Name)), pass)
		case KindRole:
			f.add(FollowRole, c.Name, "", "", chain(base, step(c.ref, c.Action, c.Name)), pass)
		}
	}
	if e.more == nil {
		return
	}
	for i := range e.more.recs {
		r := &e.more.recs[i]
		if r.kind == mkMetaRead && !r.failed && fromAttacker(r.ref.ip) {
			// The instance's role credentials, read through Cloud Assistant.
			for _, inst := range r.inst {
				if strings.HasPrefix(inst, "i-") {
					f.add(FollowInstanceRole, inst, "", r.role, chain(base, step(r.ref, e.strs.str(r.ref.name), inst)), pass)
				}
			}
			continue
		}
		if r.kind != mkAssumeRole || r.failed || r.id == "" || !strings.HasPrefix(r.id, "STS.") || !fromAttacker(r.ref.ip) {
			continue
		}
		f.add(FollowSTSSession, r.id, "", r.role, chain(base, step(r.ref, e.strs.str(r.ref.name), r.id)), pass)
	}
}

// route returns the followed identity an event belongs to: a followed key
// first, then a followed user, then a session of a followed role; nil for
// none. Only identities of passes up to pass are considered.
func (f *follower) route(ev *Event, pass int) *followed {
	if x := f.byKey[ev.AccessKeyID]; x != nil && ev.AccessKeyID != "" && x.pass <= pass {
		return x
	}
	if x := f.byUser[ev.UserName]; x != nil && ev.UserName != "" && x.pass <= pass {
		return x
	}
	if role, session, ok := strings.Cut(ev.UserName, ":"); ok && role != "" {
		if x := f.byRole[strings.ToLower(role)]; x != nil && x.pass <= pass {
			return x
		}
		if x := f.byInst[session]; x != nil && session != "" && x.pass <= pass {
			return x
		}
	}
	return nil
}

// mintedFor is the followed role an AssumeRole event minted a session of,
// with the session's key, or nil.
func (f *follower) mintedFor(ev *Event) (*followed, string) {
	if ev.Name != "AssumeRole" || ev.ErrorCode != "" || len(f.byRole) == 0 {
		return nil, ""
	}
	x := f.byRole[roleFromArn(ev.Params["RoleArn"])]
	if x == nil {
		return nil, ""
	}
	return x, assumedKeyID(ev)
}

// feed gives one event to the identity it belongs to (pass: only the
// identities read in this pass take it). It reports whether it was taken.
func (f *follower) feed(ev *Event, pass int) bool {
	if ev.ID != "" {
		if _, dup := f.seen[ev.ID]; dup {
			return false
		}
	}
	taken := false
	if x := f.route(ev, pass); x != nil && x.pass == pass {
		x.eng.Add(ev)
		taken = true
	}
	if role, key := f.mintedFor(ev); role != nil && role.pass == pass && key != "" {
		// A session of a followed role, minted by whoever assumed it.
		f.minted = append(f.minted, mintRec{role: role, key: strings.Clone(key), pass: pass + 1, step: FollowStep{Kind: StepCreate,
			AccessKeyID: ev.AccessKeyID, UserName: ev.UserName, Event: ev.Name, Target: key, SourceIP: ev.SourceIP,
			Time: ev.Time.UTC().Truncate(time.Second), EventID: ev.ID}})
		taken = true
	}
	if taken && ev.ID != "" {
		f.seen[strings.Clone(ev.ID)] = struct{}{}
	}
	return taken
}

// wants reports, for the offline readers (concurrently), whether an event
// may belong to an identity of pass.
func (f *follower) wants(pass int) func(*Event) bool {
	return func(ev *Event) bool {
		if x := f.route(ev, pass); x != nil && x.pass == pass {
			return true
		}
		role, _ := f.mintedFor(ev)
		return role != nil && role.pass == pass
	}
}

// needles are the strings a record of an identity of pass must contain:
// the longest run of each name's plain characters (letters, digits and
// ".-_@"), which a JSON encoder writes as they are. A name without a run
// of 3 disables the prefilter (nil): Match alone then decides.
func (f *follower) needles(pass int) []string {
	var out []string
	for _, x := range f.ids {
		if x.pass != pass {
			continue
		}
		n := plainRun(x.Name)
		if len(n) < 3 {
			return nil
		}
		out = append(out, n)
		if l := strings.ToLower(n); x.Kind == FollowRole && l != n {
			out = append(out, l) // role names in ARNs are lower case
		}
	}
	return out
}

// plainRun is the longest run of s's characters that every JSON encoder
// writes unescaped.
func plainRun(s string) string {
	best, start := "", -1
	for i := 0; i <= len(s); i++ {
		plain := i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9' || strings.IndexByte(".-_@", s[i]) >= 0)
		switch {
		case plain && start < 0:
			start = i
		case !plain && start >= 0:
			if i-start > len(best) {
				best = s[start:i]
			}
			start = -1
		}
	}
	return best
}

// discoverFrom follows what the identities of pass created.
func (f *follower) discoverFrom(pass int) {
	for _, m := range f.minted {
		f.add(FollowSTSSession, m.key, "", strings.ToLower(m.role.Name), append(createSteps(m.role.Via), m.step), m.pass)
	}
	f.minted = f.minted[:0]
	for i := 0; i < len(f.ids); i++ { // f.ids grows
		x := f.ids[i]
		if x.pass != pass {
			continue
		}
		key, user := "", x.UserName
		switch x.Kind {
		case FollowAccessKey, FollowSTSSession:
			key = x.Name
		case FollowUser:
			user = x.Name
		}
		f.discover(x.eng, x, key, user, pass+1)
	}
}

// count is the number of identities read in pass.
func (f *follower) count(pass int) int {
	n := 0
	for _, x := range f.ids {
		if x.pass == pass {
			n++
		}
	}
	return n
}

// pending reports whether identities wait for pass.
func (f *follower) pending(pass int) bool {
	return slices.ContainsFunc(f.ids, func(x *followed) bool { return x.pass == pass })
}

// followOnline reads each followed identity's events with LookupEvents in
// the regions the main lookup read (regions; nil = the clients' default),
// breadth first, until no new identity appears.
func (f *follower) followOnline(ctx context.Context, c Cloud, regions []string, since, until time.Time) error {
	for pass := 1; pass <= maxFollowPasses+1 && f.pending(pass); pass++ {
		for i := 0; i < len(f.ids); i++ {
			x := f.ids[i]
			if x.pass != pass {
				continue
			}
			var qs []cloud.LookupQuery
			mk := func(k, v string) cloud.LookupQuery {
				return cloud.LookupQuery{AttributeKey: k, AttributeValue: v, Start: since, End: until, PageSize: lookupPageSize}
			}
			switch x.Kind {
			case FollowAccessKey, FollowSTSSession:
				qs = append(qs, mk("EventAccessKeyId", x.Name))
			case FollowUser:
				qs = append(qs, mk("User", x.Name))
			case FollowInstanceRole:
				// No LookupAttribute selects a session by its name: the
				// instance's sessions are found in trail files only.
			case FollowRole:
				// The role's own events name it as a resource; AssumeRole
				// events name its ARN (its sessions are then followed by
				// key). Role names in ARNs are lower case.
				qs = append(qs, mk("ResourceName", x.Name))
				if f.account != "" {
					arn := "acs:ram::" + f.account + ":role/" + x.Name
					qs = append(qs, mk("ResourceName", arn))
					if l := strings.ToLower(arn); l != arn {
						qs = append(qs, mk("ResourceName", l))
					}
				}
			}
			for _, q := range qs {
				_, err := lookupRegions(ctx, c, regions, x.Name, q, func(page []json.RawMessage) error {
					return ReadLookupPage(page, func(ev *Event) error {
						f.feed(ev, pass)
						return nil
					})
				})
				var pe *PageError
				switch {
				case err == nil, errors.As(err, &pe):
				case ctx.Err() != nil:
					return ctx.Err()
				default:
					f.diags = append(f.diags, Diagnostic{Level: "warning", Source: "follow:LookupEvents",
						Summary: fmt.Sprintf("could not read the events of followed %s %s (%s=%s)", x.Kind, x.Name, q.AttributeKey, x.Name), Detail: err.Error()})
				}
			}
		}
		f.discoverFrom(pass)
	}
	return nil
}

// noted is what the trail index (trailindex.go) notes for the records the
// identities of pass act in (route) or mint sessions of (mintedFor).
func (f *follower) noted(ix *TrailIndex, pass int) []uint64 {
	var hs []uint64
	for _, x := range f.ids {
		if x.pass != pass {
			continue
		}
		switch x.Kind {
		case FollowAccessKey, FollowSTSSession:
			hs = append(hs, ix.hashString(idKey, x.Name))
		case FollowUser:
			hs = append(hs, ix.hashString(idUser, x.Name))
		case FollowRole:
			hs = append(hs, ix.hashString(idRole, strings.ToLower(x.Name)))
		case FollowInstanceRole:
			hs = append(hs, ix.hashString(idSession, x.Name))
		}
	}
	return hs
}

// followOffline reads the trail files again, once per generation of
// followed identities, keeping only their events. With an index of the
// first pass (ro.Index), a pass reads only the files that name one of its
// identities.
func (f *follower) followOffline(ctx context.Context, trails []string, ro ReadOptions, progress func(string)) error {
	ix := ro.Index
	ro.Index = nil
	stdinNoted := false
	for pass := 1; pass <= maxFollowPasses && f.pending(pass); pass++ {
		o := ro
		o.KeyID, o.MatchAny, o.Match = "", f.needles(pass), f.wants(pass)
		files, of := trails, "the trail files"
		if ix != nil {
			read, skipped, stdin := ix.Select(f.noted(ix, pass))
			stdinNoted = stdinNoted || stdin
			files, of = read, fmt.Sprintf("%d of %d trail files", len(read), len(read)+skipped)
		}
		// Role sessions are found by the role's name in userName or in
		// an AssumeRole's RoleArn: the needle is the name itself.
		progress(fmt.Sprintf("following %d identities through %s (pass %d)", f.count(pass), of, pass+1))
		if len(files) == 0 {
			f.discoverFrom(pass)
			continue
		}
		_, _, err := ReadTrails(ctx, files, o, func(ev *Event) error {
			f.feed(ev, pass)
			return nil
		})
		if err != nil {
			var pe *ProblemError
			if errors.As(err, &pe) || ctx.Err() != nil {
				return err
			}
			f.diags = append(f.diags, Diagnostic{Level: "warning", Source: "follow:trail", Summary: "could not read the trail files again to follow the identities the key created", Detail: err.Error()})
			return nil
		}
		f.discoverFrom(pass)
	}
	if stdinNoted {
		f.diags = append(f.diags, Diagnostic{Level: "warning", Source: "follow:trail",
			Summary: "standard input names identities the key created, but it cannot be read a second time: their events in it are not in their audit (save the input to a file and pass the file)"})
	}
	if f.pending(maxFollowPasses + 1) {
		n := 0
		for _, x := range f.ids {
			if x.pass > maxFollowPasses {
				n++
			}
		}
		f.diags = append(f.diags, Diagnostic{Level: "warning", Source: "follow",
			Summary: fmt.Sprintf("the chain of created identities is deeper than %d passes over the trail files: %d identities found last were not read", maxFollowPasses, n)})
	}
	return nil
}

// results finalises every followed identity into r (Result.Followed,
// Result.FollowedOmitted, diagnostics) and lets the verdict weigh their
// findings. main is the audited key's engine.
func (f *follower) results(main *Engine, r *Result) {
	r.Followed = []FollowedIdentity{}
	for _, x := range f.ids {
		fr := x.eng.Result()
		id := x.FollowedIdentity
		id.Events = fr.Window.Events
		if id.Events > 0 {
			id.FirstSeen, id.LastSeen = time.Unix(0, x.eng.minT).UTC().Truncate(time.Second), time.Unix(0, x.eng.maxT).UTC().Truncate(time.Second)
		}
		id.Sources = fr.Sources
		id.Services = []string{}
		for _, s := range fr.Services {
			id.Services = append(id.Services, s.Service)
		}
		slices.Sort(id.Services)
		id.Findings = fr.Findings
		if use, ok := firstUse(x.eng, x); ok {
			id.Via = append(createSteps(id.Via), use)
		}
		if b := inUse(x.eng, &id); b != nil {
			// The follow's finding stands for the engine's own of the same
			// rule when it is more severe (CTX-07 of an instance role after
			// the credential read); else the engine's stays.
			i := slices.IndexFunc(id.Findings, func(g Finding) bool { return g.ID == b.ID })
			switch {
			case i < 0:
				id.Findings = append(id.Findings, *b)
			case id.Findings[i].Severity < b.Severity:
				id.Findings[i] = *b
			}
			slices.SortFunc(id.Findings, func(a, b Finding) int {
				return cmp.Or(cmp.Compare(b.Severity, a.Severity), a.First.Compare(b.First), strings.Compare(a.ID, b.ID), strings.Compare(a.Title, b.Title))
			})
		}
		r.Followed = append(r.Followed, id)
	}
	r.FollowedOmitted = len(f.omitted)
	if r.FollowedOmitted > 0 {
		names := make([]string, 0, len(f.omitted))
		for n := range f.omitted {
			names = append(names, n)
		}
		slices.Sort(names)
		f.diags = append(f.diags, Diagnostic{Level: "warning", Source: "follow",
			Summary: fmt.Sprintf("the key created more than %d identities: %d more were not followed (%s)", MaxFollowed, r.FollowedOmitted, listSome(names, 5))})
	}
	r.Diagnostics = append(r.Diagnostics, f.diags...)
	main.followVerdict(r) // verdict.go
}

// firstUse is the identity's first console sign-in, else its first event,
// as a use step (for an instance role: its first use from outside after
// the credential read).
func firstUse(e *Engine, x *followed) (FollowStep, bool) {
	if e.events == 0 {
		return FollowStep{}, false
	}
	var best *evRef
	signin := false
	var pivot int64
	if cs := createSteps(x.Via); x.Kind == FollowInstanceRole && len(cs) > 0 {
		pivot = cs[len(cs)-1].Time.UnixNano()
	}
	for _, ip := range e.ipList {
		if ip.n == 0 || x.Kind == FollowInstanceRole && !e.outsideAddress(ip.text, ip.vpcN > 0) {
			continue // an instance's role is "used" by the attacker from outside
		}
		for _, s := range ip.samples.all() {
			if s.t < pivot {
				continue
			}
			isSignin := e.strs.str(s.name) == "ConsoleSignin" && s.errc == 0
			switch {
			case best == nil, isSignin && !signin, isSignin == signin && s.evRef.less(best):
				best, signin = s.evRef, isSignin
			}
		}
	}
	if best == nil {
		return FollowStep{}, false
	}
	st := FollowStep{Kind: StepUse, Event: e.strs.str(best.name), SourceIP: e.strs.str(best.ip),
		Time: time.Unix(0, best.t).UTC().Truncate(time.Second), EventID: best.eventID()}
	switch x.Kind {
	case FollowAccessKey, FollowSTSSession:
		st.AccessKeyID, st.UserName = x.Name, x.UserName
	case FollowUser:
		st.UserName = x.Name
	}
	return st, true
}

// inUse is the follow's own finding over an identity that acted: PERS-05
// (an identity the key created, in use) for users, keys and roles, CTX-07
// for an STS session the key minted used from a public address that is
// not trusted (high), and for an instance role's session used from such an
// address first seen after the key read its credentials (critical). Its evidence are the identity's first and latest events of
// each source.
func inUse(e *Engine, id *FollowedIdentity) *Finding {
	if e.events == 0 {
		return nil
	}
	rule := "PERS-05"
	if id.Kind == FollowSTSSession || id.Kind == FollowInstanceRole {
		rule = "CTX-07"
	}
	b := newBuilder(rule, Critical)
	var pivot int64
	switch id.Kind {
	case FollowSTSSession:
		b.sev = High
	case FollowInstanceRole:
		// After the credential read, from an address that is neither the
		// instance's (its VPC, or what its role used before the read) nor
		// Alibaba's: the Cloud Assistant → metadata → STS pivot.
		if cs := createSteps(id.Via); len(cs) > 0 {
			pivot = cs[len(cs)-1].Time.UnixNano()
		}
		b.note("The key read the instance's role credentials through Cloud Assistant before this use.")
	}
	for _, ip := range e.sortedSources() {
		if rule == "CTX-07" && !e.outsideAddress(ip.text, ip.vpcN > 0) {
			continue
		}
		if id.Kind == FollowInstanceRole && ip.first.t < pivot {
			continue // the instance's own address
		}
		b.n += ip.n
		b.ips[ip.text] += ip.n
		for _, s := range ip.samples.all() {
			b.evidence(s)
		}
	}
	if b.n == 0 {
		return nil
	}
	b.subject(id.Kind + " " + id.Name)
	b.note("Followed from the audited key: " + ViaText(createSteps(id.Via)) + ".")
	f := e.toFinding(b)
	return &f
}

// lookupRegionsOf is the list of regions a follow reads: those the main
// lookup read, or nil (the clients' default) when it did not record them.
func lookupRegionsOf(rr *RegionsRead) []string {
	if rr == nil || len(rr.Read) == 0 {
		return nil
	}
	return slices.Clone(rr.Read)
}
