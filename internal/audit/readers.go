package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/bits"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// ReadOptions tune the offline readers.
type ReadOptions struct {
	// Strict turns the first malformed record into an error (a
	// *ProblemError naming file and position) instead of a Problem.
	Strict bool
	// KeyID, if set, keeps only events made with this AccessKey ID. A
	// record whose bytes do not contain the ID at all is counted in
	// Stats.Filtered, never reported as a problem (it is usually dropped
	// unparsed; one next to the key's records may be parsed in passing,
	// with the same outcome).
	KeyID string
	// Since and Until bound event times to [Since, Until); zero means
	// unbounded. Events outside are counted in Stats.Filtered.
	Since, Until time.Time
	// MaxLineBytes bounds one record (a line, or one element of a JSON
	// array); longer records are reported and skipped. Default 16 MiB.
	MaxLineBytes int
	// Workers is how many files are read, inflated and parsed in parallel
	// (default GOMAXPROCS). Events still reach the Sink from one goroutine,
	// in path order, then file order, however many workers read them (see
	// readFiles).
	Workers int
	// Stdin is read for the path "-" (named StdinName in origins and
	// problems); nil means os.Stdin. Only "-" may be a pipe: every other
	// path must be a regular file or a directory (see NotRegularError).
	Stdin io.Reader
	// ReuseEvents says the Sink keeps neither the *Event nor its maps and
	// slices once it returns (strings may be kept: they are immutable), so
	// the readers may parse later events into the same storage. Without
	// it every Event handed to the Sink is fresh and belongs to the Sink.
	ReuseEvents bool
	// MatchAny, when set, drops unparsed (counted in Stats.Filtered) every
	// record whose bytes contain none of these strings, like KeyID does
	// for one; the audit's follow passes over the trail files use it for
	// the identities it follows (follow.go). Empty strings are ignored.
	MatchAny []string
	// Match, when set, keeps only the parsed events it accepts (the others
	// count in Stats.Filtered). It is called from the reading goroutines,
	// concurrently: it must only read shared state.
	Match func(*Event) bool
	// Index, when set, notes per file the identities its records name
	// (trailindex.go), so that a later pass can read only the files that
	// name the identities it looks for. Trail files only.
	Index *TrailIndex
}

// StdinName is the file name events and problems read from "-" carry.
const StdinName = "<stdin>"

// NotRegularError is a path named as an input that is neither a regular
// file nor a directory (a FIFO, a device, a socket): reading it could
// block forever (a FIFO without a writer) or never end (/dev/zero). Pass
// "-" to read standard input instead.
type NotRegularError struct {
	Path string
	Type string // "FIFO", "character device", ...
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is a %s, not a regular file or directory: akresp reads only files (pass - to read standard input)", e.Path, e.Type)
}

// FileType names the type of a non-regular file ("FIFO", "character
// device", ...) for messages.
func FileType(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeIrregular != 0:
		return "irregular file"
	case m.IsDir():
		return "directory"
	}
	return "non-regular file"
}

// DefaultMaxLineBytes is the record size limit when ReadOptions leaves it 0.
const DefaultMaxLineBytes = 16 << 20

// maxProblemsPerFile stops reading a file that is mostly garbage.
const maxProblemsPerFile = 1000

// Problem is a record (or a run of input) that could not be read. It is
// reported, never silently dropped.
type Problem struct {
	File string
	// Unit says what Pos counts: "line", "event" (ordinal of a JSON array
	// element, from 1) or "byte offset" (into the file as stored, for
	// gzip errors); "" when the problem has no position (a whole file).
	Unit string
	Pos  int64
	Msg  string
	// Stop says the file was not read past this problem (a truncated or
	// corrupt file, or one with too many problems): its further records
	// were neither read nor counted.
	Stop bool
}

// String renders "trail.json.gz: event 1532: unexpected EOF (truncated gzip)".
func (p Problem) String() string {
	if p.Unit == "" {
		return p.File + ": " + p.Msg
	}
	return p.File + ": " + p.Unit + " " + strconv.FormatInt(p.Pos, 10) + ": " + p.Msg
}

// ProblemError is returned in strict mode for the first Problem.
type ProblemError struct{ Problem Problem }

func (e *ProblemError) Error() string { return e.Problem.String() }

// Stats counts what a read did. Every record read is exactly one of:
// delivered (Events), Filtered (other key, outside the window) or Skipped
// (reported as a Problem).
type Stats struct {
	Files, Events, Filtered, Skipped int64
	// Bytes is the number of bytes read from the files as stored
	// (compressed size for gzip files).
	Bytes int64
	// Ignored counts files found in directories that were not read
	// because of their extension (see the package documentation).
	Ignored int64
}

func (s *Stats) add(o Stats) {
	s.Files += o.Files
	s.Events += o.Events
	s.Filtered += o.Filtered
	s.Skipped += o.Skipped
	s.Bytes += o.Bytes
	s.Ignored += o.Ignored
}

// Sink receives events. It is called from one goroutine at a time. The
// Event belongs to the sink: the readers never touch it again (unless
// ReadOptions.ReuseEvents says the sink does not keep it).
type Sink func(*Event) error

// ReadTrails reads ActionTrail events from files and directories
// (recursively) and hands each to sink. Formats are detected by content:
// gzip (also concatenated members) holding a JSON array of events (the OSS
// delivery layout), JSON lines, a LookupEvents document
// ({"RequestId":..., "Events":[...]}, also pretty-printed and of any size)
// and SLS exports (rows whose "event" field holds the event as JSON text).
//
// Malformed records are returned as Problems with file and position (or as
// a *ProblemError under ReadOptions.Strict). The error result is for what
// stops the whole read: a path that does not exist, a sink error, ctx.
func ReadTrails(ctx context.Context, paths []string, opts ReadOptions, sink Sink) (Stats, []Problem, error) {
	return readFiles(ctx, paths, opts, sink, OriginTrail, readTrailFile)
}

// ReadLookupPage parses one page of LookupEvents results (the Events items,
// each an ActionTrail event object) with the same parser as the offline
// readers and hands the events to sink in page order. Origin.Pos is the
// index in the page. A sink error stops the page and is returned as is;
// events that cannot be parsed are skipped and returned together as a
// *PageError after the rest of the page was delivered.
func ReadLookupPage(events []json.RawMessage, sink Sink) error {
	var p eventParser
	var bad []Problem
	for i, raw := range events {
		ev := new(Event)
		if err := p.parse(ev, raw, Origin{Kind: OriginLookup, Pos: int64(i)}); err != nil {
			bad = append(bad, Problem{File: "LookupEvents", Unit: "event", Pos: int64(i), Msg: err.Error()})
			continue
		}
		if err := sink(ev); err != nil {
			return err
		}
	}
	if len(bad) > 0 {
		return &PageError{Problems: bad}
	}
	return nil
}

// PageError lists the events of a LookupEvents page that could not be
// parsed (Pos is the index in the page).
type PageError struct{ Problems []Problem }

