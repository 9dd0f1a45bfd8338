package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/weipian/weipian/detect"
	"github.com/weipian/weipian/pipeline"
)

func (a *app) batchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "batch",
		Short: "Queue imagery pairs as batches and follow them (embedded, or distributed with --redis)",
	}
	cmd.AddCommand(a.batchSubmitCmd(), a.batchStatusCmd(), a.batchListCmd(), a.batchCancelCmd(), a.batchGetCmd())
	return cmd
}

func (a *app) batchSubmitCmd() *cobra.Command {
	var cfg config
	var spec pipeline.BatchSpec
	var bands string
	var wait bool
	cmd := &cobra.Command{
		Use:   "submit --before B --after A --name NAME",
		Short: "Submit an imagery pair (s3://bucket/key or a path); the same batch twice is not duplicated",
		Long: `Submit records the batch in the state store and queues its ingest. In the
distributed mode (--redis) the workers run it; in the embedded mode this
command runs it to the end in this process. Resubmitting the same pair (same
objects, same options) returns the existing batch.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if spec.Before == "" || spec.After == "" || spec.Name == "" {
				return usageError{errors.New("batch submit needs --before, --after and --name")}
			}
			if spec.Region != "" && !isXZQDM(spec.Region) {
				return usageError{fmt.Errorf("--region %q: want a 6-digit administrative code (XZQDM)", spec.Region)}
			}
			spec.BeforeBands, spec.AfterBands = splitBands(bands), splitBands(bands)
			ctx := cmd.Context()
			s, err := a.open(ctx, cfg)
			if err != nil {
				return err
			}
			defer s.close()
			var versions []string
			for _, in := range []string{spec.Before, spec.After} {
				v, err := s.version(ctx, in)
				if err != nil {
					return err
				}
				versions = append(versions, v)
			}
			b, created, err := s.orch.Submit(ctx, spec, versions...)
			if err != nil {
				return err
			}
			if created {
				fmt.Fprintf(a.stdout, "batch %s submitted (%s)\n", b.ID, spec.Name)
			} else {
				fmt.Fprintf(a.stdout, "batch %s already exists (%s), state %s\n", b.ID, spec.Name, b.State)
			}
			if !s.distributed() {
				// The embedded mode runs the batch here.
				done := make(chan error, 1)
				go func() { done <- s.inproc.Run(ctx, true) }()
				if err := a.watch(ctx, s, b.ID, true); err != nil {
					return err
				}
				if err := <-done; err != nil {
					return err
				}
				return a.printOutputs(ctx, s, b.ID)
			}
			if wait {
				return a.watch(ctx, s, b.ID, true)
			}
			return nil
		},
	}
	cfg.flags(cmd)
	f := cmd.Flags()
	f.StringVar(&spec.Before, "before", "", "before image: s3://bucket/key or a path")
	f.StringVar(&spec.After, "after", "", "after image: s3://bucket/key or a path")
	f.StringVar(&spec.Name, "name", "", `batch name, e.g. "2026年二季度"`)
	f.StringVar(&spec.Region, "region", "", "6-digit administrative code (XZQDM) of the region")
	f.StringVar(&bands, "bands", "", "band names of both images, e.g. B,G,R,NIR")
	f.Float64Var(&spec.MMU, "mmu-m2", 0, "minimum mapping unit in m² (0: 200)")
	f.IntVar(&spec.TileSize, "tile-size", 0, "tile side in pixels (0: 1024)")
	f.BoolVar(&wait, "wait", false, "distributed mode: follow the batch until it ends")
	return cmd
}

func isXZQDM(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (a *app) batchStatusCmd() *cobra.Command {
	var cfg config
	var watch, asJSON bool
	cmd := &cobra.Command{
		Use:   "status ID",
		Short: "Show a batch: state, tiles done/total, failures, ETA (--watch: a live progress bar)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.open(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer s.close()
			if asJSON {
				b, err := s.store.GetBatch(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				tiles, err := s.store.Tiles(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return json.NewEncoder(a.stdout).Encode(map[string]any{"batch": b, "failed_tiles": failedTiles(tiles)})
			}
			return a.watch(cmd.Context(), s, args[0], watch)
		},
	}
	cfg.flags(cmd)
	cmd.Flags().BoolVar(&watch, "watch", false, "follow the batch until it ends")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the batch as JSON")
	return cmd
}

func failedTiles(tiles []pipeline.Tile) []pipeline.Tile {
	var out []pipeline.Tile
	for _, t := range tiles {
		if t.State == pipeline.TileFailed || t.Error != "" {
			out = append(out, t)
		}
	}
	return out
}

// watch prints the batch's progress; with follow it redraws a progress bar
// until the batch ends.
func (a *app) watch(ctx context.Context, s *system, id string, follow bool) error {
	tty := isTerminal(a.stdout)
	last := ""
	for {
		b, err := s.store.GetBatch(ctx, id)
		if err != nil {
			return err
		}
		line := progressLine(b, time.Now())
		if tty && follow {
			fmt.Fprintf(a.stdout, "\r\033[K%s", line)
		} else if line != last {
			fmt.Fprintln(a.stdout, line)
		}
		last = line
		if b.State.Terminal() || !follow {
			if tty && follow {
				fmt.Fprintln(a.stdout)
			}
			if b.State == pipeline.BatchFailed || b.State == pipeline.BatchCancelled {
				tiles, _ := s.store.Tiles(ctx, id)
				for _, t := range failedTiles(tiles) {
					fmt.Fprintf(a.stdout, "  tile %s: %s (attempts %d): %s\n", t.Key, t.State, t.Attempts, t.Error)
				}
				if follow && b.State == pipeline.BatchFailed {
					return fmt.Errorf("batch %s failed: %s", id, b.Error)
				}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func progressLine(b pipeline.Batch, now time.Time) string {
	const width = 30
	frac := 0.0
	if b.TilesTotal > 0 {
		frac = float64(b.TilesDone) / float64(b.TilesTotal)
	}
	if b.State == pipeline.BatchDone {
		frac = 1
	}
	n := int(frac * width)
	bar := strings.Repeat("█", n) + strings.Repeat("░", width-n)
	eta := ""
	if b.State == pipeline.BatchDetecting && b.TilesDone > 0 && !b.StartedAt.IsZero() {
		el := now.Sub(b.StartedAt)
		rem := time.Duration(float64(el) / float64(b.TilesDone) * float64(b.TilesTotal-b.TilesDone))
		eta = " ETA " + rem.Round(time.Second).String()
	}
	s := fmt.Sprintf("%s %-10s %s %d/%d tiles", b.ID, b.State, bar, b.TilesDone, b.TilesTotal)
	if b.TilesFailed > 0 {
		s += fmt.Sprintf(", %d failed", b.TilesFailed)
	}
	s += eta
	if b.State == pipeline.BatchDone {
		s += fmt.Sprintf(", %d patches", b.PatchCount)
	}
	if b.Error != "" {
		s += ": " + b.Error
	}
	return s
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (a *app) batchListCmd() *cobra.Command {
	var cfg config
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List batches, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.open(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer s.close()
			bs, err := s.store.ListBatches(cmd.Context(), limit)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSTATE\tTILES\tPATCHES\tCREATED")
			for _, b := range bs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%d\t%s\n", b.ID, b.Spec.Name, b.State, b.TilesDone, b.TilesTotal, b.PatchCount, b.CreatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	cfg.flags(cmd)
	cmd.Flags().IntVar(&limit, "limit", 50, "how many batches")
	return cmd
}

func (a *app) batchCancelCmd() *cobra.Command {
	var cfg config
	cmd := &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a batch that has not ended",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.open(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer s.close()
			ok, err := s.orch.Cancel(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if !ok {
				b, err := s.store.GetBatch(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return fmt.Errorf("batch %s has already ended (%s)", args[0], b.State)
			}
			fmt.Fprintf(a.stdout, "batch %s cancelled\n", args[0])
			return nil
		},
	}
	cfg.flags(cmd)
	return cmd
}

func (a *app) batchGetCmd() *cobra.Command {
	var cfg config
	var out string
	cmd := &cobra.Command{
		Use:   "get ID --out DIR",
		Short: "Download a finished batch's outputs (patches.geojson, patches.gpkg, summary.json)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{errors.New("batch get needs --out")}
			}
			s, err := a.open(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer s.close()
			return a.download(cmd.Context(), s, args[0], out)
		},
	}
	cfg.flags(cmd)
	cmd.Flags().StringVar(&out, "out", "", "output directory")
	return cmd
}

func (a *app) download(ctx context.Context, s *system, id, out string) error {
	b, err := s.store.GetBatch(ctx, id)
	if err != nil {
		return err
	}
	if b.State != pipeline.BatchDone {
		return fmt.Errorf("batch %s is %s, not done", id, b.State)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"patches.geojson", "patches.gpkg", "summary.json"} {
		r, err := s.blobs.Get(ctx, detect.OutputKey(id, name))
		if err != nil {
			return err
		}
		f, err := os.Create(filepath.Join(out, name))
		if err != nil {
			r.Close()
			return err
		}
		_, err = io.Copy(f, r)
		r.Close()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(a.stdout, "batch %s: %d patches written to %s\n", id, b.PatchCount, out)
	return nil
}

func (a *app) printOutputs(ctx context.Context, s *system, id string) error {
	b, err := s.store.GetBatch(ctx, id)
	if err != nil {
		return err
	}
	if b.State != pipeline.BatchDone {
		return fmt.Errorf("batch %s ended %s: %s", id, b.State, b.Error)
	}
	fmt.Fprintf(a.stdout, "%d patches; outputs in %s\n", b.PatchCount, filepath.Dir(s.dir.Path(detect.OutputKey(id, "summary.json"))))
	return nil
}
