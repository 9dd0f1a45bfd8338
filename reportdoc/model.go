// Package reportdoc writes the 卫片执法 statistics report of package
// pipeline/stats as the documents an enforcement office hands in: an XLSX
// workbook (A4 landscape, merged group headers, totals rows, frozen panes,
// print areas), a self-contained HTML page (the same tables, plus charts
// drawn as inline SVG and a small map; no external resource, so it works
// offline) and a PDF printed from that HTML by headless Chromium (see
// WritePDF).
//
// The HTML and the XLSX are rendered from one table model (Tables), so the
// two cannot disagree. Output is deterministic: the same Document gives the
// same bytes (the workbook's document dates are fixed; the PDF's creation
// dates are fixed after printing).
package reportdoc

import (
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline/geodesy"
	"github.com/weipian/weipian/pipeline/stats"
)

// Meta says who reports what.
type Meta struct {
	// Unit is the 填报单位 ("" leaves a blank to fill in by hand).
	Unit string
	// Region names the area reported on, e.g. "演示县（999001）".
	Region string
	// Batches are the 监测批次 the report is limited to (none: all).
	Batches []string
	// Date is the 填报日期 ("" leaves a blank).
	Date string
}

// Shape is an outline on the map: a township, a patrol zone or a 图斑.
type Shape struct {
	Name string
	// Class of a 图斑: 违法, 合法, 其他 or 未核实.
	Class    string
	Geometry orb.MultiPolygon
}

// MapData is what the small map shows: the period's 图斑 over the zones.
type MapData struct {
	Townships, Zones, Tubans []Shape
}

// Document is one report: the figures and what is needed to present them.
type Document struct {
	Report stats.Report
	Meta   Meta
	Map    MapData
}

// Title is the report's title, e.g. 2026年卫片执法统计报表（年报）.
func (d *Document) Title() string {
	return d.Report.Period.Label() + "卫片执法统计报表（" + d.Report.Period.KindLabel() + "）"
}

// FileBase is the base name of the report's files, e.g. 卫片执法统计报表_2026.
func (d *Document) FileBase() string { return "卫片执法统计报表_" + d.Report.Period.String() }

// PeriodText reads 2026年（2026-01-01至2026-12-31）.
func (d *Document) PeriodText() string {
	p := d.Report.Period
	return fmt.Sprintf("%s（%s至%s）", p.Label(), p.First(), p.Last())
}

// AsOfText is the day the report's figures stand at.
func (d *Document) AsOfText() string {
	if d.Report.AsOf.IsZero() {
		return ""
	}
	return d.Report.AsOf.Format("2006-01-02")
}

// cell is one cell of a table: a text, an int or an area in 亩 / a rate
// already rounded (float64).
type cell struct {
	V    any
	Red  bool
	Bold bool
	// Dec is the number of decimals of a float (2 for 亩, 1 for %).
	Dec int
}

// group is a header group: Label over Cols (leaf headers). A group with
// one empty leaf is a single column spanning both header rows.
type group struct {
	Label string
	Cols  []string
}

// note is a line written under a table: a formula, a rule, a check.
type note struct {
	Text string
	Red  bool
}

// table is one table of the report, as both documents draw it.
type table struct {
	// Sheet is the worksheet name; Title the caption; Unit the unit line.
	Sheet, Title, Unit string
	Groups             []group
	Rows               [][]cell
	// Totals is the 合计 row (nil: none).
	Totals []cell
	Notes  []note
	// Widths are the XLSX column widths (characters).
	Widths []float64
	// Frozen is how many leading columns stay in view.
	Frozen int
}

func (t *table) leaves() []string {
	var out []string
	for _, g := range t.Groups {
		out = append(out, g.Cols...)
	}
	return out
}

func (t *table) twoRows() bool {
	for _, g := range t.Groups {
		if !(len(g.Cols) == 1 && g.Cols[0] == "") {
			return true
		}
	}
	return false
}

