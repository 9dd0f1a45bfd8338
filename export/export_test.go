package export

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/xuri/excelize/v2"
)

// square returns a closed square ring of side d degrees at (lon, lat).
func square(lon, lat, d float64) orb.Ring {
	return orb.Ring{{lon, lat}, {lon + d, lat}, {lon + d, lat + d}, {lon, lat + d}, {lon, lat}}
}

// testPNG returns a small deterministic PNG of one colour.
func testPNG(t testing.TB, c color.NRGBA) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 64, 48))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixture returns four tasks of two teams, in an unsorted order, with
// characters that XML and HTML must escape.
func fixture(t testing.TB) []Row {
	t.Helper()
	return []Row{
		{
			JCBH: "4201022026060003", XZQDM: "420102", Township: "城关镇", TBLX: "推堆土",
			AreaM2: 2000, FarmlandM2: 0, BasicFarmlandM2: 0,
			Geometry: orb.Polygon{square(114.31, 30.61, 0.0005)},
			QSX:      "2025-12-01", HSX: "2026-03-01", Prejudgement: "疑似违法",
			Zone: "城关一片", Team: "城关所一组", Person: "李四", Contact: "13900000000",
			Priority: 2, PriorityReason: "未占用永久基本农田；未占用耕地；一级巡查区域",
			DueVerify: "2026-06-20", State: "待核查",
		},
		{
			JCBH: "4201022026060001", XZQDM: "420102", Township: `城关镇 <东&西> "一" '二'`, TBLX: "建/构筑物",
			AreaM2: 820, FarmlandM2: 500, BasicFarmlandM2: 300, Lon: 114.3025, Lat: 30.6012,
			Geometry: orb.Polygon{
				{{114.302, 30.601}, {114.303, 30.601}, {114.303, 30.6015}, {114.302, 30.6015}}, // open ring
				square(114.3024, 30.6011, 0.0001),
			},
			QSX: "2025-12-01", HSX: "2026-03-01", Prejudgement: "疑似违法",
			Zone: "城关一片", Team: "城关所一组", Person: "张三", Contact: "13800000000",
			Priority: 1, PriorityReason: "占用永久基本农田0.45亩（300平方米），优先\x01",
			DueVerify: "2026-05-30", State: "核查中",
			ChipBefore: testPNG(t, color.NRGBA{40, 120, 40, 255}), ChipAfter: testPNG(t, color.NRGBA{200, 200, 200, 255}),
		},
		{
			JCBH: "4201022026060002", XZQDM: "420102", Township: "花山镇", TBLX: "硬化",
			AreaM2: 1500, FarmlandM2: 1200, Lon: 114.45, Lat: 30.55, // no outline
			QSX: "2025-12-01", HSX: "2026-03-01",
			Zone: "花山二片", Team: "花山所", Person: "王五",
			Priority: 1, DueVerify: "2026-06-10", State: "已核查", Verdict: "违法",
		},
		{
			JCBH: "4201022026060004", XZQDM: "420102", TBLX: "光伏",
			AreaM2: 100, Geometry: orb.Polygon{square(114.5, 30.5, 0.0002)},
		},
	}
}

// sortedJCBH is the order the writers use: team, priority, JCBH.
var sortedJCBH = []string{"4201022026060001", "4201022026060003", "4201022026060004", "4201022026060002"}

var opts = []Option{WithDate("2026-06-01")}

