package raster

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/airbusgeo/godal"
)

// MakeBenchPair builds a benchmark pair from a real 3-band (R,G,B) Byte pair:
// each date becomes a 4-band (B,G,R,NIR) UInt16 tiled GeoTIFF (values ×40;
// NIR synthesised from the visible bands, higher over vegetation), and a VRT mosaic repeating it n×n times on a contiguous grid.
// It returns the two VRT paths.
func MakeBenchPair(before, after, dir string, n int) (string, string, error) {
	register()
	var out [2]string
	for i, src := range []string{before, after} {
		planes, w, h, err := ReadImage(src)
		if err != nil {
			return "", "", err
		}
		if len(planes) < 3 {
			return "", "", fmt.Errorf("raster: %s: want 3 bands (R,G,B)", src)
		}
		info, err := Inspect(src)
		if err != nil {
			return "", "", err
		}
		tile := filepath.Join(dir, fmt.Sprintf("tile_%d.tif", i))
		ds, err := godal.Create(godal.GTiff, tile, 4, godal.UInt16, w, h, godal.CreationOption("TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256"), gdalErrs)
		if err != nil {
			return "", "", err
		}
		r, g, b := planes[0], planes[1], planes[2]
		nir := make([]float32, w*h)
		for j := range nir {
			// higher over vegetation; the product term keeps the band from
			// being a linear combination of the others
			nir[j] = max(0, min(255, g[j]+2*(g[j]-r[j])+60+g[j]*b[j]/255))
		}
		for k, p := range [][]float32{b, g, r, nir} {
			buf := make([]uint16, w*h)
			for j, v := range p {
				buf[j] = uint16(v * 40)
			}
			if err := ds.Bands()[k].Write(0, 0, buf, w, h); err != nil {
				ds.Close()
				return "", "", err
			}
		}
		sr, _ := godal.NewSpatialRefFromWKT(info.WKT)
		ds.SetSpatialRef(sr)
		ds.SetGeoTransform(info.GeoTransform)
		sr.Close()
		if err := ds.Close(); err != nil {
			return "", "", err
		}
		gt := info.GeoTransform
		var sb strings.Builder
		wkt := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(info.WKT)
		fmt.Fprintf(&sb, `<VRTDataset rasterXSize="%d" rasterYSize="%d"><SRS>%s</SRS><GeoTransform>%.17g,%.17g,0,%.17g,0,%.17g</GeoTransform>`,
			w*n, h*n, wkt, gt[0], gt[1], gt[3], gt[5])
		for k, name := range []string{"Blue", "Green", "Red", "Undefined"} {
			fmt.Fprintf(&sb, `<VRTRasterBand dataType="UInt16" band="%d"><ColorInterp>%s</ColorInterp>`, k+1, name)
			if k == 3 {
				sb.WriteString(`<Description>NIR</Description>`)
			}
			for y := 0; y < n; y++ {
				for x := 0; x < n; x++ {
					fmt.Fprintf(&sb, `<SimpleSource><SourceFilename relativeToVRT="1">%s</SourceFilename><SourceBand>%d</SourceBand><SrcRect xOff="0" yOff="0" xSize="%d" ySize="%d"/><DstRect xOff="%d" yOff="%d" xSize="%d" ySize="%d"/></SimpleSource>`,
						filepath.Base(tile), k+1, w, h, x*w, y*h, w, h)
				}
			}
			sb.WriteString(`</VRTRasterBand>`)
		}
		sb.WriteString(`</VRTDataset>`)
		name := filepath.Join(dir, fmt.Sprintf("%s_%dx%d.vrt", strings.TrimSuffix(filepath.Base(src), filepath.Ext(src)), w*n, h*n))
		if err := os.WriteFile(name, []byte(sb.String()), 0o644); err != nil {
			return "", "", err
		}
		out[i] = name
	}
	return out[0], out[1], nil
}

