package audit

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// minuteEntry is one active minute of one source.
type minuteEntry struct {
	m int32
	c *minuteCell
}

// bySource returns each source's active minutes in time order, by source
// index (nil for a source with none): views of one array, counted first,
// so that a key with thousands of sources does not grow thousands of
// lists (nor a map of them).
func (e *Engine) bySource() [][]minuteEntry {
	end := make([]int, len(e.ipList))
	for _, chunk := range e.hourSlab.used() {
		for j := range chunk {
			ih := &chunk[j]
			end[ih.ip] += int(ih.ncells)
		}
	}
	total := 0
	for i, n := range end {
		total += n
		end[i] = total
	}
	all := make([]minuteEntry, total)
	for _, chunk := range e.hourSlab.used() {
		for j := range chunk {
			ih := &chunk[j]
			for i := range int(ih.ncells) {
				c := ih.cell(i)
				end[ih.ip]--
				all[end[ih.ip]] = minuteEntry{ih.h*60 + int32(c.min), c}
			}
		}
	}
	// end[i] is now where source i's entries start.
	out := make([][]minuteEntry, len(e.ipList))
	for i, start := range end {
		stop := total
		if i+1 < len(end) {
			stop = end[i+1]
		}
		if stop > start {
			l := all[start:stop:stop]
			slices.SortFunc(l, func(a, b minuteEntry) int { return cmp.Compare(a.m, b.m) })
			out[i] = l
		}
	}
	return out
}

func (e *Engine) contextFindings(bl *baselineInfo, src [][]minuteEntry) []*findingBuilder {
	// Side by side, like finalise's groups: CTX-02, -03 and -04 walk
	// every source of a key with thousands.
	return concurrently(
		func() *findingBuilder { return e.keyWide("CTX-01", Critical, &e.root) },
		func() *findingBuilder { return e.offHoursFinding(bl) },
		func() *findingBuilder { return e.unexpectedSources(bl) },
		func() *findingBuilder { return e.concurrentSources(src) },
		e.scannerVerification,
		func() *findingBuilder { return e.keyWide("CTX-06", Critical, &e.protection) },
		func() *findingBuilder { return e.newUserAgents(bl) },
		e.dormantReuse,
		func() *findingBuilder { return e.newRegions(bl) },
	)
}

// keyWide turns a key-wide accumulator into a finding.
func (e *Engine) keyWide(id string, sev Severity, acc *findingAcc) *findingBuilder {
	if acc.n == 0 {
		return nil
	}
	b := newBuilder(id, sev)
	b.n = acc.n
	for ip, n := range acc.ips {
		b.ips[e.ipList[ip].text] += n
	}
	for h := range acc.hours {
		b.hours[h] = struct{}{}
	}
	for _, s := range acc.samples.all() {
		b.evidence(s)
	}
	b.samples.n = acc.samples.n
	return b
}

// offHoursFinding is CTX-02: activity outside business hours, unless the
// key is habitually used at that hour of the week (at least 1 % of its
// baseline calls, on a warm baseline).
func (e *Engine) offHoursFinding(bl *baselineInfo) *findingBuilder {
	loc, bh := e.opts.TZ, e.opts.BusinessHours
	var how [7 * 24]int
	total := 0
	hourOfWeek := func(hb *hourBucket) int {
		return (int(hb.localDay)*24 + int(hb.localMin)/60) % (7 * 24)
	}
	if !bl.cold {
		for h, hb := range e.hours {
			start := int64(h) * int64(time.Hour)
			if start+int64(time.Hour) > bl.statStart && start+int64(time.Hour) <= bl.end { // the hours that overlap the baseline and ended by its end
				how[hourOfWeek(hb)] += int(hb.n)
				total += int(hb.n)
			}
		}
	}
	habit := e.habitualOff(bl)
	b := newBuilder("CTX-02", Low)
	for _, chunk := range e.hourSlab.used() {
		for j := range chunk {
			ih := &chunk[j]
			if ih.firstOff == nil {
				continue
			}
			if total > 0 && how[hourOfWeek(e.hours[ih.h])]*100 >= total {
				continue
			}
			ip := e.ipList[ih.ip]
			// A source that works off hours habitually (a nightly job, a
			// server) is not off its hours.
			if habit[ih.ip] && !ip.flagged {
				continue
			}
			sev := Low
			if ih.offWrites > 0 {
				sev = Medium
			}
			if Severity(ih.offSens) >= High && ip.flagged {
				sev = High
			}
			b.sev = max(b.sev, sev)
			b.n += int(ih.off)
			b.ips[e.ipList[ih.ip].text] += int(ih.off)
			// The range covers every event counted, not only the samples
			// (one per source and hour: "last" was the last hour's first).
			b.span(ih.firstOff.t, max(ih.firstOff.t, int64(ih.h)*int64(time.Hour)+int64(ih.lastOffSec)*int64(time.Second)))
			// One is offered per (source, hour) off hours, 70,000 on a
			// busy key, in the order they were made (mostly time order:
			// each the latest so far, kept for a while): the detail is
			// the event's local time, set once on those kept in the end.
			b.evidence(evSample{evRef: ih.firstOff})
		}
	}
	for i := range b.samples.kept {
		x := &b.samples.kept[i]
		x.detail = "local time " + time.Unix(0, x.t).In(loc).Format("Mon 2006-01-02 15:04 MST")
	}
	if b.n > 0 {
		b.note(fmt.Sprintf("Business hours: %s (%s).", bh, loc))
	}
	return b
}

