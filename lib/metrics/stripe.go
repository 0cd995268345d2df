package metrics

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/provider"
)

// Stripe reads payments, customers and subscriptions from a Stripe account.
// https://docs.stripe.com/api
//
// Money is never added across currencies: each currency gets its own metrics (gross_volume_usd,
// gross_volume_eur, …). Balance transactions are in the account's settlement currency, so a
// charge in EUR settled into a USD balance counts as USD, converted at Stripe's rate.
type Stripe struct {
	// BaseURL defaults to https://api.stripe.com.
	BaseURL string
	// pageSize is the list limit; 0 means 100 (Stripe's maximum).
	pageSize int
}

// stripeList is the envelope of every Stripe list endpoint (cursor pagination).
// https://docs.stripe.com/api/pagination
type stripeList[T any] struct {
	Data    []T  `json:"data"`
	HasMore bool `json:"has_more"`
}

type stripeItem interface{ cursor() string }

// balanceTxn is a balance transaction. Amounts are integers in the currency's minor unit;
// refunds are negative. https://docs.stripe.com/api/balance_transactions/object
type balanceTxn struct {
	ID       string `json:"id"`
	Amount   int64  `json:"amount"`
	Fee      int64  `json:"fee"`
	Net      int64  `json:"net"`
	Currency string `json:"currency"`
	Type     string `json:"type"`
	Created  int64  `json:"created"`
}

func (t balanceTxn) cursor() string { return t.ID }

type stripeCustomer struct {
	ID      string `json:"id"`
	Created int64  `json:"created"`
}

func (c stripeCustomer) cursor() string { return c.ID }

func (s Stripe) api() api { return api{provider: ProviderStripe} }

// Fetch lists balance transactions and new customers over both spans, and active
// subscriptions for MRR, in three concurrent listings.
func (s Stripe) Fetch(ctx context.Context, hc *http.Client, sel Selection, p period.Period) (*Section, error) {
	// Every call names the version the shapes below are read in (provider.StripeVersion).
	header := http.Header{"Stripe-Version": {provider.StripeVersion}}
	if acct := sel.StripeAccount; acct != "" {
		if !validStripeAccount(acct) {
			return nil, permanent(ProviderStripe, "The Stripe account chosen in Integrations is not valid; reconnect Stripe.", fmt.Errorf("account %q", acct))
		}
		// Acting for a connected account: https://docs.stripe.com/connect/authentication
		header.Set("Stripe-Account", acct)
	}
	loc := p.Location()
	from, _ := p.PreviousBounds(loc)
	_, to := p.Bounds(loc)
	created := url.Values{
		"created[gte]": {strconv.FormatInt(from.Unix(), 10)},
		"created[lt]":  {strconv.FormatInt(to.Unix(), 10)},
	}
	money := map[string]*stripeMoney{}
	customers := daily{}
	var subs []stripeSubscription
	err := each(ctx, 3, 3, func(ctx context.Context, i int) error {
		switch i {
		case 0:
			return listAll(ctx, s, hc, "/v1/balance_transactions", created, header, func(t balanceTxn) {
				m := money[t.Currency]
				if m == nil {
					m = newStripeMoney()
					money[t.Currency] = m
				}
				m.add(t, dayOf(t.Created, loc))
			})
		case 1:
			return listAll(ctx, s, hc, "/v1/customers", created, header, func(c stripeCustomer) {
				customers[dayOf(c.Created, loc)]++
			})
		default:
			return listAll(ctx, s, hc, "/v1/subscriptions", url.Values{"status": {"active"}}, header, func(sub stripeSubscription) {
				subs = append(subs, sub)
			})
		}
	})
	if err != nil {
		return nil, s.api().classified(err)
	}
	if err := s.readTiers(ctx, hc, header, subs); err != nil {
		return nil, s.api().classified(err)
	}
	return stripeSection(p, money, customers, mrr(subs)), nil
}

// maxTieredPrices bounds the price reads of one report; an account with more distinct
// tiered prices in active subscriptions fails with a message rather than run out of time.
const maxTieredPrices = 100

// readTiers fills in the tiers of the tiered prices subs use, one GET /v1/prices/{id} with
// expand[]=tiers per distinct price, a few at a time: the subscription list cannot expand
// data.items.data.price.tiers (Stripe expands four levels at most).
// https://docs.stripe.com/api/prices/retrieve, https://docs.stripe.com/expand
func (s Stripe) readTiers(ctx context.Context, hc *http.Client, header http.Header, subs []stripeSubscription) error {
	var ids []string
	for _, sub := range subs {
		for _, it := range sub.Items.Data {
			if pr := it.Price; pr.BillingScheme == "tiered" && pr.Tiers == nil && pr.ID != "" && !slices.Contains(ids, pr.ID) {
				ids = append(ids, pr.ID)
			}
		}
	}
	if len(ids) > maxTieredPrices {
		return permanent(ProviderStripe, "This Stripe account uses more tiered prices than a report can read.", nil)
	}
	prices := make([]stripePrice, len(ids))
	err := each(ctx, len(ids), 4, func(ctx context.Context, i int) error {
		u := baseURL(s.BaseURL, "https://api.stripe.com") + "/v1/prices/" + url.PathEscape(ids[i]) + "?expand[]=tiers"
		_, err := s.api().get(ctx, hc, u, header, &prices[i])
		return err
	})
	if err != nil {
		return err
	}
	for _, sub := range subs {
		for j := range sub.Items.Data {
			pr := &sub.Items.Data[j].Price
			if at := slices.Index(ids, pr.ID); at >= 0 && pr.Tiers == nil {
				pr.Tiers, pr.TiersMode = prices[at].Tiers, cmp.Or(pr.TiersMode, prices[at].TiersMode)
			}
		}
	}
	return nil
}

