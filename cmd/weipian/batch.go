package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/pipeline"
)

func (a *cli) batchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "batch",
		Short: "Queue imagery pairs as batches and follow them (embedded, or distributed with --redis)",
	}
	cmd.AddCommand(a.batchSubmitCmd(), a.batchStatusCmd(), a.batchListCmd(), a.batchCancelCmd(), a.batchGetCmd())
	return cmd
}

func (a *cli) batchSubmitCmd() *cobra.Command {
	var req app.BatchRequest
	var bands string
	var wait bool
	cmd := &cobra.Command{
		Use:   "submit --before B --after A --name NAME",
		Short: "Submit an imagery pair (registered imagery ID, s3://bucket/key or a path); the same batch twice is not duplicated",
		Long: `Submit records the batch in the state store and queues its ingest. In the
distributed mode (--redis) the workers run it; in the embedded mode this
command runs it to the end in this process. Resubmitting the same pair (same
objects, same options) returns the existing batch.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if req.Before == "" || req.After == "" || req.Name == "" {
				return usageError{errors.New("batch submit needs --before, --after and --name")}
			}
			req.Bands = splitBands(bands)
			ctx := cmd.Context()
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			b, created, err := s.SubmitBatch(ctx, operator(""), req)
			if err != nil {
				return err
			}
			if created {
				fmt.Fprintf(a.stdout, "batch %s submitted (%s)\n", b.ID, req.Name)
			} else {
				fmt.Fprintf(a.stdout, "batch %s already exists (%s), state %s\n", b.ID, req.Name, b.State)
			}
			if !s.Distributed() {
				// The embedded mode runs the batch here.
				done := make(chan error, 1)
				go func() { done <- s.RunQueued(ctx, true) }()
				if err := a.watch(ctx, s, b.ID, true); err != nil {
					return err
				}
				if err := <-done; err != nil {
					return err
				}
				st, err := s.Batch(ctx, operator(""), b.ID)
				if err != nil {
					return err
				}
				if st.Batch.State != pipeline.BatchDone {
					return fmt.Errorf("batch %s ended %s: %s", b.ID, st.Batch.State, st.Batch.Error)
				}
				fmt.Fprintf(a.stdout, "%d patches; outputs in %s\n", st.Batch.PatchCount, s.OutputDir(b.ID))
				return nil
			}
			if wait {
				return a.watch(ctx, s, b.ID, true)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Before, "before", "", "before image: registered imagery ID (img-…), s3://bucket/key or a path")
	f.StringVar(&req.After, "after", "", "after image: registered imagery ID (img-…), s3://bucket/key or a path")
	f.StringVar(&req.Name, "name", "", `batch name, e.g. "2026年二季度"`)
	f.StringVar(&req.Region, "region", "", "6-digit administrative code (XZQDM) of the region")
	f.StringVar(&bands, "bands", "", "band names of both images, e.g. B,G,R,NIR")
	f.Float64Var(&req.MMU, "mmu-m2", 0, "minimum mapping unit in m² (0: 200)")
	f.IntVar(&req.TileSize, "tile-size", 0, "tile side in pixels (0: 1024)")
	f.BoolVar(&wait, "wait", false, "distributed mode: follow the batch until it ends")
	return cmd
}

func (a *cli) batchStatusCmd() *cobra.Command {
	var watch, asJSON bool
	cmd := &cobra.Command{
		Use:   "status ID",
		Short: "Show a batch: state, tiles done/total, failures, ETA (--watch: a live progress bar)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			if asJSON {
				st, err := s.Batch(cmd.Context(), operator(""), args[0])
				if err != nil {
					return err
				}
				return printJSON(a.stdout, st)
			}
			return a.watch(cmd.Context(), s, args[0], watch)
		},
	}
	cmd.Flags().BoolVar(&watch, "watch", false, "follow the batch until it ends")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the batch as JSON")
	return cmd
}

// watch prints the batch's progress; with follow it redraws a progress bar
// until the batch ends.
func (a *cli) watch(ctx context.Context, s *app.App, id string, follow bool) error {
	tty := isTerminal(a.stdout)
	last := ""
	for {
		st, err := s.Batch(ctx, operator(""), id)
		if err != nil {
			return err
		}
		b := st.Batch
		line := app.ProgressLine(b, time.Now())
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
				for _, t := range st.FailedTiles {
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

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (a *cli) batchListCmd() *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List batches, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			bs, err := s.Batches(cmd.Context(), operator(""), app.Page{Limit: limit})
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSTATE\tTILES\tPATCHES\tCREATED")
			for _, b := range bs.Items {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%d\t%s\n", b.ID, b.Spec.Name, b.State, b.TilesDone, b.TilesTotal, b.PatchCount, b.CreatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "how many batches")
	return cmd
}

func (a *cli) batchCancelCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a batch that has not ended",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			if _, err := s.CancelBatch(cmd.Context(), operator(""), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "batch %s cancelled\n", args[0])
			return nil
		},
	}
}

func (a *cli) batchGetCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "get ID --out DIR",
		Short: "Download a finished batch's outputs (patches, non-concern changes, summary)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{errors.New("batch get needs --out")}
			}
			ctx := cmd.Context()
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			n := 0
			for _, name := range app.BatchOutputs {
				r, err := s.BatchOutput(ctx, operator(""), args[0], name)
				if app.KindOf(err) == app.KindNotFound && name != "patches.geojson" {
					continue // an output older batches do not have
				}
				if err != nil {
					return err
				}
				err = writeFileAtomic(filepath.Join(out, name), func(w *os.File) error { _, err := io.Copy(w, r); return err })
				r.Close()
				if err != nil {
					return err
				}
				n++
			}
			fmt.Fprintf(a.stdout, "batch %s: %d files written to %s\n", args[0], n, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output directory")
	return cmd
}

func (a *cli) imageryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "imagery", Short: "Register imagery for batches (the HTTP API submits batches by imagery ID)"}
	var name string
	add := &cobra.Command{
		Use:   "add FILE|s3://bucket/key [--name NAME]",
		Short: "Register an image (inspected first: readable, georeferenced, not empty)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			im, created, err := s.RegisterImagery(cmd.Context(), operator(""), args[0], name)
			if err != nil {
				return err
			}
			state := "已登记"
			if !created {
				state = "已存在"
			}
			fmt.Fprintf(a.stdout, "%s %s：%s（%d×%d，%d 波段 %s，%.2f 米，%s）\n", state, im.ID, im.Name, im.Width, im.Height, im.Bands, im.DataType, im.PixelSizeM, im.Acquired)
			return nil
		},
	}
	add.Flags().StringVar(&name, "name", "", "name shown to staff (default: the file name)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the registered images",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			ims, err := s.ImageryList(cmd.Context(), operator(""))
			if err != nil {
				return err
			}
			rows := [][]string{{"编号", "名称", "日期", "大小", "波段", "分辨率(米)", "地址"}}
			for _, im := range ims {
				rows = append(rows, []string{im.ID, im.Name, im.Acquired, fmt.Sprintf("%d×%d", im.Width, im.Height),
					fmt.Sprintf("%d %s", im.Bands, im.DataType), fmt.Sprintf("%.2f", im.PixelSizeM), im.URI})
			}
			writeTable(a.stdout, rows)
			return nil
		},
	}
	cmd.AddCommand(add, list)
	return cmd
}
