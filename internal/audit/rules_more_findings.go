package audit

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// moreFindings evaluates the sequence, window and hourly rules added for
// issue 13 over the bookkeeping of rules_more_events.go.
func (e *Engine) moreFindings(bl *baselineInfo) []*findingBuilder {
	m := e.more
	if m == nil {
		return nil
	}
	by := map[moreKind][]*moreRec{}
	for i := range m.recs {
		r := &m.recs[i]
		by[r.kind] = append(by[r.kind], r)
	}
	for _, l := range by {
		slices.SortFunc(l, func(a, b *moreRec) int { return cmpSample(a.ref, b.ref) })
	}
	return []*findingBuilder{
		e.stsOutside(bl, m, by),
		e.commandErased(bl, by),
		e.batchCommands(bl, by),
		e.networkBackDoor(bl, by),
		e.bulkDownload(bl, m),
		e.dataLeaves(bl, by),
		e.balanceThenSpend(bl, by),
		e.servicesStopped(bl, by),
		e.traceCleanup(bl, by),
	}
}

// firing is one match of a sequence or window rule: the calls it cites.
type firing struct {
	recs    []*moreRec
	subject string
	note    string
}

// fold turns a rule's firings into its finding, judging routine like the
// table rules (routine.go): firings of one source network on at least
// routineMinDays days spanning routineMinSpanDays are the key's routine,
// counted in routine_count and not cited, except on days that depart from
// it (more volume, a new target). Sources outside --trusted-cidr and
// scanner sources are never routine.
func (e *Engine) fold(id string, sev Severity, fs []firing) *findingBuilder {
	b := newBuilder(id, sev)
	groups := map[string]*routineGroup{}
	groupOf := func(f *firing) (*routineGroup, int32) {
		ip := f.recs[0].ip
		if ip.untrusted || ip.scanner.n > 0 {
			return nil, 0
		}
		net := netOf(ip)
		g := groups[net]
		if g == nil {
			g = &routineGroup{net: net, days: map[int32]int32{}, targets: map[string]int32{}, depart: map[int32]bool{}}
			groups[net] = g
		}
		return g, int32(floorDiv(f.recs[0].ref.t, dayNs))
	}
	for i := range fs {
		g, d := groupOf(&fs[i])
		if g == nil {
			continue
		}
		g.days[d] += int32(len(fs[i].recs))
		if t := fs[i].subject; t != "" {
			if f, ok := g.targets[t]; !ok || d < f {
				g.targets[t] = d
			}
		}
	}
	for _, g := range groups {
		g.judge()
	}
	cited := map[*moreRec]bool{}
	counted := map[*moreRec]bool{}
	for i := range fs {
		f := &fs[i]
		if g, d := groupOf(f); g != nil && g.routine && !g.depart[d] {
			for _, r := range f.recs {
				if !counted[r] && !cited[r] {
					counted[r] = true
					b.routineN++
				}
			}
			continue
		}
		for _, r := range f.recs {
			if !cited[r] {
				cited[r] = true
				b.event(e, r.ref)
			}
		}
		b.subject(f.subject)
		if f.note != "" {
			b.note(f.note)
		}
	}
	if b.n == 0 {
		return nil // nothing but routine
	}
	return b
}

func sameID(a, b string) bool { return a == "" || b == "" || a == b }

