package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/bep/imagemeta"
	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline/task"
)

// Sentinel errors; errors from Read, ReadFile and Parse match one of them
// with errors.Is, and their message names the file.
var (
	// ErrNotJPEG: the file is empty or is not a JPEG (e.g. PNG or HEIC).
	ErrNotJPEG = errors.New("evidence: not a JPEG")
	// ErrCorrupt: the file starts as a JPEG but its structure or its EXIF
	// is broken (often a truncated upload).
	ErrCorrupt = errors.New("evidence: corrupt JPEG")
	// ErrTooLarge: the file is larger than the size limit.
	ErrTooLarge = errors.New("evidence: file too large")
)

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

	// HasGPS says whether Position holds a usable fix.
	HasGPS bool
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

// Option configures Read, ReadFile and Parse.
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

// WithMaxBytes sets the size limit of Read and ReadFile; n <= 0 keeps the
// default, DefaultMaxBytes.
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

// ReadFile reads the photo at path (see Parse); errors name the path.
func ReadFile(path string, opts ...Option) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, fmt.Errorf("evidence: %w", err)
	}
	defer f.Close()
	return Read(path, f, opts...)
}

// Read reads a whole photo from r, at most the size limit, and parses it
// (see Parse). name is used in Info and in errors.
func Read(name string, r io.Reader, opts ...Option) (Info, error) {
	o := apply(opts)
	data, err := io.ReadAll(io.LimitReader(r, o.maxBytes+1))
	if err != nil {
		return Info{}, fmt.Errorf("evidence: %s: read: %w", name, err)
	}
	if int64(len(data)) > o.maxBytes {
		return Info{}, fmt.Errorf("evidence: %s: %w", name, &problem{ErrTooLarge, fmt.Sprintf("file too large: more than %d bytes", o.maxBytes)})
	}
	return Parse(name, data, opts...)
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

// Parse hashes and reads the photo in data. A JPEG without EXIF, or without
// GPS, is not an error: the missing fields are simply unknown. An error
// means the file is not a JPEG (ErrNotJPEG) or is broken (ErrCorrupt); its
// message starts with "evidence: <name>: ". Parse never panics.
func Parse(name string, data []byte, opts ...Option) (info Info, err error) {
	o := apply(opts)
	sum := sha256.Sum256(data)
	info = Info{Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}

	if err := checkJPEG(data); err != nil {
		return Info{}, fmt.Errorf("evidence: %s: %w", name, err)
	}
	tags, warnings, err := decodeEXIF(data)
	if err != nil {
		return Info{}, fmt.Errorf("evidence: %s: %w", name, err)
	}
	info.fill(tags, warnings, o.loc)
	return info, nil
}

// checkJPEG walks the marker segments of data up to the start of scan and
// checks that an end-of-image marker follows.
func checkJPEG(data []byte) error {
	if len(data) == 0 {
		return notJPEG("the file is empty")
	}
	if len(data) < 2 || data[0] != 0xFF || data[1] != 0xD8 {
		return notJPEG("%s", sniff(data))
	}
	pos := 2
	for {
		if pos >= len(data) {
			return corrupt("the file ends at byte %d before any image data (truncated?)", pos)
		}
		if data[pos] != 0xFF {
			return corrupt("expected a marker at byte %d, found 0x%02X", pos, data[pos])
		}
		for pos < len(data) && data[pos] == 0xFF { // fill bytes
			pos++
		}
		if pos >= len(data) {
			return corrupt("the file ends at byte %d before any image data (truncated?)", pos)
		}
		m := data[pos]
		at := pos - 1
		pos++
		switch {
		case m == 0xD8:
			return corrupt("a second start-of-image marker at byte %d", at)
		case m == 0xD9:
			return corrupt("end of image at byte %d before any image data", at)
		case m == 0x00:
			return corrupt("stray byte 0xFF00 at byte %d outside image data", at)
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7): // markers without a length
			continue
		}
		if pos+2 > len(data) {
			return corrupt("segment 0xFF%02X at byte %d has no length (truncated?)", m, at)
		}
		n := int(data[pos])<<8 | int(data[pos+1])
		if n < 2 {
			return corrupt("segment 0xFF%02X at byte %d has length %d", m, at, n)
		}
		if pos+n > len(data) {
			return corrupt("segment %s at byte %d is %d bytes long but only %d remain (truncated?)", segmentName(m), at, n, len(data)-pos)
		}
		pos += n
		if m == 0xDA { // start of scan: the image data follows
			if !bytes.Contains(data[pos:], []byte{0xFF, 0xD9}) {
				return corrupt("no end-of-image marker after the image data (truncated?)")
			}
			return nil
		}
	}
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

// decodeEXIF returns the wanted tags of the JPEG in data and the decoder's
// warnings.
func decodeEXIF(data []byte) (tags map[string]any, warnings []string, err error) {
	defer func() {
		// imagemeta recovers its own panics; this is a second net.
		if r := recover(); r != nil {
			tags, warnings, err = nil, nil, corrupt("EXIF decoder failed: %v", r)
		}
	}()
	tags = map[string]any{}
	_, err = imagemeta.Decode(imagemeta.Options{
		R:               bytes.NewReader(data),
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

// fill sets info's metadata fields from the decoded tags.
func (info *Info) fill(tags map[string]any, warnings []string, loc *time.Location) {
	note := func(format string, args ...any) { info.Notes = append(info.Notes, fmt.Sprintf(format, args...)) }
	warned := func(tag string) string {
		for _, w := range warnings {
			if strings.HasPrefix(w, tag+":") {
				return w
			}
		}
		return ""
	}

	// Position.
	latV, hasLat := tags["GPSLatitude"]
	lonV, hasLon := tags["GPSLongitude"]
	switch {
	case !hasLat && !hasLon:
	case !hasLat || !hasLon:
		note("GPS position discarded: only one of GPSLatitude and GPSLongitude is present")
	default:
		lat, okLat := number(latV)
		lon, okLon := number(lonV)
		latSign, latErr := ref(tags, "GPSLatitudeRef", "N", "S")
		lonSign, lonErr := ref(tags, "GPSLongitudeRef", "E", "W")
		switch {
		case !okLat || warned("GPSLatitude") != "":
			note("GPS position discarded: GPSLatitude is unreadable%s", paren(warned("GPSLatitude")))
		case !okLon || warned("GPSLongitude") != "":
			note("GPS position discarded: GPSLongitude is unreadable%s", paren(warned("GPSLongitude")))
		case latErr != "":
			note("GPS position discarded: %s", latErr)
		case lonErr != "":
			note("GPS position discarded: %s", lonErr)
		case lat < 0 || lat > 90 || lon < 0 || lon > 180:
			note("GPS position discarded: latitude %g, longitude %g out of range", lat, lon)
		case lat == 0 && lon == 0:
			note("GPS position discarded: 0,0 (the camera had no fix)")
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
		if alt, ok := number(v); ok && alt >= 0 && alt < 100000 {
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
		if d, ok := number(v); ok && d >= 0 && d <= 360 {
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
		if tm, ok := tags["GPSTimeStamp"].(string); ok {
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
