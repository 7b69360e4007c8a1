package audit

// slab hands out pointers to zeroed values allocated slabChunk at a time.
// The engine keeps hundreds of thousands of small aggregates (a source's
// hour, a (source, API) pair, a rule's match) for its whole life:
// allocated one by one they cost a malloc each. From a slab they cost one
// allocation per chunk. A chunk lives as long as any value in it, so only
// values that are never dropped before the engine belong in one: not the
// shared event references, which samples replace as later events arrive
// (in a slab, one kept reference pinned 255 dropped ones: the single-key
// shape's peak RSS grew from ~165 to ~184 MB).
type slab[T any] struct{ free []T }

// slabChunk values per allocation: a few KiB to a few tens of KiB for the
// aggregates here, small next to an audit's heap yet few allocations.
const slabChunk = 256

func (s *slab[T]) alloc() *T {
	if len(s.free) == 0 {
		s.free = make([]T, slabChunk)
	}
	p := &s.free[0]
	s.free = s.free[1:]
	return p
}
