package vercel

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Pattern is a vercel.json `source`, compiled the way Vercel compiles it: path-to-regexp 6
// with strict, case-sensitive matching and "/" as the only delimiter. It supports literal
// text, `:name` parameters (optionally with a custom `(regex)` and a `?`, `*` or `+`
// modifier), and unnamed `(regex)` groups such as `/(.*)`. Brace groups are refused rather
// than half-supported, so that a vercel.json we cannot reproduce fails loudly.
type Pattern struct {
	source string
	re     *regexp.Regexp
	keys   []string // one per capture group, in order; "" for an unnamed group
}

// Captures holds what a Pattern captured from one path.
type Captures struct {
	keys   []string
	values []string
}

// defaultParam is path-to-regexp's pattern for a parameter when the delimiter is "/".
const defaultParam = `[^/]+?`

// CompilePattern compiles a path-to-regexp source as Vercel does.
func CompilePattern(source string) (*Pattern, error) {
	parts, err := parsePattern(source)
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", source, err)
	}
	var re strings.Builder
	var keys []string
	re.WriteString("^")
	for _, p := range parts {
		if p.param == nil {
			re.WriteString(regexp.QuoteMeta(p.text))
			continue
		}
		pr, err := paramRegexp(p.param)
		if err != nil {
			return nil, fmt.Errorf("source %q: %w", source, err)
		}
		re.WriteString(pr)
		keys = append(keys, p.param.name)
	}
	re.WriteString("$")
	compiled, err := regexp.Compile(re.String())
	if err != nil {
		// Most likely a JavaScript-only construct such as a lookahead, which Go's RE2 lacks.
		return nil, fmt.Errorf("source %q: %w", source, err)
	}
	return &Pattern{source: source, re: compiled, keys: keys}, nil
}

type param struct {
	name, prefix, pattern, modifier string
}

// part is literal text or a parameter.
type part struct {
	text  string
	param *param
}

// parsePattern mirrors path-to-regexp 6.3's parse with prefixes "./" and delimiter "/".
func parsePattern(source string) ([]part, error) {
	toks, err := lexPattern(source)
	if err != nil {
		return nil, err
	}
	var (
		parts []part
		text  strings.Builder
		i     int
	)
	consume := func(k tokKind) (string, bool) {
		if i < len(toks) && toks[i].kind == k {
			i++
			return toks[i-1].val, true
		}
		return "", false
	}
	for i < len(toks) {
		char, _ := consume(tokChar)
		name, isName := consume(tokName)
		pat, isPat := consume(tokPattern)
		if isName || isPat {
			// A "/" or "." right before a parameter belongs to it, so that an optional
			// parameter takes its separator along.
			prefix := char
			if prefix != "/" && prefix != "." {
				text.WriteString(prefix)
				prefix = ""
			}
			if text.Len() > 0 {
				parts = append(parts, part{text: text.String()})
				text.Reset()
			}
			if !isPat {
				if pat, err = safePattern(parts, prefix); err != nil {
					return nil, err
				}
			}
			mod, _ := consume(tokModifier)
			parts = append(parts, part{param: &param{name: name, prefix: prefix, pattern: pat, modifier: mod}})
			continue
		}
		if char == "" {
			char, _ = consume(tokEscaped)
		}
		if char != "" {
			text.WriteString(char)
			continue
		}
		switch t := toks[i]; t.kind {
		case tokOpen, tokClose:
			return nil, fmt.Errorf("brace groups are not supported by the local router")
		default:
			return nil, fmt.Errorf("unexpected %q at offset %d", t.val, t.pos)
		}
	}
	if text.Len() > 0 {
		parts = append(parts, part{text: text.String()})
	}
	return parts, nil
}

// safePattern is path-to-regexp 6.3's default parameter pattern. Since 6.3 a parameter may
// not swallow the text that precedes it (which made `/:name.:ext` backtrack badly); the
// library says so with a lookahead that RE2 lacks, so a one-character text becomes an
// excluded class member instead, and longer texts are refused.
func safePattern(parts []part, prefix string) (string, error) {
	prevText := prefix
	if prevText == "" && len(parts) > 0 {
		last := parts[len(parts)-1]
		if last.param != nil {
			return "", fmt.Errorf("missing text after parameter %q", last.param.name)
		}
		prevText = last.text
	}
	switch {
	case prevText == "" || strings.Contains(prevText, "/"):
		return defaultParam, nil
	case len(prevText) == 1:
		return `[^/` + regexp.QuoteMeta(prevText) + `]+?`, nil
	}
	return "", fmt.Errorf("a parameter right after %q is not supported by the local router", prevText)
}

// paramRegexp mirrors path-to-regexp 6's tokensToRegexp for one parameter.
func paramRegexp(p *param) (string, error) {
	prefix, pat, mod := regexp.QuoteMeta(p.prefix), p.pattern, p.modifier
	repeat := mod == "+" || mod == "*"
	switch {
	case prefix == "" && repeat:
		return "", fmt.Errorf("cannot repeat %q without a prefix", p.name)
	case prefix == "":
		return "(" + pat + ")" + mod, nil
	case repeat:
		opt := ""
		if mod == "*" {
			opt = "?"
		}
		return "(?:" + prefix + "((?:" + pat + ")(?:" + prefix + "(?:" + pat + "))*))" + opt, nil
	}
	return "(?:" + prefix + "(" + pat + "))" + mod, nil
}

// String returns the source the pattern was compiled from.
func (p *Pattern) String() string { return p.source }

// Match reports whether path matches the whole pattern, and what it captured.
func (p *Pattern) Match(path string) (Captures, bool) {
	m := p.re.FindStringSubmatch(path)
	if m == nil {
		return Captures{}, false
	}
	return Captures{keys: p.keys, values: m[1:]}, true
}

// Get returns the value of the named parameter, or "" when it did not match.
func (c Captures) Get(name string) string {
	for i, k := range c.keys {
		if k == name && k != "" {
			return c.values[i]
		}
	}
	return ""
}

// Named returns the named parameters in source order, as name/value pairs.
func (c Captures) Named() [][2]string {
	var out [][2]string
	for i, k := range c.keys {
		if k != "" {
			out = append(out, [2]string{k, c.values[i]})
		}
	}
	return out
}

// Expand substitutes `:name` (with any `?*+` modifier dropped) and `$n` (1-based, counting
// named and unnamed groups alike) in template, as Vercel does for a destination or a header
// value. References to parameters the pattern does not have are left as written.
func (c Captures) Expand(template string) string {
	var b strings.Builder
	for i := 0; i < len(template); i++ {
		ch := template[i]
		switch {
		case ch == ':':
			j := i + 1
			for j < len(template) && isWordChar(template[j]) {
				j++
			}
			name := template[i+1 : j]
			if idx := c.index(name); idx >= 0 {
				b.WriteString(c.values[idx])
				if j < len(template) && strings.IndexByte("?*+", template[j]) >= 0 {
					j++
				}
				i = j - 1
				continue
			}
		case ch == '$':
			j := i + 1
			for j < len(template) && template[j] >= '0' && template[j] <= '9' {
				j++
			}
			if n, err := strconv.Atoi(template[i+1 : j]); err == nil && n >= 1 && n <= len(c.values) {
				b.WriteString(c.values[n-1])
				i = j - 1
				continue
			}
		}
		b.WriteByte(ch)
	}
	return b.String()
}

func (c Captures) index(name string) int {
	if name == "" {
		return -1
	}
	for i, k := range c.keys {
		if k == name {
			return i
		}
	}
	return -1
}

func isWordChar(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
