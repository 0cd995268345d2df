package metrics

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func isKind(err, kind error) bool {
	var e *Error
	return errors.As(err, &e) && errors.Is(err, kind)
}

// subjects builds every fetcher against base, with a selection it accepts.
func subjects(base string) map[string]struct {
	f   Fetcher
	sel Selection
} {
	return map[string]struct {
		f   Fetcher
		sel Selection
	}{
		ProviderGA4:           {GA4{BaseURL: base}, Selection{GA4Property: "123"}},
		ProviderSearchConsole: {SearchConsole{BaseURL: base}, Selection{SearchConsoleSite: "sc-domain:example.com"}},
		ProviderStripe:        {Stripe{BaseURL: base}, Selection{}},
		ProviderGitHub:        {GitHub{BaseURL: base}, Selection{GitHubRepos: []string{"acme/app"}}},
		ProviderDemo:          {Demo{BaseURL: base}, Selection{}},
	}
}

// Error bodies as each API documents them:
// Google: https://cloud.google.com/apis/design/errors (ErrorInfo reasons); Search Console
// still sends errors[].reason. Stripe: https://docs.stripe.com/api/errors. GitHub:
// https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api
const (
	googleScope    = `{"error":{"code":403,"message":"Request had insufficient authentication scopes.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_SCOPE_INSUFFICIENT","domain":"googleapis.com"}]}}`
	googleNoAccess = `{"error":{"code":403,"message":"User does not have sufficient permissions for this property.","status":"PERMISSION_DENIED"}}`
	scNoAccess     = `{"error":{"code":403,"message":"User does not have sufficient permission for site 'sc-domain:example.com'.","errors":[{"message":"User does not have sufficient permission for site.","domain":"global","reason":"forbidden"}],"status":"PERMISSION_DENIED"}}`
	scQuota        = `{"error":{"code":403,"message":"Quota exceeded.","errors":[{"domain":"usageLimits","reason":"quotaExceeded"}]}}`
	googleQuota    = `{"error":{"code":429,"message":"Exhausted property tokens per hour.","status":"RESOURCE_EXHAUSTED"}}`
	googleExpired  = `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`
	stripeAuth     = `{"error":{"message":"Expired API Key provided.","type":"invalid_request_error","code":"api_key_expired"}}`
	stripePerm     = `{"error":{"message":"The provided key does not have the required permissions for this endpoint.","type":"invalid_request_error"}}`
	githubBadCreds = `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`
	githubPrimary  = `{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`
	githubNoAccess = `{"message":"Resource not accessible by integration","status":"403"}`
	demoBadToken   = `{"error":"invalid_token"}`
)

