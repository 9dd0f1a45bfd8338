package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/weipian/weipian/raster"
)

// measure is what one child process took: wall and CPU seconds and its peak
// resident memory.
type measure struct {
	wall, cpu float64
	peakMB    float64
}

// runMeasured runs a command to its end and measures it from outside (the
// operating system's accounting of the finished child).
func runMeasured(name string, args []string, env []string, stderr io.Writer) (measure, error) {
	c := exec.Command(name, args...)
	c.Env = env
	c.Stderr = stderr
	t := time.Now()
	err := c.Run()
	m := measure{wall: time.Since(t).Seconds()}
	if c.ProcessState != nil {
		m.cpu = c.ProcessState.UserTime().Seconds() + c.ProcessState.SystemTime().Seconds()
		if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
			m.peakMB = float64(ru.Maxrss) / 1024
		}
	}
	if err != nil {
		return m, fmt.Errorf("%s %v: %w", name, args, err)
	}
	return m, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// benchReadCmd is gdal_translate for the read floor where the GDAL tools
// are not installed: bench read [-q] SWITCHES… SRC DST.
func (a *cli) benchReadCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "read [-q] [-of FORMAT …] SRC DST",
		Short:              "Translate a raster as gdal_translate does (the read floor of bench detect)",
		DisableFlagParsing: true,
		Hidden:             true,
		RunE: func(cmd *cobra.Command, args []string) error {
			var sw []string
			for _, s := range args {
				if s != "-q" {
					sw = append(sw, s)
				}
			}
			if len(sw) < 2 {
				return usageError{errors.New("bench read needs SRC and DST")}
			}
			return raster.Translate(sw[len(sw)-2], sw[len(sw)-1], sw[:len(sw)-2])
		},
	}
}

