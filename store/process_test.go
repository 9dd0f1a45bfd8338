package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The tests here run a second process on the same SQLite file: this test
// binary again, running TestStoreHelperProcess with WEIPIAN_STORE_HELPER
// set.

const helperEnv = "WEIPIAN_STORE_HELPER"

// TestStoreHelperProcess is the other process. "hold PATH" opens the store
// at PATH, takes its write lock in a transaction that inserts batch "held",
// prints "locked" and keeps the lock until its stdin closes. "open PATH"
// opens the store and prints "ok", or the error and whether it is
// ErrReadOnly.
func TestStoreHelperProcess(t *testing.T) {
	mode, path, ok := strings.Cut(os.Getenv(helperEnv), " ")
	if !ok {
		return // not the helper
	}
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		fmt.Println(err)
		fmt.Println("ErrReadOnly:", errors.Is(err, ErrReadOnly))
		os.Exit(0)
	}
	switch mode {
	case "open":
		fmt.Println("ok")
	case "hold":
		err = s.Tx(ctx, func(tx *Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO batches (id, spec, state, created_at, updated_at) VALUES ('held', '{}', 'queued', 'x', 'x')`); err != nil {
				return err
			}
			fmt.Println("locked")
			_, err := io.Copy(io.Discard, os.Stdin)
			return err
		})
		if err != nil {
			fmt.Println(err)
		}
	}
	s.Close()
	os.Exit(0)
}

// helper starts the helper process in mode on path.
func helper(t *testing.T, mode, path string, configure func(*exec.Cmd)) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStoreHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode+" "+path)
	if configure != nil {
		configure(cmd)
	}
	return cmd
}

// "database is locked": while another process holds the write lock (a
// long CLI import), a store opens and reads at once, a write waits for
// the lock (up to the busy timeout) instead of failing after 5 s, and
// past the busy timeout the error is a retryable *BusyError.
func TestBusyDatabaseAcrossProcesses(t *testing.T) {
	t.Parallel()
	path := b0(t)
	cmd := helper(t, "hold", path, nil)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	released := false
	release := func() {
		if !released {
			released = true
			stdin.Close()
		}
	}
	t.Cleanup(func() { release(); cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "locked" {
		t.Fatalf("helper: %q %v", lines.Text(), lines.Err())
	}
	ctx := testCtx(t)

	// Open and read while the other process writes.
	s, err := Open(ctx, path, WithBusyTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatalf("Open while another process holds the write lock: %v", err)
	}
	defer s.Close()
	if _, err := s.ListBatches(ctx, 10); err != nil {
		t.Fatalf("read while another process holds the write lock: %v", err)
	}

	// A write past the busy timeout: a typed, retryable error.
	insert := func(tx *Tx, id string) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO batches (id, spec, state, created_at, updated_at) VALUES (?, '{}', 'queued', 'x', 'x')`, id)
		return err
	}
	ran := false
	err = s.Tx(ctx, func(tx *Tx) error { ran = true; return insert(tx, "refused") })
	var be *BusyError
	if !errors.Is(err, ErrBusy) || !errors.As(err, &be) || be.Waited < 300*time.Millisecond || be.Path != path || ran ||
		!strings.Contains(err.Error(), "is busy: another process has held its write lock") || be.RetryAfter() <= 0 {
		t.Fatalf("Tx while locked: %v (fn ran: %v)", err, ran)
	}
	if _, err := s.auto.ExecContext(ctx, `UPDATE batches SET error = 'x'`); !errors.Is(err, ErrBusy) {
		t.Fatalf("autocommit write while locked: %v", err)
	}
	// SQLite's own answer, without the store's retries, is SQLITE_BUSY.
	_, rawErr := runner{q: s.db, dialect: SQLite}.ExecContext(ctx, `UPDATE batches SET error = 'x'`)
	if !isBusy(rawErr) || !isBusy(be.Err) {
		t.Fatalf("raw write while locked: %v", rawErr)
	}

	// A write that starts while the lock is held and gets it when the
	// other process commits: it waits (several SQLite busy timeouts of
	// one attempt), then succeeds.
	s2, err := Open(ctx, path, WithBusyTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	done := make(chan error, 1)
	go func() { done <- s2.Tx(ctx, func(tx *Tx) error { return insert(tx, "after") }) }()
	time.Sleep(2*sqliteAttemptTimeout + 500*time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("the write finished while the lock was held: %v", err)
	default:
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("write after the lock was released: %v", err)
	}
	for _, id := range []string{"held", "after"} {
		if ok, err := batchExists(ctx, s2.auto, id); err != nil || !ok {
			t.Errorf("batch %s: %v %v", id, ok, err)
		}
	}
	// A cancelled context ends the wait.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s2.retryBusy(cctx, func() error { return rawErr }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
}

// b0 returns the path of a new, migrated SQLite store file.
func b0(t *testing.T) string {
	t.Helper()
	path := t.TempDir() + "/weipian.db"
	s, err := Open(testCtx(t), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
