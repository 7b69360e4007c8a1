package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/akresp/akresp/internal/state"
)

// Record kinds.
const (
	KindIntent  = "intent"  // written before an API call
	KindOutcome = "outcome" // written after it, success or failure
	KindNote    = "note"    // plan, verification, refusal: context for readers
)

// Outcome results.
const (
	ResultOK      = "ok"
	ResultError   = "error"
	ResultSkipped = "skipped" // nothing to do (already in the target state)
	ResultUnknown = "unknown" // the call may or may not have happened (connection lost)
)

// Record is one journal line. Before/After hold the observed and target
// state of the action as JSON; they must never contain a secret.
type Record struct {
	Time      time.Time       `json:"time"`
	Kind      string          `json:"kind"`
	Command   string          `json:"command"` // contain | contain-undo | disable | enable | delete | rotate ...
	RunID     string          `json:"run_id"`
	KeyID     string          `json:"key_id"`
	PlanHash  string          `json:"plan_hash,omitempty"`
	ActionID  string          `json:"action_id,omitempty"`
	Action    string          `json:"action,omitempty"` // e.g. set-network-acl, attach-deny-policy
	Target    string          `json:"target,omitempty"` // user, policy or key the action touches
	Before    json.RawMessage `json:"before,omitempty"`
	After     json.RawMessage `json:"after,omitempty"`
	RequestID string          `json:"request_id,omitempty"`
	Result    string          `json:"result,omitempty"`
	ErrorCode string          `json:"error_code,omitempty"`
	Error     string          `json:"error,omitempty"`
	Operator  string          `json:"operator,omitempty"` // caller ARN from sts:GetCallerIdentity
	Endpoint  string          `json:"endpoint,omitempty"`
	Message   string          `json:"message,omitempty"`

	// File and Line locate the record when read back; not written.
	File string `json:"-"`
	Line int    `json:"-"`
}

// Journal is one open journal file. It is safe for concurrent use: contain
// applies independent actions in parallel.
type Journal struct {
	mu    sync.Mutex
	f     *os.File
	path  string
	runID string
	cmd   string
	keyID string
	now   func() time.Time
}

// Open creates a new journal file for one run of command on keyID.
func Open(base, keyID, command string, now func() time.Time) (*Journal, error) {
	if now == nil {
		now = time.Now
	}
	dir, err := state.KeyDir(base, keyID)
	if err != nil {
		return nil, err
	}
	t := now().UTC()
	// Two runs can start at the same instant (a frozen test clock, or two
	// processes racing for the key lock): the first free suffix wins.
	for n := 1; n <= 1000; n++ {
		runID := fmt.Sprintf("%s-%s", t.Format("20060102T150405.000000000Z"), command)
		if n > 1 {
			runID = fmt.Sprintf("%s-%d", runID, n)
		}
		path := filepath.Join(dir, runID+".jsonl")
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|os.O_EXCL, state.FileMode)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("journal: create %s: %w", path, err)
		}
		return &Journal{f: f, path: path, runID: runID, cmd: command, keyID: keyID, now: now}, nil
	}
	return nil, fmt.Errorf("journal: too many journals for %s at %s in %s", keyID, t.Format(time.RFC3339Nano), dir)
}

// Path returns the journal file's path.
func (j *Journal) Path() string { return j.path }

// RunID identifies this run in every record.
func (j *Journal) RunID() string { return j.runID }

// Append writes rec as one line and fsyncs it before returning. Time,
// Command, RunID and KeyID are filled in when empty.
func (j *Journal) Append(rec Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return errors.New("journal: append after close")
	}
	if rec.Time.IsZero() {
		rec.Time = j.now()
	}
	rec.Time = rec.Time.UTC()
	if rec.Command == "" {
		rec.Command = j.cmd
	}
	if rec.RunID == "" {
		rec.RunID = j.runID
	}
	if rec.KeyID == "" {
		rec.KeyID = j.keyID
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("journal: encode: %w", err)
	}
	b = append(b, '\n')
	if _, err := j.f.Write(b); err != nil {
		return fmt.Errorf("journal: write %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal: fsync %s: %w", j.path, err)
	}
	return nil
}

// Close closes the file.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// Files lists the journal files of keyID, oldest first. A key with no
// state directory has none.
func Files(base, keyID string) ([]string, error) {
	if keyID == "" || strings.ContainsAny(keyID, `/\`) {
		return nil, fmt.Errorf("journal: bad key id %q", keyID)
	}
	matches, err := filepath.Glob(filepath.Join(base, keyID, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	sort.Strings(matches) // names start with a sortable UTC timestamp
	return matches, nil
}

// ReadFile reads every record of one journal. A torn last line (the process
// died mid-write) is tolerated and reported through the returned warning;
// any other malformed line is an error naming the file and line.
func ReadFile(path string) (recs []Record, warning string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64*1024)
	line := 0
	for {
		b, rerr := r.ReadBytes('\n')
		if len(b) > 0 {
			line++
			complete := b[len(b)-1] == '\n'
			b = bytes.TrimSpace(b)
			if len(b) > 0 {
				var rec Record
				if uerr := json.Unmarshal(b, &rec); uerr != nil {
					if !complete && errors.Is(rerr, io.EOF) {
						warning = fmt.Sprintf("%s:%d: incomplete last record ignored (the writer was interrupted)", path, line)
						break
					}
					return recs, warning, fmt.Errorf("journal: %s:%d: %w", path, line, uerr)
				}
				rec.File, rec.Line = path, line
				recs = append(recs, rec)
			}
		}
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				break
			}
			return recs, warning, fmt.Errorf("journal: read %s: %w", path, rerr)
		}
	}
	return recs, warning, nil
}

// ReadKey reads all journals of keyID in time order.
func ReadKey(base, keyID string) (recs []Record, warnings []string, err error) {
	files, err := Files(base, keyID)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range files {
		r, w, err := ReadFile(p)
		if err != nil {
			return nil, warnings, err
		}
		if w != "" {
			warnings = append(warnings, w)
		}
		recs = append(recs, r...)
	}
	sort.SliceStable(recs, func(i, k int) bool { return recs[i].Time.Before(recs[k].Time) })
	return recs, warnings, nil
}

// Pending returns the intents in recs that have no outcome (same run and
// action id): calls that may or may not have reached the cloud before the
// process died. Resume logic must re-check live state for each.
func Pending(recs []Record) []Record {
	done := map[string]bool{}
	for _, r := range recs {
		if r.Kind == KindOutcome {
			done[r.RunID+"\x00"+r.ActionID] = true
		}
	}
	var out []Record
	for _, r := range recs {
		if r.Kind == KindIntent && !done[r.RunID+"\x00"+r.ActionID] {
			out = append(out, r)
		}
	}
	return out
}