// unexpectedSources is CTX-03: a source that is new against the baseline or
// outside --trusted-cidr. Host names, "Internal" and private/shared
// addresses seen with a vpcId are skipped; loopback and private addresses
// without a vpcId are judged like any other.
func (e *Engine) unexpectedSources(bl *baselineInfo) *findingBuilder {
	b := newBuilder("CTX-03", Medium)
	// The hours of the sources named, marked once the sources are known
	// (a list of hours per source for every source cost ~3 MB on a busy
	// key, for a few suspects).
	named := make([]bool, len(e.ipList))
	// New sources that only repeat the key's known reads with a known tool
	// (users on the move) are counted separately next to a real suspect.
	roaming := e.rt.roaming
	suspects := 0
	for _, ip := range e.ipList {
		if ip.n > 0 && !ip.internal && (ip.isNew || ip.untrusted) && !roaming[ip] {
			suspects++
		}
	}
	var roamers []string
	unnoted := 0 // suspects beyond maxSourceNotes
	for _, ip := range e.sortedSources() {
		if ip.internal || !(ip.isNew || ip.untrusted) {
			continue
		}
		if suspects > 0 && roaming[ip] {
			b.routineN += ip.n
			roamers = append(roamers, ip.text)
			continue
		}
		if ip.hasSens {
			b.sev = High
		}
		b.n += ip.n
		b.ips[ip.text] += ip.n
		b.subject(ip.text)
		named[ip.idx] = true
		for _, s := range ip.samples.all() {
			b.evidence(s)
		}
		for _, s := range ip.kept.refs {
			b.cite(e, s)
		}
		b.span(ip.first.t, ip.last)
		if len(b.notes) >= maxSourceNotes {
			unnoted++
			continue
		}
		var why []string
		if ip.isNew {
			why = append(why, "first seen "+fmtUTC(ip.first.t)+", after the baseline")
		}
		if ip.untrusted {
			why = append(why, "outside --trusted-cidr")
		}
		if roaming[ip] {
			why = append(why, "only known reads with a known tool")
		}
		b.note(fmt.Sprintf("%s: %s.", ip.text, joinAnd(why)))
	}
	for _, chunk := range e.hourSlab.used() {
		for j := range chunk {
			ih := &chunk[j]
			if named[ih.ip] {
				b.hours[ih.h] = struct{}{}
			}
		}
	}
	if unnoted > 0 {
		b.note(fmt.Sprintf("And %s, seen later (source_ips lists each with its reasons).", plural(unnoted, "more source")))
	}
	if len(roamers) > 0 {
		b.note(fmt.Sprintf("Also new, but only repeating the key's known reads with a known tool (not cited): %s.", listSome(roamers, 5)))
	}
	return b
}

// maxSourceNotes bounds CTX-03's per-source explanations (the earliest
// sources first): a busy key with thousands of new sources made one
// sentence each, half a megabyte of "why".
const maxSourceNotes = 20

