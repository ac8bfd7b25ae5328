package report

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	s := time.Second
	oneToTen := []time.Duration{10 * s, 9 * s, 8 * s, 7 * s, 6 * s, 5 * s, 4 * s, 3 * s, 2 * s, 1 * s}
	cases := []struct {
		name string
		ds   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one element", []time.Duration{7 * s}, 50, 7 * s},
		{"p50 of even count is the lower middle, not a mean", []time.Duration{4 * s, 1 * s, 3 * s, 2 * s}, 50, 2 * s},
		{"p0 is the minimum", []time.Duration{4 * s, 1 * s, 3 * s}, 0, 1 * s},
		{"p100 is the maximum", []time.Duration{4 * s, 1 * s, 3 * s}, 100, 4 * s},
		{"p90 of ten", oneToTen, 90, 9 * s},
		{"p91 of ten rounds the rank up", oneToTen, 91, 10 * s},
	}
	for _, c := range cases {
		if got := Percentile(c.ds, c.p); got != c.want {
			t.Errorf("%s: Percentile(%v, %v) = %v, want %v", c.name, c.ds, c.p, got, c.want)
		}
	}
}

func TestPercentileLeavesInputOrder(t *testing.T) {
	ds := []time.Duration{3, 1, 2}
	Percentile(ds, 50)
	if !slices.Equal(ds, []time.Duration{3, 1, 2}) {
		t.Errorf("input reordered to %v", ds)
	}
}

func TestSummarize(t *testing.T) {
	s := time.Second
	sum := Summarize(Scenario{Trials: []Trial{
		{Unavailability: 0, Rejoin: 4 * s, Acknowledged: 10, Unknown: 1, Extra: map[string]float64{"applySeconds": 2}},
		{Unavailability: 0, Rejoin: 0, Acknowledged: 20, Lost: 1},
		{Unavailability: 6 * s, Rejoin: 0, Acknowledged: 30, Lost: 2, SplitBrain: 3, Extra: map[string]float64{"applySeconds": 4}},
	}})

	want := Summary{
		Trials: 3,
		// Trials without an outage count as 0 s, so the median is 0.
		UnavailabilityP50: 0,
		UnavailabilityMax: 6 * s,
		// Rejoin 0 means not measured: only the 4 s trial counts.
		RejoinP50:      4 * s,
		RejoinMax:      4 * s,
		RejoinMeasured: 1,
		Acknowledged:   60,
		Lost:           3,
		Unknown:        1,
		SplitBrain:     3,
	}
	extra := sum.Extra
	sum.Extra = nil
	if !reflect.DeepEqual(sum, want) {
		t.Errorf("Summarize =\n%+v\nwant\n%+v", sum, want)
	}

	// The mean is over the two trials that report the figure, not all three.
	if len(extra) != 1 || extra["applySeconds"] != 3 {
		t.Errorf("Extra = %v, want applySeconds 3", extra)
	}
}
