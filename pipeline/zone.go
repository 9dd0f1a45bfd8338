package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline/geodesy"
)

// ZoneKind is the kind of a zone layer: the ground a change patch is judged
// against. Its String is the Chinese name the users know (耕地, 巡查区, …),
// its Code a stable ASCII name for storage and JSON. The zero value is not
// a kind.
type ZoneKind uint8

// The zone kinds.
const (
	ZoneCultivated    ZoneKind = iota + 1 // 耕地: cultivated land
	ZoneBasicFarmland                     // 永久基本农田: permanent basic farmland
	ZoneEcoRedLine                        // 生态保护红线: ecological protection red line
	ZoneAdmin                             // 行政区: township and village boundaries
	ZonePatrol                            // 巡查区: patrol zones (分片包干)
	ZoneApproval                          // 批准用地: approved land use
	ZoneLandUse                           // 地类: the land-use survey (三调/变更调查 DLTB)
)

type zoneKindInfo struct {
	label, code string
	aliases     []string
}

var zoneKinds = map[ZoneKind]zoneKindInfo{
	ZoneCultivated:    {"耕地", "cultivated", []string{"cultivated_land", "arable", "gd", "耕地图斑"}},
	ZoneBasicFarmland: {"永久基本农田", "basic_farmland", []string{"permanent_basic_farmland", "basicfarmland", "pbf", "yjjbnt", "jbnt", "基本农田"}},
	ZoneEcoRedLine:    {"生态保护红线", "eco_redline", []string{"ecological_redline", "ecological_red_line", "eco_red_line", "redline", "red_line", "stbhhx", "生态红线"}},
	ZoneAdmin:         {"行政区", "admin", []string{"administrative", "boundary", "boundaries", "township", "village", "xzq", "行政区划", "行政界线"}},
	ZonePatrol:        {"巡查区", "patrol", []string{"patrol_zone", "patrol_zones", "patrol_area", "xcq", "巡查区域", "巡查片区", "网格"}},
	ZoneApproval:      {"批准用地", "approval", []string{"approvals", "approved", "approved_land", "pzyd", "审批用地", "用地审批", "用地批准"}},
	ZoneLandUse:       {"地类", "land_use", []string{"landuse", "dltb", "地类图斑", "三调", "变更调查", "国土调查"}},
}

// ZoneKinds returns every kind, in a fixed order.
func ZoneKinds() []ZoneKind {
	return []ZoneKind{ZoneCultivated, ZoneBasicFarmland, ZoneEcoRedLine, ZoneAdmin, ZonePatrol, ZoneApproval, ZoneLandUse}
}

// Valid reports whether k is one of the kinds.
func (k ZoneKind) Valid() bool { _, ok := zoneKinds[k]; return ok }

// String returns the Chinese name of the kind, e.g. "永久基本农田".
func (k ZoneKind) String() string {
	if i, ok := zoneKinds[k]; ok {
		return i.label
	}
	return fmt.Sprintf("ZoneKind(%d)", uint8(k))
}

// Code returns the stable ASCII name of the kind, e.g. "basic_farmland";
// "" for an invalid kind.
func (k ZoneKind) Code() string { return zoneKinds[k].code }

// Aliases returns the other names ParseZoneKind accepts for k.
func (k ZoneKind) Aliases() []string { return slices.Clone(zoneKinds[k].aliases) }

// MarshalText returns Code.
func (k ZoneKind) MarshalText() ([]byte, error) {
	if !k.Valid() {
		return nil, fmt.Errorf("pipeline: invalid zone kind %d", uint8(k))
	}
	return []byte(k.Code()), nil
}

