package change

import "fmt"

// Class is the kind of change at a pixel or in a patch.
// The zero value None means no change.
type Class uint8

// The change classes, in the order they are decided at a pixel.
const (
	None           Class = iota
	WaterGain            // a water surface appeared (pond, flooding): 坑塘/水面
	VegetationGain       // vegetation grew or returned: 植被恢复 (not a violation)
	BuiltGain            // a built or hardened surface appeared (roof, concrete, steel sheet): 建(构)筑物/硬化
	VegetationLoss       // vegetation removed, bare ground exposed: 动土/推堆土
	SurfaceChange        // another significant change of the surface (soil works, mining, other)
	numClasses
)

// Classes lists the change classes (without None) in a fixed order.
var Classes = []Class{WaterGain, VegetationGain, BuiltGain, VegetationLoss, SurfaceChange}

var classNames = [...]string{"none", "water_gain", "vegetation_gain", "built_gain", "vegetation_loss", "surface_change"}
var classLabels = [...]string{"无变化", "水面增加", "植被增加", "建设/硬化增加", "植被减少/动土", "地表其他变化"}

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

// ParseClass returns the class with the given English code.
func ParseClass(s string) (Class, error) {
	for i, n := range classNames {
		if n == s {
			return Class(i), nil
		}
	}
	return None, fmt.Errorf("change: unknown class %q", s)
}
