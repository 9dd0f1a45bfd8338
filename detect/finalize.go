package detect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"runtime"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"golang.org/x/sync/errgroup"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/geodesy"
	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/raster/change"
	"github.com/weipian/weipian/raster/region"
)

// Result is the outcome of Finalize.
type Result struct {
	Scene   *Scene
	Patches []pipeline.Patch
	// Runs holds each patch's pixels on the scene grid (same order as
	// Patches); used by evaluation and image chips, not exported.
	Runs [][]region.Run
	// NonConcern holds the changes of no concern (crop cycles, season,
	// revegetation) with their reason, and NonConcernRuns their pixels:
	// they go to nonconcern.geojson/.gpkg, never to 图斑.
	NonConcern     []pipeline.Patch
	NonConcernRuns [][]region.Run
	Summary        Summary
}

// Finalize merges the tiles' regions across seams (per class), drops
// regions smaller than the minimum mapping unit, traces their outlines,
// transforms them to WGS84 and computes each patch's attributes. It needs the
// result of every tile of the scene exactly once.
func Finalize(ctx context.Context, s *Scene, results []*TileResult) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g := s.Tiles()
	seen := map[string]bool{}
	for _, t := range results {
		if !g.Contains(t.Key) {
			return nil, fmt.Errorf("detect: finalize: tile %v is not in the %d×%d grid", t.Key, g.Cols(), g.Rows())
		}
		if seen[t.Key.String()] {
			return nil, fmt.Errorf("detect: finalize: tile %v given twice", t.Key)
		}
		seen[t.Key.String()] = true
	}
	if len(seen) != g.Count() {
		return nil, fmt.Errorf("detect: finalize: have %d of %d tiles", len(seen), g.Count())
	}
	// Sort by key so nothing depends on the order tiles finished in.
	results = append([]*TileResult(nil), results...)
	sort.Slice(results, func(i, j int) bool {
		a, b := results[i].Key, results[j].Key
		return a.Row < b.Row || (a.Row == b.Row && a.Col < b.Col)
	})
	out := &Result{Scene: s}
	pxArea := s.PixelSize * s.PixelSize
	type cand struct {
		patch pipeline.Patch
		runs  []region.Run
	}
	var cands []cand
	var counts tileCounts
	byClass := map[change.Class][]*change.Part{}
	for _, t := range results {
		counts.add(t)
		for i := range t.Parts {
			p := &t.Parts[i]
			byClass[p.Class] = append(byClass[p.Class], p)
		}
	}
	// Merge per class, then build the patches on all CPUs (each goroutine
	// with its own coordinate transformer); results land by index, so the
	// outcome does not depend on scheduling.
	type group struct {
		class change.Class
		st    change.Part
		runs  []region.Run
	}
	var groups []group
	for _, c := range []change.Class{change.Changed} {
		parts := byClass[c]
		if len(parts) == 0 {
			continue
		}
		runs := make([][]region.Run, len(parts))
		for i, p := range parts {
			runs[i] = p.Runs
		}
		for _, grp := range region.Merge(runs) {
			var st change.Part
			for _, i := range grp.Parts {
				st.Add(parts[i])
			}
			// Cheap pre-filter: the grid pixel area is close to the
			// true area; the exact test follows.
			// Hysteresis: a region without a pixel above the change
			// threshold is only weak evidence.
			if st.Strong == 0 || st.Pixels < int64(s.Params.MinPixels) || float64(st.Pixels)*pxArea < 0.5*s.Params.MMU {
				continue
			}
			groups = append(groups, group{class: c, st: st, runs: grp.Runs})
		}
	}
	built := make([]pipeline.Patch, len(groups))
	workers := min(runtime.NumCPU(), max(1, len(groups)/256))
	eg, ectx := errgroup.WithContext(ctx)
	for wk := 0; wk < workers; wk++ {
		eg.Go(func() error {
			tr, err := raster.NewTransformer(s.Grid.WKT)
			if err != nil {
				return err
			}
			defer tr.Close()
			for i := wk; i < len(groups); i += workers {
				if i%1024 == 0 {
					if err := ectx.Err(); err != nil {
						return err
					}
				}
				g := &groups[i]
				p, err := s.patch(g.class, &g.st, g.runs, tr)
				if err != nil {
					return err
				}
				built[i] = p
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	var other []cand
	for i, p := range built {
		if p.AreaM2 < s.Params.MMU {
			continue
		}
		if p.Concern {
			cands = append(cands, cand{patch: p, runs: groups[i].runs})
		} else {
			other = append(other, cand{patch: p, runs: groups[i].runs})
		}
	}
	order := func(cs []cand) {
		sort.SliceStable(cs, func(i, j int) bool {
			a, b := cs[i].runs[0], cs[j].runs[0]
			if a.Y != b.Y {
				return a.Y < b.Y
			}
			if a.X0 != b.X0 {
				return a.X0 < b.X0
			}
			return cs[i].patch.Class < cs[j].patch.Class
		})
	}
	order(cands)
	order(other)
	for _, c := range cands {
		out.Patches = append(out.Patches, c.patch)
		out.Runs = append(out.Runs, c.runs)
	}
	for _, c := range other {
		out.NonConcern = append(out.NonConcern, c.patch)
		out.NonConcernRuns = append(out.NonConcernRuns, c.runs)
	}
	out.Summary = s.summary(out.Patches, out.NonConcern, counts)
	return out, nil
}

type tileCounts struct{ valid, nodata, cloud, shadow int64 }

func (c *tileCounts) add(t *TileResult) {
	c.valid += t.Valid
	c.nodata += t.NoData
	c.cloud += t.Cloud
	c.shadow += t.Shadow
}

// patch builds the attributes of one merged region and types it by its
// land-cover transition.
func (s *Scene) patch(c change.Class, st *change.Part, runs []region.Run, tr *raster.Transformer) (pipeline.Patch, error) {
	length, width, fill := shape(runs, s.PixelSize)
	typed := change.Classify(st, float64(st.Pixels)*s.PixelSize*s.PixelSize, fill, s.Params)
	c = typed.Class
	poly, err := region.Trace(runs)
	if err != nil {
		return pipeline.Patch{}, fmt.Errorf("detect: trace %s region at row %d: %w", c, runs[0].Y, err)
	}
	// pixel corners -> CRS -> lon/lat
	var xs, ys []float64
	for _, ring := range poly {
		for _, pt := range ring {
			x, y := s.Grid.PixelToGeo(pt[0], pt[1])
			xs = append(xs, x)
			ys = append(ys, y)
		}
	}
	if err := tr.ToLonLat(xs, ys); err != nil {
		return pipeline.Patch{}, err
	}
	ll := make(orb.Polygon, len(poly))
	k := 0
	for i, ring := range poly {
		ll[i] = make(orb.Ring, len(ring))
		for j := range ring {
			ll[i][j] = orb.Point{xs[k], ys[k]}
			k++
		}
	}
	// Area and centroid in the patch's Gauss-Krüger (China) or UTM zone.
	b := ll.Bound()
	zone := geodesy.ZoneFor((b.Min[0]+b.Max[0])/2, (b.Min[1]+b.Max[1])/2)
	proj := geodesy.ProjectPolygon(zone, ll)
	cen, area := planar.CentroidArea(proj)
	clon, clat := zone.Inverse(cen[0], cen[1])
	first := runs[0]
	h := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%d|%d", s.ID, c, first.Y, first.X0)))
	conf := "low"
	strength := float64(st.StrengthSum) / 1000 / float64(st.Pixels)
	switch {
	case strength >= s.Params.HighStrength:
		conf = "high"
	case strength >= s.Params.MediumStrength:
		conf = "medium"
	}
	return pipeline.Patch{
		BrightRatio: float64(st.BrightB) / math.Max(float64(st.BrightA), 1),
		SatAfter:    float64(st.SatB) / 1000 / float64(st.Pixels),
		Concern:     c.Concern(), BeforeState: string(typed.Before), AfterState: string(typed.After), Reason: typed.Reason,
		Fill:    fill,
		LengthM: length, WidthM: width, Elongation: length / math.Max(width, 1e-9),
		ID:    "WP" + hex.EncodeToString(h[:])[:16],
		Class: c.String(), ClassLabel: c.Label(), Confidence: conf,
		Score:   strength,
		MADChi2: float64(st.Chi2Sum) / 100 / float64(st.Pixels),
		AreaM2:  area, AreaMu: geodesy.Mu(area), AreaCRS: fmt.Sprintf("EPSG:%d", zone.EPSG),
		CentroidLon: clon, CentroidLat: clat,
		BeforeDate: s.Inputs[0].Date, AfterDate: s.Inputs[1].Date,
		Pixels: st.Pixels, Geometry: ll,
	}, nil
}

// shape returns the length and mean width in metres of the ellipse with the
// same second moments as the region (a rectangle L×W has variance L²/12 along
// its length): length = √(12·λ1), width = area / length; and its fill, the
// share of the rectangle with the same second moments (12·√(λ1·λ2)) that it
// covers: 1 for a rectangle, less for rings, edges and ragged shapes.
func shape(runs []region.Run, px float64) (length, width, fill float64) {
	var n, sx, sy, sxx, syy, sxy float64
	for _, r := range runs {
		k := float64(r.X1 - r.X0)
		y := float64(r.Y) + 0.5
		// pixel centres x0+0.5 … x1-0.5
		a, b := float64(r.X0)+0.5, float64(r.X1)-0.5
		s1 := k * (a + b) / 2
		s2 := sumSquares(a, b)
		n += k
		sx += s1
		sy += k * y
		sxx += s2
		syy += k * y * y
		sxy += s1 * y
	}
	mx, my := sx/n, sy/n
	cxx := sxx/n - mx*mx + 1.0/12 // a pixel is a square, not a point
	cyy := syy/n - my*my + 1.0/12
	cxy := sxy/n - mx*my
	tr, det := cxx+cyy, cxx*cyy-cxy*cxy
	l1 := tr/2 + math.Sqrt(math.Max(tr*tr/4-det, 0))
	l2 := math.Max(tr-l1, 1.0/12)
	length = math.Sqrt(12*l1) * px
	width = n * px * px / length
	fill = math.Min(1, n/(12*math.Sqrt(l1*l2)))
	return length, width, fill
}

// sumSquares returns Σ v² over v = a, a+1, …, b.
func sumSquares(a, b float64) float64 {
	k := b - a + 1
	// Σ (a+i)² for i = 0…k-1 = k·a² + 2a·k(k-1)/2 + (k-1)k(2k-1)/6
	return k*a*a + a*k*(k-1) + (k-1)*k*(2*k-1)/6
}
