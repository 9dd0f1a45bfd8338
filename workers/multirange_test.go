package workers_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/weipian/weipian/internal/testsrv"
	"github.com/weipian/weipian/workers"
)

// GDAL asks for the blocks of a window at once: ReadAtMulti must return each
// range's bytes exactly, whether ranges are adjacent, overlapping, far apart,
// out of order or at the object's end, and count a range cut by the end.
func TestReadAtMultiRanges(t *testing.T) {
	m := testsrv.StartMinIO(t)
	ctx := t.Context()
	reg := prometheus.NewRegistry()
	met := workers.NewMetrics(reg)
	requests := func() float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "weipian_object_range_requests_total" {
				return mf.GetMetric()[0].GetCounter().GetValue()
			}
		}
		t.Fatal("no weipian_object_range_requests_total")
		return 0
	}
	objs, err := workers.NewObjects(context.Background(), workers.S3Config{Endpoint: m.Endpoint,
		AccessKey: m.AccessKey, SecretKey: m.SecretKey, Bucket: "weipian"}, met)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 3<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	if _, err := objs.Client().PutObject(ctx, "weipian", "blocks.tif", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	key := "weipian/blocks.tif"
	type rg struct{ off, n int64 }
	cases := [][]rg{
		{{0, 100}},                                  // one range
		{{1000, 500}, {1500, 700}, {2200, 10}},      // adjacent: one request
		{{5000, 100}, {5050, 200}},                  // overlapping: one request
		{{2 << 20, 4096}, {10, 20}, {300 << 10, 5}}, // out of order, far apart: three
		{{int64(len(data)) - 50, 50}, {0, 1}},       // at the end: two
	}
	wantRequests := []float64{1, 1, 1, 3, 2}
	for ci, c := range cases {
		before := requests()
		bufs := make([][]byte, len(c))
		offs := make([]int64, len(c))
		for i, r := range c {
			bufs[i], offs[i] = make([]byte, r.n), r.off
		}
		lens, err := objs.ReadAtMulti(key, bufs, offs)
		if err != nil {
			t.Fatalf("case %d: %v", ci, err)
		}
		for i, r := range c {
			if lens[i] != int(r.n) || !bytes.Equal(bufs[i], data[r.off:r.off+r.n]) {
				t.Fatalf("case %d range %d (%d+%d): got %d bytes, wrong content", ci, i, r.off, r.n, lens[i])
			}
		}
		if got := requests() - before; got != wantRequests[ci] {
			t.Errorf("case %d: %v range requests, want %v", ci, got, wantRequests[ci])
		}
	}
	// A range running past the end: its count is what exists, and io.EOF.
	bufs := [][]byte{make([]byte, 10), make([]byte, 100)}
	lens, err := objs.ReadAtMulti(key, bufs, []int64{int64(len(data)) - 200, int64(len(data)) - 40})
	if !errors.Is(err, io.EOF) || lens[0] != 10 || lens[1] != 40 || !bytes.Equal(bufs[1][:40], data[len(data)-40:]) {
		t.Fatalf("past the end: lens %v, err %v; want [10 40] and io.EOF", lens, err)
	}
	// A missing object fails.
	if _, err := objs.ReadAtMulti("weipian/missing.tif", [][]byte{make([]byte, 4)}, []int64{0}); err == nil {
		t.Fatal("missing object: no error")
	}
}
