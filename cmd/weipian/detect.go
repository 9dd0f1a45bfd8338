package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/weipian/weipian/detect"
	"github.com/weipian/weipian/pipeline/crs"
)

func splitBands(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// memoryBudget bounds this process to about mb MiB: a tenth for GDAL's
// block cache, 200 MiB for C libraries, the binary and the runtime's
// unreturned pages (measured: 950 MB peak with 150), the rest for the
// Go heap (a soft limit: the collector runs more often near it). It returns
// what the tiles in flight may take: 85 % of the heap, the rest being the
// finalizer's and the collector's headroom.
func (a *cli) memoryBudget(mb int) int64 {
	gdal := max(32, mb/10)
	if !a.gdalCacheUser {
		os.Setenv("GDAL_CACHEMAX", strconv.Itoa(gdal))
	}
	heap := int64(mb-gdal-200) << 20
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(heap)
	}
	return heap * 85 / 100
}

func (a *cli) detectCmd() *cobra.Command {
	var before, after, out, bands, beforeBands, afterBands, crsName string
	var mmu float64
	var tileSize, nworkers, memMB int
	cmd := &cobra.Command{
		Use:   "detect --before B --after A --out DIR [--crs 4490|gk|EPSG:4526|4326]",
		Short: "Detect land-use change patches between two images (embedded mode, no server)",
		Long: `Detect reads a before and an after image (any raster GDAL reads), aligns
them on one grid, and writes the change patches (图斑) to DIR/patches.geojson,
DIR/patches.gpkg and DIR/summary.json; stage timings go to DIR/timings.json.
Changes of no concern (crop cycles, vegetation gain) go to
DIR/nonconcern.geojson and DIR/nonconcern.gpkg with their reason.

The vector outputs are in --crs: CGCS2000 (EPSG:4490, the default unless
--output-crs or WEIPIAN_CRS say otherwise), the 3-degree Gauss-Krüger zone of
the scene's centre (gk), a zone given by its EPSG code, or WGS84 (4326: plain
RFC 7946 GeoJSON). Other than 4326, the GeoJSON names its CRS in a "crs"
member, as GDAL writes it. Areas are computed in Gauss-Krüger whatever the
output CRS; centroid_lon/centroid_lat stay longitude/latitude.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if before == "" || after == "" || out == "" {
				return usageError{fmt.Errorf("detect needs --before, --after and --out")}
			}
			if !(mmu >= 0) || math.IsInf(mmu, 0) {
				return usageError{fmt.Errorf("--mmu-m2 %v: want a number of m² >= 0", mmu)}
			}
			if tileSize != 0 && (tileSize < detect.MinTileSize || tileSize > detect.MaxTileSize) {
				return usageError{fmt.Errorf("--tile-size %d: want %d to %d pixels (0: from --memory-mb)", tileSize, detect.MinTileSize, detect.MaxTileSize)}
			}
			if memMB != 0 && memMB < 400 {
				return usageError{fmt.Errorf("--memory-mb %d: want at least 400 (0: no bound)", memMB)}
			}
			if nworkers < 0 {
				return usageError{fmt.Errorf("--workers %d: want >= 0 (0: the number of CPUs)", nworkers)}
			}
			name := crsName
			if name == "" {
				name = a.cfg.OutputCRS
			}
			outCRS, err := crs.Parse(name)
			if err != nil {
				return usageError{fmt.Errorf("--crs: %w", err)}
			}
			opt := detect.Options{MMU: mmu, TileSize: tileSize, CRS: outCRS,
				BeforeBands: splitBands(beforeBands), AfterBands: splitBands(afterBands)}
			if bands != "" {
				opt.BeforeBands, opt.AfterBands = splitBands(bands), splitBands(bands)
			}
			work, err := os.MkdirTemp("", "weipian-detect-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(work)
			opt.WorkDir = work
			l := &detect.Local{Concurrency: nworkers, Log: a.log}
			if memMB > 0 {
				l.TileBytes = a.memoryBudget(memMB)
			} else if tileSize == 0 {
				opt.TileSize = detect.DefaultTileSize
			}
			s, tm, err := l.RunTo(cmd.Context(), before, after, opt, out)
			if err != nil {
				return err
			}
			tb, _ := json.MarshalIndent(map[string]any{
				"ingest_s": tm.Ingest.Seconds(), "tiles_s": tm.Tiles.Seconds(), "finalize_s": tm.Finalize.Seconds(),
				"total_s": tm.Total.Seconds(), "tiles": tm.TileCount,
			}, "", "  ")
			if err := os.WriteFile(filepath.Join(out, "timings.json"), append(tb, '\n'), 0o644); err != nil {
				return err
			}
			a.log.Info("done", "patches", s.Patches.Count, "area_mu", s.Patches.AreaMu,
				"cloud_m2", s.Masked.CloudM2, "shadow_m2", s.Masked.ShadowM2, "seconds", fmt.Sprintf("%.2f", tm.Total.Seconds()))
			fmt.Fprintf(a.stdout, "%d patches of concern (%.1f 亩) and %d changes of no concern written to %s\n", s.Patches.Count, s.Patches.AreaMu, s.NonConcern.Count, out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&before, "before", "", "before image (前时相), any raster GDAL reads")
	f.StringVar(&after, "after", "", "after image (后时相)")
	f.StringVar(&out, "out", "", "output directory")
	f.StringVar(&crsName, "crs", "", "CRS of the vector outputs (default: --output-crs): "+crs.Names)
	f.StringVar(&bands, "bands", "", "band names of both images, e.g. B,G,R,NIR (default: file metadata, else B,G,R,NIR for 4 bands, R,G,B for 3)")
	f.StringVar(&beforeBands, "before-bands", "", "band names of the before image only")
	f.StringVar(&afterBands, "after-bands", "", "band names of the after image only")
	f.Float64Var(&mmu, "mmu-m2", 200, "minimum mapping unit in m²")
	f.IntVar(&tileSize, "tile-size", 0, "processing tile side in pixels (0: the largest --memory-mb allows; results do not depend on it)")
	f.IntVar(&memMB, "memory-mb", 900, "memory budget in MiB: bounds GDAL's block cache (unless --gdal-cache-mb or GDAL_CACHEMAX) and the Go heap (unless GOMEMLIMIT), and sizes the tiles (0: no bound, tiles of 1024)")
	f.IntVar(&nworkers, "workers", 0, "tile goroutines (0: number of CPUs)")
	return cmd
}
