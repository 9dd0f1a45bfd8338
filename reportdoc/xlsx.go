package reportdoc

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/weipian/weipian/internal/sheet"
)

// fixedDate is the workbook's creation and modification date, so that the
// bytes do not depend on the clock.
const fixedDate = "2000-01-01T00:00:00Z"

type styles struct {
	title, sub, head, text, num0, num1, num2, red, redNum0, redNum1, redNum2, bold, boldNum0, boldNum1, boldNum2, note, noteRed int
}

func newStyles(f *excelize.File) (styles, error) {
	var s styles
	border := []excelize.Border{{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1}}
	font := func(bold bool, red bool, size float64) *excelize.Font {
		ft := &excelize.Font{Family: "宋体", Size: size, Bold: bold}
		if red {
			ft.Color = "C00000"
		}
		return ft
	}
	mk := func(st *excelize.Style) int {
		id, err := f.NewStyle(st)
		if err != nil {
			panic(err) // styles are constants: a failure is a programming error
		}
		return id
	}
	center := &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}
	left := &excelize.Alignment{Horizontal: "left", Vertical: "center", WrapText: true}
	right := &excelize.Alignment{Horizontal: "right", Vertical: "center"}
	numFmt := []string{"0", "0.0", "0.00"}
	s.title = mk(&excelize.Style{Font: font(true, false, 16), Alignment: center})
	s.sub = mk(&excelize.Style{Font: font(false, false, 10), Alignment: left})
	s.head = mk(&excelize.Style{Font: font(true, false, 10), Alignment: center, Border: border,
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E7EEF6"}}})
	s.text = mk(&excelize.Style{Font: font(false, false, 10), Alignment: left, Border: border})
	s.red = mk(&excelize.Style{Font: font(false, true, 10), Alignment: left, Border: border})
	s.bold = mk(&excelize.Style{Font: font(true, false, 10), Alignment: left, Border: border})
	nums := func(bold, red bool) [3]int {
		var out [3]int
		for i, fm := range numFmt {
			fm := fm
			out[i] = mk(&excelize.Style{Font: font(bold, red, 10), Alignment: right, Border: border, CustomNumFmt: &fm})
		}
		return out
	}
	n := nums(false, false)
	s.num0, s.num1, s.num2 = n[0], n[1], n[2]
	n = nums(false, true)
	s.redNum0, s.redNum1, s.redNum2 = n[0], n[1], n[2]
	n = nums(true, false)
	s.boldNum0, s.boldNum1, s.boldNum2 = n[0], n[1], n[2]
	s.note = mk(&excelize.Style{Font: font(false, false, 9), Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "top", WrapText: true}})
	s.noteRed = mk(&excelize.Style{Font: font(true, true, 9), Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "top", WrapText: true}})
	return s, nil
}

func (s *styles) of(c cell) int {
	if _, isText := c.V.(string); isText {
		switch {
		case c.Red:
			return s.red
		case c.Bold:
			return s.bold
		}
		return s.text
	}
	i := min(max(c.Dec, 0), 2)
	switch {
	case c.Red:
		return [3]int{s.redNum0, s.redNum1, s.redNum2}[i]
	case c.Bold:
		return [3]int{s.boldNum0, s.boldNum1, s.boldNum2}[i]
	}
	return [3]int{s.num0, s.num1, s.num2}[i]
}

func cellName(col, row int) string {
	n, _ := excelize.CoordinatesToCellName(col, row)
	return n
}

// WriteXLSX writes the report as a workbook: a cover sheet (说明) and one
// sheet per table, each A4 landscape fitted to the page width, with title,
// 填报单位 and period, units, merged group headers, a 合计 row, the notes
// (formulas, checks; failures in red), frozen headers and a print area.
// Text cells are escaped against formula injection.
func WriteXLSX(w io.Writer, d *Document) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetDocProps(&excelize.DocProperties{Created: fixedDate, Modified: fixedDate, Creator: "weipian",
		LastModifiedBy: "weipian", Title: d.Title(), Language: "zh-CN"}); err != nil {
		return fmt.Errorf("reportdoc: document properties: %w", err)
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", "说明"); err != nil {
		return fmt.Errorf("reportdoc: %w", err)
	}
	if err := writeCover(f, &st, d); err != nil {
		return err
	}
	for _, t := range d.Tables() {
		if _, err := f.NewSheet(t.Sheet); err != nil {
			return fmt.Errorf("reportdoc: sheet %s: %w", t.Sheet, err)
		}
		if err := writeTable(f, &st, d, &t); err != nil {
			return fmt.Errorf("reportdoc: sheet %s: %w", t.Sheet, err)
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("reportdoc: write xlsx: %w", err)
	}
	return nil
}