func (e *PageError) Error() string {
	if len(e.Problems) == 1 {
		return "lookup page: " + e.Problems[0].String()
	}
	return fmt.Sprintf("lookup page: %d events could not be parsed; first: %s", len(e.Problems), e.Problems[0])
}

// --- file discovery ---------------------------------------------------------

// readableExt reports whether a file found in a directory is read: the
// extensions .json, .jsonl, .ndjson, .log and .txt, each optionally
// followed by .gz, a bare .gz, no extension at all, and OSS log object
// names (<prefix><bucket>YYYY-mm-DD-HH-MM-SS-<id>, whose bucket part may
// contain dots). Hidden files are skipped.
func readableExt(name string) bool {
	base := strings.ToLower(filepath.Base(name))
	if strings.HasPrefix(base, ".") {
		return false
	}
	switch filepath.Ext(strings.TrimSuffix(base, ".gz")) {
	case "", ".json", ".jsonl", ".ndjson", ".log", ".txt":
		return true
	}
	// The pattern last: matched first, it took ~25 ms of the serial walk
	// over an OSS delivery's 10,000 names before any file was read.
	return ossLogName.MatchString(base)
}

var ossLogName = regexp.MustCompile(`\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-z]+$`)

// expandPaths turns files and directories into a sorted, de-duplicated
// list of files. A path that names nothing but holds *, ? or [ is a
// pattern (filepath.Glob): its matches are read as if named, and a
// pattern that matches nothing is an error. A path that cannot be read at all, or is neither a
// regular file nor a directory, is an error; "-" (standard input) is kept
// as is (read from ReadOptions.Stdin). Inside directories, dangling symbolic links
// and files that are not regular (FIFOs, devices, sockets) are reported as
// problems and not read.
func expandPaths(paths []string) (files []string, ignored int64, probs []Problem, err error) {
	seen := map[string]bool{}
	addKey := func(key, p string) {
		if !seen[key] {
			seen[key] = true
			files = append(files, p)
		}
	}
	add := func(p string) { addKey(filepath.Clean(p), p) }
	var one func(root string, glob bool) error
	one = func(root string, glob bool) error {
		fi, err := os.Stat(root)
		if err != nil {
			// A quoted pattern ('trail/*.json.gz') that names no file
			// itself is expanded here, as DuckDB and ossutil users
			// expect; a file whose name holds * is still read as named.
			if glob && errors.Is(err, fs.ErrNotExist) && strings.ContainsAny(root, "*?[") {
				matches, gerr := filepath.Glob(root)
				switch {
				case gerr != nil:
					return fmt.Errorf("read %s: not a file, and not a valid pattern: %w", root, gerr)
				case len(matches) == 0:
					return fmt.Errorf("read %s: no file or directory matches the pattern", root)
				}
				for _, m := range matches {
					if m == "-" {
						m = "." + string(filepath.Separator) + m // a file named "-", not standard input
					}
					if err := one(m, false); err != nil {
						return err
					}
				}
				return nil
			}
			return fmt.Errorf("read %s: %w", root, err)
		}
		if !fi.IsDir() {
			if !fi.Mode().IsRegular() {
				return &NotRegularError{Path: root, Type: FileType(fi.Mode())}
			}
			add(root)
			return nil
		}
		// A directory named on the command line is read even through a
		// symbolic link (as find -H does); links inside it are not
		// followed (below). WalkDir does not follow its root: a trailing
		// separator makes the link's target the root.
		walkRoot := root
		if li, lerr := os.Lstat(root); lerr == nil && li.Mode()&fs.ModeSymlink != 0 {
			walkRoot = root + string(filepath.Separator)
		}
		var found []string
		werr := filepath.WalkDir(walkRoot, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				probs = append(probs, Problem{File: p, Msg: "cannot read: " + unwrapPathErr(err)})
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				if p != walkRoot && strings.HasPrefix(d.Name(), ".") {
					return fs.SkipDir
				}
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") {
				ignored++ // hidden: see readableExt
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				st, err := os.Stat(p)
				switch {
				case errors.Is(err, fs.ErrNotExist):
					probs = append(probs, Problem{File: p, Msg: "dangling symbolic link (its target does not exist); not read"})
					return nil
				case err != nil:
					probs = append(probs, Problem{File: p, Msg: "cannot follow symbolic link: " + unwrapPathErr(err)})
					return nil
				case st.IsDir():
					probs = append(probs, Problem{File: p, Msg: "symbolic link to a directory; not followed (name the directory itself)"})
					return nil
				case !st.Mode().IsRegular():
					probs = append(probs, Problem{File: p, Msg: "symbolic link to a " + FileType(st.Mode()) + ", not a regular file; not read"})
					return nil
				}
			} else if !d.Type().IsRegular() {
				probs = append(probs, Problem{File: p, Msg: "a " + FileType(d.Type()) + ", not a regular file; not read"})
				return nil
			}
			if !readableExt(d.Name()) {
				ignored++
				return nil
			}
			found = append(found, p)
			return nil
		})
		if werr != nil {
			return fmt.Errorf("read directory %s: %w", root, werr)
		}
		for _, p := range found {
			addKey(p, p) // WalkDir's paths are clean (filepath.Join)
		}
		return nil
	}
	for _, root := range paths {
		if root == "-" {
			add(root)
			continue
		}
		if err := one(root, true); err != nil {
			return nil, 0, nil, err
		}
	}
	return files, ignored, probs, nil
}

func unwrapPathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// --- the parallel pipeline ---------------------------------------------------

const batchSize = 256

// fileFunc reads one opened file into r.
type fileFunc func(r *fileReader, src *source) error

type fileJob struct {
	index int
	path  string
	stats Stats
	probs []Problem
	err   error // strict problem, ctx
	// msgs carries the file's batches and then its end (done) to the
	// deliverer, which takes the files in order; turn is closed when the
	// deliverer gets to the file (see fileReader.send).
	msgs chan message
	turn chan struct{}
}

// message is what workers send the deliverer: a batch of one file's
// events, or (done set) the end of a file.
type message struct {
	batch []Event
	done  *fileJob
	token bool // the batch holds a read-ahead token (fileReader.send)
}

