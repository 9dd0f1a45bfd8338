package overlay_test

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/weipian/weipian/pipeline/geodesy"
	"github.com/weipian/weipian/pipeline/overlay"
)

func ExampleLayer_Overlay() {
	// Two 耕地 parcels side by side, in lon/lat near Wuhan.
	farmland, err := overlay.NewLayer([]overlay.Feature{
		{ID: "GD-001", Geometry: orb.MultiPolygon{{{{114.3000, 30.6000}, {114.3010, 30.6000}, {114.3010, 30.6010}, {114.3000, 30.6010}, {114.3000, 30.6000}}}}},
		{ID: "GD-002", Geometry: orb.MultiPolygon{{{{114.3010, 30.6000}, {114.3020, 30.6000}, {114.3020, 30.6010}, {114.3010, 30.6010}, {114.3010, 30.6000}}}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A change patch straddling both, and partly outside.
	patch := orb.Polygon{{{114.3004, 30.6005}, {114.3014, 30.6005}, {114.3014, 30.6015}, {114.3004, 30.6015}, {114.3004, 30.6005}}}
	r, err := farmland.Overlay(patch)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%v\n", r.Zone)
	fmt.Printf("JCMJ %.1f m², JCGDMJ %.1f m² = %.3f 亩\n", r.AreaM2, r.Covered, geodesy.Mu(r.Covered))
	for _, h := range r.Hits {
		fmt.Printf("%s %.1f m²\n", h.ID, h.AreaM2)
	}
	// Output:
	// CGCS2000 / 3-degree Gauss-Kruger zone 38
	// JCMJ 10631.9 m², JCGDMJ 5316.0 m² = 7.974 亩
	// GD-001 3189.6 m²
	// GD-002 2126.4 m²
}
