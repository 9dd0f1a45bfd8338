package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"

	"github.com/weipian/weipian/internal/sheet"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/task"
	"github.com/weipian/weipian/pipeline/xiafa"
	"github.com/weipian/weipian/raster"
)

// XiafaExportRequest asks for the verification (核查成果) of a 下发 batch.
type XiafaExportRequest struct {
	Batch string
	// Out is the directory to write (it must not exist, or be empty).
	Out string
	// Format is shp (default, GBK attributes), gpkg or gdb.
	Format string
	// CRS is the output CRS (crs.Parse; "" = CGCS2000, EPSG:4490).
	CRS string
}

// ManifestFile is one file of a return package with its checksum.
type ManifestFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Manifest describes a return package (manifest.json).
type Manifest struct {
	Kind      string            `json:"kind"`
	Batch     string            `json:"batch"`
	BatchName string            `json:"batch_name"`
	Source    string            `json:"source"`
	Rows      int               `json:"rows"`
	Verified  int               `json:"verified"`
	Photos    int               `json:"photos"`
	Format    string            `json:"format"`
	CRS       string            `json:"crs"`
	Encoding  string            `json:"encoding,omitempty"`
	Columns   map[string]string `json:"columns"` // written column → the column it carries (code or original name)
	Files     []ManifestFile    `json:"files"`
}

// ManifestName is the manifest file of a return package.
const ManifestName = "manifest.json"

// XiafaExportResult is what an export wrote.
type XiafaExportResult struct {
	Dir      string
	Manifest Manifest
}

// exportColumn is a column of the return table: its name in the file, the
// key it carries (a glossary code or an original column name) and whether
// it is numeric.
type exportColumn struct {
	name, key, label string
	real             bool
	county           bool
}

// countyValues computes the county's columns of a verified task.
func countyValues(t *task.Task, tb pipeline.Tuban, photoDir string, photos int) map[string]string {
	v := map[string]string{}
	f := task.Findings{}
	if t.Findings != nil {
		f = *t.Findings
	}
	verified := t.Verdict != ""
	if photos > 0 {
		v["XJJZ"] = "是"
		v["WYHC"] = "是"
		v["TPLJ"] = photoDir
	} else {
		v["XJJZ"] = "否"
		v["WYHC"] = "否"
	}
	switch t.Verdict {
	case task.VerdictLegal:
		v["JZLX"], v["PDJG"] = "合法", "合法"
	case task.VerdictIllegal:
		v["JZLX"], v["PDJG"] = "违法", "违法"
	case "":
	default:
		v["JZLX"], v["PDJG"] = "其他", "其他（"+t.Verdict.Label()+"）"
	}
	if t.Verdict == task.VerdictIllegal {
		v["WFLX"] = t.ViolationType.Label()
		wf := f.IllegalAreaM2
		if wf == 0 {
			wf = tb.JCMJ
		}
		v["WFMJ"] = strconv.FormatFloat(round2(wf), 'f', -1, 64)
	}
	if verified {
		v["HCSB"] = "已核查"
		for _, h := range t.History {
			if h.To == task.Verified {
				v["PDYJSM"] = h.Reason
				v["HCRY"] = h.Actor
				v["HCSJ"] = h.At.In(task.ChinaTime()).Format("2006-01-02")
			}
		}
	} else {
		v["HCSB"] = "未核查"
	}
	op := f.Opinion
	if op == "" && verified {
		op = t.Verdict.Label()
	}
	set := func(k, s string) {
		if s != "" {
			v[k] = s
		}
	}
	set("HSRDYJ", op)
	set("XCHCMS", f.Description)
	set("XMMC", f.ProjectName)
	set("XMZT", f.ProjectOwner)
	set("JSSJ", f.BuiltAt)
	set("PZWH", t.ApprovalNo)
	set("PZJG", f.ApprovalAuthority)
	set("PZSJ", f.ApprovalDate)
	set("HCRY", f.Inspectors)
	set("HCSJ", f.InspectedAt)
	if f.ApprovedAreaM2 > 0 {
		v["PZMJ"] = strconv.FormatFloat(round2(f.ApprovedAreaM2), 'f', -1, 64)
	}
	return v
}