// readFiles runs fn over every file with opts.Workers goroutines and hands
// the events to sink from the calling goroutine in path order, then file
// order, whatever order the workers finish in: the engine keeps the first
// sources, origins, identities... up to its limits, so an audit that
// reaches one would otherwise differ from run to run. Problems are returned
// in the same order.
//
// What the workers read ahead of the deliverer is bounded: a file is handed
// out only once the deliverer can queue it (readAhead files per worker),
// and a file's batches before its turn take read-ahead tokens (aheadBatches
// per worker); the file being delivered is bounded by its queue. No worker
// ever waits on an earlier file, so the one that took the file being
// delivered always gets to send.
func readFiles(ctx context.Context, paths []string, opts ReadOptions, sink Sink, kind string, fn fileFunc) (Stats, []Problem, error) {
	var total Stats
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	files, ignored, walkProbs, err := expandPaths(paths)
	if err != nil {
		return total, nil, err
	}
	total.Ignored = ignored
	total.Skipped = int64(len(walkProbs))
	if opts.Strict && len(walkProbs) > 0 {
		return total, walkProbs, &ProblemError{Problem: walkProbs[0]}
	}
	if len(files) == 0 {
		return total, walkProbs, nil
	}
	workers = max(1, min(workers, len(files)))
	if opts.Index != nil {
		opts.Index.reserve(len(files))
	}

	ctx, cancel := context.WithCancel(ctx)
	// order gives the deliverer the files in the order they are handed
	// out: a file is queued there before any worker can take it.
	order := make(chan *fileJob, readAhead*workers)
	ahead := min(aheadBatches*workers, maxAheadBatches)
	tokens := make(chan struct{}, ahead)
	// Queues of delivered files, for the next ones.
	queues := make(chan chan message, (readAhead+1)*workers)
	// free returns delivered batches to the workers (ReuseEvents): what
	// is in flight is then bounded by the channels, not by the files.
	var free *batchPool
	if opts.ReuseEvents {
		free = &batchPool{max: ahead + 6*workers}
	}
	next := make(chan *fileJob)
	var wg sync.WaitGroup
	defer wg.Wait() // runs after cancel: deferred calls run last-in first-out
	defer cancel()
	wg.Go(func() {
		defer close(next)
		for i, f := range files {
			job := &fileJob{index: i, path: f, turn: make(chan struct{})}
			select {
			case job.msgs = <-queues:
			default:
				job.msgs = make(chan message, fileQueue)
			}
			select {
			case order <- job:
			case <-ctx.Done():
				return
			}
			select {
			case next <- job:
			case <-ctx.Done():
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			ws := &workerState{}
			for job := range next {
				runJob(ctx, job, &opts, kind, fn, free, tokens, ws)
			}
		})
	}

	done := make([]*fileJob, 0, len(files))
	finish := func(err error) (Stats, []Problem, error) {
		slices.SortFunc(done, func(a, b *fileJob) int { return a.index - b.index })
		probs := walkProbs
		for _, j := range done {
			total.add(j.stats)
			probs = append(probs, j.probs...)
		}
		return total, probs, err
	}
	// The file being delivered: no worker blocks on an earlier one (files
	// are handed out in order), so the one that took it sends until done.
	var job *fileJob
	for len(done) < len(files) {
		if job == nil {
			select {
			case job = <-order:
				close(job.turn)
			case <-ctx.Done():
				return finish(ctx.Err())
			}
		}
		var m message
		select {
		case m = <-job.msgs:
		case <-ctx.Done():
			return finish(ctx.Err())
		}
		if m.token {
			<-tokens
		}
		for i := range m.batch {
			if err := sink(&m.batch[i]); err != nil {
				return finish(err)
			}
		}
		if free != nil && m.batch != nil {
			free.put(m.batch[:0])
		}
		if m.done != nil {
			done = append(done, m.done)
			select {
			case queues <- job.msgs: // empty: the end comes last
			default:
			}
			job = nil
			if m.done.err != nil {
				return finish(m.done.err)
			}
		}
	}
	return finish(nil)
}

// batchPool holds delivered batches for the workers to reuse
// (ReuseEvents), the last put first: it is the one most likely still in
// the cache. A nil pool holds nothing.
type batchPool struct {
	mu  sync.Mutex
	s   [][]Event
	max int
}

func (p *batchPool) get() []Event {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.s) == 0 {
		return nil
	}
	b := p.s[len(p.s)-1]
	p.s = p.s[:len(p.s)-1]
	return b
}

func (p *batchPool) put(b []Event) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.s) < p.max {
		p.s = append(p.s, b[:0])
	}
}

// readAhead (files per worker), aheadBatches (batches per worker for the
// files after the one being delivered, at most maxAheadBatches in all: a
// batch is 256 events, ~100-200 KB with their strings and parameters) and
// fileQueue (batches per file) bound what the workers hold for the
// deliverer; see readFiles. A file's queue holds more than two workers'
// tokens, so that on two processors a file waiting for its turn never
// blocks on it: its worker can read a busy key's file of 10,000 events (40
// batches) while the deliverer works through the one before.
const (
	readAhead       = 2
	aheadBatches    = 24
	maxAheadBatches = 96
	fileQueue       = aheadBatches*2 + 8
)

// runJob reads one file and reports it done on job.msgs (unless ctx ended).
func runJob(ctx context.Context, job *fileJob, opts *ReadOptions, kind string, fn fileFunc, free *batchPool, tokens chan struct{}, ws *workerState) {
	r := &fileReader{ctx: ctx, opts: opts, job: job, kind: kind, key: []byte(opts.KeyID), tokens: tokens, free: free, ws: ws}
	defer func() {
		select {
		case job.msgs <- message{done: job}:
		case <-ctx.Done():
		}
	}()
	var in io.Reader
	size := int64(-1)
	var mod time.Time
	if opts.Index != nil {
		ws.notes.reset(opts.Index)
		r.notes = &ws.notes
	}
	if job.path == "-" {
		job.path = StdinName
		var stdin io.Reader = os.Stdin
		if opts.Stdin != nil {
			stdin = opts.Stdin
		}
		in = &ctxReader{ctx: ctx, r: stdin}
	} else {
		f := &ws.file
		var err error
		if size, mod, err = openRegular(job.path, f); err != nil {
			r.problem("", 0, err.Error())
			job.err = r.fatal
			return
		}
		defer f.Close()
		in = f
	}
	job.stats.Files++
	src, err := ws.newSource(in, size, opts.MaxLineBytes)
	src.ctx = ctx
	if err == nil {
		err = fn(r, src)
		if ferr := r.flush(); err == nil {
			err = ferr
		}
	}
	job.stats.Bytes += src.stored()
	if r.notes != nil && ctx.Err() == nil {
		opts.Index.put(r.notes.done(job.index, job.path, size, mod))
	}
	switch {
	case ctx.Err() != nil:
		// Interrupted (or the read stops for another file's error): no
		// problem to report for this file.
		if r.fatal == nil {
			r.fatal = ctx.Err()
		}
	case err == nil || errors.Is(err, errStopFile) || errors.Is(err, errStop):
	default:
		var se *stopError
		if errors.As(err, &se) {
			r.problem(se.unit, se.pos, se.msg)
		} else {
			r.problem("", 0, err.Error())
		}
		if n := len(r.job.probs); n > 0 {
			r.job.probs[n-1].Stop = true // the error ended the file
		}
	}
	if r.fatal != nil && !errors.Is(r.fatal, errStopFile) {
		job.err = r.fatal
	}
}

var (
	// errStop ends a file because the whole read stops (strict, ctx).
	errStop = errors.New("read stopped")
	// errStopFile ends one file after too many problems.
	errStopFile = errors.New("too many problems")
)

// stopError is a problem that ends the reading of one file.
type stopError struct {
	unit string
	pos  int64
	msg  string
}

