//go:build !amd64

package audit

// maskSkip is whether the splitter skips elements with skipMasked: only
// where blockMasks has an assembly loop (skipmask_amd64.go).
var maskSkip = false

// blockMasks computes the masks of each 64-byte block of src (len(src) a
// multiple of 64) into out.
func blockMasks(src []byte, out []blockMask) { blockMasksGo(src, out) }
