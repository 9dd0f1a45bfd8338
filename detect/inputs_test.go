package detect_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weipian/weipian/detect"
	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/raster/change"
	"github.com/weipian/weipian/tiles"
)

// Inputs that used to invent change (issue 8, section 6): each must be
// masked, refused, or give about what the plain pair gives.

func derived(t *testing.T, src, name string, d raster.Derived) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := raster.WriteDerived(src, p, d); err != nil {
		t.Fatal(err)
	}
	return p
}

// cloud fills the pixels for which in(x, y) holds with 245–255 (white).
func cloud(in func(x, y int) bool) func(int, []float32, int, int) {
	return func(_ int, v []float32, w, _ int) {
		for i := range v {
			if in(i%w, i/w) {
				v[i] = float32(245 + (i*7)%11)
			}
		}
	}
}

func concernShare(res *detect.Result) float64 {
	return res.Summary.Patches.AreaM2 / res.Summary.Masked.ValidM2
}

func TestAllCloudAfterIsRefused(t *testing.T) {
	a := derived(t, after, "LS20010626_cloud.tif", raster.Derived{Values: cloud(func(int, int) bool { return true })})
	_, err := detect.Ingest(context.Background(), before, a, detect.Options{WorkDir: t.TempDir()})
	if !errors.Is(err, change.ErrCloudy) {
		t.Fatalf("all-cloud after image: %v, want the pair refused as cloudy", err)
	}
	if !strings.Contains(err.Error(), "% of the after image is cloud") || !strings.Contains(err.Error(), "LS20010626_cloud.tif") {
		t.Errorf("the refusal must name the file and state the cloud share: %v", err)
	}
}

func TestHalfCloudAfterIsMasked(t *testing.T) {
	a := derived(t, after, "LS20010626_half.tif", raster.Derived{Values: cloud(func(x, _ int) bool { return x < 500 })})
	res, _ := run(t, before, a, detect.Options{})
	half := 500.0 * 1000 * 28.5 * 28.5
	if got := res.Summary.Masked.CloudM2; got < 0.95*half {
		t.Errorf("masked %.1f km² of cloud, the cloud covers %.1f km²", got/1e6, half/1e6)
	}
	if s := concernShare(res); s > 0.01 {
		t.Errorf("patches of concern cover %.2f%% of the scene on a half-clouded pair", 100*s)
	}
	for i, runs := range res.Runs {
		for _, r := range runs {
			if r.X0 < 480 {
				t.Fatalf("patch %s (%s) lies in the cloud at row %d", res.Patches[i].ID, res.Patches[i].Class, r.Y)
			}
		}
	}
}

// The same content as 16-bit ×40 or as float ÷255 (both dates, or only the
// after date: another sensor's scale) gives about what the 8-bit pair gives.
func TestDataTypeDoesNotInventChange(t *testing.T) {
	ref, _ := run(t, before, after, detect.Options{})
	scale := func(k float32) func(int, []float32, int, int) {
		return func(_ int, v []float32, _, _ int) {
			for i := range v {
				v[i] *= k
			}
		}
	}
	b40 := derived(t, before, "LS20010525_x40.tif", raster.Derived{DataType: "UInt16", Values: scale(40)})
	a40 := derived(t, after, "LS20010626_x40.tif", raster.Derived{DataType: "UInt16", Values: scale(40)})
	bf := derived(t, before, "LS20010525_f.tif", raster.Derived{DataType: "Float32", Values: scale(1.0 / 255)})
	af := derived(t, after, "LS20010626_f.tif", raster.Derived{DataType: "Float32", Values: scale(1.0 / 255)})
	for _, tc := range []struct{ name, b, a string }{
		{"16-bit ×40", b40, a40}, {"float ÷255", bf, af}, {"8-bit before, 16-bit after", before, a40}, {"float before, 8-bit after", bf, after},
	} {
		res, _ := run(t, tc.b, tc.a, detect.Options{})
		r := res.Summary.Patches.AreaM2 / math.Max(ref.Summary.Patches.AreaM2, 1)
		if r < 0.9 || r > 1.1 || math.Abs(float64(len(res.Patches)-len(ref.Patches))) > 0.1*float64(len(ref.Patches))+2 {
			t.Errorf("%s: %d patches, %.1f 亩; the 8-bit pair: %d patches, %.1f 亩", tc.name, len(res.Patches), res.Summary.Patches.AreaMu,
				len(ref.Patches), ref.Summary.Patches.AreaMu)
		}
	}
}

