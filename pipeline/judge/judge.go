// Package judge turns the change patches of a batch into 图斑 with the
// attributes of the practice, and decides which need a verification task:
// the change type (TBLX), the areas on 耕地, 永久基本农田, 生态保护红线 and
// inside approvals (in m², in the patch's Gauss-Krüger zone), the township
// and the patrol zone, the pre-judgement (初判) with its reason, the
// monitoring number (JCBH), and the matching of a patch to a 图斑 already
// seen in an earlier batch. It is pure: the caller loads zones, existing
// 图斑 and tasks, and stores what Run returns.
package judge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/geodesy"
	"github.com/weipian/weipian/pipeline/overlay"
	"github.com/weipian/weipian/pipeline/task"
)

// The zone kinds judging uses.
const (
	Farmland  = pipeline.ZoneCultivated
	Permanent = pipeline.ZoneBasicFarmland
	Redline   = pipeline.ZoneEcoRedLine
	Admin     = pipeline.ZoneAdmin
	Patrol    = pipeline.ZonePatrol
	Approval  = pipeline.ZoneApproval
	LandUse   = pipeline.ZoneLandUse
)

// Zones are the active zone layers and their versions.
type Zones = pipeline.ZoneSet

// Config holds the judging thresholds; they are configuration, not law.
type Config struct {
	// FarmlandMinM2 and FarmlandMinShare: an overlap of a patch with 耕地,
	// 永久基本农田 or the red line counts only when it is at least this many
	// m² (the minimum mapping unit) and at least this share of the patch
	// (defaults 200 m², 1%). A smaller overlap (a patch touching a parcel
	// edge) makes no farmland 图斑 and does not drive the task's priority;
	// its area is kept on the 图斑.
	FarmlandMinM2, FarmlandMinShare float64
	// ApprovalShare is the share of a patch that fitting, valid approvals
	// must cover for 已有用地手续 (default 0.8).
	ApprovalShare float64
	// MatchShare is the overlap, as a share of the smaller of the two,
	// above which a patch is the same 图斑 as one of an earlier batch
	// (default 0.3).
	MatchShare float64
	// CultivatedShare and CultivatedCV set aside crop cycles on cultivated
	// land: a vegetated→bare change (植被减少/动土) of which at least
	// CultivatedShare lies on 耕地 or 永久基本农田 and whose brightness after
	// varies by at most CultivatedCV (a harvested or ploughed field is
	// uniform; earthworks, heaps and pits are not) is 农业耕作/季节变化,
	// whatever its shape: the parcel layer says it is a field (defaults
	// 0.5 and 0.15, detection's FieldCV).
	CultivatedShare, CultivatedCV float64
	// TasksForAll creates tasks for every 图斑 except 非关注变化, not only
	// the 疑似违法 ones.
	TasksForAll bool
	// Region is the county's XZQDM, used in JCBH where no 行政区 layer covers
	// a patch.
	Region string
	Rules  task.Rules
	Reopen task.ReopenRule
}

// DefaultConfig returns the default thresholds.
func DefaultConfig() Config {
	return Config{FarmlandMinM2: 200, FarmlandMinShare: 0.01, ApprovalShare: 0.8, MatchShare: 0.3, CultivatedShare: 0.5, CultivatedCV: 0.15, Rules: task.DefaultRules()}
}

// Input is what Run judges.
type Input struct {
	Batch   pipeline.Batch
	Patches []pipeline.Patch
	Zones   Zones
	// Existing are the 图斑 of earlier batches that may match (e.g. those
	// whose bounding box meets the batch's); Tasks their tasks by ID.
	Existing []pipeline.Tuban
	Tasks    map[string]*task.Task
	// NextSeq returns the first free JCBH sequence number for a prefix
	// (XZQDM + batch code); Run takes consecutive numbers from it.
	NextSeq func(prefix string) int
	Now     time.Time
}

