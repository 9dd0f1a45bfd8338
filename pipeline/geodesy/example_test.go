package geodesy_test

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/weipian/weipian/pipeline/geodesy"
)

// A field near Wuhan with a farmhouse plot cut out of it, in CGCS2000
// longitude/latitude.
func Example() {
	field := orb.Polygon{
		{{114.3000, 30.6000}, {114.3021, 30.6002}, {114.3019, 30.6016}, {114.3003, 30.6013}, {114.3000, 30.6000}},
		{{114.3008, 30.6004}, {114.3012, 30.6004}, {114.3012, 30.6007}, {114.3008, 30.6007}, {114.3008, 30.6004}},
	}
	z := geodesy.ZoneFor(field[0][0][0], field[0][0][1])
	m2 := geodesy.Area(z, field)
	fmt.Printf("%v (EPSG:%d, %v)\n", z, z.EPSG, z.Kind)
	fmt.Printf("area %.1f m² = %.2f 亩\n", m2, geodesy.Mu(m2))
	// Output:
	// CGCS2000 / 3-degree Gauss-Kruger zone 38 (EPSG:4526, gk3)
	// area 25144.5 m² = 37.72 亩
}
