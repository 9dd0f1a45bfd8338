package export

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/weipian/weipian/evidence"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/crs"
	"github.com/weipian/weipian/pipeline/task"
)

// M2PerMu is the area of one 亩 in m² (10000/15 ≈ 666.667).
const M2PerMu = 10000.0 / 15.0

// Row is one verification task as the field devices show it. Areas are in
// m²; positions in WGS84 degrees. Only JCBH and a position (Lon/Lat or
// Geometry) are required; empty fields are written empty.
type Row struct {
	// JCBH is the monitoring number (监测编号); required and unique in a
	// call. It names the placemark, the waypoint and the chip files.
	JCBH string
	// XZQDM is the 6-digit administrative code (行政区代码); Township the
	// township (乡镇).
	XZQDM, Township string
	// TBLX is the change type (变化类型), e.g. "建/构筑物", "推堆土".
	TBLX string
	// AreaM2, FarmlandM2 and BasicFarmlandM2 are the monitored area (监测面积
	// JCMJ), the area on cultivated land (耕地面积 JCGDMJ) and on permanent
	// basic farmland (永久基本农田面积 YJJBNTMJ), in m².
	AreaM2, FarmlandM2, BasicFarmlandM2 float64
	// Lon and Lat are the 图斑 centre (WGS84). When both are zero the
	// centroid of Geometry is used.
	Lon, Lat float64
	// QSX and HSX are the before and after image dates (前时相/后时相),
	// YYYY-MM-DD.
	QSX, HSX string
	// Prejudgement is the desk judgement before the visit (初判结果), e.g.
	// "疑似违法".
	Prejudgement string
	// Zone is the patrol zone (巡查区); Team the patrol team (巡查组; empty:
	// 未分配); Person the responsible person (责任人) and Contact a phone
	// number (联系电话).
	Zone, Team, Person, Contact string
	// Priority is the rank within the team's list, 1 most urgent; 0 means
	// unranked (listed last). PriorityReason explains it (优先原因).
	Priority       int
	PriorityReason string
	// DueVerify is the last day to verify on site (核查期限), YYYY-MM-DD.
	DueVerify string
	// State is the task state label (状态), e.g. 待核查, 核查中, 已核查,
	// 已办结; empty means 待核查. Verdict is the finding (核查结论), e.g. 违法.
	State, Verdict string
	// Geometry is the 图斑 outline in WGS84 lon/lat (optional; without it
	// the outputs carry the centre point only).
	Geometry orb.Polygon
	// ChipBefore and ChipAfter are PNG image chips of the 前时相 and 后时相
	// (optional; see tiles.ChipPair).
	ChipBefore, ChipAfter []byte
	// Evidence are the task's field photos (举证照片), in the order they
	// are listed (optional).
	Evidence []Photo
}

// Photo is one field photo (举证照片) of a task as the exports list it: the
// XLSX in a sheet 举证照片, GeoJSON and KML in the feature's properties and
// description, and Bundle as files under 举证照片/{监测编号}/.
type Photo struct {
	// Name is the file name as uploaded, e.g. IMG_0001.jpg; SHA256 the
	// lowercase hex SHA-256 of the file (optional; when set, Bundle checks
	// the bytes it writes against it).
	Name, SHA256 string
	// TakenAt is when the photo was taken (EXIF DateTimeOriginal); zero if
	// unknown. Times are shown in China Standard Time.
	TakenAt time.Time
	// HasGPS says whether Lon and Lat (WGS84) are known; DistanceM is then
	// the distance to the 图斑 (0 inside), in metres.
	HasGPS    bool
	Lon, Lat  float64
	DistanceM float64
	// HasDirection says whether DirectionDeg (degrees clockwise from
	// north) is known.
	HasDirection bool
	DirectionDeg float64
	// Flags are the codes of the checks the photo failed (evidence.Flag…);
	// Summary the check result in Chinese (e.g. "合格（位于图斑内）"). An
	// empty Summary is made from Flags: "合格" or the flags' labels.
	Flags   []string
	Summary string
	// AddedBy and AddedAt say who attached the photo and when.
	AddedBy string
	AddedAt time.Time
	// Open returns the photo's bytes for Bundle, which closes them; nil
	// leaves the file out of the bundle (it is still listed). Open gets
	// the context given with WithContext.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// summary returns Summary, or one made from Flags.
func (p *Photo) summary() string {
	if s := strings.TrimSpace(p.Summary); s != "" {
		return s
	}
	if len(p.Flags) == 0 {
		return "合格"
	}
	parts := make([]string, len(p.Flags))
	for i, f := range p.Flags {
		parts[i] = evidence.FlagLabel(f)
	}
	return strings.Join(parts, "；")
}

// flagLabels returns the zh-CN labels of the flags, joined by "；".
func (p *Photo) flagLabels() string {
	parts := make([]string, len(p.Flags))
	for i, f := range p.Flags {
		parts[i] = evidence.FlagLabel(f)
	}
	return strings.Join(parts, "；")
}

// timeText formats t in China Standard Time, or "" for the zero time.
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(task.ChinaTime()).Format("2006-01-02 15:04:05")
}

