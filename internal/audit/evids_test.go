package audit

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func newTestRef(t int64, id, req string, pos int64) *evRef {
	r := &evRef{t: t}
	r.setIDs(id, req, pos)
	return r
}

// randomID is an ID as trails write them, or one they might.
func randomID(r *rand.Rand) string {
	hex := func(n int, digits string) string {
		var b strings.Builder
		for range n {
			b.WriteByte(digits[r.IntN(len(digits))])
		}
		return b.String()
	}
	uuid := func(digits string) string {
		return hex(8, digits) + "-" + hex(4, digits) + "-" + hex(4, digits) + "-" + hex(4, digits) + "-" + hex(12, digits)
	}
	switch r.IntN(9) {
	case 0:
		return ""
	case 1:
		return uuid("0123456789abcdef")
	case 2:
		return uuid("0123456789ABCDEF")
	case 3:
		return uuid("0123456789")
	case 4:
		return uuid("0123456789abcdefABCDEF") // mixed case: kept as text
	case 5:
		return hex(24, "0123456789ABCDEF") // an OSS request ID
	case 6:
		return uuid("0123456789abcdef") + "x"
	case 7:
		return "STS." + hex(8, "ab")
	}
	// Few digits, so that equal IDs and shared prefixes come up.
	return uuid("0aA")
}

// A reference gives back exactly the IDs and position it was given, and
// orders and compares references as their texts would.
func TestEvRefIDs(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 1))
	type ids struct {
		id, req string
		pos     int64
	}
	poses := []int64{0, 1, 7, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64, -1}
	var xs []ids
	var refs []*evRef
	for range 3000 {
		x := ids{randomID(r), randomID(r), poses[r.IntN(len(poses))]}
		ref := newTestRef(5, x.id, x.req, x.pos)
		if got := (ids{ref.eventID(), ref.requestID(), ref.position()}); got != x {
			t.Fatalf("kept %+v, gave back %+v", x, got)
		}
		xs, refs = append(xs, x), append(refs, ref)
	}
	for range 20000 {
		i, j := r.IntN(len(xs)), r.IntN(len(xs))
		a, b := xs[i], xs[j]
		want := cmp.Or(strings.Compare(a.id, b.id), strings.Compare(a.req, b.req), cmp.Compare(a.pos, b.pos))
		got := 0
		switch {
		case refs[i].less(refs[j]):
			got = -1
		case refs[j].less(refs[i]):
			got = 1
		}
		if got != want {
			t.Fatalf("%+v against %+v: less says %d, the texts %d", a, b, got, want)
		}
		if same := refs[i].sameEvent(refs[j]); same != (a == b) {
			t.Fatalf("%+v against %+v: sameEvent %v", a, b, same)
		}
		c := newTestRef(5, a.id, a.req, a.pos)
		if !c.sameEvent(refs[i]) {
			t.Fatalf("%+v: two references of one event differ", a)
		}
	}
}

// The IDs trails write take no text of their own.
func TestEvRefCompactIDs(t *testing.T) {
	for _, c := range []struct{ id, req string }{
		{"b0e25b30-eec2-76e0-26bc-b1f1cf76435c", "8CC51E54-0518-44DA-9851-3BAAA5575C9A"},
		{"", "8CC51E54-0518-44DA-9851-3BAAA5575C9A"},
		{"01234567-0123-0123-0123-012345678901", ""},
	} {
		r := newTestRef(1, c.id, c.req, 3)
		if r.alt != nil {
			t.Errorf("%q, %q: kept as text", c.id, c.req)
		}
		if r.eventID() != c.id || r.requestID() != c.req {
			t.Errorf("%q, %q: gave back %q, %q", c.id, c.req, r.eventID(), r.requestID())
		}
	}
	for _, id := range []string{"b0e25b30-eec2-76e0-26bc-B1F1CF76435C", "b0e25b30eec276e026bcb1f1cf76435c", "b0e25b30-eec2-76e0-26bc-b1f1cf76435g", fmt.Sprint("\x00", strings.Repeat("a", 35))} {
		if r := newTestRef(1, id, "", 0); r.alt == nil || r.eventID() != id {
			t.Errorf("%q: not kept as text (%q)", id, r.eventID())
		}
	}
}