// Output is what Run decided: the 图斑 created or updated, and the tasks
// created or updated, in a deterministic order.
type Output struct {
	Tubans []pipeline.Tuban
	Tasks  []*task.Task
}

// ErrInvalid wraps judging errors caused by the input (e.g. broken zones).
var ErrInvalid = fmt.Errorf("judge: %w", pipeline.ErrInvalid)

// layers holds the overlay layers built from the zones.
type layers struct {
	farm, permanent, farmOrPermanent, redline, admin, patrol, approval, landUse *overlay.Layer
	byID                                                                        map[pipeline.ZoneKind]map[string]*pipeline.Zone
}

func build(z Zones) (*layers, error) {
	l := &layers{byID: map[pipeline.ZoneKind]map[string]*pipeline.Zone{}}
	mk := func(k pipeline.ZoneKind, prefix string) ([]overlay.Feature, error) {
		var fs []overlay.Feature
		m := map[string]*pipeline.Zone{}
		for i := range z.Layers[k] {
			zz := &z.Layers[k][i]
			id := strconv.FormatInt(zz.ID, 10)
			if _, dup := m[id]; dup {
				return nil, fmt.Errorf("%w: %s layer has feature ID %d twice", ErrInvalid, k, zz.ID)
			}
			m[id] = zz
			fs = append(fs, overlay.Feature{ID: prefix + id, Geometry: zz.Geometry})
		}
		l.byID[k] = m
		return fs, nil
	}
	var err error
	newLayer := func(k pipeline.ZoneKind) (*overlay.Layer, []overlay.Feature) {
		if err != nil {
			return nil, nil
		}
		var fs []overlay.Feature
		if fs, err = mk(k, ""); err != nil {
			return nil, nil
		}
		var ly *overlay.Layer
		if ly, err = overlay.NewLayer(fs); err != nil {
			err = fmt.Errorf("%w: %s layer: %w", ErrInvalid, k, err)
		}
		return ly, fs
	}
	var farmFS, permFS []overlay.Feature
	l.farm, farmFS = newLayer(Farmland)
	l.permanent, permFS = newLayer(Permanent)
	l.redline, _ = newLayer(Redline)
	l.admin, _ = newLayer(Admin)
	l.patrol, _ = newLayer(Patrol)
	l.approval, _ = newLayer(Approval)
	l.landUse, _ = newLayer(LandUse)
	if err != nil {
		return nil, err
	}
	// 耕地 ∪ 永久基本农田, for "on farmland" without double counting.
	var both []overlay.Feature
	for _, f := range farmFS {
		both = append(both, overlay.Feature{ID: "G:" + f.ID, Geometry: f.Geometry})
	}
	for _, f := range permFS {
		both = append(both, overlay.Feature{ID: "Y:" + f.ID, Geometry: f.Geometry})
	}
	if l.farmOrPermanent, err = overlay.NewLayer(both); err != nil {
		return nil, fmt.Errorf("%w: farmland layers: %w", ErrInvalid, err)
	}
	return l, nil
}

