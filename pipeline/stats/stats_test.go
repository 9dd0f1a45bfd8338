package stats

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/reconcile"
	"github.com/weipian/weipian/pipeline/task"
)

// mu converts 亩 to m², so that the fixtures read in the tables' unit.
func mu(v float64) float64 { return v * 10000 / 15 }

func date(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, reconcile.ChinaTime())
	if err != nil {
		panic(err)
	}
	return t
}

func tk(state task.State, v task.Verdict, rect task.Rectification, filed string) *Task {
	t := &Task{State: state, Verdict: v, Rectification: rect}
	if v == task.VerdictIllegal {
		t.ViolationType = task.ViolationOccupy
	}
	if filed != "" {
		t.FiledAt = date(filed)
	}
	return t
}

const (
	jia, yi = "420101001", "420101002"
	west    = "城西片区"
	east    = "城东片区"
	north   = "城北片区"
)

// county is the hand-computed fixture county: two townships, 12 图斑 of
// which 10 are under enforcement in 2026 (see the expectations below for
// the arithmetic).
func county() []Tuban {
	tb := func(id, jcbh, town, day, src string, jc, gd, yj float64, zone, patrol string, t *Task) Tuban {
		name := map[string]string{jia: "甲镇", yi: "乙镇"}[town]
		return Tuban{ID: id, JCBH: jcbh, XZQDM: town, Township: name, Batch: "2026年测试批次", Day: day, Source: src,
			TBLX: "建(构)筑物/硬化", JCMJ: mu(jc), JCGDMJ: mu(gd), YJJBNTMJ: mu(yj), PatrolZone: zone, Patrol: patrol, Task: t}
	}
	ts := []Tuban{
		tb("A1", "J01", jia, "2026-05-10", "部", 10, 8, 2, west, PatrolFound, tk(task.Closed, task.VerdictIllegal, task.RectifyDemolish, "2026-05-20")),
		tb("A2", "J02", jia, "2026-05-12", "", 5, 5, 0, west, PatrolMissed, tk(task.Rectifying, task.VerdictIllegal, task.RectifyPermit, "2026-05-25")),
		tb("A3", "J03", jia, "2026-04-02", "省", 120, 110, 0, west, PatrolUncovered, tk(task.Verified, task.VerdictIllegal, "", "")),
		tb("A4", "J04", jia, "2026-05-15", "", 3, 0, 0, west, "", tk(task.Closed, task.VerdictLegal, "", "")),
		tb("A5", "Y05", yi, "2026-06-01", "部", 4, 1, 1, east, "", tk(task.Closed, task.VerdictFalseChange, "", "")),
		tb("A6", "Y06", yi, "2026-06-20", "", 2, 2, 0, east, "", tk(task.Closed, task.VerdictFarmFacility, "", "")),
		tb("A7", "Y07", yi, "2026-06-21", "", 6, 3, 0, east, "", tk(task.Pending, "", "", "")),
		tb("A8", "Y08", yi, "2026-07-03", "", 7, 7, 7, east, "", tk(task.Stopped, task.VerdictIllegal, "", "")),
		tb("A9", "Y09", yi, "2026-05-05", "", 50, 0, 0, east, "", nil),                                             // own, no task: excluded
		tb("A10", "J10", jia, "2025-12-30", "", 9, 9, 9, west, "", tk(task.Verified, task.VerdictIllegal, "", "")), // last year
		tb("A11", "S11", "", "2026-08-08", "市", 1, 0, 0, "", "", tk(task.Verifying, "", "", "")),
		tb("A12", "Y12", yi, "2026-09-09", "", 1, 1, 0, east, "", tk(task.Closed, task.VerdictRuralRoad, "", "")),
	}
	ts[0].OwnFound = true
	return ts
}

