package evidence

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline/task"
)

// metresPerDegLat is the length of one degree along a meridian on the
// EarthRadiusM sphere.
const metresPerDegLat = EarthRadiusM * math.Pi / 180

func TestDistanceAndBearing(t *testing.T) {
	t.Parallel()
	a := orb.Point{114.3, 30.6}
	tests := []struct {
		name    string
		b       orb.Point
		dist    float64
		tol     float64
		bearing float64
	}{
		{"same point", a, 0, 1e-9, 0},
		{"0.01° north", orb.Point{114.3, 30.61}, 0.01 * metresPerDegLat, 1e-6, 0},
		{"0.01° south", orb.Point{114.3, 30.59}, 0.01 * metresPerDegLat, 1e-6, 180},
		{"0.001° east", orb.Point{114.301, 30.6}, 0.001 * metresPerDegLat * math.Cos(30.6*math.Pi/180), 1e-3, 90},
		// Beijing Tiananmen to Shanghai People's Square; the value is from an
		// independent haversine computation on the same sphere.
		{"Beijing to Shanghai", orb.Point{121.4737, 31.2304}, 1_068_140.343, 0.01, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from := a
			if tc.name == "Beijing to Shanghai" {
				from = orb.Point{116.3975, 39.9087}
			}
			if d := Distance(from, tc.b); !near(d, tc.dist, tc.tol) {
				t.Errorf("Distance = %.6f, want %.6f ± %g", d, tc.dist, tc.tol)
			}
			if tc.bearing >= 0 && tc.dist > 0 {
				if got := Bearing(from, tc.b); !near(got, tc.bearing, 1e-3) {
					t.Errorf("Bearing = %v, want %v", got, tc.bearing)
				}
			}
		})
	}
}

// square returns a square patch of side 2·half degrees around c, with an
// optional square hole of side 2·hole degrees.
func square(c orb.Point, half, hole float64) orb.Polygon {
	ring := func(h float64) orb.Ring {
		return orb.Ring{{c[0] - h, c[1] - h}, {c[0] + h, c[1] - h}, {c[0] + h, c[1] + h}, {c[0] - h, c[1] + h}, {c[0] - h, c[1] - h}}
	}
	p := orb.Polygon{ring(half)}
	if hole > 0 {
		p = append(p, ring(hole))
	}
	return p
}

