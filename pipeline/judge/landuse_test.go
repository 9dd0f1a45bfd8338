package judge

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline"
)

// TestLandUseLayer: 原地类 is the land class under most of a 图斑, and a
// change wholly on existing 建设用地 is marked as such and not suspected.
func TestLandUseLayer(t *testing.T) {
	z := zones()
	z.Layers[LandUse] = []pipeline.Zone{
		{ID: 1, DLBM: "0702", DLMC: "农村宅基地", Geometry: orb.MultiPolygon{rect(700, 0, 900, 100)}},
		{ID: 2, DLBM: "0103", DLMC: "旱地", Geometry: orb.MultiPolygon{rect(0, 0, 200, 100)}},
		{ID: 3, DLBM: "1006", DLMC: "农村道路", Geometry: orb.MultiPolygon{rect(200, 0, 300, 100)}},
	}
	in := Input{Batch: pipeline.Batch{ID: "b1", Spec: pipeline.BatchSpec{Region: "410782"}}, Zones: z, Now: now,
		Patches: []pipeline.Patch{
			patch("onHouse", "built_gain", rect(720, 20, 780, 80)),
			patch("onField", "built_gain", rect(20, 20, 80, 80)),
			patch("onRoad", "built_gain", rect(220, 20, 280, 80)),
		}}
	out, err := Run(t.Context(), in, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]pipeline.Tuban{}
	for _, tb := range out.Tubans {
		by[tb.History[0].PatchID] = tb
	}
	if h := by["onHouse"]; h.YDLBM != "0702" || h.BuiltShare < 0.99 || h.Judgement != pipeline.JudgeNotOfInterest || !strings.Contains(h.JudgementReason, "现状建设用地") {
		t.Errorf("on 宅基地: %s %v %s %s", h.YDLBM, h.BuiltShare, h.Judgement, h.JudgementReason)
	}
	if f := by["onField"]; f.YDLBM != "0103" || f.YDLMC != "旱地" || f.BuiltShare != 0 || f.Judgement != pipeline.JudgeSuspected {
		t.Errorf("on 旱地: %s %s %v %s", f.YDLBM, f.YDLMC, f.BuiltShare, f.Judgement)
	}
	if r := by["onRoad"]; r.YDLBM != "1006" || r.BuiltShare != 0 {
		t.Errorf("农村道路 is not 建设用地: %s %v", r.YDLBM, r.BuiltShare)
	}
}
