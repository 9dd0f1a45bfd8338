package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/bep/imagemeta"
	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/task"
)

// Sentinel errors; errors from ParseReaderAt, Parse, Read and ReadFile
// about the photo match one of them with errors.Is, and their message names
// the file. All three are invalid input: they also match
// pipeline.ErrInvalid.
var (
	// ErrNotJPEG: the file is empty or is not a JPEG (e.g. PNG or HEIC).
	ErrNotJPEG = invalid("evidence: not a JPEG")
	// ErrCorrupt: the file starts as a JPEG but its structure or its EXIF
	// is broken (often a truncated upload).
	ErrCorrupt = invalid("evidence: corrupt JPEG")
	// ErrTooLarge: the file is larger than the size limit; the error is a
	// *TooLargeError.
	ErrTooLarge = invalid("evidence: file too large")
)

// sentinel is an error value that also matches pipeline.ErrInvalid.
type sentinel struct{ msg string }

func invalid(msg string) error { return &sentinel{msg} }

func (e *sentinel) Error() string { return e.msg }

// Is reports whether target is pipeline.ErrInvalid.
func (e *sentinel) Is(target error) bool { return target == pipeline.ErrInvalid }

// TooLargeError is a photo larger than the size limit (WithMaxBytes). It
// matches ErrTooLarge (and pipeline.ErrInvalid): an HTTP layer answers 413.
type TooLargeError struct {
	// Name is the file name or object key.
	Name string
	// Size is the file's size in bytes, or -1 when only "more than Limit"
	// is known (a stream).
	Size int64
	// Limit is the size limit in bytes.
	Limit int64
}

func (e *TooLargeError) Error() string {
	if e.Size < 0 {
		return fmt.Sprintf("evidence: %s: file too large: more than %d bytes", e.Name, e.Limit)
	}
	return fmt.Sprintf("evidence: %s: file too large: %d bytes, more than %d bytes", e.Name, e.Size, e.Limit)
}

// Is reports whether target is ErrTooLarge or pipeline.ErrInvalid.
func (e *TooLargeError) Is(target error) bool {
	return target == ErrTooLarge || target == pipeline.ErrInvalid
}

// DefaultMaxBytes is the default size limit of a photo (64 MiB).
const DefaultMaxBytes = 64 << 20

// Info is what a photo file says about itself. A field whose Has… flag is
// false is unknown, not zero. Info is a plain value.
type Info struct {
	// Name is the file name or object key given to Read or Parse.
	Name string
	// Size is the file size in bytes; SHA256 its lowercase hex SHA-256.
	Size   int64
	SHA256 string

	// HasEXIF says whether the photo has an EXIF segment at all (APP1
	// "Exif"). Without one nothing below is known.
	HasEXIF bool

	// HasGPS says whether Position holds a usable fix.
	HasGPS bool
	// GPSDiscarded says that the photo has GPS position tags but they
	// are no usable fix (a zero denominator, minutes or seconds of 60 or
	// more, out of range, 0,0, a bad reference); Notes says why.
	GPSDiscarded bool
	// Position is the GPS position, orb.Point{lon, lat} in WGS84 degrees,
	// south and west negative (from GPSLatitudeRef and GPSLongitudeRef).
	Position orb.Point
	// HasAltitude says whether AltitudeM (GPSAltitude, metres above sea
	// level, negative below) is known.
	HasAltitude bool
	AltitudeM   float64
	// HasDirection says whether DirectionDeg (GPSImgDirection: where the
	// camera pointed, degrees clockwise from north, in [0, 360)) is known.
	HasDirection bool
	DirectionDeg float64
	// DirectionRef is "T" (true north) or "M" (magnetic north), or "" if the
	// photo does not say.
	DirectionRef string

	// Taken is DateTimeOriginal, zero if absent. Its zone is
	// OffsetTimeOriginal when the camera wrote one (TakenZoneKnown), else the
	// zone given by WithLocation (default China Standard Time).
	Taken          time.Time
	TakenZoneKnown bool
	// GPSTime is the UTC time of the fix (GPSDateStamp and GPSTimeStamp),
	// zero if absent.
	GPSTime time.Time

	// Notes lists what was odd but not fatal, e.g. a GPS position that was
	// discarded and why.
	Notes []string
}

