package detect_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/weipian/weipian/detect"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/raster/change"
	"github.com/weipian/weipian/raster/region"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	before = "../testdata/juelich/LS20010525.tif"
	after  = "../testdata/juelich/LS20010626.tif"
)

// run detects the Jülich pair with the given tile size and writes the
// outputs into a temporary directory.
func run(t *testing.T, b, a string, opt detect.Options) (*detect.Result, string) {
	t.Helper()
	if opt.WorkDir == "" {
		opt.WorkDir = t.TempDir()
	}
	res, _, err := (&detect.Local{Concurrency: 2}).Run(context.Background(), b, a, opt)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := detect.WriteOutputs(dir, res); err != nil {
		t.Fatal(err)
	}
	return res, dir
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTilingInvarianceAndDeterminism(t *testing.T) {
	one, dirOne := run(t, before, after, detect.Options{TileSize: 1000})
	if got := one.Summary.Tiles.Count; got != 1 {
		t.Fatalf("tile size 1000: %d tiles, want 1", got)
	}
	if len(one.Patches) < 10 || len(one.NonConcern) < 100 {
		t.Fatalf("only %d patches and %d changes of no concern on the Jülich pair: too few to test seams", len(one.Patches), len(one.NonConcern))
	}
	for _, size := range []int{256, 173} {
		many, dirMany := run(t, before, after, detect.Options{TileSize: size})
		if many.Summary.Tiles.Count < 9 {
			t.Fatalf("tile size %d gave only %d tiles", size, many.Summary.Tiles.Count)
		}
		for _, f := range []string{"patches.geojson", "patches.gpkg", "nonconcern.geojson", "nonconcern.gpkg"} {
			if !bytes.Equal(read(t, filepath.Join(dirOne, f)), read(t, filepath.Join(dirMany, f))) {
				t.Errorf("%s differs between 1 tile and %d tiles of %d px: seams leave a trace", f, many.Summary.Tiles.Count, size)
			}
		}
		// The summary differs only in its tiles block.
		a, b := one.Summary, many.Summary
		a.Tiles, b.Tiles = detect.TilesInfo{}, detect.TilesInfo{}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			t.Errorf("summary differs between 1 tile and tiles of %d px", size)
		}
	}
	// Determinism: a second run with the same inputs, byte for byte.
	_, dirAgain := run(t, before, after, detect.Options{TileSize: 1000})
	for _, f := range []string{"patches.geojson", "patches.gpkg", "nonconcern.geojson", "nonconcern.gpkg", "summary.json"} {
		if !bytes.Equal(read(t, filepath.Join(dirOne, f)), read(t, filepath.Join(dirAgain, f))) {
			t.Errorf("%s differs between two identical runs", f)
		}
	}
}

// Weak regions (a large region without a pixel above ChangeT) are decided on
// the region merged across tiles, so they leave no trace of the seams
// either. The defaults leave them off; this turns them on.
func TestWeakRegionsTilingInvariance(t *testing.T) {
	weak := func(p *change.Params) { p.WeakStrength, p.WeakM2 = 0.55, 5000 }
	off, _ := run(t, before, after, detect.Options{TileSize: 1000})
	one, dirOne := run(t, before, after, detect.Options{TileSize: 1000, Tune: weak})
	if len(one.Patches)+len(one.NonConcern) <= len(off.Patches)+len(off.NonConcern) {
		t.Fatalf("weak regions added nothing on the Jülich pair (%d+%d changes, %d+%d without): the test does not exercise them",
			len(one.Patches), len(one.NonConcern), len(off.Patches), len(off.NonConcern))
	}
	many, dirMany := run(t, before, after, detect.Options{TileSize: 173, Tune: weak})
	for _, f := range []string{"patches.geojson", "nonconcern.geojson"} {
		if !bytes.Equal(read(t, filepath.Join(dirOne, f)), read(t, filepath.Join(dirMany, f))) {
			t.Errorf("%s with weak regions differs between 1 tile and %d tiles", f, many.Summary.Tiles.Count)
		}
	}
}

// The May image holds a small cumulus with its shadow to the north-west
// (pixels around 378,718 and 355,700): neither may become a patch.
func TestCloudAndShadowAreLeftOut(t *testing.T) {
	res, _ := run(t, before, after, detect.Options{})
	if res.Summary.Masked.CloudM2 < 500_000 || res.Summary.Masked.ShadowM2 < 100_000 {
		t.Errorf("masked cloud %.0f m², shadow %.0f m²: the cloud and its shadow must be found", res.Summary.Masked.CloudM2, res.Summary.Masked.ShadowM2)
	}
	traps := map[string][2]int{"cloud": {378, 718}, "cloud edge": {366, 712}, "shadow": {355, 700}, "shadow core": {360, 705}}
	for _, layer := range []struct {
		runs    [][]region.Run
		patches []pipeline.Patch
	}{{res.Runs, res.Patches}, {res.NonConcernRuns, res.NonConcern}} {
		for i, runs := range layer.runs {
			for _, r := range runs {
				for name, p := range traps {
					if int(r.Y) == p[1] && int(r.X0) <= p[0] && p[0] < int(r.X1) {
						t.Errorf("change %s (%s) covers the %s at pixel %v", layer.patches[i].ID, layer.patches[i].Class, name, p)
					}
				}
			}
		}
	}
}

