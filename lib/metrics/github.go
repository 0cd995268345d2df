package metrics

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/trymetriqs/metriqs/lib/period"
)

// GitHub reads repository activity: stars gained (GraphQL, see starsQuery), new forks,
// issues opened and closed, pull requests merged (REST), per repository and in total.
// https://docs.github.com/en/rest
//
// Stars come from the current stargazers list, so a star given and then withdrawn is not
// counted (GitHub keeps no history of unstars).
type GitHub struct {
	// BaseURL defaults to https://api.github.com.
	BaseURL string
	// pageSize is per_page; 0 means 100 (GitHub's maximum).
	pageSize int
}

// githubKinds are the five figures, in the order of metrics, series and table columns.
var githubKinds = []struct{ key, label, column string }{
	{"stars", "Stars gained", "Stars"},
	{"forks", "New forks", "Forks"},
	{"issues_opened", "Issues opened", "Issues opened"},
	{"issues_closed", "Issues closed", "Issues closed"},
	{"prs_merged", "Pull requests merged", "PRs merged"},
}

const (
	ghStars = iota
	ghForks
	ghOpened
	ghClosed
	ghMerged
)

var repoName = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)

func (g GitHub) base() string { return baseURL(g.BaseURL, "https://api.github.com") }

func (g GitHub) perPage() string { return strconv.Itoa(cmp.Or(g.pageSize, 100)) }

// ghWindow is the instant range both spans cover, and the zone to bucket days in.
type ghWindow struct {
	from, to time.Time
	loc      *time.Location
}

// add counts an event at timestamp ts (RFC 3339, UTC) when it falls in the window.
func (w ghWindow) add(d daily, ts string) {
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil || t.Before(w.from) || !t.Before(w.to) {
		return
	}
	d[period.DateOf(t.In(w.loc))]++
}

// older reports whether ts is before the window: lists sorted newest first can stop there.
func (w ghWindow) older(ts string) bool {
	t, err := time.Parse(time.RFC3339, ts)
	return err == nil && t.Before(w.from)
}

// Fetch reads every chosen repository's four lists, at most four requests at a time (GitHub
// asks integrations not to flood it: secondary rate limits).
func (g GitHub) Fetch(ctx context.Context, hc *http.Client, sel Selection, p period.Period) (*Section, error) {
	if len(sel.GitHubRepos) == 0 {
		return nil, permanent(ProviderGitHub, "Choose at least one GitHub repository in Integrations.", nil)
	}
	for _, r := range sel.GitHubRepos {
		if _, name, _ := strings.Cut(r, "/"); !repoName.MatchString(r) || name == "." || name == ".." {
			return nil, permanent(ProviderGitHub, fmt.Sprintf("%q is not a GitHub repository name like owner/name; check your choice in Integrations.", r), nil)
		}
	}
	loc := p.Location()
	from, _ := p.PreviousBounds(loc)
	_, to := p.Bounds(loc)
	w := ghWindow{from: from, to: to, loc: loc}
	// counts[repo][kind]: each listing writes only its own map, so no locking is needed.
	counts := make([][]daily, len(sel.GitHubRepos))
	for i := range counts {
		counts[i] = []daily{{}, {}, {}, {}, {}}
	}
	err := each(ctx, len(sel.GitHubRepos)*4, 4, func(ctx context.Context, i int) error {
		repo, c := sel.GitHubRepos[i/4], counts[i/4]
		var err error
		switch i % 4 {
		case 0:
			err = g.stars(ctx, hc, repo, w, c[ghStars])
		case 1:
			err = g.forks(ctx, hc, repo, w, c[ghForks])
		case 2:
			err = g.issues(ctx, hc, repo, w, c[ghOpened], c[ghClosed])
		default:
			err = g.merged(ctx, hc, repo, w, c[ghMerged])
		}
		return repoError(err, repo)
	})
	if err != nil {
		return nil, githubAPI().classified(err)
	}
	return githubSection(p, sel.GitHubRepos, counts), nil
}