func (e *stopError) Error() string { return e.msg }

// fileReader collects the events and problems of one file.
type fileReader struct {
	ctx   context.Context
	opts  *ReadOptions
	job   *fileJob
	kind  string
	key   []byte
	parse func(ev *Event, raw []byte, o Origin) error
	// prefix, if set, parses a record in place at the start of a buffer
	// (skipping the pass that finds its end); see splitter.array.
	prefix func(ev *Event, data []byte, o Origin) (int, error)
	tokens chan struct{} // read-ahead tokens (readFiles)
	free   *batchPool    // delivered batches to reuse (ReuseEvents), or nil
	ws     *workerState  // the reading goroutine's reusable state
	batch  []Event
	fatal  error
	nprobs int
	notes  *idNotes // ReadOptions.Index: this file's note, else nil
}

// record parses one record and keeps it if it passes the filters.
func (r *fileReader) record(raw []byte, unit string, pos int64) error {
	hasKey := (len(r.key) == 0 || bytes.Contains(raw, r.key)) && r.anyNeedle(raw)
	if !hasKey && r.notes != nil {
		r.notes.record(raw)
	}
	return r.recordKeyed(raw, unit, pos, hasKey)
}

// anyNeedle reports whether raw holds one of ReadOptions.MatchAny (true
// when there are none).
func (r *fileReader) anyNeedle(raw []byte) bool {
	if len(r.opts.MatchAny) == 0 {
		return true
	}
	return r.ws.matcher(r.opts.MatchAny).any(raw) // needles.go: one pass for all
}

// recordKeyed is record for a caller that already knows whether raw
// holds the key ID (hasKey; always true without a key filter) and has
// noted an unparsed record's identities (ReadOptions.Index).
func (r *fileReader) recordKeyed(raw []byte, unit string, pos int64, hasKey bool) error {
	if !hasKey {
		r.job.stats.Filtered++
		return nil
	}
	ev := r.slot()
	if err := r.parse(ev, raw, Origin{Kind: r.kind, File: r.job.path, Pos: pos}); err != nil {
		r.batch = r.batch[:len(r.batch)-1]
		return r.problem(unit, pos, err.Error())
	}
	return r.accept()
}

// slot returns the next free Event of the batch.
func (r *fileReader) slot() *Event {
	if r.batch == nil {
		if r.batch = r.free.get(); r.batch == nil {
			r.batch = make([]Event, 0, batchSize)
		}
	}
	r.batch = r.batch[:len(r.batch)+1]
	return &r.batch[len(r.batch)-1]
}

// accept applies the filters to the event in the last slot.
func (r *fileReader) accept() error {
	ev := &r.batch[len(r.batch)-1]
	if r.notes != nil {
		r.notes.event(ev)
	}
	if (len(r.key) > 0 && ev.AccessKeyID != r.opts.KeyID) ||
		(!r.opts.Since.IsZero() && ev.Time.Before(r.opts.Since)) ||
		(!r.opts.Until.IsZero() && !ev.Time.Before(r.opts.Until)) ||
		(r.opts.Match != nil && !r.opts.Match(ev)) {
		r.batch = r.batch[:len(r.batch)-1]
		r.job.stats.Filtered++
		return nil
	}
	r.job.stats.Events++
	if len(r.batch) == cap(r.batch) {
		return r.flush()
	}
	return nil
}

// flush hands the current batch to the deliverer.
func (r *fileReader) flush() error {
	if len(r.batch) == 0 {
		// A file none of whose events passed (every file of a follow
		// pass but a few): its batch goes back to the pool, not to the
		// collector (~100 KB per file).
		if r.batch != nil {
			r.free.put(r.batch)
		}
		r.batch = nil
		return nil
	}
	if !r.send(message{batch: r.batch}) {
		r.batch = nil
		if r.fatal == nil {
			r.fatal = r.ctx.Err()
		}
		return errStop
	}
	r.batch = nil
	return nil
}

// send queues a batch for the deliverer; it reports false when ctx ends
// first. Before the file's turn each batch takes a read-ahead token (the
// deliverer returns it on receipt), so what waits for the deliverer stays
// bounded however far ahead the workers are; from its turn on, the file's
// queue bounds it.
func (r *fileReader) send(m message) bool {
	select {
	case <-r.job.turn:
	default:
		select {
		case r.tokens <- struct{}{}:
			m.token = true
		case <-r.job.turn:
		case <-r.ctx.Done():
			return false
		}
	}
	select {
	case r.job.msgs <- m:
		return true
	case <-r.ctx.Done():
		return false
	}
}

// problem records a skipped record. It returns errStop in strict mode and
// errStopFile once a file has too many problems.
func (r *fileReader) problem(unit string, pos int64, msg string) error {
	p := Problem{File: r.job.path, Unit: unit, Pos: pos, Msg: msg}
	r.job.stats.Skipped++
	if r.opts.Strict {
		r.job.probs = append(r.job.probs, p)
		if r.fatal == nil {
			r.fatal = &ProblemError{Problem: p}
		}
		return errStop
	}
	r.nprobs++
	if r.nprobs > maxProblemsPerFile {
		p.Msg = fmt.Sprintf("more than %d problems; rest of file not read", maxProblemsPerFile)
		p.Stop = true
		r.job.probs = append(r.job.probs, p)
		r.fatal = errStopFile
		return errStopFile
	}
	r.job.probs = append(r.job.probs, p)
	return nil
}

// --- buffered input ---------------------------------------------------------

