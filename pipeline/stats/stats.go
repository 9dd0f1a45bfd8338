// Package stats computes the figures of the 卫片执法 statistics an
// enforcement office submits every month, quarter and year, from plain
// values (no I/O): the tables of the practice
//
//  1. 卫片图斑核查情况一览表: per township, 图斑 by source (下发 and
//     自主监测), verified, 合法, 违法 and 其他 (伪变化, 设施农用地, 农村道路,
//     其他), each as count, 监测面积, 耕地面积 and 永久基本农田面积, and the
//     百亩大图斑 (≥ 100 亩 of 耕地);
//  2. 违法线索统计表 (整改情况): 总数 / 已整改 (拆除复耕, 补办手续) / 未整改,
//     with the practice's consistency checks;
//  3. 违法占用耕地面积比例 against the 15 % line and local lines;
//  4. 执法指标: 发现率, 制止率, 立案率, 结案率, 整改到位率, by count and 亩;
//  5. 巡查考核: per patrol zone and team, a 100-point score with every
//     deduction itemised;
//  6. 违法图斑清单.
//
// # Which 图斑 count
//
// A 图斑 counts in a period by its 统计日期 Tuban.Day, the 后时相 (the day the
// satellite saw the change; reconcile.PeriodDay, the rule of the
// reconciliation sheets too). The tables cover the 图斑 under enforcement:
// every 下发 图斑 (issued by 部/省/市) and every one of the county's own
// detections that became a verification task (初判 疑似违法); own
// detections pre-judged 已有用地手续 or 非关注变化 have no task and are only
// counted in Report.Excluded.
//
// A 图斑 is verified (核实后) when its task holds a verdict (判定, set on the
// step to 已核查 and kept after). The lifecycle decides the rest: 已制止
// from 已制止 on, 已立案 from 已立案 on, 已办结 at 已办结; 已整改 is an illegal
// 图斑 whose task is 已办结 with its rectification (整改中 is not yet
// rectified). Task states are those recorded in the store when the report
// is made; dates (结案 deadlines) are judged at Input.AsOf.
//
// Areas are m² in the input and in the figures; the documents show 亩
// (1 亩 = 10000/15 m²). Each 图斑's areas are first rounded to 0.01 亩, as
// its attribute table shows them, and every figure is a sum of those: so
// the rows of a table add up to its 合计 to the last digit, and the tables
// agree with each other and with the lists (RoundMu).
package stats

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/weipian/weipian/pipeline/geodesy"
	"github.com/weipian/weipian/pipeline/reconcile"
	"github.com/weipian/weipian/pipeline/task"
)

// SourceOwn is the Source of the county's own detections.
const SourceOwn = "自主监测"

// Tuban is a 图斑 as the statistics need it.
type Tuban struct {
	ID, JCBH string
	// XZQDM and Township (XZQMC) are its township; "" when it lies in none.
	XZQDM, Township string
	// Batch is the name of the 监测批次 that brought it (the issuer's batch
	// name for a 下发 图斑).
	Batch string
	// Day is its 统计日期 (YYYY-MM-DD): the 后时相.
	Day string
	// Source is 部, 省 or 市 for a 下发 图斑, "" (or SourceOwn) for the
	// county's own detection. OwnFound says the county's own detection had
	// found a 下发 图斑 too.
	Source   string
	OwnFound bool
	// TBLX is the change type 变化类型.
	TBLX string
	// JCMJ, JCGDMJ and YJJBNTMJ are 监测面积, 耕地面积 and 永久基本农田面积 in m².
	JCMJ, JCGDMJ, YJJBNTMJ float64
	// PatrolZone and Team are its patrol zone (by name) and team.
	PatrolZone, Team string
	// Patrol is the reconciliation outcome: 巡查已发现, 巡查应发现而未发现,
	// 未巡查覆盖, or "" when not reconciled.
	Patrol string
	// Task is its verification task; nil when it has none.
	Task *Task
}

// Issued reports whether the 图斑 was issued (下发).
func (t *Tuban) Issued() bool { return t.Source != "" && t.Source != SourceOwn }

// Patrol outcomes (reconcile.Outcome labels).
var (
	PatrolFound     = reconcile.FoundByPatrol.Label()
	PatrolMissed    = reconcile.ShouldHaveFound.Label()
	PatrolUncovered = reconcile.NotCovered.Label()
)

