package provider

import (
	"context"
	"net/http"

	"golang.org/x/oauth2"
)

// withHeader is ctx with its oauth2.HTTPClient (http.DefaultClient when none) wrapped to add
// p.header to each request, so that x/oauth2's token requests carry it too.
func (p *Provider) withHeader(ctx context.Context) context.Context {
	if len(p.header) == 0 {
		return ctx
	}
	base, _ := ctx.Value(oauth2.HTTPClient).(*http.Client)
	if base == nil {
		base = http.DefaultClient
	}
	hc := *base
	hc.Transport = headerTransport{base: base.Transport, header: p.header}
	return context.WithValue(ctx, oauth2.HTTPClient, &hc)
}

// headerTransport adds header to every request it sends through base (or the default).
type headerTransport struct {
	base   http.RoundTripper
	header http.Header
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context()) // a RoundTripper must not change the caller's request
	setHeader(r, t.header)
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}

// setHeader sets every value of h on r.
func setHeader(r *http.Request, h http.Header) {
	for k, v := range h {
		r.Header[k] = v
	}
}
