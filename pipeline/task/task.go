package task

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/weipian/weipian/pipeline"
)

// ErrInvalid marks a refused transition or an invalid input: the caller sent
// something the domain does not allow, and retrying the same call cannot
// succeed. Errors returned by Apply, NewTask and AddEvidence match it with
// errors.Is.
var ErrInvalid = fmt.Errorf("task: %w", pipeline.ErrInvalid)

// invalidError is an error message that matches ErrInvalid.
type invalidError struct{ msg string }

func (e *invalidError) Error() string { return e.msg }
func (e *invalidError) Unwrap() error { return ErrInvalid }

func invalidf(format string, args ...any) error {
	return &invalidError{fmt.Sprintf(format, args...)}
}

// TransitionError is a refused transition. It matches ErrInvalid.
type TransitionError struct {
	From, To State
	// Problem says what is wrong, in English with zh-CN terms.
	Problem string
}

// Error reads "task: cannot go from <from> to <to>: <problem>", with the
// states' zh-CN labels.
func (e *TransitionError) Error() string {
	return fmt.Sprintf("task: cannot go from %s to %s: %s", e.From, e.To, e.Problem)
}

// Unwrap returns ErrInvalid.
func (e *TransitionError) Unwrap() error { return ErrInvalid }

// Patch is what a task needs to know about its change patch (图斑). Areas are
// in m², computed in the 3-degree Gauss–Krüger zone of the patch.
type Patch struct {
	// TubanID is the stable patch ID (pipeline.Patch.ID); required.
	TubanID string
	// JCBH is the monitoring number (监测编号), if one has been given.
	JCBH string
	// AreaM2 is the monitored area (监测面积 JCMJ).
	AreaM2 float64
	// FarmlandM2 is the area on cultivated land (耕地面积 JCGDMJ).
	FarmlandM2 float64
	// BasicFarmlandM2 is the area on permanent basic farmland (永久基本农田面积
	// YJJBNTMJ); any positive value puts the task first in line.
	BasicFarmlandM2 float64
}

// Zone is the patrol zone that owns the patch's ground, and its team.
type Zone struct {
	// Name identifies the zone (e.g. "城关镇-一片区"); required.
	Name string
	// Team is the patrol team (国土所/执法中队) assigned to it; required.
	Team string
	// Grade is the zone's patrol grade; required.
	Grade Grade
}

// Transition is one step of a task's life, as an actor asks for it and as
// History records it. The verdict fields are set only on the step to 已核查,
// Rectification only on the step to 整改中.
type Transition struct {
	// From is the state the actor saw. If empty, Apply takes the task's
	// current state; if set and different, Apply refuses (a stale view).
	From State
	// To is the state asked for; required.
	To State
	// Actor is who did it (user name or ID); required.
	Actor string
	// At is when it happened; required, and not before CreatedAt nor before
	// the last recorded transition.
	At time.Time
	// Reason says why, in free text. Required for reopening (已办结 → 待核查).
	Reason string

	// Verdict is the judgement (判定); required when To is Verified.
	Verdict Verdict
	// ViolationType (违法类型) is required when Verdict is VerdictIllegal and
	// must be empty otherwise.
	ViolationType ViolationType
	// ApprovalNo (批准文号) is required when Verdict is VerdictLegal; for other
	// verdicts it may carry e.g. the filing number of a farm facility.
	ApprovalNo string
	// Rectification is required when To is Rectifying.
	Rectification Rectification
	// CaseNo is the case number (立案编号); optional, only when To is Filed.
	CaseNo string
}