// One band tagged Undefined among Red, Green and Blue: the tags that exist
// are used (R stays R); two bands claiming Red are refused as ambiguous.
func TestBandTags(t *testing.T) {
	tags := []string{"Red", "Green", "Blue", "Undefined"}
	b := derived(t, before, "LS20010525_4b.tif", raster.Derived{Extra: 1, ExtraFrom: 1, Colors: tags})
	a := derived(t, after, "LS20010626_4b.tif", raster.Derived{Extra: 1, ExtraFrom: 1, Colors: tags})
	s, err := detect.Ingest(context.Background(), b, a, detect.Options{WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.BandNames, ","); got != "R,G,B,band4" {
		t.Errorf("bands %s, want R,G,B,band4 (the tags that exist)", got)
	}
	amb := derived(t, after, "LS20010626_amb.tif", raster.Derived{Colors: []string{"Red", "Red", "Blue"}})
	_, err = detect.Ingest(context.Background(), before, amb, detect.Options{WorkDir: t.TempDir()})
	if !errors.Is(err, raster.ErrAmbiguous) || !strings.Contains(err.Error(), "LS20010626_amb.tif") {
		t.Errorf("two bands tagged Red: %v, want an ambiguity error naming the file", err)
	}
	if _, err := detect.Ingest(context.Background(), before, amb, detect.Options{WorkDir: t.TempDir(), AfterBands: []string{"R", "G", "B"}}); err != nil {
		t.Errorf("named bands override ambiguous tags: %v", err)
	}
}

// An after image of 1 km pixels is not upsampled onto 28.5 m without a word.
func TestResolutionRatioIsRefused(t *testing.T) {
	coarse := filepath.Join(t.TempDir(), "LS20010626_1km.tif")
	if err := raster.Reproject(after, coarse, "EPSG:32631", 1000); err != nil {
		t.Fatal(err)
	}
	_, err := detect.Ingest(context.Background(), before, coarse, detect.Options{WorkDir: t.TempDir()})
	if !errors.Is(err, raster.ErrResolution) || !strings.Contains(err.Error(), "1km") {
		t.Errorf("1 km after image: %v, want a resolution-ratio refusal naming the file", err)
	}
}

// A VRT that claims 10⁶×10⁶ pixels is refused before any pixel is read.
func TestHugeRasterIsRefused(t *testing.T) {
	vrt := filepath.Join(t.TempDir(), "huge.vrt")
	abs, _ := filepath.Abs(after)
	doc := fmt.Sprintf(`<VRTDataset rasterXSize="1000000" rasterYSize="1000000"><SRS>EPSG:32631</SRS><GeoTransform>723116.25,28.5,0,5657264.25,0,-28.5</GeoTransform>
<VRTRasterBand dataType="Byte" band="1"><SimpleSource><SourceFilename relativeToVRT="0">%s</SourceFilename><SourceBand>1</SourceBand><SrcRect xOff="0" yOff="0" xSize="1000" ySize="1000"/><DstRect xOff="0" yOff="0" xSize="1000000" ySize="1000000"/></SimpleSource></VRTRasterBand>
</VRTDataset>`, abs)
	if err := os.WriteFile(vrt, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := detect.Ingest(context.Background(), before, vrt, detect.Options{WorkDir: t.TempDir()})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, raster.ErrTooLarge) || !strings.Contains(err.Error(), "huge.vrt") {
			t.Errorf("10⁶×10⁶ VRT: %v, want a size refusal naming the file", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("a 10⁶×10⁶ VRT was not refused (the check must come before any read)")
	}
}

// Every stage stops on a cancelled context.
func TestStagesAreCancellable(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := detect.Ingest(ctx, before, after, detect.Options{WorkDir: t.TempDir()}); !errors.Is(err, context.Canceled) {
		t.Errorf("Ingest: %v, want context.Canceled", err)
	}
	// A warped pair (the warp is lazy: done by the cancellable reads).
	warped := filepath.Join(t.TempDir(), "LS20010626_wgs84.tif")
	if err := raster.Reproject(after, warped, "EPSG:4326", 0.0004); err != nil {
		t.Fatal(err)
	}
	s, err := detect.Ingest(context.Background(), before, warped, detect.Options{WorkDir: t.TempDir(), TileSize: 256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := detect.Tile(ctx, s, tiles.Key{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Tile: %v, want context.Canceled", err)
	}
	if _, err := detect.Finalize(ctx, s, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Finalize: %v, want context.Canceled", err)
	}
}

func TestOptionValuesAreChecked(t *testing.T) {
	for _, o := range []detect.Options{{TileSize: -5}, {TileSize: 10}, {MMU: math.NaN()}, {MMU: -1}, {MMU: math.Inf(1)}, {PixelSize: math.NaN()}} {
		if o.Check() == nil {
			t.Errorf("%+v must be refused", o)
		}
		if _, err := detect.Ingest(context.Background(), before, after, o); err == nil {
			t.Errorf("Ingest with %+v must fail", o)
		}
	}
	if err := (detect.Options{}).Check(); err != nil {
		t.Errorf("zero options (defaults): %v", err)
	}
}
