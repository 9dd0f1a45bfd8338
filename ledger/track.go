package ledger

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/weipian/weipian/pipeline/reconcile"
)

// TrackPoint is one GPS fix: lon/lat in degrees, elevation in metres (0
// when absent) and time (zero when absent).
type TrackPoint struct {
	Lon, Lat, Ele float64
	Time          time.Time
}

// Track is a GPS patrol track. Segments are the file's own segments (GPX
// trkseg, one KML LineString or gx:Track, one GeoJSON line).
type Track struct {
	// File is the source file's base name; Name the track's own name.
	File, Name string
	// Team and People say who walked it: from the file's metadata (GPX
	// author, KML/GeoJSON "team", "巡查组", "巡查人员" fields) or else from
	// the file name ("城关所一组_张三_李四_20260503.gpx").
	Team     string
	People   []string
	Segments [][]TrackPoint
	// Warnings says what the reader left out of the file's track: points
	// without a time and empty segments (not stored).
	Warnings []TrackProblem `json:"-"`
}

// TrackProblem is something wrong in one track of a file. Its Error() is a
// zh-CN sentence naming the file, the track and, when about points, the
// segment and the points' 1-based positions in it:
//
//	轨迹.gpx 轨迹「东关村巡查」第1段第3、4个点：没有时间（或时间无法识别），已略去（共2个点）
type TrackProblem struct {
	File, Track string
	// Segment is the 1-based segment (GPX trkseg, KML line, GeoJSON
	// line); 0 when the problem is the whole track's.
	Segment int
	// Points are the 1-based positions of the points in the segment.
	Points  []int
	Problem string
}

// Error returns the clerk-facing sentence.
func (p TrackProblem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s 轨迹「%s」", p.File, p.Track)
	if p.Segment > 0 {
		fmt.Fprintf(&b, "第%d段", p.Segment)
	}
	if len(p.Points) > 0 {
		b.WriteString("第")
		for i, n := range p.Points[:min(len(p.Points), 10)] {
			if i > 0 {
				b.WriteString("、")
			}
			b.WriteString(strconv.Itoa(n))
		}
		b.WriteString("个点")
		if len(p.Points) > 10 {
			b.WriteString("等")
		}
	}
	b.WriteString("：")
	b.WriteString(p.Problem)
	return b.String()
}

// trackLabel names a track in messages: its name, or "第N条" by position.
func trackLabel(t *Track, i int) string {
	if strings.TrimSpace(t.Name) != "" {
		return t.Name
	}
	return fmt.Sprintf("第%d条", i+1)
}

// checkTracks accounts for every point of the tracks read from file: a
// point without a time is dropped and noted in its track's Warnings (a
// fix without a time cannot show when the patrol passed, and must never be
// stored as year 1), as is an empty segment. The file is refused, with a
// *FileError naming the track, when it holds no track, when a track has no
// point (ErrEmptyTrack), when no point of a track has a time
// (ErrTrackTime), or when a point is not a longitude/latitude (ErrFormat).
func checkTracks(file string, what string, tracks []Track) ([]Track, error) {
	if len(tracks) == 0 {
		return nil, fileErr(file, ErrEmptyTrack, nil, "文件中没有轨迹（应有%s）", what)
	}
	for i := range tracks {
		t := &tracks[i]
		label := trackLabel(t, i)
		n, timed := t.Points()
		switch {
		case n == 0:
			return nil, fileErr(file, ErrEmptyTrack, nil, "轨迹「%s」没有任何轨迹点（轨迹段为空），无法导入：请检查导出的文件是否完整，或删去这条轨迹", label)
		case timed == 0:
			return nil, fileErr(file, ErrTrackTime, nil, "轨迹「%s」的%d个轨迹点都没有时间（或时间无法识别），无法说明何时巡查：请导出带时间的轨迹（GPX 的 <time>、KML 的 <when> 或 TimeSpan）", label, n)
		}
		for si, seg := range t.Segments {
			for pi, p := range seg {
				if !(p.Lon >= -180 && p.Lon <= 180 && p.Lat >= -90 && p.Lat <= 90) { // NaN fails too
					return nil, fileErr(file, ErrFormat, nil, "轨迹「%s」第%d段第%d个点的经纬度（%g, %g）不是有效的经度、纬度", label, si+1, pi+1, p.Lon, p.Lat)
				}
			}
		}
		var segs [][]TrackPoint
		for si, seg := range t.Segments {
			if len(seg) == 0 {
				t.Warnings = append(t.Warnings, TrackProblem{File: file, Track: label, Segment: si + 1, Problem: "轨迹段为空，已略去"})
				continue
			}
			var missing []int
			kept := seg[:0:0]
			for pi, p := range seg {
				if p.Time.IsZero() {
					missing = append(missing, pi+1)
					continue
				}
				kept = append(kept, p)
			}
			if len(missing) > 0 {
				t.Warnings = append(t.Warnings, TrackProblem{File: file, Track: label, Segment: si + 1, Points: missing,
					Problem: fmt.Sprintf("没有时间（或时间无法识别），已略去（共%d个点）", len(missing))})
			}
			if len(kept) > 0 {
				segs = append(segs, kept)
			}
		}
		t.Segments = segs
	}
	return tracks, nil
}

