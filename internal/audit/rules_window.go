package audit

import (
	"fmt"
	"slices"
)

// The burst rules slide a window over each source's active minutes. The
// catalogue keys its windows on the AccessKey; akresp keys them on the
// AccessKey and the source IP, so that an office's routine traffic never
// blends into an attacker's burst and the evidence names who did it (CTX-04
// covers activity spread over several sources). Windows are whole minutes:
// a "10 minute" window is 10 consecutive calendar minutes.
//
// Minute cells hold counters and distinct ids only; the evidence of a
// window is the kept samples of each (source, API) or (source, region) it
// involves that fall inside it: the earliest and latest few of each, which
// for an attacker's burst are the burst itself.

// windowSpec is one burst rule.
type windowSpec struct {
	id      string
	minutes int32
	// eval decides whether a window fires, with its severity and a detail;
	// it runs at every active minute of a source, so it formats the detail
	// only when the window fires.
	eval func(w []minuteEntry) (fire bool, sev Severity, detail string)
	// count is the number of matching events in one cell.
	count func(c *minuteCell) int
	// samples returns the evidence candidates for a window.
	samples func(ip *ipAgg, w []minuteEntry) []*sampleSet
	// novelty: a known source's window only fires when it starts after the
	// baseline end and involves something first seen after it.
	novelty func(w []minuteEntry) bool
	// possible is a cheap pre-check over the whole source: false when no
	// window of it can fire.
	possible func(ip *ipAgg) bool
}

