package reconcile

import (
	"math"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline/geodesy"
)

// plane projects lon/lat into a Gauss-Krüger zone, shifted to a local origin
// so that coordinates stay small.
type plane struct {
	z      geodesy.Zone
	ox, oy float64
}

func newPlane(center orb.Point) plane {
	z := geodesy.ZoneFor(center[0], center[1])
	x, y := z.Forward(center[0], center[1])
	return plane{z: z, ox: x, oy: y}
}

func (p plane) fwd(lon, lat float64) (x, y float64) {
	x, y = p.z.Forward(lon, lat)
	return x - p.ox, y - p.oy
}

func (p plane) inv(x, y float64) orb.Point {
	lon, lat := p.z.Inverse(x+p.ox, y+p.oy)
	return orb.Point{lon, lat}
}

// xy is a projected point in metres.
type xy struct{ x, y float64 }

// box is a projected bounding box.
type box struct{ minx, miny, maxx, maxy float64 }

func emptyBox() box {
	return box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
}

func (b box) empty() bool { return b.minx > b.maxx || b.miny > b.maxy }

func (b *box) add(x, y float64) {
	b.minx, b.miny = min(b.minx, x), min(b.miny, y)
	b.maxx, b.maxy = max(b.maxx, x), max(b.maxy, y)
}

func (b box) grow(d float64) box { return box{b.minx - d, b.miny - d, b.maxx + d, b.maxy + d} }

// ppoly is a projected polygon: rings[0] is the exterior, the rest holes.
// Rings are closed (first point repeated last) when they have 3 or more
// points; a single-point "ring" stands for a patch known only by its centre.
type ppoly struct {
	rings [][]xy
	bb    box
}

func projectPolygon(p plane, poly orb.Polygon, centroid orb.Point) ppoly {
	out := ppoly{bb: emptyBox()}
	for _, r := range poly {
		if len(r) == 0 {
			continue
		}
		ring := make([]xy, 0, len(r)+1)
		for _, pt := range r {
			x, y := p.fwd(pt[0], pt[1])
			ring = append(ring, xy{x, y})
			out.bb.add(x, y)
		}
		if len(ring) >= 3 && ring[0] != ring[len(ring)-1] {
			ring = append(ring, ring[0])
		}
		out.rings = append(out.rings, ring)
	}
	if len(out.rings) == 0 {
		x, y := p.fwd(centroid[0], centroid[1])
		out.rings = [][]xy{{{x, y}}}
		out.bb.add(x, y)
	}
	return out
}

// contains reports whether (x, y) is inside the polygon (even-odd rule over
// all rings, so holes are excluded).
func (pp *ppoly) contains(x, y float64) bool {
	in := false
	for _, r := range pp.rings {
		if len(r) < 4 {
			continue
		}
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i], r[i+1]
			if (a.y > y) != (b.y > y) {
				xi := a.x + (y-a.y)*(b.x-a.x)/(b.y-a.y)
				if x < xi {
					in = !in
				}
			}
		}
	}
	return in
}

// pointSeg returns the squared distance from p to segment ab and the
// parameter u in [0, 1] of the nearest point on ab.
func pointSeg(p, a, b xy) (d2, u float64) {
	dx, dy := b.x-a.x, b.y-a.y
	l2 := dx*dx + dy*dy
	if l2 > 0 {
		u = ((p.x-a.x)*dx + (p.y-a.y)*dy) / l2
		u = min(max(u, 0), 1)
	}
	qx, qy := a.x+u*dx-p.x, a.y+u*dy-p.y
	return qx*qx + qy*qy, u
}

// pointDist returns the distance in metres from p to the polygon, 0 inside.
func (pp *ppoly) pointDist(p xy) float64 {
	if pp.contains(p.x, p.y) {
		return 0
	}
	best := math.Inf(1)
	for _, r := range pp.rings {
		if len(r) == 1 {
			dx, dy := p.x-r[0].x, p.y-r[0].y
			best = min(best, dx*dx+dy*dy)
			continue
		}
		for i := 0; i+1 < len(r); i++ {
			d2, _ := pointSeg(p, r[i], r[i+1])
			best = min(best, d2)
		}
	}
	return math.Sqrt(best)
}