// UnmarshalText accepts what ParseZoneKind accepts.
func (k *ZoneKind) UnmarshalText(b []byte) error {
	v, err := ParseZoneKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// ParseZoneKind returns the kind named s: its Chinese name (耕地), its code
// (cultivated) or an alias (case, spaces and hyphens ignored). The error
// wraps ErrInvalid and lists the kinds.
func ParseZoneKind(s string) (ZoneKind, error) {
	n := normKindName(s)
	for _, k := range ZoneKinds() {
		i := zoneKinds[k]
		if n == normKindName(i.label) || n == i.code {
			return k, nil
		}
		for _, a := range i.aliases {
			if n == normKindName(a) {
				return k, nil
			}
		}
	}
	var names []string
	for _, k := range ZoneKinds() {
		names = append(names, k.String()+" ("+k.Code()+")")
	}
	return 0, fmt.Errorf("%w: zone kind %q: want one of %s", ErrInvalid, s, strings.Join(names, ", "))
}

func normKindName(s string) string {
	s = strings.ToLower(strings.TrimSpace(foldWidth(s)))
	return strings.NewReplacer("-", "_", " ", "_").Replace(s)
}

// ApprovalType is the type of a land-use approval (批准类型).
type ApprovalType string

// The approval types. ApprovalConversionExpropriation is the one approval
// document of both (农用地转用和土地征收), common for batches of urban land.
const (
	ApprovalConversion              ApprovalType = "农用地转用"
	ApprovalExpropriation           ApprovalType = "土地征收"
	ApprovalConversionExpropriation ApprovalType = "农用地转用和土地征收"
	ApprovalSupply                  ApprovalType = "供地"
	ApprovalFacility                ApprovalType = "设施农用地"
	ApprovalTemporary               ApprovalType = "临时用地"
)

// ApprovalTypes returns the approval types in a fixed order.
func ApprovalTypes() []ApprovalType {
	return []ApprovalType{ApprovalConversion, ApprovalExpropriation, ApprovalConversionExpropriation, ApprovalSupply, ApprovalFacility, ApprovalTemporary}
}

var approvalVariants = map[string]ApprovalType{
	"农用地转用": ApprovalConversion, "农转用": ApprovalConversion, "农地转用": ApprovalConversion, "转用": ApprovalConversion,
	"农用地转为建设用地": ApprovalConversion, "CONVERSION": ApprovalConversion, "NZY": ApprovalConversion,
	"土地征收": ApprovalExpropriation, "征收": ApprovalExpropriation, "征地": ApprovalExpropriation, "集体土地征收": ApprovalExpropriation,
	"土地征用": ApprovalExpropriation, "EXPROPRIATION": ApprovalExpropriation, "REQUISITION": ApprovalExpropriation, "ZS": ApprovalExpropriation,
	"农用地转用和土地征收": ApprovalConversionExpropriation, "农用地转用及土地征收": ApprovalConversionExpropriation,
	"农用地转用与土地征收": ApprovalConversionExpropriation, "农转用和征收": ApprovalConversionExpropriation, "农转用及征收": ApprovalConversionExpropriation,
	"农转用征收": ApprovalConversionExpropriation, "转用和征收": ApprovalConversionExpropriation, "转用征收": ApprovalConversionExpropriation,
	"农用地转用土地征收": ApprovalConversionExpropriation, "CONVERSIONEXPROPRIATION": ApprovalConversionExpropriation,
	"供地": ApprovalSupply, "土地供应": ApprovalSupply, "供应": ApprovalSupply, "国有建设用地供应": ApprovalSupply, "建设用地供应": ApprovalSupply,
	"出让": ApprovalSupply, "划拨": ApprovalSupply, "国有土地出让": ApprovalSupply, "国有土地划拨": ApprovalSupply, "土地出让": ApprovalSupply,
	"土地划拨": ApprovalSupply, "SUPPLY": ApprovalSupply, "GD": ApprovalSupply,
	"设施农用地": ApprovalFacility, "设施农业用地": ApprovalFacility, "设施农业": ApprovalFacility, "FACILITY": ApprovalFacility, "SSNYD": ApprovalFacility,
	"临时用地": ApprovalTemporary, "临时使用土地": ApprovalTemporary, "临时使用": ApprovalTemporary, "临时": ApprovalTemporary,
	"TEMPORARY": ApprovalTemporary, "TEMP": ApprovalTemporary, "LSYD": ApprovalTemporary,
}

// ParseApprovalType returns the approval type written s, accepting close
// variants (农转用, 征地, 出让, 划拨, 设施农业用地, 临时使用土地, …, a
// trailing 审批/批准/备案/手续, English names).
func ParseApprovalType(s string) (ApprovalType, bool) {
	n := strings.ToUpper(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || strings.ContainsRune("_-·、", r) {
			return -1
		}
		return r
	}, foldWidth(s)))
	for {
		t, ok := approvalVariants[n]
		if ok {
			return t, true
		}
		cut := false
		for _, suf := range []string{"审批", "批准", "备案", "手续", "批复", "用地"} {
			if strings.HasSuffix(n, suf) && len(n) > len(suf) {
				n, cut = strings.TrimSuffix(n, suf), true
				break
			}
		}
		if !cut {
			return "", false
		}
	}
}

// Zone is one feature of a zone layer, its attributes in canonical form.
// Which attributes are set depends on Kind (see ZoneFields).
type Zone struct {
	// ID is the feature's ID in the imported file (OGR FID), unique in
	// its layer version.
	ID   int64
	Kind ZoneKind
	// Name is the zone's name (名称); for 行政区 the XZQMC.
	Name string
	// XZQDM (6, 9 or 12 digits: county, township, village) and XZQMC are
	// the administrative code and name.
	XZQDM, XZQMC string
	// DLBM and DLMC are the land-class code and name (地类编码/地类名称)
	// of 耕地 and 永久基本农田 parcels.
	DLBM, DLMC string
	// Grade is the patrol grade of a 巡查区: 1, 2 or 3 (一级/二级/三级);
	// 0 for other kinds.
	Grade Grade
	// Team (巡查组/中队), Person (责任人) and Contact (联系方式) of a 巡查区.
	Team, Person, Contact string
	// ApprovalNo (批准文号), ApprovalType, ApprovedAreaM2 (批准面积, m²)
	// and ApprovedUse (用途) of a 批准用地.
	ApprovalNo     string
	ApprovalType   ApprovalType
	ApprovedAreaM2 float64
	ApprovedUse    string
	// ValidFrom and ValidTo bound an approval's validity (有效期起/止), as
	// YYYY-MM-DD; ValidTo "" is open-ended.
	ValidFrom, ValidTo string
	// Attrs holds the file's other non-empty columns, for display.
	Attrs map[string]string
	// Geometry is in WGS84 lon/lat degrees, valid, non-empty.
	Geometry orb.MultiPolygon
}

// Label returns a short name for the zone: its Name, else its XZQMC,
// ApprovalNo or DLMC, else "#ID".
func (z Zone) Label() string {
	for _, s := range []string{z.Name, z.XZQMC, z.ApprovalNo, z.DLMC} {
		if s != "" {
			return s
		}
	}
	return "#" + strconv.FormatInt(z.ID, 10)
}

// ZoneSet is the active layer of each kind and its version, as judging
// and reconciliation take them.
type ZoneSet struct {
	Layers   map[ZoneKind][]Zone
	Versions map[ZoneKind]int
}

// ZoneLayer is one version of the layer of a kind: everything one import
// of a file gave.
type ZoneLayer struct {
	Kind ZoneKind
	// Version counts the imports of the kind from 1; the store assigns it
	// (0 before import).
	Version int
	// Name labels the import for people, e.g. "2026年三调耕地".
	Name string
	// Source is the file (and layer) the zones came from.
	Source string
	// ImportedAt is set by the store (UTC).
	ImportedAt time.Time
	// Fields maps each canonical field (e.g. "责任人") to the file column
	// it was read from.
	Fields map[string]string
	// Problems are the warnings of the import and the features left out
	// (with --skip-invalid), so that the history explains itself.
	Problems []ZoneProblem
	Zones    []Zone
}

// Info returns the layer's description (Features from len(Zones), Active
// false).
func (l ZoneLayer) Info() ZoneLayerInfo {
	return ZoneLayerInfo{Kind: l.Kind, Version: l.Version, Name: l.Name, Source: l.Source,
		ImportedAt: l.ImportedAt, Fields: l.Fields, Problems: l.Problems, Features: len(l.Zones), Bound: ZonesBound(l.Zones)}
}

