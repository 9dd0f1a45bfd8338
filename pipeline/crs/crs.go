// Package crs is the output coordinate reference system of weipian's
// vector outputs (exports, reconciliation tables, 下发 packages): CGCS2000
// longitude/latitude (EPSG:4490, the default of the practice), a CGCS2000
// 3-degree Gauss-Krüger zone (EPSG:4513–4533 with the zone number in the
// false easting, EPSG:4534–4554 without it), the zone of the data ("gk"),
// or WGS 84 (EPSG:4326). It is pure Go: the projection is
// pipeline/geodesy's (Krüger series, agreeing with PROJ to well under a
// millimetre), and nothing calls GDAL.
//
// weipian keeps geometries in WGS 84 longitude/latitude. CGCS2000 and WGS 84
// (as GNSS realises it today) coincide within a few centimetres, and PROJ
// too converts between EPSG:4326 and EPSG:4490 with a null transformation,
// so WGS 84 coordinates are written unchanged as CGCS2000 ones and projected
// into the Gauss-Krüger zones as CGCS2000 coordinates. Coordinates follow
// the orb convention (x first: longitude or easting) whatever axis order the
// EPSG definition declares.
package crs

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/geodesy"
)

// EPSG codes of the CRSs this package writes.
const (
	EPSGCGCS2000 = 4490 // CGCS2000 longitude/latitude
	EPSGWGS84    = 4326 // WGS 84 longitude/latitude
	// EPSG:4513–4533: CGCS2000 / 3-degree Gauss-Kruger zone 25–45 (central
	// meridian 3°·zone, false easting zone·10⁶ + 500 000 m).
	EPSGGKZoneFirst, EPSGGKZoneLast = 4513, 4533
	// EPSG:4534–4554: CGCS2000 / 3-degree Gauss-Kruger CM 75E–135E (false
	// easting 500 000 m, no zone prefix).
	EPSGGKCMFirst, EPSGGKCMLast = 4534, 4554
)

// Zones of the CGCS2000 3-degree Gauss-Krüger CRSs with EPSG codes.
const (
	firstZone, lastZone = 25, 45
)

// ErrUnknown is a CRS name or code this package does not write. It matches
// pipeline.ErrInvalid.
var ErrUnknown = fmt.Errorf("crs: unknown output CRS: %w", pipeline.ErrInvalid)

// ErrNoZone is the Gauss-Krüger zone of data that lies outside zones 25–45
// (73.5°E–136.5°E), or of no data. It matches pipeline.ErrInvalid.
var ErrNoZone = fmt.Errorf("crs: no CGCS2000 3-degree Gauss-Kruger zone: %w", pipeline.ErrInvalid)

// CRS is an output CRS. The zero value is CGCS2000 longitude/latitude
// (EPSG:4490).
type CRS struct {
	epsg int  // 0 with auto false: 4490
	auto bool // the Gauss-Krüger zone of the data, not resolved yet
}

// The CRSs with names.
var (
	CGCS2000 = CRS{epsg: EPSGCGCS2000}
	WGS84    = CRS{epsg: EPSGWGS84}
	// GK is the CGCS2000 3-degree Gauss-Krüger zone of the data, with the
	// zone prefix (EPSG:4513–4533); Resolve chooses it.
	GK = CRS{auto: true}
)

// Names lists the accepted spellings, for help texts and errors.
const Names = `4490 or EPSG:4490 (CGCS2000, default), gk (the 3-degree Gauss-Krüger zone of the data, EPSG:4513–4533), EPSG:4513–4533 (3-degree GK zone 25–45, zone prefix), EPSG:4534–4554 (3-degree GK CM 75E–135E, no prefix), 4326 or wgs84`

// Parse reads an output CRS from a flag or configuration value: "4490",
// "EPSG:4490" or "cgcs2000"; "gk" (or "gk3"); "EPSG:4513"…"EPSG:4554" (or
// the bare number); "4326", "EPSG:4326" or "wgs84". Case and surrounding
// space do not matter.
func Parse(s string) (CRS, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "cgcs2000", "cgcs 2000":
		return CGCS2000, nil
	case "wgs84", "wgs 84", "wgs-84":
		return WGS84, nil
	case "gk", "gk3":
		return GK, nil
	}
	num := strings.TrimPrefix(t, "epsg:")
	if n, err := strconv.Atoi(num); err == nil && num != "" && num[0] != '+' && num[0] != '-' {
		if c, err := FromEPSG(n); err == nil {
			return c, nil
		}
	}
	return CRS{}, fmt.Errorf("%w %q: want %s", ErrUnknown, s, Names)
}

// FromEPSG returns the CRS of an EPSG code: 4490, 4326 or 4513–4554.
func FromEPSG(code int) (CRS, error) {
	switch {
	case code == EPSGCGCS2000, code == EPSGWGS84,
		code >= EPSGGKZoneFirst && code <= EPSGGKCMLast:
		return CRS{epsg: code}, nil
	}
	return CRS{}, fmt.Errorf("%w EPSG:%d: want %s", ErrUnknown, code, Names)
}

