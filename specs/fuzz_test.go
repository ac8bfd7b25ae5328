package specs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecodeFile feeds arbitrary bytes to the decoder. It must never panic,
// and whatever it reports must name the file and a line when it has one.
func FuzzDecodeFile(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.y*ml")
	for _, path := range seeds {
		if data, err := os.ReadFile(path); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("\xef\xbb\xbf---\r\n{}\r\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		specs, errs := decodeFile("fuzz.yaml", data)
		for _, e := range errs {
			if !strings.HasPrefix(e.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %q", e.Error())
			}
		}
		for _, s := range specs {
			if s.Database == nil || s.File != "fuzz.yaml" {
				t.Fatalf("decoded spec without its database or file: %+v", s)
			}
		}
	})
}
