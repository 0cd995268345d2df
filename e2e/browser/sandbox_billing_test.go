package browser

import (
	"strings"
	"testing"
)

// Billing through Settings and the local Stripe sandbox's own pages: upgrade with Checkout →
// Pro; in the portal, a failed payment → Settings warns; pay → Pro again; cancel → Free, with
// Upgrade offered again. Every step is a signed webhook handled by the local server's function.
func TestBillingSandboxUpgradeFailPayCancel(t *testing.T) {
	t.Parallel()
	a := newAccount(t)
	p := openTab(t)
	p.adopt(a)
	p.Visit("/app/settings#billing")
	p.WaitVisible("#billing-upgrade")
	p.Click("#billing-upgrade")
	p.WaitPath("the sandbox's checkout page", func(path string) bool { return strings.HasPrefix(path, "/_dev/stripe/checkout/") })
	p.Click("#pay")
	p.WaitPath("back in Settings", func(path string) bool { return strings.HasPrefix(path, "/app/settings") })
	p.WaitFor("the Pro plan", `document.querySelector('#billing-plan')?.textContent === 'Pro'`)

	portal := func(button, status string) {
		t.Helper()
		p.WaitVisible("#billing-manage")
		p.Click("#billing-manage")
		p.WaitPath("the sandbox's portal", func(path string) bool { return strings.HasPrefix(path, "/_dev/stripe/portal/") })
		p.Click("#" + button)
		p.WaitFor("status "+status, `document.querySelector('#status')?.textContent === '`+status+`'`)
		p.Click("#return")
		p.WaitPath("back in Settings", func(path string) bool { return strings.HasPrefix(path, "/app/settings") })
	}
	portal("fail", "past_due")
	p.WaitFor("the payment warning", `document.querySelector('#billing-body .warn')?.textContent.includes('Payment failed')`)
	portal("pay", "active")
	p.WaitFor("Pro, no warning", `document.querySelector('#billing-plan')?.textContent === 'Pro' && !document.querySelector('#billing-body .warn')`)
	portal("cancel", "canceled")
	p.WaitFor("the Free plan", `document.querySelector('#billing-plan')?.textContent === 'Free'`)
	p.WaitVisible("#billing-upgrade")
}