func TestCheck(t *testing.T) {
	t.Parallel()
	c := orb.Point{114.3, 30.6}
	poly := square(c, 0.001, 0) // about 190 m × 222 m
	cosLat := math.Cos(30.6 * math.Pi / 180)
	taken := time.Date(2026, 3, 3, 10, 0, 0, 0, task.ChinaTime())
	at := func(p orb.Point) Info {
		return Info{Name: "x.jpg", HasGPS: true, Position: p, HasDirection: true, DirectionDeg: 90, Taken: taken}
	}
	tests := []struct {
		name    string
		photo   Info
		poly    orb.Polygon
		max     float64
		opts    []CheckOption
		dist    float64 // ± 0.5 m
		inside  bool
		flags   []string
		summary string
	}{
		{"inside", at(orb.Point{114.3005, 30.6002}), poly, 0, nil, 0, true, nil, "合格（位于图斑内）"},
		{"on the boundary", at(orb.Point{114.301, 30.6}), poly, 0, nil, 0, true, nil, "合格（位于图斑内）"},
		{"150 m east", at(orb.Point{114.301 + 150/(metresPerDegLat*cosLat), 30.6}), poly, 0, nil, 150, false, nil, "合格（距图斑150米）"},
		{"250 m north is far", at(orb.Point{114.3, 30.601 + 250/metresPerDegLat}), poly, 0, nil, 250, false, []string{FlagFar}, "距图斑过远（250米）"},
		{"250 m north with 300 m allowed", at(orb.Point{114.3, 30.601 + 250/metresPerDegLat}), poly, 300, nil, 250, false, nil, "合格（距图斑250米）"},
		{"diagonal from a corner", at(orb.Point{114.301 + 30/(metresPerDegLat*cosLat), 30.599 - 40/metresPerDegLat}), poly, 0, nil, 50, false, nil, ""},
		{"in the hole", at(orb.Point{114.3, 30.6}), square(c, 0.001, 0.0005), 0, nil, 0.0005 * metresPerDegLat * cosLat, false, nil, ""},
		{"no polygon: centroid", at(orb.Point{114.3, 30.6 + 300/metresPerDegLat}), nil, 0, nil, 300, false, []string{FlagFar}, ""},
		{"no GPS", Info{Name: "x.jpg", HasDirection: true, Taken: taken}, poly, 0, nil, 0, false, []string{FlagNoGPS}, "无定位信息"},
		{"no direction", func() Info { i := at(c); i.HasDirection = false; return i }(), poly, 0, nil, 0, true, []string{FlagNoDirection}, "无拍摄方向"},
		{"nothing at all", Info{Name: "x.jpg"}, poly, 0, nil, 0, false, []string{FlagNoEXIF, FlagNoGPS, FlagNoDirection, FlagNoTime}, "无EXIF信息；无定位信息；无拍摄方向；无拍摄时间"},
		{"EXIF without GPS", Info{Name: "x.jpg", HasEXIF: true, HasDirection: true, Taken: taken}, poly, 0, nil, 0, false, []string{FlagNoGPS}, "无定位信息"},
		{"discarded GPS", Info{Name: "x.jpg", HasEXIF: true, GPSDiscarded: true, HasDirection: true, Taken: taken}, poly, 0, nil, 0, false, []string{FlagNoGPS, FlagBadGPS}, "无定位信息；定位信息无效"},
		{"inside the window", at(c), poly, 0, []CheckOption{Window(taken.Add(-time.Hour), taken.Add(time.Hour))}, 0, true, nil, ""},
		{"before the window", at(c), poly, 0, []CheckOption{Window(taken.Add(time.Hour), time.Time{})}, 0, true, []string{FlagOutsideWindow}, "拍摄时间不在核查期间"},
		{"after the window", at(c), poly, 0, []CheckOption{Window(time.Time{}, taken.Add(-time.Minute))}, 0, true, []string{FlagOutsideWindow}, ""},
		{"GPS time stands in", func() Info {
			i := at(c)
			i.Taken, i.GPSTime = time.Time{}, taken.Add(-48*time.Hour)
			return i
		}(), poly, 0, []CheckOption{Window(taken.Add(-time.Hour), taken.Add(time.Hour))}, 0, true, []string{FlagOutsideWindow}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := Check(tc.photo, c, tc.poly, tc.max, tc.opts...)
			if !near(f.DistanceM, tc.dist, 0.5) || f.Inside != tc.inside {
				t.Errorf("distance %.2f inside %v, want %.2f %v", f.DistanceM, f.Inside, tc.dist, tc.inside)
			}
			if !slices.Equal(f.Flags(), tc.flags) {
				t.Errorf("flags %v, want %v", f.Flags(), tc.flags)
			}
			if f.OK() != (len(tc.flags) == 0) {
				t.Errorf("OK = %v", f.OK())
			}
			if tc.summary != "" && f.Summary() != tc.summary {
				t.Errorf("summary %q, want %q", f.Summary(), tc.summary)
			}
			wantMax := tc.max
			if wantMax <= 0 {
				wantMax = DefaultMaxDistanceM
			}
			if f.MaxDistanceM != wantMax {
				t.Errorf("MaxDistanceM %v", f.MaxDistanceM)
			}
		})
	}
}

// TestPhotoToTask reads a generated photo, checks it and attaches it to a
// task.
func TestPhotoToTask(t *testing.T) {
	t.Parallel()
	info, err := Parse("IMG_0001.jpg", fullPhoto().jpeg(t))
	if err != nil {
		t.Fatal(err)
	}
	centroid := orb.Point{114.3001, 30.5902}
	f := Check(info, centroid, square(centroid, 0.0005, 0), 0)
	if !f.OK() || !f.Inside {
		t.Fatalf("finding %+v", f)
	}
	if f.CentroidDistanceM < 10 || f.CentroidDistanceM > 30 {
		t.Errorf("centroid distance %.1f m", f.CentroidDistanceM)
	}

	r := task.DefaultRules()
	tk, err := r.NewTask(task.Patch{TubanID: "tb-1", AreaM2: 500}, task.Zone{Name: "z", Team: "t", Grade: task.Grade2}, info.Taken.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Apply(tk, task.Transition{To: task.Verifying, Actor: "张三", At: info.Taken}); err != nil {
		t.Fatal(err)
	}
	rec := f.Evidence("张三", info.Taken.Add(time.Hour))
	if err := tk.AddEvidence(rec); err != nil {
		t.Fatal(err)
	}
	got := tk.Evidence[0]
	if got.SHA256 != info.SHA256 || got.Lon != info.Position[0] || got.Lat != info.Position[1] || !got.HasDirection || len(got.Flags) != 0 {
		t.Errorf("record %+v", got)
	}

	far := Check(Info{SHA256: info.SHA256, Name: "x"}, centroid, nil, 0)
	if rec := far.Evidence("a", info.Taken); rec.HasGPS || rec.DistanceM != 0 || !strings.Contains(strings.Join(rec.Flags, ","), FlagNoGPS) {
		t.Errorf("record without GPS %+v", rec)
	}
}
