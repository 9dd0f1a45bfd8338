package eval

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"sort"

	"github.com/weipian/weipian/raster/change"
)

// Colours of the error map.
var (
	colTP = color.RGBA{0, 200, 0, 255}    // change found
	colFP = color.RGBA{230, 0, 0, 255}    // false alarm
	colFN = color.RGBA{40, 90, 255, 255}  // change missed
	colNC = color.RGBA{255, 220, 0, 255}  // missed: set aside as no concern
	colNN = color.RGBA{140, 120, 40, 255} // set aside, no change
)

// writeMap draws a pair's error map as a PNG of three panels side by side:
// the before image, the after image (both aligned, in true colour, each
// stretched between its 2nd and 98th percentile), and the after image in
// grey with found change in green, false alarms in red and missed change
// in blue (yellow where a change of no concern covers it; changes of no
// concern where nothing changed in dark yellow). win is the aligned pair on
// the scene grid, which lies at (ox, oy) of the label's w×h grid.
func writeMap(path string, win *change.Window, bands []string, pred, aside []bool, truth []uint8, w, h, ox, oy int) error {
	bd, err := change.NewBands(bands)
	if err != nil {
		return err
	}
	rgb := [3]int{bd.Red, bd.Green, bd.Blue}
	for i := range rgb {
		if rgb[i] < 0 {
			rgb[i] = min(i, len(bands)-1)
		}
	}
	sw, sh := win.W, win.H
	img := image.NewRGBA(image.Rect(0, 0, 3*sw, sh))
	for d, planes := range [][][]float32{win.Before, win.After} {
		var lo, hi [3]float32
		for c := 0; c < 3; c++ {
			lo[c], hi[c] = stretch(planes[rgb[c]], win.Valid)
		}
		for y := 0; y < sh; y++ {
			for x := 0; x < sw; x++ {
				i := y*sw + x
				var px [3]uint8
				for c := 0; c < 3; c++ {
					px[c] = scale8(planes[rgb[c]][i], lo[c], hi[c])
				}
				img.SetRGBA(d*sw+x, y, color.RGBA{px[0], px[1], px[2], 255})
				if d == 1 {
					g := uint8((int(px[0]) + int(px[1]) + int(px[2])) / 6)
					col := color.RGBA{g, g, g, 255}
					j := (y+oy)*w + x + ox
					switch t := truth[j] != 0; {
					case pred[j] && t:
						col = colTP
					case pred[j]:
						col = colFP
					case t && aside[j]:
						col = colNC
					case t:
						col = colFN
					case aside[j]:
						col = colNN
					}
					img.SetRGBA(2*sw+x, y, col)
				}
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("eval: writing %s: %w", path, err)
	}
	return f.Close()
}

// stretch returns the 2nd and 98th percentiles of the valid values.
func stretch(v []float32, valid []bool) (lo, hi float32) {
	var s []float32
	for i, x := range v {
		if valid[i] {
			s = append(s, x)
		}
	}
	if len(s) == 0 {
		return 0, 1
	}
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	lo, hi = s[len(s)*2/100], s[(len(s)-1)*98/100]
	if hi <= lo {
		hi = lo + 1
	}
	return lo, hi
}

func scale8(x, lo, hi float32) uint8 {
	t := (x - lo) / (hi - lo) * 255
	return uint8(min(max(t, 0), 255))
}