func write(t testing.TB, f func(io.Writer, []Row, ...Option) error, rows []Row, o ...Option) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := f(&buf, rows, o...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGeoJSON(t *testing.T) {
	b := write(t, GeoJSON, fixture(t), opts...)
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range fc.Features {
		ids = append(ids, f.ID.(string))
	}
	if !slices.Equal(ids, sortedJCBH) {
		t.Fatalf("feature order %v, want %v", ids, sortedJCBH)
	}
	f := fc.Features[0]
	p, ok := f.Geometry.(orb.Polygon)
	if !ok || len(p) != 2 {
		t.Fatalf("geometry %T %v, want a polygon with a hole", f.Geometry, f.Geometry)
	}
	for i, r := range p {
		if !r.Closed() {
			t.Errorf("ring %d not closed", i)
		}
		if want := map[bool]orb.Orientation{true: orb.CCW, false: orb.CW}[i == 0]; r.Orientation() != want {
			t.Errorf("ring %d orientation %v, want %v", i, r.Orientation(), want)
		}
	}
	for k, want := range map[string]any{
		"监测编号": "4201022026060001", "监测面积(亩)": 1.23, "监测面积(平方米)": 820.0, "耕地面积(亩)": 0.75,
		"永久基本农田面积(亩)": 0.45, "中心经度": 114.3025, "优先级": 1.0, "优先等级": "高", "逾期": "是",
		"状态": "核查中", "巡查组": "城关所一组", "乡镇": `城关镇 <东&西> "一" '二'`,
	} {
		if got := f.Properties[k]; got != want {
			t.Errorf("property %s = %#v, want %#v", k, got, want)
		}
	}
	if _, ok := fc.Features[3].Geometry.(orb.Point); !ok {
		t.Errorf("row without outline: geometry %T, want a point", fc.Features[3].Geometry)
	}
	if got := fc.Features[2].Properties["巡查组"]; got != "未分配" {
		t.Errorf("row without team: 巡查组 %v", got)
	}
	fc, err = geojson.UnmarshalFeatureCollection(write(t, GeoJSON, fixture(t), WithFieldCodes()))
	if err != nil {
		t.Fatal(err)
	}
	if got := fc.Features[0].Properties["JCMJMU"]; got != 1.23 || len(fc.Features[0].Properties) != len(columns)+1 {
		t.Errorf("field codes: %v", fc.Features[0].Properties)
	}
}

func TestFieldCodesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range columns {
		if seen[c.code] || !regexp.MustCompile(`^[A-Z]{2,10}$`).MatchString(c.code) {
			t.Errorf("column %s: code %q repeated or not 2–10 ASCII capitals", c.head, c.code)
		}
		seen[c.code] = true
	}
}

// Generic KML and GPX shapes for reading back.
type kmlBack struct {
	Doc struct {
		Name   string `xml:"name"`
		Styles []struct {
			ID string `xml:"id,attr"`
		} `xml:"Style"`
		Folders []struct {
			Name       string `xml:"name"`
			Placemarks []struct {
				Name        string   `xml:"name"`
				Description string   `xml:"description"`
				StyleURL    string   `xml:"styleUrl"`
				Point       string   `xml:"MultiGeometry>Point>coordinates"`
				Outer       string   `xml:"MultiGeometry>Polygon>outerBoundaryIs>LinearRing>coordinates"`
				Inner       []string `xml:"MultiGeometry>Polygon>innerBoundaryIs>LinearRing>coordinates"`
				Data        []struct {
					Name        string `xml:"name,attr"`
					DisplayName string `xml:"displayName"`
					Value       string `xml:"value"`
				} `xml:"ExtendedData>Data"`
			} `xml:"Placemark"`
		} `xml:"Folder"`
	} `xml:"Document"`
}

// strictXML checks that b is well-formed XML and has no invalid characters.
func strictXML(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	for {
		if _, err := d.Token(); err == io.EOF {
			return
		} else if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
	}
}