func zones() []PatrolZone {
	z := func(name, team, person string, grade int, req, days, solo int, met bool) PatrolZone {
		return PatrolZone{ZoneResult: reconcile.ZoneResult{Name: name, Team: team, Grade: reconcile.Grade(grade), RequiredDays: req,
			PatrolDays: days, Patrols: days + 10, SoloPatrols: solo, FrequencyMet: met}, Person: person}
	}
	w := z(west, "城西组", "王五", 1, 183, 180, 2, false)
	w.Violations, w.ReportLate, w.ReportUndated = 3, 1, 1
	return []PatrolZone{w, z(east, "城东组", "", 2, 60, 62, 0, false), z(north, "城东组", "孙七", 3, 60, 70, 1, true)}
}

func input(p string) Input {
	per, err := ParsePeriod(p)
	if err != nil {
		panic(err)
	}
	return Input{Period: per, AsOf: date(per.Last()), Tubans: county(), Zones: zones(),
		Approvals:      []Approval{{No: "鄂政地〔2026〕1号", Type: "农用地转用", ValidFrom: "2026-03-01", FarmlandM2: mu(610)}},
		ApprovedFarmM2: mu(610), Layers: []string{"批准用地 第1版", "耕地 第1版"}}
}

// amt builds an expected amount from 亩.
func amt(n int, jc, gd, yj float64) Amount { return Amount{n, mu(jc), mu(gd), mu(yj)} }

func near(a, b Amount) bool {
	return a.N == b.N && math.Abs(a.JCMJ-b.JCMJ) < 1e-6 && math.Abs(a.JCGDMJ-b.JCGDMJ) < 1e-6 && math.Abs(a.YJJBNTMJ-b.YJJBNTMJ) < 1e-6
}

func expect(t *testing.T, what string, got, want Amount) {
	t.Helper()
	if !near(got, want) {
		t.Errorf("%s = %d 个 %.4f/%.4f/%.4f 亩, want %d 个 %.4f/%.4f/%.4f 亩", what, got.N, got.JCMJ*15/10000, got.JCGDMJ*15/10000, got.YJJBNTMJ*15/10000,
			want.N, want.JCMJ*15/10000, want.JCGDMJ*15/10000, want.YJJBNTMJ*15/10000)
	}
}

func allOK(t *testing.T, what string, cs []Check) {
	t.Helper()
	for _, c := range cs {
		if !c.OK {
			t.Errorf("%s: check %s failed by %+v", what, c.Rule, c.Diff)
		}
	}
}

func TestParsePeriod(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, canon, label, first, last string }{
		{"2026", "2026", "2026年", "2026-01-01", "2026-12-31"},
		{"2026-Q2", "2026-Q2", "2026年第二季度", "2026-04-01", "2026-06-30"},
		{"2026q4", "2026-Q4", "2026年第四季度", "2026-10-01", "2026-12-31"},
		{"2026-05", "2026-05", "2026年5月", "2026-05-01", "2026-05-31"},
		{" 2024-2 ", "2024-02", "2024年2月", "2024-02-01", "2024-02-29"},
	} {
		p, err := ParsePeriod(tc.in)
		if err != nil || p.String() != tc.canon || p.Label() != tc.label || p.First() != tc.first || p.Last() != tc.last {
			t.Errorf("%q: %v %q %q %q %q", tc.in, err, p, p.Label(), p.First(), p.Last())
		}
	}
	for _, bad := range []string{"", "26", "2026-13", "2026-Q5", "2026-Q", "2026-00", "1900", "2026/05", "2026-Q22", "2026-005"} {
		if _, err := ParsePeriod(bad); !errors.Is(err, pipeline.ErrInvalid) {
			t.Errorf("%q: %v, want ErrInvalid", bad, err)
		}
	}
	p, _ := ParsePeriod("2026-Q2")
	if !p.Contains("2026-06-30") || p.Contains("2026-07-01") || p.Contains("2026-03-31") || p.Contains("") {
		t.Error("Contains")
	}
	if m := p.TrendMonths(); len(m) != 6 || m[0] != "2026-01" || m[5] != "2026-06" {
		t.Errorf("trend months %v", m)
	}
}

