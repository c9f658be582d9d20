package learn

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

// Curve is a wiki's backtest precision and recall by threshold (the backtest's
// eval CSV: ",threshold,N,micro_precision,micro_recall").
type Curve struct {
	Thresholds, Precision, Recall []float64
}

// ReadCurve reads a backtest eval CSV. A threshold without a precision (no link
// predicted there) is an error: the simulator cannot say how readers would answer.
func ReadCurve(path string) (Curve, error) {
	f, err := os.Open(path)
	if err != nil {
		return Curve{}, err
	}
	defer f.Close()
	return parseCurve(f, path)
}

func parseCurve(r io.Reader, name string) (Curve, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return Curve{}, fmt.Errorf("learn: %s: %w", name, err)
	}
	if len(rows) < 2 {
		return Curve{}, fmt.Errorf("learn: %s: no rows", name)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimSpace(h)] = i
	}
	for _, k := range []string{"threshold", "micro_precision", "micro_recall"} {
		if _, ok := col[k]; !ok {
			return Curve{}, fmt.Errorf("learn: %s: no %s column", name, k)
		}
	}
	if i := col["micro_precision"]; !anyValue(rows[1:], i) {
		return Curve{}, fmt.Errorf("learn: %s: no precision at any threshold: the backtest predicted no link, so there is no curve to simulate", name)
	}
	var c Curve
	for n, row := range rows[1:] {
		get := func(k string) (float64, error) {
			i := col[k]
			if i >= len(row) || strings.TrimSpace(row[i]) == "" {
				return 0, fmt.Errorf("learn: %s: row %d: no %s (no link predicted at this threshold?)", name, n+2, k)
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(row[i]), 64)
			if err != nil || math.IsNaN(v) || v < 0 || v > 1 {
				return 0, fmt.Errorf("learn: %s: row %d: %s %q is not in [0, 1]", name, n+2, k, row[i])
			}
			return v, nil
		}
		t, err := get("threshold")
		if err != nil {
			return Curve{}, err
		}
		p, err := get("micro_precision")
		if err != nil {
			return Curve{}, err
		}
		rc, err := get("micro_recall")
		if err != nil {
			return Curve{}, err
		}
		if len(c.Thresholds) > 0 && t <= c.Thresholds[len(c.Thresholds)-1] {
			return Curve{}, fmt.Errorf("learn: %s: row %d: thresholds must increase", name, n+2)
		}
		if p == 0 || rc == 0 {
			return Curve{}, fmt.Errorf("learn: %s: row %d: precision or recall 0 at threshold %g", name, n+2, t)
		}
		c.Thresholds, c.Precision, c.Recall = append(c.Thresholds, t), append(c.Precision, p), append(c.Recall, rc)
	}
	return c, nil
}

// anyValue reports whether some row has a value in column i.
func anyValue(rows [][]string, i int) bool {
	for _, row := range rows {
		if i < len(row) && strings.TrimSpace(row[i]) != "" {
			return true
		}
	}
	return false
}

// SimOptions configures Simulate.
type SimOptions struct {
	Curve    Curve
	Arms     []float64 // each must be one of the curve's thresholds (default 0.5 .. 0.9)
	Requests int       // per run (default 10,000)
	Seeds    int       // runs per policy (default 20), seeds Seed, Seed+1, ...
	Seed     uint64
	// CandidatesPerPage is the mean number of suggestions a page gets at the curve's
	// lowest threshold (default 4); higher thresholds keep the share the curve says.
	CandidatesPerPage float64
	Reward            RewardParams
	Epsilon           float64 // epsilon-greedy's exploration rate (default 0.1)
	Discount          float64 // Thompson sampling's discount (default 1: none)
	// Spread makes pages and readers differ, against the bandit's model: with s > 0 a
	// page's counts are multiplied by a Gamma factor of mean 1 and standard deviation s
	// (overdispersed counts), and its reader's log-odds of accepting by a normal shift of
	// standard deviation s (decisions on one page correlated). 0: the model exactly.
	Spread float64
}

// ArmTruth is what the simulator knows about an arm.
type ArmTruth struct {
	Threshold float64 `json:"threshold"`
	Precision float64 `json:"precision"`        // P(accept) of a suggestion shown
	Shown     float64 `json:"mean_suggestions"` // suggestions per page (Poisson mean)
	Utility   float64 `json:"utility"`          // expected utility per request
}