// Run judges the batch's patches.
func Run(ctx context.Context, in Input, cfg Config) (Output, error) {
	ly, err := build(in.Zones)
	if err != nil {
		return Output{}, err
	}
	// Existing 图斑 for matching: by ID, and as an overlay layer.
	existing := map[string]*pipeline.Tuban{}
	var exFS []overlay.Feature
	for i := range in.Existing {
		t := &in.Existing[i]
		existing[t.ID] = t
		if len(t.Geometry) > 0 {
			exFS = append(exFS, overlay.Feature{ID: t.ID, Geometry: orb.MultiPolygon{t.Geometry}})
		}
	}
	sort.Slice(exFS, func(i, j int) bool { return exFS[i].ID < exFS[j].ID })
	exLayer, err := overlay.NewLayer(exFS)
	if err != nil {
		return Output{}, fmt.Errorf("judge: existing 图斑: %w", err)
	}
	claimed := map[string]bool{}
	seq := map[string]int{}
	var out Output
	for i := range in.Patches {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return Output{}, err
			}
		}
		p := &in.Patches[i]
		if len(p.Geometry) == 0 {
			continue
		}
		j, err := judgePatch(p, ly, in, cfg)
		if err != nil {
			return Output{}, fmt.Errorf("judge: patch %s: %w", p.ID, err)
		}
		// The same 图斑 as before? First this batch's own earlier run of
		// the patch (re-judging is idempotent), then the best overlap.
		var match *pipeline.Tuban
		for _, t := range in.Existing {
			for _, o := range t.History {
				if o.PatchID == p.ID && o.BatchID == in.Batch.ID {
					match = existing[t.ID]
				}
			}
			// An issued 图斑 issued again is the same 图斑.
			if match == nil && p.Issued != nil && t.Issued != nil && t.Issued.JCBH == p.Issued.JCBH && !claimed[t.ID] {
				match = existing[t.ID]
			}
		}
		if match == nil && exLayer.Len() > 0 {
			res, err := exLayer.Overlay(p.Geometry)
			if err != nil {
				return Output{}, fmt.Errorf("judge: patch %s: %w", p.ID, err)
			}
			for _, h := range res.Hits {
				t := existing[h.ID]
				if claimed[t.ID] {
					continue
				}
				// Two issuers' 图斑 stay apart: an issued patch joins the
				// county's own detection, not another issued 图斑.
				if p.Issued != nil && t.Issued != nil && t.Issued.JCBH != p.Issued.JCBH {
					continue
				}
				if h.AreaM2/math.Min(p.AreaM2, math.Max(t.JCMJ, 1e-9)) >= cfg.MatchShare {
					match = t
					break
				}
			}
		}
		tb, tk, err := apply(p, j, match, in, cfg, seq)
		if err != nil {
			return Output{}, fmt.Errorf("judge: patch %s: %w", p.ID, err)
		}
		claimed[tb.ID] = true
		out.Tubans = append(out.Tubans, tb)
		if tk != nil {
			out.Tasks = append(out.Tasks, tk)
		}
	}
	return out, nil
}

// judged holds what judging found for one patch.
type judged struct {
	farm, permanent, farmOrPermanent, redline, approvedFit float64
	// farmCounts and permanentCounts: the overlap is at least the minimum
	// mapping unit and 1 % of the patch, so it may drive the priority.
	farmCounts, permanentCounts bool
	tblx, tblxConf, tblxReason  string
	judgement, reason           string
	approvalNos                 []string
	dlbm, dlmc                  string
	builtShare                  float64
	township                    *pipeline.Zone
	patrol                      *pipeline.Zone
}

