package metrics

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/provider"
)

// Fixtures follow Stripe's objects and list envelope:
// balance transactions https://docs.stripe.com/api/balance_transactions/object (amounts in
// minor units, refunds negative, net = amount − fee), customers
// https://docs.stripe.com/api/customers/object, subscriptions
// https://docs.stripe.com/api/subscriptions/object (items.data[].price.recurring), lists
// https://docs.stripe.com/api/pagination (newest first, has_more, starting_after).

func unix(t *testing.T, rfc3339 string) int64 {
	t.Helper()
	v, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		t.Fatal(err)
	}
	return v.Unix()
}

// stripeList serves items (newest first) the way Stripe does: created filters, limit,
// starting_after.
func serveStripeList(t *testing.T, w http.ResponseWriter, r *http.Request, items []map[string]any) {
	q := r.URL.Query()
	gte, _ := strconv.ParseInt(q.Get("created[gte]"), 10, 64)
	lt, err := strconv.ParseInt(q.Get("created[lt]"), 10, 64)
	if err != nil {
		lt = 1 << 62
	}
	var match []map[string]any
	for _, it := range items {
		if c, ok := it["created"].(int64); !ok || (c >= gte && c < lt) {
			match = append(match, it)
		}
	}
	if after := q.Get("starting_after"); after != "" {
		i := slices.IndexFunc(match, func(it map[string]any) bool { return it["id"] == after })
		if i < 0 {
			t.Errorf("starting_after %q is not in the list", after)
		}
		match = match[i+1:]
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	more := len(match) > limit
	match = match[:min(limit, len(match))]
	out, _ := json.Marshal(map[string]any{"object": "list", "url": r.URL.Path, "has_more": more, "data": match})
	reply(w, 200, string(out))
}

func txn(t *testing.T, id, typ, currency string, amount, fee int64, created string) map[string]any {
	return map[string]any{"id": id, "object": "balance_transaction", "type": typ, "currency": currency,
		"amount": amount, "fee": fee, "net": amount - fee, "status": "available", "created": unix(t, created)}
}

func item(currency, interval string, count int, unitAmount any, qty int) map[string]any {
	return map[string]any{"object": "subscription_item", "quantity": qty, "price": map[string]any{
		"object": "price", "currency": currency, "unit_amount": unitAmount,
		"recurring": map[string]any{"interval": interval, "interval_count": count}}}
}

// metered makes it a metered price (recurring.usage_type), billed for reported usage.
func metered(it map[string]any) map[string]any {
	it["price"].(map[string]any)["recurring"].(map[string]any)["usage_type"] = "metered"
	return it
}

func sub(id string, items ...map[string]any) map[string]any {
	return map[string]any{"id": id, "object": "subscription", "status": "active",
		"items": map[string]any{"object": "list", "data": items, "has_more": false}}
}

func TestStripe(t *testing.T) {
	txns := []map[string]any{
		// Nov 8 03:30 UTC is still Nov 7 in New York (EST since Nov 1): current period.
		txn(t, "txn_07", "charge", "usd", 4000, 146, "2026-11-08T03:30:00Z"),
		txn(t, "txn_06", "payout", "usd", -8000, 0, "2026-11-06T13:00:00Z"), // not sales: ignored
		txn(t, "txn_05", "refund", "usd", -2000, 0, "2026-11-06T12:00:00Z"),
		txn(t, "txn_04", "payment", "usd", 5000, 175, "2026-11-05T12:00:00Z"),
		txn(t, "txn_03", "charge", "jpy", 1500, 54, "2026-11-04T12:00:00Z"), // zero-decimal
		txn(t, "txn_02", "charge", "eur", 3000, 100, "2026-11-03T12:00:00Z"),
		txn(t, "txn_01", "charge", "usd", 10000, 320, "2026-11-02T15:00:00Z"),
		// Nov 1 03:30 UTC is Oct 31 in New York (EDT): previous period.
		txn(t, "txn_00", "charge", "usd", 7000, 233, "2026-11-01T03:30:00Z"),
		txn(t, "txn_-1", "payment_refund", "usd", -1000, 0, "2026-10-28T12:00:00Z"),
		txn(t, "txn_-2", "charge", "usd", 99999, 0, "2026-10-01T12:00:00Z"), // before both spans
	}
	customers := []map[string]any{
		{"id": "cus_4", "object": "customer", "created": unix(t, "2026-11-07T18:00:00Z")},
		{"id": "cus_3", "object": "customer", "created": unix(t, "2026-11-05T18:00:00Z")},
		{"id": "cus_2", "object": "customer", "created": unix(t, "2026-11-03T18:00:00Z")},
		{"id": "cus_1", "object": "customer", "created": unix(t, "2026-10-30T18:00:00Z")},
	}
	subs := []map[string]any{
		sub("sub_1", item("usd", "month", 1, 1000, 2)),                                 // 20.00/month
		sub("sub_2", item("usd", "year", 1, 12000, 1)),                                 // 10.00/month
		sub("sub_3", item("usd", "month", 3, 3000, 1), item("eur", "week", 1, 500, 1)), // 10.00 + €21.67
		sub("sub_4", item("usd", "month", 1, nil, 5)),                                  // tiered: no unit amount
		sub("sub_5", item("jpy", "month", 1, 1000, 1)),                                 // ¥1000
		sub("sub_6", metered(item("usd", "month", 1, 25, 0))),                          // metered: not counted
		sub("sub_7", item("usd", "month", 1, 900, 0)),                                  // quantity 0: nothing billed
	}
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
		if v := r.Header.Values("Stripe-Version"); !slices.Equal(v, []string{provider.StripeVersion}) {
			t.Errorf("%s: Stripe-Version %q, want the pinned %q", r.URL.Path, v, provider.StripeVersion)
		}
		if r.Header.Get("Stripe-Account") != "acct_1AbC" {
			t.Errorf("%s: Stripe-Account %q", r.URL.Path, r.Header.Get("Stripe-Account"))
		}
		switch r.URL.Path {
		case "/v1/balance_transactions":
			serveStripeList(t, w, r, txns)
		case "/v1/customers":
			serveStripeList(t, w, r, customers)
		case "/v1/subscriptions":
			if r.URL.Query().Get("status") != "active" {
				t.Errorf("subscriptions status %q", r.URL.Query().Get("status"))
			}
			serveStripeList(t, w, r, subs)
		default:
			reply(w, 404, `{"error":{"type":"invalid_request_error","message":"Unrecognized request URL"}}`)
		}
	})
	s := fetch(t, Stripe{BaseURL: f.srv.URL, pageSize: 2}, f.client(), Selection{StripeAccount: "acct_1AbC"}, week("America/New_York"))

	gross, refunds, fees, net := metric(t, s, "gross_volume_usd"), metric(t, s, "refunds_usd"), metric(t, s, "fees_usd"), metric(t, s, "net_volume_usd")
	expect(t, "gross usd", gross.Value, 190)
	expect(t, "gross usd previous", gross.Previous, 70)
	expect(t, "gross change", *gross.ChangePct, 171.43)
	expect(t, "refunds usd", refunds.Value, 20)
	expect(t, "refunds usd previous", refunds.Previous, 10)
	expect(t, "fees usd", fees.Value, 6.41)
	expect(t, "net usd = gross − refunds − fees", net.Value, 190-20-6.41)
	expect(t, "net usd previous", net.Previous, 70-10-2.33)
	if gross.Unit != "currency:usd" || refunds.HigherIsBetter {
		t.Errorf("units/direction: %+v %+v", gross, refunds)
	}
	// Other currencies stand alone, never added to USD.
	expect(t, "gross eur", metric(t, s, "gross_volume_eur").Value, 30)
	if m := metric(t, s, "gross_volume_jpy"); m.Value != 1500 || m.Unit != "currency:jpy" {
		t.Errorf("jpy (zero-decimal) %+v", m)
	}
	if m := metric(t, s, "gross_volume_eur"); m.Previous != 0 || m.ChangePct != nil {
		t.Errorf("eur had nothing before: %+v", m)
	}

	mrrUSD := metric(t, s, "mrr_usd")
	expect(t, "mrr usd", mrrUSD.Value, 40)
	if !mrrUSD.Snapshot || mrrUSD.ChangePct != nil {
		t.Errorf("MRR is a snapshot without change: %+v", mrrUSD)
	}
	expect(t, "mrr eur (weekly × 52/12)", metric(t, s, "mrr_eur").Value, 21.67)
	expect(t, "mrr jpy", metric(t, s, "mrr_jpy").Value, 1000)

	nc := metric(t, s, "new_customers")
	expect(t, "new customers", nc.Value, 3)
	expect(t, "new customers previous", nc.Previous, 1)

	g := values(series(t, s, "gross_volume_usd"))
	expect(t, "gross Nov 7 (NY)", g["2026-11-07"], 40)
	expect(t, "gross Nov 2", g["2026-11-02"], 100)
	expect(t, "gross Nov 3 (only eur)", g["2026-11-03"], 0)
	if len(g) != 7 {
		t.Errorf("series days %d", len(g))
	}

	// Requests: the window is Oct 25 00:00 EDT to Nov 8 00:00 EST, paged with starting_after.
	ny, _ := time.LoadLocation("America/New_York")
	from := strconv.FormatInt(time.Date(2026, 10, 25, 0, 0, 0, 0, ny).Unix(), 10)
	to := strconv.FormatInt(time.Date(2026, 11, 8, 0, 0, 0, 0, ny).Unix(), 10)
	pages := map[string]int{}
	for _, r := range f.requests() {
		pages[r.Path]++
		if r.Query["limit"][0] != "2" {
			t.Errorf("%s limit %v", r.Path, r.Query["limit"])
		}
		if r.Path != "/v1/subscriptions" && (r.Query["created[gte]"][0] != from || r.Query["created[lt]"][0] != to) {
			t.Errorf("%s created filter %v", r.Path, r.Query)
		}
	}
	// 9 transactions in the window at 2 a page = 5 pages; 4 customers = 2 (has_more false on
	// the second, so no empty third request); 7 subscriptions = 4.
	if pages["/v1/balance_transactions"] != 5 || pages["/v1/customers"] != 2 || pages["/v1/subscriptions"] != 4 {
		t.Errorf("pages %v", pages)
	}
}

