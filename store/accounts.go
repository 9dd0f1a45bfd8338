package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/weipian/weipian/pipeline"
)

// User is a stored account. PasswordHash is a bcrypt hash; Roles are role
// codes (see package app).
type User struct {
	Name         string
	Display      string
	PasswordHash string
	Roles        []string
	Team         string
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ErrExists is returned when a record to be created exists already.
var ErrExists = errors.New("store: exists")

// CreateUser adds u; a user of that name gives ErrExists.
func (s *Store) CreateUser(ctx context.Context, u User, now time.Time) error {
	return s.Tx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE name = ?`, u.Name).Scan(&n); err != nil {
			return fmt.Errorf("store: user %s: %w", u.Name, err)
		}
		if n > 0 {
			return fmt.Errorf("store: user %s: %w", u.Name, ErrExists)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO users (name, display, password_hash, roles, team, disabled, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, u.Name, u.Display, u.PasswordHash, strings.Join(u.Roles, ","), u.Team, u.Disabled, formatTime(now), formatTime(now))
		if err != nil {
			return fmt.Errorf("store: user %s: %w", u.Name, err)
		}
		return nil
	})
}

const userColumns = `name, display, password_hash, roles, team, disabled, created_at, updated_at`

func scanUser(r rowScanner) (User, error) {
	var u User
	var roles string
	var created, updated sql.NullString
	if err := r.Scan(&u.Name, &u.Display, &u.PasswordHash, &roles, &u.Team, &u.Disabled, &created, &updated); err != nil {
		return u, err
	}
	if roles != "" {
		u.Roles = strings.Split(roles, ",")
	}
	var err error
	if u.CreatedAt, err = parseTime(created); err != nil {
		return u, err
	}
	u.UpdatedAt, err = parseTime(updated)
	return u, err
}

// GetUser returns a user, or ErrNotFound.
func (s *Store) GetUser(ctx context.Context, name string) (User, error) {
	u, err := scanUser(s.auto.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("store: user %s: %w", name, pipeline.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("store: user %s: %w", name, err)
	}
	return u, nil
}

// Users lists every user by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.auto.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	defer rows.Close()
	out := []User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CountUsers returns how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.auto.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// UpdateUser loads a user, applies fn and stores it in one transaction;
// fn's error aborts without a change. Disabling a user or changing its
// password ends its sessions.
func (s *Store) UpdateUser(ctx context.Context, name string, fn func(u *User) error, now time.Time) (User, error) {
	var out User
	err := s.Tx(ctx, func(tx *Tx) error {
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = ?`, name))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: user %s: %w", name, pipeline.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: user %s: %w", name, err)
		}
		before := u
		if err := fn(&u); err != nil {
			return err
		}
		u.Name = name
		if _, err := tx.ExecContext(ctx, `UPDATE users SET display = ?, password_hash = ?, roles = ?, team = ?, disabled = ?, updated_at = ? WHERE name = ?`,
			u.Display, u.PasswordHash, strings.Join(u.Roles, ","), u.Team, u.Disabled, formatTime(now), name); err != nil {
			return fmt.Errorf("store: user %s: %w", name, err)
		}
		if u.Disabled || u.PasswordHash != before.PasswordHash || u.Team != before.Team || strings.Join(u.Roles, ",") != strings.Join(before.Roles, ",") {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_name = ?`, name); err != nil {
				return fmt.Errorf("store: sessions of %s: %w", name, err)
			}
		}
		u.UpdatedAt = now.UTC()
		out = u
		return nil
	})
	return out, err
}

// Session is a login session: the SHA-256 of its bearer token, its user,
// its CSRF token and when it expires.
type Session struct {
	TokenHash string
	User      string
	CSRF      string
	Addr      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateSession stores a session and removes the expired ones.
func (s *Store) CreateSession(ctx context.Context, se Session) error {
	return s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`, formatTime(se.CreatedAt)); err != nil {
			return fmt.Errorf("store: sessions: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_name, csrf, addr, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			se.TokenHash, se.User, se.CSRF, se.Addr, formatTime(se.CreatedAt), formatTime(se.ExpiresAt))
		if err != nil {
			return fmt.Errorf("store: session: %w", err)
		}
		return nil
	})
}

// GetSession returns the session of a token hash, or ErrNotFound.
func (s *Store) GetSession(ctx context.Context, tokenHash string) (Session, error) {
	var se Session
	var created, expires sql.NullString
	err := s.auto.QueryRowContext(ctx, `SELECT token_hash, user_name, csrf, addr, created_at, expires_at FROM sessions WHERE token_hash = ?`, tokenHash).
		Scan(&se.TokenHash, &se.User, &se.CSRF, &se.Addr, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return se, fmt.Errorf("store: session: %w", pipeline.ErrNotFound)
	}
	if err != nil {
		return se, fmt.Errorf("store: session: %w", err)
	}
	if se.CreatedAt, err = parseTime(created); err != nil {
		return se, err
	}
	se.ExpiresAt, err = parseTime(expires)
	return se, err
}

