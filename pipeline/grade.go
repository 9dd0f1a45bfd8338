package pipeline

import "fmt"

// Grade is a patrol zone's grade (巡查区域等级): 1 for 一级 (permanent basic
// farmland protection zones, planning areas, the urban–rural fringe,
// township seats, both sides of main roads), 2 for 二级 (other farmland,
// village planning areas, around villages and village roads), 3 for 三级
// (everything else). 0 means not graded.
type Grade int

// The patrol grades.
const (
	Grade1 Grade = 1 // 一级巡查区域
	Grade2 Grade = 2 // 二级巡查区域
	Grade3 Grade = 3 // 三级巡查区域
)

// Valid reports whether g is 1, 2 or 3.
func (g Grade) Valid() bool { return g >= Grade1 && g <= Grade3 }

// Label returns "一级", "二级" or "三级"; "未分级" for 0; "等级N" otherwise.
func (g Grade) Label() string {
	switch g {
	case Grade1:
		return "一级"
	case Grade2:
		return "二级"
	case Grade3:
		return "三级"
	case 0:
		return "未分级"
	}
	return fmt.Sprintf("等级%d", int(g))
}

// String returns the zh-CN label.
func (g Grade) String() string { return g.Label() }