// ZoneLayerInfo describes a stored layer version without its zones.
type ZoneLayerInfo struct {
	Kind       ZoneKind
	Version    int
	Name       string
	Source     string
	ImportedAt time.Time
	Fields     map[string]string
	Problems   []ZoneProblem
	// Features is the number of zones.
	Features int
	// Active is true for the version overlays use now.
	Active bool
	// Bound is the lon/lat extent of the zones.
	Bound orb.Bound
}

// ZonesBound returns the lon/lat extent of zones (the zero Bound for none).
func ZonesBound(zones []Zone) orb.Bound {
	var b orb.Bound
	for i, z := range zones {
		if i == 0 {
			b = z.Geometry.Bound()
			continue
		}
		b = b.Union(z.Geometry.Bound())
	}
	return b
}

// ZoneStore is what the pipeline needs of the stored zone layers: the
// active version of each kind. Patches record the versions they were judged
// against.
type ZoneStore interface {
	// ActiveZones returns the active version of kind's layer, or
	// ErrNotFound when none was imported.
	ActiveZones(ctx context.Context, kind ZoneKind) (ZoneLayer, error)
	// ActiveZoneVersions returns the active version of every kind that
	// has one.
	ActiveZoneVersions(ctx context.Context) (map[ZoneKind]int, error)
}

// Canonical field names (the --map targets). Each also answers to its Code
// and synonyms (see ZoneFields).
const (
	FieldName         = "名称"
	FieldXZQDM        = "行政区代码"
	FieldXZQMC        = "行政区名称"
	FieldDLBM         = "地类编码"
	FieldDLMC         = "地类名称"
	FieldGrade        = "等级"
	FieldTeam         = "巡查组"
	FieldPerson       = "责任人"
	FieldContact      = "联系方式"
	FieldApprovalNo   = "批准文号"
	FieldApprovalType = "批准类型"
	FieldAreaM2       = "批准面积"
	FieldAreaMu       = "批准面积亩"
	FieldUse          = "用途"
	FieldValidFrom    = "有效期起"
	FieldValidTo      = "有效期止"
)

// ZoneField describes one canonical attribute of a kind of zone.
type ZoneField struct {
	// Name is the canonical name (e.g. "责任人"), Code the usual column
	// code in the practice's tables (e.g. "ZRR").
	Name, Code string
	// Required fields must be found in the file (by name, code, synonym
	// or --map), and their values must be non-empty.
	Required bool
	// Synonyms are further column names recognised automatically.
	Synonyms []string
	// Help says, in Chinese, what the field holds and which values are
	// accepted.
	Help string
}

func nameField(syn ...string) ZoneField {
	return ZoneField{Name: FieldName, Code: "MC", Synonyms: append([]string{"NAME", "ZONE_NAME"}, syn...), Help: "巡查区、保护区、红线或项目等的名称"}
}

func xzqdmField() ZoneField {
	return ZoneField{Name: FieldXZQDM, Code: "XZQDM", Synonyms: []string{"行政区划代码", "行政代码", "区划代码", "QHDM", "XZQHDM", "XZDM", "ADCODE", "ADMIN_CODE"},
		Help: "6 位（县）、9 位（乡镇）或 12 位（村）数字代码"}
}

func xzqmcField(syn ...string) ZoneField {
	return ZoneField{Name: FieldXZQMC, Code: "XZQMC", Synonyms: append([]string{"行政区划名称", "区划名称", "QHMC", "XZQHMC", "XZMC"}, syn...), Help: "乡镇、村等行政区的名称"}
}

func dlbmField() ZoneField {
	return ZoneField{Name: FieldDLBM, Code: "DLBM", Synonyms: []string{"地类代码", "LAND_CODE"}, Help: "三调地类编码，如 0101、0102、0103"}
}

func dlmcField() ZoneField {
	return ZoneField{Name: FieldDLMC, Code: "DLMC", Synonyms: []string{"地类", "LAND_CLASS"}, Help: "地类名称，如 水田、水浇地、旱地"}
}

var zoneFieldSpecs = map[ZoneKind][]ZoneField{
	ZoneCultivated:    {nameField(), dlbmField(), dlmcField(), xzqdmField(), xzqmcField()},
	ZoneBasicFarmland: {nameField("保护区名称", "BHQMC"), dlbmField(), dlmcField(), xzqdmField(), xzqmcField()},
	ZoneEcoRedLine:    {nameField("红线名称", "HXMC"), xzqdmField(), xzqmcField()},
	ZoneAdmin: {
		withRequired(xzqdmField()),
		withRequired(xzqmcField(FieldName, "MC", "NAME")),
	},
	ZonePatrol: {
		withRequired(nameField("巡查区名称", "巡查区域", "区域名称", "片区名称", "网格名称", "QYMC", "WGMC", "XCQMC")),
		{Name: FieldGrade, Code: "DJ", Required: true, Synonyms: []string{"级别", "巡查等级", "巡查级别", "区域等级", "JB", "GRADE", "LEVEL", "XCDJ"},
			Help: "一级、二级或三级，也可写 1/2/3、一/二/三、I/II/III"},
		{Name: FieldTeam, Code: "XCZ", Required: true, Synonyms: []string{"巡查中队", "中队", "所属中队", "执法中队", "国土所", "巡查单位", "责任单位", "ZD", "TEAM", "SQUAD"},
			Help: "巡查组或中队"},
		{Name: FieldPerson, Code: "ZRR", Required: true, Synonyms: []string{"负责人", "巡查责任人", "FZR", "PERSON", "RESPONSIBLE"},
			Help: "责任人姓名"},
		{Name: FieldContact, Code: "LXFS", Synonyms: []string{"联系电话", "电话", "手机", "手机号", "LXDH", "DH", "PHONE", "TEL", "CONTACT"},
			Help: "联系电话"},
		xzqdmField(), xzqmcField(),
	},
	ZoneApproval: {
		{Name: FieldApprovalNo, Code: "PZWH", Required: true, Synonyms: []string{"文号", "批文号", "批复文号", "批准书号", "WH", "APPROVAL_NO"},
			Help: "批准文件的文号，如 豫政土〔2025〕12号"},
		{Name: FieldApprovalType, Code: "PZLX", Required: true, Synonyms: []string{"审批类型", "类型", "批复类型", "SPLX", "TYPE", "APPROVAL_TYPE"},
			Help: "农用地转用、土地征收、农用地转用和土地征收、供地、设施农用地、临时用地之一，相近写法也可"},
		{Name: FieldAreaM2, Code: "PZMJ", Synonyms: []string{"面积", "批准面积平方米", "面积平方米", "MJ", "AREA", "APPROVED_AREA"},
			Help: "单位平方米（--area-unit 亩 时为亩）；批准面积 与 批准面积亩 至少要有一列；为空或 0 表示未知"},
		{Name: FieldAreaMu, Code: "PZMJMU", Synonyms: []string{"面积亩", "MJMU", "AREA_MU"},
			Help: "单位亩（1 亩 = 10000/15 平方米）"},
		{Name: FieldUse, Code: "YT", Required: true, Synonyms: []string{"批准用途", "土地用途", "用地用途", "PZYT", "TDYT", "USE", "LAND_USE"},
			Help: "批准的土地用途"},
		{Name: FieldValidFrom, Code: "YXQQ", Required: true, Synonyms: []string{"有效期开始", "有效期自", "起始日期", "开始日期", "批准日期", "批复日期", "PZRQ", "QSRQ", "KSRQ", "VALID_FROM", "START_DATE"},
			Help: "有效期起始日，日期如 2026-01-05、2026/1/5、2026年1月5日、20260105"},
		{Name: FieldValidTo, Code: "YXQZ", Synonyms: []string{"有效期至", "有效期结束", "有效期截止", "截止日期", "终止日期", "结束日期", "到期日期", "JZRQ", "ZZRQ", "JSRQ", "VALID_TO", "END_DATE"},
			Help: "有效期截止日；为空表示长期有效（文件没有这一列时全部视为长期有效，并给出警告）"},
		nameField("项目名称", "XMMC"), xzqdmField(), xzqmcField(),
	},
	ZoneLandUse: {withRequired(dlbmField()), dlmcField(), xzqdmField(), xzqmcField()},
}

