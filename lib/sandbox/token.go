package sandbox

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Tokens look like sbx_at.<grant id>.<secret> and sbx_rt.<grant id>.<secret>: the grant id
// finds the grant's record, which holds only the SHA-256 of the current secrets.
const (
	accessPrefix  = "sbx_at."
	refreshPrefix = "sbx_rt."
)

// A PKCE code verifier: 43 to 128 unreserved characters (RFC 7636 §4.1).
var verifierShape = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// claimCodeScript takes an authorization code once. A code seen before answers with the
// grant it produced, so that grant can be revoked (RFC 6749 §4.1.2: a reused code SHOULD
// revoke the tokens issued from it). The used marker outlives the code itself.
var claimCodeScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return {0, ''} end
if string.sub(v, 1, 5) == 'used:' then return {1, string.sub(v, 6)} end
redis.call('SET', KEYS[1], 'used:' .. ARGV[1], 'PX', ARGV[2])
return {2, v}
`)

// rotateScript spends a refresh token: when its hash is the grant's current one, new
// access and refresh hashes replace it and it joins the used list; when it is in the used
// list, the refresh token was stolen or replayed, so the whole grant is revoked (OAuth 2.0
// Security BCP, RFC 9700 §4.14.2); anything else is unknown.
var rotateScript = redis.NewScript(`
local g = redis.call('HMGET', KEYS[1], 'rt', 'used', 'client', 'scope', 'account')
if not g[1] then return {0, '', ''} end
if g[3] ~= ARGV[6] then return {0, '', ''} end
if g[1] == ARGV[1] then
  local used = string.sub(ARGV[1] .. ' ' .. (g[2] or ''), 1, 65 * 50)
  redis.call('HSET', KEYS[1], 'rt', ARGV[4], 'at', ARGV[2], 'at_exp', ARGV[3], 'used', used)
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return {1, g[4], g[5]}
end
if g[2] and string.find(' ' .. g[2] .. ' ', ' ' .. ARGV[1] .. ' ', 1, true) then
  redis.call('DEL', KEYS[1])
  return {2, '', ''}
end
return {0, '', ''}
`)

// Token serves POST /api/sandbox/token (RFC 6749 §3.2): client_secret_basic, then
// grant_type authorization_code (code, redirect_uri, code_verifier) or refresh_token.
func (s *Server) Token(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") || r.ParseForm() != nil {
		return oauthError(w, http.StatusBadRequest, "invalid_request", "Send the parameters form-encoded.")
	}
	if !s.authenticateClient(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="sandbox"`)
		return oauthError(w, http.StatusUnauthorized, "invalid_client", "Authenticate with HTTP Basic (client_secret_basic).")
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		return s.exchange(w, r)
	case "refresh_token":
		return s.refresh(w, r)
	}
	return oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "Use authorization_code or refresh_token.")
}

func (s *Server) exchange(w http.ResponseWriter, r *http.Request) error {
	ctx, f := r.Context(), r.PostForm
	grantID := ids.New()
	res, err := claimCodeScript.Run(ctx, s.o.Store.R, []string{s.key("code", hash(f.Get("code")))}, grantID, (10 * codeTTL).Milliseconds()).Slice()
	if err != nil || len(res) != 2 {
		return store.Err(fmt.Errorf("sandbox: claim code: %w", err))
	}
	switch res[0].(int64) {
	case 0:
		return oauthError(w, http.StatusBadRequest, "invalid_grant", "The authorization code is unknown or has expired.")
	case 1:
		if err := s.o.Store.R.Del(ctx, s.key("grant", res[1].(string))).Err(); err != nil {
			return store.Err(err)
		}
		return oauthError(w, http.StatusBadRequest, "invalid_grant", "The authorization code was already used; the tokens issued with it are revoked.")
	}
	var req authRequest
	if err := json.Unmarshal([]byte(res[1].(string)), &req); err != nil {
		return fmt.Errorf("sandbox: decode code: %w", err)
	}
	if f.Get("redirect_uri") != req.RedirectURI {
		return oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's.")
	}
	if !verifierShape.MatchString(f.Get("code_verifier")) || !pkceMatches(f.Get("code_verifier"), req.Challenge) {
		return oauthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge.")
	}
	return s.issue(ctx, w, grantID, req)
}

