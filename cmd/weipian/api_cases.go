package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/weipian/weipian/export"
	"github.com/weipian/weipian/pipeline/task"
	"github.com/weipian/weipian/store"
)

// casesAPI adds the 图斑, task and zone endpoints to mux: the same
// operations as the tuban, tasks and zones commands.
func (a *app) casesAPI(mux *http.ServeMux, s *system) {
	mux.HandleFunc("GET /zones", func(w http.ResponseWriter, r *http.Request) {
		v, err := s.store.ActiveZoneVersions(r.Context())
		if err != nil {
			httpError(w, statusOf(err), err)
			return
		}
		out := map[string]int{}
		for k, n := range v {
			out[k.String()] = n
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /batches/{id}/tubans", func(w http.ResponseWriter, r *http.Request) {
		ts, err := s.store.TubansOfBatch(r.Context(), r.PathValue("id"))
		if err != nil {
			httpError(w, statusOf(err), err)
			return
		}
		writeJSON(w, http.StatusOK, ts)
	})
	mux.HandleFunc("GET /tubans/{id}", func(w http.ResponseWriter, r *http.Request) {
		t, err := s.store.Tuban(r.Context(), r.PathValue("id"))
		if err != nil {
			httpError(w, statusOf(err), err)
			return
		}
		writeJSON(w, http.StatusOK, t)
	})
	filter := func(r *http.Request) (store.TaskFilter, error) {
		q := r.URL.Query()
		f := store.TaskFilter{Team: q.Get("team"), BatchID: q.Get("batch")}
		if st := q.Get("state"); st != "" {
			s, err := task.ParseState(st)
			if err != nil {
				return f, err
			}
			f.State = string(s)
		}
		return f, nil
	}
	mux.HandleFunc("GET /tasks", func(w http.ResponseWriter, r *http.Request) {
		f, err := filter(r)
		if err != nil {
			httpError(w, http.StatusBadRequest, err)
			return
		}
		ts, err := s.store.Tasks(r.Context(), f)
		if err != nil {
			httpError(w, statusOf(err), err)
			return
		}
		writeJSON(w, http.StatusOK, ts)
	})
	mux.HandleFunc("GET /tasks/{id}", func(w http.ResponseWriter, r *http.Request) {
		t, err := s.store.Task(r.Context(), r.PathValue("id"))
		if err != nil {
			httpError(w, statusOf(err), err)
			return
		}
		tb, err := s.store.Tuban(r.Context(), t.TubanID)
		if err != nil {
			httpError(w, statusOf(err), err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"task": t, "tuban": tb})
	})
	// POST /tasks/{id}/transitions {"to":"已核查","by":"张三","reason":"…","verdict":"违法","type":"违法占地",…}
	mux.HandleFunc("POST /tasks/{id}/transitions", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			To, By, Reason, Verdict, Type, Approval, Rectification, CaseNo string
		}
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			httpError(w, http.StatusBadRequest, fmt.Errorf("request body: want {to, by, reason, verdict, type, approval, rectification, caseno}: %w", err))
			return
		}
		tr, err := transitionOf(req.To, req.By, req.Reason, req.Verdict, req.Type, req.Approval, req.Rectification, req.CaseNo)
		if err != nil {
			httpError(w, http.StatusBadRequest, err)
			return
		}
		t, err := s.store.Task(r.Context(), r.PathValue("id"))
		if err != nil {
			httpError(w, statusOf(err), err)
			return
		}
		t, err = s.cases.Transition(r.Context(), t.ID, tr)
		if err != nil {
			var te *task.TransitionError
			code := statusOf(err)
			if errors.As(err, &te) || errors.Is(err, task.ErrInvalid) {
				code = http.StatusConflict
			}
			httpError(w, code, err)
			return
		}
		writeJSON(w, http.StatusOK, t)
	})
	// POST /tasks/{id}/evidence?by=张三&name=IMG_0001.jpg with the photo as the body
	mux.HandleFunc("POST /tasks/{id}/evidence", func(w http.ResponseWriter, r *http.Request) {
		by, name := r.URL.Query().Get("by"), r.URL.Query().Get("name")
		if by == "" || name == "" {
			httpError(w, http.StatusBadRequest, errors.New("want ?by=…&name=… and the photo (JPEG) as the body"))
			return
		}
		data, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		if err != nil {
			httpError(w, http.StatusBadRequest, err)
			return
		}
		f, t, err := s.cases.AddEvidence(r.Context(), s.blobs, r.PathValue("id"), name, data, by)
		if err != nil {
			httpError(w, statusOf(err), err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"finding": f, "summary": f.Summary(), "task": t})
	})
	// GET /tasks/export?team=…&format=zip|xlsx|kml|gpx|geojson
	mux.HandleFunc("GET /export/tasks", func(w http.ResponseWriter, r *http.Request) {
		f, err := filter(r)
		if err != nil {
			httpError(w, http.StatusBadRequest, err)
			return
		}
		format := r.URL.Query().Get("format")
		if format == "" {
			format = "zip"
		}
		write, ctype := map[string]func(io.Writer, []export.Row, ...export.Option) error{
			"geojson": export.GeoJSON, "kml": export.KML, "gpx": export.GPX, "xlsx": export.XLSX, "zip": export.Bundle,
		}[format], map[string]string{"geojson": "application/geo+json", "kml": "application/vnd.google-earth.kml+xml",
			"gpx": "application/gpx+xml", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "zip": "application/zip"}[format]
		if write == nil {
			httpError(w, http.StatusBadRequest, fmt.Errorf("format %q: want zip, xlsx, kml, gpx or geojson", format))
			return
		}
		ts, err := s.store.Tasks(r.Context(), f)
		if err != nil {
			httpError(w, statusOf(err), err)
			return
		}
		rows, err := s.cases.Rows(r.Context(), ts)
		if err == nil && (format == "zip" || r.URL.Query().Get("chips") == "1") {
			err = s.addChips(r.Context(), ts, rows)
		}
		if err != nil {
			httpError(w, statusOf(err), err)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="tasks.%s"`, format))
		if err := write(w, rows, export.WithDate(time.Now().In(task.ChinaTime()).Format("2006-01-02"))); err != nil {
			a.log.Warn("export", "err", err)
		}
	})
}

// transitionOf builds a task transition from its text fields.
func transitionOf(to, by, reason, verdict, vtype, approval, rect, caseNo string) (task.Transition, error) {
	if to == "" || by == "" {
		return task.Transition{}, errors.New("a transition needs to (the new state) and by (who)")
	}
	st, err := task.ParseState(to)
	if err != nil {
		return task.Transition{}, err
	}
	tr := task.Transition{To: st, Actor: by, Reason: reason, ApprovalNo: approval, CaseNo: caseNo}
	if verdict != "" {
		if tr.Verdict, err = task.ParseVerdict(verdict); err != nil {
			return tr, err
		}
	}
	if vtype != "" {
		if tr.ViolationType, err = task.ParseViolationType(vtype); err != nil {
			return tr, err
		}
	}
	if rect != "" {
		if tr.Rectification, err = task.ParseRectification(rect); err != nil {
			return tr, err
		}
	}
	return tr, nil
}
