package crs

import "fmt"

const (
	esriCGCS2000 = `GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`
	esriWGS84    = `GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`
)

// ESRIWKT returns the CRS in the ESRI WKT of a Shapefile's .prj, as GDAL
// 3.6 writes it (on one line), e.g.
// PROJCS["CGCS2000_3_Degree_GK_Zone_38",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",…],PROJECTION["Gauss_Kruger"],…].
// GK before Resolve has none ("").
func (c CRS) ESRIWKT() string {
	if c.auto {
		return ""
	}
	switch c.EPSG() {
	case EPSGCGCS2000:
		return esriCGCS2000
	case EPSGWGS84:
		return esriWGS84
	}
	z, prefix, _ := c.zone()
	name := fmt.Sprintf("CGCS2000_3_Degree_GK_Zone_%d", z.Number)
	fe := 500000.0
	if prefix {
		fe += float64(z.Number) * 1e6
	} else {
		name = fmt.Sprintf("CGCS2000_3_Degree_GK_CM_%dE", 3*z.Number)
	}
	return fmt.Sprintf(`PROJCS["%s",%s,PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",%.1f],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",%d.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`,
		name, esriCGCS2000, fe, 3*z.Number)
}
