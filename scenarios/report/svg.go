package report

import (
	"encoding/xml"
	"fmt"
	"math"
	"strings"
	"time"
)

// Layout of the writes picture, in pixels.
const (
	svgWidth     = 900
	marginLeft   = 80
	marginRight  = 20
	marginTop    = 50
	marginBottom = 45
	rowHeight    = 24
	plotWidth    = svgWidth - marginLeft - marginRight
)

// Colours of the write marks; the tests count marks by these.
const (
	colourAcknowledged = "#2ca02c"
	colourFailed       = "#d62728"
	colourUnknown      = "#999999"
	colourFault        = "#f5c26b"
)

// The x axis starts this many seconds before the fault, so the steady state
// before it shows, and reaches at least this far after it.
const (
	secondsBefore   = 10
	minSecondsAfter = 30
)

// timeAxis maps seconds relative to a trial's fault start onto the picture.
type timeAxis struct {
	from, to float64 // seconds
	step     float64 // seconds between ticks
}

// renderSVG draws the writes of every trial of s around its fault, one row
// per trial, as a standalone SVG document.
func renderSVG(s Scenario) string {
	axis := newTimeAxis(s.Trials)
	height := marginTop + len(s.Trials)*rowHeight + marginBottom

	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n",
		svgWidth, height, svgWidth, height)

	// A white background keeps the picture readable in dark viewers.
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", svgWidth, height)

	writeTitleAndLegend(&b, s)

	for row, t := range s.Trials {
		writeTrialRow(&b, axis, row, t)
	}

	writeAxis(&b, axis, len(s.Trials))

	b.WriteString("</svg>\n")
	return b.String()
}

// newTimeAxis spans from secondsBefore the fault to the last write or fault
// end of any trial, at least minSecondsAfter, rounded up to a whole tick.
func newTimeAxis(trials []Trial) timeAxis {
	last := float64(minSecondsAfter)
	for _, t := range trials {
		last = max(last, faultSeconds(t))
		for _, w := range t.Writes {
			last = max(last, relativeSeconds(t, w.At))
		}
	}

	// Ticks every 5 or 10 s, as long as that leaves room for their labels;
	// long trials get coarser ticks rather than labels printed over each
	// other.
	span := last + secondsBefore
	step := 5.0
	for _, candidate := range []float64{10, 20, 30, 60, 120, 300, 600} {
		if span/step <= 20 {
			break
		}
		step = candidate
	}

	return timeAxis{
		from: -secondsBefore,
		to:   math.Ceil(last/step) * step,
		step: step,
	}
}

// x returns the horizontal position of a time in seconds relative to the
// fault start.
func (a timeAxis) x(seconds float64) float64 {
	return marginLeft + (seconds-a.from)/(a.to-a.from)*plotWidth
}

func (a timeAxis) contains(seconds float64) bool {
	return seconds >= a.from && seconds <= a.to
}

func relativeSeconds(t Trial, at time.Time) float64 {
	return at.Sub(t.FaultStart).Seconds()
}

// faultSeconds is how long the fault lasted; instant faults, and trials
// whose heal time was not recorded, last 0 s.
func faultSeconds(t Trial) float64 {
	return max(0, relativeSeconds(t, t.FaultEnd))
}

func writeTitleAndLegend(b *strings.Builder, s Scenario) {
	fmt.Fprintf(b, `<text x="%d" y="20" font-size="14" font-weight="bold">%s</text>`+"\n",
		marginLeft, escapeText(s.Name+" ("+s.Replication+")"))

	legend := []struct{ colour, label string }{
		{colourAcknowledged, "acknowledged"},
		{colourFailed, "failed"},
		{colourUnknown, "unknown"},
		{colourFault, "fault"},
	}
	for i, item := range legend {
		x := marginLeft + i*110
		fmt.Fprintf(b, `<rect class="legend" x="%d" y="30" width="10" height="10" fill="%s"/>`+"\n", x, item.colour)
		fmt.Fprintf(b, `<text x="%d" y="39">%s</text>`+"\n", x+14, item.label)
	}
}

func writeTrialRow(b *strings.Builder, axis timeAxis, row int, t Trial) {
	top := float64(marginTop + row*rowHeight)

	fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n",
		marginLeft-8, top+rowHeight/2+4, escapeText(fmt.Sprintf("trial %d", t.Index)))

	// The fault window goes under the marks; an instant fault still gets
	// one pixel so that it can be seen.
	start := axis.x(0)
	width := max(1, axis.x(faultSeconds(t))-start)
	fmt.Fprintf(b, `<rect class="fault" x="%.1f" y="%.1f" width="%.1f" height="%d" fill="%s" fill-opacity="0.6"/>`+"\n",
		start, top+2, width, rowHeight-4, colourFault)

	for _, w := range t.Writes {
		// Writes long before the fault would fall left of the plot.
		seconds := relativeSeconds(t, w.At)
		if !axis.contains(seconds) {
			continue
		}

		class, colour := markStyle(w.Outcome)
		fmt.Fprintf(b, `<rect class="%s" x="%.1f" y="%.1f" width="2" height="%d" fill="%s"/>`+"\n",
			class, axis.x(seconds)-1, top+5, rowHeight-10, colour)
	}
}

// markStyle gives the class and colour of a write mark. An outcome the
// report does not know is drawn as unknown, since nothing is known of it.
func markStyle(o Outcome) (class, colour string) {
	switch o {
	case Acknowledged:
		return "write-ok", colourAcknowledged
	case Failed:
		return "write-failed", colourFailed
	default:
		return "write-unknown", colourUnknown
	}
}

func writeAxis(b *strings.Builder, axis timeAxis, rows int) {
	top := float64(marginTop)
	bottom := float64(marginTop + rows*rowHeight)

	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333333"/>`+"\n",
		axis.x(0), top, axis.x(0), bottom)
	fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333333"/>`+"\n",
		marginLeft, bottom, marginLeft+plotWidth, bottom)

	for tick := math.Ceil(axis.from/axis.step) * axis.step; tick <= axis.to; tick += axis.step {
		x := axis.x(tick)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333333"/>`+"\n",
			x, bottom, x, bottom+4)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%g</text>`+"\n", x, bottom+16, tick)
	}

	fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="middle">seconds since the fault started</text>`+"\n",
		marginLeft+plotWidth/2, bottom+34)
}

// escapeText makes s safe as XML character data.
func escapeText(s string) string {
	var b strings.Builder
	// Writing to a strings.Builder cannot fail.
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
