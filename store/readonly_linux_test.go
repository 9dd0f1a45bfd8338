//go:build linux

package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A database that cannot be written gives an error naming the file and
// saying it is read-only (SQLite's own words are "unable to open database
// file (14)"). Root may write anything, so as root the store is opened by
// this test binary running as nobody.
func TestReadOnlyDatabase(t *testing.T) {
	t.Parallel()
	// A world-readable place for the database (and, as root, the binary).
	base, err := os.MkdirTemp("", "weipian-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error { os.Chmod(p, 0o755); return nil })
		os.RemoveAll(base)
	})
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	open := openAsOther(t, base)

	tests := []struct {
		name     string
		fileMode os.FileMode
		dirMode  os.FileMode
		want     string
	}{
		{"read-only file", 0o444, 0o777, "the database file DB is read-only"},
		{"read-only directory", 0o666, 0o555, "the directory DIR of the database DB is read-only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(base, strings.ReplaceAll(tc.name, " ", "_"))
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, "weipian.db")
			s, err := Open(testCtx(t), db)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			if err := os.Chmod(db, tc.fileMode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tc.dirMode); err != nil {
				t.Fatal(err)
			}
			msg := open(db)
			want := strings.NewReplacer("DB", db, "DIR", dir).Replace(tc.want)
			if !strings.HasPrefix(msg, "store: ") || !strings.Contains(msg, want) || !strings.HasSuffix(msg, "\nErrReadOnly: true") ||
				strings.Contains(msg, "unable to open database file") {
				t.Errorf("open: %s\nwant %q", msg, want)
			}
			t.Log(msg)
		})
	}
	if _, err := Open(testCtx(t), filepath.Join(base, "no", "dir", "x.db")); err == nil || !strings.Contains(err.Error(), "the directory "+filepath.Join(base, "no", "dir")+" does not exist") {
		t.Errorf("missing directory: %v", err)
	}
}

// openAsOther returns a function that opens a store as a user who does not
// own the files: this process when it is not root, else a copy of the test
// binary run as nobody. It returns "ok" or the error's message.
func openAsOther(t *testing.T, base string) func(path string) string {
	if os.Geteuid() != 0 {
		return func(path string) string {
			s, err := Open(testCtx(t), path)
			if err != nil {
				return fmt.Sprintf("%v\nErrReadOnly: %v", err, errors.Is(err, ErrReadOnly))
			}
			s.Close()
			return "ok"
		}
	}
	bin := filepath.Join(base, "store.test")
	in, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return func(path string) string {
		cmd := exec.Command(bin, "-test.run=^TestStoreHelperProcess$", "-test.count=1")
		cmd.Env = []string{helperEnv + "=open " + path, "HOME=" + base, "TMPDIR=" + base}
		cmd.Dir = base
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		outb, err := cmd.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Fatalf("helper as nobody: %v\n%s", err, ee.Stderr)
			}
			t.Skipf("cannot run a process as nobody: %v", err)
		}
		return strings.TrimSpace(string(outb))
	}
}
