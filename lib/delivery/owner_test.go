package delivery_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/schedule"
)

// The owner's recipient entry follows the account's current address: a schedule whose owner
// entry was stored under an address changed since mails the current one (as the owner: the
// app link), never the old one; the guest is unaffected.
func TestOwnerEntryFollowsAddressChange(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	sc := w.schedule("u1", "client@example.com")
	const old = "old-address@example.com"
	sc.Recipients[0] = old
	sc.Added = map[string]schedule.Added{old: {By: old, Owner: true}, "client@example.com": {By: old, Name: "Olivia"}}
	b, _ := json.Marshal(sc)
	w.st.R.HSet(ctx, w.st.Key("user", "u1", "schedules"), sc.ID, b)
	w.tick(monday, 1)
	w.drain()
	if n := len(w.out.to(old)); n != 0 {
		t.Fatalf("%d e-mails to the owner's old address", n)
	}
	own := w.out.to(owner)
	if len(own) != 1 || !strings.Contains(own[0].HTML, appURL+"/app/reports/") || strings.Contains(own[0].HTML, "added you") {
		t.Fatalf("the owner's current address got %d e-mails", len(own))
	}
	if n := len(w.out.to("client@example.com")); n != 1 {
		t.Fatalf("the guest got %d e-mails", n)
	}
}
