package config

import (
	"strings"
	"testing"
)

const (
	keyA = "a1:" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes
	keyB = "b2:" + "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func production() map[string]string {
	return map[string]string{
		"APP_URL":                    "https://app.trymetriqs.com",
		"REDIS_URL":                  "rediss://default:pw@example.upstash.io:6379",
		"SESSION_KEYS":               keyA + "," + keyB,
		"TOKEN_KEYS":                 keyB,
		"EMAIL_KEYS":                 keyA,
		"QSTASH_TOKEN":               "tok",
		"QSTASH_CURRENT_SIGNING_KEY": "sig_current",
		"QSTASH_NEXT_SIGNING_KEY":    "sig_next",
		"SMTP_URL":                   "smtps://resend:re_key@smtp.resend.com:465",
		"MAIL_FROM_ACCOUNT":          "Metriqs <account@mail.trymetriqs.com>",
		"MAIL_FROM_REPORTS":          "Metriqs Reports <reports@reports.trymetriqs.com>",
	}
}

func TestLoadProduction(t *testing.T) {
	c, err := Load(envOf(production()))
	if err != nil {
		t.Fatal(err)
	}
	if c.Dev || c.DemoProvider {
		t.Errorf("production config has Dev=%v DemoProvider=%v", c.Dev, c.DemoProvider)
	}
	if c.SessionKeys.Active().ID != "a1" || len(c.SessionKeys) != 2 {
		t.Errorf("session ring = %+v", c.SessionKeys)
	}
	if _, ok := c.SessionKeys.Lookup("b2"); !ok {
		t.Error("second session key not found")
	}
	if c.RedisPrefix != "mq:" {
		t.Errorf("prefix = %q", c.RedisPrefix)
	}
}

// A deployed function must never fall back to a development default: each missing or empty
// secret is an error naming it.
func TestLoadProductionRefusesMissingSecrets(t *testing.T) {
	for _, name := range []string{"APP_URL", "REDIS_URL", "SESSION_KEYS", "TOKEN_KEYS", "EMAIL_KEYS", "QSTASH_TOKEN", "QSTASH_CURRENT_SIGNING_KEY", "QSTASH_NEXT_SIGNING_KEY", "SMTP_URL", "MAIL_FROM_ACCOUNT", "MAIL_FROM_REPORTS"} {
		for _, value := range []string{"", "   "} {
			env := production()
			env[name] = value
			_, err := Load(envOf(env))
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%q: err = %v, want an error naming it", name, value, err)
			}
		}
	}
}

func TestLoadProductionRefusesDevelopmentKeys(t *testing.T) {
	secretOf := func(ring string) string { _, secret, _ := strings.Cut(ring, ":"); return secret }
	for _, tc := range []struct{ name, value string }{
		{"SESSION_KEYS", devSessionKey},
		{"TOKEN_KEYS", devTokenKey},
		{"QSTASH_CURRENT_SIGNING_KEY", devCurrentSig},
		{"QSTASH_NEXT_SIGNING_KEY", devNextSig},
		// The secret is what is public, not the id: renamed, or kept as an older key.
		{"SESSION_KEYS", "s1:" + secretOf(devSessionKey)},
		{"TOKEN_KEYS", "t1:" + secretOf(devTokenKey)},
		{"TOKEN_KEYS", keyB + ",old:" + secretOf(devTokenKey)},
		{"SESSION_KEYS", "s9:" + secretOf(devTokenKey)},
		{"EMAIL_KEYS", devEmailKey},
		{"EMAIL_KEYS", keyA + ",e0:" + secretOf(devEmailKey)},
		{"TOKEN_KEYS", "t2:" + secretOf(devEmailKey)},
		// The public QStash values in the other slot, and the local stand-in's token.
		{"QSTASH_CURRENT_SIGNING_KEY", devNextSig},
		{"QSTASH_NEXT_SIGNING_KEY", devCurrentSig},
		{"QSTASH_TOKEN", devQStashTok},
	} {
		env := production()
		env[tc.name] = tc.value
		if _, err := Load(envOf(env)); err == nil || !strings.Contains(err.Error(), "development key") {
			t.Errorf("%s = %s: err = %v", tc.name, tc.value, err)
		}
	}
}