func githubSection(p period.Period, repos []string, counts [][]daily) *Section {
	s := ok(ProviderGitHub)
	table := Table{Key: "repositories", Title: "Repositories", Columns: []string{"Repository"}, Rows: [][]string{}}
	for _, k := range githubKinds {
		table.Columns = append(table.Columns, k.column)
	}
	totals := []daily{{}, {}, {}, {}, {}}
	for r, repo := range repos {
		row := []string{repo}
		for k := range githubKinds {
			for day, v := range counts[r][k] {
				totals[k][day] += v
			}
			cur, _ := counts[r][k].totals(p)
			row = append(row, num(cur))
		}
		table.Rows = append(table.Rows, row)
	}
	for k, kind := range githubKinds {
		cur, prev := totals[k].totals(p)
		s.Metrics = append(s.Metrics, NewMetric(kind.key, kind.label, UnitCount, cur, prev, true))
		s.Series = append(s.Series, totals[k].series(kind.key, kind.label, p))
	}
	s.Tables = []Table{table}
	return s
}

func (g GitHub) repoURL(repo, path string, q url.Values) string {
	q.Set("per_page", g.perPage())
	return g.base() + "/repos/" + repo + path + "?" + q.Encode()
}

// starsQuery pages a repository's stargazers newest first with the time of each star.
// GraphQL, not REST: GET /repos/{owner}/{repo}/stargazers is oldest first and stops at page
// 400 (40,000 stars at 100 a page), so the recent stars of a bigger repository cannot be
// reached there; ordered by STARRED_AT descending, the walk stops at the first star older
// than the window, whatever the repository's size.
// https://docs.github.com/en/graphql/reference/objects#repository (stargazers)
// https://docs.github.com/en/graphql/reference/input-objects#starorder
const starsQuery = `query($owner: String!, $name: String!, $first: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    stargazers(first: $first, after: $after, orderBy: {field: STARRED_AT, direction: DESC}) {
      pageInfo { hasNextPage endCursor }
      edges { starredAt }
    }
  }
}`

