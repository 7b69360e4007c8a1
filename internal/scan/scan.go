// Package scan finds Alibaba Cloud AccessKey ID + secret pairs in files,
// archives (zip, tar, tar.gz) and the full history of git repositories, and
// verifies each pair with STS GetCallerIdentity through a Verifier the
// caller supplies.
//
// A secret never leaves this package except through Verifier.Verify: a
// Finding carries the secret's short hash (SecretHash), never the secret,
// and nothing here logs or writes it.
//
// Git history is read with the git binary (git log --raw and git cat-file
// --batch), not go-git: go-git v5.19.3 would move golang.org/x/net, x/sys,
// x/crypto, x/tools and others up in go.mod for every package of the
// module, and the git binary reads packfiles faster than go-git does.
//
// scan must not import internal/cli, internal/lab or internal/cloud.
package scan

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/redact"
)

// Verification statuses.
const (
	StatusValid      = "valid"      // STS answered: the pair works
	StatusInvalid    = "invalid"    // the service refused the pair (unknown key, bad secret, disabled)
	StatusUnverified = "unverified" // --no-verify
	StatusError      = "error"      // the check itself failed (network, throttling)
)

// Identity is who a working pair is (STS GetCallerIdentity).
type Identity struct {
	AccountID    string `json:"account_id,omitempty"`
	IdentityType string `json:"identity_type,omitempty"`
	Arn          string `json:"arn,omitempty"`
	UserID       string `json:"user_id,omitempty"`
}

// Verdict is a Verifier's answer. Status is StatusValid, StatusInvalid or
// StatusError; Code is the cloud error code, Detail a message without the
// secret.
type Verdict struct {
	Status   string
	Identity Identity
	Code     string
	Detail   string
}

// Verifier checks one pair. Implementations must not log or keep secret.
type Verifier interface {
	Verify(ctx context.Context, keyID string, secret redact.Secret) Verdict
}

// KeyInfo is a key's state read with the responder's own credentials.
type KeyInfo struct {
	Owner       string    `json:"user_name,omitempty"`
	Status      string    `json:"status,omitempty"` // Active | Inactive | deleted | "" unknown
	LastUsed    time.Time `json:"last_used,omitzero"`
	LastService string    `json:"last_used_service,omitempty"`
	// LastUseIsCheck: the last use is no earlier than this scan's own
	// check of the pair (its GetCallerIdentity), so it says nothing about
	// who else used the key.
	LastUseIsCheck bool   `json:"last_use_is_check,omitempty"`
	Problem        string `json:"problem,omitempty"`
}

// Location is one place a pair was found.
type Location struct {
	Path string `json:"path"` // file path; "archive.zip!inner/file" inside archives
	// Commit is the first commit that added the content ("" for the
	// working tree or a plain directory); CommitTime its commit time.
	Commit     string    `json:"commit,omitempty"`
	CommitTime time.Time `json:"commit_time,omitzero"`
	Line       int       `json:"line"`
	// InHead: the content is in HEAD's tree (git only). false with a
	// Commit means it lives on in history only (deleted or changed since).
	InHead *bool `json:"in_head,omitempty"`
}

// Finding is one distinct ID + secret pair.
type Finding struct {
	KeyID      string     `json:"access_key_id"`
	SecretHash string     `json:"secret_hash"` // first 12 hex digits of SHA-256 of the secret
	Status     string     `json:"status"`
	Identity   *Identity  `json:"identity,omitempty"`
	Code       string     `json:"error_code,omitempty"`
	Detail     string     `json:"detail,omitempty"`
	Key        *KeyInfo   `json:"key,omitempty"`
	Locations  []Location `json:"locations"`
}

// Ignored is a pair the known-false-positive filter dropped.
type Ignored struct {
	KeyID    string   `json:"access_key_id"`
	Reason   string   `json:"reason"`
	Location Location `json:"location"`
}

// Stats says how much was read.
type Stats struct {
	Files     int           `json:"files"`
	Archives  int           `json:"archives"`
	Commits   int           `json:"commits"`
	Blobs     int           `json:"blobs"`
	Bytes     int64         `json:"bytes"`
	Skipped   int           `json:"skipped"` // files over MaxFileSize or unreadable
	Duration  time.Duration `json:"duration_ns"`
	GitSource bool          `json:"git"`
}

