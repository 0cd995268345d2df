package metrics

import (
	"net/http"
	"sync"
	"testing"
)

// Tiers as the price object has them (https://docs.stripe.com/api/prices/object#price_object-tiers):
// up to 10 units at $5 each plus a $20 flat fee, then $4 each.
var tiersFixture = []stripeTier{
	{UpTo: i64(10), UnitAmount: i64(500), FlatAmount: i64(2000)},
	{UpTo: nil, UnitAmount: i64(400)},
}

func i64(v int64) *int64 { return &v }

// Graduated: each tier's units at its own price, the flat fee of each tier reached. Volume:
// all units at the tier the quantity falls in. No units cost nothing.
func TestTieredAmount(t *testing.T) {
	for _, tc := range []struct {
		mode string
		qty  float64
		want float64
	}{
		{"graduated", 15, 2000 + 10*500 + 5*400},
		{"graduated", 10, 2000 + 10*500},
		{"graduated", 3, 2000 + 3*500},
		{"graduated", 0, 0},
		{"volume", 15, 15 * 400},
		{"volume", 10, 2000 + 10*500},
		{"volume", 0, 0},
	} {
		if got, ok := tieredAmount(tc.mode, tiersFixture, tc.qty); !ok || got != tc.want {
			t.Errorf("%s × %v = %v (%v), want %v", tc.mode, tc.qty, got, ok, tc.want)
		}
	}
	if _, ok := tieredAmount("graduated", nil, 3); ok {
		t.Error("a tiered price without tiers was priced")
	}
}

// A tiered price in an active subscription counts by its tiers, read from the price (the
// subscription list cannot expand them): 15 seats graduated monthly = $90; 30 seats at the
// volume price, yearly = 30 × $4 / 12 = $10 a month.
func TestStripeMRRTieredPrices(t *testing.T) {
	tiered := func(id, mode, interval string, qty int) map[string]any {
		it := item("usd", interval, 1, nil, qty)
		pr := it["price"].(map[string]any)
		pr["id"], pr["billing_scheme"], pr["tiers_mode"] = id, "tiered", mode
		return it
	}
	subs := []map[string]any{sub("sub_g", tiered("price_grad", "graduated", "month", 15)), sub("sub_v", tiered("price_vol", "volume", "year", 30))}
	tiers := `"tiers": [{"up_to": 10, "unit_amount": 500, "unit_amount_decimal": "500", "flat_amount": 2000, "flat_amount_decimal": "2000"},
		{"up_to": null, "unit_amount": 400, "unit_amount_decimal": "400", "flat_amount": null, "flat_amount_decimal": null}]`
	// The fetcher reads both prices in parallel, so the fake's handler runs concurrently.
	var (
		mu         sync.Mutex
		priceReads []string
	)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
		switch r.URL.Path {
		case "/v1/subscriptions":
			serveStripeList(t, w, r, subs)
		case "/v1/prices/price_grad", "/v1/prices/price_vol":
			mu.Lock()
			priceReads = append(priceReads, r.URL.Path+"?"+r.URL.RawQuery)
			mu.Unlock()
			mode := map[string]string{"/v1/prices/price_grad": "graduated", "/v1/prices/price_vol": "volume"}[r.URL.Path]
			reply(w, 200, `{"id": "x", "object": "price", "billing_scheme": "tiered", "tiers_mode": "`+mode+`", "currency": "usd", "unit_amount": null, `+tiers+`}`)
		default:
			serveStripeList(t, w, r, nil)
		}
	})
	s := fetch(t, Stripe{BaseURL: f.srv.URL}, f.client(), Selection{}, week("UTC"))
	expect(t, "mrr usd", metric(t, s, "mrr_usd").Value, 90+10)
	if len(priceReads) != 2 || (priceReads[0] != "/v1/prices/price_grad?expand[]=tiers" && priceReads[1] != "/v1/prices/price_grad?expand[]=tiers") {
		t.Errorf("price reads %v", priceReads)
	}
}
