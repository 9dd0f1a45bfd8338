package reconcile

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// synthCounty makes a reproducible county of about 60 km × 60 km with 36
// zones (6 × 6, grades 1–3), nPatches patches over 2026, nEntries ledger
// rows, and nTracks one-day tracks of perTrack fixes 5 s apart.
func synthCounty(seed uint64, nPatches, nEntries, nTracks, perTrack int) Input {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	const side = 60000.0
	var in Input
	for j := range 6 {
		for i := range 6 {
			id := int64(j*10 + i + 1)
			in.Zones = append(in.Zones, Zone{
				ID: id, Name: fmt.Sprintf("%d-%d片区", j, i), Grade: Grade(1 + (i+j)%3), Team: fmt.Sprintf("第%d中队", j+1),
				Geometry: orb.MultiPolygon{square(float64(i)*side/6, float64(j)*side/6, side/6)},
			})
		}
	}
	year := day("2026-01-01")
	randDay := func() time.Time { return year.Add(time.Duration(rng.IntN(365*24)) * time.Hour) }
	type centre struct{ x, y float64 }
	cs := make([]centre, nPatches)
	for k := range nPatches {
		x, y := rng.Float64()*side, rng.Float64()*side
		s := 20 + rng.Float64()*60
		cs[k] = centre{x + s/2, y + s/2}
		q := randDay()
		in.Patches = append(in.Patches, Patch{
			ID: fmt.Sprintf("p%06d", k), JCBH: fmt.Sprintf("420102%08d", k),
			Geometry: square(x, y, s), QSX: q, HSX: q.AddDate(0, 0, 30+rng.IntN(60)),
			Suspected: rng.IntN(10) < 7,
		})
	}
	for k := range nEntries {
		x, y := rng.Float64()*side, rng.Float64()*side
		zone := fmt.Sprintf("%d-%d片区", int(y/(side/6)), int(x/(side/6)))
		e := Entry{
			ID: fmt.Sprintf("e%06d", k), Start: randDay(), Zones: []string{zone},
			People: 1 + rng.IntN(3), Members: []string{"甲", "乙", "丙"}[:1+rng.IntN(3)],
		}
		if rng.IntN(10) < 3 {
			e.Violation, e.Subject, e.Status = true, "某某", "推土"
			e.StopMeasure = "现场制止"
			if rng.IntN(2) == 0 && nPatches > 0 {
				c := cs[rng.IntN(nPatches)]
				x, y = c.x+rng.Float64()*160-80, c.y+rng.Float64()*160-80
			}
			if rng.IntN(2) == 0 {
				e.Location, e.HasLocation = at(x, y), true
			}
		}
		in.Entries = append(in.Entries, e)
	}
	for k := range nTracks {
		x, y := rng.Float64()*side, rng.Float64()*side
		h := rng.Float64() * 2 * math.Pi
		speed := 1.5 + rng.Float64()*8
		t0 := randDay()
		pts := make([]TrackPoint, perTrack)
		for i := range perTrack {
			h += rng.NormFloat64() * 0.2
			x = min(max(x+math.Cos(h)*speed*5, 0), side)
			y = min(max(y+math.Sin(h)*speed*5, 0), side)
			p := at(x, y)
			pts[i] = TrackPoint{Lon: p[0], Lat: p[1], Time: t0.Add(time.Duration(i) * 5 * time.Second)}
		}
		in.Tracks = append(in.Tracks, Track{ID: fmt.Sprintf("t%05d", k), Team: "第1中队", Segments: [][]TrackPoint{pts}})
	}
	return in
}

// BenchmarkCountyYear reconciles a county year: 20 000 patches, 50 000
// ledger rows and 5 000 000 track fixes, then assesses the 36 zones for each
// of the 12 months.
//
//	go test -run '^$' -bench CountyYear -benchtime 1x ./pipeline/reconcile/
func BenchmarkCountyYear(b *testing.B) {
	in := synthCounty(1, 20000, 50000, 2500, 2000)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := Run(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		for m := time.January; m <= time.December; m++ {
			if _, err := Assess(context.Background(), in, res, Month(2026, m, ChinaTime())); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapSys)/(1<<20), "heapsys-MiB")
}
