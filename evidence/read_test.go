package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestParseFullPhoto(t *testing.T) {
	t.Parallel()
	for _, order := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		t.Run(order.String(), func(t *testing.T) {
			t.Parallel()
			p := fullPhoto()
			p.order = order
			data := p.jpeg(t)
			info, err := Parse("IMG_0001.jpg", data)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			if info.Name != "IMG_0001.jpg" || info.Size != int64(len(data)) || info.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("name %q size %d sha %s", info.Name, info.Size, info.SHA256)
			}
			wantLat := 30 + 35.0/60 + 24.12/3600
			wantLon := 114 + 18.0/60 + 0.36/3600
			if !info.HasGPS || !near(info.Position[1], wantLat, 1e-9) || !near(info.Position[0], wantLon, 1e-9) {
				t.Errorf("position %v (HasGPS %v), want lon %v lat %v", info.Position, info.HasGPS, wantLon, wantLat)
			}
			if !info.HasAltitude || !near(info.AltitudeM, 23.5, 1e-9) {
				t.Errorf("altitude %v %v", info.HasAltitude, info.AltitudeM)
			}
			if !info.HasDirection || !near(info.DirectionDeg, 135.5, 1e-9) || info.DirectionRef != "T" {
				t.Errorf("direction %v %v %q", info.HasDirection, info.DirectionDeg, info.DirectionRef)
			}
			wantTaken := time.Date(2026, 3, 3, 2, 15, 30, 0, time.UTC)
			if !info.Taken.Equal(wantTaken) || !info.TakenZoneKnown {
				t.Errorf("taken %v (zone known %v), want %v", info.Taken, info.TakenZoneKnown, wantTaken)
			}
			if _, off := info.Taken.Zone(); off != 8*3600 {
				t.Errorf("taken zone offset %d", off)
			}
			if want := time.Date(2026, 3, 3, 2, 15, 29, 0, time.UTC); !info.GPSTime.Equal(want) {
				t.Errorf("GPS time %v, want %v", info.GPSTime, want)
			}
			if len(info.Notes) != 0 {
				t.Errorf("notes %q", info.Notes)
			}
		})
	}
}

