package testsrv

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Redis is a redis-server process started by StartRedis.
type Redis struct {
	// Addr is host:port on 127.0.0.1.
	Addr string
	// Dir holds the server's data (AOF) and its log file, redis.log.
	Dir string

	port int
	aof  bool
	proc *proc
}

// RedisOption configures StartRedis.
type RedisOption func(*redisConfig)

type redisConfig struct {
	aof bool
}

// WithAOF turns on the append-only file with appendfsync always, so that the
// data survives Kill and Restart.
func WithAOF() RedisOption {
	return func(c *redisConfig) { c.aof = true }
}

// StartRedis starts redis-server on a free loopback port and waits until it
// answers PING. The server is stopped at the end of the test.
func StartRedis(t testing.TB, opts ...RedisOption) *Redis {
	t.Helper()
	var cfg redisConfig
	for _, o := range opts {
		o(&cfg)
	}
	bin, ok := lookBinary("redis-server", "/usr/bin", "/usr/sbin", "/usr/local/bin")
	if !ok {
		missing(t, "redis-server not found on PATH")
	}
	dir := t.TempDir()
	r := &Redis{Dir: dir, aof: cfg.aof}
	r.proc = &proc{
		name:    "redis-server",
		bin:     bin,
		dir:     dir,
		logPath: filepath.Join(dir, "redis.log"),
		stopSig: syscall.SIGTERM,
	}
	register(t, r.proc)
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		r.port, err = freePort()
		if err != nil {
			t.Fatalf("testsrv: free port: %v", err)
		}
		if err = r.start(); err == nil {
			return r
		}
		r.proc.signalAndWait(syscall.SIGKILL, stopTimeout)
		if !portInUse(r.proc) {
			break
		}
	}
	startFailed(t, r.proc, err)
	return nil
}

func (r *Redis) start() error {
	r.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port))
	args := []string{
		"--port", strconv.Itoa(r.port),
		"--bind", "127.0.0.1",
		"--dir", r.Dir,
		"--daemonize", "no",
		"--protected-mode", "yes",
		"--save", "",
		"--logfile", "",
	}
	if r.aof {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	r.proc.args = args
	if err := r.proc.start(); err != nil {
		return err
	}
	return r.proc.waitReady(defaultReadyTimeout, func(ctx context.Context) error {
		return redisPing(ctx, r.Addr)
	})
}

// redisPing sends PING and expects +PONG (a loading server answers -LOADING).
func redisPing(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line = strings.TrimSpace(line); line != "+PONG" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// Stop shuts the server down with SIGTERM and waits for it to exit.
func (r *Redis) Stop(t testing.TB) {
	t.Helper()
	if !r.proc.signalAndWait(syscall.SIGTERM, stopTimeout) {
		t.Errorf("testsrv: redis-server did not stop within %v of SIGTERM; killed", stopTimeout)
	}
}

// Kill ends the server with SIGKILL, as a crash would, and waits for it.
func (r *Redis) Kill(t testing.TB) {
	t.Helper()
	r.proc.signalAndWait(syscall.SIGKILL, stopTimeout)
}

// Restart starts the server again on the same port and data directory
// (stopping it first with Stop if it is still running) and waits until it
// answers PING. With WithAOF the data written before survives.
func (r *Redis) Restart(t testing.TB) {
	t.Helper()
	if r.proc.running() {
		r.Stop(t)
	}
	// The old listening socket may linger for a moment after a kill.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := r.start()
		if err == nil {
			return
		}
		r.proc.signalAndWait(syscall.SIGKILL, stopTimeout)
		if !portInUse(r.proc) || time.Now().After(deadline) {
			startFailed(t, r.proc, fmt.Errorf("restart: %w", err))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
