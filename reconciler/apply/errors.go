package apply

import "k8s.io/apimachinery/pkg/api/meta"

// isNoKindMatch reports whether the API server does not serve the kind at
// all, as when a CRD is not installed yet.
func isNoKindMatch(err error) bool {
	return err != nil && meta.IsNoMatchError(err)
}
