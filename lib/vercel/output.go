package vercel

import (
	"encoding/json"
	"fmt"
	"strings"
)

// apiExempt is prefixed to a redirect's pattern so that it matches no path under /api. A
// negative lookahead, as the CLI's own `^(?!/api).*$` error route uses: Vercel's route
// patterns are PCRE (Go's regexp cannot run them; the tests check the rest of the pattern).
const apiExempt = `^(?!/api(?:/|$))`

// NoRedirectsUnderAPI is the rule the local Site and ExemptAPIFromRedirects share: nothing
// under /api is ever redirected. cleanUrls makes Vercel answer /api/x.go, /api/x/index and
// /api/x.html with a 308 before any route of vercel.json could answer (they are the first
// routes of config.json, before the "filesystem" phase), and API.md promises JSON for every
// /api path; with no redirect, those paths reach the functions or, failing that, the
// api/not-found.go rewrite.
func NoRedirectsUnderAPI(path string) bool { return isAPI(path) }

// ExemptAPIFromRedirects edits a Build Output API config.json (what `vercel build` writes and
// `vercel deploy --prebuilt` uploads): every redirect among the routes before the first
// "handle" gets apiExempt in front of its pattern. scripts/vercel-build.sh applies it to the
// output it builds; nothing else in config.json changes.
func ExemptAPIFromRedirects(config []byte) ([]byte, int, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(config, &doc); err != nil {
		return nil, 0, fmt.Errorf("config.json: %w", err)
	}
	var routes []map[string]any
	if err := json.Unmarshal(doc["routes"], &routes); err != nil {
		return nil, 0, fmt.Errorf("config.json routes: %w", err)
	}
	n := exemptRedirects(routes)
	raw, err := json.Marshal(routes)
	if err != nil {
		return nil, 0, err
	}
	doc["routes"] = raw
	out, err := json.MarshalIndent(doc, "", "  ")
	return out, n, err
}

// exemptRedirects edits the redirects of the first phase in place and counts them.
func exemptRedirects(routes []map[string]any) int {
	n := 0
	for _, rt := range routes {
		if _, ok := rt["handle"]; ok {
			break // the phases after the first hold no platform redirect
		}
		src, _ := rt["src"].(string)
		if status, _ := rt["status"].(float64); status < 300 || status > 399 || src == "" || strings.HasPrefix(src, apiExempt) {
			continue
		}
		rt["src"] = apiExempt + strings.TrimPrefix(src, "^")
		n++
	}
	return n
}