// ZoneOf returns the CGCS2000 3-degree Gauss-Krüger zone, with zone
// prefix, that holds longitude lon: zone n covers [3n−1.5°, 3n+1.5°), so a
// point on a border belongs to the zone east of it. Zones 25–45 (73.5°E to
// 136.5°E) have EPSG codes; other longitudes give ErrNoZone.
func ZoneOf(lon float64) (CRS, error) {
	if math.IsNaN(lon) || math.IsInf(lon, 0) {
		return CRS{}, fmt.Errorf("%w: longitude %v", ErrNoZone, lon)
	}
	n := int(math.Floor((lon + 1.5) / 3))
	if n < firstZone || n > lastZone {
		return CRS{}, fmt.Errorf("%w: longitude %.6f°E is outside zones %d–%d (73.5°E–136.5°E); choose 4490 or a zone explicitly", ErrNoZone, lon, firstZone, lastZone)
	}
	return CRS{epsg: EPSGGKZoneFirst + n - firstZone}, nil
}

// Centre returns the centroid of geometries in longitude/latitude: the
// area-weighted centroid of their polygons, or when there are none the mean
// of all their vertices. ok is false when there is nothing to take it from.
func Centre(gs ...orb.Geometry) (c orb.Point, ok bool) {
	var sx, sy, sa float64
	var vx, vy float64
	var n int
	for _, g := range gs {
		if g == nil {
			continue
		}
		var polys orb.MultiPolygon
		switch p := g.(type) {
		case orb.Polygon:
			polys = orb.MultiPolygon{p}
		case orb.MultiPolygon:
			polys = p
		case orb.Collection:
			if cc, ok := Centre(p...); ok {
				vx, vy, n = vx+cc[0], vy+cc[1], n+1
			}
			continue
		}
		for _, p := range polys {
			pc, a := planar.CentroidArea(p)
			if a = math.Abs(a); a > 0 {
				sx, sy, sa = sx+pc[0]*a, sy+pc[1]*a, sa+a
			}
		}
		mapPoints(orb.Clone(g), func(p *orb.Point) { vx, vy, n = vx+p[0], vy+p[1], n+1 })
		if pt, ok := g.(orb.Point); ok {
			vx, vy, n = vx+pt[0], vy+pt[1], n+1
		}
	}
	switch {
	case sa > 0:
		c = orb.Point{sx / sa, sy / sa}
	case n > 0:
		c = orb.Point{vx / float64(n), vy / float64(n)}
	default:
		return orb.Point{}, false
	}
	if math.IsNaN(c[0]) || math.IsNaN(c[1]) {
		return orb.Point{}, false
	}
	return c, true
}

// Resolve returns the CRS to write geometries gs (WGS 84 longitude/
// latitude) in: for GK, the zone of their centroid (see Centre and ZoneOf);
// any other CRS unchanged. It fails only for GK, when gs hold nothing or
// their centroid lies outside zones 25–45.
func (c CRS) Resolve(gs ...orb.Geometry) (CRS, error) {
	if !c.auto {
		return c, nil
	}
	ctr, ok := Centre(gs...)
	if !ok {
		return CRS{}, fmt.Errorf("%w: no geometry to choose the zone from", ErrNoZone)
	}
	return ZoneOf(ctr[0])
}

// ResolveAt is Resolve for data centred at lon (degrees).
func (c CRS) ResolveAt(lon float64) (CRS, error) {
	if !c.auto {
		return c, nil
	}
	return ZoneOf(lon)
}

// EPSG returns the EPSG code, or 0 for GK before Resolve.
func (c CRS) EPSG() int {
	switch {
	case c.auto:
		return 0
	case c.epsg == 0:
		return EPSGCGCS2000
	}
	return c.epsg
}

// IsAuto reports whether c is GK: the zone of the data, not yet resolved.
func (c CRS) IsAuto() bool { return c.auto }

// Geographic reports whether c is longitude/latitude (4490 or 4326).
func (c CRS) Geographic() bool {
	e := c.EPSG()
	return e == EPSGCGCS2000 || e == EPSGWGS84
}

// IsWGS84 reports whether c is EPSG:4326.
func (c CRS) IsWGS84() bool { return c.EPSG() == EPSGWGS84 }

// zone returns the Gauss-Krüger zone of c and whether its easting carries
// the zone prefix; ok is false for a geographic or unresolved CRS.
func (c CRS) zone() (z geodesy.Zone, prefix, ok bool) {
	e := c.EPSG()
	switch {
	case e >= EPSGGKZoneFirst && e <= EPSGGKZoneLast:
		return geodesy.Zone{Kind: geodesy.GaussKruger3, Number: firstZone + e - EPSGGKZoneFirst}, true, true
	case e >= EPSGGKCMFirst && e <= EPSGGKCMLast:
		return geodesy.Zone{Kind: geodesy.GaussKruger3, Number: firstZone + e - EPSGGKCMFirst}, false, true
	}
	return geodesy.Zone{}, false, false
}