// DeleteSession ends a session (no error when it does not exist).
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.auto.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
	if err != nil {
		return fmt.Errorf("store: session: %w", err)
	}
	return nil
}

// AuditRecord is one line of the append-only audit log.
type AuditRecord struct {
	ID      int64
	At      time.Time
	Actor   string
	Source  string // cli or http
	Addr    string
	Action  string
	Target  string
	Outcome string // ok, refused, failed
	Detail  string
}

// AppendAudit adds a record to the audit log. The log cannot be changed or
// deleted through the store, and the database refuses it too (triggers).
func (s *Store) AppendAudit(ctx context.Context, r AuditRecord) error {
	_, err := s.auto.ExecContext(ctx, `INSERT INTO audit (at, actor, source, addr, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		formatTime(r.At), r.Actor, r.Source, r.Addr, r.Action, r.Target, r.Outcome, r.Detail)
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	return nil
}

// AuditFilter selects audit records; empty fields select all. Records come
// newest first, at most Limit (default 100) after skipping Offset.
type AuditFilter struct {
	Actor, Action string
	Since         time.Time
	Limit, Offset int
}

// Audit lists audit records, newest first, and how many match in all.
func (s *Store) Audit(ctx context.Context, f AuditFilter) ([]AuditRecord, int, error) {
	where := ` WHERE 1 = 1`
	var args []any
	if f.Actor != "" {
		where += ` AND actor = ?`
		args = append(args, f.Actor)
	}
	if f.Action != "" {
		where += ` AND action = ?`
		args = append(args, f.Action)
	}
	if !f.Since.IsZero() {
		where += ` AND at >= ?`
		args = append(args, formatTime(f.Since))
	}
	var total int
	if err := s.auto.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: audit: %w", err)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := s.auto.QueryContext(ctx, `SELECT id, at, actor, source, addr, action, target, outcome, detail FROM audit`+where+
		` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: audit: %w", err)
	}
	defer rows.Close()
	out := []AuditRecord{}
	for rows.Next() {
		var r AuditRecord
		var at sql.NullString
		if err := rows.Scan(&r.ID, &at, &r.Actor, &r.Source, &r.Addr, &r.Action, &r.Target, &r.Outcome, &r.Detail); err != nil {
			return nil, 0, fmt.Errorf("store: audit: %w", err)
		}
		if r.At, err = parseTime(at); err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// Imagery is an image registered by staff for batches: the API submits
// batches by imagery ID, never by server path.
type Imagery struct {
	ID           string
	Name         string
	URI          string // s3://bucket/key or an absolute local path
	Acquired     string // YYYY-MM-DD or ""
	Info         string // JSON description (size, bands, CRS, pixel size)
	RegisteredBy string
	RegisteredAt time.Time
}

// RegisterImagery stores im; the same URI registered again returns the
// existing record and false.
func (s *Store) RegisterImagery(ctx context.Context, im Imagery) (Imagery, bool, error) {
	var out Imagery
	created := false
	err := s.Tx(ctx, func(tx *Tx) error {
		got, err := scanImagery(tx.QueryRowContext(ctx, `SELECT `+imageryColumns+` FROM imagery WHERE uri = ?`, im.URI))
		if err == nil {
			out = got
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: imagery %s: %w", im.URI, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO imagery (id, name, uri, acquired, info, registered_by, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			im.ID, im.Name, im.URI, im.Acquired, im.Info, im.RegisteredBy, formatTime(im.RegisteredAt)); err != nil {
			return fmt.Errorf("store: imagery %s: %w", im.URI, err)
		}
		out, created = im, true
		return nil
	})
	return out, created, err
}

const imageryColumns = `id, name, uri, acquired, info, registered_by, registered_at`

func scanImagery(r rowScanner) (Imagery, error) {
	var im Imagery
	var at sql.NullString
	if err := r.Scan(&im.ID, &im.Name, &im.URI, &im.Acquired, &im.Info, &im.RegisteredBy, &at); err != nil {
		return im, err
	}
	var err error
	im.RegisteredAt, err = parseTime(at)
	return im, err
}

// GetImagery returns a registered image by ID, or ErrNotFound.
func (s *Store) GetImagery(ctx context.Context, id string) (Imagery, error) {
	im, err := scanImagery(s.auto.QueryRowContext(ctx, `SELECT `+imageryColumns+` FROM imagery WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return im, fmt.Errorf("store: imagery %s: %w", id, pipeline.ErrNotFound)
	}
	if err != nil {
		return im, fmt.Errorf("store: imagery %s: %w", id, err)
	}
	return im, nil
}

// ImageryList lists the registered images, newest first.
func (s *Store) ImageryList(ctx context.Context) ([]Imagery, error) {
	rows, err := s.auto.QueryContext(ctx, `SELECT `+imageryColumns+` FROM imagery ORDER BY registered_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("store: imagery: %w", err)
	}
	defer rows.Close()
	out := []Imagery{}
	for rows.Next() {
		im, err := scanImagery(rows)
		if err != nil {
			return nil, fmt.Errorf("store: imagery: %w", err)
		}
		out = append(out, im)
	}
	return out, rows.Err()
}
