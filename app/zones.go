package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/raster"
)

// ZoneImportRequest is a zone layer file to import as the next version of
// its kind.
type ZoneImportRequest struct {
	// Kind is the zone kind's name, code or alias (耕地, gengdi, …).
	Kind string
	// File is a local vector file (GeoPackage, Shapefile or a .zip holding
	// one, GeoJSON, …); Source is what the layer records as its origin
	// ("" = the absolute path of File).
	File, Source string
	Layer        string // the layer of a multi-layer file
	Map          string // 'ZRR=责任人,DJ=等级'
	Name         string // the version's name ("" = the file name)
	Encoding     string // text encoding of a .dbf without .cpg
	AreaUnit     string // unit of 批准面积: m2 or 亩
	SkipInvalid  bool   // import the valid features when some are invalid
	DryRun       bool   // check only
}

// ZoneImportResult is what an import did (or, refused, what was wrong).
type ZoneImportResult struct {
	Layer    pipeline.ZoneLayer
	Version  int  // 0 for a dry run or a refusal
	Imported bool // false for a dry run or a refusal
	// Problems are every problem found (with a refusal: the reasons).
	Problems []pipeline.ZoneProblem
}

// ImportZones reads a vector file and stores it as the new active version
// of its kind's layer, in one transaction. A file with invalid features is
// refused whole (an *Error of KindInvalid, with the problems in the
// result), unless SkipInvalid.
func (a *App) ImportZones(ctx context.Context, p Principal, req ZoneImportRequest) (ZoneImportResult, error) {
	var res ZoneImportResult
	src := req.Source
	if src == "" {
		src = zoneSource(req.File, req.Layer)
	}
	action := "zones.import"
	if req.DryRun {
		action = "zones.check"
	}
	err := a.audited(ctx, p, action, src, func() (string, error) {
		if err := p.authorize(ActZoneImport); err != nil {
			return "", err
		}
		if req.Kind == "" {
			return "", invalid("缺少图层类型 kind：%s", ZoneKindList())
		}
		kind, err := pipeline.ParseZoneKind(req.Kind)
		if err != nil {
			return "", invalid("图层类型 %q 未知：应为 %s", req.Kind, ZoneKindList())
		}
		m, err := pipeline.ParseFieldMap(req.Map)
		if err != nil {
			return "", invalid("字段映射 map：%s", clean(err.Error()))
		}
		switch strings.ToLower(strings.TrimSpace(req.AreaUnit)) {
		case "", "m2", "m²", "平方米", "亩", "mu":
		default:
			return "", invalid("面积单位 %q：应为 m2 或 亩", req.AreaUnit)
		}
		if req.Encoding != "" {
			if err := raster.CheckEncoding(req.Encoding); err != nil {
				return "", invalid("%s", clean(err.Error()))
			}
		}
		feats, readProblems, err := raster.ReadVector(ctx, req.File, raster.VectorOptions{Layer: req.Layer, Encoding: req.Encoding})
		if err != nil {
			return "", a.vectorError(err, req.File, src)
		}
		raw := make([]pipeline.RawZone, len(feats))
		for i, f := range feats {
			raw[i] = pipeline.RawZone{ID: f.FID, Attrs: f.Attrs, Geometry: f.Geometry}
		}
		spec := pipeline.ZoneImportSpec{
			Kind: kind, Name: req.Name, Source: src,
			ZoneMapOptions: pipeline.ZoneMapOptions{Map: m, AreaUnit: req.AreaUnit},
			SkipInvalid:    req.SkipInvalid,
		}
		if spec.Name == "" {
			spec.Name = strings.TrimSuffix(filepath.Base(src), filepath.Ext(src))
		}
		for _, rp := range readProblems {
			spec.ReadProblems = append(spec.ReadProblems, pipeline.ZoneProblem{FeatureID: rp.FID, Problem: rp.Problem, Warning: !rp.Skipped})
		}
		l, err := pipeline.BuildZoneLayer(spec, raw)
		var refused *pipeline.ZoneImportError
		if errors.As(err, &refused) {
			res.Problems = refused.Problems
			return "", &Error{Kind: KindInvalid, Message: fmt.Sprintf("未导入 %s（%s）：%d 个要素有错误，什么也没有导入", kind, filepath.Base(src), refused.Errors), err: err}
		}
		if err != nil {
			return "", err
		}
		res.Layer, res.Problems = l, l.Problems
		if req.DryRun {
			return fmt.Sprintf("检查通过：%d 个要素可导入", len(l.Zones)), nil
		}
		v, err := a.store.ImportZoneLayer(ctx, l)
		if err != nil {
			return "", err
		}
		res.Version, res.Imported, res.Layer.Version = v, true, v
		return fmt.Sprintf("%s 第 %d 版：%d 个要素", kind, v, len(l.Zones)), nil
	})
	return res, err
}