func TestKML(t *testing.T) {
	b := write(t, KML, fixture(t), opts...)
	strictXML(t, b)
	var k kmlBack
	if err := xml.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	if len(k.Doc.Styles) != len(kmlStyles) {
		t.Errorf("%d styles", len(k.Doc.Styles))
	}
	var names, folders []string
	for _, f := range k.Doc.Folders {
		folders = append(folders, f.Name)
		for _, p := range f.Placemarks {
			names = append(names, p.Name)
		}
	}
	if want := []string{"城关所一组（2）", "未分配（1）", "花山所（1）"}; !slices.Equal(folders, want) {
		t.Errorf("folders %v, want %v", folders, want)
	}
	if !slices.Equal(names, sortedJCBH) {
		t.Errorf("placemarks %v, want %v", names, sortedJCBH)
	}
	p := k.Doc.Folders[0].Placemarks[0]
	if p.Point != "114.3025,30.6012" {
		t.Errorf("point %q", p.Point)
	}
	if !strings.HasPrefix(p.Outer, "114.302,30.601 ") || !strings.HasSuffix(p.Outer, " 114.302,30.601") || len(p.Inner) != 1 {
		t.Errorf("outline %q holes %d", p.Outer, len(p.Inner))
	}
	if p.StyleURL != "#overdue" { // due 2026-05-30, exported 2026-06-01
		t.Errorf("style %s, want #overdue", p.StyleURL)
	}
	// The description is HTML: the attribute text is HTML-escaped in it.
	for _, want := range []string{"<table", "<td>监测面积(亩)</td><td>1.23亩</td>", "城关镇 &lt;东&amp;西&gt; &#34;一&#34; &#39;二&#39;", "<td>优先原因</td><td>占用永久基本农田0.45亩（300平方米），优先</td>"} {
		if !strings.Contains(p.Description, want) {
			t.Errorf("description lacks %q:\n%s", want, p.Description)
		}
	}
	if d := p.Data[4]; d.Name != "JCMJMU" || d.DisplayName != "监测面积(亩)" || d.Value != "1.23" || len(p.Data) != len(columns) {
		t.Errorf("extended data %+v", p.Data)
	}
	if strings.Contains(p.Description, "<img") {
		t.Error("plain KML links chips")
	}
	// Level and done styles.
	styles := map[string]string{}
	for _, f := range k.Doc.Folders {
		for _, p := range f.Placemarks {
			styles[p.Name] = p.StyleURL
		}
	}
	for id, want := range map[string]string{"4201022026060003": "#p3", "4201022026060002": "#done", "4201022026060004": "#p3"} {
		if styles[id] != want {
			t.Errorf("%s style %s, want %s", id, styles[id], want)
		}
	}
	// After the deadline of 4201022026060003, it is overdue.
	b = write(t, KML, fixture(t), WithDate("2026-06-21"))
	if !strings.Contains(string(b), "<styleUrl>#overdue</styleUrl>") {
		t.Error("no overdue placemark after the deadline")
	}
}

type gpxBack struct {
	XMLName  xml.Name
	Version  string `xml:"version,attr"`
	Schema   string `xml:"http://www.w3.org/2001/XMLSchema-instance schemaLocation,attr"`
	Metadata struct {
		Name string `xml:"name"`
		Time string `xml:"time"`
	} `xml:"metadata"`
	Wpts []struct {
		Lat  float64 `xml:"lat,attr"`
		Lon  float64 `xml:"lon,attr"`
		Name string  `xml:"name"`
		Desc string  `xml:"desc"`
		Type string  `xml:"type"`
		Sym  string  `xml:"sym"`
	} `xml:"wpt"`
	Trks []struct {
		Name string `xml:"name"`
		Segs []struct {
			Pts []struct {
				Lat float64 `xml:"lat,attr"`
				Lon float64 `xml:"lon,attr"`
			} `xml:"trkpt"`
		} `xml:"trkseg"`
	} `xml:"trk"`
}

