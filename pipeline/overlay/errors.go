package overlay

import (
	"fmt"
	"strings"

	"github.com/weipian/weipian/pipeline"
)

// ErrInvalid is the sentinel of every input error: errors.Is(err, ErrInvalid)
// holds for the errors of NewLayer, Overlay and OverlayAll that are about
// their input. Such an error is permanent: retrying with the same input fails
// the same way.
var ErrInvalid = fmt.Errorf("overlay: %w", pipeline.ErrInvalid)

// InvalidError describes an invalid feature or patch. It matches ErrInvalid
// with errors.Is.
type InvalidError struct {
	// Patch is true for a patch (Overlay, OverlayAll) and false for a
	// feature (NewLayer).
	Patch bool
	// Feature is the ID of the offending feature; empty for a patch.
	Feature string
	// Index is the position of the feature in NewLayer's input, or of the
	// patch in OverlayAll's input; -1 for the single patch of Overlay.
	Index int
	// Polygon and Ring locate the offending ring (Ring 0 is the exterior
	// ring); they are -1 when the problem is not about one polygon or ring.
	Polygon, Ring int
	// Problem says what is wrong, in lowercase words.
	Problem string
}

// Error returns e.g. `overlay: feature "F17" (#16): polygon 0 ring 1: ring is
// not closed`.
func (e *InvalidError) Error() string {
	var b strings.Builder
	b.WriteString("overlay: ")
	switch {
	case !e.Patch:
		fmt.Fprintf(&b, "feature %q (#%d)", e.Feature, e.Index)
	case e.Index >= 0:
		fmt.Fprintf(&b, "patch %d", e.Index)
	default:
		b.WriteString("patch")
	}
	if e.Polygon >= 0 {
		fmt.Fprintf(&b, ": polygon %d", e.Polygon)
	}
	if e.Ring >= 0 {
		fmt.Fprintf(&b, " ring %d", e.Ring)
	}
	b.WriteString(": ")
	b.WriteString(e.Problem)
	return b.String()
}

// Is reports whether target is ErrInvalid.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }
