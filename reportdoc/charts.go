package reportdoc

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline/geodesy"
	"github.com/weipian/weipian/pipeline/stats"
)

// The charts are SVG drawn here, inline in the HTML: no script, no font
// file, no network. Numbers are written with fixed decimals, so the same
// figures give the same bytes.

// Colours of the charts and the map.
const (
	colIssued  = "#4472c4"
	colOwn     = "#8faadc"
	colIllegal = "#c00000"
	colFarm    = "#f4b183"
	colLegal   = "#70ad47"
	colOther   = "#7f7f7f"
	colPending = "#ed7d31"
	colAxis    = "#595959"
	colGrid    = "#d9d9d9"
)

func esc(s string) string { return html.EscapeString(s) }

func f1(v float64) string { return fmt.Sprintf("%.1f", v) }

// niceMax rounds v up to 1, 2, 2.5 or 5 times a power of ten (at least 1).
func niceMax(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*p+1e-9 {
			return m * p
		}
	}
	return 10 * p
}

// axis returns the top of an axis for values up to v and its tick step:
// four or five ticks of 1, 2 or 5 times a power of ten (whole numbers when
// integer).
func axis(v float64, integer bool) (top, step float64) {
	if v <= 0 {
		v = 1
	}
	raw := v / 4
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * p
	for _, m := range []float64{1, 2, 5} {
		if raw <= m*p+1e-9 {
			step = m * p
			break
		}
	}
	if integer && step < 1 {
		step = 1
	}
	top = math.Ceil(v/step-1e-9) * step
	return max(top, step), step
}

