package evidence

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/weipian/weipian/pipeline/task"
)

// DefaultMaxDistanceM is the default distance in metres beyond which a photo
// is flagged as far from its patch.
const DefaultMaxDistanceM = 200.0

// EarthRadiusM is the mean radius of the WGS84 ellipsoid (IUGG R1 =
// (2a+b)/3), the sphere on which distances are computed.
const EarthRadiusM = 6371008.8

// Flag codes of a Finding, in the order Flags lists them.
const (
	FlagNoEXIF        = "no_exif"        // 无EXIF信息
	FlagNoGPS         = "no_gps"         // 无定位信息
	FlagBadGPS        = "bad_gps"        // 定位信息无效
	FlagFar           = "far"            // 距图斑过远
	FlagNoDirection   = "no_direction"   // 无拍摄方向
	FlagNoTime        = "no_time"        // 无拍摄时间
	FlagOutsideWindow = "outside_window" // 拍摄时间不在核查期间
)

// FlagLabel returns the zh-CN label of a flag code.
func FlagLabel(code string) string {
	switch code {
	case FlagNoEXIF:
		return "无EXIF信息"
	case FlagNoGPS:
		return "无定位信息"
	case FlagBadGPS:
		return "定位信息无效"
	case FlagFar:
		return "距图斑过远"
	case FlagNoDirection:
		return "无拍摄方向"
	case FlagNoTime:
		return "无拍摄时间"
	case FlagOutsideWindow:
		return "拍摄时间不在核查期间"
	}
	return code
}

// Finding is the result of checking one photo against its patch.
type Finding struct {
	// Photo is the photo checked.
	Photo Info
	// MaxDistanceM is the threshold used for Far.
	MaxDistanceM float64

	// DistanceM is the distance in metres from the photo to the patch
	// polygon, 0 when Inside; CentroidDistanceM the distance to the patch
	// centroid; BearingDeg the initial bearing from the photo to the
	// centroid, degrees clockwise from true north. All three are 0 when the
	// photo has no GPS position.
	DistanceM, CentroidDistanceM, BearingDeg float64
	// Inside says whether the photo was taken inside the patch.
	Inside bool

	// MissingEXIF: the photo has no EXIF at all (stripped by a messaging
	// app or an editor), so nothing about where and when it was taken is
	// known.
	MissingEXIF bool
	// MissingGPS: the photo has no usable position, so it cannot be placed.
	MissingGPS bool
	// BadGPS: the photo has GPS position tags, but they are no usable
	// position (see Info.GPSDiscarded); MissingGPS is also set.
	BadGPS bool
	// Far: the photo was taken more than MaxDistanceM from the patch.
	Far bool
	// MissingDirection: the photo has no GPSImgDirection.
	MissingDirection bool
	// MissingTime: the photo has neither DateTimeOriginal nor GPS time.
	MissingTime bool
	// OutsideWindow: the photo's time is outside the window given with
	// Window.
	OutsideWindow bool
}

// CheckOption configures Check.
type CheckOption func(*checkOptions)

type checkOptions struct {
	from, to time.Time
}

// Window sets the expected time of the photos, e.g. from the task's
// creation to the upload. The photo's DateTimeOriginal is compared (its GPS
// time when it has no DateTimeOriginal); a zero from or to leaves that side
// open. Without Window no photo is OutsideWindow.
func Window(from, to time.Time) CheckOption {
	return func(o *checkOptions) { o.from, o.to = from, to }
}

// Check checks photo against its patch: patchCentroid in WGS84 lon/lat and
// the patch outline patchPolygon (may be empty, then the centroid stands for
// the patch). maxDistanceM <= 0 means DefaultMaxDistanceM.
//
// The distance is 0 inside the polygon (holes excluded) and otherwise the
// great-circle distance to the nearest point of its outline, found in a
// local equirectangular projection around the photo (exact enough for the
// few kilometres that matter here; the distance to that point is then
// computed with Distance).
func Check(photo Info, patchCentroid orb.Point, patchPolygon orb.Polygon, maxDistanceM float64, opts ...CheckOption) Finding {
	var o checkOptions
	for _, f := range opts {
		f(&o)
	}
	if !(maxDistanceM > 0) {
		maxDistanceM = DefaultMaxDistanceM
	}
	f := Finding{Photo: photo, MaxDistanceM: maxDistanceM}

	if photo.HasGPS {
		p := photo.Position
		f.CentroidDistanceM = Distance(p, patchCentroid)
		f.BearingDeg = Bearing(p, patchCentroid)
		if hasOutline(patchPolygon) {
			f.DistanceM, f.Inside = distanceToPolygon(p, patchPolygon)
		} else {
			f.DistanceM = f.CentroidDistanceM
		}
		f.Far = f.DistanceM > maxDistanceM
	} else {
		f.MissingGPS = true
		f.BadGPS = photo.GPSDiscarded
	}
	// (An Info built by hand with EXIF fields but HasEXIF unset has EXIF.)
	f.MissingEXIF = !photo.HasEXIF && !photo.HasGPS && !photo.GPSDiscarded && !photo.HasDirection &&
		!photo.HasAltitude && photo.Taken.IsZero() && photo.GPSTime.IsZero()
	f.MissingDirection = !photo.HasDirection

	when := photo.Taken
	if when.IsZero() {
		when = photo.GPSTime
	}
	if when.IsZero() {
		f.MissingTime = true
	} else if (!o.from.IsZero() && when.Before(o.from)) || (!o.to.IsZero() && when.After(o.to)) {
		f.OutsideWindow = true
	}
	return f
}

