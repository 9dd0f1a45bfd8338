package ledger

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

func cst() *time.Location { return time.FixedZone("CST", 8*3600) }

func zoneOpts() []Option {
	return []Option{
		WithZones("东关村", "西关村", "北关社区"),
		WithCountyBound(orb.Bound{Min: orb.Point{114.0, 30.3}, Max: orb.Point{114.6, 30.9}}),
	}
}

func readXLSXFixture(t *testing.T, opts ...Option) *Result {
	t.Helper()
	res, err := ReadFile(context.Background(), xlsxFixture, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestReadXLSXLedger(t *testing.T) {
	t.Parallel()
	res := readXLSXFixture(t, zoneOpts()...)
	rows := map[int]Entry{}
	for _, e := range res.Entries {
		rows[e.Row] = e
		if e.File != "台帐2026.xlsx" || e.Sheet != "5月" || e.ID == "" || e.Key == "" {
			t.Errorf("row %d: file %q sheet %q id %q key %q", e.Row, e.File, e.Sheet, e.ID, e.Key)
		}
	}
	var got []int
	for r := range rows {
		got = append(got, r)
	}
	slices.Sort(got)
	if want := []int{5, 6, 7, 8, 13}; !slices.Equal(got, want) {
		t.Fatalf("kept rows %v, want %v", got, want)
	}
	d := func(s string) time.Time {
		v, _ := time.ParseInLocation("2006-01-02 15:04", s, cst())
		return v
	}
	tests := []struct {
		row        int
		start, end time.Time
		people     int
		zones      []string
		loc        orb.Point
		violation  bool
	}{
		{5, d("2026-05-03 00:00"), time.Time{}, 2, []string{"东关村"}, orb.Point{114.3021, 30.6012}, true},
		{6, d("2026-05-05 00:00"), time.Time{}, 1, []string{"西关村"}, orb.Point{}, false},
		{7, d("2026-05-07 08:30"), d("2026-05-07 11:00"), 2, []string{"东关村", "西关村"}, orb.Point{114.305, 30.604}, true},
		{8, d("2026-05-07 08:30"), d("2026-05-07 11:00"), 2, []string{"西关村"}, orb.Point{}, false}, // merged cells
		{13, d("2026-05-12 00:00"), time.Time{}, 3, []string{"东关村"}, orb.Point{114.3027778, 30.6013889}, true},
	}
	for _, tc := range tests {
		e := rows[tc.row]
		if !e.Start.Equal(tc.start) || !e.End.Equal(tc.end) || e.People != tc.people || !slices.Equal(e.Zones, tc.zones) ||
			e.Location != tc.loc || e.HasLocation != (tc.loc != orb.Point{}) || e.Violation() != tc.violation {
			t.Errorf("row %d: %v–%v people %d zones %v loc %v violation %v; want %v–%v %d %v %v %v",
				tc.row, e.Start, e.End, e.People, e.Zones, e.Location, e.Violation(), tc.start, tc.end, tc.people, tc.zones, tc.loc, tc.violation)
		}
	}
	if e := rows[5]; e.Subject != "王某某" || e.StopEffect != "5月4日已停工" || !strings.Contains(e.FollowUp, "报告表") {
		t.Errorf("row 5 text: %+v", e)
	}
}

func TestReadXLSXProblems(t *testing.T) {
	t.Parallel()
	res := readXLSXFixture(t, zoneOpts()...)
	want := []string{
		"台帐2026.xlsx 工作表「5月」第6行「巡查人员」：巡查人员只有1人「张三」，违反“巡查人员不少于2人”的规定",
		"台帐2026.xlsx 工作表「5月」第9行「巡查时间」：无法识别的日期「2026-13-45」，应为如 2026-05-03 或 2026年5月3日",
		"台帐2026.xlsx 工作表「5月」第10行「巡查区域/路线」：未知的巡查区域「南关片区」，已知区域如「东关村」、「西关村」、「北关社区」",
		"台帐2026.xlsx 工作表「5月」第11行「巡查人员」：必须填写，不能为空",
		"台帐2026.xlsx 工作表「5月」第12行「违法地点/坐标」：坐标「116.4,39.9」不在本县范围内，请检查经纬度是否写错",
	}
	var got []string
	for _, p := range res.Problems {
		got = append(got, p.Error())
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if b := res.Breaches(); len(b) != 1 || b[0].Row != 6 || b[0].Kind != Breach {
		t.Errorf("breaches %v", b)
	}
	if inv := res.Invalid(); len(inv) != 4 || inv[0].Column != "巡查时间" || inv[0].Value != "2026-13-45" {
		t.Errorf("invalid %v", inv)
	}
	for _, e := range res.Entries {
		if e.Row == 6 && (len(e.Breaches) != 1 || e.Breaches[0].Kind != Breach) {
			t.Errorf("row 6 breaches %v", e.Breaches)
		}
	}
}

func TestReadXLSXWithoutOptions(t *testing.T) {
	t.Parallel()
	// No zones, no county: every row with a date and people is kept; the
	// Beijing coordinate lies in China so it passes.
	res := readXLSXFixture(t)
	if len(res.Entries) != 7 {
		t.Errorf("%d entries, want 7", len(res.Entries))
	}
	for _, e := range res.Entries {
		if e.Row == 7 && !slices.Equal(e.Zones, []string{"东关村", "西关村"}) {
			t.Errorf("route parts %v", e.Zones)
		}
	}
}

func TestReadXLSXSheets(t *testing.T) {
	t.Parallel()
	if _, err := ReadFile(context.Background(), xlsxFixture, WithSheets("6月")); !errors.Is(err, ErrNoSheet) {
		t.Errorf("missing sheet: %v", err)
	}
	if _, err := ReadFile(context.Background(), xlsxFixture, WithSheets("填表说明")); !errors.Is(err, ErrNoHeader) {
		t.Errorf("sheet without header: %v", err)
	}
	res, err := ReadFile(context.Background(), xlsxFixture, WithSheets("5月"))
	if err != nil || len(res.Entries) == 0 {
		t.Errorf("named sheet: %v", err)
	}
}

func TestReadCSVGB18030(t *testing.T) {
	t.Parallel()
	m, err := ParseHeaderMap("检查时间=巡查时间，人员=巡查人员")
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []Encoding{EncodingAuto, EncodingGB18030} {
		res, err := ReadFile(context.Background(), csvFixture, WithHeaderMap(m), WithEncoding(enc), WithZones("东关村", "西关村", "北关社区"))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Entries) != 4 || len(res.Invalid()) != 0 || len(res.Breaches()) != 1 {
			t.Fatalf("entries %d problems %v", len(res.Entries), res.Problems)
		}
		e := res.Entries[1]
		if e.Row != 4 || !slices.Equal(e.Zones, []string{"西关村", "北关社区"}) || e.Location != (orb.Point{114.31, 30.61}) ||
			e.Start.Hour() != 9 || e.End.Minute() != 30 {
			t.Errorf("row 4: %+v", e)
		}
		if z := res.Entries[3].Zones; !slices.Equal(z, []string{"北关社区"}) { // "北关" by stem
			t.Errorf("fuzzy zone %v", z)
		}
		if p := res.Breaches()[0]; p.Error() != "台帐_gbk.csv 第5行「人员」：巡查人员只有1人「王五」，违反“巡查人员不少于2人”的规定" {
			t.Errorf("breach message %q", p.Error())
		}
	}
	// Without the header map the office's 检查时间 column is unknown.
	if _, err := ReadFile(context.Background(), csvFixture); !errors.Is(err, ErrMissingColumn) {
		t.Errorf("no map: %v", err)
	}
	// Insisting on UTF-8 fails on GB18030 bytes, naming the file.
	_, err = ReadFile(context.Background(), csvFixture, WithHeaderMap(m), WithEncoding(EncodingUTF8))
	var fe *FileError
	if !errors.As(err, &fe) || !errors.Is(err, ErrEncoding) || !strings.HasPrefix(err.Error(), "台帐_gbk.csv：") {
		t.Errorf("utf-8 on gb18030: %v", err)
	}
}

func TestGB18030RoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range []string{ledgerCSV(), "巡查时间,巡查人员\n2026年5月3日,张三、李四\n", "𠀀𪚥 — ¥ ① ㈠"} {
		b, err := EncodeGB18030(s)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(b, []byte(s)) {
			t.Fatal("encoding did nothing")
		}
		got, err := DecodeText(b, EncodingAuto)
		if err != nil || got != s {
			t.Errorf("round trip: %q, %v", got, err)
		}
	}
	// UTF-8 with BOM.
	got, err := DecodeText([]byte("\xEF\xBB\xBF巡查时间"), EncodingAuto)
	if err != nil || got != "巡查时间" {
		t.Errorf("bom: %q %v", got, err)
	}
}

func TestReadCSVVariants(t *testing.T) {
	t.Parallel()
	head := "巡查时间,巡查人员,巡查区域/路线,违法主体或名称,违法地点,违法现状\n"
	tests := []struct {
		name     string
		data     []byte
		opts     []Option
		entries  int
		problems []string
		err      error
	}{
		{name: "utf-8 with BOM", data: []byte("\xEF\xBB\xBF" + head + "2026-05-03,张三、李四,东关村,无,,正常\n"), entries: 1},
		{name: "tab separated", data: []byte(strings.ReplaceAll(head, ",", "\t") + "2026-05-03\t张三 李四\t东关村\t无\t\t正常\n"), entries: 1},
		{name: "synonyms", data: []byte("巡查日期,巡查人,巡查路线,当事人,违法地点/坐标,违法情况\n2026-05-03,张三、李四,东关村,,,\n"), entries: 1},
		{
			name: "bad date and time", data: []byte(head + "五月三日,张三、李四,东关村,,,\n2026-05-03 25:00,张三、李四,东关村,,,\n2026-05-03 11:00-08:00,张三、李四,东关村,,,\n"),
			problems: []string{
				"t.csv 第2行「巡查时间」：无法识别的日期「五月三日」，应为如 2026-05-03 或 2026年5月3日",
				"t.csv 第3行「巡查时间」：无法识别的时间「2026-05-03 25:00」，应为如 2026-05-03 08:30-11:00",
				"t.csv 第4行「巡查时间」：巡查时间「2026-05-03 11:00-08:00」的结束时间早于开始时间",
			},
		},
		{
			name: "month-day without any year", data: []byte(head + "5月3日,张三、李四,东关村,,,\n"),
			problems: []string{"t.csv 第2行「巡查时间」：日期「5月3日」缺少年份，应为如 2026年5月3日（或在表格标题中写明年份）"},
		},
		{name: "month-day with WithYear", data: []byte(head + "5月3日,张三、李四,东关村,,,\n"), opts: []Option{WithYear(2026)}, entries: 1},
		{
			name: "coordinates outside China without a county", data: []byte(head + "2026-05-03,张三、李四,东关村,某,\"-74.0060,40.7128\",挖土\n"),
			problems: []string{"t.csv 第2行「违法地点」：坐标「-74.0060,40.7128」不在中国境内，请检查经纬度是否写反或写错"},
		},
		{
			name: "coordinates outside the county polygon", data: []byte(head + "2026-05-03,张三、李四,东关村,某,\"114.9000,30.6000\",挖土\n"),
			opts:     []Option{WithCounty(orb.MultiPolygon{{{{114, 30}, {114.5, 30}, {114.5, 31}, {114, 31}, {114, 30}}}})},
			problems: []string{"t.csv 第2行「违法地点」：坐标「114.9000,30.6000」不在本县范围内，请检查经纬度是否写错"},
		},
		{
			name: "incomplete coordinates", data: []byte(head + "2026-05-03,张三、李四,东关村,某,E114.300,挖土\n"),
			problems: []string{"t.csv 第2行「违法地点」：坐标「E114.300」不完整，应同时写经度和纬度，如 114.123,30.456"},
		},
		{
			name: "ambiguous fuzzy zone", data: []byte(head + "2026-05-03,张三、李四,东关,,,\n"), opts: []Option{WithZones("东关村", "东关社区")},
			problems: []string{"t.csv 第2行「巡查区域/路线」：巡查区域「东关」不明确，可能是「东关村」、「东关社区」，请写全称"},
		},
		{
			name: "empty required fields", data: []byte(head + "2026-05-03,,,,,\n"),
			problems: []string{"t.csv 第2行「巡查人员」：必须填写，不能为空", "t.csv 第2行「巡查区域/路线」：必须填写，不能为空"},
		},
		{name: "only time required", data: []byte(head + "2026-05-03,,,,,\n"), opts: []Option{WithRequired(FieldTime)}, entries: 1,
			problems: nil},
		{name: "blank lines and footer skipped", data: []byte(head + "2026-05-03,张三、李四,东关村,,,\n,,,,,\n填表人：张三,,,,,\n"), entries: 1},
		{name: "xlsx handed in as csv", data: []byte("PK\x03\x04rest"), err: ErrFormat},
		{name: "binary garbage", data: []byte{0x81, 0x30, 0xFF, 0xFF, 0x00, 0x01}, err: ErrEncoding},
		{name: "no header", data: []byte("a,b,c\n1,2,3\n"), err: ErrNoHeader},
		{name: "bad header map", data: []byte(head), opts: []Option{WithHeaderMap(map[string]string{"x": "不存在"})}, err: ErrOption},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := ReadCSV(context.Background(), bytes.NewReader(tc.data), "dir/t.csv", tc.opts...)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range res.Problems {
				if p.Kind == Invalid {
					got = append(got, p.Error())
				}
			}
			if len(res.Entries) != tc.entries || !slices.Equal(got, tc.problems) {
				t.Errorf("entries %d problems\n%s\nwant %d\n%s", len(res.Entries), strings.Join(got, "\n"), tc.entries, strings.Join(tc.problems, "\n"))
			}
		})
	}
}

