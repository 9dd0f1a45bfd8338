package reconcile

import (
	"fmt"
	"time"

	"github.com/paulmach/orb"
	"github.com/weipian/weipian/pipeline"
)

// ErrInvalid marks input that cannot be reconciled (a patch without geometry,
// duplicate IDs, an empty period). It is permanent: retrying will not help.
var ErrInvalid = fmt.Errorf("reconcile: %w", pipeline.ErrInvalid)

// Patch is one satellite change patch (图斑) as reconciliation needs it.
//
// The zero FlaggedAt means HSX: the patch counts as flagged by the satellite
// on the date of its after-image.
type Patch struct {
	// ID is the caller's stable identifier; JCBH the 监测编号 (often the
	// 6-digit XZQDM followed by a sequence number), matched in ledger text.
	ID, JCBH string
	// Geometry is the outline in WGS84 lon/lat. A patch without geometry is
	// treated as the point Centroid.
	Geometry orb.Polygon
	// Centroid is the centre point (lon/lat); if zero it is computed from
	// Geometry.
	Centroid orb.Point
	// QSX and HSX are the before and after image dates (前时相, 后时相): the
	// change appeared between them.
	QSX, HSX time.Time
	// FlaggedAt is when the satellite flagged the patch (the batch date);
	// zero means HSX. A ledger entry counts as finding the patch only if the
	// patrol was no later than this day (plus the configured grace).
	FlaggedAt time.Time
	// PatrolZoneID is the patrol zone the patch lies in; if empty the zone
	// whose geometry contains the centroid is used.
	PatrolZoneID string
	// Place is the 坐落 (village or place name, e.g. "东关村") used for the
	// weak address match; empty disables address matching for this patch.
	Place string
	// Suspected marks a patch judged 疑似违法; only suspected patches enter a
	// zone's discovery share and its 应发现而未发现 count.
	Suspected bool
}

// PatchOf is the patch reconciliation checks of a 图斑, flagged by the
// satellite at flaggedAt; its dates are read in loc.
func PatchOf(t pipeline.Tuban, flaggedAt time.Time, loc *time.Location) Patch {
	p := Patch{ID: t.ID, JCBH: t.JCBH, Geometry: t.Geometry, PatrolZoneID: t.PatrolZoneID,
		Suspected: t.Judgement == pipeline.JudgeSuspected, FlaggedAt: flaggedAt}
	p.QSX, _ = time.ParseInLocation("2006-01-02", t.QSX, loc)
	p.HSX, _ = time.ParseInLocation("2006-01-02", t.HSX, loc)
	return p
}

// Grade is a patrol zone's grade: pipeline.Grade.
type Grade = pipeline.Grade

// Zone is a patrol zone (巡查区域) with its responsible team, as the 巡查区
// layer holds it: pipeline.Zone (ID, Name, Grade, Team and Geometry are
// used; the geometry may be empty when patches and entries name their zone).
type Zone = pipeline.Zone

// Entry is one ground-patrol ledger row (巡查台帐) as plain domain values.
type Entry struct {
	// ID is the stable row identifier (see ledger.Entry.ID); Ref is a
	// human-readable reference such as "台帐2026.xlsx 5月 第12行".
	ID, Ref string
	// Start and End are the patrol time (巡查时间); End may be zero. A
	// date-only patrol starts at 00:00 of that day.
	Start, End time.Time
	// Zones are the zone IDs or names the patrol covered (巡查区域/路线),
	// matched against Zone.ID, then Zone.Name.
	Zones []string
	// Members are the patrol members' names and People their number
	// (People may exceed len(Members), as in "张三等3人").
	Members []string
	People  int
	// Location is the 违法地点 coordinate (lon/lat) when HasLocation.
	Location    orb.Point
	HasLocation bool
	// The ledger's text columns: 巡查项目, 违法主体或名称, 违法地点 (address
	// text), 违法现状, 制止措施, 制止效果, 后续处理情况.
	Items, Subject, Address, Status, StopMeasure, StopEffect, FollowUp string
	// Violation says the row records a violation. Callers usually set it
	// with ReportsViolation.
	Violation bool
	// StopDate and ReportDate, when not zero, are the dates the violation
	// was stopped (制止) and reported; zero means "take them from the text"
	// (see Assess).
	StopDate, ReportDate time.Time
}

// TrackPoint is one GPS fix of a patrol track: lon/lat in degrees and the
// time of the fix. A point with a zero Time is ignored.
type TrackPoint struct {
	Lon, Lat float64
	Time     time.Time
}