func TestStripeRejectsOddAccountIDs(t *testing.T) {
	for _, acct := range []string{"cus_123", "acct_1\r\nX-Evil: 1", "acct_ 1"} {
		_, err := Stripe{BaseURL: "http://127.0.0.1:1"}.Fetch(t.Context(), http.DefaultClient, Selection{StripeAccount: acct}, week("UTC"))
		if !isKind(err, ErrPermanent) {
			t.Errorf("%q: %v", acct, err)
		}
	}
}

func TestMajorUnits(t *testing.T) {
	for _, c := range []struct {
		minor    float64
		currency string
		want     float64
	}{{12345, "usd", 123.45}, {12345, "JPY", 12345}, {12345, "kwd", 12.345}, {216666.6667, "eur", 2166.67}} {
		expect(t, c.currency, major(c.minor, c.currency), c.want)
	}
}

// Decoding a full page of balance transactions is the per-page cost of the Stripe fetch.
func BenchmarkStripePage(b *testing.B) {
	items := make([]map[string]any, 100)
	for i := range items {
		items[i] = map[string]any{"id": fmt.Sprintf("txn_%024d", i), "object": "balance_transaction", "type": "charge",
			"currency": "usd", "amount": 1999, "fee": 88, "net": 1911, "status": "available", "created": 1793000000 + i,
			"description": "Subscription update", "fee_details": []map[string]any{{"amount": 88, "currency": "usd", "type": "stripe_fee"}}}
	}
	body, _ := json.Marshal(map[string]any{"object": "list", "url": "/v1/balance_transactions", "has_more": true, "data": items})
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var page stripeList[balanceTxn]
		if err := json.Unmarshal(body, &page); err != nil || len(page.Data) != 100 {
			b.Fatal(err)
		}
	}
}
