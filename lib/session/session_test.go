package session

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/web"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newManager(t testing.TB) (*Manager, *clock, *store.Store) {
	st := storetest.New(t)
	c := &clock{t: t0}
	return NewManager(st, ring(t, k1), true, c.now), c, st
}

// signIn creates a session and returns a request carrying its cookie.
func signIn(t testing.TB, m *Manager, userID string) (*Session, *http.Request) {
	t.Helper()
	rec := httptest.NewRecorder()
	s, err := m.Create(context.Background(), rec, userID, web.Client{IP: "203.0.113.9", UserAgent: "Firefox"}, false)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	return s, req
}

func TestCookieAttributes(t *testing.T) {
	m, _, _ := newManager(t)
	rec := httptest.NewRecorder()
	if _, err := m.Create(context.Background(), rec, "u1", web.Client{}, false); err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies = %v", cookies)
	}
	c := cookies[0]
	if c.Name != "__Host-mq_session" || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
		t.Fatalf("cookie = %+v", c)
	}
	if c.MaxAge != int(AbsoluteTimeout/time.Second) {
		t.Errorf("MaxAge = %d", c.MaxAge)
	}
}

func TestAuthenticate(t *testing.T) {
	m, clk, st := newManager(t)
	created, req := signIn(t, m, "u1")
	clk.t = t0.Add(time.Hour)
	s, err := m.Authenticate(req)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != created.ID || s.UserID != "u1" || s.IP != "203.0.113.9" || !s.LastSeenAt.Equal(clk.t) {
		t.Fatalf("session = %+v", s)
	}
	ctx := context.Background()
	if seen, _ := st.R.HGet(ctx, m.recordKey(s.ID), "seen").Int64(); seen != clk.t.Unix() {
		t.Errorf("last seen stored = %d", seen)
	}
	if ttl := st.R.TTL(ctx, m.recordKey(s.ID)).Val(); ttl <= IdleTimeout-time.Minute || ttl > IdleTimeout {
		t.Errorf("record TTL = %v, want the idle timeout", ttl)
	}
	if n, _ := st.R.HGet(ctx, m.usageKey("u1"), "2026-11:api").Int(); n != 1 {
		t.Errorf("usage count = %d", n)
	}
}

// The standing target: authenticating a request costs one Redis round trip.
func TestAuthenticateIsOneRoundTrip(t *testing.T) {
	m, _, st := newManager(t)
	_, req := signIn(t, m, "u1")
	hook := storetest.CountRoundTrips(st)
	for i := 0; i < 3; i++ {
		if _, err := m.Authenticate(req); err != nil {
			t.Fatal(err)
		}
	}
	if n := hook.N(); n != 3 {
		t.Fatalf("3 authentications took %d round trips", n)
	}
}

func TestAuthenticateRefuses(t *testing.T) {
	m, clk, st := newManager(t)
	ctx := context.Background()

	_, noCookie := signIn(t, m, "u1")
	noCookie.Header.Del("Cookie")

	revokedS, revoked := signIn(t, m, "u1")
	if err := m.Revoke(ctx, "u1", revokedS.ID); err != nil {
		t.Fatal(err)
	}

	otherS, stolen := signIn(t, m, "u2")
	// A record of u2 behind a token for u1 must not authenticate u1.
	tok, _ := Sign(ring(t, k1), AudienceSession, "u1", otherS.ID, t0, time.Hour)
	stolen.Header.Set("Cookie", m.CookieName()+"="+tok)

	for name, req := range map[string]*http.Request{"no cookie": noCookie, "revoked": revoked, "record of another user": stolen} {
		if _, err := m.Authenticate(req); problem.CodeOf(err) != "unauthenticated" {
			t.Errorf("%s: err = %v", name, err)
		}
	}

	// Past the absolute lifetime the record is refused and removed, even if still in Redis.
	s, old := signIn(t, m, "u3")
	clk.t = t0.Add(AbsoluteTimeout + time.Second)
	// Re-sign so the JWT itself is still valid: only the server-side record has expired.
	tok, _ = Sign(ring(t, k1), AudienceSession, "u3", s.ID, clk.t.Add(-time.Minute), time.Hour)
	old.Header.Set("Cookie", m.CookieName()+"="+tok)
	if _, err := m.Authenticate(old); problem.CodeOf(err) != "unauthenticated" {
		t.Errorf("past absolute timeout: err = %v", err)
	}
	if n := st.R.Exists(ctx, m.recordKey(s.ID)).Val(); n != 0 {
		t.Error("expired record not removed")
	}
}

func TestListAndRevokeAll(t *testing.T) {
	m, clk, _ := newManager(t)
	ctx := context.Background()
	a, _ := signIn(t, m, "u1")
	clk.t = clk.t.Add(time.Minute)
	b, reqB := signIn(t, m, "u1")
	clk.t = clk.t.Add(time.Minute)
	c, _ := signIn(t, m, "u1")
	signIn(t, m, "u2")

	list, err := m.List(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].ID != c.ID || list[2].ID != a.ID {
		t.Fatalf("list = %v", sessionIDs(list))
	}
	if err := m.Revoke(ctx, "u2", a.ID); err != ErrNoSuchSession {
		t.Fatalf("revoking another user's session: %v", err)
	}
	n, err := m.RevokeAll(ctx, "u1", b.ID)
	if err != nil || n != 2 {
		t.Fatalf("RevokeAll = %d, %v", n, err)
	}
	list, _ = m.List(ctx, "u1")
	if len(list) != 1 || list[0].ID != b.ID {
		t.Fatalf("after RevokeAll: %v", sessionIDs(list))
	}
	if _, err := m.Authenticate(reqB); err != nil {
		t.Fatalf("kept session refused: %v", err)
	}
}

func sessionIDs(list []*Session) string {
	var s []string
	for _, x := range list {
		s = append(s, x.ID)
	}
	return strings.Join(s, ",")
}

func TestUnavailableRedisIs503(t *testing.T) {
	// A port nothing listens on.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	st, _ := store.Open("redis://"+addr, "mq:")
	m := NewManager(st, ring(t, k1), true, func() time.Time { return t0 })
	tok, _ := Sign(ring(t, k1), AudienceSession, "u1", "s1", t0, time.Hour)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Cookie", m.CookieName()+"="+tok)
	if _, err := m.Authenticate(req); problem.CodeOf(err) != "unavailable" {
		t.Fatalf("err = %v, want unavailable", err)
	}
}

func BenchmarkParse(b *testing.B) {
	r := ring(b, k1)
	tok, _ := Sign(r, AudienceSession, "user1", "sess1", t0, time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(r, AudienceSession, tok, t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	m, _, _ := newManager(b)
	_, req := signIn(b, m, "u1")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Authenticate(req); err != nil {
			b.Fatal(err)
		}
	}
}
