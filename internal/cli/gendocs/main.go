// Command gendocs writes akresp's markdown reference (make docs):
//
//	go run ./internal/cli/gendocs docs/reference
package main

import (
	"fmt"
	"os"

	"github.com/akresp/akresp/internal/cli"
)

func main() {
	dir := "docs/reference"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := cli.WriteReference(cli.NewRootCmd(cli.ReferenceFactory()), dir); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}
