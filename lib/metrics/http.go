package metrics

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// maxBody caps what we read from a provider: a report needs kilobytes, and a runaway answer
// must not exhaust a serverless function's memory.
const maxBody = 32 << 20

// api knows how one provider speaks HTTP, and in particular how it says "no".
type api struct {
	provider string
	// onError recognises the provider's own error answers (a rate limit dressed as 403, a
	// missing scope) before the generic status rules; nil defers to them.
	onError func(status int, h http.Header, body []byte) *Error
}

func (a api) get(ctx context.Context, hc *http.Client, url string, header http.Header, out any) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, permanent(a.provider, "The report asked for an invalid address.", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", cmp.Or(req.Header.Get("Accept"), "application/json"))
	return a.do(hc, req, out)
}

func (a api) postJSON(ctx context.Context, hc *http.Client, url string, in, out any) error {
	return a.postJSONWith(ctx, hc, url, nil, in, out)
}

// postJSONWith is postJSON with extra request headers.
func (a api) postJSONWith(ctx context.Context, hc *http.Client, url string, header http.Header, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return permanent(a.provider, "The report could not build its request.", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return permanent(a.provider, "The report asked for an invalid address.", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	_, err = a.do(hc, req, out)
	return err
}

// do sends req and decodes a 2xx JSON answer into out; anything else becomes an *Error.
func (a api) do(hc *http.Client, req *http.Request, out any) (http.Header, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return nil, a.transportError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return resp.Header, a.transportError(err)
	}
	if len(body) > maxBody {
		return resp.Header, permanent(a.provider, displayName(a.provider)+" sent more data than a report can hold.", nil)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.Header, a.statusError(resp.StatusCode, resp.Header, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return resp.Header, permanent(a.provider, displayName(a.provider)+" sent an answer we could not read.", err)
		}
	}
	return resp.Header, nil
}

// classified returns err as an *Error, classifying what is not one yet (a context cancelled
// between two calls, say), so that callers can always rely on errors.Is.
func (a api) classified(err error) error {
	var e *Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	return a.transportError(err)
}

// transportError classifies a failure with no HTTP answer. The caller's client refreshes
// OAuth tokens on the way out, so a refused refresh (revoked grant) surfaces here too.
func (a api) transportError(err error) *Error {
	name := displayName(a.provider)
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && (re.Response == nil || re.Response.StatusCode < 500) {
		return newError(a.provider, ErrReauth, 0, fmt.Sprintf("Reconnect %s: access was revoked or has expired.", name), err)
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || (errors.As(err, &ne) && ne.Timeout()) {
		return newError(a.provider, ErrTransient, 0, fmt.Sprintf("%s did not answer in time; the report will try again.", name), err)
	}
	return newError(a.provider, ErrTransient, 0, fmt.Sprintf("%s could not be reached; the report will try again.", name), err)
}

// statusError applies the rules every provider shares, after the provider's own.
func (a api) statusError(status int, h http.Header, body []byte) *Error {
	if a.onError != nil {
		if e := a.onError(status, h, body); e != nil {
			return e
		}
	}
	name := displayName(a.provider)
	cause := errors.New(snippet(body))
	e := newError(a.provider, ErrPermanent, status, fmt.Sprintf("%s refused the request.", name), cause)
	switch {
	case status == http.StatusUnauthorized:
		e.Kind, e.Message = ErrReauth, fmt.Sprintf("Reconnect %s: access was revoked or has expired.", name)
	case status == http.StatusForbidden:
		e.Kind, e.Message = ErrReauth, fmt.Sprintf("Reconnect %s: Metriqs is no longer allowed to read this data.", name)
	case status == http.StatusNotFound:
		e.Message = fmt.Sprintf("%s could not find what this report reads; check your choice in Integrations.", name)
	case status == http.StatusTooManyRequests:
		e.Kind, e.RetryAfter = ErrTransient, retryAfter(h, time.Now())
		e.Message = fmt.Sprintf("%s asked us to slow down; the report will try again shortly.", name)
	case status == http.StatusRequestTimeout || status >= 500:
		e.Kind, e.RetryAfter = ErrTransient, retryAfter(h, time.Now())
		e.Message = fmt.Sprintf("%s is not answering right now; the report will try again.", name)
	}
	return e
}

// retryAfter reads Retry-After (seconds or an HTTP date, RFC 9110 §10.2.3), or GitHub's
// x-ratelimit-reset (epoch seconds) when the remaining quota is 0.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil && t.After(now) {
			return t.Sub(now)
		}
	}
	if h.Get("X-Ratelimit-Remaining") == "0" {
		if s, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			if t := time.Unix(s, 0); t.After(now) {
				return t.Sub(now)
			}
		}
	}
	return 0
}

// snippet keeps the start of an error body for the logs.
func snippet(body []byte) string {
	const n = 512
	s := strings.TrimSpace(string(body))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// baseURL returns base without a trailing slash, or def when base is empty.
func baseURL(base, def string) string { return strings.TrimRight(cmp.Or(base, def), "/") }
