// Package devtest runs the local server inside a test binary and gives tests an HTTP client
// that behaves like a browser tab: it keeps its own cookies (Secure ones too, as browsers do
// for localhost) and sends the Origin and Sec-Fetch-Site headers a same-origin page sends.
package devtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/devserver"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// Main starts the local server for a whole test binary and returns it, with a store on the
// same Redis and key prefix for tests that look at what was stored. With REDIS_URL set (CI),
// everything runs on that real Redis under a fresh prefix, removed afterwards.
func Main(m *testing.M) (code int) {
	prefix := storetest.Prefix()
	os.Setenv("REDIS_PREFIX", prefix)
	os.Setenv("METRIQS_ENV", "development")
	os.Unsetenv("QSTASH_URL")
	os.Unsetenv("APP_URL")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("METRIQS_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	slog.SetDefault(logger)
	redis.SetLogger(quietRedis{})
	srv, err := devserver.Start(devserver.Options{
		Addr:          "127.0.0.1:0",
		QStashBackoff: func(int) time.Duration { return 10 * time.Millisecond },
		Logger:        logger,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "devtest:", err)
		return 1
	}
	Server = srv
	st, err := store.Open(os.Getenv("REDIS_URL"), prefix)
	if err != nil {
		fmt.Fprintln(os.Stderr, "devtest:", err)
		return 1
	}
	Store = st
	defer func() {
		srv.Close()
		cleanup(st)
		st.Close()
	}()
	return m.Run()
}

// quietRedis drops go-redis's own log lines (dial failures while embedded services stop).
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// Server and Store are set by Main.
var (
	Server *devserver.Server
	Store  *store.Store
)

func cleanup(st *store.Store) {
	ctx := context.Background()
	iter := st.R.Scan(ctx, 0, st.Prefix()+"*", 1000).Iterator()
	for iter.Next(ctx) {
		st.R.Del(ctx, iter.Val())
	}
}

// Client is one browser, signed in or not.
type Client struct {
	t       testing.TB
	Base    string
	cookies map[string]*http.Cookie
	hc      *http.Client
	// Header is sent with every request (tests set or remove Origin, Sec-Fetch-Site, …).
	Header http.Header
	// IP is the address the client connects from.
	IP string
}

var clientSeq atomic.Uint32

// clientTimeout is longer than any server deadline, scaled as the server scales its deadlines
// under the race detector (lib/web), so that a slow answer is seen as the server's, not cut off.
const clientTimeout = 30 * time.Second * timeoutScale

// SkipBurstUnderRace skips a test that releases many bcrypt comparisons at once when the race
// detector is on: at about 3 s a comparison, twenty of them take minutes on a small machine
// and prove nothing more. CI runs the e2e package against the real Redis without -race too
// (.ci/run), so these bursts are still proven against the real Redis.
func SkipBurstUnderRace(t testing.TB) {
	t.Helper()
	if Race {
		t.Skip("a burst of bcrypt comparisons: run without -race (.ci/run does, against the real Redis)")
	}
}

// NewClient returns a client for the running server. Each client connects from an address of
// its own in 127.0.0.0/8 (all of it is loopback on Linux), as separate browsers on separate
// networks would, so per-IP rate limits apply per client and not to the whole test binary.
func NewClient(t testing.TB) *Client {
	n := clientSeq.Add(1)
	ip := net.IPv4(127, byte(n>>16)+1, byte(n>>8), byte(n))
	dialer := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: ip}}
	return &Client{
		t: t, Base: Server.URL, cookies: map[string]*http.Cookie{}, IP: ip.String(),
		hc: &http.Client{
			Timeout:       clientTimeout,
			Transport:     &http.Transport{DialContext: dialer.DialContext},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		Header: http.Header{"Origin": {Server.URL}, "Sec-Fetch-Site": {"same-origin"}, "User-Agent": {"devtest/1.0"}},
	}
}

