package reconcile

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// Period is a half-open range of calendar days [From, To).
type Period struct {
	From, To time.Time
}

// Month returns the period of one calendar month in loc.
func Month(year int, month time.Month, loc *time.Location) Period {
	from := time.Date(year, month, 1, 0, 0, 0, 0, loc)
	return Period{From: from, To: from.AddDate(0, 1, 0)}
}

// ParseMonth parses "2026-05" into the period of that month in loc.
func ParseMonth(s string, loc *time.Location) (Period, error) {
	t, err := time.ParseInLocation("2006-01", strings.TrimSpace(s), loc)
	if err != nil {
		return Period{}, fmt.Errorf("reconcile: parse month %q: %w", s, err)
	}
	return Month(t.Year(), t.Month(), loc), nil
}

// Contains reports whether the day of t in loc falls in p.
func (p Period) Contains(t time.Time, loc *time.Location) bool {
	d := dayStart(t, loc)
	return !d.Before(dayStart(p.From, loc)) && d.Before(dayStart(p.To, loc))
}

// PeriodDay is the day by which a patch counts in a period, the one rule of
// both reconciliation sheets and of the reports: its 后时相 HSX, the day the
// satellite saw the change (a batch processed months later still counts in
// the month it monitors); a patch without HSX counts by its flag date
// (PatchResult.FlaggedAt, else Patch.FlaggedAt).
func PeriodDay(pr *PatchResult) time.Time {
	switch {
	case !pr.Patch.HSX.IsZero():
		return pr.Patch.HSX
	case !pr.FlaggedAt.IsZero():
		return pr.FlaggedAt
	}
	return pr.Patch.FlaggedAt
}

// InPeriod returns the results whose PeriodDay falls in p, in their order.
func InPeriod(results []PatchResult, p Period, loc *time.Location) []PatchResult {
	var out []PatchResult
	for i := range results {
		if p.Contains(PeriodDay(&results[i]), loc) {
			out = append(out, results[i])
		}
	}
	return out
}

// String returns "2026-05-01..2026-05-31" (To is exclusive; the last day is
// shown).
func (p Period) String() string {
	return p.From.Format("2006-01-02") + ".." + p.To.AddDate(0, 0, -1).Format("2006-01-02")
}

// DeadlineStatus is how a stop or report deadline was kept.
type DeadlineStatus int

const (
	// DeadlinePending: nothing recorded yet and the deadline has not passed.
	DeadlinePending DeadlineStatus = iota
	// DeadlineMet: done on or before the deadline.
	DeadlineMet
	// DeadlineLate: done after the deadline.
	DeadlineLate
	// DeadlineMissing: nothing recorded and the deadline has passed.
	DeadlineMissing
	// DeadlineUndated: recorded as done, without a date.
	DeadlineUndated
)

// Label returns the zh-CN status: 未到期, 按时, 超期, 未记录(已超期), 无日期.
func (s DeadlineStatus) Label() string {
	switch s {
	case DeadlinePending:
		return "未到期"
	case DeadlineMet:
		return "按时"
	case DeadlineLate:
		return "超期"
	case DeadlineMissing:
		return "未记录(已超期)"
	case DeadlineUndated:
		return "无日期"
	}
	return ""
}

// DeadlineCheck is the stop and report check of one violation a patrol
// found.
type DeadlineCheck struct {
	EntryID, Ref string
	// Found is the day of discovery (the entry's Start day).
	Found time.Time
	// StopDue and ReportDue are the last allowed days; StopDate and
	// ReportDate the recorded days (zero when not recorded or undated).
	StopDue, StopDate     time.Time
	ReportDue, ReportDate time.Time
	Stop, Report          DeadlineStatus
	// StopIneffective: 制止效果 says the stop did not work (拒不停止, 仍在施工 …).
	StopIneffective bool
}

