package journal

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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
	base  string
	runID string
	cmd   string
	keyID string
	now   func() time.Time
	key   []byte // the state directory's MAC key
	seq   int    // records written
	head  string // MAC of the last record ("" before the first)
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
	key, err := state.MACKey(base, true)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
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
		// The index names the file before it holds a record, so a
		// missing index with records about is always someone's doing.
		if err := state.SealJournal(base, keyID, filepath.Base(path), 0, ""); err != nil {
			f.Close()
			return nil, fmt.Errorf("journal %s: seal index: %w", path, err)
		}
		return &Journal{f: f, path: path, base: base, runID: runID, cmd: command, keyID: keyID, now: now, key: key}, nil
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
	if err := state.CheckNoSecret(b); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	seq := j.seq + 1
	line, mac, err := sealLine(j.key, j.keyID, filepath.Base(j.path), seq, j.head, b)
	if err != nil {
		return fmt.Errorf("journal: encode: %w", err)
	}
	if _, err := j.f.Write(line); err != nil {
		return fmt.Errorf("journal: write %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal: fsync %s: %w", j.path, err)
	}
	j.seq, j.head = seq, mac
	// The line is durable before the index counts it: a crash in between
	// leaves one verified record beyond the sealed count, which is fine;
	// the reverse would read as a truncated journal.
	if err := state.SealJournal(j.base, j.keyID, filepath.Base(j.path), seq, mac); err != nil {
		return fmt.Errorf("journal %s: seal index: %w", j.path, err)
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

// ReadFile reads every record of one journal, <base>/<keyID>/<name>.jsonl,
// and verifies it: each line's MAC (over its content, its position and the
// line before it) under the state directory's key, and the record count
// sealed in the key's index, so that an edited, deleted, reordered or
// truncated record, or an emptied file, is an *state.IntegrityError (exit 4)
// naming the file and line. A torn last line (the process died mid-write)
// is tolerated and reported through the returned warning; any other
// malformed line is an error naming the file and line.
func ReadFile(path string) (recs []Record, warning string, err error) {
	keyDir := filepath.Dir(path)
	base, keyID := filepath.Dir(keyDir), filepath.Base(keyDir)
	if err := state.CheckBase(base, keyID); err != nil {
		return nil, "", err
	}
	// The index is read before the file: a writer appends the line first
	// and counts it second, so the file never holds fewer records than an
	// index read earlier says.
	seals, err := state.LoadSeals(base, keyID)
	if err != nil {
		return nil, "", err
	}
	recs, warning, _, err = readVerified(base, keyID, path, seals)
	return recs, warning, err
}

// readVerified reads and verifies path and returns, besides the records,
// the bytes of its complete verified lines (for Head).
func readVerified(base, keyID, path string, seals *state.Seals) (recs []Record, warning string, raw []byte, err error) {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, "", nil, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	sealed, isSealed := seals.Journals[name]
	var key []byte
	r := bufio.NewReaderSize(f, 64*1024)
	line, seq, prev := 0, 0, ""
	for {
		b, rerr := r.ReadBytes('\n')
		if len(b) > 0 {
			line++
			complete := b[len(b)-1] == '\n'
			full := b
			b = bytes.TrimSpace(b)
			if len(b) > 0 {
				var rec Record
				if uerr := json.Unmarshal(b, &rec); uerr != nil {
					if !complete && errors.Is(rerr, io.EOF) {
						warning = fmt.Sprintf("%s:%d: incomplete last record ignored (the writer was interrupted)", path, line)
						break
					}
					return recs, warning, raw, fmt.Errorf("journal: %s:%d: %w", path, line, uerr)
				}
				if key == nil {
					if key, err = state.MACKey(base, false); errors.Is(err, os.ErrNotExist) {
						return recs, warning, raw, &state.IntegrityError{File: path, Line: line,
							Reason: "the MAC key " + filepath.Join(base, state.KeyFileName) + " is missing, so the journal cannot be verified"}
					} else if err != nil {
						return recs, warning, raw, err
					}
				}
				mac, verr := verifyLine(key, keyID, name, seq+1, prev, b)
				if verr != nil {
					verr.File, verr.Line = path, line
					return recs, warning, raw, verr
				}
				seq, prev = seq+1, mac
				if isSealed && seq == sealed.Records && !state.MACEqual(mac, sealed.Head) {
					return recs, warning, raw, &state.IntegrityError{File: path, Line: line,
						Reason: fmt.Sprintf("record %d is not the one %s sealed: the journal was rewritten", seq, seals.Path)}
				}
				rec.File, rec.Line = path, line
				recs = append(recs, rec)
				raw = append(raw, full...)
			}
		}
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				break
			}
			return recs, warning, raw, fmt.Errorf("journal: read %s: %w", path, rerr)
		}
	}
	if !seals.Present && seq > 0 {
		return recs, warning, raw, &state.IntegrityError{File: seals.Path,
			Reason: "the seal index is missing while " + path + " holds records: it was deleted outside akresp (or the journal was written by an akresp without integrity checks)"}
	}
	if isSealed && seq < sealed.Records {
		what := "truncated"
		if seq == 0 {
			what = "emptied"
		}
		return recs, warning, raw, &state.IntegrityError{File: path, Line: line + 1,
			Reason: fmt.Sprintf("the journal was %s: %s seals %d records, the file holds %d", what, seals.Path, sealed.Records, seq)}
	}
	return recs, warning, raw, nil
}

