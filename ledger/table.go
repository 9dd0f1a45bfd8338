package ledger

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline/geodesy"
	"github.com/weipian/weipian/pipeline/reconcile"
)

// Result is what an import found: the usable rows and the problems. Rows
// with an Invalid problem are not in Entries; Breach problems are also
// attached to their Entry.
type Result struct {
	Entries  []Entry
	Problems []RowError
}

// Invalid returns the problems that kept a row out.
func (r *Result) Invalid() []RowError { return r.filter(Invalid) }

// Breaches returns the rule breaches of kept rows.
func (r *Result) Breaches() []RowError { return r.filter(Breach) }

func (r *Result) filter(k Kind) []RowError {
	var out []RowError
	for _, p := range r.Problems {
		if p.Kind == k {
			out = append(out, p)
		}
	}
	return out
}

// IsBlankCell reports whether a cell says nothing (empty, 无, /, 未发现 …);
// see reconcile.IsBlank.
func IsBlankCell(s string) bool { return reconcile.IsBlank(s) }

// maxHeaderScan is how many rows from the top are searched for the header.
const maxHeaderScan = 20

// table is one sheet (or a CSV file) as a grid of strings, merged cells
// already filled in.
type table struct {
	file, sheet string
	rows        [][]string
	rowNums     []int // 1-based numbers of rows
	date1904    bool
	// merged marks the cells (row index, column index) that hold a copy of
	// a merged range's top-left value.
	merged map[[2]int]bool
	// bad holds the CSV lines that could not be read, by row index; their
	// rows are empty.
	bad map[int]csvRecord
}

// header is the located header.
type header struct {
	cols      map[Field]int
	names     map[int]string // column -> header text as written
	dataStart int            // index into rows
	year      int
}

func (t *table) cell(r, c int) string {
	if r < len(t.rows) && c < len(t.rows[r]) {
		return t.rows[r][c]
	}
	return ""
}

func (o *options) fieldOf(h string) Field {
	n := normHeader(h)
	if n == "" {
		return 0
	}
	if f, ok := o.headerMap[n]; ok {
		return f
	}
	return ParseField(h)
}

// findHeader locates the header row: among the first rows, the one naming
// the most distinct ledger columns (at least 2; the first on ties). The next
// row is taken as a sub-header for the columns where it names a column
// (a two-row header under merged group cells such as "违法情况").
//
// Two columns that name the same ledger column (巡查时间 and 巡查日期, or a
// column mapped onto one the file already has) are an ErrDuplicateColumn
// error naming both: either could be the one meant. A merged header cell
// spanning several columns names one column.
func (t *table) findHeader(o *options) (*header, bool, error) {
	best, bestN := -1, 1
	for r := 0; r < min(len(t.rows), maxHeaderScan); r++ {
		seen := map[Field]bool{}
		for _, v := range t.rows[r] {
			if f := o.fieldOf(v); f != 0 {
				seen[f] = true
			}
		}
		if len(seen) > bestN {
			best, bestN = r, len(seen)
		}
	}
	if best < 0 {
		return nil, false, nil
	}
	h := &header{cols: map[Field]int{}, names: map[int]string{}, dataStart: best + 1}
	width := len(t.rows[best])
	if best+1 < len(t.rows) {
		width = max(width, len(t.rows[best+1]))
	}
	sub := false
	for c := range width {
		top, below := t.cell(best, c), t.cell(best+1, c)
		fTop, fBelow := o.fieldOf(top), o.fieldOf(below)
		name, f, at := top, fTop, best
		if fBelow != 0 && normHeader(below) != normHeader(top) {
			name, f, at, sub = below, fBelow, best+1, true
		}
		if f == 0 {
			continue
		}
		if c0, dup := h.cols[f]; dup {
			if t.merged[[2]int{at, c}] {
				continue // one merged cell over several columns
			}
			return nil, false, fileErr(t.file, ErrDuplicateColumn, nil,
				"%s表头有两列都是「%s」：%s列「%s」和%s列「%s」，无法确定用哪一列：请删去或改名其中一列（或用列名映射指明）",
				sheetWords(t.sheet), f.Name(), columnName(c0), h.names[c0], columnName(c), clean(name))
		}
		h.cols[f] = c
		h.names[c] = clean(name)
	}
	if sub {
		h.dataStart = best + 2
	}
	// Year for dates written without one: title rows, then sheet, then file.
	for r := 0; r < best && h.year == 0; r++ {
		for _, v := range t.rows[r] {
			if y := findYear(v); y != 0 {
				h.year = y
				break
			}
		}
	}
	if h.year == 0 {
		h.year = findYear(t.sheet)
	}
	if h.year == 0 {
		h.year = findYear(t.file)
	}
	return h, true, nil
}

