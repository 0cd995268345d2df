// Package devserver runs the whole product on one machine with nothing but Go: every api/
// function at its Vercel path, public/ with vercel.json's rules, an embedded Redis unless
// REDIS_URL names one, a local QStash unless QSTASH_URL and QSTASH_TOKEN name the real one, and
// a mail catcher with its mailbox page at /_dev/mail unless SMTP_URL names a mail server.
// `go run ./cmd/dev` starts it; the end-to-end and browser tests start it in-process.
package devserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/devserver/mailcatcher"
	"github.com/trymetriqs/metriqs/lib/devserver/stripesandbox"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/qstashdev"
	"github.com/trymetriqs/metriqs/lib/routes"
	"github.com/trymetriqs/metriqs/lib/vercel"
)

// Options configures Start.
type Options struct {
	// Addr to listen on; "localhost:3000" for `go run ./cmd/dev`, "127.0.0.1:0" in tests.
	Addr string
	// Root is the repository root (public/ and vercel.json); empty: found from the working
	// directory by looking for go.mod.
	Root string
	// QStashBackoff is the local QStash's wait before retry n; nil: QStash's own schedule.
	QStashBackoff func(retried int) time.Duration
	Logger        *slog.Logger
}

// Server is a running local product.
type Server struct {
	URL string
	// QStash is the local stand-in, nil when the real QStash is configured.
	QStash *qstashdev.Server
	// Redis is the embedded Redis, nil when REDIS_URL was set.
	Redis *miniredis.Miniredis
	// Mail catches what the functions send, nil when SMTP_URL was set.
	Mail *mailcatcher.Catcher
	// Stripe is the local billing sandbox (billing.go), nil when STRIPE_BILLING_SECRET_KEY was set.
	Stripe *stripesandbox.Sandbox
	// Banner says what the server runs on, for the start-up message.
	Banner string

	httpSrv *http.Server
	qsSrv   *http.Server
}

// Start configures the process environment for the functions (they read it, as on Vercel),
// starts the dependencies that are not configured, and serves. Functions read their
// configuration once per process, so Start is called at most once per process.
func Start(o Options) (*Server, error) {
	if os.Getenv("VERCEL_ENV") != "" {
		return nil, errors.New("devserver: refusing to run with VERCEL_ENV set: the local server uses development keys")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	root, err := findRoot(o.Root)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("devserver: listen: %w", err)
	}
	s := &Server{URL: "http://" + hostPort(ln.Addr(), o.Addr)}
	if err := s.configure(o); err != nil {
		ln.Close()
		s.Close()
		return nil, err
	}
	h, err := Handler(root)
	if err != nil {
		ln.Close()
		s.Close()
		return nil, err
	}
	if s.Mail != nil {
		h = withMailbox(h, s.Mail.Handler())
	}
	if s.Stripe != nil {
		h = withStripe(h, s.Stripe.Handler())
	}
	s.httpSrv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go s.httpSrv.Serve(ln)
	return s, nil
}

// configure sets the environment the functions read: development mode, APP_URL, Redis and
// QStash, starting embedded ones where nothing is configured.
func (s *Server) configure(o Options) error {
	setDefault("METRIQS_ENV", "development")
	setDefault("APP_URL", s.URL)
	redisDesc := "Redis at " + redact(os.Getenv("REDIS_URL"))
	if os.Getenv("REDIS_URL") == "" {
		mr, err := miniredis.Run()
		if err != nil {
			return fmt.Errorf("devserver: embedded redis: %w", err)
		}
		s.Redis = mr
		os.Setenv("REDIS_URL", "redis://"+mr.Addr())
		redisDesc = "embedded Redis (miniredis, in memory: data is lost on exit) at " + mr.Addr()
	}
	qstashDesc := "QStash at " + os.Getenv("QSTASH_URL")
	if os.Getenv("QSTASH_URL") == "" || os.Getenv("QSTASH_TOKEN") == "" {
		os.Unsetenv("QSTASH_URL")
		cfg, err := config.Load(os.Getenv)
		if err != nil {
			return err
		}
		qs, err := qstashdev.New(qstashdev.Options{
			Token: cfg.QStash.Token, CurrentSigningKey: cfg.QStash.CurrentSigningKey, NextSigningKey: cfg.QStash.NextSigningKey,
			Backoff: o.QStashBackoff, Logger: o.Logger,
		})
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("devserver: qstash listen: %w", err)
		}
		s.QStash = qs
		s.qsSrv = &http.Server{Handler: qs, ReadHeaderTimeout: 10 * time.Second}
		go s.qsSrv.Serve(ln)
		qs.Start()
		os.Setenv("QSTASH_URL", "http://"+ln.Addr().String())
		qstashDesc = "local QStash stand-in at " + os.Getenv("QSTASH_URL") + " (signed deliveries, retries, cron schedules)"
	}
	mailDesc, err := s.startMail()
	if err != nil {
		return err
	}
	sandbox := s.sandboxBilling()
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	billingDesc := s.startStripe(cfg, sandbox)
	if s.QStash != nil {
		if err := installSchedules(); err != nil {
			return err
		}
	}
	demo := "off"
	if cfg.DemoProvider {
		demo = "on"
	}
	s.Banner = fmt.Sprintf("Metriqs is running at %s\n  redis:   %s\n  qstash:  %s\n  mail:    %s\n  billing: %s\n  sandbox: demo OAuth provider %s\n  mode:    %s (development keys; never use this mode in production)",
		s.URL, redisDesc, qstashDesc, mailDesc, billingDesc, demo, os.Getenv("METRIQS_ENV"))
	if s.Mail != nil {
		s.Banner += "\n  Mailbox: " + s.URL + mailcatcher.Prefix
	}
	return nil
}

