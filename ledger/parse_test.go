package ledger

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"slices"
	"testing"
	"time"
)

func TestParsePatrolTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in         string
		start, end string // "2006-01-02 15:04"; "" end = none
		bad        bool
	}{
		{in: "2026-05-03", start: "2026-05-03 00:00"},
		{in: "2026/5/3", start: "2026-05-03 00:00"},
		{in: "2026年5月3日", start: "2026-05-03 00:00"},
		{in: "2026年05月03日（星期日）上午", start: "2026-05-03 00:00"},
		{in: "2026.05.03 08:30-11:00", start: "2026-05-03 08:30", end: "2026-05-03 11:00"},
		{in: "２０２６－０５－０３ ０８：３０", start: "2026-05-03 08:30"},
		{in: "2026-05-03T08:30:00", start: "2026-05-03 08:30"},
		{in: "2026/5/3 8:30:00", start: "2026-05-03 08:30"},
		{in: "2026年5月3日8时30分至11时", start: "2026-05-03 08:30", end: "2026-05-03 11:00"},
		{in: "2026年5月3日下午2:30-5:00", start: "2026-05-03 14:30", end: "2026-05-03 17:00"},
		{in: "2026年5月3日-5日", start: "2026-05-03 00:00", end: "2026-05-05 00:00"},
		{in: "2026.05.03~05.05", start: "2026-05-03 00:00", end: "2026-05-05 00:00"},
		{in: "2026-05-03至2026-05-04", start: "2026-05-03 00:00", end: "2026-05-04 00:00"},
		{in: "5月3日", start: "2026-05-03 00:00"},
		{in: "5月3日 8:00—11:30", start: "2026-05-03 08:00", end: "2026-05-03 11:30"},
		{in: "20260503", start: "2026-05-03 00:00"},
		{in: "5/3/2026", start: "2026-05-03 00:00"},
		{in: "46145", start: "2026-05-03 00:00"},
		{in: "46145.5", start: "2026-05-03 12:00"},
		{in: "2026-13-45", bad: true},
		{in: "2026-02-30", bad: true},
		{in: "五月三日", bad: true},
		{in: "12", bad: true},
		{in: "1899-01-01", bad: true},
		{in: "2026-05-03 08:61", bad: true},
		{in: "2026-05-05至2026-05-03", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			s, e, problem := parsePatrolTime(tc.in, 2026, false, cst())
			if tc.bad {
				if problem == "" {
					t.Errorf("got %v–%v, want a problem", s, e)
				}
				return
			}
			if problem != "" {
				t.Fatalf("problem %q", problem)
			}
			if got := s.Format("2006-01-02 15:04"); got != tc.start {
				t.Errorf("start %s, want %s", got, tc.start)
			}
			got := ""
			if !e.IsZero() {
				got = e.Format("2006-01-02 15:04")
			}
			if got != tc.end {
				t.Errorf("end %q, want %q", got, tc.end)
			}
		})
	}
	// The 1904 date system.
	s, _, p := parsePatrolTime("44683", 0, true, cst())
	if p != "" || s.Format("2006-01-02") != "2026-05-03" {
		t.Errorf("1904: %v %q", s, p)
	}
}

func TestSplitPeople(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		names []string
		n     int
	}{
		{"张三、李四", []string{"张三", "李四"}, 2},
		{"张三，李四,王五", []string{"张三", "李四", "王五"}, 3},
		{"张三;李四；王五", []string{"张三", "李四", "王五"}, 3},
		{"张三/李四", []string{"张三", "李四"}, 2},
		{"张三 李四", []string{"张三", "李四"}, 2},
		{"张三(组长)、李四", []string{"张三", "李四"}, 2},
		{"张三等3人", []string{"张三"}, 3},
		{"张三、李四等两人", []string{"张三", "李四"}, 2},
		{"张三和李四", []string{"张三", "李四"}, 2},
		{"欧阳和平", []string{"欧阳和平"}, 1},
		{"张三", []string{"张三"}, 1},
		{"张三、张三", []string{"张三"}, 1},
		{"", nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			names, n := SplitPeople(tc.in)
			if !slices.Equal(names, tc.names) || n != tc.n {
				t.Errorf("got %v %d, want %v %d", names, n, tc.names, tc.n)
			}
		})
	}
}