// ID returns a stable identifier: a hash of the team, name and fixes (not the
// file name), so the same track imported twice has the same ID.
func (t *Track) ID() string {
	h := sha256.New()
	h.Write([]byte(t.Team + "\x1f" + t.Name + "\x1f"))
	var buf [24]byte
	for _, s := range t.Segments {
		h.Write([]byte{0x1e})
		for _, p := range s {
			binary.LittleEndian.PutUint64(buf[0:], math.Float64bits(round7(p.Lon)))
			binary.LittleEndian.PutUint64(buf[8:], math.Float64bits(round7(p.Lat)))
			binary.LittleEndian.PutUint64(buf[16:], uint64(p.Time.Unix()))
			h.Write(buf[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Points returns the number of fixes and how many have a time.
func (t *Track) Points() (n, timed int) {
	for _, s := range t.Segments {
		for _, p := range s {
			n++
			if !p.Time.IsZero() {
				timed++
			}
		}
	}
	return n, timed
}

// Domain converts the track for pipeline/reconcile; fixes without a time
// are dropped there.
func (t *Track) Domain() reconcile.Track {
	out := reconcile.Track{ID: t.ID(), Ref: t.File, Team: t.Team}
	if t.Name != "" {
		out.Ref = t.File + " " + t.Name
	}
	for _, s := range t.Segments {
		seg := make([]reconcile.TrackPoint, 0, len(s))
		for _, p := range s {
			seg = append(seg, reconcile.TrackPoint{Lon: p.Lon, Lat: p.Lat, Time: p.Time})
		}
		out.Segments = append(out.Segments, seg)
	}
	return out
}

// ReadTrackFile reads the tracks of a .gpx, .kml, .kmz, .geojson or .json
// file.
func ReadTrackFile(ctx context.Context, path string) ([]Track, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ledger: open %s: %w", path, err)
	}
	defer f.Close()
	switch strings.ToLower(filepath.Ext(path)) {
	case ".gpx":
		return ReadGPX(ctx, f, path)
	case ".kml":
		return ReadKML(ctx, f, path)
	case ".kmz":
		return ReadKMZ(ctx, f, path)
	case ".geojson", ".json":
		return ReadGeoJSON(ctx, f, path)
	}
	return nil, fileErr(baseName(path), ErrFormat, nil, "不支持的轨迹文件类型（应为 .gpx、.kml、.kmz 或 .geojson）")
}

// xmlWalker streams an XML document, tracking the path of local names.
type xmlWalker struct {
	d    *xml.Decoder
	path []string
}

func newXMLWalker(data []byte) *xmlWalker {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "gbk", "gb2312", "gb18030":
			return decodeReader(input)
		}
		return input, nil
	}
	return &xmlWalker{d: d}
}

func decodeReader(r io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	s, err := DecodeText(b, EncodingGB18030)
	if err != nil {
		return nil, err
	}
	return strings.NewReader(s), nil
}

func (w *xmlWalker) parent() string {
	if len(w.path) < 2 {
		return ""
	}
	return w.path[len(w.path)-2]
}

func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// ReadGPX reads the tracks (trk/trkseg/trkpt with lat, lon, ele and time)
// of a GPX 1.0 or 1.1 file; name is the file name for messages and Track.File.
// Routes and waypoints are ignored.
func ReadGPX(ctx context.Context, r io.Reader, name string) ([]Track, error) {
	base := baseName(name)
	data, err := readAll(r, name)
	if err != nil {
		return nil, err
	}
	w := newXMLWalker(data)
	var (
		tracks           []Track
		cur              *Track
		seg              []TrackPoint
		pt               *TrackPoint
		author, metaName string
		sawGPX           bool
		text             strings.Builder
		n                int
	)
	for {
		tok, err := w.d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fileErr(base, ErrFormat, err, "GPX 文件格式错误：%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			w.path = append(w.path, t.Name.Local)
			text.Reset()
			switch t.Name.Local {
			case "gpx":
				sawGPX = true
			case "trk":
				cur = &Track{File: base}
			case "trkseg":
				seg = nil
			case "trkpt":
				p := TrackPoint{}
				var okLat, okLon bool
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "lat":
						p.Lat, err = strconv.ParseFloat(strings.TrimSpace(a.Value), 64)
						okLat = err == nil
					case "lon":
						p.Lon, err = strconv.ParseFloat(strings.TrimSpace(a.Value), 64)
						okLon = err == nil
					}
				}
				if !okLat || !okLon || math.Abs(p.Lat) > 90 || math.Abs(p.Lon) > 180 {
					line, _ := w.d.InputPos()
					return nil, fileErr(base, ErrFormat, nil, "GPX 第%d行的轨迹点经纬度无法识别", line)
				}
				pt = &p
			}
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			v := strings.TrimSpace(text.String())
			parent := w.parent()
			switch t.Name.Local {
			case "ele":
				if pt != nil {
					pt.Ele, _ = strconv.ParseFloat(v, 64)
				}
			case "time":
				if pt != nil {
					pt.Time = parseTime(v)
				}
			case "name":
				switch {
				case parent == "trk" && cur != nil:
					cur.Name = v
				case parent == "author" || parent == "person":
					author = v
				case parent == "metadata" || parent == "gpx":
					metaName = v
				}
			case "author":
				if parent == "gpx" && v != "" && author == "" { // GPX 1.0
					author = v
				}
			case "trkpt":
				if pt != nil {
					seg = append(seg, *pt)
					pt = nil
				}
				n++
				if n%65536 == 0 {
					if err := ctx.Err(); err != nil {
						return nil, err
					}
				}
			case "trkseg":
				if cur != nil {
					cur.Segments = append(cur.Segments, seg) // an empty one is noted by checkTracks
				}
				seg = nil
			case "trk":
				if cur != nil && len(seg) > 0 { // points outside any trkseg
					cur.Segments = append(cur.Segments, seg)
					seg = nil
				}
				if cur != nil {
					tracks = append(tracks, *cur)
				}
				cur = nil
			}
			text.Reset()
			if len(w.path) > 0 {
				w.path = w.path[:len(w.path)-1]
			}
		}
	}
	if !sawGPX {
		return nil, fileErr(base, ErrFormat, nil, "不是 GPX 文件（缺少 <gpx> 根元素）")
	}
	team, people := whoFromName(base)
	for i := range tracks {
		tracks[i].Team = firstNonEmpty(author, team, metaName)
		tracks[i].People = people
	}
	return checkTracks(base, "<trk> 轨迹及其 <trkpt> 轨迹点", tracks)
}

