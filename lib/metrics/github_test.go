package metrics

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Fixtures follow the GitHub REST API (stars: GraphQL, see starsGraphQL):
// stargazers with application/vnd.github.star+json → [{starred_at, user}], oldest first, and
// "pagination is limited" (422) past page 400
// https://docs.github.com/en/rest/activity/starring#list-stargazers
// forks → [{created_at, …}], sort=newest https://docs.github.com/en/rest/repos/forks#list-forks
// issues → pull requests included, marked by "pull_request"
// https://docs.github.com/en/rest/issues/issues#list-repository-issues
// pulls → [{updated_at, merged_at}] https://docs.github.com/en/rest/pulls/pulls#list-pull-requests
// pages linked by the Link header
// https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api

type ghPage struct {
	items string
	next  int // 0: no next page
	last  int // 0: no last link
}

func TestGitHub(t *testing.T) {
	var base string
	app := map[string][]ghPage{
		"forks": {
			{`[{"full_name":"x/app","created_at":"2026-11-05T10:00:00Z"},{"full_name":"y/app","created_at":"2026-10-26T10:00:00Z"}]`, 2, 3},
			{`[{"full_name":"z/app","created_at":"2026-10-01T10:00:00Z"},{"full_name":"w/app","created_at":"2026-09-01T10:00:00Z"}]`, 3, 3},
			{`[]`, 0, 0},
		},
		"issues": {
			{`[{"number":9,"created_at":"2026-11-02T10:00:00Z","closed_at":"2026-11-04T10:00:00Z"},
			   {"number":3,"created_at":"2026-09-01T10:00:00Z","closed_at":"2026-11-03T10:00:00Z"},
			   {"number":8,"created_at":"2026-11-01T10:00:00Z","closed_at":null,"pull_request":{"url":"https://api.github.com/repos/acme/app/pulls/8","merged_at":null}},
			   {"number":7,"created_at":"2026-10-27T10:00:00Z","closed_at":null}]`, 2, 2},
			{`[{"number":6,"created_at":"2026-10-26T10:00:00Z","closed_at":"2026-10-29T10:00:00Z"}]`, 0, 0},
		},
		"pulls": {
			{`[{"number":12,"updated_at":"2026-11-06T10:00:00Z","merged_at":"2026-11-06T09:00:00Z"},{"number":11,"updated_at":"2026-11-05T10:00:00Z","merged_at":null}]`, 2, 3},
			{`[{"number":10,"updated_at":"2026-10-27T10:00:00Z","merged_at":"2026-10-26T10:00:00Z"},{"number":5,"updated_at":"2026-09-01T10:00:00Z","merged_at":"2026-09-01T09:00:00Z"}]`, 3, 3},
			{`[{"number":4,"updated_at":"2026-08-01T10:00:00Z","merged_at":"2026-08-01T09:00:00Z"}]`, 0, 0},
		},
	}
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, body map[string]any) {
		if r.Method == http.MethodPost && r.URL.Path == "/graphql" {
			starsGraphQL(t, w, body)
			return
		}
		parts := strings.Split(r.URL.Path, "/") // "", "repos", owner, name, list
		if len(parts) != 5 || parts[1] != "repos" {
			reply(w, 404, `{"message":"Not Found"}`)
			return
		}
		repo, list := parts[2]+"/"+parts[3], parts[4]
		if repo == "acme/lib" {
			if list == "forks" { // a next link to another host must not be followed
				w.Header().Set("Link", `<https://evil.example/repos/acme/lib/forks?page=2>; rel="next"`)
				reply(w, 200, `[{"full_name":"q/lib","created_at":"2026-11-02T10:00:00Z"}]`)
				return
			}
			reply(w, 200, `[]`)
			return
		}
		page := 1
		fmt.Sscan(r.URL.Query().Get("page"), &page)
		if list == "stargazers" { // acme/app has 45,000 stars: REST cannot reach the recent ones
			if page > 400 {
				reply(w, 422, `{"message":"In order to keep the API fast for everyone, pagination is limited for this resource."}`)
				return
			}
			w.Header().Set("Link", fmt.Sprintf(`<%s/repos/acme/app/stargazers?page=2>; rel="next", <%s/repos/acme/app/stargazers?page=22500>; rel="last"`, base, base))
			reply(w, 200, `[{"starred_at":"2012-01-01T00:00:00Z","user":{"login":"a"}},{"starred_at":"2012-02-01T00:00:00Z","user":{"login":"b"}}]`)
			return
		}
		p := app[list][page-1]
		link := []string{}
		at := func(n int) string { // GitHub's links keep the request's query, with another page
			q := r.URL.Query()
			q.Set("page", fmt.Sprint(n))
			return base + r.URL.Path + "?" + q.Encode()
		}
		if p.next > 0 {
			link = append(link, fmt.Sprintf(`<%s>; rel="next"`, at(p.next)))
		}
		if p.last > 0 {
			link = append(link, fmt.Sprintf(`<%s>; rel="last"`, at(p.last)))
		}
		w.Header().Set("Link", strings.Join(link, ", "))
		reply(w, 200, p.items)
	})
	base = f.srv.URL
	s := fetch(t, GitHub{BaseURL: f.srv.URL, pageSize: 2}, f.client(), Selection{GitHubRepos: []string{"acme/app", "acme/lib"}}, week("UTC"))

	want := map[string][2]float64{
		"stars": {2, 1}, "forks": {2, 1}, "issues_opened": {1, 2}, "issues_closed": {2, 1}, "prs_merged": {1, 1},
	}
	for key, w := range want {
		m := metric(t, s, key)
		expect(t, key, m.Value, w[0])
		expect(t, key+" previous", m.Previous, w[1])
	}
	expect(t, "issues opened change", *metric(t, s, "issues_opened").ChangePct, -50)
	if v := values(series(t, s, "stars")); len(v) != 7 || v["2026-11-03"] != 1 || v["2026-11-06"] != 1 || v["2026-11-04"] != 0 {
		t.Errorf("stars series %v", v)
	}
	tb := s.Tables[0]
	rows, _ := json.Marshal(tb.Rows)
	if tb.Key != "repositories" || len(tb.Columns) != 6 || string(rows) != `[["acme/app","2","1","1","2","1"],["acme/lib","0","1","0","0","0"]]` {
		t.Errorf("table %v %s", tb.Columns, rows)
	}

	asked := map[string]bool{}
	for _, r := range f.requests() {
		asked[r.Path+"?page="+r.Query.Get("page")] = true
		if r.Path == "/graphql" {
			continue
		}
		if r.Header.Get("X-GitHub-Api-Version") != "2022-11-28" || r.Query.Get("per_page") != "2" {
			t.Errorf("%s: headers/query %v %v", r.Path, r.Header, r.Query)
		}
		accept := r.Header.Get("Accept")
		switch {
		case strings.HasSuffix(r.Path, "/stargazers") && accept != "application/vnd.github.star+json":
			t.Errorf("stargazers Accept %q", accept)
		case strings.HasSuffix(r.Path, "/issues") && (r.Query.Get("since") != "2026-10-25T00:00:00Z" || r.Query.Get("state") != "all"):
			t.Errorf("issues query %v", r.Query)
		case strings.HasSuffix(r.Path, "/pulls") && (r.Query.Get("state") != "closed" || r.Query.Get("sort") != "updated" || r.Query.Get("direction") != "desc"):
			t.Errorf("pulls query %v", r.Query)
		case strings.HasSuffix(r.Path, "/forks") && r.Query.Get("sort") != "newest":
			t.Errorf("forks query %v", r.Query)
		}
	}
	// Early stops: stars stopped on the second GraphQL page; forks and pulls on page 2.
	if n := asked["/graphql?page="]; !n {
		t.Error("stars were not read through GraphQL")
	}
	for _, p := range []string{"/repos/acme/app/forks?page=3", "/repos/acme/app/pulls?page=3"} {
		if asked[p] {
			t.Errorf("%s was read although everything on it is older than the window", p)
		}
	}
	for _, p := range []string{"/repos/acme/app/issues?page=2"} {
		if !asked[p] {
			t.Errorf("%s was not read", p)
		}
	}
}