// IsConstructionLand reports whether a 三调 land-class code (DLBM) is
// 建设用地: 05 商服, 06 工矿仓储, 07 住宅, 08 公共管理与公共服务, 09 特殊,
// 10 交通运输 (but 1006 农村道路, which is 农用地), 1109 水工建筑, 1201
// 空闲地, and 20 城镇村及工矿用地 (201–205).
func IsConstructionLand(dlbm string) bool {
	d := strings.ToUpper(strings.TrimSpace(dlbm))
	switch {
	case d == "1006" || strings.HasPrefix(d, "1006"):
		return false
	case strings.HasPrefix(d, "05"), strings.HasPrefix(d, "06"), strings.HasPrefix(d, "07"), strings.HasPrefix(d, "08"),
		strings.HasPrefix(d, "09"), strings.HasPrefix(d, "10"), strings.HasPrefix(d, "1109"), strings.HasPrefix(d, "1201"),
		strings.HasPrefix(d, "20"):
		return true
	}
	return false
}

func withRequired(f ZoneField) ZoneField { f.Required = true; return f }

// ZoneFields returns the canonical fields of kind k, required ones first
// (nil for an invalid kind). The result is the caller's.
func ZoneFields(k ZoneKind) []ZoneField {
	fs := slices.Clone(zoneFieldSpecs[k])
	for i := range fs {
		fs[i].Synonyms = slices.Clone(fs[i].Synonyms)
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Required && !fs[j].Required })
	return fs
}

// ZoneMapOptions says how to read a file's columns.
type ZoneMapOptions struct {
	// Map maps file columns to canonical fields (by name, code or
	// synonym): {"ZRR": "责任人", "DJ": "等级"}. It wins over the automatic
	// recognition.
	Map map[string]string
	// AreaUnit is the unit of the 批准面积 column: "" or "m2" (default) or
	// "亩" ("mu"). 批准面积亩 is always in 亩.
	AreaUnit string
}

// ZoneFieldMap is how the columns of one file map to a kind's canonical
// fields.
type ZoneFieldMap struct {
	Kind ZoneKind
	// Columns maps canonical field name → file column.
	Columns map[string]string
	// AreaInMu is true when the 批准面积 column is in 亩.
	AreaInMu bool
	// AreaUnitGiven is true when the unit was stated (ZoneMapOptions.AreaUnit).
	AreaUnitGiven bool
	// Notes say how ambiguities were resolved (two columns that could be
	// the same field).
	Notes []string
}

// ParseFieldMap parses a --map value: "their=our,their2=our2" (also ;
// and full-width ，；＝ as separators).
func ParseFieldMap(s string) (map[string]string, error) {
	s = strings.NewReplacer("，", ",", "；", ",", ";", ",", "＝", "=").Replace(s)
	out := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		their, our, ok := strings.Cut(part, "=")
		their, our = strings.TrimSpace(their), strings.TrimSpace(our)
		if !ok || their == "" || our == "" {
			return nil, fmt.Errorf("%w: %q：应为 原列名=字段，如 ZRR=责任人", ErrInvalid, part)
		}
		if _, dup := out[their]; dup {
			return nil, fmt.Errorf("%w: 列 %s 映射了两次", ErrInvalid, their)
		}
		out[their] = our
	}
	return out, nil
}

// normColumn folds a column name for matching: full-width to ASCII, upper
// case, without spaces, underscores, hyphens, dots, slashes or brackets.
func normColumn(s string) string {
	return strings.ToUpper(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || strings.ContainsRune("_-./()[]（）【】·", r) {
			return -1
		}
		return r
	}, foldWidth(s)))
}

// fieldByName returns the canonical field of kind named s (its name, code
// or a synonym).
func fieldByName(k ZoneKind, s string) (ZoneField, bool) {
	n := normColumn(s)
	for _, f := range zoneFieldSpecs[k] {
		for _, c := range f.names() {
			if normColumn(c) == n {
				return f, true
			}
		}
	}
	return ZoneField{}, false
}