func TestGPX(t *testing.T) {
	b := write(t, GPX, fixture(t), opts...)
	strictXML(t, b)
	var g gpxBack
	if err := xml.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if g.XMLName.Space != "http://www.topografix.com/GPX/1/1" || g.XMLName.Local != "gpx" || g.Version != "1.1" || !strings.HasSuffix(g.Schema, "gpx.xsd") {
		t.Errorf("root %v version %q schema %q", g.XMLName, g.Version, g.Schema)
	}
	if g.Metadata.Time != "2026-06-01T00:00:00Z" {
		t.Errorf("metadata time %q", g.Metadata.Time)
	}
	var names []string
	for _, w := range g.Wpts {
		names = append(names, w.Name)
	}
	if !slices.Equal(names, sortedJCBH) {
		t.Fatalf("waypoints %v, want %v", names, sortedJCBH)
	}
	w := g.Wpts[0]
	if w.Lat != 30.6012 || w.Lon != 114.3025 || w.Type != "建/构筑物" || w.Sym != "Flag, Red" {
		t.Errorf("waypoint %+v", w)
	}
	for _, want := range []string{"监测面积：1.23亩（820.00平方米）", "核查期限：2026-05-30（已逾期）", "巡查组：城关所一组", "责任人：张三 13800000000", "优先级：1（高）"} {
		if !strings.Contains(w.Desc, want) {
			t.Errorf("desc lacks %q:\n%s", want, w.Desc)
		}
	}
	// Waypoint of a centroid-only row: the outline's centre.
	if c := g.Wpts[1]; math.Abs(c.Lon-114.31025) > 1e-7 || math.Abs(c.Lat-30.61025) > 1e-7 {
		t.Errorf("centroid waypoint %v,%v", c.Lon, c.Lat)
	}
	if len(g.Trks) != 3 || g.Trks[0].Name != "4201022026060001" || len(g.Trks[0].Segs) != 2 || len(g.Trks[0].Segs[0].Pts) != 5 {
		t.Errorf("tracks: %d, first %+v", len(g.Trks), g.Trks[0])
	}
	nb := write(t, GPX, fixture(t), WithGPXOutlines(false))
	if bytes.Contains(nb, []byte("<trk>")) {
		t.Error("WithGPXOutlines(false) still writes tracks")
	}
}

