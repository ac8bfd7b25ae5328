package source

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/tidemark/tidemark/internal/gittest"
)

// TestFetch_sharedCache runs several fetchers, as separate processes on one
// host would, against one cache while the branch moves. Every fetch must
// succeed and return a complete tree.
func TestFetch_sharedCache(t *testing.T) {
	repo := gittest.New(t)
	for i := range 50 {
		repo.Write(fmt.Sprintf("db/%02d.yaml", i), "x\n")
	}
	repo.Commit("fifty files")
	cache := t.TempDir()

	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for range 4 {
		wg.Go(func() {
			f, err := New(Options{URL: repo.URL(), CacheDir: cache})
			if err != nil {
				errs <- err
				return
			}
			for range 10 {
				rev, err := f.Fetch(context.Background())
				if err != nil {
					errs <- err
					continue
				}
				if entries, err := os.ReadDir(rev.Dir + "/db"); err != nil || len(entries) < 50 {
					errs <- fmt.Errorf("revision %s has %d files: %v", rev.SHA, len(entries), err)
				}
			}
		})
	}
	for i := range 5 {
		repo.Write(fmt.Sprintf("db/extra-%d.yaml", i), "y\n")
		repo.Commit(fmt.Sprintf("extra %d", i))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