// Task is what the statistics need of a verification task.
type Task struct {
	State         task.State
	Verdict       task.Verdict
	ViolationType task.ViolationType
	Rectification task.Rectification
	// FiledAt is when it was filed (立案), zero if never.
	FiledAt time.Time
}

// TaskOf takes the figures of a stored task.
func TaskOf(t *task.Task) *Task {
	out := &Task{State: t.State, Verdict: t.Verdict, ViolationType: t.ViolationType, Rectification: t.Rectification}
	if tr, ok := t.LastTransition(task.Filed); ok {
		out.FiledAt = tr.At
	}
	return out
}

func (t *Task) atLeast(states ...task.State) bool {
	return t != nil && slices.Contains(states, t.State)
}

// Verified reports whether the task holds a verdict.
func (t *Task) Verified() bool {
	return t != nil && t.Verdict != "" && !t.atLeast(task.Pending, task.Verifying)
}

// Illegal reports whether the verdict is 违法.
func (t *Task) Illegal() bool { return t.Verified() && t.Verdict == task.VerdictIllegal }

// Stopped reports whether an illegal act was stopped (已制止 or later).
func (t *Task) Stopped() bool {
	return t.Illegal() && t.atLeast(task.Stopped, task.Filed, task.Rectifying, task.Closed)
}

// Filed reports whether a case was filed (已立案 or later).
func (t *Task) Filed() bool {
	return t.Illegal() && t.atLeast(task.Filed, task.Rectifying, task.Closed)
}

// Closed reports whether the illegal case is closed (已办结).
func (t *Task) Closed() bool { return t.Illegal() && t.State == task.Closed }

// Rectified reports whether the illegal case is rectified: 已办结 with a
// rectification recorded.
func (t *Task) Rectified() bool { return t.Closed() && t.Rectification != "" }

// Unrectified reports whether the illegal case is still open (已核查,
// 已制止, 已立案 or 整改中).
func (t *Task) Unrectified() bool {
	return t.Illegal() && t.atLeast(task.Verified, task.Stopped, task.Filed, task.Rectifying)
}

// Amount is a number of 图斑 and their areas (m²).
type Amount struct {
	N                      int
	JCMJ, JCGDMJ, YJJBNTMJ float64
}

func (a *Amount) add(t *Tuban) {
	a.N++
	a.JCMJ += t.JCMJ
	a.JCGDMJ += t.JCGDMJ
	a.YJJBNTMJ += t.YJJBNTMJ
}

// Plus returns a + b.
func (a Amount) Plus(b Amount) Amount {
	return Amount{a.N + b.N, a.JCMJ + b.JCMJ, a.JCGDMJ + b.JCGDMJ, a.YJJBNTMJ + b.YJJBNTMJ}
}

// Minus returns a − b.
func (a Amount) Minus(b Amount) Amount {
	return Amount{a.N - b.N, a.JCMJ - b.JCMJ, a.JCGDMJ - b.JCGDMJ, a.YJJBNTMJ - b.YJJBNTMJ}
}

// Zero reports whether a is nothing, areas within half a hundredth of a 亩
// (what the tables show).
func (a Amount) Zero() bool {
	const eps = 0.005 * geodesy.SquareMetresPerMu
	return a.N == 0 && math.Abs(a.JCMJ) < eps && math.Abs(a.JCGDMJ) < eps && math.Abs(a.YJJBNTMJ) < eps
}

// Check is one consistency check of a table row: Left = Right, and their
// difference when it does not hold.
type Check struct {
	// Rule reads e.g. "总数 = 已整改 + 未整改".
	Rule string
	OK   bool
	Diff Amount
}

func check(rule string, left, right Amount) Check {
	d := left.Minus(right)
	return Check{Rule: rule, OK: d.Zero(), Diff: d}
}

// OtherVerdicts are the verdicts counted as 其他, in the order of the tables.
var OtherVerdicts = []task.Verdict{task.VerdictFalseChange, task.VerdictFarmFacility, task.VerdictRuralRoad, task.VerdictOther}

