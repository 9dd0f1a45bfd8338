package change

import (
	"errors"
	"image"
	"testing"
)

// A band that is a linear combination of others must not stop the scene
// statistics; a constant image must.
func TestCollinearBandsAndConstantImage(t *testing.T) {
	s := newScene(120, 100, 11)
	for i := range s.before[3] {
		s.before[3][i] = 3*s.before[1][i] - 2*s.before[2][i] + 60
		s.after[3][i] = 3*s.after[1][i] - 2*s.after[2][i] + 60
	}
	s.paint(true, image.Rect(30, 30, 60, 60), roof)
	res, _ := detectScene(t, s, DefaultParams(2))
	if res.Class[45*s.w+45] != Changed {
		t.Fatal("the painted roof is not changed")
	}
	if res.Measures(45, 45).Chi2 == 0 {
		t.Error("no IR-MAD chi-square with a collinear band")
	}
	c := newScene(50, 50, 12)
	for b := 0; b < 4; b++ {
		for i := range c.before[b] {
			c.before[b][i], c.after[b][i] = 100, 100
		}
	}
	all := image.Rect(0, 0, 50, 50)
	bands, _ := NewBands([]string{"B", "G", "R", "NIR"})
	if _, err := Estimate([]SampleWindow{{Window: *c.window(all), Inner: all}}, bands, DefaultParams(2)); !errors.Is(err, ErrDegenerate) {
		t.Errorf("constant image: %v, want ErrDegenerate", err)
	}
}
