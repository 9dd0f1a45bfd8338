package export

import (
	"archive/zip"
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
//	{base}.geojson  {base}.gpx  {base}.kml  {base}.xlsx  icons/placemark_circle.png (the KML's marker)
//	{JCBH}_前时相.png  {JCBH}_后时相.png  …
//	举证照片/{JCBH}/{photo name}  …
//
// where base is "{team}_核查任务" when all rows share a team, else
// "核查任务". The KML descriptions show the chips and photos and the XLSX
// links the photos (relative links, so unzip before opening); the XLSX
// embeds the chips. The field photos (Row.Evidence with Open set) are
// streamed from Open, never held in memory, one folder per 监测编号 (see
// Photo for names used twice); a photo whose bytes do not match its
// SHA256 fails the call. Entries are in that order, chips and photos
// sorted by name, with the export date (WithDate) or 2000-01-01 as their
// time, so the bytes are deterministic. Names are UTF-8 (flagged as such in
// the ZIP headers). On an error the output is incomplete and must be
// discarded.
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
		photo *Photo // streamed from Open instead of data
		store bool   // already compressed
	}
	var entries []entry
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
		{".xlsx", XLSX, inner, true},
	} {
		var buf bytes.Buffer
		if err := f.write(&buf, rows, f.opts...); err != nil {
			return err
		}
		entries = append(entries, entry{name: base + f.ext, data: buf.Bytes(), store: f.store})
	}
	entries = append(entries, entry{name: KMLIconName, data: kmlIcon, store: true})
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
			chips = append(chips, entry{name: name, data: c.png, store: true})
		}
	}
	slices.SortFunc(chips, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	entries = append(entries, chips...)

	dirs := map[string]string{}
	var photos []entry
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
			if slices.ContainsFunc(photos, func(e entry) bool { return e.name == name }) {
				continue // the same photo listed twice
			}
			photos = append(photos, entry{name: name, photo: &r.Evidence[k], store: true})
		}
	}
	slices.SortFunc(photos, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	entries = append(entries, photos...)

	zw := zip.NewWriter(w)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: o.stamp()}
		h.Flags |= 0x800 // UTF-8 names, ASCII ones too
		if e.store {
			h.Method = zip.Store
		}
		h.SetMode(0o644)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("export: zip %s: %w", e.name, err)
		}
		if e.photo != nil {
			if err := copyPhoto(o.ctx, fw, e.photo, e.name); err != nil {
				return err
			}
			continue
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