// TownshipRow is one row of table 1 (and of the township charts).
type TownshipRow struct {
	// XZQDM and Township name the township; the 合计 row has Township "合计".
	XZQDM, Township string
	// Total = Issued + Own: the 图斑 under enforcement.
	Total, Issued, Own Amount
	// IssuedOwnFound counts the 下发 图斑 the county's own detection had
	// found too; IssuedPatrolFound those the patrol had found (巡查已发现).
	IssuedOwnFound, IssuedPatrolFound int
	// Verified = Legal + Illegal + Other; Unverified the rest.
	Verified, Legal, Illegal, Other Amount
	Unverified                      int
	// OtherBy breaks Other down, in the order of OtherVerdicts.
	OtherBy []Amount
	// Big are the 百亩大图斑 (≥ Config.BigMu 亩 of 耕地); BigIllegal how many
	// of them are illegal.
	Big        Amount
	BigIllegal int
	// Checks: 合计 = 下发 + 自主监测; 核实后 = 合法 + 违法 + 其他;
	// 其他 = its parts.
	Checks []Check
}

// RectRow is one row of table 2.
type RectRow struct {
	XZQDM, Township string
	// Total is every illegal 图斑; Rectified = Demolished + Permitted (plus
	// any other recorded rectification); Unrectified the open cases.
	Total, Rectified, Demolished, Permitted, Unrectified Amount
	// Checks: 总数 = 已整改 + 未整改; 已整改 = 拆除复耕 + 补办手续.
	Checks []Check
}

// Line is a threshold of the 违法占用耕地面积比例: reached when the ratio is at
// least Ratio and, when MinMu > 0, the illegal farmland at least MinMu 亩
// (e.g. "15 % together with 100 亩").
type Line struct {
	Label string
	Ratio float64
	MinMu float64
}

// String reads 15%, or 15%+100亩.
func (l Line) String() string {
	s := strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.4f", l.Ratio*100), "0"), ".") + "%"
	if l.MinMu > 0 {
		s += "+" + strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", l.MinMu), "0"), ".") + "亩"
	}
	return s
}

// DefaultLines is the national line: 15 % (《违反土地管理规定行为处分办法》
// 15号令; 一票否决 of the patrol assessment).
func DefaultLines() []Line {
	return []Line{{Label: "问责线（15号令）", Ratio: 0.15}}
}

// ParseLine reads a line written 15%, 9%, 0.09, 15%+100亩 (also 15%&100亩,
// 15%且100亩), optionally labelled: 省定预警线=9%.
func ParseLine(s string) (Line, error) {
	var l Line
	t := strings.TrimSpace(s)
	if label, rest, ok := strings.Cut(t, "="); ok {
		l.Label, t = strings.TrimSpace(label), strings.TrimSpace(rest)
	}
	t = strings.NewReplacer("％", "%", "＋", "+", "&", "+", "且", "+", " ", "").Replace(t)
	ratio, area, hasArea := strings.Cut(t, "+")
	pct := strings.HasSuffix(ratio, "%")
	var v float64
	if _, err := fmt.Sscanf(strings.TrimSuffix(ratio, "%"), "%g", &v); err != nil || math.IsNaN(v) {
		return Line{}, fmt.Errorf("ratio line %q: want e.g. 15%%, 9%% or 15%%+100亩", s)
	}
	if pct || v > 1 {
		v /= 100
	}
	if v <= 0 || v >= 1 {
		return Line{}, fmt.Errorf("ratio line %q: the ratio must be between 0%% and 100%%", s)
	}
	l.Ratio = v
	if hasArea {
		if _, err := fmt.Sscanf(strings.TrimSuffix(area, "亩"), "%g", &l.MinMu); err != nil || !(l.MinMu > 0) {
			return Line{}, fmt.Errorf("ratio line %q: want an area in 亩 after +, e.g. 15%%+100亩", s)
		}
	}
	if l.Label == "" {
		l.Label = "地方线 " + l.String()
	}
	return l, nil
}

// Approval is one approval (批准用地) counted in the denominator of the
// ratio: approved for construction in the period.
type Approval struct {
	No, Type, ValidFrom, ValidTo string
	// FarmlandM2 is its area on 耕地.
	FarmlandM2 float64
}

// NewConstruction reports whether an approval of type typ whose validity
// starts on validFrom counts as 新增建设用地 of period p: a conversion of
// farmland (农用地转用), an expropriation (土地征收), both, or a supply of
// construction land (供地) approved in the period. 设施农用地 and 临时用地 do
// not make construction land.
func NewConstruction(typ, validFrom string, p Period) bool {
	switch typ {
	case "农用地转用", "土地征收", "农用地转用和土地征收", "供地":
		return p.Contains(validFrom)
	}
	return false
}

