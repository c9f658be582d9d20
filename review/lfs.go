package review

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/addlink/addlink/internal/wikitext"
)

// Vote is a labelling function's output, as Snorkel codes it: Abstain (-1), VoteReject
// (0) or VoteAccept (1).
type Vote int8

// The votes.
const (
	Abstain    Vote = -1
	VoteReject Vote = 0
	VoteAccept Vote = 1
)

// LF is a labelling function: a cheap rule that votes on an item or abstains.
type LF struct {
	Name string
	Doc  string
	Fn   func(*Item) Vote
}

// The bounds the labelling functions use.
const (
	LowLinkProb    = 0.05 // below: the anchor is rarely a link
	HighLinkProb   = 0.4  // at or above: the anchor is usually a link
	RareSenseShare = 0.2  // the target gets less than this share of the anchor's links
	HighScore      = 0.8
	LowScore       = 0.35
)

// LabellingFunctions returns the labelling functions, in a fixed order.
func LabellingFunctions() []LF {
	return []LF{
		{"number_or_date", "rejects a mention that is a number, a year or a date (mostly digits)", lfNumber},
		{"low_link_prob", fmt.Sprintf("rejects when the anchor's link probability is below %g: the text is rarely linked in the wiki", LowLinkProb), lfLowLinkProb},
		{"high_link_prob", fmt.Sprintf("accepts when the anchor's link probability is %g or more: editors usually link this text", HighLinkProb), lfHighLinkProb},
		{"exact_title_unambiguous", "accepts when the mention is the target's title (case aside) and the anchor links to no other page", lfExactTitle},
		{"rare_sense", fmt.Sprintf("rejects when the target gets less than %g of the anchor's links: the text usually means something else", RareSenseShare), lfRareSense},
		{"short_mention", "rejects a mention of one or two letters (abbreviations, initials)", lfShort},
		{"in_quotation", "rejects a mention inside quotation marks: quotations are not linked inside", lfQuote},
		{"high_score", fmt.Sprintf("accepts when the model's score is %g or more", HighScore), lfHighScore},
		{"low_score", fmt.Sprintf("rejects when the model's score is below %g", LowScore), lfLowScore},
	}
}

func lfNumber(it *Item) Vote {
	digits, letters := 0, 0
	for _, r := range it.Mention {
		switch {
		case unicode.IsDigit(r):
			digits++
		case unicode.IsLetter(r):
			letters++
		}
	}
	if digits > 0 && digits >= letters {
		return VoteReject
	}
	return Abstain
}

func lfLowLinkProb(it *Item) Vote {
	if !math.IsNaN(it.LinkProb) && it.LinkProb < LowLinkProb {
		return VoteReject
	}
	return Abstain
}

func lfHighLinkProb(it *Item) Vote {
	if !math.IsNaN(it.LinkProb) && it.LinkProb >= HighLinkProb {
		return VoteAccept
	}
	return Abstain
}

func lfExactTitle(it *Item) Vote {
	if it.Candidates == 1 && strings.EqualFold(strings.TrimSpace(it.Mention), wikitext.NormalizeTitle(it.Target)) {
		return VoteAccept
	}
	return Abstain
}

func lfRareSense(it *Item) Vote {
	if it.MentionLinks > 0 && float64(it.TargetLinks) < RareSenseShare*float64(it.MentionLinks) {
		return VoteReject
	}
	return Abstain
}

func lfShort(it *Item) Vote {
	if n := utf8.RuneCountInString(strings.TrimSpace(it.Mention)); n > 0 && n <= 2 {
		return VoteReject
	}
	return Abstain
}

func lfQuote(it *Item) Vote {
	if it.InQuote {
		return VoteReject
	}
	return Abstain
}

func lfHighScore(it *Item) Vote {
	if it.Score >= HighScore {
		return VoteAccept
	}
	return Abstain
}

func lfLowScore(it *Item) Vote {
	if it.Score < LowScore {
		return VoteReject
	}
	return Abstain
}

// Apply returns the label matrix: L[i][j] is function j's vote on item i.
func Apply(lfs []LF, items []Item) [][]Vote {
	L := make([][]Vote, len(items))
	for i := range items {
		L[i] = make([]Vote, len(lfs))
		for j, lf := range lfs {
			L[i][j] = lf.Fn(&items[i])
		}
	}
	return L
}