func numText(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

type svgBuf struct{ strings.Builder }

func (b *svgBuf) f(format string, args ...any) { fmt.Fprintf(&b.Builder, format, args...) }

func (b *svgBuf) open(w, h float64, label string) {
	b.f(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" role="img" aria-label="%s" font-size="12">`, f1(w), f1(h), esc(label))
}

func (b *svgBuf) text(x, y float64, anchor, fill, s string, extra ...string) {
	b.f(`<text x="%s" y="%s" text-anchor="%s" fill="%s"%s>%s</text>`, f1(x), f1(y), anchor, fill, strings.Join(extra, ""), esc(s))
}

func (b *svgBuf) rect(x, y, w, h float64, fill string) {
	if w <= 0 || h <= 0 {
		return
	}
	b.f(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, f1(x), f1(y), f1(w), f1(h), fill)
}

func (b *svgBuf) line(x1, y1, x2, y2 float64, stroke string, extra ...string) {
	b.f(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"%s/>`, f1(x1), f1(y1), f1(x2), f1(y2), stroke, strings.Join(extra, ""))
}

func (b *svgBuf) legend(x, y float64, items ...[2]string) {
	for _, it := range items {
		b.rect(x, y-9, 10, 10, it[1])
		b.text(x+14, y, "start", colAxis, it[0])
		x += 14 + float64(len([]rune(it[0])))*12 + 14
	}
}

// TownshipChart draws, per township, the 图斑 under enforcement (下发 and
// 自主监测, stacked) and the illegal area in 亩 (监测面积, with its 耕地
// part), as horizontal bars side by side.
func TownshipChart(rows []stats.TownshipRow) string {
	const w, rowH, top, labelW, gap = 560.0, 26.0, 44.0, 80.0, 24.0
	h := top + rowH*float64(max(len(rows), 1)) + 34
	panel := (w - labelW - gap - 20) / 2
	var maxN, maxA float64
	for _, r := range rows {
		maxN = math.Max(maxN, float64(r.Total.N))
		maxA = math.Max(maxA, geodesy.Mu(r.Illegal.JCMJ))
	}
	maxN, stepN := axis(maxN, true)
	maxA, stepA := axis(maxA, false)
	var b svgBuf
	b.open(w, h, "各乡镇图斑数与违法面积")
	x1, x2 := labelW, labelW+panel+gap
	b.text(x1, 16, "start", "#000", "图斑数（个）", ` font-weight="bold"`)
	b.text(x2, 16, "start", "#000", "违法图斑面积（亩）", ` font-weight="bold"`)
	b.legend(x1, 34, [2]string{"下发", colIssued}, [2]string{"自主监测", colOwn})
	b.legend(x2, 34, [2]string{"监测面积", colIllegal}, [2]string{"其中耕地", colFarm})
	bottom := top + rowH*float64(len(rows))
	for _, p := range []struct{ x, max, step float64 }{{x1, maxN, stepN}, {x2, maxA, stepA}} {
		for v := 0.0; v <= p.max+1e-9; v += p.step {
			x := p.x + panel*v/p.max
			b.line(x, top-2, x, bottom, colGrid)
			b.text(x, bottom+14, "middle", colAxis, numText(v))
		}
	}
	for i, r := range rows {
		y := top + rowH*float64(i)
		b.text(labelW-6, y+rowH/2+4, "end", "#000", r.Township)
		wi := panel * float64(r.Issued.N) / maxN
		wo := panel * float64(r.Own.N) / maxN
		b.rect(x1, y+5, wi, rowH-10, colIssued)
		b.rect(x1+wi, y+5, wo, rowH-10, colOwn)
		b.text(x1+wi+wo+4, y+rowH/2+4, "start", colAxis, fmt.Sprint(r.Total.N))
		wa := panel * geodesy.Mu(r.Illegal.JCMJ) / maxA
		wf := panel * geodesy.Mu(r.Illegal.JCGDMJ) / maxA
		b.rect(x2, y+5, wa, rowH-10, colIllegal)
		b.rect(x2, y+9, wf, rowH-18, colFarm)
		b.text(x2+wa+4, y+rowH/2+4, "start", colAxis, fmt.Sprintf("%.2f", geodesy.Mu(r.Illegal.JCMJ)))
	}
	b.line(x1, top-2, x1, bottom, colAxis)
	b.line(x2, top-2, x2, bottom, colAxis)
	b.WriteString("</svg>")
	return b.String()
}

// TrendChart draws the months of the year: 图斑 under enforcement (bars)
// and illegal 图斑 (line), by 后时相 month.
func TrendChart(months []stats.MonthRow) string {
	const w, h, left, right, top, bottom = 560.0, 200.0, 40.0, 10.0, 44.0, 28.0
	var maxN float64
	for _, m := range months {
		maxN = math.Max(maxN, float64(m.Tubans))
	}
	maxN, step := axis(maxN, true)
	var b svgBuf
	b.open(w, h, "各月图斑与违法图斑")
	b.text(left, 16, "start", "#000", "各月图斑（个，按后时相）", ` font-weight="bold"`)
	b.legend(left, 34, [2]string{"图斑", colIssued}, [2]string{"其中已核实", colOwn}, [2]string{"违法图斑", colIllegal})
	plotH := h - top - bottom
	for v := 0.0; v <= maxN+1e-9; v += step {
		y := top + plotH*(1-v/maxN)
		b.line(left, y, w-right, y, colGrid)
		b.text(left-6, y+4, "end", colAxis, numText(v))
	}
	n := max(len(months), 1)
	slot := (w - left - right) / float64(n)
	var pts []string
	for i, m := range months {
		x := left + slot*float64(i)
		bh := plotH * float64(m.Tubans) / maxN
		vh := plotH * float64(m.VerifiedTubans) / maxN
		b.rect(x+slot*0.2, top+plotH-bh, slot*0.6, bh, colIssued)
		b.rect(x+slot*0.3, top+plotH-vh, slot*0.4, vh, colOwn)
		if m.Tubans > 0 {
			b.text(x+slot/2, top+plotH-bh-4, "middle", colAxis, fmt.Sprint(m.Tubans))
		}
		label := m.Month
		if len(label) == 7 {
			label = strings.TrimPrefix(label[5:], "0") + "月"
		}
		b.text(x+slot/2, h-bottom+16, "middle", colAxis, label)
		pts = append(pts, f1(x+slot/2)+","+f1(top+plotH-plotH*float64(m.Illegal)/maxN))
	}
	b.f(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(pts, " "), colIllegal)
	for i, m := range months {
		x := left + slot*float64(i) + slot/2
		y := top + plotH - plotH*float64(m.Illegal)/maxN
		b.f(`<circle cx="%s" cy="%s" r="3" fill="%s"/>`, f1(x), f1(y), colIllegal)
	}
	b.line(left, top+plotH, w-right, top+plotH, colAxis)
	b.WriteString("</svg>")
	return b.String()
}

// RatioChart draws the 违法占用耕地面积比例 as a bar against its lines.
func RatioChart(r stats.Ratio) string {
	const w, h, left, right = 560.0, 110.0, 16.0, 24.0
	// The scale runs to a multiple of 5 % above the ratio and the lines,
	// ticked every 5 % (10 % beyond 50 %).
	top := 0.30
	for _, v := range []float64{r.Value * 1.15} {
		top = math.Max(top, v)
	}
	for _, l := range r.Lines {
		top = math.Max(top, l.Line.Ratio*1.3)
	}
	scale := math.Min(1, math.Ceil(top/0.05-1e-9)*0.05)
	tick := 0.05
	if scale > 0.5 {
		tick = 0.10
		scale = math.Min(1, math.Ceil(scale/0.1-1e-9)*0.1)
	}
	plotW := w - left - right
	var b svgBuf
	b.open(w, h, "违法占用耕地面积比例")
	b.text(left, 14, "start", "#000", "违法占用耕地面积比例："+RatioText(r.Value), ` font-weight="bold"`)
	y0, bh := 40.0, 26.0
	b.rect(left, y0, plotW, bh, "#f2f2f2")
	fill := colLegal
	for _, l := range r.Lines {
		if l.Reached {
			fill = colIllegal
		}
	}
	if r.Value > 0 {
		b.rect(left, y0, plotW*math.Min(r.Value, scale)/scale, bh, fill)
	}
	for v := 0.0; v <= scale+1e-9; v += tick {
		x := left + plotW*v/scale
		b.line(x, y0+bh, x, y0+bh+4, colAxis)
		b.text(x, y0+bh+16, "middle", colAxis, fmt.Sprintf("%.0f%%", v*100))
	}
	for i, l := range r.Lines {
		x := left + plotW*l.Line.Ratio/scale
		b.line(x, y0-4, x, y0+bh+4, "#000", ` stroke-width="2" stroke-dasharray="4 2"`)
		label := l.Line.Label + " " + l.Line.String()
		if i%2 == 1 {
			b.text(x+3, y0+bh+32, "start", "#000", label)
		} else {
			b.text(x+3, y0-6, "start", "#000", label)
		}
	}
	b.WriteString("</svg>")
	return b.String()
}

// MapChart draws the period's 图斑 over the townships and patrol zones,
// in the Gauss–Krüger zone of the map's centre (north up, metres to
// scale). Each 图斑 is also marked by a dot, so that small ones show.
func MapChart(m MapData) string {
	const w, h, pad, legendH = 560.0, 430.0, 10.0, 26.0
	var all []Shape
	all = append(append(append(all, m.Townships...), m.Zones...), m.Tubans...)
	var bound orb.Bound
	first := true
	for _, s := range all {
		if len(s.Geometry) == 0 {
			continue
		}
		if first {
			bound, first = s.Geometry.Bound(), false
		} else {
			bound = bound.Union(s.Geometry.Bound())
		}
	}
	var b svgBuf
	b.open(w, h, "统计期图斑分布")
	if first {
		b.text(w/2, h/2, "middle", colAxis, "无图层与图斑可绘制")
		b.WriteString("</svg>")
		return b.String()
	}
	c := bound.Center()
	z := geodesy.ZoneFor(c[0], c[1])
	proj := func(p orb.Point) (float64, float64) { return z.Forward(p[0], p[1]) }
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, s := range all {
		for _, poly := range s.Geometry {
			for _, ring := range poly {
				for _, p := range ring {
					x, y := proj(p)
					minX, minY, maxX, maxY = math.Min(minX, x), math.Min(minY, y), math.Max(maxX, x), math.Max(maxY, y)
				}
			}
		}
	}
	const scaleH = 22.0 // the strip under the map for the scale bar
	plotH := h - legendH - 2*pad - scaleH
	k := math.Min((w-2*pad)/math.Max(maxX-minX, 1), plotH/math.Max(maxY-minY, 1))
	ox := pad + ((w-2*pad)-(maxX-minX)*k)/2
	oy := legendH + pad + (plotH-(maxY-minY)*k)/2
	sx := func(x float64) float64 { return ox + (x-minX)*k }
	sy := func(y float64) float64 { return oy + (maxY-y)*k }
	path := func(mp orb.MultiPolygon) string {
		var p strings.Builder
		for _, poly := range mp {
			for _, ring := range poly {
				for i, pt := range ring {
					x, y := proj(pt)
					if i == 0 {
						fmt.Fprintf(&p, "M%s %s", f1(sx(x)), f1(sy(y)))
					} else {
						fmt.Fprintf(&p, "L%s %s", f1(sx(x)), f1(sy(y)))
					}
				}
				p.WriteString("Z")
			}
		}
		return p.String()
	}
	for _, s := range m.Townships {
		b.f(`<path d="%s" fill="#f7f7f2" stroke="#a6a6a6" stroke-width="1" fill-rule="evenodd"/>`, path(s.Geometry))
	}
	for _, s := range m.Zones {
		b.f(`<path d="%s" fill="none" stroke="#2f5597" stroke-width="1.2" stroke-dasharray="6 3" fill-rule="evenodd"/>`, path(s.Geometry))
	}
	labels := func(ss []Shape, fill string, dy float64) {
		for _, s := range ss {
			if len(s.Geometry) == 0 || s.Name == "" {
				continue
			}
			x, y := proj(s.Geometry.Bound().Center())
			b.text(sx(x), sy(y)+dy, "middle", fill, s.Name, ` font-size="10"`)
		}
	}
	labels(m.Townships, "#7f7f7f", 12)
	labels(m.Zones, "#2f5597", 0)
	colour := func(class string) string {
		switch class {
		case "违法":
			return colIllegal
		case "合法":
			return colLegal
		case "其他":
			return colOther
		}
		return colPending
	}
	for _, s := range m.Tubans {
		if len(s.Geometry) == 0 {
			continue
		}
		col := colour(s.Class)
		b.f(`<path d="%s" fill="%s" fill-opacity="0.6" stroke="%s" stroke-width="0.8" fill-rule="evenodd"/>`, path(s.Geometry), col, col)
		x, y := proj(s.Geometry.Bound().Center())
		b.f(`<circle cx="%s" cy="%s" r="3.5" fill="%s" stroke="#fff" stroke-width="0.8"/>`, f1(sx(x)), f1(sy(y)), col)
	}
	b.legend(pad, 16, [2]string{"违法", colIllegal}, [2]string{"合法", colLegal}, [2]string{"其他", colOther}, [2]string{"未核实", colPending})
	b.line(pad+300, 12, pad+330, 12, "#2f5597", ` stroke-width="1.2" stroke-dasharray="6 3"`)
	b.text(pad+334, 16, "start", colAxis, "巡查区")
	b.f(`<rect x="%s" y="7" width="14" height="10" fill="#f7f7f2" stroke="#a6a6a6"/>`, f1(pad+390))
	b.text(pad+408, 16, "start", colAxis, "乡镇")
	// Scale bar: a round length near a fifth of the width.
	lenM := niceMax((w / 5) / k)
	if lenM > (w/3)/k {
		lenM /= 2
	}
	bx, by := pad, h-pad
	b.line(bx, by, bx+lenM*k, by, "#000", ` stroke-width="2"`)
	b.line(bx, by-5, bx, by, "#000", ` stroke-width="2"`)
	b.line(bx+lenM*k, by-5, bx+lenM*k, by, "#000", ` stroke-width="2"`)
	unit := fmt.Sprintf("%.0f 米", lenM)
	if lenM >= 1000 {
		unit = fmt.Sprintf("%g 千米", lenM/1000)
	}
	b.text(bx+lenM*k/2, by-4, "middle", "#000", unit)
	b.text(w-pad, legendH+pad, "end", "#000", "北↑", ` font-size="12"`)
	b.WriteString("</svg>")
	return b.String()
}
