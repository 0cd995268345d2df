package routes

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/trymetriqs/metriqs/"

// localOnly are packages for tests and the local server. Linked into a function they would
// add megabytes, or put a development stand-in within reach of production.
var localOnly = []string{
	"github.com/alicebob/miniredis",
	"github.com/robfig/cron",
	"github.com/chromedp",
	// The local mail catcher's SMTP server (lib/devserver/mailcatcher): a function that links
	// it could open an unauthenticated mail server.
	"github.com/emersion/go-smtp",
	"github.com/emersion/go-sasl",
	// stripe-go signs webhook payloads in tests; ~900 KB in a function (docs/billing.md).
	"github.com/stripe/stripe-go",
	module + "lib/devserver",
	module + "lib/qstashdev",
	module + "lib/store/storetest",
	module + "lib/provider/providertest",
}

// oauthAndReports are the packages that make a function large and hold provider tokens'
// code paths. Sign-in and account functions, which run on every page, stay free of them.
var oauthAndReports = []string{
	"golang.org/x/oauth2",
	module + "lib/integration",
	module + "lib/provider",
	module + "lib/metrics",
	module + "lib/report",
}

// smtpOnly is the SMTP and MIME code of the send-email job, linked into that function alone:
// every other function that mails only calls mail.Enqueue.
var smtpOnly = []string{"github.com/wneessen/go-mail", module + "lib/mail/submit"}

const smtpFunction = "api/jobs/send-email"

// qrOnly draws the 2FA enrolment QR code: image/png's init registers its decoder, so any
// function importing it links the decoder and compress/zlib (78 KB), wanted by enrolment alone.
var qrOnly = []string{"image/png", module + "lib/totp/qr"}

const qrFunction = "api/account/totp"

// lean are the function packages held to oauthAndReports. (The builder compiles a function
// with its whole directory's package, so the rule is per package.)
var lean = []string{"api", "api/auth", "api/me", "api/account", "api/account/totp"}

// TestFunctionImports holds every function to the size rules of docs/performance.md by what
// it links, not only by the measured size, so a stray import fails here with its name.
func TestFunctionImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "../../api/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	seen := 0
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		pkg, deps := strings.TrimPrefix(fields[0], module), fields[1:]
		seen++
		for _, dep := range deps {
			if hasPrefix(dep, localOnly) {
				t.Errorf("%s links %s, a local-only package", pkg, dep)
			}
			if hasPrefix(dep, smtpOnly) && pkg != smtpFunction {
				t.Errorf("%s links %s; only %s may link the SMTP transport", pkg, dep, smtpFunction)
			}
			if hasPrefix(dep, qrOnly) && pkg != qrFunction {
				t.Errorf("%s links %s; only %s may link the QR code", pkg, dep, qrFunction)
			}
			for _, l := range lean {
				if pkg == l && hasPrefix(dep, oauthAndReports) {
					t.Errorf("%s links %s; sign-in and account functions stay free of OAuth and report code", pkg, dep)
				}
			}
		}
	}
	if seen < len(lean) {
		t.Fatalf("go list saw %d function packages", seen)
	}
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if s == p || strings.HasPrefix(s, p+"/") {
			return true
		}
	}
	return false
}
