package change

import (
	"fmt"
	"image"
)

// Window is a block of co-registered pixels of both dates, as float32 band
// planes of W×H values (row-major). Valid marks the pixels where every band
// of both dates has data. Window does not own anything beyond its slices.
// Detect and DetectCore consume a window: they overwrite its band planes
// (the statistics, Estimate, do not).
type Window struct {
	W, H          int
	Before, After [][]float32
	Valid         []bool
}

// Check reports a malformed window (programmer error or corrupt input).
func (w *Window) Check() error {
	n := w.W * w.H
	if w.W <= 0 || w.H <= 0 {
		return fmt.Errorf("change: empty window %dx%d", w.W, w.H)
	}
	if len(w.Before) == 0 || len(w.Before) != len(w.After) {
		return fmt.Errorf("change: window has %d before and %d after bands", len(w.Before), len(w.After))
	}
	for b := range w.Before {
		if len(w.Before[b]) != n || len(w.After[b]) != n {
			return fmt.Errorf("change: band %d plane has the wrong length", b+1)
		}
	}
	if len(w.Valid) != n {
		return fmt.Errorf("change: valid mask has the wrong length")
	}
	return nil
}

// SampleWindow is a window read for the scene statistics: only the pixels in
// Inner (in window coordinates) are sampled; the rest is margin, so that
// filtered values at the sampled pixels equal those of the whole scene.
type SampleWindow struct {
	Window
	Inner image.Rectangle
}

// SamplePlan returns the windows (in scene pixel coordinates) whose pixels are
// sampled for the scene statistics of a w×h scene: a regular grid of small
// blocks holding about target pixels in all, or the whole scene when it is
// small. Each entry gives the block (Inner) and the block grown by margin and
// clipped to the scene (Outer), which is what must be read.
func SamplePlan(w, h, target, margin int) []SampleRect {
	if w*h <= target*2 {
		r := image.Rect(0, 0, w, h)
		return []SampleRect{{Inner: r, Outer: r}}
	}
	const block = 32
	nBlocks := max(1, target/(block*block))
	// Choose a grid of nx×ny blocks with spacing proportional to the scene's shape.
	nx, ny := 1, 1
	for nx*ny < nBlocks {
		if float64(w)/float64(nx) >= float64(h)/float64(ny) {
			nx++
		} else {
			ny++
		}
	}
	scene := image.Rect(0, 0, w, h)
	var out []SampleRect
	for j := 0; j < ny; j++ {
		for i := 0; i < nx; i++ {
			// block centred in its grid cell
			cx := (2*i + 1) * w / (2 * nx)
			cy := (2*j + 1) * h / (2 * ny)
			in := image.Rect(cx-block/2, cy-block/2, cx+block/2, cy+block/2).Intersect(scene)
			if in.Empty() {
				continue
			}
			out = append(out, SampleRect{Inner: in, Outer: in.Inset(-margin).Intersect(scene)})
		}
	}
	return out
}

// SampleRect is one entry of a SamplePlan.
type SampleRect struct{ Inner, Outer image.Rectangle }
