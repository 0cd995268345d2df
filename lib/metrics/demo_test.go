package metrics

import (
	"net/http"
	"testing"
)

// Fixtures follow the sandbox contract in demo.go (revenue in cents; days may be missing).
const (
	demoCurrent = `{"currency": "usd", "days": [
		{"date": "2026-11-01", "visitors": 1000, "signups": 20, "orders": 8, "revenue": 45600},
		{"date": "2026-11-02", "visitors": 1200, "signups": 30, "orders": 10, "revenue": 51000},
		{"date": "2026-11-05", "visitors": 800, "signups": 10, "orders": 4, "revenue": 19999}
	], "top_pages": [{"page": "/pricing", "visitors": 321}, {"page": "-2+3", "visitors": 120}]}`
	demoPrevious = `{"currency": "usd", "days": [
		{"date": "2026-10-25", "visitors": 2000, "signups": 40, "orders": 20, "revenue": 100000}
	], "top_pages": []}`
)

func TestDemo(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
		if r.Method != http.MethodGet || r.URL.Path != "/api/sandbox/metrics" {
			reply(w, 404, `{"error":"not_found"}`)
			return
		}
		switch q := r.URL.Query(); {
		case q.Get("start") == "2026-11-01" && q.Get("end") == "2026-11-07":
			reply(w, 200, demoCurrent)
		case q.Get("start") == "2026-10-25" && q.Get("end") == "2026-10-31":
			reply(w, 200, demoPrevious)
		default:
			t.Errorf("unexpected span %v", q)
			reply(w, 400, `{"error":"bad_range"}`)
		}
	})
	s := fetch(t, Demo{BaseURL: f.srv.URL + "/"}, f.client(), Selection{}, week("Europe/Paris"))

	expect(t, "visitors", metric(t, s, "visitors").Value, 3000)
	expect(t, "visitors change", *metric(t, s, "visitors").ChangePct, 50)
	rev := metric(t, s, "revenue")
	expect(t, "revenue (dollars)", rev.Value, 1165.99)
	expect(t, "previous revenue", rev.Previous, 1000)
	if rev.Unit != "currency:usd" {
		t.Errorf("revenue unit %q", rev.Unit)
	}
	conv := metric(t, s, "conversion_rate")
	expect(t, "conversion %", conv.Value, 2)
	expect(t, "previous conversion %", conv.Previous, 2)
	expect(t, "conversion change", *conv.ChangePct, 0)
	v := values(series(t, s, "visitors"))
	if len(v) != 7 || v["2026-11-03"] != 0 || v["2026-11-02"] != 1200 {
		t.Errorf("visitors series %v", v)
	}
	expect(t, "revenue Nov 5", values(series(t, s, "revenue"))["2026-11-05"], 199.99)
	if tb := s.Tables[0]; len(tb.Rows) != 2 || tb.Rows[0][0] != "/pricing" || tb.Rows[0][1] != "321" {
		t.Errorf("top pages %+v", tb)
	}
	if n := len(f.requests()); n != 2 {
		t.Errorf("%d requests, want one per span", n)
	}
	if _, err := (Demo{}).Fetch(t.Context(), f.client(), Selection{}, week("UTC")); !isKind(err, ErrPermanent) {
		t.Errorf("no base URL: %v", err)
	}
}
