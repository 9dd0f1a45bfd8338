package ledger

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline/geodesy"
)

// coordRE finds one coordinate component: an optional label before
// (东经/北纬/经度/纬度/E/N/lon/lat …), a decimal or a degrees–minutes–seconds
// value, and an optional hemisphere letter after.
var coordRE = regexp.MustCompile(
	`(东经|北纬|西经|南纬|经度|纬度|(?i:lon(?:gitude)?|lng|lat(?:itude)?)|[ENWS])?\s*[:=]?\s*` +
		`(-?\d{1,3}(?:\.\d+)?)` +
		`(?:\s*([°度])\s*(?:(\d{1,2}(?:\.\d+)?)\s*['′’分]\s*)?(?:(\d{1,2}(?:\.\d+)?)\s*(?:"|″|”|′′|''|秒)\s*)?)?` +
		`(?:\s*([ENWS])(?:[^A-Za-z0-9.]|$))?`)

// gkRE finds a projected CGCS2000 3° Gauss-Krüger pair: an 8-digit easting
// with the zone prefix (25…45) and a 7-digit northing, in either order.
var gkRE = regexp.MustCompile(`(?:^|[^\d.])(\d{7,8}(?:\.\d+)?)\s*[,;/\s]\s*[XxYy]?\s*[:=]?\s*(\d{7,8}(?:\.\d+)?)(?:[^\d.]|$)`)

type coordPart struct {
	v       float64
	axis    int // 0 unknown, 1 lon, 2 lat
	strong  bool
	negated bool
}

// ParseCoords finds a lon/lat position written in a 违法地点 cell:
// decimal pairs in either order ("114.123,30.456", "30.456 114.123"),
// labelled ones ("E114.123 N30.456", "经度:114.123 纬度:30.456",
// "114.123°E, 30.456°N"), degrees–minutes–seconds ("东经114°7′22″
// 北纬30°27′15″"), and CGCS2000 3° Gauss-Krüger easting/northing with the
// zone prefix ("38512345.6, 3385123.4"). Unlabelled decimals need at least 3
// decimal places, so areas like "5.4亩" are not taken for coordinates; the
// axis of unlabelled values is told by magnitude (|lon| > 90), else the first
// is longitude. found is false when the text holds no coordinates; problem
// is a zh-CN reason when it holds something coordinate-like that cannot be
// read.
func ParseCoords(s string) (pt orb.Point, found bool, problem string) {
	s = foldWidth(s)
	if m := gkRE.FindStringSubmatch(s); m != nil {
		a, _ := strconv.ParseFloat(m[1], 64)
		b, _ := strconv.ParseFloat(m[2], 64)
		x, y := a, b
		if len(strings.Split(m[2], ".")[0]) == 8 {
			x, y = b, a
		}
		zone := int(x / 1e6)
		if len(strings.Split(strconv.FormatFloat(x, 'f', 0, 64), ".")[0]) == 8 && zone >= 25 && zone <= 45 && y >= 1e6 && y < 1e7 {
			lon, lat := geodesy.Zone{Kind: geodesy.GaussKruger3, Number: zone}.Inverse(x, y)
			return orb.Point{round7(lon), round7(lat)}, true, ""
		}
	}
	var (
		parts []coordPart
		weak  []float64
	)
	for _, m := range coordRE.FindAllStringSubmatch(s, -1) {
		label, num, degMark, mins, secs, hemi := m[1], m[2], m[3], m[4], m[5], m[6]
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			continue
		}
		p := coordPart{v: v}
		if degMark != "" {
			p.strong = true
			if mins != "" {
				mv, _ := strconv.ParseFloat(mins, 64)
				if mv >= 60 {
					return pt, true, fmt.Sprintf("无法识别的坐标「%s」：分应小于60", s)
				}
				p.v += math.Copysign(mv/60, v)
			}
			if secs != "" {
				sv, _ := strconv.ParseFloat(secs, 64)
				if sv >= 60 {
					return pt, true, fmt.Sprintf("无法识别的坐标「%s」：秒应小于60", s)
				}
				p.v += math.Copysign(sv/3600, v)
			}
		}
		for _, l := range []string{label, hemi} {
			switch strings.ToLower(l) {
			case "东经", "经度", "lon", "longitude", "lng", "e":
				p.axis, p.strong = 1, true
			case "西经", "w":
				p.axis, p.strong, p.negated = 1, true, true
			case "北纬", "纬度", "lat", "latitude", "n":
				p.axis, p.strong = 2, true
			case "南纬", "s":
				p.axis, p.strong, p.negated = 2, true, true
			}
		}
		if !p.strong {
			// An unlabelled decimal needs 3 or more decimal places, or
			// must pair with another one to a position in China (below).
			dot := strings.IndexByte(num, '.')
			if dot < 0 {
				continue
			}
			if len(num)-dot-1 < 3 {
				weak = append(weak, p.v)
				continue
			}
		}
		if p.negated {
			p.v = -math.Abs(p.v)
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 && len(weak) == 2 {
		a, b := weak[0], weak[1]
		if chinaLon(b) && chinaLat(a) {
			a, b = b, a
		}
		if chinaLon(a) && chinaLat(b) {
			return orb.Point{round7(a), round7(b)}, true, ""
		}
	}
	switch {
	case len(parts) == 0:
		return pt, false, ""
	case len(parts) == 1:
		if parts[0].axis != 0 {
			return pt, true, fmt.Sprintf("坐标「%s」不完整，应同时写经度和纬度，如 114.123,30.456", s)
		}
		return pt, false, ""
	}
	a, b := parts[0], parts[1]
	switch {
	case a.axis == 1 || b.axis == 2:
		pt = orb.Point{a.v, b.v}
	case a.axis == 2 || b.axis == 1:
		pt = orb.Point{b.v, a.v}
	case math.Abs(b.v) > 90 && math.Abs(a.v) <= 90:
		pt = orb.Point{b.v, a.v}
	default:
		pt = orb.Point{a.v, b.v}
	}
	if a.axis != 0 && a.axis == b.axis {
		return pt, true, fmt.Sprintf("无法识别的坐标「%s」：两个值都标为%s", s, map[int]string{1: "经度", 2: "纬度"}[a.axis])
	}
	if math.Abs(pt[0]) > 180 || math.Abs(pt[1]) > 90 {
		return pt, true, fmt.Sprintf("坐标「%s」超出经纬度范围（经度 -180～180，纬度 -90～90）", s)
	}
	return orb.Point{round7(pt[0]), round7(pt[1])}, true, ""
}

// parseAxis reads a single 经度 or 纬度 cell (decimal or DMS).
func parseAxis(s string) (float64, bool) {
	s = foldWidth(strings.TrimSpace(s))
	if s == "" {
		return 0, false
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v, true
	}
	m := coordRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	v, _ := strconv.ParseFloat(m[2], 64)
	if m[4] != "" {
		mv, _ := strconv.ParseFloat(m[4], 64)
		v += math.Copysign(mv/60, v)
	}
	if m[5] != "" {
		sv, _ := strconv.ParseFloat(m[5], 64)
		v += math.Copysign(sv/3600, v)
	}
	switch m[1] {
	case "西经", "南纬", "W", "S":
		v = -math.Abs(v)
	}
	return v, true
}

func round7(v float64) float64 { return math.Round(v*1e7) / 1e7 }

// chinaLon and chinaLat tell values that fit China's extent.
func chinaLon(v float64) bool { return v >= 73 && v <= 136 }
func chinaLat(v float64) bool { return v >= 3 && v <= 54 }
