package casework

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"

	"github.com/weipian/weipian/evidence"
	"github.com/weipian/weipian/export"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/task"
	"github.com/weipian/weipian/store"
)

// MaxPhotoDistanceM is how far from its 图斑 a field photo may be taken
// before it is flagged.
const MaxPhotoDistanceM = 200

// AddEvidence stores a field photo of a task under evidence/<task>/ in the
// blob store, reads its EXIF position, direction and time, checks them
// against the task's 图斑 (a photo taken far from it is flagged) and lists it
// on the task. A photo that cannot be read is refused with the reason.
func (s *Service) AddEvidence(ctx context.Context, blobs pipeline.BlobStore, taskID, name string, data []byte, by string) (evidence.Finding, *task.Task, error) {
	info, err := evidence.Parse(filepath.Base(name), data)
	if err != nil {
		return evidence.Finding{}, nil, fmt.Errorf("%w: %w", pipeline.ErrInvalid, err)
	}
	t, err := s.Store.Task(ctx, taskID)
	if err != nil {
		return evidence.Finding{}, nil, err
	}
	tb, err := s.Store.Tuban(ctx, t.TubanID)
	if err != nil {
		return evidence.Finding{}, nil, err
	}
	f := evidence.Check(info, orbPoint(tb.CenterLon, tb.CenterLat), tb.Geometry, MaxPhotoDistanceM)
	key := fmt.Sprintf("evidence/%s/%s%s", t.ID, info.SHA256, filepath.Ext(name))
	if err := blobs.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
		return f, nil, err
	}
	e := f.Evidence(by, s.now())
	e.Name = key
	updated, err := s.Store.UpdateTask(ctx, t.ID, func(t *task.Task) error { return t.AddEvidence(e) }, store.FormatTime(s.now()))
	return f, updated, err
}

// Rows builds the export rows (for field devices) of tasks, with their
// 图斑's attributes, ranked within each team.
func (s *Service) Rows(ctx context.Context, tasks []*task.Task) ([]export.Row, error) {
	rank := map[string]int{}
	var rows []export.Row
	for _, t := range tasks {
		tb, err := s.Store.Tuban(ctx, t.TubanID)
		if err != nil {
			return nil, err
		}
		rank[t.Team]++
		rows = append(rows, export.Row{
			JCBH: tb.JCBH, XZQDM: tb.XZQDM, Township: tb.XZQMC, TBLX: tb.TBLX,
			AreaM2: tb.JCMJ, FarmlandM2: tb.JCGDMJ, BasicFarmlandM2: tb.YJJBNTMJ,
			Lon: tb.CenterLon, Lat: tb.CenterLat, QSX: tb.QSX, HSX: tb.HSX,
			Prejudgement: tb.Judgement, Zone: tb.PatrolZone, Team: t.Team, Person: tb.Person, Contact: tb.Contact,
			Priority: rank[t.Team], PriorityReason: t.PriorityReason, DueVerify: t.DueVerify.String(),
			State: t.State.String(), Verdict: verdictLabel(t.Verdict), Geometry: tb.Geometry,
		})
	}
	return rows, nil
}

func verdictLabel(v task.Verdict) string {
	if v == "" {
		return ""
	}
	return v.String()
}
