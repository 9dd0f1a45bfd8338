package raster

import (
	"errors"
	"log/slog"
	"strings"
	"sync"

	"github.com/airbusgeo/godal"
)

var registerOnce sync.Once

// register loads GDAL's drivers once, on first use.
func register() {
	registerOnce.Do(func() {
		godal.RegisterAll()
	})
}

// gdalErrs turns GDAL failures into errors and logs warnings at debug level
// (godal's default would fail a read on any warning). It holds no state.
var gdalErrs = godal.ErrLogger(func(ec godal.ErrorCategory, code int, msg string) error {
	if ec <= godal.CE_Warning {
		slog.Debug("gdal", "code", code, "msg", msg)
		return nil
	}
	return errors.New(strings.TrimSpace(msg))
})

// cfg are the GDAL configuration options every call gets: never write
// .aux.xml side-car files next to the user's data.
func cfg(extra ...string) interface {
	godal.OpenOption
	godal.DatasetIOOption
	godal.BandIOOption
	godal.DatasetWarpOption
	godal.DatasetTranslateOption
	godal.DatasetCreateOption
	godal.BuildOverviewsOption
	godal.DatasetVectorTranslateOption
} {
	return godal.ConfigOption(append([]string{"GDAL_PAM_ENABLED=NO"}, extra...)...)
}
