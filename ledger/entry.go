package ledger

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline/reconcile"
)

// Entry is one usable ledger row (巡查台帐).
type Entry struct {
	// File is the base name of the source file, Sheet the XLSX sheet (empty
	// for CSV), Row the 1-based row (CSV: line) number.
	File, Sheet string
	Row         int

	// Start and End are the patrol time (巡查时间); End is zero when only
	// a start was written. A date without a clock time starts at 00:00.
	Start, End time.Time
	// Members are the names in 巡查人员 and People the head count.
	Members []string
	People  int
	// Zone is the 巡查区域/路线 text as written; Zones the known zone names
	// it resolves to (WithZones), or its parts when no zones are known.
	Zone  string
	Zones []string
	// The text columns as written (trimmed).
	Items, Subject, Place, Status, StopMeasure, StopEffect, FollowUp string
	// Location is the coordinate found in 违法地点 or the 经度/纬度
	// columns, when HasLocation.
	Location    orb.Point
	HasLocation bool

	// Breaches are the rule breaches recorded in this row (Kind Breach).
	Breaches []RowError

	// ID hashes the normalised content (not file, sheet or row); Key hashes
	// the patrol's identity (start, members, zones, violator, place). See
	// Merge.
	ID, Key string
}

// Ref returns a human-readable reference such as "台帐2026.xlsx 5月 第12行".
func (e *Entry) Ref() string {
	if e.Sheet != "" {
		return fmt.Sprintf("%s %s 第%d行", e.File, e.Sheet, e.Row)
	}
	return fmt.Sprintf("%s 第%d行", e.File, e.Row)
}

// Violation reports whether the row records a violation (see
// reconcile.ReportsViolation).
func (e *Entry) Violation() bool { return reconcile.ReportsViolation(e.Subject, e.Status) }

// Domain converts the entry into the value pipeline/reconcile checks.
func (e *Entry) Domain() reconcile.Entry {
	return reconcile.Entry{
		ID: e.ID, Ref: e.Ref(), Start: e.Start, End: e.End,
		Zones: slices.Clone(e.Zones), Members: slices.Clone(e.Members), People: e.People,
		Location: e.Location, HasLocation: e.HasLocation,
		Items: e.Items, Subject: e.Subject, Address: e.Place, Status: e.Status,
		StopMeasure: e.StopMeasure, StopEffect: e.StopEffect, FollowUp: e.FollowUp,
		Violation: e.Violation(),
	}
}

// Domain converts entries with Entry.Domain.
func Domain(es []Entry) []reconcile.Entry {
	out := make([]reconcile.Entry, len(es))
	for i := range es {
		out[i] = es[i].Domain()
	}
	return out
}

// normText normalises free text for hashing: width folded, whitespace
// collapsed, blank words (无, /, 未发现 …) reduced to "".
func normText(s string) string {
	s = clean(foldWidth(s))
	if reconcile.IsBlank(s) {
		return ""
	}
	return s
}

func hash16(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0x1f})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// setIDs computes ID and Key.
func (e *Entry) setIDs() {
	members := slices.Clone(e.Members)
	slices.Sort(members)
	zones := slices.Clone(e.Zones)
	slices.Sort(zones)
	loc := ""
	if e.HasLocation {
		loc = strconv.FormatFloat(e.Location[0], 'f', 6, 64) + "," + strconv.FormatFloat(e.Location[1], 'f', 6, 64)
	}
	ident := []string{"v1", fmtTime(e.Start), strings.Join(members, "、"), strings.Join(zones, "、"),
		normText(e.Subject), normText(e.Place), loc}
	e.Key = hash16(ident...)
	e.ID = hash16(append(ident, strconv.Itoa(e.People), fmtTime(e.End), normText(e.Zone),
		normText(e.Items), normText(e.Status), normText(e.StopMeasure), normText(e.StopEffect), normText(e.FollowUp))...)
}

// MergeStats counts what Merge did.
type MergeStats struct {
	Added, Updated, Unchanged int
}

// Merge adds newly imported entries to existing ones without duplicates:
//
//   - an incoming entry whose ID is already present changes nothing (the
//     same row imported again, from the same or another file);
//   - an incoming entry whose Key matches an existing entry whose ID is not
//     among the incoming ones replaces it (the clerk corrected a text column
//     of that row and imported the file again);
//   - anything else is added.
//
// A correction that changes the time, the members, the zones, the violator
// or the place makes a new Key and so a new entry; the old one stays until
// removed. The result is sorted by Start, then ID; existing and incoming are
// not modified.
func Merge(existing, incoming []Entry) ([]Entry, MergeStats) {
	var st MergeStats
	out := slices.Clone(existing)
	have := make(map[string]int, len(out))
	byKey := map[string][]int{}
	for i, e := range out {
		have[e.ID] = i
		byKey[e.Key] = append(byKey[e.Key], i)
	}
	inIDs := make(map[string]bool, len(incoming))
	for _, e := range incoming {
		inIDs[e.ID] = true
	}
	replaced := map[int]bool{}
	for _, e := range incoming {
		if _, ok := have[e.ID]; ok {
			st.Unchanged++
			continue
		}
		done := false
		for _, i := range byKey[e.Key] {
			if replaced[i] || inIDs[out[i].ID] {
				continue
			}
			delete(have, out[i].ID)
			out[i] = e
			have[e.ID] = i
			replaced[i] = true
			st.Updated++
			done = true
			break
		}
		if done {
			continue
		}
		have[e.ID] = len(out)
		byKey[e.Key] = append(byKey[e.Key], len(out))
		out = append(out, e)
		st.Added++
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
	return out, st
}

// baseName returns the file name without directories.
func baseName(name string) string {
	if name == "" {
		return "(未命名)"
	}
	return filepath.Base(name)
}