func judgePatch(p *pipeline.Patch, ly *layers, in Input, cfg Config) (judged, error) {
	var j judged
	covered := func(l *overlay.Layer) (overlay.Result, error) {
		if l == nil || l.Len() == 0 {
			return overlay.Result{}, nil
		}
		return l.Overlay(p.Geometry)
	}
	var err error
	var r overlay.Result
	if r, err = covered(ly.farm); err != nil {
		return j, err
	}
	j.farm = r.Covered
	if r, err = covered(ly.permanent); err != nil {
		return j, err
	}
	j.permanent = r.Covered
	if r, err = covered(ly.farmOrPermanent); err != nil {
		return j, err
	}
	j.farmOrPermanent = r.Covered
	if r, err = covered(ly.redline); err != nil {
		return j, err
	}
	j.redline = r.Covered
	if r, err = covered(ly.admin); err != nil {
		return j, err
	}
	if len(r.Hits) > 0 {
		j.township = ly.byID[Admin][r.Hits[0].ID]
	}
	if r, err = covered(ly.landUse); err != nil {
		return j, err
	}
	if len(r.Hits) > 0 {
		byCode := map[string]float64{}
		names := map[string]string{}
		built := 0.0
		for _, h := range r.Hits {
			z := ly.byID[LandUse][h.ID]
			byCode[z.DLBM] += h.AreaM2
			if names[z.DLBM] == "" {
				names[z.DLBM] = z.DLMC
			}
			if pipeline.IsConstructionLand(z.DLBM) {
				built += h.AreaM2
			}
		}
		best := -1.0
		for code, a := range byCode {
			if a > best || (a == best && code < j.dlbm) {
				j.dlbm, j.dlmc, best = code, names[code], a
			}
		}
		if r.AreaM2 > 0 {
			j.builtShare = math.Min(1, built/r.AreaM2)
		}
	}
	if r, err = covered(ly.patrol); err != nil {
		return j, err
	}
	if len(r.Hits) > 0 {
		j.patrol = ly.byID[Patrol][r.Hits[0].ID]
	}
	j.tblx, j.tblxConf, j.tblxReason = ChangeType(p)
	if share, ok := cropCycle(p, j.farmOrPermanent, cfg); ok {
		j.tblx = TypeFarming
		j.tblxReason = fmt.Sprintf("%s%.0f%%位于耕地或永久基本农田，后时相亮度均匀（变异系数%.2f），为收割或翻耕（农业耕作/季节变化）",
			transition(p), 100*share, p.CVAfter)
	}
	if is := p.Issued; is != nil && is.Type != "" {
		j.tblx, j.tblxConf = is.Type, "高"
		j.tblxReason = fmt.Sprintf("下发图斑类型 %s（%s，%s下发）", is.TBLX, is.TBLXName, is.Source)
	}
	// Approvals that fit the change type and are valid at the after date:
	// their union's share of the patch.
	var fitting []overlay.Feature
	var unfit []string
	if ly.approval != nil && ly.approval.Len() > 0 {
		ar, err := ly.approval.Overlay(p.Geometry)
		if err != nil {
			return j, err
		}
		for _, h := range ar.Hits {
			z := ly.byID[Approval][h.ID]
			if why := fits(z, j.tblx, p.AfterDate); why != "" {
				unfit = append(unfit, fmt.Sprintf("%s（%s）", z.ApprovalNo, why))
				continue
			}
			fitting = append(fitting, overlay.Feature{ID: h.ID, Geometry: z.Geometry})
			j.approvalNos = append(j.approvalNos, z.ApprovalNo)
		}
		if len(fitting) > 0 {
			fl, err := overlay.NewLayer(fitting)
			if err != nil {
				return j, err
			}
			fr, err := fl.Overlay(p.Geometry)
			if err != nil {
				return j, err
			}
			j.approvedFit = fr.Covered
		}
	}
	area := p.AreaM2
	significant := func(a float64) bool { return a > 0 && a >= cfg.FarmlandMinM2 && a >= cfg.FarmlandMinShare*area }
	onFarm := significant(j.farmOrPermanent)
	onRed := significant(j.redline)
	j.farmCounts, j.permanentCounts = significant(j.farm), significant(j.permanent)
	switch {
	case j.tblx == TypeRevegetation:
		j.judgement, j.reason = pipeline.JudgeNotOfInterest, "植被恢复，不涉及违法用地"
	case j.tblx == TypeFarming && p.Class != "farming":
		j.judgement, j.reason = pipeline.JudgeNotOfInterest, j.tblxReason+"，不涉及违法用地"
	case j.tblx == TypeFarming:
		j.judgement, j.reason = pipeline.JudgeNotOfInterest, "农业耕作/季节变化，不涉及违法用地"
	case !onFarm && !onRed && j.builtShare >= BuiltLandShare:
		j.judgement, j.reason = pipeline.JudgeNotOfInterest, fmt.Sprintf("位于现状建设用地（原地类 %s %s），非新增建设用地", j.dlbm, j.dlmc)
	case !onFarm && !onRed:
		j.judgement, j.reason = pipeline.JudgeNotOfInterest, "未占用耕地、永久基本农田或生态保护红线"
		if len(in.Zones.Layers[Farmland])+len(in.Zones.Layers[Permanent]) == 0 {
			j.reason = "未导入耕地、永久基本农田图层，无法判断"
		}
	case area > 0 && j.approvedFit >= cfg.ApprovalShare*area:
		j.judgement = pipeline.JudgeApproved
		j.reason = fmt.Sprintf("批准用地覆盖%.0f%%（%s）", 100*j.approvedFit/area, strings.Join(j.approvalNos, "、"))
	default:
		j.judgement = pipeline.JudgeSuspected
		var parts []string
		if j.permanentCounts {
			parts = append(parts, fmt.Sprintf("占用永久基本农田%.2f亩", geodesy.Mu(j.permanent)))
		}
		if j.farmCounts {
			parts = append(parts, fmt.Sprintf("占用耕地%.2f亩", geodesy.Mu(j.farm)))
		}
		if onRed {
			parts = append(parts, fmt.Sprintf("占用生态保护红线%.2f亩", geodesy.Mu(j.redline)))
		}
		switch {
		case j.approvedFit > 0:
			parts = append(parts, fmt.Sprintf("批准用地仅覆盖%.0f%%", 100*j.approvedFit/area))
		case len(unfit) > 0:
			parts = append(parts, "批准用地不相符："+strings.Join(unfit, "、"))
		default:
			parts = append(parts, "未见用地批准")
		}
		j.reason = strings.Join(parts, "；")
	}
	return j, nil
}

