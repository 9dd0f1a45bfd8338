package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/weipian/weipian/pipeline"
)

// TaskOptions are the per-kind retry and timeout settings of queued tasks.
type TaskOptions struct {
	MaxRetry int
	Timeout  time.Duration
}

// DefaultTaskOptions returns the defaults of a task kind: ingest reads and
// copies whole scenes, tile jobs (runs of up to 4 tiles) are short,
// finalize merges the whole scene.
func DefaultTaskOptions(kind string) TaskOptions {
	switch kind {
	case pipeline.JobIngest:
		return TaskOptions{MaxRetry: 3, Timeout: 2 * time.Hour}
	case pipeline.JobFinalize:
		return TaskOptions{MaxRetry: 5, Timeout: 2 * time.Hour}
	}
	return TaskOptions{MaxRetry: 5, Timeout: 20 * time.Minute}
}

// QueueFor returns the asynq queue of a task kind: one queue per stage, so
// that a deployment can run many small tile workers and a few large ones for
// ingest and finalize (whose memory grows with the scene).
func QueueFor(kind string) string {
	switch kind {
	case pipeline.JobIngest:
		return "weipian-ingest"
	case pipeline.JobFinalize:
		return "weipian-finalize"
	}
	return "weipian-tile"
}

// AllStages are the task kinds a worker serves by default.
var AllStages = []string{pipeline.JobIngest, pipeline.JobTile, pipeline.JobFinalize}

// AsynqQueue enqueues tasks on Redis through asynq, with the task's ID as
// asynq's TaskID so duplicates are refused. Safe for concurrent use; the
// caller closes it.
type AsynqQueue struct {
	Client *asynq.Client
	Opts   map[string]TaskOptions
}

var _ pipeline.Queue = (*AsynqQueue)(nil)

// Enqueue enqueues each task unless a task with its ID exists.
func (q *AsynqQueue) Enqueue(ctx context.Context, tasks ...pipeline.Job) error {
	for _, t := range tasks {
		payload, err := json.Marshal(t)
		if err != nil {
			return err
		}
		o := q.Opts[t.Kind]
		if o.MaxRetry == 0 && o.Timeout == 0 {
			o = DefaultTaskOptions(t.Kind)
		}
		_, err = q.Client.EnqueueContext(ctx, asynq.NewTask(t.Kind, payload),
			asynq.TaskID(t.ID()), asynq.Queue(QueueFor(t.Kind)), asynq.MaxRetry(o.MaxRetry), asynq.Timeout(o.Timeout))
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return fmt.Errorf("workers: enqueue %s: %w", t.ID(), err)
		}
	}
	return nil
}

// Handlers builds the asynq handlers: thin adapters that decode the payload,
// call the orchestrator and map its errors (invalid input: no retry; stale
// task: dropped; anything else: retried with backoff). The last failed
// attempt of a task fails its batch (see ErrorHandler).
func Handlers(o *pipeline.Orchestrator, m *Metrics, log *slog.Logger) *asynq.ServeMux {
	if log == nil {
		log = slog.Default()
	}
	mux := asynq.NewServeMux()
	h := func(ctx context.Context, at *asynq.Task) error {
		var t pipeline.Job
		if err := json.Unmarshal(at.Payload(), &t); err != nil || t.BatchID == "" || t.Kind != at.Type() {
			return fmt.Errorf("workers: bad %s payload %q: %w", at.Type(), at.Payload(), asynq.SkipRetry)
		}
		retry, _ := asynq.GetRetryCount(ctx)
		start := time.Now()
		err := o.Handle(ctx, t, retry > 0)
		m.observe(t.Kind, time.Since(start), err)
		switch {
		case err == nil, errors.Is(err, pipeline.ErrStale):
			return nil
		case errors.Is(err, pipeline.ErrInvalid):
			return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
		}
		return err
	}
	mux.HandleFunc(pipeline.JobIngest, h)
	mux.HandleFunc(pipeline.JobTile, h)
	mux.HandleFunc(pipeline.JobFinalize, h)
	mux.Use(func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			id, _ := asynq.GetTaskID(ctx)
			start := time.Now()
			err := next.ProcessTask(ctx, t)
			if err != nil {
				log.Warn("task error", "task", id, "err", err)
			} else {
				log.Debug("task done", "task", id, "seconds", time.Since(start).Seconds())
			}
			return err
		})
	})
	return mux
}

