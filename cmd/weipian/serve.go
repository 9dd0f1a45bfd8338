package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/weipian/weipian/detect"
	"github.com/weipian/weipian/pipeline"
)

func (a *app) serveCmd() *cobra.Command {
	var cfg config
	var listen string
	cmd := &cobra.Command{
		Use:   "serve --listen :8080",
		Short: "Serve the HTTP API (batches, patches, /metrics); in the embedded mode it also runs the batches",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := a.open(ctx, cfg)
			if err != nil {
				return err
			}
			defer s.close()
			if s.inproc != nil {
				tasks, err := s.orch.Unfinished(ctx)
				if err != nil {
					return err
				}
				if len(tasks) > 0 {
					a.log.Info("resuming unfinished batches", "tasks", len(tasks))
				}
				s.inproc.EnqueueRetry(ctx, tasks...)
				go s.inproc.Run(ctx, false)
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: a.api(s), ReadHeaderTimeout: 10 * time.Second}
			go func() {
				<-ctx.Done()
				sctx, cancel := context2s()
				defer cancel()
				srv.Shutdown(sctx)
			}()
			a.log.Info("serving", "addr", ln.Addr().String(), "distributed", s.distributed())
			fmt.Fprintf(a.stdout, "listening on %s\n", ln.Addr())
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cfg.flags(cmd)
	cmd.Flags().StringVar(&listen, "listen", ":8080", "address to listen on")
	return cmd
}

// api returns the HTTP API.
func (a *app) api(s *system) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.store.Ping(r.Context()); err != nil {
			httpError(w, http.StatusServiceUnavailable, err)
			return
		}
		w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	a.casesAPI(mux, s)
	mux.HandleFunc("POST /batches", func(w http.ResponseWriter, r *http.Request) {
		var spec pipeline.BatchSpec
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&spec); err != nil {
			httpError(w, http.StatusBadRequest, fmt.Errorf("request body: want a JSON batch spec {name, before, after, region, …}: %w", err))
			return
		}
		if spec.Region != "" && !isXZQDM(spec.Region) {
			httpError(w, http.StatusBadRequest, fmt.Errorf("region %q: want a 6-digit administrative code (XZQDM)", spec.Region))
			return
		}
		var versions []string
		for _, in := range []string{spec.Before, spec.After} {
			if in == "" {
				continue
			}
			v, err := s.version(r.Context(), in)
			if err != nil {
				httpError(w, statusOf(err), err)
				return
			}
			versions = append(versions, v)
		}
		b, created, err := s.orch.Submit(r.Context(), spec, versions...)
		if err != nil {
			httpError(w, statusOf(err), err)
			return
		}
		code := http.StatusOK
		if created {
			code = http.StatusCreated
		}
		writeJSON(w, code, b)
	})
	mux.HandleFunc("GET /batches", func(w http.ResponseWriter, r *http.Request) {
		limit := 100
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 10000 {
				httpError(w, http.StatusBadRequest, fmt.Errorf("limit %q: want 1..10000", v))
				return
			}
			limit = n
		}
		bs, err := s.store.ListBatches(r.Context(), limit)
		if err != nil {
			httpError(w, statusOf(err), err)
			return
		}
		writeJSON(w, http.StatusOK, bs)
	})
	mux.HandleFunc("GET /batches/{id}", func(w http.ResponseWriter, r *http.Request) {
		b, err := s.store.GetBatch(r.Context(), r.PathValue("id"))
		if err != nil {
			httpError(w, statusOf(err), err)
			return
		}
		tiles, err := s.store.Tiles(r.Context(), b.ID)
		if err != nil {
			httpError(w, statusOf(err), err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"batch": b, "failed_tiles": failedTiles(tiles), "progress": progressLine(b, time.Now())})
	})
	mux.HandleFunc("POST /batches/{id}/cancel", func(w http.ResponseWriter, r *http.Request) {
		ok, err := s.orch.Cancel(r.Context(), r.PathValue("id"))
		if err != nil {
			httpError(w, statusOf(err), err)
			return
		}
		if !ok {
			httpError(w, http.StatusConflict, errors.New("the batch has already ended"))
			return
		}
		b, _ := s.store.GetBatch(r.Context(), r.PathValue("id"))
		writeJSON(w, http.StatusOK, b)
	})
	mux.HandleFunc("GET /batches/{id}/patches", func(w http.ResponseWriter, r *http.Request) {
		ps, err := s.store.Patches(r.Context(), r.PathValue("id"))
		if err != nil {
			httpError(w, statusOf(err), err)
			return
		}
		w.Header().Set("Content-Type", "application/geo+json")
		if err := pipeline.WritePatchesGeoJSON(w, ps); err != nil {
			slog.Warn("write patches", "err", err)
		}
	})
	mux.HandleFunc("GET /batches/{id}/outputs/{name}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if name != "patches.geojson" && name != "patches.gpkg" && name != "summary.json" {
			httpError(w, http.StatusNotFound, fmt.Errorf("no output %q (patches.geojson, patches.gpkg, summary.json)", name))
			return
		}
		rd, err := s.blobs.Get(r.Context(), detect.OutputKey(r.PathValue("id"), name))
		if err != nil {
			httpError(w, statusOf(err), err)
			return
		}
		defer rd.Close()
		io.Copy(w, rd)
	})
	return mux
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, pipeline.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, pipeline.ErrInvalid):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

func httpError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func context2s() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}
