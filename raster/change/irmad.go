package change

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// MAD is the result of iteratively reweighted multivariate alteration
// detection (Nielsen 2007) on a sample of a scene: the canonical projections
// of both dates and the spread of the MAD variates under no change.
type MAD struct {
	MeanBefore, MeanAfter []float64   // weighted band means
	ProjBefore, ProjAfter [][]float64 // ProjX[k] is the k-th canonical vector (one weight per band)
	Sigma                 []float64   // standard deviation of each MAD variate under no change
	Rho                   []float64   // canonical correlations, descending
	Iterations            int
	// Collapsed is set when reweighting stopped early because the weights
	// were concentrating on too few pixels.
	Collapsed bool `json:",omitempty"`
	// Weights holds, per sample pixel, the probability of no change from
	// the last iteration. It is not serialised.
	Weights []float64 `json:"-"`
}

// ErrDegenerate is returned when the sample has no usable variance
// (e.g. a constant image).
var ErrDegenerate = errors.New("change: degenerate sample (no variance in a band)")

// IRMAD runs iteratively reweighted MAD on n samples of p bands held
// row-major in x (before) and y (after), both n×p. Each iteration weights the
// pixels by their probability of no change under a chi-square model of the
// MAD variates, so that change does not bias the canonical correlation. It
// stops when the correlations move less than 1e-4 or after maxIter rounds.
func IRMAD(x, y []float64, n, p, maxIter int) (*MAD, error) {
	if n < 2*p+2 {
		return nil, fmt.Errorf("change: IR-MAD needs at least %d valid sample pixels, have %d", 2*p+2, n)
	}
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	var m *MAD
	var mw []float64
	prev := make([]float64, p)
	z := make([]float64, p)
	next := make([]float64, n)
	minEff := math.Max(0.01*float64(n), float64(10*p))
	for it := 1; it <= maxIter; it++ {
		cur, err := cca(x, y, w, n, p)
		if err != nil {
			if m != nil { // keep the last good iteration
				break
			}
			return nil, err
		}
		cur.Iterations = it
		for i := 0; i < n; i++ {
			cur.Variates(x[i*p:i*p+p], y[i*p:i*p+p], z)
			next[i] = chi2Survival(sumSq(z), p)
		}
		if m != nil && effectiveSize(next) < minEff {
			// The weights are collapsing onto a few pixels (a scene
			// dominated by change): keep the previous iteration.
			m.Collapsed = true
			break
		}
		m = cur
		mw = slices.Clone(next)
		copy(w, next)
		delta := 0.0
		for k := range m.Rho {
			delta = math.Max(delta, math.Abs(m.Rho[k]-prev[k]))
		}
		copy(prev, m.Rho)
		if delta < 1e-4 {
			break
		}
	}
	m.Weights = mw
	return m, nil
}

// cca computes weighted canonical correlation analysis from the weighted
// covariance matrices: C = Sxx^-1/2 Sxy Syy^-1/2 = U Σ Vᵀ, a = Sxx^-1/2 U,
// b = Syy^-1/2 V.
func cca(x, y, w []float64, n, p int) (*MAD, error) {
	mx := make([]float64, p)
	my := make([]float64, p)
	sw := 0.0
	for i := 0; i < n; i++ {
		wi := w[i]
		if wi == 0 {
			continue
		}
		sw += wi
		for j := 0; j < p; j++ {
			mx[j] += wi * x[i*p+j]
			my[j] += wi * y[i*p+j]
		}
	}
	if !(sw > 0) {
		return nil, ErrDegenerate
	}
	for j := range mx {
		mx[j] /= sw
		my[j] /= sw
	}
	sxx := make([]float64, p*p)
	syy := make([]float64, p*p)
	sxy := make([]float64, p*p)
	dx := make([]float64, p)
	dy := make([]float64, p)
	for i := 0; i < n; i++ {
		wi := w[i]
		if wi == 0 {
			continue
		}
		for j := 0; j < p; j++ {
			dx[j] = x[i*p+j] - mx[j]
			dy[j] = y[i*p+j] - my[j]
		}
		for j := 0; j < p; j++ {
			wdx, wdy := wi*dx[j], wi*dy[j]
			for k := 0; k < p; k++ {
				sxx[j*p+k] += wdx * dx[k]
				syy[j*p+k] += wdy * dy[k]
				sxy[j*p+k] += wdx * dy[k]
			}
		}
	}
	for i := range sxx {
		sxx[i] /= sw
		syy[i] /= sw
		sxy[i] /= sw
	}
	ix, err := invSqrt(sxx, p)
	if err != nil {
		return nil, err
	}
	iy, err := invSqrt(syy, p)
	if err != nil {
		return nil, err
	}
	var c mat.Dense
	c.Product(ix, mat.NewDense(p, p, sxy), iy)
	var svd mat.SVD
	if !svd.Factorize(&c, mat.SVDFull) {
		return nil, fmt.Errorf("change: canonical correlation SVD did not converge")
	}
	rho := svd.Values(nil)
	var u, v, a, b mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	a.Mul(ix, &u)
	b.Mul(iy, &v)
	m := &MAD{MeanBefore: mx, MeanAfter: my, Rho: rho, Sigma: make([]float64, p),
		ProjBefore: make([][]float64, p), ProjAfter: make([][]float64, p)}
	for k := 0; k < p; k++ {
		m.ProjBefore[k] = make([]float64, p)
		m.ProjAfter[k] = make([]float64, p)
		// Fix the sign so that the largest before-weight is positive:
		// the result must not depend on the SVD's arbitrary signs.
		sign, big := 1.0, 0.0
		for j := 0; j < p; j++ {
			if math.Abs(a.At(j, k)) > big {
				big = math.Abs(a.At(j, k))
				sign = math.Copysign(1, a.At(j, k))
			}
		}
		for j := 0; j < p; j++ {
			m.ProjBefore[k][j] = sign * a.At(j, k)
			m.ProjAfter[k][j] = sign * b.At(j, k)
		}
		r := math.Min(rho[k], maxRho)
		m.Sigma[k] = math.Sqrt(2 * (1 - r))
	}
	return m, nil
}