// Options configure Scan.
type Options struct {
	// Verifier checks each pair; nil means --no-verify.
	Verifier Verifier
	// KeyInfo reads a valid key's status and last use with the
	// responder's credentials; nil skips it.
	KeyInfo func(ctx context.Context, keyID string) KeyInfo
	// Ignore maps AccessKey IDs to drop to the reason (the lab's keys).
	Ignore map[string]string
	// MaxFileSize bounds one file or blob (default 16 MiB).
	MaxFileSize int64
	// NoHistory scans a git repository's working tree only.
	NoHistory bool
	// Warn receives non-fatal problems (unreadable files); nil drops them.
	Warn func(msg string)
}

// Result is everything Scan found.
type Result struct {
	Findings []Finding `json:"findings"`
	Ignored  []Ignored `json:"ignored"`
	Stats    Stats     `json:"stats"`
}

const defaultMaxFileSize = 16 << 20

// maxArchiveDepth bounds archives inside archives.
const maxArchiveDepth = 3

// scanner accumulates candidates across sources.
type scanner struct {
	o       Options
	ctx     context.Context
	stats   Stats
	pairs   map[string]*pair // key: id \x00 hash
	order   []string
	ignored []Ignored
	// head holds HEAD's blob IDs when scanning a repository: working-tree
	// files identical to them are already covered by the history.
	head map[string]bool
}

type pair struct {
	keyID  string
	secret redact.Secret
	hash   string
	locs   []Location
}

// Scan scans path: a file, a directory, or a git repository (its working
// tree and, unless NoHistory, every commit reachable from any ref).
func Scan(ctx context.Context, path string, o Options) (*Result, error) {
	start := time.Now()
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = defaultMaxFileSize
	}
	s := &scanner{o: o, ctx: ctx, pairs: map[string]*pair{}}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", path, err)
	}
	if fi.IsDir() {
		if repo, ok := gitRepo(path); ok && !o.NoHistory {
			s.stats.GitSource = true
			if err := s.scanGit(ctx, repo); err != nil {
				return nil, err
			}
		}
		if err := s.walk(path); err != nil {
			return nil, err
		}
	} else {
		s.scanFile(path, path)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &Result{Findings: []Finding{}, Ignored: s.ignored}
	if res.Ignored == nil {
		res.Ignored = []Ignored{}
	}
	for _, k := range s.order {
		p := s.pairs[k]
		f := Finding{KeyID: p.keyID, SecretHash: p.hash, Status: StatusUnverified, Locations: p.locs}
		sort.SliceStable(f.Locations, func(i, j int) bool {
			a, b := f.Locations[i], f.Locations[j]
			if !a.CommitTime.Equal(b.CommitTime) {
				return a.CommitTime.Before(b.CommitTime)
			}
			if a.Path != b.Path {
				return a.Path < b.Path
			}
			return a.Line < b.Line
		})
		if o.Verifier != nil {
			// Last-use times are whole seconds: the check's own second
			// counts as the check.
			checked := time.Now().Truncate(time.Second)
			v := o.Verifier.Verify(ctx, p.keyID, p.secret)
			f.Status, f.Code, f.Detail = v.Status, v.Code, v.Detail
			if v.Status == StatusValid {
				id := v.Identity
				f.Identity = &id
				if o.KeyInfo != nil {
					ki := o.KeyInfo(ctx, p.keyID)
					ki.LastUseIsCheck = !ki.LastUsed.IsZero() && !ki.LastUsed.Before(checked)
					f.Key = &ki
				}
			}
		}
		p.secret = "" // done with it
		res.Findings = append(res.Findings, f)
	}
	sort.SliceStable(res.Findings, func(i, j int) bool { return rank(res.Findings[i].Status) < rank(res.Findings[j].Status) })
	s.stats.Duration = time.Since(start)
	res.Stats = s.stats
	return res, ctx.Err()
}

func rank(status string) int {
	switch status {
	case StatusValid:
		return 0
	case StatusError:
		return 1
	case StatusUnverified:
		return 2
	}
	return 3
}

func (s *scanner) warn(format string, args ...any) {
	if s.o.Warn != nil {
		s.o.Warn(fmt.Sprintf(format, args...))
	}
}

