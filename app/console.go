package app

import (
	"github.com/weipian/weipian/evidence"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/judge"
	"github.com/weipian/weipian/pipeline/reconcile"
	"github.com/weipian/weipian/pipeline/task"
)

// Vocabulary is what a client shows and offers: the codes and zh-CN
// labels of the domain's values and the task life cycle's steps, so that
// the web console holds no copy of them.
type Vocabulary struct {
	TaskStates     []Coded    `json:"task_states"`
	Steps          []StepView `json:"steps"`
	Verdicts       []Coded    `json:"verdicts"`
	ViolationTypes []Coded    `json:"violation_types"`
	Rectifications []Coded    `json:"rectifications"`
	TBLX           []Coded    `json:"tblx"`
	Judgements     []Coded    `json:"judgements"`
	ZoneKinds      []Coded    `json:"zone_kinds"`
	Roles          []Coded    `json:"roles"`
	BatchStates    []Coded    `json:"batch_states"`
	PatrolOutcomes []Coded    `json:"patrol_outcomes"`
	ExportFormats  []Coded    `json:"export_formats"`
	// BigTubanMu is the 耕地 area (亩) from which a 图斑 is a 百亩大图斑.
	BigTubanMu float64 `json:"big_tuban_mu"`
	// MaxPhotoDistanceM is how far from its 图斑 a photo may be taken.
	MaxPhotoDistanceM float64 `json:"max_photo_distance_m"`
	// EvidenceFlags are the problems a field photo's check may find.
	EvidenceFlags []Coded `json:"evidence_flags"`
	// ReviewVerdicts are the verdicts that clear a task, which need a
	// checked field photo or the reviewer role (as closing a task does).
	ReviewVerdicts []string `json:"review_verdicts"`
	// Opinions are the usual 核实认定意见 of the 核查填报 form (others
	// may be written in).
	Opinions []string `json:"opinions"`
	// EvidenceKinds are the kinds of evidence photo (人工, 无人机).
	EvidenceKinds []Coded `json:"evidence_kinds"`
	// Sources are where a 图斑 comes from: the county's own detection
	// (自主监测) or an issuer (部, 省, 市); XiafaSources the issuers.
	Sources      []Coded `json:"sources"`
	XiafaSources []Coded `json:"xiafa_sources"`
	// XiafaFormats are the formats of the 核查成果 package; CRS the
	// coordinate systems exports may be written in.
	XiafaFormats []Coded `json:"xiafa_formats"`
	CRS          []Coded `json:"crs"`
}

// StepView is an allowed step of the task life cycle.
type StepView struct {
	From   Coded  `json:"from"`
	To     Coded  `json:"to"`
	Action string `json:"action"`
	// Needs says what the step asks for: "verdict", "rectification",
	// "case_no" or "reason" ("" = nothing).
	Needs string `json:"needs"`
	// Review is true when the step closes or clears a task, which needs a
	// checked field photo or the reviewer role.
	Review bool `json:"review"`
}

// batchStateLabels are the zh-CN names of the batch states.
var batchStateLabels = []Coded{
	{string(pipeline.BatchQueued), "排队中"}, {string(pipeline.BatchIngesting), "预处理"}, {string(pipeline.BatchDetecting), "检测中"},
	{string(pipeline.BatchFinalizing), "汇总中"}, {string(pipeline.BatchDone), "已完成"}, {string(pipeline.BatchFailed), "失败"},
	{string(pipeline.BatchCancelled), "已取消"},
}

