package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline"
)

// EXIF values are validated: a rational with a zero denominator is no
// value, and so are minutes or seconds of 60 or more and out-of-range
// positions and directions. The photo is then flagged, never 合格.
func TestEXIFValidation(t *testing.T) {
	t.Parallel()
	// The patch is where fullPhoto was taken, so a good photo is 合格.
	good := fullPhoto()
	wantLat := 30 + 35.0/60 + 24.12/3600
	wantLon := 114 + 18.0/60 + 0.36/3600
	centre := orb.Point{wantLon, wantLat}
	poly := orb.Polygon{{{wantLon - 0.001, wantLat - 0.001}, {wantLon + 0.001, wantLat - 0.001}, {wantLon + 0.001, wantLat + 0.001}, {wantLon - 0.001, wantLat + 0.001}, {wantLon - 0.001, wantLat - 0.001}}}
	window := Window(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC))
	b := tiffBuilder{binary.LittleEndian}
	tests := []struct {
		name  string
		edit  func(p *photo)
		note  string
		flags []string
		check func(t *testing.T, info Info)
	}{
		{"good", func(p *photo) {}, "", nil, nil},
		{
			// The case: seconds 8/0 read as 0″ put the photo about
			// 250 m off, and it was still 合格.
			"latitude seconds with a zero denominator", func(p *photo) { p.lat = [][2]uint32{{30, 1}, {35, 1}, {8, 0}} },
			"GPS position discarded: GPSLatitude seconds 8/0 has a zero denominator", []string{FlagNoGPS, FlagBadGPS}, nil,
		},
		{
			"longitude degrees with a zero denominator", func(p *photo) { p.lon = [][2]uint32{{114, 0}, {18, 1}, {36, 100}} },
			"GPS position discarded: GPSLongitude degrees 114/0 has a zero denominator", []string{FlagNoGPS, FlagBadGPS}, nil,
		},
		{
			"minutes of 60 or more", func(p *photo) { p.lat = [][2]uint32{{30, 1}, {75, 1}, {0, 1}} },
			"GPS position discarded: GPSLatitude minutes 75/1 is not in [0, 60)", []string{FlagNoGPS, FlagBadGPS}, nil,
		},
		{
			"longitude out of range", func(p *photo) { p.lon = [][2]uint32{{190, 1}, {0, 1}, {0, 1}} },
			"longitude 190 out of range", []string{FlagNoGPS, FlagBadGPS}, nil,
		},
		{
			"latitude out of range", func(p *photo) { p.lat = [][2]uint32{{91, 1}, {0, 1}, {0, 1}} },
			"out of range", []string{FlagNoGPS, FlagBadGPS}, nil,
		},
		{
			"direction with a zero denominator", func(p *photo) { p.dir = [][2]uint32{{90, 0}} },
			"GPSImgDirection discarded: value 90/0 has a zero denominator", []string{FlagNoDirection}, nil,
		},
		{
			"direction out of range", func(p *photo) { p.dir = [][2]uint32{{400, 1}} },
			"GPSImgDirection discarded: unreadable or outside 0–360°", []string{FlagNoDirection}, nil,
		},
		{
			"altitude with a zero denominator", func(p *photo) { p.alt = [][2]uint32{{235, 0}} },
			"GPSAltitude discarded: value 235/0 has a zero denominator", nil,
			func(t *testing.T, info Info) {
				if info.HasAltitude {
					t.Error("altitude kept")
				}
			},
		},
		{
			"GPS time with a zero denominator", func(p *photo) { p.gpsTime = [][2]uint32{{2, 1}, {15, 0}, {29, 1}} },
			"GPSTimeStamp discarded: part 2 15/0 has a zero denominator", nil,
			func(t *testing.T, info Info) {
				if !info.GPSTime.IsZero() {
					t.Errorf("GPS time %v kept", info.GPSTime)
				}
			},
		},
		{
			"signed rationals", func(p *photo) {
				p.lat = nil
				e := b.rational(0x0002, [2]uint32{30, 1}, [2]uint32{35, 1}, [2]uint32{8, 0})
				e.typ = 10
				p.extraGPS = []entry{e}
			},
			"GPS position discarded", []string{FlagNoGPS, FlagBadGPS}, nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := good
			tc.edit(&p)
			info, err := Parse("IMG_1.jpg", p.jpeg(t))
			if err != nil {
				t.Fatal(err)
			}
			if !info.HasEXIF {
				t.Error("HasEXIF false")
			}
			if tc.note != "" && !hasNote(info, tc.note) {
				t.Errorf("notes %q, want one with %q", info.Notes, tc.note)
			}
			if tc.note == "" && len(info.Notes) != 0 {
				t.Errorf("notes %q", info.Notes)
			}
			f := Check(info, centre, poly, 0, window)
			if !slices.Equal(f.Flags(), tc.flags) {
				t.Errorf("flags %v, want %v", f.Flags(), tc.flags)
			}
			if (tc.flags == nil) != f.OK() || (f.OK() != strings.HasPrefix(f.Summary(), "合格")) {
				t.Errorf("OK %v, summary %q", f.OK(), f.Summary())
			}
			if slices.Contains(tc.flags, FlagNoGPS) && (info.HasGPS || !info.GPSDiscarded) {
				t.Errorf("HasGPS %v GPSDiscarded %v", info.HasGPS, info.GPSDiscarded)
			}
			if tc.check != nil {
				tc.check(t, info)
			}
		})
	}
}

