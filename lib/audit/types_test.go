package audit

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// eventTypes reads the event-type constants from audit.go, so a type added there is checked
// below without anyone remembering to list it.
func eventTypes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "audit.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			for _, v := range spec.(*ast.ValueSpec).Values {
				if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, _ := strconv.Unquote(lit.Value)
					types = append(types, s)
				}
			}
		}
	}
	if len(types) < 10 {
		t.Fatalf("found only %d event types in audit.go", len(types))
	}
	return types
}

// Every event type is documented in API.md and has words in the settings page, which
// otherwise shows the raw type.
func TestEventTypesDocumentedAndLabelled(t *testing.T) {
	api, err := os.ReadFile("../../docs/API.md")
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile("../../public/js/pages/settings.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range eventTypes(t) {
		if !strings.Contains(string(api), "`"+typ+"`") {
			t.Errorf("docs/API.md does not list security-log type %q", typ)
		}
		if !strings.Contains(string(page), "\n  "+typ+":") {
			t.Errorf("public/js/pages/settings.js has no label for %q", typ)
		}
	}
}
