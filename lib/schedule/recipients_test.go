package schedule

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/problem"
)

var boss = Owner{Email: "boss@agency.example", Name: "Boss"}

func TestNormalizeAddress(t *testing.T) {
	cases := []struct{ in, want, code string }{
		{"client@Example.COM", "client@example.com", ""},
		{"  Client.Name@example.com ", "Client.Name@example.com", ""}, // the local part keeps its case
		{"a@b.example\r\nBcc: victim@example.com", "", "invalid_recipient"},
		{"a@b.example\n", "", "invalid_recipient"},
		{"Someone <a@b.example>", "", "invalid_recipient"}, // one address, not a header
		{"a@b.example, c@d.example", "", "invalid_recipient"},
		{"not an address", "", "invalid_recipient"},
		{"nodomain@localhost", "", "invalid_recipient"},
		{"a@[127.0.0.1]", "", "invalid_recipient"},
		{strings.Repeat("a", 250) + "@b.example", "", "invalid_recipient"},
	}
	for _, c := range cases {
		got, err := normalizeAddress(c.in)
		if got != c.want || problem.CodeOf(err) != c.code {
			t.Errorf("normalizeAddress(%q) = %q, %v; want %q, %s", c.in, got, err, c.want, c.code)
		}
	}
}

// At most MaxRecipients besides the owner; duplicates (case folded) count once and the owner
// not at all; an empty list is refused.
func TestRecipientsLimit(t *testing.T) {
	s, _, _, _ := newService(t)
	ctx := context.Background()
	ten := []string{boss.Email}
	for i := range MaxRecipients {
		ten = append(ten, fmt.Sprintf("c%d@client.example", i))
	}
	mk := func(day int, to []string) (*Schedule, error) {
		return s.CreateAs(ctx, "u1", boss, "UTC", Input{Cadence: Monthly, Day: ip(day), Hour: ip(6), Recipients: to})
	}
	if _, err := mk(1, append(ten, "one@more.example")); err == nil {
		t.Fatal("one more than the limit was accepted")
	}
	if sc, err := mk(2, ten); err != nil || len(sc.Recipients) != MaxRecipients+1 {
		t.Fatalf("the owner and %d others: %+v, %v", MaxRecipients, sc, err)
	}
	sc, err := mk(3, []string{"a@x.example", "A@X.example", "BOSS@agency.example"})
	if err != nil || len(sc.Recipients) != 2 || !sc.IsOwner("BOSS@agency.example") {
		t.Fatalf("duplicates: %+v, %v", sc, err)
	}
	if _, err := mk(4, []string{}); problem.CodeOf(err) != "invalid_recipient" {
		t.Fatalf("no recipients: %v", err)
	}
}

// A schedule made without recipients goes to the owner, marked as such; added addresses
// record who added them and when, and keep it across later edits.
func TestRecipientsDefaultAndWhoAdded(t *testing.T) {
	s, _, clk, _ := newService(t)
	ctx := context.Background()
	sc, err := s.CreateAs(ctx, "u1", boss, "UTC", Input{Cadence: Weekly, Weekday: ip(1), Hour: ip(9)})
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Recipients) != 1 || sc.Recipients[0] != boss.Email || !sc.IsOwner(boss.Email) || sc.OnNeedsReconnect != SendAnyway {
		t.Fatalf("default recipients: %+v", sc)
	}
	first := clk.now().UTC().Truncate(time.Second)
	to := []string{boss.Email, "ann@client.example"}
	if sc, err = s.Update(ctx, "u1", boss, sc.ID, Patch{Recipients: &to}); err != nil {
		t.Fatal(err)
	}
	clk.set(clk.now().Add(time.Hour))
	to = append(to, "Bob@Client.EXAMPLE")
	if sc, err = s.Update(ctx, "u1", boss, sc.ID, Patch{Recipients: &to}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx, "u1", sc.ID)
	ann, bob := got.Added["ann@client.example"], got.Added["Bob@client.example"]
	if !ann.At.Equal(first) || ann.By != boss.Email || ann.Name != "Boss" || ann.Owner || !bob.At.Equal(first.Add(time.Hour)) {
		t.Fatalf("added = %+v", got.Added)
	}
	// A schedule stored without recipients (before they existed) resolves to the owner.
	old, _ := s.Create(ctx, "u1", "UTC", Input{Cadence: Monthly, Day: ip(1), Hour: ip(9)})
	if r := old.WithOwner("me@x.example", "Me"); len(r.Recipients) != 1 || !r.IsOwner("me@x.example") {
		t.Fatalf("WithOwner = %+v", r)
	}
}

// When the owner changes their address, their entry follows it (at read and at the next
// edit); the other recipients and who added them stay.
func TestOwnerEntryFollowsAddressChange(t *testing.T) {
	s, _, _, _ := newService(t)
	ctx := context.Background()
	sc, err := s.CreateAs(ctx, "u1", boss, "UTC", Input{Cadence: Weekly, Weekday: ip(1), Hour: ip(9), Recipients: []string{boss.Email, "ann@client.example"}})
	if err != nil {
		t.Fatal(err)
	}
	moved := Owner{Email: "boss@new.example", Name: "Boss"}
	list, _ := s.ListWithStatus(ctx, "u1", moved)
	if got := list[0].Recipients; len(got) != 2 || got[0] != moved.Email || !list[0].IsOwner(moved.Email) || list[0].Added["ann@client.example"].By != boss.Email {
		t.Fatalf("listed after the change: %+v", list[0].Schedule)
	}
	got, err := s.Update(ctx, "u1", moved, sc.ID, Patch{Hour: ip(10)})
	if err != nil || got.Recipients[0] != moved.Email || containsAddress(got.Recipients, boss.Email) {
		t.Fatalf("edited after the change: %+v, %v", got, err)
	}
	if r := got.WithOwner(moved.Email, ""); len(r.Recipients) != 2 {
		t.Fatalf("WithOwner = %+v", r)
	}
}

// An owner whose address is not confirmed may mail only themselves: a guest is refused (403
// email_unverified) on create and on edit, with nothing stored; once verified, the same edit
// passes.
func TestUnverifiedOwnerCannotAddOthers(t *testing.T) {
	s, _, _, _ := newService(t)
	ctx := context.Background()
	fresh := Owner{Email: boss.Email, Name: boss.Name, Unverified: true}
	in := Input{Cadence: Monthly, Day: ip(1), Hour: ip(6), Recipients: []string{boss.Email, "client@x.example"}}
	if _, err := s.CreateAs(ctx, "u1", fresh, "UTC", in); problem.CodeOf(err) != "email_unverified" {
		t.Fatalf("create with a guest: %v", err)
	}
	sc, err := s.CreateAs(ctx, "u1", fresh, "UTC", Input{Cadence: Monthly, Day: ip(1), Hour: ip(6)})
	if err != nil {
		t.Fatal(err)
	}
	guests := []string{boss.Email, "client@x.example"}
	if _, err := s.Update(ctx, "u1", fresh, sc.ID, Patch{Recipients: &guests}); problem.CodeOf(err) != "email_unverified" {
		t.Fatalf("edit adding a guest: %v", err)
	}
	if got, err := s.Get(ctx, "u1", sc.ID); err != nil || len(got.Recipients) != 1 {
		t.Fatalf("after the refusal: %+v, %v", got, err)
	}
	if got, err := s.Update(ctx, "u1", boss, sc.ID, Patch{Recipients: &guests}); err != nil || len(got.Recipients) != 2 {
		t.Fatalf("verified: %+v, %v", got, err)
	}
}
