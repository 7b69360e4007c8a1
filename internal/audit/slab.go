package audit

// slab hands out pointers to zeroed values allocated slabChunk at a time.
// The engine keeps hundreds of thousands of small aggregates (an hour of a
// source, a shared event reference, a rule's match) for its whole life:
// allocated one by one they cost a malloc each and end up scattered among
// the parser's short-lived garbage of the same size, so the heap holds
// many partly used spans once that garbage is collected. From a slab they
// sit together and cost one allocation per chunk. A chunk lives as long
// as any value in it, which is the engine's lifetime for all of them.
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
