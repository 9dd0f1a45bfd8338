package workers_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/minio/minio-go/v7"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/weipian/weipian/detect"
	"github.com/weipian/weipian/internal/testsrv"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/store"
	"github.com/weipian/weipian/workers"
)

const (
	juelichBefore = "../testdata/juelich/LS20010525.tif"
	juelichAfter  = "../testdata/juelich/LS20010626.tif"
)

// reference is the output of `weipian detect` on the Jülich pair.
var (
	refOnce sync.Once
	refGJ   []byte
	refErr  error
)

func reference(t *testing.T) []byte {
	t.Helper()
	refOnce.Do(func() {
		dir, err := os.MkdirTemp("", "weipian-ref-")
		if err != nil {
			refErr = err
			return
		}
		defer os.RemoveAll(dir)
		res, _, err := (&detect.Local{Concurrency: 2}).Run(context.Background(), juelichBefore, juelichAfter, detect.Options{WorkDir: dir})
		if err != nil {
			refErr = err
			return
		}
		if err := detect.WriteOutputs(dir, res); err != nil {
			refErr = err
			return
		}
		refGJ, refErr = os.ReadFile(filepath.Join(dir, "patches.geojson"))
	})
	if refErr != nil {
		t.Fatal(refErr)
	}
	return refGJ
}

// cluster is Redis + MinIO + PostgreSQL on loopback, with the system wired
// as `weipian worker` wires it.
type cluster struct {
	redis   *testsrv.Redis
	minio   *testsrv.MinIO
	dsn     string
	objects *workers.Objects
	store   *store.Store
	client  *asynq.Client
	orch    *pipeline.Orchestrator
	metrics *workers.Metrics
}

func newCluster(t *testing.T, redisOpts ...testsrv.RedisOption) *cluster {
	t.Helper()
	ctx := t.Context()
	c := &cluster{redis: testsrv.StartRedis(t, redisOpts...), minio: testsrv.StartMinIO(t)}
	c.dsn = testsrv.StartPostgres(t).DSN
	var err error
	c.metrics = workers.NewMetrics(prometheus.NewRegistry())
	c.objects, err = workers.NewObjects(ctx, c.s3(), c.metrics)
	if err != nil {
		t.Fatal(err)
	}
	if err := raster.UseObjectReader(c.objects); err != nil {
		t.Fatal(err)
	}
	if err := c.objects.Client().MakeBucket(ctx, "imagery", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	c.store, err = store.Open(ctx, c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.store.Close() })
	c.client = asynq.NewClient(asynq.RedisClientOpt{Addr: c.redis.Addr})
	t.Cleanup(func() { c.client.Close() })
	bucket := c.objects.Bucket()
	eng := &detect.Engine{Blobs: c.objects, Resolve: func(in string) (string, error) {
		k, isObject, err := c.objects.Locate(in)
		if err != nil || !isObject {
			return k, err
		}
		return raster.ObjectPrefix + k, nil
	}, Materialize: true,
		BlobName: func(k string) string { return raster.ObjectName(bucket, k) },
		// as a worker process has it: consecutive tiles reuse open images
		Readers: detect.NewReaderCache(2)}
	c.orch = &pipeline.Orchestrator{Store: c.store, Queue: &workers.AsynqQueue{Client: c.client}, Stages: eng}
	return c
}

func (c *cluster) s3() workers.S3Config {
	return workers.S3Config{Endpoint: c.minio.Endpoint, AccessKey: c.minio.AccessKey, SecretKey: c.minio.SecretKey, Bucket: "weipian"}
}

func (c *cluster) env() []string {
	return append(os.Environ(), "WEIPIAN_REDIS="+c.redis.Addr, "WEIPIAN_S3_ENDPOINT="+c.minio.Endpoint,
		"WEIPIAN_S3_ACCESS_KEY="+c.minio.AccessKey, "WEIPIAN_S3_SECRET_KEY="+c.minio.SecretKey, "WEIPIAN_DB="+c.dsn)
}

