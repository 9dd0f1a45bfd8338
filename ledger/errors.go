package ledger

import (
	"fmt"
	"strings"

	"github.com/weipian/weipian/pipeline"
)

// Sentinel errors, matched with errors.Is on a *FileError. Every one of
// them is invalid input: errors.Is(err, pipeline.ErrInvalid) holds for each,
// so retry rules and HTTP status mappings treat them alike.
var (
	// ErrFormat: the file is not of the expected format (not an xlsx, a
	// truncated zip, an xlsx handed to the CSV reader, bad XML or JSON).
	ErrFormat = invalid("ledger: unrecognised file format")
	// ErrEncoding: the bytes are neither UTF-8 nor GB18030 (or not the
	// encoding that was asked for).
	ErrEncoding = invalid("ledger: unrecognised text encoding")
	// ErrNoHeader: no row looks like a ledger header.
	ErrNoHeader = invalid("ledger: no header row")
	// ErrMissingColumn: the header lacks a required column.
	ErrMissingColumn = invalid("ledger: required column missing")
	// ErrDuplicateColumn: two columns of the header are the same ledger
	// column (also after synonyms and the header map), so either could be
	// meant.
	ErrDuplicateColumn = invalid("ledger: duplicated column")
	// ErrNoSheet: a requested sheet does not exist.
	ErrNoSheet = invalid("ledger: no such sheet")
	// ErrOption: an option is malformed (e.g. a header mapping or an
	// encoding name).
	ErrOption = invalid("ledger: bad option")
	// ErrTooLarge: the file is larger than the readers accept (256 MiB).
	ErrTooLarge = invalid("ledger: file too large")
	// ErrEmptyTrack: a track file holds no track, or a track has no point.
	ErrEmptyTrack = invalid("ledger: empty track")
	// ErrTrackTime: no point of a track has a time, so the track cannot
	// show when the patrol passed.
	ErrTrackTime = invalid("ledger: track without times")
)

// sentinel is an error value that matches pipeline.ErrInvalid.
type sentinel struct{ msg string }

func invalid(msg string) error { return &sentinel{msg} }

func (e *sentinel) Error() string { return e.msg }

// Is reports whether target is pipeline.ErrInvalid.
func (e *sentinel) Is(target error) bool { return target == pipeline.ErrInvalid }

// FileError is a problem with a whole file. Its message is a Chinese sentence
// for the clerk that names the file; Unwrap gives the sentinel (ErrFormat …)
// and the underlying cause.
type FileError struct {
	File    string
	Problem string // zh-CN
	Err     error
}

// Error returns e.g. "台帐.xlsx：不是有效的 Excel（.xlsx）文件".
func (e *FileError) Error() string {
	return e.File + "：" + e.Problem
}

// Unwrap returns the sentinel and cause.
func (e *FileError) Unwrap() error { return e.Err }

func fileErr(file string, sentinel error, cause error, format string, args ...any) *FileError {
	err := sentinel
	if cause != nil {
		err = fmt.Errorf("%w: %w", sentinel, cause)
	}
	return &FileError{File: file, Problem: fmt.Sprintf(format, args...), Err: err}
}

// Kind tells an unusable row from a rule breach.
type Kind int

const (
	// Invalid: the row cannot be used as written (unreadable date, empty
	// required field, unknown zone, coordinates outside the county); it is
	// left out of Result.Entries until the clerk fixes it.
	Invalid Kind = iota + 1
	// Breach: the row is usable and kept, but records a breach of the
	// patrol rules (fewer than 2 patrol members).
	Breach
)

// Label returns "错误" or "违规".
func (k Kind) Label() string {
	switch k {
	case Invalid:
		return "错误"
	case Breach:
		return "违规"
	}
	return ""
}

// RowError is a problem in one cell of a ledger. Its Error() reads like
//
//	台帐2026.xlsx 工作表「5月」第12行「巡查时间」：无法识别的日期「2026-13-45」，应为如 2026-05-03 或 2026年5月3日
//
// Row is the sheet's own row number (1-based, as Excel shows it; for CSV the
// line number). Column is the column's header as written in the file (or the
// canonical name when the column is missing). Problem is the zh-CN sentence
// after the colon; it already quotes Value.
type RowError struct {
	File, Sheet string
	Row         int
	Column      string
	Value       string
	Problem     string
	Kind        Kind
}

// Error returns the clerk-facing sentence.
func (e RowError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Sheet != "" {
		fmt.Fprintf(&b, " 工作表「%s」", e.Sheet)
	} else {
		b.WriteString(" ")
	}
	fmt.Fprintf(&b, "第%d行", e.Row)
	if e.Column != "" {
		fmt.Fprintf(&b, "「%s」", e.Column)
	}
	b.WriteString("：")
	b.WriteString(e.Problem)
	return b.String()
}
