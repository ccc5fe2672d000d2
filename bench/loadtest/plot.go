package loadtest

import (
	"fmt"
	"image/color"
	"os"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Plot draws the run to a PNG file: answered interactions per second
// above, latency percentiles per second below.
func (r *Report) Plot(path string) error {
	if len(r.Series) == 0 {
		return fmt.Errorf("loadtest: plot: the run has no data")
	}
	through := plot.New()
	through.Title.Text = fmt.Sprintf("%s: %d guilds × %d members, %.0f interactions/s offered", r.Target, r.Guilds, r.Members, r.Rate)
	through.X.Label.Text = "second"
	through.Y.Label.Text = "per second"
	latency := plot.New()
	latency.X.Label.Text = "second"
	latency.Y.Label.Text = "dispatch to callback (ms)"
	sent, answered := make(plotter.XYs, len(r.Series)), make(plotter.XYs, len(r.Series))
	p50, p95, p99 := make(plotter.XYs, len(r.Series)), make(plotter.XYs, len(r.Series)), make(plotter.XYs, len(r.Series))
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	for i, p := range r.Series {
		x := float64(p.Second)
		sent[i] = plotter.XY{X: x, Y: float64(p.Sent)}
		answered[i] = plotter.XY{X: x, Y: float64(p.Answered)}
		p50[i], p95[i], p99[i] = plotter.XY{X: x, Y: ms(p.P50)}, plotter.XY{X: x, Y: ms(p.P95)}, plotter.XY{X: x, Y: ms(p.P99)}
	}
	if err := addLines(through, []string{"sent", "answered in time"}, sent, answered); err != nil {
		return err
	}
	if err := addLines(latency, []string{"p50", "p95", "p99"}, p50, p95, p99); err != nil {
		return err
	}
	return SavePNG(path, 8*vg.Inch, through, latency)
}

var lineColors = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
}

func addLines(p *plot.Plot, names []string, series ...plotter.XYs) error {
	for i, s := range series {
		l, err := plotter.NewLine(s)
		if err != nil {
			return fmt.Errorf("loadtest: plot: %w", err)
		}
		l.Color = lineColors[i%len(lineColors)]
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(names[i], l)
	}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return nil
}

// SavePNG draws plots one above the other, aligned, 10 inches wide and
// height high, and writes them to path as a PNG image.
func SavePNG(path string, height vg.Length, plots ...*plot.Plot) error {
	img := vgimg.New(10*vg.Inch, height)
	rows := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		rows[i] = []*plot.Plot{p}
	}
	canvases := plot.Align(rows, draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Centimeter}, draw.New(img))
	for i, p := range plots {
		p.Draw(canvases[i][0])
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("loadtest: plot: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("loadtest: plot: %w", err)
	}
	return f.Close()
}
