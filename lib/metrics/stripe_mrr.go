package metrics

import (
	"math"
	"strconv"
	"strings"
)

// stripeSubscription is the part of a subscription MRR needs.
// https://docs.stripe.com/api/subscriptions/object
type stripeSubscription struct {
	ID    string `json:"id"`
	Items struct {
		Data []stripeSubscriptionItem `json:"data"`
	} `json:"items"`
}

func (s stripeSubscription) cursor() string { return s.ID }

type stripeSubscriptionItem struct {
	// Quantity is absent only where Stripe has none to give; 0 is a real quantity.
	Quantity *int64 `json:"quantity"`
	Price    struct {
		Currency   string `json:"currency"`
		UnitAmount *int64 `json:"unit_amount"`
		// UnitAmountDecimal carries sub-minor-unit prices ("0.5" cents); preferred when set.
		UnitAmountDecimal string `json:"unit_amount_decimal"`
		Recurring         *struct {
			Interval      string `json:"interval"`
			IntervalCount int64  `json:"interval_count"`
			// UsageType "metered" bills the usage reported during the period, in arrears;
			// "licensed" (the default) bills quantity up front.
			UsageType string `json:"usage_type"`
		} `json:"recurring"`
	} `json:"price"`
}

// mrr sums active subscriptions' recurring prices per currency, normalised to one month, in
// minor units. unit_amount × quantity is billed every interval_count intervals, so a month
// holds 1/count of a monthly price, 1/(12·count) of a yearly one, 52/(12·count) of a weekly one
// and 365/(12·count) of a daily one. Metered items are left out: their amount is the usage
// reported by the end of the period, unknown now, and the quantity Stripe returns for them is
// not a count of anything billed. Tiered prices (no unit amount), discounts and taxes are not
// counted (docs/metrics.md says so).
func mrr(subs []stripeSubscription) map[string]float64 {
	out := map[string]float64{}
	for _, sub := range subs {
		for _, it := range sub.Items.Data {
			pr := it.Price
			if pr.Recurring == nil || pr.Currency == "" || pr.Recurring.UsageType == "metered" {
				continue
			}
			amount, ok := unitAmount(pr.UnitAmount, pr.UnitAmountDecimal)
			if !ok {
				continue
			}
			count := float64(max(pr.Recurring.IntervalCount, 1))
			var perMonth float64
			switch pr.Recurring.Interval {
			case "day":
				perMonth = 365 / 12.0
			case "week":
				perMonth = 52 / 12.0
			case "month":
				perMonth = 1
			case "year":
				perMonth = 1 / 12.0
			default:
				continue
			}
			qty := 1.0 // a licensed item's quantity defaults to 1
			if it.Quantity != nil {
				qty = float64(*it.Quantity)
			}
			out[strings.ToLower(pr.Currency)] += amount * qty * perMonth / count
		}
	}
	return out
}

func unitAmount(n *int64, dec string) (float64, bool) {
	if dec != "" {
		if v, err := strconv.ParseFloat(dec, 64); err == nil {
			return v, true
		}
	}
	if n != nil {
		return float64(*n), true
	}
	return 0, false
}

// major converts minor units to major units (cents to dollars), rounded to the currency's
// precision. Stripe amounts are in the smallest unit, which for zero-decimal currencies (JPY,
// KRW, …) is the unit itself and for three-decimal ones (KWD, …) a thousandth.
// https://docs.stripe.com/currencies#zero-decimal
func major(minor float64, currency string) float64 {
	digits := 2
	switch strings.ToLower(currency) {
	case "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf":
		digits = 0
	case "bhd", "jod", "kwd", "omr", "tnd":
		digits = 3
	}
	scale := math.Pow10(digits)
	return math.Round(minor) / scale
}