// Kinds of policies in a SimReport.
const (
	Learning = "learning" // learns the arms from the requests' outcomes
	Oracle   = "oracle"   // the best fixed arm: knows the simulated wiki's truth, regret 0
	Fixed    = "fixed"    // one threshold for every request, as a service without a bandit
)

// PolicyResult is a policy's cumulative regret over the runs.
type PolicyResult struct {
	Policy   string  `json:"policy"`
	Kind     string  `json:"kind"`        // Learning, Oracle or Fixed`
	Regret   float64 `json:"mean_regret"` // expected-utility regret after Requests, mean over seeds
	StdErr   float64 `json:"stderr"`
	BestPlay float64 `json:"best_arm_share"` // share of requests served with a best arm (ties count)
}

// SimReport is Simulate's result.
type SimReport struct {
	Arms     []ArmTruth     `json:"arms"`
	Best     float64        `json:"best_threshold"`
	Requests int            `json:"requests"`
	Seeds    int            `json:"seeds"`
	Seed     uint64         `json:"seed"` // the first run's
	Results  []PolicyResult `json:"results"`
	// The calibration's prequential losses on the suggestions reviewed in Thompson
	// sampling's first run, against the raw score taken as a probability.
	LogLoss, RawLogLoss, Brier, RawBrier float64
}

// simEnv is the simulated wiki: score bins from the curve, each with its share of
// suggestions and its acceptance.
type simEnv struct {
	lo, hi, weight, accept []float64 // per bin [lo, hi)
	lambda                 []float64 // per bin: mean suggestions of a page
	arms                   []ArmTruth
	armBin                 []int // first bin of each arm
	reward                 RewardParams
	spread                 float64

	// the last request's page, reused
	shown   []float64
	bins    []int
	decided []Decision
}

func newSimEnv(o *SimOptions) (*simEnv, error) {
	c := o.Curve
	n := len(c.Thresholds)
	if n == 0 {
		return nil, errors.New("learn: empty precision curve")
	}
	pred := make([]float64, n) // suggestions above each threshold, in units of the true links
	for i := range pred {
		pred[i] = c.Recall[i] / c.Precision[i]
	}
	env := &simEnv{reward: o.Reward, spread: o.Spread}
	for i := 0; i < n; i++ {
		hi := 1.0
		nextPred, nextTP := 0.0, 0.0
		if i+1 < n {
			hi, nextPred, nextTP = c.Thresholds[i+1], pred[i+1], c.Recall[i+1]
		}
		w := math.Max(0, pred[i]-nextPred)
		tp := math.Min(w, math.Max(0, c.Recall[i]-nextTP))
		q := c.Precision[i]
		if w > 0 {
			q = tp / w
		}
		env.lo, env.hi = append(env.lo, c.Thresholds[i]), append(env.hi, hi)
		env.weight, env.accept = append(env.weight, w), append(env.accept, q)
	}
	var total float64
	for _, w := range env.weight {
		total += w
	}
	for _, w := range env.weight {
		env.lambda = append(env.lambda, o.CandidatesPerPage*w/total)
	}
	for i, t := range o.Arms {
		if i > 0 && t <= o.Arms[i-1] {
			return nil, fmt.Errorf("learn: arms must be given in increasing order (%g after %g)", t, o.Arms[i-1])
		}
		b := -1
		for i, th := range c.Thresholds {
			if math.Abs(th-t) < 1e-9 {
				b = i
			}
		}
		if b < 0 {
			return nil, fmt.Errorf("learn: arm %g is not a threshold of the precision curve", t)
		}
		var w, acc float64
		for i := b; i < n; i++ {
			w += env.weight[i]
			acc += env.weight[i] * env.accept[i]
		}
		if w == 0 {
			return nil, fmt.Errorf("learn: no suggestion at or above threshold %g in the curve", t)
		}
		a := ArmTruth{Threshold: t, Precision: acc / w, Shown: o.CandidatesPerPage * w / total}
		a.Utility = o.Reward.ExpectedUtility(a.Shown, a.Precision)
		env.arms = append(env.arms, a)
		env.armBin = append(env.armBin, b)
	}
	if env.spread > 0 {
		env.estimateTruth()
	}
	return env, nil
}

