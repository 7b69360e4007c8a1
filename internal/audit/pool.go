package audit

import (
	"bufio"
	"bytes"
	"io"

	"github.com/akresp/akresp/internal/inflate"
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
	// file is the file being read (runJob).
	file trailFile
	// notes is the current file's identity note (ReadOptions.Index).
	notes idNotes
	// mem holds a small file read whole (memReadMax), memRd reads it.
	mem   []byte
	memRd bytes.Reader
	// window is the input window's buffer, kept for the next file while
	// src.buf holds a file inflated whole into whole by dec.
	window []byte
	whole  []byte
	dec    *inflate.Decoder
	// fast streams the in-memory gzip files too large to inflate whole.
	fast   *inflate.Reader
	fastRd fastGzip
}

// memReadMax bounds the size of the files read whole before they are
// inflated and split: flate then reads from memory (its *bytes.Reader path)
// instead of byte by byte through a bufio.Reader, about a quarter less
// inflate time. OSS deliveries are a few KiB to a few MiB; larger files and
// standard input stream as before. memKeep bounds what a worker keeps of
// the buffer between files.
const (
	memReadMax = 8 << 20
	memKeep    = 2 << 20
)

// wholeMax bounds the inflated size of a gzip file decoded whole into one
// buffer (internal/inflate) instead of streamed through the window: an OSS
// delivery file of a few hundred events is well under it. Decoding whole
// is about 1.6x the streaming inflate and leaves nothing to copy into the
// window. A worker keeps the buffer for the next file up to wholeKeep
// (there is one per processor).
const (
	wholeMax  = 2 << 20
	wholeKeep = 1 << 20
)

// inflateWholeMax is wholeMax and fastGzipOn enables fastGzip; tests turn
// them off (-1, false) to read gzip files the other ways.
var (
	inflateWholeMax = wholeMax
	fastGzipOn      = true
)

// errAfter is a reader that fails with err (a read error met while reading
// a file whole, reported where the stream reaches it).
type errAfter struct{ err error }

func (e errAfter) Read([]byte) (int, error) { return 0, e.err }

// matcher returns the needle matcher of list (ReadOptions.MatchAny),
// building it on the first file of a read.
func (ws *workerState) matcher(list []string) *needleSet {
	if ws.needles == nil || len(ws.needlesOf) != len(list) || &ws.needlesOf[0] != &list[0] {
		ws.needles, ws.needlesOf = newNeedleSet(list), list
	}
	return ws.needles
}

// newSource returns the worker's input window reset to read f (see
// source); size is f's size when it is a regular file, -1 otherwise. A
// window that grew for a large record is dropped, so what a worker keeps
// between files stays at windowSize.
func (ws *workerState) newSource(f io.Reader, size int64, max int) (*source, error) {
	s := &ws.src
	buf := ws.window
	*s = source{}
	if wsize := min(windowSize, max+readChunk); len(buf) != wsize {
		buf = make([]byte, wsize)
		ws.window = buf
	}
	s.max, s.buf = max, buf
	var z io.Reader // what the decompressor reads
	if size >= 0 && size < memReadMax {
		// Read it whole: one byte more than its size tells whether it grew.
		if cap(ws.mem) > memKeep || cap(ws.mem) < int(size)+1 {
			ws.mem = make([]byte, int(size)+1, int(size)+1+readChunk)
		}
		b := ws.mem[:size+1]
		n, err := readWhole(f, b, int(size))
		switch err {
		case io.EOF, io.ErrUnexpectedEOF: // all of it
			ws.memRd.Reset(b[:n])
			ws.cr = countReader{n: int64(n)}
			s.raw, s.mem, s.r, z = &ws.cr, &ws.memRd, &ws.memRd, &ws.memRd
		case nil: // it grew since: the rest follows
			f = io.MultiReader(bytes.NewReader(b[:n]), f)
		default: // reported when the stream reaches it
			f = io.MultiReader(bytes.NewReader(b[:n]), errAfter{err})
		}
	}
	if s.mem == nil {
		ws.cr = countReader{r: f}
		if ws.br == nil {
			ws.br = bufio.NewReaderSize(&ws.cr, readChunk)
		} else {
			ws.br.Reset(&ws.cr)
		}
		s.raw, s.br, s.r, z = &ws.cr, ws.br, ws.br, ws.br
	}
	if magic := s.peek2(); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		if s.mem != nil && ws.inflateWhole(s) {
			return s, nil
		}
		var err error
		if ws.zr == nil {
			var zr *gzip.Reader
			if zr, err = gzip.NewReader(z); err == nil {
				ws.zr = zr
			}
		} else {
			err = ws.zr.Reset(z)
		}
		if err != nil {
			return s, &stopError{unit: "byte offset", pos: 0, msg: "gzip: " + gzipErrText(err)}
		}
		s.r, s.gz = ws.zr, true
		if s.mem != nil && fastGzipOn {
			// Too large to inflate whole, but in memory: the fast
			// decoder streams it, and hands over to ws.zr (its header
			// read above) if it must.
			if ws.fast == nil {
				ws.fast = new(inflate.Reader)
			}
			ws.fast.Reset(ws.mem[:s.raw.n])
			ws.fastRd = fastGzip{ws: ws, data: ws.mem[:s.raw.n]}
			s.r = &ws.fastRd
		}
	}
	return s, nil
}

