package task

import (
	"strings"
	"time"
)

// Default deadlines, from the patrol rules in the project's source documents
// (《国土所执法监察巡查工作实施办法》: "动态巡查员对所分管区域一周内必须巡查一次，一级巡查区域保证两日巡查一遍";
// "制止工作要在发现土地违法一个工作日内完成"; 《国土资源执法监察巡查工作规范》第十八条:
// "在发现或初步核实后的2个工作日内，填报《动态巡查违法行为报告表》"). Counties may set
// their own in Rules.
const (
	// DefaultVerifyDaysGrade1 is the patrol interval of 一级 zones: two days.
	DefaultVerifyDaysGrade1 = 2
	// DefaultVerifyDaysGrade2 and DefaultVerifyDaysGrade3 are the interval of
	// the other zones: every zone at least once a week.
	DefaultVerifyDaysGrade2 = 7
	DefaultVerifyDaysGrade3 = 7
	// DefaultStopWorkingDays is the time to stop an illegal act (制止).
	DefaultStopWorkingDays = 1
	// DefaultReportWorkingDays is the time to report it (《动态巡查违法行为报告表》).
	DefaultReportWorkingDays = 2
)

// Rules are the deadline rules of a county. Each int field <= 0 takes the
// default named beside it; the zero Rules is valid but has no holiday
// calendar (use DefaultRules). Rules are read-only values, safe for
// concurrent use.
type Rules struct {
	// VerifyDaysGrade1..3 are the days, per patrol grade, from the day a task
	// is created to the day it must be verified on site (calendar days,
	// defaults 2, 7 and 7). A due day that is not a working day moves to the
	// next working day (民法典 第二百零三条).
	VerifyDaysGrade1, VerifyDaysGrade2, VerifyDaysGrade3 int
	// StopWorkingDays is the working days from the verdict 违法 to the last
	// day to stop the act (default 1).
	StopWorkingDays int
	// ReportWorkingDays is the working days from the verdict 违法 to the last
	// day to report it (default 2).
	ReportWorkingDays int
	// Calendar lists holidays and make-up working days; nil counts weekends
	// only.
	Calendar *Calendar
	// Location is the zone in which times become dates; nil means ChinaTime.
	Location *time.Location
}

