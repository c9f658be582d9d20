package learn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

// simulatedWikis are the fixture wikis' backtest curves: the reference pipeline's,
// except jawiki's, where the reference predicted no link at any threshold; its curve is
// our pipeline's backtest of the same fixture dump (testdata/jawiki.backtest.eval.csv,
// kept equal to it by cmd/addlink's TestJawikiBacktestCurve).
func simulatedCurve(t *testing.T, wiki string) Curve {
	t.Helper()
	path := filepath.Join("testdata", "jawiki.backtest.eval.csv")
	if wiki != "jawiki" {
		path = testfixtures.Path(t, "reference/"+wiki+"/backtest.eval.csv")
	}
	curve, err := ReadCurve(path)
	if err != nil {
		t.Fatal(err)
	}
	return curve
}

// On each fixture wiki, Thompson sampling's regret over 10,000 requests (mean over 20
// seeds) is at most epsilon-greedy's and UCB1's, and within 1.2x of the best of the
// policies that do not know the wiki's truth: the learning ones and every fixed
// threshold other than the oracle's arm (the oracle, and fixed thresholds whose
// expected utility equals it, have regret 0 by definition); the calibration beats the
// raw score.
func TestSimulateThompsonRegret(t *testing.T) {
	for _, wiki := range []string{"elwikivoyage", "jawiki", "ukwiki", "viwiki"} {
		t.Run(wiki, func(t *testing.T) {
			rep, err := Simulate(SimOptions{Curve: simulatedCurve(t, wiki), Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			regret := map[string]float64{}
			for _, r := range rep.Results {
				if r.Kind == Learning {
					regret[strings.Fields(r.Policy)[0]] = r.Regret
				}
			}
			ts, eg, ucb := regret["thompson"], regret["epsilon-greedy"], regret["ucb1"]
			best, ok := rep.BestLearning()
			t.Logf("regret: thompson %.1f, epsilon-greedy %.1f, ucb1 %.1f (best arm %g; best learning policy %s)", ts, eg, ucb, rep.Best, best.Policy)
			if len(regret) != 3 || !ok || ts <= 0 || eg <= 0 || ucb <= 0 {
				t.Fatalf("a learning policy missing or without regret: %v", regret)
			}
			if ts > eg || ts > ucb {
				t.Errorf("Thompson sampling's regret %.1f above epsilon-greedy's %.1f or UCB1's %.1f", ts, eg, ucb)
			}
			if ts > 1.2*best.Regret {
				t.Errorf("Thompson sampling's regret %.1f above 1.2x the best learning policy's %.1f", ts, best.Regret)
			}
			fixed := 0
			for _, r := range rep.Results {
				if r.Kind == Fixed && r.Regret > 0 {
					fixed++
					if ts > 1.2*r.Regret {
						t.Errorf("Thompson sampling's regret %.1f above 1.2x that of %s, %.1f", ts, r.Policy, r.Regret)
					}
				}
			}
			if fixed == 0 {
				t.Error("no fixed threshold other than the oracle's to compare with")
			}
			if !(rep.LogLoss < rep.RawLogLoss) {
				t.Errorf("calibrated log loss %.4f not below the raw score's %.4f", rep.LogLoss, rep.RawLogLoss)
			}
		})
	}
}

func TestSimulateDeterministic(t *testing.T) {
	curve, err := parseCurve(strings.NewReader(",threshold,N,micro_precision,micro_recall\n"+
		"0,0.0,10,0.6,0.6\n1,0.5,10,0.7,0.5\n2,0.6,10,0.75,0.4\n3,0.7,10,0.8,0.3\n4,0.8,10,0.85,0.2\n5,0.9,10,0.9,0.1\n"), "t")
	if err != nil {
		t.Fatal(err)
	}
	o := SimOptions{Curve: curve, Requests: 2000, Seeds: 3, Seed: 5}
	a, err := Simulate(o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Simulate(o)
	if !reflect.DeepEqual(a, b) || a.Markdown("w") != b.Markdown("w") {
		t.Error("two simulations with the same seed differ")
	}
	o.Seed++
	if c, _ := Simulate(o); reflect.DeepEqual(a.Results, c.Results) {
		t.Error("two simulations with different seeds agree: the seed is not used")
	}
	// The oracle and every fixed arm are there, the oracle's regret 0 and the fixed
	// arm equal to it with the same regret.
	kinds := map[string]int{}
	for _, r := range a.Results {
		kinds[r.Kind]++
		if r.Kind == Oracle && r.Regret != 0 {
			t.Errorf("oracle %s: regret %g", r.Policy, r.Regret)
		}
		if r.Policy == fmt.Sprintf("fixed %g", a.Best) && r.Regret != 0 {
			t.Errorf("%s is the best arm but has regret %g", r.Policy, r.Regret)
		}
	}
	if kinds[Learning] != 3 || kinds[Oracle] != 1 || kinds[Fixed] != len(DefaultArms) {
		t.Errorf("policies by kind %v", kinds)
	}
	// The arms' truth follows the curve: acceptance is the precision at the threshold.
	for _, arm := range a.Arms {
		want := map[float64]float64{0.5: 0.7, 0.6: 0.75, 0.7: 0.8, 0.8: 0.85, 0.9: 0.9}[arm.Threshold]
		if math.Abs(arm.Precision-want) > 1e-9 {
			t.Errorf("arm %g: acceptance %g, want the curve's precision %g", arm.Threshold, arm.Precision, want)
		}
	}
}

func TestReadCurveErrors(t *testing.T) {
	for _, tc := range []struct{ name, csv, want string }{
		{"no precision anywhere", ",threshold,N,micro_precision,micro_recall\n0,0.0,5,,0.0\n1,0.5,5,,0.0\n", "no precision at any threshold"},
		{"no precision at one threshold", ",threshold,N,micro_precision,micro_recall\n0,0.0,5,0.5,0.5\n1,0.5,5,,0.0\n", "row 3: no micro_precision"},
		{"missing column", ",threshold,N,micro_recall\n0,0.0,5,0.1\n", "no micro_precision column"},
		{"decreasing", ",threshold,N,micro_precision,micro_recall\n0,0.5,5,0.5,0.5\n1,0.4,5,0.5,0.5\n", "increase"},
		{"out of range", ",threshold,N,micro_precision,micro_recall\n0,0.5,5,1.5,0.5\n", "not in [0, 1]"},
		{"empty", "", "no rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseCurve(strings.NewReader(tc.csv), "x.csv")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	// The reference's jawiki backtest predicted no link at all: no curve to simulate.
	if _, err := ReadCurve(testfixtures.Path(t, "reference/jawiki/backtest.eval.csv")); err == nil || !strings.Contains(err.Error(), "no precision at any threshold") {
		t.Errorf("the reference's jawiki curve: error %v, want no precision at any threshold", err)
	}
}

func FuzzParseCurve(f *testing.F) {
	f.Add(",threshold,N,micro_precision,micro_recall\n0,0.0,10,0.6,0.6\n1,0.5,10,0.7,0.5\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseCurve(strings.NewReader(s), "f")
		if err != nil {
			return
		}
		rep, err := Simulate(SimOptions{Curve: c, Arms: c.Thresholds, Requests: 50, Seeds: 1})
		if err != nil {
			return
		}
		for _, r := range rep.Results {
			if math.IsNaN(r.Regret) || r.Regret < -1e-9 {
				t.Fatalf("regret %g", r.Regret)
			}
		}
	})
}

// Beta draws have the distribution's mean.
func TestSampleBeta(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, ab := range [][2]float64{{1, 1}, {0.5, 0.5}, {30, 10}, {2, 200}} {
		var sum float64
		const n = 20000
		for i := 0; i < n; i++ {
			x := SampleBeta(rng, ab[0], ab[1])
			if x < 0 || x > 1 {
				t.Fatalf("draw %g", x)
			}
			sum += x
		}
		mean, want := sum/n, ab[0]/(ab[0]+ab[1])
		if sd := math.Sqrt(want * (1 - want) / (ab[0] + ab[1] + 1) / n); math.Abs(mean-want) > 5*sd {
			t.Errorf("Beta(%g, %g): mean %g, want %g", ab[0], ab[1], mean, want)
		}
	}
}

func TestRewardAndDiscount(t *testing.T) {
	p := RewardParams{}
	p.defaults()
	for _, tc := range []struct {
		acc, rej int
		want     float64
	}{{0, 0, 0.5}, {3, 0, 1}, {0, 3, 0}, {1, 1, 0.5}, {2, 0, 5.0 / 6}, {5, 0, 1}, {0, 9, 0}} {
		if got := p.Reward(tc.acc, tc.rej); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("reward(%d accepts, %d rejects) = %g, want %g", tc.acc, tc.rej, got, tc.want)
		}
	}
	// A request served with arm 0.5 is evidence about the bins of 0.5, 0.7 and 0.9: its
	// suggestions and decisions go to the bins of their scores.
	arms := NewArms([]float64{0.5, 0.7, 0.9})
	Observe(arms, 0, Outcome{Shown: []float64{0.55, 0.95, 0.72, 0.9},
		Decided: []Decision{{0.55, true}, {0.95, false}, {0.9, true}}}, 1)
	// A decision without its impression still counts a suggestion shown.
	Observe(arms, 0, Outcome{Decided: []Decision{{0.6, true}}}, 1)
	want := []Arm{
		{Threshold: 0.5, Requests: 2, Shown: 2, Accepts: 2, Pulls: 2},
		{Threshold: 0.7, Requests: 2, Shown: 1},
		{Threshold: 0.9, Requests: 2, Shown: 2, Accepts: 1, Rejects: 1},
	}
	if !reflect.DeepEqual(arms, want) {
		t.Errorf("undiscounted:\n got %+v\nwant %+v", arms, want)
	}
	// A request served with arm 0.9 says nothing about the bins below it; discounting
	// halves the old evidence of every bin first.
	Observe(arms, 2, Outcome{Shown: []float64{0.91}, Decided: []Decision{{0.91, false}}}, 0.5)
	want = []Arm{
		{Threshold: 0.5, Requests: 1, Shown: 1, Accepts: 1, Pulls: 2},
		{Threshold: 0.7, Requests: 1, Shown: 0.5},
		{Threshold: 0.9, Requests: 2, Shown: 2, Accepts: 0.5, Rejects: 1.5, Pulls: 1},
	}
	if !reflect.DeepEqual(arms, want) {
		t.Errorf("discounted:\n got %+v\nwant %+v", arms, want)
	}
	// A score below the arm's threshold stays in the arm's bin.
	Observe(arms, 1, Outcome{Shown: []float64{0.2}}, 1)
	if arms[1].Shown != 1.5 || arms[0].Requests != 1 {
		t.Errorf("a score below its arm: %+v", arms)
	}
}

// expectedMin against the sum over Poisson's probabilities, and the utility's sign.
func TestExpectedUtility(t *testing.T) {
	direct := func(lambda float64, m int) float64 {
		var e float64
		for k := 0; k < 400; k++ {
			lg, _ := math.Lgamma(float64(k + 1))
			e += float64(min(k, m)) * math.Exp(float64(k)*math.Log(lambda)-lambda-lg)
		}
		return e
	}
	for _, tc := range []struct {
		lambda float64
		m      int
	}{{0.1, 3}, {1, 1}, {2, 3}, {2.65, 3}, {4, 3}, {10, 5}, {60, 3}} {
		if got, want := expectedMin(tc.lambda, tc.m), direct(tc.lambda, tc.m); math.Abs(got-want) > 1e-9 {
			t.Errorf("E[min(Poisson(%g), %d)] = %g, want %g", tc.lambda, tc.m, got, want)
		}
	}
	if got := expectedMin(0, 3); got != 0 {
		t.Errorf("E[min(Poisson(0), 3)] = %g, want 0", got)
	}
	for _, tc := range []struct {
		p            RewardParams
		lambda, acc  float64
		wantPerShown float64 // utility / E[min(N, m)]
	}{
		{RewardParams{RejectionCost: 1, MaxReviewed: 3}, 2, 0.5, 0},
		{RewardParams{RejectionCost: 1, MaxReviewed: 3}, 2, 0.9, 0.8},
		{RewardParams{RejectionCost: 2, MaxReviewed: 3}, 4, 0.8, 0.4},
		{RewardParams{RejectionCost: 3, MaxReviewed: 1}, 4, 0.5, -1},
	} {
		want := tc.wantPerShown * expectedMin(tc.lambda, tc.p.MaxReviewed)
		if got := tc.p.ExpectedUtility(tc.lambda, tc.acc); math.Abs(got-want) > 1e-12 {
			t.Errorf("%+v: utility(%g, %g) = %g, want %g", tc.p, tc.lambda, tc.acc, got, want)
		}
	}
}

// Thompson sampling compares the arms on utility, so both the acceptance and the
// number of suggestions count: with posteriors narrowed by much evidence it picks the
// arm of the largest expected utility, and from the prior it tries every arm.
func TestThompsonUtility(t *testing.T) {
	// arms returns bins' evidence of much weight that give arm k (threshold t[k]) a mean
	// of lambda[k] suggestions per request accepted with probability acc[k].
	arms := func(t, lambda, acc []float64) []Arm {
		const n = 20000
		out := NewArms(t)
		for k := range out {
			l, m := lambda[k], lambda[k]*acc[k]
			if k+1 < len(t) {
				l, m = l-lambda[k+1], m-lambda[k+1]*acc[k+1]
			}
			q := m / l
			out[k].Requests, out[k].Shown, out[k].Accepts, out[k].Rejects, out[k].Pulls = n, l*n, q*2*n, (1-q)*2*n, n
		}
		return out
	}
	two := func(t1, l1, a1, t2, l2, a2 float64) []Arm {
		return arms([]float64{t1, t2}, []float64{l1, l2}, []float64{a1, a2})
	}
	for _, tc := range []struct {
		name   string
		arms   []Arm
		reward RewardParams
		want   float64
	}{
		{"more suggestions, same acceptance", two(0.5, 4, 0.9, 0.7, 2, 0.9), RewardParams{}, 0.5},
		{"fewer suggestions, better acceptance", two(0.5, 4, 0.6, 0.7, 2, 0.9), RewardParams{}, 0.7},
		{"acceptance below one half, rejects cost", two(0.5, 4, 0.45, 0.8, 0.5, 0.55), RewardParams{}, 0.8},
		{"a dear rejection", two(0.5, 4, 0.8, 0.9, 1, 0.95), RewardParams{RejectionCost: 4}, 0.9},
		{"a cheap rejection", two(0.5, 4, 0.8, 0.9, 1, 0.95), RewardParams{RejectionCost: 0.25}, 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			for i := 0; i < 200; i++ {
				if got := tc.arms[Thompson(tc.arms, tc.reward, rng)].Threshold; got != tc.want {
					t.Fatalf("draw %d chose %g, want %g", i, got, tc.want)
				}
			}
			us, best := MeanUtilities(tc.arms, tc.reward), 0
			for k := range tc.arms {
				if us[k] > us[best] {
					best = k
				}
			}
			if tc.arms[best].Threshold != tc.want {
				t.Errorf("posterior mean utility prefers %g, want %g", tc.arms[best].Threshold, tc.want)
			}
		})
	}
	// From the prior every arm is tried.
	prior := NewArms(DefaultArms)
	rng := rand.New(rand.NewPCG(3, 4))
	counts := make([]int, len(prior))
	const n = 5000
	for i := 0; i < n; i++ {
		counts[Thompson(prior, RewardParams{}, rng)]++
	}
	for k, c := range counts {
		t.Logf("arm %g: %.1f%% of the draws from the prior", prior[k].Threshold, 100*float64(c)/n)
		if share := float64(c) / n; share < 0.05 {
			t.Errorf("arm %g drawn %.1f%% of the time from the prior, want at least 5%%", prior[k].Threshold, 100*share)
		}
	}
}

// With a negligible spread, the arms' truth estimated over simulated pages is the
// closed form's; with spread, Thompson sampling, whose model the readers no longer
// follow, still has less regret than epsilon-greedy and UCB1.
func TestSimulateSpread(t *testing.T) {
	curve := simulatedCurve(t, "elwikivoyage")
	exact, err := newSimEnv(&SimOptions{Curve: curve, Arms: DefaultArms, CandidatesPerPage: 4, Reward: RewardParams{RejectionCost: 1, MaxReviewed: 3}})
	if err != nil {
		t.Fatal(err)
	}
	near, err := newSimEnv(&SimOptions{Curve: curve, Arms: DefaultArms, CandidatesPerPage: 4, Reward: RewardParams{RejectionCost: 1, MaxReviewed: 3}, Spread: 1e-6})
	if err != nil {
		t.Fatal(err)
	}
	for k := range exact.arms {
		e, n := exact.arms[k], near.arms[k]
		if math.Abs(e.Utility-n.Utility) > 0.01 || math.Abs(e.Precision-n.Precision) > 0.005 {
			t.Errorf("arm %g: estimated utility %.4f, acceptance %.4f; closed form %.4f, %.4f", e.Threshold, n.Utility, n.Precision, e.Utility, e.Precision)
		}
	}
	rep, err := Simulate(SimOptions{Curve: curve, Seed: 1, Seeds: 10, Spread: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	regret := map[string]float64{}
	for _, r := range rep.Results {
		regret[strings.Fields(r.Policy)[0]] = r.Regret
	}
	t.Logf("spread 0.5: regret %v", regret)
	if ts := regret["thompson"]; ts <= 0 || ts > regret["epsilon-greedy"] || ts > regret["ucb1"] {
		t.Errorf("Thompson sampling's regret %.1f not the least of the learning policies: %v", ts, regret)
	}
	if _, err := Simulate(SimOptions{Curve: curve, Spread: -1}); err == nil {
		t.Error("a negative spread was taken")
	}
}