// hasVerification reports whether the county has worked on a task (so its
// columns come from weipian rather than from what was imported).
func hasVerification(t *task.Task) bool {
	return t != nil && (t.Verdict != "" || t.Findings != nil || len(t.Evidence) > 0)
}

// ExportXiafa writes the verification (核查成果) of a 下发 batch in the
// issuer's shape: a Shapefile (GBK .cpg; or GPKG / File Geodatabase) in
// CGCS2000 with the issued columns as issued plus the county's (JZLX, PDJG,
// WFLX, WFMJ, 核实认定意见, 现场核查描述, 项目名称/主体, 建设时间, 批准文号 …, TPLJ
// pointing into the package), an Excel table of the same rows, the
// evidence photos per JCBH (人工举证照片 / 无人机举证照片, EXIF intact) and a
// manifest with checksums. The directory appears whole or not at all.
func (a *App) ExportXiafa(ctx context.Context, p Principal, req XiafaExportRequest) (XiafaExportResult, error) {
	var res XiafaExportResult
	err := a.audited(ctx, p, "xiafa.export", req.Batch, func() (string, error) {
		if err := p.authorize(ActXiafaExport); err != nil {
			return "", err
		}
		var err error
		format := strings.ToLower(strings.TrimSpace(req.Format))
		driver, ext, enc := raster.DriverShapefile, ".shp", "GBK"
		switch format {
		case "", "shp", "shapefile":
			format = "shp"
		case "gpkg":
			driver, ext, enc = raster.DriverGPKG, ".gpkg", ""
		case "gdb", "filegdb":
			format, driver, ext, enc = "gdb", raster.DriverFileGDB, ".gdb", ""
		default:
			return "", invalid("格式 %q：应为 shp、gpkg 或 gdb", req.Format)
		}
		outCRS := a.outCRS
		if c, err := ParseCRS(req.CRS); err != nil {
			return "", err
		} else if c != nil {
			outCRS = *c
		}
		b, err := a.store.GetBatch(ctx, req.Batch)
		if err != nil {
			return "", wrapNotFound(err, "批次", req.Batch)
		}
		if b.Spec.Kind != pipeline.KindXiafa {
			return "", invalid("批次 %s 不是下发批次（它是本地监测批次）", req.Batch)
		}
		if req.Out == "" {
			return "", invalid("缺少输出目录")
		}
		if entries, err := os.ReadDir(req.Out); err == nil && len(entries) > 0 {
			return "", invalid("输出目录 %s 已存在且不为空", req.Out)
		}
		ts, err := a.store.TubansOfBatch(ctx, b.ID)
		if err != nil {
			return "", err
		}
		var tubans []pipeline.Tuban
		for _, t := range ts {
			if t.Issued != nil && t.Issued.Batch == b.ID {
				tubans = append(tubans, t)
			}
		}
		sort.Slice(tubans, func(i, j int) bool { return tubans[i].JCBH < tubans[j].JCBH })
		var geoms []orb.Geometry
		for _, t := range tubans {
			geoms = append(geoms, t.Issued.Geometry)
		}
		outCRS, err = outCRS.Resolve(geoms...)
		if err != nil {
			return "", invalid("坐标系：%s", clean(err.Error()))
		}
		tmp := filepath.Clean(req.Out) + ".part"
		os.RemoveAll(tmp)
		if err := os.MkdirAll(tmp, 0o755); err != nil {
			return "", err
		}
		done := false
		defer func() {
			if !done {
				os.RemoveAll(tmp)
			}
		}()
		// Columns: the issued ones in glossary order, the file's others,
		// then the county's.
		present := map[string]bool{}
		for _, t := range tubans {
			for k := range t.Issued.Columns {
				present[k] = true
			}
		}
		var cols []exportColumn
		known := map[string]bool{}
		for _, f := range xiafa.Fields {
			known[f.Code] = true
			if f.County || !present[f.Code] && !f.Required {
				continue
			}
			cols = append(cols, exportColumn{name: f.Code, key: f.Code, label: f.Name, real: f.Kind == xiafa.AreaM2 || f.Kind == xiafa.Number})
		}
		var extra []string
		for k := range present {
			if !known[k] {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		for i, k := range extra {
			name := k
			if format == "shp" && !fitsDBF(k) {
				name = fmt.Sprintf("EXT%d", i+1)
			}
			cols = append(cols, exportColumn{name: name, key: k, label: k})
		}
		for _, f := range xiafa.Fields {
			if f.County {
				cols = append(cols, exportColumn{name: f.Code, key: f.Code, label: f.Name, real: f.Kind == xiafa.AreaM2, county: true})
			}
		}
		m := Manifest{Kind: "weipian 核查成果", Batch: b.ID, BatchName: b.Spec.Name, Source: b.Spec.Source, Rows: len(tubans), Format: format,
			CRS: fmt.Sprintf("EPSG:%d", outCRS.EPSG()), Encoding: enc, Columns: map[string]string{}}
		for _, c := range cols {
			m.Columns[c.name] = c.key
		}
		// The rows, and the photos into their folders.
		rows := make([]map[string]string, len(tubans))
		for i, tb := range tubans {
			var t *task.Task
			if tb.TaskID != "" {
				t, _ = a.store.Task(ctx, tb.TaskID)
			}
			row := map[string]string{}
			for k, v := range tb.Issued.Columns {
				row[k] = v
			}
			if hasVerification(t) {
				dir := "举证照片/" + fileSafe(tb.JCBH)
				n, err := a.copyPhotos(ctx, t, filepath.Join(tmp, filepath.FromSlash(dir)))
				if err != nil {
					return "", err
				}
				m.Photos += n
				for k, v := range countyValues(t, tb, dir, n) {
					row[k] = v
				}
				if t.Verdict != "" {
					m.Verified++
				}
			}
			rows[i] = row
		}
		// The table as a vector layer.
		fields := make([]raster.Field, len(cols))
		for i, c := range cols {
			fields[i] = raster.Field{Name: c.name, Type: raster.String}
			if c.real {
				fields[i].Type = raster.Real
			}
		}
		feats := make([]raster.Feature, len(tubans))
		for i, tb := range tubans {
			g, err := outCRS.Project(tb.Issued.Geometry)
			if err != nil {
				return "", invalid("图斑 %s：%s", tb.JCBH, clean(err.Error()))
			}
			vals := make([]any, len(cols))
			for j, c := range cols {
				v := rows[i][c.key]
				if c.real {
					if x, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", ""), 64); err == nil {
						vals[j] = x
					}
					continue
				}
				if v != "" {
					vals[j] = v
				}
			}
			feats[i] = raster.Feature{Geometry: g, Values: vals}
		}
		base := fileSafe(b.Spec.Name) + "_核查成果"
		vec := filepath.Join(tmp, "核查成果", base+ext)
		if err := os.MkdirAll(filepath.Dir(vec), 0o755); err != nil {
			return "", err
		}
		if err := raster.WriteVector(vec, raster.VectorWriteOptions{Driver: driver, EPSG: outCRS.EPSG(), Encoding: enc, Layer: base}, fields, feats); err != nil {
			return "", err
		}
		if err := writeReturnXLSX(filepath.Join(tmp, "核查成果", base+".xlsx"), b, cols, rows); err != nil {
			return "", err
		}
		// The manifest, with every file's checksum.
		err = filepath.WalkDir(tmp, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(tmp, path)
			sum, size, err := fileSHA256(path)
			if err != nil {
				return err
			}
			m.Files = append(m.Files, ManifestFile{Path: filepath.ToSlash(rel), Size: size, SHA256: sum})
			return nil
		})
		if err != nil {
			return "", err
		}
		sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
		data, _ := json.MarshalIndent(m, "", "  ")
		if err := os.WriteFile(filepath.Join(tmp, ManifestName), append(data, '\n'), 0o644); err != nil {
			return "", err
		}
		var sums strings.Builder
		for _, f := range m.Files {
			fmt.Fprintf(&sums, "%s  %s\n", f.SHA256, f.Path)
		}
		if err := os.WriteFile(filepath.Join(tmp, "SHA256SUMS"), []byte(sums.String()), 0o644); err != nil {
			return "", err
		}
		os.Remove(req.Out) // an empty directory
		if err := os.Rename(tmp, req.Out); err != nil {
			return "", err
		}
		done = true
		res = XiafaExportResult{Dir: req.Out, Manifest: m}
		return fmt.Sprintf("%d rows, %d verified, %d photos, %s %s", m.Rows, m.Verified, m.Photos, format, m.CRS), nil
	})
	return res, err
}

