package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/weipian/weipian/casework"
	"github.com/weipian/weipian/detect"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/judge"
	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/store"
	"github.com/weipian/weipian/workers"
)

// config is the configuration shared by the batch, worker and serve
// commands, from flags or the environment (flags win).
type config struct {
	Redis string           // WEIPIAN_REDIS host:port; empty: embedded mode
	S3    workers.S3Config // WEIPIAN_S3_ENDPOINT, _ACCESS_KEY, _SECRET_KEY, _BUCKET
	DB    string           // WEIPIAN_DB: postgres://… or a SQLite file (default weipian.db)
	Data  string           // WEIPIAN_DATA: blob directory of the embedded mode (default weipian-data)
}

func (c *config) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&c.Redis, "redis", os.Getenv("WEIPIAN_REDIS"), "Redis address host:port for the distributed mode (env WEIPIAN_REDIS); empty: embedded mode")
	f.StringVar(&c.S3.Endpoint, "s3-endpoint", os.Getenv("WEIPIAN_S3_ENDPOINT"), "MinIO/S3 endpoint host:port (env WEIPIAN_S3_ENDPOINT)")
	f.StringVar(&c.S3.AccessKey, "s3-access-key", os.Getenv("WEIPIAN_S3_ACCESS_KEY"), "S3 access key (env WEIPIAN_S3_ACCESS_KEY)")
	f.StringVar(&c.S3.SecretKey, "s3-secret-key", os.Getenv("WEIPIAN_S3_SECRET_KEY"), "S3 secret key (env WEIPIAN_S3_SECRET_KEY)")
	f.StringVar(&c.S3.Bucket, "s3-bucket", envOr("WEIPIAN_S3_BUCKET", "weipian"), "bucket for batches (env WEIPIAN_S3_BUCKET)")
	f.BoolVar(&c.S3.Secure, "s3-https", os.Getenv("WEIPIAN_S3_HTTPS") == "1", "use HTTPS for S3 (env WEIPIAN_S3_HTTPS=1)")
	f.StringVar(&c.DB, "db", envOr("WEIPIAN_DB", "weipian.db"), "state store: postgres://… URL or a SQLite file (env WEIPIAN_DB)")
	f.StringVar(&c.Data, "data", envOr("WEIPIAN_DATA", "weipian-data"), "blob directory of the embedded mode (env WEIPIAN_DATA)")
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// system is the wired system: store, blobs, queue and orchestrator.
type system struct {
	cfg      config
	store    *store.Store
	blobs    pipeline.BlobStore
	objects  *workers.Objects // distributed mode only
	dir      workers.Dir      // embedded mode only
	queue    pipeline.Queue
	inproc   *workers.InProcess // embedded mode only
	client   *asynq.Client      // distributed mode only
	orch     *pipeline.Orchestrator
	cases    *casework.Service
	metrics  *workers.Metrics
	registry *prometheus.Registry
}

func (s *system) distributed() bool { return s.cfg.Redis != "" }

// open wires the system for cfg. The caller closes it.
func (a *app) open(ctx context.Context, cfg config) (*system, error) {
	s := &system{cfg: cfg, registry: prometheus.NewRegistry()}
	s.metrics = workers.NewMetrics(s.registry)
	var err error
	s.store, err = store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("open state store %s: %w", cfg.DB, err)
	}
	eng := &detect.Engine{}
	if s.distributed() {
		if cfg.S3.Endpoint == "" {
			s.close()
			return nil, usageError{errors.New("the distributed mode (--redis) needs --s3-endpoint (WEIPIAN_S3_ENDPOINT)")}
		}
		s.objects, err = workers.NewObjects(ctx, cfg.S3, s.metrics)
		if err != nil {
			s.close()
			return nil, err
		}
		if err := raster.UseObjectReader(s.objects); err != nil {
			s.close()
			return nil, err
		}
		s.blobs = s.objects
		s.client = asynq.NewClient(asynq.RedisClientOpt{Addr: cfg.Redis})
		s.queue = &workers.AsynqQueue{Client: s.client}
		eng.Blobs, eng.Resolve, eng.Materialize = s.objects, objectResolver(s.objects), true
		bucket := s.objects.Bucket()
		eng.BlobName = func(key string) string { return raster.ObjectName(bucket, key) }
	} else {
		data, err := filepath.Abs(cfg.Data)
		if err != nil {
			s.close()
			return nil, err
		}
		s.dir = workers.Dir{Root: data}
		s.blobs = s.dir
		s.inproc = &workers.InProcess{Concurrency: 2, Metrics: s.metrics, Log: a.log}
		s.queue = s.inproc
		eng.Blobs = s.dir
		eng.Resolve = func(in string) (string, error) {
			if len(in) > 5 && in[:5] == "s3://" {
				return "", fmt.Errorf("s3:// inputs need the distributed mode (--redis and --s3-endpoint)")
			}
			return filepath.Abs(in)
		}
		eng.BlobName = s.dir.Path
	}
	s.orch = &pipeline.Orchestrator{Store: s.store, Queue: s.queue, Stages: eng}
	s.cases = &casework.Service{Store: s.store, Zones: s.zones, Config: judge.DefaultConfig()}
	s.orch.Judge = s.cases
	if s.inproc != nil {
		s.inproc.Handle, s.inproc.Failed = s.orch.Handle, s.orch.Failed
	}
	return s, nil
}

func (s *system) close() {
	if s.client != nil {
		s.client.Close()
	}
	if s.store != nil {
		s.store.Close()
	}
}

// version tags an input for the batch ID.
func (s *system) version(ctx context.Context, input string) (string, error) {
	if s.objects != nil {
		return s.objects.Version(ctx, input)
	}
	p, err := filepath.Abs(input)
	if err != nil {
		return "", err
	}
	return workers.LocalVersion(p)
}

// zones loads the active zone layers for judging and reconciliation.
func (s *system) zones(ctx context.Context) (judge.Zones, error) {
	versions, err := s.store.ActiveZoneVersions(ctx)
	if err != nil {
		return judge.Zones{}, err
	}
	out := judge.Zones{Layers: map[judge.Kind][]judge.Zone{}, Versions: map[judge.Kind]int{}}
	kinds := make([]pipeline.ZoneKind, 0, len(versions))
	for k := range versions {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i] < kinds[j] })
	for _, k := range kinds {
		layer, err := s.store.ActiveZones(ctx, k)
		if err != nil {
			return judge.Zones{}, err
		}
		jk := judge.Kind(k.String())
		out.Versions[jk] = layer.Version
		for _, z := range layer.Zones {
			out.Layers[jk] = append(out.Layers[jk], judge.Zone{
				ID: strconv.FormatInt(z.ID, 10), Name: z.Name, XZQDM: z.XZQDM, XZQMC: z.XZQMC, Grade: z.Grade,
				Team: z.Team, Person: z.Person, Contact: z.Contact, ApprovalNo: z.ApprovalNo,
				ApprovalType: string(z.ApprovalType), ApprovedUse: z.ApprovedUse, ValidFrom: z.ValidFrom, ValidTo: z.ValidTo,
				Geometry: z.Geometry,
			})
		}
	}
	return out, nil
}

// objectResolver resolves batch inputs for GDAL: s3://bucket/key is read
// through raster's object reader, anything else is a local path.
func objectResolver(o *workers.Objects) func(string) (string, error) {
	return func(in string) (string, error) {
		k, isObject, err := o.Locate(in)
		if err != nil || !isObject {
			return k, err
		}
		return raster.ObjectPrefix + k, nil
	}
}
