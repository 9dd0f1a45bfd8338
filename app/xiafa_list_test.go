package app_test

import (
	"testing"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/app/fixture"
)

// TestXiafaBatches: the 下发 list counts each batch's 图斑, those the
// county had found itself, and how far their tasks have got; the 图斑 list
// filters by source.
func TestXiafaBatches(t *testing.T) {
	a, _ := open(t, app.Config{})
	op := app.Operator("op")
	if l, err := a.XiafaBatches(t.Context(), op); err != nil || len(l) != 0 {
		t.Fatalf("before any import: %v %v", l, err)
	}
	pkg := writeXiafaShapefile(t, t.TempDir(), "省级下发", []xiafaFeature{
		issued("4201012026S0001", "20", "2026-06-20", patchGeom("P3")),                  // the county's own P3
		issued("4201012026S0002", "TD", "2026-06-25", shift(patchGeom("P2"), -0.02, 0)), // new ground
		issued("4201012026S0003", "KT", "", shift(patchGeom("P5"), 0, 0.005)),
	})
	res, err := a.ImportXiafa(t.Context(), op, app.XiafaImportRequest{Path: pkg, Source: "省", BatchName: "2026年省级第1批"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Transition(t.Context(), op, "4201012026S0001", app.TransitionRequest{To: "核查中"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Transition(t.Context(), op, "4201012026S0001", app.TransitionRequest{To: "已核查", Verdict: "伪变化"}); err != nil {
		t.Fatal(err)
	}
	opinion := "伪变化"
	if _, err := a.SetFindings(t.Context(), op, "4201012026S0001", app.FindingsRequest{Opinion: &opinion}); err != nil {
		t.Fatal(err)
	}
	l, err := a.XiafaBatches(t.Context(), op)
	if err != nil || len(l) != 1 {
		t.Fatalf("下发 batches: %v %v", l, err)
	}
	v := l[0]
	if v.Batch.ID != res.Batch.ID || v.Source != "省" || v.Batch.Spec.Name != "2026年省级第1批" {
		t.Errorf("batch %+v", v)
	}
	if v.Tubans != 3 || v.OwnFound != 1 || v.Tasks != 3 || v.Verified != 1 || v.Findings != 1 || v.Deadline != "2026-06-25" || v.JCMJ.M2 <= 0 {
		t.Errorf("figures: %d 图斑, %d own, %d tasks, %d verified, %d findings, deadline %q, %v; want 3, 1, 3, 1, 1, 2026-06-25",
			v.Tubans, v.OwnFound, v.Tasks, v.Verified, v.Findings, v.Deadline, v.JCMJ)
	}
	for src, want := range map[string]int{"省": 3, app.SourceOwn: 4, "部": 0} {
		tl, err := a.Tubans(t.Context(), op, app.TubanQuery{Source: src})
		if err != nil || tl.Totals.Count != want {
			t.Errorf("图斑 of source %s: %d (%v), want %d", src, tl.Totals.Count, err, want)
		}
	}
	if _, err := a.Tubans(t.Context(), op, app.TubanQuery{Source: "国"}); app.KindOf(err) != app.KindInvalid {
		t.Errorf("unknown source: %v", err)
	}
	// Patrol members have no batch list.
	if _, err := a.XiafaBatches(t.Context(), app.Principal{User: "wang", Roles: []app.Role{app.RolePatrol}, Team: fixture.TeamWest}); app.KindOf(err) != app.KindForbidden {
		t.Errorf("patrol member: %v", err)
	}
}
