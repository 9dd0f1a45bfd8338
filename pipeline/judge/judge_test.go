package judge

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/geodesy"
	"github.com/weipian/weipian/pipeline/task"
)

// Fixtures are drawn in metres in CGCS2000 GK zone 38 (central meridian
// 114°E) around (38500000, 3385000) and turned into lon/lat, so the areas
// are known exactly.
var gk = geodesy.Zone{Kind: geodesy.GaussKruger3, Number: 38}

func rect(x0, y0, x1, y1 float64) orb.Polygon {
	pts := [][2]float64{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
	r := make(orb.Ring, len(pts))
	for i, p := range pts {
		lon, lat := gk.Inverse(38500000+p[0], 3385000+p[1])
		r[i] = orb.Point{lon, lat}
	}
	return orb.Polygon{r}
}

func patch(id, class string, g orb.Polygon) pipeline.Patch {
	a := geodesy.Area(geodesy.ZoneFor(g.Bound().Center().Lon(), g.Bound().Center().Lat()), g)
	c := g.Bound().Center()
	return pipeline.Patch{ID: id, Class: class, Confidence: "high", AreaM2: a, AreaMu: geodesy.Mu(a),
		CentroidLon: c.Lon(), CentroidLat: c.Lat(), BeforeDate: "2026-03-01", AfterDate: "2026-06-01",
		BrightRatio: 1.1, SatAfter: 0.1, LengthM: 40, WidthM: 30, Elongation: 1.3, Geometry: g}
}

func zones() Zones {
	return Zones{
		Layers: map[pipeline.ZoneKind][]pipeline.Zone{
			Farmland:  {{ID: 1, Geometry: orb.MultiPolygon{rect(0, 0, 200, 100)}}},
			Permanent: {{ID: 2, Geometry: orb.MultiPolygon{rect(0, 0, 100, 100)}}},
			Admin:     {{ID: 3, XZQDM: "410782101", XZQMC: "城关镇", Geometry: orb.MultiPolygon{rect(-1000, -1000, 1000, 1000)}}},
			Patrol: {{ID: 4, Name: "城关一片区", Grade: 1, Team: "城关国土所", Person: "张三",
				Geometry: orb.MultiPolygon{rect(-1000, -1000, 1000, 1000)}}},
			Approval: {
				{ID: 5, ApprovalNo: "豫政土〔2026〕12号", ApprovalType: "农用地转用", ValidFrom: "2026-01-01",
					Geometry: orb.MultiPolygon{rect(300, 0, 400, 100)}},
				{ID: 6, ApprovalNo: "临〔2025〕3号", ApprovalType: "临时用地", ValidFrom: "2025-01-01", ValidTo: "2025-12-31",
					Geometry: orb.MultiPolygon{rect(500, 0, 600, 100)}},
			},
		},
		Versions: map[pipeline.ZoneKind]int{Farmland: 3, Permanent: 1, Admin: 1, Patrol: 2, Approval: 5},
	}
}

var now = time.Date(2026, 6, 20, 9, 0, 0, 0, task.ChinaTime())

func run(t *testing.T, b pipeline.Batch, ps []pipeline.Patch, existing []pipeline.Tuban, tasks map[string]*task.Task) Output {
	return runAt(t, now, b, ps, existing, tasks)
}

func runAt(t *testing.T, at time.Time, b pipeline.Batch, ps []pipeline.Patch, existing []pipeline.Tuban, tasks map[string]*task.Task) Output {
	t.Helper()
	next := map[string]int{}
	for _, tb := range existing {
		next[tb.JCBH[:len(tb.JCBH)-4]]++
	}
	out, err := Run(context.Background(), Input{Batch: b, Patches: ps, Zones: zones(), Existing: existing, Tasks: tasks,
		NextSeq: func(prefix string) int { return next[prefix] + 1 }, Now: at}, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

func TestJudgements(t *testing.T) {
	b := pipeline.Batch{ID: "b1", Spec: pipeline.BatchSpec{Name: "2026年二季度", Region: "410782"}}
	veg := patch("p5", "vegetation_gain", rect(10, 10, 40, 40))
	ps := []pipeline.Patch{
		patch("p1", "built_gain", rect(50, 20, 150, 80)),  // half on permanent farmland, all on cultivated land
		patch("p2", "built_gain", rect(310, 10, 390, 90)), // inside a fitting approval, off farmland
		patch("p3", "built_gain", rect(150, 20, 250, 80)), // half on cultivated land, no approval
		patch("p4", "built_gain", rect(700, 0, 800, 100)), // nothing
		veg,
		patch("p6", "built_gain", rect(510, 10, 590, 90)), // inside an expired, non-fitting approval
	}
	out := run(t, b, ps, nil, nil)
	if len(out.Tubans) != 6 {
		t.Fatalf("%d 图斑, want 6", len(out.Tubans))
	}
	byPatch := map[string]pipeline.Tuban{}
	for _, tb := range out.Tubans {
		byPatch[tb.History[0].PatchID] = tb
	}
	p1 := byPatch["p1"]
	if !near(p1.JCMJ, 6000) || !near(p1.JCGDMJ, 6000) || !near(p1.YJJBNTMJ, 3000) {
		t.Errorf("p1 areas JCMJ %.3f JCGDMJ %.3f YJJBNTMJ %.3f, want 6000/6000/3000 m²", p1.JCMJ, p1.JCGDMJ, p1.YJJBNTMJ)
	}
	if p1.Judgement != pipeline.JudgeSuspected || !strings.Contains(p1.JudgementReason, "永久基本农田") {
		t.Errorf("p1: %s (%s)", p1.Judgement, p1.JudgementReason)
	}
	if p1.TBLX != TypeBuilding || p1.Team != "城关国土所" || p1.Grade != 1 || p1.XZQMC != "城关镇" {
		t.Errorf("p1 attributes: %+v", p1)
	}
	if p1.JCBH != "41078210126060001" {
		t.Errorf("p1 JCBH %q, want township 410782101 + 2606 + 0001", p1.JCBH)
	}
	if p1.ZoneVersions["耕地"] != 3 || p1.ZoneVersions["批准用地"] != 5 {
		t.Errorf("zone versions %v", p1.ZoneVersions)
	}
	if p2 := byPatch["p2"]; p2.Judgement != pipeline.JudgeNotOfInterest {
		t.Errorf("p2 (off farmland): %s (%s)", p2.Judgement, p2.JudgementReason)
	}
	if p3 := byPatch["p3"]; p3.Judgement != pipeline.JudgeSuspected || !near(p3.JCGDMJ, 3000) || p3.YJJBNTMJ != 0 {
		t.Errorf("p3: %s %.1f %.1f", p3.Judgement, p3.JCGDMJ, p3.YJJBNTMJ)
	}
	if p4 := byPatch["p4"]; p4.Judgement != pipeline.JudgeNotOfInterest {
		t.Errorf("p4: %s", p4.Judgement)
	}
	if p5 := byPatch["p5"]; p5.Judgement != pipeline.JudgeNotOfInterest || p5.TBLX != TypeRevegetation {
		t.Errorf("p5: %s %s", p5.Judgement, p5.TBLX)
	}
	// Areas reconcile for every 图斑.
	for _, tb := range out.Tubans {
		if tb.JCGDMJ > tb.JCMJ+1e-6 || tb.YJJBNTMJ > tb.JCMJ+1e-6 || tb.PZMJ > tb.JCMJ+1e-6 {
			t.Errorf("%s: parts exceed the whole: %+v", tb.JCBH, tb)
		}
	}
	// One task per 疑似违法 图斑, assigned to the patrol team, permanent farmland first.
	if len(out.Tasks) != 2 {
		t.Fatalf("%d tasks, want 2", len(out.Tasks))
	}
	for _, tk := range out.Tasks {
		if tk.Team != "城关国土所" || tk.State != task.Pending {
			t.Errorf("task %+v", tk)
		}
	}
	if task.ComparePriority(out.Tasks[0], out.Tasks[1]) >= 0 && out.Tasks[0].TubanID != p1.ID {
		t.Error("the task on permanent farmland must come first")
	}
}

func TestApprovals(t *testing.T) {
	z := zones()
	// farmland under both approvals
	z.Layers[Farmland] = append(z.Layers[Farmland], pipeline.Zone{ID: 8, Geometry: orb.MultiPolygon{rect(300, 0, 600, 100)}})
	b := pipeline.Batch{ID: "b1", Spec: pipeline.BatchSpec{Name: "q2"}}
	ps := []pipeline.Patch{
		patch("fit", "built_gain", rect(310, 10, 390, 90)),        // 农用地转用 covers a building
		patch("expired", "built_gain", rect(510, 10, 590, 90)),    // 临时用地, expired and not for buildings
		patch("partial", "built_gain", rect(350, 10, 450, 90)),    // half covered
		patch("earth", "vegetation_loss", rect(520, 10, 580, 90)), // 临时用地 fits earthwork but expired
	}
	out, err := Run(context.Background(), Input{Batch: b, Patches: ps, Zones: z, Now: now}, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		"fit":     {pipeline.JudgeApproved, "豫政土〔2026〕12号"},
		"expired": {pipeline.JudgeSuspected, "不符"},
		"partial": {pipeline.JudgeSuspected, "仅覆盖"},
		"earth":   {pipeline.JudgeSuspected, "过期"},
	}
	for _, tb := range out.Tubans {
		w := want[tb.History[0].PatchID]
		if tb.Judgement != w[0] || !strings.Contains(tb.JudgementReason, w[1]) {
			t.Errorf("%s: %s (%s), want %s mentioning %s", tb.History[0].PatchID, tb.Judgement, tb.JudgementReason, w[0], w[1])
		}
	}
}

func TestNoZonesSaysSo(t *testing.T) {
	out, err := Run(context.Background(), Input{Batch: pipeline.Batch{ID: "b"}, Patches: []pipeline.Patch{patch("p", "built_gain", rect(0, 0, 50, 50))}, Now: now}, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if tb := out.Tubans[0]; tb.Judgement != pipeline.JudgeNotOfInterest || !strings.Contains(tb.JudgementReason, "未导入") || tb.XZQDM != "000000" {
		t.Errorf("%+v", tb)
	}
}

// A change seen again in a later batch is the same 图斑 with one task; a
// task closed as 合法 comes back only when the change grew beyond it.
func TestRedetectionAcrossBatches(t *testing.T) {
	b1 := pipeline.Batch{ID: "b1", Spec: pipeline.BatchSpec{Name: "一季度"}}
	out1 := run(t, b1, []pipeline.Patch{patch("a1", "built_gain", rect(50, 20, 150, 80))}, nil, nil)
	tb1 := out1.Tubans[0]
	tasks := map[string]*task.Task{out1.Tasks[0].ID: out1.Tasks[0]}
	// Re-judging the same batch changes nothing.
	again := run(t, b1, []pipeline.Patch{patch("a1", "built_gain", rect(50, 20, 150, 80))}, out1.Tubans, tasks)
	if again.Tubans[0].ID != tb1.ID || len(again.Tubans[0].History) != 1 || again.Tubans[0].JCBH != tb1.JCBH {
		t.Errorf("re-judging the same batch: %+v", again.Tubans[0])
	}
	// Second batch: the change is a little larger and shifted.
	b2 := pipeline.Batch{ID: "b2", Spec: pipeline.BatchSpec{Name: "二季度"}}
	out2 := run(t, b2, []pipeline.Patch{patch("a2", "built_gain", rect(55, 20, 160, 85))}, out1.Tubans, tasks)
	if len(out2.Tubans) != 1 || out2.Tubans[0].ID != tb1.ID || out2.Tubans[0].JCBH != tb1.JCBH {
		t.Fatalf("second batch made a new 图斑: %+v", out2.Tubans)
	}
	if h := out2.Tubans[0].History; len(h) != 2 || h[1].BatchID != "b2" {
		t.Errorf("history %+v", h)
	}
	if len(out2.Tasks) != 1 || out2.Tasks[0].ID != out1.Tasks[0].ID || !near(out2.Tasks[0].AreaM2, out2.Tubans[0].JCMJ) {
		t.Errorf("the open task must be updated, not duplicated: %+v", out2.Tasks)
	}
	// The patrol finds it legal and closes the task.
	tk := out2.Tasks[0]
	for _, tr := range []task.Transition{
		{From: task.Pending, To: task.Verifying, Actor: "张三", At: now.Add(time.Hour)},
		{From: task.Verifying, To: task.Verified, Actor: "张三", At: now.Add(2 * time.Hour), Verdict: task.VerdictLegal, ApprovalNo: "豫政土〔2026〕99号", Reason: "已批"},
		{From: task.Verified, To: task.Closed, Actor: "李四", At: now.Add(3 * time.Hour), Reason: "合法，办结"},
	} {
		if err := DefaultConfig().Rules.Apply(tk, tr); err != nil {
			t.Fatal(err)
		}
	}
	tasks = map[string]*task.Task{tk.ID: tk}
	// Third batch, same size: stays closed.
	b3 := pipeline.Batch{ID: "b3", Spec: pipeline.BatchSpec{Name: "三季度"}}
	out3 := runAt(t, now.Add(24*time.Hour), b3, []pipeline.Patch{patch("a3", "built_gain", rect(55, 20, 160, 85))}, out2.Tubans, tasks)
	if out3.Tasks[0].State != task.Closed {
		t.Errorf("a legal, unchanged 图斑's task was reopened: %s", out3.Tasks[0].State)
	}
	// Fourth batch, much larger: reopened.
	b4 := pipeline.Batch{ID: "b4", Spec: pipeline.BatchSpec{Name: "四季度"}}
	out4 := runAt(t, now.Add(48*time.Hour), b4, []pipeline.Patch{patch("a4", "built_gain", rect(55, 20, 190, 95))}, out3.Tubans, tasks)
	if out4.Tasks[0].State != task.Pending || !strings.Contains(out4.Tasks[0].History[len(out4.Tasks[0].History)-1].Reason, "增至") {
		t.Errorf("a grown 图斑's closed task must be reopened: %s", out4.Tasks[0].State)
	}
	if out4.Tubans[0].ID != tb1.ID || len(out4.Tubans[0].History) != 4 {
		t.Errorf("fourth batch: %+v", out4.Tubans[0])
	}
}

func TestChangeTypes(t *testing.T) {
	for _, tc := range []struct {
		class                string
		bright, sat, el, wid float64
		want                 string
	}{
		{"built_gain", 1.1, 0.1, 1.2, 20, TypeBuilding},
		{"built_gain", 2.0, 0.05, 3, 10, TypeGreenhouse},
		{"built_gain", 1.1, 0.1, 12, 8, TypeRoad},
		{"water_gain", 0.5, 0.2, 1, 30, TypePond},
		{"vegetation_gain", 0.8, 0.3, 1, 30, TypeRevegetation},
		{"vegetation_loss", 1.3, 0.2, 1, 30, TypeEarthwork},
		{"surface_change", 1.3, 0.2, 1, 30, TypeEarthwork},
		{"surface_change", 0.7, 0.2, 1, 30, TypeOther},
	} {
		p := pipeline.Patch{Class: tc.class, Confidence: "high", BrightRatio: tc.bright, SatAfter: tc.sat, Elongation: tc.el, WidthM: tc.wid, LengthM: tc.el * tc.wid}
		if got, conf, reason := ChangeType(&p); got != tc.want || conf == "" || reason == "" {
			t.Errorf("%+v: %s (%s, %s), want %s", tc, got, conf, reason, tc.want)
		}
	}
}

// An overlap below the minimum mapping unit (or 1 % of the patch) makes no
// farmland 图斑 and does not drive the priority: a large patch touching a
// basic-farmland parcel by 21 m² is not ranked for 永久基本农田.
func TestSmallOverlapsDoNotCount(t *testing.T) {
	b := pipeline.Batch{ID: "b1", Spec: pipeline.BatchSpec{Name: "二季度"}, CreatedAt: now}
	touch := patch("p1", "built_gain", rect(99.79, 0, 500, 100)) // 21 m² on jb1, 10021 m² on gd1
	edge := patch("p2", "built_gain", rect(199.79, 0, 400, 100)) // 21 m² on gd1 only
	out := run(t, b, []pipeline.Patch{touch, edge}, nil, nil)
	if len(out.Tubans) != 2 {
		t.Fatalf("%d 图斑", len(out.Tubans))
	}
	tb := out.Tubans[0]
	if !near(tb.YJJBNTMJ, 21) {
		t.Errorf("the 21 m² overlap must still be recorded, got %.2f", tb.YJJBNTMJ)
	}
	if strings.Contains(tb.JudgementReason, "永久基本农田") || tb.Judgement != pipeline.JudgeSuspected {
		t.Errorf("p1: %s (%s): the farmland overlap counts, the 21 m² of basic farmland does not", tb.Judgement, tb.JudgementReason)
	}
	if len(out.Tasks) != 1 || out.Tasks[0].BasicFarmlandM2 != 0 || out.Tasks[0].FarmlandM2 < 10000 {
		t.Fatalf("tasks: %+v", out.Tasks)
	}
	if !strings.HasPrefix(out.Tasks[0].PriorityReason, "未占用永久基本农田") {
		t.Errorf("priority driven by a 21 m² overlap: %s", out.Tasks[0].PriorityReason)
	}
	if e := out.Tubans[1]; e.Judgement != pipeline.JudgeNotOfInterest {
		t.Errorf("p2 touches farmland by 21 m² only: %s (%s), want %s", e.Judgement, e.JudgementReason, pipeline.JudgeNotOfInterest)
	}
}

// The change type reads the land-cover transition and compares brightness
// with the before image, not with the scene.
func TestChangeTypeUsesTheTransition(t *testing.T) {
	p := pipeline.Patch{Class: "surface_change", Confidence: "high", BrightRatio: 0.75, BeforeState: "bare", AfterState: "bare"}
	tblx, _, reason := ChangeType(&p)
	if tblx != TypeOther || !strings.Contains(reason, "裸土→裸土") || !strings.Contains(reason, "0.75") || strings.Contains(reason, "变亮") {
		t.Errorf("darkening bare soil: %s (%s)", tblx, reason)
	}
	f := pipeline.Patch{Class: "farming", Confidence: "high", BeforeState: "vegetated", AfterState: "bare"}
	if tblx, _, _ := ChangeType(&f); tblx != TypeFarming {
		t.Errorf("farming: %s", tblx)
	}
}

// With a 耕地 layer, a uniform vegetated→bare change mostly on cultivated
// land is a harvested or ploughed field (农业耕作/季节变化), whatever its
// shape: no task. An uneven one there (heaps, pits), one mostly off
// cultivated land, one without a measured uniformity and an issued one stay
// earthworks.
func TestCropCycleOnCultivatedLand(t *testing.T) {
	b := pipeline.Batch{ID: "b1", Spec: pipeline.BatchSpec{Name: "2026年二季度", Region: "410782"}}
	mk := func(id string, g orb.Polygon, cv float64) pipeline.Patch {
		p := patch(id, "vegetation_loss", g)
		p.BeforeState, p.AfterState, p.CVAfter = "vegetated", "bare", cv
		return p
	}
	issued := mk("issued", rect(20, 60, 60, 95), 0.05)
	issued.Issued = &pipeline.Issued{JCBH: "410782202606S001", Type: TypeEarthwork, TBLX: "0402", TBLXName: "推堆土", Source: "省级"}
	ps := []pipeline.Patch{
		mk("field", rect(110, 10, 190, 50), 0.08), // all on 耕地, uniform
		mk("heaps", rect(110, 55, 190, 95), 0.31), // all on 耕地, uneven
		mk("edge", rect(170, 10, 250, 50), 0.08),  // 3/8 on 耕地
		mk("unknown", rect(10, 10, 60, 50), 0),    // on 耕地, uniformity not measured
		issued,
	}
	out := run(t, b, ps, nil, nil)
	by := map[string]pipeline.Tuban{}
	for _, tb := range out.Tubans {
		by[tb.History[0].PatchID] = tb
	}
	f := by["field"]
	if f.Judgement != pipeline.JudgeNotOfInterest || f.TBLX != TypeFarming || !strings.Contains(f.JudgementReason, "耕地") || !strings.Contains(f.JudgementReason, "0.08") {
		t.Errorf("uniform field on 耕地: %s %s (%s), want 非关注变化 %s with the share and the CV", f.Judgement, f.TBLX, f.JudgementReason, TypeFarming)
	}
	for _, id := range []string{"heaps", "unknown"} {
		if tb := by[id]; tb.Judgement != pipeline.JudgeSuspected || tb.TBLX != TypeEarthwork {
			t.Errorf("%s: %s %s (%s), want 疑似违法 %s", id, tb.Judgement, tb.TBLX, tb.JudgementReason, TypeEarthwork)
		}
	}
	if tb := by["edge"]; tb.TBLX != TypeEarthwork {
		t.Errorf("edge (3/8 on 耕地): %s (%s), want %s", tb.TBLX, tb.JudgementReason, TypeEarthwork)
	}
	if tb := by["issued"]; tb.TBLX != TypeEarthwork || tb.Judgement == pipeline.JudgeNotOfInterest {
		t.Errorf("issued: %s %s, want its issued type and a task", tb.TBLX, tb.Judgement)
	}
	for _, tk := range out.Tasks {
		if tk.TubanID == f.ID {
			t.Error("the harvested field got a task")
		}
	}
}
