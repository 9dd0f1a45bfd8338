package geodesy

import "math"

// tmOrder is the order, in the third flattening n, of the Krüger series.
const tmOrder = 6

// tmEllipsoid holds the ellipsoid-dependent constants of the Krüger series for
// a transverse Mercator projection with unit scale and no false origin.
type tmEllipsoid struct {
	e     float64              // first eccentricity
	e2m   float64              // 1 - e²
	rectA float64              // rectifying radius A, metres
	alpha [tmOrder + 1]float64 // forward coefficients α1..α6 (index 0 unused)
	beta  [tmOrder + 1]float64 // inverse coefficients β1..β6 (index 0 unused)
}

// newTMEllipsoid returns the series constants for semi-major axis a (metres)
// and flattening f, following Karney (2011) eqs. (14), (35) and (36).
func newTMEllipsoid(a, f float64) *tmEllipsoid {
	n := f / (2 - f)
	n2 := n * n
	n3 := n2 * n
	n4 := n3 * n
	n5 := n4 * n
	n6 := n5 * n
	t := &tmEllipsoid{
		e:     math.Sqrt(f * (2 - f)),
		e2m:   (1 - f) * (1 - f),
		rectA: a / (1 + n) * (1 + n2/4 + n4/64 + n6/256),
	}
	t.alpha[1] = n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180 - 127*n5/288 + 7891*n6/37800
	t.alpha[2] = 13*n2/48 - 3*n3/5 + 557*n4/1440 + 281*n5/630 - 1983433*n6/1935360
	t.alpha[3] = 61*n3/240 - 103*n4/140 + 15061*n5/26880 + 167603*n6/181440
	t.alpha[4] = 49561*n4/161280 - 179*n5/168 + 6601661*n6/7257600
	t.alpha[5] = 34729*n5/80640 - 3418889*n6/1995840
	t.alpha[6] = 212378941 * n6 / 319334400

	t.beta[1] = n/2 - 2*n2/3 + 37*n3/96 - n4/360 - 81*n5/512 + 96199*n6/604800
	t.beta[2] = n2/48 + n3/15 - 437*n4/1440 + 46*n5/105 - 1118711*n6/3870720
	t.beta[3] = 17*n3/480 - 37*n4/840 - 209*n5/4480 + 5569*n6/90720
	t.beta[4] = 4397*n4/161280 - 11*n5/504 - 830251*n6/7257600
	t.beta[5] = 4583*n5/161280 - 108847*n6/3991680
	t.beta[6] = 20648693 * n6 / 638668800
	return t
}

var (
	// cgcs2000 is the CGCS2000 ellipsoid: a = 6378137 m, 1/f = 298.257222101.
	cgcs2000 = newTMEllipsoid(6378137, 1/298.257222101)
	// wgs84 is the WGS84 ellipsoid: a = 6378137 m, 1/f = 298.257223563.
	wgs84 = newTMEllipsoid(6378137, 1/298.257223563)
)

// taup returns tan χ, the tangent of the conformal latitude, given τ = tan φ
// (Karney 2011, eqs. 7-9).
func (t *tmEllipsoid) taup(tau float64) float64 {
	tau1 := math.Hypot(1, tau)
	sig := math.Sinh(t.e * math.Atanh(t.e*tau/tau1))
	return math.Hypot(1, sig)*tau - sig*tau1
}

// tau inverts taup by Newton's method (Karney 2011, eqs. 19-21).
func (t *tmEllipsoid) tau(taup float64) float64 {
	tau := taup / t.e2m
	if math.IsInf(taup, 0) || math.IsNaN(taup) {
		return taup
	}
	for range 10 {
		tp := t.taup(tau)
		d := (taup - tp) * (1 + t.e2m*tau*tau) /
			(t.e2m * math.Hypot(1, tau) * math.Hypot(1, tp))
		tau += d
		if math.Abs(d) <= 1e-15*math.Max(1, math.Abs(tau)) {
			break
		}
	}
	return tau
}

// clenshaw returns Σ_{j=1..6} c[j]·sin(2jζ) for complex ζ given sin 2ζ and
// cos 2ζ, by Clenshaw summation.
func clenshaw(c *[tmOrder + 1]float64, sin2, cos2 complex128) complex128 {
	y := 2 * cos2
	var b1, b2 complex128
	for j := tmOrder; j >= 1; j-- {
		b1, b2 = complex(c[j], 0)+y*b1-b2, b1
	}
	return b1 * sin2
}

// sincos2 returns sin 2ζ and cos 2ζ for ζ = xi + i·eta.
func sincos2(xi, eta float64) (sin2, cos2 complex128) {
	s, c := math.Sincos(2 * xi)
	sh, ch := math.Sinh(2*eta), math.Cosh(2*eta)
	return complex(s*ch, c*sh), complex(c*ch, -s*sh)
}

// forward maps latitude and longitude difference from the central meridian
// (both radians) to (easting, northing) in metres for scale 1 and no false
// origin.
func (t *tmEllipsoid) forward(lat, dlon float64) (x, y float64) {
	tp := t.taup(math.Tan(lat))
	slam, clam := math.Sincos(dlon)
	xip := math.Atan2(tp, clam)
	etap := math.Asinh(slam / math.Hypot(tp, clam))
	s2, c2 := sincos2(xip, etap)
	d := clenshaw(&t.alpha, s2, c2)
	return t.rectA * (etap + imag(d)), t.rectA * (xip + real(d))
}

// inverse maps (easting, northing) in metres for scale 1 and no false origin
// back to latitude and longitude difference from the central meridian, both
// in radians.
func (t *tmEllipsoid) inverse(x, y float64) (lat, dlon float64) {
	xi, eta := y/t.rectA, x/t.rectA
	s2, c2 := sincos2(xi, eta)
	d := clenshaw(&t.beta, s2, c2)
	xip, etap := xi-real(d), eta-imag(d)
	sxip, cxip := math.Sincos(xip)
	shetap := math.Sinh(etap)
	taup := sxip / math.Hypot(shetap, cxip)
	return math.Atan(t.tau(taup)), math.Atan2(shetap, cxip)
}
