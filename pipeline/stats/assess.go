package stats

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// The 100-point patrol assessment (seed 004, 篇五 第二十四条): eight items
// worth 10/10/10/10/25/15/10/10. Each item starts at its marks (a
// manual mark where configured) and loses the deductions the system can
// measure, never below 0; items the system cannot measure at all are
// 人工评分 at their configured marks (default full). ≥ 90 优秀, 70–90 合格,
// < 70 不合格; reaching the 15 % line (一票否决) makes the county 不合格.

// Item is one of the eight items.
type Item struct {
	No   int
	Name string
	Max  float64
	// Basis says how it is scored: 系统核算, 系统核算＋人工评分 or 人工评分.
	Basis string
	// Measured says what the system checks for this item.
	Measured string
}

// Bases of an item's score.
const (
	BasisSystem = "系统核算"
	BasisMixed  = "系统核算＋人工评分"
	BasisManual = "人工评分"
)

// Items returns the eight items of 第二十四条.
func Items() []Item {
	return []Item{
		{1, "巡查责任制（划分区域、分片包干、责任到人）", 10, BasisMixed, "巡查区有巡查组和责任人；信息网络、目标管理人工核对"},
		{2, "人员、经费与装备保障", 10, BasisManual, ""},
		{3, "巡查计划、频次与覆盖", 10, BasisMixed, "各级巡查区频次、两人以上巡查、一级（重点）区域覆盖率；巡查计划人工核对"},
		{4, "巡查台帐", 10, BasisMixed, "违法行为台帐的报告日期是否登记；台帐规范性人工核对"},
		{5, "及时发现与依法制止", 25, BasisSystem, "巡查应发现而未发现、制止率、《动态巡查情况报告表》上报"},
		{6, "立案与结案", 15, BasisSystem, "立案率、法定期限内结案率"},
		{7, "考核奖惩办法与监督检查", 10, BasisManual, ""},
		{8, "资料备案与报表报送", 10, BasisManual, ""},
	}
}

// AssessConfig holds the deductions; zero fields take the defaults, chosen
// within the seed's ranges.
type AssessConfig struct {
	// MissedDeduct is per 巡查应发现而未发现 图斑 (seed: 3–5; default 3).
	MissedDeduct float64
	// FrequencyDeduct is per calendar month in which a grade-2/3 zone's
	// frequency is not met (at least one month when it is not met at all;
	// 未按要求开展巡查, seed 2–5 per item; default 3).
	FrequencyDeduct float64
	// SoloDeduct is per patrol of fewer than two people (default 2).
	SoloDeduct float64
	// CoveragePerPoint is per whole percentage point of patrol-day coverage
	// of a 一级 (重点) zone below 100 % (seed: 3).
	CoveragePerPoint float64
	// StopRatePerPoint is per point of 制止率 below 100 % (seed: 5).
	StopRatePerPoint float64
	// ReportDeduct is per violation whose report (《动态巡查违法行为报告表》)
	// is missing or late (seed: 5).
	ReportDeduct float64
	// UndatedDeduct is per violation whose report is recorded without a
	// date (登记内容不完整, seed 2–5; default 2).
	UndatedDeduct float64
	// FileRatePerPoint is per point of 立案率 below 100 % (seed: 5);
	// CloseRatePerPoint per point of 结案率 below CloseTarget (seed: 3).
	FileRatePerPoint, CloseRatePerPoint float64
	// CloseTarget is the 结案率 to reach (default 100 %); CloseDays the
	// legal period from 立案 after which a case should be closed (default
	// 90 days, 《自然资源行政处罚办法》).
	CloseTarget float64
	CloseDays   int
	// ResponsibilityDeduct is for a zone without team or 责任人 (seed: 5).
	ResponsibilityDeduct float64
	// Manual gives the marks of items by number (人工评分); an item not
	// given keeps its full marks. Measured deductions still apply.
	Manual map[int]float64
}

