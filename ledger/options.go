package ledger

import (
	"fmt"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Encoding is the text encoding of a CSV file.
type Encoding int

const (
	// EncodingAuto: UTF-8 (a BOM is skipped) when the bytes are valid UTF-8,
	// else GB18030 (which includes GBK and GB2312).
	EncodingAuto Encoding = iota
	// EncodingUTF8 insists on UTF-8.
	EncodingUTF8
	// EncodingGB18030 insists on GB18030.
	EncodingGB18030
)

// encodingNames are the names ParseEncoding accepts, in the order its error
// lists them.
var encodingNames = []struct {
	name string
	enc  Encoding
}{
	{"auto", EncodingAuto},
	{"utf-8", EncodingUTF8}, {"utf8", EncodingUTF8},
	{"gb18030", EncodingGB18030}, {"gbk", EncodingGB18030}, {"gb2312", EncodingGB18030},
}

// ParseEncoding reads an encoding name as a user writes it (the --encoding
// flag): auto, utf-8 or utf8, gb18030, gbk or gb2312 (GBK and GB2312 are
// subsets of GB18030, which is what is read), in any case, with spaces
// around ignored; "" is auto. Any other name is an error wrapping ErrOption
// that names it and the accepted ones.
func ParseEncoding(name string) (Encoding, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" {
		return EncodingAuto, nil
	}
	var names []string
	for _, e := range encodingNames {
		if e.name == n {
			return e.enc, nil
		}
		names = append(names, e.name)
	}
	return EncodingAuto, fmt.Errorf("%w: unknown encoding %q: want one of %s", ErrOption, name, strings.Join(names, ", "))
}

// String returns "auto", "utf-8" or "gb18030".
func (e Encoding) String() string {
	switch e {
	case EncodingAuto:
		return "auto"
	case EncodingUTF8:
		return "utf-8"
	case EncodingGB18030:
		return "gb18030"
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// options are the import settings; defaults are set in newOptions.
type options struct {
	sheets    []string
	headerMap map[string]Field
	mapErr    error
	encoding  Encoding
	county    orb.MultiPolygon
	countyBB  *orb.Bound
	zones     *zoneMatcher
	loc       *time.Location
	year      int
	minPeople int
	required  []Field
}

// Option changes an import setting.
type Option func(*options)

func newOptions(opts []Option) *options {
	o := &options{
		loc:       time.FixedZone("CST", 8*3600),
		minPeople: 2,
		required:  []Field{FieldTime, FieldPeople, FieldZone},
	}
	for _, f := range opts {
		f(o)
	}
	return o
}

// WithSheets reads only the named sheets of an XLSX file (default: every
// sheet that has a ledger header). A named sheet that is missing is an
// error.
func WithSheets(names ...string) Option { return func(o *options) { o.sheets = names } }

// WithHeaderMap maps an office's own column names to ledger columns, e.g.
// {"检查时间": "巡查时间", "人员": "巡查人员"}. Targets may be canonical
// names or built-in synonyms; an unknown target makes the import fail with
// ErrOption. The mapping is consulted before the built-in synonyms.
func WithHeaderMap(m map[string]string) Option {
	return func(o *options) {
		if o.headerMap == nil {
			o.headerMap = map[string]Field{}
		}
		for from, to := range m {
			f := ParseField(to)
			if f == 0 {
				o.mapErr = fmt.Errorf("%w: header map target %q is not a ledger column", ErrOption, to)
				continue
			}
			o.headerMap[normHeader(from)] = f
		}
	}
}

// ParseHeaderMap parses the command-line form "检查时间=巡查时间,人员=巡查人员"
// (pairs separated by , ， ; or ；) and checks every target.
func ParseHeaderMap(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, pair := range strings.FieldsFunc(foldWidth(s), func(r rune) bool { return r == ',' || r == ';' || r == '、' }) {
		from, to, ok := strings.Cut(pair, "=")
		from, to = strings.TrimSpace(from), strings.TrimSpace(to)
		if !ok || from == "" || to == "" {
			return nil, fmt.Errorf("%w: header map entry %q is not NAME=COLUMN", ErrOption, pair)
		}
		if ParseField(to) == 0 {
			return nil, fmt.Errorf("%w: header map target %q is not a ledger column", ErrOption, to)
		}
		m[from] = to
	}
	return m, nil
}

// WithEncoding sets the CSV encoding (default EncodingAuto).
func WithEncoding(e Encoding) Option { return func(o *options) { o.encoding = e } }

// WithCounty rejects rows whose coordinates fall outside the county area
// (lon/lat). Without it coordinates must merely lie in China.
func WithCounty(area orb.MultiPolygon) Option { return func(o *options) { o.county = area } }

// WithCountyBound is WithCounty with a lon/lat box.
func WithCountyBound(b orb.Bound) Option { return func(o *options) { o.countyBB = &b } }

// WithZones gives the known patrol zone names; a row whose 巡查区域/路线
// names none of them is invalid. The cell is matched whole and split into
// route parts (、,;/ 至 到 - — → ~); each part matches a zone exactly after
// normalisation (width, spaces, case), or else by "stem": one generic suffix
// (巡查区域, 巡查片区, 巡查区, 责任区域, 责任区, 片区, 区域, 网格, 村委会,
// 居委会, 社区, 村) dropped from both sides, accepted only when exactly one
// zone has that stem ("东关" finds 东关村, but is reported as ambiguous when
// 东关社区 also exists). Parts that match nothing (a road, "沿107国道") are
// ignored as long as one part matches.
func WithZones(names ...string) Option {
	return func(o *options) { o.zones = newZoneMatcher(names) }
}

// WithLocation sets the time zone of ledger times (default UTC+8).
func WithLocation(loc *time.Location) Option { return func(o *options) { o.loc = loc } }

// WithYear sets the year of dates written without one ("5月3日"). By
// default it is taken from the sheet's title rows, the sheet name or the
// file name (the first 20xx found).
func WithYear(y int) Option { return func(o *options) { o.year = y } }

// WithMinPeople sets the smallest lawful patrol (default 2).
func WithMinPeople(n int) Option { return func(o *options) { o.minPeople = n } }

// WithRequired sets the columns that must be filled in (default 巡查时间,
// 巡查人员, 巡查区域/路线). 巡查时间 is always needed.
func WithRequired(fields ...Field) Option { return func(o *options) { o.required = fields } }

// inCounty reports whether pt passes the county test, with the problem text.
func (o *options) inCounty(pt orb.Point, raw string) string {
	if o.countyBB != nil && !o.countyBB.Contains(pt) {
		return fmt.Sprintf("坐标「%s」不在本县范围内，请检查经纬度是否写错", raw)
	}
	if len(o.county) > 0 && !planar.MultiPolygonContains(o.county, pt) {
		return fmt.Sprintf("坐标「%s」不在本县范围内，请检查经纬度是否写错", raw)
	}
	return ""
}
