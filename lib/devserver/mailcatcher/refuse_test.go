package mailcatcher

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"net/textproto"
	"testing"
)

// An address refused through the API gets a permanent 550 at RCPT TO (what the send job
// records as a bounce) and nothing is kept; DELETE makes the catcher accept it again.
func TestRefusedAddressGets550UntilAcceptedAgain(t *testing.T) {
	c := start(t, 0)
	h := c.Handler()
	refuse := func(method string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, Prefix+"/api/refusals?address=Gone@Example.com", nil))
		if w.Code != http.StatusNoContent {
			t.Fatalf("%s refusals: %d %s", method, w.Code, w.Body)
		}
	}
	raw := []byte("From: a@metriqs.localhost\r\nTo: gone@example.com\r\nSubject: hi\r\n\r\nhello\r\n")
	refuse(http.MethodPut)
	err := smtp.SendMail(c.Addr(), nil, "a@metriqs.localhost", []string{"gone@example.com"}, raw)
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 550 {
		t.Fatalf("send to a refused address: %v, want a 550", err)
	}
	if n := len(c.Box().List("")); n != 0 {
		t.Fatalf("the catcher kept %d messages to a refused address", n)
	}
	refuse(http.MethodDelete)
	send(t, c, "a@metriqs.localhost", []string{"gone@example.com"}, raw)
	if n := len(c.Box().List("gone@example.com")); n != 1 {
		t.Fatalf("after DELETE the catcher holds %d messages, want 1", n)
	}
}
