//go:build unix

package state

import (
	"os"
	"syscall"
)

// ownerUID returns the uid owning fi's file, and false where the platform
// does not say.
func ownerUID(fi os.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// checkPerms says whether permission bits mean what they say here.
const checkPerms = true
