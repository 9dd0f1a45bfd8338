// Package report writes the reconciliation results of pipeline/reconcile
// for the enforcement office: the per-图斑 table (XLSX with Chinese headers,
// and GeoJSON for GIS) and the per-zone table (XLSX).
//
// Output is deterministic: identical input gives identical bytes (fixed
// document dates, sorted rows, rounded numbers, no wall-clock metadata).
// Dates are written as text (2026-05-03) in the configured location.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/xuri/excelize/v2"

	"github.com/weipian/weipian/internal/sheet"
	"github.com/weipian/weipian/pipeline/crs"
	"github.com/weipian/weipian/pipeline/reconcile"
)

// fixedDate is written as the workbook's creation and modification date so
// that the bytes do not depend on the clock.
const fixedDate = "2000-01-01T00:00:00Z"

type options struct {
	loc    *time.Location
	title  string
	crs    crs.CRS
	crsSet bool
	info   map[string]PatchInfo
}

// PatchInfo is what the per-图斑 sheet shows of a 图斑 beyond its
// reconciliation: its patrol zone's name, township and areas (m²).
type PatchInfo struct {
	Zone, Township         string
	JCMJ, JCGDMJ, YJJBNTMJ float64
}

// WithPatchInfo gives the zone name, township and areas of each 图斑, by
// reconcile.Patch.ID (without it the zone column shows the zone's ID and
// the areas are blank).
func WithPatchInfo(info map[string]PatchInfo) Option { return func(o *options) { o.info = info } }

// Option changes a writer setting.
type Option func(*options)

// WithLocation sets the time zone dates are written in (default UTC+8).
func WithLocation(loc *time.Location) Option { return func(o *options) { o.loc = loc } }

// WithTitle sets a title row above the table (default none).
func WithTitle(s string) Option { return func(o *options) { o.title = s } }

// WithCRS writes the coordinates of PatchesGeoJSON in c (see pipeline/crs):
// CGCS2000 (EPSG:4490), a 3-degree Gauss-Krüger zone (crs.GK: the zone of
// the patches' centroid; CGCS2000 when there are none), or WGS84. Outside WGS84 the file names its CRS in
// a "crs" member, as GDAL writes a GeoJSON layer in another CRS. Default:
// WGS84 (RFC 7946, no "crs" member), as before.
func WithCRS(c crs.CRS) Option { return func(o *options) { o.crs, o.crsSet = c, true } }

func newOptions(opts []Option) *options {
	o := &options{loc: reconcile.ChinaTime()}
	for _, f := range opts {
		f(o)
	}
	return o
}

func (o *options) date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(o.loc).Format("2006-01-02")
}

func (o *options) stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(o.loc).Format("2006-01-02 15:04")
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// PatchColumns are the headers of the per-图斑 table. Areas are in 亩,
// distances in metres; the 巡查区域 is the zone's name.
func PatchColumns() []string {
	return []string{
		"监测编号", "乡镇", "巡查区域", "监测面积(亩)", "耕地面积(亩)", "永久基本农田面积(亩)", "疑似违法", "前时相", "后时相", "研判日期",
		"核查结论", "发现日期", "台帐行", "匹配方式", "发现距离(米)",
		"最近巡查时间", "最近距离(米)", "最近巡查来源", "最近巡查队伍", "最后巡查时间",
		"视距内巡查次数(次)", "窗口内区域台帐数(条)", "图斑标识",
	}
}

// Column positions of PatchColumns used below.
const (
	pcOutcome = 10
	pcFound   = 11
	pcClosest = 15
	pcLatest  = 19
)

func mu(m2 float64) float64 { return math.Round(m2/(10000.0/15)*100) / 100 }

