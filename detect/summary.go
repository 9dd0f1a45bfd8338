package detect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/raster/change"
)

// Summary is written to summary.json. Every field is deterministic; timings
// go to a separate file.
type Summary struct {
	Algorithm  Algorithm          `json:"algorithm"`
	SceneID    string             `json:"scene_id"`
	Inputs     [2]InputInfo       `json:"inputs"`
	Grid       GridInfo           `json:"grid"`
	Alignment  []string           `json:"alignment"`
	Bands      []string           `json:"bands"`
	Parameters change.Params      `json:"parameters"`
	Statistics *change.SceneStats `json:"statistics"`
	Tiles      TilesInfo          `json:"tiles"`
	Masked     Masked             `json:"masked"`
	Patches    PatchTotals        `json:"patches"`
	Outputs    []string           `json:"outputs"`
}

// Algorithm names and describes the method.
type Algorithm struct {
	Version string   `json:"version"`
	Steps   []string `json:"steps"`
}

// GridInfo describes the processing grid.
type GridInfo struct {
	Width        int        `json:"width"`
	Height       int        `json:"height"`
	PixelSizeM   float64    `json:"pixel_size_m"`
	GeoTransform [6]float64 `json:"geotransform"`
	CRS          string     `json:"crs_wkt"`
	Warped       bool       `json:"after_warped"`
}

// TilesInfo describes the tiling.
type TilesInfo struct {
	Size  int `json:"size"`
	Halo  int `json:"halo"`
	Count int `json:"count"`
}

// Masked gives the areas left out of detection.
type Masked struct {
	ValidM2   float64 `json:"valid_m2"`
	NoDataM2  float64 `json:"nodata_m2"`
	CloudM2   float64 `json:"cloud_m2"`
	ShadowM2  float64 `json:"shadow_m2"`
	CloudMask string  `json:"cloud_mask"`
}

// PatchTotals counts patches and areas overall and by class and confidence.
type PatchTotals struct {
	Count        int                    `json:"count"`
	AreaM2       float64                `json:"area_m2"`
	AreaMu       float64                `json:"area_mu"`
	ByClass      map[string]ClassTotals `json:"by_direction"`
	ByConfidence map[string]int         `json:"by_confidence"`
}

// ClassTotals are the totals of one class.
type ClassTotals struct {
	Label  string  `json:"label"`
	Count  int     `json:"count"`
	AreaM2 float64 `json:"area_m2"`
	AreaMu float64 `json:"area_mu"`
}

var steps = []string{
	"alignment: after warped onto before's grid over the overlap when grids differ (bilinear)",
	"smoothing: box mean over valid pixels (params.SmoothM)",
	"IR-MAD (Nielsen 2007) on a sample, weights = chi-square no-change probability, stopped before weight collapse",
	"radiometric normalisation: orthogonal regression of each after band on the IR-MAD invariant pixels",
	"change measures: IR-MAD chi-square, saturation loss, brightness log-ratio, vegetation index (NDVI or ExG) difference, water index (NDWI) difference, texture (gradient energy) log-ratio at <= TextureMaxPixel m",
	"thresholds: once per scene from the sample, Otsu (log scale for chi-square and saturation), never below physical floors",
	"classes: water gain, vegetation gain, built/hardened gain (neutral or blue surface), vegetation loss, other surface change",
	"masks: nodata; clouds (bright white outliers >= MinCloudM2) paired with shadows (darker in every band), buffered",
	"clean-up: per-class morphological opening then closing (square elements), 4-connected regions, minimum mapping unit",
	"areas and centroids: CGCS2000 3-degree Gauss-Kruger zone inside China, UTM elsewhere",
	"confidence: high when >= 50% of a patch's pixels have two or more evidence families, medium >= 20%",
}