// Option configures ParseReaderAt, Parse, Read and ReadFile.
type Option func(*options)

type options struct {
	loc      *time.Location
	maxBytes int64
}

// WithLocation sets the zone of a DateTimeOriginal that has no
// OffsetTimeOriginal; the default is China Standard Time (UTC+8).
func WithLocation(loc *time.Location) Option {
	return func(o *options) {
		if loc != nil {
			o.loc = loc
		}
	}
}

// WithMaxBytes sets the size limit of a photo; n <= 0 keeps the default,
// DefaultMaxBytes. A larger photo is refused with a *TooLargeError before
// it is read.
func WithMaxBytes(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.maxBytes = n
		}
	}
}

func apply(opts []Option) options {
	o := options{loc: task.ChinaTime(), maxBytes: DefaultMaxBytes}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// ReadFile reads the photo at path (see ParseReaderAt) without loading it
// into memory; errors name the path.
func ReadFile(path string, opts ...Option) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, fmt.Errorf("evidence: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Info{}, fmt.Errorf("evidence: %w", err)
	}
	return ParseReaderAt(path, f, st.Size(), opts...)
}

// Read reads a whole photo from r into memory, refusing it with a
// *TooLargeError past the size limit, and parses it (see Parse). name is
// used in Info and in errors. For large uploads, spool to a file and use
// ParseReaderAt instead.
func Read(name string, r io.Reader, opts ...Option) (Info, error) {
	o := apply(opts)
	data, err := io.ReadAll(io.LimitReader(r, o.maxBytes+1))
	if err != nil {
		return Info{}, fmt.Errorf("evidence: %s: read: %w", name, err)
	}
	if int64(len(data)) > o.maxBytes {
		return Info{}, &TooLargeError{Name: name, Size: -1, Limit: o.maxBytes}
	}
	return Parse(name, data, opts...)
}

// Spool copies an upload from src to dst (a temporary file, say) for
// ParseReaderAt, stopping with a *TooLargeError (Size -1) as soon as more
// than the size limit (WithMaxBytes, default DefaultMaxBytes) has come, so
// an oversized upload is neither held in memory nor read to its end, and
// the CLI and an HTTP API refuse the same photos. It returns the number of
// bytes copied; on an error dst holds a partial copy to discard.
func Spool(name string, dst io.Writer, src io.Reader, opts ...Option) (int64, error) {
	o := apply(opts)
	n, err := io.Copy(dst, io.LimitReader(src, o.maxBytes+1))
	if err != nil {
		return n, fmt.Errorf("evidence: %s: copy: %w", name, err)
	}
	if n > o.maxBytes {
		return n, &TooLargeError{Name: name, Size: -1, Limit: o.maxBytes}
	}
	return n, nil
}

// problem is an error message that matches a sentinel.
type problem struct {
	kind error
	msg  string
}

func (p *problem) Error() string { return p.msg }
func (p *problem) Unwrap() error { return p.kind }

func notJPEG(format string, args ...any) error {
	return &problem{ErrNotJPEG, "not a JPEG: " + fmt.Sprintf(format, args...)}
}

func corrupt(format string, args ...any) error {
	return &problem{ErrCorrupt, "corrupt JPEG: " + fmt.Sprintf(format, args...)}
}

// Parse hashes and reads the photo in data; it is ParseReaderAt on a byte
// slice.
func Parse(name string, data []byte, opts ...Option) (Info, error) {
	return ParseReaderAt(name, bytes.NewReader(data), int64(len(data)), opts...)
}

