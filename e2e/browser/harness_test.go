package browser

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// chromiumPath is Debian's Chromium. The tests never download a browser.
const chromiumPath = "/usr/bin/chromium"

// watchJS runs in every document before the page's own scripts and reports CSP violations.
//
//go:embed testdata/watch.js
var watchJS string

// step bounds one action (a navigation, a wait for an element).
const step = 20 * time.Second

// Tab is one headless Chromium with a fresh profile, showing one tab. It records every
// console error, uncaught exception and CSP violation; the test fails on any of them.
type Tab struct {
	t    *testing.T
	ctx  context.Context
	base string
	// Downloads is the folder downloads are saved to.
	Downloads string

	mu       sync.Mutex
	problems []string
	expected map[string]bool // URLs whose failure to load is what the test wants
}

// ExpectFailure tells the tab that url failing to load (a 404 page, say) is not a defect.
func (p *Tab) ExpectFailure(url string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.expected == nil {
		p.expected = map[string]bool{}
	}
	p.expected[url] = true
}

// openTab starts Chromium for t, or skips t when Chromium is not installed.
func openTab(t *testing.T) *Tab {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser tests need Debian's Chromium at %s (apt-get install chromium fonts-liberation); it is not installed here", chromiumPath)
	}
	p := &Tab{t: t, base: devtest.Server.URL, Downloads: t.TempDir()}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.NoSandbox, // the tests run as root, where Chromium's sandbox cannot start
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,CertificateTransparencyComponentUpdater"),
		chromedp.Flag("no-proxy-server", true), // everything is on 127.0.0.1
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(1280, 860),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(p.listen))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	p.ctx = ctx
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	call(p, runtime.AddBinding, runtime.AddBindingParams{Name: "__mqReport"})
	call(p, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: watchJS})
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: p.Downloads, EventsEnabled: new(true),
	}); err != nil {
		t.Fatalf("set download behavior: %v", err)
	}
	p.viewport(1280, 860)
	t.Cleanup(p.checkClean)
	return p
}

// call sends one protocol command to the tab.
func call[P, R any](p *Tab, cmd cdp.Command[P, R], params P) R {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, step)
	defer cancel()
	r, err := chromedp.Call(ctx, cmd, params)
	if err != nil {
		p.t.Fatalf("%s: %v", cmd.Method, err)
	}
	return r
}

// listen runs in the tab's event loop: it must return fast and send no command.
func (p *Tab) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				if a.Value != nil {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			p.problem("console.%s: %s", ev.Type, strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		p.problem("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, text)
	case *log.EventEntryAdded:
		e := ev.Entry
		if e.Level != log.EntryLevelError {
			return
		}
		// The API answers 4xx by design (a wrong password, a signed-out visit); Chromium logs
		// each as "Failed to load resource". The pages handle those answers, and the tests
		// check what they show. Anything else failing to load is a defect.
		if e.Source == log.EntrySourceNetwork && (strings.HasPrefix(e.URL, p.base+"/api/") || p.isExpected(e.URL)) {
			return
		}
		p.problem("browser log (%s): %s %s", e.Source, e.Text, e.URL)
	case *runtime.EventBindingCalled:
		if ev.Name == "__mqReport" {
			p.problem("CSP violation: %s", ev.Payload)
		}
	}
}

func (p *Tab) isExpected(url string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.expected[url]
}

func (p *Tab) problem(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.problems = append(p.problems, fmt.Sprintf(format, args...))
}

// checkClean fails the test on any console error, exception or CSP violation seen so far.
func (p *Tab) checkClean() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pr := range p.problems {
		p.t.Errorf("in the browser: %s", pr)
	}
	p.problems = nil
}

// viewport sets the size of the page (and the media queries that apply).
func (p *Tab) viewport(w, h int64, opts ...chromedp.EmulateViewportOption) {
	p.t.Helper()
	p.do(chromedp.EmulateViewport(w, h, opts...))
}

