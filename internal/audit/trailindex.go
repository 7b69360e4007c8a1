package audit

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"
)

// Which trail files name whom (issue 13/14: the follow pass).
//
// The audit's first pass reads every trail file for the audited key; the
// identities it then follows (follow.go) are read by further passes. On an
// OSS delivery of 10,000 small files each further pass inflated all 1.45 GB
// again, to find events of a few identities in a handful of files: twice
// the cost of the audit itself. So the first pass also notes, per file, the
// identity values its records carry (a TrailIndex), and a follow pass reads
// only the files that name an identity it follows.
//
// The note is a superset of what the follow pass matches on (follower.route
// and follower.mintedFor): for every record, parsed or not, the value of
// every key named accessKeyId, userName or RoleArn (also as the last part
// of a flattened key, "userIdentity.accessKeyId"), at any depth, is hashed
// (a userName's role and session parts too, a RoleArn's role name). A file
// whose records hide such a value where the note cannot see it (a non-string
// value, JSON text inside a string that names one of these keys, more than
// maxIndexedIDs distinct values) is marked to be read
// whatever the pass looks for. A file that changed since the first pass
// (size or modification time) is read again too; standard input cannot be.

// maxIndexedIDs bounds the distinct values noted per file; a file with more
// is read by every follow pass.
const maxIndexedIDs = 4096

// Kinds of noted values, hashed with the value so that a user name equal to
// some key ID does not select the key's files.
const (
	idKey     = 'k' // userIdentity.accessKeyId
	idUser    = 'u' // userIdentity.userName
	idRole    = 'r' // lower-cased role name: a userName's part before ':', a RoleArn's after "role/"
	idSession = 's' // a userName's part after ':' (an instance role's session names the instance)
	idArn     = 'a' // a RoleArn value, noted as the idRole it names (never hashed itself)
)

// TrailIndex is what the first pass over the trail files noted per file
// (ReadOptions.Index). Safe for concurrent use by the readers.
type TrailIndex struct {
	seed  maphash.Seed
	mu    sync.Mutex
	files []indexedFile
	// sets holds each distinct list of noted ids once, by its hash:
	// an account's files name the same few identities, so that most
	// files share their list (2,000 files of an OSS delivery had 349
	// distinct ones). The index lives through the whole audit, where the
	// offline memory limit makes every MB of it cost collections.
	sets map[uint64][][]uint32
}

type indexedFile struct {
	order int // the file's place in the read (fileJob.index)
	path  string
	size  int64
	mod   time.Time
	all   bool // read by every pass
	// ids are the low 32 bits of the noted hashes, sorted, distinct:
	// half the memory of a busy trail's 10,000 files of ~50 values each,
	// for one file in ~86 million (at 50 values) that a pass reads
	// without needing it.
	ids []uint32
}

// NewTrailIndex returns an empty index.
func NewTrailIndex() *TrailIndex { return &TrailIndex{seed: maphash.MakeSeed()} }

// hash is the note of one value of a kind.
func (ix *TrailIndex) hash(kind byte, v []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(ix.seed)
	h.WriteByte(kind)
	h.Write(v)
	return h.Sum64()
}

// hashString is hash for a string value (no copy).
func (ix *TrailIndex) hashString(kind byte, v string) uint64 {
	var h maphash.Hash
	h.SetSeed(ix.seed)
	h.WriteByte(kind)
	h.WriteString(v)
	return h.Sum64()
}

// reserve makes room for n more files' notes (the index lives until the
// audit ends: no slack from growing it a file at a time).
func (ix *TrailIndex) reserve(n int) {
	ix.mu.Lock()
	ix.files = slices.Grow(ix.files, n)
	ix.mu.Unlock()
}

// shared returns a list equal to ids (sorted, distinct) that the index
// keeps: one noted for an earlier file, or a copy.
func (ix *TrailIndex) shared(ids []uint32) []uint32 {
	var h maphash.Hash
	h.SetSeed(ix.seed)
	var b [4]byte
	for _, id := range ids {
		binary.LittleEndian.PutUint32(b[:], id)
		h.Write(b[:])
	}
	k := h.Sum64()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, s := range ix.sets[k] {
		if slices.Equal(s, ids) {
			return s
		}
	}
	s := slices.Clone(ids)
	if ix.sets == nil {
		ix.sets = map[uint64][][]uint32{}
	}
	ix.sets[k] = append(ix.sets[k], s)
	return s
}

// put records a file read in full (or as far as the readers read it: a
// later pass stops at the same place).
func (ix *TrailIndex) put(f indexedFile) {
	ix.mu.Lock()
	ix.files = append(ix.files, f)
	ix.mu.Unlock()
}

