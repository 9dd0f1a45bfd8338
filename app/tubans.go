package app

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/weipian/weipian/casework"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/geodesy"
	"github.com/weipian/weipian/store"
)

// TubanQuery selects 图斑. Empty fields select all.
type TubanQuery struct {
	Batch     string
	Township  string // XZQDM or XZQMC
	TBLX      string // code or label
	Judgement string // code or label
	// MinFarmlandMu keeps 图斑 with at least this much 耕地 (亩); Big keeps
	// the 百亩大图斑 (≥ 100 亩 of 耕地).
	MinFarmlandMu float64
	Big           bool
	Team          string
	// Source keeps the 图斑 of one source: 自主监测 (the county's own
	// detection) or an issuer of 下发 图斑 (部, 省, 市).
	Source string
	// WithGeometry adds each 图斑's outline (for maps).
	WithGeometry bool
	Page
}

// BigTubanMu is the 耕地 area from which a 图斑 is a 百亩大图斑.
const BigTubanMu = 100

// TubanTotals sums a list of 图斑.
type TubanTotals struct {
	Count       int            `json:"count"`
	JCMJ        Area           `json:"jcmj"`
	JCGDMJ      Area           `json:"jcgdmj"`
	YJJBNTMJ    Area           `json:"yjjbntmj"`
	ByJudgement map[string]int `json:"by_judgement"`
}

// TubanList is a page of 图斑 with the totals of every match.
type TubanList struct {
	List[TubanView]
	Totals TubanTotals `json:"totals"`
}

func matchCoded(q, label, code string) bool {
	return q == "" || q == label || q == code
}

// Tubans lists 图斑. Patrol members see their own team's only.
func (a *App) Tubans(ctx context.Context, p Principal, q TubanQuery) (TubanList, error) {
	if err := p.authorize(ActTubanRead); err != nil {
		return TubanList{}, err
	}
	pg, err := q.Page.norm()
	if err != nil {
		return TubanList{}, err
	}
	if q.MinFarmlandMu < 0 || q.MinFarmlandMu != q.MinFarmlandMu {
		return TubanList{}, invalid("min_farmland_mu %v：应为非负数", q.MinFarmlandMu)
	}
	if q.Source != "" && q.Source != SourceOwn && !slices.Contains(Sources, q.Source) {
		return TubanList{}, invalid("来源 source=%q：应为 %s、%s", q.Source, SourceOwn, strings.Join(Sources, "、"))
	}
	var ts []pipeline.Tuban
	if q.Batch != "" {
		if _, err := a.store.GetBatch(ctx, q.Batch); err != nil {
			return TubanList{}, wrapNotFound(err, "批次", q.Batch)
		}
		ts, err = a.store.TubansOfBatch(ctx, q.Batch)
	} else {
		ts, err = a.store.AllTubans(ctx)
	}
	if err != nil {
		return TubanList{}, err
	}
	team, scoped := p.TeamScope()
	var keep []TubanView
	tot := TubanTotals{ByJudgement: map[string]int{}}
	var sumJ, sumG, sumY areaSum
	for _, t := range ts {
		switch {
		case scoped && t.Team != team,
			q.Team != "" && t.Team != q.Team,
			q.Township != "" && t.XZQDM != q.Township && t.XZQMC != q.Township,
			!matchCoded(q.TBLX, t.TBLX, TBLXCode(t.TBLX)),
			!matchCoded(q.Judgement, t.Judgement, JudgementCode(t.Judgement)),
			geodesy.Mu(t.JCGDMJ) < q.MinFarmlandMu,
			q.Big && geodesy.Mu(t.JCGDMJ) < BigTubanMu,
			q.Source != "" && sourceOf(t) != q.Source:
			continue
		}
		keep = append(keep, tubanView(t, p, q.WithGeometry))
		tot.Count++
		sumJ.add(t.JCMJ)
		sumG.add(t.JCGDMJ)
		sumY.add(t.YJJBNTMJ)
		tot.ByJudgement[t.Judgement]++
	}
	tot.JCMJ, tot.JCGDMJ, tot.YJJBNTMJ = sumJ.area(), sumG.area(), sumY.area()
	return TubanList{List: paginate(keep, pg), Totals: tot}, nil
}

// sourceOf is where a 图斑 comes from: its issuer, or SourceOwn.
func sourceOf(t pipeline.Tuban) string {
	if t.Issued != nil {
		return t.Issued.Source
	}
	return SourceOwn
}

// Tuban returns one 图斑 by ID or JCBH, with its outline.
func (a *App) Tuban(ctx context.Context, p Principal, id string) (TubanView, error) {
	if err := p.authorize(ActTubanRead); err != nil {
		return TubanView{}, err
	}
	t, err := a.store.Tuban(ctx, id)
	if err != nil {
		return TubanView{}, wrapNotFound(err, "图斑", id)
	}
	if team, scoped := p.TeamScope(); scoped && t.Team != team {
		return TubanView{}, ErrForbidden
	}
	return tubanView(t, p, true), nil
}

// Judge judges a finished batch again (e.g. after new zone layers).
func (a *App) Judge(ctx context.Context, p Principal, batchID string) (casework.Summary, error) {
	var sum casework.Summary
	err := a.audited(ctx, p, "tuban.judge", batchID, func() (string, error) {
		if err := p.authorize(ActTubanJudge); err != nil {
			return "", err
		}
		b, err := a.store.GetBatch(ctx, batchID)
		if err != nil {
			return "", wrapNotFound(err, "批次", batchID)
		}
		if b.State != pipeline.BatchDone {
			return "", errorf(KindConflict, "批次 %s 状态为 %s：只能对已完成的批次重新研判", batchID, b.State)
		}
		sum, err = a.cases.Judge(ctx, batchID)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d 图斑, %d 新增, %d 疑似违法, %d 任务", sum.Tubans, sum.New, sum.Suspected, sum.Tasks), nil
	})
	return sum, err
}

// Teams lists the patrol teams named by the patrol-zone layer and the tasks.
func (a *App) Teams(ctx context.Context, p Principal) ([]string, error) {
	if err := p.authorize(ActTaskRead); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	if l, err := a.store.ActiveZones(ctx, patrolKind()); err == nil {
		for _, z := range l.Zones {
			if z.Team != "" {
				set[z.Team] = true
			}
		}
	}
	ts, err := a.store.Tasks(ctx, store.TaskFilter{})
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.Team != "" {
			set[t.Team] = true
		}
	}
	out := []string{}
	team, scoped := p.TeamScope()
	for k := range set {
		if !scoped || k == team {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, strings.Compare)
	return out, nil
}

func patrolKind() pipeline.ZoneKind {
	k, _ := pipeline.ParseZoneKind("巡查区")
	return k
}
