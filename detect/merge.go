package detect

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/raster/change"
	"github.com/weipian/weipian/raster/region"
	"github.com/weipian/weipian/tiles"
)

// rowMerger joins the tiles' regions across seams one row of tiles at a
// time, top to bottom. A region that has no pixel on the last scene row of
// the tile rows merged so far cannot grow any further: it is handed on at
// once, so memory holds only the regions that cross the current seam, never
// the scene's. The regions (pixel sets and statistics) are those of one
// region.Merge over every tile of the scene.
type rowMerger struct {
	open []*openRegion
}

// openRegion is a region that reaches the last merged scene row.
type openRegion struct {
	st change.Part // statistics (no runs)
	// chunks hold the region's canonical runs, one slice per tile row it
	// spans (in no particular order once regions have joined).
	chunks [][]region.Run
	// front holds its runs on the last merged scene row: the only ones a
	// region of the next tile row can touch.
	front []region.Run
	// first is the key of its first run (firstKey).
	first uint64
}

// add merges the regions of one tile row, whose cores cover scene rows
// [y0, y1), and calls done for every region that is complete (all of them
// when last). done gets the region's statistics and canonical runs.
func (m *rowMerger) add(parts []*change.Part, y0, y1 int32, last bool, done func(st *change.Part, runs []region.Run) error) error {
	k := len(m.open)
	in := make([][]region.Run, k+len(parts))
	for i, o := range m.open {
		in[i] = o.front
	}
	for j, p := range parts {
		in[k+j] = p.Runs
	}
	var next []*openRegion
	for _, g := range region.Merge(in) {
		var r *openRegion
		for _, i := range g.Parts {
			if i < k {
				o := m.open[i]
				if r == nil {
					r = o
					continue
				}
				r.st.Add(&o.st)
				r.chunks = append(r.chunks, o.chunks...)
				r.first = min(r.first, o.first)
				continue
			}
			if r == nil {
				// a region that starts in this tile row
				r = &openRegion{first: firstKey(g.Runs)}
			}
			r.st.Add(parts[i-k])
		}
		// g.Runs is canonical: the front of the merged open regions (row
		// y0-1) first, then this tile row's runs.
		runs := g.Runs
		a := sort.Search(len(runs), func(i int) bool { return runs[i].Y >= y0 })
		if a < len(runs) {
			r.chunks = append(r.chunks, append([]region.Run(nil), runs[a:]...))
		}
		b := sort.Search(len(runs), func(i int) bool { return runs[i].Y >= y1-1 })
		if last || b == len(runs) {
			all := r.chunks[0]
			if len(r.chunks) > 1 {
				n := 0
				for _, c := range r.chunks {
					n += len(c)
				}
				all = make([]region.Run, 0, n)
				for _, c := range r.chunks {
					all = append(all, c...)
				}
				all = region.Canonical(all)
			}
			if err := done(&r.st, all); err != nil {
				return err
			}
			continue
		}
		r.front = append(r.front[:0:0], runs[b:]...)
		next = append(next, r)
	}
	m.open = next
	return nil
}

// mark returns the key below which no region can still complete, once the
// tile rows up to scene row y1 are merged: the first key of the regions still
// open, or the first pixel of the next tile row.
func (m *rowMerger) mark(y1 int32) uint64 {
	w := firstKey([]region.Run{{Y: y1}})
	for _, o := range m.open {
		w = min(w, o.first)
	}
	return w
}

// finalizer turns tile results, given in any order, into patches: it merges
// each row of tiles once all of its tiles are in (rowMerger), builds the
// patches of the complete regions on all CPUs and hands them to a collector,
// which puts them in order. Memory holds the tile rows not yet merged, the
// regions crossing the seam and what the collector keeps.
type finalizer struct {
	s      *Scene
	g      tiles.Grid
	pxArea float64
	m      rowMerger
	counts tileCounts
	rows   map[int][]*TileResult // tile rows with tiles still missing
	seen   map[tiles.Key]bool
	next   int // the next tile row to merge

	jobs chan buildJob
	wg   sync.WaitGroup
	// building counts the jobs handed to the builders and not done.
	building sync.WaitGroup
	mu       sync.Mutex // guards out and err
	out      collector
	err      error
	cancel   context.CancelFunc
	ctx      context.Context
}

type buildJob struct {
	st   change.Part
	runs []region.Run
}

// collector receives the patches of a scene in any order (calls are
// serialised) and puts them in their final order in finish.
type collector interface {
	// begin gives the scene before any patch.
	begin(s *Scene)
	add(p *pipeline.Patch, runs []region.Run) error
	// advance says that no patch with a key below mark will come.
	advance(mark uint64) error
	finish(s *Scene, counts tileCounts) error
}

func newFinalizer(ctx context.Context, s *Scene, out collector) *finalizer {
	ctx, cancel := context.WithCancel(ctx)
	f := &finalizer{s: s, g: s.Tiles(), pxArea: s.PixelSize * s.PixelSize, rows: map[int][]*TileResult{},
		seen: map[tiles.Key]bool{}, jobs: make(chan buildJob, 256), out: out, ctx: ctx, cancel: cancel}
	out.begin(s)
	for w := 0; w < runtime.NumCPU(); w++ {
		f.wg.Add(1)
		go f.builder()
	}
	return f
}

func (f *finalizer) fail(err error) {
	f.mu.Lock()
	if f.err == nil {
		f.err = err
	}
	f.mu.Unlock()
	f.cancel()
}

// builder builds patches with its own coordinate transformer.
func (f *finalizer) builder() {
	defer f.wg.Done()
	tr, err := raster.NewTransformer(f.s.Grid.WKT)
	if err != nil {
		f.fail(err)
		for range f.jobs {
		}
		return
	}
	defer tr.Close()
	for j := range f.jobs {
		f.build(j, tr)
		f.building.Done()
	}
}