// MakeBenchMosaic builds a size×size benchmark pair from a real 3-band (R,G,B)
// Byte pair: the images of MakeBenchPair, mosaicked to size×size and written
// as tiled (256²) DEFLATE GeoTIFFs, as imagery is delivered. It returns the
// two paths (dir/<name>_<size>.tif); files already there are kept.
func MakeBenchMosaic(before, after, dir string, size int) (string, string, error) {
	if size < 1 {
		return "", "", fmt.Errorf("raster: bench mosaic of %d pixels", size)
	}
	var out [2]string
	for i, src := range []string{before, after} {
		out[i] = filepath.Join(dir, fmt.Sprintf("%s_%d.tif", strings.TrimSuffix(filepath.Base(src), filepath.Ext(src)), size))
	}
	if done(out[0], size) && done(out[1], size) {
		return out[0], out[1], nil
	}
	info, err := Inspect(before)
	if err != nil {
		return "", "", err
	}
	n := (size + min(info.Width, info.Height) - 1) / min(info.Width, info.Height)
	vb, va, err := MakeBenchPair(before, after, dir, n)
	if err != nil {
		return "", "", err
	}
	for i, vrt := range []string{vb, va} {
		ds, err := godal.Open(vrt, godal.RasterOnly(), gdalErrs, cfg())
		if err != nil {
			return "", "", err
		}
		tmp := out[i] + ".part"
		dst, err := ds.Translate(tmp, []string{"-of", "GTiff", "-srcwin", "0", "0", fmt.Sprint(size), fmt.Sprint(size),
			"-co", "TILED=YES", "-co", "COMPRESS=DEFLATE", "-co", "BIGTIFF=IF_SAFER"}, gdalErrs, cfg())
		ds.Close()
		if err != nil {
			os.Remove(tmp)
			return "", "", fmt.Errorf("raster: bench mosaic %s: %w", out[i], err)
		}
		if err := dst.Close(); err != nil {
			os.Remove(tmp)
			return "", "", err
		}
		if err := os.Rename(tmp, out[i]); err != nil {
			return "", "", err
		}
	}
	return out[0], out[1], nil
}

// done reports whether path is a size×size raster.
func done(path string, size int) bool {
	if _, err := os.Stat(path); err != nil {
		return false
	}
	info, err := Inspect(path)
	return err == nil && info.Width == size && info.Height == size
}

// Translate copies the raster src to dst with gdal_translate's switches
// (e.g. -of ENVI): the read floor of benchmarks when the GDAL tools are not
// installed.
func Translate(src, dst string, switches []string) error {
	register()
	ds, err := godal.Open(src, godal.RasterOnly(), gdalErrs, cfg())
	if err != nil {
		return inputErr(src, ErrUnreadable, "cannot be opened (%v)", err)
	}
	defer ds.Close()
	out, err := ds.Translate(dst, switches, gdalErrs, cfg())
	if err != nil {
		return fmt.Errorf("raster: translate %s: %w", src, err)
	}
	return out.Close()
}

