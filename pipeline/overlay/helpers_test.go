package overlay_test

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/weipian/weipian/pipeline/geodesy"
)

// Fixtures are drawn in metres in CGCS2000 / 3-degree Gauss-Kruger zone 38
// (EPSG:4526), relative to (e0, n0) near 114.3°E 30.6°N, where ZoneFor puts
// every patch, and inverse-projected to lon/lat, so their true areas are the
// areas of the metre drawings (to the ~2e-9 m of a projection round trip).
var gk38 = geodesy.Zone{Kind: geodesy.GaussKruger3, Number: 38}

const e0, n0 = 38530000.0, 3390000.0

// xy is a point in metres relative to (e0, n0).
type xy = [2]float64

// ring returns the lon/lat ring of the metre points, closed.
func ring(pts ...xy) orb.Ring {
	r := make(orb.Ring, 0, len(pts)+1)
	for _, p := range pts {
		lon, lat := gk38.Inverse(e0+p[0], n0+p[1])
		r = append(r, orb.Point{lon, lat})
	}
	return append(r, r[0])
}

// rect returns the lon/lat ring of the rectangle [x0,x1]×[y0,y1] in metres,
// counter-clockwise.
func rect(x0, y0, x1, y1 float64) orb.Ring {
	return ring(xy{x0, y0}, xy{x1, y0}, xy{x1, y1}, xy{x0, y1})
}

// rev returns r in the opposite orientation.
func rev(r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[len(r)-1-i] = p
	}
	return out
}

// poly returns a polygon of lon/lat rings.
func poly(rings ...orb.Ring) orb.Polygon { return orb.Polygon(rings) }

// ringOf returns the lon/lat ring of metre points given as a slice.
func ringOf(pts []xy) orb.Ring { return ring(pts...) }

// shoelace returns the absolute area of the metre ring pts (not closed).
func shoelace(pts []xy) float64 {
	var s float64
	for i := range pts {
		j := (i + 1) % len(pts)
		s += pts[i][0]*pts[j][1] - pts[j][0]*pts[i][1]
	}
	return math.Abs(s) / 2
}

// near reports whether got is within 1e-9 relative or 1e-5 m² of want
// (a projection round trip moves vertices by ~2e-9 m).
func near(got, want float64) bool {
	return math.Abs(got-want) <= 1e-5+1e-9*math.Abs(want)
}