func TestXLSX(t *testing.T) {
	b := write(t, XLSX, fixture(t), opts...)
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{SheetTasks, SheetNotes}) {
		t.Errorf("sheets %v", got)
	}
	rows, err := f.GetRows(SheetTasks)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 {
		t.Fatalf("%d rows, want header + 4", len(rows))
	}
	wantHead := []string{"序号", "监测编号", "行政区代码", "乡镇", "变化类型", "监测面积(亩)", "监测面积(平方米)", "耕地面积(亩)",
		"永久基本农田面积(亩)", "中心经度", "中心纬度", "前时相", "后时相", "初判结果", "巡查区", "巡查组", "责任人", "联系电话",
		"优先级", "优先等级", "优先原因", "核查期限", "逾期", "状态", "核查结论", "举证照片数", "前时相影像", "后时相影像"}
	if !slices.Equal(rows[0], wantHead) {
		t.Errorf("header %q", rows[0])
	}
	col := func(h string) int { return slices.Index(wantHead, h) }
	r1 := rows[1]
	for h, want := range map[string]string{
		"序号": "1", "监测编号": "4201022026060001", "监测面积(亩)": "1.23", "监测面积(平方米)": "820.00",
		"耕地面积(亩)": "0.75", "中心经度": "114.302500", "优先级": "1", "逾期": "是", "巡查组": "城关所一组",
	} {
		if got := r1[col(h)]; got != want {
			t.Errorf("row 1 %s = %q, want %q", h, got, want)
		}
	}
	// Numbers are numbers.
	if v, err := f.GetCellValue(SheetTasks, "F2", excelize.Options{RawCellValue: true}); err != nil || v != "1.23" {
		t.Errorf("raw 监测面积(亩) %q %v", v, err)
	}
	if typ, _ := f.GetCellType(SheetTasks, "F2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("监测面积(亩) cell type %v", typ)
	}
	panes, err := f.GetPanes(SheetTasks)
	if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 2 {
		t.Errorf("panes %+v %v", panes, err)
	}
	pics, err := f.GetPictures(SheetTasks, "AA2")
	if err != nil || len(pics) != 1 || !bytes.Equal(pics[0].File, fixture(t)[1].ChipBefore) {
		t.Errorf("picture in AA2: %d %v", len(pics), err)
	}
	if pics, _ := f.GetPictures(SheetTasks, "AA3"); len(pics) != 0 {
		t.Errorf("row without chips has %d pictures", len(pics))
	}
	props, err := f.GetDocProps()
	if err != nil || props.Created != "2026-06-01T00:00:00Z" || props.Title != "卫片图斑核查任务" {
		t.Errorf("doc props %+v %v", props, err)
	}
	dvs, err := f.GetDataValidations(SheetTasks)
	if err != nil || len(dvs) != 2 {
		t.Errorf("%d data validations, %v", len(dvs), err)
	}
	// Without chips there are no picture columns.
	rowsNoChips := fixture(t)
	for i := range rowsNoChips {
		rowsNoChips[i].ChipBefore, rowsNoChips[i].ChipAfter = nil, nil
	}
	f2, err := excelize.OpenReader(bytes.NewReader(write(t, XLSX, rowsNoChips)))
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	head, _ := f2.GetRows(SheetTasks)
	if len(head[0]) != len(wantHead)-2 {
		t.Errorf("no chips: %d columns", len(head[0]))
	}
	// An empty list gives a header-only sheet.
	f3, err := excelize.OpenReader(bytes.NewReader(write(t, XLSX, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer f3.Close()
	if rows, _ := f3.GetRows(SheetTasks); len(rows) != 1 {
		t.Errorf("empty input: %d rows", len(rows))
	}
}

func TestBundle(t *testing.T) {
	rows := ForTeam(fixture(t), "城关所一组")
	if len(rows) != 2 {
		t.Fatalf("ForTeam: %d rows", len(rows))
	}
	b := write(t, Bundle, rows, opts...)
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	files := map[string][]byte{}
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Flags&0x800 == 0 {
			t.Errorf("%s: UTF-8 flag not set", f.Name)
		}
		if !f.Modified.Equal(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: modified %v", f.Name, f.Modified)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = data
	}
	want := []string{
		"城关所一组_核查任务.geojson", "城关所一组_核查任务.gpx", "城关所一组_核查任务.kml", "城关所一组_核查任务.xlsx",
		KMLIconName, "4201022026060001_前时相.png", "4201022026060001_后时相.png",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("entries %q, want %q", names, want)
	}
	if !bytes.Equal(files["4201022026060001_后时相.png"], rows[1].ChipAfter) {
		t.Error("chip bytes changed")
	}
	if !bytes.Equal(files["城关所一组_核查任务.gpx"], write(t, GPX, rows, opts...)) {
		t.Error("bundled GPX differs from GPX")
	}
	kml := string(files["城关所一组_核查任务.kml"])
	if !strings.Contains(kml, `&lt;img src=&#34;4201022026060001_前时相.png&#34;`) {
		t.Error("bundled KML does not show the chips")
	}
	if got := BundleName("城关/所:一组"); got != "城关_所_一组_核查任务.zip" {
		t.Errorf("BundleName %q", got)
	}
	// JCBHs that differ only in characters file names refuse collide.
	clash := []Row{{JCBH: "A/1", Lon: 114, Lat: 30, ChipBefore: rows[1].ChipBefore}, {JCBH: "A:1", Lon: 114, Lat: 30, ChipBefore: rows[1].ChipBefore}}
	if err := Bundle(io.Discard, clash); !errors.Is(err, ErrInvalid) {
		t.Errorf("clashing chip names: %v", err)
	}
}

func TestDeterministic(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(io.Writer, []Row, ...Option) error
	}{{"geojson", GeoJSON}, {"kml", KML}, {"gpx", GPX}, {"xlsx", XLSX}, {"bundle", Bundle}} {
		t.Run(tc.name, func(t *testing.T) {
			rows := fixture(t)
			a := write(t, tc.f, rows, opts...)
			slices.Reverse(rows)
			b := write(t, tc.f, rows, opts...)
			if !bytes.Equal(a, b) {
				t.Error("same rows in another order give other bytes")
			}
			if c := write(t, tc.f, fixture(t), opts...); !bytes.Equal(a, c) {
				t.Error("two runs differ")
			}
			if !slices.Equal(Teams(rows), []string{"城关所一组", "未分配", "花山所"}) {
				t.Errorf("teams %v", Teams(rows))
			}
		})
	}
}

func TestCheckRefuses(t *testing.T) {
	ok := Row{JCBH: "1", Lon: 114, Lat: 30}
	for _, tc := range []struct {
		name string
		rows []Row
		want string
	}{
		{"empty JCBH", []Row{{Lon: 114, Lat: 30}}, "empty"},
		{"duplicate", []Row{ok, ok}, "repeats row 1"},
		{"no position", []Row{{JCBH: "1"}}, "no position"},
		{"projected centre", []Row{{JCBH: "1", Lon: 38500000, Lat: 3400000}}, "not WGS84"},
		{"projected outline", []Row{{JCBH: "1", Geometry: orb.Polygon{square(500000, 3400000, 10)}}}, "not WGS84"},
		{"NaN area", []Row{{JCBH: "1", Lon: 114, Lat: 30, AreaM2: math.NaN()}}, "area"},
		{"short ring", []Row{{JCBH: "1", Geometry: orb.Polygon{{{114, 30}, {114.1, 30}, {114, 30}}}}}, "distinct points"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range []func(io.Writer, []Row, ...Option) error{GeoJSON, KML, GPX, XLSX, Bundle} {
				err := f(io.Discard, tc.rows)
				var re *RowError
				if !errors.Is(err, ErrInvalid) || !errors.As(err, &re) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want ErrInvalid with %q", err, tc.want)
				}
			}
		})
	}
	if err := KML(io.Discard, []Row{ok}, WithDate("2026-6-1")); err == nil {
		t.Error("bad export date accepted")
	}
}

