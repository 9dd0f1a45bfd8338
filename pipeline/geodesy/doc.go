// Package geodesy projects WGS84/CGCS2000 longitude/latitude onto the
// Gauss-Krüger and UTM zones used for area computation and computes polygon
// areas in m² and 亩 (mu).
//
// Inside China areas are computed in the CGCS2000 3-degree Gauss-Krüger zone
// whose central meridian is nearest to the geometry (EPSG:4513..4533, false
// easting with the zone-number prefix, e.g. EPSG:4526 = zone 38, central
// meridian 114°E, false easting 38 500 000 m); elsewhere in the WGS 84 UTM zone
// (EPSG:326xx north, 327xx south). The WGS84 and CGCS2000 datums are treated
// as identical (they differ by centimetres), so longitude/latitude in either
// is accepted everywhere; the GK zones use the CGCS2000 ellipsoid and the UTM
// zones the WGS84 ellipsoid.
//
// The transverse Mercator projection is Krüger's series to sixth order in the
// third flattening n, as given by C. F. F. Karney, "Transverse Mercator with an
// accuracy of a few nanometres", J. Geodesy 85(8), 475-485 (2011). It is pure
// Go, deterministic and independent of PROJ; within a zone it agrees with PROJ
// (tmerc, exact algorithm) to well under a millimetre.
//
// Coordinates follow the orb convention throughout: orb.Point{lon, lat} in
// degrees, and projected points as orb.Point{easting, northing} in metres,
// whatever axis order the EPSG definition declares.
package geodesy