// cropCycle reports whether p, a vegetated→bare change detected (not
// issued), is a crop cycle on cultivated land (Config.CultivatedShare,
// CultivatedCV), with the share of it on 耕地 or 永久基本农田. A patch without
// a measured uniformity (CVAfter 0) never is.
func cropCycle(p *pipeline.Patch, cultivated float64, cfg Config) (float64, bool) {
	if p.Issued != nil || p.Class != "vegetation_loss" || p.AreaM2 <= 0 || cfg.CultivatedShare <= 0 {
		return 0, false
	}
	share := cultivated / p.AreaM2
	return share, share >= cfg.CultivatedShare && p.CVAfter > 0 && p.CVAfter <= cfg.CultivatedCV
}

// fitTypes says which approval types cover which change types.
var fitTypes = map[string][]string{
	TypeBuilding:   {"农用地转用", "土地征收", "农用地转用和土地征收", "供地"},
	TypeRoad:       {"农用地转用", "土地征收", "农用地转用和土地征收", "供地"},
	TypeGreenhouse: {"设施农用地", "农用地转用", "土地征收", "农用地转用和土地征收", "供地"},
	TypeEarthwork:  {"临时用地", "农用地转用", "土地征收", "农用地转用和土地征收", "供地"},
	TypePond:       {"设施农用地", "农用地转用", "土地征收", "农用地转用和土地征收", "供地"},
	TypeOther:      {"农用地转用", "土地征收", "农用地转用和土地征收", "供地", "设施农用地", "临时用地"},
}

// fits returns "" when approval z covers change type tblx at date, or why not.
func fits(z *pipeline.Zone, tblx, date string) string {
	if !slices.Contains(fitTypes[tblx], string(z.ApprovalType)) {
		return fmt.Sprintf("批准类型%s与变化类型%s不符", z.ApprovalType, tblx)
	}
	if date != "" {
		if z.ValidFrom != "" && date < z.ValidFrom {
			return "后时相早于批准有效期"
		}
		if z.ValidTo != "" && date > z.ValidTo {
			return "批准已过期"
		}
	}
	return ""
}

