package region

import (
	"reflect"
	"testing"
)

func TestMerge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		parts [][]Run
		want  []Group
	}{
		{"nil", nil, nil},
		{"only empty parts", [][]Run{{}, {{0, 2, 2}}}, nil},
		{"single part", [][]Run{{{1, 0, 2}, {0, 1, 2}}}, []Group{{[]int{0}, []Run{{0, 1, 2}, {1, 0, 2}}}}},
		{"touch on a row seam", [][]Run{{{0, 2, 4}}, {{0, 0, 2}}}, []Group{{[]int{0, 1}, []Run{{0, 0, 4}}}}},
		{"gap on a row", [][]Run{{{0, 3, 4}}, {{0, 0, 2}}}, []Group{{[]int{1}, []Run{{0, 0, 2}}}, {[]int{0}, []Run{{0, 3, 4}}}}},
		{"vertical overlap", [][]Run{{{1, 3, 5}}, {{0, 0, 4}}}, []Group{{[]int{0, 1}, []Run{{0, 0, 4}, {1, 3, 5}}}}},
		{"corner only is not joined", [][]Run{{{1, 4, 5}}, {{0, 0, 4}}}, []Group{{[]int{1}, []Run{{0, 0, 4}}}, {[]int{0}, []Run{{1, 4, 5}}}}},
		{"two rows apart", [][]Run{{{0, 0, 1}}, {{2, 0, 1}}}, []Group{{[]int{0}, []Run{{0, 0, 1}}}, {[]int{1}, []Run{{2, 0, 1}}}}},
		{"overlapping parts", [][]Run{{{0, 0, 3}}, {{0, 1, 2}}}, []Group{{[]int{0, 1}, []Run{{0, 0, 3}}}}},
		{"chain through a middle part", [][]Run{{{0, 0, 1}}, {{2, 0, 1}}, {{1, 0, 1}}, {}}, []Group{{[]int{0, 1, 2}, []Run{{0, 0, 1}, {1, 0, 1}, {2, 0, 1}}}}},
		{"disconnected part stays whole", [][]Run{{{0, 0, 1}, {0, 5, 6}}, {{1, 5, 6}}}, []Group{{[]int{0, 1}, []Run{{0, 0, 1}, {0, 5, 6}, {1, 5, 6}}}}},
		{"seam between 2x2 tiles", [][]Run{
			{{0, 0, 2}, {1, 1, 2}}, // tile (0,0)
			{{1, 2, 3}},            // tile (2,0)
			{{2, 0, 1}},            // tile (0,2)
			{{3, 2, 4}},            // tile (2,2)
			{{2, 3, 4}},            // another part of the same region
		}, []Group{
			{[]int{0, 1}, []Run{{0, 0, 2}, {1, 1, 3}}},
			{[]int{2}, []Run{{2, 0, 1}}},
			{[]int{3, 4}, []Run{{2, 3, 4}, {3, 2, 4}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Merge(tt.parts)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Merge(%v) =\n%v\nwant\n%v", tt.parts, got, tt.want)
			}
		})
	}
}

func TestStitch(t *testing.T) {
	t.Parallel()
	m, w, h := parseMask(t,
		"#####.",
		"#...#.",
		"#.#.##",
		"#...#.",
		"#####.",
	)
	whole := Label(m, w, h, 0, 0)
	groups, polys, err := Stitch(labelTiles(m, w, h, 2, 3))
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != len(whole) || len(polys) != len(whole) {
		t.Fatalf("Stitch gave %d groups and %d polygons, want %d", len(groups), len(polys), len(whole))
	}
	for i := range whole {
		want, err := Trace(whole[i])
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(groups[i].Runs, whole[i]) || !reflect.DeepEqual(polys[i], want) {
			t.Errorf("region %d: Stitch gave %v %v, want %v %v", i, groups[i].Runs, polys[i], whole[i], want)
		}
	}
	if len(polys[0]) != 2 {
		t.Errorf("frame has %d rings, want 2", len(polys[0]))
	}

	// Parts that are not 4-connected make Trace fail.
	_, _, err = Stitch([][][]Run{{{{0, 0, 1}, {1, 1, 2}}}})
	if err == nil {
		t.Errorf("Stitch of a diagonal pair: no error")
	}
}
