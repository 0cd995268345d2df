package pages

import (
	"errors"
	"fmt"
	"strings"
)

// Page is what a source's front matter says about its page; the partials read it.
type Page struct {
	Layout      string // public, auth, app or shared (src/partials/layouts.html)
	Title       string // the whole <title>
	Description string // the meta description: the product's unless the source says none
	Robots      string // the meta robots content, if any
	Referrer    string // the meta referrer policy, if any
	Script      string // the page's ES module, if any
	Current     string // the public header's link to mark as this page: security, login or signup
}

// productDescription is the meta description of every page whose source sets none.
const productDescription = "Metriqs turns your Google Analytics 4, Search Console, Stripe and GitHub numbers into clear periodic reports."

// layouts are the templates of src/partials/layouts.html a page may name, and whether the
// public header (which "current" marks) is part of them.
var layouts = map[string]bool{"public": true, "auth": true, "app": false, "shared": false}

// currents are the public header's links "current" may name.
var currents = map[string]bool{"security": true, "login": true, "signup": true}

// separator ends the front matter; the page's body follows it.
const separator = "\n---\n"

// parse splits a source into its front matter, read strictly (every key known, none twice,
// layout and title required), and its body.
func parse(src string) (Page, string, error) {
	head, body, ok := strings.Cut(src, separator)
	if !ok {
		return Page{}, "", errors.New(`no front matter: expected "key: value" lines, then a line "---"`)
	}
	fields, err := fields(head)
	if err != nil {
		return Page{}, "", err
	}
	p, err := page(fields)
	if err != nil {
		return Page{}, "", err
	}
	return p, body, validate(p)
}

// fields reads the front matter's "key: value" lines.
func fields(head string) (map[string]string, error) {
	out := map[string]string{}
	for i, line := range strings.Split(head, "\n") {
		key, value, ok := strings.Cut(line, ":")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if !ok || key == "" || value == "" {
			return nil, fmt.Errorf(`front matter line %d: want "key: value", got %q`, i+1, line)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("front matter line %d: %s given twice", i+1, key)
		}
		out[key] = value
	}
	return out, nil
}

// page moves the fields into a Page, refusing any key it does not know.
func page(fields map[string]string) (Page, error) {
	p := Page{Description: productDescription}
	slots := map[string]*string{"layout": &p.Layout, "title": &p.Title, "description": &p.Description,
		"robots": &p.Robots, "referrer": &p.Referrer, "script": &p.Script, "current": &p.Current}
	for key, value := range fields {
		slot, ok := slots[key]
		if !ok {
			return Page{}, fmt.Errorf("front matter: unknown key %q", key)
		}
		*slot = value
	}
	if p.Description == "none" {
		p.Description = ""
	}
	return p, nil
}

// validate checks what the partials rely on.
func validate(p Page) error {
	publicHeader, ok := layouts[p.Layout]
	switch {
	case !ok:
		return fmt.Errorf("front matter: layout %q is none of public, auth, app, shared", p.Layout)
	case p.Title == "":
		return errors.New("front matter: no title")
	case p.Current != "" && !publicHeader:
		return fmt.Errorf("front matter: current is for the public header; layout %s has none", p.Layout)
	case p.Current != "" && !currents[p.Current]:
		return fmt.Errorf("front matter: current %q is none of security, login, signup", p.Current)
	}
	return nil
}
