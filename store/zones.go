package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/weipian/weipian/pipeline"
)

// Zone layers (pipeline.ZoneLayer), migration 0100_zones.sql.
//
// An import is one transaction: it takes the next version number of its
// kind from zone_kinds (an upsert that also locks the kind's row, so that
// concurrent imports of one kind serialize on PostgreSQL; on SQLite BEGIN
// IMMEDIATE does), writes the zone_layers row and all its zone_features, and
// makes the version active. A failure anywhere rolls all of it back: the
// previous version stays active and no version number is used up. Versions
// are never changed or deleted afterwards, so reading one needs no
// transaction.

var _ pipeline.ZoneStore = (*Store)(nil)

const (
	// zoneInsertRows is how many features one INSERT writes
	// (zoneFeatureColumnCount parameters each).
	zoneInsertRows         = 100
	zoneFeatureColumnCount = 25
	zoneFeatureColumns     = `kind, version, fid, seq, name, xzqdm, xzqmc, dlbm, dlmc, grade, team, person, contact,
approval_no, approval_type, approved_area_m2, approved_use, valid_from, valid_to, attrs, geometry,
min_lon, min_lat, max_lon, max_lat`
	zoneLayerColumns = `kind, version, name, source, imported_at, feature_count, fields, problems, min_lon, min_lat, max_lon, max_lat`
)