// ReadKey reads all journals of keyID in time order, verified as ReadFile
// does; a journal the key's index lists that is no longer there is an
// *state.IntegrityError too.
func ReadKey(base, keyID string) (recs []Record, warnings []string, err error) {
	recs, warnings, _, err = readKey(base, keyID)
	return recs, warnings, err
}

func readKey(base, keyID string) (recs []Record, warnings []string, raw []byte, err error) {
	if keyID == "" || strings.ContainsAny(keyID, `/\`) {
		return nil, nil, nil, fmt.Errorf("journal: bad key id %q", keyID)
	}
	if err := state.CheckBase(base, keyID); err != nil {
		return nil, nil, nil, err
	}
	seals, err := state.LoadSeals(base, keyID)
	if err != nil {
		return nil, nil, nil, err
	}
	files, err := Files(base, keyID)
	if err != nil {
		return nil, nil, nil, err
	}
	have := map[string]bool{}
	for _, p := range files {
		have[filepath.Base(p)] = true
	}
	var gone []string
	for name, s := range seals.Journals {
		if !have[name] && s.Records > 0 {
			gone = append(gone, name)
		}
	}
	if len(gone) > 0 {
		sort.Strings(gone)
		return nil, nil, nil, &state.IntegrityError{File: filepath.Join(base, keyID, gone[0]),
			Reason: fmt.Sprintf("the journal is gone, but %s says akresp wrote %d records to it: it was deleted outside akresp", seals.Path, seals.Journals[gone[0]].Records)}
	}
	for _, p := range files {
		r, w, b, err := readVerified(base, keyID, p, seals)
		if err != nil {
			return nil, warnings, nil, err
		}
		if w != "" {
			warnings = append(warnings, w)
		}
		recs = append(recs, r...)
		raw = append(raw, filepath.Base(p)...)
		raw = append(raw, '\n')
		raw = append(raw, b...)
	}
	sort.SliceStable(recs, func(i, k int) bool { return recs[i].Time.Before(recs[k].Time) })
	return recs, warnings, raw, nil
}

// Head returns the chain head of keyID's journals: the hex SHA-256 of, for
// each journal file in name (time) order, its base name, a newline and the
// bytes of its complete lines. It is computed after every record has been
// verified (ReadKey's errors are returned), changes with every record
// written, and anyone holding a copy of the journals can recompute it to
// show they are the ones a report was made from. "" when the key has no
// journal.
func Head(base, keyID string) (string, error) {
	_, _, raw, err := readKey(base, keyID)
	if err != nil || len(raw) == 0 {
		return "", err
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:]), nil
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
