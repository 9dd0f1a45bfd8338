// Package ledger imports the ground-patrol ledgers (巡查台帐) and GPS patrol
// tracks that county offices actually keep, and tells the clerk exactly which
// cell to fix when a row cannot be used.
//
// Ledgers are read from XLSX (all sheets or named ones; the header row is
// found by its column names even under a title row, merged cells are filled
// in) and from CSV in UTF-8 (with or without BOM) or GB18030. Tracks are read
// from GPX, KML/KMZ and GeoJSON. Rows become Entry values with parsed times,
// members, zones and coordinates; problems become RowError values whose
// Error() is a Chinese sentence naming the file, sheet, row and column.
//
// Every input row is accounted for: a CSV line with broken quoting is a
// problem naming its line (the lines after it are read as usual, never
// swallowed into one cell), two columns that mean the same ledger column are
// refused (ErrDuplicateColumn), and a file too large to read whole is
// refused rather than cut (ErrTooLarge). A track file without tracks, a
// track without points (ErrEmptyTrack) or without any time (ErrTrackTime)
// is refused naming the track; points without a time and empty segments
// are dropped with Track.Warnings naming them. Every sentinel matches
// pipeline.ErrInvalid. ParseEncoding reads the --encoding flag.
//
// Entries convert to the pure reconcile.Entry and tracks to reconcile.Track
// (Entry.Domain, Track.Domain), which is what pipeline/reconcile checks
// against the satellite patches. Writers for its results are in the report
// subpackage.
//
// Identifiers: Entry.ID hashes the normalised content of a row (not its file
// name or row number), so importing the same file twice, or a copy with rows
// moved, adds nothing; Entry.Key hashes the patrol's identity (time, members,
// zones, violator and place), so Merge can replace a corrected row instead of
// adding a duplicate.
//
// Coordinates are WGS84/CGCS2000 lon/lat degrees (orb.Point{lon, lat});
// times are in the configured location (default UTC+8).
package ledger
