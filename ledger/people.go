package ledger

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// countRE finds a head count: 等3人, 等两人, 共4人, 3人.
var countRE = regexp.MustCompile(`(?:等|共|计)?\s*(\d+|[一二两三四五六七八九十])\s*(?:人|名)`)

// bracketRE removes roles in brackets: 张三(组长).
var bracketRE = regexp.MustCompile(`[(\[【][^)\]】]*[)\]】]`)

// SplitPeople splits a 巡查人员 cell into names and counts people. Names are
// separated by 、，,;；/ or spaces (and 和/及/与 between two 2–3 character
// names); roles in brackets are dropped; "张三等3人" counts 3. The count is
// the larger of the names found and the number written.
func SplitPeople(s string) (names []string, count int) {
	s = foldWidth(s)
	s = bracketRE.ReplaceAllString(s, " ")
	written := 0
	s = countRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := countRE.FindStringSubmatch(m)
		n, err := strconv.Atoi(sub[1])
		if err != nil {
			n = strings.Index("一二三四五六七八九十", sub[1])/3 + 1
			if sub[1] == "两" {
				n = 2
			}
		}
		written = max(written, n)
		return " "
	})
	seen := map[string]bool{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool {
		return strings.ContainsRune("、,;/\\|+ \t\n.。·", r)
	}) {
		part = strings.Trim(part, "：:-—")
		for _, n := range splitConj(part) {
			if n == "" || seen[n] || IsBlankCell(n) {
				continue
			}
			seen[n] = true
			names = append(names, n)
		}
	}
	return names, max(len(names), written)
}

// splitConj splits "张三和李四" when both sides are 2–3 characters long.
func splitConj(s string) []string {
	for _, c := range []string{"和", "及", "与"} {
		if i := strings.Index(s, c); i > 0 {
			a, b := s[:i], s[i+len(c):]
			if la, lb := utf8.RuneCountInString(a), utf8.RuneCountInString(b); la >= 2 && la <= 3 && lb >= 2 && lb <= 3 {
				return []string{a, b}
			}
		}
	}
	return []string{s}
}
