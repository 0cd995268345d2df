package session

import (
	"context"
	"net/http"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/web"
)

type ctxKey struct{}

// From returns the session that Required put in ctx. It panics when there is none: a handler
// that calls it without Required in front is a programming error, and web.Serve turns the
// panic into a 500.
func From(ctx context.Context) *Session {
	s, ok := ctx.Value(ctxKey{}).(*Session)
	if !ok {
		panic("session.From: no session in context (handler not wrapped in session.Required)")
	}
	return s
}

// WithSession returns ctx carrying s (for tests of handlers behind Required).
func WithSession(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

// Required wraps h so it only runs for a signed-in user, and for state-changing methods only
// when the browser says the request came from our own pages.
func Required(h web.HandlerFunc) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := CheckOrigin(r); err != nil {
			return err
		}
		m, err := Default()
		if err != nil {
			return err
		}
		s, err := m.Authenticate(r)
		if err != nil {
			return err
		}
		return h(w, r.WithContext(WithSession(r.Context(), s)))
	}
}

// CheckOrigin applies web.CheckOrigin against the configured APP_URL.
func CheckOrigin(r *http.Request) error {
	cfg, err := config.FromEnv()
	if err != nil {
		return problem.Internal(err)
	}
	return web.CheckOrigin(r, cfg.AppURL)
}

// SameOrigin wraps a public endpoint (signup, login) with the cross-site check alone: a forged
// login would sign the victim into the attacker's account.
func SameOrigin(h web.HandlerFunc) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := CheckOrigin(r); err != nil {
			return err
		}
		return h(w, r)
	}
}