func (o *options) patchRow(r *reconcile.PatchResult) []any {
	in, ok := o.info[r.Patch.ID]
	zone := r.ZoneID
	if ok && in.Zone != "" {
		zone = in.Zone
	}
	var a1, a2, a3 any = "", "", ""
	if ok {
		a1, a2, a3 = mu(in.JCMJ), mu(in.JCGDMJ), mu(in.YJJBNTMJ)
	}
	row := []any{
		r.Patch.JCBH, in.Township, zone, a1, a2, a3, yesNo(r.Patch.Suspected), o.date(r.Patch.QSX), o.date(r.Patch.HSX), o.date(r.FlaggedAt),
		r.Outcome.Label(), "", "", "", "",
		"", "", "", "", "",
		r.Passes, r.ZoneEntries, r.Patch.ID,
	}
	if f := r.Found; f != nil {
		row[pcFound], row[pcFound+1], row[pcFound+2] = o.date(f.Date), f.Ref, f.Match.Label()
		if f.DistanceM >= 0 {
			row[pcFound+3] = f.DistanceM
		}
	}
	if c := r.Closest; c != nil {
		row[pcClosest], row[pcClosest+1], row[pcClosest+2], row[pcClosest+3] = o.stamp(c.Time), c.DistanceM, c.Source.Label()+" "+c.Ref, c.Team
	}
	if l := r.Latest; l != nil {
		row[pcLatest] = o.stamp(l.Time)
	}
	return row
}

// patchTotals is the 合计 row of the per-图斑 table.
func (o *options) patchTotals(results []reconcile.PatchResult) []any {
	var j, g, y float64
	suspected := 0
	outcomes := map[reconcile.Outcome]int{}
	for i := range results {
		in := o.info[results[i].Patch.ID]
		j, g, y = j+in.JCMJ, g+in.JCGDMJ, y+in.YJJBNTMJ
		if results[i].Patch.Suspected {
			suspected++
		}
		outcomes[results[i].Outcome]++
	}
	row := make([]any, len(PatchColumns()))
	for i := range row {
		row[i] = ""
	}
	row[0], row[1] = "合计", fmt.Sprintf("%d个图斑", len(results))
	if o.info != nil {
		row[3], row[4], row[5] = mu(j), mu(g), mu(y)
	}
	row[6] = fmt.Sprintf("疑似违法%d个", suspected)
	row[pcOutcome] = fmt.Sprintf("巡查已发现%d；巡查应发现而未发现%d；未巡查覆盖%d",
		outcomes[reconcile.FoundByPatrol], outcomes[reconcile.ShouldHaveFound], outcomes[reconcile.NotCovered])
	return row
}

// newBook returns a workbook with fixed document properties.
func newBook() (*excelize.File, error) {
	f := excelize.NewFile()
	err := f.SetDocProps(&excelize.DocProperties{
		Created: fixedDate, Modified: fixedDate, Creator: "weipian", LastModifiedBy: "weipian",
		Title: "", Language: "zh-CN",
	})
	if err != nil {
		return nil, fmt.Errorf("report: set document properties: %w", err)
	}
	return f, nil
}

// writeSheet writes a title (optional), a bold header and rows to sheet sh.
func writeSheet(f *excelize.File, sh, title string, header []string, rows [][]any) error {
	r := 1
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Horizontal: "center", WrapText: true}})
	if err != nil {
		return fmt.Errorf("report: style: %w", err)
	}
	if title != "" {
		if err := f.SetCellStr(sh, "A1", sheet.Safe(title)); err != nil {
			return fmt.Errorf("report: title: %w", err)
		}
		end, _ := excelize.CoordinatesToCellName(len(header), 1)
		if err := f.MergeCell(sh, "A1", end); err != nil {
			return fmt.Errorf("report: merge title: %w", err)
		}
		if err := f.SetCellStyle(sh, "A1", end, bold); err != nil {
			return fmt.Errorf("report: title style: %w", err)
		}
		r++
	}
	hdr := make([]any, len(header))
	for i, h := range header {
		hdr[i] = h
	}
	cell, _ := excelize.CoordinatesToCellName(1, r)
	if err := f.SetSheetRow(sh, cell, &hdr); err != nil {
		return fmt.Errorf("report: header: %w", err)
	}
	end, _ := excelize.CoordinatesToCellName(len(header), r)
	if err := f.SetCellStyle(sh, cell, end, bold); err != nil {
		return fmt.Errorf("report: header style: %w", err)
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, r+1+i)
		row = safeRow(row)
		if err := f.SetSheetRow(sh, cell, &row); err != nil {
			return fmt.Errorf("report: row %d: %w", i+1, err)
		}
	}
	lastCol, _ := excelize.ColumnNumberToName(len(header))
	if err := f.SetColWidth(sh, "A", lastCol, 14); err != nil {
		return fmt.Errorf("report: column width: %w", err)
	}
	return nil
}