// LineResult says whether a line is reached.
type LineResult struct {
	Line    Line
	Reached bool
}

// Ratio is table 3: 违法占用耕地面积 ÷ 新增建设用地占用耕地总面积, where
// 新增建设用地占用耕地 = approved + illegal.
type Ratio struct {
	IllegalFarmM2, ApprovedFarmM2, TotalFarmM2 float64
	// Value is the ratio, -1 when the denominator is 0.
	Value float64
	Lines []LineResult
	// Approvals are the approvals counted (by 批准文号); their farmland
	// areas may overlap, ApprovedFarmM2 counts the overlap once.
	Approvals []Approval
	// Layers names the layer versions used (e.g. "批准用地 第2版 …").
	Layers []string
	// NoApprovals is true when no approvals layer was imported.
	NoApprovals bool
}

// Indicator is one row of table 4: a rate by count and by 亩 (监测面积).
type Indicator struct {
	Name, Num, Den, Formula string
	NumN, DenN              int
	NumM2, DenM2            float64
	// RateN and RateM2 are the rates, -1 when the denominator is 0.
	RateN, RateM2 float64
}

// ListRow is one row of table 6 (违法图斑清单).
type ListRow struct {
	No                                 int
	Township, Batch, JCBH, TBLX, WFLX  string
	JCMJ, JCGDMJ, YJJBNTMJ             float64
	Rectified                          bool
	Rectification, State, Patrol, Note string
}

// MonthRow is one month of the trend chart.
type MonthRow struct {
	Month          string // YYYY-MM
	Tubans         int
	Illegal        int
	IllegalFarmM2  float64
	IllegalAreaM2  float64
	VerifiedTubans int
}

// Config holds the local rules; zero fields take the defaults.
type Config struct {
	// Lines are the ratio lines (default DefaultLines).
	Lines []Line
	// BigMu is the 耕地 area from which a 图斑 is a 百亩大图斑 (default 100).
	BigMu float64
	// Assess configures the patrol assessment.
	Assess AssessConfig
}

func (c Config) withDefaults() Config {
	if len(c.Lines) == 0 {
		c.Lines = DefaultLines()
	}
	if c.BigMu <= 0 {
		c.BigMu = 100
	}
	c.Assess = c.Assess.withDefaults()
	return c
}

// Input is everything a report is computed from.
type Input struct {
	Period Period
	// AsOf is the day deadlines are judged at (结案 within the legal
	// period); usually the period's last day, or today while it runs.
	AsOf time.Time
	// Tubans are the 图斑 of the region and batches asked for, of any
	// period (the trend chart covers the period's whole year).
	Tubans []Tuban
	// Approvals are the approvals counted as new construction land in the
	// period (see NewConstruction), and ApprovedFarmM2 the area of their
	// union on 耕地 (overlaps once). NoApprovals says no approvals layer
	// exists. Layers name the zone layer versions used.
	Approvals      []Approval
	ApprovedFarmM2 float64
	NoApprovals    bool
	Layers         []string
	// Zones are the patrol zones' ledger figures for the period
	// (reconcile.Assess with no patches) and their 责任人.
	Zones []PatrolZone
}

// PatrolZone is a patrol zone of the assessment.
type PatrolZone struct {
	reconcile.ZoneResult
	Person string
}

// Report holds every table of the period.
type Report struct {
	Period Period
	AsOf   time.Time
	Config Config
	// Townships are table 1 and Total its 合计 row.
	Townships []TownshipRow
	Total     TownshipRow
	// Rect are table 2 and RectTotal its 合计 row; CrossCheck compares
	// table 2's 总数 with table 1's 违法.
	Rect       []RectRow
	RectTotal  RectRow
	CrossCheck Check
	Ratio      Ratio
	Indicators []Indicator
	// TownshipIndicators are table 4's indicators per township (table
	// 4-2), in table 1's order; a township without 违法图斑 has rates of -1.
	TownshipIndicators []TownshipIndicators
	Assessment         Assessment
	List               []ListRow
	Trend              []MonthRow
	// Excluded counts the period's own detections without a task
	// (已有用地手续, 非关注变化), which the tables leave out; InPeriod
	// counts every 图斑 of the period (Total.Total.N + Excluded).
	Excluded, InPeriod int
	// NoZone counts the period's 图斑 under enforcement in no patrol zone.
	NoZone int
}

