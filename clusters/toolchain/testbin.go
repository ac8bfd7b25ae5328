package toolchain

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// TestBinaries builds kube-apiserver, kubectl and etcd and links them into one
// directory, CacheDir/testbin/<kubeVersion>, which it returns. controller-runtime's
// envtest takes that directory as its BinaryAssetsDirectory (KUBEBUILDER_ASSETS).
func TestBinaries(ctx context.Context, kubeVersion, etcdVersion string, opts Options) (string, error) {
	opts, err := opts.complete()
	if err != nil {
		return "", fmt.Errorf("building test binaries: %w", err)
	}

	kubeDir, err := Build(ctx, Kubernetes(kubeVersion, "kube-apiserver", "kubectl"), opts)
	if err != nil {
		return "", err
	}

	etcdDir, err := Build(ctx, Etcd(etcdVersion), opts)
	if err != nil {
		return "", err
	}

	dir := filepath.Join(opts.CacheDir, "testbin", kubeVersion)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating test binary dir: %w", err)
	}
	links := map[string]string{
		"kube-apiserver": filepath.Join(kubeDir, "kube-apiserver"),
		"kubectl":        filepath.Join(kubeDir, "kubectl"),
		"etcd":           filepath.Join(etcdDir, "etcd"),
	}
	for name, target := range links {
		if err := replaceSymlink(target, filepath.Join(dir, name)); err != nil {
			return "", err
		}
	}

	return dir, nil
}

// replaceSymlink points link at target. It renames a fresh link over the old one, so
// a test starting meanwhile sees either the old binary or the new one, never none.
func replaceSymlink(target, link string) error {
	if current, err := os.Readlink(link); err == nil && current == target {
		return nil
	}

	tmp := fmt.Sprintf("%s.tmp-%d", link, os.Getpid())
	_ = os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("linking %s: %w", link, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("linking %s: %w", link, err)
	}

	return nil
}
