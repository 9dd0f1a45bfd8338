package overlay

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/weipian/weipian/pipeline/geodesy"
)

// The straight chord of a projected edge, mapped back to lon/lat, stays
// within bulge(L²) of the lon/lat box of its ends (which pads the index
// boxes), for edges up to 2° long anywhere in a zone up to 75° latitude.
func TestBulgeBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	var worst float64 // largest observed excess / bulge
	for range 2000 {
		lon0 := 114.0
		z := geodesy.ZoneFor(lon0, 30)
		if rng.IntN(2) == 0 {
			lon0 = 9
			z = geodesy.ZoneFor(lon0, 50)
		}
		lat := -75 + 150*rng.Float64()
		if z.Kind == geodesy.GaussKruger3 {
			lat = 18 + 35*rng.Float64()
		}
		p := orb.Point{lon0 - 1.5 + 3*rng.Float64(), lat}
		l := 2 * rng.Float64() * rng.Float64()
		a := 2 * math.Pi * rng.Float64()
		q := orb.Point{p[0] + l*math.Cos(a), p[1] + l*math.Sin(a)}
		b := emptyBox()
		b.extend(p[0], p[1])
		b.extend(q[0], q[1])
		px, py := z.Forward(p[0], p[1])
		qx, qy := z.Forward(q[0], q[1])
		var excess float64
		for i := 1; i < 64; i++ {
			f := float64(i) / 64
			lon, lat := z.Inverse(px+f*(qx-px), py+f*(qy-py))
			excess = max(excess, b.minX-lon, lon-b.maxX, b.minY-lat, lat-b.maxY)
		}
		if pad := bulge(sqDist(p, q)); excess > pad {
			t.Errorf("edge %v→%v in %v: strays %.3g° outside its box, pad %.3g°", p, q, z, excess, pad)
		} else {
			worst = max(worst, excess/pad)
		}
	}
	t.Logf("largest excess: %.2f of the pad", worst)
}
