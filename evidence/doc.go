// Package evidence reads field photos (现场照片) uploaded with a verification
// finding and checks them against the patch they should show.
//
// Read and Parse take a JPEG, hash it (SHA-256) and read its EXIF: the GPS
// position with its N/S and E/W references, the GPS altitude, the camera
// bearing (GPSImgDirection), DateTimeOriginal (with OffsetTimeOriginal when
// the camera wrote it) and the GPS UTC time. Check then measures the
// geodesic distance from the photo to the patch polygon (0 inside) and
// flags photos that are far from the patch, lack a position, a direction or
// a time, or were taken outside the expected window.
//
// EXIF is decoded by github.com/bep/imagemeta (pure Go, read-only, fuzzed
// upstream, with limits on tag count and size). Before handing a file to it,
// this package walks the JPEG marker segments itself, so that a file that is
// not a JPEG, or is truncated or corrupt, gets a clear error naming the file
// instead of an empty result. No input makes it panic.
//
// Coordinates follow the orb convention: orb.Point{lon, lat} in WGS84
// degrees (CGCS2000 is treated as the same datum; they differ by
// centimetres). Distances are in metres on a sphere of the WGS84 mean radius
// (see Distance).
package evidence
