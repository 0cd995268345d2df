package vercel

import (
	"slices"
	"strings"
	"testing"
)

// The expectations below were produced by path-to-regexp 6.3.0, the version the Vercel CLI
// bundles, called as Vercel calls it ({strict: true, sensitive: true, delimiter: "/"}).
// A nil want means no match.
func TestPatternMatchesLikePathToRegexp(t *testing.T) {
	tests := []struct {
		source, path string
		want         []string
	}{
		{"/app/reports/:id", "/app/reports/42", []string{"42"}},
		{"/app/reports/:id", "/app/reports/42/", nil},
		{"/app/reports/:id", "/app/reports/", nil},
		{"/app/reports/:id", "/app/reports/a%2Fb", []string{"a%2Fb"}},
		{"/app/reports/:id", "/App/reports/1", nil},
		{"/app/reports/:id", "/app/reports/4/2", nil},
		{"/(.*)", "/", []string{""}},
		{"/(.*)", "/x", []string{"x"}},
		{"/(.*)", "/a/b/c", []string{"a/b/c"}},
		{"/(.*)", "", nil},
		{"/blog/:slug*", "/blog", []string{""}},
		{"/blog/:slug*", "/blog/", nil},
		{"/blog/:slug*", "/blog/a", []string{"a"}},
		{"/blog/:slug*", "/blog/a/b", []string{"a/b"}},
		{"/blog/:slug+", "/blog", nil},
		{"/blog/:slug+", "/blog/a", []string{"a"}},
		{"/blog/:slug+", "/blog/a/b", []string{"a/b"}},
		{"/docs/:page?", "/docs", []string{""}},
		{"/docs/:page?", "/docs/x", []string{"x"}},
		{"/docs/:page?", "/docs/x/y", nil},
		{`/u/:id(\d+)`, "/u/12", []string{"12"}},
		{`/u/:id(\d+)`, "/u/ab", nil},
		{"/files/:name.:ext", "/files/a.txt", []string{"a", "txt"}},
		{"/files/:name.:ext", "/files/a", nil},
		{"/files/:name.:ext", "/files/a.b.c", []string{"a.b", "c"}},
		{"/api/(.*)", "/api", nil},
		{"/api/(.*)", "/api/", []string{""}},
		{"/api/(.*)", "/api/x/y", []string{"x/y"}},
		{"/:a/:b", "/x/y", []string{"x", "y"}},
		{"/:a/:b", "/x", nil},
		{"/:a/:b", "/x/y/z", nil},
		{`/static/\(x\)`, "/static/(x)", []string{}},
		{`/static/\(x\)`, "/static/x", nil},
		{"/a.b", "/a.b", []string{}},
		{"/a.b", "/aXb", nil},
		{"/a-:b?", "/a-", []string{""}},
		{"/a-:b?", "/a-x", []string{"x"}},
		{`/v(\d+)?`, "/v", []string{""}},
		{`/v(\d+)?`, "/v12", []string{"12"}},
		{`/v(\d+)?`, "/vx", nil},
		{"/:id+", "/", nil},
		{"/:id+", "/a", []string{"a"}},
		{"/:id+", "/a/b", []string{"a/b"}},
	}
	for _, tt := range tests {
		p, err := CompilePattern(tt.source)
		if err != nil {
			t.Fatalf("CompilePattern(%q): %v", tt.source, err)
		}
		c, ok := p.Match(tt.path)
		if ok != (tt.want != nil) {
			t.Errorf("%q matching %q: matched = %v, want %v", tt.source, tt.path, ok, tt.want != nil)
			continue
		}
		if ok && !slices.Equal(c.values, tt.want) {
			t.Errorf("%q matching %q: captured %q, want %q", tt.source, tt.path, c.values, tt.want)
		}
	}
}

func TestCompilePatternRefusesWhatVercelRefuses(t *testing.T) {
	tests := []struct{ source, wantErr string }{
		{"/foo*", "unexpected"},                                  // path-to-regexp: Unexpected MODIFIER
		{"/:", "missing parameter name"},                         // Missing parameter name
		{"/(", "unbalanced"},                                     // Unbalanced pattern
		{"/((x))", "capturing groups"},                           // Capturing groups are not allowed
		{"/(?x)", `cannot start with "?"`},                       // Pattern cannot start with "?"
		{"/:a:b", "missing text after"},                          // Must have text between two parameters
		{"/{a}", "brace groups"},                                 // valid for Vercel, but not reproduced: refuse loudly
		{"/:p((?!uk/).*)", "invalid or unsupported Perl syntax"}, // a lookahead RE2 cannot run
		{"/x\\", "trailing backslash"},
		{"/a-:b+", "cannot repeat"}, // Can not repeat "b" without a prefix and suffix
		{"/a-(x)*", "cannot repeat"},
		{"/:a-x-:b", "not supported"}, // valid for Vercel (a lookahead), not reproduced
	}
	for _, tt := range tests {
		_, err := CompilePattern(tt.source)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("CompilePattern(%q) error = %v, want it to mention %q", tt.source, err, tt.wantErr)
		}
	}
}

func TestCapturesExpand(t *testing.T) {
	tests := []struct {
		source, path, template, want string
	}{
		{"/app/reports/:id", "/app/reports/42", "/app/report", "/app/report"},
		{"/app/reports/:id", "/app/reports/42", "/api/reports/:id", "/api/reports/42"},
		{"/app/reports/:id", "/app/reports/42", "/r?id=$1", "/r?id=42"},
		{"/blog/:slug*", "/blog/a/b", "/news/:slug*", "/news/a/b"},
		{"/(.*)", "/x/y", "/old/$1", "/old/x/y"},
		{"/:a/:b", "/x/y", "/$2/$1/:a:b", "/y/x/xy"},
		{"/:a", "/x", "/:ab/$9/$0/:", "/:ab/$9/$0/:"}, // unknown references stay as written
		{"/:id", "/7", "key-:id", "key-7"},
	}
	for _, tt := range tests {
		p, err := CompilePattern(tt.source)
		if err != nil {
			t.Fatal(err)
		}
		c, ok := p.Match(tt.path)
		if !ok {
			t.Fatalf("%q does not match %q", tt.source, tt.path)
		}
		if got := c.Expand(tt.template); got != tt.want {
			t.Errorf("%q on %q: Expand(%q) = %q, want %q", tt.source, tt.path, tt.template, got, tt.want)
		}
	}
}

func TestCapturesGetAndNamed(t *testing.T) {
	p, err := CompilePattern("/:a/(.*)/:b")
	if err != nil {
		t.Fatal(err)
	}
	c, ok := p.Match("/x/y/z")
	if !ok {
		t.Fatal("no match")
	}
	if c.Get("a") != "x" || c.Get("b") != "z" || c.Get("") != "" || c.Get("nope") != "" {
		t.Errorf("Get: a=%q b=%q", c.Get("a"), c.Get("b"))
	}
	want := [][2]string{{"a", "x"}, {"b", "z"}}
	if got := c.Named(); !slices.Equal(got, want) {
		t.Errorf("Named() = %q, want %q", got, want)
	}
	if p.String() != "/:a/(.*)/:b" {
		t.Errorf("String() = %q", p.String())
	}
}