func txt(s string) cell { return cell{V: s} }
func num(n int) cell    { return cell{V: n} }
func area(m2 float64) cell {
	return cell{V: round(geodesy.Mu(m2), 2), Dec: 2}
}
func rate(v float64) cell {
	if v < 0 {
		return txt("—")
	}
	return cell{V: round(v*100, 1), Dec: 1}
}
func pts(v float64) cell { return cell{V: round(v, 1), Dec: 1} }

func round(v float64, dec int) float64 {
	p := math.Pow(10, float64(dec))
	r := math.Round(v*p) / p
	if r == 0 {
		return 0 // no -0
	}
	return r
}

// amount4 is count, 监测面积, 耕地, 永久基本农田.
func amount4(a stats.Amount) []cell {
	return []cell{num(a.N), area(a.JCMJ), area(a.JCGDMJ), area(a.YJJBNTMJ)}
}

// amount3 is count, 监测面积, 耕地.
func amount3(a stats.Amount) []cell { return []cell{num(a.N), area(a.JCMJ), area(a.JCGDMJ)} }

var cols4 = []string{"个数", "监测面积（亩）", "耕地面积（亩）", "永久基本农田面积（亩）"}
var cols3 = []string{"个数", "面积（亩）", "耕地面积（亩）"}

func single(label string) group { return group{Label: label, Cols: []string{""}} }

func bold(cs []cell) []cell {
	for i := range cs {
		cs[i].Bold = true
	}
	return cs
}

// checkNotes writes the consistency checks of the rows: one line per
// failed check, in red, or one line saying all hold.
func checkNotes(rules []string, rows []string, checks [][]stats.Check) []note {
	var out []note
	for i, cs := range checks {
		for _, c := range cs {
			if c.OK {
				continue
			}
			out = append(out, note{Red: true, Text: fmt.Sprintf("核对不符：%s %s，相差 %d 个、监测面积 %.2f 亩、耕地 %.2f 亩", rows[i], c.Rule,
				c.Diff.N, round(geodesy.Mu(c.Diff.JCMJ), 2), round(geodesy.Mu(c.Diff.JCGDMJ), 2))})
		}
	}
	if len(out) == 0 {
		out = append(out, note{Text: "核对：" + strings.Join(rules, "；") + "，各行均相符。"})
	}
	return out
}

func failed(cs []stats.Check, i int) bool { return i < len(cs) && !cs[i].OK }

