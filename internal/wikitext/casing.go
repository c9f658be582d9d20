// Package wikitext reads MediaWiki wikitext: links, plain text, and the title and
// anchor normalisation of the reference pipeline, with Python's Unicode case rules.
package wikitext

//go:generate sh -c "/usr/bin/python3 testdata/gen_casing.py > casing_table.go"

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Lower lower-cases s like Python 3's str.lower(): full Unicode mappings (İ becomes
// "i̇") and the final-sigma rule (Σ at the end of a word becomes ς).
func Lower(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r == 'Σ':
			if finalSigma(s, i) {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		default:
			if m, ok := pyLower[r]; ok {
				b.WriteString(m)
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
		}
	}
	return b.String()
}

// finalSigma implements Unicode's Final_Sigma condition for the Σ at byte i of s: a
// cased letter before it and none after it, skipping case-ignorable characters.
func finalSigma(s string, i int) bool {
	before := false
	for j := i; j > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:j])
		j -= size
		if caseIgnorable(r) {
			continue
		}
		before = cased(r)
		break
	}
	if !before {
		return false
	}
	for j := i + len("Σ"); j < len(s); {
		r, size := utf8.DecodeRuneInString(s[j:])
		j += size
		if caseIgnorable(r) {
			continue
		}
		return !cased(r)
	}
	return true
}

func cased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '^', '`', '\u00B7', '\u2018', '\u2019', '\u2024', '\u2027', '\uFE13', '\uFE52', '\uFE55', '\uFF07', '\uFF0E', '\uFF1A':
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

// Upper upper-cases s like Python 3's str.upper() (ß becomes SS).
func Upper(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if m, ok := pyUpper[r]; ok {
			b.WriteString(m)
		} else {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

// UpperFirst upper-cases the first code point of s as Python's s[0].upper() + s[1:].
func UpperFirst(s string) string {
	if s == "" {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return string(rune(r-'a'+'A')) + s[size:]
		}
		return s
	}
	return Upper(s[:size]) + s[size:]
}

// IsPySpace reports whether r is whitespace for Python's str.strip() and str.split().
func IsPySpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0,
		0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return 0x2000 <= r && r <= 0x200a
}

// PyStrip removes leading and trailing Python whitespace.
func PyStrip(s string) string { return strings.TrimFunc(s, IsPySpace) }

// PyFields splits s around runs of Python whitespace, as str.split() with no argument.
func PyFields(s string) []string { return strings.FieldsFunc(s, IsPySpace) }

// LowerFor returns the lower-casing used for a wiki of language lang: Python's
// str.lower (Lower), except for the Turkic languages written with dotted and dotless
// i (tr, az, crh, gag, kaa, tt, ba), where I becomes ı and İ becomes i first, as ICU
// does for those locales. The reference lower-cases with Python's rules everywhere,
// which on azwiki turns İ into "i̇" and shifts offsets (T308244).
func LowerFor(lang string) func(string) string {
	if !PythonLower(lang) {
		return lowerTurkic
	}
	return Lower
}

// PythonLower reports whether LowerFor(lang) is Lower, Python's lower-casing (which on
// ASCII text maps A-Z to a-z and nothing else).
func PythonLower(lang string) bool {
	switch lang {
	case "tr", "az", "crh", "gag", "kaa", "tt", "ba":
		return false
	}
	return true
}

func lowerTurkic(s string) string {
	if strings.ContainsAny(s, "Iİ") {
		s = strings.NewReplacer("I", "ı", "İ", "i").Replace(s)
	}
	return Lower(s)
}

// NormalizeAnchorWith is NormalizeAnchor with the given lower-casing.
func NormalizeAnchorWith(a string, lower func(string) string) string { return lower(PyStrip(a)) }