// ReadKMZ reads the first .kml file inside a KMZ archive.
func ReadKMZ(ctx context.Context, r io.Reader, name string) ([]Track, error) {
	base := baseName(name)
	data, err := readAll(r, name)
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fileErr(base, ErrFormat, err, "不是有效的 KMZ 文件")
	}
	for _, f := range zr.File {
		if strings.EqualFold(filepath.Ext(f.Name), ".kml") {
			rc, err := f.Open()
			if err != nil {
				return nil, fileErr(base, ErrFormat, err, "KMZ 中的 %s 无法读取", f.Name)
			}
			defer rc.Close()
			return ReadKML(ctx, rc, name)
		}
	}
	return nil, fileErr(base, ErrFormat, nil, "KMZ 文件中没有 .kml")
}

// ReadKML reads the tracks of a KML file: each Placemark with LineStrings
// and/or gx:Track elements (possibly inside MultiGeometry or gx:MultiTrack)
// is a Track, each line a segment. gx:Track fixes take their <when> times; a
// LineString takes the Placemark's TimeSpan (begin–end, spread along the
// line in proportion to distance) or TimeStamp, else has no times. Team and
// people come from ExtendedData fields named team/巡查组/巡查人员/people, else
// from the file name.
func ReadKML(ctx context.Context, r io.Reader, name string) ([]Track, error) {
	base := baseName(name)
	data, err := readAll(r, name)
	if err != nil {
		return nil, err
	}
	w := newXMLWalker(data)
	var (
		tracks     []Track
		cur        *Track
		lines      [][]TrackPoint // LineStrings awaiting times
		begin, end time.Time
		whens      []time.Time
		coords     []TrackPoint
		dataName   string
		text       strings.Builder
		sawKML     bool
		n          int
	)
	for {
		tok, err := w.d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fileErr(base, ErrFormat, err, "KML 文件格式错误：%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			w.path = append(w.path, t.Name.Local)
			text.Reset()
			switch t.Name.Local {
			case "kml":
				sawKML = true
			case "Placemark":
				cur = &Track{File: base}
				lines, begin, end = nil, time.Time{}, time.Time{}
			case "Track":
				whens, coords = nil, nil
			case "Data", "SimpleData":
				dataName = ""
				for _, a := range t.Attr {
					if a.Name.Local == "name" {
						dataName = a.Value
					}
				}
			}
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			v := strings.TrimSpace(text.String())
			parent := w.parent()
			switch t.Name.Local {
			case "name":
				if parent == "Placemark" && cur != nil {
					cur.Name = v
				}
			case "begin":
				begin = parseTime(v)
			case "end":
				end = parseTime(v)
			case "when":
				if parent == "TimeStamp" {
					begin = parseTime(v)
				} else {
					whens = append(whens, parseTime(v))
				}
			case "coord":
				f := strings.Fields(v)
				if len(f) >= 2 {
					lon, e1 := strconv.ParseFloat(f[0], 64)
					lat, e2 := strconv.ParseFloat(f[1], 64)
					if e1 != nil || e2 != nil {
						return nil, fileErr(base, ErrFormat, nil, "KML 轨迹点坐标「%s」无法识别", v)
					}
					p := TrackPoint{Lon: lon, Lat: lat}
					if len(f) >= 3 {
						p.Ele, _ = strconv.ParseFloat(f[2], 64)
					}
					coords = append(coords, p)
				}
				n++
				if n%65536 == 0 {
					if err := ctx.Err(); err != nil {
						return nil, err
					}
				}
			case "Track":
				for i := range coords {
					if i < len(whens) {
						coords[i].Time = whens[i]
					}
				}
				if cur != nil {
					cur.Segments = append(cur.Segments, coords) // an empty one is noted by checkTracks
				}
				coords, whens = nil, nil
			case "coordinates":
				if parent != "LineString" || cur == nil {
					break
				}
				var line []TrackPoint
				for _, tup := range strings.Fields(v) {
					f := strings.Split(tup, ",")
					if len(f) < 2 {
						return nil, fileErr(base, ErrFormat, nil, "KML 坐标「%s」无法识别", tup)
					}
					lon, e1 := strconv.ParseFloat(f[0], 64)
					lat, e2 := strconv.ParseFloat(f[1], 64)
					if e1 != nil || e2 != nil {
						return nil, fileErr(base, ErrFormat, nil, "KML 坐标「%s」无法识别", tup)
					}
					p := TrackPoint{Lon: lon, Lat: lat}
					if len(f) >= 3 {
						p.Ele, _ = strconv.ParseFloat(f[2], 64)
					}
					line = append(line, p)
				}
				lines = append(lines, line)
			case "value":
				if cur != nil && (parent == "Data") {
					setWho(cur, dataName, v)
				}
			case "SimpleData":
				if cur != nil {
					setWho(cur, dataName, v)
				}
			case "Placemark":
				for _, l := range lines {
					spreadTimes(l, begin, end)
					cur.Segments = append(cur.Segments, l)
				}
				if len(cur.Segments) > 0 {
					tracks = append(tracks, *cur)
				}
				cur = nil
			}
			text.Reset()
			if len(w.path) > 0 {
				w.path = w.path[:len(w.path)-1]
			}
		}
	}
	if !sawKML {
		return nil, fileErr(base, ErrFormat, nil, "不是 KML 文件（缺少 <kml> 根元素）")
	}
	fillWho(tracks, base)
	return checkTracks(base, "含 LineString 或 gx:Track 的 Placemark", tracks)
}

