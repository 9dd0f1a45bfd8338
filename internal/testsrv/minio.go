package testsrv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// MinIO is a MinIO server process started by StartMinIO.
type MinIO struct {
	// Endpoint is host:port on 127.0.0.1 (plain HTTP).
	Endpoint string
	// AccessKey and SecretKey are the root credentials.
	AccessKey, SecretKey string
	// Region is the server's region.
	Region string
	// Dir holds the server's data (in Dir/data) and its log, minio.log.
	Dir string

	proc *proc
}

// StartMinIO starts `minio server` on a free loopback port and waits until
// /minio/health/cluster answers 200 (/minio/health/live answers as soon as
// the HTTP server listens, while requests still get "Server not
// initialized yet"). The server is stopped at the end of the
// test. The binary is looked for on PATH, then in $(go env GOPATH)/bin and
// $HOME/go/bin (where scripts/setup.sh servers installs it).
func StartMinIO(t testing.TB) *MinIO {
	t.Helper()
	bin, ok := lookBinary("minio", goBinDirs()...)
	if !ok {
		missing(t, "minio not found on PATH, in $(go env GOPATH)/bin or in $HOME/go/bin")
	}
	dir := t.TempDir()
	m := &MinIO{
		AccessKey: "testsrv-access",
		SecretKey: "testsrv-secret-key",
		Region:    "us-east-1",
		Dir:       dir,
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatalf("testsrv: %v", err)
	}
	env := append(cleanEnv("MINIO_"),
		"MINIO_ROOT_USER="+m.AccessKey,
		"MINIO_ROOT_PASSWORD="+m.SecretKey,
		"MINIO_SITE_REGION="+m.Region,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=1",
	)
	m.proc = &proc{
		name:    "minio",
		bin:     bin,
		dir:     dir,
		env:     env,
		logPath: filepath.Join(dir, "minio.log"),
		stopSig: syscall.SIGTERM,
	}
	register(t, m.proc)
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var port, cport int
		if port, err = freePort(); err == nil {
			cport, err = freePort()
		}
		if err != nil {
			t.Fatalf("testsrv: free port: %v", err)
		}
		m.Endpoint = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		m.proc.args = []string{"server", filepath.Join(dir, "data"),
			"--address", m.Endpoint,
			"--console-address", net.JoinHostPort("127.0.0.1", strconv.Itoa(cport)),
			"--certs-dir", filepath.Join(dir, "certs"),
			"--quiet",
		}
		if err = m.proc.start(); err == nil {
			err = m.proc.waitReady(minioReadyTimeout, func(ctx context.Context) error {
				return httpOK(ctx, "http://"+m.Endpoint+"/minio/health/cluster")
			})
		}
		if err == nil {
			return m
		}
		m.proc.signalAndWait(syscall.SIGKILL, stopTimeout)
		if !portInUse(m.proc) {
			break
		}
	}
	startFailed(t, m.proc, err)
	return nil
}

// URL returns the endpoint as an http:// URL.
func (m *MinIO) URL() string { return "http://" + m.Endpoint }

// Stop shuts the server down with SIGTERM and waits for it to exit.
func (m *MinIO) Stop(t testing.TB) {
	t.Helper()
	if !m.proc.signalAndWait(syscall.SIGTERM, stopTimeout) {
		t.Errorf("testsrv: minio did not stop within %v of SIGTERM; killed", stopTimeout)
	}
}

func httpOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// goBinDirs lists where `go install` puts binaries: $GOBIN, $(go env
// GOPATH)/bin and $HOME/go/bin.
func goBinDirs() []string {
	var dirs []string
	if b := os.Getenv("GOBIN"); b != "" {
		dirs = append(dirs, b)
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		for _, p := range filepath.SplitList(gp) {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	} else if gobin, err := exec.LookPath("go"); err == nil {
		if out, err := exec.Command(gobin, "env", "GOPATH").Output(); err == nil {
			for _, p := range filepath.SplitList(strings.TrimSpace(string(out))) {
				dirs = append(dirs, filepath.Join(p, "bin"))
			}
		}
	}
	if h, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(h, "go", "bin"))
	}
	return dirs
}

// cleanEnv returns the environment without the variables that start with
// any of the prefixes, so that a developer's settings do not leak into a
// test server.
func cleanEnv(prefixes ...string) []string {
	var env []string
next:
	for _, kv := range os.Environ() {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		env = append(env, kv)
	}
	return env
}