// vectorError makes a vector reading error a user's error, naming the file
// as the user gave it.
// Any error of reading the file (it does not exist, is not a vector
// layer, has no CRS, …) is the input's fault, but for cancellation.
func (a *App) vectorError(err error, file, src string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg := strings.ReplaceAll(clean(err.Error()), file, src)
	// A Chinese lead says what is wrong; GDAL's and the reader's detail
	// follows in brackets, as the practice's GIS staff will search it.
	lead := "文件无法导入"
	switch {
	case errors.Is(err, raster.ErrUnreadable):
		lead = "文件无法读取（应为 GIS 能打开的矢量文件：Shapefile、GPKG、GDB、GeoJSON 或其 zip 包）"
	case errors.Is(err, raster.ErrEmpty):
		lead = "图层中没有要素"
	case errors.Is(err, raster.ErrBadVector):
		lead = "矢量数据不符合要求（应为带坐标系的面图层）"
	}
	return &Error{Kind: KindInvalid, Message: src + "：" + lead + "。详情：" + msg, err: err}
}

// ZoneKindList lists the zone kinds for help texts.
func ZoneKindList() string {
	var s []string
	for _, k := range pipeline.ZoneKinds() {
		s = append(s, k.String()+" ("+k.Code()+")")
	}
	return strings.Join(s, ", ")
}

// zoneSource is what a layer records as its source: the absolute path, and
// the layer read.
func zoneSource(file, layer string) string {
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	if layer != "" {
		file += "（图层 " + layer + "）"
	}
	return file
}

// ZoneLayers returns the versions of the given kinds (all kinds if none).
func (a *App) ZoneLayers(ctx context.Context, p Principal, kinds ...pipeline.ZoneKind) (map[pipeline.ZoneKind][]pipeline.ZoneLayerInfo, error) {
	if err := p.authorize(ActZoneRead); err != nil {
		return nil, err
	}
	if len(kinds) == 0 {
		kinds = pipeline.ZoneKinds()
	}
	out := map[pipeline.ZoneKind][]pipeline.ZoneLayerInfo{}
	for _, k := range kinds {
		infos, err := a.store.ZoneLayerVersions(ctx, k)
		if err != nil {
			return nil, err
		}
		out[k] = infos
	}
	return out, nil
}

// ActiveZones returns the active layer of a kind (its features in WGS84),
// for maps. Patrol members get only their own team's patrol zones.
func (a *App) ActiveZones(ctx context.Context, p Principal, kind pipeline.ZoneKind) (pipeline.ZoneLayer, error) {
	if err := p.authorize(ActZoneRead); err != nil {
		return pipeline.ZoneLayer{}, err
	}
	l, err := a.store.ActiveZones(ctx, kind)
	if err != nil {
		return l, wrapNotFound(err, "图层", kind.String())
	}
	if team, scoped := p.TeamScope(); scoped && kind.String() == "巡查区" {
		var keep []pipeline.Zone
		for _, z := range l.Zones {
			if z.Team == team {
				keep = append(keep, z)
			}
		}
		l.Zones = keep
	}
	if !p.SeesContacts() {
		for i := range l.Zones {
			l.Zones[i].Contact = maskContact(l.Zones[i].Contact)
		}
	}
	return l, nil
}

// maskContact hides the middle of a phone number: 138****5678.
func maskContact(s string) string {
	r := []rune(s)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	keep := 3
	if len(r) < 11 {
		keep = 1
	}
	return string(r[:keep]) + strings.Repeat("*", len(r)-keep-4) + string(r[len(r)-4:])
}
