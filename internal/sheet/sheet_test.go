package sheet

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"
)

func TestSafe(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`=HYPERLINK("http://evil.example/","点我")`, `'=HYPERLINK("http://evil.example/","点我")`},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"\n=1+1", "'\n=1+1"},
		{"＝1+1", "'＝1+1"},
		{"＠SUM(A1)", "'＠SUM(A1)"},
		{"-", "'-"},
		{"+86 138 0000 0000", "'+86 138 0000 0000"},
		// Harmless: left alone.
		{"", ""},
		{"东关村", "东关村"},
		{"a=b", "a=b"},
		{" =1+1", " =1+1"},
		{"-12.5", "-12.5"},
		{"+3", "+3"},
		{"-1e5", "-1e5"},
		{"2026-05-03", "2026-05-03"},
		{"'already", "'already"},
	}
	for _, tc := range tests {
		if got := Safe(tc.in); got != tc.want {
			t.Errorf("Safe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestCSVRoundTrip writes escaped cells with encoding/csv and reads them
// back: every risky cell starts with a quote, the others are unchanged.
func TestCSVRoundTrip(t *testing.T) {
	t.Parallel()
	rec := []string{`=HYPERLINK("http://evil.example/","点我")`, "+1", "-x", "@y", "\tz", "\rw", "正常", "12"}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(SafeRow(rec)); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	got, err := csv.NewReader(&buf).Read()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`'=HYPERLINK("http://evil.example/","点我")`, "+1", "'-x", "'@y", "'\tz", "'\rw", "正常", "12"}
	if !slices.Equal(got, want) {
		t.Errorf("read back %q, want %q", got, want)
	}
	for _, v := range []any{1.5, 3, nil} {
		if SafeValue(v) != v {
			t.Errorf("SafeValue(%v) changed a non-string", v)
		}
	}
	if SafeValue("=1") != "'=1" {
		t.Error("SafeValue left a formula")
	}
}