// MakeVHRMosaic builds a GF-2-like benchmark pair of size×size pixels of
// pixelM metres, 4 bands (B,G,R,NIR) UInt16, in CGCS2000 3-degree
// Gauss-Krüger (EPSG:4547), from real 4-band pairs on srcPixelM grids (e.g.
// the OSCD Sentinel-2 cities, 10 m): the mosaic's cells are crops of the
// pairs upsampled srcPixelM/pixelM times (bilinear) through a VRT, so ground
// sizes are true; cell k takes pair k mod len(pairs), at a varying offset.
// The two dates are written as tiled DEFLATE GeoTIFFs named after dates[i]
// (YYYYMMDD, read back as the acquisition dates). It returns their paths;
// files already there are kept.
func MakeVHRMosaic(pairs [][2]string, dir string, size int, pixelM, srcPixelM float64, dates [2]string) (string, string, error) {
	register()
	var out [2]string
	for i := range out {
		out[i] = filepath.Join(dir, fmt.Sprintf("GF2_PMS_%s_%d.tif", dates[i], size))
	}
	if done(out[0], size) && done(out[1], size) {
		return out[0], out[1], nil
	}
	if len(pairs) == 0 || size < 1 || !(pixelM > 0) || !(srcPixelM >= pixelM) {
		return "", "", fmt.Errorf("raster: VHR mosaic: %d pairs, size %d, pixel %v m from %v m", len(pairs), size, pixelM, srcPixelM)
	}
	const crop = 320
	cell := int(math.Round(crop * srcPixelM / pixelM))
	n := (size + cell - 1) / cell
	type src struct {
		path string
		w, h int
	}
	var srcs [][2]src
	for _, p := range pairs {
		var s [2]src
		for d := range p {
			info, err := Inspect(p[d])
			if err != nil {
				return "", "", err
			}
			if info.Bands != 4 || info.Width < crop || info.Height < crop {
				return "", "", fmt.Errorf("raster: VHR mosaic: %s: want 4 bands and at least %d×%d pixels", p[d], crop, crop)
			}
			abs, err := filepath.Abs(p[d])
			if err != nil {
				return "", "", err
			}
			s[d] = src{abs, info.Width, info.Height}
		}
		if s[0].w != s[1].w || s[0].h != s[1].h {
			return "", "", fmt.Errorf("raster: VHR mosaic: %s and %s are not on one grid", p[0], p[1])
		}
		srcs = append(srcs, s)
	}
	sr, err := godal.NewSpatialRefFromEPSG(4547, gdalErrs)
	if err != nil {
		return "", "", err
	}
	wkt, err := sr.WKT()
	sr.Close()
	if err != nil {
		return "", "", err
	}
	wkt = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(wkt)
	for d := range out {
		var sb strings.Builder
		fmt.Fprintf(&sb, `<VRTDataset rasterXSize="%d" rasterYSize="%d"><SRS>%s</SRS><GeoTransform>480000,%g,0,3400000,0,%g</GeoTransform>`,
			size, size, wkt, pixelM, -pixelM)
		for k, name := range []string{"Blue", "Green", "Red", "Undefined"} {
			fmt.Fprintf(&sb, `<VRTRasterBand dataType="UInt16" band="%d"><ColorInterp>%s</ColorInterp>`, k+1, name)
			if k == 3 {
				sb.WriteString(`<Description>NIR</Description>`)
			}
			for j := 0; j < n; j++ {
				for i := 0; i < n; i++ {
					s := srcs[(i+j*n)%len(srcs)][d]
					ox, oy := (i*131+j*71)%(s.w-crop+1), (i*53+j*97)%(s.h-crop+1)
					fmt.Fprintf(&sb, `<SimpleSource resampling="bilinear"><SourceFilename relativeToVRT="0">%s</SourceFilename><SourceBand>%d</SourceBand><SrcRect xOff="%d" yOff="%d" xSize="%d" ySize="%d"/><DstRect xOff="%d" yOff="%d" xSize="%d" ySize="%d"/></SimpleSource>`,
						s.path, k+1, ox, oy, crop, crop, i*cell, j*cell, cell, cell)
				}
			}
			sb.WriteString(`</VRTRasterBand>`)
		}
		sb.WriteString(`</VRTDataset>`)
		vrt := strings.TrimSuffix(out[d], ".tif") + ".vrt"
		if err := os.WriteFile(vrt, []byte(sb.String()), 0o644); err != nil {
			return "", "", err
		}
		ds, err := godal.Open(vrt, godal.RasterOnly(), gdalErrs, cfg())
		if err != nil {
			return "", "", err
		}
		tmp := out[d] + ".part"
		dst, err := ds.Translate(tmp, []string{"-of", "GTiff", "-co", "TILED=YES", "-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=2",
			"-co", "BIGTIFF=YES", "-co", "NUM_THREADS=2"}, gdalErrs, cfg("GDAL_CACHEMAX=512"))
		ds.Close()
		if err == nil {
			err = dst.Close()
		}
		if err != nil {
			os.Remove(tmp)
			return "", "", fmt.Errorf("raster: VHR mosaic %s: %w", out[d], err)
		}
		if err := os.Rename(tmp, out[d]); err != nil {
			return "", "", err
		}
	}
	return out[0], out[1], nil
}