// worker starts an in-process asynq worker; it stops with the test.
func (c *cluster) worker(t *testing.T, concurrency int) {
	t.Helper()
	srv := workers.NewServer(asynq.RedisClientOpt{Addr: c.redis.Addr}, c.orch, c.metrics,
		workers.ServerConfig{Concurrency: concurrency, ShutdownTimeout: 10 * time.Second})
	if err := srv.Start(workers.Handlers(c.orch, c.metrics, nil)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
}

func (c *cluster) upload(t *testing.T, local, key string) string {
	t.Helper()
	if _, err := c.objects.Client().FPutObject(t.Context(), "imagery", key, local, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	return "s3://imagery/" + key
}

func (c *cluster) submit(t *testing.T, spec pipeline.BatchSpec) pipeline.Batch {
	t.Helper()
	var vs []string
	for _, in := range []string{spec.Before, spec.After} {
		v, err := c.objects.Version(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	b, _, err := c.orch.Submit(t.Context(), spec, vs...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wait polls the batch until it ends, or until cond holds when given.
func (c *cluster) wait(t *testing.T, id string, timeout time.Duration, cond func(pipeline.Batch) bool) pipeline.Batch {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b, err := c.store.GetBatch(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if (cond == nil && b.State.Terminal()) || (cond != nil && cond(b)) {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch %s still %s after %v (%d/%d tiles, error %q)", id, b.State, timeout, b.TilesDone, b.TilesTotal, b.Error)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *cluster) output(t *testing.T, id, name string) []byte {
	t.Helper()
	r, err := c.objects.Get(t.Context(), detect.OutputKey(id, name))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (c *cluster) objectsUnder(t *testing.T, prefix string) []string {
	t.Helper()
	var keys []string
	for o := range c.objects.Client().ListObjects(t.Context(), c.objects.Bucket(), minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

func TestDistributedBatchMatchesDetect(t *testing.T) {
	c := newCluster(t)
	c.worker(t, 2)
	c.worker(t, 2)
	spec := pipeline.BatchSpec{Name: "2001年测试", Region: "410782", TileSize: 256,
		Before: c.upload(t, juelichBefore, "2001/LS20010525.tif"), After: c.upload(t, juelichAfter, "2001/LS20010626.tif")}
	b := c.submit(t, spec)
	done := c.wait(t, b.ID, 3*time.Minute, nil)
	want := bytes.Count(reference(t), []byte(`{"type":"Feature",`))
	if want == 0 {
		t.Fatal("weipian detect found no patch on the Jülich pair: the comparison would prove nothing")
	}
	if done.State != pipeline.BatchDone || done.TilesDone != 16 || done.PatchCount != want {
		t.Fatalf("batch ended %s: %d/%d tiles, %d patches (weipian detect: %d), error %q", done.State, done.TilesDone, done.TilesTotal, done.PatchCount, want, done.Error)
	}
	if got := c.output(t, b.ID, "patches.geojson"); !bytes.Equal(got, reference(t)) {
		t.Error("patches.geojson from the distributed batch differs from weipian detect's")
	}
	// The patches are also in the state store, in the same order.
	ps, err := c.store.Patches(t.Context(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	// (The store holds longitude/latitude; the outputs name CGCS2000,
	// numerically the same coordinates.)
	var buf bytes.Buffer
	gw, err := pipeline.NewGeoJSONWriterCRS(&buf, "patches", "urn:ogc:def:crs:EPSG::4490", pipeline.CoordDecimals)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ps {
		if err := gw.Write(&ps[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := gw.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), reference(t)) {
		t.Error("patches read back from PostgreSQL differ from weipian detect's")
	}
	// The aligned pair was stored as COGs and tiles read them by range requests.
	keys := strings.Join(c.objectsUnder(t, "batches/"+b.ID+"/"), " ")
	for _, k := range []string{"before.tif", "after.tif", "scene.json", "tiles/0_0.bin", "patches.gpkg", "summary.json"} {
		if !strings.Contains(keys, k) {
			t.Errorf("object %s missing under batches/%s/", k, b.ID)
		}
	}
	// Resubmitting the same batch creates nothing new.
	again, created, err := c.orch.Submit(t.Context(), spec, mustVersions(t, c, spec)...)
	if err != nil || created || again.ID != b.ID || again.State != pipeline.BatchDone {
		t.Errorf("resubmission: created=%v id=%s state=%s err=%v", created, again.ID, again.State, err)
	}
	// Duplicate deliveries of finished tasks change nothing.
	if err := c.orch.Handle(t.Context(), pipeline.Job{Kind: pipeline.JobTile, BatchID: b.ID, Key: "1_1"}, true); err != nil {
		t.Error(err)
	}
	if err := c.orch.Handle(t.Context(), pipeline.Job{Kind: pipeline.JobFinalize, BatchID: b.ID}, true); err != nil {
		t.Error(err)
	}
	after, _ := c.store.GetBatch(t.Context(), b.ID)
	if after.PatchCount != done.PatchCount || after.TilesDone != 16 || after.State != pipeline.BatchDone {
		t.Errorf("after duplicate deliveries: %+v", after)
	}
}

func mustVersions(t *testing.T, c *cluster, spec pipeline.BatchSpec) []string {
	var vs []string
	for _, in := range []string{spec.Before, spec.After} {
		v, err := c.objects.Version(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

// The embedded mode (in-process queue, local blobs, SQLite) and the
// distributed one run the same stages: their patches are byte-identical.
func TestEmbeddedModeMatches(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(t.Context(), filepath.Join(dir, "weipian.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	blobs := workers.Dir{Root: filepath.Join(dir, "data")}
	q := &workers.InProcess{Concurrency: 2}
	eng := &detect.Engine{Blobs: blobs, Resolve: func(s string) (string, error) { return filepath.Abs(s) }, BlobName: blobs.Path}
	o := &pipeline.Orchestrator{Store: st, Queue: q, Stages: eng}
	q.Handle, q.Failed = o.Handle, o.Failed
	b, _, err := o.Submit(t.Context(), pipeline.BatchSpec{Name: "embedded", Before: juelichBefore, After: juelichAfter, TileSize: 300})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Run(t.Context(), true); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(blobs.Path(detect.OutputKey(b.ID, "patches.geojson")))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, reference(t)) {
		t.Error("embedded batch patches differ from weipian detect's")
	}
}

func TestMissingOrCorruptObjectFailsBatch(t *testing.T) {
	c := newCluster(t)
	c.worker(t, 2)
	good := c.upload(t, juelichAfter, "good.tif")
	corrupt := "s3://imagery/corrupt.tif"
	if _, err := c.objects.Client().PutObject(t.Context(), "imagery", "corrupt.tif", strings.NewReader(strings.Repeat("II*\x00 junk ", 500)), -1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, before string }{
		{"missing", "s3://imagery/missing/2025Q4.tif"},
		{"corrupt", corrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Submit through the orchestrator so the worker meets the bad object.
			b, _, err := c.orch.Submit(t.Context(), pipeline.BatchSpec{Name: tc.name, Before: tc.before, After: good})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			end := c.wait(t, b.ID, time.Minute, nil)
			if end.State != pipeline.BatchFailed {
				t.Fatalf("state %s, want failed", end.State)
			}
			if !strings.Contains(end.Error, tc.before) {
				t.Errorf("error %q does not name %s", end.Error, tc.before)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("failing took %v: invalid input must fail at once, without retries", d)
			}
			if keys := c.objectsUnder(t, "batches/"+b.ID+"/"); len(keys) != 0 {
				t.Errorf("half-written objects remain: %v", keys)
			}
		})
	}
	// Submitting a missing object through the CLI path is refused at once.
	if _, err := c.objects.Version(t.Context(), "s3://imagery/nope.tif"); err == nil || !strings.Contains(err.Error(), "s3://imagery/nope.tif") {
		t.Errorf("version of a missing object: %v", err)
	}
}

func TestRedisRestartMidBatch(t *testing.T) {
	c := newCluster(t, testsrv.WithAOF())
	c.worker(t, 1)
	b := c.submit(t, pipeline.BatchSpec{Name: "redis-restart", TileSize: 100,
		Before: c.upload(t, juelichBefore, "r/LS20010525.tif"), After: c.upload(t, juelichAfter, "r/LS20010626.tif")})
	c.wait(t, b.ID, 2*time.Minute, func(b pipeline.Batch) bool { return b.TilesDone >= 10 || b.State.Terminal() })
	c.redis.Restart(t)
	end := c.wait(t, b.ID, 4*time.Minute, nil)
	if end.State != pipeline.BatchDone {
		t.Fatalf("batch ended %s: %s", end.State, end.Error)
	}
	if !bytes.Equal(c.output(t, b.ID, "patches.geojson"), reference(t)) {
		t.Error("patches after a Redis restart differ from weipian detect's")
	}
}

// buildWeipian builds the weipian binary once per test binary.
var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func weipianBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "weipian-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "weipian")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/weipian").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestWorkerKilledMidBatch(t *testing.T) {
	c := newCluster(t)
	bin := weipianBinary(t)
	start := func(name string) *exec.Cmd {
		cmd := exec.Command(bin, "worker", "--concurrency", "2", "--log-level", "warn")
		cmd.Env = c.env()
		logf, _ := os.Create(filepath.Join(t.TempDir(), name+".log"))
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() })
		return cmd
	}
	victim := start("victim")
	start("survivor")
	b := c.submit(t, pipeline.BatchSpec{Name: "kill", TileSize: 64,
		Before: c.upload(t, juelichBefore, "k/LS20010525.tif"), After: c.upload(t, juelichAfter, "k/LS20010626.tif")})
	c.wait(t, b.ID, 2*time.Minute, func(b pipeline.Batch) bool { return b.TilesDone >= 20 || b.State.Terminal() })
	if err := victim.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// asynq hands a dead worker's tasks to another once their lease expires
	// (about a minute).
	end := c.wait(t, b.ID, 5*time.Minute, nil)
	if end.State != pipeline.BatchDone || end.TilesDone != end.TilesTotal {
		t.Fatalf("batch ended %s (%d/%d tiles): %s", end.State, end.TilesDone, end.TilesTotal, end.Error)
	}
	if !bytes.Equal(c.output(t, b.ID, "patches.geojson"), reference(t)) {
		t.Error("patches after a worker was killed differ from weipian detect's")
	}
}
