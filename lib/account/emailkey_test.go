package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/seal"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/web"
)

const (
	emailK1 = "e1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	emailK2 = "e2:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="
)

// servicesOn returns a Service per EMAIL_KEYS ring, all on one store.
func servicesOn(t *testing.T, st *store.Store, rings ...string) []*Service {
	t.Helper()
	keys, _ := config.ParseKeyRing("k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	sealer, _ := seal.New(keys)
	var out []*Service
	for _, r := range rings {
		ring, err := config.ParseKeyRing(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, New(session.NewManager(st, keys, true, time.Now), sealer, ring))
	}
	return out
}

func legacyName(st *store.Store, email string) string {
	sum := sha256.Sum256([]byte(email))
	return st.Key("email", hex.EncodeToString(sum[:16]))
}

// asLegacy rewrites an account's lookup name to the unkeyed SHA-256 one of before, index too.
func asLegacy(t *testing.T, svc *Service, email, id string) {
	t.Helper()
	ctx := context.Background()
	if err := svc.st.R.Rename(ctx, svc.emailKey(email), legacyName(svc.st, email)).Err(); err != nil {
		t.Fatal(err)
	}
	svc.st.R.SRem(ctx, svc.st.IndexKey(id), svc.emailKey(email))
	svc.st.R.SAdd(ctx, svc.st.IndexKey(id), legacyName(svc.st, email))
}

// names lists the stored lookup names.
func names(t *testing.T, st *store.Store) []string {
	var out []string
	for _, k := range storetest.Keys(t, st) {
		if len(k) > len(st.Key("email", "")) && k[:len(st.Key("email", ""))] == st.Key("email", "") {
			out = append(out, k)
		}
	}
	return out
}

// The lookup name is an HMAC under the newest EMAIL_KEYS key, not the plain SHA-256 anyone
// can compute from a list of addresses.
func TestEmailLookupNameIsKeyed(t *testing.T) {
	st := storetest.New(t)
	svc := servicesOn(t, st, emailK1)[0]
	ctx := context.Background()
	u, err := svc.Signup(ctx, httptest.NewRecorder(), SignupInput{Email: "keyed@example.com", Password: "a long enough passphrase"}, web.Client{IP: "198.51.100.4"})
	if err != nil {
		t.Fatal(err)
	}
	got := names(t, st)
	if len(got) != 1 || got[0] == legacyName(st, "keyed@example.com") || got[0][:len(st.Key("email", "e1"))] != st.Key("email", "e1") {
		t.Fatalf("lookup names = %v", got)
	}
	if !st.R.SIsMember(ctx, st.IndexKey(u.ID), got[0]).Val() {
		t.Fatal("the lookup name is not in the user's index")
	}
	other := servicesOn(t, st, emailK2)[0]
	if _, err := other.lookup(ctx, "keyed@example.com"); err != store.ErrNotFound {
		t.Fatalf("a different key found the address: %v", err)
	}
}

// A legacy name is found and moved under the newest key, atomically, by 20 parallel
// lookups: one name left, in the index; a signup for the address is still refused.
func TestLegacyEmailNameMigratesOnLookup(t *testing.T) {
	st := storetest.New(t)
	svc := servicesOn(t, st, emailK1)[0]
	ctx := context.Background()
	u, err := svc.Signup(ctx, httptest.NewRecorder(), SignupInput{Email: "legacy@example.com", Password: "a long enough passphrase"}, web.Client{IP: "198.51.100.5"})
	if err != nil {
		t.Fatal(err)
	}
	asLegacy(t, svc, "legacy@example.com", u.ID)
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			rec, err := svc.lookup(ctx, "legacy@example.com")
			if err == nil && rec.ID != u.ID {
				err = store.ErrNotFound
			}
			errs[i] = err
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("lookup %d: %v", i, err)
		}
	}
	if got := names(t, st); len(got) != 1 || got[0] != svc.emailKey("legacy@example.com") {
		t.Fatalf("lookup names after migration = %v", got)
	}
	if !st.R.SIsMember(ctx, st.IndexKey(u.ID), svc.emailKey("legacy@example.com")).Val() || st.R.SIsMember(ctx, st.IndexKey(u.ID), legacyName(st, "legacy@example.com")).Val() {
		t.Fatal("the user's index does not follow the move")
	}
	asLegacy(t, svc, "legacy@example.com", u.ID)
	_, err = svc.Signup(ctx, httptest.NewRecorder(), SignupInput{Email: "legacy@example.com", Password: "a long enough passphrase"}, web.Client{IP: "198.51.100.6"})
	if problem.CodeOf(err) != "email_taken" {
		t.Fatalf("signup for an address under its legacy name: %v", err)
	}
}

// Rotation: with a new key first in the ring, an address stored under the old key is still
// found; RekeyEmails moves every old and legacy name under the new key, after which the old
// key can leave the ring. Closing an account removes whichever name it has.
func TestRekeyEmailsAfterRotation(t *testing.T) {
	st := storetest.New(t)
	svcs := servicesOn(t, st, emailK1, emailK2+","+emailK1, emailK2)
	old, both, fresh := svcs[0], svcs[1], svcs[2]
	ctx := context.Background()
	ids := map[string]string{}
	for _, e := range []string{"r1@example.com", "r2@example.com", "r3@example.com"} {
		u, err := old.Signup(ctx, httptest.NewRecorder(), SignupInput{Email: e, Password: "a long enough passphrase"}, web.Client{IP: "198.51.100.7"})
		if err != nil {
			t.Fatal(err)
		}
		ids[e] = u.ID
	}
	asLegacy(t, old, "r3@example.com", ids["r3@example.com"])
	if rec, err := both.lookup(ctx, "r1@example.com"); err != nil || rec.ID != ids["r1@example.com"] {
		t.Fatalf("lookup under the older key: %v", err)
	}
	stats, err := both.RekeyEmails(ctx)
	if err != nil || stats.Moved != 2 || stats.Orphaned != 0 {
		t.Fatalf("rekey = %+v, %v", stats, err)
	}
	for e, id := range ids {
		if rec, err := fresh.lookup(ctx, e); err != nil || rec.ID != id {
			t.Fatalf("%s after the old key left the ring: %v", e, err)
		}
	}
	if got := names(t, st); len(got) != 3 {
		t.Fatalf("lookup names = %v", got)
	}
	if stats, _ := fresh.RekeyEmails(ctx); stats.Checked != 0 {
		t.Fatalf("a second run found %+v", stats)
	}
}
