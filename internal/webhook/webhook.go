// Package webhook receives push notifications from a Git host and turns
// each authentic one into a sync trigger.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"

	"github.com/go-logr/logr"
)

// MaxBody bounds what a hook request may send; push payloads are far smaller.
const MaxBody = 1 << 20

// signatureHeaders are checked in order: GitHub's and Gitea's name, then ours.
var signatureHeaders = []string{"X-Hub-Signature-256", "X-Tidemark-Signature-256"}

// Handler checks the HMAC-SHA256 signature of a POST and calls Trigger.
type Handler struct {
	// Secret is the shared HMAC key; with none, every request is refused.
	Secret  []byte
	Trigger func()
	// Active reports whether this replica runs the sync loop; a standby
	// refuses hooks so the sender sees the delivery failed. Nil means always.
	Active func() bool
	Log    logr.Logger
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	if len(h.Secret) == 0 {
		http.Error(w, "webhook secret not configured", http.StatusForbidden)
		return
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil || len(body) > MaxBody {
		http.Error(w, "body unreadable or too large", http.StatusRequestEntityTooLarge)
		return
	}

	if !h.authentic(r.Header, body) {
		h.Log.Info("webhook refused: bad or missing signature", "remote", r.RemoteAddr)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}

	if h.Active != nil && !h.Active() {
		http.Error(w, "standby replica: the elected leader applies commits; send hooks to it", http.StatusServiceUnavailable)
		return
	}

	h.Trigger()
	h.Log.Info("webhook accepted; sync triggered", "remote", r.RemoteAddr)
	w.WriteHeader(http.StatusAccepted)
}

// authentic reports whether a header carries "sha256=<hex>" of body under
// the secret, compared in constant time.
func (h *Handler) authentic(header http.Header, body []byte) bool {
	mac := hmac.New(sha256.New, h.Secret)
	mac.Write(body)
	want := mac.Sum(nil)

	for _, name := range signatureHeaders {
		value, ok := strings.CutPrefix(header.Get(name), "sha256=")
		if !ok {
			continue
		}
		got, err := hex.DecodeString(value)
		if err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// Sign returns the header value for body under secret, for clients and tests.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
