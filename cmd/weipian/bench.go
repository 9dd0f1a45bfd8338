package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/weipian/weipian/raster"
)

func (a *cli) benchCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Benchmarks: detection against the read floor; benchmark pairs (see also scripts/bench-workers.sh)"}
	var before, after, out string
	var n int
	pair := &cobra.Command{
		Use:   "pair --out DIR --repeat N",
		Short: "Build an N×N mosaic of the Jülich pair as 4-band (B,G,R,NIR) 16-bit images",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" || n < 1 {
				return usageError{errors.New("bench pair needs --out and --repeat >= 1")}
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			b, a2, err := raster.MakeBenchPair(before, after, out, n)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s\n%s\n", b, a2)
			return nil
		},
	}
	pair.Flags().StringVar(&before, "before", "testdata/juelich/LS20010525.tif", "before image (R,G,B)")
	pair.Flags().StringVar(&after, "after", "testdata/juelich/LS20010626.tif", "after image (R,G,B)")
	pair.Flags().StringVar(&out, "out", "", "output directory")
	pair.Flags().IntVar(&n, "repeat", 16, "mosaic of N×N copies (16: 16000×16000)")
	cmd.AddCommand(pair, a.benchDetectCmd(), a.benchReadCmd())
	return cmd
}