func (c AssessConfig) withDefaults() AssessConfig {
	def := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MissedDeduct, 3)
	def(&c.FrequencyDeduct, 3)
	def(&c.SoloDeduct, 2)
	def(&c.CoveragePerPoint, 3)
	def(&c.StopRatePerPoint, 5)
	def(&c.ReportDeduct, 5)
	def(&c.UndatedDeduct, 2)
	def(&c.FileRatePerPoint, 5)
	def(&c.CloseRatePerPoint, 3)
	def(&c.CloseTarget, 1)
	def(&c.ResponsibilityDeduct, 5)
	if c.CloseDays <= 0 {
		c.CloseDays = 90
	}
	return c
}

// Deduction is one itemised loss of points.
type Deduction struct {
	Item   int
	Reason string
	Points float64
}

// ItemScore is an item's score for one unit.
type ItemScore struct {
	Item
	// Base is where it starts: the manual marks, or Max.
	Base       float64
	Deductions []Deduction
	Score      float64
}

// UnitFigures are the measured figures of a zone or team.
type UnitFigures struct {
	Zones, ZonesWithoutPerson, ZonesWithoutTeam int
	// Grade-1 patrol days and required days (coverage), and the grade-2/3
	// zones whose frequency is not met.
	G1Days, G1Required int
	FrequencyShort     []Shortfall
	FrequencyMet       bool
	PatrolDays         int
	RequiredDays       int
	Patrols            int
	SoloPatrols        int
	// 图斑 figures of the period: those reconciled with the ledger, and
	// their outcomes.
	Reconciled, Missed, Uncovered, Found int
	Illegal, Stopped, Filed, DueClose    int
	ClosedInTime                         int
	// Ledger violations and their reports.
	Violations, ReportBad, ReportUndated int
}

// Shortfall is a grade-2/3 zone whose patrol frequency is not met, and in
// how many calendar months (at least 1).
type Shortfall struct {
	Zone   string
	Months int
}

// UnitScore is the assessment of one patrol zone or team.
type UnitScore struct {
	// Zone is the zone's name ("" for a team row); Team its team; Grade
	// the zone's grade label.
	Zone, Team, Grade string
	Figures           UnitFigures
	Items             []ItemScore
	Total             float64
	Rating            string
}

// Assessment is table 5.
type Assessment struct {
	Zones, Teams []UnitScore
	Config       AssessConfig
	// Veto is set when the ratio reaches 15 % (第二十六条: 一票否决, the
	// county is 不合格 whatever its score).
	Veto bool
}

// Rating returns 优秀 (≥ 90), 合格 (70–90) or 不合格 (< 70).
func Rating(score float64) string {
	switch {
	case score >= 90:
		return "优秀"
	case score >= 70:
		return "合格"
	}
	return "不合格"
}

func assess(in Input, ts []*Tuban, cfg AssessConfig, r Ratio) Assessment {
	a := Assessment{Config: cfg}
	a.Veto = DefaultLines()[0].Reached(r.Value, r.IllegalFarmM2)
	// Per-zone 图斑 figures.
	perZone := map[string]*UnitFigures{}
	for i := range in.Zones {
		perZone[in.Zones[i].Name] = &UnitFigures{}
	}
	asOf := in.AsOf
	for _, t := range ts {
		f := perZone[t.PatrolZone]
		if f == nil {
			continue
		}
		if t.Patrol != "" {
			f.Reconciled++
			switch t.Patrol {
			case PatrolFound:
				f.Found++
			case PatrolMissed:
				f.Missed++
			case PatrolUncovered:
				f.Uncovered++
			}
		}
		if !t.Task.Illegal() {
			continue
		}
		f.Illegal++
		if t.Task.Stopped() {
			f.Stopped++
		}
		if t.Task.Filed() {
			f.Filed++
			if closeDue(t.Task.FiledAt, asOf, cfg.CloseDays) || t.Task.Closed() {
				f.DueClose++
				if t.Task.Closed() {
					f.ClosedInTime++
				}
			}
		}
	}
	teams := map[string]*UnitFigures{}
	var teamOrder []string
	for i := range in.Zones {
		z := &in.Zones[i]
		f := perZone[z.Name]
		zoneFigures(f, z)
		a.Zones = append(a.Zones, score(UnitScore{Zone: z.Name, Team: z.Team, Grade: z.Grade.Label(), Figures: *f}, cfg))
		tf, ok := teams[z.Team]
		if !ok {
			tf = &UnitFigures{FrequencyMet: true}
			teams[z.Team] = tf
			teamOrder = append(teamOrder, z.Team)
		}
		merge(tf, f)
	}
	slices.SortStableFunc(teamOrder, cmp.Compare)
	for _, t := range teamOrder {
		a.Teams = append(a.Teams, score(UnitScore{Team: t, Figures: *teams[t]}, cfg))
	}
	return a
}

