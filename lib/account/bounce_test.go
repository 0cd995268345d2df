package account

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/web"
)

// MarkBounced writes for the live account that has the address (in any letter case), gives
// write the stored address, and writes nothing for an unknown address, an account whose
// address is another one now, or a deleted account.
func TestMarkBounced(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	u, err := svc.Signup(ctx, httptest.NewRecorder(), SignupInput{Email: "bounce@example.com", Password: "a long enough passphrase"}, web.Client{IP: "198.51.100.9"})
	if err != nil {
		t.Fatal(err)
	}
	var wrote []string
	write := func(p redis.Pipeliner, uid, addr string) {
		wrote = append(wrote, uid+" "+addr)
		p.Set(ctx, svc.st.Key("test", "bounced", uid), addr, 0)
	}
	if ok, err := svc.MarkBounced(ctx, "Bounce@Example.com", write); err != nil || !ok || len(wrote) != 1 || wrote[0] != u.ID+" bounce@example.com" {
		t.Fatalf("known address: %v %v %v", ok, err, wrote)
	}
	if svc.st.R.Get(ctx, svc.st.Key("test", "bounced", u.ID)).Val() != "bounce@example.com" {
		t.Fatal("the write was not applied")
	}
	wrote = nil
	for _, addr := range []string{"nobody@example.com", "not an address"} {
		if ok, err := svc.MarkBounced(ctx, addr, write); err != nil || ok {
			t.Fatalf("%q: %v %v", addr, ok, err)
		}
	}
	// The lookup key still names the account, but the account has another address now.
	svc.st.R.HSet(ctx, svc.userKey(u.ID), fEmail, "other@example.com")
	if ok, err := svc.MarkBounced(ctx, "bounce@example.com", write); err != nil || ok {
		t.Fatalf("changed address: %v %v", ok, err)
	}
	svc.st.R.HSet(ctx, svc.userKey(u.ID), fEmail, "bounce@example.com", fDeleted, "1")
	if ok, err := svc.MarkBounced(ctx, "bounce@example.com", write); err != nil || ok || len(wrote) != 0 {
		t.Fatalf("deleted account: %v %v %v", ok, err, wrote)
	}
}
