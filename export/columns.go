package export

import "strings"

// kind is how a column's values are typed and formatted.
type kind int

const (
	kText  kind = iota
	kInt        // integer, empty when zero
	kMu         // 亩, two decimals
	kM2         // m², two decimals
	kDeg        // degrees, six decimals
	kCount      // integer, 0 shown
)

// column is one attribute as every format shows it.
type column struct {
	head  string  // Chinese header, also the GeoJSON property name
	code  string  // ASCII field code (KML ExtendedData name, WithFieldCodes)
	kind  kind    //
	width float64 // XLSX column width in characters
	text  func(r *Row, o *options) string
	num   func(r *Row) float64
}

// columns are the task attributes, in display order. 序号 and the image
// columns are added by the XLSX writer.
var columns = []column{
	{head: "监测编号", code: "JCBH", width: 20, text: func(r *Row, _ *options) string { return r.JCBH }},
	{head: "行政区代码", code: "XZQDM", width: 11, text: func(r *Row, _ *options) string { return r.XZQDM }},
	{head: "乡镇", code: "XZMC", width: 12, text: func(r *Row, _ *options) string { return r.Township }},
	{head: "变化类型", code: "TBLX", width: 11, text: func(r *Row, _ *options) string { return r.TBLX }},
	{head: "监测面积(亩)", code: "JCMJMU", kind: kMu, width: 11, num: func(r *Row) float64 { return r.AreaM2 }},
	{head: "监测面积(平方米)", code: "JCMJ", kind: kM2, width: 13, num: func(r *Row) float64 { return r.AreaM2 }},
	{head: "耕地面积(亩)", code: "JCGDMJMU", kind: kMu, width: 11, num: func(r *Row) float64 { return r.FarmlandM2 }},
	{head: "永久基本农田面积(亩)", code: "YJJBNTMJMU", kind: kMu, width: 13, num: func(r *Row) float64 { return r.BasicFarmlandM2 }},
	{head: "中心经度", code: "ZXJD", kind: kDeg, width: 12, num: func(r *Row) float64 { lon, _ := r.centre(); return lon }},
	{head: "中心纬度", code: "ZXWD", kind: kDeg, width: 11, num: func(r *Row) float64 { _, lat := r.centre(); return lat }},
	{head: "前时相", code: "QSX", width: 11, text: func(r *Row, _ *options) string { return r.QSX }},
	{head: "后时相", code: "HSX", width: 11, text: func(r *Row, _ *options) string { return r.HSX }},
	{head: "初判结果", code: "CPJG", width: 11, text: func(r *Row, _ *options) string { return r.Prejudgement }},
	{head: "巡查区", code: "XCQY", width: 14, text: func(r *Row, _ *options) string { return r.Zone }},
	{head: "巡查组", code: "XCZ", width: 14, text: func(r *Row, _ *options) string { return r.team() }},
	{head: "责任人", code: "ZRR", width: 9, text: func(r *Row, _ *options) string { return r.Person }},
	{head: "联系电话", code: "LXDH", width: 13, text: func(r *Row, _ *options) string { return r.Contact }},
	{head: "优先级", code: "YXJ", kind: kInt, width: 7, num: func(r *Row) float64 { return float64(r.Priority) }},
	{head: "优先等级", code: "YXDJ", width: 8, text: func(r *Row, _ *options) string { return r.Level().Label() }},
	{head: "优先原因", code: "YXYY", width: 30, text: func(r *Row, _ *options) string { return r.PriorityReason }},
	{head: "核查期限", code: "HCQX", width: 11, text: func(r *Row, _ *options) string { return r.DueVerify }},
	{head: "逾期", code: "SFYQ", width: 6, text: overdueText},
	{head: "状态", code: "ZT", width: 8, text: func(r *Row, _ *options) string { return r.state() }},
	{head: "核查结论", code: "HCJL", width: 11, text: func(r *Row, _ *options) string { return r.Verdict }},
	{head: "举证照片数", code: "JZZPS", kind: kCount, width: 8, num: func(r *Row) float64 { return float64(len(r.Evidence)) }},
}

// value returns the column's value of r: a string, or a rounded float64 for
// numbers (nil for an unranked priority).
func (c *column) value(r *Row, o *options) any {
	switch c.kind {
	case kText:
		return strings.TrimSpace(c.text(r, o))
	case kInt:
		if v := c.num(r); v > 0 {
			return int(v)
		}
		return nil
	case kCount:
		return int(c.num(r))
	case kMu:
		return mu(c.num(r))
	case kM2:
		return round(c.num(r), 100)
	case kDeg:
		return round(c.num(r), 1e6)
	}
	return nil
}

// display returns the column's value of r as text, with units.
func (c *column) display(r *Row, o *options) string {
	switch v := c.value(r, o).(type) {
	case string:
		return v
	case int:
		return num(float64(v))
	case float64:
		switch c.kind {
		case kMu, kM2:
			return fmtFixed(v, 2)
		case kDeg:
			return fmtFixed(v, 6)
		}
		return num(v)
	}
	return ""
}