// ConsoleVocabulary returns the vocabulary of the web console.
func ConsoleVocabulary() Vocabulary {
	v := Vocabulary{BigTubanMu: BigTubanMu, MaxPhotoDistanceM: MaxPhotoDistanceM, BatchStates: batchStateLabels}
	for _, s := range task.States() {
		v.TaskStates = append(v.TaskStates, coded(string(s), s.Label()))
	}
	for _, e := range task.Edges() {
		needs := map[task.State]string{task.Verified: "verdict", task.Rectifying: "rectification", task.Filed: "case_no"}[e.To]
		if e.From == task.Closed && e.To == task.Pending {
			needs = "reason"
		}
		v.Steps = append(v.Steps, StepView{From: coded(string(e.From), e.From.Label()), To: coded(string(e.To), e.To.Label()),
			Action: e.Action, Needs: needs, Review: needsReview(task.Transition{From: e.From, To: e.To})})
	}
	for _, x := range task.Verdicts() {
		v.Verdicts = append(v.Verdicts, coded(string(x), x.Label()))
		if needsReview(task.Transition{To: task.Verified, Verdict: x}) {
			v.ReviewVerdicts = append(v.ReviewVerdicts, string(x))
		}
	}
	for _, x := range task.ViolationTypes() {
		v.ViolationTypes = append(v.ViolationTypes, coded(string(x), x.Label()))
	}
	for _, x := range task.Rectifications() {
		v.Rectifications = append(v.Rectifications, coded(string(x), x.Label()))
	}
	for _, l := range []string{judge.TypeBuilding, judge.TypeGreenhouse, judge.TypeRoad, judge.TypeEarthwork, judge.TypePond, judge.TypeRevegetation, judge.TypeOther} {
		v.TBLX = append(v.TBLX, coded(TBLXCode(l), l))
	}
	for _, l := range []string{pipeline.JudgeSuspected, pipeline.JudgeApproved, pipeline.JudgeNotOfInterest} {
		v.Judgements = append(v.Judgements, coded(JudgementCode(l), l))
	}
	for _, k := range pipeline.ZoneKinds() {
		v.ZoneKinds = append(v.ZoneKinds, coded(k.Code(), k.String()))
	}
	for _, f := range []string{evidence.FlagNoEXIF, evidence.FlagNoGPS, evidence.FlagBadGPS, evidence.FlagFar, evidence.FlagNoDirection,
		evidence.FlagNoTime, evidence.FlagOutsideWindow} {
		v.EvidenceFlags = append(v.EvidenceFlags, coded(f, evidence.FlagLabel(f)))
	}
	for _, r := range Roles {
		v.Roles = append(v.Roles, coded(string(r), r.Label()))
	}
	for _, o := range []reconcile.Outcome{reconcile.FoundByPatrol, reconcile.ShouldHaveFound, reconcile.NotCovered} {
		v.PatrolOutcomes = append(v.PatrolOutcomes, coded(o.String(), o.Label()))
	}
	v.ExportFormats = []Coded{{"zip", "外业包（ZIP：全部格式、影像切片、照片）"}, {"xlsx", "Excel 表格（XLSX）"}, {"kml", "KML（奥维、两步路、Google Earth）"},
		{"kmz", "KMZ（含影像切片，离线可用）"}, {"gpx", "GPX（手机导航：中心点与轮廓）"}, {"geojson", "GeoJSON（GIS）"}, {"shp", "Shapefile（ZIP，外业 GIS）"}}
	v.Opinions = Opinions
	v.EvidenceKinds = []Coded{evidenceKind(task.EvidenceManual), evidenceKind(task.EvidenceDrone)}
	v.Sources = []Coded{{SourceOwn, SourceOwn}}
	for _, s := range Sources {
		c := Coded{s, s + "下发"}
		v.Sources = append(v.Sources, c)
		v.XiafaSources = append(v.XiafaSources, c)
	}
	v.XiafaFormats = []Coded{{"shp", "Shapefile（GBK 编码）"}, {"gpkg", "GeoPackage"}, {"gdb", "File Geodatabase"}}
	v.CRS = []Coded{{"4490", "CGCS2000 经纬度（EPSG:4490）"}, {"gk", "CGCS2000 3 度带高斯–克吕格（按区域选带）"}}
	return v
}