// TestTable1Year: 卫片图斑核查情况一览表 of 2026, hand-computed.
func TestTable1Year(t *testing.T) {
	t.Parallel()
	r := Compute(input("2026"), Config{})
	if len(r.Townships) != 3 || r.Townships[0].Township != "甲镇" || r.Townships[1].Township != "乙镇" || r.Townships[2].Township != NoTownship {
		t.Fatalf("townships %+v", r.Townships)
	}
	j, y, n, tot := r.Townships[0], r.Townships[1], r.Townships[2], r.Total
	// 甲镇: A1 A2 A3 A4.
	expect(t, "甲 合计", j.Total, amt(4, 138, 123, 2))
	expect(t, "甲 下发", j.Issued, amt(2, 130, 118, 2))
	expect(t, "甲 自主", j.Own, amt(2, 8, 5, 0))
	expect(t, "甲 核实后", j.Verified, amt(4, 138, 123, 2))
	expect(t, "甲 合法", j.Legal, amt(1, 3, 0, 0))
	expect(t, "甲 违法", j.Illegal, amt(3, 135, 123, 2))
	expect(t, "甲 其他", j.Other, Amount{})
	expect(t, "甲 百亩", j.Big, amt(1, 120, 110, 0))
	if j.IssuedOwnFound != 1 || j.IssuedPatrolFound != 1 || j.Unverified != 0 || j.BigIllegal != 1 {
		t.Errorf("甲 found by own %d, by patrol %d, unverified %d, big illegal %d", j.IssuedOwnFound, j.IssuedPatrolFound, j.Unverified, j.BigIllegal)
	}
	// 乙镇: A5 A6 A7 A8 A12 (A9 has no task).
	expect(t, "乙 合计", y.Total, amt(5, 20, 14, 8))
	expect(t, "乙 下发", y.Issued, amt(1, 4, 1, 1))
	expect(t, "乙 自主", y.Own, amt(4, 16, 13, 7))
	expect(t, "乙 核实后", y.Verified, amt(4, 14, 11, 8))
	expect(t, "乙 违法", y.Illegal, amt(1, 7, 7, 7))
	expect(t, "乙 其他", y.Other, amt(3, 7, 4, 1))
	expect(t, "乙 伪变化", y.OtherBy[0], amt(1, 4, 1, 1))
	expect(t, "乙 设施农用地", y.OtherBy[1], amt(1, 2, 2, 0))
	expect(t, "乙 农村道路", y.OtherBy[2], amt(1, 1, 1, 0))
	expect(t, "乙 其他其他", y.OtherBy[3], Amount{})
	if y.Unverified != 1 || y.IssuedOwnFound != 0 {
		t.Errorf("乙 unverified %d", y.Unverified)
	}
	expect(t, "未落入乡镇", n.Total, amt(1, 1, 0, 0))
	if n.Unverified != 1 || n.Issued.N != 1 {
		t.Errorf("未落入乡镇 %+v", n)
	}
	expect(t, "合计", tot.Total, amt(10, 159, 137, 10))
	expect(t, "合计 下发", tot.Issued, amt(4, 135, 119, 3))
	expect(t, "合计 自主", tot.Own, amt(6, 24, 18, 7))
	expect(t, "合计 核实后", tot.Verified, amt(8, 152, 134, 10))
	expect(t, "合计 违法", tot.Illegal, amt(4, 142, 130, 9))
	expect(t, "合计 其他", tot.Other, amt(3, 7, 4, 1))
	if tot.Unverified != 2 || tot.Big.N != 1 || r.Excluded != 1 || r.InPeriod != 11 || r.NoZone != 1 {
		t.Errorf("unverified %d big %d excluded %d in period %d no zone %d", tot.Unverified, tot.Big.N, r.Excluded, r.InPeriod, r.NoZone)
	}
	for _, row := range append(r.Townships, r.Total) {
		allOK(t, row.Township, row.Checks)
	}
}

