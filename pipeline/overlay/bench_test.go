package overlay_test

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/weipian/weipian/pipeline/geodesy"
	"github.com/weipian/weipian/pipeline/overlay"
)

// county is a generated county: a jittered grid of farmland parcels and a
// batch of change patches, in lon/lat near 114°E 30°N (Gauss-Krüger zone
// 38).
type county struct {
	parcels []overlay.Feature
	patches []orb.Polygon
}

// County origin in EPSG:4526 metres: about 113.79°E, 29.81°N.
const countyE, countyN = 38480000.0, 3300000.0

// newCounty generates nx×ny parcels of 500–5000 m² (columns 25–70 m wide,
// rows 20–71.4 m high, corners jittered by up to ±4 m; 10% with an extra
// vertex in the middle of their right edge, a T-junction for the neighbour;
// 2% pushed 1 m into their right neighbour, so they overlap it; 1% drawn
// clockwise) and npatch patches of 200–20 000 m²: 50% random star-shaped
// polygons with 4–60 vertices, 35% staircases of 2 m pixels with 8–56
// vertices, 10% exact copies of a parcel and 5% sharing an edge with a
// parcel. Everything is drawn in metres and inverse-projected; it is
// deterministic for a given seed.
func newCounty(seed uint64, nx, ny, npatch int) county {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	xs := make([]float64, nx+1)
	ys := make([]float64, ny+1)
	for i := 1; i <= nx; i++ {
		xs[i] = xs[i-1] + 25 + 45*rng.Float64()
	}
	for j := 1; j <= ny; j++ {
		ys[j] = ys[j-1] + 20 + 51.4*rng.Float64()
	}
	// Jittered nodes, in metres and in lon/lat.
	nodeM := make([]xy, (nx+1)*(ny+1))
	nodeLL := make([]orb.Point, len(nodeM))
	for j := 0; j <= ny; j++ {
		for i := 0; i <= nx; i++ {
			k := j*(nx+1) + i
			nodeM[k] = xy{xs[i] + 8*(rng.Float64()-0.5), ys[j] + 8*(rng.Float64()-0.5)}
			nodeLL[k] = toLL(nodeM[k])
		}
	}
	node := func(i, j int) int { return j*(nx+1) + i }

	// Parcels, carved out of shared backing arrays.
	n := nx * ny
	pts := make([]orb.Point, 0, 6*n+n/8)
	rings := make([]orb.Ring, n)
	polys := make([]orb.Polygon, n)
	var ids strings.Builder
	ids.Grow(8 * n)
	idEnd := make([]int, n)
	c := county{parcels: make([]overlay.Feature, n)}
	for j := range ny {
		for i := range nx {
			k := j*nx + i
			a, b, cc, d := node(i, j), node(i+1, j), node(i+1, j+1), node(i, j+1)
			start := len(pts)
			u := rng.Float64()
			switch {
			case u < 0.10: // T-junction on the right edge
				m := xy{(nodeM[b][0] + nodeM[cc][0]) / 2, (nodeM[b][1] + nodeM[cc][1]) / 2}
				pts = append(pts, nodeLL[a], nodeLL[b], toLL(m), nodeLL[cc], nodeLL[d])
			case u < 0.12: // overlaps its right neighbour by 1 m
				pb, pc := nodeM[b], nodeM[cc]
				pts = append(pts, nodeLL[a], toLL(xy{pb[0] + 1, pb[1]}), toLL(xy{pc[0] + 1, pc[1]}), nodeLL[d])
			case u < 0.13: // clockwise
				pts = append(pts, nodeLL[a], nodeLL[d], nodeLL[cc], nodeLL[b])
			default:
				pts = append(pts, nodeLL[a], nodeLL[b], nodeLL[cc], nodeLL[d])
			}
			pts = append(pts, pts[start])
			rings[k] = pts[start:len(pts):len(pts)]
			polys[k] = rings[k : k+1 : k+1]
			ids.WriteString("GD")
			ids.WriteString(strconv.Itoa(k))
			idEnd[k] = ids.Len()
			c.parcels[k].Geometry = orb.MultiPolygon(polys[k : k+1 : k+1])
		}
	}
	all := ids.String()
	for k := range c.parcels {
		start := 0
		if k > 0 {
			start = idEnd[k-1]
		}
		c.parcels[k].ID = all[start:idEnd[k]]
	}

	// Patches.
	c.patches = make([]orb.Polygon, npatch)
	w, h := xs[nx], ys[ny]
	for p := range c.patches {
		cx, cy := 100+(w-200)*rng.Float64(), 100+(h-200)*rng.Float64()
		area := 200 + 19800*rng.Float64()
		var m []xy
		u := rng.Float64()
		switch {
		case u < 0.50:
			m = scaleTo(star(rng, xy{cx, cy}, 1, 4+rng.IntN(57)), xy{cx, cy}, area)
		case u < 0.85:
			m = staircase(rng, cx, cy, area)
		case u < 0.95: // a parcel exactly
			k := rng.IntN(n)
			c.patches[p] = c.parcels[k].Geometry[0]
			continue
		default: // on top of a parcel's top edge, half into the parcel above
			i, j := rng.IntN(nx), rng.IntN(ny-1)
			a, b := nodeM[node(i, j+1)], nodeM[node(i+1, j+1)]
			up := (ys[j+2] - ys[j+1]) / 2
			c.patches[p] = orb.Polygon{orb.Ring{nodeLL[node(i, j+1)], nodeLL[node(i+1, j+1)],
				toLL(xy{b[0], b[1] + up}), toLL(xy{a[0], a[1] + up}), nodeLL[node(i, j+1)]}}
			continue
		}
		r := make(orb.Ring, 0, len(m)+1)
		for _, q := range m {
			r = append(r, toLL(q))
		}
		c.patches[p] = orb.Polygon{append(r, r[0])}
	}
	return c
}

