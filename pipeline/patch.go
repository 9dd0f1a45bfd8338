package pipeline

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/paulmach/orb"
)

// Patch is one change patch (图斑) as detection finds it: a connected region
// of one change class, in WGS84.
type Patch struct {
	// ID is derived from the scene (its imagery, grid, parameters and
	// algorithm version), the class and the patch's position, so it is the
	// same on every run over the same inputs.
	ID string
	// Class is the change class code (e.g. "built_gain"); ClassLabel its
	// zh-CN label.
	Class, ClassLabel string
	// Confidence is "high", "medium" or "low".
	Confidence string
	// Score is the mean ratio of the deciding change measure to its scene
	// threshold (1 = at the threshold); MADChi2 the mean IR-MAD chi-square.
	Score, MADChi2 float64
	// AreaM2 and AreaMu are the area in m² and 亩, computed in AreaCRS.
	AreaM2, AreaMu float64
	AreaCRS        string
	// CentroidLon and CentroidLat are the area centroid in WGS84 degrees.
	CentroidLon, CentroidLat float64
	// BeforeDate and AfterDate are the image dates (YYYY-MM-DD) or "".
	BeforeDate, AfterDate string
	// Pixels is the number of pixels of the patch on the scene grid.
	Pixels int64
	// BrightRatio is the patch's brightness after relative to before (each
	// date measured against its own median, so a season or sensor shift
	// of the whole scene cancels): > 1 means it became brighter. SatAfter
	// is its mean saturation after (0–1). LengthM and WidthM are the
	// length and mean width of the patch's equivalent ellipse in metres,
	// Elongation their ratio, Fill the share of its equivalent rectangle
	// it covers: what the change type (TBLX) needs beyond the class.
	BrightRatio, SatAfter float64
	// CVAfter is the coefficient of variation of the patch's brightness
	// after (0: not measured, e.g. a patch imported from elsewhere): a
	// ploughed or harvested field is uniform, earthworks are not.
	CVAfter                           float64
	LengthM, WidthM, Elongation, Fill float64
	// BeforeState and AfterState are the land-cover states of the two
	// dates (vegetated, bare, built, water; StateLabel gives their zh-CN
	// names); the class follows from the transition. Reason
	// says why (zh-CN). Concern is false for changes of no concern (crop
	// cycles, vegetation gain): they never become 图斑.
	BeforeState, AfterState string
	Reason                  string
	Concern                 bool
	// Geometry is the outline in WGS84 lon/lat (exterior counter-clockwise).
	Geometry orb.Polygon
	// Issued is set for a patch issued (下发) by a ministry, province or
	// city rather than detected: judging keeps its JCBH, change type and
	// deadline, and always makes a task of it.
	Issued *Issued `json:"-"`
}

// StateLabel returns the zh-CN name of a land-cover state.
func StateLabel(s string) string {
	switch s {
	case "vegetated":
		return "植被"
	case "bare":
		return "裸土"
	case "built":
		return "建筑/硬化"
	case "water":
		return "水体"
	}
	return s
}

// ConfidenceLabel returns the zh-CN label of a confidence level.
func ConfidenceLabel(c string) string {
	switch c {
	case "high":
		return "高"
	case "medium":
		return "中"
	case "low":
		return "低"
	}
	return c
}

// PatchFields are the attribute columns of exported patches, with the
// practice's field names. Descriptions are zh-CN.
var PatchFields = []struct{ Name, Desc string }{
	{"TBID", "图斑标识(稳定)"},
	{"BHFX", "变化方向"},
	{"BHFXDM", "变化方向代码"},
	{"ZXD", "置信度"},
	{"BHQD", "变化强度(相对阈值)"},
	{"MADKF", "IR-MAD卡方均值"},
	{"JCMJ", "监测面积(平方米)"},
	{"JCMJMU", "监测面积(亩)"},
	{"MJTY", "面积计算投影"},
	{"ZXJD", "中心点经度"},
	{"ZXWD", "中心点纬度"},
	{"QSX", "前时相"},
	{"HSX", "后时相"},
	{"XSS", "像素数"},
	{"QSXDL", "前时相地表状态"},
	{"HSXDL", "后时相地表状态"},
	{"LDBH", "亮度比(后/前)"},
	{"PDYJ", "判定依据"},
}

// Values returns the patch's attribute values in PatchFields order, rounded
// as exported.
func (p *Patch) Values() []any {
	return []any{
		p.ID, p.ClassLabel, p.Class, ConfidenceLabel(p.Confidence),
		Round(p.Score, 3), Round(p.MADChi2, 2),
		Round(p.AreaM2, 2), Round(p.AreaMu, 4), p.AreaCRS,
		Round(p.CentroidLon, 7), Round(p.CentroidLat, 7),
		p.BeforeDate, p.AfterDate, p.Pixels,
		StateLabel(p.BeforeState), StateLabel(p.AfterState), Round(p.BrightRatio, 3), p.Reason,
	}
}

// Round rounds v to d decimals (half away from zero).
func Round(v float64, d int) float64 {
	f := math.Pow(10, float64(d))
	return math.Round(v*f) / f
}

// CoordDecimals is the number of decimals of exported lon/lat coordinates
// (1e-7° ≈ 1 cm).
const CoordDecimals = 7