// do runs actions with a time limit per call. When the page replaces the element between
// finding it and acting on it (a navigation or a re-render in between: DevTools then answers
// "Could not find node with given id"), the actions run again on the new element; that
// failure happens before any input reaches the page, so a retry never acts twice.
func (p *Tab) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	var err error
	for range 3 {
		ctx, cancel := context.WithTimeout(p.ctx, step)
		err = chromedp.Do(ctx, actions...)
		cancel()
		if err == nil || !staleNode(err) {
			break
		}
	}
	if err != nil {
		p.t.Fatalf("%v (page %s)", err, p.location())
	}
}

// staleNode reports whether err says a node found earlier is no longer in the document.
func staleNode(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Could not find node with given id") ||
		strings.Contains(msg, "does not belong to the document") ||
		strings.Contains(msg, "Cannot find context with specified id")
}

// Visit opens path on the local server and waits for the load event.
func (p *Tab) Visit(path string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.base + path))
}

// WaitVisible waits until the CSS selector matches a visible element.
func (p *Tab) WaitVisible(sel string) {
	p.t.Helper()
	p.do(chromedp.WaitVisible(chromedp.CSS(sel)))
}

// WaitGone waits until no element matches sel.
func (p *Tab) WaitGone(sel string) {
	p.t.Helper()
	p.do(chromedp.WaitNotPresent(chromedp.CSS(sel)))
}

