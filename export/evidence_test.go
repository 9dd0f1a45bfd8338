package export

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb/geojson"
	"github.com/xuri/excelize/v2"

	"github.com/weipian/weipian/evidence"
	"github.com/weipian/weipian/pipeline"
)

// photoOf returns a Photo whose bytes are data, with Open counting its
// calls.
func photoOf(name string, data []byte, opened *int) Photo {
	sum := sha256.Sum256(data)
	return Photo{
		Name: name, SHA256: hex.EncodeToString(sum[:]),
		Open: func(ctx context.Context) (io.ReadCloser, error) {
			if opened != nil {
				*opened++
			}
			return io.NopCloser(bytes.NewReader(data)), nil
		},
	}
}

var cst = time.FixedZone("CST", 8*3600)

// withPhotos is the fixture with field photos on the first 城关所一组 task
// (4201022026060001): a good one, a flagged one, a second file of the same
// name, and one without bytes.
func withPhotos(t testing.TB, opened *int) []Row {
	rows := fixture(t)
	good := photoOf("IMG_0001.jpg", []byte("jpeg one"), opened)
	good.TakenAt = time.Date(2026, 5, 20, 9, 30, 0, 0, cst)
	good.HasGPS, good.Lon, good.Lat, good.DistanceM = true, 114.30251234, 30.60121234, 0
	good.HasDirection, good.DirectionDeg = true, 135.5
	good.Summary = "合格（位于图斑内）"
	good.AddedBy, good.AddedAt = "张三", time.Date(2026, 5, 20, 2, 0, 0, 0, time.UTC)
	far := photoOf("IMG_0002.jpg", []byte("jpeg two"), opened)
	far.HasGPS, far.Lon, far.Lat, far.DistanceM = true, 114.31, 30.61, 350.04
	far.Flags = []string{evidence.FlagFar, evidence.FlagNoDirection}
	far.AddedBy = "李四"
	same := photoOf("IMG_0001.jpg", []byte("another jpeg one"), opened)
	same.Flags = []string{evidence.FlagNoEXIF, evidence.FlagNoGPS}
	listed := Photo{Name: "丢失.jpg", Flags: []string{evidence.FlagNoGPS}}
	rows[1].Evidence = []Photo{good, far, same, listed}
	return rows
}

func TestEvidenceXLSX(t *testing.T) {
	b := write(t, XLSX, withPhotos(t, nil), opts...)
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{SheetTasks, SheetEvidence, SheetNotes}) {
		t.Errorf("sheets %v", got)
	}
	rows, err := f.GetRows(SheetEvidence)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"序号", "监测编号", "照片名称", "拍摄时间", "经度", "纬度", "拍摄方向(度)", "距图斑(米)", "检查结果", "问题标记", "添加人", "添加时间", "SHA-256"},
		{"1", "4201022026060001", "IMG_0001.jpg", "2026-05-20 09:30:00", "114.302512", "30.601212", "136", "0", "合格（位于图斑内）", "", "张三", "2026-05-20 10:00:00", withPhotos(t, nil)[1].Evidence[0].SHA256},
		{"2", "4201022026060001", "IMG_0002.jpg", "", "114.310000", "30.610000", "", "350", "距图斑过远；无拍摄方向", "距图斑过远；无拍摄方向", "李四", "", withPhotos(t, nil)[1].Evidence[1].SHA256},
	}
	for i, w := range want {
		if !slices.Equal(rows[i], w) {
			t.Errorf("row %d\n%q\nwant\n%q", i, rows[i], w)
		}
	}
	if len(rows) != 5 || rows[4][2] != "丢失.jpg" || rows[3][9] != "无EXIF信息；无定位信息" {
		t.Errorf("%d rows: %q", len(rows), rows[3:])
	}
	// Coordinates and distances are numbers.
	for _, cell := range []string{"E2", "H3"} {
		if typ, _ := f.GetCellType(SheetEvidence, cell); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
			t.Errorf("%s cell type %v", cell, typ)
		}
	}
	// The task sheet counts the photos.
	task, _ := f.GetRows(SheetTasks)
	col := slices.Index(task[0], "举证照片数")
	if task[1][col] != "4" || task[2][col] != "0" {
		t.Errorf("举证照片数 %q %q", task[1][col], task[2][col])
	}
}

