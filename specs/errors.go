package specs

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem found in a config repo file. It names the place a
// person has to edit: the file, the line and the field.
type Error struct {
	// File is the path relative to the config repo root, with forward slashes.
	File string
	// Line is 1-based; 0 when the problem has no single line (a missing file).
	Line int
	// Field is the field path inside the document, like spec.storage.size.
	Field string
	// Message says what was found and what was expected.
	Message string
}

func (e Error) Error() string {
	place := e.File
	if e.Line > 0 {
		place = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field == "" {
		return place + ": " + e.Message
	}
	return place + ": " + e.Field + ": " + e.Message
}

// ErrorList is every problem found in one revision. A revision with a
// non-empty ErrorList is rejected as a whole.
type ErrorList []Error

func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sorted orders errors by file, then line, so output is stable across runs.
func (l ErrorList) sorted() ErrorList {
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].File != l[j].File {
			return l[i].File < l[j].File
		}
		return l[i].Line < l[j].Line
	})
	return l
}

// MaxErrors bounds the errors one revision reports; past it a count stands
// for the rest, so a pathological file cannot flood logs and status.
const MaxErrors = 200

func (l ErrorList) capped() ErrorList {
	if len(l) <= MaxErrors {
		return l
	}
	rest := len(l) - MaxErrors
	l = l.sorted()[:MaxErrors]
	return append(l, Error{File: l[MaxErrors-1].File, Line: l[MaxErrors-1].Line, Message: fmt.Sprintf("and %d more errors", rest)})
}

// orNil returns nil for an empty list so callers can test err != nil.
func (l ErrorList) orNil() error {
	if len(l) == 0 {
		return nil
	}
	return l.sorted()
}
