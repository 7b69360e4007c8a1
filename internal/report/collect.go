package report

import (
	"bufio"
	"bytes"
	"cmp"
	"container/heap"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/akresp/akresp/internal/audit"
)

// Event is one event of the key as the report reads it: the few fields the
// chart, the counts, the timeline and the evidence filter read, plus a
// reference to the event's evidence body (scrubbed JSON) in the
// Collector's store. It holds no request-parameter or response map.
type Event struct {
	Time        time.Time
	ID          string
	RequestID   string
	Name        string
	Service     string
	RW          string
	Region      string
	SourceIP    string
	UserAgent   string
	AccessKeyID string
	ErrorCode   string

	body evidenceBody
}

// evidenceBody is an event's evidence: its origin, its form and where the
// scrubbed JSON is (n bytes at off in a store).
type evidenceBody struct {
	origin string // "<kind>" or "<kind>:<file>" (interned)
	pos    int64  // position in the file (Origin.Pos); -1: none
	store  *store
	off    int64
	n      int32
	raw    bool
}

func (b evidenceBody) bytes() ([]byte, error) {
	if b.store == nil {
		return nil, nil
	}
	return b.store.read(b.off, int(b.n))
}

func (b evidenceBody) originText() string {
	if b.pos < 0 {
		return b.origin
	}
	return b.origin + "#" + strconv.FormatInt(b.pos, 10)
}

// store holds evidence bodies one after another: in memory (f nil) or in
// a private scratch file.
type store struct {
	mu     sync.Mutex
	f      *os.File
	w      *bufio.Writer
	mem    []byte
	off    int64
	buf    []byte
	closed bool
}

func (s *store) write(p []byte) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	off := s.off
	if s.f == nil {
		s.mem = append(s.mem, p...)
	} else if _, err := s.w.Write(p); err != nil {
		return 0, err
	}
	s.off += int64(len(p))
	return off, nil
}

// read returns n bytes at off; the slice is valid until the next read.
func (s *store) read(off int64, n int) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("the evidence store is closed")
	}
	if s.f == nil {
		return s.mem[off : off+int64(n) : off+int64(n)], nil
	}
	if s.w.Buffered() > 0 {
		if err := s.w.Flush(); err != nil {
			return nil, err
		}
	}
	if cap(s.buf) < n {
		s.buf = make([]byte, n)
	}
	b := s.buf[:n]
	if _, err := s.f.ReadAt(b, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return b, nil
}

func (s *store) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.mem = nil
	if s.f == nil {
		return nil
	}
	name := s.f.Name()
	err := s.f.Close()
	_ = os.Remove(name)
	return err
}

// CollectChunk is how many events a spilling Collector holds in memory:
// beyond it they are sorted and written to the scratch file as a run, and
// read back by merging the runs. It bounds the report's memory whatever
// the number of events (a variable so that tests can lower it).
var CollectChunk = 8192

// Collector keeps the events of a report as they are read, one at a time:
// each event's evidence is encoded (scrubbed) when it arrives and the
// parsed event is dropped. With a spill directory the evidence bodies go
// to a private scratch file there (removed by Close), and the events
// themselves, CollectChunk at a time, as sorted runs to a second one: the
// memory held does not grow with the events (Retained stays at most
// CollectChunk). Without one everything stays in memory (tests, small
// inputs). Add is safe for concurrent use.
type Collector struct {
	mu       sync.Mutex
	spillDir string
	bodies   *store
	runsF    *os.File
	runsW    *bufio.Writer
	runsOff  int64
	runs     []run
	chunk    []Event // not yet in a run, arrival order
	n        int
	intern   map[string]string
	err      error
}

// run is one sorted run of encoded events in the runs file.
type run struct {
	off, size int64
	count     int
}

// NewCollector returns a Collector; spillDir "" keeps the evidence in
// memory, else it is spilled to 0600 scratch files in spillDir (created
// 0700 if missing) when the first event arrives: a run that keeps no
// event creates nothing.
func NewCollector(spillDir string) (*Collector, error) {
	return &Collector{intern: map[string]string{}, spillDir: spillDir}, nil
}

func (c *Collector) open() error {
	if c.spillDir == "" {
		c.bodies = &store{}
		return nil
	}
	if err := os.MkdirAll(c.spillDir, 0o700); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	f, err := scratch(c.spillDir)
	if err != nil {
		return err
	}
	g, err := scratch(c.spillDir)
	if err != nil {
		_ = f.Close()
		return err
	}
	c.bodies = &store{f: f, w: bufio.NewWriterSize(f, 256<<10)}
	c.runsF, c.runsW = g, bufio.NewWriterSize(g, 64<<10)
	return nil
}

func scratch(dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, ".akresp-evidence-spill-*")
	if err != nil {
		return nil, fmt.Errorf("evidence: scratch file: %w", err)
	}
	// Unlinked at once where the system allows it (a crash leaves nothing).
	_ = os.Remove(f.Name())
	return f, nil
}