// ParseReaderAt hashes and reads the photo of size bytes in r (an open
// file, a spooled upload) without holding it in memory: the marker segments
// and the EXIF, which sit at the start of the file, are read where they
// are, and the whole file is read once, in chunks, for its SHA-256 and the
// end-of-image check. A photo larger than the size limit (WithMaxBytes,
// default DefaultMaxBytes) is refused with a *TooLargeError before anything
// is read.
//
// A JPEG without EXIF, or without GPS, is not an error: the missing fields
// are unknown (HasEXIF, HasGPS false), and Check flags the photo. An error
// means the file is too large (ErrTooLarge), is not a JPEG (ErrNotJPEG) or
// is broken (ErrCorrupt), or r failed; its message starts with
// "evidence: <name>: ". ParseReaderAt never panics.
func ParseReaderAt(name string, r io.ReaderAt, size int64, opts ...Option) (info Info, err error) {
	o := apply(opts)
	if size > o.maxBytes {
		return Info{}, &TooLargeError{Name: name, Size: size, Limit: o.maxBytes}
	}
	if size < 0 {
		return Info{}, fmt.Errorf("evidence: %s: negative size %d", name, size)
	}
	in := &window{r: r, size: size}
	layout, err := checkJPEG(in)
	if in.err != nil {
		return Info{}, fmt.Errorf("evidence: %s: read: %w", name, in.err)
	}
	if err != nil {
		return Info{}, fmt.Errorf("evidence: %s: %w", name, err)
	}
	sum, eoi, err := hashAndFindEOI(r, size, layout.scan)
	if err != nil {
		return Info{}, fmt.Errorf("evidence: %s: read: %w", name, err)
	}
	if !eoi {
		return Info{}, fmt.Errorf("evidence: %s: %w", name, corrupt("no end-of-image marker after the image data (truncated?)"))
	}
	info = Info{Name: name, Size: size, SHA256: sum}
	if layout.exifLen == 0 {
		return info, nil
	}
	info.HasEXIF = true
	tags, warnings, err := decodeEXIF(io.NewSectionReader(r, 0, size))
	if err != nil {
		return Info{}, fmt.Errorf("evidence: %s: %w", name, err)
	}
	tiff := make([]byte, layout.exifLen)
	if _, err := r.ReadAt(tiff, layout.exifAt); err != nil {
		return Info{}, fmt.Errorf("evidence: %s: read: %w", name, err)
	}
	info.fill(tags, warnings, rawGPS(tiff), o.loc)
	return info, nil
}

// window reads single bytes of a ReaderAt through a block cache, so that
// walking the marker segments costs a few reads, not one per byte. The
// first error other than io.EOF is kept in err.
type window struct {
	r    io.ReaderAt
	size int64
	buf  []byte
	off  int64 // offset of buf[0]
	err  error
}

const windowBlock = 32 << 10

// at returns the byte at offset i, or false past the end (or on error).
func (w *window) at(i int64) (byte, bool) {
	if i < 0 || i >= w.size || w.err != nil {
		return 0, false
	}
	if i < w.off || i >= w.off+int64(len(w.buf)) {
		if w.buf == nil {
			w.buf = make([]byte, windowBlock)
		}
		w.buf = w.buf[:cap(w.buf)]
		w.off = i
		n, err := w.r.ReadAt(w.buf[:min(int64(len(w.buf)), w.size-i)], i)
		w.buf = w.buf[:n]
		if n == 0 {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF // shorter than its stated size
			}
			w.err = err
			return 0, false
		}
	}
	return w.buf[i-w.off], true
}

// jpegLayout is where checkJPEG found things: the offset of the first byte
// after the start-of-scan header, and the TIFF payload of the first EXIF
// APP1 segment (exifLen 0: none).
type jpegLayout struct {
	scan            int64
	exifAt, exifLen int64
}

