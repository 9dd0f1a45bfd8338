package region

import (
	"slices"
	"testing"
)

func TestCanonical(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []Run
		want []Run
	}{
		{"nil", nil, nil},
		{"only empty runs", []Run{{0, 3, 3}, {1, 5, 2}}, nil},
		{"already canonical", []Run{{0, 0, 2}, {0, 3, 4}, {1, 1, 3}}, []Run{{0, 0, 2}, {0, 3, 4}, {1, 1, 3}}},
		{"unsorted", []Run{{1, 1, 3}, {0, 3, 4}, {0, 0, 2}}, []Run{{0, 0, 2}, {0, 3, 4}, {1, 1, 3}}},
		{"touching runs coalesce", []Run{{0, 2, 4}, {0, 0, 2}, {0, 4, 5}}, []Run{{0, 0, 5}}},
		{"overlapping and contained", []Run{{0, 0, 10}, {0, 2, 3}, {0, 8, 12}, {0, 13, 14}}, []Run{{0, 0, 12}, {0, 13, 14}}},
		{"duplicates", []Run{{2, 1, 2}, {2, 1, 2}}, []Run{{2, 1, 2}}},
		{"same x on other rows stays apart", []Run{{1, 0, 2}, {0, 0, 2}}, []Run{{0, 0, 2}, {1, 0, 2}}},
		{"negative coordinates", []Run{{-1, -5, -3}, {-1, -3, 0}, {-2, 0, 1}}, []Run{{-2, 0, 1}, {-1, -5, 0}}},
		{"empty runs dropped", []Run{{0, 0, 1}, {0, 4, 4}, {0, 2, 3}}, []Run{{0, 0, 1}, {0, 2, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := slices.Clone(tt.in)
			got := Canonical(tt.in)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Canonical(%v) = %v, want %v", tt.in, got, tt.want)
			}
			if !slices.Equal(in, tt.in) {
				t.Errorf("Canonical modified its input")
			}
			if len(got) > 0 && !isCanonical(got) {
				t.Errorf("isCanonical(%v) = false", got)
			}
		})
	}
}

func TestAreaBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		in             []Run
		area           int64
		x0, y0, x1, y1 int32
	}{
		{"empty", nil, 0, 0, 0, 0, 0},
		{"single pixel", []Run{{5, 3, 4}}, 1, 3, 5, 4, 6},
		{"two rows", []Run{{0, 0, 4}, {1, 2, 7}}, 9, 0, 0, 7, 2},
		{"overlap counted once", []Run{{0, 0, 4}, {0, 2, 6}}, 6, 0, 0, 6, 1},
		{"unsorted", []Run{{9, -2, 0}, {-3, 1, 2}}, 3, -2, -3, 2, 10},
		{"empty run ignored", []Run{{100, 100, 100}, {0, 0, 1}}, 1, 0, 0, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Area(tt.in); got != tt.area {
				t.Errorf("Area = %d, want %d", got, tt.area)
			}
			x0, y0, x1, y1 := Bounds(tt.in)
			if x0 != tt.x0 || y0 != tt.y0 || x1 != tt.x1 || y1 != tt.y1 {
				t.Errorf("Bounds = %d %d %d %d, want %d %d %d %d", x0, y0, x1, y1, tt.x0, tt.y0, tt.x1, tt.y1)
			}
		})
	}
}

func TestRasterize(t *testing.T) {
	t.Parallel()
	runs := []Run{{0, 0, 3}, {1, 2, 10}, {-1, 0, 5}, {2, -4, 2}, {3, 0, 9}}
	got := Rasterize(runs, 1, 0, 4, 3)
	want, _, _ := parseMask(t,
		"##..",
		".###",
		"#...",
	)
	if !slices.Equal(got, want) {
		t.Errorf("Rasterize = %v, want %v", got, want)
	}
	if got := Rasterize(runs, 0, 0, 0, 0); len(got) != 0 {
		t.Errorf("Rasterize of an empty window = %v", got)
	}
}

func TestRasterizePanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Errorf("Rasterize with a negative size did not panic")
		}
	}()
	Rasterize(nil, 0, 0, -1, 2)
}