// Close releases the scratch files; the Events' evidence is unreadable
// afterwards.
func (c *Collector) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	if c.bodies != nil {
		err = c.bodies.close()
	}
	if c.runsF != nil {
		name := c.runsF.Name()
		err = errors.Join(err, c.runsF.Close())
		_ = os.Remove(name)
		c.runsF = nil
	}
	return err
}

func (c *Collector) in(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := c.intern[s]; ok {
		return v
	}
	if len(c.intern) < 1<<16 {
		c.intern[s] = s
	}
	return s
}

// Add keeps ev (with raw, the record as read, when the reader kept it).
// The evidence is encoded now: a raw record that is not valid JSON is an
// error (also kept for Err).
func (c *Collector) Add(ev *audit.Event, raw json.RawMessage) error {
	body, isRaw, err := encodeBody(ev, raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err // the report fails with the first error anyway
	}
	if err != nil {
		c.err = err
		return err
	}
	if c.bodies == nil {
		if err := c.open(); err != nil {
			c.err = err
			return err
		}
	}
	if len(body) > 1<<31-1 {
		c.err = fmt.Errorf("evidence: event %s is larger than 2 GiB", ev.ID)
		return c.err
	}
	off, err := c.bodies.write(body)
	if err != nil {
		c.err = fmt.Errorf("evidence: scratch file: %w", err)
		return c.err
	}
	e := Event{Time: ev.Time.UTC(), ID: ev.ID, RequestID: ev.RequestID, Name: c.in(ev.Name), Service: c.in(ev.Service), RW: c.in(ev.RW),
		Region: c.in(ev.Region), SourceIP: c.in(ev.SourceIP), UserAgent: c.in(ev.UserAgent), AccessKeyID: c.in(ev.AccessKeyID),
		ErrorCode: c.in(ev.ErrorCode)}
	e.body = evidenceBody{origin: c.in(originBase(ev.Source)), pos: -1, store: c.bodies, off: off, n: int32(len(body)), raw: isRaw}
	if ev.Source.Kind != "" && ev.Source.File != "" {
		e.body.pos = ev.Source.Pos
	}
	c.chunk = append(c.chunk, e)
	c.n++
	if c.runsF != nil && len(c.chunk) >= CollectChunk {
		if err := c.flushRun(); err != nil {
			c.err = err
			return err
		}
	}
	return nil
}

// flushRun sorts the chunk and appends it to the runs file.
func (c *Collector) flushRun() error {
	if len(c.chunk) == 0 {
		return nil
	}
	slices.SortStableFunc(c.chunk, cmpEventV)
	var buf []byte
	start := c.runsOff
	for i := range c.chunk {
		buf = appendEvent(buf[:0], &c.chunk[i])
		if _, err := c.runsW.Write(buf); err != nil {
			return fmt.Errorf("evidence: scratch file: %w", err)
		}
		c.runsOff += int64(len(buf))
	}
	if err := c.runsW.Flush(); err != nil {
		return fmt.Errorf("evidence: scratch file: %w", err)
	}
	c.runs = append(c.runs, run{off: start, size: c.runsOff - start, count: len(c.chunk)})
	clear(c.chunk)
	c.chunk = c.chunk[:0]
	return nil
}

// cmpEvent orders events by time, then event ID.
func cmpEvent(a, b *Event) int {
	return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.ID, b.ID))
}

// Len is the number of events kept.
func (c *Collector) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Err is the first error Add met.
func (c *Collector) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Retained is the number of events the Collector holds in memory now: at
// most CollectChunk with a spill directory, whatever Len is.
func (c *Collector) Retained() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.chunk)
}

// Runs is the number of sorted runs spilled so far.
func (c *Collector) Runs() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.runs)
}

// Events returns every event kept, in arrival order, in memory: for tests
// and small inputs (the report itself reads them with Each).
func (c *Collector) Events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.runs) == 0 {
		return slices.Clone(c.chunk)
	}
	var out []Event
	_ = c.each(func(e *Event) bool { out = append(out, *e); return true })
	slices.SortStableFunc(out, func(a, b Event) int { return cmp.Compare(a.body.off, b.body.off) }) // bodies are in arrival order
	return out
}

// Each calls yield with every event kept, in time order (then event ID,
// then arrival), until yield returns false. The Event is valid during the
// call only. Memory stays bounded: the runs are merged from the scratch
// file.
func (c *Collector) Each(yield func(*Event) bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.each(yield)
}

func (c *Collector) each(yield func(*Event) bool) error {
	if c.err != nil {
		return c.err
	}
	if len(c.runs) == 0 {
		// Sorted in place: the arrival order is also the order of the bodies.
		slices.SortStableFunc(c.chunk, cmpEventV)
		for i := range c.chunk {
			e := c.chunk[i]
			if !yield(&e) {
				return nil
			}
		}
		return nil
	}
	if err := c.flushRun(); err != nil {
		c.err = err
		return err
	}
	h := make(runHeap, 0, len(c.runs))
	intern := map[string]string{}
	for i, r := range c.runs {
		rr := &runReader{idx: i, left: r.count, r: bufio.NewReaderSize(io.NewSectionReader(c.runsF, r.off, r.size), 16<<10),
			store: c.bodies, intern: intern}
		ok, err := rr.next()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, rr)
		}
	}
	heap.Init(&h)
	for len(h) > 0 {
		rr := h[0]
		e := rr.cur
		if !yield(&e) {
			return nil
		}
		ok, err := rr.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return nil
}

