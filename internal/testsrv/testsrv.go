// Package testsrv starts real Redis, MinIO and PostgreSQL servers on loopback for tests.
//
// Every Start function launches one server process of its own, on a free
// port of 127.0.0.1, with its data and log in a temporary directory, and
// registers a t.Cleanup that stops it (the cleanup also runs when the test
// panics). On Linux the children get a parent-death signal, so they do not
// outlive a test binary that is killed.
//
// Skip rule: when a server binary is absent the Start function calls t.Skip
// with a message naming the binary, unless the environment variable
// REQUIRE_SERVERS=1 is set, in which case it calls t.Fatal. scripts/setup.sh
// servers installs all of them.
//
// When a test fails, the tail of each server's log is printed with t.Log.
package testsrv

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RequireEnv names the environment variable that turns a missing server
// binary from a skip into a failure.
const RequireEnv = "REQUIRE_SERVERS"

// Readiness deadlines.
const (
	defaultReadyTimeout = 20 * time.Second
	minioReadyTimeout   = 30 * time.Second
	stopTimeout         = 15 * time.Second
	pollInterval        = 25 * time.Millisecond
	logTailLines        = 40
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := freePort()
	if err != nil {
		t.Fatalf("testsrv: free port: %v", err)
	}
	return p
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// missing reports an absent server binary: a skip, or a failure when
// REQUIRE_SERVERS=1.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := "testsrv: " + fmt.Sprintf(format, args...) + " (install with scripts/setup.sh servers)"
	if os.Getenv(RequireEnv) == "1" {
		t.Fatal(msg + "; " + RequireEnv + "=1 so this is a failure")
	}
	t.Skip(msg)
}

// lookBinary finds name on PATH and then in the extra directories.
func lookBinary(name string, extra ...string) (string, bool) {
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	for _, d := range extra {
		if d == "" {
			continue
		}
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// proc is one server process that can be started, stopped and started again.
type proc struct {
	name    string // for messages: "redis-server", "minio", "postgres"
	bin     string
	args    []string
	env     []string // nil: inherit
	dir     string   // working directory
	cred    *syscall.Credential
	logPath string
	stopSig syscall.Signal

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	starts  int
	logOff  int64 // size of the log when the current process started
}

// start launches the process, appending its output to logPath.
func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !isClosed(p.done) {
		return fmt.Errorf("%s is already running (pid %d)", p.name, p.cmd.Process.Pid)
	}
	lf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if st, err := lf.Stat(); err == nil {
		p.logOff = st.Size()
	}
	p.starts++
	fmt.Fprintf(lf, "--- testsrv: start #%d at %s: %s %s\n", p.starts, time.Now().Format(time.RFC3339Nano), p.bin, strings.Join(p.args, " "))
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Dir = p.dir
	cmd.Stdout = lf
	cmd.Stderr = lf
	cmd.SysProcAttr = sysProcAttr(p.cred)
	if err := cmd.Start(); err != nil {
		lf.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.waitErr = cmd, done, nil
	go func() {
		err := cmd.Wait()
		lf.Close()
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
		close(done)
	}()
	return nil
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// running reports whether the current process has been started and not exited.
func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil && !isClosed(p.done)
}

// exitErr returns the wait status of an exited process as an error.
func (p *proc) exitStatus() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.waitErr == nil {
		return "exited with status 0"
	}
	return p.waitErr.Error()
}

// signalAndWait sends sig and waits up to timeout; past it, it kills the
// process. It reports whether the process ended on sig alone.
func (p *proc) signalAndWait(sig syscall.Signal, timeout time.Duration) bool {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil || isClosed(done) {
		return true
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
		return true
	case <-time.After(timeout):
	}
	_ = cmd.Process.Kill()
	<-done
	return false
}

func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// waitReady polls check until it returns nil, the process exits, or the
// deadline passes.
func (p *proc) waitReady(timeout time.Duration, check func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	var last error
	for {
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		err := check(cctx)
		ccancel()
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-done:
			return fmt.Errorf("%s %s before it was ready (last check: %v)", p.name, p.exitStatus(), last)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %v (last check: %v)", p.name, timeout, last)
		case <-time.After(pollInterval):
		}
	}
}

// logTail returns the last n lines of the log.
func (p *proc) logTail(n int) string {
	return fileTail(p.logPath, n)
}

func fileTail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	const max = 64 << 10
	st, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	off := st.Size() - max
	if off < 0 {
		off = 0
	}
	b, err := io.ReadAll(io.NewSectionReader(f, off, max))
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	b = bytes.TrimRight(b, "\n")
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// startFailed fails the test with the log tail of p.
func startFailed(t testing.TB, p *proc, err error) {
	t.Helper()
	t.Fatalf("testsrv: %v\n--- %s (last %d lines of %s):\n%s", err, p.name, logTailLines, p.logPath, p.logTail(logTailLines))
}

// portInUse reports whether the output of the latest start of p suggests
// that its port was taken between FreePort and the bind.
func portInUse(p *proc) bool {
	p.mu.Lock()
	off := p.logOff
	p.mu.Unlock()
	f, err := os.Open(p.logPath)
	if err != nil {
		return false
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(io.NewSectionReader(f, off, 1<<62), 256<<10))
	s := strings.ToLower(string(b))
	return strings.Contains(s, "address already in use") || strings.Contains(s, "port is already in use") ||
		strings.Contains(s, "could not bind")
}

// register arranges for p to be stopped at the end of the test and for its
// log tail to be printed if the test failed.
func register(t testing.TB, p *proc) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("testsrv: %s log %s (last %d lines):\n%s", p.name, p.logPath, logTailLines, p.logTail(logTailLines))
		}
		if !p.signalAndWait(p.stopSig, stopTimeout) {
			t.Logf("testsrv: %s did not stop within %v of %v; killed", p.name, stopTimeout, p.stopSig)
		}
	})
}
