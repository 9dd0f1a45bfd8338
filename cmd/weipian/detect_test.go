package main

import (
	"errors"
	"testing"
)

// Bad option values are refused, not replaced by defaults.
func TestDetectOptionValuesAreRefused(t *testing.T) {
	base := []string{"detect", "--before", "../../testdata/juelich/LS20010525.tif", "--after", "../../testdata/juelich/LS20010626.tif", "--out", t.TempDir()}
	for _, extra := range [][]string{
		{"--tile-size", "10"}, {"--tile-size", "-5"}, {"--memory-mb", "100"}, {"--memory-mb", "-1"}, {"--workers", "-3"}, {"--mmu-m2", "NaN"}, {"--mmu-m2", "Inf"}, {"--mmu-m2", "-1"},
	} {
		_, err := runCLI(t, append(append([]string{}, base...), extra...)...)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: got %v, want a usage error", extra, err)
		}
	}
}

func TestEvalDatasetSyntax(t *testing.T) {
	if d, err := parseDataset("../x/levir@0.5"); err != nil || d.Dir != "../x/levir" || d.PixelSize != 0.5 {
		t.Errorf("DIR@0.5: %+v %v", d, err)
	}
	if d, err := parseDataset("data/oscd"); err != nil || d.Dir != "data/oscd" || d.PixelSize != 0 {
		t.Errorf("DIR: %+v %v", d, err)
	}
	for _, bad := range []string{"x@0", "x@-1", "x@NaN", "x@abc"} {
		if _, err := parseDataset(bad); err == nil {
			t.Errorf("%s must be refused", bad)
		}
	}
}
