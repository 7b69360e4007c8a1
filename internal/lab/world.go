package lab

import (
	"crypto/rand"
	"encoding/json"
	"math/big"
	"slices"
	"sort"
	"strings"
	"time"
)

// This file holds the lookups and mutations on *World the server needs, the
// deep copy behind Server.Snapshot, the canonical JSON behind
// Server.StateJSON, and the per-AccessKey event index that keeps
// LookupEvents and the last-used answers fast on large histories.

const defaultAccountID, defaultAccountAlias = "1234567890123456", "akresp-lab"

// fmtTime renders a time the way Alibaba Cloud APIs do (UTC, seconds); the
// zero time renders as "".
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// version returns the policy version with the given id, or nil.
func (p *Policy) version(id string) *PolicyVersion {
	for _, v := range p.Versions {
		if v.VersionID == id {
			return v
		}
	}
	return nil
}

// upn is a user's UserPrincipalName: <user>@<alias>.onaliyun.com (the
// account id stands in when there is no alias).
func upn(w *World, userName string) string {
	dom := w.Account.Alias
	if dom == "" {
		dom = w.Account.ID
	}
	return userName + "@" + dom + ".onaliyun.com"
}

// userByUPN resolves a UserPrincipalName; the domain may use the account
// alias or the account id. The match on the domain is case-insensitive.
func userByUPN(w *World, principalName string) *User {
	name, dom, ok := strings.Cut(principalName, "@")
	if !ok {
		return nil
	}
	dom = strings.ToLower(dom)
	okDom := dom == strings.ToLower(w.Account.ID)+".onaliyun.com" ||
		(w.Account.Alias != "" && dom == strings.ToLower(w.Account.Alias)+".onaliyun.com")
	if !okDom {
		return nil
	}
	return w.Users[name]
}

// userByID finds a user by UserId.
func userByID(w *World, id string) *User {
	for _, u := range w.Users {
		if u.UserID == id {
			return u
		}
	}
	return nil
}

// ownerKeys indexes World.AccessKeys by owner, each owner's keys oldest
// first, so per-user lookups (ListAccessKeys, the key limit, the credential
// report) cost the user's keys, not the account's: with 10,000 users a
// scan per call made the sweep benchmark measure the lab. n is the number
// of keys indexed, a safety net beside the explicit keysChanged calls.
type ownerKeys struct {
	byOwner map[string][]*AccessKey
	n       int
}

// keysChanged drops the owner index after AccessKeys gained or lost a key
// or a key changed owner; the next keysOf rebuilds it.
func (w *World) keysChanged() { w.keyIdx = nil }

// keysOf returns the active-or-inactive keys of owner ("" = root), oldest
// first (ties by id). The caller owns the returned slice.
func keysOf(w *World, owner string) []*AccessKey {
	x := w.keyIdx
	if x == nil || x.n != len(w.AccessKeys) {
		x = &ownerKeys{byOwner: map[string][]*AccessKey{}, n: len(w.AccessKeys)}
		for _, k := range w.AccessKeys {
			x.byOwner[k.Owner] = append(x.byOwner[k.Owner], k)
		}
		for _, keys := range x.byOwner {
			sort.Slice(keys, func(i, j int) bool {
				if !keys[i].CreateDate.Equal(keys[j].CreateDate) {
					return keys[i].CreateDate.Before(keys[j].CreateDate)
				}
				return keys[i].ID < keys[j].ID
			})
		}
		w.keyIdx = x
	}
	return slices.Clone(x.byOwner[owner])
}

// groupsOfUser returns the groups a user belongs to, by name.
func groupsOfUser(w *World, user string) []*Group {
	var gs []*Group
	for _, g := range w.Groups {
		if _, ok := g.Members[user]; ok {
			gs = append(gs, g)
		}
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].GroupName < gs[j].GroupName })
	return gs
}

// attachmentsOf returns the attachments of one principal in attach order.
func attachmentsOf(w *World, principalType, name string) []Attachment {
	var out []Attachment
	for _, a := range w.Attachments {
		if a.PrincipalType == principalType && a.PrincipalName == name {
			out = append(out, a)
		}
	}
	return out
}

// attachmentIndex finds one attachment; -1 when absent.
func attachmentIndex(w *World, policyType, policyName, principalType, name string) int {
	for i, a := range w.Attachments {
		if a.PolicyType == policyType && a.PolicyName == policyName && a.PrincipalType == principalType && a.PrincipalName == name {
			return i
		}
	}
	return -1
}

// attachmentCount counts the principals a policy is attached to.
func attachmentCount(w *World, policyType, policyName string) int {
	n := 0
	for _, a := range w.Attachments {
		if a.PolicyType == policyType && a.PolicyName == policyName {
			n++
		}
	}
	return n
}

