package region

import (
	"sync"
	"testing"
)

const benchSize = 1024

// benchMask is a 1024×1024 blob-like mask: noise at density 0.5 smoothed
// three times by the majority filter.
var benchMask = sync.OnceValue(func() []uint8 {
	return smooth(randomMask(7, benchSize, benchSize, 0.5), benchSize, benchSize, 3)
})

func BenchmarkLabel(b *testing.B) {
	m := benchMask()
	b.SetBytes(benchSize * benchSize) // MB/s reads as Mpx/s
	b.ReportAllocs()
	var regions [][]Run
	for b.Loop() {
		regions = Label(m, benchSize, benchSize, 0, 0)
	}
	b.ReportMetric(float64(len(regions)), "regions")
}

func BenchmarkMerge(b *testing.B) {
	m := benchMask()
	parts := flatten(labelTiles(m, benchSize, benchSize, 256, 256))
	runs := 0
	for _, p := range parts {
		runs += len(p)
	}
	b.ReportAllocs()
	var groups []Group
	for b.Loop() {
		groups = Merge(parts)
	}
	b.ReportMetric(float64(len(parts)), "parts")
	b.ReportMetric(float64(runs), "runs")
	b.ReportMetric(float64(len(groups)), "groups")
}

// BenchmarkTrace traces every region of the benchmark mask.
func BenchmarkTrace(b *testing.B) {
	regions := Label(benchMask(), benchSize, benchSize, 0, 0)
	runs, rings := 0, 0
	for _, r := range regions {
		runs += len(r)
	}
	b.ReportAllocs()
	for b.Loop() {
		rings = 0
		for _, r := range regions {
			p, err := Trace(r)
			if err != nil {
				b.Fatal(err)
			}
			rings += len(p)
		}
	}
	b.ReportMetric(float64(len(regions)), "regions")
	b.ReportMetric(float64(runs), "runs")
	b.ReportMetric(float64(rings), "rings")
}

// BenchmarkStitch is the whole seam stage for 256×256 tiles: Merge then Trace.
func BenchmarkStitch(b *testing.B) {
	tiles := labelTiles(benchMask(), benchSize, benchSize, 256, 256)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Stitch(tiles); err != nil {
			b.Fatal(err)
		}
	}
}