func pageSetup(f *excelize.File, sh string) error {
	size, orient, one, zero := 9, "landscape", 1, 0 // 9 = A4
	fit := true
	if err := f.SetPageLayout(sh, &excelize.PageLayoutOptions{Size: &size, Orientation: &orient, FitToWidth: &one, FitToHeight: &zero}); err != nil {
		return err
	}
	if err := f.SetSheetProps(sh, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	m := 0.4
	return f.SetPageMargins(sh, &excelize.PageLayoutMarginsOptions{Left: &m, Right: &m, Top: &m, Bottom: &m})
}

func writeCover(f *excelize.File, st *styles, d *Document) error {
	const sh = "说明"
	lines := [][2]string{
		{"报表", d.Title()},
		{"填报单位", d.Meta.Unit},
		{"统计期", d.PeriodText()},
		{"统计范围", d.Meta.Region},
		{"监测批次", batchesText(d.Meta.Batches)},
		{"数据截至", d.AsOfText()},
		{"填报日期", d.Meta.Date},
		{"统计口径", "图斑按后时相归入统计期；纳入统计的是全部下发图斑和转为核查任务的自主监测图斑。核查、制止、立案、整改状态取自核查任务的记录。面积单位为亩（1亩 = 10000/15 平方米），按图斑所在的3度带高斯－克吕格投影计算。"},
	}
	if err := f.SetCellStr(sh, "A1", sheet.Safe(d.Title())); err != nil {
		return err
	}
	if err := f.MergeCell(sh, "A1", "B1"); err != nil {
		return err
	}
	if err := f.SetCellStyle(sh, "A1", "B1", st.title); err != nil {
		return err
	}
	for i, l := range lines {
		r := i + 3
		if err := f.SetCellStr(sh, cellName(1, r), l[0]); err != nil {
			return err
		}
		if err := f.SetCellStr(sh, cellName(2, r), sheet.Safe(l[1])); err != nil {
			return err
		}
		if err := f.SetCellStyle(sh, cellName(1, r), cellName(1, r), st.bold); err != nil {
			return err
		}
		if err := f.SetCellStyle(sh, cellName(2, r), cellName(2, r), st.text); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(sh, "A", "A", 14); err != nil {
		return err
	}
	if err := f.SetColWidth(sh, "B", "B", 100); err != nil {
		return err
	}
	if err := f.SetRowHeight(sh, len(lines)+2, 48); err != nil {
		return err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Area", Scope: sh, RefersTo: fmt.Sprintf("'%s'!$A$1:$B$%d", sh, len(lines)+2)}); err != nil {
		return err
	}
	return pageSetup(f, sh)
}

func batchesText(bs []string) string {
	if len(bs) == 0 {
		return "全部"
	}
	return strings.Join(bs, "、")
}

func writeTable(f *excelize.File, st *styles, d *Document, t *table) error {
	sh := t.Sheet
	leaves := t.leaves()
	n := len(leaves)
	last, _ := excelize.ColumnNumberToName(n)
	// Title and the line under it.
	if err := f.SetCellStr(sh, "A1", sheet.Safe(t.Title)); err != nil {
		return err
	}
	if err := f.MergeCell(sh, "A1", cellName(n, 1)); err != nil {
		return err
	}
	if err := f.SetCellStyle(sh, "A1", cellName(n, 1), st.title); err != nil {
		return err
	}
	if err := f.SetRowHeight(sh, 1, 28); err != nil {
		return err
	}
	unit := d.Meta.Unit
	if unit == "" {
		unit = "　　　　　　　　"
	}
	sub := fmt.Sprintf("填报单位（盖章）：%s　　统计期：%s　　统计范围：%s　　数据截至：%s　　%s", unit, d.PeriodText(), d.Meta.Region, d.AsOfText(), t.Unit)
	if err := f.SetCellStr(sh, "A2", sheet.Safe(sub)); err != nil {
		return err
	}
	if err := f.MergeCell(sh, "A2", cellName(n, 2)); err != nil {
		return err
	}
	if err := f.SetCellStyle(sh, "A2", cellName(n, 2), st.sub); err != nil {
		return err
	}
	// Headers.
	h1, h2 := 3, 3
	if t.twoRows() {
		h2 = 4
	}
	col := 1
	for _, g := range t.Groups {
		if len(g.Cols) == 1 && g.Cols[0] == "" {
			if err := f.SetCellStr(sh, cellName(col, h1), g.Label); err != nil {
				return err
			}
			if h2 > h1 {
				if err := f.MergeCell(sh, cellName(col, h1), cellName(col, h2)); err != nil {
					return err
				}
			}
			col++
			continue
		}
		if err := f.SetCellStr(sh, cellName(col, h1), g.Label); err != nil {
			return err
		}
		if len(g.Cols) > 1 {
			if err := f.MergeCell(sh, cellName(col, h1), cellName(col+len(g.Cols)-1, h1)); err != nil {
				return err
			}
		}
		for i, c := range g.Cols {
			if err := f.SetCellStr(sh, cellName(col+i, h2), c); err != nil {
				return err
			}
		}
		col += len(g.Cols)
	}
	if err := f.SetCellStyle(sh, cellName(1, h1), cellName(n, h2), st.head); err != nil {
		return err
	}
	if err := f.SetRowHeight(sh, h2, 30); err != nil {
		return err
	}
	// Rows and the 合计 row.
	rows := t.Rows
	if t.Totals != nil {
		rows = append(append([][]cell{}, rows...), t.Totals)
	}
	r := h2 + 1
	for _, row := range rows {
		for i, c := range row {
			name := cellName(i+1, r)
			var err error
			switch v := c.V.(type) {
			case string:
				err = f.SetCellStr(sh, name, sheet.Safe(v))
			case int:
				err = f.SetCellInt(sh, name, int64(v))
			case float64:
				err = f.SetCellFloat(sh, name, v, c.Dec, 64)
			default:
				err = fmt.Errorf("cell %s: unexpected %T", name, c.V)
			}
			if err != nil {
				return err
			}
			if err := f.SetCellStyle(sh, name, name, st.of(c)); err != nil {
				return err
			}
		}
		r++
	}
	lastRow := r - 1
	// Notes under the table.
	r++
	for _, nt := range t.Notes {
		name := cellName(1, r)
		if err := f.SetCellStr(sh, name, sheet.Safe(nt.Text)); err != nil {
			return err
		}
		if err := f.MergeCell(sh, name, cellName(n, r)); err != nil {
			return err
		}
		style := st.note
		if nt.Red {
			style = st.noteRed
		}
		if err := f.SetCellStyle(sh, name, cellName(n, r), style); err != nil {
			return err
		}
		// Wrapped notes: about 1.4 characters per unit of column width.
		var width float64
		for _, w := range t.Widths {
			width += w
		}
		lines := max(1, int(float64(len([]rune(nt.Text)))*1.9/max(width, 20))+1)
		if err := f.SetRowHeight(sh, r, float64(13*lines)); err != nil {
			return err
		}
		r++
	}
	lastRow = max(lastRow, r-1)
	for i, w := range t.Widths {
		c, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sh, c, c, w); err != nil {
			return err
		}
	}
	// Frozen header rows and leading columns.
	if err := f.SetPanes(sh, &excelize.Panes{Freeze: true, XSplit: t.Frozen, YSplit: h2, TopLeftCell: cellName(t.Frozen+1, h2+1), ActivePane: "bottomRight"}); err != nil {
		return err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Area", Scope: sh, RefersTo: fmt.Sprintf("'%s'!$A$1:$%s$%d", sh, last, lastRow)}); err != nil {
		return err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", Scope: sh, RefersTo: fmt.Sprintf("'%s'!$%d:$%d", sh, h1, h2)}); err != nil {
		return err
	}
	return pageSetup(f, sh)
}
