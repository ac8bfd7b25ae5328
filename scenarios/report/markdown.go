package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// noFigure stands in a table cell for a figure no trial measured.
const noFigure = "–"

// renderMarkdown returns report.md for run; svgNames are the picture file
// names of the scenarios, in the same order.
func renderMarkdown(run Run, svgNames []string) string {
	var b strings.Builder
	writeHeading(&b, run)
	writeTable(&b, run)
	writeFailures(&b, run)
	writeExtras(&b, run)
	writePictureLinks(&b, run, svgNames)
	return b.String()
}

func writeHeading(b *strings.Builder, run Run) {
	fmt.Fprintf(b, "# Resilience report: %s\n\n", run.Label)
	fmt.Fprintf(b, "Started %s, ran for %s, tidemark %s.\n\n",
		run.Started.UTC().Format(time.DateTime+" UTC"), runDuration(run), run.Tidemark)
}

// runDuration is how long the run took, or noFigure when the finish time
// is missing, so a report written from a crashed suite does not show a
// negative duration.
func runDuration(run Run) string {
	if run.Finished.Before(run.Started) {
		return noFigure
	}
	return run.Finished.Sub(run.Started).Round(time.Second).String()
}

func writeTable(b *strings.Builder, run Run) {
	b.WriteString("| scenario | replication | result | trials | unavailability p50 / max (s) " +
		"| acknowledged | lost | unknown outcomes | split-brain samples | rejoin p50 / max (s) |\n")
	b.WriteString("|---|---|---|--:|--:|--:|--:|--:|--:|--:|\n")

	for _, s := range run.Scenarios {
		sum := Summarize(s)
		fmt.Fprintf(b, "| %s | %s | %s | %d | %s | %d | %d | %d | %d | %s |\n",
			tableCell(s.Name), tableCell(s.Replication), result(s), sum.Trials,
			secondsPair(sum.UnavailabilityP50, sum.UnavailabilityMax, sum.Trials > 0),
			sum.Acknowledged, sum.Lost, sum.Unknown, sum.SplitBrain,
			secondsPair(sum.RejoinP50, sum.RejoinMax, sum.RejoinMeasured > 0))
	}
	b.WriteString("\n")
}

func result(s Scenario) string {
	if s.Passed {
		return "pass"
	}
	return "FAIL"
}

// secondsPair formats "p50 / max" in seconds, or noFigure when there was
// nothing to measure.
func secondsPair(p50, maximum time.Duration, measured bool) string {
	if !measured {
		return noFigure
	}
	return fmt.Sprintf("%.1f / %.1f", p50.Seconds(), maximum.Seconds())
}

// tableCell keeps text from breaking out of its table cell.
func tableCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

func writeFailures(b *strings.Builder, run Run) {
	failed := slices.DeleteFunc(slices.Clone(run.Scenarios), func(s Scenario) bool { return s.Passed })
	if len(failed) == 0 {
		return
	}

	b.WriteString("## Failures\n\n")
	for _, s := range failed {
		fmt.Fprintf(b, "### %s (%s)\n\n", s.Name, s.Replication)

		// Failure messages from matchers span lines and may hold markdown,
		// so they go in a fence longer than any backtick run inside them.
		message := s.Failure
		if message == "" {
			message = "(no message)"
		}
		fence := "```"
		for strings.Contains(message, fence) {
			fence += "`"
		}
		fmt.Fprintf(b, "%s\n%s\n%s\n\n", fence, strings.TrimRight(message, "\n"), fence)
	}
}

func writeExtras(b *strings.Builder, run Run) {
	var lines []string
	for _, s := range run.Scenarios {
		means := Summarize(s).Extra
		if len(means) == 0 {
			continue
		}

		var figures []string
		for _, name := range slices.Sorted(maps.Keys(means)) {
			figures = append(figures, fmt.Sprintf("%s %.2f", name, means[name]))
		}
		lines = append(lines, fmt.Sprintf("- %s (%s): %s\n", s.Name, s.Replication, strings.Join(figures, ", ")))
	}
	if len(lines) == 0 {
		return
	}

	b.WriteString("## Scenario figures\n\nMean over the trials that measured each figure.\n\n")
	for _, line := range lines {
		b.WriteString(line)
	}
	b.WriteString("\n")
}

func writePictureLinks(b *strings.Builder, run Run, svgNames []string) {
	if len(run.Scenarios) == 0 {
		return
	}

	b.WriteString("## Writes over time\n\n")
	for i, s := range run.Scenarios {
		fmt.Fprintf(b, "- [%s (%s)](%s)\n", s.Name, s.Replication, svgNames[i])
	}
}