func TestQuarterAndMonth(t *testing.T) {
	t.Parallel()
	q := Compute(input("2026-Q2"), Config{})
	expect(t, "Q2 合计", q.Total.Total, amt(7, 150, 129, 3))
	expect(t, "Q2 违法", q.Total.Illegal, amt(3, 135, 123, 2))
	if len(q.Townships) != 2 || len(q.Trend) != 6 {
		t.Errorf("Q2: %d townships, %d months", len(q.Townships), len(q.Trend))
	}
	m := Compute(input("2026-05"), Config{})
	expect(t, "5月 合计", m.Total.Total, amt(3, 18, 13, 2))
	if m.Excluded != 1 || m.InPeriod != 4 || len(m.Trend) != 5 {
		t.Errorf("May: excluded %d, in period %d, %d months", m.Excluded, m.InPeriod, len(m.Trend))
	}
}

// TestTable2: 违法线索统计表 (整改情况), and the checks.
func TestTable2(t *testing.T) {
	t.Parallel()
	r := Compute(input("2026"), Config{})
	if len(r.Rect) != 2 {
		t.Fatalf("rect rows %+v", r.Rect)
	}
	j, y, tot := r.Rect[0], r.Rect[1], r.RectTotal
	expect(t, "甲 总数", Amount{j.Total.N, j.Total.JCMJ, j.Total.JCGDMJ, 0}, amt(3, 135, 123, 0))
	expect(t, "甲 已整改", Amount{j.Rectified.N, j.Rectified.JCMJ, j.Rectified.JCGDMJ, 0}, amt(1, 10, 8, 0))
	expect(t, "甲 拆除复耕", Amount{j.Demolished.N, j.Demolished.JCMJ, j.Demolished.JCGDMJ, 0}, amt(1, 10, 8, 0))
	expect(t, "甲 补办手续", j.Permitted, Amount{})
	expect(t, "甲 未整改", Amount{j.Unrectified.N, j.Unrectified.JCMJ, j.Unrectified.JCGDMJ, 0}, amt(2, 125, 115, 0))
	expect(t, "乙 未整改", y.Unrectified, amt(1, 7, 7, 7))
	expect(t, "合计 总数", tot.Total, amt(4, 142, 130, 9))
	expect(t, "合计 已整改", tot.Rectified, amt(1, 10, 8, 2))
	expect(t, "合计 未整改", tot.Unrectified, amt(3, 132, 122, 7))
	for _, row := range append(r.Rect, tot) {
		allOK(t, row.Township, row.Checks)
	}
	if !r.CrossCheck.OK {
		t.Errorf("cross check %+v", r.CrossCheck)
	}

	// A case closed without a rectification (legacy data) is neither
	// rectified nor open: 总数 ≠ 已整改 + 未整改. One with an unknown
	// rectification is rectified but neither 拆除复耕 nor 补办手续.
	in := input("2026")
	in.Tubans = append(in.Tubans,
		Tuban{ID: "B1", JCBH: "J91", XZQDM: jia, Township: "甲镇", Day: "2026-10-01", JCMJ: mu(2), JCGDMJ: mu(1), Task: tk(task.Closed, task.VerdictIllegal, "", "2026-10-05")},
		Tuban{ID: "B2", JCBH: "J92", XZQDM: jia, Township: "甲镇", Day: "2026-10-01", JCMJ: mu(4), JCGDMJ: mu(4), Task: tk(task.Closed, task.VerdictIllegal, "fine", "2026-10-05")})
	r = Compute(in, Config{})
	c := r.Rect[0].Checks
	if c[0].OK || c[0].Diff.N != 1 || math.Abs(c[0].Diff.JCMJ-mu(2)) > 1e-6 {
		t.Errorf("总数 = 已整改 + 未整改 should fail by 1 个 2 亩: %+v", c[0])
	}
	if c[1].OK || c[1].Diff.N != 1 || math.Abs(c[1].Diff.JCGDMJ-mu(4)) > 1e-6 {
		t.Errorf("已整改 = 拆除复耕 + 补办手续 should fail by 1 个 4 亩: %+v", c[1])
	}
	if r.RectTotal.Checks[0].OK || r.RectTotal.Checks[1].OK {
		t.Error("合计 checks should fail too")
	}
}