// Select returns the files a pass looking for the values hs must read, in
// the order of the first pass: those that name one of hs, those marked to be
// read always, and those changed since (or no longer there: the read then
// reports them). stdin reports that standard input named one of hs (it
// cannot be read again); skipped counts the files left out.
func (ix *TrailIndex) Select(hs []uint64) (read []string, skipped int, stdin bool) {
	ix.mu.Lock()
	files := slices.Clone(ix.files)
	ix.mu.Unlock()
	slices.SortFunc(files, func(a, b indexedFile) int { return a.order - b.order })
	named := make([]bool, len(files))
	var check []int // files that name none: changed since?
	// Files share their lists (TrailIndex.shared): each distinct list is
	// searched once.
	memo := map[*uint32]bool{}
	for i, f := range files {
		switch {
		case f.all:
			named[i] = true
		case len(f.ids) > 0:
			v, ok := memo[&f.ids[0]]
			if !ok {
				v = slices.ContainsFunc(hs, func(h uint64) bool {
					_, ok := slices.BinarySearch(f.ids, uint32(h))
					return ok
				})
				memo[&f.ids[0]] = v
			}
			named[i] = v
		}
		if !named[i] && f.path != StdinName {
			check = append(check, i)
		}
	}
	// One stat per file a pass would skip, a few at a time: 10,000 of
	// them one after the other took ~25 ms at the end of every pass.
	var g errgroup.Group
	g.SetLimit(statWorkers)
	for _, i := range check {
		g.Go(func() error {
			f := &files[i]
			fi, err := os.Stat(f.path)
			named[i] = err != nil || fi.Size() != f.size || !fi.ModTime().Equal(f.mod)
			return nil
		})
	}
	g.Wait()
	for i, f := range files {
		switch {
		case f.path == StdinName:
			stdin = stdin || named[i]
		case named[i]:
			read = append(read, f.path)
		default:
			skipped++
		}
	}
	return read, skipped, stdin
}

// statWorkers is how many stats Select runs at a time.
const statWorkers = 4

// idNotes collects one file's noted values (one per reading goroutine,
// reset per file).
type idNotes struct {
	ix *TrailIndex
	// ids are the file's noted hashes in the order noted, possibly
	// repeated (compact sorts them and drops repeats): appending is
	// cheaper than a set, ~1.7 million values noted in an OSS delivery.
	ids   []uint64
	limit int      // compact when ids grow past this
	ids32 []uint32 // done's scratch
	all   bool
	lbuf  []byte // lower-casing scratch
	// recent holds the values noted in this file (gen) as they were in
	// the text, by kind and seeded hash (noteSeed), direct-mapped: a
	// file's records repeat a few identities, and a look-up is cheaper
	// than noting again. A value that lost its slot is noted again, which
	// only repeats its hashes.
	recent [noteRecent]struct {
		h   uint64
		gen uint32
	}
	gen uint32
	// memo keeps a value's note hashes across files (an account's files
	// name the same identities), by kind and seeded hash, direct-mapped;
	// memoIx is the index they were hashed for.
	memo   [noteMemos]noteMemo
	memoIx *TrailIndex
}

const (
	noteRecent = 1 << 10
	noteMemos  = 1 << 10
)

// noteMemo is the note of one value: its kind, seeded hash, and the 1-3
// index hashes noted for it (a userName's role and session parts too).
type noteMemo struct {
	h    uint64
	kind byte
	n    uint8
	hs   [3]uint64
}

// noteSeed seeds the hash idNotes keeps values by: per process, so that no
// input can be written to make two identities collide (a collision would
// leave the second out of its file's note, and the follow passes could
// skip it).
var noteSeed = maphash.MakeSeed()

func (n *idNotes) reset(ix *TrailIndex) {
	n.ix, n.all = ix, false
	if cap(n.ids) > 4*maxIndexedIDs {
		n.ids = nil
	}
	n.ids, n.limit = n.ids[:0], maxIndexedIDs
	if n.gen++; n.gen == 0 { // wrapped: old stamps could match again
		clear(n.recent[:])
		n.gen = 1
	}
	if n.memoIx != ix {
		clear(n.memo[:])
		n.memoIx = ix
	}
}

func (n *idNotes) add(h uint64) {
	if n.all {
		return
	}
	n.ids = append(n.ids, h)
	if len(n.ids) > n.limit {
		n.compact()
	}
}

// compact sorts the noted hashes and drops repeats; more than
// maxIndexedIDs distinct values mark the file to be read by every pass.
func (n *idNotes) compact() {
	slices.Sort(n.ids)
	n.ids = slices.Compact(n.ids)
	if len(n.ids) > maxIndexedIDs {
		n.all = true
		n.ids = n.ids[:0]
		return
	}
	n.limit = max(maxIndexedIDs, 2*len(n.ids))
}

