package images

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// hashLen keeps tags short; 48 bits is plenty for one machine's images.
const hashLen = 12

// inputsHash hashes any JSON-encodable description of a step's inputs. Struct
// fields encode in declaration order and map keys sorted, so it is stable.
func inputsHash(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("hashing inputs: %v", err)) // only for unencodable types, a bug
	}
	sum := sha256.Sum256(data)

	return hex.EncodeToString(sum[:])[:hashLen]
}

// fileHash hashes a file's bytes.
func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}

	return hex.EncodeToString(h.Sum(nil))[:hashLen], nil
}