// segCross returns the parameter t along ab where ab crosses cd, if it does.
func segCross(a, b, c, d xy) (float64, bool) {
	rx, ry := b.x-a.x, b.y-a.y
	sx, sy := d.x-c.x, d.y-c.y
	den := rx*sy - ry*sx
	if den == 0 {
		return 0, false
	}
	qx, qy := c.x-a.x, c.y-a.y
	t := (qx*sy - qy*sx) / den
	u := (qx*ry - qy*rx) / den
	if t < 0 || t > 1 || u < 0 || u > 1 {
		return 0, false
	}
	return t, true
}

// segDist returns the distance in metres from segment ab to the polygon (0
// if they touch) and the parameter u in [0, 1] along ab of the closest
// point (the first contact when they touch).
func (pp *ppoly) segDist(a, b xy) (dist, u float64) {
	if pp.contains(a.x, a.y) {
		return 0, 0
	}
	best, bestU := math.Inf(1), 0.0
	touch, touchU := false, 2.0
	for _, r := range pp.rings {
		if len(r) == 1 {
			d2, uu := pointSeg(r[0], a, b)
			if d2 < best {
				best, bestU = d2, uu
			}
			continue
		}
		for i := 0; i+1 < len(r); i++ {
			c, d := r[i], r[i+1]
			if t, ok := segCross(a, b, c, d); ok {
				touch = true
				touchU = min(touchU, t)
				continue
			}
			if touch {
				continue
			}
			if d2, uu := pointSeg(c, a, b); d2 < best {
				best, bestU = d2, uu
			}
			if d2, _ := pointSeg(a, c, d); d2 < best {
				best, bestU = d2, 0
			}
			if d2, _ := pointSeg(b, c, d); d2 < best {
				best, bestU = d2, 1
			}
		}
	}
	if touch {
		return 0, touchU
	}
	if pp.contains(b.x, b.y) {
		return 0, 1
	}
	return math.Sqrt(best), bestU
}

// lonLatBox is a bounding box in degrees.
type lonLatBox struct{ minLon, minLat, maxLon, maxLat float64 }

func (b lonLatBox) has(lon, lat float64) bool {
	return lon >= b.minLon && lon <= b.maxLon && lat >= b.minLat && lat <= b.maxLat
}

// centroidOf returns the vertex mean of the exterior ring: good enough to
// choose a zone and a projection.
func centroidOf(p orb.Polygon) orb.Point {
	if len(p) == 0 || len(p[0]) == 0 {
		return orb.Point{}
	}
	var sx, sy float64
	r := p[0]
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	for _, pt := range r[:n] {
		sx += pt[0]
		sy += pt[1]
	}
	return orb.Point{sx / float64(n), sy / float64(n)}
}

// inMulti reports whether lon/lat lies in mp (even-odd over each polygon's
// rings, in degrees: adequate for containment tests of small areas).
func inMulti(mp orb.MultiPolygon, pt orb.Point) bool {
	for _, poly := range mp {
		if inPolygonDeg(poly, pt) {
			return true
		}
	}
	return false
}

func inPolygonDeg(poly orb.Polygon, pt orb.Point) bool {
	in := false
	for _, r := range poly {
		n := len(r)
		if n < 3 {
			continue
		}
		for i, j := 0, n-1; i < n; j, i = i, i+1 {
			a, b := r[i], r[j]
			if (a[1] > pt[1]) != (b[1] > pt[1]) {
				xi := a[0] + (pt[1]-a[1])*(b[0]-a[0])/(b[1]-a[1])
				if pt[0] < xi {
					in = !in
				}
			}
		}
	}
	return in
}
