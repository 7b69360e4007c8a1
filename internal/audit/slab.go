package audit

import "slices"

// slab hands out pointers to zeroed values allocated slabChunk at a time.
// The engine keeps hundreds of thousands of small aggregates (a source's
// hour, a (source, API) pair, a rule's match) for its whole life:
// allocated one by one they cost a malloc each. From a slab they cost one
// allocation per chunk. A chunk lives as long as any value in it, so only
// values that are never dropped before the engine belong in one: not the
// shared event references, which samples replace as later events arrive
// (in a slab, one kept reference pinned 255 dropped ones: the single-key
// shape's peak RSS grew from ~165 to ~184 MB).
//
// A slab also lists what it handed out, in that order (used): the rules
// walk the hundred thousand (source, hour) records of a busy key several
// times, and a walk over the chunks reads memory in order where one over
// the map that indexes them jumps to a record per entry.
type slab[T any] struct {
	free   []T
	chunks [][]T // every chunk, the last one partly handed out (free is its rest)
}

// slabChunk values per allocation: a few KiB to a few tens of KiB for the
// aggregates here, small next to an audit's heap yet few allocations.
const slabChunk = 256

func (s *slab[T]) alloc() *T {
	if len(s.free) == 0 {
		s.free = make([]T, slabChunk)
		s.chunks = append(s.chunks, s.free)
	}
	p := &s.free[0]
	s.free = s.free[1:]
	return p
}

// used returns the values handed out, chunk by chunk, in the order alloc
// handed them out. (A loop over chunks, not an iterator: a rule's closure
// in the body of a range-over-func loop escaped, one allocation per
// record.)
func (s *slab[T]) used() [][]T {
	if len(s.chunks) == 0 {
		return nil
	}
	out := slices.Clone(s.chunks)
	last := out[len(out)-1]
	out[len(out)-1] = last[:len(last)-len(s.free)]
	return out
}

// release drops, once Result has run, the aggregates only the rules read:
// the follow passes and the verdict after them read the sources, the
// created identities and the string table, not the per-(source, hour),
// (source, API), (source, region), (rule, source) or resource records, nor
// the evidence kept per source. On a busy key they are most of the
// engine's memory (the delivery shape of issue 14: ~48 of ~78 MB live),
// which the follow passes and the rendering of the result then need not
// carry. Result keeps returning the result it made.
func (e *Engine) release() {
	if !e.done {
		return
	}
	e.ipHours, e.ipAPIs, e.ipRegions, e.matches, e.resources, e.hours = nil, nil, nil, nil, nil, nil
	e.hourSlab, e.matchSlab, e.resSlab, e.ipAPISlab = slab[ipHour]{}, slab[matchAcc]{}, slab[resourceAgg]{}, slab[ipAPI]{}
	e.rt.groups = nil // they hold the (rule, source) records
	for _, ip := range e.ipList {
		// lastIH would keep a whole chunk of the (source, hour) slab.
		ip.lastIH, ip.kept = nil, keptRefs{}
	}
}
