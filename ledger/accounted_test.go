package ledger

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/weipian/weipian/pipeline"
)

// Every input row is accounted for: each line of a CSV ledger is either an
// entry or a problem naming it, never merged into another row in silence.

func TestCSVQuoting(t *testing.T) {
	t.Parallel()
	head := "巡查时间,巡查人员,巡查区域/路线,违法主体或名称,违法地点,违法现状\n"
	tests := []struct {
		name string
		data string
		// rows are the line numbers of the entries; bad those of the
		// problems, with a piece each message must hold.
		rows []int
		bad  map[int]string
	}{
		{
			// The case: LazyQuotes swallowed line 3 into line 2's
			// cell and said "有效 1 行".
			name: "unclosed quote",
			data: head + "2026-05-03,\"张三、李四,东关村,,,正常\n2026-05-04,王五、赵六,西关村,,,正常\n",
			rows: []int{3},
			bad:  map[int]string{2: "第2个单元格以引号 \" 开头，但直到文件末尾都没有结束的引号"},
		},
		{
			name: "unclosed quote in the middle",
			data: head + "2026-05-02,张三、李四,东关村,,,正常\n2026-05-03,\"张三、李四,东关村,,,正常\n2026-05-04,王五、赵六,西关村,,,正常\n2026-05-05,王五、赵六,西关村,,,正常\n",
			rows: []int{2, 4, 5},
			bad:  map[int]string{3: "直到文件末尾都没有结束的引号"},
		},
		{
			// The quote closes on the next line but is followed by text:
			// both lines are reported, neither merged.
			name: "quote closed by a later line",
			data: head + "2026-05-03,\"张三、李四,东关村,,,正常\n2026-05-04,王五\"、赵六,西关村,,,正常\n2026-05-05,王五、赵六,西关村,,,正常\n",
			rows: []int{3, 4},
			bad:  map[int]string{2: "结束引号后应为分隔符「,」或行尾，却是「、」"},
		},
		{
			name: "text after a closing quote",
			data: head + "2026-05-03,\"张三\"李四,东关村,,,正常\n2026-05-04,王五、赵六,西关村,,,正常\n",
			rows: []int{3},
			bad:  map[int]string{2: "第2个单元格的结束引号后应为分隔符「,」或行尾，却是「李」"},
		},
		{
			// Excel's own quoting: a quoted cell with a line break, doubled
			// quotes and the separator inside. Line numbers stay right.
			name: "valid multi-line and doubled quotes",
			data: head + "2026-05-03,张三、李四,东关村,\"王某\"\"小名\"\"\",\"东关村北,\n路口\",\"挖土\n推平\"\n2026-05-04,王五、赵六,西关村,,,正常\n",
			rows: []int{2, 5},
		},
		{
			// A quote inside an unquoted cell is an ordinary character.
			name: "bare quote inside a cell",
			data: head + "2026-05-03,张三、李四,东关村,王某\"小名\",,正常\n",
			rows: []int{2},
		},
		{
			name: "quote then spaces then separator",
			data: head + "2026-05-03,\"张三、李四\"  ,东关村,,,正常\n",
			rows: []int{2},
		},
		{
			name: "crlf and blank lines",
			data: strings.ReplaceAll(head+"\n2026-05-03,张三、李四,东关村,,,正常\n\n2026-05-04,\"王五\n2026-05-06,王五、赵六,西关村\n", "\n", "\r\n"),
			rows: []int{3, 6},
			bad:  map[int]string{5: "直到文件末尾都没有结束的引号"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := ReadCSV(context.Background(), strings.NewReader(tc.data), "dir/台帐.csv")
			if err != nil {
				t.Fatal(err)
			}
			var rows []int
			for _, e := range res.Entries {
				rows = append(rows, e.Row)
			}
			if !slices.Equal(rows, tc.rows) {
				t.Errorf("entries on lines %v, want %v", rows, tc.rows)
			}
			if len(res.Problems) != len(tc.bad) {
				t.Errorf("%d problems, want %d: %v", len(res.Problems), len(tc.bad), res.Problems)
			}
			for _, p := range res.Problems {
				want, ok := tc.bad[p.Row]
				msg := p.Error()
				if !ok || p.Kind != Invalid || !strings.Contains(msg, want) ||
					!strings.HasPrefix(msg, "台帐.csv 第") || !strings.Contains(msg, "引号不配对") {
					t.Errorf("problem %q (line %d), want line with %q", msg, p.Row, tc.bad[p.Row])
				}
			}
		})
	}
	// The message names file, line, the cell's column and what to do.
	res, err := ReadCSV(context.Background(), strings.NewReader(tests[0].data), "台帐.csv")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Problems[0].Error(); !strings.HasPrefix(got, "台帐.csv 第2行「巡查人员」：引号不配对「2026-05-03,\"张三、李四,东关村,,,正常」") ||
		!strings.Contains(got, "应在该单元格末尾补上 \"，或删去开头的 \"") {
		t.Errorf("message %q", got)
	}
}

