package testsrv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// PostgresUser is the superuser that StartPostgres creates (trust auth, no
// password), and PostgresDB the database its DSN names.
const (
	PostgresUser = "weipian"
	PostgresDB   = "weipian"
)

// Postgres is a PostgreSQL server process started by StartPostgres.
type Postgres struct {
	// DSN is postgres://weipian@127.0.0.1:PORT/weipian?sslmode=disable.
	DSN string
	// Addr is host:port on 127.0.0.1.
	Addr string
	// Dir holds the cluster (Dir/data), the socket directory (Dir/sock) and
	// the log, postgres.log.
	Dir string

	proc *proc
}

// PostgresBinDir is where StartPostgres looks first for initdb and postgres.
// When it has no initdb, the other /usr/lib/postgresql/*/bin directories are
// tried (highest version first), then PATH.
var PostgresBinDir = "/usr/lib/postgresql/15/bin"

func postgresBinDir() (string, bool) {
	cands := []string{PostgresBinDir}
	if more, _ := filepath.Glob("/usr/lib/postgresql/*/bin"); len(more) > 0 {
		sort.Slice(more, func(i, j int) bool { return pgVersion(more[i]) > pgVersion(more[j]) })
		cands = append(cands, more...)
	}
	for _, d := range cands {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, true
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		d := filepath.Dir(p)
		if isExec(filepath.Join(d, "postgres")) {
			return d, true
		}
	}
	return "", false
}

func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// StartPostgres runs initdb (trust auth, superuser weipian, --no-sync) in a
// new directory, starts postgres on a free loopback port with fsync off,
// creates the database weipian and waits until a connection succeeds. The
// server is stopped and its directory removed at the end of the test.
//
// PostgreSQL refuses to run as root: when the test runs as root, initdb and
// postgres run as the user "postgres" (which the Debian package creates) in
// a directory under os.TempDir() that this user owns.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	binDir, ok := postgresBinDir()
	if !ok {
		missing(t, "initdb and postgres not found in %s, /usr/lib/postgresql/*/bin or on PATH", PostgresBinDir)
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			missing(t, "running as root and there is no user postgres to run initdb and postgres as")
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	}

	// A short path of our own: the socket path must stay under ~100 bytes
	// and, under root, the postgres user must be able to reach it (the
	// directories of t.TempDir are private to root).
	dir, err := os.MkdirTemp("", "testsrv-pg-")
	if err != nil {
		t.Fatalf("testsrv: %v", err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Logf("testsrv: remove %s: %v", dir, err)
		}
	})
	p := &Postgres{Dir: dir}
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	if err := os.Mkdir(sock, 0o700); err != nil {
		t.Fatalf("testsrv: %v", err)
	}
	logPath := filepath.Join(dir, "postgres.log")
	if cred != nil {
		for _, d := range []string{dir, sock} {
			if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
				t.Fatalf("testsrv: chown %s to postgres: %v", d, err)
			}
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatalf("testsrv: %v", err)
		}
	}
	env := append(cleanEnv("PG", "LC_", "LANG="), "LANG=C", "LC_ALL=C")

	// initdb
	initLog := filepath.Join(dir, "initdb.log")
	lf, err := os.Create(initLog)
	if err != nil {
		t.Fatalf("testsrv: %v", err)
	}
	initdb := exec.Command(filepath.Join(binDir, "initdb"),
		"-D", data, "-U", PostgresUser, "--auth=trust", "--no-sync",
		"--encoding=UTF8", "--locale=C", "--no-instructions")
	initdb.Dir, initdb.Env, initdb.Stdout, initdb.Stderr = dir, env, lf, lf
	initdb.SysProcAttr = sysProcAttr(cred)
	err = initdb.Run()
	lf.Close()
	if err != nil {
		t.Fatalf("testsrv: initdb: %v\n--- initdb.log:\n%s", err, fileTail(initLog, logTailLines))
	}
	p.proc = &proc{
		name:    "postgres",
		bin:     filepath.Join(binDir, "postgres"),
		dir:     dir,
		env:     env,
		cred:    cred,
		logPath: logPath,
		// SIGINT is PostgreSQL's fast shutdown: it does not wait for
		// clients to disconnect, as SIGTERM (smart shutdown) does.
		stopSig: syscall.SIGINT,
	}
	register(t, p.proc)
	for attempt := 0; attempt < 3; attempt++ {
		var port int
		if port, err = freePort(); err != nil {
			t.Fatalf("testsrv: free port: %v", err)
		}
		p.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		p.proc.args = []string{
			"-D", data,
			"-k", sock,
			"-p", strconv.Itoa(port),
			"-h", "127.0.0.1",
			"-c", "fsync=off",
			"-c", "synchronous_commit=off",
			"-c", "full_page_writes=off",
			"-c", "shared_buffers=32MB",
			"-c", "max_connections=100",
			"-c", "logging_collector=off",
		}
		if err = p.proc.start(); err == nil {
			err = p.proc.waitReady(defaultReadyTimeout, func(ctx context.Context) error {
				return pgExec(ctx, p.Addr, PostgresUser, "postgres", "")
			})
		}
		if err == nil {
			break
		}
		p.proc.signalAndWait(syscall.SIGKILL, stopTimeout)
		if !portInUse(p.proc) {
			break
		}
	}
	if err != nil {
		startFailed(t, p.proc, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), defaultReadyTimeout)
	defer cancel()
	if err := pgExec(ctx, p.Addr, PostgresUser, "postgres", "CREATE DATABASE "+quoteIdent(PostgresDB)); err != nil {
		startFailed(t, p.proc, fmt.Errorf("create database %s: %w", PostgresDB, err))
	}
	p.DSN = p.dsn(PostgresDB)
	return p
}

