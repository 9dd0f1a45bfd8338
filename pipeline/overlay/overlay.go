package overlay

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/weipian/weipian/pipeline/geodesy"
)

// Hit is the overlap of a patch with one feature of a layer.
type Hit struct {
	ID     string  // Feature.ID
	AreaM2 float64 // area of patch ∩ feature, m² in Result.Zone
}

// Result is the overlay of one patch with one layer. All areas are planar
// areas in m² of the geometries projected into Zone (see the package
// documentation), so 0 ≤ Covered ≤ AreaM2, every Hit.AreaM2 ≤ Covered, and
// the hits add up to Covered when the layer's features do not overlap.
type Result struct {
	// Zone is the projection the areas are computed in:
	// geodesy.ZoneFor of the patch's centroid.
	Zone geodesy.Zone
	// AreaM2 is the area of the patch (its 监测面积 JCMJ in m²).
	AreaM2 float64
	// Covered is the area of patch ∩ union(layer): land of the patch inside
	// at least one feature, counted once where features overlap (e.g. the
	// 耕地面积 JCGDMJ of a 耕地 layer).
	Covered float64
	// Hits lists the features the patch overlaps by more than the layer's
	// minimum hit area (see WithMinHitArea), by area descending, then by ID.
	// Hits[0] is the feature it overlaps most (e.g. its township). Nil when
	// there is none.
	Hits []Hit
}

// Overlay computes the overlay of one patch (lon/lat, closed rings, either
// orientation, holes allowed) with the layer. A patch that breaks the rules
// of NewLayer gives an *InvalidError matching ErrInvalid.
func (l *Layer) Overlay(patch orb.Polygon) (Result, error) {
	return l.OverlayMulti(orb.MultiPolygon{patch})
}

// OverlayMulti is Overlay for a multipolygon patch; its polygons count as
// one patch.
func (l *Layer) OverlayMulti(patch orb.MultiPolygon) (Result, error) {
	if err := validateMulti(patch); err != nil {
		err.Patch = true
		return Result{}, err
	}
	s := l.getScratch()
	defer l.scratch.Put(s)
	return l.overlay(s, patch), nil
}

// OverlayAll computes Overlay for every patch on up to workers goroutines
// (workers ≤ 0 means runtime.GOMAXPROCS(0)). The results are in the order of
// patches and identical to those of Overlay, whatever the number of
// workers. The patches are validated first; an invalid one fails the whole
// call with an *InvalidError naming its index. ctx is checked between
// chunks of patches; on cancellation OverlayAll returns ctx's error, wrapped.
func (l *Layer) OverlayAll(ctx context.Context, patches []orb.Polygon, workers int) ([]Result, error) {
	return overlayAll(ctx, l, patches, workers, func(p orb.Polygon) orb.MultiPolygon { return orb.MultiPolygon{p} })
}

// OverlayAllMulti is OverlayAll for multipolygon patches.
func (l *Layer) OverlayAllMulti(ctx context.Context, patches []orb.MultiPolygon, workers int) ([]Result, error) {
	return overlayAll(ctx, l, patches, workers, func(p orb.MultiPolygon) orb.MultiPolygon { return p })
}

// chunkSize is the number of patches a worker takes at a time; ctx is
// checked between chunks.
const chunkSize = 64

