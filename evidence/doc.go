// Package evidence reads field photos (现场照片) uploaded with a verification
// finding and checks them against the patch they should show.
//
// ParseReaderAt (and its wrappers Parse, Read and ReadFile) take a JPEG,
// hash it (SHA-256) and read its EXIF: the GPS position with its N/S and
// E/W references, the GPS altitude, the camera bearing (GPSImgDirection),
// DateTimeOriginal (with OffsetTimeOriginal when the camera wrote it) and
// the GPS UTC time. ParseReaderAt never holds the photo in memory: the EXIF
// is read from the first segments and the hash in one pass of small reads;
// a photo above the size limit is refused with a *TooLargeError before it
// is read. EXIF values are checked against their raw rationals: a zero
// denominator, minutes or seconds of 60 or more, or an out-of-range
// position or direction make the value unknown, with a note saying why.
// Check then measures the geodesic distance from the photo to the patch
// polygon (0 inside) and flags photos that have no EXIF, lack a usable
// position, a direction or a time, are far from the patch or were taken
// outside the expected window: a photo without EXIF or GPS is never 合格.
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
