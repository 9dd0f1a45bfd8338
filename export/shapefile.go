package export

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/weipian/weipian/pipeline/crs"
)

// shpField is an attribute of the Shapefile export: its short field name
// (at most 10 ASCII bytes), Chinese name and unit for the field list, and
// its dBASE type: C text (width from the longest value), N number with
// dec decimals, D date.
type shpField struct {
	code, head, unit string
	typ              byte
	width, dec       int
	text             func(r *Row, o *options) string
	num              func(r *Row) (float64, bool) // false: null
	date             func(r *Row) string          // YYYY-MM-DD or ""
}

// shpFields are the Shapefile's columns, with the practice's names
// (JCBH, XZQDM, TBLX, JCMJ, JCGDMJ, YJJBNTMJ, QSX, HSX, ZT, …). Areas are in
// m² as the provincial tables keep them, with JCMJMU the monitored area in
// 亩; QSX and HSX are written YYYYMMDD as in 下发 tables.
var shpFields = []shpField{
	{code: "JCBH", head: "监测编号", typ: 'C', text: func(r *Row, _ *options) string { return r.JCBH }},
	{code: "XZQDM", head: "行政区代码", typ: 'C', text: func(r *Row, _ *options) string { return r.XZQDM }},
	{code: "XZMC", head: "乡镇", typ: 'C', text: func(r *Row, _ *options) string { return r.Township }},
	{code: "TBLX", head: "变化类型", typ: 'C', text: func(r *Row, _ *options) string { return r.TBLX }},
	{code: "JCMJ", head: "监测面积", unit: "平方米", typ: 'N', width: 18, dec: 2, num: func(r *Row) (float64, bool) { return round(r.AreaM2, 100), true }},
	{code: "JCGDMJ", head: "耕地面积", unit: "平方米", typ: 'N', width: 18, dec: 2, num: func(r *Row) (float64, bool) { return round(r.FarmlandM2, 100), true }},
	{code: "YJJBNTMJ", head: "永久基本农田面积", unit: "平方米", typ: 'N', width: 18, dec: 2, num: func(r *Row) (float64, bool) { return round(r.BasicFarmlandM2, 100), true }},
	{code: "JCMJMU", head: "监测面积(亩)", unit: "亩", typ: 'N', width: 18, dec: 2, num: func(r *Row) (float64, bool) { return mu(r.AreaM2), true }},
	{code: "ZXJD", head: "中心经度", unit: "度", typ: 'N', width: 12, dec: 6, num: func(r *Row) (float64, bool) { lon, _ := r.centre(); return round(lon, 1e6), true }},
	{code: "ZXWD", head: "中心纬度", unit: "度", typ: 'N', width: 11, dec: 6, num: func(r *Row) (float64, bool) { _, lat := r.centre(); return round(lat, 1e6), true }},
	{code: "QSX", head: "前时相", typ: 'C', text: func(r *Row, _ *options) string { return compactDate(r.QSX) }},
	{code: "HSX", head: "后时相", typ: 'C', text: func(r *Row, _ *options) string { return compactDate(r.HSX) }},
	{code: "CPJG", head: "初判结果", typ: 'C', text: func(r *Row, _ *options) string { return r.Prejudgement }},
	{code: "XCQY", head: "巡查区", typ: 'C', text: func(r *Row, _ *options) string { return r.Zone }},
	{code: "XCZ", head: "巡查组", typ: 'C', text: func(r *Row, _ *options) string { return r.team() }},
	{code: "ZRR", head: "责任人", typ: 'C', text: func(r *Row, _ *options) string { return r.Person }},
	{code: "LXDH", head: "联系电话", typ: 'C', text: func(r *Row, _ *options) string { return r.Contact }},
	{code: "YXJ", head: "优先级", typ: 'N', width: 6, num: func(r *Row) (float64, bool) { return float64(r.Priority), r.Priority > 0 }},
	{code: "YXDJ", head: "优先等级", typ: 'C', text: func(r *Row, _ *options) string { return r.Level().Label() }},
	{code: "YXYY", head: "优先原因", typ: 'C', text: func(r *Row, _ *options) string { return r.PriorityReason }},
	{code: "HCQX", head: "核查期限", typ: 'D', width: 8, date: func(r *Row) string { return r.DueVerify }},
	{code: "SFYQ", head: "逾期", typ: 'C', text: overdueText},
	{code: "ZT", head: "状态", typ: 'C', text: func(r *Row, _ *options) string { return r.state() }},
	{code: "HCJL", head: "核查结论", typ: 'C', text: func(r *Row, _ *options) string { return r.Verdict }},
	{code: "JZZPS", head: "举证照片数", typ: 'N', width: 6, num: func(r *Row) (float64, bool) { return float64(len(r.Evidence)), true }},
}

// overdueText is 是 or 否 for an overdue task, "" without an export date.
func overdueText(r *Row, o *options) string {
	switch {
	case o.date == "":
		return ""
	case o.overdue(r):
		return "是"
	}
	return "否"
}

