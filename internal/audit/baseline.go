package audit

import (
	"cmp"
	"net/netip"
	"slices"
	"time"
)

// The baseline is the key's own history before anything suspicious
// happened. Every "new" judgement (source IP, API, service, region, user
// agent) and the call-rate statistics compare against it.
//
// Its end is chosen, in order:
//
//  1. LeakTime, when the caller knows it (basis "leak_time").
//  2. The onset of the incident (basis "onset"): among the sources that did
//     something an attacker does (a high-severity sensitive write, a
//     secret-scanner user agent, a call Alibaba refused for leakage risk),
//     the earliest first appearance. The attacker's quiet reconnaissance
//     before its first write therefore counts as "after". An established
//     source (active on at least establishedDays days, over more than
//     establishedSpan, before its first such call: the office, the
//     application) whose first such call came after a source that is not
//     established first appeared does not count: the incident had started,
//     and one sensitive write by the key's own office must not make a
//     month of its history "after" and itself "new". When that leaves no
//     history at all (the suspicious source was there from the start,
//     e.g. an admin key), the end is the first suspicious event itself.
//  3. Otherwise (basis "history"), the first BaselineDays of the window, but
//     never more than half of it, so that a short trail still has a part to
//     judge. A window shorter than an hour is all baseline: nothing in it is
//     "new".
//
// Known = seen at any time before the end. The call-rate statistics
// (ANOM-01..03) use the BaselineDays before the end; they fall back to
// static ceilings when that holds less than 72 hours or fewer than 50
// events (cold start).
type baselineInfo struct {
	end        int64
	basis      string
	hasHistory bool  // some events came before end
	events     int   // events in whole minutes before end
	statStart  int64 // start of the statistics window
	cold       bool
}

const (
	coldStartSpan   = 72 * time.Hour
	coldStartEvents = 50
)

// A suspicious source is established when it was active on at least
// establishedDays distinct days (UTC) spanning more than establishedSpan
// before its first suspicious call: an attacker's probe or two days before
// its first write is not. (computeBaseline: an established source's call
// after a newcomer's first appearance does not set the onset.)
const (
	establishedDays = 3
	establishedSpan = 72 * time.Hour
)

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// classifySources sets the per-source facts that do not depend on the
// baseline: internal and trusted.
func (e *Engine) classifySources() {
	for _, ip := range e.ipList {
		if ip.overflow {
			// Sources beyond maxSources: unknown, never vouched for.
			ip.internal, ip.trusted, ip.untrusted = false, false, true
			continue
		}
		ip.internal = !ip.isIP || (ip.vpcN > 0 && ip.vpcN == ip.n && (ip.addr.IsPrivate() || cgnat.Contains(ip.addr)))
		if ip.isIP {
			for _, p := range e.trustedPrefixes() {
				if p.Contains(ip.addr) {
					ip.trusted = true
					break
				}
			}
		}
		ip.untrusted = len(e.opts.TrustedCIDRs) > 0 && !ip.internal && !ip.trusted
		if ip.isIP && slices.Contains(e.opts.KnownAttackers, ip.addr) && !slices.ContainsFunc(e.opts.TrustedCIDRs, func(p netip.Prefix) bool { return p.Contains(ip.addr) }) {
			// The attacker of the key that created this one: untrusted
			// even inside the record's fence or suggested trust (only the
			// user's own --trusted-cidr says otherwise).
			ip.trusted, ip.untrusted = false, true
		}
	}
}

func (e *Engine) computeBaseline() baselineInfo {
	days := int64(e.opts.BaselineDays) * int64(24*time.Hour)
	var bl baselineInfo
	if e.events == 0 {
		bl.basis = "none"
		bl.cold = true
		return bl
	}
	switch {
	case e.hasLeak:
		bl.end, bl.basis = e.leak, "leak_time"
	default:
		var firstSeen, firstOnset int64
		found := false
		// The first appearance of the suspicious sources that are not
		// established: once one of them started the incident, an
		// established source's later sensitive call does not move the
		// onset back to its own first appearance.
		established := e.establishedSources()
		var newcomer int64
		hasNewcomer, counted := false, false
		for _, ip := range e.ipList {
			if ip.hasOnset && !ip.internal && ip.n > 0 && !established[ip.idx] && (!hasNewcomer || ip.first.t < newcomer) {
				newcomer, hasNewcomer = ip.first.t, true
			}
		}
		for _, ip := range e.ipList {
			if !ip.hasOnset || ip.internal || ip.n == 0 {
				continue
			}
			if (!established[ip.idx] || !hasNewcomer || ip.onset < newcomer) && (!counted || ip.first.t < firstSeen) {
				firstSeen, counted = ip.first.t, true
			}
			if !found || ip.onset < firstOnset {
				firstOnset = ip.onset
			}
			found = true
		}
		switch {
		case found && e.minT < firstSeen:
			bl.end, bl.basis = firstSeen, "onset"
		case found:
			bl.end, bl.basis = firstOnset, "onset"
		default:
			span := e.maxT - e.minT
			if span < int64(time.Hour) {
				bl.end = e.maxT + 1
			} else {
				bl.end = e.minT + min(days, span/2)
			}
			bl.basis = "history"
		}
	}
	bl.hasHistory = e.minT < bl.end
	if !bl.hasHistory {
		bl.basis = "none"
	}
	bl.statStart = max(bl.end-days, e.minT)
	endMinute := floorDiv(bl.end, int64(time.Minute))
	for _, chunk := range e.hourSlab.used() {
		for j := range chunk {
			ih := &chunk[j]
			for i := range int(ih.ncells) {
				if c := ih.cell(i); int64(ih.h)*60+int64(c.min) < endMinute {
					bl.events += int(c.n)
				}
			}
		}
	}
	bl.cold = !bl.hasHistory || bl.end-bl.statStart < int64(coldStartSpan) || bl.events < coldStartEvents
	return bl
}