// Flags returns the codes of the checks the photo failed, in a fixed order;
// nil when it passed them all. A photo without EXIF, or without a usable
// GPS position, always has a flag, so it is never graded 合格.
func (f Finding) Flags() []string {
	var out []string
	add := func(on bool, code string) {
		if on {
			out = append(out, code)
		}
	}
	add(f.MissingEXIF, FlagNoEXIF)
	add(f.MissingGPS, FlagNoGPS)
	add(f.BadGPS, FlagBadGPS)
	add(f.Far, FlagFar)
	add(f.MissingDirection, FlagNoDirection)
	add(f.MissingTime, FlagNoTime)
	add(f.OutsideWindow, FlagOutsideWindow)
	return out
}

// OK reports whether the photo passed every check.
func (f Finding) OK() bool { return len(f.Flags()) == 0 }

// Summary describes the finding in Chinese, e.g. "距图斑过远（350米）；无拍摄方向".
func (f Finding) Summary() string {
	flags := f.Flags()
	if len(flags) == 0 {
		if f.Inside {
			return "合格（位于图斑内）"
		}
		return "合格（距图斑" + metres(f.DistanceM) + "）"
	}
	parts := make([]string, len(flags))
	for i, c := range flags {
		parts[i] = FlagLabel(c)
		if c == FlagFar {
			parts[i] += "（" + metres(f.DistanceM) + "）"
		}
	}
	return strings.Join(parts, "；")
}

func metres(m float64) string {
	return strconv.FormatFloat(math.Round(m), 'f', 0, 64) + "米"
}

// Evidence returns the record of the photo for task.Task.AddEvidence.
func (f Finding) Evidence(addedBy string, addedAt time.Time) task.Evidence {
	e := task.Evidence{
		SHA256:       f.Photo.SHA256,
		Name:         f.Photo.Name,
		TakenAt:      f.Photo.Taken,
		HasGPS:       f.Photo.HasGPS,
		HasDirection: f.Photo.HasDirection,
		DirectionDeg: f.Photo.DirectionDeg,
		Flags:        f.Flags(),
		AddedBy:      addedBy,
		AddedAt:      addedAt,
	}
	if f.Photo.HasGPS {
		e.Lon, e.Lat = f.Photo.Position[0], f.Photo.Position[1]
		e.DistanceM = f.DistanceM
	}
	return e
}

// Distance returns the great-circle distance in metres between two WGS84
// lon/lat points by the haversine formula on a sphere of radius
// EarthRadiusM. Against the ellipsoid its error is below 0.5%, well inside
// the accuracy of a phone's GPS fix at the distances that matter here.
func Distance(a, b orb.Point) float64 {
	lat1, lat2 := rad(a[1]), rad(b[1])
	dLat := lat2 - lat1
	dLon := rad(b[0] - a[0])
	h := sq(math.Sin(dLat/2)) + math.Cos(lat1)*math.Cos(lat2)*sq(math.Sin(dLon/2))
	return 2 * EarthRadiusM * math.Asin(math.Min(1, math.Sqrt(h)))
}

// Bearing returns the initial great-circle bearing from a to b in degrees
// clockwise from true north, in [0, 360).
func Bearing(a, b orb.Point) float64 {
	lat1, lat2 := rad(a[1]), rad(b[1])
	dLon := rad(b[0] - a[0])
	y := math.Sin(dLon) * math.Cos(lat2)
	x := math.Cos(lat1)*math.Sin(lat2) - math.Sin(lat1)*math.Cos(lat2)*math.Cos(dLon)
	deg := math.Atan2(y, x) * 180 / math.Pi
	return math.Mod(deg+360, 360)
}

func rad(deg float64) float64 { return deg * math.Pi / 180 }
func sq(x float64) float64    { return x * x }

func hasOutline(p orb.Polygon) bool { return len(p) > 0 && len(p[0]) >= 3 }

// distanceToPolygon returns the distance from p to poly (0 inside) and
// whether p is inside.
func distanceToPolygon(p orb.Point, poly orb.Polygon) (float64, bool) {
	if planar.PolygonContains(poly, p) {
		return 0, true
	}
	// Local equirectangular projection centred on p, in metres.
	kx := EarthRadiusM * math.Cos(rad(p[1])) * math.Pi / 180
	ky := EarthRadiusM * math.Pi / 180
	proj := func(q orb.Point) (float64, float64) {
		dLon := math.Remainder(q[0]-p[0], 360)
		return dLon * kx, (q[1] - p[1]) * ky
	}
	best, bestPt := math.Inf(1), p
	for _, ring := range poly {
		n := len(ring)
		for i := 0; i < n; i++ {
			a, b := ring[i], ring[(i+1)%n]
			ax, ay := proj(a)
			bx, by := proj(b)
			dx, dy := bx-ax, by-ay
			t := 0.0
			if l2 := dx*dx + dy*dy; l2 > 0 {
				t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l2))
			}
			cx, cy := ax+t*dx, ay+t*dy
			if d := cx*cx + cy*cy; d < best {
				best = d
				bestPt = orb.Point{a[0] + t*math.Remainder(b[0]-a[0], 360), a[1] + t*(b[1]-a[1])}
			}
		}
	}
	return Distance(p, bestPt), false
}