func TestMalformedXLSX(t *testing.T) {
	t.Parallel()
	good := buildLedgerXLSX(t)
	tests := []struct {
		name string
		data []byte
		err  error
	}{
		{"empty", nil, ErrFormat},
		{"text", []byte("巡查时间,巡查人员\n"), ErrFormat},
		{"old xls", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0}, ErrFormat},
		{"truncated", good[:len(good)/2], ErrFormat},
		{"zip without workbook", zipOf(t, "hello.txt", "hi"), ErrFormat},
		{"corrupt middle", corrupt(good), ErrFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadXLSX(context.Background(), bytes.NewReader(tc.data), "坏文件.xlsx")
			var fe *FileError
			if !errors.Is(err, tc.err) || !errors.As(err, &fe) || fe.File != "坏文件.xlsx" || !strings.HasPrefix(err.Error(), "坏文件.xlsx：") {
				t.Errorf("err = %v, want a FileError naming the file wrapping %v", err, tc.err)
			}
		})
	}
}

func corrupt(b []byte) []byte {
	c := bytes.Clone(b)
	for i := len(c) / 3; i < len(c)/3+200 && i < len(c); i++ {
		c[i] ^= 0x5A
	}
	return c
}

func TestImportTwiceAddsNothing(t *testing.T) {
	t.Parallel()
	a := readXLSXFixture(t, zoneOpts()...)
	b := readXLSXFixture(t, zoneOpts()...)
	all, st := Merge(nil, a.Entries)
	if st.Added != len(a.Entries) {
		t.Fatalf("first import %+v", st)
	}
	again, st := Merge(all, b.Entries)
	if st.Added != 0 || st.Updated != 0 || st.Unchanged != len(b.Entries) || len(again) != len(all) {
		t.Errorf("second import %+v, %d entries (was %d)", st, len(again), len(all))
	}
	// A copy of the file under another name with rows moved adds nothing.
	moved := slices.Clone(b.Entries)
	slices.Reverse(moved)
	for i := range moved {
		moved[i].File, moved[i].Row = "台帐2026(副本).xlsx", 100+i
	}
	if _, st := Merge(all, moved); st.Added != 0 {
		t.Errorf("renamed copy %+v", st)
	}
	// A corrected row (follow-up filled in later) replaces the old one.
	fixed := slices.Clone(b.Entries)
	fixed[0].FollowUp = "5月6日已拆除复耕"
	fixed[0].setIDs()
	merged, st := Merge(all, fixed)
	if st.Updated != 1 || st.Added != 0 || len(merged) != len(all) {
		t.Errorf("corrected row %+v", st)
	}
	if !slices.ContainsFunc(merged, func(e Entry) bool { return e.FollowUp == "5月6日已拆除复耕" }) {
		t.Error("correction lost")
	}
	// A different patrol is added.
	other := b.Entries[0]
	other.Start = other.Start.AddDate(0, 0, 1)
	other.setIDs()
	if _, st := Merge(all, []Entry{other}); st.Added != 1 {
		t.Errorf("new patrol %+v", st)
	}
}

