package task_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/weipian/weipian/pipeline/task"
)

// A patch on permanent basic farmland in a 一级 zone, detected on the
// Thursday before the 2026 Mid-Autumn Festival.
func ExampleRules_NewTask() {
	rules := task.DefaultRules()
	created := time.Date(2026, 9, 24, 10, 0, 0, 0, task.ChinaTime())
	t, err := rules.NewTask(
		task.Patch{TubanID: "b1f3c2", JCBH: "420111260917", AreaM2: 1500, FarmlandM2: 1200, BasicFarmlandM2: 400},
		task.Zone{Name: "城关-一片区", Team: "城关国土所", Grade: task.Grade1},
		created,
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.ID, t.State, t.Team)
	fmt.Println(t.PriorityReason)
	fmt.Println("verify by", t.DueVerify) // 09-26 is 中秋节, so the next working day
	// Output:
	// rw-0f5ae22aae774998 待核查 城关国土所
	// 占用永久基本农田0.60亩（400平方米），优先；占用耕地1.80亩（1200平方米）；一级巡查区域
	// verify by 2026-09-28
}

// The life of an illegal occupation, and a step the table refuses.
func ExampleTask_Apply() {
	rules := task.DefaultRules()
	at := func(month time.Month, day, hour int) time.Time {
		return time.Date(2026, month, day, hour, 0, 0, 0, task.ChinaTime())
	}
	t, _ := rules.NewTask(task.Patch{TubanID: "b1f3c2", AreaM2: 900, FarmlandM2: 900},
		task.Zone{Name: "城关-二片区", Team: "城关国土所", Grade: task.Grade2}, at(9, 28, 9))

	err := t.Apply(task.Transition{To: task.Filed, Actor: "张三", At: at(9, 28, 10)})
	fmt.Println(err)

	steps := []task.Transition{
		{To: task.Verifying, Actor: "张三", At: at(9, 29, 9)},
		{To: task.Verified, Actor: "张三", At: at(9, 30, 11), Reason: "实地核查：未批先建厂房",
			Verdict: task.VerdictIllegal, ViolationType: task.ViolationOccupy},
	}
	for _, s := range steps {
		if err := rules.Apply(t, s); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println(t.State, t.Verdict, t.ViolationType)
	fmt.Println("stop by", t.DueStop, "report by", t.DueReport) // after the National Day break
	// Output:
	// task: cannot go from 待核查 to 已立案: not an allowed transition (from 待核查 only to 核查中)
	// 已核查 违法 违法占地
	// stop by 2026-10-08 report by 2026-10-09
}

func ExampleEdges() {
	for _, e := range task.Edges() {
		fmt.Printf("%s → %s  %s\n", e.From, e.To, e.Action)
	}
	// Output:
	// 待核查 → 核查中  开始核查
	// 核查中 → 已核查  提交核查结论
	// 已核查 → 已制止  制止
	// 已核查 → 已办结  办结
	// 已制止 → 已立案  立案
	// 已立案 → 整改中  整改
	// 整改中 → 已办结  办结
	// 已办结 → 待核查  重新核查
}

// A county calendar with its own holiday, and working days counted over it.
func ExampleParseCalendar() {
	const file = `# 某县 2027 (provisional: the national notice is not out yet)
year,2027,provisional,县政府办公室通知
2027-10-01,holiday,国庆节
2027-10-04,holiday,国庆节
2027-10-09,workday,国庆节调休上班
`
	cal, err := task.ParseCalendar("county-2027.csv", strings.NewReader(file))
	if err != nil {
		fmt.Println(err)
		return
	}
	d, _ := task.ParseDate("2027-09-30")
	fmt.Println(cal.AddWorkingDays(d, 1), cal.AddWorkingDays(d, 2))

	_, err = task.ParseCalendar("county-2027.csv", strings.NewReader("year,2027,official\n2027-10-08,workday,调休\n"))
	fmt.Println(err)
	// Output:
	// 2027-10-05 2027-10-06
	// task: calendar county-2027.csv line 2: workday 2027-10-08 is a Friday, which is a working day anyway
}

func ExampleCalendar_AddWorkingDays() {
	cal := task.DefaultCalendar()
	for _, s := range []string{"2026-09-18", "2026-09-30", "2026-02-13"} {
		d, _ := task.ParseDate(s)
		fmt.Printf("%s (%s): 1 working day → %s, 2 → %s\n", d, d.Weekday(), cal.AddWorkingDays(d, 1), cal.AddWorkingDays(d, 2))
	}
	// Output:
	// 2026-09-18 (Friday): 1 working day → 2026-09-20, 2 → 2026-09-21
	// 2026-09-30 (Wednesday): 1 working day → 2026-10-08, 2 → 2026-10-09
	// 2026-02-13 (Friday): 1 working day → 2026-02-14, 2 → 2026-02-24
}

// A patch judged 合法 is seen again, bigger, in a later batch.
func ExampleTask_ShouldReopen() {
	t := &task.Task{State: task.Closed, Verdict: task.VerdictLegal}
	for _, newArea := range []float64{1080, 1150} {
		fmt.Println(newArea, t.ShouldReopen(1000, newArea, task.ReopenRule{}))
	}
	// Output:
	// 1080 false
	// 1150 true
}

func ExamplePriorityOf() {
	key, reason := task.PriorityOf(task.Patch{FarmlandM2: 2000}, task.Grade2)
	fmt.Println(key, reason)
	// Output:
	// 1099999980002 未占用永久基本农田；占用耕地3.00亩（2000平方米）；二级巡查区域
}
