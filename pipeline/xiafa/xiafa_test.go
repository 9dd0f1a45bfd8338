package xiafa_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/xiafa"
)

func sq(x, y float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x, y}, {x + 0.001, y}, {x + 0.001, y + 0.001}, {x, y + 0.001}, {x, y}}}}
}

func feat(id int64, attrs map[string]string) pipeline.RawZone {
	return pipeline.RawZone{ID: id, Attrs: attrs, Geometry: sq(114+float64(id)*0.01, 30)}
}

func TestReadKeepsWhatWasIssued(t *testing.T) {
	raw := []pipeline.RawZone{
		feat(0, map[string]string{"监测编号": "4201012026050001", "XZQDM": "420101", "TBLX": "20", "前时相": "20251006", "后时相": "2026/5/1",
			"XJJZSJ": "2026-06-20", "JCMJ": "1234.5", "省级备注": "重点", "PDJG": ""}),
		feat(1, map[string]string{"监测编号": "4201012026050002", "XZQDM": "420101", "TBLX": "推堆土", "前时相": "20251006", "后时相": "20260501"}),
	}
	ps, cols, err := xiafa.Read(raw, pipeline.Issued{Source: "省", BatchName: "2026年5月"}, xiafa.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cols["JCBH"] != "监测编号" || cols["QSX"] != "前时相" {
		t.Errorf("columns %v", cols)
	}
	p := ps[0].Issued
	if p.JCBH != "4201012026050001" || p.TBLX != "20" || p.QSX != "2025-10-06" || p.HSX != "2026-05-01" || p.XJJZSJ != "2026-06-20" ||
		p.JCMJ != 1234.5 || p.Source != "省" || p.Columns["省级备注"] != "重点" {
		t.Errorf("issued %+v", p)
	}
	if ps[1].Issued.TBLX != "TD" {
		t.Errorf("a TBLX name is mapped to its code: %q", ps[1].Issued.TBLX)
	}
}

func TestReadRefusesBadPackages(t *testing.T) {
	ok := func(id int64, jcbh string) map[string]string {
		return map[string]string{"JCBH": jcbh, "XZQDM": "420101", "TBLX": "20", "QSX": "20251006", "HSX": "20260501"}
	}
	for _, tc := range []struct {
		name string
		raw  []pipeline.RawZone
		opt  xiafa.Options
		want string
	}{
		{"missing JCBH column", []pipeline.RawZone{feat(0, map[string]string{"XZQDM": "420101", "TBLX": "20"})}, xiafa.Options{}, "缺少必填字段 JCBH"},
		{"empty JCBH", []pipeline.RawZone{feat(0, ok(0, "")), feat(1, ok(1, "A2"))}, xiafa.Options{}, "要素 0：JCBH「」：为空"},
		{"duplicate JCBH", []pipeline.RawZone{feat(0, ok(0, "A1")), feat(1, ok(1, "A1"))}, xiafa.Options{}, "监测编号重复：要素 0"},
		{"unknown TBLX", []pipeline.RawZone{feat(0, func() map[string]string { m := ok(0, "A1"); m["TBLX"] = "ZZ"; return m }())}, xiafa.Options{}, "未知的图斑类型代码"},
		{"bad date", []pipeline.RawZone{feat(0, func() map[string]string { m := ok(0, "A1"); m["HSX"] = "20260230"; return m }())}, xiafa.Options{}, "不是有效日期"},
		{"编码不对", []pipeline.RawZone{feat(0, func() map[string]string { m := ok(0, "A1"); m["TBLX"] = "\xb6\xaf\xcd\xc1"; return m }())}, xiafa.Options{}, "编码不对"},
		{"bad XZQDM", []pipeline.RawZone{feat(0, func() map[string]string { m := ok(0, "A1"); m["XZQDM"] = "4201"; return m }())}, xiafa.Options{}, "6、9 或 12 位数字"},
		{"map to unknown", []pipeline.RawZone{feat(0, ok(0, "A1"))}, xiafa.Options{Map: map[string]string{"X": "NOPE"}}, "未知字段 NOPE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := xiafa.Read(tc.raw, pipeline.Issued{}, tc.opt)
			var ie *xiafa.ImportError
			if !errors.As(err, &ie) || !errors.Is(err, pipeline.ErrInvalid) {
				t.Fatalf("got %v, want an ImportError", err)
			}
			var all []string
			for _, p := range ie.Problems {
				all = append(all, p.String())
			}
			if !strings.Contains(strings.Join(all, "\n"), tc.want) {
				t.Errorf("problems %q do not say %q", all, tc.want)
			}
		})
	}
	// Extra codes make an unknown code known.
	codes, err := xiafa.ParseCodes("ZZ=围海=坑塘/水面")
	if err != nil {
		t.Fatal(err)
	}
	raw := []pipeline.RawZone{feat(0, map[string]string{"JCBH": "A1", "XZQDM": "420101", "TBLX": "ZZ"})}
	if ps, _, err := xiafa.Read(raw, pipeline.Issued{}, xiafa.Options{Codes: codes}); err != nil || ps[0].Issued.TBLXName != "围海" {
		t.Errorf("extra code: %v", err)
	}
}
