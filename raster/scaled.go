package raster

import (
	"context"
	"fmt"
	"image"
	"math"

	"github.com/airbusgeo/godal"
)

// ReadScaled reads the window win (in the pair's grid pixel coordinates)
// resampled to a w×h buffer with nearest neighbour, as map tiles of a wide
// area need: GDAL picks the source pixels (and overviews when the dataset
// has them), so memory stays that of the buffer whatever the window's size.
// planes and valid are as for Read, for the w×h buffer; buffer pixels whose
// source lies outside the dataset are invalid.
func (r *Reader) ReadScaled(ctx context.Context, win image.Rectangle, w, h int, planes [][]float32, valid []bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if w <= 0 || h <= 0 || win.Empty() {
		return fmt.Errorf("raster: scaled read of %v into %d×%d", win, w, h)
	}
	n := w * h
	if len(planes) != len(r.bands) || len(valid) != n {
		return fmt.Errorf("raster: read buffers do not match a %d×%d buffer of %d bands", w, h, len(r.bands))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(valid)
	for b := range planes {
		clear(planes[b][:n])
	}
	src := win.Add(image.Pt(r.src.XOff, r.src.YOff))
	in := src.Intersect(r.src.extent(r.w, r.h))
	if in.Empty() {
		return nil
	}
	// The part of the buffer the dataset covers.
	sx, sy := float64(w)/float64(src.Dx()), float64(h)/float64(src.Dy())
	bx0 := int(math.Round(float64(in.Min.X-src.Min.X) * sx))
	by0 := int(math.Round(float64(in.Min.Y-src.Min.Y) * sy))
	bx1 := int(math.Round(float64(in.Max.X-src.Min.X) * sx))
	by1 := int(math.Round(float64(in.Max.Y-src.Min.Y) * sy))
	bw, bh := bx1-bx0, by1-by0
	if bw <= 0 || bh <= 0 {
		return nil
	}
	if cap(r.buf) < bw*bh {
		r.buf = make([]float32, bw*bh)
	}
	buf := r.buf[:bw*bh]
	at := func(i int) int { return (by0+i/bw)*w + bx0 + i%bw }
	for i := range buf {
		valid[at(i)] = true
	}
	opts := func() []godal.BandIOOption {
		return []godal.BandIOOption{godal.Window(in.Dx(), in.Dy()), godal.Resampling(godal.Nearest), gdalErrs, cfg()}
	}
	for b, band := range r.bands {
		if err := band.Read(in.Min.X, in.Min.Y, buf, bw, bh, opts()...); err != nil {
			return inputErr(r.src.Name, ErrUnreadable, "band %d window %v cannot be read (%v)", r.src.Bands[b]+1, in, err)
		}
		nd := r.src.NoData[b]
		hasND := !math.IsNaN(nd)
		ndf := float32(nd)
		pl := planes[b]
		for i, v := range buf {
			j := at(i)
			pl[j] = v
			if v != v || (hasND && v == ndf) {
				valid[j] = false
			}
		}
	}
	if r.maskBand != nil {
		if cap(r.mbuf) < bw*bh {
			r.mbuf = make([]uint8, bw*bh)
		}
		m := r.mbuf[:bw*bh]
		if err := r.maskBand.Read(in.Min.X, in.Min.Y, m, bw, bh, opts()...); err != nil {
			return inputErr(r.src.Name, ErrUnreadable, "mask window %v cannot be read (%v)", in, err)
		}
		for i, v := range m {
			if v == 0 {
				valid[at(i)] = false
			}
		}
	}
	return nil
}
