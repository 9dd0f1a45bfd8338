package overlay

import (
	"fmt"
	"math"
	"sync"

	"github.com/paulmach/orb"
	"github.com/weipian/weipian/pipeline/geodesy"
)

// Feature is one polygon of a zone layer: a 耕地 parcel, a 永久基本农田 block,
// an approval (批准用地), a patrol zone, a township.
type Feature struct {
	// ID identifies the feature in Hit.ID (e.g. the parcel's BSM or the
	// township's XZQDM). It must be non-empty and unique within a layer.
	ID string
	// Geometry is in WGS84/CGCS2000 lon/lat degrees (orb.Point{lon, lat}).
	// Rings must be closed; either orientation is accepted.
	Geometry orb.MultiPolygon
}

// Option configures NewLayer.
type Option func(*options)

type options struct {
	minHitArea    float64
	largeVertices int
}

// Defaults of the options.
const (
	// DefaultMinHitArea is the default of WithMinHitArea, in m²: one square
	// centimetre, far below what any imagery resolves and far above the
	// rounding noise of shared edges.
	DefaultMinHitArea = 1e-4
	// defaultLargeVertices is the vertex count above which a feature is
	// projected once per zone and given its own edge index instead of being
	// projected for every patch that comes near it.
	defaultLargeVertices = 64
)

// WithMinHitArea sets the overlap area in m² up to which a feature is left
// out of Result.Hits (its area still counts in Result.Covered). The default
// is DefaultMinHitArea; 0 lists every feature with a positive overlap area.
// Features that only touch the patch have an overlap area of 0 and are never
// listed.
func WithMinHitArea(m2 float64) Option {
	return func(o *options) { o.minHitArea = max(m2, 0) }
}

// withLargeVertices sets the vertex count above which a feature takes the
// per-zone prepared path (tests use it to run both paths on the same data).
func withLargeVertices(n int) Option {
	return func(o *options) { o.largeVertices = n }
}

// Layer is an immutable set of zone polygons indexed for overlay. It keeps
// its own compact copy of the geometries, so the caller may reuse the
// features passed to NewLayer; features with more than 64 vertices are also
// kept projected into each zone a patch has needed them in, for the life of
// the Layer. A Layer is safe for concurrent use by multiple goroutines. The
// zero value is not usable; call NewLayer.
type Layer struct {
	ids       []string
	pts       []orb.Point // ring vertices in lon/lat, closing point dropped
	ringStart []int32     // ring r is pts[ringStart[r]:ringStart[r+1]]
	hole      []bool      // ring r is an interior ring
	featStart []int32     // feature f has rings featStart[f]..featStart[f+1]-1
	index     *rtree      // feature boxes in lon/lat, padded (see bulge)
	opts      options

	mu       sync.Mutex
	prepared map[prepKey]*prepared // large features projected per zone
	scratch  sync.Pool             // *scratch
}

