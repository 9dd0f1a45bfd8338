package export

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Bundle writes a ZIP archive of rows (normally one team's: see ForTeam and
// BundleName) for the team's devices:
//
//	{base}.geojson  {base}.gpx  {base}.kml  {base}.xlsx
//	{JCBH}_前时相.png  {JCBH}_后时相.png  …
//
// where base is "{team}_核查任务" when all rows share a team, else
// "核查任务". The KML descriptions show the chips (relative links, so
// unzip before opening in Google Earth); the XLSX embeds them. Entries are
// in that order, chips sorted by name, with the export date (WithDate) or
// 2000-01-01 as their time, so the bytes are deterministic. Names are UTF-8
// (flagged as such in the ZIP headers).
func Bundle(w io.Writer, rows []Row, opts ...Option) error {
	rows, o, err := prepare(rows, opts)
	if err != nil {
		return err
	}
	base := "核查任务"
	if ts := Teams(rows); len(ts) == 1 {
		base = fileSafe(ts[0]) + "_核查任务"
	}
	type entry struct {
		name  string
		data  []byte
		store bool // already compressed
	}
	var entries []entry
	kmlOpts := append(append([]Option{}, opts...), func(o *options) { o.chipLinks = true })
	for _, f := range []struct {
		ext   string
		write func(io.Writer, []Row, ...Option) error
		opts  []Option
		store bool
	}{
		{".geojson", GeoJSON, opts, false},
		{".gpx", GPX, opts, false},
		{".kml", KML, kmlOpts, false},
		{".xlsx", XLSX, opts, true},
	} {
		var buf bytes.Buffer
		if err := f.write(&buf, rows, f.opts...); err != nil {
			return err
		}
		entries = append(entries, entry{base + f.ext, buf.Bytes(), f.store})
	}
	seen := map[string]string{}
	var chips []entry
	for _, r := range rows {
		for _, c := range []struct {
			png   []byte
			after bool
		}{{r.ChipBefore, false}, {r.ChipAfter, true}} {
			if len(c.png) == 0 {
				continue
			}
			name := ChipName(r.JCBH, c.after)
			if prev, ok := seen[name]; ok {
				return fmt.Errorf("%w: 监测编号 %q and %q give the same file name %s", ErrInvalid, prev, r.JCBH, name)
			}
			seen[name] = r.JCBH
			chips = append(chips, entry{name, c.png, true})
		}
	}
	slices.SortFunc(chips, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	entries = append(entries, chips...)

	zw := zip.NewWriter(w)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: o.stamp()}
		if e.store {
			h.Method = zip.Store
		}
		h.SetMode(0o644)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("export: zip %s: %w", e.name, err)
		}
		if _, err := fw.Write(e.data); err != nil {
			return fmt.Errorf("export: zip %s: %w", e.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("export: zip: %w", err)
	}
	return nil
}
