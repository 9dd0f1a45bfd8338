package workers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"golang.org/x/sync/errgroup"

	"github.com/weipian/weipian/pipeline"
)

// S3Config says how to reach MinIO (or any S3 endpoint).
type S3Config struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Bucket    string // the bucket for batches (default "weipian")
	Secure    bool   // HTTPS
	Region    string
}

// Objects is the MinIO adapter: the batches' blob store (one bucket), the
// range reader GDAL uses for imagery in any bucket, and the resolver of
// s3:// inputs. Safe for concurrent use.
type Objects struct {
	client  *minio.Client
	bucket  string
	metrics *Metrics
	// base is the process context, used for GDAL's reads: GDAL's callbacks
	// carry no context of their own.
	base context.Context
}

var _ pipeline.BlobStore = (*Objects)(nil)

// NewObjects connects to the endpoint and creates the batches bucket if
// missing. base is the process context (it bounds GDAL's reads).
func NewObjects(base context.Context, cfg S3Config, m *Metrics) (*Objects, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("workers: no S3 endpoint configured")
	}
	if cfg.Bucket == "" {
		cfg.Bucket = "weipian"
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""), Secure: cfg.Secure, Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("workers: S3 client for %s: %w", cfg.Endpoint, err)
	}
	o := &Objects{client: c, bucket: cfg.Bucket, metrics: m, base: base}
	ctx, cancel := context.WithTimeout(base, 30*time.Second)
	defer cancel()
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("workers: S3 %s: %w", cfg.Endpoint, err)
	}
	if !ok {
		if err := c.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
			var er minio.ErrorResponse
			if !errors.As(err, &er) || er.Code != "BucketAlreadyOwnedByYou" {
				return nil, fmt.Errorf("workers: make bucket %s: %w", cfg.Bucket, err)
			}
		}
	}
	return o, nil
}

// Client returns the MinIO client (tests and uploads).
func (o *Objects) Client() *minio.Client { return o.client }

// Bucket returns the batches bucket.
func (o *Objects) Bucket() string { return o.bucket }

func notFound(err error) bool {
	var er minio.ErrorResponse
	return errors.As(err, &er) && (er.StatusCode == http.StatusNotFound || er.Code == "NoSuchKey" || er.Code == "NoSuchBucket")
}

// Get opens an object of the batches bucket.
func (o *Objects) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	obj, err := o.client.GetObject(ctx, o.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		if notFound(err) {
			return nil, fmt.Errorf("object s3://%s/%s: %w", o.bucket, key, pipeline.ErrNotFound)
		}
		return nil, err
	}
	return obj, nil
}

// Put stores an object of the batches bucket (S3 puts are atomic).
func (o *Objects) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	_, err := o.client.PutObject(ctx, o.bucket, key, r, size, minio.PutObjectOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return fmt.Errorf("workers: put s3://%s/%s: %w", o.bucket, key, err)
	}
	return nil
}

// Delete removes the object; a missing object is not an error.
func (o *Objects) Delete(ctx context.Context, key string) error {
	if err := o.client.RemoveObject(ctx, o.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("workers: delete s3://%s/%s: %w", o.bucket, key, err)
	}
	return nil
}

func splitKey(key string) (bucket, object string, err error) {
	bucket, object, ok := strings.Cut(key, "/")
	if !ok || bucket == "" || object == "" {
		return "", "", fmt.Errorf("workers: object key %q: want bucket/key", key)
	}
	return bucket, object, nil
}

// ReadAt reads a byte range of "bucket/key" (raster.ObjectReader).
func (o *Objects) ReadAt(key string, p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	bucket, object, err := splitKey(key)
	if err != nil {
		return 0, err
	}
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(off, off+int64(len(p))-1); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(o.base, 2*time.Minute)
	defer cancel()
	obj, err := o.client.GetObject(ctx, bucket, object, opts)
	if err != nil {
		return 0, err
	}
	defer obj.Close()
	n, err := io.ReadFull(obj, p)
	o.metrics.read(n)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	return n, err
}

// Size returns the size of "bucket/key"; an error for a missing object.
func (o *Objects) Size(key string) (int64, error) {
	bucket, object, err := splitKey(key)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(o.base, 30*time.Second)
	defer cancel()
	st, err := o.client.StatObject(ctx, bucket, object, minio.StatObjectOptions{})
	if err != nil {
		return 0, err
	}
	return st.Size, nil
}

