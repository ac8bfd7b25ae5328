package report

import (
	"math"
	"slices"
	"time"
)

// Percentile returns the p-th percentile (p from 0 to 100) of ds by the
// nearest-rank method: the smallest value at least p percent of the values
// are less than or equal to. It does not reorder ds. An empty ds gives 0.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}

	sorted := slices.Clone(ds)
	slices.Sort(sorted)

	// Multiply before dividing so whole-number p gives an exact rank.
	rank := int(math.Ceil(p * float64(len(sorted)) / 100))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Summary condenses the trials of one scenario into the figures of the
// report table.
type Summary struct {
	// Trials is the number of trials.
	Trials int

	// UnavailabilityP50 and UnavailabilityMax are taken over every trial.
	// A trial in which no write failed counts as 0 s: a fault that caused
	// no outage is a real measurement, not a missing one.
	UnavailabilityP50 time.Duration
	UnavailabilityMax time.Duration

	// RejoinP50 and RejoinMax are taken over the trials that measured a
	// rejoin only, because there 0 means "not measured".
	RejoinP50 time.Duration
	RejoinMax time.Duration

	// RejoinMeasured is the number of trials that measured a rejoin.
	RejoinMeasured int

	// Acknowledged, Lost, Unknown and SplitBrain are sums over the trials.
	Acknowledged int
	Lost         int
	Unknown      int
	SplitBrain   int

	// Extra is the mean of each extra figure over the trials that report
	// it, by name; nil if no trial reports any.
	Extra map[string]float64
}

// Summarize computes the Summary of a scenario.
func Summarize(s Scenario) Summary {
	sum := Summary{Trials: len(s.Trials)}

	var outages, rejoins []time.Duration
	extraSums := map[string]float64{}
	extraCounts := map[string]int{}
	for _, t := range s.Trials {
		outages = append(outages, t.Unavailability)
		if t.Rejoin > 0 {
			rejoins = append(rejoins, t.Rejoin)
		}

		sum.Acknowledged += t.Acknowledged
		sum.Lost += t.Lost
		sum.Unknown += t.Unknown
		sum.SplitBrain += t.SplitBrain

		for name, v := range t.Extra {
			extraSums[name] += v
			extraCounts[name]++
		}
	}

	sum.UnavailabilityP50 = Percentile(outages, 50)
	sum.UnavailabilityMax = Percentile(outages, 100)
	sum.RejoinP50 = Percentile(rejoins, 50)
	sum.RejoinMax = Percentile(rejoins, 100)
	sum.RejoinMeasured = len(rejoins)

	for name, total := range extraSums {
		if sum.Extra == nil {
			sum.Extra = map[string]float64{}
		}
		sum.Extra[name] = total / float64(extraCounts[name])
	}
	return sum
}
