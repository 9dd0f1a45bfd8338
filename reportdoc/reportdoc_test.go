package reportdoc

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"

	"github.com/weipian/weipian/pipeline/reconcile"
	"github.com/weipian/weipian/pipeline/stats"
	"github.com/weipian/weipian/pipeline/task"
)

func mu(v float64) float64 { return v * 10000 / 15 }

func box(x0, y0, d float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x0 + d, y0}, {x0 + d, y0 + d}, {x0, y0 + d}, {x0, y0}}}}
}

// doc is a small county: two townships, five 图斑, one illegal case
// closed without a rectification (a consistency check fails), and a 填报单位
// that would be a formula.
func doc() *Document {
	loc := reconcile.ChinaTime()
	tk := func(st task.State, v task.Verdict, r task.Rectification) *stats.Task {
		t := &stats.Task{State: st, Verdict: v, Rectification: r}
		if v == task.VerdictIllegal {
			t.ViolationType = task.ViolationOccupy
		}
		return t
	}
	in := stats.Input{Period: stats.Period{Kind: stats.Year, Year: 2026}, AsOf: time.Date(2026, 12, 31, 0, 0, 0, 0, loc),
		Tubans: []stats.Tuban{
			{ID: "1", JCBH: "420101001260501", XZQDM: "420101001", Township: "甲镇", Batch: "2026年5月", Day: "2026-05-10", Source: "部", TBLX: "建(构)筑物/硬化",
				JCMJ: mu(12.5), JCGDMJ: mu(10), YJJBNTMJ: mu(2), PatrolZone: "城西片区", Patrol: stats.PatrolFound, Task: tk(task.Closed, task.VerdictIllegal, task.RectifyDemolish)},
			{ID: "2", JCBH: "420101001260502", XZQDM: "420101001", Township: "甲镇", Batch: "2026年5月", Day: "2026-05-11", TBLX: "推堆土/动土",
				JCMJ: mu(3), JCGDMJ: mu(3), PatrolZone: "城西片区", Patrol: stats.PatrolMissed, Task: tk(task.Closed, task.VerdictIllegal, "")},
			{ID: "3", JCBH: "420101002260601", XZQDM: "420101002", Township: "乙镇", Batch: "2026年6月", Day: "2026-06-02", TBLX: "大棚",
				JCMJ: mu(120), JCGDMJ: mu(110), PatrolZone: "城东片区", Task: tk(task.Closed, task.VerdictFarmFacility, "")},
			{ID: "4", JCBH: "420101002260602", XZQDM: "420101002", Township: "乙镇", Batch: "2026年6月", Day: "2026-06-03", TBLX: "道路",
				JCMJ: mu(1), JCGDMJ: mu(1), PatrolZone: "城东片区", Task: tk(task.Verified, task.VerdictIllegal, "")},
			{ID: "5", JCBH: "420101002260901", XZQDM: "420101002", Township: "乙镇", Batch: "2026年9月", Day: "2026-09-03", TBLX: "道路",
				JCMJ: mu(2), PatrolZone: "城东片区", Task: tk(task.Pending, "", "")},
		},
		Approvals:      []stats.Approval{{No: "鄂政地〔2026〕1号", Type: "农用地转用", ValidFrom: "2026-03-01", ValidTo: "2028-12-31", FarmlandM2: mu(70)}},
		ApprovedFarmM2: mu(70), Layers: []string{"批准用地 第1版", "耕地 第2版"},
		Zones: []stats.PatrolZone{
			{ZoneResult: reconcile.ZoneResult{Name: "城西片区", Team: "城西组", Grade: 1, RequiredDays: 182, PatrolDays: 170, FrequencyMet: false}, Person: "王五"},
			{ZoneResult: reconcile.ZoneResult{Name: "城东片区", Team: "城东组", Grade: 2, RequiredDays: 60, PatrolDays: 64, FrequencyMet: true, SoloPatrols: 1}, Person: "赵六"},
		},
	}
	d := &Document{Report: stats.Compute(in, stats.Config{}), Meta: Meta{Unit: "=HYPERLINK(\"http://x\")", Region: "全部（2个乡镇）"}}
	d.Map = MapData{
		Townships: []Shape{{Name: "甲镇", Geometry: box(114.30, 30.50, 0.05)}, {Name: "乙镇", Geometry: box(114.35, 30.50, 0.05)}},
		Zones:     []Shape{{Name: "城西片区", Geometry: box(114.30, 30.50, 0.05)}, {Name: "城东片区", Geometry: box(114.35, 30.50, 0.05)}},
		Tubans: []Shape{{Name: "1", Class: "违法", Geometry: box(114.31, 30.51, 0.002)}, {Name: "3", Class: "其他", Geometry: box(114.37, 30.53, 0.004)},
			{Name: "5", Class: "未核实", Geometry: box(114.38, 30.52, 0.001)}},
	}
	return d
}