// checkJPEG walks the marker segments of the file up to the start of scan.
func checkJPEG(in *window) (jpegLayout, error) {
	var l jpegLayout
	size := in.size
	if size == 0 {
		return l, notJPEG("the file is empty")
	}
	b0, _ := in.at(0)
	b1, ok := in.at(1)
	if !ok || b0 != 0xFF || b1 != 0xD8 {
		if in.err != nil {
			return l, nil
		}
		head := make([]byte, 0, 12)
		for i := int64(0); i < min(size, 12); i++ {
			b, _ := in.at(i)
			head = append(head, b)
		}
		return l, notJPEG("%s", sniff(head))
	}
	pos := int64(2)
	for {
		c, ok := in.at(pos)
		if !ok {
			return l, corrupt("the file ends at byte %d before any image data (truncated?)", pos)
		}
		if c != 0xFF {
			return l, corrupt("expected a marker at byte %d, found 0x%02X", pos, c)
		}
		for ok && c == 0xFF { // fill bytes
			pos++
			c, ok = in.at(pos)
		}
		if !ok {
			return l, corrupt("the file ends at byte %d before any image data (truncated?)", pos)
		}
		m := c
		at := pos - 1
		pos++
		switch {
		case m == 0xD8:
			return l, corrupt("a second start-of-image marker at byte %d", at)
		case m == 0xD9:
			return l, corrupt("end of image at byte %d before any image data", at)
		case m == 0x00:
			return l, corrupt("stray byte 0xFF00 at byte %d outside image data", at)
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7): // markers without a length
			continue
		}
		hi, ok1 := in.at(pos)
		lo, ok2 := in.at(pos + 1)
		if !ok1 || !ok2 {
			return l, corrupt("segment 0xFF%02X at byte %d has no length (truncated?)", m, at)
		}
		n := int64(hi)<<8 | int64(lo)
		if n < 2 {
			return l, corrupt("segment 0xFF%02X at byte %d has length %d", m, at, n)
		}
		if pos+n > size {
			return l, corrupt("segment %s at byte %d is %d bytes long but only %d remain (truncated?)", segmentName(m), at, n, size-pos)
		}
		if m == 0xE1 && l.exifLen == 0 && n >= 2+6 && hasPrefixAt(in, pos+2, "Exif\x00\x00") {
			l.exifAt, l.exifLen = pos+2+6, n-2-6
		}
		pos += n
		if m == 0xDA { // start of scan: the image data follows
			l.scan = pos
			return l, nil
		}
	}
}

func hasPrefixAt(in *window, off int64, prefix string) bool {
	for i := range len(prefix) {
		if b, ok := in.at(off + int64(i)); !ok || b != prefix[i] {
			return false
		}
	}
	return true
}

// hashAndFindEOI reads the size bytes of r once, in chunks, and returns
// their SHA-256 and whether an end-of-image marker (FF D9) lies at or after
// offset from.
func hashAndFindEOI(r io.ReaderAt, size, from int64) (string, bool, error) {
	h := sha256.New()
	buf := make([]byte, 64<<10)
	eoi := false
	prevFF := false // the byte before this chunk was FF, at or after from
	for off := int64(0); off < size; {
		n, err := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if n == 0 {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", false, err
		}
		chunk := buf[:n]
		h.Write(chunk)
		if !eoi {
			start := max(0, from-off)
			if start < int64(n) {
				if prevFF && start == 0 && chunk[0] == 0xD9 {
					eoi = true
				} else if bytes.Contains(chunk[start:], []byte{0xFF, 0xD9}) {
					eoi = true
				}
			}
			prevFF = off+int64(n)-1 >= from && chunk[n-1] == 0xFF
		}
		off += int64(n)
	}
	return hex.EncodeToString(h.Sum(nil)), eoi, nil
}

func segmentName(m byte) string {
	switch {
	case m >= 0xE0 && m <= 0xEF:
		return fmt.Sprintf("APP%d", m-0xE0)
	case m == 0xDA:
		return "SOS"
	case m == 0xDB:
		return "DQT"
	case m == 0xC4:
		return "DHT"
	case m >= 0xC0 && m <= 0xCF:
		return fmt.Sprintf("SOF%d", m-0xC0)
	}
	return fmt.Sprintf("0xFF%02X", m)
}

// sniff names what data looks like when it is not a JPEG.
func sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG")):
		return "it is a PNG image"
	case len(data) >= 12 && string(data[4:8]) == "ftyp" &&
		(strings.HasPrefix(string(data[8:12]), "hei") || strings.HasPrefix(string(data[8:12]), "mif") || string(data[8:12]) == "avif"):
		return "it is a HEIF/HEIC image (export the photo as JPEG)"
	case bytes.HasPrefix(data, []byte("II*\x00")) || bytes.HasPrefix(data, []byte("MM\x00*")):
		return "it is a TIFF image"
	case bytes.HasPrefix(data, []byte("GIF8")):
		return "it is a GIF image"
	case len(data) >= 12 && string(data[0:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "it is a WebP image"
	}
	n := min(len(data), 4)
	return fmt.Sprintf("it starts with % X", data[:n])
}

