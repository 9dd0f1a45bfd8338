package ledger

import (
	"strings"
	"unicode"
)

// Field is a canonical ledger column.
type Field int

// The canonical columns of a 巡查台帐, plus optional coordinate columns.
const (
	FieldTime        Field = iota + 1 // 巡查时间
	FieldPeople                       // 巡查人员
	FieldZone                         // 巡查区域/路线
	FieldItems                        // 巡查项目
	FieldSubject                      // 违法主体或名称
	FieldPlace                        // 违法地点 (address and/or coordinates)
	FieldStatus                       // 违法现状
	FieldStopMeasure                  // 制止措施
	FieldStopEffect                   // 制止效果
	FieldFollowUp                     // 后续处理情况
	FieldLon                          // 经度 (optional)
	FieldLat                          // 纬度 (optional)
	fieldCount
)

// Name returns the canonical Chinese column name, e.g. "巡查时间".
func (f Field) Name() string {
	switch f {
	case FieldTime:
		return "巡查时间"
	case FieldPeople:
		return "巡查人员"
	case FieldZone:
		return "巡查区域/路线"
	case FieldItems:
		return "巡查项目"
	case FieldSubject:
		return "违法主体或名称"
	case FieldPlace:
		return "违法地点"
	case FieldStatus:
		return "违法现状"
	case FieldStopMeasure:
		return "制止措施"
	case FieldStopEffect:
		return "制止效果"
	case FieldFollowUp:
		return "后续处理情况"
	case FieldLon:
		return "经度"
	case FieldLat:
		return "纬度"
	}
	return ""
}

// String returns Name.
func (f Field) String() string { return f.Name() }

// synonyms returns the header texts recognised for f besides its Name.
func (f Field) synonyms() []string {
	switch f {
	case FieldTime:
		return []string{"巡查日期", "巡查时段", "巡查时间段", "巡查日期及时间", "日期"}
	case FieldPeople:
		return []string{"巡查人", "参加人员", "参加巡查人员", "巡查人员姓名", "巡查组成员"}
	case FieldZone:
		return []string{"巡查区域", "巡查路线", "巡查线路", "巡查区域及路线", "巡查区域路线", "巡查区域、路线", "巡查片区", "巡查范围", "责任区域"}
	case FieldItems:
		return []string{"巡查内容", "检查项目"}
	case FieldSubject:
		return []string{"违法主体", "违法主体名称", "违法主体或者名称", "违法主题或者名称", "违法主题或名称",
			"违法项目主体或名称", "违法当事人", "当事人", "违法主体(名称)"}
	case FieldPlace:
		return []string{"违法地点/坐标", "违法地点及坐标", "违法地点(坐标)", "违法位置", "具体位置", "地点", "坐标"}
	case FieldStatus:
		return []string{"违法情况", "违法事实", "现状"}
	case FieldStopMeasure:
		return []string{"处置措施"}
	case FieldStopEffect:
		return []string{"制止结果"}
	case FieldFollowUp:
		return []string{"后续处理", "后续处理结果", "处理情况", "后续处理情况及结果"}
	case FieldLon:
		return []string{"lon", "lng", "longitude", "经度坐标", "东经"}
	case FieldLat:
		return []string{"lat", "latitude", "纬度坐标", "北纬"}
	}
	return nil
}

// ParseField returns the field whose canonical name or built-in synonym is
// name (compared after normalisation), or 0.
func ParseField(name string) Field {
	n := normHeader(name)
	for f := FieldTime; f < fieldCount; f++ {
		if normHeader(f.Name()) == n {
			return f
		}
		for _, s := range f.synonyms() {
			if normHeader(s) == n {
				return f
			}
		}
	}
	return 0
}

// normHeader normalises a header cell: width folded, whitespace, "*" marks
// and bracketed hints ("巡查时间（年月日）") removed, lower case.
func normHeader(s string) string {
	s = foldWidth(s)
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch r {
		case '(', '[', '【', '〔', '<', '《':
			depth++
			continue
		case ')', ']', '】', '〕', '>', '》':
			if depth > 0 {
				depth--
			}
			continue
		}
		if depth > 0 || unicode.IsSpace(r) || r == '*' {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// foldWidth maps full-width ASCII variants to ASCII and the ideographic
// space to a space.
func foldWidth(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFEE0
		case r == 0x3000:
			return ' '
		}
		return r
	}, s)
}

// clean trims a cell and collapses inner runs of whitespace to one space.
func clean(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\u00a0", " ")), " ")
}
