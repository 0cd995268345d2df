package pages

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// TestCommittedPagesAreBuilt regenerates every page into a temporary folder and fails when a
// committed page of public/ differs, is missing, or has no source: public/ is edited through
// lib/pages/src only.
func TestCommittedPagesAreBuilt(t *testing.T) {
	built, err := Build(os.DirFS("."))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := Write(dir, built); err != nil {
		t.Fatal(err)
	}
	drift, err := Drift(os.DirFS(filepath.Join("..", "..", "public")), readBack(t, dir, built))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range drift {
		t.Errorf("public/%s — edit lib/pages/src, then run go generate ./lib/pages (docs/pages.md)", d)
	}
}

// readBack reads what Write put in dir, so the comparison is of the files written.
func readBack(t *testing.T, dir string, built map[string][]byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for name := range built {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}

func TestDrift(t *testing.T) {
	built := map[string][]byte{"a.html": []byte("A"), "app/b.html": []byte("B"), "c.html": []byte("C")}
	public := fstest.MapFS{
		"a.html":       {Data: []byte("A")},
		"app/b.html":   {Data: []byte("B edited by hand")},
		"old.html":     {Data: []byte("no source")},
		"css/site.css": {Data: []byte("not a page")},
	}
	drift, err := Drift(public, built)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"app/b.html: differs from what its source builds",
		"c.html: built but not committed",
		"old.html: no source in lib/pages/src/pages",
	}
	if strings.Join(drift, "\n") != strings.Join(want, "\n") {
		t.Errorf("drift:\n%s\nwant:\n%s", strings.Join(drift, "\n"), strings.Join(want, "\n"))
	}
	delete(public, "old.html")
	public["app/b.html"] = &fstest.MapFile{Data: []byte("B")}
	public["c.html"] = &fstest.MapFile{Data: []byte("C")}
	if drift, err := Drift(public, built); err != nil || len(drift) != 0 {
		t.Errorf("public as built: drift %q, %v", drift, err)
	}
}

// partials is the real src/partials, so these tests render with the committed skeleton.
func partials(t *testing.T, pages map[string]string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	files, err := filepath.Glob(filepath.Join("src", "partials", "*.html"))
	if err != nil || len(files) == 0 {
		t.Fatalf("partials: %v %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fsys[filepath.ToSlash(f)] = &fstest.MapFile{Data: b}
	}
	for name, src := range pages {
		fsys["src/pages/"+name] = &fstest.MapFile{Data: []byte(src)}
	}
	return fsys
}

func TestBuildFrontMatter(t *testing.T) {
	built, err := Build(partials(t, map[string]string{
		"signup.html": "layout: auth\ntitle: Join <us>\nscript: /js/pages/signup.js\ncurrent: signup\n---\n    <h1 id=\"title\">Join</h1>\n",
		"app/x.html":  "layout: app\ntitle: X · Metriqs\ndescription: none\nrobots: noindex\n---\n<p>x</p>\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	signup, x := string(built["signup.html"]), string(built["app/x.html"])
	for _, want := range []string{
		"<title>Join &lt;us&gt;</title>\n",
		`<meta name="description" content="` + productDescription + `">`,
		`<script type="module" src="/js/pages/signup.js"></script>` + "\n</head>",
		`href="/signup" aria-current="page">Get started</a>`,
		"<section class=\"card auth-card\" aria-labelledby=\"title\">\n    <h1 id=\"title\">Join</h1>\n  </section>\n</div>\n</main>\n",
		`<a href="mailto:privacy@trymetriqs.com">`,
	} {
		if !strings.Contains(signup, want) {
			t.Errorf("signup.html lacks %q:\n%s", want, signup)
		}
	}
	if n := strings.Count(signup, `aria-current`); n != 1 {
		t.Errorf("signup.html: %d links marked current, want 1", n)
	}
	for _, unwanted := range []string{`name="description"`, `<script`, `name="referrer"`, `aria-current`} {
		if strings.Contains(x, unwanted) {
			t.Errorf("app/x.html has %q:\n%s", unwanted, x)
		}
	}
	if !strings.Contains(x, "<body class=\"app\">\n") || !strings.Contains(x, `<meta name="robots" content="noindex">`) {
		t.Errorf("app/x.html:\n%s", x)
	}
}

func TestBuildRefusesBadSources(t *testing.T) {
	for name, src := range map[string]string{
		"no front matter":      "<p>hello</p>\n",
		"line without a colon": "layout: public\ntitle\n---\n",
		"empty value":          "layout: public\ntitle:\n---\n",
		"unknown key":          "layout: public\ntitle: T\nscripts: /js/x.js\n---\n",
		"key twice":            "layout: public\ntitle: T\ntitle: U\n---\n",
		"no title":             "layout: public\n---\n",
		"no layout":            "title: T\n---\n",
		"unknown layout":       "layout: head\ntitle: T\n---\n",
		"current in the app":   "layout: app\ntitle: T\ncurrent: login\n---\n",
		"unknown current":      "layout: public\ntitle: T\ncurrent: pricing\n---\n",
		"broken body":          "layout: public\ntitle: T\n---\n<p>{{.Nope</p>\n",
		"body naming no field": "layout: public\ntitle: T\n---\n<p>{{.Nope}}</p>\n",
	} {
		t.Run(name, func(t *testing.T) {
			built, err := Build(partials(t, map[string]string{"p.html": src}))
			if err == nil {
				t.Fatalf("built:\n%s", built["p.html"])
			}
			if !strings.Contains(err.Error(), "p.html") {
				t.Errorf("error %q does not name the source", err)
			}
		})
	}
}

// Write rewrites only the pages whose bytes differ, and names them.
func TestWriteNamesWhatItWrote(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.html"), []byte("A"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "c.html"), []byte("C edited by hand"), 0o644); err != nil {
		t.Fatal(err)
	}
	built := map[string][]byte{"a.html": []byte("A"), "app/b.html": []byte("B"), "c.html": []byte("C")}
	wrote, err := Write(dir, built)
	if err != nil || strings.Join(wrote, " ") != "app/b.html c.html" {
		t.Fatalf("wrote %q, %v; want app/b.html c.html", wrote, err)
	}
	if d, err := Drift(os.DirFS(dir), built); err != nil || len(d) != 0 {
		t.Errorf("after Write: drift %q, %v", d, err)
	}
	if wrote, err := Write(dir, built); err != nil || len(wrote) != 0 {
		t.Errorf("second Write wrote %q, %v; want nothing", wrote, err)
	}
}