func TestParseVariants(t *testing.T) {
	t.Parallel()
	below := byte(1)
	b := tiffBuilder{binary.LittleEndian}
	tests := []struct {
		name  string
		photo func() photo
		opts  []Option
		check func(t *testing.T, info Info)
	}{
		{"south and west", func() photo {
			p := fullPhoto()
			p.latRef, p.lonRef = "S", "W"
			return p
		}, nil, func(t *testing.T, info Info) {
			if !info.HasGPS || info.Position[0] > -114 || info.Position[1] > -30 {
				t.Errorf("position %v", info.Position)
			}
		}},
		{"below sea level", func() photo {
			p := fullPhoto()
			p.altRef = &below
			return p
		}, nil, func(t *testing.T, info Info) {
			if !info.HasAltitude || info.AltitudeM != -23.5 {
				t.Errorf("altitude %v", info.AltitudeM)
			}
		}},
		{"no GPS", func() photo {
			return photo{taken: "2026:03:03 10:15:30"}
		}, nil, func(t *testing.T, info Info) {
			if info.HasGPS || info.HasDirection || info.HasAltitude || !info.GPSTime.IsZero() {
				t.Errorf("GPS fields set: %+v", info)
			}
			want := time.Date(2026, 3, 3, 10, 15, 30, 0, time.FixedZone("", 8*3600))
			if !info.Taken.Equal(want) || info.TakenZoneKnown {
				t.Errorf("taken %v zone known %v, want %v in China time", info.Taken, info.TakenZoneKnown, want)
			}
		}},
		{"no offset, zone given", func() photo {
			return photo{taken: "2026:03:03 10:15:30"}
		}, []Option{WithLocation(time.UTC)}, func(t *testing.T, info Info) {
			if want := time.Date(2026, 3, 3, 10, 15, 30, 0, time.UTC); !info.Taken.Equal(want) {
				t.Errorf("taken %v, want %v", info.Taken, want)
			}
		}},
		{"GPS without direction", func() photo {
			p := fullPhoto()
			p.dir, p.dirRef = nil, ""
			return p
		}, nil, func(t *testing.T, info Info) {
			if !info.HasGPS || info.HasDirection {
				t.Errorf("HasGPS %v HasDirection %v", info.HasGPS, info.HasDirection)
			}
		}},
		{"direction with zero denominator", func() photo {
			p := fullPhoto()
			p.dir = [][2]uint32{{10, 0}}
			return p
		}, nil, func(t *testing.T, info Info) {
			if info.HasDirection || !hasNote(info, "GPSImgDirection discarded") {
				t.Errorf("HasDirection %v notes %q", info.HasDirection, info.Notes)
			}
		}},
		{"null island", func() photo {
			p := fullPhoto()
			p.lat = [][2]uint32{{0, 1}, {0, 1}, {0, 1}}
			p.lon = [][2]uint32{{0, 1}, {0, 1}, {0, 1}}
			return p
		}, nil, func(t *testing.T, info Info) {
			if info.HasGPS || !hasNote(info, "no fix") {
				t.Errorf("HasGPS %v notes %q", info.HasGPS, info.Notes)
			}
		}},
		{"latitude out of range", func() photo {
			p := fullPhoto()
			p.lat = [][2]uint32{{95, 1}, {0, 1}, {0, 1}}
			return p
		}, nil, func(t *testing.T, info Info) {
			if info.HasGPS || !hasNote(info, "out of range") {
				t.Errorf("HasGPS %v notes %q", info.HasGPS, info.Notes)
			}
		}},
		{"bad reference", func() photo {
			p := fullPhoto()
			p.latRef = "X"
			return p
		}, nil, func(t *testing.T, info Info) {
			if info.HasGPS || !hasNote(info, `GPSLatitudeRef is "X"`) {
				t.Errorf("HasGPS %v notes %q", info.HasGPS, info.Notes)
			}
		}},
		{"missing references", func() photo {
			p := fullPhoto()
			p.latRef, p.lonRef = "", ""
			return p
		}, nil, func(t *testing.T, info Info) {
			if !info.HasGPS || info.Position[1] < 30 || !hasNote(info, "GPSLatitudeRef missing") {
				t.Errorf("HasGPS %v position %v notes %q", info.HasGPS, info.Position, info.Notes)
			}
		}},
		{"latitude as text", func() photo {
			p := fullPhoto()
			p.lat = nil
			p.extraGPS = []entry{b.ascii(0x0002, "north-ish")}
			return p
		}, nil, func(t *testing.T, info Info) {
			if info.HasGPS || !hasNote(info, "GPSLatitude is unreadable") {
				t.Errorf("HasGPS %v position %v notes %q", info.HasGPS, info.Position, info.Notes)
			}
		}},
		{"only latitude", func() photo {
			p := fullPhoto()
			p.lon = nil
			return p
		}, nil, func(t *testing.T, info Info) {
			if info.HasGPS || !hasNote(info, "only one of") {
				t.Errorf("HasGPS %v notes %q", info.HasGPS, info.Notes)
			}
		}},
		{"GPS tag numbers outside the GPS IFD", func() photo {
			// 0x0001 and 0x0002 are GPSLatitudeRef and GPSLatitude only
			// inside the GPS IFD; in IFD0 they must be ignored.
			return photo{extraIFD0: []entry{
				b.ascii(0x0001, "N"),
				b.rational(0x0002, [2]uint32{30, 1}, [2]uint32{0, 1}, [2]uint32{0, 1}),
				b.ascii(0x0003, "E"),
				b.rational(0x0004, [2]uint32{114, 1}, [2]uint32{0, 1}, [2]uint32{0, 1}),
			}}
		}, nil, func(t *testing.T, info Info) {
			if info.HasGPS {
				t.Errorf("GPS read from IFD0: %v", info.Position)
			}
		}},
		{"blank DateTimeOriginal", func() photo {
			return photo{taken: "    :  :     :  :  "}
		}, nil, func(t *testing.T, info Info) {
			if !info.Taken.IsZero() || len(info.Notes) != 0 {
				t.Errorf("taken %v notes %q", info.Taken, info.Notes)
			}
		}},
		{"unreadable DateTimeOriginal", func() photo {
			return photo{taken: "yesterday"}
		}, nil, func(t *testing.T, info Info) {
			if !info.Taken.IsZero() || !hasNote(info, "DateTimeOriginal") {
				t.Errorf("taken %v notes %q", info.Taken, info.Notes)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			info, err := Parse("p.jpg", tc.photo().jpeg(t), tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, info)
		})
	}

	info, err := Parse("plain.jpg", plainJPEG(t))
	if err != nil {
		t.Fatalf("JPEG without EXIF: %v", err)
	}
	if info.HasGPS || info.HasDirection || !info.Taken.IsZero() || info.SHA256 == "" {
		t.Errorf("JPEG without EXIF: %+v", info)
	}
}

func hasNote(info Info, s string) bool {
	return slices.ContainsFunc(info.Notes, func(n string) bool { return strings.Contains(n, s) })
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	full := fullPhoto().jpeg(t)
	plain := plainJPEG(t)
	sos := bytes.Index(plain, []byte{0xFF, 0xDA})
	tests := []struct {
		name string
		data []byte
		kind error
		want string
	}{
		{"empty", nil, ErrNotJPEG, "the file is empty"},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), ErrNotJPEG, "PNG"},
		{"heic", append([]byte{0, 0, 0, 24}, []byte("ftypheic\x00\x00\x00\x00mif1")...), ErrNotJPEG, "HEIF/HEIC"},
		{"text", []byte("<html>not found</html>"), ErrNotJPEG, "starts with 3C 68 74 6D"},
		{"one byte", []byte{0xFF}, ErrNotJPEG, "starts with FF"},
		{"SOI only", []byte{0xFF, 0xD8}, ErrCorrupt, "ends at byte 2"},
		{"truncated in APP1", full[:60], ErrCorrupt, "segment APP1 at byte 2 is"},
		{"truncated in image data", full[:len(full)-2], ErrCorrupt, "no end-of-image marker"},
		{"cut before SOS", plain[:sos], ErrCorrupt, "before any image data"},
		{"garbage between segments", append([]byte{0xFF, 0xD8, 0x12}, plain[2:]...), ErrCorrupt, "expected a marker at byte 2, found 0x12"},
		{"EOI before image", []byte{0xFF, 0xD8, 0xFF, 0xD9}, ErrCorrupt, "end of image at byte 2"},
		{"bad length", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0xFF, 0xD9}, ErrCorrupt, "has length 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("upload/IMG_9.jpg", tc.data)
			if !errors.Is(err, tc.kind) {
				t.Fatalf("err = %v, want %v", err, tc.kind)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "evidence: upload/IMG_9.jpg: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("message %q, want the file name and %q", msg, tc.want)
			}
		})
	}
}

