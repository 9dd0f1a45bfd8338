package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/weipian/weipian/pipeline/crs"
)

// GeoJSON writes rows as a GeoJSON FeatureCollection (RFC 7946, WGS84):
// one Feature per row with the outline polygon (coordinates rounded to
// 1e-7°, about 1 cm), or the centre point when there is none. WithCRS
// writes the coordinates in CGCS2000 or a Gauss-Krüger zone instead (metres
// rounded to 1 mm), named by a "crs" member as GDAL writes it
// ({"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4526"}}),
// which GDAL and QGIS read; that is GeoJSON 2008, not RFC 7946. The feature id
// is the 监测编号; the properties are the XLSX columns under their Chinese
// headers (监测编号, 行政区代码, …, 监测面积(亩), …, 状态, 核查结论, 举证照片数),
// numbers as numbers (亩 and m² to 0.01, degrees to 1e-6), since field apps
// show the property names as they are, and 举证照片: the list of the field
// photos (see photoProps). WithFieldCodes uses ASCII codes instead, for
// conversion to formats with short ASCII field names (shapefile).
func GeoJSON(w io.Writer, rows []Row, opts ...Option) error {
	rows, o, err := prepare(rows, opts)
	if err != nil {
		return err
	}
	c, err := o.outputCRS(rows, crs.WGS84)
	if err != nil {
		return err
	}
	// One compact feature per line: small, and still readable and diffable.
	var b bytes.Buffer
	b.WriteString(`{"type":"FeatureCollection",`)
	if !c.IsWGS84() {
		// As GDAL writes a GeoJSON layer in another CRS (GeoJSON 2008).
		b.WriteString(`"crs":{"type":"name","properties":{"name":"` + c.URN() + `"}},`)
	}
	b.WriteString(`"features":[`)
	for i := range rows {
		r := &rows[i]
		ft := geojson.NewFeature(geometryIn(r, c))
		ft.ID = r.JCBH
		for k := range columns {
			c := &columns[k]
			key := c.head
			if o.fieldCodes {
				key = c.code
			}
			ft.Properties[key] = c.value(r, o)
		}
		key := "举证照片"
		if o.fieldCodes {
			key = "JZZP"
		}
		ft.Properties[key] = photoProps(r, o)
		js, err := json.Marshal(ft)
		if err != nil {
			return fmt.Errorf("export: encode geojson %s: %w", r.JCBH, err)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n")
		b.Write(js)
	}
	b.WriteString("\n]}\n")
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("export: write geojson: %w", err)
	}
	return nil
}

// photoProps lists r's photos as GeoJSON property objects, under Chinese
// keys or (WithFieldCodes) the codes ZPMC 照片名称, PSSJ 拍摄时间, JD 经度, WD
// 纬度, PSFX 拍摄方向(度), JL 距图斑(米), JCJG 检查结果, BJ 问题标记 (flag
// codes), TJR 添加人, TJSJ 添加时间, SHA256 and, in a Bundle, WJ 文件. Unknown
// values are null. An empty list is [], not null.
func photoProps(r *Row, o *options) []map[string]any {
	out := make([]map[string]any, 0, len(r.Evidence))
	files := photoFiles(r)
	for k := range r.Evidence {
		p := &r.Evidence[k]
		var lon, lat, dist, dir, taken, added any
		if p.HasGPS {
			lon, lat, dist = round(p.Lon, 1e7), round(p.Lat, 1e7), round(p.DistanceM, 10)
		}
		if p.HasDirection {
			dir = round(p.DirectionDeg, 10)
		}
		if s := timeText(p.TakenAt); s != "" {
			taken = s
		}
		if s := timeText(p.AddedAt); s != "" {
			added = s
		}
		flags := append([]string{}, p.Flags...)
		vals := []struct {
			head, code string
			v          any
		}{
			{"照片名称", "ZPMC", p.Name}, {"拍摄时间", "PSSJ", taken}, {"经度", "JD", lon}, {"纬度", "WD", lat},
			{"拍摄方向(度)", "PSFX", dir}, {"距图斑(米)", "JL", dist}, {"检查结果", "JCJG", p.summary()}, {"问题标记", "BJ", flags},
			{"添加人", "TJR", p.AddedBy}, {"添加时间", "TJSJ", added}, {"SHA256", "SHA256", p.SHA256},
		}
		if o.bundle {
			var file any
			if files[k] != "" {
				file = files[k]
			}
			vals = append(vals, struct {
				head, code string
				v          any
			}{"文件", "WJ", file})
		}
		m := make(map[string]any, len(vals))
		for _, v := range vals {
			key := v.head
			if o.fieldCodes {
				key = v.code
			}
			m[key] = v.v
		}
		out = append(out, m)
	}
	return out
}

// geometry returns the closed, rounded outline of r, or its centre point.
func geometry(r *Row) orb.Geometry { return geometryIn(r, crs.WGS84) }

// geometryIn returns the closed outline of r, or its centre point, in c,
// rounded to c's decimals.
func geometryIn(r *Row, c crs.CRS) orb.Geometry {
	if len(r.Geometry) == 0 {
		f := math.Pow10(c.Decimals())
		x, y := c.Forward(r.centre())
		return orb.Point{round(x, f), round(y, f)}
	}
	return closedRingsIn(r.Geometry, c)
}

// closedRings returns a rounded copy of p with every ring closed and
// oriented as RFC 7946 asks.
func closedRings(p orb.Polygon) orb.Polygon { return closedRingsIn(p, crs.WGS84) }

// closedRingsIn is closedRings in c: the points converted by c.Forward and
// rounded to c's decimals (the projection keeps the orientation).
func closedRingsIn(p orb.Polygon, c crs.CRS) orb.Polygon {
	f := math.Pow10(c.Decimals())
	out := make(orb.Polygon, len(p))
	for i, ring := range p {
		rr := make(orb.Ring, 0, len(ring)+1)
		for _, pt := range ring {
			x, y := c.Forward(pt[0], pt[1])
			rr = append(rr, orb.Point{round(x, f), round(y, f)})
		}
		if rr[0] != rr[len(rr)-1] {
			rr = append(rr, rr[0])
		}
		// RFC 7946: exterior rings counterclockwise, holes clockwise.
		if want := orb.CCW; (i == 0) != (rr.Orientation() == want) {
			rr.Reverse()
		}
		out[i] = rr
	}
	return out
}