// photoDir is the folder of a row's photos in a bundle.
func photoDir(jcbh string) string { return "举证照片/" + fileSafe(jcbh) + "/" }

// photoFiles returns the bundle path of each of r's photos ("" for a photo
// without Open): 举证照片/{JCBH}/{name}, where a name used by an earlier
// photo of the row gets the start of its SHA-256 (or its position) before
// the extension. The same file (same SHA-256) listed twice is written once.
func photoFiles(r *Row) []string {
	out := make([]string, len(r.Evidence))
	used := map[string]string{} // name → SHA-256
	for i := range r.Evidence {
		p := &r.Evidence[i]
		if p.Open == nil {
			continue
		}
		name := fileSafe(p.Name)
		if strings.TrimSpace(p.Name) == "" {
			name = "照片.jpg"
		}
		if sha, ok := used[name]; ok && (sha != p.SHA256 || sha == "") {
			ext := ""
			if j := strings.LastIndexByte(name, '.'); j > 0 {
				name, ext = name[:j], name[j:]
			}
			tag := strconv.Itoa(i + 1)
			if len(p.SHA256) >= 8 {
				tag = p.SHA256[:8]
			}
			name = name + "_" + tag + ext
		}
		used[name] = p.SHA256
		out[i] = photoDir(r.JCBH) + name
	}
	return out
}

// Level is the colour class of a task, from its areas: the same tiers as
// the task priority (permanent basic farmland first, then cultivated land).
type Level int

// The levels, most urgent first.
const (
	LevelHigh   Level = 1 // 高: on permanent basic farmland
	LevelMedium Level = 2 // 中: on cultivated land
	LevelLow    Level = 3 // 低: neither
)

// Label returns 高, 中 or 低.
func (l Level) Label() string {
	switch l {
	case LevelHigh:
		return "高"
	case LevelMedium:
		return "中"
	}
	return "低"
}

// Level returns the row's colour class.
func (r *Row) Level() Level {
	switch {
	case r.BasicFarmlandM2 > 0:
		return LevelHigh
	case r.FarmlandM2 > 0:
		return LevelMedium
	}
	return LevelLow
}

// Open reports whether the task still awaits its site visit: State is empty,
// 待核查 or 核查中 (or their codes pending, verifying).
func (r *Row) Open() bool {
	switch strings.TrimSpace(r.State) {
	case "", "待核查", "核查中", "pending", "verifying":
		return true
	}
	return false
}

func (r *Row) state() string {
	switch s := strings.TrimSpace(r.State); s {
	case "", "pending":
		return "待核查"
	case "verifying":
		return "核查中"
	default:
		return s
	}
}

func (r *Row) team() string {
	if t := strings.TrimSpace(r.Team); t != "" {
		return t
	}
	return unassigned
}

// unassigned is the team label of rows without a team.
const unassigned = "未分配"

// ErrInvalid marks rows and options the writers refuse; a refused row is a
// *RowError. It matches pipeline.ErrInvalid: the input is at fault.
var ErrInvalid error = &invalidInput{"export: invalid input"}

// invalidInput is an error value that also matches pipeline.ErrInvalid.
type invalidInput struct{ msg string }

func (e *invalidInput) Error() string { return e.msg }

// Is reports whether target is pipeline.ErrInvalid.
func (e *invalidInput) Is(target error) bool { return target == pipeline.ErrInvalid }