// ReconcileView is a reconciliation as the console shows it: the outcome
// counts, each patrol zone's figures for the period, and the 图斑 that a
// patrol should have found and did not (巡查应发现而未发现).
type ReconcileView struct {
	Batch  string              `json:"batch"`
	Period string              `json:"period"`
	Tubans int                 `json:"tubans"`
	Counts map[string]int      `json:"counts"`
	Zones  []ZoneReconcileView `json:"zones"`
	Missed []MissedTubanView   `json:"missed"`
	Files  []string            `json:"files"`
}

// ZoneReconcileView is one patrol zone's reconciliation figures.
type ZoneReconcileView struct {
	ZoneID          string  `json:"zone_id"`
	Name            string  `json:"name"`
	Team            string  `json:"team"`
	Grade           string  `json:"grade"`
	Entries         int     `json:"entries"`
	Patrols         int     `json:"patrols"`
	PatrolDays      int     `json:"patrol_days"`
	RequiredDays    int     `json:"required_days"`
	TrackDays       int     `json:"track_days"`
	FrequencyMet    bool    `json:"frequency_met"`
	SoloPatrols     int     `json:"solo_patrols"`
	Patches         int     `json:"patches"`
	Suspected       int     `json:"suspected"`
	Found           int     `json:"found"`
	ShouldHaveFound int     `json:"should_have_found"`
	NotCovered      int     `json:"not_covered"`
	DiscoveryRate   float64 `json:"discovery_rate"` // -1: no suspected 图斑
	Violations      int     `json:"violations"`
	StopLate        int     `json:"stop_late"`
	StopMissing     int     `json:"stop_missing"`
	ReportLate      int     `json:"report_late"`
	ReportMissing   int     `json:"report_missing"`
}

// MissedTubanView is a 图斑 a patrol passed by after the change appeared
// without reporting it.
type MissedTubanView struct {
	TubanID   string  `json:"tuban_id"`
	JCBH      string  `json:"jcbh"`
	ZoneID    string  `json:"zone_id"`
	Detail    string  `json:"detail"`
	DistanceM float64 `json:"distance_m"`
	PassRef   string  `json:"pass_ref"`
	PassTime  string  `json:"pass_time"`
}

// View returns the reconciliation as the console shows it.
func (r *Reconciliation) View() ReconcileView {
	v := ReconcileView{Batch: r.Batch.ID, Period: r.Period.String(), Tubans: len(r.Results), Counts: r.Counts,
		Zones: []ZoneReconcileView{}, Missed: []MissedTubanView{}, Files: ReconcileFiles}
	if v.Counts == nil {
		v.Counts = map[string]int{}
	}
	for _, z := range r.Zones {
		v.Zones = append(v.Zones, ZoneReconcileView{ZoneID: z.ZoneID, Name: z.Name, Team: z.Team, Grade: z.Grade.Label(),
			Entries: z.Entries, Patrols: z.Patrols, PatrolDays: z.PatrolDays, RequiredDays: z.RequiredDays, TrackDays: z.TrackDays,
			FrequencyMet: z.FrequencyMet, SoloPatrols: z.SoloPatrols, Patches: z.Patches, Suspected: z.Suspected, Found: z.Found,
			ShouldHaveFound: z.ShouldHaveFound, NotCovered: z.NotCovered, DiscoveryRate: z.DiscoveryRate, Violations: z.Violations,
			StopLate: z.StopLate, StopMissing: z.StopMissing, ReportLate: z.ReportLate, ReportMissing: z.ReportMissing})
	}
	loc := task.ChinaTime()
	for i := range r.Results {
		res := &r.Results[i]
		if res.Outcome != reconcile.ShouldHaveFound {
			continue
		}
		m := MissedTubanView{TubanID: res.Patch.ID, JCBH: res.Patch.JCBH, ZoneID: res.ZoneID, Detail: patrolDetail(res, loc)}
		if res.Closest != nil {
			m.DistanceM, m.PassRef, m.PassTime = round2(res.Closest.DistanceM), res.Closest.Ref, res.Closest.Time.In(loc).Format("2006-01-02 15:04")
		}
		v.Missed = append(v.Missed, m)
	}
	return v
}
