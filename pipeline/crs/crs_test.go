package crs

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/geodesy"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		epsg int
		auto bool
		name string
	}{
		{"4490", 4490, false, "China Geodetic Coordinate System 2000"},
		{"EPSG:4490", 4490, false, ""},
		{" epsg:4490 ", 4490, false, ""},
		{"CGCS2000", 4490, false, ""},
		{"gk", 0, true, "CGCS2000 / 3-degree Gauss-Kruger zone of the data"},
		{"GK3", 0, true, ""},
		{"EPSG:4513", 4513, false, "CGCS2000 / 3-degree Gauss-Kruger zone 25"},
		{"EPSG:4526", 4526, false, "CGCS2000 / 3-degree Gauss-Kruger zone 38"},
		{"4533", 4533, false, "CGCS2000 / 3-degree Gauss-Kruger zone 45"},
		{"EPSG:4534", 4534, false, "CGCS2000 / 3-degree Gauss-Kruger CM 75E"},
		{"EPSG:4547", 4547, false, "CGCS2000 / 3-degree Gauss-Kruger CM 114E"},
		{"EPSG:4554", 4554, false, "CGCS2000 / 3-degree Gauss-Kruger CM 135E"},
		{"4326", 4326, false, "WGS 84"},
		{"wgs84", 4326, false, ""},
		{"WGS 84", 4326, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			c, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if c.EPSG() != tc.epsg || c.IsAuto() != tc.auto {
				t.Errorf("Parse(%q) = %v (EPSG %d, auto %v)", tc.in, c, c.EPSG(), c.IsAuto())
			}
			if tc.name != "" && c.Name() != tc.name {
				t.Errorf("Name() = %q, want %q", c.Name(), tc.name)
			}
		})
	}
	for _, bad := range []string{"", "3857", "EPSG:4512", "EPSG:4555", "EPSG:32650", "utm", "EPSG:", "+4490", "4490.0", "EPSG:-4490"} {
		t.Run("bad "+bad, func(t *testing.T) {
			_, err := Parse(bad)
			if !errors.Is(err, ErrUnknown) || !errors.Is(err, pipeline.ErrInvalid) {
				t.Fatalf("Parse(%q) error %v, want ErrUnknown", bad, err)
			}
			if !strings.Contains(err.Error(), "gk") || !strings.Contains(err.Error(), "4490") {
				t.Errorf("error %q does not list the accepted CRSs", err)
			}
		})
	}
}

func TestZeroValueIsCGCS2000(t *testing.T) {
	var c CRS
	if c.EPSG() != 4490 || !c.Geographic() || c.String() != "EPSG:4490" || c.URN() != "urn:ogc:def:crs:EPSG::4490" {
		t.Errorf("zero CRS: %v %d %v %q", c, c.EPSG(), c.Geographic(), c.URN())
	}
	if GK.String() != "gk" || GK.URN() != "" || GK.EPSG() != 0 {
		t.Errorf("GK: %v %q %d", GK, GK.URN(), GK.EPSG())
	}
}

// Zone n covers [3n−1.5°, 3n+1.5°): a longitude on a border goes east.
func TestZoneOf(t *testing.T) {
	tests := []struct {
		lon  float64
		epsg int
	}{
		{73.5, 4513}, {75, 4513}, {76.4999999, 4513}, {76.5, 4514},
		{112.5, 4526}, {114, 4526}, {115.4999999, 4526}, {115.5, 4527},
		{109.4999999, 4524}, {109.5, 4525}, {111, 4525},
		{134.9, 4533}, {136.4999999, 4533},
	}
	for _, tc := range tests {
		c, err := ZoneOf(tc.lon)
		if err != nil {
			t.Errorf("ZoneOf(%v): %v", tc.lon, err)
			continue
		}
		if c.EPSG() != tc.epsg {
			t.Errorf("ZoneOf(%v) = EPSG:%d, want %d", tc.lon, c.EPSG(), tc.epsg)
		}
		// It agrees with the area zone of pipeline/geodesy inside China.
		if z := geodesy.ZoneFor(tc.lon, 35); z.Kind == geodesy.GaussKruger3 && z.EPSG != c.EPSG() && tc.lon > 74 && tc.lon < 135 {
			t.Errorf("ZoneOf(%v) = %d, geodesy.ZoneFor %d", tc.lon, c.EPSG(), z.EPSG)
		}
	}
	for _, lon := range []float64{73.4999999, 136.5, 6.4, -114, math.NaN(), math.Inf(1)} {
		if _, err := ZoneOf(lon); !errors.Is(err, ErrNoZone) {
			t.Errorf("ZoneOf(%v) error %v, want ErrNoZone", lon, err)
		}
	}
}

