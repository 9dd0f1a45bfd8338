// Package app holds weipian's use cases: submitting and following batches,
// registering imagery, importing zone layers, judging 图斑, verification
// tasks and their evidence, field exports, patrol ledgers and their
// reconciliation, users, sessions and the audit log. The CLI (cmd/weipian)
// and the HTTP API (app/httpapi) are thin adapters over it: both call the
// same methods with a Principal, and both map errors through KindOf.
//
// Access rules live here, not in the adapters: every method checks the
// principal's roles and, for patrol members, their team.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/weipian/weipian/casework"
	"github.com/weipian/weipian/detect"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/crs"
	"github.com/weipian/weipian/pipeline/judge"
	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/store"
	"github.com/weipian/weipian/workers"
)

// Config configures the system. The zero value of each field is documented
// default.
type Config struct {
	// Redis is the Redis address of the distributed mode; "" is the
	// embedded mode.
	Redis string
	// S3 is the object store of the distributed mode.
	S3 workers.S3Config
	// DB is a postgres:// URL or a SQLite file ("" = weipian.db).
	DB string
	// Data is the blob directory of the embedded mode ("" = weipian-data).
	Data string
	// EvidenceMaxBytes bounds one evidence photo (0 = 32 MiB).
	EvidenceMaxBytes int64
	// EvidenceMaxFiles bounds the photos of one upload (0 = 20).
	EvidenceMaxFiles int
	// SessionTTL is how long a login lasts (0 = 12 h).
	SessionTTL time.Duration
	// OutputCRS is the deployment's CRS of vector outputs that can carry
	// one (task exports in GeoJSON/Shapefile, 下发 returns, the
	// reconciliation GeoJSON, reports): see crs.Parse ("" = CGCS2000,
	// EPSG:4490; "gk" = the Gauss–Krüger zone of the data).
	OutputCRS string
	// PasswordCost is the bcrypt cost of new password hashes (0 = the
	// library's default; tests use bcrypt.MinCost).
	PasswordCost int
	// BusyTimeout is how long a write waits for a SQLite database another
	// process holds before it fails with a busy error (0 = 30 s).
	BusyTimeout time.Duration
	// Judge holds the judging thresholds (zero: judge.DefaultConfig()).
	Judge *judge.Config
	// Report holds the local rules of the reports and the 填报单位.
	Report ReportConfig
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Log receives the system's log (nil: slog.Default()).
	Log *slog.Logger
}

// App is the wired system. It is safe for concurrent use; Close releases it.
type App struct {
	cfg      Config
	store    *store.Store
	blobs    pipeline.BlobStore
	objects  *workers.Objects    // distributed mode only
	readers  *detect.ReaderCache // distributed mode only: open images between tiles
	dir      workers.Dir         // embedded mode only
	inproc   *workers.InProcess  // embedded mode only
	client   *asynq.Client       // distributed mode only
	orch     *pipeline.Orchestrator
	cases    *casework.Service
	judgeCfg judge.Config
	metrics  *workers.Metrics
	registry *prometheus.Registry
	log      *slog.Logger
	limiter  *loginLimiter
	outCRS   crs.CRS
}

