package vercel

import "fmt"

// The lexer below follows path-to-regexp 6.3's lexer token for token, so that a source
// Vercel rejects is rejected here too, with a similar message.

type tokKind int

const (
	tokChar tokKind = iota
	tokEscaped
	tokName
	tokPattern
	tokModifier
	tokOpen
	tokClose
)

type lexToken struct {
	kind tokKind
	val  string
	pos  int
}

// lexPattern splits a source into path-to-regexp 6's lexical tokens.
func lexPattern(s string) ([]lexToken, error) {
	var toks []lexToken
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '*', '+', '?':
			toks = append(toks, lexToken{tokModifier, string(c), i})
			i++
		case '\\':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("trailing backslash")
			}
			toks = append(toks, lexToken{tokEscaped, s[i+1 : i+2], i})
			i += 2
		case '{':
			toks = append(toks, lexToken{tokOpen, "{", i})
			i++
		case '}':
			toks = append(toks, lexToken{tokClose, "}", i})
			i++
		case ':':
			j := i + 1
			for j < len(s) && isWordChar(s[j]) {
				j++
			}
			if j == i+1 {
				return nil, fmt.Errorf("missing parameter name at offset %d", i)
			}
			toks = append(toks, lexToken{tokName, s[i+1 : j], i})
			i = j
		case '(':
			pat, end, err := lexGroup(s, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, lexToken{tokPattern, pat, i})
			i = end
		default:
			toks = append(toks, lexToken{tokChar, string(c), i})
			i++
		}
	}
	return toks, nil
}

// lexGroup reads the balanced `(...)` starting at s[start] and returns its inside and the
// offset just past it. Like path-to-regexp, it refuses capturing groups inside: captures
// are numbered by parameter, and a nested one would shift every `$n` after it.
func lexGroup(s string, start int) (string, int, error) {
	depth := 1
	j := start + 1
	if j < len(s) && s[j] == '?' {
		return "", 0, fmt.Errorf("pattern cannot start with \"?\" at offset %d", j)
	}
	for j < len(s) {
		switch s[j] {
		case '\\':
			j += 2
			continue
		case ')':
			depth--
			if depth == 0 {
				if j == start+1 {
					return "", 0, fmt.Errorf("missing pattern at offset %d", start)
				}
				return s[start+1 : j], j + 1, nil
			}
		case '(':
			depth++
			if j+1 >= len(s) || s[j+1] != '?' {
				return "", 0, fmt.Errorf("capturing groups are not allowed at offset %d", j+1)
			}
		}
		j++
	}
	return "", 0, fmt.Errorf("unbalanced pattern at offset %d", start)
}
