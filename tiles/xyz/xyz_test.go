package xyz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/raster/change"
	"github.com/weipian/weipian/tiles/chip"
)

const (
	before = "../../testdata/juelich/LS20010525.tif"
	after  = "../../testdata/juelich/LS20010626.tif"
)

// sceneOf aligns a pair as detect's ingest does and returns its Scene.
func sceneOf(t *testing.T, b, a string) Scene {
	t.Helper()
	bi, err := raster.Inspect(b)
	if err != nil {
		t.Fatal(err)
	}
	ai, err := raster.Inspect(a)
	if err != nil {
		t.Fatal(err)
	}
	p, err := raster.Align(context.Background(), bi, ai, raster.AlignOptions{WorkDir: t.TempDir(), DefaultNames: change.DefaultBandNames})
	if err != nil {
		t.Fatal(err)
	}
	bands, err := chip.BandsFromNames(p.BandNames)
	if err != nil {
		t.Fatal(err)
	}
	return Scene{Grid: p.Grid, Sources: [2]raster.Source{p.Before, p.After}, Bands: bands, PixelSizeM: p.PixelSize}
}

func decode(t *testing.T, data []byte) *image.NRGBA {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	n := image.NewNRGBA(img.Bounds())
	draw.Draw(n, n.Rect, img, image.Point{}, draw.Src)
	return n
}

func TestTileMath(t *testing.T) {
	for _, c := range []struct{ lon, lat float64 }{{6.4, 50.9}, {114.3, 30.5}, {-70, -33}} {
		for z := 0; z <= 20; z += 4 {
			x, y := TileOf(c.lon, c.lat, z)
			minX, minY, maxX, maxY := TileBounds(z, x, y)
			mx, my := LonLatToMercator(c.lon, c.lat)
			if mx < minX || mx >= maxX || my <= minY || my > maxY {
				t.Errorf("%v z%d: tile %d/%d bounds %v %v %v %v do not hold %v %v", c, z, x, y, minX, minY, maxX, maxY, mx, my)
			}
			lon, lat := MercatorToLonLat(mx, my)
			if math.Abs(lon-c.lon) > 1e-9 || math.Abs(lat-c.lat) > 1e-9 {
				t.Errorf("mercator round trip %v → %v %v", c, lon, lat)
			}
		}
	}
	if _, err := ParseDate("前时相"); err != nil {
		t.Error(err)
	}
	if _, err := ParseDate("yesterday"); err == nil {
		t.Error("ParseDate accepted yesterday")
	}
}

// warpTile renders the reference of a tile with gdalwarp (nearest) and
// returns its bands and alpha.
func warpTile(t *testing.T, src string, z, x, y int) ([][]float32, []float32) {
	t.Helper()
	if _, err := exec.LookPath("gdalwarp"); err != nil {
		t.Skip("gdalwarp (gdal-bin) is not installed: scripts/setup.sh gdal")
	}
	minX, minY, maxX, maxY := TileBounds(z, x, y)
	out := filepath.Join(t.TempDir(), fmt.Sprintf("ref_%d_%d_%d.tif", z, x, y))
	cmd := exec.Command("gdalwarp", "-q", "-t_srs", "EPSG:3857", "-te", fmt.Sprint(minX), fmt.Sprint(minY), fmt.Sprint(maxX), fmt.Sprint(maxY),
		"-ts", "256", "256", "-r", "near", "-dstalpha", src, out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gdalwarp: %v\n%s", err, b)
	}
	planes, w, h, err := raster.ReadImage(out)
	if err != nil || w != Size || h != Size || len(planes) != 4 {
		t.Fatalf("reference tile: %v (%d×%d, %d bands)", err, w, h, len(planes))
	}
	return planes[:3], planes[3]
}

