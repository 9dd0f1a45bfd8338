package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/weipian/weipian/casework"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/xiafa"
	"github.com/weipian/weipian/raster"
)

// XiafaImportRequest is a 下发 package to import: the 图斑 a ministry (部),
// province (省) or city (市) issued to the county.
type XiafaImportRequest struct {
	// Path is a vector file (Shapefile, GeoPackage, GeoJSON, a File
	// Geodatabase directory, or a .zip holding one) or a directory holding
	// exactly one.
	Path string
	// Source is the issuer: 部, 省 or 市.
	Source string
	// BatchName is the issuer's batch name ("" = the file name).
	BatchName string
	// Map maps their columns to the glossary: '监测图斑号=JCBH'.
	Map string
	// Codes are extra TBLX codes: 'XX=名称=类型'.
	Codes string
	// Encoding of a Shapefile's .dbf without .cpg (e.g. GBK).
	Encoding string
	Layer    string
	// DryRun checks the package without importing it.
	DryRun bool
}

// XiafaImportResult is what an import did, or why it refused.
type XiafaImportResult struct {
	Batch    pipeline.Batch
	Created  bool
	Patches  int
	Summary  casework.Summary
	Linked   int // issued 图斑 joined to the county's own detection of the same ground
	Columns  xiafa.Columns
	Problems []xiafa.Problem
}

// Sources are the issuers of 下发 batches.
var Sources = []string{"部", "省", "市"}

// findPackage returns the vector file of a package path.
func findPackage(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", invalid("下发包 %s 不存在或不可读", filepath.Base(path))
	}
	if !st.IsDir() || strings.EqualFold(filepath.Ext(path), ".gdb") {
		return path, nil
	}
	var found []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		ext := strings.ToLower(filepath.Ext(p))
		if d.IsDir() {
			if ext == ".gdb" {
				found = append(found, p)
				return filepath.SkipDir
			}
			return nil
		}
		switch ext {
		case ".shp", ".gpkg", ".geojson":
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(found)
	switch len(found) {
	case 0:
		return "", &Error{Kind: KindInvalid, Message: fmt.Sprintf("下发包 %s 中没有矢量文件（.shp, .gdb, .gpkg, .geojson）", filepath.Base(path)), err: xiafa.ErrNoPackage}
	case 1:
		return found[0], nil
	}
	var names []string
	for _, f := range found {
		rel, _ := filepath.Rel(path, f)
		names = append(names, rel)
	}
	return "", invalid("下发包 %s 中有多个矢量文件（%s）：请指定其中一个", filepath.Base(path), strings.Join(names, ", "))
}

// hashPackage hashes the files of a package, so that importing the same
// package again is recognised.
func hashPackage(file string) (string, error) {
	h := sha256.New()
	var files []string
	st, err := os.Stat(file)
	if err != nil {
		return "", err
	}
	if st.IsDir() {
		filepath.WalkDir(file, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, p)
			}
			return nil
		})
	} else {
		// A Shapefile is its sidecar files too.
		stem := strings.TrimSuffix(file, filepath.Ext(file))
		matches, _ := filepath.Glob(stem + ".*")
		files = append(files, matches...)
	}
	sort.Strings(files)
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00", filepath.Base(f))
		_, err = io.Copy(h, fh)
		fh.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

