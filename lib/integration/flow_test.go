package integration_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/integration"
	"github.com/trymetriqs/metriqs/lib/metrics"
	"github.com/trymetriqs/metriqs/lib/provider"
)

// TestConnectChooseRefreshDisconnect runs the whole life of an integration for every
// provider, against its fake (or the sandbox): connect, choose, use, refresh after expiry,
// disconnect with revocation.
func TestConnectChooseRefreshDisconnect(t *testing.T) {
	for _, tc := range []struct {
		id      string
		account string
		choose  []string // ids to choose after connecting ("" : nothing to choose)
		want    func(metrics.Selection) bool
		ttl     time.Duration
	}{
		// Several properties or sites: a report section each (Split), in the order chosen,
		// named by the choice's label.
		{provider.GoogleAnalytics, "Acme", []string{"properties/2001", "properties/1001"},
			func(s metrics.Selection) bool {
				one := s.Split()
				return s.GA4Property == "properties/2001" && len(one) == 2 && one[1].GA4Property == "properties/1001" &&
					one[1].Source(metrics.ProviderGA4).Name == "Acme Web"
			}, time.Hour},
		{provider.SearchConsole, "https://www.example.com/", []string{"sc-domain:example.com", "https://www.example.com/"},
			func(s metrics.Selection) bool {
				one := s.Split()
				return s.SearchConsoleSite == "sc-domain:example.com" && len(one) == 2 && one[1].SearchConsoleSite == "https://www.example.com/"
			}, time.Hour},
		{provider.GitHub, "octocat", []string{"octocat/secret-sauce", "octocat/hello-world"},
			func(s metrics.Selection) bool {
				return slices.Equal(s.GitHubRepos, []string{"octocat/secret-sauce", "octocat/hello-world"})
			}, 8 * time.Hour},
		// Stripe has no choice: the section is named after the installing account, and no
		// Stripe-Account header is sent (the token is that account's own).
		{provider.Stripe, "acct_1FakeInstaller (test mode)", nil,
			func(s metrics.Selection) bool {
				src := s.Source(metrics.ProviderStripe)
				return isZero(s) && src != nil && *src == metrics.Source{ID: "acct_1FakeInstaller", Name: "acct_1FakeInstaller (test mode)"}
			}, time.Hour},
		{provider.Demo, "Demo Shop", []string{"site_blog"},
			func(s metrics.Selection) bool { return isZero(s) }, time.Hour},
	} {
		t.Run(tc.id, func(t *testing.T) {
			e := setup(t)
			ctx := context.Background()
			e.connect(t, tc.id)

			rows, err := e.svc.List(ctx, e.user)
			if err != nil {
				t.Fatal(err)
			}
			row := rows[slices.IndexFunc(rows, func(r integration.Row) bool { return r.Provider == tc.id })]
			if row.Status != integration.StatusConnected || row.Account != tc.account || row.ConnectedAt == nil || len(row.Scopes) == 0 {
				t.Fatalf("row %+v", row)
			}
			if (tc.choose != nil) != (len(row.Selected) == 1) {
				t.Fatalf("default selection %+v", row.Selected)
			}

			// Tokens are sealed, bound to user, provider and field.
			rec := e.record(t, tc.id)
			for _, f := range []string{"access_token", "refresh_token"} {
				if !strings.HasPrefix(rec[f], "v1.k1.") {
					t.Fatalf("%s stored as %q", f, rec[f])
				}
			}

			if tc.choose != nil {
				if _, err := e.svc.Select(ctx, e.user, integration.SelectInput{Provider: tc.id, Selected: tc.choose}); err != nil {
					t.Fatal(err)
				}
			}
			_, sel, err := e.svc.Client(ctx, e.user, tc.id)
			if err != nil || !tc.want(sel) {
				t.Fatalf("selection %+v, %v", sel, err)
			}
			if err := e.probe(t, tc.id); err != nil {
				t.Fatal(err)
			}

			// Past expiry (less the margin) the next call refreshes, and what it got is stored.
			before := e.record(t, tc.id)
			e.clock.Add(tc.ttl - time.Minute)
			if err := e.probe(t, tc.id); err != nil {
				t.Fatalf("after expiry: %v", err)
			}
			after := e.record(t, tc.id)
			if after["access_token"] == before["access_token"] || after["issued_at"] == before["issued_at"] {
				t.Fatal("refreshed tokens were not stored")
			}
			if f := e.fakes[tc.id]; f != nil {
				for rt, n := range f.RefreshUses() {
					if n != 1 {
						t.Fatalf("refresh token %s presented %d times", rt, n)
					}
				}
			}
			if err := e.probe(t, tc.id); err != nil {
				t.Fatalf("with the stored refreshed token: %v", err)
			}

			if err := e.svc.Disconnect(ctx, e.user, integration.DisconnectInput{Provider: tc.id}, browser); err != nil {
				t.Fatal(err)
			}
			if f := e.fakes[tc.id]; f != nil && (f.Live() != 0 || len(f.Revocations()) != 1) {
				t.Fatalf("not revoked at the provider: %d live, %v", f.Live(), f.Revocations())
			}
			if len(e.record(t, tc.id)) != 0 {
				t.Fatal("integration still stored after disconnect")
			}
			if ok, _ := e.st.R.SIsMember(ctx, e.st.Key("index", "integrations"), e.user+":"+tc.id).Result(); ok {
				t.Fatal("still in the integrations index")
			}
			if _, _, err := e.svc.Client(ctx, e.user, tc.id); !errors.Is(err, integration.ErrNotConnected) {
				t.Fatalf("Client after disconnect: %v", err)
			}
			if ev := e.events(t); !slices.Contains(ev, audit.IntegrationConnected) || ev[0] != audit.IntegrationDisconnect {
				t.Fatalf("security log %v", ev)
			}
			if len(e.pub.messages()) != 0 {
				t.Fatal("a revocation that worked was queued for retry")
			}
		})
	}
}

