package metrics

import (
	"net/http"
	"testing"
)

// The comparison line of a Stripe money chart is in major units like the line it is drawn
// against: $70.00 on the comparison span's day, not 7000 (cents).
func TestStripeComparisonLineInMajorUnits(t *testing.T) {
	txns := []map[string]any{
		txn(t, "txn_2", "charge", "usd", 4000, 146, "2026-11-02T15:00:00Z"), // current: Nov 2
		txn(t, "txn_1", "charge", "usd", 7000, 233, "2026-10-26T15:00:00Z"), // previous: Oct 26
		txn(t, "txn_0", "refund", "usd", -1000, 0, "2026-10-27T15:00:00Z"),  // previous: Oct 27
		txn(t, "txn_j", "charge", "jpy", 1500, 54, "2026-10-26T15:00:00Z"),  // zero-decimal: ¥1500
	}
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
		switch r.URL.Path {
		case "/v1/balance_transactions":
			serveStripeList(t, w, r, txns)
		default:
			serveStripeList(t, w, r, nil)
		}
	})
	s := fetch(t, Stripe{BaseURL: f.srv.URL}, f.client(), Selection{}, week("America/New_York"))
	prev := func(key string) map[string]float64 {
		se := series(t, s, key)
		return values(Series{Points: se.Previous})
	}
	expect(t, "gross usd on Oct 26 (comparison line)", prev("gross_volume_usd")["2026-10-26"], 70)
	expect(t, "fees usd on Oct 26 (comparison line)", prev("fees_usd")["2026-10-26"], 2.33)
	expect(t, "refunds usd on Oct 27 (comparison line)", prev("refunds_usd")["2026-10-27"], 10)
	expect(t, "gross jpy on Oct 26 (comparison line)", prev("gross_volume_jpy")["2026-10-26"], 1500)
	expect(t, "gross usd on Nov 2", values(series(t, s, "gross_volume_usd"))["2026-11-02"], 40)
}
