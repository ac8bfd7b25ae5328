// Command tidemark applies a Git repository of Database specs to Kubernetes.
package main

import "github.com/tidemark/tidemark/cmd/tidemark/app"

func main() {
	app.Main()
}