// setWho records a team or people field.
func setWho(t *Track, key, v string) {
	switch strings.ToLower(strings.TrimSpace(key)) {
	case "team", "巡查组", "巡查队", "巡查单位", "单位", "中队":
		t.Team = v
	case "people", "members", "巡查人员", "人员", "巡查人":
		t.People, _ = SplitPeople(v)
	}
}

func fillWho(tracks []Track, file string) {
	team, people := whoFromName(file)
	for i := range tracks {
		if tracks[i].Team == "" {
			tracks[i].Team = team
		}
		if len(tracks[i].People) == 0 {
			tracks[i].People = people
		}
	}
}

// spreadTimes gives a line's points times from begin to end in proportion
// to the distance along it; with only begin, all points get begin.
func spreadTimes(line []TrackPoint, begin, end time.Time) {
	if begin.IsZero() || len(line) == 0 {
		return
	}
	if end.IsZero() || !end.After(begin) || len(line) == 1 {
		for i := range line {
			line[i].Time = begin
		}
		return
	}
	cum := make([]float64, len(line))
	for i := 1; i < len(line); i++ {
		a, b := line[i-1], line[i]
		dx := (b.Lon - a.Lon) * math.Cos((a.Lat+b.Lat)/2*math.Pi/180)
		cum[i] = cum[i-1] + math.Hypot(dx, b.Lat-a.Lat)
	}
	total := cum[len(cum)-1]
	span := end.Sub(begin)
	for i := range line {
		f := float64(i) / float64(len(line)-1)
		if total > 0 {
			f = cum[i] / total
		}
		line[i].Time = begin.Add(time.Duration(f * float64(span))).Round(time.Second)
	}
}

