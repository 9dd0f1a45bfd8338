package task

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// cst returns a time in China Standard Time.
func cst(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, ChinaTime())
}

func testPatch() Patch {
	return Patch{TubanID: "tb-0001", JCBH: "420111260001", AreaM2: 1200, FarmlandM2: 800, BasicFarmlandM2: 200}
}

func testZone() Zone { return Zone{Name: "城关-一片区", Team: "城关国土所", Grade: Grade1} }

// newTestTask creates a task on Monday 2026-03-02 09:00.
func newTestTask(t *testing.T) *Task {
	t.Helper()
	tk, err := DefaultRules().NewTask(testPatch(), testZone(), cst(2026, 3, 2, 9, 0))
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// validStep returns a transition that satisfies edge e, verdict v being the
// verdict recorded when e goes to Verified.
func validStep(e Edge, v Verdict, at time.Time) Transition {
	tr := Transition{From: e.From, To: e.To, Actor: "张三", At: at, Reason: "测试"}
	switch e.To {
	case Verified:
		tr.Verdict = v
		switch v {
		case VerdictLegal:
			tr.ApprovalNo = "鄂政土批〔2025〕12号"
		case VerdictIllegal:
			tr.ViolationType = ViolationOccupy
		}
	case Rectifying:
		tr.Rectification = RectifyDemolish
	case Filed:
		tr.CaseNo = "城关立〔2026〕3号"
	}
	return tr
}

// path returns the states from Pending to s, for a task judged v.
func path(s State, v Verdict) []State {
	illegal := []State{Pending, Verifying, Verified, Stopped, Filed, Rectifying, Closed}
	other := []State{Pending, Verifying, Verified, Closed}
	p := other
	if v == VerdictIllegal {
		p = illegal
	}
	i := slices.Index(p, s)
	if i < 0 {
		return nil
	}
	return p[:i+1]
}

// taskIn returns a task brought to state s by valid steps, judged v.
func taskIn(t *testing.T, s State, v Verdict) *Task {
	t.Helper()
	tk := newTestTask(t)
	states := path(s, v)
	if states == nil {
		t.Fatalf("no path to %s with verdict %s", s, v)
	}
	at := tk.CreatedAt
	for i := 1; i < len(states); i++ {
		at = at.Add(2 * time.Hour)
		e := Edge{From: states[i-1], To: states[i]}
		if err := DefaultRules().Apply(tk, validStep(e, v, at)); err != nil {
			t.Fatalf("step %s → %s: %v", e.From, e.To, err)
		}
	}
	return tk
}

func clone(tk *Task) *Task {
	c := *tk
	c.History = slices.Clone(tk.History)
	c.Evidence = slices.Clone(tk.Evidence)
	return &c
}

func TestNewTask(t *testing.T) {
	t.Parallel()
	tk := newTestTask(t)
	if tk.ID != IDFor("tb-0001") || !strings.HasPrefix(tk.ID, "rw-") || len(tk.ID) != 19 {
		t.Errorf("ID = %q", tk.ID)
	}
	if IDFor("tb-0001") == IDFor("tb-0002") {
		t.Errorf("IDFor does not depend on the patch")
	}
	if tk.State != Pending || len(tk.History) != 0 || tk.DueVerify.String() != "2026-03-04" {
		t.Errorf("new task: state %s, history %d, due %s", tk.State, len(tk.History), tk.DueVerify)
	}
	if tk.Team != "城关国土所" || tk.Zone != "城关-一片区" || tk.Grade != Grade1 || tk.JCBH != "420111260001" {
		t.Errorf("assignment: %+v", tk)
	}

	bad := []struct {
		name string
		p    Patch
		z    Zone
		at   time.Time
		want string
	}{
		{"no tuban", Patch{}, testZone(), cst(2026, 3, 2, 9, 0), "no TubanID"},
		{"no zone", testPatch(), Zone{Team: "t", Grade: Grade1}, cst(2026, 3, 2, 9, 0), "zone has no name"},
		{"no team", testPatch(), Zone{Name: "z", Grade: Grade1}, cst(2026, 3, 2, 9, 0), "has no team"},
		{"bad grade", testPatch(), Zone{Name: "z", Team: "t", Grade: 4}, cst(2026, 3, 2, 9, 0), "grade 4"},
		{"no time", testPatch(), testZone(), time.Time{}, "creation time"},
		{"negative area", Patch{TubanID: "x", FarmlandM2: -1}, testZone(), cst(2026, 3, 2, 9, 0), "FarmlandM2 is -1"},
		{"NaN area", Patch{TubanID: "x", AreaM2: math.NaN()}, testZone(), cst(2026, 3, 2, 9, 0), "AreaM2 is NaN"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DefaultRules().NewTask(tc.p, tc.z, tc.at)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrInvalid with %q", err, tc.want)
			}
		})
	}
}

