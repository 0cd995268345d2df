package providertest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/trymetriqs/metriqs/lib/provider"
)

// authorize plays the user at the consent screen after checking the request.
func (f *Fake) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fail := func(msg string) { http.Error(w, "fake "+f.ID+": "+msg, http.StatusBadRequest) }
	if q.Get("client_id") != f.ClientID {
		fail("unknown client_id " + q.Get("client_id"))
		return
	}
	if q.Get("redirect_uri") != f.RedirectURI {
		fail("redirect_uri not registered: " + q.Get("redirect_uri"))
		return
	}
	if f.PKCE && (q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43) {
		fail("PKCE S256 expected")
		return
	}
	if got, want := q.Get("scope"), strings.Join(f.Scopes, " "); got != want {
		fail(fmt.Sprintf("scope %q, want %q", got, want))
		return
	}
	for k := range f.AuthParams {
		if q.Get(k) != f.AuthParams.Get(k) {
			fail(fmt.Sprintf("%s=%q, want %q", k, q.Get(k), f.AuthParams.Get(k)))
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	back := url.Values{"state": {q.Get("state")}}
	if f.Deny {
		back.Set("error", "access_denied")
	} else {
		scopes := f.Scopes
		if f.GrantScopes != nil {
			scopes = f.GrantScopes
		}
		c := f.newID("code")
		f.codes[c] = &code{redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), scopes: scopes}
		back.Set("code", c)
	}
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+back.Encode(), http.StatusFound)
}

func (f *Fake) newID(kind string) string {
	f.seq++
	sum := sha256.Sum256([]byte(fmt.Sprint(f.ID, kind, f.seq, time.Now().UnixNano())))
	return kind + "_" + base64.RawURLEncoding.EncodeToString(sum[:18])
}

// authenticated checks the client authentication the provider uses.
func (f *Fake) authenticated(r *http.Request) bool {
	user, pass, basic := r.BasicAuth()
	switch f.Auth {
	case provider.SecretPost:
		return !basic && r.PostForm.Get("client_id") == f.ClientID && r.PostForm.Get("client_secret") == f.ClientSecret
	case provider.SecretBasic:
		id, _ := url.QueryUnescape(user)
		secret, _ := url.QueryUnescape(pass)
		return basic && id == f.ClientID && secret == f.ClientSecret && r.PostForm.Get("client_secret") == ""
	case provider.SecretKeyBasic:
		return basic && user == f.ClientSecret && pass == "" && r.PostForm.Get("client_secret") == ""
	}
	return false
}

func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	hook := f.BeforeToken
	f.BeforeToken = nil
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	if err := r.ParseForm(); err != nil {
		f.tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.TokenFailures > 0 {
		f.TokenFailures--
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	if !f.authenticated(r) {
		f.tokenError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	if !f.RedirectInExchange && r.PostForm.Has("redirect_uri") {
		// https://docs.stripe.com/api/errors: "Received unknown parameter: redirect_uri"
		f.tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		f.exchange(w, r)
	case "refresh_token":
		f.refresh(w, r)
	default:
		f.tokenError(w, http.StatusBadRequest, "unsupported_grant_type")
	}
}

func (f *Fake) exchange(w http.ResponseWriter, r *http.Request) {
	c, ok := f.codes[r.PostForm.Get("code")]
	if !ok || c.used {
		f.tokenError(w, f.ErrorStatus, "invalid_grant")
		return
	}
	c.used = true
	if f.RedirectInExchange && r.PostForm.Get("redirect_uri") != c.redirect {
		f.tokenError(w, f.ErrorStatus, "redirect_uri_mismatch")
		return
	}
	if f.PKCE {
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge {
			f.tokenError(w, f.ErrorStatus, "invalid_grant")
			return
		}
	}
	g := &Grant{ID: f.newID("grant"), Scopes: c.scopes, Refresh: f.newID("rt")}
	f.grants[g.ID] = g
	f.answer(w, g, true)
}

func (f *Fake) refresh(w http.ResponseWriter, r *http.Request) {
	rt := r.PostForm.Get("refresh_token")
	f.refreshUse[rt]++
	for _, g := range f.grants {
		if g.Refresh == rt {
			if f.Rotate {
				g.Refresh = f.newID("rt")
			}
			// A provider that does not rotate (Google) sends no refresh_token on refresh.
			f.answer(w, g, f.Rotate)
			return
		}
	}
	f.tokenError(w, f.ErrorStatus, f.BadRefresh)
}

// answer issues a new access token for g and writes the token response.
func (f *Fake) answer(w http.ResponseWriter, g *Grant, withRefresh bool) {
	g.Access = f.newID("at")
	g.Expires = f.now().Add(f.AccessTTL)
	v := map[string]any{"access_token": g.Access, "token_type": "bearer", "scope": strings.Join(g.Scopes, " ")}
	if withRefresh {
		v["refresh_token"] = g.Refresh
	}
	if f.SendExpiresIn {
		v["expires_in"] = int(f.AccessTTL.Seconds())
	}
	if f.Extra != nil {
		for k, x := range f.Extra(g) {
			v[k] = x
		}
	}
	f.write(w, http.StatusOK, v)
}

func (f *Fake) tokenError(w http.ResponseWriter, status int, code string) {
	f.write(w, status, map[string]any{"error": code, "error_description": "fake " + f.ID + ": " + code})
}

func (f *Fake) write(w http.ResponseWriter, status int, v map[string]any) {
	if f.FormAnswers {
		form := url.Values{}
		for k, x := range v {
			form.Set(k, fmt.Sprint(x))
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(form.Encode()))
		return
	}
	writeJSON(w, status, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
