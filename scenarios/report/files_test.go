package report

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var faultAt = time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)

// writesAround returns one write per second starting 5 s before the fault,
// with the given outcomes.
func writesAround(outcomes ...Outcome) []Write {
	var writes []Write
	for i, o := range outcomes {
		at := faultAt.Add(time.Duration(i-5) * time.Second)
		writes = append(writes, Write{Seq: int64(i), At: at, Took: 3 * time.Millisecond, Outcome: o})
	}
	return writes
}

func sampleRun() Run {
	ok, failed, unknown := Acknowledged, Failed, Unknown
	return Run{
		Label:    "nightly",
		Started:  faultAt.Add(-time.Minute),
		Finished: faultAt.Add(time.Hour),
		Tidemark: "v0.4.0",
		Scenarios: []Scenario{
			{
				Name: "primary pod killed", Replication: "synchronous",
				Failure: "2 acknowledged rows lost",
				Trials: []Trial{
					{
						Index: 1, Fault: "PodChaos pod-kill orders-1",
						FaultStart: faultAt, FaultEnd: faultAt,
						OldPrimary: "orders-1", NewPrimary: "orders-2",
						Unavailability: 4 * time.Second, Rejoin: 20 * time.Second,
						Acknowledged: 4, Lost: 2, Unknown: 1,
						Extra:  map[string]float64{"applySeconds": 1.5},
						Writes: writesAround(ok, ok, ok, unknown, failed, failed, ok),
					},
					{Index: 2, FaultStart: faultAt, FaultEnd: faultAt.Add(10 * time.Second), Writes: writesAround(ok, ok)},
				},
			},
			{
				Name: "zone <east> & west partitioned", Replication: "asynchronous", Passed: true,
				Trials: []Trial{{Index: 1, FaultStart: faultAt, FaultEnd: faultAt.Add(30 * time.Second)}},
			},
		},
	}
}

func TestWriteFilesWritesAllFilesAndJSONRoundTrips(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not", "there", "yet")
	run := sampleRun()
	if err := WriteFiles(dir, run); err != nil {
		t.Fatal(err)
	}

	for _, name := range []string{
		"report.json", "report.md",
		"writes-primary-pod-killed-synchronous.svg",
		"writes-zone-east-west-partitioned-asynchronous.svg",
	} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}

	var back Run
	if err := json.Unmarshal(readFile(t, dir, "report.json"), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, run) {
		t.Errorf("report.json read back as\n%+v\nwant\n%+v", back, run)
	}
}

func TestMarkdownRowShowsLostRowsAndFailure(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFiles(dir, sampleRun()); err != nil {
		t.Fatal(err)
	}
	md := string(readFile(t, dir, "report.md"))

	cells := tableRow(t, md, "primary pod killed")
	// scenario | replication | result | trials | unavailability | acknowledged | lost | unknown | split-brain | rejoin
	want := []string{"primary pod killed", "synchronous", "FAIL", "2", "0.0 / 4.0", "4", "2", "1", "0", "20.0 / 20.0"}
	if !reflect.DeepEqual(cells, want) {
		t.Errorf("row = %q\nwant  %q", cells, want)
	}

	for _, text := range []string{"2 acknowledged rows lost", "applySeconds 1.50", "(writes-primary-pod-killed-synchronous.svg)"} {
		if !strings.Contains(md, text) {
			t.Errorf("report.md lacks %q:\n%s", text, md)
		}
	}

	partitioned := tableRow(t, md, "zone <east> & west partitioned")
	if partitioned[2] != "pass" || partitioned[9] != "–" {
		t.Errorf("passing row without rejoin = %q, want pass and – for rejoin", partitioned)
	}
}

func TestSVGHasOneMarkPerWriteInItsColour(t *testing.T) {
	picture := renderSVG(sampleRun().Scenarios[0])

	marks := map[string]int{} // by fill colour
	decoder := xml.NewDecoder(strings.NewReader(picture))
	for {
		token, err := decoder.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not valid XML: %v\n%s", err, picture)
		}

		element, ok := token.(xml.StartElement)
		if ok && element.Name.Local == "rect" && strings.HasPrefix(attr(element, "class"), "write-") {
			marks[attr(element, "fill")]++
		}
	}

	// Trial 1 has 4 acknowledged, 2 failed and 1 unknown; trial 2 has 2 acknowledged.
	want := map[string]int{colourAcknowledged: 6, colourFailed: 2, colourUnknown: 1}
	if !reflect.DeepEqual(marks, want) {
		t.Errorf("marks by colour = %v, want %v", marks, want)
	}
}

func TestSVGEscapesTitle(t *testing.T) {
	picture := renderSVG(sampleRun().Scenarios[1])
	if err := xml.Unmarshal([]byte(picture), new(struct{})); err != nil {
		t.Fatalf("SVG is not valid XML: %v", err)
	}
	if !strings.Contains(picture, "zone &lt;east&gt; &amp; west partitioned") {
		t.Errorf("title not escaped:\n%s", picture)
	}
}

func readFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// tableRow returns the cells of the markdown table row of a scenario.
func tableRow(t *testing.T, md, scenario string) []string {
	t.Helper()
	for line := range strings.Lines(md) {
		if !strings.HasPrefix(line, "| "+scenario+" |") {
			continue
		}
		var cells []string
		for _, cell := range strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|") {
			cells = append(cells, strings.TrimSpace(cell))
		}
		return cells
	}
	t.Fatalf("no table row for %q in:\n%s", scenario, md)
	return nil
}

func attr(element xml.StartElement, name string) string {
	for _, a := range element.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