func TestResolve(t *testing.T) {
	// Two fields either side of the 115.5°E border: the larger, east one
	// carries the area-weighted centroid into zone 39.
	west := orb.Polygon{{{115.40, 30}, {115.45, 30}, {115.45, 30.01}, {115.40, 30.01}, {115.40, 30}}}
	east := orb.Polygon{{{115.51, 30}, {115.70, 30}, {115.70, 30.05}, {115.51, 30.05}, {115.51, 30}}}
	c, err := GK.Resolve(west, east)
	if err != nil || c.EPSG() != 4527 {
		t.Errorf("Resolve(west, east) = %v, %v; want EPSG:4527", c, err)
	}
	c, err = GK.Resolve(west)
	if err != nil || c.EPSG() != 4526 {
		t.Errorf("Resolve(west) = %v, %v; want EPSG:4526", c, err)
	}
	// Points only: their mean.
	c, err = GK.Resolve(orb.Point{114.1, 30}, orb.Point{114.2, 30})
	if err != nil || c.EPSG() != 4526 {
		t.Errorf("Resolve(points) = %v, %v", c, err)
	}
	if _, err := GK.Resolve(); !errors.Is(err, ErrNoZone) {
		t.Errorf("Resolve() error %v, want ErrNoZone", err)
	}
	if _, err := GK.Resolve(orb.Point{6.4, 50.9}); !errors.Is(err, ErrNoZone) || !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("Resolve(Jülich) error %v, want ErrNoZone", err)
	}
	// Anything else is already resolved.
	for _, c := range []CRS{CGCS2000, WGS84, mustParse(t, "EPSG:4547")} {
		if r, err := c.Resolve(); err != nil || r != c {
			t.Errorf("%v.Resolve() = %v, %v", c, r, err)
		}
	}
	if c, err := GK.ResolveAt(114.3); err != nil || c.EPSG() != 4526 {
		t.Errorf("ResolveAt = %v, %v", c, err)
	}
}

