package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// maxFileSize bounds what a reader loads into memory (256 MiB).
const maxFileSize = 256 << 20

// readAll reads r whole; a file larger than maxFileSize is refused rather
// than cut short (which would silently drop its last rows).
func readAll(r io.Reader, name string) ([]byte, error) { return readLimited(r, name, maxFileSize) }

func readLimited(r io.Reader, name string, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("ledger: read %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, fileErr(baseName(name), ErrTooLarge, nil, "文件超过 %s，无法导入：请按月份或工作表拆分后再导入", sizeText(limit))
	}
	return data, nil
}

// sizeText writes a byte count as "256 MiB" (or "1000 字节").
func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d 字节", n)
}

// ReadFile imports a ledger file, choosing the reader by extension (.xlsx,
// .xlsm: ReadXLSX; .csv, .txt: ReadCSV) or, failing that, by content.
func ReadFile(ctx context.Context, path string, opts ...Option) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ledger: open %s: %w", path, err)
	}
	defer f.Close()
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx", ".xlsm":
		return ReadXLSX(ctx, f, path, opts...)
	case ".csv", ".txt":
		return ReadCSV(ctx, f, path, opts...)
	}
	data, err := readAll(f, path)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return ReadXLSX(ctx, bytes.NewReader(data), path, opts...)
	}
	return ReadCSV(ctx, bytes.NewReader(data), path, opts...)
}

// ReadXLSX imports an XLSX workbook read from r; name is the file name used
// in messages and in Entry.File. Every sheet with a ledger header is read
// (or those of WithSheets); sheets without one are skipped, but a workbook
// with none is an ErrNoHeader error. Cell values are read raw, so date cells
// arrive as Excel serial numbers and are converted exactly; merged cells take
// the value of their top-left cell.
//
// A file that is not a readable XLSX gives a *FileError wrapping ErrFormat;
// ReadXLSX never panics on bad input.
func ReadXLSX(ctx context.Context, r io.Reader, name string, opts ...Option) (res *Result, err error) {
	o := newOptions(opts)
	if o.mapErr != nil {
		return nil, o.mapErr
	}
	base := baseName(name)
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fileErr(base, ErrFormat, fmt.Errorf("panic: %v", p), "无法读取的 Excel 文件（文件可能已损坏）")
		}
	}()
	data, err := readAll(r, name)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		if bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}) {
			return nil, fileErr(base, ErrFormat, nil, "这是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后再导入")
		}
		return nil, fileErr(base, ErrFormat, nil, "不是有效的 Excel（.xlsx）文件")
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, fileErr(base, ErrFormat, err, "不是有效的 Excel（.xlsx）文件，可能已损坏或不完整")
	}
	defer f.Close()
	date1904 := false
	if wp, err := f.GetWorkbookProps(); err == nil && wp.Date1904 != nil {
		date1904 = *wp.Date1904
	}
	sheets := f.GetSheetList()
	if len(o.sheets) > 0 {
		for _, s := range o.sheets {
			if !slices.Contains(sheets, s) {
				return nil, fileErr(base, ErrNoSheet, nil, "没有名为「%s」的工作表（有：%s）", s, strings.Join(sheets, "、"))
			}
		}
		sheets = o.sheets
	}
	res = &Result{}
	read := 0
	for _, sh := range sheets {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t, err := xlsxTable(f, base, sh, date1904)
		if err != nil {
			return nil, fileErr(base, ErrFormat, err, "工作表「%s」无法读取，文件可能已损坏", sh)
		}
		err = t.parse(ctx, o, res)
		var fe *FileError
		switch {
		case err == nil:
			read++
		case errors.As(err, &fe) && errors.Is(err, ErrNoHeader) && len(o.sheets) == 0:
			// A sheet that is not a ledger (instructions, a chart).
		default:
			return nil, err
		}
	}
	if read == 0 {
		return nil, fileErr(base, ErrNoHeader, nil, "没有找到台帐表头：应有一行列名，如 巡查时间、巡查人员、巡查区域/路线")
	}
	return res, nil
}