// Open wires the system for cfg: the state store (migrated on open), the
// blob store and the queue of the mode. The caller must Close the App.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.DB == "" {
		cfg.DB = "weipian.db"
	}
	if cfg.Data == "" {
		cfg.Data = "weipian-data"
	}
	if cfg.EvidenceMaxBytes <= 0 {
		cfg.EvidenceMaxBytes = 32 << 20
	}
	if cfg.EvidenceMaxFiles <= 0 {
		cfg.EvidenceMaxFiles = 20
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	a := &App{cfg: cfg, registry: prometheus.NewRegistry(), log: cfg.Log, limiter: newLoginLimiter(), outCRS: crs.CGCS2000}
	if strings.TrimSpace(cfg.OutputCRS) != "" {
		c, err := crs.Parse(cfg.OutputCRS)
		if err != nil {
			return nil, invalid("输出坐标系 %q：应为 %s", cfg.OutputCRS, crs.Names)
		}
		a.outCRS = c
	}
	a.judgeCfg = judge.DefaultConfig()
	if cfg.Judge != nil {
		a.judgeCfg = *cfg.Judge
	}
	a.metrics = workers.NewMetrics(a.registry)
	var err error
	a.store, err = store.Open(ctx, cfg.DB, store.WithBusyTimeout(cfg.BusyTimeout))
	if err != nil {
		return nil, fmt.Errorf("open state store %s: %w", cfg.DB, err)
	}
	eng := &detect.Engine{OutputCRS: a.outCRS}
	var queue pipeline.Queue
	if cfg.Redis != "" {
		if cfg.S3.Endpoint == "" {
			a.Close()
			return nil, invalid("the distributed mode (--redis) needs an S3 endpoint (--s3-endpoint or WEIPIAN_S3_ENDPOINT)")
		}
		a.objects, err = workers.NewObjects(ctx, cfg.S3, a.metrics)
		if err != nil {
			a.Close()
			return nil, err
		}
		if err := raster.UseObjectReader(a.objects); err != nil {
			a.Close()
			return nil, err
		}
		a.blobs = a.objects
		a.client = asynq.NewClient(asynq.RedisClientOpt{Addr: cfg.Redis})
		queue = &workers.AsynqQueue{Client: a.client}
		eng.Blobs, eng.Materialize = a.objects, true
		eng.Resolve = func(in string) (string, error) {
			k, isObject, err := a.objects.Locate(in)
			if err != nil || !isObject {
				return k, err
			}
			return raster.ObjectPrefix + k, nil
		}
		bucket := a.objects.Bucket()
		eng.BlobName = func(key string) string { return raster.ObjectName(bucket, key) }
		// A worker keeps the images of its last two batches open between
		// tiles: no HEAD and header read per tile, and GDAL's block cache
		// serves the blocks neighbouring tiles share.
		a.readers = detect.NewReaderCache(2)
		eng.Readers = a.readers
	} else {
		data, err := filepath.Abs(cfg.Data)
		if err != nil {
			a.Close()
			return nil, err
		}
		a.dir = workers.Dir{Root: data}
		a.blobs = a.dir
		a.inproc = &workers.InProcess{Concurrency: 2, Metrics: a.metrics, Log: a.log}
		queue = a.inproc
		eng.Blobs = a.dir
		eng.Resolve = func(in string) (string, error) {
			if strings.HasPrefix(in, "s3://") {
				return "", invalid("s3:// inputs need the distributed mode (--redis and --s3-endpoint)")
			}
			return filepath.Abs(in)
		}
		eng.BlobName = a.dir.Path
	}
	a.orch = &pipeline.Orchestrator{Store: a.store, Queue: queue, Stages: eng, Log: a.log}
	a.cases = &casework.Service{Store: a.store, Zones: a.zoneSet, Config: a.judgeCfg, Now: cfg.Now}
	a.orch.Judge = a.cases
	if a.inproc != nil {
		a.inproc.Handle, a.inproc.Failed = a.orch.Handle, a.orch.Failed
	}
	return a, nil
}

// Close releases the store and the queue client.
func (a *App) Close() error {
	var errs []error
	if a.readers != nil {
		a.readers.Close()
	}
	if a.client != nil {
		errs = append(errs, a.client.Close())
	}
	if a.store != nil {
		errs = append(errs, a.store.Close())
	}
	return errors.Join(errs...)
}

// Distributed reports whether the App runs batches on asynq workers.
func (a *App) Distributed() bool { return a.cfg.Redis != "" }

// Registry returns the Prometheus registry of the App's metrics.
func (a *App) Registry() *prometheus.Registry { return a.registry }

// Store returns the state store (for the worker and tests).
func (a *App) Store() *store.Store { return a.store }

// Orchestrator returns the batch orchestrator (for the worker command).
func (a *App) Orchestrator() *pipeline.Orchestrator { return a.orch }

// Metrics returns the workers' metrics.
func (a *App) Metrics() *workers.Metrics { return a.metrics }

// EvidenceMaxBytes is the configured size limit of one evidence photo.
func (a *App) EvidenceMaxBytes() int64 { return a.cfg.EvidenceMaxBytes }

// EvidenceMaxFiles is the configured limit of photos per upload.
func (a *App) EvidenceMaxFiles() int { return a.cfg.EvidenceMaxFiles }

// Ping checks the state store.
func (a *App) Ping(ctx context.Context) error { return a.store.Ping(ctx) }

func (a *App) now() time.Time { return a.cfg.Now() }

// RunQueued runs the embedded mode's queue: resumes unfinished batches and
// serves new ones until ctx ends (drain false) or until the queue is empty
// (drain true). In the distributed mode it returns at once.
func (a *App) RunQueued(ctx context.Context, drain bool) error {
	if a.inproc == nil {
		return nil
	}
	jobs, err := a.orch.Unfinished(ctx)
	if err != nil {
		return err
	}
	if len(jobs) > 0 {
		a.log.Info("resuming unfinished batches", "jobs", len(jobs))
		a.inproc.EnqueueRetry(ctx, jobs...)
	}
	return a.inproc.Run(ctx, drain)
}

// zoneSet loads the active zone layers for judging and reconciliation.
func (a *App) zoneSet(ctx context.Context) (judge.Zones, error) {
	return casework.LoadZones(ctx, a.store)
}

// OutputCRS is the deployment's CRS of vector outputs.
func (a *App) OutputCRS() crs.CRS { return a.outCRS }
