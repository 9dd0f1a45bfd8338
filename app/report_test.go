package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/app/fixture"
	"github.com/weipian/weipian/pipeline/geodesy"
	"github.com/weipian/weipian/pipeline/stats"
)

// areaOf is a fixture patch's area, computed here from its outline.
func areaOf(id string) float64 {
	for _, p := range fixture.Patches() {
		if p.ID == id {
			c := p.Geometry.Bound().Center()
			return geodesy.Area(geodesy.ZoneFor(c[0], c[1]), p.Geometry)
		}
	}
	panic(id)
}

func muRound(m2 float64) float64 { return math.Round(geodesy.Mu(m2)*100) / 100 }

// record moves the fixture's tasks to known verdicts: P1 (甲镇, on 永久基本
// 农田) illegal, stopped, filed, demolished and closed; P2 (甲镇, 耕地)
// illegal and stopped; P3 (乙镇) legal.
func record(t *testing.T, a *app.App) map[string]string {
	t.Helper()
	op := app.Operator("张三")
	l, err := a.Tasks(t.Context(), op, app.TaskQuery{})
	if err != nil || l.Total != 3 {
		t.Fatalf("fixture tasks %d (%v)", l.Total, err)
	}
	ids := map[string]string{}
	for _, tk := range l.Items {
		tb, _ := a.Tuban(t.Context(), op, tk.TubanID)
		for _, p := range fixture.Patches() {
			if tb.History[0].PatchID == p.ID {
				ids[p.ID] = tk.ID
			}
		}
	}
	steps := map[string][]app.TransitionRequest{
		"P1": {{To: "核查中"}, {To: "已核查", Verdict: "违法", ViolationType: "违法占地"}, {To: "已制止"}, {To: "已立案", CaseNo: "立1"},
			{To: "整改中", Rectification: "拆除复耕"}, {To: "已办结"}},
		"P2": {{To: "核查中"}, {To: "已核查", Verdict: "违法", ViolationType: "违法占地"}, {To: "已制止"}},
		"P3": {{To: "核查中"}, {To: "已核查", Verdict: "合法", ApprovalNo: "鄂政地〔2026〕9号"}},
	}
	for _, p := range []string{"P1", "P2", "P3"} {
		for _, s := range steps[p] {
			if _, err := a.Transition(t.Context(), op, ids[p], s); err != nil {
				t.Fatalf("%s → %s: %v", p, s.To, err)
			}
		}
	}
	return ids
}