// runReader reads one run back.
type runReader struct {
	idx    int
	left   int
	r      *bufio.Reader
	cur    Event
	store  *store
	intern map[string]string
	sbuf   []byte
}

func (rr *runReader) next() (bool, error) {
	if rr.left == 0 {
		return false, nil
	}
	rr.left--
	if err := rr.decode(); err != nil {
		return false, fmt.Errorf("evidence: scratch file: %w", err)
	}
	return true, nil
}

type runHeap []*runReader

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if c := cmpEvent(&h[i].cur, &h[j].cur); c != 0 {
		return c < 0
	}
	return h[i].idx < h[j].idx // earlier run: earlier arrival
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// appendEvent encodes e for a run: the time, the strings, the body
// reference.
func appendEvent(b []byte, e *Event) []byte {
	b = binary.AppendVarint(b, e.Time.Unix())
	b = binary.AppendUvarint(b, uint64(e.Time.Nanosecond()))
	for _, s := range [...]string{e.ID, e.RequestID, e.Name, e.Service, e.RW, e.Region, e.SourceIP, e.UserAgent, e.AccessKeyID,
		e.ErrorCode, e.body.origin} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendVarint(b, e.body.pos)
	b = binary.AppendVarint(b, e.body.off)
	b = binary.AppendUvarint(b, uint64(e.body.n))
	if e.body.raw {
		return append(b, 1)
	}
	return append(b, 0)
}

func (rr *runReader) decode() error {
	sec, err := binary.ReadVarint(rr.r)
	if err != nil {
		return err
	}
	ns, err := binary.ReadUvarint(rr.r)
	if err != nil {
		return err
	}
	e := Event{Time: time.Unix(sec, int64(ns)).UTC()}
	for i, p := range [...]*string{&e.ID, &e.RequestID, &e.Name, &e.Service, &e.RW, &e.Region, &e.SourceIP, &e.UserAgent,
		&e.AccessKeyID, &e.ErrorCode, &e.body.origin} {
		n, err := binary.ReadUvarint(rr.r)
		if err != nil {
			return err
		}
		if n > 1<<30 {
			return errors.New("corrupt run")
		}
		if cap(rr.sbuf) < int(n) {
			rr.sbuf = make([]byte, n)
		}
		s := rr.sbuf[:n]
		if _, err := io.ReadFull(rr.r, s); err != nil {
			return err
		}
		if i < 2 { // event and request IDs: unique
			*p = string(s)
			continue
		}
		if v, ok := rr.intern[string(s)]; ok {
			*p = v
			continue
		}
		v := string(s)
		if len(rr.intern) < 1<<16 {
			rr.intern[v] = v
		}
		*p = v
	}
	if e.body.pos, err = binary.ReadVarint(rr.r); err != nil {
		return err
	}
	if e.body.off, err = binary.ReadVarint(rr.r); err != nil {
		return err
	}
	n, err := binary.ReadUvarint(rr.r)
	if err != nil {
		return err
	}
	raw, err := rr.r.ReadByte()
	if err != nil {
		return err
	}
	e.body.n, e.body.raw, e.body.store = int32(n), raw == 1, rr.store
	rr.cur = e
	return nil
}

// KeepEvents converts raw events to Events with their evidence in memory.
func KeepEvents(events []RawEvent) ([]Event, error) {
	c, _ := NewCollector("")
	for i := range events {
		if err := c.Add(&events[i].Event, events[i].Raw); err != nil {
			return nil, err
		}
	}
	return c.Events(), nil
}

// encodeBody is the scrubbed evidence body of one event: the raw record
// when there is one, else the normalised event.
func encodeBody(ev *audit.Event, raw json.RawMessage) (body []byte, isRaw bool, err error) {
	if len(bytes.TrimSpace(raw)) > 0 {
		body, isRaw = raw, true
	} else {
		body, err = appendNormalised(nil, ev) // json.Marshal's bytes (jsonenc.go)
		if err != nil {
			return nil, false, fmt.Errorf("evidence: encode event %s: %w", ev.ID, err)
		}
		if plainNoSecrets(body) {
			// Compact and valid already: ScrubJSON would copy it unchanged.
			return body, false, nil
		}
	}
	clean, err := ScrubJSON(body)
	if err != nil {
		return nil, false, fmt.Errorf("evidence: event %s is not valid JSON: %w", ev.ID, err)
	}
	return clean, isRaw, nil
}

func cmpEventV(a, b Event) int { return cmpEvent(&a, &b) }
