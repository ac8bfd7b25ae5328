package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// row is one measured step.
type row struct {
	Tool  string
	N     int
	Step  string
	Wall  time.Duration
	Write Writes
	// Changed counts objects whose resourceVersion moved (created,
	// updated or deleted), read from the API before and after the step.
	Changed int
	// SelfReported is the tool's own count of writes, -1 when it has none.
	SelfReported int
	// PeakRSSKiB is the child process's own peak RSS (rusage maxrss).
	PeakRSSKiB int64
}

func printTable(w io.Writer, rows []row) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| tool | N | step | wall s | API writes | dry-run writes | objects changed | self-reported writes | peak RSS MiB |")
	fmt.Fprintln(w, "|---|---:|---|---:|---:|---:|---:|---:|---:|")
	var notes []string
	for _, r := range rows {
		self := "-"
		if r.SelfReported >= 0 {
			self = fmt.Sprint(r.SelfReported)
		}
		fmt.Fprintf(w, "| %s | %d | %s | %.2f | %g | %g | %d | %s | %.1f |\n",
			r.Tool, r.N, r.Step, r.Wall.Seconds(), r.Write.Real, r.Write.DryRun, r.Changed, self, mib(r.PeakRSSKiB))
		if r.Write.Other != 0 {
			notes = append(notes, fmt.Sprintf("%s N=%d %s: not counted, %g write requests to other resources (%s)",
				r.Tool, r.N, r.Step, r.Write.Other, r.Write.OtherString()))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "API writes: POST/PUT/PATCH/APPLY/DELETE requests to namespaces, configmaps, CRDs and databases.tidemark.dev")
	fmt.Fprintln(w, "in kube-apiserver's apiserver_request_total with dry_run=\"\"; dry-run writes are those with dry_run set.")
	fmt.Fprintln(w, "A request counts even when the server finds nothing to change; 'objects changed' counts resourceVersion moves.")
	fmt.Fprintln(w, "Wall time and peak RSS (rusage maxrss) are of each tool's own process, from start to exit.")
	for _, note := range notes {
		fmt.Fprintln(w, "Note:", note)
	}
	fmt.Fprintln(w, strings.Repeat("-", 20))
}
