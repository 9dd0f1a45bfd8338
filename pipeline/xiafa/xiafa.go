// Package xiafa reads the 图斑 a ministry, province or city issues (下发) to
// a county, and describes the columns the county returns (核查成果). It
// knows the practice's column glossary (JCBH, XZQDM, QSX, HSX, TBLX, JCMJ …,
// and the county's JZLX, PDJG, WFLX, WFMJ …) with their usual synonyms, and
// the change-type (TBLX) codes; both can be extended, since provinces and
// years differ. It is pure: raster reads the file, app stores the result.
package xiafa

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/judge"
)

// Kind is the kind of a column's values.
type Kind int

// Column kinds.
const (
	Text   Kind = iota
	Date        // a day: 2026-05-01, 20260501, 2026/5/1, 2026年5月1日
	AreaM2      // an area in m²
	Number
)

// Field is a column of the practice's tables.
type Field struct {
	// Code is the column code (JCBH); Name the Chinese name (监测编号).
	Code, Name string
	Kind       Kind
	// Synonyms are further names it goes by.
	Synonyms []string
	// Required columns must be present and non-empty in every feature.
	Required bool
	// County fields are filled by the county when it returns the
	// verification (核查成果).
	County bool
}

// Fields is the column glossary: the issued columns (national table as
// kept by provincial systems, and 2026 county tables), then the county's.
var Fields = []Field{
	{Code: "NF", Name: "年份"},
	{Code: "JD", Name: "季度"},
	{Code: "XZQDM", Name: "行政区代码", Synonyms: []string{"行政区划代码", "县级行政区代码", "XZQHDM"}, Required: true},
	{Code: "XMC", Name: "县名称", Synonyms: []string{"县区名称", "XZQMC"}},
	{Code: "JCBH", Name: "监测编号", Synonyms: []string{"图斑编号", "TBBH"}, Required: true},
	{Code: "YSTBBH", Name: "原始图斑编号"},
	{Code: "XFSJ", Name: "下发时间", Kind: Date, Synonyms: []string{"下发日期"}},
	{Code: "PC", Name: "批次", Synonyms: []string{"下发批次", "PCMC"}},
	{Code: "QSX", Name: "前时相", Kind: Date, Synonyms: []string{"前时相日期", "QSXRQ"}},
	{Code: "HSX", Name: "后时相", Kind: Date, Synonyms: []string{"后时相日期", "HSXRQ"}},
	{Code: "QQJH", Name: "前期影像景号"},
	{Code: "DQJH", Name: "当期影像景号"},
	{Code: "LZB", Name: "中心点经度", Kind: Number, Synonyms: []string{"经度", "ZXJD", "X"}},
	{Code: "BZB", Name: "中心点纬度", Kind: Number, Synonyms: []string{"纬度", "ZXWD", "Y"}},
	{Code: "TBLX", Name: "图斑类型", Synonyms: []string{"变化类型", "BHLX"}, Required: true},
	{Code: "BHMJ", Name: "变化面积", Kind: AreaM2},
	{Code: "JCMJ", Name: "监测面积", Kind: AreaM2, Synonyms: []string{"图斑面积", "TBMJ"}},
	{Code: "JCGDMJ", Name: "耕地面积", Kind: AreaM2, Synonyms: []string{"监测耕地面积", "GDMJ"}},
	{Code: "YJJBNTMJ", Name: "永久基本农田面积", Kind: AreaM2, Synonyms: []string{"基本农田面积", "JBNTMJ"}},
	{Code: "NYDMJ", Name: "农用地面积", Kind: AreaM2},
	{Code: "JSYDMJ", Name: "建设用地面积", Kind: AreaM2},
	{Code: "WLYDMJ", Name: "未利用地面积", Kind: AreaM2},
	{Code: "SFYN", Name: "涉及永久基本农田"},
	{Code: "SFHX", Name: "涉及生态保护红线"},
	{Code: "DLBM", Name: "原地类编码", Synonyms: []string{"地类编码"}},
	{Code: "DLMC", Name: "原地类名称", Synonyms: []string{"地类名称"}},
	{Code: "YDSXZGDMJ", Name: "已有用地手续所占耕地面积", Kind: AreaM2},
	{Code: "WBSXZGDMJ", Name: "未办用地手续所占耕地面积", Kind: AreaM2},
	{Code: "XJJZSJ", Name: "县级上报截至时间", Kind: Date, Synonyms: []string{"县级上报截止时间", "上报截止时间", "截止时间"}},
	{Code: "SHYJ", Name: "审核意见"},
	{Code: "RDSJ", Name: "认定时间", Kind: Date},
	// The county's columns.
	{Code: "XJJZ", Name: "县级举证", County: true},
	{Code: "JZLX", Name: "举证类型", County: true},
	{Code: "PDJG", Name: "合法性判定结果", Synonyms: []string{"判定结果"}, County: true},
	{Code: "WFLX", Name: "违法类型", County: true},
	{Code: "WFMJ", Name: "违法面积", Kind: AreaM2, County: true},
	{Code: "PDYJSM", Name: "判定依据说明", County: true},
	{Code: "HSRDYJ", Name: "核实认定意见", County: true},
	{Code: "XCHCMS", Name: "现场核查描述", County: true},
	{Code: "XMMC", Name: "项目名称", County: true},
	{Code: "XMZT", Name: "项目主体", County: true},
	{Code: "JSSJ", Name: "建设时间", County: true},
	{Code: "PZWH", Name: "批准文号", County: true},
	{Code: "PZJG", Name: "批准机关", County: true},
	{Code: "PZSJ", Name: "批准时间", County: true},
	{Code: "PZMJ", Name: "批准面积", Kind: AreaM2, County: true},
	{Code: "WYHC", Name: "外业核查", County: true},
	{Code: "HCSB", Name: "核查上报", County: true},
	{Code: "HCRY", Name: "核查人员", County: true},
	{Code: "HCSJ", Name: "核查时间", County: true},
	{Code: "TPLJ", Name: "举证图片路径", County: true},
	{Code: "FJLJ", Name: "附件路径", County: true},
}

