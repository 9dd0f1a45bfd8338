package reconcile

import (
	"time"
)

// Requirement is the patrol frequency a zone grade demands. A zero field
// imposes nothing.
type Requirement struct {
	// EveryDays: every window of this many consecutive days inside the
	// period contains at least one patrol day (2 = "两日巡查一遍", 7 = at
	// least weekly). Periods shorter than EveryDays are not judged.
	EveryDays int
	// MinPerWeek: patrol days in each Monday–Sunday week lying wholly in the
	// period (e.g. 2 for "每周不少于2次").
	MinPerWeek int
	// MinPerMonth: patrol days per calendar month; a month only partly in
	// the period requires the pro-rata share, rounded up.
	MinPerMonth int
}

// DefaultRequirements returns the seeds' defaults: 一级 at least every two
// days; 二级 and 三级 at least weekly and 5 times a month; ungraded zones at
// least weekly.
func DefaultRequirements() map[Grade]Requirement {
	return map[Grade]Requirement{
		0: {EveryDays: 7},
		1: {EveryDays: 2},
		2: {EveryDays: 7, MinPerMonth: 5},
		3: {EveryDays: 7, MinPerMonth: 5},
	}
}

// config holds the settings; defaults are applied once in newConfig.
type config struct {
	foundDist, sightDist float64
	lookback, grace      time.Duration
	maxGap               time.Duration
	maxGapDist           float64
	loc                  *time.Location
	minPeople            int
	stopDays, reportDays int
	isWorkday            func(time.Time) bool
	now                  func() time.Time
	reqs                 map[Grade]Requirement
	workers              int
}

// Option changes a reconciliation setting.
type Option func(*config)

// ChinaTime returns UTC+8 (China Standard Time, no daylight saving), the
// default location of calendar days. It needs no time zone database.
func ChinaTime() *time.Location { return time.FixedZone("CST", 8*3600) }

func newConfig(opts []Option) config {
	c := config{
		foundDist:  100,
		sightDist:  200,
		lookback:   180 * 24 * time.Hour,
		grace:      0,
		maxGap:     10 * time.Minute,
		maxGapDist: 2000,
		loc:        ChinaTime(),
		minPeople:  2,
		stopDays:   1,
		reportDays: 2,
		isWorkday:  IsWeekday,
		now:        time.Now,
		reqs:       DefaultRequirements(),
		workers:    2,
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithFoundDistance sets how close (metres, default 100) a ledger entry's
// coordinates must be to a patch polygon for the entry to have found it.
func WithFoundDistance(m float64) Option { return func(c *config) { c.foundDist = m } }

// WithSightDistance sets how close (metres, default 200) a patrol must pass
// to a patch to count as having had it in sight.
func WithSightDistance(m float64) Option { return func(c *config) { c.sightDist = m } }

// WithFoundWindow sets which entry dates can find a patch: from lookback
// before QSX (default 180 days: an entry about a site already under way
// counts) to the end of the FlaggedAt day plus grace (default 0).
func WithFoundWindow(lookback, grace time.Duration) Option {
	return func(c *config) { c.lookback, c.grace = lookback, grace }
}

// WithTrackGap sets when two consecutive fixes of a track segment are not
// joined into a line: more than d apart in time (default 10 min) or more than
// m metres apart (default 2000). Unjoined fixes still count as points.
func WithTrackGap(d time.Duration, m float64) Option {
	return func(c *config) { c.maxGap, c.maxGapDist = d, m }
}

// WithLocation sets the location whose calendar days are used (default
// UTC+8).
func WithLocation(loc *time.Location) Option { return func(c *config) { c.loc = loc } }

// WithMinPeople sets the smallest lawful patrol (default 2).
func WithMinPeople(n int) Option { return func(c *config) { c.minPeople = n } }

// WithDeadlines sets the working days allowed to stop (default 1) and to
// report (default 2) a violation a patrol found.
func WithDeadlines(stop, report int) Option {
	return func(c *config) { c.stopDays, c.reportDays = stop, report }
}

// WithWorkdays plugs in the holiday calendar; the default IsWeekday skips
// Saturdays and Sundays only.
func WithWorkdays(f func(time.Time) bool) Option { return func(c *config) { c.isWorkday = f } }

// WithNow sets the clock used to tell overdue from not yet due (default
// time.Now).
func WithNow(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithRequirement sets the frequency required of zones of grade g.
func WithRequirement(g Grade, r Requirement) Option {
	return func(c *config) {
		m := make(map[Grade]Requirement, len(c.reqs)+1)
		for k, v := range c.reqs {
			m[k] = v
		}
		m[g] = r
		c.reqs = m
	}
}

// WithWorkers sets the number of goroutines used to check patches (default
// 2). Results do not depend on it.
func WithWorkers(n int) Option { return func(c *config) { c.workers = max(1, n) } }

// IsWeekday reports whether t falls Monday to Friday: the default working-day
// calendar, without public holidays.
func IsWeekday(t time.Time) bool {
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}
