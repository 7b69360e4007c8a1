package audit

import "golang.org/x/sys/cpu"

// maskSkip is whether the splitter skips elements with skipMasked: where
// blockMasks has its AVX2 loop. (In Go, blockMasks would be slower than
// skipObject's string-at-a-time scan.)
var maskSkip = cpu.X86.HasAVX2

// blockMasksAVX2 is blockMasks for n 64-byte blocks at src.
//
//go:noescape
func blockMasksAVX2(src *byte, n int, out *blockMask)

// blockMasks computes the masks of each 64-byte block of src (len(src) a
// multiple of 64) into out.
func blockMasks(src []byte, out []blockMask) {
	n := len(src) / 64
	if n == 0 {
		return
	}
	if !maskSkip {
		blockMasksGo(src, out) // no AVX2: tests only
		return
	}
	_ = out[n-1]
	blockMasksAVX2(&src[0], n, &out[0])
}
