package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline/geodesy"
)

func TestParseZoneKind(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ZoneKind
	}{
		{"耕地", ZoneCultivated}, {"cultivated", ZoneCultivated}, {" Cultivated-Land ", ZoneCultivated},
		{"永久基本农田", ZoneBasicFarmland}, {"basic-farmland", ZoneBasicFarmland}, {"YJJBNT", ZoneBasicFarmland},
		{"生态保护红线", ZoneEcoRedLine}, {"eco_redline", ZoneEcoRedLine}, {"redline", ZoneEcoRedLine},
		{"行政区", ZoneAdmin}, {"admin", ZoneAdmin}, {"行政区划", ZoneAdmin},
		{"巡查区", ZonePatrol}, {"patrol", ZonePatrol}, {"patrol zone", ZonePatrol},
		{"批准用地", ZoneApproval}, {"approval", ZoneApproval}, {"approvals", ZoneApproval},
	} {
		got, err := ParseZoneKind(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseZoneKind(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	if _, err := ParseZoneKind("森林"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "巡查区 (patrol)") {
		t.Errorf("unknown kind: %v", err)
	}
	for _, k := range ZoneKinds() {
		b, err := k.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back ZoneKind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Errorf("%v: text %s → %v, %v", k, b, back, err)
		}
		if k.String() == "" || strings.ContainsFunc(k.Code(), func(r rune) bool { return r > 127 }) {
			t.Errorf("%d: label %q code %q", k, k.String(), k.Code())
		}
	}
	if ZoneKind(0).Valid() || ZoneKind(0).String() != "ZoneKind(0)" {
		t.Error("zero kind")
	}
}

func TestParseGrade(t *testing.T) {
	for in, want := range map[string]Grade{
		"一级": 1, "1": 1, "一": 1, "I": 1, "Ⅰ级": 1, "１": 1, "1.0": 1, "一级巡查区域": 1, " 壹 ": 1, "grade 1": 1,
		"二级": 2, "2": 2, "二": 2, "II": 2, "ii": 2, "二级区": 2,
		"三级": 3, "3": 3, "三": 3, "III": 3, "Ⅲ": 3,
		"四级": 0, "4": 0, "": 0, "高": 0, "0": 0, "1.5": 0,
	} {
		got, ok := ParseGrade(in)
		if got != want || ok != (want != 0) {
			t.Errorf("ParseGrade(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
}

func TestParseZoneDate(t *testing.T) {
	for in, want := range map[string]string{
		"2026-01-05": "2026-01-05", "2026/1/5": "2026-01-05", "2026.1.5": "2026-01-05", "20260105": "2026-01-05",
		"2026年1月5日": "2026-01-05", "2026-01-05 08:00:00": "2026-01-05", "2026-01-05T00:00:00Z": "2026-01-05",
		"２０２６年１月５日": "2026-01-05", "2024-02-29": "2024-02-29",
		"2025-02-29": "", "2026-13-01": "", "tomorrow": "", "1900-01-01": "", "2026-1": "", "45292": "",
	} {
		got, err := ParseZoneDate(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("ParseZoneDate(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestParseApprovalType(t *testing.T) {
	for in, want := range map[string]ApprovalType{
		"农用地转用": ApprovalConversion, "农转用": ApprovalConversion, "农用地转用审批": ApprovalConversion,
		"土地征收": ApprovalExpropriation, "征地": ApprovalExpropriation, "征收批复": ApprovalExpropriation,
		"农用地转用和土地征收": ApprovalConversionExpropriation, "农转用及征收": ApprovalConversionExpropriation,
		"供地": ApprovalSupply, "出让": ApprovalSupply, "划拨": ApprovalSupply, "国有建设用地供应": ApprovalSupply,
		"设施农用地": ApprovalFacility, "设施农业用地": ApprovalFacility, "设施农用地备案": ApprovalFacility,
		"临时用地": ApprovalTemporary, "临时使用土地": ApprovalTemporary, "temporary": ApprovalTemporary,
		"违法占地": "", "": "", "用地": "",
	} {
		got, ok := ParseApprovalType(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseApprovalType(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestParseArea(t *testing.T) {
	for _, tc := range []struct {
		in   string
		mu   bool
		want float64
	}{
		{"1234.5", false, 1234.5}, {"1,234.5", false, 1234.5}, {"1.5", true, 1000}, {"15亩", false, 10000},
		{"100 m²", true, 100}, {"100㎡", true, 100}, {"100平方米", true, 100}, {"１００", false, 100},
		{"abc", false, -1}, {"0", false, -1}, {"0.0亩", false, -1}, {"-5", false, -1}, {"NaN", false, -1}, {"", false, -1},
	} {
		got, err := parseArea(tc.in, tc.mu)
		if tc.want < 0 {
			if err == nil {
				t.Errorf("parseArea(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("parseArea(%q, %v) = %v, %v; want %v", tc.in, tc.mu, got, err, tc.want)
		}
	}
}

func TestParseFieldMap(t *testing.T) {
	got, err := ParseFieldMap("ZRR=责任人, DJ = 等级；电话＝联系方式")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"ZRR": "责任人", "DJ": "等级", "电话": "联系方式"}, got); diff != "" {
		t.Error(diff)
	}
	for _, bad := range []string{"ZRR", "=等级", "a=b,a=c", "x="} {
		if _, err := ParseFieldMap(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseFieldMap(%q): %v", bad, err)
		}
	}
}

func TestMapZoneFields(t *testing.T) {
	t.Run("synonyms", func(t *testing.T) {
		fm, err := MapZoneFields(ZonePatrol, []string{"NAME", "级别", "中队", "ZRR", "lxdh", "备注"}, ZoneMapOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{FieldName: "NAME", FieldGrade: "级别", FieldTeam: "中队", FieldPerson: "ZRR", FieldContact: "lxdh"}
		if diff := cmp.Diff(want, fm.Columns); diff != "" || len(fm.Notes) != 0 {
			t.Errorf("%s notes %v", diff, fm.Notes)
		}
	})
	t.Run("map wins", func(t *testing.T) {
		fm, err := MapZoneFields(ZonePatrol, []string{"NAME", "QY", "DJ", "ZD", "R1", "R2"},
			ZoneMapOptions{Map: map[string]string{"QY": "名称", "r2": "ZRR"}})
		if err != nil {
			t.Fatal(err)
		}
		if fm.Columns[FieldName] != "QY" || fm.Columns[FieldPerson] != "R2" || fm.Columns[FieldGrade] != "DJ" || fm.Columns[FieldTeam] != "ZD" {
			t.Errorf("columns %v", fm.Columns)
		}
	})
	t.Run("ambiguous noted", func(t *testing.T) {
		fm, err := MapZoneFields(ZoneAdmin, []string{"XZQDM", "NAME", "XZQMC"}, ZoneMapOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if fm.Columns[FieldXZQMC] != "XZQMC" || len(fm.Notes) != 1 || !strings.Contains(fm.Notes[0], "行政区名称 取自列 XZQMC；列 NAME 也可能是行政区名称") {
			t.Errorf("columns %v notes %v", fm.Columns, fm.Notes)
		}
	})
	t.Run("approval without end dates", func(t *testing.T) {
		fm, err := MapZoneFields(ZoneApproval, []string{"PZWH", "PZLX", "PZMJ", "YT", "YXQQ"}, ZoneMapOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(fm.Notes) != 1 || !strings.Contains(fm.Notes[0], "没有 有效期止 列：所有批准用地均视为长期有效") {
			t.Errorf("notes %v", fm.Notes)
		}
	})
	t.Run("brackets and width", func(t *testing.T) {
		fm, err := MapZoneFields(ZoneApproval, []string{"批准文号", "类型", "面积（亩）", "用途", "有效期起", "有效期至"}, ZoneMapOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if fm.Columns[FieldAreaMu] != "面积（亩）" || fm.Columns[FieldValidTo] != "有效期至" {
			t.Errorf("columns %v", fm.Columns)
		}
	})
	for _, tc := range []struct {
		name string
		kind ZoneKind
		cols []string
		opt  ZoneMapOptions
		want []string
	}{
		{"missing required", ZonePatrol, []string{"NAME", "DJ"}, ZoneMapOptions{}, []string{"缺少必填字段", "巡查组", "责任人", "DJ、NAME", "--map"}},
		{"admin missing code", ZoneAdmin, []string{"NAME"}, ZoneMapOptions{}, []string{"缺少必填字段 行政区代码（列名也可为 XZQDM", "ADCODE"}},
		{"approval no area", ZoneApproval, []string{"PZWH", "PZLX", "YT", "YXQQ", "YXQZ"}, ZoneMapOptions{}, []string{"缺少必填字段 批准面积（平方米；--area-unit 亩 时为亩）或 批准面积亩"}},
		{"approval no valid-from column", ZoneApproval, []string{"PZWH", "PZLX", "PZMJ", "YT", "YXQZ"}, ZoneMapOptions{}, []string{"缺少必填字段 有效期起（列名也可为 YXQQ"}},
		{"unknown target", ZonePatrol, []string{"A"}, ZoneMapOptions{Map: map[string]string{"A": "颜色"}}, []string{`--map A=颜色：巡查区 没有字段 "颜色"`, "责任人（ZRR）"}},
		{"unknown column", ZonePatrol, []string{"A"}, ZoneMapOptions{Map: map[string]string{"B": "责任人"}}, []string{`文件中没有列 "B"；文件的列为 A`}},
		{"two to one", ZonePatrol, []string{"A", "B"}, ZoneMapOptions{Map: map[string]string{"A": "ZRR", "B": "责任人"}}, []string{"A 和 B 都映射到了 责任人"}},
		{"bad unit", ZoneApproval, nil, ZoneMapOptions{AreaUnit: "公顷"}, []string{`面积单位 "公顷"：应为 m2 或 亩`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := MapZoneFields(tc.kind, tc.cols, tc.opt)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v: does not say %q", err, w)
				}
			}
		})
	}
}

// square returns a lon/lat square of side d degrees at lon, lat.
func square(lon, lat, d float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{lon, lat}, {lon + d, lat}, {lon + d, lat + d}, {lon, lat + d}, {lon, lat}}}}
}

func raws(attrs ...map[string]string) []RawZone {
	out := make([]RawZone, len(attrs))
	for i, a := range attrs {
		out[i] = RawZone{ID: int64(i + 1), Attrs: a, Geometry: square(113+0.01*float64(i), 34, 0.001)}
	}
	return out
}

func TestBuildZoneLayerPerKind(t *testing.T) {
	mu := geodesy.SquareMetresPerMu
	cases := []struct {
		kind  ZoneKind
		opt   ZoneMapOptions
		attrs map[string]string
		want  Zone
	}{
		{ZoneCultivated, ZoneMapOptions{}, map[string]string{"DLBM": "0103", "DLMC": "旱地", "BSM": "17"},
			Zone{DLBM: "0103", DLMC: "旱地", Attrs: map[string]string{"BSM": "17"}}},
		{ZoneBasicFarmland, ZoneMapOptions{}, map[string]string{"XZQDM": "410102", "BHTBBH": "A1"},
			Zone{XZQDM: "410102", Attrs: map[string]string{"BHTBBH": "A1"}}},
		{ZoneEcoRedLine, ZoneMapOptions{}, map[string]string{"HXMC": "黄河湿地", "类型": "湿地"},
			Zone{Name: "黄河湿地", Attrs: map[string]string{"类型": "湿地"}}},
		{ZoneAdmin, ZoneMapOptions{}, map[string]string{"QHDM": "410102001", "NAME": "东关街道"},
			Zone{Name: "东关街道", XZQDM: "410102001", XZQMC: "东关街道"}},
		{ZonePatrol, ZoneMapOptions{Map: map[string]string{"DJ1": "等级"}}, map[string]string{"名称": "东关片区", "DJ1": "一级", "中队": "第一中队", "责任人": "张三", "电话": "13800000000"},
			Zone{Name: "东关片区", Grade: 1, Team: "第一中队", Person: "张三", Contact: "13800000000"}},
		{ZoneApproval, ZoneMapOptions{AreaUnit: "亩"}, map[string]string{"PZWH": "豫政土〔2025〕12号", "PZLX": "农转用", "PZMJ": "1.5", "YT": "工业", "YXQQ": "2025/3/1", "YXQZ": ""},
			Zone{ApprovalNo: "豫政土〔2025〕12号", ApprovalType: ApprovalConversion, ApprovedAreaM2: 1.5 * mu, ApprovedUse: "工业", ValidFrom: "2025-03-01"}},
	}
	for _, tc := range cases {
		t.Run(tc.kind.Code(), func(t *testing.T) {
			raw := raws(tc.attrs)
			l, err := BuildZoneLayer(ZoneImportSpec{Kind: tc.kind, Name: "n", Source: "f.gpkg", ZoneMapOptions: tc.opt}, raw)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.ID, tc.want.Kind, tc.want.Geometry = 1, tc.kind, raw[0].Geometry
			if diff := cmp.Diff([]Zone{tc.want}, l.Zones); diff != "" {
				t.Error(diff)
			}
			if len(l.Problems) != 0 || l.Kind != tc.kind || l.Source != "f.gpkg" || len(l.Fields) == 0 {
				t.Errorf("layer %+v", l)
			}
		})
	}
}

func TestBuildZoneLayerRefusesAndSkips(t *testing.T) {
	patrol := func(name, grade string) map[string]string {
		return map[string]string{"名称": name, "等级": grade, "巡查组": "一中队", "责任人": "李四"}
	}
	raw := raws(patrol("A", "一级"), patrol("B", "四级"), patrol("C", "2"), patrol("", "3"))
	raw = append(raw, RawZone{ID: 1, Attrs: patrol("D", "1"), Geometry: square(113, 35, 0.001)})
	read := []ZoneProblem{
		{FeatureID: 9, Problem: "面几何无效，无法修复：修复后没有面积"},
		{FeatureID: 3, Problem: "已修复", Warning: true},
	}
	spec := ZoneImportSpec{Kind: ZonePatrol, Source: "p.shp", ReadProblems: read}
	_, err := BuildZoneLayer(spec, raw)
	var ie *ZoneImportError
	if !errors.As(err, &ie) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("got %v, want a ZoneImportError", err)
	}
	var got []string
	for _, p := range ie.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`要素 1：要素 ID 重复`,
		`要素 2：等级（DJ）"四级"：应为 一级、二级或三级（也可写 1/2/3、一/二/三、I/II/III）`,
		`要素 4：名称（MC）：为空：名称 为必填项（巡查区、保护区、红线或项目等的名称）`,
		`要素 9：面几何无效，无法修复：修复后没有面积`,
		`要素 3：已修复（警告）`,
	}
	if diff := cmp.Diff(want, got); diff != "" || ie.Errors != 4 {
		t.Errorf("problems (errors %d):\n%s", ie.Errors, diff)
	}
	if !strings.Contains(err.Error(), "p.shp") || !strings.Contains(err.Error(), "不能作为巡查区导入，什么也没有导入：4 处要素错误，第一处 要素 1：要素 ID 重复") || !strings.Contains(err.Error(), "--skip-invalid") {
		t.Errorf("message %q", err)
	}

	spec.SkipInvalid = true
	l, err := BuildZoneLayer(spec, raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Zones) != 2 || l.Zones[0].Name != "A" || l.Zones[1].Name != "C" || len(l.Problems) != 5 {
		t.Errorf("zones %+v problems %v", l.Zones, l.Problems)
	}

	// Nothing valid: refused even with SkipInvalid.
	if _, err := BuildZoneLayer(spec, raws(patrol("X", "五级"))); !errors.As(err, &ie) {
		t.Errorf("nothing valid: %v", err)
	}
	if _, err := BuildZoneLayer(spec, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("no features: %v", err)
	}
}

func TestNormalizeApprovals(t *testing.T) {
	appr := func(from, to, area, typ string) map[string]string {
		return map[string]string{"批准文号": "X", "批准类型": typ, "批准面积": area, "用途": "住宅", "有效期起": from, "有效期止": to}
	}
	// Areas close to the drawn ones (a 0.001° square at 34°N is ~10 270 m²).
	raw := raws(
		appr("2025-01-01", "2025-12-31", "10270", "临时用地"),
		appr("2025-06-01", "2025-01-01", "10270", "临时用地"),
		appr("2025-01-01", "", "十亩", "供地"),
		appr("2025-01-01", "2025-02-30", "10270", "拆迁"),
		appr("", "", "10270", "供地"),
		appr("2025-01-01", "", "0", "供地"),
	)
	fm, err := MapZoneFields(ZoneApproval, []string{"批准文号", "批准类型", "批准面积", "用途", "有效期起", "有效期止"}, ZoneMapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	zones, problems, err := NormalizeZones(fm, raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(zones) != 2 || zones[0].ValidTo != "2025-12-31" || zones[0].ApprovalType != ApprovalTemporary || zones[1].ID != 6 || zones[1].ApprovedAreaM2 != 0 {
		t.Errorf("zones %+v", zones)
	}
	var got []string
	for _, p := range problems {
		got = append(got, fmt.Sprintf("%d %s %v", p.FeatureID, p.Field, p.Warning))
	}
	want := []string{"2 有效期止 false", "3 批准面积 false", "4 批准类型 false", "4 有效期止 false", "5 有效期起 false", "6 批准面积 true"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems %v:\n%s", problems, diff)
	}
}

func TestApprovalAreaUnitCheck(t *testing.T) {
	appr := func(area string) map[string]string {
		return map[string]string{"PZWH": "X", "PZLX": "供地", "PZMJ": area, "YT": "住宅", "YXQQ": "2025-01-01", "YXQZ": ""}
	}
	// The squares are ~10 270 m² = ~15.4 亩: areas written in 亩.
	raw := raws(appr("15.4"), appr("15.3"), appr("15.5"))
	_, err := BuildZoneLayer(ZoneImportSpec{Kind: ZoneApproval, Source: "a.gpkg"}, raw)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "--area-unit 亩") {
		t.Fatalf("亩 read as m²: %v", err)
	}
	l, err := BuildZoneLayer(ZoneImportSpec{Kind: ZoneApproval, Source: "a.gpkg", ZoneMapOptions: ZoneMapOptions{AreaUnit: "亩"}}, raw)
	if err != nil {
		t.Fatal(err)
	}
	if a := l.Zones[0].ApprovedAreaM2; math.Abs(a-15.4*geodesy.SquareMetresPerMu) > 1e-6 {
		t.Errorf("area %v", a)
	}
	// m² read as 亩.
	_, err = BuildZoneLayer(ZoneImportSpec{Kind: ZoneApproval, Source: "a.gpkg", ZoneMapOptions: ZoneMapOptions{Map: map[string]string{"PZMJ": "批准面积亩"}}},
		raws(appr("10270"), appr("10300")))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "--map 'PZMJ=批准面积'") {
		t.Errorf("m² read as 亩: %v", err)
	}
	// With the unit stated, the suspicion is a warning.
	l, err = BuildZoneLayer(ZoneImportSpec{Kind: ZoneApproval, Source: "a.gpkg", ZoneMapOptions: ZoneMapOptions{AreaUnit: "mu"}},
		raws(appr("10270"), appr("10300")))
	if err != nil || len(l.Problems) != 1 || !l.Problems[0].Warning || !strings.Contains(l.Problems[0].Problem, "看来单位是平方米而不是亩；请用 --area-unit m2 指明单位（单位已指定，照此导入）") {
		t.Errorf("stated 亩: %v %v", err, l.Problems)
	}
}

func TestZoneProblemJSON(t *testing.T) {
	p := ZoneProblem{FeatureID: 3, Field: FieldGrade, Value: "四级", Problem: "bad"}
	b, err := json.Marshal(p)
	if err != nil || string(b) != `{"fid":3,"field":"等级","value":"四级","problem":"bad"}` {
		t.Errorf("%s %v", b, err)
	}
}

func TestPatrolDuplicateNamesWarn(t *testing.T) {
	p := map[string]string{"名称": "东关", "等级": "1", "巡查组": "一中队", "责任人": "李四"}
	l, err := BuildZoneLayer(ZoneImportSpec{Kind: ZonePatrol, Source: "p"}, raws(p, p))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Zones) != 2 || len(l.Problems) != 1 || !l.Problems[0].Warning || l.Problems[0].FeatureID != 2 ||
		l.Problems[0].String() != `要素 2：名称（MC）"东关"：与要素 1 同名：台帐中按名称记录的巡查分不清是哪一个巡查区（警告）` {
		t.Errorf("problems %v", l.Problems)
	}
}

// The problems of a feature are said in Chinese, naming the feature, the
// field with its code, the value and what was expected.
func TestZoneProblemTexts(t *testing.T) {
	admin := map[string]string{"XZQDM": "4107", "XZQMC": "东关街道"}
	_, err := BuildZoneLayer(ZoneImportSpec{Kind: ZoneAdmin, Source: "xzq.shp"}, raws(admin))
	var ie *ZoneImportError
	if !errors.As(err, &ie) || len(ie.Problems) != 1 ||
		ie.Problems[0].String() != `要素 1：行政区代码（XZQDM）"4107"：应为 6、9 或 12 位数字（县、乡镇、村代码）` {
		t.Fatalf("admin code: %v", err)
	}
	appr := map[string]string{"PZWH": "X", "PZLX": "拆迁", "PZMJ": "-5", "YT": "", "YXQQ": "2025-06-01", "YXQZ": "2025-01-01"}
	_, err = BuildZoneLayer(ZoneImportSpec{Kind: ZoneApproval, Source: "pz.shp"}, raws(appr))
	if !errors.As(err, &ie) {
		t.Fatalf("approval: %v", err)
	}
	var got []string
	for _, p := range ie.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`要素 1：批准类型（PZLX）"拆迁"：应为 农用地转用、土地征收、农用地转用和土地征收、供地、设施农用地、临时用地 之一`,
		`要素 1：批准面积（PZMJ）"-5"：应为大于 0 的面积`,
		`要素 1：用途（YT）：为空：用途 为必填项（批准的土地用途）`,
		`要素 1：有效期止（YXQZ）"2025-01-01"：早于有效期起 2025-06-01`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("approval problems:\n%s", diff)
	}
}

func ExampleBuildZoneLayer() {
	raw := []RawZone{{
		ID:       0,
		Attrs:    map[string]string{"QYMC": "东关村片区", "DJ": "一级", "ZD": "城关中队", "ZRR": "张三", "BZ": "城乡结合部"},
		Geometry: orb.MultiPolygon{{{{113.60, 34.70}, {113.61, 34.70}, {113.61, 34.71}, {113.60, 34.70}}}},
	}}
	l, err := BuildZoneLayer(ZoneImportSpec{Kind: ZonePatrol, Name: "2026年巡查区", Source: "patrol.shp"}, raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	z := l.Zones[0]
	fmt.Println(l.Kind, z.Name, z.Grade, z.Team, z.Person, z.Attrs)
	fmt.Println(l.Fields[FieldGrade], l.Fields[FieldTeam])
	// Output:
	// 巡查区 东关村片区 一级 城关中队 张三 map[BZ:城乡结合部]
	// DJ ZD
}

// An impossible day is refused in every spelling, as the ledger import
// refuses it, never rolled over to the next month.
func TestImpossibleZoneDatesRefused(t *testing.T) {
	for _, in := range []string{"2026-02-30", "2026/2/30", "2026.02.30", "20260230", "2026年2月30日", "2026-02-30 10:00:00", "2026-02-30T10:00:00Z", "2025-04-31", "2026-02-00"} {
		got, err := ParseZoneDate(in)
		if err == nil || got != "" || !strings.HasPrefix(err.Error(), "不存在的日期") {
			t.Errorf("ParseZoneDate(%q) = %q, %v; want 不存在的日期", in, got, err)
		}
	}
	fm, err := MapZoneFields(ZoneApproval, []string{"批准文号", "批准类型", "批准面积", "用途", "有效期起", "有效期止"}, ZoneMapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raw := raws(map[string]string{"批准文号": "X", "批准类型": "供地", "批准面积": "10270", "用途": "住宅", "有效期起": "2026-02-30", "有效期止": ""})
	zones, problems, err := NormalizeZones(fm, raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(zones) != 0 || len(problems) != 1 || problems[0].Field != FieldValidFrom || problems[0].Value != "2026-02-30" || problems[0].Warning ||
		problems[0].Problem != "不存在的日期 2026-02-30" {
		t.Errorf("zones %v problems %+v", zones, problems)
	}
}