// truthPages is the number of pages estimateTruth averages over.
const truthPages = 400000

// estimateTruth replaces the arms' closed-form acceptance and utility, which hold for
// the model only, by their means over truthPages simulated pages (the same pages for
// every arm, from a fixed seed): with spread, the utility of a page is not the
// utility of the mean page. Each page counts its expected utility given its counts
// and reader, not a draw of its decisions.
func (env *simEnv) estimateTruth() {
	rng := rand.New(rand.NewPCG(0x7472757468, 1))
	k := len(env.arms)
	util, reviewed, accepted := make([]float64, k), make([]float64, k), make([]float64, k)
	n, sum := make([]int, k), make([]float64, k) // per arm: shown, sum of acceptance
	c, m := env.reward.RejectionCost, env.reward.MaxReviewed
	for range truthPages {
		g, shift := env.pageDraws(rng)
		clear(n)
		clear(sum)
		for b := env.armBin[0]; b < len(env.lambda); b++ {
			cnt := poisson(rng, env.lambda[b]*g)
			q := acceptance(env.accept[b], shift)
			for a := range env.arms {
				if b >= env.armBin[a] {
					n[a] += cnt
					sum[a] += float64(cnt) * q
				}
			}
		}
		for a := range env.arms {
			if n[a] == 0 {
				continue
			}
			r := float64(min(n[a], m))
			mean := sum[a] / float64(n[a]) // a reviewed suggestion's acceptance
			util[a] += r * (mean - c*(1-mean))
			reviewed[a] += r
			accepted[a] += r * mean
		}
	}
	for a := range env.arms {
		env.arms[a].Utility = util[a] / truthPages
		if reviewed[a] > 0 {
			env.arms[a].Precision = accepted[a] / reviewed[a]
		}
	}
}

// pageDraws returns a page's count factor and its reader's log-odds shift (1 and 0
// without spread).
func (env *simEnv) pageDraws(rng *rand.Rand) (float64, float64) {
	if env.spread <= 0 {
		return 1, 0
	}
	shape := 1 / (env.spread * env.spread)
	return sampleGamma(rng, shape) / shape, env.spread * rng.NormFloat64()
}

// acceptance shifts acceptance q by shift on the log-odds scale; 0 and 1 stay.
func acceptance(q, shift float64) float64 {
	if shift == 0 || q <= 0 || q >= 1 {
		return q
	}
	return sigmoid(math.Log(q/(1-q)) + shift)
}