func TestGitHubSelection(t *testing.T) {
	for _, repos := range [][]string{nil, {"acme"}, {"acme/app/extra"}, {"../etc"}, {"acme/.."}, {"acme/app?x=1"}} {
		_, err := GitHub{BaseURL: "http://127.0.0.1:1"}.Fetch(t.Context(), http.DefaultClient, Selection{GitHubRepos: repos}, week("UTC"))
		if !isKind(err, ErrPermanent) {
			t.Errorf("%q: %v", repos, err)
		}
	}
}

func TestLinks(t *testing.T) {
	h := `<https://api.github.com/repositories/1300192/issues?page=2>; rel="prev", <https://api.github.com/repositories/1300192/issues?page=4>; rel="next", <https://api.github.com/repositories/1300192/issues?page=515>; rel="last", <https://api.github.com/repositories/1300192/issues?page=1>; rel="first"`
	got := links(h)
	if pageOf(got["next"]) != 4 || pageOf(got["last"]) != 515 || pageOf(got["first"]) != 1 || len(got) != 4 {
		t.Errorf("links = %v", got)
	}
	if got := links(`<https://x/?a=1,2>;rel=next`); got["next"] != "https://x/?a=1,2" {
		t.Errorf("comma in URL, unquoted rel: %v", got)
	}
	if got := links(""); len(got) != 0 {
		t.Errorf("empty: %v", got)
	}
}

