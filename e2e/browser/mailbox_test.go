package browser

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// The local mailbox, as a developer uses it: a signup's verification mail is listed, opens
// with its parts, and the link inside leads back to the running app.
func TestLocalMailboxOpensAMessageAndFollowsItsLink(t *testing.T) {
	t.Parallel()
	email := fmt.Sprintf("mailbox-%d@example.com", time.Now().UnixNano())
	r := devtest.NewClient(t).Do("POST", "/api/auth/signup", map[string]string{"email": email, "password": "correct horse battery staple", "name": "Ada"})
	devtest.Want(t, r, http.StatusCreated, "")
	m := devtest.WaitMail(t, email, nil)

	p := openTab(t)
	p.Visit("/_dev/mail?to=" + email)
	p.WaitVisible(`a[href="/_dev/mail/m/` + m.ID + `"]`)
	p.Click(`a[href="/_dev/mail/m/` + m.ID + `"]`)
	p.WaitAt("/_dev/mail/m/" + m.ID)
	p.WaitVisible(`iframe[title="HTML part"]`)
	if !strings.Contains(p.Text("h1"), m.Subject) {
		t.Fatalf("message page heading %q, want the subject %q", p.Text("h1"), m.Subject)
	}
	p.Click(`ul.links a[href^="` + devtest.Server.URL + `/verify-email"]`)
	p.WaitPath("/verify-email", func(s string) bool { return strings.HasPrefix(s, "/verify-email") })
}
