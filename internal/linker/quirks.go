package linker

import (
	"fmt"
	"sort"
	"strings"

	"github.com/addlink/addlink/internal/wikitext"
)

// Quirks are the reference's defects that can be reproduced by name (flag
// --reference-quirks); each is fixed by default.
var Quirks = map[string]string{
	"greedy-refs":        "remove references with the greedy pattern, which also deletes the text between two references on a line",
	"dot-stops":          "end sentences only at \".\" (and । ։), not at the full stops of other scripts",
	"last-token":         "the last token of a sentence never ends an n-gram",
	"underscore-anchors": "the anchor of [[Foo_bar]] is foo_bar in training (foo bar in the dictionary)",
	"backquotes":         "the word tokenizer turns \" into `` and ''",
	"space-only":         "words are split only at spaces; other whitespace is dropped inside grams",
	"no-abbreviations":   "every \". \" ends a sentence, even after initials and abbreviations",
}

// QuirkNames returns the quirk names, sorted.
func QuirkNames() []string {
	var out []string
	for k := range Quirks {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ParseQuirks turns quirk names ("all" for every one) into options.
func ParseQuirks(names []string) (wikitext.SentenceOptions, TrainingOptions, error) {
	var so wikitext.SentenceOptions
	var to TrainingOptions
	for _, n := range names {
		for _, n := range strings.Split(n, ",") {
			switch strings.TrimSpace(n) {
			case "":
			case "all":
				so = wikitext.SentenceOptions{GreedyRefs: true, OnlyDotStops: true}
				to = ReferenceTraining
			case "greedy-refs":
				so.GreedyRefs = true
			case "dot-stops":
				so.OnlyDotStops = true
			case "last-token":
				to.Tokens.LastTokenQuirk = true
			case "underscore-anchors":
				to.UnderscoreAnchors = true
			case "backquotes":
				to.Tokens.Backquotes = true
			case "space-only":
				to.Tokens.SpaceOnly = true
			case "no-abbreviations":
				to.Tokens.NoAbbreviations = true
			default:
				return so, to, fmt.Errorf("unknown reference quirk %q (known: all, %s)", n, strings.Join(QuirkNames(), ", "))
			}
		}
	}
	return so, to, nil
}

// QuirksUsage describes the quirks for --help.
func QuirksUsage() string {
	var b strings.Builder
	for _, k := range QuirkNames() {
		fmt.Fprintf(&b, "  %-19s %s\n", k, Quirks[k])
	}
	return b.String()
}
