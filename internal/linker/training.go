package linker

import (
	"strconv"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/wikitext"
)

// TrainingOptions selects the reference's defects to reproduce in training rows. The
// zero value is the fixed behaviour.
type TrainingOptions struct {
	Tokens TokenOptions
	// UnderscoreAnchors takes the anchor of a link without text, such as [[Foo_bar]],
	// from the title as written ("foo_bar"), as the reference's training does, while the
	// dictionary uses the normalised title ("foo bar"); such links then never give a
	// positive row. By default the dictionary's rule is used.
	UnderscoreAnchors bool
	// Features are the features the rows carry beyond the reference's six (Row's
	// extended fields stay NaN unless the set has them); nil means the reference's.
	// The context of the relatedness feature is the page's links in the link graph
	// other than the sentence's own (Dict.OtherLinks), as the backtest sees it.
	Features FeatureSet
	// DropLinkedElsewhere drops the negative rows whose target the page links outside
	// the sentence (Dict.OtherLinks; needs Dict.Graph): editors link a target once per
	// article, so an unlinked mention of it in a later sentence is not evidence that it
	// should not be linked.
	DropLinkedElsewhere bool
	// Candidates are the candidate rules (the mentions they add give rows with
	// Row.Extra set); the zero value is the reference's.
	Candidates CandidateRules
}

// ReferenceTraining reproduces the reference's training rows, defects included.
var ReferenceTraining = TrainingOptions{Tokens: ReferenceTokens, UnderscoreAnchors: true}

// MaxTrainingGram is the longest mention, in tokens, looked for in training sentences.
const MaxTrainingGram = 10

// Gold returns the links of wikitext as {anchor: resolved target}, keeping only targets
// that are articles; a later link with the same anchor wins, as in the reference.
func (d *Dict) Gold(text string, underscoreAnchors bool) (map[string]string, []string) {
	gold := map[string]string{}
	var order []string
	wikitext.ScanLinks(text, func(l wikitext.Link) bool {
		link := wikitext.NormalizeTitle(l.Target)
		var anchor string
		switch {
		case l.Anchor != "":
			anchor = l.Anchor
		case underscoreAnchors:
			anchor = l.Target
		default:
			anchor = link
		}
		anchor = wikitext.PyStrip(d.Lower(wikitext.PyStrip(anchor)))
		link = d.Resolve(link)
		if _, ok := d.PageID(link); !ok {
			return true
		}
		if _, seen := gold[anchor]; !seen {
			order = append(order, anchor)
		}
		gold[anchor] = link
		return true
	})
	return gold, order
}

// Row is one training row.
type Row struct {
	Page, Mention, Target string
	Features
	Label bool
	// Extra marks a row of a mention the candidate rules added (Dict.Mention): the
	// reference's files (link_train.csv) leave such rows out.
	Extra bool
}

// TrainingRows returns the rows of one training sentence (docs/reference.md "Stage 5"):
// every n-gram (10..1 tokens) of the sentence's plain text that is an anchor, and the
// anchors of its links, each with every candidate target; the label says whether the
// sentence links that anchor to that target. Rows come in a fixed order: mentions in
// the order they are found, candidates most linked first.
func (d *Dict) TrainingRows(page, sentence string, o TrainingOptions) []Row {
	gold, goldOrder := d.Gold(sentence, o.UnderscoreAnchors)
	lookup := d.mentions(o.Candidates)
	has := func(m string) bool { mm, _ := lookup.get(m); return mm != nil }
	var mentions []string
	var positions []float64
	extended := o.Features.Extended()
	tested := map[string]bool{}
	plain := wikitext.StripCode(sentence)
	MentionsLower(plain, MaxTrainingGram, 1, o.Tokens, d.Lower, func(g, m string) {
		if !tested[m] && has(m) {
			tested[m] = true
			mentions = append(mentions, m)
			if extended {
				positions = append(positions, relativePosition(plain, g))
			}
		}
	})
	var lowerPlain string
	for _, m := range goldOrder {
		if !tested[m] && has(m) {
			tested[m] = true
			mentions = append(mentions, m)
			if extended {
				if lowerPlain == "" {
					lowerPlain = d.Lower(plain)
				}
				positions = append(positions, relativePosition(lowerPlain, m))
			}
		}
	}
	var ctx *PageContext
	var elsewhere map[string]bool
	if extended || o.DropLinkedElsewhere {
		other := d.OtherLinks(page, gold)
		if extended {
			ctx = d.NewPageContext(page, other)
		}
		if o.DropLinkedElsewhere {
			elsewhere = make(map[string]bool, len(other))
			for _, t := range other {
				elsewhere[t] = true
			}
		}
	}
	var rows []Row
	for mi, m := range mentions {
		mention := NormalizeMention(m, d.Lower)
		mm, extra := lookup.get(mention)
		if mm == nil {
			continue
		}
		for _, c := range mm.Candidates {
			// The reference re-normalises the candidate and drops the row when that
			// changes it (its feature lookup then fails).
			if wikitext.NormalizeTitle(c.Title) != c.Title {
				continue
			}
			var f Features
			var ok bool
			if extended {
				f, ok = d.featuresAt(mm, ctx, mention, c.Title, positions[mi])
			} else {
				f, ok = d.featuresOf(mm, page, mention, c.Title)
			}
			if !ok {
				continue
			}
			label := gold[mention] == c.Title
			if !label && elsewhere[c.Title] {
				continue
			}
			rows = append(rows, Row{Page: page, Mention: mention, Target: c.Title, Features: f, Label: label, Extra: extra})
		}
	}
	return rows
}

// NormalizeMention strips and lower-cases a mention as the reference's
// normalise_anchor does.
func NormalizeMention(m string, lower func(string) string) string {
	return lower(wikitext.PyStrip(m))
}

// FormatRow writes a row in the reference's link_train.csv format: Python's str() of
// each value (floats as repr, NaN as nan; w2v as a float32, or 0 when an embedding is
// missing).
func FormatRow(b []byte, r Row, haveVectors bool) []byte {
	b = append(b, r.Page...)
	b = append(b, '\t')
	b = append(b, r.Mention...)
	b = append(b, '\t')
	b = append(b, r.Target...)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(r.NGram), 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, r.Freq, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(r.Ambig), 10)
	b = append(b, '\t')
	b = append(b, datasets.PyFloat(r.Kurtosis, 64)...)
	b = append(b, '\t')
	if haveVectors {
		b = append(b, datasets.PyFloat(float64(r.W2V), 32)...)
	} else {
		b = append(b, '0')
	}
	b = append(b, '\t')
	b = append(b, datasets.PyFloat(r.Jaro, 64)...)
	if r.Label {
		b = append(b, "\tTrue\n"...)
	} else {
		b = append(b, "\tFalse\n"...)
	}
	return b
}