// whoFromName reads a team and people from a file name such as
// "城关所一组_张三_李四_20260503.gpx": a part naming a unit (所, 队, 组,
// 站, 局, 中心) is the team; parts of 2–4 Chinese characters are people.
func whoFromName(file string) (team string, people []string) {
	stem := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	for _, p := range strings.FieldsFunc(stem, func(r rune) bool { return strings.ContainsRune("_- 、,，()（）[]", r) }) {
		switch {
		case strings.ContainsAny(p, "所队组站局") || strings.Contains(p, "中心"):
			if team == "" {
				team = p
			}
		case isHanName(p):
			people = append(people, p)
		}
	}
	return team, people
}

func isHanName(s string) bool {
	n := utf8.RuneCountInString(s)
	if n < 2 || n > 4 {
		return false
	}
	for _, r := range s {
		if r < 0x4E00 || r > 0x9FFF {
			return false
		}
	}
	return !strings.ContainsAny(s, "轨迹巡查月日年村镇乡路线片区")
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// ReadGeoJSON reads tracks from GeoJSON: a FeatureCollection, a Feature or
// a bare geometry; each LineString or MultiLineString feature is a Track
// (other geometries are skipped). Fix times come from the properties:
// "coordTimes" or "times" (an array of RFC 3339 strings or Unix seconds, one
// per position; for a MultiLineString an array of arrays), else "start"/
// "begin" and "end" spread along the line, else "time". Team and people
// come from "team"/"巡查组" and "people"/"巡查人员", the name from "name".
func ReadGeoJSON(ctx context.Context, r io.Reader, name string) ([]Track, error) {
	base := baseName(name)
	data, err := readAll(r, name)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fileErr(base, ErrFormat, err, "GeoJSON 格式错误：%v", err)
	}
	var feats []*geojson.Feature
	switch probe.Type {
	case "FeatureCollection":
		fc, err := geojson.UnmarshalFeatureCollection(data)
		if err != nil {
			return nil, fileErr(base, ErrFormat, err, "GeoJSON 格式错误：%v", err)
		}
		feats = fc.Features
	case "Feature":
		f, err := geojson.UnmarshalFeature(data)
		if err != nil {
			return nil, fileErr(base, ErrFormat, err, "GeoJSON 格式错误：%v", err)
		}
		feats = []*geojson.Feature{f}
	case "LineString", "MultiLineString":
		g, err := geojson.UnmarshalGeometry(data)
		if err != nil {
			return nil, fileErr(base, ErrFormat, err, "GeoJSON 格式错误：%v", err)
		}
		feats = []*geojson.Feature{geojson.NewFeature(g.Geometry())}
	default:
		return nil, fileErr(base, ErrFormat, nil, "不是 GeoJSON 轨迹文件（type 为「%s」）", probe.Type)
	}
	var tracks []Track
	for fi, f := range feats {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var lines []orb.LineString
		switch g := f.Geometry.(type) {
		case orb.LineString:
			lines = []orb.LineString{g}
		case orb.MultiLineString:
			lines = g
		default:
			continue
		}
		t := Track{File: base, Name: f.Properties.MustString("name", "")}
		for k, v := range f.Properties {
			if s, ok := v.(string); ok {
				setWho(&t, k, s)
			}
		}
		times, err := propTimes(f.Properties, lines)
		if err != nil {
			return nil, fileErr(base, ErrFormat, err, "第%d个要素的时间无法识别：%v", fi+1, err)
		}
		for li, l := range lines {
			seg := make([]TrackPoint, len(l))
			for i, p := range l {
				seg[i] = TrackPoint{Lon: p[0], Lat: p[1]}
				if times != nil {
					seg[i].Time = times[li][i]
				}
			}
			if times == nil {
				b := propTime(f.Properties, "start", "begin", "startTime", "time")
				e := propTime(f.Properties, "end", "endTime")
				spreadTimes(seg, b, e)
			}
			t.Segments = append(t.Segments, seg)
		}
		tracks = append(tracks, t)
	}
	fillWho(tracks, base)
	return checkTracks(base, "LineString 或 MultiLineString 要素", tracks)
}