func TestReadAndReadFile(t *testing.T) {
	t.Parallel()
	data := fullPhoto().jpeg(t)
	if _, err := Read("big.jpg", bytes.NewReader(data), WithMaxBytes(int64(len(data)-1))); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "big.jpg") {
		t.Errorf("size limit: %v", err)
	}
	if info, err := Read("ok.jpg", bytes.NewReader(data), WithMaxBytes(int64(len(data)))); err != nil || !info.HasGPS {
		t.Errorf("at the size limit: %v", err)
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "IMG_0002.jpg")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := ReadFile(path)
	if err != nil || info.Name != path || !info.HasGPS {
		t.Errorf("ReadFile: %+v, %v", info, err)
	}
	missing := filepath.Join(dir, "nope.jpg")
	if _, err := ReadFile(missing); err == nil || !strings.Contains(err.Error(), missing) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.jpg")
	if err := os.WriteFile(bad, data[:100], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(bad); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), bad) {
		t.Errorf("corrupt file: %v", err)
	}
}

// FuzzParseEXIF feeds mutated EXIF (TIFF) payloads, wrapped in the APP1 of
// a valid JPEG, to the parser, to reach the EXIF decoder past the JPEG
// structure check.
func FuzzParseEXIF(f *testing.F) {
	for _, p := range []photo{fullPhoto(), {taken: "2026:03:03 10:15:30"}} {
		data := p.jpeg(f)
		f.Add(data[12 : 12+int(binary.BigEndian.Uint16(data[4:6]))-8]) // the TIFF bytes
	}
	be := fullPhoto()
	be.order = binary.BigEndian
	data := be.jpeg(f)
	f.Add(data[12 : 12+int(binary.BigEndian.Uint16(data[4:6]))-8])
	f.Fuzz(func(t *testing.T, tiff []byte) {
		data, err := wrapEXIF(tiff)
		if err != nil {
			t.Skip(err) // larger than one APP1 segment
		}
		info, err := Parse("fuzz.jpg", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "evidence: fuzz.jpg: ") || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		if info.HasGPS {
			lon, lat := info.Position[0], info.Position[1]
			if math.Abs(lat) > 90 || math.Abs(lon) > 180 || (lat == 0 && lon == 0) {
				t.Fatalf("bad position %v", info.Position)
			}
		}
		if info.HasDirection && (info.DirectionDeg < 0 || info.DirectionDeg >= 360) {
			t.Fatalf("bad direction %v", info.DirectionDeg)
		}
	})
}

// FuzzParse feeds mutated photos to the parser: it must return an Info or a
// named error, never panic.
func FuzzParse(f *testing.F) {
	full := fullPhoto().jpeg(f)
	p := fullPhoto()
	p.order = binary.BigEndian
	f.Add(full)
	f.Add(p.jpeg(f))
	f.Add(photo{taken: "2026:03:03 10:15:30"}.jpeg(f))
	f.Add(plainJPEG(f)[:200])
	f.Add(full[:80])
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Parse("fuzz.jpg", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "evidence: fuzz.jpg: ") {
				t.Fatalf("error without the file name: %v", err)
			}
			if !errors.Is(err, ErrNotJPEG) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error of no known kind: %v", err)
			}
			return
		}
		if len(info.SHA256) != 64 || info.Size != int64(len(data)) {
			t.Fatalf("hash or size wrong: %+v", info)
		}
		if info.HasGPS {
			lon, lat := info.Position[0], info.Position[1]
			if math.Abs(lat) > 90 || math.Abs(lon) > 180 || (lat == 0 && lon == 0) {
				t.Fatalf("bad position %v", info.Position)
			}
		}
		if info.HasDirection && (info.DirectionDeg < 0 || info.DirectionDeg >= 360) {
			t.Fatalf("bad direction %v", info.DirectionDeg)
		}
	})
}