// sha256Hex matches a lowercase hex SHA-256.
var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// RowError is a refused row: its index in the caller's slice, its JCBH and
// the problem. It matches ErrInvalid.
type RowError struct {
	Index   int
	JCBH    string
	Problem string
}

func (e *RowError) Error() string {
	return fmt.Sprintf("export: row %d (监测编号 %q): %s", e.Index+1, e.JCBH, e.Problem)
}

// Unwrap returns ErrInvalid.
func (e *RowError) Unwrap() error { return ErrInvalid }

// Check validates rows: JCBH present and unique, a position in WGS84 range
// (a common mistake is passing projected metres), finite areas, rings of at
// least 3 distinct points. The writers call it first.
func Check(rows []Row) error {
	seen := map[string]int{}
	for i := range rows {
		r := &rows[i]
		bad := func(format string, args ...any) error {
			return &RowError{Index: i, JCBH: r.JCBH, Problem: fmt.Sprintf(format, args...)}
		}
		id := strings.TrimSpace(cleanText(r.JCBH))
		if id == "" {
			return bad("监测编号 is empty")
		}
		if j, ok := seen[id]; ok {
			return bad("监测编号 repeats row %d", j+1)
		}
		seen[id] = i
		for _, a := range []float64{r.AreaM2, r.FarmlandM2, r.BasicFarmlandM2} {
			if math.IsNaN(a) || math.IsInf(a, 0) || a < 0 {
				return bad("area %v m² is not a finite non-negative number", a)
			}
		}
		for k, ring := range r.Geometry {
			n := len(ring)
			if n > 1 && ring[0] == ring[n-1] {
				n--
			}
			if n < 3 {
				return bad("ring %d of the outline has %d distinct points, want at least 3", k+1, n)
			}
			for _, p := range ring {
				if !lonLatOK(p[0], p[1]) {
					return bad("outline point (%g, %g) is not WGS84 longitude/latitude", p[0], p[1])
				}
			}
		}
		for k := range r.Evidence {
			p := &r.Evidence[k]
			if p.SHA256 != "" && !sha256Hex.MatchString(p.SHA256) {
				return bad("photo %d (%q): SHA256 %q is not 64 lowercase hex digits", k+1, p.Name, p.SHA256)
			}
			if p.HasGPS && !lonLatOK(p.Lon, p.Lat) {
				return bad("photo %d (%q): position (%g, %g) is not WGS84 longitude/latitude", k+1, p.Name, p.Lon, p.Lat)
			}
			if p.HasGPS && !(p.DistanceM >= 0 && p.DistanceM < math.Inf(1)) {
				return bad("photo %d (%q): distance %v m is not a finite non-negative number", k+1, p.Name, p.DistanceM)
			}
			if p.HasDirection && !(p.DirectionDeg >= 0 && p.DirectionDeg <= 360) {
				return bad("photo %d (%q): direction %v° is not in [0, 360]", k+1, p.Name, p.DirectionDeg)
			}
		}
		lon, lat := r.centre()
		if lon == 0 && lat == 0 && len(r.Geometry) == 0 {
			return bad("no position: set Lon/Lat or Geometry")
		}
		if !lonLatOK(lon, lat) {
			return bad("centre (%g, %g) is not WGS84 longitude/latitude", lon, lat)
		}
	}
	return nil
}

func lonLatOK(lon, lat float64) bool {
	return lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90
}

// centre returns Lon/Lat, or the outline's centroid when both are zero.
func (r *Row) centre() (lon, lat float64) {
	if (r.Lon != 0 || r.Lat != 0) || len(r.Geometry) == 0 {
		return r.Lon, r.Lat
	}
	c, _ := planar.CentroidArea(r.Geometry)
	return c[0], c[1]
}