// TestReportFixtureCounty checks every table of the 2026 report of the
// fixture county against figures worked out from its outlines.
func TestReportFixtureCounty(t *testing.T) {
	a, _ := open(t, app.Config{})
	record(t, a)
	doc, err := a.Report(t.Context(), app.Operator("张三"), app.ReportRequest{Period: "2026"})
	if err != nil {
		t.Fatal(err)
	}
	r := &doc.Report
	a1, a2, a3 := areaOf("P1"), areaOf("P2"), areaOf("P3")
	mu := func(m2 float64) float64 { return math.Round(geodesy.Mu(m2)*100) / 100 }
	eq := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(mu(got)-want) > 0.0051 {
			t.Errorf("%s = %.2f 亩, want %.2f", what, mu(got), want)
		}
	}
	// 表1: 甲镇 P1 P2, 乙镇 P3; P4 (已有用地手续) and P5 (非关注变化) have no
	// task and are left out.
	if len(r.Townships) != 2 || r.Townships[0].Township != "甲镇" || r.Townships[1].Township != "乙镇" {
		t.Fatalf("townships %+v", r.Townships)
	}
	j, y := r.Townships[0], r.Townships[1]
	if j.Total.N != 2 || j.Own.N != 2 || j.Issued.N != 0 || j.Illegal.N != 2 || j.Verified.N != 2 || y.Total.N != 1 || y.Legal.N != 1 {
		t.Errorf("甲 %+v 乙 %+v", j, y)
	}
	eq("甲 监测面积", j.Total.JCMJ, muRound(a1)+muRound(a2))
	eq("甲 耕地", j.Total.JCGDMJ, muRound(a1)+muRound(a2))
	eq("甲 永久基本农田", j.Total.YJJBNTMJ, muRound(a1))
	eq("乙 合法", y.Legal.JCMJ, muRound(a3))
	if r.Excluded != 2 || r.InPeriod != 5 || r.Total.Total.N != 3 || r.Total.Unverified != 0 {
		t.Errorf("excluded %d, in period %d, total %d", r.Excluded, r.InPeriod, r.Total.Total.N)
	}
	// 表2.
	rt := r.RectTotal
	if rt.Total.N != 2 || rt.Rectified.N != 1 || rt.Demolished.N != 1 || rt.Unrectified.N != 1 || !rt.Checks[0].OK || !rt.Checks[1].OK {
		t.Errorf("rect %+v", rt)
	}
	eq("已整改", rt.Rectified.JCMJ, muRound(a1))
	// 表3: the approval (2 × 2 steps of 0.01°) lies wholly on 耕地.
	var approval orb.Polygon
	for _, l := range fixture.Zones() {
		if l.Kind.String() == "批准用地" {
			approval = l.Zones[0].Geometry[0]
		}
	}
	c := approval.Bound().Center()
	approved := geodesy.Area(geodesy.ZoneFor(c[0], c[1]), approval)
	eq("批准占耕地", r.Ratio.ApprovedFarmM2, muRound(approved))
	eq("违法占耕地", r.Ratio.IllegalFarmM2, muRound(a1)+muRound(a2))
	want := (muRound(a1) + muRound(a2)) / (muRound(a1) + muRound(a2) + muRound(approved))
	if math.Abs(r.Ratio.Value-want) > 1e-9 || r.Ratio.Lines[0].Reached || len(r.Ratio.Approvals) != 1 {
		t.Errorf("ratio %v, want %v (%+v)", r.Ratio.Value, want, r.Ratio)
	}
	if len(r.Ratio.Layers) != 2 || !strings.HasPrefix(r.Ratio.Layers[0], "批准用地 第1版「测试批准用地」") || !strings.HasPrefix(r.Ratio.Layers[1], "耕地 第1版") {
		t.Errorf("layers %q", r.Ratio.Layers)
	}
	// 表4: none found by patrol (no reconciliation), 2 stopped, 1 filed and closed.
	got := map[string][2]int{}
	for _, in := range r.Indicators {
		got[in.Name] = [2]int{in.NumN, in.DenN}
	}
	if got["发现率"] != [2]int{0, 2} || got["制止率"] != [2]int{2, 2} || got["立案率"] != [2]int{1, 2} || got["结案率"] != [2]int{1, 1} || got["整改到位率"] != [2]int{1, 2} {
		t.Errorf("indicators %v", got)
	}
	// 表5: no ledger. 城西片区 (一级): 0 of 71 days (1 Jan – 22 May, every
	// second day) → item 3 = 0; 立案率 1/2 → item 6 = 0: 75 合格. 城东片区
	// (二级): 5 short months × 3 → item 3 = 0; no illegal 图斑: 90 优秀.
	as := r.Assessment
	if len(as.Zones) != 2 || as.Zones[0].Zone != "城西片区" || as.Zones[0].Figures.RequiredDays != 71 ||
		as.Zones[0].Total != 75 || as.Zones[0].Rating != "合格" || as.Zones[1].Total != 90 || as.Zones[1].Rating != "优秀" {
		for _, z := range as.Zones {
			t.Logf("%s: %v %s %+v", z.Zone, z.Total, z.Rating, z.Figures)
		}
		t.Error("assessment")
	}
	// 表6.
	if len(r.List) != 2 || !r.List[0].Rectified || r.List[0].Rectification != "拆除复耕" || r.List[1].Rectified || r.List[0].Township != "甲镇" {
		t.Errorf("list %+v", r.List)
	}
	if doc.Meta.Region != "全部（2个乡镇）" || len(doc.Map.Tubans) != 3 || len(doc.Map.Zones) != 2 || len(doc.Map.Townships) != 2 {
		t.Errorf("meta %+v, map %d/%d/%d", doc.Meta, len(doc.Map.Tubans), len(doc.Map.Zones), len(doc.Map.Townships))
	}
	// The same figures by quarter and month; none in 2025.
	for _, p := range []string{"2026-Q2", "2026-05"} {
		d, err := a.Report(t.Context(), app.Operator("张三"), app.ReportRequest{Period: p})
		if err != nil || d.Report.Total.Total.N != 3 || d.Report.Total.Illegal.N != 2 {
			t.Errorf("%s: %v %+v", p, err, d.Report.Total)
		}
	}
	if d, err := a.Report(t.Context(), app.Operator("张三"), app.ReportRequest{Period: "2025"}); err != nil || d.Report.Total.Total.N != 0 || d.Report.InPeriod != 0 {
		t.Errorf("2025: %v", err)
	}
}

