package change

import (
	"fmt"
	"strings"
)

// Bands says which band index (0-based) holds which part of the spectrum.
// A role that the imagery does not have is -1.
type Bands struct {
	Names                 []string
	Blue, Green, Red, NIR int
}

// NewBands maps band names to roles. Names are case-insensitive; accepted:
// B/BLUE, G/GREEN, R/RED, NIR/N/NIR1; anything else is kept as an unnamed
// band that still counts for the MAD change measure.
func NewBands(names []string) (Bands, error) {
	b := Bands{Names: append([]string(nil), names...), Blue: -1, Green: -1, Red: -1, NIR: -1}
	seen := map[string]bool{}
	for i, n := range names {
		key := strings.ToUpper(strings.TrimSpace(n))
		if key == "" {
			return Bands{}, fmt.Errorf("change: band %d has an empty name", i+1)
		}
		if seen[key] {
			return Bands{}, fmt.Errorf("change: band name %q given twice", n)
		}
		seen[key] = true
		switch key {
		case "B", "BLUE":
			b.Blue = i
		case "G", "GREEN":
			b.Green = i
		case "R", "RED":
			b.Red = i
		case "NIR", "N", "NIR1":
			b.NIR = i
		}
	}
	return b, nil
}

// DefaultBandNames returns the default band order for n bands: B,G,R,NIR for
// 4 bands (GF-1/GF-2/GF-6 order), R,G,B for 3, and generic names otherwise.
func DefaultBandNames(n int) []string {
	switch n {
	case 4:
		return []string{"B", "G", "R", "NIR"}
	case 3:
		return []string{"R", "G", "B"}
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("band%d", i+1)
	}
	return out
}

// Count returns the number of bands.
func (b Bands) Count() int { return len(b.Names) }

// HasRGB reports whether blue, green and red are all present.
func (b Bands) HasRGB() bool { return b.Blue >= 0 && b.Green >= 0 && b.Red >= 0 }

// visible returns the indexes of the visible bands, or all bands when none is named.
func (b Bands) visible() []int {
	var v []int
	for _, i := range []int{b.Blue, b.Green, b.Red} {
		if i >= 0 {
			v = append(v, i)
		}
	}
	if len(v) == 0 {
		for i := range b.Names {
			v = append(v, i)
		}
	}
	return v
}

// VegetationIndex names the index used for vegetation: NDVI with NIR and red,
// excess green (2G-R-B)/(R+G+B) with visible bands only, or "" if neither.
func (b Bands) VegetationIndex() string {
	switch {
	case b.NIR >= 0 && b.Red >= 0:
		return "NDVI"
	case b.HasRGB():
		return "ExG"
	}
	return ""
}

// WaterIndex names the water index used: NDWI (McFeeters) with green and NIR, or "".
func (b Bands) WaterIndex() string {
	if b.NIR >= 0 && b.Green >= 0 {
		return "NDWI"
	}
	return ""
}