func overlayAll[P any](ctx context.Context, l *Layer, patches []P, workers int, multi func(P) orb.MultiPolygon) ([]Result, error) {
	for i, p := range patches {
		if err := validateMulti(multi(p)); err != nil {
			err.Patch, err.Index = true, i
			return nil, err
		}
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	nChunks := (len(patches) + chunkSize - 1) / chunkSize
	workers = max(1, min(workers, nChunks))
	out := make([]Result, len(patches))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			s := l.getScratch()
			defer l.scratch.Put(s)
			for ctx.Err() == nil {
				c := int(next.Add(1)) - 1
				if c >= nChunks {
					return
				}
				for i := c * chunkSize; i < min((c+1)*chunkSize, len(patches)); i++ {
					out[i] = l.overlay(s, multi(patches[i]))
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("overlay: %d patches: %w", len(patches), err)
	}
	return out, nil
}

func (l *Layer) getScratch() *scratch {
	if s, ok := l.scratch.Get().(*scratch); ok {
		return s
	}
	return &scratch{}
}

// overlay computes the result for a validated patch.
func (l *Layer) overlay(s *scratch, patch orb.MultiPolygon) Result {
	c, _ := planar.CentroidArea(patch)
	z := geodesy.ZoneFor(c[0], c[1])

	// Candidates: features whose (padded) box meets the patch's.
	lb := emptyBox()
	var longest float64
	for _, p := range patch {
		for _, r := range p {
			for i, pt := range r {
				lb.extend(pt[0], pt[1])
				if i > 0 {
					longest = max(longest, sqDist(r[i-1], pt))
				}
			}
		}
	}
	s.cands, s.stack = l.index.search(lb.pad(bulge(longest)), s.cands[:0], s.stack)

	// The patch, projected relative to its first vertex.
	ox, oy := z.Forward(patch[0][0][0][0], patch[0][0][0][1])
	s.proj.reset(0)
	s.edges = s.edges[:0]
	pb := emptyBox()
	inf := math.Inf(1)
	for _, p := range patch {
		for k, r := range p {
			s.pts = s.project(z, r[:len(r)-1], ox, oy)
			for _, pt := range s.pts {
				pb.extend(pt[0], pt[1])
			}
			s.addRing(s.pts, -1, ringMult(s.pts, k > 0), -inf, inf, inf)
		}
	}

	// The candidates' edges that can bound a trapezoid inside the patch:
	// those over the patch's x range and not wholly above it.
	for ci, f := range s.cands {
		owner := int32(ci)
		r0, r1 := l.featStart[f], l.featStart[f+1]
		if int(l.ringStart[r1]-l.ringStart[r0]) > l.opts.largeVertices {
			p := l.prepare(f, z)
			strip := box{pb.minX + ox, math.Inf(-1), pb.maxX + ox, pb.maxY + oy}
			s.found, s.stack = p.tree.search(strip, s.found[:0], s.stack)
			for _, ei := range s.found {
				e := p.edges[ei]
				a, b := p.pts[e.a], p.pts[e.b]
				s.addEdge(orb.Point{a[0] - ox, a[1] - oy}, orb.Point{b[0] - ox, b[1] - oy},
					owner, e.mult, pb.minX, pb.maxX, pb.maxY)
			}
			continue
		}
		for r := r0; r < r1; r++ {
			s.pts = s.project(z, l.pts[l.ringStart[r]:l.ringStart[r+1]], ox, oy)
			s.addRing(s.pts, owner, ringMult(s.pts, l.hole[r]), pb.minX, pb.maxX, pb.maxY)
		}
	}

	s.sweep(pb.minX, pb.maxX, len(s.cands))

	res := Result{Zone: z, AreaM2: s.patchArea, Covered: s.covered}
	for ci, f := range s.cands {
		if a := s.hit[ci]; a > 0 && a > l.opts.minHitArea {
			res.Hits = append(res.Hits, Hit{ID: l.ids[f], AreaM2: a})
		}
	}
	slices.SortFunc(res.Hits, func(a, b Hit) int {
		if c := cmp.Compare(b.AreaM2, a.AreaM2); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return res
}

// project returns ring (lon/lat) projected into z relative to (ox, oy), in
// s.pts's array.
func (s *scratch) project(z geodesy.Zone, ring []orb.Point, ox, oy float64) []orb.Point {
	out := s.pts[:0]
	for _, pt := range ring {
		out = append(out, s.proj.forward(z, pt, ox, oy))
	}
	return out
}
