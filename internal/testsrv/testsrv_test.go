package testsrv

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/redis/go-redis/v9"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestFreePort(t *testing.T) {
	p := FreePort(t)
	if p <= 0 || p > 65535 {
		t.Fatalf("FreePort = %d", p)
	}
}

func TestRedisSetGet(t *testing.T) {
	start := time.Now()
	r := StartRedis(t)
	t.Logf("redis-server ready in %v at %s", time.Since(start).Round(time.Millisecond), r.Addr)
	ctx := ctxT(t)
	c := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer c.Close()
	if err := c.Set(ctx, "k", "v1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(ctx, "k").Result()
	if err != nil || got != "v1" {
		t.Fatalf("GET k = %q, %v; want v1", got, err)
	}
}

func TestRedisAOFKillRestart(t *testing.T) {
	r := StartRedis(t, WithAOF())
	ctx := ctxT(t)
	addr := r.Addr
	c := redis.NewClient(&redis.Options{Addr: r.Addr, MaxRetries: -1})
	defer c.Close()
	if err := c.Set(ctx, "survives", "kill", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.RPush(ctx, "list", "a", "b", "c").Err(); err != nil {
		t.Fatal(err)
	}

	r.Kill(t)
	if err := redisPing(ctx, addr); err == nil {
		t.Fatal("PING answered after Kill")
	}
	start := time.Now()
	r.Restart(t)
	t.Logf("redis-server restarted with AOF in %v", time.Since(start).Round(time.Millisecond))
	if r.Addr != addr {
		t.Fatalf("Restart moved the server from %s to %s", addr, r.Addr)
	}
	c2 := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer c2.Close()
	if got, err := c2.Get(ctx, "survives").Result(); err != nil || got != "kill" {
		t.Fatalf("after Kill+Restart GET survives = %q, %v; want kill", got, err)
	}
	if got, err := c2.LRange(ctx, "list", 0, -1).Result(); err != nil || strings.Join(got, ",") != "a,b,c" {
		t.Fatalf("after Kill+Restart LRANGE list = %v, %v", got, err)
	}

	// A clean Stop followed by Restart keeps the data too.
	if err := c2.Set(ctx, "second", "stop", 0).Err(); err != nil {
		t.Fatal(err)
	}
	r.Stop(t)
	r.Restart(t)
	if got, err := c2.Get(ctx, "second").Result(); err != nil || got != "stop" {
		t.Fatalf("after Stop+Restart GET second = %q, %v; want stop", got, err)
	}
}

func TestRedisWithoutAOFLosesDataOnKill(t *testing.T) {
	r := StartRedis(t)
	ctx := ctxT(t)
	c := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer c.Close()
	if err := c.Set(ctx, "gone", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	r.Kill(t)
	r.Restart(t)
	if err := c.Get(ctx, "gone").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET gone after restart without AOF: err = %v, want redis.Nil", err)
	}
}

func TestMinIO(t *testing.T) {
	start := time.Now()
	m := StartMinIO(t)
	t.Logf("minio ready in %v at %s", time.Since(start).Round(time.Millisecond), m.Endpoint)
	ctx := ctxT(t)
	c, err := minio.New(m.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(m.AccessKey, m.SecretKey, ""),
		Secure: false,
		Region: m.Region,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.MakeBucket(ctx, "tiles", minio.MakeBucketOptions{Region: m.Region}); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 1<<20+123)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if _, err := c.PutObject(ctx, "tiles", "a/b.bin", bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: "application/octet-stream"}); err != nil {
		t.Fatal(err)
	}

	obj, err := c.GetObject(ctx, "tiles", "a/b.bin", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	obj.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("GET returned %d bytes, not the %d put", len(got), len(data))
	}

	var opts minio.GetObjectOptions
	if err := opts.SetRange(1000, 1999); err != nil {
		t.Fatal(err)
	}
	obj, err = c.GetObject(ctx, "tiles", "a/b.bin", opts)
	if err != nil {
		t.Fatal(err)
	}
	part, err := io.ReadAll(obj)
	obj.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(part, data[1000:2000]) {
		t.Fatalf("range read returned %d bytes, want data[1000:2000]", len(part))
	}
}

func TestPostgres(t *testing.T) {
	start := time.Now()
	p := StartPostgres(t)
	t.Logf("postgres ready in %v at %s", time.Since(start).Round(time.Millisecond), p.DSN)
	ctx := ctxT(t)
	conn, err := pgx.Connect(ctx, p.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `CREATE TABLE parcels (id bigint PRIMARY KEY, name text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i, n := range []string{"north", "south", "east"} {
		if _, err := conn.Exec(ctx, `INSERT INTO parcels (id, name) VALUES ($1, $2)`, i+1, n); err != nil {
			t.Fatal(err)
		}
	}
	var count int
	var names string
	err = conn.QueryRow(ctx, `SELECT count(*), string_agg(name, ',' ORDER BY id) FROM parcels`).Scan(&count, &names)
	if err != nil {
		t.Fatal(err)
	}
	if count != 3 || names != "north,south,east" {
		t.Fatalf("SELECT = %d %q", count, names)
	}
	var user string
	if err := conn.QueryRow(ctx, `SELECT current_user`).Scan(&user); err != nil || user != PostgresUser {
		t.Fatalf("current_user = %q, %v", user, err)
	}
}

func TestPostgresNewDatabase(t *testing.T) {
	p := StartPostgres(t)
	ctx := ctxT(t)
	dsnA, dsnB := p.NewDatabase(t), p.NewDatabase(t)
	if dsnA == dsnB || dsnA == p.DSN {
		t.Fatalf("NewDatabase returned %q and %q (server DSN %q)", dsnA, dsnB, p.DSN)
	}
	a, err := pgx.Connect(ctx, dsnA)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	b, err := pgx.Connect(ctx, dsnB)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())
	if _, err := a.Exec(ctx, `CREATE TABLE only_in_a (x int); INSERT INTO only_in_a VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	var x int
	if err := a.QueryRow(ctx, `SELECT x FROM only_in_a`).Scan(&x); err != nil || x != 42 {
		t.Fatalf("a: x = %d, %v", x, err)
	}
	var n int
	if err := b.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("b sees %d tables named only_in_a (err %v); databases are not isolated", n, err)
	}
	// Same table name in b is independent.
	if _, err := b.Exec(ctx, `CREATE TABLE only_in_a (x int)`); err != nil {
		t.Fatal(err)
	}

	// A database made in a subtest is dropped when the subtest ends.
	var sub string
	t.Run("sub", func(t *testing.T) {
		dsn := p.NewDatabase(t)
		sub = dsn[strings.LastIndex(dsn, "/")+1 : strings.Index(dsn, "?")]
	})
	var exists bool
	if err := a.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, sub).Scan(&exists); err != nil || exists {
		t.Fatalf("database %q of a finished subtest: exists = %v, err = %v", sub, exists, err)
	}

	// Exec works without a driver.
	p.Exec(t, PostgresDB, `CREATE TABLE via_exec (y int); INSERT INTO via_exec VALUES (1)`)
}

