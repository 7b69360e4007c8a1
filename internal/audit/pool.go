package audit

import (
	"bufio"
	"io"

	"github.com/klauspost/compress/gzip"
)

// workerState is what reading a file needs that does not depend on the
// file: the input window, the bufio reader, the gzip reader (its flate
// state and 32 KiB dictionary), the string interner and the event parser.
// Each reading goroutine keeps one and reuses it file after file, so that
// an OSS delivery of thousands of small files (a few hundred events each)
// costs what its bytes cost, not ~700 KB of fresh allocations per file.
// Nothing in it outlives a file but buffers and interned strings: a file's
// events never point into it.
type workerState struct {
	src source
	cr  countReader
	br  *bufio.Reader
	zr  *gzip.Reader
	in  *interner
	ep  *eventParser
	// needles is the matcher of ReadOptions.MatchAny, built once per read
	// (per worker) for the list it was built from (needlesOf).
	needles   *needleSet
	needlesOf []string
	// notes is the current file's identity note (ReadOptions.Index).
	notes idNotes
}

// matcher returns the needle matcher of list (ReadOptions.MatchAny),
// building it on the first file of a read.
func (ws *workerState) matcher(list []string) *needleSet {
	if ws.needles == nil || len(ws.needlesOf) != len(list) || &ws.needlesOf[0] != &list[0] {
		ws.needles, ws.needlesOf = newNeedleSet(list), list
	}
	return ws.needles
}

// newSource returns the worker's input window reset to read f (see
// source). A window that grew for a large record is dropped, so what a
// worker keeps between files stays at windowSize.
func (ws *workerState) newSource(f io.Reader, max int) (*source, error) {
	s := &ws.src
	buf := s.buf
	*s = source{}
	ws.cr = countReader{r: f}
	if ws.br == nil {
		ws.br = bufio.NewReaderSize(&ws.cr, readChunk)
	} else {
		ws.br.Reset(&ws.cr)
	}
	if size := min(windowSize, max+readChunk); len(buf) != size {
		buf = make([]byte, size)
	}
	s.raw, s.br, s.r, s.max, s.buf = &ws.cr, ws.br, ws.br, max, buf
	if magic, _ := ws.br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		var err error
		if ws.zr == nil {
			var zr *gzip.Reader
			if zr, err = gzip.NewReader(ws.br); err == nil {
				ws.zr = zr
			}
		} else {
			err = ws.zr.Reset(ws.br)
		}
		if err != nil {
			return s, &stopError{unit: "byte offset", pos: 0, msg: "gzip: " + gzipErrText(err)}
		}
		s.r, s.gz = ws.zr, true
	}
	return s, nil
}

// interner returns the worker's interner, shared by all its files: the
// strings it holds are immutable and bounded by internSlots.
func (ws *workerState) interner() *interner {
	if ws.in == nil {
		ws.in = newInterner()
	}
	return ws.in
}

// eventParser returns the worker's ActionTrail event parser, with the
// plausible-time bound reset so that each file is judged by one clock
// read when it starts, as before.
func (ws *workerState) eventParser() *eventParser {
	if ws.ep == nil {
		ws.ep = &eventParser{in: ws.interner(), services: map[string]string{}}
	}
	ws.ep.tb = timeBound{}
	return ws.ep
}
