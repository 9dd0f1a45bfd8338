package reconcile

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

func TestAddWorkdays(t *testing.T) {
	t.Parallel()
	holiday := func(d time.Time) bool {
		return IsWeekday(d) && d.Format("01-02") != "05-11"
	}
	tests := []struct {
		name string
		from string
		n    int
		cal  func(time.Time) bool
		want string
	}{
		{"Friday plus 1", "2026-05-08", 1, IsWeekday, "2026-05-11"},
		{"Friday plus 2", "2026-05-08", 2, IsWeekday, "2026-05-12"},
		{"Monday plus 1", "2026-05-11", 1, IsWeekday, "2026-05-12"},
		{"Saturday plus 1", "2026-05-09", 1, IsWeekday, "2026-05-11"},
		{"holiday skipped", "2026-05-08", 1, holiday, "2026-05-12"},
		{"zero", "2026-05-08", 0, IsWeekday, "2026-05-08"},
		{"no workdays ever stops", "2026-05-08", 1, func(time.Time) bool { return false }, "2036-05-15"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := AddWorkdays(day(tc.from+" 15:30"), tc.n, tc.cal, ChinaTime())
			if got.Format("2006-01-02") != tc.want {
				t.Errorf("got %s, want %s", got.Format("2006-01-02"), tc.want)
			}
		})
	}
}

func TestFindDate(t *testing.T) {
	t.Parallel()
	ref := day("2026-05-08")
	tests := []struct {
		text string
		want string // "" = none
	}{
		{"2026年5月9日下达责令停止违法行为通知书", "2026-05-09"},
		{"于５月１１日停工", "2026-05-11"},
		{"5月12号已拆除", "2026-05-12"},
		{"2026-05-13 填报报告表", "2026-05-13"},
		{"2026/5/14上报", "2026-05-14"},
		{"2026.5.15移送", "2026-05-15"},
		{"现场制止", ""},
		{"面积5.4亩", ""},
		{"2026年2月30日", ""},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			t.Parallel()
			got, ok := FindDate(tc.text, ref, ChinaTime())
			if tc.want == "" {
				if ok {
					t.Errorf("got %v, want none", got)
				}
				return
			}
			if !ok || got.Format("2006-01-02") != tc.want {
				t.Errorf("got %v %v, want %s", got, ok, tc.want)
			}
		})
	}
}

func TestFindDateNextYear(t *testing.T) {
	t.Parallel()
	// Found on 28 December, reported "1月3日": the next January.
	got, ok := FindDate("1月3日上报", day("2026-12-28"), ChinaTime())
	if !ok || got.Format("2006-01-02") != "2027-01-03" {
		t.Errorf("got %v %v, want 2027-01-03", got, ok)
	}
}

func TestIsBlank(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", " ", "无", "／", "未发现违法行为。", "正常", "无违法行为", "——", "未发现明显违法"} {
		if !IsBlank(s) {
			t.Errorf("IsBlank(%q) = false", s)
		}
	}
	for _, s := range []string{"张三", "挖土", "无证采砂", "正在建房"} {
		if IsBlank(s) {
			t.Errorf("IsBlank(%q) = true", s)
		}
	}
	if ReportsViolation("无", "未发现") || !ReportsViolation("", "推土") {
		t.Error("ReportsViolation")
	}
}

