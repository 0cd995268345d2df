package vercel

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// goFile is a Go file under api/ that the builder compiles.
type goFile struct {
	rel      string // relative to the module root
	proj     string // relative to the project root (the folder holding api/)
	dir      string // absolute folder
	function bool   // the file is a Vercel function, not only compiled along
	src      []byte
	ast      *ast.File
	pick     *ast.FuncDecl // the builder's handler, when it finds one
}

// Scan walks apiDir as Vercel and its Go builder do and returns one Route per function
// (Handler left nil, Import and Func set), sorted by path, and every broken builder rule.
// The error is for the walk itself; a file that does not parse is a Violation.
func Scan(apiDir string) ([]Route, []Violation, error) {
	abs, err := filepath.Abs(apiDir)
	if err != nil {
		return nil, nil, err
	}
	root, module, err := findModule(abs)
	if err != nil {
		return nil, nil, err
	}
	project := filepath.Dir(abs)
	var all []string // every file under api/, for Vercel's path conflict check
	var files []*goFile
	err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			// Go ignores dot folders and Vercel ignores them and node_modules.
			if p != abs && (strings.HasPrefix(name, ".") || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		proj := slashRel(project, p)
		all = append(all, proj)
		// Vercel's function glob is api/**/!(*_test).go, minus any path with "/_" or "/.";
		// Go compiles neither test files nor files starting with "_" or ".".
		if filepath.Ext(name) != ".go" || strings.HasSuffix(name, "_test.go") || name[0] == '_' || name[0] == '.' {
			return nil
		}
		files = append(files, &goFile{
			rel:      slashRel(root, p),
			proj:     proj,
			dir:      filepath.Dir(p),
			function: !strings.Contains(proj, "/_"),
		})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}

	var routes []Route
	var vs []Violation
	fset := token.NewFileSet()
	for _, f := range files {
		if f.src, err = os.ReadFile(filepath.Join(root, filepath.FromSlash(f.rel))); err != nil {
			return nil, nil, err
		}
		f.ast, err = parser.ParseFile(fset, f.rel, f.src, parser.SkipObjectResolution)
		if err != nil {
			vs = append(vs, Violation{File: f.rel, Rule: RuleParse, Message: err.Error()})
			continue
		}
		vs = append(vs, importViolations(f.rel, fset, f.ast)...)
		if !f.function {
			continue
		}
		vs = append(vs, fileViolations(f, fset, root)...)
		if f.pick != nil {
			importPath := module
			if d := slashRel(root, f.dir); d != "." {
				importPath += "/" + d
			}
			routes = append(routes, Route{Path: routePath(f.proj), File: f.rel, Import: importPath, Func: f.pick.Name.Name})
		}
	}
	vs = append(vs, packageLevel(files)...)
	vs = append(vs, conflicts(files, all)...)

	sort.Slice(routes, func(i, j int) bool { return routes[i].Path < routes[j].Path })
	sort.SliceStable(vs, func(i, j int) bool {
		a, b := vs[i], vs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return routes, vs, nil
}

// fileViolations checks one function file and records the builder's pick in f.
func fileViolations(f *goFile, fset *token.FileSet, root string) []Violation {
	vs := packageViolations(f.rel, f.ast)
	for _, elem := range strings.Split(slashRel(root, f.dir), "/") {
		if !importPathElem.MatchString(elem) {
			vs = append(vs, Violation{File: f.rel, Rule: RuleImportPath, Message: fmt.Sprintf("folder %q cannot be part of a Go import path; a dynamic segment must be the file name, e.g. api/reports/[id].go", elem)})
		}
	}
	f.pick = builderPick(f.src, f.ast)
	hs := handlers(f.ast)
	switch {
	case len(hs) == 0 && f.pick == nil:
		vs = append(vs, Violation{File: f.rel, Rule: RuleHandler, Message: "no exported func(http.ResponseWriter, *http.Request): the builder finds no handler"})
	case len(hs) > 1:
		vs = append(vs, Violation{File: f.rel, Rule: RuleHandler, Message: fmt.Sprintf("%d exported handlers (%s); export exactly one", len(hs), funcNames(hs))})
	case len(hs) == 0:
		vs = append(vs, Violation{File: f.rel, Line: fset.Position(f.pick.Pos()).Line, Rule: RuleHandler, Message: fmt.Sprintf("the builder would take %s, which is not a func(http.ResponseWriter, *http.Request)", f.pick.Name.Name)})
	case f.pick != hs[0]:
		vs = append(vs, Violation{File: f.rel, Line: fset.Position(f.pick.Pos()).Line, Rule: RuleHandler, Message: fmt.Sprintf("the builder would take %s instead of %s (see builderPick)", f.pick.Name.Name, hs[0].Name.Name)})
	}
	if f.pick != nil {
		name := f.pick.Name.Name
		for _, line := range nameUses(f.src, name, fset.Position(f.pick.Name.Pos()).Offset) {
			vs = append(vs, Violation{File: f.rel, Line: line, Rule: RuleNameReuse, Message: fmt.Sprintf("%s used again: the builder rewrites every \" %s\" in this file while building", name, name)})
		}
	}
	return vs
}

// importPathElem is what `go build` accepts in an import path element.
var importPathElem = regexp.MustCompile(`^[A-Za-z0-9_~+-][A-Za-z0-9._~+-]*$`)

func funcNames(fns []*ast.FuncDecl) string {
	names := make([]string, len(fns))
	for i, fn := range fns {
		names[i] = fn.Name.Name
	}
	return strings.Join(names, ", ")
}

// packageLevel finds handler names declared twice in one package, and handler names used
// from a sibling file, which the builder does not rename and so leaves dangling.
func packageLevel(files []*goFile) []Violation {
	var vs []Violation
	byName := map[string][]*goFile{} // dir + handler name → files
	for _, f := range files {
		if f.pick != nil {
			key := f.dir + "\x00" + f.pick.Name.Name
			byName[key] = append(byName[key], f)
		}
	}
	for _, f := range files {
		if f.pick == nil {
			continue
		}
		name := f.pick.Name.Name
		for _, dup := range byName[f.dir+"\x00"+name] {
			if dup != f {
				vs = append(vs, Violation{File: f.rel, Rule: RuleDuplicate, Message: fmt.Sprintf("handler %s is also declared by %s in the same package", name, dup.rel)})
			}
		}
		for _, sib := range files {
			if sib == f || sib.dir != f.dir || sib.ast == nil || sib.pick != nil && sib.pick.Name.Name == name {
				continue
			}
			for _, line := range nameUses(sib.src, name, -1) {
				vs = append(vs, Violation{File: sib.rel, Line: line, Rule: RuleNameReuse, Message: fmt.Sprintf("uses %s, which the builder renames in %s only", name, f.rel)})
			}
		}
	}
	return vs
}

// routePath is the URL path of a function file: "api/x/index.go" serves /api/x.
func routePath(proj string) string {
	p := strings.TrimSuffix(proj, ".go")
	if path.Base(p) == "index" {
		p = path.Dir(p)
	}
	return "/" + p
}

func slashRel(base, p string) string {
	r, err := filepath.Rel(base, p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(r)
}

// findModule returns the folder of the go.mod governing dir and its module path.
func findModule(dir string) (root, module string, err error) {
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			sc := bufio.NewScanner(bytes.NewReader(data))
			for sc.Scan() {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module"); ok {
					m := strings.Trim(strings.TrimSpace(strings.SplitN(rest, "//", 2)[0]), `"`)
					return d, m, nil
				}
			}
			return "", "", fmt.Errorf("%s: no module line", filepath.Join(d, "go.mod"))
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", "", err
		}
		if filepath.Dir(d) == d {
			return "", "", fmt.Errorf("no go.mod above %s", dir)
		}
	}
}
