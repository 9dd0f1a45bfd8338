package task

import (
	"fmt"

	"github.com/weipian/weipian/pipeline"
)

// State is where a task stands in its life cycle. The value is a stable
// English code for storage and APIs; String gives the zh-CN label shown to
// users. The zero State is invalid.
type State string

// The states of a task. Non-illegal verdicts go 已核查 → 已办结 directly;
// illegal ones go through 已制止, 已立案 and 整改中 first.
const (
	Pending    State = "pending"    // 待核查: created, not yet visited
	Verifying  State = "verifying"  // 核查中: the team is on it
	Verified   State = "verified"   // 已核查: verdict (判定) recorded
	Stopped    State = "stopped"    // 已制止: an illegal act has been stopped
	Filed      State = "filed"      // 已立案: reported and a case opened
	Rectifying State = "rectifying" // 整改中: being demolished or regularised
	Closed     State = "closed"     // 已办结: done
)

// States returns every state in life-cycle order.
func States() []State {
	return []State{Pending, Verifying, Verified, Stopped, Filed, Rectifying, Closed}
}

// Label returns the zh-CN label of s, or s itself if it is unknown.
func (s State) Label() string {
	switch s {
	case Pending:
		return "待核查"
	case Verifying:
		return "核查中"
	case Verified:
		return "已核查"
	case Stopped:
		return "已制止"
	case Filed:
		return "已立案"
	case Rectifying:
		return "整改中"
	case Closed:
		return "已办结"
	}
	return string(s)
}

// String returns the zh-CN label, so that messages read as users speak.
func (s State) String() string { return s.Label() }

// Valid reports whether s is one of the defined states.
func (s State) Valid() bool {
	for _, v := range States() {
		if s == v {
			return true
		}
	}
	return false
}

// ParseState accepts a state's code ("verified") or its label ("已核查").
func ParseState(s string) (State, error) {
	for _, v := range States() {
		if s == string(v) || s == v.Label() {
			return v, nil
		}
	}
	return "", fmt.Errorf("%w: unknown state %q", ErrInvalid, s)
}

// Verdict is the legality judgement (判定) recorded when a task is verified.
// The zero Verdict means "not judged yet".
type Verdict string

// The verdicts of practice (自然资发〔2023〕258号 and the annual check cards).
const (
	VerdictLegal        Verdict = "legal"         // 合法: needs an approval number (批准文号)
	VerdictIllegal      Verdict = "illegal"       // 违法: needs a violation type (违法类型)
	VerdictFalseChange  Verdict = "false_change"  // 伪变化: nothing changed on the ground
	VerdictFarmFacility Verdict = "farm_facility" // 设施农用地
	VerdictRuralRoad    Verdict = "rural_road"    // 农村道路
	VerdictOther        Verdict = "other"         // 其他
)

// Verdicts returns every verdict.
func Verdicts() []Verdict {
	return []Verdict{VerdictLegal, VerdictIllegal, VerdictFalseChange, VerdictFarmFacility, VerdictRuralRoad, VerdictOther}
}

// Label returns the zh-CN label of v, or v itself if it is unknown.
func (v Verdict) Label() string {
	switch v {
	case VerdictLegal:
		return "合法"
	case VerdictIllegal:
		return "违法"
	case VerdictFalseChange:
		return "伪变化"
	case VerdictFarmFacility:
		return "设施农用地"
	case VerdictRuralRoad:
		return "农村道路"
	case VerdictOther:
		return "其他"
	}
	return string(v)
}

// String returns the zh-CN label.
func (v Verdict) String() string { return v.Label() }

// Valid reports whether v is one of the defined verdicts.
func (v Verdict) Valid() bool {
	for _, x := range Verdicts() {
		if v == x {
			return true
		}
	}
	return false
}

// ParseVerdict accepts a verdict's code or its label.
func ParseVerdict(s string) (Verdict, error) {
	for _, v := range Verdicts() {
		if s == string(v) || s == v.Label() {
			return v, nil
		}
	}
	return "", fmt.Errorf("%w: unknown verdict %q", ErrInvalid, s)
}

// ViolationType is the kind of an illegal act (违法类型, WFLX). The zero value
// means "none" and is only valid for verdicts other than 违法.
type ViolationType string

// The violation types of the annual tables.
const (
	ViolationOccupy   ViolationType = "occupy"   // 违法占地
	ViolationApprove  ViolationType = "approve"  // 违法批地
	ViolationTransfer ViolationType = "transfer" // 违法转让
	ViolationOther    ViolationType = "other"    // 其他
)

// ViolationTypes returns every violation type.
func ViolationTypes() []ViolationType {
	return []ViolationType{ViolationOccupy, ViolationApprove, ViolationTransfer, ViolationOther}
}

// Label returns the zh-CN label of v, or v itself if it is unknown.
func (v ViolationType) Label() string {
	switch v {
	case ViolationOccupy:
		return "违法占地"
	case ViolationApprove:
		return "违法批地"
	case ViolationTransfer:
		return "违法转让"
	case ViolationOther:
		return "其他"
	}
	return string(v)
}

// String returns the zh-CN label.
func (v ViolationType) String() string { return v.Label() }

// Valid reports whether v is one of the defined violation types.
func (v ViolationType) Valid() bool {
	for _, x := range ViolationTypes() {
		if v == x {
			return true
		}
	}
	return false
}

// ParseViolationType accepts a violation type's code or its label.
func ParseViolationType(s string) (ViolationType, error) {
	for _, v := range ViolationTypes() {
		if s == string(v) || s == v.Label() {
			return v, nil
		}
	}
	return "", fmt.Errorf("%w: unknown violation type %q", ErrInvalid, s)
}

// Rectification is how an illegal case is put right (整改方式). The annual
// tables count rectified = demolished + permits obtained. The zero value
// means "not rectifying".
type Rectification string

// The ways of rectification.
const (
	RectifyDemolish Rectification = "demolish" // 拆除复耕: demolished, land restored
	RectifyPermit   Rectification = "permit"   // 补办手续: permits obtained afterwards
)

// Rectifications returns every way of rectification.
func Rectifications() []Rectification {
	return []Rectification{RectifyDemolish, RectifyPermit}
}

// Label returns the zh-CN label of r, or r itself if it is unknown.
func (r Rectification) Label() string {
	switch r {
	case RectifyDemolish:
		return "拆除复耕"
	case RectifyPermit:
		return "补办手续"
	}
	return string(r)
}

// String returns the zh-CN label.
func (r Rectification) String() string { return r.Label() }

// Valid reports whether r is one of the defined ways of rectification.
func (r Rectification) Valid() bool {
	return r == RectifyDemolish || r == RectifyPermit
}

// Grade is the patrol grade of a task's zone: the one grade type of the
// domain, pipeline.Grade.
type Grade = pipeline.Grade

// The patrol grades.
const (
	Grade1 = pipeline.Grade1
	Grade2 = pipeline.Grade2
	Grade3 = pipeline.Grade3
)

// ParseRectification parses a rectification by its Chinese label (拆除复耕,
// 补办手续) or its English value (demolish, permit).
func ParseRectification(s string) (Rectification, error) {
	for _, r := range []Rectification{RectifyDemolish, RectifyPermit} {
		if s == string(r) || s == r.Label() {
			return r, nil
		}
	}
	return "", fmt.Errorf("%w: unknown rectification %q (want 拆除复耕 or 补办手续)", ErrInvalid, s)
}
