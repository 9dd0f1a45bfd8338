package task

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustDate(t *testing.T, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDate(t *testing.T) {
	t.Parallel()
	d := mustDate(t, "2026-02-28")
	if got := d.AddDays(1).String(); got != "2026-03-01" {
		t.Errorf("AddDays(1) = %s, want 2026-03-01", got)
	}
	if got := d.AddDays(-59).String(); got != "2025-12-31" {
		t.Errorf("AddDays(-59) = %s, want 2025-12-31", got)
	}
	if got := d.Weekday(); got != time.Saturday {
		t.Errorf("Weekday = %v, want Saturday", got)
	}
	if NewDate(2026, 2, 30) != mustDate(t, "2026-03-02") {
		t.Errorf("NewDate does not normalise")
	}
	for _, bad := range []string{"2026-02-30", "2026-2-3", "20260203", "", "2026-13-01"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) succeeded", bad)
		}
	}
	// 2026-03-01 16:30 UTC is already 03-02 in China.
	at := time.Date(2026, 3, 1, 16, 30, 0, 0, time.UTC)
	if got := DateOf(at, nil).String(); got != "2026-03-02" {
		t.Errorf("DateOf in China = %s, want 2026-03-02", got)
	}
	if got := DateOf(at, time.UTC).String(); got != "2026-03-01" {
		t.Errorf("DateOf in UTC = %s, want 2026-03-01", got)
	}
	b, _ := d.MarshalText()
	var back Date
	if err := back.UnmarshalText(b); err != nil || back != d {
		t.Errorf("text round trip: %v, %v", back, err)
	}
	if (Date{}).String() != "" || !(Date{}).IsZero() {
		t.Errorf("zero Date")
	}
}

func TestDefaultCalendar(t *testing.T) {
	t.Parallel()
	c := DefaultCalendar()
	years := c.Years()
	if len(years) != 2 || years[0].Year != 2025 || years[1].Year != 2026 {
		t.Fatalf("years = %+v, want 2025 and 2026", years)
	}
	for _, y := range years {
		if y.Status != "official" || !strings.Contains(y.Source, "国务院办公厅") {
			t.Errorf("year %d: status %q source %q", y.Year, y.Status, y.Source)
		}
	}
	// Counts from the notices: 2025 has 28 days off in breaks and 5 make-up
	// days; 2026 has 33 and 6.
	count := map[int]map[DayKind]int{2025: {}, 2026: {}}
	for _, d := range c.Days() {
		count[d.Date.Year][d.Kind]++
		if d.Kind == Workday && d.Date.Weekday() != time.Saturday && d.Date.Weekday() != time.Sunday {
			t.Errorf("make-up day %s is a %s", d.Date, d.Date.Weekday())
		}
	}
	want := map[int]map[DayKind]int{2025: {Holiday: 28, Workday: 5}, 2026: {Holiday: 33, Workday: 6}}
	for y, w := range want {
		for k, n := range w {
			if count[y][k] != n {
				t.Errorf("%d: %d %s days, want %d", y, count[y][k], k, n)
			}
		}
	}

	tests := []struct {
		date    string
		working bool
	}{
		{"2025-01-01", false}, // 元旦, Wednesday
		{"2025-01-26", true},  // Sunday, 春节调休上班
		{"2025-02-04", false}, // 初七, Tuesday
		{"2025-02-05", true},
		{"2025-10-08", false},
		{"2025-10-11", true}, // Saturday, make-up
		{"2026-01-02", false},
		{"2026-01-04", true}, // Sunday, make-up
		{"2026-02-14", true}, // Saturday, make-up
		{"2026-02-23", false},
		{"2026-02-24", true},
		{"2026-05-09", true}, // Saturday, make-up
		{"2026-09-20", true}, // Sunday, make-up
		{"2026-09-25", false},
		{"2026-10-07", false},
		{"2026-10-10", true},
		{"2026-10-11", false}, // plain Sunday
		{"2026-11-20", true},  // plain Friday
	}
	for _, tc := range tests {
		t.Run(tc.date, func(t *testing.T) {
			if got := c.IsWorkingDay(mustDate(t, tc.date)); got != tc.working {
				t.Errorf("IsWorkingDay(%s) = %v, want %v", tc.date, got, tc.working)
			}
		})
	}
	if !c.Covers(mustDate(t, "2026-12-31")) || c.Covers(mustDate(t, "2027-01-01")) {
		t.Errorf("Covers is wrong at the end of 2026")
	}
}

