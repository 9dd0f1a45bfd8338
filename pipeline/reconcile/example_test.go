package reconcile_test

import (
	"context"
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline/reconcile"
)

func Example() {
	loc := reconcile.ChinaTime()
	day := func(s string) time.Time { t, _ := time.ParseInLocation("2006-01-02 15:04", s, loc); return t }
	sq := func(lon, lat float64) orb.Polygon {
		d := 0.0005
		return orb.Polygon{{{lon, lat}, {lon + d, lat}, {lon + d, lat + d}, {lon, lat + d}, {lon, lat}}}
	}
	in := reconcile.Input{
		Patches: []reconcile.Patch{
			{ID: "a", JCBH: "420102202605001", Geometry: sq(114.300, 30.600), QSX: day("2026-04-01 00:00"), HSX: day("2026-05-10 00:00"), Suspected: true},
			{ID: "b", JCBH: "420102202605002", Geometry: sq(114.320, 30.600), QSX: day("2026-04-01 00:00"), HSX: day("2026-05-10 00:00"), Suspected: true},
			{ID: "c", JCBH: "420102202605003", Geometry: sq(114.400, 30.700), QSX: day("2026-04-01 00:00"), HSX: day("2026-05-10 00:00"), Suspected: true},
		},
		Entries: []reconcile.Entry{{
			ID: "row12", Ref: "台帐2026.xlsx 5月 第12行", Start: day("2026-05-03 09:00"), People: 2,
			Subject: "王某", Status: "推土", Violation: true,
			Location: orb.Point{114.3002, 30.6002}, HasLocation: true,
		}},
		Tracks: []reconcile.Track{{ID: "gpx1", Team: "城关所一组", Segments: [][]reconcile.TrackPoint{{
			{Lon: 114.3190, Lat: 30.5990, Time: day("2026-05-06 10:00")},
			{Lon: 114.3220, Lat: 30.5990, Time: day("2026-05-06 10:04")},
		}}}},
	}
	res, err := reconcile.Run(context.Background(), in)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		fmt.Print(r.Patch.JCBH, " ", r.Outcome.Label())
		if r.Found != nil {
			fmt.Print(" ", r.Found.Ref)
		}
		if r.Outcome == reconcile.ShouldHaveFound {
			fmt.Printf(" %s %.0f m", r.Closest.Time.Format("01-02 15:04"), r.Closest.DistanceM)
		}
		fmt.Println()
	}
	// Output:
	// 420102202605001 巡查已发现 台帐2026.xlsx 5月 第12行
	// 420102202605002 巡查应发现而未发现 05-06 10:02 111 m
	// 420102202605003 未巡查覆盖
}
