// Package compare sets two backtests side by side (`addlink compare RUN_A RUN_B`):
// precision and recall per threshold with their 95% bootstrap intervals, the
// difference, the area under each precision-recall curve with its interval and the
// best F1, as a text table and as an SVG plot of the two precision-recall curves. A run
// is a backtest summary (backtest.summary.json) or a directory holding one, such as
// data/<wiki>.
package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/addlink/addlink/datasets"
)

// Run is one backtest to compare.
type Run struct {
	Name    string // as given on the command line
	Path    string // the summary file read
	Summary datasets.BacktestSummary
}

// Load reads a run: a backtest summary file, or a directory with backtest.summary.json.
func Load(path string) (Run, error) {
	file := path
	if fi, err := os.Stat(path); err != nil {
		return Run{}, fmt.Errorf("compare: %w", err)
	} else if fi.IsDir() {
		file = filepath.Join(path, "backtest.summary.json")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return Run{}, fmt.Errorf("compare: %w (a run is a backtest.summary.json or a directory with one, such as data/<wiki>)", err)
	}
	var s datasets.BacktestSummary
	if err := json.Unmarshal(b, &s); err != nil {
		return Run{}, fmt.Errorf("compare: %s: %w", file, err)
	}
	if len(s.Rows) == 0 {
		return Run{}, fmt.Errorf("compare: %s: no backtest rows", file)
	}
	return Run{Name: path, Path: file, Summary: s}, nil
}

// ErrThresholds is returned when two runs were evaluated at different thresholds.
var ErrThresholds = errors.New("compare: the runs were evaluated at different thresholds")

// Table writes the comparison as text: one line per threshold with each run's
// precision and recall and their intervals and the differences B - A, then the
// areas under the curves and the best F1s.
func Table(a, b Run) (string, error) {
	ra, rb := a.Summary.Rows, b.Summary.Rows
	if len(ra) != len(rb) {
		return "", ErrThresholds
	}
	for i := range ra {
		if math.Abs(ra[i].Threshold-rb[i].Threshold) > 1e-9 {
			return "", ErrThresholds
		}
	}
	var w strings.Builder
	fmt.Fprintf(&w, "A: %s (features %s, %d sentences)\n", a.Name, orDash(a.Summary.Features), a.Summary.Sentences)
	fmt.Fprintf(&w, "B: %s (features %s, %d sentences)\n", b.Name, orDash(b.Summary.Features), b.Summary.Sentences)
	fmt.Fprintf(&w, "%-9s  %-26s  %-26s  %-26s  %-26s  %7s  %7s\n", "threshold",
		"A precision [95%]", "B precision [95%]", "A recall [95%]", "B recall [95%]", "dP B-A", "dR B-A")
	for i := range ra {
		x, y := ra[i], rb[i]
		fmt.Fprintf(&w, "%-9.2f  %-26s  %-26s  %-26s  %-26s  %7s  %7s\n", x.Threshold,
			withCI(x.MicroPrecision, x.PrecisionLow, x.PrecisionHigh), withCI(y.MicroPrecision, y.PrecisionLow, y.PrecisionHigh),
			withCI(x.MicroRecall, x.RecallLow, x.RecallHigh), withCI(y.MicroRecall, y.RecallLow, y.RecallHigh),
			diff(y.MicroPrecision, x.MicroPrecision), diff(y.MicroRecall, x.MicroRecall))
	}
	sa, sb := a.Summary, b.Summary
	fmt.Fprintf(&w, "PR AUC     A %s   B %s   B-A %s\n", withCI(sa.PRAUC, sa.PRAUCLow, sa.PRAUCHigh), withCI(sb.PRAUC, sb.PRAUCLow, sb.PRAUCHigh), diff(sb.PRAUC, sa.PRAUC))
	fmt.Fprintf(&w, "best F1    A %s at %s   B %s at %s   B-A %s\n", num(sa.BestF1), num(sa.BestF1Threshold), num(sb.BestF1), num(sb.BestF1Threshold), diff(sb.BestF1, sa.BestF1))
	return w.String(), nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func num(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.3f", v)
}

func withCI(v, lo, hi float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", v, lo, hi)
}

func diff(b, a float64) string {
	if math.IsNaN(a) || math.IsNaN(b) {
		return "-"
	}
	return fmt.Sprintf("%+.3f", b-a)
}

// curve is a run's precision-recall points with their intervals.
type curve struct {
	plotter.XYs
	xlo, xhi, ylo, yhi []float64
}

func (c curve) XError(i int) (float64, float64) { return c.xlo[i], c.xhi[i] }
func (c curve) YError(i int) (float64, float64) { return c.ylo[i], c.yhi[i] }

func curveOf(rows []datasets.BacktestRow) curve {
	var c curve
	for _, r := range rows {
		if math.IsNaN(r.MicroPrecision) || math.IsNaN(r.MicroRecall) {
			continue
		}
		c.XYs = append(c.XYs, plotter.XY{X: r.MicroRecall, Y: r.MicroPrecision})
		c.xlo = append(c.xlo, spread(r.MicroRecall-r.RecallLow))
		c.xhi = append(c.xhi, spread(r.RecallHigh-r.MicroRecall))
		c.ylo = append(c.ylo, spread(r.MicroPrecision-r.PrecisionLow))
		c.yhi = append(c.yhi, spread(r.PrecisionHigh-r.MicroPrecision))
	}
	return c
}

// spread is an error bar's length: 0 when the interval is unknown.
func spread(v float64) float64 {
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	return v
}

// Plot draws both runs' precision-recall curves (a point per threshold) with their
// 95% intervals as error bars in both directions, as an SVG image.
func Plot(a, b Run) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "precision-recall, 95% bootstrap intervals"
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = "micro recall"
	p.Y.Label.Text = "micro precision"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.Add(plotter.NewGrid())
	runs := []struct {
		r     Run
		label string
		color color.Color
		shape draw.GlyphDrawer
	}{
		{a, "A", color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, draw.CircleGlyph{}},
		{b, "B", color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, draw.SquareGlyph{}},
	}
	for _, x := range runs {
		c := curveOf(x.r.Summary.Rows)
		if len(c.XYs) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(c.XYs)
		if err != nil {
			return nil, err
		}
		line.Color, points.Color, points.Shape = x.color, x.color, x.shape
		xb, err := plotter.NewXErrorBars(c)
		if err != nil {
			return nil, err
		}
		yb, err := plotter.NewYErrorBars(c)
		if err != nil {
			return nil, err
		}
		xb.Color, yb.Color = x.color, x.color
		p.Add(line, points, xb, yb)
		s := x.r.Summary
		p.Legend.Add(fmt.Sprintf("%s %s: AUC %s", x.label, shortName(x.r.Name), withCI(s.PRAUC, s.PRAUCLow, s.PRAUCHigh)), line, points)
	}
	p.Legend.Top = false
	p.Legend.Left = true
	c := vgsvg.New(7*vg.Inch, 5*vg.Inch)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func shortName(s string) string {
	if len(s) > 40 {
		return "…" + s[len(s)-39:]
	}
	return s
}
