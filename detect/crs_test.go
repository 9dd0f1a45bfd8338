package detect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/detect"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/crs"
	"github.com/weipian/weipian/raster"
)

// chinaPair presents the Jülich pair at its 30 m pixel size on a UTM 50N
// grid near 117°E, 30.7°N (Gauss-Krüger zone 39, EPSG:4527).
func chinaPair(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	b, a := filepath.Join(dir, "before.vrt"), filepath.Join(dir, "after.vrt")
	abs := func(p string) string {
		q, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	if err := raster.AssignGrid(abs(before), b, 30); err != nil {
		t.Fatal(err)
	}
	if err := raster.AssignGrid(abs(after), a, 30); err != nil {
		t.Fatal(err)
	}
	return b, a
}

type fc struct {
	CRS *struct {
		Properties struct {
			Name string `json:"name"`
		} `json:"properties"`
	} `json:"crs"`
	Features []struct {
		ID         string `json:"id"`
		Properties struct {
			AreaM2 float64 `json:"JCMJ"`
		} `json:"properties"`
		Geometry struct {
			Coordinates [][][2]float64 `json:"coordinates"`
		} `json:"geometry"`
	} `json:"features"`
}

func readFC(t *testing.T, path string) fc {
	t.Helper()
	var c fc
	if err := json.Unmarshal(read(t, path), &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

// issue 13, item 3: the vector outputs of detect are in the CRS asked for:
// CGCS2000 by default (named in the GeoJSON), the Gauss-Krüger zone of the
// scene (eastings with the zone prefix, in metres), or plain RFC 7946
// WGS84; what GDAL reads back from every file is the same ground, and the
// areas do not depend on the CRS.
func TestOutputCRS(t *testing.T) {
	b, a := chinaPair(t)
	res := map[string]*detect.Result{}
	dirs := map[string]string{}
	for _, name := range []string{"4490", "gk", "4326"} {
		c, err := crs.Parse(name)
		if err != nil {
			t.Fatal(err)
		}
		res[name], dirs[name] = run(t, b, a, detect.Options{CRS: c})
	}
	if n := len(res["4490"].Patches); n == 0 {
		t.Fatal("no patches on the relocated Jülich pair")
	}
	for name, want := range map[string]int{"4490": 4490, "gk": 4527, "4326": 4326} {
		if got := res[name].Scene.OutputEPSG; got != want || res[name].Summary.OutputCRS != fmt.Sprintf("EPSG:%d", want) {
			t.Errorf("--crs %s: scene output EPSG %d (summary %s), want %d", name, got, res[name].Summary.OutputCRS, want)
		}
	}
	cg, gk, wgs := readFC(t, filepath.Join(dirs["4490"], "patches.geojson")), readFC(t, filepath.Join(dirs["gk"], "patches.geojson")),
		readFC(t, filepath.Join(dirs["4326"], "patches.geojson"))
	if cg.CRS == nil || cg.CRS.Properties.Name != "urn:ogc:def:crs:EPSG::4490" {
		t.Errorf("4490 GeoJSON crs member %+v, want urn:ogc:def:crs:EPSG::4490", cg.CRS)
	}
	if gk.CRS == nil || gk.CRS.Properties.Name != "urn:ogc:def:crs:EPSG::4527" {
		t.Errorf("gk GeoJSON crs member %+v, want urn:ogc:def:crs:EPSG::4527", gk.CRS)
	}
	if wgs.CRS != nil {
		t.Errorf("4326 GeoJSON has a crs member %+v; RFC 7946 GeoJSON has none", wgs.CRS)
	}
	if len(cg.Features) != len(gk.Features) || len(cg.Features) != len(wgs.Features) {
		t.Fatalf("feature counts %d/%d/%d differ by CRS", len(cg.Features), len(gk.Features), len(wgs.Features))
	}
	for i := range cg.Features {
		f, g, w := cg.Features[i], gk.Features[i], wgs.Features[i]
		if f.ID != g.ID || f.ID != w.ID || f.Properties.AreaM2 != g.Properties.AreaM2 || f.Properties.AreaM2 != w.Properties.AreaM2 {
			t.Fatalf("feature %d: ids %s/%s/%s, areas %v/%v/%v: the CRS changed the patch", i, f.ID, g.ID, w.ID,
				f.Properties.AreaM2, g.Properties.AreaM2, w.Properties.AreaM2)
		}
		p0, q0 := f.Geometry.Coordinates[0][0], g.Geometry.Coordinates[0][0]
		if p0 != w.Geometry.Coordinates[0][0] {
			t.Fatalf("feature %s: 4490 and 4326 coordinates differ (%v, %v)", f.ID, p0, w.Geometry.Coordinates[0][0])
		}
		if p0[0] < 116 || p0[0] > 118.5 || p0[1] < 30 || p0[1] > 31.5 {
			t.Fatalf("feature %s: 4490 point %v is not near 117°E 30.7°N", f.ID, p0)
		}
		// zone 39: eastings 39 500 000 ± 170 km, northings ~3 400 km.
		if q0[0] < 39_300_000 || q0[0] > 39_700_000 || q0[1] < 3_300_000 || q0[1] > 3_500_000 {
			t.Fatalf("feature %s: GK point %v is not a zone-39 easting/northing in metres", f.ID, q0)
		}
	}
	// GDAL reads every file back to the same ground (its PROJ against our
	// Gauss-Krüger series): within 1e-6° (≈ 0.1 m).
	bounds := map[string]orb.Bound{}
	for _, p := range res["4490"].Patches {
		bounds[p.ID] = pipeline.RoundPolygon(p.Geometry).Bound()
	}
	for name, dir := range dirs {
		for _, file := range []string{"patches.geojson", "patches.gpkg"} {
			feats, _, err := raster.ReadVector(context.Background(), filepath.Join(dir, file), raster.VectorOptions{})
			if err != nil {
				t.Fatalf("%s %s: %v", name, file, err)
			}
			if len(feats) != len(bounds) {
				t.Fatalf("%s %s: %d features read back, want %d", name, file, len(feats), len(bounds))
			}
			for _, f := range feats {
				want, ok := bounds[f.Attrs["TBID"]]
				if !ok {
					t.Fatalf("%s %s: feature %q is not a patch", name, file, f.Attrs["TBID"])
				}
				got := f.Geometry.Bound()
				d := math.Max(math.Max(math.Abs(got.Min[0]-want.Min[0]), math.Abs(got.Min[1]-want.Min[1])),
					math.Max(math.Abs(got.Max[0]-want.Max[0]), math.Abs(got.Max[1]-want.Max[1])))
				if d > 1e-6 {
					t.Fatalf("%s %s: patch %s read back %v, want %v (off by %.2g°)", name, file, f.Attrs["TBID"], got, want, d)
				}
			}
		}
	}
	// The GeoJSON of 4490 is that of 4326 with a crs member.
	g4490, g4326 := read(t, filepath.Join(dirs["4490"], "patches.geojson")), read(t, filepath.Join(dirs["4326"], "patches.geojson"))
	member := []byte(`"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}},`)
	if !bytes.Equal(bytes.Replace(g4490, member, nil, 1), g4326) {
		t.Error("the 4490 GeoJSON is not the 4326 one with a crs member")
	}
}

// gk outside the Gauss-Krüger zones of China is refused with a message
// that says what to choose instead, before anything is written.
func TestOutputCRSOutsideChinaIsRefused(t *testing.T) {
	_, err := detect.Ingest(context.Background(), before, after, detect.Options{CRS: crs.GK, WorkDir: t.TempDir()})
	if !errors.Is(err, pipeline.ErrInvalid) && !errors.Is(err, crs.ErrNoZone) {
		t.Fatalf("gk on the Jülich pair (6.4°E): %v, want ErrNoZone", err)
	}
	if err == nil || !strings.Contains(err.Error(), "choose 4490 or a zone") {
		t.Errorf("the refusal must say what to choose: %v", err)
	}
}
