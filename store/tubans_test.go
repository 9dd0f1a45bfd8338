package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/ledger"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/task"
)

func TestTubansTasksAndLedger(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t)
			ctx := context.Background()
			now := formatTime(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
			poly := orb.Polygon{{{114, 30}, {114.001, 30}, {114.001, 30.001}, {114, 30}}}
			tb := pipeline.Tuban{ID: "TB1", JCBH: "41078210126060001", XZQDM: "410782101", FirstBatch: "b1", LastBatch: "b1",
				Judgement: pipeline.JudgeSuspected, Team: "城关所", JCMJ: 1234.5, Geometry: poly,
				History: []pipeline.Observation{{BatchID: "b1", PatchID: "p1", AreaM2: 1234.5}}, ZoneVersions: map[string]int{"耕地": 2}}
			tk, err := task.DefaultRules().NewTask(task.Patch{TubanID: "TB1", JCBH: tb.JCBH, AreaM2: 1234.5, FarmlandM2: 1000},
				task.Zone{Name: "一片区", Team: "城关所", Grade: task.Grade1}, time.Date(2026, 6, 1, 9, 0, 0, 0, task.ChinaTime()))
			if err != nil {
				t.Fatal(err)
			}
			tb.TaskID = tk.ID
			err = s.Judge(ctx, func(jt *JudgeTx) error {
				if n, err := jt.NextSeq(ctx, "4107821012606"); err != nil || n != 1 {
					t.Errorf("first sequence %d %v", n, err)
				}
				return jt.Save(ctx, "b1", []pipeline.Tuban{tb}, []*task.Task{tk}, now)
			})
			if err != nil {
				t.Fatal(err)
			}
			// Read back, by ID and by JCBH; the bbox query finds it.
			got, err := s.Tuban(ctx, tb.JCBH)
			if err != nil || got.ID != "TB1" || got.JCMJ != 1234.5 || len(got.Geometry[0]) != 4 || got.ZoneVersions["耕地"] != 2 {
				t.Fatalf("Tuban: %+v %v", got, err)
			}
			s.Judge(ctx, func(jt *JudgeTx) error {
				in, err := jt.TubansIn(ctx, orb.Bound{Min: orb.Point{113.9, 29.9}, Max: orb.Point{114.0005, 30.0005}})
				if err != nil || len(in) != 1 {
					t.Errorf("TubansIn: %d %v", len(in), err)
				}
				if n, _ := jt.NextSeq(ctx, "4107821012606"); n != 2 {
					t.Errorf("sequence after saving 0001: %d, want 2", n)
				}
				return nil
			})
			// Saving again (a re-judged batch) updates, never duplicates.
			tb.JCMJ = 2000
			if err := s.Judge(ctx, func(jt *JudgeTx) error { return jt.Save(ctx, "b2", []pipeline.Tuban{tb}, []*task.Task{tk}, now) }); err != nil {
				t.Fatal(err)
			}
			all, _ := s.AllTubans(ctx)
			if len(all) != 1 || all[0].JCMJ != 2000 {
				t.Errorf("after update: %+v", all)
			}
			for _, batch := range []string{"b1", "b2"} {
				if ts, _ := s.TubansOfBatch(ctx, batch); len(ts) != 1 {
					t.Errorf("batch %s sees %d 图斑", batch, len(ts))
				}
			}
			// Tasks: filter, update in a transaction, refuse without change.
			ts, err := s.Tasks(ctx, TaskFilter{Team: "城关所", State: string(task.Pending)})
			if err != nil || len(ts) != 1 {
				t.Fatalf("Tasks: %d %v", len(ts), err)
			}
			_, err = s.UpdateTask(ctx, tk.ID, func(t *task.Task) error {
				return task.DefaultRules().Apply(t, task.Transition{From: task.Pending, To: task.Verifying, Actor: "张三", At: time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC)})
			}, now)
			if err != nil {
				t.Fatal(err)
			}
			boom := errors.New("refused")
			if _, err := s.UpdateTask(ctx, tk.ID, func(t *task.Task) error { t.Team = "x"; return boom }, now); !errors.Is(err, boom) {
				t.Fatal(err)
			}
			back, _ := s.Task(ctx, tb.JCBH)
			if back.State != task.Verifying || back.Team != "城关所" {
				t.Errorf("task after update: %s %s", back.State, back.Team)
			}
			if _, err := s.Task(ctx, "nope"); !errors.Is(err, pipeline.ErrNotFound) {
				t.Errorf("missing task: %v", err)
			}
			// Ledger rows: same content twice adds nothing; a corrected row replaces.
			e := ledger.Entry{File: "台帐.csv", Row: 2, Start: time.Date(2026, 5, 3, 0, 30, 0, 0, time.UTC), Members: []string{"张三", "李四"}, People: 2, ID: "e1", Key: "k1"}
			st, err := s.ImportLedger(ctx, []ledger.Entry{e}, now)
			if err != nil || st.Added != 1 {
				t.Fatalf("import: %+v %v", st, err)
			}
			if st, _ := s.ImportLedger(ctx, []ledger.Entry{e}, now); st.Unchanged != 1 || st.Added != 0 {
				t.Errorf("re-import: %+v", st)
			}
			e2 := e
			e2.ID, e2.Status = "e2", "已整改"
			if st, _ := s.ImportLedger(ctx, []ledger.Entry{e2}, now); st.Replaced != 1 {
				t.Errorf("corrected row: %+v", st)
			}
			if es, _ := s.LedgerEntries(ctx); len(es) != 1 || es[0].Status != "已整改" {
				t.Errorf("entries: %+v", es)
			}
			tr := ledger.Track{File: "a.gpx", Team: "一组", Segments: [][]ledger.TrackPoint{{{Lon: 114, Lat: 30, Time: time.Date(2026, 5, 3, 1, 0, 0, 0, time.UTC)}}}}
			if n, err := s.ImportTracks(ctx, []ledger.Track{tr, tr}, now); err != nil || n != 1 {
				t.Errorf("tracks added %d %v", n, err)
			}
			if trs, err := s.Tracks(ctx); err != nil || len(trs) != 1 || trs[0].Segments[0][0].Lon != 114 {
				t.Errorf("tracks %+v %v", trs, err)
			}
		})
	}
}