// ZoneResult is one patrol zone's figures for one period.
type ZoneResult struct {
	ZoneID, Name, Team string
	Grade              Grade
	Period             Period
	Requirement        Requirement

	// Entries counts ledger rows of the zone in the period; Patrols the
	// distinct patrols among them (same start time and members); PatrolDays
	// the distinct calendar days with a patrol.
	Entries, Patrols, PatrolDays int
	// TrackDays counts days with GPS fixes in the zone (tracks assigned to
	// the zone, or fixes inside its geometry, sampled once a minute);
	// LedgerDaysWithoutTrack the ledger patrol days without any, reported
	// only when the zone has track days at all.
	TrackDays, LedgerDaysWithoutTrack int
	// RequiredDays is the least number of patrol days the requirement
	// implies; LongestGapDays the longest run of days without a patrol;
	// GapBreaches the runs of EveryDays or more days without one;
	// ShortWeeks and ShortMonths the weeks and months under their minimum.
	RequiredDays, LongestGapDays, GapBreaches, ShortWeeks, ShortMonths int
	// FrequencyMet is true when the requirement holds.
	FrequencyMet bool
	// SoloPatrols counts patrols with fewer than the minimum people (2-person
	// rule breaches).
	SoloPatrols int

	// Patch figures over the patches of the zone flagged in the period:
	// all, suspected (疑似违法), and among the suspected the outcomes.
	Patches, Suspected, Found, ShouldHaveFound, NotCovered int
	// DiscoveryRate is Found / Suspected, or -1 without suspected patches.
	DiscoveryRate float64

	// Violations counts ledger rows reporting a violation (primary zone
	// only); the rest are deadline figures over them.
	Violations                         int
	StopLate, StopMissing, StopPending int
	StopIneffective                    int
	ReportLate, ReportMissing          int
	ReportPending, ReportUndated       int
	// Late lists the violations with a late or missing stop or report.
	Late []DeadlineCheck
}

// AddWorkdays returns the day n working days after the day of t (the day
// itself not counted), as midnight in loc. isWorkday is asked about
// midnights; after ten years without a working day it gives up and returns
// the day reached.
func AddWorkdays(t time.Time, n int, isWorkday func(time.Time) bool, loc *time.Location) time.Time {
	d := dayStart(t, loc)
	for i := 0; n > 0 && i < 3660; i++ {
		d = d.AddDate(0, 0, 1)
		if isWorkday(d) {
			n--
		}
	}
	return d
}

// CheckDeadlines judges the stop and report deadlines of one entry found on
// the day of e.Start, given today's date now:
//
//   - Stop date: e.StopDate if set; else the first date written in 制止措施,
//     then in 制止效果; else, when 制止措施 records a measure without a date,
//     the discovery day itself (stopped on the spot, as ledgers are written
//     during the patrol).
//   - Report date: e.ReportDate if set; else the date of the first clause of
//     后续处理情况 that names a report (报, 上报, 填报, 移送, 立案, 抄告);
//     a report clause without a date is "undated".
//   - Month-day dates without a year (5月4日) take the discovery year.
//
// A recorded date after the due day is late; nothing recorded is missing once
// the due day has passed, pending before.
func CheckDeadlines(e *Entry, now time.Time, opts ...Option) DeadlineCheck {
	cfg := newConfig(opts)
	return checkDeadlines(e, now, cfg)
}

func checkDeadlines(e *Entry, now time.Time, cfg config) DeadlineCheck {
	loc := cfg.loc
	found := dayStart(e.Start, loc)
	today := dayStart(now, loc)
	c := DeadlineCheck{EntryID: e.ID, Ref: e.Ref, Found: found}
	c.StopDue = AddWorkdays(found, cfg.stopDays, cfg.isWorkday, loc)
	c.ReportDue = AddWorkdays(found, cfg.reportDays, cfg.isWorkday, loc)

	stop, ok := e.StopDate, !e.StopDate.IsZero()
	if !ok {
		stop, ok = FindDate(e.StopMeasure, found, loc)
	}
	if !ok {
		stop, ok = FindDate(e.StopEffect, found, loc)
	}
	if !ok && !IsBlank(e.StopMeasure) {
		stop, ok = found, true
	}
	switch {
	case ok:
		c.StopDate = dayStart(stop, loc)
		c.Stop = DeadlineMet
		if c.StopDate.After(c.StopDue) {
			c.Stop = DeadlineLate
		}
	case today.After(c.StopDue):
		c.Stop = DeadlineMissing
	default:
		c.Stop = DeadlinePending
	}
	c.StopIneffective = containsAny(foldWidth(e.StopEffect), ineffectiveWords())

	rep, dated, reported := e.ReportDate, !e.ReportDate.IsZero(), !e.ReportDate.IsZero()
	if !reported {
		rep, dated, reported = findReport(e.FollowUp, found, loc)
	}
	switch {
	case dated:
		c.ReportDate = dayStart(rep, loc)
		c.Report = DeadlineMet
		if c.ReportDate.After(c.ReportDue) {
			c.Report = DeadlineLate
		}
	case reported:
		c.Report = DeadlineUndated
	case today.After(c.ReportDue):
		c.Report = DeadlineMissing
	default:
		c.Report = DeadlinePending
	}
	return c
}