// Teams returns the distinct teams of rows, sorted; rows without a team are
// under 未分配.
func Teams(rows []Row) []string {
	var out []string
	for i := range rows {
		out = append(out, rows[i].team())
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ForTeam returns the rows of one team (未分配 selects rows without one),
// in their original order. The rows share the input's slices.
func ForTeam(rows []Row, team string) []Row {
	var out []Row
	for i := range rows {
		if rows[i].team() == team {
			out = append(out, rows[i])
		}
	}
	return out
}

// sorted returns a sorted copy: by team, then priority (unranked last), then
// JCBH.
func sorted(rows []Row) []Row {
	out := slices.Clone(rows)
	slices.SortStableFunc(out, func(a, b Row) int {
		if c := cmp.Compare(a.team(), b.team()); c != 0 {
			return c
		}
		pa, pb := a.Priority, b.Priority
		if pa <= 0 {
			pa = math.MaxInt
		}
		if pb <= 0 {
			pb = math.MaxInt
		}
		if c := cmp.Compare(pa, pb); c != 0 {
			return c
		}
		return cmp.Compare(a.JCBH, b.JCBH)
	})
	return out
}

// options are the writer settings.
type options struct {
	date        string // YYYY-MM-DD, "" when not given
	title       string
	gpxOutlines bool
	gpxTracks   bool
	bundle      bool // written into a Bundle: link the chips and photos
	kmz         bool // KML written into a KMZ: link the chips and icons under files/
	fieldCodes  bool
	crs         crs.CRS
	crsSet      bool
	ctx         context.Context
}

// Option changes a writer setting.
type Option func(*options)

// WithDate sets the export date (导出日期, YYYY-MM-DD). It is written as the
// XLSX creation date and the ZIP file times, and open tasks whose 核查期限
// is before it are marked overdue (已逾期). Default: none (fixed
// 2000-01-01 timestamps, nothing marked overdue).
func WithDate(d string) Option { return func(o *options) { o.date = strings.TrimSpace(d) } }

// WithTitle sets the document title (default "卫片图斑核查任务", prefixed
// with the team when all rows share one).
func WithTitle(s string) Option { return func(o *options) { o.title = s } }

// WithGPXOutlines sets whether the GPX carries each outline as a track
// besides the centre waypoint (default true).
func WithGPXOutlines(on bool) Option { return func(o *options) { o.gpxOutlines = on } }

// WithGPXTracks sets whether the GPX carries each outline as a track as
// well as a route (default true; see GPX).
func WithGPXTracks(on bool) Option { return func(o *options) { o.gpxTracks = on } }

// WithCRS sets the CRS of the GeoJSON and Shapefile coordinates (see
// pipeline/crs): CGCS2000 (EPSG:4490), a 3-degree Gauss-Krüger zone
// (crs.GK: the zone of the rows' centroid; CGCS2000 when there are no
// rows), or WGS 84. Default: WGS 84 for
// GeoJSON (RFC 7946), CGCS2000 for the Shapefile. KML, KMZ and GPX are
// WGS 84 by their specifications and ignore it; the 中心经度/中心纬度
// attributes stay in degrees.
func WithCRS(c crs.CRS) Option { return func(o *options) { o.crs, o.crsSet = c, true } }

// WithContext sets the context that Bundle passes to Photo.Open, and
// checks between photos (default context.Background()).
func WithContext(ctx context.Context) Option { return func(o *options) { o.ctx = ctx } }

// WithFieldCodes makes GeoJSON property names ASCII field codes instead of
// the Chinese headers: JCBH 监测编号, XZQDM 行政区代码, XZMC 乡镇, TBLX 变化类型,
// JCMJMU 监测面积(亩), JCMJ 监测面积(平方米), JCGDMJMU 耕地面积(亩), YJJBNTMJMU
// 永久基本农田面积(亩), ZXJD 中心经度, ZXWD 中心纬度, QSX 前时相, HSX 后时相, CPJG
// 初判结果, XCQY 巡查区, XCZ 巡查组, ZRR 责任人, LXDH 联系电话, YXJ 优先级, YXDJ
// 优先等级, YXYY 优先原因, HCQX 核查期限, SFYQ 逾期, ZT 状态, HCJL 核查结论. KML
// ExtendedData always uses the codes (with the headers as display names).
func WithFieldCodes() Option { return func(o *options) { o.fieldCodes = true } }

const defaultTitle = "卫片图斑核查任务"

func newOptions(rows []Row, opts []Option) (*options, error) {
	o := &options{gpxOutlines: true, gpxTracks: true}
	for _, f := range opts {
		f(o)
	}
	if o.ctx == nil {
		o.ctx = context.Background()
	}
	if o.date != "" {
		if _, err := time.Parse("2006-01-02", o.date); err != nil {
			return nil, fmt.Errorf("%w: bad export date %q (want YYYY-MM-DD)", ErrInvalid, o.date)
		}
	}
	if o.title == "" {
		o.title = defaultTitle
		if ts := Teams(rows); len(ts) == 1 {
			o.title = ts[0] + " " + defaultTitle
		}
	}
	return o, nil
}

// outputCRS returns the CRS to write rows in: the one set (GK resolved to
// the zone of the rows' outlines and centres), else def.
func (o *options) outputCRS(rows []Row, def crs.CRS) (crs.CRS, error) {
	c := def
	if o.crsSet {
		c = o.crs
	}
	if !c.IsAuto() {
		return c, nil
	}
	var gs []orb.Geometry
	for i := range rows {
		if len(rows[i].Geometry) > 0 {
			gs = append(gs, rows[i].Geometry)
		} else {
			lon, lat := rows[i].centre()
			gs = append(gs, orb.Point{lon, lat})
		}
	}
	if len(gs) == 0 {
		return crs.CGCS2000, nil // no data, no zone: an empty layer in CGCS2000
	}
	r, err := c.Resolve(gs...)
	if err != nil {
		return r, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return r, nil
}

// stamp is the fixed time written into file headers.
func (o *options) stamp() time.Time {
	if o.date != "" {
		t, _ := time.Parse("2006-01-02", o.date)
		return t
	}
	return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
}

// overdue reports whether an open task's 核查期限 is before the export date.
func (o *options) overdue(r *Row) bool {
	if o.date == "" || !r.Open() {
		return false
	}
	d, err := time.Parse("2006-01-02", strings.TrimSpace(r.DueVerify))
	if err != nil {
		return false
	}
	now, _ := time.Parse("2006-01-02", o.date)
	return d.Before(now)
}

// prepare checks and sorts rows and applies the options.
func prepare(rows []Row, opts []Option) ([]Row, *options, error) {
	if err := Check(rows); err != nil {
		return nil, nil, err
	}
	o, err := newOptions(rows, opts)
	if err != nil {
		return nil, nil, err
	}
	out := sorted(rows)
	for i := range out {
		out[i].clean()
	}
	return out, o, nil
}

// clean drops control characters (other than tab and newline) from the text
// fields, which XML 1.0 cannot carry, so that every format shows the same
// text.
func (r *Row) clean() {
	for _, p := range []*string{&r.JCBH, &r.XZQDM, &r.Township, &r.TBLX, &r.QSX, &r.HSX, &r.Prejudgement,
		&r.Zone, &r.Team, &r.Person, &r.Contact, &r.PriorityReason, &r.DueVerify, &r.State, &r.Verdict} {
		*p = cleanText(*p)
	}
	r.Evidence = slices.Clone(r.Evidence)
	for i := range r.Evidence {
		p := &r.Evidence[i]
		p.Name, p.Summary, p.AddedBy = cleanText(p.Name), cleanText(p.Summary), cleanText(p.AddedBy)
	}
}

func cleanText(s string) string {
	return strings.Map(func(c rune) rune {
		if (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f || c == 0xfffe || c == 0xffff {
			return -1
		}
		return c
	}, s)
}

// mu converts m² to 亩, rounded to 0.01.
func mu(m2 float64) float64 { return round(m2/M2PerMu, 100) }

func round(v, f float64) float64 { return math.Round(v*f) / f }

// num formats a number without trailing zeros (deterministic, no exponent).
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// fileSafe replaces the characters Windows and Android refuse in file names.
func fileSafe(s string) string {
	s = strings.TrimSpace(s)
	s = strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7f:
			return '_'
		case strings.ContainsRune(`/\:*?"<>|`, r):
			return '_'
		}
		return r
	}, s)
	s = strings.Trim(s, ". ")
	if s == "" {
		return "_"
	}
	return s
}

// ChipName returns the file name of a row's chip in a bundle:
// "{JCBH}_前时相.png" or "{JCBH}_后时相.png", with characters that file
// systems refuse replaced by "_".
func ChipName(jcbh string, after bool) string {
	if after {
		return fileSafe(jcbh) + "_后时相.png"
	}
	return fileSafe(jcbh) + "_前时相.png"
}

// BundleName returns the file name of a team's ZIP bundle:
// "{team}_核查任务.zip".
func BundleName(team string) string { return fileSafe(team) + "_核查任务.zip" }

// fmtFixed formats v with n decimals.
func fmtFixed(v float64, n int) string { return strconv.FormatFloat(v, 'f', n, 64) }
