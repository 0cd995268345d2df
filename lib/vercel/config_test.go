package vercel

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseReadsEveryField(t *testing.T) {
	c, err := Parse([]byte(`{
		"$schema": "https://openapi.vercel.sh/vercel.json",
		"framework": null,
		"cleanUrls": true,
		"trailingSlash": false,
		"functions": {
			"api/jobs/**/*.go": {"memory": 1024, "maxDuration": 60},
			"api/**/*.go": {"memory": 512, "maxDuration": 10}
		},
		"rewrites": [{"source": "/app/reports/:id", "destination": "/app/report"}],
		"headers": [{"source": "/(.*)", "headers": [{"key": "X-Frame-Options", "value": "DENY"}]}],
		"build": {"env": {"GO_BUILD_FLAGS": "-tags x"}}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Framework != nil || !c.CleanURLs || c.TrailingSlash == nil || *c.TrailingSlash {
		t.Errorf("framework/cleanUrls/trailingSlash = %v/%v/%v", c.Framework, c.CleanURLs, c.TrailingSlash)
	}
	wantFns := Functions{{Glob: "api/jobs/**/*.go", Memory: 1024, MaxDuration: 60}, {Glob: "api/**/*.go", Memory: 512, MaxDuration: 10}}
	if !slices.Equal(c.Functions, wantFns) {
		t.Errorf("functions = %+v, want %+v (in file order)", c.Functions, wantFns)
	}
	if len(c.Rewrites) != 1 || c.Rewrites[0] != (Rewrite{"/app/reports/:id", "/app/report"}) {
		t.Errorf("rewrites = %+v", c.Rewrites)
	}
	if c.Build == nil || c.Build.Env["GO_BUILD_FLAGS"] != "-tags x" {
		t.Errorf("build = %+v", c.Build)
	}
	if len(c.Headers) != 1 || c.Headers[0].Source != "/(.*)" || c.Headers[0].Headers[0] != (Header{"X-Frame-Options", "DENY"}) {
		t.Errorf("headers = %+v", c.Headers)
	}
}

func TestParseKeepsFunctionOrder(t *testing.T) {
	// Reversed on purpose: a map would lose this order, and with it Vercel's behaviour.
	c, err := Parse([]byte(`{"functions": {"b/*.go": {"memory": 128}, "a/*.go": {"memory": 256}, "**/*.go": {"memory": 512}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var globs []string
	for _, f := range c.Functions {
		globs = append(globs, f.Glob)
	}
	if want := []string{"b/*.go", "a/*.go", "**/*.go"}; !slices.Equal(globs, want) {
		t.Errorf("globs = %q, want %q", globs, want)
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct{ name, json, wantErr string }{
		{"unknown top-level field", `{"redirects": []}`, "unknown field"},
		{"unknown build field", `{"build": {"command": "make"}}`, "unknown field"},
		{"unknown function setting", `{"functions": {"api/*.go": {"memory": 1024, "runtime": "x@1.0.0"}}}`, "unknown field"},
		{"glob as a setting", `{"functions": {"api/*.go": {"Glob": "x"}}}`, "unknown field"},
		{"memory too low", `{"functions": {"api/*.go": {"memory": 64}}}`, "memory"},
		{"memory too high", `{"functions": {"api/*.go": {"memory": 20000}}}`, "memory"},
		{"no setting", `{"functions": {"api/*.go": {}}}`, "set memory"},
		{"negative duration", `{"functions": {"api/*.go": {"maxDuration": -1}}}`, "set memory"},
		{"absolute glob", `{"functions": {"/api/*.go": {"memory": 1024}}}`, "relative"},
		{"extglob", `{"functions": {"api/!(x).go": {"memory": 1024}}}`, "not supported"},
		{"functions not an object", `{"functions": []}`, "object"},
		{"bad rewrite source", `{"rewrites": [{"source": "/x*", "destination": "/y"}]}`, "rewrites"},
		{"external rewrite", `{"rewrites": [{"source": "/x", "destination": "https://example.com/"}]}`, "only paths"},
		{"bad header source", `{"headers": [{"source": "/(", "headers": []}]}`, "headers"},
		{"header without key", `{"headers": [{"source": "/(.*)", "headers": [{"value": "x"}]}]}`, "without a key"},
		{"not json", `{`, "vercel.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse error = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, []byte(`{"cleanUrls": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"cleanUrls": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := Load(good); err != nil || !c.CleanURLs {
		t.Errorf("Load(good) = %+v, %v", c, err)
	}
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("Load(bad) error = %v, want it to name the file", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("Load(missing) succeeded")
	}
}

func TestFunctionsForTakesTheFirstMatchingGlob(t *testing.T) {
	fns := Functions{
		{Glob: "api/jobs/**/*.go", MaxDuration: 60},
		{Glob: "api/**/*.go", MaxDuration: 10},
		{Glob: "api/special.go", MaxDuration: 5}, // never used: the glob above wins
	}
	tests := []struct {
		file string
		want int // maxDuration, 0 for no match
	}{
		{"api/health.go", 10},
		{"api/jobs/report.go", 60},
		{"api/jobs/deep/purge.go", 60},
		{"api/special.go", 10},
		{"api/reports/[id].go", 10},
		{"lib/x.go", 0},
	}
	for _, tt := range tests {
		got, ok := fns.For(tt.file)
		if ok != (tt.want != 0) || got.MaxDuration != tt.want {
			t.Errorf("For(%q) = %+v, %v; want maxDuration %d", tt.file, got, ok, tt.want)
		}
	}
	if got := fns.Unused([]string{"api/health.go", "api/jobs/report.go", "api/special.go"}); !slices.Equal(got, []string{"api/special.go"}) {
		t.Errorf("Unused = %q, want the shadowed glob", got)
	}
	// The order that `vercel build` rejects: the broad glob first leaves the jobs glob unused.
	reversed := Functions{fns[1], fns[0]}
	if got := reversed.Unused([]string{"api/health.go", "api/jobs/report.go"}); !slices.Equal(got, []string{"api/jobs/**/*.go"}) {
		t.Errorf("Unused(broad first) = %q, want the jobs glob", got)
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		glob, name string
		want       bool
	}{
		{"api/**/*.go", "api/health.go", true},
		{"api/**/*.go", "api/a/b/c.go", true},
		{"api/**/*.go", "api/health.js", false},
		{"api/**/*.go", "lib/api/x.go", false},
		{"api/**/*.go", "api/.hidden/x.go", false}, // ** does not enter dot folders
		{"api/**/*.go", "api/.x.go", false},        // nor does * match a leading dot
		{"api/.well/*.go", "api/.well/x.go", true},
		{"api/*.go", "api/a/b.go", false},
		{"api/?.go", "api/a.go", true},
		{"api/[ab].go", "api/b.go", true},
		{"api/**", "api/a/b", true},
		{"**/*.go", "x.go", true},
		{"api/x.go", "api/x.go", true},
	}
	for _, tt := range tests {
		if got := globMatch(tt.glob, tt.name); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.glob, tt.name, got, tt.want)
		}
	}
}