func zoneFigures(f *UnitFigures, z *PatrolZone) {
	f.Zones = 1
	if z.Person == "" {
		f.ZonesWithoutPerson = 1
	}
	if z.Team == "" {
		f.ZonesWithoutTeam = 1
	}
	f.PatrolDays, f.RequiredDays, f.Patrols, f.SoloPatrols = z.PatrolDays, z.RequiredDays, z.Patrols, z.SoloPatrols
	f.FrequencyMet = z.FrequencyMet
	if z.Grade == 1 {
		f.G1Days, f.G1Required = min(z.PatrolDays, z.RequiredDays), z.RequiredDays
	} else if !z.FrequencyMet {
		f.FrequencyShort = []Shortfall{{z.Name, max(1, z.ShortMonths)}}
	}
	f.Violations = z.Violations
	f.ReportBad = z.ReportLate + z.ReportMissing
	f.ReportUndated = z.ReportUndated
}

func merge(t, f *UnitFigures) {
	t.Zones += f.Zones
	t.ZonesWithoutPerson += f.ZonesWithoutPerson
	t.ZonesWithoutTeam += f.ZonesWithoutTeam
	t.G1Days += f.G1Days
	t.G1Required += f.G1Required
	t.FrequencyShort = append(t.FrequencyShort, f.FrequencyShort...)
	t.FrequencyMet = t.FrequencyMet && f.FrequencyMet
	t.PatrolDays += f.PatrolDays
	t.RequiredDays += f.RequiredDays
	t.Patrols += f.Patrols
	t.SoloPatrols += f.SoloPatrols
	t.Reconciled += f.Reconciled
	t.Missed += f.Missed
	t.Uncovered += f.Uncovered
	t.Found += f.Found
	t.Illegal += f.Illegal
	t.Stopped += f.Stopped
	t.Filed += f.Filed
	t.DueClose += f.DueClose
	t.ClosedInTime += f.ClosedInTime
	t.Violations += f.Violations
	t.ReportBad += f.ReportBad
	t.ReportUndated += f.ReportUndated
}

// shortfallPoints is the whole percentage points by which num/den is below
// target (0 when den is 0).
func shortfallPoints(num, den int, target float64) int {
	if den == 0 {
		return 0
	}
	gap := target*100 - float64(num)*100/float64(den)
	if gap <= 1e-9 {
		return 0
	}
	return int(math.Floor(gap + 1e-9))
}