// renameUser rewrites every reference to a renamed user.
func renameUser(w *World, from, to string) {
	u := w.Users[from]
	delete(w.Users, from)
	u.UserName = to
	w.Users[to] = u
	for _, k := range w.AccessKeys {
		if k.Owner == from {
			k.Owner = to
		}
	}
	w.keysChanged()
	if lp, ok := w.Logins[from]; ok {
		delete(w.Logins, from)
		lp.UserName = to
		w.Logins[to] = lp
	}
	if m, ok := w.MFADevices[from]; ok {
		delete(w.MFADevices, from)
		m.UserName = to
		w.MFADevices[to] = m
	}
	for _, g := range w.Groups {
		if t, ok := g.Members[from]; ok {
			delete(g.Members, from)
			g.Members[to] = t
		}
	}
	for i := range w.Attachments {
		if a := &w.Attachments[i]; a.PrincipalType == "User" && a.PrincipalName == from {
			a.PrincipalName = to
		}
	}
}

// dropNil deletes nil entries, so a hand-edited world (Server.Update) cannot
// make later lookups dereference nil.
func dropNil[T any](m map[string]*T) {
	for k, v := range m {
		if v == nil {
			delete(m, k)
		}
	}
}

// normalizeWorld allocates nil maps, drops nil entries, fills Event.Time
// from EventTime where a scenario left it zero, and sorts the history by
// time (stable).
func normalizeWorld(w *World) {
	w.keysChanged() // the caller may have changed anything
	if w.Users == nil {
		w.Users = map[string]*User{}
	}
	if w.AccessKeys == nil {
		w.AccessKeys = map[string]*AccessKey{}
	}
	if w.Policies == nil {
		w.Policies = map[string]*Policy{}
	}
	if w.Groups == nil {
		w.Groups = map[string]*Group{}
	}
	if w.Roles == nil {
		w.Roles = map[string]*Role{}
	}
	if w.Logins == nil {
		w.Logins = map[string]*LoginProfile{}
	}
	if w.MFADevices == nil {
		w.MFADevices = map[string]*MFADevice{}
	}
	if w.RecycleBin == nil {
		w.RecycleBin = map[string]*RecycledKey{}
	}
	if w.STSTokens == nil {
		w.STSTokens = map[string]*STSToken{}
	}
	dropNil(w.Users)
	dropNil(w.AccessKeys)
	dropNil(w.Policies)
	dropNil(w.Groups)
	dropNil(w.Roles)
	dropNil(w.Logins)
	dropNil(w.MFADevices)
	dropNil(w.RecycleBin)
	dropNil(w.STSTokens)
	for _, p := range w.Policies {
		vs := p.Versions[:0]
		for _, v := range p.Versions {
			if v != nil {
				vs = append(vs, v)
			}
		}
		p.Versions = vs
	}
	for _, g := range w.Groups {
		if g.Members == nil {
			g.Members = map[string]time.Time{}
		}
	}
	for i := range w.Events {
		if e := &w.Events[i]; e.Time.IsZero() && e.EventTime != "" {
			if t, err := parseSignTime(e.EventTime); err == nil {
				e.Time = t.UTC()
			}
		}
	}
	if !sort.SliceIsSorted(w.Events, func(i, j int) bool { return w.Events[i].Time.Before(w.Events[j].Time) }) {
		sort.SliceStable(w.Events, func(i, j int) bool { return w.Events[i].Time.Before(w.Events[j].Time) })
	}
}

