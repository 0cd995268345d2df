package vercel

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// writeTree lays out a module example.com/site holding files, and returns its api folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	files["go.mod"] = "module example.com/site\n\ngo 1.26\n"
	for name, src := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(root, "api")
}

// handler is a minimal function file.
func handler(pkg, name string) string {
	return "package " + pkg + "\n\nimport \"net/http\"\n\nfunc " + name + "(w http.ResponseWriter, r *http.Request) {}\n"
}

func TestScanRoutes(t *testing.T) {
	api := writeTree(t, map[string]string{
		"api/health.go":             "// Package api is at the top of /api.\n" + handler("api", "HandleHealth"),
		"api/index.go":              handler("api", "HandleIndex"),
		"api/reports/[id].go":       handler("reports", "HandleReport"),
		"api/reports/index.go":      handler("reports", "HandleReports"),
		"api/oauth-callback/x.go":   handler("callback", "HandleX"),
		"api/health_test.go":        "package api\n",
		"api/_helpers.go":           "package api\n",
		"api/_lib/shared.go":        handler("lib", "HandleShared"), // a package, not a function
		"api/.hidden/x.go":          handler("hidden", "HandleHidden"),
		"api/node_modules/x/x.go":   handler("x", "HandleX"),
		"api/README.md":             "not a function",
		"lib/outside/outside.go":    handler("outside", "HandleOutside"),
		"api/jobs/purge/account.go": handler("purge", "HandlePurge"),
	})
	routes, vs, err := Scan(api)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) > 0 {
		t.Fatalf("unexpected violations: %v", vs)
	}
	want := []Route{
		{Path: "/api", File: "api/index.go", Import: "example.com/site/api", Func: "HandleIndex"},
		{Path: "/api/health", File: "api/health.go", Import: "example.com/site/api", Func: "HandleHealth"},
		{Path: "/api/jobs/purge/account", File: "api/jobs/purge/account.go", Import: "example.com/site/api/jobs/purge", Func: "HandlePurge"},
		{Path: "/api/oauth-callback/x", File: "api/oauth-callback/x.go", Import: "example.com/site/api/oauth-callback", Func: "HandleX"},
		{Path: "/api/reports", File: "api/reports/index.go", Import: "example.com/site/api/reports", Func: "HandleReports"},
		{Path: "/api/reports/[id]", File: "api/reports/[id].go", Import: "example.com/site/api/reports", Func: "HandleReport"},
	}
	if !slices.EqualFunc(routes, want, func(a, b Route) bool {
		return a.Path == b.Path && a.File == b.File && a.Import == b.Import && a.Func == b.Func && a.Handler == nil
	}) {
		t.Errorf("routes:\n got %+v\nwant %+v", routes, want)
	}
}