// Tables returns the report's tables in order.
func (d *Document) Tables() []table {
	r := &d.Report
	unit := "单位：个、亩"
	var out []table

	// 表1-1 图斑来源.
	t := table{Sheet: "表1-1 图斑来源", Title: "表1-1 卫片图斑核查情况一览表（图斑来源）", Unit: unit, Frozen: 1,
		Groups: []group{single("乡镇"), {"图斑合计", cols4}, {"其中：下发", cols4}, {"其中：自主监测", cols4},
			{"下发图斑中已发现", []string{"自主监测已发现", "巡查已发现"}}}}
	row1 := func(x *stats.TownshipRow) []cell {
		cs := []cell{txt(x.Township)}
		cs = append(cs, amount4(x.Total)...)
		cs = append(cs, amount4(x.Issued)...)
		cs = append(cs, amount4(x.Own)...)
		cs = append(cs, num(x.IssuedOwnFound), num(x.IssuedPatrolFound))
		if failed(x.Checks, 0) {
			for i := 1; i <= 4; i++ {
				cs[i].Red = true
			}
		}
		return cs
	}
	var names []string
	var checks [][]stats.Check
	for i := range r.Townships {
		t.Rows = append(t.Rows, row1(&r.Townships[i]))
		names = append(names, r.Townships[i].Township)
		checks = append(checks, r.Townships[i].Checks[:1])
	}
	t.Totals = bold(row1(&r.Total))
	names = append(names, "合计")
	checks = append(checks, r.Total.Checks[:1])
	t.Notes = append([]note{
		{Text: "统计口径：图斑按后时相（变化被卫星发现之日）归入统计期；纳入统计的是全部下发图斑（部、省、市下发）和转为核查任务的自主监测图斑（初判疑似违法）。"},
		{Text: fmt.Sprintf("统计期内自主监测另有 %d 个图斑初判为已有用地手续或非关注变化，未转核查任务，不列入本表；统计期内图斑共 %d 个。", r.Excluded, r.InPeriod)},
		{Text: "“自主监测已发现”：下发前本县自主监测已提取的下发图斑；“巡查已发现”：对账结论为巡查已发现的下发图斑。"},
	}, checkNotes([]string{"合计 = 下发 + 自主监测"}, names, checks)...)
	t.Widths = widths(len(t.leaves()), 12, 9)
	out = append(out, t)

	// 表1-2 核查情况.
	t = table{Sheet: "表1-2 核查情况", Title: "表1-2 卫片图斑核查情况一览表（核查结果）", Unit: unit, Frozen: 1,
		Groups: []group{single("乡镇"), {"核实后", cols4}, {"合法", cols4}, {"违法", cols4}, {"其他", cols4}, single("未核实（个）")}}
	row2 := func(x *stats.TownshipRow) []cell {
		cs := []cell{txt(x.Township)}
		cs = append(cs, amount4(x.Verified)...)
		cs = append(cs, amount4(x.Legal)...)
		cs = append(cs, amount4(x.Illegal)...)
		cs = append(cs, amount4(x.Other)...)
		cs = append(cs, num(x.Unverified))
		if failed(x.Checks, 1) {
			for i := 1; i <= 4; i++ {
				cs[i].Red = true
			}
		}
		return cs
	}
	checks = nil
	for i := range r.Townships {
		t.Rows = append(t.Rows, row2(&r.Townships[i]))
		checks = append(checks, r.Townships[i].Checks[1:2])
	}
	t.Totals = bold(row2(&r.Total))
	checks = append(checks, r.Total.Checks[1:2])
	t.Notes = append([]note{{Text: "核实后：核查任务已提交核查结论（判定）的图斑；合法、违法、其他按判定统计，其他含伪变化、设施农用地、农村道路及其他（见表1-3）。"}},
		checkNotes([]string{"核实后 = 合法 + 违法 + 其他"}, names, checks)...)
	t.Widths = autoWidths(&t, 12)
	out = append(out, t)

	// 表1-3 其他细分与百亩大图斑.
	var otherGroups []group
	for _, v := range stats.OtherVerdicts {
		otherGroups = append(otherGroups, group{"其他：" + v.Label(), []string{"个数", "监测面积（亩）"}})
	}
	t = table{Sheet: "表1-3 其他与百亩大图斑", Title: "表1-3 “其他”细分与百亩大图斑", Unit: unit, Frozen: 1,
		Groups: append(append([]group{single("乡镇")}, otherGroups...),
			group{fmt.Sprintf("百亩大图斑（占耕地≥%g亩）", r.Config.BigMu), append(append([]string{}, cols4...), "其中违法")})}
	row3 := func(x *stats.TownshipRow) []cell {
		cs := []cell{txt(x.Township)}
		for _, a := range x.OtherBy {
			cs = append(cs, num(a.N), area(a.JCMJ))
		}
		cs = append(cs, amount4(x.Big)...)
		cs = append(cs, num(x.BigIllegal))
		if failed(x.Checks, 2) {
			for i := 1; i <= 2*len(x.OtherBy); i++ {
				cs[i].Red = true
			}
		}
		return cs
	}
	checks = nil
	for i := range r.Townships {
		t.Rows = append(t.Rows, row3(&r.Townships[i]))
		checks = append(checks, r.Townships[i].Checks[2:3])
	}
	t.Totals = bold(row3(&r.Total))
	checks = append(checks, r.Total.Checks[2:3])
	t.Notes = checkNotes([]string{"其他 = 伪变化 + 设施农用地 + 农村道路 + 其他"}, names, checks)
	t.Widths = autoWidths(&t, 12)
	out = append(out, t)

	// 表2 整改情况.
	t = table{Sheet: "表2 整改情况", Title: "表2 违法线索统计表（整改情况）", Unit: unit, Frozen: 1,
		Groups: []group{single("乡镇"), {"违法图斑总数", cols3}, {"已整改", cols3}, {"其中：拆除复耕", cols3}, {"其中：补办手续", cols3},
			{"未整改", cols3}, {"核对", []string{"总数=已整改+未整改", "已整改=拆除复耕+补办手续"}}}}
	rowR := func(x *stats.RectRow) []cell {
		cs := []cell{txt(x.Township)}
		for _, a := range []stats.Amount{x.Total, x.Rectified, x.Demolished, x.Permitted, x.Unrectified} {
			cs = append(cs, amount3(a)...)
		}
		for i, c := range x.Checks {
			if c.OK {
				cs = append(cs, txt("相符"))
				continue
			}
			cs = append(cs, cell{V: fmt.Sprintf("不符：差%d个、%.2f亩", c.Diff.N, round(geodesy.Mu(c.Diff.JCMJ), 2)), Red: true})
			if i == 0 {
				cs[1].Red, cs[4].Red, cs[13].Red = true, true, true
			} else {
				cs[4].Red, cs[7].Red, cs[10].Red = true, true, true
			}
		}
		return cs
	}
	names, checks = nil, nil
	for i := range r.Rect {
		t.Rows = append(t.Rows, rowR(&r.Rect[i]))
		names = append(names, r.Rect[i].Township)
		checks = append(checks, r.Rect[i].Checks)
	}
	t.Totals = bold(rowR(&r.RectTotal))
	names = append(names, "合计")
	checks = append(checks, r.RectTotal.Checks)
	t.Notes = []note{
		{Text: "已整改：违法图斑的核查任务已办结，并记录整改方式（拆除复耕或补办手续）；整改中的图斑计为未整改。面积为监测面积。"},
	}
	t.Notes = append(t.Notes, checkNotes([]string{"总数 = 已整改 + 未整改", "已整改 = 拆除复耕 + 补办手续"}, names, checks)...)
	if c := r.CrossCheck; c.OK {
		t.Notes = append(t.Notes, note{Text: "核对：违法图斑总数与表1-2违法个数相符。"})
	} else {
		t.Notes = append(t.Notes, note{Red: true, Text: fmt.Sprintf("核对不符：%s，相差 %d 个", c.Rule, c.Diff.N)})
	}
	t.Widths = autoWidths(&t, 12)
	t.Widths[len(t.Widths)-1], t.Widths[len(t.Widths)-2] = 16, 16
	out = append(out, t)

	out = append(out, d.ratioTable(), d.indicatorTable(), d.townshipIndicatorTable())
	out = append(out, d.assessTables()...)
	out = append(out, d.listTable())
	return out
}