func TestCSVBrokenHeaderLine(t *testing.T) {
	t.Parallel()
	_, err := ReadCSV(context.Background(), strings.NewReader("巡查时间,\"巡查人员,巡查区域/路线\n2026-05-03,张三、李四,东关村\n"), "t.csv")
	if !errors.Is(err, ErrNoHeader) || !strings.Contains(err.Error(), "第1行引号不配对") {
		t.Errorf("err = %v, want ErrNoHeader pointing at line 1's quote", err)
	}
}

func TestDuplicateColumns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, head string
		opts       []Option
		want       string
	}{
		{"same name twice", "巡查时间,巡查人员,巡查区域/路线,巡查时间", nil,
			"t.csv：表头有两列都是「巡查时间」：A列「巡查时间」和D列「巡查时间」"},
		{"synonym", "巡查日期,巡查人员,巡查区域/路线,巡查时间", nil,
			"t.csv：表头有两列都是「巡查时间」：A列「巡查日期」和D列「巡查时间」"},
		{"header map onto an existing column", "检查时间,巡查人员,巡查区域/路线,巡查时间",
			[]Option{WithHeaderMap(map[string]string{"检查时间": "巡查时间"})},
			"t.csv：表头有两列都是「巡查时间」：A列「检查时间」和D列「巡查时间」"},
		{"optional column", "巡查时间,巡查人员,巡查区域/路线,地点,坐标", nil,
			"t.csv：表头有两列都是「违法地点」：D列「地点」和E列「坐标」"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := tc.head + "\n2026-05-03,张三、李四,东关村,2026-05-04,x\n"
			_, err := ReadCSV(context.Background(), strings.NewReader(data), "t.csv", tc.opts...)
			var fe *FileError
			if !errors.Is(err, ErrDuplicateColumn) || !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant a FileError starting %q", err, tc.want)
			}
		})
	}
	// In a workbook the columns are named by their letters; a header cell
	// merged over several columns is one column, not a duplicate.
	f := excelize.NewFile()
	sh := "Sheet1"
	for cell, v := range map[string]string{"A1": "巡查时间", "B1": "巡查人员", "C1": "巡查区域/路线", "D1": "违法情况", "F1": "巡查日期",
		"D2": "违法主体或名称", "A3": "2026-05-03", "B3": "张三、李四", "C3": "东关村"} {
		if err := f.SetCellValue(sh, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.MergeCell(sh, "D1", "E1"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	_, err := ReadXLSX(context.Background(), bytes.NewReader(buf.Bytes()), "台帐.xlsx")
	if !errors.Is(err, ErrDuplicateColumn) || !strings.Contains(err.Error(), "工作表「Sheet1」表头有两列都是「巡查时间」：A列「巡查时间」和F列「巡查日期」") {
		t.Errorf("xlsx: err = %v", err)
	}
	// Without the second time column the merged 违法情况 (D1:E1, over
	// 违法主体或名称 and an unnamed column) reads fine.
	if err := f.SetCellValue(sh, "F1", ""); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	res, err := ReadXLSX(context.Background(), bytes.NewReader(buf.Bytes()), "台帐.xlsx")
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("merged group header: %v", err)
	}
	// The committed fixture (two-row header under merged cells) still reads.
	if _, err := ReadFile(context.Background(), xlsxFixture); err != nil {
		t.Fatal(err)
	}
}

func TestParseEncoding(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Encoding{
		"": EncodingAuto, "auto": EncodingAuto, "AUTO": EncodingAuto, "utf-8": EncodingUTF8, "UTF8": EncodingUTF8,
		" Utf-8 ": EncodingUTF8, "gb18030": EncodingGB18030, "GBK": EncodingGB18030, "gb2312": EncodingGB18030,
	} {
		got, err := ParseEncoding(in)
		if err != nil || got != want {
			t.Errorf("ParseEncoding(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"KLINGON", "latin1", "utf-16", "big5"} {
		_, err := ParseEncoding(in)
		if !errors.Is(err, ErrOption) || !errors.Is(err, pipeline.ErrInvalid) || !strings.Contains(err.Error(), `"`+in+`"`) ||
			!strings.Contains(err.Error(), "auto, utf-8, utf8, gb18030, gbk, gb2312") {
			t.Errorf("ParseEncoding(%q): %v, want an error naming it and the accepted names", in, err)
		}
	}
	if EncodingGB18030.String() != "gb18030" || EncodingAuto.String() != "auto" {
		t.Error("Encoding.String")
	}
}

// Every error the readers return for bad input is pipeline.ErrInvalid.
func TestErrorsAreInvalidInput(t *testing.T) {
	t.Parallel()
	for _, s := range []error{ErrFormat, ErrEncoding, ErrNoHeader, ErrMissingColumn, ErrDuplicateColumn, ErrNoSheet, ErrOption, ErrTooLarge, ErrEmptyTrack, ErrTrackTime} {
		if !errors.Is(s, pipeline.ErrInvalid) {
			t.Errorf("%v is not pipeline.ErrInvalid", s)
		}
	}
	_, err := ReadCSV(context.Background(), strings.NewReader("a,b\n1,2\n"), "t.csv")
	if !errors.Is(err, pipeline.ErrInvalid) || !errors.Is(err, ErrNoHeader) {
		t.Errorf("no header: %v", err)
	}
	_, err = ReadGPX(context.Background(), strings.NewReader("<kml/>"), "t.gpx")
	if !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("bad gpx: %v", err)
	}
}

func TestTooLarge(t *testing.T) {
	t.Parallel()
	// A file one byte over the limit is refused, not cut short.
	_, err := readLimited(strings.NewReader(strings.Repeat("x", 1001)), "dir/big.csv", 1000)
	if !errors.Is(err, ErrTooLarge) || err.Error() != "big.csv：文件超过 1000 字节，无法导入：请按月份或工作表拆分后再导入" {
		t.Errorf("err = %v", err)
	}
	data, err := readLimited(strings.NewReader(strings.Repeat("x", 1000)), "small.csv", 1000)
	if err != nil || len(data) != 1000 {
		t.Errorf("at the limit: %d %v", len(data), err)
	}
	if sizeText(maxFileSize) != "256 MiB" {
		t.Error(sizeText(maxFileSize))
	}
}

// A quoted cell that runs on for more lines than any real cell is taken as
// unclosed, and the lines after its first are read as rows; a file of many
// broken lines is read in linear time.
func TestCSVLongQuotedCell(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("巡查时间,巡查人员,巡查区域/路线\n2026-05-03,\"张三、李四,东关村\n")
	for range maxCellLines + 10 {
		b.WriteString("2026-05-04,王五、赵六,西关村\n")
	}
	b.WriteString("2026-05-05,王五、赵六,西关村,\"x\"\n")
	res, err := ReadCSV(context.Background(), strings.NewReader(b.String()), "t.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 1 || res.Problems[0].Row != 2 || !strings.Contains(res.Problems[0].Problem, "其后200行内都没有结束的引号") ||
		len(res.Entries) != maxCellLines+11 {
		t.Errorf("%d entries, problems %v", len(res.Entries), res.Problems)
	}
	// 20 000 lines that each open a quote: each is one problem.
	b.Reset()
	b.WriteString("巡查时间,巡查人员,巡查区域/路线\n")
	for range 20000 {
		b.WriteString("2026-05-04,\"王五、赵六,西关村\n")
	}
	res, err = ReadCSV(context.Background(), strings.NewReader(b.String()), "t.csv")
	if err != nil || len(res.Problems) != 20000 || len(res.Entries) != 0 {
		t.Errorf("%d problems, %d entries, %v", len(res.Problems), len(res.Entries), err)
	}
}