// done returns the file's note.
func (n *idNotes) done(order int, path string, size int64, mod time.Time) indexedFile {
	if len(n.ids) > maxIndexedIDs {
		n.compact() // the cap counts distinct hashes
	}
	f := indexedFile{order: order, path: path, size: size, mod: mod, all: n.all}
	if !n.all {
		// The index keeps the low 32 bits: one sort of those, in scratch
		// (n.ids repeats values), and a copy of just the distinct ones:
		// the index holds them until the audit ends.
		n.ids32 = n.ids32[:0]
		for _, h := range n.ids {
			n.ids32 = append(n.ids32, uint32(h))
		}
		slices.Sort(n.ids32)
		if ids := slices.Compact(n.ids32); len(ids) > 0 {
			f.ids = n.ix.shared(ids)
		}
	}
	return f
}

// event notes a parsed event's values.
func (n *idNotes) event(ev *Event) {
	if ev.AccessKeyID != "" {
		n.add(n.ix.hashString(idKey, ev.AccessKeyID))
	}
	if ev.UserName != "" {
		n.user([]byte(ev.UserName))
	}
	if arn := ev.Params["RoleArn"]; arn != "" {
		n.roleArn(arn)
	}
}

// user notes a userName, and its role and session parts (follower.route).
func (n *idNotes) user(v []byte) {
	var hs [3]uint64
	for _, h := range hs[:n.userHashes(v, &hs)] {
		n.add(h)
	}
}

// userHashes puts into hs the index hashes of a userName and of its role
// and session parts, and returns how many.
func (n *idNotes) userHashes(v []byte, hs *[3]uint64) int {
	k := 0
	hs[k] = n.ix.hash(idUser, v)
	k++
	if i := bytes.IndexByte(v, ':'); i >= 0 {
		if i > 0 {
			hs[k] = n.ix.hash(idRole, n.lower(v[:i]))
			k++
		}
		if i+1 < len(v) {
			hs[k] = n.ix.hash(idSession, v[i+1:])
			k++
		}
	}
	return k
}

// roleArn notes the role an AssumeRole's RoleArn names (follower.mintedFor).
func (n *idNotes) roleArn(arn string) {
	if r := roleFromArn(arn); r != "" {
		n.add(n.ix.hashString(idRole, r))
	}
}

// lower is strings.ToLower of v, into scratch for ASCII.
func (n *idNotes) lower(v []byte) []byte {
	for _, c := range v {
		if c >= utf8.RuneSelf {
			return []byte(strings.ToLower(string(v)))
		}
	}
	n.lbuf = n.lbuf[:0]
	for _, c := range v {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		n.lbuf = append(n.lbuf, c)
	}
	return n.lbuf
}

// Keys whose values are noted (exactly, or after a '.': flattened keys).
var (
	keyAccessKeyID = []byte("accessKeyId")
	keyUserName    = []byte("userName")
	keyRoleArn     = []byte("RoleArn")
)

// mayNameNoted is a quick test that t can be a noted key's name: RoleArn,
// userName, accessKeyId by length and last byte, or a longer name with a
// '.' where a flattened one has it (noteKind decides).
func mayNameNoted(t []byte) bool {
	switch l := len(t); {
	case l == 7:
		return t[6] == 'n'
	case l == 8:
		return t[7] == 'e'
	case l == 11:
		return t[10] == 'd'
	case l > 8:
		return t[l-8] == '.' || t[l-9] == '.' || l > 11 && t[l-12] == '.'
	}
	return false
}

func noteKind(k []byte) byte {
	var name []byte
	var kind byte
	switch {
	case len(k) < len(keyRoleArn):
		return 0
	case k[len(k)-1] == 'd':
		name, kind = keyAccessKeyID, idKey
	case k[len(k)-1] == 'e':
		name, kind = keyUserName, idUser
	case k[len(k)-1] == 'n':
		name, kind = keyRoleArn, idArn
	default:
		return 0
	}
	switch {
	case len(k) == len(name) && string(k) == string(name),
		len(k) > len(name) && k[len(k)-len(name)-1] == '.' && string(k[len(k)-len(name):]) == string(name):
		return kind
	}
	return 0
}