// toLL inverse-projects county metres to lon/lat.
func toLL(p xy) orb.Point {
	lon, lat := gk38.Inverse(countyE+p[0], countyN+p[1])
	return orb.Point{lon, lat}
}

// scaleTo scales pts about c so that its area is area.
func scaleTo(pts []xy, c xy, area float64) []xy {
	f := math.Sqrt(area / shoelace(pts))
	for i, p := range pts {
		pts[i] = xy{c[0] + f*(p[0]-c[0]), c[1] + f*(p[1]-c[1])}
	}
	return pts
}

// staircase returns a rectilinear outline of 2 m pixels of about the given
// area around (cx, cy): 2–14 rows of pixels, each shifted and widened at
// random, 4 vertices per row.
func staircase(rng *rand.Rand, cx, cy, area float64) []xy {
	snap := func(v float64) float64 { return 2 * math.Round(v/2) }
	rows := 2 + rng.IntN(13)
	rowH := max(2, snap(math.Sqrt(area)/float64(rows)))
	meanW := area / (rowH * float64(rows))
	left := make([]float64, rows)
	right := make([]float64, rows)
	x := snap(cx - meanW/2)
	for r := range rows {
		x += snap(0.2 * meanW * (rng.Float64() - 0.5))
		left[r] = x
		right[r] = x + max(2, snap(meanW*(0.6+0.8*rng.Float64())))
	}
	y0 := snap(cy - rowH*float64(rows)/2)
	var pts []xy
	for r := range rows { // up the right side
		pts = append(pts, xy{right[r], y0 + rowH*float64(r)}, xy{right[r], y0 + rowH*float64(r+1)})
	}
	for r := rows - 1; r >= 0; r-- { // down the left side
		pts = append(pts, xy{left[r], y0 + rowH*float64(r+1)}, xy{left[r], y0 + rowH*float64(r)})
	}
	return pts
}

