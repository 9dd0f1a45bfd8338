package crs

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// Check says whether x, y can be a coordinate in EPSG code epsg, to catch
// geometries in the wrong CRS (longitude/latitude where metres are due, or
// the other way round) before they are written: a geographic CRS (4490,
// 4326) needs longitude in [-180, 180] and latitude in [-90, 90]; a
// Gauss-Krüger zone an easting within 1 000 km of its central meridian
// (with the zone prefix for EPSG:4513–4533) and a northing in
// [-10 000 km, 10 000 km]. Other codes are not checked (nil).
func Check(epsg int, x, y float64) error {
	c, err := FromEPSG(epsg)
	if err != nil {
		return nil
	}
	if c.Geographic() {
		if x < -180 || x > 180 || y < -90 || y > 90 {
			return fmt.Errorf("(%v, %v) is not longitude/latitude, as EPSG:%d needs", x, y, epsg)
		}
		return nil
	}
	z, prefix, _ := c.zone()
	fe := 500000.0
	if prefix {
		fe += float64(z.Number) * 1e6
	}
	if x < fe-5e5 || x >= fe+5e5 || y < -1e7 || y > 1e7 {
		return fmt.Errorf("(%v, %v) is not an easting/northing of EPSG:%d (%s: easting %.0f ± 500 000 m)", x, y, epsg, c.Name(), fe)
	}
	return nil
}

// CheckGeometry applies Check to every point of g, and refuses NaN and
// infinite coordinates whatever the code.
func CheckGeometry(epsg int, g orb.Geometry) error {
	var err error
	check := func(p *orb.Point) {
		if err != nil {
			return
		}
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
			err = fmt.Errorf("point (%v, %v) is not finite", p[0], p[1])
			return
		}
		err = Check(epsg, p[0], p[1])
	}
	if p, ok := g.(orb.Point); ok {
		check(&p)
		return err
	}
	mapPoints(g, check) // check only reads
	return err
}
