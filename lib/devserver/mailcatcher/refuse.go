package mailcatcher

import (
	"net/http"
	"strings"
	"sync"

	"github.com/emersion/go-smtp"

	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/web"
)

// refusals are the addresses the catcher refuses at RCPT TO with a permanent 550, the way a
// receiving server answers for a mailbox that does not exist. They let a developer (and the
// e2e tests) see what a bounce does to an account without a real provider.
type refusals struct {
	mu    sync.Mutex
	addrs map[string]bool
}

func (r *refusals) set(addr string, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.addrs == nil {
		r.addrs = map[string]bool{}
	}
	if on {
		r.addrs[strings.ToLower(addr)] = true
	} else {
		delete(r.addrs, strings.ToLower(addr))
	}
}

// check answers RCPT TO for addr: nil, or the 550 of RFC 3463's 5.1.1 (bad mailbox).
func (r *refusals) check(addr string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.addrs[strings.ToLower(addr)] {
		return nil
	}
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable (refused by the local catcher)"}
}

// apiRefuse serves PUT and DELETE /_dev/mail/api/refusals?address=…: from then on mail to the
// address is refused permanently (PUT) or accepted again (DELETE).
func (c *Catcher) apiRefuse(w http.ResponseWriter, r *http.Request) {
	addr := r.URL.Query().Get("address")
	if addr == "" || strings.ContainsAny(addr, " \r\n") {
		web.Error(w, r, problem.Invalid("address", "Give the address to refuse: ?address=…"))
		return
	}
	c.refused.set(addr, r.Method == http.MethodPut)
	w.WriteHeader(http.StatusNoContent)
}
