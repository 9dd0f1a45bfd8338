package geodesy

import (
	"fmt"
	"math"
)

// ZoneKind is the family of a transverse Mercator Zone.
type ZoneKind int

const (
	// GaussKruger3 is a CGCS2000 3-degree Gauss-Krüger zone: central meridian
	// 3°·Number, scale factor 1, false easting Number·10⁶ + 500 000 m (zone
	// prefix), false northing 0 (EPSG:4513..4533 for zones 25..45).
	GaussKruger3 ZoneKind = iota + 1
	// UTM is a WGS 84 UTM zone: central meridian 6°·Number − 183°, scale
	// factor 0.9996, false easting 500 000 m, false northing 0 (north) or
	// 10 000 000 m (south) (EPSG:326xx / 327xx).
	UTM
)

// String returns "gk3" or "utm".
func (k ZoneKind) String() string {
	switch k {
	case GaussKruger3:
		return "gk3"
	case UTM:
		return "utm"
	}
	return fmt.Sprintf("ZoneKind(%d)", int(k))
}

// Zone is a transverse Mercator zone used for areas and lengths.
//
// Forward and Inverse use only Kind, Number and South; CentralMeridian and
// EPSG describe the zone and are filled in by ZoneFor.
type Zone struct {
	Kind            ZoneKind // GaussKruger3 or UTM
	Number          int      // GK 3° zone number (25..45 for China; central meridian = 3*Number), or UTM zone 1..60
	South           bool     // UTM only: southern hemisphere (false northing 10 000 000 m)
	CentralMeridian float64  // degrees east of Greenwich
	EPSG            int      // e.g. 4526 for CGCS2000 / 3-degree Gauss-Kruger zone 38 (with zone prefix in false easting); UTM: 326xx/327xx; 0 if the zone has no such code
}

// Bounds of the zone numbers accepted by Forward and Inverse.
const (
	gkMinZone, gkMaxZone   = 1, 120 // 3° zones around the globe, central meridian 3°..360°
	utmMinZone, utmMaxZone = 1, 60
	// gkChinaMin and gkChinaMax are the zones of CGCS2000 / 3-degree
	// Gauss-Kruger (with zone prefix) that have EPSG codes 4513..4533.
	gkChinaMin, gkChinaMax = 25, 45
)

// gk3Zone returns the CGCS2000 3-degree Gauss-Krüger zone number n.
func gk3Zone(n int) Zone {
	z := Zone{Kind: GaussKruger3, Number: n, CentralMeridian: float64(3 * n)}
	if n >= gkChinaMin && n <= gkChinaMax {
		z.EPSG = 4513 + n - gkChinaMin
	}
	return z
}

// utmZone returns the WGS 84 UTM zone n, north or south.
func utmZone(n int, south bool) Zone {
	z := Zone{Kind: UTM, Number: n, South: south, CentralMeridian: float64(6*n - 183)}
	if n >= utmMinZone && n <= utmMaxZone {
		z.EPSG = 32600 + n
		if south {
			z.EPSG = 32700 + n
		}
	}
	return z
}

// ZoneFor returns the zone in which areas around lon, lat (degrees, WGS84 or
// CGCS2000) are computed: inside China (see InChina) the CGCS2000 3-degree
// Gauss-Krüger zone whose central meridian is nearest to lon, limited to
// zones 25..45 (EPSG:4513..4533); elsewhere the standard WGS 84 UTM zone
// (6° bands from 180°W, south when lat < 0; the Norway and Svalbard exceptions
// are not applied).
func ZoneFor(lon, lat float64) Zone {
	lon = normLon(lon)
	if InChina(lon, lat) {
		n := int(math.Round(lon / 3))
		n = min(max(n, gkChinaMin), gkChinaMax)
		return gk3Zone(n)
	}
	n := int(math.Floor((lon+180)/6)) + 1
	n = min(max(n, utmMinZone), utmMaxZone)
	return utmZone(n, lat < 0)
}

// normLon returns lon (degrees) reduced to [-180, 180).
func normLon(lon float64) float64 {
	if lon >= -180 && lon < 180 {
		return lon
	}
	lon = math.Mod(lon+180, 360)
	if lon < 0 {
		lon += 360
	}
	return lon - 180
}

// params returns the ellipsoid, central meridian (degrees), scale factor and
// false easting/northing (metres) of z, or ok=false if z is not a valid zone.
func (z Zone) params() (ell *tmEllipsoid, lon0, k0, fe, fn float64, ok bool) {
	switch z.Kind {
	case GaussKruger3:
		if z.Number < gkMinZone || z.Number > gkMaxZone {
			return nil, 0, 0, 0, 0, false
		}
		return cgcs2000, float64(3 * z.Number), 1, float64(z.Number)*1e6 + 500000, 0, true
	case UTM:
		if z.Number < utmMinZone || z.Number > utmMaxZone {
			return nil, 0, 0, 0, 0, false
		}
		fn = 0
		if z.South {
			fn = 10000000
		}
		return wgs84, float64(6*z.Number - 183), 0.9996, 500000, fn, true
	}
	return nil, 0, 0, 0, 0, false
}

const deg = math.Pi / 180

// Forward projects lon, lat (degrees, WGS84/CGCS2000) to x (easting) and y
// (northing) in metres in zone z. For GaussKruger3 the easting includes the
// zone prefix, x = Number·10⁶ + 500 000 + E (the EPSG:4513..4533 convention,
// scale factor 1); for UTM x = 500 000 + 0.9996·E and y has a false northing of
// 10 000 000 m in a southern zone. Easting comes first whatever axis order the
// EPSG definition declares. Forward returns NaN, NaN for an invalid zone.
func (z Zone) Forward(lon, lat float64) (x, y float64) {
	ell, lon0, k0, fe, fn, ok := z.params()
	if !ok {
		return math.NaN(), math.NaN()
	}
	e, n := ell.forward(lat*deg, normLon(lon-lon0)*deg)
	return fe + k0*e, fn + k0*n
}

// Inverse is the inverse of Forward: it maps x (easting) and y (northing) in
// metres in zone z to lon, lat in degrees (WGS84/CGCS2000), lon in
// [-180, 180). Inverse returns NaN, NaN for an invalid zone.
func (z Zone) Inverse(x, y float64) (lon, lat float64) {
	ell, lon0, k0, fe, fn, ok := z.params()
	if !ok {
		return math.NaN(), math.NaN()
	}
	phi, dlam := ell.inverse((x-fe)/k0, (y-fn)/k0)
	return normLon(lon0 + dlam/deg), phi / deg
}

// String returns the EPSG-style name of the zone, e.g.
// "CGCS2000 / 3-degree Gauss-Kruger zone 38" or "WGS 84 / UTM zone 31N".
func (z Zone) String() string {
	switch z.Kind {
	case GaussKruger3:
		return fmt.Sprintf("CGCS2000 / 3-degree Gauss-Kruger zone %d", z.Number)
	case UTM:
		h := "N"
		if z.South {
			h = "S"
		}
		return fmt.Sprintf("WGS 84 / UTM zone %d%s", z.Number, h)
	}
	return fmt.Sprintf("invalid zone (%v %d)", z.Kind, z.Number)
}
