package toolchain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
)

// buildInputs is everything that decides the bytes of the built binaries. Two builds
// with equal inputs share one cache directory, so a field missing here would let a
// stale binary be reused.
type buildInputs struct {
	Module       string
	Version      string
	LocalVersion string
	Binaries     []Binary
	Flags        []string
	// GoEnv holds the toolchain and target settings, e.g. GOVERSION and GOARCH.
	GoEnv map[string]string
}

// hashLen keeps directory names short; 48 bits is plenty for a per-machine cache.
const hashLen = 12

// inputsHash returns a short hex digest of in. The order of binaries does not
// matter, since building the same set yields the same files.
func inputsHash(in buildInputs) string {
	in.Binaries = slices.Clone(in.Binaries)
	slices.SortFunc(in.Binaries, func(a, b Binary) int { return strings.Compare(a.Name, b.Name) })

	// encoding/json writes struct fields in declaration order and map keys sorted,
	// so the encoding is stable; it cannot fail for these field types.
	data, _ := json.Marshal(in)
	sum := sha256.Sum256(data)

	return hex.EncodeToString(sum[:])[:hashLen]
}