// safeRow returns a copy of row with its text cells escaped against formula
// injection (sheet.Safe); numbers stay numbers.
func safeRow(row []any) []any {
	out := make([]any, len(row))
	for i, v := range row {
		out[i] = sheet.SafeValue(v)
	}
	return out
}

func finish(f *excelize.File, w io.Writer) error {
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("report: write xlsx: %w", err)
	}
	return f.Close()
}

// PatchesXLSX writes the per-图斑 table (sheet 图斑核查) in the order given
// (reconcile.Run sorts by JCBH).
func PatchesXLSX(w io.Writer, results []reconcile.PatchResult, opts ...Option) error {
	o := newOptions(opts)
	f, err := newBook()
	if err != nil {
		return err
	}
	const sheet = "图斑核查"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("report: rename sheet: %w", err)
	}
	rows := make([][]any, len(results), len(results)+1)
	for i := range results {
		rows[i] = o.patchRow(&results[i])
	}
	rows = append(rows, o.patchTotals(results))
	if err := writeSheet(f, sheet, o.title, PatchColumns(), rows); err != nil {
		return err
	}
	return finish(f, w)
}

// PatchesGeoJSON writes the per-图斑 table as a GeoJSON FeatureCollection of
// the patch polygons (coordinates rounded to 1e-7°, or to 1 mm in a
// Gauss-Krüger zone: see WithCRS) with the properties
// JCBH (监测编号), TBID (图斑标识), XCQY (巡查区域 name), JCMJ, JCGDMJ and
// YJJBNTMJ (亩, null without WithPatchInfo), YSWF (疑似违法, 0/1), QSX,
// HSX, XFRQ (研判日期), HCJL (核查结论), HCJLDM (its code), FXRQ (发现日期),
// TZH (台帐行), PPFS (匹配方式), ZJXCSJ (最近巡查时间), ZJJL (最近距离, m),
// ZJLY (最近巡查来源), ZHXCSJ (最后巡查时间) and XCCS (视距内巡查次数).
func PatchesGeoJSON(w io.Writer, results []reconcile.PatchResult, opts ...Option) error {
	o := newOptions(opts)
	c, err := o.outputCRS(results)
	if err != nil {
		return err
	}
	fc := geojson.NewFeatureCollection()
	if !c.IsWGS84() {
		fc.ExtraMembers = geojson.Properties{"crs": map[string]any{"type": "name", "properties": map[string]any{"name": c.URN()}}}
	}
	for i := range results {
		r := &results[i]
		var g orb.Geometry = r.Patch.Geometry
		if len(r.Patch.Geometry) == 0 {
			g = r.Patch.Centroid
		}
		pg, err := c.Project(g)
		if err != nil {
			return fmt.Errorf("report: %s: %w", r.Patch.JCBH, err)
		}
		ft := geojson.NewFeature(orb.Round(pg, int(math.Pow10(c.Decimals()))))
		p := ft.Properties
		zone := r.ZoneID
		in, ok := o.info[r.Patch.ID]
		if ok && in.Zone != "" {
			zone = in.Zone
		}
		p["JCBH"], p["TBID"], p["XCQY"] = r.Patch.JCBH, r.Patch.ID, zone
		p["JCMJ"], p["JCGDMJ"], p["YJJBNTMJ"] = nil, nil, nil
		if ok {
			p["JCMJ"], p["JCGDMJ"], p["YJJBNTMJ"] = mu(in.JCMJ), mu(in.JCGDMJ), mu(in.YJJBNTMJ)
		}
		p["YSWF"] = map[bool]int{false: 0, true: 1}[r.Patch.Suspected]
		p["QSX"], p["HSX"], p["XFRQ"] = o.date(r.Patch.QSX), o.date(r.Patch.HSX), o.date(r.FlaggedAt)
		p["HCJL"], p["HCJLDM"] = r.Outcome.Label(), r.Outcome.String()
		p["FXRQ"], p["TZH"], p["PPFS"] = "", "", ""
		if r.Found != nil {
			p["FXRQ"], p["TZH"], p["PPFS"] = o.date(r.Found.Date), r.Found.Ref, r.Found.Match.Label()
		}
		p["ZJXCSJ"], p["ZJJL"], p["ZJLY"], p["ZHXCSJ"] = "", nil, "", ""
		if r.Closest != nil {
			p["ZJXCSJ"], p["ZJJL"], p["ZJLY"] = o.stamp(r.Closest.Time), r.Closest.DistanceM, r.Closest.Source.Label()+" "+r.Closest.Ref
		}
		if r.Latest != nil {
			p["ZHXCSJ"] = o.stamp(r.Latest.Time)
		}
		p["XCCS"] = r.Passes
		fc.Append(ft)
	}
	b, err := json.Marshal(fc)
	if err != nil {
		return fmt.Errorf("report: encode geojson: %w", err)
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("report: write geojson: %w", err)
	}
	return nil
}