func TestAddWorkingDays(t *testing.T) {
	t.Parallel()
	c := DefaultCalendar()
	tests := []struct {
		name, from string
		n          int
		want       string
	}{
		{"plain weekday", "2026-03-03", 1, "2026-03-04"},
		{"friday over weekend", "2026-03-06", 1, "2026-03-09"},
		{"friday two days", "2026-03-06", 2, "2026-03-10"},
		{"saturday counts from monday", "2026-03-07", 1, "2026-03-09"},
		{"before national day", "2026-09-30", 1, "2026-10-08"},
		{"into make-up saturday", "2026-10-09", 1, "2026-10-10"},
		{"make-up sunday before 中秋", "2026-09-19", 1, "2026-09-20"},
		{"over 中秋 long weekend", "2026-09-24", 2, "2026-09-29"},
		{"spring festival", "2026-02-13", 1, "2026-02-14"},
		{"spring festival two days", "2026-02-13", 2, "2026-02-24"},
		{"2025 national day", "2025-09-30", 2, "2025-10-10"},
		{"n=0 on a working day", "2026-03-03", 0, "2026-03-03"},
		{"n=0 on a holiday", "2026-10-01", 0, "2026-10-08"},
		{"beyond the calendar: weekends only", "2027-01-01", 1, "2027-01-04"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := c.AddWorkingDays(mustDate(t, tc.from), tc.n).String(); got != tc.want {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tc.from, tc.n, got, tc.want)
			}
		})
	}
	var none *Calendar
	if got := none.AddWorkingDays(mustDate(t, "2026-09-30"), 1).String(); got != "2026-10-01" {
		t.Errorf("nil calendar: got %s, want 2026-10-01 (weekends only)", got)
	}
}

func TestParseCalendar(t *testing.T) {
	t.Parallel()
	ok := "\ufeff# county calendar\n\nyear,2027,provisional,县政府通知\n2027-10-01, holiday ,国庆节\n2027-10-09,workday\n\"2027-10-02\",holiday,\"国庆节, 第二天\"\n"
	c, err := ParseCalendar("county.csv", strings.NewReader(ok))
	if err != nil {
		t.Fatal(err)
	}
	if d, found := c.Lookup(mustDate(t, "2027-10-02")); !found || d.Name != "国庆节, 第二天" || d.Kind != Holiday {
		t.Errorf("Lookup = %+v, %v", d, found)
	}
	if y := c.Years(); len(y) != 1 || y[0].Status != "provisional" || y[0].Source != "县政府通知" {
		t.Errorf("Years = %+v", y)
	}
	if !c.IsWorkingDay(mustDate(t, "2027-10-09")) {
		t.Errorf("make-up Saturday 2027-10-09 is not a working day")
	}

	const hdr = "year,2026,official,x\n"
	tests := []struct {
		name, in string
		line     int
		want     string
	}{
		{"bad date", hdr + "2026-02-30,holiday,x\n", 2, `bad date "2026-02-30"`},
		{"bad kind", hdr + "2026-10-01,vacation,x\n", 2, `bad kind "vacation"`},
		{"workday on weekday", hdr + "\n# c\n2026-10-09,workday,x\n", 4, "workday 2026-10-09 is a Friday"},
		{"duplicate", hdr + "2026-10-01,holiday\n2026-10-01,holiday\n", 3, "listed twice"},
		{"undeclared year", hdr + "2026-10-01,holiday\n2027-01-01,holiday\n", 3, "no year line declares"},
		{"too few fields", hdr + "2026-10-01\n", 2, "needs 2 or 3 fields"},
		{"too many fields", hdr + "2026-10-01,holiday,a,b\n", 2, "needs 2 or 3 fields"},
		{"bad year", "year,20x6,official\n", 1, `bad year "20x6"`},
		{"bad status", "year,2026,sure\n", 1, `bad status "sure"`},
		{"year twice", hdr + hdr, 2, "declared twice"},
		{"csv quote", hdr + "2026-10-01,holiday,\"open\n", 2, "quote"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseCalendar("county.csv", strings.NewReader(tc.in))
			var ce *CalendarError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *CalendarError", err)
			}
			if ce.Name != "county.csv" || ce.Line != tc.line {
				t.Errorf("at %s line %d, want county.csv line %d", ce.Name, ce.Line, tc.line)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "task: calendar county.csv line ") || !strings.Contains(msg, tc.want) {
				t.Errorf("message %q, want prefix and %q", msg, tc.want)
			}
		})
	}
}
