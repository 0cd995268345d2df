// Command pagegen writes the static pages of public/ from their sources in lib/pages/src
// (lib/pages.Build); docs/pages.md says how to edit a page.
//
//	go generate ./lib/pages   (runs it from lib/pages)
//	go run ./cmd/pagegen      (from the repository root)
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/trymetriqs/metriqs/lib/pages"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pagegen:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	// The sources on disk, not the embedded copy, so that an edit counts without a rebuild.
	built, err := pages.Build(os.DirFS(filepath.Join(root, "lib", "pages")))
	if err != nil {
		return err
	}
	wrote, err := pages.Write(filepath.Join(root, "public"), built)
	for _, name := range wrote {
		fmt.Println("pagegen: wrote public/" + name)
	}
	if err != nil {
		return err
	}
	fmt.Printf("pagegen: %d of %d pages written\n", len(wrote), len(built))
	return nil
}

// moduleRoot asks the go command, which runs this one, for the folder of go.mod, so that both
// `go run ./cmd/pagegen` from the root and `go generate` from lib/pages work.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("no go.mod found by go env GOMOD (%q): %v", gomod, err)
	}
	return filepath.Dir(gomod), nil
}
