package main

import (
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/reportdoc"
)

// needTool returns a tool the test needs; without it the test skips, but
// fails under CI=true or REQUIRE_SERVERS=1.
func needTool(t *testing.T, name string, find func() (string, error)) (string, bool) {
	t.Helper()
	p, err := find()
	if err != nil {
		if os.Getenv("CI") == "true" || os.Getenv("REQUIRE_SERVERS") == "1" {
			t.Fatalf("%s is required here (scripts/setup.sh report installs it): %v", name, err)
		}
		t.Logf("%s not installed: that part is skipped (%v)", name, err)
		return "", false
	}
	return p, true
}

// TestReportOnDemoStore builds the demo's store (zones, the Jülich batch,
// verdicts, the ledger and its reconciliation), writes the annual report
// with `weipian report`, and checks it against `tuban list` and `tasks
// list`, the two reconciliation sheets against each other, and the PDF's
// pages.
func TestReportOnDemoStore(t *testing.T) {
	dir := t.TempDir()
	db := []string{"--db", filepath.Join(dir, "weipian.db"), "--data", filepath.Join(dir, "data"), "--log-level", "warn"}
	cli := func(args ...string) string {
		t.Helper()
		out, err := runCLI(t, append(args, db...)...)
		if err != nil {
			t.Fatalf("weipian %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	zones := "../../testdata/demo-zones/"
	for _, kf := range [][2]string{{"耕地", "gengdi"}, {"永久基本农田", "yjjbnt"}, {"行政区", "xingzhengqu"}, {"巡查区", "xunchaqu"}, {"批准用地", "pizhun"}} {
		cli("zones", "import", "--kind", kf[0], zones+kf[1]+".geojson", "--name", "演示"+kf[0])
	}
	out := cli("batch", "submit", "--before", "../../testdata/juelich/LS20010525.tif", "--after", "../../testdata/juelich/LS20010626.tif",
		"--name", "2001年演示批次", "--region", "999001")
	batch := strings.Fields(out)[1]
	var tl app.TaskList
	if err := json.Unmarshal([]byte(cli("tasks", "list", "--json")), &tl); err != nil || len(tl.Items) < 5 {
		t.Fatalf("tasks: %v (%d)", err, len(tl.Items))
	}
	j := func(i int) string { return tl.Items[i].JCBH }
	for _, s := range [][]string{
		{j(0), "--to", "核查中"}, {j(0), "--to", "已核查", "--verdict", "违法", "--type", "违法占地"}, {j(0), "--to", "已制止"}, {j(0), "--to", "已立案"},
		{j(0), "--to", "整改中", "--rectification", "拆除复耕"}, {j(0), "--to", "已办结"},
		{j(1), "--to", "核查中"}, {j(1), "--to", "已核查", "--verdict", "违法", "--type", "违法占地"}, {j(1), "--to", "已制止"},
		{j(2), "--to", "核查中"}, {j(2), "--to", "已核查", "--verdict", "合法", "--approval", "演示〔2001〕1号"},
		{j(3), "--to", "核查中"}, {j(3), "--to", "已核查", "--verdict", "伪变化"}, {j(3), "--to", "已办结"},
	} {
		cli(append([]string{"tasks", "transition"}, append(s, "--by", "李某")...)...)
	}
	ledger := "../../testdata/demo-ledger/"
	cli("ledger", "import", ledger+"演示巡查二组台帐2001年6月.csv", ledger+"演示巡查二组_李某_赵某_20010620.gpx")
	rdir := filepath.Join(dir, "reconcile")
	cli("reconcile", "--batch", batch, "--period", "2001-06", "--out", rdir)

	// The report.
	formats := "xlsx,html,json"
	_, haveChromium := needTool(t, "Chromium", reportdoc.FindBrowser)
	if haveChromium {
		formats += ",pdf"
	}
	odir := filepath.Join(dir, "report")
	out = cli("report", "--period", "2001", "--unit", "演示县自然资源局", "--ratio-lines", "15%,预警线=9%", "--format", formats, "--out", odir)
	if !strings.Contains(out, "2001年卫片执法统计报表（年报）") || !strings.Contains(out, filepath.Join(odir, "卫片执法统计报表_2001.xlsx")) {
		t.Errorf("report output: %s", out)
	}
	raw, err := os.ReadFile(filepath.Join(odir, "卫片执法统计报表_2001.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep app.ReportJSON
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	r := &rep.Report
	mu := func(m2 float64) float64 { return math.Round(m2*15/10000*100) / 100 }

	// Against `tasks list` (every task here is of 2001) and `tuban list`.
	if err := json.Unmarshal([]byte(cli("tasks", "list", "--json")), &tl); err != nil {
		t.Fatal(err)
	}
	var tb app.TubanList
	if err := json.Unmarshal([]byte(cli("tuban", "list", "--json")), &tb); err != nil {
		t.Fatal(err)
	}
	var sus app.TubanList
	if err := json.Unmarshal([]byte(cli("tuban", "list", "--json", "--judgement", "疑似违法")), &sus); err != nil {
		t.Fatal(err)
	}
	tot := r.Total.Total
	if tot.N != tl.Totals.Count || mu(tot.JCMJ) != tl.Totals.JCMJ.Mu || mu(tot.JCGDMJ) != tl.Totals.JCGDMJ.Mu || mu(tot.YJJBNTMJ) != tl.Totals.YJJBNTMJ.Mu {
		t.Errorf("report 合计 %d 个 %.2f/%.2f/%.2f 亩; tasks list %d 个 %.2f/%.2f/%.2f", tot.N, mu(tot.JCMJ), mu(tot.JCGDMJ), mu(tot.YJJBNTMJ),
			tl.Totals.Count, tl.Totals.JCMJ.Mu, tl.Totals.JCGDMJ.Mu, tl.Totals.YJJBNTMJ.Mu)
	}
	if tot.N != sus.Totals.Count || mu(tot.JCMJ) != sus.Totals.JCMJ.Mu || mu(tot.JCGDMJ) != sus.Totals.JCGDMJ.Mu {
		t.Errorf("report 合计 %d; tuban list --judgement 疑似违法 %+v", tot.N, sus.Totals)
	}
	if r.InPeriod != tb.Totals.Count || tot.N+r.Excluded != tb.Totals.Count {
		t.Errorf("report: %d 图斑 in 2001 (%d + %d excluded); tuban list %d", r.InPeriod, tot.N, r.Excluded, tb.Totals.Count)
	}
	if r.Total.Illegal.N != 2 || r.Total.Legal.N != 1 || r.Total.Other.N != 1 || r.RectTotal.Rectified.N != 1 || r.RectTotal.Unrectified.N != 1 ||
		r.Total.Unverified != tl.Totals.ByState["待核查"]+tl.Totals.ByState["核查中"] {
		t.Errorf("verdicts: %+v; tasks by state %v", r.Total, tl.Totals.ByState)
	}
	illegalFarm := mu(tl.Items[0].Areas.JCGDMJ.M2) + mu(tl.Items[1].Areas.JCGDMJ.M2)
	if j(0) != tl.Items[0].JCBH || math.Abs(mu(r.Ratio.IllegalFarmM2)-illegalFarm) > 0.001 || len(r.Ratio.Lines) != 2 || r.Ratio.NoApprovals {
		t.Errorf("ratio %+v, illegal farmland %.2f", r.Ratio, illegalFarm)
	}

	// The two reconciliation sheets agree, zone by zone, in 2001-06.
	open := func(name string) *excelize.File {
		f, err := excelize.OpenFile(filepath.Join(rdir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	prows, _ := open("对账_图斑.xlsx").GetRows("图斑核查")
	zrows, _ := open("对账_巡查区.xlsx").GetRows("区域巡查")
	perZone, suspected := map[string]int{}, map[string]int{}
	for _, row := range prows[2 : len(prows)-1] { // title, header … 合计
		perZone[row[2]]++
		if row[6] == "是" {
			suspected[row[2]]++
		}
	}
	checked := 0
	for _, row := range zrows[2 : len(zrows)-1] {
		n, _ := strconv.Atoi(row[15])
		s, _ := strconv.Atoi(row[16])
		if n != perZone[row[0]] || s != suspected[row[0]] {
			t.Errorf("%s: zone sheet %d 图斑 (%d 疑似违法), 图斑 sheet %d (%d)", row[0], n, s, perZone[row[0]], suspected[row[0]])
		}
		checked += n
	}
	if perZone["演示北东片区"] == 0 || suspected["演示北东片区"] == 0 || checked == 0 {
		t.Errorf("演示北东片区 has no 图斑 in the sheets: %v %v", perZone, suspected)
	}

	// The workbook and the page.
	f, err := excelize.OpenFile(filepath.Join(odir, "卫片执法统计报表_2001.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("表1-1 图斑来源")
	total := ""
	for _, row := range rows {
		if len(row) > 1 && row[0] == "合计" {
			total = row[1]
		}
	}
	if total != strconv.Itoa(tot.N) {
		t.Errorf("表1-1 合计 %q, want %d", total, tot.N)
	}
	page, _ := os.ReadFile(filepath.Join(odir, "卫片执法统计报表_2001.html"))
	if !strings.Contains(string(page), "演示县自然资源局") || strings.Count(string(page), "<svg") != 4 {
		t.Error("the HTML lacks the unit or the charts")
	}
	if !haveChromium {
		return
	}
	pdftoppm, ok := needTool(t, "pdftoppm", func() (string, error) { return exec.LookPath("pdftoppm") })
	if !ok {
		return
	}
	pdf := filepath.Join(odir, "卫片执法统计报表_2001.pdf")
	info, err := exec.Command(filepath.Join(filepath.Dir(pdftoppm), "pdfinfo"), pdf).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo: %s", info)
	}
	pages, _ := strconv.Atoi(string(m[1]))
	if b, err := exec.Command(pdftoppm, "-r", "24", "-png", pdf, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, b)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "p-*.png"))
	// The cover and charts, 表1, 表2–3, 表4–5, 表5附 and 表6: at least 5.
	if len(pngs) != pages || pages < 5 {
		t.Errorf("%d pages rendered, pdfinfo says %d, want at least 5", len(pngs), pages)
	}
	for _, p := range pngs {
		fh, _ := os.Open(p)
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		ink, b := 0, img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if r, g, bb, _ := img.At(x, y).RGBA(); r < 0xe000 || g < 0xe000 || bb < 0xe000 {
					ink++
				}
			}
		}
		if share := float64(ink) / float64(b.Dx()*b.Dy()); share < 0.01 {
			t.Errorf("%s is blank (%s inked)", filepath.Base(p), fmt.Sprintf("%.4f", share))
		}
	}
}

func TestReportUsage(t *testing.T) {
	db := []string{"--db", filepath.Join(t.TempDir(), "w.db"), "--log-level", "warn"}
	for _, args := range [][]string{
		{"report"},
		{"report", "--period", "2026", "--format", "doc"},
		{"report", "--period", "2026", "--format", ""},
		{"report", "--period", "2026", "--ratio-lines", "abc"},
		{"report", "--period", "2026", "--manual-scores", "9=1"},
		{"report", "--period", "2026", "--manual-scores", "5=26"},
		{"report", "--period", "2026", "--big-mu", "0"},
	} {
		_, err := runCLI(t, append(args, db...)...)
		if exitCode(err) != 2 {
			t.Errorf("%v: %v (exit %d), want a usage error", args, err, exitCode(err))
		}
	}
	// A bad period is refused by the use case, with exit status 2 too.
	out, err := runCLI(t, append([]string{"report", "--period", "2026-13", "--out", t.TempDir()}, db...)...)
	if exitCode(err) != 2 || !strings.Contains(message(err), "2026-13") {
		t.Errorf("bad period: %v %s", err, out)
	}
}