// EXEC-02: CreateCommand -> InvokeCommand -> DescribeInvocationResults ->
// DeleteCommand within 30 minutes.
func (e *Engine) commandErased(bl *baselineInfo, by map[moreKind][]*moreRec) *findingBuilder {
	const window = int64(30 * time.Minute)
	var fs []firing
	creates, invokes, results := by[mkCreateCmd], by[mkInvokeCmd], by[mkCmdResults]
	for _, d := range by[mkDeleteCmd] {
		for _, cr := range creates {
			if cr.ref.t > d.ref.t || cr.ref.t < d.ref.t-window || !sameID(cr.id, d.id) {
				continue
			}
			id := cmp.Or(cr.id, d.id)
			var inv, res *moreRec
			for _, i := range invokes {
				if i.ref.t >= cr.ref.t && i.ref.t <= d.ref.t && sameID(i.id, id) {
					inv = i
					break
				}
			}
			if inv == nil {
				continue
			}
			id = cmp.Or(id, inv.id)
			for _, r := range results {
				if r.ref.t >= inv.ref.t && r.ref.t <= d.ref.t && sameID(r.id, id) {
					res = r
					break
				}
			}
			if res == nil {
				continue
			}
			fs = append(fs, firing{recs: []*moreRec{cr, inv, res, d}, subject: cmp.Or(id, firstOf(inv.inst))})
			break
		}
	}
	return e.fold("EXEC-02", High, fs)
}

func firstOf(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}

// bySourceRecs groups calls by source, in time order.
func bySourceRecs(rs []*moreRec) ([]*ipAgg, map[*ipAgg][]*moreRec) {
	out := map[*ipAgg][]*moreRec{}
	var order []*ipAgg
	for _, r := range rs {
		if out[r.ip] == nil {
			order = append(order, r.ip)
		}
		out[r.ip] = append(out[r.ip], r)
	}
	for _, l := range out {
		slices.SortFunc(l, func(a, b *moreRec) int { return cmpSample(a.ref, b.ref) })
	}
	slices.SortFunc(order, func(a, b *ipAgg) int { return strings.Compare(a.text, b.text) })
	return order, out
}

// windowOf returns the calls of l from index i within d of l[i].
func windowOf(l []*moreRec, i int, d time.Duration) []*moreRec {
	j := i
	for j < len(l) && l[j].ref.t < l[i].ref.t+int64(d) {
		j++
	}
	return l[i:j]
}

// EXEC-04: one invocation on 5 or more instances, or 5 or more invocations
// within 10 minutes from one source (windows do not overlap).
func (e *Engine) batchCommands(bl *baselineInfo, by map[moreKind][]*moreRec) *findingBuilder {
	var fs []firing
	all := append(slices.Clone(by[mkInvokeCmd]), by[mkRunCmd]...)
	order, src := bySourceRecs(all)
	for _, ip := range order {
		l := src[ip]
		for _, r := range l {
			if len(r.inst) >= batchInstances {
				fs = append(fs, firing{recs: []*moreRec{r}, subject: ip.text,
					note: fmt.Sprintf("One invocation targeted %d or more instances.", batchInstances)})
			}
		}
		for i := 0; i < len(l); {
			w := windowOf(l, i, 10*time.Minute)
			if len(w) < batchInvocations {
				i++
				continue
			}
			fs = append(fs, firing{recs: w, subject: ip.text,
				note: fmt.Sprintf("%d or more invocations within 10 minutes from one source.", batchInvocations)})
			i += len(w)
		}
	}
	return e.fold("EXEC-04", High, fs)
}

// PERS-08: VPN, port forwarding, and an EIP allocated then associated.
func (e *Engine) networkBackDoor(bl *baselineInfo, by map[moreKind][]*moreRec) *findingBuilder {
	var fs []firing
	for _, r := range by[mkNetDoor] {
		fs = append(fs, firing{recs: []*moreRec{r}, subject: e.strs.str(r.ref.name)})
	}
	for _, a := range by[mkEipAlloc] {
		for _, s := range by[mkEipAssoc] {
			if s.ref.t < a.ref.t || !sameID(a.id, s.id) {
				continue
			}
			fs = append(fs, firing{recs: []*moreRec{a, s}, subject: "EIP " + cmp.Or(a.id, s.id)})
			break
		}
	}
	return e.fold("PERS-08", Medium, fs)
}