func TestReportScopeAndAccess(t *testing.T) {
	a, _ := open(t, app.Config{Report: app.ReportConfig{Unit: "测试县自然资源局", Lines: []stats.Line{{Label: "问责线", Ratio: 0.15}, {Label: "预警线", Ratio: 0.0001}}}})
	record(t, a)
	op := app.Operator("张三")
	// A township: 乙镇 only, its zone and the approval inside it.
	d, err := a.Report(t.Context(), op, app.ReportRequest{Period: "2026", Region: fixture.County + "002"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Meta.Region != "乙镇（420101002）" || d.Report.Total.Total.N != 1 || len(d.Report.Assessment.Zones) != 1 ||
		d.Report.Assessment.Zones[0].Zone != "城东片区" || len(d.Report.Ratio.Approvals) != 1 || d.Meta.Unit != "测试县自然资源局" {
		t.Errorf("乙镇: %+v %+v", d.Meta, d.Report.Total)
	}
	// 乙镇 has no illegal 图斑: ratio 0. In the county the local line
	// (0.01 %) is reached, the national one not.
	if r := d.Report.Ratio; r.Value != 0 || r.Lines[0].Reached || r.Lines[1].Reached {
		t.Errorf("乙镇 ratio %+v", r)
	}
	d, err = a.Report(t.Context(), op, app.ReportRequest{Period: "2026"})
	if r := d.Report.Ratio; err != nil || r.Lines[0].Reached || !r.Lines[1].Reached {
		t.Errorf("county lines %+v (%v)", r.Lines, err)
	}
	// A batch: the fixture's; an unknown one is not found.
	if d, err := a.Report(t.Context(), op, app.ReportRequest{Period: "2026", Batches: []string{fixture.BatchID}}); err != nil ||
		d.Report.Total.Total.N != 3 || len(d.Meta.Batches) != 1 || d.Meta.Batches[0] != "2026年二季度测试批次" {
		t.Errorf("batch: %v %+v", err, d.Meta)
	}
	if _, err := a.Report(t.Context(), op, app.ReportRequest{Period: "2026", Batches: []string{"nope"}}); app.KindOf(err) != app.KindNotFound {
		t.Errorf("unknown batch: %v", err)
	}
	for _, bad := range []app.ReportRequest{{Period: ""}, {Period: "2026-13"}, {Period: "2026", Region: "42A"}, {Period: "2026", AsOf: "5/1"}} {
		if _, err := a.Report(t.Context(), op, bad); app.KindOf(err) != app.KindInvalid {
			t.Errorf("%+v: %v, want invalid", bad, err)
		}
	}
	// Viewers read reports; patrol members (one team's view) may not.
	if _, err := a.Report(t.Context(), app.Principal{User: "v", Roles: []app.Role{app.RoleViewer}}, app.ReportRequest{Period: "2026"}); err != nil {
		t.Errorf("viewer: %v", err)
	}
	if _, err := a.Report(t.Context(), app.Principal{User: "p", Roles: []app.Role{app.RolePatrol}, Team: fixture.TeamWest}, app.ReportRequest{Period: "2026"}); !errors.Is(err, app.ErrForbidden) {
		t.Errorf("patrol member: %v", err)
	}
	// The formats: the same document twice gives the same bytes.
	doc, _ := a.Report(t.Context(), op, app.ReportRequest{Period: "2026"})
	for _, f := range []string{"json", "xlsx", "html"} {
		var x, y bytes.Buffer
		if err := a.WriteReport(t.Context(), &x, doc, f); err != nil {
			t.Fatal(err)
		}
		doc2, _ := a.Report(t.Context(), op, app.ReportRequest{Period: "2026"})
		if err := a.WriteReport(t.Context(), &y, doc2, f); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x.Bytes(), y.Bytes()) {
			t.Errorf("%s: two reports of the same store differ", f)
		}
		switch f {
		case "json":
			var v app.ReportJSON
			if err := json.Unmarshal(x.Bytes(), &v); err != nil || v.Period != "2026" || v.Report.Total.Total.N != 3 {
				t.Errorf("json: %v", err)
			}
		case "xlsx":
			if _, err := excelize.OpenReader(&x); err != nil {
				t.Errorf("xlsx: %v", err)
			}
		}
	}
	if err := a.WriteReport(t.Context(), &bytes.Buffer{}, doc, "docx"); app.KindOf(err) != app.KindInvalid {
		t.Errorf("docx: %v", err)
	}
}

// TestReportTotalsMatchLists: the report's 合计 equals the totals of the
// 图斑 and task lists over the same store.
func TestReportTotalsMatchLists(t *testing.T) {
	a, _ := open(t, app.Config{})
	record(t, a)
	op := app.Operator("张三")
	doc, err := a.Report(t.Context(), op, app.ReportRequest{Period: "2026"})
	if err != nil {
		t.Fatal(err)
	}
	tl, err := a.Tasks(t.Context(), op, app.TaskQuery{})
	if err != nil {
		t.Fatal(err)
	}
	all, err := a.Tubans(t.Context(), op, app.TubanQuery{})
	if err != nil {
		t.Fatal(err)
	}
	r := &doc.Report
	tot := r.Total.Total
	mu := func(m2 float64) float64 { return math.Round(geodesy.Mu(m2)*100) / 100 }
	if tot.N != tl.Totals.Count || mu(tot.JCMJ) != tl.Totals.JCMJ.Mu || mu(tot.JCGDMJ) != tl.Totals.JCGDMJ.Mu || mu(tot.YJJBNTMJ) != tl.Totals.YJJBNTMJ.Mu {
		t.Errorf("report 合计 %d %.2f/%.2f/%.2f; tasks list %+v", tot.N, mu(tot.JCMJ), mu(tot.JCGDMJ), mu(tot.YJJBNTMJ), tl.Totals)
	}
	if r.InPeriod != all.Totals.Count || tot.N+r.Excluded != all.Totals.Count {
		t.Errorf("report %d in period (%d + %d excluded); tuban list %d", r.InPeriod, tot.N, r.Excluded, all.Totals.Count)
	}
	verified := tl.Totals.ByState["已核查"] + tl.Totals.ByState["已制止"] + tl.Totals.ByState["已立案"] + tl.Totals.ByState["整改中"] + tl.Totals.ByState["已办结"]
	if r.Total.Verified.N != verified || r.Total.Unverified != tl.Totals.ByState["待核查"]+tl.Totals.ByState["核查中"] {
		t.Errorf("verified %d, tasks by state %v", r.Total.Verified.N, tl.Totals.ByState)
	}
}