// TestRatioLines: the 15 % line at, just above and just below (by 0.01 亩,
// the tables' precision), and the local lines.
func TestRatioLines(t *testing.T) {
	t.Parallel()
	r := Compute(input("2026"), Config{})
	// 130 亩 illegal farmland, 610 亩 approved: 130/740.
	if math.Abs(r.Ratio.Value-130.0/740) > 1e-12 || !r.Ratio.Lines[0].Reached || !r.Assessment.Veto {
		t.Errorf("2026 ratio %+v", r.Ratio)
	}
	if math.Abs(r.Ratio.TotalFarmM2-mu(740)) > 1e-6 || len(r.Ratio.Layers) != 2 || len(r.Ratio.Approvals) != 1 {
		t.Errorf("ratio %+v", r.Ratio)
	}
	lines := []Line{DefaultLines()[0], {Label: "预警线", Ratio: 0.09}, {Label: "15%且100亩", Ratio: 0.15, MinMu: 100}}
	for _, tc := range []struct {
		name                 string
		illegal, approved    float64 // 亩, to 0.01 亩 as the tables count
		want15, want9, want2 bool
	}{
		{"at 15%", 15, 85, true, true, false},
		{"just below", 14.99, 85.01, false, true, false},
		{"just above", 15.01, 84.99, true, true, false},
		{"at 9%", 9, 91, false, true, false},
		{"just below 9%", 8.99, 91.01, false, false, false},
		{"15% with 150 亩", 150, 850, true, true, true},
		{"15% with 100 亩", 100, 566.67, false, true, false}, // 14.99998 %
		{"15% with 99.99 亩", 99.99, 566.61, true, true, false},
		{"20% with 150 亩", 150, 600, true, true, true},
		{"no illegal", 0, 1, false, false, false},
		{"nothing", 0, 0, false, false, false},
	} {
		in := Input{Period: Period{Kind: Year, Year: 2026}, ApprovedFarmM2: mu(tc.approved),
			Tubans: []Tuban{{ID: "X", Day: "2026-06-01", JCGDMJ: mu(tc.illegal), Task: tk(task.Verified, task.VerdictIllegal, "", "")}}}
		got := Compute(in, Config{Lines: lines}).Ratio
		if got.Lines[0].Reached != tc.want15 || got.Lines[1].Reached != tc.want9 || got.Lines[2].Reached != tc.want2 {
			t.Errorf("%s: ratio %.6f: 15%% %v 9%% %v 15%%+100亩 %v; want %v %v %v", tc.name, got.Value,
				got.Lines[0].Reached, got.Lines[1].Reached, got.Lines[2].Reached, tc.want15, tc.want9, tc.want2)
		}
		if tc.approved == 0 && tc.illegal == 0 && got.Value != -1 {
			t.Errorf("%s: value %v, want -1", tc.name, got.Value)
		}
	}
}

func TestParseLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Line
	}{
		{"15%", Line{"地方线 15%", 0.15, 0}},
		{"9%", Line{"地方线 9%", 0.09, 0}},
		{"0.09", Line{"地方线 9%", 0.09, 0}},
		{"省定预警线=9%", Line{"省定预警线", 0.09, 0}},
		{"15%+100亩", Line{"地方线 15%+100亩", 0.15, 100}},
		{"15％且100亩", Line{"地方线 15%+100亩", 0.15, 100}},
		{"12.5%", Line{"地方线 12.5%", 0.125, 0}},
	} {
		got, err := ParseLine(tc.in)
		if err != nil || got.Label != tc.want.Label || math.Abs(got.Ratio-tc.want.Ratio) > 1e-12 || got.MinMu != tc.want.MinMu {
			t.Errorf("%q: %+v %v, want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "abc", "0%", "100%", "15%+", "15%+abc亩", "-5%"} {
		if _, err := ParseLine(bad); err == nil {
			t.Errorf("%q: want error", bad)
		}
	}
}

func TestNewConstruction(t *testing.T) {
	t.Parallel()
	y := Period{Kind: Year, Year: 2026}
	for _, tc := range []struct {
		typ, from string
		want      bool
	}{
		{"农用地转用", "2026-03-01", true},
		{"农用地转用和土地征收", "2026-12-31", true},
		{"供地", "2026-01-01", true},
		{"土地征收", "2025-12-31", false},
		{"设施农用地", "2026-03-01", false},
		{"临时用地", "2026-03-01", false},
	} {
		if got := NewConstruction(tc.typ, tc.from, y); got != tc.want {
			t.Errorf("%s %s: %v", tc.typ, tc.from, got)
		}
	}
}

// TestIndicators: 执法指标 of 2026, by count and by 亩.
func TestIndicators(t *testing.T) {
	t.Parallel()
	r := Compute(input("2026"), Config{})
	want := []struct {
		name       string
		num, den   int
		numA, denA float64 // 亩
	}{
		{"发现率", 1, 4, 10, 142},
		{"制止率", 3, 4, 22, 142},
		{"立案率", 2, 4, 15, 142},
		{"结案率", 1, 2, 10, 15},
		{"整改到位率", 1, 4, 10, 142},
	}
	if len(r.Indicators) != len(want) {
		t.Fatalf("%d indicators", len(r.Indicators))
	}
	for i, w := range want {
		g := r.Indicators[i]
		if g.Name != w.name || g.NumN != w.num || g.DenN != w.den || math.Abs(g.NumM2-mu(w.numA)) > 1e-6 || math.Abs(g.DenM2-mu(w.denA)) > 1e-6 ||
			math.Abs(g.RateN-float64(w.num)/float64(w.den)) > 1e-12 || math.Abs(g.RateM2-w.numA/w.denA) > 1e-12 || g.Formula == "" {
			t.Errorf("%s: %+v, want %+v", w.name, g, w)
		}
	}
	empty := Compute(Input{Period: Period{Kind: Year, Year: 2030}}, Config{})
	if empty.Indicators[0].RateN != -1 || empty.Indicators[0].RateM2 != -1 {
		t.Errorf("no illegal 图斑: %+v", empty.Indicators[0])
	}
	// 表4-2: per township, in table 1's order; the parts add up to the
	// county's figures (every 图斑 lies in exactly one row).
	if len(r.TownshipIndicators) != len(r.Townships) {
		t.Fatalf("%d township indicator rows, table 1 has %d", len(r.TownshipIndicators), len(r.Townships))
	}
	for k, ti := range r.TownshipIndicators {
		if ti.Township != r.Townships[k].Township || len(ti.Indicators) != len(want) {
			t.Fatalf("row %d: %s with %d indicators, want %s", k, ti.Township, len(ti.Indicators), r.Townships[k].Township)
		}
		if ti.Indicators[0].DenN != r.Townships[k].Illegal.N {
			t.Errorf("%s: %d 违法图斑 in 表4-2, %d in 表1", ti.Township, ti.Indicators[0].DenN, r.Townships[k].Illegal.N)
		}
	}
	for i := range want {
		var num, den int
		var numA, denA float64
		for _, ti := range r.TownshipIndicators {
			g := ti.Indicators[i]
			num, den, numA, denA = num+g.NumN, den+g.DenN, numA+g.NumM2, denA+g.DenM2
		}
		c := r.Indicators[i]
		if num != c.NumN || den != c.DenN || math.Abs(numA-c.NumM2) > 1e-6 || math.Abs(denA-c.DenM2) > 1e-6 {
			t.Errorf("%s: townships add up to %d/%d (%.2f/%.2f m²), the county is %d/%d (%.2f/%.2f m²)", c.Name, num, den, numA, denA, c.NumN, c.DenN, c.NumM2, c.DenM2)
		}
	}
	jia, none := r.TownshipIndicators[0], r.TownshipIndicators[2]
	if g := jia.Indicators[0]; g.DenN != 3 || math.Abs(g.DenM2-mu(135)) > 1e-6 {
		t.Errorf("甲镇 发现率 denominator %d (%.2f m²), want 3 违法图斑 of 135 亩", g.DenN, g.DenM2)
	}
	if g := none.Indicators[0]; none.Township != NoTownship || g.DenN != 0 || g.RateN != -1 || g.RateM2 != -1 {
		t.Errorf("未落入乡镇 has no 违法图斑: %+v", none)
	}
}

// TestList: 违法图斑清单.
func TestList(t *testing.T) {
	t.Parallel()
	r := Compute(input("2026"), Config{})
	if len(r.List) != 4 {
		t.Fatalf("list %+v", r.List)
	}
	want := []struct {
		jcbh, town, rect, state string
		rectified               bool
	}{
		{"J01", "甲镇", "拆除复耕", "已办结", true},
		{"J02", "甲镇", "", "整改中", false},
		{"J03", "甲镇", "", "已核查", false},
		{"Y08", "乙镇", "", "已制止", false},
	}
	for i, w := range want {
		g := r.List[i]
		if g.No != i+1 || g.JCBH != w.jcbh || g.Township != w.town || g.Rectification != w.rect || g.State != w.state || g.Rectified != w.rectified || g.WFLX != "违法占地" {
			t.Errorf("row %d: %+v", i+1, g)
		}
	}
	if r.List[2].Note != "状态：已核查；省下发；未巡查覆盖；百亩大图斑" || r.List[0].Note != "状态：已办结；部下发；巡查已发现" {
		t.Errorf("notes %q / %q", r.List[2].Note, r.List[0].Note)
	}
}

func TestTrend(t *testing.T) {
	t.Parallel()
	r := Compute(input("2026"), Config{})
	if len(r.Trend) != 12 {
		t.Fatalf("%d months", len(r.Trend))
	}
	want := map[string][3]int{"2026-04": {1, 1, 1}, "2026-05": {3, 2, 3}, "2026-06": {3, 0, 2}, "2026-07": {1, 1, 1}, "2026-08": {1, 0, 0}, "2026-09": {1, 0, 1}}
	for _, m := range r.Trend {
		w := want[m.Month]
		if m.Tubans != w[0] || m.Illegal != w[1] || m.VerifiedTubans != w[2] {
			t.Errorf("%s: %+v, want %v", m.Month, m, w)
		}
	}
	if m := r.Trend[4]; math.Abs(m.IllegalFarmM2-mu(13)) > 1e-6 || math.Abs(m.IllegalAreaM2-mu(15)) > 1e-6 {
		t.Errorf("May %+v", m)
	}
}

// TestAssessment: the 100-point scores, hand-computed (see the comments).
func TestAssessment(t *testing.T) {
	t.Parallel()
	r := Compute(input("2026"), Config{})
	a := r.Assessment
	if len(a.Zones) != 3 || len(a.Teams) != 2 {
		t.Fatalf("zones %d teams %d", len(a.Zones), len(a.Teams))
	}
	items := func(u UnitScore) []float64 {
		var s []float64
		for _, it := range u.Items {
			s = append(s, it.Score)
		}
		return s
	}
	eq := func(name string, u UnitScore, want []float64, total float64, rating string) {
		t.Helper()
		got := items(u)
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-9 {
				t.Errorf("%s items %v, want %v", name, got, want)
				break
			}
		}
		if math.Abs(u.Total-total) > 1e-9 || u.Rating != rating {
			t.Errorf("%s total %v %s, want %v %s", name, u.Total, u.Rating, total, rating)
		}
	}
	// 城西片区 (一级): coverage 180/183 = 98.4 % → 1 point × 3; 2 solo × 2 →
	// item 3 = 3. One undated report × 2 → item 4 = 8. A2 missed × 3,
	// 制止率 2/3 → 33 points × 5, one late report × 5 → item 5 = 0. 立案率
	// 2/3 → item 6 = 0.
	eq(west, a.Zones[0], []float64{10, 10, 3, 8, 0, 0, 10, 10}, 51, "不合格")
	// 城东片区 (二级): no 责任人 −5; frequency not met −3; A8 stopped
	// (100 %) but not filed: 立案率 0 → item 6 = 0.
	eq(east, a.Zones[1], []float64{5, 10, 7, 10, 25, 0, 10, 10}, 77, "合格")
	// 城北片区 (三级): one solo patrol −2.
	eq(north, a.Zones[2], []float64{10, 10, 8, 10, 25, 15, 10, 10}, 98, "优秀")
	// Teams: 城东组 = 城东 + 城北.
	if a.Teams[0].Team != "城东组" || a.Teams[1].Team != "城西组" {
		t.Fatalf("teams %s %s", a.Teams[0].Team, a.Teams[1].Team)
	}
	eq("城东组", a.Teams[0], []float64{5, 10, 5, 10, 25, 0, 10, 10}, 75, "合格")
	eq("城西组", a.Teams[1], []float64{10, 10, 3, 8, 0, 0, 10, 10}, 51, "不合格")
	// Every deduction is itemised.
	var n int
	for _, it := range a.Zones[0].Items {
		n += len(it.Deductions)
	}
	if n != 8 { // coverage, solo, undated, missed, stop rate, report, file rate, close rate
		t.Errorf("城西 deductions %d: %+v", n, a.Zones[0].Items)
	}
	f := a.Zones[0].Figures
	if f.Missed != 1 || f.Uncovered != 1 || f.Found != 1 || f.Illegal != 3 || f.Stopped != 2 || f.Filed != 2 || f.DueClose != 2 || f.ClosedInTime != 1 {
		t.Errorf("城西 figures %+v", f)
	}
	// Manual marks and other deductions.
	r = Compute(input("2026"), Config{Assess: AssessConfig{Manual: map[int]float64{2: 8, 7: 0}, MissedDeduct: 5}})
	eq(north+" manual", r.Assessment.Zones[2], []float64{10, 8, 8, 10, 25, 15, 0, 10}, 86, "合格")
	if it := r.Assessment.Zones[0].Items[4]; it.Deductions[0].Points != 5 {
		t.Errorf("missed deduction %+v", it.Deductions)
	}
}