// EXFIL-01: bulk downloads per clock hour.
func (e *Engine) bulkDownload(bl *baselineInfo, m *moreState) *findingBuilder {
	b := newBuilder("EXFIL-01", High)
	if len(m.gets) == 0 {
		return b
	}
	peak, peakBuckets := 0, 0
	hours := make([]int32, 0, len(m.gets))
	for h, gh := range m.gets {
		hours = append(hours, h)
		if bl.hasHistory && int64(h+1)*int64(time.Hour) <= bl.end {
			peak = max(peak, gh.n)
			peakBuckets = max(peakBuckets, gh.buckets.len())
		}
	}
	slices.Sort(hours)
	threshold := max(bulkGetFloor, bulkGetFactor*peak)
	for _, h := range hours {
		gh := m.gets[h]
		if bl.hasHistory && int64(h+1)*int64(time.Hour) <= bl.end {
			continue // a baseline hour
		}
		volume := gh.n >= threshold
		nb := gh.buckets.len()
		sweep := false
		if nb >= bulkBuckets {
			newBucket := !bl.hasHistory
			gh.buckets.each(func(id uint32) {
				if first, ok := m.bucketFirst[id]; ok && first >= bl.end {
					newBucket = true
				}
			})
			sweep = newBucket || nb > peakBuckets
		}
		if !volume && !sweep {
			continue
		}
		hourStart := time.Unix(int64(h)*3600, 0).UTC().Format("2006-01-02 15:04")
		switch {
		case volume:
			b.note(fmt.Sprintf("%d downloads in the hour from %s UTC (threshold %d).", gh.n, hourStart, threshold))
		default:
			b.note(fmt.Sprintf("Objects from %d buckets in the hour from %s UTC.", nb, hourStart))
		}
		b.n += gh.n
		b.hours[h] = struct{}{}
		// (An hour's first download always has its source: observeGet
		// keeps up to maxGetSources of them, so srcs is never empty and
		// the evidence below spans the finding.)
		srcs := slices.Clone(gh.srcs)
		slices.SortFunc(srcs, func(a, b getSrc) int { return cmp.Or(cmp.Compare(b.n, a.n), strings.Compare(a.ip.text, b.ip.text)) })
		// Source-aware: when a flagged source downloaded in the hour, the
		// other sources' downloads are counted as routine, not cited.
		anyFlagged := false
		for _, s := range srcs {
			anyFlagged = anyFlagged || s.ip.flagged
		}
		counted := 0
		for _, s := range srcs {
			counted += s.n
			if anyFlagged && !s.ip.flagged {
				b.routineN += s.n
				b.n -= s.n
				continue
			}
			b.ips[s.ip.text] += s.n
			for _, x := range s.samples.all() {
				b.evidence(x)
			}
		}
		if rest := gh.n - counted; rest > 0 {
			b.note(fmt.Sprintf("%d downloads of that hour came from sources beyond the %d followed per hour.", rest, maxGetSources))
		}
		var names []string
		gh.buckets.each(func(id uint32) { names = append(names, e.strs.str(id)) })
		slices.Sort(names)
		for _, n := range names {
			b.subject(n)
		}
	}
	return b
}

// EXFIL-03: images shared, exported or copied to a new region; database
// backups made and listed; databases cloned.
func (e *Engine) dataLeaves(bl *baselineInfo, by map[moreKind][]*moreRec) *findingBuilder {
	const window = int64(30 * time.Minute)
	var fs []firing
	one := func(r *moreRec, subject string) {
		fs = append(fs, firing{recs: []*moreRec{r}, subject: subject})
	}
	for _, r := range by[mkImageShare] {
		one(r, "image shared with "+r.id)
	}
	for _, r := range by[mkImageExport] {
		one(r, cmp.Or(r.id, "image")+" exported")
	}
	for _, r := range by[mkImageCopy] {
		if r.id == "" {
			continue
		}
		if rg := e.regions[r.id]; bl.hasHistory && rg != nil && rg.first.t < bl.end {
			continue // a region the key already used
		}
		one(r, "image copied to "+r.id)
	}
	for _, r := range by[mkClone] {
		one(r, cmp.Or(r.id, "database")+" cloned")
	}
	for _, bk := range by[mkBackup] {
		for _, d := range by[mkDescribeBackups] {
			if d.ref.t < bk.ref.t || d.ref.t > bk.ref.t+window || !sameID(bk.id, d.id) {
				continue
			}
			fs = append(fs, firing{recs: []*moreRec{bk, d}, subject: cmp.Or(bk.id, d.id, "database") + " backed up"})
			break
		}
	}
	return e.fold("EXFIL-03", High, fs)
}

