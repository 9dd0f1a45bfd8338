package region

import (
	"slices"
	"testing"
)

func TestLabel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		rows   []string
		ox, oy int32
		want   [][]Run
	}{
		{"empty", []string{"...", "..."}, 0, 0, nil},
		{"single pixel", []string{"...", ".#."}, 0, 0, [][]Run{{{1, 1, 2}}}},
		{"offset", []string{"#."}, 100, -7, [][]Run{{{-7, 100, 101}}}},
		{"full", []string{"###", "###"}, 0, 0, [][]Run{{{0, 0, 3}, {1, 0, 3}}}},
		{"diagonal pixels are separate", []string{"#.", ".#"}, 0, 0, [][]Run{{{0, 0, 1}}, {{1, 1, 2}}}},
		{"U joined at the bottom", []string{"#.#", "#.#", "###"}, 0, 0,
			[][]Run{{{0, 0, 1}, {0, 2, 3}, {1, 0, 1}, {1, 2, 3}, {2, 0, 3}}}},
		{"ordered by first run", []string{"..#.#", "#....", "#.###"}, 0, 0,
			[][]Run{{{0, 2, 3}}, {{0, 4, 5}}, {{1, 0, 1}, {2, 0, 1}}, {{2, 2, 5}}}},
		{"spiral", []string{
			"#####",
			"....#",
			"###.#",
			"#...#",
			"#####",
		}, 0, 0, [][]Run{{{0, 0, 5}, {1, 4, 5}, {2, 0, 3}, {2, 4, 5}, {3, 0, 1}, {3, 4, 5}, {4, 0, 5}}}},
		{"long rows (word-at-a-time scan)", []string{
			"...................#################........#",
			"#################################............",
		}, 0, 0, [][]Run{{{0, 19, 36}, {1, 0, 33}}, {{0, 44, 45}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, w, h := parseMask(t, tt.rows...)
			got := Label(m, w, h, tt.ox, tt.oy)
			if !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("Label = %v, want %v", got, tt.want)
			}
			checkLabel(t, m, w, h, tt.ox, tt.oy, got)
		})
	}
}

// TestLabelNonBinary checks that any non-zero byte is set, including bytes
// with the high bit set, which the word-at-a-time scan must not miss.
func TestLabelNonBinary(t *testing.T) {
	t.Parallel()
	m := make([]uint8, 40)
	for i := 3; i < 30; i++ {
		m[i] = uint8(i * 37)
		if m[i] == 0 {
			m[i] = 0x80
		}
	}
	m[35] = 0xff
	got := Label(m, 40, 1, 0, 0)
	want := [][]Run{{{0, 3, 30}}, {{0, 35, 36}}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("Label = %v, want %v", got, want)
	}
}

func TestLabelPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Errorf("Label with a short mask did not panic")
		}
	}()
	Label(make([]uint8, 5), 3, 2, 0, 0)
}

// TestLabelAppendSafe checks that appending to one region does not change the
// next one, although they share a backing array.
func TestLabelAppendSafe(t *testing.T) {
	t.Parallel()
	m, w, h := parseMask(t, "#.#")
	regions := Label(m, w, h, 0, 0)
	_ = append(regions[0], Run{9, 9, 10})
	if want := []Run{{0, 2, 3}}; !slices.Equal(regions[1], want) {
		t.Errorf("region 1 = %v after append to region 0, want %v", regions[1], want)
	}
}