// startMail starts the mail catcher when no mail server is configured in development, and
// points SMTP_URL at it (plain and unauthenticated, which lib/config accepts in development
// only). MAILCATCHER_ADDR fixes its address; otherwise a free port on 127.0.0.1 is used.
func (s *Server) startMail() (string, error) {
	if url := os.Getenv("SMTP_URL"); url != "" {
		return "SMTP server at " + redact(url), nil
	}
	if cfg, err := config.Load(os.Getenv); err != nil || !cfg.Dev {
		return "none (SMTP_URL is not set)", err
	}
	c, err := mailcatcher.Start(cmp.Or(os.Getenv("MAILCATCHER_ADDR"), "127.0.0.1:0"), mailcatcher.DefaultLimit)
	if err != nil {
		return "", fmt.Errorf("devserver: %w", err)
	}
	s.Mail = c
	os.Setenv("SMTP_URL", c.SMTPURL())
	return fmt.Sprintf("local catcher at %s (keeps the last %d messages in memory)", c.SMTPURL(), mailcatcher.DefaultLimit), nil
}

// withMailbox serves the mailbox page beside the site. Only the local server mounts it: it is
// no file of public/ and no function, so a deployment has no such path. (A plain prefix test,
// not a ServeMux: the site must see every other path exactly as Vercel would.)
func withMailbox(site, mailbox http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p == mailcatcher.Prefix || strings.HasPrefix(p, mailcatcher.Prefix+"/") {
			mailbox.ServeHTTP(w, r)
			return
		}
		site.ServeHTTP(w, r)
	})
}

// installSchedules creates the product's QStash schedules on the local stand-in, as
// cmd/install-schedules does for a deployment.
func installSchedules() error {
	pub, err := jobs.Default()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, sc := range jobs.Schedules {
		if _, _, err := pub.EnsureSchedule(ctx, sc.Job, sc.Cron); err != nil {
			return fmt.Errorf("devserver: schedule %s: %w", sc.Job, err)
		}
	}
	return nil
}

// Handler is the whole site: public/ and every function, routed as on Vercel, behind the
// edge's treatment of client addresses.
func Handler(root string) (http.Handler, error) {
	cfg, err := vercel.Load(filepath.Join(root, "vercel.json"))
	if err != nil {
		return nil, err
	}
	router, err := vercel.NewRouter(routes.Table)
	if err != nil {
		return nil, err
	}
	site, err := vercel.NewSite(cfg, os.DirFS(filepath.Join(root, "public")), router)
	if err != nil {
		return nil, err
	}
	return edge(site), nil
}

// edge does what Vercel's edge does before a function sees a request: X-Real-IP and
// X-Forwarded-For are set from the connecting address, whatever the client sent, so that rate
// limits and the security log cannot be fooled by a forged header.
func edge(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := r.RemoteAddr
		if host, _, err := net.SplitHostPort(ip); err == nil {
			ip = host
		}
		r.Header.Set("X-Real-IP", ip)
		r.Header.Set("X-Forwarded-For", ip)
		next.ServeHTTP(w, r)
	})
}

// Close stops the server and what it started.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s.httpSrv != nil {
		s.httpSrv.Shutdown(ctx)
	}
	if s.QStash != nil {
		s.QStash.Close()
	}
	if s.qsSrv != nil {
		s.qsSrv.Shutdown(ctx)
	}
	if s.Mail != nil {
		s.Mail.Close()
	}
	if s.Redis != nil {
		s.Redis.Close()
	}
}

func setDefault(k, v string) {
	if os.Getenv(k) == "" {
		os.Setenv(k, v)
	}
}

// hostPort keeps the host the user asked for ("localhost") with the port actually bound, so
// APP_URL matches what the browser's Origin header will say.
func hostPort(bound net.Addr, asked string) string {
	_, port, _ := net.SplitHostPort(bound.String())
	host, _, err := net.SplitHostPort(asked)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// redact hides a password in a Redis URL before it is printed.
func redact(u string) string {
	if i, j := strings.Index(u, "://"), strings.LastIndex(u, "@"); i >= 0 && j > i {
		return u[:i+3] + "…@" + u[j+1:]
	}
	return u
}

// findRoot returns dir, or the nearest directory above the working directory with a go.mod.
func findRoot(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("devserver: no go.mod above the working directory; run from the repository")
		}
		d = parent
	}
}
