package task

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DayKind says what a calendar entry makes of its day.
type DayKind string

// The kinds of calendar entries.
const (
	// Holiday is a day off (放假), whatever weekday it falls on.
	Holiday DayKind = "holiday"
	// Workday is a make-up working day (调休上班) on a Saturday or Sunday.
	Workday DayKind = "workday"
)

// Day is one entry of a Calendar.
type Day struct {
	Date Date
	Kind DayKind
	// Name is the free-text name from the file, e.g. "国庆节" or "国庆节调休上班".
	Name string
}

// YearInfo says where a calendar's entries for one year come from.
type YearInfo struct {
	Year int
	// Status is "official" when the entries were checked against the published
	// notice, "provisional" when they are a guess or a draft.
	Status string
	// Source names the notice (e.g. "国务院办公厅关于2026年部分节假日安排的通知").
	Source string
}

// Calendar is a set of public holidays and make-up working days. Days it
// does not list are working days from Monday to Friday and rest days on
// Saturday and Sunday. A nil *Calendar is valid and lists nothing (weekends
// only). A Calendar is immutable after ParseCalendar and safe for concurrent
// use.
type Calendar struct {
	days  map[Date]Day
	years []YearInfo
}

// CalendarError is a problem in a calendar file, with the file name and the
// 1-based line number.
type CalendarError struct {
	Name string
	Line int
	Err  error
}

// Error reads "task: calendar <name> line <n>: <problem>".
func (e *CalendarError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("task: calendar %s line %d: %v", e.Name, e.Line, e.Err)
	}
	return fmt.Sprintf("task: calendar %s: %v", e.Name, e.Err)
}

// Unwrap returns the underlying problem.
func (e *CalendarError) Unwrap() error { return e.Err }

// ParseCalendar reads a calendar file; name is used in error messages only.
//
// The format is CSV in UTF-8 (a leading byte-order mark is ignored). Lines
// starting with '#' and blank lines are ignored. Every other line is either a
// year declaration or a day:
//
//	year,2026,official,国务院办公厅关于2026年部分节假日安排的通知
//	2026-10-01,holiday,国庆节
//	2026-10-10,workday,国庆节调休上班
//
// A year line has the year, its status ("official" or "provisional") and a
// source (free text, may be empty). A day line has a date (YYYY-MM-DD), the
// kind "holiday" (放假) or "workday" (调休上班) and an optional name. Each
// day's year must be declared by a year line, each date may appear once, and
// a workday must fall on a Saturday or Sunday (a weekday is a working day
// anyway, so listing it is a mistake). The first problem found is returned as
// a *CalendarError naming the file and line.
func ParseCalendar(name string, r io.Reader) (*Calendar, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &CalendarError{Name: name, Err: fmt.Errorf("read: %w", err)}
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))

	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true

	c := &Calendar{days: map[Date]Day{}}
	type pending struct {
		line int
		day  Day
	}
	var days []pending
	declared := map[int]bool{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &CalendarError{Name: name, Line: pe.StartLine, Err: pe.Err}
			}
			return nil, &CalendarError{Name: name, Err: err}
		}
		line, _ := cr.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if len(rec) == 1 && rec[0] == "" {
			continue
		}
		fail := func(format string, args ...any) error {
			return &CalendarError{Name: name, Line: line, Err: fmt.Errorf(format, args...)}
		}

		if rec[0] == "year" {
			if len(rec) < 3 || len(rec) > 4 {
				return nil, fail("year line needs 3 or 4 fields (year,YYYY,status[,source]), got %d", len(rec))
			}
			y, err := strconv.Atoi(rec[1])
			if err != nil || y < 1900 || y > 9999 {
				return nil, fail("bad year %q", rec[1])
			}
			if declared[y] {
				return nil, fail("year %d declared twice", y)
			}
			status := rec[2]
			if status != "official" && status != "provisional" {
				return nil, fail("bad status %q for year %d (want official or provisional)", status, y)
			}
			info := YearInfo{Year: y, Status: status}
			if len(rec) == 4 {
				info.Source = rec[3]
			}
			declared[y] = true
			c.years = append(c.years, info)
			continue
		}

		if len(rec) < 2 || len(rec) > 3 {
			return nil, fail("day line needs 2 or 3 fields (date,kind[,name]), got %d", len(rec))
		}
		d, err := ParseDate(rec[0])
		if err != nil {
			return nil, fail("bad date %q (want YYYY-MM-DD)", rec[0])
		}
		kind := DayKind(rec[1])
		if kind != Holiday && kind != Workday {
			return nil, fail("bad kind %q for %s (want holiday or workday)", rec[1], d)
		}
		if kind == Workday {
			if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
				return nil, fail("workday %s is a %s, which is a working day anyway", d, wd)
			}
		}
		day := Day{Date: d, Kind: kind}
		if len(rec) == 3 {
			day.Name = rec[2]
		}
		if prev, ok := c.days[d]; ok {
			return nil, fail("date %s listed twice (first as %s)", d, prev.Kind)
		}
		c.days[d] = day
		days = append(days, pending{line, day})
	}
	for _, p := range days {
		if !declared[p.day.Date.Year] {
			return nil, &CalendarError{Name: name, Line: p.line,
				Err: fmt.Errorf("date %s is in year %d, which no year line declares", p.day.Date, p.day.Date.Year)}
		}
	}
	slices.SortFunc(c.years, func(a, b YearInfo) int { return cmpInt(a.Year, b.Year) })
	return c, nil
}