// names returns the field's name, code and synonyms in priority order.
func (f ZoneField) names() []string {
	return append([]string{f.Name, f.Code}, f.Synonyms...)
}

// MapZoneFields decides which file column holds each canonical field of
// kind: the --map entries first, then the columns whose name is a field's
// name, code or synonym (case, width, spaces, underscores and brackets
// ignored). The error (wrapping ErrInvalid) names what is missing or
// wrong, the columns the file has, and how to map them.
func MapZoneFields(kind ZoneKind, columns []string, opt ZoneMapOptions) (ZoneFieldMap, error) {
	if !kind.Valid() {
		return ZoneFieldMap{}, fmt.Errorf("%w: zone kind %d", ErrInvalid, uint8(kind))
	}
	fm := ZoneFieldMap{Kind: kind, Columns: map[string]string{}}
	switch strings.ToLower(strings.TrimSpace(foldWidth(opt.AreaUnit))) {
	case "", "m2", "m²", "平方米", "㎡", "sqm":
		fm.AreaUnitGiven = opt.AreaUnit != ""
	case "亩", "mu":
		fm.AreaInMu, fm.AreaUnitGiven = true, true
	default:
		return ZoneFieldMap{}, fmt.Errorf("%w: 面积单位 %q：应为 m2 或 亩（mu）", ErrInvalid, opt.AreaUnit)
	}
	cols := slices.Clone(columns)
	slices.Sort(cols)
	used := map[string]bool{}
	findColumn := func(name string) (string, bool) {
		for _, c := range cols {
			if c == name {
				return c, true
			}
		}
		for _, c := range cols {
			if normColumn(c) == normColumn(name) {
				return c, true
			}
		}
		return "", false
	}
	// Explicit mappings, in a fixed order.
	theirs := make([]string, 0, len(opt.Map))
	for their := range opt.Map {
		theirs = append(theirs, their)
	}
	slices.Sort(theirs)
	for _, their := range theirs {
		our := opt.Map[their]
		f, ok := fieldByName(kind, our)
		if !ok {
			return ZoneFieldMap{}, fmt.Errorf("%w: --map %s=%s：%s 没有字段 %q；其字段为 %s", ErrInvalid, their, our, kind, our, fieldList(kind))
		}
		col, ok := findColumn(their)
		if !ok {
			return ZoneFieldMap{}, fmt.Errorf("%w: --map %s=%s：文件中没有列 %q；文件的列为 %s", ErrInvalid, their, our, their, columnList(cols))
		}
		if prev, dup := fm.Columns[f.Name]; dup {
			return ZoneFieldMap{}, fmt.Errorf("%w: --map：%s 和 %s 都映射到了 %s", ErrInvalid, prev, col, f.Name)
		}
		fm.Columns[f.Name] = col
		used[col] = true
	}
	// Automatic recognition: the best-ranked name wins; ties go to the
	// first column in sorted order, and are noted.
	for _, f := range zoneFieldSpecs[kind] {
		if _, done := fm.Columns[f.Name]; done {
			continue
		}
		var found []string
		for _, name := range f.names() {
			for _, c := range cols {
				if !used[c] && normColumn(c) == normColumn(name) && !slices.Contains(found, c) {
					found = append(found, c)
				}
			}
		}
		if len(found) == 0 {
			continue
		}
		fm.Columns[f.Name] = found[0]
		used[found[0]] = true
		if len(found) > 1 {
			fm.Notes = append(fm.Notes, fmt.Sprintf("%s 取自列 %s；列 %s 也可能是%s（可用 --map 列名=%s 指定）",
				f.Name, found[0], strings.Join(found[1:], "、"), f.Name, f.Name))
		}
	}
	var missing []string
	for _, f := range ZoneFields(kind) {
		if f.Required {
			if _, ok := fm.Columns[f.Name]; !ok {
				missing = append(missing, fmt.Sprintf("%s（列名也可为 %s）", f.Name, strings.Join(f.names()[1:], "、")))
			}
		}
	}
	if kind == ZoneApproval {
		_, m2 := fm.Columns[FieldAreaM2]
		_, mu := fm.Columns[FieldAreaMu]
		switch {
		case !m2 && !mu:
			missing = append(missing, FieldAreaM2+"（平方米；--area-unit 亩 时为亩）或 "+FieldAreaMu)
		case m2 && mu:
			fm.Notes = append(fm.Notes, fmt.Sprintf("同时有 %s（列 %s）和 %s（列 %s）：使用 %s", FieldAreaM2, fm.Columns[FieldAreaM2], FieldAreaMu, fm.Columns[FieldAreaMu], FieldAreaM2))
			delete(fm.Columns, FieldAreaMu)
		}
		if _, ok := fm.Columns[FieldValidTo]; !ok {
			fm.Notes = append(fm.Notes, fmt.Sprintf("没有 %s 列：所有批准用地均视为长期有效（如有截止日期列，请用 --map 列名=%s 映射）", FieldValidTo, FieldValidTo))
		}
	}
	if len(missing) > 0 {
		return ZoneFieldMap{}, fmt.Errorf("%w: %s 缺少必填字段 %s；文件的列为 %s：请用 --map '列名=字段,…' 映射",
			ErrInvalid, kind, strings.Join(missing, "；"), columnList(cols))
	}
	return fm, nil
}

func fieldList(k ZoneKind) string {
	var s []string
	for _, f := range ZoneFields(k) {
		s = append(s, f.Name+"（"+f.Code+"）")
	}
	return strings.Join(s, "、")
}

func columnList(cols []string) string {
	if len(cols) == 0 {
		return "（无）"
	}
	return strings.Join(cols, "、")
}

// RawZone is a feature as read from a file: its ID, its columns as text and
// its WGS84 geometry.
type RawZone struct {
	ID       int64
	Attrs    map[string]string
	Geometry orb.MultiPolygon
}

