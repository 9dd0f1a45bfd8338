package app

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/task"
	"github.com/weipian/weipian/store"
)

// FindingsRequest fills in a task's verification form (核查填报); nil
// fields are left as they are.
type FindingsRequest struct {
	Opinion           *string  `json:"opinion,omitempty"`            // 核实认定意见
	Description       *string  `json:"description,omitempty"`        // 现场核查描述
	ProjectName       *string  `json:"project_name,omitempty"`       // 项目名称
	ProjectOwner      *string  `json:"project_owner,omitempty"`      // 项目主体
	BuiltAt           *string  `json:"built_at,omitempty"`           // 建设时间 YYYY-MM[-DD]
	ApprovalAuthority *string  `json:"approval_authority,omitempty"` // 批准机关
	ApprovalDate      *string  `json:"approval_date,omitempty"`      // 批准时间
	ApprovedAreaM2    *float64 `json:"approved_area_m2,omitempty"`   // 批准面积
	IllegalAreaM2     *float64 `json:"illegal_area_m2,omitempty"`    // 违法面积 WFMJ
	Inspectors        *string  `json:"inspectors,omitempty"`         // 核查人员
	InspectedAt       *string  `json:"inspected_at,omitempty"`       // 核查时间
}

// FindingsView is a task's verification form.
type FindingsView struct {
	Opinion           string  `json:"opinion"`
	Description       string  `json:"description"`
	ProjectName       string  `json:"project_name"`
	ProjectOwner      string  `json:"project_owner"`
	BuiltAt           string  `json:"built_at"`
	ApprovalAuthority string  `json:"approval_authority"`
	ApprovalDate      string  `json:"approval_date"`
	ApprovedAreaM2    float64 `json:"approved_area_m2"`
	IllegalAreaM2     float64 `json:"illegal_area_m2"`
	Inspectors        string  `json:"inspectors"`
	InspectedAt       string  `json:"inspected_at"`
	UpdatedBy         string  `json:"updated_by"`
}

func findingsView(f *task.Findings) *FindingsView {
	if f == nil {
		return nil
	}
	return &FindingsView{Opinion: f.Opinion, Description: f.Description, ProjectName: f.ProjectName, ProjectOwner: f.ProjectOwner,
		BuiltAt: f.BuiltAt, ApprovalAuthority: f.ApprovalAuthority, ApprovalDate: f.ApprovalDate, ApprovedAreaM2: f.ApprovedAreaM2,
		IllegalAreaM2: f.IllegalAreaM2, Inspectors: f.Inspectors, InspectedAt: f.InspectedAt, UpdatedBy: f.UpdatedBy}
}

// Opinions are the usual 核实认定意见 (others are accepted as written).
var Opinions = []string{"合法", "非农违法", "非粮违法", "伪变化", "实地为设施农用地", "农村道路", "其他"}

var month = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}$`)

// SetFindings fills in a task's verification form. Patrol members fill
// their own team's; the task must have been started (核查中 or later) and
// not be closed.
func (a *App) SetFindings(ctx context.Context, p Principal, id string, req FindingsRequest) (TaskView, error) {
	var out TaskView
	err := a.audited(ctx, p, "task.findings", id, func() (string, error) {
		if err := p.authorize(ActTaskTransition); err != nil {
			return "", err
		}
		for name, v := range map[string]*string{"opinion": req.Opinion, "description": req.Description, "project_name": req.ProjectName,
			"project_owner": req.ProjectOwner, "approval_authority": req.ApprovalAuthority, "inspectors": req.Inspectors} {
			if v != nil && len([]rune(*v)) > 2000 {
				return "", invalid("%s 过长（at most 2000 characters）", name)
			}
		}
		for name, v := range map[string]*string{"approval_date": req.ApprovalDate, "inspected_at": req.InspectedAt, "built_at": req.BuiltAt} {
			if v == nil || *v == "" {
				continue
			}
			if name == "built_at" && month.MatchString(*v) {
				continue
			}
			d, err := pipeline.ParseZoneDate(*v)
			if err != nil {
				return "", invalid("%s %q：不是有效日期（如 2026-05-01）", name, *v)
			}
			*v = d
		}
		for name, v := range map[string]*float64{"approved_area_m2": req.ApprovedAreaM2, "illegal_area_m2": req.IllegalAreaM2} {
			if v != nil && (*v < 0 || math.IsNaN(*v) || math.IsInf(*v, 0) || *v > 1e9) {
				return "", invalid("%s %v：应为非负的平方米数", name, *v)
			}
		}
		cur, err := a.loadTask(ctx, p, id)
		if err != nil {
			return "", err
		}
		t, err := a.store.UpdateTask(ctx, cur.ID, func(t *task.Task) error {
			if team, scoped := p.TeamScope(); scoped && t.Team != team {
				return ErrForbidden
			}
			if t.State == task.Pending {
				return errorf(KindConflict, "任务 %s 尚未开始核查：请先转为核查中", t.JCBH)
			}
			if t.State == task.Closed && !p.Can(ActTaskReview) {
				return errorf(KindConflict, "任务 %s 已办结", t.JCBH)
			}
			f := task.Findings{}
			if t.Findings != nil {
				f = *t.Findings
			}
			set := func(dst *string, v *string) {
				if v != nil {
					*dst = strings.TrimSpace(*v)
				}
			}
			set(&f.Opinion, req.Opinion)
			set(&f.Description, req.Description)
			set(&f.ProjectName, req.ProjectName)
			set(&f.ProjectOwner, req.ProjectOwner)
			set(&f.BuiltAt, req.BuiltAt)
			set(&f.ApprovalAuthority, req.ApprovalAuthority)
			set(&f.ApprovalDate, req.ApprovalDate)
			set(&f.Inspectors, req.Inspectors)
			set(&f.InspectedAt, req.InspectedAt)
			if req.ApprovedAreaM2 != nil {
				f.ApprovedAreaM2 = *req.ApprovedAreaM2
			}
			if req.IllegalAreaM2 != nil {
				f.IllegalAreaM2 = *req.IllegalAreaM2
			}
			f.UpdatedBy, f.UpdatedAt = p.Actor(), a.now().UTC()
			t.Findings = &f
			return nil
		}, store.FormatTime(a.now()))
		if err != nil {
			return "", err
		}
		out = taskView(t, 0, "", a.today())
		return fmt.Sprintf("opinion=%s", t.Findings.Opinion), nil
	})
	return out, err
}