// ImportZoneLayer stores layer as the next version of its kind and makes it
// the active version, atomically: either the version row, all its features
// and the switch are committed, or nothing is. It returns the new version
// number (1 for a kind's first import). Version and ImportedAt of layer are
// ignored: the store assigns the version and takes the time from its
// clock.
//
// The layer must have a valid Kind and at least one zone; every zone a
// non-empty geometry with finite coordinates and a finite approved area,
// and a Kind equal to the layer's (or zero). Feature IDs must be unique
// within the layer (the database refuses duplicates, which rolls the
// import back). Such errors wrap pipeline.ErrInvalid.
func (s *Store) ImportZoneLayer(ctx context.Context, layer pipeline.ZoneLayer) (int, error) {
	kind := layer.Kind
	if !kind.Valid() {
		return 0, fmt.Errorf("store: import zones: kind %d: %w", uint8(kind), pipeline.ErrInvalid)
	}
	if len(layer.Zones) == 0 {
		return 0, fmt.Errorf("store: import %s zones: no zones: %w", kind, pipeline.ErrInvalid)
	}
	for i := range layer.Zones {
		if err := checkZone(kind, &layer.Zones[i]); err != nil {
			return 0, fmt.Errorf("store: import %s zones: zone %d (feature %d): %v: %w", kind, i, layer.Zones[i].ID, err, pipeline.ErrInvalid)
		}
	}
	fields, err := json.Marshal(nonNilMap(layer.Fields))
	if err != nil {
		return 0, fmt.Errorf("store: import %s zones: fields: %w", kind, err)
	}
	problems := layer.Problems
	if problems == nil {
		problems = []pipeline.ZoneProblem{}
	}
	probJSON, err := json.Marshal(problems)
	if err != nil {
		return 0, fmt.Errorf("store: import %s zones: problems: %w", kind, err)
	}
	b := pipeline.ZonesBound(layer.Zones)
	now := formatTime(s.now())
	var version int
	err = s.Tx(ctx, func(tx *Tx) error {
		// Next version number; the upsert locks the kind's row until the
		// end of the transaction.
		err := tx.QueryRowContext(ctx, `INSERT INTO zone_kinds (kind, active_version, last_version, updated_at)
VALUES (?, 0, 1, ?)
ON CONFLICT (kind) DO UPDATE SET last_version = zone_kinds.last_version + 1, updated_at = excluded.updated_at
RETURNING last_version`, kind.Code(), now).Scan(&version)
		if err != nil {
			return fmt.Errorf("store: import %s zones: next version: %w", kind, err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO zone_layers (`+zoneLayerColumns+`) VALUES (`+placeholders(12)+`)`,
			kind.Code(), version, layer.Name, layer.Source, now, len(layer.Zones), string(fields), string(probJSON),
			b.Min[0], b.Min[1], b.Max[0], b.Max[1])
		if err != nil {
			return fmt.Errorf("store: import %s zones: version %d: %w", kind, version, err)
		}
		for start := 0; start < len(layer.Zones); start += zoneInsertRows {
			if err := ctx.Err(); err != nil {
				return err
			}
			end := min(start+zoneInsertRows, len(layer.Zones))
			args := make([]any, 0, zoneFeatureColumnCount*(end-start))
			for i := start; i < end; i++ {
				row, err := zoneRow(kind, version, i, &layer.Zones[i])
				if err != nil {
					return fmt.Errorf("store: import %s zones: feature %d: %w", kind, layer.Zones[i].ID, err)
				}
				args = append(args, row...)
			}
			q := `INSERT INTO zone_features (` + zoneFeatureColumns + `) VALUES ` +
				repeatJoin("("+placeholders(zoneFeatureColumnCount)+")", end-start)
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("store: import %s zones: version %d: features %d–%d: %w", kind, version, start, end-1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE zone_kinds SET active_version = ? WHERE kind = ?`, version, kind.Code()); err != nil {
			return fmt.Errorf("store: import %s zones: activate version %d: %w", kind, version, err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return version, nil
}

// checkZone checks what the store needs of a zone.
func checkZone(kind pipeline.ZoneKind, z *pipeline.Zone) error {
	if z.Kind != 0 && z.Kind != kind {
		return fmt.Errorf("kind %s in a %s layer", z.Kind, kind)
	}
	if len(z.Geometry) == 0 {
		return errors.New("no geometry")
	}
	for _, p := range z.Geometry {
		if len(p) == 0 {
			return errors.New("polygon without rings")
		}
		for _, r := range p {
			for _, pt := range r {
				if !finite(pt[0]) || !finite(pt[1]) {
					return fmt.Errorf("coordinate %v", pt)
				}
			}
		}
	}
	if !finite(z.ApprovedAreaM2) {
		return fmt.Errorf("approved area %v", z.ApprovedAreaM2)
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// zoneRow returns the zone_features values of z, the seq-th zone.
func zoneRow(kind pipeline.ZoneKind, version, seq int, z *pipeline.Zone) ([]any, error) {
	attrs, err := json.Marshal(nonNilMap(z.Attrs))
	if err != nil {
		return nil, fmt.Errorf("attributes: %w", err)
	}
	geom, err := geojson.NewGeometry(z.Geometry).MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("geometry: %w", err)
	}
	b := z.Geometry.Bound()
	return []any{kind.Code(), version, z.ID, seq, z.Name, z.XZQDM, z.XZQMC, z.DLBM, z.DLMC, z.Grade, z.Team, z.Person, z.Contact,
		z.ApprovalNo, string(z.ApprovalType), z.ApprovedAreaM2, z.ApprovedUse, z.ValidFrom, z.ValidTo, string(attrs), string(geom),
		b.Min[0], b.Min[1], b.Max[0], b.Max[1]}, nil
}

// ActiveZoneVersions returns the active version of every kind that has
// one.
func (s *Store) ActiveZoneVersions(ctx context.Context) (map[pipeline.ZoneKind]int, error) {
	rows, err := s.auto.QueryContext(ctx, `SELECT kind, active_version FROM zone_kinds WHERE active_version > 0`)
	if err != nil {
		return nil, fmt.Errorf("store: active zone versions: %w", err)
	}
	defer rows.Close()
	out := map[pipeline.ZoneKind]int{}
	for rows.Next() {
		var code string
		var v int
		if err := rows.Scan(&code, &v); err != nil {
			return nil, fmt.Errorf("store: active zone versions: %w", err)
		}
		k, err := pipeline.ParseZoneKind(code)
		if err != nil {
			return nil, fmt.Errorf("store: active zone versions: stored kind %q: %w", code, err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: active zone versions: %w", err)
	}
	return out, nil
}

// activeZoneVersion returns the active version of kind, 0 for none.
func (s *Store) activeZoneVersion(ctx context.Context, kind pipeline.ZoneKind) (int, error) {
	var v int
	err := s.auto.QueryRowContext(ctx, `SELECT active_version FROM zone_kinds WHERE kind = ?`, kind.Code()).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: active %s zones: %w", kind, err)
	}
	return v, nil
}

// ActiveZones returns the active version of kind's layer with all its
// zones in file order. A kind never imported gives an error wrapping
// pipeline.ErrNotFound.
func (s *Store) ActiveZones(ctx context.Context, kind pipeline.ZoneKind) (pipeline.ZoneLayer, error) {
	if !kind.Valid() {
		return pipeline.ZoneLayer{}, fmt.Errorf("store: zones: kind %d: %w", uint8(kind), pipeline.ErrInvalid)
	}
	v, err := s.activeZoneVersion(ctx, kind)
	if err != nil {
		return pipeline.ZoneLayer{}, err
	}
	if v == 0 {
		return pipeline.ZoneLayer{}, fmt.Errorf("store: no %s zones imported: %w", kind, pipeline.ErrNotFound)
	}
	return s.ZoneLayerAt(ctx, kind, v)
}

// ZoneLayerVersions describes every stored version of kind's layer, oldest
// first, marking the active one; none for a kind never imported.
func (s *Store) ZoneLayerVersions(ctx context.Context, kind pipeline.ZoneKind) ([]pipeline.ZoneLayerInfo, error) {
	if !kind.Valid() {
		return nil, fmt.Errorf("store: zone versions: kind %d: %w", uint8(kind), pipeline.ErrInvalid)
	}
	rows, err := s.auto.QueryContext(ctx, `SELECT `+zoneLayerColumns+` FROM zone_layers WHERE kind = ? ORDER BY version`, kind.Code())
	if err != nil {
		return nil, fmt.Errorf("store: %s zone versions: %w", kind, err)
	}
	var out []pipeline.ZoneLayerInfo
	for rows.Next() {
		info, err := scanZoneLayer(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: %s zone versions: %w", kind, err)
		}
		out = append(out, info)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("store: %s zone versions: %w", kind, err)
	}
	active, err := s.activeZoneVersion(ctx, kind)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Active = out[i].Version == active
	}
	return out, nil
}

func scanZoneLayer(r rowScanner) (pipeline.ZoneLayerInfo, error) {
	var (
		info                   pipeline.ZoneLayerInfo
		code, at               string
		fields, problems       string
		minX, minY, maxX, maxY float64
	)
	if err := r.Scan(&code, &info.Version, &info.Name, &info.Source, &at, &info.Features, &fields, &problems, &minX, &minY, &maxX, &maxY); err != nil {
		return info, err
	}
	k, err := pipeline.ParseZoneKind(code)
	if err != nil {
		return info, fmt.Errorf("stored kind %q: %w", code, err)
	}
	info.Kind = k
	if info.ImportedAt, err = parseTime(sql.NullString{String: at, Valid: true}); err != nil {
		return info, err
	}
	if err := json.Unmarshal([]byte(fields), &info.Fields); err != nil {
		return info, fmt.Errorf("stored fields: %w", err)
	}
	if err := json.Unmarshal([]byte(problems), &info.Problems); err != nil {
		return info, fmt.Errorf("stored problems: %w", err)
	}
	info.Bound = orb.Bound{Min: orb.Point{minX, minY}, Max: orb.Point{maxX, maxY}}
	return info, nil
}

// ZoneLayerAt returns version v of kind's layer with all its zones in file
// order. A missing version gives an error wrapping pipeline.ErrNotFound.
func (s *Store) ZoneLayerAt(ctx context.Context, kind pipeline.ZoneKind, v int) (pipeline.ZoneLayer, error) {
	if !kind.Valid() {
		return pipeline.ZoneLayer{}, fmt.Errorf("store: zones: kind %d: %w", uint8(kind), pipeline.ErrInvalid)
	}
	info, err := scanZoneLayer(s.auto.QueryRowContext(ctx, `SELECT `+zoneLayerColumns+` FROM zone_layers WHERE kind = ? AND version = ?`, kind.Code(), v))
	if errors.Is(err, sql.ErrNoRows) {
		return pipeline.ZoneLayer{}, fmt.Errorf("store: %s zones version %d: %w", kind, v, pipeline.ErrNotFound)
	}
	if err != nil {
		return pipeline.ZoneLayer{}, fmt.Errorf("store: %s zones version %d: %w", kind, v, err)
	}
	zones, err := s.queryZones(ctx, kind, `WHERE kind = ? AND version = ?`, kind.Code(), v)
	if err != nil {
		return pipeline.ZoneLayer{}, err
	}
	return pipeline.ZoneLayer{Kind: info.Kind, Version: info.Version, Name: info.Name, Source: info.Source,
		ImportedAt: info.ImportedAt, Fields: info.Fields, Problems: info.Problems, Zones: zones}, nil
}

// ZonesIn returns the zones of version v of kind's layer whose bounding box
// meets b (lon/lat degrees), in file order: a cheap prefilter, the caller
// tests the geometries.
func (s *Store) ZonesIn(ctx context.Context, kind pipeline.ZoneKind, v int, b orb.Bound) ([]pipeline.Zone, error) {
	if !kind.Valid() {
		return nil, fmt.Errorf("store: zones: kind %d: %w", uint8(kind), pipeline.ErrInvalid)
	}
	return s.queryZones(ctx, kind, `WHERE kind = ? AND version = ? AND max_lon >= ? AND min_lon <= ? AND max_lat >= ? AND min_lat <= ?`,
		kind.Code(), v, b.Min[0], b.Max[0], b.Min[1], b.Max[1])
}

func (s *Store) queryZones(ctx context.Context, kind pipeline.ZoneKind, where string, args ...any) ([]pipeline.Zone, error) {
	rows, err := s.auto.QueryContext(ctx, `SELECT fid, name, xzqdm, xzqmc, dlbm, dlmc, grade, team, person, contact,
approval_no, approval_type, approved_area_m2, approved_use, valid_from, valid_to, attrs, geometry
FROM zone_features `+where+` ORDER BY seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s zones: %w", kind, err)
	}
	defer rows.Close()
	var out []pipeline.Zone
	for rows.Next() {
		z := pipeline.Zone{Kind: kind}
		var typ, attrs, geom string
		err := rows.Scan(&z.ID, &z.Name, &z.XZQDM, &z.XZQMC, &z.DLBM, &z.DLMC, &z.Grade, &z.Team, &z.Person, &z.Contact,
			&z.ApprovalNo, &typ, &z.ApprovedAreaM2, &z.ApprovedUse, &z.ValidFrom, &z.ValidTo, &attrs, &geom)
		if err != nil {
			return nil, fmt.Errorf("store: %s zones: %w", kind, err)
		}
		z.ApprovalType = pipeline.ApprovalType(typ)
		if attrs != "{}" {
			if err := json.Unmarshal([]byte(attrs), &z.Attrs); err != nil {
				return nil, fmt.Errorf("store: %s zones: feature %d: stored attributes: %w", kind, z.ID, err)
			}
		}
		g, err := geojson.UnmarshalGeometry([]byte(geom))
		if err != nil {
			return nil, fmt.Errorf("store: %s zones: feature %d: stored geometry: %w", kind, z.ID, err)
		}
		mp, ok := g.Geometry().(orb.MultiPolygon)
		if !ok {
			return nil, fmt.Errorf("store: %s zones: feature %d: stored geometry is a %s, not a MultiPolygon", kind, z.ID, g.Type)
		}
		z.Geometry = mp
		out = append(out, z)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s zones: %w", kind, err)
	}
	return out, nil
}
