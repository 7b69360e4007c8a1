//go:build !linux

package audit

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// trailFile is an opened trail file.
type trailFile struct{ *os.File }

// openRegular opens path for reading, refusing anything but a regular
// file. The open does not block on a FIFO (O_NONBLOCK), and the type is
// checked on the opened file, so a path swapped after the walk is refused
// too. It reports the file's size and modification time.
func openRegular(path string, f *trailFile) (size int64, mod time.Time, err error) {
	of, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return 0, time.Time{}, errors.New("cannot open: " + unwrapPathErr(err))
	}
	fi, err := of.Stat()
	if err != nil {
		of.Close()
		return 0, time.Time{}, errors.New("cannot open: " + unwrapPathErr(err))
	}
	if !fi.Mode().IsRegular() {
		of.Close()
		return 0, time.Time{}, errors.New("a " + FileType(fi.Mode()) + ", not a regular file; not read")
	}
	*f = trailFile{of}
	return fi.Size(), fi.ModTime(), nil
}
