package raster_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/airbusgeo/godal"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/weipian/weipian/pipeline/crs"
	"github.com/weipian/weipian/raster"
)

// pipeline/crs projects as GDAL/PROJ does: for every CGCS2000 3-degree
// Gauss-Krüger CRS with an EPSG code (zones 25–45 with the zone prefix,
// CM 75E–135E without), points on the central meridian, near both zone
// edges and from 18°N to 53°N agree within 1 cm (in fact ~1e-8 m) with
// GDAL's transformation from EPSG:4490 and from EPSG:4326 (PROJ uses a null
// datum shift between the two), and back.
func TestCRSAgainstGDAL(t *testing.T) {
	const tol = 0.01 // metres
	var worst, worstInv float64
	src4490, err := godal.NewSpatialRefFromEPSG(4490)
	if err != nil {
		t.Fatal(err)
	}
	defer src4490.Close()
	src4326, err := godal.NewSpatialRefFromEPSG(4326)
	if err != nil {
		t.Fatal(err)
	}
	defer src4326.Close()
	for epsg := crs.EPSGGKZoneFirst; epsg <= crs.EPSGGKCMLast; epsg++ {
		c, err := crs.FromEPSG(epsg)
		if err != nil {
			t.Fatal(err)
		}
		dst, err := godal.NewSpatialRefFromEPSG(epsg)
		if err != nil {
			t.Fatalf("EPSG:%d: %v", epsg, err)
		}
		zone := epsg - crs.EPSGGKZoneFirst + 25
		if epsg >= crs.EPSGGKCMFirst {
			zone = epsg - crs.EPSGGKCMFirst + 25
		}
		cm := float64(3 * zone)
		var lons, lats []float64
		for _, dl := range []float64{-1.4999, -0.7, 0, 0.3, 1.4999} {
			for _, lat := range []float64{18, 25.5, 30.6, 40, 47.3, 53} {
				lons, lats = append(lons, cm+dl), append(lats, lat)
			}
		}
		for _, src := range []*godal.SpatialRef{src4490, src4326} {
			tr, err := godal.NewTransform(src, dst)
			if err != nil {
				t.Fatal(err)
			}
			xs, ys := append([]float64(nil), lons...), append([]float64(nil), lats...)
			ok := make([]bool, len(xs))
			if err := tr.TransformEx(xs, ys, nil, ok); err != nil {
				t.Fatal(err)
			}
			tr.Close()
			for i := range xs {
				x, y := c.Forward(lons[i], lats[i])
				d := math.Hypot(x-xs[i], y-ys[i])
				worst = math.Max(worst, d)
				if !ok[i] || d > tol {
					t.Errorf("EPSG:%d (%v, %v): crs %.4f, %.4f; GDAL %.4f, %.4f (%.3g m apart)", epsg, lons[i], lats[i], x, y, xs[i], ys[i], d)
				}
				lon, lat := c.Inverse(xs[i], ys[i])
				// degrees → metres, roughly
				di := math.Hypot((lon-lons[i])*111320*math.Cos(lats[i]*math.Pi/180), (lat-lats[i])*110540)
				worstInv = math.Max(worstInv, di)
				if di > tol {
					t.Errorf("EPSG:%d inverse of GDAL's (%v, %v) is %.3g m off", epsg, xs[i], ys[i], di)
				}
			}
		}
		dst.Close()
	}
	t.Logf("largest difference from GDAL: forward %.2g m, inverse %.2g m", worst, worstInv)
}