// record notes the values of a record that was not parsed (JSON lines,
// objects, LookupEvents documents; array elements are noted by the scanner
// as it finds their end), with the scanner's rules: token for each string,
// between for the bytes outside strings after a noted key's name. The
// record is taken as it is: one that is not JSON is never an event in any
// pass.
func (n *idNotes) record(raw []byte) {
	var st noteState
	for i := 0; i < len(raw); i++ {
		if raw[i] != '"' {
			if st.kind != 0 {
				st = n.between(raw[i], st)
			}
			continue
		}
		end, esc := stringEnd(raw, i+1)
		if end < 0 {
			n.all = true // an unterminated string: leave the file to the readers
			return
		}
		st = n.token(raw[i+1:end], esc, st)
		i = end
	}
}

// value notes the value tok of a key of kind (esc: tok holds escapes).
func (n *idNotes) value(kind byte, tok []byte, esc bool) {
	if esc && !escapesValid(tok) {
		n.all = true // not JSON: leave the file to the readers
		return
	}
	v := tok
	if esc || !utf8.Valid(tok) {
		v = []byte(decodeString(tok, false))
	}
	n.plainValue(kind, v)
}

// plainValue notes v, the value of a key of kind, as it is: valid UTF-8
// without escapes (value decodes it first).
func (n *idNotes) plainValue(kind byte, v []byte) {
	switch kind {
	case idKey, idUser:
		if n.all {
			return
		}
		h := maphash.Bytes(noteSeed, v) + uint64(kind)
		r := &n.recent[h%noteRecent]
		if r.h == h && r.gen == n.gen {
			return // noted in this file already
		}
		r.h, r.gen = h, n.gen
		m := &n.memo[(h>>10)%noteMemos]
		if m.h != h || m.kind != kind || m.n == 0 {
			*m = noteMemo{h: h, kind: kind}
			if kind == idKey {
				m.hs[0], m.n = n.ix.hash(idKey, v), 1
			} else {
				m.n = uint8(n.userHashes(v, &m.hs))
			}
		}
		for _, x := range m.hs[:m.n] {
			n.add(x)
		}
	case idArn:
		n.roleArn(string(v))
	}
}

// escapesValid reports whether every backslash in tok starts a JSON
// escape. decodeString assumes it (the parser validated the strings it
// decodes; a "\u" short of four digits at the end of a buffer read past
// it), and the notes see strings nothing validated: skipped elements.
func escapesValid(tok []byte) bool {
	for i := 0; i < len(tok); i++ {
		if tok[i] != '\\' {
			continue
		}
		if i+1 >= len(tok) {
			return false
		}
		switch tok[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i++
		case 'u':
			if i+6 > len(tok) || !isHex4(tok[i+2:]) {
				return false
			}
			i += 5
		default:
			return false
		}
	}
	return true
}

// stringEnd returns the index of the quote that ends the string whose
// content starts at raw[start], or -1, and whether it holds an escape.
func stringEnd(raw []byte, start int) (int, bool) {
	for j := start; ; {
		k := bytes.IndexByte(raw[j:], '"')
		if k < 0 {
			return -1, false
		}
		j += k
		if escapedAt(raw[start:j], j-start) {
			j++
			continue
		}
		return j, bytes.IndexByte(raw[start:j], '\\') >= 0
	}
}

// noteState is what scanValue remembers between the strings of a record
// it notes: the kind of the key just seen (a name string awaiting its
// ':'), or (want) that its value comes next.
type noteState struct {
	kind byte
	want bool
}

// token notes one string the scanner passed (its content, esc: holding a
// backslash) and returns the state for the bytes after it.
func (n *idNotes) token(tok []byte, esc bool, st noteState) noteState {
	if st.want {
		n.value(st.kind, tok, esc)
		return noteState{}
	}
	if esc && !escapesValid(tok) {
		n.all = true // not JSON: leave the file to the readers
		return noteState{}
	}
	if esc {
		// The names hold no character JSON must escape: unless \u
		// escapes spell one, they appear in the raw text as they are.
		d := tok
		if bytes.Contains(tok, []byte(`\u`)) {
			d = []byte(decodeString(tok, false))
		}
		if k := noteKind(d); k != 0 {
			return noteState{kind: k} // a noted key's name, escaped
		}
		if bytes.Contains(d, keyAccessKeyID) || bytes.Contains(d, keyUserName) || bytes.Contains(d, keyRoleArn) {
			n.all = true // JSON text naming one (SLS exports: "event", "userIdentity", "requestParameterJson")
		}
		return noteState{}
	}
	return noteState{kind: noteKind(tok)}
}

// between handles a byte outside strings after a noted key's name: ':'
// makes the next string its value; spaces keep waiting; null drops it;
// anything else is a value the note cannot see.
func (n *idNotes) between(c byte, st noteState) noteState {
	switch {
	case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		return st
	case c == ':' && !st.want:
		return noteState{kind: st.kind, want: true}
	case st.want && c != 'n':
		n.all = true // a number or literal where a name is expected
	}
	return noteState{}
}
