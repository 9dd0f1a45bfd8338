package raster

import (
	"context"
	"fmt"
	"image"
	"math"
	"sync"

	"github.com/airbusgeo/godal"
)

// Reader reads windows of one date of a pair. It holds one open GDAL
// dataset; it is safe for concurrent use, reads taking turns (readers of
// their own read in parallel). Sharing one lets GDAL's block cache serve the
// blocks that neighbouring windows share. The caller must Close it.
type Reader struct {
	mu    sync.Mutex
	src   Source
	ds    *godal.Dataset
	bands []godal.Band
	// maskBand is the per-dataset mask (alpha or internal mask) to read,
	// or nil when validity comes from nodata values only.
	maskBand *godal.Band
	w, h     int
	// float is true for floating-point bands (NaN is no data).
	float bool
	buf   []float32 // ReadScaled's buffer
	mbuf  []uint8
}

// OpenReader opens a Source for windowed reads.
func OpenReader(src Source, opts ...godal.OpenOption) (*Reader, error) {
	register()
	o := append([]godal.OpenOption{godal.RasterOnly(), gdalErrs, cfg()}, opts...)
	ds, err := godal.Open(src.Name, o...)
	if err != nil {
		return nil, inputErr(src.Name, ErrUnreadable, "cannot be opened (%v)", err)
	}
	all := ds.Bands()
	r := &Reader{src: src, ds: ds}
	st := ds.Structure()
	r.w, r.h = st.SizeX, st.SizeY
	for _, b := range src.Bands {
		if b < 0 || b >= len(all) {
			ds.Close()
			return nil, inputErr(src.Name, ErrBandMismatch, "has %d bands, band %d was asked for", len(all), b+1)
		}
		r.bands = append(r.bands, all[b])
	}
	switch r.bands[0].Structure().DataType {
	case godal.Float32, godal.Float64, godal.CFloat32, godal.CFloat64:
		r.float = true
	}
	// GDAL mask flags: 0x01 all valid, 0x02 per dataset, 0x04 alpha, 0x08 nodata.
	mf := r.bands[0].MaskFlags()
	if mf&0x01 == 0 && mf&0x08 == 0 {
		mb := r.bands[0].MaskBand()
		r.maskBand = &mb
	}
	return r, nil
}

// Close releases the dataset.
func (r *Reader) Close() error { return r.ds.Close() }

