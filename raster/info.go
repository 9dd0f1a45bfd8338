package raster

import (
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/airbusgeo/godal"
)

// Info describes a raster file: what Inspect found and validated.
type Info struct {
	Path          string
	Width, Height int
	Bands         int
	DataType      string
	GeoTransform  [6]float64 // GDAL order: x0, dx, rx, y0, ry, dy (CRS units)
	WKT           string     // CRS
	NoData        []float64  // per band; NaN when the band has none
	// BandNames are the roles read from the file (colour interpretation or
	// band descriptions: "R", "G", "B", "NIR"; a band without a role is
	// "bandN"), or nil when no band has a role.
	BandNames []string
	// BandProblem says why the file's band roles cannot be used (two
	// bands claim the same role), or "".
	BandProblem string
	// Date is the acquisition date (YYYY-MM-DD) from the metadata or the
	// file name, or "".
	Date string
	// PixelSize is the ground size of a pixel in metres (mean of width and
	// height; for geographic CRSs, at the image centre).
	PixelSize float64
}

// Inspect opens a raster and checks that weipian can use it: readable by
// GDAL, not empty, georeferenced (an affine geotransform and a CRS), and not
// all nodata. Every failure is an *InputError naming the file.
func Inspect(path string) (Info, error) {
	register()
	info := Info{Path: path}
	ds, err := godal.Open(path, godal.RasterOnly(), gdalErrs, cfg())
	if err != nil {
		return info, inputErr(path, ErrUnreadable, "cannot be read as a raster by GDAL (%v)", err)
	}
	defer ds.Close()
	st := ds.Structure()
	info.Width, info.Height, info.Bands = st.SizeX, st.SizeY, st.NBands
	if info.Width <= 0 || info.Height <= 0 || info.Bands <= 0 {
		return info, inputErr(path, ErrEmpty, "is empty (%d×%d pixels, %d bands)", info.Width, info.Height, info.Bands)
	}
	info.DataType = st.DataType.String()
	if px := int64(info.Width) * int64(info.Height); px > MaxPixels {
		return info, inputErr(path, ErrTooLarge, "is %d×%d pixels (%.3g): more than the %.3g pixels weipian processes in one scene; cut it into scenes first", info.Width, info.Height, float64(px), float64(MaxPixels))
	}
	gt, gterr := ds.GeoTransform(gdalErrs)
	info.WKT = ds.Projection()
	if gterr != nil || gt == [6]float64{0, 1, 0, 0, 0, 1} || info.WKT == "" {
		return info, inputErr(path, ErrNoGeoref, "has no georeferencing: a geotransform and a coordinate reference system are required")
	}
	if gt[1] == 0 || gt[5] == 0 {
		return info, inputErr(path, ErrNoGeoref, "has a degenerate geotransform %v", gt)
	}
	if gt[2] != 0 || gt[4] != 0 {
		return info, inputErr(path, ErrNoGeoref, "is rotated (geotransform %v); warp it north-up first", gt)
	}
	info.GeoTransform = gt
	bands := ds.Bands()
	info.NoData = make([]float64, len(bands))
	for i, b := range bands {
		if nd, ok := b.NoData(); ok {
			info.NoData[i] = nd
		} else {
			info.NoData[i] = math.NaN()
		}
	}
	info.BandNames, info.BandProblem = bandNames(bands)
	info.Date = acquisitionDate(ds, path)
	ps, err := pixelSize(ds, gt, info.Width, info.Height)
	if err != nil {
		return info, inputErr(path, ErrNoGeoref, "pixel size cannot be found in metres: %v", err)
	}
	info.PixelSize = ps
	if err := checkSomeData(ds, info); err != nil {
		return info, err
	}
	return info, nil
}

// MaxPixels is the largest scene (width × height) Inspect accepts: about
// 44,700 pixels square, 20 times the area of a GF-2 PMS scene. Larger
// rasters (or VRTs that claim to be) are refused before any pixel is read.
const MaxPixels = 2_000_000_000

// bandNames reads band roles from colour interpretation or descriptions.
// Bands without a role are named bandN; no role at all gives nil (the
// default order applies); two bands claiming one role are ambiguous.
func bandNames(bands []godal.Band) ([]string, string) {
	names := make([]string, len(bands))
	found := 0
	for i, b := range bands {
		switch b.ColorInterp() {
		case godal.CIRed:
			names[i] = "R"
		case godal.CIGreen:
			names[i] = "G"
		case godal.CIBlue:
			names[i] = "B"
		}
		if names[i] == "" {
			switch strings.ToUpper(strings.TrimSpace(b.Description())) {
			case "R", "RED":
				names[i] = "R"
			case "G", "GREEN":
				names[i] = "G"
			case "B", "BLUE":
				names[i] = "B"
			case "NIR", "N", "NIR1", "NEAR INFRARED", "NEAR-INFRARED":
				names[i] = "NIR"
			}
		}
		if names[i] != "" {
			found++
		}
	}
	if found == 0 {
		return nil, ""
	}
	seen := map[string]int{}
	for i, n := range names {
		if n == "" {
			names[i] = fmt.Sprintf("band%d", i+1)
			continue
		}
		if j, dup := seen[n]; dup {
			return nil, fmt.Sprintf("bands %d and %d are both tagged %s", j+1, i+1, n)
		}
		seen[n] = i
	}
	return names, ""
}