// ErrorHandler records tasks whose last retry failed (and tasks refused
// with SkipRetry for bad payloads) on their batch.
func ErrorHandler(o *pipeline.Orchestrator, m *Metrics, log *slog.Logger) asynq.ErrorHandler {
	if log == nil {
		log = slog.Default()
	}
	return asynq.ErrorHandlerFunc(func(ctx context.Context, at *asynq.Task, err error) {
		n, _ := asynq.GetRetryCount(ctx)
		max, _ := asynq.GetMaxRetry(ctx)
		if n < max && !errors.Is(err, asynq.SkipRetry) {
			return // will be retried
		}
		var t pipeline.Job
		if json.Unmarshal(at.Payload(), &t) != nil || t.BatchID == "" {
			return
		}
		m.failed(t.Kind)
		if errors.Is(err, pipeline.ErrInvalid) {
			return // the orchestrator already failed the batch
		}
		if ferr := o.Failed(ctx, t, err); ferr != nil {
			log.Error("record task failure", "task", t.ID(), "err", ferr)
		}
	})
}

// ServerConfig configures a worker.
type ServerConfig struct {
	Concurrency     int
	ShutdownTimeout time.Duration
	Log             *slog.Logger
	// Stages are the task kinds served (nil: all). Finalize and ingest get
	// priority over tiles so a batch's last step is not starved.
	Stages []string
}

// taskCheck is how often an idle worker looks for tasks (asynq's default is
// 1 s, with jitter ±50 %): each hop of a batch (ingest → tiles → finalize)
// would wait that long for an idle worker. At 200 ms an idle worker costs
// Redis five small scripts a second.
const taskCheck = 200 * time.Millisecond

// NewServer returns an asynq server for weipian's queue. Backoff grows
// exponentially from 2 s to about a minute.
func NewServer(redis asynq.RedisConnOpt, o *pipeline.Orchestrator, m *Metrics, cfg ServerConfig) *asynq.Server {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	stages := cfg.Stages
	if len(stages) == 0 {
		stages = AllStages
	}
	queues := map[string]int{}
	for _, k := range stages {
		prio := 1
		if k != pipeline.JobTile {
			prio = 3
		}
		queues[QueueFor(k)] = prio
	}
	return asynq.NewServer(redis, asynq.Config{
		Concurrency:       cfg.Concurrency,
		Queues:            queues,
		ShutdownTimeout:   cfg.ShutdownTimeout,
		TaskCheckInterval: taskCheck,
		ErrorHandler:      ErrorHandler(o, m, log),
		RetryDelayFunc: func(n int, err error, t *asynq.Task) time.Duration {
			d := 2 * time.Second << min(n, 5)
			return d
		},
		Logger:   slogAsynq{log},
		LogLevel: asynq.WarnLevel,
	})
}

// slogAsynq adapts slog to asynq's logger.
type slogAsynq struct{ l *slog.Logger }

func (s slogAsynq) Debug(args ...any) { s.l.Debug(fmt.Sprint(args...)) }
func (s slogAsynq) Info(args ...any)  { s.l.Info(fmt.Sprint(args...)) }
func (s slogAsynq) Warn(args ...any)  { s.l.Warn(fmt.Sprint(args...)) }
func (s slogAsynq) Error(args ...any) { s.l.Error(fmt.Sprint(args...)) }
func (s slogAsynq) Fatal(args ...any) { s.l.Error(fmt.Sprint(args...)) }