// COST-04: a balance or bill query, then compute creation within an hour.
func (e *Engine) balanceThenSpend(bl *baselineInfo, by map[moreKind][]*moreRec) *findingBuilder {
	var fs []firing
	bal := by[mkBalance]
	for _, s := range by[mkSpend] {
		var q *moreRec
		for _, b := range bal {
			if b.ref.t <= s.ref.t && s.ref.t <= b.ref.t+int64(time.Hour) {
				q = b // the latest query before the spend
			}
		}
		if q == nil {
			continue
		}
		fs = append(fs, firing{recs: []*moreRec{q, s}, subject: e.strs.str(q.ref.name) + " then " + e.strs.str(s.ref.name)})
	}
	return e.fold("COST-04", Medium, fs)
}

// DEST-07: 3 or more instances stopped within 10 minutes from one source
// (windows do not overlap).
func (e *Engine) servicesStopped(bl *baselineInfo, by map[moreKind][]*moreRec) *findingBuilder {
	var fs []firing
	order, src := bySourceRecs(by[mkStop])
	for _, ip := range order {
		l := src[ip]
		for i := 0; i < len(l); {
			w := windowOf(l, i, 10*time.Minute)
			set := map[string]bool{}
			for _, r := range w {
				if len(r.inst) == 0 {
					set[fmt.Sprintf("?%p", r)] = true // an unlogged instance
				}
				for _, id := range r.inst {
					set[id] = true
				}
			}
			if len(set) < stopInstances {
				i++
				continue
			}
			fs = append(fs, firing{recs: w, subject: ip.text,
				note: fmt.Sprintf("%d or more instances stopped within 10 minutes.", stopInstances)})
			i += len(w)
		}
	}
	return e.fold("DEST-07", Medium, fs)
}

// EVADE-07: a command deleted soon after it ran; a user the key created,
// deleted.
func (e *Engine) traceCleanup(bl *baselineInfo, by map[moreKind][]*moreRec) *findingBuilder {
	const window = int64(10 * time.Minute)
	var fs []firing
	for _, d := range by[mkDeleteCmd] {
		for _, i := range by[mkInvokeCmd] {
			if i.ref.t > d.ref.t || d.ref.t > i.ref.t+window || !sameID(i.id, d.id) {
				continue
			}
			fs = append(fs, firing{recs: []*moreRec{i, d}, subject: "command " + cmp.Or(d.id, i.id)})
			break
		}
	}
	created := map[string]int64{}
	for _, cr := range e.created {
		if cr.Kind == KindUser {
			if t, ok := created[cr.Name]; !ok || cr.ref.t < t {
				created[cr.Name] = cr.ref.t
			}
		}
	}
	for _, d := range by[mkDeleteUser] {
		if t, ok := created[d.id]; ok && d.ref.t >= t {
			fs = append(fs, firing{recs: []*moreRec{d}, subject: "user " + d.id})
		}
	}
	return e.fold("EVADE-07", Medium, fs)
}