// outputCRS returns the CRS to write results in: WGS84 unless WithCRS,
// GK resolved to the zone of the patches.
func (o *options) outputCRS(results []reconcile.PatchResult) (crs.CRS, error) {
	if !o.crsSet {
		return crs.WGS84, nil
	}
	var gs []orb.Geometry
	for i := range results {
		if p := results[i].Patch; len(p.Geometry) > 0 {
			gs = append(gs, p.Geometry)
		} else {
			gs = append(gs, p.Centroid)
		}
	}
	if len(gs) == 0 {
		return crs.CGCS2000, nil // no data, no zone: an empty layer in CGCS2000
	}
	c, err := o.crs.Resolve(gs...)
	if err != nil {
		return c, fmt.Errorf("report: %w", err)
	}
	return c, nil
}

// ZoneColumns are the headers of the per-zone table, with their units.
func ZoneColumns() []string {
	return []string{
		"巡查区域", "等级", "责任队伍", "统计期", "频次要求",
		"应巡查天数(天)", "巡查天数(天)", "台帐条数(条)", "巡查次数(次)", "最长未巡查(天)", "间隔超标(次)", "频次达标",
		"单人巡查(次)", "轨迹天数(天)", "台帐无轨迹(天)",
		"图斑数(个)", "疑似违法图斑(个)", "巡查已发现(个)", "巡查应发现而未发现(个)", "未巡查覆盖(个)", "发现率(%)",
		"发现违法(起)", "制止超期(起)", "制止未记录(起)", "制止无效(起)", "报告超期(起)", "报告未记录(起)", "报告无日期(起)",
	}
}

func percent(num, den int) any {
	if den == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", math.Round(float64(num)*1000/float64(den))/10)
}

// RequirementText describes a requirement in Chinese, e.g.
// "每2天至少1次；每月≥5次".
func RequirementText(r reconcile.Requirement) string {
	var parts []string
	if r.EveryDays > 0 {
		if r.EveryDays == 7 {
			parts = append(parts, "每周至少1次")
		} else {
			parts = append(parts, fmt.Sprintf("每%d天至少1次", r.EveryDays))
		}
	}
	if r.MinPerWeek > 0 {
		parts = append(parts, fmt.Sprintf("每周≥%d次", r.MinPerWeek))
	}
	if r.MinPerMonth > 0 {
		parts = append(parts, fmt.Sprintf("每月≥%d次", r.MinPerMonth))
	}
	if len(parts) == 0 {
		return "无"
	}
	return strings.Join(parts, "；")
}

