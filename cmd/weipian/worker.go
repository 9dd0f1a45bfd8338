package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/workers"
)

func (a *cli) workerCmd() *cobra.Command {
	var concurrency int
	var metrics, stages string
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a distributed worker: process queued ingest, tile and finalize jobs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.cfg.Redis == "" {
				return usageError{errors.New("worker needs --redis (WEIPIAN_REDIS); the embedded mode runs batches in 'batch submit'")}
			}
			if concurrency < 1 || concurrency > 256 {
				return usageError{fmt.Errorf("--concurrency %d: want 1..256", concurrency)}
			}
			var kinds []string
			for _, st := range splitBands(stages) {
				switch st {
				case "ingest", "tile", "finalize":
					kinds = append(kinds, map[string]string{"ingest": pipeline.JobIngest, "tile": pipeline.JobTile, "finalize": pipeline.JobFinalize}[st])
				default:
					return usageError{fmt.Errorf("--stages %q: want a comma-separated subset of ingest,tile,finalize", stages)}
				}
			}
			ctx := cmd.Context()
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			if metrics != "" {
				ln, err := net.Listen("tcp", metrics)
				if err != nil {
					return err
				}
				mux := http.NewServeMux()
				mux.Handle("/metrics", promhttp.HandlerFor(s.Registry(), promhttp.HandlerOpts{}))
				srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
				go srv.Serve(ln)
				defer srv.Close()
				a.log.Info("metrics", "addr", ln.Addr().String())
			}
			orch := s.Orchestrator()
			srv := workers.NewServer(asynq.RedisClientOpt{Addr: a.cfg.Redis}, orch, s.Metrics(),
				workers.ServerConfig{Concurrency: concurrency, ShutdownTimeout: 30 * time.Second, Log: a.log, Stages: kinds})
			if err := srv.Start(workers.Handlers(orch, s.Metrics(), a.log)); err != nil {
				return err
			}
			a.log.Info("worker started", "concurrency", concurrency, "redis", a.cfg.Redis)
			<-ctx.Done()
			srv.Shutdown()
			return nil
		},
	}
	cmd.Flags().IntVar(&concurrency, "concurrency", 1, "jobs processed at once")
	cmd.Flags().StringVar(&metrics, "metrics-listen", "", "serve Prometheus /metrics on this address")
	cmd.Flags().StringVar(&stages, "stages", "ingest,tile,finalize", "stages this worker serves (e.g. tile for a small tile worker)")
	return cmd
}