// Read reads the window win (in the pair's grid pixel coordinates) into
// planes (one []float32 of win.Dx()*win.Dy() per band) and valid (true where
// every band has data). Pixels outside the source dataset are invalid.
func (r *Reader) Read(ctx context.Context, win image.Rectangle, planes [][]float32, valid []bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w, h := win.Dx(), win.Dy()
	n := w * h
	if len(planes) != len(r.bands) || len(valid) != n {
		return fmt.Errorf("raster: read buffers do not match a %d×%d window of %d bands", w, h, len(r.bands))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// Intersect with the dataset.
	src, in := r.clip(win)
	if in != src {
		// Pixels outside the dataset are zero and invalid.
		clear(valid)
		for b := range planes {
			clear(planes[b][:n])
		}
	}
	if in.Empty() {
		return nil
	}
	iw, ih := in.Dx(), in.Dy()
	dx, dy := in.Min.X-src.Min.X, in.Min.Y-src.Min.Y
	off := dy*w + dx // the first pixel of the part inside the dataset
	for y := 0; y < ih; y++ {
		row := valid[off+y*w : off+y*w+iw]
		for i := range row {
			row[i] = true
		}
	}
	for b, band := range r.bands {
		// GDAL writes the window straight into the plane, one line every
		// w values, converting to float32 on the way.
		pl := planes[b]
		if err := band.Read(in.Min.X, in.Min.Y, pl[off:], iw, ih, godal.LineStride(w), gdalErrs, cfg()); err != nil {
			return inputErr(r.src.Name, ErrUnreadable, "band %d window %v cannot be read (%v)", r.src.Bands[b]+1, in, err)
		}
		nd := r.src.NoData[b]
		hasND := !math.IsNaN(nd)
		if !hasND && !r.float {
			continue // an integer band without nodata: every value is data
		}
		ndf := float32(nd)
		for y := 0; y < ih; y++ {
			row := pl[off+y*w : off+y*w+iw]
			vr := valid[off+y*w : off+y*w+iw]
			for i, v := range row {
				if v != v || (hasND && v == ndf) {
					vr[i] = false
				}
			}
		}
	}
	if r.maskBand != nil {
		if cap(r.mbuf) < iw*ih {
			r.mbuf = make([]uint8, iw*ih)
		}
		m := r.mbuf[:iw*ih]
		if err := r.maskBand.Read(in.Min.X, in.Min.Y, m, iw, ih, gdalErrs, cfg()); err != nil {
			return inputErr(r.src.Name, ErrUnreadable, "mask window %v cannot be read (%v)", in, err)
		}
		for y := 0; y < ih; y++ {
			vr := valid[off+y*w : off+y*w+iw]
			for i, v := range m[y*iw : (y+1)*iw] {
				if v == 0 {
					vr[i] = false
				}
			}
		}
	}
	return nil
}

// clip returns the window win (grid pixel coordinates) in the dataset's
// pixel coordinates, and its part inside the dataset.
func (r *Reader) clip(win image.Rectangle) (src, in image.Rectangle) {
	src = win.Add(image.Pt(r.src.XOff, r.src.YOff))
	return src, src.Intersect(r.src.extent(r.w, r.h))
}

// prefetchChunk bounds the scratch buffer of one Prefetch read (bytes).
const prefetchChunk = 32 << 20

// Prefetch reads the window win (grid pixel coordinates) of the reader's
// bands, and of its mask, into nothing: the blocks it covers go through
// GDAL's block cache, fetched in as few reads as the driver can make (a
// GeoTIFF on an object store asks for all of a window's blocks at once,
// and the blocks of one block row lie in one stretch of the file). Reads
// of windows inside win then find their blocks cached, as long as the
// cache holds them (see BlockCacheBytes). Large windows are read in strips
// of whole block rows.
func (r *Reader) Prefetch(ctx context.Context, win image.Rectangle) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, in := r.clip(win)
	if in.Empty() {
		return nil
	}
	st := r.bands[0].Structure()
	bh := max(1, st.BlockSizeY)
	rows := max(bh, prefetchChunk/max(1, in.Dx()*len(r.bands)*st.DataType.Size())/bh*bh)
	// One buffer for every strip; strips start on block rows, so no block
	// row is read twice.
	buf := scratch(st.DataType, in.Dx()*min(rows, in.Dy())*len(r.bands))
	var mask []byte
	if r.maskBand != nil {
		mask = make([]byte, in.Dx()*min(rows, in.Dy()))
	}
	for y0 := in.Min.Y; y0 < in.Max.Y; {
		if err := ctx.Err(); err != nil {
			return err
		}
		y1 := min(in.Max.Y, (y0/bh)*bh+rows)
		h := y1 - y0
		// GTiff fetches a window's blocks together only up to
		// GDAL_MAX_RAW_BLOCK_CACHE_SIZE (10 MB by default), the rest one
		// by one. A strip's compressed blocks are about as large as buf
		// (more when compression fails), so allow twice that.
		if err := r.ds.Read(in.Min.X, y0, buf, in.Dx(), h, godal.Bands(r.src.Bands...), gdalErrs,
			cfg(fmt.Sprintf("GDAL_MAX_RAW_BLOCK_CACHE_SIZE=%d", 2*prefetchChunk))); err != nil {
			return inputErr(r.src.Name, ErrUnreadable, "window %v cannot be read (%v)", image.Rect(in.Min.X, y0, in.Max.X, y1), err)
		}
		if r.maskBand != nil {
			if err := r.maskBand.Read(in.Min.X, y0, mask[:in.Dx()*h], in.Dx(), h, gdalErrs, cfg()); err != nil {
				return inputErr(r.src.Name, ErrUnreadable, "mask window %v cannot be read (%v)", image.Rect(in.Min.X, y0, in.Max.X, y1), err)
			}
		}
		y0 = y1
	}
	return nil
}

// scratch is a buffer of n values of the type dt, or of float32 where dt
// is another type (so that reading into it copies rather than converts).
func scratch(dt godal.DataType, n int) any {
	switch dt {
	case godal.Byte:
		return make([]byte, n)
	case godal.UInt16:
		return make([]uint16, n)
	case godal.Int16:
		return make([]int16, n)
	case godal.UInt32:
		return make([]uint32, n)
	case godal.Int32:
		return make([]int32, n)
	case godal.Float64:
		return make([]float64, n)
	}
	return make([]float32, n)
}

// DecodedBytes is what the window win of the reader's bands takes decoded,
// as GDAL's block cache holds it (whole blocks).
func (r *Reader) DecodedBytes(win image.Rectangle) int64 {
	st := r.bands[0].Structure()
	bw, bh := max(1, st.BlockSizeX), max(1, st.BlockSizeY)
	_, in := r.clip(win)
	if in.Empty() {
		return 0
	}
	nx := (in.Max.X-1)/bw - in.Min.X/bw + 1
	ny := (in.Max.Y-1)/bh - in.Min.Y/bh + 1
	return int64(nx*ny*bw*bh) * int64(len(r.bands)) * int64(st.DataType.Size())
}