// golden holds the figures of the Jülich run that a change of algorithm
// must update knowingly (go test ./detect -update).
type golden struct {
	Version     string         `json:"version"`
	Patches     int            `json:"patches"`
	AreaMu      float64        `json:"area_mu"`
	ByClass     map[string]int `json:"by_class"`
	GeoJSONHash string         `json:"patches_geojson_sha256"`
	First       any            `json:"first_patch"`
}

func TestJuelichGolden(t *testing.T) {
	res, dir := run(t, before, after, detect.Options{})
	h := sha256.Sum256(read(t, filepath.Join(dir, "patches.geojson")))
	g := golden{Version: res.Scene.Version, Patches: len(res.Patches), AreaMu: res.Summary.Patches.AreaMu,
		ByClass: map[string]int{}, GeoJSONHash: hex.EncodeToString(h[:])}
	for k, v := range res.Summary.Patches.ByClass {
		g.ByClass[k] = v.Count
	}
	p := res.Patches[0]
	g.First = map[string]any{"id": p.ID, "class": p.Class, "area_m2": p.AreaM2, "lon": p.CentroidLon, "lat": p.CentroidLat,
		"qsx": p.BeforeDate, "hsx": p.AfterDate}
	got, _ := json.MarshalIndent(g, "", "  ")
	path := filepath.Join("testdata", "juelich_golden.json")
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := read(t, path)
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		t.Errorf("Jülich result changed; if on purpose, run go test ./detect -update\ngot:\n%s\nwant:\n%s", got, want)
	}
	if p.BeforeDate != "2001-05-25" || p.AfterDate != "2001-06-26" {
		t.Errorf("dates %q %q, want 2001-05-25 and 2001-06-26 from the file names", p.BeforeDate, p.AfterDate)
	}
}

// A pair on different grids is warped onto the before grid, and the result
// stays close to the aligned pair's.
func TestDifferentGridsAreWarped(t *testing.T) {
	dir := t.TempDir()
	warped := filepath.Join(dir, "after_wgs84.tif")
	// Reproject the after image to WGS84 at a different resolution.
	if err := raster.Reproject(after, warped, "EPSG:4326", 0.0004); err != nil {
		t.Fatal(err)
	}
	res, _ := run(t, before, warped, detect.Options{})
	if !res.Scene.Warped {
		t.Fatal("the after image is in EPSG:4326: it must be warped")
	}
	if !strings.Contains(strings.Join(res.Summary.Alignment, " "), "warped") {
		t.Errorf("summary alignment notes do not say the image was warped: %q", res.Summary.Alignment)
	}
	ref, _ := run(t, before, after, detect.Options{})
	ratio := res.Summary.Patches.AreaMu / ref.Summary.Patches.AreaMu
	if ratio < 0.6 || ratio > 1.4 {
		t.Errorf("warped pair: %.0f 亩 of change, aligned pair %.0f 亩", res.Summary.Patches.AreaMu, ref.Summary.Patches.AreaMu)
	}
}

func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty.tif", nil)
	garbage := write("garbage.tif", bytes.Repeat([]byte("not a raster "), 100))
	noGeo := filepath.Join(dir, "nogeo.tif")
	shifted := filepath.Join(dir, "shifted.tif")
	oneBand := filepath.Join(dir, "oneband.tif")
	allNoData := filepath.Join(dir, "nodata.tif")
	mustRaster(t, raster.WriteTestRaster(noGeo, raster.TestRaster{W: 50, H: 50, Bands: 3}))
	mustRaster(t, raster.WriteTestRaster(shifted, raster.TestRaster{W: 50, H: 50, Bands: 3, EPSG: 32631, Origin: [2]float64{100000, 100000}, Pixel: 28.5}))
	mustRaster(t, raster.WriteTestRaster(oneBand, raster.TestRaster{W: 1000, H: 1000, Bands: 1, EPSG: 32631, Origin: [2]float64{723116.25, 5657264.25}, Pixel: 28.5, Names: []string{"PAN"}}))
	mustRaster(t, raster.WriteTestRaster(allNoData, raster.TestRaster{W: 50, H: 50, Bands: 3, EPSG: 32631, Origin: [2]float64{723116.25, 5657264.25}, Pixel: 28.5, NoData: ptr(0)}))
	for _, tc := range []struct {
		name          string
		before, after string
		sentinel      error
		mention       string
	}{
		{"missing file", filepath.Join(dir, "nope.tif"), after, raster.ErrUnreadable, "nope.tif"},
		{"empty file", empty, after, raster.ErrUnreadable, "empty.tif"},
		{"not a raster", before, garbage, raster.ErrUnreadable, "garbage.tif"},
		{"no georeferencing", noGeo, after, raster.ErrNoGeoref, "nogeo.tif"},
		{"no overlap", before, shifted, raster.ErrNoOverlap, "shifted.tif"},
		{"band counts cannot be matched", before, oneBand, raster.ErrBandMismatch, "oneband.tif"},
		{"all nodata", allNoData, after, raster.ErrAllNoData, "nodata.tif"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := detect.Ingest(context.Background(), tc.before, tc.after, detect.Options{WorkDir: t.TempDir()})
			if err == nil {
				t.Fatal("want an error")
			}
			if !errors.Is(err, tc.sentinel) {
				t.Errorf("error %q: want %v", err, tc.sentinel)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not name %s", err, tc.mention)
			}
		})
	}
}

