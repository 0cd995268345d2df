package vercel

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// conflicts reproduces the CLI's getApiRoute checks, which fail `vercel build` when a
// function's path repeats a parameter name ("conflicting_path_segment") or when another
// file under api/ would serve the same paths ("conflicting_file_path"). Like the CLI, it
// compares against every file under api/, not only Go files: api/health.go and
// api/health.json conflict. It also flags what the CLI lets through but leaves one function
// dead: api/x.go and api/x/index.go both claiming /api/x.
func conflicts(files []*goFile, all []string) []Violation {
	var vs []Violation
	shapes := map[string][]string{} // route shape → function files
	for _, f := range files {
		if f.function {
			segs, _ := splitRoute(routePath(f.proj))
			shape := routeShape(segs)
			shapes[shape] = append(shapes[shape], f.proj)
		}
	}
	for _, f := range files {
		if !f.function {
			continue
		}
		if seg := repeatedSegment(f.proj); seg != "" {
			vs = append(vs, Violation{File: f.rel, Rule: RuleConflict, Message: fmt.Sprintf("the segment %q occurs more than once in the path", seg)})
		}
		var with []string
		for _, other := range all {
			if other != f.proj && (absolutePath(other) == absolutePath(f.proj) || partiallyMatches(f.proj, other)) {
				with = append(with, other)
			}
		}
		segs, _ := splitRoute(routePath(f.proj))
		for _, other := range shapes[routeShape(segs)] {
			if other != f.proj && !slices.Contains(with, other) {
				with = append(with, other)
			}
		}
		if len(with) > 0 {
			vs = append(vs, Violation{File: f.rel, Rule: RuleConflict, Message: fmt.Sprintf("serves the same paths as %s", strings.Join(with, ", "))})
		}
	}
	return vs
}

// segmentName returns the parameter name of a "[name]" segment (extension ignored).
func segmentName(seg string) (string, bool) {
	name := strings.TrimSuffix(seg, path.Ext(seg))
	if len(name) >= 2 && name[0] == '[' && name[len(name)-1] == ']' {
		return name[1 : len(name)-1], true
	}
	return "", false
}

func repeatedSegment(p string) string {
	seen := map[string]bool{}
	for _, seg := range strings.Split(p, "/") {
		if name, ok := segmentName(seg); ok && name != "" {
			if seen[name] {
				return name
			}
			seen[name] = true
		}
	}
	return ""
}

var bracketed = regexp.MustCompile(`\[.*\]`)

// absolutePath is the CLI's getAbsolutePath: the path without extension, each parameter
// replaced by the same placeholder.
func absolutePath(p string) string {
	p = strings.TrimSuffix(p, path.Ext(p))
	parts := strings.Split(p, "/")
	for i, part := range parts {
		if loc := bracketed.FindStringIndex(part); loc != nil {
			parts[i] = part[:loc[0]] + "1" + part[loc[1]:]
		}
	}
	return strings.Join(parts, "/")
}

// partiallyMatches is the CLI's function of that name: two paths whose parameters sit in
// the same places but carry different names.
func partiallyMatches(a, b string) bool {
	pa, pb := strings.Split(a, "/"), strings.Split(b, "/")
	long, short := pb, pa
	if len(pa) > len(pb) {
		long, short = pa, pb
	}
	for i, s := range short {
		l := long[i]
		nl, okl := segmentName(l)
		ns, oks := segmentName(s)
		if s != l && (!okl || !oks) {
			return false
		}
		if nl != ns {
			return true
		}
	}
	return false
}