// Evidence is a field photo attached to a task, as the evidence package
// checked it. Positions are WGS84 degrees.
type Evidence struct {
	// SHA256 is the lowercase hex SHA-256 of the file; it identifies the
	// photo, so the same photo is attached once.
	SHA256 string
	// Name is the file name as uploaded; Key the object key of the stored
	// photo (records made before Key existed hold the key in Name).
	Name, Key string
	// TakenAt is the photo's DateTimeOriginal; zero if the photo has none.
	TakenAt time.Time
	// HasGPS says whether Lon and Lat are known.
	HasGPS   bool
	Lon, Lat float64
	// HasDirection says whether DirectionDeg (GPSImgDirection, degrees
	// clockwise from north) is known.
	HasDirection bool
	DirectionDeg float64
	// DistanceM is the distance from the photo to the patch (0 inside), in
	// metres; meaningless without GPS.
	DistanceM float64
	// Flags are the checks the photo failed (e.g. "far", "no_gps").
	Flags []string
	// AddedBy and AddedAt say who attached it and when.
	AddedBy string
	AddedAt time.Time
	// Kind is EvidenceManual (人工举证照片) or EvidenceDrone (无人机举证照片);
	// "" is manual.
	Kind string `json:",omitempty"`
}

// Kinds of evidence photos, as the return packages file them.
const (
	EvidenceManual = "manual" // 人工举证照片
	EvidenceDrone  = "drone"  // 无人机举证照片
)

// Findings is the county's verification form (核查填报) of a task: what the
// return package (核查成果) reports beside the verdict. Dates are
// YYYY-MM-DD (建设时间 may be YYYY-MM); areas are m².
type Findings struct {
	Opinion           string  // 核实认定意见: 合法, 非农违法, 非粮违法, 伪变化, 实地为设施 …
	Description       string  // 现场核查描述
	ProjectName       string  // 项目名称
	ProjectOwner      string  // 项目主体
	BuiltAt           string  // 建设时间
	ApprovalAuthority string  // 批准机关
	ApprovalDate      string  // 批准时间
	ApprovedAreaM2    float64 // 批准面积
	IllegalAreaM2     float64 // 违法面积 WFMJ (0: the 监测面积 when illegal)
	Inspectors        string  // 核查人员
	InspectedAt       string  // 核查时间
	UpdatedBy         string
	UpdatedAt         time.Time
}

// Task is the verification task (核查任务) for one patch. Its zero value is
// not useful: create tasks with Rules.NewTask. A Task is plain data for
// storage; it is not safe for concurrent mutation.
type Task struct {
	// ID is derived from TubanID (see IDFor), so it is the same on every run.
	ID string
	// TubanID and JCBH identify the patch.
	TubanID, JCBH string
	// AreaM2, FarmlandM2 and BasicFarmlandM2 are the patch's areas in m² when
	// the task was created or last reopened.
	AreaM2, FarmlandM2, BasicFarmlandM2 float64
	// Team, Zone and Grade are the patrol team, its zone and the zone's grade.
	Team, Zone string
	Grade      Grade
	// Priority orders tasks, lower first; PriorityReason explains it in
	// Chinese. See PriorityOf.
	Priority       int64
	PriorityReason string

	// State is where the task stands.
	State State
	// Verdict, ViolationType and ApprovalNo are the current judgement (set by
	// the step to 已核查, cleared on reopening).
	Verdict       Verdict
	ViolationType ViolationType
	ApprovalNo    string
	// Rectification is how an illegal case is being put right; CaseNo its
	// case number.
	Rectification Rectification
	CaseNo        string

	// CreatedAt is when the task was created.
	CreatedAt time.Time
	// DueVerify is the last day to verify on site; DueStop the last day to
	// stop an illegal act (制止) and DueReport the last day to report it
	// (报告), both set when the verdict 违法 is recorded. Zero means none.
	DueVerify, DueStop, DueReport Date

	// History lists every applied transition, oldest first.
	History []Transition
	// Evidence lists the attached photos in the order they were attached.
	Evidence []Evidence
	// Findings is the verification form, once filled in.
	Findings *Findings `json:",omitempty"`
}

// IDFor returns the task ID for a patch ID: "rw-" and the first 16 hex
// digits of SHA-256("weipian/task/v1\n" + tubanID). Re-creating the task for
// the same patch gives the same ID, so it can serve as an idempotency key.
func IDFor(tubanID string) string {
	h := sha256.Sum256([]byte("weipian/task/v1\n" + tubanID))
	return "rw-" + hex.EncodeToString(h[:8])
}

