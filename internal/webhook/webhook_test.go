package webhook

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-logr/logr"
)

func TestHandler(t *testing.T) {
	secret := []byte("s3cret")
	body := `{"ref":"refs/heads/main"}`

	cases := []struct {
		name      string
		method    string
		secret    []byte
		header    string
		value     string
		body      string
		wantCode  int
		triggered bool
		standby   bool
	}{
		{"github signature", http.MethodPost, secret, "X-Hub-Signature-256", Sign(secret, []byte(body)), body, http.StatusAccepted, true, false},
		{"tidemark header", http.MethodPost, secret, "X-Tidemark-Signature-256", Sign(secret, []byte(body)), body, http.StatusAccepted, true, false},
		{"wrong secret", http.MethodPost, secret, "X-Hub-Signature-256", Sign([]byte("other"), []byte(body)), body, http.StatusUnauthorized, false, false},
		{"body changed", http.MethodPost, secret, "X-Hub-Signature-256", Sign(secret, []byte(body)), body + " ", http.StatusUnauthorized, false, false},
		{"no signature", http.MethodPost, secret, "", "", body, http.StatusUnauthorized, false, false},
		{"sha1 only", http.MethodPost, secret, "X-Hub-Signature", "sha1=abc", body, http.StatusUnauthorized, false, false},
		{"not hex", http.MethodPost, secret, "X-Hub-Signature-256", "sha256=zz", body, http.StatusUnauthorized, false, false},
		{"no secret configured", http.MethodPost, nil, "X-Hub-Signature-256", Sign(nil, []byte(body)), body, http.StatusForbidden, false, false},
		{"GET", http.MethodGet, secret, "", "", "", http.StatusMethodNotAllowed, false, false},
		{"too large", http.MethodPost, secret, "X-Hub-Signature-256", "sha256=00", strings.Repeat("x", MaxBody+1), http.StatusRequestEntityTooLarge, false, false},
		{"standby replica", http.MethodPost, secret, "X-Hub-Signature-256", Sign(secret, []byte(body)), body, http.StatusServiceUnavailable, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			triggered := false
			h := &Handler{Secret: tc.secret, Trigger: func() { triggered = true }, Active: func() bool { return !tc.standby }, Log: logr.Discard()}

			req := httptest.NewRequest(tc.method, "/hooks/git", strings.NewReader(tc.body))
			if tc.header != "" {
				req.Header.Set(tc.header, tc.value)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tc.wantCode || triggered != tc.triggered {
				t.Errorf("code %d triggered %v, want %d %v", rec.Code, triggered, tc.wantCode, tc.triggered)
			}
		})
	}
}