// ZoneProblem is something wrong with one feature (or the layer) of an
// import.
type ZoneProblem struct {
	// FeatureID is the feature's ID in the file, -1 for the layer.
	FeatureID int64 `json:"fid"`
	// Field is the canonical field ("" for the geometry or the layer),
	// Value the offending value.
	Field string `json:"field,omitempty"`
	Value string `json:"value,omitempty"`
	// Problem says, in Chinese, what is wrong and what was expected.
	Problem string `json:"problem"`
	// Warning is true when the feature is imported anyway (e.g. a
	// repaired geometry); false when it cannot be.
	Warning bool `json:"warning,omitempty"`
}

// String says the problem in Chinese, naming the feature, the field (with
// its code in the practice's tables) and the value, e.g.
// `要素 12：行政区代码（XZQDM）"4107"：应为 6、9 或 12 位数字（县、乡镇、村代码）`;
// a warning ends in "（警告）".
func (p ZoneProblem) String() string {
	var b strings.Builder
	if p.FeatureID >= 0 {
		fmt.Fprintf(&b, "要素 %d：", p.FeatureID)
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		code := fieldCode(p.Field)
		if code != "" {
			b.WriteString("（" + code + "）")
		}
		if p.Value != "" {
			if code == "" {
				b.WriteString(" ")
			}
			fmt.Fprintf(&b, "%q", p.Value)
		}
		b.WriteString("：")
	}
	b.WriteString(p.Problem)
	if p.Warning {
		b.WriteString("（警告）")
	}
	return b.String()
}

// fieldCode returns the code of the canonical field named name (e.g.
// "XZQDM" for "行政区代码"), or "".
func fieldCode(name string) string {
	for _, k := range ZoneKinds() {
		for _, f := range zoneFieldSpecs[k] {
			if f.Name == name {
				return f.Code
			}
		}
	}
	return ""
}

// ZoneImportSpec is one import of a file as a zone layer.
type ZoneImportSpec struct {
	Kind ZoneKind
	// Name and Source become the layer's.
	Name, Source string
	ZoneMapOptions
	// SkipInvalid imports the valid features when some are not, recording
	// the others in the layer's Problems. Without it one invalid feature
	// refuses the whole import.
	SkipInvalid bool
	// ReadProblems are the problems of reading the file (repaired or
	// left-out geometries); they count like the attribute problems.
	ReadProblems []ZoneProblem
}

// ZoneImportError refuses a whole import: it lists every problem found, so
// that the file can be fixed in one go. It wraps ErrInvalid.
type ZoneImportError struct {
	Kind     ZoneKind
	Source   string
	Problems []ZoneProblem // errors first, in feature order
	// Errors is how many of Problems are errors (not warnings).
	Errors int
}

func (e *ZoneImportError) Error() string {
	first := ""
	for _, p := range e.Problems {
		if !p.Warning {
			first = p.String()
			break
		}
	}
	return fmt.Sprintf("%s：不能作为%s导入，什么也没有导入：%d 处要素错误，第一处 %s（请改正文件，或用 --skip-invalid 只导入有效的要素）",
		e.Source, e.Kind, e.Errors, first)
}

func (e *ZoneImportError) Unwrap() error { return ErrInvalid }

// BuildZoneLayer maps and validates raw features into a layer for the
// store, applying the import policy:
//
//   - file-level faults (no mappable required field, unknown --map
//     target, an approved area that is evidently in the other unit) are
//     returned as an error wrapping ErrInvalid, and nothing is imported;
//   - feature-level faults (an invalid value, a required value missing, an
//     unrepairable geometry, a duplicate ID) refuse the whole import with a
//     *ZoneImportError listing them all, unless spec.SkipInvalid: then the
//     valid features make the layer and the rest are listed in its
//     Problems;
//   - warnings (repaired geometries, notes on the mapping) never refuse,
//     and are kept in the layer's Problems.
//
// A layer with no valid feature is always refused.
func BuildZoneLayer(spec ZoneImportSpec, raw []RawZone) (ZoneLayer, error) {
	if len(raw) == 0 {
		return ZoneLayer{}, fmt.Errorf("%w: %s：没有可作为%s导入的要素", ErrInvalid, spec.Source, spec.Kind)
	}
	cols := map[string]bool{}
	for _, r := range raw {
		for k := range r.Attrs {
			cols[k] = true
		}
	}
	colList := make([]string, 0, len(cols))
	for c := range cols {
		colList = append(colList, c)
	}
	fm, err := MapZoneFields(spec.Kind, colList, spec.ZoneMapOptions)
	if err != nil {
		return ZoneLayer{}, fmt.Errorf("%s: %w", spec.Source, err)
	}
	zones, problems, err := NormalizeZones(fm, raw)
	if err != nil {
		return ZoneLayer{}, fmt.Errorf("%s: %w", spec.Source, err)
	}
	all := slices.Clone(spec.ReadProblems)
	for _, n := range fm.Notes {
		all = append(all, ZoneProblem{FeatureID: -1, Problem: n, Warning: true})
	}
	all = append(all, problems...)
	sortProblems(all)
	nErr := 0
	for _, p := range all {
		if !p.Warning {
			nErr++
		}
	}
	if len(zones) == 0 || (nErr > 0 && !spec.SkipInvalid) {
		return ZoneLayer{}, &ZoneImportError{Kind: spec.Kind, Source: spec.Source, Problems: all, Errors: nErr}
	}
	return ZoneLayer{Kind: spec.Kind, Name: spec.Name, Source: spec.Source, Fields: fm.Columns, Problems: all, Zones: zones}, nil
}

// sortProblems puts errors first, then by feature, keeping the order of
// each feature's problems.
func sortProblems(ps []ZoneProblem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Warning != ps[j].Warning {
			return !ps[i].Warning
		}
		return ps[i].FeatureID < ps[j].FeatureID
	})
}

