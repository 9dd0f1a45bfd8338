package raster_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/airbusgeo/godal"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/weipian/weipian/pipeline/geodesy"
	"github.com/weipian/weipian/pipeline/overlay"
)

// geosSharedData is the shared test data folder beside the repository.
const geosSharedData = "../../shared/data"

// TestOverlayAgainstGEOS cross-checks pipeline/overlay against GEOS (OGR's
// Intersection, Union and Area through godal) on real polygons: the 88
// land-use polygons of LULC.gpkg (Slovenia, EPSG:32633; up to 1906 vertices,
// so the prepared large-feature path runs too) and the 30 training polygons
// of train.shp (Jülich, EPSG:32632). Both are read and reprojected to
// WGS84 lon/lat by GDAL, which is all overlay sees. Patches are random
// rectangles, 2 m pixel staircases, GEOS buffers of random points, every
// feature itself and every feature shifted by 7 m. For GEOS every geometry is
// reprojected by GDAL/PROJ from lon/lat into the patch's zone (the EPSG code
// of geodesy.ZoneFor), so the two sides share only the lon/lat input.
func TestOverlayAgainstGEOS(t *testing.T) {
	if _, err := os.Stat(geosSharedData); err != nil {
		t.Skipf("skipping the GEOS cross-check: shared test data not found at %s (%v)", geosSharedData, err)
	}
	godal.RegisterAll()
	for _, tc := range []struct{ name, path string }{
		{"LULC", geosSharedData + "/vectors/LULC.gpkg"},
		{"juelich-train", geosSharedData + "/juelich_landsat7_2001/train.shp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			crossCheckGEOS(t, tc.path)
		})
	}
}

func crossCheckGEOS(t *testing.T, path string) {
	wgs84, err := godal.NewSpatialRefFromEPSG(4326)
	if err != nil {
		t.Fatal(err)
	}
	defer wgs84.Close()

	feats := geosReadLonLat(t, path, wgs84)
	layer, err := overlay.NewLayer(feats, overlay.WithMinHitArea(0))
	if err != nil {
		t.Fatal(err)
	}

	// All patches here fall in the zone of the layer's centre.
	var bound orb.Bound
	for i, f := range feats {
		if i == 0 {
			bound = f.Geometry.Bound()
		}
		bound = bound.Union(f.Geometry.Bound())
	}
	c := bound.Center()
	zone := geodesy.ZoneFor(c[0], c[1])
	zsr, err := godal.NewSpatialRefFromEPSG(zone.EPSG)
	if err != nil {
		t.Fatal(err)
	}
	defer zsr.Close()

	// The features and their union in GEOS, in the zone.
	geos := make([]*godal.Geometry, len(feats))
	for i, f := range feats {
		geos[i] = toGEOS(t, f.Geometry, wgs84, zsr)
		defer geos[i].Close()
	}
	union := toGEOS(t, feats[0].Geometry, wgs84, zsr)
	for _, g := range geos[1:] {
		u, err := union.Union(g)
		if err != nil {
			t.Fatal(err)
		}
		union.Close()
		union = u
	}
	defer union.Close()

	patches := geosPatches(t, feats, bound, zone, zsr)
	var checked, hits int
	var maxAbs, maxRel float64
	for pi, p := range patches {
		res, err := layer.OverlayMulti(p.geom)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		if res.Zone != zone {
			t.Fatalf("%s: zone %v, want %v", p.name, res.Zone, zone)
		}
		pg := toGEOS(t, p.geom, wgs84, zsr)
		check := func(what string, got, want float64) {
			t.Helper()
			checked++
			d := math.Abs(got - want)
			maxAbs = max(maxAbs, d)
			if want > 1 {
				maxRel = max(maxRel, d/want)
			}
			if d > max(1e-6*math.Max(got, want), 0.01) {
				t.Errorf("%s (#%d): %s: overlay %.6f m², GEOS %.6f m² (diff %.3g)", p.name, pi, what, got, want, d)
			}
		}
		check("patch area", res.AreaM2, pg.Area())
		check("covered", res.Covered, geosIntersectionArea(t, pg, union))
		got := make(map[string]float64)
		for _, h := range res.Hits {
			got[h.ID] = h.AreaM2
		}
		for i, g := range geos {
			want := geosIntersectionArea(t, pg, g)
			if want > 0 {
				hits++
			}
			check("feature "+feats[i].ID, got[feats[i].ID], want)
		}
		pg.Close()
	}
	t.Logf("%d features, %d patches in %v, %d GEOS areas compared (%d non-zero overlaps): largest difference %.3g m², %.3g relative",
		len(feats), len(patches), zone, checked, hits, maxAbs, maxRel)
}

// geosReadLonLat reads every polygon of the first layer of path, reprojected to
// WGS84 lon/lat by GDAL; IDs are the feature numbers.
func geosReadLonLat(t *testing.T, path string, wgs84 *godal.SpatialRef) []overlay.Feature {
	t.Helper()
	ds, err := godal.Open(path, godal.VectorOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	layers := ds.Layers()
	if len(layers) == 0 {
		t.Fatalf("%s: no layer", path)
	}
	var feats []overlay.Feature
	for f := layers[0].NextFeature(); f != nil; f = layers[0].NextFeature() {
		g := f.Geometry()
		if err := g.Reproject(wgs84); err != nil {
			t.Fatal(err)
		}
		mp := fromGEOS(t, g)
		f.Close()
		feats = append(feats, overlay.Feature{ID: fmt.Sprintf("F%03d", len(feats)), Geometry: mp})
	}
	if len(feats) == 0 {
		t.Fatalf("%s: no features", path)
	}
	return feats
}

// fromGEOS converts a polygon or multipolygon to orb.
func fromGEOS(t *testing.T, g *godal.Geometry) orb.MultiPolygon {
	t.Helper()
	b, err := g.WKB()
	if err != nil {
		t.Fatal(err)
	}
	geom, err := wkb.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	switch v := geom.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{v}
	case orb.MultiPolygon:
		return v
	}
	t.Fatalf("unexpected geometry %T", geom)
	return nil
}