// Locate splits a batch input: for s3://bucket/key it returns "bucket/key"
// and true (the caller reads it through the object reader, e.g. GDAL's
// handler in package raster); anything else is returned as it is, with false.
func (o *Objects) Locate(input string) (string, bool, error) {
	if rest, ok := strings.CutPrefix(input, "s3://"); ok {
		if _, _, err := splitKey(rest); err != nil {
			return "", false, err
		}
		return rest, true, nil
	}
	return input, false, nil
}

// Version returns a version tag of an input (the object's ETag, or a local
// file's size and modification time), so a resubmission of unchanged inputs
// gets the same batch ID and changed inputs a new one.
func (o *Objects) Version(ctx context.Context, input string) (string, error) {
	if rest, ok := strings.CutPrefix(input, "s3://"); ok {
		bucket, object, err := splitKey(rest)
		if err != nil {
			return "", err
		}
		st, err := o.client.StatObject(ctx, bucket, object, minio.StatObjectOptions{})
		if err != nil {
			if notFound(err) {
				return "", fmt.Errorf("%w: object %s does not exist", pipeline.ErrInvalid, input)
			}
			return "", fmt.Errorf("workers: stat %s: %w", input, err)
		}
		return st.ETag, nil
	}
	return LocalVersion(input)
}

// LocalVersion versions a local input by size and modification time.
func LocalVersion(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", pipeline.ErrInvalid, path, err)
	}
	return fmt.Sprintf("%d-%d", st.Size(), st.ModTime().UnixNano()), nil
}

// Range coalescing of ReadAtMulti: ranges less than coalesceGap apart are
// fetched with one request of at most coalesceMax bytes (GDAL asks for all
// the blocks of a window at once, and a block row of a COG lies in one
// stretch of the file); at most multiRequests requests run at once.
const (
	coalesceGap   = 256 << 10
	coalesceMax   = 32 << 20
	multiRequests = 8
)

// ReadAtMulti reads several byte ranges of one object, as GDAL's GTiff driver
// asks for the blocks of a window: nearby ranges share one range request and
// the requests run concurrently. The i-th count is len(bufs[i]) unless the
// object ends inside that range.
func (o *Objects) ReadAtMulti(key string, bufs [][]byte, offs []int64) ([]int, error) {
	lens := make([]int, len(bufs))
	var g errgroup.Group
	g.SetLimit(multiRequests)
	for _, rg := range coalesce(bufs, offs) {
		g.Go(func() error {
			buf := bufs[rg.idx[0]] // a lone range goes straight into GDAL's buffer
			if len(rg.idx) > 1 {
				buf = make([]byte, rg.end-rg.start)
			}
			n, err := o.ReadAt(key, buf, rg.start)
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			for _, i := range rg.idx {
				rel := int(offs[i] - rg.start)
				got := max(0, min(len(bufs[i]), n-rel))
				if len(rg.idx) > 1 && got > 0 {
					copy(bufs[i][:got], buf[rel:rel+got])
				}
				lens[i] = got
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return lens, err
	}
	for i := range bufs {
		if lens[i] != len(bufs[i]) {
			return lens, io.EOF
		}
	}
	return lens, nil
}

// rangeGroup is one request of ReadAtMulti: the byte range [start, end) and
// the indices of the ranges it serves.
type rangeGroup struct {
	start, end int64
	idx        []int
}

// coalesce groups the ranges (bufs[i] at offs[i]) by offset into requests.
func coalesce(bufs [][]byte, offs []int64) []rangeGroup {
	order := make([]int, 0, len(bufs))
	for i := range bufs {
		if len(bufs[i]) > 0 {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(offs[a], offs[b]) })
	var groups []rangeGroup
	for _, i := range order {
		s, e := offs[i], offs[i]+int64(len(bufs[i]))
		if n := len(groups); n > 0 {
			g := &groups[n-1]
			if s <= g.end+coalesceGap && max(e, g.end)-g.start <= coalesceMax {
				g.end = max(g.end, e)
				g.idx = append(g.idx, i)
				continue
			}
		}
		groups = append(groups, rangeGroup{start: s, end: e, idx: []int{i}})
	}
	return groups
}
