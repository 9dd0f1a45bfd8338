package app_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/app/fixture"
	"github.com/weipian/weipian/export"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/crs"
)

// The Shapefile and GeoJSON exports through the use case: formats listed,
// the CRS option passed on (the fixture county is in GK zone 38).
func TestExportShapefileAndCRS(t *testing.T) {
	a, _ := open(t, app.Config{})
	op := app.Operator("张三")
	q := app.TaskQuery{Team: fixture.TeamWest}
	for _, f := range []string{"shp", "kmz"} {
		if app.ExportFormats[f] == nil || app.ExportContentTypes[f] == "" || app.ExportExtensions[f] == "" || !strings.Contains(app.ExportFormatNames, f) {
			t.Errorf("format %s not wired", f)
		}
	}
	var shp bytes.Buffer
	n, err := a.ExportTasks(t.Context(), op, q, "shp", false, &shp, export.WithCRS(crs.GK))
	if err != nil || n == 0 {
		t.Fatalf("shp export: %d, %v", n, err)
	}
	zr, err := zip.NewReader(bytes.NewReader(shp.Bytes()), int64(shp.Len()))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, f := range zr.File {
		files[f.Name] = true
		if strings.HasSuffix(f.Name, ".prj") {
			rc, _ := f.Open()
			var b bytes.Buffer
			b.ReadFrom(rc)
			rc.Close()
			if !strings.Contains(b.String(), "CGCS2000_3_Degree_GK_Zone_38") {
				t.Errorf(".prj %s", b.String())
			}
		}
	}
	base := fixture.TeamWest + "_核查任务"
	for _, ext := range []string{".shp", ".shx", ".dbf", ".prj", ".cpg", "_字段对照.csv"} {
		if !files[base+ext] {
			t.Errorf("no %s%s in %v", base, ext, files)
		}
	}
	var gj bytes.Buffer
	if _, err := a.ExportTasks(t.Context(), op, q, "geojson", false, &gj, export.WithCRS(crs.CGCS2000)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		CRS struct{ Properties struct{ Name string } }
	}
	if err := json.Unmarshal(gj.Bytes(), &doc); err != nil || doc.CRS.Properties.Name != "urn:ogc:def:crs:EPSG::4490" {
		t.Errorf("GeoJSON crs %q (%v)", doc.CRS.Properties.Name, err)
	}
	_, err = a.ExportTasks(t.Context(), op, q, "dwg", false, &gj)
	if !errors.Is(err, pipeline.ErrInvalid) || !strings.Contains(err.Error(), "shp") {
		t.Errorf("unknown format: %v", err)
	}
}
