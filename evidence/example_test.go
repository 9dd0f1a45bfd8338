package evidence_test

import (
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/evidence"
	"github.com/weipian/weipian/pipeline/task"
)

// Two photos of a patch near Wuhan: one taken at the site, one from the
// road 300 m away without a camera bearing, and a day before the task began.
func ExampleCheck() {
	patch := orb.Polygon{{{114.3000, 30.6000}, {114.3020, 30.6000}, {114.3020, 30.6015}, {114.3000, 30.6015}, {114.3000, 30.6000}}}
	centroid := orb.Point{114.3010, 30.60075}
	start := time.Date(2026, 3, 3, 8, 0, 0, 0, task.ChinaTime())
	window := evidence.Window(start, start.Add(72*time.Hour))

	photos := []evidence.Info{
		{Name: "IMG_0101.jpg", HasGPS: true, Position: orb.Point{114.3012, 30.6007},
			HasDirection: true, DirectionDeg: 270, Taken: start.Add(2 * time.Hour)},
		{Name: "IMG_0102.jpg", HasGPS: true, Position: orb.Point{114.3010, 30.6042},
			Taken: start.Add(-24 * time.Hour)},
	}
	for _, p := range photos {
		f := evidence.Check(p, centroid, patch, 0, window)
		fmt.Printf("%s %.0f m %v %s\n", p.Name, f.DistanceM, f.Flags(), f.Summary())
	}
	// Output:
	// IMG_0101.jpg 0 m [] 合格（位于图斑内）
	// IMG_0102.jpg 300 m [far no_direction outside_window] 距图斑过远（300米）；无拍摄方向；拍摄时间不在核查期间
}

func ExampleDistance() {
	a := orb.Point{114.3000, 30.6000}
	b := orb.Point{114.3000, 30.6100}
	fmt.Printf("%.1f m\n", evidence.Distance(a, b))
	// Output:
	// 1112.0 m
}