// A layer written in CGCS2000 and reprojected by GDAL (ogr2ogr -t_srs
// EPSG:4526) equals the same layer projected by pipeline/crs and written in
// EPSG:4526, within 1 cm at every vertex.
func TestWriteVectorReprojectedByGDAL(t *testing.T) {
	dir := t.TempDir()
	fields, geoms, values := sampleLayer()
	var feats []raster.Feature
	for i, g := range geoms {
		feats = append(feats, raster.Feature{Geometry: g, Values: values[i]})
	}
	src := filepath.Join(dir, "src.gpkg")
	if err := raster.WriteVector(src, raster.VectorWriteOptions{EPSG: 4490}, fields, feats); err != nil {
		t.Fatal(err)
	}
	for _, epsg := range []int{4526, 4547} {
		ds, err := godal.Open(src, godal.VectorOnly())
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "gdal"+string(rune('0'+epsg%10))+".geojson")
		res, err := ds.VectorTranslate(out, []string{"-f", "GeoJSON", "-t_srs", "EPSG:" + itoa(epsg), "-lco", "COORDINATE_PRECISION=6"})
		if err != nil {
			t.Fatal(err)
		}
		res.Close()
		ds.Close()
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		fc, err := geojson.UnmarshalFeatureCollection(b)
		if err != nil {
			t.Fatal(err)
		}
		var raw struct {
			CRS struct {
				Properties struct{ Name string }
			}
		}
		json.Unmarshal(b, &raw)
		if want := "urn:ogc:def:crs:EPSG::" + itoa(epsg); raw.CRS.Properties.Name != want {
			t.Errorf("GDAL's GeoJSON says crs %q, want %q", raw.CRS.Properties.Name, want)
		}
		c, _ := crs.FromEPSG(epsg)
		worst := 0.0
		for i, g := range geoms {
			ours, _ := c.Project(g)
			var a, b []orb.Point
			collect(ours, &a)
			collect(fc.Features[i].Geometry, &b)
			if len(a) != len(b) {
				t.Fatalf("feature %d: %d vertices, GDAL %d", i+1, len(a), len(b))
			}
			for k := range a {
				d := math.Hypot(a[k][0]-b[k][0], a[k][1]-b[k][1])
				worst = math.Max(worst, d)
				if d > 0.01 {
					t.Errorf("EPSG:%d feature %d vertex %d: %v vs GDAL %v", epsg, i+1, k, a[k], b[k])
				}
			}
		}
		t.Logf("EPSG:%d: largest vertex difference from ogr2ogr %.2g m (GDAL output rounded to 1e-6 m)", epsg, worst)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func collect(g orb.Geometry, out *[]orb.Point) {
	switch g := g.(type) {
	case orb.Polygon:
		for _, r := range g {
			*out = append(*out, r...)
			if r[0] != r[len(r)-1] { // the writer closes rings
				*out = append(*out, r[0])
			}
		}
	case orb.MultiPolygon:
		for _, p := range g {
			collect(p, out)
		}
	}
}

// The .prj that pipeline/crs makes for the pure-Go Shapefile export is the
// one GDAL writes, for every CRS it knows.
func TestESRIWKTAsGDAL(t *testing.T) {
	dir := t.TempDir()
	codes := []int{4490, 4326}
	for e := crs.EPSGGKZoneFirst; e <= crs.EPSGGKCMLast; e++ {
		codes = append(codes, e)
	}
	for _, epsg := range codes {
		c, _ := crs.FromEPSG(epsg)
		path := filepath.Join(dir, "p"+itoa(epsg)+".shp")
		x, y := c.Forward(float64(75+3*((epsg-4513)%21)), 30)
		if epsg == 4490 || epsg == 4326 {
			x, y = 114, 30
		}
		if err := raster.WriteVector(path, raster.VectorWriteOptions{EPSG: epsg}, nil, []raster.Feature{{Geometry: orb.Point{x, y}}}); err != nil {
			t.Fatal(err)
		}
		prj, err := os.ReadFile(path[:len(path)-4] + ".prj")
		if err != nil {
			t.Fatal(err)
		}
		if string(prj) != c.ESRIWKT() {
			t.Errorf("EPSG:%d: GDAL writes\n%s\ncrs makes\n%s", epsg, prj, c.ESRIWKT())
		}
	}
}