// DefaultRules returns the default deadlines with the embedded national
// holiday calendar (DefaultCalendar).
func DefaultRules() Rules {
	return Rules{Calendar: DefaultCalendar()}
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// VerifyDays returns the verification interval of grade g in calendar days,
// or 0 for an invalid grade.
func (r Rules) VerifyDays(g Grade) int {
	switch g {
	case Grade1:
		return orDefault(r.VerifyDaysGrade1, DefaultVerifyDaysGrade1)
	case Grade2:
		return orDefault(r.VerifyDaysGrade2, DefaultVerifyDaysGrade2)
	case Grade3:
		return orDefault(r.VerifyDaysGrade3, DefaultVerifyDaysGrade3)
	}
	return 0
}

// Today returns the date of now in the rules' zone.
func (r Rules) Today(now time.Time) Date { return DateOf(now, r.Location) }

// DueVerify returns the last day to verify a task of grade g created at
// created: the creation day plus the grade's interval, moved forward to a
// working day if it is not one. Created on Monday 2026-03-02, a 一级 task is
// due Wednesday 03-04 and a 二级 task Monday 03-09; created Thursday
// 2026-09-24, a 一级 task would be due Saturday 09-26 (中秋节) and is due on
// Monday 09-28.
func (r Rules) DueVerify(created time.Time, g Grade) Date {
	d := DateOf(created, r.Location).AddDays(r.VerifyDays(g))
	return r.Calendar.OnOrAfter(d)
}

// DueStop returns the last day to stop an act judged 违法 at verified: the
// StopWorkingDays-th working day after the day of the verdict.
func (r Rules) DueStop(verified time.Time) Date {
	return r.Calendar.AddWorkingDays(DateOf(verified, r.Location), orDefault(r.StopWorkingDays, DefaultStopWorkingDays))
}

// DueReport returns the last day to report an act judged 违法 at verified:
// the ReportWorkingDays-th working day after the day of the verdict.
func (r Rules) DueReport(verified time.Time) Date {
	return r.Calendar.AddWorkingDays(DateOf(verified, r.Location), orDefault(r.ReportWorkingDays, DefaultReportWorkingDays))
}

// NewTask creates the task for patch p in zone z at createdAt (the caller's
// "now"): state 待核查, ID from IDFor, priority from PriorityOf and DueVerify
// from the zone's grade. Invalid input returns an error matching ErrInvalid.
func (r Rules) NewTask(p Patch, z Zone, createdAt time.Time) (*Task, error) {
	switch {
	case strings.TrimSpace(p.TubanID) == "":
		return nil, invalidf("task: new task: patch has no TubanID")
	case strings.TrimSpace(z.Name) == "":
		return nil, invalidf("task: new task for patch %s: zone has no name", p.TubanID)
	case strings.TrimSpace(z.Team) == "":
		return nil, invalidf("task: new task for patch %s: zone %s has no team", p.TubanID, z.Name)
	case !z.Grade.Valid():
		return nil, invalidf("task: new task for patch %s: zone %s has grade %d, want 1, 2 or 3", p.TubanID, z.Name, int(z.Grade))
	case createdAt.IsZero():
		return nil, invalidf("task: new task for patch %s: creation time is not set", p.TubanID)
	}
	if err := checkAreas(p); err != nil {
		return nil, err
	}
	t := &Task{
		ID:        IDFor(p.TubanID),
		TubanID:   p.TubanID,
		JCBH:      p.JCBH,
		Team:      z.Team,
		Zone:      z.Name,
		Grade:     z.Grade,
		State:     Pending,
		CreatedAt: createdAt,
		DueVerify: r.DueVerify(createdAt, z.Grade),
	}
	t.setPatch(p)
	return t, nil
}

func checkAreas(p Patch) error {
	for _, a := range []struct {
		name string
		v    float64
	}{{"AreaM2", p.AreaM2}, {"FarmlandM2", p.FarmlandM2}, {"BasicFarmlandM2", p.BasicFarmlandM2}} {
		if !isFinite(a.v) || a.v < 0 {
			return invalidf("task: patch %s: %s is %v, want a finite area >= 0", p.TubanID, a.name, a.v)
		}
	}
	return nil
}

// setPatch copies the patch's areas and recomputes the priority.
func (t *Task) setPatch(p Patch) {
	t.AreaM2, t.FarmlandM2, t.BasicFarmlandM2 = p.AreaM2, p.FarmlandM2, p.BasicFarmlandM2
	if p.JCBH != "" {
		t.JCBH = p.JCBH
	}
	t.Priority, t.PriorityReason = PriorityOf(p, t.Grade)
}

// Apply applies tr to t as Task.Apply does, then updates the deadlines: the
// verdict 违法 sets DueStop and DueReport from the time of the verdict, and
// reopening sets a new DueVerify from the time of reopening. On error t is
// unchanged.
func (r Rules) Apply(t *Task, tr Transition) error {
	if err := t.Apply(tr); err != nil {
		return err
	}
	switch {
	case tr.To == Verified && t.Verdict == VerdictIllegal:
		t.DueStop = r.DueStop(tr.At)
		t.DueReport = r.DueReport(tr.At)
	case tr.To == Pending:
		t.DueVerify = r.DueVerify(tr.At, t.Grade)
	}
	return nil
}

// Reopen sends a closed task back to 待核查 because its patch changed to p
// (decide with ShouldReopen first): it records the transition 已办结 → 待核查
// by actor at at with reason, takes p's areas, and recomputes the priority
// and DueVerify. p.TubanID must be the task's. On error t is unchanged.
func (r Rules) Reopen(t *Task, p Patch, actor string, at time.Time, reason string) error {
	if p.TubanID != t.TubanID {
		return invalidf("task: reopen %s: patch %s is not the task's patch %s", t.ID, p.TubanID, t.TubanID)
	}
	if err := checkAreas(p); err != nil {
		return err
	}
	if err := r.Apply(t, Transition{From: Closed, To: Pending, Actor: actor, At: at, Reason: reason}); err != nil {
		return err
	}
	t.setPatch(p)
	return nil
}