// wanted are the EXIF tags read, and the IFD each must come from: GPS tag
// numbers overlap with IFD0 and interoperability tags, so a GPS name is
// trusted only inside the GPS IFD.
func wanted(ti imagemeta.TagInfo) bool {
	switch ti.Tag {
	case "GPSLatitude", "GPSLatitudeRef", "GPSLongitude", "GPSLongitudeRef",
		"GPSAltitude", "GPSAltitudeRef", "GPSImgDirection", "GPSImgDirectionRef",
		"GPSDateStamp", "GPSTimeStamp":
		return ti.Namespace == "IFD0/GPSInfoIFD"
	case "DateTimeOriginal", "OffsetTimeOriginal":
		return strings.HasPrefix(ti.Namespace, "IFD0/") && !strings.Contains(ti.Namespace, "GPS")
	}
	return false
}

// decodeEXIF returns the wanted tags of the JPEG read from r and the
// decoder's warnings.
func decodeEXIF(r io.ReadSeeker) (tags map[string]any, warnings []string, err error) {
	defer func() {
		// imagemeta recovers its own panics; this is a second net.
		if r := recover(); r != nil {
			tags, warnings, err = nil, nil, corrupt("EXIF decoder failed: %v", r)
		}
	}()
	tags = map[string]any{}
	_, err = imagemeta.Decode(imagemeta.Options{
		R:               r,
		ImageFormat:     imagemeta.JPEG,
		Sources:         imagemeta.EXIF,
		ShouldHandleTag: wanted,
		HandleTag: func(ti imagemeta.TagInfo) error {
			if wanted(ti) {
				if _, dup := tags[ti.Tag]; !dup {
					tags[ti.Tag] = ti.Value
				}
			}
			return nil
		},
		Warnf: func(format string, args ...any) {
			warnings = append(warnings, fmt.Sprintf(format, args...))
		},
	})
	if err != nil {
		return nil, nil, corrupt("EXIF: %v", err)
	}
	return tags, warnings, nil
}

