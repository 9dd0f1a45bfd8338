package export

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/paulmach/orb"
)

type gpxDoc struct {
	XMLName        xml.Name    `xml:"gpx"`
	Version        string      `xml:"version,attr"`
	Creator        string      `xml:"creator,attr"`
	NS             string      `xml:"xmlns,attr"`
	XSI            string      `xml:"xmlns:xsi,attr"`
	SchemaLocation string      `xml:"xsi:schemaLocation,attr"`
	Metadata       gpxMetadata `xml:"metadata"`
	Waypoints      []gpxWpt    `xml:"wpt"`
	Routes         []gpxRte    `xml:"rte"`
	Tracks         []gpxTrk    `xml:"trk"`
}

// gpxRte follows the element order of the GPX 1.1 schema.
type gpxRte struct {
	Name   string  `xml:"name"`
	Desc   string  `xml:"desc"`
	Type   string  `xml:"type"`
	Points []gpxPt `xml:"rtept"`
}

type gpxMetadata struct {
	Name string `xml:"name"`
	Desc string `xml:"desc"`
	Time string `xml:"time,omitempty"`
}

// gpxWpt follows the element order of the GPX 1.1 schema.
type gpxWpt struct {
	Lat  string `xml:"lat,attr"`
	Lon  string `xml:"lon,attr"`
	Name string `xml:"name"`
	Cmt  string `xml:"cmt"`
	Desc string `xml:"desc"`
	Sym  string `xml:"sym"`
	Type string `xml:"type,omitempty"`
}

type gpxTrk struct {
	Name string   `xml:"name"`
	Desc string   `xml:"desc"`
	Type string   `xml:"type"`
	Segs []gpxSeg `xml:"trkseg"`
}

type gpxSeg struct {
	Points []gpxPt `xml:"trkpt"`
}

type gpxPt struct {
	Lat string `xml:"lat,attr"`
	Lon string `xml:"lon,attr"`
}

// GPX writes rows as a GPX 1.1 file for phone GPS apps (两步路, Locus,
// OsmAnd, Garmin): one waypoint per row at the 图斑 centre, named by its
// 监测编号, with a short comment (变化类型 and 面积), a multi-line description
// (变化类型, 面积 in 亩 and m², 耕地/永久基本农田, 核查期限, 巡查组, 责任人,
// 优先级, …), the change type as <type> and a symbol by priority (Flag, Red /
// Flag, Blue / Flag, Green when done). Unless WithGPXOutlines(false), each
// outline follows as a route of the same name: the closed exterior ring
// (first point repeated at the end), and each hole as a route named
// "{监测编号} 内边界k", so that apps draw the boundary and can navigate
// along it; and (unless WithGPXTracks(false)) as a track of the same name
// too, one segment per ring, which some devices (Garmin) draw better.
// Coordinates are WGS84, as GPX requires. Rows are sorted by team,
// priority, 监测编号.
func GPX(w io.Writer, rows []Row, opts ...Option) error {
	rows, o, err := prepare(rows, opts)
	if err != nil {
		return err
	}
	doc := gpxDoc{
		Version: "1.1", Creator: "weipian",
		NS:             "http://www.topografix.com/GPX/1/1",
		XSI:            "http://www.w3.org/2001/XMLSchema-instance",
		SchemaLocation: "http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd",
		Metadata:       gpxMetadata{Name: o.title, Desc: fmt.Sprintf("共%d个图斑；面积单位：亩（1亩≈666.667平方米）", len(rows))},
	}
	if o.date != "" {
		doc.Metadata.Time = o.date + "T00:00:00Z"
	}
	for i := range rows {
		r := &rows[i]
		lon, lat := r.centre()
		doc.Waypoints = append(doc.Waypoints, gpxWpt{
			Lat: num(round(lat, 1e7)), Lon: num(round(lon, 1e7)),
			Name: r.JCBH,
			Cmt:  summary(r, o),
			Desc: gpxDesc(r, o),
			Sym:  gpxSymbol(r),
			Type: strings.TrimSpace(r.TBLX),
		})
		if o.gpxOutlines && len(r.Geometry) > 0 {
			rings := closedRings(r.Geometry)
			for k, ring := range rings {
				rte := gpxRte{Name: r.JCBH, Desc: "图斑边界 " + r.JCBH, Type: "图斑边界", Points: gpxPoints(ring)}
				if k > 0 {
					rte.Name = fmt.Sprintf("%s 内边界%d", r.JCBH, k)
					rte.Desc = fmt.Sprintf("图斑内边界（洞）%d %s", k, r.JCBH)
					rte.Type = "图斑内边界"
				}
				doc.Routes = append(doc.Routes, rte)
			}
			if o.gpxTracks {
				trk := gpxTrk{Name: r.JCBH, Desc: "图斑边界 " + r.JCBH, Type: "图斑边界"}
				for _, ring := range rings {
					trk.Segs = append(trk.Segs, gpxSeg{Points: gpxPoints(ring)})
				}
				doc.Tracks = append(doc.Tracks, trk)
			}
		}
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("export: write gpx: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", " ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("export: write gpx: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("export: write gpx: %w", err)
	}
	return nil
}

func gpxPoints(r orb.Ring) []gpxPt {
	pts := make([]gpxPt, len(r))
	for i, p := range r {
		pts[i] = gpxPt{Lat: num(round(p[1], 1e7)), Lon: num(round(p[0], 1e7))}
	}
	return pts
}

func gpxSymbol(r *Row) string {
	if !r.Open() {
		return "Flag, Green"
	}
	if r.Level() == LevelLow {
		return "Flag, Blue"
	}
	return "Flag, Red"
}

// gpxDesc is the waypoint description: one attribute per line.
func gpxDesc(r *Row, o *options) string {
	var lines []string
	add := func(label, v string) {
		if v = strings.TrimSpace(v); v != "" {
			lines = append(lines, label+"："+v)
		}
	}
	add("变化类型", r.TBLX)
	add("监测面积", fmt.Sprintf("%s亩（%s平方米）", fmtFixed(mu(r.AreaM2), 2), fmtFixed(round(r.AreaM2, 100), 2)))
	add("耕地面积", fmtFixed(mu(r.FarmlandM2), 2)+"亩")
	add("永久基本农田面积", fmtFixed(mu(r.BasicFarmlandM2), 2)+"亩")
	due := strings.TrimSpace(r.DueVerify)
	if due != "" && o.overdue(r) {
		due += "（已逾期）"
	}
	add("核查期限", due)
	add("巡查组", r.team())
	add("责任人", strings.TrimSpace(r.Person+" "+r.Contact))
	if r.Priority > 0 {
		add("优先级", fmt.Sprintf("%d（%s）", r.Priority, r.Level().Label()))
	} else {
		add("优先等级", r.Level().Label())
	}
	add("优先原因", r.PriorityReason)
	add("初判结果", r.Prejudgement)
	add("乡镇", strings.TrimSpace(r.Township+" "+r.XZQDM))
	add("巡查区", r.Zone)
	if r.QSX != "" || r.HSX != "" {
		add("时相", r.QSX+" → "+r.HSX)
	}
	add("状态", r.state())
	add("核查结论", r.Verdict)
	return strings.Join(lines, "\n")
}
