package metrics

import (
	"net/http"
	"testing"
)

// MRR's definition (docs/metrics.md) in the parts TestStripe's fixture does not reach, with
// subscriptions shaped like Stripe's (https://docs.stripe.com/api/subscriptions/object):
// an item without a quantity counts once (a licensed item's default); a sub-cent price is
// read from unit_amount_decimal (unit_amount is null then); a discount is not taken off
// (MRR is the list price), whatever its duration.
func TestStripeMRRQuantityDecimalAndDiscounts(t *testing.T) {
	noQty := item("usd", "month", 1, 1000, 0)
	delete(noQty, "quantity") // 10.00
	decimal := item("usd", "month", 1, nil, 1000)
	decimal["price"].(map[string]any)["unit_amount_decimal"] = "0.5" // 1000 × 0.5¢ = 5.00
	discounted := sub("sub_d", item("usd", "year", 1, 24000, 1))     // 20.00 a month, before the coupon
	discounted["discounts"] = []any{map[string]any{"object": "discount", "id": "di_1",
		"coupon": map[string]any{"object": "coupon", "id": "HALF", "percent_off": 50, "duration": "forever"}}}
	discounted["discount"] = discounted["discounts"].([]any)[0]
	subs := []map[string]any{sub("sub_q", noQty), sub("sub_c", decimal), discounted}
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
		switch r.URL.Path {
		case "/v1/subscriptions":
			serveStripeList(t, w, r, subs)
		case "/v1/balance_transactions", "/v1/customers":
			serveStripeList(t, w, r, nil)
		default:
			reply(w, 404, `{"error":{"type":"invalid_request_error","message":"Unrecognized request URL"}}`)
		}
	})
	s := fetch(t, Stripe{BaseURL: f.srv.URL, pageSize: 10}, f.client(), Selection{StripeAccount: "acct_1AbC"}, week("UTC"))
	expect(t, "mrr usd (10 + 5 + 20)", metric(t, s, "mrr_usd").Value, 35)
}
