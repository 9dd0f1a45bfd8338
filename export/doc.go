// Package export writes verification tasks (核查任务) for the patrol teams'
// field devices: GeoJSON (GIS, 两步路), KML and KMZ (Google Earth, 两步路,
// Locus, OruxMaps), GPX (phone GPS apps), XLSX (WPS, Excel), a zipped ESRI
// Shapefile with GBK attributes and the practice's short field names (the
// field GIS apps bureaus use) and a ZIP bundle of all of them per team,
// with the before/after image chips of each 图斑. Everything works offline:
// no file names a URL to load (markers are local icons in KMZ and bundle).
//
// The input is a slice of Row, a plain record the caller fills from its own
// types; coordinates are WGS84 longitude/latitude and areas are m² (shown in
// 亩 with two decimals). GeoJSON and the Shapefile can be written in
// CGCS2000 or its 3-degree Gauss-Krüger zones (WithCRS, pipeline/crs; WGS84
// and CGCS2000 coincide within a few centimetres); KML, KMZ and GPX are
// WGS84 by their specifications. Labels shown to users are Chinese. A row's field
// photos (Row.Evidence) are listed in every format but GPX, and Bundle
// carries their files, streamed from Photo.Open.
//
// Text cells of the XLSX that a spreadsheet would run as a formula are
// escaped with a leading ' (internal/sheet). Refused input matches
// ErrInvalid, and so pipeline.ErrInvalid.
//
// Every writer takes an io.Writer, leaves its input unchanged and is
// deterministic: identical input gives identical bytes (rows sorted by team,
// priority and 监测编号; coordinates rounded; fixed dates in the XLSX
// document properties and the ZIP headers, taken from WithDate or a fixed
// default, never from the clock). Writers are safe for concurrent use.
package export
