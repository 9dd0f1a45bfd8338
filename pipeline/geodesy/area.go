package geodesy

import (
	"math"

	"github.com/paulmach/orb"
)

// SquareMetresPerMu is the area of one 亩 (mu) in square metres: exactly
// 10000/15 m² = 666.666… m² (15 亩 = 1 hectare).
const SquareMetresPerMu = 10000.0 / 15.0

// Mu converts an area from square metres to 亩 (mu).
func Mu(m2 float64) float64 {
	return m2 / SquareMetresPerMu
}

// Area returns the area in m² of polygon p, whose points are orb.Point{lon,
// lat} in degrees (WGS84/CGCS2000), as the planar shoelace area of its
// vertices projected into zone z: the exterior ring minus the holes. Each
// ring's area is taken as an absolute value, so ring orientation does not
// matter; rings may be closed (first point repeated) or not. Edges are
// straight lines in the projected plane, not geodesics.
func Area(z Zone, p orb.Polygon) float64 {
	if len(p) == 0 {
		return 0
	}
	a := ringArea(z, p[0])
	for _, h := range p[1:] {
		a -= ringArea(z, h)
	}
	return a
}

// AreaMulti returns the sum of Area(z, p) over the polygons of mp, in m².
func AreaMulti(z Zone, mp orb.MultiPolygon) float64 {
	var a float64
	for _, p := range mp {
		a += Area(z, p)
	}
	return a
}

// ringArea returns the absolute shoelace area in m² of ring r (lon/lat
// degrees) projected into zone z. Coordinates are taken relative to the first
// projected vertex so that the large false easting does not cost precision.
func ringArea(z Zone, r orb.Ring) float64 {
	if len(r) < 3 {
		return 0
	}
	x0, y0 := z.Forward(r[0][0], r[0][1])
	var sum, px, py float64 // previous vertex relative to (x0, y0); starts at 0, 0
	for _, pt := range r[1:] {
		x, y := z.Forward(pt[0], pt[1])
		x -= x0
		y -= y0
		sum += px*y - x*py
		px, py = x, y
	}
	// Closing edge back to the first vertex (0, 0) contributes nothing.
	return math.Abs(sum) / 2
}

// ProjectPolygon returns a new polygon with every point of p (orb.Point{lon,
// lat} in degrees) projected into zone z as orb.Point{easting, northing} in
// metres (see Zone.Forward). p is not modified.
func ProjectPolygon(z Zone, p orb.Polygon) orb.Polygon {
	if p == nil {
		return nil
	}
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		if r == nil {
			continue
		}
		q := make(orb.Ring, len(r))
		for j, pt := range r {
			x, y := z.Forward(pt[0], pt[1])
			q[j] = orb.Point{x, y}
		}
		out[i] = q
	}
	return out
}
