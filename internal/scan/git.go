package scan

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// gitRepo reports whether dir is a git repository (a work tree with .git,
// or a bare repository) and returns the directory to run git in.
func gitRepo(dir string) (string, bool) {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return dir, true
	}
	_, e1 := os.Stat(filepath.Join(dir, "HEAD"))
	_, e2 := os.Stat(filepath.Join(dir, "objects"))
	if e1 == nil && e2 == nil {
		return dir, true
	}
	return "", false
}

// gitCmd runs git in dir with a clean, predictable configuration: no
// pager, no user config that could change the output format, C locale.
func gitCmd(ctx context.Context, dir string, args ...string) *exec.Cmd {
	full := append([]string{"-C", dir, "-c", "core.quotepath=off", "-c", "log.showSignature=false", "--no-pager"}, args...)
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "GIT_PAGER=cat")
	return cmd
}

// blobOrigin is where a blob first appeared.
type blobOrigin struct {
	commit string
	when   time.Time
	path   string
}

const nullSHA = "0000000000000000000000000000000000000000"

// scanGit reads every blob any commit reachable from any ref ever added
// (deleted files included), each once, and attributes it to the oldest
// commit that added it.
func (s *scanner) scanGit(ctx context.Context, dir string) error {
	if _, err := exec.LookPath("git"); err != nil {
		return fmt.Errorf("scan %s: a git repository needs the git binary on PATH (or use --no-history): %w", dir, err)
	}
	origins, order, commits, err := gitBlobOrigins(ctx, dir)
	if err != nil {
		return err
	}
	s.stats.Commits = commits
	head := gitHeadBlobs(ctx, dir)
	s.head = head
	return gitReadBlobs(ctx, dir, order, func(sha string, data []byte, size int64) {
		o := origins[sha]
		if size > s.o.MaxFileSize {
			s.stats.Skipped++
			return
		}
		s.stats.Blobs++
		in := head[sha]
		s.content(o.path, data, Location{Path: o.path, Commit: o.commit, CommitTime: o.when, InHead: &in}, 0)
	}, s.o.MaxFileSize)
}

// gitBlobOrigins lists, oldest commit first, every blob a commit added or
// changed (merges against each parent: -m), keeping the first sighting.
func gitBlobOrigins(ctx context.Context, dir string) (map[string]blobOrigin, []string, int, error) {
	cmd := gitCmd(ctx, dir, "log", "--all", "--reverse", "--no-renames", "--raw", "--no-abbrev", "-m",
		"--format=@@@%H %ct")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, 0, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, 0, fmt.Errorf("scan %s: git log: %w", dir, err)
	}
	origins := map[string]blobOrigin{}
	var order []string
	commits := 0
	seenCommit := map[string]bool{}
	var cur blobOrigin
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "@@@"):
			sha, ct, _ := strings.Cut(line[3:], " ")
			sec, _ := strconv.ParseInt(ct, 10, 64)
			cur = blobOrigin{commit: sha, when: time.Unix(sec, 0).UTC()}
			if !seenCommit[sha] {
				seenCommit[sha] = true
				commits++
			}
		case strings.HasPrefix(line, ":"):
			// :100644 100644 <old> <new> M\t<path>
			meta, path, ok := strings.Cut(line, "\t")
			if !ok {
				continue
			}
			f := strings.Fields(meta)
			if len(f) < 5 || f[3] == nullSHA || strings.HasPrefix(f[1], "160000") {
				continue // deletion or submodule
			}
			sha := f[3]
			if _, ok := origins[sha]; ok {
				continue
			}
			if uq, err := strconv.Unquote(path); err == nil && strings.HasPrefix(path, `"`) {
				path = uq
			}
			o := cur
			o.path = path
			origins[sha] = o
			order = append(order, sha)
		}
	}
	if err := sc.Err(); err != nil {
		_ = cmd.Wait()
		return nil, nil, 0, fmt.Errorf("scan %s: read git log: %w", dir, err)
	}
	if err := cmd.Wait(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "does not have any commits") || strings.Contains(msg, "bad default revision") {
			return origins, order, 0, nil // an empty repository
		}
		return nil, nil, 0, fmt.Errorf("scan %s: git log: %v: %s", dir, err, msg)
	}
	return origins, order, commits, nil
}

// gitHeadBlobs returns the blobs in HEAD's tree (empty without HEAD).
func gitHeadBlobs(ctx context.Context, dir string) map[string]bool {
	out, err := gitCmd(ctx, dir, "ls-tree", "-r", "--full-tree", "HEAD").Output()
	set := map[string]bool{}
	if err != nil {
		return set
	}
	for _, line := range strings.Split(string(out), "\n") {
		meta, _, ok := strings.Cut(line, "\t")
		if f := strings.Fields(meta); ok && len(f) == 3 && f[1] == "blob" {
			set[f[2]] = true
		}
	}
	return set
}

// gitReadBlobs streams the blobs through one git cat-file --batch.
// Blobs over limit are reported with a nil body and skipped unread.
func gitReadBlobs(ctx context.Context, dir string, shas []string, fn func(sha string, data []byte, size int64), limit int64) error {
	if len(shas) == 0 {
		return nil
	}
	cmd := gitCmd(ctx, dir, "cat-file", "--batch")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("scan %s: git cat-file: %w", dir, err)
	}
	go func() {
		w := bufio.NewWriter(in)
		for _, sha := range shas {
			if _, err := w.WriteString(sha + "\n"); err != nil {
				break
			}
		}
		_ = w.Flush()
		_ = in.Close()
	}()
	r := bufio.NewReaderSize(outPipe, 1<<20)
	var readErr error
	for range shas {
		header, err := r.ReadString('\n')
		if err != nil {
			readErr = fmt.Errorf("read git cat-file: %w", err)
			break
		}
		f := strings.Fields(header)
		if len(f) == 2 && f[1] == "missing" {
			continue
		}
		if len(f) != 3 {
			readErr = fmt.Errorf("git cat-file: unexpected header %q", strings.TrimSpace(header))
			break
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || size < 0 {
			readErr = fmt.Errorf("git cat-file: bad size in %q", strings.TrimSpace(header))
			break
		}
		if f[1] != "blob" || size > limit {
			if _, err := io.CopyN(io.Discard, r, size+1); err != nil {
				readErr = err
				break
			}
			if f[1] == "blob" {
				fn(f[0], nil, size)
			}
			continue
		}
		data := make([]byte, size+1)
		if _, err := io.ReadFull(r, data); err != nil {
			readErr = fmt.Errorf("read git cat-file: %w", err)
			break
		}
		fn(f[0], data[:size], size)
	}
	if readErr != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("scan %s: %w", dir, readErr)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("scan %s: git cat-file: %v: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
