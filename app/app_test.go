package app_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/app/fixture"
	"github.com/weipian/weipian/pipeline"
)

func open(t *testing.T, cfg app.Config) (*app.App, string) {
	t.Helper()
	dir := t.TempDir()
	cfg.DB, cfg.Data = filepath.Join(dir, "state.db"), filepath.Join(dir, "data")
	cfg.Now = func() time.Time { return time.Date(2026, 5, 22, 9, 0, 0, 0, time.UTC) }
	cfg.PasswordCost = 4
	a, err := app.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := fixture.Build(t.Context(), a.Store(), time.Date(2026, 5, 21, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	return a, cfg.Data
}

// TestAccessRules checks the role table against the practice: who may
// submit batches, move tasks, review, import ledgers, administer.
func TestAccessRules(t *testing.T) {
	p := func(r app.Role) app.Principal { return app.Principal{User: "u", Roles: []app.Role{r}, Team: "T"} }
	for _, tc := range []struct {
		role  app.Role
		allow []app.Action
		deny  []app.Action
	}{
		{app.RoleAdmin, app.Actions(), nil},
		{app.RoleRemoteSensing, []app.Action{app.ActBatchSubmit, app.ActZoneImport, app.ActTubanJudge, app.ActImageryAdd},
			[]app.Action{app.ActTaskTransition, app.ActTaskReview, app.ActUserAdmin, app.ActLedgerImport}},
		{app.RoleReviewer, []app.Action{app.ActTaskTransition, app.ActTaskReview, app.ActLedgerImport, app.ActReconcile, app.ActReportRead},
			[]app.Action{app.ActBatchSubmit, app.ActUserAdmin, app.ActAuditRead}},
		{app.RolePatrol, []app.Action{app.ActTaskRead, app.ActTaskTransition, app.ActEvidenceAdd},
			[]app.Action{app.ActTaskReview, app.ActBatchSubmit, app.ActBatchRead, app.ActLedgerImport, app.ActUserAdmin, app.ActReportRead}},
		{app.RoleViewer, []app.Action{app.ActTaskRead, app.ActTubanRead, app.ActReportRead, app.ActBatchRead},
			[]app.Action{app.ActTaskTransition, app.ActEvidenceAdd, app.ActBatchSubmit, app.ActZoneImport, app.ActUserAdmin}},
	} {
		for _, a := range tc.allow {
			if !p(tc.role).Can(a) {
				t.Errorf("%s may not %s", tc.role, a)
			}
		}
		for _, a := range tc.deny {
			if p(tc.role).Can(a) {
				t.Errorf("%s may %s", tc.role, a)
			}
		}
	}
	if team, scoped := p(app.RolePatrol).TeamScope(); !scoped || team != "T" {
		t.Error("a patrol member is not scoped to their team")
	}
	if _, scoped := (app.Principal{User: "u", Roles: []app.Role{app.RolePatrol, app.RoleReviewer}}).TeamScope(); scoped {
		t.Error("a patrol member who is also a reviewer is scoped")
	}
	if err := (app.Principal{}).Can(app.ActTaskRead); err {
		t.Error("the zero principal may read")
	}
}

// TestEvidenceRefusedLeavesNothing: a CLI upload to a task still 待核查,
// and a batch of photos where a later one is broken, store nothing.
func TestEvidenceRefusedLeavesNothing(t *testing.T) {
	a, data := open(t, app.Config{})
	op := app.Operator("张三")
	l, _ := a.Tasks(t.Context(), op, app.TaskQuery{Team: fixture.TeamWest})
	id := l.Items[0].ID
	if _, err := a.NewEvidenceUpload(t.Context(), op, id); app.KindOf(err) != app.KindConflict {
		t.Errorf("evidence on a task still 待核查: %v, want a conflict", err)
	}
	if _, err := a.Transition(t.Context(), op, id, app.TransitionRequest{To: "核查中"}); err != nil {
		t.Fatal(err)
	}
	up, err := a.NewEvidenceUpload(t.Context(), op, id)
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	up.Add("a.jpg", bytes.NewReader(fixture.PhotoAt("P1", 1)))
	up.Add("b.jpg", strings.NewReader("GIF89a not a jpeg"))
	if _, _, err := up.Commit(t.Context()); app.KindOf(err) != app.KindInvalid || !strings.Contains(err.Error(), "b.jpg") {
		t.Errorf("broken second photo: %v, want invalid naming b.jpg", err)
	}
	if _, err := os.Stat(filepath.Join(data, "evidence")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused upload left files: %v", err)
	}
	d, _ := a.Task(t.Context(), op, id)
	if len(d.Task.Evidence) != 0 {
		t.Errorf("a refused upload is listed on the task: %d photos", len(d.Task.Evidence))
	}
	// The size limit is the same as over HTTP.
	small, _ := open(t, app.Config{EvidenceMaxBytes: 1 << 10})
	small.Transition(t.Context(), op, id, app.TransitionRequest{To: "核查中"})
	up2, err := small.NewEvidenceUpload(t.Context(), op, id)
	if err != nil {
		t.Fatal(err)
	}
	defer up2.Close()
	if err := up2.Add("big.jpg", bytes.NewReader(fixture.PhotoAt("P1", 2))); app.KindOf(err) != app.KindTooLarge {
		t.Errorf("photo over the limit: %v, want too large", err)
	}
}

func TestUseCaseErrorsAreClassified(t *testing.T) {
	a, _ := open(t, app.Config{})
	op := app.Operator("op")
	for _, tc := range []struct {
		name string
		err  error
		want app.Kind
	}{
		{"unknown task", func() error { _, err := a.Task(t.Context(), op, "nope"); return err }(), app.KindNotFound},
		{"unknown state", func() error {
			_, err := a.Transition(t.Context(), op, "nope", app.TransitionRequest{To: "飞走"})
			return err
		}(), app.KindInvalid},
		{"illegal step", func() error {
			l, _ := a.Tasks(t.Context(), op, app.TaskQuery{})
			_, err := a.Transition(t.Context(), op, l.Items[0].ID, app.TransitionRequest{To: "已立案"})
			return err
		}(), app.KindConflict},
		{"server path over HTTP", func() error {
			_, _, err := a.SubmitBatch(t.Context(), app.Principal{User: "rs", Roles: []app.Role{app.RoleRemoteSensing}, Source: "http"},
				app.BatchRequest{Name: "x", Before: "/etc/passwd", After: "/etc/passwd"})
			return err
		}(), app.KindInvalid},
		{"bad region", func() error {
			_, _, err := a.SubmitBatch(t.Context(), op, app.BatchRequest{Name: "x", Region: "12", Before: "a", After: "b"})
			return err
		}(), app.KindInvalid},
		{"unknown zone kind", func() error {
			_, err := a.ImportZones(t.Context(), op, app.ZoneImportRequest{Kind: "森林", File: "x.geojson"})
			return err
		}(), app.KindInvalid},
		{"unknown encoding", func() error {
			_, err := a.ImportLedger(t.Context(), op, app.LedgerImportRequest{Files: []string{"x.csv"}, Encoding: "KLINGON"})
			return err
		}(), app.KindInvalid},
		{"judge an unknown batch", func() error { _, err := a.Judge(t.Context(), op, "nope"); return err }(), app.KindNotFound},
	} {
		if got := app.KindOf(tc.err); got != tc.want {
			t.Errorf("%s: %v is %s, want %s", tc.name, tc.err, got.Code(), tc.want.Code())
		}
		for _, leak := range []string{"store:", "pipeline:", "task:"} {
			if tc.err != nil && strings.Contains(app.PublicMessage(tc.err), leak) {
				t.Errorf("%s: message leaks %q: %s", tc.name, leak, app.PublicMessage(tc.err))
			}
		}
	}
	if !errors.Is(func() error { _, err := a.Task(t.Context(), op, "nope"); return err }(), pipeline.ErrNotFound) {
		t.Error("a not-found *Error does not unwrap to pipeline.ErrNotFound")
	}
}

// TestReconcileAndTotals runs the ledger and reconciliation use cases on
// the fixture county and checks the totals the lists print.
func TestReconcileAndTotals(t *testing.T) {
	a, _ := open(t, app.Config{})
	op := app.Operator("op")
	tl, err := a.Tubans(t.Context(), op, app.TubanQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if tl.Totals.Count != 5 || tl.Totals.ByJudgement[pipeline.JudgeSuspected] != 3 || tl.Totals.ByJudgement[pipeline.JudgeApproved] != 1 {
		t.Errorf("图斑 totals %+v, want 5 with 3 疑似违法 and 1 已有用地手续", tl.Totals)
	}
	var sum float64
	for _, p := range fixture.Patches() {
		sum += p.AreaM2
	}
	if d := tl.Totals.JCMJ.M2 - sum; d > 0.1 || d < -0.1 {
		t.Errorf("监测面积 total %.2f, want %.2f", tl.Totals.JCMJ.M2, sum)
	}
	tasks, _ := a.Tasks(t.Context(), op, app.TaskQuery{})
	if tasks.Totals.Count != 3 || tasks.Totals.ByState["待核查"] != 3 {
		t.Errorf("task totals %+v", tasks.Totals)
	}
	dir := t.TempDir()
	csv := filepath.Join(dir, "台帐2026年5月.csv")
	os.WriteFile(csv, []byte("巡查时间,巡查人员,巡查区域,巡查项目,违法主体或名称,违法地点,违法现状,制止措施,制止效果,后续处理情况\n"+
		"2026-05-21 09:00,王五、李四,城西片区,动态巡查,无,无,无,无,无,无\n"+
		"2026-05-22 09:00,\"王五、李四,城西片区,动态巡查,无,无,无,无,无,无\n"), 0o644)
	res, err := a.ImportLedger(t.Context(), op, app.LedgerImportRequest{Files: []string{csv}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Valid != 1 || res[0].Invalid != 1 || !strings.Contains(strings.Join(res[0].Problems, "\n"), "第3行") {
		t.Errorf("ledger with an unclosed quote: %+v, want 1 valid and line 3 reported", res[0])
	}
	rec, err := a.Reconcile(t.Context(), op, fixture.BatchID, "2026-05")
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Results) != 5 || !strings.HasPrefix(rec.Period.String(), "2026-05-01") {
		t.Errorf("reconcile: %d results, period %s", len(rec.Results), rec.Period)
	}
}