// concurrentSources is CTX-04: 3 or more distinct sources within 10
// minutes, or 2 sources in different /16 networks (/48 for IPv6) within 5
// minutes, when at least one of them is new or untrusted. Concurrency among
// known sources only is the key's normal fleet and is not flagged.
func (e *Engine) concurrentSources(src [][]minuteEntry) *findingBuilder {
	b := newBuilder("CTX-04", High)
	any := false
	for _, ip := range e.ipList {
		any = any || (ip.n > 0 && !ip.internal && (ip.isNew || ip.untrusted) && !e.rt.roaming[ip])
	}
	if !any {
		return b // concurrency among known sources is not flagged
	}
	cells := e.cellsByMinute(src, true)
	// The window's sources: per-source cell counts and a member list with
	// O(1) removal.
	count := make([]int32, len(e.ipList))
	pos := make([]int, len(e.ipList))
	var members []*ipAgg
	suspects := 0
	evidencedHour := make([]int32, len(e.ipList)) // last hour evidenced per source, +1
	// The members of one window share its detail: made once per window.
	var lastDetail, lastBefore string
	lastN, lastM := -1, int32(0)
	// Per source, once: roaming (e.rt.roaming) and already named as a
	// subject, so that a window of dozens of sources slid over every
	// active minute does not look each up again.
	roam := make([]bool, len(e.ipList))
	for ip, r := range e.rt.roaming {
		roam[ip.idx] = r
	}
	named := make([]bool, len(e.ipList))
	var known []string // the known sources named, in the order met
	// Events counted per source (b.ips by name once, at the end).
	counted := make([]int, len(e.ipList))
	// A pass over the members names each and offers each flagged one's
	// evidence once per hour: another pass in the same hour with no
	// member joined since changes nothing, and is skipped.
	passHour, joined := int32(-1), false
	j, countedUntil := 0, 0
	for i := range cells {
		for j < len(cells) && cells[j].m < cells[i].m+10 {
			ip := e.ipList[cells[j].ip]
			if count[ip.idx] == 0 {
				pos[ip.idx] = len(members)
				members = append(members, ip)
				joined = true
				if (ip.isNew || ip.untrusted) && !roam[ip.idx] {
					suspects++
				}
			}
			count[ip.idx]++
			j++
		}
		if suspects > 0 && len(members) >= 2 {
			hit := len(members) >= 3
			if !hit {
				// Two sources: flag only within 5 minutes and far apart.
				k := i
				for k < j && cells[k].ip == cells[i].ip {
					k++
				}
				hit = k < j && cells[k].m < cells[i].m+5 && net16(e.ipList[cells[i].ip]) != net16(e.ipList[cells[k].ip])
			}
			if h := cells[i].m / 60; hit && (h != passHour || joined) {
				passHour, joined = h, false
				b.hours[h] = struct{}{}
				for _, ip := range members {
					if evidencedHour[ip.idx] == h+1 {
						continue
					}
					if !named[ip.idx] {
						named[ip.idx] = true
						if (ip.isNew || ip.untrusted) && !roam[ip.idx] {
							b.subject(ip.text)
						} else {
							known = append(known, ip.text) // named after every suspect
						}
					}
					if !ip.flagged || roam[ip.idx] {
						continue
					}
					evidencedHour[ip.idx] = h + 1
					ih := e.ipHours[ipHourKey{ip.idx, h}]
					if ih == nil {
						ih = e.ipHours[ipHourKey{ip.idx, h + 1}] // the source's cells start in the next hour
					}
					if ih != nil {
						m, n := cells[i].m, len(members)
						// The source's earliest kept event inside the
						// window, else its first of the hour, which can
						// precede the window: the detail then says so.
						from := int64(m) * int64(time.Minute)
						ref, before := ip.sampleIn(from, from+int64(10*time.Minute)), false
						if ref == nil {
							ref, before = ih.first, ih.first.t < from
						}
						b.evidenceWith(ref, func() string {
							// Formatted for nearly every offer (they come in
							// time order, each the latest so far): once per
							// window, in one allocation.
							if n != lastN || m != lastM {
								var buf [64]byte
								d := strconv.AppendInt(buf[:0], int64(n), 10)
								d = append(d, " sources within 10 minutes from "...)
								lastDetail = string(time.Unix(0, int64(m)*60e9).UTC().AppendFormat(d, time.RFC3339))
								lastN, lastM, lastBefore = n, m, ""
							}
							if before {
								if lastBefore == "" {
									lastBefore = lastDetail + "; cited: the source's first call of that hour"
								}
								return lastBefore
							}
							return lastDetail
						})
					}
				}
			}
			if hit {
				for _, c := range cells[max(i, countedUntil):j] {
					counted[c.ip] += int(c.c.n)
					if !e.ipList[c.ip].flagged || roam[c.ip] {
						b.routineN += int(c.c.n) // a known source's own use: named, not cited
						continue
					}
					b.n += int(c.c.n)
					at := int64(c.m) * int64(time.Minute)
					b.span(at+int64(c.c.firstSec)*int64(time.Second), at+int64(c.c.lastSec)*int64(time.Second))
				}
				countedUntil = j
			}
		}
		ip := e.ipList[cells[i].ip]
		if count[ip.idx]--; count[ip.idx] == 0 {
			last := members[len(members)-1]
			members[pos[ip.idx]] = last
			pos[last.idx] = pos[ip.idx]
			members = members[:len(members)-1]
			if (ip.isNew || ip.untrusted) && !roam[ip.idx] {
				suspects--
			}
		}
	}
	for idx, n := range counted {
		if n > 0 {
			b.ips[e.ipList[idx].text] += n
		}
	}
	// The new or untrusted sources lead the title (they make the
	// concurrency suspicious; a fleet's thousands of known hosts would
	// hide them), then the known ones.
	named0 := len(b.subjects)
	slices.Sort(b.subjects)
	for _, s := range known {
		b.subject(s)
	}
	slices.Sort(b.subjects[named0:])
	return b
}

