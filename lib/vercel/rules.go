package vercel

import (
	"fmt"
	"go/ast"
	"go/scanner"
	"go/token"
	"regexp"
	"strconv"
	"strings"
)

// Violation is a way in which api/ breaks a rule of the Vercel Go builder.
type Violation struct {
	File string // slash-separated, relative to the module root
	Line int    // 0 when the violation concerns the whole file
	// Rule is a stable identifier, e.g. "package-main"; tests match on it.
	Rule    string
	Message string
}

func (v Violation) String() string {
	if v.Line > 0 {
		return fmt.Sprintf("%s:%d: %s [%s]", v.File, v.Line, v.Message, v.Rule)
	}
	return fmt.Sprintf("%s: %s [%s]", v.File, v.Message, v.Rule)
}

// Rules Scan checks, by identifier.
const (
	RuleParse       = "parse"              // the file does not parse, so the builder cannot analyse it
	RulePackageMain = "package-main"       // the builder refuses `package main` next to a go.mod
	RuleStdlibName  = "stdlib-name"        // the renamed module would collide with the standard library
	RuleReserved    = "reserved-name"      // the package name clashes with an import of the generated main
	RuleHandler     = "handler"            // not exactly one exported handler, or the builder picks another
	RuleNameReuse   = "handler-name-reuse" // the handler's name appears where the builder's rename hurts
	RuleInternal    = "internal-import"    // the renamed module may not import our internal packages
	RuleHTTPAlias   = "http-alias"         // the builder finds handlers by the text "http."
	RuleDuplicate   = "duplicate-handler"  // two functions in one package export the same handler name
	RuleConflict    = "path-conflict"      // Vercel's "conflicting paths" build error
	RuleImportPath  = "import-path"        // a folder name that cannot be part of a Go import path
)

// builderPick returns the function the builder's analyze.go takes as the handler, or nil.
// It reproduces analyze.go exactly, including its slicing of the source from the position
// of the `package` keyword rather than the file's start: with a package comment, the text
// it checks for "http.ResponseWriter" is not the parameter list at all, and it is usually
// the second, type-based loop that decides.
func builderPick(src []byte, f *ast.File) *ast.FuncDecl {
	offset := int(f.Pos())
	candidate := func(fn *ast.FuncDecl) bool {
		return fn.Name.IsExported() && len(fn.Type.Params.List) == 2 && (fn.Recv == nil || len(fn.Recv.List) == 0)
	}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || !candidate(fn) {
			continue
		}
		lo, hi := int(fn.Type.Params.Pos())-offset, int(fn.Type.Params.End())-offset
		if lo < 0 || hi > len(src) || lo > hi {
			continue // Go would panic here; the builder would fail. Either way, no pick.
		}
		params := string(src[lo:hi])
		if strings.Contains(params, "http.ResponseWriter") && strings.Contains(params, "*http.Request") {
			return fn
		}
	}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || !candidate(fn) {
			continue
		}
		for _, p := range fn.Type.Params.List {
			if strings.Contains(fmt.Sprintf("%s", p.Type), "http ResponseWriter") {
				return fn
			}
		}
	}
	return nil
}

// handlers returns the exported top-level functions of f whose parameters are exactly
// (http.ResponseWriter, *http.Request): what we mean by "a handler".
func handlers(f *ast.File) []*ast.FuncDecl {
	var out []*ast.FuncDecl
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || !fn.Name.IsExported() || fn.Type.TypeParams != nil {
			continue
		}
		var types []string
		for _, p := range fn.Type.Params.List {
			n := max(len(p.Names), 1)
			for range n {
				types = append(types, typeString(p.Type))
			}
		}
		if len(types) == 2 && types[0] == "http.ResponseWriter" && types[1] == "*http.Request" {
			out = append(out, fn)
		}
	}
	return out
}

func typeString(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return "*" + typeString(t.X)
	case *ast.SelectorExpr:
		if x, ok := t.X.(*ast.Ident); ok {
			return x.Name + "." + t.Sel.Name
		}
	}
	return ""
}

// packageViolations checks a function file's package name.
func packageViolations(file string, f *ast.File) []Violation {
	name := f.Name.Name
	switch {
	case name == "main":
		return []Violation{{File: file, Rule: RulePackageMain, Message: "package main is refused by the builder (\"Please change `package main` to `package handler`\")"}}
	case stdlibRoots[name]:
		return []Violation{{File: file, Rule: RuleStdlibName, Message: fmt.Sprintf("package %s: the builder renames the module to the package name, which then collides with the standard library's %q", name, name)}}
	case name == "vc":
		return []Violation{{File: file, Rule: RuleReserved, Message: "package vc: the builder's generated main imports go-bridge as vc"}}
	}
	return nil
}

// importViolations checks the imports of any file the builder compiles.
func importViolations(file string, fset *token.FileSet, f *ast.File) []Violation {
	var out []Violation
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		line := fset.Position(imp.Pos()).Line
		if p == "net/http" && imp.Name != nil && imp.Name.Name != "http" {
			out = append(out, Violation{File: file, Line: line, Rule: RuleHTTPAlias, Message: fmt.Sprintf("net/http imported as %s: the builder finds the handler by the text \"http.ResponseWriter\"", imp.Name.Name)})
		}
		for _, elem := range strings.Split(p, "/") {
			if elem == "internal" {
				out = append(out, Violation{File: file, Line: line, Rule: RuleInternal, Message: fmt.Sprintf("imports %s: the builder renames the module, so internal packages are no longer importable", p)})
				break
			}
		}
	}
	return out
}

// nameUses returns the lines where name is used in code other than at declOffset: identifiers
// (not selector fields) and string literals containing " name" followed by a word boundary.
// The builder rewrites every ` Name\b` in the handler's file and nothing elsewhere, so such
// a use either changes a string, renames something else, or leaves a dangling reference.
// Comments are exempt: rewriting them changes nothing that is compiled, and Go doc
// comments conventionally start with the name.
func nameUses(src []byte, name string, declOffset int) []int {
	rewritten := regexp.MustCompile(" " + regexp.QuoteMeta(name) + `\b`)
	fset := token.NewFileSet()
	tf := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(tf, src, nil, 0)
	var lines []int
	prev := token.ILLEGAL
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			return lines
		}
		hit := false
		switch tok {
		case token.IDENT:
			hit = lit == name && prev != token.PERIOD && tf.Offset(pos) != declOffset
		case token.STRING, token.CHAR:
			hit = rewritten.MatchString(lit)
		}
		if hit {
			lines = append(lines, tf.Line(pos))
		}
		prev = tok
	}
}
