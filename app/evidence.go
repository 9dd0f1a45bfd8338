package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/evidence"
	"github.com/weipian/weipian/pipeline/task"
	"github.com/weipian/weipian/store"
)

// MaxPhotoDistanceM is how far from its 图斑 a field photo may be taken
// before it is flagged.
const MaxPhotoDistanceM = 200

// EvidenceUpload gathers the photos of one evidence upload in a scratch
// directory, then stores them all or none (Commit). Access is checked when
// it is created, before any byte of a photo is read. It is not safe for
// concurrent use; Close removes the scratch files.
type EvidenceUpload struct {
	a      *App
	p      Principal
	task   *task.Task
	dir    string
	photos []stagedPhoto
	size   int64
	kind   string
}

// SetKind files the photos as 人工举证照片 ("manual", the default) or
// 无人机举证照片 ("drone"); codes or zh-CN names.
func (u *EvidenceUpload) SetKind(k string) error {
	switch strings.TrimSpace(k) {
	case "", task.EvidenceManual, "人工", "人工举证照片":
		u.kind = task.EvidenceManual
	case task.EvidenceDrone, "无人机", "无人机举证照片":
		u.kind = task.EvidenceDrone
	default:
		return invalid("照片类型 %q：应为 manual（人工举证照片）或 drone（无人机举证照片）", k)
	}
	return nil
}

type stagedPhoto struct {
	name, path string
	size       int64
}

// NewEvidenceUpload starts an evidence upload for a task the principal may
// add evidence to. The caller must Close it.
func (a *App) NewEvidenceUpload(ctx context.Context, p Principal, taskID string) (*EvidenceUpload, error) {
	if err := p.authorize(ActEvidenceAdd); err != nil {
		a.audit(ctx, p, "evidence.add", taskID, outcomeOf(err), PublicMessage(err))
		return nil, err
	}
	t, err := a.loadTask(ctx, p, taskID)
	if err != nil {
		a.audit(ctx, p, "evidence.add", taskID, outcomeOf(err), PublicMessage(err))
		return nil, err
	}
	if t.State == task.Pending || t.State == task.Closed {
		err := errorf(KindConflict, "任务 %s 状态为%s：请先开始核查（核查中）再上传举证照片", t.JCBH, t.State.Label())
		a.audit(ctx, p, "evidence.add", taskID, "refused", err.Message)
		return nil, err
	}
	dir, err := os.MkdirTemp("", "weipian-evidence-")
	if err != nil {
		return nil, err
	}
	return &EvidenceUpload{a: a, p: p, task: t, dir: dir}, nil
}

// Close removes the scratch files.
func (u *EvidenceUpload) Close() error { return os.RemoveAll(u.dir) }

// cleanName keeps the base name of an uploaded file, valid UTF-8, at most
// 100 characters.
func cleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	if !utf8.ValidString(name) || name == "." || name == "/" || name == "" {
		name = "photo.jpg"
	}
	if r := []rune(name); len(r) > 100 {
		name = string(r[len(r)-100:])
	}
	return name
}

// Add reads one photo to the scratch directory. A photo above the size
// limit, or one photo too many, is KindTooLarge; the upload is then refused
// whole.
func (u *EvidenceUpload) Add(name string, r io.Reader) error {
	limit := u.a.cfg.EvidenceMaxBytes
	if len(u.photos) >= u.a.cfg.EvidenceMaxFiles {
		return errorf(KindTooLarge, "一次最多上传 %d 张照片（too many files）", u.a.cfg.EvidenceMaxFiles)
	}
	name = cleanName(name)
	f, err := os.CreateTemp(u.dir, "photo-*")
	if err != nil {
		return err
	}
	n, err := evidence.Spool(name, f, r, evidence.WithMaxBytes(limit))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, evidence.ErrTooLarge) {
		return tooLarge(name, limit)
	}
	if err != nil {
		return fmt.Errorf("read photo %s: %w", name, err)
	}
	if n == 0 {
		return invalid("照片 %s 是空文件", name)
	}
	u.photos = append(u.photos, stagedPhoto{name: name, path: f.Name(), size: n})
	u.size += n
	return nil
}

func tooLarge(name string, limit int64) *Error {
	return errorf(KindTooLarge, "照片 %s 超过大小上限 %d MiB（too large）", name, limit>>20)
}

// EvidenceResult is the check of one stored photo.
type EvidenceResult struct {
	Name     string       `json:"name"`
	Summary  string       `json:"summary"`
	OK       bool         `json:"ok"`
	Evidence EvidenceView `json:"evidence"`
}

