package pages

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
)

// Write puts the built pages under dir (public/), leaving alone every file whose bytes are
// already right so that its timestamp stays. It returns the names of those it wrote, so that
// whoever runs it sees a page they did not mean to touch (a hand edit it has overwritten).
func Write(dir string, built map[string][]byte) ([]string, error) {
	var wrote []string
	for _, name := range sortedNames(built) {
		file := filepath.Join(dir, filepath.FromSlash(name))
		if old, err := os.ReadFile(file); err == nil && bytes.Equal(old, built[name]) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return wrote, fmt.Errorf("pages: %w", err)
		}
		if err := os.WriteFile(file, built[name], 0o644); err != nil {
			return wrote, fmt.Errorf("pages: %w", err)
		}
		wrote = append(wrote, name)
	}
	return wrote, nil
}

// Drift lists how the HTML files of public differ from the built pages: a page whose bytes
// differ (edited by hand, or a source changed without go generate), a page not committed, and
// an HTML file with no source. None means public/ is what the sources build.
func Drift(public fs.FS, built map[string][]byte) ([]string, error) {
	var drift []string
	for _, name := range sortedNames(built) {
		committed, err := fs.ReadFile(public, name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			drift = append(drift, name+": built but not committed")
		case err != nil:
			return nil, fmt.Errorf("pages: %w", err)
		case !bytes.Equal(committed, built[name]):
			drift = append(drift, name+": differs from what its source builds")
		}
	}
	orphans, err := orphans(public, built)
	return append(drift, orphans...), err
}

// orphans lists the HTML files of public that no source builds.
func orphans(public fs.FS, built map[string][]byte) ([]string, error) {
	var out []string
	err := fs.WalkDir(public, ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path.Ext(name) == ".html" && built[name] == nil {
			out = append(out, name+": no source in lib/pages/src/pages")
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	return out, nil
}

func sortedNames(built map[string][]byte) []string {
	names := make([]string, 0, len(built))
	for name := range built {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
