package learn

import (
	"math"
	"math/rand/v2"
)

// DefaultArms are the thresholds the bandit chooses among.
var DefaultArms = []float64{0.5, 0.6, 0.7, 0.8, 0.9}

// Arm is one threshold's evidence: from the prior Beta(1, 1), each reward r in [0, 1]
// adds r to Alpha and 1-r to Beta (a fractional success), and r*r to SumSq.
type Arm struct {
	Threshold float64 `json:"threshold"`
	Alpha     float64 `json:"alpha"`
	Beta      float64 `json:"beta"`
	SumSq     float64 `json:"sum_sq"`
	Pulls     int64   `json:"pulls"` // rewards learned
}

// NewArms returns arms at the prior.
func NewArms(thresholds []float64) []Arm {
	arms := make([]Arm, len(thresholds))
	for i, t := range thresholds {
		arms[i] = Arm{Threshold: t, Alpha: 1, Beta: 1}
	}
	return arms
}

// Reward updates arm k with a reward in [0, 1] (a fractional success: alpha += r,
// beta += 1 - r). With discount < 1, every arm's evidence is first shrunk towards the
// prior by that factor, so that old rewards weigh less when acceptance drifts.
func Reward(arms []Arm, k int, r, discount float64) {
	if discount > 0 && discount < 1 {
		for i := range arms {
			arms[i].Alpha = 1 + discount*(arms[i].Alpha-1)
			arms[i].Beta = 1 + discount*(arms[i].Beta-1)
			arms[i].SumSq *= discount
		}
	}
	arms[k].Alpha += r
	arms[k].Beta += 1 - r
	arms[k].SumSq += r * r
	arms[k].Pulls++
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

// EvidenceScale returns how many Bernoulli trials one reward is worth: a reward in
// [0, 1] with mean m and variance v carries as much information about m as
// m(1-m)/v coin flips (moment matching). Counting each reward as one flip, as a
// Bernoulli posterior would, keeps the posteriors too wide when rewards vary less
// than coin flips do, and Thompson sampling then explores more than it needs. The
// mean and variance are pooled over the arms; with fewer than 20 rewards the scale is
// 1, and it lies in [1, 1000].
func EvidenceScale(arms []Arm) float64 {
	var n, s, q float64
	for _, a := range arms {
		n += a.Alpha + a.Beta - 2
		s += a.Alpha - 1
		q += a.SumSq
	}
	if n < 20 {
		return 1
	}
	m := s / n
	v := q/n - m*m
	if v <= m*(1-m)/1000 {
		return 1000
	}
	return math.Max(1, math.Min(1000, m*(1-m)/v))
}

// Thompson samples each arm's posterior, Beta(1 + c*(Alpha-1), 1 + c*(Beta-1)) with
// c = EvidenceScale(arms), with rng and returns the index of the largest draw (the
// first on ties).
func Thompson(arms []Arm, rng *rand.Rand) int {
	c := EvidenceScale(arms)
	best, bestX := 0, -1.0
	for i, a := range arms {
		x := SampleBeta(rng, 1+c*(a.Alpha-1), 1+c*(a.Beta-1))
		if x > bestX {
			best, bestX = i, x
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

// RewardParams turn what a reader did with one request's suggestions into a reward in
// [0, 1]: the reader's utility, accepted links minus RejectionCost per rejected one,
// counted over at most MaxReviewed decisions, scaled from its least possible value
// (MaxReviewed rejections) to its largest (MaxReviewed accepts).
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

// Reward maps a request's decisions to [0, 1].
func (p RewardParams) Reward(accepts, rejects int) float64 {
	m := float64(p.MaxReviewed)
	r := (p.Utility(accepts, rejects) + p.RejectionCost*m) / ((1 + p.RejectionCost) * m)
	return math.Min(1, math.Max(0, r))
}
