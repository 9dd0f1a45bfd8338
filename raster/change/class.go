package change

import (
	"fmt"
	"math"
)

// Class is the kind of change at a pixel or in a patch.
// The zero value None means no change.
type Class uint8

// The change classes. Pixels are only None or Changed; a patch's class is
// decided from its land-cover transition (Classify).
const (
	None           Class = iota
	WaterGain            // a water surface appeared (pond, flooding): 坑塘/水面
	VegetationGain       // vegetation grew or returned: 植被恢复 (not of concern)
	BuiltGain            // a built or hardened surface appeared (roof, concrete, steel sheet): 建(构)筑物/硬化
	VegetationLoss       // vegetation removed, bare ground exposed outside a field cycle: 动土/推堆土
	SurfaceChange        // another significant change of the surface (soil works, mining, demolition, other)
	Farming              // a whole field between vegetation and bare soil: 农业耕作/季节变化 (not of concern)
	Changed              // pixel level: a significant change, typed per patch
	WaterInternal        // a change within water in both dates (turbidity, sediment, glint, level): not of concern
	numClasses
)

// Classes lists the patch classes (without None and Changed) in a fixed order.
var Classes = []Class{WaterGain, VegetationGain, BuiltGain, VegetationLoss, SurfaceChange, Farming, WaterInternal}

var classNames = [...]string{"none", "water_gain", "vegetation_gain", "built_gain", "vegetation_loss", "surface_change", "farming", "changed", "water_internal"}
var classLabels = [...]string{"无变化", "水面增加", "植被增加", "建设/硬化增加", "植被减少/动土", "地表其他变化", "农业耕作/季节变化", "变化", "水体内部变化"}

// String returns the English code of the class, e.g. "built_gain".
func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// Label returns the zh-CN label of the class used in exports and reports.
func (c Class) Label() string {
	if int(c) < len(classLabels) {
		return classLabels[c]
	}
	return c.String()
}

// Concern reports whether a patch of the class is a change of concern (one
// that becomes a 图斑): not vegetation gain, not farming.
func (c Class) Concern() bool {
	switch c {
	case WaterGain, BuiltGain, VegetationLoss, SurfaceChange:
		return true
	}
	return false
}

// ParseClass returns the class with the given English code.
func ParseClass(s string) (Class, error) {
	for i, n := range classNames {
		if n == s {
			return Class(i), nil
		}
	}
	return None, fmt.Errorf("change: unknown class %q", s)
}

// State is the land cover of one date of a patch.
type State string

// The land-cover states.
const (
	Vegetated State = "vegetated"
	Bare      State = "bare"
	Built     State = "built"
	Water     State = "water"
)

// Label returns the zh-CN name of the state.
func (s State) Label() string {
	switch s {
	case Vegetated:
		return "植被"
	case Bare:
		return "裸土"
	case Built:
		return "建筑/硬化"
	case Water:
		return "水体"
	}
	return string(s)
}

// states returns the majority state of each date of a patch.
func (p *Part) states() (before, after State) {
	one := func(veg, wat, neutral int64) State {
		switch {
		case 2*wat >= p.Pixels:
			return Water
		case 2*veg >= p.Pixels:
			return Vegetated
		case 2*neutral >= p.Pixels:
			return Built
		}
		return Bare
	}
	return one(p.VegA, p.WatA, p.NeutralA), one(p.VegB, p.WatB, p.NeutralB)
}

// Typed is the outcome of Classify.
type Typed struct {
	Class         Class
	Before, After State
	// Reason says, in zh-CN, why the patch has its class (for the
	// non-concern layer and the auditor).
	Reason string
}

// Classify types a patch by its land-cover transition and its shape: area in
// m² and fill, the share of its equivalent rectangle it fills (1 for a
// rectangular field, lower for rings, strips of edges and ragged blobs).
func Classify(p *Part, areaM2, fill float64, par Params) Typed {
	b, a := p.states()
	t := Typed{Before: b, After: a}
	trans := fmt.Sprintf("%s→%s", b.Label(), a.Label())
	// A field: large, filling its equivalent rectangle, and uniform after
	// (a construction site is not).
	cvA, cvB := p.BrightnessCV()
	field := areaM2 >= par.FieldM2 && fill >= par.FieldFill && cvB <= par.FieldCV
	// Uniform in both dates: a piece of a field that changed as a whole
	// (crop ripening, harvest, ploughing); construction leaves the after
	// date uneven.
	uniform := areaM2 >= par.UniformM2 && cvA <= par.UniformCVBefore && cvB <= par.UniformCVAfter
	switch {
	case a == Water && b == Built:
		// Ponds are dug in fields and bare ground; a built surface that
		// turns dark and "watery" (green above NIR) is nearly always the
		// shadow of a new or taller building, or water standing on it.
		t.Class, t.Reason = SurfaceChange, trans+"：建筑/硬化地表变暗，多为新建高大建筑物的阴影或地表积水，需实地核实"
	case a == Water && b != Water:
		t.Class, t.Reason = WaterGain, trans+"：新增水面"
	case a == Water:
		// Water in both dates: its colour changed (sediment, algae, glint,
		// depth), not the use of the land.
		t.Class, t.Reason = WaterInternal, trans+"：前后时相均为水体，水色、浑浊度或水位变化，非关注变化"
	case a == Vegetated:
		t.Class, t.Reason = VegetationGain, trans+"：植被增加或作物生长，非关注变化"
	case field && (b == Vegetated || b == Bare) && (a == Bare || a == Built):
		t.Class, t.Reason = Farming, fmt.Sprintf("%s：整块均匀田块（%.1f公顷，充满度%.0f%%，亮度变异系数%.2f），农业耕作/季节变化（作物成熟、收割或翻耕），非关注变化", trans, areaM2/10000, 100*fill, cvB)
	case uniform && b != Water && (a == Bare || a == Built):
		t.Class, t.Reason = Farming, fmt.Sprintf("%s：前后时相均匀（亮度变异系数 前%.2f、后%.2f），田块内作物成熟、收割或翻耕，农业耕作/季节变化，非关注变化", trans, cvA, cvB)
	case a == Built:
		t.Class, t.Reason = BuiltGain, trans+"：新增建筑、构筑物或硬化地表"
	case b == Vegetated && a == Bare:
		t.Class, t.Reason = VegetationLoss, trans+"：植被移除、地表裸露（非整块田块）"
	default:
		t.Class, t.Reason = SurfaceChange, trans+"：地表显著变化"
	}
	return t
}

// BrightnessCV returns the coefficient of variation of the patch's
// brightness in each date.
func (p *Part) BrightnessCV() (before, after float64) {
	cv := func(s, s2 int64) float64 {
		if p.Pixels == 0 || s <= 0 {
			return 0
		}
		m := float64(s) / float64(p.Pixels)
		return math.Sqrt(math.Max(float64(s2)/float64(p.Pixels)-m*m, 0)) / m
	}
	return cv(p.BrightA, p.BrightA2), cv(p.BrightB, p.BrightB2)
}