// BenchmarkOverlayCounty overlays 100 000 patches with 1 000 000 farmland
// parcels: one op is NewLayer (validation, copy, index) plus OverlayAll on
// all cores. Generating the county is not timed.
func BenchmarkOverlayCounty(b *testing.B) {
	nx, ny, np := 1000, 1000, 100000
	if testing.Short() {
		nx, ny, np = 200, 200, 4000
	}
	t0 := time.Now()
	c := newCounty(1, nx, ny, np)
	b.Logf("generated %d parcels and %d patches in %v", len(c.parcels), len(c.patches), time.Since(t0).Round(time.Millisecond))
	var build, run time.Duration
	var res []overlay.Result
	var ms runtime.MemStats
	for b.Loop() {
		t0 := time.Now()
		l, err := overlay.NewLayer(c.parcels)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		res, err = l.OverlayAll(context.Background(), c.patches, 0)
		if err != nil {
			b.Fatal(err)
		}
		build += t1.Sub(t0)
		run += time.Since(t1)
		runtime.ReadMemStats(&ms)
		runtime.KeepAlive(l)
	}
	b.ReportMetric(build.Seconds()/float64(b.N), "build-s/op")
	b.ReportMetric(run.Seconds()/float64(b.N), "overlay-s/op")
	b.ReportMetric(float64(len(c.patches))/run.Seconds()*float64(b.N), "patches/s")
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
	// Sanity: patches lie on the farmland, so nearly all of their area is
	// covered; Covered never exceeds the patch area.
	var area, covered float64
	for i, r := range res {
		if r.Covered > r.AreaM2 || len(r.Hits) == 0 {
			b.Fatalf("patch %d: %+v", i, r)
		}
		area += r.AreaM2
		covered += r.Covered
	}
	if covered < 0.99*area {
		b.Fatalf("covered %.0f of %.0f m²", covered, area)
	}
	b.Logf("patches: %.0f 亩, covered %.0f 亩", geodesy.Mu(area), geodesy.Mu(covered))
}

// BenchmarkOverlay times one Overlay call for typical patches against a
// 100×100 parcel layer, and for a patch inside a 20 000-vertex township.
func BenchmarkOverlay(b *testing.B) {
	c := newCounty(2, 100, 100, 0)
	l, err := overlay.NewLayer(c.parcels)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	centre := xy{2400, 2300}
	mk := func(m []xy) orb.Polygon {
		r := make(orb.Ring, 0, len(m)+1)
		for _, q := range m {
			r = append(r, toLL(q))
		}
		return orb.Polygon{append(r, r[0])}
	}
	town := make([]xy, 20000)
	for i := range town {
		a := 2 * math.Pi * float64(i) / float64(len(town))
		rad := 3000 + 200*math.Sin(37*a) + 30*rng.Float64()
		town[i] = xy{centre[0] + rad*math.Cos(a), centre[1] + rad*math.Sin(a)}
	}
	townLayer, err := overlay.NewLayer([]overlay.Feature{{ID: "420115001", Geometry: orb.MultiPolygon{mk(town)}}})
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name  string
		layer *overlay.Layer
		patch orb.Polygon
	}{
		{"quad-2000m2", l, mk(scaleTo([]xy{{0, 0}, {1, 0}, {1, 1}, {0, 1}}, xy{0.5, 0.5}, 2000))},
		{"star8-5000m2", l, mk(scaleTo(star(rng, centre, 1, 8), centre, 5000))},
		{"star60-20000m2", l, mk(scaleTo(star(rng, centre, 1, 60), centre, 20000))},
		{"staircase-10000m2", l, mk(staircase(rng, centre[0], centre[1], 10000))},
		{"parcel-copy", l, c.parcels[5050].Geometry[0]},
		{"township-20000v", townLayer, mk(scaleTo(star(rng, centre, 1, 30), centre, 10000))},
		{"township-edge-20000v", townLayer, mk(scaleTo(star(rng, xy{centre[0] + 3000, centre[1]}, 1, 30), xy{centre[0] + 3000, centre[1]}, 10000))},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var r overlay.Result
			for b.Loop() {
				r, err = tc.layer.Overlay(tc.patch)
				if err != nil {
					b.Fatal(err)
				}
			}
			if r.AreaM2 <= 0 || r.Covered <= 0 {
				b.Fatalf("%+v", r)
			}
			b.ReportMetric(float64(len(r.Hits)), "hits")
		})
	}
}
