package reportdoc

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"

	"github.com/weipian/weipian/pipeline/geodesy"
)

var (
	//go:embed assets/report.html.tmpl
	pageTemplate string
	//go:embed assets/report.css
	pageCSS string

	pageTmpl = template.Must(template.New("report").Parse(pageTemplate))
)

type htmlHead struct {
	Label            string
	ColSpan, RowSpan int
}

type htmlCell struct{ Text, Class string }

type htmlRow struct {
	Cells []htmlCell
	Total bool
}

type htmlTable struct {
	ID, Title, Unit string
	First           bool
	// Cols are the columns' widths in per cent.
	Cols  []string
	Head1 []htmlHead
	Head2 []string
	Rows  []htmlRow
	Notes []note
}

type card struct {
	Label, Value string
	Red          bool
}

type pageData struct {
	Title, Batches                                  string
	CSS                                             template.CSS
	Doc                                             *Document
	Cards                                           []card
	TownshipChart, TrendChart, RatioChart, MapChart template.HTML
	Tables                                          []htmlTable
}

// text formats a cell as the tables show it.
func (c cell) text() string {
	switch v := c.V.(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', c.Dec, 64)
	}
	return fmt.Sprint(c.V)
}

func (c cell) class() string {
	cl := "t"
	if _, isText := c.V.(string); !isText {
		cl = "n"
	}
	if c.Red {
		cl += " red"
	}
	return cl
}

func htmlTableOf(i int, t *table) htmlTable {
	h := htmlTable{ID: fmt.Sprintf("t%d", i+1), Title: t.Title, Unit: t.Unit, Notes: t.Notes, First: i == 0}
	var total float64
	for _, w := range t.Widths {
		total += w
	}
	for _, w := range t.Widths {
		h.Cols = append(h.Cols, strconv.FormatFloat(w*100/total, 'f', 2, 64)+"%")
	}
	two := t.twoRows()
	for _, g := range t.Groups {
		if len(g.Cols) == 1 && g.Cols[0] == "" {
			rs := 1
			if two {
				rs = 2
			}
			h.Head1 = append(h.Head1, htmlHead{Label: g.Label, ColSpan: 1, RowSpan: rs})
			continue
		}
		h.Head1 = append(h.Head1, htmlHead{Label: g.Label, ColSpan: len(g.Cols), RowSpan: 1})
		h.Head2 = append(h.Head2, g.Cols...)
	}
	add := func(cs []cell, total bool) {
		r := htmlRow{Total: total}
		for _, c := range cs {
			r.Cells = append(r.Cells, htmlCell{Text: c.text(), Class: c.class()})
		}
		h.Rows = append(h.Rows, r)
	}
	for _, r := range t.Rows {
		add(r, false)
	}
	if t.Totals != nil {
		add(t.Totals, true)
	}
	return h
}

func (d *Document) cards() []card {
	r := &d.Report
	var cs []card
	cs = append(cs, card{Label: "纳入统计图斑（个）", Value: strconv.Itoa(r.Total.Total.N)})
	cs = append(cs, card{Label: "其中下发（个）", Value: strconv.Itoa(r.Total.Issued.N)})
	cs = append(cs, card{Label: "核实后（个）", Value: strconv.Itoa(r.Total.Verified.N)})
	cs = append(cs, card{Label: "违法图斑（个）", Value: strconv.Itoa(r.Total.Illegal.N), Red: r.Total.Illegal.N > 0})
	cs = append(cs, card{Label: "违法占用耕地（亩）", Value: strconv.FormatFloat(round(geodesy.Mu(r.Total.Illegal.JCGDMJ), 2), 'f', 2, 64)})
	reached := false
	for _, l := range r.Ratio.Lines {
		reached = reached || l.Reached
	}
	cs = append(cs, card{Label: "违法占用耕地比例", Value: RatioText(r.Ratio.Value), Red: reached})
	for _, in := range r.Indicators {
		if in.Name == "整改到位率" {
			v := "—"
			if in.RateN >= 0 {
				v = strconv.FormatFloat(round(in.RateN*100, 1), 'f', 1, 64) + "%"
			}
			cs = append(cs, card{Label: "整改到位率（按个数）", Value: v})
		}
	}
	return cs
}

// WriteHTML writes the report as one self-contained HTML page (UTF-8):
// the tables, the charts as inline SVG and the style sheet; nothing is
// loaded from elsewhere. It prints on A4 landscape (WritePDF prints it).
func WriteHTML(w io.Writer, d *Document) error {
	data := pageData{Title: d.Title(), Batches: batchesText(d.Meta.Batches), CSS: template.CSS(pageCSS), Doc: d, Cards: d.cards(),
		TownshipChart: template.HTML(TownshipChart(d.Report.Townships)),
		TrendChart:    template.HTML(TrendChart(d.Report.Trend)),
		RatioChart:    template.HTML(RatioChart(d.Report.Ratio)),
		MapChart:      template.HTML(MapChart(d.Map))}
	tables := d.Tables()
	for i := range tables {
		data.Tables = append(data.Tables, htmlTableOf(i, &tables[i]))
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, data); err != nil {
		return fmt.Errorf("reportdoc: html: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("reportdoc: write html: %w", err)
	}
	return nil
}