func (a *cli) benchDetectCmd() *cobra.Command {
	var before, after, dir string
	var size, rounds, workers, tileSize int
	var keep bool
	cmd := &cobra.Command{
		Use:   "detect --size 8000 [--rounds 3]",
		Short: "Time weipian detect against the read floor (GDAL decoding both images), in alternation",
		Long: `bench detect builds a size×size mosaic of the Jülich pair as 4-band 16-bit tiled
DEFLATE GeoTIFFs (kept in --dir for the next call), then runs, in turn and
--rounds times, weipian detect on it and the read floor: gdal_translate -of ENVI
of both images (GDAL decoding every pixel, nothing else, with a 64 MB block
cache: GDAL's default of 5 % of RAM makes a sequential copy slower). Each is a separate
process, measured from outside (wall, user+system CPU, peak memory). It prints
each round, the ratios pair by pair and their medians, and detect's stage
timings. The machine should be otherwise idle; compare ratios, not seconds.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if size < 64 || rounds < 1 {
				return usageError{errors.New("bench detect needs --size >= 64 and --rounds >= 1")}
			}
			if dir == "" {
				dir = filepath.Join(os.TempDir(), "weipian-bench")
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "building the %d×%d pair in %s …\n", size, size, dir)
			b, af, err := raster.MakeBenchMosaic(before, after, dir, size)
			if err != nil {
				return err
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			// The children get the environment as the user gave it: this
			// process set GDAL_CACHEMAX for itself, which would override
			// detect's own budget.
			env := os.Environ()
			if !a.gdalCacheUser {
				env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "GDAL_CACHEMAX=") })
			}
			out := filepath.Join(dir, "out")
			detectArgs := []string{"detect", "--before", b, "--after", af, "--out", out, "--log-level", "warn",
				"--workers", strconv.Itoa(workers), "--tile-size", strconv.Itoa(tileSize)}
			// The read floor: gdal_translate when installed, else the same
			// translation in this binary.
			readName, readArgs := "gdal_translate", []string{}
			if _, err := exec.LookPath("gdal_translate"); err != nil {
				readName, readArgs = self, []string{"bench", "read"}
			}
			scratch := filepath.Join(dir, "read-floor")
			// The floor is GDAL at its fastest: its default block cache (5 %
			// of RAM, 1.2 GB here) only costs it page faults on a sequential
			// copy (6.8 s instead of 2.5 s for one 8000² image), which would
			// flatter the ratio. 64 MB holds a row of 256² blocks of 8000 px.
			readEnv := env
			if !a.gdalCacheUser {
				readEnv = append(slices.Clone(env), "GDAL_CACHEMAX=64")
			}
			readFloor := func() (measure, error) {
				defer os.RemoveAll(scratch)
				if err := os.MkdirAll(scratch, 0o755); err != nil {
					return measure{}, err
				}
				var m measure
				for i, img := range []string{b, af} {
					args := append(slices.Clone(readArgs), "-q", "-of", "ENVI", img, filepath.Join(scratch, fmt.Sprintf("%d.envi", i)))
					mi, err := runMeasured(readName, args, readEnv, a.stderr)
					if err != nil {
						return m, err
					}
					m.wall += mi.wall
					m.cpu += mi.cpu
					m.peakMB = max(m.peakMB, mi.peakMB)
				}
				return m, nil
			}
			cacheNote := "GDAL_CACHEMAX=64 "
			if a.gdalCacheUser {
				cacheNote = ""
			}
			fmt.Fprintf(a.stdout, "A = %s %v\nB = read floor: %s%s %v -q -of ENVI (each image)\n", self, detectArgs, cacheNote, readName, readArgs)
			fmt.Fprintf(a.stdout, "%-6s %9s %9s %9s  %9s %9s %9s  %8s %8s\n", "round", "A wall s", "A cpu s", "A peak MB",
				"B wall s", "B cpu s", "B peak MB", "A/B wall", "A/B cpu")
			var rw, rc, aw, ac, ap []float64
			for i := 1; i <= rounds; i++ {
				ma, err := runMeasured(self, detectArgs, env, a.stderr)
				if err != nil {
					return err
				}
				mb, err := readFloor()
				if err != nil {
					return err
				}
				rw = append(rw, ma.wall/mb.wall)
				rc = append(rc, ma.cpu/mb.cpu)
				aw, ac, ap = append(aw, ma.wall), append(ac, ma.cpu), append(ap, ma.peakMB)
				fmt.Fprintf(a.stdout, "%-6d %9.2f %9.2f %9.0f  %9.2f %9.2f %9.0f  %8.2f %8.2f\n", i, ma.wall, ma.cpu, ma.peakMB,
					mb.wall, mb.cpu, mb.peakMB, rw[i-1], rc[i-1])
			}
			fmt.Fprintf(a.stdout, "median: detect %.2f s wall, %.2f s CPU, peak %.0f MB; detect / read floor: %.2f× wall, %.2f× CPU\n",
				median(aw), median(ac), median(ap), median(rw), median(rc))
			if tb, err := os.ReadFile(filepath.Join(out, "timings.json")); err == nil {
				var tm map[string]any
				if json.Unmarshal(tb, &tm) == nil {
					fmt.Fprintf(a.stdout, "last detect's stages (s): ingest %.2f, tiles %.2f, finalize after the last tile %.2f\n",
						tm["ingest_s"], tm["tiles_s"], tm["finalize_s"])
				}
			}
			if !keep {
				os.RemoveAll(out)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&before, "before", "testdata/juelich/LS20010525.tif", "before image of the pair to mosaic (R,G,B)")
	f.StringVar(&after, "after", "testdata/juelich/LS20010626.tif", "after image (R,G,B)")
	f.StringVar(&dir, "dir", "", "where the pair and outputs go (default $TMPDIR/weipian-bench)")
	f.IntVar(&size, "size", 8000, "side of the mosaic in pixels")
	f.IntVar(&rounds, "rounds", 3, "rounds of detect and read floor")
	f.IntVar(&workers, "workers", 0, "detect --workers")
	f.IntVar(&tileSize, "tile-size", 0, "detect --tile-size (0: from its --memory-mb)")
	f.BoolVar(&keep, "keep", false, "keep the last detect's outputs in DIR/out")
	return cmd
}