// TestSandboxRevokedAtDisconnect: the sandbox's own tokens stop working when Metriqs
// disconnects.
func TestSandboxRevokedAtDisconnect(t *testing.T) {
	e := setup(t)
	e.connect(t, provider.Demo)
	hc, _, err := e.svc.Client(context.Background(), e.user, provider.Demo)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Disconnect(context.Background(), e.user, integration.DisconnectInput{Provider: provider.Demo}, browser); err != nil {
		t.Fatal(err)
	}
	res, err := hc.Get(e.sbx.URL + provider.DemoSitesPath)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("sandbox still accepts the token: %d", res.StatusCode)
	}
}

// TestConcurrentRefreshSpendsRotatingTokenOnce: many functions find the token expired at
// once; the lock and the re-read after it make exactly one of them refresh, and every one
// ends up with the new token.
func TestConcurrentRefreshSpendsRotatingTokenOnce(t *testing.T) {
	for _, id := range []string{provider.GitHub, provider.Demo} {
		t.Run(id, func(t *testing.T) {
			e := setup(t)
			e.connect(t, id)
			for round := 1; round <= 3; round++ {
				e.clock.Add(8 * time.Hour)
				var wg sync.WaitGroup
				errs := make(chan error, 20)
				for range 20 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						errs <- e.probe(t, id)
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Fatalf("round %d: %v", round, err)
					}
				}
				if f := e.fakes[id]; f != nil {
					uses := f.RefreshUses()
					if len(uses) != round {
						t.Fatalf("round %d: %d refreshes, want %d", round, len(uses), round)
					}
					for rt, n := range uses {
						if n != 1 {
							t.Fatalf("refresh token %s spent %d times", rt, n)
						}
					}
				}
			}
			// The sandbox revokes the whole grant when a refresh token is replayed; a
			// working token after three rounds shows none was.
			if err := e.probe(t, id); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestChoices(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.connect(t, provider.GitHub)
	got, err := e.svc.Choices(ctx, e.user, provider.GitHub)
	if err != nil || got.Kind != "github_repos" || len(got.Choices) != 2 || len(got.Selected) != 1 || got.Max != 10 {
		t.Fatalf("%+v, %v", got, err)
	}
	for name, sel := range map[string][]string{
		"none":       {},
		"unknown":    {"someone/else"},
		"repeated":   {"octocat/hello-world", "octocat/hello-world"},
		"path trick": {"octocat/hello-world/../x"},
	} {
		before := e.snapshot(t)
		_, err := e.svc.Select(ctx, e.user, integration.SelectInput{Provider: provider.GitHub, Selected: sel})
		if code := problemCode(err); code != "invalid_selection" {
			t.Errorf("%s: %v", name, err)
		}
		if !equalMaps(before, e.snapshot(t)) {
			t.Errorf("%s changed stored data", name)
		}
	}
	if _, err := e.svc.Choices(ctx, e.user, provider.Stripe); problemCode(err) != "not_found" {
		t.Errorf("stripe choices: %v", err)
	}
	if _, err := e.svc.Choices(ctx, e.user, provider.GoogleAnalytics); problemCode(err) != "not_connected" {
		t.Errorf("choices of a provider not connected: %v", err)
	}
}

func isZero(s metrics.Selection) bool {
	return s.GA4Property == "" && s.SearchConsoleSite == "" && len(s.GitHubRepos) == 0 && s.StripeAccount == ""
}

// TestRefreshDoesNotWriteIntoANewerConnection: the user reconnects while a refresh of the
// old connection is in flight; the refresh must not overwrite the new tokens, nor revoke
// (GitHub keeps one authorization per user and app: that would end the new connection).
func TestRefreshDoesNotWriteIntoANewerConnection(t *testing.T) {
	e := setup(t)
	e.connect(t, provider.GitHub)
	f := e.fakes[provider.GitHub]
	e.clock.Add(8 * time.Hour)
	var reconnected map[string]string
	f.BeforeToken = func() {
		e.connect(t, provider.GitHub)
		reconnected = e.record(t, provider.GitHub)
	}
	if err := e.probe(t, provider.GitHub); err == nil {
		t.Fatal("a refresh of a replaced connection succeeded")
	}
	if got := e.record(t, provider.GitHub); !equalMaps(got, reconnected) {
		t.Fatalf("the new connection was overwritten:\n%v\n%v", got, reconnected)
	}
	if err := e.probe(t, provider.GitHub); err != nil {
		t.Fatalf("the new connection: %v", err)
	}
}