// autoWidths sizes the columns by their headers: counts narrow, areas
// wider, the first column for names.
func autoWidths(t *table, first float64) []float64 {
	leaves := t.leaves()
	w := make([]float64, len(leaves))
	for i, l := range leaves {
		switch {
		case i == 0:
			w[i] = first
		case l == "个数" || strings.HasSuffix(l, "（个）") || l == "":
			w[i] = 6
		case strings.Contains(l, "面积"):
			w[i] = 10
		default:
			w[i] = max(8, float64(len([]rune(l)))*0.9)
		}
	}
	return w
}

func widths(n int, first, rest float64) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = rest
	}
	if n > 0 {
		w[0] = first
	}
	return w
}

// RatioText is the ratio as a percentage with two decimals, or — .
func RatioText(v float64) string {
	if v < 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f%%", round(v*100, 2))
}

func (d *Document) ratioTable() table {
	ra := &d.Report.Ratio
	t := table{Sheet: "表3 违法占用耕地比例", Title: "表3 违法占用耕地面积比例", Unit: "单位：亩、%", Frozen: 1,
		Groups: []group{single("项目"), single("数值"), single("说明")}}
	v := cell{V: RatioText(ra.Value)}
	for _, l := range ra.Lines {
		if l.Reached {
			v.Red = true
		}
	}
	t.Rows = [][]cell{
		{txt("违法占用耕地面积（亩）"), area(ra.IllegalFarmM2), txt("统计期内判定违法的图斑的耕地面积")},
		{txt("批准新增建设用地占用耕地面积（亩）"), area(ra.ApprovedFarmM2), txt(fmt.Sprintf("统计期内批准的%d宗建设用地（农用地转用、土地征收、供地）与耕地的重叠面积，重叠只计一次", len(ra.Approvals)))},
		{txt("新增建设用地占用耕地总面积（亩）"), area(ra.TotalFarmM2), txt("批准与违法之和")},
		{txt("违法占用耕地面积比例"), v, txt("违法占用耕地面积 ÷ 新增建设用地占用耕地总面积")},
	}
	for _, l := range ra.Lines {
		status := cell{V: "未达到"}
		if l.Reached {
			status = cell{V: "已达到", Red: true}
		}
		desc := fmt.Sprintf("比例≥%s", stats.Line{Ratio: l.Line.Ratio}.String())
		if l.Line.MinMu > 0 {
			desc += fmt.Sprintf("且违法占用耕地≥%g亩", l.Line.MinMu)
		}
		t.Rows = append(t.Rows, []cell{txt(l.Line.Label), status, txt(desc)})
	}
	t.Notes = []note{{Text: "公式：违法占用耕地面积比例 = 违法占用耕地面积 ÷（批准新增建设用地占用耕地面积 + 违法占用耕地面积）。比例达到15%的，按《违反土地管理规定行为处分办法》（15号令）问责，动态巡查考核一票否决。"}}
	if len(ra.Layers) > 0 {
		t.Notes = append(t.Notes, note{Text: "所用图层：" + strings.Join(ra.Layers, "；") + "。"})
	}
	if ra.NoApprovals {
		t.Notes = append(t.Notes, note{Red: true, Text: "未导入批准用地图层：分母只含违法占用耕地，比例不能反映实际。"})
	}
	for _, a := range ra.Approvals {
		to := a.ValidTo
		if to == "" {
			to = "长期"
		}
		t.Notes = append(t.Notes, note{Text: fmt.Sprintf("计入批准用地：%s（%s，%s至%s），占耕地 %.2f 亩", a.No, a.Type, a.ValidFrom, to, round(geodesy.Mu(a.FarmlandM2), 2))})
	}
	t.Widths = []float64{34, 14, 80}
	return t
}