func TestEvidenceGeoJSONAndKML(t *testing.T) {
	fc, err := geojson.UnmarshalFeatureCollection(write(t, GeoJSON, withPhotos(t, nil), opts...))
	if err != nil {
		t.Fatal(err)
	}
	ps, ok := fc.Features[0].Properties["举证照片"].([]any)
	if !ok || len(ps) != 4 {
		t.Fatalf("举证照片 %#v", fc.Features[0].Properties["举证照片"])
	}
	p0 := ps[0].(map[string]any)
	for k, want := range map[string]any{"照片名称": "IMG_0001.jpg", "拍摄时间": "2026-05-20 09:30:00", "经度": 114.3025123, "纬度": 30.6012123,
		"拍摄方向(度)": 135.5, "距图斑(米)": 0.0, "检查结果": "合格（位于图斑内）", "添加人": "张三", "添加时间": "2026-05-20 10:00:00"} {
		if p0[k] != want {
			t.Errorf("%s = %#v, want %#v", k, p0[k], want)
		}
	}
	if _, ok := p0["文件"]; ok {
		t.Error("文件 outside a bundle")
	}
	p3 := ps[3].(map[string]any)
	if p3["经度"] != nil || p3["拍摄时间"] != nil || !slices.Equal(p3["问题标记"].([]any), []any{"no_gps"}) {
		t.Errorf("photo without GPS: %#v", p3)
	}
	if got, ok := fc.Features[1].Properties["举证照片"].([]any); !ok || len(got) != 0 {
		t.Errorf("no photos: %#v, want []", fc.Features[1].Properties["举证照片"])
	}
	fc, err = geojson.UnmarshalFeatureCollection(write(t, GeoJSON, withPhotos(t, nil), WithFieldCodes()))
	if err != nil {
		t.Fatal(err)
	}
	c0 := fc.Features[0].Properties["JZZP"].([]any)[0].(map[string]any)
	if c0["ZPMC"] != "IMG_0001.jpg" || c0["JCJG"] != "合格（位于图斑内）" || fc.Features[0].Properties["JZZPS"] != 4.0 {
		t.Errorf("field codes: %#v", c0)
	}
	kml := string(write(t, KML, withPhotos(t, nil), opts...))
	if !strings.Contains(kml, "&lt;td&gt;IMG_0002.jpg&lt;/td&gt;&lt;td&gt;&lt;/td&gt;&lt;td&gt;距图斑过远；无拍摄方向&lt;/td&gt;") ||
		!strings.Contains(kml, `<Data name="JZZPS">`) {
		t.Error("KML lacks the photo table or count")
	}
	if strings.Contains(kml, "&lt;img src=&#34;举证照片/") {
		t.Error("a KML outside a bundle links photo files")
	}
}

