package evidence

import (
	"encoding/binary"
	"strconv"
)

// The EXIF decoder turns a rational with a zero denominator into 0 (or the
// text "undef"), so a GPSLatitude of 30°35′8/0″ would read as 30°35′0″,
// about 250 m off, and pass for a fix. rawGPS reads the GPS rationals
// themselves from the TIFF structure so that fill can tell a real value
// from a broken one. It reads only: IFD0's GPSInfo pointer (0x8825), then
// the GPS IFD's RATIONAL (5) or SRATIONAL (10) entries. Every offset is
// checked against the buffer; anything unreadable is simply left out.

// GPS IFD tags whose rationals are checked.
const (
	tagGPSLatitude     = 0x0002
	tagGPSLongitude    = 0x0004
	tagGPSAltitude     = 0x0006
	tagGPSTimeStamp    = 0x0007
	tagGPSImgDirection = 0x0011
	tagGPSInfo         = 0x8825
)

// rational is one raw EXIF rational.
type rational struct{ num, den int64 }

// rawGPS returns the rationals of the checked GPS tags of the TIFF payload
// of an EXIF segment, by tag.
func rawGPS(tiff []byte) map[uint16][]rational {
	if len(tiff) < 8 {
		return nil
	}
	var order binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return nil
	}
	u16 := func(off int) (uint16, bool) {
		if off < 0 || off+2 > len(tiff) {
			return 0, false
		}
		return order.Uint16(tiff[off:]), true
	}
	u32 := func(off int) (uint32, bool) {
		if off < 0 || off+4 > len(tiff) {
			return 0, false
		}
		return order.Uint32(tiff[off:]), true
	}
	// entries calls fn for each 12-byte entry of the IFD at off.
	entries := func(off int, fn func(e int)) {
		n, ok := u16(off)
		if !ok {
			return
		}
		for i := range int(n) {
			e := off + 2 + 12*i
			if e+12 > len(tiff) {
				return
			}
			fn(e)
		}
	}
	ifd0, ok := u32(4)
	if !ok || ifd0 > uint32(len(tiff)) {
		return nil
	}
	gpsOff := -1
	entries(int(ifd0), func(e int) {
		if tag, _ := u16(e); tag == tagGPSInfo {
			if v, ok := u32(e + 8); ok && v < uint32(len(tiff)) {
				gpsOff = int(v)
			}
		}
	})
	if gpsOff < 0 {
		return nil
	}
	out := map[uint16][]rational{}
	entries(gpsOff, func(e int) {
		tag, _ := u16(e)
		switch tag {
		case tagGPSLatitude, tagGPSLongitude, tagGPSAltitude, tagGPSTimeStamp, tagGPSImgDirection:
		default:
			return
		}
		if _, dup := out[tag]; dup {
			return
		}
		typ, _ := u16(e + 2)
		count, _ := u32(e + 4)
		if (typ != 5 && typ != 10) || count == 0 || count > 16 {
			return
		}
		at, ok := u32(e + 8) // 8 bytes per rational: always out of line
		if !ok || uint64(at)+8*uint64(count) > uint64(len(tiff)) {
			return
		}
		rs := make([]rational, count)
		for i := range rs {
			n, _ := u32(int(at) + 8*i)
			d, _ := u32(int(at) + 8*i + 4)
			if typ == 10 {
				rs[i] = rational{int64(int32(n)), int64(int32(d))}
			} else {
				rs[i] = rational{int64(n), int64(d)}
			}
		}
		out[tag] = rs
	})
	return out
}

// rationalProblem returns why the rationals of a GPS tag are no value (a
// zero denominator; for a degrees-minutes-seconds triple, minutes or
// seconds that are negative or not under 60), or "".
func rationalProblem(rs []rational, dms bool) string {
	names := []string{"degrees", "minutes", "seconds"}
	for i, r := range rs {
		what := "value"
		if dms && len(rs) == 3 {
			what = names[i]
		} else if len(rs) > 1 {
			what = "part " + strconv.Itoa(i+1)
		}
		if r.den == 0 {
			return what + " " + strconv.FormatInt(r.num, 10) + "/0 has a zero denominator"
		}
		if dms && len(rs) == 3 && i > 0 {
			v := float64(r.num) / float64(r.den)
			if v < 0 || v >= 60 {
				return what + " " + strconv.FormatInt(r.num, 10) + "/" + strconv.FormatInt(r.den, 10) + " is not in [0, 60)"
			}
		}
	}
	return ""
}
