// Package workers runs the stages of a batch: asynq task types and handlers
// as thin adapters over the stage functions, the in-process executor of the
// embedded mode, and the MinIO and Redis adapters.
package workers
