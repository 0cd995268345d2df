// Command routegen writes lib/routes/table_gen.go, the table of every function under api/,
// found by the same rules as the Vercel Go builder. It refuses to write a table for an api/
// that would not deploy, and lists why.
//
//	go run ./cmd/routegen      (from the repository root)
//	go generate ./lib/routes   (runs it from lib/routes)
//
// With -exempt-api-redirects FILE it instead edits a built .vercel/output/config.json so that
// no platform redirect applies under /api (vercel.ExemptAPIFromRedirects; scripts/vercel-build.sh
// runs it on every build).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/trymetriqs/metriqs/lib/vercel"
)

func main() {
	exempt := flag.String("exempt-api-redirects", "", "edit this config.json: no redirect under /api")
	flag.Parse()
	run := run
	if *exempt != "" {
		run = func() error { return exemptAPIRedirects(*exempt) }
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "routegen:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	routes, violations, err := vercel.Scan(filepath.Join(root, "api"))
	if err != nil {
		return err
	}
	if len(violations) > 0 {
		for _, v := range violations {
			fmt.Fprintln(os.Stderr, v)
		}
		return fmt.Errorf("%d Vercel Go builder rule(s) broken under api/; table not written", len(violations))
	}
	src, err := vercel.Generate(routes)
	if err != nil {
		return err
	}
	out := filepath.Join(root, "lib", "routes", "table_gen.go")
	if old, err := os.ReadFile(out); err == nil && bytes.Equal(old, src) {
		return nil // unchanged: keep the file's timestamp, and go build's cache, as they are
	}
	if err := os.WriteFile(out, src, 0o644); err != nil {
		return err
	}
	fmt.Printf("routegen: wrote %s (%d functions)\n", out, len(routes))
	return nil
}

// moduleRoot finds the folder holding go.mod, so that both `go run ./cmd/routegen` from the
// root and `go generate` from lib/routes work.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod in this folder or above")
		}
		dir = parent
	}
}

// exemptAPIRedirects applies vercel.ExemptAPIFromRedirects to the config.json at file.
func exemptAPIRedirects(file string) error {
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	out, n, err := vercel.ExemptAPIFromRedirects(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, append(out, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Printf("routegen: %s: %d redirects no longer apply under /api\n", file, n)
	return nil
}
