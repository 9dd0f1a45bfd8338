package ledger

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// timeTokenRE finds, left to right: a full date (2026-05-03, 2026/5/3,
// 2026年5月3日, 2026.05.03), an m/d/yyyy date as Excel writes it in en-US
// CSV exports, a month-day (5月3日, 05.05), a clock time (08:30, 8时30分,
// 8点), a bare day after a range (5日) and a range separator (-, ~, 至, 到,
// —).
var timeTokenRE = regexp.MustCompile(
	`(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*[日号]?` + // 1-3 full
		`|(\d{1,2})/(\d{1,2})/(\d{4})` + // 4-6 m/d/yyyy
		`|(\d{1,2})\s*[月.]\s*(\d{1,2})\s*[日号]?` + // 7-8 month-day
		`|(\d{1,2})\s*[:时点]\s*(?:(\d{1,2})\s*分?)?(?:\s*:\s*\d{1,2}(?:\.\d+)?)?` + // 9-10 time
		`|(\d{1,2})\s*[日号]` + // 11 day
		`|(至|到|~|-|—|–|－)`) // 12 separator

// yearRE finds a year such as 2026年 or 2026 in a title, sheet or file name.
var yearRE = regexp.MustCompile(`(20\d{2})\s*年?`)

// findYear returns the first plausible year (2000–2099) in s, or 0.
func findYear(s string) int {
	if m := yearRE.FindStringSubmatch(foldWidth(s)); m != nil {
		y, _ := strconv.Atoi(m[1])
		return y
	}
	return 0
}

// timeProblem is a reason a patrol time could not be read (zh-CN, with the
// value quoted).
func badDate(v string) string {
	return fmt.Sprintf("无法识别的日期「%s」，应为如 2026-05-03 或 2026年5月3日", v)
}

// parsePatrolTime reads a 巡查时间 cell: a date (many spellings), an
// optional clock time or time range, or a date range; or an Excel serial date
// (days since 1899-12-30, or 1904-01-01 with date1904). Dates without a year
// take year (0: an error). It returns the start, the end (zero when not
// written), and a zh-CN problem when the cell cannot be read.
func parsePatrolTime(raw string, year int, date1904 bool, loc *time.Location) (start, end time.Time, problem string) {
	s := strings.TrimSpace(foldWidth(raw))
	if s == "" {
		return start, end, "巡查时间为空"
	}
	// An Excel serial date, as a raw number cell gives it.
	if v, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "eE") {
		if t, ok := excelSerial(v, date1904, loc); ok {
			return t, time.Time{}, ""
		}
		if len(s) == 8 && !strings.Contains(s, ".") {
			y, _ := strconv.Atoi(s[:4])
			m, _ := strconv.Atoi(s[4:6])
			d, _ := strconv.Atoi(s[6:])
			if t, ok := mkDate(y, m, d, loc); ok {
				return t, time.Time{}, ""
			}
		}
		return start, end, badDate(raw)
	}
	pm := strings.Contains(s, "下午") || strings.Contains(s, "晚上") || strings.Contains(s, "傍晚")

	var (
		d0, d1       time.Time // dates
		hasD0, hasD1 bool
		t0, t1       [2]int // hour, minute
		hasT0, hasT1 bool
		sep          bool
		bad          bool
	)
	atoi := func(m []string, i int) int { v, _ := strconv.Atoi(m[i]); return v }
	for _, m := range timeTokenRE.FindAllStringSubmatch(s, -1) {
		var (
			t      time.Time
			ok     bool
			isDate bool
		)
		switch {
		case m[1] != "":
			t, ok = mkDate(atoi(m, 1), atoi(m, 2), atoi(m, 3), loc)
			isDate = true
		case m[4] != "":
			t, ok = mkDate(atoi(m, 6), atoi(m, 4), atoi(m, 5), loc)
			isDate = true
		case m[7] != "":
			y := year
			if hasD0 {
				y = d0.Year()
			}
			if y == 0 {
				return start, end, fmt.Sprintf("日期「%s」缺少年份，应为如 2026年5月3日（或在表格标题中写明年份）", raw)
			}
			t, ok = mkDate(y, atoi(m, 7), atoi(m, 8), loc)
			isDate = true
		case m[9] != "":
			h, mi := atoi(m, 9), 0
			if m[10] != "" {
				mi = atoi(m, 10)
			}
			if h > 24 || mi > 59 || h == 24 && mi > 0 {
				return start, end, fmt.Sprintf("无法识别的时间「%s」，应为如 2026-05-03 08:30-11:00", raw)
			}
			if pm && h < 12 {
				h += 12
			}
			switch {
			case !sep && !hasT0:
				t0, hasT0 = [2]int{h, mi}, true
			case !hasT1:
				t1, hasT1 = [2]int{h, mi}, true
			}
			continue
		case m[11] != "":
			if !sep || !hasD0 || hasD1 {
				continue
			}
			t, ok = mkDate(d0.Year(), int(d0.Month()), atoi(m, 11), loc)
			isDate = true
		case m[12] != "":
			if hasD0 || hasT0 {
				sep = true
			}
			continue
		}
		if isDate && !ok {
			bad = true
			break
		}
		switch {
		case !hasD0:
			d0, hasD0 = t, true
		case !hasD1:
			d1, hasD1 = t, true
		}
	}
	if bad || !hasD0 {
		return start, end, badDate(raw)
	}
	start = d0
	if hasT0 {
		start = d0.Add(time.Duration(t0[0])*time.Hour + time.Duration(t0[1])*time.Minute)
	}
	switch {
	case hasD1 && hasT1:
		end = d1.Add(time.Duration(t1[0])*time.Hour + time.Duration(t1[1])*time.Minute)
	case hasD1:
		end = d1
	case hasT1:
		end = d0.Add(time.Duration(t1[0])*time.Hour + time.Duration(t1[1])*time.Minute)
	}
	if !end.IsZero() && end.Before(start) {
		return time.Time{}, time.Time{}, fmt.Sprintf("巡查时间「%s」的结束时间早于开始时间", raw)
	}
	return start, end, ""
}

// excelSerial converts an Excel serial date (1900 or 1904 system) between
// 1950 and 2100 to a time in loc, to the minute.
func excelSerial(v float64, date1904 bool, loc *time.Location) (time.Time, bool) {
	if v < 18264 || v > 73051 || math.IsNaN(v) { // 1950-01-01 .. 2100-01-01 in the 1900 system
		return time.Time{}, false
	}
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, loc)
	if date1904 {
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, loc)
	}
	days := math.Floor(v)
	mins := math.Round((v - days) * 24 * 60)
	return base.AddDate(0, 0, int(days)).Add(time.Duration(mins) * time.Minute), true
}

// mkDate returns the date y-m-d at midnight in loc if it exists and the year
// is plausible (2000–2100).
func mkDate(y, m, d int, loc *time.Location) (time.Time, bool) {
	if y < 2000 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc)
	if t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}