// RoundPolygon returns a copy of p with coordinates rounded to CoordDecimals.
func RoundPolygon(p orb.Polygon) orb.Polygon { return RoundPolygonTo(p, CoordDecimals) }

// RoundPolygonTo is RoundPolygon with coordinates rounded to decimals
// places (3 for metres of a projected CRS: 1 mm).
func RoundPolygonTo(p orb.Polygon, decimals int) orb.Polygon {
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		out[i] = make(orb.Ring, len(r))
		for j, pt := range r {
			out[i][j] = orb.Point{Round(pt[0], decimals), Round(pt[1], decimals)}
		}
	}
	return out
}

// WritePatchesGeoJSON writes the patches as an RFC 7946 FeatureCollection
// (WGS84). Properties keep PatchFields order; the output is byte-identical
// for identical input.
func WritePatchesGeoJSON(w io.Writer, patches []Patch) error {
	return WriteGeoJSON(w, "patches", patches)
}

// WriteGeoJSON writes patches as an RFC 7946 FeatureCollection of the given
// name (patches, nonconcern).
func WriteGeoJSON(w io.Writer, name string, patches []Patch) error {
	gw, err := NewGeoJSONWriter(w, name)
	if err != nil {
		return err
	}
	for i := range patches {
		if err := gw.Write(&patches[i]); err != nil {
			return err
		}
	}
	return gw.Close()
}

// GeoJSONWriter writes a FeatureCollection one patch at a time, so that a
// collection of any size needs the memory of one feature; the bytes are those
// of WriteGeoJSON.
type GeoJSONWriter struct {
	bw       *bufio.Writer
	n        int
	decimals int
}

// NewGeoJSONWriter starts a FeatureCollection of the given name on w
// (RFC 7946: WGS84 longitude/latitude).
func NewGeoJSONWriter(w io.Writer, name string) (*GeoJSONWriter, error) {
	return NewGeoJSONWriterCRS(w, name, "", CoordDecimals)
}

// NewGeoJSONWriterCRS starts a FeatureCollection whose coordinates are in
// another CRS, named by a "crs" member as GDAL writes it (GeoJSON 2008:
// {"type":"name","properties":{"name":urn}}), with coordinates rounded to
// decimals places. The patches written must already be in that CRS. An
// empty urn writes no crs member.
func NewGeoJSONWriterCRS(w io.Writer, name, urn string, decimals int) (*GeoJSONWriter, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	head := `{"type":"FeatureCollection","name":` + strconv.Quote(name) + `,`
	if urn != "" {
		head += `"crs":{"type":"name","properties":{"name":` + strconv.Quote(urn) + `}},`
	}
	if _, err := bw.WriteString(head + `"features":[`); err != nil {
		return nil, err
	}
	return &GeoJSONWriter{bw: bw, decimals: decimals}, nil
}

// Write appends one patch.
func (g *GeoJSONWriter) Write(p *Patch) error {
	if g.n > 0 {
		g.bw.WriteString(",")
	}
	g.n++
	g.bw.WriteString("\n")
	if err := writeFeature(g.bw, p, g.decimals); err != nil {
		return fmt.Errorf("pipeline: patch %s: %w", p.ID, err)
	}
	return nil
}

// Close ends the collection and flushes it (it does not close the
// underlying writer).
func (g *GeoJSONWriter) Close() error {
	g.bw.WriteString("\n]}\n")
	return g.bw.Flush()
}

func writeFeature(w *bufio.Writer, p *Patch, decimals int) error {
	w.WriteString(`{"type":"Feature","id":`)
	writeJSONString(w, p.ID)
	w.WriteString(`,"properties":{`)
	var num []byte
	for i, v := range p.Values() {
		if i > 0 {
			w.WriteByte(',')
		}
		writeJSONString(w, PatchFields[i].Name)
		w.WriteByte(':')
		switch x := v.(type) {
		case string:
			writeJSONString(w, x)
		case float64:
			num = strconv.AppendFloat(num[:0], x, 'f', -1, 64)
			w.Write(num)
		case int64:
			num = strconv.AppendInt(num[:0], x, 10)
			w.Write(num)
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			w.Write(b)
		}
	}
	w.WriteString(`},"geometry":{"type":"Polygon","coordinates":[`)
	for i, r := range p.Geometry {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteByte('[')
		for j, pt := range r {
			if j > 0 {
				w.WriteByte(',')
			}
			w.WriteByte('[')
			num = strconv.AppendFloat(num[:0], Round(pt[0], decimals), 'f', -1, 64)
			w.Write(num)
			w.WriteByte(',')
			num = strconv.AppendFloat(num[:0], Round(pt[1], decimals), 'f', -1, 64)
			w.Write(num)
			w.WriteByte(']')
		}
		w.WriteByte(']')
	}
	w.WriteString("]}}")
	return nil
}

// writeJSONString writes s as a JSON string (encoding/json's escaping).
func writeJSONString(w *bufio.Writer, s string) {
	simple := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			simple = false
			break
		}
	}
	if simple {
		w.WriteByte('"')
		w.WriteString(s)
		w.WriteByte('"')
		return
	}
	b, _ := json.Marshal(s)
	w.Write(b)
}