func mustRaster(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ptr(v float64) *float64 { return &v }

// One month over farmland: crops grow and ripen, nothing of concern is
// built. The patches of concern must cover at most 1 % of the scene, and
// the crop cycle must be set aside as changes of no concern with a reason.
func TestJuelichMonthIsQuiet(t *testing.T) {
	res, _ := run(t, before, after, detect.Options{})
	share := res.Summary.Patches.AreaM2 / res.Summary.Masked.ValidM2
	t.Logf("patches of concern: %d covering %.2f%% of the scene; no concern: %d covering %.2f%%", len(res.Patches), 100*share,
		len(res.NonConcern), 100*res.Summary.NonConcern.AreaM2/res.Summary.Masked.ValidM2)
	if share > 0.01 {
		t.Errorf("patches of concern cover %.2f%% of the scene, want <= 1%%", 100*share)
	}
	farming := 0
	for _, p := range res.NonConcern {
		if p.Reason == "" || p.Concern {
			t.Fatalf("non-concern change %s without a reason or marked of concern", p.ID)
		}
		if p.Class == "farming" {
			farming++
		}
	}
	if farming == 0 {
		t.Error("no crop-cycle change was recognised as farming")
	}
	for _, p := range res.Patches {
		if !p.Concern || p.Class == "farming" || p.Class == "vegetation_gain" {
			t.Fatalf("patch %s of class %s in the layer of concern", p.ID, p.Class)
		}
	}
}

// Every parameter's origin is stated in summary.json.
func TestEveryParameterHasAnOrigin(t *testing.T) {
	ty := reflect.TypeOf(change.Params{})
	for i := 0; i < ty.NumField(); i++ {
		if detect.ParameterOrigins[ty.Field(i).Name] == "" {
			t.Errorf("parameter %s has no origin in detect.ParameterOrigins", ty.Field(i).Name)
		}
	}
}

// The NIR paths on a real Sentinel-2 pair (OSCD Bordeaux, May 2016 →
// October 2017, B,G,R,NIR UInt16): the Garonne is water in both dates by
// NDWI and turns from dark to sediment-beige, which is a change of colour
// within water, set aside with its reason, never a 图斑; NDVI finds the
// vegetation that was cleared (vegetated before). Skips when the shared
// research-use data is absent (CI has it).
func TestSentinel2WaterAndVegetation(t *testing.T) {
	dir := "../../shared/data/oscd_s2_samples"
	b, a := filepath.Join(dir, "A/bordeaux.tif"), filepath.Join(dir, "B/bordeaux.tif")
	if _, err := os.Stat(b); err != nil {
		t.Skipf("shared benchmark not found (research-use data outside the repository): %v", err)
	}
	res, _ := run(t, b, a, detect.Options{})
	if got := strings.Join(res.Summary.Bands, ","); !strings.Contains(got, "NIR") {
		t.Fatalf("bands %s: the NIR band of the Sentinel-2 pair was not used", got)
	}
	var waterM2 float64
	veg := 0
	for _, p := range res.NonConcern {
		if p.Class == "water_internal" {
			if p.BeforeState != "water" || p.AfterState != "water" || !strings.Contains(p.Reason, "水体") {
				t.Errorf("water-internal change %s: states %s→%s, reason %q", p.ID, p.BeforeState, p.AfterState, p.Reason)
			}
			waterM2 += p.AreaM2
		}
	}
	for _, p := range res.Patches {
		if p.BeforeState == "vegetated" {
			veg++
		}
		if p.BeforeState == "water" && p.AfterState == "water" {
			t.Errorf("patch of concern %s (%s, %.0f m²) is water in both dates", p.ID, p.Class, p.AreaM2)
		}
		if p.Class == "water_gain" && p.BeforeState == "built" {
			t.Errorf("patch %s: a built surface turning dark is typed as a new water surface", p.ID)
		}
	}
	t.Logf("%d patches of concern, %d set aside; water-internal change %.1f ha; %d of concern vegetated before", len(res.Patches), len(res.NonConcern), waterM2/1e4, veg)
	// The turbid river along the banks: about 10 ha.
	if waterM2 < 5e4 {
		t.Errorf("the Garonne turning turbid gave %.1f ha of water-internal change, want >= 5 ha", waterM2/1e4)
	}
	if veg == 0 {
		t.Error("NDVI found no patch of concern that was vegetated before (parks and gardens built over)")
	}
}