func score(u UnitScore, cfg AssessConfig) UnitScore {
	f := u.Figures
	var ds []Deduction
	add := func(item int, pts float64, format string, args ...any) {
		if pts > 0 {
			ds = append(ds, Deduction{Item: item, Reason: fmt.Sprintf(format, args...), Points: pts})
		}
	}
	// 1. Responsibility.
	add(1, float64(f.ZonesWithoutTeam)*cfg.ResponsibilityDeduct, "%d个巡查区未明确巡查组", f.ZonesWithoutTeam)
	add(1, float64(f.ZonesWithoutPerson)*cfg.ResponsibilityDeduct, "%d个巡查区未明确责任人", f.ZonesWithoutPerson)
	// 3. Frequency and coverage.
	if p := shortfallPoints(f.G1Days, f.G1Required, 1); p > 0 {
		add(3, float64(p)*cfg.CoveragePerPoint, "一级（重点）区域巡查覆盖率%.1f%%（巡查%d天/应巡查%d天），低%d个百分点×%g分",
			float64(f.G1Days)*100/float64(f.G1Required), f.G1Days, f.G1Required, p, cfg.CoveragePerPoint)
	}
	for _, z := range f.FrequencyShort {
		add(3, float64(z.Months)*cfg.FrequencyDeduct, "%s巡查频次未达标%d个月×%g分", z.Zone, z.Months, cfg.FrequencyDeduct)
	}
	add(3, float64(f.SoloPatrols)*cfg.SoloDeduct, "单人巡查%d次×%g分（巡查人员不少于2人）", f.SoloPatrols, cfg.SoloDeduct)
	// 4. Ledger.
	add(4, float64(f.ReportUndated)*cfg.UndatedDeduct, "违法行为台帐%d起未登记报告日期×%g分", f.ReportUndated, cfg.UndatedDeduct)
	// 5. Discovery and stopping.
	add(5, float64(f.Missed)*cfg.MissedDeduct, "巡查应发现而未发现%d个×%g分", f.Missed, cfg.MissedDeduct)
	if p := shortfallPoints(f.Stopped, f.Illegal, 1); p > 0 {
		add(5, float64(p)*cfg.StopRatePerPoint, "制止率%.1f%%（%d/%d），低%d个百分点×%g分",
			float64(f.Stopped)*100/float64(f.Illegal), f.Stopped, f.Illegal, p, cfg.StopRatePerPoint)
	}
	add(5, float64(f.ReportBad)*cfg.ReportDeduct, "%d起违法行为未按期填报《动态巡查情况报告表》×%g分", f.ReportBad, cfg.ReportDeduct)
	// 6. Filing and closing.
	if p := shortfallPoints(f.Filed, f.Illegal, 1); p > 0 {
		add(6, float64(p)*cfg.FileRatePerPoint, "立案率%.1f%%（%d/%d），低%d个百分点×%g分",
			float64(f.Filed)*100/float64(f.Illegal), f.Filed, f.Illegal, p, cfg.FileRatePerPoint)
	}
	if p := shortfallPoints(f.ClosedInTime, f.DueClose, cfg.CloseTarget); p > 0 {
		add(6, float64(p)*cfg.CloseRatePerPoint, "法定期限内结案率%.1f%%（%d/%d），低于%g%%目标%d个百分点×%g分",
			float64(f.ClosedInTime)*100/float64(f.DueClose), f.ClosedInTime, f.DueClose, cfg.CloseTarget*100, p, cfg.CloseRatePerPoint)
	}
	u.Items = nil
	u.Total = 0
	for _, it := range Items() {
		s := ItemScore{Item: it, Base: it.Max}
		if m, ok := cfg.Manual[it.No]; ok {
			s.Base = math.Max(0, math.Min(it.Max, m))
		}
		s.Score = s.Base
		for _, d := range ds {
			if d.Item == it.No {
				s.Deductions = append(s.Deductions, d)
				s.Score -= d.Points
			}
		}
		s.Score = math.Max(0, s.Score)
		u.Items = append(u.Items, s)
		u.Total += s.Score
	}
	u.Rating = Rating(u.Total)
	return u
}

// closeDue reports whether a case filed at filed should be closed by asOf.
func closeDue(filed, asOf time.Time, days int) bool {
	return !filed.IsZero() && !filed.AddDate(0, 0, days).After(asOf)
}
