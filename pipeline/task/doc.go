// Package task is the life cycle of a verification task (核查任务): one task
// per suspected-illegal change patch (疑似违法图斑), assigned to the patrol
// team that owns the ground, from 待核查 through the field verdict (判定) to
// 已办结.
//
// The package is pure domain: it imports only the standard library (plus orb
// and gonum, which it does not need today), does no I/O and reads no clock.
// Every time comes in as an argument, so the caller injects "now"; every
// deadline is a civil Date in China Standard Time (Asia/Shanghai, UTC+8, no
// daylight saving since 1991), computed from a Calendar of public holidays
// and make-up working days (调休上班).
//
// The main pieces:
//
//   - Rules holds the configurable deadlines (patrol intervals per grade, 制止
//     within 1 working day, 报告 within 2 working days) and the holiday
//     Calendar; Rules.NewTask creates a task from a Patch and its patrol Zone,
//     and Rules.Apply moves it along and keeps its deadlines up to date.
//   - Task.Apply is the state machine itself: it checks a Transition against
//     the table returned by Edges and the fields the verdict needs, and either
//     records it or refuses it without changing the task.
//   - PriorityOf orders tasks: 永久基本农田 first, then 耕地 area, then patrol
//     grade, with a reason in Chinese.
//   - ParseCalendar reads a holiday calendar file; DefaultCalendar is the
//     embedded 2025–2026 national calendar of the 国务院办公厅 notices.
//
// Values of this package are plain data; a Task is not safe for concurrent
// mutation, a Calendar and Rules are read-only after construction and safe
// for concurrent use.
package task
