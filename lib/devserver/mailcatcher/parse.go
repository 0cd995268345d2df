package mailcatcher

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
)

// maxDepth bounds multipart nesting: real mail nests three levels (mixed › alternative ›
// related); a deeper message is malformed and is shown as far as it goes.
const maxDepth = 8

// decoder decodes RFC 2047 words in any charset the WHATWG encoding list knows, not only the
// UTF-8 and Latin-1 of the standard library.
var decoder = &mime.WordDecoder{CharsetReader: charsetReader}

// Parse reads a raw RFC 5322 message with the standard library's MIME packages. It never
// fails: what cannot be parsed is reported in Error and the rest is kept.
func Parse(raw []byte) Message {
	m := Message{Raw: raw, Size: len(raw)}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		m.Error = "headers: " + err.Error()
		m.Text = string(raw)
		return m
	}
	m.Headers = map[string][]string(msg.Header)
	m.From, m.To, m.Subject = decodeHeader(msg.Header.Get("From")), decodeHeader(msg.Header.Get("To")), decodeHeader(msg.Header.Get("Subject"))
	if err := m.walk(textproto.MIMEHeader(msg.Header), msg.Body, 0); err != nil {
		m.Error = err.Error()
	}
	m.Links = links(m.HTML, m.Text)
	return m
}

// walk stores the text, HTML and attachment parts of one entity, descending into multiparts.
// The first text/plain and text/html parts that are not attachments are the message's body.
func (m *Message) walk(h textproto.MIMEHeader, body io.Reader, depth int) error {
	ctype, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		ctype, params = "text/plain", map[string]string{"charset": "us-ascii"}
	}
	if strings.HasPrefix(ctype, "multipart/") {
		if depth >= maxDepth {
			return errors.New("multipart nested too deep")
		}
		return m.walkMultipart(params["boundary"], body, depth)
	}
	data, err := io.ReadAll(transferDecoder(h.Get("Content-Transfer-Encoding"), body))
	if err != nil {
		return fmt.Errorf("part %s: %w", ctype, err)
	}
	m.addPart(h, ctype, params, data)
	return nil
}

func (m *Message) walkMultipart(boundary string, body io.Reader, depth int) error {
	if boundary == "" {
		return errors.New("multipart without boundary")
	}
	mr := multipart.NewReader(body, boundary)
	for {
		// NextRawPart: the transfer encoding is undone by transferDecoder for every part alike.
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("multipart: %w", err)
		}
		if err := m.walk(p.Header, p, depth+1); err != nil {
			return err
		}
	}
}

// addPart files one leaf part as the text body, the HTML body or an attachment.
func (m *Message) addPart(h textproto.MIMEHeader, ctype string, params map[string]string, data []byte) {
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := decodeHeader(cmpOr(dparams["filename"], params["name"]))
	switch {
	case disp != "attachment" && name == "" && ctype == "text/plain" && m.Text == "":
		m.Text = lf(toUTF8(data, params["charset"]))
	case disp != "attachment" && name == "" && ctype == "text/html" && m.HTML == "":
		m.HTML = lf(toUTF8(data, params["charset"]))
	default:
		cid := strings.Trim(h.Get("Content-ID"), "<>")
		m.Attachments = append(m.Attachments, Attachment{Name: name, ContentType: ctype, ContentID: cid, Data: data})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// transferDecoder undoes Content-Transfer-Encoding; 7bit, 8bit, binary and unknown ones are
// passed through as they are.
func transferDecoder(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		// The base64 decoder skips the CR and LF of wrapped lines itself.
		return base64.NewDecoder(base64.StdEncoding, r)
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// lf turns the wire's CRLF line ends into the LF that tests and the page expect.
func lf(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// toUTF8 converts a text part from its charset; an unknown charset is shown as it is.
func toUTF8(data []byte, charset string) string {
	if charset == "" || strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "us-ascii") {
		return string(data)
	}
	r, err := charsetReader(charset, bytes.NewReader(data))
	if err != nil {
		return string(data)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return string(data)
	}
	return string(out)
}

func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, fmt.Errorf("charset %q: %w", charset, err)
	}
	return enc.NewDecoder().Reader(r), nil
}

// decodeHeader decodes RFC 2047 encoded words; a header that does not decode is shown raw.
func decodeHeader(v string) string {
	d, err := decoder.DecodeHeader(v)
	if err != nil {
		return v
	}
	return d
}

var (
	hrefRE = regexp.MustCompile(`(?i)\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')`)
	urlRE  = regexp.MustCompile(`https?://[^\s<>"'()\[\]]+`)
)

// links lists the http(s) links of the HTML part (its href attributes, entities decoded) and
// the URLs of the text part, each once, in order of appearance.
func links(htmlPart, text string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(u string) {
		u = strings.TrimRight(u, ".,;:!?")
		if (strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")) && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	for _, g := range hrefRE.FindAllStringSubmatch(htmlPart, -1) {
		add(html.UnescapeString(g[1] + g[2]))
	}
	for _, u := range urlRE.FindAllString(text, -1) {
		add(u)
	}
	return out
}
