package app

import (
	"context"
	"slices"
	"strings"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/reconcile"
	"github.com/weipian/weipian/pipeline/task"
	"github.com/weipian/weipian/store"
)

// XiafaBatchView is a 下发 batch with where its verification stands: how
// many 图斑 were issued, how many the county's own detection or patrol had
// found already, and how far their tasks have got.
type XiafaBatchView struct {
	Batch pipeline.Batch `json:"batch"`
	// Source is the issuer: 部, 省 or 市.
	Source string `json:"source"`
	// Tubans is the number of issued 图斑, JCMJ their 监测面积.
	Tubans int  `json:"tubans"`
	JCMJ   Area `json:"jcmj"`
	// OwnFound of them the county's own detection had found; PatrolFound
	// the patrol (巡查已发现, by the last reconciliation).
	OwnFound    int `json:"own_found"`
	PatrolFound int `json:"patrol_found"`
	// Tasks is the number of verification tasks; Verified those with a
	// verdict (核查完成), Findings those whose 核查填报 form is filled in,
	// Overdue those past a deadline, Photos the evidence photos.
	Tasks    int `json:"tasks"`
	Verified int `json:"verified"`
	Findings int `json:"findings"`
	Overdue  int `json:"overdue"`
	Photos   int `json:"photos"`
	// Deadline is the earliest 县级上报截至时间 (XJJZSJ) of the tasks not
	// verified yet ("" when none is given or all are verified).
	Deadline string `json:"deadline"`
}

// XiafaBatches lists the 下发 batches, newest first, with their figures.
// Patrol members see none (they read their tasks).
func (a *App) XiafaBatches(ctx context.Context, p Principal) ([]XiafaBatchView, error) {
	if err := p.authorize(ActBatchRead); err != nil {
		return nil, err
	}
	bs, err := a.store.ListBatches(ctx, 1<<20)
	if err != nil {
		return nil, err
	}
	out := []XiafaBatchView{}
	var tasks map[string]*task.Task
	today := a.today()
	for _, b := range bs {
		if b.Spec.Kind != pipeline.KindXiafa {
			continue
		}
		if tasks == nil {
			all, err := a.store.Tasks(ctx, store.TaskFilter{})
			if err != nil {
				return nil, err
			}
			tasks = map[string]*task.Task{}
			for _, t := range all {
				tasks[t.TubanID] = t
			}
		}
		ts, err := a.store.TubansOfBatch(ctx, b.ID)
		if err != nil {
			return nil, err
		}
		v := XiafaBatchView{Batch: b, Source: b.Spec.Source}
		var area areaSum
		for _, tb := range ts {
			if tb.Issued == nil || tb.Issued.Batch != b.ID {
				continue // issued again by a later batch
			}
			v.Tubans++
			area.add(tb.JCMJ)
			if len(tb.AltJCBH) > 0 || tb.FirstBatch != b.ID {
				v.OwnFound++
			}
			if tb.Patrol != nil && tb.Patrol.Outcome == reconcile.FoundByPatrol.Label() {
				v.PatrolFound++
			}
			t := tasks[tb.ID]
			if t == nil {
				continue
			}
			v.Tasks++
			v.Photos += len(t.Evidence)
			if t.Verdict != "" {
				v.Verified++
			} else if d := tb.Issued.XJJZSJ; d != "" && (v.Deadline == "" || d < v.Deadline) {
				v.Deadline = d
			}
			if t.Findings != nil {
				v.Findings++
			}
			if Overdue(t, today) {
				v.Overdue++
			}
		}
		v.JCMJ = area.area()
		out = append(out, v)
	}
	slices.SortStableFunc(out, func(x, y XiafaBatchView) int {
		if c := y.Batch.CreatedAt.Compare(x.Batch.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(x.Batch.ID, y.Batch.ID)
	})
	return out, nil
}