func TestDomain(t *testing.T) {
	t.Parallel()
	res := readXLSXFixture(t, zoneOpts()...)
	ds := Domain(res.Entries)
	if len(ds) != len(res.Entries) {
		t.Fatal(len(ds))
	}
	d := ds[0]
	if d.ID != res.Entries[0].ID || d.Ref != "台帐2026.xlsx 5月 第5行" || !d.Violation || !d.HasLocation || d.Address == "" {
		t.Errorf("domain %+v", d)
	}
	if ds[1].Violation {
		t.Error("row 6 (无/未发现违法行为) is not a violation")
	}
}

func TestParseHeaderMap(t *testing.T) {
	t.Parallel()
	m, err := ParseHeaderMap("检查时间=巡查时间, 人员=巡查人员；地点=违法地点/坐标")
	if err != nil || len(m) != 3 || m["地点"] != "违法地点/坐标" {
		t.Errorf("%v %v", m, err)
	}
	for _, bad := range []string{"检查时间", "a=不存在的列", "=巡查时间"} {
		if _, err := ParseHeaderMap(bad); !errors.Is(err, ErrOption) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestReadFileMissing(t *testing.T) {
	t.Parallel()
	if _, err := ReadFile(context.Background(), "testdata/none.xlsx"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%v", err)
	}
}
