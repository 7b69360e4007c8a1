//go:build !unix

package state

import "os"

// ownerUID is unknown off Unix: ownership is not checked there, only the
// permission bits Go reports.
func ownerUID(os.FileInfo) (int, bool) { return 0, false }

// checkPerms is false where Go reports made-up permission bits (Windows
// reports 0777 for every directory): only Unix modes are checked.
const checkPerms = false