func TestParseCoords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		lon     float64
		lat     float64
		found   bool
		problem bool
	}{
		{in: "114.123,30.456", lon: 114.123, lat: 30.456, found: true},
		{in: "30.456, 114.123", lon: 114.123, lat: 30.456, found: true},
		{in: "东关村北侧 114.123456 30.456789", lon: 114.123456, lat: 30.456789, found: true},
		{in: "E114.123 N30.456", lon: 114.123, lat: 30.456, found: true},
		{in: "N30.456,E114.123", lon: 114.123, lat: 30.456, found: true},
		{in: "114.123°E, 30.456°N", lon: 114.123, lat: 30.456, found: true},
		{in: "经度:114.123 纬度:30.456", lon: 114.123, lat: 30.456, found: true},
		{in: "东经114°7′22″ 北纬30°27′36″", lon: 114 + 7.0/60 + 22.0/3600, lat: 30 + 27.0/60 + 36.0/3600, found: true},
		{in: "东经114度7分22秒，北纬30度27分36秒", lon: 114 + 7.0/60 + 22.0/3600, lat: 30 + 27.0/60 + 36.0/3600, found: true},
		{in: "114°7'22\"E 30°27'36\"N", lon: 114 + 7.0/60 + 22.0/3600, lat: 30 + 27.0/60 + 36.0/3600, found: true},
		{in: "116.4,39.9", lon: 116.4, lat: 39.9, found: true},
		{in: "38512345.6,3385123.4", lon: 114.1287152, lat: 30.5863654, found: true},
		{in: "东关村北100米", found: false},
		{in: "占地5.4亩，3.25米高", found: false},
		{in: "107国道旁", found: false},
		{in: "E114.123", found: true, problem: true},
		{in: "N114.123 N30.456", found: true, problem: true},
		{in: "东经114°70′22″ 北纬30°27′36″", found: true, problem: true},
		{in: "214.123,30.456", found: true, problem: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			pt, found, problem := ParseCoords(tc.in)
			if found != tc.found || (problem != "") != tc.problem {
				t.Fatalf("found %v problem %q; want %v %v", found, problem, tc.found, tc.problem)
			}
			if tc.found && !tc.problem && (math.Abs(pt[0]-tc.lon) > 1e-4 || math.Abs(pt[1]-tc.lat) > 1e-4) {
				t.Errorf("got %v, want %v,%v", pt, tc.lon, tc.lat)
			}
		})
	}
}

func TestZoneMatcher(t *testing.T) {
	t.Parallel()
	zm := newZoneMatcher([]string{"东关村", "东关社区", "西关村", "经济开发区", "城关镇一级巡查区域"})
	tests := []struct {
		in, want  string
		ambiguous bool
	}{
		{"东关村", "东关村", false},
		{" 东关 村 ", "东关村", false},
		{"西关", "西关村", false},
		{"西关片区", "西关村", false},
		{"东关", "", true},
		{"东关片区", "", true},
		{"经济开发区", "经济开发区", false},
		{"城关镇一级", "城关镇一级巡查区域", false},
		{"南关村", "", false},
		{"村", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, amb := zm.match(tc.in)
			if got != tc.want || (amb != nil) != tc.ambiguous {
				t.Errorf("got %q %v, want %q ambiguous=%v", got, amb, tc.want, tc.ambiguous)
			}
		})
	}
	if got := splitZones("东关村至西关村—经济开发区、东关村"); !slices.Equal(got, []string{"东关村", "西关村", "经济开发区"}) {
		t.Errorf("split %v", got)
	}
}