// Commit checks every photo (JPEG, EXIF position, direction and time
// against the 图斑) and, when all can be read, stores them and lists them on
// the task in one step. A photo that cannot be read refuses the whole
// upload; nothing is stored. Photos without GPS are stored but flagged.
func (u *EvidenceUpload) Commit(ctx context.Context) ([]EvidenceResult, TaskView, error) {
	a, p := u.a, u.p
	var results []EvidenceResult
	var view TaskView
	err := a.audited(ctx, p, "evidence.add", u.task.ID, func() (string, error) {
		if len(u.photos) == 0 {
			return "", invalid("没有照片（want one or more JPEG photos）")
		}
		tb, err := a.store.Tuban(ctx, u.task.TubanID)
		if err != nil {
			return "", wrapNotFound(err, "图斑", u.task.TubanID)
		}
		var evs []task.Evidence
		var keys []string
		for _, ph := range u.photos {
			info, err := parsePhoto(ph, a.cfg.EvidenceMaxBytes)
			if err != nil {
				return "", &Error{Kind: KindInvalid, Message: fmt.Sprintf("照片 %s 无法读取：%s；本次上传的照片均未保存", ph.name, clean(err.Error())), err: err}
			}
			f := evidence.Check(info, orb.Point{tb.CenterLon, tb.CenterLat}, tb.Geometry, MaxPhotoDistanceM)
			e := f.Evidence(p.Actor(), a.now())
			e.Name = ph.name
			if u.kind == task.EvidenceDrone {
				e.Kind = task.EvidenceDrone
			}
			e.Key = fmt.Sprintf("evidence/%s/%s%s", u.task.ID, info.SHA256, strings.ToLower(filepath.Ext(ph.name)))
			evs = append(evs, e)
			results = append(results, EvidenceResult{Name: ph.name, Summary: f.Summary(), OK: f.OK(), Evidence: evidenceView(e)})
		}
		// Store the photos, then list them on the task; if the task
		// refuses them, remove what was stored.
		var stored []string
		undo := func() {
			for _, k := range stored {
				if err := a.blobs.Delete(context.WithoutCancel(ctx), k); err != nil {
					a.log.Error("remove refused evidence", "key", k, "err", err)
				}
			}
		}
		existing := map[string]bool{}
		for _, e := range u.task.Evidence {
			existing[e.SHA256] = true
		}
		for i, ph := range u.photos {
			k := evs[i].Key
			if existing[evs[i].SHA256] {
				continue // already stored with the task
			}
			f, err := os.Open(ph.path)
			if err != nil {
				undo()
				return "", err
			}
			err = a.blobs.Put(ctx, k, f, ph.size)
			f.Close()
			if err != nil {
				undo()
				return "", err
			}
			stored = append(stored, k)
			keys = append(keys, k)
		}
		t, err := a.store.UpdateTask(ctx, u.task.ID, func(t *task.Task) error {
			if team, scoped := p.TeamScope(); scoped && t.Team != team {
				return ErrForbidden
			}
			for _, e := range evs {
				if err := t.AddEvidence(e); err != nil {
					return &Error{Kind: KindConflict, Message: clean(err.Error()), err: err}
				}
			}
			return nil
		}, store.FormatTime(a.now()))
		if err != nil {
			undo()
			return "", err
		}
		view = taskView(t, 0, "", a.today())
		return fmt.Sprintf("%d photos (%d new): %s", len(evs), len(keys), strings.Join(keys, ", ")), nil
	})
	return results, view, err
}

// parsePhoto reads a staged photo's EXIF, streaming (the whole file is
// never in memory).
func parsePhoto(ph stagedPhoto, limit int64) (evidence.Info, error) {
	f, err := os.Open(ph.path)
	if err != nil {
		return evidence.Info{}, err
	}
	defer f.Close()
	return evidence.ParseReaderAt(ph.name, f, ph.size, evidence.WithMaxBytes(limit))
}

// OpenEvidence opens a stored photo of a task the principal may see; the
// caller closes it.
func (a *App) OpenEvidence(ctx context.Context, p Principal, taskID, sha string) (io.ReadCloser, string, error) {
	t, err := a.loadTask(ctx, p, taskID)
	if err != nil {
		return nil, "", err
	}
	for _, e := range t.Evidence {
		if e.SHA256 == sha {
			r, err := a.blobs.Get(ctx, evidenceKey(e))
			if err != nil {
				return nil, "", wrapNotFound(err, "照片", sha)
			}
			return r, e.Name, nil
		}
	}
	return nil, "", notFound("照片", sha, errors.New("no such evidence"))
}

// evidenceKey is the object key of a stored photo.
func evidenceKey(e task.Evidence) string {
	if e.Key != "" {
		return e.Key
	}
	return e.Name
}
