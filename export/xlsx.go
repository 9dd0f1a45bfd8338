package export

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/weipian/weipian/internal/sheet"
)

// Sheet names of the workbook.
const (
	SheetTasks    = "核查任务"
	SheetNotes    = "说明"
	SheetEvidence = "举证照片"
)

// The drop-down lists of the columns teams fill in on site.
var (
	stateList   = []string{"待核查", "核查中", "已核查", "已制止", "已立案", "整改中", "已办结"}
	verdictList = []string{"合法", "违法", "伪变化", "设施农用地", "农村道路", "其他"}
)

// Picture cells: column width in characters and row height in points
// (about 200 × 200 px).
const (
	chipColWidth  = 28
	chipRowHeight = 150
)

// XLSX writes rows as an Excel workbook that WPS and Excel open on phones
// and PCs.
//
// Sheet 核查任务 has one row per 图斑 and a 巡查组 column, rather than one
// sheet per team: teams get their own file in their bundle (Bundle), and
// the office can sort, filter and total across teams in one table, which
// separate sheets prevent (sheet names are also limited to 31 characters).
// Columns: 序号, 监测编号, 行政区代码, 乡镇, 变化类型, 监测面积(亩), 监测面积(平方米),
// 耕地面积(亩), 永久基本农田面积(亩), 中心经度, 中心纬度, 前时相, 后时相, 初判结果,
// 巡查区, 巡查组, 责任人, 联系电话, 优先级, 优先等级, 优先原因, 核查期限, 逾期, 状态,
// 核查结论, 举证照片数, and 前时相影像/后时相影像 when any row has chips
// (pictures fitted in the cell). The header row and the first two columns are frozen, the
// header has a filter, areas show two decimals and coordinates six, the
// priority cell is coloured by level (red/orange/yellow), overdue deadlines
// are red, and 状态 and 核查结论 offer drop-down lists. Pages print
// landscape, one page wide, with the header repeated. When any row has
// field photos, sheet 举证照片 lists them, one per line: 监测编号, 照片名称,
// 拍摄时间, 经度, 纬度, 拍摄方向(度), 距图斑(米), 检查结果, 问题标记, 添加人,
// 添加时间, SHA-256, and in a Bundle 文件 (a link to the photo in the
// archive). Sheet 说明 explains the colours and units.
//
// Text cells that a spreadsheet would run as a formula (starting with =,
// +, -, @, a tab or a line break) are written with a leading ' (see
// internal/sheet); numbers are numbers.
func XLSX(w io.Writer, rows []Row, opts ...Option) error {
	rows, o, err := prepare(rows, opts)
	if err != nil {
		return err
	}
	f, err := workbook(rows, o)
	if err != nil {
		_ = f.Close()
		return err
	}
	// excelize adds the image content types from a map, in random order:
	// sort them so that the bytes are deterministic.
	if ct := f.ContentTypes; ct != nil {
		sort.SliceStable(ct.Defaults, func(i, j int) bool { return ct.Defaults[i].Extension < ct.Defaults[j].Extension })
	}
	if _, err := f.WriteTo(w); err != nil {
		_ = f.Close()
		return fmt.Errorf("export: write xlsx: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("export: close xlsx: %w", err)
	}
	return nil
}

// xlsxStyles are the style IDs of the workbook.
type xlsxStyles struct {
	header, text, int, mu, m2, deg, overdue int
	level                                   [4]int // by Level
}

func newStyles(f *excelize.File) (*xlsxStyles, error) {
	border := []excelize.Border{
		{Type: "left", Color: "BFBFBF", Style: 1}, {Type: "right", Color: "BFBFBF", Style: 1},
		{Type: "top", Color: "BFBFBF", Style: 1}, {Type: "bottom", Color: "BFBFBF", Style: 1},
	}
	mid := &excelize.Alignment{Vertical: "center"}
	str := func(s string) *string { return &s }
	var s xlsxStyles
	for _, def := range []struct {
		id *int
		st excelize.Style
	}{
		{&s.header, excelize.Style{Border: border, Font: &excelize.Font{Bold: true},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&s.text, excelize.Style{Border: border, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}}},
		{&s.int, excelize.Style{Border: border, Alignment: mid, NumFmt: 1}},
		{&s.mu, excelize.Style{Border: border, Alignment: mid, NumFmt: 2}},
		{&s.m2, excelize.Style{Border: border, Alignment: mid, NumFmt: 4}}, // #,##0.00
		{&s.deg, excelize.Style{Border: border, Alignment: mid, CustomNumFmt: str("0.000000")}},
		{&s.overdue, excelize.Style{Border: border, Alignment: mid, Font: &excelize.Font{Bold: true, Color: "C00000"}}},
		{&s.level[LevelHigh], excelize.Style{Border: border, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}}},
		{&s.level[LevelMedium], excelize.Style{Border: border, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFDCB4"}}}},
		{&s.level[LevelLow], excelize.Style{Border: border, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF2AB"}}}},
	} {
		id, err := f.NewStyle(&def.st)
		if err != nil {
			return nil, fmt.Errorf("export: xlsx style: %w", err)
		}
		*def.id = id
	}
	return &s, nil
}

func workbook(rows []Row, o *options) (*excelize.File, error) {
	f := excelize.NewFile()
	stamp := o.stamp().Format("2006-01-02T15:04:05Z")
	if err := f.SetDocProps(&excelize.DocProperties{
		Created: stamp, Modified: stamp, Creator: "weipian", LastModifiedBy: "weipian",
		Title: o.title, Language: "zh-CN",
	}); err != nil {
		return f, fmt.Errorf("export: xlsx properties: %w", err)
	}
	if err := f.SetSheetName("Sheet1", SheetTasks); err != nil {
		return f, fmt.Errorf("export: xlsx sheet: %w", err)
	}
	st, err := newStyles(f)
	if err != nil {
		return f, err
	}
	chips := false
	for i := range rows {
		if len(rows[i].ChipBefore) > 0 || len(rows[i].ChipAfter) > 0 {
			chips = true
		}
	}
	heads := []string{"序号"}
	widths := []float64{6}
	for _, c := range columns {
		heads = append(heads, c.head)
		widths = append(widths, c.width)
	}
	if chips {
		heads = append(heads, "前时相影像", "后时相影像")
		widths = append(widths, chipColWidth, chipColWidth)
	}
	const sh = SheetTasks
	set := func(col, row int, v any, style int) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		if v != nil {
			if err := f.SetCellValue(sh, cell, sheet.SafeValue(v)); err != nil {
				return err
			}
		}
		return f.SetCellStyle(sh, cell, cell, style)
	}
	for i, h := range heads {
		if err := set(i+1, 1, h, st.header); err != nil {
			return f, fmt.Errorf("export: xlsx header: %w", err)
		}
		name, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sh, name, name, widths[i]); err != nil {
			return f, fmt.Errorf("export: xlsx column width: %w", err)
		}
	}
	if err := f.SetRowHeight(sh, 1, 30); err != nil {
		return f, fmt.Errorf("export: xlsx row height: %w", err)
	}
	colOf := map[string]int{}
	for i, h := range heads {
		colOf[h] = i + 1
	}
	for i := range rows {
		r := &rows[i]
		y := i + 2
		if err := set(1, y, i+1, st.int); err != nil {
			return f, fmt.Errorf("export: xlsx row %d: %w", i+1, err)
		}
		for k := range columns {
			c := &columns[k]
			style := st.text
			switch c.kind {
			case kInt, kCount:
				style = st.int
			case kMu:
				style = st.mu
			case kM2:
				style = st.m2
			case kDeg:
				style = st.deg
			}
			switch {
			case c.head == "优先级" || c.head == "优先等级":
				style = st.level[r.Level()]
			case (c.head == "核查期限" || c.head == "逾期") && o.overdue(r):
				style = st.overdue
			}
			if err := set(k+2, y, c.value(r, o), style); err != nil {
				return f, fmt.Errorf("export: xlsx row %d %s: %w", i+1, c.head, err)
			}
		}
		if !chips {
			continue
		}
		if err := f.SetRowHeight(sh, y, chipRowHeight); err != nil {
			return f, fmt.Errorf("export: xlsx row height: %w", err)
		}
		for j, c := range []struct {
			png  []byte
			name string
		}{{r.ChipBefore, ChipName(r.JCBH, false)}, {r.ChipAfter, ChipName(r.JCBH, true)}} {
			col := colOf["前时相影像"] + j
			if err := set(col, y, nil, st.text); err != nil {
				return f, fmt.Errorf("export: xlsx row %d: %w", i+1, err)
			}
			if len(c.png) == 0 {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(col, y)
			if err := f.AddPictureFromBytes(sh, cell, &excelize.Picture{
				Extension: ".png", File: c.png, InsertType: excelize.PictureInsertTypePlaceOverCells,
				Format: &excelize.GraphicOptions{AltText: c.name, Name: c.name, AutoFit: true, LockAspectRatio: true, Positioning: "oneCell"},
			}); err != nil {
				return f, fmt.Errorf("export: xlsx picture %s: %w", c.name, err)
			}
		}
	}
	last, _ := excelize.ColumnNumberToName(len(heads))
	if err := f.AutoFilter(sh, fmt.Sprintf("A1:%s%d", last, max(len(rows)+1, 2)), nil); err != nil {
		return f, fmt.Errorf("export: xlsx filter: %w", err)
	}
	if err := f.SetPanes(sh, &excelize.Panes{Freeze: true, XSplit: 2, YSplit: 1, TopLeftCell: "C2", ActivePane: "bottomRight",
		Selection: []excelize.Selection{{SQRef: "C2", ActiveCell: "C2", Pane: "bottomRight"}}}); err != nil {
		return f, fmt.Errorf("export: xlsx panes: %w", err)
	}
	if len(rows) > 0 {
		for _, l := range []struct {
			head string
			list []string
		}{{"状态", stateList}, {"核查结论", verdictList}} {
			head, list := l.head, l.list
			col, _ := excelize.ColumnNumberToName(colOf[head])
			dv := excelize.NewDataValidation(true)
			dv.SetSqref(fmt.Sprintf("%s2:%s%d", col, col, len(rows)+1))
			if err := dv.SetDropList(list); err != nil {
				return f, fmt.Errorf("export: xlsx list %s: %w", head, err)
			}
			if err := f.AddDataValidation(sh, dv); err != nil {
				return f, fmt.Errorf("export: xlsx list %s: %w", head, err)
			}
		}
	}
	if err := printSetup(f, sh); err != nil {
		return f, err
	}
	if err := evidenceSheet(f, rows, o, st); err != nil {
		return f, err
	}
	if err := notesSheet(f, rows, o); err != nil {
		return f, err
	}
	return f, nil
}

// evidenceSheet lists the field photos of rows, if any.
func evidenceSheet(f *excelize.File, rows []Row, o *options, st *xlsxStyles) error {
	n := 0
	for i := range rows {
		n += len(rows[i].Evidence)
	}
	if n == 0 {
		return nil
	}
	const sh = SheetEvidence
	if _, err := f.NewSheet(sh); err != nil {
		return fmt.Errorf("export: xlsx sheet: %w", err)
	}
	heads := []string{"序号", "监测编号", "照片名称", "拍摄时间", "经度", "纬度", "拍摄方向(度)", "距图斑(米)", "检查结果", "问题标记", "添加人", "添加时间", "SHA-256"}
	widths := []float64{6, 20, 22, 19, 12, 11, 9, 9, 30, 24, 10, 19, 66}
	if o.bundle {
		heads = append(heads, "文件")
		widths = append(widths, 40)
	}
	set := func(col, row int, v any, style int) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		if v != nil {
			if err := f.SetCellValue(sh, cell, sheet.SafeValue(v)); err != nil {
				return err
			}
		}
		return f.SetCellStyle(sh, cell, cell, style)
	}
	for i, h := range heads {
		if err := set(i+1, 1, h, st.header); err != nil {
			return fmt.Errorf("export: xlsx evidence header: %w", err)
		}
		name, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sh, name, name, widths[i]); err != nil {
			return fmt.Errorf("export: xlsx column width: %w", err)
		}
	}
	y := 1
	for i := range rows {
		r := &rows[i]
		files := photoFiles(r)
		for k := range r.Evidence {
			p := &r.Evidence[k]
			y++
			var lon, lat, dist, dir any
			if p.HasGPS {
				lon, lat, dist = round(p.Lon, 1e6), round(p.Lat, 1e6), round(p.DistanceM, 10)
			}
			if p.HasDirection {
				dir = round(p.DirectionDeg, 10)
			}
			vals := []struct {
				v     any
				style int
			}{
				{y - 1, st.int}, {r.JCBH, st.text}, {p.Name, st.text}, {timeText(p.TakenAt), st.text},
				{lon, st.deg}, {lat, st.deg}, {dir, st.int}, {dist, st.int},
				{p.summary(), st.text}, {p.flagLabels(), st.text}, {p.AddedBy, st.text}, {timeText(p.AddedAt), st.text}, {p.SHA256, st.text},
			}
			if o.bundle {
				vals = append(vals, struct {
					v     any
					style int
				}{files[k], st.text})
			}
			for c, v := range vals {
				if err := set(c+1, y, v.v, v.style); err != nil {
					return fmt.Errorf("export: xlsx evidence row %d: %w", y-1, err)
				}
			}
			if o.bundle && files[k] != "" {
				cell, _ := excelize.CoordinatesToCellName(len(heads), y)
				if err := f.SetCellHyperLink(sh, cell, files[k], "External"); err != nil {
					return fmt.Errorf("export: xlsx evidence link: %w", err)
				}
			}
		}
	}
	last, _ := excelize.ColumnNumberToName(len(heads))
	if err := f.AutoFilter(sh, fmt.Sprintf("A1:%s%d", last, y), nil); err != nil {
		return fmt.Errorf("export: xlsx evidence filter: %w", err)
	}
	if err := f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return fmt.Errorf("export: xlsx evidence panes: %w", err)
	}
	return nil
}