// srcCell is one active minute of one source, for CTX-04's window: 16
// bytes (the source by index), ~100,000 of them on a busy key.
type srcCell struct {
	c  *minuteCell
	m  int32
	ip uint32 // ipList index
}

// cellsByMinute returns the active minutes of the sources that are not
// internal in (minute, source index) order. A source has one cell per
// minute, so the order is total. byCount sorts by counting the cells of
// each minute, over the sources in index order (stable), when the minutes
// span no more than about four times as many as there are cells (a busy
// key: ~100,000 cells, and this rule is the longest of the rules running
// side by side); otherwise, and when byCount is false, the cells are
// compared.
func (e *Engine) cellsByMinute(src [][]minuteEntry, byCount bool) []srcCell {
	n, lo, hi := 0, int32(math.MaxInt32), int32(math.MinInt32)
	for idx, l := range src {
		if e.ipList[idx].internal || len(l) == 0 {
			continue
		}
		n += len(l)
		lo, hi = min(lo, l[0].m), max(hi, l[len(l)-1].m) // each list is in time order
	}
	cells := make([]srcCell, 0, n)
	if span := int64(hi) - int64(lo) + 1; !byCount || n == 0 || span > 4*int64(n)+1024 {
		for idx, l := range src {
			ip := e.ipList[idx]
			if ip.internal {
				continue
			}
			for _, me := range l {
				cells = append(cells, srcCell{me.c, me.m, ip.idx})
			}
		}
		slices.SortFunc(cells, func(a, b srcCell) int { return cmp.Or(cmp.Compare(a.m, b.m), cmp.Compare(a.ip, b.ip)) })
		return cells
	}
	// at[k] is where the cells of minute lo+k go, once counted.
	at := make([]int32, hi-lo+2)
	for idx, l := range src {
		if !e.ipList[idx].internal {
			for _, me := range l {
				at[me.m-lo+1]++
			}
		}
	}
	for i := 1; i < len(at); i++ {
		at[i] += at[i-1]
	}
	cells = cells[:n]
	for idx, ip := range e.ipList {
		if ip.internal {
			continue
		}
		for _, me := range src[idx] {
			k := me.m - lo
			cells[at[k]] = srcCell{me.c, me.m, ip.idx}
			at[k]++
		}
	}
	return cells
}

// net16 is the /16 of an IPv4 source or the /48 of an IPv6 one.
func net16(ip *ipAgg) string {
	if ip.addr.Is4() {
		a := ip.addr.As4()
		return fmt.Sprintf("%d.%d", a[0], a[1])
	}
	a := ip.addr.As16()
	return fmt.Sprintf("%x", a[:6])
}

