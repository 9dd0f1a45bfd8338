package detect

import (
	"cmp"
	"fmt"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/crs"
	"github.com/weipian/weipian/raster/change"
)

// Summary is written to summary.json. Every field is deterministic; timings
// go to a separate file.
type Summary struct {
	Algorithm  Algorithm     `json:"algorithm"`
	SceneID    string        `json:"scene_id"`
	Inputs     [2]InputInfo  `json:"inputs"`
	Grid       GridInfo      `json:"grid"`
	Alignment  []string      `json:"alignment"`
	Bands      []string      `json:"bands"`
	Parameters change.Params `json:"parameters"`
	// ParameterOrigins says where each parameter's value comes from.
	ParameterOrigins map[string]string  `json:"parameter_origins"`
	Statistics       *change.SceneStats `json:"statistics"`
	Tiles            TilesInfo          `json:"tiles"`
	Masked           Masked             `json:"masked"`
	Patches          PatchTotals        `json:"patches"`
	// NonConcern are the changes of no concern set aside (nonconcern.geojson/.gpkg).
	NonConcern PatchTotals `json:"nonconcern"`
	Outputs    []string    `json:"outputs"`
	// OutputCRS is the CRS of the vector outputs, e.g. "EPSG:4490".
	OutputCRS string `json:"output_crs"`
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
	"alignment: after warped onto before's grid over the overlap when grids differ (bilinear); a resolution ratio beyond raster.MaxResolutionRatio is refused",
	"radiometry: each date is read relative to its own median brightness (per-mille), so data type (8/16-bit, float) and sensor gain do not matter; raw values of the two dates are never differenced",
	"smoothing: box mean over valid pixels (params.SmoothM)",
	"context change (after SiROC, Kondmann et al. 2021): per band, log(value + params.ChangeFloor × the date's median) (a change relative to the scene's brightness, so noise in dark pixels counts less than a bright new surface); each pixel's contrast to the mean of its context within its own date (params.ContextM); the change is the smaller of the RMS over bands of the difference of the two dates' contrasts and of the pixel's own change less the scene's median shift, so illumination, season and sensor shifts shared by a neighbourhood cancel",
	"land-cover state per date and pixel: vegetated (vegetation index NDVI with NIR, excess green without, above Otsu's threshold of the date's own histogram when that histogram is two-class, separability >= params.VegBimodality; else nothing is vegetated), water (NDWI > 0, with NIR), neutral/built (saturation < params.NeutralSaturation), else bare soil",
	"change score: the context change of pixels not vegetated after, averaged over params.ScoreM; for a pixel not vegetated after, the mean is over the pixels of the square not vegetated after either, but over at least params.ScoreShare of the square (a new roof among lawns is not diluted by the lawns); changed where it exceeds params.ChangeT (unitless, chosen leave-one-dataset-out over the shared benchmarks)",
	"masks: nodata; clouds (bright white outliers with >= MinCloudM2 of such outliers around them, paired with shadows or with white cloud; or neutral pixels near the date's brightest where the other date is not, with >= MinCloudM2 of bright outliers around them), buffered; a date more than params.MaxCloudShare cloud is refused",
	"clean-up: morphological opening then closing (square elements), 4-connected regions merged across tiles, minimum mapping unit; hysteresis: a region grows down to params.GrowT of params.ChangeT and is kept when a pixel of it exceeds ChangeT, or when it covers at least params.WeakM2 with a mean score of at least params.WeakStrength of ChangeT (a large region changed throughout, e.g. a tract of bare lots turned into houses and lawns of the same tone)",
	"typing by transition (majority state of each date in the patch): water in both dates: change within water (turbidity, glint, level; no concern); built→water: other surface change (a new building's shadow or standing water, not a pond); other →water: water gain; →vegetated: vegetation gain (no concern); vegetated/bare→bare/built over a whole field (>= params.FieldM2, filling >= params.FieldFill of its equivalent rectangle, brightness CV after <= params.FieldCV), or any non-water→bare/built change of at least params.UniformM2 that is uniform in both dates (brightness CV <= params.UniformCVBefore and params.UniformCVAfter: a piece of a field that changed as a whole): farming/season (no concern); →built: built/hardened gain; vegetated→bare: vegetation loss/earthworks; else other surface change",
	"outputs: changes of concern in patches.geojson/.gpkg (they become 图斑); changes of no concern with their reason in nonconcern.geojson/.gpkg; in output_crs (CGCS2000 EPSG:4490 by default, or a 3-degree Gauss-Kruger zone in metres, or WGS84)",
	"areas and centroids: CGCS2000 3-degree Gauss-Kruger zone inside China, UTM elsewhere",
	"confidence: high when mean score/threshold >= params.HighStrength and area >= params.ConfidentM2; medium when >= HighStrength, or >= params.MediumStrength and area >= ConfidentM2; else low",
	"IR-MAD (Nielsen 2007) on the sample: its chi-square is reported per patch (MADKF), it decides nothing",
}