// compactDate writes a YYYY-MM-DD date as YYYYMMDD; anything else as it is.
func compactDate(s string) string {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Format("20060102")
	}
	return s
}

// Shapefile writes rows as a zipped ESRI Shapefile for the field GIS apps
// bureaus use: {base}.shp, .shx, .dbf, .prj, .cpg and {base}_字段对照.csv,
// where base is "{team}_核查任务" when all rows share a team, else
// "核查任务". One polygon record per row (its outline, holes kept; a row
// without an outline gets a null shape), in CGCS2000 longitude/latitude
// (EPSG:4490) unless WithCRS says otherwise (a Gauss-Krüger zone: metres,
// rounded to 1 mm), with the .prj GDAL writes for that CRS. The attributes
// have the practice's short field names (see 字段对照.csv: JCBH, XZQDM,
// XZMC, TBLX, JCMJ, JCGDMJ, YJJBNTMJ in m², JCMJMU in 亩, ZXJD/ZXWD in
// degrees, QSX/HSX as YYYYMMDD, …, HCQX a date, ZT, HCJL) and GBK text (the
// .cpg says GBK, the .dbf code page byte is 936's); a character GBK lacks
// is written "?" and text longer than a .dbf field's 254 bytes is cut (the
// GeoJSON and XLSX keep the full text). Rows are sorted as in every
// format; the .dbf date and the ZIP entry times are the export date
// (WithDate) or 2000-01-01, so the bytes are deterministic.
func Shapefile(w io.Writer, rows []Row, opts ...Option) error {
	rows, o, err := prepare(rows, opts)
	if err != nil {
		return err
	}
	entries, err := shapefileEntries(rows, o, baseName(rows))
	if err != nil {
		return err
	}
	return writeZip(w, entries, o)
}

// baseName is the file name stem of an export of rows.
func baseName(rows []Row) string {
	if ts := Teams(rows); len(ts) == 1 {
		return fileSafe(ts[0]) + "_核查任务"
	}
	return "核查任务"
}

// shapefileEntries returns the files of the Shapefile of rows (prepared).
func shapefileEntries(rows []Row, o *options, base string) ([]zipEntry, error) {
	c, err := o.outputCRS(rows, crs.CGCS2000)
	if err != nil {
		return nil, err
	}
	shp, shx := shpPolygons(rows, c)
	dbf, err := dbfTable(rows, o)
	if err != nil {
		return nil, err
	}
	return []zipEntry{
		{name: base + ".shp", data: shp},
		{name: base + ".shx", data: shx},
		{name: base + ".dbf", data: dbf},
		{name: base + ".prj", data: []byte(c.ESRIWKT())},
		{name: base + ".cpg", data: []byte("GBK")},
		{name: base + "_字段对照.csv", data: shpFieldList(c)},
	}, nil
}

// shpFieldList is the field list (字段对照): code, Chinese name, type and
// unit of each field, as UTF-8 CSV with a byte-order mark for Excel.
func shpFieldList(c crs.CRS) []byte {
	var b bytes.Buffer
	b.WriteString("\ufeff字段,名称,类型,单位\r\n")
	for _, f := range shpFields {
		typ := "文本"
		switch f.typ {
		case 'N':
			typ = "数值"
			if f.dec > 0 {
				typ += fmt.Sprintf("（%d位小数）", f.dec)
			}
		case 'D':
			typ = "日期"
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s\r\n", f.code, f.head, typ, f.unit)
	}
	fmt.Fprintf(&b, "坐标系,%s,EPSG:%d,\r\n", c.Name(), c.EPSG())
	return b.Bytes()
}

// Shapefile shape types.
const (
	shpNull    = 0
	shpPolygon = 5
)

// shpPolygons returns the .shp and .shx of the rows' outlines in c.
func shpPolygons(rows []Row, c crs.CRS) (shp, shx []byte) {
	var body, index bytes.Buffer
	box := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	be := binary.BigEndian
	le := binary.LittleEndian
	for i := range rows {
		var rec bytes.Buffer
		if len(rows[i].Geometry) == 0 {
			binary.Write(&rec, le, int32(shpNull))
		} else {
			// Shapefile rings: outer clockwise, holes counter-clockwise,
			// the reverse of RFC 7946.
			p := closedRingsIn(rows[i].Geometry, c)
			for _, r := range p {
				r.Reverse()
			}
			b := p.Bound()
			box = [4]float64{math.Min(box[0], b.Min[0]), math.Min(box[1], b.Min[1]), math.Max(box[2], b.Max[0]), math.Max(box[3], b.Max[1])}
			n := 0
			for _, r := range p {
				n += len(r)
			}
			binary.Write(&rec, le, int32(shpPolygon))
			binary.Write(&rec, le, [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]})
			binary.Write(&rec, le, [2]int32{int32(len(p)), int32(n)})
			start := 0
			for _, r := range p {
				binary.Write(&rec, le, int32(start))
				start += len(r)
			}
			for _, r := range p {
				for _, pt := range r {
					binary.Write(&rec, le, [2]float64(pt))
				}
			}
		}
		offset := 50 + body.Len()/2 // in 16-bit words, after the 100-byte header
		binary.Write(&index, be, [2]int32{int32(offset), int32(rec.Len() / 2)})
		binary.Write(&body, be, [2]int32{int32(i + 1), int32(rec.Len() / 2)})
		body.Write(rec.Bytes())
	}
	if math.IsInf(box[0], 1) {
		box = [4]float64{}
	}
	header := func(length int) []byte {
		var h bytes.Buffer
		binary.Write(&h, be, [7]int32{9994, 0, 0, 0, 0, 0, int32(length / 2)})
		binary.Write(&h, le, [2]int32{1000, shpPolygon})
		binary.Write(&h, le, [8]float64{box[0], box[1], box[2], box[3], 0, 0, 0, 0})
		return h.Bytes()
	}
	shp = append(header(100+body.Len()), body.Bytes()...)
	shx = append(header(100+index.Len()), index.Bytes()...)
	return shp, shx
}