// NormalizeZones turns raw features into zones with fm, validating every
// value. It returns the valid zones (in input order) and the problems of
// the others (and warnings); a feature with any non-warning problem is not
// among the zones. The error is a layer-level refusal (wrapping
// ErrInvalid): an approved area that is evidently in the other unit.
func NormalizeZones(fm ZoneFieldMap, raw []RawZone) ([]Zone, []ZoneProblem, error) {
	var zones []Zone
	var problems []ZoneProblem
	seen := map[int64]bool{}
	canon := map[string]bool{}
	for _, c := range fm.Columns {
		canon[c] = true
	}
	for _, r := range raw {
		z := Zone{ID: r.ID, Kind: fm.Kind, Geometry: r.Geometry}
		bad := false
		fail := func(field, value, format string, args ...any) {
			problems = append(problems, ZoneProblem{FeatureID: r.ID, Field: field, Value: value, Problem: fmt.Sprintf(format, args...)})
			bad = true
		}
		warn := func(field, value, format string, args ...any) {
			problems = append(problems, ZoneProblem{FeatureID: r.ID, Field: field, Value: value, Problem: fmt.Sprintf(format, args...), Warning: true})
		}
		if seen[r.ID] {
			fail("", "", "要素 ID 重复")
		}
		seen[r.ID] = true
		if len(r.Geometry) == 0 {
			fail("", "", "没有几何图形：应为有面积的面（多边形）")
		}
		get := func(field string) (string, bool) {
			col, ok := fm.Columns[field]
			if !ok {
				return "", false
			}
			return strings.TrimSpace(r.Attrs[col]), true
		}
		for _, f := range zoneFieldSpecs[fm.Kind] {
			v, ok := get(f.Name)
			if !ok {
				continue
			}
			if v == "" {
				switch {
				case f.Name == FieldAreaM2 || f.Name == FieldAreaMu:
					warn(f.Name, "", "为空：批准面积记为未知（0）")
				case f.Required:
					fail(f.Name, "", "为空：%s 为必填项（%s）", f.Name, f.Help)
				}
				continue
			}
			switch f.Name {
			case FieldName:
				z.Name = v
			case FieldXZQDM:
				if !isAdminCode(v) {
					fail(f.Name, v, "应为 6、9 或 12 位数字（县、乡镇、村代码）")
				}
				z.XZQDM = v
			case FieldXZQMC:
				z.XZQMC = v
			case FieldDLBM:
				z.DLBM = v
			case FieldDLMC:
				z.DLMC = v
			case FieldGrade:
				g, ok := ParseGrade(v)
				if !ok {
					fail(f.Name, v, "应为 一级、二级或三级（也可写 1/2/3、一/二/三、I/II/III）")
				}
				z.Grade = g
			case FieldTeam:
				z.Team = v
			case FieldPerson:
				z.Person = v
			case FieldContact:
				z.Contact = v
			case FieldApprovalNo:
				z.ApprovalNo = v
			case FieldApprovalType:
				t, ok := ParseApprovalType(v)
				if !ok {
					fail(f.Name, v, "应为 %s 之一", approvalTypeList())
				}
				z.ApprovalType = t
			case FieldAreaM2, FieldAreaMu:
				m2, err := parseArea(v, f.Name == FieldAreaMu || fm.AreaInMu)
				switch {
				case errors.Is(err, errZeroArea):
					warn(f.Name, v, "批准面积记为未知（0）")
				case err != nil:
					fail(f.Name, v, "%v", err)
				}
				z.ApprovedAreaM2 = m2
			case FieldUse:
				z.ApprovedUse = v
			case FieldValidFrom, FieldValidTo:
				d, err := ParseZoneDate(v)
				if err != nil {
					fail(f.Name, v, "%v", err)
				}
				if f.Name == FieldValidFrom {
					z.ValidFrom = d
				} else {
					z.ValidTo = d
				}
			}
		}
		if fm.Kind == ZoneAdmin {
			z.Name = z.XZQMC
		}
		if z.ValidFrom != "" && z.ValidTo != "" && z.ValidTo < z.ValidFrom {
			fail(FieldValidTo, z.ValidTo, "早于%s %s", FieldValidFrom, z.ValidFrom)
		}
		for k, v := range r.Attrs {
			if !canon[k] && strings.TrimSpace(v) != "" {
				if z.Attrs == nil {
					z.Attrs = map[string]string{}
				}
				z.Attrs[k] = v
			}
		}
		if !bad {
			zones = append(zones, z)
		}
	}
	problems = append(problems, duplicateWarnings(fm.Kind, zones)...)
	if fm.Kind == ZoneApproval {
		if err := checkAreaUnit(fm, zones); err != nil {
			if !fm.AreaUnitGiven {
				return nil, nil, err
			}
			problems = append(problems, ZoneProblem{FeatureID: -1, Warning: true,
				Problem: strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": ") + "（单位已指定，照此导入）"})
		}
	}
	return zones, problems, nil
}

// duplicateWarnings notes patrol zones sharing a name (patrol ledgers name
// zones, so a shared name is ambiguous there).
func duplicateWarnings(k ZoneKind, zones []Zone) []ZoneProblem {
	if k != ZonePatrol {
		return nil
	}
	first := map[string]int64{}
	var out []ZoneProblem
	for _, z := range zones {
		if id, dup := first[z.Name]; dup {
			out = append(out, ZoneProblem{FeatureID: z.ID, Field: FieldName, Value: z.Name, Warning: true,
				Problem: fmt.Sprintf("与要素 %d 同名：台帐中按名称记录的巡查分不清是哪一个巡查区", id)})
			continue
		}
		first[z.Name] = z.ID
	}
	return out
}

