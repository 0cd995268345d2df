package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxBody caps what is read from a provider's answer here (lists of properties, sites,
// repositories): far more than any real answer, far less than a function's memory.
const maxBody = 4 << 20

// call sends req with hc and decodes a 2xx JSON answer into out (when out is not nil). Other
// answers become errors wrapping ErrRejected (4xx but 429) or ErrTransient (no answer, 429,
// 5xx), with the start of the body for the logs.
func call(hc *http.Client, req *http.Request, out any) error {
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		// %w twice: a refusal from the token source (needs reauth) must stay recognisable.
		return fmt.Errorf("%w: %s %s: %w", ErrTransient, req.Method, redactURL(req), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("%w: %s %s: read: %v", ErrTransient, req.Method, redactURL(req), err)
	}
	if err := statusError(req, resp.StatusCode, body); err != nil {
		return err
	}
	if out != nil && len(body) > 0 {
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("%w: %s %s: unreadable answer: %v", ErrRejected, req.Method, redactURL(req), err)
		}
	}
	return nil
}

func statusError(req *http.Request, status int, body []byte) error {
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500:
		return fmt.Errorf("%w: %s %s: HTTP %d: %s", ErrTransient, req.Method, redactURL(req), status, snippet(body))
	default:
		return fmt.Errorf("%w: %s %s: HTTP %d: %s", ErrRejected, req.Method, redactURL(req), status, snippet(body))
	}
}

// getJSON GETs u with hc (which carries the user's token) into out.
func getJSON(ctx context.Context, hc *http.Client, u string, header http.Header, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRejected, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return call(hc, req, out)
}

// postForm POSTs a form body; auth sets the client authentication.
func postForm(ctx context.Context, hc *http.Client, u, body string, auth func(*http.Request)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRejected, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth != nil {
		auth(req)
	}
	return call(hc, req, nil)
}

// redactURL drops the query, which may hold a token (Google's revoke accepts ?token=).
func redactURL(req *http.Request) string {
	u := *req.URL
	u.RawQuery = ""
	return u.String()
}

func snippet(body []byte) string {
	const n = 300
	s := strings.TrimSpace(string(body))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// firstNonEmpty returns the first argument that is not "".
func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
