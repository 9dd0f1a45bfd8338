package reconcile

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// foldWidth maps full-width ASCII variants (０-９, Ａ-Ｚ, －, ／, ．, ：, the
// ideographic space) to ASCII.
func foldWidth(s string) string {
	if isASCII(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFEE0
		case r == 0x3000:
			return ' '
		}
		return r
	}, s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// isNilWord reports the ways clerks write "nothing here" in a ledger cell.
func isNilWord(s string) bool {
	switch s {
	case "", "无", "没有", "否", "/", "\\", "-", "--", "—", "——", "0", "空", "无违法", "无违法行为",
		"未发现", "未发现违法", "未发现违法行为", "正常", "无异常", "一切正常", "巡查正常", "未见异常",
		"未发现异常", "无新增", "无新增违法", "无新增违法行为", "n/a", "na", "none":
		return true
	}
	return false
}

// IsBlank reports whether a ledger cell says nothing: empty, or a "nothing
// here" word such as 无, /, 未发现违法行为, 正常.
func IsBlank(s string) bool {
	s = strings.ToLower(strings.TrimSpace(foldWidth(s)))
	s = strings.TrimRight(s, "。.，, ")
	if isNilWord(s) {
		return true
	}
	for _, p := range []string{"未发现", "无违法", "没有发现", "无新增"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// ReportsViolation is the usual rule for Entry.Violation: the row records a
// violation when its 违法主体或名称 or its 违法现状 is not blank (see
// IsBlank).
func ReportsViolation(subject, status string) bool {
	return !IsBlank(subject) || !IsBlank(status)
}

// The date patterns of free text: a full date (2026年5月4日, 2026-05-04,
// 2026/5/4, 2026.5.4) or a month-day (5月4日, 5月4号).
var (
	fullDateRE  = regexp.MustCompile(`(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})`)
	monthDayRE  = regexp.MustCompile(`(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]`)
	clauseSplit = regexp.MustCompile(`[，。；;！!？?\n]|,\s`)
)

// FindDate returns the first date written in free text, as the start of that
// day in loc. A month-day without a year takes the year of ref, or the next
// year when that would fall more than 180 days before ref.
func FindDate(text string, ref time.Time, loc *time.Location) (time.Time, bool) {
	text = foldWidth(text)
	best, bestPos := time.Time{}, -1
	for _, m := range fullDateRE.FindAllStringSubmatchIndex(text, -1) {
		y, _ := strconv.Atoi(text[m[2]:m[3]])
		mo, _ := strconv.Atoi(text[m[4]:m[5]])
		d, _ := strconv.Atoi(text[m[6]:m[7]])
		if t, ok := mkDate(y, mo, d, loc); ok {
			best, bestPos = t, m[0]
			break
		}
	}
	for _, m := range monthDayRE.FindAllStringSubmatchIndex(text, -1) {
		if bestPos >= 0 && m[0] >= bestPos {
			break
		}
		// Skip the month-day inside a full date already found.
		if m[0] > 0 && strings.ContainsAny(text[max(0, m[0]-3):m[0]], "年") {
			continue
		}
		mo, _ := strconv.Atoi(text[m[2]:m[3]])
		d, _ := strconv.Atoi(text[m[4]:m[5]])
		r := ref.In(loc)
		t, ok := mkDate(r.Year(), mo, d, loc)
		if !ok {
			continue
		}
		if t.Before(r.AddDate(0, 0, -180)) {
			t, ok = mkDate(r.Year()+1, mo, d, loc)
			if !ok {
				continue
			}
		}
		best, bestPos = t, m[0]
		break
	}
	return best, bestPos >= 0
}

func mkDate(y, m, d int, loc *time.Location) (time.Time, bool) {
	if y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc)
	if t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

// reportWords mark a clause of 后续处理情况 that records a report upward.
func reportWords() []string { return []string{"报", "移送", "移交", "立案", "抄告"} }

// ineffectiveWords in 制止效果 say the stop did not work.
func ineffectiveWords() []string {
	return []string{"拒不", "未停", "没有停", "仍在", "继续施工", "继续建设", "无效", "未制止"}
}

// findReport looks for a report in 后续处理情况: a clause naming a report
// (上报, 报告, 填报, 移送, 立案, 抄告 …). It returns the clause's date (or the
// date of the whole text when the clause has none but the text has exactly
// one), whether a report is recorded at all.
func findReport(text string, ref time.Time, loc *time.Location) (date time.Time, dated, reported bool) {
	text = foldWidth(text)
	if IsBlank(text) {
		return time.Time{}, false, false
	}
	for _, cl := range clauseSplit.Split(text, -1) {
		if !containsAny(cl, reportWords()) {
			continue
		}
		reported = true
		if t, ok := FindDate(cl, ref, loc); ok {
			return t, true, true
		}
	}
	return time.Time{}, false, reported
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// normName normalises a zone name for comparison: width folded, spaces
// removed, lower case.
func normName(s string) string {
	s = foldWidth(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}