func (f *finalizer) build(j buildJob, tr *raster.Transformer) {
	if f.ctx.Err() != nil {
		return
	}
	p, err := f.s.patch(change.Changed, &j.st, j.runs, tr)
	if err != nil {
		f.fail(err)
		return
	}
	if p.AreaM2 < f.s.Params.MMU {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		if err := f.out.add(&p, j.runs); err != nil {
			f.err = err
			f.cancel()
		}
	}
}

// add takes one tile's result; a tile outside the grid or given twice is an
// error.
func (f *finalizer) add(t *TileResult) error {
	if err := f.ctx.Err(); err != nil {
		return f.firstErr(err)
	}
	if !f.g.Contains(t.Key) {
		return fmt.Errorf("detect: finalize: tile %v is not in the %d×%d grid", t.Key, f.g.Cols(), f.g.Rows())
	}
	if f.seen[t.Key] {
		return fmt.Errorf("detect: finalize: tile %v given twice", t.Key)
	}
	f.seen[t.Key] = true
	f.counts.add(t)
	f.rows[t.Key.Row] = append(f.rows[t.Key.Row], t)
	for len(f.rows[f.next]) == f.g.Cols() {
		row := f.rows[f.next]
		delete(f.rows, f.next)
		if err := f.mergeRow(row); err != nil {
			return err
		}
		f.next++
		// Once the regions completed so far are built, the patches
		// before the mark can be written.
		f.building.Wait()
		if err := f.ctx.Err(); err != nil {
			return f.firstErr(err)
		}
		mark := f.m.mark(int32(f.g.Core(tiles.Key{Row: f.next - 1}).Max.Y))
		f.mu.Lock()
		err := f.out.advance(mark)
		f.mu.Unlock()
		if err != nil {
			f.fail(err)
			return err
		}
	}
	return nil
}

func (f *finalizer) mergeRow(row []*TileResult) error {
	sort.Slice(row, func(i, j int) bool { return row[i].Key.Col < row[j].Key.Col })
	var parts []*change.Part
	for _, t := range row {
		for i := range t.Parts {
			if p := &t.Parts[i]; p.Class == change.Changed {
				parts = append(parts, p)
			}
		}
	}
	core := f.g.Core(tiles.Key{Row: f.next})
	last := f.next == f.g.Rows()-1
	return f.m.add(parts, int32(core.Min.Y), int32(core.Max.Y), last, func(st *change.Part, runs []region.Run) error {
		// Cheap pre-filter: the grid pixel area is close to the true
		// area; the exact test follows. Hysteresis: a region without a
		// pixel above the change threshold is only weak evidence, unless
		// it is large and changed throughout (Params.WeakStrength).
		if (st.Strong == 0 && !f.s.Params.WeakRegion(st.Pixels, st.StrengthSum, f.pxArea)) || st.Pixels < int64(f.s.Params.MinPixels) || float64(st.Pixels)*f.pxArea < 0.5*f.s.Params.MMU {
			return nil
		}
		f.building.Add(1)
		select {
		case f.jobs <- buildJob{st: *st, runs: runs}:
			return nil
		case <-f.ctx.Done():
			f.building.Done()
			return f.firstErr(f.ctx.Err())
		}
	})
}

func (f *finalizer) firstErr(err error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	return err
}

// close waits for the patches and lets the collector finish; it needs every
// tile of the grid. After an error it only releases the builders.
func (f *finalizer) close(failed error) error {
	close(f.jobs)
	f.wg.Wait()
	defer f.cancel()
	if failed != nil {
		return failed
	}
	if err := f.firstErr(f.ctx.Err()); err != nil {
		return err
	}
	if len(f.seen) != f.g.Count() {
		return fmt.Errorf("detect: finalize: have %d of %d tiles", len(f.seen), f.g.Count())
	}
	return f.out.finish(f.s, f.counts)
}

// memCollector keeps every patch and its pixels (Finalize's Result).
type memCollector struct {
	res          *Result
	cands, other []cand
}

type cand struct {
	patch pipeline.Patch
	runs  []region.Run
}

func (c *memCollector) add(p *pipeline.Patch, runs []region.Run) error {
	if p.Concern {
		c.cands = append(c.cands, cand{patch: *p, runs: runs})
	} else {
		c.other = append(c.other, cand{patch: *p, runs: runs})
	}
	return nil
}

func (c *memCollector) advance(uint64) error { return nil }

func (c *memCollector) begin(*Scene) {}

func (c *memCollector) finish(s *Scene, counts tileCounts) error {
	order := func(cs []cand) {
		sort.Slice(cs, func(i, j int) bool { return firstKey(cs[i].runs) < firstKey(cs[j].runs) })
	}
	order(c.cands)
	order(c.other)
	out := &Result{Scene: s}
	var tp, tn totals
	for _, x := range c.cands {
		out.Patches = append(out.Patches, x.patch)
		out.Runs = append(out.Runs, x.runs)
		tp.add(&x.patch)
	}
	for _, x := range c.other {
		out.NonConcern = append(out.NonConcern, x.patch)
		out.NonConcernRuns = append(out.NonConcernRuns, x.runs)
		tn.add(&x.patch)
	}
	out.Summary = s.summary(tp.result(), tn.result(), counts)
	c.res = out
	return nil
}

// firstKey orders regions by their first run (smallest Y, then X0): scene
// coordinates are never negative. Two regions never share a first pixel.
func firstKey(runs []region.Run) uint64 {
	return uint64(uint32(runs[0].Y))<<32 | uint64(uint32(runs[0].X0))
}