// TestAllowedEdges applies every edge of the table, with every verdict that
// the edge admits.
func TestAllowedEdges(t *testing.T) {
	t.Parallel()
	for _, e := range Edges() {
		for _, v := range Verdicts() {
			switch {
			case path(e.From, v) == nil: // e.g. 已制止 is reached only by 违法
				continue
			case e.From == Verified && e.To == Stopped && v != VerdictIllegal:
				continue
			case e.From == Verified && e.To == Closed && v == VerdictIllegal:
				continue
			}
			t.Run(e.From.Label()+"→"+e.To.Label()+"/"+v.Label(), func(t *testing.T) {
				t.Parallel()
				tk := taskIn(t, e.From, v)
				n := len(tk.History)
				tr := validStep(e, v, tk.CreatedAt.Add(48*time.Hour))
				if e.To == Pending {
					tr.Reason = "图斑面积扩大"
				}
				if err := tk.Apply(tr); err != nil {
					t.Fatalf("Apply: %v", err)
				}
				if tk.State != e.To || len(tk.History) != n+1 || tk.History[n] != tr {
					t.Fatalf("after Apply: state %s, history %d, last %+v", tk.State, len(tk.History), tk.History[n:])
				}
				switch e.To {
				case Verified:
					if tk.Verdict != v || tk.ViolationType != tr.ViolationType || tk.ApprovalNo != tr.ApprovalNo {
						t.Errorf("verdict fields: %s %s %q", tk.Verdict, tk.ViolationType, tk.ApprovalNo)
					}
				case Rectifying:
					if tk.Rectification != RectifyDemolish {
						t.Errorf("rectification %s", tk.Rectification)
					}
				case Pending:
					if tk.Verdict != "" || tk.ViolationType != "" || tk.ApprovalNo != "" || tk.Rectification != "" {
						t.Errorf("reopened task keeps its judgement: %+v", tk)
					}
				}
			})
		}
	}
}

// TestRefusedEdges tries every pair of states that is not in the table.
func TestRefusedEdges(t *testing.T) {
	t.Parallel()
	allowed := map[[2]State]bool{}
	for _, e := range Edges() {
		allowed[[2]State{e.From, e.To}] = true
	}
	for _, from := range States() {
		for _, to := range States() {
			if allowed[[2]State{from, to}] {
				continue
			}
			t.Run(from.Label()+"→"+to.Label(), func(t *testing.T) {
				t.Parallel()
				tk := taskIn(t, from, VerdictIllegal)
				before := clone(tk)
				tr := validStep(Edge{From: from, To: to}, VerdictIllegal, tk.CreatedAt.Add(48*time.Hour))
				err := tk.Apply(tr)
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", err)
				}
				want := "task: cannot go from " + from.Label() + " to " + to.Label() + ": not an allowed transition"
				if !strings.HasPrefix(err.Error(), want) {
					t.Errorf("message %q, want prefix %q", err, want)
				}
				if !reflect.DeepEqual(tk, before) {
					t.Errorf("refused transition changed the task")
				}
			})
		}
	}
}

func TestRequiredFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		state   State
		verdict Verdict // of the task
		tr      func(tk *Task) Transition
		want    string
	}{
		{"no verdict", Verifying, "", func(tk *Task) Transition {
			return Transition{To: Verified, Actor: "a", At: tk.CreatedAt.Add(24 * time.Hour)}
		}, "verdict (判定) is required"},
		{"unknown verdict", Verifying, "", func(tk *Task) Transition {
			return Transition{To: Verified, Actor: "a", At: tk.CreatedAt.Add(24 * time.Hour), Verdict: "maybe"}
		}, `unknown verdict "maybe"`},
		{"legal without approval", Verifying, "", func(tk *Task) Transition {
			return Transition{To: Verified, Actor: "a", At: tk.CreatedAt.Add(24 * time.Hour), Verdict: VerdictLegal, ApprovalNo: "  "}
		}, "批准文号"},
		{"illegal without type", Verifying, "", func(tk *Task) Transition {
			return Transition{To: Verified, Actor: "a", At: tk.CreatedAt.Add(24 * time.Hour), Verdict: VerdictIllegal}
		}, "违法类型"},
		{"illegal with unknown type", Verifying, "", func(tk *Task) Transition {
			return Transition{To: Verified, Actor: "a", At: tk.CreatedAt.Add(24 * time.Hour), Verdict: VerdictIllegal, ViolationType: "arson"}
		}, `unknown violation type "arson"`},
		{"false change with type", Verifying, "", func(tk *Task) Transition {
			return Transition{To: Verified, Actor: "a", At: tk.CreatedAt.Add(24 * time.Hour), Verdict: VerdictFalseChange, ViolationType: ViolationOccupy}
		}, "violation type 违法占地 given with verdict 伪变化"},
		{"blank actor", Pending, "", func(tk *Task) Transition {
			return Transition{To: Verifying, Actor: " \t", At: tk.CreatedAt}
		}, "actor is empty"},
		{"no time", Pending, "", func(tk *Task) Transition {
			return Transition{To: Verifying, Actor: "a"}
		}, "time is not set"},
		{"before creation", Pending, "", func(tk *Task) Transition {
			return Transition{To: Verifying, Actor: "a", At: tk.CreatedAt.Add(-time.Second)}
		}, "before the task was created"},
		{"before last transition", Verified, VerdictIllegal, func(tk *Task) Transition {
			return Transition{To: Stopped, Actor: "a", At: tk.History[len(tk.History)-1].At.Add(-time.Minute)}
		}, "before the last transition (已核查 at"},
		{"verdict on the wrong step", Pending, "", func(tk *Task) Transition {
			return Transition{To: Verifying, Actor: "a", At: tk.CreatedAt, Verdict: VerdictLegal}
		}, "set only when going to 已核查"},
		{"rectification on the wrong step", Stopped, VerdictIllegal, func(tk *Task) Transition {
			return Transition{To: Filed, Actor: "a", At: tk.CreatedAt.Add(24 * time.Hour), Rectification: RectifyPermit}
		}, "set only when going to 整改中"},
		{"case number on the wrong step", Verified, VerdictIllegal, func(tk *Task) Transition {
			return Transition{To: Stopped, Actor: "a", At: tk.CreatedAt.Add(24 * time.Hour), CaseNo: "x"}
		}, "set only when going to 已立案"},
		{"stop a legal task", Verified, VerdictLegal, func(tk *Task) Transition {
			return Transition{To: Stopped, Actor: "a", At: tk.CreatedAt.Add(24 * time.Hour)}
		}, "only a task judged 违法 is stopped"},
		{"close an illegal task early", Verified, VerdictIllegal, func(tk *Task) Transition {
			return Transition{To: Closed, Actor: "a", At: tk.CreatedAt.Add(24 * time.Hour)}
		}, "goes through 已制止"},
		{"rectify without how", Filed, VerdictIllegal, func(tk *Task) Transition {
			return Transition{To: Rectifying, Actor: "a", At: tk.CreatedAt.Add(24 * time.Hour)}
		}, "rectification (整改方式"},
		{"rectify an unknown way", Filed, VerdictIllegal, func(tk *Task) Transition {
			return Transition{To: Rectifying, Actor: "a", At: tk.CreatedAt.Add(24 * time.Hour), Rectification: "pray"}
		}, `unknown rectification "pray"`},
		{"reopen without reason", Closed, VerdictLegal, func(tk *Task) Transition {
			return Transition{To: Pending, Actor: "a", At: tk.CreatedAt.Add(24 * time.Hour)}
		}, "reopening requires a reason"},
		{"stale view", Verifying, "", func(tk *Task) Transition {
			return Transition{From: Pending, To: Verifying, Actor: "a", At: tk.CreatedAt.Add(24 * time.Hour)}
		}, "is 核查中, not 待核查 (stale view)"},
		{"unknown state", Pending, "", func(tk *Task) Transition {
			return Transition{To: "done", Actor: "a", At: tk.CreatedAt}
		}, `unknown target state "done"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := tc.verdict
			if v == "" {
				v = VerdictOther
			}
			tk := taskIn(t, tc.state, v)
			before := clone(tk)
			err := DefaultRules().Apply(tk, tc.tr(tk))
			var te *TransitionError
			if !errors.As(err, &te) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want a *TransitionError matching ErrInvalid", err)
			}
			if !strings.HasPrefix(err.Error(), "task: cannot go from ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("message %q, want %q", err, tc.want)
			}
			if !reflect.DeepEqual(tk, before) {
				t.Errorf("refused transition changed the task")
			}
		})
	}
}

func TestDeadlines(t *testing.T) {
	t.Parallel()
	r := DefaultRules()
	tests := []struct {
		name    string
		rules   Rules
		created time.Time
		grade   Grade
		want    string
	}{
		{"一级 from monday", r, cst(2026, 3, 2, 10, 0), Grade1, "2026-03-04"},
		{"二级 weekly", r, cst(2026, 3, 2, 10, 0), Grade2, "2026-03-09"},
		{"三级 weekly", r, cst(2026, 3, 2, 10, 0), Grade3, "2026-03-09"},
		{"一级 due on sunday moves to monday", r, cst(2026, 3, 6, 10, 0), Grade1, "2026-03-09"},
		{"一级 due on 中秋 moves past it", r, cst(2026, 9, 24, 10, 0), Grade1, "2026-09-28"},
		{"一级 due on a make-up saturday stays", r, cst(2026, 2, 12, 10, 0), Grade1, "2026-02-14"},
		{"一级 into national day", r, cst(2026, 9, 29, 10, 0), Grade1, "2026-10-08"},
		{"no calendar: weekends only", Rules{}, cst(2026, 9, 29, 10, 0), Grade1, "2026-10-01"},
		{"date taken in China time", r, time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC), Grade1, "2026-03-04"},
		{"county interval", Rules{VerifyDaysGrade2: 5, Calendar: r.Calendar}, cst(2026, 3, 2, 10, 0), Grade2, "2026-03-09"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.rules.DueVerify(tc.created, tc.grade).String(); got != tc.want {
				t.Errorf("DueVerify = %s, want %s", got, tc.want)
			}
		})
	}

	stops := []struct {
		name         string
		verified     time.Time
		stop, report string
	}{
		{"tuesday", cst(2026, 3, 3, 15, 0), "2026-03-04", "2026-03-05"},
		{"friday before a make-up sunday", cst(2026, 9, 18, 16, 0), "2026-09-20", "2026-09-21"},
		{"saturday", cst(2026, 3, 7, 11, 0), "2026-03-09", "2026-03-10"},
		{"eve of national day", cst(2026, 9, 30, 23, 0), "2026-10-08", "2026-10-09"},
		{"late evening UTC is next day in China", time.Date(2026, 10, 8, 17, 0, 0, 0, time.UTC), "2026-10-10", "2026-10-12"},
		{"spring festival 2025", cst(2025, 1, 27, 9, 0), "2025-02-05", "2025-02-06"},
	}
	for _, tc := range stops {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := r.DueStop(tc.verified).String(); got != tc.stop {
				t.Errorf("DueStop = %s, want %s", got, tc.stop)
			}
			if got := r.DueReport(tc.verified).String(); got != tc.report {
				t.Errorf("DueReport = %s, want %s", got, tc.report)
			}
		})
	}
}

func TestRulesApplySetsDeadlines(t *testing.T) {
	t.Parallel()
	r := DefaultRules()
	tk := newTestTask(t)
	steps := []Transition{
		{To: Verifying, Actor: "李四", At: cst(2026, 3, 4, 9, 0)},
		{To: Verified, Actor: "李四", At: cst(2026, 3, 5, 16, 0), Verdict: VerdictIllegal, ViolationType: ViolationOccupy},
	}
	for _, s := range steps {
		if err := r.Apply(tk, s); err != nil {
			t.Fatal(err)
		}
	}
	if tk.DueStop.String() != "2026-03-06" || tk.DueReport.String() != "2026-03-09" {
		t.Fatalf("DueStop %s DueReport %s, want 2026-03-06 and 2026-03-09", tk.DueStop, tk.DueReport)
	}

	overdue := []struct {
		today string
		want  []Deadline
	}{
		{"2026-03-06", nil},
		{"2026-03-07", []Deadline{DeadlineStop}},
		{"2026-03-10", []Deadline{DeadlineStop, DeadlineReport}},
	}
	for _, tc := range overdue {
		if got := tk.Overdue(mustDate(t, tc.today)); !slices.Equal(got, tc.want) {
			t.Errorf("Overdue(%s) = %v, want %v", tc.today, got, tc.want)
		}
	}
	if err := r.Apply(tk, Transition{To: Stopped, Actor: "李四", At: cst(2026, 3, 10, 9, 0)}); err != nil {
		t.Fatal(err)
	}
	if got := tk.Overdue(mustDate(t, "2026-03-10")); !slices.Equal(got, []Deadline{DeadlineReport}) {
		t.Errorf("after 制止: Overdue = %v, want [报告]", got)
	}
	if err := r.Apply(tk, Transition{To: Filed, Actor: "王五", At: cst(2026, 3, 10, 15, 0)}); err != nil {
		t.Fatal(err)
	}
	if got := tk.Overdue(mustDate(t, "2026-04-01")); got != nil {
		t.Errorf("after 立案: Overdue = %v, want none", got)
	}

	fresh := newTestTask(t) // due 2026-03-04
	if got := fresh.Overdue(mustDate(t, "2026-03-04")); got != nil {
		t.Errorf("on the due day: %v", got)
	}
	if got := fresh.Overdue(mustDate(t, "2026-03-05")); !slices.Equal(got, []Deadline{DeadlineVerify}) {
		t.Errorf("a day late: %v", got)
	}
	if got := r.Today(time.Date(2026, 3, 4, 16, 1, 0, 0, time.UTC)); got.String() != "2026-03-05" {
		t.Errorf("Today = %s, want 2026-03-05", got)
	}
}

func TestPriority(t *testing.T) {
	t.Parallel()
	r := DefaultRules()
	specs := []struct {
		id                 string
		basic, farm, total float64
		grade              Grade
	}{
		{"D", 0, 0, 300, Grade1},
		{"F", 0, 100, 300, Grade3},
		{"C", 0, 5000, 6000, Grade2},
		{"E", 1, 20, 50, Grade2},
		{"B", 0, 5000, 5000, Grade1},
		{"A", 10, 50, 60, Grade3},
	}
	var tasks []*Task
	for _, s := range specs {
		tk, err := r.NewTask(Patch{TubanID: s.id, AreaM2: s.total, FarmlandM2: s.farm, BasicFarmlandM2: s.basic},
			Zone{Name: "z", Team: "t", Grade: s.grade}, cst(2026, 3, 2, 9, 0))
		if err != nil {
			t.Fatal(err)
		}
		tasks = append(tasks, tk)
	}
	SortByPriority(tasks)
	var got []string
	for _, tk := range tasks {
		got = append(got, tk.TubanID)
	}
	// 永久基本农田 first (A, E; A has more 耕地), then 耕地 area (B and C tie
	// on 5000 m², B is 一级), then F, then D without 耕地.
	if want := []string{"A", "E", "B", "C", "F", "D"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}

	reasons := []struct {
		p    Patch
		g    Grade
		want string
	}{
		{testPatch(), Grade1, "占用永久基本农田0.30亩（200平方米），优先；占用耕地1.20亩（800平方米）；一级巡查区域"},
		{Patch{TubanID: "x", FarmlandM2: 800}, Grade2, "未占用永久基本农田；占用耕地1.20亩（800平方米）；二级巡查区域"},
		{Patch{TubanID: "x", AreaM2: 500}, Grade3, "未占用永久基本农田；未占用耕地；三级巡查区域"},
	}
	for _, tc := range reasons {
		if _, got := PriorityOf(tc.p, tc.g); got != tc.want {
			t.Errorf("reason %q, want %q", got, tc.want)
		}
	}
	huge, _ := PriorityOf(Patch{FarmlandM2: 1e15}, Grade1)
	none, _ := PriorityOf(Patch{}, Grade3)
	if huge <= 0 || huge >= none {
		t.Errorf("huge patch key %d, empty patch key %d", huge, none)
	}

	// Equal keys: earlier DueVerify first, then ID.
	a := &Task{ID: "rw-b", Priority: 5, DueVerify: mustDate(t, "2026-03-04")}
	b := &Task{ID: "rw-a", Priority: 5, DueVerify: mustDate(t, "2026-03-05")}
	c := &Task{ID: "rw-0", Priority: 5, DueVerify: mustDate(t, "2026-03-05")}
	ts := []*Task{b, a, c}
	SortByPriority(ts)
	if ts[0] != a || ts[1] != c || ts[2] != b {
		t.Errorf("tie-break order %s %s %s", ts[0].ID, ts[1].ID, ts[2].ID)
	}
}

func TestShouldReopen(t *testing.T) {
	t.Parallel()
	closed := taskIn(t, Closed, VerdictLegal)
	open := taskIn(t, Verified, VerdictLegal)
	tests := []struct {
		name     string
		tk       *Task
		old, new float64
		rule     ReopenRule
		want     bool
	}{
		{"open task", open, 1000, 5000, ReopenRule{}, false},
		{"small growth", closed, 1000, 1050, ReopenRule{}, false},
		{"exactly 10%", closed, 1000, 1100, ReopenRule{}, false},
		{"more than 10% and 100 m²", closed, 1000, 1101, ReopenRule{}, true},
		{"small patch, 100 m² rules", closed, 200, 290, ReopenRule{}, false},
		{"small patch grew 110 m²", closed, 200, 310, ReopenRule{}, true},
		{"big patch, 10% rules", closed, 10000, 10900, ReopenRule{}, false},
		{"big patch grew 10.01%", closed, 10000, 11001, ReopenRule{}, true},
		{"shrank", closed, 1000, 500, ReopenRule{}, false},
		{"NaN", closed, math.NaN(), 5000, ReopenRule{}, false},
		{"county rule", closed, 100, 160, ReopenRule{Ratio: 0.5, MinM2: 10}, true},
		{"county rule not met", closed, 100, 140, ReopenRule{Ratio: 0.5, MinM2: 10}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.tk.ShouldReopen(tc.old, tc.new, tc.rule); got != tc.want {
				t.Errorf("ShouldReopen(%v, %v) = %v, want %v", tc.old, tc.new, got, tc.want)
			}
		})
	}

	r := DefaultRules()
	grown := testPatch()
	grown.AreaM2, grown.FarmlandM2 = 2000, 1600
	at := cst(2026, 4, 30, 10, 0) // Thursday before 劳动节
	if err := r.Reopen(closed, grown, "系统", at, "图斑面积由1200平方米扩大到2000平方米"); err != nil {
		t.Fatal(err)
	}
	if closed.State != Pending || closed.Verdict != "" || closed.ApprovalNo != "" || closed.AreaM2 != 2000 {
		t.Errorf("reopened: %+v", closed)
	}
	if closed.DueVerify.String() != "2026-05-06" {
		t.Errorf("DueVerify after reopening = %s, want 2026-05-06 (after 劳动节)", closed.DueVerify)
	}
	if !strings.Contains(closed.PriorityReason, "2.40亩") {
		t.Errorf("priority not recomputed: %s", closed.PriorityReason)
	}
	other := testPatch()
	other.TubanID = "tb-other"
	if err := r.Reopen(taskIn(t, Closed, VerdictLegal), other, "系统", at, "x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("reopen with another patch: %v", err)
	}
}

func TestAddEvidence(t *testing.T) {
	t.Parallel()
	hash := strings.Repeat("ab", 32)
	e := Evidence{SHA256: hash, Name: "IMG_0001.jpg", AddedBy: "张三", AddedAt: cst(2026, 3, 3, 10, 0), Flags: []string{"far"}}

	if err := newTestTask(t).AddEvidence(e); !errors.Is(err, ErrInvalid) {
		t.Errorf("evidence on a pending task: %v", err)
	}
	tk := taskIn(t, Verifying, VerdictOther)
	if err := tk.AddEvidence(e); err != nil {
		t.Fatal(err)
	}
	e.Flags[0] = "changed"
	if err := tk.AddEvidence(e); err != nil || len(tk.Evidence) != 1 {
		t.Fatalf("second add: %v, %d photos", err, len(tk.Evidence))
	}
	if tk.Evidence[0].Flags[0] != "far" {
		t.Errorf("flags alias the caller's slice")
	}
	for _, bad := range []Evidence{
		{SHA256: "abc", AddedBy: "x"},
		{SHA256: strings.Repeat("AB", 32), AddedBy: "x"},
		{SHA256: hash},
	} {
		if err := tk.AddEvidence(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("AddEvidence(%+v) = %v", bad, err)
		}
	}
}

func TestParseLabels(t *testing.T) {
	t.Parallel()
	for _, s := range States() {
		for _, in := range []string{string(s), s.Label()} {
			if got, err := ParseState(in); err != nil || got != s {
				t.Errorf("ParseState(%q) = %v, %v", in, got, err)
			}
		}
	}
	for _, v := range Verdicts() {
		if got, err := ParseVerdict(v.Label()); err != nil || got != v {
			t.Errorf("ParseVerdict(%q) = %v, %v", v.Label(), got, err)
		}
	}
	for _, v := range ViolationTypes() {
		if got, err := ParseViolationType(v.Label()); err != nil || got != v {
			t.Errorf("ParseViolationType(%q) = %v, %v", v.Label(), got, err)
		}
	}
	if _, err := ParseState("done"); err == nil {
		t.Errorf("ParseState accepted junk")
	}
	if Grade(0).Valid() || Grade(4).Valid() || Grade2.Label() != "二级" {
		t.Errorf("Grade")
	}
}