// invSqrt returns S^-1/2 of a symmetric positive definite p×p matrix.
func invSqrt(s []float64, p int) (*mat.Dense, error) {
	sym := mat.NewSymDense(p, nil)
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			sym.SetSym(i, j, (s[i*p+j]+s[j*p+i])/2)
		}
	}
	var es mat.EigenSym
	if !es.Factorize(sym, true) {
		return nil, fmt.Errorf("change: covariance eigen-decomposition failed")
	}
	vals := es.Values(nil)
	scale := 0.0
	for _, v := range vals {
		scale = math.Max(scale, v)
	}
	if !(scale > 0) {
		return nil, ErrDegenerate
	}
	// Bands that are (nearly) linear combinations of others (e.g. a
	// synthetic band) make the covariance singular: floor the eigenvalues
	// (a small ridge) rather than fail.
	for i := range vals {
		vals[i] = math.Max(vals[i], scale*1e-6)
	}
	var vec mat.Dense
	es.VectorsTo(&vec)
	d := mat.NewDiagDense(p, nil)
	for i, v := range vals {
		d.SetDiag(i, 1/math.Sqrt(v))
	}
	var r mat.Dense
	r.Product(&vec, d, vec.T())
	return &r, nil
}

// Variates writes the standardised MAD variates of one pixel into z.
func (m *MAD) Variates(before, after []float64, z []float64) {
	p := len(m.Sigma)
	for k := 0; k < p; k++ {
		u, v := 0.0, 0.0
		pb, pa := m.ProjBefore[k], m.ProjAfter[k]
		for j := 0; j < p; j++ {
			u += pb[j] * (before[j] - m.MeanBefore[j])
			v += pa[j] * (after[j] - m.MeanAfter[j])
		}
		z[k] = (u - v) / m.Sigma[k]
	}
}

// maxRho caps the canonical correlations when the spread of the MAD
// variates is derived from them: a correlation of 1 would make every
// difference infinitely significant.
const maxRho = 0.9995

// effectiveSize returns Kish's effective sample size (Σw)²/Σw².
func effectiveSize(w []float64) float64 {
	s, s2 := 0.0, 0.0
	for _, v := range w {
		s += v
		s2 += v * v
	}
	if s2 == 0 {
		return 0
	}
	return s * s / s2
}

func sumSq(z []float64) float64 {
	s := 0.0
	for _, v := range z {
		s += v * v
	}
	return s
}

// chi2Survival returns P(X > x) for a chi-square variable with k degrees of
// freedom (k >= 1), in closed form for integer k.
func chi2Survival(x float64, k int) float64 {
	if x <= 0 {
		return 1
	}
	h := x / 2
	if k%2 == 0 {
		term, sum := 1.0, 1.0
		for j := 1; j < k/2; j++ {
			term *= h / float64(j)
			sum += term
		}
		return math.Exp(-h) * sum
	}
	// odd k: Q = erfc(sqrt(h)) + exp(-h) * sum_{j=1}^{(k-1)/2} h^(j-1/2)/Γ(j+1/2)
	s := math.Erfc(math.Sqrt(h))
	if k > 1 {
		term := math.Sqrt(h) / math.Gamma(1.5) // j = 1
		sum := term
		for j := 2; j <= (k-1)/2; j++ {
			term *= h / (float64(j) - 0.5)
			sum += term
		}
		s += math.Exp(-h) * sum
	}
	return s
}

// chi2Quantile returns the x with P(X <= x) = q for k degrees of freedom.
func chi2Quantile(q float64, k int) float64 {
	lo, hi := 0.0, 1.0
	for 1-chi2Survival(hi, k) < q {
		hi *= 2
	}
	for i := 0; i < 100; i++ {
		mid := (lo + hi) / 2
		if 1-chi2Survival(mid, k) < q {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}