func dayOf(unix int64, loc *time.Location) period.Date {
	return period.DateOf(time.Unix(unix, 0).In(loc))
}

// validStripeAccount keeps anything but an account id out of a request header.
func validStripeAccount(id string) bool {
	if !strings.HasPrefix(id, "acct_") || len(id) > 64 {
		return false
	}
	return !strings.ContainsFunc(id, func(r rune) bool {
		return !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	})
}

// stripeMoney accumulates one currency's balance transactions, in minor units per day.
type stripeMoney struct{ gross, refunds, fees, net daily }

func newStripeMoney() *stripeMoney {
	return &stripeMoney{gross: daily{}, refunds: daily{}, fees: daily{}, net: daily{}}
}

// add counts a payment (charge, or payment for non-card methods) into gross volume and a
// refund (refund, payment_refund) into refunds; both bring their Stripe fees. Everything else
// (payouts, transfers, disputes, adjustments) is not sales activity and is left out.
// Types: https://docs.stripe.com/reports/balance-transaction-types
func (m *stripeMoney) add(t balanceTxn, day period.Date) {
	switch t.Type {
	case "charge", "payment":
		m.gross[day] += float64(t.Amount)
	case "refund", "payment_refund":
		m.refunds[day] -= float64(t.Amount) // refunds are negative amounts
	default:
		return
	}
	m.fees[day] += float64(t.Fee)
	// net = amount − fee per transaction, so Σnet = gross − refunds − fees exactly.
	m.net[day] += float64(t.Net)
}

// majorSeries is se, read in cur's minor units (cents), in major units: both lines, since the
// comparison line is drawn against the period's.
func majorSeries(se Series, cur string) Series {
	for _, pts := range [][]Point{se.Points, se.Previous} {
		for i := range pts {
			pts[i].Value = major(pts[i].Value, cur)
		}
	}
	return se
}

func stripeSection(p period.Period, money map[string]*stripeMoney, customers daily, mrr map[string]float64) *Section {
	s := ok(ProviderStripe)
	for _, cur := range slices.Sorted(maps.Keys(money)) {
		m, unit, up := money[cur], UnitCurrency(cur), strings.ToUpper(cur)
		for _, f := range []struct {
			key, label string
			d          daily
			better     bool
		}{
			{"gross_volume", "Gross volume", m.gross, true},
			{"refunds", "Refunds", m.refunds, false},
			{"fees", "Stripe fees", m.fees, false},
			{"net_volume", "Net volume", m.net, true},
		} {
			key, label := f.key+"_"+cur, fmt.Sprintf("%s (%s)", f.label, up)
			c, prev := f.d.totals(p)
			s.Metrics = append(s.Metrics, NewMetric(key, label, unit, major(c, cur), major(prev, cur), f.better))
			s.Series = append(s.Series, majorSeries(f.d.series(key, label, p), cur))
		}
	}
	for _, cur := range slices.Sorted(maps.Keys(mrr)) {
		s.Metrics = append(s.Metrics, Metric{
			Key: "mrr_" + cur, Label: fmt.Sprintf("MRR (%s)", strings.ToUpper(cur)), Unit: UnitCurrency(cur),
			Value: major(mrr[cur], cur), HigherIsBetter: true, Snapshot: true,
		})
	}
	c, prev := customers.totals(p)
	s.Metrics = append(s.Metrics, NewMetric("new_customers", "New customers", UnitCount, c, prev, true))
	s.Series = append(s.Series, customers.series("new_customers", "New customers", p))
	return s
}

// listAll follows a Stripe list with starting_after until has_more is false.
func listAll[T stripeItem](ctx context.Context, s Stripe, hc *http.Client, path string, q url.Values, header http.Header, visit func(T)) error {
	const maxPages = 1000 // 100,000 objects: beyond that a report is the wrong tool
	size := s.pageSize
	if size <= 0 {
		size = 100
	}
	q = cloneValues(q)
	q.Set("limit", strconv.Itoa(size))
	base := baseURL(s.BaseURL, "https://api.stripe.com") + path
	for range maxPages {
		var page stripeList[T]
		if _, err := s.api().get(ctx, hc, base+"?"+q.Encode(), header, &page); err != nil {
			return err
		}
		for _, item := range page.Data {
			visit(item)
		}
		if !page.HasMore || len(page.Data) == 0 {
			return nil
		}
		q.Set("starting_after", page.Data[len(page.Data)-1].cursor())
	}
	return permanent(ProviderStripe, "This Stripe account has more activity than a report can read; choose a shorter period.", nil)
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v)+2)
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