func TestCheckDeadlines(t *testing.T) {
	t.Parallel()
	found := day("2026-05-08 10:00") // a Friday
	now := day("2026-06-01")
	tests := []struct {
		name                string
		e                   Entry
		now                 time.Time
		opts                []Option
		stop, report        DeadlineStatus
		ineffective         bool
		stopDate, reportDay string
	}{
		{
			name: "on the spot, reported on time",
			e:    Entry{StopMeasure: "现场制止，下达停工通知", FollowUp: "5月12日填报《动态巡查违法行为报告表》上报大队"},
			stop: DeadlineMet, report: DeadlineMet, stopDate: "2026-05-08", reportDay: "2026-05-12",
		},
		{
			name: "stopped Monday is on time, reported Wednesday is late",
			e:    Entry{StopMeasure: "下达责令停止违法行为通知书", StopEffect: "5月11日已停工", FollowUp: "已拆除；2026年5月13日报大队"},
			stop: DeadlineMet, report: DeadlineLate, stopDate: "2026-05-11", reportDay: "2026-05-13",
		},
		{
			name: "dated stop measure after the deadline",
			e:    Entry{StopMeasure: "5月12日下达停工通知书", FollowUp: "5月12日上报"},
			stop: DeadlineLate, report: DeadlineMet, stopDate: "2026-05-12", reportDay: "2026-05-12",
		},
		{
			name: "holiday moves the deadline",
			e:    Entry{StopMeasure: "5月12日下达停工通知书", FollowUp: "5月13日上报"},
			opts: []Option{WithWorkdays(func(d time.Time) bool { return IsWeekday(d) && d.Day() != 11 })},
			stop: DeadlineMet, report: DeadlineMet, stopDate: "2026-05-12", reportDay: "2026-05-13",
		},
		{
			name: "nothing recorded, overdue",
			e:    Entry{StopMeasure: "无", FollowUp: ""},
			stop: DeadlineMissing, report: DeadlineMissing,
		},
		{
			name: "nothing recorded, not yet due",
			e:    Entry{},
			now:  day("2026-05-09"),
			stop: DeadlinePending, report: DeadlinePending,
		},
		{
			name: "reported without a date; refused to stop",
			e:    Entry{StopMeasure: "口头制止", StopEffect: "当事人拒不停止", FollowUp: "已上报大队立案"},
			stop: DeadlineMet, report: DeadlineUndated, ineffective: true, stopDate: "2026-05-08",
		},
		{
			name: "a follow-up date that is not a report",
			e:    Entry{StopMeasure: "现场制止", FollowUp: "5月9日已拆除复耕"},
			stop: DeadlineMet, report: DeadlineMissing, stopDate: "2026-05-08",
		},
		{
			name: "explicit dates win",
			e:    Entry{StopMeasure: "现场制止", StopDate: day("2026-05-14"), ReportDate: day("2026-05-11")},
			stop: DeadlineLate, report: DeadlineMet, stopDate: "2026-05-14", reportDay: "2026-05-11",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.e.Start = found
			n := now
			if !tc.now.IsZero() {
				n = tc.now
			}
			c := CheckDeadlines(&tc.e, n, tc.opts...)
			if c.Stop != tc.stop || c.Report != tc.report || c.StopIneffective != tc.ineffective {
				t.Errorf("stop %v report %v ineffective %v; want %v %v %v", c.Stop.Label(), c.Report.Label(), c.StopIneffective,
					tc.stop.Label(), tc.report.Label(), tc.ineffective)
			}
			if tc.stopDate != "" && c.StopDate.Format("2006-01-02") != tc.stopDate {
				t.Errorf("stop date %v, want %s", c.StopDate, tc.stopDate)
			}
			if tc.reportDay != "" && c.ReportDate.Format("2006-01-02") != tc.reportDay {
				t.Errorf("report date %v, want %s", c.ReportDate, tc.reportDay)
			}
		})
	}
}

