package billing

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

func invoice(id string, day int) Record {
	return Record{InvoiceID: id, IssuedAt: time.Date(2026, 11, day, 10, 0, 0, 0, time.UTC), AmountMinor: 2900,
		Currency: "USD", BillingName: "Ada Lovelace Ltd", Address: "12 Analytical Row, London"}
}

func TestAddKeepsSevenYearsApartFromTheUser(t *testing.T) {
	st := storetest.New(t)
	b := New(st, time.Now)
	ctx := context.Background()
	r, err := b.Add(ctx, "user1", invoice("in_2", 2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Add(ctx, "user1", invoice("in_1", 1)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Customer, "bcus_") || r.Currency != "usd" {
		t.Fatalf("record = %+v", r)
	}
	// Seven calendar years from the write, leap days included (Redis counts whole seconds).
	want := time.Until(RetainUntil(time.Now()))
	if ttl := st.R.TTL(ctx, b.RecordKey("in_2")).Val(); ttl < want-time.Minute || ttl > want+time.Second {
		t.Fatalf("TTL = %v, want %v", ttl, want)
	}
	list, err := b.ForUser(ctx, "user1")
	if err != nil || len(list) != 2 || list[0].InvoiceID != "in_1" {
		t.Fatalf("ForUser = %+v, %v", list, err)
	}
	// Nothing in the billing records names the user; only the user's link names the record.
	for _, k := range storetest.Keys(t, st) {
		if strings.Contains(k, "billing:") {
			if v := st.R.HGetAll(ctx, k).String() + st.R.SMembers(ctx, k).String(); strings.Contains(v, "user1") || strings.Contains(k, "user1") {
				t.Fatalf("billing key %s refers to the user: %s", k, v)
			}
		}
	}
	if ok, _ := st.R.SIsMember(ctx, st.IndexKey("user1"), b.linkKey("user1")).Result(); !ok {
		t.Fatal("the user's link to billing is not in the user's index (deletion would miss it)")
	}
	// Deleting the link (what account deletion does) leaves the records, now unlinked.
	st.R.Del(ctx, b.linkKey("user1"))
	if got, err := b.Get(ctx, "in_2"); err != nil || got.AmountMinor != 2900 {
		t.Fatalf("record after unlinking = %+v, %v", got, err)
	}
	if list, _ := b.ForUser(ctx, "user1"); len(list) != 0 {
		t.Fatalf("an unlinked user still finds %d records", len(list))
	}
}

func TestAddRefuses(t *testing.T) {
	st := storetest.New(t)
	b := New(st, time.Now)
	ctx := context.Background()
	if _, err := b.Add(ctx, "u", invoice("in_1", 1)); err != nil {
		t.Fatal(err)
	}
	changed := invoice("in_1", 1)
	changed.AmountMinor = 1
	if _, err := b.Add(ctx, "u", changed); problem.CodeOf(err) != "conflict" {
		t.Fatalf("rewriting an invoice: %v", err)
	}
	if r, _ := b.Get(ctx, "in_1"); r.AmountMinor != 2900 {
		t.Fatal("a refused write changed the record")
	}
	for name, mutate := range map[string]func(*Record){
		"no id":        func(r *Record) { r.InvoiceID = "" },
		"colon id":     func(r *Record) { r.InvoiceID = "a:b" },
		"no date":      func(r *Record) { r.IssuedAt = time.Time{} },
		"bad currency": func(r *Record) { r.Currency = "dollars" },
		"bad kind":     func(r *Record) { r.Kind = "receipt" },
	} {
		r := invoice("in_x", 3)
		mutate(&r)
		if _, err := b.Add(ctx, "u", r); problem.CodeOf(err) != "invalid_request" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A deleted account's invoice is kept under a reference nothing links to.
func TestAddUnlinked(t *testing.T) {
	st := storetest.New(t)
	b := New(st, time.Now)
	ctx := context.Background()
	r := invoice("in_9", 9)
	r.Kind, r.Number, r.TaxMinor, r.TaxID = "invoice", "MQ-0009", 484, "eu_vat DE123456789"
	got, err := b.AddUnlinked(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if back, _ := b.Get(ctx, "in_9"); back == nil || *back != *got {
		t.Fatalf("stored %+v, read %+v", got, back)
	}
	for _, k := range storetest.Keys(t, st) {
		if strings.Contains(k, "user") {
			t.Fatalf("an unlinked record wrote %s", k)
		}
	}
	if _, err := b.AddUnlinked(ctx, r); problem.CodeOf(err) != "conflict" {
		t.Fatalf("second write: %v", err)
	}
}

// AddFor links a live account's record, and writes a closed account's unlinked, with no key
// of the user written back.
func TestAddFor(t *testing.T) {
	st := storetest.New(t)
	b := New(st, time.Now)
	ctx := context.Background()
	st.R.HSet(ctx, st.Key("user", "live"), "email", "a@example.com")
	st.R.HSet(ctx, st.Key("user", "closed"), "email", "b@example.com", "deleted", "1")
	if _, err := b.AddFor(ctx, "live", invoice("in_1", 1)); err != nil {
		t.Fatal(err)
	}
	if list, _ := b.ForUser(ctx, "live"); len(list) != 1 {
		t.Fatalf("live account's records: %+v", list)
	}
	if _, err := b.AddFor(ctx, "closed", invoice("in_2", 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "in_2"); err != nil {
		t.Fatal("the closed account's record was not written")
	}
	for _, k := range storetest.Keys(t, st) {
		if strings.Contains(k, "user:closed:") {
			t.Fatalf("a closed account got %s written", k)
		}
	}
}
