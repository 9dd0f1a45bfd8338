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
	TypeOther        = "其他变化"
)

// ChangeType decides a patch's change type (TBLX) from its change class,
// the after date's spectra and its shape, with a confidence (高/中/低) and
// the reason. Greenhouses are bright, white and in regular strips; roads are
// long and narrow; both are told apart from other built surfaces by shape
// only, so their confidence is one level lower than the patch's.
func ChangeType(p *pipeline.Patch) (tblx, confidence, reason string) {
	conf := pipeline.ConfidenceLabel(p.Confidence)
	lower := map[string]string{"高": "中", "中": "低", "低": "低"}
	switch p.Class {
	case "water_gain":
		return TypePond, conf, "水体指数显著增加"
	case "vegetation_gain":
		return TypeRevegetation, conf, "植被指数显著增加"
	case "vegetation_loss":
		return TypeEarthwork, conf, "植被减少、地表裸露"
	case "surface_change":
		if p.BrightRatio >= 1 {
			return TypeEarthwork, lower[conf], "地表显著变化且变亮（裸土、堆土）"
		}
		return TypeOther, lower[conf], "地表显著变化"
	case "built_gain":
		switch {
		case p.BrightRatio >= 1.6 && p.SatAfter <= 0.12 && p.Elongation >= 1.5 && p.WidthM >= 6:
			return TypeGreenhouse, lower[conf], fmt.Sprintf("新增高亮白色条带状覆盖（亮度为场景中值的%.1f倍）", p.BrightRatio)
		case p.Elongation >= 5 && p.WidthM <= 15:
			return TypeRoad, lower[conf], fmt.Sprintf("新增硬化地表呈窄长条（宽约%.0f米，长约%.0f米）", p.WidthM, p.LengthM)
		}
		return TypeBuilding, conf, "新增建筑、构筑物或硬化地表"
	}
	return TypeOther, "低", "变化类别未知：" + p.Class
}
