package ledger

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// A quoted cell may span lines, but not more than maxCellLines lines or
// maxCellBytes bytes: beyond that its quote is taken as unclosed. This
// bounds the work on a file of many broken lines (each would otherwise be
// read to the end of the file) far above any real ledger cell.
const (
	maxCellLines = 200
	maxCellBytes = 64 << 10
)

// csvRecord is one record of a CSV text: its fields and the line it starts
// on; or, for a line that breaks the quoting rules, no fields and a problem
// saying what was expected.
type csvRecord struct {
	line   int
	fields []string
	// bad is set for a line that could not be read; raw is that line as
	// written, col the 1-based cell where the quoting went wrong.
	bad     string
	raw     string
	badCell int
}

// splitCSV splits text into records, line by line, the way Excel writes
// CSV (RFC 4180):
//
//   - a field that starts with a double quote runs to the next quote that
//     is not doubled, and may span lines; after that quote must come the
//     separator or the end of the line (spaces in between are allowed);
//   - a quote inside a field that does not start with one is an ordinary
//     character, as Excel reads it;
//   - empty lines are skipped.
//
// A quoted field that never closes, or whose closing quote is followed by
// something else, makes its first line a bad record, and reading resumes
// on the next line: one broken line never swallows the lines after it
// (encoding/csv with LazyQuotes would merge them into one cell without a
// word), and its neighbours are read as usual.
func splitCSV(text string, comma rune) []csvRecord {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	// Line starts, to resume after a bad record.
	starts := []int{0}
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	var out []csvRecord
	line := 1
	for line <= len(starts) && starts[line-1] < len(text) {
		pos := starts[line-1]
		if text[pos] == '\n' { // empty line
			line++
			continue
		}
		rec, nextLine := readCSVRecord(text, pos, line, comma)
		if rec.bad != "" {
			end := strings.IndexByte(text[pos:], '\n')
			if end < 0 {
				end = len(text) - pos
			}
			rec.raw = text[pos : pos+end]
			out = append(out, rec)
			line++
			continue
		}
		out = append(out, rec)
		line = nextLine
	}
	return out
}

// readCSVRecord reads the record starting at byte pos, on line line. It
// returns the record and the number of the line after it.
func readCSVRecord(text string, pos, line int, comma rune) (csvRecord, int) {
	rec := csvRecord{line: line}
	cur := line
	sep := string(comma)
	for cell := 1; ; cell++ {
		if pos < len(text) && text[pos] == '"' {
			// Quoted field.
			var b strings.Builder
			i := pos + 1
			for {
				j := strings.IndexAny(text[i:], "\"\n")
				if j < 0 {
					return csvRecord{line: line, badCell: cell, bad: fmt.Sprintf(
						"第%d个单元格以引号 \" 开头，但直到文件末尾都没有结束的引号，这一行未导入（后面各行照常读取）：应在该单元格末尾补上 \"，或删去开头的 \"",
						cell)}, 0
				}
				b.WriteString(text[i : i+j])
				i += j
				if text[i] == '\n' {
					if cur-line >= maxCellLines || b.Len() > maxCellBytes {
						return csvRecord{line: line, badCell: cell, bad: fmt.Sprintf(
							"第%d个单元格以引号 \" 开头，但其后%d行内都没有结束的引号，这一行未导入（后面各行照常读取）：应在该单元格末尾补上 \"，或删去开头的 \"",
							cell, maxCellLines)}, 0
					}
					b.WriteByte('\n')
					cur++
					i++
					continue
				}
				// A quote: doubled, or the end of the field.
				if i+1 < len(text) && text[i+1] == '"' {
					b.WriteByte('"')
					i += 2
					continue
				}
				i++
				break
			}
			// After the closing quote: spaces, then separator, end of line or end of text.
			k := i
			for k < len(text) && (text[k] == ' ' || text[k] == '\t' && comma != '\t') {
				k++
			}
			rec.fields = append(rec.fields, b.String())
			switch {
			case k >= len(text) || text[k] == '\n':
				return rec, cur + 1
			case strings.HasPrefix(text[k:], sep):
				pos = k + len(sep)
				continue
			}
			r, _ := utf8.DecodeRuneInString(text[k:])
			return csvRecord{line: line, badCell: cell, bad: fmt.Sprintf(
				"第%d个单元格的结束引号后应为分隔符「%s」或行尾，却是「%c」，这一行未导入（后面各行照常读取）：单元格中的引号应写成两个（\"\"），或去掉这个单元格两端的引号",
				cell, sepName(comma), r)}, 0
		}
		// Unquoted field: up to the separator or the end of the line.
		end := len(text)
		if j := strings.IndexByte(text[pos:], '\n'); j >= 0 {
			end = pos + j
		}
		if j := strings.Index(text[pos:end], sep); j >= 0 {
			rec.fields = append(rec.fields, text[pos:pos+j])
			pos += j + len(sep)
			continue
		}
		rec.fields = append(rec.fields, text[pos:end])
		return rec, cur + 1
	}
}

func sepName(comma rune) string {
	switch comma {
	case '\t':
		return "制表符"
	case ';':
		return ";"
	}
	return ","
}