func (d *Document) indicatorTable() table {
	t := table{Sheet: "表4 执法指标", Title: "表4 执法指标", Unit: "单位：个、亩、%", Frozen: 1,
		Groups: []group{single("指标"), {"按个数", []string{"分子（个）", "分母（个）", "比率（%）"}}, {"按面积", []string{"分子（亩）", "分母（亩）", "比率（%）"}}, single("分子／分母")}}
	for _, in := range d.Report.Indicators {
		t.Rows = append(t.Rows, []cell{txt(in.Name), num(in.NumN), num(in.DenN), rate(in.RateN), area(in.NumM2), area(in.DenM2), rate(in.RateM2), txt(in.Num + "／" + in.Den)})
	}
	for _, in := range d.Report.Indicators {
		t.Notes = append(t.Notes, note{Text: in.Formula + "（按个数与按监测面积分别计算）"})
	}
	t.Notes = append(t.Notes, note{Text: "分母为 0 时比率记为“—”。"})
	t.Widths = []float64{14, 11, 11, 11, 11, 11, 11, 22}
	return t
}

// townshipIndicatorTable is 表4-2: 表4's rates per township, in 表1's
// order, with the county's as 合计.
func (d *Document) townshipIndicatorTable() table {
	r := d.Report
	head := []group{single("乡镇"), single("违法图斑（个）")}
	for _, in := range r.Indicators {
		head = append(head, group{in.Name, []string{"按个数", "按面积"}})
	}
	t := table{Sheet: "表4-2 分乡镇执法指标", Title: "表4-2 执法指标（分乡镇）", Unit: "单位：个、%", Frozen: 1, Groups: head}
	row := func(name string, ins []stats.Indicator) []cell {
		cs := []cell{txt(name), num(0)}
		if len(ins) > 0 {
			cs[1] = num(ins[0].DenN) // 发现率's denominator: 违法图斑
		}
		for _, in := range ins {
			cs = append(cs, rate(in.RateN), rate(in.RateM2))
		}
		return cs
	}
	for _, ti := range r.TownshipIndicators {
		t.Rows = append(t.Rows, row(ti.Township, ti.Indicators))
	}
	t.Totals = bold(row("合计", r.Indicators))
	t.Notes = []note{{Text: "各乡镇的分子、分母按表4的口径统计（按面积为监测面积）；分母为 0 时比率记为“—”。"}}
	t.Widths = autoWidths(&t, 14)
	return t
}

