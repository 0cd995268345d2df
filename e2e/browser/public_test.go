package browser

import (
	"bufio"
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// The security page carries the published text, section by section.
func TestSecurityPage(t *testing.T) {
	t.Parallel()
	p := openTab(t)
	p.Visit("/security")
	p.A11y()
	for _, want := range []string{
		"Data Storage", "Encryption", "Authentication", "Infrastructure", "Data Retention",
		"Security Practices", "Responsible Disclosure", "Contact Security",
		"AES-256-GCM", "bcrypt with a cost factor of 12", "HttpOnly, Secure, SameSite=Lax",
		"permanently removed within 30 days", "retained for 7 years",
		"acknowledge your report within 2 business days",
	} {
		if !strings.Contains(p.Text("main"), want) {
			t.Errorf("the security page does not say %q", want)
		}
	}
	if n := p.Count(`a[href="mailto:security@trymetriqs.com"]`); n < 2 {
		t.Errorf("%d links to security@trymetriqs.com", n)
	}
	p.Screenshot("security", false)
}

// Unknown pages get the 404 page, styled, at any depth.
func TestNotFoundPage(t *testing.T) {
	t.Parallel()
	p := openTab(t)
	for _, path := range []string{"/no-such-page", "/app/reports/x/y/z"} {
		p.ExpectFailure(p.base + path) // the 404 of the page itself is the point
		ctx, cancel := context.WithTimeout(p.ctx, step)
		res, err := chromedp.Run(ctx, chromedp.NavigateResponse(p.base+path))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != http.StatusNotFound {
			t.Errorf("%s answered %d", path, res.Status)
		}
		if got := p.Text("h1"); got != "Page not found" {
			t.Errorf("%s shows %q", path, got)
		}
		if css := Eval[int](p, `document.styleSheets[0].cssRules.length`); css < 50 {
			t.Errorf("%s: the stylesheet did not load (%d rules)", path, css)
		}
	}
}

// Keyboard: the first Tab reaches the skip link, then the form in order, each with a
// visible focus ring.
func TestKeyboardNavigation(t *testing.T) {
	t.Parallel()
	p := openTab(t)
	p.Visit("/login")
	var order []string
	for range 5 {
		p.do(chromedp.KeyEvent(kb.Tab))
		order = append(order, Eval[string](p, `(() => { const el = document.activeElement; return el.id || el.className || el.tagName; })()`))
		outline := Eval[string](p, `getComputedStyle(document.activeElement).outlineStyle`)
		if outline == "none" {
			t.Errorf("no visible focus on %s", order[len(order)-1])
		}
	}
	if order[0] != "skip-link" || order[1] != "brand" {
		t.Errorf("tab order starts %v, want the skip link, then the logo", order)
	}
	// Enter on the skip link moves focus to the main content.
	p.Visit("/login")
	p.do(chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Enter))
	p.WaitFor("focus in main", `document.activeElement.id === 'main' || document.querySelector('main').contains(document.activeElement)`)
	p.do(chromedp.KeyEvent(kb.Tab))
	if got := Eval[string](p, `document.activeElement.id`); got != "email" {
		t.Errorf("after the skip link, Tab reaches %q, want the e-mail field", got)
	}
}

// security.txt (RFC 9116) names the contact and a policy, and expires within a year.
func TestSecurityTxt(t *testing.T) {
	t.Parallel()
	r := devtest.NewClient(t).Do("GET", "/.well-known/security.txt", nil)
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("security.txt: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	fields := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("malformed line %q", line)
		}
		fields[k] = v
	}
	for k, want := range map[string]string{
		"Contact":             "mailto:security@trymetriqs.com",
		"Canonical":           "https://trymetriqs.com/.well-known/security.txt",
		"Preferred-Languages": "en",
	} {
		if fields[k] != want {
			t.Errorf("%s = %q, want %q", k, fields[k], want)
		}
	}
	if !strings.HasPrefix(fields["Policy"], "https://trymetriqs.com/") {
		t.Errorf("Policy = %q", fields["Policy"])
	}
	exp, err := time.Parse(time.RFC3339, fields["Expires"])
	if err != nil {
		t.Fatalf("Expires = %q: %v", fields["Expires"], err)
	}
	// RFC 9116 §2.5.5: less than a year ahead. Failing here means: renew the file.
	if left := time.Until(exp); left <= 0 || left > 366*24*time.Hour {
		t.Errorf("Expires %s is %v away: set it to less than a year from now", exp, left.Round(time.Hour))
	}
}

// The pages keep the site's strict CSP possible: no inline script, no inline style, no
// event-handler attribute, no markup built from strings. The policy itself is served on
// every page.
func TestPagesNeedNothingInline(t *testing.T) {
	t.Parallel()
	r := devtest.NewClient(t).Do("GET", "/", nil)
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("the CSP %q lacks %s", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("the CSP was weakened: %q", csp)
	}

	root := filepath.Join("..", "..", "public")
	bad := map[string]*regexp.Regexp{
		".html": regexp.MustCompile(`(?i)<script(?:\s+type="module")?\s*>|<style|\sstyle\s*=|\son[a-z]+\s*=|javascript:`),
		".js":   regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\(\s*['"]style|\.style\s*=|\.cssText`),
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		re := bad[filepath.Ext(path)]
		if re == nil {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			if m := re.FindString(line); m != "" {
				t.Errorf("%s:%d: %q", path, i+1, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// At 375 px (a small phone) no page scrolls sideways: tables scroll inside their own box.
func TestPhoneWidth(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.adopt(a)
	p.viewport(375, 812, chromedp.EmulateMobile)
	for _, path := range []string{"/", "/signup", "/login", "/security", "/app", "/app/integrations", "/app/schedules", "/app/settings", "/no-such-page"} {
		if path == "/no-such-page" {
			p.ExpectFailure(p.base + path)
		}
		p.Visit(path)
		p.WaitFor("the page to settle", `!document.querySelector('.loading')`)
		if w := Eval[int](p, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("%s is %d px wide at 375 px", path, w)
		}
		if path == "/" {
			p.Screenshot("home-mobile", false)
		}
	}
}
