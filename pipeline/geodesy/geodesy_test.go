package geodesy

import (
	"fmt"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// projRefs are reference values computed with PROJ (GDAL 3.6.2, gdal-bin on
// Debian 12), exact tmerc algorithm. For the Gauss-Krüger zones:
//
//	echo "LON LAT" | gdaltransform -s_srs EPSG:4490 -t_srs EPSG:<epsg> -output_xy
//
// and for the UTM zones:
//
//	echo "LON LAT" | gdaltransform -s_srs EPSG:4326 -t_srs EPSG:<epsg> -output_xy
//
// gdaltransform takes and prints traditional GIS order (lon lat in,
// easting northing out) whatever the EPSG axis order; the same numbers come
// out with -s_srs "+proj=longlat +ellps=GRS80 +no_defs" for EPSG:4490.
var projRefs = []struct {
	name     string
	zone     Zone
	epsg     int
	lon, lat float64
	x, y     float64
}{
	{"wuhan", gk3Zone(38), 4526, 114.3, 30.6, 38528770.2372557, 3386666.25056236},
	{"gk38 1.5deg east", gk3Zone(38), 4526, 115.5, 30.6, 38643858.8439331, 3387586.6264022},
	{"gk38 1.5deg west lat 18", gk3Zone(38), 4526, 112.5, 18.0, 38341127.7433717, 1991624.68129629},
	{"gk38 1.5deg east lat 53", gk3Zone(38), 4526, 115.5, 53.0, 38600702.677878, 5875673.23706928},
	{"gk38 central meridian", gk3Zone(38), 4526, 114.0, 40.0, 38500000, 4429529.03023659},
	{"urumqi", gk3Zone(29), 4517, 87.6, 43.8, 29548285.1150772, 4851775.30274779},
	{"gk29 1.5deg west", gk3Zone(29), 4517, 85.5, 48.5, 29389149.4119112, 5375112.06173851},
	{"harbin", gk3Zone(42), 4530, 126.6, 45.75, 42546686.8354063, 5068473.81165237},
	{"gk42 1.5deg east lat 53", gk3Zone(42), 4530, 127.5, 53.0, 42600702.677878, 5875673.23706928},
	{"gk33 1.5deg east lat 18", gk3Zone(33), 4521, 100.5, 18.0, 33658872.2566283, 1991624.68129629},
	{"julich", utmZone(32, false), 32632, 6.4, 50.9, 317179.941277293, 5641924.68607286},
	{"sydney", utmZone(56, true), 32756, 151.21, -33.87, 334435.70614183, 6250816.39780466},
	{"utm31 1.5deg east lat 18", utmZone(31, false), 32631, 4.5, 18.0, 658808.707725378, 1990828.03148625},
	{"utm31 1.5deg west lat 53", utmZone(31, false), 32631, 1.5, 53.0, 399337.603194192, 5873322.9678985},
	{"utm31 zone edge lat 60", utmZone(31, false), 32631, 0.0, 60.0, 332705.178875549, 6655205.48363456},
	{"utm31 equator", utmZone(31, false), 32631, 3.0, 0.0, 500000, 0},
	{"utm33S 1.5deg east lat -53", utmZone(33, true), 32733, 16.5, -53.0, 600662.39680581, 4126677.0321015},
	{"utm50N borneo", utmZone(50, false), 32650, 118.8, 1.3, 700276.859222566, 143760.698430648},
}

func TestForwardAgainstPROJ(t *testing.T) {
	const tol = 1e-6 // metres; the differences are about 1e-8 m, PROJ's printed precision
	for _, tc := range projRefs {
		t.Run(tc.name, func(t *testing.T) {
			if tc.zone.EPSG != tc.epsg {
				t.Fatalf("zone %v has EPSG %d, want %d", tc.zone, tc.zone.EPSG, tc.epsg)
			}
			x, y := tc.zone.Forward(tc.lon, tc.lat)
			if math.Abs(x-tc.x) > tol || math.Abs(y-tc.y) > tol {
				t.Errorf("Forward(%v, %v) = %.6f, %.6f; PROJ %.6f, %.6f (diff %.3g, %.3g m)",
					tc.lon, tc.lat, x, y, tc.x, tc.y, x-tc.x, y-tc.y)
			}
		})
	}
}

func TestInverseAgainstPROJ(t *testing.T) {
	const tol = 1e-9 // degrees, about 0.1 mm
	for _, tc := range projRefs {
		t.Run(tc.name, func(t *testing.T) {
			lon, lat := tc.zone.Inverse(tc.x, tc.y)
			if math.Abs(lon-tc.lon) > tol || math.Abs(lat-tc.lat) > tol {
				t.Errorf("Inverse(%v, %v) = %.12f, %.12f; want %v, %v",
					tc.x, tc.y, lon, lat, tc.lon, tc.lat)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	const tol = 1e-9 // degrees
	zones := []Zone{gk3Zone(25), gk3Zone(38), gk3Zone(45), utmZone(1, false), utmZone(31, false), utmZone(56, true), utmZone(60, true)}
	for _, z := range zones {
		t.Run(z.String(), func(t *testing.T) {
			for dlon := -3.0; dlon <= 3.0; dlon += 0.25 {
				for lat := -80.0; lat <= 84.0; lat += 2.0 {
					lon := z.CentralMeridian + dlon
					x, y := z.Forward(lon, lat)
					lon2, lat2 := z.Inverse(x, y)
					if d := math.Abs(normLon(lon2 - lon)); d > tol || math.Abs(lat2-lat) > tol {
						t.Errorf("Inverse(Forward(%v, %v)) = %.12f, %.12f", lon, lat, lon2, lat2)
					}
				}
			}
		})
	}
}

func TestInvalidZone(t *testing.T) {
	for _, z := range []Zone{{}, {Kind: UTM, Number: 61}, {Kind: GaussKruger3, Number: 0}, {Kind: 7, Number: 38}} {
		t.Run(z.String(), func(t *testing.T) {
			if x, y := z.Forward(114, 30); !math.IsNaN(x) || !math.IsNaN(y) {
				t.Errorf("Forward = %v, %v; want NaN", x, y)
			}
			if lon, lat := z.Inverse(500000, 0); !math.IsNaN(lon) || !math.IsNaN(lat) {
				t.Errorf("Inverse = %v, %v; want NaN", lon, lat)
			}
		})
	}
}

func TestZoneLiteral(t *testing.T) {
	// A zone written as a literal with only Kind and Number projects like the
	// one from ZoneFor.
	z := Zone{Kind: GaussKruger3, Number: 38}
	x, y := z.Forward(114.3, 30.6)
	if math.Abs(x-38528770.2372557) > 1e-3 || math.Abs(y-3386666.25056236) > 1e-3 {
		t.Errorf("Forward = %f, %f", x, y)
	}
}

func TestZoneFor(t *testing.T) {
	tests := []struct {
		name     string
		lon, lat float64
		kind     ZoneKind
		number   int
		south    bool
		cm       float64
		epsg     int
		str      string
	}{
		{"wuhan", 114.3, 30.6, GaussKruger3, 38, false, 114, 4526, "CGCS2000 / 3-degree Gauss-Kruger zone 38"},
		{"urumqi", 87.6, 43.8, GaussKruger3, 29, false, 87, 4517, "CGCS2000 / 3-degree Gauss-Kruger zone 29"},
		{"kashgar", 75.99, 39.47, GaussKruger3, 25, false, 75, 4513, "CGCS2000 / 3-degree Gauss-Kruger zone 25"},
		{"western tip", 73.6, 39.45, GaussKruger3, 25, false, 75, 4513, "CGCS2000 / 3-degree Gauss-Kruger zone 25"},
		{"fuyuan", 134.3, 48.3, GaussKruger3, 45, false, 135, 4533, "CGCS2000 / 3-degree Gauss-Kruger zone 45"},
		{"haikou", 110.35, 20.03, GaussKruger3, 37, false, 111, 4525, "CGCS2000 / 3-degree Gauss-Kruger zone 37"},
		{"julich", 6.4, 50.9, UTM, 32, false, 9, 32632, "WGS 84 / UTM zone 32N"},
		{"sydney", 151.21, -33.87, UTM, 56, true, 153, 32756, "WGS 84 / UTM zone 56S"},
		{"ulaanbaatar", 106.9, 47.9, UTM, 48, false, 105, 32648, "WGS 84 / UTM zone 48N"},
		{"antimeridian", 180, 10, UTM, 1, false, -177, 32601, "WGS 84 / UTM zone 1N"},
		{"west of antimeridian", 179.9, -10, UTM, 60, true, 177, 32760, "WGS 84 / UTM zone 60S"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z := ZoneFor(tc.lon, tc.lat)
			want := Zone{Kind: tc.kind, Number: tc.number, South: tc.south, CentralMeridian: tc.cm, EPSG: tc.epsg}
			if z != want {
				t.Errorf("ZoneFor(%v, %v) = %+v, want %+v", tc.lon, tc.lat, z, want)
			}
			if s := z.String(); s != tc.str {
				t.Errorf("String() = %q, want %q", s, tc.str)
			}
		})
	}
}

func TestZoneKindString(t *testing.T) {
	for k, want := range map[ZoneKind]string{GaussKruger3: "gk3", UTM: "utm", 0: "ZoneKind(0)"} {
		if got := k.String(); got != want {
			t.Errorf("ZoneKind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

func TestInChina(t *testing.T) {
	tests := []struct {
		name     string
		lon, lat float64
		want     bool
	}{
		{"Beijing", 116.40, 39.90, true},
		{"Urumqi", 87.62, 43.83, true},
		{"Lhasa", 91.11, 29.65, true},
		{"Harbin", 126.63, 45.75, true},
		{"Kashgar", 75.99, 39.47, true},
		{"Haikou", 110.35, 20.03, true},
		{"Sanya", 109.51, 18.25, true},
		{"Hong Kong", 114.17, 22.32, true},
		{"Macau", 113.54, 22.19, true},
		{"Kunming", 102.71, 25.04, true},
		{"Shanghai", 121.47, 31.23, true},
		{"Guangzhou", 113.26, 23.13, true},
		{"Nanning", 108.37, 22.82, true},
		{"Chengdu", 104.07, 30.67, true},
		{"Xining", 101.78, 36.62, true},
		{"Hohhot", 111.75, 40.84, true},
		{"Shenyang", 123.43, 41.80, true},
		{"Dalian", 121.61, 38.91, true},
		{"Qingdao", 120.38, 36.07, true},
		{"Xiamen", 118.09, 24.48, true},
		{"Mohe", 122.54, 52.97, true},
		{"Manzhouli", 117.43, 49.60, true},
		{"Erenhot", 111.98, 43.65, true},
		{"Hunchun", 130.37, 42.87, true},
		{"Tashkurgan", 75.23, 37.77, true},
		{"Hotan", 79.92, 37.11, true},
		{"Altay", 88.13, 47.84, true},
		{"Jinghong", 100.80, 22.01, true},
		{"Ruili", 97.85, 24.01, true},
		{"Shigatse", 88.88, 29.27, true},
		{"Ulaanbaatar", 106.91, 47.92, false},
		{"Seoul", 126.98, 37.57, false},
		{"Pyongyang", 125.75, 39.03, false},
		{"Hanoi", 105.85, 21.03, false},
		{"Bangkok", 100.50, 13.75, false},
		{"Tokyo", 139.69, 35.69, false},
		{"Almaty", 76.95, 43.24, false},
		{"New Delhi", 77.21, 28.61, false},
		{"Kathmandu", 85.32, 27.70, false},
		{"Vladivostok", 131.89, 43.12, false},
		{"Irkutsk", 104.30, 52.29, false},
		{"Bishkek", 74.59, 42.87, false},
		{"Thimphu", 89.64, 27.47, false},
		{"Leh", 77.58, 34.16, false},
		{"Islamabad", 73.05, 33.68, false},
		{"Dushanbe", 68.79, 38.54, false},
		{"Myitkyina", 97.40, 25.38, false},
		{"Vientiane", 102.63, 17.97, false},
		{"Khabarovsk", 135.07, 48.48, false},
		{"Choibalsan", 114.53, 48.07, false},
		{"Chita", 113.50, 52.03, false},
		{"Sydney", 151.21, -33.87, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := InChina(tc.lon, tc.lat); got != tc.want {
				t.Errorf("InChina(%v, %v) = %v, want %v", tc.lon, tc.lat, got, tc.want)
			}
		})
	}
}

func TestChinaOutline(t *testing.T) {
	if n := len(chinaOutline) - 1; n < 60 || n > 150 {
		t.Errorf("outline has %d vertices, want 60..150", n)
	}
	if !chinaOutline.Closed() {
		t.Error("outline is not closed")
	}
}

// rectInPlane returns the lon/lat ring of an axis-parallel rectangle of w×h
// metres whose south-west corner is at (x, y) in zone z, counter-clockwise
// unless cw.
func rectInPlane(z Zone, x, y, w, h float64, cw bool) orb.Ring {
	xy := [][2]float64{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}, {x, y}}
	if cw {
		for i, j := 0, len(xy)-1; i < j; i, j = i+1, j-1 {
			xy[i], xy[j] = xy[j], xy[i]
		}
	}
	r := make(orb.Ring, len(xy))
	for i, p := range xy {
		lon, lat := z.Inverse(p[0], p[1])
		r[i] = orb.Point{lon, lat}
	}
	return r
}

func TestArea(t *testing.T) {
	const tol = 1e-3 // m²
	gk := ZoneFor(114.3, 30.6)
	x0, y0 := gk.Forward(114.3, 30.6)
	utm := ZoneFor(151.21, -33.87)
	ux, uy := utm.Forward(151.21, -33.87)

	square := rectInPlane(gk, x0, y0, 1000, 1000, false)
	openSquare := square[:len(square)-1]
	tests := []struct {
		name string
		zone Zone
		poly orb.Polygon
		want float64
	}{
		{"1km square gk", gk, orb.Polygon{square}, 1e6},
		{"1km square clockwise", gk, orb.Polygon{rectInPlane(gk, x0, y0, 1000, 1000, true)}, 1e6},
		{"1km square open ring", gk, orb.Polygon{openSquare}, 1e6},
		{"1km square utm south", utm, orb.Polygon{rectInPlane(utm, ux, uy, 1000, 1000, false)}, 1e6},
		{"square with hole", gk, orb.Polygon{
			square,
			rectInPlane(gk, x0+100, y0+200, 200, 300, false),
		}, 1e6 - 6e4},
		{"square with two clockwise holes", gk, orb.Polygon{
			square,
			rectInPlane(gk, x0+100, y0+200, 200, 300, true),
			rectInPlane(gk, x0+600, y0+600, 10, 10, true),
		}, 1e6 - 6e4 - 100},
		{"triangle", gk, orb.Polygon{{
			square[0], square[1], square[2], square[0],
		}}, 5e5},
		{"degenerate ring", gk, orb.Polygon{{square[0], square[1]}}, 0},
		{"empty", gk, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Area(tc.zone, tc.poly); math.Abs(got-tc.want) > tol {
				t.Errorf("Area = %.6f m², want %.6f", got, tc.want)
			}
		})
	}
}

// TestAreaAgainstGDAL checks the field of Example against GDAL/PROJ:
//
//	ogr2ogr -s_srs EPSG:4490 -t_srs EPSG:4526 -f "ESRI Shapefile" field4526.shp field.geojson
//	ogrinfo -ro field4526.shp -sql "SELECT OGR_GEOM_AREA FROM field4526"
//
// where field.geojson holds the polygon below.
func TestAreaAgainstGDAL(t *testing.T) {
	field := orb.Polygon{
		{{114.3000, 30.6000}, {114.3021, 30.6002}, {114.3019, 30.6016}, {114.3003, 30.6013}, {114.3000, 30.6000}},
		{{114.3008, 30.6004}, {114.3012, 30.6004}, {114.3012, 30.6007}, {114.3008, 30.6007}, {114.3008, 30.6004}},
	}
	const gdalArea = 25144.4879313707 // m², OGR_GEOM_AREA in EPSG:4526
	if got := Area(gk3Zone(38), field); math.Abs(got-gdalArea) > 1e-3 {
		t.Errorf("Area = %.6f m², GDAL %.6f", got, gdalArea)
	}
}

func TestAreaMulti(t *testing.T) {
	z := ZoneFor(114.3, 30.6)
	x0, y0 := z.Forward(114.3, 30.6)
	mp := orb.MultiPolygon{
		{rectInPlane(z, x0, y0, 100, 200, false)},
		{rectInPlane(z, x0+500, y0, 300, 300, true), rectInPlane(z, x0+600, y0+100, 50, 50, false)},
	}
	want := 100*200 + 300*300 - 50*50.0
	if got := AreaMulti(z, mp); math.Abs(got-want) > 1e-3 {
		t.Errorf("AreaMulti = %.6f m², want %.6f", got, want)
	}
	if got := AreaMulti(z, nil); got != 0 {
		t.Errorf("AreaMulti(nil) = %v", got)
	}
}

func TestMu(t *testing.T) {
	tests := []struct {
		m2, want, tol float64
	}{
		{666.667, 1, 1e-6},
		{SquareMetresPerMu, 1, 1e-15},
		{10000, 15, 1e-12},
		{1e6, 1500, 1e-9},
		{0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.m2), func(t *testing.T) {
			if got := Mu(tc.m2); math.Abs(got-tc.want) > tc.tol {
				t.Errorf("Mu(%v) = %.12f, want %v", tc.m2, got, tc.want)
			}
		})
	}
}

func TestProjectPolygon(t *testing.T) {
	z := ZoneFor(114.3, 30.6)
	in := orb.Polygon{
		{{114.3, 30.6}, {115.5, 30.6}, {114.3, 30.7}, {114.3, 30.6}},
		{{114.31, 30.61}, {114.32, 30.61}, {114.31, 30.62}, {114.31, 30.61}},
	}
	orig := in.Clone()
	out := ProjectPolygon(z, in)
	if !in.Equal(orig) {
		t.Fatal("input polygon was modified")
	}
	if len(out) != len(in) {
		t.Fatalf("got %d rings, want %d", len(out), len(in))
	}
	for i := range in {
		if len(out[i]) != len(in[i]) {
			t.Fatalf("ring %d has %d points, want %d", i, len(out[i]), len(in[i]))
		}
		for j, p := range in[i] {
			x, y := z.Forward(p[0], p[1])
			if out[i][j] != (orb.Point{x, y}) {
				t.Errorf("ring %d point %d = %v, want %v", i, j, out[i][j], orb.Point{x, y})
			}
		}
	}
	// Second point is PROJ's reference for 115.5, 30.6 in EPSG:4526.
	if p := out[0][1]; math.Abs(p[0]-38643858.8439331) > 1e-3 || math.Abs(p[1]-3387586.6264022) > 1e-3 {
		t.Errorf("projected point = %v", p)
	}
	if ProjectPolygon(z, nil) != nil {
		t.Error("ProjectPolygon(nil) != nil")
	}
}

var sinkX, sinkY float64

func BenchmarkForward(b *testing.B) {
	z := ZoneFor(114.3, 30.6)
	b.ReportAllocs()
	lon := 114.3
	for i := 0; b.Loop(); i++ {
		sinkX, sinkY = z.Forward(lon+float64(i&1023)*1e-4, 30.6)
	}
}

func BenchmarkInverse(b *testing.B) {
	z := ZoneFor(114.3, 30.6)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sinkX, sinkY = z.Inverse(38528770+float64(i&1023), 3386666)
	}
}

func BenchmarkArea(b *testing.B) {
	z := ZoneFor(114.3, 30.6)
	x0, y0 := z.Forward(114.3, 30.6)
	p := orb.Polygon{rectInPlane(z, x0, y0, 1000, 1000, false)}
	b.ReportAllocs()
	for b.Loop() {
		sinkX = Area(z, p)
	}
}
