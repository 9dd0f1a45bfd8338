package evidence

// Test fixtures: real JPEGs with hand-built EXIF.
//
// A JPEG file is a sequence of marker segments: FF D8 (start of image), then
// segments FF xx + 2-byte big-endian length (counting itself) + payload, then
// FF DA (start of scan) with the compressed image, then FF D9 (end of image).
// EXIF lives in an APP1 segment (FF E1) whose payload is "Exif\0\0" followed
// by a little TIFF file:
//
//	"II" 2A 00 | offset of IFD0 (8)             little-endian ("MM" 00 2A for big)
//	IFD: count (2 bytes) | count × 12-byte entries | offset of next IFD (0)
//	entry: tag (2) | type (2) | count (4) | value if ≤ 4 bytes, else offset
//
// Offsets count from the "II"/"MM". IFD0 points to the Exif IFD with tag
// 0x8769 and to the GPS IFD with tag 0x8825 (type LONG, value = offset).
// Types used here: 1 BYTE, 2 ASCII (NUL-terminated), 3 SHORT, 4 LONG,
// 5 RATIONAL (two LONGs, numerator then denominator).

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"slices"
	"testing"
)

// entry is one IFD entry; data holds the value bytes in the file's byte
// order.
type entry struct {
	tag   uint16
	typ   uint16
	count uint32
	data  []byte
}

// byteOrder is binary.LittleEndian or binary.BigEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

type tiffBuilder struct{ order byteOrder }

func (b tiffBuilder) ascii(tag uint16, s string) entry {
	return entry{tag, 2, uint32(len(s) + 1), append([]byte(s), 0)}
}

func (b tiffBuilder) byte1(tag uint16, v byte) entry {
	return entry{tag, 1, 1, []byte{v}}
}

func (b tiffBuilder) long(tag uint16, v uint32) entry {
	return entry{tag, 4, 1, b.order.AppendUint32(nil, v)}
}

// rational writes num/den pairs.
func (b tiffBuilder) rational(tag uint16, pairs ...[2]uint32) entry {
	var d []byte
	for _, p := range pairs {
		d = b.order.AppendUint32(d, p[0])
		d = b.order.AppendUint32(d, p[1])
	}
	return entry{tag, 5, uint32(len(pairs)), d}
}

// size is the size of an IFD with its out-of-line values.
func ifdSize(es []entry) int {
	n := 2 + 12*len(es) + 4
	for _, e := range es {
		if len(e.data) > 4 {
			n += len(e.data) + len(e.data)%2
		}
	}
	return n
}

// build returns the TIFF bytes: IFD0 at offset 8, then the Exif IFD and the
// GPS IFD if given (IFD0 gets the pointers to them).
func (b tiffBuilder) build(ifd0, exif, gps []entry) []byte {
	ifd0 = slices.Clone(ifd0)
	n0 := len(ifd0)
	if exif != nil {
		ifd0 = append(ifd0, b.long(0x8769, 0))
	}
	if gps != nil {
		ifd0 = append(ifd0, b.long(0x8825, 0))
	}
	off0 := 8
	offExif := off0 + ifdSize(ifd0)
	offGPS := offExif
	if exif != nil {
		offGPS += ifdSize(exif)
	}
	i := n0
	if exif != nil {
		ifd0[i] = b.long(0x8769, uint32(offExif))
		i++
	}
	if gps != nil {
		ifd0[i] = b.long(0x8825, uint32(offGPS))
	}

	var out []byte
	if b.order == binary.LittleEndian {
		out = append(out, 'I', 'I')
	} else {
		out = append(out, 'M', 'M')
	}
	out = b.order.AppendUint16(out, 42)
	out = b.order.AppendUint32(out, uint32(off0))
	out = b.ifd(out, ifd0)
	if exif != nil {
		out = b.ifd(out, exif)
	}
	if gps != nil {
		out = b.ifd(out, gps)
	}
	return out
}

// ifd appends one IFD, starting at len(out), and its out-of-line values.
func (b tiffBuilder) ifd(out []byte, es []entry) []byte {
	es = slices.Clone(es)
	slices.SortFunc(es, func(x, y entry) int { return int(x.tag) - int(y.tag) })
	start := len(out)
	dataOff := start + 2 + 12*len(es) + 4
	var data []byte
	out = b.order.AppendUint16(out, uint16(len(es)))
	for _, e := range es {
		out = b.order.AppendUint16(out, e.tag)
		out = b.order.AppendUint16(out, e.typ)
		out = b.order.AppendUint32(out, e.count)
		if len(e.data) <= 4 {
			v := make([]byte, 4)
			copy(v, e.data)
			out = append(out, v...)
			continue
		}
		out = b.order.AppendUint32(out, uint32(dataOff+len(data)))
		data = append(data, e.data...)
		if len(e.data)%2 == 1 {
			data = append(data, 0)
		}
	}
	out = b.order.AppendUint32(out, 0) // no next IFD
	return append(out, data...)
}