// LFStats is one labelling function's summary, with Snorkel's definitions
// (LFAnalysis.lf_summary): Polarity is the set of labels it emitted; Coverage the
// share of items it labels; Overlaps the share it labels along with at least one other
// function; Conflicts the share where another function gives a different label.
// Correct and Incorrect count its votes on golden items, EmpAcc is
// Correct/(Correct+Incorrect) (NaN without any). Weight is the label model's
// estimated accuracy of it.
type LFStats struct {
	Name      string  `json:"name"`
	Polarity  []Vote  `json:"polarity"`
	Coverage  float64 `json:"coverage"`
	Overlaps  float64 `json:"overlaps"`
	Conflicts float64 `json:"conflicts"`
	Correct   int     `json:"correct"`
	Incorrect int     `json:"incorrect"`
	EmpAcc    float64 `json:"emp_acc"`
	Weight    float64 `json:"learned_acc"`
}

// Summary computes each function's statistics over L; gold maps item rows to their
// golden label (true accept), for the rows that have one.
func Summary(lfs []LF, L [][]Vote, gold map[int]bool) []LFStats {
	n := len(L)
	out := make([]LFStats, len(lfs))
	for j, lf := range lfs {
		s := LFStats{Name: lf.Name, Polarity: []Vote{}, EmpAcc: math.NaN(), Weight: math.NaN()}
		seen := map[Vote]bool{}
		var cov, ovl, cfl int
		for i := range L {
			v := L[i][j]
			if v == Abstain {
				continue
			}
			seen[v] = true
			cov++
			other, conflict := false, false
			for k, w := range L[i] {
				if k == j || w == Abstain {
					continue
				}
				other = true
				if w != v {
					conflict = true
				}
			}
			if other {
				ovl++
			}
			if conflict {
				cfl++
			}
			if g, ok := gold[i]; ok {
				if (v == VoteAccept) == g {
					s.Correct++
				} else {
					s.Incorrect++
				}
			}
		}
		for v := range seen {
			s.Polarity = append(s.Polarity, v)
		}
		sort.Slice(s.Polarity, func(a, b int) bool { return s.Polarity[a] < s.Polarity[b] })
		if n > 0 {
			s.Coverage, s.Overlaps, s.Conflicts = float64(cov)/float64(n), float64(ovl)/float64(n), float64(cfl)/float64(n)
		}
		if s.Correct+s.Incorrect > 0 {
			s.EmpAcc = float64(s.Correct) / float64(s.Correct+s.Incorrect)
		}
		out[j] = s
	}
	return out
}

// DatasetStats are Snorkel's label_coverage, label_overlap and label_conflict: the
// shares of items with at least one vote, at least two votes, and two different votes.
func DatasetStats(L [][]Vote) (coverage, overlap, conflict float64) {
	if len(L) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	var c, o, f int
	for _, row := range L {
		votes, acc, rej := 0, false, false
		for _, v := range row {
			switch v {
			case VoteAccept:
				votes++
				acc = true
			case VoteReject:
				votes++
				rej = true
			}
		}
		if votes >= 1 {
			c++
		}
		if votes >= 2 {
			o++
		}
		if acc && rej {
			f++
		}
	}
	n := float64(len(L))
	return float64(c) / n, float64(o) / n, float64(f) / n
}

// countVotes counts a row's accept and reject votes (abstentions are not counted).
func countVotes(row []Vote) (accepts, rejects int) {
	for _, v := range row {
		switch v {
		case VoteAccept:
			accepts++
		case VoteReject:
			rejects++
		}
	}
	return accepts, rejects
}

// MajorityVote labels each item with the label most of its votes give; a tie (or no
// vote) abstains.
func MajorityVote(L [][]Vote) []Vote {
	out := make([]Vote, len(L))
	for i, row := range L {
		a, r := countVotes(row)
		switch {
		case a > r:
			out[i] = VoteAccept
		case r > a:
			out[i] = VoteReject
		default:
			out[i] = Abstain
		}
	}
	return out
}

// LabelModel combines labelling functions by what each one's votes say about the
// true label: for every function j and true label y it holds the probabilities of the
// function's three outputs (abstain, reject, accept), Theta[j][y], as in Dawid and
// Skene's model of conditionally independent annotators (Snorkel's LabelModel models
// P(LF | Y) the same way). A vote weighs log(Theta[j][1][v] / Theta[j][0][v]): a
// function that is usually right weighs much, one that is often wrong little or
// against its vote, and an abstention weighs too when a function abstains more on
// one label than on the other. It is fitted without gold labels by
// expectation-maximisation from the majority vote. Prior, the share of accepts,
// stays at 0.5 as Snorkel keeps a uniform class balance unless given one.
type LabelModel struct {
	Theta [][2][3]float64
	Prior float64
	// Acc is each function's estimated accuracy: the model's probability that a
	// vote of the function is the true label (NaN when it never votes).
	Acc  []float64
	Iter int // iterations run
}

// The most iterations of the label model's fit.
const labelModelIters = 500