func (s *Scene) summary(patches []pipeline.Patch, c tileCounts) Summary {
	px := s.PixelSize * s.PixelSize
	sum := Summary{
		Algorithm: Algorithm{Version: s.Version, Steps: steps},
		SceneID:   s.ID, Inputs: s.Inputs,
		Grid: GridInfo{Width: s.Grid.Width, Height: s.Grid.Height, PixelSizeM: s.PixelSize,
			GeoTransform: s.Grid.GeoTransform, CRS: s.Grid.WKT, Warped: s.Warped},
		Alignment: append([]string{}, s.Notes...), Bands: s.BandNames, Parameters: s.Params, Statistics: s.Stats,
		Tiles: TilesInfo{Size: s.TileSize, Halo: s.Halo, Count: s.Tiles().Count()},
		Masked: Masked{ValidM2: pipeline.Round(float64(c.valid)*px, 2), NoDataM2: pipeline.Round(float64(c.nodata)*px, 2),
			CloudM2: pipeline.Round(float64(c.cloud)*px, 2), ShadowM2: pipeline.Round(float64(c.shadow)*px, 2)},
		Patches: PatchTotals{ByClass: map[string]ClassTotals{}, ByConfidence: map[string]int{}},
		Outputs: []string{"patches.geojson", "patches.gpkg", "summary.json"},
	}
	if s.Params.Radii().UseCloud {
		sum.Masked.CloudMask = "on"
	} else {
		sum.Masked.CloudMask = fmt.Sprintf("off: pixels of %.2f m are too fine for the %.0f m² minimum cloud within the search window (VHR imagery is expected cloud-screened)", s.PixelSize, s.Params.MinCloudM2)
	}
	for _, p := range patches {
		sum.Patches.Count++
		sum.Patches.AreaM2 += p.AreaM2
		ct := sum.Patches.ByClass[p.Class]
		ct.Label = p.ClassLabel
		ct.Count++
		ct.AreaM2 += p.AreaM2
		sum.Patches.ByClass[p.Class] = ct
		sum.Patches.ByConfidence[p.Confidence]++
	}
	sum.Patches.AreaMu = pipeline.Round(sum.Patches.AreaM2/(10000.0/15.0), 4)
	sum.Patches.AreaM2 = pipeline.Round(sum.Patches.AreaM2, 2)
	for k, ct := range sum.Patches.ByClass {
		ct.AreaMu = pipeline.Round(ct.AreaM2/(10000.0/15.0), 4)
		ct.AreaM2 = pipeline.Round(ct.AreaM2, 2)
		sum.Patches.ByClass[k] = ct
	}
	return sum
}

// WriteOutputs writes patches.geojson, patches.gpkg and summary.json into
// dir. Each file is written under a temporary name and renamed, so an
// interrupted run leaves no half-written file.
func WriteOutputs(dir string, r *Result) error {
	if err := raster.EnsureDir(dir); err != nil {
		return err
	}
	var gj bytes.Buffer
	if err := pipeline.WritePatchesGeoJSON(&gj, r.Patches); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, "patches.geojson"), gj.Bytes()); err != nil {
		return err
	}
	fields := make([]raster.Field, len(pipeline.PatchFields))
	for i, f := range pipeline.PatchFields {
		fields[i] = raster.Field{Name: f.Name, Type: raster.String}
	}
	feats := make([]raster.Feature, len(r.Patches))
	for i := range r.Patches {
		vals := r.Patches[i].Values()
		for j, v := range vals {
			switch v.(type) {
			case float64:
				fields[j].Type = raster.Real
			case int64, int:
				fields[j].Type = raster.Integer
			}
		}
		feats[i] = raster.Feature{Geometry: pipeline.RoundPolygon(r.Patches[i].Geometry), Values: vals}
	}
	if len(r.Patches) == 0 {
		for j, v := range (&pipeline.Patch{}).Values() {
			switch v.(type) {
			case float64:
				fields[j].Type = raster.Real
			case int64, int:
				fields[j].Type = raster.Integer
			}
		}
	}
	if err := raster.WriteGPKG(filepath.Join(dir, "patches.gpkg"), "patches", fields, feats); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r.Summary, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, "summary.json"), append(b, '\n'))
}

// writeAtomic writes data to path through a temporary file and a rename.
func writeAtomic(path string, data []byte) error {
	tmp := path + ".part"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("detect: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("detect: write %s: %w", path, err)
	}
	return nil
}