// source is a growable window over a (possibly gzip-compressed) file. Bytes
// before keep may be dropped on refill; a record is kept from keep to pos.
// Once a record outgrows the size limit, its bytes are dropped and
// overflowed is set, so memory stays bounded by the limit.
type source struct {
	ctx        context.Context // checked on every refill
	r          io.Reader
	raw        *countReader
	br         *bufio.Reader // under gzip, to know how much was consumed
	mem        *bytes.Reader // instead of br: the file read whole
	gz         bool
	buf        []byte
	keep, pos  int
	end        int
	eof        bool
	rerr       error
	max        int
	overflowed bool
	off        int64 // stream offset of buf[0]
	nl         int   // newlines in buf[:nl] are counted in lines
	lines      int64
	// notes, when set, takes the identities of every string scanValue
	// passes (ReadOptions.Index: the array elements found by scanning);
	// esc reports that the last string scanned held a backslash.
	notes *idNotes
	esc   bool
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readChunk is the read granularity and windowSize the initial buffer
// size: several chunks, so that keeping prefixAhead bytes buffered moves
// little data. The buffer only grows for records that do not fit.
const (
	readChunk  = 64 << 10
	windowSize = 4 * readChunk
)

// stored is how many bytes were read from the file.
func (s *source) stored() int64 { return s.raw.n }

// consumed is the stored offset reached by the decompressor.
func (s *source) consumed() int64 {
	if s.mem != nil {
		return s.raw.n - int64(s.mem.Len())
	}
	return s.raw.n - int64(s.br.Buffered())
}

// peek2 returns the first two bytes of the input, not consumed.
func (s *source) peek2() []byte {
	if s.mem != nil {
		var b [2]byte
		n, _ := s.mem.ReadAt(b[:], 0)
		return b[:n]
	}
	b, _ := s.br.Peek(2)
	return b
}

// fill reads more input after end. It returns false at the end of input or
// on a read error (kept in rerr).
func (s *source) fill() bool {
	for !s.eof && s.rerr == nil {
		// One refill is at most a few hundred KiB of work: checking here
		// stops every read loop promptly when ctx ends (SIGINT/SIGTERM),
		// however large the file or its records.
		if s.ctx != nil {
			if err := s.ctx.Err(); err != nil {
				s.rerr = err
				return false
			}
		}
		if s.end == len(s.buf) {
			if s.keep > 0 {
				s.countLines(s.keep)
				n := copy(s.buf, s.buf[s.keep:s.end])
				s.off += int64(s.keep)
				s.pos -= s.keep
				s.nl -= s.keep
				s.end = n
				s.keep = 0
			}
			if s.end == len(s.buf) {
				if len(s.buf) >= s.max+readChunk {
					// The record in hand is too large: drop it.
					s.overflowed = true
					s.keep = s.pos
					continue
				}
				nb := make([]byte, min(2*len(s.buf), s.max+readChunk))
				copy(nb, s.buf[:s.end])
				s.buf = nb
			}
		}
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err == io.EOF {
			s.eof = true
		} else if err != nil {
			s.rerr = err
		}
		if n > 0 {
			return true
		}
	}
	return false
}

// tooLong reports whether the record being kept (keep to pos) broke the
// size limit, whether or not its bytes had to be dropped.
func (s *source) tooLong() bool { return s.overflowed || s.pos-s.keep > s.max }

// countLines counts newlines up to buffer index i.
func (s *source) countLines(i int) {
	if i > s.nl {
		s.lines += int64(bytes.Count(s.buf[s.nl:i], []byte{'\n'}))
		s.nl = i
	}
}

// lineAt returns the 1-based line number of buffer index i (i must not go
// backwards between calls).
func (s *source) lineAt(i int) int64 {
	s.countLines(i)
	return s.lines + 1
}

// skipSpace moves pos to the next non-space byte and returns it.
func (s *source) skipSpace() (byte, bool) {
	for {
		for s.pos < s.end {
			switch c := s.buf[s.pos]; c {
			case ' ', '\t', '\n', '\r':
				s.pos++
			default:
				return c, true
			}
		}
		if !s.fill() {
			return 0, false
		}
	}
}

// skipBOM drops a UTF-8 byte order mark at the start of the input.
func (s *source) skipBOM() {
	for s.end-s.pos < 3 && s.fill() {
	}
	if bytes.HasPrefix(s.buf[s.pos:s.end], []byte{0xEF, 0xBB, 0xBF}) {
		s.pos += 3
	}
}

// inputErr describes why input ended inside something.
func (s *source) inputErr(where string) error {
	if s.rerr != nil {
		return &stopError{unit: "byte offset", pos: s.errOffset(), msg: s.readErrText() + " " + where}
	}
	if s.gz {
		return &stopError{unit: "byte offset", pos: s.consumed(), msg: "unexpected end of input " + where}
	}
	return &stopError{unit: "byte offset", pos: s.off + int64(s.pos), msg: "unexpected end of input (truncated) " + where}
}

func (s *source) errOffset() int64 {
	if s.gz {
		return s.consumed()
	}
	return s.off + int64(s.end)
}

func (s *source) readErrText() string {
	if s.gz {
		return gzipErrText(s.rerr)
	}
	return s.rerr.Error()
}

func gzipErrText(err error) string {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "unexpected EOF (truncated gzip)"
	case errors.Is(err, gzip.ErrChecksum):
		return "gzip checksum mismatch (corrupt data)"
	case errors.Is(err, gzip.ErrHeader):
		return "invalid gzip header (corrupt or trailing garbage)"
	}
	return "gzip: " + strings.TrimPrefix(err.Error(), "gzip: ")
}

// readErr reports a read error met at the end of input, if any.
func (s *source) readErr(where string) error {
	if s.rerr == nil {
		return nil
	}
	return s.inputErr(where)
}

// scanString moves pos past the string that starts at pos.
func (s *source) scanString() error {
	s.pos++ // opening quote
	for {
		// Short strings (most of an event) end within a few words.
		b := s.buf[:s.end]
		j := quoteOrEscape(b, s.pos)
		if j < len(b) && b[j] == '"' {
			s.pos = j + 1
			return nil
		}
		s.pos = j
		seg := s.buf[s.pos:s.end]
		q := bytes.IndexByte(seg, '"')
		if q < 0 {
			s.esc = s.esc || bytes.IndexByte(seg, '\\') >= 0
			// Keep a trailing backslash: it escapes the next byte.
			if n := len(seg); n > 0 && seg[n-1] == '\\' && !escapedAt(seg, n-1) {
				s.pos = s.end - 1
			} else {
				s.pos = s.end
			}
			if !s.fill() {
				return errEOF
			}
			continue
		}
		bs := bytes.IndexByte(seg[:q], '\\')
		if bs < 0 {
			s.pos += q + 1
			return nil
		}
		s.esc = true
		// An escape comes first: skip it and look again.
		if bs+1 >= len(seg) {
			s.pos += bs
			if !s.fill() {
				return errEOF
			}
			continue
		}
		s.pos += bs + 2
	}
}

// quoteOrEscape returns the index of the first '"' or '\\' in b at or
// after j, or len(b): a word at a time, as short strings (most of an
// event) end within a few.
func quoteOrEscape(b []byte, j int) int {
	for ; j+8 <= len(b); j += 8 {
		x := binary.LittleEndian.Uint64(b[j:])
		if m := byteMask(x, '"') | byteMask(x, '\\'); m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
	}
	for j < len(b) && b[j] != '"' && b[j] != '\\' {
		j++
	}
	return j
}

// escapedAt reports whether seg[i] is preceded by an odd run of backslashes.
func escapedAt(seg []byte, i int) bool {
	n := 0
	for i > 0 && seg[i-1] == '\\' {
		n++
		i--
	}
	return n%2 == 1
}

var errEOF = errors.New("unexpected end of input")

// maxSplitDepth bounds nesting while finding where a record ends; deeper
// input is reported, not followed.
const maxSplitDepth = 512