// apply builds the 图斑 (new or updated) and its task.
func apply(p *pipeline.Patch, j judged, match *pipeline.Tuban, in Input, cfg Config, seq map[string]int) (pipeline.Tuban, *task.Task, error) {
	var tb pipeline.Tuban
	oldArea := 0.0
	if match != nil {
		tb = *match
		tb.History = slices.Clone(match.History)
		oldArea = match.JCMJ
	} else {
		h := sha256.Sum256([]byte("weipian/tuban/v1\n" + p.ID))
		tb.ID = "TB" + hex.EncodeToString(h[:])[:16]
		tb.FirstBatch = in.Batch.ID
		tb.XZQDM, tb.XZQMC = cfg.Region, ""
		if j.township != nil {
			tb.XZQDM, tb.XZQMC = j.township.XZQDM, j.township.XZQMC
		}
		if tb.XZQDM == "" {
			tb.XZQDM = in.Batch.Spec.Region
		}
		if tb.XZQDM == "" {
			tb.XZQDM = "000000"
		}
		if p.Issued == nil {
			code := batchCode(p.AfterDate, in.Batch.CreatedAt)
			prefix := tb.XZQDM + code
			if _, ok := seq[prefix]; !ok {
				seq[prefix] = 1
				if in.NextSeq != nil {
					seq[prefix] = in.NextSeq(prefix)
				}
			}
			tb.JCBH = fmt.Sprintf("%s%04d", prefix, seq[prefix])
			seq[prefix]++
		} else if tb.XZQDM == "000000" && p.Issued.XZQDM != "" {
			tb.XZQDM = p.Issued.XZQDM
		}
	}
	if is := p.Issued; is != nil {
		// The issued number is the 图斑's number from now on; the county's
		// own earlier number is kept beside it.
		if tb.JCBH != "" && tb.JCBH != is.JCBH && !slices.Contains(tb.AltJCBH, tb.JCBH) {
			tb.AltJCBH = append(slices.Clone(tb.AltJCBH), tb.JCBH)
		}
		tb.JCBH = is.JCBH
		c := *is
		tb.Issued = &c
	}
	tb.LastBatch = in.Batch.ID
	tb.QSX, tb.HSX = p.BeforeDate, p.AfterDate
	tb.CenterLon, tb.CenterLat = p.CentroidLon, p.CentroidLat
	tb.JCMJ, tb.JCGDMJ, tb.YJJBNTMJ, tb.STHXMJ, tb.PZMJ = p.AreaM2, j.farm, j.permanent, j.redline, j.approvedFit
	tb.Class, tb.TBLX, tb.TBLXConfidence, tb.TBLXReason = p.Class, j.tblx, j.tblxConf, j.tblxReason
	tb.Judgement, tb.JudgementReason, tb.ApprovalNos = j.judgement, j.reason, j.approvalNos
	tb.YDLBM, tb.YDLMC, tb.BuiltShare = j.dlbm, j.dlmc, math.Round(j.builtShare*1000)/1000
	tb.PatrolZoneID, tb.PatrolZone, tb.Grade, tb.Team, tb.Person, tb.Contact = "", "", 0, "", "", ""
	if z := j.patrol; z != nil {
		tb.PatrolZoneID, tb.PatrolZone, tb.Grade, tb.Team, tb.Person, tb.Contact = strconv.FormatInt(z.ID, 10), z.Name, z.Grade, z.Team, z.Person, z.Contact
	}
	tb.ZoneVersions = map[string]int{}
	for k, v := range in.Zones.Versions {
		tb.ZoneVersions[k.String()] = v
	}
	tb.Geometry = p.Geometry
	seen := false
	for _, o := range tb.History {
		if o.BatchID == in.Batch.ID {
			seen = true
		}
	}
	if !seen {
		tb.History = append(tb.History, pipeline.Observation{BatchID: in.Batch.ID, PatchID: p.ID, QSX: p.BeforeDate,
			HSX: p.AfterDate, AreaM2: p.AreaM2, TBLX: j.tblx, At: in.Now})
	}
	tb.UpdatedAt = in.Now
	tk, err := taskFor(&tb, oldArea, match != nil, p.Issued != nil, j, in, cfg)
	if err != nil {
		return tb, nil, err
	}
	if tk != nil {
		tb.TaskID = tk.ID
	}
	return tb, tk, nil
}