func TestAssessFrequency(t *testing.T) {
	t.Parallel()
	may := Month(2026, time.May, ChinaTime())
	patrolsOn := func(zone string, days ...int) []Entry {
		var es []Entry
		for _, d := range days {
			es = append(es, Entry{
				ID: zone + string(rune('a'+d)), Start: time.Date(2026, 5, d, 9, 0, 0, 0, ChinaTime()),
				Zones: []string{zone}, Members: []string{"甲", "乙"}, People: 2,
			})
		}
		return es
	}
	every := func(step, from int) []int {
		var d []int
		for i := from; i <= 31; i += step {
			d = append(d, i)
		}
		return d
	}
	tests := []struct {
		name    string
		grade   Grade
		days    []int
		opts    []Option
		met     bool
		gaps    int
		longest int
		short   int
		need    int
	}{
		{"grade 1 every other day", 1, every(2, 2), nil, true, 0, 1, 0, 15},
		{"grade 1 with a 2-day hole", 1, append(every(2, 2)[:5], every(2, 13)...), nil, false, 1, 2, 0, 15},
		{"grade 1 starting late", 1, every(2, 3), nil, false, 1, 2, 0, 15},
		{"grade 2 weekly, 5 times", 2, []int{1, 7, 13, 19, 25, 31}, nil, true, 0, 5, 0, 5},
		{"grade 2 weekly but only 4 times", 2, []int{5, 12, 19, 26}, nil, false, 0, 6, 1, 5},
		{"grade 3 five times with a 9-day hole", 3, []int{1, 2, 3, 4, 5, 15, 20, 25, 30}, nil, false, 1, 9, 0, 5},
		{"twice a week", 1, []int{4, 6, 11, 13, 18, 20, 25, 27}, []Option{WithRequirement(1, Requirement{MinPerWeek: 2})}, true, 0, 4, 0, 8},
		{"twice a week, one short week", 1, []int{4, 6, 11, 18, 20, 25, 27}, []Option{WithRequirement(1, Requirement{MinPerWeek: 2})}, false, 0, 6, 1, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := Input{Zones: []Zone{{ID: 1, Name: "片区", Grade: tc.grade}}, Entries: patrolsOn("1", tc.days...)}
			res, err := Assess(context.Background(), in, nil, may, append(tc.opts, WithNow(func() time.Time { return day("2026-06-01") }))...)
			if err != nil {
				t.Fatal(err)
			}
			r := res[0]
			if r.PatrolDays != len(tc.days) || r.FrequencyMet != tc.met || r.GapBreaches != tc.gaps ||
				r.LongestGapDays != tc.longest || r.ShortWeeks+r.ShortMonths != tc.short || r.RequiredDays != tc.need {
				t.Errorf("days %d met %v gaps %d longest %d short %d+%d need %d; want %d %v %d %d %d %d",
					r.PatrolDays, r.FrequencyMet, r.GapBreaches, r.LongestGapDays, r.ShortWeeks, r.ShortMonths, r.RequiredDays,
					len(tc.days), tc.met, tc.gaps, tc.longest, tc.short, tc.need)
			}
		})
	}
}

func TestAssessZone(t *testing.T) {
	t.Parallel()
	loc := ChinaTime()
	zoneGeom := orb.MultiPolygon{square(-1000, -1000, 3000)}
	in := Input{
		Zones: []Zone{
			{ID: 1, Name: "东关片区", Grade: 1, Team: "一中队", Geometry: zoneGeom},
			{ID: 2, Name: "西关片区", Grade: 2},
		},
		Entries: []Entry{
			// One patrol written on two rows: counts once.
			{ID: "a1", Start: day("2026-05-08 09:00"), Zones: []string{"东关片区"}, Members: []string{"张三", "李四"}, People: 2,
				Subject: "王五", Status: "挖土", Violation: true, StopMeasure: "现场制止", FollowUp: "5月13日上报大队"},
			{ID: "a2", Start: day("2026-05-08 09:00"), Zones: []string{"东关片区"}, Members: []string{"李四", "张三"}, People: 2},
			// A one-person patrol.
			{ID: "b", Start: day("2026-05-09 09:00"), Zones: []string{"1"}, Members: []string{"张三"}, People: 1},
			// Located in z1 without naming it.
			{ID: "c", Start: day("2026-05-10 09:00"), Location: at(0, 0), HasLocation: true, People: 3},
			// Another month and another zone.
			{ID: "d", Start: day("2026-04-30 09:00"), Zones: []string{"东关片区"}, People: 2},
			{ID: "e", Start: day("2026-05-08 09:00"), Zones: []string{"西关片区"}, People: 1},
			// A route through both zones.
			{ID: "f", Start: day("2026-05-20 09:00"), Zones: []string{"东关片区", "西关片区"}, People: 2},
		},
		Tracks: []Track{{ID: "t", Segments: [][]TrackPoint{line(0, 0, 100, 0, 3, day("2026-05-08 09:00"), time.Minute)}}},
	}
	mk := func(id string, o Outcome, suspected bool, flagged string) PatchResult {
		return PatchResult{Patch: Patch{ID: id, Suspected: suspected}, ZoneID: "1", Outcome: o, FlaggedAt: day(flagged)}
	}
	patches := []PatchResult{
		mk("1", FoundByPatrol, true, "2026-05-10"),
		mk("2", ShouldHaveFound, true, "2026-05-10"),
		mk("3", NotCovered, true, "2026-05-31"),
		mk("4", NotCovered, false, "2026-05-10"),
		mk("5", FoundByPatrol, true, "2026-06-01"), // next month
	}
	res, err := Assess(context.Background(), in, patches, Month(2026, time.May, loc), WithNow(func() time.Time { return day("2026-06-01") }))
	if err != nil {
		t.Fatal(err)
	}
	z1, z2 := res[0], res[1]
	if z1.Entries != 5 || z1.Patrols != 4 || z1.PatrolDays != 4 || z1.SoloPatrols != 1 {
		t.Errorf("z1 entries %d patrols %d days %d solo %d; want 5 4 4 1", z1.Entries, z1.Patrols, z1.PatrolDays, z1.SoloPatrols)
	}
	if z1.TrackDays != 1 || z1.LedgerDaysWithoutTrack != 3 {
		t.Errorf("z1 track days %d, ledger days without track %d; want 1, 3", z1.TrackDays, z1.LedgerDaysWithoutTrack)
	}
	if z1.Patches != 4 || z1.Suspected != 3 || z1.Found != 1 || z1.ShouldHaveFound != 1 || z1.NotCovered != 1 {
		t.Errorf("z1 patches %+v", z1)
	}
	if math.Abs(z1.DiscoveryRate-1.0/3) > 1e-9 {
		t.Errorf("discovery rate %v", z1.DiscoveryRate)
	}
	if z1.Violations != 1 || z1.StopLate != 0 || z1.ReportLate != 1 || len(z1.Late) != 1 || z1.Late[0].EntryID != "a1" {
		t.Errorf("z1 deadlines: violations %d stop late %d report late %d late %+v", z1.Violations, z1.StopLate, z1.ReportLate, z1.Late)
	}
	if z1.FrequencyMet {
		t.Error("z1 grade 1 patrolled 4 days in May: frequency met")
	}
	if z2.Entries != 2 || z2.SoloPatrols != 1 || z2.DiscoveryRate != -1 {
		t.Errorf("z2 entries %d solo %d rate %v", z2.Entries, z2.SoloPatrols, z2.DiscoveryRate)
	}
	if _, err := Assess(context.Background(), in, nil, Period{From: day("2026-05-02"), To: day("2026-05-02")}); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty period: %v", err)
	}
}

