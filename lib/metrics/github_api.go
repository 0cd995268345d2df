package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// githubAPI recognises GitHub's rate limits, which come as 403 or 429: the primary limit sets
// x-ratelimit-remaining to 0, a secondary one says so in its message and may send
// retry-after. Any other 403 is a token without access, handled by the generic rules.
// https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api#rate-limit-errors
func githubAPI() api {
	return api{provider: ProviderGitHub, onError: func(status int, h http.Header, body []byte) *Error {
		if status != http.StatusForbidden && status != http.StatusTooManyRequests {
			return nil
		}
		limited := h.Get("X-Ratelimit-Remaining") == "0" || h.Get("Retry-After") != "" ||
			bytes.Contains(bytes.ToLower(body), []byte("rate limit"))
		if !limited {
			return nil
		}
		return githubRateLimited(status, h, errors.New(snippet(body)))
	}}
}

// githubRateLimited is a reached rate limit: a wait for retry-after or until the reset, or
// else a minute (GitHub: "otherwise, wait for at least one minute").
func githubRateLimited(status int, h http.Header, cause error) *Error {
	e := newError(ProviderGitHub, ErrTransient, status, "GitHub's rate limit is reached; the report will try again when it resets.", cause)
	if e.RetryAfter = retryAfter(h, time.Now()); e.RetryAfter == 0 {
		e.RetryAfter = time.Minute
	}
	return e
}

// get fetches one GitHub page, with the headers GitHub asks for, and returns its Link
// relations.
func (g GitHub) get(ctx context.Context, hc *http.Client, u, accept string, out any) (map[string]string, error) {
	h := http.Header{}
	h.Set("Accept", accept)
	h.Set("X-GitHub-Api-Version", "2022-11-28")
	h.Set("User-Agent", "Metriqs")
	hdr, err := githubAPI().get(ctx, hc, u, h, out)
	if err != nil {
		return nil, err
	}
	return g.sameOrigin(links(hdr.Get("Link"))), nil
}

// sameOrigin drops links to any other host: the client carries the customer's token, and a
// Link header must not be able to send it elsewhere.
func (g GitHub) sameOrigin(rels map[string]string) map[string]string {
	base, err := url.Parse(g.base())
	for rel, v := range rels {
		u, perr := url.Parse(v)
		if err != nil || perr != nil || u.Scheme != base.Scheme || u.Host != base.Host {
			delete(rels, rel)
		}
	}
	return rels
}

// links parses an RFC 8288 Link header into rel → URL:
// <https://api.github.com/…?page=2>; rel="next", <https://api.github.com/…?page=9>; rel="last"
// https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api
func links(h string) map[string]string {
	out := map[string]string{}
	for h != "" {
		open := strings.IndexByte(h, '<')
		if open < 0 {
			break
		}
		end := strings.IndexByte(h[open:], '>')
		if end < 0 {
			break
		}
		target := h[open+1 : open+end]
		h = h[open+end+1:]
		params := h
		if next := strings.IndexByte(h, '<'); next >= 0 {
			params = h[:next]
		}
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
				continue
			}
			v = strings.Trim(strings.TrimRight(strings.TrimSpace(v), ", "), `"`)
			for rel := range strings.FieldsSeq(v) { // rel may list several: rel="next last"
				out[rel] = target
			}
		}
	}
	return out
}

// pageOf returns the page query parameter of a pagination link, 0 when there is none.
func pageOf(link string) int {
	u, err := url.Parse(link)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(u.Query().Get("page"))
	return n
}

// repoError rewrites a 404 or 422 about one repository into a sentence naming it.
func repoError(err error, repo string) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Status {
	case http.StatusNotFound:
		c := *e
		c.Message = fmt.Sprintf("GitHub repository %s was not found, or Metriqs can no longer see it. Check your choice in Integrations.", repo)
		return &c
	case http.StatusUnprocessableEntity:
		c := *e
		c.Message = fmt.Sprintf("GitHub refused to list all of %s's history (it caps very long lists).", repo)
		return &c
	}
	return err
}

// graphQL POSTs query with vars to GitHub's GraphQL endpoint into out, with the headers
// GitHub asks for, and returns the answer's headers: a spent rate limit comes as 200 with
// errors in the body, and its reset only in x-ratelimit-reset.
// https://docs.github.com/en/graphql/guides/forming-calls-with-graphql
func (g GitHub) graphQL(ctx context.Context, hc *http.Client, query string, vars map[string]any, out any) (http.Header, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, permanent(ProviderGitHub, "The report could not build its request.", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.base()+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, permanent(ProviderGitHub, "The report asked for an invalid address.", err)
	}
	req.Header = http.Header{"User-Agent": {"Metriqs"}, "X-Github-Api-Version": {"2022-11-28"},
		"Content-Type": {"application/json"}, "Accept": {"application/json"}}
	return githubAPI().do(hc, req, out)
}