// Edge is one allowed transition of the life cycle.
type Edge struct {
	From, To State
	// Action is the zh-CN name of the step.
	Action string
	// Requires says, in English, what the step needs beyond an actor and a
	// time.
	Requires string
}

// Edges returns the table of allowed transitions. Apply refuses any step not
// in it.
//
//	待核查 → 核查中   开始核查
//	核查中 → 已核查   提交核查结论  verdict; 合法 needs 批准文号, 违法 needs 违法类型
//	已核查 → 已制止   制止          only for verdict 违法
//	已核查 → 已办结   办结          only for verdicts other than 违法
//	已制止 → 已立案   立案
//	已立案 → 整改中   整改          拆除复耕 or 补办手续
//	整改中 → 已办结   办结
//	已办结 → 待核查   重新核查      a reason (see ShouldReopen)
func Edges() []Edge {
	return []Edge{
		{Pending, Verifying, "开始核查", ""},
		{Verifying, Verified, "提交核查结论", "a verdict; 合法 needs an approval number, 违法 a violation type"},
		{Verified, Stopped, "制止", "the verdict is 违法"},
		{Verified, Closed, "办结", "the verdict is not 违法"},
		{Stopped, Filed, "立案", ""},
		{Filed, Rectifying, "整改", "a rectification: 拆除复耕 or 补办手续"},
		{Rectifying, Closed, "办结", ""},
		{Closed, Pending, "重新核查", "a reason (the change grew, see ShouldReopen)"},
	}
}

// next returns the states reachable from s in one step.
func next(s State) []State {
	var out []State
	for _, e := range Edges() {
		if e.From == s {
			out = append(out, e.To)
		}
	}
	return out
}

// Apply checks tr and, if it is allowed, records it: State and the fields the
// step sets change and tr (with From filled in) is appended to History. A
// refused transition returns a *TransitionError (matching ErrInvalid), such as
//
//	task: cannot go from 待核查 to 已立案: not an allowed transition (from 待核查 only to 核查中)
//
// and leaves the task exactly as it was.
//
// Apply checks that the step is in Edges, that Actor is not blank, that At is
// set and not before CreatedAt nor the last transition, and the fields each
// step needs (see Transition). It does not compute deadlines; Rules.Apply
// does both.
func (t *Task) Apply(tr Transition) error {
	if tr.From == "" {
		tr.From = t.State
	}
	if err := t.check(tr); err != nil {
		return err
	}

	t.State = tr.To
	switch tr.To {
	case Verified:
		t.Verdict, t.ViolationType, t.ApprovalNo = tr.Verdict, tr.ViolationType, tr.ApprovalNo
	case Filed:
		t.CaseNo = tr.CaseNo
	case Rectifying:
		t.Rectification = tr.Rectification
	case Pending: // reopened: the old judgement stays in History only
		t.Verdict, t.ViolationType, t.ApprovalNo = "", "", ""
		t.Rectification, t.CaseNo = "", ""
		t.DueStop, t.DueReport = Date{}, Date{}
	}
	t.History = append(t.History, tr)
	return nil
}