// RoundMu rounds an area in m² to 0.01 亩 and returns it in m².
// (Half up, as the lists round: the same bits as their 亩.)
func RoundMu(m2 float64) float64 {
	v := m2 / geodesy.SquareMetresPerMu
	r := math.Floor(math.Abs(v)*100+0.5) / 100
	if v < 0 {
		r = -r
	}
	return r * geodesy.SquareMetresPerMu
}

// inScope reports whether a 图斑 is under enforcement.
func inScope(t *Tuban) bool { return t.Issued() || t.Task != nil }

// Compute computes every table.
func Compute(in Input, cfg Config) Report {
	cfg = cfg.withDefaults()
	r := Report{Period: in.Period, AsOf: in.AsOf, Config: cfg}
	in.Tubans = slices.Clone(in.Tubans)
	for i := range in.Tubans {
		t := &in.Tubans[i]
		t.JCMJ, t.JCGDMJ, t.YJJBNTMJ = RoundMu(t.JCMJ), RoundMu(t.JCGDMJ), RoundMu(t.YJJBNTMJ)
	}
	in.ApprovedFarmM2 = RoundMu(in.ApprovedFarmM2)
	in.Approvals = slices.Clone(in.Approvals)
	for i := range in.Approvals {
		in.Approvals[i].FarmlandM2 = RoundMu(in.Approvals[i].FarmlandM2)
	}
	var ts []*Tuban
	for i := range in.Tubans {
		t := &in.Tubans[i]
		if !in.Period.Contains(t.Day) {
			continue
		}
		r.InPeriod++
		if !inScope(t) {
			r.Excluded++
			continue
		}
		if t.PatrolZone == "" {
			r.NoZone++
		}
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b *Tuban) int {
		return cmp.Or(cmp.Compare(townKey(a), townKey(b)), cmp.Compare(a.JCBH, b.JCBH), cmp.Compare(a.ID, b.ID))
	})
	r.table1(ts)
	r.table2(ts)
	r.CrossCheck = check("表2 违法线索总数 = 表1 违法", r.RectTotal.Total, r.Total.Illegal)
	r.Ratio = ratio(in, cfg, r.Total.Illegal.JCGDMJ)
	r.Indicators = indicators(ts)
	r.TownshipIndicators = townshipIndicators(ts)
	r.Assessment = assess(in, ts, cfg.Assess, r.Ratio)
	r.List = list(ts, cfg.BigMu)
	r.Trend = trend(in)
	return r
}

// townKey sorts townships by code; 图斑 in no township last.
func townKey(t *Tuban) string {
	if t.XZQDM == "" && t.Township == "" {
		return "\uffff"
	}
	return t.XZQDM + "\x00" + t.Township
}

// NoTownship labels the 图斑 that lie in no township.
const NoTownship = "未落入乡镇"

func townshipName(t *Tuban) string {
	switch {
	case t.Township != "":
		return t.Township
	case t.XZQDM != "":
		return t.XZQDM
	}
	return NoTownship
}

func (r *Report) table1(ts []*Tuban) {
	bigM2 := r.Config.BigMu * geodesy.SquareMetresPerMu
	rows := map[string]*TownshipRow{}
	var order []string
	total := &TownshipRow{Township: "合计", OtherBy: make([]Amount, len(OtherVerdicts))}
	for _, t := range ts {
		k := townKey(t)
		row, ok := rows[k]
		if !ok {
			row = &TownshipRow{XZQDM: t.XZQDM, Township: townshipName(t), OtherBy: make([]Amount, len(OtherVerdicts))}
			rows[k] = row
			order = append(order, k)
		}
		for _, x := range []*TownshipRow{row, total} {
			x.Total.add(t)
			if t.Issued() {
				x.Issued.add(t)
				if t.OwnFound {
					x.IssuedOwnFound++
				}
				if t.Patrol == PatrolFound {
					x.IssuedPatrolFound++
				}
			} else {
				x.Own.add(t)
			}
			switch {
			case !t.Task.Verified():
				x.Unverified++
			case t.Task.Verdict == task.VerdictLegal:
				x.Verified.add(t)
				x.Legal.add(t)
			case t.Task.Verdict == task.VerdictIllegal:
				x.Verified.add(t)
				x.Illegal.add(t)
			default:
				x.Verified.add(t)
				x.Other.add(t)
				if i := slices.Index(OtherVerdicts, t.Task.Verdict); i >= 0 {
					x.OtherBy[i].add(t)
				}
			}
			if t.JCGDMJ >= bigM2 {
				x.Big.add(t)
				if t.Task.Illegal() {
					x.BigIllegal++
				}
			}
		}
	}
	for _, k := range order {
		r.Townships = append(r.Townships, *rows[k])
	}
	r.Total = *total
	for i := range r.Townships {
		r.Townships[i].Checks = table1Checks(&r.Townships[i])
	}
	r.Total.Checks = table1Checks(&r.Total)
}

