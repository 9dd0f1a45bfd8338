package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

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
	var oscd, vout string
	var vsize int
	vhr := &cobra.Command{
		Use:   "vhr --oscd DIR --out DIR [--size 40000]",
		Short: "Build a GF-2-like pair (0.8 m, B,G,R,NIR UInt16, CGCS2000) from the OSCD Sentinel-2 cities upsampled to true ground size",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if oscd == "" || vout == "" || vsize < 1 {
				return usageError{errors.New("bench vhr needs --oscd, --out and --size >= 1")}
			}
			if err := os.MkdirAll(vout, 0o755); err != nil {
				return err
			}
			var pairs [][2]string
			for _, c := range []string{"aguasclaras", "bercy", "bordeaux", "nantes", "paris", "rennes"} {
				pairs = append(pairs, [2]string{filepath.Join(oscd, "A", c+".tif"), filepath.Join(oscd, "B", c+".tif")})
			}
			b, a2, err := raster.MakeVHRMosaic(pairs, vout, vsize, 0.8, 10, [2]string{"20250315", "20250915"})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s\n%s\n", b, a2)
			return nil
		},
	}
	vhr.Flags().StringVar(&oscd, "oscd", "", "the oscd_s2_samples directory (A/, B/)")
	vhr.Flags().StringVar(&vout, "out", "", "output directory")
	vhr.Flags().IntVar(&vsize, "size", 40000, "side in pixels")
	cmd.AddCommand(pair, vhr, a.benchDetectCmd(), a.benchReadCmd())
	return cmd
}
