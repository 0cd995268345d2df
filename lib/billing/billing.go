// Package billing keeps billing records: what the law requires us to keep for 7 years after an
// invoice (amount, currency, date, and the billing name and address), stored apart from
// personal data so that account deletion leaves them in place. A record names its customer
// only through an opaque billing reference; deletion cuts the link from the user to it.
package billing

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
)

// RetainUntil is when a billing record written at t expires: seven calendar years later
// (7×365 days would fall a day or two short across leap years).
func RetainUntil(t time.Time) time.Time { return t.AddDate(7, 0, 0) }

// Record is one invoice, or one credit note, as the law asks us to keep it.
type Record struct {
	InvoiceID string    `json:"invoice_id"` // Stripe's in_… or cn_…
	Kind      string    `json:"kind"`       // "invoice" or "credit_note"
	Number    string    `json:"number"`     // the document's number, as printed on it
	IssuedAt  time.Time `json:"issued_at"`
	// Amounts in the currency's minor unit (cents). A credit note's are what it credits.
	AmountMinor   int64  `json:"amount_minor"` // the total, tax included
	SubtotalMinor int64  `json:"subtotal_minor"`
	TaxMinor      int64  `json:"tax_minor"`
	Currency      string `json:"currency"` // ISO 4217, lower case
	BillingName   string `json:"billing_name"`
	Address       string `json:"billing_address"`
	TaxID         string `json:"tax_id,omitempty"` // "eu_vat DE123456789", as on the invoice
	// Customer is the opaque billing reference; while the account exists, the user's record
	// points at it, and nothing here points back at the user.
	Customer string `json:"customer"`
}

// Store writes and reads billing records.
type Store struct {
	st  *store.Store
	now func() time.Time
}

// New returns a Store over st.
func New(st *store.Store, now func() time.Time) *Store { return &Store{st: st, now: now} }

func (b *Store) recordKey(invoiceID string) string { return b.st.Key("billing", "invoice", invoiceID) }
func (b *Store) customerKey(ref string) string     { return b.st.Key("billing", "customer", ref) }

// linkKey maps a user to their billing reference. It is the only thing joining the two, it
// belongs to the user (listed in their index), and account deletion removes it.
func (b *Store) linkKey(userID string) string { return b.st.Key("user", userID, "billing") }

// Customer returns the user's billing reference, creating it on first use.
func (b *Store) Customer(ctx context.Context, userID string) (string, error) {
	ref := "bcus_" + ids.New()
	lk := b.linkKey(userID)
	// The link and its index entry in one MULTI (lib/store index.go).
	var set *redis.BoolCmd
	_, err := b.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		set = p.SetNX(ctx, lk, ref, 0)
		b.st.Own(ctx, p, userID, lk)
		return nil
	})
	if err != nil {
		return "", store.Err(err)
	}
	if !set.Val() {
		existing, err := b.st.R.Get(ctx, lk).Result()
		return existing, store.Err(err)
	}
	return ref, nil
}

// Add stores an invoice for the user with the 7-year expiry. Writing the same invoice id
// twice is refused: a billing record is never silently changed.
func (b *Store) Add(ctx context.Context, userID string, r Record) (*Record, error) {
	if err := validate(r); err != nil {
		return nil, err
	}
	ref, err := b.Customer(ctx, userID)
	if err != nil {
		return nil, err
	}
	return b.add(ctx, ref, r)
}

// AddUnlinked stores the record of an account that was deleted: under a new billing
// reference that nothing links to, so the legal record is kept and no personal data is
// written back.
func (b *Store) AddUnlinked(ctx context.Context, r Record) (*Record, error) {
	if err := validate(r); err != nil {
		return nil, err
	}
	return b.add(ctx, "bcus_"+ids.New(), r)
}

