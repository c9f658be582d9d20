package learn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// DefaultArms are the thresholds the bandit chooses among.
var DefaultArms = []float64{0.5, 0.6, 0.7, 0.8, 0.9}

// The bandit's model of a request served with an arm (a threshold). The arms split
// the scores into bins: bin k holds the suggestions scored in [t_k, t_{k+1}) (the last
// bin [t_K, 1]). A page has N_b ~ Poisson(λ_b) suggestions in bin b, each accepted with
// probability q_b when reviewed, independently. Arm k shows the suggestions of bins k
// and up: N ~ Poisson(λ) with λ = Σ_{b≥k} λ_b, each accepted with probability
// p = Σ_{b≥k} λ_b q_b / λ. The reader reviews min(N, m) of them (m =
// RewardParams.MaxReviewed) and the reader's utility is accepts minus c rejects (c =
// RewardParams.RejectionCost), so arm k's expected utility per request is
//
//	U(λ, p) = E[min(N, m)] · (p − c(1 − p)).
//
// The arms are nested: a page served with arm k shows everything arm k+1 would have
// shown, so one request is evidence about bin k and every bin above it, and a decision
// is evidence about the bin of its suggestion's score. The evidence is kept per bin
// (Arm k's sums are bin k's) with conjugate posteriors, λ_b ~ Gamma(GammaShape +
// shown, GammaRate + requests) and q_b ~ Beta(1 + accepts, 1 + rejects). Thompson
// sampling draws (λ_b, q_b) for every bin and serves the arm of the largest U under
// the draws: it plays each arm with the posterior probability that the arm is the
// best, the rule of Thompson (1933) for a model with several parameters (Russo et al.,
// "A Tutorial on Thompson Sampling", 2018, section 4). Serving the lowest threshold
// thus teaches about every threshold, and no arm has to be played only to be learnt.
const (
	// GammaShape and GammaRate are each bin's λ prior: one suggestion seen over a
	// tenth of a request, so mean 10 suggestions per request and wide (a bin never
	// observed looks promising and is tried), outweighed by the first requests.
	GammaShape = 1.0
	GammaRate  = 0.1
)

// Arm is one threshold and the evidence about its bin (the scores from its threshold
// to the next arm's): Requests counts the requests that could show the bin's
// suggestions (served with this arm or a lower one), Shown the suggestions of the bin
// they showed, Accepts and Rejects the decisions on them; all are discounted when a
// discount is set. Pulls counts the requests served with this arm, without discount.
// Arms are in increasing order of threshold.
type Arm struct {
	Threshold float64 `json:"threshold"`
	Requests  float64 `json:"requests"`
	Shown     float64 `json:"shown"` // suggestions shown
	Accepts   float64 `json:"accepts"`
	Rejects   float64 `json:"rejects"`
	Pulls     int64   `json:"pulls"`
}

// Outcome is what one request served with an arm showed and what its reader did.
type Outcome struct {
	Shown   []float64  // the scores of the suggestions shown
	Decided []Decision // the reader's decisions
}

// Decision is a reader's accept or reject of the suggestion of score Score.
type Decision struct {
	Score    float64 `json:"score"`
	Accepted bool    `json:"accepted"`
}

// Counts returns the outcome's accepts and rejects.
func (o Outcome) Counts() (accepts, rejects int) {
	for _, d := range o.Decided {
		if d.Accepted {
			accepts++
		} else {
			rejects++
		}
	}
	return accepts, rejects
}

// NewArms returns arms at the prior.
func NewArms(thresholds []float64) []Arm {
	arms := make([]Arm, len(thresholds))
	for i, t := range thresholds {
		arms[i] = Arm{Threshold: t}
	}
	return arms
}

// bin returns the arm whose bin holds score, for a request served with arm k: the
// highest arm at or above k whose threshold is at most score (k for a score below
// arm k's threshold, which arm k does not show: the evidence stays in its bin).
func bin(arms []Arm, k int, score float64) int {
	b := k
	for i := k + 1; i < len(arms); i++ {
		if arms[i].Threshold <= score+1e-9 {
			b = i
		}
	}
	return b
}

// Observe adds request outcome o, served with arm k, to the bins of arms k and up. A
// bin's suggestions shown are raised to its decisions when below them (a decision was
// on a suggestion shown, whether or not its impression was reported). With discount in
// (0, 1), every arm's evidence is first multiplied by discount, so that old requests
// weigh less when acceptance drifts (discounted Thompson sampling: Raj and Kalyani,
// "Taming Non-stationary Bandits: A Bayesian Approach", 2017).
func Observe(arms []Arm, k int, o Outcome, discount float64) {
	if discount > 0 && discount < 1 {
		for i := range arms {
			arms[i].Requests *= discount
			arms[i].Shown *= discount
			arms[i].Accepts *= discount
			arms[i].Rejects *= discount
		}
	}
	shown, decided := make([]int, len(arms)), make([]int, len(arms))
	for _, s := range o.Shown {
		shown[bin(arms, k, s)]++
	}
	for _, d := range o.Decided {
		b := bin(arms, k, d.Score)
		decided[b]++
		if d.Accepted {
			arms[b].Accepts++
		} else {
			arms[b].Rejects++
		}
	}
	for i := k; i < len(arms); i++ {
		arms[i].Requests++
		arms[i].Shown += float64(max(shown[i], decided[i]))
	}
	arms[k].Pulls++
}