// scanValue moves pos past the JSON value that starts at pos (a non-space
// byte). It matches brackets and skips strings; the record parser does the
// full validation.
func (s *source) scanValue() error {
	var stack []byte
	var nt noteState // with s.notes: the key just seen
	for {
		if s.pos >= s.end {
			if !s.fill() {
				return errEOF
			}
			continue
		}
		c := s.buf[s.pos]
		switch c {
		case '"':
			start := s.off + int64(s.pos)
			s.esc = false
			if err := s.scanString(); err != nil {
				return err
			}
			// Only a key's value, an escaped string or a string shaped
			// like a noted key's name can matter: the inline test keeps
			// the other ~80 strings of a record cheap.
			if s.notes != nil && start >= s.off+int64(s.keep) {
				if tok := s.buf[start-s.off+1 : s.pos-1]; nt.want || s.esc || mayNameNoted(tok) {
					nt = s.notes.token(tok, s.esc, nt)
				} else {
					nt = noteState{}
				}
			}
		case '{', '[':
			if nt.want {
				s.notes.all = true // an object where a name is expected
			}
			nt = noteState{}
			if len(stack) >= maxSplitDepth {
				return fmt.Errorf("nesting deeper than %d levels", maxSplitDepth)
			}
			stack = append(stack, c)
			s.pos++
		case '}', ']':
			open := byte('{')
			if c == ']' {
				open = '['
			}
			if len(stack) == 0 || stack[len(stack)-1] != open {
				return fmt.Errorf("unexpected %q", c)
			}
			stack = stack[:len(stack)-1]
			s.pos++
			nt = noteState{}
		default:
			if nt.kind != 0 {
				nt = s.notes.between(c, nt)
			}
			if len(stack) == 0 {
				// A bare scalar: it ends at a delimiter.
				for {
					for s.pos < s.end {
						switch s.buf[s.pos] {
						case ',', ']', '}', ' ', '\t', '\r', '\n', '[', '{', '"':
							return nil
						}
						s.pos++
					}
					if !s.fill() {
						return nil
					}
				}
			}
			s.pos++
		}
		if len(stack) == 0 {
			return nil
		}
	}
}

// skipObject moves pos past the object or array at pos when it ends within
// the buffered input, noting its strings as scanValue does, and reports
// whether it did. Anything it does not finish (the value runs past the
// buffer, brackets that do not match, nesting deeper than 64) leaves pos
// where it was, for scanValue to read again and report: noting the same
// strings twice changes nothing. It is scanValue's loop over one slice with
// the string scan inlined, for the elements a key filter skips (most of an
// account's events): a third of scanValue's time.
func (s *source) skipObject() bool {
	b := s.buf[s.pos:s.end]
	notes := s.notes
	var nt noteState
	var open brackets
	for i := 0; i < len(b); {
		switch c := b[i]; c {
		case '"':
			j, esc := i+1, false
			for {
				if j = quoteOrEscape(b, j); j >= len(b) {
					return false
				}
				if b[j] == '"' {
					break
				}
				esc = true
				j += 2 // a backslash and the byte it escapes
			}
			if notes != nil {
				if tok := b[i+1 : j]; nt.want || esc || mayNameNoted(tok) {
					nt = notes.token(tok, esc, nt)
				} else {
					nt = noteState{}
				}
			}
			i = j + 1
		case '{', '[':
			if nt.want {
				notes.all = true // an object where a name is expected
			}
			nt = noteState{}
			if !open.push(c) {
				return false
			}
			i++
		case '}', ']':
			if !open.pop(c) {
				return false
			}
			i++
			nt = noteState{}
			if open.depth == 0 {
				s.pos += i
				return true
			}
		default:
			if open.depth == 0 {
				return false // not an object or array
			}
			if nt.kind != 0 {
				nt = notes.between(c, nt)
			}
			i++
		}
	}
	return false
}

// brackets is the open brackets of a value skipObject or skipMasked is
// passing: up to 64 levels, bit depth-1 of stack set for a '['.
type brackets struct {
	stack uint64
	depth int
}

// push opens c ('{' or '['); false past 64 levels.
func (k *brackets) push(c byte) bool {
	if k.depth == 64 {
		return false
	}
	k.stack &^= 1 << k.depth
	if c == '[' {
		k.stack |= 1 << k.depth
	}
	k.depth++
	return true
}

// pop closes c ('}' or ']'); false when it does not close the innermost
// open bracket.
func (k *brackets) pop(c byte) bool {
	if k.depth == 0 || (k.stack>>(k.depth-1)&1 == 1) != (c == ']') {
		return false
	}
	k.depth--
	return true
}

// skipElement is skipMasked where it has its assembly (skipmask.go),
// skipObject elsewhere.
func (s *source) skipElement() bool {
	if maskSkip {
		return s.skipMasked()
	}
	return s.skipObject()
}

// --- the trail splitter -----------------------------------------------------

// splitter finds the records of a JSON input: elements of top-level arrays
// (also several arrays in a row, as concatenated gzip members give), the
// elements of an "Events" array of a LookupEvents document, or top-level
// objects, one per line (JSON lines) or spanning lines.
type splitter struct {
	r   *fileReader
	src *source
	n   int64 // array elements seen in this file
	// lineMode is set once the first object turned out to sit on one
	// line: the rest of the file is read as JSON lines.
	lineMode bool
	// keyAt is the stream offset of the next occurrence of the audited
	// key ID at or after keyFrom, or -1 when the input up to keyFrom
	// holds none after the last one found (see keyAhead).
	keyAt, keyFrom int64
	// lastLen is the length of the previous array element (0 before the
	// first): an element is parsed in place under a key filter only when
	// the next occurrence of the key lies within about that many bytes,
	// that is probably inside the element.
	lastLen int
}

// keyNear bounds how far ahead of an array element the next occurrence of
// the audited key ID may be for the element to be parsed in place: the
// element is likely to contain it. Farther, the element is first scanned
// for its end and parsed only if its bytes hold the ID. Within keyNear the
// bound is tightened to the previous element's length (plus an eighth):
// in an account where the key makes one event in seven, its next
// occurrence is nearly always within 16 KiB, but usually in a later
// element, and parsing every element in place only to drop it cost more
// than finding its end.
const keyNear = 16 << 10

// nearKey reports whether an array element starting at stream offset start
// probably holds the key ID found at keyAt.
func (sp *splitter) nearKey(keyAt, start int64) bool {
	if keyAt < 0 {
		return false
	}
	d := keyAt + int64(len(sp.r.key)) - start
	if sp.lastLen > 0 {
		return d <= int64(sp.lastLen+sp.lastLen/8)
	}
	return d < keyNear
}

// prefixAhead is how much input the fast path of splitter.array wants
// buffered ahead of an element before parsing it in place.
const prefixAhead = readChunk / 2

// keyAhead returns the stream offset of the first occurrence of the
// audited key ID at or after the current position within the buffered
// input, or -1. Searches resume where the previous one stopped, so each
// byte is searched about once however many elements it spans.
func (sp *splitter) keyAhead() int64 {
	s, key := sp.src, sp.r.key
	at, end := s.off+int64(s.pos), s.off+int64(s.end)
	if sp.keyAt >= at {
		return sp.keyAt
	}
	from := max(at, sp.keyFrom-int64(len(key))+1)
	if from < end {
		if i := bytes.Index(s.buf[from-s.off:s.end], key); i >= 0 {
			sp.keyAt = from + int64(i)
			return sp.keyAt
		}
	}
	sp.keyAt, sp.keyFrom = -1, end
	return -1
}

