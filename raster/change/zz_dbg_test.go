package change

import (
	"context"
	"fmt"
	"image"
	"os"
	"testing"

	"github.com/weipian/weipian/raster"
)

func TestZZJul(t *testing.T) {
	if os.Getenv("DBG") == "" {
		t.Skip()
	}
	ctx := context.Background()
	bi, _ := raster.Inspect("/work/shared/data/juelich_landsat7_2001/LS20010525.tif")
	ai, _ := raster.Inspect("/work/shared/data/juelich_landsat7_2001/LS20010626.tif")
	pair, _ := raster.Align(ctx, bi, ai, raster.AlignOptions{DefaultNames: DefaultBandNames})
	rb, _ := raster.OpenReader(pair.Before)
	ra, _ := raster.OpenReader(pair.After)
	W, H := 1000, 1000
	w := &Window{W: W, H: H, Before: make([][]float32, 3), After: make([][]float32, 3), Valid: make([]bool, W*H)}
	va := make([]bool, W*H)
	for b := range w.Before {
		w.Before[b] = make([]float32, W*H)
		w.After[b] = make([]float32, W*H)
	}
	rb.Read(ctx, image.Rect(0, 0, W, H), w.Before, w.Valid)
	ra.Read(ctx, image.Rect(0, 0, W, H), w.After, va)
	p := DefaultParams(28.5)
	bands, _ := NewBands(pair.BandNames)
	st, err := Estimate([]SampleWindow{{Window: *w, Inner: image.Rect(0, 0, W, H)}}, bands, p)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := st.Model()
	f := computeFeatures(w, m, p.Radii())
	res, _ := Detect(w, st, p)
	counts := map[Class][]int{}
	for i, c := range res.Class {
		counts[c] = append(counts[c], i)
	}
	fmt.Println("thr", st.Thresholds.Vegetation, st.Thresholds.Saturation, st.Thresholds.Brighter, st.Thresholds.Darker)
	for _, c := range []Class{BuiltGain, VegetationGain, SurfaceChange} {
		idx := counts[c]
		fmt.Println(c, len(idx))
		for k := 0; k < len(idx); k += len(idx)/12 + 1 {
			i := idx[k]
			fmt.Printf("  (%d,%d) A=%.0f,%.0f,%.0f B=%.0f,%.0f,%.0f vegA=%.3f vegB=%.3f satA=%.2f satB=%.2f lbr=%.2f\n", i%W, i/W,
				w.Before[0][i], w.Before[1][i], w.Before[2][i], w.After[0][i], w.After[1][i], w.After[2][i],
				f.vegA[i], f.vegB[i], f.satA[i], f.satB[i], f.lbr[i])
		}
	}
}