// TestGDALReads checks that GDAL (ogrinfo) opens the files with every
// feature. It is skipped where ogrinfo is not installed.
func TestGDALReads(t *testing.T) {
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		t.Skip("ogrinfo not installed")
	}
	dir := t.TempDir()
	rows := fixture(t)
	for _, tc := range []struct {
		file  string
		f     func(io.Writer, []Row, ...Option) error
		want  map[string]int // layer name → features; "" sums all layers
		field string         // a field GDAL must see
	}{
		{"tasks.geojson", GeoJSON, map[string]int{"": 4}, "监测面积(亩): Real"},
		{"tasks.kml", KML, map[string]int{"": 4}, "JCMJMU: String"},
		{"tasks.gpx", GPX, map[string]int{"waypoints": 4, "tracks": 3}, "desc: String"},
		{"tasks.xlsx", XLSX, map[string]int{SheetTasks: 4}, "监测面积(亩): Real"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			if err := os.WriteFile(path, write(t, tc.f, rows, opts...), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("ogrinfo", "-ro", "-al", "-so", path)
			cmd.Env = append(os.Environ(), "GDAL_PAM_ENABLED=NO")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("ogrinfo: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), tc.field) {
				t.Errorf("ogrinfo does not list field %q:\n%s", tc.field, out)
			}
			counts := ogrCounts(string(out))
			for layer, want := range tc.want {
				got := 0
				if layer == "" {
					for _, n := range counts {
						got += n
					}
				} else {
					got = counts[layer]
				}
				if got != want {
					t.Errorf("layer %q: %d features, want %d\n%s", layer, got, want, out)
				}
			}
		})
	}
}

var (
	reLayer = regexp.MustCompile(`(?m)^Layer name: (.*)$`)
	reCount = regexp.MustCompile(`(?m)^Feature Count: (\d+)$`)
)

// ogrCounts reads the feature count of each layer from ogrinfo -so output.
func ogrCounts(out string) map[string]int {
	names := reLayer.FindAllStringSubmatch(out, -1)
	counts := reCount.FindAllStringSubmatch(out, -1)
	m := map[string]int{}
	for i := range min(len(names), len(counts)) {
		n, _ := strconv.Atoi(counts[i][1])
		m[strings.TrimSpace(names[i][1])] += n
	}
	return m
}
