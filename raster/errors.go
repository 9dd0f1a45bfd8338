package raster

import (
	"errors"
	"fmt"

	"github.com/weipian/weipian/pipeline"
)

// Sentinel errors; match them with errors.Is. They are permanent: retrying
// the same input cannot succeed.
var (
	ErrUnreadable   = errors.New("raster: cannot be read")
	ErrEmpty        = errors.New("raster: empty")
	ErrNoGeoref     = errors.New("raster: no georeferencing")
	ErrNoOverlap    = errors.New("raster: no overlap")
	ErrBandMismatch = errors.New("raster: band counts cannot be matched")
	ErrAllNoData    = errors.New("raster: all pixels are nodata")
	ErrBadVector    = errors.New("raster: bad vector data")
	ErrTooLarge     = errors.New("raster: too large")
	ErrResolution   = errors.New("raster: resolutions too far apart")
	ErrAmbiguous    = errors.New("raster: band roles are ambiguous")
)

// InputError is a problem with an input file: it names the file and says
// what was expected. It wraps one of the sentinel errors above.
type InputError struct {
	Path    string
	Problem string
	Err     error
}

func (e *InputError) Error() string { return fmt.Sprintf("%s: %s", e.Path, e.Problem) }
func (e *InputError) Unwrap() error { return e.Err }

// Is makes every input error match pipeline.ErrInvalid: it is permanent,
// and the HTTP API answers it with 400.
func (e *InputError) Is(target error) bool { return target == pipeline.ErrInvalid }

func inputErr(path string, sentinel error, format string, args ...any) error {
	return &InputError{Path: path, Problem: fmt.Sprintf(format, args...), Err: sentinel}
}