func TestXLSX(t *testing.T) {
	t.Parallel()
	d := doc()
	var a, b bytes.Buffer
	if err := WriteXLSX(&a, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteXLSX(&b, d); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two writes of the same report differ")
	}
	f, err := excelize.OpenReader(&a)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{"说明", "表1-1 图斑来源", "表1-2 核查情况", "表1-3 其他与百亩大图斑", "表2 整改情况", "表3 违法占用耕地比例", "表4 执法指标",
		"表4-2 分乡镇执法指标", "表5 巡查考核", "表5附 扣分明细", "表6 违法图斑清单"}
	if got := f.GetSheetList(); !slices.Equal(got, want) {
		t.Fatalf("sheets %v", got)
	}
	const sh = "表2 整改情况"
	rows, err := f.GetRows(sh, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	// Title, the 填报单位 line (escaped), two header rows, 甲镇, 乙镇, 合计.
	if rows[0][0] != "表2 违法线索统计表（整改情况）" || !strings.HasPrefix(rows[1][0], "填报单位（盖章）：=HYPERLINK") {
		t.Errorf("title rows %q / %q", rows[0][0], rows[1][0])
	}
	if rows[2][0] != "乡镇" || rows[2][1] != "违法图斑总数" || rows[3][1] != "个数" || rows[3][2] != "面积（亩）" {
		t.Errorf("headers %q %q", rows[2], rows[3])
	}
	jia, tot := rows[4], rows[6]
	// 甲镇: 2 illegal (15.5 亩, 13 亩 耕地); 1 rectified (12.5, 10), 0 open:
	// the case closed without a rectification breaks 总数 = 已整改 + 未整改.
	if jia[0] != "甲镇" || jia[1] != "2" || jia[2] != "15.50" || jia[3] != "13.00" || jia[4] != "1" || jia[13] != "0" || !strings.HasPrefix(jia[16], "不符") || jia[17] != "相符" {
		t.Errorf("甲镇 row %q", jia)
	}
	if tot[0] != "合计" || tot[1] != "3" || tot[2] != "16.50" || !strings.HasPrefix(tot[16], "不符：差1个、3.00亩") {
		t.Errorf("合计 row %q", tot)
	}
	red := func(cell string) bool {
		id, err := f.GetCellStyle(sh, cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		return st.Font != nil && st.Font.Color == "C00000"
	}
	if !red("Q5") || !red("B5") || red("R5") || red("C5") {
		t.Errorf("the failed check is not (only) red: Q5 %v B5 %v R5 %v C5 %v", red("Q5"), red("B5"), red("R5"), red("C5"))
	}
	// A red note under the table says what does not add up.
	var notes []string
	for _, r := range rows[7:] {
		if len(r) > 0 {
			notes = append(notes, r[0])
		}
	}
	if !slices.ContainsFunc(notes, func(s string) bool {
		return strings.HasPrefix(s, "核对不符：甲镇 总数 = 已整改 + 未整改，相差 1 个")
	}) {
		t.Errorf("notes %q", notes)
	}
	// Merged group headers, frozen panes, print area, A4 landscape.
	merged, _ := f.GetMergeCells(sh)
	var ranges []string
	for _, m := range merged {
		ranges = append(ranges, m.GetStartAxis()+":"+m.GetEndAxis())
	}
	for _, r := range []string{"A3:A4", "B3:D3", "E3:G3", "Q3:R3"} {
		if !slices.Contains(ranges, r) {
			t.Errorf("%s not merged (merged: %v)", r, ranges)
		}
	}
	panes, err := f.GetPanes(sh)
	if err != nil || !panes.Freeze || panes.XSplit != 1 || panes.YSplit != 4 {
		t.Errorf("panes %+v %v", panes, err)
	}
	var area string
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Area" && dn.Scope == sh {
			area = dn.RefersTo
		}
	}
	if !regexp.MustCompile(`^'表2 整改情况'!\$A\$1:\$R\$\d+$`).MatchString(area) {
		t.Errorf("print area %q", area)
	}
	pl, err := f.GetPageLayout(sh)
	if err != nil || pl.Orientation == nil || *pl.Orientation != "landscape" || pl.Size == nil || *pl.Size != 9 {
		t.Errorf("page layout %+v %v", pl, err)
	}
	// Numbers are numbers; 表3 names the layers; 表4 writes its formulas.
	if typ, _ := f.GetCellType(sh, "C5"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("C5 type %v", typ)
	}
	r3, _ := f.GetRows("表3 违法占用耕地比例")
	if all := fmt.Sprint(r3); !strings.Contains(all, "所用图层：批准用地 第1版；耕地 第2版") || !strings.Contains(all, "已达到") {
		t.Errorf("表3 %v", r3)
	}
	r4, _ := f.GetRows("表4 执法指标")
	if all := fmt.Sprint(r4); !strings.Contains(all, stats.FormulaDiscovery) || !strings.Contains(all, stats.FormulaRectify) {
		t.Errorf("表4 formulas missing: %v", r4)
	}
	// 表4-2: a row per township of 表1-1 and the county's 合计, whose 发现率
	// by count is 表4's.
	r42, _ := f.GetRows("表4-2 分乡镇执法指标")
	if len(r42) < 6 || !strings.Contains(fmt.Sprint(r42[2]), "发现率") || !strings.Contains(fmt.Sprint(r42[3]), "按个数") {
		t.Fatalf("表4-2 head %v", r42)
	}
	rep := doc().Report
	var names []string
	for _, row := range r42 {
		if len(row) > 0 {
			names = append(names, row[0])
		}
	}
	for _, ti := range rep.TownshipIndicators {
		if !slices.Contains(names, ti.Township) {
			t.Errorf("表4-2 lacks township %s: %v", ti.Township, names)
		}
	}
	for _, row := range r42 {
		if len(row) > 2 && row[0] == "合计" {
			want := fmt.Sprintf("%.1f", rep.Indicators[0].RateN*100)
			if rep.Indicators[0].RateN < 0 {
				want = "—"
			}
			if row[2] != want {
				t.Errorf("表4-2 合计 发现率 %q, 表4 says %q", row[2], want)
			}
		}
	}
}

// TestHTMLSelfContained: the page loads nothing from elsewhere, and draws
// the tables and four charts.
func TestHTMLSelfContained(t *testing.T) {
	t.Parallel()
	d := doc()
	var a, b bytes.Buffer
	if err := WriteHTML(&a, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&b, d); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two writes differ")
	}
	h := a.String()
	for _, bad := range []string{"<script", " src=", " href=", "url(", "@import", "<link", "<img"} {
		if strings.Contains(h, bad) {
			t.Errorf("the page has %q", bad)
		}
	}
	// The only http:// is the SVG namespace, and the escaped 填报单位.
	if n := strings.Count(h, "http://"); n != 4+1 {
		t.Errorf("%d http:// in the page, want 4 SVG namespaces and the escaped unit", n)
	}
	if strings.Count(h, "<svg") != 4 || !strings.Contains(h, "=HYPERLINK(&#34;http://x&#34;)") {
		t.Error("charts or escaping")
	}
	h = html.UnescapeString(h)
	for _, s := range []string{"表1-1 卫片图斑核查情况一览表（图斑来源）", "表6 违法图斑清单", stats.FormulaClose, "核对不符：甲镇 总数 = 已整改 + 未整改",
		`<td class="t red">不符：差1个、3.00亩</td>`, "问责线（15号令）"} {
		if !strings.Contains(h, s) {
			t.Errorf("the page lacks %q", s)
		}
	}
}

