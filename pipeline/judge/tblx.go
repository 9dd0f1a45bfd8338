package judge

import (
	"fmt"

	"github.com/weipian/weipian/pipeline"
)

// Change types (TBLX) of the practice.
const (
	TypeBuilding     = "建(构)筑物/硬化"
	TypeGreenhouse   = "大棚"
	TypeRoad         = "道路"
	TypeEarthwork    = "推堆土/动土"
	TypePond         = "坑塘/水面"
	TypeRevegetation = "植被恢复"
	TypeFarming      = "农业耕作/季节变化"
	TypeOther        = "其他变化"
)

// transition returns "植被→裸土" style text from the patch's land-cover
// states, or "" when detection did not record them.
func transition(p *pipeline.Patch) string {
	if p.BeforeState == "" || p.AfterState == "" {
		return ""
	}
	return pipeline.StateLabel(p.BeforeState) + "→" + pipeline.StateLabel(p.AfterState) + "，"
}

// ChangeType decides a patch's change type (TBLX) from its change class
// (which detection decided from the land-cover transition of the two
// dates), its brightness compared with the before image and its shape,
// with a confidence (高/中/低) and the reason. Greenhouses are white, much
// brighter than before and in regular strips; roads are long and narrow;
// both are told apart from other built surfaces by shape only, so their
// confidence is one level lower than the patch's.
func ChangeType(p *pipeline.Patch) (tblx, confidence, reason string) {
	conf := pipeline.ConfidenceLabel(p.Confidence)
	lower := map[string]string{"高": "中", "中": "低", "低": "低"}
	tr := transition(p)
	vs := fmt.Sprintf("亮度为前时相的%.2f倍", p.BrightRatio)
	switch p.Class {
	case "water_gain":
		return TypePond, conf, tr + "新增水面"
	case "vegetation_gain":
		return TypeRevegetation, conf, tr + "植被增加"
	case "farming":
		return TypeFarming, conf, tr + "整块田块植被与裸土之间变化（农业耕作/季节变化）"
	case "water_internal":
		return TypeOther, lower[conf], tr + "水体内部变化（水色、浑浊度或水位），非关注变化"
	case "vegetation_loss":
		return TypeEarthwork, conf, tr + "植被移除、地表裸露，" + vs
	case "surface_change":
		if p.BrightRatio >= 1.1 {
			return TypeEarthwork, lower[conf], tr + "地表显著变化且较前时相变亮（裸土、堆土），" + vs
		}
		return TypeOther, lower[conf], tr + "地表显著变化，" + vs
	case "built_gain":
		switch {
		case p.BrightRatio >= 1.3 && p.SatAfter <= 0.12 && p.Elongation >= 1.5 && p.WidthM >= 6:
			return TypeGreenhouse, lower[conf], tr + "新增高亮白色条带状覆盖，" + vs
		case p.Elongation >= 5 && p.WidthM <= 15:
			return TypeRoad, lower[conf], fmt.Sprintf("%s新增硬化地表呈窄长条（宽约%.0f米，长约%.0f米）", tr, p.WidthM, p.LengthM)
		}
		return TypeBuilding, conf, tr + "新增建筑、构筑物或硬化地表"
	}
	return TypeOther, "低", "变化类别未知：" + p.Class
}
