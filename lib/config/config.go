// Package config reads Metriqs' configuration from the environment, once per function
// instance, and validates it. Development defaults exist only for the local server and tests
// (METRIQS_ENV=development); a deployed function never falls back to them: a missing or empty
// secret there is an error that the function reports as a 500 with a clear log line.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/trymetriqs/metriqs/lib/lazy"
)

// Config is the validated configuration of one function instance.
type Config struct {
	// Dev is true only on the local server and in tests.
	Dev bool
	// AppURL is the absolute base URL (scheme and host, no trailing slash) used for OAuth
	// callbacks and QStash destinations. Never derived from a request's Host header.
	AppURL string
	// RedisURL is redis:// or rediss:// (Upstash). Empty only in development, where the
	// local server supplies an embedded Redis.
	RedisURL string
	// RedisPrefix starts every key Metriqs writes, so a Redis can be shared and a user's keys
	// found without scanning.
	RedisPrefix string

	SessionKeys KeyRing
	TokenKeys   KeyRing
	// EmailKeys key the HMAC that turns an address into its lookup key (lib/account), so
	// that someone who can read Redis cannot test a list of addresses against the key names.
	EmailKeys KeyRing

	QStash QStash

	// Mail is how the send-email job reaches its SMTP server and whom mail comes from.
	Mail Mail

	// Providers holds the OAuth client credentials that are configured, by provider id.
	Providers map[string]Credentials
	// DemoProvider enables the sandbox OAuth provider (always on in development).
	DemoProvider bool

	// Billing is Metriqs' own Stripe billing (billing.go).
	Billing Billing
}

// QStash is how functions reach QStash and how they verify its deliveries.
type QStash struct {
	URL               string // empty: the real service
	Token             string
	CurrentSigningKey string
	NextSigningKey    string
}

// Mail configures the mail path (lib/mail, docs/mail.md).
type Mail struct {
	// SMTPURL is smtps://user:pass@host:465 (implicit TLS) or smtp://user:pass@host:587
	// (STARTTLS, mandatory outside development). Empty only in development without the
	// local server, which sets it to its mail catcher.
	SMTPURL string
	// FromAccount and FromReports are the From of account mail and of report mail, like
	// "Metriqs <account@mail.example.com>": two senders, as Gmail's sender guidelines ask.
	FromAccount string
	FromReports string
	// WebhookSecrets are MAIL_WEBHOOK_SECRET then MAIL_WEBHOOK_SECRET_PREVIOUS: the
	// provider's signing secret of its bounce webhook ("whsec_…", Standard Webhooks, as Resend
	// shows it), the previous one while it is rolled. None: the webhook answers 404.
	WebhookSecrets []string
}

// Credentials are an OAuth client's id and secret.
type Credentials struct {
	ClientID     string
	ClientSecret string
	// TestSecret (Stripe only, STRIPE_TEST_SECRET_KEY) is the app owner's test-mode secret
	// key: Stripe exchanges, refreshes and deauthorizes a test-mode (or sandbox) install only
	// with the key of that mode, and ClientSecret is the live one.
	TestSecret string
}

// providerEnv names the environment variables of each real provider's OAuth client.
var providerEnv = map[string][2]string{
	"google-analytics": {"GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"},
	"search-console":   {"GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"},
	"stripe":           {"STRIPE_CLIENT_ID", "STRIPE_SECRET_KEY"},
	"github":           {"GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"},
}

// ProviderEnv names the environment variables that configure provider id's OAuth client, nil
// for a provider that has none (the sandbox). The local server shows them on the
// integrations page, so a developer knows what to set to try a real provider.
func ProviderEnv(id string) []string {
	names, ok := providerEnv[id]
	if !ok {
		return nil
	}
	return names[:]
}

// Development defaults. They are public (they are in this file), so they protect nothing and
// Load refuses them outside development.
const (
	devAppURL     = "http://localhost:3000"
	devSessionKey = "dev-s1:ZGV2LXNlc3Npb24ta2V5LW5vdC1mb3ItcHJvZHVjdCE="
	devTokenKey   = "dev-t1:ZGV2LXRva2VuLXNlYWxpbmcta2V5LW5vdC1mb3ItcHI="
	devEmailKey   = "dev-e1:ZGV2LWVtYWlsLWxvb2t1cC1rZXktbm90LWZvci1wciE="
	devCurrentSig = "sig_dev_current_not_for_production"
	devNextSig    = "sig_dev_next_not_for_production"
	devQStashTok  = "dev-qstash-token"
	// .localhost is reserved (RFC 6761): development mail can never reach a real domain.
	devFromAccount = "Metriqs <account@metriqs.localhost>"
	devFromReports = "Metriqs Reports <reports@metriqs.localhost>"
)