func BenchmarkLinks(b *testing.B) {
	h := `<https://api.github.com/repositories/1300192/issues?page=2>; rel="prev", <https://api.github.com/repositories/1300192/issues?page=4>; rel="next", <https://api.github.com/repositories/1300192/issues?page=515>; rel="last", <https://api.github.com/repositories/1300192/issues?page=1>; rel="first"`
	for b.Loop() {
		_ = links(h)
	}
}

// starsGraphQL answers starsQuery as GitHub's GraphQL API does: acme/app's stargazers newest
// first (orderBy STARRED_AT DESC), `first` to a page, cursors; acme/lib has none. Reading
// past the second page (whose last star is before the window) is an error.
// https://docs.github.com/en/graphql/guides/using-pagination-in-the-graphql-api
func starsGraphQL(t *testing.T, w http.ResponseWriter, body map[string]any) {
	q, _ := body["query"].(string)
	vars, _ := body["variables"].(map[string]any)
	if !strings.Contains(q, "orderBy: {field: STARRED_AT, direction: DESC}") || vars["first"] != float64(2) {
		t.Errorf("graphql query %q %v", q, vars)
	}
	pages := map[any]string{
		nil:            `{"pageInfo":{"hasNextPage":true,"endCursor":"Y3Vyc29yOjI="},"edges":[{"starredAt":"2026-11-06T10:00:00Z"},{"starredAt":"2026-11-03T10:00:00Z"}]}`,
		"Y3Vyc29yOjI=": `{"pageInfo":{"hasNextPage":true,"endCursor":"Y3Vyc29yOjQ="},"edges":[{"starredAt":"2026-10-28T09:00:00Z"},{"starredAt":"2026-10-24T23:00:00Z"}]}`,
	}
	if vars["owner"] != "acme" || (vars["name"] == "lib" && vars["after"] == nil) {
		reply(w, 200, `{"data":{"repository":{"stargazers":{"pageInfo":{"hasNextPage":false,"endCursor":null},"edges":[]}}}}`)
		return
	}
	page, ok := pages[vars["after"]]
	if vars["name"] != "app" || !ok {
		t.Errorf("graphql read %v", vars)
		reply(w, 200, `{"data":{"repository":null},"errors":[{"type":"NOT_FOUND","path":["repository"],"message":"Could not resolve to a Repository."}]}`)
		return
	}
	reply(w, 200, `{"data":{"repository":{"stargazers":`+page+`}}}`)
}