func TestParseMonth(t *testing.T) {
	t.Parallel()
	p, err := ParseMonth("2026-05", ChinaTime())
	if err != nil || p.String() != "2026-05-01..2026-05-31" {
		t.Errorf("got %v, %v", p, err)
	}
	if _, err := ParseMonth("2026年5月", ChinaTime()); err == nil {
		t.Error("want error")
	}
}

// TestAssessPeriodByHSX: a patch counts in the month of its 后时相, not in
// the month its batch was processed (the demo's batch of a 2001 pair ran in
// 2026, and the zone sheet showed 0 图斑 for 2001-06).
func TestAssessPeriodByHSX(t *testing.T) {
	t.Parallel()
	loc := ChinaTime()
	in := Input{Zones: []Zone{{ID: 1, Name: "北东片区", Grade: 2}}}
	mk := func(id, hsx, flagged string) PatchResult {
		pr := PatchResult{Patch: Patch{ID: id, Suspected: true}, ZoneID: "1", Outcome: NotCovered, FlaggedAt: day(flagged)}
		if hsx != "" {
			pr.Patch.HSX = day(hsx)
		}
		return pr
	}
	patches := []PatchResult{
		mk("seen-june-run-later", "2001-06-26 00:00", "2026-05-10 10:00"),
		mk("seen-may", "2001-05-31 23:00", "2001-06-02 10:00"),
		mk("no-hsx-flagged-june", "", "2001-06-30 23:59"),
		mk("no-hsx-flagged-july", "", "2001-07-01 00:00"),
	}
	res, err := Assess(context.Background(), in, patches, Month(2001, time.June, loc))
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Patches != 2 || res[0].Suspected != 2 || res[0].NotCovered != 2 {
		t.Errorf("June 2001: %d patches (%d suspected, %d not covered), want 2, 2, 2", res[0].Patches, res[0].Suspected, res[0].NotCovered)
	}
	got := InPeriod(patches, Month(2001, time.June, loc), loc)
	if len(got) != 2 || got[0].Patch.ID != "seen-june-run-later" || got[1].Patch.ID != "no-hsx-flagged-june" {
		t.Errorf("InPeriod: %+v", got)
	}
}
