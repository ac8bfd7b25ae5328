package app

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tidemark/tidemark/specs"
)

func newValidateCommand() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "validate [REPO_DIR]",
		Short: "Check every spec of a config repo checkout, as a commit hook or CI step would",
		Long: `Loads every *.yaml and *.yml below --path of REPO_DIR (default: the current
folder) with the same strict checks the daemon applies, and prints each
problem as file:line: field: message. Exits 1 when anything is wrong.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return runValidate(cmd, dir, path)
		},
	}
	cmd.Flags().StringVar(&path, "path", "", "folder of the repo that holds the specs (default: the whole repo)")
	return cmd
}

func runValidate(cmd *cobra.Command, dir, path string) error {
	rev, err := specs.Load(dir, specs.LoadOptions{Path: path})

	var list specs.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(cmd.ErrOrStderr(), e.Error())
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "%s found; nothing would be applied\n", plural(len(list), "problem"))
		return ExitError{Code: 1}
	}
	if err != nil {
		return err
	}

	noun := "databases"
	if len(rev.Specs) == 1 {
		noun = "database"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%d %s valid\n", len(rev.Specs), noun)
	return nil
}

// plural says "1 problem", "2 problems".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