func TestPostgresExecReportsErrors(t *testing.T) {
	p := StartPostgres(t)
	ctx := ctxT(t)
	err := pgExec(ctx, p.Addr, PostgresUser, PostgresDB, "SELECT * FROM no_such_table")
	var pe *pgError
	if !errors.As(err, &pe) || pe.Code != "42P01" {
		t.Fatalf("pgExec of a bad query: %v, want error 42P01", err)
	}
	if err := pgExec(ctx, p.Addr, PostgresUser, "no_such_db", ""); !errors.As(err, &pe) || pe.Code != "3D000" {
		t.Fatalf("connect to a missing database: %v, want error 3D000", err)
	}
}

// processGone reports whether pid has exited (a zombie counts as exited).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// pid (comm) S ...: the state follows the last ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] == 'Z' || s[i+2] == 'X'
	}
	return false
}

func TestCleanupStopsServers(t *testing.T) {
	var pids []int
	t.Run("inner", func(t *testing.T) {
		r := StartRedis(t)
		pids = append(pids, r.proc.pid())
		p := StartPostgres(t)
		pids = append(pids, p.proc.pid())
	})
	for _, pid := range pids {
		if pid == 0 || !processGone(pid) {
			t.Errorf("server pid %d still runs after its test ended", pid)
		}
	}
}