// Load reads and validates the configuration through getenv (os.Getenv in functions; a map
// in tests, so they can run in parallel).
func Load(getenv func(string) string) (*Config, error) {
	env := func(k string) string { return strings.TrimSpace(getenv(k)) }
	c := &Config{
		Dev:         env("METRIQS_ENV") == "development",
		AppURL:      strings.TrimRight(env("APP_URL"), "/"),
		RedisURL:    env("REDIS_URL"),
		RedisPrefix: env("REDIS_PREFIX"),
		QStash: QStash{
			URL:               strings.TrimRight(env("QSTASH_URL"), "/"),
			Token:             env("QSTASH_TOKEN"),
			CurrentSigningKey: env("QSTASH_CURRENT_SIGNING_KEY"),
			NextSigningKey:    env("QSTASH_NEXT_SIGNING_KEY"),
		},
		Mail:         Mail{SMTPURL: env("SMTP_URL"), FromAccount: env("MAIL_FROM_ACCOUNT"), FromReports: env("MAIL_FROM_REPORTS")},
		Providers:    map[string]Credentials{},
		DemoProvider: env("DEMO_PROVIDER") == "on",
	}
	if mode := env("METRIQS_ENV"); mode != "" && mode != "development" && mode != "production" {
		return nil, fmt.Errorf("config: METRIQS_ENV must be development or production, not %q", mode)
	}
	if name := deployedRuntime(env); c.Dev && name != "" {
		return nil, fmt.Errorf("config: METRIQS_ENV=development is refused in a deployed runtime (%s is set): development keys must never serve real users", name)
	}
	if c.RedisPrefix == "" {
		c.RedisPrefix = "mq:"
	}
	sessionKeys, tokenKeys, emailKeys := env("SESSION_KEYS"), env("TOKEN_KEYS"), env("EMAIL_KEYS")
	if c.Dev {
		c.DemoProvider = env("DEMO_PROVIDER") != "off"
		c.AppURL = orDefault(c.AppURL, devAppURL)
		sessionKeys = orDefault(sessionKeys, devSessionKey)
		tokenKeys = orDefault(tokenKeys, devTokenKey)
		emailKeys = orDefault(emailKeys, devEmailKey)
		c.QStash.Token = orDefault(c.QStash.Token, devQStashTok)
		c.QStash.CurrentSigningKey = orDefault(c.QStash.CurrentSigningKey, devCurrentSig)
		c.QStash.NextSigningKey = orDefault(c.QStash.NextSigningKey, devNextSig)
		c.Mail.FromAccount = orDefault(c.Mail.FromAccount, devFromAccount)
		c.Mail.FromReports = orDefault(c.Mail.FromReports, devFromReports)
	}
	c.Mail.WebhookSecrets = webhookSecrets(env, c.Dev)

	var problems []string
	require := func(name, value string) {
		if value == "" {
			problems = append(problems, name+" is required")
		}
	}
	require("APP_URL", c.AppURL)
	if !c.Dev {
		require("REDIS_URL", c.RedisURL)
	}
	require("QSTASH_TOKEN", c.QStash.Token)
	// An empty HMAC key verifies a token signed with the empty key: anyone could forge a job.
	require("QSTASH_CURRENT_SIGNING_KEY", c.QStash.CurrentSigningKey)
	require("QSTASH_NEXT_SIGNING_KEY", c.QStash.NextSigningKey)
	if !c.Dev {
		require("SMTP_URL", c.Mail.SMTPURL)
		require("MAIL_FROM_ACCOUNT", c.Mail.FromAccount)
		require("MAIL_FROM_REPORTS", c.Mail.FromReports)
	}
	problems = append(problems, c.Mail.check(c.Dev)...)
	var billingProblems []string
	c.Billing, billingProblems = loadBilling(env, c.Dev)
	problems = append(problems, billingProblems...)

	var err error
	if c.SessionKeys, err = ParseKeyRing(sessionKeys); err != nil {
		problems = append(problems, "SESSION_KEYS: "+err.Error())
	}
	if c.TokenKeys, err = ParseKeyRing(tokenKeys); err != nil {
		problems = append(problems, "TOKEN_KEYS: "+err.Error())
	}
	if c.EmailKeys, err = ParseKeyRing(emailKeys); err != nil {
		problems = append(problems, "EMAIL_KEYS: "+err.Error())
	}
	if c.AppURL != "" {
		if err := checkAppURL(c.AppURL, c.Dev); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if c.RedisURL != "" {
		if err := checkRedisURL(c.RedisURL, c.Dev); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if !c.Dev {
		if c.QStash.URL != "" && !strings.HasPrefix(c.QStash.URL, "https://") {
			problems = append(problems, "QSTASH_URL must use https outside development")
		}
		if c.holdsDevSecret() {
			problems = append(problems, "a development key is configured outside development")
		}
		if c.Mail.FromAccount == devFromAccount || c.Mail.FromReports == devFromReports {
			problems = append(problems, "a development sender (MAIL_FROM_*) is configured outside development")
		}
	}
	for id, names := range providerEnv {
		cred := Credentials{ClientID: env(names[0]), ClientSecret: env(names[1])}
		if id == "stripe" {
			cred.TestSecret = env("STRIPE_TEST_SECRET_KEY")
			problems = append(problems, checkStripeTestKey(cred)...)
		}
		if cred.ClientID != "" && cred.ClientSecret != "" {
			c.Providers[id] = cred
		} else if cred.ClientID != "" || cred.ClientSecret != "" {
			problems = append(problems, fmt.Sprintf("%s and %s must be set together", names[0], names[1]))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("config: %s", strings.Join(dedupe(problems), "; "))
	}
	return c, nil
}

// checkStripeTestKey refuses a STRIPE_TEST_SECRET_KEY that is not a test-mode key (sk_test_,
// rk_test_: a live key there would make "test mode" installs read live data), or one without
// the app it belongs to.
func checkStripeTestKey(c Credentials) []string {
	switch {
	case c.TestSecret == "":
		return nil
	case c.ClientID == "" || c.ClientSecret == "":
		return []string{"STRIPE_TEST_SECRET_KEY needs STRIPE_CLIENT_ID and STRIPE_SECRET_KEY"}
	case !strings.HasPrefix(c.TestSecret, "sk_test_") && !strings.HasPrefix(c.TestSecret, "rk_test_"):
		return []string{"STRIPE_TEST_SECRET_KEY must be a test-mode key (sk_test_… or rk_test_…)"}
	}
	return nil
}

// checkRedisURL holds production to the security page's "TLS 1.2 or higher" in transit:
// rediss:// (go-redis then dials with TLS, at least 1.2), and no skip_verify, which would
// accept any certificate.
func checkRedisURL(raw string, dev bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return errors.New("REDIS_URL must be a redis:// or rediss:// URL")
	}
	if dev {
		return nil
	}
	if u.Scheme != "rediss" {
		return errors.New("REDIS_URL must use rediss:// (TLS) outside development")
	}
	if u.Query().Has("skip_verify") {
		return errors.New("REDIS_URL must not set skip_verify outside development")
	}
	return nil
}

// checkAppURL accepts a bare origin. Userinfo, a query or a fragment would ride along into
// every OAuth redirect URI and QStash destination built from it.
func checkAppURL(raw string, dev bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.User != nil || u.RawQuery != "" ||
		u.ForceQuery || strings.Contains(raw, "#") || u.Opaque != "" {
		return errors.New("APP_URL must be an absolute URL with no path, userinfo, query or fragment, like https://app.example.com")
	}
	if u.Scheme != "https" && !(dev && u.Scheme == "http") {
		return errors.New("APP_URL must use https outside development")
	}
	return nil
}

// deployedRuntimeEnv are variables that Vercel or AWS Lambda set in a deployed function.
// Vercel exposes VERCEL_ENV only with "Automatically expose System Environment Variables" on,
// so any one of them is taken as a sign that this is not a developer's machine.
var deployedRuntimeEnv = []string{
	"VERCEL", "VERCEL_ENV", "VERCEL_URL", "VERCEL_REGION", "VERCEL_DEPLOYMENT_ID", "NOW_REGION",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_RUNTIME_API", "AWS_EXECUTION_ENV", "LAMBDA_TASK_ROOT",
}

// deployedRuntime names the first sign of a deployed runtime in the environment, or "".
func deployedRuntime(env func(string) string) string {
	for _, name := range deployedRuntimeEnv {
		if env(name) != "" {
			return name
		}
	}
	return ""
}

// holdsDevSecret reports whether any secret is a public development one, wherever it is put:
// under another key id, or a QStash signing key in the other slot.
func (c *Config) holdsDevSecret() bool {
	devSig := func(v string) bool { return v == devCurrentSig || v == devNextSig }
	dev := []string{devSessionKey, devTokenKey, devEmailKey}
	return c.SessionKeys.holdsSecretOf(dev...) || c.TokenKeys.holdsSecretOf(dev...) || c.EmailKeys.holdsSecretOf(dev...) ||
		devSig(c.QStash.CurrentSigningKey) || devSig(c.QStash.NextSigningKey) || c.QStash.Token == devQStashTok
}

var fromEnv = lazy.New(func() (*Config, error) { return Load(os.Getenv) })

// FromEnv loads the configuration from the process environment once per function instance.
func FromEnv() (*Config, error) { return fromEnv.Get() }

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
