package workers

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/weipian/weipian/pipeline"
)

// InProcess is the embedded mode's executor: a task queue served by
// goroutines in this process, with the same retry rules as the distributed
// workers. Tasks are deduplicated by ID while pending or running. Safe for
// concurrent use; Run serves until its context ends or, with Drain, until
// the queue is empty.
type InProcess struct {
	// Handle runs a task (pipeline.Orchestrator.Handle); Failed records a
	// task that failed for good (pipeline.Orchestrator.Failed).
	Handle func(ctx context.Context, t pipeline.Job, retry bool) error
	Failed func(ctx context.Context, t pipeline.Job, err error) error
	// Concurrency is the number of goroutines (0: 2).
	Concurrency int
	// MaxRetry is how many times a transiently failing task is retried (0: 3).
	MaxRetry int
	// Backoff is the delay before retry n (nil: 100 ms · n).
	Backoff func(n int) time.Duration
	Metrics *Metrics
	Log     *slog.Logger

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []item
	known   map[string]bool // pending or running task IDs
	running int
}

type item struct {
	t       pipeline.Job
	attempt int
}

var _ pipeline.Queue = (*InProcess)(nil)

func (q *InProcess) init() {
	if q.cond == nil {
		q.cond = sync.NewCond(&q.mu)
		q.known = map[string]bool{}
	}
}

// Enqueue adds the tasks not already pending or running.
func (q *InProcess) Enqueue(ctx context.Context, tasks ...pipeline.Job) error {
	q.add(tasks, 0)
	return nil
}

// EnqueueRetry adds tasks as retries (their handlers may take over a stage
// that an earlier, dead process held).
func (q *InProcess) EnqueueRetry(ctx context.Context, tasks ...pipeline.Job) error {
	q.add(tasks, 1)
	return nil
}

// add queues the tasks not already pending or running, at the given attempt.
func (q *InProcess) add(tasks []pipeline.Job, attempt int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.init()
	for _, t := range tasks {
		if q.known[t.ID()] {
			continue
		}
		q.known[t.ID()] = true
		q.queue = append(q.queue, item{t: t, attempt: attempt})
	}
	q.cond.Broadcast()
}

// Run serves tasks until ctx ends, or until the queue is empty and no task
// is running when drain is true.
func (q *InProcess) Run(ctx context.Context, drain bool) error {
	q.mu.Lock()
	q.init()
	q.mu.Unlock()
	n := q.Concurrency
	if n <= 0 {
		n = 2
	}
	stop := context.AfterFunc(ctx, func() {
		q.mu.Lock()
		q.cond.Broadcast()
		q.mu.Unlock()
	})
	defer stop()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { q.serve(ctx, drain) })
	}
	wg.Wait()
	return ctx.Err()
}

func (q *InProcess) serve(ctx context.Context, drain bool) {
	log := q.Log
	if log == nil {
		log = slog.Default()
	}
	for {
		q.mu.Lock()
		for len(q.queue) == 0 && ctx.Err() == nil && !(drain && q.running == 0) {
			q.cond.Wait()
		}
		if ctx.Err() != nil || len(q.queue) == 0 {
			q.cond.Broadcast()
			q.mu.Unlock()
			return
		}
		it := q.queue[0]
		q.queue = q.queue[1:]
		q.running++
		q.mu.Unlock()

		start := time.Now()
		err := q.Handle(ctx, it.t, it.attempt > 0)
		q.Metrics.observe(it.t.Kind, time.Since(start), err)
		requeue := false
		switch {
		case err == nil, errors.Is(err, pipeline.ErrStale):
		case errors.Is(err, pipeline.ErrInvalid) || ctx.Err() != nil:
			log.Warn("task failed", "task", it.t.ID(), "err", err)
		case it.attempt >= q.maxRetry():
			log.Error("task failed for good", "task", it.t.ID(), "attempts", it.attempt+1, "err", err)
			if q.Failed != nil {
				if ferr := q.Failed(ctx, it.t, err); ferr != nil {
					log.Error("record failure", "task", it.t.ID(), "err", ferr)
				}
			}
		default:
			log.Info("task retrying", "task", it.t.ID(), "attempt", it.attempt+1, "err", err)
			requeue = true
			select {
			case <-time.After(q.backoff(it.attempt + 1)):
			case <-ctx.Done():
			}
		}
		q.mu.Lock()
		q.running--
		if requeue && ctx.Err() == nil {
			q.queue = append(q.queue, item{t: it.t, attempt: it.attempt + 1})
		} else {
			delete(q.known, it.t.ID())
		}
		q.cond.Broadcast()
		q.mu.Unlock()
	}
}

func (q *InProcess) maxRetry() int {
	if q.MaxRetry <= 0 {
		return 3
	}
	return q.MaxRetry
}

func (q *InProcess) backoff(n int) time.Duration {
	if q.Backoff != nil {
		return q.Backoff(n)
	}
	return time.Duration(n) * 100 * time.Millisecond
}
