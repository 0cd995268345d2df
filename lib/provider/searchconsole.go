package provider

import (
	"context"
	"net/http"
	"strings"
)

// newSearchConsole is Google Search Console: reports from searchAnalytics.query, sites from
// the sites list, both on searchconsole.googleapis.com.
func newSearchConsole() *Provider {
	p := newGoogle(SearchConsole, "Search Console")
	p.Endpoints.API = "https://searchconsole.googleapis.com"
	p.Endpoints.Hosts = []string{"searchconsole.googleapis.com"}
	p.Chooser = &Chooser{Kind: "search_console_site", Max: MaxSources, list: listSearchConsoleSites}
	return p
}

// listSearchConsoleSites lists the user's Search Console properties, URL-prefix
// ("https://www.example.com/") and domain ("sc-domain:example.com") alike. Sites the user
// has not verified return no data, so they are left out: never listed, so never the first
// (default) choice either. The level is compared case-insensitively: the documented value is
// "siteUnverifiedUser", and a differently cased one must not slip an unverified site in.
// https://developers.google.com/webmaster-tools/v1/sites/list
func listSearchConsoleSites(ctx context.Context, p *Provider, hc *http.Client) ([]Choice, error) {
	var res struct {
		SiteEntry []struct {
			SiteURL         string `json:"siteUrl"`
			PermissionLevel string `json:"permissionLevel"`
		} `json:"siteEntry"`
	}
	if err := getJSON(ctx, hc, strings.TrimRight(p.Endpoints.API, "/")+"/webmasters/v3/sites", nil, &res); err != nil {
		return nil, err
	}
	var out []Choice
	for _, s := range res.SiteEntry {
		if s.SiteURL == "" || strings.EqualFold(s.PermissionLevel, "siteUnverifiedUser") {
			continue
		}
		out = append(out, Choice{ID: s.SiteURL, Label: strings.TrimPrefix(s.SiteURL, "sc-domain:")})
	}
	return out, nil
}