// cloneWorld returns a deep copy of w, Events and STS tokens included.
func cloneWorld(w *World) *World {
	c := &World{
		Account:     w.Account,
		Users:       make(map[string]*User, len(w.Users)),
		AccessKeys:  make(map[string]*AccessKey, len(w.AccessKeys)),
		Policies:    make(map[string]*Policy, len(w.Policies)),
		Attachments: append([]Attachment(nil), w.Attachments...),
		Groups:      make(map[string]*Group, len(w.Groups)),
		Roles:       make(map[string]*Role, len(w.Roles)),
		Logins:      make(map[string]*LoginProfile, len(w.Logins)),
		MFADevices:  make(map[string]*MFADevice, len(w.MFADevices)),
		RecycleBin:  make(map[string]*RecycledKey, len(w.RecycleBin)),
		STSTokens:   make(map[string]*STSToken, len(w.STSTokens)),
		AccountACL:  cloneAKPolicy(w.AccountACL),
	}
	for k, v := range w.Users {
		u := *v
		c.Users[k] = &u
	}
	for k, v := range w.AccessKeys {
		c.AccessKeys[k] = cloneKey(v)
	}
	for k, v := range w.Policies {
		p := *v
		p.Versions = make([]*PolicyVersion, len(v.Versions))
		for i, pv := range v.Versions {
			cp := *pv
			p.Versions[i] = &cp
		}
		c.Policies[k] = &p
	}
	for k, v := range w.Groups {
		g := *v
		g.Members = make(map[string]time.Time, len(v.Members))
		for m, t := range v.Members {
			g.Members[m] = t
		}
		c.Groups[k] = &g
	}
	for k, v := range w.Roles {
		r := *v
		c.Roles[k] = &r
	}
	for k, v := range w.Logins {
		l := *v
		c.Logins[k] = &l
	}
	for k, v := range w.MFADevices {
		m := *v
		c.MFADevices[k] = &m
	}
	for k, v := range w.VirtualMFADevices {
		if c.VirtualMFADevices == nil {
			c.VirtualMFADevices = map[string]*MFADevice{}
		}
		m := *v
		c.VirtualMFADevices[k] = &m
	}
	for k, v := range w.RecycleBin {
		r := *v
		r.Key = *cloneKey(&v.Key)
		c.RecycleBin[k] = &r
	}
	for k, v := range w.STSTokens {
		t := *v
		c.STSTokens[k] = &t
	}
	c.ECS = cloneECS(w.ECS)
	for _, l := range w.Leaks {
		cp := *l
		c.Leaks = append(c.Leaks, &cp)
	}
	c.Events = cloneEvents(w.Events)
	return c
}

func cloneKey(k *AccessKey) *AccessKey {
	c := *k
	c.Policy = cloneAKPolicy(k.Policy)
	return &c
}

func cloneAKPolicy(p *AKPolicy) *AKPolicy {
	if p == nil {
		return nil
	}
	c := *p
	c.Statements = make([]AKStatement, len(p.Statements))
	for i, st := range p.Statements {
		st.IPList = append([]string(nil), st.IPList...)
		c.Statements[i] = st
	}
	return &c
}

func cloneEvents(evs []Event) []Event {
	out := make([]Event, len(evs))
	for i, e := range evs {
		e.RequestParameters = cloneJSONMap(e.RequestParameters)
		e.ResponseElements = cloneJSONMap(e.ResponseElements)
		if e.ReferencedResources != nil {
			refs := make(map[string][]string, len(e.ReferencedResources))
			for k, v := range e.ReferencedResources {
				refs[k] = append([]string(nil), v...)
			}
			e.ReferencedResources = refs
		}
		out[i] = e
	}
	return out
}

func cloneJSONMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneJSONValue(v)
	}
	return out
}

func cloneJSONValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return cloneJSONMap(t)
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = cloneJSONValue(x)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(t))
		for i, x := range t {
			out[i] = cloneJSONMap(x)
		}
		return out
	case []string:
		return append([]string(nil), t...)
	default:
		return v
	}
}

// canonicalJSON renders the state of w (everything but Events and STS
// tokens) deterministically: maps sorted by key (encoding/json does that),
// attachments sorted, nil collections rendered empty, times in UTC. Equal
// bytes mean equal state.
func canonicalJSON(w *World) []byte {
	c := cloneWorld(w)
	c.Events = nil
	normalizeWorld(c)
	utc := func(t *time.Time) {
		if !t.IsZero() {
			*t = t.UTC()
		}
	}
	for _, u := range c.Users {
		utc(&u.CreateDate)
		utc(&u.UpdateDate)
		utc(&u.LastLoginDate)
	}
	canonKey := func(k *AccessKey) {
		utc(&k.CreateDate)
		utc(&k.UpdateDate)
		if k.Policy != nil {
			for i := range k.Policy.Statements {
				if k.Policy.Statements[i].IPList == nil {
					k.Policy.Statements[i].IPList = []string{}
				}
			}
		}
	}
	for _, k := range c.AccessKeys {
		canonKey(k)
	}
	for _, p := range c.Policies {
		utc(&p.CreateDate)
		utc(&p.UpdateDate)
		if p.Versions == nil {
			p.Versions = []*PolicyVersion{}
		}
		for _, v := range p.Versions {
			utc(&v.CreateDate)
		}
	}
	for i := range c.Attachments {
		utc(&c.Attachments[i].AttachDate)
	}
	if c.Attachments == nil {
		c.Attachments = []Attachment{}
	}
	sort.Slice(c.Attachments, func(i, j int) bool {
		a, b := c.Attachments[i], c.Attachments[j]
		if a.PrincipalType != b.PrincipalType {
			return a.PrincipalType < b.PrincipalType
		}
		if a.PrincipalName != b.PrincipalName {
			return a.PrincipalName < b.PrincipalName
		}
		if a.PolicyType != b.PolicyType {
			return a.PolicyType < b.PolicyType
		}
		return a.PolicyName < b.PolicyName
	})
	for _, g := range c.Groups {
		utc(&g.CreateDate)
		for m, t := range g.Members {
			g.Members[m] = t.UTC()
		}
	}
	for _, r := range c.Roles {
		utc(&r.CreateDate)
		utc(&r.UpdateDate)
	}
	for _, l := range c.Logins {
		utc(&l.CreateDate)
		utc(&l.UpdateDate)
		utc(&l.LastLoginTime)
	}
	for _, m := range c.MFADevices {
		utc(&m.BindDate)
	}
	for _, r := range c.RecycleBin {
		canonKey(&r.Key)
		utc(&r.RecycleDate)
		utc(&r.DeleteDate)
	}
	b, err := json.Marshal(c)
	if err != nil {
		// World holds only JSON-safe values; this cannot happen.
		panic("lab: marshal world state: " + err.Error())
	}
	return b
}

