package backtest

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

// Plot draws micro precision and recall against the threshold as an SVG image.
func Plot(wiki string, rows []Row) ([]byte, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s backtest", wiki)
	p.X.Label.Text = "threshold"
	p.Y.Label.Text = "micro average"
	p.X.Min, p.X.Max = 0, 1
	p.Y.Min, p.Y.Max = 0, 1
	p.Add(plotter.NewGrid())
	series := []struct {
		name  string
		value func(Row) float64
		color color.Color
		shape draw.GlyphDrawer
	}{
		{"precision", func(r Row) float64 { return r.MicroPrecision }, color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, draw.CircleGlyph{}},
		{"recall", func(r Row) float64 { return r.MicroRecall }, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, draw.SquareGlyph{}},
	}
	for _, s := range series {
		var xy plotter.XYs
		for _, r := range rows {
			if v := s.value(r); !math.IsNaN(v) {
				xy = append(xy, plotter.XY{X: r.Threshold, Y: v})
			}
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