func (e *Engine) windowFindings(bl *baselineInfo, src [][]minuteEntry) []*findingBuilder {
	endMinute := int32(floorDiv(bl.end, 60e9))
	apiSamples := func(each func(c *minuteCell, f func(uint32)), auth bool) func(*ipAgg, []minuteEntry) []*sampleSet {
		return func(ip *ipAgg, w []minuteEntry) []*sampleSet {
			var ids []uint32
			for _, me := range w {
				each(me.c, func(id uint32) {
					if !slices.Contains(ids, id) {
						ids = append(ids, id)
					}
				})
			}
			var out []*sampleSet
			for _, id := range ids {
				if ia := e.ipAPIs[ipAPIKey{ip.idx, id}]; ia != nil {
					if auth {
						out = append(out, &ia.auth)
					} else {
						out = append(out, &ia.samples)
					}
				}
			}
			return out
		}
	}
	// Per-source totals for the pre-checks, by source index (slices, not
	// maps: a busy key has thousands of sources, and the maps' growth was
	// a tenth of what the rules allocate while the engine is at its
	// largest).
	n := len(e.ipList)
	readAPIs, authN, regionsN, deletesN := make([]int, n), make([]int, n), make([]int, n), make([]int, n)
	for k, ia := range e.ipAPIs {
		if e.nameList[k.name].read {
			readAPIs[k.ip]++
		}
		authN[k.ip] += ia.auth.n
	}
	for k := range e.ipRegions {
		regionsN[k.ip]++
	}
	for ip, l := range src {
		for _, me := range l {
			deletesN[ip] += int(me.c.objDeletes)
		}
	}
	// Scratch the evaluations reuse (a busy key's windows are evaluated
	// tens of thousands of times; the specs run one after the other).
	var regions, sampled, names idSet
	svcs := map[*svcAgg]bool{}
	specs := []windowSpec{
		{
			id: "ENUM-02", minutes: 10,
			possible: func(ip *ipAgg) bool { return regionsN[ip.idx] >= 5 },
			eval: func(w []minuteEntry) (bool, Severity, string) {
				regions.reset()
				for _, me := range w {
					me.c.eachRegion(regions.add)
				}
				n := regions.len()
				if n < 5 {
					return false, Medium, ""
				}
				return true, Medium, fmt.Sprintf("read calls in %d regions within 10 minutes", n)
			},
			count: func(c *minuteCell) int { return int(c.reads) },
			samples: func(ip *ipAgg, w []minuteEntry) []*sampleSet {
				sampled.reset()
				for _, me := range w {
					me.c.eachRegion(sampled.add)
				}
				var out []*sampleSet
				sampled.each(func(r uint32) {
					if ss := e.ipRegions[ipRegionKey{ip.idx, r}]; ss != nil {
						out = append(out, ss)
					}
				})
				return out
			},
			novelty: func(w []minuteEntry) bool {
				found := false
				for _, me := range w {
					me.c.eachRegion(func(r uint32) {
						if rg := e.regions[e.strs.str(r)]; rg != nil && rg.first.t >= bl.end {
							found = true
						}
					})
				}
				return found
			},
		},
		{
			id: "ENUM-03", minutes: 15,
			possible: func(ip *ipAgg) bool { return readAPIs[ip.idx] >= 15 },
			eval: func(w []minuteEntry) (bool, Severity, string) {
				names.reset()
				clear(svcs)
				for _, me := range w {
					me.c.eachRead(func(id uint32) {
						names.add(id)
						svcs[e.nameList[id].svc] = true
					})
				}
				n := names.len()
				if n < 15 || len(svcs) < 3 {
					return false, Medium, ""
				}
				return true, Medium, fmt.Sprintf("%d distinct read APIs across %d services within 15 minutes", n, len(svcs))
			},
			count:   func(c *minuteCell) int { return int(c.reads) },
			samples: apiSamples((*minuteCell).eachRead, false),
			novelty: func(w []minuteEntry) bool {
				found := false
				for _, me := range w {
					me.c.eachRead(func(id uint32) {
						if e.nameList[id].first.t >= bl.end {
							found = true
						}
					})
				}
				return found
			},
		},
		{
			id: "ENUM-05", minutes: 5,
			possible: func(ip *ipAgg) bool { return authN[ip.idx] >= 5 },
			eval: func(w []minuteEntry) (bool, Severity, string) {
				total := 0
				names.reset()
				clear(svcs)
				for _, me := range w {
					total += int(me.c.auth)
					me.c.eachAuthAPI(func(id uint32) {
						names.add(id)
						svcs[e.nameList[id].svc] = true
					})
				}
				n := names.len()
				sev := Medium
				if total >= 10 {
					sev = High
				}
				if total < 5 || n < 3 && len(svcs) < 2 {
					return false, sev, ""
				}
				return true, sev, fmt.Sprintf("%d authorisation failures on %d APIs within 5 minutes", total, n)
			},
			count:   func(c *minuteCell) int { return int(c.auth) },
			samples: apiSamples((*minuteCell).eachAuthAPI, true),
		},
		{
			id: "DEST-04", minutes: 10,
			possible: func(ip *ipAgg) bool { return deletesN[ip.idx] >= 100 },
			eval: func(w []minuteEntry) (bool, Severity, string) {
				n := 0
				for _, me := range w {
					n += int(me.c.objDeletes)
				}
				if n < 100 {
					return false, Critical, ""
				}
				return true, Critical, fmt.Sprintf("%d object deletions within 10 minutes", n)
			},
			count: func(c *minuteCell) int { return int(c.objDeletes) },
			samples: func(ip *ipAgg, _ []minuteEntry) []*sampleSet {
				var out []*sampleSet
				for _, name := range []string{"DeleteObject", "DeleteMultipleObjects"} {
					if nm := e.names[nameKey{"Oss", name}]; nm != nil {
						if ia := e.ipAPIs[ipAPIKey{ip.idx, nm.idx}]; ia != nil {
							out = append(out, &ia.samples)
						}
					}
				}
				return out
			},
		},
	}

	var out []*findingBuilder
	for _, spec := range specs {
		b := newBuilder(spec.id, Info)
		fired := false
		for _, ip := range e.sortedSources() {
			if !spec.possible(ip) {
				continue
			}
			entries := src[ip.idx]
			counted := map[*minuteCell]bool{}
			offered := map[evRef]bool{}
			known := !ip.isNew && !ip.untrusted
			j := 0
			for i := range entries {
				j = max(j, i)
				for j < len(entries) && entries[j].m < entries[i].m+spec.minutes {
					j++
				}
				w := entries[i:j]
				if known && spec.novelty != nil && w[0].m < endMinute {
					continue
				}
				ok, sev, detail := spec.eval(w)
				if !ok || known && spec.novelty != nil && !spec.novelty(w) {
					continue
				}
				fired = true
				b.sev = max(b.sev, sev)
				b.subject(ip.text)
				b.hours[w[0].m/60] = struct{}{}
				lo, hi := int64(w[0].m)*60e9, (int64(w[len(w)-1].m)+1)*60e9
				for _, me := range w {
					if !counted[me.c] {
						counted[me.c] = true
						n := spec.count(me.c)
						b.n += n
						b.ips[ip.text] += n
					}
				}
				shown := false
				for _, ss := range spec.samples(ip, w) {
					for _, s := range ss.all() {
						if s.t >= lo && s.t < hi {
							shown = true
							if !offered[*s.evRef] {
								offered[*s.evRef] = true
								s.detail = detail
								b.evidence(s)
							}
						}
					}
				}
				if !shown {
					// The kept samples all lie outside this window (a busy
					// source): the time range still shows where it was.
					b.span(lo, hi-1)
				}
			}
		}
		if fired {
			slices.Sort(b.subjects)
			out = append(out, b)
		}
	}
	return out
}