func TestScanViolations(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // "file:rule", sorted
	}{
		{"clean", map[string]string{"api/a.go": handler("api", "HandleA")}, nil},
		{"package main", map[string]string{"api/a.go": handler("main", "HandleA")}, []string{"api/a.go:package-main"}},
		{"standard library name", map[string]string{"api/time/a.go": handler("time", "HandleA")}, []string{"api/time/a.go:stdlib-name"}},
		{"go-bridge alias", map[string]string{"api/a.go": handler("vc", "HandleA")}, []string{"api/a.go:reserved-name"}},
		{"no handler", map[string]string{"api/a.go": "package api\n\nfunc HandleA() {}\n"}, []string{"api/a.go:handler"}},
		{"unexported handler", map[string]string{"api/a.go": handler("api", "handleA")}, []string{"api/a.go:handler"}},
		{"method is not a handler", map[string]string{"api/a.go": "package api\n\nimport \"net/http\"\n\ntype T struct{}\n\nfunc (T) HandleA(w http.ResponseWriter, r *http.Request) {}\n"}, []string{"api/a.go:handler"}},
		{"two handlers", map[string]string{"api/a.go": handler("api", "HandleA") + "\nfunc HandleB(w http.ResponseWriter, r *http.Request) {}\n"}, []string{"api/a.go:handler"}},
		{"builder matches text, not types", map[string]string{"api/a.go": "package api\n\nimport \"net/http\"\n\nfunc Wrap(h func(http.ResponseWriter, *http.Request), n int) {}\n\nfunc HandleA(w http.ResponseWriter, r *http.Request) {}\n"}, []string{"api/a.go:handler"}},
		{"builder reads the wrong bytes after a package comment", map[string]string{"api/a.go": decoyAfterPackageComment}, []string{"api/a.go:handler"}},
		{"name in code", map[string]string{"api/a.go": handler("api", "HandleA") + "\nvar _ = HandleA\n"}, []string{"api/a.go:handler-name-reuse"}},
		{"name in a string", map[string]string{"api/a.go": handler("api", "HandleA") + "\nconst s = \"see HandleA\"\n"}, []string{"api/a.go:handler-name-reuse"}},
		{"name in comments and as a field is fine", map[string]string{"api/a.go": "package api\n\nimport \"net/http\"\n\n// HandleA serves /api/a. HandleA is fine here.\nfunc HandleA(w http.ResponseWriter, r *http.Request) { _ = r.URL.HandleAx; _ = x.HandleA }\n\nconst s = \"HandleAB, xHandleA\"\n"}, nil},
		{"name used by a sibling file", map[string]string{"api/a.go": handler("api", "HandleA"), "api/_util.go": "package api\n", "api/helper/x.go": handler("helper", "HandleX"), "api/b.go": handler("api", "HandleB") + "\nvar _ = HandleA\n"}, []string{"api/b.go:handler-name-reuse"}},
		{"same handler name twice in a package", map[string]string{"api/a.go": handler("api", "HandleA"), "api/b.go": handler("api", "HandleA")}, []string{"api/a.go:duplicate-handler", "api/b.go:duplicate-handler"}},
		{"same name in different packages is fine", map[string]string{"api/a.go": handler("api", "HandleA"), "api/x/a.go": handler("x", "HandleA")}, nil},
		{"internal import", map[string]string{"api/a.go": "package api\n\nimport (\n\t\"net/http\"\n\n\t\"example.com/site/internal/db\"\n)\n\nfunc HandleA(w http.ResponseWriter, r *http.Request) { db.X() }\n"}, []string{"api/a.go:internal-import"}},
		{"internal import from a helper file", map[string]string{"api/a.go": handler("api", "HandleA"), "api/_lib/x.go": "package lib\n\nimport \"example.com/site/x/internal\"\n"}, []string{"api/_lib/x.go:internal-import"}},
		{"aliased net/http", map[string]string{"api/a.go": "package api\n\nimport nethttp \"net/http\"\n\nfunc HandleA(w nethttp.ResponseWriter, r *nethttp.Request) {}\n"}, []string{"api/a.go:handler", "api/a.go:http-alias"}},
		{"explicit http name is fine", map[string]string{"api/a.go": "package api\n\nimport http \"net/http\"\n\nfunc HandleA(w http.ResponseWriter, r *http.Request) {}\n"}, nil},
		{"dynamic folder", map[string]string{"api/[id]/x.go": handler("x", "HandleX")}, []string{"api/[id]/x.go:import-path"}},
		{"does not parse", map[string]string{"api/a.go": "package api\n\nfunc {"}, []string{"api/a.go:parse"}},
		{"same path twice", map[string]string{"api/x.go": handler("api", "HandleX"), "api/x/index.go": handler("x", "HandleIndex")}, []string{"api/x.go:path-conflict", "api/x/index.go:path-conflict"}},
		{"same path as a non-Go file", map[string]string{"api/x.go": handler("api", "HandleX"), "api/x.json": "{}"}, []string{"api/x.go:path-conflict"}},
		{"two parameter names in one place", map[string]string{"api/r/[id].go": handler("r", "HandleID"), "api/r/[slug].go": handler("r", "HandleSlug")}, []string{"api/r/[id].go:path-conflict", "api/r/[slug].go:path-conflict"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, vs, err := Scan(writeTree(t, tt.files))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				got = append(got, v.File+":"+v.Rule)
			}
			sort.Strings(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("violations = %q, want %q\n%v", got, tt.want, vs)
			}
		})
	}
}

// decoyAfterPackageComment makes the builder's analyze.go take Decoy: it slices the source
// from the `package` keyword's position, so the package comment shifts the window it reads
// for Decoy's parameters onto the comment above Decoy. Checked against the real analyzer of
// @vercel/go 3.11.0.
const decoyAfterPackageComment = `// Package api: 0123456789 0123456789 0123456789 0123456789
package api

import "net/http"

// http.ResponseWriter *http.Request
//yyyyyyyyy
func Decoy(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa string, b string) {}

// HandleX is real.
func HandleX(w http.ResponseWriter, r *http.Request) {}
`

func TestScanReportsLinesAndMessages(t *testing.T) {
	_, vs, err := Scan(writeTree(t, map[string]string{
		"api/a.go": handler("api", "HandleA") + "\nvar _ = HandleA\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 || vs[0].Line != 7 || !strings.HasPrefix(vs[0].String(), "api/a.go:7: ") || !strings.HasSuffix(vs[0].String(), "[handler-name-reuse]") {
		t.Errorf("violations = %v, want one at api/a.go:7", vs)
	}
	if s := (Violation{File: "f.go", Rule: "r", Message: "m"}).String(); s != "f.go: m [r]" {
		t.Errorf("String() without line = %q", s)
	}
}

func TestScanErrors(t *testing.T) {
	if _, _, err := Scan(filepath.Join(t.TempDir(), "api")); err == nil {
		t.Error("Scan of a folder without go.mod above succeeded")
	}
	api := writeTree(t, map[string]string{"api/a.go": handler("api", "HandleA")})
	if _, _, err := Scan(filepath.Join(filepath.Dir(api), "nope")); err == nil {
		t.Error("Scan of a missing folder succeeded")
	}
}

// TestStdlibRootsMatchGOROOT keeps the embedded list honest: a Go release that adds a
// top-level package fails here until stdlib.go lists it.
func TestStdlibRootsMatchGOROOT(t *testing.T) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	entries, err := os.ReadDir(filepath.Join(strings.TrimSpace(string(out)), "src"))
	if err != nil {
		t.Fatal(err)
	}
	var have, want []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != "testdata" {
			want = append(want, e.Name())
		}
	}
	for name := range stdlibRoots {
		have = append(have, name)
	}
	sort.Strings(have)
	if !slices.Equal(have, want) {
		t.Errorf("stdlibRoots = %q\nGOROOT/src has %q\nupdate lib/vercel/stdlib.go", have, want)
	}
}