// String returns "EPSG:4526", or "gk" for GK before Resolve.
func (c CRS) String() string {
	if c.auto {
		return "gk"
	}
	return "EPSG:" + strconv.Itoa(c.EPSG())
}

// Name returns the EPSG name, e.g. "CGCS2000", "WGS 84", "CGCS2000 /
// 3-degree Gauss-Kruger zone 38", "CGCS2000 / 3-degree Gauss-Kruger CM
// 114E".
func (c CRS) Name() string {
	if c.auto {
		return "CGCS2000 / 3-degree Gauss-Kruger zone of the data"
	}
	switch c.EPSG() {
	case EPSGCGCS2000:
		return "China Geodetic Coordinate System 2000"
	case EPSGWGS84:
		return "WGS 84"
	}
	z, prefix, _ := c.zone()
	if prefix {
		return fmt.Sprintf("CGCS2000 / 3-degree Gauss-Kruger zone %d", z.Number)
	}
	return fmt.Sprintf("CGCS2000 / 3-degree Gauss-Kruger CM %dE", 3*z.Number)
}

// URN returns the OGC URN of the CRS, as GDAL writes it in a GeoJSON "crs"
// member: "urn:ogc:def:crs:EPSG::4490". GK before Resolve has none ("").
func (c CRS) URN() string {
	if c.auto {
		return ""
	}
	return "urn:ogc:def:crs:EPSG::" + strconv.Itoa(c.EPSG())
}

// Decimals returns the number of decimals coordinates of c are written
// with: 7 for longitude/latitude (1e-7° ≈ 1 cm), 3 for a Gauss-Krüger zone
// (1 mm).
func (c CRS) Decimals() int {
	if c.Geographic() {
		return 7
	}
	return 3
}

// errUnresolved is Forward on GK before Resolve.
var errUnresolved = errors.New("crs: the Gauss-Kruger zone of the data is not chosen yet (call Resolve)")

// Forward converts lon, lat (degrees, WGS 84 = CGCS2000) to x, y in c:
// unchanged for a geographic CRS, easting and northing in metres for a
// Gauss-Krüger zone. It returns NaN, NaN for GK before Resolve.
func (c CRS) Forward(lon, lat float64) (x, y float64) {
	if c.auto {
		return math.NaN(), math.NaN()
	}
	z, prefix, ok := c.zone()
	if !ok {
		return lon, lat
	}
	x, y = z.Forward(lon, lat)
	if !prefix {
		x -= float64(z.Number) * 1e6
	}
	return x, y
}

// Inverse converts x, y in c back to lon, lat in degrees.
func (c CRS) Inverse(x, y float64) (lon, lat float64) {
	if c.auto {
		return math.NaN(), math.NaN()
	}
	z, prefix, ok := c.zone()
	if !ok {
		return x, y
	}
	if !prefix {
		x += float64(z.Number) * 1e6
	}
	return z.Inverse(x, y)
}

// Project returns a copy of g (WGS 84 longitude/latitude) with every point
// converted by Forward; g is not modified. It fails for GK before Resolve.
// A geographic CRS returns a copy with the same coordinates.
func (c CRS) Project(g orb.Geometry) (orb.Geometry, error) {
	if c.auto {
		return nil, errUnresolved
	}
	if g == nil {
		return nil, nil
	}
	out := orb.Clone(g)
	if _, _, ok := c.zone(); !ok {
		return out, nil
	}
	if p, ok := out.(orb.Point); ok {
		p[0], p[1] = c.Forward(p[0], p[1])
		return p, nil
	}
	mapPoints(out, func(p *orb.Point) {
		p[0], p[1] = c.Forward(p[0], p[1])
	})
	return out, nil
}

// ProjectPolygon is Project for a polygon.
func (c CRS) ProjectPolygon(p orb.Polygon) (orb.Polygon, error) {
	g, err := c.Project(p)
	if err != nil || g == nil {
		return nil, err
	}
	return g.(orb.Polygon), nil
}

// mapPoints applies f to every point of g in place.
func mapPoints(g orb.Geometry, f func(*orb.Point)) {
	ring := func(r []orb.Point) {
		for i := range r {
			f(&r[i])
		}
	}
	switch g := g.(type) {
	case orb.MultiPoint:
		ring(g)
	case orb.LineString:
		ring(g)
	case orb.Ring:
		ring(g)
	case orb.MultiLineString:
		for _, l := range g {
			ring(l)
		}
	case orb.Polygon:
		for _, r := range g {
			ring(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				ring(r)
			}
		}
	case orb.Collection:
		for i := range g {
			if p, ok := g[i].(orb.Point); ok {
				f(&p)
				g[i] = p
				continue
			}
			mapPoints(g[i], f)
		}
	}
}
