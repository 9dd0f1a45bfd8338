package app

import (
	"context"
	"time"

	"github.com/weipian/weipian/store"
)

// outcomeOf is an audit outcome: ok, refused (the caller's fault: access,
// invalid input, conflicts) or failed (the system's).
func outcomeOf(err error) string {
	if err == nil {
		return "ok"
	}
	if KindOf(err) == KindInternal || KindOf(err) == KindBusy {
		return "failed"
	}
	return "refused"
}

// audit appends a record to the audit log. A failure to record is logged:
// the use case it records has already happened.
func (a *App) audit(ctx context.Context, p Principal, action, target, outcome, detail string) {
	if len(detail) > 2000 {
		detail = detail[:2000]
	}
	r := store.AuditRecord{At: a.now(), Actor: p.User, Source: p.Source, Addr: p.Addr, Action: action, Target: target, Outcome: outcome, Detail: detail}
	if r.Source == "" {
		r.Source = "cli"
	}
	if err := a.store.AppendAudit(context.WithoutCancel(ctx), r); err != nil {
		a.log.Error("audit log", "action", action, "target", target, "err", err)
	}
}

// audited runs a changing use case and records it, with its outcome, in
// the audit log. fn returns a detail for the record.
func (a *App) audited(ctx context.Context, p Principal, action, target string, fn func() (string, error)) error {
	detail, err := fn()
	if err != nil {
		detail = PublicMessage(err)
	}
	a.audit(ctx, p, action, target, outcomeOf(err), detail)
	return err
}

// AuditRecord is one line of the audit log: who, what, when, from where.
type AuditRecord struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Source  string    `json:"source"`
	Addr    string    `json:"addr"`
	Action  string    `json:"action"`
	Target  string    `json:"target"`
	Outcome string    `json:"outcome"`
	Detail  string    `json:"detail"`
}

// AuditQuery selects audit records.
type AuditQuery struct {
	Actor, Action string
	Since         time.Time
	Page
}

// Audit lists the audit log, newest first (admins only).
func (a *App) Audit(ctx context.Context, p Principal, q AuditQuery) (List[AuditRecord], error) {
	if err := p.authorize(ActAuditRead); err != nil {
		return List[AuditRecord]{}, err
	}
	pg, err := q.Page.norm()
	if err != nil {
		return List[AuditRecord]{}, err
	}
	rs, total, err := a.store.Audit(ctx, store.AuditFilter{Actor: q.Actor, Action: q.Action, Since: q.Since, Limit: pg.Limit, Offset: pg.Offset})
	if err != nil {
		return List[AuditRecord]{}, err
	}
	out := List[AuditRecord]{Items: make([]AuditRecord, 0, len(rs)), Total: total, Limit: pg.Limit, Offset: pg.Offset}
	for _, r := range rs {
		out.Items = append(out.Items, AuditRecord(r))
	}
	return out, nil
}

// Page is a page of a list: at most Limit items (default 100, at most
// 1000) after skipping Offset.
type Page struct {
	Limit, Offset int
}

// MaxPageLimit is the largest page.
const MaxPageLimit = 1000

func (p Page) norm() (Page, error) {
	if p.Limit == 0 {
		p.Limit = 100
	}
	if p.Limit < 0 || p.Limit > MaxPageLimit {
		return p, invalid("limit %d：应为 1–%d", p.Limit, MaxPageLimit)
	}
	if p.Offset < 0 {
		return p, invalid("offset %d：不能为负", p.Offset)
	}
	return p, nil
}

// List is a page of a list and the number of items in all.
type List[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// paginate returns the page of items.
func paginate[T any](items []T, p Page) List[T] {
	out := List[T]{Total: len(items), Limit: p.Limit, Offset: p.Offset}
	lo := min(p.Offset, len(items))
	hi := min(lo+p.Limit, len(items))
	out.Items = append(make([]T, 0, hi-lo), items[lo:hi]...)
	return out
}