//go:embed calendar_cn.csv
var defaultCalendarCSV []byte

// DefaultCalendarName is the name of the embedded calendar in errors and
// messages.
const DefaultCalendarName = "calendar_cn.csv"

// DefaultCalendar returns the embedded calendar of China's public holidays
// and make-up working days for 2025 and 2026, taken from the 国务院办公厅
// notices (see the header of calendar_cn.csv). Each call parses the file
// afresh, so call it once and share the result. Dates in other years count
// weekends only: check Covers.
func DefaultCalendar() *Calendar {
	c, err := ParseCalendar(DefaultCalendarName, bytes.NewReader(defaultCalendarCSV))
	if err != nil {
		// The file is part of the package and tested; this is a build error.
		panic(err)
	}
	return c
}

// Lookup returns the entry for d, if the calendar lists it.
func (c *Calendar) Lookup(d Date) (Day, bool) {
	if c == nil {
		return Day{}, false
	}
	day, ok := c.days[d]
	return day, ok
}

// Days returns every entry in date order.
func (c *Calendar) Days() []Day {
	if c == nil {
		return nil
	}
	out := make([]Day, 0, len(c.days))
	for _, d := range c.days {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Day) int { return a.Date.Compare(b.Date) })
	return out
}

// Years returns the declared years in order.
func (c *Calendar) Years() []YearInfo {
	if c == nil {
		return nil
	}
	return slices.Clone(c.years)
}

// Covers reports whether the calendar declares d's year, that is whether its
// holidays are known. For an uncovered date only weekends are rest days, so a
// deadline computed there may be too early.
func (c *Calendar) Covers(d Date) bool {
	if c == nil {
		return false
	}
	for _, y := range c.years {
		if y.Year == d.Year {
			return true
		}
	}
	return false
}

// IsWorkingDay reports whether d is a working day: a listed make-up working
// day, or a Monday to Friday that is not a listed holiday.
func (c *Calendar) IsWorkingDay(d Date) bool {
	if day, ok := c.Lookup(d); ok {
		return day.Kind == Workday
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// OnOrAfter returns the first working day on or after d.
func (c *Calendar) OnOrAfter(d Date) Date {
	for !c.IsWorkingDay(d) {
		d = d.AddDays(1)
	}
	return d
}

// AddWorkingDays returns the n-th working day after d, d itself not counted:
// "within n working days of d" ends at the end of the returned day (the day
// of the event is not counted, as 民法典 第二百零一条 counts periods). For n
// <= 0 it returns OnOrAfter(d).
func (c *Calendar) AddWorkingDays(d Date, n int) Date {
	if n <= 0 {
		return c.OnOrAfter(d)
	}
	for n > 0 {
		d = d.AddDays(1)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d
}
