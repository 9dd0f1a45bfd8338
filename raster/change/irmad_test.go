package change

import (
	"math"
	"math/rand/v2"
	"testing"
)

// synthPair builds n pixels of p bands: a share of them unchanged
// (after = gain*before + offset + noise), the rest changed at random.
func synthPair(n, p int, changed float64, gain, offset, noise float64, seed uint64) (x, y []float64, isChanged []bool) {
	rng := rand.New(rand.NewPCG(seed, 7))
	x = make([]float64, n*p)
	y = make([]float64, n*p)
	isChanged = make([]bool, n)
	for i := 0; i < n; i++ {
		isChanged[i] = rng.Float64() < changed
		common := rng.NormFloat64() * 15
		for b := 0; b < p; b++ {
			v := 100 + common + rng.NormFloat64()*20 + float64(10*b)
			x[i*p+b] = v
			if isChanged[i] {
				y[i*p+b] = 60 + rng.Float64()*150
			} else {
				y[i*p+b] = gain*v + offset + rng.NormFloat64()*noise
			}
		}
	}
	return
}

func TestIRMADFindsInvariantPixels(t *testing.T) {
	x, y, chg := synthPair(20000, 4, 0.3, 1.1, 5, 2, 1)
	m, err := IRMAD(x, y, 20000, 4, 30)
	if err != nil {
		t.Fatal(err)
	}
	var nc, ncChanged int
	for i, w := range m.Weights {
		if w > noChangeProb {
			nc++
			if chg[i] {
				ncChanged++
			}
		}
	}
	share := float64(nc) / 20000
	t.Logf("rho=%.4f iter=%d invariant share=%.3f (false %d)", m.Rho, m.Iterations, share, ncChanged)
	// IR-MAD's weighting settles with the MAD spread below the true
	// no-change spread, so only about 1% pass the strict test, but all of
	// them must be unchanged pixels.
	if nc < 100 {
		t.Errorf("only %d invariant pixels", nc)
	}
	if ncChanged > 0 {
		t.Errorf("%d of %d invariant pixels are changed ones", ncChanged, nc)
	}
	// Regression on them recovers the radiometric relation.
	for b := 0; b < 4; b++ {
		var bx, by []float64
		for i, w := range m.Weights {
			if w > noChangeProb {
				bx = append(bx, x[i*4+b])
				by = append(by, y[i*4+b])
			}
		}
		off, gain := orthoRegress(bx, by)
		if math.Abs(gain-1.1) > 0.02 || math.Abs(off-5) > 3 {
			t.Errorf("band %d: fitted after = %.3f*before + %.2f, want 1.1*before + 5", b, gain, off)
		}
	}
	// Changed pixels stand out: their mean chi-square is far above the unchanged ones'.
	z := make([]float64, 4)
	var sc, su float64
	var nc2, nu int
	for i := 0; i < 20000; i++ {
		m.Variates(x[i*4:i*4+4], y[i*4:i*4+4], z)
		if chg[i] {
			sc += sumSq(z)
			nc2++
		} else {
			su += sumSq(z)
			nu++
		}
	}
	if sc/float64(nc2) < 50*su/float64(nu) {
		t.Errorf("mean chi-square changed %.1f vs unchanged %.1f: not separated", sc/float64(nc2), su/float64(nu))
	}
}

func TestChi2Survival(t *testing.T) {
	// Reference values from the regularised upper incomplete gamma function.
	for _, tc := range []struct {
		x    float64
		k    int
		want float64
	}{
		{0.5, 1, 0.4795001221869535}, {2, 2, 0.36787944117144233}, {3, 3, 0.3916251762710877},
		{4, 4, 0.40600584970983811}, {7.8147279, 3, 0.05}, {11.070498, 5, 0.05}, {20, 6, 0.0027693957155115},
	} {
		if got := chi2Survival(tc.x, tc.k); math.Abs(got-tc.want) > 1e-7 {
			t.Errorf("chi2Survival(%v, %d) = %.10f, want %.10f", tc.x, tc.k, got, tc.want)
		}
	}
	if q := chi2Quantile(0.95, 3); math.Abs(q-7.8147279) > 1e-5 {
		t.Errorf("chi2Quantile(0.95, 3) = %v", q)
	}
}
