package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/akresp/akresp/internal/audit"
)

// Event is one event of the key as the report keeps it: the few fields the
// chart, the counts, the timeline and the evidence filter read, plus the
// event's evidence body already encoded (scrubbed JSON). It holds no
// request-parameter or response map: a report of a busy key keeps about
// 250 bytes per event in memory (the bodies go to a spill file when the
// Collector has one), where the parsed events took ~2 KB each.
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

// evidenceBody is an event's evidence: its origin, its form and the
// scrubbed JSON, in memory (mem) or at off/n in a spill file.
type evidenceBody struct {
	origin string
	raw    bool
	mem    []byte
	spill  *spill
	off    int64
	n      int
}

func (b evidenceBody) bytes() ([]byte, error) {
	if b.spill == nil {
		return b.mem, nil
	}
	return b.spill.read(b.off, b.n)
}

// spill is a private scratch file holding evidence bodies.
type spill struct {
	mu  sync.Mutex
	f   *os.File
	w   *bufio.Writer
	off int64
	buf []byte
}

func (s *spill) write(p []byte) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	off := s.off
	if _, err := s.w.Write(p); err != nil {
		return 0, err
	}
	s.off += int64(len(p))
	return off, nil
}

// read returns n bytes at off; the slice is valid until the next read.
func (s *spill) read(off int64, n int) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
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

// Collector keeps the events of a report as they are read, one at a time:
// each event's evidence is encoded (scrubbed) when it arrives, the parsed
// event is dropped, and only an Event is kept. With a spill directory the
// evidence bodies go to a private scratch file there (removed by Close),
// so memory does not grow with the evidence. Add is safe for concurrent
// use.
type Collector struct {
	mu       sync.Mutex
	spillDir string
	spill    *spill
	events   []Event
	intern   map[string]string
	err      error
}

// NewCollector returns a Collector; spillDir "" keeps the evidence in
// memory, else it is spilled to a 0600 scratch file in spillDir (created
// 0700 if missing) when the first event arrives: a run that keeps no
// event creates nothing.
func NewCollector(spillDir string) (*Collector, error) {
	return &Collector{intern: map[string]string{}, spillDir: spillDir}, nil
}

func (c *Collector) openSpill() error {
	if err := os.MkdirAll(c.spillDir, 0o700); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	f, err := os.CreateTemp(c.spillDir, ".akresp-evidence-spill-*")
	if err != nil {
		return fmt.Errorf("evidence: scratch file: %w", err)
	}
	// Unlinked at once where the system allows it (a crash leaves nothing).
	_ = os.Remove(f.Name())
	c.spill = &spill{f: f, w: bufio.NewWriterSize(f, 256<<10)}
	return nil
}

// Close releases the scratch file; the Events' evidence is unreadable
// afterwards.
func (c *Collector) Close() error {
	if c == nil || c.spill == nil {
		return nil
	}
	s := c.spill
	s.mu.Lock()
	defer s.mu.Unlock()
	name := s.f.Name()
	err := s.f.Close()
	_ = os.Remove(name)
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
		if c.err == nil {
			c.err = err
		}
		return err
	}
	e := Event{Time: ev.Time.UTC(), ID: ev.ID, RequestID: ev.RequestID, Name: c.in(ev.Name), Service: c.in(ev.Service), RW: c.in(ev.RW),
		Region: c.in(ev.Region), SourceIP: c.in(ev.SourceIP), UserAgent: c.in(ev.UserAgent), AccessKeyID: c.in(ev.AccessKeyID),
		ErrorCode: c.in(ev.ErrorCode)}
	e.body = evidenceBody{origin: c.in(originText(ev.Source)), raw: isRaw}
	if c.spillDir != "" && c.spill == nil {
		if err := c.openSpill(); err != nil {
			c.err = err
			return err
		}
	}
	if c.spill != nil {
		off, err := c.spill.write(body)
		if err != nil {
			err = fmt.Errorf("evidence: scratch file: %w", err)
			if c.err == nil {
				c.err = err
			}
			return err
		}
		e.body.spill, e.body.off, e.body.n = c.spill, off, len(body)
	} else {
		e.body.mem = body
	}
	c.events = append(c.events, e)
	return nil
}

// Len is the number of events kept.
func (c *Collector) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

// Events returns the events kept, in arrival order.
func (c *Collector) Events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.events
}

// Err is the first error Add met.
func (c *Collector) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
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
		body, err = json.Marshal(normalisedEvent{EventID: ev.ID, RequestID: ev.RequestID, EventTime: ev.Time.UTC(), EventName: ev.Name,
			ServiceName: ev.Service, EventType: ev.Type, EventRW: ev.RW, Region: ev.Region, SourceIP: ev.SourceIP, UserAgent: ev.UserAgent,
			AccessKeyID: ev.AccessKeyID, UserType: ev.UserType, UserName: ev.UserName, PrincipalID: ev.PrincipalID, AccountID: ev.AccountID,
			ErrorCode: ev.ErrorCode, ErrorMessage: ev.ErrorMessage, VpcID: ev.VpcID, Params: ev.Params, Response: ev.Response,
			Resources: ev.Resources, DataPlane: ev.DataPlane})
		if err != nil {
			return nil, false, fmt.Errorf("evidence: encode event %s: %w", ev.ID, err)
		}
	}
	clean, err := ScrubJSON(body)
	if err != nil {
		return nil, false, fmt.Errorf("evidence: event %s is not valid JSON: %w", ev.ID, err)
	}
	return clean, isRaw, nil
}