func mustParse(t *testing.T, s string) CRS {
	t.Helper()
	c, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Forward agrees with pipeline/geodesy (checked against PROJ there and
// against GDAL in raster's tests), with and without the zone prefix.
func TestForwardInverse(t *testing.T) {
	zone38 := mustParse(t, "EPSG:4526")
	cm114 := mustParse(t, "EPSG:4547")
	x, y := zone38.Forward(114.3, 30.6)
	if math.Abs(x-38528770.2372557) > 1e-6 || math.Abs(y-3386666.25056236) > 1e-6 {
		t.Errorf("zone 38: %f, %f", x, y)
	}
	x2, y2 := cm114.Forward(114.3, 30.6)
	if math.Abs(x2-528770.2372557) > 1e-6 || y2 != y {
		t.Errorf("CM 114E: %f, %f", x2, y2)
	}
	for _, c := range []CRS{zone38, cm114, CGCS2000, WGS84} {
		for _, p := range []orb.Point{{112.6, 18}, {114, 40}, {115.4, 53}} {
			x, y := c.Forward(p[0], p[1])
			lon, lat := c.Inverse(x, y)
			if math.Abs(lon-p[0]) > 1e-10 || math.Abs(lat-p[1]) > 1e-10 {
				t.Errorf("%v: Inverse(Forward(%v)) = %v, %v", c, p, lon, lat)
			}
		}
	}
	if x, y := GK.Forward(114, 30); !math.IsNaN(x) || !math.IsNaN(y) {
		t.Error("unresolved GK projects")
	}
	if lon, lat := CGCS2000.Forward(114.3, 30.6); lon != 114.3 || lat != 30.6 {
		t.Error("CGCS2000 moves WGS84 coordinates")
	}
}

func TestProject(t *testing.T) {
	zone38 := mustParse(t, "EPSG:4526")
	poly := orb.Polygon{{{114.3, 30.6}, {114.31, 30.6}, {114.31, 30.61}, {114.3, 30.6}}}
	orig := poly.Clone()
	geoms := []orb.Geometry{
		orb.Point{114.3, 30.6}, orb.MultiPoint{{114.3, 30.6}}, orb.LineString{{114.3, 30.6}, {114.31, 30.6}},
		orb.MultiLineString{{{114.3, 30.6}, {114.31, 30.6}}}, poly, orb.MultiPolygon{poly}, orb.Ring(poly[0]),
		orb.Collection{orb.Point{114.3, 30.6}, poly},
	}
	wantX, wantY := zone38.Forward(114.3, 30.6)
	for _, g := range geoms {
		p, err := zone38.Project(g)
		if err != nil {
			t.Fatal(err)
		}
		if p.GeoJSONType() != g.GeoJSONType() {
			t.Errorf("%T projected to %T", g, p)
		}
		first := firstPoint(p)
		if first != (orb.Point{wantX, wantY}) {
			t.Errorf("%T: first point %v, want %v", g, first, orb.Point{wantX, wantY})
		}
	}
	if !poly.Equal(orig) {
		t.Error("Project modified its input")
	}
	same, _ := CGCS2000.Project(poly)
	if !same.(orb.Polygon).Equal(poly) {
		t.Error("CGCS2000 changed coordinates")
	}
	if _, err := GK.Project(poly); err == nil {
		t.Error("unresolved GK projected")
	}
	pp, err := zone38.ProjectPolygon(poly)
	if err != nil || len(pp) != 1 || pp[0][0] != (orb.Point{wantX, wantY}) {
		t.Errorf("ProjectPolygon = %v, %v", pp, err)
	}
}

func firstPoint(g orb.Geometry) orb.Point {
	switch g := g.(type) {
	case orb.Point:
		return g
	case orb.MultiPoint:
		return g[0]
	case orb.LineString:
		return g[0]
	case orb.Ring:
		return g[0]
	case orb.MultiLineString:
		return g[0][0]
	case orb.Polygon:
		return g[0][0]
	case orb.MultiPolygon:
		return g[0][0][0]
	case orb.Collection:
		return firstPoint(g[0])
	}
	return orb.Point{}
}

func TestCheck(t *testing.T) {
	zone38 := mustParse(t, "EPSG:4526")
	x, y := zone38.Forward(114.3, 30.6)
	ok := []struct {
		epsg int
		x, y float64
	}{
		{4490, 114.3, 30.6}, {4326, -180, 90}, {4526, x, y}, {4547, x - 38e6, y}, {3857, 1e7, 1e7},
	}
	for _, tc := range ok {
		if err := Check(tc.epsg, tc.x, tc.y); err != nil {
			t.Errorf("Check(%d, %v, %v): %v", tc.epsg, tc.x, tc.y, err)
		}
	}
	bad := []struct {
		epsg int
		x, y float64
	}{
		{4490, x, y}, {4326, 114, 91}, {4526, 114.3, 30.6}, {4526, x - 38e6, y}, {4547, x, y}, {4527, x, y},
	}
	for _, tc := range bad {
		if err := Check(tc.epsg, tc.x, tc.y); err == nil {
			t.Errorf("Check(%d, %v, %v) passed", tc.epsg, tc.x, tc.y)
		}
	}
}

func TestDecimals(t *testing.T) {
	if CGCS2000.Decimals() != 7 || WGS84.Decimals() != 7 || mustParse(t, "EPSG:4526").Decimals() != 3 {
		t.Error("Decimals")
	}
}

func TestCheckGeometry(t *testing.T) {
	poly := orb.Polygon{{{114.3, 30.6}, {114.31, 30.6}, {114.31, 30.61}, {114.3, 30.6}}}
	if err := CheckGeometry(4490, poly); err != nil {
		t.Error(err)
	}
	if err := CheckGeometry(4526, poly); err == nil || !strings.Contains(err.Error(), "not an easting/northing") {
		t.Errorf("lon/lat in a GK zone: %v", err)
	}
	for _, g := range []orb.Geometry{orb.Point{math.NaN(), 1}, orb.LineString{{1, 1}, {math.Inf(1), 1}}} {
		if err := CheckGeometry(3857, g); err == nil || !strings.Contains(err.Error(), "not finite") {
			t.Errorf("%v: %v", g, err)
		}
	}
}