// TestHelperProcess is not a real test: TestServersDieWithTestBinary runs
// the test binary again with TESTSRV_HELPER=1 to start servers and be killed.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("TESTSRV_HELPER") != "1" {
		t.Skip("helper for TestServersDieWithTestBinary")
	}
	r := StartRedis(t)
	p := StartPostgres(t)
	fmt.Printf("PIDS %d %d\n", r.proc.pid(), p.proc.pid())
	time.Sleep(time.Minute)
}

func TestServersDieWithTestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	if _, ok := lookBinary("redis-server", "/usr/bin", "/usr/sbin", "/usr/local/bin"); !ok {
		t.Skip("redis-server not installed")
	}
	if _, ok := postgresBinDir(); !ok {
		t.Skip("postgres not installed")
	}
	// Everything the killed helper leaves behind lands in tmp. It must be
	// reachable by the postgres user when running as root, so it is not a
	// t.TempDir.
	tmp, err := os.MkdirTemp("", "testsrv-helper-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Postgres' own children may still be exiting: retry for a while.
		var err error
		for i := 0; i < 50; i++ {
			if err = os.RemoveAll(tmp); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("remove %s: %v", tmp, err)
	})
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "TESTSRV_HELPER=1", "TMPDIR="+tmp)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var pids []int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "PIDS" {
			for _, s := range f[1:] {
				pid, _ := strconv.Atoi(s)
				pids = append(pids, pid)
			}
			break
		}
	}
	if len(pids) != 2 {
		t.Fatalf("helper printed no PIDS line (scan error %v)", sc.Err())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		for !processGone(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("server pid %d outlived the killed test binary", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// fakeTB records Skip and Fatal; both end the call with a panic, as the real
// ones end the goroutine.
type fakeTB struct {
	testing.TB
	skipped, fatal string
}

type stopNow struct{}

func (f *fakeTB) Helper()                   {}
func (f *fakeTB) Skip(args ...any)          { f.skipped = fmt.Sprint(args...); panic(stopNow{}) }
func (f *fakeTB) Fatal(args ...any)         { f.fatal = fmt.Sprint(args...); panic(stopNow{}) }
func (f *fakeTB) Skipf(s string, a ...any)  { f.Skip(fmt.Sprintf(s, a...)) }
func (f *fakeTB) Fatalf(s string, a ...any) { f.Fatal(fmt.Sprintf(s, a...)) }

func callMissing(f *fakeTB) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stopNow); !ok {
				panic(r)
			}
		}
	}()
	missing(f, "frob-server not found on PATH")
}

func TestMissingBinarySkipsOrFails(t *testing.T) {
	t.Setenv(RequireEnv, "")
	f := &fakeTB{TB: t}
	callMissing(f)
	if f.fatal != "" || !strings.Contains(f.skipped, "frob-server") {
		t.Errorf("without %s: skipped %q, fatal %q; want a skip naming the binary", RequireEnv, f.skipped, f.fatal)
	}

	t.Setenv(RequireEnv, "1")
	f = &fakeTB{TB: t}
	callMissing(f)
	if f.skipped != "" || !strings.Contains(f.fatal, "frob-server") {
		t.Errorf("with %s=1: skipped %q, fatal %q; want a failure naming the binary", RequireEnv, f.skipped, f.fatal)
	}
}
