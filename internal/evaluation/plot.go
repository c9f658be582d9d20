package evaluation

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// errPoints are points with asymmetric vertical error bars (plotter.XYer, YErrorer).
type errPoints struct {
	plotter.XYs
	low, high []float64
}

func (e errPoints) YError(i int) (float64, float64) { return e.low[i], e.high[i] }

// Plot draws micro precision and recall against the threshold as an SVG image, with
// their 95% intervals as error bars when the rows have them.
func Plot(wiki string, rows []Row) ([]byte, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s backtest", wiki)
	p.Title.Padding = vg.Points(6)
	for _, r := range rows {
		if !math.IsNaN(r.PrecisionLow) || !math.IsNaN(r.RecallLow) {
			p.Title.Text += " (bars: 95% bootstrap intervals)"
			break
		}
	}
	p.X.Label.Text = "threshold"
	p.Y.Label.Text = "micro average"
	p.X.Min, p.X.Max = 0, 1
	p.Y.Min, p.Y.Max = 0, 1
	p.Add(plotter.NewGrid())
	series := []struct {
		name  string
		value func(Row) float64
		ci    func(Row) (float64, float64)
		color color.Color
		shape draw.GlyphDrawer
	}{
		{"precision", func(r Row) float64 { return r.MicroPrecision }, func(r Row) (float64, float64) { return r.PrecisionLow, r.PrecisionHigh },
			color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, draw.CircleGlyph{}},
		{"recall", func(r Row) float64 { return r.MicroRecall }, func(r Row) (float64, float64) { return r.RecallLow, r.RecallHigh },
			color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, draw.SquareGlyph{}},
	}
	for _, s := range series {
		var xy plotter.XYs
		var eb errPoints
		for _, r := range rows {
			v := s.value(r)
			if math.IsNaN(v) {
				continue
			}
			xy = append(xy, plotter.XY{X: r.Threshold, Y: v})
			if lo, hi := s.ci(r); !math.IsNaN(lo) && !math.IsNaN(hi) {
				eb.XYs = append(eb.XYs, plotter.XY{X: r.Threshold, Y: v})
				eb.low, eb.high = append(eb.low, max(v-lo, 0)), append(eb.high, max(hi-v, 0))
			}
		}
		if len(eb.XYs) > 0 {
			bars, err := plotter.NewYErrorBars(eb)
			if err != nil {
				return nil, err
			}
			bars.Color = s.color
			p.Add(bars)
		}
		if len(xy) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, err
		}
		line.Color = s.color
		points.Color = s.color
		points.Shape = s.shape
		p.Add(line, points)
		p.Legend.Add(s.name, line, points)
	}
	p.Legend.Top = true
	c := vgsvg.New(6*vg.Inch, 4*vg.Inch)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