// ParameterOrigins says where each default parameter comes from.
var ParameterOrigins = map[string]string{
	"ChangeT":           "leave-one-dataset-out over levir_cd_samples, oscd_s2_samples, sztaki_airchange_samples with the Jülich month as constraint (weipian eval --lodo; grid ChangeT 0.14/0.16/0.18/0.20 × GrowT 0.5/0.6 × ScoreShare 0.5/1 × ContextM 120/240 m × WeakStrength 0.6/0.65/1, 96 settings, weipian-change/6; among the admissible settings within 1 % of the best mean F1, the best mean object recall): 0.18 chosen on all three, 0.20 on each pair of two; 0.22, beyond the grid, scored lower on all three (weipian-change/4)",
	"GrowT":             "leave-one-dataset-out with ChangeT (grid 0.5/0.6): 0.6 chosen on all three, 0.5 on each pair of two",
	"WeakStrength":      "leave-one-dataset-out with ChangeT (grid 0.6/0.65/1, 1 = no weak regions): 1 chosen on all three; 0.6 on OSCD+SZTAKI and LEVIR+OSCD, 0.65 on LEVIR+SZTAKI",
	"WeakM2":            "prototype on the three benchmarks at the weipian-change/5 defaults (500/1000/2000/4000 m² × WeakStrength 0.5-0.65): below 2000 m² weak regions cost OSCD and SZTAKI precision; kept fixed, in effect only when WeakStrength < 1",
	"ScoreShare":        "leave-one-dataset-out with ChangeT (grid 0.5 = mean over the pixels not vegetated after, at least half the square / 1 = plain mean): 0.5 chosen on all three and on LEVIR+OSCD and LEVIR+SZTAKI, 1 on OSCD+SZTAKI",
	"ChangeFloor":       "round 3: leave-one-dataset-out with ChangeT (grid 1/2 median brightness): 2 chosen on all three and on each pair of two; a prototype over 0.01 (round 1), 0.1, 0.3, 1, 2, 5, 20 showed that floors near the median give the better ranking of change on all three benchmarks; kept fixed since",
	"VegBimodality":     "fixed: Otsu's separability 0.5 (a two-class histogram); the benchmark dates range 0.53-0.81 except two built-up LEVIR after-dates (0.41, 0.42) whose Otsu split cut through roofs; not tuned",
	"UniformCVBefore":   "chosen on the Jülich month (no labels) so that pieces of fields stop being changes of concern, checked against the labelled benchmarks (loses < 2% of their true change); not tuned further",
	"UniformCVAfter":    "as UniformCVBefore",
	"UniformM2":         "physical: a field is at least a quarter hectare (smaller uniform strips of bare soil stay earthworks)",
	"FieldM2":           "round 1: leave-one-dataset-out (grid 0.5/1/2 ha), subject to the Jülich month keeping patches of concern <= 1% of the scene: 1 ha",
	"FieldFill":         "fixed: a field fills most of its equivalent rectangle (0.6); not tuned",
	"FieldCV":           "fixed: a farmed field is uniform (brightness CV <= 0.15); not tuned",
	"ContextM":          "leave-one-dataset-out with ChangeT (grid 120/240 m; 240 m chosen on all three and on every pair of two; round 1 had chosen 120 m over 60 m); below 1.5 m pixels capped at ContextMaxPx",
	"ScoreM":            "prototype on the shared benchmarks (10 m best of 0/5/10/20 m), then kept fixed",
	"PixelSize":         "the images' georeferencing",
	"SmoothM":           "physical: about a pixel of VHR imagery",
	"NeutralSaturation": "physical: grey, white and black surfaces",
	"MMU":               "the practice (--mmu-m2)",
	"MinPixels":         "physical: below 4 pixels the sensor does not resolve a change",
	"OpenM":             "physical: removes lines narrower than about 2 m (field paths)",
	"CloseM":            "physical",
	"HighStrength":      "in-sample on the shared benchmarks, re-done for weipian-change/6 (grid 1.0/1.05/1.1 × 0.85/0.9/0.95 × 1000/2000/4000 m²): the centre of the region (strength 1.0 × 0.85–0.95, area 2000–4000 m²) where pixel precision is ordered high > medium > low on all three (high 0.71/0.36/0.54, medium 0.34/0.31/0.38, low 0.25/0.22/0.25 on LEVIR/OSCD/SZTAKI)",
	"MediumStrength":    "as HighStrength",
	"ConfidentM2":       "as HighStrength",
	"MaxCloudShare":     "policy: a date mostly cloud is refused as unusable",
	"CloudSearchM":      "physical: shadow distance for sun elevations above about 20°",
	"CloudBufferM":      "physical: cloud edges and haze",
	"MinCloudM2":        "physical: smaller bright objects are roofs, not clouds",
	"ContextMaxPx":      "cost cap (160 px: 240 m down to 1.5 m pixels, 128 m at 0.8 m, 80 m at 0.5 m): the halo grows with it and the tiles shrink in the same memory; 256 px took the 40,000² 0.8 m pair from 5.5 to 10 minutes for no gain on the benchmarks (LEVIR F1 0.455 at 256 px, 0.457 at 160 px)",
	"MaxCloudSearchPx":  "cost cap",
	"SampleTarget":      "statistics precision",
	"MaxIter":           "IR-MAD convergence",
}