// xlsxTable reads one sheet with merged cells filled in.
func xlsxTable(f *excelize.File, file, sheet string, date1904 bool) (*table, error) {
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, fmt.Errorf("ledger: read sheet %s: %w", sheet, err)
	}
	merges, err := f.GetMergeCells(sheet, true)
	if err != nil {
		return nil, fmt.Errorf("ledger: merged cells of sheet %s: %w", sheet, err)
	}
	merged := map[[2]int]bool{}
	for _, m := range merges {
		c0, r0, err1 := excelize.CellNameToCoordinates(m.GetStartAxis())
		c1, r1, err2 := excelize.CellNameToCoordinates(m.GetEndAxis())
		if err1 != nil || err2 != nil || r1-r0 > 10000 || c1-c0 > 200 {
			continue
		}
		v := ""
		if r0-1 < len(rows) && c0-1 < len(rows[r0-1]) {
			v = rows[r0-1][c0-1]
		}
		for len(rows) < r1 {
			rows = append(rows, nil)
		}
		for r := r0 - 1; r < r1; r++ {
			for len(rows[r]) < c1 {
				rows[r] = append(rows[r], "")
			}
			for c := c0 - 1; c < c1; c++ {
				rows[r][c] = v
				if r != r0-1 || c != c0-1 {
					merged[[2]int{r, c}] = true
				}
			}
		}
	}
	nums := make([]int, len(rows))
	for i := range nums {
		nums[i] = i + 1
	}
	return &table{file: file, sheet: sheet, rows: rows, rowNums: nums, date1904: date1904, merged: merged}, nil
}

// ReadCSV imports a CSV ledger read from r; name is the file name used in
// messages. The encoding is detected (WithEncoding to insist): UTF-8 with or
// without a BOM, else GB18030. Comma, semicolon and tab separators are
// recognised from the header line. Row numbers are line numbers (of the
// line a row starts on: a quoted cell may span lines).
//
// Quoting follows Excel (RFC 4180), strictly: a line whose quoted cell
// never closes, or whose closing quote is followed by something other than
// the separator, becomes an Invalid problem naming the line and the cell
// and saying what was expected, and reading goes on at the next line, so
// a broken line never swallows the rows after it. A quote inside a cell
// that does not start with one is kept as written.
//
// Bytes that are neither encoding, or an XLSX handed in as CSV, give a
// *FileError wrapping ErrEncoding or ErrFormat.
func ReadCSV(ctx context.Context, r io.Reader, name string, opts ...Option) (*Result, error) {
	o := newOptions(opts)
	if o.mapErr != nil {
		return nil, o.mapErr
	}
	base := baseName(name)
	data, err := readAll(r, name)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) || bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}) {
		return nil, fileErr(base, ErrFormat, nil, "这是 Excel 文件，不是 CSV 文本文件")
	}
	text, err := DecodeText(data, o.encoding)
	if err != nil {
		return nil, fileErr(base, ErrEncoding, err, "文件编码无法识别（应为 UTF-8 或 GB18030/GBK），请在 Excel 中另存为“CSV UTF-8”")
	}
	t := &table{file: base}
	for i, rec := range splitCSV(text, sniffComma(text)) {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if rec.bad != "" {
			if t.bad == nil {
				t.bad = map[int]csvRecord{}
			}
			t.bad[len(t.rows)] = rec
		}
		t.rows = append(t.rows, rec.fields)
		t.rowNums = append(t.rowNums, rec.line)
	}
	res := &Result{}
	if err := t.parse(ctx, o, res); err != nil {
		return nil, err
	}
	return res, nil
}

// DecodeText decodes CSV bytes to a string. EncodingAuto takes UTF-8 (BOM
// removed) when the bytes are valid UTF-8, else GB18030. Text that decodes
// to replacement or control characters is rejected.
func DecodeText(data []byte, enc Encoding) (string, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	var s string
	switch {
	case enc == EncodingUTF8 || enc == EncodingAuto && utf8.Valid(data):
		if !utf8.Valid(data) {
			return "", errors.New("ledger: invalid UTF-8")
		}
		s = string(data)
	default:
		b, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return "", fmt.Errorf("ledger: decode GB18030: %w", err)
		}
		s = string(b)
	}
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return "", fmt.Errorf("ledger: undecodable character %U", r)
		}
	}
	return s, nil
}

// EncodeGB18030 encodes UTF-8 text as GB18030, for writing CSV files that
// older Excel versions open directly.
func EncodeGB18030(s string) ([]byte, error) {
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("ledger: encode GB18030: %w", err)
	}
	return b, nil
}

// sniffComma picks the separator from the first lines: the most frequent of
// comma, tab and semicolon (comma on ties).
func sniffComma(text string) rune {
	head := text
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		head = text[:i]
		for k := 0; k < 20; k++ {
			j := strings.IndexByte(text[len(head)+1:], '\n')
			if j < 0 {
				break
			}
			head = text[:len(head)+1+j]
		}
	}
	best, n := ',', strings.Count(head, ",")
	for _, c := range []rune{'\t', ';'} {
		if k := strings.Count(head, string(c)); k > n {
			best, n = c, k
		}
	}
	return best
}