func TestEvidenceBundle(t *testing.T) {
	opened := 0
	rows := ForTeam(withPhotos(t, &opened), "城关所一组")
	b := write(t, Bundle, rows, opts...)
	if opened != 3 {
		t.Errorf("Open called %d times, want 3", opened)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	sameSHA := withPhotos(t, nil)[1].Evidence[2].SHA256
	wantPhotos := []string{
		"举证照片/4201022026060001/IMG_0001.jpg",
		"举证照片/4201022026060001/IMG_0001_" + sameSHA[:8] + ".jpg",
		"举证照片/4201022026060001/IMG_0002.jpg",
	}
	if !slices.Equal(names[len(names)-3:], wantPhotos) {
		t.Fatalf("entries %q", names)
	}
	if string(files[wantPhotos[0]]) != "jpeg one" || string(files[wantPhotos[1]]) != "another jpeg one" {
		t.Error("photo bytes differ")
	}
	// The bundled XLSX links the files; the KML shows them.
	x, err := excelize.OpenReader(bytes.NewReader(files["城关所一组_核查任务.xlsx"]))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	ev, _ := x.GetRows(SheetEvidence)
	if ev[0][13] != "文件" || ev[1][13] != wantPhotos[0] || len(ev[4]) > 13 { // no file for the photo without bytes
		t.Errorf("文件 column %q", ev)
	}
	if ok, link, err := x.GetCellHyperLink(SheetEvidence, "N2"); err != nil || !ok || link != wantPhotos[0] {
		t.Errorf("link %v %q %v", ok, link, err)
	}
	if kml := string(files["城关所一组_核查任务.kml"]); !strings.Contains(kml, "&lt;img src=&#34;"+wantPhotos[2]+"&#34;") {
		t.Error("bundled KML does not show the photos")
	}
	g, err := geojson.UnmarshalFeatureCollection(files["城关所一组_核查任务.geojson"])
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Features[0].Properties["举证照片"].([]any)[2].(map[string]any)["文件"]; got != wantPhotos[1] {
		t.Errorf("geojson 文件 %v", got)
	}
	// Deterministic.
	if again := write(t, Bundle, ForTeam(withPhotos(t, nil), "城关所一组"), opts...); !bytes.Equal(b, again) {
		t.Error("two bundles differ")
	}
}

func TestEvidenceBundleFailures(t *testing.T) {
	rows := withPhotos(t, nil)
	// Bytes that are not the recorded photo.
	bad := slices.Clone(rows)
	bad[1].Evidence = slices.Clone(bad[1].Evidence)
	bad[1].Evidence[0].Open = func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader("tampered")), nil
	}
	if err := Bundle(io.Discard, bad); err == nil || !strings.Contains(err.Error(), "not the recorded") {
		t.Errorf("tampered photo: %v", err)
	}
	// Open fails.
	boom := errors.New("blob store down")
	bad[1].Evidence[0].Open = func(context.Context) (io.ReadCloser, error) { return nil, boom }
	if err := Bundle(io.Discard, bad); !errors.Is(err, boom) || !strings.Contains(err.Error(), "IMG_0001.jpg") {
		t.Errorf("open error: %v", err)
	}
	// The context reaches Open and stops the bundle.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Bundle(io.Discard, withPhotos(t, nil), WithContext(ctx)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// Bad photo records are refused like bad rows.
	for _, p := range []Photo{{Name: "a", SHA256: "XYZ"}, {Name: "b", HasGPS: true, Lon: 500000, Lat: 3400000}, {Name: "c", HasDirection: true, DirectionDeg: 400}} {
		r := []Row{{JCBH: "1", Lon: 114, Lat: 30, Evidence: []Photo{p}}}
		if err := XLSX(io.Discard, r); !errors.Is(err, ErrInvalid) || !errors.Is(err, pipeline.ErrInvalid) {
			t.Errorf("photo %q: %v", p.Name, err)
		}
	}
}

// Every text cell the workbook holds that a spreadsheet would run as a
// formula starts with a quote; numbers stay numbers.
func TestXLSXFormulaInjection(t *testing.T) {
	evil := `=HYPERLINK("http://evil.example/","点我")`
	rows := withPhotos(t, nil)
	r := &rows[1]
	r.Township, r.Person, r.Zone, r.Verdict, r.Contact, r.PriorityReason = evil, "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1+1", "\r=1+1"
	r.Evidence[0].Name, r.Evidence[0].AddedBy = "\t=1+1.jpg", "@张三"
	b := write(t, XLSX, rows, append(opts, WithTitle("-标题"))...)
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	task, _ := f.GetRows(SheetTasks, excelize.Options{RawCellValue: true})
	col := func(h string) string { return task[1][slices.Index(task[0], h)] }
	for h, want := range map[string]string{"乡镇": "'" + evil, "责任人": "'+cmd|' /C calc'!A0", "巡查区": "'-2+3", "核查结论": "'@SUM(1+1)",
		"联系电话": "'=1+1", "优先原因": "'=1+1", "监测编号": "4201022026060001"} {
		if got := col(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	// Task cells are trimmed, and \r is dropped by cleanText (a control
	// character): what is left, "=1+1", is escaped after cleaning. Photo
	// names keep a leading tab, escaped too.
	ev, _ := f.GetRows(SheetEvidence, excelize.Options{RawCellValue: true})
	if ev[1][2] != "'\t=1+1.jpg" || ev[1][10] != "'@张三" {
		t.Errorf("evidence row %q", ev[1])
	}
	notes, _ := f.GetRows(SheetNotes)
	if notes[0][1] != "'-标题" {
		t.Errorf("title %q", notes[0][1])
	}
	if typ, _ := f.GetCellType(SheetTasks, "F3"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset { // 监测面积(亩)
		t.Errorf("监测面积(亩) type %v", typ)
	}
	for _, e := range []error{ErrInvalid, (&RowError{}).Unwrap()} {
		if !errors.Is(e, pipeline.ErrInvalid) {
			t.Errorf("%v is not pipeline.ErrInvalid", e)
		}
	}
}
