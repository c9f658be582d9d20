package learn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// DefaultArms are the thresholds the bandit chooses among.
var DefaultArms = []float64{0.5, 0.6, 0.7, 0.8, 0.9}

// The bandit's model of a request served with an arm (a threshold): the service shows
// N suggestions, N ~ Poisson(λ) (a count of the page's candidates above the
// threshold); the reader reviews min(N, m) of them (m = RewardParams.MaxReviewed) and
// accepts each with probability p, independently. The reader's utility is accepts
// minus c rejects (c = RewardParams.RejectionCost), so an arm's expected utility per
// request is
//
//	U(λ, p) = E[min(N, m)] · (p − c(1 − p)).
//
// Both parameters have conjugate posteriors: λ ~ Gamma(GammaShape + shown,
// GammaRate + requests) and p ~ Beta(1 + accepts, 1 + rejects). Thompson sampling
// draws (λ, p) from each arm's posterior and serves the arm of the largest U: it plays
// each arm with the posterior probability that the arm is the best, the rule of
// Thompson (1933) for a model with more than one parameter (Russo et al., "A Tutorial
// on Thompson Sampling", 2018, section 4). Each accept or reject is one Bernoulli
// observation of p and each request one Poisson observation of λ, so the posteriors
// narrow as fast as the evidence allows: a request is not squeezed into one reward in
// [0, 1] counted as a single coin flip.
const (
	// GammaShape and GammaRate are λ's prior: one suggestion seen over a tenth of a
	// request, so mean 10 suggestions per request and wide (an arm never served is
	// tried: its draws are optimistic), outweighed by the first requests served.
	GammaShape = 1.0
	GammaRate  = 0.1
)

// Arm is one threshold's evidence. Requests, Shown, Accepts and Rejects are sums over
// the requests rewarded (discounted when a discount is set); Pulls counts those
// requests without discount.
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
	Shown, Accepts, Rejects int
}

// NewArms returns arms at the prior.
func NewArms(thresholds []float64) []Arm {
	arms := make([]Arm, len(thresholds))
	for i, t := range thresholds {
		arms[i] = Arm{Threshold: t}
	}
	return arms
}

// Observe adds request outcome o to arm k. Shown is raised to the decisions when it is
// below them (a decision was on a suggestion shown, whether or not its impression was
// reported). With discount in (0, 1), every arm's evidence is first multiplied by
// discount, so that old requests weigh less when acceptance drifts (discounted Thompson
// sampling: Raj and Kalyani, "Taming Non-stationary Bandits: A Bayesian Approach", 2017).
func Observe(arms []Arm, k int, o Outcome, discount float64) {
	if discount > 0 && discount < 1 {
		for i := range arms {
			arms[i].Requests *= discount
			arms[i].Shown *= discount
			arms[i].Accepts *= discount
			arms[i].Rejects *= discount
		}
	}
	a := &arms[k]
	a.Requests++
	a.Shown += float64(max(o.Shown, o.Accepts+o.Rejects))
	a.Accepts += float64(o.Accepts)
	a.Rejects += float64(o.Rejects)
	a.Pulls++
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

// MeanUtility returns the arm's expected utility per request at the posterior means of
// λ and p (what the metrics and reports show; Thompson samples them instead).
func (a Arm) MeanUtility(p RewardParams) float64 {
	p.defaults()
	lambda := (GammaShape + a.Shown) / (GammaRate + a.Requests)
	acc := (1 + a.Accepts) / (2 + a.Accepts + a.Rejects)
	return p.ExpectedUtility(lambda, acc)
}

// Thompson draws λ and p from each arm's posterior with rng and returns the index of
// the arm of the largest expected utility under the draws (the first on ties).
func Thompson(arms []Arm, p RewardParams, rng *rand.Rand) int {
	p.defaults()
	best, bestU := 0, math.Inf(-1)
	for i, a := range arms {
		lambda := sampleGamma(rng, GammaShape+a.Shown) / (GammaRate + a.Requests)
		acc := SampleBeta(rng, 1+a.Accepts, 1+a.Rejects)
		if u := p.ExpectedUtility(lambda, acc); u > bestU {
			best, bestU = i, u
		}
	}
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
