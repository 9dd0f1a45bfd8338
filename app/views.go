package app

import (
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/geodesy"
	"github.com/weipian/weipian/pipeline/judge"
	"github.com/weipian/weipian/pipeline/task"
)

// Coded is a value with its English code and its zh-CN label.
type Coded struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

func coded(code, label string) Coded { return Coded{Code: code, Label: label} }

// Area is an area in m² and 亩.
type Area struct {
	M2 float64 `json:"m2"`
	Mu float64 `json:"mu"`
}

func areaOf(m2 float64) Area { return Area{M2: round2(m2), Mu: round2(geodesy.Mu(m2))} }

// areaSum adds areas for a 合计: m² as they are, 亩 as each item shows
// them (rounded to 0.01 亩), so that a list's rows add up to its total, as
// in the reports (stats.RoundMu).
type areaSum struct{ m2, mu float64 }

func (s *areaSum) add(m2 float64) { s.m2 += m2; s.mu += round2(geodesy.Mu(m2)) }

func (s areaSum) area() Area { return Area{M2: round2(s.m2), Mu: round2(s.mu)} }

func round2(v float64) float64 {
	if v != v {
		return 0
	}
	if v < 0 {
		return -round2(-v)
	}
	return float64(int64(v*100+0.5)) / 100
}

// judgementCodes are the English codes of the pre-judgements.
var judgementCodes = map[string]string{
	pipeline.JudgeSuspected:     "suspected",
	pipeline.JudgeApproved:      "approved",
	pipeline.JudgeNotOfInterest: "not_of_interest",
}

// JudgementCode returns the code of a pre-judgement label (or the label).
func JudgementCode(label string) string {
	if c, ok := judgementCodes[label]; ok {
		return c
	}
	return label
}

// tblxCodes are the English codes of the change types.
var tblxCodes = map[string]string{
	judge.TypeBuilding:     "building",
	judge.TypeGreenhouse:   "greenhouse",
	judge.TypeRoad:         "road",
	judge.TypeEarthwork:    "earthwork",
	judge.TypePond:         "pond",
	judge.TypeRevegetation: "revegetation",
	judge.TypeOther:        "other",
}

// TBLXCode returns the code of a change type label (or the label).
func TBLXCode(label string) string {
	if c, ok := tblxCodes[label]; ok {
		return c
	}
	return label
}

// TubanAreas are a 图斑's areas: 监测面积 JCMJ, 耕地 JCGDMJ, 永久基本农田
// YJJBNTMJ, 生态保护红线 and inside fitting approvals.
type TubanAreas struct {
	JCMJ     Area `json:"jcmj"`
	JCGDMJ   Area `json:"jcgdmj"`
	YJJBNTMJ Area `json:"yjjbntmj"`
	STHXMJ   Area `json:"sthxmj"`
	PZMJ     Area `json:"pzmj"`
}

// TubanView is a 图斑 as the API and the CLI show it.
type TubanView struct {
	ID              string                 `json:"id"`
	JCBH            string                 `json:"jcbh"`
	XZQDM           string                 `json:"xzqdm"`
	XZQMC           string                 `json:"xzqmc"`
	FirstBatch      string                 `json:"first_batch"`
	LastBatch       string                 `json:"last_batch"`
	QSX             string                 `json:"qsx"`
	HSX             string                 `json:"hsx"`
	CenterLon       float64                `json:"center_lon"`
	CenterLat       float64                `json:"center_lat"`
	Areas           TubanAreas             `json:"areas"`
	Class           string                 `json:"class"`
	TBLX            Coded                  `json:"tblx"`
	TBLXConfidence  string                 `json:"tblx_confidence"`
	TBLXReason      string                 `json:"tblx_reason"`
	Judgement       Coded                  `json:"judgement"`
	JudgementReason string                 `json:"judgement_reason"`
	ApprovalNos     []string               `json:"approval_nos"`
	PatrolZoneID    string                 `json:"patrol_zone_id"`
	PatrolZone      string                 `json:"patrol_zone"`
	Grade           Coded                  `json:"grade"`
	Team            string                 `json:"team"`
	Person          string                 `json:"person"`
	Contact         string                 `json:"contact"`
	ZoneVersions    map[string]int         `json:"zone_versions"`
	History         []pipeline.Observation `json:"history"`
	TaskID          string                 `json:"task_id"`
	Patrol          *pipeline.PatrolCheck  `json:"patrol"`
	UpdatedAt       time.Time              `json:"updated_at"`
	// Source is 自主监测 (weipian's detection) or the issuer (部, 省, 市);
	// Issued what the issuer said; AltJCBH the county's own earlier
	// numbers; OwnDetection whether weipian's detection saw it too.
	Source       string      `json:"source"`
	Issued       *IssuedView `json:"issued"`
	AltJCBH      []string    `json:"alt_jcbh"`
	OwnDetection bool        `json:"own_detection"`
	// Geometry is the outline (GeoJSON, WGS84); only on a single 图斑.
	Geometry *geojson.Geometry `json:"geometry,omitempty"`
}