func propTime(p geojson.Properties, keys ...string) time.Time {
	for _, k := range keys {
		if v, ok := p[k]; ok {
			if t, ok := anyTime(v); ok {
				return t
			}
		}
	}
	return time.Time{}
}

func anyTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case string:
		t := parseTime(x)
		return t, !t.IsZero()
	case float64:
		if x > 1e11 { // milliseconds
			return time.UnixMilli(int64(x)), true
		}
		return time.Unix(int64(x), 0), true
	}
	return time.Time{}, false
}

// propTimes reads per-position times, or nil when there are none.
func propTimes(p geojson.Properties, lines []orb.LineString) ([][]time.Time, error) {
	var raw any
	for _, k := range []string{"coordTimes", "times", "timestamps", "coordinateProperties"} {
		if v, ok := p[k]; ok {
			raw = v
			if m, ok := v.(map[string]any); ok { // coordinateProperties.times
				raw = m["times"]
			}
			break
		}
	}
	if raw == nil {
		return nil, nil
	}
	arr, ok := raw.([]any)
	if !ok {
		return nil, errors.New("times is not an array")
	}
	// One array per line, or a flat array for a single line.
	var perLine [][]any
	if len(arr) > 0 {
		if _, nested := arr[0].([]any); nested {
			for _, a := range arr {
				sub, ok := a.([]any)
				if !ok {
					return nil, errors.New("mixed nesting in times")
				}
				perLine = append(perLine, sub)
			}
		} else {
			perLine = [][]any{arr}
		}
	}
	if len(perLine) != len(lines) {
		return nil, fmt.Errorf("%d time lists for %d lines", len(perLine), len(lines))
	}
	out := make([][]time.Time, len(lines))
	for li, l := range lines {
		if len(perLine[li]) != len(l) {
			return nil, fmt.Errorf("%d times for %d positions", len(perLine[li]), len(l))
		}
		out[li] = make([]time.Time, len(l))
		for i, v := range perLine[li] {
			t, ok := anyTime(v)
			if !ok {
				return nil, fmt.Errorf("time %v", v)
			}
			out[li][i] = t
		}
	}
	return out, nil
}
