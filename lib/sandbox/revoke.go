package sandbox

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/trymetriqs/metriqs/lib/store"
)

// Revoke serves POST /api/sandbox/revoke (RFC 7009): client_secret_basic and token (an
// access or a refresh token; token_type_hint is optional). Revoking either ends the whole
// grant, as §2.1 allows. An unknown or already revoked token is answered 200 too (§2.2):
// the client's goal, that the token no longer works, is met.
func (s *Server) Revoke(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") || r.ParseForm() != nil {
		return oauthError(w, http.StatusBadRequest, "invalid_request", "Send the parameters form-encoded.")
	}
	if !s.authenticateClient(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="sandbox"`)
		return oauthError(w, http.StatusUnauthorized, "invalid_client", "Authenticate with HTTP Basic (client_secret_basic).")
	}
	tok := r.PostForm.Get("token")
	if tok == "" {
		return oauthError(w, http.StatusBadRequest, "invalid_request", "token is required.")
	}
	g, err := s.lookup(r.Context(), tok)
	if err != nil && !errors.Is(err, errNoGrant) {
		return err
	}
	if err == nil && g.client == s.o.Client.ClientID {
		if err := s.o.Store.R.Del(r.Context(), g.key).Err(); err != nil {
			return store.Err(err)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	return nil
}

// grant is a live grant found from one of its tokens.
type grant struct {
	key, uid, account, client string
	scopes                    []string
	access                    bool // found by its access token
}

// errNoGrant: the token is unknown, expired, rotated away or revoked.
var errNoGrant = errors.New("sandbox: no live grant for this token")

// lookup finds the grant a token belongs to: a refresh token that is the grant's current
// one, or an access token that is current and not expired.
func (s *Server) lookup(ctx context.Context, tok string) (grant, error) {
	id, ok := grantOf(tok, accessPrefix)
	field := "at"
	if !ok {
		if id, ok = grantOf(tok, refreshPrefix); !ok {
			return grant{}, errNoGrant
		}
		field = "rt"
	}
	key := s.key("grant", id)
	f, err := s.o.Store.R.HGetAll(ctx, key).Result()
	if err != nil {
		return grant{}, store.Err(err)
	}
	if len(f) == 0 || subtle.ConstantTimeCompare([]byte(f[field]), []byte(hash(tok))) != 1 {
		return grant{}, errNoGrant
	}
	if field == "at" {
		exp, err := strconv.ParseInt(f["at_exp"], 10, 64)
		if err != nil || s.o.Now().UnixMilli() >= exp {
			return grant{}, errNoGrant
		}
	}
	return grant{key: key, uid: f["uid"], account: f["account"], client: f["client"],
		scopes: strings.Fields(f["scope"]), access: field == "at"}, nil
}
