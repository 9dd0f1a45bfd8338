package ledger

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func gpxDoc(trk string) string {
	return `<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">` + trk + `</gpx>`
}

func pt(lat, lon, tm string) string {
	if tm == "" {
		return `<trkpt lat="` + lat + `" lon="` + lon + `"/>`
	}
	return `<trkpt lat="` + lat + `" lon="` + lon + `"><time>` + tm + `</time></trkpt>`
}

// Tracks are refused, with the file and the track named, when they hold no
// point or no point with a time.
func TestTracksRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		read func(context.Context, *strings.Reader, string) ([]Track, error)
		data string
		err  error
		want string
	}{
		{"gpx empty segment", gpxT, gpxDoc(`<trk><name>东关村巡查</name><trkseg></trkseg></trk>`), ErrEmptyTrack,
			"轨迹.gpx：轨迹「东关村巡查」没有任何轨迹点"},
		{"gpx track without segments", gpxT, gpxDoc(`<trk><name>a</name></trk><trk><trkseg>` + pt("30", "114", "2026-05-03T00:00:00Z") + `</trkseg></trk>`), ErrEmptyTrack,
			"轨迹.gpx：轨迹「a」没有任何轨迹点"},
		{"gpx unnamed second track empty", gpxT, gpxDoc(`<trk><trkseg>` + pt("30", "114", "2026-05-03T00:00:00Z") + `</trkseg></trk><trk><trkseg/></trk>`), ErrEmptyTrack,
			"轨迹.gpx：轨迹「第2条」没有任何轨迹点"},
		{"gpx no track at all", gpxT, gpxDoc(`<wpt lat="30" lon="114"/>`), ErrEmptyTrack, "轨迹.gpx：文件中没有轨迹"},
		{"gpx no point has a time", gpxT, gpxDoc(`<trk><name>b</name><trkseg>` + pt("30", "114", "") + pt("30.1", "114", "not a time") + `</trkseg></trk>`), ErrTrackTime,
			"轨迹.gpx：轨迹「b」的2个轨迹点都没有时间"},
		{"kml empty LineString", kmlT, `<kml><Placemark><name>c</name><LineString><coordinates> </coordinates></LineString></Placemark></kml>`, ErrEmptyTrack,
			"轨迹.gpx：轨迹「c」没有任何轨迹点"},
		{"kml empty gx:Track", kmlT, `<kml xmlns:gx="http://www.google.com/kml/ext/2.2"><Placemark><name>d</name><gx:Track></gx:Track></Placemark></kml>`, ErrEmptyTrack,
			"轨迹.gpx：轨迹「d」没有任何轨迹点"},
		{"kml line without times", kmlT, `<kml><Placemark><name>e</name><LineString><coordinates>114,30 114.1,30</coordinates></LineString></Placemark></kml>`, ErrTrackTime,
			"轨迹.gpx：轨迹「e」的2个轨迹点都没有时间"},
		{"kml points only", kmlT, `<kml><Placemark><Point><coordinates>114,30</coordinates></Point></Placemark></kml>`, ErrEmptyTrack, "轨迹.gpx：文件中没有轨迹"},
		{"kml NaN coordinate", kmlT, `<kml><Placemark><name>f</name><TimeStamp><when>2026-05-03T00:00:00Z</when></TimeStamp><LineString><coordinates>114,30 NaN,30</coordinates></LineString></Placemark></kml>`, ErrFormat,
			"轨迹.gpx：轨迹「f」第1段第2个点的经纬度（NaN, 30）不是有效的经度、纬度"},
		{"geojson empty line", geoT, `{"type":"Feature","properties":{"name":"g","time":"2026-05-03T00:00:00Z"},"geometry":{"type":"LineString","coordinates":[]}}`, ErrEmptyTrack,
			"轨迹.gpx：轨迹「g」没有任何轨迹点"},
		{"geojson without times", geoT, `{"type":"LineString","coordinates":[[114,30],[114.1,30]]}`, ErrTrackTime,
			"轨迹.gpx：轨迹「第1条」的2个轨迹点都没有时间"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			trs, err := tc.read(context.Background(), strings.NewReader(tc.data), "dir/轨迹.gpx")
			var fe *FileError
			if !errors.Is(err, tc.err) || !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("got %d tracks, err %v\nwant %v starting %q", len(trs), err, tc.err, tc.want)
			}
		})
	}
}

// Points without a time are dropped with a warning naming the file, the
// track, the segment and the points; an empty segment beside full ones is
// dropped with a warning. No stored point has the zero time.
func TestTrackTimelessPointsDropped(t *testing.T) {
	t.Parallel()
	doc := gpxDoc(`<trk><name>东关村巡查</name><trkseg>` +
		pt("30", "114", "2026-05-03T00:00:00Z") + pt("30.001", "114", "") + pt("30.002", "114", "2026-05-03T00:01:00Z") + pt("30.003", "114", "garbage") +
		`</trkseg><trkseg></trkseg><trkseg>` + pt("30.01", "114", "2026-05-03T00:05:00Z") + `</trkseg></trk>`)
	trs, err := ReadGPX(context.Background(), strings.NewReader(doc), "dir/城关所一组_张三_李四.gpx")
	if err != nil {
		t.Fatal(err)
	}
	tr := trs[0]
	n, timed := tr.Points()
	if n != 3 || timed != 3 || len(tr.Segments) != 2 {
		t.Fatalf("%d points (%d timed) in %d segments, want 3 (3) in 2", n, timed, len(tr.Segments))
	}
	for _, s := range tr.Segments {
		for _, p := range s {
			if p.Time.IsZero() || p.Time.Year() < 2000 {
				t.Errorf("stored point with time %v", p.Time)
			}
		}
	}
	want := []string{
		"城关所一组_张三_李四.gpx 轨迹「东关村巡查」第1段第2、4个点：没有时间（或时间无法识别），已略去（共2个点）",
		"城关所一组_张三_李四.gpx 轨迹「东关村巡查」第2段：轨迹段为空，已略去",
	}
	if len(tr.Warnings) != len(want) {
		t.Fatalf("warnings %v, want %v", tr.Warnings, want)
	}
	for i, w := range tr.Warnings {
		if w.Error() != want[i] {
			t.Errorf("warning %q, want %q", w.Error(), want[i])
		}
	}
	// The warnings are not stored with the track.
	d := tr.Domain()
	for _, s := range d.Segments {
		for _, p := range s {
			if p.Time.IsZero() {
				t.Error("domain track has a timeless point")
			}
		}
	}
	// Long lists are cut after ten positions.
	p := TrackProblem{File: "a.gpx", Track: "t", Segment: 1, Points: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, Problem: "x"}
	if got := p.Error(); got != "a.gpx 轨迹「t」第1段第1、2、3、4、5、6、7、8、9、10个点等：x" {
		t.Errorf("long list: %q", got)
	}
}

func gpxT(ctx context.Context, r *strings.Reader, n string) ([]Track, error) {
	return ReadGPX(ctx, r, n)
}
func kmlT(ctx context.Context, r *strings.Reader, n string) ([]Track, error) {
	return ReadKML(ctx, r, n)
}
func geoT(ctx context.Context, r *strings.Reader, n string) ([]Track, error) {
	return ReadGeoJSON(ctx, r, n)
}