func (d *Document) assessTables() []table {
	a := &d.Report.Assessment
	items := stats.Items()
	head := []group{single("巡查区域"), single("巡查组"), single("等级"),
		{"频次与人员", []string{"巡查天数", "应巡查天数", "频次达标", "单人巡查（次）"}},
		{"图斑", []string{"巡查已发现", "应发现而未发现", "未巡查覆盖", "违法", "已制止", "已立案"}}}
	var scoreCols []string
	for _, it := range items {
		scoreCols = append(scoreCols, fmt.Sprintf("%d（%g）", it.No, it.Max))
	}
	head = append(head, group{"得分（项目：满分）", scoreCols}, single("总分"), single("等次"))
	row := func(u *stats.UnitScore, name string) []cell {
		f := u.Figures
		met := "是"
		if !f.FrequencyMet {
			met = "否"
		}
		cs := []cell{txt(name), txt(u.Team), txt(u.Grade), num(f.PatrolDays), num(f.RequiredDays), {V: met, Red: !f.FrequencyMet}, num(f.SoloPatrols),
			num(f.Found), {V: f.Missed, Red: f.Missed > 0}, num(f.Uncovered), num(f.Illegal), num(f.Stopped), num(f.Filed)}
		for _, it := range u.Items {
			cs = append(cs, cell{V: round(it.Score, 1), Dec: 1, Red: it.Score < it.Base})
		}
		cs = append(cs, cell{V: round(u.Total, 1), Dec: 1, Bold: true}, cell{V: u.Rating, Red: u.Rating == "不合格"})
		return cs
	}
	t := table{Sheet: "表5 巡查考核", Title: "表5 动态巡查考核（百分制）", Unit: "单位：天、次、个、分", Frozen: 1, Groups: head}
	for i := range a.Zones {
		t.Rows = append(t.Rows, row(&a.Zones[i], a.Zones[i].Zone))
	}
	for i := range a.Teams {
		r := row(&a.Teams[i], "巡查组合计")
		r[2] = txt("")
		t.Rows = append(t.Rows, bold(r))
	}
	cfg := a.Config
	var itemText []string
	for _, it := range items {
		s := fmt.Sprintf("%d.%s（%g分，%s）", it.No, it.Name, it.Max, it.Basis)
		if m, ok := cfg.Manual[it.No]; ok {
			s += fmt.Sprintf("人工评分%g分", m)
		}
		itemText = append(itemText, s)
	}
	t.Notes = []note{
		{Text: "考核依据：动态巡查工作考核百分制（第二十四条），八项分值10/10/10/10/25/15/10/10；各项扣分以该项分值为限；≥90分优秀，70–90分合格，<70分不合格。"},
		{Text: "项目：" + strings.Join(itemText, "；") + "。"},
		{Text: fmt.Sprintf("系统核算的扣分：巡查应发现而未发现每个扣%g分；制止率每低1个百分点扣%g分；未按期填报报告表每起扣%g分；台帐未登记报告日期每起扣%g分；一级（重点）区域覆盖率每低1个百分点扣%g分；二、三级区域频次未达标每月扣%g分；单人巡查每次扣%g分；立案率每低1个百分点扣%g分；法定期限（立案后%d日）内结案率低于%g%%的每低1个百分点扣%g分；巡查区未明确巡查组或责任人各扣%g分。",
			cfg.MissedDeduct, cfg.StopRatePerPoint, cfg.ReportDeduct, cfg.UndatedDeduct, cfg.CoveragePerPoint, cfg.FrequencyDeduct, cfg.SoloDeduct,
			cfg.FileRatePerPoint, cfg.CloseDays, cfg.CloseTarget*100, cfg.CloseRatePerPoint, cfg.ResponsibilityDeduct)},
		{Text: "人工评分项按配置的分值计入（未配置为满分），须由考核组据实核定。未巡查覆盖的图斑列出个数，不另扣分。"},
	}
	if d.Report.NoZone > 0 {
		t.Notes = append(t.Notes, note{Red: true, Text: fmt.Sprintf("统计期内有 %d 个纳入统计的图斑不在任何巡查区内，未计入巡查考核。", d.Report.NoZone)})
	}
	if a.Veto {
		t.Notes = append(t.Notes, note{Red: true, Text: "违法占用耕地面积比例达到15%：动态巡查目标考核一票否决，考核结果为不合格。"})
	}
	t.Widths = widths(len(t.leaves()), 14, 6.5)
	t.Widths[1], t.Widths[2], t.Widths[len(t.Widths)-1] = 12, 5, 7

	// The deductions, itemised.
	dt := table{Sheet: "表5附 扣分明细", Title: "表5附 巡查考核扣分明细", Unit: "单位：分", Frozen: 1,
		Groups: []group{single("巡查区域／巡查组"), single("项目"), single("计分方式"), single("起评分"), single("扣分"), single("扣分事由"), single("得分")}}
	units := append(append([]stats.UnitScore{}, a.Zones...), a.Teams...)
	for _, u := range units {
		name := u.Zone
		if name == "" {
			name = u.Team + "（合计）"
		}
		for _, it := range u.Items {
			var lost float64
			var why []string
			for _, dd := range it.Deductions {
				lost += dd.Points
				why = append(why, fmt.Sprintf("%s：扣%g分", dd.Reason, round(dd.Points, 1)))
			}
			reason := strings.Join(why, "；")
			if lost > it.Base {
				reason += fmt.Sprintf("（扣分以%g分为限）", it.Base)
			}
			dt.Rows = append(dt.Rows, []cell{txt(name), txt(fmt.Sprintf("%d.%s", it.No, it.Name)), txt(it.Basis), pts(it.Base),
				{V: round(math.Min(lost, it.Base), 1), Dec: 1, Red: lost > 0}, txt(reason), pts(it.Score)})
		}
	}
	dt.Widths = []float64{16, 30, 14, 8, 8, 80, 8}
	return []table{t, dt}
}