// fastGzip reads a gzip file held in memory with inflate.Reader and, if
// that hands over, with the worker's gzip reader from the same output
// offset: the bytes are the gzip reader's either way, and so is every
// problem and its offset (the memory reader's position is the gzip
// reader's, and all of the file once the fast decoder verified its end).
type fastGzip struct {
	ws   *workerState
	data []byte
	slow io.Reader
}

func (f *fastGzip) Read(p []byte) (int, error) {
	if f.slow != nil {
		return f.slow.Read(p)
	}
	ws := f.ws
	n, err := ws.fast.Read(p)
	switch err {
	case nil:
		return n, nil
	case io.EOF:
		ws.memRd.Seek(0, io.SeekEnd)
		return n, io.EOF
	}
	ws.memRd.Reset(f.data)
	if err := ws.zr.Reset(&ws.memRd); err != nil {
		return 0, err
	}
	if _, err := io.CopyN(io.Discard, ws.zr, ws.fast.Delivered()); err != nil {
		return 0, err
	}
	f.slow = ws.zr
	return f.slow.Read(p)
}

// inflateWhole decodes the gzip file s holds in memory into one buffer and
// makes it the window, the whole input: the splitter then never refills.
// It reports false, s untouched, for a file the fast decoder declines (too
// large, several members, trailing bytes, corrupt): the streaming reader
// then reads it and reports any problem where it meets it, as before.
func (ws *workerState) inflateWhole(s *source) bool {
	if ws.dec == nil {
		ws.dec = new(inflate.Decoder)
	}
	out, ok := ws.dec.Gunzip(ws.whole, ws.mem[:s.raw.n], inflateWholeMax)
	if !ok {
		return false
	}
	ws.whole = out
	if cap(out) > wholeKeep {
		ws.whole = nil // s.buf holds it for this file only
	}
	ws.memRd.Seek(0, io.SeekEnd) // all of it consumed
	s.buf, s.end, s.eof, s.gz = out, len(out), true, true
	return true
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

// readWhole reads a file of the given size (as its stat said) into b, one
// byte longer: io.ReadFull's results (io.ErrUnexpectedEOF for all of it,
// nil for a file that grew since), without the read that finds the end
// when one read returns short at exactly the size. A file that grows
// after that read is read as it was, as if the read came a moment
// earlier (the index notes that size: a later pass reads it again).
func readWhole(r io.Reader, b []byte, size int) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		switch {
		case err == io.EOF && n == 0:
			return 0, io.EOF
		case err == io.EOF:
			return n, io.ErrUnexpectedEOF
		case err != nil:
			return n, err
		case m > 0 && n == size:
			return n, io.ErrUnexpectedEOF
		}
	}
	return n, nil
}
