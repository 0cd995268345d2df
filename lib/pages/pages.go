// Package pages builds the static pages of public/ from one source each (src/pages) and the
// skeleton they share (src/partials: head, headers, footer, layouts). Vercel serves public/
// as it is committed, with no build step, so the built pages are committed too; the test of
// this package fails when any of them differs from what its source builds (docs/pages.md).
package pages

//go:generate go run ../../cmd/pagegen

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"sort"
)

// Build renders every page under src/pages of fsys (the folder lib/pages) into a complete
// HTML document, keyed by its path under public/ ("login.html", "app/index.html").
func Build(fsys fs.FS) (map[string][]byte, error) {
	base, err := template.ParseFS(fsys, "src/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("pages: partials: %w", err)
	}
	names, err := pageSources(fsys)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(names))
	for _, name := range names {
		html, err := buildPage(fsys, base, name)
		if err != nil {
			return nil, fmt.Errorf("pages: %s: %w", name, err)
		}
		out[name] = html
	}
	return out, nil
}

// pageSources lists the page sources, relative to src/pages, in a stable order.
func pageSources(fsys fs.FS) ([]string, error) {
	pages, err := fs.Sub(fsys, "src/pages")
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	var names []string
	err = fs.WalkDir(pages, ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path.Ext(name) == ".html" {
			names = append(names, name)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pages: listing the sources: %w", err)
	}
	sort.Strings(names)
	return names, nil
}

// buildPage reads one source, parses its front matter and renders its body in its layout.
func buildPage(fsys fs.FS, base *template.Template, name string) ([]byte, error) {
	src, err := fs.ReadFile(fsys, "src/pages/"+name)
	if err != nil {
		return nil, err
	}
	p, body, err := parse(string(src))
	if err != nil {
		return nil, err
	}
	return render(base, p, body)
}

// render executes the page's layout with its body as the template "main". Each page gets a
// clone of the partials, so one page's body never leaks into another's.
func render(base *template.Template, p Page, body string) ([]byte, error) {
	t, err := base.Clone()
	if err != nil {
		return nil, err
	}
	if _, err := t.New("main").Parse(body); err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, p.Layout, p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