func (d *Document) listTable() table {
	t := table{Sheet: "表6 违法图斑清单", Title: "表6 违法图斑清单", Unit: "单位：亩", Frozen: 4,
		Groups: []group{single("序号"), single("乡镇"), single("监测批次"), single("监测编号"), single("变化类型"), single("违法类型"),
			single("面积（亩）"), single("耕地面积（亩）"), single("永久基本农田面积（亩）"), single("是否整改"), single("整改方式"), single("备注")}}
	var a, g, y float64
	rectified := 0
	for _, r := range d.Report.List {
		yes := "否"
		if r.Rectified {
			yes = "是"
			rectified++
		}
		t.Rows = append(t.Rows, []cell{num(r.No), txt(r.Township), txt(r.Batch), txt(r.JCBH), txt(r.TBLX), txt(r.WFLX),
			area(r.JCMJ), area(r.JCGDMJ), area(r.YJJBNTMJ), txt(yes), txt(r.Rectification), txt(r.Note)})
		a, g, y = a+r.JCMJ, g+r.JCGDMJ, y+r.YJJBNTMJ
	}
	t.Totals = bold([]cell{txt("合计"), txt(fmt.Sprintf("%d个", len(d.Report.List))), txt(""), txt(""), txt(""), txt(""),
		area(a), area(g), area(y), txt(fmt.Sprintf("已整改%d个", rectified)), txt(""), txt("")})
	t.Notes = []note{{Text: "面积为监测面积；是否整改以核查任务已办结并记录整改方式为准。"}}
	t.Widths = []float64{6, 12, 18, 20, 14, 10, 10, 10, 12, 8, 10, 50}
	return t
}