// columnName returns the spreadsheet name of the 0-based column c ("A",
// "B", …, "AA").
func columnName(c int) string {
	name := ""
	for c++; c > 0; c = (c - 1) / 26 {
		name = string(rune('A'+(c-1)%26)) + name
	}
	return name
}

// footerWords mark signature lines under a table.
func footerWords() []string {
	return []string{"填表人", "填报人", "制表人", "制表", "审核人", "审核", "负责人", "签字", "签名", "说明", "注：", "注:", "合计"}
}

// parse converts the table into entries and problems. A table without a
// header gives ErrNoHeader (as a *FileError) unless optional.
func (t *table) parse(ctx context.Context, o *options, res *Result) error {
	h, ok, err := t.findHeader(o)
	if err != nil {
		return err
	}
	if !ok {
		hint := ""
		for r := 0; r < min(len(t.rows), maxHeaderScan); r++ {
			if b, bad := t.bad[r]; bad {
				hint = fmt.Sprintf("（第%d行引号不配对，无法读取，可能就是表头行）", b.line)
				break
			}
		}
		return fileErr(t.file, ErrNoHeader, nil, "%s找不到表头：应有一行列名，如 巡查时间、巡查人员、巡查区域/路线%s", sheetWords(t.sheet), hint)
	}
	if _, ok := h.cols[FieldTime]; !ok {
		return fileErr(t.file, ErrMissingColumn, nil, "%s表头缺少「巡查时间」列（可用列名映射，如 检查时间=巡查时间）", sheetWords(t.sheet))
	}
	for _, f := range o.required {
		if _, ok := h.cols[f]; !ok {
			return fileErr(t.file, ErrMissingColumn, nil, "%s表头缺少必填列「%s」（可用列名映射，如 人员=巡查人员）", sheetWords(t.sheet), f.Name())
		}
	}
	year := o.year
	if year == 0 {
		year = h.year
	}
	for r := 0; r < len(t.rows); r++ {
		if r%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if b, bad := t.bad[r]; bad {
			res.Problems = append(res.Problems, t.badLine(b, h))
			continue
		}
		if r >= h.dataStart {
			t.parseRow(r, h, o, year, res)
		}
	}
	return nil
}

// badLine is the problem of a CSV line that could not be read.
func (t *table) badLine(b csvRecord, h *header) RowError {
	col := ""
	for f, c := range h.cols {
		if c == b.badCell-1 {
			col = h.names[c]
			if col == "" {
				col = f.Name()
			}
		}
	}
	raw := []rune(b.raw)
	if len(raw) > 60 {
		raw = append(raw[:60], '…')
	}
	return RowError{File: baseName(t.file), Sheet: t.sheet, Row: b.line, Column: col, Value: string(raw),
		Problem: "引号不配对「" + string(raw) + "」：" + b.bad, Kind: Invalid}
}

func sheetWords(sheet string) string {
	if sheet == "" {
		return ""
	}
	return "工作表「" + sheet + "」"
}