func readTrailFile(r *fileReader, src *source) error {
	p := r.ws.eventParser()
	r.parse = p.parse
	r.prefix = p.parsePrefix
	return splitJSON(r, src)
}

// splitJSON feeds every JSON record of src to r.record.
func splitJSON(r *fileReader, src *source) error {
	sp := &splitter{r: r, src: src, keyAt: -1}
	return sp.run()
}

func (sp *splitter) run() error {
	s := sp.src
	s.skipBOM()
	first := true
	for {
		if err := sp.r.ctx.Err(); err != nil {
			sp.r.fatal = err
			return errStop
		}
		s.keep = s.pos
		c, ok := s.skipSpace()
		if !ok {
			return s.readErr("between records")
		}
		if first && c != '[' && c != '{' {
			return &stopError{msg: fmt.Sprintf("not JSON (starts with %s); file skipped", quoteByte(c))}
		}
		first = false
		var err error
		switch {
		case sp.lineMode:
			err = sp.line()
		case c == '[':
			err = sp.array()
		case c == '{':
			var single bool
			single, err = sp.object()
			sp.lineMode = single
		default:
			err = sp.garbageLine()
		}
		if err != nil {
			return err
		}
	}
}

// garbageLine reports the rest of a line that is not JSON and skips it.
func (sp *splitter) garbageLine() error {
	s := sp.src
	line := s.lineAt(s.pos)
	c := s.buf[s.pos]
	sp.skipLine()
	return sp.r.problem("line", line, fmt.Sprintf("unexpected %s outside any record, line skipped", quoteByte(c)))
}

// skipLine moves pos past the next newline without keeping anything.
func (sp *splitter) skipLine() {
	s := sp.src
	for {
		s.keep = s.pos
		if i := bytes.IndexByte(s.buf[s.pos:s.end], '\n'); i >= 0 {
			s.pos += i + 1
			s.keep = s.pos
			return
		}
		s.pos = s.end
		if !s.fill() {
			return
		}
	}
}

// array reads a JSON array whose elements are records.
func (sp *splitter) array() error {
	s := sp.src
	// Elements found by scanning are noted as they are scanned; those
	// parsed in place, by their event (fileReader.accept).
	s.notes = sp.r.notes
	defer func() { s.notes = nil }()
	s.pos++ // '['
	for first := true; ; first = false {
		s.keep = s.pos
		c, ok := s.skipSpace()
		if !ok {
			return s.inputErrAfter(sp.n, "inside the array")
		}
		if c == ']' {
			s.pos++
			return nil
		}
		if !first {
			if c != ',' {
				return &stopError{unit: "event", pos: sp.n + 1, msg: fmt.Sprintf("unexpected %s after the previous event, want ',' or ']'; rest of file not read", quoteByte(c))}
			}
			s.pos++
			if c, ok = s.skipSpace(); !ok {
				return s.inputErrAfter(sp.n, "inside the array")
			}
			if c == ']' {
				if err := sp.r.problem("event", sp.n, "trailing comma after the event"); err != nil {
					return err
				}
				s.pos++
				return nil
			}
		}
		sp.n++
		s.keep = s.pos
		s.overflowed = false
		// (With MatchAny the element's end is found first and its bytes
		// searched for the needles: most are then dropped unparsed.)
		if sp.r.prefix != nil && c == '{' && len(sp.r.opts.MatchAny) == 0 {
			// Fast path: parse in place. Anything unusual (the element
			// runs past the buffer, or is malformed) goes the slow way.
			// With a key filter, only elements the next occurrence of the
			// key is near to are parsed in place; one that turns out not
			// to hold the key is filtered exactly as record would filter
			// it (its bytes do not contain the ID).
			//
			// Decompressors return a few KiB per read: top the window up
			// so that elements rarely straddle its end.
			for s.end-s.pos < prefixAhead && s.fill() {
			}
			keyAt := int64(-1)
			if len(sp.r.key) > 0 {
				keyAt = sp.keyAhead()
			}
			if len(sp.r.key) == 0 || sp.nearKey(keyAt, s.off+int64(s.pos)) {
				ev := sp.r.slot()
				o := Origin{Kind: sp.r.kind, File: sp.r.job.path, Pos: sp.n}
				if n, err := sp.r.prefix(ev, s.buf[s.pos:s.end], o); err == nil && n <= s.max {
					start := s.off + int64(s.pos)
					s.pos += n
					sp.lastLen = n
					if len(sp.r.key) > 0 && keyAt+int64(len(sp.r.key)) > start+int64(n) {
						if sp.r.notes != nil {
							sp.r.notes.event(ev)
						}
						sp.r.batch = sp.r.batch[:len(sp.r.batch)-1]
						sp.r.job.stats.Filtered++
						continue
					}
					if err := sp.r.accept(); err != nil {
						return err
					}
					continue
				}
				sp.r.batch = sp.r.batch[:len(sp.r.batch)-1]
			}
		}
		var err error
		if c != '{' || !s.skipElement() {
			err = s.scanValue()
		}
		if err != nil {
			if errors.Is(err, errEOF) {
				return s.inputErrIn(sp.n)
			}
			return &stopError{unit: "event", pos: sp.n, msg: err.Error() + "; rest of file not read"}
		}
		if s.tooLong() {
			s.overflowed = false
			if err := sp.r.problem("event", sp.n, fmt.Sprintf("event larger than %d bytes, skipped", s.max)); err != nil {
				return err
			}
			continue
		}
		sp.lastLen = s.pos - s.keep
		if err := sp.r.recordKeyed(s.buf[s.keep:s.pos], "event", sp.n, sp.holdsKey() && sp.r.anyNeedle(s.buf[s.keep:s.pos])); err != nil {
			return err
		}
	}
}

// holdsKey reports whether the element from keep to pos holds the key ID
// (true without a key filter), reusing what keyAhead found when it can:
// keyAhead only ever searched from positions at or before keep, so a
// keyAt at or after keep is the first occurrence there, and keyAt < 0
// means none ends at or before keyFrom.
func (sp *splitter) holdsKey() bool {
	s, key := sp.src, sp.r.key
	if len(key) == 0 {
		return true
	}
	start, end := s.off+int64(s.keep), s.off+int64(s.pos)
	switch {
	case sp.keyAt >= start:
		return sp.keyAt+int64(len(key)) <= end
	case sp.keyAt < 0 && end <= sp.keyFrom:
		return false
	}
	return bytes.Contains(s.buf[s.keep:s.pos], key)
}

func (s *source) inputErrIn(n int64) error {
	err := s.inputErr(fmt.Sprintf("inside event %d", n)).(*stopError)
	if s.rerr == nil && !s.gz {
		err.unit, err.pos, err.msg = "event", n, "unexpected end of input (truncated event)"
	}
	return err
}

func (s *source) inputErrAfter(n int64, where string) error {
	err := s.inputErr(fmt.Sprintf("after event %d", n)).(*stopError)
	if s.rerr == nil && !s.gz {
		err.unit, err.pos, err.msg = "event", n, "unexpected end of input "+where+" (truncated file)"
	}
	return err
}

