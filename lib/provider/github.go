package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// newGitHub is GitHub through a GitHub App acting for the user, not an OAuth App.
//
// Why: an OAuth App cannot read a private repository without the `repo` scope, which also
// grants write access to code, issues, settings and webhooks of every repository the user
// can reach. A GitHub App declares fine-grained, read-only repository permissions (Metadata,
// Issues and Pull requests: read; nothing else), acts only on the repositories where the
// user installed it, and its user access tokens expire after 8 hours with refresh tokens
// that rotate on use (6 months). The token can never exceed what both the user and the app
// may do. GitHub accepts PKCE (S256) for GitHub Apps since July 2025.
// https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app
// https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
func newGitHub() *Provider {
	return &Provider{
		ID: GitHub, Name: "GitHub",
		Endpoints: Endpoints{
			Auth:   "https://github.com/login/oauth/authorize",
			Token:  "https://github.com/login/oauth/access_token",
			Revoke: "https://api.github.com/applications/{client_id}/grant",
			API:    "https://api.github.com",
			Hosts:  []string{"api.github.com"},
		},
		PKCE:                 true,
		Auth:                 SecretPost,
		RevokeNeedsLiveToken: true,
		OneGrant:             true,
		// The refresh token lives six months; each refresh gives a new one.
		IdleLimit: 183 * 24 * time.Hour,
		Chooser:   &Chooser{Kind: "github_repos", Max: 10, list: listGitHubRepos},
		revoke:    revokeGitHub,
		account:   githubAccount,
	}
}

var githubHeader = http.Header{
	"Accept":               {"application/vnd.github+json"},
	"X-Github-Api-Version": {"2022-11-28"},
	"User-Agent":           {"Metriqs"},
}

func (p *Provider) githubURL(path string, q url.Values) string {
	u := strings.TrimRight(p.Endpoints.API, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// githubAccount is the user's login. GET /user needs no permission.
// https://docs.github.com/en/rest/users/users#get-the-authenticated-user
func githubAccount(ctx context.Context, p *Provider, hc *http.Client, _ *oauth2.Token) (Account, error) {
	var u struct {
		Login string `json:"login"`
		ID    int64  `json:"id"`
	}
	if err := getJSON(ctx, hc, p.githubURL("/user", nil), githubHeader, &u); err != nil {
		return Account{}, err
	}
	return Account{ID: strconv.FormatInt(u.ID, 10), Label: u.Login}, nil
}

// listGitHubRepos lists the repositories the user can read through the app's installations:
// the installations the user can access, then each one's repositories, every page of both.
// https://docs.github.com/en/rest/apps/installations#list-app-installations-accessible-to-the-user-access-token
// https://docs.github.com/en/rest/apps/installations#list-repositories-accessible-to-the-user-access-token
func listGitHubRepos(ctx context.Context, p *Provider, hc *http.Client) ([]Choice, error) {
	ids, err := githubInstallations(ctx, p, hc)
	if err != nil {
		return nil, err
	}
	var out []Choice
	for _, id := range ids {
		repos, err := githubInstallationRepos(ctx, p, hc, id)
		if err != nil {
			return nil, err
		}
		out = append(out, repos...)
	}
	return out, nil
}

// githubPage is the query of page n at GitHub's largest page size.
func githubPage(n int) url.Values {
	return url.Values{"per_page": {"100"}, "page": {strconv.Itoa(n)}}
}

// lastGitHubPage: page n held got items of total; a short page or the total ends the list.
func lastGitHubPage(n, got, total int) bool { return got < 100 || n*100 >= total }

// githubInstallations lists the ids of the app's installations the user can access, every
// page: a user in more than 100 organisations that installed the app has more than one.
func githubInstallations(ctx context.Context, p *Provider, hc *http.Client) ([]int64, error) {
	var ids []int64
	for page := 1; page <= maxChoicePages; page++ {
		var res struct {
			TotalCount    int `json:"total_count"`
			Installations []struct {
				ID int64 `json:"id"`
			} `json:"installations"`
		}
		if err := getJSON(ctx, hc, p.githubURL("/user/installations", githubPage(page)), githubHeader, &res); err != nil {
			return nil, err
		}
		for _, in := range res.Installations {
			ids = append(ids, in.ID)
		}
		if lastGitHubPage(page, len(res.Installations), res.TotalCount) {
			break
		}
	}
	return ids, nil
}

// githubInstallationRepos lists the repositories of installation id the user can read.
func githubInstallationRepos(ctx context.Context, p *Provider, hc *http.Client, id int64) ([]Choice, error) {
	var out []Choice
	for page := 1; page <= maxChoicePages; page++ {
		var res struct {
			TotalCount   int `json:"total_count"`
			Repositories []struct {
				FullName string `json:"full_name"`
				Owner    struct {
					Login string `json:"login"`
				} `json:"owner"`
			} `json:"repositories"`
		}
		u := p.githubURL(fmt.Sprintf("/user/installations/%d/repositories", id), githubPage(page))
		if err := getJSON(ctx, hc, u, githubHeader, &res); err != nil {
			return nil, err
		}
		for _, r := range res.Repositories {
			out = append(out, Choice{ID: r.FullName, Label: r.FullName, Group: r.Owner.Login})
		}
		if lastGitHubPage(page, len(res.Repositories), res.TotalCount) {
			break
		}
	}
	return out, nil
}

// revokeGitHub deletes the app's authorization for the user, which also deletes every token
// the app holds for them. Basic authentication with the app's client id and secret; the
// user's access token in the body. 204 means deleted; 404 or 422 that the token is no longer
// valid.
// https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-authorization
func revokeGitHub(ctx context.Context, p *Provider, hc *http.Client, g Grant) error {
	if g.AccessToken == "" {
		return fmt.Errorf("%w: no GitHub access token to revoke with", ErrNothingToRevoke)
	}
	body, _ := json.Marshal(map[string]string{"access_token": g.AccessToken})
	u := strings.ReplaceAll(p.Endpoints.Revoke, "{client_id}", url.PathEscape(p.Credentials.ClientID))
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRejected, err)
	}
	for k, v := range githubHeader {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(p.Credentials.ClientID, p.Credentials.ClientSecret)
	return call(hc, req, nil)
}