// scannerVerification is CTX-05: a secret scanner's user agent, or a new
// source whose very first call is the classic key check (STS
// GetCallerIdentity, ECS DescribeRegions).
func (e *Engine) scannerVerification() *findingBuilder {
	b := newBuilder("CTX-05", Medium)
	for _, ip := range e.sortedSources() {
		if ip.scanner.n > 0 {
			b.n += ip.scanner.n
			b.ips[ip.text] += ip.scanner.n
			b.subject(ip.text)
			for _, s := range ip.scanner.all() {
				b.evidence(s)
			}
			continue
		}
		if !ip.isNew {
			continue
		}
		name, svc := e.strs.str(ip.first.name), e.strs.str(ip.first.svc)
		if name == "GetCallerIdentity" && svc == "Sts" || name == "DescribeRegions" && svc == "Ecs" {
			b.n++
			b.ips[ip.text]++
			b.subject(ip.text)
			b.evidence(evSample{evRef: &ip.first, detail: "first call from a new source"})
		}
	}
	return b
}

// newUserAgents is CTX-08: a user-agent family never seen before the
// baseline end.
func (e *Engine) newUserAgents(bl *baselineInfo) *findingBuilder {
	b := newBuilder("CTX-08", Low)
	if !bl.hasHistory {
		return b
	}
	for _, f := range e.families {
		if !f.hasEv || f.first.t < bl.end {
			continue
		}
		b.n += f.n
		b.ips[e.strs.str(f.first.ip)] += 0
		b.subject(f.name)
		b.span(f.first.t, f.last)
		b.evidence(evSample{evRef: &f.first, detail: "first use of " + f.name})
	}
	slices.Sort(b.subjects)
	return b
}

// dormantReuse is CTX-09: the first event after 30 days or more without
// any.
func (e *Engine) dormantReuse() *findingBuilder {
	b := newBuilder("CTX-09", Medium)
	hs := make([]int32, 0, len(e.hours))
	for h := range e.hours {
		hs = append(hs, h)
	}
	slices.Sort(hs)
	const gap = 30 * 24
	for i := 1; i < len(hs); i++ {
		if hs[i]-hs[i-1] < gap {
			continue
		}
		hb := e.hours[hs[i]]
		days := (hs[i] - hs[i-1]) / 24
		b.n++
		b.ips[e.strs.str(hb.first.ip)]++
		b.evidence(evSample{evRef: &hb.first, detail: fmt.Sprintf("first event after %d days without any", days)})
	}
	return b
}

// newRegions is COST-02: activity in a region the key never used before the
// baseline end; high when it wrote there.
func (e *Engine) newRegions(bl *baselineInfo) *findingBuilder {
	b := newBuilder("COST-02", Medium)
	if !bl.hasHistory {
		return b
	}
	for name, rg := range e.regions {
		if rg.first.t < bl.end {
			continue
		}
		b.n += rg.n
		b.subject(name)
		b.ips[e.strs.str(rg.first.ip)] += rg.n
		b.span(rg.first.t, rg.last)
		b.evidence(evSample{evRef: &rg.first, detail: "first call in region " + name})
		if rg.hasWrite {
			b.sev = High
			b.evidence(evSample{evRef: &rg.firstWrite, detail: "first write in region " + name})
		}
	}
	slices.Sort(b.subjects)
	return b
}

// chainFindings are PERS-04 (account takeover chain) and PERS-05 (an
// identity the key created, in use).
func (e *Engine) chainFindings() []*findingBuilder {
	created := e.sortedCreated()
	chain := newBuilder("PERS-04", Critical)
	const window = int64(30 * time.Minute)
	for _, u := range created {
		if u.Kind != KindUser {
			continue
		}
		var cred, attach *createdRec
		for i := range created {
			c := &created[i]
			if c.ref.t < u.ref.t || c.ref.t > u.ref.t+window {
				continue
			}
			switch {
			case cred == nil && (c.Kind == KindLoginProfile || c.Kind == KindAccessKey) && c.User == u.Name:
				cred = c
			case attach == nil && c.Kind == KindPolicyAttachment && c.PrincipalType == "User" && c.User == u.Name:
				attach = c
			}
		}
		if cred == nil || attach == nil {
			continue
		}
		chain.subject(u.Name)
		for _, c := range []*createdRec{&u, cred, attach} {
			chain.event(e, c.ref)
		}
	}

	inUse := newBuilder("PERS-05", Critical)
	for _, c := range created {
		var p *principalAgg
		switch c.Kind {
		case KindUser:
			p = e.otherUsers[c.Name]
		case KindAccessKey:
			if c.Name != "" {
				p = e.otherKeys[c.Name]
			}
		}
		if p == nil {
			continue
		}
		kept := p.samples.all()
		before := 0
		for _, s := range kept {
			if s.t < c.ref.t {
				before++
				continue
			}
			inUse.evidence(s)
			inUse.ips[e.strs.str(s.ip)]++
		}
		if n := p.samples.n - before; n > 0 && len(kept) > before {
			inUse.n += n
			inUse.subject(c.Name)
		}
	}
	return []*findingBuilder{chain, inUse}
}