// ImportXiafa imports a 下发 package: every feature is checked first (a
// missing or duplicate JCBH, an unknown TBLX code, bad dates, a wrong
// encoding, no CRS refuse the whole package, with every problem listed);
// then the issued 图斑 are overlaid with the zone layers exactly as
// weipian's own patches are, become 图斑 with their issued JCBH and tasks
// with the issuer's deadline (XJJZSJ), and join the county's own detection
// of the same ground instead of duplicating it. Importing the same package
// again changes nothing.
func (a *App) ImportXiafa(ctx context.Context, p Principal, req XiafaImportRequest) (XiafaImportResult, error) {
	var res XiafaImportResult
	name := filepath.Base(req.Path)
	action := "xiafa.import"
	if req.DryRun {
		action = "xiafa.check"
	}
	err := a.audited(ctx, p, action, name, func() (string, error) {
		if err := p.authorize(ActXiafaImport); err != nil {
			return "", err
		}
		req.Source = strings.TrimSpace(req.Source)
		switch req.Source {
		case "部", "省", "市":
		case "ministry":
			req.Source = "部"
		case "province":
			req.Source = "省"
		case "city":
			req.Source = "市"
		default:
			return "", invalid("下发来源 %q：应为 部、省 或 市", req.Source)
		}
		m, err := pipeline.ParseFieldMap(req.Map)
		if err != nil {
			return "", invalid("字段映射 map：%s", clean(err.Error()))
		}
		codes, err := xiafa.ParseCodes(req.Codes)
		if err != nil {
			return "", invalid("%s", clean(err.Error()))
		}
		if req.Encoding != "" {
			if err := raster.CheckEncoding(req.Encoding); err != nil {
				return "", invalid("%s", clean(err.Error()))
			}
		}
		file, err := findPackage(req.Path)
		if err != nil {
			return "", err
		}
		feats, readProblems, err := raster.ReadVector(ctx, file, raster.VectorOptions{Layer: req.Layer, Encoding: req.Encoding})
		if err != nil {
			return "", a.vectorError(err, file, filepath.Base(file))
		}
		for _, rp := range readProblems {
			if rp.Skipped {
				res.Problems = append(res.Problems, xiafa.Problem{FeatureID: rp.FID, Problem: rp.Problem})
			}
		}
		if len(res.Problems) > 0 {
			return "", &Error{Kind: KindInvalid, Message: fmt.Sprintf("未导入下发包 %s：%d 个要素无法读取，什么也没有导入", name, len(res.Problems))}
		}
		// A return package (ours or another weipian's) says which column
		// carries what: columns renamed to fit a Shapefile get their names
		// back.
		rename := manifestColumns(req.Path)
		raw := make([]pipeline.RawZone, len(feats))
		for i, f := range feats {
			attrs := f.Attrs
			if len(rename) > 0 {
				attrs = map[string]string{}
				for k, v := range f.Attrs {
					if orig, ok := rename[k]; ok {
						k = orig
					}
					attrs[k] = v
				}
			}
			raw[i] = pipeline.RawZone{ID: f.FID, Attrs: attrs, Geometry: f.Geometry}
		}
		batchName := strings.TrimSpace(req.BatchName)
		if batchName == "" {
			batchName = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
		}
		patches, cols, err := xiafa.Read(raw, pipeline.Issued{Source: req.Source, BatchName: batchName}, xiafa.Options{Map: m, Codes: codes})
		res.Columns = cols
		var ie *xiafa.ImportError
		if errors.As(err, &ie) {
			res.Problems = ie.Problems
			return "", &Error{Kind: KindInvalid, Message: fmt.Sprintf("未导入下发包 %s：%d 处错误，什么也没有导入", name, len(ie.Problems)), err: err}
		}
		if err != nil {
			return "", err
		}
		res.Patches = len(patches)
		if req.DryRun {
			return fmt.Sprintf("%d 图斑 checked", len(patches)), nil
		}
		sum, err := hashPackage(file)
		if err != nil {
			return "", err
		}
		region := ""
		if x := patches[0].Issued.XZQDM; len(x) >= 6 {
			region = x[:6]
		}
		spec := pipeline.BatchSpec{Name: batchName, Region: region, Kind: pipeline.KindXiafa, Source: req.Source, File: filepath.Base(file)}
		b, created, err := a.store.CreateBatch(ctx, pipeline.Batch{ID: spec.ID(sum, req.Map, req.Codes), Spec: spec, State: pipeline.BatchQueued})
		if err != nil {
			return "", err
		}
		res.Batch, res.Created = b, created
		if !created && b.State == pipeline.BatchDone {
			return b.ID + " (already imported)", nil
		}
		var ps []pipeline.Patch
		for i := range patches {
			is := patches[i].Issued
			is.Batch, is.BatchName = b.ID, batchName
			ps = append(ps, casework.IssuedPatch(is))
		}
		// queued (or a failed earlier attempt) → finalizing: the batch
		// needs no detection; the queue never sees it.
		if ok, err := a.store.TransitionBatch(ctx, b.ID, []pipeline.BatchState{pipeline.BatchQueued, pipeline.BatchFailed, pipeline.BatchFinalizing},
			pipeline.BatchFinalizing, "", "xiafa"); err != nil || !ok {
			if err == nil {
				err = errorf(KindConflict, "下发批次 %s 正在由另一进程导入", b.ID)
			}
			return "", err
		}
		if err := a.store.ReplacePatches(ctx, b.ID, ps); err != nil {
			return "", err
		}
		res.Summary, err = a.cases.JudgePatches(ctx, b.ID, ps)
		if err != nil {
			a.store.TransitionBatch(context.WithoutCancel(ctx), b.ID, []pipeline.BatchState{pipeline.BatchFinalizing}, pipeline.BatchFailed, PublicMessage(err), "")
			return "", err
		}
		if _, err := a.store.TransitionBatch(ctx, b.ID, []pipeline.BatchState{pipeline.BatchFinalizing}, pipeline.BatchDone, "", ""); err != nil {
			return "", err
		}
		ts, err := a.store.TubansOfBatch(ctx, b.ID)
		if err != nil {
			return "", err
		}
		for _, t := range ts {
			if len(t.AltJCBH) > 0 || len(t.History) > 1 {
				res.Linked++
			}
		}
		res.Batch, _ = a.store.GetBatch(ctx, b.ID)
		return fmt.Sprintf("%s: %d 图斑, %d linked to own detection, %d tasks", b.ID, len(ps), res.Linked, res.Summary.Tasks), nil
	})
	return res, err
}

// manifestColumns reads the column mapping of a return package's manifest
// (written column → what it carries), when the package has one.
func manifestColumns(path string) map[string]string {
	data, err := os.ReadFile(filepath.Join(path, ManifestName))
	if err != nil {
		return nil
	}
	var m Manifest
	if json.Unmarshal(data, &m) != nil {
		return nil
	}
	return m.Columns
}
