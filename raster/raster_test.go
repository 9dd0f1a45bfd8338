package raster_test

import (
	"bytes"
	"context"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/raster"
)

const juelich = "../testdata/juelich/LS20010525.tif"

func TestInspect(t *testing.T) {
	info, err := raster.Inspect(juelich)
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 1000 || info.Height != 1000 || info.Bands != 3 || info.DataType != "Byte" {
		t.Errorf("size/bands/type: %+v", info)
	}
	if info.Date != "2001-05-25" {
		t.Errorf("date %q, want 2001-05-25 from the file name", info.Date)
	}
	if math.Abs(info.PixelSize-28.5) > 1e-9 {
		t.Errorf("pixel size %v, want 28.5 m", info.PixelSize)
	}
	if got := info.BandNames; len(got) != 3 || got[0] != "R" || got[1] != "G" || got[2] != "B" {
		t.Errorf("band names %v, want R,G,B from the colour interpretation", got)
	}
}

// A window shifted by whole pixels is aligned by offsets, without a warp.
func TestAlignWholePixelShift(t *testing.T) {
	dir := t.TempDir()
	shifted := filepath.Join(dir, "shifted.tif")
	// a 300×200 piece of the image starting at pixel (100, 50)
	if err := raster.WriteTestRaster(shifted, raster.TestRaster{W: 300, H: 200, Bands: 3, EPSG: 32631,
		Origin: [2]float64{723116.25 + 100*28.5, 5657264.25 - 50*28.5}, Pixel: 28.5}); err != nil {
		t.Fatal(err)
	}
	b, err := raster.Inspect(juelich)
	if err != nil {
		t.Fatal(err)
	}
	a, err := raster.Inspect(shifted)
	if err != nil {
		t.Fatal(err)
	}
	p, err := raster.Align(context.Background(), b, a, raster.AlignOptions{BeforeBands: []string{"R", "G", "B"}, AfterBands: []string{"R", "G", "B"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Warped || p.Grid.Width != 300 || p.Grid.Height != 200 || p.Before.XOff != 100 || p.Before.YOff != 50 || p.After.XOff != 0 || p.After.YOff != 0 {
		t.Errorf("alignment: warped=%v grid %dx%d before off (%d,%d) after off (%d,%d)", p.Warped, p.Grid.Width, p.Grid.Height,
			p.Before.XOff, p.Before.YOff, p.After.XOff, p.After.YOff)
	}
}

func TestReaderWindowsAndNoData(t *testing.T) {
	dir := t.TempDir()
	nd := 0.0
	path := filepath.Join(dir, "nd.tif")
	if err := raster.WriteTestRaster(path, raster.TestRaster{W: 20, H: 10, Bands: 2, EPSG: 32631, Origin: [2]float64{0, 0}, Pixel: 1, NoData: &nd}); err != nil {
		t.Fatal(err)
	}
	r, err := raster.OpenReader(raster.Source{Name: juelich, Bands: []int{0, 2}, NoData: []float64{math.NaN(), math.NaN()}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// A window hanging 5 pixels off the left and top edges.
	win := image.Rect(-5, -5, 5, 5)
	planes := [][]float32{make([]float32, 100), make([]float32, 100)}
	valid := make([]bool, 100)
	if err := r.Read(context.Background(), win, planes, valid); err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 10; y++ {
		for x := 0; x < 10; x++ {
			inside := x >= 5 && y >= 5
			if valid[y*10+x] != inside {
				t.Fatalf("pixel (%d,%d) valid=%v, want %v", x, y, valid[y*10+x], inside)
			}
		}
	}
	img, _, _, err := raster.ReadImage(juelich)
	if err != nil {
		t.Fatal(err)
	}
	if planes[1][5*10+5] != img[2][0] {
		t.Errorf("band 3 pixel (0,0) = %v, want %v", planes[1][55], img[2][0])
	}
	// All-nodata file: every pixel invalid.
	rn, err := raster.OpenReader(raster.Source{Name: path, Bands: []int{0, 1}, NoData: []float64{0, 0}})
	if err != nil {
		t.Fatal(err)
	}
	defer rn.Close()
	if err := rn.Read(context.Background(), image.Rect(0, 0, 10, 10), planes, valid); err != nil {
		t.Fatal(err)
	}
	for i, v := range valid {
		if v {
			t.Fatalf("pixel %d of an all-nodata raster is valid", i)
		}
	}
	if _, err := raster.Inspect(path); err == nil {
		t.Error("Inspect must refuse an all-nodata raster")
	}
}

func TestWriteGPKGRoundTripAndDeterminism(t *testing.T) {
	dir := t.TempDir()
	fields := []raster.Field{{Name: "ID", Type: raster.String}, {Name: "AREA", Type: raster.Real}, {Name: "N", Type: raster.Integer}}
	poly := orb.Polygon{{{114, 30}, {114.001, 30}, {114.001, 30.001}, {114, 30}}}
	feats := []raster.Feature{
		{Geometry: poly, Values: []any{"a'b", 1.5, int64(3)}},
		{Geometry: poly, Values: []any{"中文", nil, int64(-1)}},
	}
	var files [][]byte
	for i := 0; i < 2; i++ {
		p := filepath.Join(dir, "t"+string(rune('0'+i))+".gpkg")
		if err := raster.WriteGPKG(p, "patches", fields, feats); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
		if _, err := os.Stat(p + ".part"); !os.IsNotExist(err) {
			t.Error("temporary file left behind")
		}
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("two writes of the same features differ")
	}
	got, err := raster.ReadVectorForTest(filepath.Join(dir, "t0.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0]["ID"] != "a'b" || got[1]["ID"] != "中文" || got[0]["AREA"] != "1.500000" || got[1]["N"] != "-1" {
		t.Errorf("read back %v", got)
	}
}