// dbfTable returns the .dbf (dBASE III) of the rows' attributes in GBK.
func dbfTable(rows []Row, o *options) ([]byte, error) {
	enc := simplifiedchinese.GBK.NewEncoder()
	cells := make([][][]byte, len(rows))
	widths := make([]int, len(shpFields))
	for i, f := range shpFields {
		widths[i] = max(f.width, 1)
	}
	for k := range rows {
		r := &rows[k]
		cells[k] = make([][]byte, len(shpFields))
		for i, f := range shpFields {
			var v []byte
			switch f.typ {
			case 'C':
				v = gbkText(enc, strings.TrimSpace(f.text(r, o)), 254)
				widths[i] = max(widths[i], len(v))
			case 'N':
				x, ok := f.num(r)
				if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
					v = nil
					break
				}
				v = []byte(strconv.FormatFloat(x, 'f', f.dec, 64))
				if len(v) > f.width {
					return nil, &RowError{Index: k, JCBH: r.JCBH, Problem: fmt.Sprintf("%s %s does not fit the Shapefile's %d digits", f.head, v, f.width)}
				}
			case 'D':
				if t, err := time.Parse("2006-01-02", strings.TrimSpace(f.date(r))); err == nil {
					v = []byte(t.Format("20060102"))
				}
			}
			cells[k][i] = v
		}
	}
	recLen := 1
	for _, w := range widths {
		recLen += w
	}
	var b bytes.Buffer
	d := o.stamp()
	hdrLen := 32 + 32*len(shpFields) + 1
	b.Write([]byte{0x03, byte(d.Year() - 1900), byte(d.Month()), byte(d.Day())})
	binary.Write(&b, binary.LittleEndian, int32(len(rows)))
	binary.Write(&b, binary.LittleEndian, [2]int16{int16(hdrLen), int16(recLen)})
	var rest [20]byte
	rest[17] = 0x4d // language driver: code page 936 (GBK)
	b.Write(rest[:])
	for i, f := range shpFields {
		var fd [32]byte
		copy(fd[:11], f.code)
		fd[11] = f.typ
		fd[16] = byte(widths[i])
		fd[17] = byte(f.dec)
		b.Write(fd[:])
	}
	b.WriteByte(0x0d)
	for k := range rows {
		b.WriteByte(' ') // not deleted
		for i, f := range shpFields {
			v, w := cells[k][i], widths[i]
			switch f.typ {
			case 'C':
				b.Write(v)
				b.Write(bytes.Repeat([]byte{' '}, w-len(v)))
			case 'N':
				if v == nil {
					b.Write(bytes.Repeat([]byte{'*'}, w)) // null, as shapelib writes it
					continue
				}
				b.Write(bytes.Repeat([]byte{' '}, w-len(v)))
				b.Write(v)
			case 'D':
				if v == nil {
					v = []byte("00000000") // null, as shapelib writes it
				}
				b.Write(v)
			}
		}
	}
	b.WriteByte(0x1a)
	return b.Bytes(), nil
}

// gbkText encodes s in GBK (characters GBK lacks as "?"), cut to at most
// limit bytes at a character boundary.
func gbkText(enc *encoding.Encoder, s string, limit int) []byte {
	out, err := enc.Bytes([]byte(s))
	if err == nil && len(out) <= limit {
		return out
	}
	out = out[:0]
	var buf [utf8.UTFMax]byte
	for _, r := range s {
		n := utf8.EncodeRune(buf[:], r)
		e, err := enc.Bytes(buf[:n])
		if err != nil {
			e = []byte{'?'}
		}
		if len(out)+len(e) > limit {
			break
		}
		out = append(out, e...)
	}
	return out
}
