// Package casework carries a batch's patches into casework: it judges them
// into 图斑 and verification tasks over the state store (pipeline/judge does
// the deciding). The finalize stage calls it through pipeline.Judger; the
// other use cases live in package app.
package casework

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/geodesy"
	"github.com/weipian/weipian/pipeline/judge"
	"github.com/weipian/weipian/store"
)

// Service judges batches and runs tasks. It holds no state of its own
// between calls and is safe for concurrent use.
type Service struct {
	Store *store.Store
	// Zones loads the active zone layers (nil: no zones).
	Zones  func(ctx context.Context) (judge.Zones, error)
	Config judge.Config
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Summary counts what judging a batch produced.
type Summary struct {
	Tubans, New, Suspected, Approved, NotOfInterest, Tasks int
}

// JudgeBatch is Judge for pipeline.Judger (the finalize stage).
func (s *Service) JudgeBatch(ctx context.Context, batchID string) error {
	_, err := s.Judge(ctx, batchID)
	return err
}

// Judge judges a batch's stored patches into 图斑 and tasks. Running it
// again on the same batch gives the same 图斑 and tasks (a retried finalize,
// or after new zone layers: the 图斑 are judged afresh against them).
func (s *Service) Judge(ctx context.Context, batchID string) (Summary, error) {
	var sum Summary
	b, err := s.Store.GetBatch(ctx, batchID)
	if err != nil {
		return sum, err
	}
	var patches []pipeline.Patch
	if b.Spec.Kind == pipeline.KindXiafa {
		patches, err = s.issuedPatches(ctx, batchID)
	} else {
		patches, err = s.Store.Patches(ctx, batchID)
	}
	if err != nil {
		return sum, err
	}
	err = s.judge(ctx, b, patches, &sum)
	return sum, err
}

// JudgePatches judges patches that are not stored as a batch's detection
// (a 下发 batch's issued patches) into 图斑 and tasks.
func (s *Service) JudgePatches(ctx context.Context, batchID string, patches []pipeline.Patch) (Summary, error) {
	var sum Summary
	b, err := s.Store.GetBatch(ctx, batchID)
	if err != nil {
		return sum, err
	}
	err = s.judge(ctx, b, patches, &sum)
	return sum, err
}

// issuedPatches rebuilds a 下发 batch's patches from its 图斑.
func (s *Service) issuedPatches(ctx context.Context, batchID string) ([]pipeline.Patch, error) {
	ts, err := s.Store.TubansOfBatch(ctx, batchID)
	if err != nil {
		return nil, err
	}
	var out []pipeline.Patch
	for _, t := range ts {
		if t.Issued == nil || t.Issued.Batch != batchID {
			continue
		}
		out = append(out, IssuedPatch(*t.Issued))
	}
	return out, nil
}

// IssuedPatch makes the patch judging takes of an issued 图斑: its largest
// part, its area in its Gauss–Krüger zone, its dates, and what was issued.
func IssuedPatch(is pipeline.Issued) pipeline.Patch {
	poly := largest(is.Geometry)
	c, _ := planar.CentroidArea(poly)
	z := geodesy.ZoneFor(c[0], c[1])
	area := geodesy.AreaMulti(z, is.Geometry)
	h := sha256.Sum256([]byte("weipian/xiafa/v1\n" + is.JCBH))
	cp := is
	return pipeline.Patch{ID: "XF" + hex.EncodeToString(h[:8]), Class: "issued", ClassLabel: "下发图斑", Confidence: "high",
		AreaM2: area, AreaMu: geodesy.Mu(area), AreaCRS: fmt.Sprintf("EPSG:%d", z.EPSG), CentroidLon: c[0], CentroidLat: c[1],
		BeforeDate: is.QSX, AfterDate: is.HSX, Geometry: poly, Issued: &cp}
}

func largest(mp orb.MultiPolygon) orb.Polygon {
	var best orb.Polygon
	ba := -1.0
	for _, p := range mp {
		if a := planar.Area(p); a > ba {
			best, ba = p, a
		}
	}
	return best
}

func (s *Service) judge(ctx context.Context, b pipeline.Batch, patches []pipeline.Patch, sum *Summary) error {
	batchID := b.ID
	var err error
	zones := judge.Zones{}
	if s.Zones != nil {
		if zones, err = s.Zones(ctx); err != nil {
			return fmt.Errorf("casework: zones: %w", err)
		}
	}
	cfg := s.Config
	if cfg.Region == "" {
		cfg.Region = b.Spec.Region
	}
	now := s.now()
	var bound orb.Bound
	for i, p := range patches {
		if i == 0 {
			bound = p.Geometry.Bound()
		} else {
			bound = bound.Union(p.Geometry.Bound())
		}
	}
	err = s.Store.Judge(ctx, func(jt *store.JudgeTx) error {
		var existing []pipeline.Tuban
		if len(patches) > 0 {
			if existing, err = jt.TubansIn(ctx, bound); err != nil {
				return err
			}
		}
		var ids []string
		for _, t := range existing {
			if t.TaskID != "" {
				ids = append(ids, t.TaskID)
			}
		}
		tasks, err := jt.Tasks(ctx, ids)
		if err != nil {
			return err
		}
		var seqErr error
		out, err := judge.Run(ctx, judge.Input{Batch: b, Patches: patches, Zones: zones, Existing: existing, Tasks: tasks,
			NextSeq: func(prefix string) int {
				n, err := jt.NextSeq(ctx, prefix)
				if err != nil && seqErr == nil {
					seqErr = err
				}
				return n
			}, Now: now}, cfg)
		if err != nil {
			return err
		}
		if seqErr != nil {
			return seqErr
		}
		known := map[string]bool{}
		for _, t := range existing {
			known[t.ID] = true
		}
		for _, t := range out.Tubans {
			sum.Tubans++
			if !known[t.ID] {
				sum.New++
			}
			switch t.Judgement {
			case pipeline.JudgeSuspected:
				sum.Suspected++
			case pipeline.JudgeApproved:
				sum.Approved++
			default:
				sum.NotOfInterest++
			}
		}
		sum.Tasks = len(out.Tasks)
		return jt.Save(ctx, batchID, out.Tubans, out.Tasks, store.FormatTime(now))
	})
	return err
}

var _ pipeline.Judger = (*Service)(nil)

// LoadZones loads the active zone layers of the store for judging.
func LoadZones(ctx context.Context, st *store.Store) (pipeline.ZoneSet, error) {
	versions, err := st.ActiveZoneVersions(ctx)
	if err != nil {
		return pipeline.ZoneSet{}, err
	}
	out := pipeline.ZoneSet{Layers: map[pipeline.ZoneKind][]pipeline.Zone{}, Versions: map[pipeline.ZoneKind]int{}}
	kinds := make([]pipeline.ZoneKind, 0, len(versions))
	for k := range versions {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		layer, err := st.ActiveZones(ctx, k)
		if err != nil {
			return pipeline.ZoneSet{}, err
		}
		out.Versions[k] = layer.Version
		out.Layers[k] = layer.Zones
	}
	return out, nil
}