// object reads a top-level object. If it has an "Events" array member (a
// LookupEvents document) its elements are the records, streamed whatever
// the document's size; otherwise the object is one record. single reports
// a record that sat on one line, which switches the file to JSON lines.
func (sp *splitter) object() (single bool, err error) {
	s := sp.src
	line := s.lineAt(s.pos)
	s.keep = s.pos
	s.overflowed = false
	s.pos++ // '{'
	doc := false
	for {
		c, ok := s.skipSpace()
		if !ok {
			if doc {
				return false, s.inputErrAfter(sp.n, "inside the LookupEvents document")
			}
			return false, s.lineEnd(line)
		}
		switch c {
		case '}':
			s.pos++
			if doc {
				s.keep = s.pos
				return false, nil
			}
			if s.tooLong() {
				s.overflowed = false
				return false, sp.r.problem("line", line, fmt.Sprintf("record larger than %d bytes, skipped", s.max))
			}
			rec := s.buf[s.keep:s.pos]
			single = bytes.IndexByte(rec, '\n') < 0
			return single, sp.r.record(rec, "line", line)
		case ',':
			s.pos++
			continue
		case '"':
		default:
			if doc {
				return false, &stopError{unit: "event", pos: sp.n, msg: fmt.Sprintf("unexpected %s in the LookupEvents document after event %d; rest of file not read", quoteByte(c), sp.n)}
			}
			// Not a key: let the record parser say what is wrong.
			if err := s.scanValue(); err != nil {
				return false, sp.objectErr(line, err)
			}
			continue
		}
		keyAt := s.off + int64(s.pos)
		if err := s.scanString(); err != nil {
			return false, sp.objectErr(line, err)
		}
		isEvents := false
		if i := int(keyAt - s.off); i >= 0 && !s.overflowed {
			isEvents = string(s.buf[i:s.pos]) == `"Events"`
		}
		c, ok = s.skipSpace()
		if ok && c == ':' {
			s.pos++
			c, ok = s.skipSpace()
		}
		if !ok {
			return false, s.lineEnd(line)
		}
		if isEvents && c == '[' {
			doc = true
			s.overflowed = false
			if err := sp.array(); err != nil {
				return false, err
			}
			s.keep = s.pos
			continue
		}
		if err := s.scanValue(); err != nil {
			return false, sp.objectErr(line, err)
		}
		if doc {
			s.keep = s.pos
		}
	}
}

func (sp *splitter) objectErr(line int64, err error) error {
	if errors.Is(err, errEOF) {
		return sp.src.lineEnd(line)
	}
	return &stopError{unit: "line", pos: line, msg: err.Error() + "; rest of file not read"}
}

// lineEnd is the error for input ending inside the object at line.
func (s *source) lineEnd(line int64) error {
	if s.rerr != nil || s.gz {
		return s.inputErr(fmt.Sprintf("inside the record at line %d", line))
	}
	return &stopError{unit: "line", pos: line, msg: "unexpected end of input (truncated record)"}
}

// line reads one line of a JSON lines file. Each line is an event object,
// a LookupEvents document or a JSON array of events.
func (sp *splitter) line() error {
	s := sp.src
	s.keep = s.pos
	s.overflowed = false
	line := s.lineAt(s.pos)
	for {
		if i := bytes.IndexByte(s.buf[s.pos:s.end], '\n'); i >= 0 {
			s.pos += i
			break
		}
		s.pos = s.end
		if !s.fill() {
			if s.rerr != nil {
				return s.inputErr(fmt.Sprintf("inside line %d", line))
			}
			break
		}
	}
	if s.tooLong() {
		s.overflowed = false
		return sp.r.problem("line", line, fmt.Sprintf("line longer than %d bytes, skipped", s.max))
	}
	rec := bytes.TrimSpace(s.buf[s.keep:s.pos])
	if len(rec) == 0 {
		return nil
	}
	switch rec[0] {
	case '{':
		if bytes.Contains(rec, []byte(`"Events"`)) {
			if elems, ok := docEvents(rec); ok {
				return sp.elements(elems, line)
			}
		}
		return sp.r.record(rec, "line", line)
	case '[':
		return sp.elements(rec, line)
	}
	return sp.r.problem("line", line, fmt.Sprintf("unexpected %s, want a JSON object; line skipped", quoteByte(rec[0])))
}

// docEvents returns the "Events" array of an in-memory LookupEvents
// document, if it is one.
func docEvents(rec []byte) ([]byte, bool) {
	s := scanner{b: rec}
	if s.enter('{') != nil {
		return nil, false
	}
	for first := true; ; first = false {
		ok, err := s.more('}', first)
		if err != nil || !ok {
			return nil, false
		}
		k, err := s.key()
		if err != nil {
			return nil, false
		}
		start := s.i
		if err := s.skip(); err != nil {
			return nil, false
		}
		if string(k) == "Events" && rec[start] == '[' {
			return rec[start:s.i], true
		}
	}
}

// elements feeds the elements of an in-memory array on one line.
func (sp *splitter) elements(arr []byte, line int64) error {
	s := scanner{b: arr}
	if err := s.enter('['); err != nil {
		return sp.r.problem("line", line, err.Error())
	}
	for first, k := true, 1; ; first, k = false, k+1 {
		ok, err := s.more(']', first)
		if err != nil {
			return sp.r.problem("line", line, fmt.Sprintf("event %d: %v; rest of line skipped", k, err))
		}
		if !ok {
			return nil
		}
		start := s.i
		if err := s.skip(); err != nil {
			return sp.r.problem("line", line, fmt.Sprintf("event %d: %v; rest of line skipped", k, err))
		}
		if err := sp.r.record(arr[start:s.i], "line", line); err != nil {
			return err
		}
	}
}

// ctxReader reads r in a goroutine so that a read blocked on a pipe
// (standard input) gives way to ctx: the read returns ctx's error and the
// blocked call is abandoned.
type ctxReader struct {
	ctx  context.Context
	r    io.Reader
	res  chan ctxRead
	busy bool
	rest []byte // read but not yet returned
	err  error  // error of the read rest came from
}

type ctxRead struct {
	buf []byte
	err error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if len(c.rest) > 0 || c.err != nil {
		n := copy(p, c.rest)
		c.rest = c.rest[n:]
		if len(c.rest) == 0 {
			err := c.err
			c.err = nil
			return n, err
		}
		return n, nil
	}
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if c.res == nil {
		c.res = make(chan ctxRead, 1)
	}
	if !c.busy {
		c.busy = true
		buf := make([]byte, len(p))
		go func() {
			n, err := c.r.Read(buf)
			c.res <- ctxRead{buf: buf[:n], err: err}
		}()
	}
	select {
	case r := <-c.res:
		c.busy = false
		c.rest, c.err = r.buf, r.err
		return c.Read(p)
	case <-c.ctx.Done():
		return 0, c.ctx.Err()
	}
}
