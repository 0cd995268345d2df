package config

import (
	"net/url"
	"slices"
	"strings"
)

// DevMailWebhookSecret signs the mail webhook in development (and its e2e tests). Public,
// so refused outside development.
const DevMailWebhookSecret = "whsec_bWV0cmlxcy1kZXYtbWFpbC13ZWJob29rLW5vdC1mb3ItcHJvZHVjdGlvbg=="

// webhookSecrets reads MAIL_WEBHOOK_SECRET and MAIL_WEBHOOK_SECRET_PREVIOUS, defaulting to
// DevMailWebhookSecret in development.
func webhookSecrets(env func(string) string, dev bool) []string {
	var out []string
	for _, name := range []string{"MAIL_WEBHOOK_SECRET", "MAIL_WEBHOOK_SECRET_PREVIOUS"} {
		if v := env(name); v != "" {
			out = append(out, v)
		}
	}
	if dev && len(out) == 0 {
		out = []string{DevMailWebhookSecret}
	}
	return out
}

// check validates the mail settings that are set; which are required is Load's business.
func (m Mail) check(dev bool) []string {
	var problems []string
	if m.SMTPURL != "" {
		if err := CheckSMTPURL(m.SMTPURL, dev); err != "" {
			problems = append(problems, err)
		}
	}
	if !dev && slices.Contains(m.WebhookSecrets, DevMailWebhookSecret) {
		problems = append(problems, "MAIL_WEBHOOK_SECRET is the development secret outside development")
	}
	for name, v := range map[string]string{"MAIL_FROM_ACCOUNT": m.FromAccount, "MAIL_FROM_REPORTS": m.FromReports} {
		if v != "" && !plausibleFrom(v) {
			problems = append(problems, name+` must be an address like "Metriqs <account@mail.example.com>"`)
		}
	}
	return problems
}

// CheckSMTPURL holds a mail server URL to the security page's promise of TLS 1.2 or higher
// in transit and to authenticated submission: outside development, smtp:// always means
// mandatory STARTTLS (there is no option to turn it off) and a user and password are
// required. Development accepts plain, unauthenticated SMTP for the local catcher. It returns
// the problem, or "".
func CheckSMTPURL(raw string, dev bool) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "SMTP_URL must be smtps://user:password@host:465 or smtp://user:password@host:587"
	}
	if dev {
		return ""
	}
	if pw, _ := u.User.Password(); u.User == nil || u.User.Username() == "" || pw == "" {
		return "SMTP_URL must carry a user and password outside development (SMTP AUTH)"
	}
	return ""
}

// plausibleFrom accepts "addr@domain" or "Name <addr@domain>" with nothing that could end a
// header line. lib/mail/submit parses it fully when it sends; this keeps a typo from
// reaching the first send.
func plausibleFrom(v string) bool {
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return false
	}
	addr := v
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		if !strings.HasSuffix(v, ">") {
			return false
		}
		addr = v[i+1 : len(v)-1]
	}
	at := strings.LastIndexByte(addr, '@')
	return at > 0 && at < len(addr)-1 && !strings.ContainsAny(addr, " <>,;")
}