// toGEOS returns mp (lon/lat) as an OGR geometry reprojected to zsr. The
// caller closes it.
func toGEOS(t *testing.T, mp orb.MultiPolygon, wgs84, zsr *godal.SpatialRef) *godal.Geometry {
	t.Helper()
	b, err := wkb.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	g, err := godal.NewGeometryFromWKB(b, wgs84)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Reproject(zsr); err != nil {
		t.Fatal(err)
	}
	return g
}

func geosIntersectionArea(t *testing.T, a, b *godal.Geometry) float64 {
	t.Helper()
	if ok, err := a.Intersects(b); err != nil {
		t.Fatal(err)
	} else if !ok {
		return 0
	}
	g, err := a.Intersection(b)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	switch g.Type() {
	case godal.GTPoint, godal.GTMultiPoint, godal.GTLineString, godal.GTMultiLineString:
		return 0 // the geometries only touch
	}
	return g.Area()
}

type geosPatch struct {
	name string
	geom orb.MultiPolygon
}

// geosPatches builds the patches over bound (lon/lat), drawing them in the
// zone's metres and inverse-projecting them with geodesy.
func geosPatches(t *testing.T, feats []overlay.Feature, bound orb.Bound, z geodesy.Zone, zsr *godal.SpatialRef) []geosPatch {
	t.Helper()
	rng := rand.New(rand.NewPCG(2001, 525))
	x0, y0 := z.Forward(bound.Min[0], bound.Min[1])
	x1, y1 := z.Forward(bound.Max[0], bound.Max[1])
	ll := func(pts [][2]float64) orb.MultiPolygon {
		r := make(orb.Ring, 0, len(pts)+1)
		for _, p := range pts {
			lon, lat := z.Inverse(p[0], p[1])
			r = append(r, orb.Point{lon, lat})
		}
		return orb.MultiPolygon{{append(r, r[0])}}
	}
	var out []geosPatch
	for i := range 40 {
		cx, cy := x0+(x1-x0)*rng.Float64(), y0+(y1-y0)*rng.Float64()
		w, h := 10+290*rng.Float64(), 10+290*rng.Float64()
		out = append(out, geosPatch{fmt.Sprintf("rectangle %d", i),
			ll([][2]float64{{cx, cy}, {cx + w, cy}, {cx + w, cy + h}, {cx, cy + h}})})
	}
	for i := range 20 {
		// A staircase of 2 m pixels on a 2 m grid: rows of pixels going up
		// and to the right, closed by a straight bottom.
		cx, cy := 2*math.Round((x0+(x1-x0)*rng.Float64())/2), 2*math.Round((y0+(y1-y0)*rng.Float64())/2)
		steps := 3 + rng.IntN(12)
		var pts [][2]float64
		for s := range steps {
			pts = append(pts, [2]float64{cx + float64(4*s), cy + float64(2*s)}, [2]float64{cx + float64(4*s+4), cy + float64(2*s)})
		}
		pts = append(pts, [2]float64{cx + float64(4*steps), cy - 20}, [2]float64{cx, cy - 20})
		out = append(out, geosPatch{fmt.Sprintf("staircase %d", i), ll(pts)})
	}
	for i := range 20 {
		cx, cy := x0+(x1-x0)*rng.Float64(), y0+(y1-y0)*rng.Float64()
		pt, err := godal.NewGeometryFromWKT(fmt.Sprintf("POINT (%.3f %.3f)", cx, cy), zsr)
		if err != nil {
			t.Fatal(err)
		}
		buf, err := pt.Buffer(5+100*rng.Float64(), 8)
		pt.Close()
		if err != nil {
			t.Fatal(err)
		}
		mp := fromGEOS(t, buf)
		buf.Close()
		var pts [][2]float64
		for _, q := range mp[0][0][:len(mp[0][0])-1] {
			pts = append(pts, [2]float64(q))
		}
		out = append(out, geosPatch{fmt.Sprintf("buffered point %d", i), ll(pts)})
	}
	for _, f := range feats {
		out = append(out, geosPatch{"feature " + f.ID + " itself", f.Geometry})
		// The same, shifted 7 m east and 3 m north in the zone.
		shifted := make(orb.MultiPolygon, len(f.Geometry))
		for i, p := range f.Geometry {
			shifted[i] = make(orb.Polygon, len(p))
			for k, r := range p {
				shifted[i][k] = make(orb.Ring, len(r))
				for j, q := range r {
					x, y := z.Forward(q[0], q[1])
					lon, lat := z.Inverse(x+7, y+3)
					shifted[i][k][j] = orb.Point{lon, lat}
				}
			}
		}
		out = append(out, geosPatch{"feature " + f.ID + " shifted", shifted})
	}
	return out
}
