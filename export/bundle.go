package export

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Bundle writes a ZIP archive of rows (normally one team's: see ForTeam and
// BundleName) for the team's devices:
//
//	{base}.geojson  {base}.gpx  {base}.kml  {base}.kmz  {base}.xlsx
//	{base}.shp  {base}.shx  {base}.dbf  {base}.prj  {base}.cpg  {base}_字段对照.csv
//	图标/marker_….png
//	{JCBH}_前时相.png  {JCBH}_后时相.png  …
//	举证照片/{JCBH}/{photo name}  …
//
// where base is "{team}_核查任务" when all rows share a team, else
// "核查任务". The KML descriptions show the chips and photos, and its
// markers are the icons under 图标/; the KMZ carries its own icons and
// chips (see KMZ); the XLSX links the photos (relative links, so unzip
// before opening) and embeds the chips; the Shapefile is that of
// Shapefile. WithCRS applies to the GeoJSON and the Shapefile. The field
// photos (Row.Evidence with Open set) are streamed from Open, never held in
// memory, one folder per 监测编号 (see Photo for names used twice); a photo
// whose bytes do not match its SHA256 fails the call. Entries are in that
// order, chips and photos sorted by name, with the export date (WithDate)
// or 2000-01-01 as their time, so the bytes are deterministic. Names are
// UTF-8 (flagged as such in the ZIP headers). On an error the output is
// incomplete and must be discarded.
func Bundle(w io.Writer, rows []Row, opts ...Option) error {
	rows, o, err := prepare(rows, opts)
	if err != nil {
		return err
	}
	base := baseName(rows)
	var entries []zipEntry
	inner := append(append([]Option{}, opts...), func(o *options) { o.bundle = true })
	for _, f := range []struct {
		ext   string
		write func(io.Writer, []Row, ...Option) error
		opts  []Option
		store bool
	}{
		{".geojson", GeoJSON, inner, false},
		{".gpx", GPX, opts, false},
		{".kml", KML, inner, false},
		{".kmz", KMZ, opts, true},
		{".xlsx", XLSX, inner, true},
	} {
		var buf bytes.Buffer
		if err := f.write(&buf, rows, f.opts...); err != nil {
			return err
		}
		entries = append(entries, zipEntry{name: base + f.ext, data: buf.Bytes(), store: f.store})
	}
	shp, err := shapefileEntries(rows, o, base)
	if err != nil {
		return err
	}
	entries = append(entries, shp...)
	entries = append(entries, iconEntries(bundleIcons)...)
	chips, err := chipEntries(rows, "")
	if err != nil {
		return err
	}
	entries = append(entries, chips...)

	dirs := map[string]string{}
	var photos []zipEntry
	for i := range rows {
		r := &rows[i]
		files := photoFiles(r)
		for k, name := range files {
			if name == "" {
				continue
			}
			if prev, ok := dirs[photoDir(r.JCBH)]; ok && prev != r.JCBH {
				return fmt.Errorf("%w: 监测编号 %q and %q give the same photo folder %s", ErrInvalid, prev, r.JCBH, photoDir(r.JCBH))
			}
			dirs[photoDir(r.JCBH)] = r.JCBH
			if slices.ContainsFunc(photos, func(e zipEntry) bool { return e.name == name }) {
				continue // the same photo listed twice
			}
			photos = append(photos, zipEntry{name: name, photo: &r.Evidence[k], store: true})
		}
	}
	slices.SortFunc(photos, func(a, b zipEntry) int { return strings.Compare(a.name, b.name) })
	entries = append(entries, photos...)

	return writeZip(w, entries, o)
}

// copyPhoto streams a photo into the archive, checking its SHA-256.
func copyPhoto(ctx context.Context, w io.Writer, p *Photo, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rc, err := p.Open(ctx)
	if err != nil {
		return fmt.Errorf("export: photo %s: %w", name, err)
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(w, h), rc); err != nil {
		return fmt.Errorf("export: photo %s: %w", name, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); p.SHA256 != "" && got != p.SHA256 {
		return fmt.Errorf("export: photo %s: its bytes have SHA-256 %s, not the recorded %s", name, got, p.SHA256)
	}
	return nil
}