// IssuedView is what the issuer of a 下发 图斑 said.
type IssuedView struct {
	Batch     string `json:"batch"`
	BatchName string `json:"batch_name"`
	Source    string `json:"source"`
	JCBH      string `json:"jcbh"`
	TBLX      Coded  `json:"tblx"`
	XFSJ      string `json:"xfsj"`
	XJJZSJ    string `json:"xjjzsj"`
	JCMJ      Area   `json:"jcmj"`
}

// SourceOwn is the Source of 图斑 weipian detected itself.
const SourceOwn = "自主监测"

func gradeCoded(g pipeline.Grade) Coded {
	if !g.Valid() {
		return coded("", "未分级")
	}
	return coded([]string{"", "grade1", "grade2", "grade3"}[g], g.Label())
}

func tubanView(t pipeline.Tuban, p Principal, withGeometry bool) TubanView {
	v := TubanView{ID: t.ID, JCBH: t.JCBH, XZQDM: t.XZQDM, XZQMC: t.XZQMC, FirstBatch: t.FirstBatch, LastBatch: t.LastBatch,
		QSX: t.QSX, HSX: t.HSX, CenterLon: t.CenterLon, CenterLat: t.CenterLat,
		Areas: TubanAreas{JCMJ: areaOf(t.JCMJ), JCGDMJ: areaOf(t.JCGDMJ), YJJBNTMJ: areaOf(t.YJJBNTMJ), STHXMJ: areaOf(t.STHXMJ), PZMJ: areaOf(t.PZMJ)},
		Class: t.Class, TBLX: coded(TBLXCode(t.TBLX), t.TBLX), TBLXConfidence: t.TBLXConfidence, TBLXReason: t.TBLXReason,
		Judgement: coded(JudgementCode(t.Judgement), t.Judgement), JudgementReason: t.JudgementReason, ApprovalNos: t.ApprovalNos,
		PatrolZoneID: t.PatrolZoneID, PatrolZone: t.PatrolZone, Grade: gradeCoded(t.Grade), Team: t.Team, Person: t.Person, Contact: t.Contact,
		ZoneVersions: t.ZoneVersions, History: t.History, TaskID: t.TaskID, Patrol: t.Patrol, UpdatedAt: t.UpdatedAt}
	if v.ApprovalNos == nil {
		v.ApprovalNos = []string{}
	}
	if v.ZoneVersions == nil {
		v.ZoneVersions = map[string]int{}
	}
	if v.History == nil {
		v.History = []pipeline.Observation{}
	}
	if !p.SeesContacts() {
		v.Contact = maskContact(v.Contact)
	}
	v.Source, v.AltJCBH, v.OwnDetection = SourceOwn, t.AltJCBH, true
	if v.AltJCBH == nil {
		v.AltJCBH = []string{}
	}
	if is := t.Issued; is != nil {
		v.Source = sourceOf(t)
		v.Issued = &IssuedView{Batch: is.Batch, BatchName: is.BatchName, Source: is.Source, JCBH: is.JCBH, TBLX: coded(is.TBLX, is.TBLXName),
			XFSJ: is.XFSJ, XJJZSJ: is.XJJZSJ, JCMJ: areaOf(is.JCMJ)}
		v.OwnDetection = len(t.AltJCBH) > 0 || t.FirstBatch != is.Batch
	}
	if withGeometry && len(t.Geometry) > 0 {
		v.Geometry = geojson.NewGeometry(orb.Polygon(t.Geometry))
	}
	return v
}

// TransitionView is one step of a task's history.
type TransitionView struct {
	From          Coded     `json:"from"`
	To            Coded     `json:"to"`
	Actor         string    `json:"actor"`
	At            time.Time `json:"at"`
	Reason        string    `json:"reason"`
	Verdict       *Coded    `json:"verdict"`
	ViolationType *Coded    `json:"violation_type"`
	ApprovalNo    string    `json:"approval_no"`
	Rectification *Coded    `json:"rectification"`
	CaseNo        string    `json:"case_no"`
}

// EvidenceView is a field photo of a task and its check.
type EvidenceView struct {
	SHA256       string    `json:"sha256"`
	Name         string    `json:"name"`
	TakenAt      time.Time `json:"taken_at,omitzero"`
	HasGPS       bool      `json:"has_gps"`
	Lon          float64   `json:"lon"`
	Lat          float64   `json:"lat"`
	HasDirection bool      `json:"has_direction"`
	DirectionDeg float64   `json:"direction_deg"`
	DistanceM    float64   `json:"distance_m"`
	Flags        []string  `json:"flags"`
	OK           bool      `json:"ok"`
	AddedBy      string    `json:"added_by"`
	AddedAt      time.Time `json:"added_at"`
	// Kind is manual (人工举证照片) or drone (无人机举证照片).
	Kind Coded `json:"kind"`
}

