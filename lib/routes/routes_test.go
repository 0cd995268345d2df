package routes

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/vercel"
)

// TestTableIsCurrent fails when api/ changed since table_gen.go was generated.
func TestTableIsCurrent(t *testing.T) {
	routes, _, err := vercel.Scan("../../api")
	if err != nil {
		t.Fatal(err)
	}
	want, err := vercel.Generate(routes)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("table_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("lib/routes/table_gen.go is stale: run go generate ./lib/routes\n\nwant:\n%s", want)
	}
}

// TestAPIFollowsBuilderRules fails on anything under api/ that `vercel build` would refuse
// or build differently from what the local server runs.
func TestAPIFollowsBuilderRules(t *testing.T) {
	_, violations, err := vercel.Scan("../../api")
	if err != nil {
		t.Fatal(err)
	}
	if len(violations) > 0 {
		var b strings.Builder
		for _, v := range violations {
			b.WriteString("\n\t" + v.String())
		}
		t.Errorf("api/ breaks %d rule(s) of the Vercel Go builder (see docs in lib/vercel/rules.go):%s", len(violations), b.String())
	}
}

// TestFunctionGlobsAreUsed reproduces `vercel build`'s "unused_function" error: every glob
// of vercel.json's functions must be the first match of at least one function.
func TestFunctionGlobsAreUsed(t *testing.T) {
	cfg, err := vercel.Load("../../vercel.json")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, r := range Table {
		files = append(files, r.File)
	}
	for _, glob := range cfg.Functions.Unused(files) {
		t.Errorf("vercel.json: the pattern %q defined in `functions` doesn't match any function (vercel build fails on this)", glob)
	}
}

// jobsEntry is the vercel.json entry api/jobs functions need. It can only be added with the
// first job: `vercel build` fails on a functions glob that matches no function.
const jobsEntry = `"api/jobs/**/*.go": {"memory": 1024, "maxDuration": 60}`

// TestFunctionSettings checks what Vercel gives each function: QStash jobs 60 s, every
// other function 10 s, all 1024 MB.
func TestFunctionSettings(t *testing.T) {
	cfg, err := vercel.Load("../../vercel.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Table {
		want := 10
		if strings.HasPrefix(r.File, "api/jobs/") {
			want = 60
		}
		got, ok := cfg.Functions.For(r.File)
		switch {
		case !ok || got.Memory != 1024:
			t.Errorf("%s: vercel.json gives it %+v, want memory 1024", r.File, got)
		case got.MaxDuration != want && want == 60:
			t.Errorf("%s: maxDuration %d, want 60: add %s to vercel.json as the FIRST entry of \"functions\" (Vercel takes the first matching glob)", r.File, got.MaxDuration, jobsEntry)
		case got.MaxDuration != want:
			t.Errorf("%s: maxDuration %d, want %d", r.File, got.MaxDuration, want)
		}
	}
}

// TestTableMounts checks that the table holds what NewRouter needs.
func TestTableMounts(t *testing.T) {
	if _, err := vercel.NewRouter(Table); err != nil {
		t.Fatal(err)
	}
}