func poisson(rng *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// request simulates one page served with arm k. The page has a Poisson number of
// suggestions in each score bin of the curve at or above the lowest arm's threshold
// (the bin's share of CandidatesPerPage), each scored uniformly within its bin; arm k
// shows those at or above its threshold, so the arms are nested as a threshold's are.
// The reader reviews up to MaxReviewed of the suggestions shown, picked at random,
// and accepts each with its bin's acceptance. observe, when set, gets each reviewed
// suggestion's score and outcome. The outcome's slices are reused by the next request.
func (env *simEnv) request(rng *rand.Rand, k int, observe func(score float64, accepted bool)) Outcome {
	env.shown, env.bins = env.shown[:0], env.bins[:0]
	g, shift := env.pageDraws(rng)
	for b := env.armBin[0]; b < len(env.lambda); b++ {
		for range poisson(rng, env.lambda[b]*g) {
			s := env.lo[b] + rng.Float64()*(env.hi[b]-env.lo[b])
			if b >= env.armBin[k] {
				env.shown, env.bins = append(env.shown, s), append(env.bins, b)
			}
		}
	}
	out := Outcome{Shown: env.shown, Decided: env.decided[:0]}
	n := len(env.shown)
	for j := 0; j < min(n, env.reward.MaxReviewed); j++ {
		// a partial Fisher-Yates shuffle of the page's order picks the reviewed ones
		r := j + rng.IntN(n-j)
		env.shown[j], env.shown[r] = env.shown[r], env.shown[j]
		env.bins[j], env.bins[r] = env.bins[r], env.bins[j]
		ok := rng.Float64() < acceptance(env.accept[env.bins[j]], shift)
		if observe != nil {
			observe(env.shown[j], ok)
		}
		out.Decided = append(out.Decided, Decision{Score: env.shown[j], Accepted: ok})
	}
	env.decided = out.Decided
	return out
}

// policy picks arms and learns from what a request served with arm k showed and what
// its reader did.
type policy interface {
	pick() int
	learn(k int, o Outcome)
}

// thompsonPolicy is Thompson sampling as served (Thompson, Observe).
type thompsonPolicy struct {
	arms     []Arm
	reward   RewardParams
	rng      *rand.Rand
	discount float64
}

func (p *thompsonPolicy) pick() int              { return Thompson(p.arms, p.reward, p.rng) }
func (p *thompsonPolicy) learn(k int, o Outcome) { Observe(p.arms, k, o, p.discount) }

// meanPolicy keeps each arm's mean reward, the request's utility scaled to [0, 1]
// (RewardParams.Reward): the reward in [0, 1] that epsilon-greedy and UCB1 are
// defined on.
type meanPolicy struct {
	reward RewardParams
	n      []float64
	sum    []float64
	t      float64
}

func (p *meanPolicy) learn(k int, o Outcome) {
	p.n[k]++
	p.sum[k] += p.reward.Reward(o.Counts())
	p.t++
}

type epsilonPolicy struct {
	meanPolicy
	eps float64
	rng *rand.Rand
}

func (p *epsilonPolicy) pick() int {
	if p.rng.Float64() < p.eps {
		return p.rng.IntN(len(p.n))
	}
	best, bestV := 0, math.Inf(-1)
	for k := range p.n {
		v := math.Inf(1) // untried arms first
		if p.n[k] > 0 {
			v = p.sum[k] / p.n[k]
		}
		if v > bestV {
			best, bestV = k, v
		}
	}
	return best
}

type ucbPolicy struct{ meanPolicy }

func (p *ucbPolicy) pick() int {
	best, bestV := 0, math.Inf(-1)
	for k := range p.n {
		if p.n[k] == 0 {
			return k
		}
		v := p.sum[k]/p.n[k] + math.Sqrt(2*math.Log(p.t)/p.n[k])
		if v > bestV {
			best, bestV = k, v
		}
	}
	return best
}

type fixedPolicy int

func (p fixedPolicy) pick() int        { return int(p) }
func (fixedPolicy) learn(int, Outcome) {}

// Simulate runs each policy (Thompson sampling, epsilon-greedy, UCB1, the best fixed
// arm, which is an oracle, and each fixed arm) for Requests requests on Seeds seeds
// and returns their mean cumulative regret against the arm of largest expected
// utility (the oracle's).
func Simulate(o SimOptions) (*SimReport, error) {
	if len(o.Arms) == 0 {
		o.Arms = DefaultArms
	}
	if o.Requests <= 0 {
		o.Requests = 10000
	}
	if o.Seeds <= 0 {
		o.Seeds = 20
	}
	if o.CandidatesPerPage <= 0 {
		o.CandidatesPerPage = 4
	}
	if o.Epsilon <= 0 {
		o.Epsilon = 0.1
	}
	if o.Discount == 0 {
		o.Discount = 1
	}
	if o.Spread < 0 || math.IsNaN(o.Spread) {
		return nil, fmt.Errorf("learn: spread %g is negative", o.Spread)
	}
	o.Reward.defaults()
	env, err := newSimEnv(&o)
	if err != nil {
		return nil, err
	}
	best := 0
	for k, a := range env.arms {
		if a.Utility > env.arms[best].Utility {
			best = k
		}
	}
	rep := &SimReport{Arms: env.arms, Best: env.arms[best].Threshold, Requests: o.Requests, Seeds: o.Seeds, Seed: o.Seed}
	type named struct {
		name, kind string
		make       func(seed uint64) policy
	}
	policies := []named{
		{"thompson", Learning, func(s uint64) policy {
			return &thompsonPolicy{arms: NewArms(o.Arms), reward: o.Reward, rng: rand.New(rand.NewPCG(s, 1)), discount: o.Discount}
		}},
		{fmt.Sprintf("epsilon-greedy (%g)", o.Epsilon), Learning, func(s uint64) policy {
			return &epsilonPolicy{meanPolicy: newMean(len(o.Arms), o.Reward), eps: o.Epsilon, rng: rand.New(rand.NewPCG(s, 1))}
		}},
		{"ucb1", Learning, func(uint64) policy { return &ucbPolicy{newMean(len(o.Arms), o.Reward)} }},
		{fmt.Sprintf("best fixed arm (%g)", env.arms[best].Threshold), Oracle, func(uint64) policy { return fixedPolicy(best) }},
	}
	// Every arm fixed, the best included: a fixed threshold chosen without the oracle's
	// knowledge (the service's default 0.5, GrowthExperiments' 0.6) is one of them.
	for k, t := range o.Arms {
		policies = append(policies, named{fmt.Sprintf("fixed %g", t), Fixed, func(uint64) policy { return fixedPolicy(k) }})
	}
	var cal Calibration
	cal.A = 1
	var preq Prequential
	for pi, p := range policies {
		var regrets []float64
		var bestPlays float64
		for s := 0; s < o.Seeds; s++ {
			seed := o.Seed + uint64(s)
			pol := p.make(seed)
			rng := rand.New(rand.NewPCG(seed, 2))
			var observe func(float64, bool)
			if pi == 0 && s == 0 {
				observe = func(score float64, y bool) {
					preq.add(cal.Predict(score), score, y)
					cal.Learn(score, y, 0.05)
				}
			}
			var regret float64
			for i := 0; i < o.Requests; i++ {
				k := pol.pick()
				pol.learn(k, env.request(rng, k, observe))
				regret += env.arms[best].Utility - env.arms[k].Utility
				if env.arms[k].Utility >= env.arms[best].Utility {
					bestPlays++
				}
			}
			regrets = append(regrets, regret)
		}
		mean, se := meanSE(regrets)
		rep.Results = append(rep.Results, PolicyResult{Policy: p.name, Kind: p.kind, Regret: mean, StdErr: se,
			BestPlay: bestPlays / float64(o.Seeds*o.Requests)})
	}
	if n := float64(preq.N); n > 0 {
		rep.LogLoss, rep.RawLogLoss, rep.Brier, rep.RawBrier = preq.LogLoss/n, preq.RawLogLoss/n, preq.Brier/n, preq.RawBrier/n
	}
	return rep, nil
}

func newMean(k int, r RewardParams) meanPolicy {
	return meanPolicy{reward: r, n: make([]float64, k), sum: make([]float64, k)}
}

func meanSE(xs []float64) (float64, float64) {
	var m float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	if len(xs) < 2 {
		return m, 0
	}
	var v float64
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	v /= float64(len(xs) - 1)
	return m, math.Sqrt(v / float64(len(xs)))
}

// BestLearning returns the learning policy of the least regret (the first on ties),
// false when the report has none.
func (r *SimReport) BestLearning() (PolicyResult, bool) {
	var best PolicyResult
	found := false
	for _, p := range r.Results {
		if p.Kind == Learning && (!found || p.Regret < best.Regret) {
			best, found = p, true
		}
	}
	return best, found
}

// Markdown renders the report as the README's table.
func (r *SimReport) Markdown(wiki string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d requests, mean over %d seeds; best arm %g\n\n", wiki, r.Requests, r.Seeds, r.Best)
	b.WriteString("| threshold | acceptance | suggestions/page | utility/request |\n|---|---|---|---|\n")
	for _, a := range r.Arms {
		fmt.Fprintf(&b, "| %g | %.3f | %.2f | %.4f |\n", a.Threshold, a.Precision, a.Shown, a.Utility)
	}
	best, ok := r.BestLearning()
	b.WriteString("\nRegret is against the best fixed arm, an oracle that knows every arm's expected utility (its own regret is 0 by definition).\n\n")
	b.WriteString("| policy | kind | cumulative regret | ± s.e. | ÷ best learning policy's | best arm played |\n|---|---|---|---|---|---|\n")
	for _, p := range r.Results {
		ratio := "-"
		if ok && best.Regret > 0 {
			ratio = fmt.Sprintf("%.2f", p.Regret/best.Regret)
		}
		fmt.Fprintf(&b, "| %s | %s | %.1f | %.1f | %s | %.1f%% |\n", p.Policy, p.Kind, p.Regret, p.StdErr, ratio, 100*p.BestPlay)
	}
	fmt.Fprintf(&b, "\ncalibration (Thompson run, seed %d): prequential log loss %.4f (raw score %.4f), Brier %.4f (raw %.4f)\n",
		r.Seed, r.LogLoss, r.RawLogLoss, r.Brier, r.RawBrier)
	return b.String()
}