// add records the candidates of one chunk at loc (Line filled per pair).
func (s *scanner) add(cands []candidate, loc Location) {
	for _, c := range cands {
		l := loc
		l.Line = c.line
		if c.ignored != "" {
			s.ignored = append(s.ignored, Ignored{KeyID: c.keyID, Reason: c.ignored, Location: l})
			continue
		}
		k := c.keyID + "\x00" + c.hash
		p, ok := s.pairs[k]
		if !ok {
			p = &pair{keyID: c.keyID, secret: c.secret, hash: c.hash}
			s.pairs[k] = p
			s.order = append(s.order, k)
		}
		p.locs = append(p.locs, l)
	}
}

// content scans one chunk: an archive by name, otherwise text.
func (s *scanner) content(name string, b []byte, loc Location, depth int) {
	s.stats.Bytes += int64(len(b))
	if kind := archiveKind(name); kind != "" && depth < maxArchiveDepth {
		s.stats.Archives++
		if err := s.archive(kind, b, loc, depth+1); err != nil {
			s.warn("%s: %v", loc.Path, err)
		}
		return
	}
	s.add(detect(b, s.o.Ignore), loc)
}

func archiveKind(name string) string {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".zip"), strings.HasSuffix(n, ".jar"), strings.HasSuffix(n, ".whl"):
		return "zip"
	case strings.HasSuffix(n, ".tar.gz"), strings.HasSuffix(n, ".tgz"):
		return "tgz"
	case strings.HasSuffix(n, ".tar"):
		return "tar"
	}
	return ""
}

// archive scans every regular file inside an archive held in memory.
func (s *scanner) archive(kind string, b []byte, loc Location, depth int) error {
	inner := func(name string, r io.Reader, size int64) {
		if size > s.o.MaxFileSize {
			s.stats.Skipped++
			return
		}
		data, err := io.ReadAll(io.LimitReader(r, s.o.MaxFileSize+1))
		if err != nil {
			s.warn("%s!%s: %v", loc.Path, name, err)
			return
		}
		l := loc
		l.Path = loc.Path + "!" + name
		s.content(name, data, l, depth)
	}
	switch kind {
	case "zip":
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return fmt.Errorf("read zip: %w", err)
		}
		for _, f := range zr.File {
			if f.FileInfo().IsDir() {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				s.warn("%s!%s: %v", loc.Path, f.Name, err)
				continue
			}
			inner(f.Name, rc, int64(f.UncompressedSize64))
			rc.Close()
		}
		return nil
	case "tgz", "tar":
		var r io.Reader = bytes.NewReader(b)
		if kind == "tgz" {
			gz, err := gzip.NewReader(r)
			if err != nil {
				return fmt.Errorf("read gzip: %w", err)
			}
			defer gz.Close()
			r = gz
		}
		tr := tar.NewReader(r)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read tar: %w", err)
			}
			if h.Typeflag == tar.TypeReg {
				inner(h.Name, tr, h.Size)
			}
		}
	}
	return nil
}

// walk scans a directory tree (a repository's .git excluded). The root is
// followed when it is a symbolic link (WalkDir does not follow its root; a
// trailing separator makes the link's target the root); links inside the
// tree are not.
func (s *scanner) walk(root string) error {
	if li, err := os.Lstat(root); err == nil && li.Mode()&fs.ModeSymlink != 0 {
		root += string(filepath.Separator)
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if cerr := s.ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			s.warn("%s: %v", p, err)
			s.stats.Skipped++
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".git" && p != root {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, rerr := filepath.Rel(root, p)
		if rerr != nil {
			rel = p
		}
		s.scanFile(p, filepath.ToSlash(rel))
		return nil
	})
}

// gitBlobID is git's object ID of a file's content.
func gitBlobID(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func (s *scanner) scanFile(p, display string) {
	fi, err := os.Stat(p)
	if err != nil {
		s.warn("%s: %v", display, err)
		s.stats.Skipped++
		return
	}
	if fi.Size() > s.o.MaxFileSize {
		s.stats.Skipped++
		return
	}
	b, err := os.ReadFile(p)
	if err != nil {
		s.warn("%s: %v", display, err)
		s.stats.Skipped++
		return
	}
	if s.head != nil && s.head[gitBlobID(b)] {
		return // committed and unchanged: the history scan has it
	}
	s.stats.Files++
	s.content(display, b, Location{Path: display}, 0)
}