// check refuses evidence no learner writes (negative, infinite or NaN sums), which
// the posteriors' samplers cannot take.
func (a Arm) check() error {
	for _, x := range []float64{a.Threshold, a.Requests, a.Shown, a.Accepts, a.Rejects} {
		if !(x >= 0) || math.IsInf(x, 1) {
			return fmt.Errorf("arm %g: evidence %g is not a finite non-negative number", a.Threshold, x)
		}
	}
	if a.Pulls < 0 {
		return fmt.Errorf("arm %g: %d pulls", a.Threshold, a.Pulls)
	}
	return nil
}

// ArmIndex returns the index of the arm whose threshold is t (within 1e-9), or -1.
func ArmIndex(arms []Arm, t float64) int {
	for i, a := range arms {
		if math.Abs(a.Threshold-t) < 1e-9 {
			return i
		}
	}
	return -1
}

// utilities calls fn(k, U_k) for each arm from the last to the first, with each bin's
// λ and q from draw.
func utilities(arms []Arm, p RewardParams, draw func(a Arm) (lambda, q float64), fn func(k int, u float64)) {
	var lambda, mu float64
	for k := len(arms) - 1; k >= 0; k-- {
		l, q := draw(arms[k])
		lambda += l
		mu += l * q
		acc := 0.0
		if lambda > 0 {
			acc = mu / lambda
		}
		fn(k, p.ExpectedUtility(lambda, acc))
	}
}

// MeanUtilities returns each arm's expected utility per request at the posterior
// means of its bins' λ and q (what the metrics and reports show; Thompson samples
// them instead).
func MeanUtilities(arms []Arm, p RewardParams) []float64 {
	p.defaults()
	us := make([]float64, len(arms))
	utilities(arms, p, func(a Arm) (float64, float64) {
		return (GammaShape + a.Shown) / (GammaRate + a.Requests), (1 + a.Accepts) / (2 + a.Accepts + a.Rejects)
	}, func(k int, u float64) { us[k] = u })
	return us
}

// Thompson draws every bin's λ and q from its posterior with rng and returns the index
// of the arm of the largest expected utility under the draws (the lowest threshold
// on ties).
func Thompson(arms []Arm, p RewardParams, rng *rand.Rand) int {
	p.defaults()
	best, bestU := 0, math.Inf(-1)
	utilities(arms, p, func(a Arm) (float64, float64) {
		return sampleGamma(rng, GammaShape+a.Shown) / (GammaRate + a.Requests), SampleBeta(rng, 1+a.Accepts, 1+a.Rejects)
	}, func(k int, u float64) {
		if u >= bestU {
			best, bestU = k, u
		}
	})
	return best
}

// SampleBeta draws from Beta(a, b) as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b).
func SampleBeta(rng *rand.Rand, a, b float64) float64 {
	x := sampleGamma(rng, a)
	y := sampleGamma(rng, b)
	if x+y == 0 {
		return 0.5
	}
	return x / (x + y)
}

// sampleGamma draws from Gamma(a, 1) by Marsaglia and Tsang's method (2000); a < 1
// is boosted: Gamma(a) = Gamma(a+1) * U^(1/a).
func sampleGamma(rng *rand.Rand, a float64) float64 {
	if a < 1 {
		u := rng.Float64()
		return sampleGamma(rng, a+1) * math.Pow(u, 1/a)
	}
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		var x, v float64
		for {
			x = rng.NormFloat64()
			v = 1 + c*x
			if v > 0 {
				break
			}
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*x*x*x*x {
			return d * v
		}
		if math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// RewardParams define the reader's utility of one request: accepted links minus
// RejectionCost per rejected one, of at most MaxReviewed suggestions reviewed. Thompson
// sampling compares the arms on its expectation (ExpectedUtility); Reward scales one
// request's utility to [0, 1], from its least possible value (MaxReviewed rejections)
// to its largest (MaxReviewed accepts), for policies defined on such rewards.
type RewardParams struct {
	RejectionCost float64 // default 1
	MaxReviewed   int     // default 3, GrowthExperiments' maximumLinksToShowPerTask
}

func (p *RewardParams) defaults() {
	if p.RejectionCost <= 0 {
		p.RejectionCost = 1
	}
	if p.MaxReviewed <= 0 {
		p.MaxReviewed = 3
	}
}

// Utility returns accepts - RejectionCost*rejects.
func (p RewardParams) Utility(accepts, rejects int) float64 {
	return float64(accepts) - p.RejectionCost*float64(rejects)
}

// ExpectedUtility returns E[min(N, MaxReviewed)]·(p − RejectionCost(1 − p)) for
// N ~ Poisson(lambda): the expected utility of a request whose page shows lambda
// suggestions on average, each accepted with probability p.
func (p RewardParams) ExpectedUtility(lambda, accept float64) float64 {
	return expectedMin(lambda, p.MaxReviewed) * (accept - p.RejectionCost*(1-accept))
}

// expectedMin returns E[min(N, m)] for N ~ Poisson(lambda).
func expectedMin(lambda float64, m int) float64 {
	p := math.Exp(-lambda) // P(N = 0)
	var e, cum float64
	for k := 0; k < m; k++ {
		e += float64(k) * p
		cum += p
		p *= lambda / float64(k+1)
	}
	return e + float64(m)*(1-cum)
}

// Reward maps a request's decisions to [0, 1] (the reward epsilon-greedy and UCB1
// learn in the simulation).
func (p RewardParams) Reward(accepts, rejects int) float64 {
	m := float64(p.MaxReviewed)
	r := (p.Utility(accepts, rejects) + p.RejectionCost*m) / ((1 + p.RejectionCost) * m)
	return math.Min(1, math.Max(0, r))
}
