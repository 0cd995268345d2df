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
	Quantity *int64      `json:"quantity"`
	Price    stripePrice `json:"price"`
}

// stripePrice is a subscription item's price. https://docs.stripe.com/api/prices/object
type stripePrice struct {
	ID string `json:"id"`
	// BillingScheme "tiered" prices by Tiers (TiersMode graduated or volume) instead of a
	// unit amount. A subscription list does not carry the tiers (expanding them is one level
	// deeper than Stripe allows), so they are read from the price itself (stripeTiers).
	BillingScheme string       `json:"billing_scheme"`
	TiersMode     string       `json:"tiers_mode"`
	Tiers         []stripeTier `json:"tiers"`
	Currency      string       `json:"currency"`
	UnitAmount    *int64       `json:"unit_amount"`
	// UnitAmountDecimal carries sub-minor-unit prices ("0.5" cents); preferred when set.
	UnitAmountDecimal string `json:"unit_amount_decimal"`
	Recurring         *struct {
		Interval      string `json:"interval"`
		IntervalCount int64  `json:"interval_count"`
		// UsageType "metered" bills the usage reported during the period, in arrears;
		// "licensed" (the default) bills quantity up front.
		UsageType string `json:"usage_type"`
	} `json:"recurring"`
}

// stripeTier is one tier of a tiered price: up to UpTo units (nil: no limit), each at the
// unit amount, plus the flat amount once when any unit falls in it.
type stripeTier struct {
	UpTo              *int64 `json:"up_to"`
	UnitAmount        *int64 `json:"unit_amount"`
	UnitAmountDecimal string `json:"unit_amount_decimal"`
	FlatAmount        *int64 `json:"flat_amount"`
	FlatAmountDecimal string `json:"flat_amount_decimal"`
}

// tieredAmount is what qty units cost per interval at tiers, in minor units. Volume: every
// unit at the tier qty falls in, plus its flat amount. Graduated: each tier's units at its
// own amount, plus the flat amount of each tier reached. ok is false for tiers that cannot be
// read; 0 units cost 0 (no flat fee for an item with nothing in it).
// https://docs.stripe.com/products-prices/pricing-models#tiered-pricing
func tieredAmount(mode string, tiers []stripeTier, qty float64) (float64, bool) {
	if len(tiers) == 0 {
		return 0, false
	}
	total, below := 0.0, 0.0
	for _, t := range tiers {
		unit, _ := unitAmount(t.UnitAmount, t.UnitAmountDecimal)
		flat, _ := unitAmount(t.FlatAmount, t.FlatAmountDecimal)
		top := math.Inf(1)
		if t.UpTo != nil {
			top = float64(*t.UpTo)
		}
		if mode == "volume" {
			if qty <= top {
				return qty*unit + flat*min(qty, 1), true
			}
			continue
		}
		if n := min(qty, top) - below; n > 0 {
			total += n*unit + flat
		}
		if below = top; qty <= top {
			return total, true
		}
	}
	return total, mode != "volume"
}

// mrr sums active subscriptions' recurring prices per currency, normalised to one month, in
// minor units. unit_amount × quantity is billed every interval_count intervals, so a month
// holds 1/count of a monthly price, 1/(12·count) of a yearly one, 52/(12·count) of a weekly one
// and 365/(12·count) of a daily one. Metered items are left out: their amount is the usage
// reported by the end of the period, unknown now, and the quantity Stripe returns for them is
// not a count of anything billed. Tiered prices are priced by their tiers (graduated or
// volume, tieredAmount), which the caller reads from the prices; discounts and taxes are not
// counted (docs/metrics.md says so).
func mrr(subs []stripeSubscription) map[string]float64 {
	out := map[string]float64{}
	for _, sub := range subs {
		for _, it := range sub.Items.Data {
			pr := it.Price
			if pr.Recurring == nil || pr.Currency == "" || pr.Recurring.UsageType == "metered" {
				continue
			}
			qty := 1.0 // a licensed item's quantity defaults to 1
			if it.Quantity != nil {
				qty = float64(*it.Quantity)
			}
			amount, ok := unitAmount(pr.UnitAmount, pr.UnitAmountDecimal)
			amount *= qty
			if pr.BillingScheme == "tiered" {
				amount, ok = tieredAmount(pr.TiersMode, pr.Tiers, qty)
			}
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
			out[strings.ToLower(pr.Currency)] += amount * perMonth / count
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