// CTX-07: STS credentials of a role the key assumed or an instance role
// it touched, used from a public source that is not the role's own.
func (e *Engine) stsOutside(bl *baselineInfo, m *moreState, by map[moreKind][]*moreRec) *findingBuilder {
	b := newBuilder("CTX-07", High)
	assumed := map[string]*moreRec{}
	instRoles := map[string]bool{}
	for _, r := range by[mkAssumeRole] {
		if r.id != "" && !r.failed {
			assumed[r.id] = r
		}
	}
	for _, k := range []moreKind{mkAttachRole, mkDescribeRole, mkMetaRead} {
		for _, r := range by[k] {
			if r.role != "" {
				instRoles[r.role] = true
			}
		}
	}
	reads := by[mkMetaRead]
	// Instances whose metadata credentials the key read: a session named
	// after one is that instance's role, even when the command did not
	// name the role (it listed them).
	metaInst := map[string]bool{}
	for _, r := range reads {
		for _, id := range r.inst {
			metaInst[id] = true
		}
	}
	// pivot is the earliest metadata read that could have yielded role's
	// credentials.
	pivot := func(role string) (*moreRec, bool) {
		for _, r := range reads {
			if r.role == "" || r.role == role {
				return r, true
			}
		}
		return nil, false
	}
	// Home sources: what the role's sessions used before the pivot.
	home := map[string]map[string]bool{}
	keys := make([]string, 0, len(m.sts))
	for k := range m.sts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	roleOf := func(a *stsAgg) (role, session string) {
		r, s, _ := strings.Cut(a.user, ":")
		return strings.ToLower(r), s
	}
	refTime := func(role string) int64 {
		if r, ok := pivot(role); ok {
			return r.ref.t
		}
		return bl.end
	}
	for _, k := range keys {
		a := m.sts[k]
		role, _ := roleOf(a)
		ref := refTime(role)
		for ip, s := range a.srcs {
			if s.first < ref {
				if home[role] == nil {
					home[role] = map[string]bool{}
				}
				home[role][ip] = true
			}
		}
	}
	for _, k := range keys {
		a := m.sts[k]
		role, session := roleOf(a)
		_, wasAssumed := assumed[k]
		if !wasAssumed && !(role != "" && instRoles[role]) && !metaInst[session] {
			continue
		}
		ips := make([]string, 0, len(a.srcs))
		for ip := range a.srcs {
			ips = append(ips, ip)
		}
		slices.Sort(ips)
		for _, ip := range ips {
			s := a.srcs[ip]
			if home[role][ip] || !e.outsideAddress(ip, s.vpc) {
				continue
			}
			if own := e.ips[ip]; own != nil && !own.isNew && !own.untrusted { // (every source of the key has events)
				continue // a source the key itself uses routinely
			}
			sev := High
			if r, ok := pivot(role); ok && r.ref.t <= s.first {
				sev = Critical
				b.evidence(r.ref)
				b.note("The key read instance credentials through Cloud Assistant (EXEC-03) before this use.")
			}
			b.sev = max(b.sev, sev)
			b.n += s.n
			b.ips[ip] += s.n
			b.subject(cmp.Or(role, session, k) + " from " + ip)
			for _, x := range s.samples.all() {
				b.evidence(x)
			}
		}
	}
	// The audited key is itself the STS key of an instance role (or of a
	// session named after an instance).
	if m.selfSTS {
		r, session, _ := strings.Cut(m.selfUser, ":")
		role := strings.ToLower(r)
		if instRoles[role] || strings.HasPrefix(session, "i-") {
			for _, ip := range e.sortedSources() {
				if ip.internal || !(ip.isNew || ip.untrusted) || !e.outsideAddress(ip.text, ip.vpcN > 0) {
					continue
				}
				b.n += ip.n
				b.ips[ip.text] += ip.n
				b.subject(cmp.Or(role, session) + " from " + ip.text)
				for _, x := range ip.samples.all() {
					b.evidence(x)
				}
			}
		}
	}
	return b
}

// outsideAddress reports whether a source address is public and not
// trusted: not a host name or "Internal", not Alibaba's 100.64.0.0/10, not a
// private address seen with a vpcId, not in --trusted-cidr or the fence.
// Loopback and private addresses without a vpcId count as public, as for
// CTX-03.
func (e *Engine) outsideAddress(text string, vpc bool) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(text))
	if err != nil || a.Zone() != "" {
		return false
	}
	a = a.Unmap()
	if cgnat.Contains(a) || vpc && a.IsPrivate() {
		return false
	}
	for _, p := range e.trustedPrefixes() {
		if p.Contains(a) {
			return false
		}
	}
	return true
}