// TaskView is a verification task as the API and the CLI show it. Rank is
// its place in its team's queue (1 = first); PriorityReason says why.
type TaskView struct {
	ID             string           `json:"id"`
	TubanID        string           `json:"tuban_id"`
	JCBH           string           `json:"jcbh"`
	Areas          TubanAreas       `json:"areas"`
	Team           string           `json:"team"`
	Zone           string           `json:"zone"`
	Grade          Coded            `json:"grade"`
	Rank           int              `json:"rank"`
	PriorityReason string           `json:"priority_reason"`
	State          Coded            `json:"state"`
	Verdict        *Coded           `json:"verdict"`
	ViolationType  *Coded           `json:"violation_type"`
	ApprovalNo     string           `json:"approval_no"`
	Rectification  *Coded           `json:"rectification"`
	CaseNo         string           `json:"case_no"`
	CreatedAt      time.Time        `json:"created_at"`
	DueVerify      string           `json:"due_verify"`
	DueStop        string           `json:"due_stop"`
	DueReport      string           `json:"due_report"`
	Overdue        bool             `json:"overdue"`
	Patrol         string           `json:"patrol_check"`
	History        []TransitionView `json:"history"`
	Evidence       []EvidenceView   `json:"evidence"`
	Findings       *FindingsView    `json:"findings"`
}

func optCoded[T interface {
	~string
	Label() string
}](v T) *Coded {
	if v == "" {
		return nil
	}
	c := coded(string(v), v.Label())
	return &c
}

func dateString(d task.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func evidenceView(e task.Evidence) EvidenceView {
	flags := e.Flags
	if flags == nil {
		flags = []string{}
	}
	return EvidenceView{SHA256: e.SHA256, Name: e.Name, TakenAt: e.TakenAt, HasGPS: e.HasGPS, Lon: e.Lon, Lat: e.Lat,
		HasDirection: e.HasDirection, DirectionDeg: e.DirectionDeg, DistanceM: round2(e.DistanceM), Flags: flags, OK: len(flags) == 0,
		AddedBy: e.AddedBy, AddedAt: e.AddedAt, Kind: evidenceKind(e.Kind)}
}

func evidenceKind(k string) Coded {
	if k == task.EvidenceDrone {
		return coded(task.EvidenceDrone, "无人机举证照片")
	}
	return coded(task.EvidenceManual, "人工举证照片")
}

// taskView builds the view; today is the date deadlines are compared with.
func taskView(t *task.Task, rank int, patrol string, today task.Date) TaskView {
	v := TaskView{ID: t.ID, TubanID: t.TubanID, JCBH: t.JCBH,
		Areas: TubanAreas{JCMJ: areaOf(t.AreaM2), JCGDMJ: areaOf(t.FarmlandM2), YJJBNTMJ: areaOf(t.BasicFarmlandM2)},
		Team:  t.Team, Zone: t.Zone, Grade: gradeCoded(t.Grade), Rank: rank, PriorityReason: t.PriorityReason,
		State: coded(string(t.State), t.State.Label()), Verdict: optCoded(t.Verdict), ViolationType: optCoded(t.ViolationType),
		ApprovalNo: t.ApprovalNo, Rectification: optCoded(t.Rectification), CaseNo: t.CaseNo, CreatedAt: t.CreatedAt,
		DueVerify: dateString(t.DueVerify), DueStop: dateString(t.DueStop), DueReport: dateString(t.DueReport),
		Overdue: Overdue(t, today), Patrol: patrol, History: []TransitionView{}, Evidence: []EvidenceView{}, Findings: findingsView(t.Findings)}
	for _, h := range t.History {
		v.History = append(v.History, TransitionView{From: coded(string(h.From), h.From.Label()), To: coded(string(h.To), h.To.Label()),
			Actor: h.Actor, At: h.At, Reason: h.Reason, Verdict: optCoded(h.Verdict), ViolationType: optCoded(h.ViolationType),
			ApprovalNo: h.ApprovalNo, Rectification: optCoded(h.Rectification), CaseNo: h.CaseNo})
	}
	for _, e := range t.Evidence {
		v.Evidence = append(v.Evidence, evidenceView(e))
	}
	return v
}

// Overdue reports whether a task has passed a deadline that applies to its
// state: verification while pending or verifying, stopping while verified
// as illegal, reporting while stopped.
func Overdue(t *task.Task, today task.Date) bool {
	due := task.Date{}
	switch t.State {
	case task.Pending, task.Verifying:
		due = t.DueVerify
	case task.Verified:
		if t.Verdict == task.VerdictIllegal {
			due = t.DueStop
		}
	case task.Stopped:
		due = t.DueReport
	}
	return !due.IsZero() && today.After(due)
}
