package main

import (
	"fmt"
	"image/color"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/hearthbot/hearth/bench/loadtest"
)

var targetColors = []color.Color{
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, // hearth first: red
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
}

// plotRamps draws, for every target, p99 latency and CPU per interaction
// against the offered rate, up to the rate where the target stopped
// answering 99% in time.
func plotRamps(path string, results []*result) error {
	lat := plot.New()
	lat.Title.Text = "/ping under the same discordtest load: p99, dispatch to callback"
	lat.X.Label.Text = "interactions offered per second"
	lat.Y.Label.Text = "p99 (ms, log scale)"
	lat.Y.Scale = plot.LogScale{}
	lat.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	cpu := plot.New()
	cpu.Title.Text = "CPU of the bot's process per interaction answered"
	cpu.X.Label.Text = "interactions offered per second"
	cpu.Y.Label.Text = "µs"
	for i, r := range results {
		var p99, perCall plotter.XYs
		for _, rep := range r.Ramp {
			if rep.ErrorRate() > 0.01 || rep.Answered == 0 {
				break
			}
			p99 = append(p99, plotter.XY{X: rep.Rate, Y: max(float64(rep.P99)/float64(time.Millisecond), 0.01)})
			perCall = append(perCall, plotter.XY{X: rep.Rate, Y: float64(rep.CPUPerCall) / float64(time.Microsecond)})
		}
		if len(p99) == 0 {
			continue
		}
		c := targetColors[i%len(targetColors)]
		for _, pair := range []struct {
			p  *plot.Plot
			xy plotter.XYs
		}{{lat, p99}, {cpu, perCall}} {
			l, s, err := plotter.NewLinePoints(pair.xy)
			if err != nil {
				return fmt.Errorf("compare: plot: %w", err)
			}
			l.Color, s.Color, l.Width = c, c, vg.Points(1.5)
			pair.p.Add(l, s)
			pair.p.Legend.Add(r.Target, l, s)
		}
	}
	for _, p := range []*plot.Plot{lat, cpu} {
		p.Legend.Top, p.Legend.Left = true, true
		p.Add(plotter.NewGrid())
	}
	return loadtest.SavePNG(path, 9*vg.Inch, lat, cpu)
}