// check validates tr (with From filled in) against t without changing t.
func (t *Task) check(tr Transition) error {
	refuse := func(format string, args ...any) error {
		return &TransitionError{From: tr.From, To: tr.To, Problem: fmt.Sprintf(format, args...)}
	}
	if tr.From != t.State {
		return refuse("task %s is %s, not %s (stale view)", t.ID, t.State, tr.From)
	}
	if !tr.To.Valid() {
		return refuse("unknown target state %q", string(tr.To))
	}
	if !slices.Contains(next(tr.From), tr.To) {
		allowed := next(tr.From)
		if len(allowed) == 0 {
			return refuse("not an allowed transition (%s is final)", tr.From)
		}
		names := make([]string, len(allowed))
		for i, s := range allowed {
			names[i] = s.Label()
		}
		return refuse("not an allowed transition (from %s only to %s)", tr.From, strings.Join(names, "、"))
	}
	if strings.TrimSpace(tr.Actor) == "" {
		return refuse("actor is empty")
	}
	if tr.At.IsZero() {
		return refuse("time is not set")
	}
	if tr.At.Before(t.CreatedAt) {
		return refuse("time %s is before the task was created (%s)", tr.At.Format(time.RFC3339), t.CreatedAt.Format(time.RFC3339))
	}
	if n := len(t.History); n > 0 && tr.At.Before(t.History[n-1].At) {
		last := t.History[n-1]
		return refuse("time %s is before the last transition (%s at %s)", tr.At.Format(time.RFC3339), last.To, last.At.Format(time.RFC3339))
	}

	if tr.To != Verified && (tr.Verdict != "" || tr.ViolationType != "" || tr.ApprovalNo != "") {
		return refuse("verdict, violation type and approval number are set only when going to %s", Verified)
	}
	if tr.To != Rectifying && tr.Rectification != "" {
		return refuse("rectification is set only when going to %s", Rectifying)
	}
	if tr.To != Filed && tr.CaseNo != "" {
		return refuse("case number is set only when going to %s", Filed)
	}

	switch {
	case tr.To == Verified:
		if tr.Verdict == "" {
			return refuse("verdict (判定) is required")
		}
		if !tr.Verdict.Valid() {
			return refuse("unknown verdict %q", string(tr.Verdict))
		}
		switch tr.Verdict {
		case VerdictLegal:
			if strings.TrimSpace(tr.ApprovalNo) == "" {
				return refuse("verdict 合法 requires an approval number (批准文号)")
			}
		case VerdictIllegal:
			if tr.ViolationType == "" {
				return refuse("verdict 违法 requires a violation type (违法类型: 违法占地/违法批地/违法转让/其他)")
			}
		}
		if tr.Verdict != VerdictIllegal && tr.ViolationType != "" {
			return refuse("violation type %s given with verdict %s", tr.ViolationType, tr.Verdict)
		}
		if tr.ViolationType != "" && !tr.ViolationType.Valid() {
			return refuse("unknown violation type %q", string(tr.ViolationType))
		}
	case tr.From == Verified && tr.To == Stopped:
		if t.Verdict != VerdictIllegal {
			return refuse("only a task judged 违法 is stopped (verdict is %s)", t.Verdict)
		}
	case tr.From == Verified && tr.To == Closed:
		if t.Verdict == VerdictIllegal {
			return refuse("a task judged 违法 goes through 已制止, 已立案 and 整改中 before 已办结")
		}
	case tr.To == Rectifying:
		if tr.Rectification == "" {
			return refuse("rectification (整改方式: 拆除复耕 or 补办手续) is required")
		}
		if !tr.Rectification.Valid() {
			return refuse("unknown rectification %q", string(tr.Rectification))
		}
	case tr.From == Closed && tr.To == Pending:
		if strings.TrimSpace(tr.Reason) == "" {
			return refuse("reopening requires a reason")
		}
	}
	return nil
}

// LastTransition returns the most recent transition to state s, if any.
func (t *Task) LastTransition(s State) (Transition, bool) {
	for i := len(t.History) - 1; i >= 0; i-- {
		if t.History[i].To == s {
			return t.History[i], true
		}
	}
	return Transition{}, false
}

// ReopenRule says how much a closed patch must grow before its task is
// reopened. A field <= 0 takes its default.
type ReopenRule struct {
	// Ratio is the growth as a fraction of the old area; default 0.10 (10%).
	Ratio float64
	// MinM2 is the growth in m²; default 100 m².
	MinM2 float64
}

// Default values of ReopenRule.
const (
	DefaultReopenRatio = 0.10
	DefaultReopenMinM2 = 100.0
)