// Assess computes the figures of every zone in in.Zones for period p, using
// the patch verdicts from Run. Entries count in every zone they name (see
// Entry.Zones; the zone containing their location when they name none);
// a patrol is the set of entries with the same start time and members; its
// day is the Start day. Patches count in period p when their PeriodDay (the
// 后时相 HSX, else the flag date) falls in it. Violations (Entry.Violation) count in their primary zone only
// (the zone containing the location, else the first named), with deadlines
// judged by CheckDeadlines against the injected clock (WithNow).
//
// Frequency is judged on ledger patrol days only; GPS tracks are reported
// beside them (TrackDays) but do not replace the ledger.
//
// Results follow the order of in.Zones. Assess returns an error wrapping
// ErrInvalid for an empty period or bad zones, and ctx.Err() when cancelled.
func Assess(ctx context.Context, in Input, patches []PatchResult, p Period, opts ...Option) ([]ZoneResult, error) {
	cfg := newConfig(opts)
	loc := cfg.loc
	from, to := dayStart(p.From, loc), dayStart(p.To, loc)
	if !to.After(from) {
		return nil, fmt.Errorf("period %v is empty: %w", p, ErrInvalid)
	}
	zi, err := newZoneIndex(in.Zones)
	if err != nil {
		return nil, err
	}
	nDays := dayIndex(to, from, loc)
	now := cfg.now()

	type zacc struct {
		days     []bool
		tracks   []bool
		patrols  map[string]bool
		solo     map[string]bool
		entries  int
		res      ZoneResult
		hasTrack bool
	}
	acc := make([]zacc, len(in.Zones))
	for i, z := range in.Zones {
		acc[i] = zacc{days: make([]bool, nDays), tracks: make([]bool, nDays), patrols: map[string]bool{}, solo: map[string]bool{}}
		acc[i].res = ZoneResult{ZoneID: zoneID(z), Name: z.Name, Team: z.Team, Grade: z.Grade, Period: Period{from, to}, Requirement: cfg.reqs[z.Grade], DiscoveryRate: -1}
	}

	for ei := range in.Entries {
		if ei%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		e := &in.Entries[ei]
		if e.Start.Before(from) || !e.Start.Before(to) {
			continue
		}
		zs := zi.entryZones(e)
		day := dayIndex(e.Start, from, loc)
		members := slices.Clone(e.Members)
		slices.Sort(members)
		key := e.Start.UTC().Format(time.RFC3339) + "|" + strings.Join(members, ",") + fmt.Sprintf("|%d", e.People)
		for _, z := range zs {
			a := &acc[z]
			a.res.Entries++
			a.days[day] = true
			a.patrols[key] = true
			if e.People < cfg.minPeople {
				a.solo[key] = true
			}
		}
		if e.Violation && len(zs) > 0 {
			a := &acc[zs[0]]
			a.res.Violations++
			c := checkDeadlines(e, now, cfg)
			switch c.Stop {
			case DeadlineLate:
				a.res.StopLate++
			case DeadlineMissing:
				a.res.StopMissing++
			case DeadlinePending:
				a.res.StopPending++
			}
			if c.StopIneffective {
				a.res.StopIneffective++
			}
			switch c.Report {
			case DeadlineLate:
				a.res.ReportLate++
			case DeadlineMissing:
				a.res.ReportMissing++
			case DeadlinePending:
				a.res.ReportPending++
			case DeadlineUndated:
				a.res.ReportUndated++
			}
			if c.Stop == DeadlineLate || c.Stop == DeadlineMissing || c.Report == DeadlineLate || c.Report == DeadlineMissing {
				a.res.Late = append(a.res.Late, c)
			}
		}
	}

	// Track days.
	for ti := range in.Tracks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t := &in.Tracks[ti]
		fixed := -1
		if t.ZoneID != "" {
			if z, ok := zi.resolve(t.ZoneID); ok {
				fixed = z
			}
		}
		var lastT int64 = -1 << 62
		for _, seg := range t.Segments {
			for _, q := range seg {
				if q.Time.IsZero() || q.Time.Before(from) || !q.Time.Before(to) {
					continue
				}
				day := dayIndex(q.Time, from, loc)
				if fixed >= 0 {
					acc[fixed].tracks[day] = true
					acc[fixed].hasTrack = true
					continue
				}
				ts := q.Time.Unix()
				if ts-lastT < 60 && ts >= lastT {
					continue
				}
				lastT = ts
				if z := zi.containing(pointOf(q)); z >= 0 {
					acc[z].tracks[day] = true
					acc[z].hasTrack = true
				}
			}
		}
	}

	// Patches.
	for _, pr := range patches {
		z, ok := zi.resolve(pr.ZoneID)
		if pr.ZoneID == "" || !ok {
			continue
		}
		if !(Period{From: from, To: to}).Contains(PeriodDay(&pr), loc) {
			continue
		}
		r := &acc[z].res
		r.Patches++
		if !pr.Patch.Suspected {
			continue
		}
		r.Suspected++
		switch pr.Outcome {
		case FoundByPatrol:
			r.Found++
		case ShouldHaveFound:
			r.ShouldHaveFound++
		case NotCovered:
			r.NotCovered++
		}
	}

	out := make([]ZoneResult, len(in.Zones))
	for i := range acc {
		a := &acc[i]
		r := a.res
		r.Patrols = len(a.patrols)
		r.SoloPatrols = len(a.solo)
		for d := range a.days {
			if a.days[d] {
				r.PatrolDays++
			}
			if a.tracks[d] {
				r.TrackDays++
			}
			if a.hasTrack && a.days[d] && !a.tracks[d] {
				r.LedgerDaysWithoutTrack++
			}
		}
		if r.Suspected > 0 {
			r.DiscoveryRate = float64(r.Found) / float64(r.Suspected)
		}
		judgeFrequency(&r, a.days, from, loc)
		slices.SortFunc(r.Late, func(x, y DeadlineCheck) int {
			return cmp.Or(x.Found.Compare(y.Found), cmp.Compare(x.EntryID, y.EntryID))
		})
		out[i] = r
	}
	return out, nil
}

