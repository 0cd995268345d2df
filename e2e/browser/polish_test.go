package browser

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// On the local server the integrations page lists the real providers it has no OAuth client
// for as "Not configured here", naming the variables that enable them, with no Connect
// button that could only fail; the configured sandbox can still be connected.
func TestIntegrationsPageNamesWhatEnablesAProvider(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.adopt(a)
	p.Visit("/app/integrations")
	p.WaitVisible(`[data-provider="stripe"][data-status="not_configured"]`)
	got := p.Text(`[data-provider="stripe"]`)
	if !strings.Contains(got, "Not configured here") || !strings.Contains(got, "STRIPE_CLIENT_ID and STRIPE_SECRET_KEY") {
		t.Errorf("unconfigured Stripe reads %q", got)
	}
	if n := p.Count(`[data-provider="stripe"] [data-action="connect"]`); n != 0 {
		t.Errorf("unconfigured Stripe offers %d Connect buttons", n)
	}
	if n := p.Count(`[data-provider="demo"] [data-action="connect"]`); n != 1 {
		t.Errorf("the sandbox offers %d Connect buttons", n)
	}
	p.A11y()
}

// On a phone the report fills in without moving what is already on screen (layout shift
// under Lighthouse's 0.1, measured by the browser's own layout-shift entries), and the
// chart's tick labels are at least 11 CSS px tall, not a 600-unit drawing's scaled-down 6px.
func TestReportOnAPhoneKeepsStillAndReadable(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.adopt(a)
	p.viewport(360, 740, chromedp.EmulateMobile)
	defer p.viewport(1280, 860)
	p.Intercept("*/api/reports/phone-report*", func(method string, _ *url.URL, _ string) *reply {
		if method == "GET" {
			return &reply{Status: 200, Type: "application/json", Body: reportFixture}
		}
		return nil
	})
	p.Visit("/app/reports/phone-report")
	p.WaitVisible(".chart svg .chart-tick")
	cls := Eval[float64](p, `new Promise((done) => { let sum = 0;
		new PerformanceObserver((l) => { for (const e of l.getEntries()) if (!e.hadRecentInput) sum += e.value; })
			.observe({ type: 'layout-shift', buffered: true });
		requestAnimationFrame(() => requestAnimationFrame(() => done(sum))); })`)
	if cls >= 0.1 {
		t.Errorf("cumulative layout shift %.3f on a phone, want < 0.1", cls)
	}
	// The rendered size of a label: its font size in SVG units times the drawing's scale.
	px := Eval[float64](p, `(() => { const svg = document.querySelector('.chart svg');
		const unit = parseFloat(getComputedStyle(svg.querySelector('.chart-tick')).fontSize);
		return unit * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width; })()`)
	if px < 11 {
		t.Errorf("chart tick labels are %.1f CSS px on a phone, want at least 11", px)
	}
}

// Signing up with an address that has an account says so and links to signing in, keeping
// where the user was going.
func TestSignupWithATakenAddressLinksToSignIn(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.Visit("/signup?next=%2Fapp%2Fschedules")
	p.Fill(`#signup-form [name="email"]`, a.Email)
	p.Fill(`#signup-form [name="password"]`, "another long password 42")
	p.Click(`#signup-form button[type="submit"]`)
	p.WaitVisible(`#signup-form .field-error a, #signup-form .form-error a`)
	if got := p.Text(`#signup-form .field-error, #signup-form .form-error`); got != "An account with this e-mail address already exists. Sign in instead." {
		t.Errorf("a taken address reads %q", got)
	}
	if href := Eval[string](p, `document.querySelector('#signup-form .field-error a, #signup-form .form-error a').getAttribute('href')`); href != "/login?next=%2Fapp%2Fschedules" {
		t.Errorf("Sign in links to %q", href)
	}
}

// Settings › Security: the three subsections are sections; the recovery codes have a Print
// button that prints the codes alone; "I have saved my codes" leaves the keyboard on the 2FA
// panel's heading, not at the top of the page.
func TestRecoveryCodesPrintAndKeepFocus(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.adopt(a)
	totpCodes, _ := enableTwoFactor(t, p, a.Password, "")
	wantFocus(t, p, "twofa-title", "I have saved my codes")
	if got := p.Text("#codes-left"); got != "10 of 10 recovery codes left." {
		t.Errorf("the 2FA panel says %q", got)
	}
	if n := p.Count(`#security section.subsection[aria-labelledby]`); n != 3 {
		t.Errorf("%d subsections of Security are sections", n)
	}
	if n := p.Count(`#security div[aria-labelledby]:not([role])`); n != 0 {
		t.Errorf("%d plain divs carry aria-labelledby", n)
	}

	p.Fill("#recovery-password", a.Password)
	p.Fill("#recovery-code", totpCodes.next())
	p.Click("#recovery-form button[type=submit]")
	p.WaitVisible("#codes-print")
	Eval[bool](p, `(window.print = () => { window.printed = document.documentElement.classList.contains('print-codes'); }, true)`)
	p.Click("#codes-print")
	if !Eval[bool](p, `window.printed === true`) {
		t.Fatal("Print did not print with the codes-only stylesheet on")
	}
	call(p, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
	seen := Eval[[]string](p, `[getComputedStyle(document.querySelector('.site-header, header')).visibility,
		getComputedStyle(document.querySelector('#recovery-codes .codes li')).visibility]`)
	call(p, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""})
	if seen[0] != "hidden" || seen[1] != "visible" {
		t.Errorf("printing shows the header %s and the codes %s, want only the codes", seen[0], seen[1])
	}
	p.Click("#codes-done")
	wantFocus(t, p, "twofa-title", "I have saved my codes (after new codes)")
}
