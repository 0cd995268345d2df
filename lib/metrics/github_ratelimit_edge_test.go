package metrics

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// GitHub's GraphQL API answers a spent primary rate limit with status 200, an error in the
// body and x-ratelimit-remaining 0, and asks not to retry before x-ratelimit-reset
// (https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api,
// "Exceeding the rate limit"); a secondary limit may also come as 200 with a message saying so.
// Either is a wait, not a refusal: the stars of a big repository (read through GraphQL) must
// be retried after the reset, never fail the section for good.
func TestGitHubGraphQLRateLimitIsTransient(t *testing.T) {
	reset := time.Now().Add(40 * time.Minute).Unix()
	for name, answer := range map[string]string{
		"primary":   `{"errors":[{"type":"RATE_LIMITED","message":"API rate limit already exceeded for user ID 583231."}]}`,
		"secondary": `{"errors":[{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}]}`,
	} {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
			if r.URL.Path != "/graphql" {
				reply(w, 200, `[]`) // forks, issues, pulls: nothing in the window
				return
			}
			if name == "primary" {
				w.Header().Set("X-Ratelimit-Remaining", "0")
				w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(reset, 10))
				w.Header().Set("X-Ratelimit-Resource", "graphql")
			}
			reply(w, 200, answer)
		})
		_, err := GitHub{BaseURL: f.srv.URL, pageSize: 2}.Fetch(t.Context(), f.client(), Selection{GitHubRepos: []string{"acme/app"}}, week("UTC"))
		var e *Error
		if !isKind(err, ErrTransient) || !errors.As(err, &e) {
			t.Errorf("%s: %v, want a transient error", name, err)
			continue
		}
		if min := 30 * time.Minute; name == "primary" && e.RetryAfter < min {
			t.Errorf("primary: retry after %v, want the reset about 40 minutes away", e.RetryAfter)
		}
		if name == "secondary" && e.RetryAfter < time.Minute {
			t.Errorf("secondary: retry after %v, want at least a minute", e.RetryAfter)
		}
	}
}