// FieldByCode returns the glossary field of a code.
func FieldByCode(code string) (Field, bool) {
	for _, f := range Fields {
		if f.Code == code {
			return f, true
		}
	}
	return Field{}, false
}

// Code is a change-type (TBLX) code of an issuer, and the change type
// weipian judges it as (judge.Type…).
type Code struct {
	Code, Name, Type string
}

// DefaultCodes are the TBLX codes of the 2026 national list that weipian
// knows; an issuer's others are given with Options.Codes.
var DefaultCodes = []Code{
	{"20", "建(构)筑物", judge.TypeBuilding},
	{"YH", "硬化", judge.TypeBuilding},
	{"DT", "动土", judge.TypeEarthwork},
	{"TD", "推堆土", judge.TypeEarthwork},
	{"TP", "推平", judge.TypeEarthwork},
	{"DL1", "道路", judge.TypeRoad},
	{"DL2", "道路", judge.TypeRoad},
	{"CK", "采矿", judge.TypeEarthwork},
	{"GF", "光伏", judge.TypeBuilding},
	{"KT", "坑塘", judge.TypePond},
	{"SM", "水面", judge.TypePond},
	{"LT", "裸土地", judge.TypeEarthwork},
	{"DP", "大棚", judge.TypeGreenhouse},
	{"01", "耕地", judge.TypeRevegetation},
	{"QT", "其他", judge.TypeOther},
}

// CodeOf returns weipian's code for a change type label (for the return
// package of 图斑 weipian detected itself).
func CodeOf(tblx string) Code {
	for _, c := range DefaultCodes {
		if c.Type == tblx {
			return c
		}
	}
	return Code{"QT", "其他", judge.TypeOther}
}