func TestHeaderNames(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Field{
		"巡查时间": FieldTime, "巡查时间（年月日）": FieldTime, " 巡查日期 ": FieldTime, "*巡查人员": FieldPeople,
		"巡查区域/路线": FieldZone, "巡查路线": FieldZone, "违法主题或者名称": FieldSubject, "违法地点/坐标": FieldPlace,
		"后续处理情况": FieldFollowUp, "经度": FieldLon, "Lat": FieldLat, "序号": 0, "检查时间": 0,
	} {
		if got := ParseField(in); got != want {
			t.Errorf("ParseField(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestReadTracks(t *testing.T) {
	t.Parallel()
	utc := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	tests := []struct {
		file     string
		tracks   int
		name     string
		team     string
		people   []string
		segments int
		points   int
		timed    int
		first    time.Time
	}{
		{"testdata/城关所一组_张三_李四_20260503.gpx", 1, "东关村巡查", "城关所一组", []string{"张三", "李四"}, 2, 11, 11, utc("2026-05-03T00:30:00Z")},
		{"testdata/西关中队_王五_赵六_20260504.gpx", 1, "", "西关中队", []string{"王五", "赵六"}, 1, 3, 3, utc("2026-05-03T00:30:00Z")},
		{"testdata/巡查轨迹.kml", 2, "5月6日上午", "城关所二组", []string{"王五", "赵六"}, 1, 4, 4, utc("2026-05-06T01:00:00Z")},
		{"testdata/巡查轨迹.geojson", 2, "5月8日", "城关所一组", []string{"张三", "李四"}, 1, 3, 3, utc("2026-05-08T01:00:00Z")},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			trs, err := ReadTrackFile(context.Background(), tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if len(trs) != tc.tracks {
				t.Fatalf("%d tracks, want %d", len(trs), tc.tracks)
			}
			tr := trs[0]
			n, timed := tr.Points()
			if tr.Name != tc.name || tr.Team != tc.team || !slices.Equal(tr.People, tc.people) || len(tr.Segments) != tc.segments ||
				n != tc.points || timed != tc.timed || !tr.Segments[0][0].Time.Equal(tc.first) {
				t.Errorf("got %q %q %v segs %d pts %d/%d first %v", tr.Name, tr.Team, tr.People, len(tr.Segments), n, timed, tr.Segments[0][0].Time)
			}
			d := tr.Domain()
			if d.ID != tr.ID() || len(d.Segments) != len(tr.Segments) || d.Team != tr.Team {
				t.Errorf("domain %+v", d)
			}
		})
	}
}

func TestTrackTimesSpread(t *testing.T) {
	t.Parallel()
	trs, err := ReadTrackFile(context.Background(), "testdata/巡查轨迹.kml")
	if err != nil {
		t.Fatal(err)
	}
	// LineString 114.310 → 114.312 → 114.316 over 06:00–06:30: a third of
	// the distance at 06:10.
	seg := trs[1].Segments[0]
	if got := seg[1].Time.UTC().Format("15:04:05"); got != "06:10:00" {
		t.Errorf("middle fix at %s, want 06:10:00", got)
	}
	trs, err = ReadTrackFile(context.Background(), "testdata/巡查轨迹.geojson")
	if err != nil {
		t.Fatal(err)
	}
	if got := trs[1].Segments[1][1].Time.UTC().Format("15:04"); got != "01:20" {
		t.Errorf("multi-line end %s", got)
	}
}

func TestTrackIDStable(t *testing.T) {
	t.Parallel()
	a, err := ReadTrackFile(context.Background(), "testdata/城关所一组_张三_李四_20260503.gpx")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadGPX(context.Background(), bytes.NewReader(mustRead(t, "testdata/城关所一组_张三_李四_20260503.gpx")), "copy.gpx")
	if err != nil {
		t.Fatal(err)
	}
	b[0].Team = a[0].Team
	if a[0].ID() != b[0].ID() {
		t.Error("same fixes, different ID")
	}
}

func TestMalformedTracks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		read func(context.Context, *bytes.Reader, string) ([]Track, error)
		data string
	}{
		{"gpx truncated", gpxR, `<gpx><trk><trkseg><trkpt lat="30" lon="114"><time>2026-05-03T00:00:00Z</time></trkpt>`},
		{"gpx bad lat", gpxR, `<gpx><trk><trkseg><trkpt lat="north" lon="114"/></trkseg></trk></gpx>`},
		{"not gpx", gpxR, `<kml></kml>`},
		{"gpx binary", gpxR, "\x00\x01\x02"},
		{"kml bad coords", kmlR, `<kml><Placemark><LineString><coordinates>114,abc</coordinates></LineString></Placemark></kml>`},
		{"not kml", kmlR, `<gpx/>`},
		{"geojson broken", geoR, `{"type":"FeatureCollection","features":[`},
		{"geojson polygon only", geoR, `{"type":"Polygon","coordinates":[]}`},
		{"geojson times mismatch", geoR, `{"type":"Feature","properties":{"coordTimes":["2026-05-03T00:00:00Z"]},"geometry":{"type":"LineString","coordinates":[[114,30],[114.1,30]]}}`},
		{"kmz not zip", kmzR, `<kml/>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.read(context.Background(), bytes.NewReader([]byte(tc.data)), "轨迹.x")
			var fe *FileError
			if !errors.As(err, &fe) || !errors.Is(err, ErrFormat) || fe.File != "轨迹.x" {
				t.Errorf("err = %v, want a FileError wrapping ErrFormat", err)
			}
		})
	}
	// A KMZ wrapping the KML fixture reads like the KML.
	kmz := zipOf(t, "doc.kml", string(mustRead(t, "testdata/巡查轨迹.kml")))
	trs, err := ReadKMZ(context.Background(), bytes.NewReader(kmz), "巡查轨迹.kmz")
	if err != nil || len(trs) != 2 {
		t.Errorf("kmz: %d tracks, %v", len(trs), err)
	}
}

func gpxR(ctx context.Context, r *bytes.Reader, n string) ([]Track, error) { return ReadGPX(ctx, r, n) }
func kmlR(ctx context.Context, r *bytes.Reader, n string) ([]Track, error) { return ReadKML(ctx, r, n) }
func geoR(ctx context.Context, r *bytes.Reader, n string) ([]Track, error) {
	return ReadGeoJSON(ctx, r, n)
}
func kmzR(ctx context.Context, r *bytes.Reader, n string) ([]Track, error) { return ReadKMZ(ctx, r, n) }

func zipOf(t *testing.T, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
