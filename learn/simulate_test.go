package learn

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

// On each fixture wiki with a precision curve, Thompson sampling's regret over 10,000
// requests (mean over 20 seeds) is at most epsilon-greedy's and UCB1's, and within
// 1.2x of the best learning policy's; the calibration beats the raw score.
func TestSimulateThompsonRegret(t *testing.T) {
	for _, wiki := range []string{"elwikivoyage", "ukwiki", "viwiki"} {
		t.Run(wiki, func(t *testing.T) {
			curve, err := ReadCurve(testfixtures.Path(t, "reference/"+wiki+"/backtest.eval.csv"))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Simulate(SimOptions{Curve: curve, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			regret := map[string]float64{}
			for _, r := range rep.Results {
				regret[strings.Fields(r.Policy)[0]] = r.Regret
			}
			ts, eg, ucb := regret["thompson"], regret["epsilon-greedy"], regret["ucb1"]
			t.Logf("regret: thompson %.1f, epsilon-greedy %.1f, ucb1 %.1f (best arm %g)", ts, eg, ucb, rep.Best)
			if ts <= 0 || eg <= 0 || ucb <= 0 {
				t.Fatalf("a learning policy without regret: %v", regret)
			}
			if ts > eg || ts > ucb {
				t.Errorf("Thompson sampling's regret %.1f above epsilon-greedy's %.1f or UCB1's %.1f", ts, eg, ucb)
			}
			if best := math.Min(ts, math.Min(eg, ucb)); ts > 1.2*best {
				t.Errorf("Thompson sampling's regret %.1f above 1.2x the best %.1f", ts, best)
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
	if !reflect.DeepEqual(a, b) {
		t.Error("two simulations with the same seed differ")
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
		{"no precision", ",threshold,N,micro_precision,micro_recall\n0,0.0,5,,0.0\n", "no micro_precision"},
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
	// jawiki's fixture backtest predicted no link at all: no curve to simulate.
	if _, err := ReadCurve(testfixtures.Path(t, "reference/jawiki/backtest.eval.csv")); err == nil {
		t.Error("jawiki's empty curve was read")
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
	arms := NewArms([]float64{0.5, 0.9})
	Reward(arms, 0, 1, 1)
	Reward(arms, 0, 1, 1)
	if arms[0].Alpha != 3 || arms[0].Beta != 1 || arms[0].Pulls != 2 || arms[0].SumSq != 2 {
		t.Errorf("undiscounted: %+v", arms[0])
	}
	// Discounting halves the old evidence of every arm before the new reward.
	Reward(arms, 1, 0, 0.5)
	if arms[0].Alpha != 2 || arms[0].Beta != 1 || arms[1].Alpha != 1 || arms[1].Beta != 2 {
		t.Errorf("discounted: %+v", arms)
	}
	if c := EvidenceScale(NewArms([]float64{0.5})); c != 1 {
		t.Errorf("evidence scale without rewards %g, want 1", c)
	}
}