// starsPage is one answer to starsQuery. GraphQL reports a missing repository as 200 with
// errors (type NOT_FOUND) and a null repository.
type starsPage struct {
	Data struct {
		Repository *struct {
			Stargazers struct {
				PageInfo struct {
					HasNextPage bool   `json:"hasNextPage"`
					EndCursor   string `json:"endCursor"`
				} `json:"pageInfo"`
				Edges []struct {
					StarredAt string `json:"starredAt"`
				} `json:"edges"`
			} `json:"stargazers"`
		} `json:"repository"`
	} `json:"data"`
	Errors []struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"errors"`
}

// stars counts the stars given in the window, newest first, until one is older.
func (g GitHub) stars(ctx context.Context, hc *http.Client, repo string, w ghWindow, into daily) error {
	owner, name, _ := strings.Cut(repo, "/")
	vars := map[string]any{"owner": owner, "name": name, "first": cmp.Or(g.pageSize, 100)}
	for {
		var page starsPage
		h, err := g.graphQL(ctx, hc, starsQuery, vars, &page)
		if err != nil {
			return err
		}
		if err := page.err(repo, h); err != nil {
			return err
		}
		sg := page.Data.Repository.Stargazers
		for _, e := range sg.Edges {
			if w.older(e.StarredAt) {
				return nil
			}
			w.add(into, e.StarredAt)
		}
		if !sg.PageInfo.HasNextPage || sg.PageInfo.EndCursor == "" {
			return nil
		}
		vars["after"] = sg.PageInfo.EndCursor
	}
}

// err is the answer's GraphQL error, as a report error naming repo. A rate limit, which
// GraphQL reports with status 200 (type RATE_LIMITED for the primary one, a message for a
// secondary one), is a wait until the reset in h, not a refusal.
// https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api
func (p starsPage) err(repo string, h http.Header) error {
	if len(p.Errors) == 0 && p.Data.Repository != nil {
		return nil
	}
	if len(p.Errors) > 0 && (p.Errors[0].Type == "RATE_LIMITED" || strings.Contains(strings.ToLower(p.Errors[0].Message), "rate limit")) {
		return githubRateLimited(http.StatusOK, h, fmt.Errorf("graphql: %s", p.Errors[0].Message))
	}
	if len(p.Errors) > 0 && p.Errors[0].Type != "NOT_FOUND" {
		return permanent(ProviderGitHub, "GitHub refused to list the stars of "+repo+".", fmt.Errorf("graphql: %s", p.Errors[0].Message))
	}
	return permanent(ProviderGitHub, fmt.Sprintf("GitHub repository %s was not found, or Metriqs may no longer read it; check your choice in Integrations.", repo), nil)
}

// forks lists forks newest first and stops at the first fork older than the window.
// https://docs.github.com/en/rest/repos/forks#list-forks
func (g GitHub) forks(ctx context.Context, hc *http.Client, repo string, w ghWindow, into daily) error {
	type fork struct {
		CreatedAt string `json:"created_at"`
	}
	return walk(ctx, g, hc, g.repoURL(repo, "/forks", url.Values{"sort": {"newest"}}), func(f fork) bool {
		w.add(into, f.CreatedAt)
		return !w.older(f.CreatedAt)
	})
}

// issues lists issues updated since the window began (anything opened or closed in it was
// updated then), newest update first. The issues API also returns pull requests, marked by a
// pull_request key; they are skipped.
// https://docs.github.com/en/rest/issues/issues#list-repository-issues
func (g GitHub) issues(ctx context.Context, hc *http.Client, repo string, w ghWindow, opened, closed daily) error {
	type issue struct {
		CreatedAt   string          `json:"created_at"`
		ClosedAt    *string         `json:"closed_at"`
		PullRequest *map[string]any `json:"pull_request"`
	}
	q := url.Values{"state": {"all"}, "since": {w.from.UTC().Format(time.RFC3339)}, "sort": {"updated"}, "direction": {"desc"}}
	return walk(ctx, g, hc, g.repoURL(repo, "/issues", q), func(it issue) bool {
		if it.PullRequest == nil {
			w.add(opened, it.CreatedAt)
			if it.ClosedAt != nil {
				w.add(closed, *it.ClosedAt)
			}
		}
		return true
	})
}

// merged lists closed pull requests by last update, newest first; one merged in the window
// was updated no earlier than its merge, so the walk stops at the first update before it.
// https://docs.github.com/en/rest/pulls/pulls#list-pull-requests
func (g GitHub) merged(ctx context.Context, hc *http.Client, repo string, w ghWindow, into daily) error {
	type pull struct {
		UpdatedAt string  `json:"updated_at"`
		MergedAt  *string `json:"merged_at"`
	}
	q := url.Values{"state": {"closed"}, "sort": {"updated"}, "direction": {"desc"}}
	return walk(ctx, g, hc, g.repoURL(repo, "/pulls", q), func(pr pull) bool {
		if pr.MergedAt != nil {
			w.add(into, *pr.MergedAt)
		}
		return !w.older(pr.UpdatedAt)
	})
}

// walk follows rel="next" links, calling visit for each item until it returns false.
func walk[T any](ctx context.Context, g GitHub, hc *http.Client, u string, visit func(T) bool) error {
	const maxPages = 300
	for range maxPages {
		var page []T
		rels, err := g.get(ctx, hc, u, "application/vnd.github+json", &page)
		if err != nil {
			return err
		}
		for _, it := range page {
			if !visit(it) {
				return nil
			}
		}
		if u = rels["next"]; u == "" || len(page) == 0 {
			return nil
		}
	}
	return permanent(ProviderGitHub, "A repository has more activity than a report can read; choose a shorter period.", nil)
}
