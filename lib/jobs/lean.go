package jobs

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/problem"
)

// defaultQStashURL is the service qstash-go talks to when QSTASH_URL is unset.
const defaultQStashURL = "https://qstash.upstash.io"

// LeanPublisher publishes one message like Publisher.Publish, but over one HTTP/1.1
// connection of its own rather than through net/http's client and qstash-go. A function that
// otherwise never calls out over HTTP (sign-in, the account functions) would link net/http's
// Transport and its HTTP/2 client for that one call: 0.46 MB, more than the room those
// functions have under the 10 MiB limit (docs/performance.md). This costs 0.05 MB.
// It speaks only what QStash's publish endpoint needs: POST, Connection: close, the status
// and a small JSON answer; certificates are verified as crypto/tls does, TLS 1.2 at least.
type LeanPublisher struct {
	appURL  string
	base    *url.URL
	token   string
	timeout time.Duration
	// RootCAs, when set, are the only roots QStash's certificate may chain to (tests).
	RootCAs *x509.CertPool
}

// NewLeanPublisher builds a LeanPublisher with NewPublisher's checks; q.URL empty is the
// real service. Nothing touches the network here.
func NewLeanPublisher(appURL string, q config.QStash) (*LeanPublisher, error) {
	appURL, err := checkAppURL(appURL)
	if err != nil {
		return nil, err
	}
	if q.Token == "" || hasControl(q.Token) {
		return nil, errors.New("jobs: QSTASH_TOKEN is empty or holds a space or control character")
	}
	base, err := url.Parse(strings.TrimRight(cmpOr(q.URL, defaultQStashURL), "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("jobs: QSTASH_URL %q must be an http(s) URL", q.URL)
	}
	return &LeanPublisher{appURL: appURL, base: base, token: q.Token, timeout: DefaultTimeout}, nil
}

var leanPublisher = lazy.New(func() (*LeanPublisher, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, problem.Internal(err)
	}
	p, err := NewLeanPublisher(cfg.AppURL, cfg.QStash)
	if err != nil {
		return nil, problem.Internal(err)
	}
	return p, nil
})

// DefaultLean is the function instance's LeanPublisher, built on first use from config.FromEnv.
func DefaultLean() (*LeanPublisher, error) { return leanPublisher.Get() }

// Publish sends body, as JSON, to the job's function and returns QStash's message id. A
// failure to reach QStash is a 503 for the request that published, as with Publisher.
func (p *LeanPublisher) Publish(ctx context.Context, job string, body any, opts ...Option) (string, error) {
	payload, o, err := prepare(job, body, opts)
	if err != nil {
		return "", err
	}
	req, err := p.request(job, payload, o)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	id, err := p.post(ctx, req)
	if err != nil {
		return "", unavailable(fmt.Errorf("jobs: publish %s: %w", job, err))
	}
	return id, nil
}

// request is the HTTP/1.1 publish request, with the headers qstash-go sends for these
// options. It is written by hand (net/http's request writer is another 60 KB); every value
// that goes into it is checked for the bytes that would end a line or a header.
func (p *LeanPublisher) request(job, payload string, o options) (string, error) {
	var b strings.Builder
	target := p.base.EscapedPath() + "/v2/publish/" + p.appURL + Path(job)
	b.WriteString("POST " + target + " HTTP/1.1\r\nHost: " + p.base.Host + "\r\n")
	b.WriteString("Authorization: Bearer " + p.token + "\r\nContent-Type: application/json\r\n")
	if o.retries != nil {
		b.WriteString("Upstash-Retries: " + strconv.Itoa(*o.retries) + "\r\n")
	}
	if d := o.delayHeader(); d != "" {
		b.WriteString("Upstash-Delay: " + d + "\r\n")
	}
	if o.dedupID != "" {
		b.WriteString("Upstash-Deduplication-Id: " + o.dedupID + "\r\n")
	}
	if hasControl(target) || hasControl(p.base.Host) || hasControl(o.dedupID) {
		return "", fmt.Errorf("jobs: publish %s: a control character or space in the destination or deduplication id", job)
	}
	b.WriteString("Content-Length: " + strconv.Itoa(len(payload)) + "\r\nConnection: close\r\n\r\n" + payload)
	return b.String(), nil
}

// post sends req on a new connection and reads QStash's answer, all within ctx's deadline.
func (p *LeanPublisher) post(ctx context.Context, req string) (string, error) {
	conn, err := p.dial(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() }) // cancellation ends a blocked read
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if _, err := io.WriteString(conn, req); err != nil {
		return "", fmt.Errorf("send: %w", err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return "", fmt.Errorf("read answer: %w", err)
	}
	defer res.Body.Close()
	return messageIDOf(res)
}

// hasControl reports a byte that has no place in a request line or header value: a space
// (in the target) or any control character.
func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0
}

// dial connects to QStash: TLS (verified, ≥ 1.2) for https, plain TCP for the local stand-in.
func (p *LeanPublisher) dial(ctx context.Context) (net.Conn, error) {
	host, port := p.base.Hostname(), p.base.Port()
	d := &net.Dialer{Timeout: 5 * time.Second}
	if p.base.Scheme == "http" {
		return d.DialContext(ctx, "tcp", net.JoinHostPort(host, cmpOr(port, "80")))
	}
	td := &tls.Dialer{NetDialer: d, Config: &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, RootCAs: p.RootCAs}}
	return td.DialContext(ctx, "tcp", net.JoinHostPort(host, cmpOr(port, "443")))
}

// messageIDOf reads {"messageId": …} from a 2xx answer (201 new, 202 or 200 deduplicated).
func messageIDOf(res *http.Response) (string, error) {
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("read answer: %w", err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return "", fmt.Errorf("QStash answered %s: %.200s", res.Status, raw)
	}
	var answer struct {
		MessageID string `json:"messageId"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil || answer.MessageID == "" {
		return "", fmt.Errorf("QStash answered without a message id: %.200s", raw)
	}
	return answer.MessageID, nil
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
