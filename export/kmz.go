package export

import (
	"archive/zip"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Folders of the icon and image files beside a KML.
const (
	kmzFiles    = "files/" // in a KMZ: icons and chips
	bundleIcons = "图标/"    // in a Bundle: icons (the chips are at the top)
)

// KMZ writes rows as a KMZ archive for Google Earth, 两步路, Locus and
// OruxMaps that works offline: doc.kml (the KML of KML, WGS84) first, then
// under files/ the marker icons (one coloured circle PNG per style) and
// the before/after chips of each 图斑 ({JCBH}_前时相.png, …), which the
// placemark balloons show. The field photos are listed in the balloons
// but not carried (Bundle carries them). Nothing in it names a URL but the
// KML namespace. Entries have the export date (WithDate) or 2000-01-01 as
// their time, so the bytes are deterministic. On an error the output is
// incomplete and must be discarded.
func KMZ(w io.Writer, rows []Row, opts ...Option) error {
	rows, o, err := prepare(rows, opts)
	if err != nil {
		return err
	}
	var doc bytes.Buffer
	inner := append(slices.Clone(opts), func(o *options) { o.kmz, o.bundle = true, false })
	if err := KML(&doc, rows, inner...); err != nil {
		return err
	}
	entries := []zipEntry{{name: "doc.kml", data: doc.Bytes()}}
	entries = append(entries, iconEntries(kmzFiles)...)
	chips, err := chipEntries(rows, kmzFiles)
	if err != nil {
		return err
	}
	entries = append(entries, chips...)
	return writeZip(w, entries, o)
}

// zipEntry is a file of an archive: its bytes, or a photo streamed from
// its Open.
type zipEntry struct {
	name  string
	data  []byte
	photo *Photo
	store bool // already compressed
}

// writeZip writes a ZIP archive of entries, in order.
func writeZip(w io.Writer, entries []zipEntry, o *options) error {
	zw := zip.NewWriter(w)
	for _, e := range entries {
		if err := writeEntry(zw, e, o); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("export: zip: %w", err)
	}
	return nil
}

// writeEntry adds e to the archive with the fixed time of o.
func writeEntry(zw *zip.Writer, e zipEntry, o *options) error {
	h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: o.stamp()}
	if e.store {
		h.Method = zip.Store
	}
	h.SetMode(0o644)
	fw, err := zw.CreateHeader(h)
	if err != nil {
		return fmt.Errorf("export: zip %s: %w", e.name, err)
	}
	if e.photo != nil {
		return copyPhoto(o.ctx, fw, e.photo, e.name)
	}
	if _, err := fw.Write(e.data); err != nil {
		return fmt.Errorf("export: zip %s: %w", e.name, err)
	}
	return nil
}

// chipEntries returns the chips of rows under dir, sorted by name; two rows
// whose 监测编号 give the same file name are refused.
func chipEntries(rows []Row, dir string) ([]zipEntry, error) {
	seen := map[string]string{}
	var chips []zipEntry
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
				return nil, fmt.Errorf("%w: 监测编号 %q and %q give the same file name %s", ErrInvalid, prev, r.JCBH, name)
			}
			seen[name] = r.JCBH
			chips = append(chips, zipEntry{name: dir + name, data: c.png, store: true})
		}
	}
	slices.SortFunc(chips, func(a, b zipEntry) int { return strings.Compare(a.name, b.name) })
	return chips, nil
}

// iconEntries returns the marker icons under dir, in style order.
func iconEntries(dir string) []zipEntry {
	icons := markerIcons()
	out := make([]zipEntry, len(kmlStyles))
	for i, s := range kmlStyles {
		out[i] = zipEntry{name: dir + iconName(s.id), data: icons[i], store: true}
	}
	return out
}

// iconName is the file name of a style's marker icon.
func iconName(style string) string { return "marker_" + style + ".png" }

var (
	iconsOnce sync.Once
	iconsPNG  [][]byte
)

// markerIcons returns the PNG of each style's marker: a 32×32 disc in the
// style's colour with a white rim, on a transparent background.
func markerIcons() [][]byte {
	iconsOnce.Do(func() {
		for _, s := range kmlStyles {
			iconsPNG = append(iconsPNG, markerPNG(kmlColor(s.color)))
		}
	})
	return iconsPNG
}

// kmlColor converts a KML aabbggrr colour.
func kmlColor(s string) color.NRGBA {
	v, _ := strconv.ParseUint(s, 16, 32)
	return color.NRGBA{R: uint8(v), G: uint8(v >> 8), B: uint8(v >> 16), A: uint8(v >> 24)}
}

// markerPNG draws a disc of colour c with a white rim, anti-aliased by
// 4×4 supersampling.
func markerPNG(c color.NRGBA) []byte {
	const size, sub = 32, 4
	const outer, inner = 14.0, 11.0 // radii in pixels
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := range size {
		for x := range size {
			var rim, fill int
			for sy := range sub {
				for sx := range sub {
					dx := float64(x) + (float64(sx)+0.5)/sub - size/2.0
					dy := float64(y) + (float64(sy)+0.5)/sub - size/2.0
					switch d := math.Hypot(dx, dy); {
					case d <= inner:
						fill++
					case d <= outer:
						rim++
					}
				}
			}
			n := rim + fill
			if n == 0 {
				continue
			}
			mix := func(a uint8) uint8 { return uint8((255*rim + int(a)*fill + n/2) / n) }
			img.SetNRGBA(x, y, color.NRGBA{R: mix(c.R), G: mix(c.G), B: mix(c.B), A: uint8((255*n + sub*sub/2) / (sub * sub))})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img) // writing to memory cannot fail
	return b.Bytes()
}