// A photo without any EXIF, or with EXIF but no GPS, is flagged and never
// 合格.
func TestNoEXIFNoGPSFlagged(t *testing.T) {
	t.Parallel()
	centre := orb.Point{114.3, 30.59}
	info, err := Parse("stripped.jpg", plainJPEG(t))
	if err != nil {
		t.Fatal(err)
	}
	f := Check(info, centre, nil, 0)
	if info.HasEXIF || f.OK() || !slices.Equal(f.Flags(), []string{FlagNoEXIF, FlagNoGPS, FlagNoDirection, FlagNoTime}) ||
		f.Summary() != "无EXIF信息；无定位信息；无拍摄方向；无拍摄时间" {
		t.Errorf("no EXIF: HasEXIF %v flags %v summary %q", info.HasEXIF, f.Flags(), f.Summary())
	}
	if e := f.Evidence("张三", time.Time{}); !slices.Contains(e.Flags, FlagNoEXIF) || e.HasGPS {
		t.Errorf("evidence record %+v", e)
	}
	p := fullPhoto()
	p.lat, p.lon, p.latRef, p.lonRef = nil, nil, "", ""
	info, err = Parse("nogps.jpg", p.jpeg(t))
	if err != nil {
		t.Fatal(err)
	}
	f = Check(info, centre, nil, 0)
	if !info.HasEXIF || info.HasGPS || info.GPSDiscarded || f.OK() || !slices.Equal(f.Flags(), []string{FlagNoGPS}) {
		t.Errorf("no GPS: %+v flags %v", info, f.Flags())
	}
	if FlagLabel(FlagNoEXIF) != "无EXIF信息" || FlagLabel(FlagBadGPS) != "定位信息无效" {
		t.Error("labels")
	}
}

// readerAtFunc is an io.ReaderAt.
type readerAtFunc func(p []byte, off int64) (int, error)

func (f readerAtFunc) ReadAt(p []byte, off int64) (int, error) { return f(p, off) }

// bigPhoto is a virtual JPEG of size bytes: fullPhoto's segments, then
// zero bytes of "image data", then the end-of-image marker. It is never
// held in memory.
func bigPhoto(t testing.TB, size int64) (io.ReaderAt, []byte) {
	t.Helper()
	data := fullPhoto().jpeg(t)
	sos := bytes.Index(data, []byte{0xFF, 0xDA})
	n := int64(binary.BigEndian.Uint16(data[sos+2:]))
	head := data[:int64(sos)+2+n]
	return readerAtFunc(func(p []byte, off int64) (int, error) {
		if off >= size {
			return 0, io.EOF
		}
		n := 0
		for n < len(p) && off+int64(n) < size {
			i := off + int64(n)
			switch {
			case i < int64(len(head)):
				p[n] = head[i]
			case i == size-2:
				p[n] = 0xFF
			case i == size-1:
				p[n] = 0xD9
			default:
				p[n] = 0
			}
			n++
		}
		if n < len(p) {
			return n, io.EOF
		}
		return n, nil
	}), head
}

// ParseReaderAt reads a large photo in constant memory: its EXIF from the
// first segments, its hash in one pass of small reads.
func TestParseReaderAtStreams(t *testing.T) {
	t.Parallel()
	const size = 96 << 20
	r, _ := bigPhoto(t, size)
	largest := 0
	counting := readerAtFunc(func(p []byte, off int64) (int, error) {
		largest = max(largest, len(p))
		return r.ReadAt(p, off)
	})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	info, err := ParseReaderAt("VID_big.jpg", counting, size, WithMaxBytes(size))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if !info.HasEXIF || !info.HasGPS || info.Size != size || len(info.SHA256) != 64 {
		t.Errorf("info %+v", info)
	}
	if largest > 64<<10 {
		t.Errorf("largest read %d bytes, want at most 64 KiB", largest)
	}
	// Allocations stay far below the file's size (other tests run in
	// parallel, so this bound is loose).
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("allocated %d MiB for a %d MiB photo", alloc>>20, size>>20)
	}
	// The hash is the file's.
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, size)); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != info.SHA256 {
		t.Errorf("sha256 %s, want %s", info.SHA256, got)
	}
}

