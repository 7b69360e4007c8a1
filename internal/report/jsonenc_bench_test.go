package report

import "testing"

// BenchmarkAppendNormalised times the normalised evidence body of an event
// with forty parameters and every field set (~6.6 KB of JSON).
func BenchmarkAppendNormalised(b *testing.B) {
	ev := fullEvent("plain ascii text of some length, like a user agent string")
	ev.Response = nil
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendNormalised(buf[:0], ev)
	}
	b.SetBytes(int64(len(buf)))
}