var dateInName = regexp.MustCompile(`(?:^|[^0-9])((?:19|20)[0-9]{2})[-_]?([01][0-9])[-_]?([0-3][0-9])(?:[^0-9]|$)`)

// acquisitionDate looks for the date in common metadata keys, then in the
// file name (e.g. LS20010525.tif, GF2_PMS1_E114.3_N30.6_20240317_L1A.tif).
func acquisitionDate(ds *godal.Dataset, path string) string {
	md := ds.Metadatas()
	for _, k := range []string{"ACQUISITIONDATE", "ACQUISITION_DATE", "DATE_ACQUIRED", "IMAGINGDATE", "IMAGING_DATE", "IMAGE_DATE", "SCENE_DATE", "TIFFTAG_DATETIME"} {
		for mk, v := range md {
			if strings.EqualFold(mk, k) {
				if d := parseDate(v); d != "" {
					return d
				}
			}
		}
	}
	if m := dateInName.FindStringSubmatch(filepath.Base(path)); m != nil {
		return parseDate(m[1] + "-" + m[2] + "-" + m[3])
	}
	return ""
}

func parseDate(s string) string {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006:01:02 15:04:05", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02", "20060102", "2006/01/02"} {
		n := len(layout)
		if len(s) < n && layout != "2006-01-02T15:04:05Z07:00" {
			continue
		}
		cand := s
		if len(s) > n && layout != "2006-01-02T15:04:05Z07:00" {
			cand = s[:n]
		}
		if t, err := time.Parse(layout, cand); err == nil && t.Year() >= 1970 && t.Year() < 2100 {
			return t.Format("2006-01-02")
		}
	}
	return ""
}

// pixelSize returns the ground pixel size in metres.
func pixelSize(ds *godal.Dataset, gt [6]float64, w, h int) (float64, error) {
	sr := ds.SpatialRef()
	defer sr.Close()
	dx, dy := math.Abs(gt[1]), math.Abs(gt[5])
	if sr.Projected() {
		unit, ok := sr.AttrValue("UNIT", 1)
		f := 1.0
		if ok && unit != "" {
			fmt.Sscanf(unit, "%g", &f)
		}
		return (dx + dy) / 2 * f, nil
	}
	if sr.Geographic() {
		lat := gt[3] + gt[5]*float64(h)/2
		const mPerDeg = 111320.0
		return (dx*mPerDeg*math.Cos(lat*math.Pi/180) + dy*mPerDeg) / 2, nil
	}
	return 0, fmt.Errorf("the CRS is neither projected nor geographic")
}

// checkSomeData fails if no pixel of the first band has data (nodata value,
// NaN or masked). It first reads a few small windows spread over the image
// (a handful of blocks to decode, whatever the image's size); only when none
// of them holds data does it read a coarse view of the whole band, which
// decodes every block of an image without overviews.
func checkSomeData(ds *godal.Dataset, info Info) error {
	b := ds.Bands()[0]
	nd := info.NoData[0]
	anyData := func(x, y, bw, bh int, opts ...godal.BandIOOption) (bool, error) {
		buf := make([]float64, bw*bh)
		if err := b.Read(x, y, buf, bw, bh, append(opts, gdalErrs, cfg())...); err != nil {
			return false, inputErr(info.Path, ErrUnreadable, "pixels cannot be read (%v)", err)
		}
		mask := make([]uint8, bw*bh)
		if err := b.MaskBand().Read(x, y, mask, bw, bh, append(opts, gdalErrs, cfg())...); err != nil {
			return false, inputErr(info.Path, ErrUnreadable, "mask cannot be read (%v)", err)
		}
		for i, v := range buf {
			if mask[i] != 0 && !math.IsNaN(v) && v != nd {
				return true, nil
			}
		}
		return false, nil
	}
	const grid, side = 5, 16
	if info.Width >= grid*side && info.Height >= grid*side {
		for j := 0; j < grid; j++ {
			for i := 0; i < grid; i++ {
				x := (2*i + 1) * info.Width / (2 * grid)
				y := (2*j + 1) * info.Height / (2 * grid)
				ok, err := anyData(x-side/2, y-side/2, side, side)
				if ok || err != nil {
					return err
				}
			}
		}
	}
	bw := min(info.Width, 256)
	bh := min(info.Height, 256)
	ok, err := anyData(0, 0, bw, bh, godal.Window(info.Width, info.Height))
	if ok || err != nil {
		return err
	}
	return inputErr(info.Path, ErrAllNoData, "has no valid pixel: every pixel is nodata (or masked)")
}