// Response is an answer with its body read.
type Response struct {
	*http.Response
	Body []byte
}

// JSON decodes the body into v, failing the test when it cannot.
func (r *Response) JSON(v any) {
	if err := json.Unmarshal(r.Body, v); err != nil {
		panic(fmt.Sprintf("devtest: decode %q: %v", r.Body, err))
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map() map[string]any {
	var m map[string]any
	r.JSON(&m)
	return m
}

// ErrorCode is the error envelope's code, or "".
func (r *Response) ErrorCode() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// Do sends a request. body may be nil, a string or []byte (sent as is), or any value (sent as
// JSON).
func (c *Client) Do(method, path string, body any) *Response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	url := path
	if strings.HasPrefix(path, "/") {
		url = c.Base + path
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	if rd != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if strings.HasPrefix(url, c.Base) {
		for _, ck := range c.cookies {
			req.AddCookie(ck)
		}
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if strings.HasPrefix(url, c.Base) {
		for _, ck := range res.Cookies() {
			if ck.MaxAge < 0 || ck.Value == "" {
				delete(c.cookies, ck.Name)
			} else {
				c.cookies[ck.Name] = ck
			}
		}
	}
	return &Response{Response: res, Body: b}
}

// Cookie returns the named cookie the client holds, or nil.
func (c *Client) Cookie(name string) *http.Cookie { return c.cookies[name] }

// SetCookie replaces or adds a cookie (to replay an old one, say).
func (c *Client) SetCookie(ck *http.Cookie) { c.cookies[ck.Name] = ck }

// Cookies returns a copy of the client's cookies.
func (c *Client) Cookies() map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for k, v := range c.cookies {
		cp := *v
		out[k] = &cp
	}
	return out
}

// Want fails the test unless r has the status and, when code is not "", the error code.
func Want(t testing.TB, r *Response, status int, code string) {
	t.Helper()
	if r.StatusCode != status || (code != "" && r.ErrorCode() != code) {
		t.Fatalf("%s %s: got %d %s, want %d %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, r.Body, status, code)
	}
	if r.StatusCode >= 400 && r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%s %s: error answered with Content-Type %q", r.Request.Method, r.Request.URL.Path, r.Header.Get("Content-Type"))
	}
}

// Snapshot returns every key under the test prefix whose name contains one of parts (all keys
// when none are given) with a rendering of its value and expiry, to show that a refused
// request changed nothing.
func Snapshot(t testing.TB, parts ...string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	iter := Store.R.Scan(ctx, 0, Store.Prefix()+"*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		if !containsAny(k, parts) {
			continue
		}
		out[k] = render(ctx, t, k)
	}
	return out
}

func containsAny(s string, parts []string) bool {
	if len(parts) == 0 {
		return true
	}
	for _, p := range parts {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func render(ctx context.Context, t testing.TB, k string) string {
	r := Store.R
	var v any
	var err error
	switch typ := r.Type(ctx, k).Val(); typ {
	case "string":
		v, err = r.Get(ctx, k).Result()
	case "hash":
		v, err = r.HGetAll(ctx, k).Result()
	case "set":
		var m []string
		m, err = r.SMembers(ctx, k).Result()
		sort.Strings(m)
		v = m
	case "list":
		v, err = r.LRange(ctx, k, 0, -1).Result()
	case "zset":
		v, err = r.ZRangeWithScores(ctx, k, 0, -1).Result()
	default:
		v = typ
	}
	if err != nil {
		t.Fatalf("devtest: read %s: %v", k, err)
	}
	ttl := r.TTL(ctx, k).Val()
	return fmt.Sprintf("%v ttl>0=%v", v, ttl > 0)
}

// Values returns every key under the test prefix with its value rendered as text, for scans
// that look for a secret anywhere in Redis.
func Values(t testing.TB) map[string]string {
	t.Helper()
	return Snapshot(t)
}
