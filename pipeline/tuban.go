package pipeline

import (
	"time"

	"github.com/paulmach/orb"
)

// Tuban is a monitored change patch (图斑) with the attributes of the
// practice. It lives across batches: a change seen again in a later batch is
// the same Tuban, whose History grows.
type Tuban struct {
	// ID is stable: derived from the first patch that created it.
	ID string `json:"id"`
	// JCBH is the monitoring number 监测编号: the township XZQDM, the
	// batch code and a sequence, assigned once.
	JCBH  string `json:"jcbh"`
	XZQDM string `json:"xzqdm"` // township (or county) administrative code
	XZQMC string `json:"xzqmc"`
	// FirstBatch and LastBatch are the batches that first and last saw it.
	FirstBatch string  `json:"first_batch"`
	LastBatch  string  `json:"last_batch"`
	QSX        string  `json:"qsx"` // 前时相 of the latest observation
	HSX        string  `json:"hsx"` // 后时相
	CenterLon  float64 `json:"center_lon"`
	CenterLat  float64 `json:"center_lat"`
	// Areas in m² (亩 = m² / 666.667): 监测面积, 耕地, 永久基本农田,
	// 生态保护红线, and inside fitting approvals.
	JCMJ     float64 `json:"jcmj"`
	JCGDMJ   float64 `json:"jcgdmj"`
	YJJBNTMJ float64 `json:"yjjbntmj"`
	STHXMJ   float64 `json:"sthxmj"`
	PZMJ     float64 `json:"pzmj"`
	// Class is the detector's change class; TBLX the change type of the
	// practice (e.g. 建(构)筑物/硬化) with its confidence and reason.
	Class          string `json:"class"`
	TBLX           string `json:"tblx"`
	TBLXConfidence string `json:"tblx_confidence"`
	TBLXReason     string `json:"tblx_reason"`
	// YDLBM and YDLMC are the 原地类 (the 三调/变更调查 land class under
	// most of the 图斑, from the 地类 layer); BuiltShare the share of the
	// 图斑 on existing 建设用地 (a change wholly on it is not new
	// construction land).
	YDLBM      string  `json:"ydlbm,omitempty"`
	YDLMC      string  `json:"ydlmc,omitempty"`
	BuiltShare float64 `json:"built_share,omitempty"`
	// Judgement is the pre-judgement 初判: 疑似违法, 已有用地手续 or
	// 非关注变化, with its reason in Chinese.
	Judgement       string   `json:"judgement"`
	JudgementReason string   `json:"judgement_reason"`
	ApprovalNos     []string `json:"approval_nos,omitempty"`
	// The patrol zone (巡查区) that owns the ground.
	PatrolZoneID string `json:"patrol_zone_id,omitempty"`
	PatrolZone   string `json:"patrol_zone,omitempty"`
	Grade        Grade  `json:"grade,omitempty"`
	Team         string `json:"team,omitempty"`
	Person       string `json:"person,omitempty"`
	Contact      string `json:"contact,omitempty"`
	// ZoneVersions are the zone layer versions it was judged against, by kind.
	ZoneVersions map[string]int `json:"zone_versions"`
	Geometry     orb.Polygon    `json:"-"`
	History      []Observation  `json:"history"`
	TaskID       string         `json:"task_id,omitempty"`
	// Patrol is the reconciliation with the patrol ledger, when done.
	Patrol *PatrolCheck `json:"patrol,omitempty"`
	// Issued is set when a ministry, province or city issued (下发) this
	// 图斑: its JCBH is then the issued one. AltJCBH keeps the county's
	// own numbers it had before (its own detection of the same ground).
	Issued    *Issued   `json:"issued,omitempty"`
	AltJCBH   []string  `json:"alt_jcbh,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Issued is what the issuer of a 下发 batch said of a 图斑, kept as issued:
// the columns of its file and the batch that brought it.
type Issued struct {
	// Batch is the weipian batch that imported it; BatchName the issuer's
	// batch name; Source the issuer: 部, 省 or 市.
	Batch     string `json:"batch"`
	BatchName string `json:"batch_name"`
	Source    string `json:"source"`
	// JCBH, XZQDM, the change type code TBLX (with its name), the image
	// dates QSX/HSX, the issue date XFSJ and the county's deadline XJJZSJ
	// (YYYY-MM-DD; "" when not given), as issued.
	JCBH     string `json:"jcbh"`
	XZQDM    string `json:"xzqdm"`
	TBLX     string `json:"tblx"`
	TBLXName string `json:"tblx_name"`
	// Type is weipian's change type for the code (judge.Type…).
	Type   string `json:"type"`
	QSX    string `json:"qsx"`
	HSX    string `json:"hsx"`
	XFSJ   string `json:"xfsj"`
	XJJZSJ string `json:"xjjzsj"`
	// JCMJ, JCGDMJ and YJJBNTMJ are the areas as issued, in m² (0 when the
	// file has none).
	JCMJ     float64 `json:"jcmj"`
	JCGDMJ   float64 `json:"jcgdmj"`
	YJJBNTMJ float64 `json:"yjjbntmj"`
	// Columns holds every attribute of the issued feature as text, as it
	// was written (dates and numbers unchanged), by the practice's column
	// code (JCBH, PDJG, …) or, for columns the glossary does not know, by
	// the file's own name: nothing issued is lost.
	Columns map[string]string `json:"columns"`
	// Geometry is the issued outline (WGS84); the 图斑's Geometry is its
	// largest part when it has several.
	Geometry orb.MultiPolygon `json:"geometry,omitempty"`
}

// Observation is one sighting of a Tuban in a batch.
type Observation struct {
	BatchID string    `json:"batch_id"`
	PatchID string    `json:"patch_id"`
	QSX     string    `json:"qsx"`
	HSX     string    `json:"hsx"`
	AreaM2  float64   `json:"area_m2"`
	TBLX    string    `json:"tblx"`
	At      time.Time `json:"at"`
}

// Pre-judgements 初判.
const (
	JudgeSuspected     = "疑似违法"
	JudgeApproved      = "已有用地手续"
	JudgeNotOfInterest = "非关注变化"
)

// PatrolCheck is what reconciliation with the patrol ledger found for a
// Tuban (是否动态巡查已经发现违法).
type PatrolCheck struct {
	Outcome   string    `json:"outcome"` // 巡查已发现 / 巡查应发现而未发现 / 未巡查覆盖
	Detail    string    `json:"detail"`
	Period    string    `json:"period,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
}