// dayIndex returns the number of calendar days from the day of from to the
// day of t in loc.
func dayIndex(t, from time.Time, loc *time.Location) int {
	y, m, d := t.In(loc).Date()
	fy, fm, fd := from.In(loc).Date()
	a := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	b := time.Date(fy, fm, fd, 0, 0, 0, 0, time.UTC)
	return int(a.Sub(b).Hours() / 24)
}

// judgeFrequency fills the frequency figures of r from its patrol days.
func judgeFrequency(r *ZoneResult, days []bool, from time.Time, loc *time.Location) {
	req := r.Requirement
	n := len(days)
	ok := true
	// Runs of days without patrol.
	run := 0
	flush := func() {
		r.LongestGapDays = max(r.LongestGapDays, run)
		if req.EveryDays > 0 && run >= req.EveryDays {
			r.GapBreaches++
		}
		run = 0
	}
	for _, d := range days {
		if d {
			flush()
		} else {
			run++
		}
	}
	flush()
	need := 0
	if req.EveryDays > 0 && n >= req.EveryDays {
		need = n / req.EveryDays
		if r.GapBreaches > 0 {
			ok = false
		}
	}
	// Whole Monday–Sunday weeks.
	if req.MinPerWeek > 0 {
		weeks := 0
		for s := 0; s+7 <= n; s++ {
			if from.AddDate(0, 0, s).In(loc).Weekday() != time.Monday {
				continue
			}
			weeks++
			c := 0
			for _, d := range days[s : s+7] {
				if d {
					c++
				}
			}
			if c < req.MinPerWeek {
				r.ShortWeeks++
			}
			s += 6
		}
		need = max(need, weeks*req.MinPerWeek)
	}
	// Calendar months, pro rata.
	if req.MinPerMonth > 0 {
		monthNeed := 0
		for s := 0; s < n; {
			d0 := from.AddDate(0, 0, s).In(loc)
			first := time.Date(d0.Year(), d0.Month(), 1, 0, 0, 0, 0, loc)
			inMonth := first.AddDate(0, 1, 0).AddDate(0, 0, -1).Day()
			e := min(n, s+inMonth-d0.Day()+1)
			cnt := 0
			for _, d := range days[s:e] {
				if d {
					cnt++
				}
			}
			want := (req.MinPerMonth*(e-s) + inMonth - 1) / inMonth
			monthNeed += want
			if cnt < want {
				r.ShortMonths++
			}
			s = e
		}
		need = max(need, monthNeed)
	}
	if r.ShortWeeks > 0 || r.ShortMonths > 0 {
		ok = false
	}
	r.RequiredDays = need
	r.FrequencyMet = ok
}

func pointOf(q TrackPoint) orb.Point { return orb.Point{q.Lon, q.Lat} }