func TestRating(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    float64
		want string
	}{{100, "优秀"}, {90, "优秀"}, {89.9, "合格"}, {70, "合格"}, {69.9, "不合格"}, {0, "不合格"}} {
		if got := Rating(tc.s); got != tc.want {
			t.Errorf("%v: %s", tc.s, got)
		}
	}
}

// TestRounding: each 图斑's areas count to 0.01 亩, so the rows add up to
// the 合计 to the last digit.
func TestRounding(t *testing.T) {
	t.Parallel()
	in := Input{Period: Period{Kind: Year, Year: 2026}}
	for i, town := range []string{jia, jia, yi} {
		in.Tubans = append(in.Tubans, Tuban{ID: string(rune('a' + i)), XZQDM: town, Day: "2026-05-01", JCMJ: mu(1.004), JCGDMJ: mu(1.006),
			Task: tk(task.Verified, task.VerdictIllegal, "", "")})
	}
	r := Compute(in, Config{})
	if got := r.Total.Illegal.JCMJ; math.Abs(got-mu(3.00)) > 1e-9 {
		t.Errorf("3 × 1.004 亩 = %.6f 亩, want 3.00 (each counted as 1.00)", got*15/10000)
	}
	if got := r.Total.Illegal.JCGDMJ; math.Abs(got-mu(3.03)) > 1e-9 {
		t.Errorf("3 × 1.006 亩 = %.6f 亩, want 3.03 (each counted as 1.01)", got*15/10000)
	}
	if math.Abs(RoundMu(mu(1.234567))-mu(1.23)) > 1e-9 {
		t.Error("RoundMu")
	}
}