// Fill replaces the value of the input sel with value, typing it as a person would.
func (p *Tab) Fill(sel, value string) {
	p.t.Helper()
	// The value property is emptied first: chromedp.Clear only resets the attribute, which
	// leaves whatever was typed before.
	p.do(chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value = ''`, sel)),
		chromedp.SendKeys(chromedp.CSS(sel), value))
}

// Select sets a <select> or a date input to value.
func (p *Tab) Select(sel, value string) {
	p.t.Helper()
	// A page module may fill a select's options after the load event (after awaiting the
	// API): until the wanted option exists, Chrome refuses the value ("could not set value").
	var err error
	for range 50 {
		ctx, cancel := context.WithTimeout(p.ctx, step)
		err = chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SetValue(chromedp.CSS(sel), value))
		cancel()
		if err == nil || !(staleNode(err) || strings.Contains(err.Error(), "could not set value")) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("select %s = %s: %v (page %s)", sel, value, err, p.location())
	}
}

// Click clicks the element sel once it is visible, scrolled to the middle of the window first,
// as a user brings what they click into view: the app pages' address banner sticks to the
// bottom of the screen (js/app.js), and DevTools clicks at a point, so an element left in the
// banner's strip would have the click land on the banner.
func (p *Tab) Click(sel string) {
	p.t.Helper()
	p.do(chromedp.WaitVisible(chromedp.CSS(sel)))
	Eval[bool](p, fmt.Sprintf(`(() => { document.querySelector(%q)?.scrollIntoView({ block: 'center' }); return true; })()`, sel))
	p.do(chromedp.Click(chromedp.CSS(sel)))
}

// Text returns the visible text of sel, once it is visible. A navigation that replaces the
// document while the text is read is retried.
func (p *Tab) Text(sel string) string {
	p.t.Helper()
	var err error
	for range 3 {
		ctx, cancel := context.WithTimeout(p.ctx, step)
		var s string
		s, err = chromedp.Run(ctx, chromedp.QueryAfter(chromedp.CSS(sel), func(ctx context.Context, t *chromedp.Target, _ []*chromedp.Node) (string, error) {
			return chromedp.Text(chromedp.CSS(sel))(ctx, t)
		}, chromedp.NodeVisible))
		cancel()
		if err == nil {
			return strings.TrimSpace(s)
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.t.Fatalf("text of %s: %v (page %s)", sel, err, p.location())
	return ""
}

// Eval evaluates a JavaScript expression in the page and decodes its value into T.
func Eval[T any](p *Tab, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, step)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// location is the page's address, or "" while it is changing.
func (p *Tab) location() string {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
	if err != nil {
		return ""
	}
	return s
}

// visibleText is the text of the page's main element, for failure messages.
func (p *Tab) visibleText() string {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('main') || document.body).innerText`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return s
}

// Path returns the page's path and query ("/login?next=%2Fapp").
func (p *Tab) Path() string {
	u, err := url.Parse(p.location())
	if err != nil || u.Host == "" {
		return ""
	}
	return u.RequestURI()
}

// WaitPath waits until the page's path and query satisfy ok, across navigations.
func (p *Tab) WaitPath(desc string, ok func(path string) bool) string {
	p.t.Helper()
	deadline := time.Now().Add(step)
	last := ""
	for time.Now().Before(deadline) {
		if last = p.Path(); last != "" && ok(last) && p.loaded(last) {
			return last
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Fatalf("waited for the page to be at %s; it is at %q, showing:\n%s", desc, last, p.visibleText())
	return ""
}

// loaded reports whether the document at path has finished loading: the tab's URL changes
// when a navigation commits, before the new document is parsed, so checking the page right
// after the URL matched would read the old document or half of the new one.
func (p *Tab) loaded(path string) bool {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	doc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState === 'complete' ? location.pathname + location.search : ''`))
	return err == nil && doc == path
}

// WaitAt waits until the page is exactly at path (path and query).
func (p *Tab) WaitAt(path string) {
	p.t.Helper()
	p.WaitPath(path, func(s string) bool { return s == path })
}

// WaitFor waits until the JavaScript expression is truthy (across navigations).
func (p *Tab) WaitFor(desc, expr string) {
	p.t.Helper()
	deadline := time.Now().Add(step)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`Boolean(`+expr+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Fatalf("waited for %s (%s) on %s, showing:\n%s", desc, expr, p.location(), p.visibleText())
}

// Count returns how many elements match sel.
func (p *Tab) Count(sel string) int {
	p.t.Helper()
	return Eval[int](p, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
}

// Screenshot saves the page to docs/screenshots/NAME.png when UPDATE_SCREENSHOTS is set.
// With full, the whole page is captured, not only what fits in the window.
func (p *Tab) Screenshot(name string, full bool) {
	p.t.Helper()
	p.screenshot(name, full, `window.scrollTo(0, 0)`)
}

// ScreenshotFrom saves the window's view with the element matching sel at its top (less a
// 12 px margin): a phone-sized picture of a part further down the page.
func (p *Tab) ScreenshotFrom(name, sel string) {
	p.t.Helper()
	p.WaitVisible(sel)
	p.screenshot(name, false, `window.scrollTo(0, document.querySelector(`+strconv.Quote(sel)+`).getBoundingClientRect().top + window.scrollY - 12)`)
}

func (p *Tab) screenshot(name string, full bool, scroll string) {
	p.t.Helper()
	if os.Getenv("UPDATE_SCREENSHOTS") == "" {
		return
	}
	// Let fonts settle and focus rings or hover states from the test go away.
	p.do(chromedp.MouseEvent(chromedp.MouseMoved, 0, 0), chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur && document.activeElement.blur(), `+scroll+`, document.fonts.ready`, chromedp.EvalAwaitPromise))
	ctx, cancel := context.WithTimeout(p.ctx, step)
	defer cancel()
	var shot chromedp.Action[[]byte] = chromedp.CaptureScreenshot()
	if full || os.Getenv("SCREENSHOT_FULL") != "" {
		shot = chromedp.FullScreenshot(100)
	}
	buf, err := chromedp.Run(ctx, shot)
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "docs", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// WaitDownload runs trigger and waits for the download it starts; it returns the saved file.
func (p *Tab) WaitDownload(trigger func()) (name string, body []byte) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, step)
	defer cancel()
	begins := chromedp.BrowserEvents(ctx, browser.DownloadWillBegin)
	progress := chromedp.BrowserEvents(ctx, browser.DownloadProgress)
	trigger()
	var guid, suggested string
	for ev, err := range begins {
		if err != nil {
			p.t.Fatalf("no download started: %v", err)
		}
		guid, suggested = ev.GUID, ev.SuggestedFilename
		break
	}
	for ev, err := range progress {
		if err != nil {
			p.t.Fatalf("download %s did not finish: %v", suggested, err)
		}
		if ev.GUID != guid {
			continue
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			p.t.Fatalf("download %s was cancelled", suggested)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			path := ev.FilePath
			if path == "" {
				path = filepath.Join(p.Downloads, suggested)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				p.t.Fatalf("read download: %v", err)
			}
			return suggested, b
		}
	}
	p.t.Fatal("download events ended")
	return "", nil
}

// A11y checks what a page must have for keyboard and screen reader users: a language, one
// h1, a main landmark, a label for every form control, alt text on every image, and a
// visible name on every button and link. It returns the problems found.
func (p *Tab) A11y() {
	p.t.Helper()
	raw := Eval[string](p, `JSON.stringify((() => {
  const out = [];
  if (!document.documentElement.lang) out.push('no lang on <html>');
  const h1 = Array.from(document.querySelectorAll('h1')).filter((el) => !el.closest('[hidden]')).length;
  if (h1 !== 1) out.push(h1 + ' h1 elements');
  if (!document.querySelector('main')) out.push('no <main>');
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || el.hidden) continue;
    if (!el.labels.length && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')) out.push('unlabelled ' + el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll('img')) if (!el.hasAttribute('alt')) out.push('img without alt ' + el.src.slice(0, 60));
  for (const el of document.querySelectorAll('button, a[href]')) {
    if (el.closest('[hidden]')) continue;
    const name = (el.getAttribute('aria-label') || el.textContent || '').trim();
    if (!name) out.push('nameless ' + el.outerHTML.slice(0, 80));
  }
  return out;
})())`)
	var problems []string
	if err := json.Unmarshal([]byte(raw), &problems); err != nil {
		p.t.Fatal(err)
	}
	for _, pr := range problems {
		p.t.Errorf("accessibility on %s: %s", p.Path(), pr)
	}
}

// reply is what an interception answers; a nil reply lets the request reach the server.
type reply struct {
	Status  int
	Type    string
	Headers map[string]string
	Body    []byte
}

// Intercept answers the page's requests whose URL matches pattern (Fetch domain wildcards)
// with handle's reply. Tests use it to show pages fixed data in the shape of docs/API.md, so
// every state a page can draw (partial reports, reconnect prompts…) is checked even where
// the live API cannot easily produce it.
func (p *Tab) Intercept(pattern string, handle func(method string, u *url.URL, body string) *reply) {
	p.t.Helper()
	paused := chromedp.Events(p.ctx, fetch.RequestPaused)
	call(p, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: pattern}}})
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			u, _ := url.Parse(ev.Request.URL)
			var body string
			for _, e := range ev.Request.PostDataEntries {
				body += string(e.Bytes)
			}
			r := handle(ev.Request.Method, u, body)
			if r == nil {
				_, _ = chromedp.Call(p.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
				continue
			}
			headers := []*fetch.HeaderEntry{{Name: "Cache-Control", Value: "no-store"}}
			if r.Type != "" {
				headers = append(headers, &fetch.HeaderEntry{Name: "Content-Type", Value: r.Type})
			}
			for k, v := range r.Headers {
				headers = append(headers, &fetch.HeaderEntry{Name: k, Value: v})
			}
			_, _ = chromedp.Call(p.ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
				RequestID: ev.RequestID, ResponseCode: int64(r.Status), ResponseHeaders: headers, Body: r.Body,
			})
		}
	}()
}

// jsonReply is a JSON answer.
func jsonReply(status int, v any) *reply {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return &reply{Status: status, Type: "application/json", Body: b}
}