// LateColumns are the headers of the overdue list.
func LateColumns() []string {
	return []string{"巡查区域", "台帐行", "发现日期", "制止期限", "制止日期", "制止", "报告期限", "报告日期", "报告", "制止无效"}
}

// ZonesXLSX writes the per-zone table (sheet 区域巡查) with a 合计 row, and
// the overdue stops and reports (sheet 超期明细).
func ZonesXLSX(w io.Writer, zones []reconcile.ZoneResult, opts ...Option) error {
	o := newOptions(opts)
	f, err := newBook()
	if err != nil {
		return err
	}
	const sheet, lateSheet = "区域巡查", "超期明细"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("report: rename sheet: %w", err)
	}
	if _, err := f.NewSheet(lateSheet); err != nil {
		return fmt.Errorf("report: new sheet: %w", err)
	}
	rows := make([][]any, 0, len(zones)+1)
	var late [][]any
	var t reconcile.ZoneResult
	met := 0
	for _, z := range zones {
		rows = append(rows, []any{
			z.Name, z.Grade.Label(), z.Team, z.Period.String(), RequirementText(z.Requirement),
			z.RequiredDays, z.PatrolDays, z.Entries, z.Patrols, z.LongestGapDays, z.GapBreaches, yesNo(z.FrequencyMet),
			z.SoloPatrols, z.TrackDays, z.LedgerDaysWithoutTrack,
			z.Patches, z.Suspected, z.Found, z.ShouldHaveFound, z.NotCovered, percent(z.Found, z.Suspected),
			z.Violations, z.StopLate, z.StopMissing, z.StopIneffective, z.ReportLate, z.ReportMissing, z.ReportUndated,
		})
		if z.FrequencyMet {
			met++
		}
		t.RequiredDays += z.RequiredDays
		t.PatrolDays += z.PatrolDays
		t.Entries += z.Entries
		t.Patrols += z.Patrols
		t.LongestGapDays = max(t.LongestGapDays, z.LongestGapDays)
		t.GapBreaches += z.GapBreaches
		t.SoloPatrols += z.SoloPatrols
		t.TrackDays += z.TrackDays
		t.LedgerDaysWithoutTrack += z.LedgerDaysWithoutTrack
		t.Patches += z.Patches
		t.Suspected += z.Suspected
		t.Found += z.Found
		t.ShouldHaveFound += z.ShouldHaveFound
		t.NotCovered += z.NotCovered
		t.Violations += z.Violations
		t.StopLate += z.StopLate
		t.StopMissing += z.StopMissing
		t.StopIneffective += z.StopIneffective
		t.ReportLate += z.ReportLate
		t.ReportMissing += z.ReportMissing
		t.ReportUndated += z.ReportUndated
		for _, c := range z.Late {
			late = append(late, []any{
				z.Name, c.Ref, o.date(c.Found), o.date(c.StopDue), o.date(c.StopDate), c.Stop.Label(),
				o.date(c.ReportDue), o.date(c.ReportDate), c.Report.Label(), yesNo(c.StopIneffective),
			})
		}
	}
	period := ""
	if len(zones) > 0 {
		period = zones[0].Period.String()
	}
	rows = append(rows, []any{
		"合计", fmt.Sprintf("%d个区域", len(zones)), "", period, "",
		t.RequiredDays, t.PatrolDays, t.Entries, t.Patrols, t.LongestGapDays, t.GapBreaches, fmt.Sprintf("%d/%d达标", met, len(zones)),
		t.SoloPatrols, t.TrackDays, t.LedgerDaysWithoutTrack,
		t.Patches, t.Suspected, t.Found, t.ShouldHaveFound, t.NotCovered, percent(t.Found, t.Suspected),
		t.Violations, t.StopLate, t.StopMissing, t.StopIneffective, t.ReportLate, t.ReportMissing, t.ReportUndated,
	})
	if err := writeSheet(f, sheet, o.title, ZoneColumns(), rows); err != nil {
		return err
	}
	if err := writeSheet(f, lateSheet, "", LateColumns(), late); err != nil {
		return err
	}
	return finish(f, w)
}