// sortedCreated returns the created identities in time order, duplicates
// (same kind, name, user) folded into the earliest.
//
// Once Result has begun (e.done) the list is made once and shared: the
// rules, the result and the follow passes each ask for it, and a key that
// created thousands of identities made a copy each time. Callers must not
// change it.
func (e *Engine) sortedCreated() []createdRec {
	if !e.done {
		return e.sortCreated()
	}
	e.createdOnce.Do(func() { e.createdSorted = e.sortCreated() })
	return e.createdSorted
}

func (e *Engine) sortCreated() []createdRec {
	out := slices.Clone(e.created)
	slices.SortFunc(out, func(a, b createdRec) int {
		return cmp.Or(cmpSample(a.ref, b.ref), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	})
	type key struct{ kind, name, user, pt string }
	seen := make(map[key]bool, len(out)) // thousands for a busy attacker: no growing
	n := 0
	for _, c := range out {
		k := key{c.Kind, c.Name, c.User, c.PrincipalType}
		if c.Name != "" && seen[k] {
			continue
		}
		seen[k] = true
		out[n] = c
		n++
	}
	return out[:n]
}

// useAfterLeak is USE-AFTER-LEAK: every use at or after LeakTime from a new
// or untrusted source (medium); info when only known sources used it.
func (e *Engine) useAfterLeak() *findingBuilder {
	if !e.hasLeak {
		return nil
	}
	bad := newBuilder("USE-AFTER-LEAK", Medium)
	known := newBuilder("USE-AFTER-LEAK", Info)
	for _, ip := range e.sortedSources() {
		if ip.afterLeak.n == 0 {
			continue
		}
		b := known
		if !ip.internal && (ip.isNew || ip.untrusted) {
			b = bad
		}
		b.n += ip.afterLeak.n
		b.ips[ip.text] += ip.afterLeak.n
		b.subject(ip.text)
		for _, s := range ip.afterLeak.all() {
			b.evidence(s)
		}
		if b == bad {
			for _, s := range ip.kept.refs {
				if s.t >= e.leak {
					b.cite(e, s)
				}
			}
		}
	}
	if bad.n > 0 {
		return bad
	}
	if known.n > 0 {
		known.note("Only sources known before the leak time used the key after it.")
	}
	return known
}

// sortedSources returns the key's sources in a stable order.
// sortedSources returns the sources that made calls, by first call then
// address. Once the engine is done the list is made once (the rules and
// summaries that walk it run side by side; each used to sort its own copy
// of a busy key's thousands): callers only read it.
func (e *Engine) sortedSources() []*ipAgg {
	if !e.done {
		return e.sortSources()
	}
	e.sourcesOnce.Do(func() { e.sourcesSorted = e.sortSources() })
	return e.sourcesSorted
}

func (e *Engine) sortSources() []*ipAgg {
	out := make([]*ipAgg, 0, len(e.ipList))
	for _, ip := range e.ipList {
		if ip.n > 0 {
			out = append(out, ip)
		}
	}
	slices.SortFunc(out, func(a, b *ipAgg) int { return cmp.Or(cmp.Compare(a.first.t, b.first.t), cmp.Compare(a.text, b.text)) })
	return out
}

func fmtUTC(t int64) string { return time.Unix(0, t).UTC().Format(time.RFC3339) }

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	out := ""
	for i, p := range parts {
		switch {
		case i == 0:
			out = p
		case i == len(parts)-1:
			out += " and " + p
		default:
			out += ", " + p
		}
	}
	return out
}

// sampleIn returns the source's earliest kept sample at or after from and
// before to (UnixNano), or nil.
func (ip *ipAgg) sampleIn(from, to int64) *evRef {
	for _, s := range ip.samples.kept { // ascending
		switch {
		case s.t >= to:
			return nil
		case s.t >= from:
			return s.evRef
		}
	}
	return nil
}