// NewLayer validates the features and builds the layer and its spatial
// index. Every ring must be closed, have finite lon/lat coordinates in range,
// at least 3 distinct points and a non-zero area; every ID must be non-empty
// and unique. The error names the first offending feature by ID and position
// and is an *InvalidError matching ErrInvalid. Self-intersections and holes
// outside their exterior ring are not detected: such a polygon counts as the
// region of positive winding number (see the package documentation).
func NewLayer(features []Feature, opts ...Option) (*Layer, error) {
	o := options{minHitArea: DefaultMinHitArea, largeVertices: defaultLargeVertices}
	for _, opt := range opts {
		opt(&o)
	}
	var nPts, nRings int
	for i, f := range features {
		if f.ID == "" {
			return nil, &InvalidError{Index: i, Polygon: -1, Ring: -1, Problem: "empty ID"}
		}
		if err := validateMulti(f.Geometry); err != nil {
			err.Feature, err.Index = f.ID, i
			return nil, err
		}
		for _, p := range f.Geometry {
			nRings += len(p)
			for _, r := range p {
				nPts += len(r) - 1
			}
		}
	}
	if nPts > math.MaxInt32 {
		return nil, fmt.Errorf("overlay: %d vertices in the layer, at most %d: %w", nPts, math.MaxInt32, ErrInvalid)
	}
	seen := make(map[string]int, len(features))
	for i, f := range features {
		if j, dup := seen[f.ID]; dup {
			return nil, &InvalidError{Feature: f.ID, Index: i, Polygon: -1, Ring: -1,
				Problem: fmt.Sprintf("duplicate ID, also feature #%d", j)}
		}
		seen[f.ID] = i
	}
	seen = nil

	l := &Layer{
		ids:       make([]string, len(features)),
		pts:       make([]orb.Point, 0, nPts),
		ringStart: make([]int32, 1, nRings+1),
		hole:      make([]bool, 0, nRings),
		featStart: make([]int32, 1, len(features)+1),
		opts:      o,
		prepared:  make(map[prepKey]*prepared),
	}
	boxes := make([]box, len(features))
	for i, f := range features {
		l.ids[i] = f.ID
		b := emptyBox()
		var longest float64
		for _, p := range f.Geometry {
			for k, r := range p {
				r = r[:len(r)-1]
				prev := r[len(r)-1]
				for _, pt := range r {
					b.extend(pt[0], pt[1])
					longest = max(longest, sqDist(prev, pt))
					prev = pt
				}
				l.pts = append(l.pts, r...)
				l.ringStart = append(l.ringStart, int32(len(l.pts)))
				l.hole = append(l.hole, k > 0)
			}
		}
		l.featStart = append(l.featStart, int32(len(l.hole)))
		boxes[i] = b.pad(bulge(longest))
	}
	l.index = newRTree(boxes)
	return l, nil
}

// Len returns the number of features in the layer.
func (l *Layer) Len() int { return len(l.ids) }

// bulge returns how far, in degrees, the projected straight edge between two
// vertices sq degrees² apart may stray from their lon/lat bounding box once
// mapped back to lon/lat. For a transverse Mercator zone the chord of an edge
// of length L (radians) departs from it by about tan(φ)·L²/8; 0.02·L² (L in
// degrees) covers latitudes up to about 80°, and the constant covers rounding.
func bulge(sq float64) float64 {
	return 0.02*sq + 1e-9
}

func sqDist(a, b orb.Point) float64 {
	dx, dy := a[0]-b[0], a[1]-b[1]
	return dx*dx + dy*dy
}

// validateMulti checks every ring of mp; see NewLayer for the rules. The
// returned error has Feature and Index unset.
func validateMulti(mp orb.MultiPolygon) *InvalidError {
	if len(mp) == 0 {
		return &InvalidError{Index: -1, Polygon: -1, Ring: -1, Problem: "no polygons"}
	}
	for i, p := range mp {
		if len(p) == 0 {
			return &InvalidError{Index: -1, Polygon: i, Ring: -1, Problem: "polygon has no rings"}
		}
		for k, r := range p {
			if problem := checkRing(r); problem != "" {
				return &InvalidError{Index: -1, Polygon: i, Ring: k, Problem: problem}
			}
		}
	}
	return nil
}