// establishedSources returns the suspicious sources (hasOnset) that were
// active on at least establishedDays days spanning more than
// establishedSpan before their first suspicious call, by ipList index.
// It reads the (source, hour) aggregates once; a source whose hours were
// cut by maxSourceHours counts fewer days (never established by mistake).
func (e *Engine) establishedSources() map[uint32]bool {
	var cand map[uint32]bool
	for _, ip := range e.ipList {
		if ip.hasOnset && !ip.internal && !ip.overflow && ip.n > 0 && ip.onset-ip.first.t > int64(establishedSpan) {
			if cand == nil {
				cand = map[uint32]bool{}
			}
			cand[ip.idx] = true
		}
	}
	if cand == nil {
		return nil
	}
	type sourceDay struct {
		ip  uint32
		day int32
	}
	days := map[sourceDay]bool{}
	count := map[uint32]int{}
	for h, hb := range e.hours {
		day := int32(floorDiv(int64(h), 24))
		for _, idx := range hb.ips {
			if !cand[idx] || int64(h)*int64(time.Hour) >= e.ipList[idx].onset {
				continue
			}
			if k := (sourceDay{idx, day}); !days[k] {
				days[k] = true
				count[idx]++
			}
		}
	}
	out := map[uint32]bool{}
	for idx := range cand {
		if count[idx] >= establishedDays {
			out[idx] = true
		}
	}
	return out
}

// attacker reports whether the source's calls are the attacker's
// (IPSummary.Attacker): flagged as new, untrusted or a scanner. A source
// known before the baseline end and flagged only for a sensitive write is
// the owners' own administration while the incident has such an attacker
// of its own; without one (the attacker was there from the window's
// start), every flagged source is (Engine.judgeSources).
func (ip *ipAgg) attacker() bool { return ip.isAttacker }

// newcomerAttacker is the strict part of attacker: flagged for what an
// attacker is, not only for a sensitive write.
func (ip *ipAgg) newcomerAttacker() bool {
	return ip.flagged && !ip.internal && (ip.isNew || ip.untrusted || ip.scanner.n > 0 || ip.overflow)
}

// judgeSources sets new/flagged once the baseline is known.
func (e *Engine) judgeSources(bl *baselineInfo) {
	for _, ip := range e.ipList {
		if ip.n == 0 && !ip.overflow {
			continue
		}
		// A source inside --trusted-cidr (or the incident's fence) is the
		// owners' wherever it first appears: an address of their fleet
		// seen for the first time after the onset is not the attacker's
		// (the catalogue's CTX-03: not in allowlisted CIDRs).
		ip.isNew = ip.overflow || (!ip.internal && !ip.trusted && ip.first.t >= bl.end)
		// A source that made a sensitive write or used a scanner is never
		// vouched for, even when it was there from the start.
		ip.flagged = !ip.internal && (ip.isNew || ip.untrusted || ip.hasOnset)
	}
	any := false
	for _, ip := range e.ipList {
		ip.isAttacker = ip.newcomerAttacker()
		any = any || ip.isAttacker
	}
	if !any {
		for _, ip := range e.ipList {
			ip.isAttacker = ip.flagged && !ip.internal
		}
	}
}

// suggestTrusted returns the sources to keep allowed when fencing the key:
// every address that used it before the cut-off (LeakTime, else the baseline
// end) and was never flagged, as a /32 (/128). Addresses are not merged
// into wider blocks: an allow list should name what was seen, and the
// operator can widen it knowingly. Sources seen only inside a VPC are left
// out (a ClassicWhiteList entry does not apply to them), and so is any
// source that made a sensitive write or used a scanner user agent.
// --trusted-cidr blocks are always included.
func (e *Engine) suggestTrusted(bl *baselineInfo) []string {
	var out []netip.Prefix
	seen := map[netip.Prefix]bool{}
	for _, p := range e.trustedPrefixes() {
		p = p.Masked()
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	cut := bl.end
	for _, ip := range e.ipList {
		if ip.n == 0 || ip.internal || ip.flagged || !ip.isIP || ip.first.t >= cut {
			continue
		}
		covered := false
		for _, p := range e.trustedPrefixes() {
			if p.Contains(ip.addr) {
				covered = true
			}
		}
		if covered {
			continue
		}
		p := netip.PrefixFrom(ip.addr, ip.addr.BitLen())
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sortPrefixes(out)
	s := make([]string, len(out))
	for i, p := range out {
		s[i] = p.String()
	}
	return s
}

// sortPrefixes orders prefixes by address, then by length (n log n: a key
// used from hundreds of thousands of addresses, such as an IPv6 host
// rotating through its /64, suggests that many).
func sortPrefixes(ps []netip.Prefix) {
	slices.SortFunc(ps, func(a, b netip.Prefix) int {
		return cmp.Or(a.Addr().Compare(b.Addr()), cmp.Compare(a.Bits(), b.Bits()))
	})
}

// trustedPrefixes are --trusted-cidr and the incident's fence CIDRs.
func (e *Engine) trustedPrefixes() []netip.Prefix {
	if len(e.opts.FenceCIDRs) == 0 {
		return e.opts.TrustedCIDRs
	}
	return append(slices.Clone(e.opts.TrustedCIDRs), e.opts.FenceCIDRs...)
}
