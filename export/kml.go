package export

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"

	"github.com/paulmach/orb"
)

// KMLIconName is the marker icon's file in a bundle, beside the KML.
const KMLIconName = "icons/placemark_circle.png"

// kmlIcon is the marker: a white disc with a dark rim (32×32 PNG), which
// KML tints with each style's colour.
var kmlIcon = func() []byte {
	const n = 32
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	for y := range n {
		for x := range n {
			dx, dy := float64(x)+0.5-n/2, float64(y)+0.5-n/2
			switch d := dx*dx + dy*dy; {
			case d <= 11*11:
				img.SetNRGBA(x, y, color.NRGBA{255, 255, 255, 255})
			case d <= 14*14:
				img.SetNRGBA(x, y, color.NRGBA{40, 40, 40, 255})
			}
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}()

var kmlIconDataURI = "data:image/png;base64," + base64.StdEncoding.EncodeToString(kmlIcon)

// KML styles: id, colour (aabbggrr), meaning.
var kmlStyles = []struct{ id, color, label string }{
	{"p1", "ff0000ff", "红：占用永久基本农田（优先等级高）"},
	{"p2", "ff0080ff", "橙：占用耕地（优先等级中）"},
	{"p3", "ff00ffff", "黄：其他（优先等级低）"},
	{"overdue", "ffff00ff", "紫：已逾期未核查"},
	{"done", "ff00c000", "绿：已核查或已办结"},
}

func kmlStyleID(r *Row, o *options) string {
	switch {
	case !r.Open():
		return "done"
	case o.overdue(r):
		return "overdue"
	}
	return fmt.Sprintf("p%d", r.Level())
}

type kmlDoc struct {
	XMLName xml.Name    `xml:"kml"`
	NS      string      `xml:"xmlns,attr"`
	Doc     kmlDocument `xml:"Document"`
}

type kmlDocument struct {
	Name        string      `xml:"name"`
	Open        int         `xml:"open"`
	Description string      `xml:"description"`
	Styles      []kmlStyle  `xml:"Style"`
	Folders     []kmlFolder `xml:"Folder"`
}

type kmlStyle struct {
	ID    string `xml:"id,attr"`
	Icon  kmlIconStyle
	Label struct {
		Scale float64 `xml:"scale"`
	} `xml:"LabelStyle"`
	Line struct {
		Color string  `xml:"color"`
		Width float64 `xml:"width"`
	} `xml:"LineStyle"`
	Poly struct {
		Fill    int `xml:"fill"`
		Outline int `xml:"outline"`
	} `xml:"PolyStyle"`
}

type kmlIconStyle struct {
	XMLName xml.Name `xml:"IconStyle"`
	Color   string   `xml:"color"`
	Scale   float64  `xml:"scale"`
	Href    string   `xml:"Icon>href"`
}

type kmlFolder struct {
	Name       string         `xml:"name"`
	Open       int            `xml:"open"`
	Placemarks []kmlPlacemark `xml:"Placemark"`
}

type kmlPlacemark struct {
	ID          string     `xml:"id,attr,omitempty"`
	Name        string     `xml:"name"`
	Snippet     kmlSnippet `xml:"Snippet"`
	Description string     `xml:"description"`
	StyleURL    string     `xml:"styleUrl"`
	Data        []kmlData  `xml:"ExtendedData>Data"`
	Geometry    kmlMulti   `xml:"MultiGeometry"`
}

type kmlSnippet struct {
	MaxLines int    `xml:"maxLines,attr"`
	Text     string `xml:",chardata"`
}

type kmlData struct {
	Name        string `xml:"name,attr"`
	DisplayName string `xml:"displayName"`
	Value       string `xml:"value"`
}

type kmlMulti struct {
	Point   kmlPoint    `xml:"Point"`
	Polygon *kmlPolygon `xml:"Polygon"`
}

type kmlPoint struct {
	Coordinates string `xml:"coordinates"`
}

type kmlPolygon struct {
	Outer string   `xml:"outerBoundaryIs>LinearRing>coordinates"`
	Inner []string `xml:"innerBoundaryIs>LinearRing>coordinates"`
}

// KML writes rows as a KML 2.2 document for Google Earth, 两步路 and Locus:
// one Folder per team, one Placemark per row named by its 监测编号, with a
// point at the centre and the outline polygon (unfilled) in a MultiGeometry,
// a one-line snippet (变化类型 · 面积 · 核查期限), a description that is an
// HTML table of the attributes in Chinese, and the attributes again as
// ExtendedData for GIS (named by their ASCII field codes, e.g. JCBH, JCMJMU,
// with the Chinese header as displayName; see WithFieldCodes). Colours
// follow the priority level and state: red 永久基本农田, orange 耕地, yellow
// other, purple overdue, green done (the legend is in the document
// description).
func KML(w io.Writer, rows []Row, opts ...Option) error {
	rows, o, err := prepare(rows, opts)
	if err != nil {
		return err
	}
	doc := kmlDoc{NS: "http://www.opengis.net/kml/2.2"}
	d := &doc.Doc
	d.Name, d.Open = o.title, 1
	var legend []string
	for _, s := range kmlStyles {
		st := kmlStyle{ID: s.id}
		// The marker is drawn from an icon carried with the KML, never
		// fetched from the network: a file beside it in the bundle, a data
		// URI in a KML on its own.
		href := kmlIconDataURI
		if o.bundle {
			href = KMLIconName
		}
		st.Icon = kmlIconStyle{Color: s.color, Scale: 1.1, Href: href}
		st.Label.Scale = 0.8
		st.Line.Color, st.Line.Width = s.color, 2.5
		st.Poly.Fill, st.Poly.Outline = 0, 1
		d.Styles = append(d.Styles, st)
		legend = append(legend, s.label)
	}
	d.Description = fmt.Sprintf("共%d个图斑。", len(rows))
	if o.date != "" {
		d.Description += "导出日期：" + o.date + "。"
	}
	d.Description += "颜色：" + strings.Join(legend, "；") + "。面积单位：亩（1亩≈666.667平方米）。"
	for i := range rows {
		r := &rows[i]
		if n := len(d.Folders); n == 0 || d.Folders[n-1].Name != r.team() {
			d.Folders = append(d.Folders, kmlFolder{Name: r.team(), Open: 1})
		}
		f := &d.Folders[len(d.Folders)-1]
		f.Placemarks = append(f.Placemarks, kmlPlacemarkOf(r, o))
	}
	for i := range d.Folders {
		d.Folders[i].Name = fmt.Sprintf("%s（%d）", d.Folders[i].Name, len(d.Folders[i].Placemarks))
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("export: write kml: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", " ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("export: write kml: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("export: write kml: %w", err)
	}
	return nil
}

func kmlPlacemarkOf(r *Row, o *options) kmlPlacemark {
	lon, lat := r.centre()
	pm := kmlPlacemark{
		Name:        r.JCBH,
		Snippet:     kmlSnippet{MaxLines: 1, Text: summary(r, o)},
		Description: descriptionHTML(r, o),
		StyleURL:    "#" + kmlStyleID(r, o),
	}
	pm.Geometry.Point.Coordinates = coord(lon, lat)
	if len(r.Geometry) > 0 {
		p := closedRings(r.Geometry)
		pm.Geometry.Polygon = &kmlPolygon{Outer: ringCoords(p[0])}
		for _, h := range p[1:] {
			pm.Geometry.Polygon.Inner = append(pm.Geometry.Polygon.Inner, ringCoords(h))
		}
	}
	for k := range columns {
		c := &columns[k]
		pm.Data = append(pm.Data, kmlData{Name: c.code, DisplayName: c.head, Value: c.display(r, o)})
	}
	return pm
}

// summary is the one-line snippet: 变化类型 · 面积 · 期限.
func summary(r *Row, o *options) string {
	parts := []string{}
	if t := strings.TrimSpace(r.TBLX); t != "" {
		parts = append(parts, t)
	}
	parts = append(parts, fmtFixed(mu(r.AreaM2), 2)+"亩")
	if d := strings.TrimSpace(r.DueVerify); d != "" {
		s := "期限" + d
		if o.overdue(r) {
			s += "（已逾期）"
		}
		parts = append(parts, s)
	}
	parts = append(parts, r.state())
	return strings.Join(parts, " · ")
}

// descriptionHTML is the balloon: a two-column table of the non-empty
// attributes, and the chips when the bundle carries them.
func descriptionHTML(r *Row, o *options) string {
	var b strings.Builder
	b.WriteString(`<table border="1" cellpadding="3" cellspacing="0" style="border-collapse:collapse;font-size:13px">`)
	for k := range columns {
		c := &columns[k]
		v := c.display(r, o)
		if v == "" {
			continue
		}
		if c.kind == kMu {
			v += "亩"
		} else if c.kind == kM2 {
			v += "平方米"
		}
		if c.head == "核查期限" && o.overdue(r) {
			v += "（已逾期）"
		}
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td></tr>", html.EscapeString(c.head), html.EscapeString(v))
	}
	b.WriteString("</table>")
	files := photoFiles(r)
	if len(r.Evidence) > 0 {
		b.WriteString(`<p>举证照片</p><table border="1" cellpadding="3" cellspacing="0" style="border-collapse:collapse;font-size:13px">`)
		b.WriteString("<tr><td>照片名称</td><td>拍摄时间</td><td>检查结果</td><td>添加人</td></tr>")
		for k := range r.Evidence {
			p := &r.Evidence[k]
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>", html.EscapeString(p.Name),
				html.EscapeString(timeText(p.TakenAt)), html.EscapeString(p.summary()), html.EscapeString(p.AddedBy))
		}
		b.WriteString("</table>")
	}
	if o.bundle {
		for _, c := range []struct {
			png   []byte
			after bool
			label string
		}{{r.ChipBefore, false, "前时相"}, {r.ChipAfter, true, "后时相"}} {
			if len(c.png) == 0 {
				continue
			}
			fmt.Fprintf(&b, `<p>%s %s<br/><img src="%s" width="320"/></p>`,
				c.label, html.EscapeString(dateOf(r, c.after)), html.EscapeString(ChipName(r.JCBH, c.after)))
		}
		for k, f := range files {
			if f == "" {
				continue
			}
			fmt.Fprintf(&b, `<p>举证照片 %s<br/><img src="%s" width="320"/></p>`, html.EscapeString(r.Evidence[k].Name), html.EscapeString(f))
		}
	}
	return b.String()
}

func dateOf(r *Row, after bool) string {
	if after {
		return r.HSX
	}
	return r.QSX
}

func coord(lon, lat float64) string { return num(round(lon, 1e7)) + "," + num(round(lat, 1e7)) }

func ringCoords(r orb.Ring) string {
	parts := make([]string, len(r))
	for i, p := range r {
		parts[i] = coord(p[0], p[1])
	}
	return strings.Join(parts, " ")
}
