package source

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// startGitHTTPServer serves the repositories under root with git
// http-backend on 127.0.0.1, to clients that send token as their basic-auth
// password. A user other than "git" must be "deploy".
func startGitHTTPServer(t *testing.T, root, token string) string {
	t.Helper()
	backend := &cgi.Handler{
		Path:       "/usr/bin/git",
		Args:       []string{"http-backend"},
		Env:        append([]string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}, gitEnv...),
		InheritEnv: []string{"PATH"},
	}
	auth := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, password, ok := r.BasicAuth()
		ok = ok && (user == "git" || user == "deploy")
		if !ok || subtle.ConstantTimeCompare([]byte(password), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	})

	srv := httptest.NewServer(auth)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestFetch_http fetches through git's smart HTTP protocol with a token.
func TestFetch_http(t *testing.T) {
	t.Parallel()
	const token = "s3cret-token"
	repo := newRepo(t)
	first := commit(t, repo, "first", file("a", "1"))
	base := startGitHTTPServer(t, filepath.Dir(repo), token)
	url := base + "/" + filepath.Base(repo)

	tests := []struct {
		name    string
		url     string
		ref     Ref
		token   string
		wantErr error
	}{
		{name: "right token", url: url, token: token},
		{name: "right token, user in url", url: strings.Replace(url, "://", "://deploy@", 1), token: token},
		{name: "right token, wrong user in url", url: strings.Replace(url, "://", "://intruder@", 1), token: token, wantErr: ErrAuth},
		{name: "wrong token", url: url, token: "guess", wantErr: ErrAuth},
		{name: "no token", url: url, wantErr: ErrAuth},
		{name: "missing repository", url: base + "/missing", token: token, wantErr: ErrNotFound},
		{name: "missing branch", url: url, ref: Ref{Branch: "nope"}, token: token, wantErr: ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFetcher(t, Options{URL: tc.url, Ref: tc.ref, Auth: Auth{Token: tc.token}})

			rev, err := f.Fetch(t.Context())

			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Fetch error = %v, want %v", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.url) {
					t.Errorf("error %q does not name the url", err)
				}
				if tc.token != "" && strings.Contains(err.Error(), tc.token) {
					t.Errorf("error %q shows the token", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if rev.SHA != first {
				t.Errorf("SHA = %s, want %s", rev.SHA, first)
			}
		})
	}
}

// TestFetch_httpIncremental checks that a second fetch over HTTP picks up a
// new commit into the same cache.
func TestFetch_httpIncremental(t *testing.T) {
	t.Parallel()
	const token = "s3cret-token"
	repo := newRepo(t)
	first := commit(t, repo, "first", file("a", "1"))
	base := startGitHTTPServer(t, filepath.Dir(repo), token)
	f := newTestFetcher(t, Options{URL: base + "/" + filepath.Base(repo), Auth: Auth{Token: token}})
	mustFetch(t, f)
	packs := packFiles(t, f)

	second := commit(t, repo, "second", file("a", "2"), file("b", "3"))
	rev := mustFetch(t, f)

	if rev.SHA != second || rev.Previous != first || rev.Rewritten {
		t.Errorf("got SHA %s previous %s rewritten %v, want %s %s false",
			rev.SHA, rev.Previous, rev.Rewritten, second, first)
	}
	wantTree(t, rev.Dir, map[string]string{"a": "2", "b": "3"})
	if got := packFiles(t, f); len(got) != len(packs)+1 || !containsAll(got, packs) {
		t.Errorf("packs after the second fetch = %v, want %v plus one", got, packs)
	}
}