// fill sets info's metadata fields from the decoded tags, checking the GPS
// values against their raw rationals.
func (info *Info) fill(tags map[string]any, warnings []string, raw map[uint16][]rational, loc *time.Location) {
	note := func(format string, args ...any) { info.Notes = append(info.Notes, fmt.Sprintf(format, args...)) }
	warned := func(tag string) string {
		for _, w := range warnings {
			if strings.HasPrefix(w, tag+":") {
				return w
			}
		}
		return ""
	}
	rawProblem := func(tag uint16, dms bool) string {
		if rs, ok := raw[tag]; ok {
			return rationalProblem(rs, dms)
		}
		return ""
	}

	// Position.
	latV, hasLat := tags["GPSLatitude"]
	lonV, hasLon := tags["GPSLongitude"]
	gpsNote := func(format string, args ...any) {
		info.GPSDiscarded = true
		note("GPS position discarded: "+format, args...)
	}
	switch {
	case !hasLat && !hasLon:
	case !hasLat || !hasLon:
		gpsNote("only one of GPSLatitude and GPSLongitude is present")
	default:
		lat, okLat := number(latV)
		lon, okLon := number(lonV)
		latSign, latErr := ref(tags, "GPSLatitudeRef", "N", "S")
		lonSign, lonErr := ref(tags, "GPSLongitudeRef", "E", "W")
		switch {
		case rawProblem(tagGPSLatitude, true) != "":
			gpsNote("GPSLatitude %s", rawProblem(tagGPSLatitude, true))
		case rawProblem(tagGPSLongitude, true) != "":
			gpsNote("GPSLongitude %s", rawProblem(tagGPSLongitude, true))
		case !okLat || warned("GPSLatitude") != "":
			gpsNote("GPSLatitude is unreadable%s", paren(warned("GPSLatitude")))
		case !okLon || warned("GPSLongitude") != "":
			gpsNote("GPSLongitude is unreadable%s", paren(warned("GPSLongitude")))
		case latErr != "":
			gpsNote("%s", latErr)
		case lonErr != "":
			gpsNote("%s", lonErr)
		case lat < 0 || lat > 90 || lon < 0 || lon > 180:
			gpsNote("latitude %g, longitude %g out of range", lat, lon)
		case lat == 0 && lon == 0:
			gpsNote("0,0 (the camera had no fix)")
		default:
			info.HasGPS = true
			info.Position = orb.Point{lonSign * lon, latSign * lat}
			if _, ok := tags["GPSLatitudeRef"]; !ok {
				note("GPSLatitudeRef missing, taken as N")
			}
			if _, ok := tags["GPSLongitudeRef"]; !ok {
				note("GPSLongitudeRef missing, taken as E")
			}
		}
	}

	// Altitude.
	if v, ok := tags["GPSAltitude"]; ok {
		if p := rawProblem(tagGPSAltitude, false); p != "" {
			note("GPSAltitude discarded: %s", p)
		} else if alt, ok := number(v); ok && alt >= 0 && alt < 100000 {
			info.HasAltitude = true
			info.AltitudeM = alt
			if r, ok := number(tags["GPSAltitudeRef"]); ok && r == 1 {
				info.AltitudeM = -alt
			}
		} else {
			note("GPSAltitude discarded: unreadable or out of range")
		}
	}

	// Direction.
	if v, ok := tags["GPSImgDirection"]; ok {
		if p := rawProblem(tagGPSImgDirection, false); p != "" {
			note("GPSImgDirection discarded: %s", p)
		} else if d, ok := number(v); ok && d >= 0 && d <= 360 {
			info.HasDirection = true
			info.DirectionDeg = math.Mod(d, 360)
			if s, ok := tags["GPSImgDirectionRef"].(string); ok && (s == "T" || s == "M") {
				info.DirectionRef = s
			}
		} else {
			note("GPSImgDirection discarded: unreadable or outside 0–360°")
		}
	}

	// Times.
	if s, ok := tags["DateTimeOriginal"].(string); ok {
		s = strings.TrimSpace(strings.Trim(s, "\x00"))
		zone, zoneKnown := loc, false
		if off, ok := tags["OffsetTimeOriginal"].(string); ok {
			if z, ok := parseOffset(strings.TrimSpace(off)); ok {
				zone, zoneKnown = z, true
			} else if strings.TrimSpace(off) != "" {
				note("OffsetTimeOriginal %q unreadable, DateTimeOriginal taken in %s", off, loc)
			}
		}
		if t, err := time.ParseInLocation("2006:01:02 15:04:05", s, zone); err == nil {
			info.Taken, info.TakenZoneKnown = t, zoneKnown
		} else if strings.Trim(s, " :0") != "" { // all blanks or zeros mean "unknown"
			note("DateTimeOriginal %q unreadable", s)
		}
	}
	if d, ok := tags["GPSDateStamp"].(string); ok {
		if p := rawProblem(tagGPSTimeStamp, false); p != "" {
			note("GPSTimeStamp discarded: %s", p)
		} else if tm, ok := tags["GPSTimeStamp"].(string); ok {
			if t, err := time.Parse("2006:01:02 15:04:05", strings.TrimSpace(d)+" "+strings.TrimSpace(tm)); err == nil {
				info.GPSTime = t.UTC()
			} else {
				note("GPSDateStamp/GPSTimeStamp %q %q unreadable", d, tm)
			}
		}
	}
}

// paren returns " (s)", or "" for an empty s.
func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// ref returns the sign of a GPS reference tag: +1 for pos, -1 for neg. A
// missing tag counts as pos; any other value is an error message.
func ref(tags map[string]any, tag, pos, neg string) (float64, string) {
	v, ok := tags[tag]
	if !ok {
		return 1, ""
	}
	s, _ := v.(string)
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case pos:
		return 1, ""
	case neg:
		return -1, ""
	}
	return 0, fmt.Sprintf("%s is %q, want %s or %s", tag, fmt.Sprint(v), pos, neg)
}

// number converts a decoded EXIF value to a finite float64.
func number(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case interface{ Float64() float64 }: // imagemeta.Rat
		f = x.Float64()
	case uint8:
		f = float64(x)
	case uint16:
		f = float64(x)
	case uint32:
		f = float64(x)
	case int32:
		f = float64(x)
	case int64:
		f = float64(x)
	case int:
		f = float64(x)
	case []any:
		if len(x) != 1 {
			return 0, false
		}
		return number(x[0])
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// parseOffset parses an EXIF offset such as "+08:00" or "-05:30".
func parseOffset(s string) (*time.Location, bool) {
	t, err := time.Parse("-07:00", s)
	if err != nil {
		return nil, false
	}
	_, off := t.Zone()
	return time.FixedZone(s, off), true
}