// FitLabelModel fits a LabelModel to L (m functions). It needs at least three
// functions (with two, nothing tells which of them is wrong when they disagree).
func FitLabelModel(L [][]Vote, m int) (*LabelModel, error) {
	if m < 3 {
		return nil, fmt.Errorf("review: the label model needs at least 3 labelling functions, got %d", m)
	}
	lm := &LabelModel{Theta: make([][2][3]float64, m), Prior: 0.5, Acc: make([]float64, m)}
	// Start from the majority vote's soft labels.
	p := make([]float64, len(L))
	for i, row := range L {
		a, r := countVotes(row)
		p[i] = (float64(a) + 0.5) / float64(a+r+1)
	}
	for it := 0; it < labelModelIters; it++ {
		lm.Iter = it + 1
		// M step: each function's output counts under each label, with one
		// pseudo-count per output.
		for j := 0; j < m; j++ {
			var n [2][3]float64
			for y := range n {
				for v := range n[y] {
					n[y][v] = 1
				}
			}
			for i, row := range L {
				v := int(row[j]) + 1
				n[1][v] += p[i]
				n[0][v] += 1 - p[i]
			}
			for y := range n {
				t := n[y][0] + n[y][1] + n[y][2]
				for v := range n[y] {
					lm.Theta[j][y][v] = n[y][v] / t
				}
			}
		}
		// E step.
		maxDelta := 0.0
		for i, row := range L {
			q := lm.prob(row)
			maxDelta = math.Max(maxDelta, math.Abs(q-p[i]))
			p[i] = q
		}
		if maxDelta < 1e-9 {
			break
		}
	}
	for j := 0; j < m; j++ {
		t1, t0 := lm.Theta[j][1], lm.Theta[j][0]
		right := lm.Prior*t1[2] + (1-lm.Prior)*t0[1]
		votes := lm.Prior*(t1[1]+t1[2]) + (1-lm.Prior)*(t0[1]+t0[2])
		lm.Acc[j] = right / votes
		if !hasVoteIn(L, j) {
			lm.Acc[j] = math.NaN()
		}
	}
	return lm, nil
}

func hasVoteIn(L [][]Vote, j int) bool {
	for _, row := range L {
		if row[j] != Abstain {
			return true
		}
	}
	return false
}

func hasVote(row []Vote) bool {
	for _, v := range row {
		if v != Abstain {
			return true
		}
	}
	return false
}

// prob is the probability that an item with these votes is an accept.
func (lm *LabelModel) prob(row []Vote) float64 {
	lo := math.Log(lm.Prior / (1 - lm.Prior))
	for j, v := range row {
		lo += math.Log(lm.Theta[j][1][int(v)+1] / lm.Theta[j][0][int(v)+1])
	}
	return 1 / (1 + math.Exp(-lo))
}

// Predict labels each item by its probability of being an accept (0.5 is the
// boundary); an item without any vote abstains, as under majority vote.
func (lm *LabelModel) Predict(L [][]Vote) ([]Vote, []float64) {
	out := make([]Vote, len(L))
	probs := make([]float64, len(L))
	for i, row := range L {
		probs[i] = lm.prob(row)
		switch {
		case !hasVote(row):
			out[i] = Abstain
		case probs[i] > 0.5:
			out[i] = VoteAccept
		case probs[i] < 0.5:
			out[i] = VoteReject
		default:
			out[i] = Abstain
		}
	}
	return out, probs
}

// CombinerScore measures weak labels on the golden items: Labelled of Golden items
// get a label, Correct of them the golden one. Accuracy is Correct/Labelled;
// Overall is Correct/Golden (an abstention counts as a miss, so that a combiner cannot
// look better by abstaining).
type CombinerScore struct {
	Name     string  `json:"name"`
	Golden   int     `json:"golden"`
	Labelled int     `json:"labelled"`
	Correct  int     `json:"correct"`
	Accuracy float64 `json:"accuracy"`
	Overall  float64 `json:"overall"`
}

// Score compares weak labels with the golden ones.
func Score(name string, pred []Vote, gold map[int]bool) CombinerScore {
	s := CombinerScore{Name: name, Golden: len(gold), Accuracy: math.NaN(), Overall: math.NaN()}
	for i, g := range gold {
		if pred[i] == Abstain {
			continue
		}
		s.Labelled++
		if (pred[i] == VoteAccept) == g {
			s.Correct++
		}
	}
	if s.Labelled > 0 {
		s.Accuracy = float64(s.Correct) / float64(s.Labelled)
	}
	if s.Golden > 0 {
		s.Overall = float64(s.Correct) / float64(s.Golden)
	}
	return s
}
