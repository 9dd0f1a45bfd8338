package ledger

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite the generated files under testdata/")

const (
	xlsxFixture = "testdata/台帐2026.xlsx"
	csvFixture  = "testdata/台帐_gbk.csv"
)

// buildLedgerXLSX makes a realistic ledger workbook: a title row and a unit
// row above a two-row header (违法情况 over 主体/地点/现状), vertical merges
// in the header and in the data (one patrol written on two rows), an Excel
// date cell and text dates in several spellings, a footer, and a second
// sheet of instructions without a header.
func buildLedgerXLSX(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetDocProps(&excelize.DocProperties{Created: "2026-05-31T00:00:00Z", Modified: "2026-05-31T00:00:00Z", Creator: "城关国土所"}))
	const sh = "5月"
	must(f.SetSheetName("Sheet1", sh))
	set := func(cell string, v any) { t.Helper(); must(f.SetCellValue(sh, cell, v)) }
	merge := func(a, b string) { t.Helper(); must(f.MergeCell(sh, a, b)) }

	set("A1", "城关国土所动态巡查台帐（2026年5月）")
	merge("A1", "K1")
	set("A2", "填报单位：城关国土所")
	merge("A2", "E2")
	for _, h := range [][2]string{{"A", "序号"}, {"B", "巡查时间"}, {"C", "巡查人员"}, {"D", "巡查区域/路线"}, {"E", "巡查项目"}, {"I", "制止措施"}, {"J", "制止效果"}, {"K", "后续处理情况"}} {
		set(h[0]+"3", h[1])
		merge(h[0]+"3", h[0]+"4")
	}
	set("F3", "违法情况")
	merge("F3", "H3")
	set("F4", "违法主体或名称")
	set("G4", "违法地点/坐标")
	set("H4", "违法现状")

	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	must(err)
	rows := [][]any{
		// 5: an Excel date cell; a violation with coordinates.
		{1, nil, "张三、李四", "东关村", "耕地保护", "王某某", "东关村北 114.3021,30.6012", "挖土推平约2亩",
			"现场制止，下达责令停止违法行为通知书", "5月4日已停工", "5月5日填报《动态巡查违法行为报告表》上报大队"},
		// 6: one person (rule breach, kept).
		{2, "2026年5月5日", "张三", "西关村", "巡查", "无", "", "未发现违法行为", "/", "/", "/"},
		// 7-8: one patrol on two rows (time and people merged).
		{3, "2026.05.07 08:30-11:00", "李四，王五", "东关村至西关村", "耕地保护", "赵某", "E114.305 N30.604", "建房打地基",
			"口头制止", "当事人拒不停止", "已上报大队立案"},
		{4, nil, nil, "西关村", "矿产", "无", "", "正常", "", "", ""},
		// 9: unreadable date.
		{5, "2026-13-45", "王五 赵六", "西关村", "巡查", "无", "", "正常", "", "", ""},
		// 10: unknown zone.
		{6, "2026/5/9", "王五 赵六", "南关片区", "巡查", "无", "", "正常", "", "", ""},
		// 11: empty required 巡查人员.
		{7, "2026-05-11", "", "东关村", "巡查", "无", "", "正常", "", "", ""},
		// 12: coordinates outside the county.
		{8, "2026-05-11", "张三、李四", "东关村", "巡查", "钱某", "116.4,39.9", "堆土", "现场制止", "已停止", ""},
		// 13: a month-day date (year from the title), a fuzzy zone, DMS coordinates.
		{9, "5月12日", "张三、李四等3人", "东关", "耕地保护", "孙某", "东经114°18′10″ 北纬30°36′5″", "建棚",
			"现场制止", "已停工", "2026年5月14日上报"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, 5+i)
		must(f.SetSheetRow(sh, cell, &r))
	}
	set("B5", 46145) // 2026-05-03 as an Excel serial
	must(f.SetCellStyle(sh, "B5", "B5", dateStyle))
	merge("B7", "B8")
	merge("C7", "C8")
	set("B15", "填表人：张三        审核人：刘所长")

	_, err = f.NewSheet("填表说明")
	must(err)
	must(f.SetCellValue("填表说明", "A1", "本表每月25日前报监察大队。"))

	var buf bytes.Buffer
	_, err = f.WriteTo(&buf)
	must(err)
	return buf.Bytes()
}

// ledgerCSV is a ledger with an office's own column names (检查时间, 人员)
// that need a header map, saved as GB18030 like Excel on Chinese Windows.
func ledgerCSV() string {
	return strings.Join([]string{
		"西关国土所巡查台帐,,,,,,,,",
		"检查时间,人员,巡查路线,违法主体,违法地点,违法现状,制止措施,制止效果,后续处理",
		"2026-05-03,王五、赵六,西关村,无,,未发现违法行为,,,",
		"2026/5/4 9:00-11:30,王五;赵六,西关村、北关社区,李某,\"北关社区东 30.6100,114.3100\",挖塘,现场制止,已停工,5月6日报大队",
		"2026年5月6日,王五,北关社区,无,,正常,,,",
		"20260507,王五 赵六,北关,无,,正常,,,",
		"",
	}, "\r\n")
}

func writeFixture(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFixtures regenerates the generated fixtures with -update, and
// otherwise checks that the committed files still match their builders.
func TestFixtures(t *testing.T) {
	gbk, err := EncodeGB18030(ledgerCSV())
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{xlsxFixture: buildLedgerXLSX(t), csvFixture: gbk}
	for path, data := range files {
		if *update {
			writeFixture(t, path, data)
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./ledger -update)", err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s is stale; run go test ./ledger -update", path)
		}
	}
}
