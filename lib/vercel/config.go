// Package vercel reproduces the parts of Vercel's platform that decide how a request reaches
// our code: vercel.json's routing settings, the Go builder's rules for turning api/ files
// into functions, and the dispatch between static files and functions. The local server
// and the tests use it so that what works locally is what Vercel deploys.
package vercel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
)

// Config is vercel.json. Parse refuses any field it does not know, because a setting that
// Vercel honours and the local server silently ignores is how "works locally" starts lying.
type Config struct {
	Schema    string  `json:"$schema,omitempty"`
	Framework *string `json:"framework"`
	CleanURLs bool    `json:"cleanUrls"`
	// TrailingSlash is nil when vercel.json leaves it out: then Vercel redirects neither way.
	TrailingSlash *bool        `json:"trailingSlash"`
	Rewrites      []Rewrite    `json:"rewrites"`
	Headers       []HeaderRule `json:"headers"`
	Functions     Functions    `json:"functions"`
	Build         *Build       `json:"build,omitempty"`
}

// Build is vercel.json's `build`. Vercel's platform puts Env in the environment of the
// deployment's build, where @vercel/go reads GO_BUILD_FLAGS; a local `vercel build` ignores
// it, so scripts/vercel-build.sh exports it itself.
type Build struct {
	Env map[string]string `json:"env"`
}

// Rewrite serves Destination for requests whose path matches Source (path-to-regexp).
type Rewrite struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
}

// HeaderRule adds Headers to every response whose request path matches Source.
type HeaderRule struct {
	Source  string   `json:"source"`
	Headers []Header `json:"headers"`
}

// Header is one response header of a HeaderRule.
type Header struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// FunctionRule is one entry of vercel.json's `functions`: the settings of the functions
// whose file matches Glob.
type FunctionRule struct {
	Glob        string `json:"-"`
	Memory      int    `json:"memory,omitempty"`
	MaxDuration int    `json:"maxDuration,omitempty"`
}

// Functions keeps vercel.json's `functions` in file order, which matters: Vercel gives each
// function the settings of the first glob that matches it, not the most specific one.
type Functions []FunctionRule

// UnmarshalJSON reads the `functions` object in order.
func (f *Functions) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("functions must be an object")
	}
	var out Functions
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		rule := FunctionRule{Glob: tok.(string)}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		settings := json.NewDecoder(bytes.NewReader(raw))
		settings.DisallowUnknownFields()
		if err := settings.Decode(&rule); err != nil {
			return fmt.Errorf("functions[%q]: %w", rule.Glob, err)
		}
		out = append(out, rule)
	}
	*f = out
	return nil
}

// For returns the settings Vercel gives the function in file (slash-separated, relative to
// the project root): those of the first matching glob.
func (f Functions) For(file string) (FunctionRule, bool) {
	for _, r := range f {
		if r.Glob == file || globMatch(r.Glob, file) {
			return r, true
		}
	}
	return FunctionRule{}, false
}

// Unused returns the globs that are the first match of none of files. `vercel build` fails
// on any of them ("doesn't match any Serverless Functions"), which is also why a narrower
// glob must come before a broader one that covers the same files.
func (f Functions) Unused(files []string) []string {
	used := map[string]bool{}
	for _, file := range files {
		if r, ok := f.For(file); ok {
			used[r.Glob] = true
		}
	}
	var unused []string
	for _, r := range f {
		if !used[r.Glob] {
			unused = append(unused, r.Glob)
		}
	}
	return unused
}

// Load reads and parses the vercel.json at name.
func Load(name string) (*Config, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// Parse decodes vercel.json and checks it the way `vercel build` would, as far as the
// fields we support go.
func Parse(data []byte) (*Config, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("vercel.json: %w (fields the local server does not reproduce are refused)", err)
	}
	for _, rw := range c.Rewrites {
		if _, err := CompilePattern(rw.Source); err != nil {
			return nil, fmt.Errorf("rewrites: %w", err)
		}
		if !strings.HasPrefix(rw.Destination, "/") {
			return nil, fmt.Errorf("rewrites: destination %q: only paths on this site are supported", rw.Destination)
		}
	}
	for _, h := range c.Headers {
		if _, err := CompilePattern(h.Source); err != nil {
			return nil, fmt.Errorf("headers: %w", err)
		}
		for _, kv := range h.Headers {
			if kv.Key == "" {
				return nil, fmt.Errorf("headers: source %q has a header without a key", h.Source)
			}
		}
	}
	for _, fn := range c.Functions {
		if err := fn.validate(); err != nil {
			return nil, fmt.Errorf("functions[%q]: %w", fn.Glob, err)
		}
	}
	return &c, nil
}

// validate applies the limits of the CLI's validateFunctions.
func (r FunctionRule) validate() error {
	switch {
	case strings.HasPrefix(r.Glob, "/"):
		return errors.New("the path must be relative to the project root")
	case strings.ContainsAny(r.Glob, "{}()!+@"):
		return errors.New("brace and extglob patterns are not supported by the local check")
	case r.Memory != 0 && (r.Memory < 128 || r.Memory > 10240):
		return errors.New("memory must be between 128 and 10240")
	case r.MaxDuration < 0 || r.Memory == 0 && r.MaxDuration == 0:
		return errors.New("set memory and/or a positive maxDuration")
	}
	if _, err := path.Match(strings.ReplaceAll(r.Glob, "**", "*"), ""); err != nil {
		return err
	}
	return nil
}

// globMatch is the subset of minimatch that function globs use: `**` spans any number of
// folders, and `*`, `?` and `[...]` work within one name, none of them matching a leading
// dot (minimatch's default).
func globMatch(glob, name string) bool {
	return matchSegments(strings.Split(glob, "/"), strings.Split(name, "/"))
}

func matchSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if i > 0 && strings.HasPrefix(name[i-1], ".") {
					return false
				}
				if matchSegments(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if strings.HasPrefix(name[0], ".") && !strings.HasPrefix(pat[0], ".") {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}
