package region_test

import (
	"fmt"

	"github.com/weipian/weipian/raster/region"
)

// A 6×3 scene processed as two 3×3 tiles: the ring crosses the seam.
func ExampleStitch() {
	left := []uint8{
		0, 1, 1,
		0, 1, 0,
		0, 1, 1,
	}
	right := []uint8{
		1, 0, 0,
		1, 0, 0,
		1, 0, 0,
	}
	tiles := [][][]region.Run{
		region.Label(left, 3, 3, 0, 0),
		region.Label(right, 3, 3, 3, 0),
	}
	groups, polys, err := region.Stitch(tiles)
	if err != nil {
		panic(err)
	}
	for i, g := range groups {
		fmt.Println("parts", g.Parts, "area", region.Area(g.Runs))
		fmt.Println("runs", g.Runs)
		fmt.Println("exterior", polys[i][0])
		fmt.Println("hole", polys[i][1])
	}
	// Output:
	// parts [0 1] area 8
	// runs [{0 1 4} {1 1 2} {1 3 4} {2 1 4}]
	// exterior [[1 0] [1 3] [4 3] [4 0] [1 0]]
	// hole [[2 1] [3 1] [3 2] [2 2] [2 1]]
}
