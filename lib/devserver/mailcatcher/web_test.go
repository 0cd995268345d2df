package mailcatcher

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func serve(c *Catcher, method, path string, hdr ...string) (*http.Response, string) {
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Result(), string(b)
}

// A hostile message: script in the HTML part, markup in the subject, a remote image.
const hostile = "From: eve@example.com\r\nTo: ada@example.com\r\nSubject: <script>alert(1)</script>\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
	"--b\r\nContent-Type: text/html\r\n\r\n<script>alert(2)</script><img src=\"https://tracker.example/p.gif\"><a href=\"http://localhost:3000/verify-email#t=1\">Verify</a>\r\n" +
	"--b\r\nContent-Type: text/plain\r\n\r\nplain <b>text</b>\r\n" +
	"--b\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=\"x.html\"\r\n\r\n<script>alert(3)</script>\r\n--b--\r\n"

func caught(t *testing.T) *Catcher {
	c := &Catcher{box: NewBox(0)}
	c.box.Add(Parse([]byte(hostile)))
	c.box.Add(Parse([]byte("To: bob@example.com\r\nSubject: second\r\n\r\nhi\r\n")))
	return c
}

// The list shows every message newest first, with what came from the mail escaped.
func TestListPage(t *testing.T) {
	res, body := serve(caught(t), "GET", "/_dev/mail")
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("status %d, CSP %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	second, first := strings.Index(body, `href="/_dev/mail/m/2"`), strings.Index(body, `href="/_dev/mail/m/1"`)
	if second < 0 || first < 0 || second > first {
		t.Fatalf("want both messages, newest first:\n%s", body)
	}
	if strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;alert(1)") {
		t.Fatalf("subject not escaped:\n%s", body)
	}
}

// The message view shows the HTML part only inside a sandboxed srcdoc iframe that may run no
// script and load nothing remote; text, links, headers and attachments beside it.
func TestMessagePageIsolatesTheHTMLPart(t *testing.T) {
	res, body := serve(caught(t), "GET", "/_dev/mail/m/1")
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "<img") {
		t.Fatalf("markup of the message reached the page unescaped:\n%s", body)
	}
	if !strings.Contains(body, `<iframe title="HTML part" sandbox="allow-top-navigation-by-user-activation"`) || strings.Contains(body, "allow-scripts") || strings.Contains(body, "allow-same-origin") {
		t.Fatalf("HTML part not in a script-less sandbox:\n%s", body)
	}
	if !strings.Contains(body, `srcdoc="&lt;meta http-equiv=&#34;Content-Security-Policy&#34; content=&#34;default-src &#39;none&#39;`) {
		t.Fatalf("srcdoc lacks its own CSP:\n%s", body)
	}
	for _, want := range []string{`<pre>plain &lt;b&gt;text&lt;/b&gt;</pre>`, `<a href="http://localhost:3000/verify-email#t=1" rel="noreferrer">`, `href="/_dev/mail/m/1/attachments/0" download>x.html</a>`, `<th>Subject</th>`} {
		if !strings.Contains(body, want) {
			t.Errorf("message page lacks %s", want)
		}
	}
	if res, _ := serve(caught(t), "GET", "/_dev/mail/m/99"); res.StatusCode != 404 {
		t.Errorf("unknown message: %d", res.StatusCode)
	}
}

// Attachments download as files that cannot render as a page of the dev server's origin.
func TestAttachmentDownload(t *testing.T) {
	res, body := serve(caught(t), "GET", "/_dev/mail/m/1/attachments/0")
	h := res.Header
	if res.StatusCode != 200 || body != "<script>alert(3)</script>" || h.Get("Content-Disposition") != `attachment; filename=x.html` ||
		h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("download: %d %q %v", res.StatusCode, body, h)
	}
	if res, _ := serve(caught(t), "GET", "/_dev/mail/m/1/attachments/1"); res.StatusCode != 404 {
		t.Fatalf("missing attachment: %d", res.StatusCode)
	}
	if res, body := serve(caught(t), "GET", "/_dev/mail/m/2/raw"); res.StatusCode != 200 || !strings.HasPrefix(body, "To: bob@example.com") {
		t.Fatalf("raw: %d %q", res.StatusCode, body)
	}
}

// The JSON API lists by recipient, gives one message, 404s in the error envelope, and clears.
func TestJSONAPI(t *testing.T) {
	c := caught(t)
	_, body := serve(c, "GET", "/_dev/mail/api/messages?to=ada@example.com")
	var list listBody
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Messages) != 1 || list.Messages[0].Subject != "<script>alert(1)</script>" {
		t.Fatalf("list: %v %s", err, body)
	}
	if res, body := serve(c, "GET", "/_dev/mail/api/messages/2"); res.StatusCode != 200 || !strings.Contains(body, `"subject":"second"`) {
		t.Fatalf("get: %d %s", res.StatusCode, body)
	}
	if res, body := serve(c, "GET", "/_dev/mail/api/messages/9"); res.StatusCode != 404 || !strings.Contains(body, `"code":"not_found"`) {
		t.Fatalf("unknown: %d %s", res.StatusCode, body)
	}
	if res, _ := serve(c, "DELETE", "/_dev/mail/api/messages"); res.StatusCode != 204 || len(c.box.List("")) != 0 {
		t.Fatalf("delete: %d, %d left", res.StatusCode, len(c.box.List("")))
	}
}

// The page's Delete all button works from the page, and no other site can post it.
func TestClearFromThePageOnly(t *testing.T) {
	c := caught(t)
	if res, _ := serve(c, "POST", "/_dev/mail/clear", "Sec-Fetch-Site", "cross-site"); res.StatusCode != 403 || len(c.box.List("")) != 2 {
		t.Fatalf("cross-site clear: %d, %d left", res.StatusCode, len(c.box.List("")))
	}
	if res, _ := serve(c, "POST", "/_dev/mail/clear", "Sec-Fetch-Site", "same-origin"); res.StatusCode != 303 || len(c.box.List("")) != 0 {
		t.Fatalf("clear: %d, %d left", res.StatusCode, len(c.box.List("")))
	}
}
