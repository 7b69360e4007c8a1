package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/gofrs/flock"
)

// SealIndexName is the sealed per-key index: how many records each journal
// held when last written, and which versions of each sealed state file are
// current. It is what makes an emptied or truncated journal, a deleted
// journal or state file, and an old copy of a state file detectable.
const SealIndexName = ".seal.json"

const (
	sealMember     = "seal"
	sealDomain     = "akresp-state-v1"
	sealFieldDom   = "akresp-state-field-v1"
	sealIndexV1    = "akresp.seal-index/v1"
	sealLockName   = ".seal.lock"
	fieldMACLength = 16 // hex digits of a per-field MAC: diagnosis only, the whole-file MAC decides
)

// JournalSeal is what the index holds for one journal file.
type JournalSeal struct {
	Records int    `json:"records"` // complete records written
	Head    string `json:"head"`    // MAC of the last of them
}

// Seals is a key's verified seal index.
type Seals struct {
	Path     string                 `json:"-"`
	Present  bool                   `json:"-"` // false: no index yet (nothing sealed in this key directory)
	Schema   string                 `json:"schema"`
	KeyID    string                 `json:"key_id"`
	Journals map[string]JournalSeal `json:"journals,omitempty"`
	States   map[string][]string    `json:"states,omitempty"` // file name -> MACs of the acceptable versions
}

type sealInfo struct {
	MAC    string            `json:"mac"`
	Fields map[string]string `json:"fields,omitempty"`
}

// splitPath splits <base>/<keyID>/<name>.
func splitPath(path string) (base, keyID, name string, err error) {
	dir := filepath.Dir(path)
	base, keyID, name = filepath.Dir(dir), filepath.Base(dir), filepath.Base(path)
	if err := safeName(keyID); err != nil {
		return "", "", "", fmt.Errorf("state: %s is not inside a key directory: %w", path, err)
	}
	return base, keyID, name, nil
}

// sealJSON encodes v (a JSON object) indented, with a "seal" member holding
// the MAC over its other members and a short MAC per member.
func sealJSON(key []byte, keyID, name string, v any) ([]byte, string, error) {
	flat, err := json.Marshal(v)
	if err != nil {
		return nil, "", err
	}
	canon, members, err := Canonical(flat)
	if err != nil {
		return nil, "", fmt.Errorf("only JSON objects can be sealed: %w", err)
	}
	if err := CheckNoSecret(flat); err != nil {
		return nil, "", err
	}
	if len(members) == 0 {
		return nil, "", errors.New("an empty object cannot be sealed")
	}
	if _, clash := members[sealMember]; clash {
		return nil, "", fmt.Errorf("a member named %q cannot be sealed", sealMember)
	}
	si := sealInfo{MAC: MAC(key, sealDomain, keyID, name, canon), Fields: fieldMACs(key, keyID, name, members)}
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, "", err
	}
	sealed, err := json.MarshalIndent(si, "  ", "  ")
	if err != nil {
		return nil, "", err
	}
	body = bytes.TrimRight(body, "\n")
	out := make([]byte, 0, len(body)+len(sealed)+16)
	out = append(out, body[:len(body)-2]...) // drop "\n}"
	out = append(out, ",\n  \""+sealMember+"\": "...)
	out = append(out, sealed...)
	out = append(out, "\n}\n"...)
	return out, si.MAC, nil
}

func fieldMACs(key []byte, keyID, name string, members map[string]json.RawMessage) map[string]string {
	out := make(map[string]string, len(members))
	for k, raw := range members {
		var c bytes.Buffer
		_ = json.Compact(&c, raw)
		out[k] = MAC(key, sealFieldDom, keyID, name, k, c.String())[:fieldMACLength]
	}
	return out
}

// openSealed verifies data read from path and returns its MAC and its
// members without the seal.
func openSealed(key []byte, keyID, name, path string, data []byte) (string, map[string]json.RawMessage, error) {
	canon, members, err := Canonical(data, sealMember)
	if err != nil {
		return "", nil, &IntegrityError{File: path, Reason: "not a JSON object: " + err.Error()}
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(data, &m)
	raw, ok := m[sealMember]
	if !ok {
		return "", nil, &IntegrityError{File: path, Field: sealMember, Reason: "the file carries no seal (written by hand, or by an akresp without integrity checks)"}
	}
	var si sealInfo
	if err := json.Unmarshal(raw, &si); err != nil || si.MAC == "" {
		return "", nil, &IntegrityError{File: path, Field: sealMember, Reason: "the seal is malformed"}
	}
	if MACEqual(MAC(key, sealDomain, keyID, name, canon), si.MAC) {
		return si.MAC, members, nil
	}
	// Say which member changed, when the per-member MACs can tell.
	now := fieldMACs(key, keyID, name, members)
	var changed []string
	for k, v := range now {
		if w, ok := si.Fields[k]; !ok {
			changed = append(changed, k+" (added)")
		} else if !MACEqual(w, v) {
			changed = append(changed, k)
		}
	}
	for k := range si.Fields {
		if _, ok := now[k]; !ok {
			changed = append(changed, k+" (removed)")
		}
	}
	sort.Strings(changed)
	ie := &IntegrityError{File: path, Reason: "the content does not match its MAC: it was edited after akresp wrote it"}
	if len(changed) == 1 {
		ie.Field = changed[0]
	} else if len(changed) > 1 {
		ie.Reason += fmt.Sprintf(" (fields %q)", changed)
	}
	return "", nil, ie
}

// LoadSeals reads and verifies the seal index of keyID. A missing index is
// no error: Present is false.
func LoadSeals(base, keyID string) (*Seals, error) {
	if err := safeName(keyID); err != nil {
		return nil, err
	}
	path := filepath.Join(base, keyID, SealIndexName)
	s := &Seals{Path: path, Schema: sealIndexV1, KeyID: keyID}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	key, err := MACKey(base, false)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &IntegrityError{File: filepath.Join(base, KeyFileName), Reason: "the MAC key is missing, so nothing in " + filepath.Join(base, keyID) + " can be verified"}
	}
	if err != nil {
		return nil, err
	}
	if _, _, err := openSealed(key, keyID, SealIndexName, path, data); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, &IntegrityError{File: path, Reason: err.Error()}
	}
	if s.KeyID != keyID || s.Schema != sealIndexV1 {
		return nil, &IntegrityError{File: path, Field: "key_id", Reason: fmt.Sprintf("the index belongs to key %q, not %q", s.KeyID, keyID)}
	}
	s.Present, s.Path = true, path
	return s, nil
}

