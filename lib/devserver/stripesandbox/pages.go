package stripesandbox

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
)

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"money": func(minor int64) string { return "$" + decimal(minor) },
	"date":  func(unix int64) string { return time.Unix(unix, 0).UTC().Format("2 January 2006") },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}} · Stripe sandbox</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1a1f36}
.note{background:#fff4d6;border:1px solid #e5c76b;padding:.5rem .75rem;border-radius:6px;font-size:.9rem}
form{display:inline}button{font:inherit;padding:.5rem 1rem;margin:.25rem .25rem .25rem 0;border-radius:6px;border:1px solid #635bff;background:#635bff;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#635bff}dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}dt{color:#697386}</style></head>
<body><p class="note">Stripe sandbox of the local server: no money moves. Each button changes the subscription and sends the webhooks Stripe would send, signed like Stripe's.</p>
<h1>{{.Title}}</h1>
{{if .Checkout}}
<p>Subscribe to <strong>Metriqs Pro</strong>, billed every {{.Interval}}: {{money .Amount}} + {{.Tax}}% tax.</p>
<form method="post"><label>Name on the invoice <input name="name" value="Sandbox Customer" required></label><br>
<button type="submit" id="pay">Subscribe</button></form>
<p><a href="{{.Checkout.CancelURL}}">Cancel and return to Metriqs</a></p>
{{else}}
{{with .Sub}}<dl id="subscription"><dt>Plan</dt><dd>Metriqs Pro, every {{$.Interval}}</dd><dt>Status</dt><dd id="status">{{.Status}}</dd>
<dt>Renews</dt><dd>{{date (index .Items.Data 0).CurrentPeriodEnd}}</dd></dl>
{{if ne .Status "canceled"}}
{{if eq $.Interval "month"}}<form method="post" action="{{$.Base}}/yearly"><button class="secondary" id="yearly">Switch to yearly</button></form>{{else}}<form method="post" action="{{$.Base}}/monthly"><button class="secondary" id="monthly">Switch to monthly</button></form>{{end}}
{{if eq .Status "past_due"}}<form method="post" action="{{$.Base}}/pay"><button id="pay">Pay the open invoice</button></form>{{else}}<form method="post" action="{{$.Base}}/fail"><button class="secondary" id="fail">Simulate failed payment</button></form>{{end}}
<form method="post" action="{{$.Base}}/refund"><button class="secondary" id="refund">Refund the latest invoice</button></form>
{{if .CancelAtPeriodEnd}}<p id="cancels">Cancels at the end of the period ({{date (index .Items.Data 0).CurrentPeriodEnd}}).</p>
<form method="post" action="{{$.Base}}/renew"><button id="renew">Renew subscription</button></form>
<form method="post" action="{{$.Base}}/end_period"><button class="secondary" id="end-period">Simulate the period's end</button></form>
{{else}}<form method="post" action="{{$.Base}}/cancel_at_period_end"><button class="secondary" id="cancel-at-period-end">Cancel at period end</button></form>{{end}}
<form method="post" action="{{$.Base}}/cancel"><button class="secondary" id="cancel">Cancel now</button></form>
{{end}}{{else}}<p>No subscription.</p>{{end}}
{{with .Error}}<p role="alert">{{.}}</p>{{end}}
<p><a id="return" href="{{.Return}}">Return to Metriqs</a></p>
{{end}}
</body></html>`))

type pageData struct {
	Title, Interval, Base, Return, Error string
	Amount                               int64
	Tax                                  int
	Checkout                             *checkout
	Sub                                  *subscription
}

func (s *Sandbox) checkoutPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	c := s.checkouts[r.PathValue("id")]
	var d pageData
	if c != nil {
		iv := s.o.Prices[c.price]
		d = pageData{Title: "Checkout", Interval: iv, Amount: amounts[iv], Tax: taxPercent, Checkout: c}
	}
	s.mu.Unlock()
	if c == nil || c.Status != "open" {
		http.Error(w, "This checkout session is over or does not exist.", http.StatusNotFound)
		return
	}
	render(w, d)
}

func (s *Sandbox) checkoutPay(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	s.mu.Lock()
	c := s.checkouts[r.PathValue("id")]
	ok := c != nil && c.Status == "open"
	if ok {
		s.complete(c, name)
	}
	s.mu.Unlock()
	if !ok {
		http.Error(w, "This checkout session is over or does not exist.", http.StatusNotFound)
		return
	}
	s.flush(r.Context())
	http.Redirect(w, r, c.SuccessURL, http.StatusSeeOther)
}

func (s *Sandbox) portalPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	cus, ok := s.portals[id]
	d := pageData{Title: "Manage billing", Base: s.o.BaseURL + "/portal/" + id, Return: s.returns[id], Error: r.URL.Query().Get("error")}
	if sub := s.portalSub(cus); sub != nil {
		d.Sub, d.Interval = sub, sub.Items.Data[0].Price.Recurring.Interval
	}
	var buf strings.Builder
	err := page.Execute(&buf, d) // under the lock: the subscription as it is
	s.mu.Unlock()
	if !ok {
		http.Error(w, "No such portal session.", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(buf.String()))
}

func (s *Sandbox) portalAction(w http.ResponseWriter, r *http.Request) {
	id, action := r.PathValue("id"), r.PathValue("action")
	s.mu.Lock()
	cus, ok := s.portals[id]
	msg := ""
	if sub := s.portalSub(cus); ok && sub != nil && sub.Status != "canceled" {
		msg = s.act(sub, action)
	} else {
		msg = "There is no subscription to change."
	}
	s.mu.Unlock()
	s.flush(r.Context())
	target := s.o.BaseURL + "/portal/" + id
	if msg != "" {
		target += "?error=" + template.URLQueryEscaper(msg)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// act applies a portal button to sub; it returns what went wrong, or "".
func (s *Sandbox) act(sub *subscription, action string) string {
	switch action {
	case "monthly", "yearly":
		iv := map[string]string{"monthly": "month", "yearly": "year"}[action]
		for p, piv := range s.o.Prices {
			if piv == iv {
				s.setPrice(sub, p)
				s.queue("customer.subscription.updated", sub)
				s.pay(s.invoice(sub), sub)
				return ""
			}
		}
		return "No " + iv + "ly price is configured."
	case "fail":
		s.fail(sub)
	case "pay":
		if in := s.invoices[sub.LatestInvoice]; in != nil && in.Status == "open" {
			s.pay(in, sub)
		}
	case "refund":
		if err := s.refund(sub); err != nil {
			return err.Error()
		}
	case "cancel":
		sub.Status = "canceled"
		s.queue("customer.subscription.deleted", sub)
	case "cancel_at_period_end", "renew":
		// Stripe's portal default: the subscription runs (and keeps its plan) to the end of the
		// period paid for; "renew" takes the cancellation back before then.
		sub.CancelAtPeriodEnd = action == "cancel_at_period_end"
		s.queue("customer.subscription.updated", sub)
	case "end_period":
		return s.endPeriod(sub)
	default:
		return "Unknown action."
	}
	return ""
}

// endPeriod plays the period's end for a subscription set to cancel then (the sandbox has
// no clock of its own): it ends, as Stripe ends it, with customer.subscription.deleted.
func (s *Sandbox) endPeriod(sub *subscription) string {
	if !sub.CancelAtPeriodEnd {
		return "The subscription is not set to cancel at the period's end."
	}
	sub.Status = "canceled"
	s.queue("customer.subscription.deleted", sub)
	return ""
}

func render(w http.ResponseWriter, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := page.Execute(w, d); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

func decimal(minor int64) string { return fmt.Sprintf("%d.%02d", minor/100, minor%100) }

// Do applies a portal action ("monthly", "yearly", "fail", "pay", "refund", "cancel",
// "cancel_at_period_end", "renew", "end_period") to a
// subscription and sends its webhooks, as the portal's buttons do (tests).
func (s *Sandbox) Do(ctx context.Context, subID, action string) error {
	err := s.Apply(subID, action)
	s.Flush(ctx)
	return err
}

// Apply is Do without sending the webhooks yet: Flush sends them (tests that need the
// change made before the events arrive).
func (s *Sandbox) Apply(subID, action string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, msg := s.subs[subID], "no such subscription"
	if sub != nil {
		msg = s.act(sub, action)
	}
	if msg != "" {
		return errors.New("stripesandbox: " + msg)
	}
	return nil
}

// Flush sends the webhooks queued so far.
func (s *Sandbox) Flush(ctx context.Context) { s.flush(ctx) }

// Complete pays a Checkout session as its page's button does and returns the subscription id.
func (s *Sandbox) Complete(ctx context.Context, sessionURL, name string) (string, error) {
	s.mu.Lock()
	c := s.checkouts[strings.TrimPrefix(sessionURL, s.o.BaseURL+"/checkout/")]
	id := ""
	if c != nil && c.Status == "open" {
		id = s.complete(c, name).ID
	}
	s.mu.Unlock()
	s.flush(ctx)
	if id == "" {
		return "", errors.New("stripesandbox: no open checkout session at " + sessionURL)
	}
	return id, nil
}

// Cancelled reports whether the subscription is over (tests).
func (s *Sandbox) Cancelled(subID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[subID]
	return sub != nil && sub.Status == "canceled"
}