func (t *table) parseRow(r int, h *header, o *options, year int, res *Result) {
	get := func(f Field) string {
		c, ok := h.cols[f]
		if !ok {
			return ""
		}
		return clean(t.cell(r, c))
	}
	// Skip empty rows and signature footers.
	var filled []string
	for f := range h.cols {
		if v := get(f); v != "" {
			filled = append(filled, v)
		}
	}
	if len(filled) == 0 {
		return
	}
	if len(filled) <= 2 {
		for _, v := range filled {
			for _, w := range footerWords() {
				if strings.HasPrefix(v, w) {
					return
				}
			}
		}
	}
	e := Entry{File: baseName(t.file), Sheet: t.sheet, Row: t.rowNums[r]}
	var problems []RowError
	add := func(f Field, value, problem string, k Kind) {
		col := f.Name()
		if c, ok := h.cols[f]; ok && h.names[c] != "" {
			col = h.names[c]
		}
		problems = append(problems, RowError{File: e.File, Sheet: e.Sheet, Row: e.Row, Column: col, Value: value, Problem: problem, Kind: k})
	}
	required := func(f Field) bool { return f == FieldTime || slices.Contains(o.required, f) }
	for _, f := range []Field{FieldTime, FieldPeople, FieldZone, FieldItems, FieldSubject, FieldPlace, FieldStatus, FieldStopMeasure, FieldStopEffect, FieldFollowUp} {
		if required(f) && get(f) == "" {
			add(f, "", "必须填写，不能为空", Invalid)
		}
	}

	// 巡查时间.
	if v := get(FieldTime); v != "" {
		start, end, problem := parsePatrolTime(v, year, t.date1904, o.loc)
		if problem != "" {
			add(FieldTime, v, problem, Invalid)
		}
		e.Start, e.End = start, end
	}

	// 巡查人员.
	e.Members, e.People = SplitPeople(get(FieldPeople))
	if v := get(FieldPeople); v != "" && e.People < o.minPeople {
		add(FieldPeople, v, fmt.Sprintf("巡查人员只有%d人「%s」，违反“巡查人员不少于%d人”的规定", e.People, v, o.minPeople), Breach)
	}

	// 巡查区域/路线.
	e.Zone = get(FieldZone)
	if e.Zone != "" {
		parts := splitZones(e.Zone)
		if o.zones == nil {
			e.Zones = parts
		} else {
			var ambiguous []string
			candidates := append([]string{e.Zone}, parts...)
			for _, p := range candidates {
				n, amb := o.zones.match(p)
				if n != "" && !slices.Contains(e.Zones, n) {
					e.Zones = append(e.Zones, n)
				}
				if amb != nil && ambiguous == nil {
					ambiguous = amb
				}
			}
			switch {
			case len(e.Zones) > 0:
			case ambiguous != nil:
				add(FieldZone, e.Zone, fmt.Sprintf("巡查区域「%s」不明确，可能是%s，请写全称", e.Zone, quoteList(ambiguous, 5)), Invalid)
			default:
				add(FieldZone, e.Zone, fmt.Sprintf("未知的巡查区域「%s」，已知区域如%s", e.Zone, quoteList(o.zones.names, 5)), Invalid)
			}
		}
	}

	// Text columns.
	e.Items, e.Subject, e.Place = get(FieldItems), get(FieldSubject), get(FieldPlace)
	e.Status, e.StopMeasure, e.StopEffect, e.FollowUp = get(FieldStatus), get(FieldStopMeasure), get(FieldStopEffect), get(FieldFollowUp)

	// Coordinates: the 经度/纬度 columns, else the 违法地点 text.
	lonS, latS := get(FieldLon), get(FieldLat)
	switch {
	case lonS != "" || latS != "":
		lon, okLon := parseAxis(lonS)
		lat, okLat := parseAxis(latS)
		raw := lonS + "," + latS
		switch {
		case !okLon || !okLat:
			f, v := FieldLon, lonS
			if okLon {
				f, v = FieldLat, latS
			}
			add(f, v, fmt.Sprintf("无法识别的坐标「%s」，应为如 114.123 或 114°7′22″", v), Invalid)
		default:
			if lon < lat && lat > 90 { // columns swapped
				lon, lat = lat, lon
			}
			t.setLocation(&e, orb.Point{round7(lon), round7(lat)}, raw, FieldLon, o, add)
		}
	case e.Place != "":
		pt, found, problem := ParseCoords(e.Place)
		switch {
		case problem != "":
			add(FieldPlace, e.Place, problem, Invalid)
		case found:
			t.setLocation(&e, pt, e.Place, FieldPlace, o, add)
		}
	}

	for _, p := range problems {
		if p.Kind == Breach {
			e.Breaches = append(e.Breaches, p)
		}
	}
	res.Problems = append(res.Problems, problems...)
	for _, p := range problems {
		if p.Kind == Invalid {
			return
		}
	}
	e.setIDs()
	res.Entries = append(res.Entries, e)
}

func (t *table) setLocation(e *Entry, pt orb.Point, raw string, f Field, o *options, add func(Field, string, string, Kind)) {
	if o.countyBB != nil || len(o.county) > 0 {
		if problem := o.inCounty(pt, raw); problem != "" {
			add(f, raw, problem, Invalid)
			return
		}
	} else if !geodesy.InChina(pt[0], pt[1]) {
		add(f, raw, fmt.Sprintf("坐标「%s」不在中国境内，请检查经纬度是否写反或写错", raw), Invalid)
		return
	}
	e.Location, e.HasLocation = pt, true
}

// quoteList returns 「a」、「b」… with at most n items.
func quoteList(items []string, n int) string {
	var b strings.Builder
	for i, it := range items {
		if i == n {
			b.WriteString("等")
			break
		}
		if i > 0 {
			b.WriteString("、")
		}
		b.WriteString("「" + it + "」")
	}
	return b.String()
}