func (p *Postgres) dsn(db string) string {
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", PostgresUser, p.Addr, db)
}

var dbSeq atomic.Int64

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// NewDatabase creates a database with a unique name on p and returns its
// DSN: cheap isolation between tests that share one server. The database is
// dropped at the end of t if the server still runs then.
func (p *Postgres) NewDatabase(t testing.TB) string {
	t.Helper()
	name := nonIdent.ReplaceAllString(strings.ToLower(t.Name()), "_")
	prefix := fmt.Sprintf("t%d_", dbSeq.Add(1))
	if len(prefix)+len(name) > 63 {
		name = name[len(name)-(63-len(prefix)):]
	}
	name = prefix + name
	ctx, cancel := context.WithTimeout(context.Background(), defaultReadyTimeout)
	defer cancel()
	if err := pgExec(ctx, p.Addr, PostgresUser, "postgres", "CREATE DATABASE "+quoteIdent(name)); err != nil {
		t.Fatalf("testsrv: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if !p.proc.running() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := pgExec(ctx, p.Addr, PostgresUser, "postgres", "DROP DATABASE IF EXISTS "+quoteIdent(name)+" WITH (FORCE)"); err != nil {
			t.Logf("testsrv: drop database %s: %v", name, err)
		}
	})
	return p.dsn(name)
}

// Exec runs one SQL statement (or several separated by semicolons, without
// parameters) as the superuser on database db: a convenience for setting
// up, without a driver.
func (p *Postgres) Exec(t testing.TB, db, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), defaultReadyTimeout)
	defer cancel()
	if err := pgExec(ctx, p.Addr, PostgresUser, db, sql); err != nil {
		t.Fatalf("testsrv: %s: %v", sql, err)
	}
}

// Stop shuts the server down (fast shutdown, SIGINT) and waits for it.
func (p *Postgres) Stop(t testing.TB) {
	t.Helper()
	if !p.proc.signalAndWait(syscall.SIGINT, stopTimeout) {
		t.Errorf("testsrv: postgres did not stop within %v of SIGINT; killed", stopTimeout)
	}
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