// pkceMatches checks BASE64URL(SHA256(verifier)) == challenge (RFC 7636 §4.6).
func pkceMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// issue creates the grant record and answers with its first tokens.
func (s *Server) issue(ctx context.Context, w http.ResponseWriter, grantID string, req authRequest) error {
	at, rt := newToken(accessPrefix, grantID), newToken(refreshPrefix, grantID)
	now := s.o.Now()
	key := s.key("grant", grantID)
	account := accountOf(req.UserID)
	_, err := s.o.Store.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, map[string]any{
			"uid": req.UserID, "account": account, "client": req.ClientID, "scope": strings.Join(req.Scopes, " "),
			"at": hash(at), "at_exp": now.Add(s.o.AccessTTL).UnixMilli(), "rt": hash(rt), "used": "",
		})
		p.PExpire(ctx, key, s.o.RefreshTTL)
		s.o.Store.Own(ctx, p, req.UserID, key)
		return nil
	})
	if err != nil {
		return store.Err(err)
	}
	return s.tokenAnswer(w, at, rt, strings.Join(req.Scopes, " "), account)
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) error {
	ctx, presented := r.Context(), r.PostForm.Get("refresh_token")
	grantID, ok := grantOf(presented, refreshPrefix)
	if !ok {
		return oauthError(w, http.StatusBadRequest, "invalid_grant", "The refresh token is unknown, expired or revoked.")
	}
	at, rt := newToken(accessPrefix, grantID), newToken(refreshPrefix, grantID)
	exp := s.o.Now().Add(s.o.AccessTTL).UnixMilli()
	res, err := rotateScript.Run(ctx, s.o.Store.R, []string{s.key("grant", grantID)},
		hash(presented), hash(at), exp, hash(rt), s.o.RefreshTTL.Milliseconds(), s.o.Client.ClientID).Slice()
	if err != nil || len(res) != 3 {
		return store.Err(fmt.Errorf("sandbox: rotate: %w", err))
	}
	switch res[0].(int64) {
	case 1:
		scope := res[1].(string)
		if asked := strings.Fields(r.PostForm.Get("scope")); len(asked) > 0 && len(intersect(asked, strings.Fields(scope))) != len(asked) {
			return oauthError(w, http.StatusBadRequest, "invalid_scope", "A refresh cannot widen the grant.")
		}
		return s.tokenAnswer(w, at, rt, scope, res[2].(string))
	case 2:
		return oauthError(w, http.StatusBadRequest, "invalid_grant", "The refresh token was already used; the grant is revoked.")
	}
	return oauthError(w, http.StatusBadRequest, "invalid_grant", "The refresh token is unknown, expired or revoked.")
}

func (s *Server) tokenAnswer(w http.ResponseWriter, at, rt, scope, account string) error {
	return oauthJSON(w, http.StatusOK, map[string]any{
		"access_token": at, "token_type": "Bearer", "expires_in": int64(s.o.AccessTTL.Seconds()),
		"refresh_token": rt, "scope": scope, "account_id": account, "account_name": "Demo Shop",
	})
}

func newToken(prefix, grantID string) string { return prefix + grantID + "." + ids.Token(32) }

// grantOf reads the grant id out of a token with the given prefix.
func grantOf(token, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(token, prefix)
	if !ok {
		return "", false
	}
	id, secret, ok := strings.Cut(rest, ".")
	return id, ok && ids.Valid(id) && secret != ""
}

// oauthJSON answers as RFC 6749 §5.1 says: JSON, never cached.
func oauthJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}

// oauthError is an RFC 6749 §5.2 error answer.
func oauthError(w http.ResponseWriter, status int, code, desc string) error {
	return oauthJSON(w, status, map[string]string{"error": code, "error_description": desc})
}
