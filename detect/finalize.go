package detect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

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
// result of every tile of the scene exactly once, and keeps every patch in
// memory: a scene of any size streams its outputs with FinalizeTo.
func Finalize(ctx context.Context, s *Scene, results []*TileResult) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := &memCollector{}
	f := newFinalizer(ctx, s, c)
	var err error
	for _, t := range results {
		if err = f.add(t); err != nil {
			break
		}
	}
	if err := f.close(err); err != nil {
		return nil, err
	}
	return c.res, nil
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
	big := area >= s.Params.ConfidentM2
	switch {
	case strength >= s.Params.HighStrength && big:
		conf = "high"
	case strength >= s.Params.HighStrength, strength >= s.Params.MediumStrength && big:
		conf = "medium"
	}
	_, cvAfter := st.BrightnessCV()
	return pipeline.Patch{
		BrightRatio: float64(st.BrightB) / math.Max(float64(st.BrightA), 1),
		SatAfter:    float64(st.SatB) / 1000 / float64(st.Pixels),
		CVAfter:     cvAfter,
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