// TestRenderMatchesGDAL compares tiles of the Jülich image (EPSG:32631)
// with gdalwarp's nearest-neighbour warp of the same tile to EPSG:3857,
// stretched the same way: at the native zoom, overzoomed, and at the
// decimated lowest zoom (positions only there, since the decimation picks
// other pixels than a warp).
func TestRenderMatchesGDAL(t *testing.T) {
	sc := sceneOf(t, before, after)
	r, err := NewRenderer(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	b := r.Bounds()
	if b[0] < 6.0 || b[2] > 6.9 || b[1] < 50.7 || b[3] > 51.1 || b[0] >= b[2] {
		t.Fatalf("Jülich bounds %v: want about 6.2–6.6°E, 50.8–51.0°N", b)
	}
	minZ, maxZ := r.ZoomRange()
	if r.NativeZoom() != 12 || minZ != 7 || maxZ != 16 {
		t.Errorf("zoom: native %d, range %d–%d; want 12 and 7–16 for 28.5 m pixels at 51°N", r.NativeZoom(), minZ, maxZ)
	}
	st := r.Stretch()
	for c := range 3 {
		if !(st.Hi[c] > st.Lo[c]) || st.Lo[c] < 0 || st.Hi[c] > 255 {
			t.Errorf("stretch channel %d: %v–%v", c, st.Lo[c], st.Hi[c])
		}
	}
	cLon, cLat := (b[0]+b[2])/2, (b[1]+b[3])/2
	for _, z := range []int{12, 15} {
		x, y := TileOf(cLon, cLat, z)
		data, blank, err := r.Render(context.Background(), Before, z, x, y)
		if err != nil || blank {
			t.Fatalf("z%d: %v, blank %v", z, err, blank)
		}
		img := decode(t, data)
		ref, alpha := warpTile(t, before, z, x, y)
		// Nearest-neighbour picks differ where a tile pixel's centre falls
		// within a hair of a scene pixel's edge (gdalwarp's approximate
		// transformer errs by up to 1/8 pixel): such a pixel must still
		// equal one of the reference's neighbours.
		eqAt := func(i, j int) bool {
			for c := range 3 {
				if img.Pix[i*4+c] != st.Byte(c, float64(ref[c][j])) {
					return false
				}
			}
			return true
		}
		same, near, opaque := 0, 0, 0
		for i := range Size * Size {
			if alpha[i] == 0 || img.Pix[i*4+3] == 0 {
				if (alpha[i] == 0) != (img.Pix[i*4+3] == 0) && i%Size > 0 && i%Size < Size-1 {
					near-- // an edge pixel transparent in one only
				}
				continue
			}
			opaque++
			if eqAt(i, i) {
				same++
				near++
				continue
			}
			px, py := i%Size, i/Size
		search:
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					if qx, qy := px+dx, py+dy; qx >= 0 && qy >= 0 && qx < Size && qy < Size && eqAt(i, qy*Size+qx) {
						near++
						break search
					}
				}
			}
		}
		if opaque < Size*Size/2 || float64(same) < 0.95*float64(opaque) || float64(near) < 0.995*float64(opaque) {
			t.Errorf("z%d: of %d opaque pixels %d equal gdalwarp's and %d equal it or a neighbour; want ≥ 95 %% and ≥ 99.5 %%", z, opaque, same, near)
		}
	}
	// The lowest zoom shows the whole scene in a few tiles, read decimated:
	// its footprint must be gdalwarp's.
	x, y := TileOf(cLon, cLat, minZ)
	data, blank, err := r.Render(context.Background(), After, minZ, x, y)
	if err != nil || blank {
		t.Fatalf("z%d: %v, blank %v", minZ, err, blank)
	}
	img := decode(t, data)
	_, alpha := warpTile(t, after, minZ, x, y)
	diff, inRef := 0, 0
	for i := range Size * Size {
		if alpha[i] != 0 {
			inRef++
		}
		if (alpha[i] != 0) != (img.Pix[i*4+3] != 0) {
			diff++
		}
	}
	if inRef == 0 || float64(diff) > 0.03*float64(inRef) {
		t.Errorf("z%d footprint: %d pixels differ from gdalwarp's %d", minZ, diff, inRef)
	}
}