// checkRing returns what is wrong with r, or "".
func checkRing(r orb.Ring) string {
	if len(r) < 4 {
		return fmt.Sprintf("ring has %d points, want at least 4 (closed, 3 distinct)", len(r))
	}
	for i, p := range r {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
			return fmt.Sprintf("point %d is not finite: %v", i, p)
		}
		if p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
			return fmt.Sprintf("point %d is not lon/lat degrees: %v", i, p)
		}
	}
	if r[0] != r[len(r)-1] {
		return "ring is not closed"
	}
	// Three distinct points: the first, one that differs from it, and one
	// that differs from both.
	a := r[0]
	var b orb.Point
	distinct := 1
	for _, p := range r[1:] {
		if distinct == 1 && p != a {
			b = p
			distinct = 2
		} else if distinct == 2 && p != a && p != b {
			distinct = 3
			break
		}
	}
	if distinct < 3 {
		return fmt.Sprintf("ring has %d distinct points, want at least 3", distinct)
	}
	// Shoelace relative to the first point.
	var s float64
	for i := 1; i+1 < len(r); i++ {
		s += (r[i][0]-a[0])*(r[i+1][1]-a[1]) - (r[i+1][0]-a[0])*(r[i][1]-a[1])
	}
	if s == 0 {
		return "ring has zero area"
	}
	return ""
}

// prepKey identifies a large feature projected into one zone.
type prepKey struct {
	feature int32
	kind    geodesy.ZoneKind
	number  int
	south   bool
}

// prepared is a large feature projected into one zone, with an index over
// its edges, built once on first use.
type prepared struct {
	once  sync.Once
	pts   []orb.Point // projected vertices (easting, northing), metres
	edges []prepEdge
	tree  *rtree // over the edges' projected boxes
}

// prepEdge is an edge of a prepared feature: from pts[a] to pts[b], with
// the winding multiplier of its ring (+1 exterior, −1 hole, orientation
// folded in).
type prepEdge struct {
	a, b int32
	mult int32
}

// prepare returns feature f projected into zone z, building it on first use.
func (l *Layer) prepare(f int32, z geodesy.Zone) *prepared {
	key := prepKey{feature: f, kind: z.Kind, number: z.Number, south: z.South}
	l.mu.Lock()
	p := l.prepared[key]
	if p == nil {
		p = &prepared{}
		l.prepared[key] = p
	}
	l.mu.Unlock()
	p.once.Do(func() { p.build(l, f, z) })
	return p
}

func (p *prepared) build(l *Layer, f int32, z geodesy.Zone) {
	r0, r1 := l.featStart[f], l.featStart[f+1]
	p0, p1 := l.ringStart[r0], l.ringStart[r1]
	p.pts = make([]orb.Point, p1-p0)
	for i, pt := range l.pts[p0:p1] {
		x, y := z.Forward(pt[0], pt[1])
		p.pts[i] = orb.Point{x, y}
	}
	var boxes []box
	for r := r0; r < r1; r++ {
		s, e := l.ringStart[r]-p0, l.ringStart[r+1]-p0
		ring := p.pts[s:e]
		mult := ringMult(ring, l.hole[r])
		if mult == 0 {
			continue
		}
		for i := range ring {
			j := i + 1
			if j == len(ring) {
				j = 0
			}
			a, b := ring[i], ring[j]
			if a[0] == b[0] {
				continue // vertical: bounds no slab
			}
			p.edges = append(p.edges, prepEdge{a: s + int32(i), b: s + int32(j), mult: mult})
			bx := emptyBox()
			bx.extend(a[0], a[1])
			bx.extend(b[0], b[1])
			boxes = append(boxes, bx)
		}
	}
	p.tree = newRTree(boxes)
}

// ringMult returns the winding multiplier of a ring: +1 for an exterior ring
// and −1 for a hole, times the sign of its signed area in the plane of pts
// (so that crossing it from outside to inside always adds +1 for an
// exterior ring); 0 for a ring of zero area.
func ringMult(pts []orb.Point, hole bool) int32 {
	if len(pts) < 3 {
		return 0
	}
	o := pts[0]
	var s float64
	for i := 1; i+1 < len(pts); i++ {
		s += (pts[i][0]-o[0])*(pts[i+1][1]-o[1]) - (pts[i+1][0]-o[0])*(pts[i][1]-o[1])
	}
	var m int32
	switch {
	case s > 0:
		m = 1
	case s < 0:
		m = -1
	}
	if hole {
		m = -m
	}
	return m
}
