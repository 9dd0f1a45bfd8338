package stats

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/weipian/weipian/pipeline"
)

// PeriodKind is the length of a reporting period.
type PeriodKind int

// The reporting periods: 月报, 季报, 年报.
const (
	Month PeriodKind = iota + 1
	Quarter
	Year
)

// Period is a reporting period: a calendar month, quarter or year.
type Period struct {
	Kind PeriodKind
	Year int
	// N is the month (1–12) or the quarter (1–4); 0 for a year.
	N int
}

// ParsePeriod reads "2026" (a year), "2026-Q2" (a quarter; also 2026Q2,
// 2026-q2) or "2026-05" (a month; also 2026-5). The error wraps
// pipeline.ErrInvalid and says what is expected.
func ParsePeriod(s string) (Period, error) {
	bad := func() (Period, error) {
		return Period{}, fmt.Errorf("%w: period %q: want a year (2026), a quarter (2026-Q2) or a month (2026-05)", pipeline.ErrInvalid, s)
	}
	t := strings.ToUpper(strings.TrimSpace(s))
	year := func(v string) (int, bool) {
		y, err := strconv.Atoi(v)
		return y, err == nil && len(v) == 4 && y >= 1949 && y <= 2199
	}
	if y, ok := year(t); ok {
		return Period{Kind: Year, Year: y}, nil
	}
	if i := strings.Index(t, "Q"); i >= 4 {
		y, ok := year(strings.TrimSuffix(t[:i], "-"))
		q, err := strconv.Atoi(t[i+1:])
		if !ok || err != nil || q < 1 || q > 4 || len(t[i+1:]) != 1 {
			return bad()
		}
		return Period{Kind: Quarter, Year: y, N: q}, nil
	}
	ys, ms, ok := strings.Cut(t, "-")
	if !ok {
		return bad()
	}
	y, yok := year(ys)
	m, err := strconv.Atoi(ms)
	if !yok || err != nil || m < 1 || m > 12 || len(ms) > 2 {
		return bad()
	}
	return Period{Kind: Month, Year: y, N: m}, nil
}

// String is the canonical form: 2026, 2026-Q2 or 2026-05.
func (p Period) String() string {
	switch p.Kind {
	case Quarter:
		return fmt.Sprintf("%04d-Q%d", p.Year, p.N)
	case Month:
		return fmt.Sprintf("%04d-%02d", p.Year, p.N)
	}
	return fmt.Sprintf("%04d", p.Year)
}

var quarterNames = []string{"", "第一季度", "第二季度", "第三季度", "第四季度"}

// Label is the period in words: 2026年, 2026年第二季度 or 2026年5月.
func (p Period) Label() string {
	switch p.Kind {
	case Quarter:
		return fmt.Sprintf("%d年%s", p.Year, quarterNames[p.N])
	case Month:
		return fmt.Sprintf("%d年%d月", p.Year, p.N)
	}
	return fmt.Sprintf("%d年", p.Year)
}

// KindLabel is the name of the report: 年报, 季报 or 月报.
func (p Period) KindLabel() string {
	switch p.Kind {
	case Quarter:
		return "季报"
	case Month:
		return "月报"
	}
	return "年报"
}

// months returns the first and last month of p.
func (p Period) months() (int, int) {
	switch p.Kind {
	case Quarter:
		return 3*p.N - 2, 3 * p.N
	case Month:
		return p.N, p.N
	}
	return 1, 12
}

// Start is the first day of p, as midnight in loc; End the day after its
// last (the period is [Start, End)).
func (p Period) Start(loc *time.Location) time.Time {
	m, _ := p.months()
	return time.Date(p.Year, time.Month(m), 1, 0, 0, 0, 0, loc)
}

// End is the first day after p, as midnight in loc.
func (p Period) End(loc *time.Location) time.Time {
	_, m := p.months()
	return time.Date(p.Year, time.Month(m)+1, 1, 0, 0, 0, 0, loc)
}

// First and Last are the first and last days of p, as YYYY-MM-DD.
func (p Period) First() string { return p.Start(time.UTC).Format("2006-01-02") }

// Last is the last day of p, as YYYY-MM-DD.
func (p Period) Last() string { return p.End(time.UTC).AddDate(0, 0, -1).Format("2006-01-02") }

// Contains reports whether the day written day (YYYY-MM-DD, or longer text
// starting with it) falls in p.
func (p Period) Contains(day string) bool {
	if len(day) < 10 {
		return false
	}
	d := day[:10]
	return d >= p.First() && d <= p.Last()
}

// TrendMonths are the months of the trend chart: those of p's year from
// January to p's last month, as YYYY-MM.
func (p Period) TrendMonths() []string {
	_, last := p.months()
	out := make([]string, 0, last)
	for m := 1; m <= last; m++ {
		out = append(out, fmt.Sprintf("%04d-%02d", p.Year, m))
	}
	return out
}