// TestRenderAcrossCRS renders the same tiles from the Jülich pair and from
// a copy reprojected to EPSG:4326: the images must align (no shift of even
// one tile pixel fits better) and agree in value.
func TestRenderAcrossCRS(t *testing.T) {
	dir := t.TempDir()
	rb, ra := filepath.Join(dir, "b4326.tif"), filepath.Join(dir, "a4326.tif")
	for _, f := range [][2]string{{before, rb}, {after, ra}} {
		if err := raster.Reproject(f[0], f[1], "EPSG:4326", 0.0004); err != nil {
			t.Fatal(err)
		}
	}
	utm, err := NewRenderer(context.Background(), sceneOf(t, before, after))
	if err != nil {
		t.Fatal(err)
	}
	geo, err := NewRenderer(context.Background(), sceneOf(t, rb, ra))
	if err != nil {
		t.Fatal(err)
	}
	b := utm.Bounds()
	cLon, cLat := (b[0]+b[2])/2, (b[1]+b[3])/2
	for _, z := range []int{11, 13} {
		x, y := TileOf(cLon, cLat, z)
		var imgs [2]*image.NRGBA
		for k, r := range []*Renderer{utm, geo} {
			data, blank, err := r.Render(context.Background(), After, z, x, y)
			if err != nil || blank {
				t.Fatalf("z%d: %v, blank %v", z, err, blank)
			}
			imgs[k] = decode(t, data)
		}
		// Mean absolute difference of the green channel for shifts of
		// the second image by up to 3 pixels.
		mad := func(dx, dy int) float64 {
			var sum float64
			n := 0
			for y := 8; y < Size-8; y++ {
				for x := 8; x < Size-8; x++ {
					i, j := imgs[0].PixOffset(x, y), imgs[1].PixOffset(x+dx, y+dy)
					if imgs[0].Pix[i+3] == 0 || imgs[1].Pix[j+3] == 0 {
						continue
					}
					sum += math.Abs(float64(imgs[0].Pix[i+1]) - float64(imgs[1].Pix[j+1]))
					n++
				}
			}
			if n < 1000 {
				return math.Inf(1)
			}
			return sum / float64(n)
		}
		best, bx, by := math.Inf(1), 0, 0
		for dy := -3; dy <= 3; dy++ {
			for dx := -3; dx <= 3; dx++ {
				if m := mad(dx, dy); m < best {
					best, bx, by = m, dx, dy
				}
			}
		}
		if bx != 0 || by != 0 {
			t.Errorf("z%d: the reprojected copy's tile fits best shifted by %d,%d pixels (MAD %.1f, unshifted %.1f)", z, bx, by, best, mad(0, 0))
		}
		if best > 25 {
			t.Errorf("z%d: mean difference %.1f grey levels between the UTM and the EPSG:4326 tiles", z, best)
		}
		if far := mad(3, 3); far < best*1.2 {
			t.Errorf("z%d: a 3-pixel shift fits nearly as well (%.1f vs %.1f): the check cannot see misplacement", z, far, best)
		}
	}
}

func TestRenderBlankAndBounds(t *testing.T) {
	r, err := NewRenderer(context.Background(), sceneOf(t, before, after))
	if err != nil {
		t.Fatal(err)
	}
	// Wuhan is far from Jülich.
	x, y := TileOf(114.3, 30.5, 12)
	data, blank, err := r.Render(context.Background(), Before, 12, x, y)
	if err != nil || !blank || data != nil {
		t.Errorf("tile far outside: blank %v, %d bytes, %v", blank, len(data), err)
	}
	if _, _, err := r.Render(context.Background(), Before, 3, 0, 0); !errors.Is(err, ErrZoom) {
		t.Errorf("zoom 3: %v, want ErrZoom", err)
	}
	if _, _, err := r.Render(context.Background(), Before, 20, 0, 0); !errors.Is(err, ErrZoom) {
		t.Errorf("zoom 20: %v, want ErrZoom", err)
	}
	if _, _, err := r.Render(context.Background(), Before, 12, 1<<12, 0); err == nil {
		t.Error("tile x beyond the zoom level accepted")
	}
	if img, err := png.Decode(bytes.NewReader(BlankPNG)); err != nil || img.Bounds().Dx() != Size {
		t.Errorf("BlankPNG: %v", err)
	}
	// A tile at the scene's edge is partly transparent.
	b := r.Bounds()
	x, y = TileOf(b[0], (b[1]+b[3])/2, 12)
	data, blank, err = r.Render(context.Background(), Before, 12, x, y)
	if err != nil || blank {
		t.Fatalf("edge tile: %v, blank %v", err, blank)
	}
	img := decode(t, data)
	clear, opaque := 0, 0
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] == 0 {
			clear++
		} else {
			opaque++
		}
	}
	if clear == 0 || opaque == 0 {
		t.Errorf("edge tile: %d transparent, %d opaque pixels; want both", clear, opaque)
	}
}