// BuiltLandShare is the share of a 图斑 on existing 建设用地 (by the 地类
// layer) from which it lies "wholly" on it: a change there is not new
// construction land, and unless it touches farmland it is 非关注变化.
const BuiltLandShare = 0.95

// NoPatrolZone and NoTeam name the zone and team of a task whose 图斑 lies
// in no patrol zone.
const (
	NoPatrolZone = "未划定巡查区"
	NoTeam       = "未分配"
)

// batchCode is YYMM of the after date (or of the batch's creation).
func batchCode(afterDate string, created time.Time) string {
	if len(afterDate) >= 7 {
		return afterDate[2:4] + afterDate[5:7]
	}
	return created.Format("0601")
}

// taskFor creates, updates or reopens the 图斑's task.
// An issued 图斑 always has a task: the county must verify and report every
// one, with the issuer's deadline (XJJZSJ) when it gave one.
func taskFor(tb *pipeline.Tuban, oldArea float64, matched, issued bool, j judged, in Input, cfg Config) (*task.Task, error) {
	want := issued || tb.Judgement == pipeline.JudgeSuspected || (cfg.TasksForAll && tb.Judgement != pipeline.JudgeNotOfInterest)
	tp := task.Patch{TubanID: tb.ID, JCBH: tb.JCBH, AreaM2: tb.JCMJ}
	// Overlaps below the minimum mapping unit or 1 % of the patch do not
	// drive the priority.
	if j.farmCounts {
		tp.FarmlandM2 = tb.JCGDMJ
	}
	if j.permanentCounts {
		tp.BasicFarmlandM2 = tb.YJJBNTMJ
	}
	zone := task.Zone{Name: tb.PatrolZone, Team: tb.Team, Grade: task.Grade(tb.Grade)}
	if !zone.Grade.Valid() {
		zone.Grade = task.Grade3
	}
	if zone.Name == "" {
		zone.Name = NoPatrolZone
	}
	if zone.Team == "" {
		zone.Team = NoTeam
	}
	var due task.Date
	if tb.Issued != nil && tb.Issued.XJJZSJ != "" {
		if d, err := task.ParseDate(tb.Issued.XJJZSJ); err == nil {
			due = d
		}
	}
	var t *task.Task
	if tb.TaskID != "" {
		t = in.Tasks[tb.TaskID]
	}
	switch {
	case t == nil && want:
		nt, err := cfg.Rules.NewTask(tp, zone, in.Now)
		if err != nil {
			return nil, err
		}
		if !due.IsZero() {
			nt.DueVerify = due
		}
		return nt, nil
	case t == nil:
		return nil, nil
	case t.State == task.Closed:
		if matched && t.ShouldReopen(oldArea, tb.JCMJ, cfg.Reopen) {
			c := *t
			c.History = slices.Clone(t.History)
			reason := fmt.Sprintf("后续批次（%s）监测面积由%.2f亩增至%.2f亩", in.Batch.Spec.Name, geodesy.Mu(oldArea), geodesy.Mu(tb.JCMJ))
			if err := cfg.Rules.Reopen(&c, tp, "系统", in.Now, reason); err != nil {
				return nil, err
			}
			return &c, nil
		}
		return t, nil
	default:
		// An open task follows its 图斑's latest areas and priority.
		c := *t
		c.JCBH = tb.JCBH
		c.AreaM2, c.FarmlandM2, c.BasicFarmlandM2 = tp.AreaM2, tp.FarmlandM2, tp.BasicFarmlandM2
		c.Priority, c.PriorityReason = task.PriorityOf(tp, zone.Grade)
		if !due.IsZero() && (c.State == task.Pending || c.State == task.Verifying) {
			c.DueVerify = due
		}
		return &c, nil
	}
}