// add writes every field with HSETNX in one MULTI: a record is whole or absent (a process
// dying mid-write leaves nothing a retry would take for done), and a second write of the
// same id changes no field.
func (b *Store) add(ctx context.Context, ref string, r Record) (*Record, error) {
	r.Customer = ref
	r.Currency = strings.ToLower(r.Currency)
	r.IssuedAt = r.IssuedAt.UTC().Truncate(time.Second)
	if r.Kind == "" {
		r.Kind = "invoice"
	}
	k := b.recordKey(r.InvoiceID)
	until := RetainUntil(b.now())
	var created *redis.BoolCmd
	_, err := b.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		created = p.HSetNX(ctx, k, "invoice_id", r.InvoiceID)
		for _, f := range fieldsOf(r) {
			p.HSetNX(ctx, k, f[0], f[1])
		}
		p.ExpireAt(ctx, k, until)
		p.SAdd(ctx, b.customerKey(ref), r.InvoiceID)
		p.ExpireAt(ctx, b.customerKey(ref), until)
		return nil
	})
	if err != nil {
		return nil, store.Err(err)
	}
	if !created.Val() {
		return nil, problem.Conflict("conflict", "A billing record with this invoice id exists.")
	}
	return &r, nil
}

func fieldsOf(r Record) [][2]string {
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	return [][2]string{{"kind", r.Kind}, {"number", r.Number}, {"issued_at", i(r.IssuedAt.Unix())},
		{"amount_minor", i(r.AmountMinor)}, {"subtotal_minor", i(r.SubtotalMinor)}, {"tax_minor", i(r.TaxMinor)},
		{"currency", r.Currency}, {"billing_name", r.BillingName}, {"billing_address", r.Address},
		{"tax_id", r.TaxID}, {"customer", r.Customer}}
}

// ForUser lists the user's invoices (for the export), oldest first.
func (b *Store) ForUser(ctx context.Context, userID string) ([]Record, error) {
	ref, err := b.st.R.Get(ctx, b.linkKey(userID)).Result()
	if errors.Is(err, redis.Nil) {
		return []Record{}, nil
	}
	if err != nil {
		return nil, store.Err(err)
	}
	ids, err := b.st.R.SMembers(ctx, b.customerKey(ref)).Result()
	if err != nil {
		return nil, store.Err(err)
	}
	out := make([]Record, 0, len(ids))
	for _, id := range ids {
		r, err := b.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].IssuedAt.Before(out[j].IssuedAt) })
	return out, nil
}

// Get reads one invoice.
func (b *Store) Get(ctx context.Context, invoiceID string) (*Record, error) {
	f, err := b.st.R.HGetAll(ctx, b.recordKey(invoiceID)).Result()
	if err != nil {
		return nil, store.Err(err)
	}
	if len(f) == 0 {
		return nil, store.ErrNotFound
	}
	n := func(k string) int64 { v, _ := strconv.ParseInt(f[k], 10, 64); return v }
	return &Record{InvoiceID: invoiceID, Kind: f["kind"], Number: f["number"], IssuedAt: time.Unix(n("issued_at"), 0).UTC(),
		AmountMinor: n("amount_minor"), SubtotalMinor: n("subtotal_minor"), TaxMinor: n("tax_minor"), Currency: f["currency"],
		BillingName: f["billing_name"], Address: f["billing_address"], TaxID: f["tax_id"], Customer: f["customer"]}, nil
}

// RecordKey is where an invoice is stored (for retention checks in tests and tools).
func (b *Store) RecordKey(invoiceID string) string { return b.recordKey(invoiceID) }

func validate(r Record) error {
	switch {
	case r.InvoiceID == "" || len(r.InvoiceID) > 64 || strings.ContainsAny(r.InvoiceID, ": \t\n"):
		return problem.Invalid("invoice_id", "An invoice id is required: up to 64 characters, no spaces or colons.")
	case r.IssuedAt.IsZero():
		return problem.Invalid("issued_at", "The invoice date is required.")
	case len(r.Currency) != 3:
		return problem.Invalid("currency", "The currency must be an ISO 4217 code, like usd.")
	case r.Kind != "" && r.Kind != "invoice" && r.Kind != "credit_note":
		return problem.Invalid("kind", "A billing record is an invoice or a credit note.")
	}
	// The billing name and address are kept as Stripe holds them, even empty: Checkout
	// requires the address, and refusing a record for a missing name would lose the record
	// of the amount, which the law requires in any case.
	return nil
}
