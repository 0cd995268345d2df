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

// Record is one invoice as the law asks us to keep it.
type Record struct {
	InvoiceID   string    `json:"invoice_id"`
	IssuedAt    time.Time `json:"issued_at"`
	AmountMinor int64     `json:"amount_minor"` // in the currency's minor unit (cents)
	Currency    string    `json:"currency"`     // ISO 4217, lower case
	BillingName string    `json:"billing_name"`
	Address     string    `json:"billing_address"`
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
	r.Customer = ref
	r.Currency = strings.ToLower(r.Currency)
	r.IssuedAt = r.IssuedAt.UTC().Truncate(time.Second)
	k := b.recordKey(r.InvoiceID)
	var created *redis.BoolCmd
	_, err = b.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		created = p.HSetNX(ctx, k, "invoice_id", r.InvoiceID)
		return nil
	})
	if err != nil {
		return nil, store.Err(err)
	}
	if !created.Val() {
		return nil, problem.Conflict("conflict", "A billing record with this invoice id exists.")
	}
	until := RetainUntil(b.now())
	_, err = b.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, k, "issued_at", r.IssuedAt.Unix(), "amount_minor", r.AmountMinor, "currency", r.Currency,
			"billing_name", r.BillingName, "billing_address", r.Address, "customer", ref)
		p.ExpireAt(ctx, k, until)
		p.SAdd(ctx, b.customerKey(ref), r.InvoiceID)
		p.ExpireAt(ctx, b.customerKey(ref), until)
		return nil
	})
	if err != nil {
		return nil, store.Err(err)
	}
	return &r, nil
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
	issued, _ := strconv.ParseInt(f["issued_at"], 10, 64)
	amount, _ := strconv.ParseInt(f["amount_minor"], 10, 64)
	return &Record{InvoiceID: invoiceID, IssuedAt: time.Unix(issued, 0).UTC(), AmountMinor: amount, Currency: f["currency"],
		BillingName: f["billing_name"], Address: f["billing_address"], Customer: f["customer"]}, nil
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
	case strings.TrimSpace(r.BillingName) == "":
		return problem.Invalid("billing_name", "The billing name is required.")
	case strings.TrimSpace(r.Address) == "":
		return problem.Invalid("billing_address", "The billing address is required.")
	}
	return nil
}
