package devserver

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/smtp"
	"os"
	"strings"
	"testing"
	"time"
)

var srv *Server

// TestMain runs one local server for the package, always on its embedded Redis (this test
// stops and restarts it), with whatever REDIS_URL the environment has set aside.
func TestMain(m *testing.M) {
	os.Unsetenv("REDIS_URL")
	os.Unsetenv("QSTASH_URL")
	os.Unsetenv("APP_URL")
	os.Unsetenv("SMTP_URL")
	os.Setenv("METRIQS_ENV", "development")
	var err error
	srv, err = Start(Options{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		panic(err)
	}
	code := m.Run()
	srv.Close()
	os.Exit(code)
}

func get(t *testing.T, path string) (int, string, http.Header) {
	t.Helper()
	res, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func TestBannerSaysWhatItRunsOn(t *testing.T) {
	for _, want := range []string{srv.URL, "embedded Redis", "local QStash stand-in", "sandbox: demo OAuth provider on", "development"} {
		if !strings.Contains(srv.Banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, srv.Banner)
		}
	}
}

// With no SMTP_URL the local server catches mail itself: the functions are pointed at the
// catcher, the banner links the mailbox, and what is submitted shows on the mailbox page
// beside the site.
func TestMailCatcherByDefault(t *testing.T) {
	if srv.Mail == nil || os.Getenv("SMTP_URL") != srv.Mail.SMTPURL() || !strings.HasPrefix(srv.Mail.SMTPURL(), "smtp://127.0.0.1:") {
		t.Fatalf("SMTP_URL = %q, want the catcher's", os.Getenv("SMTP_URL"))
	}
	for _, want := range []string{"mail:    local catcher at " + srv.Mail.SMTPURL(), "\n  Mailbox: " + srv.URL + "/_dev/mail"} {
		if !strings.Contains(srv.Banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, srv.Banner)
		}
	}
	raw := "To: dev@example.com\r\nSubject: caught\r\n\r\nhello\r\n"
	if err := smtp.SendMail(srv.Mail.Addr(), nil, "a@example.com", []string{"dev@example.com"}, []byte(raw)); err != nil {
		t.Fatal(err)
	}
	if code, body, _ := get(t, "/_dev/mail/api/messages?to=dev@example.com"); code != 200 || !strings.Contains(body, `"subject":"caught"`) {
		t.Fatalf("mailbox API: %d %s", code, body)
	}
	if code, body, _ := get(t, "/_dev/mail"); code != 200 || !strings.Contains(body, ">caught</a>") {
		t.Fatalf("mailbox page: %d %s", code, body)
	}
}

// Redis going down turns health into 503 unavailable; when Redis is back, the same process
// serves again.
func TestHealthFollowsRedis(t *testing.T) {
	if code, body, _ := get(t, "/api/health"); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("health: %d %s", code, body)
	}
	srv.Redis.Close()
	code, body, hdr := get(t, "/api/health")
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal([]byte(body), &e)
	if code != 503 || e.Error.Code != "unavailable" || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("health with Redis down: %d %s", code, body)
	}
	if err := srv.Redis.Restart(); err != nil {
		t.Fatal(err)
	}
	// Once dials have failed PoolSize times, go-redis stops dialing and probes Redis once a
	// second in the background; the first probe that connects closes that breaker. So the
	// same process serves again within about a second, not necessarily on the next request.
	for attempt := 0; ; attempt++ {
		code, body, _ := get(t, "/api/health")
		if code == 200 {
			break
		}
		if attempt == 50 {
			t.Fatalf("health 10 s after Redis came back: %d %s", code, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestServesPagesWithSecurityHeaders(t *testing.T) {
	code, body, hdr := get(t, "/")
	if code != 200 || !strings.Contains(body, "Metriqs") {
		t.Fatalf("home: %d", code)
	}
	for _, h := range []string{"Content-Security-Policy", "Strict-Transport-Security", "X-Content-Type-Options", "Referrer-Policy"} {
		if hdr.Get(h) == "" {
			t.Errorf("home lacks %s", h)
		}
	}
	if code, _, _ := get(t, "/no/such/page"); code != 404 {
		t.Errorf("unknown page: %d", code)
	}
}

// The product's QStash schedules are installed on the local stand-in at start-up.
func TestInstallsSchedules(t *testing.T) {
	got := map[string]bool{}
	for _, s := range srv.QStash.Schedules() {
		got[s.Destination+" "+s.Cron] = true
	}
	for _, want := range []string{srv.URL + "/api/jobs/tick 0 * * * *", srv.URL + "/api/jobs/sweep-deleted 30 3 * * *"} {
		if !got[want] {
			t.Errorf("schedule %q not installed; have %v", want, got)
		}
	}
}