func TestCharts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v             float64
		integer       bool
		top, stepWant float64
	}{{6, true, 6, 2}, {1, true, 1, 1}, {0, true, 1, 1}, {104.71, false, 150, 50}, {0.4, false, 0.4, 0.1}, {37, true, 40, 10}} {
		top, step := axis(tc.v, tc.integer)
		if top != tc.top || step != tc.stepWant {
			t.Errorf("axis(%v): %v %v, want %v %v", tc.v, top, step, tc.top, tc.stepWant)
		}
	}
	// An empty map says so.
	if s := MapChart(MapData{}); !strings.Contains(s, "无图层与图斑") {
		t.Error(s)
	}
	// Text in charts is escaped.
	s := TownshipChart([]stats.TownshipRow{{Township: "<b>&"}})
	if strings.Contains(s, "<b>") || !strings.Contains(s, "&lt;b&gt;&amp;") {
		t.Error("township names are not escaped")
	}
}

func TestFixPDFDates(t *testing.T) {
	t.Parallel()
	in := []byte("<</CreationDate (D:20261201083015+00'00')\n/ModDate (D:20261201083016Z)>>")
	out := FixPDFDates(in)
	if len(out) != len(in) || string(out) != "<</CreationDate (D:20000101000000+00'00')\n/ModDate (D:20000101000000Z)>>" {
		t.Errorf("%s", out)
	}
}

// require returns the path of a tool the test needs. Without it the test
// skips, but fails under CI=true or REQUIRE_SERVERS=1.
func require(t *testing.T, name string, find func() (string, error)) string {
	t.Helper()
	p, err := find()
	if err != nil {
		if os.Getenv("CI") == "true" || os.Getenv("REQUIRE_SERVERS") == "1" {
			t.Fatalf("%s is required here (scripts/setup.sh report installs it): %v", name, err)
		}
		t.Skipf("%s not installed (scripts/setup.sh report): %v", name, err)
	}
	return p
}

// RenderPDF renders a PDF's pages to PNG with pdftoppm at dpi, into dir,
// and returns the files in page order. Tests use it.
func renderPDF(t *testing.T, pdf []byte, dpi int, dir string) []string {
	t.Helper()
	tool := require(t, "pdftoppm", func() (string, error) { return exec.LookPath("pdftoppm") })
	in := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, "-r", fmt.Sprint(dpi), "-png", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "page-*.png"))
	slices.Sort(pages)
	return pages
}

// inked returns the share of a PNG's pixels that are not (near) white.
func inked(t *testing.T, file string) float64 {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r < 0xe000 || g < 0xe000 || bb < 0xe000 {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

// TestPDF prints the report with headless Chromium, renders it with
// pdftoppm and checks the pages: how many, A4 landscape, none blank, the
// same bytes twice.
func TestPDF(t *testing.T) {
	t.Parallel()
	browser := require(t, "Chromium", FindBrowser)
	d := doc()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var a, b bytes.Buffer
	if err := WritePDF(ctx, &a, d, PDFOptions{Browser: browser}); err != nil {
		t.Fatal(err)
	}
	if err := WritePDF(ctx, &b, d, PDFOptions{Browser: browser}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two prints of the same report differ")
	}
	if !bytes.HasPrefix(a.Bytes(), []byte("%PDF-")) || !bytes.Contains(a.Bytes(), []byte("(D:20000101000000")) {
		t.Fatal("not a PDF with fixed dates")
	}
	if dir := os.Getenv("REPORTDOC_OUT"); dir != "" { // to look at it
		os.WriteFile(filepath.Join(dir, "fixture.pdf"), a.Bytes(), 0o644)
	}
	pages := renderPDF(t, a.Bytes(), 30, t.TempDir())
	// Page 1: cover and charts; 2: 表1-1–1-3; 3: 表2, 表3; 4: 表4, 表4-2;
	// 5: 表5; 6: 表5附 (24 rows); 7: 表6 and the signatures.
	const wantPages = 7
	if len(pages) != wantPages {
		t.Errorf("%d pages, want %d", len(pages), wantPages)
	}
	for i, p := range pages {
		f, _ := os.Open(p)
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width <= cfg.Height {
			t.Errorf("page %d: %dx%d, want landscape (%v)", i+1, cfg.Width, cfg.Height, err)
		}
		if ink := inked(t, p); ink < 0.01 {
			t.Errorf("page %d is blank (%.4f of the pixels inked)", i+1, ink)
		}
	}
}