// ParseCodes parses extra codes: "XX=名称=类型,…" or "XX=名称" (type 其他变化),
// where 类型 is one of weipian's change types.
func ParseCodes(s string) ([]Code, error) {
	var out []Code
	s = strings.NewReplacer("，", ",", "；", ",", ";", ",", "＝", "=").Replace(s)
	known := []string{judge.TypeBuilding, judge.TypeGreenhouse, judge.TypeRoad, judge.TypeEarthwork, judge.TypePond, judge.TypeRevegetation, judge.TypeOther}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		f := strings.Split(part, "=")
		if len(f) < 2 || len(f) > 3 || strings.TrimSpace(f[0]) == "" {
			return nil, fmt.Errorf("%w: TBLX code %q: want CODE=名称 or CODE=名称=类型", pipeline.ErrInvalid, part)
		}
		c := Code{Code: strings.TrimSpace(f[0]), Name: strings.TrimSpace(f[1]), Type: judge.TypeOther}
		if len(f) == 3 {
			c.Type = strings.TrimSpace(f[2])
			if !slices.Contains(known, c.Type) {
				return nil, fmt.Errorf("%w: TBLX code %q: type %q, want one of %s", pipeline.ErrInvalid, part, c.Type, strings.Join(known, ", "))
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// Options say how to read a package.
type Options struct {
	// Map maps file columns to glossary codes or names: {"监测图斑号": "JCBH"}.
	Map map[string]string
	// Codes are further TBLX codes (they win over DefaultCodes).
	Codes []Code
}

// Patch is one issued 图斑 as read: its attributes as issued and its
// outline (WGS84).
type Patch struct {
	FID      int64
	Issued   pipeline.Issued
	Geometry orb.MultiPolygon
}

// Problem is something wrong with one feature (FeatureID ≥ 0) or with the
// whole package (FeatureID -1).
type Problem struct {
	FeatureID int64
	JCBH      string
	Field     string
	Value     string
	Problem   string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.FeatureID >= 0 {
		fmt.Fprintf(&b, "要素 %d", p.FeatureID)
		if p.JCBH != "" {
			fmt.Fprintf(&b, "（JCBH %s）", p.JCBH)
		}
		b.WriteString("：")
	}
	if p.Field != "" {
		fmt.Fprintf(&b, "%s「%s」：", p.Field, p.Value)
	}
	b.WriteString(p.Problem)
	return b.String()
}

// ImportError refuses a package: nothing of it is imported. It matches
// pipeline.ErrInvalid.
type ImportError struct {
	Problems []Problem
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("xiafa: %d problems, nothing imported; first: %s", len(e.Problems), e.Problems[0])
}

// Is matches pipeline.ErrInvalid.
func (e *ImportError) Is(target error) bool { return target == pipeline.ErrInvalid }

// Columns maps glossary codes to the file's columns.
type Columns map[string]string

// MapColumns finds each glossary field's column among the file's columns
// (by code, name, synonym, or opt.Map). It returns the mapping and the
// columns it did not recognise (kept as they are).
func MapColumns(cols []string, opt Options) (Columns, []string, []Problem) {
	var problems []Problem
	byNorm := map[string]string{}
	for _, f := range Fields {
		for _, n := range append([]string{f.Code, f.Name}, f.Synonyms...) {
			byNorm[pipeline.NormColumn(n)] = f.Code
		}
	}
	m := Columns{}
	var extra []string
	user := map[string]string{}
	for their, our := range opt.Map {
		code, ok := byNorm[pipeline.NormColumn(our)]
		if !ok {
			problems = append(problems, Problem{FeatureID: -1, Field: "map", Value: their + "=" + our, Problem: "未知字段 " + our + "（应为 JCBH 之类的代码或 监测编号 之类的名称）"})
			continue
		}
		user[pipeline.NormColumn(their)] = code
	}
	sorted := slices.Clone(cols)
	sort.Strings(sorted)
	for _, c := range sorted {
		code, ok := user[pipeline.NormColumn(c)]
		if !ok {
			code, ok = byNorm[pipeline.NormColumn(c)]
		}
		if !ok {
			extra = append(extra, c)
			continue
		}
		if prev, dup := m[code]; dup {
			problems = append(problems, Problem{FeatureID: -1, Field: code, Value: prev + ", " + c, Problem: "两列都可作为 " + code + "：请用字段映射（--map）指定其一"})
			continue
		}
		m[code] = c
	}
	for their := range opt.Map {
		if !slices.ContainsFunc(cols, func(c string) bool { return pipeline.NormColumn(c) == pipeline.NormColumn(their) }) {
			problems = append(problems, Problem{FeatureID: -1, Field: "map", Value: their, Problem: "文件中没有这一列"})
		}
	}
	for _, f := range Fields {
		if f.Required && m[f.Code] == "" {
			problems = append(problems, Problem{FeatureID: -1, Field: f.Code, Problem: fmt.Sprintf("缺少必填字段 %s（%s）：请用字段映射指定（--map '原列名=%s'）", f.Code, f.Name, f.Code)})
		}
	}
	return m, extra, problems
}

var xzqdm = regexp.MustCompile(`^[0-9]{6}([0-9]{3}([0-9]{3})?)?$`)

// Read reads a package's features: it maps the columns, checks every
// feature (JCBH present and unique, a known TBLX code, valid dates and
// areas, an XZQDM of 6, 9 or 12 digits, text that decoded cleanly, a
// geometry) and returns the patches. Any problem refuses the whole package
// with an *ImportError listing them all.
func Read(raw []pipeline.RawZone, batch pipeline.Issued, opt Options) ([]Patch, Columns, error) {
	if len(raw) == 0 {
		return nil, nil, &ImportError{[]Problem{{FeatureID: -1, Problem: "下发包中没有要素"}}}
	}
	colSet := map[string]bool{}
	for _, r := range raw {
		for k := range r.Attrs {
			colSet[k] = true
		}
	}
	cols := make([]string, 0, len(colSet))
	for c := range colSet {
		cols = append(cols, c)
	}
	m, extra, problems := MapColumns(cols, opt)
	if len(problems) > 0 {
		return nil, m, &ImportError{problems}
	}
	codes := map[string]Code{}
	for _, c := range DefaultCodes {
		codes[c.Code] = c
	}
	for _, c := range opt.Codes {
		codes[c.Code] = c
	}
	seen := map[string]int64{}
	out := make([]Patch, 0, len(raw))
	for _, r := range raw {
		bad := func(field, value, msg string) {
			problems = append(problems, Problem{FeatureID: r.ID, JCBH: strings.TrimSpace(r.Attrs[m["JCBH"]]), Field: field, Value: value, Problem: msg})
		}
		is := batch
		is.Columns = map[string]string{}
		dates := map[string]string{}
		for _, c := range extra {
			if v := r.Attrs[c]; v != "" {
				is.Columns[c] = v
			}
		}
		for code, col := range m {
			v := strings.TrimSpace(r.Attrs[col])
			if !utf8.ValidString(v) || strings.ContainsRune(v, utf8.RuneError) {
				bad(code, strings.ToValidUTF8(v, "?"), "文字无法解码：编码不对？请指定编码（--encoding GBK 或正确的编码）")
				continue
			}
			f, _ := FieldByCode(code)
			if v == "" {
				if f.Required {
					bad(code, v, "为空：每个图斑都需要"+f.Name)
				}
				continue
			}
			raw := v // kept as issued
			switch f.Kind {
			case Date:
				d, err := parseDate(v)
				if err != nil {
					bad(code, v, "不是有效日期（应如 2026-05-01 或 20260501）")
					continue
				}
				v = d
				dates[code] = d
			case AreaM2, Number:
				x, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", ""), 64)
				if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || (f.Kind == AreaM2 && x < 0) {
					bad(code, v, "不是数字")
					continue
				}
			}
			is.Columns[code] = raw
		}
		c := is.Columns
		is.JCBH, is.XZQDM = c["JCBH"], c["XZQDM"]
		is.QSX, is.HSX, is.XFSJ, is.XJJZSJ = dates["QSX"], dates["HSX"], dates["XFSJ"], dates["XJJZSJ"]
		if is.JCBH != "" {
			if first, dup := seen[is.JCBH]; dup {
				bad("JCBH", is.JCBH, fmt.Sprintf("监测编号重复：要素 %d 的 JCBH 相同", first))
			}
			seen[is.JCBH] = r.ID
		}
		if is.XZQDM != "" && !xzqdm.MatchString(is.XZQDM) {
			bad("XZQDM", is.XZQDM, "应为 6、9 或 12 位数字")
		}
		if t := c["TBLX"]; t != "" {
			code, ok := codes[t]
			if !ok {
				// A name instead of a code is accepted when unambiguous.
				for _, k := range DefaultCodes {
					if k.Name == t {
						code, ok = k, true
						break
					}
				}
			}
			if !ok {
				bad("TBLX", t, "未知的图斑类型代码（已知："+knownCodes(codes)+"；其他代码请用 --tblx-codes 'XX=名称=类型' 补充）")
			} else {
				is.TBLX, is.TBLXName, is.Type = code.Code, code.Name, code.Type
			}
		}
		if is.QSX != "" && is.HSX != "" && is.HSX < is.QSX {
			bad("HSX", is.HSX, "后时相早于前时相 "+is.QSX)
		}
		is.JCMJ, _ = strconv.ParseFloat(c["JCMJ"], 64)
		is.JCGDMJ, _ = strconv.ParseFloat(c["JCGDMJ"], 64)
		is.YJJBNTMJ, _ = strconv.ParseFloat(c["YJJBNTMJ"], 64)
		if len(r.Geometry) == 0 {
			bad("geometry", "", "没有面要素")
		}
		is.Geometry = r.Geometry
		out = append(out, Patch{FID: r.ID, Issued: is, Geometry: r.Geometry})
	}
	if len(problems) > 0 {
		return nil, m, &ImportError{problems}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Issued.JCBH < out[j].Issued.JCBH })
	return out, m, nil
}

func knownCodes(codes map[string]Code) string {
	ks := make([]string, 0, len(codes))
	for k := range codes {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, " ")
}

// parseDate accepts the zone imports' date forms and returns YYYY-MM-DD.
func parseDate(s string) (string, error) {
	// A date-time keeps its day.
	if i := strings.IndexAny(s, " T"); i == 10 {
		s = s[:10]
	}
	return pipeline.ParseZoneDate(s)
}

// Largest returns the largest part of an outline (by planar area in
// degrees, enough to rank the parts of one 图斑).
func Largest(mp orb.MultiPolygon) orb.Polygon {
	var best orb.Polygon
	ba := -1.0
	for _, p := range mp {
		if a := planar.Area(p); a > ba {
			best, ba = p, a
		}
	}
	return best
}

// ErrNoPackage is returned when a directory holds no vector file.
var ErrNoPackage = fmt.Errorf("xiafa: no vector file (.shp, .gdb, .gpkg, .geojson) in the package: %w", pipeline.ErrInvalid)