// eventIndex maps AccessKey ids to the positions of their events in
// World.Events (ascending). Appends are indexed incrementally; an
// out-of-order insertion or an Update marks it dirty and it is rebuilt on
// next use.
type eventIndex struct {
	byKey map[string][]int
	n     int // events indexed so far
	dirty bool
}

func (x *eventIndex) sync(evs []Event) {
	if x.dirty || x.byKey == nil || x.n > len(evs) {
		x.byKey = map[string][]int{}
		x.n = 0
		x.dirty = false
	}
	for i := x.n; i < len(evs); i++ {
		if id := evs[i].UserIdentity.AccessKeyID; id != "" {
			x.byKey[id] = append(x.byKey[id], i)
		}
	}
	x.n = len(evs)
}

// keyEvents returns the positions of keyID's events, oldest first.
func (x *eventIndex) keyEvents(evs []Event, keyID string) []int {
	x.sync(evs)
	return x.byKey[keyID]
}

// insertEvent appends ev to w.Events keeping the slice sorted by time (an
// event goes after every event with the same or an earlier time).
func insertEvent(w *World, x *eventIndex, ev Event) {
	n := len(w.Events)
	if n == 0 || !ev.Time.Before(w.Events[n-1].Time) {
		w.Events = append(w.Events, ev)
		return
	}
	i := sort.Search(n, func(i int) bool { return w.Events[i].Time.After(ev.Time) })
	w.Events = append(w.Events, Event{})
	copy(w.Events[i+1:], w.Events[i:])
	w.Events[i] = ev
	x.dirty = true
}

// usedEvent reports whether an event counts as a use of its AccessKey: the
// call authenticated (it may still have been denied by policy, ACL or
// throttling).
func usedEvent(e *Event) bool {
	return e.ErrorCode == "" || !authFailureCodes[e.ErrorCode]
}

// lastUsed returns the newest event that used keyID at or after since, or
// nil.
func lastUsed(w *World, x *eventIndex, keyID string, since time.Time) *Event {
	pos := x.keyEvents(w.Events, keyID)
	for i := len(pos) - 1; i >= 0; i-- {
		e := &w.Events[pos[i]]
		if e.Time.Before(since) {
			return nil
		}
		if usedEvent(e) {
			return e
		}
	}
	return nil
}

// usesSince returns the events that used keyID at or after since, newest
// first.
func usesSince(w *World, x *eventIndex, keyID string, since time.Time) []*Event {
	pos := x.keyEvents(w.Events, keyID)
	var out []*Event
	for i := len(pos) - 1; i >= 0; i-- {
		e := &w.Events[pos[i]]
		if e.Time.Before(since) {
			break
		}
		if usedEvent(e) {
			out = append(out, e)
		}
	}
	return out
}

const (
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	digits     = "0123456789"
)

// randomString returns n characters drawn uniformly from alphabet with
// crypto/rand.
func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("lab: crypto/rand failed: " + err.Error())
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

// randomID returns a numeric id of n digits without a leading zero.
func randomID(n int) string {
	return randomString("123456789", 1) + randomString(digits, n-1)
}

// newAccessKeyID returns an unused permanent AccessKey id: LTAI5t + 18
// alphanumerics (24 characters, section 18).
func newAccessKeyID(w *World) string {
	for {
		id := "LTAI5t" + randomString(alnum, 18)
		if _, used := w.AccessKeys[id]; used {
			continue
		}
		if _, used := w.RecycleBin[id]; used {
			continue
		}
		return id
	}
}

// newUserID returns an unused 16-digit RAM user id.
func newUserID(w *World) string {
	for {
		id := randomID(16)
		if userByID(w, id) == nil {
			return id
		}
	}
}