func (s *Scene) summary(patches, nonconcern PatchTotals, c tileCounts) Summary {
	px := s.PixelSize * s.PixelSize
	sum := Summary{
		Algorithm: Algorithm{Version: s.Version, Steps: steps},
		SceneID:   s.ID, Inputs: s.Inputs,
		Grid: GridInfo{Width: s.Grid.Width, Height: s.Grid.Height, PixelSizeM: s.PixelSize,
			GeoTransform: s.Grid.GeoTransform, CRS: s.Grid.WKT, Warped: s.Warped},
		Alignment: append([]string{}, s.Notes...), Bands: s.BandNames, Parameters: s.Params, ParameterOrigins: ParameterOrigins, Statistics: s.Stats,
		Tiles: TilesInfo{Size: s.TileSize, Halo: s.Halo, Count: s.Tiles().Count()},
		Masked: Masked{ValidM2: pipeline.Round(float64(c.valid)*px, 2), NoDataM2: pipeline.Round(float64(c.nodata)*px, 2),
			CloudM2: pipeline.Round(float64(c.cloud)*px, 2), ShadowM2: pipeline.Round(float64(c.shadow)*px, 2)},
		Outputs:   []string{"patches.geojson", "patches.gpkg", "nonconcern.geojson", "nonconcern.gpkg", "summary.json"},
		OutputCRS: fmt.Sprintf("EPSG:%d", cmp.Or(s.OutputEPSG, crs.EPSGWGS84)),
	}
	if s.Params.Radii().UseCloud {
		sum.Masked.CloudMask = "on"
	} else {
		sum.Masked.CloudMask = fmt.Sprintf("off: pixels of %.2f m are too fine for the %.0f m² minimum cloud within the search window (VHR imagery is expected cloud-screened)", s.PixelSize, s.Params.MinCloudM2)
	}
	sum.Patches = patches
	sum.NonConcern = nonconcern
	return sum
}