// Track is a GPS patrol track. Consecutive points of one segment are joined
// into lines unless they are further apart than the configured gap.
type Track struct {
	ID, Ref string
	// Team and ZoneID say who walked it and where, when known.
	Team, ZoneID string
	Segments     [][]TrackPoint
}

// Input is everything reconciliation looks at. The slices are only read.
type Input struct {
	Patches []Patch
	Zones   []Zone
	Entries []Entry
	Tracks  []Track
}

// Outcome is the verdict on one patch.
type Outcome int

const (
	// NotCovered (未巡查覆盖): no patrol came within sight of the patch in its
	// change window.
	NotCovered Outcome = iota
	// ShouldHaveFound (巡查应发现而未发现): no ledger entry reported it, but a
	// patrol passed within sight after the change appeared.
	ShouldHaveFound
	// FoundByPatrol (巡查已发现): a ledger entry reported a violation at this
	// place before the satellite flagged it.
	FoundByPatrol
)

// String returns the English code: "not_covered", "should_have_found" or
// "found_by_patrol".
func (o Outcome) String() string {
	switch o {
	case NotCovered:
		return "not_covered"
	case ShouldHaveFound:
		return "should_have_found"
	case FoundByPatrol:
		return "found_by_patrol"
	}
	return "unknown"
}

// Label returns the zh-CN verdict used in reports: 巡查已发现,
// 巡查应发现而未发现 or 未巡查覆盖.
func (o Outcome) Label() string {
	switch o {
	case NotCovered:
		return "未巡查覆盖"
	case ShouldHaveFound:
		return "巡查应发现而未发现"
	case FoundByPatrol:
		return "巡查已发现"
	}
	return "未知"
}

// MatchKind says how a ledger entry was tied to a patch.
type MatchKind int

const (
	// MatchLocation: the entry's coordinates lie within FoundDistance of the
	// patch polygon.
	MatchLocation MatchKind = iota + 1
	// MatchJCBH: the entry's text names the patch's 监测编号.
	MatchJCBH
	// MatchAddress: the entry has no coordinates and its 违法地点 names the
	// patch's Place, and no other patch of the same place and zone
	// qualifies (a weak match).
	MatchAddress
)

// Label returns the zh-CN name: 坐标, 监测编号 or 地址.
func (m MatchKind) Label() string {
	switch m {
	case MatchLocation:
		return "坐标"
	case MatchJCBH:
		return "监测编号"
	case MatchAddress:
		return "地址"
	}
	return ""
}

// Finding is the ledger entry that found a patch.
type Finding struct {
	EntryID, Ref string
	Date         time.Time // the entry's Start
	Match        MatchKind
	// DistanceM is the distance in metres from the entry's coordinates to
	// the polygon (0 inside), or -1 without coordinates.
	DistanceM float64
}

// PassSource says where evidence of a patrol pass comes from.
type PassSource int

const (
	// FromTrack: a GPS track.
	FromTrack PassSource = iota + 1
	// FromEntry: a ledger entry with coordinates (the patrol stood there).
	FromEntry
)

// Label returns the zh-CN name: 轨迹 or 台帐.
func (s PassSource) Label() string {
	switch s {
	case FromTrack:
		return "轨迹"
	case FromEntry:
		return "台帐"
	}
	return ""
}

// Pass is a patrol that came within sight of a patch.
type Pass struct {
	Source PassSource
	// ID and Ref identify the track or entry; Team is the track's team.
	ID, Ref, Team string
	// Time is the moment of closest approach (interpolated along the
	// track); DistanceM the distance in metres to the polygon (0 inside).
	Time      time.Time
	DistanceM float64
	// Point is the closest point of the pass (lon/lat).
	Point orb.Point
}

// PatchResult is the verdict on one patch. Found is set for FoundByPatrol;
// Closest and Latest are set whenever a pass within sight exists.
type PatchResult struct {
	Patch Patch
	// ZoneID is the patch's patrol zone (given or found from the centroid),
	// empty if none.
	ZoneID  string
	Outcome Outcome
	// FlaggedAt is the effective flag date (Patch.FlaggedAt or HSX).
	FlaggedAt time.Time
	// Found is the earliest qualifying entry; Matches counts all of them.
	Found   *Finding
	Matches int
	// Closest is the nearest pass in the window (ties: earliest), Latest the
	// last one; Passes counts distinct tracks and entries within sight.
	Closest, Latest *Pass
	Passes          int
	// ZoneEntries counts the ledger entries of the patch's zone whose
	// patrol fell inside the change window, with or without coordinates:
	// context for patches without any located pass.
	ZoneEntries int
}