func TestLoadDevelopmentDefaults(t *testing.T) {
	c, err := Load(envOf(map[string]string{"METRIQS_ENV": "development"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Dev || !c.DemoProvider || c.AppURL != devAppURL || c.QStash.CurrentSigningKey == "" || len(c.TokenKeys) != 1 || len(c.EmailKeys) != 1 {
		t.Errorf("dev config = %+v", c)
	}
}

// Development mode is refused on any sign of a deployed runtime, not only VERCEL_ENV (which
// Vercel exposes only when system variables are exposed).
func TestLoadDevelopmentRefusedWhenDeployed(t *testing.T) {
	for _, name := range []string{"VERCEL", "VERCEL_ENV", "VERCEL_URL", "VERCEL_REGION", "VERCEL_DEPLOYMENT_ID",
		"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_RUNTIME_API", "AWS_EXECUTION_ENV", "LAMBDA_TASK_ROOT"} {
		env := production()
		env["METRIQS_ENV"] = "development"
		env[name] = "1"
		if _, err := Load(envOf(env)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("development mode with %s set: err = %v, want an error naming it", name, err)
		}
	}
	// A developer's shell (this one has AWS_CA_BUNDLE, say) is not a deployment.
	if _, err := Load(envOf(map[string]string{"METRIQS_ENV": "development", "AWS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"})); err != nil {
		t.Errorf("development refused on a workstation: %v", err)
	}
}

func TestLoadRejectsBadValues(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"APP_URL", "http://app.trymetriqs.com"}, // plain http outside development
		{"APP_URL", "https://app.trymetriqs.com/some/path"},
		{"APP_URL", "https://user:pw@app.trymetriqs.com"}, // userinfo
		{"APP_URL", "https://evil.example@app.trymetriqs.com"},
		{"APP_URL", "https://app.trymetriqs.com?x=1"}, // query
		{"APP_URL", "https://app.trymetriqs.com/?"},
		{"APP_URL", "https://app.trymetriqs.com#frag"}, // fragment
		{"APP_URL", "https://app.trymetriqs.com/#"},
		{"REDIS_URL", "http://example.com"},
		{"REDIS_URL", "redis://default:pw@example.upstash.io:6379"},                   // no TLS
		{"REDIS_URL", "rediss://default:pw@example.upstash.io:6379?skip_verify=true"}, // any certificate
		{"QSTASH_URL", "http://qstash.upstash.io"},
		{"METRIQS_ENV", "staging"},
		{"TOKEN_KEYS", "k1:c2hvcnQ="},                      // 5 bytes
		{"SESSION_KEYS", keyA + "," + keyA},                // duplicate id
		{"GITHUB_CLIENT_ID", "only-the-id-without-secret"}, // half a credential
	} {
		env := production()
		env[tc.name] = tc.value
		if _, err := Load(envOf(env)); err == nil {
			t.Errorf("%s=%q accepted", tc.name, tc.value)
		}
	}
}

// The local server and the tests run on a plain local Redis and a local QStash.
func TestLoadDevelopmentAllowsLocalServices(t *testing.T) {
	c, err := Load(envOf(map[string]string{"METRIQS_ENV": "development", "REDIS_URL": "redis://127.0.0.1:6379/9", "QSTASH_URL": "http://127.0.0.1:8080"}))
	if err != nil || c.RedisURL != "redis://127.0.0.1:6379/9" {
		t.Fatalf("development config: %+v, %v", c, err)
	}
}

func TestLoadProviders(t *testing.T) {
	env := production()
	env["GOOGLE_CLIENT_ID"], env["GOOGLE_CLIENT_SECRET"] = "gid", "gsecret"
	c, err := Load(envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"google-analytics", "search-console"} {
		if c.Providers[p].ClientID != "gid" {
			t.Errorf("%s credentials = %+v", p, c.Providers[p])
		}
	}
	if _, ok := c.Providers["github"]; ok {
		t.Error("github configured without credentials")
	}
}

func TestParseKeyRing(t *testing.T) {
	ring, err := ParseKeyRing(" " + keyA + " , " + strings.TrimRight(keyB, "=") + " ")
	if err != nil {
		t.Fatal(err)
	}
	if len(ring) != 2 || ring.Active().ID != "a1" || len(ring[1].Secret) != KeySize {
		t.Fatalf("ring = %+v", ring)
	}
	for _, bad := range []string{"", "nocolon", ":" + keyA[3:], "bad id:" + keyA[3:], "k:!!!notbase64"} {
		if _, err := ParseKeyRing(bad); err == nil {
			t.Errorf("ParseKeyRing(%q) accepted", bad)
		}
	}
}
