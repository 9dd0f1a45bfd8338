package task

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// m2PerMu is the area of one 亩 in m² (10000/15 = 666.67).
const m2PerMu = 10000.0 / 15.0

// maxFarmlandM2 bounds the farmland term of the priority key (10 000 km²,
// far beyond any patch).
const maxFarmlandM2 = 1e10

// PriorityOf returns the priority key of a patch in a zone of grade g (lower
// is more urgent) and the reason in Chinese.
//
// The order is, most important first:
//  1. patches on permanent basic farmland (BasicFarmlandM2 > 0) before all
//     others;
//  2. then more cultivated land (FarmlandM2, to the m²) before less;
//  3. then patrol grade 一级 before 二级 before 三级.
//
// The key packs the three as tier·10¹² + (10¹⁰ − farmland m²)·10 + grade, so
// plain integer order is the order above. Ties (same tier, farmland and
// grade) are broken by ComparePriority.
func PriorityOf(p Patch, g Grade) (key int64, reason string) {
	tier := int64(1)
	if p.BasicFarmlandM2 > 0 {
		tier = 0
	}
	farm := p.FarmlandM2
	if !isFinite(farm) || farm < 0 {
		farm = 0
	}
	farm = math.Min(math.Round(farm), maxFarmlandM2-1)
	grade := int64(g)
	if !g.Valid() {
		grade = 9
	}
	key = tier*1_000_000_000_000 + (int64(maxFarmlandM2)-int64(farm))*10 + grade

	var parts []string
	if tier == 0 {
		parts = append(parts, fmt.Sprintf("占用永久基本农田%s，优先", area(p.BasicFarmlandM2)))
	} else {
		parts = append(parts, "未占用永久基本农田")
	}
	if farm > 0 {
		parts = append(parts, "占用耕地"+area(p.FarmlandM2))
	} else {
		parts = append(parts, "未占用耕地")
	}
	parts = append(parts, g.Label()+"巡查区域")
	return key, strings.Join(parts, "；")
}

// area formats m² as "1.20亩（800平方米）".
func area(m2 float64) string {
	return fmt.Sprintf("%.2f亩（%.0f平方米）", m2/m2PerMu, m2)
}

// ComparePriority orders tasks by Priority, then earlier DueVerify, then ID,
// so the order is total and the same on every run.
func ComparePriority(a, b *Task) int {
	if c := cmp.Compare(a.Priority, b.Priority); c != 0 {
		return c
	}
	if c := a.DueVerify.Compare(b.DueVerify); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// SortByPriority sorts tasks most urgent first (see ComparePriority).
func SortByPriority(tasks []*Task) {
	slices.SortStableFunc(tasks, ComparePriority)
}