// fitsDBF reports whether a column name fits a Shapefile's 10 bytes in GBK
// (2 bytes per Chinese character).
func fitsDBF(s string) bool {
	n := 0
	for _, r := range s {
		if r < 0x80 {
			n++
		} else {
			n += 2
		}
	}
	return n <= 10
}

// fileSafe makes a name safe as a file name on Windows and Linux.
func fileSafe(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < 0x20 {
			return '_'
		}
		return r
	}, strings.TrimSpace(s))
	if s == "" || s == "." || s == ".." {
		return "_"
	}
	return s
}

func fileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// copyPhotos copies a task's evidence photos, byte for byte, into
// dir/人工举证照片 and dir/无人机举证照片; it returns how many.
func (a *App) copyPhotos(ctx context.Context, t *task.Task, dir string) (int, error) {
	used := map[string]bool{}
	n := 0
	for _, e := range t.Evidence {
		sub := "人工举证照片"
		if e.Kind == task.EvidenceDrone {
			sub = "无人机举证照片"
		}
		name := fileSafe(filepath.Base(e.Name))
		if used[sub+"/"+name] {
			name = e.SHA256[:8] + "_" + name
		}
		used[sub+"/"+name] = true
		r, err := a.blobs.Get(ctx, evidenceKey(e))
		if err != nil {
			return n, fmt.Errorf("evidence %s of %s: %w", e.Name, t.JCBH, err)
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			r.Close()
			return n, err
		}
		f, err := os.Create(filepath.Join(dir, sub, name))
		if err != nil {
			r.Close()
			return n, err
		}
		_, err = io.Copy(f, r)
		r.Close()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// writeReturnXLSX writes the rows of the return table as a workbook: a
// title, a header of Chinese names with their codes, one row per 图斑.
func writeReturnXLSX(path string, b pipeline.Batch, cols []exportColumn, rows []map[string]string) error {
	f := excelize.NewFile()
	defer f.Close()
	const sh = "核查成果"
	f.SetSheetName("Sheet1", sh)
	f.SetCellValue(sh, "A1", sheet.Safe(fmt.Sprintf("%s（%s下发）核查成果", b.Spec.Name, b.Spec.Source)))
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	for j, c := range cols {
		cell, _ := excelize.CoordinatesToCellName(j+1, 2)
		f.SetCellValue(sh, cell, sheet.Safe(c.label))
		cell, _ = excelize.CoordinatesToCellName(j+1, 3)
		f.SetCellValue(sh, cell, sheet.Safe(c.name))
	}
	last, _ := excelize.CoordinatesToCellName(len(cols), 3)
	f.SetCellStyle(sh, "A2", last, bold)
	for i, row := range rows {
		for j, c := range cols {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+4)
			v := row[c.key]
			if c.real {
				if x, err := strconv.ParseFloat(v, 64); err == nil {
					f.SetCellValue(sh, cell, x)
					continue
				}
			}
			f.SetCellValue(sh, cell, sheet.Safe(v))
		}
	}
	f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"})
	// The whole package is written in a scratch directory and renamed.
	return f.SaveAs(path)
}