func (r ReopenRule) withDefaults() ReopenRule {
	if r.Ratio <= 0 {
		r.Ratio = DefaultReopenRatio
	}
	if r.MinM2 <= 0 {
		r.MinM2 = DefaultReopenMinM2
	}
	return r
}

// ShouldReopen reports whether a closed task must be verified again because
// a later batch saw its patch grow from oldAreaM2 (what was verified) to
// newAreaM2.
//
// The rule: a task that is not 已办结 is never reopened (it is still open, so
// update it instead). A closed task, whatever its verdict, is reopened only
// when the growth exceeds both rule.Ratio of the old area and rule.MinM2 —
// with the defaults, more than 10% and more than 100 m². A patch judged 合法
// is covered by its approval for the extent that was verified; a smaller
// change, or the same patch seen again, is not new work (and a growth of a
// few pixels is often just a different outline from a different image). Both
// thresholds together keep small patches from reopening on outline noise and
// big ones from reopening on a sliver.
func (t *Task) ShouldReopen(oldAreaM2, newAreaM2 float64, rule ReopenRule) bool {
	if t.State != Closed {
		return false
	}
	if !isFinite(oldAreaM2) || !isFinite(newAreaM2) || oldAreaM2 < 0 || newAreaM2 < 0 {
		return false
	}
	rule = rule.withDefaults()
	growth := newAreaM2 - oldAreaM2
	return growth > rule.Ratio*oldAreaM2 && growth > rule.MinM2
}

func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// AddEvidence attaches a photo. The same photo (same SHA256) is attached
// once: adding it again does nothing and returns nil, so retries are safe.
// Photos are attached while the task is open and has been started, that is
// in any state but 待核查 and 已办结.
func (t *Task) AddEvidence(e Evidence) error {
	if len(e.SHA256) != 64 || strings.Trim(e.SHA256, "0123456789abcdef") != "" {
		return invalidf("task: add evidence %q to %s: SHA256 must be 64 lowercase hex digits", e.Name, t.ID)
	}
	if strings.TrimSpace(e.AddedBy) == "" {
		return invalidf("task: add evidence %q to %s: AddedBy is empty", e.Name, t.ID)
	}
	for _, x := range t.Evidence {
		if x.SHA256 == e.SHA256 {
			return nil
		}
	}
	if t.State == Pending || t.State == Closed {
		return invalidf("task: add evidence %q to %s: task is %s", e.Name, t.ID, t.State)
	}
	e.Flags = slices.Clone(e.Flags)
	t.Evidence = append(t.Evidence, e)
	return nil
}

// Deadline names one of a task's deadlines.
type Deadline string

// The deadlines of a task.
const (
	DeadlineVerify Deadline = "verify" // 核查
	DeadlineStop   Deadline = "stop"   // 制止
	DeadlineReport Deadline = "report" // 报告
)

// Label returns the zh-CN label of d.
func (d Deadline) Label() string {
	switch d {
	case DeadlineVerify:
		return "核查"
	case DeadlineStop:
		return "制止"
	case DeadlineReport:
		return "报告"
	}
	return string(d)
}

// String returns the zh-CN label.
func (d Deadline) String() string { return d.Label() }

// Overdue returns the deadlines that are past on date today and not yet met,
// in the order verify, stop, report. A deadline is met when the task reaches
// 已核查 (verify), 已制止 (stop) or 已立案 (report: the report to the office
// that files the case). A deadline day itself is not overdue.
func (t *Task) Overdue(today Date) []Deadline {
	var out []Deadline
	past := func(d Date) bool { return !d.IsZero() && today.After(d) }
	switch t.State {
	case Pending, Verifying:
		if past(t.DueVerify) {
			out = append(out, DeadlineVerify)
		}
	case Verified:
		if past(t.DueStop) {
			out = append(out, DeadlineStop)
		}
		if past(t.DueReport) {
			out = append(out, DeadlineReport)
		}
	case Stopped:
		if past(t.DueReport) {
			out = append(out, DeadlineReport)
		}
	}
	return out
}
