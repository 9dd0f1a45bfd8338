// Package reconcile checks the ground patrol (动态巡查) against the satellite
// change patches (图斑) of 卫片执法: for each 图斑 it decides whether a patrol
// had already found it (巡查已发现), should have found it because a patrol
// passed within sight after the change appeared (巡查应发现而未发现), or no
// patrol came near it in the change window (未巡查覆盖); and for each patrol
// zone and period it measures patrol frequency against the zone's grade, the
// 2-person rule, the discovery share and the stop / report deadlines.
//
// The package is pure domain code: standard library, orb and the project's
// geodesy package only; it does no I/O and builds with CGO_ENABLED=0. Callers
// convert their own records (ledger rows, GPS tracks, patches from the
// detection or from a batch file) into the plain values defined here.
//
// Coordinates are WGS84/CGCS2000 longitude/latitude in degrees
// (orb.Point{lon, lat}). Distances are metres, measured in the CGCS2000
// 3-degree Gauss-Krüger zone of the patches (geodesy.ZoneFor on the centre of
// their extent). Dates are calendar days in the configured location (default
// UTC+8, China Standard Time).
//
// Results are deterministic: the same input gives the same, sorted output
// whatever the number of goroutines used.
package reconcile