func printSetup(f *excelize.File, sh string) error {
	landscape, one, zero, fit := "landscape", 1, 0, true
	if err := f.SetSheetProps(sh, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return fmt.Errorf("export: xlsx sheet properties: %w", err)
	}
	if err := f.SetPageLayout(sh, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &one, FitToHeight: &zero}); err != nil {
		return fmt.Errorf("export: xlsx page layout: %w", err)
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sh + "'!$1:$1", Scope: sh}); err != nil {
		return fmt.Errorf("export: xlsx print titles: %w", err)
	}
	return nil
}

// notesSheet writes the legend.
func notesSheet(f *excelize.File, rows []Row, o *options) error {
	if _, err := f.NewSheet(SheetNotes); err != nil {
		return fmt.Errorf("export: xlsx sheet: %w", err)
	}
	lines := [][2]string{
		{"标题", o.title},
		{"图斑数", fmt.Sprint(len(rows))},
		{"导出日期", o.date},
		{"面积单位", "亩，保留两位小数；1亩 = 10000/15 ≈ 666.667平方米"},
		{"坐标", "WGS84经纬度（度）"},
		{"优先级", "数字越小越优先；优先等级：高 = 占用永久基本农田（红），中 = 占用耕地（橙），低 = 其他（黄）"},
		{"逾期", "状态为待核查或核查中、核查期限早于导出日期的任务，期限以红字标出"},
		{"状态", "可选：" + strings.Join(stateList, "、")},
		{"核查结论", "可选：" + strings.Join(verdictList, "、")},
		{"举证照片", "举证照片数为该图斑的现场照片张数；照片明细见工作表“举证照片”，检查结果“合格”表示照片有定位、方向和时间且在图斑附近"},
		{"公式", "以 =、+、-、@ 开头的文字前加了单引号，防止被当作公式执行"},
	}
	for i, l := range lines {
		if err := f.SetSheetRow(SheetNotes, fmt.Sprintf("A%d", i+1), &[]any{l[0], sheet.Safe(l[1])}); err != nil {
			return fmt.Errorf("export: xlsx notes: %w", err)
		}
	}
	if err := f.SetColWidth(SheetNotes, "A", "A", 12); err != nil {
		return fmt.Errorf("export: xlsx notes: %w", err)
	}
	if err := f.SetColWidth(SheetNotes, "B", "B", 80); err != nil {
		return fmt.Errorf("export: xlsx notes: %w", err)
	}
	return nil
}