func table1Checks(x *TownshipRow) []Check {
	var parts Amount
	for _, a := range x.OtherBy {
		parts = parts.Plus(a)
	}
	return []Check{
		check("合计 = 下发 + 自主监测", x.Total, x.Issued.Plus(x.Own)),
		check("核实后 = 合法 + 违法 + 其他", x.Verified, x.Legal.Plus(x.Illegal).Plus(x.Other)),
		check("其他 = 伪变化 + 设施农用地 + 农村道路 + 其他", x.Other, parts),
	}
}

func (r *Report) table2(ts []*Tuban) {
	rows := map[string]*RectRow{}
	var order []string
	total := &RectRow{Township: "合计"}
	for _, t := range ts {
		if !t.Task.Illegal() {
			continue
		}
		k := townKey(t)
		row, ok := rows[k]
		if !ok {
			row = &RectRow{XZQDM: t.XZQDM, Township: townshipName(t)}
			rows[k] = row
			order = append(order, k)
		}
		for _, x := range []*RectRow{row, total} {
			x.Total.add(t)
			switch {
			case t.Task.Rectified():
				x.Rectified.add(t)
				switch t.Task.Rectification {
				case task.RectifyDemolish:
					x.Demolished.add(t)
				case task.RectifyPermit:
					x.Permitted.add(t)
				}
			case t.Task.Unrectified():
				x.Unrectified.add(t)
			}
		}
	}
	checks := func(x *RectRow) []Check {
		return []Check{
			check("总数 = 已整改 + 未整改", x.Total, x.Rectified.Plus(x.Unrectified)),
			check("已整改 = 拆除复耕 + 补办手续", x.Rectified, x.Demolished.Plus(x.Permitted)),
		}
	}
	for _, k := range order {
		row := rows[k]
		row.Checks = checks(row)
		r.Rect = append(r.Rect, *row)
	}
	total.Checks = checks(total)
	r.RectTotal = *total
}

// Reached reports whether illegal farmland illegalM2 at ratio v reaches l.
// The comparison allows a relative 1e-9 for the rounding of areas.
func (l Line) Reached(v, illegalM2 float64) bool {
	if v < 0 {
		return false
	}
	return v >= l.Ratio*(1-1e-9) && geodesy.Mu(illegalM2) >= l.MinMu*(1-1e-9)
}

func ratio(in Input, cfg Config, illegalFarm float64) Ratio {
	r := Ratio{IllegalFarmM2: illegalFarm, ApprovedFarmM2: in.ApprovedFarmM2, NoApprovals: in.NoApprovals,
		Layers: slices.Clone(in.Layers), Approvals: slices.Clone(in.Approvals)}
	slices.SortFunc(r.Approvals, func(a, b Approval) int { return cmp.Or(cmp.Compare(a.ValidFrom, b.ValidFrom), cmp.Compare(a.No, b.No)) })
	r.TotalFarmM2 = r.IllegalFarmM2 + r.ApprovedFarmM2
	r.Value = -1
	if r.TotalFarmM2 > 0 {
		r.Value = r.IllegalFarmM2 / r.TotalFarmM2
	}
	for _, l := range cfg.Lines {
		r.Lines = append(r.Lines, LineResult{Line: l, Reached: l.Reached(r.Value, r.IllegalFarmM2)})
	}
	return r
}

// Formulas of table 4, written under it.
const (
	FormulaDiscovery = "发现率 = 巡查已发现的违法图斑 ÷ 违法图斑"
	FormulaStop      = "制止率 = 已制止的违法图斑（含已立案、整改中、已办结）÷ 违法图斑"
	FormulaFile      = "立案率 = 已立案的违法图斑（含整改中、已办结）÷ 违法图斑"
	FormulaClose     = "结案率 = 已办结的违法图斑 ÷ 已立案的违法图斑"
	FormulaRectify   = "整改到位率 = 已整改的违法图斑（已办结，拆除复耕或补办手续）÷ 违法图斑"
)

