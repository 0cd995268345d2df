package provider

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// newGoogleAnalytics is GA4: reports from the Data API, properties listed by the Admin API.
func newGoogleAnalytics() *Provider {
	p := newGoogle(GoogleAnalytics, "Google Analytics")
	p.Endpoints.API = "https://analyticsadmin.googleapis.com"
	p.Endpoints.Hosts = []string{"analyticsadmin.googleapis.com", "analyticsdata.googleapis.com"}
	p.Chooser = &Chooser{Kind: "ga4_property", Max: MaxSources, list: listGA4Properties}
	return p
}

// maxChoicePages bounds how many pages of a list are read: a user with more than a few
// thousand properties or repositories is not choosing from a drop-down.
const maxChoicePages = 10

// listGA4Properties reads the account summaries: every GA4 account the user can see with its
// properties, in one paged list.
// https://developers.google.com/analytics/devguides/config/admin/v1/rest/v1beta/accountSummaries/list
func listGA4Properties(ctx context.Context, p *Provider, hc *http.Client) ([]Choice, error) {
	type page struct {
		AccountSummaries []struct {
			DisplayName       string `json:"displayName"`
			PropertySummaries []struct {
				Property    string `json:"property"`
				DisplayName string `json:"displayName"`
			} `json:"propertySummaries"`
		} `json:"accountSummaries"`
		NextPageToken string `json:"nextPageToken"`
	}
	var out []Choice
	token := ""
	for range maxChoicePages {
		q := url.Values{"pageSize": {"200"}}
		if token != "" {
			q.Set("pageToken", token)
		}
		var pg page
		if err := getJSON(ctx, hc, strings.TrimRight(p.Endpoints.API, "/")+"/v1beta/accountSummaries?"+q.Encode(), nil, &pg); err != nil {
			return nil, err
		}
		for _, a := range pg.AccountSummaries {
			for _, ps := range a.PropertySummaries {
				if strings.HasPrefix(ps.Property, "properties/") {
					out = append(out, Choice{ID: ps.Property, Label: ps.DisplayName, Group: a.DisplayName})
				}
			}
		}
		if token = pg.NextPageToken; token == "" {
			break
		}
	}
	return out, nil
}
