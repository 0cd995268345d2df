package mailcatcher

import (
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Message is one caught e-mail, parsed.
type Message struct {
	ID       string    `json:"id"`
	Received time.Time `json:"received"`
	// EnvelopeFrom and Recipients are the SMTP envelope (MAIL FROM, RCPT TO): where the
	// message was really delivered, whatever its headers say (Bcc shows only here).
	EnvelopeFrom string   `json:"envelope_from"`
	Recipients   []string `json:"recipients"`
	// From, To and Subject are the headers with RFC 2047 encoded words decoded.
	From    string              `json:"from"`
	To      string              `json:"to"`
	Subject string              `json:"subject"`
	Text    string              `json:"text"`
	HTML    string              `json:"html"`
	Headers map[string][]string `json:"headers"`
	// Links are the http(s) URLs of the HTML part's href attributes and of the text part, in
	// order, each once.
	Links       []string     `json:"links"`
	Attachments []Attachment `json:"attachments"`
	Size        int          `json:"size"`
	// Error says why the message could not be fully parsed ("" when it could).
	Error string `json:"error,omitempty"`
	Raw   []byte `json:"-"`
}

// Attachment is a part with a file name or an attachment disposition.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	ContentID   string `json:"content_id,omitempty"`
	Data        []byte `json:"data"`
}

// Box keeps the newest messages in memory, safe for concurrent SMTP sessions and readers.
type Box struct {
	mu    sync.Mutex
	limit int
	seq   int
	msgs  []Message // oldest first
}

// NewBox keeps at most limit messages (DefaultLimit when limit ≤ 0).
func NewBox(limit int) *Box {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return &Box{limit: limit}
}

// Add stores m with the next id and the time of arrival, dropping the oldest beyond the limit.
func (b *Box) Add(m Message) Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	m.ID, m.Received = strconv.Itoa(b.seq), time.Now().UTC()
	b.msgs = append(b.msgs, m)
	if over := len(b.msgs) - b.limit; over > 0 {
		b.msgs = slices.Delete(b.msgs, 0, over)
	}
	return m
}

// List returns the messages newest first; with to set, only those addressed to it (envelope
// recipient, To or Cc, compared without case).
func (b *Box) List(to string) []Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Message, 0, len(b.msgs))
	for i := len(b.msgs) - 1; i >= 0; i-- {
		if to == "" || b.msgs[i].addressedTo(to) {
			out = append(out, b.msgs[i])
		}
	}
	return out
}

// Get returns the message with the id.
func (b *Box) Get(id string) (Message, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.msgs {
		if m.ID == id {
			return m, true
		}
	}
	return Message{}, false
}

// Clear drops every message; ids keep counting, so an old id never names a new message.
func (b *Box) Clear() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs = nil
}

// addressedTo reports whether addr is among the envelope recipients or the To and Cc headers.
func (m Message) addressedTo(addr string) bool {
	for _, r := range m.Recipients {
		if strings.EqualFold(r, addr) {
			return true
		}
	}
	for _, h := range []string{"To", "Cc"} {
		for _, v := range m.Headers[h] {
			list, _ := mail.ParseAddressList(v)
			for _, a := range list {
				if strings.EqualFold(a.Address, addr) {
					return true
				}
			}
		}
	}
	return false
}