func TestParseReaderAtMatchesParse(t *testing.T) {
	t.Parallel()
	data := fullPhoto().jpeg(t)
	want, err := Parse("a.jpg", data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseReaderAt("a.jpg", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Taken.Equal(want.Taken) || got.SHA256 != want.SHA256 || got.Position != want.Position || !got.HasEXIF {
		t.Errorf("ParseReaderAt %+v\nParse %+v", got, want)
	}
	// ReadFile streams from the file.
	path := filepath.Join(t.TempDir(), "IMG_3.jpg")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if info, err := ReadFile(path); err != nil || info.SHA256 != want.SHA256 {
		t.Errorf("ReadFile %+v %v", info, err)
	}
}

// Too large is refused before the photo is read, with a typed error an HTTP
// layer maps to 413; a file shorter than its stated size is a read error.
func TestParseReaderAtLimits(t *testing.T) {
	t.Parallel()
	untouched := readerAtFunc(func(p []byte, off int64) (int, error) {
		t.Error("the photo was read")
		return 0, io.EOF
	})
	_, err := ParseReaderAt("huge.jpg", untouched, 2<<30)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Size != 2<<30 || tl.Limit != DefaultMaxBytes || !errors.Is(err, ErrTooLarge) || !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("2 GiB: %v", err)
	}
	if err.Error() != "evidence: huge.jpg: file too large: 2147483648 bytes, more than 67108864 bytes" {
		t.Errorf("message %q", err)
	}
	_, err = ParseReaderAt("small.jpg", untouched, 1000, WithMaxBytes(999))
	if !errors.As(err, &tl) || tl.Limit != 999 {
		t.Errorf("WithMaxBytes: %v", err)
	}
	// Read of a stream past the limit: size unknown.
	data := fullPhoto().jpeg(t)
	_, err = Read("s.jpg", bytes.NewReader(data), WithMaxBytes(100))
	if !errors.As(err, &tl) || tl.Size != -1 || err.Error() != "evidence: s.jpg: file too large: more than 100 bytes" {
		t.Errorf("Read: %v", err)
	}
	// Parse has the same limit.
	if _, err := Parse("p.jpg", data, WithMaxBytes(100)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Parse: %v", err)
	}
	// A ReaderAt shorter than its size.
	_, err = ParseReaderAt("short.jpg", bytes.NewReader(data), int64(len(data))+10)
	if err == nil || !strings.HasPrefix(err.Error(), "evidence: short.jpg: read: ") || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short: %v", err)
	}
	// An I/O error is not a photo problem.
	ioErr := errors.New("disk on fire")
	_, err = ParseReaderAt("io.jpg", readerAtFunc(func([]byte, int64) (int, error) { return 0, ioErr }), 100)
	if !errors.Is(err, ioErr) || errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("io error: %v", err)
	}
	for _, e := range []error{ErrNotJPEG, ErrCorrupt, ErrTooLarge} {
		if !errors.Is(e, pipeline.ErrInvalid) {
			t.Errorf("%v is not pipeline.ErrInvalid", e)
		}
	}
	if _, err := Parse("x.jpg", []byte("<html>")); !errors.Is(err, pipeline.ErrInvalid) || !errors.Is(err, ErrNotJPEG) {
		t.Errorf("not a JPEG: %v", err)
	}
}

// The end-of-image marker is found when it straddles two read chunks.
func TestEOIAcrossChunks(t *testing.T) {
	t.Parallel()
	data := make([]byte, 200<<10)
	data[64<<10-1], data[64<<10] = 0xFF, 0xD9
	r := bytes.NewReader(data)
	for _, tc := range []struct {
		from int64
		want bool
	}{{0, true}, {64<<10 - 1, true}, {64 << 10, false}, {100, true}} {
		_, eoi, err := hashAndFindEOI(r, int64(len(data)), tc.from)
		if err != nil || eoi != tc.want {
			t.Errorf("from %d: eoi %v (%v), want %v", tc.from, eoi, err, tc.want)
		}
	}
}

// Spool copies an upload to a file with the same limit as the parser, and
// ParseReaderAt reads the file.
func TestSpool(t *testing.T) {
	t.Parallel()
	data := fullPhoto().jpeg(t)
	f, err := os.Create(filepath.Join(t.TempDir(), "upload"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := Spool("IMG_9.jpg", f, bytes.NewReader(data))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("Spool: %d %v", n, err)
	}
	info, err := ParseReaderAt("IMG_9.jpg", f, n)
	if err != nil || !info.HasGPS {
		t.Fatalf("ParseReaderAt of the spooled file: %+v %v", info, err)
	}
	// Past the limit it stops reading: a 1 GiB stream is refused after
	// limit+1 bytes.
	var tl *TooLargeError
	n, err = Spool("big.jpg", io.Discard, io.LimitReader(zeros{}, 1<<30), WithMaxBytes(1000))
	if !errors.As(err, &tl) || tl.Limit != 1000 || n != 1001 || !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized: %d %v", n, err)
	}
	if n, err := Spool("ok.jpg", io.Discard, bytes.NewReader(make([]byte, 1000)), WithMaxBytes(1000)); err != nil || n != 1000 {
		t.Errorf("at the limit: %d %v", n, err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