func TestErrorClassification(t *testing.T) {
	reset := strconv.FormatInt(time.Now().Add(2*time.Minute).Unix(), 10)
	cases := []struct {
		provider string
		status   int
		header   map[string]string
		body     string
		kind     error
		msg      string // part of the customer message
	}{
		{ProviderGA4, 401, nil, googleExpired, ErrReauth, "Reconnect Google Analytics"},
		{ProviderGA4, 403, map[string]string{"WWW-Authenticate": `Bearer realm="https://accounts.google.com/", error="insufficient_scope"`}, googleScope, ErrReauth, "Reconnect Google Analytics"},
		{ProviderGA4, 403, nil, googleNoAccess, ErrPermanent, "no longer read this Google Analytics property"},
		{ProviderGA4, 429, nil, googleQuota, ErrTransient, "quota"},
		{ProviderGA4, 500, nil, `{"error":{"code":500,"status":"INTERNAL"}}`, ErrTransient, "try again"},
		{ProviderGA4, 400, nil, `{"error":{"code":400,"status":"INVALID_ARGUMENT"}}`, ErrPermanent, "refused"},
		{ProviderSearchConsole, 401, nil, googleExpired, ErrReauth, "Reconnect Search Console"},
		{ProviderSearchConsole, 403, nil, scNoAccess, ErrPermanent, "Search Console property"},
		{ProviderSearchConsole, 403, nil, scQuota, ErrTransient, "quota"},
		{ProviderSearchConsole, 503, nil, ``, ErrTransient, "not answering"},
		{ProviderStripe, 401, nil, stripeAuth, ErrReauth, "Reconnect Stripe: access was revoked"},
		{ProviderStripe, 403, nil, stripePerm, ErrReauth, "Reconnect Stripe"},
		{ProviderStripe, 429, map[string]string{"Retry-After": "7"}, `{"error":{"type":"rate_limit_error"}}`, ErrTransient, "slow down"},
		{ProviderStripe, 502, nil, `<html>bad gateway</html>`, ErrTransient, "not answering"},
		{ProviderGitHub, 401, nil, githubBadCreds, ErrReauth, "Reconnect GitHub: access was revoked"},
		{ProviderGitHub, 403, map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": reset}, githubPrimary, ErrTransient, "rate limit"},
		{ProviderGitHub, 403, map[string]string{"Retry-After": "60"}, `{"message":"You have exceeded a secondary rate limit."}`, ErrTransient, "rate limit"},
		{ProviderGitHub, 429, nil, `{"message":"You have exceeded a secondary rate limit."}`, ErrTransient, "rate limit"},
		{ProviderGitHub, 403, map[string]string{"X-Ratelimit-Remaining": "4999"}, githubNoAccess, ErrReauth, "Reconnect GitHub"},
		{ProviderGitHub, 404, nil, `{"message":"Not Found"}`, ErrPermanent, "acme/app was not found"},
		{ProviderGitHub, 500, nil, ``, ErrTransient, "try again"},
		{ProviderDemo, 401, nil, demoBadToken, ErrReauth, "Reconnect Demo"},
		{ProviderDemo, 500, nil, `{}`, ErrTransient, "try again"},
		{ProviderDemo, 200, nil, `{"days": "not a list"}`, ErrPermanent, "could not read"},
	}
	for _, c := range cases {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
			for k, v := range c.header {
				w.Header().Set(k, v)
			}
			reply(w, c.status, c.body)
		})
		sub := subjects(f.srv.URL)[c.provider]
		_, err := sub.f.Fetch(context.Background(), f.client(), sub.sel, week("UTC"))
		name := c.provider + " " + strconv.Itoa(c.status)
		if !isKind(err, c.kind) {
			t.Errorf("%s: %v, want kind %v", name, err, c.kind)
			continue
		}
		if msg := Message(c.provider, err); !strings.Contains(msg, c.msg) {
			t.Errorf("%s: message %q, want it to contain %q", name, msg, c.msg)
		}
		var e *Error
		errors.As(err, &e)
		if c.header["Retry-After"] == "7" && e.RetryAfter != 7*time.Second {
			t.Errorf("%s: RetryAfter %v", name, e.RetryAfter)
		}
		if c.header["X-Ratelimit-Reset"] != "" && (e.RetryAfter < time.Minute || e.RetryAfter > 2*time.Minute) {
			t.Errorf("%s: RetryAfter %v, want until the reset", name, e.RetryAfter)
		}
	}
}

// Failures without an HTTP answer: a timeout, a refused connection, a refused token refresh.
func TestTransportErrors(t *testing.T) {
	slow := newFake(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	for provider, sub := range subjects(slow.srv.URL) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		_, err := sub.f.Fetch(ctx, slow.client(), sub.sel, week("UTC"))
		cancel()
		if !isKind(err, ErrTransient) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s timeout: %v", provider, err)
		}
	}
	for provider, sub := range subjects("http://127.0.0.1:1") {
		if _, err := sub.f.Fetch(context.Background(), http.DefaultClient, sub.sel, week("UTC")); !isKind(err, ErrTransient) {
			t.Errorf("%s unreachable: %v", provider, err)
		}
	}
	// What x/oauth2's transport returns when Google or GitHub refuses the refresh token.
	revoked := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, &oauth2.RetrieveError{Response: &http.Response{StatusCode: 400}, ErrorCode: "invalid_grant"}
	})}
	for provider, sub := range subjects("https://example.invalid") {
		if _, err := sub.f.Fetch(context.Background(), revoked, sub.sel, week("UTC")); !isKind(err, ErrReauth) {
			t.Errorf("%s revoked refresh token: %v", provider, err)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	h := http.Header{}
	h.Set("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat))
	if got := retryAfter(h, now); got != 90*time.Second {
		t.Errorf("HTTP-date Retry-After = %v", got)
	}
	if got := retryAfter(http.Header{}, now); got != 0 {
		t.Errorf("no header = %v", got)
	}
}
