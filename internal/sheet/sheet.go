// Package sheet keeps text that the program writes into spreadsheets (CSV
// and XLSX) from being run as a formula when a user opens the file: the
// defence against CSV/formula injection that OWASP describes.
//
// A cell whose text begins with =, +, - or @ (or their full-width forms,
// which some spreadsheet programs accept as formula starters in Chinese
// input), a tab, a carriage return or a line feed is prefixed with a single
// quote, so that Excel, WPS and LibreOffice show it as text:
//
//	=HYPERLINK("http://evil.example/","点我")  →  '=HYPERLINK("http://evil.example/","点我")
//
// Plain numbers written as text ("-12.5", "+3") are left alone: they are
// no formula, and a leading quote would only spoil them. Escape text cells
// only; write numbers as numbers.
package sheet

import "regexp"

// plainNumber matches a decimal number with an optional sign and exponent.
var plainNumber = regexp.MustCompile(`^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$`)

// Risky reports whether s would be taken as a formula (or the start of
// one) by a spreadsheet program.
func Risky(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return !plainNumber.MatchString(s)
	}
	for _, p := range []string{"＝", "＋", "－", "＠"} { // full-width
		if len(s) >= len(p) && s[:len(p)] == p {
			return true
		}
	}
	return false
}

// Safe returns s as a spreadsheet text cell must hold it: s prefixed with a
// single quote when Risky(s), else s unchanged.
func Safe(s string) string {
	if Risky(s) {
		return "'" + s
	}
	return s
}

// SafeRow returns a copy of a CSV record with every field passed through
// Safe.
func SafeRow(record []string) []string {
	out := make([]string, len(record))
	for i, s := range record {
		out[i] = Safe(s)
	}
	return out
}

// SafeValue returns Safe(v) when v is a string and v unchanged otherwise,
// for rows of cell values of mixed types: numbers stay numbers.
func SafeValue(v any) any {
	if s, ok := v.(string); ok {
		return Safe(s)
	}
	return v
}