// checkAreaUnit reports approved areas that are evidently in the other
// unit: when the median ratio of approved area to drawn area is about
// 1/666.7 (亩 read as m²) or 666.7 (m² read as 亩). NormalizeZones refuses
// the layer then, unless the unit was stated.
func checkAreaUnit(fm ZoneFieldMap, zones []Zone) error {
	var ratios []float64
	for _, z := range zones {
		if z.ApprovedAreaM2 <= 0 || len(z.Geometry) == 0 {
			continue
		}
		c := z.Geometry.Bound().Center()
		a := geodesy.AreaMulti(geodesy.ZoneFor(c[0], c[1]), z.Geometry)
		if a > 0 {
			ratios = append(ratios, z.ApprovedAreaM2/a)
		}
	}
	if len(ratios) == 0 {
		return nil
	}
	slices.Sort(ratios)
	med := ratios[len(ratios)/2]
	col, inMu, remedy := fm.Columns[FieldAreaM2], fm.AreaInMu, "请用 --area-unit m2 指明单位"
	if col == "" {
		col, inMu = fm.Columns[FieldAreaMu], true
		remedy = fmt.Sprintf("请改为把该列映射为 %s（--map '%s=%s'）", FieldAreaM2, col, FieldAreaM2)
	}
	switch {
	case !inMu && med > 1/geodesy.SquareMetresPerMu/3 && med < 3/geodesy.SquareMetresPerMu:
		return fmt.Errorf("%w: 列 %s 的批准面积约为图形面积的 1/667（比值中位数 %.5f）：看来单位是亩而不是平方米；请用 --area-unit 亩 指明单位（如确为平方米，请用 --area-unit m2）",
			ErrInvalid, col, med)
	case inMu && med > geodesy.SquareMetresPerMu/3 && med < 3*geodesy.SquareMetresPerMu:
		return fmt.Errorf("%w: 列 %s 的批准面积按亩读取约为图形面积的 667 倍（比值中位数 %.1f）：看来单位是平方米而不是亩；%s",
			ErrInvalid, col, med, remedy)
	}
	return nil
}

func approvalTypeList() string {
	var s []string
	for _, t := range ApprovalTypes() {
		s = append(s, string(t))
	}
	return strings.Join(s, "、")
}

// isAdminCode reports whether s is a 6, 9 or 12-digit administrative code.
func isAdminCode(s string) bool {
	if n := len(s); n != 6 && n != 9 && n != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ParseGrade reads a patrol grade: 一级/二级/三级, 1/2/3, 一/二/三, 壹/贰/叁,
// I/II/III (also Ⅰ/Ⅱ/Ⅲ), with or without 级, 级区域, 类 and full-width digits.
func ParseGrade(s string) (Grade, bool) {
	n := strings.ToUpper(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, foldWidth(s)))
	n = strings.TrimPrefix(strings.TrimPrefix(n, "GRADE"), "LEVEL")
	n = strings.TrimPrefix(n, "第")
	for _, suf := range []string{"巡查区域", "巡查区", "区域", "区", "类", "级"} {
		n = strings.TrimSuffix(n, suf)
	}
	n = strings.TrimSuffix(n, "级")
	switch n {
	case "1", "一", "壹", "I", "Ⅰ":
		return 1, true
	case "2", "二", "贰", "II", "Ⅱ":
		return 2, true
	case "3", "三", "叁", "III", "Ⅲ":
		return 3, true
	}
	if f, err := strconv.ParseFloat(n, 64); err == nil && (f == 1 || f == 2 || f == 3) {
		return Grade(f), true
	}
	return 0, false
}

// ParseZoneDate reads a date written 2026-01-05, 2026/1/5, 2026.1.5,
// 20260105 or 2026年1月5日, optionally followed by a time (which is
// ignored), and returns it as YYYY-MM-DD. Years outside 1949–2199 are
// refused as typos.
func ParseZoneDate(s string) (string, error) {
	n := strings.TrimSpace(foldWidth(s))
	if i := strings.IndexAny(n, " T"); i > 0 {
		n = n[:i]
	}
	n = strings.NewReplacer("年", "-", "月", "-", "日", "", "/", "-", ".", "-").Replace(n)
	n = strings.TrimSuffix(n, "-")
	var y, m, d int
	var err error
	if len(n) == 8 && !strings.Contains(n, "-") {
		y, err = strconv.Atoi(n[:4])
		if err == nil {
			m, err = strconv.Atoi(n[4:6])
		}
		if err == nil {
			d, err = strconv.Atoi(n[6:])
		}
	} else {
		parts := strings.Split(n, "-")
		if len(parts) != 3 {
			return "", errors.New("不是日期：应如 2026-01-05、2026/1/5、2026年1月5日 或 20260105")
		}
		y, err = strconv.Atoi(parts[0])
		if err == nil {
			m, err = strconv.Atoi(parts[1])
		}
		if err == nil {
			d, err = strconv.Atoi(parts[2])
		}
	}
	if err != nil {
		return "", errors.New("不是日期：应如 2026-01-05、2026/1/5、2026年1月5日 或 20260105")
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != m || t.Day() != d {
		return "", fmt.Errorf("不存在的日期 %04d-%02d-%02d", y, m, d)
	}
	if y < 1949 || y > 2199 {
		return "", fmt.Errorf("年份 %d 不合理：应在 1949–2199 之间", y)
	}
	return t.Format("2006-01-02"), nil
}

// errZeroArea is parseArea's answer to an area of 0, which NormalizeZones
// takes as "not stated" (with a warning).
var errZeroArea = errors.New("zero area")

// parseArea reads an area; inMu says its unit unless the text names one
// (亩, m², ㎡, 平方米). It returns square metres.
func parseArea(s string, inMu bool) (float64, error) {
	n := strings.ToLower(strings.TrimSpace(foldWidth(s)))
	n = strings.ReplaceAll(n, ",", "")
	for _, u := range []string{"平方米", "m²", "㎡", "m2"} {
		if strings.HasSuffix(n, u) {
			n, inMu = strings.TrimSpace(strings.TrimSuffix(n, u)), false
			break
		}
	}
	if strings.HasSuffix(n, "亩") {
		n, inMu = strings.TrimSpace(strings.TrimSuffix(n, "亩")), true
	}
	v, err := strconv.ParseFloat(n, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errors.New("不是数字：应为面积，如 1234.5（平方米；--area-unit 亩 时为亩）")
	}
	if v == 0 {
		return 0, errZeroArea
	}
	if v < 0 {
		return 0, errors.New("应为大于 0 的面积")
	}
	if inMu {
		v *= geodesy.SquareMetresPerMu
	}
	return v, nil
}

// foldWidth maps full-width ASCII (Ａ, １, （) to ASCII and the ideographic
// space to a space.
func foldWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFF01 + '!'
		case r == 0x3000:
			return ' '
		}
		return r
	}, s)
}

// NormColumn folds a column name for matching, as the zone and 下发
// imports match columns: full-width to ASCII, upper case, without spaces,
// underscores, hyphens, dots, slashes or brackets.
func NormColumn(s string) string { return normColumn(s) }