// TownshipIndicators are one township's indicators (table 4-2).
type TownshipIndicators struct {
	XZQDM, Township string
	Indicators      []Indicator
}

// townshipIndicators computes the indicators of each township of ts
// (sorted by township, as Compute sorts them).
func townshipIndicators(ts []*Tuban) []TownshipIndicators {
	var out []TownshipIndicators
	for i := 0; i < len(ts); {
		j := i + 1
		for j < len(ts) && townKey(ts[j]) == townKey(ts[i]) {
			j++
		}
		out = append(out, TownshipIndicators{XZQDM: ts[i].XZQDM, Township: townshipName(ts[i]), Indicators: indicators(ts[i:j])})
		i = j
	}
	return out
}

func indicators(ts []*Tuban) []Indicator {
	var illegal, found, stopped, filed, closed, rectified Amount
	for _, t := range ts {
		if !t.Task.Illegal() {
			continue
		}
		illegal.add(t)
		if t.Patrol == PatrolFound {
			found.add(t)
		}
		if t.Task.Stopped() {
			stopped.add(t)
		}
		if t.Task.Filed() {
			filed.add(t)
		}
		if t.Task.Closed() {
			closed.add(t)
		}
		if t.Task.Rectified() {
			rectified.add(t)
		}
	}
	mk := func(name, num, den, formula string, n, d Amount) Indicator {
		in := Indicator{Name: name, Num: num, Den: den, Formula: formula, NumN: n.N, DenN: d.N, NumM2: n.JCMJ, DenM2: d.JCMJ, RateN: -1, RateM2: -1}
		if d.N > 0 {
			in.RateN = float64(n.N) / float64(d.N)
		}
		if d.JCMJ > 0 {
			in.RateM2 = n.JCMJ / d.JCMJ
		}
		return in
	}
	return []Indicator{
		mk("发现率", "巡查已发现", "违法图斑", FormulaDiscovery, found, illegal),
		mk("制止率", "已制止", "违法图斑", FormulaStop, stopped, illegal),
		mk("立案率", "已立案", "违法图斑", FormulaFile, filed, illegal),
		mk("结案率", "已办结", "已立案", FormulaClose, closed, filed),
		mk("整改到位率", "已整改", "违法图斑", FormulaRectify, rectified, illegal),
	}
}

func list(ts []*Tuban, bigMu float64) []ListRow {
	var out []ListRow
	for _, t := range ts {
		if !t.Task.Illegal() {
			continue
		}
		row := ListRow{No: len(out) + 1, Township: townshipName(t), Batch: t.Batch, JCBH: t.JCBH, TBLX: t.TBLX,
			WFLX: t.Task.ViolationType.Label(), JCMJ: t.JCMJ, JCGDMJ: t.JCGDMJ, YJJBNTMJ: t.YJJBNTMJ,
			Rectified: t.Task.Rectified(), State: t.Task.State.Label(), Patrol: t.Patrol}
		if row.Rectified {
			row.Rectification = t.Task.Rectification.Label()
		}
		var note []string
		note = append(note, "状态："+row.State)
		if t.Issued() {
			note = append(note, t.Source+"下发")
		} else {
			note = append(note, SourceOwn)
		}
		if t.Patrol != "" {
			note = append(note, t.Patrol)
		}
		if geodesy.Mu(t.JCGDMJ) >= bigMu {
			note = append(note, "百亩大图斑")
		}
		row.Note = strings.Join(note, "；")
		out = append(out, row)
	}
	return out
}

func trend(in Input) []MonthRow {
	months := in.Period.TrendMonths()
	rows := make([]MonthRow, len(months))
	for i, m := range months {
		rows[i].Month = m
	}
	for i := range in.Tubans {
		t := &in.Tubans[i]
		if !inScope(t) || len(t.Day) < 7 {
			continue
		}
		j := slices.Index(months, t.Day[:7])
		if j < 0 {
			continue
		}
		rows[j].Tubans++
		if t.Task.Verified() {
			rows[j].VerifiedTubans++
		}
		if t.Task.Illegal() {
			rows[j].Illegal++
			rows[j].IllegalFarmM2 += t.JCGDMJ
			rows[j].IllegalAreaM2 += t.JCMJ
		}
	}
	return rows
}