// updateSeals runs fn on keyID's seal index under the index lock; fn
// calls commit to write the index back, sealed, as often as it needs (it
// may write other files in between: the lock is held throughout).
func updateSeals(base, keyID string, fn func(s *Seals, commit func() error) error) error {
	dir, err := KeyDir(base, keyID)
	if err != nil {
		return err
	}
	key, err := MACKey(base, true)
	if err != nil {
		return err
	}
	fl := flock.New(filepath.Join(dir, sealLockName), flock.SetPermissions(FileMode))
	if err := fl.Lock(); err != nil {
		return fmt.Errorf("state: lock %s: %w", fl.Path(), err)
	}
	defer fl.Unlock()
	s, err := LoadSeals(base, keyID)
	if err != nil {
		return err
	}
	return fn(s, func() error {
		data, _, err := sealJSON(key, keyID, SealIndexName, s)
		if err != nil {
			return err
		}
		return WriteFileAtomic(s.Path, data)
	})
}

// SealJournal records that the journal file (a base name in keyID's
// directory) holds at least records complete records, the last with MAC
// head. A count lower than the one sealed is ignored.
func SealJournal(base, keyID, file string, records int, head string) error {
	return updateSeals(base, keyID, func(s *Seals, commit func() error) error {
		if s.Journals == nil {
			s.Journals = map[string]JournalSeal{}
		}
		if cur, ok := s.Journals[file]; ok && cur.Records >= records {
			return nil
		}
		s.Journals[file] = JournalSeal{Records: records, Head: head}
		return commit()
	})
}

// WriteJSONAtomic writes v (a JSON object) to path = <base>/<keyID>/<name>,
// atomically, mode 0600, sealed: a "seal" member carries a MAC over the
// other members under the state directory's key, and the key's seal index
// names this version as the current one. ReadJSON verifies both. Files
// outside a key directory use WriteFileAtomic.
func WriteJSONAtomic(path string, v any) error {
	base, keyID, name, err := splitPath(path)
	if err != nil {
		return err
	}
	key, err := MACKey(base, true)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	data, mac, err := sealJSON(key, keyID, name, v)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return updateSeals(base, keyID, func(s *Seals, commit func() error) error {
		if s.States == nil {
			s.States = map[string][]string{}
		}
		// Both versions are acceptable while the file is being replaced,
		// so a crash between the two writes leaves a readable state.
		if !slices.Contains(s.States[name], mac) {
			s.States[name] = append(s.States[name], mac)
			if err := commit(); err != nil {
				return err
			}
		}
		if err := WriteFileAtomic(path, data); err != nil {
			return err
		}
		s.States[name] = []string{mac}
		return commit()
	})
}

// ReadJSON reads a file written by WriteJSONAtomic into v after checking
// the directories (CheckBase), the file's MAC and that the seal index names
// this version. A missing file that was never written returns an error
// satisfying errors.Is(err, os.ErrNotExist); a sealed file that is gone, an
// edited one, or an older copy is an *IntegrityError (exit 4) naming the
// file and, when it can tell, the field.
func ReadJSON(path string, v any) error {
	base, keyID, name, err := splitPath(path)
	if err != nil {
		return err
	}
	if err := CheckBase(base, keyID); err != nil {
		return err
	}
	var ie error
	// A writer may replace the file between our reads of the index and of
	// the file: a mismatch is retried before it counts.
	for attempt := 0; attempt < 3; attempt++ {
		seals, err := LoadSeals(base, keyID)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			if len(seals.States[name]) > 0 {
				return &IntegrityError{File: path, Reason: "the file is gone, but " + seals.Path + " says akresp wrote it: it was deleted outside akresp"}
			}
			return err
		}
		if err != nil {
			return err
		}
		key, err := MACKey(base, false)
		if errors.Is(err, os.ErrNotExist) {
			return &IntegrityError{File: path, Reason: "the MAC key " + filepath.Join(base, KeyFileName) + " is missing, so the file cannot be verified"}
		}
		if err != nil {
			return err
		}
		mac, members, err := openSealed(key, keyID, name, path, data)
		if err != nil {
			return err
		}
		switch {
		case !seals.Present:
			return &IntegrityError{File: path, Reason: "the seal index " + seals.Path + " is missing: it was deleted outside akresp"}
		case !slices.Contains(seals.States[name], mac):
			ie = &IntegrityError{File: path, Reason: "this is not the version akresp wrote last (an older or copied file)"}
			time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
			continue
		}
		content, err := json.Marshal(members)
		if err == nil {
			err = json.Unmarshal(content, v)
		}
		if err != nil {
			return fmt.Errorf("read %s: corrupt state file: %w", path, err)
		}
		return nil
	}
	return ie
}
