package ledger

import (
	"slices"
	"strings"
	"unicode"
)

// zoneMatcher resolves the zone text of a row against the known zone names.
//
// Matching is exact after normalisation (width folded, spaces removed, lower
// case). Failing that, a "stem" match drops one trailing generic suffix from
// both sides — 巡查区域, 巡查片区, 巡查区, 责任区域, 责任区, 片区, 区域, 网格,
// 村委会, 居委会, 社区, 村 — so "东关" or "东关片区" find "东关村"; a stem
// match is accepted only when it names exactly one zone (东关村 and 东关社区
// make "东关" ambiguous, which is reported, never guessed).
type zoneMatcher struct {
	exact map[string]string
	stem  map[string][]string
	names []string
}

func stemSuffixes() []string {
	return []string{"巡查区域", "巡查片区", "巡查区", "责任区域", "责任区", "片区", "区域", "网格", "村委会", "居委会", "社区", "村"}
}

func normZone(s string) string {
	s = foldWidth(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

func stemZone(s string) string {
	n := normZone(s)
	for _, suf := range stemSuffixes() {
		if strings.HasSuffix(n, suf) && len(n) > len(suf) {
			return strings.TrimSuffix(n, suf)
		}
	}
	return n
}

func newZoneMatcher(names []string) *zoneMatcher {
	if len(names) == 0 {
		return nil
	}
	zm := &zoneMatcher{exact: map[string]string{}, stem: map[string][]string{}}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if _, dup := zm.exact[normZone(n)]; dup {
			continue
		}
		zm.exact[normZone(n)] = n
		st := stemZone(n)
		zm.stem[st] = append(zm.stem[st], n)
		zm.names = append(zm.names, n)
	}
	return zm
}

// match resolves one zone reference: the canonical name, or the candidates
// when a stem match is ambiguous.
func (zm *zoneMatcher) match(s string) (name string, ambiguous []string) {
	if n, ok := zm.exact[normZone(s)]; ok {
		return n, nil
	}
	c := zm.stem[stemZone(s)]
	switch len(c) {
	case 0:
		return "", nil
	case 1:
		return c[0], nil
	}
	c = slices.Clone(c)
	slices.Sort(c)
	return "", c
}

// splitZones splits a 巡查区域/路线 cell into parts: a route is written as
// places joined by 、,;/ or 至, 到, -, —, →, ~.
func splitZones(s string) []string {
	s = foldWidth(s)
	for _, sep := range []string{"至", "到", "→", "—", "–", "~"} {
		s = strings.ReplaceAll(s, sep, "、")
	}
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("、,;/|-> \t\n", r) }) {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
