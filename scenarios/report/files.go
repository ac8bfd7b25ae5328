package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// WriteFiles creates dir if needed and writes the report of run into it:
// report.json with the whole run, report.md with the summary table, and
// one writes-<slug>.svg per scenario (see svgFileNames).
//
// It is not called Write because that name is taken by the Write type.
func WriteFiles(dir string, run Run) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating report directory %s: %w", dir, err)
	}

	data, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding run as JSON: %w", err)
	}
	if err := writeFile(dir, "report.json", append(data, '\n')); err != nil {
		return err
	}

	svgNames := svgFileNames(run)
	if err := writeFile(dir, "report.md", []byte(renderMarkdown(run, svgNames))); err != nil {
		return err
	}

	for i, s := range run.Scenarios {
		if err := writeFile(dir, svgNames[i], []byte(renderSVG(s))); err != nil {
			return err
		}
	}
	return nil
}

// svgFileNames returns the file name of each scenario's picture, in the order
// of run.Scenarios: writes-<slug>.svg, where the slug is made of the name
// and the replication mode, since a scenario usually runs under both. Should
// two scenarios still get the same slug, the later one is numbered so that
// neither picture overwrites the other.
func svgFileNames(run Run) []string {
	names := make([]string, 0, len(run.Scenarios))
	used := map[string]bool{}
	for _, s := range run.Scenarios {
		base := "writes-" + slug(s.Name+" "+s.Replication)
		name := base + ".svg"
		for n := 2; used[name]; n++ {
			name = base + "-" + strconv.Itoa(n) + ".svg"
		}

		used[name] = true
		names = append(names, name)
	}
	return names
}

// slug lower-cases s and turns every run of characters other than ASCII
// letters and digits into one '-', trimmed at both ends, so the result is a
// safe file name on every platform.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}

	if b.Len() == 0 {
		return "scenario"
	}
	return b.String()
}

func writeFile(dir, name string, data []byte) error {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