// plainJPEG encodes a small grey gradient, without EXIF.
func plainJPEG(t testing.TB) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 16, 16))
	for y := range 16 {
		for x := range 16 {
			img.SetGray(x, y, color.Gray{uint8(x*16 + y)})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 50}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withEXIF returns a JPEG whose first segment after SOI is an APP1 holding
// tiff.
func withEXIF(t testing.TB, tiff []byte) []byte {
	t.Helper()
	out, err := wrapEXIF(tiff)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wrapEXIF(tiff []byte) ([]byte, error) {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, nil); err != nil {
		return nil, err
	}
	payload := append([]byte("Exif\x00\x00"), tiff...)
	if len(payload)+2 > 0xFFFF {
		return nil, errors.New("EXIF too large for one APP1")
	}
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1}
	out = binary.BigEndian.AppendUint16(out, uint16(len(payload)+2))
	out = append(out, payload...)
	return append(out, plain.Bytes()[2:]...), nil
}

// photo describes the EXIF of a fixture; nil/empty fields are left out.
type photo struct {
	order          byteOrder
	lat, lon       [][2]uint32 // degrees, minutes, seconds as rationals
	latRef, lonRef string
	alt            [][2]uint32
	altRef         *byte
	dir            [][2]uint32
	dirRef         string
	taken, offset  string
	gpsDate        string
	gpsTime        [][2]uint32
	extraIFD0      []entry
	extraGPS       []entry
}

func (p photo) jpeg(t testing.TB) []byte {
	t.Helper()
	if p.order == nil {
		p.order = binary.LittleEndian
	}
	b := tiffBuilder{p.order}
	ifd0 := []entry{b.ascii(0x010F, "Huawei"), b.ascii(0x0110, "Field camera")}
	ifd0 = append(ifd0, p.extraIFD0...)
	var exif []entry // nil: no Exif IFD at all
	if p.taken != "" {
		exif = append(exif, b.ascii(0x9003, p.taken))
	}
	if p.offset != "" {
		exif = append(exif, b.ascii(0x9011, p.offset))
	}
	var gps []entry
	if p.lat != nil || p.lon != nil || p.dir != nil || p.alt != nil || p.gpsDate != "" || p.extraGPS != nil {
		gps = []entry{{0x0000, 1, 4, []byte{2, 3, 0, 0}}} // GPSVersionID 2.3.0.0
		if p.latRef != "" {
			gps = append(gps, b.ascii(0x0001, p.latRef))
		}
		if p.lat != nil {
			gps = append(gps, b.rational(0x0002, p.lat...))
		}
		if p.lonRef != "" {
			gps = append(gps, b.ascii(0x0003, p.lonRef))
		}
		if p.lon != nil {
			gps = append(gps, b.rational(0x0004, p.lon...))
		}
		if p.altRef != nil {
			gps = append(gps, b.byte1(0x0005, *p.altRef))
		}
		if p.alt != nil {
			gps = append(gps, b.rational(0x0006, p.alt...))
		}
		if p.gpsTime != nil {
			gps = append(gps, b.rational(0x0007, p.gpsTime...))
		}
		if p.dirRef != "" {
			gps = append(gps, b.ascii(0x0010, p.dirRef))
		}
		if p.dir != nil {
			gps = append(gps, b.rational(0x0011, p.dir...))
		}
		if p.gpsDate != "" {
			gps = append(gps, b.ascii(0x001D, p.gpsDate))
		}
		gps = append(gps, p.extraGPS...)
	}
	return withEXIF(t, b.build(ifd0, exif, gps))
}

// fullPhoto is taken at 30°35'24.12"N 114°18'0.36"E (Wuhan), 23.5 m up,
// facing 135.5° true, on 2026-03-03 10:15:30 +08:00.
func fullPhoto() photo {
	return photo{
		lat:     [][2]uint32{{30, 1}, {35, 1}, {2412, 100}},
		latRef:  "N",
		lon:     [][2]uint32{{114, 1}, {18, 1}, {36, 100}},
		lonRef:  "E",
		alt:     [][2]uint32{{235, 10}},
		altRef:  new(byte),
		dir:     [][2]uint32{{1355, 10}},
		dirRef:  "T",
		taken:   "2026:03:03 10:15:30",
		offset:  "+08:00",
		gpsDate: "2026:03:03",
		gpsTime: [][2]uint32{{2, 1}, {15, 1}, {29, 1}},
	}
}
